// SPDX-License-Identifier: MIT
/*
 * The front end's one source (see source.h): the calls every kind shares,
 * and the live kind, a thin shell over the monitor.  The recording kind is
 * in source_replay.c.
 */
#include "core/engine/source.h"

#include <errno.h>
#include <ev.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/analysis/detect.h"
#include "core/analysis/model.h"
#include "core/analysis/path.h"
#include "core/base/clock.h"
#include "core/base/config.h"
#include "core/engine/monitor.h"

/* ---- shared ------------------------------------------------------------- */

void source_on(struct source *src, const struct source_handlers *h)
{
	src->h = *h;
}

struct ev_loop *source_loop(struct source *src)
{
	return src->ops->loop(src);
}

int source_start(struct source *src)
{
	return src->ops->start(src);
}

void source_run(struct source *src)
{
	ev_run(source_loop(src), 0);
}

void source_quit(struct source *src)
{
	ev_break(source_loop(src), EVBREAK_ALL);
}

void source_finish(struct source *src)
{
	src->ops->finish(src);
}

void source_free(struct source *src)
{
	if (src)
		src->ops->free(src);
}

struct model *source_model(struct source *src)
{
	return src->ops->model(src);
}

const struct bb_config *source_config(struct source *src)
{
	return src->ops->config(src);
}

size_t source_verdict(struct source *src, char *buf, size_t len)
{
	return src->ops->verdict(src, buf, len);
}

void source_status(struct source *src, struct source_status *st)
{
	src->ops->status(src, st);
}

int source_ask_history(struct source *src, const struct model_series *ms,
		       int level, int64_t from_ms, int64_t to_ms,
		       uint64_t token)
{
	return src->ops->ask_history(src, ms, level, from_ms, to_ms, token);
}

int source_bloat(struct source *src, bool start)
{
	return src->ops->bloat ? src->ops->bloat(src, start) : -ENOTSUP;
}

int source_seek(struct source *src, int64_t ms)
{
	return src->ops->seek ? src->ops->seek(src, ms) : -ENOTSUP;
}

int source_advance(struct source *src, int64_t delta_ms)
{
	return src->ops->advance ? src->ops->advance(src, delta_ms) : -ENOTSUP;
}

int source_seek_event(struct source *src, int dir)
{
	return src->ops->seek_event ? src->ops->seek_event(src, dir) : -ENOTSUP;
}

const struct engine_plan *source_plan(struct source *src)
{
	return src->ops->plan ? src->ops->plan(src) : NULL;
}

struct playback *source_playback(struct source *src)
{
	return src->ops->playback ? src->ops->playback(src) : NULL;
}

const char *source_last_error(struct source *src)
{
	return src->ops->last_error ? src->ops->last_error(src) : "";
}

/* ---- live --------------------------------------------------------------- */

/* The rate counts samples by the second they were sent in, over whole
 * seconds old enough that their losses (reported at the timeout) are in:
 * a probe a second shows 1.0, not 0.8 or 1.6 as frames fall.  Traffic
 * readings (kernel counters, nothing sent) are not counted. */
#define RATE_SECS 64
#define RATE_WIN  10

struct live {
	struct source base;
	struct monitor *mon;
	uint64_t rate_samples; /* before a whole second is settled */
	int64_t rate_ns;
	double rate;
	uint32_t per_s[RATE_SECS]; /* samples sent in second per_s_sec[] */
	int64_t per_s_sec[RATE_SECS];
	int64_t first_sec; /* of the first sample, 0 = none yet */
};

static struct live *live_of(struct source *src)
{
	return (struct live *)src;
}

static void live_sample(void *ctx, const struct bb_sample *s)
{
	struct source *src = ctx;
	struct live *l = live_of(src);
	/* probes only: a traffic reading sends nothing */
	int64_t sec =
		s && s->kind != BB_KIND_TRAFFIC ? s->mono_ns / BB_NS_PER_S : 0;
	size_t k = (size_t)(sec % RATE_SECS);

	if (sec > 0) {
		if (l->per_s_sec[k] != sec)
			l->per_s_sec[k] = sec, l->per_s[k] = 0;
		l->per_s[k]++;
		if (!l->first_sec || sec < l->first_sec)
			l->first_sec = sec;
	}
	if (src->h.sample)
		src->h.sample(src->h.ctx, s);
}

static void live_event(void *ctx, const struct bb_event *ev)
{
	struct source *src = ctx;
	if (src->h.event)
		src->h.event(src->h.ctx, ev);
}

