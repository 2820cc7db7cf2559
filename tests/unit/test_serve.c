/* SPDX-License-Identifier: MIT */
/*
 * The server's protocol engine (server/serve.c) without sockets: datagrams
 * go in through serve_input with any source address we like (so forged
 * sources need no raw sockets), replies are captured from serve_out and
 * opened with the key.  Covers PROTOCOL.md revision 2 as the engine sees
 * it: the cookie and validated sessions (rule 8), knock replay after a
 * restart (rule 9), replay refused across sessions and workers of one
 * client id (rule 10), per-type size limits (rule 12), sessions that are
 * never evicted by new ones, forged floods that cost the client nothing
 * and the global guard on unauthenticated work (rule 11).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include <sodium.h>

#include "core/base/clock.h"
#include "proto/wire.h"
#include "server/cidwin.h"
#include "server/keyring.h"
#include "server/knockcache.h"
#include "server/serve.h"
#include "server/srvconf.h"

#define MS	1000000LL
#define S	1000000000LL
#define MAX_OUT 4096

/* ---- capture ------------------------------------------------------------ */

struct sent {
	size_t len;
	struct sockaddr_in to;
	uint8_t buf[2048];
};

static struct {
	struct sent out[MAX_OUT];
	size_t n;
	uint8_t slot[2048];
} cap;

static uint8_t *slot(void *ctx, size_t *c)
{
	if (cap.n == MAX_OUT)
		return NULL;
	*c = sizeof(cap.slot);
	return cap.out[cap.n].buf;
}

static void commit(void *ctx, size_t len, const struct sockaddr *to,
		   socklen_t tolen)
{
	cap.out[cap.n].len = len;
	memcpy(&cap.out[cap.n].to, to, sizeof(struct sockaddr_in));
	cap.n++;
}

static const struct serve_out OUT = { slot, commit, NULL };

/* Bytes sent to ip (any port) since the capture was reset. */
static size_t bytes_to(const char *ip)
{
	struct in_addr a;
	inet_pton(AF_INET, ip, &a);
	size_t total = 0;
	for (size_t i = 0; i < cap.n; i++)
		if (cap.out[i].to.sin_addr.s_addr == a.s_addr)
			total += cap.out[i].len;
	return total;
}

/* ---- a client of the engine ---------------------------------------------- */

static uint8_t KEY[WIRE_KEY_LEN];
static struct srvconf conf;

struct cl {
	uint8_t cid[8];
	struct sockaddr_in addr;
	struct wire_nonce nonce;
	uint8_t cookie[WIRE_COOKIE_LEN];
	int have_cookie;
	uint8_t pkt[2048];
	size_t len;
	size_t sent; /* bytes this client put on the wire */
};

static void cl_init(struct cl *c, const char *ip, uint16_t port)
{
	memset(c, 0, sizeof(*c));
	randombytes_buf(c->cid, sizeof(c->cid));
	c->addr.sin_family = AF_INET;
	c->addr.sin_port = htons(port);
	inet_pton(AF_INET, ip, &c->addr.sin_addr);
	wire_nonce_init(&c->nonce, WIRE_DIR_C2S);
}

/* Seal m (with our cookie when it carries one), pad bytes of padding. */
static size_t cl_seal(struct cl *c, const struct wire_msg *m, size_t pad)
{
	struct wire_msg x = *m;
	if (c->have_cookie && wire_type_has_cookie(m->type) && !m->has_cookie) {
		x.has_cookie = 1;
		memcpy(x.cookie, c->cookie, WIRE_COOKIE_LEN);
	}
	uint64_t n = wire_nonce_next(&c->nonce, (uint64_t)clock_real_ns());
	int len = wire_seal(KEY, c->cid, n, &x, NULL, pad, c->pkt,
			    sizeof(c->pkt));
	assert_true(len > 0);
	c->len = (size_t)len;
	return c->len;
}

static void input(struct serve *s, const struct cl *c, const uint8_t *pkt,
		  size_t len, int64_t now)
{
	serve_input(s, pkt, len, (const struct sockaddr *)&c->addr,
		    sizeof(c->addr), clock_real_ns(), now, &OUT);
}

static void cl_send(struct serve *s, struct cl *c, const struct wire_msg *m,
		    size_t pad, int64_t now)
{
	cl_seal(c, m, pad);
	c->sent += c->len;
	input(s, c, c->pkt, c->len, now);
}

