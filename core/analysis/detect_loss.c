// SPDX-License-Identifier: MIT
/*
 * The detectors that count failures over a window: packet loss (with its
 * pattern and direction), DNS trouble and connection instability.  Probes
 * lost in a joint outage or under our own test's load are left out.
 */
#include "core/analysis/detect_internal.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/base/clock.h"

#define SILENT_NS (10 * BB_NS_PER_S) /* no reply this long: unreachable */

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

void det_eval_loss(struct detect *d, struct dseries *ds, int64_t now)
{
	const struct bb_thresholds *th = &d->params.thresholds;
	int wsec = th->packet_loss_window_s;
	enum stats_window w = det_window_for(wsec);
	int64_t wns = (int64_t)wsec * BB_NS_PER_S;
	struct stats_summary st, cur;
	stats_log_summary(ds->ms->stats, w, now, &st);
	unsigned ex = det_excluded(d, ds, now - stats_window_ns(w)) +
		      loaded_fails(ds, now - stats_window_ns(w));
	unsigned lost = st.lost > ex ? st.lost - ex : 0;
	unsigned sent = st.count > ex ? st.count - ex : 0;
	double pct = sent ? 100.0 * lost / sent : 0;
	int64_t lf = last_fail_mono(d, ds);
	bool recent =
		lf != INT64_MIN &&
		now - lf <= det_kinds[DK_LOSS].hold_ns + 2 * ds->interval_ns;
	bool pct_bad = lost >= 2 && pct >= th->packet_loss_warning_pct;
	/* current run, unless it is part of a joint outage candidate */
	stats_log_summary(ds->ms->stats, STATS_10S, now, &cur);
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
	bool run_bad = run >= (unsigned)th->consecutive_loss_warning;
	if (!((pct_bad && recent) || run_bad))
		return;
	unsigned longest =
		st.loss_run_longest < lost ? st.loss_run_longest : lost;
	if (run > longest)
		longest = run;
	enum bb_severity sev =
		pct >= th->packet_loss_critical_pct ||
				longest >=
					(unsigned)th->consecutive_loss_threshold
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
		stats_log_summary(o->ms->stats, w, now, &st);
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

void det_eval_dns(struct detect *d, struct dseries *ds, int64_t now)
{
	const struct bb_thresholds *th = &d->params.thresholds;
	struct stats_summary st;
	enum stats_window w = STATS_5M;
	stats_log_summary(ds->ms->stats, w, now, &st);
	unsigned ex = det_excluded(d, ds, now - stats_window_ns(w)) +
		      loaded_fails(ds, now - stats_window_ns(w));
	unsigned lost = st.lost > ex ? st.lost - ex : 0;
	unsigned sent = st.count > ex ? st.count - ex : 0;
	if (sent < 3)
		return;
	double pct = 100.0 * lost / sent;
	double med = st.p50 == BB_NONE ? 0 : det_ms(st.p50);
	struct stats_summary rec;
	stats_log_summary(ds->ms->stats, STATS_60S, now, &rec);
	/* more failures than the line's own loss explains (p < 1 %) */
	double line = line_loss_pct(d, ds, w, now) / 100.0;
	bool failing = lost >= 2 && pct > th->dns_failure_pct &&
		       binom_tail(sent, lost, line) < 0.01 &&
		       failing_now(d, ds, now);
	bool slow = med > th->dns_slow_ms && rec.p50 != BB_NONE &&
		    det_ms(rec.p50) > th->dns_slow_ms;
	if (!failing && !slow)
		return;
	enum bb_severity sev =
		pct >= 5 * th->dns_failure_pct || med >= 5.0 * th->dns_slow_ms
			? BB_SEV_CRITICAL
			: BB_SEV_WARNING;
	struct place p = det_series_place(ds);
	char desc[BB_EVENT_DESC_LEN], met[BB_EVENT_METRICS_LEN];
	char median[32] = "none answered", over[32] = "5 min";
	if (st.p50 != BB_NONE)
		snprintf(median, sizeof(median), "median %.1f ms", med);
	/* early on the window holds less than its 5 minutes */
	int64_t covered = d->first ? now - d->first : stats_window_ns(w);
	if (covered < stats_window_ns(w))
		snprintf(over, sizeof(over), "%.0f s",
			 (double)covered / BB_NS_PER_S);
	snprintf(desc, sizeof(desc),
		 "DNS trouble with %s: %.0f %% of %u queries failed, %s over "
		 "%s.",
		 p.target, pct, sent, median, over);
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

void det_eval_conn(struct detect *d, struct dseries *ds, int64_t now)
{
	const struct bb_thresholds *th = &d->params.thresholds;
	int wsec = th->connection_window_s;
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
	int drops = th->connection_drops;
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
