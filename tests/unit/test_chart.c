// SPDX-License-Identifier: MIT
/*
 * What the charts read from a real SQLite file written through the store
 * API (tests/lib/gendb: one icmp series every second for an hour, RTT
 * 10 + second % 10 ms, a 36 s loss burst, a 3-minute gap, two events):
 * per 1-minute bucket the counts, losses, nearest-rank percentiles and
 * jitter computed here from the generator's rule; NAN in the gap; the
 * histogram and the heatmap cell hold every answered probe; the filters.
 * Then the raw samples of the first half hour are deleted (as retention
 * does) and the same buckets come from the rollups, flagged so.  Also the
 * chart kinds' names and a drawing to PNG and SVG of every kind.
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

#include "core/chart/chart_data.h"
#include "core/chart/chart_draw.h"
#include "core/store/store.h"
#include "tests/lib/gendb.h"

#define T0	1767225600000LL /* 2026-01-01 00:00 UTC */
#define SECONDS 3600
#define BURST	720 /* 720..755: minute 12 loses 36 of 60 */
#define BURSTN	36
#define GAP	1800 /* 1800..1979: minutes 30-32 empty */
#define GAPN	180
#define EVENT	2520

static char path[64];

static struct store *open_db(void)
{
	char err[256];
	struct store *st = store_open(path, STORE_RDONLY, err, sizeof(err));
	assert_non_null(st);
	return st;
}

static int setup(void **state)
{
	(void)state;
	setenv("TZ", "UTC", 1);
	tzset();
	snprintf(path, sizeof(path), "/tmp/bb-test-chart-%d.db", getpid());
	struct gendb_opts o = { .shape = GENDB_SMALL,
				.t0_ms = T0,
				.seconds = SECONDS,
				.burst_s = BURST,
				.burst_len = BURSTN,
				.gap_s = GAP,
				.gap_len = GAPN,
				.event_s = EVENT };
	char err[256];
	return gendb_build(path, &o, NULL, err, sizeof(err));
}

static int teardown(void **state)
{
	(void)state;
	char p[80];
	unlink(path);
	snprintf(p, sizeof(p), "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", path);
	unlink(p);
	return 0;
}

static void load(struct chart_data *d, int segments)
{
	struct store *st = open_db();
	struct chart_query q = { .from_ms = T0,
				 .to_ms = T0 + SECONDS * 1000LL,
				 .segments = segments };
	char err[256];
	assert_int_equal(chart_data_load(st, &q, d, err, sizeof(err)), 0);
	store_close(st);
}

static void test_buckets(void **state)
{
	(void)state;
	struct chart_data d;
	load(&d, 60);
	assert_int_equal(d.bucket_ms, 60000);
	assert_false(d.from_rollups);
	assert_int_equal(d.nseries, 1);
	const struct chart_series *s = &d.series[0];
	assert_string_equal(s->target, "198.18.0.11");
	assert_string_equal(s->unit, "ms");
	assert_int_equal(s->n, 60);
	for (size_t k = 0; k < 60; k++) {
		const struct chart_bucket *b = &s->b[k];
		assert_int_equal(b->t_ms, T0 + (int64_t)k * 60000);
		if (k >= 30 && k <= 32) { /* the gap */
			assert_int_equal(b->count, 0);
			assert_true(isnan(b->p50) && isnan(b->min) &&
				    isnan(b->jitter));
			continue;
		}
		assert_int_equal(b->count, 60);
		if (k == 12) {
			assert_int_equal(b->lost, BURSTN);
			continue;
		}
		assert_int_equal(b->lost, 0);
		/* 6 each of 10..19 ms: rank 30 is 14, rank 57 is 19 */
		assert_float_equal(b->min, 10, 1e-9);
		assert_float_equal(b->max, 19, 1e-9);
		assert_float_equal(b->p50, 14, 1e-9);
		assert_float_equal(b->p25, 12, 1e-9); /* rank 15 */
		assert_float_equal(b->p75, 17, 1e-9); /* rank 45 */
		assert_float_equal(b->p95, 19, 1e-9);
		/* |IPDV|: 1 nine times in ten, then 9 (19 -> 10) */
		assert_true(fabs(b->jitter - 1.8) < 0.15);
	}
	assert_int_equal(s->sent, SECONDS - GAPN);
	assert_int_equal(s->lost, BURSTN);
	uint64_t h = 0;
	for (size_t i = 0; i < s->nhist; i++)
		h += s->hist[i];
	assert_int_equal(h, SECONDS - GAPN - BURSTN);
	assert_int_equal(s->nhist, d.nbins);
	/* p50 of the period from the histogram: 14.x ms within a bin */
	assert_true(s->p50 >= 13.5 && s->p50 <= 15.5);
	assert_int_equal(d.nevents, 2);
	assert_string_equal(d.events[1].severity, "critical");
	assert_int_equal(d.events[1].start_ms, T0 + EVENT * 1000LL);
	assert_int_equal(d.heat_days, 1);
	assert_int_equal(d.heat[0].count, SECONDS - GAPN);
	assert_int_equal(d.heat[0].lost, BURSTN);
	/* the burst took 4 each of 10..15 ms and 3 each of 16..19 ms, the
	 * gap 18 of each: rank 1692 of 3384 is the first 15 */
	assert_float_equal(d.heat[0].p50, 15, 1e-9);
	assert_true(isnan(d.heat[1].p50));
	chart_data_free(&d);
}