/* Open captured reply i for c; 0 or -errno. */
static int open_reply(const struct cl *c, size_t i, struct wire_msg *m)
{
	static uint8_t scratch[WIRE_MAX_DATAGRAM];
	struct wire_header h;
	if (wire_peek(cap.out[i].buf, cap.out[i].len, &h) < 0 ||
	    memcmp(h.client_id, c->cid, 8) != 0)
		return -EBADMSG;
	return wire_open(KEY, cap.out[i].buf, cap.out[i].len, scratch,
			 sizeof(scratch), NULL, m);
}

static void cl_knock(struct serve *s, struct cl *c, size_t pad, int64_t now)
{
	struct wire_msg k = { .type = WIRE_KNOCK };
	k.u.knock.unix_time = (uint64_t)(clock_real_ns() / S);
	cl_send(s, c, &k, pad, now);
}

/* Knock and take the cookie from the ACK (which must come). */
static void cl_knocked(struct serve *s, struct cl *c, int64_t now)
{
	size_t before = cap.n;
	cl_knock(s, c, WIRE_COOKIE_LEN, now);
	assert_int_equal(cap.n, before + 1);
	struct wire_msg m;
	assert_int_equal(open_reply(c, before, &m), 0);
	assert_int_equal(m.type, WIRE_KNOCK_ACK);
	assert_true(m.has_cookie);
	assert_true(cap.out[before].len <= c->len);
	assert_int_equal(cap.out[before].to.sin_addr.s_addr,
			 c->addr.sin_addr.s_addr);
	memcpy(c->cookie, m.cookie, WIRE_COOKIE_LEN);
	c->have_cookie = 1;
}

static struct knockcache *kc;
static struct cidwin *wins;
static struct ratelimit *rl;
static struct ratecap guard;
static struct serve_shared sh;

static struct serve *engine(size_t max_sessions)
{
	kc = knockcache_new(1024, (uint64_t)clock_real_ns() - 10 * S);
	wins = cidwin_new(64);
	sh = (struct serve_shared){ kc, NULL, NULL, wins, NULL, NULL };
	struct serve *s = serve_new(&conf, 0, 1, max_sessions, &sh);
	assert_non_null(s);
	cap.n = 0;
	return s;
}

/* An engine with the shipped limits: a limiter and an unauthenticated
 * budget of guard_pps (burst guard_pps / 10). */
static struct serve *engine_limited(size_t max_sessions, double guard_pps)
{
	struct srvconf c = conf;
	c.enable_rate_limiting = 1;
	struct ratelimit_conf rc;
	serve_ratelimit_conf(&c, &rc);
	rl = ratelimit_new(&rc, 1024);
	ratecap_init(&guard, guard_pps, guard_pps / 10);
	kc = knockcache_new(1024, (uint64_t)clock_real_ns() - 10 * S);
	wins = cidwin_new(64);
	sh = (struct serve_shared){ kc, rl, NULL, wins, &guard, NULL };
	struct serve *s = serve_new(&c, 0, 1, max_sessions, &sh);
	assert_non_null(s);
	cap.n = 0;
	return s;
}

static void engine_free(struct serve *s)
{
	serve_free(s);
	knockcache_free(kc);
	cidwin_free(wins);
	ratelimit_free(rl);
	rl = NULL;
}

static int setup(void **state)
{
	if (wire_init() < 0)
		return -1;
	clock_calibrate();
	randombytes_buf(KEY, sizeof(KEY));
	srvconf_defaults(&conf);
	memcpy(conf.key, KEY, sizeof(KEY));
	conf.have_key = 1;
	conf.enable_rate_limiting = 0; /* the limiter has its own tests */
	return 0;
}

static uint64_t drops(struct serve *s, enum serve_drop why)
{
	struct serve_stats st;
	serve_stats(s, &st);
	return st.drop[why];
}

/* Everything a pump can send within `ms` of engine time from t. */
static void pump_for(struct serve *s, int64_t t, int ms)
{
	for (int i = 0; i < ms; i++)
		serve_pump(s, t + i * MS, &OUT);
}

/* ---- rule 8 ------------------------------------------------------------- */

static void test_knock_ack_carries_cookie(void **state)
{
	struct serve *s = engine(8);
	struct cl a;
	cl_init(&a, "198.18.0.1", 4000);
	/* unpadded: no room for the cookie, and no amplification: silence */
	cl_knock(s, &a, 0, 0);
	assert_int_equal(cap.n, 0);
	cl_knocked(s, &a, 1 * MS);
	struct wire_msg e = { .type = WIRE_ECHO_REQUEST }, r;
	e.u.echo_request.seq = 5;
	cl_send(s, &a, &e, 0, 2 * MS);
	assert_int_equal(cap.n, 2);
	assert_int_equal(open_reply(&a, 1, &r), 0);
	assert_int_equal(r.type, WIRE_ECHO_REPLY);
	assert_int_equal(r.u.echo_reply.seq, 5);
	/* a refresh knock gets the same cookie */
	uint8_t c0[WIRE_COOKIE_LEN];
	memcpy(c0, a.cookie, sizeof(c0));
	cl_knocked(s, &a, 3 * MS);
	assert_memory_equal(a.cookie, c0, sizeof(c0));
	engine_free(s);
}

