/* SPDX-License-Identifier: MIT */
/*
 * core/clocksync: synthetic echo exchanges with a known offset and drift
 * (server = client + OFF + DRIFT * t), symmetric base delay plus random
 * queueing; the estimate must land within a bound, quality must rise with
 * consistent exchanges and fall with noisy ones.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>

#include "core/probe/clocksync.h"
#include "core/base/sample.h"

#define MS 1000000LL

/* Exchange at client time t: base one-way delay d, queueing up to q_up /
 * q_down (uniform), server = client + off + drift_ppm * t / 1e6. */
static void xchg(struct clocksync *cs, int64_t t, int64_t d, int64_t q_up,
		 int64_t q_down, int64_t off, double drift_ppm)
{
	int64_t up = d + (q_up ? rand() % q_up : 0);
	int64_t down = d + (q_down ? rand() % q_down : 0);
	int64_t t1 = t;
	int64_t skew = off + (int64_t)(drift_ppm * (double)t / 1e6);
	int64_t t2 = t1 + up + skew;
	int64_t t3 = t2 + 20000; /* 20 us in the server */
	int64_t t4 = t3 - skew + down;
	clocksync_add(cs, t1, t2, t3, t4);
}

static void test_known_offset(void **state)
{
	struct clocksync *cs = clocksync_new();
	struct clocksync_est e;
	assert_int_equal(clocksync_estimate(cs, 0, &e), -EAGAIN);
	srand(1);
	int64_t t = 1000 * MS;
	for (int i = 0; i < 90; i++, t += 100 * MS)
		xchg(cs, t, 10 * MS, MS / 2, MS / 2, 37 * MS, 0);
	assert_int_equal(clocksync_estimate(cs, t, &e), 0);
	assert_true(llabs(e.offset_ns - 37 * MS) < MS / 2);
	assert_true(e.quality >= 80.0);
	int64_t up, down;
	clocksync_oneway(&e, 0, 10 * MS + 37 * MS, 11 * MS + 37 * MS, 21 * MS,
			 &up, &down);
	assert_true(llabs(up - 10 * MS) < MS / 2);
	assert_true(llabs(down - 10 * MS) < MS / 2);
	clocksync_free(cs);
}

static void test_drift(void **state)
{
	struct clocksync *cs = clocksync_new();
	struct clocksync_est e;
	srand(2);
	int64_t t = 0;
	/* 50 ppm over 90 s: 4.5 ms of drift across the window */
	for (int i = 0; i < 90; i++, t += 1000 * MS)
		xchg(cs, t, 5 * MS, MS, MS, -3 * MS, 50.0);
	assert_int_equal(clocksync_estimate(cs, t, &e), 0);
	int64_t truth = -3 * MS + (int64_t)(50.0 * (double)t / 1e6);
	assert_true(llabs(e.offset_ns - truth) < MS / 2);
	assert_true(e.drift_ppm > 40 && e.drift_ppm < 60);
	clocksync_free(cs);
}

static void test_quality_rises_and_falls(void **state)
{
	struct clocksync *cs = clocksync_new();
	struct clocksync_est e;
	srand(3);
	int64_t t = 0;
	double last = -1;
	for (int i = 0; i < 8; i++, t += 100 * MS) {
		xchg(cs, t, 10 * MS, 100000, 100000, 0, 0);
		assert_int_equal(clocksync_estimate(cs, t, &e), 0);
		assert_true(e.quality >= last); /* rises while consistent */
		last = e.quality;
	}
	assert_true(last >= 80.0);
	/* asymmetric queueing noise of up to 40 ms, one way only */
	clocksync_reset(cs);
	for (int i = 0; i < 90; i++, t += 100 * MS)
		xchg(cs, t, 10 * MS, 40 * MS, 0, 0, 0);
	assert_int_equal(clocksync_estimate(cs, t, &e), 0);
	assert_true(e.quality < 80.0);
	clocksync_free(cs);
}

