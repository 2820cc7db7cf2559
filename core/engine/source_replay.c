// SPDX-License-Identifier: MIT
/*
 * The recording kind of source (see source.h): a playback (core/store) whose
 * samples go through the same feed as live ones (core/engine/feed.h): the
 * model, the detectors, the clock-sync events.  The detectors tick once a
 * second of the recording's timeline, as live they tick once a second of
 * the wall clock.  A recording holds samples in send order, but live saw
 * each one when it was decided: an answer after its RTT, a loss only when
 * its timeout ran out.  Replay holds each sample back until that moment
 * (the arrival queue below), so the detectors see the order and the ticks
 * live saw and the verdict at a moment is the one live reached then.
 *
 * A move back, or forward by over an hour, is a seek: playback rebuilds the
 * model from the hour before the clock (and the newest throughput and
 * bufferbloat results before it, as live still shows its last test hours
 * later) and the detector from the hour too, from
 * nothing (its windows hold at most that hour; baselines learnt over
 * longer, and the peak-hour diagnosis of days of rollups, are not
 * rebuilt).
 *
 * Events: the recorded ones, delivered as the clock passes their start and
 * end (a seek starts the list over), since some were never decided from
 * samples (a gateway change).  The detector's own events only shape its
 * verdict; they are the recorded ones when the recording is whole.  What
 * live knew beside the samples comes from the recorded events too: an
 * interface without a default route through each outage recorded so
 * ("no_route": true), for the verdict's words on it.
 */
#include "core/engine/source.h"

#include <errno.h>
#include <ev.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/analysis/detect.h"
#include "core/analysis/event.h"
#include "core/analysis/model.h"
#include "core/analysis/path.h"
#include "core/analysis/stats.h"
#include "core/base/clock.h"
#include "core/base/config.h"
#include "core/engine/feed.h"
#include "core/store/playback.h"
#include "core/store/store.h"

/* Past this many seconds without a sample, the ticks jump (an hour of
 * silent seconds decides nothing a tick at its end does not). */
#define MAX_TICKS_IN_GAP 120

/* Samples read but not yet "arrived", a binary heap on arrival time. */
struct arrivals {
	struct bb_sample *v;
	size_t n, cap;
};

/* An outage live recorded while the interface had no default route. */
struct no_route {
	int64_t start_ms, end_ms; /* end INT64_MAX while open */
	char iface[BB_IFNAME_LEN];
};

struct rsrc {
	struct source base;
	struct bb_config cfg;
	struct ev_loop *loop;
	struct playback *pb;
	struct feed feed;     /* model: the playback's; detect: ours */
	struct arrivals held; /* read, waiting for their arrival time */
	int64_t timeout_ns;   /* when live declared a probe lost */
	int64_t next_tick;    /* replay timeline ns; 0 before the first */
	bool rebuilt;	      /* the last move started a new model */
	int64_t events_at_ms; /* the clock the event list was sent for */
	ev_signal sigint, sigterm;
	char error[256];
	struct no_route *no_route; /* from the recorded events, by start */
	size_t n_no_route;
	int64_t real_off_ns; /* real - mono of the newest sample delivered */
};

static struct rsrc *rs_of(struct source *src)
{
	return (struct rsrc *)src;
}

/* The recorded outages of an interface without a default route. */
static int no_routes_of(struct rsrc *r)
{
	size_t n, k = 0;
	const struct bb_event *evs = playback_events(r->pb, &n);
	for (size_t i = 0; i < n; i++)
		k += !strcmp(evs[i].kind, "micro_disconnect") &&
		     strstr(evs[i].metrics, "\"no_route\":true");
	if (!k)
		return 0;
	r->no_route = calloc(k, sizeof(*r->no_route));
	if (!r->no_route)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const struct bb_event *e = &evs[i];
		if (strcmp(e->kind, "micro_disconnect") ||
		    !strstr(e->metrics, "\"no_route\":true"))
			continue;
		struct no_route *o = &r->no_route[r->n_no_route++];
		o->start_ms = e->start_ms;
		o->end_ms = e->end_ms ? e->end_ms : INT64_MAX;
		snprintf(o->iface, sizeof(o->iface), "%s", e->interface);
	}
	return 0;
}

/* ---- the feed ------------------------------------------------------------ */

static void on_detect_event(void *ctx, const struct bb_event *ev,
			    enum detect_state state)
{
	/* the verdict's business: the recorded events are the list */
	(void)ctx;
	(void)ev;
	(void)state;
}

/* Live told the detector when an interface had no default route (from
 * the engine's gateway search, which no sample records); the recording
 * keeps it in the outages of those times ("no_route": true), so replay
 * tells it at each tick from them: ended ones first, then the open ones,
 * so that back to back outages of one interface leave it without. */