/* Each request type without, with a wrong and with another session's
 * cookie: silence, nothing started, no stream to pump. */
static void test_requests_need_cookie(void **state)
{
	const uint8_t types[] = {
		WIRE_ECHO_REQUEST,	WIRE_THROUGHPUT_START,
		WIRE_THROUGHPUT_END,	WIRE_DOWNLOAD_REQUEST,
		WIRE_BUFFERBLOAT_START, WIRE_BUFFERBLOAT_END
	};
	struct serve *s = engine(8);
	struct cl a, b;
	cl_init(&a, "198.18.0.1", 4000);
	cl_init(&b, "198.18.0.2", 4000);
	cl_knocked(s, &a, 0);
	cl_knocked(s, &b, 0);
	size_t base = cap.n;
	for (size_t i = 0; i < sizeof(types); i++) {
		struct wire_msg m = { .type = types[i] };
		m.u.download_request.test_id = 1;
		m.u.download_request.bytes = 1000000;
		if (types[i] == WIRE_BUFFERBLOAT_START)
			m.u.bufferbloat_start.kind = WIRE_BLOAT_BOTH;
		a.have_cookie = 0;
		cl_send(s, &a, &m, 0, 1 * MS);	 /* none */
		cl_send(s, &a, &m, 100, 1 * MS); /* padding, not a cookie */
		m.has_cookie = 1;
		memcpy(m.cookie, b.cookie, WIRE_COOKIE_LEN); /* b's */
		cl_send(s, &a, &m, 0, 1 * MS);
		a.have_cookie = 1;
	}
	pump_for(s, 2 * MS, 100);
	assert_int_equal(cap.n, base);
	assert_int_equal(drops(s, SERVE_DROP_COOKIE), 3 * sizeof(types));
	struct serve_stats st;
	serve_stats(s, &st);
	assert_int_equal(st.streams, 0);
	engine_free(s);
}

/* The reflection attack of issue 11: a key holder knocks with a victim's
 * source address, then asks for a download and a bloat stream for it.
 * Bytes delivered to the victim never exceed the bytes the attacker sent
 * (only the KNOCK_ACK, no larger than the knock), for every request. */
static void test_forged_source_gets_no_stream(void **state)
{
	struct serve *s = engine(8);
	struct cl att, vic;
	cl_init(&att, "198.18.0.66", 5000);
	cl_knocked(s, &att, 0); /* the attacker's own session, cookie known */
	cl_init(&vic, "198.18.0.99", 6000);
	cap.n = 0;
	cl_knock(s, &vic, 200, 1 * MS); /* forged: the ACK goes to vic */
	/* guesses: the attacker's own cookie, a random one, none */
	const uint8_t types[] = { WIRE_DOWNLOAD_REQUEST, WIRE_BUFFERBLOAT_START,
				  WIRE_THROUGHPUT_START, WIRE_ECHO_REQUEST };
	for (int round = 0; round < 3; round++)
		for (size_t i = 0; i < sizeof(types); i++) {
			struct wire_msg m = { .type = types[i] };
			m.u.download_request.test_id = 1 + (uint32_t)i;
			m.u.download_request.bytes = 100000000;
			if (types[i] == WIRE_BUFFERBLOAT_START)
				m.u.bufferbloat_start.kind = WIRE_BLOAT_DOWN;
			if (round < 2) {
				m.has_cookie = 1;
				if (round == 0)
					memcpy(m.cookie, att.cookie, 16);
				else
					randombytes_buf(m.cookie, 16);
			}
			cl_send(s, &vic, &m, 0, 2 * MS);
		}
	/* THROUGHPUT_DATA carries no cookie: refused before the AEAD in a
	 * session never validated */
	struct wire_msg d = { .type = WIRE_THROUGHPUT_DATA };
	cl_send(s, &vic, &d, 0, 3 * MS);
	pump_for(s, 3 * MS, 1000);
	size_t got = bytes_to("198.18.0.99");
	print_message("forged victim: %zu bytes delivered for %zu sent\n", got,
		      vic.sent);
	assert_true(got <= vic.sent);
	assert_true(got <= 303); /* one KNOCK_ACK at most */
	engine_free(s);
}

