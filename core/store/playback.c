// SPDX-License-Identifier: MIT
/*
 * Playback of a recording (see playback.h): a read-only store, a model and a
 * clock.
 *
 * Invariant: every sample with timestamp <= fed_ms (and, after a seek, newer
 * than fed_ms - 1 h, with the newest throughput and bufferbloat results
 * before that hour) has been fed to the model, none after; fed_ms == clock
 * except right after playback_open, where fed_ms = first - 1 so that playing
 * from the start feeds the very first sample too.  Feeding runs through the
 * primary key (ts, ...) of `samples`, so any step costs the rows it returns.
 * A jump forward of more than an hour is a seek: only the last hour matters
 * to the stats windows (stats.h), and rebuilding it is cheaper than feeding
 * everything in between.  A seek builds a new model and swaps it in only
 * when complete; the replaced one stays allocated until the next seek, so a
 * view that kept the pointer over one move reads stale figures, never freed
 * memory.  Events are few (a handful a day) and are loaded once, by start.
 */
#include "core/store/playback.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/clock.h"
#include "core/analysis/event.h"
#include "core/analysis/model.h"
#include "core/base/sample.h"
#include "core/probe/kind.h"
#include "core/store/store.h"

#define MS_PER_HOUR	 3600000LL
#define GUESS_SPAN_MS	 (10 * 60000LL)
#define GUESS_MAX_ROWS	 4096
#define GUESS_SERIES	 32
#define GUESS_GAPS	 63
#define MIN_INTERVAL_NS	 (10 * BB_NS_PER_MS)
#define MAX_INTERVAL_NS	 (60 * BB_NS_PER_S)
#define OVERVIEW_PEEK_MS 60000LL /* raw samples read per slice, fallback */

struct playback {
	struct store *st;
	struct model *m;
	struct model *prev; /* replaced by the last seek, freed at the next */
	int64_t interval_ns;
	int64_t first_ms, last_ms;
	int64_t clock_ms;
	int64_t fed_ms;
	bool stale; /* a feed failed half way: the next move rebuilds */
	playback_feed_fn on_sample;
	void *on_sample_ctx;
	struct bb_event *ev;
	size_t nev, ev_cap;
	char (*srv)[BB_SERVER_LEN];
	size_t nsrv;
};

const int playback_speeds[REPLAY_NSPEEDS] = { 1,   2,	5,   10,   30,	60,
					      120, 300, 600, 1800, 3600 };

/* ---- opening ------------------------------------------------------------ */

static int add_event(void *ctx, const struct bb_event *ev)
{
	struct playback *r = ctx;
	if (r->nev == r->ev_cap) {
		size_t cap = r->ev_cap ? 2 * r->ev_cap : 64;
		void *p = realloc(r->ev, cap * sizeof(*r->ev));
		if (!p)
			return -ENOMEM;
		r->ev = p;
		r->ev_cap = cap;
	}
	r->ev[r->nev++] = *ev;
	return 0;
}

static int add_server(void *ctx, const char *name)
{
	struct playback *r = ctx;
	void *p = realloc(r->srv, (r->nsrv + 1) * sizeof(*r->srv));
	if (!p)
		return -ENOMEM;
	r->srv = p;
	snprintf(r->srv[r->nsrv++], BB_SERVER_LEN, "%s", name);
	return 0;
}

static bool same_place(const struct bb_sample *a, const struct bb_sample *b)
{
	return a->kind == b->kind && strcmp(a->target, b->target) == 0 &&
	       strcmp(a->interface, b->interface) == 0 &&
	       strcmp(a->server, b->server) == 0;
}

/* Gaps between consecutive probes of each series at the recording start. */
struct guess {
	struct {
		struct bb_sample last;
		int64_t gap[GUESS_GAPS];
		size_t n;
	} s[GUESS_SERIES];
	size_t nseries, rows;
};

