/* SPDX-License-Identifier: MIT */
/*
 * Rolling-window statistics of one series (one interface, probe kind and
 * target) fed with struct bb_sample (MEASUREMENT.md "Delay and jitter",
 * "Loss").  The series keeps the last hour of samples, ordered by their
 * mono_ns (send time), in a buffer sized once from the probe interval: no
 * allocation after stats_log_new.  A summary over 10 s, 60 s, 5 min or
 * 1 h is computed on demand from the samples with now - window < mono_ns <=
 * now.
 *
 * Value of a sample: rtt_ns for delay kinds (icmp, udp_echo, dns,
 * tcp_connect, bufferbloat), throughput_kbps for upload and download; every
 * int64_t figure of a summary is in that unit (ns or kbit/s), BB_NONE when
 * the window holds no successful value.
 *
 * A sample flagged BB_SAMPLE_LATE or BB_SAMPLE_DUPLICATE is an annotation on
 * a probe already counted: it adds to `late`/`duplicates` and to nothing
 * else.  A series belongs to one thread (the main thread owns the model).
 */
#ifndef BB_STATS_H
#define BB_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/base/sample.h"

/* Marks a lost probe in stats_log_recent(); distinct from BB_NONE. */
#define STATS_LOST (INT64_MIN + 1)
/* Hard cap on entries kept per series, whatever the probe interval. */
#define STATS_MAX_ENTRIES 40000
/* Loss-run histogram buckets: runs of 1, 2, 3, 4, 5-9, 10+ probes. */
#define STATS_RUN_BUCKETS 6

enum stats_window {
	STATS_10S,
	STATS_60S,
	STATS_5M,
	STATS_1H,
	STATS_WINDOW_COUNT
};

/*
 * How a window's losses are spread (RFC 3357 loss periods):
 * NONE      no probe lost;
 * SCATTERED lost probes, no run longer than 2;
 * BURST     at least one run of 3 or more;
 * PERIODIC  at least 3 runs of 2 or more whose start times are evenly
 *           spaced: every gap between consecutive run starts is within
 *           max(2 probe intervals, 10 % of the mean gap) of the mean gap,
 *           and the mean gap is at least 5 probe intervals.  Takes
 *           precedence over BURST; loss_period_ns then holds the mean gap.
 */
enum stats_loss_pattern {
	STATS_LOSS_NONE,
	STATS_LOSS_SCATTERED,
	STATS_LOSS_BURST,
	STATS_LOSS_PERIODIC,
	STATS_LOSS_PATTERN_COUNT
};

struct stats_log;

struct stats_summary {
	int64_t window_ns; /* the window asked for */
	uint32_t count;	   /* probes sent (annotations excluded) */
	uint32_t lost;	   /* probes with status timeout or error */
	/* Over successful values: nearest-rank percentiles (rank =
	 * ceil(p/100 * n)), population standard deviation, mean rounded. */
	int64_t min, avg, max, stddev;
	int64_t p50, p95, p99;
	/* Mean |IPDV| (RFC 3393, RFC 5481 §4.1) over pairs of consecutive
	 * probes that both succeeded; a lost probe between breaks the pair. */
	int64_t ipdv_mean;
	/* RFC 3550 §A.8 J += (|D| - J)/16, D = difference of consecutive
	 * successful values, run over the series' whole history (not reset at
	 * the window start), as of the window's last successful sample. */
	int64_t jitter_rfc3550;
	int64_t peak_to_peak; /* max - min */
	double loss_pct;      /* 100 * lost / count; 0 when count is 0 */
	/* RFC 3357 loss periods, counted inside the window only (a run that
	 * began before the window start counts from the window start). */
	uint32_t loss_run_current; /* run ending at the window's last probe */
	uint32_t loss_run_longest;
	uint32_t loss_run_hist[STATS_RUN_BUCKETS];
	enum stats_loss_pattern pattern;
	/* Mean gap between run starts when PERIODIC, else BB_NONE. */
	int64_t loss_period_ns;
	/* Samples carrying each flag (RFC 4737 reordering etc.). */
	uint32_t reordered, duplicates, late;
	/* The window's last probe: its value (BB_NONE if lost), status
	 * (BB_STATUS_COUNT if the window is empty) and send time (BB_NONE). */
	int64_t last_value;
	uint8_t last_status;
	int64_t last_mono_ns;
	/* 1 when entries inside the window were evicted by the capacity cap:
	 * the figures then cover only the newest STATS_MAX_ENTRIES probes. */
	uint8_t truncated;
	/* Probes of the window flagged BB_SAMPLE_UNDER_LOAD (our own test's
	 * load); with stats_log_summary_quiet they are counted here only. */
	uint32_t under_load;
};

/* Series for probes sent every expected_interval_ns: room for one hour plus
 * 25 % slack, at most STATS_MAX_ENTRIES; NULL with errno on failure. */
struct stats_log *stats_log_new(int64_t expected_interval_ns);
/* Free a series (NULL is fine). */
void stats_log_free(struct stats_log *s);
/* Record one sample; entries older than an hour before the newest expire. */
void stats_log_add(struct stats_log *s, const struct bb_sample *sample);
/* Figures of window w ending at now_mono_ns.  Cost: O(n) plus an
 * O(n log n) sort of the window's values for the percentiles, n <= entries;
 * uses the series' preallocated scratch, so it is not reentrant. */
void stats_log_summary(const struct stats_log *s, enum stats_window w,
		       int64_t now_mono_ns, struct stats_summary *out);
/* The same figures of the line itself: probes sent under our own test's
 * load (BB_SAMPLE_UNDER_LOAD) measured that load, not the line, so they
 * count only in under_load (a pair across one is no IPDV pair). */
void stats_log_summary_quiet(const struct stats_log *s, enum stats_window w,
			     int64_t now_mono_ns, struct stats_summary *out);
/* The last (up to) max probes' values, oldest first, lost as STATS_LOST and
 * a success without a value as BB_NONE; returns how many were written. */
size_t stats_log_recent(const struct stats_log *s, int64_t *values, size_t max);
/* The same, and per value whether it was sent under our own test's load
 * (loaded may be NULL). */
size_t stats_log_recent_load(const struct stats_log *s, int64_t *values,
			     bool *loaded, size_t max);
/* Entries the series can hold. */
size_t stats_log_capacity(const struct stats_log *s);
/* The series value of a sample (rtt_ns or throughput_kbps by kind). */
int64_t stats_sample_value(const struct bb_sample *sample);
/* Length of a window in ns. */
int64_t stats_window_ns(enum stats_window w);
/* "10s", "60s", "5m", "1h". */
const char *stats_window_name(enum stats_window w);
/* "none", "scattered", "burst", "periodic". */
const char *stats_loss_pattern_name(enum stats_loss_pattern p);

#endif