/* Validated by the cookie, a download does stream; the port used for it
 * is the one that carried the cookie, not a later forged one. */
static void test_cookie_validates(void **state)
{
	struct serve *s = engine(8);
	struct cl a;
	cl_init(&a, "198.18.0.1", 4000);
	cl_knocked(s, &a, 0);
	struct wire_msg m = { .type = WIRE_DOWNLOAD_REQUEST };
	m.u.download_request.test_id = 3;
	m.u.download_request.bytes = 100000;
	cl_send(s, &a, &m, 0, 1 * MS);
	/* DATA of a validated session from another port moves nothing */
	struct cl a2 = a;
	a2.addr.sin_port = htons(4444);
	struct wire_msg d = { .type = WIRE_THROUGHPUT_DATA };
	cl_send(s, &a2, &d, 0, 1 * MS);
	pump_for(s, 1 * MS, 1000);
	size_t data = 0;
	for (size_t i = 0; i < cap.n; i++) {
		struct wire_msg r;
		if (open_reply(&a, i, &r) == 0 &&
		    r.type == WIRE_DOWNLOAD_DATA) {
			data += r.u.download_data.data_len;
			assert_int_equal(ntohs(cap.out[i].to.sin_port), 4000);
		}
	}
	assert_int_equal(data, 100000);
	engine_free(s);
}

/* ---- rule 9 -------------------------------------------------------------- */

/* A knock captured before a restart, replayed to the new server (its
 * knock cache empty) from a forged source: nothing. */
static void test_knock_replay_after_restart(void **state)
{
	struct serve *s = engine(8);
	struct cl a;
	cl_init(&a, "198.18.0.1", 4000);
	cl_knocked(s, &a, 0);
	uint8_t copy[2048];
	size_t len = a.len;
	memcpy(copy, a.pkt, len);
	engine_free(s);
	/* the new server started after the knock was sealed */
	kc = knockcache_new(1024, (uint64_t)clock_real_ns() + 1);
	wins = cidwin_new(64);
	sh.knocks = kc;
	sh.wins = wins;
	s = serve_new(&conf, 0, 1, 8, &sh);
	cap.n = 0;
	struct cl v;
	cl_init(&v, "198.18.0.99", 6000);
	memcpy(v.cid, a.cid, 8);
	input(s, &v, copy, len, 0);
	input(s, &a, copy, len, 0);
	assert_int_equal(cap.n, 0);
	assert_int_equal(drops(s, SERVE_DROP_STALE), 2);
	engine_free(s);
}

/* ---- rule 12 ------------------------------------------------------------- */

/* An authentic KNOCK one byte over its type's maximum costs no AEAD: it
 * is counted malformed (the header check), never auth. */
static void test_oversize_knock_cheap(void **state)
{
	struct serve *s = engine(8);
	struct cl a;
	cl_init(&a, "198.18.0.1", 4000);
	static uint8_t big[WIRE_MAX_DATAGRAM];
	uint8_t pt[WIRE_MAX_DATAGRAM];
	memset(pt, 0, sizeof(pt));
	size_t sizes[] = { 304, 1500, WIRE_MAX_DATAGRAM };
	for (int i = 0; i < 3; i++) {
		/* sealed by hand: wire_seal would refuse the pad */
		size_t ptlen = sizes[i] - WIRE_MIN_PACKET;
		uint64_t ts =
			wire_nonce_next(&a.nonce, (uint64_t)clock_real_ns());
		uint8_t nonce[12];
		unsigned long long clen;
		memcpy(big, "BFBN\x01\x01", 6);
		big[6] = (uint8_t)((ptlen + 16) >> 8);
		big[7] = (uint8_t)(ptlen + 16);
		memcpy(big + 8, a.cid, 8);
		for (int k = 0; k < 8; k++)
			big[16 + k] = (uint8_t)(ts >> (56 - 8 * k));
		uint64_t t = (uint64_t)(clock_real_ns() / S);
		for (int k = 0; k < 8; k++)
			pt[k] = (uint8_t)(t >> (56 - 8 * k));
		memcpy(nonce, a.cid, 4);
		memcpy(nonce + 4, big + 16, 8);
		crypto_aead_chacha20poly1305_ietf_encrypt(
			big + 24, &clen, pt, ptlen, big, 24, NULL, nonce, KEY);
		input(s, &a, big, sizes[i], 0);
	}
	assert_int_equal(cap.n, 0);
	assert_int_equal(drops(s, SERVE_DROP_MALFORMED), 3);
	assert_int_equal(drops(s, SERVE_DROP_AUTH), 0);
	engine_free(s);
}

