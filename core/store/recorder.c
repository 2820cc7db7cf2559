// SPDX-License-Identifier: MIT
/*
 * The storage thread.  It alone calls the store while it runs.  Samples
 * popped from the ring go to `pending` (a flat array, oldest first) and leave
 * it only when committed or dropped; events go to a small array likewise.
 * A write failure starts a backoff (250 ms doubling to 8 s) during which
 * nothing is attempted; while failing, a full `pending` makes room by
 * dropping its oldest batch, so the producers' ring keeps draining.  The
 * thread wakes every 50 ms (or at once on stop or on a question);
 * counters are atomics.  Questions are answered after the pending writes
 * were tried, so an answer sees every sample that arrived before it.
 */
#include "core/store/recorder.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/base/clock.h"
#include "core/analysis/event.h"
#include "core/store/history.h"
#include "core/base/ring.h"
#include "core/base/sample.h"
#include "core/store/store.h"

#define TICK_MS		   50
#define BACKOFF_MIN_MS	   250
#define BACKOFF_MAX_MS	   8000
#define MAX_PENDING_EVENTS 256

struct recorder {
	struct store *st;
	struct ring *samples, *events;
	struct ring *asks, *answers; /* main -> storage -> main */
	struct recorder_opts o;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	atomic_bool stop;

	struct bb_sample *pending;
	size_t npending;
	struct bb_event *ev_pending;
	size_t nev;
	bool failing;	  /* last write failed; until a write succeeds */
	int64_t retry_at; /* mono ns: no write before */
	int64_t backoff_ms;
	int64_t last_write, last_rollup; /* mono ns */
	/* retention: the cut-offs of the pass under way, what it deleted */
	struct store_purge purge;
	struct store_purge_count purged;
	bool purge_more, reclaim_more;
	int64_t last_purge; /* mono ns of the last delete or reclaim step */

	_Atomic uint64_t written, failed_batches, dropped, events_written,
		events_dropped, rollups, npending_pub, npurged, nreclaimed;
};

