// SPDX-License-Identifier: MIT
/*
 * Rolling-window statistics of one series (see stats.h).
 *
 * Storage: a circular array of entries sorted by mono_ns (send time).
 * Samples normally arrive in send order and are appended; one that arrives
 * out of order (a timeout emitted after the next probe's reply) is inserted
 * at its place by shifting the few newer entries.  Invariants: entries are
 * non-decreasing in mono_ns; len <= cap; nothing is older than one hour
 * before the newest entry once an add returns; each entry carries the
 * RFC 3550 §A.8 jitter estimate as it stood after that entry, so expiring
 * old entries never changes the figure of the ones that remain.
 *
 * The scratch array (cap values) is preallocated: the summary copies the
 * window's successful values into its front for the percentile sort and
 * the start times of loss runs of 2+ into its back.  Both fit: every run of
 * 2+ is made of at least two entries that are not values.
 */
#include "core/analysis/stats.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/clock.h"

#define STATS_HORIZON_NS  (3600 * BB_NS_PER_S)
#define STATS_MIN_ENTRIES 16

struct entry {
	int64_t mono_ns;
	int64_t value;	/* BB_NONE unless an answered probe's value */
	double jitter;	/* RFC 3550 J after this entry (if a value) */
	uint16_t flags; /* BB_SAMPLE_* */
	uint8_t status; /* enum bb_status */
	uint8_t annot;	/* late or duplicate: not a probe of its own */
};

struct stats_log {
	int64_t interval_ns;
	size_t cap, head, len;
	struct entry *e;
	int64_t *scratch;
	/* RFC 3550 estimator state after the newest entry. */
	double j;
	int64_t j_prev;
	bool j_have;
	/* Newest mono_ns evicted by the capacity cap, or BB_NONE. */
	int64_t evicted_mono;
};

static const int64_t window_len[STATS_WINDOW_COUNT] = {
	[STATS_10S] = 10 * BB_NS_PER_S,
	[STATS_60S] = 60 * BB_NS_PER_S,
	[STATS_5M] = 300 * BB_NS_PER_S,
	[STATS_1H] = 3600 * BB_NS_PER_S,
};

static const char *const window_names[STATS_WINDOW_COUNT] = {
	[STATS_10S] = "10s",
	[STATS_60S] = "60s",
	[STATS_5M] = "5m",
	[STATS_1H] = "1h",
};

static const char *const pattern_names[STATS_LOSS_PATTERN_COUNT] = {
	[STATS_LOSS_NONE] = "none",
	[STATS_LOSS_SCATTERED] = "scattered",
	[STATS_LOSS_BURST] = "burst",
	[STATS_LOSS_PERIODIC] = "periodic",
};

int64_t stats_window_ns(enum stats_window w)
{
	return (unsigned)w < STATS_WINDOW_COUNT ? window_len[w] : 0;
}

const char *stats_window_name(enum stats_window w)
{
	return (unsigned)w < STATS_WINDOW_COUNT ? window_names[w] : "?";
}

const char *stats_loss_pattern_name(enum stats_loss_pattern p)
{
	return (unsigned)p < STATS_LOSS_PATTERN_COUNT ? pattern_names[p]
						      : "unknown";
}

int64_t stats_sample_value(const struct bb_sample *sample)
{
	if (sample->kind == BB_KIND_UPLOAD || sample->kind == BB_KIND_DOWNLOAD)
		return sample->throughput_kbps;
	return sample->rtt_ns;
}

static struct entry *at(const struct stats_log *s, size_t i)
{
	return &s->e[(s->head + i) % s->cap];
}

static bool is_value(const struct entry *e)
{
	return !e->annot && e->value != BB_NONE;
}

struct stats_log *stats_log_new(int64_t expected_interval_ns)
{
	struct stats_log *s;
	int64_t n;

	if (expected_interval_ns <= 0) {
		errno = EINVAL;
		return NULL;
	}
	n = STATS_HORIZON_NS / expected_interval_ns;
	n += n / 4 + STATS_MIN_ENTRIES;
	if (n > STATS_MAX_ENTRIES)
		n = STATS_MAX_ENTRIES;

	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->cap = (size_t)n;
	s->e = malloc(s->cap * sizeof(*s->e));
	s->scratch = malloc(s->cap * sizeof(*s->scratch));
	if (!s->e || !s->scratch) {
		stats_log_free(s);
		errno = ENOMEM;
		return NULL;
	}
	/* Touch every page now (calloc would map them lazily): the process
	 * takes its full footprint at start, so a growing RSS later is a
	 * leak, never a window still filling (tests/lib/soak.sh).
	 * explicit_bzero, because the compiler turns malloc + memset back
	 * into a lazy calloc. */
	explicit_bzero(s->e, s->cap * sizeof(*s->e));
	explicit_bzero(s->scratch, s->cap * sizeof(*s->scratch));
	s->interval_ns = expected_interval_ns;
	s->evicted_mono = BB_NONE;
	return s;
}

void stats_log_free(struct stats_log *s)
{
	if (!s)
		return;
	free(s->e);
	free(s->scratch);
	free(s);
}