/* ---- rule 11: no eviction of active sessions ------------------------------
 */

/* A key holder knocking with fresh client ids (from forged or real
 * addresses) never evicts a validated session; it only churns pending
 * ones, and the active client keeps its answers. */
static void test_fresh_ids_do_not_evict(void **state)
{
	struct serve *s = engine(4);
	struct cl a;
	cl_init(&a, "198.18.0.1", 4000);
	cl_knocked(s, &a, 0);
	struct wire_msg e = { .type = WIRE_ECHO_REQUEST }, r;
	cl_send(s, &a, &e, 0, 1 * MS); /* validates */
	for (int i = 0; i < 500; i++) {
		struct cl x;
		char ip[32];
		snprintf(ip, sizeof(ip), "198.18.%d.%d", 1 + i / 200,
			 1 + i % 200);
		cl_init(&x, ip, 7000);
		cl_knock(s, &x, WIRE_COOKIE_LEN, 2 * MS + i);
	}
	size_t before = cap.n;
	e.u.echo_request.seq = 99;
	cl_send(s, &a, &e, 0, 10 * MS);
	assert_int_equal(cap.n, before + 1);
	assert_int_equal(open_reply(&a, before, &r), 0);
	assert_int_equal(r.u.echo_reply.seq, 99);
	struct serve_stats st;
	serve_stats(s, &st);
	assert_true(st.sessions <= 4);
	engine_free(s);
}

/* ---- rule 11: forged packets cost the client nothing -----------------------
 */

/* The lock-out of issue 11 in the engine: a validated client echoes while
 * a flood claims its address, port and client id -- garbage and valid
 * headers with fresh nonces that fail the AEAD -- at 100 times the
 * source's packet limit (2000/s, burst 500) for 20 s of engine time.
 * Every echo is answered, the source is never put in the penalty box,
 * and every forged header was opened (none dropped unopened: the guard
 * cannot be aimed at a client).  Revision 2 before this change charged
 * every datagram to its claimed source before the AEAD: the client's
 * echoes were dropped with the forgeries. */
static void test_forged_flood_costs_client_nothing(void **state)
{
	struct serve *s = engine_limited(8, 1e9);
	struct cl a;
	cl_init(&a, "198.18.0.1", 4000);
	cl_knocked(s, &a, 0);
	struct wire_msg e = { .type = WIRE_ECHO_REQUEST }, r;
	cl_send(s, &a, &e, 0, 1 * MS); /* validates */
	struct cl f = a;	       /* the forger knows address and id */
	uint8_t junk[200];
	randombytes_buf(junk, sizeof(junk));
	int answered = 0, forged = 0;
	for (int k = 0; k < 200; k++) { /* an echo every 100 ms, 20 s */
		int64_t t0 = 2 * MS + (int64_t)k * 100 * MS;
		for (int i = 0; i < 20000; i++) { /* 200 000 forged/s */
			int64_t t = t0 + (int64_t)i * 5000;
			if (i & 1) {
				input(s, &f, junk, sizeof(junk), t);
				continue;
			}
			cl_seal(&f, &e, 0);
			f.pkt[f.len - 1] ^= 0x5a; /* a tag nobody can make */
			input(s, &f, f.pkt, f.len, t);
			forged++;
		}
		cap.n = 0;
		e.u.echo_request.seq = (uint32_t)k;
		cl_send(s, &a, &e, 0, t0 + 100 * MS - 1);
		if (cap.n == 1 && open_reply(&a, 0, &r) == 0 &&
		    r.type == WIRE_ECHO_REPLY &&
		    r.u.echo_reply.seq == (uint32_t)k)
			answered++;
	}
	assert_int_equal(answered, 200);
	assert_false(
		ratelimit_is_ignored(rl, (struct sockaddr *)&a.addr, 21 * S));
	assert_int_equal(drops(s, SERVE_DROP_AUTH), (uint64_t)forged);
	assert_int_equal(drops(s, SERVE_DROP_RATE), 0);
	assert_int_equal(drops(s, SERVE_DROP_GUARD), 0);
	engine_free(s);
}

/* The guard bounds AEAD work for packets no validated session vouches
 * for: 1000 forged knocks from new sources against a budget of 100/s
 * (burst 10) open about the burst, the rest are dropped unopened; the
 * failures that claim the validated client's session are opened but paid
 * to the guard; the client is answered throughout, and a real knock gets
 * through again once the budget refilled. */
