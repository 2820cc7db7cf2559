// SPDX-License-Identifier: MIT
/*
 * Micro-disconnects: per-interface joint-outage tracking (layer 2 in
 * detect.c), and the probes lost inside an outage that the other
 * detectors leave out.
 */
#include "core/analysis/detect_internal.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/base/clock.h"

/* Probes of series IDX lost inside outages that overlap [from, now]. */
unsigned det_excluded(const struct detect *d, const struct dseries *ds,
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

bool det_has_gateway(const struct detect *d, const struct joint *j)
{
	for (size_t i = 0; i < d->ns; i++)
		if (&d->joint[d->s[i].joint] == j && outside_joint(d, &d->s[i]))
			return true;
	return false;
}

bool det_no_route(const struct detect *d, const char *iface)
{
	for (size_t i = 0; i < d->n_no_route; i++)
		if (!strcmp(d->no_route[i], iface))
			return true;
	return false;
}

void detect_route(struct detect *d, const char *ifname, bool present)
{
	for (size_t i = 0; i < d->n_no_route; i++)
		if (!strcmp(d->no_route[i], ifname)) {
			if (present) /* the last one takes its place */
				memcpy(d->no_route[i],
				       d->no_route[--d->n_no_route],
				       BB_IFNAME_LEN);
			return;
		}
	if (!present && d->n_no_route < MAX_JOINT)
		snprintf(d->no_route[d->n_no_route++], BB_IFNAME_LEN, "%s",
			 ifname);
}

/* "2.5 s", "4 min 05 s", "2 h 10 min": an outage's length in words. */
static void span_words(int64_t ns, char *out, size_t len)
{
	long s = (long)(ns / BB_NS_PER_S);
	if (s < 60)
		snprintf(out, len, "%.1f s", (double)ns / BB_NS_PER_S);
	else if (s < 3600)
		snprintf(out, len, "%ld min %02ld s", s / 60, s % 60);
	else
		snprintf(out, len, "%ld h %02ld min", s / 3600, s / 60 % 60);
}

bool det_in_outage(const struct joint *j, int64_t t)
{
	if (j->active && t >= j->cur.start)
		return true;
	for (unsigned i = 0; i < j->npast && i < MAX_PAST; i++)
		if (t >= j->past[i].start && t < j->past[i].end)
			return true;
	return false;
}

void det_describe_micro(struct detect *d, struct joint *j, int64_t dur,
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
	char span[32];
	span_words(dur, span, sizeof(span));
	if (det_no_route(d, j->iface))
		j->cur.no_route = true;
	bool no_route = j->cur.no_route;
	if (no_route) /* nothing left this computer: not the line */
		snprintf(desc, sizeof(desc),
			 "No connection%s%.15s: this computer has no default "
			 "route, so every probe (%.96s) failed for %.24s%s.",
			 j->iface[0] ? " on " : "", j->iface, what, span,
			 ended ? "" : " so far");
	else
		snprintf(desc, sizeof(desc),
			 "%s%s%.15s: every probe%s (%.96s) failed together "
			 "for %.24s%s.",
			 dur < 60 * BB_NS_PER_S ? "Micro-disconnect"
						: "Disconnected",
			 j->iface[0] ? " on " : "", j->iface,
			 det_has_gateway(d, j) ? " beyond the gateway" : "",
			 what, span, ended ? "" : " so far");
	snprintf(met, sizeof(met),
		 "{\"duration_ms\":%.0f,\"longest_ms\":%.0f,\"outages\":%d,"
		 "\"series\":%zu,\"failed\":\"%s\",\"no_route\":%s}",
		 det_ms(dur), det_ms(j->longest_ns), j->outages, nser, what,
		 no_route ? "true" : "false");
	enum bb_severity sev =
		dur >= 2LL * d->params.thresholds.micro_disconnect_ms *
					BB_NS_PER_MS
			? BB_SEV_CRITICAL
			: BB_SEV_WARNING;
	struct place p = { j->iface, "", "" };
	int64_t end_ms = det_real_ms_of(d, j->cur.start + dur);
	det_raise_ev(d, DK_MICRO, p, sev, j->cur.start_real / BB_NS_PER_MS,
		     end_ms, det_ms(dur), desc, met);
}

/* Shortest probe interval of the interface's series (resolution). */
int64_t det_min_interval(const struct detect *d, const struct joint *j)
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

void det_joint_check(struct detect *d, struct joint *j)
{
	if (!j->active || j->declared)
		return;
	int64_t span = j->last_fail - j->cur.start;
	int64_t dur = span + det_min_interval(d, j);
	if (dur > (int64_t)d->params.thresholds.micro_disconnect_ms *
			    BB_NS_PER_MS &&
	    joint_shown(d, j, span))
		joint_declare(d, j, dur);
}

void det_joint_end(struct detect *d, struct joint *j, int64_t first_ok)
{
	/* The first answer sent after the start bounds the outage.  It can
	 * come before the evidence: a lost probe is reported at its timeout,
	 * just when the next probe (timeout = interval) may have answered, so
	 * a 3 s blackout at 1 s probing showed only 2 s of failures when it
	 * ended.  Judge the candidate on what the answer proves. */
	int64_t span = first_ok - j->cur.start;
	if (j->active && !j->declared &&
	    span > (int64_t)d->params.thresholds.micro_disconnect_ms *
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

void det_joint_sample(struct detect *d, struct dseries *ds,
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
