// SPDX-License-Identifier: MIT
/*
 * Paths hop by hop (see path.h).  Nothing is allocated; a path is found by
 * a linear scan of at most PATH_MAX_PATHS entries.
 */
#include "core/analysis/path.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/clock.h"

int path_blame(const double *loss_pct, int n, double threshold_pct,
	       double *path_pct, double *own_pct)
{
	double carried = -1; /* smallest loss from hop i on; -1 none yet */
	for (int i = n - 1; i >= 0; i--) {
		if (loss_pct[i] < 0) {
			path_pct[i] = carried < 0 ? 0 : carried;
			own_pct[i] = 0;
			continue;
		}
		if (carried < 0 || loss_pct[i] < carried)
			carried = loss_pct[i];
		path_pct[i] = carried;
		own_pct[i] = loss_pct[i] - carried;
	}
	for (int i = 0; i < n; i++)
		if (loss_pct[i] >= 0 && path_pct[i] >= threshold_pct)
			return i + 1;
	return 0;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* Nearest rank (ceil(p/100 * n)) of sorted v[0..n-1]. */
static int64_t rank(const int64_t *v, size_t n, unsigned p)
{
	size_t r = (n * p + 99) / 100;
	return v[r ? r - 1 : 0];
}

static void hop_figures(struct path_hop *h)
{
	int64_t ok[PATH_WINDOW];
	size_t nok = 0;
	for (uint32_t i = 0; i < h->n; i++) {
		int64_t v = h->ring[(h->head + i) % PATH_WINDOW];
		if (v != BB_NONE)
			ok[nok++] = v;
	}
	h->sent = h->n;
	h->lost = h->n - (uint32_t)nok;
	h->loss_pct = h->n ? 100.0 * h->lost / h->n : 0;
	h->p50_ns = h->p95_ns = BB_NONE;
	if (nok) {
		qsort(ok, nok, sizeof(ok[0]), cmp_i64);
		h->p50_ns = rank(ok, nok, 50);
		h->p95_ns = rank(ok, nok, 95);
	}
}

static void hop_push(struct path_hop *h, int64_t rtt)
{
	if (h->n < PATH_WINDOW)
		h->ring[(h->head + h->n++) % PATH_WINDOW] = rtt;
	else {
		h->ring[h->head] = rtt;
		h->head = (h->head + 1) % PATH_WINDOW;
	}
	h->last_ns = rtt;
	hop_figures(h);
}

/* The last k probes of h all went unanswered. */
static bool silent(const struct path_hop *h, uint32_t k)
{
	if (h->n < k)
		return false;
	for (uint32_t i = h->n - k; i < h->n; i++)
		if (h->ring[(h->head + i) % PATH_WINDOW] != BB_NONE)
			return false;
	return true;
}

static void hop_clear(struct path_hop *h)
{
	memset(h, 0, sizeof(*h));
	h->p50_ns = h->p95_ns = h->last_ns = BB_NONE;
}

static void blame(struct path_view *v)
{
	double loss[PATH_MAX_HOPS] = { 0 }, carried[PATH_MAX_HOPS],
	       own[PATH_MAX_HOPS];
	for (int i = 0; i < v->n_hops; i++)
		loss[i] = v->hop[i].sent ? v->hop[i].loss_pct : -1;
	v->lossy_hop =
		path_blame(loss, v->n_hops, PATH_BLAME_PCT, carried, own);
	for (int i = 0; i < v->n_hops; i++) {
		v->hop[i].path_loss_pct = carried[i];
		v->hop[i].own_loss_pct = own[i];
	}
}

static struct path_view *find_or_add(struct path_table *t,
				     const struct bb_sample *s)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->path[i].target, s->target) == 0 &&
		    strcmp(t->path[i].interface, s->interface) == 0)
			return &t->path[i];
	if (t->n == PATH_MAX_PATHS)
		return NULL;
	struct path_view *v = &t->path[t->n++];
	memset(v, 0, sizeof(*v));
	snprintf(v->interface, sizeof(v->interface), "%s", s->interface);
	snprintf(v->target, sizeof(v->target), "%s", s->target);
	for (int i = 0; i < PATH_MAX_HOPS; i++)
		hop_clear(&v->hop[i]);
	return v;
}

