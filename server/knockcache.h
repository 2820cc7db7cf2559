/* SPDX-License-Identifier: MIT */
/*
 * Recently accepted KNOCKs, shared by all workers: a KNOCK carries no
 * session yet, so its replay protection cannot live in a session's window
 * (a replay from another address, or one that the kernel hands to another
 * worker, would find none).  Every authenticated KNOCK claims its
 * (client_id, nonce_ts) here; a second claim within the replay window is
 * refused.  Fixed memory, one mutex (KNOCKs are rare and only authentic
 * ones get this far).
 */
#ifndef BB_KNOCKCACHE_H
#define BB_KNOCKCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "proto/wire.h"

struct knockcache;

/* A cache of `slots` entries; NULL on out of memory. */
struct knockcache *knockcache_new(size_t slots);
/* Free it (NULL is fine). */
void knockcache_free(struct knockcache *kc);
/* Claim (cid, nonce_ts): 0 if new (now recorded), -EALREADY if claimed
 * before.  Thread-safe. */
int knockcache_claim(struct knockcache *kc,
		     const uint8_t cid[static WIRE_CLIENT_ID_LEN],
		     uint64_t nonce_ts);

#endif
