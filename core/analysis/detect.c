// SPDX-License-Identifier: MIT
/*
 * Alert detection (see detect.h).  Three layers:
 *
 * 1. Per-series state fed by every sample: the delay baseline, the current
 *    run of probes above the spike threshold, failure times and the
 *    throughput baseline.  The delay baseline follows cake-autorate's
 *    "rise slowly, fall fast" rule: a sample below it pulls it half-way
 *    down at once, a sample above pulls it up with a 300 s time constant,
 *    so it tracks a low quantile of the delay and a fault it is meant to
 *    detect cannot drag it up within the fault's duration.  It is seeded
 *    from the minimum of the first five answers (or a persisted value).
 *    The throughput baseline is the mirror image (rise fast, fall slowly).
 *
 * 2. Per-interface joint-outage tracking (micro-disconnect): with L the
 *    newest send time of any answered probe on the interface, a failure
 *    sent after L opens a candidate outage; any answer sent after the
 *    candidate's start ends it.  The candidate is declared a
 *    micro-disconnect once it has lasted micro_disconnect_ms and every
 *    active series whose probe interval fits in it lost a probe inside it.
 *    Probes lost inside a candidate or an outage are left out of the loss,
 *    DNS and TCP counts, so one outage is one event, not four.
 *
 * 3. The event table: one entry per (kind, interface, target, server);
 *    an alert that holds again within alert_cooldown_s of its end re-opens
 *    the same row (same start_ms) instead of starting a new one, except a
 *    micro-disconnect: every outage is an event of its own.  Updates
 *    are pushed on severity change at once, otherwise at most every 5 s.
 *
 * Loss periods follow RFC 3357 (via core/stats); jitter is the mean |IPDV|
 * of RFC 3393 / RFC 5481 §4.1.
 */
#include "core/analysis/detect.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/analysis/advice.h"
#include "core/base/clock.h"
#include "core/base/config.h"
#include "core/analysis/detect_diag.h"
#include "core/analysis/model.h"
#include "core/analysis/stats.h"
#include "core/probe/kind.h"

#define MAX_SERIES	  MODEL_MAX_SERIES
#define MAX_EVENTS	  128
#define MAX_JOINT	  8  /* interfaces */
#define MAX_PAST	  8  /* outages remembered per interface */
#define MAX_LOADED	  64 /* persisted baselines waiting for a series */
#define MAX_SYNC	  8
#define FAIL_RING	  32
#define LOAD_FAIL_RING	  256 /* a test's lost echoes in a loss window */
#define SEED_SAMPLES	  5
#define SPIKE_MIN_RISE_NS (10 * BB_NS_PER_MS)
#define RISE_TAU_NS	  (300 * BB_NS_PER_S)
#define FALL_ALPHA	  0.5
#define TPUT_FALL_TAU_NS  (3600 * BB_NS_PER_S)
#define PUSH_EVERY_NS	  (5 * BB_NS_PER_S)
#define HOLD_NEVER	  INT64_MAX /* ended explicitly */
#define HOUR_NS		  (3600 * BB_NS_PER_S)
#define SILENT_NS	  (10 * BB_NS_PER_S) /* no reply this long: unreachable */

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
	DK_COUNT
};

struct dseries;
struct detect;

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
	struct bb_config cfg;
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
};

static void det_eval_jitter(struct detect *d, struct dseries *ds, int64_t now);
static void det_eval_loss(struct detect *d, struct dseries *ds, int64_t now);
static void det_eval_dns(struct detect *d, struct dseries *ds, int64_t now);
static void det_eval_conn(struct detect *d, struct dseries *ds, int64_t now);

#define P(k) (1u << (k))
#define ECHO (P(BB_KIND_ICMP) | P(BB_KIND_UDP_ECHO))
static const struct kind_def det_kinds[DK_COUNT] = {
	[DK_LATENCY] = { "latency_spike", "3x baseline for 2 probes and 2 s",
			 ECHO, 5 * BB_NS_PER_S, NULL },
	[DK_JITTER] = { "high_jitter", "mean |IPDV| 10 ms / 30 ms over 10 s",
			ECHO, 10 * BB_NS_PER_S, det_eval_jitter },
	[DK_LOSS] = { "packet_loss", "0.5 % / 1 % over 60 s, 3 / 5 in a row",
		      ECHO, 10 * BB_NS_PER_S, det_eval_loss },
	[DK_UPLOAD] = { "upload_degradation", "< 70 % of baseline for 30 s",
			P(BB_KIND_UPLOAD), HOLD_NEVER, NULL },
	[DK_DOWNLOAD] = { "download_degradation", "< 70 % of baseline for 30 s",
			  P(BB_KIND_DOWNLOAD), HOLD_NEVER, NULL },
	[DK_DNS] = { "dns_issue", "median > 200 ms or > 10 % failures",
		     P(BB_KIND_DNS), 10 * BB_NS_PER_S, det_eval_dns },
	[DK_CONN] = { "connection_instability", "> 2 failed connects in 5 min",
		      P(BB_KIND_TCP_CONNECT), 10 * BB_NS_PER_S, det_eval_conn },
	[DK_BLOAT] = { "bufferbloat", "+200 ms under load (100 / 500)",
		       P(BB_KIND_BUFFERBLOAT), HOLD_NEVER, NULL },
	[DK_MICRO] = { "micro_disconnect", "every probe fails for > 2 s", 0,
		       HOLD_NEVER, NULL },
	[DK_SYNC_OK] = { "time_sync_established", "quality >= 80 %", 0,
			 HOLD_NEVER, NULL },
	[DK_SYNC_LOST] = { "time_sync_lost", "quality < 80 %", 0, HOLD_NEVER,
			   NULL },
	[DK_GATEWAY] = { "gateway_change", "gateway address changed", 0,
			 HOLD_NEVER, NULL },
};

/* ---- small helpers ------------------------------------------------------ */

static double det_ms(int64_t ns)
{
	return (double)ns / BB_NS_PER_MS;
}

static int64_t det_real_ms_of(const struct detect *d, int64_t mono)
{
	return (mono + d->off) / BB_NS_PER_MS;
}

/* Smallest stats window of at least SECONDS. */
static enum stats_window det_window_for(int seconds)
{
	for (int w = 0; w < STATS_WINDOW_COUNT; w++)
		if (stats_window_ns(w) >= (int64_t)seconds * BB_NS_PER_S)
			return w;
	return STATS_1H;
}

/* Append printf output at the end of buf (never overflows). */
__attribute__((format(printf, 3, 4))) static void det_cat(char *buf, size_t len,
							  const char *fmt, ...)
{
	size_t used = strnlen(buf, len);
	va_list ap;
	if (used + 1 >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
}

/* A JSON string literal of s (quotes, backslashes and controls escaped). */
static const char *det_json_str(const char *s, char *out, size_t len)
{
	size_t o = 0;
	if (len < 3)
		return "\"\"";
	out[o++] = '"';
	for (; *s && o + 7 < len; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			out[o++] = '\\';
			out[o++] = (char)c;
		} else if (c < 0x20) {
			o += (size_t)snprintf(out + o, len - o, "\\u%04x", c);
		} else {
			out[o++] = (char)c;
		}
	}
	out[o++] = '"';
	out[o] = '\0';
	return out;
}

/* ---- event lifecycle ---------------------------------------------------- */

static void det_push(struct detect *d, struct devent *e, enum detect_state st)
{
	e->last_push = d->now;
	e->dirty = false;
	if (d->fn)
		d->fn(d->ctx, &e->ev, st);
}

static struct devent *find_event(struct detect *d, enum dk kind,
				 const char *iface, const char *target,
				 const char *server)
{
	for (size_t i = 0; i < MAX_EVENTS; i++) {
		struct devent *e = &d->ev[i];
		if (e->used && e->kind == kind &&
		    strcmp(e->ev.interface, iface) == 0 &&
		    strcmp(e->ev.target, target) == 0 &&
		    strcmp(e->ev.server, server) == 0)
			return e;
	}
	return NULL;
}

/* A free slot, else the one that ended longest ago (never an open one). */
static struct devent *new_slot(struct detect *d)
{
	struct devent *oldest = NULL;
	for (size_t i = 0; i < MAX_EVENTS; i++) {
		struct devent *e = &d->ev[i];
		if (!e->used)
			return e;
		if (!e->open && (!oldest || e->end_mono < oldest->end_mono))
			oldest = e;
	}
	return oldest;
}

struct place {
	const char *iface, *target, *server;
};

static struct place det_series_place(const struct dseries *ds)
{
	return (struct place){ ds->ms->interface, ds->ms->target,
			       ds->ms->server };
}

/*
 * The condition of KIND holds at PLACE now: start the event (backdated to
 * START_MS), re-open it within the cooldown, or update it.  EVIDENCE_MS is
 * the newest fault observation (the end_ms if it ends); LOSS the typed
 * figures of a packet_loss event (else NULL).  Returns the event.
 */
