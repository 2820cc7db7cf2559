// SPDX-License-Identifier: MIT
/*
 * The event table (layer 3 in detect.c): one entry per (kind, interface,
 * target, server), raised, updated, re-opened within the cooldown and
 * ended; and the one-shot events fed from outside (gateway change,
 * bufferbloat result, clock sync).
 */
#include "core/analysis/detect_internal.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/analysis/path.h"
#include "core/base/clock.h"

/* ---- event lifecycle ---------------------------------------------------- */

void det_push(struct detect *d, struct devent *e, enum detect_state st)
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

struct place det_series_place(const struct dseries *ds)
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
struct devent *det_raise_ev_loss(struct detect *d, enum dk kind, struct place p,
				 enum bb_severity sev, int64_t start_ms,
				 int64_t evidence_ms, double peak,
				 const char *desc, const char *metrics,
				 const struct loss_figs *loss)
{
	struct devent *e = find_event(d, kind, p.iface, p.target, p.server);
	enum detect_state st = DETECT_UPDATE;
	int64_t cool =
		(int64_t)d->params.thresholds.alert_cooldown_s * BB_NS_PER_S;
	/* past the cooldown: a new episode; an outage always is one (how
	 * many there were is the evidence, not one row growing for hours),
	 * and so is a change of gateway or path: "A to none" then "none to
	 * A" are two facts, and the second must not overwrite the first */
	bool own_episode =
		kind == DK_MICRO || kind == DK_GATEWAY || kind == DK_PATH;
	if (e && !e->open && (own_episode || d->now - e->end_mono >= cool))
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

struct devent *det_raise_ev(struct detect *d, enum dk kind, struct place p,
			    enum bb_severity sev, int64_t start_ms,
			    int64_t evidence_ms, double peak, const char *desc,
			    const char *metrics)
{
	return det_raise_ev_loss(d, kind, p, sev, start_ms, evidence_ms, peak,
				 desc, metrics, NULL);
}

void det_end_ev(struct detect *d, struct devent *e)
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
		(int64_t)d->params.thresholds.alert_cooldown_s * BB_NS_PER_S;
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

struct devent *det_open_event(struct detect *d, enum dk kind, struct place p)
{
	struct devent *e = find_event(d, kind, p.iface, p.target, p.server);
	return e && e->open ? e : NULL;
}

/* ---- events fed from outside -------------------------------------------- */

int detect_gateway_change(struct detect *d, const char *ifname,
			  const char *old_addr, const char *new_addr,
			  const char *why, int64_t real_ms)
{
	if (!strcmp(old_addr, new_addr))
		return 0;
	char desc[BB_EVENT_DESC_LEN], met[BB_EVENT_METRICS_LEN], a[160], b[160];
	/* (why is at most 127 bytes: the sentence may be cut, never overrun) */
	snprintf(desc, sizeof(desc),
		 "Gateway%s%s changed from %.64s to %.64s%s%.128s.",
		 ifname[0] ? " of " : "", ifname,
		 old_addr[0] ? old_addr : "none",
		 new_addr[0] ? new_addr : "none",
		 why && why[0] ? "; probe not restarted: " : "",
		 why ? why : "");
	snprintf(met, sizeof(met), "{\"old\":%s,\"new\":%s}",
		 det_json_str(old_addr, a, sizeof(a)),
		 det_json_str(new_addr, b, sizeof(b)));
	struct place p = { ifname, "gateway", "" };
	oneshot(d, DK_GATEWAY, p, BB_SEV_INFO, real_ms, 0, desc, met);
	return 1;
}

void detect_path_change(struct detect *d, const struct path_change *ch)
{
	char desc[BB_EVENT_DESC_LEN], met[BB_EVENT_METRICS_LEN], a[240], b[240];
	snprintf(desc, sizeof(desc),
		 "Path to %.64s changed at hop %d: %.80s -> %.80s.", ch->target,
		 ch->hop, ch->old_route, ch->new_route);
	snprintf(met, sizeof(met), "{\"hop\":%d,\"old\":%s,\"new\":%s}",
		 ch->hop, det_json_str(ch->old_route, a, sizeof(a)),
		 det_json_str(ch->new_route, b, sizeof(b)));
	struct place p = { ch->interface, ch->target, "" };
	oneshot(d, DK_PATH, p, BB_SEV_INFO, ch->real_ms, 0, desc, met);
}

void detect_bloat_result(struct detect *d, const char *ifname,
			 const char *server, const struct detect_bloat *b,
			 int64_t real_ms)
{
	const struct bb_thresholds *th = &d->params.thresholds;
	double inc = det_ms(b->loaded_ns - b->idle_ns);
	int dir = !strcmp(b->direction, "upload")     ? 0
		  : !strcmp(b->direction, "download") ? 1
						      : 2;
	d->bloat[dir].have = true;
	d->bloat[dir].inc_ms = inc;
	snprintf(d->bloat[dir].server, sizeof(d->bloat[dir].server), "%s",
		 server);
	if (inc <= th->bufferbloat_alert_ms)
		return;
	enum bb_severity sev = inc > th->bufferbloat_critical_ms
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
	const struct bb_thresholds *th = &d->params.thresholds;
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
	bool good = n_samples >= th->time_sync_min_samples &&
		    quality >= th->time_sync_quality_pct;
	if (good == ss->established)
		return;
	if (!good && n_samples < th->time_sync_min_samples)
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

size_t detect_open_count(const struct detect *d)
{
	size_t n = 0;
	for (size_t i = 0; i < MAX_EVENTS; i++)
		n += d->ev[i].used && d->ev[i].open;
	return n;
}

size_t detect_open_of_kind(const struct detect *d, const char *kind)
{
	size_t n = 0;
	for (size_t i = 0; i < MAX_EVENTS; i++)
		n += d->ev[i].used && d->ev[i].open &&
		     !strcmp(d->ev[i].ev.kind, kind);
	return n;
}
