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
#include <unistd.h>

#include "core/base/clock.h"
#include "core/base/config.h"
#include "core/base/logsink.h"
#include "core/probe/conntype.h"
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
	struct monitor_options opt; /* the command line, for a reload */
	struct logsink *log;
	uint64_t dropped_before; /* by engines a reload replaced */
	struct engine_plan plan;
	struct ev_loop *loop;
	struct engine *engine;
	struct model *model;
	struct feed feed; /* model and detect: the one analysis path */
	struct store *store;
	struct recorder *recorder;
	struct ring *rec_samples;
	struct ring *rec_events;
	ev_signal sigint, sigterm, sighup;
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

/* --server for one run: a configured server by name, or a new address for
 * the first one.  The key always comes from the configuration: a secret
 * is never given on the command line (ps shows it). */
static int apply_server(struct bb_config *c, const char *arg, char *err,
			size_t errlen)
{
	struct bb_config_server *s0 = &c->servers[0];
	char host[CONFIG_HOST_LEN], why[192];
	int port;

	for (int i = 0; i < c->n_servers; i++)
		if (strcmp(c->servers[i].name, arg) == 0) {
			if (i)
				memcpy(s0, &c->servers[i], sizeof(*s0));
			c->n_servers = 1;
			return 0;
		}
	if (config_parse_hostport(arg, CONFIG_DEFAULT_PORT, host, sizeof(host),
				  &port, why, sizeof(why)) < 0) {
		snprintf(err, errlen,
			 "--server %s: neither a configured server's name nor "
			 "HOST[:PORT]: %s",
			 arg, why);
		return -EINVAL;
	}
	if (c->n_servers == 0) {
		snprintf(err, errlen,
			 "--server %s: no server in the configuration to take "
			 "the key from; add servers = ( { name = \"...\"; host "
			 "= \"...\"; shared_secret_file = \"...\"; } ) "
			 "(--server replaces its address for one run)",
			 arg);
		return -EINVAL;
	}
	snprintf(s0->host, sizeof(s0->host), "%s", host);
	s0->port = port;
	c->n_servers = 1;
	return 0;
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
	if (o->server && apply_server(c, o->server, err, errlen) < 0)
		return -EINVAL;
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
 * words the event (one producer of gateway_change) and knows whether the
 * interface has a route at all. */
static void on_engine_notice(void *ctx, const struct engine_notice *n)
{
	struct monitor *m = ctx;
	if (n->kind == ENGINE_GATEWAY_CHANGE) {
		detect_route(m->detect, n->interface, n->new_addr[0] != '\0');
		detect_gateway_change(m->detect, n->interface, n->old_addr,
				      n->new_addr, n->detail,
				      n->real_ns / BB_NS_PER_MS);
	}
}

/* A gateway probe planned without an address waits for a default route:
 * until one appears, its interface has none (the notices say when). */
static void routes_of_plan(struct monitor *m, const struct engine_plan *plan)
{
	for (size_t i = 0; i < plan->n_probes; i++) {
		const struct engine_probe *ep = &plan->probes[i];
		if (ep->follow_gateway_ns > 0)
			detect_route(m->detect, ep->target.interface,
				     ep->target.addr.ss_family != AF_UNSPEC);
	}
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

/* SIGHUP: the log file anew (logrotate moved it), then the configuration. */
static void on_sighup(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct monitor *m = w->data;
	/* on screen, the terminal hanging up sends it too: then quit */
	if (!m->opt.headless && tcgetpgrp(STDIN_FILENO) < 0) {
		ev_break(loop, EVBREAK_ALL);
		return;
	}
	int rc = logsink_reopen(m->log);
	if (rc < 0)
		fprintf(stderr, "bufferbane: cannot reopen the log: %s\n",
			strerror(-rc));
	monitor_reload(m);
}

static void on_duration(struct ev_loop *loop, ev_timer *w, int revents)
{
	ev_break(loop, EVBREAK_ALL);
}

/* The database's client id (PROTOCOL.md: chosen once per install, kept in
 * meta) for every echo probe, unless the configuration names one. */
static void use_stored_client_id(struct monitor *m, struct engine_plan *plan)
{
	if (strcmp(m->cfg.general.client_id, "auto") != 0)
		return;
	uint8_t id[8];
	size_t len = 0;
	if (sodium_hex2bin(id, sizeof(id), store_client_id(m->store), 16, NULL,
			   &len, NULL) != 0 ||
	    len != sizeof(id))
		return;
	for (size_t i = 0; i < plan->n_probes; i++)
		if (plan->probes[i].target.kind == BB_KIND_UDP_ECHO)
			memcpy(plan->probes[i].target.srv.client_id, id,
			       sizeof(id));
}

/* The type stored with each interface's samples (core/probe/conntype.h):
 * the default route's ("") and each configured one's, fixed at start. */
static void set_connection_types(struct monitor *m)
{
	char type[CONFIG_NAME_LEN];

	conntype_for(&m->cfg, "", type, sizeof(type));
	store_set_connection_type(m->store, "", type);
	for (int i = 0; i < m->cfg.general.n_interfaces; i++) {
		conntype_for(&m->cfg, m->cfg.general.interfaces[i], type,
			     sizeof(type));
		store_set_connection_type(m->store,
					  m->cfg.general.interfaces[i], type);
	}
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
	m->opt = *o;
	if (config_load(o->config_path, &m->cfg, err, errlen) < 0 ||
	    apply_options(&m->cfg, o, err, errlen) < 0 ||
	    srvclient_check_secrets(&m->cfg, err, errlen) < 0) {
		*exit_code = 2;
		goto fail;
	}
	m->log = logsink_open(m->cfg.logging.level, m->cfg.logging.file,
			      o->syslog || m->cfg.logging.syslog,
			      o->headless ? stdout : stderr, err, errlen);
	if (!m->log)
		goto fail;
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
		int why;

		m->store = store_open_why(m->cfg.general.database_path,
					  STORE_RDWR, &why, err, errlen);
		if (!m->store) {
			size_t n = strlen(err);

			/* the advice fits a file that cannot be written, not
			 * a foreign, damaged or locked one */
			if (why == STORE_WHY_WRITE)
				snprintf(err + n, errlen - n,
					 "; give --db a file you can write, or "
					 "run with --no-db to keep nothing on "
					 "disk");
			*exit_code = store_why_exit_code(why);
			goto fail;
		}
		set_connection_types(m);
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
		use_stored_client_id(m, &m->plan);
		char text[8192];
		if (store_meta_get(m->store, BASELINES_KEY, text,
				   sizeof(text)) == 0)
			detect_baselines_load(m->detect, text);
	}
	routes_of_plan(m, &m->plan);
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

struct logsink *monitor_log(struct monitor *m)
{
	return m->log;
}

/* Keys a running monitor cannot take: the database and the connection
 * types its storage thread holds, the workers' interfaces, the model's
 * interval, the storage thread's retention, listeners and the log's
 * destination.  A reload keeps their running values. */
static bool needs_restart(const char *path)
{
	static const char *const keys[] = {
		"general.database_path",    "general.interfaces",
		"general.client_id",	    "general.connection_type",
		"general.connection_types", "general.test_interval_ms",
		"metrics.listen",	    "logging.syslog",
		"output.status_interval_s", "loss_stream.interval_ms",
	};
	if (strncmp(path, "retention.", 10) == 0)
		return true;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcmp(path, keys[i]) == 0)
			return true;
	return false;
}

struct reload_diff {
	char changed[1024], restart[512];
	size_t nc, nr;
	bool probes, servers, thresholds, alerts, logging;
};

static void add_word(char *buf, size_t len, size_t *n, const char *w)
{
	int k = snprintf(buf + *n, len - *n, "%s%s", *n ? ", " : "", w);
	if (k > 0 && *n + (size_t)k < len)
		*n += (size_t)k;
}

static void on_diff(void *ctx, const char *path)
{
	struct reload_diff *d = ctx;
	if (needs_restart(path)) {
		add_word(d->restart, sizeof(d->restart), &d->nr, path);
		return;
	}
	add_word(d->changed, sizeof(d->changed), &d->nc, path);
	if (!strncmp(path, "thresholds.", 11) || !strcmp(path, "servers"))
		d->thresholds = true;
	if (!strcmp(path, "servers"))
		d->servers = true;
	if (!strncmp(path, "alerts.", 7))
		d->alerts = true;
	if (!strncmp(path, "logging.", 8))
		d->logging = true;
	if (!strncmp(path, "targets.", 8) || !strncmp(path, "tests.", 6) ||
	    !strncmp(path, "monitoring.", 11) || !strcmp(path, "servers") ||
	    !strcmp(path, "general.probe_timeout_ms"))
		d->probes = true;
}

static void keep_running(void *ctx, const char *path)
{
	void **a = ctx;
	if (needs_restart(path))
		config_copy_key(a[0], a[1], path);
}

/* The plan's probes as comparable text: what they probe and how often. */
static bool same_probes(const struct engine_plan *a,
			const struct engine_plan *b)
{
	if (a->n_probes != b->n_probes)
		return false;
	for (size_t i = 0; i < a->n_probes; i++) {
		const struct engine_probe *x = &a->probes[i],
					  *y = &b->probes[i];
		if (x->ops != y->ops || x->interval_ns != y->interval_ns ||
		    x->follow_gateway_ns != y->follow_gateway_ns ||
		    strcmp(x->target.name, y->target.name) ||
		    strcmp(x->target.interface, y->target.interface) ||
		    strcmp(x->resolve_host, y->resolve_host) ||
		    x->target.timeout_ns != y->target.timeout_ns)
			return false;
	}
	return true;
}

/* Stop the running engine and start one on plan (the storage thread and
 * the model stay): probes added and removed take effect at once. */
static int restart_engine(struct monitor *m, struct engine_plan *plan,
			  char *err, size_t errlen)
{
	struct engine *e =
		engine_new(m->loop, plan, on_engine_sample, m, err, errlen);
	for (size_t i = 0; i < plan->n_probes; i++)
		sodium_memzero(&plan->probes[i].target.srv,
			       sizeof(plan->probes[i].target.srv));
	if (!e)
		return -EIO;
	if (m->engine) {
		engine_stop(m->engine); /* its last samples reach us */
		m->dropped_before += engine_dropped(m->engine);
		engine_free(m->engine);
	}
	m->engine = e;
	engine_on_notice(e, on_engine_notice, m);
	routes_of_plan(m, plan);
	memcpy(&m->plan, plan, sizeof(*plan));
	return engine_start(e);
}

int monitor_reload(struct monitor *m)
{
	struct bb_config *c = malloc(sizeof(*c));
	struct engine_plan *plan = malloc(sizeof(*plan));
	struct reload_diff d = { 0 };
	char err[512], warnings[2048];
	int rc = -ENOMEM;

	if (!c || !plan) {
		logsink_printf(m->log, LOGSINK_ERROR, "reload: out of memory");
		goto out;
	}
	if ((rc = config_load(m->opt.config_path, c, err, sizeof(err))) < 0 ||
	    (rc = apply_options(c, &m->opt, err, sizeof(err))) < 0 ||
	    (rc = srvclient_check_secrets(c, err, sizeof(err))) < 0 ||
	    (rc = plan_build(c, plan, warnings, sizeof(warnings), err,
			     sizeof(err))) < 0) {
		logsink_printf(m->log, LOGSINK_ERROR,
			       "reload refused, the running configuration "
			       "stays: %s",
			       err);
		goto out;
	}
	config_diff(&m->cfg, c, on_diff, &d);
	if (d.nr) {
		/* keep what cannot change now; rebuild the plan from it */
		void *pair[2] = { c, &m->cfg };
		config_diff(&m->cfg, c, keep_running, pair);
		for (size_t i = 0; i < plan->n_probes; i++)
			sodium_memzero(&plan->probes[i].target.srv,
				       sizeof(plan->probes[i].target.srv));
		if ((rc = plan_build(c, plan, warnings, sizeof(warnings), err,
				     sizeof(err))) < 0) {
			logsink_printf(m->log, LOGSINK_ERROR,
				       "reload refused, the running "
				       "configuration stays: %s",
				       err);
			goto out;
		}
	}
	if (d.logging &&
	    logsink_configure(m->log, c->logging.level, c->logging.file, err,
			      sizeof(err)) < 0) {
		logsink_printf(m->log, LOGSINK_ERROR,
			       "reload: %s; the log stays where it was", err);
	}
	if (d.alerts) {
		struct alerts *a = NULL;
		if (c->alerts.enabled &&
		    (c->alerts.log_path[0] || c->alerts.command[0]))
			a = alerts_new(m->loop, c->alerts.log_path,
				       c->alerts.command, err, sizeof(err));
		if (a || !c->alerts.enabled ||
		    !(c->alerts.log_path[0] || c->alerts.command[0])) {
			alerts_free(m->alerts);
			m->alerts = a;
		} else {
			logsink_printf(m->log, LOGSINK_ERROR,
				       "reload: %s; the alerts stay as they "
				       "were",
				       err);
		}
	}
	if (d.thresholds)
		detect_set_params(m->detect,
				  detect_params_from_config(
					  c, &(struct detect_params){ 0 }));
	size_t before = m->plan.n_probes;
	bool restart = d.probes && (d.servers || !same_probes(&m->plan, plan));
	if (restart) {
		if (warnings[0])
			logsink_printf(m->log, LOGSINK_WARNING, "reload: %s",
				       warnings);
		if (m->store)
			use_stored_client_id(m, plan);
		err[0] = '\0';
		rc = restart_engine(m, plan, err, sizeof(err));
		if (rc < 0)
			logsink_printf(m->log, LOGSINK_ERROR,
				       "reload: cannot start the probes: %s",
				       err[0] ? err : strerror(-rc));
	}
	config_wipe_secrets(c);
	m->cfg = *c;
	logsink_printf(m->log, LOGSINK_INFO, "reload %s: %s%s",
		       c->source_path[0] ? c->source_path
					 : "(built-in defaults)",
		       d.nc ? "changed " : "nothing changed", d.changed);
	if (restart)
		logsink_printf(m->log, LOGSINK_INFO,
			       "reload: probes restarted, %zu before, %zu now",
			       before, m->plan.n_probes);
	if (d.nr)
		logsink_printf(m->log, LOGSINK_WARNING,
			       "reload: changed but needs a restart (still "
			       "running the old values): %s",
			       d.restart);
	rc = 0;
out:
	if (c) {
		config_wipe_secrets(c);
		free(c);
	}
	if (plan) {
		for (size_t i = 0; i < plan->n_probes; i++)
			sodium_memzero(&plan->probes[i].target.srv,
				       sizeof(plan->probes[i].target.srv));
		free(plan);
	}
	return rc;
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
	ev_signal_init(&m->sighup, on_sighup, SIGHUP);
	m->sighup.data = m;
	ev_signal_start(m->loop, &m->sighup);
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
	out->dropped_engine = m->dropped_before;
	if (m->engine)
		out->dropped_engine += engine_dropped(m->engine);
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
		ev_signal_stop(m->loop, &m->sighup);
	}
	if (ev_is_active(&m->duration))
		ev_timer_stop(m->loop, &m->duration);
	logsink_close(m->log);
	config_wipe_secrets(&m->cfg);
	/* a start that failed before the engine took the keys */
	for (size_t i = 0; i < m->plan.n_probes; i++)
		sodium_memzero(&m->plan.probes[i].target.srv,
			       sizeof(m->plan.probes[i].target.srv));
	free(m);
}
