// SPDX-License-Identifier: MIT
/*
 * Tests of core/store against real SQLite files in a mkdtemp folder: schema
 * and view columns, the sample round trip for every kind, events, rollups
 * against hand-computed figures, refusal of newer/garbage/damaged files, a
 * locked database, and the bytes a sample costs on disk.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "core/analysis/event.h"
#include "core/base/sample.h"
#include "core/store/store.h"

#define T0_MS 1732539960000LL /* 2024-11-25 13:06:00 UTC, minute aligned */

struct fixture {
	char dir[256];
	char path[320];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/bb-test-store.XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/sub/dir/bb.db", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", f->dir);
	free(f);
	return 0;
}

static struct store *open_rw(const char *path)
{
	char err[512] = "";
	struct store *st = store_open(path, STORE_RDWR, err, sizeof(err));
	if (!st)
		fail_msg("store_open: %s", err);
	return st;
}

/* Run SQL on a second, raw connection. */
static void raw_exec(const char *path, const char *sql)
{
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	char *msg = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg);
	sqlite3_close(db);
}

static int64_t raw_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *q;
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	int64_t v = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return v;
}

static void columns_of(sqlite3 *db, const char *table, char *out, size_t len)
{
	char sql[128];
	sqlite3_stmt *q;
	snprintf(sql, sizeof(sql), "SELECT name FROM pragma_table_info('%s')",
		 table);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK);
	out[0] = '\0';
	while (sqlite3_step(q) == SQLITE_ROW) {
		size_t n = strlen(out);
		snprintf(out + n, len - n, "%s%s", n ? "," : "",
			 (const char *)sqlite3_column_text(q, 0));
	}
	sqlite3_finalize(q);
}

static void test_schema(void **state)
{
	struct fixture *f = *state;
	struct store *st = open_rw(f->path); /* makes sub/dir too */
	const char *id = store_client_id(st);
	assert_int_equal(strlen(id), 16);
	assert_int_equal(strspn(id, "0123456789abcdef"), 16);
	char id1[17];
	strcpy(id1, id);
	store_close(st);
	st = open_rw(f->path);
	assert_string_equal(store_client_id(st), id1);
	store_close(st);

	sqlite3 *db;
	char cols[1024];
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	columns_of(db, "measurements", cols, sizeof(cols));
	assert_string_equal(
		cols,
		"timestamp,monotonic_ns,interface,connection_type,"
		"test_type,target,server_name,seq,rtt_ms,up_delay_ms,"
		"down_delay_ms,jitter_ms,packet_loss_pct,throughput_kbps,"
		"dns_time_ms,connect_ms,status,error_detail,flags,"
		"under_load,late,duplicate,reordered,loss_direction,"
		"load_phase,sync_pct,sync_n,clock_offset_ms,bloat_idle_ms,"
		"bloat_loaded_p95_ms,bloat_increase_ms,"
		"bloat_up_increase_ms,bloat_down_increase_ms,bloat_rpm,rx_kbps,"
		"tx_kbps");
	columns_of(db, "events", cols, sizeof(cols));
	assert_string_equal(cols, "id,start_ms,end_ms,kind,severity,interface,"
				  "target,server_name,description,metrics");
	columns_of(db, "meta", cols, sizeof(cols));
	assert_string_equal(cols, "key,value");
	for (int i = 0; i < 2; i++) {
		columns_of(db, i ? "agg_1hour" : "agg_1min", cols,
			   sizeof(cols));
		const char *want[] = { "interface", "test_type", "target",
				       "count",	    "lost",	 "min",
				       "max",	    "avg",	 "p50",
				       "p95",	    "p99" };
		for (size_t k = 0; k < sizeof(want) / sizeof(*want); k++) {
			char pat[40];
			snprintf(pat, sizeof(pat), ",%s,", want[k]);
			char wrapped[1100];
			snprintf(wrapped, sizeof(wrapped), ",%s,", cols);
			if (!strstr(wrapped, pat))
				fail_msg("agg table lacks %s: %s", want[k],
					 cols);
		}
	}
	assert_int_equal(raw_int(db, "SELECT value FROM meta WHERE"
				     " key = 'schema_version'"),
			 STORE_SCHEMA_VERSION);
	char jm[16];
	sqlite3_stmt *q;
	sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &q, NULL);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	snprintf(jm, sizeof(jm), "%s", sqlite3_column_text(q, 0));
	sqlite3_finalize(q);
	assert_string_equal(jm, "wal");
	sqlite3_close(db);

	/* Read-only: refuses writes, refuses a missing file. */
	char err[512];
	st = store_open(f->path, STORE_RDONLY | STORE_CHECK, err, sizeof(err));
	assert_non_null(st);
	struct bb_sample s;
	sample_init(&s, BB_KIND_ICMP);
	assert_int_equal(store_write_samples(st, &s, 1), -EROFS);
	int64_t a, b;
	assert_int_equal(store_time_range(st, &a, &b), -ENOENT);
	store_close(st);
	char missing[400];
	snprintf(missing, sizeof(missing), "%s/none.db", f->dir);
	assert_null(store_open(missing, STORE_RDONLY, err, sizeof(err)));
	assert_non_null(strstr(err, missing));
	assert_int_equal(access(missing, F_OK), -1);
}

/* Kinds kept as series (blocks): all but the path probe's hops. */
#define SERIES_KINDS (BB_KIND_COUNT - 1)

/* One sample of every kind, with odd values everywhere. */
static size_t make_all_kinds(struct bb_sample *out)
{
	size_t n = 0;
	int64_t real = T0_MS * 1000000 + 123456789;
	int64_t mono = 5000000000123LL;
	for (int k = 0; k < BB_KIND_COUNT; k++) {
		if (k == BB_KIND_PATH)
			continue; /* its own table, test_hops */
		for (int variant = 0; variant < 3; variant++) {
			struct bb_sample *s = &out[n++];
			sample_init(s, (enum bb_probe_kind)k);
			s->real_ns = real + (int64_t)n * 987654321 + variant;
			s->mono_ns =
				mono + (int64_t)n * 987654321 + 17 * variant;
			s->send_error_ns = variant == 1 ? -2500 : 41234;
			snprintf(s->interface, sizeof(s->interface), "%s",
				 variant ? "wlan0" : "eth0");
			snprintf(s->target, sizeof(s->target), "target-%d", k);
			if (k == BB_KIND_UDP_ECHO || k >= BB_KIND_UPLOAD)
				snprintf(s->server, sizeof(s->server), "vps1");
			s->seq = 4000000000u + (uint32_t)n;
			s->status = (uint8_t)variant; /* ok, timeout, error */
			if (variant == 0) {
				s->rtt_ns = 12345678 + k;
				if (k == BB_KIND_UDP_ECHO ||
				    k == BB_KIND_BUFFERBLOAT) {
					s->up_delay_ns = -1234567;
					s->down_delay_ns = 7654321;
					s->loss_ppm = 12500;
				}
				if (k == BB_KIND_UPLOAD ||
				    k == BB_KIND_DOWNLOAD) {
					s->throughput_kbps = 48123 + k;
					s->loss_ppm = 0;
				}
			}
			if (variant == 2)
				snprintf(s->detail, sizeof(s->detail),
					 "ECONNREFUSED \"quoted\" %d", k);
			if (k == BB_KIND_ICMP && variant == 1)
				s->flags = BB_SAMPLE_REORDERED;
			/* the typed figures of echoes and bloat results */
			if (k == BB_KIND_UDP_ECHO && variant == 0) {
				s->sync_pct = 93;
				s->sync_n = 200;
				s->clock_offset_ns = -1234567891;
				s->flags = BB_SAMPLE_UNDER_LOAD;
				s->load_phase = BB_PHASE_BOTH;
			}
			if (k == BB_KIND_UDP_ECHO && variant == 1) {
				s->loss_dir = BB_LOSS_DOWN;
				s->sync_pct = 0;
			}
			if (k == BB_KIND_BUFFERBLOAT && variant == 0) {
				s->load_phase = BB_PHASE_UP;
				s->bloat.idle_p50_ns = 11000400;
				s->bloat.loaded_p95_ns = 412000000;
				s->bloat.increase_ns = 308000000;
				s->bloat.up_inc_ns = 301000000;
				s->bloat.down_inc_ns = -2000;
				s->bloat.rpm = 187;
			}
		}
	}
	/* A late reply and a duplicate of the first ICMP probe: same key. */
	out[n] = out[0];
	out[n].flags = BB_SAMPLE_LATE;
	out[n].rtt_ns = 2500000000LL;
	n++;
	out[n] = out[0];
	out[n].flags = BB_SAMPLE_DUPLICATE;
	n++;
	out[n] = out[0];
	out[n].flags = BB_SAMPLE_DUPLICATE;
	out[n].rtt_ns = 99;
	n++;
	/* A sample whose clocks drifted apart by more than a run allows. */
	out[n] = out[1];
	out[n].real_ns += 5 * 1000000000LL;
	out[n].mono_ns += 5 * 1000000000LL - 7000000;
	out[n].seq = 7;
	n++;
	return n;
}

