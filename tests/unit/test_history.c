// SPDX-License-Identifier: MIT
/*
 * The period summary behind `stats` and `report`, over a real SQLite file
 * written through the real store API: three days of known synthetic
 * samples (two ICMP series, DNS, throughput and bufferbloat tests, a late
 * reply that must not count) plus events.  Expected counts, loss and
 * nearest-rank percentiles are computed here from the generated values,
 * independently of the code under test; the rollup path must give the same
 * counts, loss, min, max, throughput and bloat and percentiles close to
 * the exact ones.  Also: the verdict's wording, the time arguments,
 * refusing bad files, and escaping in every output format.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "core/base/clock.h"
#include "core/analysis/event.h"
#include "core/store/history.h"
#include "core/store/report.h"
#include "core/base/sample.h"
#include "core/store/store.h"

#define T_END	1767225600000LL /* 2026-01-01 00:00 UTC, hour aligned */
#define DAYS	3
#define MINUTES (DAYS * 1440)
#define T_START (T_END - DAYS * 86400000LL)
#define MAXV	MINUTES

struct fixture {
	char dir[256];
	char path[320];
	/* the generated answered values (us) and losses per delay series */
	int64_t v[3][MAXV];
	size_t nv[3];
	int64_t sent[3], lost[3];
};

/* Series 0: icmp 1.1.1.1, 1..100 ms cycling, +100 ms in the evening (local
 * 18..23 h, TZ=UTC), every 50th lost.  Series 1: icmp 9.9.9.9, another
 * cycle that often repeats series 0's value in the same minute (the rollup
 * naming must cope), every 30th lost.  Series 2: dns 8.8.8.8, never lost. */
static int64_t rtt_us(int s, int64_t i, int *lost)
{
	int hour = (int)((i / 60) % 24);
	*lost = (s == 0 && i % 50 == 7) || (s == 1 && i % 30 == 11);
	switch (s) {
	case 0:
		return (1 + i % 100) * 1000 + 123 + (hour >= 18 ? 100000 : 0);
	case 1:
		return (1 + (i * 7) % 100) * 1000 + 123;
	default:
		return 5000 + (i % 37) * 250;
	}
}

static void put(struct bb_sample *s, int kind, int64_t ms, const char *target,
		const char *server)
{
	sample_init(s, kind);
	s->real_ns = ms * BB_NS_PER_MS;
	s->mono_ns = s->real_ns - T_START * BB_NS_PER_MS + BB_NS_PER_S;
	snprintf(s->interface, sizeof(s->interface), "eth0");
	snprintf(s->target, sizeof(s->target), "%s", target);
	snprintf(s->server, sizeof(s->server), "%s", server);
}

/* A bufferbloat result of phase PH: increase INC_MS at RPM, or a failed
 * test (ok = 0, words only). */
static void bloat(struct bb_sample *s, int64_t ms, enum bb_load_phase ph,
		  int inc_ms, int rpm, int ok)
{
	put(s, BB_KIND_BUFFERBLOAT, ms, "srv", "lab");
	s->status = ok ? BB_STATUS_OK : BB_STATUS_ERROR;
	s->load_phase = (uint8_t)ph;
	if (ok) {
		s->rtt_ns = 300 * BB_NS_PER_MS;
		s->bloat.increase_ns = inc_ms * BB_NS_PER_MS;
		s->bloat.rpm = rpm;
	} else {
		snprintf(s->detail, sizeof(s->detail), "no echoes answered");
	}
}

static void event(struct store *st, int64_t start, int64_t dur,
		  const char *kind, int sev, const char *desc,
		  const char *metrics)
{
	struct bb_event ev = { 0 };
	ev.start_ms = start;
	ev.end_ms = dur ? start + dur : 0;
	ev.severity = (uint8_t)sev;
	snprintf(ev.kind, sizeof(ev.kind), "%s", kind);
	snprintf(ev.interface, sizeof(ev.interface), "eth0");
	snprintf(ev.target, sizeof(ev.target), "1.1.1.1");
	snprintf(ev.description, sizeof(ev.description), "%s", desc);
	snprintf(ev.metrics, sizeof(ev.metrics), "%s", metrics);
	assert_true(store_event_write(st, &ev) > 0);
}

static const char *const names[3] = { "1.1.1.1", "9.9.9.9", "8.8.8.8" };