static void test_filters_and_empty(void **state)
{
	(void)state;
	struct store *st = open_db();
	struct chart_data d;
	char err[256];
	struct chart_query q = { .from_ms = T0,
				 .to_ms = T0 + SECONDS * 1000LL,
				 .target = "198.18.0.99" };
	assert_int_equal(chart_data_load(st, &q, &d, err, sizeof(err)),
			 -ENOENT);
	assert_string_equal(err, "nothing recorded in the period");
	chart_data_free(&d);
	q.target = NULL;
	q.interface = "wlan0";
	assert_int_equal(chart_data_load(st, &q, &d, err, sizeof(err)),
			 -ENOENT);
	chart_data_free(&d);
	q.interface = "eth0";
	q.segments = 0; /* default */
	assert_int_equal(chart_data_load(st, &q, &d, err, sizeof(err)), 0);
	assert_int_equal(d.nseries, 1);
	assert_true(d.series[0].n <= 400 && d.series[0].n >= 300);
	chart_data_free(&d);
	q.to_ms = q.from_ms;
	assert_int_equal(chart_data_load(st, &q, &d, err, sizeof(err)),
			 -EINVAL);
	chart_data_free(&d);
	store_close(st);
}

static void test_rollups_stand_in(void **state)
{
	(void)state;
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	char sql[160];
	snprintf(sql, sizeof(sql), "DELETE FROM blocks WHERE end_us < %lld",
		 (T0 + 1800 * 1000LL) * 1000);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	struct chart_data d;
	load(&d, 60);
	assert_true(d.from_rollups);
	/* the first raw sample left is the first after the gap */
	assert_int_equal(d.rollups_until_ms, T0 + (GAP + GAPN) * 1000LL);
	const struct chart_series *s = &d.series[0];
	for (size_t k = 0; k < 29; k++) {
		const struct chart_bucket *b = &s->b[k];
		assert_int_equal(b->count, 60);
		assert_int_equal(b->lost, k == 12 ? BURSTN : 0);
		if (k == 12)
			continue;
		assert_float_equal(b->min, 10, 1e-9);
		assert_float_equal(b->max, 19, 1e-9);
		assert_true(fabs(b->p50 - 14) <= 1.0); /* an estimate */
		assert_true(isnan(b->jitter));	       /* not in rollups */
	}
	assert_int_equal(s->sent, SECONDS - GAPN);
	assert_int_equal(s->lost, BURSTN);
	assert_int_equal(d.heat[0].count, SECONDS - GAPN);
	chart_data_free(&d);
}

static void test_kinds_and_drawing(void **state)
{
	(void)state;
	assert_int_equal(chart_kind_from_name("latency_over_time"),
			 CHART_LATENCY_OVER_TIME);
	assert_int_equal(chart_kind_from_name("bufferbloat_impact"),
			 CHART_BUFFERBLOAT_IMPACT);
	assert_int_equal(chart_kind_from_name("latency_vs_load"),
			 CHART_LATENCY_VS_LOAD);
	assert_int_equal(chart_kind_from_name("latency"), -1);
	assert_null(chart_kind_name(CHART_KIND_COUNT));
	struct chart_data d;
	load(&d, 0);
	struct chart_opts o = { 640, 360, CHART_STYLE_DARK };
	for (int k = 0; k < CHART_KIND_COUNT; k++) {
		for (int fmt = CHART_PNG; fmt <= CHART_SVG; fmt++) {
			char buf[128];
			snprintf(buf, sizeof(buf), "%s.%d.%s", path, k,
				 fmt == CHART_PNG ? "png" : "svg");
			char err[256];
			assert_int_equal(chart_draw_file(&d, k, &o, buf, err,
							 sizeof(err)),
					 0);
			FILE *f = fopen(buf, "rb");
			assert_non_null(f);
			unsigned char head[8] = { 0 };
			assert_int_equal(fread(head, 1, 8, f), 8);
			fclose(f);
			if (fmt == CHART_PNG)
				assert_memory_equal(head, "\x89PNG\r\n\x1a\n",
						    8);
			else
				assert_memory_equal(head, "<?xml ve", 8);
			unlink(buf);
		}
	}
	char err[256];
	assert_int_equal(
		chart_draw_file(&d, 0, &o, "/tmp/x.gif", err, sizeof(err)),
		-EINVAL);
	chart_data_free(&d);
}