struct collect {
	struct bb_sample *s;
	size_t n, cap;
};

static int collect_cb(void *ctx, const struct bb_sample *s)
{
	struct collect *c = ctx;
	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 64;
		c->s = realloc(c->s, c->cap * sizeof(*c->s));
	}
	c->s[c->n++] = *s;
	return 0;
}

static int64_t us_round(int64_t ns)
{
	if (ns == BB_NONE)
		return BB_NONE;
	return (ns >= 0 ? (ns + 500) / 1000 : -((-ns + 500) / 1000)) * 1000;
}

static int64_t us_floor(int64_t ns)
{
	return ns / 1000 * 1000; /* positive times */
}

static int cmp_real(const void *a, const void *b)
{
	const struct bb_sample *x = a, *y = b;
	if (x->real_ns != y->real_ns)
		return x->real_ns < y->real_ns ? -1 : 1;
	return x->flags - y->flags; /* same time: original, late, dups */
}

static void test_round_trip(void **state)
{
	struct fixture *f = *state;
	struct bb_sample in[64];
	size_t n = make_all_kinds(in);
	struct store *st = open_rw(f->path);
	assert_int_equal(store_set_connection_type(st, "wlan0", "wifi"), 0);
	assert_int_equal(store_write_samples(st, in, n), 0);
	store_close(st);

	char err[512];
	st = store_open(f->path, STORE_RDONLY, err, sizeof(err));
	assert_non_null(st);
	struct collect c = { 0 };
	assert_int_equal(store_read_samples(st, 0, INT64_MAX, collect_cb, &c),
			 0);
	assert_int_equal(c.n, n);
	for (size_t i = 1; i < c.n; i++)
		assert_true(c.s[i - 1].real_ns <= c.s[i].real_ns);

	/* Expected: the input with figures rounded to µs, in time order. */
	struct bb_sample want[64];
	memcpy(want, in, n * sizeof(*in));
	qsort(want, n, sizeof(*want), cmp_real);
	for (size_t i = 0; i < n; i++) {
		struct bb_sample *w = &want[i], *g = &c.s[i];
		if (w->real_ns == g->real_ns && w->flags != g->flags) {
			/* the two duplicates may come back either way round */
			for (size_t j = i; j < n; j++)
				if (c.s[j].flags == w->flags &&
				    c.s[j].rtt_ns == us_round(w->rtt_ns))
					g = &c.s[j];
		}
		w->rtt_ns = us_round(w->rtt_ns);
		w->up_delay_ns = us_round(w->up_delay_ns);
		w->down_delay_ns = us_round(w->down_delay_ns);
		w->clock_offset_ns = us_round(w->clock_offset_ns);
		w->bloat.idle_p50_ns = us_round(w->bloat.idle_p50_ns);
		w->bloat.loaded_p95_ns = us_round(w->bloat.loaded_p95_ns);
		w->bloat.increase_ns = us_round(w->bloat.increase_ns);
		w->bloat.up_inc_ns = us_round(w->bloat.up_inc_ns);
		w->bloat.down_inc_ns = us_round(w->bloat.down_inc_ns);
		/* times to the µs below; send_error_ns is not kept */
		assert_int_equal(g->real_ns, us_floor(w->real_ns));
		assert_true(llabs(g->mono_ns - w->mono_ns) < 1000);
		assert_int_equal(g->send_error_ns, BB_NONE);
		assert_int_equal(g->loss_dir, w->loss_dir);
		assert_int_equal(g->load_phase, w->load_phase);
		assert_int_equal(g->sync_pct, w->sync_pct);
		assert_int_equal(g->sync_n, w->sync_n);
		assert_int_equal(g->clock_offset_ns, w->clock_offset_ns);
		assert_memory_equal(&g->bloat, &w->bloat, sizeof(g->bloat));
		assert_string_equal(g->interface, w->interface);
		assert_string_equal(g->target, w->target);
		assert_string_equal(g->server, w->server);
		assert_int_equal(g->kind, w->kind);
		assert_int_equal(g->status, w->status);
		assert_int_equal(g->seq, w->seq);
		assert_int_equal(g->rtt_ns, w->rtt_ns);
		assert_int_equal(g->up_delay_ns, w->up_delay_ns);
		assert_int_equal(g->down_delay_ns, w->down_delay_ns);
		assert_int_equal(g->throughput_kbps, w->throughput_kbps);
		assert_int_equal(g->loss_ppm, w->loss_ppm);
		assert_string_equal(g->detail, w->detail);
		/* and the flags, once the duplicate pair is matched */
		assert_int_equal(g->flags, w->flags);
	}
	int64_t first, last;
	assert_int_equal(store_time_range(st, &first, &last), 0);
	assert_int_equal(first, want[0].real_ns / 1000000);
	assert_int_equal(last, want[n - 1].real_ns / 1000000);

	/* A window returns only its rows. */
	c.n = 0;
	assert_int_equal(
		store_read_samples(st, first + 1, last, collect_cb, &c), 0);
	for (size_t i = 0; i < c.n; i++) {
		assert_true(c.s[i].real_ns / 1000000 >= first + 1);
		assert_true(c.s[i].real_ns / 1000000 < last);
	}
	assert_true(c.n > 0 && c.n < n);
	free(c.s);
	store_close(st);

	/* The view speaks the contract's units. */
	sqlite3 *db;
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM measurements"),
			 (int64_t)n);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM measurements WHERE"
				     " test_type = 'icmp' AND rtt_ms = 12.346"
				     " AND status = 'ok' AND dns_time_ms IS"
				     " NULL AND interface = 'eth0' AND"
				     " connection_type = 'unknown'"),
			 2); /* the original and its first duplicate */
	assert_int_equal(raw_int(db, "SELECT count(*) FROM measurements WHERE"
				     " test_type = 'dns' AND dns_time_ms ="
				     " 12.346 AND rtt_ms IS NULL"),
			 1);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM measurements WHERE"
				     " test_type = 'tcp_connect' AND"
				     " connect_ms = 12.346"),
			 1);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM measurements WHERE"
				     " test_type = 'udp_echo' AND"
				     " up_delay_ms = -1.235 AND down_delay_ms"
				     " = 7.654 AND packet_loss_pct = 1.25"),
			 1);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM measurements WHERE"
				     " test_type = 'upload' AND"
				     " throughput_kbps = 48127"),
			 1);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM measurements WHERE"
				     " status = 'error' AND error_detail LIKE"
				     " 'ECONNREFUSED%' AND connection_type ="
				     " 'wifi'"),
			 SERIES_KINDS);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM measurements WHERE"
				     " status = 'timeout'"),
			 SERIES_KINDS + 1); /* + the drifted copy */
	assert_int_equal(raw_int(db, "SELECT count(*) FROM measurements WHERE"
				     " error_detail IS NOT NULL"),
			 SERIES_KINDS);
	/* the typed figures through the view */
	assert_int_equal(raw_int(db,
				 "SELECT count(*) FROM measurements WHERE"
				 " test_type = 'udp_echo' AND under_load"
				 " AND load_phase = 'both' AND sync_pct = 93"
				 " AND clock_offset_ms = -1234.568"),
			 1);
	assert_int_equal(raw_int(db,
				 "SELECT count(*) FROM measurements WHERE"
				 " loss_direction = 'down' AND sync_pct = 0"),
			 1);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM measurements WHERE"
				     " test_type = 'bufferbloat' AND"
				     " bloat_idle_ms = 11.0 AND"
				     " bloat_loaded_p95_ms = 412 AND"
				     " bloat_increase_ms = 308 AND"
				     " bloat_up_increase_ms = 301 AND"
				     " bloat_down_increase_ms = -0.002 AND"
				     " bloat_rpm = 187 AND load_phase = 'up'"),
			 1);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM measurements WHERE"
				     " late + duplicate + reordered > 0"),
			 5); /* late, 2 duplicates, 2 reordered */
	/* monotonic_ns through the view as well, to the µs */
	char sql[200];
	snprintf(sql, sizeof(sql),
		 "SELECT monotonic_ns FROM measurements WHERE seq = %u",
		 (unsigned)in[5].seq);
	assert_true(llabs(raw_int(db, sql) - in[5].mono_ns) < 1000);
	snprintf(sql, sizeof(sql),
		 "SELECT timestamp FROM measurements WHERE seq = %u",
		 (unsigned)in[5].seq);
	assert_int_equal(raw_int(db, sql), in[5].real_ns / 1000000);
	sqlite3_close(db);
}

