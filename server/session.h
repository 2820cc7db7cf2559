/* SPDX-License-Identifier: MIT */
/*
 * The server's session table (PROTOCOL.md hardening rules 4, 8, 11): a
 * session is created by a valid KNOCK only, keyed by (source IP address,
 * client_id) -- the port is not part of the key but the latest one seen is
 * kept for replies -- and holds a random id and a random 16-byte cookie.
 * It starts *pending* and becomes *validated* once a packet from its
 * address carries the cookie (return routability).  A pending session lives
 * pending_ns, a validated one timeout_ns, both refreshed by traffic.  The
 * table holds at most `cap` sessions; a new one may evict the pending
 * session idle longest, never a validated one (those only expire): when
 * every slot is validated, session_add refuses.  Time is injected (monotonic
 * ns), so the table is pure and single-threaded: one table per worker.  Each
 * session carries `priv_size` bytes of caller state (zeroed at creation).
 */
#ifndef BB_SESSION_H
#define BB_SESSION_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "proto/antireplay.h"
#include "proto/wire.h"

struct session_table;

/* Plain data; the table owns the memory, pointers stay valid until the
 * session is removed (the on_remove callback is the last chance to use it). */
struct session {
	struct sockaddr_storage addr; /* latest source address and port */
	socklen_t addrlen;
	uint8_t client_id[WIRE_CLIENT_ID_LEN];
	uint32_t id;			 /* random, sent in KNOCK_ACK */
	uint8_t cookie[WIRE_COOKIE_LEN]; /* random, sent in KNOCK_ACK */
	int validated;			 /* a packet carried the cookie */
	int64_t created_ns;		 /* monotonic */
	int64_t last_ns; /* monotonic, last packet that refreshed it */
	struct antireplay_window replay;
};

/* Why a session went away (for the on_remove callback and statistics). */
enum session_end {
	SESSION_EXPIRED = 0,
	SESSION_EVICTED = 1,
	SESSION_CLOSED = 2, /* table freed */
};

/* Called just before a session's memory is reused or freed. */
typedef void (*session_remove_fn)(struct session *s, enum session_end why,
				  void *ctx);

/* A table for cap sessions (>= 1): validated ones time out after
 * timeout_ns idle, pending ones after pending_ns; NULL on out of memory.
 * on_remove may be NULL. */
struct session_table *session_table_new(size_t cap, int64_t timeout_ns,
					int64_t pending_ns, size_t priv_size,
					session_remove_fn on_remove, void *ctx);
/* Remove every session (on_remove with SESSION_CLOSED) and free. */
void session_table_free(struct session_table *t);
/* The session of (address without port, client_id), or NULL. */
struct session *session_find(struct session_table *t, const struct sockaddr *a,
			     const uint8_t cid[static WIRE_CLIENT_ID_LEN]);
/* Sessions of client_id from any address, one after another: pass NULL
 * first, then the previous result; for cross-address knock replay checks. */
struct session *session_find_cid(struct session_table *t,
				 const uint8_t cid[static WIRE_CLIENT_ID_LEN],
				 struct session *after);
/* Create a pending session (evicting the pending one idle longest when
 * full), random id and cookie, fresh replay window, last_ns = created_ns =
 * now_ns.  The caller must have checked that session_find returned NULL.
 * NULL when the table is full of validated sessions. */
struct session *session_add(struct session_table *t, const struct sockaddr *a,
			    socklen_t alen,
			    const uint8_t cid[static WIRE_CLIENT_ID_LEN],
			    int64_t now_ns);
/* Traffic from the session: refresh last_ns and, when a is not NULL,
 * remember its source port (only for packets that proved the address). */
void session_touch(struct session_table *t, struct session *s,
		   const struct sockaddr *a, socklen_t alen, int64_t now_ns);
/* The cookie came back from the session's address: validated from now. */
void session_validate(struct session_table *t, struct session *s,
		      int64_t now_ns);
/* Evict the pending session idle longest (to make room in a cap shared
 * with other tables): 1 done, 0 none pending. */
int session_evict_pending(struct session_table *t);
/* Remove one session now (revoked client); on_remove gets SESSION_CLOSED. */
void session_remove(struct session_table *t, struct session *s);
/* Call fn on every session (fn must not create or remove sessions). */
void session_each(struct session_table *t,
		  void (*fn)(struct session *s, void *ctx), void *ctx);
/* Remove sessions idle for longer than the timeout; returns how many. */
size_t session_expire(struct session_table *t, int64_t now_ns);
/* Monotonic time the session will expire unless touched. */
int64_t session_deadline(const struct session_table *t,
			 const struct session *s);
/* Number of live sessions. */
size_t session_count(const struct session_table *t);
/* The caller's priv_size bytes of a session. */
void *session_priv(struct session *s);
/* The session a priv pointer belongs to (inverse of session_priv). */
struct session *session_of_priv(void *priv);

#endif
