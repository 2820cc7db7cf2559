/* SPDX-License-Identifier: MIT */
/*
 * The report's passive-bufferbloat section (event bufferbloat_passive,
 * core/analysis/detect_passive.h): the period's episodes per interface and
 * direction with the worst of them, read from the events' metrics, so
 * `bufferbane report` says how much the household's own traffic delayed
 * the line without any test load.  Pure: a summary in, rows out.
 */
#ifndef BB_REPORT_PASSIVE_H
#define BB_REPORT_PASSIVE_H

#include <stddef.h>
#include <stdint.h>

#include "core/base/sample.h"

struct history_summary;

#define REPORT_PASSIVE_MAX 16

struct report_passive {
	char interface[BB_IFNAME_LEN];
	char direction[12]; /* "upload", "download" */
	int episodes;
	int64_t busy_ms;     /* the episodes' total duration in the period */
	double worst_inc_ms; /* the largest increase of an episode */
	int64_t worst_ms;    /* when that episode started (Unix ms) */
	double worst_rate_kbps, worst_util_pct;
	char worst_grade[4];
	char worst_capacity[12]; /* "measured", "seen" */
};

/* The rows of S's bufferbloat_passive events, in order of first
 * appearance; how many (at most MAX). */
size_t report_passive_rows(const struct history_summary *s,
			   struct report_passive *out, size_t max);
/* One row in words: "+296 ms (grade D) at 6.2 Mbit/s, 100 % of the rate
 * seen, 2 episodes, 40 s"; length written. */
size_t report_passive_words(const struct report_passive *r, char *buf,
			    size_t len);

#endif