static int guess_cb(void *ctx, const struct bb_sample *s)
{
	struct guess *g = ctx;
	if (++g->rows > GUESS_MAX_ROWS)
		return 1;
	if (s->flags & (BB_SAMPLE_LATE | BB_SAMPLE_DUPLICATE))
		return 0;
	size_t i = 0;
	while (i < g->nseries && !same_place(&g->s[i].last, s))
		i++;
	if (i == g->nseries) {
		if (i < GUESS_SERIES)
			g->s[g->nseries++].last = *s;
		return 0;
	}
	int64_t gap = s->real_ns - g->s[i].last.real_ns;
	if (gap > 0 && g->s[i].n < GUESS_GAPS)
		g->s[i].gap[g->s[i].n++] = gap;
	g->s[i].last = *s;
	return 0;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* The probe interval the stats buffers are sized for: the smallest of the
 * series' median gaps over the first minutes (a guess too long would make
 * the buffers too short for an hour), 1 s when nothing tells. */
static int guess_interval(struct playback *r, int64_t *interval_ns)
{
	struct guess *g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	int rc = store_read_samples(r->st, r->first_ms,
				    r->first_ms + GUESS_SPAN_MS, guess_cb, g);
	int64_t best = 0;
	for (size_t i = 0; i < g->nseries; i++) {
		if (g->s[i].n < 3)
			continue;
		qsort(g->s[i].gap, g->s[i].n, sizeof(int64_t), cmp_i64);
		int64_t med = g->s[i].gap[g->s[i].n / 2];
		if (!best || med < best)
			best = med;
	}
	free(g);
	if (rc < 0)
		return rc;
	if (!best)
		best = BB_NS_PER_S;
	if (best < MIN_INTERVAL_NS)
		best = MIN_INTERVAL_NS;
	if (best > MAX_INTERVAL_NS)
		best = MAX_INTERVAL_NS;
	*interval_ns = best;
	return 0;
}

