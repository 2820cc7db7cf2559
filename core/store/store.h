/* SPDX-License-Identifier: MIT */
/*
 * The SQLite database (INTERFACES.md "Database"): compact physical tables,
 * the stable view `measurements`, the `events` table, the `agg_1min` and
 * `agg_1hour` rollups and the `meta` table.  Synchronous; one handle is used
 * by one thread at a time (the storage thread, replay or a sub-command).
 *
 * Samples read back are the samples written, field for field, except that
 * the delays (rtt, up, down, clock offset, bloat figures) are kept to the
 * microsecond (rounded to nearest), real_ns to the microsecond below,
 * mono_ns within 1 µs, and send_error_ns is not kept (BB_NONE).  A version
 * 1 file is converted on a read-write open, in memory on a read-only one.
 * Functions return 0 (or a count / id) or -errno; the reason of the last
 * failure, naming the file, is in store_last_error().
 */
#ifndef BB_STORE_H
#define BB_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "core/base/sample.h"

struct store;
struct bb_sample;
struct bb_event;

#define STORE_SCHEMA_VERSION 2

enum {
	STORE_RDWR = 0,	       /* create or migrate, write */
	STORE_RDONLY = 1 << 0, /* replay, export: never writes */
	STORE_CHECK = 1 << 1,  /* also run PRAGMA quick_check on open (slow) */
};

/* Called per row in time order; a non-zero return stops and is returned. */
typedef int (*store_sample_fn)(void *ctx, const struct bb_sample *s);
typedef int (*store_event_fn)(void *ctx, const struct bb_event *ev);

/* Open or create the database at path; NULL with a reason in err. */
struct store *store_open(const char *path, int flags, char *err, size_t errlen);
/* Why a store_open failed, for the exit status (README: 2 for bad input, 1
 * for a runtime failure) and for the advice to give. */
enum store_open_why {
	STORE_WHY_FAILED = 1, /* locked, damaged (truncated, corrupt), I/O */
	STORE_WHY_INPUT,      /* no such file (read-only), not a regular
			       * file, not an SQLite or Bufferbane database */
	STORE_WHY_WRITE,      /* the file or its folder cannot be written or
			       * created (permissions, read-only, full) */
};
/* store_open, and on failure *why = enum store_open_why. */
struct store *store_open_why(const char *path, int flags, int *why, char *err,
			     size_t errlen);
/* The exit status for a why of store_open_why: 2 or 1. */
int store_why_exit_code(int why);
/* Close the handle (NULL is fine); pending statements are finalized. */
void store_close(struct store *st);
/* This database's client id: 16 lowercase hex chars. */
const char *store_client_id(const struct store *st);
/* Why the last call failed ("path: what"), "" if it did not. */
const char *store_last_error(const struct store *st);
/* Bound on waiting for another process's lock, per call (default 2000). */
void store_set_busy_timeout(struct store *st, int ms);
/* connection_type recorded for samples of interface (default "unknown"). */
int store_set_connection_type(struct store *st, const char *interface,
			      const char *type);
/* Write n samples in one transaction; -EBUSY when locked past the timeout.
 * On any error nothing was written and the caller still owns the batch. */
int store_write_samples(struct store *st, const struct bb_sample *s, size_t n);
/* Samples with from_ms <= timestamp < to_ms, in time order. */
int store_read_samples(struct store *st, int64_t from_ms, int64_t to_ms,
		       store_sample_fn cb, void *ctx);
/* The newest max samples of kind sent before to_ms, oldest first (what a
 * replay rebuilt from the hour before its clock would miss: the last
 * throughput and bufferbloat tests, hours apart). */
int store_read_newest(struct store *st, int kind, int64_t to_ms, size_t max,
		      store_sample_fn cb, void *ctx);
/* The same, each sample with its series' connection_type (the measurements
 * view's column): what export writes. */
typedef int (*store_measurement_fn)(void *ctx, const struct bb_sample *s,
				    const char *connection_type);
int store_read_measurements(struct store *st, int64_t from_ms, int64_t to_ms,
			    store_measurement_fn cb, void *ctx);
/* First and last sample timestamp (Unix ms); -ENOENT when empty. */
int store_time_range(struct store *st, int64_t *first_ms, int64_t *last_ms);
/* The companion server names of every series recorded (samples name them),
 * sorted, each once; a non-zero cb return stops and is returned. */
int store_read_servers(struct store *st, int (*cb)(void *ctx, const char *name),
		       void *ctx);
/* Insert (id 0: or update the row with the same start/kind/place) or update
 * (id set) an event; returns the row id (> 0) or -errno. */
int64_t store_event_write(struct store *st, const struct bb_event *ev);
/* Events overlapping [from_ms, to_ms), ongoing ones included, by start. */
int store_read_events(struct store *st, int64_t from_ms, int64_t to_ms,
		      store_event_fn cb, void *ctx);
/* Echoes sent without a session (BB_SAMPLE_NO_SESSION) in [from_ms, to_ms),
 * one call per series: how many, first and last (Unix ms), and the last
 * one's reason when it had one (an error's detail: "cannot resolve ...",
 * "port 9876 refused: ..."; "" for silence); cb returns nonzero to stop.
 * 0 or -errno. */
