/* SPDX-License-Identifier: MIT */
/*
 * Per-address token buckets (server/ratelimit.c), charged only for
 * authenticated packets: the burst, the refill rate, addresses independent
 * of each other and of the port, the byte bucket, the 5-minute penalty box
 * after persistent proven abuse (and not after a short burst, nor for
 * unproven packets), the bounded address table, and the lock-free caps
 * (the global send cap, and the charge the unauthenticated guard uses).
 * Time is injected.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <string.h>

#include "proto/wire.h"
#include "server/ratelimit.h"

#define S  (1000000000LL)
#define MS (1000000LL)

static struct sockaddr_in addr(const char *ip, int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons((uint16_t)port) };
	inet_pton(AF_INET, ip, &a.sin_addr);
	return a;
}

#define SA(a) ((const struct sockaddr *)&(a))

static const struct ratelimit_conf conf = {
	.pps = 100,
	.burst = 20,
	.bytes_per_s = 1000000,
	.byte_burst = 10000,
	.abuse_after_ns = 10 * S,
	.ignore_ns = RATELIMIT_IGNORE_NS,
};

static int setup(void **state)
{
	(void)state;
	return wire_init();
}

static int passes(struct ratelimit *rl, const struct sockaddr *a, int n,
		  int64_t now)
{
	int ok = 0;
	for (int i = 0; i < n; i++)
		ok += ratelimit_packet(rl, a, 1, now) == RATELIMIT_PASS;
	return ok;
}

static void test_burst_and_refill(void **state)
{
	struct ratelimit *rl = ratelimit_new(&conf, 16);
	struct sockaddr_in a = addr("192.0.2.1", 1000);
	struct sockaddr_in a_other_port = addr("192.0.2.1", 2000);
	struct sockaddr_in b = addr("192.0.2.2", 1000);
	int64_t t = 5 * S;
	/* a full bucket: exactly the burst passes at one instant */
	assert_int_equal(passes(rl, SA(a), 50, t), 20);
	/* the port does not make a new address */
	assert_int_equal(ratelimit_packet(rl, SA(a_other_port), 1, t),
			 RATELIMIT_DROP);
	/* another address has its own bucket */
	assert_int_equal(passes(rl, SA(b), 5, t), 5);
	/* 100 ms at 100/s refills 10 tokens */
	assert_int_equal(passes(rl, SA(a), 50, t + 100 * MS), 10);
	/* a long pause refills no more than the burst */
	assert_int_equal(passes(rl, SA(a), 50, t + 100 * S), 20);
	/* steady 100/s passes completely: one packet every 10 ms */
	int ok = 0;
	int64_t t0 = t + 200 * S;
	assert_int_equal(passes(rl, SA(a), 20, t0), 20); /* drain */
	for (int i = 1; i <= 100; i++)
		ok += passes(rl, SA(a), 1, t0 + i * 10 * MS);
	assert_int_equal(ok, 100);
	ratelimit_free(rl);
}

static void test_bytes(void **state)
{
	struct ratelimit *rl = ratelimit_new(&conf, 4);
	struct sockaddr_in a = addr("192.0.2.1", 1);
	int64_t t = 1 * S;
	int ok = 0;
	for (int i = 0; i < 20; i++)
		ok += ratelimit_bytes(rl, SA(a), RATELIMIT_DOWN, 1000, t);
	assert_int_equal(ok, 10); /* the 10000-byte burst */
	/* 1 MB/s: 5 ms give 5000 bytes */
	ok = 0;
	for (int i = 0; i < 20; i++)
		ok += ratelimit_bytes(rl, SA(a), RATELIMIT_DOWN, 1000,
				      t + 5 * MS);
	assert_int_equal(ok, 5);
	/* a chunk larger than the burst still passes once it has refilled */
	assert_int_equal(
		ratelimit_bytes(rl, SA(a), RATELIMIT_DOWN, 20000, t + 6 * MS),
		0);
	assert_int_equal(
		ratelimit_bytes(rl, SA(a), RATELIMIT_DOWN, 20000, t + 100 * MS),
		1);
	/* unlimited */
	struct ratelimit_conf u = conf;
	u.bytes_per_s = 0;
	struct ratelimit *rl2 = ratelimit_new(&u, 4);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(
			ratelimit_bytes(rl2, SA(a), RATELIMIT_UP, 65000, t), 1);
	ratelimit_free(rl2);
	ratelimit_free(rl);
}