static int collect_ev(void *ctx, const struct bb_event *ev)
{
	struct bb_event *out = ctx;
	for (int i = 0; i < 8; i++) {
		if (out[i].id == 0) {
			out[i] = *ev;
			return 0;
		}
	}
	return 1;
}

/* The path probe's samples: one row each in `hops` (made on a read-write
 * open, so an older file gains it), never in the series or the views;
 * annotations are not kept; retention deletes them with the raw samples. */
static void test_hops(void **state)
{
	struct fixture *f = *state;
	struct bb_sample in[4];
	const char *addr[] = { "198.18.0.1", "", "198.18.2.2", "198.18.2.2" };
	for (int i = 0; i < 4; i++) {
		struct bb_sample *s = &in[i];
		sample_init(s, BB_KIND_PATH);
		s->real_ns = (T0_MS + 1000 * i) * 1000000 + 123;
		s->mono_ns = 1000000000LL * (i + 1);
		snprintf(s->target, sizeof(s->target), "srv");
		s->seq = (uint32_t)i;
		s->hop = (uint8_t)(i < 3 ? i + 1 : 3);
		snprintf(s->hop_addr, sizeof(s->hop_addr), "%s", addr[i]);
		if (addr[i][0])
			s->rtt_ns = 1234567 * (i + 1);
		else
			s->status = BB_STATUS_TIMEOUT;
		if (i >= 2)
			s->flags |= BB_SAMPLE_PATH_END;
	}
	in[3].flags |= BB_SAMPLE_LATE; /* an annotation: not a probe */
	struct store *st = open_rw(f->path);
	assert_int_equal(store_write_samples(st, in, 4), 0);
	store_close(st);

	sqlite3 *db;
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	char cols[256];
	columns_of(db, "hops", cols, sizeof(cols));
	assert_string_equal(cols, "time_ms,interface,target,seq,hop,addr,"
				  "rtt_ms,status,dest,detail,under_load");
	assert_int_equal(raw_int(db, "SELECT count(*) FROM hops"), 3);
	assert_int_equal(raw_int(db,
				 "SELECT count(*) FROM hops WHERE hop = 1"
				 " AND addr = '198.18.0.1' AND status = 'ok'"
				 " AND rtt_ms = 1.235 AND dest = 0"),
			 1);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM hops WHERE hop = 2"
				     " AND addr IS NULL AND rtt_ms IS NULL"
				     " AND status = 'timeout'"),
			 1);
	assert_int_equal(raw_int(db, "SELECT time_ms FROM hops WHERE hop = 3"
				     " AND dest = 1 AND target = 'srv'"),
			 T0_MS + 2000);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM series"), 0);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM measurements"), 0);
	/* an older file without the table gains it on a read-write open */
	sqlite3_exec(db, "DROP TABLE hops", NULL, NULL, NULL);
	sqlite3_close(db);
	st = open_rw(f->path);
	assert_int_equal(store_write_samples(st, in, 1), 0);
	struct store_purge p;
	store_purge_horizon(&p, T0_MS + 3 * 86400000LL, 1, 0, 0, 0);
	assert_int_equal(store_rollup(st, T0_MS + 3 * 86400000LL), 0);
	assert_int_equal(store_purge_step(st, &p, 100, NULL), 0);
	store_close(st);
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM hops"), 0);
	sqlite3_close(db);
}