static struct devent *det_raise_ev_loss(struct detect *d, enum dk kind,
					struct place p, enum bb_severity sev,
					int64_t start_ms, int64_t evidence_ms,
					double peak, const char *desc,
					const char *metrics,
					const struct loss_figs *loss)
{
	struct devent *e = find_event(d, kind, p.iface, p.target, p.server);
	enum detect_state st = DETECT_UPDATE;
	int64_t cool =
		(int64_t)d->cfg.thresholds.alert_cooldown_s * BB_NS_PER_S;
	/* past the cooldown: a new episode; an outage always is one (how
	 * many there were is the evidence, not one row growing for hours) */
	if (e && !e->open && (kind == DK_MICRO || d->now - e->end_mono >= cool))
		e->used = false;
	else if (e)
		goto have;
	e = new_slot(d);
	{
		if (!e)
			return NULL; /* every slot open: extremely unlikely */
		memset(e, 0, sizeof(*e));
		e->used = true;
		e->kind = kind;
		snprintf(e->ev.kind, sizeof(e->ev.kind), "%s",
			 det_kinds[kind].name);
		snprintf(e->ev.interface, sizeof(e->ev.interface), "%s",
			 p.iface);
		snprintf(e->ev.target, sizeof(e->ev.target), "%s", p.target);
		snprintf(e->ev.server, sizeof(e->ev.server), "%s", p.server);
		e->ev.start_ms = start_ms;
		e->ev.severity = (uint8_t)sev;
		e->peak = peak;
		st = DETECT_START;
	}
have:;
	bool reopened = false;
	if (!e->open) {
		reopened = st != DETECT_START;
		e->open = true;
		e->count++;
		e->ev.end_ms = 0;
		e->dirty = true;
	}
	e->last_true = d->now;
	if (evidence_ms > e->evidence_real_ms)
		e->evidence_real_ms = evidence_ms;
	if (peak > e->peak)
		e->peak = peak;
	bool escalated = sev > e->ev.severity;
	if (escalated)
		e->ev.severity = (uint8_t)sev;
	if (loss) {
		e->loss = *loss;
		snprintf(e->ev.pattern, sizeof(e->ev.pattern), "%s",
			 loss->unreachable
				 ? "unreachable"
				 : stats_loss_pattern_name(loss->pat));
	}
	if (strcmp(e->ev.description, desc) || strcmp(e->ev.metrics, metrics)) {
		snprintf(e->ev.description, sizeof(e->ev.description), "%s",
			 desc);
		snprintf(e->ev.metrics, sizeof(e->ev.metrics), "%s", metrics);
		e->dirty = true;
	}
	if (st == DETECT_START || reopened || escalated ||
	    (e->dirty && d->now - e->last_push >= PUSH_EVERY_NS))
		det_push(d, e, st);
	return e;
}

static struct devent *det_raise_ev(struct detect *d, enum dk kind,
				   struct place p, enum bb_severity sev,
				   int64_t start_ms, int64_t evidence_ms,
				   double peak, const char *desc,
				   const char *metrics)
{
	return det_raise_ev_loss(d, kind, p, sev, start_ms, evidence_ms, peak,
				 desc, metrics, NULL);
}

static void det_end_ev(struct detect *d, struct devent *e)
{
	if (!e || !e->open)
		return;
	e->open = false;
	e->ev.end_ms = e->evidence_real_ms > e->ev.start_ms
			       ? e->evidence_real_ms
			       : e->ev.start_ms;
	e->end_mono = d->now;
	det_push(d, e, DETECT_END);
}

/* An event with no duration (a test result, a gateway change). */
static void oneshot(struct detect *d, enum dk kind, struct place p,
		    enum bb_severity sev, int64_t real_ms, double peak,
		    const char *desc, const char *metrics)
{
	/* A result folded into a recent event of the same place (within the
	 * cooldown) keeps the words and figures of the worst one so far:
	 * severity only rises, and the sentence must say why. */
	char keep_desc[BB_EVENT_DESC_LEN], keep_met[BB_EVENT_METRICS_LEN];
	struct devent *old = find_event(d, kind, p.iface, p.target, p.server);
	int64_t cool =
		(int64_t)d->cfg.thresholds.alert_cooldown_s * BB_NS_PER_S;
	bool same_episode = old && (old->open || d->now - old->end_mono < cool);
	if (same_episode && old->peak > peak) {
		snprintf(keep_desc, sizeof(keep_desc), "%s",
			 old->ev.description);
		snprintf(keep_met, sizeof(keep_met), "%s", old->ev.metrics);
		desc = keep_desc;
		metrics = keep_met;
	}
	struct devent *e = det_raise_ev(d, kind, p, sev, real_ms, real_ms, peak,
					desc, metrics);
	det_end_ev(d, e);
}

static struct devent *det_open_event(struct detect *d, enum dk kind,
				     struct place p)
{
	struct devent *e = find_event(d, kind, p.iface, p.target, p.server);
	return e && e->open ? e : NULL;
}

/* ---- series and joint state --------------------------------------------- */

static struct joint *joint_for(struct detect *d, const char *iface)
{
	for (size_t i = 0; i < d->njoint; i++)
		if (strcmp(d->joint[i].iface, iface) == 0)
			return &d->joint[i];
	if (d->njoint == MAX_JOINT)
		return &d->joint[MAX_JOINT - 1]; /* config allows 16: share */
	struct joint *j = &d->joint[d->njoint++];
	snprintf(j->iface, sizeof(j->iface), "%s", iface);
	return j;
}

static void seed_from_loaded(struct detect *d, struct dseries *ds)
{
	const struct model_series *ms = ds->ms;
	for (size_t i = 0; i < d->nloaded; i++) {
		struct loaded *l = &d->loaded[i];
		if (l->kind == (int)ms->kind &&
		    !strcmp(l->iface, ms->interface) &&
		    !strcmp(l->target, ms->target) &&
		    !strcmp(l->server, ms->server))
			ds->loaded = l->value;
	}
}

static struct dseries *series_for(struct detect *d,
				  const struct model_series *ms)
{
	for (size_t i = 0; i < d->ns; i++)
		if (d->s[i].ms == ms)
			return &d->s[i];
	if (d->ns == MAX_SERIES)
		return NULL;
	struct dseries *ds = &d->s[d->ns++];
	memset(ds, 0, sizeof(*ds));
	ds->ms = ms;
	ds->joint = (int)(joint_for(d, ms->interface) - d->joint);
	seed_from_loaded(d, ds);
	return ds;
}

static const struct dseries *series_find(const struct detect *d,
					 const struct model_series *ms)
{
	for (size_t i = 0; i < d->ns; i++)
		if (d->s[i].ms == ms)
			return &d->s[i];
	return NULL;
}

static bool is_delay_kind(int kind)
{
	return kind_is_delay(kind);
}

static int64_t spike_threshold(const struct detect *d, double base)
{
	double f = d->cfg.thresholds.latency_spike_factor * base;
	double a = base + (double)SPIKE_MIN_RISE_NS;
	return (int64_t)(f > a ? f : a);
}

/* cake-autorate's rule: fall fast, rise slowly (see the file comment).
 * A persisted baseline is used from the first answer, unless the first
 * SEED_SAMPLES answers are all above its spike threshold (stale). */
static void det_baseline_update(const struct detect *d, struct dseries *ds,
				int64_t v, int64_t t)
{
	if (ds->nseed < SEED_SAMPLES) {
		if (ds->nseed == 0 || v < ds->seed_min)
			ds->seed_min = v;
		ds->nseed++;
		if (ds->loaded && ds->base == 0)
			ds->base = (double)ds->loaded;
		if (ds->nseed < SEED_SAMPLES)
			goto track;
		if (ds->base == 0 ||
		    ds->seed_min > spike_threshold(d, ds->base))
			ds->base = (double)ds->seed_min;
		ds->base_mono = t;
		return;
	}
track:
	if (ds->base == 0)
		return;
	if (v < ds->base) {
		ds->base += ((double)v - ds->base) * FALL_ALPHA;
	} else if (ds->base_mono) {
		double dt = (double)(t - ds->base_mono);
		double a = dt > 0 ? dt / (double)RISE_TAU_NS : 0;
		ds->base += ((double)v - ds->base) * (a > 1 ? 1 : a);
	}
	if (t > ds->base_mono)
		ds->base_mono = t;
}

/* Probes of series IDX lost inside outages that overlap [from, now]. */
static unsigned det_excluded(const struct detect *d, const struct dseries *ds,
			     int64_t from)
{
	const struct joint *j = &d->joint[ds->joint];
	size_t idx = (size_t)(ds - d->s);
	unsigned n = 0;
	for (unsigned i = 0; i < j->npast && i < MAX_PAST; i++)
		if (j->past[i].end > from)
			n += j->past[i].lost[idx];
	if (j->active)
		n += j->cur.lost[idx];
	return n;
}

/* Losses of our own tests' echoes sent after from (the newest
 * LOAD_FAIL_RING). */
static unsigned loaded_fails(const struct dseries *ds, int64_t from)
{
	unsigned n = 0, have = ds->nload_fail < LOAD_FAIL_RING ? ds->nload_fail
							       : LOAD_FAIL_RING;
	for (unsigned i = 0; i < have; i++)
		n += ds->load_fails[i] > from;
	return n;
}

/* The gateway is usually the home's own router: it keeps answering while
 * the line beyond it is down, so its answers neither end nor veto a joint
 * outage of the probes beyond it.  Alone on its interface it is the line. */
static bool outside_joint(const struct detect *d, const struct dseries *ds)
{
	if (ds->ms->kind != BB_KIND_ICMP || strcmp(ds->ms->target, "gateway"))
		return false;
	for (size_t i = 0; i < d->ns; i++)
		if (&d->s[i] != ds && d->s[i].joint == ds->joint)
			return true;
	return false;
}

static bool det_has_gateway(const struct detect *d, const struct joint *j)
{
	for (size_t i = 0; i < d->ns; i++)
		if (&d->joint[d->s[i].joint] == j && outside_joint(d, &d->s[i]))
			return true;
	return false;
}

static bool det_in_outage(const struct joint *j, int64_t t)
{
	if (j->active && t >= j->cur.start)
		return true;
	for (unsigned i = 0; i < j->npast && i < MAX_PAST; i++)
		if (t >= j->past[i].start && t < j->past[i].end)
			return true;
	return false;
}

static void det_describe_micro(struct detect *d, struct joint *j, int64_t dur,
			       bool ended)
{
	char desc[BB_EVENT_DESC_LEN], met[BB_EVENT_METRICS_LEN];
	char what[128] = "";
	uint32_t seen = 0;
	size_t nser = 0;
	for (size_t i = 0; i < d->ns; i++) {
		if (&d->joint[d->s[i].joint] != j || !j->cur.lost[i])
			continue;
		nser++;
		unsigned k = d->s[i].ms->kind;
		if (!(seen & P(k))) {
			seen |= P(k);
			det_cat(what, sizeof(what), "%s%s", what[0] ? ", " : "",
				sample_kind_name(k));
		}
	}
	if (dur > j->longest_ns)
		j->longest_ns = dur;
	snprintf(desc, sizeof(desc),
		 "Micro-disconnect%s%s: every probe%s (%s) failed together "
		 "for %.1f s%s.",
		 j->iface[0] ? " on " : "", j->iface,
		 det_has_gateway(d, j) ? " beyond the gateway" : "", what,
		 (double)dur / BB_NS_PER_S, ended ? "" : " so far");
	snprintf(met, sizeof(met),
		 "{\"duration_ms\":%.0f,\"longest_ms\":%.0f,\"outages\":%d,"
		 "\"series\":%zu,\"failed\":\"%s\"}",
		 det_ms(dur), det_ms(j->longest_ns), j->outages, nser, what);
	enum bb_severity sev =
		dur >= 2LL * d->cfg.thresholds.micro_disconnect_ms *
					BB_NS_PER_MS
			? BB_SEV_CRITICAL
			: BB_SEV_WARNING;
	struct place p = { j->iface, "", "" };
	int64_t end_ms = det_real_ms_of(d, j->cur.start + dur);
	det_raise_ev(d, DK_MICRO, p, sev, j->cur.start_real / BB_NS_PER_MS,
		     end_ms, det_ms(dur), desc, met);
}

