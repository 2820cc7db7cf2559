// SPDX-License-Identifier: MIT
/*
 * Delay and throughput against their learned baselines (layer 1 in
 * detect.c): the delay baseline, latency spikes, jitter and throughput
 * degradation, and the idle delay a bufferbloat result is judged against.
 */
#include "core/analysis/detect_internal.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/clock.h"

#define SEED_SAMPLES	  5
#define SPIKE_MIN_RISE_NS (10 * BB_NS_PER_MS)
#define RISE_TAU_NS	  (300 * BB_NS_PER_S)
#define FALL_ALPHA	  0.5
#define TPUT_FALL_TAU_NS  (3600 * BB_NS_PER_S)

static int64_t spike_threshold(const struct detect *d, double base)
{
	double f = d->params.thresholds.latency_spike_factor * base;
	double a = base + (double)SPIKE_MIN_RISE_NS;
	return (int64_t)(f > a ? f : a);
}

/* cake-autorate's rule: fall fast, rise slowly (see the file comment).
 * A persisted baseline is used from the first answer, unless the first
 * SEED_SAMPLES answers are all above its spike threshold (stale). */
void det_baseline_update(const struct detect *d, struct dseries *ds, int64_t v,
			 int64_t t)
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

/* ---- per-sample detectors ----------------------------------------------- */

void det_latency_sample(struct detect *d, struct dseries *ds,
			const struct bb_sample *s, int64_t v)
{
	const struct bb_thresholds *th = &d->params.thresholds;
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
	if (ds->spike_run < th->latency_spike_probes ||
	    covered < (int64_t)th->latency_spike_min_ms * BB_NS_PER_MS)
		return;
	struct place p = det_series_place(ds);
	struct devent *e = det_open_event(d, DK_LATENCY, p);
	double peak = det_ms(ds->spike_peak);
	if (e && e->peak > peak)
		peak = e->peak;
	enum bb_severity sev = peak >= th->latency_critical_ms ? BB_SEV_CRITICAL
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

void det_tput_sample(struct detect *d, struct dseries *ds,
		     const struct bb_sample *s)
{
	const struct bb_thresholds *th = &d->params.thresholds;
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
	if (pct >= th->throughput_alert_pct) {
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
	if (dur < (int64_t)th->throughput_sustain_s * BB_NS_PER_S)
		return;
	double worst = 100.0 * (double)ds->low_worst / base;
	enum bb_severity sev = worst < th->throughput_critical_pct
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
int64_t det_idle_for(const struct detect *d, const struct bb_sample *s)
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

/* Mean |IPDV| of the last N probes without its two largest terms: one
 * outlier makes exactly two large differences, sustained jitter many. */
static double trimmed_ipdv(const struct dseries *ds, size_t n)
{
	int64_t v[1024];
	if (n + 1 > sizeof(v) / sizeof(v[0]))
		n = sizeof(v) / sizeof(v[0]) - 1;
	size_t got = stats_log_recent(ds->ms->stats, v, n + 1);
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

void det_eval_jitter(struct detect *d, struct dseries *ds, int64_t now)
{
	const struct bb_thresholds *th = &d->params.thresholds;
	int sustain = th->jitter_sustain_s;
	struct stats_summary st;
	enum stats_window w = det_window_for(sustain);
	/* the window holds echoes of our own test: their delay variation is
	 * the test's load (the bufferbloat result judges that), not the line */
	if (ds->load_mono && now - ds->load_mono < stats_window_ns(w))
		return;
	stats_log_summary(ds->ms->stats, w, now, &st);
	if (st.ipdv_mean == BB_NONE || !ds->interval_ns)
		return;
	int64_t want = (int64_t)sustain * BB_NS_PER_S / ds->interval_ns;
	if (st.count < 5 || (int64_t)st.count * 5 < want * 4)
		return; /* the window does not yet cover the sustain period */
	double j = det_ms(st.ipdv_mean);
	if (j < th->jitter_warning_ms ||
	    trimmed_ipdv(ds, (size_t)want) < th->jitter_warning_ms)
		return;
	enum bb_severity sev =
		j >= th->jitter_critical_ms ? BB_SEV_CRITICAL : BB_SEV_WARNING;
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