static void routes_at(struct rsrc *r, int64_t tick)
{
	int64_t ms = (tick + r->real_off_ns) / BB_NS_PER_MS;
	int64_t prev = ms - 1000;
	for (size_t i = 0; i < r->n_no_route; i++) {
		const struct no_route *o = &r->no_route[i];
		if (ms >= o->end_ms && prev < o->end_ms)
			detect_route(r->feed.detect, o->iface, true);
	}
	for (size_t i = 0; i < r->n_no_route; i++) {
		const struct no_route *o = &r->no_route[i];
		if (ms >= o->start_ms && ms < o->end_ms)
			detect_route(r->feed.detect, o->iface, false);
	}
}

static void tick(struct rsrc *r, int64_t t)
{
	if (r->n_no_route)
		routes_at(r, t);
	detect_tick(r->feed.detect, t);
}

static void tick_to(struct rsrc *r, int64_t t)
{
	if (!r->feed.detect || !r->next_tick)
		return;
	if (t - r->next_tick > MAX_TICKS_IN_GAP * BB_NS_PER_S) {
		tick(r, r->next_tick);
		r->next_tick = t - t % BB_NS_PER_S;
	}
	for (; r->next_tick <= t; r->next_tick += BB_NS_PER_S)
		tick(r, r->next_tick);
}

/* When live learnt of s: its answer after the RTT, its loss at the
 * timeout; an error at once. */
static int64_t arrival_of(const struct rsrc *r, const struct bb_sample *s)
{
	if (s->status == BB_STATUS_OK && s->rtt_ns != BB_NONE && s->rtt_ns > 0)
		return s->mono_ns +
		       (s->rtt_ns < r->timeout_ns ? s->rtt_ns : r->timeout_ns);
	return s->status == BB_STATUS_TIMEOUT ? s->mono_ns + r->timeout_ns
					      : s->mono_ns;
}

static bool arrives_before(const struct rsrc *r, const struct bb_sample *a,
			   const struct bb_sample *b)
{
	int64_t ta = arrival_of(r, a), tb = arrival_of(r, b);
	return ta < tb || (ta == tb && a->mono_ns < b->mono_ns);
}

static int hold(struct rsrc *r, const struct bb_sample *s)
{
	struct arrivals *h = &r->held;
	if (h->n == h->cap) {
		size_t cap = h->cap ? 2 * h->cap : 256;
		struct bb_sample *v = realloc(h->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		h->v = v;
		h->cap = cap;
	}
	size_t i = h->n++;
	h->v[i] = *s;
	while (i && arrives_before(r, &h->v[i], &h->v[(i - 1) / 2])) {
		struct bb_sample t = h->v[i];
		h->v[i] = h->v[(i - 1) / 2];
		h->v[(i - 1) / 2] = t;
		i = (i - 1) / 2;
	}
	return 0;
}

/* Take the earliest arrival out of the heap into *out. */
static void pop_first(struct rsrc *r, struct bb_sample *out)
{
	struct arrivals *h = &r->held;
	*out = h->v[0];
	h->v[0] = h->v[--h->n];
	for (size_t i = 0;;) {
		size_t l = 2 * i + 1, m = i;
		if (l < h->n && arrives_before(r, &h->v[l], &h->v[m]))
			m = l;
		if (l + 1 < h->n && arrives_before(r, &h->v[l + 1], &h->v[m]))
			m = l + 1;
		if (m == i)
			break;
		struct bb_sample t = h->v[i];
		h->v[i] = h->v[m];
		h->v[m] = t;
		i = m;
	}
}

static void deliver(struct rsrc *r, const struct bb_sample *s)
{
	int64_t at = arrival_of(r, s);
	r->real_off_ns = s->real_ns - s->mono_ns;
	tick_to(r, at);
	if (!r->next_tick)
		r->next_tick = at - at % BB_NS_PER_S + BB_NS_PER_S;
	feed_sample(&r->feed, s);
	if (r->base.h.sample)
		r->base.h.sample(r->base.h.ctx, s);
}

/* Every held sample that had arrived by t, in arrival order. */
static void deliver_until(struct rsrc *r, int64_t t)
{
	while (r->held.n && arrival_of(r, &r->held.v[0]) <= t) {
		struct bb_sample s;
		pop_first(r, &s);
		deliver(r, &s);
	}
}

static void on_feed(void *ctx, struct model *m, const struct bb_sample *s)
{
	struct rsrc *r = ctx;

	if (!s) {
		/* a new model: a new detector, from nothing */
		detect_free(r->feed.detect);
		memset(&r->feed, 0, sizeof(r->feed));
		r->held.n = 0;
		r->feed.model = m;
		r->feed.detect = detect_new(
			detect_params_from_config(&r->cfg,
						  &(struct detect_params){ 0 }),
			on_detect_event, r);
		r->next_tick = 0;
		r->rebuilt = true;
		if (r->base.h.sample)
			r->base.h.sample(r->base.h.ctx, NULL);
		return;
	}
	r->feed.model = m;
	/* samples come in send order: whatever arrived before this one was
	 * sent is due now */
	deliver_until(r, s->mono_ns);
	if (hold(r, s) < 0)
		deliver(r, s); /* out of memory: at once, out of order */
	deliver_until(r, s->mono_ns);
}

/* ---- events -------------------------------------------------------------- */

static void put_event(struct rsrc *r, const struct bb_event *ev, int64_t clk)
{
	struct bb_event e = *ev;
	if (e.end_ms > clk)
		e.end_ms = 0; /* still open at the replay clock */
	r->base.h.event(r->base.h.ctx, &e);
}

/* Send what changed in the event list since it was sent for
 * events_at_ms: all of it again after a rebuild. */
static void send_events(struct rsrc *r, bool all)
{
	size_t n;
	const struct bb_event *evs = playback_events(r->pb, &n);
	int64_t clk = playback_clock_ms(r->pb), was = r->events_at_ms;

	if (!r->base.h.event)
		return;
	if (all || clk < was)
		r->base.h.event(r->base.h.ctx, NULL);
	for (size_t i = 0; i < n && evs[i].start_ms <= clk; i++) {
		const struct bb_event *e = &evs[i];
		bool fresh = all || clk < was || e->start_ms > was;
		bool ended = e->end_ms && e->end_ms > was && e->end_ms <= clk;
		if (fresh || ended)
			put_event(r, e, clk);
	}
	r->events_at_ms = clk;
}

/* After every move: tick to the clock, and the events up to it. */
static int moved(struct rsrc *r, int rc)
{
	if (rc < 0) {
		snprintf(r->error, sizeof(r->error), "%s",
			 *playback_last_error(r->pb)
				 ? playback_last_error(r->pb)
				 : strerror(-rc));
		if (r->rebuilt && playback_model(r->pb) != r->feed.model) {
			/* the half-built model is gone, and with it what the
			 * detector pointed at: the next move rebuilds both */
			detect_free(r->feed.detect);
			r->feed.detect = NULL;
			r->feed.model = playback_model(r->pb);
		}
	} else {
		r->error[0] = '\0';
		deliver_until(r, playback_now_mono(r->pb));
		tick_to(r, playback_now_mono(r->pb));
	}
	send_events(r, r->rebuilt);
	r->rebuilt = false;
	return rc;
}

/* ---- ops ----------------------------------------------------------------- */

static struct ev_loop *rs_loop(struct source *src)
{
	return rs_of(src)->loop;
}

static void on_quit_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
	ev_break(loop, EVBREAK_ALL);
}

