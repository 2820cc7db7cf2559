// SPDX-License-Identifier: MIT
/*
 * Retention against real SQLite files: a 40-day database built with the
 * store API and a fake "now", purged in bounded steps, must keep exactly
 * what the horizons say, per table; raw samples wait for their rollups; and
 * a compressed-time loop (a simulated day of writes, then the purge) shows
 * the file stops growing at the horizon, with and without auto_vacuum.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "core/analysis/event.h"
#include "core/base/sample.h"
#include "core/store/store.h"

#define DAY_MS	 86400000LL
#define T0_MS	 1732536000000LL /* 2024-11-25 12:00:00 UTC, hour aligned */
#define STEP_MS	 20000		 /* one probe per series every 20 s */
#define NSERIES	 2
#define DAYS	 40
#define PER_DAY	 (DAY_MS / STEP_MS)
#define NOW_MS	 (T0_MS + DAYS * DAY_MS)
#define MAX_ROWS 100

struct fixture {
	char dir[256];
	char path[320];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/bb-test-retention.XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/bb.db", f->dir);
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

static int64_t sql_int(const char *path, const char *fmt, ...)
{
	char sql[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	sqlite3 *db;
	sqlite3_stmt *q;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	int64_t v = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	sqlite3_close(db);
	return v;
}

/* Samples of series 0..NSERIES-1 at t0 + k * STEP_MS, k in [0, n); every
 * 50th times out with a detail word (a sample_extra row). */
static void write_span(struct store *st, int64_t t0, int64_t n, int nseries)
{
	static struct bb_sample buf[1000];
	size_t nb = 0;
	for (int64_t k = 0; k < n; k++) {
		for (int s = 0; s < nseries; s++) {
			struct bb_sample *x = &buf[nb++];
			int64_t ms = t0 + k * STEP_MS;
			sample_init(x, BB_KIND_ICMP);
			x->real_ns = ms * 1000000;
			x->mono_ns = x->real_ns - 1000;
			snprintf(x->interface, sizeof(x->interface), "eth0");
			snprintf(x->target, sizeof(x->target), "198.18.0.%d",
				 10 + s);
			x->seq = (uint32_t)((ms - T0_MS) / STEP_MS);
			if (k % 50 == 7) {
				x->status = BB_STATUS_TIMEOUT;
				snprintf(x->detail, sizeof(x->detail),
					 "no reply");
			} else {
				x->rtt_ns = (10000 + k % 700) * 1000;
			}
			if (nb == 1000) {
				assert_int_equal(
					store_write_samples(st, buf, nb), 0);
				nb = 0;
			}
		}
	}
	if (nb)
		assert_int_equal(store_write_samples(st, buf, nb), 0);
}

/* One 10-min event a day at 01:00 after T0's day boundary, and one that
 * never ended, from the first day. */
static void write_events(struct store *st)
{
	for (int d = 0; d <= DAYS; d++) {
		struct bb_event ev = { 0 };
		ev.start_ms = T0_MS + d * DAY_MS + 3600000;
		ev.end_ms = d == DAYS ? 0 : ev.start_ms + 600000;
		if (d == DAYS)
			ev.start_ms = T0_MS + 60000; /* ongoing since day 0 */
		snprintf(ev.kind, sizeof(ev.kind), "packet_loss");
		ev.severity = BB_SEV_WARNING;
		snprintf(ev.target, sizeof(ev.target), "198.18.0.10");
		snprintf(ev.description, sizeof(ev.description), "day %d", d);
		assert_true(store_event_write(st, &ev) > 0);
	}
}

struct count_ctx {
	int64_t n, first_ms;
};

static int count_cb(void *ctx, const struct bb_sample *s)
{
	struct count_ctx *c = ctx;
	int64_t ms = s->real_ns / 1000000;
	if (!c->n || ms < c->first_ms)
		c->first_ms = ms;
	c->n++;
	return 0;
}

/* Purge in bounded steps until done; every step within the budget. */
static void purge_all(struct store *st, const struct store_purge *p,
		      struct store_purge_count *tot)
{
	int rc, steps = 0;
	memset(tot, 0, sizeof(*tot));
	do {
		struct store_purge_count d = { 0 };
		rc = store_purge_step(st, p, MAX_ROWS, &d);
		assert_true(rc >= 0);
		assert_true(d.blocks + d.min1 + d.hours + d.events <= MAX_ROWS);
		tot->blocks += d.blocks;
		tot->samples += d.samples;
		tot->extras += d.extras;
		tot->min1 += d.min1;
		tot->hours += d.hours;
		tot->events += d.events;
		tot->raw_until_ms = d.raw_until_ms;
		steps++;
	} while (rc == 1);
	assert_true(steps > 1); /* the budget really bounds a step */
}

static void test_exact(void **state)
{
	struct fixture *f = *state;
	struct store *st = open_rw(f->path);
	write_span(st, T0_MS, DAYS * PER_DAY, NSERIES);
	write_events(st);
	assert_true(store_rollup(st, NOW_MS) > 0);

	int64_t blocks0 = sql_int(f->path, "SELECT count(*) FROM blocks");
	int64_t extra0 = sql_int(f->path, "SELECT count(*) FROM sample_extra");
	/* raw 30 days, 1-min rollups 35, 1-hour 38, events 33 */
	struct store_purge p;
	store_purge_horizon(&p, NOW_MS, 30, 35, 38, 33);
	assert_int_equal(p.raw_ms, T0_MS + 10 * DAY_MS);

	struct store_purge_count pre;
	assert_int_equal(store_purge_count(st, &p, &pre), 0);
	assert_int_equal(pre.raw_until_ms, p.raw_ms);
	assert_int_equal(pre.first_ms, T0_MS);
	assert_true(pre.bytes > 0);

	struct store_purge_count tot;
	purge_all(st, &p, &tot);
	/* the preview counted exactly what went */
	assert_int_equal(tot.blocks, pre.blocks);
	assert_int_equal(tot.samples, pre.samples);
	assert_int_equal(tot.extras, pre.extras);
	assert_int_equal(tot.min1, pre.min1);
	assert_int_equal(tot.hours, pre.hours);
	assert_int_equal(tot.events, pre.events);

	/* raw: every sample from the cut-off on stays, exactly; before it
	 * only those sharing a block (<= 60 s) with a later one */
	struct count_ctx after = { 0 }, before = { 0 };
	assert_int_equal(
		store_read_samples(st, p.raw_ms, INT64_MAX, count_cb, &after),
		0);
	assert_int_equal(after.n, 30 * PER_DAY * NSERIES);
	assert_int_equal(store_read_samples(st, 0, p.raw_ms, count_cb, &before),
			 0);
	assert_true(before.n <= 3 * NSERIES);
	if (before.n)
		assert_true(before.first_ms >= p.raw_ms - 60000);
	assert_int_equal(tot.samples + after.n + before.n,
			 DAYS * PER_DAY * NSERIES);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM blocks"),
			 blocks0 - tot.blocks);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM sample_extra"),
			 extra0 - tot.extras);
	/* no detail row is left without its block */
	assert_int_equal(sql_int(f->path,
				 "SELECT count(*) FROM sample_extra WHERE"
				 " block NOT IN (SELECT id FROM blocks)"),
			 0);
	/* 1-min rollups: the last 35 days of minutes, per series */
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM agg_1min"),
			 35 * 1440 * NSERIES);
	assert_int_equal(
		sql_int(f->path, "SELECT min(bucket_ms) FROM agg_1min"),
		NOW_MS - 35 * DAY_MS);
	/* 1-hour rollups: the last 38 days of hours */
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM agg_1hour"),
			 38 * 24 * NSERIES);
	assert_int_equal(
		sql_int(f->path, "SELECT min(bucket_ms) FROM agg_1hour"),
		NOW_MS - 38 * DAY_MS);
	/* events: days 0..6 ended before the 33-day horizon (T0 + 7 d);
	 * the ongoing one stays whatever its age */
	assert_int_equal(tot.events, 7);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM events"),
			 DAYS + 1 - 7);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM events WHERE"
					  " end_ms IS NULL"),
			 1);
	assert_int_equal(
		sql_int(f->path,
			"SELECT count(*) FROM events WHERE end_ms < %lld",
			(long long)p.events_ms),
		0);
	/* stats can tell where raw samples end */
	char val[32];
	assert_int_equal(
		store_meta_get(st, "raw_deleted_before", val, sizeof(val)), 0);
	assert_int_equal(strtoll(val, NULL, 10), p.raw_ms);

	/* a second pass finds nothing */
	struct store_purge_count again = { 0 };
	assert_int_equal(store_purge_step(st, &p, MAX_ROWS, &again), 0);
	assert_int_equal(again.blocks + again.min1 + again.hours + again.events,
			 0);
	/* a new file gives the pages back */
	assert_int_equal(store_auto_vacuum(st), 2);
	int64_t free0 = sql_int(f->path, "PRAGMA freelist_count");
	assert_true(free0 > 0);
	int64_t pages0 = sql_int(f->path, "PRAGMA page_count"), left = -1;
	while (store_reclaim(st, 256, &left) > 0)
		;
	assert_int_equal(left, 0);
	/* the file shrank by the free pages (a pointer-map page may stay) */
	assert_true(sql_int(f->path, "PRAGMA page_count") <=
		    pages0 - free0 + 1);
	store_close(st);
}

