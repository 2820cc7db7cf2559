/* SPDX-License-Identifier: MIT */
/*
 * Protocol engine (see serve.h).  Receive path, cheapest check first, so a
 * scanner costs a header check and never gets a byte back:
 *
 *   wire_peek      bad header, or longer than its type allows (rule 12)
 *                                        -> drop, nothing charged
 *   wire_check_dir server->client type   -> drop
 *   session_find   none and not a KNOCK  -> drop (no AEAD spent)
 *                  DATA, not validated   -> drop (no AEAD spent)
 *                  session's source in the penalty box -> drop
 *   antireplay_check   stale or seen in this session -> drop
 *   guard          no validated session vouches for it and the global
 *                  unauthenticated budget is spent -> drop (no AEAD)
 *   wire_open      forged / wrong key    -> drop (paid to the guard)
 *   cookie         a request without the session's cookie -> drop
 *   cidwin_commit  seen in another session of the client_id -> drop
 *   rate limiter   the source over its limit -> drop (THROUGHPUT_DATA of
 *                  a running upload pays bytes instead of a packet token)
 *   session_touch, handler
 *
 * Rule 11: a source's budget is spent only by packets that authenticated
 * and were not replays, so forging a client's address and id costs that
 * client nothing (one AEAD open each, about 1-2 us for a small packet).
 * The guard -- one budget for the whole server, max_unauth_pps -- bounds
 * that work for packets no validated session vouches for (knocks from new
 * sources, requests to pending sessions); packets claiming a validated
 * session are opened whatever the guard says, because no rule cheaper than
 * the AEAD can tell them from the client's own, and their failures are
 * paid to the guard, so a flood of them throttles new knocks, not clients.
 *
 * Return routability (PROTOCOL.md rule 8): a KNOCK opens a *pending*
 * session and is answered with a KNOCK_ACK carrying the session's random
 * cookie, sent to the knock's source and never larger than the knock.
 * Every other request must carry that cookie; the first that does
 * validates the session, and only then can it start anything.  So a
 * forged source gets at most one KNOCK_ACK per knock, and a key holder
 * cannot aim a stream at an address whose traffic it cannot read.  Only
 * packets that proved their address (a cookie) move the session's reply
 * port; DATA, which carries none, is accepted only in a validated session.
 *
 * A KNOCK without a session is also checked against the client id's
 * window shared by all workers (cidwin, before the AEAD) and every
 * authentic KNOCK must claim its nonce in the knock cache shared by all
 * workers, so a captured knock replayed from elsewhere, or to another
 * worker, opens nothing.  Only KNOCK is answered outside a session, and its
 * answer is sealed into at most the knock's own size (no amplification).
 *
 * Throughput figures: bytes are DATA payload bytes; kbps is the IP-layer
 * rate (datagram + 28 bytes of IPv4/UDP header, 48 for IPv6) over the
 * steady part of the transfer (MEASUREMENT.md), by kernel RX timestamps:
 * from the first DATA packet received a ramp after the first one (it opens
 * the interval) to the last one, counting every packet after the opener.
 * The ramp is 10 % of the transfer, at most UPLOAD_RAMP_NS, like the
 * client's download figure (core/probe/throughput.c); it holds what a shaper's
 * burst and an empty queue let through faster than the bottleneck (a tbf
 * burst inflated a short 5 Mbit/s upload by 1.5 %).  Openers are chosen
 * afterwards from checkpoints (a packet at most every UPLOAD_CP_NS, the
 * first UPLOAD_CP of them).  duration_ms is the measured interval.  Loss
 * is (highest chunk_seq + 1) - packets received, never negative.
 *
 * Downloads are paced on IP-layer bytes: by time t after the start at most
 * rate * t + one chunk has been sent, and the address's download byte
 * bucket must also have room (upload DATA pays into a bucket of its own,
 * so a download at the cap never starves a concurrent upload).  A chunk
 * the socket could not take is not counted as sent (serve_out.slot
 * returns NULL; the worker retries queued datagrams when writable).
 *
 * A bufferbloat test of kind down/both streams at the cap until
 * BUFFERBLOAT_END or max_test_duration_s: that is the original layout's
 * meaning (BUFFERBLOAT_START carries no rate) and stays for clients
 * written from it.  Through a bottleneck slower than the cap that drops
 * most echo replies, which is why our client (core/probe/probe_echo.c) sends
 * BUFFERBLOAT_START kind up only and loads the download direction with
 * DOWNLOAD_REQUESTs at a rate it ramps itself (rate_kbps, paced here by
 * the same code as any download): the client is the only side that sees
 * the echo RTT and so the only one that can tell when the queue is full,
 * and no protocol change is needed.
 */
#include "server/serve.h"

#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/base/clock.h"
#include "core/base/sock.h"
#include "proto/antireplay.h"
#include "proto/wire.h"
#include "server/cidwin.h"
#include "server/keyring.h"
#include "server/knockcache.h"
#include "server/ratelimit.h"
#include "server/session.h"
#include "server/srvlog.h"

#define PUMP_MAX_CHUNKS	  256	    /* per stream per pump call */
#define PUMP_IDLE_NS	  1000000LL /* re-check a stream blocked on its bucket */
#define KNOCK_LOG_PER_MIN 10
#define UPLOAD_RAMP_NS	  (200 * 1000000LL) /* longest ramp excluded */
#define UPLOAD_CP	  128		    /* ramp checkpoints ... */
#define UPLOAD_CP_NS	  (2 * 1000000LL)   /* ... at most one per 2 ms */
/* A pending session (cookie not yet seen) is forgotten this soon: a real
 * client sends its first request one round trip after the ACK. */
#define PENDING_NS (30 * 1000000000LL)

static const uint8_t zeros[WIRE_MAX_DATAGRAM]; /* download payload */

struct upload {
	uint32_t test_id;
	int active, done;
	uint64_t bytes, ip_bytes, first_ip_bytes;
	uint32_t packets, max_seq;
	unsigned ncp;
	struct {
		int64_t rx_ns;	   /* wall clock, kernel RX */
		uint64_t ip_bytes; /* ip_bytes including that packet */
	} cp[UPLOAD_CP];
	int have_seq;
	int64_t first_rx_ns, last_rx_ns; /* wall clock, kernel RX */
	int64_t deadline_ns;		 /* monotonic */
};

