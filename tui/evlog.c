// SPDX-License-Identifier: MIT
/*
 * The TUI's event list (see evlog.h): a sorted array, newest start first.
 * Lists are short (hundreds), so insertion is a memmove.
 */
#include "tui/evlog.h"

#include <stdlib.h>
#include <string.h>

struct evlog {
	size_t n, cap;
	struct bb_event ev[];
};

struct evlog *evlog_new(size_t cap)
{
	struct evlog *l;

	if (cap == 0)
		cap = 1;
	l = calloc(1, sizeof(*l) + cap * sizeof(l->ev[0]));
	if (l)
		l->cap = cap;
	return l;
}

void evlog_free(struct evlog *l)
{
	free(l);
}

static int same(const struct bb_event *a, const struct bb_event *b)
{
	if (a->id && b->id)
		return a->id == b->id;
	return a->start_ms == b->start_ms && !strcmp(a->kind, b->kind) &&
	       !strcmp(a->interface, b->interface) &&
	       !strcmp(a->target, b->target) && !strcmp(a->server, b->server);
}

static void drop(struct evlog *l, size_t i)
{
	memmove(&l->ev[i], &l->ev[i + 1], (l->n - i - 1) * sizeof(l->ev[0]));
	l->n--;
}

void evlog_put(struct evlog *l, const struct bb_event *ev)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		if (same(&l->ev[i], ev)) {
			l->ev[i] = *ev;
			return;
		}
	}
	if (l->n == l->cap) {
		/* the oldest ended entry goes, else the oldest of all */
		size_t victim = l->n - 1;

		for (i = l->n; i-- > 0;) {
			if (l->ev[i].end_ms != 0) {
				victim = i;
				break;
			}
		}
		if (l->ev[victim].start_ms > ev->start_ms)
			return; /* older than everything we keep */
		drop(l, victim);
	}
	for (i = 0; i < l->n && l->ev[i].start_ms > ev->start_ms; i++)
		;
	memmove(&l->ev[i + 1], &l->ev[i], (l->n - i) * sizeof(l->ev[0]));
	l->ev[i] = *ev;
	l->n++;
}

void evlog_clear(struct evlog *l)
{
	l->n = 0;
}

size_t evlog_count(const struct evlog *l)
{
	return l->n;
}

const struct bb_event *evlog_at(const struct evlog *l, size_t i)
{
	return i < l->n ? &l->ev[i] : NULL;
}

size_t evlog_open_count(const struct evlog *l)
{
	size_t k = 0;

	for (size_t i = 0; i < l->n; i++)
		k += l->ev[i].end_ms == 0;
	return k;
}