/* Every hop up to the target probed at least once. */
static bool complete(const struct path_view *v)
{
	if (!v->dest_ttl)
		return false;
	for (int i = 0; i < v->dest_ttl; i++)
		if (!v->hop[i].sent)
			return false;
	return true;
}

void path_route(const struct path_view *v, char *buf, size_t len)
{
	size_t at = 0;
	buf[0] = '\0';
	for (int i = 0; i < v->n_hops && at < len; i++) {
		const char *a = v->hop[i].addr[0] ? v->hop[i].addr : "*";
		int w = snprintf(buf + at, len - at, "%s%s", i ? " " : "", a);
		if (w < 0)
			break;
		at += (size_t)w;
	}
}

int path_table_add(struct path_table *t, const struct bb_sample *s,
		   struct path_change *ch)
{
	/* annotations, and probes that measured our own test's load */
	if (s->kind != BB_KIND_PATH || (s->flags & BB_SAMPLE_UNCOUNTED) ||
	    s->hop < 1 || s->hop > PATH_MAX_HOPS)
		return 0;
	struct path_view *v = find_or_add(t, s);
	if (!v) {
		t->overflow++;
		return 0;
	}
	int h = s->hop;
	struct path_hop *hp = &v->hop[h - 1];
	bool end = s->flags & BB_SAMPLE_PATH_END;
	/* the target answering a probe with TTL to spare says nothing new,
	 * unless its own hop went silent: the path got longer there */
	bool longer = v->dest_ttl && h > v->dest_ttl && end &&
		      silent(&v->hop[v->dest_ttl - 1], PATH_SILENT_PROBES);
	if (v->dest_ttl && h > v->dest_ttl && !longer &&
	    !(s->hop_addr[0] && !end))
		return 0;
	bool was = complete(v);
	char old[sizeof(ch->old_route)];
	path_route(v, old, sizeof(old));
	int changed = 0; /* first hop that differs */

	/* an answer (a reply, time exceeded or unreachable) carries its
	 * RTT; a probe nobody answered is lost at this hop */
	bool answered = s->hop_addr[0] && s->rtt_ns != BB_NONE;
	hop_push(hp, answered ? s->rtt_ns : BB_NONE);
	if (s->hop_addr[0]) {
		if (hp->addr[0] && strcmp(hp->addr, s->hop_addr) != 0)
			changed = h;
		snprintf(hp->addr, sizeof(hp->addr), "%s", s->hop_addr);
	}
	if (end && (!v->dest_ttl || h < v->dest_ttl || longer)) {
		if (v->dest_ttl && !changed)
			changed = h < v->dest_ttl ? h : v->dest_ttl;
		if (longer) /* the target was there, a silent router now */
			v->hop[v->dest_ttl - 1].addr[0] = '\0';
		v->dest_ttl = h;
		for (int i = h; i < PATH_MAX_HOPS; i++)
			hop_clear(&v->hop[i]); /* beyond the target */
	} else if (!end && s->hop_addr[0] && v->dest_ttl && h >= v->dest_ttl) {
		/* a router where the target was: the path got longer */
		v->dest_ttl = 0;
		if (!changed)
			changed = h;
	}
	if (v->dest_ttl)
		v->n_hops = v->dest_ttl;
	else if (h > v->n_hops)
		v->n_hops = h;
	blame(v);
	if (!changed || !was)
		return 0;
	v->changes++;
	v->changed_real_ns = s->real_ns;
	if (ch) {
		memset(ch, 0, sizeof(*ch));
		snprintf(ch->interface, sizeof(ch->interface), "%s",
			 v->interface);
		snprintf(ch->target, sizeof(ch->target), "%s", v->target);
		ch->real_ms = s->real_ns / BB_NS_PER_MS;
		snprintf(ch->old_route, sizeof(ch->old_route), "%s", old);
		path_route(v, ch->new_route, sizeof(ch->new_route));
		ch->hop = changed;
	}
	return 1;
}

const struct path_view *path_table_find(const struct path_table *t,
					const char *interface,
					const char *target)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->path[i].target, target) == 0 &&
		    strcmp(t->path[i].interface, interface) == 0)
			return &t->path[i];
	return NULL;
}