struct download {
	uint32_t test_id;
	int active, bloat;
	uint64_t total;	  /* data bytes to send (UINT64_MAX: until END) */
	uint64_t sent;	  /* data bytes sent */
	uint64_t ip_sent; /* IP-layer bytes sent */
	uint32_t seq;	  /* next chunk_seq */
	double rate_Bps;  /* IP-layer bytes per second */
	int64_t start_ns, deadline_ns, next_ns; /* monotonic */
	uint32_t last_test_id;
	uint64_t last_total;
	uint32_t last_chunks;
	int have_last;
};

/* Per-session state behind session_priv(). */
struct sess {
	uint32_t requests_seen, highest_seq;
	struct upload up;
	struct download down;
	uint32_t bloat_test_id;
	int bloat_kind;
	struct sess *snext, *sprev; /* streaming list */
	int streaming;
	int counted; /* holds a session of its source in the limiter */
	struct cidwin_ent *win; /* the client_id's shared window (rule 10) */
	const struct keyring_ent *ke; /* its key, in s->keys (rule 14) */
	int64_t ignored_until_ns; /* source in the penalty box: drop early */
};

struct counters {
	_Atomic uint64_t rx_packets, rx_bytes, tx_packets, tx_bytes;
	_Atomic uint64_t knocks_ok, knocks_failed, created, evicted;
	_Atomic uint64_t bans, tx_capped;
	_Atomic uint64_t sessions, streams;
	_Atomic uint64_t drop[SERVE_DROP_NREASONS];
};

struct serve {
	struct keyring *keys;	   /* this worker's copy (rule 14) */
	pthread_mutex_t keys_lock; /* guards keys_next */
	struct keyring *keys_next; /* posted by serve_post_keys */
	struct session_table *sessions;
	struct ratelimit *rl;	/* shared, not owned */
	struct ratecap *txcap;	/* shared, not owned */
	struct ratecap *guard;	/* shared, not owned; NULL = none */
	struct cidwin *wins;	/* shared, not owned */
	_Atomic int64_t *total; /* sessions of all workers; NULL = no cap */
	int64_t max_total;	/* max_concurrent_clients */
	struct srvlog_limit ban_log;
	int64_t ban_ns, abuse_ns; /* for the ban log line */
	int rate_limiting;
	struct wire_nonce nonce;
	uint64_t nonce_stride, nonce_residue;
	int64_t knock_window_ns;
	int64_t session_timeout_ns;
	size_t chunk_size;
	uint64_t max_test_bytes;
	int64_t max_test_ns;
	double cap_Bps; /* IP-layer bytes/s cap per download */
	int log_failed_knocks;
	struct srvlog_limit knock_log;
	struct knockcache *knocks; /* shared, not owned */
	struct sess *streams;
	uint8_t scratch[WIRE_MAX_DATAGRAM];
	struct counters n;
};

static void count(_Atomic uint64_t *c, uint64_t v)
{
	atomic_fetch_add_explicit(c, v, memory_order_relaxed);
}

static void drop(struct serve *s, enum serve_drop why)
{
	count(&s->n.drop[why], 1);
}

static const char *const drop_names[SERVE_DROP_NREASONS] = {
	"rate",	 "ignored", "malformed",      "direction",  "no_session",
	"stale", "replay",  "auth",	      "unexpected", "cookie",
	"full",	 "guard",   "unknown_client",
};

const char *serve_drop_name(enum serve_drop why)
{
	return (unsigned)why < SERVE_DROP_NREASONS ? drop_names[why] : "?";
}

/* IPv4/UDP or IPv6/UDP header bytes (a v4-mapped address is IPv4). */
static unsigned ip_overhead(const struct sockaddr *a)
{
	if (a->sa_family != AF_INET6)
		return 28;
	const struct sockaddr_in6 *v6 = (const void *)a;
	return IN6_IS_ADDR_V4MAPPED(&v6->sin6_addr) ? 28 : 48;
}

static void stream_unlink(struct serve *s, struct sess *p)
{
	if (!p->streaming)
		return;
	if (p->sprev)
		p->sprev->snext = p->snext;
	else
		s->streams = p->snext;
	if (p->snext)
		p->snext->sprev = p->sprev;
	p->snext = p->sprev = NULL;
	p->streaming = 0;
	count(&s->n.streams, (uint64_t)-1);
}

static void stream_link(struct serve *s, struct sess *p)
{
	if (p->streaming)
		return;
	p->sprev = NULL;
	p->snext = s->streams;
	if (s->streams)
		s->streams->sprev = p;
	s->streams = p;
	p->streaming = 1;
	count(&s->n.streams, 1);
}

static void on_remove(struct session *ss, enum session_end why, void *ctx)
{
	struct serve *s = ctx;
	struct sess *p = session_priv(ss);
	if (s->total)
		atomic_fetch_sub_explicit(s->total, 1, memory_order_relaxed);
	if (p->counted && s->rl)
		ratelimit_session_del(s->rl, (struct sockaddr *)&ss->addr);
	cidwin_close(s->wins, p->win);
	p->win = NULL;
	stream_unlink(s, p);
	count(&s->n.sessions, (uint64_t)-1);
	if (why == SESSION_EVICTED)
		count(&s->n.evicted, 1);
}

void serve_ratelimit_conf(const struct srvconf *c, struct ratelimit_conf *rc)
{
	double cap = c->max_bandwidth_mbps * 1e6 / 8;
	*rc = (struct ratelimit_conf){
		.pps = c->max_packets_per_second,
		.burst = c->burst_size,
		.bytes_per_s = cap,
		.byte_burst = cap / 10 > 65536 ? cap / 10 : 65536,
		.abuse_after_ns = (int64_t)c->abuse_after_s * BB_NS_PER_S,
		.ignore_ns = (int64_t)c->ignore_s * BB_NS_PER_S,
		.max_sessions_per_source = (unsigned)c->max_sessions_per_source,
		.max_sessions_per_prefix = (unsigned)c->max_sessions_per_prefix,
	};
}

