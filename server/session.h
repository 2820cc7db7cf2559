/* SPDX-License-Identifier: MIT */
/*
 * The server's session table (PROTOCOL.md hardening rule 4): a session is
 * created by a valid KNOCK only, keyed by (source IP address, client_id) --
 * the port is not part of the key but the latest one seen is kept for
 * replies -- lives for a timeout refreshed by traffic, and the table holds
 * at most `cap` sessions, evicting the one idle longest when a new one needs
 * room.  Time is injected (monotonic ns), so the table is pure and
 * single-threaded: one table per worker.  Each session carries `priv_size`
 * bytes of caller state (zeroed at creation).
 */
#ifndef BB_SESSION_H
#define BB_SESSION_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "proto/replay.h"
#include "proto/wire.h"

struct session_table;

/* Plain data; the table owns the memory, pointers stay valid until the
 * session is removed (the on_remove callback is the last chance to use it). */
struct session {
	struct sockaddr_storage addr; /* latest source address and port */
	socklen_t addrlen;
	uint8_t client_id[WIRE_CLIENT_ID_LEN];
	uint32_t id;	    /* random, sent in KNOCK_ACK */
	int64_t created_ns; /* monotonic */
	int64_t last_ns;    /* monotonic, last packet that refreshed it */
	struct replay_window replay;
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

/* A table for cap sessions (>= 1) timing out after timeout_ns idle; NULL on
 * out of memory.  on_remove may be NULL. */
struct session_table *session_table_new(size_t cap, int64_t timeout_ns,
					size_t priv_size,
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
/* Create a session (evicting the oldest idle one when full), fresh replay
 * window, last_ns = created_ns = now_ns.  The caller must have checked that
 * session_find returned NULL.  Never fails once the table exists. */
struct session *session_create(struct session_table *t,
			       const struct sockaddr *a, socklen_t alen,
			       const uint8_t cid[static WIRE_CLIENT_ID_LEN],
			       int64_t now_ns);
/* Traffic from the session: refresh last_ns and remember the source port. */
void session_touch(struct session_table *t, struct session *s,
		   const struct sockaddr *a, socklen_t alen, int64_t now_ns);
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
