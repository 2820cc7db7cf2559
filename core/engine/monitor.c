// SPDX-License-Identifier: MIT
/*
 * One monitoring session (see monitor.h).  Thread ownership: the main thread
 * runs the default ev_loop, owns the model and is the only producer of the
 * recorder's rings; the engine's workers and the recorder's thread own
 * everything else.  Nothing is lost silently: a full ring or a failed write
 * is counted and shown in the status counters.
 */
#include "core/engine/monitor.h"

#include <errno.h>
#include <ev.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/clock.h"
#include "core/base/config.h"
#include "core/probe/srvclient.h"
#include "core/analysis/alerts.h"
#include "core/analysis/detect.h"
#include "core/engine/engine.h"
#include "core/engine/feed.h"
#include "core/engine/metrics.h"
#include "core/analysis/event.h"
#include "core/analysis/model.h"
#include "core/engine/plan.h"
#include "core/store/recorder.h"
#include "core/base/ring.h"
#include "core/store/store.h"

/* The ring to the storage thread holds a minute of the plan's probes,
 * within these bounds: it is resident from the start (ring_new faults
 * it in), so it is sized to what the plan sends, not to the worst case. */
#define RECORDER_RING_MIN     4096
#define RECORDER_RING_MAX     65536
#define RECORDER_RING_SECONDS 60
#define EVENT_RING_CAPACITY   256
#define BASELINES_KEY	      "detect_baselines" /* meta key */

struct monitor {
	struct bb_config cfg;
	struct engine_plan plan;
	struct ev_loop *loop;
	struct engine *engine;
	struct model *model;
	struct feed feed; /* model and detect: the one analysis path */
	struct store *store;
	struct recorder *recorder;
	struct ring *rec_samples;
	struct ring *rec_events;
	ev_signal sigint, sigterm;
	ev_timer duration;
	long duration_s;
	uint64_t samples;
	int64_t started_mono_ns;
	monitor_sample_fn on_sample;
	void *on_sample_ctx;
	monitor_event_fn on_event;
	void *on_event_ctx;
	struct recorder_stats final_rec; /* after monitor_finish */
	bool have_final_rec;
	/* detection (core/detect, core/alerts) */
	struct detect *detect;
	struct alerts *alerts;
	ev_timer detect_timer;
	/* questions to the database (core/recorder): the peak-hour diagnosis
	 * at start and hourly, and the front end's history requests */
	ev_async answered;
	ev_timer peak_timer;
	monitor_history_fn on_history;
	void *on_history_ctx;
	/* Prometheus /metrics (metrics.listen): the HTTP thread serves the
	 * text the main thread renders every second */
	struct metrics *metrics;
	struct metrics_tally *tally;
	ev_timer metrics_timer;
};

void monitor_options_init(struct monitor_options *o)
{
	memset(o, 0, sizeof(*o));
}

/* Command-line options win over the configuration file. */
static int apply_options(struct bb_config *c, const struct monitor_options *o,
			 char *err, size_t errlen)
{
	if (o->n_targets) {
		/* -t replaces the whole ICMP list, gateway detection included
		 */
		snprintf(c->targets.isp_gateway, sizeof(c->targets.isp_gateway),
			 "none");
		c->targets.n_public_dns = 0;
		c->targets.n_custom = 0;
		for (size_t i = 0; i < o->n_targets; i++) {
			if (i == CONFIG_LIST_MAX ||
			    strlen(o->targets[i]) >= CONFIG_ENTRY_LEN) {
				snprintf(err, errlen,
					 "-t %s: too many or too "
					 "long",
					 o->targets[i]);
				return -EINVAL;
			}
			strcpy(c->targets.custom[c->targets.n_custom++],
			       o->targets[i]);
		}
	}
	if (o->n_interfaces) {
		c->general.n_interfaces = 0;
		for (size_t i = 0; i < o->n_interfaces; i++) {
			if (i == CONFIG_LIST_MAX ||
			    strlen(o->interfaces[i]) >= CONFIG_IFNAME_LEN) {
				snprintf(err, errlen,
					 "-i %s: too many or not "
					 "an interface name",
					 o->interfaces[i]);
				return -EINVAL;
			}
			strcpy(c->general.interfaces[c->general.n_interfaces++],
			       o->interfaces[i]);
		}
	}
	if (o->interval_ms)
		c->general.test_interval_ms = o->interval_ms;
	if (o->db_path) {
		if (strlen(o->db_path) >= sizeof(c->general.database_path)) {
			snprintf(err, errlen, "--db: path too long");
			return -EINVAL;
		}
		strcpy(c->general.database_path, o->db_path);
	}
	/* A probe is lost after its timeout, but never later than two
	 * intervals: at 100 ms probing a 1 s timeout would hide bursts. */
	int cap = 2 * c->general.test_interval_ms;
	if (c->general.probe_timeout_ms > cap && o->interval_ms)
		c->general.probe_timeout_ms = cap;
	return 0;
}