struct serve *serve_new(const struct srvconf *c, unsigned index,
			unsigned nworkers, size_t max_sessions,
			const struct serve_shared *sh)
{
	if ((!c->have_key && c->nclients <= 0) || nworkers == 0 ||
	    index >= nworkers || !sh || !sh->knocks || !sh->wins)
		return NULL;
	struct serve *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	pthread_mutex_init(&s->keys_lock, NULL);
	s->keys = keyring_new(c);
	if (!s->keys) {
		serve_free(s);
		return NULL;
	}
	s->session_timeout_ns = (int64_t)c->session_timeout_sec * BB_NS_PER_S;
	s->sessions = session_table_new(max_sessions ? max_sessions : 1,
					s->session_timeout_ns, PENDING_NS,
					sizeof(struct sess), on_remove, s);
	s->cap_Bps = c->max_bandwidth_mbps * 1e6 / 8;
	if (!s->sessions) {
		serve_free(s);
		return NULL;
	}
	s->knocks = sh->knocks;
	s->wins = sh->wins;
	s->total = sh->total;
	s->max_total = c->max_concurrent_clients;
	s->guard = c->enable_rate_limiting ? sh->guard : NULL;
	s->rl = c->enable_rate_limiting ? sh->rl : NULL;
	s->txcap = sh->txcap;
	s->rate_limiting = c->enable_rate_limiting && s->rl;
	wire_nonce_init(&s->nonce, WIRE_DIR_S2C);
	s->nonce_stride = 2ULL * nworkers;
	s->nonce_residue = 2ULL * index + 1;
	s->knock_window_ns = (int64_t)c->knock_timeout_sec * BB_NS_PER_S;
	s->chunk_size = (size_t)c->chunk_size;
	if (s->chunk_size < WIRE_MIN_PACKET + WIRE_DATA_HDR_LEN + 1)
		s->chunk_size = WIRE_MIN_PACKET + WIRE_DATA_HDR_LEN + 1;
	s->max_test_bytes = (uint64_t)c->max_test_bytes;
	s->max_test_ns = (int64_t)c->max_test_duration_s * BB_NS_PER_S;
	s->log_failed_knocks = c->log_failed_knocks;
	s->knock_log.window_ns = clock_mono_ns();
	s->ban_log.window_ns = clock_mono_ns();
	s->ban_ns = (int64_t)c->ignore_s * BB_NS_PER_S;
	s->abuse_ns = (int64_t)c->abuse_after_s * BB_NS_PER_S;
	return s;
}

void serve_free(struct serve *s)
{
	if (!s)
		return;
	session_table_free(s->sessions);
	keyring_free(s->keys);
	keyring_free(s->keys_next);
	pthread_mutex_destroy(&s->keys_lock);
	sodium_memzero(s->scratch, sizeof(s->scratch));
	free(s);
}

/* The next server nonce_ts: odd, strictly increasing, and in this worker's
 * residue class modulo 2 * nworkers so workers never collide. */
static uint64_t next_nonce(struct serve *s)
{
	uint64_t n = wire_nonce_next(&s->nonce, (uint64_t)clock_real_ns());
	if (!n)
		return 0;
	uint64_t r = n % s->nonce_stride;
	n += (s->nonce_residue + s->nonce_stride - r) % s->nonce_stride;
	s->nonce.last = n;
	return n;
}

/* Seal m to the session's client at `to`; pad_len (random bytes) capped by
 * room (-1 = random).  max_len: largest datagram allowed (0 = slot size). */
static int send_msg_to(struct serve *s, const struct session *ss,
		       const struct sockaddr *to, socklen_t tolen,
		       const struct wire_msg *m, size_t pad_len, size_t max_len,
		       const struct serve_out *out)
{
	size_t cap = 0;
	uint8_t *buf = out->slot(out->ctx, &cap);
	if (!buf)
		return -ENOBUFS;
	if (max_len && max_len < cap)
		cap = max_len;
	uint64_t nonce = next_nonce(s);
	if (!nonce)
		return -EOVERFLOW;
	const uint8_t *key =
		((const struct sess *)session_priv((struct session *)ss))
			->ke->key;
	int len;
	if (pad_len == (size_t)-1)
		len = wire_seal_random_pad(key, ss->client_id, nonce, m, buf,
					   cap);
	else
		len = wire_seal(key, ss->client_id, nonce, m, NULL, pad_len,
				buf, cap);
	if (len < 0)
		return len;
	/* rule 11: everything the server sends stays under max_total_mbps */
	if (s->txcap && !ratecap_take(s->txcap, (size_t)len + ip_overhead(to),
				      clock_mono_ns())) {
		count(&s->n.tx_capped, 1);
		return -ENOBUFS;
	}
	out->commit(out->ctx, (size_t)len, to, tolen);
	count(&s->n.tx_packets, 1);
	count(&s->n.tx_bytes, (uint64_t)len);
	return len;
}

/* Seal m to the session's address (latest proven port). */
static int send_msg(struct serve *s, const struct session *ss,
		    const struct wire_msg *m, size_t pad_len, size_t max_len,
		    const struct serve_out *out)
{
	return send_msg_to(s, ss, (const struct sockaddr *)&ss->addr,
			   ss->addrlen, m, pad_len, max_len, out);
}

static void send_error(struct serve *s, const struct session *ss, uint8_t code,
		       const char *text, const struct serve_out *out)
{
	struct wire_msg m = { .type = WIRE_ERROR };
	m.u.error.code = code;
	snprintf(m.u.error.message, sizeof(m.u.error.message), "%s", text);
	send_msg(s, ss, &m, 0, 0, out);
}

/* A failed knock, rate-limited in the log; who: the client's label or
 * NULL. */
static void log_failed_knock_of(struct serve *s, const struct sockaddr *from,
				const char *who, const char *why,
				int64_t now_ns)
{
	count(&s->n.knocks_failed, 1);
	if (!s->log_failed_knocks)
		return;
	uint32_t suppressed = 0;
	int ok = srvlog_limit_ok(&s->knock_log, now_ns, KNOCK_LOG_PER_MIN,
				 &suppressed);
	if (suppressed)
		srvlog(SRVLOG_WARN, "%u more failed knocks not logged",
		       suppressed);
	if (ok) {
		char a[64];
		sock_addr_to_text(from, a, sizeof(a));
		srvlog(SRVLOG_WARN, "failed knock from %s%s%s: %s", a,
		       who ? " by " : "", who ? who : "", why);
	}
}

static void log_failed_knock(struct serve *s, const struct sockaddr *from,
			     const char *why, int64_t now_ns)
{
	log_failed_knock_of(s, from, NULL, why, now_ns);
}

/* ---- handlers (authenticated packets inside a session) ----------------- */

/* KNOCK_ACK with the session's cookie, to the knock's own source (a NAT
 * may have moved the client's port; the session's port only follows
 * packets that carried the cookie) and no larger than the knock. */
static void on_knock(struct serve *s, struct session *ss,
		     const struct wire_msg *m, size_t req_len,
		     const struct sockaddr *from, socklen_t fromlen,
		     const struct serve_out *out)
{
	struct wire_msg r = { .type = WIRE_KNOCK_ACK };
	int64_t now_s = clock_real_ns() / BB_NS_PER_S;
	r.u.knock_ack.session_id = ss->id;
	r.u.knock_ack.valid_until =
		(uint32_t)(now_s + s->session_timeout_ns / BB_NS_PER_S);
	r.has_cookie = 1;
	memcpy(r.cookie, ss->cookie, WIRE_COOKIE_LEN);
	send_msg_to(s, ss, from, fromlen, &r, (size_t)-1, req_len, out);
}

