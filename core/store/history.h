/* SPDX-License-Identifier: MIT */
/*
 * Questions answered from the recorded history (the database), shared by
 * the live monitor's storage thread and the sub-commands that read a
 * database (`stats`, `report`).  Synchronous: call them only where blocking
 * on SQLite is fine.
 *
 * history_summarize() turns a period of the database into plain figures:
 * per series the probes sent and lost, the delay's min/p50/p95/p99/max,
 * throughput results, the latest and worst bufferbloat test per direction,
 * every event, and the peak-hour diagnosis; history_verdict() says in a few
 * sentences what was wrong.  Figures are exact (from the raw samples) unless
 * the period holds more than HISTORY_RAW_LIMIT probes: then the whole hours
 * in the middle come from the hourly rollups, and only their percentiles
 * are estimates (series.approx, summary.approx_from_ms..approx_to_ms).
 */
#ifndef BB_HISTORY_H
#define BB_HISTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/analysis/detect_diag.h"
#include "core/analysis/event.h"
#include "core/base/sample.h"

struct store;

#define HISTORY_MAX_SERIES 64
#define HISTORY_MAX_KINDS  16 /* distinct event kinds counted */
#define HISTORY_MAX_BLOAT  16 /* (interface, server, direction) rows */
/* Above this many probes in the period the whole hours come from the
 * rollups: reading and summarizing raw samples costs ~1.4 us each (a
 * default week, 2-3 M probes, would take 2.8-4 s; the rollups ~0.1 s). */
#define HISTORY_RAW_LIMIT 1000000
/* A direction with a worst bufferbloat increase below this is "fine"
 * (DETECTION.md: the bufferbloat alert's warning level). */
#define HISTORY_BLOAT_BAD_MS 100.0

enum {
	HISTORY_AUTO = 0,	  /* exact, or rollups for a long period */
	HISTORY_EXACT = 1 << 0,	  /* always read every raw sample */
	HISTORY_ROLLUPS = 1 << 1, /* use the rollups whenever they exist */
};

/* One series: (interface, kind, target, server).  Delays in ms, rates in
 * kbit/s; NAN where nothing was measured. */
struct history_series {
	char interface[BB_IFNAME_LEN];
	char target[BB_TARGET_LEN];
	char server[BB_SERVER_LEN];
	int kind;	    /* enum bb_probe_kind */
	int approx;	    /* p50/p95/p99 estimated from hourly rollups */
	int64_t sent, lost; /* probes (tests for upload/download) */
	double loss_pct;    /* 100 * lost / sent */
	double min_ms, p50_ms, p95_ms, p99_ms, max_ms; /* the main delay */
	double tput_median_kbps, tput_min_kbps, tput_max_kbps; /* up/down */
};

/* Bufferbloat results of one direction ("up", "down", "both") against one
 * server, parsed from the samples' detail ("up D +290ms rpm=190 ..."). */
struct history_bloat {
	char interface[BB_IFNAME_LEN];
	char server[BB_SERVER_LEN];
	char direction[8];
	int tests, failed;
	int64_t latest_ms, worst_ms; /* when (Unix ms) */
	double latest_inc_ms, worst_inc_ms;
	double latest_rpm, worst_rpm;
	char latest_grade[4], worst_grade[4];
};

/* The path probe's hops (the `hops` table) of one target in the hour of the
 * period with the most loss at the target (core/store/history_path.c). */
#define HISTORY_MAX_PATHS 8
#define HISTORY_MAX_HOPS  32
struct history_hop {
	char addr[BB_ADDR_LEN]; /* newest responder, "" none */
	int64_t sent, lost;
	double loss_pct;
	double p50_ms, p95_ms; /* NAN: nothing answered */
	/* path_blame (core/analysis/path.h): loss carried on to the target
	 * (the line's) and the rest (the router's own) */
	double line_pct, own_pct;
};
struct history_path {
	char interface[BB_IFNAME_LEN];
	char target[BB_TARGET_LEN];
	int64_t from_ms, to_ms; /* the hour shown */
	double target_loss_pct; /* at the target's hop in that hour */
	int n_hops;		/* up to the target (or the highest tried) */
	int reached;		/* the target answered in that hour */
	int lossy_hop;		/* where the line's loss starts, 0 none */
	struct history_hop hop[HISTORY_MAX_HOPS];
};

/* Events of one kind. */
struct history_kind_count {
	char kind[BB_EVENT_KIND_LEN];
	int count;
	int by_severity[BB_SEV_COUNT];
	int64_t longest_ms;	  /* duration of the longest */
	int64_t longest_start_ms; /* and when it started */
	int timed; /* events with a length; 0: all instants (a test's result,
		    * a change seen), whose length means nothing */
	int burst, scattered, periodic, unreachable; /* packet_loss patterns */
	int no_route; /* micro_disconnects without a default route */
};