/* A minute of the plan's samples, a power of two within the bounds. */
static size_t recorder_ring_capacity(const struct engine_plan *plan)
{
	double per_s = 0;
	for (size_t i = 0; i < plan->n_probes; i++)
		if (plan->probes[i].interval_ns > 0)
			per_s += (double)BB_NS_PER_S /
				 plan->probes[i].interval_ns;
	double want = per_s * RECORDER_RING_SECONDS;
	size_t cap = RECORDER_RING_MIN;
	while (cap < want && cap < RECORDER_RING_MAX)
		cap *= 2;
	return cap;
}

/* Main thread: every sample from the workers passes through here. */
static void on_engine_sample(void *ctx, const struct bb_sample *s)
{
	struct monitor *m = ctx;
	m->samples++;
	const struct model_series *ms = feed_sample(&m->feed, s);
	if (m->tally)
		metrics_tally_add(m->tally, ms, s);
	if (m->rec_samples)
		ring_push(m->rec_samples, s); /* full: counted by the ring */
	if (m->on_sample)
		m->on_sample(m->on_sample_ctx, s);
}

/* Main thread: a worker saw the default gateway change; the detector
 * words the event (one producer of gateway_change). */
static void on_engine_notice(void *ctx, const struct engine_notice *n)
{
	struct monitor *m = ctx;
	if (n->kind == ENGINE_GATEWAY_CHANGE)
		detect_gateway_change(m->detect, n->interface, n->old_addr,
				      n->new_addr, n->detail,
				      n->real_ns / BB_NS_PER_MS);
}

/* Detection: every event change goes to the database, the alerts and the
 * front end. */
static void on_detect_event(void *ctx, const struct bb_event *ev,
			    enum detect_state state)
{
	struct monitor *m = ctx;
	monitor_push_event(m, ev); /* database and front end */
	alerts_event(m->alerts, ev, state);
}

static void on_detect_tick(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct monitor *m = w->data;
	detect_tick(m->detect, clock_mono_ns());
}

/* Storage thread: an answer waits; wake the main loop. */
static void wake_for_answer(void *ctx)
{
	struct monitor *m = ctx;
	ev_async_send(m->loop, &m->answered);
}

static void on_answered(struct ev_loop *loop, ev_async *w, int revents)
{
	struct monitor *m = w->data;
	struct recorder_answer a;
	while (m->recorder && recorder_answer(m->recorder, &a)) {
		if (a.what == RECORDER_ASK_PEAK_HOURS) {
			/* not enough history yet, or no longer degraded */
			detect_peak_hours(m->detect,
					  a.status == 0 ? &a.peak : NULL);
		} else if (m->on_history) {
			m->on_history(m->on_history_ctx, a.token, a.status,
				      a.rows, a.nrows);
		}
		free(a.rows);
	}
}

/* The peak-hour pattern needs days of rollups: read at start and hourly
 * (the hourly rollups change no faster). */
static void on_peak_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct monitor *m = w->data;
	struct recorder_ask q = { .what = RECORDER_ASK_PEAK_HOURS,
				  .to_ms = clock_real_ns() / BB_NS_PER_MS };
	if (m->recorder && recorder_ask(m->recorder, &q) < 0)
		w->repeat = 60.; /* the storage thread is busy: soon again */
	else
		w->repeat = 3600.;
	ev_timer_again(loop, w);
}

