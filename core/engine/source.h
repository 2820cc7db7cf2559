/* SPDX-License-Identifier: MIT */
/*
 * The one data source behind a front end (ARCHITECTURE.md "One source
 * interface"): the live monitor, or a recording played back.  Both deliver
 * the same things the same way: samples after the model saw them, events
 * (start, update, end), answers to history questions, a model to read and
 * the detectors' verdict; a recording runs the same detectors over its
 * samples (core/engine/feed.h), so replay shows the verdict live showed.
 *
 * What only one kind can do returns -ENOTSUP on the other: a bufferbloat
 * test now (live), moving the clock (a recording).  A front end branches
 * on nothing else.  Main thread only.
 */
#ifndef BB_SOURCE_H
#define BB_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ev_loop;
struct model;
struct model_series;
struct bb_sample;
struct bb_event;
struct bb_config;
struct store_agg;
struct monitor_options;
struct playback;

struct source_handlers {
	/* Every sample, after the model saw it; NULL when a recording's
	 * move rebuilt the model (drop what was derived from the old one). */
	void (*sample)(void *ctx, const struct bb_sample *s);
	/* Every change of an event; NULL when a recording's move starts the
	 * list over (the events up to the new clock follow). */
	void (*event)(void *ctx, const struct bb_event *ev);
	/* The answer to source_ask_history: status 0 or -errno, the rows by
	 * bucket (valid during the call only). */
	void (*history)(void *ctx, uint64_t token, int status,
			const struct store_agg *rows, size_t n);
	void *ctx;
};

/* What a front end shows about the source this frame. */
struct source_status {
	int64_t now_mono_ns; /* "now" for the stats windows */
	int64_t now_ms;	     /* the clock shown (Unix ms) */
	int64_t uptime_s;    /* live: since the start */
	double rate;	     /* samples per second */
	uint64_t dropped;    /* samples lost to full queues or the database */
	bool has_server;     /* a companion server is configured/recorded */
	bool recording;	     /* a recording: the fields below are set */
	int64_t first_ms, last_ms;
	int64_t interval_ms; /* one probe interval (a step) */
};

struct source;
struct source_ops {
	struct ev_loop *(*loop)(struct source *src);
	int (*start)(struct source *src);
	void (*finish)(struct source *src);
	void (*free)(struct source *src);
	struct model *(*model)(struct source *src);
	const struct bb_config *(*config)(struct source *src);
	size_t (*verdict)(struct source *src, char *buf, size_t len);
	void (*status)(struct source *src, struct source_status *st);
	int (*ask_history)(struct source *src, const struct model_series *ms,
			   int level, int64_t from_ms, int64_t to_ms,
			   uint64_t token);
	int (*bloat)(struct source *src, bool start);
	int (*seek)(struct source *src, int64_t ms);
	int (*advance)(struct source *src, int64_t delta_ms);
	int (*seek_event)(struct source *src, int dir);
	const char *(*last_error)(struct source *src);
	struct playback *(*playback)(struct source *src);
	const struct engine_plan *(*plan)(struct source *src);
};

struct source {
	const struct source_ops *ops;
	struct source_handlers h;
};

/* The live monitor (core/engine/monitor.h) with options O; NULL with one
 * clear line in err (*exit_code 1 runtime, 2 config). */
struct source *source_live_new(const struct monitor_options *o, char *err,
			       size_t errlen, int *exit_code);
/* The recording at PATH, its detectors configured from CONFIG_PATH (NULL:
 * the usual search; the built-in defaults when none is found or it does
 * not load, said in *note); NULL with one clear line in err. */
struct source *source_replay_new(const char *path, const char *config_path,
				 char *note, size_t notelen, char *err,
				 size_t errlen);
/* The recording being played, NULL live: where to open and the timeline
 * overview, at creation (moves go through the source). */
struct playback *source_playback(struct source *src);

/* Where samples, events and answers go (one set; before source_start). */
void source_on(struct source *src, const struct source_handlers *h);
/* The loop a front end adds its watchers to. */
struct ev_loop *source_loop(struct source *src);
/* Live: start probing; a recording: take SIGINT/SIGTERM.  0 or -errno. */
int source_start(struct source *src);
/* Run the loop until stopped (signal, --duration or source_quit). */
void source_run(struct source *src);
void source_quit(struct source *src);
/* Stop (live: the probes stop, open events end, the database is flushed;
 * handlers still run); the model stays readable. */
void source_finish(struct source *src);
/* source_finish if not done, then free (NULL is fine). */
void source_free(struct source *src);
/* The model the views read; a recording's move may replace it: fetch it
 * again after each move. */
struct model *source_model(struct source *src);
/* Live: the probes running (targets' names and addresses); NULL for a
 * recording. */
struct engine_plan;
const struct engine_plan *source_plan(struct source *src);
/* The configuration (a recording's: the detectors' thresholds). */
const struct bb_config *source_config(struct source *src);
/* The detectors' verdict now (core/analysis/detect.h detect_verdict). */
size_t source_verdict(struct source *src, char *buf, size_t len);
void source_status(struct source *src, struct source_status *st);
/* One series' rollups (STORE_AGG_1MIN/_1HOUR) in [from_ms, to_ms); the
 * answer comes through the history handler (live: later, from the storage
 * thread; a recording: before this returns).  0, -ENODEV without a
 * database, -EAGAIN busy. */
int source_ask_history(struct source *src, const struct model_series *ms,
		       int level, int64_t from_ms, int64_t to_ms,
		       uint64_t token);
/* Live: start (start) or cancel a bufferbloat test now; how many servers
 * run or were told, 0 = none configured.  -ENOTSUP on a recording. */
int source_bloat(struct source *src, bool start);
/* A recording: move the clock to ms / by delta_ms (clamped), or to the
 * start of the next (dir > 0) or previous event (-ENOENT: none).  0 or
 * -errno; -ENOTSUP live. */
int source_seek(struct source *src, int64_t ms);
int source_advance(struct source *src, int64_t delta_ms);
int source_seek_event(struct source *src, int dir);
/* Why the last move failed, "" if it did not. */
const char *source_last_error(struct source *src);

#endif