static void build(struct fixture *f)
{
	char err[512] = "";
	struct store *st = store_open(f->path, STORE_RDWR, err, sizeof(err));
	assert_non_null(st);
	struct bb_sample *buf = calloc(MINUTES * 4 + 64, sizeof(*buf));
	assert_non_null(buf);
	size_t n = 0;
	for (int64_t i = 0; i < MINUTES; i++) {
		int64_t ms = T_START + i * 60000 + 1000;
		for (int s = 0; s < 3; s++) {
			int lost;
			int64_t us = rtt_us(s, i, &lost);
			struct bb_sample *m = &buf[n++];
			put(m, s == 2 ? BB_KIND_DNS : BB_KIND_ICMP, ms + s * 10,
			    names[s], "");
			m->seq = (uint32_t)i;
			f->sent[s]++;
			if (lost) {
				m->status = BB_STATUS_TIMEOUT;
				f->lost[s]++;
			} else {
				m->rtt_ns = us * BB_NS_PER_US;
				f->v[s][f->nv[s]++] = us;
			}
		}
		if (i == 100) { /* a late reply: not a probe of its own */
			struct bb_sample *m = &buf[n++];
			put(m, BB_KIND_ICMP, ms + 500, names[0], "");
			m->flags = BB_SAMPLE_LATE;
			m->rtt_ns = 900 * BB_NS_PER_MS;
		}
	}
	/* upload tests: 10000, 20000, 15000 kbit/s and one failure */
	static const int64_t up[] = { 10000, 20000, 15000, -1 };
	for (int k = 0; k < 4; k++) {
		struct bb_sample *m = &buf[n++];
		put(m, BB_KIND_UPLOAD,
		    T_START + 3600000LL * (5 + 10 * k) + 30000, "srv", "lab");
		if (up[k] < 0) {
			m->status = BB_STATUS_ERROR;
		} else {
			m->throughput_kbps = up[k];
		}
	}
	/* bloat: worst up +290 ms (D), latest up +150 ms (C), down fine */
	bloat(&buf[n++], T_START + 10 * 3600000LL + 45000, BB_PHASE_UP, 290,
	      190, 1);
	bloat(&buf[n++], T_START + 20 * 3600000LL + 45000, BB_PHASE_UP, 150,
	      300, 1);
	bloat(&buf[n++], T_START + 20 * 3600000LL + 46000, BB_PHASE_DOWN, 4,
	      3000, 1);
	bloat(&buf[n++], T_START + 30 * 3600000LL + 45000, BB_PHASE_UP, 0, 0,
	      0);
	assert_int_equal(store_write_samples(st, buf, n), 0);
	free(buf);

	/* three loss bursts, the longest 8 s; a critical spike; an info */
	event(st, T_START + 3600000LL, 3000, "packet_loss", BB_SEV_WARNING,
	      "Loss bursts.", "{\"pattern\":\"burst\",\"bursts\":2}");
	event(st, T_START + 26 * 3600000LL + 14 * 60000, 8000, "packet_loss",
	      BB_SEV_WARNING, "Loss bursts.", "{\"pattern\":\"burst\"}");
	event(st, T_START + 50 * 3600000LL, 5000, "packet_loss", BB_SEV_WARNING,
	      "Loss bursts.", "{\"pattern\":\"burst\"}");
	event(st, T_START + 40 * 3600000LL, 20000, "latency_spike",
	      BB_SEV_CRITICAL, "Spike \"x\" <script>&| `y`", "{}");
	event(st, T_START + 2 * 3600000LL, 0, "gateway_change", BB_SEV_INFO,
	      "Gateway moved.", "{}");
	assert_true(store_rollup(st, T_END + 7200000LL) > 0);
	store_close(st);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/bb-test-history.XXXXXX");
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

static int cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* Nearest rank, written out: the smallest value with at least p % of the
 * values at or below it. */
static double expect_pct(const int64_t *sorted, size_t n, double p)
{
	for (size_t i = 0; i < n; i++)
		if ((double)(i + 1) * 100.0 >= p * (double)n)
			return (double)sorted[i] / 1000.0;
	return NAN;
}

static const struct history_series *find(const struct history_summary *s,
					 int kind, const char *target)
{
	for (size_t i = 0; i < s->nseries; i++)
		if (s->series[i].kind == kind &&
		    !strcmp(s->series[i].target, target))
			return &s->series[i];
	return NULL;
}

static struct store *open_ro(const char *path)
{
	struct store *st = NULL;
	char err[512];
	assert_int_equal(history_open(path, &st, err, sizeof(err)), 0);
	return st;
}

static void check_exact_delays(struct fixture *f,
			       const struct history_summary *s, int64_t from_i)
{
	for (int k = 0; k < 3; k++) {
		const struct history_series *e =
			find(s, k == 2 ? BB_KIND_DNS : BB_KIND_ICMP, names[k]);
		assert_non_null(e);
		assert_string_equal(e->interface, "eth0");
		/* recompute over minutes from_i.. (the period's start) */
		int64_t *v = malloc(MAXV * sizeof(*v));
		size_t n = 0;
		int64_t sent = 0, lost = 0;
		for (int64_t i = from_i; i < MINUTES; i++) {
			int l;
			int64_t us = rtt_us(k, i, &l);
			sent++;
			if (l)
				lost++;
			else
				v[n++] = us;
		}
		qsort(v, n, sizeof(*v), cmp64);
		assert_int_equal(e->sent, sent);
		assert_int_equal(e->lost, lost);
		assert_float_equal(e->loss_pct, 100.0 * lost / sent, 1e-9);
		assert_float_equal(e->min_ms, v[0] / 1000.0, 1e-9);
		assert_float_equal(e->max_ms, v[n - 1] / 1000.0, 1e-9);
		if (!e->approx) {
			assert_float_equal(e->p50_ms, expect_pct(v, n, 50),
					   1e-9);
			assert_float_equal(e->p95_ms, expect_pct(v, n, 95),
					   1e-9);
			assert_float_equal(e->p99_ms, expect_pct(v, n, 99),
					   1e-9);
		} else {
			/* estimates from hourly rollups: close, not equal */
			assert_float_equal(e->p50_ms, expect_pct(v, n, 50),
					   3.0);
			assert_float_equal(e->p95_ms, expect_pct(v, n, 95),
					   3.0);
			assert_float_equal(e->p99_ms, expect_pct(v, n, 99),
					   3.0);
		}
		free(v);
	}
}

static void check_rare(const struct history_summary *s)
{
	const struct history_series *u = find(s, BB_KIND_UPLOAD, "srv");
	assert_non_null(u);
	assert_int_equal(u->sent, 4);
	assert_int_equal(u->lost, 1);
	assert_float_equal(u->tput_median_kbps, 15000, 0); /* rank 2 of 3 */
	assert_float_equal(u->tput_min_kbps, 10000, 0);
	assert_float_equal(u->tput_max_kbps, 20000, 0);
	assert_int_equal(s->nbloat, 2);
	const struct history_bloat *up = NULL, *down = NULL;
	for (size_t i = 0; i < s->nbloat; i++) {
		if (!strcmp(s->bloat[i].direction, "up"))
			up = &s->bloat[i];
		if (!strcmp(s->bloat[i].direction, "down"))
			down = &s->bloat[i];
	}
	assert_non_null(up);
	assert_non_null(down);
	assert_string_equal(up->server, "lab");
	assert_int_equal(up->tests, 3);
	assert_int_equal(up->failed, 1);
	assert_float_equal(up->worst_inc_ms, 290, 0);
	assert_string_equal(up->worst_grade, "D");
	assert_float_equal(up->worst_rpm, 190, 0);
	assert_int_equal(up->worst_ms, T_START + 10 * 3600000LL + 45000);
	assert_float_equal(up->latest_inc_ms, 150, 0);
	assert_string_equal(up->latest_grade, "C");
	assert_float_equal(down->worst_inc_ms, 4, 0);
	assert_string_equal(down->worst_grade, "A+");
}

static void check_events(const struct history_summary *s)
{
	assert_int_equal(s->nevents, 5);
	assert_int_equal(s->events_by_severity[BB_SEV_WARNING], 3);
	assert_int_equal(s->events_by_severity[BB_SEV_CRITICAL], 1);
	assert_int_equal(s->events_by_severity[BB_SEV_INFO], 1);
	const struct history_kind_count *pl = NULL;
	for (size_t i = 0; i < s->nkinds; i++)
		if (!strcmp(s->kinds[i].kind, "packet_loss"))
			pl = &s->kinds[i];
	assert_non_null(pl);
	assert_int_equal(pl->count, 3);
	assert_int_equal(pl->burst, 3);
	assert_int_equal(pl->longest_ms, 8000);
	assert_int_equal(pl->longest_start_ms,
			 T_START + 26 * 3600000LL + 14 * 60000);
}

static void test_exact_figures(void **state)
{
	struct fixture *f = *state;
	build(f);
	struct store *st = open_ro(f->path);
	struct history_summary s;
	assert_int_equal(
		history_summarize(st, T_START, T_END, HISTORY_EXACT, &s), 0);
	assert_int_equal(s.approx, 0);
	assert_int_equal(s.nseries, 5); /* 2 icmp, dns, upload, bloat */
	check_exact_delays(f, &s, 0);
	check_rare(&s);
	check_events(&s);
	assert_int_equal(s.first_ms, T_START + 1000);
	assert_int_equal(s.samples, 3 * MINUTES + 4 + 4);
	/* the default decides by size: this small period is read raw */
	history_summary_fini(&s);
	assert_int_equal(
		history_summarize(st, T_START, T_END, HISTORY_AUTO, &s), 0);
	assert_int_equal(s.approx, 0);
	history_summary_fini(&s);
	store_close(st);
}

/* From 00:30 on the first day: half an hour raw, then whole hours from
 * the rollups; every series is named from the 1-min rollups. */
static void test_rollups(void **state)
{
	struct fixture *f = *state;
	build(f);
	struct store *st = open_ro(f->path);
	struct history_summary s;
	int64_t from = T_START + 30 * 60000;
	assert_int_equal(
		history_summarize(st, from, T_END, HISTORY_ROLLUPS, &s), 0);
	assert_int_equal(s.approx, 1);
	assert_int_equal(s.approx_from_ms, T_START + 3600000);
	assert_int_equal(s.approx_to_ms, T_END);
	assert_int_equal(s.nseries, 5);
	for (size_t i = 0; i < s.nseries; i++)
		assert_null(strstr(s.series[i].target, "series #"));
	assert_true(find(&s, BB_KIND_ICMP, names[0])->approx);
	check_exact_delays(f, &s, 30);
	check_rare(&s);
	assert_true(s.have_peak);
	assert_true(s.peak.degraded);
	assert_false(s.peak_short);
	history_summary_fini(&s);
	/* an hour of the same recording says nothing of its evenings (it
	 * once reported the day before's as the hour's) */
	assert_int_equal(history_summarize(st, T_END - 3600000, T_END,
					   HISTORY_ROLLUPS, &s),
			 0);
	assert_false(s.have_peak);
	assert_true(s.peak_short);
	char v[1024];
	history_verdict(&s, v, sizeof(v));
	assert_null(strstr(v, "evening"));
	history_summary_fini(&s);
	store_close(st);
}

/* A period that starts before the recording still uses the rollups; with
 * the 1-min rollups gone (retention) every figure is read raw instead. */
static void test_rollups_fallback(void **state)
{
	struct fixture *f = *state;
	build(f);
	struct store *st = open_ro(f->path);
	struct history_summary s;
	assert_int_equal(history_summarize(st, T_START - 2 * 86400000LL, T_END,
					   HISTORY_ROLLUPS, &s),
			 0);
	assert_int_equal(s.approx, 1);
	check_exact_delays(f, &s, 0);
	history_summary_fini(&s);
	store_close(st);

	sqlite3 *db;
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(
		sqlite3_exec(db, "DELETE FROM agg_1min", NULL, NULL, NULL),
		SQLITE_OK);
	sqlite3_close(db);
	st = open_ro(f->path);
	assert_int_equal(
		history_summarize(st, T_START, T_END, HISTORY_ROLLUPS, &s), 0);
	assert_int_equal(s.approx, 0);
	assert_int_equal(s.nseries, 5);
	check_exact_delays(f, &s, 0);
	check_rare(&s);
	history_summary_fini(&s);
	store_close(st);
}

static void test_verdict(void **state)
{
	struct fixture *f = *state;
	build(f);
	struct store *st = open_ro(f->path);
	struct history_summary s;
	char v[2048];
	assert_int_equal(history_summarize(st, T_START, T_END, 0, &s), 0);
	history_span_text(T_END - T_START, s.span, sizeof(s.span));
	assert_string_equal(s.span, "3 days");
	history_verdict(&s, v, sizeof(v));
	print_message("verdict: %s\n", v);
	assert_non_null(strstr(v, "Over the last 3 days: 3 packet_loss "
				  "events (3 burst), the longest 8.0 s on "
				  "2025-12-30 02:14"));
	assert_non_null(strstr(v, "1 latency_spike event, 1 critical"));
	assert_null(strstr(v, "gateway_change")); /* info, not a problem */
	/* 2 % and 3.3 % loss: named, worst first */
	char *a = strstr(v, "3.3 % of icmp probes to 9.9.9.9 via eth0 lost");
	char *b = strstr(v, "2.0 % of icmp probes to 1.1.1.1 via eth0 lost");
	assert_non_null(a);
	assert_non_null(b);
	assert_true(a < b);
	assert_non_null(strstr(v, "evenings are worse"));
	assert_non_null(strstr(v, "worst at 18:00") ||
			strstr(v, "worst at 19:00") || strstr(v, "worst at 2"));
	assert_non_null(strstr(v, "upload bufferbloat +290 ms, grade D "
				  "(worst of 2 tests; latest +150 ms, grade "
				  "C)"));
	assert_non_null(strstr(v, "download fine (at worst +4 ms, grade A+)"));
	/* then what to do, one sentence per kind of trouble named; the
	 * period's loss is not placed, so no "the line drops" */
	assert_non_null(strstr(v,
			       "grade A+). If the line was busy then, "
			       "enable SQM (cake) on the router; if not, "
			       "report the times to your ISP. The line is "
			       "congested in the evenings: report it to your "
			       "ISP (bufferbane report --last 7d). Enable "
			       "SQM (cake) on the router, shaped a little "
			       "below the line's rate."));
	assert_null(strstr(v, "The line drops"));
	assert_int_equal(v[strlen(v) - 1], '.');
	history_summary_fini(&s);

	/* the last day alone: quiet DNS only is clean; nothing before */
	assert_int_equal(
		history_summarize(st, T_START - 86400000LL, T_START, 0, &s), 0);
	snprintf(s.span, sizeof(s.span), "24 h");
	history_verdict(&s, v, sizeof(v));
	assert_string_equal(v, "Nothing was recorded in the last 24 h.");
	history_summary_fini(&s);
	store_close(st);
}

static void test_clean(void **state)
{
	struct fixture *f = *state;
	char err[512];
	struct store *st = store_open(f->path, STORE_RDWR, err, sizeof(err));
	assert_non_null(st);
	struct bb_sample m[600];
	for (int i = 0; i < 600; i++) {
		put(&m[i], BB_KIND_ICMP, T_END - 3600000LL + i * 1000, "gw",
		    "");
		m[i].rtt_ns = (1000 + i) * BB_NS_PER_US;
	}
	assert_int_equal(store_write_samples(st, m, 600), 0);
	store_close(st);
	st = open_ro(f->path);
	struct history_summary s;
	char v[512];
	assert_int_equal(
		history_summarize(st, T_END - 86400000LL, T_END, 0, &s), 0);
	snprintf(s.span, sizeof(s.span), "24 h");
	history_verdict(&s, v, sizeof(v));
	assert_string_equal(v, "No problems recorded in the last 24 h.");
	const struct history_series *e = find(&s, BB_KIND_ICMP, "gw");
	assert_non_null(e);
	assert_float_equal(e->p50_ms, 1.299, 1e-9); /* rank 300 of 600 */
	assert_float_equal(e->p99_ms, 1.593, 1e-9); /* rank 594 */
	assert_int_equal(s.have_peak, 0);
	history_summary_fini(&s);
	s.span[0] = '\0';
	store_close(st);
}

/* More series than a summary holds: the first HISTORY_MAX_SERIES are
 * shown and the summary (and its "Recorded" line) says the rest are not. */
static void test_too_many_series(void **state)
{
	struct fixture *f = *state;
	char err[512], name[32];
	struct store *st = store_open(f->path, STORE_RDWR, err, sizeof(err));
	assert_non_null(st);
	enum { N = HISTORY_MAX_SERIES + 6 };
	static struct bb_sample m[N];
	for (int i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "198.18.3.%d", i);
		put(&m[i], BB_KIND_ICMP, T_END - 60000LL + i, name, "");
		m[i].rtt_ns = BB_NS_PER_MS;
	}
	assert_int_equal(store_write_samples(st, m, N), 0);
	store_close(st);
	st = open_ro(f->path);
	struct history_summary s;
	assert_int_equal(history_summarize(st, T_END - 3600000LL, T_END, 0, &s),
			 0);
	assert_int_equal(s.nseries, HISTORY_MAX_SERIES);
	assert_true(s.series_overflow);
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	assert_int_equal(report_write(out, &s, REPORT_TEXT, f->path), 0);
	fclose(out);
	assert_non_null(strstr(text, "only the first 64 are shown"));
	free(text);
	history_summary_fini(&s);
	store_close(st);
}

