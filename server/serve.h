/* SPDX-License-Identifier: MIT */
/*
 * The server's protocol engine for one worker: every datagram goes through
 * header peek -> session lookup -> replay check -> unauthenticated budget
 * -> AEAD open -> cookie -> replay commit (per client_id) -> its source's
 * rate limit -> handler, and anything failing a step is dropped in silence
 * and counted by reason (PROTOCOL.md hardening rules 3-6, 8-12).  It owns
 * the worker's sessions, rate limiter, nonce generator and the upload,
 * download and bufferbloat state of each session.  No I/O: replies go to a
 * caller-supplied output (the worker batches them into sendmmsg), download
 * streams are produced by serve_pump at the times it asks for.  Time is
 * passed in; one engine per thread, only the counters are read across
 * threads (atomics).
 */
#ifndef BB_SERVE_H
#define BB_SERVE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "server/cidwin.h"
#include "server/keyring.h"
#include "server/knockcache.h"
#include "server/ratelimit.h"
#include "server/srvconf.h"

struct serve;

/* What all workers share (owned by the caller, outliving the engines):
 * the knock replay cache, the per-source limiter (may be NULL when rate
 * limiting is off), the global send cap (may be NULL), the replay windows
 * per client_id, and the budget of AEAD opens for packets no validated
 * session vouches for, in packets per second (may be NULL). */
struct serve_shared {
	struct knockcache *knocks;
	struct ratelimit *rl;
	struct ratecap *txcap;
	struct cidwin *wins;
	struct ratecap *guard;
	_Atomic int64_t *total; /* live sessions of all workers, capped at
				 * max_concurrent_clients; NULL = no cap */
};

/* Where replies go.  slot() hands out a buffer of at least *cap bytes for
 * the next datagram (NULL = no room: the reply is dropped); commit() queues
 * the first len bytes of that buffer to `to`. */
struct serve_out {
	uint8_t *(*slot)(void *ctx, size_t *cap);
	void (*commit)(void *ctx, size_t len, const struct sockaddr *to,
		       socklen_t tolen);
	void *ctx;
};

/* Why datagrams were dropped (index into serve_stats.drop). */
enum serve_drop {
	SERVE_DROP_RATE,      /* over the packet/byte limit */
	SERVE_DROP_IGNORED,   /* address in the 5-minute penalty box */
	SERVE_DROP_MALFORMED, /* header check failed */
	SERVE_DROP_DIRECTION, /* a server->client type sent to us */
	SERVE_DROP_NO_SESSION,
	SERVE_DROP_STALE,      /* nonce_ts or knock time outside the window */
	SERVE_DROP_REPLAY,     /* nonce already seen */
	SERVE_DROP_AUTH,       /* AEAD open failed */
	SERVE_DROP_UNEXPECTED, /* authentic but out of place */
	SERVE_DROP_COOKIE,     /* request without its session's cookie */
	SERVE_DROP_FULL,       /* no room for another session */
	SERVE_DROP_GUARD,      /* unauthenticated budget spent: not opened */
	SERVE_DROP_UNKNOWN,    /* client_id with no key (unknown, revoked) */
	SERVE_DROP_NREASONS
};

/* Counters, summed by the caller over workers. */
struct serve_stats {
	uint64_t rx_packets, rx_bytes, tx_packets, tx_bytes;
	uint64_t knocks_ok, knocks_failed, sessions_created, sessions_evicted;
	uint64_t bans;	    /* sources put in the penalty box */
	uint64_t tx_capped; /* replies held back by max_total_mbps */
	uint64_t sessions;  /* live now */
	uint64_t streams;   /* download streams running now */
	uint64_t drop[SERVE_DROP_NREASONS];
};

/* Engine for worker `index` of `nworkers` (server nonces are kept disjoint
 * between workers); its table holds `max_sessions` (and sh->total caps
 * all workers together at max_concurrent_clients);
 * sh: the state all workers share.  NULL on out of memory or a config
 * without a key. */
struct serve *serve_new(const struct srvconf *c, unsigned index,
			unsigned nworkers, size_t max_sessions,
			const struct serve_shared *sh);
/* The limiter settings a config asks for (for ratelimit_new/set_conf). */
void serve_ratelimit_conf(const struct srvconf *c, struct ratelimit_conf *rc);
/* Wipe the key copy and free everything. */
void serve_free(struct serve *s);
/* One received datagram.  rx_real_ns: kernel RX timestamp (wall clock ns),
 * now_ns: monotonic now. */
void serve_input(struct serve *s, const uint8_t *pkt, size_t len,
		 const struct sockaddr *from, socklen_t fromlen,
		 int64_t rx_real_ns, int64_t now_ns,
		 const struct serve_out *out);
/* Send what download streams are due at now_ns; returns the monotonic time
 * it wants to be called again (INT64_MAX = no stream running). */
int64_t serve_pump(struct serve *s, int64_t now_ns,
		   const struct serve_out *out);
/* Expire idle sessions (call about once a second). */
void serve_tick(struct serve *s, int64_t now_ns);
/* Copy the counters (callable from any thread). */
void serve_stats(const struct serve *s, struct serve_stats *out);
/* Name of a drop reason, for the stats line ("rate", "auth", ...). */
const char *serve_drop_name(enum serve_drop why);
/* Rule 14: new keys (keyring_new of a reloaded configuration; ownership
 * passes) for the engine to take at its next serve_apply_keys.  Callable
 * from any thread. */
void serve_post_keys(struct serve *s, struct keyring *k);
/* In the engine's thread: take the posted keys, if any, and close the
 * sessions of clients whose key was removed or changed (logged by name).
 * Returns how many were closed, or -ENOMEM (the old keys stay, retried at
 * the next call). */
int serve_apply_keys(struct serve *s);
/* Count datagrams the socket refused (sendmmsg errors) as not sent. */
void serve_tx_failed(struct serve *s, size_t packets, size_t bytes);

#endif