static void live_history(void *ctx, uint64_t token, int status,
			 const struct store_agg *rows, size_t n)
{
	struct source *src = ctx;
	if (src->h.history)
		src->h.history(src->h.ctx, token, status, rows, n);
}

static struct ev_loop *live_loop(struct source *src)
{
	return monitor_loop(live_of(src)->mon);
}

static int live_start(struct source *src)
{
	return monitor_start(live_of(src)->mon);
}

static void live_finish(struct source *src)
{
	monitor_finish(live_of(src)->mon);
}

static void live_free(struct source *src)
{
	monitor_free(live_of(src)->mon);
	free(src);
}

static struct model *live_model(struct source *src)
{
	return monitor_model(live_of(src)->mon);
}

static const struct bb_config *live_config(struct source *src)
{
	return monitor_config(live_of(src)->mon);
}

static size_t live_verdict(struct source *src, char *buf, size_t len)
{
	detect_verdict(monitor_detect(live_of(src)->mon), buf, len);
	return path_verdict(model_paths(live_model(src)), buf, len);
}

static void live_status(struct source *src, struct source_status *st)
{
	struct live *l = live_of(src);
	struct monitor_status ms;
	int64_t now = clock_mono_ns();

	monitor_status(l->mon, &ms);
	*st = (struct source_status){ 0 };
	st->now_mono_ns = now;
	st->now_ms = clock_real_ns() / BB_NS_PER_MS;
	st->uptime_s = ms.started_mono_ns
			       ? (now - ms.started_mono_ns) / BB_NS_PER_S
			       : 0;
	int64_t lag =
		monitor_config(l->mon)->general.probe_timeout_ms / 1000 + 2;
	int64_t end = now / BB_NS_PER_S - (lag < RATE_SECS - RATE_WIN - 1
						   ? lag
						   : RATE_SECS - RATE_WIN - 1);
	/* the first second is a part of one: not counted */
	int64_t from = end - RATE_WIN > l->first_sec + 1 ? end - RATE_WIN
							 : l->first_sec + 1;

	if (l->first_sec && end > from) {
		uint64_t n = 0;

		for (int64_t sec = from; sec < end; sec++)
			if (l->per_s_sec[sec % RATE_SECS] == sec)
				n += l->per_s[sec % RATE_SECS];
		l->rate = (double)n / (double)(end - from);
	} else if (now - l->rate_ns >= BB_NS_PER_S) {
		/* the first seconds: over the last second or more */
		if (l->rate_ns)
			l->rate = (double)(ms.samples - l->rate_samples) * 1e9 /
				  (double)(now - l->rate_ns);
		l->rate_samples = ms.samples;
		l->rate_ns = now;
	}
	st->rate = l->rate;
	st->dropped = ms.dropped_engine + ms.dropped_storage;
	st->has_server = monitor_config(l->mon)->n_servers > 0;
	st->interval_ms = monitor_config(l->mon)->general.test_interval_ms;
}

static int live_ask_history(struct source *src, const struct model_series *ms,
			    int level, int64_t from_ms, int64_t to_ms,
			    uint64_t token)
{
	return monitor_ask_series_history(live_of(src)->mon, ms, level, from_ms,
					  to_ms, token);
}

static int live_bloat(struct source *src, bool start)
{
	struct monitor *m = live_of(src)->mon;
	return start ? monitor_request_bloat(m) : monitor_cancel_bloat(m);
}

static const struct engine_plan *live_plan(struct source *src)
{
	return monitor_plan(live_of(src)->mon);
}

static const struct source_ops live_ops = {
	.plan = live_plan,
	.loop = live_loop,
	.start = live_start,
	.finish = live_finish,
	.free = live_free,
	.model = live_model,
	.config = live_config,
	.verdict = live_verdict,
	.status = live_status,
	.ask_history = live_ask_history,
	.bloat = live_bloat,
};

struct source *source_live_new(const struct monitor_options *o, char *err,
			       size_t errlen, int *exit_code)
{
	struct live *l = calloc(1, sizeof(*l));
	if (!l) {
		snprintf(err, errlen, "out of memory");
		*exit_code = 1;
		return NULL;
	}
	l->base.ops = &live_ops;
	l->mon = monitor_new(o, err, errlen, exit_code);
	if (!l->mon) {
		free(l);
		return NULL;
	}
	monitor_on_sample(l->mon, live_sample, &l->base);
	monitor_on_event(l->mon, live_event, &l->base);
	monitor_on_history(l->mon, live_history, &l->base);
	return &l->base;
}
