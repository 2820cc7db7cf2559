/* SPDX-License-Identifier: MIT */
/*
 * Single-producer single-consumer ring of fixed-size items (ARCHITECTURE.md
 * "Rings").  C11 acquire/release atomics, no locks, no allocation after
 * ring_new.  A push onto a full ring fails and is counted: a probe never
 * blocks on a slow consumer, and the loss is visible (ring_dropped).
 * Exactly one thread may push and exactly one thread may pop.
 */
#ifndef BB_RING_H
#define BB_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ring;

/* Ring of `capacity` items (rounded up to a power of two) of item_size bytes;
 * NULL on allocation failure. */
struct ring *ring_new(size_t capacity, size_t item_size);
/* Free the ring; no thread may use it afterwards. */
void ring_free(struct ring *r);
/* Producer: copy *item in; false (and one more drop counted) when full. */
bool ring_push(struct ring *r, const void *item);
/* Consumer: copy the oldest item out; false when empty. */
bool ring_pop(struct ring *r, void *item);
/* Items currently queued (approximate while the other side runs). */
size_t ring_count(const struct ring *r);
/* Pushes refused because the ring was full, since creation. */
uint64_t ring_dropped(const struct ring *r);
/* Capacity in items. */
size_t ring_capacity(const struct ring *r);

#endif