static void test_events(void **state)
{
	struct fixture *f = *state;
	struct store *st = open_rw(f->path);
	struct bb_event ev;
	memset(&ev, 0, sizeof(ev));
	ev.start_ms = T0_MS;
	snprintf(ev.kind, sizeof(ev.kind), "packet_loss");
	ev.severity = BB_SEV_WARNING;
	snprintf(ev.interface, sizeof(ev.interface), "eth0");
	snprintf(ev.target, sizeof(ev.target), "1.1.1.1");
	snprintf(ev.description, sizeof(ev.description),
		 "Packets to 1.1.1.1 are being lost.");
	snprintf(ev.metrics, sizeof(ev.metrics), "{\"loss_pct\":1.5}");
	int64_t id = store_event_write(st, &ev);
	assert_true(id > 0);

	/* Same place and start, id unknown: updates the same row. */
	ev.severity = BB_SEV_CRITICAL;
	snprintf(ev.metrics, sizeof(ev.metrics), "{\"loss_pct\":4}");
	assert_int_equal(store_event_write(st, &ev), id);

	struct bb_event ev2 = ev;
	ev2.start_ms = T0_MS + 5000;
	ev2.end_ms = T0_MS + 9000;
	snprintf(ev2.kind, sizeof(ev2.kind), "micro_disconnect");
	int64_t id2 = store_event_write(st, &ev2);
	assert_true(id2 > id);

	struct bb_event got[8];
	memset(got, 0, sizeof(got));
	assert_int_equal(store_read_events(st, T0_MS + 60000, INT64_MAX,
					   collect_ev, got),
			 0);
	/* Only the ongoing one overlaps a later window. */
	assert_int_equal(got[0].id, id);
	assert_int_equal(got[0].end_ms, 0);
	assert_int_equal(got[0].severity, BB_SEV_CRITICAL);
	assert_string_equal(got[0].metrics, "{\"loss_pct\":4}");
	assert_string_equal(got[0].description,
			    "Packets to 1.1.1.1 are being lost.");
	assert_int_equal(got[1].id, 0);

	/* End it by id. */
	ev.id = id;
	ev.end_ms = T0_MS + 30000;
	assert_int_equal(store_event_write(st, &ev), id);
	memset(got, 0, sizeof(got));
	assert_int_equal(store_read_events(st, T0_MS + 60000, INT64_MAX,
					   collect_ev, got),
			 0);
	assert_int_equal(got[0].id, 0);
	assert_int_equal(store_read_events(st, 0, INT64_MAX, collect_ev, got),
			 0);
	assert_int_equal(got[0].id, id);
	assert_int_equal(got[0].end_ms, T0_MS + 30000);
	assert_int_equal(got[1].id, id2);
	assert_string_equal(got[1].kind, "micro_disconnect");
	assert_string_equal(got[1].target, "1.1.1.1");
	ev.id = 9999;
	assert_int_equal(store_event_write(st, &ev), -ENOENT);
	store_close(st);

	sqlite3 *db;
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM events WHERE"
				     " end_ms IS NULL"),
			 0);
	assert_int_equal(raw_int(db,
				 "SELECT count(*) FROM events WHERE"
				 " severity = 'critical' AND"
				 " json_extract(metrics, '$.loss_pct') = 4"),
			 2);
	sqlite3_close(db);
}

static struct bb_sample probe(const char *target, int64_t ms, uint32_t seq,
			      int64_t rtt_us)
{
	struct bb_sample s;
	sample_init(&s, BB_KIND_ICMP);
	s.real_ns = ms * 1000000;
	s.mono_ns = s.real_ns - 1000;
	snprintf(s.interface, sizeof(s.interface), "eth0");
	snprintf(s.target, sizeof(s.target), "%s", target);
	s.seq = seq;
	if (rtt_us < 0)
		s.status = BB_STATUS_TIMEOUT;
	else
		s.rtt_ns = rtt_us * 1000;
	return s;
}

static double raw_double(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *q;
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	double v = sqlite3_column_double(q, 0);
	sqlite3_finalize(q);
	return v;
}

struct agg_list {
	struct store_agg row[8];
	size_t n;
};

static int keep_agg(void *ctx, const struct store_agg *a)
{
	struct agg_list *l = ctx;
	if (l->n == 8)
		return -E2BIG;
	l->row[l->n++] = *a;
	return 0;
}

static void test_rollup(void **state)
{
	struct fixture *f = *state;
	struct store *st = open_rw(f->path);
	struct bb_sample s[400];
	size_t n = 0;
	/* Minute 0, target A: RTT 1..100 ms shuffled, 5 timeouts, one late
	 * annotation, one duplicate and one loss under our own test's load
	 * that must not count. */
	for (int i = 0; i < 100; i++) {
		int v = (i * 37) % 100 + 1;
		s[n++] = probe("A", T0_MS + i * 500, (uint32_t)i, v * 1000);
	}
	for (int i = 0; i < 5; i++)
		s[n++] = probe("A", T0_MS + 50200 + i, 100 + (uint32_t)i, -1);
	s[n] = probe("A", T0_MS + 50200, 100, 7000000);
	s[n++].flags = BB_SAMPLE_LATE;
	s[n] = probe("A", T0_MS + 100, 0, 9000000);
	s[n++].flags = BB_SAMPLE_DUPLICATE;
	s[n] = probe("A", T0_MS + 700, 1000, -1); /* lost to our own test */
	s[n++].flags = BB_SAMPLE_UNDER_LOAD;
	/* Minute 0, target B: 3 values, 1.5 2.5 4.0 ms. */
	s[n++] = probe("B", T0_MS + 1000, 1, 1500);
	s[n++] = probe("B", T0_MS + 2000, 2, 2500);
	s[n++] = probe("B", T0_MS + 3000, 3, 4000);
	/* Minute 1, target A: all lost. */
	s[n++] = probe("A", T0_MS + 60000, 200, -1);
	s[n++] = probe("A", T0_MS + 61000, 201, -1);
	/* Minute 2 (incomplete at "now"). */
	s[n++] = probe("A", T0_MS + 125000, 300, 5000);
	assert_int_equal(store_write_samples(st, s, n), 0);

	int64_t now = T0_MS + 130000;
	assert_int_equal(store_rollup(st, now), 3); /* A0, B0, A1 */
	assert_int_equal(store_rollup(st, now), 0); /* idempotent */
	store_close(st);

	sqlite3 *db;
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM agg_1min"), 3);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM agg_1hour"), 0);
	char sql[300];
#define A0(col)                                                                \
	(snprintf(sql, sizeof(sql),                                            \
		  "SELECT " col " FROM agg_1min WHERE target = 'A' AND"        \
		  " bucket_ms = %lld AND interface = 'eth0' AND"               \
		  " test_type = 'icmp'",                                       \
		  T0_MS),                                                      \
	 raw_double(db, sql))
	assert_true(A0("count") == 105);
	assert_true(A0("lost") == 5);
	assert_true(A0("min") == 1.0);
	assert_true(A0("max") == 100.0);
	assert_true(A0("avg") == 50.5);
	assert_true(A0("p50") == 50.0);
	assert_true(A0("p95") == 95.0);
	assert_true(A0("p99") == 99.0);
