/* SPDX-License-Identifier: MIT */
/*
 * Anti-replay window.  The idea is RFC 6479's (and RFC 4303 §3.4.3's): keep
 * a window that trails the highest counter accepted, accept each value
 * inside it once, and refuse anything older than the window.  Our counter
 * is a nanosecond timestamp, not a dense sequence number, so a bitmap
 * indexed by counter would be useless; the window instead holds the
 * REPLAY_SLOTS largest nonce_ts values accepted, kept sorted.
 *
 * Invariants: slot values are strictly increasing from head; when the window
 * is full, anything below its smallest value is refused (-ERANGE) because it
 * may have been accepted and forgotten.  Since a sender's nonce_ts only
 * grows, a packet overtaken by k < REPLAY_SLOTS later packets is still above
 * the smallest remembered value and is accepted once.  In-order arrival,
 * the common case, is O(1); a duplicate test is a binary search; a late
 * insertion moves at most REPLAY_SLOTS values.  A new window remembers
 * nothing, so the +-60 s clock check is the only guard right after a
 * restart; sessions (created by KNOCK) bound the damage.
 */
#include "proto/antireplay.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define MASK (REPLAY_SLOTS - 1)

_Static_assert((REPLAY_SLOTS & MASK) == 0, "REPLAY_SLOTS: power of two");
_Static_assert(REPLAY_SLOTS > 64, "must tolerate 64 reordered packets");
_Static_assert((REPLAY_WIDE_MAX & (REPLAY_WIDE_MAX - 1)) == 0,
	       "REPLAY_WIDE_MAX: power of two");

/* The sorted circular array both windows share the code for. */
struct ring {
	uint64_t *slot;
	uint32_t mask, head, count, cap;
};

static uint64_t at(const struct ring *r, uint32_t i)
{
	return r->slot[(r->head + i) & r->mask];
}

/* Number of remembered values below ts (insertion point). */
static uint32_t lower_bound(const struct ring *r, uint64_t ts)
{
	uint32_t lo = 0, hi = r->count;

	/* Fast path: in-order arrival. */
	if (hi == 0 || at(r, hi - 1) < ts)
		return hi;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (at(r, mid) < ts)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* -ERANGE, -EALREADY or 0, without the clock test. */
static int lookup(const struct ring *r, uint64_t ts, uint32_t *pos)
{
	uint32_t p = lower_bound(r, ts);

	if (p < r->count && at(r, p) == ts)
		return -EALREADY;
	if (r->count == r->cap && p == 0)
		return -ERANGE;
	*pos = p;
	return 0;
}

static int clock_ok(uint64_t nonce_ts, uint64_t now_ns)
{
	if (nonce_ts > now_ns && nonce_ts - now_ns > REPLAY_CLOCK_NS)
		return 0;
	if (nonce_ts < now_ns && now_ns - nonce_ts > REPLAY_CLOCK_NS)
		return 0;
	return 1;
}

/* Insert at pos (from lookup); a full ring forgets its smallest value. */
static void insert(struct ring *r, uint32_t pos, uint64_t ts)
{
	uint32_t i;

	if (r->count == r->cap) {
		r->head = (r->head + 1) & r->mask;
		r->count--;
		pos--;
	}
	for (i = r->count; i > pos; i--)
		r->slot[(r->head + i) & r->mask] = at(r, i - 1);
	r->slot[(r->head + pos) & r->mask] = ts;
	r->count++;
}

static struct ring ring_of(const struct antireplay_window *w)
{
	return (struct ring){ (uint64_t *)w->slot, MASK, w->head, w->count,
			      REPLAY_SLOTS };
}

void antireplay_init(struct antireplay_window *w)
{
	memset(w, 0, sizeof(*w));
}

int antireplay_check(const struct antireplay_window *w, uint64_t nonce_ts,
		     uint64_t now_ns)
{
	uint32_t pos;
	struct ring r = ring_of(w);

	if (!clock_ok(nonce_ts, now_ns))
		return -ESTALE;
	return lookup(&r, nonce_ts, &pos);
}

int antireplay_commit(struct antireplay_window *w, uint64_t nonce_ts)
{
	uint32_t pos;
	struct ring r = ring_of(w);
	int rc = lookup(&r, nonce_ts, &pos);

	if (rc < 0)
		return rc;
	insert(&r, pos, nonce_ts);
	w->head = r.head;
	w->count = r.count;
	return 0;
}

/* ---- wide window ---------------------------------------------------------
 *
 * Same invariant, plus a floor: nothing below it was ever seen by this
 * window, so nothing below it may be accepted (the window may be new while
 * packets sealed before it existed are still inside the clock window).
 * It starts at REPLAY_SLOTS and doubles, up to REPLAY_WIDE_MAX, whenever it
 * is full and the value it would forget is still inside the clock window:
 * a slow client costs 1 KiB, a fast one at most REPLAY_WIDE_MAX * 8 bytes.
 */

static struct ring ring_wide(const struct antireplay_wide *w)
{
	return (struct ring){ w->slot, w->cap - 1, w->head, w->count, w->cap };
}

int antireplay_wide_init(struct antireplay_wide *w, uint64_t floor)
{
	memset(w, 0, sizeof(*w));
	w->slot = calloc(REPLAY_SLOTS, sizeof(*w->slot));
	if (!w->slot)
		return -ENOMEM;
	w->cap = REPLAY_SLOTS;
	w->floor = floor;
	return 0;
}

void antireplay_wide_free(struct antireplay_wide *w)
{
	free(w->slot);
	memset(w, 0, sizeof(*w));
}

int antireplay_wide_check(const struct antireplay_wide *w, uint64_t nonce_ts,
			  uint64_t now_ns)
{
	uint32_t pos;
	struct ring r = ring_wide(w);

	if (!clock_ok(nonce_ts, now_ns))
		return -ESTALE;
	if (nonce_ts < w->floor)
		return -ERANGE;
	return lookup(&r, nonce_ts, &pos);
}

/* Double the ring (unrolled so that head is 0); -ENOMEM leaves it. */
static int grow(struct antireplay_wide *w)
{
	uint64_t *n = malloc((size_t)w->cap * 2 * sizeof(*n));
	struct ring r = ring_wide(w);

	if (!n)
		return -ENOMEM;
	for (uint32_t i = 0; i < w->count; i++)
		n[i] = at(&r, i);
	free(w->slot);
	w->slot = n;
	w->head = 0;
	w->cap *= 2;
	return 0;
}

int antireplay_wide_commit(struct antireplay_wide *w, uint64_t nonce_ts,
			   uint64_t now_ns)
{
	uint32_t pos;
	struct ring r = ring_wide(w);
	int rc;

	if (nonce_ts < w->floor)
		return -ERANGE;
	rc = lookup(&r, nonce_ts, &pos);
	if (rc < 0)
		return rc;
	if (w->count == w->cap && w->cap < REPLAY_WIDE_MAX &&
	    clock_ok(at(&r, 0), now_ns) && grow(w) == 0)
		r = ring_wide(w);
	insert(&r, pos, nonce_ts);
	w->head = r.head;
	w->count = r.count;
	return 0;
}