static void test_guard_bounds_unauthenticated_work(void **state)
{
	struct serve *s = engine_limited(64, 100);
	struct cl a;
	cl_init(&a, "198.18.0.1", 4000);
	cl_knocked(s, &a, 0);
	struct wire_msg e = { .type = WIRE_ECHO_REQUEST }, r;
	cl_send(s, &a, &e, 0, 1 * MS);
	for (int i = 0; i < 1000; i++) {
		struct cl x;
		char ip[32];
		snprintf(ip, sizeof(ip), "198.18.%d.%d", 1 + i / 200,
			 1 + i % 200);
		cl_init(&x, ip, 7000);
		struct wire_msg k = { .type = WIRE_KNOCK };
		cl_seal(&x, &k, WIRE_COOKIE_LEN);
		x.pkt[x.len - 1] ^= 1;
		input(s, &x, x.pkt, x.len, 2 * MS);
	}
	uint64_t opened = drops(s, SERVE_DROP_AUTH);
	print_message("forged knocks: %llu opened, %llu dropped unopened\n",
		      (unsigned long long)opened,
		      (unsigned long long)drops(s, SERVE_DROP_GUARD));
	assert_true(opened >= 5 && opened <= 12);
	assert_int_equal(drops(s, SERVE_DROP_GUARD), 1000 - opened);
	/* forgeries claiming the client's session: opened, paid for */
	struct cl f = a;
	for (int i = 0; i < 100; i++) {
		cl_seal(&f, &e, 0);
		f.pkt[f.len - 1] ^= 1;
		input(s, &f, f.pkt, f.len, 3 * MS);
	}
	assert_int_equal(drops(s, SERVE_DROP_AUTH), opened + 100);
	cap.n = 0;
	e.u.echo_request.seq = 7;
	cl_send(s, &a, &e, 0, 4 * MS);
	assert_int_equal(cap.n, 1);
	assert_int_equal(open_reply(&a, 0, &r), 0);
	assert_int_equal(r.u.echo_reply.seq, 7);
	/* a new client's knock: refused while the budget is spent, then
	 * answered once it refilled */
	struct cl b;
	cl_init(&b, "198.18.9.9", 4000);
	cap.n = 0;
	cl_knock(s, &b, WIRE_COOKIE_LEN, 5 * MS);
	assert_int_equal(cap.n, 0);
	cl_knocked(s, &b, 5 * S);
	engine_free(s);
}

/* ---- rule 10: replay per client_id --------------------------------------- */

/* Two workers share one window per client id: an echo and upload DATA
 * captured in a session on worker 0 and replayed into a second session of
 * the same client id on worker 1 (another address) or on worker 0 (a new
 * session at another address) are refused; fresh packets of the second
 * session are served. */
static void test_replay_into_second_session(void **state)
{
	struct serve *s0 = engine(8);
	struct serve *s1 = serve_new(&conf, 1, 2, 8, &sh);
	assert_non_null(s1);
	struct cl a;
	cl_init(&a, "198.18.0.40", 4000);
	cl_knocked(s0, &a, 0);
	struct wire_msg st = { .type = WIRE_THROUGHPUT_START }, r;
	st.u.throughput_start.test_id = 77;
	st.u.throughput_start.target_bytes = 5000;
	cl_send(s0, &a, &st, 0, 1 * MS);
	uint8_t data[5][2048];
	size_t dlen[5];
	for (int i = 0; i < 5; i++) {
		struct wire_msg d = { .type = WIRE_THROUGHPUT_DATA };
		d.u.throughput_data.test_id = 77;
		d.u.throughput_data.chunk_seq = (uint32_t)i;
		d.u.throughput_data.data = (const uint8_t *)"0123456789";
		d.u.throughput_data.data_len = 10;
		cl_send(s0, &a, &d, 0, 2 * MS);
		memcpy(data[i], a.pkt, a.len);
		dlen[i] = a.len;
	}
	struct serve *eng[2] = { s1, s0 };
	const char *ips[2] = { "198.18.0.41", "198.18.0.42" };
	for (int k = 0; k < 2; k++) {
		struct cl b = a; /* same id and nonce sequence */
		inet_pton(AF_INET, ips[k], &b.addr.sin_addr);
		b.have_cookie = 0;
		cl_knocked(eng[k], &b, 3 * MS);
		cl_send(eng[k], &b, &st, 0, 4 * MS);
		for (int i = 0; i < 5; i++)
			input(eng[k], &b, data[i], dlen[i], 5 * MS);
		struct wire_msg end = { .type = WIRE_THROUGHPUT_END };
		end.u.throughput_end.test_id = 77;
		cap.n = 0;
		cl_send(eng[k], &b, &end, 0, 6 * MS);
		assert_int_equal(cap.n, 1);
		assert_int_equal(open_reply(&b, 0, &r), 0);
		assert_int_equal(r.type, WIRE_THROUGHPUT_STATS);
		assert_int_equal(r.u.throughput_stats.packets_rx, 0);
		a.nonce = b.nonce;
	}
	assert_int_equal(drops(s1, SERVE_DROP_REPLAY) +
				 drops(s0, SERVE_DROP_REPLAY),
			 10);
	serve_free(s1);
	engine_free(s0);
}

