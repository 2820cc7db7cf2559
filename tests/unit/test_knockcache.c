/* SPDX-License-Identifier: MIT */
/*
 * server/knockcache (PROTOCOL.md rule 9): a claimed knock nonce is refused
 * a second time for as long as it is inside the acceptance window, never
 * overwritten by later claims however many arrive (the cache refuses new
 * ones when full), forgotten only after the window, and a nonce_ts older
 * than the server's start is refused (a restart empties the cache).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "proto/wire.h"
#include "server/knockcache.h"

#define S (1000000000ULL)

static const uint64_t T0 = 1700000000ULL * S;

static int setup(void **state)
{
	return wire_init();
}

static void cid_of(uint32_t i, uint8_t cid[8])
{
	memset(cid, 0, 8);
	memcpy(cid, &i, sizeof(i));
}

static void test_claim_once(void **state)
{
	struct knockcache *kc = knockcache_new(64, T0);
	uint8_t a[8], b[8];
	cid_of(1, a);
	cid_of(2, b);
	assert_int_equal(knockcache_claim(kc, a, T0 + 10, T0 + 10), 0);
	assert_int_equal(knockcache_claim(kc, a, T0 + 10, T0 + 11), -EALREADY);
	/* same nonce, other client: a different claim */
	assert_int_equal(knockcache_claim(kc, b, T0 + 10, T0 + 12), 0);
	/* still refused just before the window (60 s + 1 s) ends */
	assert_int_equal(knockcache_claim(kc, a, T0 + 10, T0 + 10 + 60 * S),
			 -EALREADY);
	knockcache_free(kc);
}

/* The captured knock is replayed after the server restarted: the new
 * cache is empty, but the nonce predates its start. */
static void test_restart(void **state)
{
	uint8_t a[8];
	cid_of(7, a);
	uint64_t knock = T0 + 5 * S;
	struct knockcache *kc = knockcache_new(64, T0);
	assert_int_equal(knockcache_claim(kc, a, knock, knock), 0);
	knockcache_free(kc);
	kc = knockcache_new(64, T0 + 20 * S); /* restarted 15 s later */
	assert_int_equal(knockcache_claim(kc, a, knock, T0 + 21 * S), -ESTALE);
	/* a fresh knock after the restart is fine */
	assert_int_equal(knockcache_claim(kc, a, T0 + 21 * S, T0 + 21 * S), 0);
	knockcache_free(kc);
}

/* Cache pressure: far more claims than slots inside one window.  The
 * first claim is never overwritten (its replay stays refused) and the
 * cache says no to new claims rather than forget a live one; after the
 * window the slots are reused. */
static void test_pressure_never_overwrites(void **state)
{
	struct knockcache *kc = knockcache_new(256, T0);
	uint8_t first[8], c[8];
	cid_of(0xffffffff, first);
	assert_int_equal(knockcache_claim(kc, first, T0 + S, T0 + S), 0);
	int ok = 0, full = 0;
	for (uint32_t i = 0; i < 5000; i++) {
		cid_of(i, c);
		int rc = knockcache_claim(kc, c, T0 + S + 2 * i, T0 + 2 * S);
		if (rc == 0)
			ok++;
		else if (rc == -ENOSPC)
			full++;
		else
			fail_msg("claim %u: %d", i, rc);
		/* the first claim is never forgotten */
		if (i % 97 == 0)
			assert_int_equal(
				knockcache_claim(kc, first, T0 + S, T0 + 2 * S),
				-EALREADY);
	}
	print_message("256 slots, 5000 claims in the window: %d taken, "
		      "%d refused\n",
		      ok, full);
	assert_true(ok <= 256);
	assert_true(ok >= 128); /* a useful fill before refusing */
	assert_true(full >= 5000 - 256);
	assert_int_equal(knockcache_live(kc, T0 + 2 * S), (size_t)ok + 1);
	assert_int_equal(knockcache_claim(kc, first, T0 + S, T0 + 3 * S),
			 -EALREADY);
	/* 62 s later everything has left the window: room again */
	cid_of(123456, c);
	assert_int_equal(knockcache_claim(kc, c, T0 + 70 * S, T0 + 70 * S), 0);
	assert_int_equal(knockcache_live(kc, T0 + 70 * S), 1);
	knockcache_free(kc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_claim_once),
		cmocka_unit_test(test_restart),
		cmocka_unit_test(test_pressure_never_overwrites),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