/* Main thread: a fresh exposition for the HTTP thread. */
static void publish_metrics(struct monitor *m)
{
	struct monitor_status st;
	monitor_status(m, &st);
	struct metrics_view v = { .model = m->model,
				  .tally = m->tally,
				  .detect = m->detect,
				  .status = &st,
				  .now_mono_ns = clock_mono_ns() };
	char *text;
	size_t len;
	if (metrics_render(&v, &text, &len) == 0)
		metrics_publish(m->metrics, text, len);
}

static void on_metrics_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	publish_metrics(w->data);
}

static void on_quit_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
	ev_break(loop, EVBREAK_ALL);
}

static void on_duration(struct ev_loop *loop, ev_timer *w, int revents)
{
	ev_break(loop, EVBREAK_ALL);
}

/* The database's client id (PROTOCOL.md: chosen once per install, kept in
 * meta) for every echo probe, unless the configuration names one. */
static void use_stored_client_id(struct monitor *m)
{
	if (strcmp(m->cfg.general.client_id, "auto") != 0)
		return;
	uint8_t id[8];
	size_t len = 0;
	if (sodium_hex2bin(id, sizeof(id), store_client_id(m->store), 16, NULL,
			   &len, NULL) != 0 ||
	    len != sizeof(id))
		return;
	for (size_t i = 0; i < m->plan.n_probes; i++)
		if (m->plan.probes[i].target.kind == BB_KIND_UDP_ECHO)
			memcpy(m->plan.probes[i].target.srv.client_id, id,
			       sizeof(id));
}

struct monitor *monitor_new(const struct monitor_options *o, char *err,
			    size_t errlen, int *exit_code)
{
	struct monitor *m = calloc(1, sizeof(*m));
	char warnings[2048];
	*exit_code = 1;
	if (!m) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	m->loop = ev_default_loop(EVFLAG_AUTO);
	m->duration_s = o->duration_s;
	if (config_load(o->config_path, &m->cfg, err, errlen) < 0 ||
	    apply_options(&m->cfg, o, err, errlen) < 0 ||
	    srvclient_check_secrets(&m->cfg, err, errlen) < 0) {
		*exit_code = 2;
		goto fail;
	}
	if (plan_build(&m->cfg, &m->plan, warnings, sizeof(warnings), err,
		       errlen) < 0) {
		*exit_code = 2;
		goto fail;
	}
	if (warnings[0])
		fputs(warnings, stderr);
	/* The plan holds the keys now; detect_new and the rest copy
	 * m->cfg whole, so its inline secrets go before they can. */
	config_wipe_secrets(&m->cfg);
	m->model = model_new(m->cfg.general.test_interval_ms * BB_NS_PER_MS);
	if (!m->model) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	m->detect = detect_new(detect_params_from_config(
				       &m->cfg, &(struct detect_params){ 0 }),
			       on_detect_event, m);
	if (!m->detect) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	m->feed.model = m->model;
	m->feed.detect = m->detect;
	if (m->cfg.alerts.enabled &&
	    (m->cfg.alerts.log_path[0] || m->cfg.alerts.command[0])) {
		m->alerts = alerts_new(m->loop, m->cfg.alerts.log_path,
				       m->cfg.alerts.command, err, errlen);
		if (!m->alerts)
			goto fail;
	}
	if (!o->no_db) {
		m->store = store_open(m->cfg.general.database_path, STORE_RDWR,
				      err, errlen);
		if (!m->store)
			goto fail;
		store_set_connection_type(m->store, "",
					  m->cfg.general.connection_type);
		for (int i = 0; i < m->cfg.general.n_interfaces; i++)
			store_set_connection_type(
				m->store, m->cfg.general.interfaces[i],
				m->cfg.general.connection_type);
		m->rec_samples = ring_new(recorder_ring_capacity(&m->plan),
					  sizeof(struct bb_sample));
		m->rec_events =
			ring_new(EVENT_RING_CAPACITY, sizeof(struct bb_event));
		if (!m->rec_samples || !m->rec_events) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
	}
	if (m->store) {
		use_stored_client_id(m);
		char text[8192];
		if (store_meta_get(m->store, BASELINES_KEY, text,
				   sizeof(text)) == 0)
			detect_baselines_load(m->detect, text);
	}
	m->engine =
		engine_new(m->loop, &m->plan, on_engine_sample, m, err, errlen);
	/* The engine keeps its own copies: ours of the keys go now. */
	for (size_t i = 0; i < m->plan.n_probes; i++)
		sodium_memzero(&m->plan.probes[i].target.srv,
			       sizeof(m->plan.probes[i].target.srv));
	if (!m->engine)
		goto fail;
	if (engine_open_failures(m->engine, warnings, sizeof(warnings)))
		fputs(warnings, stderr);
	engine_on_notice(m->engine, on_engine_notice, m);
	/* Last, so that a busy port is said before anything runs; the
	 * address itself was checked with the configuration. */
	if (m->cfg.metrics.listen[0]) {
		m->tally = calloc(1, sizeof(*m->tally));
		if (!m->tally) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
		m->metrics = metrics_start(m->cfg.metrics.listen, err, errlen);
		if (!m->metrics)
			goto fail;
	}
	return m;
fail:
	monitor_free(m);
	return NULL;
}

