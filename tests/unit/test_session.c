/* SPDX-License-Identifier: MIT */
/*
 * Session table (server/session.c): create, refresh, expiry, the cap with
 * oldest-idle eviction, lookup by (address, client_id) where the port does
 * not matter but the address does, and per-session caller state.
 * Time is injected: no sleeping.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "proto/wire.h"
#include "server/session.h"

#define S (1000000000LL)

static struct sockaddr_in addr(const char *ip, int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons((uint16_t)port) };
	inet_pton(AF_INET, ip, &a.sin_addr);
	return a;
}

#define SA(a) ((const struct sockaddr *)&(a))

static const uint8_t cid1[8] = { 1, 1, 1, 1, 1, 1, 1, 1 };
static const uint8_t cid2[8] = { 2, 2, 2, 2, 2, 2, 2, 2 };
static const uint8_t cid3[8] = { 3, 3, 3, 3, 3, 3, 3, 3 };

struct removed {
	int n;
	enum session_end last_why;
	uint8_t last_cid[8];
};

static void on_remove(struct session *s, enum session_end why, void *ctx)
{
	struct removed *r = ctx;
	r->n++;
	r->last_why = why;
	memcpy(r->last_cid, s->client_id, 8);
}

static int setup(void **state)
{
	(void)state;
	return wire_init();
}

static void test_create_find(void **state)
{
	struct removed r = { 0 };
	struct session_table *t =
		session_table_new(4, 300 * S, 300 * S, 16, on_remove, &r);
	assert_non_null(t);
	struct sockaddr_in a = addr("127.0.0.1", 4000);
	assert_null(session_find(t, SA(a), cid1));
	struct session *s = session_add(t, SA(a), sizeof(a), cid1, 10 * S);
	assert_non_null(s);
	assert_int_equal(session_count(t), 1);
	assert_ptr_equal(session_find(t, SA(a), cid1), s);
	/* another port of the same address is the same session */
	struct sockaddr_in a2 = addr("127.0.0.1", 5000);
	assert_ptr_equal(session_find(t, SA(a2), cid1), s);
	/* another client id from that address is not */
	assert_null(session_find(t, SA(a), cid2));
	/* the same client id from another address is not */
	struct sockaddr_in b = addr("127.0.0.2", 4000);
	assert_null(session_find(t, SA(b), cid1));
	/* but it is found by client id alone, once */
	assert_ptr_equal(session_find_cid(t, cid1, NULL), s);
	assert_null(session_find_cid(t, cid1, s));
	assert_null(session_find_cid(t, cid2, NULL));
	/* priv state is zeroed and round-trips */
	unsigned char *p = session_priv(s);
	for (int i = 0; i < 16; i++)
		assert_int_equal(p[i], 0);
	assert_ptr_equal(session_of_priv(p), s);
	session_table_free(t);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.last_why, SESSION_CLOSED);
}

static void test_refresh_and_expiry(void **state)
{
	struct removed r = { 0 };
	struct session_table *t =
		session_table_new(4, 300 * S, 300 * S, 0, on_remove, &r);
	struct sockaddr_in a = addr("127.0.0.1", 4000);
	struct sockaddr_in b = addr("127.0.0.2", 4000);
	struct session *sa = session_add(t, SA(a), sizeof(a), cid1, 0);
	session_add(t, SA(b), sizeof(b), cid2, 10 * S);
	assert_int_equal(session_deadline(t, sa), 300 * S);
	/* traffic at 200 s from a new port refreshes and updates the port */
	struct sockaddr_in a2 = addr("127.0.0.1", 4444);
	session_touch(t, sa, SA(a2), sizeof(a2), 200 * S);
	assert_int_equal(ntohs(((struct sockaddr_in *)&sa->addr)->sin_port),
			 4444);
	assert_int_equal(session_deadline(t, sa), 500 * S);
	assert_int_equal(session_expire(t, 309 * S), 0);
	/* b (last traffic at 10 s) expires at 310 s, a does not */
	assert_int_equal(session_expire(t, 310 * S), 1);
	assert_int_equal(r.last_why, SESSION_EXPIRED);
	assert_memory_equal(r.last_cid, cid2, 8);
	assert_null(session_find(t, SA(b), cid2));
	assert_non_null(session_find(t, SA(a), cid1));
	assert_int_equal(session_expire(t, 499 * S), 0);
	assert_int_equal(session_expire(t, 500 * S), 1);
	assert_int_equal(session_count(t), 0);
	session_table_free(t);
}

static void test_cap_evicts_oldest_idle(void **state)
{
	struct removed r = { 0 };
	struct session_table *t =
		session_table_new(3, 300 * S, 300 * S, 0, on_remove, &r);
	struct sockaddr_in a = addr("127.0.0.1", 1), b = addr("127.0.0.2", 1),
			   c = addr("127.0.0.3", 1), d = addr("127.0.0.4", 1);
	struct session *sa = session_add(t, SA(a), sizeof(a), cid1, 1 * S);
	session_add(t, SA(b), sizeof(b), cid2, 2 * S);
	session_add(t, SA(c), sizeof(c), cid3, 3 * S);
	/* a was created first but is the most recently active */
	session_touch(t, sa, SA(a), sizeof(a), 4 * S);
	struct session *sd = session_add(t, SA(d), sizeof(d), cid1, 5 * S);
	assert_non_null(sd);
	assert_int_equal(session_count(t), 3);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.last_why, SESSION_EVICTED);
	assert_memory_equal(r.last_cid, cid2, 8); /* b: idle longest */
	assert_null(session_find(t, SA(b), cid2));
	assert_non_null(session_find(t, SA(a), cid1));
	assert_non_null(session_find(t, SA(c), cid3));
	assert_ptr_equal(session_find(t, SA(d), cid1), sd);
	/* cid1 now lives at two addresses: both found by id */
	struct session *x = session_find_cid(t, cid1, NULL);
	struct session *y = session_find_cid(t, cid1, x);
	assert_non_null(x);
	assert_non_null(y);
	assert_ptr_not_equal(x, y);
	assert_null(session_find_cid(t, cid1, y));
	/* many more: never more than the cap, ids stay distinct */
	for (int i = 0; i < 100; i++) {
		struct sockaddr_in e = addr("127.0.1.1", 1);
		e.sin_addr.s_addr = htonl(0x7f000100u + (uint32_t)i);
		session_add(t, SA(e), sizeof(e), cid2, (10 + i) * S);
		assert_true(session_count(t) <= 3);
	}
	assert_int_equal(r.n, 101);
	session_table_free(t);
}