static void on_echo(struct serve *s, struct session *ss, struct sess *p,
		    const struct wire_msg *m, size_t req_len,
		    int64_t rx_real_ns, const struct serve_out *out)
{
	p->requests_seen++;
	if (p->requests_seen == 1 ||
	    (int32_t)(m->u.echo_request.seq - p->highest_seq) > 0)
		p->highest_seq = m->u.echo_request.seq;
	struct wire_msg r = { .type = WIRE_ECHO_REPLY };
	r.u.echo_reply.seq = m->u.echo_request.seq;
	r.u.echo_reply.client_send_ns_low =
		m->u.echo_request.client_send_ns_low;
	r.u.echo_reply.token = m->u.echo_request.token;
	r.u.echo_reply.server_rx_ns = (uint64_t)rx_real_ns;
	r.u.echo_reply.has_ext = 1;
	r.u.echo_reply.requests_seen = p->requests_seen;
	r.u.echo_reply.highest_seq = p->highest_seq;
	/* Mirror the request's size so both directions carry equal packets. */
	size_t base = WIRE_MIN_PACKET + 40, pad = 0;
	if (req_len > base)
		pad = req_len - base > WIRE_MAX_PAD ? WIRE_MAX_PAD
						    : req_len - base;
	r.u.echo_reply.server_tx_ns = (uint64_t)clock_real_ns();
	send_msg(s, ss, &r, pad, 0, out);
}

static void upload_begin(struct serve *s, struct sess *p, uint32_t test_id,
			 int64_t now_ns)
{
	memset(&p->up, 0, sizeof(p->up));
	p->up.test_id = test_id;
	p->up.active = 1;
	p->up.deadline_ns = now_ns + s->max_test_ns;
}

static void send_upload_stats(struct serve *s, struct session *ss,
			      struct sess *p, const struct serve_out *out)
{
	struct upload *u = &p->up;
	struct wire_msg r = { .type = WIRE_THROUGHPUT_STATS };
	int64_t from_ns = u->first_rx_ns;
	uint64_t from_bytes = u->first_ip_bytes;
	int64_t ramp = (u->last_rx_ns - u->first_rx_ns) / 10;
	if (ramp > UPLOAD_RAMP_NS)
		ramp = UPLOAD_RAMP_NS;
	for (unsigned i = 0; ramp > 0 && i < u->ncp; i++) {
		if (u->cp[i].rx_ns >= u->last_rx_ns)
			break;
		from_ns = u->cp[i].rx_ns;
		from_bytes = u->cp[i].ip_bytes;
		if (from_ns - u->first_rx_ns >= ramp)
			break;
	}
	int64_t dur = u->packets > 1 ? u->last_rx_ns - from_ns : 0;
	if (dur < 0)
		dur = 0;
	uint64_t kbps = 0;
	if (dur > 0)
		kbps = (u->ip_bytes - from_bytes) * 8ULL * 1000000ULL /
		       (uint64_t)dur;
	uint64_t expected = u->have_seq ? (uint64_t)u->max_seq + 1 : 0;
	r.u.throughput_stats.test_id = u->test_id;
	r.u.throughput_stats.bytes_rx =
		u->bytes > UINT32_MAX ? UINT32_MAX : (uint32_t)u->bytes;
	r.u.throughput_stats.duration_ms = (uint32_t)(dur / BB_NS_PER_MS);
	r.u.throughput_stats.kbps =
		kbps > UINT32_MAX ? UINT32_MAX : (uint32_t)kbps;
	r.u.throughput_stats.packets_rx = u->packets;
	r.u.throughput_stats.packets_lost =
		expected > u->packets ? (uint32_t)(expected - u->packets) : 0;
	send_msg(s, ss, &r, 0, 0, out);
}

static void on_upload_data(struct serve *s, struct sess *p,
			   const struct wire_msg *m, size_t req_len,
			   const struct sockaddr *from, int64_t rx_real_ns,
			   int64_t now_ns)
{
	struct upload *u = &p->up;
	const struct wire_data *d = &m->u.throughput_data;
	if (!u->active || u->test_id != d->test_id || now_ns > u->deadline_ns) {
		drop(s, SERVE_DROP_UNEXPECTED);
		return;
	}
	uint64_t ip = req_len + ip_overhead(from);
	if (u->packets == 0) {
		u->first_rx_ns = rx_real_ns;
		u->first_ip_bytes = ip;
	}
	u->last_rx_ns = rx_real_ns;
	u->packets++;
	u->bytes += d->data_len;
	u->ip_bytes += ip;
	if (u->packets > 1 && u->ncp < UPLOAD_CP &&
	    rx_real_ns - u->first_rx_ns >=
		    (int64_t)(u->ncp + 1) * UPLOAD_CP_NS) {
		u->cp[u->ncp].rx_ns = rx_real_ns;
		u->cp[u->ncp].ip_bytes = u->ip_bytes;
		u->ncp++;
	}
	if (!u->have_seq || d->chunk_seq > u->max_seq)
		u->max_seq = d->chunk_seq;
	u->have_seq = 1;
}

static void download_finish(struct serve *s, struct session *ss, struct sess *p,
			    const struct serve_out *out)
{
	struct download *d = &p->down;
	d->active = 0;
	d->have_last = 1;
	d->last_test_id = d->test_id;
	d->last_total = d->sent;
	d->last_chunks = d->seq;
	stream_unlink(s, p);
	struct wire_msg r = { .type = WIRE_DOWNLOAD_END };
	r.u.download_end.test_id = d->test_id;
	r.u.download_end.total_bytes_sent =
		d->sent > UINT32_MAX ? UINT32_MAX : (uint32_t)d->sent;
	r.u.download_end.has_ext = 1;
	r.u.download_end.chunks_sent = d->seq;
	send_msg(s, ss, &r, 0, 0, out);
}

static void download_begin(struct serve *s, struct sess *p, uint32_t test_id,
			   uint64_t bytes, uint32_t rate_kbps, int bloat,
			   int64_t now_ns)
{
	struct download *d = &p->down;
	d->test_id = test_id;
	d->active = 1;
	d->bloat = bloat;
	d->total = bytes;
	d->sent = d->ip_sent = 0;
	d->seq = 0;
	double want = rate_kbps ? rate_kbps * 1000.0 / 8 : s->cap_Bps;
	d->rate_Bps = want < s->cap_Bps ? want : s->cap_Bps;
	d->start_ns = d->next_ns = now_ns;
	d->deadline_ns = now_ns + s->max_test_ns;
	stream_link(s, p);
}

