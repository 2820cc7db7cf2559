// SPDX-License-Identifier: MIT
/*
 * Unit tests for core/stats: hand-computed small cases for every figure
 * (percentiles, stddev, IPDV mean, RFC 3550 jitter, loss runs and their
 * histogram, scattered/burst/periodic), window expiry by time, annotations
 * kept out of the probe figures, the capacity bound, out-of-order samples,
 * and a property test against a naive reference on seeded random data
 * (BB_SEED=n picks another seed).
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/base/clock.h"
#include "core/base/sample.h"
#include "core/analysis/stats.h"

#define MS  BB_NS_PER_MS
#define SEC BB_NS_PER_S

/* Shorthand for a probe result: 'o' ok, 't' timeout, 'e' error. */
static void feed(struct stats_log *s, int64_t mono_ns, char st, int64_t rtt_ns,
		 uint16_t flags)
{
	struct bb_sample smp;

	sample_init(&smp, BB_KIND_ICMP);
	smp.mono_ns = mono_ns;
	smp.status = st == 'o'	 ? BB_STATUS_OK
		     : st == 't' ? BB_STATUS_TIMEOUT
				 : BB_STATUS_ERROR;
	smp.rtt_ns = st == 'o' ? rtt_ns : BB_NONE;
	smp.flags = flags;
	stats_log_add(s, &smp);
}

/* One probe per second from t = 1 s: 'o' ok with rtt 10 ms, 'L' lost. */
static void feed_pattern(struct stats_log *s, const char *pat)
{
	for (size_t i = 0; pat[i]; i++)
		feed(s, (int64_t)(i + 1) * SEC, pat[i] == 'L' ? 't' : 'o',
		     10 * MS, 0);
}

static struct stats_log *series_1s(void)
{
	struct stats_log *s = stats_log_new(SEC);

	assert_non_null(s);
	return s;
}

/* ---- hand-computed figures -------------------------------------------- */

/* Our own test's load: 10 quiet probes at 10 ms, then 6 under load at
 * 400 ms with 2 lost.  The plain summary holds them all; the quiet one
 * only the line's own probes, the loaded ones counted apart; the recent
 * values say which were loaded. */
static void test_under_load_quiet(void **state)
{
	struct stats_log *s = series_1s();
	struct stats_summary a, q;
	int64_t v[32];
	bool ld[32];
	size_t n;

	for (int i = 0; i < 10; i++)
		feed(s, (i + 1) * SEC, 'o', 10 * MS, 0);
	for (int i = 10; i < 16; i++)
		feed(s, (i + 1) * SEC, i % 3 ? 'o' : 't', 400 * MS,
		     BB_SAMPLE_UNDER_LOAD);
	stats_log_summary(s, STATS_60S, 16 * SEC, &a);
	stats_log_summary_quiet(s, STATS_60S, 16 * SEC, &q);
	assert_int_equal(a.count, 16);
	assert_int_equal(a.lost, 2);
	assert_int_equal(a.p95, 400 * MS);
	assert_int_equal(a.under_load, 6);
	assert_int_equal(q.count, 10);
	assert_int_equal(q.lost, 0);
	assert_true(q.loss_pct == 0.0);
	assert_int_equal(q.p50, 10 * MS);
	assert_int_equal(q.p95, 10 * MS);
	assert_int_equal(q.ipdv_mean, 0);
	assert_int_equal(q.under_load, 6);
	n = stats_log_recent_load(s, v, ld, 32);
	assert_int_equal(n, 16);
	assert_false(ld[9]);
	assert_true(ld[10]);
	assert_true(ld[15]);
	assert_int_equal(v[12], STATS_LOST);
	stats_log_free(s);
}

static void test_delay_figures(void **state)
{
	struct stats_log *s = series_1s();
	static const int64_t ms[] = { 10, 30, 20, 50, 40 };
	struct stats_summary o;

	for (int i = 0; i < 5; i++)
		feed(s, (i + 1) * SEC, 'o', ms[i] * MS, 0);
	stats_log_summary(s, STATS_10S, 5 * SEC, &o);

	assert_int_equal(o.window_ns, 10 * SEC);
	assert_int_equal(o.count, 5);
	assert_int_equal(o.lost, 0);
	assert_true(o.loss_pct == 0.0);
	assert_int_equal(o.min, 10 * MS);
	assert_int_equal(o.max, 50 * MS);
	assert_int_equal(o.peak_to_peak, 40 * MS);
	assert_int_equal(o.avg, 30 * MS);
	/* Deviations -20,0,-10,20,10 ms: sqrt(1000/5) = 14.1421356 ms. */
	assert_int_equal(o.stddev, 14142136);
	/* Sorted 10,20,30,40,50: ranks ceil(2.5)=3, ceil(4.75)=5, 5. */
	assert_int_equal(o.p50, 30 * MS);
	assert_int_equal(o.p95, 50 * MS);
	assert_int_equal(o.p99, 50 * MS);
	/* |IPDV| 20,10,30,10 ms: mean 17.5 ms. */
	assert_int_equal(o.ipdv_mean, 17500 * 1000);
	/* J: 0, 1.25, 1.796875, 3.5595703, 3.9620972 ms. */
	assert_int_equal(o.jitter_rfc3550, 3962097);
	assert_int_equal(o.last_value, 40 * MS);
	assert_int_equal(o.last_status, BB_STATUS_OK);
	assert_int_equal(o.last_mono_ns, 5 * SEC);
	assert_int_equal(o.pattern, STATS_LOSS_NONE);
	assert_int_equal(o.loss_run_current, 0);
	assert_int_equal(o.loss_run_longest, 0);
	assert_int_equal(o.loss_period_ns, BB_NONE);
	assert_int_equal(o.truncated, 0);
	stats_log_free(s);
}

