/* SPDX-License-Identifier: MIT */
/*
 * Anti-replay window for one sender under one key (PROTOCOL.md hardening
 * rule 2).  A fixed-size plain struct: no allocation, bounded memory
 * (REPLAY_SLOTS nonces, about 1 KiB), safe to embed in a session table.
 *
 * Use it in two steps around the AEAD, so forged packets cannot move it:
 *   antireplay_check(w, nonce_ts, now)   before wire_open (cheap, read-only)
 *   antireplay_commit(w, nonce_ts)       only after wire_open succeeded
 */
#ifndef BB_REPLAY_H
#define BB_REPLAY_H

#include <stdint.h>

#define REPLAY_SLOTS	128 /* power of two; tolerates 127 reordered */
#define REPLAY_CLOCK_NS 60000000000ULL /* +-60 s around our clock */

/* The REPLAY_SLOTS largest nonce_ts accepted so far, sorted ascending in a
 * circular array: element i lives at slot[(head + i) % REPLAY_SLOTS]. */
struct antireplay_window {
	uint64_t slot[REPLAY_SLOTS];
	uint32_t head;
	uint32_t count;
};

/* Empty window (everything within the clock window is new). */
void antireplay_init(struct antireplay_window *w);
/* Would nonce_ts be fresh now?  now_ns is our wall clock (ns since the
 * epoch).  0 accept, -ESTALE more than 60 s from now_ns, -ERANGE older than
 * everything the window still remembers, -EALREADY seen before.  Read-only. */
int antireplay_check(const struct antireplay_window *w, uint64_t nonce_ts,
		     uint64_t now_ns);
/* Record nonce_ts as accepted (after authentication).  0, or -EALREADY /
 * -ERANGE if it could not be accepted (the window is then unchanged). */
int antireplay_commit(struct antireplay_window *w, uint64_t nonce_ts);

/*
 * A wide window, for one client_id across all its sessions (rule 10): one
 * client's interfaces draw nonce_ts from one sequence but reach us by
 * different paths, so the packets of one interface can arrive behind
 * hundreds or thousands sealed later for another (a slow path 200 ms
 * behind a 10 000 packet/s upload is 2 000 packets).  It grows from
 * REPLAY_SLOTS to REPLAY_WIDE_MAX nonces, but only while the nonce it would
 * forget is still inside the +-60 s clock window, so a slow client keeps
 * 1 KiB.  Nothing below `floor` (set at creation) is accepted: the window
 * cannot know what was accepted before it existed.  Not thread-safe (the
 * caller locks).
 */
#define REPLAY_WIDE_MAX 8192 /* nonces: 64 KiB */

struct antireplay_wide {
	uint64_t *slot; /* cap nonces, circular like antireplay_window */
	uint32_t cap, head, count;
	uint64_t floor;
};

/* An empty window refusing anything below floor: 0 or -ENOMEM. */
int antireplay_wide_init(struct antireplay_wide *w, uint64_t floor);
void antireplay_wide_free(struct antireplay_wide *w);
/* Like antireplay_check, plus -ERANGE below the floor.  Read-only. */
int antireplay_wide_check(const struct antireplay_wide *w, uint64_t nonce_ts,
			  uint64_t now_ns);
/* Like antireplay_commit; now_ns (wall clock) decides whether to grow. */
int antireplay_wide_commit(struct antireplay_wide *w, uint64_t nonce_ts,
			   uint64_t now_ns);

#endif
