/* SPDX-License-Identifier: MIT */
/*
 * What the detector's files share (core/analysis/detect.c: samples, ticks,
 * the kinds table, baselines' persistence; detect_events.c: the event
 * table; detect_delay.c: delay and throughput against their baselines;
 * detect_outage.c: micro-disconnects; detect_loss.c: loss, DNS and
 * connection failures; detect_passive.c: latency against the household's
 * own load; detect_verdict.c: the verdict): the detector's
 * state and the functions one file calls in another.  Internal to those.
 */
#ifndef BB_DETECT_INTERNAL_H
#define BB_DETECT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/analysis/detect.h"
#include "core/analysis/detect_diag.h"
#include "core/analysis/model.h"
#include "core/analysis/stats.h"
#include "core/base/config.h"
#include "core/base/sample.h"

#define MAX_SERIES     MODEL_MAX_SERIES
#define MAX_EVENTS     128
#define MAX_JOINT      8  /* interfaces */
#define MAX_PAST       8  /* outages remembered per interface */
#define MAX_LOADED     64 /* persisted baselines waiting for a series */
#define MAX_SYNC       8
#define FAIL_RING      32
#define LOAD_FAIL_RING 256 /* a test's lost echoes in a loss window */
#define PUSH_EVERY_NS  (5 * BB_NS_PER_S)
#define HOLD_NEVER     INT64_MAX /* ended explicitly */

enum dk {
	DK_LATENCY,
	DK_JITTER,
	DK_LOSS,
	DK_UPLOAD,
	DK_DOWNLOAD,
	DK_DNS,
	DK_CONN,
	DK_BLOAT,
	DK_MICRO,
	DK_SYNC_OK,
	DK_SYNC_LOST,
	DK_GATEWAY,
	DK_PATH,
	DK_PASSIVE, /* bufferbloat_passive: detect_passive.c */
	DK_COUNT
};

struct dseries;
struct detect;
struct passive_state;

/* One alert kind: its catalog name, default thresholds (documentation for
 * the verdict and `events --help`), which probe kinds it watches, how long
 * its condition must stay clear before it ends, and its tick evaluator. */
struct kind_def {
	const char *name;
	const char *defaults;
	uint32_t probes; /* 1 << enum bb_probe_kind */
	int64_t hold_ns;
	void (*eval)(struct detect *d, struct dseries *ds, int64_t now);
};

struct fail {
	int64_t mono, real;
	uint8_t status;
	uint8_t dir; /* enum bb_loss_dir of a lost echo */
};

struct dseries {
	const struct model_series *ms;
	int joint; /* index into detect.joint */
	int64_t last_mono, interval_ns;
	/* delay baseline (ns, 0 = not seeded) */
	double base;
	int nseed;
	int64_t seed_min, base_mono, loaded;
	/* run of answers above the spike threshold */
	int spike_run;
	int64_t spike_start_real, spike_last_real, spike_peak;
	int64_t spike_start_mono;
	/* failures */
	int64_t last_ok, fail_since;
	struct fail fails[FAIL_RING];
	unsigned nfail; /* total ever; ring index = nfail % FAIL_RING */
	char last_error[BB_DETAIL_LEN];
	/* throughput baseline (kbit/s, 0 = not seeded) */
	double tbase;
	int tseed;
	int64_t tseed_max, tbase_mono, low_since, low_since_real, low_worst,
		last_tput;
	/* our own tests' echoes (BB_SAMPLE_UNDER_LOAD): the model's windows
	 * hold them, so the window-based detectors must leave them out */
	int64_t load_mono; /* newest one, 0 = none */
	int64_t load_fails[LOAD_FAIL_RING];
	unsigned nload_fail;
	/* echoes sent without a session with the companion server: its state,
	 * never loss (first and newest send of the current run, 0 = none) */
	int64_t nosess_since_real, nosess_mono;
};

struct outage {
	int64_t start, end, start_real; /* end 0 while ongoing */
	uint16_t lost[MAX_SERIES];
	/* the interface had no default route during it (detect_route): this
	 * computer's outage, also once the route is back at its end */
	bool no_route;
};

struct joint {
	char iface[BB_IFNAME_LEN];
	int64_t L;	   /* newest answered send time */
	int64_t last_fail; /* newest failure inside the candidate */
	bool active, declared;
	struct outage cur;
	struct outage past[MAX_PAST];
	unsigned npast;
	int64_t fail_in[MAX_SERIES]; /* newest failure in cur, per series */
	int outages;		     /* declared since start */
	int64_t longest_ns;
};

/* A packet_loss event's figures as its metrics state them, kept typed for
 * the verdict's sentence. */
struct loss_figs {
	double pct, up_pct, down_pct;
	int64_t silent_ns;
	unsigned bursts, longest;
	enum stats_loss_pattern pat;
	bool unreachable;
	enum diag_asym asym; /* DIAG_ASYM_NONE: both ways or not known */
};