struct playback *playback_open(const char *path, char *err, size_t errlen)
{
	struct playback *r = calloc(1, sizeof(*r));
	int rc;
	if (!r) {
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	r->st = store_open(path, STORE_RDONLY, err, errlen);
	if (!r->st)
		goto fail_quiet;
	rc = store_time_range(r->st, &r->first_ms, &r->last_ms);
	if (rc == -ENOENT) {
		snprintf(err, errlen, "%s: no samples recorded yet", path);
		goto fail_quiet;
	}
	if (rc < 0)
		goto fail;
	/* All of them, by start (store_read_events' order). */
	rc = store_read_events(r->st, INT64_MIN, INT64_MAX, add_event, r);
	if (rc < 0)
		goto fail;
	if ((rc = store_read_servers(r->st, add_server, r)) < 0)
		goto fail;
	if ((rc = guess_interval(r, &r->interval_ns)) < 0)
		goto fail;
	r->m = model_new(r->interval_ns);
	if (!r->m) {
		rc = -ENOMEM;
		goto fail;
	}
	r->clock_ms = r->first_ms;
	r->fed_ms = r->first_ms - 1;
	return r;

fail:
	if (rc == -ENOMEM || !*store_last_error(r->st))
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
	else
		snprintf(err, errlen, "%s", store_last_error(r->st));
fail_quiet:
	playback_close(r);
	return NULL;
}

void playback_close(struct playback *r)
{
	if (!r)
		return;
	model_free(r->m);
	model_free(r->prev);
	store_close(r->st);
	free(r->srv);
	free(r->ev);
	free(r);
}

/* Worse: higher severity, then longer (an open one lasts to the end),
 * then earlier (the list is by start, so the first of equals stays). */
static int64_t event_len(const struct playback *r, const struct bb_event *ev)
{
	int64_t end = ev->end_ms ? ev->end_ms : r->last_ms;
	return end > ev->start_ms ? end - ev->start_ms : 0;
}

int64_t playback_start_ms(const struct playback *r, long *event)
{
	long worst = -1;
	int64_t ms = r->first_ms + REPLAY_LEAD_MS;
	for (size_t i = 0; i < r->nev; i++) {
		const struct bb_event *ev = &r->ev[i], *w;
		if (ev->severity < BB_SEV_WARNING)
			continue;
		if (worst < 0) {
			worst = (long)i;
			continue;
		}
		w = &r->ev[worst];
		if (ev->severity > w->severity ||
		    (ev->severity == w->severity &&
		     event_len(r, ev) > event_len(r, w)))
			worst = (long)i;
	}
	if (worst >= 0) {
		const struct bb_event *w = &r->ev[worst];
		int64_t end = w->end_ms ? w->end_ms - 1 : r->last_ms;
		ms = w->start_ms + REPLAY_LEAD_MS;
		if (ms > end)
			ms = end > w->start_ms ? end : w->start_ms;
	}
	if (ms > r->last_ms)
		ms = r->last_ms;
	if (ms < r->first_ms)
		ms = r->first_ms;
	if (event)
		*event = worst;
	return ms;
}

size_t playback_speed_for(int64_t span_ms)
{
	size_t i = 0;
	while (i + 1 < REPLAY_NSPEEDS &&
	       span_ms > (int64_t)playback_speeds[i] * REPLAY_PLAY_MS)
		i++;
	return i;
}

size_t playback_server_count(const struct playback *r)
{
	return r->nsrv;
}

const char *playback_server(const struct playback *r, size_t i)
{
	return i < r->nsrv ? r->srv[i] : "";
}

struct model *playback_model(struct playback *r)
{
	return r->m;
}

int64_t playback_first_ms(const struct playback *r)
{
	return r->first_ms;
}

int64_t playback_last_ms(const struct playback *r)
{
	return r->last_ms;
}

int64_t playback_clock_ms(const struct playback *r)
{
	return r->clock_ms;
}

int64_t playback_interval_ns(const struct playback *r)
{
	return r->interval_ns;
}

const char *playback_last_error(const struct playback *r)
{
	return store_last_error(r->st);
}

/* The last nanosecond of the clock's millisecond: a sample whose stored
 * timestamp is the clock (real_ns anywhere inside that ms) is in every
 * window ending now, exactly as it was fed. */
int64_t playback_now_mono(const struct playback *r)
{
	return r->clock_ms * BB_NS_PER_MS + (BB_NS_PER_MS - 1);
}

/* ---- moving the clock --------------------------------------------------- */

struct feed {
	struct playback *r;
	struct model *m;
};

static int feed_cb(void *ctx, const struct bb_sample *s)
{
	struct feed *f = ctx;
	struct bb_sample c = *s;
	c.mono_ns = c.real_ns; /* one continuous timeline (playback.h) */
	if (f->r->on_sample)
		f->r->on_sample(f->r->on_sample_ctx, f->m, &c);
	else
		model_add(f->m, &c);
	return 0;
}

/* The path probe's rows (the hops table) merged into the samples in time
 * order, a slice at a time so that what is held stays small (an hour of
 * hops at 20 probes a second is 72000 rows). */
#define MERGE_SLICE_MS 60000

struct merge {
	struct feed *f;
	struct bb_sample *hop;
	size_t n, cap, next;
	int err;
};

static int hold_hop(void *ctx, const struct bb_sample *s)
{
	struct merge *mg = ctx;
	if (mg->n == mg->cap) {
		size_t cap = mg->cap ? 2 * mg->cap : 256;
		struct bb_sample *v = realloc(mg->hop, cap * sizeof(*v));
		if (!v) {
			mg->err = -ENOMEM;
			return -ENOMEM;
		}
		mg->hop = v;
		mg->cap = cap;
	}
	mg->hop[mg->n++] = *s;
	return 0;
}

/* The held hops up to real_ns (all: INT64_MAX), then nothing. */
static void hops_until(struct merge *mg, int64_t real_ns)
{
	while (mg->next < mg->n && mg->hop[mg->next].real_ns <= real_ns)
		feed_cb(mg->f, &mg->hop[mg->next++]);
}

static int merge_cb(void *ctx, const struct bb_sample *s)
{
	struct merge *mg = ctx;
	hops_until(mg, s->real_ns);
	return feed_cb(mg->f, s);
}

/* Feed the samples and hops of [from_ms, to_ms) in time order (a hop
 * before a sample of the same ms). */
static int read_merged(struct playback *r, int64_t from_ms, int64_t to_ms,
		       struct feed *f)
{
	struct merge mg = { .f = f };
	int rc = 0;
	for (int64_t a = from_ms; a < to_ms && rc >= 0; a += MERGE_SLICE_MS) {
		int64_t b =
			to_ms - a > MERGE_SLICE_MS ? a + MERGE_SLICE_MS : to_ms;
		mg.n = mg.next = 0;
		rc = store_read_hops(r->st, a, b, hold_hop, &mg);
		if (rc >= 0)
			rc = store_read_samples(r->st, a, b, merge_cb, &mg);
		if (rc >= 0)
			hops_until(&mg, INT64_MAX);
	}
	free(mg.hop);
	return mg.err ? mg.err : rc;
}

/* Live shows the newest throughput and bufferbloat results however old
 * (tests run hours apart): a rebuilt model gets the newest ones from
 * before its hour, straight into the model (the detectors' windows hold
 * the hour only). */
/* Per kind: room for the newest of each server and phase; a series'
 * stats keep only the hour before its newest result (as live's do). */
#define RESULTS_BEFORE 64

static int add_result(void *ctx, const struct bb_sample *s)
{
	struct bb_sample c = *s;
	c.mono_ns = c.real_ns;
	model_add(ctx, &c);
	return 0;
}

static int results_before(struct playback *r, struct model *m, int64_t ms)
{
	static const int kinds[] = { BB_KIND_UPLOAD, BB_KIND_DOWNLOAD,
				     BB_KIND_BUFFERBLOAT };
	int rc = 0;
	for (size_t i = 0; i < sizeof(kinds) / sizeof(*kinds) && rc >= 0; i++)
		rc = store_read_newest(r->st, kinds[i], ms, RESULTS_BEFORE,
				       add_result, m);
	return rc;
}

void playback_on_sample(struct playback *r, playback_feed_fn fn, void *ctx)
{
	r->on_sample = fn;
	r->on_sample_ctx = ctx;
}

int playback_seek(struct playback *r, int64_t ms)
{
	if (ms < r->first_ms)
		ms = r->first_ms;
	if (ms > r->last_ms)
		ms = r->last_ms;
	struct model *m = model_new(r->interval_ns);
	if (!m)
		return -ENOMEM;
	/* (ms - 1 h, ms]: what the longest window ending now can see. */
	struct feed f = { r, m };
	if (r->on_sample)
		r->on_sample(r->on_sample_ctx, m, NULL);
	int rc = results_before(r, m, ms - MS_PER_HOUR + 1);
	if (rc >= 0)
		rc = read_merged(r, ms - MS_PER_HOUR + 1, ms + 1, &f);
	if (rc < 0) {
		/* what the callback saw is half a rebuild: redo it next */
		model_free(m);
		r->stale = true;
		return rc;
	}
	model_free(r->prev);
	r->prev = r->m;
	r->m = m;
	r->clock_ms = r->fed_ms = ms;
	r->stale = false;
	return 0;
}

int playback_advance(struct playback *r, int64_t delta_ms)
{
	if (delta_ms == 0)
		return 0;
	if (delta_ms < 0)
		return playback_seek(r, delta_ms < r->first_ms - r->clock_ms
						? r->first_ms
						: r->clock_ms + delta_ms);
	int64_t to = delta_ms > r->last_ms - r->clock_ms
			     ? r->last_ms
			     : r->clock_ms + delta_ms;
	if (r->stale || to - r->fed_ms > MS_PER_HOUR)
		return playback_seek(r, to);
	if (to <= r->fed_ms) {
		r->clock_ms = to;
		return 0;
	}
	struct feed f = { r, r->m };
	int rc = read_merged(r, r->fed_ms + 1, to + 1, &f);
	if (rc < 0) {
		/* Some of the step went in: rebuild on the next move. */
		r->stale = true;
		return rc;
	}
	r->clock_ms = r->fed_ms = to;
	return 0;
}

/* ---- events ------------------------------------------------------------- */

const struct bb_event *playback_events(const struct playback *r, size_t *count)
{
	*count = r->nev;
	return r->ev;
}

/* Number of events starting at or before ms (they come first). */
static size_t started_by(const struct playback *r, int64_t ms)
{
	size_t lo = 0, hi = r->nev;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (r->ev[mid].start_ms <= ms)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

long playback_event_near(const struct playback *r, int dir)
{
	if (dir > 0) {
		size_t i = started_by(r, r->clock_ms);
		return i < r->nev ? (long)i : -1;
	}
	/* Last event with start < clock. */
	size_t i = started_by(r, r->clock_ms - 1);
	return i > 0 ? (long)i - 1 : -1;
}

size_t playback_open_events(const struct playback *r,
			    const struct bb_event **out, size_t max)
{
	size_t n = 0, end = started_by(r, r->clock_ms);
	for (size_t i = 0; i < end && n < max; i++) {
		const struct bb_event *ev = &r->ev[i];
		if (ev->end_ms == 0 || ev->end_ms > r->clock_ms)
			out[n++] = ev;
	}
	return n;
}

/* ---- overview ----------------------------------------------------------- */

/* Kinds whose failures count as loss on the bar, and whose main delay is a
 * round trip (the bar's RTT). */
static bool loss_kind(int kind)
{
	return kind_is_delay(kind);
}

static bool rtt_kind(int kind)
{
	return kind_is_round_trip(kind);
}

struct slice_rtt {
	size_t slice;
	double ms;
};

/* What a slice's loss is made of: probes sent and lost, summed over its
 * minutes (or hours) and series.  The worst single minute of any series
 * painted a normal week red end to end (1 of 6 DNS queries is 16.7 %). */
struct slice_loss {
	uint64_t sent, lost;
	bool seen; /* a rollup row fell in the slice */
};

struct overview {
	const struct playback *r;
	size_t n;
	struct slice_loss *sl;
	struct slice_rtt *rtt;
	size_t nrtt, rtt_cap;
	/* raw fallback for one slice */
	struct {
		struct bb_sample place;
		uint32_t count, lost;
	} ser[MODEL_MAX_SERIES];
	size_t nser;
	size_t cur;
	int64_t stop_ms;
};

static size_t slice_of(const struct overview *o, int64_t ms)
{
	const struct playback *r = o->r;
	if (ms <= r->first_ms)
		return 0;
	double span = (double)(r->last_ms - r->first_ms + 1);
	size_t i = (size_t)((double)(ms - r->first_ms) / span * (double)o->n);
	return i < o->n ? i : o->n - 1;
}

static int64_t slice_start(const struct playback *r, size_t i, size_t n)
{
	double span = (double)(r->last_ms - r->first_ms + 1);
	return r->first_ms + (int64_t)ceil(span * (double)i / (double)n);
}

static int push_rtt(struct overview *o, size_t slice, double ms)
{
	if (o->nrtt == o->rtt_cap) {
		size_t cap = o->rtt_cap ? 2 * o->rtt_cap : 1024;
		void *p = realloc(o->rtt, cap * sizeof(*o->rtt));
		if (!p)
			return -ENOMEM;
		o->rtt = p;
		o->rtt_cap = cap;
	}
	o->rtt[o->nrtt++] = (struct slice_rtt){ slice, ms };
	return 0;
}

static void add_loss(struct overview *o, size_t slice, int64_t sent,
		     int64_t lost)
{
	if (sent <= 0)
		return;
	o->sl[slice].sent += (uint64_t)sent;
	o->sl[slice].lost += lost > 0 ? (uint64_t)lost : 0;
}

static int agg_cb(void *ctx, const struct store_agg *a)
{
	struct overview *o = ctx;
	size_t i = slice_of(o, a->bucket_ms);
	o->sl[i].seen = true;
	if (loss_kind(a->kind))
		add_loss(o, i, a->count, a->lost);
	if (rtt_kind(a->kind) && !isnan(a->p50))
		return push_rtt(o, i, a->p50);
	return 0;
}

/* Fallback for a slice without rollup rows: the minute of samples from the
 * first one in the slice (the read stops there; PK order makes it cheap). */
static int peek_cb(void *ctx, const struct bb_sample *s)
{
	struct overview *o = ctx;
	int64_t ms = s->real_ns / BB_NS_PER_MS;
	if (o->stop_ms == BB_NONE)
		o->stop_ms = ms + OVERVIEW_PEEK_MS;
	if (ms >= o->stop_ms)
		return 1;
	if (s->flags & BB_SAMPLE_UNCOUNTED || !loss_kind(s->kind))
		return 0;
	size_t k = 0;
	while (k < o->nser && !same_place(&o->ser[k].place, s))
		k++;
	if (k == o->nser) {
		if (k == MODEL_MAX_SERIES)
			return 0;
		o->ser[o->nser++].place = *s;
		o->ser[k].count = o->ser[k].lost = 0;
	}
	o->ser[k].count++;
	o->ser[k].lost += s->status != BB_STATUS_OK;
	if (rtt_kind(s->kind) && s->status == BB_STATUS_OK &&
	    s->rtt_ns != BB_NONE)
		return push_rtt(o, o->cur, (double)s->rtt_ns / 1e6);
	return 0;
}

static int peek_slice(struct overview *o, size_t i)
{
	const struct playback *r = o->r;
	int64_t from = slice_start(r, i, o->n);
	int64_t to =
		i + 1 < o->n ? slice_start(r, i + 1, o->n) : r->last_ms + 1;
	/* A slice shorter than two probe intervals (a short recording) would
	 * hold one target's probe and not another's, striping the bar: read
	 * at least two intervals so every series is in every slice. */
	int64_t least = 2 * r->interval_ns / BB_NS_PER_MS;
	if (to - from < least)
		to = from + least;
	if (to <= from)
		return 0;
	o->nser = 0;
	o->cur = i;
	o->stop_ms = BB_NONE; /* set by the first sample */
	int rc = store_read_samples(r->st, from, to, peek_cb, o);
	if (rc < 0)
		return rc;
	for (size_t k = 0; k < o->nser; k++)
		add_loss(o, i, o->ser[k].count, o->ser[k].lost);
	return 0;
}

static int cmp_slice_rtt(const void *a, const void *b)
{
	const struct slice_rtt *x = a, *y = b;
	if (x->slice != y->slice)
		return x->slice < y->slice ? -1 : 1;
	return (x->ms > y->ms) - (x->ms < y->ms);
}

size_t playback_overview(struct playback *r, double *loss_pct, int64_t *rtt_us,
			 size_t n)
{
	struct overview o = { .r = r, .n = n };
	for (size_t i = 0; i < n; i++) {
		loss_pct[i] = NAN;
		rtt_us[i] = BB_NONE;
	}
	if (n == 0)
		return 0;
	o.sl = calloc(n, sizeof(*o.sl));
	if (!o.sl)
		return n;
	/* Hourly rows once a slice holds an hour or more; else minutes. */
	int64_t span = r->last_ms - r->first_ms + 1;
	int level = span / (int64_t)n >= MS_PER_HOUR ? STORE_AGG_1HOUR
						     : STORE_AGG_1MIN;
	int64_t len = level == STORE_AGG_1HOUR ? MS_PER_HOUR : 60000;
	int rc = store_read_aggs(r->st, level, r->first_ms - len + 1,
				 r->last_ms + 1, agg_cb, &o);
	for (size_t i = 0; i < n && rc >= 0; i++)
		if (!o.sl[i].seen)
			rc = peek_slice(&o, i);
	for (size_t i = 0; i < n; i++)
		if (o.sl[i].sent)
			loss_pct[i] = 100.0 * (double)o.sl[i].lost /
				      (double)o.sl[i].sent;
	qsort(o.rtt, o.nrtt, sizeof(*o.rtt), cmp_slice_rtt);
	for (size_t i = 0, j; i < o.nrtt; i = j) {
		j = i;
		while (j < o.nrtt && o.rtt[j].slice == o.rtt[i].slice)
			j++;
		/* Median (lower middle on an even count, like the rollups). */
		double med = o.rtt[i + (j - i - 1) / 2].ms;
		rtt_us[o.rtt[i].slice] = llround(med * 1000.0);
	}
	free(o.rtt);
	free(o.sl);
	return n;
}

int playback_series_aggs(struct playback *r, const struct model_series *ms,
			 int level, int64_t from_ms, int64_t to_ms,
			 int (*cb)(void *ctx, const struct store_agg *row),
			 void *ctx)
{
	return store_read_series_aggs(r->st, level, ms->interface,
				      (int)ms->kind, ms->target, ms->server,
				      from_ms, to_ms, cb, ctx);
}