static void test_percentiles(void **state)
{
	struct stats_log *s = series_1s();
	struct stats_summary o;
	int64_t v[100];

	/* 1..100 ms in a scrambled order (37 is coprime with 100). */
	for (int i = 0; i < 100; i++)
		v[i] = (int64_t)((i * 37) % 100 + 1) * MS;
	for (int i = 0; i < 100; i++)
		feed(s, (i + 1) * SEC, 'o', v[i], 0);
	stats_log_summary(s, STATS_5M, 100 * SEC, &o);
	assert_int_equal(o.count, 100);
	assert_int_equal(o.p50, 50 * MS);
	assert_int_equal(o.p95, 95 * MS);
	assert_int_equal(o.p99, 99 * MS);
	assert_int_equal(o.min, 1 * MS);
	assert_int_equal(o.max, 100 * MS);
	assert_int_equal(o.avg, 50500 * 1000);

	stats_log_summary(s, STATS_60S, 100 * SEC, &o);
	assert_int_equal(o.count, 60);
	stats_log_summary(s, STATS_10S, 100 * SEC, &o);
	assert_int_equal(o.count, 10);
	/* t = 91..100 s hold v[90..99] = 31,68,5,42,79,16,53,90,27,64 ms:
	 * sorted 5,16,27,31,42,53,64,68,79,90: p50 rank 5, p95/p99 rank 10. */
	assert_int_equal(o.p50, 42 * MS);
	assert_int_equal(o.p95, 90 * MS);
	assert_int_equal(o.p99, 90 * MS);
	assert_int_equal(o.min, 5 * MS);
	stats_log_free(s);
}

static void test_loss_breaks_ipdv_not_rfc3550(void **state)
{
	struct stats_log *s = series_1s();
	struct stats_summary o;

	feed(s, 1 * SEC, 'o', 10 * MS, 0);
	feed(s, 2 * SEC, 't', 0, 0);
	feed(s, 3 * SEC, 'o', 30 * MS, 0);
	feed(s, 4 * SEC, 'o', 40 * MS, 0);
	feed(s, 5 * SEC, 'e', 0, 0);
	feed(s, 6 * SEC, 'o', 60 * MS, 0);
	stats_log_summary(s, STATS_10S, 6 * SEC, &o);

	assert_int_equal(o.count, 6);
	assert_int_equal(o.lost, 2);
	assert_true(fabs(o.loss_pct - 100.0 / 3) < 1e-9);
	/* Only (30, 40) are consecutive probes that both answered. */
	assert_int_equal(o.ipdv_mean, 10 * MS);
	/* RFC 3550 runs over received values 10,30,40,60: D = 20,10,20 ms,
	 * J = 1.25, 1.796875, 2.93457 ms. */
	assert_int_equal(o.jitter_rfc3550, 2934570);
	assert_int_equal(o.loss_run_longest, 1);
	assert_int_equal(o.loss_run_hist[0], 2);
	assert_int_equal(o.loss_run_current, 0);
	assert_int_equal(o.pattern, STATS_LOSS_SCATTERED);
	assert_int_equal(o.last_value, 60 * MS);

	/* A lost probe is the window's last one. */
	feed(s, 7 * SEC, 't', 0, 0);
	stats_log_summary(s, STATS_10S, 7 * SEC, &o);
	assert_int_equal(o.last_value, BB_NONE);
	assert_int_equal(o.last_status, BB_STATUS_TIMEOUT);
	assert_int_equal(o.loss_run_current, 1);
	stats_log_free(s);
}