/* Raw samples never go before the rollups that outlive them exist. */
static void test_rollups_first(void **state)
{
	struct fixture *f = *state;
	struct store *st = open_rw(f->path);
	write_span(st, T0_MS, 3 * PER_DAY, 1);
	struct store_purge p;
	store_purge_horizon(&p, T0_MS + 3 * DAY_MS, 1, 0, 0, 0);
	struct store_purge_count d;
	/* nothing rolled up yet: nothing raw goes */
	assert_int_equal(store_purge_count(st, &p, &d), 0);
	assert_int_equal(d.blocks, 0);
	assert_int_equal(d.raw_until_ms, 0);
	assert_int_equal(store_purge_step(st, &p, MAX_ROWS, NULL), 0);
	assert_int_equal(sql_int(f->path,
				 "SELECT count(*) FROM measurements"
				 " WHERE timestamp < %lld",
				 (long long)p.raw_ms),
			 2 * PER_DAY);
	/* rolled up to T0 + 1 day: raw goes up to there only */
	assert_true(store_rollup(st, T0_MS + DAY_MS) > 0);
	memset(&d, 0, sizeof(d));
	while (store_purge_step(st, &p, MAX_ROWS, &d) == 1)
		;
	assert_int_equal(d.raw_until_ms, T0_MS + DAY_MS);
	assert_int_equal(sql_int(f->path,
				 "SELECT count(*) FROM measurements"
				 " WHERE timestamp >= %lld",
				 (long long)(T0_MS + DAY_MS)),
			 2 * PER_DAY);
	assert_true(
		sql_int(f->path, "SELECT min(timestamp) FROM measurements") >=
		T0_MS + DAY_MS - 60000);
	/* cutting the rollups as far (cleanup without keeping them) does not
	 * wait for them */
	p.min1_ms = p.hour_ms = p.raw_ms;
	assert_int_equal(store_purge_count(st, &p, &d), 0);
	assert_int_equal(d.raw_until_ms, p.raw_ms);
	store_close(st);
}

