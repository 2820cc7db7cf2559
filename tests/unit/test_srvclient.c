/* SPDX-License-Identifier: MIT */
/*
 * core/srvclient, the session state machine, with time passed in and a
 * "server" sealing its answers here: knock retries back off exponentially,
 * three unanswered knocks mean unreachable, an ACK brings the session up,
 * a refresh knock goes out half-way to expiry, silence while requests wait
 * means re-knock; replayed, wrong-parity and foreign packets are dropped.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/probe/srvclient.h"
#include "proto/wire.h"

#define MS 1000000LL
#define S  1000000000LL

static const uint8_t key[WIRE_KEY_LEN] = { 1, 2, 3 };
static const uint8_t cid[WIRE_CLIENT_ID_LEN] = { 9, 8, 7, 6, 5, 4, 3, 2 };
static const int64_t REAL0 = 1700000000LL * S;

/* The server's KNOCK_ACK (valid for `valid` s) sealed with nonce n. */
static int ack(uint8_t *buf, size_t cap, uint64_t n, int64_t real, int valid)
{
	struct wire_msg m = { .type = WIRE_KNOCK_ACK };
	m.u.knock_ack.session_id = 42;
	m.u.knock_ack.valid_until = (uint32_t)(real / S + valid);
	return wire_seal(key, cid, n, &m, NULL, 0, buf, cap);
}

/* A KNOCK_ACK carrying cookie c. */
static int ack_cookie(uint8_t *buf, size_t cap, uint64_t n, int64_t real,
		      uint8_t c)
{
	struct wire_msg m = { .type = WIRE_KNOCK_ACK };
	m.u.knock_ack.session_id = 42;
	m.u.knock_ack.valid_until = (uint32_t)(real / S + 300);
	m.has_cookie = 1;
	memset(m.cookie, c, WIRE_COOKIE_LEN);
	return wire_seal(key, cid, n, &m, NULL, 0, buf, cap);
}

/* Open a request the client sealed, as the server would. */
static void open_req(const uint8_t *buf, int len, struct wire_msg *m)
{
	static uint8_t scratch[WIRE_MAX_DATAGRAM];
	assert_true(len > 0);
	assert_int_equal(wire_open(key, buf, (size_t)len, scratch,
				   sizeof(scratch), NULL, m),
			 0);
}

static int setup(void **state)
{
	return wire_init() < 0 ? -1 : 0;
}

static void test_backoff_unreachable(void **state)
{
	struct srvclient *sc = srvclient_new(key, cid);
	uint8_t buf[512];
	int64_t t = 0, sent_at[7];
	int n = 0;
	for (t = 0; t < 8 * S && n < 7; t += MS) {
		if (srvclient_tick(sc, t, REAL0 + t, buf, sizeof(buf)) > 0)
			sent_at[n++] = t;
		assert_true(srvclient_next_ns(sc) > t);
	}
	assert_int_equal(n, 6);
	assert_int_equal(sent_at[0], 0);
	assert_int_equal(sent_at[1], 250 * MS);
	assert_int_equal(sent_at[2], 750 * MS);
	assert_int_equal(sent_at[3], 1750 * MS);
	assert_int_equal(sent_at[4], 3750 * MS);
	assert_int_equal(sent_at[5], 7750 * MS);
	assert_int_equal(srvclient_state(sc), SRVCLIENT_UNREACHABLE);
	assert_true(srvclient_unanswered(sc) >= 3);
	srvclient_free(sc);
}