static void test_ipv6_and_replay_window(void **state)
{
	struct session_table *t =
		session_table_new(2, 300 * S, 300 * S, 0, NULL, NULL);
	struct sockaddr_in6 a = { .sin6_family = AF_INET6,
				  .sin6_port = htons(9) };
	inet_pton(AF_INET6, "::1", &a.sin6_addr);
	struct sockaddr_in v4 = addr("127.0.0.1", 9);
	struct session *s = session_add(t, SA(a), sizeof(a), cid1, 0);
	assert_ptr_equal(session_find(t, SA(a), cid1), s);
	assert_null(session_find(t, SA(v4), cid1));
	/* each session starts with an empty replay window */
	uint64_t now = 1700000000ULL * 1000000000ULL;
	assert_int_equal(antireplay_check(&s->replay, now, now), 0);
	assert_int_equal(antireplay_commit(&s->replay, now), 0);
	assert_int_not_equal(antireplay_check(&s->replay, now, now), 0);
	session_table_free(t);
}

/* Rules 8 and 11: ids and cookies are random; a validated session (its
 * cookie came back) is never evicted by a new one -- when every slot is
 * validated, session_add refuses -- while pending ones are evicted
 * oldest first and expire after pending_ns. */
static void test_validated_never_evicted(void **state)
{
	struct removed r = { 0 };
	struct session_table *t =
		session_table_new(2, 300 * S, 30 * S, 0, on_remove, &r);
	struct sockaddr_in a = addr("127.0.0.1", 1), b = addr("127.0.0.2", 1),
			   c = addr("127.0.0.3", 1), d = addr("127.0.0.4", 1);
	struct session *sa = session_add(t, SA(a), sizeof(a), cid1, 1 * S);
	struct session *sb = session_add(t, SA(b), sizeof(b), cid2, 2 * S);
	assert_false(sa->validated);
	assert_int_not_equal(sa->id + 1, sb->id); /* not sequential */
	assert_memory_not_equal(sa->cookie, sb->cookie, WIRE_COOKIE_LEN);
	/* the pending deadline is the short one */
	assert_int_equal(session_deadline(t, sa), 31 * S);
	session_validate(t, sa, 3 * S);
	assert_true(sa->validated);
	assert_int_equal(session_deadline(t, sa), 303 * S);
	/* a new knock evicts b (pending), even though a is idle longer */
	struct session *sc = session_add(t, SA(c), sizeof(c), cid3, 4 * S);
	assert_non_null(sc);
	assert_int_equal(r.last_why, SESSION_EVICTED);
	assert_memory_equal(r.last_cid, cid2, 8);
	assert_ptr_equal(session_find(t, SA(a), cid1), sa);
	session_validate(t, sc, 5 * S);
	/* full of validated sessions: refused, nothing evicted */
	for (int i = 0; i < 1000; i++)
		assert_null(session_add(t, SA(d), sizeof(d), cid2,
					(6 + i) * S / 100));
	assert_int_equal(session_count(t), 2);
	assert_int_equal(r.n, 1);
	/* until one expires (300 s idle) */
	assert_int_equal(session_expire(t, 302 * S), 0);
	assert_int_equal(session_expire(t, 303 * S), 1);
	assert_non_null(session_add(t, SA(d), sizeof(d), cid2, 304 * S));
	/* the pending one expires after 30 s, the validated c at 305 s */
	assert_int_equal(session_expire(t, 305 * S), 1);
	assert_int_equal(session_count(t), 1);
	assert_int_equal(session_expire(t, 334 * S), 1);
	assert_int_equal(session_count(t), 0);
	session_table_free(t);
}

/* A port is only taken from packets passed with an address (proven). */
static void test_touch_without_address(void **state)
{
	struct session_table *t =
		session_table_new(2, 300 * S, 30 * S, 0, NULL, NULL);
	struct sockaddr_in a = addr("127.0.0.1", 1111),
			   a2 = addr("127.0.0.1", 2222);
	struct session *s = session_add(t, SA(a), sizeof(a), cid1, 0);
	session_touch(t, s, NULL, sizeof(a2), 1 * S);
	assert_int_equal(ntohs(((struct sockaddr_in *)&s->addr)->sin_port),
			 1111);
	assert_int_equal(s->last_ns, 1 * S);
	session_touch(t, s, SA(a2), sizeof(a2), 2 * S);
	assert_int_equal(ntohs(((struct sockaddr_in *)&s->addr)->sin_port),
			 2222);
	session_table_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_find),
		cmocka_unit_test(test_refresh_and_expiry),
		cmocka_unit_test(test_cap_evicts_oldest_idle),
		cmocka_unit_test(test_ipv6_and_replay_window),
		cmocka_unit_test(test_validated_never_evicted),
		cmocka_unit_test(test_touch_without_address),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
