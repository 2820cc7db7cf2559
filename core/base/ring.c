// SPDX-License-Identifier: MIT
/*
 * Single-producer single-consumer ring (see ring.h).
 *
 * head and tail are free-running counters (they wrap at SIZE_MAX, which the
 * unsigned subtraction head - tail tolerates); a slot index is counter & mask.
 * Invariants: 0 <= head - tail <= capacity; only the producer stores head and
 * dropped, only the consumer stores tail.  The producer publishes a slot with
 * a release store of head after copying the item in, and the consumer reads
 * head with acquire before copying it out (and symmetrically for tail), so a
 * slot is never read while written.  Each side keeps a cached copy of the
 * other side's counter on its own cache line and re-reads the shared counter
 * only when the cache says full (producer) or empty (consumer): in steady
 * state the two cores do not bounce one line back and forth.
 */
#include "core/base/ring.h"

#include <errno.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define RING_CACHE_LINE 64

struct ring {
	/* Producer's line: its counter, its view of tail, its drop count. */
	alignas(RING_CACHE_LINE) _Atomic size_t head;
	size_t tail_cache;
	_Atomic uint64_t dropped;

	/* Consumer's line. */
	alignas(RING_CACHE_LINE) _Atomic size_t tail;
	size_t head_cache;

	/* Read-only after ring_new: shared by both sides without traffic. */
	alignas(RING_CACHE_LINE) size_t capacity;
	size_t mask;
	size_t item_size;
	unsigned char *slots;
};

static size_t round_pow2(size_t n)
{
	size_t p = 1;

	while (p < n)
		p <<= 1;
	return p;
}

struct ring *ring_new(size_t capacity, size_t item_size)
{
	struct ring *r;
	size_t cap;

	if (capacity == 0 || item_size == 0 || capacity > (SIZE_MAX >> 2)) {
		errno = EINVAL;
		return NULL;
	}
	cap = round_pow2(capacity);
	if (cap > SIZE_MAX / item_size) {
		errno = EINVAL;
		return NULL;
	}
	/* aligned_alloc wants a size that is a multiple of the alignment;
	 * sizeof(struct ring) is, because its members are so aligned. */
	r = aligned_alloc(alignof(struct ring), sizeof(*r));
	if (!r)
		return NULL;
	memset(r, 0, sizeof(*r));
	r->slots = malloc(cap * item_size);
	if (!r->slots) {
		free(r);
		return NULL;
	}
	/* Fault every slot in now, off the hot path: the ring's memory is
	 * resident from the start instead of growing with the first lap, so
	 * RSS stays flat (tests/lib/soak.sh).  explicit_bzero, because a
	 * memset of fresh memory may be folded into a lazy calloc. */
	explicit_bzero(r->slots, cap * item_size);
	atomic_init(&r->head, 0);
	atomic_init(&r->tail, 0);
	atomic_init(&r->dropped, 0);
	r->capacity = cap;
	r->mask = cap - 1;
	r->item_size = item_size;
	return r;
}

void ring_free(struct ring *r)
{
	if (!r)
		return;
	free(r->slots);
	free(r);
}

bool ring_push(struct ring *r, const void *item)
{
	size_t head = atomic_load_explicit(&r->head, memory_order_relaxed);

	if (head - r->tail_cache >= r->capacity) {
		r->tail_cache =
			atomic_load_explicit(&r->tail, memory_order_acquire);
		if (head - r->tail_cache >= r->capacity) {
			atomic_fetch_add_explicit(&r->dropped, 1,
						  memory_order_relaxed);
			return false;
		}
	}
	memcpy(r->slots + (head & r->mask) * r->item_size, item, r->item_size);
	atomic_store_explicit(&r->head, head + 1, memory_order_release);
	return true;
}

bool ring_pop(struct ring *r, void *item)
{
	size_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);

	if (tail == r->head_cache) {
		r->head_cache =
			atomic_load_explicit(&r->head, memory_order_acquire);
		if (tail == r->head_cache)
			return false;
	}
	memcpy(item, r->slots + (tail & r->mask) * r->item_size, r->item_size);
	atomic_store_explicit(&r->tail, tail + 1, memory_order_release);
	return true;
}

size_t ring_count(const struct ring *r)
{
	/* tail first: head only grows, so the later head read is >= the
	 * head that was current when tail was read, and head - tail >= 0. */
	size_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
	size_t head = atomic_load_explicit(&r->head, memory_order_acquire);
	size_t n = head - tail;

	return n > r->capacity ? r->capacity : n;
}

uint64_t ring_dropped(const struct ring *r)
{
	return atomic_load_explicit(&r->dropped, memory_order_relaxed);
}

size_t ring_capacity(const struct ring *r)
{
	return r->capacity;
}