static void test_loss_runs_histogram(void **state)
{
	struct stats_log *s = series_1s();
	struct stats_summary o;
	/* Runs of 1, 2, 3, 4, 6, 12, then a current run of 2. */
	const char *pat = "oLoLLoLLLoLLLLoLLLLLLoLLLLLLLLLLLLoLL";

	feed_pattern(s, pat);
	stats_log_summary(s, STATS_60S, (int64_t)strlen(pat) * SEC, &o);
	assert_int_equal(o.count, strlen(pat));
	assert_int_equal(o.lost, 1 + 2 + 3 + 4 + 6 + 12 + 2);
	assert_int_equal(o.loss_run_current, 2);
	assert_int_equal(o.loss_run_longest, 12);
	assert_int_equal(o.loss_run_hist[0], 1); /* 1 */
	assert_int_equal(o.loss_run_hist[1], 2); /* 2, and the current 2 */
	assert_int_equal(o.loss_run_hist[2], 1); /* 3 */
	assert_int_equal(o.loss_run_hist[3], 1); /* 4 */
	assert_int_equal(o.loss_run_hist[4], 1); /* 6 in 5-9 */
	assert_int_equal(o.loss_run_hist[5], 1); /* 12 in 10+ */
	assert_int_equal(o.pattern, STATS_LOSS_BURST);
	/* No two consecutive probes answered: IPDV is undefined.  RFC 3550
	 * skips the losses and sees 10 ms every time: no variation. */
	assert_int_equal(o.ipdv_mean, BB_NONE);
	assert_int_equal(o.jitter_rfc3550, 0);
	assert_int_equal(o.stddev, 0);

	/* A run that began before the window start counts from it: the 10 s
	 * window ending at t = 33 s (the 12-run covers t = 23..34) starts
	 * at t = 24 and ends inside the run: 10 lost probes. */
	stats_log_summary(s, STATS_10S, 33 * SEC, &o);
	assert_int_equal(o.count, 10);
	assert_int_equal(o.loss_run_current, 10);
	assert_int_equal(o.loss_run_longest, 10);
	assert_int_equal(o.loss_run_hist[5], 1);
	stats_log_free(s);
}

/* 300 probes at 1 s; runs of `len` lost starting at each second listed. */
static void loss_at(struct stats_log *s, const int *starts, int n, int len,
		    struct stats_summary *o)
{
	char pat[301];

	memset(pat, 'o', 300);
	pat[300] = 0;
	for (int k = 0; k < n; k++)
		for (int i = 0; i < len; i++)
			pat[starts[k] - 1 + i] = 'L';
	feed_pattern(s, pat);
	stats_log_summary(s, STATS_5M, 300 * SEC, o);
}

static void test_classification(void **state)
{
	struct stats_log *s;
	struct stats_summary o;

	/* Singles and one pair: scattered. */
	s = series_1s();
	loss_at(s, (const int[]){ 5, 17, 30 }, 3, 1, &o);
	assert_int_equal(o.pattern, STATS_LOSS_SCATTERED);
	stats_log_free(s);
	s = series_1s();
	loss_at(s, (const int[]){ 5, 44 }, 2, 2, &o);
	assert_int_equal(o.pattern, STATS_LOSS_SCATTERED);
	stats_log_free(s);

	/* One run of 3: burst. */
	s = series_1s();
	loss_at(s, (const int[]){ 100 }, 1, 3, &o);
	assert_int_equal(o.pattern, STATS_LOSS_BURST);
	assert_int_equal(o.loss_period_ns, BB_NONE);
	stats_log_free(s);

	/* Runs of 3 every ~60 s (gaps 61, 59, 59, 62): periodic, mean gap
	 * (251 - 10) / 4 = 60.25 s, tolerance 6.025 s. */
	s = series_1s();
	loss_at(s, (const int[]){ 10, 71, 130, 189, 251 }, 5, 3, &o);
	assert_int_equal(o.pattern, STATS_LOSS_PERIODIC);
	assert_int_equal(o.loss_period_ns, 60250 * MS);
	assert_int_equal(o.loss_run_hist[2], 5);
	stats_log_free(s);

	/* Runs of 2 every 30 s are periodic too. */
	s = series_1s();
	loss_at(s, (const int[]){ 20, 50, 80, 110, 140 }, 5, 2, &o);
	assert_int_equal(o.pattern, STATS_LOSS_PERIODIC);
	assert_int_equal(o.loss_period_ns, 30 * SEC);
	stats_log_free(s);

	/* Same bursts, uneven gaps (30, 90, 60, 60): burst. */
	s = series_1s();
	loss_at(s, (const int[]){ 10, 40, 130, 190, 250 }, 5, 3, &o);
	assert_int_equal(o.pattern, STATS_LOSS_BURST);
	stats_log_free(s);

	/* Two bursts do not make a period. */
	s = series_1s();
	loss_at(s, (const int[]){ 10, 70 }, 2, 3, &o);
	assert_int_equal(o.pattern, STATS_LOSS_BURST);
	stats_log_free(s);

	/* Evenly spaced but dense (every 3 s): an outage, not a period. */
	s = series_1s();
	loss_at(s, (const int[]){ 100, 103, 106, 109 }, 4, 2, &o);
	assert_int_equal(o.pattern, STATS_LOSS_SCATTERED);
	stats_log_free(s);
}