static void test_up_refresh_reknock(void **state)
{
	struct srvclient *sc = srvclient_new(key, cid);
	uint8_t buf[512], pkt[512];
	struct wire_msg m;
	assert_true(srvclient_tick(sc, 0, REAL0, buf, sizeof(buf)) > 0);
	assert_int_equal(srvclient_state(sc), SRVCLIENT_KNOCKING);
	/* the knock is a valid client packet: even nonce, our id */
	struct wire_header h;
	assert_int_equal(wire_peek(buf, 64, &h) < 0 ? 0 : 0, 0);
	int len = ack(pkt, sizeof(pkt), (uint64_t)REAL0 + 1001, REAL0, 300);
	assert_int_equal(srvclient_open(sc, pkt, (size_t)len, 10 * MS,
					REAL0 + 10 * MS, &m),
			 1);
	assert_int_equal(srvclient_state(sc), SRVCLIENT_UP);
	assert_int_equal(srvclient_sessions(sc), 1);
	/* the same ACK again: replay */
	assert_true(srvclient_open(sc, pkt, (size_t)len, 20 * MS,
				   REAL0 + 20 * MS, &m) < 0);
	/* even nonce (a client's) from the "server": wrong direction */
	len = ack(pkt, sizeof(pkt), (uint64_t)REAL0 + 2000, REAL0, 300);
	assert_true(srvclient_open(sc, pkt, (size_t)len, 20 * MS,
				   REAL0 + 20 * MS, &m) < 0);
	/* refresh half-way (150 s) */
	assert_int_equal(
		srvclient_tick(sc, 149 * S, REAL0 + 149 * S, buf, sizeof(buf)),
		0);
	assert_true(srvclient_tick(sc, 151 * S, REAL0 + 151 * S, buf,
				   sizeof(buf)) > 0);
	assert_int_equal(srvclient_state(sc), SRVCLIENT_UP);
	/* an ECHO request at 152 s, no answer for 2 s: re-knock */
	srvclient_note_request(sc, 152 * S);
	int64_t t = 152 * S;
	int knocked = 0;
	for (; t < 160 * S && !knocked; t += 10 * MS)
		knocked = srvclient_tick(sc, t, REAL0 + t, buf, sizeof(buf)) >
				  0 &&
			  srvclient_state(sc) == SRVCLIENT_KNOCKING;
	assert_true(knocked);
	assert_true(t <= 154 * S + 20 * MS);
	len = ack(pkt, sizeof(pkt), (uint64_t)(REAL0 + t) + 1, REAL0 + t, 300);
	assert_int_equal(srvclient_open(sc, pkt, (size_t)len, t, REAL0 + t, &m),
			 1);
	assert_int_equal(srvclient_sessions(sc), 2);
	srvclient_free(sc);
}

static void test_foreign(void **state)
{
	struct srvclient *sc = srvclient_new(key, cid);
	uint8_t pkt[512];
	struct wire_msg m = { .type = WIRE_KNOCK_ACK };
	uint8_t other[WIRE_KEY_LEN] = { 7 };
	int len = wire_seal(other, cid, (uint64_t)REAL0 + 1, &m, NULL, 0, pkt,
			    sizeof(pkt));
	assert_true(srvclient_open(sc, pkt, (size_t)len, 0, REAL0, &m) < 0);
	assert_true(srvclient_open(sc, pkt, 10, 0, REAL0, &m) < 0);
	assert_int_equal(srvclient_state(sc), SRVCLIENT_KNOCKING);
	srvclient_free(sc);
}

/* Rule 8 on the client: the KNOCK leaves room for the ACK's cookie, the
 * cookie of the latest ACK goes on every request that carries one (not on
 * THROUGHPUT_DATA), a re-knock's new cookie replaces the old one. */