#undef A0
	snprintf(sql, sizeof(sql),
		 "SELECT count || ' ' || lost || ' ' || min || ' ' || max ||"
		 " ' ' || round(avg, 3) || ' ' || p50 || ' ' || p95 || ' ' ||"
		 " p99 || ' ' || unit FROM agg_1min WHERE target = 'B'");
	sqlite3_stmt *q;
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	/* nearest rank of 3 values: p50 = 2nd, p95 = p99 = 3rd */
	assert_string_equal((const char *)sqlite3_column_text(q, 0),
			    "3 0 1.5 4.0 2.667 2.5 4.0 4.0 ms");
	sqlite3_finalize(q);
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM agg_1min WHERE target = 'A' AND"
		 " bucket_ms = %lld AND count = 2 AND lost = 2 AND min IS NULL"
		 " AND p99 IS NULL",
		 T0_MS + 60000);
	assert_int_equal(raw_int(db, sql), 1);
	sqlite3_close(db);

	/* Later: minute 2 and the first hour become complete. */
	st = open_rw(f->path);
	assert_int_equal(store_rollup(st, T0_MS + 3600000LL * 2), 1 + 2);
	assert_int_equal(store_rollup(st, T0_MS + 3600000LL * 2), 0);
	store_close(st);
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	/* The hour holds A: 100 + 5 + 2 + 1 probes, B: 3. T0 is 13:06,
	 * so the hour bucket is 13:00. */
	int64_t hour = T0_MS / 3600000 * 3600000;
	snprintf(sql, sizeof(sql),
		 "SELECT count FROM agg_1hour WHERE target = 'A' AND"
		 " bucket_ms = %lld",
		 (long long)hour);
	assert_int_equal(raw_int(db, sql), 108);
	snprintf(sql, sizeof(sql),
		 "SELECT lost FROM agg_1hour WHERE target = 'A'");
	assert_int_equal(raw_int(db, sql), 7);
	snprintf(sql, sizeof(sql),
		 "SELECT p50 * 1000 FROM agg_1hour WHERE target = 'A'");
	/* 101 values: 1..100 and 5 -> sorted rank 51 is 50 */
	assert_int_equal(raw_int(db, sql), 50000);
	sqlite3_close(db);

	/* One series' rows only, by bucket: A's three minutes, not B's. */
	struct agg_list got = { 0 };
	st = open_rw(f->path);
	assert_int_equal(store_read_series_aggs(
				 st, STORE_AGG_1MIN, "eth0", BB_KIND_ICMP, "A",
				 "", T0_MS, T0_MS + 3600000, keep_agg, &got),
			 0);
	assert_int_equal(got.n, 3);
	assert_true(got.row[0].bucket_ms == T0_MS && got.row[0].count == 105 &&
		    got.row[0].lost == 5 && got.row[0].p50 == 50.0);
	assert_true(got.row[1].count == 2 && isnan(got.row[1].p50));
	assert_true(got.row[2].bucket_ms == T0_MS + 120000);
	got.n = 0;
	assert_int_equal(store_read_series_aggs(st, STORE_AGG_1HOUR, "eth0",
						BB_KIND_ICMP, "B", "", 0,
						INT64_MAX, keep_agg, &got),
			 0);
	assert_true(got.n == 1 && got.row[0].count == 3);
	got.n = 0; /* another kind, interface or server: nothing */
	assert_int_equal(store_read_series_aggs(st, STORE_AGG_1MIN, "eth0",
						BB_KIND_DNS, "A", "", 0,
						INT64_MAX, keep_agg, &got),
			 0);
	assert_int_equal(store_read_series_aggs(st, STORE_AGG_1MIN, "eth1",
						BB_KIND_ICMP, "A", "", 0,
						INT64_MAX, keep_agg, &got),
			 0);
	assert_int_equal(store_read_series_aggs(st, STORE_AGG_1MIN, "eth0",
						BB_KIND_ICMP, "A", "srv", 0,
						INT64_MAX, keep_agg, &got),
			 0);
	assert_int_equal(got.n, 0);
	assert_int_equal(store_read_series_aggs(st, 7, "eth0", BB_KIND_ICMP,
						"A", "", 0, INT64_MAX, keep_agg,
						&got),
			 -EINVAL);
	store_close(st);
}

static void read_file(const char *path, char *buf, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	assert_non_null(fp);
	*len = fread(buf, 1, *len, fp);
	fclose(fp);
}

static void expect_refused(const char *path, const char *why)
{
	char err[512] = "";
	struct store *st = store_open(path, STORE_RDWR, err, sizeof(err));
	if (st)
		fail_msg("%s was opened", why);
	assert_non_null(strstr(err, path));
	printf("refused (%s): %s\n", why, err);
}

static void fill_some(const char *path, int nsamples)
{
	struct store *st = open_rw(path);
	struct bb_sample *s = calloc((size_t)nsamples, sizeof(*s));
	for (int i = 0; i < nsamples; i++)
		s[i] = probe("A", T0_MS + i * 1000, (uint32_t)i, 10000 + i);
	assert_int_equal(store_write_samples(st, s, (size_t)nsamples), 0);
	free(s);
	store_close(st); /* last close checkpoints the WAL into the file */
}