/* ---- sessions: refresh and the cap across workers -------------------------
 */

/* An authentic KNOCK with a session's client id from the session's IP but
 * another port (a key holder forging it; the session's port is the one
 * that carried the cookie) is answered there but refreshes nothing: the
 * session expires on time.  The same knock from the session's own address
 * and port refreshes it. */
static void test_forged_knock_does_not_refresh(void **state)
{
	struct serve *s = engine(8);
	const int64_t T = (int64_t)conf.session_timeout_sec * S;
	struct cl a, own;
	cl_init(&a, "198.18.0.1", 4000);
	cl_knocked(s, &a, 0);
	struct wire_msg e = { .type = WIRE_ECHO_REQUEST };
	cl_send(s, &a, &e, 0, 1 * MS); /* validated, port 4000 */
	own = a;
	struct cl f = a;
	f.addr.sin_port = htons(5555);
	cl_knocked(s, &f, T - 10 * S); /* answered at 5555 ... */
	serve_tick(s, T + 2 * S);      /* ... but the session expires */
	struct serve_stats st;
	serve_stats(s, &st);
	assert_int_equal(st.sessions, 0);
	engine_free(s);

	s = engine(8);
	a = own;
	a.have_cookie = 0;
	cl_knocked(s, &a, 0);
	cl_send(s, &a, &e, 0, 1 * MS);
	cl_knocked(s, &a, T - 10 * S); /* its own address: refreshed */
	serve_tick(s, T + 2 * S);
	serve_stats(s, &st);
	assert_int_equal(st.sessions, 1);
	engine_free(s);
}

/* max_concurrent_clients holds for all workers together: with a cap of 4
 * and two engines sharing the count, 2 validated sessions on each leave
 * no room on either; a pending session makes room on its own engine. */
static void test_session_cap_across_workers(void **state)
{
	struct srvconf c = conf;
	c.max_concurrent_clients = 4;
	_Atomic int64_t total = 0;
	kc = knockcache_new(1024, (uint64_t)clock_real_ns() - 10 * S);
	wins = cidwin_new(64);
	sh = (struct serve_shared){ kc, NULL, NULL, wins, NULL, &total };
	struct serve *w[2] = { serve_new(&c, 0, 2, 4, &sh),
			       serve_new(&c, 1, 2, 4, &sh) };
	assert_non_null(w[0]);
	assert_non_null(w[1]);
	struct wire_msg e = { .type = WIRE_ECHO_REQUEST };
	for (int i = 0; i < 4; i++) {
		struct cl x;
		char ip[32];
		snprintf(ip, sizeof(ip), "198.18.0.%d", 10 + i);
		cl_init(&x, ip, 4000);
		cl_knocked(w[i & 1], &x, 0);
		cl_send(w[i & 1], &x, &e, 0, 1 * MS);
	}
	assert_int_equal(atomic_load(&total), 4);
	struct cl late;
	cl_init(&late, "198.18.0.99", 4000);
	cap.n = 0;
	cl_knock(w[0], &late, WIRE_COOKIE_LEN, 2 * MS);
	cl_knock(w[1], &late, WIRE_COOKIE_LEN, 2 * MS);
	assert_int_equal(cap.n, 0);
	/* one validated session leaves (worker 1); a pending one takes its
	 * place; a newer knock on worker 1 evicts that pending one */
	serve_free(w[1]);
	assert_int_equal(atomic_load(&total), 2);
	w[1] = serve_new(&c, 1, 2, 4, &sh);
	struct cl p1, p2;
	cl_init(&p1, "198.18.0.21", 4000);
	cl_init(&p2, "198.18.0.22", 4000);
	cl_knocked(w[1], &p1, 3 * MS);
	cl_knocked(w[1], &p2, 3 * MS);
	assert_int_equal(atomic_load(&total), 4);
	cl_knocked(w[1], &late, 4 * MS); /* evicts p1 (pending) */
	assert_int_equal(atomic_load(&total), 4);
	cap.n = 0;
	cl_knock(w[0], &p1, WIRE_COOKIE_LEN, 5 * MS); /* nothing pending */
	assert_int_equal(cap.n, 0);
	serve_free(w[0]);
	serve_free(w[1]);
	assert_int_equal(atomic_load(&total), 0);
	knockcache_free(kc);
	cidwin_free(wins);
}