/* Shortest probe interval of the interface's series (resolution). */
static int64_t det_min_interval(const struct detect *d, const struct joint *j)
{
	int64_t m = INT64_MAX;
	for (size_t i = 0; i < d->ns; i++)
		if (&d->joint[d->s[i].joint] == j && d->s[i].interval_ns > 0 &&
		    d->s[i].interval_ns < m)
			m = d->s[i].interval_ns;
	return m == INT64_MAX ? 0 : m;
}

/* Did every series of the interface that was due in span show the
 * candidate outage (a failure sent inside it)? */
static bool joint_shown(const struct detect *d, const struct joint *j,
			int64_t span)
{
	for (size_t i = 0; i < d->ns; i++) {
		const struct dseries *ds = &d->s[i];
		if (&d->joint[ds->joint] != j || outside_joint(d, ds))
			continue;
		bool active =
			ds->last_mono + 3 * ds->interval_ns >= j->cur.start;
		bool due = ds->interval_ns > 0 && ds->interval_ns <= span;
		/* The echo stream cannot confirm an outage in time: it holds
		 * a lost echo up to 2 s for a later reply to say which way
		 * it was lost, or flags it NO_SESSION once the session died.
		 * Its answers still end a candidate at once. */
		bool shown = j->fail_in[i] >= j->cur.start ||
			     ds->ms->kind == BB_KIND_UDP_ECHO;
		if (active && due && !shown)
			return false; /* this series has not shown it */
	}
	return true;
}

static void joint_declare(struct detect *d, struct joint *j, int64_t dur)
{
	j->declared = true;
	j->outages++;
	det_describe_micro(d, j, dur, false);
}

static void det_joint_check(struct detect *d, struct joint *j)
{
	if (!j->active || j->declared)
		return;
	int64_t span = j->last_fail - j->cur.start;
	int64_t dur = span + det_min_interval(d, j);
	if (dur > (int64_t)d->cfg.thresholds.micro_disconnect_ms *
			    BB_NS_PER_MS &&
	    joint_shown(d, j, span))
		joint_declare(d, j, dur);
}

static void det_joint_end(struct detect *d, struct joint *j, int64_t first_ok)
{
	/* The first answer sent after the start bounds the outage.  It can
	 * come before the evidence: a lost probe is reported at its timeout,
	 * just when the next probe (timeout = interval) may have answered, so
	 * a 3 s blackout at 1 s probing showed only 2 s of failures when it
	 * ended.  Judge the candidate on what the answer proves. */
	int64_t span = first_ok - j->cur.start;
	if (j->active && !j->declared &&
	    span > (int64_t)d->cfg.thresholds.micro_disconnect_ms *
			    BB_NS_PER_MS &&
	    joint_shown(d, j, span))
		joint_declare(d, j, span);
	if (j->declared) {
		j->cur.end = first_ok;
		det_describe_micro(d, j, first_ok - j->cur.start, true);
		struct place p = { j->iface, "", "" };
		det_end_ev(d, det_open_event(d, DK_MICRO, p));
		j->past[j->npast++ % MAX_PAST] = j->cur;
	}
	j->active = j->declared = false;
}

static void det_joint_sample(struct detect *d, struct dseries *ds,
			     const struct bb_sample *s)
{
	struct joint *j = &d->joint[ds->joint];
	size_t idx = (size_t)(ds - d->s);
	int64_t t = s->mono_ns;
	if (outside_joint(d, ds))
		return;
	if (s->status == BB_STATUS_OK) {
		if (t > j->L)
			j->L = t;
		if (j->active && t > j->cur.start)
			det_joint_end(d, j, t);
		return;
	}
	if (t <= j->L) {
		/* a late failure inside an outage already over */
		for (unsigned i = 0; i < j->npast && i < MAX_PAST; i++)
			if (t >= j->past[i].start && t < j->past[i].end)
				j->past[i].lost[idx]++;
		return;
	}
	if (!j->active) {
		memset(&j->cur, 0, sizeof(j->cur));
		for (size_t i = 0; i < MAX_SERIES; i++)
			j->fail_in[i] = INT64_MIN;
		j->active = true;
		j->cur.start = t;
		j->cur.start_real = s->real_ns;
		j->last_fail = t;
	} else if (t < j->cur.start) {
		j->cur.start = t;
		j->cur.start_real = s->real_ns;
	}
	if (t > j->last_fail)
		j->last_fail = t;
	if (t > j->fail_in[idx])
		j->fail_in[idx] = t;
	j->cur.lost[idx]++;
	det_joint_check(d, j);
}

/* ---- per-sample detectors ----------------------------------------------- */

static void det_latency_sample(struct detect *d, struct dseries *ds,
			       const struct bb_sample *s, int64_t v)
{
	const struct bb_config *c = &d->cfg;
	if (ds->base == 0)
		return;
	int64_t thr = spike_threshold(d, ds->base);
	if (v <= thr) {
		ds->spike_run = 0;
		return;
	}
	if (ds->spike_run++ == 0) {
		ds->spike_start_real = s->real_ns;
		ds->spike_start_mono = s->mono_ns;
		ds->spike_peak = 0;
	}
	ds->spike_last_real = s->real_ns;
	if (v > ds->spike_peak)
		ds->spike_peak = v;
	/* Counted in time, not probes: at the default 1 s interval a 3 s spike
	 * is only three probes, at 100 ms thirty.  The run covers its probes'
	 * span plus one interval (the time the last one stands for). */
	int64_t covered = s->mono_ns - ds->spike_start_mono + ds->interval_ns;
	if (ds->spike_run < c->thresholds.latency_spike_probes ||
	    covered <
		    (int64_t)c->thresholds.latency_spike_min_ms * BB_NS_PER_MS)
		return;
	struct place p = det_series_place(ds);
	struct devent *e = det_open_event(d, DK_LATENCY, p);
	double peak = det_ms(ds->spike_peak);
	if (e && e->peak > peak)
		peak = e->peak;
	enum bb_severity sev = peak >= c->thresholds.latency_critical_ms
				       ? BB_SEV_CRITICAL
				       : BB_SEV_WARNING;
	int64_t start =
		e ? e->ev.start_ms : ds->spike_start_real / BB_NS_PER_MS;
	double dur = (double)(s->real_ns / BB_NS_PER_MS - start) / 1000.0;
	char desc[BB_EVENT_DESC_LEN], met[BB_EVENT_METRICS_LEN];
	snprintf(desc, sizeof(desc),
		 "Latency spike to %s: %.1f ms peak, %.1fx its %.1f ms "
		 "baseline, for %.1f s.",
		 p.target, peak, peak / det_ms((int64_t)ds->base),
		 det_ms((int64_t)ds->base), dur);
	snprintf(met, sizeof(met),
		 "{\"peak_ms\":%.3f,\"baseline_ms\":%.3f,\"threshold_ms\":%.3f,"
		 "\"last_ms\":%.3f,\"run\":%d,\"duration_ms\":%.0f}",
		 peak, det_ms((int64_t)ds->base), det_ms(thr), det_ms(v),
		 ds->spike_run, dur * 1000);
	det_raise_ev(d, DK_LATENCY, p, sev, ds->spike_start_real / BB_NS_PER_MS,
		     s->real_ns / BB_NS_PER_MS, peak, desc, met);
}

static void det_tput_sample(struct detect *d, struct dseries *ds,
			    const struct bb_sample *s)
{
	const struct bb_config *c = &d->cfg;
	enum dk kind = s->kind == BB_KIND_UPLOAD ? DK_UPLOAD : DK_DOWNLOAD;
	struct place p = det_series_place(ds);
	int64_t v = s->throughput_kbps, t = s->mono_ns;
	if (s->status != BB_STATUS_OK || v == BB_NONE)
		return;
	ds->last_tput = v;
	if (ds->tbase == 0) {
		/* seeded from the best of the first three tests */
		if (v > ds->tseed_max)
			ds->tseed_max = v;
		if (++ds->tseed >= 3) {
			ds->tbase = (double)ds->tseed_max;
			ds->tbase_mono = t;
		}
		return;
	}
	double base = ds->tbase;
	double pct = 100.0 * (double)v / base;
	/* mirror image of the delay baseline: rise fast, fall slowly */
	if ((double)v > ds->tbase) {
		ds->tbase += ((double)v - ds->tbase) * FALL_ALPHA;
	} else {
		double a =
			(double)(t - ds->tbase_mono) / (double)TPUT_FALL_TAU_NS;
		ds->tbase += ((double)v - ds->tbase) * (a > 1 ? 1 : a);
	}
	ds->tbase_mono = t;
	if (pct >= c->thresholds.throughput_alert_pct) {
		ds->low_since = 0;
		det_end_ev(d, det_open_event(d, kind, p));
		return;
	}
	if (ds->low_since == 0) {
		ds->low_since = t;
		ds->low_since_real = s->real_ns;
		ds->low_worst = v;
	}
	if (v < ds->low_worst)
		ds->low_worst = v;
	int64_t dur = t - ds->low_since;
	if (dur < (int64_t)c->thresholds.throughput_sustain_s * BB_NS_PER_S)
		return;
	double worst = 100.0 * (double)ds->low_worst / base;
	enum bb_severity sev = worst < c->thresholds.throughput_critical_pct
				       ? BB_SEV_CRITICAL
				       : BB_SEV_WARNING;
	char desc[BB_EVENT_DESC_LEN], met[BB_EVENT_METRICS_LEN];
	const char *dir = kind == DK_UPLOAD ? "Upload" : "Download";
	snprintf(desc, sizeof(desc),
		 "%s degraded%s%s: %lld kbit/s measured, %.0f %% of the "
		 "%.0f kbit/s baseline, for %.0f s.",
		 dir, p.server[0] ? " to " : "", p.server, (long long)v, pct,
		 base, (double)dur / BB_NS_PER_S);
	snprintf(met, sizeof(met),
		 "{\"expected_kbps\":%.0f,\"measured_kbps\":%lld,\"pct\":%.1f,"
		 "\"worst_kbps\":%lld,\"duration_ms\":%.0f}",
		 base, (long long)v, pct, (long long)ds->low_worst,
		 det_ms(dur));
	det_raise_ev(d, kind, p, sev, ds->low_since_real / BB_NS_PER_MS,
		     s->real_ns / BB_NS_PER_MS, 100 - worst, desc, met);
}