static void test_refusals(void **state)
{
	struct fixture *f = *state;
	char path[400], before[65536], after[65536];
	size_t lb, la;

	/* A newer schema version. */
	struct store *st = open_rw(f->path);
	store_close(st);
	raw_exec(f->path, "UPDATE meta SET value = '3' WHERE"
			  " key = 'schema_version'");
	expect_refused(f->path, "newer schema");
	char err[512];
	assert_null(store_open(f->path, STORE_RDONLY, err, sizeof(err)));
	assert_non_null(strstr(err, "newer"));

	/* Garbage bytes: refused and left exactly as they were. */
	snprintf(path, sizeof(path), "%s/garbage.db", f->dir);
	FILE *fp = fopen(path, "wb");
	for (int i = 0; i < 5000; i++)
		fputc((i * 7919) & 0xff, fp);
	fclose(fp);
	lb = sizeof(before);
	read_file(path, before, &lb);
	expect_refused(path, "garbage");
	la = sizeof(after);
	read_file(path, after, &la);
	assert_int_equal(la, lb);
	assert_memory_equal(before, after, la);

	/* Someone else's SQLite database. */
	snprintf(path, sizeof(path), "%s/other.db", f->dir);
	raw_exec(path, "CREATE TABLE photos(x)");
	expect_refused(path, "foreign database");

	/* Truncated to half. */
	snprintf(path, sizeof(path), "%s/trunc.db", f->dir);
	fill_some(path, 3000);
	struct stat sb;
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(truncate(path, sb.st_size / 2), 0);
	expect_refused(path, "truncated");
	assert_int_equal(stat(path, &sb), 0);

	/* Pages after the first overwritten with garbage. */
	snprintf(path, sizeof(path), "%s/corrupt.db", f->dir);
	fill_some(path, 3000);
	int fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	char junk[4096];
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (char)(i * 31 + 7);
	for (off_t off = 4096; off < 4096 * 12; off += 4096)
		assert_int_equal(pwrite(fd, junk, sizeof(junk), off),
				 (ssize_t)sizeof(junk));
	close(fd);
	lb = sizeof(before);
	read_file(path, before, &lb);
	expect_refused(path, "corrupt");
	la = sizeof(after);
	read_file(path, after, &la);
	assert_memory_equal(before, after, la < lb ? la : lb);
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void test_locked(void **state)
{
	struct fixture *f = *state;
	struct store *st = open_rw(f->path);
	store_set_busy_timeout(st, 300);
	struct bb_sample s[50];
	for (int i = 0; i < 50; i++)
		s[i] = probe("A", T0_MS + i * 1000, (uint32_t)i, 10000 + i);
	assert_int_equal(store_write_samples(st, s, 10), 0);

	sqlite3 *other;
	assert_int_equal(sqlite3_open(f->path, &other), SQLITE_OK);
	assert_int_equal(
		sqlite3_exec(other, "BEGIN EXCLUSIVE", NULL, NULL, NULL),
		SQLITE_OK);
	int64_t t0 = now_ms();
	assert_int_equal(store_write_samples(st, s + 10, 40), -EBUSY);
	int64_t waited = now_ms() - t0;
	printf("busy after %lld ms: %s\n", (long long)waited,
	       store_last_error(st));
	assert_true(waited >= 250 && waited < 3000);
	assert_non_null(strstr(store_last_error(st), f->path));
	assert_non_null(strstr(store_last_error(st), "locked"));
	assert_int_equal(sqlite3_exec(other, "COMMIT", NULL, NULL, NULL),
			 SQLITE_OK);
	/* The caller kept the batch; the retry writes all of it once. */
	assert_int_equal(store_write_samples(st, s + 10, 40), 0);
	assert_int_equal(raw_int(other, "SELECT count(*) FROM measurements"),
			 50);
	assert_int_equal(raw_int(other, "SELECT count(DISTINCT seq) FROM"
					" measurements"),
			 50);
	sqlite3_close(other);
	store_close(st);
}

/* A realistic day-like mix: 3 ICMP targets at 1/s, DNS for 2 servers
 * every 10 s, with occasional loss. */
static size_t realistic(struct bb_sample *out, size_t want, uint32_t *rng)
{
	static const char *const icmp[] = { "gateway", "1.1.1.1", "8.8.8.8" };
	static const char *const dns[] = { "1.1.1.1", "8.8.8.8" };
	size_t n = 0;
	int64_t mono0 = 123456789012LL;
	for (int64_t sec = 0; n < want; sec++) {
		for (int t = 0; t < 3 && n < want; t++) {
			*rng = *rng * 1103515245 + 12345;
			struct bb_sample *s = &out[n++];
			sample_init(s, BB_KIND_ICMP);
			int64_t jit = (*rng >> 8) % 3000000; /* spread, ns */
			s->mono_ns =
				mono0 + sec * 1000000000LL + t * 7000000 + jit;
			s->real_ns = s->mono_ns + T0_MS * 1000000 +
				     (int64_t)(*rng % 97);
			s->send_error_ns = 20000 + (int64_t)(*rng % 60000);
			snprintf(s->interface, sizeof(s->interface), "eth0");
			snprintf(s->target, sizeof(s->target), "%s", icmp[t]);
			s->seq = (uint32_t)sec;
			if ((*rng >> 4) % 500 == 0)
				s->status = BB_STATUS_TIMEOUT;
			else
				s->rtt_ns = (t ? 9000000 : 800000) +
					    (int64_t)((*rng >> 3) % 25000000);
		}
		if (sec % 10)
			continue;
		for (int d = 0; d < 2 && n < want; d++) {
			*rng = *rng * 1103515245 + 12345;
			struct bb_sample *s = &out[n++];
			sample_init(s, BB_KIND_DNS);
			s->mono_ns = mono0 + sec * 1000000000LL + 500000000 +
				     d * 3000000;
			s->real_ns = s->mono_ns + T0_MS * 1000000 + 40;
			s->send_error_ns = 30000;
			snprintf(s->interface, sizeof(s->interface), "eth0");
			snprintf(s->target, sizeof(s->target), "%s", dns[d]);
			s->seq = (uint32_t)(sec / 10);
			s->rtt_ns = 12000000 + (int64_t)(*rng % 30000000);
		}
	}
	return n;
}

static void test_bytes_per_sample(void **state)
{
	struct fixture *f = *state;
	enum { N = 100000, BATCH = 1000 };
	struct bb_sample *s = malloc(N * sizeof(*s));
	uint32_t rng = 42;
	assert_int_equal(realistic(s, N, &rng), N);
	struct store *st = open_rw(f->path);
	int64_t empty;
	assert_int_equal(store_db_bytes(st, &empty), 0);
	for (size_t i = 0; i < N; i += BATCH)
		assert_int_equal(store_write_samples(st, s + i, BATCH), 0);
	int64_t bytes;
	assert_int_equal(store_db_bytes(st, &bytes), 0);
	double per = (double)(bytes - empty) / N;
	printf("bytes/sample: %.1f (%lld bytes for %d samples)\n", per,
	       (long long)bytes, N);
	/* blocks: ~8 bytes for this mix (bench_store has the full figures) */
	assert_true(per < 16);
	assert_true(per >
		    2); /* a figure that small means we measured nothing */
	int64_t first, last;
	assert_int_equal(store_time_range(st, &first, &last), 0);
	assert_int_equal(first, s[0].real_ns / 1000000);
	store_close(st);
	free(s);
}

/* The version 1 schema, as store.c created it (one row per sample). */
static const char v1_schema[] =
	"CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
	"CREATE TABLE series(id INTEGER PRIMARY KEY,"
	" interface TEXT NOT NULL, connection_type TEXT NOT NULL,"
	" test_type TEXT NOT NULL, target TEXT NOT NULL,"
	" server_name TEXT NOT NULL,"
	" UNIQUE(interface, connection_type, test_type, target,"
	" server_name));"
	"CREATE TABLE clock_runs(id INTEGER PRIMARY KEY,"
	" offset_ns INTEGER NOT NULL, started_ms INTEGER NOT NULL);"
	"CREATE TABLE samples(ts INTEGER NOT NULL, series INTEGER NOT NULL,"
	" seq INTEGER NOT NULL, code INTEGER NOT NULL, ns INTEGER NOT NULL,"
	" run INTEGER NOT NULL, mono_d INTEGER NOT NULL, send_us INTEGER,"
	" main_us INTEGER, ext TEXT, detail TEXT,"
	" PRIMARY KEY(ts, series, seq, code)) WITHOUT ROWID;"
	"CREATE TABLE events(id INTEGER PRIMARY KEY,"
	" start_ms INTEGER NOT NULL, end_ms INTEGER, kind TEXT NOT NULL,"
	" severity TEXT NOT NULL, interface TEXT NOT NULL DEFAULT '',"
	" target TEXT NOT NULL DEFAULT '',"
	" server_name TEXT NOT NULL DEFAULT '', description TEXT,"
	" metrics TEXT);"
	"CREATE UNIQUE INDEX events_place ON events(start_ms, kind,"
	" interface, target, server_name);"
	"CREATE TABLE agg_1min(bucket_ms INTEGER NOT NULL,"
	" series INTEGER NOT NULL, interface TEXT, connection_type TEXT,"
	" test_type TEXT, target TEXT, server_name TEXT, unit TEXT,"
	" count INTEGER, lost INTEGER, min REAL, max REAL, avg REAL,"
	" p50 REAL, p95 REAL, p99 REAL,"
	" PRIMARY KEY(bucket_ms, series)) WITHOUT ROWID;"
	"CREATE TABLE agg_1hour(bucket_ms INTEGER NOT NULL,"
	" series INTEGER NOT NULL, interface TEXT, connection_type TEXT,"
	" test_type TEXT, target TEXT, server_name TEXT, unit TEXT,"
	" count INTEGER, lost INTEGER, min REAL, max REAL, avg REAL,"
	" p50 REAL, p95 REAL, p99 REAL,"
	" PRIMARY KEY(bucket_ms, series)) WITHOUT ROWID;";

/* Rows of the old layout, made by the plain sqlite3 shell: 600 ICMP probes
 * (a timeout with a detail every 50, under load every 97) and 600 echoes
 * with one-way delays and loss in the JSON column. */
static const char v1_rows[] =
	"INSERT INTO meta VALUES('schema_version', '1'),"
	" ('client_id', '0123456789abcdef');"
	"INSERT INTO series VALUES(1, 'eth0', 'ethernet', 'icmp', 'gateway',"
	" ''), (2, 'eth0', 'ethernet', 'udp_echo', 'vps1', 'vps1');"
	"INSERT INTO clock_runs VALUES(1, 1732000000123456789, 1732539960000);"
	"CREATE VIEW measurements AS SELECT 1 AS timestamp;"
	"WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM c"
	" WHERE i < 599)"
	" INSERT INTO samples SELECT 1732539960000 + i * 1000, 1, i,"
	" (i % 50 = 7) | (CASE WHEN i % 97 = 3 THEN 2048 ELSE 0 END),"
	" 123456 + i, 1, i % 3, 30, CASE WHEN i % 50 = 7 THEN NULL"
	" ELSE 10000 + i * 13 END, NULL,"
	" CASE WHEN i % 50 = 7 THEN 'no reply ' || i END FROM c;"
	"WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM c"
	" WHERE i < 599)"
	" INSERT INTO samples SELECT 1732539960050 + i * 100, 2, 1000 + i, 0,"
	" 777, 1, 0, NULL, 20000 + i % 37 * 100,"
	" json_object('u', 9000 + i % 11, 'd', 10900 + i % 37 * 100 - i % 11,"
	" 'l', i * 10), NULL FROM c;";

static void v1_expect(size_t i, struct bb_sample *w)
{
	if (i < 600) {
		sample_init(w, BB_KIND_ICMP);
		w->real_ns = (1732539960000LL + (int64_t)i * 1000) * 1000000 +
			     123456 + (int64_t)i;
		w->mono_ns =
			w->real_ns - 1732000000123456789LL - (int64_t)(i % 3);
		w->seq = (uint32_t)i;
		w->status = i % 50 == 7;
		w->flags = i % 97 == 3 ? BB_SAMPLE_UNDER_LOAD : 0;
		if (i % 50 == 7)
			snprintf(w->detail, sizeof(w->detail), "no reply %zu",
				 i);
		else
			w->rtt_ns = (10000 + (int64_t)i * 13) * 1000;
		snprintf(w->target, sizeof(w->target), "gateway");
	} else {
		i -= 600;
		sample_init(w, BB_KIND_UDP_ECHO);
		w->real_ns =
			(1732539960050LL + (int64_t)i * 100) * 1000000 + 777;
		w->mono_ns = w->real_ns - 1732000000123456789LL;
		w->seq = 1000 + (uint32_t)i;
		w->rtt_ns = (20000 + (int64_t)(i % 37) * 100) * 1000;
		w->up_delay_ns = (9000 + (int64_t)(i % 11)) * 1000;
		w->down_delay_ns =
			(10900 + (int64_t)(i % 37) * 100 - (int64_t)(i % 11)) *
			1000;
		w->loss_ppm = (int32_t)i * 10;
		snprintf(w->target, sizeof(w->target), "vps1");
		snprintf(w->server, sizeof(w->server), "vps1");
	}
	snprintf(w->interface, sizeof(w->interface), "eth0");
}

static int cmp_real_only(const void *a, const void *b)
{
	const struct bb_sample *x = a, *y = b;
	return (x->real_ns > y->real_ns) - (x->real_ns < y->real_ns);
}

static void check_v1_samples(struct store *st)
{
	struct collect c = { 0 };
	assert_int_equal(store_read_samples(st, 0, INT64_MAX, collect_cb, &c),
			 0);
	assert_int_equal(c.n, 1200);
	struct bb_sample want[1200];
	for (size_t i = 0; i < 1200; i++)
		v1_expect(i, &want[i]);
	qsort(want, 1200, sizeof(*want), cmp_real_only);
	for (size_t i = 0; i < 1200; i++) {
		const struct bb_sample *g = &c.s[i], *w = &want[i];
		assert_int_equal(g->real_ns, us_floor(w->real_ns));
		assert_true(llabs(g->mono_ns - w->mono_ns) < 1000);
		assert_int_equal(g->kind, w->kind);
		assert_string_equal(g->target, w->target);
		assert_string_equal(g->server, w->server);
		assert_string_equal(g->interface, w->interface);
		assert_int_equal(g->seq, w->seq);
		assert_int_equal(g->status, w->status);
		assert_int_equal(g->flags, w->flags);
		assert_int_equal(g->rtt_ns, w->rtt_ns);
		assert_int_equal(g->up_delay_ns, w->up_delay_ns);
		assert_int_equal(g->down_delay_ns, w->down_delay_ns);
		assert_int_equal(g->loss_ppm, w->loss_ppm);
		assert_string_equal(g->detail, w->detail);
	}
	free(c.s);
}

static void test_convert_v1(void **state)
{
	struct fixture *f = *state;
	char path[400], sqlf[400], cmd[1000];
	snprintf(path, sizeof(path), "%s/v1.db", f->dir);
	snprintf(sqlf, sizeof(sqlf), "%s/v1.sql", f->dir);
	FILE *fp = fopen(sqlf, "w");
	assert_non_null(fp);
	fprintf(fp, "%s\n%s\n", v1_schema, v1_rows);
	fclose(fp);
	snprintf(cmd, sizeof(cmd), "sqlite3 '%s' < '%s'", path, sqlf);
	assert_int_equal(system(cmd), 0);

	/* read-only (replay): converted in memory, the file untouched */
	struct stat before, after;
	assert_int_equal(stat(path, &before), 0);
	char err[512];
	struct store *st = store_open(path, STORE_RDONLY, err, sizeof(err));
	if (!st)
		fail_msg("%s", err);
	check_v1_samples(st);
	store_close(st);
	assert_int_equal(stat(path, &after), 0);
	assert_int_equal(after.st_mtime, before.st_mtime);
	assert_int_equal(after.st_size, before.st_size);

	/* read-write: converted in place, once */
	st = open_rw(path);
	assert_string_equal(store_client_id(st), "0123456789abcdef");
	check_v1_samples(st);
	store_close(st);
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(raw_int(db, "SELECT value FROM meta WHERE"
				     " key = 'schema_version'"),
			 STORE_SCHEMA_VERSION);
	assert_int_equal(raw_int(db,
				 "SELECT count(*) FROM sqlite_master"
				 " WHERE name IN ('samples', 'clock_runs')"),
			 0);
	/* the conversion's VACUUM made it give freed pages back */
	assert_int_equal(raw_int(db, "PRAGMA auto_vacuum"), 2);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM measurements"),
			 1200);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM measurements WHERE"
				     " test_type = 'icmp' AND under_load"),
			 7); /* i % 97 == 3 for i < 600 */
	assert_int_equal(raw_int(db, "SELECT count(*) FROM measurements WHERE"
				     " error_detail = 'no reply 57' AND"
				     " status = 'timeout'"),
			 1);
	sqlite3_close(db);
	st = open_rw(path); /* a second open finds version 2: no-op */
	check_v1_samples(st);
	store_close(st);
}