/* A simulated day of writes and rollups, then the purge, 16 times with a
 * 4-day horizon everywhere: past the horizon the file must stop growing.
 * vacuum = 0 makes the file the way older versions did (no auto_vacuum):
 * it keeps its size and reuses the free pages. */
static void horizon_loop(struct fixture *f, int vacuum)
{
	if (!vacuum) {
		/* a file as the versions before retention made them */
		store_close(open_rw(f->path));
		sqlite3 *db;
		assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
		assert_int_equal(sqlite3_exec(db,
					      "PRAGMA auto_vacuum = NONE;"
					      " VACUUM;",
					      NULL, NULL, NULL),
				 SQLITE_OK);
		sqlite3_close(db);
	}
	struct store *st = open_rw(f->path);
	assert_int_equal(store_auto_vacuum(st), vacuum ? 2 : 0);
	int64_t size[17] = { 0 };
	struct stat sb;
	char wal[400];
	snprintf(wal, sizeof(wal), "%s-wal", f->path);
	for (int d = 0; d < 16; d++) {
		int64_t day0 = T0_MS + d * DAY_MS;
		write_span(st, day0, PER_DAY / 2, 4); /* 40 s: 8640 a day */
		assert_true(store_rollup(st, day0 + DAY_MS) > 0);
		struct store_purge p;
		store_purge_horizon(&p, day0 + DAY_MS, 4, 4, 4, 4);
		while (store_purge_step(st, &p, 256, NULL) == 1)
			;
		while (store_reclaim(st, 256, NULL) > 0)
			;
		/* the bytes a copy would take: the main file after a
		 * checkpoint (the WAL is scratch) */
		sqlite3 *db;
		assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
		sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL,
			     NULL);
		sqlite3_close(db);
		assert_int_equal(stat(f->path, &sb), 0);
		size[d] = sb.st_size;
	}
	print_message("file size by day (%s): ",
		      vacuum ? "incremental vacuum" : "no auto_vacuum");
	for (int d = 0; d < 16; d++)
		print_message("%lld%s", (long long)size[d] / 1024,
			      d == 15 ? " KB\n" : " ");
	/* grew while filling the horizon (days 0..3) ... */
	assert_true(size[3] > size[0] * 3);
	/* ... then stays within half a day's worth of its size there */
	int64_t day_bytes = (size[3] - size[0]) / 3;
	for (int d = 5; d < 16; d++)
		assert_true(size[d] <= size[4] + day_bytes / 2);
	assert_int_equal(sql_int(f->path, "SELECT count(*) FROM events"), 0);
	assert_true(sql_int(f->path, "SELECT min(bucket_ms) FROM agg_1min") >=
		    T0_MS + 16 * DAY_MS - 4 * DAY_MS - 60000);
	store_close(st);
}

static void test_horizon_vacuum(void **state)
{
	horizon_loop(*state, 1);
}

static void test_horizon_old_file(void **state)
{
	horizon_loop(*state, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_exact, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rollups_first, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_horizon_vacuum, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_horizon_old_file, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
