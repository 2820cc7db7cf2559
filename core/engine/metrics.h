/* SPDX-License-Identifier: MIT */
/*
 * Prometheus /metrics (INTERFACES.md "Prometheus"): the text exposition
 * format (version 0.0.4) of the live model, the detector's open events and
 * the monitor's counters, served by libmicrohttpd on a thread of its own.
 *
 * Threads: the main thread renders the text (metrics_render, about once a
 * second) and hands it over with metrics_publish; the HTTP thread only
 * copies the newest text out under a mutex that neither side holds for
 * longer than a memcpy.  A slow or hung client costs the HTTP thread a
 * socket, never the main loop or a probe.
 */
#ifndef BB_METRICS_H
#define BB_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "core/analysis/model.h"
#include "core/analysis/stats.h"

struct detect;
struct monitor_status;
struct metrics;

/* What the windows do not keep: per-series totals since the start, for the
 * summaries' _sum/_count and the probe counters (main thread only). */
struct metrics_tally {
	struct metrics_count {
		const struct model_series *ms;
		uint64_t probes; /* sent; annotations, no-session excluded */
		uint64_t lost;	 /* of those, timeout or error */
		uint64_t ok;	 /* with a value */
		double sum;	 /* of the values, in s (delays) */
	} series[MODEL_MAX_SERIES];
	size_t n;
};

/* Count sample S of series MS (what model_add returned; NULL is ignored). */
void metrics_tally_add(struct metrics_tally *t, const struct model_series *ms,
		       const struct bb_sample *s);

/* Everything the exposition is made of; detect and status may be NULL. */
struct metrics_view {
	const struct model *model;
	const struct metrics_tally *tally;
	const struct detect *detect;
	const struct monitor_status *status;
	int64_t now_mono_ns; /* end of the rolling windows */
};

/* The RTT quantiles and loss ratio are over this window (stats.h). */
#define METRICS_WINDOW STATS_60S

/* The exposition text of V, NUL-terminated and malloc'd, in *text (its
 * length in *len); 0 or -ENOMEM. */
int metrics_render(const struct metrics_view *v, char **text, size_t *len);

/* Listen on LISTEN ("addr:port", an IP literal) and serve GET /metrics;
 * NULL with one line in err ("metrics.listen 127.0.0.1:9877: Address
 * already in use").  Serves an empty exposition until the first publish. */
struct metrics *metrics_start(const char *listen, char *err, size_t errlen);
/* Replace the text served (takes TEXT, which metrics_render made). */
void metrics_publish(struct metrics *mx, char *text, size_t len);
/* Stop the thread, close every connection, free (NULL is fine). */
void metrics_stop(struct metrics *mx);

#endif
