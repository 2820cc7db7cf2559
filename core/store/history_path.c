// SPDX-License-Identifier: MIT
/*
 * The paths of a period for `stats` and `report` (history.h "history_path"):
 * per traced target the hour with the most loss at the target's own hop
 * (the last hour with probes when none lost any), and in it, hop by hop,
 * who answered, how often and how fast, and whose the loss is (the blame
 * rule of core/analysis/path.h).  Two passes over the hops table: the
 * first finds each path's worst hour, the second reads that hour.
 */
#include "core/store/history.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/analysis/path.h"
#include "core/base/clock.h"
#include "core/store/store.h"

#define HOUR_MS 3600000LL
#define MIN_PROBES                                                             \
	10 /* an hour with fewer at the target does not compete                \
	      with one that has more (a few probes at a run's                  \
	      edge would make any percentage) */

/* Pass 1 state of one path. */
struct worst {
	int dest;	    /* the target's hop, newest seen; 0 unknown */
	int64_t hour;	    /* bucket being counted */
	int64_t sent, lost; /* at the target's hop in it */
	int64_t last_hour;  /* newest bucket with any probe */
	int64_t best_hour;  /* worst so far (-1 none) */
	double best_pct;
	bool best_full; /* it had MIN_PROBES */
};

/* Pass 2: every RTT of one hop in the hour, for its percentiles. */
struct rtts {
	int64_t *v;
	size_t n, cap;
};

struct pctx {
	struct history_summary *s;
	struct worst w[HISTORY_MAX_PATHS];
	size_t want; /* pass 2: the path being read */
	struct rtts r[HISTORY_MAX_HOPS];
	int err;
};

static int64_t hour_of(int64_t ms)
{
	return ms - ((ms % HOUR_MS) + HOUR_MS) % HOUR_MS;
}

static int find(struct history_summary *s, const struct bb_sample *m, bool add)
{
	for (size_t i = 0; i < s->npaths; i++)
		if (!strcmp(s->paths[i].target, m->target) &&
		    !strcmp(s->paths[i].interface, m->interface))
			return (int)i;
	if (!add || s->npaths == HISTORY_MAX_PATHS)
		return -1;
	struct history_path *p = &s->paths[s->npaths];
	memset(p, 0, sizeof(*p));
	snprintf(p->target, sizeof(p->target), "%s", m->target);
	snprintf(p->interface, sizeof(p->interface), "%s", m->interface);
	return (int)s->npaths++;
}

static void close_hour(struct worst *w)
{
	if (!w->sent)
		return;
	double pct = 100.0 * (double)w->lost / (double)w->sent;
	bool full = w->sent >= MIN_PROBES;
	if (w->best_hour < 0 || (full && !w->best_full) ||
	    (full == w->best_full && pct >= w->best_pct)) {
		w->best_pct = pct;
		w->best_hour = w->hour;
		w->best_full = full;
	}
	w->sent = w->lost = 0;
}

static int pass1(void *ctx, const struct bb_sample *m)
{
	struct pctx *c = ctx;
	if (m->flags & BB_SAMPLE_UNCOUNTED)
		return 0;
	int i = find(c->s, m, true);
	if (i < 0)
		return 0;
	struct worst *w = &c->w[i];
	int64_t ms = m->real_ns / BB_NS_PER_MS;
	int64_t h = hour_of(ms);
	if (h != w->hour) {
		close_hour(w);
		w->hour = h;
	}
	w->last_hour = h;
	if (m->flags & BB_SAMPLE_PATH_END)
		w->dest = m->hop;
	if (w->dest && m->hop == w->dest) {
		w->sent++;
		w->lost += !m->hop_addr[0];
	}
	return 0;
}