/* ---- time, annotations, capacity -------------------------------------- */

static void test_window_expiry(void **state)
{
	struct stats_log *s = series_1s();
	struct stats_summary o;

	for (int i = 1; i <= 100; i++)
		feed(s, i * SEC, 'o', i * MS, 0);
	stats_log_summary(s, STATS_10S, 100 * SEC, &o);
	assert_int_equal(o.count, 10);
	assert_int_equal(o.min, 91 * MS);
	stats_log_summary(s, STATS_60S, 100 * SEC, &o);
	assert_int_equal(o.count, 60);
	assert_int_equal(o.min, 41 * MS);
	stats_log_summary(s, STATS_5M, 100 * SEC, &o);
	assert_int_equal(o.count, 100);

	/* 100 s later with no new probe: the short windows are empty. */
	stats_log_summary(s, STATS_60S, 200 * SEC, &o);
	assert_int_equal(o.count, 0);
	assert_int_equal(o.min, BB_NONE);
	assert_int_equal(o.avg, BB_NONE);
	assert_int_equal(o.p99, BB_NONE);
	assert_int_equal(o.stddev, BB_NONE);
	assert_int_equal(o.ipdv_mean, BB_NONE);
	assert_int_equal(o.jitter_rfc3550, BB_NONE);
	assert_int_equal(o.peak_to_peak, BB_NONE);
	assert_int_equal(o.last_value, BB_NONE);
	assert_int_equal(o.last_mono_ns, BB_NONE);
	assert_int_equal(o.last_status, BB_STATUS_COUNT);
	assert_true(o.loss_pct == 0.0);
	stats_log_summary(s, STATS_5M, 200 * SEC, &o);
	assert_int_equal(o.count, 100);

	/* Two hours of probes: the hour window holds one hour. */
	for (int i = 101; i <= 7200; i++)
		feed(s, i * SEC, 'o', 5 * MS, 0);
	stats_log_summary(s, STATS_1H, 7200 * SEC, &o);
	assert_int_equal(o.count, 3600);
	assert_int_equal(o.truncated, 0);

	/* A probe three hours on expires every older entry from storage:
	 * even a question about the past finds nothing left. */
	feed(s, 3 * 3600 * SEC + 7200 * SEC, 'o', 7 * MS, 0);
	stats_log_summary(s, STATS_1H, 7200 * SEC, &o);
	assert_int_equal(o.count, 0);
	stats_log_summary(s, STATS_1H, 3 * 3600 * SEC + 7200 * SEC, &o);
	assert_int_equal(o.count, 1);
	assert_int_equal(o.avg, 7 * MS);
	int64_t recent[8];
	assert_int_equal(stats_log_recent(s, recent, 8), 1);
	stats_log_free(s);
}

static void test_annotations_not_counted(void **state)
{
	struct stats_log *s = series_1s();
	struct stats_summary o;
	int64_t v[8];

	feed(s, 1 * SEC, 'o', 10 * MS, 0);
	feed(s, 2 * SEC, 't', 0, 0);
	/* The late reply to probe 2, and a duplicate of probe 1. */
	feed(s, 2 * SEC, 'o', 1500 * MS, BB_SAMPLE_LATE);
	feed(s, 1 * SEC, 'o', 10 * MS, BB_SAMPLE_DUPLICATE);
	feed(s, 3 * SEC, 'o', 20 * MS, 0);
	feed(s, 4 * SEC, 'o', 30 * MS, BB_SAMPLE_REORDERED);
	feed(s, 4 * SEC, 't', 0, BB_SAMPLE_LATE); /* odd, still an annotation */
	stats_log_summary(s, STATS_10S, 4 * SEC, &o);

	assert_int_equal(o.count, 4);
	assert_int_equal(o.lost, 1);
	assert_int_equal(o.late, 2);
	assert_int_equal(o.duplicates, 1);
	assert_int_equal(o.reordered, 1);
	assert_int_equal(o.max, 30 * MS);
	assert_int_equal(o.min, 10 * MS);
	assert_int_equal(o.avg, 20 * MS);
	assert_int_equal(o.ipdv_mean, 10 * MS);
	/* J over 10, 20, 30: 0.625, then 0.625 + (10 - 0.625)/16 ms. */
	assert_int_equal(o.jitter_rfc3550, 1210938);
	assert_int_equal(o.loss_run_current, 0);
	assert_int_equal(o.last_value, 30 * MS);

	assert_int_equal(stats_log_recent(s, v, 8), 4);
	assert_int_equal(v[0], 10 * MS);
	assert_int_equal(v[1], STATS_LOST);
	assert_int_equal(v[2], 20 * MS);
	assert_int_equal(v[3], 30 * MS);
	/* The last two only, oldest first. */
	assert_int_equal(stats_log_recent(s, v, 2), 2);
	assert_int_equal(v[0], 20 * MS);
	assert_int_equal(v[1], 30 * MS);
	assert_int_equal(stats_log_recent(s, v, 0), 0);
	stats_log_free(s);
}