struct ev_loop *monitor_loop(struct monitor *m)
{
	return m->loop;
}

const struct bb_config *monitor_config(const struct monitor *m)
{
	return &m->cfg;
}

const struct engine_plan *monitor_plan(const struct monitor *m)
{
	return &m->plan;
}

struct model *monitor_model(struct monitor *m)
{
	return m->model;
}

void monitor_on_sample(struct monitor *m, monitor_sample_fn fn, void *ctx)
{
	m->on_sample = fn;
	m->on_sample_ctx = ctx;
}

int monitor_start(struct monitor *m)
{
	ev_signal_init(&m->sigint, on_quit_signal, SIGINT);
	ev_signal_init(&m->sigterm, on_quit_signal, SIGTERM);
	ev_signal_start(m->loop, &m->sigint);
	ev_signal_start(m->loop, &m->sigterm);
	if (m->duration_s > 0) {
		ev_timer_init(&m->duration, on_duration, (double)m->duration_s,
			      0.);
		ev_timer_start(m->loop, &m->duration);
	}
	if (m->store) {
		/* The storage thread must not take our signals either. */
		sigset_t all, old;
		sigfillset(&all);
		pthread_sigmask(SIG_SETMASK, &all, &old);
		char err[256];
		const struct bb_config *c = &m->cfg;
		struct recorder_opts ro = {
			.answered = wake_for_answer,
			.answered_ctx = m,
			.retain = true,
			.raw_days = c->retention.measurements_days,
			.min1_days = c->retention.aggregations_days,
			.hour_days = c->retention.hourly_days,
			.events_days = c->retention.events_days,
		};
		ev_async_init(&m->answered, on_answered);
		m->answered.data = m;
		ev_async_start(m->loop, &m->answered);
		m->recorder =
			recorder_start(m->store, m->rec_samples, m->rec_events,
				       &ro, err, sizeof(err));
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		if (!m->recorder) {
			fprintf(stderr, "bufferbane: %s\n", err);
			return -EIO;
		}
		ev_init(&m->peak_timer, on_peak_timer);
		m->peak_timer.data = m;
		on_peak_timer(m->loop, &m->peak_timer, 0);
	}
	m->started_mono_ns = clock_mono_ns();
	ev_timer_init(&m->detect_timer, on_detect_tick, 1., 1.);
	m->detect_timer.data = m;
	ev_timer_start(m->loop, &m->detect_timer);
	if (m->metrics) {
		publish_metrics(m);
		ev_timer_init(&m->metrics_timer, on_metrics_timer, 1., 1.);
		m->metrics_timer.data = m;
		ev_timer_start(m->loop, &m->metrics_timer);
	}
	return engine_start(m->engine);
}

void monitor_run(struct monitor *m)
{
	ev_run(m->loop, 0);
}

void monitor_quit(struct monitor *m)
{
	ev_break(m->loop, EVBREAK_ALL);
}

int monitor_request_bloat(struct monitor *m)
{
	return m->engine ? engine_command(m->engine, BB_KIND_UDP_ECHO,
					  PROBE_CMD_BLOAT_NOW)
			 : 0;
}

int monitor_cancel_bloat(struct monitor *m)
{
	return m->engine ? engine_command(m->engine, BB_KIND_UDP_ECHO,
					  PROBE_CMD_BLOAT_CANCEL)
			 : 0;
}

void monitor_on_history(struct monitor *m, monitor_history_fn fn, void *ctx)
{
	m->on_history = fn;
	m->on_history_ctx = ctx;
}

