/* SPDX-License-Identifier: MIT */
/*
 * The event list the TUI shows: copies of struct bb_event, newest start
 * first, one entry per episode.  An event arrives several times (start,
 * updates, end); an entry is found again by (start_ms, kind, interface,
 * target, server), which is how the storage side names a row too
 * (core/analysis/event.h).  When full, the oldest ended entry makes room.
 */
#ifndef BB_EVLOG_H
#define BB_EVLOG_H

#include <stddef.h>
#include <stdint.h>

#include "core/analysis/event.h"

struct evlog;

/* A list holding at most cap events; NULL when out of memory. */
struct evlog *evlog_new(size_t cap);
/* Free (NULL is fine). */
void evlog_free(struct evlog *l);
/* Insert a new event or replace the entry of the same episode. */
void evlog_put(struct evlog *l, const struct bb_event *ev);
/* Forget every entry. */
void evlog_clear(struct evlog *l);
/* Number of entries. */
size_t evlog_count(const struct evlog *l);
/* Entry i, 0 = newest start; NULL when out of range. */
const struct bb_event *evlog_at(const struct evlog *l, size_t i);
/* Entries still open (end_ms == 0). */
size_t evlog_open_count(const struct evlog *l);

#endif
