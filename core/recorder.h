/* SPDX-License-Identifier: MIT */
/*
 * The storage thread (ARCHITECTURE.md "Data flow"): it owns the store handle
 * between recorder_start and recorder_stop, drains the samples ring (struct
 * bb_sample) and the events ring (struct bb_event), writes a batch at most
 * every batch_interval_ms or as soon as batch_max samples wait, and rolls up
 * aggregates every rollup_interval_ms.  A failed batch stays in memory and is
 * retried with backoff; past max_pending samples the oldest are dropped,
 * counted and logged.  Producers only push to the rings and never block.
 */
#ifndef BB_RECORDER_H
#define BB_RECORDER_H

#include <stddef.h>
#include <stdint.h>

struct recorder;
struct ring;
struct store;

/* Zero fields take the defaults in brackets. */
struct recorder_opts {
	int batch_interval_ms;	/* [1000] most time a sample waits */
	size_t batch_max;	/* [1000] samples per transaction */
	int rollup_interval_ms; /* [60000] */
	int rollup_grace_ms;	/* [30000] a bucket rolls up once this old */
	size_t max_pending;	/* [20000] samples held while writes fail */
	int stop_timeout_ms;	/* [5000] retrying at stop before dropping */
	/* Where messages go ([NULL]: stderr); called on the storage thread. */
	void (*log)(void *ctx, const char *msg);
	void *log_ctx;
};

struct recorder_stats {
	uint64_t written;	 /* samples committed */
	uint64_t failed_batches; /* write attempts that failed (retried) */
	uint64_t dropped;	 /* samples given up on */
	uint64_t events_written; /* event rows inserted or updated */
	uint64_t events_dropped;
	uint64_t rollups; /* aggregate rows written */
	uint64_t pending; /* samples waiting in memory now */
};

/* Spawn the storage thread; st must not be used elsewhere until stop.
 * events may be NULL.  NULL with a reason in err. */
struct recorder *recorder_start(struct store *st, struct ring *samples,
				struct ring *events,
				const struct recorder_opts *opts, char *err,
				size_t errlen);
/* Counters so far; safe from any thread. */
void recorder_stats(const struct recorder *rec, struct recorder_stats *out);
/* Flush everything, final rollup, join, free; 0, or -EIO when samples or
 * events had to be dropped.  final may be NULL. */
int recorder_stop(struct recorder *rec, struct recorder_stats *final);

#endif
