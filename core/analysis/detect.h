/* SPDX-License-Identifier: MIT */
/*
 * Where alerts are decided (DETECTION.md "Alert catalog"): per-series
 * baselines, one detector per alert kind, the event lifecycle (start,
 * updates, end after a hold time, no second event for the same kind and
 * place within alert_cooldown_s of an end: the old one is re-opened), the
 * cross-series diagnosis (micro-disconnect, routing) and a plain-words
 * verdict.  Main thread only; the detector reads the live model's rolling
 * windows (core/stats) and never does I/O: events leave through the
 * callback given to detect_new.
 *
 * Time: every decision is taken on the samples' monotonic send times; an
 * event's start_ms/end_ms are the wall-clock send times of the first and
 * last probe that showed the fault, so they are exact to one probe interval
 * whatever the probe timeout and the 1 s tick add to the detection delay.
 *
 * The pure helpers for data that needs a companion server, several
 * interfaces or hours of history are in core/analysis/detect_diag.h.
 */
#ifndef BB_DETECT_H
#define BB_DETECT_H

#include <stddef.h>
#include <stdint.h>

#include "core/analysis/event.h"
#include "core/base/config.h"
#include "core/base/sample.h"

struct detect;
struct model_series;

/* What happened to an event when the callback sees it. */
enum detect_state {
	DETECT_START,  /* new row */
	DETECT_UPDATE, /* figures, severity or text changed, or re-opened */
	DETECT_END,    /* end_ms now set */
};

/* Receives every change of an event, by value (push it, log it, alert). */
typedef void (*detect_event_fn)(void *ctx, const struct bb_event *ev,
				enum detect_state state);

/* Result of one bufferbloat test (DETECTION.md "Grades and plain words"). */
struct detect_bloat {
	int64_t idle_ns;    /* median RTT before the load */
	int64_t loaded_ns;  /* median RTT under load */
	char direction[12]; /* "upload", "download" or "both" */
};

/* A companion server as the detector knows it: the verdict names its port
 * when there is no session.  Never its host, key or key file. */
struct detect_server {
	char name[CONFIG_NAME_LEN];
	int port;
};

/* All the detector takes from the configuration: the thresholds and the
 * servers' names and ports, no secrets (it keeps a copy for its life). */
struct detect_params {
	struct bb_thresholds thresholds;
	struct detect_server servers[CONFIG_SERVERS_MAX];
	int n_servers;
};

/* P filled from CFG; returns P, so a caller can write
 * detect_new(detect_params_from_config(cfg, &(struct detect_params){0}),
 *               fn, ctx). */
const struct detect_params *
detect_params_from_config(const struct bb_config *cfg, struct detect_params *p);
/* Detector using P (copied); FN sees every event change. */
struct detect *detect_new(const struct detect_params *p, detect_event_fn fn,
			  void *ctx);
/* New thresholds and servers (a reload); events already open keep going
 * and end by the new thresholds. */
void detect_set_params(struct detect *d, const struct detect_params *p);
/* Free (open events are not closed: call detect_finish first). */
void detect_free(struct detect *d);
/* One sample, after model_add() returned its series MS (NULL is ignored). */
void detect_sample(struct detect *d, const struct model_series *ms,
		   const struct bb_sample *s);
/* Time-based evaluation (windows, holds, ends); call about once a second. */
void detect_tick(struct detect *d, int64_t now_mono_ns);
/* Close every open event (end = its last evidence); at shutdown. */
void detect_finish(struct detect *d);
/* The gateway of IFNAME changed (an address "" is none, as when the
 * gateway appears after the start or goes): an info event
 * "gateway_change" (start and end at once) with WHY (NULL or "": none)
 * when the probe could not follow; 1 if raised, 0 when nothing changed. */
int detect_gateway_change(struct detect *d, const char *ifname,
			  const char *old_addr, const char *new_addr,
			  const char *why, int64_t real_ms);
/* The route to a target changed (core/analysis/path.h: a hop answered
 * from another address, or the target at another hop): an info event
 * "path_change" (start and end at once) naming both routes. */
struct path_change;
void detect_path_change(struct detect *d, const struct path_change *ch);
/* Whether IFNAME ("" the default route's) has a default route, as the
 * gateway probe's search finds it.  An outage while it has none is this
 * computer's (cable out, WiFi off, no DHCP lease), not the line's: the
 * micro_disconnect event and the verdict say so. */
void detect_route(struct detect *d, const char *ifname, bool present);
/* A finished bufferbloat test towards SERVER: event when the increase is
 * above bufferbloat_alert_ms (critical above bufferbloat_critical_ms). */
void detect_bloat_result(struct detect *d, const char *ifname,
			 const char *server, const struct detect_bloat *b,
			 int64_t real_ms);
/* Clock-sync estimate to SERVER after N samples: time_sync_established
 * when QUALITY reaches time_sync_quality_pct, time_sync_lost when it drops
 * below again (info events). */
void detect_time_sync(struct detect *d, const char *server, double quality,
		      int64_t offset_ns, int n_samples, int64_t real_ms);
/* The peak-hour diagnosis of the history (diag_peak_hours over the
 * agg_1hour rows of the last days folded by local hour,
 * core/analysis/detect_diag.h): while PK->degraded the verdict names the
 * evening hours; NULL forgets. */
struct diag_peak;
void detect_peak_hours(struct detect *d, const struct diag_peak *pk);
/* One or a few plain sentences on what is wrong now, with figures, each
 * followed by what to do (core/analysis/advice.h): the diagnoses first (no
 * session, the local link, routing, the standing bufferbloat grade), then
 * the open events, then the evening hours.  When nothing is wrong:
 * "No problems detected so far (after 40 s)." in the first hour, then
 * "... in the last hour."; "Waiting for the first samples." before any.
 * Returns the length written (truncated to len - 1). */
size_t detect_verdict(const struct detect *d, char *buf, size_t len);
/* Events currently open. */
size_t detect_open_count(const struct detect *d);
/* Events of KIND (a detect_alert_name) open now. */
size_t detect_open_of_kind(const struct detect *d, const char *kind);
/* Learned delay baseline of a series in ns, BB_NONE before it is seeded. */
int64_t detect_baseline(const struct detect *d, const struct model_series *ms);
/* Baselines as text ("bbv1" then one "iface\tkind\ttarget\tserver\tvalue"
 * line per series) for the database's meta table; length written. */
size_t detect_baselines_save(const struct detect *d, char *buf, size_t len);
/* Seed baselines from detect_baselines_save() text; count loaded or
 * -EINVAL.  Loaded values are used when their series first appears. */
int detect_baselines_load(struct detect *d, const char *text);

/* The i-th alert kind's catalog name ("latency_spike", ...; the events
 * table's kind), NULL past the last: for the CLI to check a --kind. */
const char *detect_alert_name(int i);
/* The length of the longest of those names (a column that holds any). */
int detect_alert_name_width(void);

#endif