/* Latency against load: eth0's traffic read every second, upload at 0,
 * 50 and 95 % of 10 Mbit/s in turns of 10 s after 3 s at the full 10;
 * an icmp probe in each second whose RTT rises with the load (10, 30,
 * 60 ms, + 0..2), one lost in every 95 % turn; beside them, probes the
 * chart must leave out: one flagged under our own load (500 ms), one to
 * the gateway (400 ms), one dns (300 ms); and wlan0 probes with no
 * traffic read at all; one more icmp probe in the very ms of a reading
 * (it belongs to the second that starts then). */
#define LT0  (T0 + 2 * 86400000LL)
#define LSEC 603

static void load_db(const char *p)
{
	char err[256];
	unlink(p);
	struct store *st = store_open(p, STORE_RDWR, err, sizeof(err));
	assert_non_null(st);
	struct bb_sample *v = calloc(LSEC * 8, sizeof(*v));
	assert_non_null(v);
	size_t n = 0;
	for (int s = 0; s < LSEC; s++) {
		int64_t t = LT0 + s * 1000LL;
		int turn = s < 3 ? 3 : (s - 3) / 10 % 3; /* 3: the peak */
		static const int64_t tx[4] = { 0, 5000, 9500, 10000 };
		static const int64_t rtt[4] = { 10, 30, 60, 60 };
		struct bb_sample *m = &v[n++];
		sample_init(m, BB_KIND_ICMP);
		m->real_ns = (t + 200) * 1000000;
		snprintf(m->interface, sizeof(m->interface), "eth0");
		snprintf(m->target, sizeof(m->target), "198.18.0.11");
		m->seq = (uint32_t)s;
		m->status = BB_STATUS_OK;
		m->rtt_ns = (rtt[turn] * 1000 + (s % 3) * 1000) * 1000LL;
		if (turn == 2 && (s - 3) % 10 == 5) {
			m->status = BB_STATUS_TIMEOUT;
			m->rtt_ns = BB_NONE;
		}
		m = &v[n++];
		*m = v[n - 2];
		m->real_ns += 100 * 1000000LL;
		m->status = BB_STATUS_OK;
		m->rtt_ns = 500 * 1000000LL;
		m->flags = BB_SAMPLE_UNDER_LOAD;
		m->load_phase = BB_PHASE_UP;
		m = &v[n++];
		*m = v[n - 2];
		m->flags = 0;
		m->real_ns += 100 * 1000000LL;
		m->rtt_ns = 400 * 1000000LL;
		snprintf(m->target, sizeof(m->target), "gateway");
		m = &v[n++];
		*m = v[n - 2];
		m->kind = BB_KIND_DNS;
		m->real_ns += 100 * 1000000LL;
		m->rtt_ns = 300 * 1000000LL;
		snprintf(m->target, sizeof(m->target), "198.18.0.53");
		m = &v[n++];
		*m = v[n - 2];
		m->kind = BB_KIND_ICMP;
		snprintf(m->interface, sizeof(m->interface), "wlan0");
		snprintf(m->target, sizeof(m->target), "198.18.0.11");
		m->rtt_ns = 20 * 1000000LL;
		if (s == 13) { /* sent in the ms of the 0 % reading: 50 % */
			m = &v[n++];
			*m = v[n - 2];
			snprintf(m->interface, sizeof(m->interface), "eth0");
			m->real_ns = t * 1000000;
			m->rtt_ns = 31 * 1000000LL;
		}
		/* the reading at the second's end covers it */
		m = &v[n++];
		sample_init(m, BB_KIND_TRAFFIC);
		m->real_ns = (t + 1000) * 1000000;
		snprintf(m->interface, sizeof(m->interface), "eth0");
		snprintf(m->target, sizeof(m->target), "eth0");
		m->seq = (uint32_t)s;
		m->status = BB_STATUS_OK;
		m->tx_kbps = tx[turn];
		m->rx_kbps = 2000;
	}
	assert_int_equal(store_write_samples(st, v, n), 0);
	free(v);
	store_close(st);
}