/* Idle delay for a bloat sample: the udp_echo baseline to the same server,
 * else an icmp baseline to the same target. */
static int64_t det_idle_for(const struct detect *d, const struct bb_sample *s)
{
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < d->ns; i++) {
			const struct model_series *ms = d->s[i].ms;
			if (d->s[i].base == 0 ||
			    strcmp(ms->interface, s->interface))
				continue;
			if (pass == 0 && ms->kind == BB_KIND_UDP_ECHO &&
			    !strcmp(ms->server, s->server))
				return (int64_t)d->s[i].base;
			if (pass == 1 && ms->kind == BB_KIND_ICMP &&
			    !strcmp(ms->target, s->target))
				return (int64_t)d->s[i].base;
		}
	return BB_NONE;
}

void detect_sample(struct detect *d, const struct model_series *ms,
		   const struct bb_sample *s)
{
	/* Probes sent while our own throughput or bloat test saturated the
	 * line (the echo stream flags its own, the engine those of every other
	 * probe on the interface) measure that load, not the line: the bloat
	 * result judges it.  The model's windows still hold them, so their
	 * span and losses are kept for the window-based detectors. */
	if (!ms || (s->flags & BB_SAMPLE_DUPLICATE))
		return;
	struct dseries *ds = series_for(d, ms);
	if (!ds)
		return;
	if (s->flags & BB_SAMPLE_NO_SESSION) {
		if (!ds->nosess_mono)
			ds->nosess_since_real = s->real_ns;
		ds->nosess_mono = s->mono_ns;
		if (s->mono_ns > d->now)
			d->now = s->mono_ns;
		return;
	}
	if (!(s->flags & BB_SAMPLE_LATE))
		ds->nosess_mono = 0; /* a probe went out in a session */
	if (s->flags & BB_SAMPLE_UNDER_LOAD) {
		ds->load_mono = s->mono_ns;
		if (s->status != BB_STATUS_OK && !(s->flags & BB_SAMPLE_LATE))
			ds->load_fails[ds->nload_fail++ % LOAD_FAIL_RING] =
				s->mono_ns;
		return;
	}
	if (s->flags & BB_SAMPLE_LATE) {
		/* a reply after the timeout (capped at two intervals when
		 * probing fast): the probe already counted as lost, but its
		 * delay is evidence of a queue, so it feeds the spike run
		 * (never the baseline or the loss), and it proves the path
		 * worked when it was sent: no micro-disconnect around it */
		if ((ECHO & P(s->kind)) && s->status == BB_STATUS_OK &&
		    s->rtt_ns != BB_NONE && s->rtt_ns > 0) {
			det_joint_sample(d, ds, s);
			det_latency_sample(d, ds, s, s->rtt_ns);
		}
		return;
	}
	d->off = s->real_ns - s->mono_ns;
	if (!d->first || s->mono_ns < d->first)
		d->first = s->mono_ns;
	if (s->mono_ns > d->now)
		d->now = s->mono_ns;
	if (ds->last_mono && s->mono_ns > ds->last_mono) {
		int64_t gap = s->mono_ns - ds->last_mono;
		/* smallest recent gap, drifting up slowly if probing slows */
		if (!ds->interval_ns || gap < ds->interval_ns)
			ds->interval_ns = gap;
		else
			ds->interval_ns += (gap - ds->interval_ns) / 64;
	}
	if (s->mono_ns > ds->last_mono)
		ds->last_mono = s->mono_ns;

	if (s->kind == BB_KIND_UPLOAD || s->kind == BB_KIND_DOWNLOAD) {
		det_tput_sample(d, ds, s);
		return;
	}
	if (s->kind == BB_KIND_BUFFERBLOAT) {
		struct detect_bloat b = { det_idle_for(d, s), s->rtt_ns,
					  "both" };
		if (s->status == BB_STATUS_OK && b.idle_ns != BB_NONE &&
		    b.loaded_ns != BB_NONE) {
			if (s->load_phase == BB_PHASE_UP)
				strcpy(b.direction, "upload");
			else if (s->load_phase == BB_PHASE_DOWN)
				strcpy(b.direction, "download");
			detect_bloat_result(d, s->interface, s->server, &b,
					    s->real_ns / BB_NS_PER_MS);
		}
		return;
	}
	det_joint_sample(d, ds, s);
	if (s->status != BB_STATUS_OK) {
		struct fail *f = &ds->fails[ds->nfail++ % FAIL_RING];
		f->mono = s->mono_ns;
		f->real = s->real_ns;
		f->status = s->status;
		f->dir = s->loss_dir;
		if (s->detail[0])
			snprintf(ds->last_error, sizeof(ds->last_error), "%s",
				 s->detail);
		else
			snprintf(ds->last_error, sizeof(ds->last_error), "%s",
				 sample_status_name(s->status));
		if (s->mono_ns > ds->last_ok &&
		    (ds->fail_since <= ds->last_ok ||
		     s->mono_ns < ds->fail_since))
			ds->fail_since = s->mono_ns;
		return;
	}
	if (s->mono_ns > ds->last_ok)
		ds->last_ok = s->mono_ns;
	int64_t v = s->rtt_ns;
	if (!is_delay_kind(s->kind) || v == BB_NONE)
		return;
	if (ECHO & P(s->kind))
		det_latency_sample(d, ds, s, v);
	det_baseline_update(d, ds, v, s->mono_ns);
}

/* ---- tick evaluators ---------------------------------------------------- */

/* Earliest failure of DS sent after FROM and outside outages, else 0. */
static int64_t first_fail_real(const struct detect *d, const struct dseries *ds,
			       int64_t from)
{
	const struct joint *j = &d->joint[ds->joint];
	int64_t best = 0, best_mono = INT64_MAX;
	unsigned n = ds->nfail < FAIL_RING ? ds->nfail : FAIL_RING;
	for (unsigned i = 0; i < n; i++) {
		const struct fail *f = &ds->fails[i];
		if (f->mono > from && f->mono < best_mono &&
		    !det_in_outage(j, f->mono)) {
			best_mono = f->mono;
			best = f->real;
		}
	}
	return best / BB_NS_PER_MS;
}

static int64_t last_fail_real(const struct detect *d, const struct dseries *ds)
{
	const struct joint *j = &d->joint[ds->joint];
	int64_t best = 0, best_mono = INT64_MIN;
	unsigned n = ds->nfail < FAIL_RING ? ds->nfail : FAIL_RING;
	for (unsigned i = 0; i < n; i++) {
		const struct fail *f = &ds->fails[i];
		if (f->mono > best_mono && !det_in_outage(j, f->mono)) {
			best_mono = f->mono;
			best = f->real;
		}
	}
	return best / BB_NS_PER_MS;
}

static int64_t last_fail_mono(const struct detect *d, const struct dseries *ds)
{
	const struct joint *j = &d->joint[ds->joint];
	int64_t best = INT64_MIN;
	unsigned n = ds->nfail < FAIL_RING ? ds->nfail : FAIL_RING;
	for (unsigned i = 0; i < n; i++)
		if (ds->fails[i].mono > best &&
		    !det_in_outage(j, ds->fails[i].mono))
			best = ds->fails[i].mono;
	return best;
}

/* Mean |IPDV| of the last N probes without its two largest terms: one
 * outlier makes exactly two large differences, sustained jitter many. */
static double trimmed_ipdv(const struct dseries *ds, size_t n)
{
	int64_t v[1024];
	if (n + 1 > sizeof(v) / sizeof(v[0]))
		n = sizeof(v) / sizeof(v[0]) - 1;
	size_t got = stats_series_recent(ds->ms->stats, v, n + 1);
	int64_t sum = 0, m1 = 0, m2 = 0;
	size_t k = 0;
	for (size_t i = 1; i < got; i++) {
		if (v[i] == STATS_LOST || v[i] == BB_NONE ||
		    v[i - 1] == STATS_LOST || v[i - 1] == BB_NONE)
			continue;
		int64_t dv = llabs(v[i] - v[i - 1]);
		sum += dv;
		k++;
		if (dv > m1) {
			m2 = m1;
			m1 = dv;
		} else if (dv > m2) {
			m2 = dv;
		}
	}
	return k > 2 ? det_ms(sum - m1 - m2) / (double)(k - 2) : 0;
}