static void on_download_request(struct serve *s, struct session *ss,
				struct sess *p, const struct wire_msg *m,
				int64_t now_ns, const struct serve_out *out)
{
	uint32_t test_id = m->u.download_request.test_id;
	uint32_t bytes = m->u.download_request.bytes;
	struct download *d = &p->down;
	if (d->active && d->test_id == test_id)
		return; /* a retransmitted request: already streaming */
	if (!d->active && d->have_last && d->last_test_id == test_id) {
		struct wire_msg r = { .type = WIRE_DOWNLOAD_END };
		r.u.download_end.test_id = d->last_test_id;
		r.u.download_end.total_bytes_sent =
			d->last_total > UINT32_MAX ? UINT32_MAX
						   : (uint32_t)d->last_total;
		r.u.download_end.has_ext = 1;
		r.u.download_end.chunks_sent = d->last_chunks;
		send_msg(s, ss, &r, 0, 0, out);
		return;
	}
	if (bytes == 0 || bytes > s->max_test_bytes) {
		send_error(s, ss, WIRE_ERR_TOO_LARGE, "download size refused",
			   out);
		return;
	}
	if (d->active) /* a new test replaces the old one */
		download_finish(s, ss, p, out);
	download_begin(s, p, test_id, bytes, m->u.download_request.rate_kbps, 0,
		       now_ns);
}

static void on_bloat_start(struct serve *s, struct sess *p,
			   const struct wire_msg *m, int64_t now_ns)
{
	uint32_t id = m->u.bufferbloat_start.test_id;
	uint8_t kind = m->u.bufferbloat_start.kind;
	if (p->bloat_kind && p->bloat_test_id == id)
		return; /* retransmitted */
	p->bloat_test_id = id;
	p->bloat_kind = kind;
	if (kind == WIRE_BLOAT_UP || kind == WIRE_BLOAT_BOTH)
		upload_begin(s, p, id, now_ns);
	if (kind == WIRE_BLOAT_DOWN || kind == WIRE_BLOAT_BOTH)
		download_begin(s, p, id, UINT64_MAX, 0, 1, now_ns);
}

static void on_bloat_end(struct serve *s, struct session *ss, struct sess *p,
			 const struct wire_msg *m, const struct serve_out *out)
{
	uint32_t id = m->u.bufferbloat_end.test_id;
	if (!p->bloat_kind || p->bloat_test_id != id)
		return;
	if (p->down.active && p->down.bloat && p->down.test_id == id)
		download_finish(s, ss, p, out);
	if (p->up.test_id == id && (p->up.active || p->up.done)) {
		p->up.active = 0;
		p->up.done = 1;
		send_upload_stats(s, ss, p, out);
	}
	p->bloat_kind = 0;
}

static void dispatch(struct serve *s, struct session *ss,
		     const struct wire_msg *m, size_t len,
		     const struct sockaddr *from, socklen_t fromlen,
		     int64_t rx_real_ns, int64_t now_ns,
		     const struct serve_out *out)
{
	struct sess *p = session_priv(ss);
	switch (m->type) {
	case WIRE_KNOCK:
		on_knock(s, ss, m, len, from, fromlen, out);
		break;
	case WIRE_ECHO_REQUEST:
		on_echo(s, ss, p, m, len, rx_real_ns, out);
		break;
	case WIRE_THROUGHPUT_START:
		if (p->up.test_id == m->u.throughput_start.test_id &&
		    (p->up.active || p->up.done))
			break; /* retransmitted */
		if (m->u.throughput_start.target_bytes > s->max_test_bytes) {
			send_error(s, ss, WIRE_ERR_TOO_LARGE,
				   "upload size refused", out);
			break;
		}
		upload_begin(s, p, m->u.throughput_start.test_id, now_ns);
		break;
	case WIRE_THROUGHPUT_DATA:
		on_upload_data(s, p, m, len, from, rx_real_ns, now_ns);
		break;
	case WIRE_THROUGHPUT_END:
		if (p->up.test_id != m->u.throughput_end.test_id ||
		    !(p->up.active || p->up.done)) {
			send_error(s, ss, WIRE_ERR_MALFORMED,
				   "no such upload test", out);
			break;
		}
		p->up.active = 0;
		p->up.done = 1;
		send_upload_stats(s, ss, p, out);
		break;
	case WIRE_DOWNLOAD_REQUEST:
		on_download_request(s, ss, p, m, now_ns, out);
		break;
	case WIRE_BUFFERBLOAT_START:
		on_bloat_start(s, p, m, now_ns);
		break;
	case WIRE_BUFFERBLOAT_END:
		on_bloat_end(s, ss, p, m, out);
		break;
	default:
		drop(s, SERVE_DROP_UNEXPECTED);
		break;
	}
}

/* ---- receive path ------------------------------------------------------ */

static void log_ban(struct serve *s, const struct sockaddr *from,
		    const struct session *ss, int64_t now_ns)
{
	count(&s->n.bans, 1);
	uint32_t suppressed = 0;
	int ok = srvlog_limit_ok(&s->ban_log, now_ns, KNOCK_LOG_PER_MIN,
				 &suppressed);
	if (suppressed)
		srvlog(SRVLOG_WARN, "%u more bans not logged", suppressed);
	if (!ok)
		return;
	char a[64], cid[96] = "?";
	sock_addr_to_text(from, a, sizeof(a));
	if (ss)
		keyring_label(((const struct sess *)session_priv(
				       (struct session *)ss))
				      ->ke,
			      ss->client_id, cid, sizeof(cid));
	srvlog(SRVLOG_WARN,
	       "banned %s%s for %lld s: authenticated packets over the "
	       "limit for %lld s (client %s)",
	       a, from->sa_family == AF_INET6 ? "/64" : "",
	       (long long)(s->ban_ns / BB_NS_PER_S),
	       (long long)(s->abuse_ns / BB_NS_PER_S), cid);
}

/* Rule 11: an authenticated packet, not a replay, pays its source's
 * budget (a running upload's DATA pays bytes instead of a packet token).
 * 0 pass, -1 dropped; a source in the penalty box also marks the session
 * so that its next packets are dropped before the AEAD. */