/* ---- rule 14: per-client keys ----------------------------------------------
 */

/* Clients with keys of their own: each is served under its key only;
 * after new keys are applied, the session of a client whose key was
 * removed is closed and its packets get silence, one whose key changed
 * must knock again under the new key, and the others keep their
 * sessions. */
static void test_client_keys_revoke(void **state)
{
	static struct srvconf_client list[3] = { { .name = "alice" },
						 { .name = "bob" },
						 { .name = "carol" } };
	struct cl cl3[3];
	for (int i = 0; i < 3; i++) {
		cl_init(&cl3[i],
			i == 0	 ? "198.18.0.1"
			: i == 1 ? "198.18.0.2"
				 : "198.18.0.3",
			4000);
		memcpy(list[i].cid, cl3[i].cid, 8);
		randombytes_buf(list[i].key, sizeof(list[i].key));
	}
	struct srvconf c = conf;
	c.have_key = 0; /* listed clients only */
	c.clients = list;
	c.nclients = 3;
	kc = knockcache_new(1024, (uint64_t)clock_real_ns() - 10 * S);
	wins = cidwin_new(64);
	sh = (struct serve_shared){ kc, NULL, NULL, wins, NULL, NULL };
	struct serve *s = serve_new(&c, 0, 1, 8, &sh);
	assert_non_null(s);
	/* the shared key opens nothing: it is not configured */
	cap.n = 0;
	cl_knock(s, &cl3[0], WIRE_COOKIE_LEN, 0);
	assert_int_equal(cap.n, 0);
	struct wire_msg e = { .type = WIRE_ECHO_REQUEST };
	for (int i = 0; i < 3; i++) {
		memcpy(KEY, list[i].key, sizeof(KEY));
		cl_knocked(s, &cl3[i], 1 * MS);
		cl_send(s, &cl3[i], &e, 0, 2 * MS);
	}
	/* alice removed, carol re-keyed, bob unchanged */
	struct srvconf c2 = c;
	static struct srvconf_client list2[2];
	list2[0] = list[1];
	list2[1] = list[2];
	randombytes_buf(list2[1].key, sizeof(list2[1].key));
	c2.clients = list2;
	c2.nclients = 2;
	serve_post_keys(s, keyring_new(&c2));
	assert_int_equal(serve_apply_keys(s), 2);
	assert_int_equal(serve_apply_keys(s), 0); /* nothing posted */
	struct serve_stats st;
	serve_stats(s, &st);
	assert_int_equal(st.sessions, 1);
	for (int i = 0; i < 3; i++) {
		memcpy(KEY, i == 2 ? list2[1].key : list[i].key, sizeof(KEY));
		cap.n = 0;
		e.u.echo_request.seq = 40 + (uint32_t)i;
		cl_send(s, &cl3[i], &e, 0, 3 * MS);
		assert_int_equal(cap.n, i == 1 ? 1 : 0); /* only bob */
	}
	memcpy(KEY, list[0].key, sizeof(KEY));
	cap.n = 0;
	cl_knock(s, &cl3[0], WIRE_COOKIE_LEN, 4 * MS); /* revoked */
	assert_int_equal(cap.n, 0);
	assert_true(drops(s, SERVE_DROP_UNKNOWN) >= 1);
	memcpy(KEY, list2[1].key, sizeof(KEY));
	cl3[2].have_cookie = 0;
	cl_knocked(s, &cl3[2], 5 * MS); /* carol, under her new key */
	serve_free(s);
	knockcache_free(kc);
	cidwin_free(wins);
	randombytes_buf(KEY, sizeof(KEY));
	memcpy(conf.key, KEY, sizeof(KEY));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_knock_ack_carries_cookie),
		cmocka_unit_test(test_requests_need_cookie),
		cmocka_unit_test(test_forged_source_gets_no_stream),
		cmocka_unit_test(test_cookie_validates),
		cmocka_unit_test(test_knock_replay_after_restart),
		cmocka_unit_test(test_oversize_knock_cheap),
		cmocka_unit_test(test_fresh_ids_do_not_evict),
		cmocka_unit_test(test_forged_flood_costs_client_nothing),
		cmocka_unit_test(test_guard_bounds_unauthenticated_work),
		cmocka_unit_test(test_replay_into_second_session),
		cmocka_unit_test(test_forged_knock_does_not_refresh),
		cmocka_unit_test(test_session_cap_across_workers),
		cmocka_unit_test(test_client_keys_revoke),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