static void det_eval_jitter(struct detect *d, struct dseries *ds, int64_t now)
{
	const struct bb_config *c = &d->cfg;
	int sustain = c->thresholds.jitter_sustain_s;
	struct stats_summary st;
	enum stats_window w = det_window_for(sustain);
	/* the window holds echoes of our own test: their delay variation is
	 * the test's load (the bufferbloat result judges that), not the line */
	if (ds->load_mono && now - ds->load_mono < stats_window_ns(w))
		return;
	stats_series_summary(ds->ms->stats, w, now, &st);
	if (st.ipdv_mean == BB_NONE || !ds->interval_ns)
		return;
	int64_t want = (int64_t)sustain * BB_NS_PER_S / ds->interval_ns;
	if (st.count < 5 || (int64_t)st.count * 5 < want * 4)
		return; /* the window does not yet cover the sustain period */
	double j = det_ms(st.ipdv_mean);
	if (j < c->thresholds.jitter_warning_ms ||
	    trimmed_ipdv(ds, (size_t)want) < c->thresholds.jitter_warning_ms)
		return;
	enum bb_severity sev = j >= c->thresholds.jitter_critical_ms
				       ? BB_SEV_CRITICAL
				       : BB_SEV_WARNING;
	struct place p = det_series_place(ds);
	char desc[BB_EVENT_DESC_LEN], met[BB_EVENT_METRICS_LEN];
	snprintf(desc, sizeof(desc),
		 "High jitter to %s: %.1f ms mean delay variation over %d s.",
		 p.target, j, sustain);
	snprintf(met, sizeof(met),
		 "{\"jitter_ms\":%.3f,\"rfc3550_ms\":%.3f,\"p2p_ms\":%.3f,"
		 "\"period_s\":%d}",
		 j,
		 st.jitter_rfc3550 == BB_NONE ? 0 : det_ms(st.jitter_rfc3550),
		 st.peak_to_peak == BB_NONE ? 0 : det_ms(st.peak_to_peak),
		 sustain);
	int64_t nowr = det_real_ms_of(d, now);
	det_raise_ev(d, DK_JITTER, p, sev, nowr - (int64_t)sustain * 1000, nowr,
		     j, desc, met);
}

/*
 * Loss pattern of a window (RFC 3357 periods, from core/stats): periodic as
 * stats says; burst only when runs of 3+ hold at least half the lost probes
 * (a chance run of 3 among random loss stays "scattered").
 */
static enum stats_loss_pattern pattern_of(const struct stats_summary *st,
					  unsigned lost)
{
	if (st->pattern == STATS_LOSS_PERIODIC ||
	    st->pattern == STATS_LOSS_NONE)
		return st->pattern;
	const uint32_t *h = st->loss_run_hist;
	unsigned in_bursts = 3 * h[2] + 4 * h[3] + 5 * h[4] + 10 * h[5];
	/* the buckets 5-9 and 10+ count their minimum: the longest run is
	 * known exactly (one run of 40 is 40 lost in a burst, not 10) */
	unsigned lr = st->loss_run_longest;
	in_bursts += lr >= 10 ? lr - 10 : lr >= 5 ? lr - 5 : 0;
	if (in_bursts > st->lost)
		in_bursts = st->lost;
	if (st->pattern == STATS_LOSS_BURST && 2 * in_bursts >= lost)
		return STATS_LOSS_BURST;
	return STATS_LOSS_SCATTERED;
}

/* Loss of an echo series split by direction from the failures since FROM
 * (the newest FAIL_RING of them: a share, scaled to the window's PCT). */
struct loss_dir {
	bool known;
	double up_pct, down_pct;
	enum diag_asym asym;
};

static struct loss_dir loss_direction(const struct detect *d,
				      const struct dseries *ds, int64_t from,
				      double pct)
{
	struct loss_dir r = { 0 };
	const struct joint *j = &d->joint[ds->joint];
	unsigned n = ds->nfail < FAIL_RING ? ds->nfail : FAIL_RING;
	unsigned all = 0, up = 0, down = 0;
	if (ds->ms->kind != BB_KIND_UDP_ECHO)
		return r;
	for (unsigned i = 0; i < n; i++) {
		const struct fail *f = &ds->fails[i];
		if (f->mono <= from || det_in_outage(j, f->mono))
			continue;
		all++;
		up += f->dir == BB_LOSS_UP;
		down += f->dir == BB_LOSS_DOWN;
	}
	if (!all || up + down == 0)
		return r;
	r.known = true;
	r.up_pct = pct * up / all;
	r.down_pct = pct * down / all;
	struct diag_dir u = { r.up_pct, -1 }, dn = { r.down_pct, -1 };
	r.asym = diag_asymmetry(&u, &dn);
	return r;
}

/* The current run of run losses, less those a joint outage (a declared
 * micro-disconnect) explains: the outage is its own event, and only what
 * the target lost after it is the target's. */
static unsigned run_beyond_outages(const struct detect *d,
				   const struct dseries *ds, unsigned run)
{
	const struct joint *j = &d->joint[ds->joint];
	if (!run || !det_in_outage(j, ds->fail_since))
		return run;
	unsigned n = 0, seen = ds->nfail < FAIL_RING ? ds->nfail : FAIL_RING;
	for (unsigned i = 0; i < seen; i++) {
		const struct fail *f = &ds->fails[i];
		n += f->mono >= ds->fail_since && !det_in_outage(j, f->mono);
	}
	return n < run ? n : run;
}

static void det_eval_loss(struct detect *d, struct dseries *ds, int64_t now)
{
	const struct bb_config *c = &d->cfg;
	int wsec = c->thresholds.packet_loss_window_s;
	enum stats_window w = det_window_for(wsec);
	int64_t wns = (int64_t)wsec * BB_NS_PER_S;
	struct stats_summary st, cur;
	stats_series_summary(ds->ms->stats, w, now, &st);
	unsigned ex = det_excluded(d, ds, now - stats_window_ns(w)) +
		      loaded_fails(ds, now - stats_window_ns(w));
	unsigned lost = st.lost > ex ? st.lost - ex : 0;
	unsigned sent = st.count > ex ? st.count - ex : 0;
	double pct = sent ? 100.0 * lost / sent : 0;
	int64_t lf = last_fail_mono(d, ds);
	bool recent =
		lf != INT64_MIN &&
		now - lf <= det_kinds[DK_LOSS].hold_ns + 2 * ds->interval_ns;
	bool pct_bad =
		lost >= 2 && pct >= c->thresholds.packet_loss_warning_pct;
	/* current run, unless it is part of a joint outage candidate */
	stats_series_summary(ds->ms->stats, STATS_10S, now, &cur);
	const struct joint *j = &d->joint[ds->joint];
	bool joint = j->active && ds->fail_since >= j->cur.start;
	/* a run that our own test's losses end is the test's, not the line's */
	bool run_loaded =
		ds->nload_fail &&
		ds->load_fails[(ds->nload_fail - 1) % LOAD_FAIL_RING] >
			(lf == INT64_MIN ? 0 : lf);
	unsigned run =
		joint || run_loaded
			? 0
			: run_beyond_outages(d, ds, cur.loss_run_current);
	bool run_bad = run >= (unsigned)c->thresholds.consecutive_loss_warning;
	if (!((pct_bad && recent) || run_bad))
		return;
	unsigned longest =
		st.loss_run_longest < lost ? st.loss_run_longest : lost;
	if (run > longest)
		longest = run;
	enum bb_severity sev =
		pct >= c->thresholds.packet_loss_critical_pct ||
				longest >= (unsigned)c->thresholds
						   .consecutive_loss_threshold
			? BB_SEV_CRITICAL
			: BB_SEV_WARNING;
	enum stats_loss_pattern pat = pattern_of(&st, lost);
	const char *patname = stats_loss_pattern_name(pat);
	/* no answer at all in the window, or none for SILENT_NS: the target
	 * is unreachable, which is neither scattered loss nor a burst */
	int64_t silent = ds->fail_since > ds->last_ok && lf != INT64_MIN
				 ? lf - ds->fail_since + ds->interval_ns
				 : 0;
	bool unreachable = (sent >= 3 && lost == sent && recent) ||
			   (silent >= SILENT_NS && recent);
	if (unreachable)
		patname = "unreachable";
	struct loss_dir ld = loss_direction(d, ds, now - wns, pct);
	const uint32_t *h = st.loss_run_hist;
	unsigned bursts = h[2] + h[3] + h[4] + h[5];
	struct place p = det_series_place(ds);
	char desc[BB_EVENT_DESC_LEN], met[BB_EVENT_METRICS_LEN], tgt[96];
	char dirtxt[96] = "", dirmet[112] = "";
	if (ld.known)
		snprintf(dirmet, sizeof(dirmet),
			 ",\"up_loss_pct\":%.2f,\"down_loss_pct\":%.2f,"
			 "\"direction\":\"%s\"",
			 ld.up_pct, ld.down_pct,
			 ld.asym == DIAG_ASYM_UP     ? "up"
			 : ld.asym == DIAG_ASYM_DOWN ? "down"
						     : "both");
	if (ld.known && ld.asym != DIAG_ASYM_NONE)
		snprintf(dirtxt, sizeof(dirtxt),
			 "; lost on the way %s only: %.1f %% up, %.1f %% down",
			 ld.asym == DIAG_ASYM_UP ? "up" : "down", ld.up_pct,
			 ld.down_pct);
	if (unreachable)
		snprintf(desc, sizeof(desc),
			 "No replies from %s for %.0f s (%.1f %% loss over "
			 "%d s%s).",
			 p.target, (double)silent / BB_NS_PER_S, pct, wsec,
			 dirtxt);
	else
		snprintf(desc, sizeof(desc),
			 "Packet loss to %s: %.1f %% over %d s, longest burst "
			 "%u probe%s (%s%s).",
			 p.target, pct, wsec, longest, longest == 1 ? "" : "s",
			 patname, dirtxt);
	snprintf(met, sizeof(met),
		 "{\"target\":%s,\"loss_pct\":%.2f,\"lost\":%u,\"sent\":%u,"
		 "\"window_s\":%d,\"longest_burst\":%u,\"bursts\":%u,"
		 "\"pattern\":\"%s\",\"period_ms\":%.0f,\"excluded\":%u,"
		 "\"silent_ms\":%.0f%s}",
		 det_json_str(p.target, tgt, sizeof(tgt)), pct, lost, sent,
		 wsec, longest, bursts, patname,
		 st.loss_period_ns == BB_NONE ? 0 : det_ms(st.loss_period_ns),
		 ex, unreachable ? det_ms(silent) : 0, dirmet);
	int64_t start = first_fail_real(d, ds, now - wns);
	if (!start)
		start = det_real_ms_of(d, now);
	const struct loss_figs figs = {
		.pct = pct,
		.up_pct = ld.up_pct,
		.down_pct = ld.down_pct,
		.silent_ns = unreachable ? silent : 0,
		.bursts = bursts,
		.longest = longest,
		.pat = pat,
		.unreachable = unreachable,
		.asym = ld.known ? ld.asym : DIAG_ASYM_NONE,
	};
	det_raise_ev_loss(d, DK_LOSS, p, sev, start, last_fail_real(d, ds), pct,
			  desc, met, &figs);
}