static void test_capacity_bound(void **state)
{
	struct stats_log *s;
	struct stats_summary o;

	errno = 0;
	assert_null(stats_log_new(0));
	assert_int_equal(errno, EINVAL);
	assert_null(stats_log_new(-5));

	/* 1 s: an hour plus a quarter plus a little. */
	s = series_1s();
	assert_true(stats_log_capacity(s) >= 4500);
	assert_true(stats_log_capacity(s) <= 4600);
	stats_log_free(s);
	/* One probe an hour still gets a few entries. */
	s = stats_log_new(3600 * SEC);
	assert_non_null(s);
	assert_true(stats_log_capacity(s) >= 2);
	stats_log_free(s);

	/* 1 ms would need 4.5 million: capped, oldest evicted, flagged. */
	s = stats_log_new(1 * MS);
	assert_non_null(s);
	assert_int_equal(stats_log_capacity(s), STATS_MAX_ENTRIES);
	for (int i = 1; i <= 100000; i++)
		feed(s, i * MS, 'o', (i % 50) * MS, 0);
	assert_int_equal(stats_log_capacity(s), STATS_MAX_ENTRIES);
	stats_log_summary(s, STATS_1H, 100000 * MS, &o);
	assert_int_equal(o.count, STATS_MAX_ENTRIES);
	assert_int_equal(o.truncated, 1);
	stats_log_summary(s, STATS_60S, 100000 * MS, &o);
	assert_int_equal(o.count, STATS_MAX_ENTRIES);
	assert_int_equal(o.truncated, 1);
	/* The last 10 s (10 000 probes) are all still there. */
	stats_log_summary(s, STATS_10S, 100000 * MS, &o);
	assert_int_equal(o.count, 10000);
	assert_int_equal(o.truncated, 0);
	stats_log_free(s);
}

static void test_throughput_kind(void **state)
{
	struct stats_log *s = stats_log_new(300 * SEC);
	struct stats_summary o;
	struct bb_sample smp;
	static const int64_t kbps[] = { 50000, 48000, 0, 52000 };

	assert_non_null(s);
	for (int i = 0; i < 4; i++) {
		sample_init(&smp, BB_KIND_UPLOAD);
		smp.mono_ns = (i + 1) * 60 * SEC;
		smp.rtt_ns = 999; /* not the upload figure */
		smp.throughput_kbps = kbps[i];
		smp.status = i == 2 ? BB_STATUS_ERROR : BB_STATUS_OK;
		assert_int_equal(stats_sample_value(&smp), kbps[i]);
		stats_log_add(s, &smp);
	}
	stats_log_summary(s, STATS_5M, 240 * SEC, &o);
	assert_int_equal(o.count, 4);
	assert_int_equal(o.lost, 1);
	assert_int_equal(o.min, 48000);
	assert_int_equal(o.max, 52000);
	assert_int_equal(o.avg, 50000);
	assert_int_equal(o.ipdv_mean, 2000); /* only 50000 -> 48000 */
	stats_log_free(s);
}

/* ---- comparison helpers ----------------------------------------------- */

static void assert_near(int64_t a, int64_t b, int64_t tol)
{
	if (a == BB_NONE || b == BB_NONE) {
		assert_int_equal(a, b);
		return;
	}
	if (a - b > tol || b - a > tol)
		fail_msg("%lld vs %lld", (long long)a, (long long)b);
}