struct history_summary {
	int64_t from_ms, to_ms;	   /* the period asked for, [from, to) */
	int64_t first_ms, last_ms; /* first and last probe in it, 0 if none */
	char span[32];	 /* "7 d" etc. for "the last ..."; "" = none */
	int64_t samples; /* probes and tests in the period */
	int approx;	 /* some figures come from the rollups */
	int64_t approx_from_ms, approx_to_ms; /* the hours that do */
	/* raw samples before this were deleted (retention, cleanup) and the
	 * period starts before it: its hours come from the hourly rollups,
	 * throughput and bufferbloat tests there are not known; 0 = none */
	int64_t raw_gone_ms;
	size_t nseries;
	struct history_series series[HISTORY_MAX_SERIES];
	int series_overflow; /* more series than HISTORY_MAX_SERIES: left out */
	size_t nbloat;
	struct history_bloat bloat[HISTORY_MAX_BLOAT];
	size_t nkinds;
	struct history_kind_count kinds[HISTORY_MAX_KINDS];
	int events_by_severity[BB_SEV_COUNT];
	size_t nevents;		 /* every event overlapping the period */
	struct bb_event *events; /* by start; owned, history_summary_fini */
	size_t nnosess; /* servers with echoes sent without a session */
	struct history_nosess {
		char server[BB_SERVER_LEN];
		int64_t count, first_ms, last_ms;
		char why[BB_DETAIL_LEN]; /* the last one's reason, "" = none */
	} nosess[8];
	size_t npaths; /* traced paths (tests.path), HISTORY_MAX_PATHS at most
			*/
	struct history_path paths[HISTORY_MAX_PATHS];
	int have_peak;	/* peak-hour diagnosis available */
	int peak_short; /* not judged: the period is under a day */
	struct diag_peak peak;
	int64_t elapsed_ms; /* time history_summarize took */
};

/* Peak-hour diagnosis (DETECTION.md scenario 6) of the agg_1hour rows of
 * the icmp and udp_echo series in [now_ms - days, now_ms), folded by local
 * hour of day.  0, -ENOENT when the peak (18..23) or off-peak hours have no
 * row yet, or -errno from the store. */
int history_peak_hours(struct store *st, int64_t now_ms, int days,
		       struct diag_peak *out);

/* Open PATH read-only for a sub-command: 0, or -ENOENT (no such file),
 * -EILSEQ (not a Bufferbane database, empty file included) or another
 * -errno (locked, unreadable, damaged) with "PATH: what" in err. */
int history_open(const char *path, struct store **out, char *err,
		 size_t errlen);
/* The exit status for a history_open failure: 2 for bad input (-ENOENT,
 * -EILSEQ), 1 for a runtime failure (README "Exit status"). */
int history_open_exit_code(int rc);
/* Summarize [from_ms, to_ms) into out (HISTORY_* flags); 0 or -errno.
 * Call history_summary_fini() afterwards, whatever it returned. */
int history_summarize(struct store *st, int64_t from_ms, int64_t to_ms,
		      int flags, struct history_summary *out);
/* The paths part of history_summarize (history_path.c): out->paths from
 * the hops table of [from_ms, to_ms); 0 or -errno. */
int history_paths(struct store *st, int64_t from_ms, int64_t to_ms,
		  struct history_summary *out);
/* Free what history_summarize allocated (the event list). */
void history_summary_fini(struct history_summary *s);
/* A few plain sentences on what was wrong in the period; returns the
 * length written (truncated to len - 1). */
size_t history_verdict(const struct history_summary *s, char *buf, size_t len);
/* An event of an instant (start == end: a bufferbloat result, a
 * gateway_change, a time_sync_* ...): it has no length to show. */
bool history_event_instant(const struct bb_event *ev);
/* Unix ms -> "YYYY-MM-DD HH:MM:SS" in local time. */
void history_format_time(int64_t ms, char *buf, size_t len);
/* A duration in words: "8.0 s", "42 s", "12 min", "3.5 h", "2.0 days". */
void history_format_duration(int64_t ms, char *buf, size_t len);
/* A --last span for the verdict's "the last ...": "7 days", "24 h". */
void history_span_text(int64_t ms, char *buf, size_t len);
/* The longest --last span: ten years is plenty. */
#define HISTORY_LAST_MAX_DAYS 3650
/* Span "90s", "15m", "24h", "7d", "2w" or a sum, units largest first
 * ("1h30m", "1d12h") -> ms; 0, -EINVAL, or -ERANGE over
 * HISTORY_LAST_MAX_DAYS. */
int history_parse_last(const char *text, int64_t *ms);
/* "YYYY-MM-DD[ HH:MM[:SS]]" (also with 'T') in local time -> Unix ms;
 * 0 or -EINVAL. */
int history_parse_time(const char *text, int64_t *ms);

#endif