static void test_parse(void **state)
{
	(void)state;
	int64_t ms;
	assert_int_equal(history_parse_last("90s", &ms), 0);
	assert_int_equal(ms, 90000);
	assert_int_equal(history_parse_last("15m", &ms), 0);
	assert_int_equal(ms, 900000);
	assert_int_equal(history_parse_last("24h", &ms), 0);
	assert_int_equal(ms, 86400000);
	assert_int_equal(history_parse_last("7d", &ms), 0);
	assert_int_equal(ms, 7 * 86400000LL);
	/* the man page's own examples: weeks and sums */
	assert_int_equal(history_parse_last("2w", &ms), 0);
	assert_int_equal(ms, 14 * 86400000LL);
	assert_int_equal(history_parse_last("1h30m", &ms), 0);
	assert_int_equal(ms, 5400000);
	assert_int_equal(history_parse_last("1d12h", &ms), 0);
	assert_int_equal(ms, 36 * 3600000LL);
	assert_int_equal(history_parse_last("1w2d3h4m5s", &ms), 0);
	assert_int_equal(ms, ((((7 + 2) * 24 + 3) * 60 + 4) * 60 + 5) * 1000LL);
	assert_int_equal(history_parse_last("1h0m", &ms), 0);
	assert_int_equal(ms, 3600000);
	assert_int_equal(history_parse_last("3650d", &ms), 0);
	assert_int_equal(ms, 3650 * 86400000LL);
	static const char *const bad[] = { "",	   "7",	     "d",      "7x",
					   "-7d",  "0d",     "7dd",    " 7d",
					   "7 d",  "1e3s",   "1h30",   "30m1h",
					   "1h1h", "1h-30m", "1h 30m", "+1h",
					   "0h0m", "1h30mx", "w" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(history_parse_last(bad[i], &ms), -EINVAL);
	/* over the cap: its own answer, so the message can name the cap */
	static const char *const big[] = {
		"99999d",  "3651d", "522w", "3650d1s", "99999999999999999999d",
		"3649d48h"
	};
	for (size_t i = 0; i < sizeof(big) / sizeof(big[0]); i++)
		assert_int_equal(history_parse_last(big[i], &ms), -ERANGE);
	/* bad syntax after a span over the cap is still bad syntax */
	assert_int_equal(history_parse_last("99999dx", &ms), -EINVAL);

	assert_int_equal(history_parse_time("2026-01-01", &ms), 0);
	assert_int_equal(ms, T_END);
	assert_int_equal(history_parse_time("2025-12-31 23:30", &ms), 0);
	assert_int_equal(ms, T_END - 1800000);
	assert_int_equal(history_parse_time("2025-12-31 23:30:15", &ms), 0);
	assert_int_equal(ms, T_END - 1785000);
	assert_int_equal(history_parse_time("2025-12-31T23:30:15", &ms), 0);
	static const char *const badt[] = {
		"2026-13-01",		"2026-02-30",	   "2026-1-1",
		"2026-01-01 25:00",	"2026-01-01 12",   "yesterday",
		"2026-01-01 12:00:00x", "2026-01-01x12:00"
	};
	for (size_t i = 0; i < sizeof(badt) / sizeof(badt[0]); i++)
		assert_int_equal(history_parse_time(badt[i], &ms), -EINVAL);
}

static void test_open(void **state)
{
	struct fixture *f = *state;
	char p[400], err[512];
	struct store *st;
	snprintf(p, sizeof(p), "%s/none.db", f->dir);
	assert_int_equal(history_open(p, &st, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, p));
	assert_null(st);
	snprintf(p, sizeof(p), "%s/empty.db", f->dir);
	FILE *x = fopen(p, "w");
	fclose(x);
	assert_int_equal(history_open(p, &st, err, sizeof(err)), -EILSEQ);
	assert_non_null(strstr(err, "empty file"));
	snprintf(p, sizeof(p), "%s/garbage.db", f->dir);
	x = fopen(p, "w");
	fputs("this is not a database, just some text long enough\n", x);
	fclose(x);
	assert_int_equal(history_open(p, &st, err, sizeof(err)), -EILSEQ);
	assert_non_null(strstr(err, "not an SQLite database"));
	/* nothing was modified or created beside it */
	assert_int_equal(access(p, F_OK), 0);
	char wal[420];
	snprintf(wal, sizeof(wal), "%s-wal", p);
	assert_int_equal(access(wal, F_OK), -1);
	assert_int_equal(history_open(f->dir, &st, err, sizeof(err)), -EILSEQ);
}

static char *render(const struct history_summary *s, int fmt)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	assert_non_null(m);
	assert_int_equal(report_write(m, s, fmt, "/tmp/a|b<c>.db"), 0);
	fclose(m);
	return buf;
}

