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
#include "proto/replay.h"

#include <errno.h>
#include <string.h>

#define MASK (REPLAY_SLOTS - 1)

_Static_assert((REPLAY_SLOTS & MASK) == 0, "REPLAY_SLOTS: power of two");
_Static_assert(REPLAY_SLOTS > 64, "must tolerate 64 reordered packets");

static uint64_t at(const struct replay_window *w, uint32_t i)
{
	return w->slot[(w->head + i) & MASK];
}

/* Number of remembered values below ts (insertion point). */
static uint32_t lower_bound(const struct replay_window *w, uint64_t ts)
{
	uint32_t lo = 0, hi = w->count;

	/* Fast path: in-order arrival. */
	if (hi == 0 || at(w, hi - 1) < ts)
		return hi;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (at(w, mid) < ts)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* -ERANGE, -EALREADY or 0, without the clock test. */
static int lookup(const struct replay_window *w, uint64_t ts, uint32_t *pos)
{
	uint32_t p = lower_bound(w, ts);

	if (p < w->count && at(w, p) == ts)
		return -EALREADY;
	if (w->count == REPLAY_SLOTS && p == 0)
		return -ERANGE;
	*pos = p;
	return 0;
}

void replay_init(struct replay_window *w)
{
	memset(w, 0, sizeof(*w));
}

int replay_check(const struct replay_window *w, uint64_t nonce_ts,
		 uint64_t now_ns)
{
	uint32_t pos;

	if (nonce_ts > now_ns && nonce_ts - now_ns > REPLAY_CLOCK_NS)
		return -ESTALE;
	if (nonce_ts < now_ns && now_ns - nonce_ts > REPLAY_CLOCK_NS)
		return -ESTALE;
	return lookup(w, nonce_ts, &pos);
}

int replay_commit(struct replay_window *w, uint64_t nonce_ts)
{
	uint32_t pos, i;
	int rc = lookup(w, nonce_ts, &pos);

	if (rc < 0)
		return rc;
	if (w->count == REPLAY_SLOTS) { /* forget the smallest */
		w->head = (w->head + 1) & MASK;
		w->count--;
		pos--;
	}
	for (i = w->count; i > pos; i--)
		w->slot[(w->head + i) & MASK] = at(w, i - 1);
	w->slot[(w->head + pos) & MASK] = nonce_ts;
	w->count++;
	return 0;
}