/* Upload data and download streams have separate buckets: a download that
 * drained its bucket leaves a concurrent upload's bucket full. */
static void test_bytes_directions_separate(void **state)
{
	struct ratelimit *rl = ratelimit_new(&conf, 4);
	struct sockaddr_in a = addr("192.0.2.1", 1);
	int64_t t = 1 * S;
	int down = 0, up = 0;
	for (int i = 0; i < 20; i++)
		down += ratelimit_bytes(rl, SA(a), RATELIMIT_DOWN, 1000, t);
	for (int i = 0; i < 20; i++)
		up += ratelimit_bytes(rl, SA(a), RATELIMIT_UP, 1000, t);
	assert_int_equal(down, 10);
	assert_int_equal(up, 10);
	/* both refill at the full rate, independently: 5 ms = 5000 each */
	down = up = 0;
	for (int i = 0; i < 20; i++) {
		down += ratelimit_bytes(rl, SA(a), RATELIMIT_DOWN, 1000,
					t + 5 * MS);
		up += ratelimit_bytes(rl, SA(a), RATELIMIT_UP, 1000,
				      t + 5 * MS);
	}
	assert_int_equal(down, 5);
	assert_int_equal(up, 5);
	ratelimit_free(rl);
}

static void test_short_burst_is_not_abuse(void **state)
{
	struct ratelimit *rl = ratelimit_new(&conf, 4);
	struct sockaddr_in a = addr("198.51.100.7", 1);
	int64_t t = 1 * S;
	/* over the limit for 5 s, a 2 s break, 5 s again: no penalty box */
	for (int64_t x = 0; x < 5 * S; x += 5 * MS)
		ratelimit_packet(rl, SA(a), 1, t + x);
	t += 7 * S;
	for (int64_t x = 0; x < 5 * S; x += 5 * MS)
		assert_int_not_equal(ratelimit_packet(rl, SA(a), 1, t + x),
				     RATELIMIT_IGNORED);
	assert_false(ratelimit_is_ignored(rl, SA(a), t + 5 * S));
	ratelimit_free(rl);
}

/* A source flooding at twice its limit for t from `from` with
 * authenticated packets, every proven_every-th of them unproven (0: none
 * proven).  Returns the offset at which it was banned, or -1. */
static int64_t flood(struct ratelimit *rl, const struct sockaddr *a,
		     int64_t from, int64_t dur, int proven_every)
{
	int n = 0;
	for (int64_t x = 0; x < dur; x += 5 * MS) {
		int proven = proven_every && ++n % proven_every != 0;
		enum ratelimit_verdict v =
			ratelimit_packet(rl, a, proven, from + x);
		if (v == RATELIMIT_BANNED)
			return x;
		if (v == RATELIMIT_IGNORED)
			fail_msg("ignored without a ban verdict");
	}
	return -1;
}

/* Rule 11: authenticated abuse earns the 5-minute penalty. */
static void test_persistent_abuse_ignored_5_min(void **state)
{
	struct ratelimit *rl = ratelimit_new(&conf, 4);
	struct sockaddr_in a = addr("198.51.100.8", 1);
	struct sockaddr_in b = addr("198.51.100.9", 1);
	int64_t t = 1 * S;
	/* 200 packets/s against a 100/s limit, every one proven */
	int64_t ignored_at = flood(rl, SA(a), t, 20 * S, 1000000);
	/* boxed after about abuse_after_ns of continuous excess */
	assert_true(ignored_at >= 9 * S && ignored_at <= 11 * S);
	int64_t box = t + ignored_at;
	/* ignored for 5 minutes even when it behaves, others unaffected */
	assert_int_equal(ratelimit_packet(rl, SA(a), 1, box + 60 * S),
			 RATELIMIT_IGNORED);
	assert_int_equal(ratelimit_packet(rl, SA(a), 1, box + 299 * S),
			 RATELIMIT_IGNORED);
	assert_true(ratelimit_is_ignored(rl, SA(a), box + 299 * S));
	assert_int_equal(ratelimit_packet(rl, SA(b), 1, box + 60 * S),
			 RATELIMIT_PASS);
	/* and let back in afterwards with a full bucket */
	assert_false(ratelimit_is_ignored(rl, SA(a), box + 300 * S));
	assert_int_equal(passes(rl, SA(a), 30, box + 300 * S), 20);
	ratelimit_free(rl);
}