/* DNS and TCP probes come every few seconds and a failure is known only
 * after its timeout: their 5-minute counts say nothing about now, so the
 * condition also needs a failure within the last two intervals (plus a
 * timeout), and the event holds for three intervals before it ends. */
#define SLOW_PROBE_TIMEOUT_NS (5 * BB_NS_PER_S)

static bool failing_now(const struct detect *d, const struct dseries *ds,
			int64_t now)
{
	int64_t lf = last_fail_mono(d, ds);
	return lf != INT64_MIN &&
	       now - lf <= 2 * ds->interval_ns + SLOW_PROBE_TIMEOUT_NS;
}

static void slow_hold(struct devent *e, const struct dseries *ds, int64_t base)
{
	if (e)
		e->hold =
			3 * ds->interval_ns > base ? 3 * ds->interval_ns : base;
}

/* The line's own loss over window w on ds's interface: the highest loss
 * % of the echo series beyond the gateway (outages and our own tests left
 * out).  A resolver is only at fault for what it fails beyond that: under
 * 10 % line loss a DNS query fails ~10 % of the time. */
static double line_loss_pct(const struct detect *d, const struct dseries *ds,
			    enum stats_window w, int64_t now)
{
	double worst = 0;
	int64_t from = now - stats_window_ns(w);
	for (size_t i = 0; i < d->ns; i++) {
		const struct dseries *o = &d->s[i];
		if (o->joint != ds->joint || !(ECHO & P(o->ms->kind)) ||
		    !strcmp(o->ms->target, "gateway") || o->nosess_mono)
			continue;
		struct stats_summary st;
		stats_series_summary(o->ms->stats, w, now, &st);
		unsigned ex = det_excluded(d, o, from) + loaded_fails(o, from);
		unsigned lost = st.lost > ex ? st.lost - ex : 0;
		unsigned sent = st.count > ex ? st.count - ex : 0;
		if (sent >= 10 && 100.0 * lost / sent > worst)
			worst = 100.0 * lost / sent;
	}
	return worst;
}

/* P(X >= k) for X ~ Binomial(n, p): how likely the line's own loss p
 * alone fails k of n queries. */
static double binom_tail(unsigned n, unsigned k, double p)
{
	if (k == 0)
		return 1;
	if (p <= 0)
		return 0;
	if (p >= 1)
		return 1;
	double tail = 0;
	for (unsigned i = k; i <= n; i++)
		tail += exp(lgamma(n + 1.0) - lgamma(i + 1.0) -
			    lgamma(n - i + 1.0) + i * log(p) +
			    (n - i) * log1p(-p));
	return tail;
}

static void det_eval_dns(struct detect *d, struct dseries *ds, int64_t now)
{
	const struct bb_config *c = &d->cfg;
	struct stats_summary st;
	enum stats_window w = STATS_5M;
	stats_series_summary(ds->ms->stats, w, now, &st);
	unsigned ex = det_excluded(d, ds, now - stats_window_ns(w)) +
		      loaded_fails(ds, now - stats_window_ns(w));
	unsigned lost = st.lost > ex ? st.lost - ex : 0;
	unsigned sent = st.count > ex ? st.count - ex : 0;
	if (sent < 3)
		return;
	double pct = 100.0 * lost / sent;
	double med = st.p50 == BB_NONE ? 0 : det_ms(st.p50);
	struct stats_summary rec;
	stats_series_summary(ds->ms->stats, STATS_60S, now, &rec);
	/* more failures than the line's own loss explains (p < 1 %) */
	double line = line_loss_pct(d, ds, w, now) / 100.0;
	bool failing = lost >= 2 && pct > c->thresholds.dns_failure_pct &&
		       binom_tail(sent, lost, line) < 0.01 &&
		       failing_now(d, ds, now);
	bool slow = med > c->thresholds.dns_slow_ms && rec.p50 != BB_NONE &&
		    det_ms(rec.p50) > c->thresholds.dns_slow_ms;
	if (!failing && !slow)
		return;
	enum bb_severity sev =
		pct >= 5 * c->thresholds.dns_failure_pct ||
				med >= 5.0 * c->thresholds.dns_slow_ms
			? BB_SEV_CRITICAL
			: BB_SEV_WARNING;
	struct place p = det_series_place(ds);
	char desc[BB_EVENT_DESC_LEN], met[BB_EVENT_METRICS_LEN];
	snprintf(desc, sizeof(desc),
		 "DNS trouble with %s: %.0f %% of %u queries failed, median "
		 "%.1f ms over 5 min.",
		 p.target, pct, sent, med);
	snprintf(met, sizeof(met),
		 "{\"failure_pct\":%.1f,\"failed\":%u,\"queries\":%u,"
		 "\"median_ms\":%.3f,\"slow\":%s}",
		 pct, lost, sent, med, slow ? "true" : "false");
	int64_t nowr = det_real_ms_of(d, now);
	int64_t start =
		failing ? first_fail_real(d, ds, now - stats_window_ns(w)) : 0;
	if (!start)
		start = nowr;
	slow_hold(det_raise_ev(d, DK_DNS, p, sev, start,
			       failing && !slow ? last_fail_real(d, ds) : nowr,
			       pct, desc, met),
		  ds, det_kinds[DK_DNS].hold_ns);
}

static void det_eval_conn(struct detect *d, struct dseries *ds, int64_t now)
{
	const struct bb_config *c = &d->cfg;
	int wsec = c->thresholds.connection_window_s;
	int64_t from = now - (int64_t)wsec * BB_NS_PER_S;
	const struct joint *j = &d->joint[ds->joint];
	unsigned fails = 0, timeouts = 0;
	unsigned n = ds->nfail < FAIL_RING ? ds->nfail : FAIL_RING;
	for (unsigned i = 0; i < n; i++) {
		const struct fail *f = &ds->fails[i];
		if (f->mono <= from || det_in_outage(j, f->mono))
			continue;
		fails++;
		timeouts += f->status == BB_STATUS_TIMEOUT;
	}
	int drops = c->thresholds.connection_drops;
	if (fails <= (unsigned)drops || !failing_now(d, ds, now))
		return;
	enum bb_severity sev =
		fails > 2u * (unsigned)drops ? BB_SEV_CRITICAL : BB_SEV_WARNING;
	struct place p = det_series_place(ds);
	char desc[BB_EVENT_DESC_LEN], met[BB_EVENT_METRICS_LEN], le[96];
	snprintf(desc, sizeof(desc),
		 "Connections to %s failing: %u failed connects in %d s "
		 "(last: %s).",
		 p.target, fails, wsec, ds->last_error);
	snprintf(met, sizeof(met),
		 "{\"failures\":%u,\"timeouts\":%u,\"errors\":%u,"
		 "\"window_s\":%d,\"last_error\":%s}",
		 fails, timeouts, fails - timeouts, wsec,
		 det_json_str(ds->last_error, le, sizeof(le)));
	slow_hold(det_raise_ev(d, DK_CONN, p, sev, first_fail_real(d, ds, from),
			       last_fail_real(d, ds), fails, desc, met),
		  ds, det_kinds[DK_CONN].hold_ns);
}

void detect_tick(struct detect *d, int64_t now)
{
	if (now > d->now)
		d->now = now;
	now = d->now;
	for (size_t j = 0; j < d->njoint; j++) {
		det_joint_check(d, &d->joint[j]);
		if (d->joint[j].declared)
			det_describe_micro(
				d, &d->joint[j],
				d->joint[j].last_fail - d->joint[j].cur.start +
					det_min_interval(d, &d->joint[j]),
				false);
	}
	for (size_t i = 0; i < d->ns; i++) {
		struct dseries *ds = &d->s[i];
		for (int k = 0; k < DK_COUNT; k++)
			if (det_kinds[k].eval &&
			    (det_kinds[k].probes & P(ds->ms->kind)))
				det_kinds[k].eval(d, ds, now);
	}
	for (size_t i = 0; i < MAX_EVENTS; i++) {
		struct devent *e = &d->ev[i];
		if (!e->used || !e->open)
			continue;
		int64_t hold = e->hold ? e->hold : det_kinds[e->kind].hold_ns;
		if (hold != HOLD_NEVER && now - e->last_true >= hold)
			det_end_ev(d, e);
		else if (e->dirty && now - e->last_push >= PUSH_EVERY_NS)
			det_push(d, e, DETECT_UPDATE);
	}
}

void detect_finish(struct detect *d)
{
	for (size_t j = 0; j < d->njoint; j++)
		if (d->joint[j].declared)
			det_joint_end(
				d, &d->joint[j],
				d->joint[j].last_fail +
					det_min_interval(d, &d->joint[j]));
	for (size_t i = 0; i < MAX_EVENTS; i++)
		if (d->ev[i].used && d->ev[i].open)
			det_end_ev(d, &d->ev[i]);
}

/* ---- events fed from outside -------------------------------------------- */

int detect_gateway_change(struct detect *d, const char *ifname,
			  const char *old_addr, const char *new_addr,
			  int64_t real_ms)
{
	if (!old_addr[0] || !strcmp(old_addr, new_addr))
		return 0;
	char desc[BB_EVENT_DESC_LEN], met[BB_EVENT_METRICS_LEN], a[80], b[80];
	snprintf(desc, sizeof(desc), "Gateway%s%s changed from %s to %s.",
		 ifname[0] ? " of " : "", ifname, old_addr, new_addr);
	snprintf(met, sizeof(met), "{\"old\":%s,\"new\":%s}",
		 det_json_str(old_addr, a, sizeof(a)),
		 det_json_str(new_addr, b, sizeof(b)));
	struct place p = { ifname, "gateway", "" };
	oneshot(d, DK_GATEWAY, p, BB_SEV_INFO, real_ms, 0, desc, met);
	return 1;
}

