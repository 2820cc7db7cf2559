/* SPDX-License-Identifier: MIT */
/*
 * The live model, owned by the main thread: one series per (interface,
 * probe kind, target, server), each with its rolling statistics.  Front ends
 * read it between samples; model_generation() changes whenever it does, so
 * a view redraws only when there is something new.
 */
#ifndef BB_MODEL_H
#define BB_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/base/sample.h"

#define MODEL_MAX_SERIES 128

struct model;
struct stats_log;
struct path_change;
struct path_table;
struct path_view;

struct model_series {
	char interface[BB_IFNAME_LEN];
	char target[BB_TARGET_LEN];
	char server[BB_SERVER_LEN];
	enum bb_probe_kind kind;
	struct stats_log *stats;
	struct bb_sample last;	/* newest probe (not annotations); its
				   BB_SAMPLE_NO_SESSION: no session now */
	struct bb_sample quiet; /* newest not sent under our own test's
				   load (the line's one-way delays); no
				   figures (sample_init) before one */
	uint64_t samples;	/* probes seen, annotations excluded */
};

/* The newest bufferbloat result of one load phase towards one server,
 * from the sample's typed figures (DETECTION.md grades). */
struct model_bloat {
	bool have;	     /* a test of this phase ended */
	bool ok;	     /* it produced a result (else detail says why) */
	int64_t at_ms;	     /* Unix ms the test started */
	int64_t idle_ns;     /* median RTT without load, BB_NONE unknown */
	int64_t loaded_ns;   /* median RTT under load */
	int64_t increase_ns; /* loaded - idle, BB_NONE unknown */
	int32_t rpm;	     /* round trips per minute under load, -1 */
	char grade[3];	     /* "A+".."F", "" unknown */
	char detail[BB_DETAIL_LEN];
};

/* What the windows do not keep about one companion server: its newest
 * bufferbloat result per phase and its echo losses by direction since the
 * model started, those under our own test's load left out (so -d and the
 * screens show the same figures). */
#define MODEL_MAX_SERVERS 16
enum { MODEL_BLOAT_UP, MODEL_BLOAT_DOWN, MODEL_BLOAT_BOTH, MODEL_BLOAT_N };
struct model_server {
	char server[BB_SERVER_LEN];
	struct model_bloat bloat[MODEL_BLOAT_N];
	uint64_t lost_up, lost_down;
};

/* Interface traffic (kind traffic, core/probe/traffic.h): per probed
 * interface the newest rates and the last hour of them, one point per
 * second (samples of one second averaged).  Traffic samples make no
 * model_series: they have no delay, no loss and two figures. */
#define MODEL_TRAFFIC_HISTORY 3600 /* points: an hour of seconds */
#define MODEL_MAX_TRAFFIC     8	   /* interfaces (ENGINE_MAX_WORKERS) */
struct model_traffic_point {
	int64_t real_s;		  /* Unix second the rates end in */
	int64_t rx_kbps, tx_kbps; /* BB_NONE: not measured (counter reset) */
};
struct model_traffic {
	char interface[BB_IFNAME_LEN]; /* as probed: "" = default route */
	char device[BB_IFNAME_LEN];    /* whose counters (newest sample) */
	int64_t at_ns;		       /* real time of the newest sample */
	int64_t rx_kbps, tx_kbps;      /* newest rates, BB_NONE: not measured */
	bool ok; /* newest sample measured (else detail) */
	char detail[BB_DETAIL_LEN];
	size_t n; /* points held, <= MODEL_TRAFFIC_HISTORY */
	/* ring: read it with model_traffic_history() */
	size_t head;
	uint32_t head_count; /* samples averaged into the newest point */
	struct model_traffic_point ring[MODEL_TRAFFIC_HISTORY];
};

/* Empty model whose series expect one sample per interval_ns. */
struct model *model_new(int64_t interval_ns);
/* Free the model and its series. */
void model_free(struct model *m);
/* Feed one sample; returns its series (NULL when the table is full). */
const struct model_series *model_add(struct model *m,
				     const struct bb_sample *s);
/* Number of series, in order of first appearance. */
size_t model_count(const struct model *m);
/* Series i (0 <= i < model_count). */
const struct model_series *model_at(const struct model *m, size_t i);
/* Changes every time the model does. */
uint64_t model_generation(const struct model *m);
/* Companion servers seen (bufferbloat results or echoes), in order of
 * first appearance; server i; the one named NAME (NULL when unknown). */
size_t model_server_count(const struct model *m);
const struct model_server *model_server_at(const struct model *m, size_t i);
const struct model_server *model_server_find(const struct model *m,
					     const char *name);
/* The newest result of PHASE (MODEL_BLOAT_*) of any server, NULL if none. */
const struct model_bloat *model_bloat_latest(const struct model *m, int phase);
/* The traffic of interface IFACE ("" = default route) or NULL when no
 * traffic sample of it came; the i-th interface that has traffic. */
const struct model_traffic *model_traffic(const struct model *m,
					  const char *iface);
size_t model_traffic_count(const struct model *m);
const struct model_traffic *model_traffic_at(const struct model *m, size_t i);
/* Copy the newest up-to-max points of t into out, oldest first; returns
 * how many. */
size_t model_traffic_history(const struct model_traffic *t,
			     struct model_traffic_point *out, size_t max);
/* The path probe's samples (BB_KIND_PATH) are not series: they go to a
 * table of paths hop by hop (core/analysis/path.h).  model_add() files
 * them there and returns NULL; model_path_add() does the same and returns
 * 1 with *ch filled (ch may be NULL) when the path changed. */
int model_path_add(struct model *m, const struct bb_sample *s,
		   struct path_change *ch);
/* Every path seen (->n of them in ->path[]), for a path view. */
const struct path_table *model_paths(const struct model *m);
/* The path to TARGET (its display name) through INTERFACE ("" default
 * route): per hop (hop[i] is TTL i + 1, n_hops of them) the responder,
 * loss, p50/p95 RTT and the blame split; NULL when none seen. */
const struct path_view *model_path(const struct model *m, const char *interface,
				   const char *target);
/* Samples refused because the series table was full. */
uint64_t model_overflow(const struct model *m);

#endif
