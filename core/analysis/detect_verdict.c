// SPDX-License-Identifier: MIT
/*
 * The verdict: the diagnoses (no session, local link, routing, standing
 * bufferbloat grade), then the open events with what to do about each,
 * then the evening hours, in plain sentences.
 */
#include "core/analysis/detect_internal.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/analysis/advice.h"
#include "core/base/clock.h"

#define HOUR_NS (3600 * BB_NS_PER_S)

/* ---- verdict ------------------------------------------------------------ */

static bool series_bad(const struct detect *d, const struct dseries *ds,
		       struct stats_summary *st)
{
	struct place p = det_series_place(ds);
	stats_log_summary_quiet(ds->ms->stats, STATS_60S, d->now, st);
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
 * when another destination answers well, so the line is cleared.  Not on
 * the interface BLAMED as the local link (NULL none): its loss is that
 * link's, already said. */
static bool verdict_routing(const struct detect *d, const char *blamed,
			    char *buf, size_t len)
{
	bool cleared = false;
	for (size_t j = 0; j < d->njoint; j++) {
		const struct joint *jt = &d->joint[j];
		if (jt->declared || (blamed && !strcmp(jt->iface, blamed)))
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

/* Two interfaces, same targets: the worse one is the local hop; its name
 * when said (the line is cleared), else NULL. */
static const char *verdict_interfaces(const struct detect *d, char *buf,
				      size_t len)
{
	if (d->njoint < 2)
		return NULL;
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
			stats_log_summary_quiet(ds->ms->stats, STATS_60S,
						d->now, &st);
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
			return NULL;
		f[k].loss_pct = 100.0 * lost / sent;
		f[k].p50_ms = p50 / n;
		f[k].jitter_ms = jit / n;
	}
	int w = diag_worse_interface(&f[0], &f[1]);
	if (w < 0)
		return NULL;
	det_cat(buf, len,
		"%sThe local link %s is at fault, not the line: %.1f %% loss, "
		"%.1f ms median against %.1f %% and %.1f ms on %s.",
		buf[0] ? " " : "", f[w].name, f[w].loss_pct, f[w].p50_ms,
		f[!w].loss_pct, f[!w].p50_ms, f[!w].name);
	advice_add(buf, len, ADVICE_LOCAL_LINK, 0);
	return d->joint[w].iface;
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
	case DK_PASSIVE:
		a = ADVICE_BLOAT;
		break;
	case DK_MICRO:
		/* beyond a gateway that kept answering: the line itself */
		a = ADVICE_LINE_OR_HOME;
		for (size_t j = 0; j < d->njoint; j++)
			if (!strcmp(d->joint[j].iface, ev->interface) &&
			    det_has_gateway(d, &d->joint[j]))
				a = ADVICE_LINE;
		if (det_no_route(d, ev->interface))
			a = ADVICE_NO_ROUTE;
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
				d->params.thresholds.packet_loss_window_s,
				l->longest);
		else
			det_cat(buf, len,
				"%sScattered packet loss to %s: %.1f %% over "
				"%d s.",
				sp, ev->target, l->pct,
				d->params.thresholds.packet_loss_window_s);
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
	for (int i = 0; i < d->params.n_servers && i < CONFIG_SERVERS_MAX; i++)
		if (!strcmp(d->params.servers[i].name, name))
			return d->params.servers[i].port;
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
		/* not even sent: why (e.g. "cannot resolve vps.example") */
		const char *why = sample_no_session_why(&ds->ms->last);
		if (why)
			det_cat(buf, len, " (%s)", why);
		det_cat(buf, len, ".");
		/* the advice names the three causes (server down, key, port),
		 * or the one a refused port leaves */
		bool refused = why && strstr(why, BB_DETAIL_REFUSED);
		advice_add(buf, len,
			   refused ? ADVICE_NO_SERVER : ADVICE_NO_SESSION,
			   server_port(d, name));
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
		    inc <= d->params.thresholds.bufferbloat_warning_ms)
			continue;
		det_cat(buf, len,
			"%s%s bufferbloat grade %s (+%.0f ms under load).",
			buf[0] ? " " : "", dirs[k], diag_bloat_grade(inc), inc);
		any = true;
	}
	if (any)
		advice_add(buf, len, ADVICE_BLOAT, 0);
}

/* "40 s", then "12 min" from two minutes on: how much data there is. */
static void data_span(int64_t span, char *out, size_t len)
{
	double s = (double)span / BB_NS_PER_S;
	if (s < 120)
		snprintf(out, len, "%.0f s", s);
	else
		snprintf(out, len, "%.0f min", s / 60);
}

/* How much data the verdict rests on: " (after 40 s)" while under an
 * hour. */
static void verdict_span(const struct detect *d, char *buf, size_t len)
{
	int64_t span = d->first ? d->now - d->first : 0;
	char w[32];
	data_span(span, w, sizeof(w));
	if (span < HOUR_NS)
		det_cat(buf, len, " (after %s)", w);
}

size_t detect_verdict(const struct detect *d, char *buf, size_t len)
{
	if (!len)
		return 0;
	buf[0] = '\0';
	if (!d->first && !d->peak.degraded) {
		/* echoes not sent for want of a session are no samples of
		 * the line, but they are the news */
		verdict_sessions(d, buf, len);
		if (!buf[0])
			snprintf(buf, len, "Waiting for the first samples.");
		return strlen(buf);
	}
	/* the diagnoses first: what is wrong and where, then the events */
	verdict_sessions(d, buf, len);
	enum placed pl = PLACED_NONE;
	const char *blamed = verdict_interfaces(d, buf, len);
	if (blamed)
		pl = PLACED_CLEARED;
	if (verdict_routing(d, blamed, buf, len))
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
		char w[32];
		data_span(span, w, sizeof(w));
		if (span < HOUR_NS)
			det_cat(buf, len, " Based on %s of data.", w);
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