static int pay_rate(struct serve *s, struct session *ss, uint8_t type,
		    size_t len, const struct sockaddr *from, int proven,
		    int64_t now_ns)
{
	if (!s->rate_limiting)
		return 0;
	struct sess *p = ss ? session_priv(ss) : NULL;
	if (p && type == WIRE_THROUGHPUT_DATA && p->up.active &&
	    !ratelimit_is_ignored(s->rl, from, now_ns)) {
		if (ratelimit_bytes(s->rl, from, RATELIMIT_UP,
				    len + ip_overhead(from), now_ns))
			return 0;
		drop(s, SERVE_DROP_RATE);
		return -1;
	}
	switch (ratelimit_packet(s->rl, from, proven, now_ns)) {
	case RATELIMIT_PASS:
		return 0;
	case RATELIMIT_DROP:
		drop(s, SERVE_DROP_RATE);
		return -1;
	case RATELIMIT_BANNED:
		log_ban(s, from, ss, now_ns);
		if (p)
			p->ignored_until_ns = now_ns + s->ban_ns;
		drop(s, SERVE_DROP_IGNORED);
		return -1;
	case RATELIMIT_IGNORED:
	default:
		/* how long is the limiter's business: look again in 1 s */
		if (p)
			p->ignored_until_ns = now_ns + BB_NS_PER_S;
		drop(s, SERVE_DROP_IGNORED);
		return -1;
	}
}

/* The pre-AEAD guard (rule 11): an AEAD open for a packet that no
 * validated session vouches for takes a token from the budget all workers
 * share; none left: dropped unopened.  Forged packets claiming a client's
 * validated session are always opened -- any cheaper rule could be aimed
 * at that client -- but their failures are paid for here too, so a flood
 * of them throttles new knocks, not the client. */
static int guard_take(struct serve *s, int64_t now_ns)
{
	if (!s->guard || ratecap_take(s->guard, 1, now_ns))
		return 0;
	drop(s, SERVE_DROP_GUARD);
	return -1;
}

/* max_concurrent_clients holds for all workers together: a new session
 * takes a place in the shared count (1), or the count is full (0). */
static int total_reserve(struct serve *s)
{
	if (!s->total)
		return 1;
	if (atomic_fetch_add_explicit(s->total, 1, memory_order_relaxed) <
	    s->max_total)
		return 1;
	atomic_fetch_sub_explicit(s->total, 1, memory_order_relaxed);
	return 0;
}

/* A new session within max_concurrent_clients of all workers; when they
 * are full, only a pending session of this worker may make room (never a
 * validated one, rule 11).  NULL: no room. */
static struct session *
create_capped(struct serve *s, const struct sockaddr *from, socklen_t fromlen,
	      const uint8_t cid[WIRE_CLIENT_ID_LEN], int64_t now_ns)
{
	if (!total_reserve(s) &&
	    (!session_evict_pending(s->sessions) || !total_reserve(s)))
		return NULL;
	struct session *ss =
		session_add(s->sessions, from, fromlen, cid, now_ns);
	if (!ss && s->total)
		atomic_fetch_sub_explicit(s->total, 1, memory_order_relaxed);
	return ss;
}

/* Rule 9: claim an authentic KNOCK's nonce in the cache all workers share;
 * a replay, a nonce from before our start, or a full cache drops it. */
static int claim_knock(struct serve *s, const struct wire_header *h,
		       const struct sockaddr *from, uint64_t now_real,
		       int64_t now_ns)
{
	int rc = knockcache_claim(s->knocks, h->client_id, h->nonce_ts,
				  now_real);
	if (rc == 0)
		return 0;
	drop(s, rc == -ESTALE	? SERVE_DROP_STALE
		: rc == -ENOSPC ? SERVE_DROP_FULL
				: SERVE_DROP_REPLAY);
	log_failed_knock(s, from,
			 rc == -ESTALE	 ? "sealed before the server started"
			 : rc == -ENOSPC ? "knock cache full"
					 : "replayed",
			 now_ns);
	return rc;
}

/* A KNOCK from an address without a session: authenticate it and open
 * one, or drop it. */
static void knock_new(struct serve *s, const uint8_t *pkt, size_t len,
		      const struct wire_header *h, const struct sockaddr *from,
		      socklen_t fromlen, int64_t now_ns,
		      const struct serve_out *out)
{
	uint64_t now_real = (uint64_t)clock_real_ns();
	/* rule 10: seen in any session of this client_id, on any worker */
	int rc = cidwin_check(s->wins, h->client_id, h->nonce_ts, now_real);
	if (rc < 0) {
		drop(s, rc == -ESTALE ? SERVE_DROP_STALE : SERVE_DROP_REPLAY);
		log_failed_knock(s, from,
				 rc == -ESTALE ? "timestamp outside the window"
					       : "replayed",
				 now_ns);
		return;
	}
	if (s->rate_limiting && ratelimit_is_ignored(s->rl, from, now_ns)) {
		drop(s, SERVE_DROP_IGNORED);
		return;
	}
	/* rule 14: the id's own key, else the shared one, else nothing */
	const struct keyring_ent *ke = keyring_find(s->keys, h->client_id);
	char who[96];
	keyring_label(ke, h->client_id, who, sizeof(who));
	if (!ke) {
		drop(s, SERVE_DROP_UNKNOWN);
		log_failed_knock_of(s, from, who, "unknown or revoked client",
				    now_ns);
		return;
	}
	if (guard_take(s, now_ns) < 0)
		return;
	struct wire_header oh;
	struct wire_msg m;
	if (wire_open(ke->key, pkt, len, s->scratch, sizeof(s->scratch), &oh,
		      &m) < 0) {
		drop(s, SERVE_DROP_AUTH);
		log_failed_knock_of(s, from, ke->name[0] ? who : NULL,
				    "authentication failed (a wrong key?)",
				    now_ns);
		return;
	}
	int64_t skew = (int64_t)m.u.knock.unix_time -
		       (int64_t)(now_real / BB_NS_PER_S);
	if (skew > s->knock_window_ns / BB_NS_PER_S ||
	    -skew > s->knock_window_ns / BB_NS_PER_S) {
		drop(s, SERVE_DROP_STALE);
		log_failed_knock(s, from, "knock time outside the window",
				 now_ns);
		return;
	}
	if (claim_knock(s, h, from, now_real, now_ns) < 0)
		return;
	/* an authentic knock pays its source (it may be forged by a key
	 * holder: never proven, so it can never earn a ban) */
	if (pay_rate(s, NULL, WIRE_KNOCK, len, from, 0, now_ns) < 0)
		return;
	struct cidwin_ent *win =
		cidwin_open(s->wins, h->client_id, h->nonce_ts, now_real, &rc);
	if (!win) {
		drop(s, rc == -ENOMEM ? SERVE_DROP_FULL : SERVE_DROP_REPLAY);
		log_failed_knock(s, from,
				 rc == -ENOMEM ? "out of memory" : "replayed",
				 now_ns);
		return;
	}
	struct session *ss =
		create_capped(s, from, fromlen, h->client_id, now_ns);
	if (!ss) {
		cidwin_close(s->wins, win);
		drop(s, SERVE_DROP_FULL);
		log_failed_knock(s, from, "no room: every session is active",
				 now_ns);
		return;
	}
	((struct sess *)session_priv(ss))->win = win;
	((struct sess *)session_priv(ss))->ke = ke;
	antireplay_commit(&ss->replay, h->nonce_ts);
	count(&s->n.sessions, 1);
	count(&s->n.created, 1);
	count(&s->n.knocks_ok, 1);
	if (s->log_failed_knocks) {
		char a[64];
		sock_addr_to_text(from, a, sizeof(a));
		srvlog(ke->name[0] ? SRVLOG_INFO : SRVLOG_DEBUG,
		       "session %08x opened for %s (client %s)", ss->id, a,
		       who);
	}
	on_knock(s, ss, &m, len, from, fromlen, out);
}