struct devent {
	bool used, open, dirty;
	enum dk kind;
	struct bb_event ev;
	int64_t last_true, end_mono, last_push;
	int64_t hold; /* 0: the kind's hold_ns */
	int64_t evidence_real_ms;
	int count;
	double peak;
	struct loss_figs loss; /* DK_LOSS */
};

struct loaded {
	char iface[BB_IFNAME_LEN], target[BB_TARGET_LEN], server[BB_SERVER_LEN];
	int kind;
	int64_t value;
};

struct sync_state {
	char server[BB_SERVER_LEN];
	bool established;
};

struct detect {
	struct detect_params params;
	detect_event_fn fn;
	void *ctx;
	int64_t now, off; /* newest mono seen; real - mono */
	struct dseries s[MAX_SERIES];
	size_t ns;
	struct joint joint[MAX_JOINT];
	size_t njoint;
	struct devent ev[MAX_EVENTS];
	struct loaded loaded[MAX_LOADED];
	size_t nloaded;
	struct sync_state sync[MAX_SYNC];
	size_t nsync;
	struct diag_peak peak; /* degraded == 0: nothing to say */
	int64_t first;	       /* mono of the first sample, 0 = none yet */
	/* the last bloat test per direction (upload, download, both): the
	 * standing grade, said until a better test replaces it */
	struct {
		bool have;
		double inc_ms;
		char server[BB_SERVER_LEN];
	} bloat[3];
	struct passive_state *passive; /* detect_passive.c, NULL until used */
	/* interfaces without a default route now (detect_route) */
	char no_route[MAX_JOINT][BB_IFNAME_LEN];
	size_t n_no_route;
};

struct place {
	const char *iface, *target, *server;
};

#define P(k) (1u << (k))
#define ECHO (P(BB_KIND_ICMP) | P(BB_KIND_UDP_ECHO))

extern const struct kind_def det_kinds[DK_COUNT];

/* detect.c */
double det_ms(int64_t ns);
int64_t det_real_ms_of(const struct detect *d, int64_t mono);
enum stats_window det_window_for(int seconds);
__attribute__((format(printf, 3, 4))) void det_cat(char *buf, size_t len,
						   const char *fmt, ...);
const char *det_json_str(const char *s, char *out, size_t len);

/* detect_events.c */
void det_push(struct detect *d, struct devent *e, enum detect_state st);
struct place det_series_place(const struct dseries *ds);
struct devent *det_raise_ev_loss(struct detect *d, enum dk kind, struct place p,
				 enum bb_severity sev, int64_t start_ms,
				 int64_t evidence_ms, double peak,
				 const char *desc, const char *metrics,
				 const struct loss_figs *loss);
struct devent *det_raise_ev(struct detect *d, enum dk kind, struct place p,
			    enum bb_severity sev, int64_t start_ms,
			    int64_t evidence_ms, double peak, const char *desc,
			    const char *metrics);
void det_end_ev(struct detect *d, struct devent *e);
struct devent *det_open_event(struct detect *d, enum dk kind, struct place p);

/* detect_delay.c */
void det_baseline_update(const struct detect *d, struct dseries *ds, int64_t v,
			 int64_t t);
void det_latency_sample(struct detect *d, struct dseries *ds,
			const struct bb_sample *s, int64_t v);
void det_tput_sample(struct detect *d, struct dseries *ds,
		     const struct bb_sample *s);
int64_t det_idle_for(const struct detect *d, const struct bb_sample *s);
void det_eval_jitter(struct detect *d, struct dseries *ds, int64_t now);

/* detect_outage.c */
unsigned det_excluded(const struct detect *d, const struct dseries *ds,
		      int64_t from);
bool det_has_gateway(const struct detect *d, const struct joint *j);
bool det_no_route(const struct detect *d, const char *iface);
bool det_in_outage(const struct joint *j, int64_t t);
void det_describe_micro(struct detect *d, struct joint *j, int64_t dur,
			bool ended);
int64_t det_min_interval(const struct detect *d, const struct joint *j);
void det_joint_check(struct detect *d, struct joint *j);
void det_joint_end(struct detect *d, struct joint *j, int64_t first_ok);
void det_joint_sample(struct detect *d, struct dseries *ds,
		      const struct bb_sample *s);

/* detect_loss.c */
void det_eval_loss(struct detect *d, struct dseries *ds, int64_t now);
void det_eval_dns(struct detect *d, struct dseries *ds, int64_t now);
void det_eval_conn(struct detect *d, struct dseries *ds, int64_t now);

/* detect_passive.c: a traffic sample; a delay answer of DS; an answer of
 * DS flagged as sent during our own test; a throughput test's result (the
 * capacity); the tick's judgement; free at detect_free */
void det_passive_traffic(struct detect *d, const struct bb_sample *s);
void det_passive_rtt(struct detect *d, const struct dseries *ds,
		     const struct bb_sample *s);
void det_passive_own(struct detect *d, const struct dseries *ds,
		     const struct bb_sample *s);
void det_passive_capacity(struct detect *d, const struct bb_sample *s);
void det_passive_tick(struct detect *d, int64_t now);
void det_passive_free(struct detect *d);

#endif