static int pass2(void *ctx, const struct bb_sample *m)
{
	struct pctx *c = ctx;
	if ((m->flags & BB_SAMPLE_UNCOUNTED) || m->hop < 1 ||
	    m->hop > HISTORY_MAX_HOPS || find(c->s, m, false) != (int)c->want)
		return 0;
	struct history_path *p = &c->s->paths[c->want];
	struct history_hop *h = &p->hop[m->hop - 1];
	h->sent++;
	if (m->flags & BB_SAMPLE_PATH_END) {
		p->reached = 1;
		p->n_hops = m->hop; /* the newest target hop */
	} else if (!p->reached && m->hop > p->n_hops) {
		p->n_hops = m->hop;
	}
	if (!m->hop_addr[0]) {
		h->lost++;
		return 0;
	}
	snprintf(h->addr, sizeof(h->addr), "%s", m->hop_addr);
	if (m->rtt_ns == BB_NONE)
		return 0;
	struct rtts *r = &c->r[m->hop - 1];
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 256;
		int64_t *v = realloc(r->v, cap * sizeof(*v));
		if (!v) {
			c->err = -ENOMEM;
			return -ENOMEM;
		}
		r->v = v;
		r->cap = cap;
	}
	r->v[r->n++] = m->rtt_ns;
	return 0;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

static double rank_ms(const int64_t *v, size_t n, unsigned p)
{
	size_t r = (n * p + 99) / 100;
	return (double)v[r ? r - 1 : 0] / BB_NS_PER_MS;
}

/* Figures and blame of path i once its hour is read. */
static void finish(struct pctx *c, struct history_path *p)
{
	double loss[HISTORY_MAX_HOPS], line[HISTORY_MAX_HOPS],
		own[HISTORY_MAX_HOPS];
	for (int i = 0; i < p->n_hops; i++) {
		struct history_hop *h = &p->hop[i];
		struct rtts *r = &c->r[i];
		h->loss_pct =
			h->sent ? 100.0 * (double)h->lost / (double)h->sent : 0;
		loss[i] = h->sent ? h->loss_pct : -1;
		h->p50_ms = h->p95_ms = NAN;
		if (r->n) {
			qsort(r->v, r->n, sizeof(r->v[0]), cmp_i64);
			h->p50_ms = rank_ms(r->v, r->n, 50);
			h->p95_ms = rank_ms(r->v, r->n, 95);
		}
	}
	p->lossy_hop = path_blame(loss, p->n_hops, PATH_BLAME_PCT, line, own);
	for (int i = 0; i < p->n_hops; i++) {
		p->hop[i].line_pct = line[i];
		p->hop[i].own_pct = own[i];
	}
	if (p->reached && p->n_hops)
		p->target_loss_pct = p->hop[p->n_hops - 1].loss_pct;
}

int history_paths(struct store *st, int64_t from_ms, int64_t to_ms,
		  struct history_summary *out)
{
	struct pctx *c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->s = out;
	out->npaths = 0;
	for (size_t i = 0; i < HISTORY_MAX_PATHS; i++)
		c->w[i].best_hour = -1;
	int rc = store_read_hops(st, from_ms, to_ms, pass1, c);
	for (size_t i = 0; rc == 0 && i < out->npaths; i++) {
		struct worst *w = &c->w[i];
		close_hour(w);
		struct history_path *p = &out->paths[i];
		p->from_ms = w->best_hour >= 0 ? w->best_hour : w->last_hour;
		p->to_ms = p->from_ms + HOUR_MS;
		if (p->from_ms < from_ms)
			p->from_ms = from_ms;
		if (p->to_ms > to_ms)
			p->to_ms = to_ms;
		c->want = i;
		for (int h = 0; h < HISTORY_MAX_HOPS; h++)
			c->r[h].n = 0;
		rc = store_read_hops(st, p->from_ms, p->to_ms, pass2, c);
		if (rc == 0)
			finish(c, p);
	}
	if (c->err)
		rc = c->err;
	for (int h = 0; h < HISTORY_MAX_HOPS; h++)
		free(c->r[h].v);
	free(c);
	return rc;
}