/* A packet with a well-formed header, through the session, replay,
 * AEAD, cookie and rate checks to its handler. */
static void input_checked(struct serve *s, const uint8_t *pkt, size_t len,
			  const struct wire_header *hp, struct session *ss,
			  const struct sockaddr *from, socklen_t fromlen,
			  int64_t rx_real_ns, int64_t now_ns,
			  const struct serve_out *out)
{
	struct wire_header h = *hp;
	if (wire_check_dir(&h, WIRE_DIR_C2S, 0) < 0) {
		drop(s, SERVE_DROP_DIRECTION);
		return;
	}
	if (!ss) {
		if (h.type == WIRE_KNOCK)
			knock_new(s, pkt, len, &h, from, fromlen, now_ns, out);
		else
			drop(s, SERVE_DROP_NO_SESSION);
		return;
	}
	struct sess *p = session_priv(ss);
	if (h.type == WIRE_THROUGHPUT_DATA && !ss->validated) {
		drop(s, SERVE_DROP_COOKIE); /* DATA carries no cookie */
		return;
	}
	if (p->ignored_until_ns && now_ns < p->ignored_until_ns) {
		drop(s, SERVE_DROP_IGNORED); /* proven abuse: no AEAD */
		return;
	}
	uint64_t now_real = (uint64_t)clock_real_ns();
	int rc = antireplay_check(&ss->replay, h.nonce_ts, now_real);
	if (rc < 0) {
		drop(s, rc == -ESTALE ? SERVE_DROP_STALE : SERVE_DROP_REPLAY);
		if (h.type == WIRE_KNOCK)
			log_failed_knock(s, from, "stale or replayed", now_ns);
		return;
	}
	if (!ss->validated && guard_take(s, now_ns) < 0)
		return;
	struct wire_header oh;
	struct wire_msg m;
	if (wire_open(p->ke->key, pkt, len, s->scratch, sizeof(s->scratch), &oh,
		      &m) < 0) {
		if (ss->validated && s->guard)
			ratecap_charge(s->guard, 1, now_ns);
		drop(s, SERVE_DROP_AUTH);
		if (h.type == WIRE_KNOCK)
			log_failed_knock(s, from,
					 "authentication failed (a wrong key?)",
					 now_ns);
		return;
	}
	/* Rule 8: a request proves its address with the cookie; a wrong
	 * or missing one (a key holder forging a source) gets silence and
	 * moves nothing, not even the replay window. */
	int cookie = 0;
	if (wire_type_has_cookie(m.type)) {
		if (!m.has_cookie ||
		    sodium_memcmp(m.cookie, ss->cookie, WIRE_COOKIE_LEN) != 0) {
			drop(s, SERVE_DROP_COOKIE);
			return;
		}
		cookie = 1;
	}
	/* proven for the limiter: the cookie, or DATA (only accepted in a
	 * validated session); only the cookie moves the reply port */
	int proven = cookie || m.type == WIRE_THROUGHPUT_DATA;
	/* rule 10: once per client_id, whatever the session or worker */
	if (cidwin_commit(p->win, h.nonce_ts, now_real) < 0 ||
	    antireplay_commit(&ss->replay, h.nonce_ts) < 0) {
		drop(s, SERVE_DROP_REPLAY);
		return;
	}
	if (m.type == WIRE_KNOCK) {
		int64_t skew = (int64_t)m.u.knock.unix_time -
			       (int64_t)(now_real / BB_NS_PER_S);
		if (skew > s->knock_window_ns / BB_NS_PER_S ||
		    -skew > s->knock_window_ns / BB_NS_PER_S) {
			drop(s, SERVE_DROP_STALE);
			log_failed_knock(s, from, "knock time outside window",
					 now_ns);
			return;
		}
		if (claim_knock(s, &h, from, now_real, now_ns) < 0)
			return;
	}
	/* rule 11: only now, authentic and fresh, does it cost its source */
	if (pay_rate(s, ss, m.type, len, from, proven, now_ns) < 0)
		return;
	if (m.type == WIRE_KNOCK)
		count(&s->n.knocks_ok, 1);
	if (cookie && !ss->validated) {
		/* rule 11: validated sessions are capped per source */
		if (s->rate_limiting &&
		    ratelimit_session_add(s->rl, from, now_ns) < 0) {
			drop(s, SERVE_DROP_FULL);
			return;
		}
		p->counted = s->rate_limiting;
		session_validate(s->sessions, ss, now_ns);
	}
	/* Only a packet from the session's own address (and port) refreshes
	 * it, or one that proves it by the cookie: a key holder knocking with
	 * a session's client id from a forged port cannot keep a client's
	 * slot alive after the client left. */
	if (cookie || sock_addr_equal(from, (struct sockaddr *)&ss->addr, 1))
		session_touch(s->sessions, ss, cookie ? from : NULL, fromlen,
			      now_ns);
	dispatch(s, ss, &m, len, from, fromlen, rx_real_ns, now_ns, out);
}

void serve_input(struct serve *s, const uint8_t *pkt, size_t len,
		 const struct sockaddr *from, socklen_t fromlen,
		 int64_t rx_real_ns, int64_t now_ns,
		 const struct serve_out *out)
{
	struct wire_header h;
	count(&s->n.rx_packets, 1);
	count(&s->n.rx_bytes, len);
	/* a header check costs less than any bookkeeping: nothing is
	 * charged for garbage (its source may be forged) */
	if (wire_peek(pkt, len, &h) < 0) {
		drop(s, SERVE_DROP_MALFORMED);
		return;
	}
	struct session *ss = session_find(s->sessions, from, h.client_id);
	input_checked(s, pkt, len, &h, ss, from, fromlen, rx_real_ns, now_ns,
		      out);
}
/* ---- download streams --------------------------------------------------- */

