/* SPDX-License-Identifier: MIT */
/*
 * Value series as the widgets see them, and the scales they are drawn on.
 * A series is an array of int64_t, oldest first, in the caller's unit
 * (the plot assumes microseconds).  Two marker values stand for a probe that
 * was lost and for a slot with no data; both are negative, so every real
 * value is >= 0 (negative real values are drawn as 0).
 *
 * Auto scales are "nice" (1, 2 or 5 times a power of ten) ceilings of the
 * 95th percentile of the visible values, so one spike cannot flatten the rest
 * of a line: values above the top are clipped and the widget marks them.
 */
#ifndef BB_TRACE_H
#define BB_TRACE_H

#include <stddef.h>
#include <stdint.h>

#define TRACE_NODATA INT64_MIN	     /* no sample for this slot (= BB_NONE) */
#define TRACE_LOST   (INT64_MIN + 1) /* the probe was sent and lost */

/* True for a real value (neither marker). */
static inline int trace_is_value(int64_t v)
{
	return v != TRACE_NODATA && v != TRACE_LOST;
}

/* Smallest 1/2/5 x 10^k that is >= v; 1 for v <= 1. */
int64_t trace_nice_ceil(int64_t v);
/* A nice tick step so that top needs at most max_ticks steps. */
int64_t trace_nice_step(int64_t top, int max_ticks);
/* The lower 95th percentile of the real values (index floor(0.95 (k-1)) of
 * the sorted values), -1 when there are none. */
int64_t trace_p95(const int64_t *v, size_t n);
/* The top of the scale: fixed when > 0, else the nice ceiling of the p95. */
int64_t trace_top(const int64_t *v, size_t n, int64_t fixed);

#endif
