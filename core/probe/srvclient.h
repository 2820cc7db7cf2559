/* SPDX-License-Identifier: MIT */
/*
 * The client side of a companion-server session (PROTOCOL.md "Flows"): the
 * KNOCK handshake with retry and exponential backoff, refresh before the
 * session expires, re-knock when an established session stops answering
 * (server restart, NAT rebinding), and an "unreachable" verdict after a few
 * unanswered knocks.  Seals outgoing messages with this client's even
 * nonces and opens replies in the order the protocol requires:
 *   wire_peek -> wire_check_dir(S2C, strict) -> antireplay_check -> wire_open
 *   -> antireplay_commit.
 * No I/O and no clock reads: time is passed in (monotonic for schedules,
 * wall clock for nonces), so the state machine is unit-tested directly.
 * One handle per (server, socket); owns a copy of the key, wiped on free.
 * All handles of the process draw nonce_ts from one shared, strictly
 * increasing sequence (PROTOCOL.md rule 13), so handles on several worker
 * threads may seal concurrently under the same key and client_id.
 */
#ifndef BB_SRVCLIENT_H
#define BB_SRVCLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "proto/wire.h"

struct srvclient;
struct bb_config;
struct probe_target;

enum srvclient_state {
	SRVCLIENT_KNOCKING,    /* no session yet, knocks going out */
	SRVCLIENT_UP,	       /* session acknowledged and answering */
	SRVCLIENT_UNREACHABLE, /* SRVCLIENT_UNREACH_AFTER knocks unanswered */
};

#define SRVCLIENT_KNOCK_MIN_NS	250000000LL  /* first retry after 250 ms */
#define SRVCLIENT_KNOCK_MAX_NS	8000000000LL /* backoff ceiling */
#define SRVCLIENT_DEAD_NS	2000000000LL /* silence that means re-knock */
#define SRVCLIENT_UNREACH_AFTER 3	     /* unanswered knocks */

/* A session for key and client id (both copied); NULL on out of memory. */
struct srvclient *srvclient_new(const uint8_t key[static WIRE_KEY_LEN],
				const uint8_t cid[static WIRE_CLIENT_ID_LEN]);
/* Wipe the key and free. */
void srvclient_free(struct srvclient *sc);
/* Current state. */
enum srvclient_state srvclient_state(const struct srvclient *sc);
/* Knocks sent since the last answer (0 while the session is up). */
unsigned srvclient_unanswered(const struct srvclient *sc);
/* Sessions established so far (1 after the first ACK, +1 per re-knock). */
unsigned srvclient_sessions(const struct srvclient *sc);
/* Drive the state machine at now: when a KNOCK (or a refresh) is due, it is
 * sealed into buf and its length returned; 0 when nothing is due; -errno.
 * Call again no later than srvclient_next_ns(). */
int srvclient_tick(struct srvclient *sc, int64_t now_mono, int64_t now_real,
		   uint8_t *buf, size_t cap);
/* Monotonic time of the next thing srvclient_tick has to do. */
int64_t srvclient_next_ns(const struct srvclient *sc);
/* A request that expects an answer went out at now_mono (liveness). */
void srvclient_note_request(struct srvclient *sc, int64_t now_mono);
/* Seal m with a fresh even nonce and pad_len random bytes (0 for DATA);
 * a request that carries a cookie gets the session's (from the last
 * KNOCK_ACK) unless m has one already.  Datagram length or -errno. */
int srvclient_seal(struct srvclient *sc, const struct wire_msg *m,
		   int64_t now_real, size_t pad_len, uint8_t *buf, size_t cap);
/* The cookie of the current session: 0, or -ENOENT before an ACK with one. */
int srvclient_cookie(const struct srvclient *sc,
		     uint8_t out[static WIRE_COOKIE_LEN]);
/* Open one received datagram.  1: a KNOCK_ACK, consumed here (session up);
 * 0: an authentic message for the caller in m (DATA payloads point into
 * the handle's scratch until the next call); -errno: dropped. */
int srvclient_open(struct srvclient *sc, const uint8_t *pkt, size_t len,
		   int64_t now_mono, int64_t now_real, struct wire_msg *m);
/* Fill t (kind, name, address with port, srv.key/client_id, test
 * schedules) for cfg's servers[index] on interface ifname; the secret comes
 * from shared_secret or shared_secret_file (0600 enforced).  0; 1 when
 * all is filled but the host name does not resolve yet (the reason in
 * err: resolve it later); or -errno with a reason in err.  Wipe
 * t->srv.key when done with t. */
int srvclient_target(const struct bb_config *cfg, int index, const char *ifname,
		     struct probe_target *t, char *err, size_t errlen);
/* Every configured server's secret can be read (a missing, unreadable or
 * group/world-readable shared_secret_file is a configuration error, as in
 * the server): 0, or -EINVAL with "file:line: servers[i].key: why". */
int srvclient_check_secrets(const struct bb_config *cfg, char *err,
			    size_t errlen);

#endif