/* Figures that version 1 kept as words in detail come back typed. */
static void test_convert_v1_words(void **state)
{
	struct fixture *f = *state;
	char path[400], sqlf[400], cmd[1000];
	snprintf(path, sizeof(path), "%s/v1w.db", f->dir);
	snprintf(sqlf, sizeof(sqlf), "%s/v1w.sql", f->dir);
	FILE *fp = fopen(sqlf, "w");
	assert_non_null(fp);
	fprintf(fp, "%s\n%s\n", v1_schema,
		"INSERT INTO meta VALUES('schema_version', '1'),"
		" ('client_id', '0123456789abcdef');"
		"INSERT INTO series VALUES(1, 'eth0', 'ethernet', 'udp_echo',"
		" 'vps1', 'vps1'), (2, 'eth0', 'ethernet', 'bufferbloat',"
		" 'vps1', 'vps1');"
		"INSERT INTO clock_runs VALUES(1, 0, 1732539960000);"
		"INSERT INTO samples VALUES"
		" (1732539960000, 1, 1, 1, 0, 1, 0, NULL, NULL, NULL,"
		" 'lost up'),"
		" (1732539960100, 1, 2, 1, 0, 1, 0, NULL, NULL, NULL,"
		" 'lost down'),"
		" (1732539960200, 1, 3, 0, 0, 1, 0, NULL, 21000, NULL,"
		" 'sync q=93 n=40 off=-1234567'),"
		" (1732539960300, 2, 7, 0, 0, 1, 0, NULL, 330000, NULL,"
		" 'up D +308ms rpm=182 owd +306/+1'),"
		" (1732539960400, 2, 7, 2, 0, 1, 0, NULL, NULL, NULL,"
		" 'down no echoes answered');");
	fclose(fp);
	snprintf(cmd, sizeof(cmd), "sqlite3 '%s' < '%s'", path, sqlf);
	assert_int_equal(system(cmd), 0);

	char err[512];
	struct store *st = store_open(path, STORE_RDONLY, err, sizeof(err));
	if (!st)
		fail_msg("%s", err);
	struct collect c = { 0 };
	assert_int_equal(store_read_samples(st, 0, INT64_MAX, collect_cb, &c),
			 0);
	store_close(st);
	assert_int_equal(c.n, 5);
	assert_int_equal(c.s[0].loss_dir, BB_LOSS_UP);
	assert_string_equal(c.s[0].detail, "lost upstream");
	assert_int_equal(c.s[1].loss_dir, BB_LOSS_DOWN);
	assert_int_equal(c.s[2].sync_pct, 93);
	assert_int_equal(c.s[2].sync_n, 40);
	/* kept to the microsecond */
	assert_true(llabs(c.s[2].clock_offset_ns + 1234567) < 1000);
	assert_string_equal(c.s[2].detail, "");
	assert_int_equal(c.s[3].load_phase, BB_PHASE_UP);
	assert_int_equal(c.s[3].bloat.increase_ns, 308000000);
	assert_int_equal(c.s[3].bloat.idle_p50_ns, 22000000);
	assert_int_equal(c.s[3].bloat.rpm, 182);
	assert_int_equal(c.s[3].bloat.up_inc_ns, 306000000);
	assert_int_equal(c.s[3].bloat.down_inc_ns, 1000000);
	assert_string_equal(c.s[3].detail, "");
	assert_int_equal(c.s[4].load_phase, BB_PHASE_DOWN);
	assert_int_equal(c.s[4].status, BB_STATUS_ERROR);
	assert_string_equal(c.s[4].detail, "no echoes answered");
	free(c.s);
}