size_t stats_log_capacity(const struct stats_log *s)
{
	return s->cap;
}

static void note_eviction(struct stats_log *s, int64_t mono_ns)
{
	if (s->evicted_mono == BB_NONE || mono_ns > s->evicted_mono)
		s->evicted_mono = mono_ns;
}

/* One RFC 3550 §A.8 step: J += (|D| - J) / 16. */
static void jitter_step(struct stats_log *s, struct entry *e)
{
	if (s->j_have) {
		double d = fabs((double)e->value - (double)s->j_prev);

		s->j += (d - s->j) / 16.0;
	}
	s->j_prev = e->value;
	s->j_have = true;
	e->jitter = s->j;
}

/* Re-run the estimator from entry p to the newest after an insertion in
 * the middle, starting from the last value entry before p. */
static void jitter_redo(struct stats_log *s, size_t p)
{
	size_t i = p;

	s->j = 0;
	s->j_have = false;
	while (i > 0) {
		const struct entry *e = at(s, --i);

		if (is_value(e)) {
			s->j = e->jitter;
			s->j_prev = e->value;
			s->j_have = true;
			break;
		}
	}
	for (i = p; i < s->len; i++)
		if (is_value(at(s, i)))
			jitter_step(s, at(s, i));
}

void stats_log_add(struct stats_log *s, const struct bb_sample *sample)
{
	struct entry ne = {
		.mono_ns = sample->mono_ns,
		.value = BB_NONE,
		.flags = sample->flags,
		.status = sample->status,
		.annot = (sample->flags &
			  (BB_SAMPLE_LATE | BB_SAMPLE_DUPLICATE)) != 0,
	};
	size_t p;

	if (ne.status == BB_STATUS_OK && !ne.annot)
		ne.value = stats_sample_value(sample);

	if (s->len == s->cap) {
		if (ne.mono_ns < at(s, 0)->mono_ns) {
			/* Older than all we keep and no room: gone. */
			note_eviction(s, ne.mono_ns);
			return;
		}
		note_eviction(s, at(s, 0)->mono_ns);
		s->head = (s->head + 1) % s->cap;
		s->len--;
	}

	p = s->len;
	while (p > 0 && at(s, p - 1)->mono_ns > ne.mono_ns)
		p--;
	for (size_t i = s->len; i > p; i--)
		*at(s, i) = *at(s, i - 1);
	*at(s, p) = ne;
	s->len++;

	if (p == s->len - 1) {
		if (is_value(at(s, p)))
			jitter_step(s, at(s, p));
	} else {
		jitter_redo(s, p);
	}

	/* Expire by time, relative to the newest entry. */
	int64_t horizon = at(s, s->len - 1)->mono_ns - STATS_HORIZON_NS;

	while (s->len > 0 && at(s, 0)->mono_ns <= horizon) {
		s->head = (s->head + 1) % s->cap;
		s->len--;
	}
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* Nearest-rank percentile of n sorted values: rank ceil(p/100 * n). */
static int64_t percentile(const int64_t *v, size_t n, unsigned p)
{
	size_t rank = (p * n + 99) / 100;

	return v[rank ? rank - 1 : 0];
}

static unsigned run_bucket(uint32_t run)
{
	if (run <= 4)
		return run - 1;
	return run < 10 ? 4 : 5;
}

/* Loss runs and their classification, accumulated over one window. */
struct runs {
	uint32_t current, longest;
	uint32_t hist[STATS_RUN_BUCKETS];
	int64_t *starts; /* start times of runs of 2+, filled backwards */
	size_t nstarts;
};

static void run_close(struct runs *r, uint32_t len, int64_t start)
{
	if (len == 0)
		return;
	if (len > r->longest)
		r->longest = len;
	r->hist[run_bucket(len)]++;
	if (len >= 2) {
		*(r->starts - r->nstarts) = start;
		r->nstarts++;
	}
}

/* PERIODIC test of stats.h on the n run starts stored oldest first at
 * starts[0], starts[-1], ... (the k-th oldest is starts[-k]). */
static bool periodic(const int64_t *starts, size_t n, int64_t interval,
		     int64_t *period)
{
	int64_t first, last, mean, tol;

	if (n < 3)
		return false;
	first = *starts;
	last = *(starts - (n - 1));
	mean = (last - first) / (int64_t)(n - 1);
	tol = mean / 10 > 2 * interval ? mean / 10 : 2 * interval;
	if (mean < 5 * interval)
		return false;
	for (size_t k = 0; k + 1 < n; k++) {
		int64_t gap = *(starts - (k + 1)) - *(starts - k);

		if (gap - mean > tol || mean - gap > tol)
			return false;
	}
	*period = mean;
	return true;
}

static void summary(const struct stats_log *s, enum stats_window w,
		    int64_t now_mono_ns, bool quiet, struct stats_summary *out)
{
	int64_t wlen = stats_window_ns(w), lo = now_mono_ns - wlen;
	struct runs runs = { .starts = s->scratch + s->cap - 1 };
	size_t start, end, n = 0, pairs = 0;
	double mean = 0, m2 = 0, ipdv_sum = 0, last_j = 0;
	bool prev_is_value = false;
	int64_t prev_v = 0, run_start = 0;
	uint32_t run = 0;

	memset(out, 0, sizeof(*out));
	out->window_ns = wlen;
	out->min = out->avg = out->max = out->stddev = BB_NONE;
	out->p50 = out->p95 = out->p99 = BB_NONE;
	out->ipdv_mean = out->jitter_rfc3550 = out->peak_to_peak = BB_NONE;
	out->loss_period_ns = BB_NONE;
	out->last_value = BB_NONE;
	out->last_mono_ns = BB_NONE;
	out->last_status = BB_STATUS_COUNT;
	out->pattern = STATS_LOSS_NONE;
	out->truncated = s->evicted_mono != BB_NONE && s->evicted_mono > lo;

	end = s->len;
	while (end > 0 && at(s, end - 1)->mono_ns > now_mono_ns)
		end--;
	start = end;
	while (start > 0 && at(s, start - 1)->mono_ns > lo)
		start--;

	for (size_t i = start; i < end; i++) {
		const struct entry *e = at(s, i);

		if (e->flags & BB_SAMPLE_REORDERED)
			out->reordered++;
		if (e->flags & BB_SAMPLE_DUPLICATE)
			out->duplicates++;
		if (e->flags & BB_SAMPLE_LATE)
			out->late++;
		if (e->annot)
			continue;
		if (e->flags & BB_SAMPLE_UNDER_LOAD) {
			out->under_load++;
			if (quiet) {
				prev_is_value = false;
				continue;
			}
		}

		out->count++;
		out->last_value = e->value;
		out->last_status = e->status;
		out->last_mono_ns = e->mono_ns;
		if (e->status != BB_STATUS_OK) {
			out->lost++;
			if (run++ == 0)
				run_start = e->mono_ns;
			prev_is_value = false;
			continue;
		}
		run_close(&runs, run, run_start);
		run = 0;
		if (e->value == BB_NONE) {
			prev_is_value = false;
			continue;
		}

		/* Welford's running mean and sum of squared deviations. */
		double x = (double)e->value, delta = x - mean;

		s->scratch[n++] = e->value;
		mean += delta / (double)n;
		m2 += delta * (x - mean);
		if (prev_is_value) {
			ipdv_sum += fabs(x - (double)prev_v);
			pairs++;
		}
		prev_is_value = true;
		prev_v = e->value;
		last_j = e->jitter;
	}
	run_close(&runs, run, run_start);
	out->loss_run_current = run;
	out->loss_run_longest = runs.longest;
	memcpy(out->loss_run_hist, runs.hist, sizeof(out->loss_run_hist));

	if (out->count > 0)
		out->loss_pct = 100.0 * out->lost / out->count;
	if (out->lost == 0)
		out->pattern = STATS_LOSS_NONE;
	else if (periodic(runs.starts, runs.nstarts, s->interval_ns,
			  &out->loss_period_ns))
		out->pattern = STATS_LOSS_PERIODIC;
	else if (runs.longest >= 3)
		out->pattern = STATS_LOSS_BURST;
	else
		out->pattern = STATS_LOSS_SCATTERED;

	if (n == 0)
		return;
	qsort(s->scratch, n, sizeof(s->scratch[0]), cmp_i64);
	out->min = s->scratch[0];
	out->max = s->scratch[n - 1];
	out->peak_to_peak = out->max - out->min;
	out->avg = llround(mean);
	out->stddev = llround(sqrt(m2 / (double)n));
	out->p50 = percentile(s->scratch, n, 50);
	out->p95 = percentile(s->scratch, n, 95);
	out->p99 = percentile(s->scratch, n, 99);
	out->jitter_rfc3550 = llround(last_j);
	if (pairs > 0)
		out->ipdv_mean = llround(ipdv_sum / (double)pairs);
}

void stats_log_summary(const struct stats_log *s, enum stats_window w,
		       int64_t now_mono_ns, struct stats_summary *out)
{
	summary(s, w, now_mono_ns, false, out);
}

void stats_log_summary_quiet(const struct stats_log *s, enum stats_window w,
			     int64_t now_mono_ns, struct stats_summary *out)
{
	summary(s, w, now_mono_ns, true, out);
}

size_t stats_log_recent(const struct stats_log *s, int64_t *values, size_t max)
{
	return stats_log_recent_load(s, values, NULL, max);
}

size_t stats_log_recent_load(const struct stats_log *s, int64_t *values,
			     bool *loaded, size_t max)
{
	size_t i = s->len, k = 0, n = 0;

	/* Walk back to the oldest of the last `max` probes... */
	while (i > 0 && n < max)
		if (!at(s, --i)->annot)
			n++;
	/* ...then copy forward. */
	for (; i < s->len && k < n; i++) {
		const struct entry *e = at(s, i);

		if (e->annot)
			continue;
		if (loaded)
			loaded[k] = (e->flags & BB_SAMPLE_UNDER_LOAD) != 0;
		if (e->status != BB_STATUS_OK)
			values[k++] = STATS_LOST;
		else
			values[k++] = e->value;
	}
	return k;
}