static int rs_start(struct source *src)
{
	struct rsrc *r = rs_of(src);

	ev_signal_init(&r->sigint, on_quit_signal, SIGINT);
	ev_signal_init(&r->sigterm, on_quit_signal, SIGTERM);
	ev_signal_start(r->loop, &r->sigint);
	ev_signal_start(r->loop, &r->sigterm);
	return 0;
}

static void rs_finish(struct source *src)
{
	struct rsrc *r = rs_of(src);

	if (ev_is_active(&r->sigint)) {
		ev_signal_stop(r->loop, &r->sigint);
		ev_signal_stop(r->loop, &r->sigterm);
	}
}

static void rs_free(struct source *src)
{
	struct rsrc *r = rs_of(src);

	rs_finish(src);
	detect_free(r->feed.detect);
	playback_close(r->pb);
	config_wipe_secrets(&r->cfg);
	free(r->held.v);
	free(r->no_route);
	free(r);
}

static struct model *rs_model(struct source *src)
{
	return playback_model(rs_of(src)->pb);
}

static const struct bb_config *rs_config(struct source *src)
{
	return &rs_of(src)->cfg;
}

static size_t rs_verdict(struct source *src, char *buf, size_t len)
{
	struct rsrc *r = rs_of(src);

	if (r->feed.detect) {
		detect_verdict(r->feed.detect, buf, len);
		return path_verdict(model_paths(rs_model(src)), buf, len);
	}
	return (size_t)snprintf(buf, len, "%s",
				"The recording could not be read here.");
}

static void rs_status(struct source *src, struct source_status *st)
{
	struct rsrc *r = rs_of(src);
	struct model *m = playback_model(r->pb);
	uint64_t cnt = 0;

	*st = (struct source_status){ 0 };
	st->recording = true;
	st->now_mono_ns = playback_now_mono(r->pb);
	st->now_ms = playback_clock_ms(r->pb);
	st->first_ms = playback_first_ms(r->pb);
	st->last_ms = playback_last_ms(r->pb);
	st->interval_ms =
		(playback_interval_ns(r->pb) + BB_NS_PER_MS / 2) / BB_NS_PER_MS;
	if (st->interval_ms < 1)
		st->interval_ms = 1;
	/* the recording's servers, not the model's: before the first echo
	 * or throughput sample there was still a server */
	st->has_server = playback_server_count(r->pb) > 0;
	for (size_t i = 0; i < model_count(m); i++) {
		struct stats_summary sum;

		stats_log_summary(model_at(m, i)->stats, STATS_10S,
				  st->now_mono_ns, &sum);
		cnt += sum.count;
	}
	st->rate = (double)cnt / 10.0;
}