int monitor_ask_series_history(struct monitor *m, const struct model_series *ms,
			       int level, int64_t from_ms, int64_t to_ms,
			       uint64_t token)
{
	if (!m->recorder)
		return -ENODEV;
	struct recorder_ask q = { .what = RECORDER_ASK_SERIES_AGGS,
				  .token = token,
				  .from_ms = from_ms,
				  .to_ms = to_ms,
				  .level = level,
				  .kind = (int)ms->kind };
	snprintf(q.interface, sizeof(q.interface), "%s", ms->interface);
	snprintf(q.target, sizeof(q.target), "%s", ms->target);
	snprintf(q.server, sizeof(q.server), "%s", ms->server);
	return recorder_ask(m->recorder, &q);
}

void monitor_on_event(struct monitor *m, monitor_event_fn fn, void *ctx)
{
	m->on_event = fn;
	m->on_event_ctx = ctx;
}

void monitor_push_event(struct monitor *m, const struct bb_event *ev)
{
	if (m->rec_events)
		ring_push(m->rec_events, ev); /* full: counted by the ring */
	if (m->on_event)
		m->on_event(m->on_event_ctx, ev);
}

struct detect *monitor_detect(struct monitor *m)
{
	return m->detect;
}

void monitor_status(const struct monitor *m, struct monitor_status *out)
{
	memset(out, 0, sizeof(*out));
	out->samples = m->samples;
	out->started_mono_ns = m->started_mono_ns;
	if (m->engine)
		out->dropped_engine = engine_dropped(m->engine);
	if (m->rec_samples)
		out->dropped_storage = ring_dropped(m->rec_samples);
	if (m->recorder || m->have_final_rec) {
		struct recorder_stats rs = m->final_rec;
		if (m->recorder)
			recorder_stats(m->recorder, &rs);
		out->stored = rs.written;
		out->store_failures = rs.failed_batches;
		out->store_pending = rs.pending;
		out->dropped_storage += rs.dropped;
	}
}

void monitor_finish(struct monitor *m)
{
	if (m->engine)
		engine_stop(m->engine); /* last samples reach the recorder */
	if (ev_is_active(&m->detect_timer))
		ev_timer_stop(m->loop, &m->detect_timer);
	if (ev_is_active(&m->peak_timer))
		ev_timer_stop(m->loop, &m->peak_timer);
	if (ev_is_active(&m->metrics_timer))
		ev_timer_stop(m->loop, &m->metrics_timer);
	metrics_stop(m->metrics); /* nobody scrapes a monitor that stopped */
	m->metrics = NULL;
	if (m->detect)
		detect_finish(m->detect); /* open events end before the flush */
	if (m->recorder) {
		/* flushes everything queued; keep the final counters */
		recorder_stop(m->recorder, &m->final_rec);
		m->have_final_rec = true;
		m->recorder = NULL;
		ev_async_stop(m->loop, &m->answered);
		/* the store is ours again: keep the learnt baselines so a
		 * restart does not start from nothing */
		char text[8192];
		if (m->detect &&
		    detect_baselines_save(m->detect, text, sizeof(text)) > 0 &&
		    store_meta_set(m->store, BASELINES_KEY, text) < 0)
			fprintf(stderr, "bufferbane: %s\n",
				store_last_error(m->store));
	}
}

void monitor_free(struct monitor *m)
{
	if (!m)
		return;
	monitor_finish(m);
	engine_free(m->engine);
	store_close(m->store);
	ring_free(m->rec_samples);
	ring_free(m->rec_events);
	model_free(m->model);
	free(m->tally);
	alerts_free(m->alerts);
	detect_free(m->detect);
	if (ev_is_active(&m->sigint)) {
		ev_signal_stop(m->loop, &m->sigint);
		ev_signal_stop(m->loop, &m->sigterm);
	}
	if (ev_is_active(&m->duration))
		ev_timer_stop(m->loop, &m->duration);
	config_wipe_secrets(&m->cfg);
	/* a start that failed before the engine took the keys */
	for (size_t i = 0; i < m->plan.n_probes; i++)
		sodium_memzero(&m->plan.probes[i].target.srv,
			       sizeof(m->plan.probes[i].target.srv));
	free(m);
}