/* The measurements view read by the plain sqlite3 shell (no extension):
 * every value of 3000 written samples across many blocks, exactly. */
static void test_view_in_shell(void **state)
{
	struct fixture *f = *state;
	enum { N = 3000 };
	struct bb_sample *in = calloc(N, sizeof(*in));
	uint32_t rng = 7;
	for (size_t i = 0; i < N; i++) {
		struct bb_sample *s = &in[i];
		rng = rng * 1103515245 + 12345;
		int echo = i % 3 != 0;
		sample_init(s, echo ? BB_KIND_UDP_ECHO : BB_KIND_ICMP);
		s->mono_ns = 5000000000LL + (int64_t)i * 33000000 +
			     (int64_t)(rng % 90000);
		s->real_ns = s->mono_ns + T0_MS * 1000000;
		snprintf(s->interface, sizeof(s->interface), "eth0");
		snprintf(s->target, sizeof(s->target), echo ? "vps1" : "gw");
		if (echo)
			snprintf(s->server, sizeof(s->server), "vps1");
		s->seq = 4294967000u + (uint32_t)i; /* wraps */
		if (rng % 41 == 0) {
			s->status = BB_STATUS_TIMEOUT;
			s->loss_dir = echo ? BB_LOSS_UP : 0;
		} else if (rng % 53 == 0) {
			s->status = BB_STATUS_ERROR;
			snprintf(s->detail, sizeof(s->detail), "err 'x' %zu",
				 i);
		} else {
			s->rtt_ns = 1000000 + (int64_t)(rng % 90000000);
			if (echo) {
				s->up_delay_ns = s->rtt_ns / 3 + 1234;
				s->down_delay_ns = s->rtt_ns / 2;
				s->sync_pct = (int8_t)(80 + rng % 20);
				s->clock_offset_ns = -5000000 + (int64_t)i;
			}
		}
		if (rng % 17 == 0) {
			s->flags |= BB_SAMPLE_UNDER_LOAD;
			s->load_phase = BB_PHASE_UP;
		}
	}
	struct store *st = open_rw(f->path);
	for (size_t i = 0; i < N; i += 100) /* as the recorder: batches */
		assert_int_equal(store_write_samples(st, in + i, 100), 0);
	store_close(st);

	char cmd[1200];
	snprintf(cmd, sizeof(cmd),
		 "sqlite3 -readonly '%s' \"SELECT timestamp, monotonic_ns,"
		 " test_type, target, server_name, seq,"
		 " coalesce(CAST(round(rtt_ms * 1000) AS INTEGER), '-'),"
		 " coalesce(CAST(round(up_delay_ms * 1000) AS INTEGER), '-'),"
		 " coalesce(CAST(round(down_delay_ms * 1000) AS INTEGER),"
		 " '-'), status, coalesce(error_detail, '-'), flags,"
		 " coalesce(loss_direction, '-'), coalesce(load_phase, '-'),"
		 " coalesce(sync_pct, '-'),"
		 " coalesce(CAST(round(clock_offset_ms * 1000) AS INTEGER),"
		 " '-') FROM measurements ORDER BY timestamp, seq\"",
		 f->path);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	char line[512], want[512];
	size_t n = 0;
	while (fgets(line, sizeof(line), p)) {
		assert_true(n < N);
		const struct bb_sample *s = &in[n++];
		char rtt[24] = "-", up[24] = "-", dn[24] = "-", off[24] = "-",
		     sync[8] = "-";
		if (s->rtt_ns != BB_NONE)
			snprintf(rtt, sizeof(rtt), "%lld",
				 (long long)us_round(s->rtt_ns) / 1000);
		if (s->up_delay_ns != BB_NONE)
			snprintf(up, sizeof(up), "%lld",
				 (long long)us_round(s->up_delay_ns) / 1000);
		if (s->down_delay_ns != BB_NONE)
			snprintf(dn, sizeof(dn), "%lld",
				 (long long)us_round(s->down_delay_ns) / 1000);
		if (s->clock_offset_ns != BB_NONE)
			snprintf(off, sizeof(off), "%lld",
				 (long long)us_round(s->clock_offset_ns) /
					 1000);
		if (s->sync_pct >= 0)
			snprintf(sync, sizeof(sync), "%d", s->sync_pct);
		/* monotonic_ns: the clocks' difference is 5 s + T0 exactly,
		 * so mono comes back truncated to the µs */
		snprintf(
			want, sizeof(want),
			"%lld|%lld|%s|%s|%s|%u|%s|%s|%s|%s|%s|%u|%s|%s|%s|%s\n",
			(long long)(s->real_ns / 1000000),
			(long long)us_floor(s->mono_ns),
			sample_kind_name(s->kind), s->target, s->server, s->seq,
			rtt, up, dn, sample_status_name(s->status),
			s->detail[0] ? s->detail : "-", s->flags,
			s->loss_dir == BB_LOSS_UP ? "up" : "-",
			s->load_phase == BB_PHASE_UP ? "up" : "-", sync, off);
		assert_string_equal(line, want);
	}
	assert_int_equal(pclose(p), 0);
	assert_int_equal(n, N);
	free(in);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_schema, setup, teardown),
		cmocka_unit_test_setup_teardown(test_round_trip, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_hops, setup, teardown),
		cmocka_unit_test_setup_teardown(test_events, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rollup, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_locked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_convert_v1, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_convert_v1_words, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_view_in_shell, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_bytes_per_sample, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
