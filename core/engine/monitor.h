/* SPDX-License-Identifier: MIT */
/*
 * One monitoring session, shared by the ncurses front end and headless -d:
 * configuration + command-line overrides -> probe plan -> engine (workers) ->
 * model (stats, on the main thread) -> recorder (SQLite, its own thread);
 * with metrics.listen, Prometheus /metrics on an HTTP thread (metrics.h).
 * A front end adds its own watchers to monitor_loop() and reads the model.
 */
#ifndef BB_MONITOR_H
#define BB_MONITOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MONITOR_MAX_CLI_ITEMS 16

struct ev_loop;
struct monitor;
struct model;
struct bb_config;
struct bb_event;
struct bb_sample;
struct engine_plan;
struct detect;
struct logsink;

/* Called on the main thread for every sample, after the model saw it. */
typedef void (*monitor_sample_fn)(void *ctx, const struct bb_sample *s);
/* Called on the main thread for every event start, update and end. */
typedef void (*monitor_event_fn)(void *ctx, const struct bb_event *ev);
/* Called on the main thread with the answer to monitor_ask_series_history:
 * status 0 or -errno, the rows by bucket (valid during the call only). */
struct store_agg;
typedef void (*monitor_history_fn)(void *ctx, uint64_t token, int status,
				   const struct store_agg *rows, size_t n);

/* What the command line says; NULL/0 = take it from the configuration. */
struct monitor_options {
	const char *config_path;
	const char *db_path;
	bool no_db;    /* keep nothing on disk */
	bool headless; /* -d */
	bool syslog;   /* --syslog: log to syslog whatever logging.syslog */
	const char *targets[MONITOR_MAX_CLI_ITEMS];
	size_t n_targets;
	const char *interfaces[MONITOR_MAX_CLI_ITEMS];
	size_t n_interfaces;
	/* --server: a configured name (only that server), or HOST[:PORT]
	 * replacing the first configured server's address (its key kept) */
	const char *server;
	int interval_ms;
	long duration_s;
	int status_interval_s; /* -d status period; 0 = from config */
};

/* Counters a front end shows in its status line. */
struct monitor_status {
	uint64_t samples;	  /* delivered by the engine */
	uint64_t dropped_engine;  /* lost to full worker rings */
	uint64_t dropped_storage; /* lost to the database, after retries */
	uint64_t stored;	  /* rows written */
	uint64_t store_failures;  /* failed batch writes (retried) */
	uint64_t store_pending;	  /* waiting in memory for the database */
	int64_t started_mono_ns;
};

/* Zero the options. */
void monitor_options_init(struct monitor_options *o);
/* Load config, apply options, open the database, open every probe;
 * NULL with one clear line in err (*exit_code 1 runtime, 2 config). */
struct monitor *monitor_new(const struct monitor_options *o, char *err,
			    size_t errlen, int *exit_code);
/* The main loop a front end adds its watchers to. */
struct ev_loop *monitor_loop(struct monitor *m);
/* The log: lines for -d, reload messages for both front ends. */
struct logsink *monitor_log(struct monitor *m);
/* Re-read the configuration (SIGHUP): apply what can change while running
 * (targets, tests, thresholds, alerts, logging.level and file), log one
 * line saying what changed and one naming what needs a restart; a file
 * that does not load keeps the running configuration (logged).  0 or
 * -errno. */
int monitor_reload(struct monitor *m);
/* The effective configuration. */
const struct bb_config *monitor_config(const struct monitor *m);
/* The probes that run (targets, kinds, intervals). */
const struct engine_plan *monitor_plan(const struct monitor *m);
/* Let a front end see every sample as it arrives (one callback). */
void monitor_on_sample(struct monitor *m, monitor_sample_fn fn, void *ctx);
/* Run a bufferbloat test now on every companion server; returns how many
 * servers will run one (0 = none configured).  Never blocks. */
int monitor_request_bloat(struct monitor *m);
/* Stop the running (or requested) bufferbloat test at once; the load stops
 * with it.  Returns how many servers were told. */
int monitor_cancel_bloat(struct monitor *m);
/* One series' rollups (level STORE_AGG_1MIN or _1HOUR, core/store/store.h) in
 * [from_ms, to_ms), read by the storage thread: the main loop never waits
 * on the database.  0, -ENODEV without a database (--no-db), -EAGAIN while
 * too many questions wait; the rows arrive through monitor_on_history. */
struct model_series;
int monitor_ask_series_history(struct monitor *m, const struct model_series *ms,
			       int level, int64_t from_ms, int64_t to_ms,
			       uint64_t token);
/* Where the answers go (one callback). */
void monitor_on_history(struct monitor *m, monitor_history_fn fn, void *ctx);
/* Let a front end see every event change (one callback). */
void monitor_on_event(struct monitor *m, monitor_event_fn fn, void *ctx);
/* Queue an event (new or updated) for the database and the front end. */
void monitor_push_event(struct monitor *m, const struct bb_event *ev);
/* The detector: verdict, baselines, gateway changes (main thread only). */
struct detect *monitor_detect(struct monitor *m);
/* The live model (main thread only). */
struct model *monitor_model(struct monitor *m);
/* Start probing (worker threads, storage thread, signal handling). */
int monitor_start(struct monitor *m);
/* Run the main loop until stopped (signal, --duration or monitor_quit). */
void monitor_run(struct monitor *m);
/* Ask the loop to end (from the main thread). */
void monitor_quit(struct monitor *m);
/* Counters for the status line. */
void monitor_status(const struct monitor *m, struct monitor_status *out);
/* Stop the probes and flush the database; the model stays readable. */
void monitor_finish(struct monitor *m);
/* monitor_finish if not done, then free. */
void monitor_free(struct monitor *m);
#endif
