/* SPDX-License-Identifier: MIT */
/*
 * Tests for proto/antireplay: the +-60 s clock window, duplicates, reordering
 * inside the window (at least 64 packets, in fact REPLAY_SLOTS - 1), packets
 * too old for it, and a long random stream checked against a naive model
 * that remembers every nonce it ever accepted.
 */
#include "proto/antireplay.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define S 1000000000ULL
static const uint64_t NOW = 1732000000ULL * S;

static struct antireplay_window w;

static int take(uint64_t ts)
{
	int rc = antireplay_check(&w, ts, NOW);

	if (rc == 0)
		assert_int_equal(antireplay_commit(&w, ts), 0);
	return rc;
}

static void test_in_order_and_duplicate(void **state)
{
	antireplay_init(&w);
	for (uint64_t i = 0; i < 1000; i++)
		assert_int_equal(take(NOW - 30 * S + i * 1000), 0);
	assert_int_equal(take(NOW - 30 * S + 999 * 1000), -EALREADY);
	assert_int_equal(take(NOW - 30 * S + 950 * 1000), -EALREADY);
	assert_int_equal(take(NOW - 30 * S + 950 * 1000 + 1), 0);
	assert_int_equal(take(NOW - 30 * S + 950 * 1000 + 1), -EALREADY);
}

static void test_check_is_read_only(void **state)
{
	antireplay_init(&w);
	assert_int_equal(antireplay_check(&w, NOW, NOW), 0);
	assert_int_equal(antireplay_check(&w, NOW, NOW), 0); /* not recorded */
	assert_int_equal(antireplay_commit(&w, NOW), 0);
	assert_int_equal(antireplay_check(&w, NOW, NOW), -EALREADY);
	/* commit re-checks: a second commit changes nothing */
	assert_int_equal(antireplay_commit(&w, NOW), -EALREADY);
	assert_int_equal(w.count, 1);
}

static void test_clock_window(void **state)
{
	const uint64_t lim = REPLAY_CLOCK_NS;

	assert_int_equal(lim, 60 * S);
	antireplay_init(&w);
	assert_int_equal(antireplay_check(&w, NOW + lim, NOW), 0);
	assert_int_equal(antireplay_check(&w, NOW - lim, NOW), 0);
	assert_int_equal(antireplay_check(&w, NOW + lim + 1, NOW), -ESTALE);
	assert_int_equal(antireplay_check(&w, NOW - lim - 1, NOW), -ESTALE);
	assert_int_equal(antireplay_check(&w, 0, NOW), -ESTALE);
	assert_int_equal(antireplay_check(&w, UINT64_MAX, NOW), -ESTALE);
	/* No wrap-around near either end of the counter. */
	assert_int_equal(antireplay_check(&w, 5, 10), 0);
	assert_int_equal(antireplay_check(&w, lim + 11, 10), -ESTALE);
	assert_int_equal(antireplay_check(&w, UINT64_MAX, UINT64_MAX - 5), 0);
	assert_int_equal(antireplay_check(&w, 3, UINT64_MAX - 5), -ESTALE);
}

/* A packet overtaken by REPLAY_SLOTS - 1 (>= 64) later ones is accepted
 * once; by REPLAY_SLOTS later ones it is too old. */
static void test_reorder_depth(void **state)
{
	const uint64_t base = NOW - 10 * S;

	antireplay_init(&w);
	assert_int_equal(take(base), 0);
	/* base + 1000 is "in flight"; REPLAY_SLOTS - 1 later ones arrive. */
	for (uint64_t i = 2; i <= REPLAY_SLOTS; i++)
		assert_int_equal(take(base + i * 1000), 0);
	assert_int_equal(take(base + 1000), 0);
	assert_int_equal(take(base + 1000), -EALREADY);

	antireplay_init(&w);
	assert_int_equal(take(base), 0);
	for (uint64_t i = 2; i <= REPLAY_SLOTS + 1; i++)
		assert_int_equal(take(base + i * 1000), 0);
	assert_int_equal(take(base + 1000), -ERANGE);
	assert_int_equal(antireplay_commit(&w, base + 1000), -ERANGE);
	/* replays of forgotten nonces are refused too, never re-accepted */
	assert_int_equal(take(base), -ERANGE);
	assert_int_equal(w.count, REPLAY_SLOTS);
}

/* 64 packets delivered in exactly reversed order. */
static void test_reverse_block_of_64(void **state)
{
	const uint64_t base = NOW + 1;

	antireplay_init(&w);
	for (uint64_t round = 0; round < 20; round++) {
		uint64_t b = base + round * 64 * 10;

		for (int i = 63; i >= 0; i--)
			assert_int_equal(take(b + (uint64_t)i * 10), 0);
		for (int i = 0; i < 64; i++)
			assert_int_not_equal(take(b + (uint64_t)i * 10), 0);
	}
}

/* ---- wide window (one per client_id, rule 10) -----------------------------
 */

static int take_wide(struct antireplay_wide *x, uint64_t ts, uint64_t now)
{
	int rc = antireplay_wide_check(x, ts, now);

	if (rc == 0)
		assert_int_equal(antireplay_wide_commit(x, ts, now), 0);
	return rc;
}

/* Two interfaces of one client share a nonce sequence: interface B's
 * packet, sealed between A's, arrives behind 8000 of A's (a slow path
 * under a fast upload) and is accepted once; the window grew to hold
 * that.  Nothing below the floor is accepted. */