static void test_latency_vs_load(void **state)
{
	(void)state;
	char p[80];
	snprintf(p, sizeof(p), "%s.load.db", path);
	load_db(p);
	char err[256];
	struct store *st = store_open(p, STORE_RDONLY, err, sizeof(err));
	assert_non_null(st);
	struct chart_query q = { .from_ms = LT0,
				 .to_ms = LT0 + (LSEC + 1) * 1000LL };
	struct chart_data d;
	assert_int_equal(chart_data_load(st, &q, &d, err, sizeof(err)), 0);
	assert_null(chart_load_missing(&d));
	assert_int_equal(d.nload, 1); /* wlan0 has no reading */
	const struct chart_load *ld = &d.load[0];
	assert_string_equal(ld->interface, "eth0");
	assert_string_equal(ld->device, "eth0");
	assert_int_equal(ld->readings, LSEC);
	assert_int_equal(ld->joined, LSEC + 1); /* an icmp probe a second */
	assert_float_equal(ld->cap_kbps[CHART_LOAD_UP], 10000, 1e-9);
	assert_float_equal(ld->cap_kbps[CHART_LOAD_DOWN], 2000, 1e-9);
	const struct chart_load_bin *b = ld->bin[CHART_LOAD_UP];
	/* 60 turns of 10 s, 20 of each load; the peak's 3 s at 100 % */
	assert_int_equal(b[0].count, 200);
	assert_int_equal(b[5].count, 201);
	assert_int_equal(b[9].count, 203);
	assert_int_equal(b[9].lost, 20);
	assert_int_equal(b[0].lost + b[5].lost, 0);
	for (int k = 1; k < CHART_LOAD_BINS - 1; k++)
		if (k != 5) {
			assert_int_equal(b[k].count, 0);
			assert_true(isnan(b[k].p50));
		}
	/* the medians rise with the load, within a delay bin (7.5 %); none
	 * of the 300-500 ms probes left out reaches a p95 */
	assert_true(fabs(b[0].p50 - 11) < 1);
	assert_true(fabs(b[5].p50 - 31) < 2.5);
	assert_true(fabs(b[9].p50 - 61) < 5);
	assert_true(b[0].p50 < b[5].p50 && b[5].p50 < b[9].p50);
	for (int k = 0; k < CHART_LOAD_BINS; k++)
		assert_true(isnan(b[k].p95) || b[k].p95 < 70);
	assert_true(b[0].p5 <= b[0].p25 && b[0].p25 <= b[0].p50 &&
		    b[0].p50 <= b[0].p75 && b[0].p75 <= b[0].p95);
	/* download: 2000 kbit/s all along, so every probe at 100 % */
	assert_int_equal(ld->bin[CHART_LOAD_DOWN][9].count, LSEC + 1);
	/* the interface filter keeps its readings; another drops them */
	chart_data_free(&d);
	q.interface = "wlan0";
	assert_int_equal(chart_data_load(st, &q, &d, err, sizeof(err)), 0);
	assert_int_equal(d.nload, 0);
	assert_string_equal(chart_load_missing(&d),
			    "no traffic readings in this period: "
			    "tests.traffic.enabled");
	chart_data_free(&d);
	/* a chart of another kind leaves the join out; its series are
	 * the same */
	q.interface = NULL;
	q.without_load = true;
	assert_int_equal(chart_data_load(st, &q, &d, err, sizeof(err)), 0);
	assert_int_equal(d.nload, 0);
	assert_true(d.nseries >= 1);
	q.without_load = false;
	chart_data_free(&d);
	/* a chart of it, PNG and SVG */
	assert_int_equal(chart_data_load(st, &q, &d, err, sizeof(err)), 0);
	store_close(st);
	struct chart_opts o = { 900, 450, CHART_STYLE_LIGHT };
	char out[96];
	snprintf(out, sizeof(out), "%s.load.svg", path);
	assert_int_equal(chart_draw_file(&d, CHART_LATENCY_VS_LOAD, &o, out,
					 err, sizeof(err)),
			 0);
	unlink(out);
	chart_data_free(&d);
	unlink(p);
	snprintf(out, sizeof(out), "%s-wal", p);
	unlink(out);
	snprintf(out, sizeof(out), "%s-shm", p);
	unlink(out);
}

/* A period without traffic readings says so, in the data's words. */
static void test_load_missing(void **state)
{
	(void)state;
	struct chart_data d;
	load(&d, 60);
	assert_int_equal(d.nload, 0);
	assert_string_equal(chart_load_missing(&d),
			    "no traffic readings in this period: "
			    "tests.traffic.enabled");
	chart_data_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buckets),
		cmocka_unit_test(test_filters_and_empty),
		cmocka_unit_test(test_kinds_and_drawing),
		cmocka_unit_test(test_latency_vs_load),
		cmocka_unit_test(test_load_missing),
		cmocka_unit_test(test_rollups_stand_in), /* deletes: last */
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