/* Rule 11: unauthenticated packets never reach the limiter (serve.c
 * charges after the AEAD; test_serve.c checks that); what does is
 * authentic, and a key holder may send it from a forged source.  So a
 * flood of unproven packets (authentic knocks, no cookie), and the same
 * flood mixed with a client's proven ones (every 10th unproven), stay
 * over the limit for a minute without a ban; packets are only dropped. */
static void test_unproven_never_banned(void **state)
{
	struct ratelimit *rl = ratelimit_new(&conf, 4);
	struct sockaddr_in a = addr("198.51.100.10", 1);
	struct sockaddr_in b = addr("198.51.100.11", 1);
	assert_int_equal(flood(rl, SA(a), 1 * S, 60 * S, 0), -1);
	assert_false(ratelimit_is_ignored(rl, SA(a), 61 * S));
	assert_int_equal(flood(rl, SA(b), 1 * S, 60 * S, 10), -1);
	assert_false(ratelimit_is_ignored(rl, SA(b), 61 * S));
	ratelimit_free(rl);
}

/* Rule 11: one limiter for all workers -- two threads charging the same
 * source share one bucket (not one each). */
struct thr {
	struct ratelimit *rl;
	const struct sockaddr *a;
	int passed;
};

static void *charge(void *arg)
{
	struct thr *t = arg;
	for (int i = 0; i < 1000; i++)
		t->passed += ratelimit_packet(t->rl, t->a, 1, 5 * S) ==
			     RATELIMIT_PASS;
	return NULL;
}

static void test_shared_across_threads(void **state)
{
	struct ratelimit *rl = ratelimit_new(&conf, 65536);
	struct sockaddr_in a = addr("198.51.100.12", 1);
	pthread_t th[4];
	struct thr t[4];
	for (int i = 0; i < 4; i++) {
		t[i] = (struct thr){ rl, SA(a), 0 };
		pthread_create(&th[i], NULL, charge, &t[i]);
	}
	int total = 0;
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		total += t[i].passed;
	}
	assert_int_equal(total, 20); /* one burst, not four */
	ratelimit_free(rl);
}

/* Rule 11: IPv6 is limited per /64: 256 addresses of one /64 share one
 * bucket; another /64 has its own. */
static void test_ipv6_per_64(void **state)
{
	struct ratelimit *rl = ratelimit_new(&conf, 1024);
	struct sockaddr_in6 a = { .sin6_family = AF_INET6 };
	inet_pton(AF_INET6, "2001:db8:1:2::", &a.sin6_addr);
	int ok = 0;
	for (int i = 0; i < 256; i++) {
		a.sin6_addr.s6_addr[15] = (uint8_t)i;
		a.sin6_addr.s6_addr[9] = (uint8_t)(i * 7);
		ok += ratelimit_packet(rl, SA(a), 1, S) == RATELIMIT_PASS;
	}
	assert_int_equal(ok, 20);
	inet_pton(AF_INET6, "2001:db8:1:3::1", &a.sin6_addr);
	assert_int_equal(ratelimit_packet(rl, SA(a), 1, S), RATELIMIT_PASS);
	ratelimit_free(rl);
}

/* Rule 11: the table is bounded; sources it cannot hold share an
 * overflow bucket, and a penalised source is never forgotten to make
 * room, however many others come by. */
static void test_table_bounded(void **state)
{
	struct ratelimit *rl = ratelimit_new(&conf, 8);
	struct sockaddr_in a = addr("203.0.113.1", 1);
	int ok = 0;
	for (uint32_t i = 0; i < 1000; i++) {
		a.sin_addr.s_addr = htonl(0xcb007100u + i);
		ok += ratelimit_packet(rl, SA(a), 1, S) == RATELIMIT_PASS;
		assert_true(ratelimit_count(rl) <= 8);
	}
	assert_int_equal(ratelimit_count(rl), 8);
	assert_int_equal(ok, 8 + 20); /* own buckets, then one shared */
	/* ban one source, then 100 s of other sources passing by */
	struct sockaddr_in bad = addr("198.51.100.66", 1);
	struct ratelimit *r2 = ratelimit_new(&conf, 8);
	int64_t at = flood(r2, SA(bad), 1 * S, 20 * S, 1000000);
	assert_true(at > 0);
	for (uint32_t i = 0; i < 10000; i++) {
		a.sin_addr.s_addr = htonl(0xcb007100u + i);
		ratelimit_packet(r2, SA(a), 1, 22 * S + (int64_t)i * 10 * MS);
	}
	assert_true(ratelimit_is_ignored(r2, SA(bad), 122 * S));
	assert_int_equal(ratelimit_packet(r2, SA(bad), 1, 122 * S),
			 RATELIMIT_IGNORED);
	ratelimit_free(r2);
	ratelimit_free(rl);
}