static void assert_summary_equal(const struct stats_summary *a,
				 const struct stats_summary *b)
{
	assert_int_equal(a->window_ns, b->window_ns);
	assert_int_equal(a->count, b->count);
	assert_int_equal(a->lost, b->lost);
	assert_int_equal(a->min, b->min);
	assert_int_equal(a->max, b->max);
	assert_near(a->avg, b->avg, 1);
	assert_near(a->stddev, b->stddev, 1);
	assert_int_equal(a->p50, b->p50);
	assert_int_equal(a->p95, b->p95);
	assert_int_equal(a->p99, b->p99);
	assert_near(a->ipdv_mean, b->ipdv_mean, 1);
	assert_near(a->jitter_rfc3550, b->jitter_rfc3550, 1);
	assert_int_equal(a->peak_to_peak, b->peak_to_peak);
	assert_true(fabs(a->loss_pct - b->loss_pct) < 1e-9);
	assert_int_equal(a->loss_run_current, b->loss_run_current);
	assert_int_equal(a->loss_run_longest, b->loss_run_longest);
	for (int k = 0; k < STATS_RUN_BUCKETS; k++)
		assert_int_equal(a->loss_run_hist[k], b->loss_run_hist[k]);
	assert_int_equal(a->pattern, b->pattern);
	assert_int_equal(a->loss_period_ns, b->loss_period_ns);
	assert_int_equal(a->reordered, b->reordered);
	assert_int_equal(a->duplicates, b->duplicates);
	assert_int_equal(a->late, b->late);
	assert_int_equal(a->last_value, b->last_value);
	assert_int_equal(a->last_status, b->last_status);
	assert_int_equal(a->last_mono_ns, b->last_mono_ns);
}

static void test_out_of_order(void **state)
{
	struct stats_log *a = series_1s(), *b = series_1s();
	struct stats_summary sa, sb;
	int64_t va[8], vb[8];

	/* a gets probes 1..6 s in send order; b gets 3 after 4 (a reordered
	 * reply) and 5 after 6 (a timeout emitted after the next reply). */
	static const int order_b[] = { 1, 2, 4, 3, 6, 5 };
	static const char st[] = " ooooto";
	static const int64_t rtt[] = { 0, 10, 40, 20, 15, 0, 25 };

	for (int i = 1; i <= 6; i++)
		feed(a, i * SEC, st[i], rtt[i] * MS, 0);
	for (int k = 0; k < 6; k++) {
		int i = order_b[k];

		feed(b, i * SEC, st[i], rtt[i] * MS, 0);
	}
	for (int w = 0; w < STATS_WINDOW_COUNT; w++) {
		stats_log_summary(a, w, 6 * SEC, &sa);
		stats_log_summary(b, w, 6 * SEC, &sb);
		assert_summary_equal(&sa, &sb);
	}
	assert_int_equal(stats_log_recent(a, va, 8), 6);
	assert_int_equal(stats_log_recent(b, vb, 8), 6);
	assert_memory_equal(va, vb, sizeof(va[0]) * 6);
	assert_int_equal(va[4], STATS_LOST);
	/* J over 10, 40, 20, 15, 25 ms whichever way they arrived. */
	stats_log_summary(b, STATS_10S, 6 * SEC, &sb);
	assert_int_equal(sb.jitter_rfc3550, 3561554);
	assert_int_equal(sb.last_value, 25 * MS);
	stats_log_free(a);
	stats_log_free(b);
}

/* ---- property test against a naive reference -------------------------- */

struct ref_sample {
	int64_t mono_ns, value;
	uint8_t status;
	uint16_t flags;
};

static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ull;
}

static int rnd_pct(int pct)
{
	return (int)(rnd() % 100) < pct;
}

static bool ref_annot(const struct ref_sample *r)
{
	return (r->flags & (BB_SAMPLE_LATE | BB_SAMPLE_DUPLICATE)) != 0;
}

static bool ref_isval(const struct ref_sample *r)
{
	return !ref_annot(r) && r->status == BB_STATUS_OK &&
	       r->value != BB_NONE;
}

/* Everything recomputed from scratch over the (sorted) history, written
 * straight from the definitions in stats.h. */
static void reference(const struct ref_sample *all, size_t n_all,
		      int64_t interval, enum stats_window w, int64_t now,
		      struct stats_summary *o)
{
	int64_t wlen = stats_window_ns(w);
	int64_t *vals = calloc(n_all + 1, sizeof(*vals));
	int64_t *starts = calloc(n_all + 1, sizeof(*starts));
	uint32_t *runs = calloc(n_all + 1, sizeof(*runs));
	size_t nv = 0, ns = 0, nr = 0, pairs = 0;
	long double sum = 0, ipdv = 0;
	double J = 0, lastJ = 0;
	bool have = false;
	int64_t prevJ = 0;

	assert_non_null(vals);
	assert_non_null(starts);
	assert_non_null(runs);
	memset(o, 0, sizeof(*o));
	o->window_ns = wlen;
	o->last_value = o->last_mono_ns = BB_NONE;
	o->last_status = BB_STATUS_COUNT;
	o->loss_period_ns = BB_NONE;

	/* RFC 3550 estimator over the whole history up to now. */
	for (size_t i = 0; i < n_all; i++) {
		const struct ref_sample *r = &all[i];

		if (r->mono_ns > now)
			break;
		if (!ref_isval(r))
			continue;
		if (have)
			J += (fabs((double)r->value - (double)prevJ) - J) /
			     16.0;
		have = true;
		prevJ = r->value;
		if (r->mono_ns > now - wlen)
			lastJ = J;
	}

