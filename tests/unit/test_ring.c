// SPDX-License-Identifier: MIT
/*
 * Unit tests for core/ring: order, wrap-around, full ring = counted drop,
 * capacity rounding, item copying, and a two-thread stress test (a producer
 * pushing millions of sequence-numbered items while the consumer pops) that
 * checks strict order and that nothing vanishes: popped + dropped == pushes
 * attempted.  Built for `make check-tsan`; with BB_TSAN=1 the stress count
 * drops to one million so the run stays short under ThreadSanitizer.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/base/ring.h"

static void test_basic_order(void **state)
{
	struct ring *r = ring_new(8, sizeof(uint64_t));
	uint64_t v;

	assert_non_null(r);
	assert_int_equal(ring_count(r), 0);
	assert_false(ring_pop(r, &v));
	for (uint64_t i = 1; i <= 5; i++)
		assert_true(ring_push(r, &i));
	assert_int_equal(ring_count(r), 5);
	for (uint64_t i = 1; i <= 5; i++) {
		v = 0;
		assert_true(ring_pop(r, &v));
		assert_int_equal(v, i);
	}
	assert_false(ring_pop(r, &v));
	assert_int_equal(ring_count(r), 0);
	assert_int_equal(ring_dropped(r), 0);
	ring_free(r);
}

/* Occupancy cycles 0..3 on a ring of 4 so the counters cross the array end
 * many times at every offset. */
static void test_wrap_around(void **state)
{
	struct ring *r = ring_new(4, sizeof(uint32_t));
	uint32_t next_in = 0, next_out = 0, v;

	assert_non_null(r);
	for (int round = 0; round < 1000; round++) {
		int n = 1 + round % 4;

		for (int i = 0; i < n; i++) {
			assert_true(ring_push(r, &next_in));
			next_in++;
		}
		assert_int_equal(ring_count(r), (size_t)n);
		for (int i = 0; i < n; i++) {
			assert_true(ring_pop(r, &v));
			assert_int_equal(v, next_out);
			next_out++;
		}
		assert_false(ring_pop(r, &v));
	}
	assert_int_equal(ring_dropped(r), 0);
	ring_free(r);
}

static void test_full_drops_counted(void **state)
{
	struct ring *r = ring_new(4, sizeof(int));
	int v;

	assert_non_null(r);
	for (int i = 0; i < 4; i++)
		assert_true(ring_push(r, &i));
	assert_int_equal(ring_count(r), 4);
	v = 100;
	assert_false(ring_push(r, &v));
	assert_false(ring_push(r, &v));
	assert_int_equal(ring_dropped(r), 2);
	assert_int_equal(ring_count(r), 4);

	/* One slot freed: one push fits, the next is refused again. */
	assert_true(ring_pop(r, &v));
	assert_int_equal(v, 0);
	v = 4;
	assert_true(ring_push(r, &v));
	assert_false(ring_push(r, &v));
	assert_int_equal(ring_dropped(r), 3);

	/* The refused items never appear; the accepted ones keep order. */
	for (int i = 1; i <= 4; i++) {
		assert_true(ring_pop(r, &v));
		assert_int_equal(v, i);
	}
	assert_false(ring_pop(r, &v));
	ring_free(r);
}

static void test_capacity_rounding(void **state)
{
	static const size_t asked[] = { 1, 2, 3, 5, 8, 9, 1000, 1024, 1025 };
	static const size_t got[] = { 1, 2, 4, 8, 8, 16, 1024, 1024, 2048 };

	for (size_t k = 0; k < sizeof(asked) / sizeof(asked[0]); k++) {
		struct ring *r = ring_new(asked[k], sizeof(uint16_t));
		uint16_t v = 7;

		assert_non_null(r);
		assert_int_equal(ring_capacity(r), got[k]);
		/* Exactly capacity items fit. */
		for (size_t i = 0; i < got[k]; i++)
			assert_true(ring_push(r, &v));
		assert_false(ring_push(r, &v));
		assert_int_equal(ring_dropped(r), 1);
		ring_free(r);
	}
	errno = 0;
	assert_null(ring_new(0, 8));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(ring_new(8, 0));
	assert_int_equal(errno, EINVAL);
	assert_null(ring_new(SIZE_MAX, 8));
	ring_free(NULL);
}