static void logf_(struct recorder *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void logf_(struct recorder *r, const char *fmt, ...)
{
	char msg[768];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (r->o.log)
		r->o.log(r->o.log_ctx, msg);
	else
		fprintf(stderr, "bufferbane: recorder: %s\n", msg);
}

static void drop_oldest(struct recorder *r, size_t k, const char *why)
{
	if (k > r->npending)
		k = r->npending;
	memmove(r->pending, r->pending + k,
		(r->npending - k) * sizeof(*r->pending));
	r->npending -= k;
	atomic_fetch_add(&r->dropped, k);
	logf_(r, "dropped %zu samples (%s)", k, why);
}

/* Move ring items into the pending arrays. */
static void drain(struct recorder *r)
{
	for (;;) {
		while (r->npending < r->o.max_pending &&
		       ring_pop(r->samples, &r->pending[r->npending]))
			r->npending++;
		if (r->npending < r->o.max_pending || !r->failing ||
		    ring_count(r->samples) == 0)
			break;
		drop_oldest(r, r->o.batch_max,
			    "database unavailable and the retry buffer is "
			    "full");
	}
	struct bb_event ev;
	while (r->events && ring_pop(r->events, &ev)) {
		if (r->nev == MAX_PENDING_EVENTS) {
			memmove(r->ev_pending, r->ev_pending + 1,
				(r->nev - 1) * sizeof(*r->ev_pending));
			r->nev--;
			atomic_fetch_add(&r->events_dropped, 1);
			logf_(r, "dropped an event (retry buffer full)");
		}
		r->ev_pending[r->nev++] = ev;
	}
	atomic_store(&r->npending_pub, r->npending);
}

static void failed(struct recorder *r, int64_t now, const char *what)
{
	if (!r->failing)
		logf_(r, "%s failed, will retry: %s", what,
		      store_last_error(r->st));
	r->failing = true;
	r->backoff_ms = r->backoff_ms ? r->backoff_ms * 2 : BACKOFF_MIN_MS;
	if (r->backoff_ms > BACKOFF_MAX_MS)
		r->backoff_ms = BACKOFF_MAX_MS;
	r->retry_at = now + r->backoff_ms * BB_NS_PER_MS;
}

/* Write pending events then samples; stops at the first failure. */
static void flush(struct recorder *r, int64_t now)
{
	while (r->nev) {
		int64_t id = store_event_write(r->st, &r->ev_pending[0]);
		if (id < 0 && id != -ENOENT && id != -EINVAL) {
			atomic_fetch_add(&r->failed_batches, 1);
			failed(r, now, "writing an event");
			return;
		}
		if (id < 0) {
			atomic_fetch_add(&r->events_dropped, 1);
			logf_(r, "dropped an event: %s",
			      store_last_error(r->st));
		} else {
			atomic_fetch_add(&r->events_written, 1);
		}
		memmove(r->ev_pending, r->ev_pending + 1,
			(r->nev - 1) * sizeof(*r->ev_pending));
		r->nev--;
	}
	while (r->npending) {
		size_t k = r->npending < r->o.batch_max ? r->npending
							: r->o.batch_max;
		int rc = store_write_samples(r->st, r->pending, k);
		if (rc == -EINVAL) {
			drop_oldest(r, k, store_last_error(r->st));
			continue;
		}
		if (rc < 0) {
			atomic_fetch_add(&r->failed_batches, 1);
			failed(r, now, "writing samples");
			break;
		}
		memmove(r->pending, r->pending + k,
			(r->npending - k) * sizeof(*r->pending));
		r->npending -= k;
		atomic_fetch_add(&r->written, k);
		if (r->failing)
			logf_(r, "database writable again");
		r->failing = false;
		r->backoff_ms = 0;
	}
	r->last_write = now;
	atomic_store(&r->npending_pub, r->npending);
}

static void rollup(struct recorder *r, int64_t grace_ms)
{
	int rc = store_rollup(r->st, clock_real_ns() / BB_NS_PER_MS - grace_ms);
	if (rc < 0)
		logf_(r, "rollup failed: %s", store_last_error(r->st));
	else
		atomic_fetch_add(&r->rollups, (uint64_t)rc);
}

/* A new retention pass from the configured horizon at the wall clock. */
static void retain_start(struct recorder *r)
{
	if (!r->o.retain)
		return;
	store_purge_horizon(&r->purge, clock_real_ns() / BB_NS_PER_MS,
			    r->o.raw_days, r->o.min1_days, r->o.hour_days,
			    r->o.events_days);
	memset(&r->purged, 0, sizeof(r->purged));
	r->purge_more = r->purge.raw_ms || r->purge.min1_ms ||
			r->purge.hour_ms || r->purge.events_ms;
}

/* One bounded step of the retention pass, then of giving pages back. */
static void retain_step(struct recorder *r, int64_t now)
{
	if (now - r->last_purge < r->o.retain_gap_ms * BB_NS_PER_MS)
		return;
	r->last_purge = now;
	if (r->purge_more) {
		uint64_t before = (uint64_t)r->purged.samples;
		int rc = store_purge_step(r->st, &r->purge, r->o.retain_rows,
					  &r->purged);
		atomic_fetch_add(&r->npurged,
				 (uint64_t)r->purged.samples - before);
		if (rc == 1)
			return;
		r->purge_more = false;
		if (rc < 0) {
			logf_(r, "retention failed, will retry: %s",
			      store_last_error(r->st));
			return;
		}
		const struct store_purge_count *d = &r->purged;
		if (d->blocks + d->min1 + d->hours + d->events)
			logf_(r,
			      "retention: deleted %" PRId64 " samples, %" PRId64
			      " 1-min and %" PRId64
			      " 1-hour rollup rows, %" PRId64 " events",
			      d->samples, d->min1, d->hours, d->events);
		r->reclaim_more = d->blocks + d->min1 + d->hours + d->events;
		return;
	}
	if (r->reclaim_more) {
		int rc = store_reclaim(r->st, r->o.retain_rows, NULL);
		if (rc > 0)
			atomic_fetch_add(&r->nreclaimed, (uint64_t)rc);
		else
			r->reclaim_more = false;
	}
}

static void wait_tick(struct recorder *r)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_nsec += TICK_MS * BB_NS_PER_MS;
	if (ts.tv_nsec >= BB_NS_PER_S) {
		ts.tv_sec++;
		ts.tv_nsec -= BB_NS_PER_S;
	}
	pthread_mutex_lock(&r->lock);
	if (!atomic_load(&r->stop))
		pthread_cond_timedwait(&r->wake, &r->lock, &ts);
	pthread_mutex_unlock(&r->lock);
}