	const struct ref_sample *prev = NULL;
	uint32_t run = 0;
	int64_t run_start = 0;

	for (size_t i = 0; i < n_all; i++) {
		const struct ref_sample *r = &all[i];

		if (r->mono_ns <= now - wlen || r->mono_ns > now)
			continue;
		o->reordered += !!(r->flags & BB_SAMPLE_REORDERED);
		o->duplicates += !!(r->flags & BB_SAMPLE_DUPLICATE);
		o->late += !!(r->flags & BB_SAMPLE_LATE);
		if (ref_annot(r))
			continue;
		o->count++;
		o->last_value = ref_isval(r) ? r->value : BB_NONE;
		o->last_status = r->status;
		o->last_mono_ns = r->mono_ns;
		if (r->status != BB_STATUS_OK) {
			o->lost++;
			if (run++ == 0)
				run_start = r->mono_ns;
		} else {
			if (run) {
				runs[nr++] = run;
				if (run >= 2)
					starts[ns++] = run_start;
			}
			run = 0;
		}
		if (ref_isval(r)) {
			vals[nv++] = r->value;
			sum += r->value;
			if (prev && ref_isval(prev)) {
				ipdv += llabs(r->value - prev->value);
				pairs++;
			}
		}
		prev = r;
	}
	if (run) {
		runs[nr++] = run;
		if (run >= 2)
			starts[ns++] = run_start;
	}
	o->loss_run_current = run;
	for (size_t k = 0; k < nr; k++) {
		uint32_t len = runs[k];
		int b = len <= 4 ? (int)len - 1 : len <= 9 ? 4 : 5;

		o->loss_run_hist[b]++;
		if (len > o->loss_run_longest)
			o->loss_run_longest = len;
	}
	o->loss_pct = o->count ? 100.0 * o->lost / o->count : 0;

	bool per = false;
	if (ns >= 3) {
		int64_t mean = (starts[ns - 1] - starts[0]) / (int64_t)(ns - 1);
		int64_t tol =
			mean / 10 > 2 * interval ? mean / 10 : 2 * interval;

		per = mean >= 5 * interval;
		for (size_t k = 1; k < ns; k++)
			if (llabs(starts[k] - starts[k - 1] - mean) > tol)
				per = false;
		if (per)
			o->loss_period_ns = mean;
	}
	o->pattern = !o->lost			? STATS_LOSS_NONE
		     : per			? STATS_LOSS_PERIODIC
		     : o->loss_run_longest >= 3 ? STATS_LOSS_BURST
						: STATS_LOSS_SCATTERED;

	o->min = o->avg = o->max = o->stddev = BB_NONE;
	o->p50 = o->p95 = o->p99 = BB_NONE;
	o->ipdv_mean = o->jitter_rfc3550 = o->peak_to_peak = BB_NONE;
	if (nv) {
		/* Insertion sort: slow and obviously right. */
		for (size_t i = 1; i < nv; i++)
			for (size_t j = i; j > 0 && vals[j - 1] > vals[j];
			     j--) {
				int64_t t = vals[j];
				vals[j] = vals[j - 1];
				vals[j - 1] = t;
			}
		long double mean = sum / nv, sq = 0;

		for (size_t i = 0; i < nv; i++)
			sq += (vals[i] - mean) * (vals[i] - mean);
		o->min = vals[0];
		o->max = vals[nv - 1];
		o->peak_to_peak = o->max - o->min;
		o->avg = llroundl(mean);
		o->stddev = llroundl(sqrtl(sq / nv));
		o->p50 = vals[(size_t)ceil(0.50 * nv) - 1];
		o->p95 = vals[(size_t)ceill(0.95L * nv) - 1];
		o->p99 = vals[(size_t)ceill(0.99L * nv) - 1];
		o->jitter_rfc3550 = llround(lastJ);
		if (pairs)
			o->ipdv_mean = llroundl(ipdv / pairs);
	}
	free(vals);
	free(starts);
	free(runs);
}