/* Items of an odd size are copied whole and not beyond. */
static void test_item_copy(void **state)
{
	unsigned char in[37], out[37 + 8];
	struct ring *r = ring_new(3, sizeof(in));

	assert_non_null(r);
	for (int k = 0; k < 10; k++) {
		for (size_t i = 0; i < sizeof(in); i++)
			in[i] = (unsigned char)(k * 31 + i);
		memset(out, 0xAA, sizeof(out));
		assert_true(ring_push(r, in));
		assert_true(ring_pop(r, out));
		assert_memory_equal(in, out, sizeof(in));
		for (size_t i = sizeof(in); i < sizeof(out); i++)
			assert_int_equal(out[i], 0xAA);
	}
	ring_free(r);
}

/* ---- two-thread stress ------------------------------------------------ */

struct item {
	uint64_t seq;
	uint64_t check; /* derived from seq: detects torn or stale slots */
	uint8_t pad[48];
};

struct stress {
	struct ring *r;
	uint64_t attempts; /* pushes to try (to land, if retrying) */
	bool retry;	   /* retry a refused push, not move on */
	uint64_t refused;  /* producer's own count of refused pushes */
	atomic_bool done;
};

static uint64_t check_of(uint64_t seq)
{
	return seq * 0x9E3779B97F4A7C15ull ^ 0xDEADBEEFull;
}

static void *producer(void *arg)
{
	struct stress *st = arg;
	struct item it;

	memset(&it, 0, sizeof(it));
	for (uint64_t seq = 0; seq < st->attempts; seq++) {
		it.seq = seq;
		it.check = check_of(seq);
		it.pad[seq % sizeof(it.pad)] = (uint8_t)seq;
		while (!ring_push(st->r, &it)) {
			st->refused++;
			/* Either way let the consumer run: on a busy machine
			 * the producer would otherwise race through alone. */
			sched_yield();
			if (!st->retry)
				break;
		}
	}
	atomic_store_explicit(&st->done, true, memory_order_release);
	return NULL;
}

static uint64_t stress_count(void)
{
	const char *tsan = getenv("BB_TSAN");

	return tsan && *tsan && strcmp(tsan, "0") != 0 ? 1000000u : 5000000u;
}

/* Consume on this thread until the producer is done and the ring is empty;
 * returns the number popped and checks order on the way. */
static uint64_t consume(struct stress *st)
{
	uint64_t popped = 0, expect = 0;
	struct item it;

	for (;;) {
		if (ring_pop(st->r, &it)) {
			/* Strict order; with drops the sequence may skip. */
			if (st->retry)
				assert_int_equal(it.seq, expect);
			else
				assert_true(it.seq >= expect);
			assert_int_equal(it.check, check_of(it.seq));
			expect = it.seq + 1;
			popped++;
			continue;
		}
		if (atomic_load_explicit(&st->done, memory_order_acquire)) {
			/* done was set after the last push: one more look. */
			if (!ring_pop(st->r, &it))
				break;
			assert_true(it.seq >= expect);
			assert_int_equal(it.check, check_of(it.seq));
			expect = it.seq + 1;
			popped++;
			continue;
		}
		sched_yield();
	}
	return popped;
}

static void run_stress(bool retry, size_t capacity)
{
	struct stress st = { 0 };
	pthread_t th;
	uint64_t popped;

	st.r = ring_new(capacity, sizeof(struct item));
	assert_non_null(st.r);
	st.attempts = stress_count();
	st.retry = retry;
	atomic_init(&st.done, false);
	assert_int_equal(pthread_create(&th, NULL, producer, &st), 0);
	popped = consume(&st);
	assert_int_equal(pthread_join(th, NULL), 0);

	assert_int_equal(ring_dropped(st.r), st.refused);
	if (retry)
		assert_int_equal(popped, st.attempts);
	else
		assert_int_equal(popped + ring_dropped(st.r), st.attempts);
	assert_int_equal(ring_count(st.r), 0);
	print_message("stress %s: %llu items, %llu popped, %llu refused\n",
		      retry ? "retry" : "drop", (unsigned long long)st.attempts,
		      (unsigned long long)popped,
		      (unsigned long long)st.refused);
	ring_free(st.r);
}

static void test_stress_drop(void **state)
{
	/* A small ring so the producer overruns the consumer and drops. */
	run_stress(false, 64);
}

static void test_stress_retry(void **state)
{
	run_stress(true, 1024);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic_order),
		cmocka_unit_test(test_wrap_around),
		cmocka_unit_test(test_full_drops_counted),
		cmocka_unit_test(test_capacity_rounding),
		cmocka_unit_test(test_item_copy),
		cmocka_unit_test(test_stress_drop),
		cmocka_unit_test(test_stress_retry),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