void detect_bloat_result(struct detect *d, const char *ifname,
			 const char *server, const struct detect_bloat *b,
			 int64_t real_ms)
{
	const struct bb_config *c = &d->cfg;
	double inc = det_ms(b->loaded_ns - b->idle_ns);
	int dir = !strcmp(b->direction, "upload")     ? 0
		  : !strcmp(b->direction, "download") ? 1
						      : 2;
	d->bloat[dir].have = true;
	d->bloat[dir].inc_ms = inc;
	snprintf(d->bloat[dir].server, sizeof(d->bloat[dir].server), "%s",
		 server);
	if (inc <= c->thresholds.bufferbloat_alert_ms)
		return;
	enum bb_severity sev = inc > c->thresholds.bufferbloat_critical_ms
				       ? BB_SEV_CRITICAL
				       : BB_SEV_WARNING;
	const char *grade = diag_bloat_grade(inc);
	char desc[BB_EVENT_DESC_LEN], met[BB_EVENT_METRICS_LEN];
	snprintf(desc, sizeof(desc),
		 "%c%s bufferbloat%s%s: +%.0f ms under load (%.1f -> %.1f ms), "
		 "grade %s.",
		 b->direction[0] ? b->direction[0] - 32 : 'B',
		 b->direction[0] ? b->direction + 1 : "oth",
		 server[0] ? " to " : "", server, inc, det_ms(b->idle_ns),
		 det_ms(b->loaded_ns), grade);
	snprintf(met, sizeof(met),
		 "{\"idle_ms\":%.3f,\"loaded_ms\":%.3f,\"increase_ms\":%.3f,"
		 "\"direction\":\"%s\",\"grade\":\"%s\",\"rpm\":%.0f}",
		 det_ms(b->idle_ns), det_ms(b->loaded_ns), inc, b->direction,
		 grade, diag_rpm(det_ms(b->loaded_ns)));
	struct place p = { ifname, "", server };
	oneshot(d, DK_BLOAT, p, sev, real_ms, inc, desc, met);
}

void detect_time_sync(struct detect *d, const char *server, double quality,
		      int64_t offset_ns, int n_samples, int64_t real_ms)
{
	const struct bb_config *c = &d->cfg;
	struct sync_state *ss = NULL;
	for (size_t i = 0; i < d->nsync; i++)
		if (!strcmp(d->sync[i].server, server))
			ss = &d->sync[i];
	if (!ss) {
		if (d->nsync == MAX_SYNC)
			return;
		ss = &d->sync[d->nsync++];
		snprintf(ss->server, sizeof(ss->server), "%s", server);
	}
	bool good = n_samples >= c->thresholds.time_sync_min_samples &&
		    quality >= c->thresholds.time_sync_quality_pct;
	if (good == ss->established)
		return;
	if (!good && n_samples < c->thresholds.time_sync_min_samples)
		return;
	ss->established = good;
	char desc[BB_EVENT_DESC_LEN], met[BB_EVENT_METRICS_LEN];
	snprintf(desc, sizeof(desc),
		 "Clock sync with %s %s: quality %.0f %%, offset %.3f ms.",
		 server, good ? "established" : "lost", quality,
		 det_ms(offset_ns));
	snprintf(met, sizeof(met),
		 "{\"quality_pct\":%.1f,\"offset_ms\":%.3f,\"samples\":%d}",
		 quality, det_ms(offset_ns), n_samples);
	struct place p = { "", "", server };
	oneshot(d, good ? DK_SYNC_OK : DK_SYNC_LOST, p, BB_SEV_INFO, real_ms,
		quality, desc, met);
}

/* ---- verdict ------------------------------------------------------------ */

static bool series_bad(const struct detect *d, const struct dseries *ds,
		       struct stats_summary *st)
{
	struct place p = det_series_place(ds);
	stats_series_summary(ds->ms->stats, STATS_60S, d->now, st);
	for (size_t i = 0; i < MAX_EVENTS; i++) {
		const struct devent *e = &d->ev[i];
		if (e->used && e->open &&
		    (e->kind == DK_LOSS || e->kind == DK_LATENCY) &&
		    !strcmp(e->ev.interface, p.iface) &&
		    !strcmp(e->ev.target, p.target) &&
		    !strcmp(e->ev.server, p.server))
			return true;
	}
	return false;
}

/* "Routing trouble to X ... while the gateway and Y are fine."  True
 * when another destination answers well, so the line is cleared. */
static bool verdict_routing(const struct detect *d, char *buf, size_t len)
{
	bool cleared = false;
	for (size_t j = 0; j < d->njoint; j++) {
		const struct joint *jt = &d->joint[j];
		if (jt->declared)
			continue;
		const struct dseries *bad = NULL, *good_gw = NULL;
		const struct dseries *good_other = NULL;
		struct stats_summary st, bst = { 0 };
		size_t nbad = 0, nechoes = 0;
		for (size_t i = 0; i < d->ns; i++) {
			const struct dseries *ds = &d->s[i];
			if (&d->joint[ds->joint] != jt ||
			    !(ECHO & P(ds->ms->kind)))
				continue;
			nechoes++;
			bool gw = !strcmp(ds->ms->target, "gateway");
			if (series_bad(d, ds, &st)) {
				if (!bad || st.loss_pct > bst.loss_pct) {
					bad = ds;
					bst = st;
				}
				nbad++;
			} else if (gw) {
				good_gw = ds;
			} else {
				good_other = ds;
			}
		}
		if (!bad || nechoes < 2 || nbad * 2 > nechoes ||
		    (!good_gw && !good_other))
			continue;
		char why[96];
		if (bst.loss_pct > 0)
			snprintf(why, sizeof(why), "%.1f %% loss over 60 s",
				 bst.loss_pct);
		else
			snprintf(why, sizeof(why), "delay %.1f ms (p95)",
				 bst.p95 == BB_NONE ? 0 : det_ms(bst.p95));
		det_cat(buf, len,
			"%sRouting trouble to %s: %s while %s%s%s %s "
			"fine.",
			buf[0] ? " " : "", bad->ms->target, why,
			good_gw ? "the gateway" : "",
			good_gw && good_other ? " and " : "",
			good_other ? good_other->ms->target : "",
			good_gw && good_other ? "are" : "is");
		/* the gateway alone answering does not clear the line */
		if (good_other) {
			advice_add(buf, len, ADVICE_ROUTING, 0);
			cleared = true;
		}
	}
	return cleared;
}

/* Two interfaces, same targets: the worse one is the local hop (true
 * when said, so the line is cleared). */
static bool verdict_interfaces(const struct detect *d, char *buf, size_t len)
{
	if (d->njoint < 2)
		return false;
	struct diag_iface f[2] = { { 0 } };
	for (int k = 0; k < 2; k++) {
		unsigned lost = 0, sent = 0, n = 0;
		double p50 = 0, jit = 0;
		f[k].name = d->joint[k].iface;
		for (size_t i = 0; i < d->ns; i++) {
			const struct dseries *ds = &d->s[i];
			struct stats_summary st;
			if (ds->joint != k || !(ECHO & P(ds->ms->kind)))
				continue;
			stats_series_summary(ds->ms->stats, STATS_60S, d->now,
					     &st);
			lost += st.lost;
			sent += st.count;
			if (st.p50 != BB_NONE) {
				p50 += det_ms(st.p50);
				jit += st.ipdv_mean == BB_NONE
					       ? 0
					       : det_ms(st.ipdv_mean);
				n++;
			}
		}
		if (!sent || !n)
			return false;
		f[k].loss_pct = 100.0 * lost / sent;
		f[k].p50_ms = p50 / n;
		f[k].jitter_ms = jit / n;
	}
	int w = diag_worse_interface(&f[0], &f[1]);
	if (w < 0)
		return false;
	det_cat(buf, len,
		"%sThe local link %s is at fault, not the line: %.1f %% loss, "
		"%.1f ms median against %.1f %% and %.1f ms on %s.",
		buf[0] ? " " : "", f[w].name, f[w].loss_pct, f[w].p50_ms,
		f[!w].loss_pct, f[!w].p50_ms, f[!w].name);
	advice_add(buf, len, ADVICE_LOCAL_LINK, 0);
	return true;
}

/* Where a per-target fault was already placed when the events are said:
 * a local link or routing diagnosis cleared the line (the events add no
 * advice), or the gateway itself is bad too (the home network: the
 * targets beyond it add no line advice). */
enum placed { PLACED_NONE, PLACED_CLEARED, PLACED_HOME };

static bool target_event(const struct devent *e)
{
	return e->kind == DK_LOSS || e->kind == DK_LATENCY ||
	       e->kind == DK_JITTER;
}

/* What to do about open event E, said after its sentence. */
static void verdict_advice(const struct detect *d, const struct devent *e,
			   bool unreachable, enum placed pl, char *buf,
			   size_t len)
{
	const struct bb_event *ev = &e->ev;
	enum advice a = ADVICE_COUNT;
	if (target_event(e)) {
		if (pl == PLACED_HOME)
			a = ADVICE_HOME;
		else if (pl == PLACED_NONE)
			a = e->kind != DK_LOSS ? ADVICE_DELAY
			    : unreachable      ? ADVICE_UNREACHABLE
					       : ADVICE_LINE;
	}
	switch (e->kind) {
	case DK_UPLOAD:
		a = ADVICE_UPLOAD;
		break;
	case DK_DOWNLOAD:
		a = ADVICE_DOWNLOAD;
		break;
	case DK_DNS:
		a = ADVICE_DNS;
		break;
	case DK_CONN:
		a = ADVICE_CONN;
		break;
	case DK_MICRO:
		/* beyond a gateway that kept answering: the line itself */
		a = ADVICE_LINE_OR_HOME;
		for (size_t j = 0; j < d->njoint; j++)
			if (!strcmp(d->joint[j].iface, ev->interface) &&
			    det_has_gateway(d, &d->joint[j]))
				a = ADVICE_LINE;
		break;
	default:
		break;
	}
	if (a != ADVICE_COUNT)
		advice_add(buf, len, a, 0);
}