/* Send what one stream may send now; returns when it wants to go again. */
static int64_t pump_one(struct serve *s, struct sess *p, int64_t now_ns,
			const struct serve_out *out)
{
	struct session *ss = session_of_priv(p);
	struct download *d = &p->down;
	const struct sockaddr *to = (const struct sockaddr *)&ss->addr;
	size_t per_chunk = s->chunk_size - WIRE_MIN_PACKET - WIRE_DATA_HDR_LEN;
	unsigned ovh = ip_overhead(to);

	if (now_ns >= d->deadline_ns) {
		download_finish(s, ss, p, out);
		return INT64_MAX;
	}
	for (int i = 0; i < PUMP_MAX_CHUNKS; i++) {
		if (d->sent >= d->total) {
			download_finish(s, ss, p, out);
			return INT64_MAX;
		}
		uint64_t left = d->total - d->sent;
		size_t n = left < per_chunk ? (size_t)left : per_chunk;
		size_t ip = n + WIRE_MIN_PACKET + WIRE_DATA_HDR_LEN + ovh;
		/* allowed by time t: rate * t + one chunk */
		double allowed =
			d->rate_Bps * (double)(now_ns - d->start_ns) / 1e9 +
			(double)ip;
		if ((double)(d->ip_sent + ip) > allowed) {
			double need = (double)(d->ip_sent + ip) - allowed;
			return now_ns + 1 + (int64_t)(need / d->rate_Bps * 1e9);
		}
		if (s->rate_limiting &&
		    !ratelimit_bytes(s->rl, to, RATELIMIT_DOWN, ip, now_ns))
			return now_ns + PUMP_IDLE_NS;
		struct wire_msg m = { .type = WIRE_DOWNLOAD_DATA };
		m.u.download_data.test_id = d->test_id;
		m.u.download_data.chunk_seq = d->seq;
		m.u.download_data.data = zeros;
		m.u.download_data.data_len = n;
		if (send_msg(s, ss, &m, 0, 0, out) < 0)
			return now_ns + PUMP_IDLE_NS;
		d->seq++;
		d->sent += n;
		d->ip_sent += ip;
	}
	return now_ns; /* more is due right away */
}

int64_t serve_pump(struct serve *s, int64_t now_ns, const struct serve_out *out)
{
	int64_t next = INT64_MAX;
	struct sess *p = s->streams;
	while (p) {
		struct sess *nx = p->snext; /* p may leave the list */
		int64_t t = pump_one(s, p, now_ns, out);
		if (t < next)
			next = t;
		p = nx;
	}
	return next;
}

void serve_tick(struct serve *s, int64_t now_ns)
{
	session_expire(s->sessions, now_ns);
}

void serve_stats(const struct serve *s, struct serve_stats *o)
{
	struct counters *n = (struct counters *)&s->n;
#define LD(x) atomic_load_explicit(&n->x, memory_order_relaxed)
	o->rx_packets = LD(rx_packets);
	o->rx_bytes = LD(rx_bytes);
	o->tx_packets = LD(tx_packets);
	o->tx_bytes = LD(tx_bytes);
	o->knocks_ok = LD(knocks_ok);
	o->knocks_failed = LD(knocks_failed);
	o->sessions_created = LD(created);
	o->sessions_evicted = LD(evicted);
	o->bans = LD(bans);
	o->tx_capped = LD(tx_capped);
	o->sessions = LD(sessions);
	o->streams = LD(streams);
	for (int i = 0; i < SERVE_DROP_NREASONS; i++)
		o->drop[i] = LD(drop[i]);
#undef LD
}

void serve_tx_failed(struct serve *s, size_t packets, size_t bytes)
{
	count(&s->n.tx_packets, (uint64_t)0 - packets);
	count(&s->n.tx_bytes, (uint64_t)0 - bytes);
}

/* ---- per-client keys (rule 14) ------------------------------------------- */

void serve_post_keys(struct serve *s, struct keyring *k)
{
	pthread_mutex_lock(&s->keys_lock);
	keyring_free(s->keys_next);
	s->keys_next = k;
	pthread_mutex_unlock(&s->keys_lock);
}

struct rekey {
	const struct keyring *next;
	struct session **gone;
	size_t n, cap;
	int failed;
};

/* A session whose client has no key in the new ring, or another key, goes
 * (its client must knock again, under the key it now has); the others
 * follow their entry into the new ring -- after the swap, since failing
 * to list one that must go keeps the old ring. */
static void rekey_one(struct session *ss, void *ctx)
{
	struct rekey *r = ctx;
	struct sess *p = session_priv(ss);
	const struct keyring_ent *ke = keyring_find(r->next, ss->client_id);
	if (ke && sodium_memcmp(ke->key, p->ke->key, WIRE_KEY_LEN) == 0)
		return;
	if (r->n == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 64;
		struct session **g = realloc(r->gone, cap * sizeof(*g));
		if (!g) {
			r->failed = 1;
			return;
		}
		r->gone = g;
		r->cap = cap;
	}
	r->gone[r->n++] = ss;
}

static void rekey_follow(struct session *ss, void *ctx)
{
	struct sess *p = session_priv(ss);
	p->ke = keyring_find(ctx, ss->client_id);
}

int serve_apply_keys(struct serve *s)
{
	pthread_mutex_lock(&s->keys_lock);
	struct keyring *next = s->keys_next;
	s->keys_next = NULL;
	pthread_mutex_unlock(&s->keys_lock);
	if (!next)
		return 0;
	struct rekey r = { .next = next };
	session_each(s->sessions, rekey_one, &r);
	if (r.failed) { /* out of memory: keep the old keys for now */
		free(r.gone);
		serve_post_keys(s, next);
		return -ENOMEM;
	}
	for (size_t i = 0; i < r.n; i++) {
		struct session *ss = r.gone[i];
		struct sess *p = session_priv(ss);
		char a[64], who[96];
		sock_addr_to_text((struct sockaddr *)&ss->addr, a, sizeof(a));
		keyring_label(p->ke, ss->client_id, who, sizeof(who));
		srvlog(SRVLOG_INFO,
		       "client %s: key revoked or changed, session %08x for "
		       "%s closed",
		       who, ss->id, a);
		session_remove(s->sessions, ss);
	}
	free(r.gone);
	session_each(s->sessions, rekey_follow, next);
	keyring_free(s->keys);
	s->keys = next;
	return (int)r.n;
}
