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
 * Files: this one feeds the samples, runs the ticks and keeps the alert
 * kinds table and the persisted baselines; detect_delay.c is layer 1's
 * delay and throughput detectors, detect_outage.c layer 2,
 * detect_events.c layer 3, detect_loss.c the loss, DNS and connection
 * detectors and detect_verdict.c the verdict; detect_internal.h holds
 * what they share.
 *
 * Loss periods follow RFC 3357 (via core/stats); jitter is the mean |IPDV|
 * of RFC 3393 / RFC 5481 §4.1.
 */
#include "core/analysis/detect.h"
#include "core/analysis/detect_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/clock.h"
#include "core/probe/kind.h"

const struct kind_def det_kinds[DK_COUNT] = {
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
	[DK_PATH] = { "path_change", "a hop's responding address changed", 0,
		      HOLD_NEVER, NULL },
	[DK_PASSIVE] = { "bufferbloat_passive",
			 "+200 ms while your own traffic fills >= 70 % of "
			 "the line for 5 s (100 / 500)",
			 0, 10 * BB_NS_PER_S, NULL },
};

const char *detect_alert_name(int i)
{
	return i >= 0 && i < DK_COUNT ? det_kinds[i].name : NULL;
}

int detect_alert_name_width(void)
{
	int w = 0;
	for (int i = 0; i < DK_COUNT; i++)
		if ((int)strlen(det_kinds[i].name) > w)
			w = (int)strlen(det_kinds[i].name);
	return w;
}

/* ---- small helpers ------------------------------------------------------ */

double det_ms(int64_t ns)
{
	return (double)ns / BB_NS_PER_MS;
}

int64_t det_real_ms_of(const struct detect *d, int64_t mono)
{
	return (mono + d->off) / BB_NS_PER_MS;
}

/* Smallest stats window of at least SECONDS. */
enum stats_window det_window_for(int seconds)
{
	for (int w = 0; w < STATS_WINDOW_COUNT; w++)
		if (stats_window_ns(w) >= (int64_t)seconds * BB_NS_PER_S)
			return w;
	return STATS_1H;
}

/* Append printf output at the end of buf (never overflows). */
__attribute__((format(printf, 3, 4))) void det_cat(char *buf, size_t len,
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
const char *det_json_str(const char *s, char *out, size_t len)
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

void detect_sample(struct detect *d, const struct model_series *ms,
		   const struct bb_sample *s)
{
	/* Probes sent while our own throughput or bloat test saturated the
	 * line (the echo stream flags its own, the engine those of every other
	 * probe on the interface) measure that load, not the line: the bloat
	 * result judges it.  The model's windows still hold them, so their
	 * span and losses are kept for the window-based detectors. */
	if (s->kind == BB_KIND_TRAFFIC && !(s->flags & BB_SAMPLE_DUPLICATE)) {
		det_passive_traffic(d, s); /* no series: rates, no delay */
		return;
	}
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
		if (!d->first) /* the clocks' offset, for "for N s" */
			d->off = s->real_ns - s->mono_ns;
		return;
	}
	if (!(s->flags & BB_SAMPLE_LATE))
		ds->nosess_mono = 0; /* a probe went out in a session */
	if (s->flags & BB_SAMPLE_UNDER_LOAD) {
		det_passive_own(d, ds, s);
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
			det_passive_rtt(d, ds, s);
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
		det_passive_capacity(d, s);
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
	if (ECHO & P(s->kind)) {
		det_latency_sample(d, ds, s, v);
		det_passive_rtt(d, ds, s);
	}
	det_baseline_update(d, ds, v, s->mono_ns);
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
	det_passive_tick(d, now);
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

/* ---- lifecycle and baselines -------------------------------------------- */

const struct detect_params *
detect_params_from_config(const struct bb_config *cfg, struct detect_params *p)
{
	memset(p, 0, sizeof(*p));
	p->thresholds = cfg->thresholds;
	for (int i = 0; i < cfg->n_servers && i < CONFIG_SERVERS_MAX; i++) {
		snprintf(p->servers[i].name, sizeof(p->servers[i].name), "%s",
			 cfg->servers[i].name);
		p->servers[i].port = cfg->servers[i].port;
		p->n_servers = i + 1;
	}
	return p;
}

struct detect *detect_new(const struct detect_params *p, detect_event_fn fn,
			  void *ctx)
{
	struct detect *d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->params = *p;
	d->fn = fn;
	d->ctx = ctx;
	return d;
}

void detect_set_params(struct detect *d, const struct detect_params *p)
{
	d->params = *p;
}

void detect_free(struct detect *d)
{
	if (d)
		det_passive_free(d);
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