static void verdict_event(const struct detect *d, const struct devent *e,
			  enum placed pl, char *buf, size_t len)
{
	const struct bb_event *ev = &e->ev;
	const char *sp = buf[0] ? " " : "";
	bool unreachable = false;
	if (e->kind == DK_LOSS) {
		const struct loss_figs *l = &e->loss;
		bool periodic = l->pat == STATS_LOSS_PERIODIC;
		if (l->unreachable) {
			unreachable = true;
			det_cat(buf, len, "%sNo replies from %s for %.0f s.",
				sp, ev->target,
				(double)l->silent_ns / BB_NS_PER_S);
		} else if (l->pat == STATS_LOSS_BURST || periodic)
			det_cat(buf, len,
				"%s%soss bursts to %s: %u burst%s in %d s, "
				"longest "
				"%u probes.",
				sp, periodic ? "Periodic l" : "L", ev->target,
				l->bursts, l->bursts == 1 ? "" : "s",
				d->cfg.thresholds.packet_loss_window_s,
				l->longest);
		else
			det_cat(buf, len,
				"%sScattered packet loss to %s: %.1f %% over "
				"%d s.",
				sp, ev->target, l->pct,
				d->cfg.thresholds.packet_loss_window_s);
		bool up = l->asym == DIAG_ASYM_UP;
		if (l->asym != DIAG_ASYM_NONE)
			det_cat(buf, len,
				" The loss is on the way %s only: %.1f %% lost "
				"%s, %.1f %% %s.",
				up ? "up" : "down",
				up ? l->up_pct : l->down_pct,
				up ? "upstream" : "downstream",
				up ? l->down_pct : l->up_pct,
				up ? "downstream" : "upstream");
	} else {
		det_cat(buf, len, "%s%s", sp, ev->description);
	}
	verdict_advice(d, e, unreachable, pl, buf, len);
}

/* The UDP port of the configured server NAME, 0 when not configured. */
static int server_port(const struct detect *d, const char *name)
{
	for (int i = 0; i < d->cfg.n_servers && i < CONFIG_SERVERS_MAX; i++)
		if (!strcmp(d->cfg.servers[i].name, name))
			return d->cfg.servers[i].port;
	return 0;
}

/* Servers without a session: their own state, said first (the echoes
 * sent meanwhile are not loss, so nothing else would explain the gap). */
static void verdict_sessions(const struct detect *d, char *buf, size_t len)
{
	for (size_t i = 0; i < d->ns; i++) {
		const struct dseries *ds = &d->s[i];
		if (!ds->nosess_mono)
			continue;
		int64_t since = det_real_ms_of(d, d->now) -
				ds->nosess_since_real / BB_NS_PER_MS;
		const char *name =
			ds->ms->server[0] ? ds->ms->server : ds->ms->target;
		det_cat(buf, len, "%sNo session with %s", buf[0] ? " " : "",
			name);
		if (since >= 1000)
			det_cat(buf, len, " for %.0f s", (double)since / 1000);
		det_cat(buf, len, ".");
		/* the advice names the three causes: server down, key, port */
		advice_add(buf, len, ADVICE_NO_SESSION, server_port(d, name));
	}
}

/* The standing bufferbloat grade (the last test per direction) above
 * bufferbloat_warning_ms, with what to do about it: it stays true after
 * the test's event ended, as long as no better test replaces it. */
static void verdict_bloat(const struct detect *d, char *buf, size_t len)
{
	static const char *const dirs[3] = { "Upload", "Download", "Both-way" };
	bool any = false;
	for (int k = 0; k < 3; k++) {
		double inc = d->bloat[k].inc_ms;
		if (!d->bloat[k].have ||
		    inc <= d->cfg.thresholds.bufferbloat_warning_ms)
			continue;
		det_cat(buf, len,
			"%s%s bufferbloat grade %s (+%.0f ms under load).",
			buf[0] ? " " : "", dirs[k], diag_bloat_grade(inc), inc);
		any = true;
	}
	if (any)
		advice_add(buf, len, ADVICE_BLOAT, 0);
}

/* How much data the verdict rests on: " after 40 s" while under an hour. */
static void verdict_span(const struct detect *d, char *buf, size_t len)
{
	int64_t span = d->first ? d->now - d->first : 0;
	if (span < HOUR_NS)
		det_cat(buf, len, " (after %.0f s)",
			(double)span / BB_NS_PER_S);
}

size_t detect_verdict(const struct detect *d, char *buf, size_t len)
{
	if (!len)
		return 0;
	buf[0] = '\0';
	if (!d->first && !d->peak.degraded) {
		snprintf(buf, len, "Waiting for the first samples.");
		return strlen(buf);
	}
	/* the diagnoses first: what is wrong and where, then the events */
	verdict_sessions(d, buf, len);
	enum placed pl = PLACED_NONE;
	if (verdict_interfaces(d, buf, len))
		pl = PLACED_CLEARED;
	if (verdict_routing(d, buf, len))
		pl = PLACED_CLEARED;
	verdict_bloat(d, buf, len);
	for (size_t i = 0; pl == PLACED_NONE && i < MAX_EVENTS; i++)
		if (d->ev[i].used && d->ev[i].open && target_event(&d->ev[i]) &&
		    !strcmp(d->ev[i].ev.target, "gateway"))
			pl = PLACED_HOME;
	/* most severe first */
	for (int sev = BB_SEV_CRITICAL; sev >= BB_SEV_INFO; sev--)
		for (size_t i = 0; i < MAX_EVENTS; i++) {
			const struct devent *e = &d->ev[i];
			if (e->used && e->open && e->ev.severity == sev &&
			    e->kind != DK_SYNC_OK && e->kind != DK_GATEWAY &&
			    e->kind != DK_BLOAT)
				verdict_event(d, e, pl, buf, len);
		}
	if (d->peak.degraded) {
		char w[256];
		diag_peak_words(&d->peak, w, sizeof(w));
		w[0] = 'E'; /* a sentence of its own here */
		det_cat(buf, len, "%s%s.", buf[0] ? " " : "", w);
		advice_add(buf, len, ADVICE_PEAK, 0);
	}
	if (buf[0]) {
		/* early on, say how little the diagnosis rests on */
		int64_t span = d->first ? d->now - d->first : 0;
		if (span < HOUR_NS)
			det_cat(buf, len, " Based on %.0f s of data.",
				(double)span / BB_NS_PER_S);
		return strlen(buf);
	}
	unsigned n = 0;
	char kinds_seen[160] = "";
	for (size_t i = 0; i < MAX_EVENTS; i++) {
		const struct devent *e = &d->ev[i];
		if (!e->used || e->kind == DK_SYNC_OK ||
		    e->kind == DK_GATEWAY || d->now - e->end_mono > HOUR_NS)
			continue;
		n++;
		if (!strstr(kinds_seen, e->ev.kind))
			det_cat(kinds_seen, sizeof(kinds_seen), "%s%s",
				kinds_seen[0] ? ", " : "", e->ev.kind);
	}
	if (n)
		snprintf(buf, len,
			 "No problem right now; %u event%s in the last hour "
			 "(%s)",
			 n, n == 1 ? "" : "s", kinds_seen);
	else if (d->now - d->first < HOUR_NS)
		snprintf(buf, len, "No problems detected so far");
	else
		snprintf(buf, len, "No problems detected in the last hour");
	verdict_span(d, buf, len);
	det_cat(buf, len, ".");
	return strlen(buf);
}

void detect_peak_hours(struct detect *d, const struct diag_peak *pk)
{
	if (pk)
		d->peak = *pk;
	else
		memset(&d->peak, 0, sizeof(d->peak));
}

size_t detect_open_count(const struct detect *d)
{
	size_t n = 0;
	for (size_t i = 0; i < MAX_EVENTS; i++)
		n += d->ev[i].used && d->ev[i].open;
	return n;
}

/* ---- lifecycle and baselines -------------------------------------------- */

struct detect *detect_create(const struct bb_config *cfg, detect_event_fn fn,
			     void *ctx)
{
	struct detect *d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->cfg = *cfg;
	d->fn = fn;
	d->ctx = ctx;
	return d;
}

void detect_destroy(struct detect *d)
{
	free(d);
}

int64_t detect_baseline(const struct detect *d, const struct model_series *ms)
{
	const struct dseries *ds = series_find(d, ms);
	return ds && ds->base > 0 ? (int64_t)ds->base : BB_NONE;
}

size_t detect_baselines_save(const struct detect *d, char *buf, size_t len)
{
	if (!len)
		return 0;
	snprintf(buf, len, "bbv1\n");
	for (size_t i = 0; i < d->ns; i++) {
		const struct dseries *ds = &d->s[i];
		if (ds->base <= 0)
			continue;
		det_cat(buf, len, "%s\t%s\t%s\t%s\t%lld\n", ds->ms->interface,
			sample_kind_name(ds->ms->kind), ds->ms->target,
			ds->ms->server, (long long)ds->base);
	}
	return strlen(buf);
}

int detect_baselines_load(struct detect *d, const char *text)
{
	if (strncmp(text, "bbv1\n", 5))
		return -EINVAL;
	int n = 0;
	const char *p = text + 5;
	while (*p && d->nloaded < MAX_LOADED) {
		const char *eol = strchr(p, '\n');
		size_t l = eol ? (size_t)(eol - p) : strlen(p);
		char line[256], *f[5];
		if (l >= sizeof(line))
			return -EINVAL;
		memcpy(line, p, l);
		line[l] = '\0';
		p += l + (eol ? 1 : 0);
		if (!l)
			continue;
		/* strtok would merge empty fields: split by hand */
		char *c = line;
		for (int i = 0; i < 5; i++) {
			f[i] = c;
			c = c ? strchr(c, '\t') : NULL;
			if (c)
				*c++ = '\0';
			else if (i < 4)
				return -EINVAL;
		}
		struct loaded *ld = &d->loaded[d->nloaded];
		int kind = sample_kind_from_name(f[1]);
		long long v = strtoll(f[4], NULL, 10);
		if (kind < 0 || v <= 0 || strlen(f[0]) >= sizeof(ld->iface) ||
		    strlen(f[2]) >= sizeof(ld->target) ||
		    strlen(f[3]) >= sizeof(ld->server))
			return -EINVAL;
		strcpy(ld->iface, f[0]);
		strcpy(ld->target, f[2]);
		strcpy(ld->server, f[3]);
		ld->kind = kind;
		ld->value = v;
		d->nloaded++;
		n++;
	}
	return n;
}
