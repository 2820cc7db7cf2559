/* SPDX-License-Identifier: MIT */
/*
 * Per-source-address rate limits (PROTOCOL.md hardening rule 5): a token
 * bucket of packets (rate + burst) that every datagram pays into before any
 * cryptography, two token buckets of bytes of the same size, one that
 * upload data pays into and one that download streams pay into (so a
 * download at the cap never starves a concurrent upload), and a penalty box: an
 * address that stays over its packet limit for abuse_after_ns without a break
 * of a second is ignored for ignore_ns (5 minutes by default).  The address
 * table is bounded (least recently seen address forgotten first).  Time is
 * injected (monotonic ns); one limiter per worker, not thread-safe.
 */
#ifndef BB_RATELIMIT_H
#define BB_RATELIMIT_H

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
};

enum ratelimit_verdict {
	RATELIMIT_PASS = 0,
	RATELIMIT_DROP = 1,    /* over the limit: drop this packet */
	RATELIMIT_IGNORED = 2, /* address in the penalty box */
};

/* Which byte bucket: data the address sends us, or data we stream to it. */
enum ratelimit_dir {
	RATELIMIT_UP = 0,   /* client -> server (upload DATA) */
	RATELIMIT_DOWN = 1, /* server -> client (download streams) */
};

/* A limiter remembering up to max_addrs addresses; NULL on out of memory. */
struct ratelimit *ratelimit_new(const struct ratelimit_conf *c,
				size_t max_addrs);
/* Free it (NULL is fine). */
void ratelimit_free(struct ratelimit *rl);
/* One datagram from address a (port ignored) at now_ns: pay one token. */
enum ratelimit_verdict ratelimit_packet(struct ratelimit *rl,
					const struct sockaddr *a,
					int64_t now_ns);
/* Take n bytes from a's byte bucket for direction dir: 1 taken, 0 not
 * enough (nothing taken).  Always 1 when bytes_per_s is unlimited. */
int ratelimit_bytes(struct ratelimit *rl, const struct sockaddr *a,
		    enum ratelimit_dir dir, size_t n, int64_t now_ns);
/* 1 when a is in the penalty box at now_ns. */
int ratelimit_is_ignored(struct ratelimit *rl, const struct sockaddr *a,
			 int64_t now_ns);
/* Addresses currently remembered. */
size_t ratelimit_count(const struct ratelimit *rl);

#endif