static void test_wide_two_paths(void **state)
{
	struct antireplay_wide x;
	const uint64_t base = NOW - 5 * S;

	assert_int_equal(antireplay_wide_init(&x, base), 0);
	assert_int_equal(x.cap, REPLAY_SLOTS);
	assert_int_equal(take_wide(&x, base, NOW), 0);
	assert_int_equal(take_wide(&x, base - 1, NOW), -ERANGE); /* floor */
	/* B sealed base+2; A's base+3 ... arrive first */
	for (uint64_t i = 0; i < REPLAY_WIDE_MAX - 2; i++)
		assert_int_equal(take_wide(&x, base + 3 + i * 100, NOW), 0);
	assert_int_equal(x.cap, REPLAY_WIDE_MAX);
	assert_int_equal(take_wide(&x, base + 2, NOW), 0);
	assert_int_equal(take_wide(&x, base + 2, NOW), -EALREADY);
	assert_int_equal(take_wide(&x, base + 3 + 500 * 100, NOW), -EALREADY);
	/* full at its widest: the oldest is forgotten, and refused */
	for (uint64_t i = 0; i < 10; i++)
		assert_int_equal(take_wide(&x, NOW + i, NOW), 0);
	assert_int_equal(x.cap, REPLAY_WIDE_MAX);
	assert_int_equal(take_wide(&x, base, NOW), -ERANGE);
	assert_int_equal(take_wide(&x, base + 1, NOW), -ERANGE);
	antireplay_wide_free(&x);
}

/* A slow client does not grow its window: when the value it would forget
 * is already outside the clock window, it is forgotten (and any replay of
 * it is refused by the clock check anyway). */
static void test_wide_slow_stays_small(void **state)
{
	struct antireplay_wide x;
	uint64_t now = NOW;

	assert_int_equal(antireplay_wide_init(&x, now), 0);
	for (int i = 0; i < 1000; i++, now += S) /* one packet a second */
		assert_int_equal(take_wide(&x, now, now), 0);
	/* at 1/s, 128 slots span 128 s: whenever it is full, its oldest
	 * value is beyond the 60 s clock window, so it never grows */
	assert_int_equal(x.cap, REPLAY_SLOTS);
	assert_int_equal(take_wide(&x, now - 2 * S, now), -EALREADY);
	assert_int_equal(take_wide(&x, now - 100 * S, now), -ESTALE);
	antireplay_wide_free(&x);
}

/* ---- against a naive model ----------------------------------------------- */

#define NSTREAM 20000
static uint64_t seen[NSTREAM];
static size_t nseen;

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* What the window must answer, from the full accepted history. */
static int model(uint64_t ts)
{
	int dup = 0;
	size_t greater = 0;

	for (size_t i = 0; i < nseen; i++) {
		if (seen[i] == ts)
			dup = 1;
		if (seen[i] > ts)
			greater++;
	}
	/* ts is remembered iff fewer than REPLAY_SLOTS accepted values are
	 * above it; an unknown ts is within the window iff the window is
	 * not full or fewer than REPLAY_SLOTS values are above it. */
	if (dup)
		return greater < REPLAY_SLOTS ? -EALREADY : -ERANGE;
	if (nseen >= REPLAY_SLOTS && greater >= REPLAY_SLOTS)
		return -ERANGE;
	return 0;
}

static void test_random_stream_vs_model(void **state)
{
	static uint64_t stream[NSTREAM];
	size_t n = 0, accepted = 0, refused = 0;

	srand(12345);
	/* A sender's increasing nonces, shuffled locally (displacement up to
	 * ~150 packets, beyond the window on purpose), with duplicates. */
	for (size_t i = 0; i < NSTREAM / 2; i++)
		stream[n++] = NOW - 20 * S + i * 997;
	for (size_t i = 0; i < n; i++) {
		size_t j = i + (size_t)rand() % 150;

		if (j < n) {
			uint64_t t = stream[i];

			stream[i] = stream[j];
			stream[j] = t;
		}
	}
	while (n < NSTREAM) {
		size_t j = (size_t)rand() % n;

		stream[n++] = stream[j];
	}
	antireplay_init(&w);
	nseen = 0;
	for (size_t i = 0; i < NSTREAM; i++) {
		int want = model(stream[i]);
		int got = take(stream[i]);

		assert_int_equal(got, want);
		if (got == 0) {
			seen[nseen++] = stream[i];
			accepted++;
		} else {
			refused++;
		}
	}
	/* No nonce was accepted twice. */
	qsort(seen, nseen, sizeof(seen[0]), cmp_u64);
	for (size_t i = 1; i < nseen; i++)
		assert_true(seen[i - 1] < seen[i]);
	assert_true(accepted > NSTREAM / 4 && refused > NSTREAM / 4);
	/* Internal order invariant: strictly increasing from head. */
	for (uint32_t i = 1; i < w.count; i++)
		assert_true(w.slot[(w.head + i - 1) % REPLAY_SLOTS] <
			    w.slot[(w.head + i) % REPLAY_SLOTS]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_in_order_and_duplicate),
		cmocka_unit_test(test_check_is_read_only),
		cmocka_unit_test(test_clock_window),
		cmocka_unit_test(test_reorder_depth),
		cmocka_unit_test(test_reverse_block_of_64),
		cmocka_unit_test(test_random_stream_vs_model),
		cmocka_unit_test(test_wide_two_paths),
		cmocka_unit_test(test_wide_slow_stays_small),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
