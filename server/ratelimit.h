/* SPDX-License-Identifier: MIT */
/*
 * Per-source rate limits shared by every worker (PROTOCOL.md rules 5 and
 * 11): a token bucket of packets (rate + burst), two token buckets of
 * bytes, one that upload data pays into and one that download streams pay
 * into (so a download at the cap never starves a concurrent upload), a
 * count of the source's validated sessions, and a penalty box.
 *
 * Only *authenticated* packets pay (the caller charges a packet after its
 * AEAD open and replay check): a source address is not a secret, so a
 * budget that unauthenticated packets could spend would let anyone who
 * forges a client's address spend that client's budget (measured: 50 k
 * forged packets/s cost the real client 40 % of its echoes).  The work
 * unauthenticated packets cause is bounded elsewhere, by a global budget
 * that cannot be aimed at one client (serve.c, ratecap below).
 *
 * A source is an IPv4 address or an IPv6 /64 (a host owns a /64; limiting
 * per /128 let 256 addresses of one /64 through); sessions are counted per
 * IPv4 address, IPv6 address and IPv6 /64.
 *
 * Over the limit means dropped.  The penalty box (ignore_ns, 5 minutes) is
 * reached only by *proven* abuse: the source stayed over its packet limit
 * for abuse_after_ns and every packet it was charged for during that
 * streak was proven (carried its session's cookie, or was DATA of a
 * validated session).  One unproven packet in the streak -- an authentic
 * KNOCK or request that a key holder sent from a forged source -- and the
 * streak cannot end in a ban.
 *
 * The table is bounded; an entry is forgotten only when it is at rest (its
 * buckets refilled, no sessions, not penalised): a penalised source is
 * never forgotten early.  When no entry can be freed, new sources share
 * one overflow bucket per stripe (never penalised).
 *
 * Thread-safe and lock-light: the table is split into stripes by a keyed
 * hash of the source, each with its own mutex, so workers contend only
 * when two sources share a stripe at the same instant.  Time is injected
 * (monotonic ns).
 */
#ifndef BB_RATELIMIT_H
#define BB_RATELIMIT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define RATELIMIT_IGNORE_NS (300LL * 1000000000LL)
#define RATELIMIT_ABUSE_NS  (10LL * 1000000000LL)

struct ratelimit;

struct ratelimit_conf {
	double pps;		/* packet refill per second; <= 0 unlimited */
	double burst;		/* packet bucket depth (>= 1) */
	double bytes_per_s;	/* byte refill per second; <= 0 unlimited */
	double byte_burst;	/* byte bucket depth */
	int64_t abuse_after_ns; /* over the limit this long = abuse */
	int64_t ignore_ns;	/* abuse is ignored this long */
	unsigned max_sessions_per_source; /* 0 = no cap */
	unsigned max_sessions_per_prefix; /* per IPv6 /64; 0 = no cap */
};

enum ratelimit_verdict {
	RATELIMIT_PASS = 0,
	RATELIMIT_DROP = 1,    /* over the limit: drop this packet */
	RATELIMIT_IGNORED = 2, /* source in the penalty box */
	RATELIMIT_BANNED = 3,  /* put in the penalty box by this packet */
};

/* Which byte bucket: data the address sends us, or data we stream to it. */
enum ratelimit_dir {
	RATELIMIT_UP = 0,   /* client -> server (upload DATA) */
	RATELIMIT_DOWN = 1, /* server -> client (download streams) */
};

/* A limiter remembering up to max_addrs sources; NULL on out of memory. */
struct ratelimit *ratelimit_new(const struct ratelimit_conf *c,
				size_t max_addrs);
/* Free it (NULL is fine). */
void ratelimit_free(struct ratelimit *rl);
/* New limits (SIGHUP); buckets keep their fill.  Thread-safe. */
void ratelimit_set_conf(struct ratelimit *rl, const struct ratelimit_conf *c);
/* One authenticated packet from a (port ignored) at now_ns, not a replay:
 * pay one token.  proven: it carried its session's cookie (or was DATA of
 * a validated session); only proven packets can earn the penalty box. */
enum ratelimit_verdict ratelimit_packet(struct ratelimit *rl,
					const struct sockaddr *a, int proven,
					int64_t now_ns);
/* Take n bytes from a's byte bucket for direction dir: 1 taken, 0 not
 * enough (nothing taken).  Always 1 when bytes_per_s is unlimited. */
int ratelimit_bytes(struct ratelimit *rl, const struct sockaddr *a,
		    enum ratelimit_dir dir, size_t n, int64_t now_ns);
/* 1 when a is in the penalty box at now_ns. */
int ratelimit_is_ignored(struct ratelimit *rl, const struct sockaddr *a,
			 int64_t now_ns);
/* One more validated session from a: 0, or -EUSERS when a (or its IPv6
 * /64) already has its cap.  ratelimit_session_del undoes it. */
int ratelimit_session_add(struct ratelimit *rl, const struct sockaddr *a,
			  int64_t now_ns);
void ratelimit_session_del(struct ratelimit *rl, const struct sockaddr *a);
/* Sources currently remembered. */
size_t ratelimit_count(struct ratelimit *rl);

/* A global cap on bytes sent (rate_limiting.max_total_mbps), lock-free
 * (GCRA on one atomic), shared by all workers. */
struct ratecap {
	_Atomic int64_t tat;	  /* theoretical arrival time, ns */
	_Atomic int64_t ps_per_b; /* picoseconds per byte, 0 = no cap */
	_Atomic int64_t burst_ns;
};
/* bytes_per_s <= 0: no cap.  burst: bytes that may leave at once. */
void ratecap_init(struct ratecap *c, double bytes_per_s, double burst);
/* Take n bytes at now_ns: 1 taken, 0 over the cap (nothing taken). */
int ratecap_take(struct ratecap *c, size_t n, int64_t now_ns);
/* Take n bytes whatever the cap says (work already done, to be paid for). */
void ratecap_charge(struct ratecap *c, size_t n, int64_t now_ns);

#endif