static void test_cookie(void **state)
{
	struct srvclient *sc = srvclient_new(key, cid);
	uint8_t buf[512], pkt[512], c[WIRE_COOKIE_LEN];
	struct wire_msg m, r;
	int len = srvclient_tick(sc, 0, REAL0, buf, sizeof(buf));
	/* KNOCK: header, 8 bytes of fields, >= 16 pad, tag */
	assert_true(len >= WIRE_MIN_PACKET + 8 + WIRE_COOKIE_LEN);
	assert_int_equal(srvclient_cookie(sc, c), -ENOENT);
	/* before any ACK a request goes without a cookie */
	m = (struct wire_msg){ .type = WIRE_ECHO_REQUEST };
	open_req(buf, srvclient_seal(sc, &m, REAL0, 0, buf, sizeof(buf)), &r);
	assert_false(r.has_cookie);

	len = ack_cookie(pkt, sizeof(pkt), (uint64_t)REAL0 + 1001, REAL0, 0xab);
	assert_int_equal(srvclient_open(sc, pkt, (size_t)len, 10 * MS,
					REAL0 + 10 * MS, &m),
			 1);
	assert_int_equal(srvclient_cookie(sc, c), 0);
	assert_int_equal(c[0], 0xab);
	const uint8_t req[] = { WIRE_ECHO_REQUEST,	WIRE_THROUGHPUT_START,
				WIRE_THROUGHPUT_END,	WIRE_DOWNLOAD_REQUEST,
				WIRE_BUFFERBLOAT_START, WIRE_BUFFERBLOAT_END };
	for (size_t i = 0; i < sizeof(req); i++) {
		m = (struct wire_msg){ .type = req[i] };
		m.u.bufferbloat_start.kind = WIRE_BLOAT_UP;
		if (req[i] != WIRE_BUFFERBLOAT_START)
			m.u.bufferbloat_start.kind = 0;
		len = srvclient_seal(sc, &m, REAL0 + 20 * MS, 3, buf,
				     sizeof(buf));
		open_req(buf, len, &r);
		assert_true(r.has_cookie);
		assert_memory_equal(r.cookie, c, WIRE_COOKIE_LEN);
	}
	m = (struct wire_msg){ .type = WIRE_THROUGHPUT_DATA };
	len = srvclient_seal(sc, &m, REAL0 + 30 * MS, 0, buf, sizeof(buf));
	assert_int_equal(len, WIRE_MIN_PACKET + WIRE_DATA_HDR_LEN);
	/* a new session's cookie replaces the old one */
	len = ack_cookie(pkt, sizeof(pkt), (uint64_t)REAL0 + 5001, REAL0, 0xcd);
	assert_int_equal(srvclient_open(sc, pkt, (size_t)len, 40 * MS,
					REAL0 + 40 * MS, &m),
			 1);
	m = (struct wire_msg){ .type = WIRE_ECHO_REQUEST };
	open_req(buf,
		 srvclient_seal(sc, &m, REAL0 + 50 * MS, 0, buf, sizeof(buf)),
		 &r);
	assert_true(r.has_cookie);
	assert_int_equal(r.cookie[0], 0xcd);
	srvclient_free(sc);
}

/* Rule 13: threads, one handle each (the client's probes on several
 * interfaces), seal under one key and client id at the same wall-clock
 * instants.  Separate generators hand out the same nonce_ts; the shared
 * sequence never does, and stays even and increasing per thread. */
#define SEAL_THREADS 4
#define SEAL_EACH    20000

struct sealer {
	pthread_barrier_t *go;
	uint64_t nonce[SEAL_EACH];
	int bad;
};

static void *seal_many(void *arg)
{
	struct sealer *w = arg;
	struct srvclient *sc = srvclient_new(key, cid);
	struct wire_msg m = { .type = WIRE_ECHO_REQUEST };
	uint8_t buf[256];
	struct wire_header h;

	pthread_barrier_wait(w->go);
	for (int i = 0; i < SEAL_EACH && sc; i++) {
		/* the clock advances 1 us per 8 seals: ties on every thread */
		int len = srvclient_seal(sc, &m, REAL0 + (i / 8) * 1000, 0, buf,
					 sizeof(buf));
		if (len < 0 || wire_peek(buf, (size_t)len, &h) < 0) {
			w->bad = 1;
			break;
		}
		w->nonce[i] = h.nonce_ts;
	}
	srvclient_free(sc);
	return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

static void test_nonce_shared_threads(void **state)
{
	static struct sealer w[SEAL_THREADS];
	static uint64_t all[SEAL_THREADS * SEAL_EACH];
	pthread_t t[SEAL_THREADS];
	pthread_barrier_t go;
	size_t n = 0, dup = 0;

	pthread_barrier_init(&go, NULL, SEAL_THREADS);
	for (int i = 0; i < SEAL_THREADS; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].go = &go;
		assert_int_equal(pthread_create(&t[i], NULL, seal_many, &w[i]),
				 0);
	}
	for (int i = 0; i < SEAL_THREADS; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&go);
	for (int i = 0; i < SEAL_THREADS; i++) {
		assert_false(w[i].bad);
		for (int k = 0; k < SEAL_EACH; k++) {
			assert_int_equal(w[i].nonce[k] & 1, 0); /* rule 1 */
			if (k)
				assert_true(w[i].nonce[k] > w[i].nonce[k - 1]);
			all[n++] = w[i].nonce[k];
		}
	}
	qsort(all, n, sizeof(all[0]), cmp_u64);
	for (size_t i = 1; i < n; i++)
		dup += all[i] == all[i - 1];
	assert_int_equal(dup, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backoff_unreachable),
		cmocka_unit_test(test_up_refresh_reknock),
		cmocka_unit_test(test_foreign),
		cmocka_unit_test(test_cookie),
		cmocka_unit_test(test_nonce_shared_threads),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