static void test_property_random(void **state)
{
	const char *env = getenv("BB_SEED");
	uint64_t seed = env ? strtoull(env, NULL, 10) : 20240611u;
	const size_t n = 9000; /* 2.5 h at 1 s: expiry happens */
	struct ref_sample *gen = calloc(n, sizeof(*gen));
	struct ref_sample *added = calloc(n, sizeof(*added));
	struct stats_log *s = series_1s();
	size_t nadded = 0, queries = 0, periodic_seen = 0;
	bool bad = false;
	int64_t t = 0;

	assert_non_null(gen);
	assert_non_null(added);
	rng_state = seed ? seed : 1;
	print_message("property test seed %llu\n", (unsigned long long)seed);

	/* Send times ~1 s apart; in the first half loss from a two-state
	 * (Gilbert) chain, in the second single losses and bursts of 3 every
	 * ~60 s, so every pattern is met. */
	for (size_t i = 0; i < n; i++) {
		struct ref_sample *r = &gen[i];

		t += SEC - 50 * MS + (int64_t)(rnd() % (100 * MS));
		r->mono_ns = t;
		if (i <= n / 2)
			bad = bad ? rnd_pct(60) : rnd_pct(3);
		else /* single losses, and every 60 probes a run of 3 */
			bad = i % 60 < 3 || rnd_pct(1);
		r->status = bad ? (rnd_pct(80) ? BB_STATUS_TIMEOUT
					       : BB_STATUS_ERROR)
				: BB_STATUS_OK;
		r->value =
			r->status == BB_STATUS_OK
				? (rnd_pct(2) ? BB_NONE
					      : 1 * MS + (int64_t)(rnd() %
								   (200 * MS)))
				: BB_NONE;
		if (rnd_pct(2))
			r->flags |= BB_SAMPLE_REORDERED;
		if (rnd_pct(2))
			r->flags |= rnd_pct(50) ? BB_SAMPLE_LATE
						: BB_SAMPLE_DUPLICATE;
	}
	/* Some neighbours arrive swapped. */
	for (size_t i = 0; i + 1 < n; i++)
		if (rnd_pct(5)) {
			struct ref_sample tmp = gen[i];

			gen[i] = gen[i + 1];
			gen[i + 1] = tmp;
			i++;
		}

	for (size_t i = 0; i < n; i++) {
		struct bb_sample smp;
		struct ref_sample *r = &gen[i];
		size_t p;

		sample_init(&smp, BB_KIND_UDP_ECHO);
		smp.mono_ns = r->mono_ns;
		smp.status = r->status;
		smp.flags = r->flags;
		smp.rtt_ns = r->status == BB_STATUS_OK ? r->value : BB_NONE;
		if (ref_annot(r) && r->status == BB_STATUS_OK)
			smp.rtt_ns = 1 * MS; /* annotation values are ignored */
		stats_log_add(s, &smp);

		/* The reference keeps everything, sorted by send time. */
		p = nadded;
		while (p > 0 && added[p - 1].mono_ns > r->mono_ns)
			p--;
		memmove(&added[p + 1], &added[p],
			(nadded - p) * sizeof(added[0]));
		added[p] = *r;
		if (ref_annot(r))
			added[p].value = BB_NONE;
		nadded++;

		if (i % 97 != 96)
			continue;
		/* From the newest send time on: an earlier `now` would ask
		 * about entries already expired relative to the newest. */
		int64_t now = added[nadded - 1].mono_ns +
			      (int64_t)(rnd() % (3 * SEC));
		for (int w = 0; w < STATS_WINDOW_COUNT; w++) {
			struct stats_summary got, want;

			stats_log_summary(s, w, now, &got);
			reference(added, nadded, SEC, w, now, &want);
			assert_summary_equal(&got, &want);
			assert_int_equal(got.truncated, 0);
			periodic_seen += got.pattern == STATS_LOSS_PERIODIC;
			queries++;
		}
	}
	print_message("%zu window summaries matched, %zu periodic\n", queries,
		      periodic_seen);
	/* The generator must have exercised the periodic path. */
	assert_true(periodic_seen > 0);
	stats_log_free(s);
	free(gen);
	free(added);
}

static void test_names(void **state)
{
	assert_string_equal(stats_window_name(STATS_10S), "10s");
	assert_string_equal(stats_window_name(STATS_60S), "60s");
	assert_string_equal(stats_window_name(STATS_5M), "5m");
	assert_string_equal(stats_window_name(STATS_1H), "1h");
	assert_string_equal(stats_loss_pattern_name(STATS_LOSS_NONE), "none");
	assert_string_equal(stats_loss_pattern_name(STATS_LOSS_SCATTERED),
			    "scattered");
	assert_string_equal(stats_loss_pattern_name(STATS_LOSS_BURST), "burst");
	assert_string_equal(stats_loss_pattern_name(STATS_LOSS_PERIODIC),
			    "periodic");
	assert_int_equal(stats_window_ns(STATS_1H), 3600 * SEC);
	stats_log_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_delay_figures),
		cmocka_unit_test(test_percentiles),
		cmocka_unit_test(test_loss_breaks_ipdv_not_rfc3550),
		cmocka_unit_test(test_loss_runs_histogram),
		cmocka_unit_test(test_classification),
		cmocka_unit_test(test_window_expiry),
		cmocka_unit_test(test_annotations_not_counted),
		cmocka_unit_test(test_capacity_bound),
		cmocka_unit_test(test_throughput_kind),
		cmocka_unit_test(test_out_of_order),
		cmocka_unit_test(test_property_random),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_under_load_quiet),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