static void test_formats(void **state)
{
	struct fixture *f = *state;
	build(f);
	struct store *st = open_ro(f->path);
	struct history_summary s;
	assert_int_equal(history_summarize(st, T_START, T_END, 0, &s), 0);
	store_close(st);
	assert_int_equal(report_format_from_name("md"), REPORT_MD);
	assert_int_equal(report_format_from_name("pdf"), -1);

	char *t = render(&s, REPORT_TEXT);
	assert_non_null(strstr(t, "Verdict:  From 2025-12-29 00:00:00 to "
				  "2026-01-01 00:00:00: 3 packet_loss"));
	assert_non_null(strstr(t, "Worst 5 (severity, then duration):\n  "
				  "2025-12-30 16:00:00      20 s critical"));
	free(t);

	char *j = render(&s, REPORT_JSON);
	assert_non_null(strstr(j, "\"description\":\"Spike \\\"x\\\" "
				  "<script>&| `y`\""));
	assert_non_null(
		strstr(j, "\"by_kind\":{\"packet_loss\":{\"count\":3,"));
	assert_non_null(strstr(j, "\"verdict\":\"From "));
	assert_int_equal(j[strlen(j) - 2], '}');
	free(j);

	char *md = render(&s, REPORT_MD);
	assert_true(!strncmp(md, "# Bufferbane report: 2025\\-", 25) ||
		    !strncmp(md, "# Bufferbane report: 2025-", 25));
	assert_non_null(strstr(md, "**Verdict.** From"));
	assert_non_null(strstr(md, "Spike \"x\" \\<script\\>\\&\\| \\`y\\`"));
	assert_non_null(strstr(md, "/tmp/a\\|b\\<c\\>.db"));
	free(md);

	char *h = render(&s, REPORT_HTML);
	assert_true(!strncmp(h, "<!DOCTYPE html>", 15));
	assert_non_null(strstr(h, "Spike &quot;x&quot; &lt;script&gt;&amp;| "
				  "`y`"));
	assert_null(strstr(h, "<script>"));
	assert_non_null(strstr(h, "/tmp/a|b&lt;c&gt;.db"));
	assert_non_null(strstr(h, "</html>"));
	free(h);

	/* to a file: atomically, and a clear error where it cannot */
	char p[400], err[512];
	snprintf(p, sizeof(p), "%s/r.html", f->dir);
	assert_int_equal(
		report_write_file(p, &s, REPORT_HTML, "db", err, sizeof(err)),
		0);
	assert_int_equal(access(p, R_OK), 0);
	snprintf(p, sizeof(p), "%s/r.html.tmp", f->dir);
	assert_int_equal(access(p, F_OK), -1);
	snprintf(p, sizeof(p), "%s/no/such/dir/r.md", f->dir);
	assert_true(report_write_file(p, &s, REPORT_MD, "db", err,
				      sizeof(err)) < 0);
	assert_non_null(strstr(err, "no/such/dir/r.md"));
	history_summary_fini(&s);
}

int main(void)
{
	setenv("TZ", "UTC", 1);
	tzset();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_exact_figures, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_rollups, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rollups_fallback, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_verdict, setup, teardown),
		cmocka_unit_test_setup_teardown(test_clean, setup, teardown),
		cmocka_unit_test_setup_teardown(test_too_many_series, setup,
						teardown),
		cmocka_unit_test(test_parse),
		cmocka_unit_test_setup_teardown(test_open, setup, teardown),
		cmocka_unit_test_setup_teardown(test_formats, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
