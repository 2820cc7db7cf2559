/* SPDX-License-Identifier: MIT */
/*
 * What a chart shows, read from a recording once and drawn by any renderer
 * (chart_draw: PNG/SVG with cairo; chart_html: one self-contained HTML
 * file): per series, the period cut into buckets with their count, losses
 * and delay figures; the events of the period; the bufferbloat results.
 * Figures are in the series' unit (ms for delays, kbit/s for throughput);
 * NAN where a bucket has no answered probe (a gap the drawing breaks at).
 */
#ifndef BB_CHART_DATA_H
#define BB_CHART_DATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/base/sample.h"

struct store;

/* INTERFACES.md's chart kinds, in its order (the first is the default). */
enum chart_kind {
	CHART_LATENCY_OVER_TIME,
	CHART_JITTER_OVER_TIME,
	CHART_PACKET_LOSS_OVER_TIME,
	CHART_THROUGHPUT_OVER_TIME,
	CHART_LATENCY_DISTRIBUTION,
	CHART_CONNECTION_COMPARISON,
	CHART_DAILY_HEATMAP,
	CHART_BUFFERBLOAT_IMPACT,
	CHART_LATENCY_VS_LOAD,
	CHART_KIND_COUNT
};

struct chart_bucket {
	int64_t t_ms;		   /* bucket start, Unix ms */
	uint32_t count, lost;	   /* probes sent, of them lost */
	double min, p50, p95, max; /* NAN: no answered probe */
	double jitter;		   /* mean |IPDV| in ms; NAN: none */
	double p25, p75;	   /* the smoke's inner band; NAN: none */
};

struct chart_series {
	char interface[BB_IFNAME_LEN];
	char target[BB_TARGET_LEN];
	char server[BB_SERVER_LEN];
	uint8_t kind;	  /* enum bb_probe_kind */
	const char *unit; /* "ms", "kbit/s" */
	char label[160];  /* "icmp 1.1.1.1 via eth0" */
	struct chart_bucket *b;
	size_t n;
	/* latency distribution: counts of answered probes per bin; bin i
	 * spans [hist_edge_ms[i], hist_edge_ms[i + 1]) */
	uint32_t *hist;
	size_t nhist;
	/* the whole period: probes sent and lost; delay (or rate) figures
	 * estimated from hist for delays, exact for throughput; NAN: none */
	uint64_t sent, lost;
	double min, p50, p95, max;
};

/* One hour of one local day (the daily heatmap): every icmp and udp_echo
 * series of the query together.  p50 NAN: no answered probe. */
struct chart_heat {
	uint32_t count, lost;
	double p50;
};

struct chart_event {
	int64_t start_ms, end_ms; /* end -1: still open */
	char kind[32];
	char severity[16]; /* "warning", "critical", "info" */
	char interface[BB_IFNAME_LEN];
	char target[BB_TARGET_LEN];
	char description[256];
};

struct chart_bloat {
	int64_t t_ms;
	uint8_t phase; /* enum bb_load_phase */
	char server[BB_SERVER_LEN];
	double idle_ms, loaded_ms, increase_ms;
	int rpm;
};

/* Latency against load (issue 16): each delay probe (icmp and udp_echo,
 * not the gateway, not sent under our own test) joined to the traffic
 * reading of its interface that covers the second it was sent, binned by
 * that second's rate as a share of the highest rate the interface held
 * for 3 readings (the middle of three), per direction.  Bin i spans
 * [10 i, 10 i + 10) %, the last one everything from 90 % up. */
#define CHART_LOAD_BINS 10
enum { CHART_LOAD_UP, CHART_LOAD_DOWN, CHART_LOAD_NDIR }; /* tx, rx */

struct chart_load_bin {
	uint32_t count, lost;	       /* delay probes sent, of them lost */
	double p5, p25, p50, p75, p95; /* ms; NAN: no answered probe */
};

struct chart_load {
	char interface[BB_IFNAME_LEN];	  /* as configured, "" default route */
	char device[BB_TARGET_LEN];	  /* the device read (newest) */
	uint64_t readings;		  /* traffic readings in the period */
	uint64_t joined;		  /* delay probes joined to one */
	double cap_kbps[CHART_LOAD_NDIR]; /* 100 %; 0: never any traffic */
	struct chart_load_bin bin[CHART_LOAD_NDIR][CHART_LOAD_BINS];
};

struct chart_query {
	int64_t from_ms, to_ms; /* [from, to) */
	const char *interface;	/* NULL or "": every one */
	const char *target;	/* NULL or "": every one */
	int segments;		/* buckets across the period (0: default) */
	/* leave out latency_vs_load's join of every delay probe to its
	 * second's traffic reading, which a chart of another kind does not
	 * need (bench_chart times the read with and without it) */
	bool without_load;
};

struct chart_data {
	int64_t from_ms, to_ms, bucket_ms;
	char tz[16];	   /* the local time zone's name, for the time axis */
	bool from_rollups; /* raw samples gone: built from agg_1min/1hour */
	struct chart_series *series;
	size_t nseries;
	double *hist_edge_ms; /* nhist + 1 edges shared by every series */
	struct chart_event *events;
	size_t nevents;
	struct chart_bloat *bloat;
	size_t nbloat;
	size_t nbins; /* histogram bins (hist_edge_ms has nbins + 1) */
	/* buckets before this come from the rollups (0: none do) */
	int64_t rollups_until_ms;
	/* daily heatmap: heat[day * 24 + hour], day 0 the local day of
	 * from_ms starting at heat_day0_ms (local midnight) */
	int64_t heat_day0_ms;
	int heat_days;
	struct chart_heat *heat;
	/* latency against load: one per interface with traffic readings
	 * (raw samples only: rollups keep no traffic seconds) */
	struct chart_load *load;
	size_t nload;
};

/* Read what the charts of q's period need; 0, -ENOENT (nothing recorded in
 * the period) or -errno with a reason in err. */
int chart_data_load(struct store *st, const struct chart_query *q,
		    struct chart_data *out, char *err, size_t errlen);
/* The same from one series' rollup rows already read (1-minute rows
 * first, 1-hour rows where no minute row covers the hour; each by bucket),
 * as a front end gets them off its main thread: no database access. */
struct store_agg;
int chart_data_from_aggs(const struct chart_query *q,
			 const struct store_agg *min, size_t nmin,
			 const struct store_agg *hour, size_t nhour,
			 struct chart_data *out, char *err, size_t errlen);
void chart_data_free(struct chart_data *d);
/* Why the latency_vs_load chart of d has nothing to draw, in words ("no
 * traffic readings in this period: tests.traffic.enabled"); NULL when it
 * has boxes. */
const char *chart_load_missing(const struct chart_data *d);
/* INTERFACES.md's name of a kind ("latency_over_time", ...); -1 unknown. */
const char *chart_kind_name(enum chart_kind k);
int chart_kind_from_name(const char *name);

#endif