/* At stop: write everything, retrying until stop_timeout_ms. */
static void final_flush(struct recorder *r)
{
	int64_t deadline =
		clock_mono_ns() + r->o.stop_timeout_ms * BB_NS_PER_MS;
	for (;;) {
		drain(r);
		int64_t now = clock_mono_ns();
		if (now >= r->retry_at)
			flush(r, now);
		bool empty = !r->npending && !r->nev &&
			     ring_count(r->samples) == 0 &&
			     (!r->events || ring_count(r->events) == 0);
		if (empty || now >= deadline)
			break;
		struct timespec ts = { 0, TICK_MS * BB_NS_PER_MS };
		nanosleep(&ts, NULL);
	}
	drain(r);
	if (r->npending)
		drop_oldest(r, r->npending, "database unavailable at stop");
	if (r->nev) {
		atomic_fetch_add(&r->events_dropped, r->nev);
		logf_(r, "dropped %zu events (database unavailable at stop)",
		      r->nev);
		r->nev = 0;
	}
	atomic_store(&r->npending_pub, 0);
	if (!r->failing)
		rollup(r, 0);
}

struct row_list {
	struct store_agg *rows;
	size_t n, cap;
};

static int keep_row(void *ctx, const struct store_agg *a)
{
	struct row_list *l = ctx;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 256;
		struct store_agg *p = realloc(l->rows, cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		l->rows = p;
		l->cap = cap;
	}
	l->rows[l->n++] = *a;
	return 0;
}

/* Answer every question waiting; an answer that finds the answers ring
 * full (nobody polls) is dropped with its rows. */
static void answer(struct recorder *r)
{
	struct recorder_ask q;
	bool any = false;
	while (ring_pop(r->asks, &q)) {
		struct recorder_answer a = { .what = q.what, .token = q.token };
		if (q.what == RECORDER_ASK_PEAK_HOURS) {
			a.status =
				history_peak_hours(r->st, q.to_ms, 7, &a.peak);
		} else {
			struct row_list l = { 0 };
			a.status = store_read_series_aggs(
				r->st, q.level, q.interface, q.kind, q.target,
				q.server, q.from_ms, q.to_ms, keep_row, &l);
			if (a.status < 0)
				free(l.rows);
			else
				a.rows = l.rows, a.nrows = l.n;
		}
		if (a.status < 0 && a.status != -ENOENT)
			logf_(r, "reading the history failed: %s",
			      store_last_error(r->st));
		if (!ring_push(r->answers, &a))
			free(a.rows);
		any = true;
	}
	if (any && r->o.answered)
		r->o.answered(r->o.answered_ctx);
}

static void *run(void *arg)
{
	struct recorder *r = arg;
	int64_t interval = r->o.batch_interval_ms * BB_NS_PER_MS;
	int64_t rollup_every = r->o.rollup_interval_ms * BB_NS_PER_MS;
	r->last_write = r->last_rollup = clock_mono_ns();
	retain_start(r);
	while (!atomic_load(&r->stop)) {
		drain(r);
		int64_t now = clock_mono_ns();
		bool due = r->nev || r->npending >= r->o.batch_max ||
			   (r->npending && now - r->last_write >= interval);
		if (due && now >= r->retry_at)
			flush(r, now);
		if (now - r->last_rollup >= rollup_every && !r->failing) {
			rollup(r, r->o.rollup_grace_ms);
			r->last_rollup = now;
			if (!r->purge_more && !r->reclaim_more)
				retain_start(r);
		}
		/* between commits: a step is a few ms, a commit waits for
		 * at most one */
		if ((r->purge_more || r->reclaim_more) && !r->failing)
			retain_step(r, clock_mono_ns());
		answer(r);
		if (ring_count(r->samples) < r->o.batch_max || r->failing)
			wait_tick(r);
	}
	final_flush(r);
	return NULL;
}

