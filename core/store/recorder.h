/* SPDX-License-Identifier: MIT */
/*
 * The storage thread (ARCHITECTURE.md "Data flow"): it owns the store handle
 * between recorder_start and recorder_stop, drains the samples ring (struct
 * bb_sample) and the events ring (struct bb_event), writes a batch at most
 * every batch_interval_ms or as soon as batch_max samples wait, and rolls up
 * aggregates every rollup_interval_ms.  A failed batch stays in memory and is
 * retried with backoff; past max_pending samples the oldest are dropped,
 * counted and logged.  Producers only push to the rings and never block.
 *
 * The thread also answers questions about the history (recorder_ask), so
 * the main thread reads the database without ever waiting on it: a question
 * goes through one ring, its answer comes back through another, and the
 * answered callback says when to poll (between batches: within 50 ms when
 * the thread is idle).
 */
#ifndef BB_RECORDER_H
#define BB_RECORDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/analysis/detect_diag.h"
#include "core/base/sample.h"

struct recorder;
struct store_agg;
struct ring;
struct store;

/* Zero fields take the defaults in brackets. */
struct recorder_opts {
	int batch_interval_ms;	/* [500] most time a sample waits: what
				   a crash (kill -9) can lose */
	size_t batch_max;	/* [1000] samples per transaction */
	int rollup_interval_ms; /* [60000] */
	int rollup_grace_ms;	/* [30000] a bucket rolls up once this old */
	size_t max_pending;	/* [20000] samples held while writes fail */
	int stop_timeout_ms;	/* [5000] retrying at stop before dropping */
	/* Retention (off unless retain): raw samples, 1-min and 1-hour
	 * rollups and events older than these many days are deleted, 0 =
	 * kept forever.  Checked at start and with every rollup, deleted in
	 * transactions of at most retain_rows rows [256] at least
	 * retain_gap_ms [100] apart, so a commit of samples never waits
	 * behind a long delete; freed pages go back to the file system
	 * in steps of the same size where the file allows it. */
	bool retain;
	int raw_days, min1_days, hour_days, events_days;
	int retain_rows, retain_gap_ms;
	/* Where messages go ([NULL]: stderr); called on the storage thread. */
	void (*log)(void *ctx, const char *msg);
	void *log_ctx;
	/* An answer waits ([NULL]: poll anyway); called on the storage
	 * thread, so it may only wake the main loop (ev_async_send). */
	void (*answered)(void *ctx);
	void *answered_ctx;
};

/* What the main thread may ask of the history. */
enum recorder_question {
	RECORDER_ASK_PEAK_HOURS,  /* history_peak_hours over 7 days to to_ms */
	RECORDER_ASK_SERIES_AGGS, /* one series' rollups in [from_ms, to_ms) */
};

struct recorder_ask {
	enum recorder_question what;
	uint64_t token; /* echoed in the answer */
	int64_t from_ms, to_ms;
	int level; /* STORE_AGG_1MIN or STORE_AGG_1HOUR (series aggs) */
	int kind;  /* enum bb_probe_kind of the series */
	char interface[BB_IFNAME_LEN];
	char target[BB_TARGET_LEN];
	char server[BB_SERVER_LEN];
};

struct recorder_answer {
	enum recorder_question what;
	uint64_t token;
	int status;		/* 0 or -errno (-ENOENT: not enough history) */
	struct diag_peak peak;	/* RECORDER_ASK_PEAK_HOURS */
	struct store_agg *rows; /* RECORDER_ASK_SERIES_AGGS, by bucket; */
	size_t nrows;		/* the receiver frees rows */
};

struct recorder_stats {
	uint64_t written;	 /* samples committed */
	uint64_t failed_batches; /* write attempts that failed (retried) */
	uint64_t dropped;	 /* samples given up on */
	uint64_t events_written; /* event rows inserted or updated */
	uint64_t events_dropped;
	uint64_t rollups;	  /* aggregate rows written */
	uint64_t purged;	  /* raw samples deleted by retention */
	uint64_t reclaimed_pages; /* free pages given back to the system */
	uint64_t pending;	  /* samples waiting in memory now */
};

/* Spawn the storage thread; st must not be used elsewhere until stop.
 * events may be NULL.  NULL with a reason in err. */
struct recorder *recorder_start(struct store *st, struct ring *samples,
				struct ring *events,
				const struct recorder_opts *opts, char *err,
				size_t errlen);
/* Queue a question (from the one thread that also polls the answers);
 * 0, or -EAGAIN when RECORDER_MAX_ASKS are unanswered. */
#define RECORDER_MAX_ASKS 16
int recorder_ask(struct recorder *rec, const struct recorder_ask *q);
/* The next answer, if one waits; true when *out was filled. */
bool recorder_answer(struct recorder *rec, struct recorder_answer *out);
/* Counters so far; safe from any thread. */
void recorder_stats(const struct recorder *rec, struct recorder_stats *out);
/* Flush everything, final rollup, join, free; 0, or -EIO when samples or
 * events had to be dropped.  final may be NULL. */
int recorder_stop(struct recorder *rec, struct recorder_stats *final);

#endif