typedef int (*store_nosess_fn)(void *ctx, const char *iface, const char *target,
			       const char *server, int64_t count,
			       int64_t first_ms, int64_t last_ms,
			       const char *why);
int store_read_no_session(struct store *st, int64_t from_ms, int64_t to_ms,
			  store_nosess_fn cb, void *ctx);
/* The path probe's rows (`hops`) sent in [from_ms, to_ms), in time order,
 * as BB_KIND_PATH samples (hop, hop_addr, rtt_ns, status, detail,
 * BB_SAMPLE_PATH_END, BB_SAMPLE_UNDER_LOAD); a file without the table has
 * none.  0 or -errno. */
int store_read_hops(struct store *st, int64_t from_ms, int64_t to_ms,
		    store_sample_fn cb, void *ctx);
/* Roll complete 1-min and 1-hour buckets ending <= now_ms not yet rolled up;
 * returns the number of aggregate rows written (idempotent). */
int store_rollup(struct store *st, int64_t now_ms);
/* Read key from the meta table into out; -ENOENT when absent. */
int store_meta_get(struct store *st, const char *key, char *out, size_t len);
/* Write (insert or replace) key in the meta table; 0 or -errno. */
int store_meta_set(struct store *st, const char *key, const char *value);
/* Database size in bytes (page_count * page_size, WAL content included). */
int store_db_bytes(struct store *st, int64_t *bytes);

/* One row of agg_1min / agg_1hour.  Delays in ms, rates in kbit/s; NAN
 * where the bucket held no successful value. */
struct store_agg {
	int64_t bucket_ms;	       /* bucket start, Unix ms */
	int64_t series;		       /* series id */
	int kind;		       /* enum bb_probe_kind, -1 when unknown */
	char interface[BB_IFNAME_LEN]; /* the series' place, as in samples */
	char target[BB_TARGET_LEN];
	char server[BB_SERVER_LEN];
	int64_t count, lost;
	double min, max, avg, p50, p95, p99;
};

typedef int (*store_agg_fn)(void *ctx, const struct store_agg *row);

enum { STORE_AGG_1MIN, STORE_AGG_1HOUR };
/* Rollup rows of level (STORE_AGG_*) with from_ms <= bucket_ms < to_ms, by
 * bucket then series; a non-zero cb return stops and is returned. */
int store_read_aggs(struct store *st, int level, int64_t from_ms, int64_t to_ms,
		    store_agg_fn cb, void *ctx);
/* The same for one series (interface, kind, target, server as in struct
 * bb_sample; every connection type), by bucket. */
int store_read_series_aggs(struct store *st, int level, const char *interface,
			   int kind, const char *target, const char *server,
			   int64_t from_ms, int64_t to_ms, store_agg_fn cb,
			   void *ctx);

/* What retention or `cleanup` deletes: what lies wholly before these times
 * (Unix ms; 0 keeps): blocks whose every sample was sent before raw_ms (with
 * their sample_extra rows), rollup buckets ending by min1_ms / hour_ms, and
 * events that ended before events_ms (ongoing ones stay).  Raw samples go
 * only once the rollup levels that outlive them hold their period: raw_ms is
 * bounded by rollup_1min_until / rollup_1hour_until unless that level is cut
 * as far (raw_until_ms says where it ended up). */
struct store_purge {
	int64_t raw_ms, min1_ms, hour_ms, events_ms;
};

struct store_purge_count {
	int64_t blocks, samples, extras; /* raw: rows, samples, detail rows */
	int64_t min1, hours, events; /* rows of agg_1min, agg_1hour, events */
	int64_t first_ms;	     /* the oldest raw sample to go, 0 none */
	int64_t raw_until_ms;	     /* the raw cut-off after the bound */
	int64_t bytes;		     /* approximate size of those rows */
};

/* The cut-offs for retention periods in days (0: forever) at now_ms. */
void store_purge_horizon(struct store_purge *p, int64_t now_ms, int raw_days,
			 int min1_days, int hour_days, int events_days);
/* Count what store_purge_step would delete (read-only handles too). */
int store_purge_count(struct store *st, const struct store_purge *p,
		      struct store_purge_count *out);
/* Delete at most max_rows rows of what p names, oldest first, in one short
 * transaction (the rows' counts are added to done, if given).  Returns 1
 * when the budget ran out (call again), 0 when nothing is left, -errno. */
int store_purge_step(struct store *st, const struct store_purge *p,
		     int max_rows, struct store_purge_count *done);
/* Give up to max_pages free pages back to the file system (a file made with
 * auto_vacuum = INCREMENTAL); returns the pages given back, 0 when the file
 * cannot shrink this way; *free_bytes = free space left inside the file. */
int store_reclaim(struct store *st, int max_pages, int64_t *free_bytes);
/* PRAGMA auto_vacuum of the file: 0 none, 1 full, 2 incremental. */
int store_auto_vacuum(struct store *st);

#endif