struct recorder *recorder_start(struct store *st, struct ring *samples,
				struct ring *events,
				const struct recorder_opts *opts, char *err,
				size_t errlen)
{
	struct recorder *r = calloc(1, sizeof(*r));
	if (!r) {
		snprintf(err, errlen, "recorder: out of memory");
		return NULL;
	}
	r->st = st;
	r->samples = samples;
	r->events = events;
	if (opts)
		r->o = *opts;
#define DEF(f, v) (r->o.f = r->o.f > 0 ? r->o.f : (v))
	DEF(batch_interval_ms, 500);
	DEF(batch_max, 1000);
	DEF(rollup_interval_ms, 60000);
	DEF(rollup_grace_ms, 30000);
	DEF(max_pending, 20000);
	DEF(stop_timeout_ms, 5000);
	DEF(retain_rows, 256);
	DEF(retain_gap_ms, 100);
#undef DEF
	if (r->o.max_pending < r->o.batch_max)
		r->o.max_pending = r->o.batch_max;
	r->pending = calloc(r->o.max_pending, sizeof(*r->pending));
	r->ev_pending = calloc(MAX_PENDING_EVENTS, sizeof(*r->ev_pending));
	r->asks = ring_new(RECORDER_MAX_ASKS, sizeof(struct recorder_ask));
	r->answers =
		ring_new(RECORDER_MAX_ASKS, sizeof(struct recorder_answer));
	if (!r->pending || !r->ev_pending || !r->asks || !r->answers) {
		snprintf(err, errlen, "recorder: out of memory for %zu samples",
			 r->o.max_pending);
		goto fail;
	}
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&r->wake, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&r->lock, NULL);
	int rc = pthread_create(&r->thread, NULL, run, r);
	if (rc) {
		snprintf(err, errlen, "recorder: pthread_create: %s",
			 strerror(rc));
		pthread_cond_destroy(&r->wake);
		pthread_mutex_destroy(&r->lock);
		goto fail;
	}
	return r;
fail:
	ring_free(r->asks);
	ring_free(r->answers);
	free(r->pending);
	free(r->ev_pending);
	free(r);
	return NULL;
}

int recorder_ask(struct recorder *r, const struct recorder_ask *q)
{
	if (!ring_push(r->asks, q))
		return -EAGAIN;
	pthread_mutex_lock(&r->lock);
	pthread_cond_signal(&r->wake);
	pthread_mutex_unlock(&r->lock);
	return 0;
}

bool recorder_answer(struct recorder *r, struct recorder_answer *out)
{
	return ring_pop(r->answers, out);
}

void recorder_stats(const struct recorder *rec, struct recorder_stats *out)
{
	struct recorder *r = (struct recorder *)rec;
	out->written = atomic_load(&r->written);
	out->failed_batches = atomic_load(&r->failed_batches);
	out->dropped = atomic_load(&r->dropped);
	out->events_written = atomic_load(&r->events_written);
	out->events_dropped = atomic_load(&r->events_dropped);
	out->rollups = atomic_load(&r->rollups);
	out->pending = atomic_load(&r->npending_pub);
	out->purged = atomic_load(&r->npurged);
	out->reclaimed_pages = atomic_load(&r->nreclaimed);
}

int recorder_stop(struct recorder *r, struct recorder_stats *final)
{
	if (!r)
		return 0;
	pthread_mutex_lock(&r->lock);
	atomic_store(&r->stop, true);
	pthread_cond_signal(&r->wake);
	pthread_mutex_unlock(&r->lock);
	pthread_join(r->thread, NULL);
	struct recorder_stats s;
	recorder_stats(r, &s);
	if (final)
		*final = s;
	pthread_cond_destroy(&r->wake);
	pthread_mutex_destroy(&r->lock);
	struct recorder_answer a;
	while (ring_pop(r->answers, &a))
		free(a.rows);
	ring_free(r->asks);
	ring_free(r->answers);
	free(r->pending);
	free(r->ev_pending);
	free(r);
	return s.dropped || s.events_dropped ? -EIO : 0;
}
