/* SPDX-License-Identifier: MIT */
/*
 * One anti-replay window per client_id, shared by every worker
 * (PROTOCOL.md rule 10): "already accepted" holds across every address,
 * session and worker of the server, so a packet captured in one session
 * of a client is refused in any other (a second interface, a new port, a
 * session the kernel hands to another worker).
 *
 * A session holds its client's window from its KNOCK until it is removed
 * (cidwin_open / cidwin_close, counted); the window is freed with its last
 * session, so memory follows the session cap.  A window created for a
 * KNOCK refuses anything sealed before that KNOCK (its floor): the client
 * sealed nothing for this server since, except for sessions that would
 * still hold the window.  The window is wide (proto/antireplay.h,
 * REPLAY_WIDE_MAX) because one client's interfaces share one nonce
 * sequence but not one path.
 *
 * Thread-safe and lock-light: a hash table of client ids in stripes (a
 * mutex each, taken only to open, close or look up by id), and a mutex per
 * window taken by cidwin_commit through the session's handle, so two
 * clients never wait for each other.
 */
#ifndef BB_CIDWIN_H
#define BB_CIDWIN_H

#include <stddef.h>
#include <stdint.h>

#include "proto/wire.h"

struct cidwin;	   /* the table */
struct cidwin_ent; /* one client's window: a session's handle */

/* A table sized for about max_clients ids; NULL on out of memory. */
struct cidwin *cidwin_new(size_t max_clients);
/* Free it and every window (NULL is fine). */
void cidwin_free(struct cidwin *t);
/* Read-only: would nonce_ts of cid be fresh at wall clock now_ns?  0, or
 * what antireplay_wide_check says (0 as well when cid has no window). */
int cidwin_check(struct cidwin *t, const uint8_t cid[static WIRE_CLIENT_ID_LEN],
		 uint64_t nonce_ts, uint64_t now_ns);
/* A KNOCK of cid with nonce_ts was authenticated: hold cid's window
 * (created with its floor at nonce_ts when cid has none) and accept the
 * nonce in it.  The handle, or NULL with *err -EALREADY / -ERANGE /
 * -ESTALE (replayed or too old for the window) or -ENOMEM. */
struct cidwin_ent *cidwin_open(struct cidwin *t,
			       const uint8_t cid[static WIRE_CLIENT_ID_LEN],
			       uint64_t nonce_ts, uint64_t now_ns, int *err);
/* Accept nonce_ts in the held window: 0, -EALREADY, -ERANGE or -ESTALE. */
int cidwin_commit(struct cidwin_ent *e, uint64_t nonce_ts, uint64_t now_ns);
/* Let go of a handle from cidwin_open (the last one frees the window). */
void cidwin_close(struct cidwin *t, struct cidwin_ent *e);
/* Windows alive (for tests). */
size_t cidwin_count(struct cidwin *t);

#endif