/* The rows read at once, handed over as live hands the storage thread's. */
struct rows {
	struct store_agg *v;
	size_t n, cap;
};

static int add_row(void *ctx, const struct store_agg *row)
{
	struct rows *rs = ctx;
	if (rs->n == rs->cap) {
		size_t cap = rs->cap ? 2 * rs->cap : 256;
		void *p = realloc(rs->v, cap * sizeof(*rs->v));
		if (!p)
			return -ENOMEM;
		rs->v = p;
		rs->cap = cap;
	}
	rs->v[rs->n++] = *row;
	return 0;
}

static int rs_ask_history(struct source *src, const struct model_series *ms,
			  int level, int64_t from_ms, int64_t to_ms,
			  uint64_t token)
{
	struct rsrc *r = rs_of(src);
	struct rows rows = { 0 };
	int rc = playback_series_aggs(r->pb, ms, level, from_ms, to_ms, add_row,
				      &rows);

	if (r->base.h.history)
		r->base.h.history(r->base.h.ctx, token, rc < 0 ? rc : 0, rows.v,
				  rc < 0 ? 0 : rows.n);
	free(rows.v);
	return 0;
}

static int rs_seek(struct source *src, int64_t ms)
{
	struct rsrc *r = rs_of(src);
	return moved(r, playback_seek(r->pb, ms));
}

static int rs_advance(struct source *src, int64_t delta_ms)
{
	struct rsrc *r = rs_of(src);
	/* a detector lost to a failed seek comes back with a rebuild */
	if (!r->feed.detect)
		return moved(r, playback_seek(r->pb, playback_clock_ms(r->pb) +
							     delta_ms));
	return moved(r, playback_advance(r->pb, delta_ms));
}

static int rs_seek_event(struct source *src, int dir)
{
	struct rsrc *r = rs_of(src);
	long i = playback_event_near(r->pb, dir);
	size_t n;

	if (i < 0)
		return -ENOENT;
	return rs_seek(src, playback_events(r->pb, &n)[i].start_ms);
}

static const char *rs_last_error(struct source *src)
{
	return rs_of(src)->error;
}

static struct playback *rs_playback(struct source *src)
{
	return rs_of(src)->pb;
}

static const struct source_ops replay_ops = {
	.loop = rs_loop,
	.start = rs_start,
	.finish = rs_finish,
	.free = rs_free,
	.model = rs_model,
	.config = rs_config,
	.verdict = rs_verdict,
	.status = rs_status,
	.ask_history = rs_ask_history,
	.seek = rs_seek,
	.advance = rs_advance,
	.seek_event = rs_seek_event,
	.last_error = rs_last_error,
	.playback = rs_playback,
};

struct source *source_replay_new(const char *path, const char *config_path,
				 char *note, size_t notelen, char *err,
				 size_t errlen)
{
	struct rsrc *r = calloc(1, sizeof(*r));
	char why[256];

	if (notelen)
		note[0] = '\0';
	if (!r) {
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	r->base.ops = &replay_ops;
	if (config_load(config_path, &r->cfg, why, sizeof(why)) < 0) {
		config_defaults(&r->cfg);
		snprintf(note, notelen,
			 "Verdict with the built-in thresholds (%.200s).", why);
	}
	config_wipe_secrets(&r->cfg); /* the detectors want thresholds */
	r->timeout_ns = (int64_t)r->cfg.general.probe_timeout_ms * BB_NS_PER_MS;
	r->pb = playback_open(path, err, errlen);
	if (!r->pb) {
		free(r);
		return NULL;
	}
	r->loop = ev_default_loop(EVFLAG_AUTO);
	playback_on_sample(r->pb, on_feed, r);
	r->feed.model = playback_model(r->pb);
	r->feed.detect =
		detect_new(detect_params_from_config(
				   &r->cfg, &(struct detect_params){ 0 }),
			   on_detect_event, r);
	if (!r->feed.detect) {
		snprintf(err, errlen, "%s: out of memory", path);
		playback_close(r->pb);
		free(r);
		return NULL;
	}
	r->events_at_ms = playback_first_ms(r->pb) - 1;
	if (no_routes_of(r) < 0) {
		snprintf(err, errlen, "%s: out of memory", path);
		source_free(&r->base);
		return NULL;
	}
	return &r->base;
}