/* Rule 11: validated sessions capped per address and per IPv6 /64. */
static void test_sessions_per_source(void **state)
{
	struct ratelimit_conf c = conf;
	c.max_sessions_per_source = 2;
	c.max_sessions_per_prefix = 3;
	struct ratelimit *rl = ratelimit_new(&c, 64);
	struct sockaddr_in a = addr("198.51.100.20", 1);
	assert_int_equal(ratelimit_session_add(rl, SA(a), S), 0);
	assert_int_equal(ratelimit_session_add(rl, SA(a), S), 0);
	assert_int_equal(ratelimit_session_add(rl, SA(a), S), -EUSERS);
	ratelimit_session_del(rl, SA(a));
	assert_int_equal(ratelimit_session_add(rl, SA(a), S), 0);
	struct sockaddr_in6 v = { .sin6_family = AF_INET6 };
	inet_pton(AF_INET6, "2001:db8:9::1", &v.sin6_addr);
	assert_int_equal(ratelimit_session_add(rl, SA(v), S), 0);
	assert_int_equal(ratelimit_session_add(rl, SA(v), S), 0);
	assert_int_equal(ratelimit_session_add(rl, SA(v), S), -EUSERS);
	v.sin6_addr.s6_addr[15] = 2; /* same /64, other address */
	assert_int_equal(ratelimit_session_add(rl, SA(v), S), 0);
	v.sin6_addr.s6_addr[15] = 3; /* /64 full */
	assert_int_equal(ratelimit_session_add(rl, SA(v), S), -EUSERS);
	ratelimit_free(rl);
}

/* Rule 11: the global send cap holds across threads (GCRA). */
static void test_ratecap(void **state)
{
	struct ratecap c;
	ratecap_init(&c, 1000000, 10000); /* 1 MB/s, 10 kB burst */
	int64_t t = 1 * S;
	size_t sent = 0;
	for (int64_t x = 0; x < 1 * S; x += 100000) /* every 100 us */
		for (int k = 0; k < 10; k++)
			sent += ratecap_take(&c, 1000, t + x) ? 1000 : 0;
	/* 1 s at 1 MB/s plus the burst, never more */
	assert_true(sent <= 1000000 + 10000 + 1000);
	assert_true(sent >= 990000);
	ratecap_init(&c, 0, 0);
	assert_int_equal(ratecap_take(&c, 1 << 30, t), 1);
}

/* The unauthenticated guard's charge (serve.c): work already done is
 * paid for even over the cap, so a flood of failed opens empties the
 * budget for others; the debt stops one burst beyond empty, so the budget
 * is back burst/rate after the flood ends, not after the flood's length. */
static void test_ratecap_charge(void **state)
{
	struct ratecap g;
	ratecap_init(&g, 1000, 100); /* 1000 packets/s, burst 100 */
	int64_t t = 1 * S;
	for (int i = 0; i < 100000; i++) /* a flood, all at once */
		ratecap_charge(&g, 1, t);
	assert_int_equal(ratecap_take(&g, 1, t), 0);
	assert_int_equal(ratecap_take(&g, 1, t + 50 * MS), 0);
	/* one burst of debt = 100 ms at 1000/s, then room again */
	assert_int_equal(ratecap_take(&g, 1, t + 150 * MS), 1);
	ratecap_init(&g, 0, 0);
	ratecap_charge(&g, 1000000, t);
	assert_int_equal(ratecap_take(&g, 1, t), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_burst_and_refill),
		cmocka_unit_test(test_bytes),
		cmocka_unit_test(test_bytes_directions_separate),
		cmocka_unit_test(test_short_burst_is_not_abuse),
		cmocka_unit_test(test_persistent_abuse_ignored_5_min),
		cmocka_unit_test(test_unproven_never_banned),
		cmocka_unit_test(test_shared_across_threads),
		cmocka_unit_test(test_ipv6_per_64),
		cmocka_unit_test(test_table_bounded),
		cmocka_unit_test(test_sessions_per_source),
		cmocka_unit_test(test_ratecap),
		cmocka_unit_test(test_ratecap_charge),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