/* The estimate travels on the sample as figures (no text in detail):
 * quality rounded to a percent, the exchange count capped at 255. */
static void test_mark(void **state)
{
	struct clocksync_est e = { .offset_ns = -1234,
				   .quality = 93.6,
				   .n = 40 };
	struct bb_sample s;
	sample_init(&s, BB_KIND_UDP_ECHO);
	assert_int_equal(s.sync_pct, -1);
	assert_true(s.clock_offset_ns == BB_NONE);
	clocksync_mark(&e, &s);
	assert_int_equal(s.sync_pct, 94);
	assert_int_equal(s.sync_n, 40);
	assert_true(s.clock_offset_ns == -1234);
	assert_string_equal(s.detail, "");
	e.quality = 100.0;
	e.n = 1000;
	clocksync_mark(&e, &s);
	assert_int_equal(s.sync_pct, 100);
	assert_int_equal(s.sync_n, 255);
}

/* A server's timestamps are figures it chose: forged ones (INT64 limits,
 * a packet held longer than the round trip, an hour off) are neither
 * stored nor used, and no difference overflows (UBSan build). */
static void test_hostile_timestamps(void **state)
{
	const int64_t t1 = 1700000000LL * 1000000000LL, t4 = t1 + 20 * MS;
	struct clocksync *cs = clocksync_new();
	struct clocksync_est e;
	int64_t up, down;

	assert_true(clocksync_plausible(t1, t1 + 10 * MS, t1 + 10 * MS, t4));
	assert_false(clocksync_plausible(t1, INT64_MIN, INT64_MAX, t4));
	assert_false(clocksync_plausible(t1, INT64_MAX, INT64_MIN, t4));
	assert_false(clocksync_plausible(t1, -1, 0, t4));
	assert_false(clocksync_plausible(t1, t1, t1 + 30 * MS, t4)); /* held */
	assert_false(clocksync_plausible(t1, t1 + 10 * MS, t1 + 5 * MS, t4));
	assert_false(clocksync_plausible(t4, t1, t1, t1)); /* t4 < t1 */
	assert_false(clocksync_plausible(
		t1, t1 + CLOCKSYNC_MAX_SKEW_NS + t4 - t1 + 1,
		t1 + CLOCKSYNC_MAX_SKEW_NS + t4 - t1 + 1, t4));
	clocksync_add(cs, t1, INT64_MIN, INT64_MAX, t4);
	clocksync_add(cs, t1, (int64_t)(UINT64_MAX >> 1), INT64_MAX, t4);
	assert_int_equal(clocksync_estimate(cs, t1, &e), -EAGAIN);
	for (int i = 0; i < 20; i++) /* an honest server 5 ms ahead */
		clocksync_add(cs, t1 + i * 100 * MS,
			      t1 + i * 100 * MS + 15 * MS,
			      t1 + i * 100 * MS + 15 * MS, t4 + i * 100 * MS);
	assert_int_equal(clocksync_estimate(cs, t1, &e), 0);
	assert_true(e.offset_ns == 5 * MS);
	clocksync_oneway(&e, t1, t1 + 15 * MS, t1 + 15 * MS, t4, &up, &down);
	assert_true(up == 10 * MS && down == 10 * MS);
	clocksync_oneway(&e, t1, INT64_MIN, INT64_MAX, t4, &up, &down);
	assert_true(up == BB_NONE && down == BB_NONE);
	/* plausible figures with a bad offset: no one-way beyond the RTT */
	e.offset_ns = -15 * MS;
	clocksync_oneway(&e, t1, t1 + 15 * MS, t1 + 15 * MS, t4, &up, &down);
	assert_true(up == 20 * MS && down == 0);
	clocksync_free(cs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_offset),
		cmocka_unit_test(test_drift),
		cmocka_unit_test(test_quality_rises_and_falls),
		cmocka_unit_test(test_mark),
		cmocka_unit_test(test_hostile_timestamps),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
