/* SPDX-License-Identifier: MIT */
/*
 * Recently accepted KNOCKs, shared by all workers: a KNOCK carries no
 * session yet, so its replay protection cannot live in a session's window
 * (a replay from another address, or one that the kernel hands to another
 * worker, would find none).  Every authenticated KNOCK claims its
 * (client_id, nonce_ts) here; a second claim is refused for as long as the
 * nonce is inside the replay window.  PROTOCOL.md rule 9: a claim is never
 * forgotten while its nonce_ts could still pass the +-60 s clock check --
 * when the cache is full, new knocks are refused instead -- and a nonce_ts
 * older than the server's start (knocks it cannot remember) is refused.
 * Fixed memory, one mutex (only authentic KNOCKs get this far).
 */
#ifndef BB_KNOCKCACHE_H
#define BB_KNOCKCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "proto/wire.h"

struct knockcache;

/* A cache of at least `slots` entries (rounded up to a power of two) for a
 * server that started at start_real_ns (wall clock); NULL on out of
 * memory. */
struct knockcache *knockcache_new(size_t slots, uint64_t start_real_ns);
/* Free it (NULL is fine). */
void knockcache_free(struct knockcache *kc);
/* Claim (cid, nonce_ts) at wall-clock now_real_ns: 0 if new (now
 * recorded), -EALREADY if claimed before, -ESTALE if nonce_ts is older
 * than the server's start, -ENOSPC if no slot can be freed (every
 * candidate still inside the window).  Thread-safe. */
int knockcache_claim(struct knockcache *kc,
		     const uint8_t cid[static WIRE_CLIENT_ID_LEN],
		     uint64_t nonce_ts, uint64_t now_real_ns);
/* Claims still inside the window (for tests and statistics). */
size_t knockcache_live(struct knockcache *kc, uint64_t now_real_ns);

#endif
