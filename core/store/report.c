// SPDX-License-Identifier: MIT
/*
 * Formatting of a period summary (see report.h).  Markdown and HTML share
 * one document walk through a small table of emitters (heading, paragraph,
 * table head, row), so both always carry the same sections; text and JSON
 * have their own walks.  Cells are built as plain text and escaped by the
 * emitter that prints them.
 */
#include "core/store/report.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/base/afile.h"
#include "core/base/text.h"
#include "core/chart/chart_draw.h"
#include "core/analysis/path.h"
#include "core/store/history.h"
#include "core/store/report_passive.h"
#include "core/probe/kind.h"

#define WORST_EVENTS 10
#define CELL	     320
#define MAX_COLS     12

int report_format_from_name(const char *name)
{
	if (!strcmp(name, "text"))
		return REPORT_TEXT;
	if (!strcmp(name, "json"))
		return REPORT_JSON;
	if (!strcmp(name, "md") || !strcmp(name, "markdown"))
		return REPORT_MD;
	if (!strcmp(name, "html"))
		return REPORT_HTML;
	return -1;
}

/* ---- shared helpers ------------------------------------------------------ */

static void when(int64_t ms, char *buf, size_t len)
{
	history_format_time(ms, buf, len);
}

/* A figure with 3 decimals (MEASUREMENT.md: ms with 3 decimals), "-" for
 * none; "~" in front when it is an estimate. */
static void fig(double v, bool approx, char *buf, size_t len)
{
	if (isnan(v))
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%s%.3f", approx ? "~" : "", v);
}

static void place(const struct bb_event *ev, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s%s%s", ev->target[0] ? ev->target : "all",
		 ev->interface[0] ? " via " : "", ev->interface,
		 ev->server[0] ? " server " : "", ev->server);
}

static int64_t ev_duration(const struct history_summary *s,
			   const struct bb_event *ev)
{
	int64_t end = ev->end_ms ? ev->end_ms : s->to_ms;
	return end > ev->start_ms ? end - ev->start_ms : 0;
}

/* An event's length as text, "-" for an instant. */
static void ev_length(const struct history_summary *s,
		      const struct bb_event *ev, char *buf, size_t len)
{
	if (history_event_instant(ev))
		snprintf(buf, len, "-");
	else
		history_format_duration(ev_duration(s, ev), buf, len);
}

/* Indexes of the WORST_EVENTS worst events: severity, then duration. */
static size_t worst_events(const struct history_summary *s,
			   size_t idx[WORST_EVENTS])
{
	size_t n = 0;
	for (size_t i = 0; i < s->nevents; i++) {
		const struct bb_event *e = &s->events[i];
		size_t at = n;
		while (at > 0) {
			const struct bb_event *o = &s->events[idx[at - 1]];
			if (o->severity > e->severity ||
			    (o->severity == e->severity &&
			     ev_duration(s, o) >= ev_duration(s, e)))
				break;
			at--;
		}
		if (at >= WORST_EVENTS)
			continue;
		if (n < WORST_EVENTS)
			n++;
		memmove(&idx[at + 1], &idx[at], (n - 1 - at) * sizeof(*idx));
		idx[at] = i;
	}
	return n;
}

static bool is_tput(int kind)
{
	return kind == BB_KIND_UPLOAD || kind == BB_KIND_DOWNLOAD;
}

static bool is_delay(int kind)
{
	return kind_is_delay(kind);
}

static void period_line(const struct history_summary *s, char *buf, size_t len)
{
	char a[32], b[32];
	when(s->from_ms, a, sizeof(a));
	when(s->to_ms, b, sizeof(b));
	snprintf(buf, len, "%s to %s%s%s%s", a, b,
		 s->span[0] ? " (the last " : "", s->span,
		 s->span[0] ? ")" : "");
}

static void recorded_line(const struct history_summary *s, char *buf,
			  size_t len)
{
	char a[32], b[32];
	if (!s->samples) {
		snprintf(buf, len, "nothing");
		return;
	}
	when(s->first_ms, a, sizeof(a));
	when(s->last_ms, b, sizeof(b));
	char more[80] = "";
	if (s->series_overflow)
		snprintf(more, sizeof(more),
			 " (more were recorded: only the first %d are shown)",
			 HISTORY_MAX_SERIES);
	snprintf(buf, len,
		 "%lld probes and tests in %zu series%s, from %s to %s",
		 (long long)s->samples, s->nseries, more, a, b);
}

static void approx_line(const struct history_summary *s, char *buf, size_t len)
{
	char a[32], b[32];
	buf[0] = '\0';
	if (s->raw_gone_ms) {
		char g[32];
		when(s->raw_gone_ms, g, sizeof(g));
		if (!s->approx) {
			snprintf(buf, len,
				 "The raw samples before %s were deleted "
				 "(retention or cleanup) and no hourly rollup "
				 "covers that part of the period.",
				 g);
			return;
		}
		when(s->approx_from_ms, a, sizeof(a));
		when(s->approx_to_ms, b, sizeof(b));
		snprintf(buf, len,
			 "The raw samples before %s were deleted (retention "
			 "or cleanup): from %s to %s the figures come from "
			 "the hourly rollups (counts, loss, min and max "
			 "exact; percentiles marked ~ are estimates), and "
			 "the throughput and bufferbloat tests of those hours "
			 "are not shown.",
			 g, a, b);
		return;
	}
	if (!s->approx)
		return;
	when(s->approx_from_ms, a, sizeof(a));
	when(s->approx_to_ms, b, sizeof(b));
	snprintf(buf, len,
		 "Figures marked ~ are estimates: from %s to %s the "
		 "percentiles come from the hourly rollups (each hour's "
		 "min/p50/p95/p99/max); counts, loss, min and max, "
		 "throughput and bufferbloat are exact everywhere.",
		 a, b);
}

/* ---- text (stats) -------------------------------------------------------- */

/* The blame of hop i (0-based) of p in words, "" when nothing to say. */
static const char *hop_whose(const struct history_path *p, int i)
{
	/* a router that also drops its own answers hides where after it
	 * the line's loss begins: here or at a later hop */
	if (p->lossy_hop == i + 1)
		return p->hop[i].own_pct >= PATH_BLAME_PCT
			       ? "the line's from here or later; its own too"
			       : "the line's from here";
	if (p->hop[i].own_pct >= PATH_BLAME_PCT)
		return "the router's own";
	return "";
}

/* One sentence on path p: its hour and whose its losses are. */
static void path_sentence(const struct history_path *p, char *buf, size_t len)
{
	char a[32], b[32], own[96] = "";
	when(p->from_ms, a, sizeof(a));
	when(p->to_ms, b, sizeof(b));
	size_t n = 0;
	for (int i = 0; i < p->n_hops && n < sizeof(own); i++)
		if (p->hop[i].own_pct >= PATH_BLAME_PCT &&
		    p->lossy_hop != i + 1)
			n += (size_t)snprintf(own + n, sizeof(own) - n, "%s%d",
					      n ? ", " : "", i + 1);
	if (n >= sizeof(own))
		own[sizeof(own) - 1] = '\0';
	int w = snprintf(buf, len, "%s%s%s, %s to %s: ", p->target,
			 p->interface[0] ? " via " : "", p->interface, a, b);
	if (w < 0 || (size_t)w >= len)
		return;
	buf += w;
	len -= (size_t)w;
	if (!p->reached)
		w = snprintf(buf, len, "the target did not answer");
	else if (p->lossy_hop)
		w = snprintf(buf, len,
			     "%.1f %% lost at the target; the line loses "
			     "packets from hop %d (%s)%s",
			     p->target_loss_pct, p->lossy_hop,
			     p->hop[p->lossy_hop - 1].addr[0]
				     ? p->hop[p->lossy_hop - 1].addr
				     : "*",
			     p->hop[p->lossy_hop - 1].own_pct >= PATH_BLAME_PCT
				     ? " or a later one (that router drops "
				       "answers of its own too)"
				     : "");
	else
		w = snprintf(buf, len,
			     "%.1f %% lost at the target, none on "
			     "the line",
			     p->target_loss_pct);
	if (w >= 0 && (size_t)w < len && own[0])
		snprintf(buf + w, len - (size_t)w,
			 "; hop %s lose%s its own answers (the router's "
			 "rate limit), not the line's",
			 own, strchr(own, ',') ? "" : "s");
}

static void text_paths(FILE *f, const struct history_summary *s)
{
	if (!s->npaths)
		return;
	fprintf(f, "\nPath hop by hop (per target, the hour with the most "
		   "loss at the target)\n");
	for (size_t k = 0; k < s->npaths; k++) {
		const struct history_path *p = &s->paths[k];
		char line[512], c[2][32];
		path_sentence(p, line, sizeof(line));
		fprintf(f, "%s\n  %3s %-39s %6s %6s %6s %9s %9s  %s\n", line,
			"hop", "address", "sent", "lost", "loss%", "p50", "p95",
			"whose");
		for (int i = 0; i < p->n_hops; i++) {
			const struct history_hop *h = &p->hop[i];
			fig(h->p50_ms, false, c[0], sizeof(c[0]));
			fig(h->p95_ms, false, c[1], sizeof(c[1]));
			fprintf(f,
				"  %3d %-39s %6lld %6lld %6.1f %9s %9s  %s\n",
				i + 1, h->addr[0] ? h->addr : "*",
				(long long)h->sent, (long long)h->lost,
				h->loss_pct, c[0], c[1], hop_whose(p, i));
		}
	}
}

static void write_text(FILE *f, const struct history_summary *s, const char *db,
		       const char *verdict)
{
	char line[512], c[8][32];
	period_line(s, line, sizeof(line));
	fprintf(f, "Period:   %s\n", line);
	recorded_line(s, line, sizeof(line));
	fprintf(f, "Recorded: %s\n", line);
	fprintf(f, "Database: %s\n", db);
	fprintf(f, "Verdict:  %s\n", verdict);

	bool any = false;
	for (size_t i = 0; i < s->nseries; i++) {
		const struct history_series *e = &s->series[i];
		if (!is_delay(e->kind))
			continue;
		if (!any)
			fprintf(f,
				"\nDelay (ms)\n%-8s %-11s %-24s %-8s %8s %7s "
				"%6s %9s %9s %9s %9s %9s\n",
				"iface", "kind", "target", "server", "sent",
				"lost", "loss%", "min", "p50", "p95", "p99",
				"max");
		any = true;
		fig(e->min_ms, false, c[0], sizeof(c[0]));
		fig(e->p50_ms, e->approx, c[1], sizeof(c[1]));
		fig(e->p95_ms, e->approx, c[2], sizeof(c[2]));
		fig(e->p99_ms, e->approx, c[3], sizeof(c[3]));
		fig(e->max_ms, false, c[4], sizeof(c[4]));
		fprintf(f,
			"%-8s %-11s %-24s %-8s %8lld %7lld %6.2f %9s %9s %9s "
			"%9s %9s\n",
			e->interface[0] ? e->interface : "-",
			sample_kind_name(e->kind), e->target,
			e->server[0] ? e->server : "-", (long long)e->sent,
			(long long)e->lost, e->loss_pct, c[0], c[1], c[2], c[3],
			c[4]);
	}
	approx_line(s, line, sizeof(line));
	if (line[0])
		fprintf(f, "%s\n", line);

	any = false;
	for (size_t i = 0; i < s->nseries; i++) {
		const struct history_series *e = &s->series[i];
		if (!is_tput(e->kind))
			continue;
		if (!any)
			fprintf(f,
				"\nThroughput (kbit/s, IP layer)\n%-8s %-9s "
				"%-10s %6s %6s %10s %10s %10s\n",
				"iface", "direction", "server", "tests",
				"failed", "median", "min", "max");
		any = true;
		fprintf(f, "%-8s %-9s %-10s %6lld %6lld %10.0f %10.0f %10.0f\n",
			e->interface[0] ? e->interface : "-",
			sample_kind_name(e->kind),
			e->server[0] ? e->server : "-", (long long)e->sent,
			(long long)e->lost, e->tput_median_kbps,
			e->tput_min_kbps, e->tput_max_kbps);
	}

	if (s->nbloat)
		fprintf(f,
			"\nBufferbloat (latency increase under load)\n"
			"%-8s %-10s %-5s %5s %6s  %-30s %-30s\n",
			"iface", "server", "dir", "tests", "failed", "latest",
			"worst");
	for (size_t i = 0; i < s->nbloat; i++) {
		const struct history_bloat *b = &s->bloat[i];
		char l[64] = "-", w[64] = "-", t[32];
		if (!isnan(b->latest_inc_ms)) {
			when(b->latest_ms, t, sizeof(t));
			snprintf(l, sizeof(l), "+%.0f ms %s %.16s",
				 b->latest_inc_ms, b->latest_grade, t);
			when(b->worst_ms, t, sizeof(t));
			snprintf(w, sizeof(w), "+%.0f ms %s %.16s",
				 b->worst_inc_ms, b->worst_grade, t);
		}
		fprintf(f, "%-8s %-10s %-5s %5d %6d  %-30s %-30s\n",
			b->interface[0] ? b->interface : "-",
			b->server[0] ? b->server : "-", b->direction, b->tests,
			b->failed, l, w);
	}

	text_paths(f, s);
	struct report_passive pr[REPORT_PASSIVE_MAX];
	size_t npr = report_passive_rows(s, pr, REPORT_PASSIVE_MAX);
	if (npr)
		fprintf(f, "\nBufferbloat from your own traffic (no test "
			   "load; the worst episode)\n");
	for (size_t i = 0; i < npr; i++) {
		report_passive_words(&pr[i], line, sizeof(line));
		fprintf(f, "%-8s %-9s %s\n",
			pr[i].interface[0] ? pr[i].interface : "-",
			pr[i].direction, line);
	}

	if (s->have_peak)
		fprintf(f,
			"\nPeak hours: %s; median delay %.1f ms and loss "
			"%.2f %% from 18:00 to 23:59 against %.1f ms and "
			"%.2f %% otherwise (worst hour %02d:00)\n",
			s->peak.degraded ? "evenings are worse"
					 : "no evening degradation",
			s->peak.peak_p50_ms, s->peak.peak_loss_pct,
			s->peak.offpeak_p50_ms, s->peak.offpeak_loss_pct,
			s->peak.worst_hour);
	else if (s->peak_short)
		fprintf(f, "\nPeak hours: not judged over a period shorter "
			   "than a day\n");
	else
		fprintf(f, "\nPeak hours: not enough hourly data yet (needs "
			   "rolled-up hours both in 18..23 h and outside)\n");

	fprintf(f, "\nEvents: %zu (critical %d, warning %d, info %d)\n",
		s->nevents, s->events_by_severity[BB_SEV_CRITICAL],
		s->events_by_severity[BB_SEV_WARNING],
		s->events_by_severity[BB_SEV_INFO]);
	for (size_t i = 0; i < s->nkinds; i++) {
		const struct history_kind_count *k = &s->kinds[i];
		char d[32];
		history_format_duration(k->longest_ms, d, sizeof(d));
		fprintf(f,
			"  %-22s %5d  critical %d, warning %d, info %d%s%s\n",
			k->kind, k->count, k->by_severity[BB_SEV_CRITICAL],
			k->by_severity[BB_SEV_WARNING],
			k->by_severity[BB_SEV_INFO],
			k->timed ? "; longest " : "", k->timed ? d : "");
	}
	size_t idx[WORST_EVENTS];
	size_t n = worst_events(s, idx);
	if (n)
		fprintf(f, "Worst %zu (severity, then duration):\n", n);
	for (size_t i = 0; i < n; i++) {
		const struct bb_event *e = &s->events[idx[i]];
		char t[32], d[32], p[160];
		when(e->start_ms, t, sizeof(t));
		ev_length(s, e, d, sizeof(d));
		place(e, p, sizeof(p));
		fprintf(f, "  %s %9s%s %-8s %-18s %s: %s\n", t, d,
			e->end_ms ? "" : "+", bb_severity_name(e->severity),
			e->kind, p, e->description);
	}
}

/* ---- JSON (stats --format json) ------------------------------------------ */

static void json_s(FILE *f, const char *str)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)str; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", f);
		else if (*p == '\t')
			fputs("\\t", f);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

static void json_d(FILE *f, double v, int prec)
{
	if (isfinite(v))
		fprintf(f, "%.*f", prec, v);
	else
		fputs("null", f);
}

static void json_kv_s(FILE *f, const char *k, const char *v, bool comma)
{
	fprintf(f, "\"%s\":", k);
	json_s(f, v);
	if (comma)
		fputc(',', f);
}

static void json_kv_d(FILE *f, const char *k, double v, int prec, bool comma)
{
	fprintf(f, "\"%s\":", k);
	json_d(f, v, prec);
	if (comma)
		fputc(',', f);
}

static void json_event(FILE *f, const struct history_summary *s,
		       const struct bb_event *e)
{
	char t[32];
	when(e->start_ms, t, sizeof(t));
	fprintf(f, "{\"start_ms\":%lld,", (long long)e->start_ms);
	json_kv_s(f, "start", t, true);
	if (e->end_ms)
		fprintf(f, "\"end_ms\":%lld,", (long long)e->end_ms);
	else
		fputs("\"end_ms\":null,", f);
	fprintf(f, "\"duration_ms\":%lld,", (long long)ev_duration(s, e));
	json_kv_s(f, "kind", e->kind, true);
	json_kv_s(f, "severity", bb_severity_name(e->severity), true);
	json_kv_s(f, "interface", e->interface, true);
	json_kv_s(f, "target", e->target, true);
	json_kv_s(f, "server", e->server, true);
	json_kv_s(f, "description", e->description, false);
	fputc('}', f);
}

static void json_bloat_result(FILE *f, const char *k, int64_t at, double inc,
			      const char *grade, double rpm)
{
	if (isnan(inc)) {
		fprintf(f, "\"%s\":null", k);
		return;
	}
	fprintf(f, "\"%s\":{\"at_ms\":%lld,", k, (long long)at);
	json_kv_d(f, "increase_ms", inc, 1, true);
	json_kv_s(f, "grade", grade, true);
	json_kv_d(f, "rpm", rpm, 0, false);
	fputc('}', f);
}

static void write_json(FILE *f, const struct history_summary *s, const char *db,
		       const char *verdict)
{
	char a[32], b[32];
	when(s->from_ms, a, sizeof(a));
	when(s->to_ms, b, sizeof(b));
	fprintf(f, "{\"period\":{\"from_ms\":%lld,\"to_ms\":%lld,",
		(long long)s->from_ms, (long long)s->to_ms);
	json_kv_s(f, "from", a, true);
	json_kv_s(f, "to", b, true);
	json_kv_s(f, "span", s->span, true);
	fprintf(f, "\"first_ms\":%lld,\"last_ms\":%lld},",
		(long long)s->first_ms, (long long)s->last_ms);
	json_kv_s(f, "database", db, true);
	fprintf(f, "\"samples\":%lld,\"series_count\":%zu,",
		(long long)s->samples, s->nseries);
	if (s->approx)
		fprintf(f, "\"approximate\":{\"from_ms\":%lld,\"to_ms\":%lld},",
			(long long)s->approx_from_ms,
			(long long)s->approx_to_ms);
	else
		fputs("\"approximate\":null,", f);
	if (s->raw_gone_ms)
		fprintf(f, "\"raw_deleted_before_ms\":%lld,",
			(long long)s->raw_gone_ms);
	else
		fputs("\"raw_deleted_before_ms\":null,", f);

	fputs("\"series\":[", f);
	for (size_t i = 0; i < s->nseries; i++) {
		const struct history_series *e = &s->series[i];
		fputs(i ? ",{" : "{", f);
		json_kv_s(f, "interface", e->interface, true);
		json_kv_s(f, "kind", sample_kind_name(e->kind), true);
		json_kv_s(f, "target", e->target, true);
		json_kv_s(f, "server", e->server, true);
		fprintf(f, "\"sent\":%lld,\"lost\":%lld,", (long long)e->sent,
			(long long)e->lost);
		json_kv_d(f, "loss_pct", e->loss_pct, 3, true);
		fprintf(f, "\"approximate\":%s,", e->approx ? "true" : "false");
		json_kv_d(f, "min_ms", e->min_ms, 3, true);
		json_kv_d(f, "p50_ms", e->p50_ms, 3, true);
		json_kv_d(f, "p95_ms", e->p95_ms, 3, true);
		json_kv_d(f, "p99_ms", e->p99_ms, 3, true);
		json_kv_d(f, "max_ms", e->max_ms, 3, true);
		json_kv_d(f, "throughput_median_kbps", e->tput_median_kbps, 0,
			  true);
		json_kv_d(f, "throughput_min_kbps", e->tput_min_kbps, 0, true);
		json_kv_d(f, "throughput_max_kbps", e->tput_max_kbps, 0, false);
		fputc('}', f);
	}
	fputs("],\"bloat\":[", f);
	for (size_t i = 0; i < s->nbloat; i++) {
		const struct history_bloat *x = &s->bloat[i];
		fputs(i ? ",{" : "{", f);
		json_kv_s(f, "interface", x->interface, true);
		json_kv_s(f, "server", x->server, true);
		json_kv_s(f, "direction", x->direction, true);
		fprintf(f, "\"tests\":%d,\"failed\":%d,", x->tests, x->failed);
		json_bloat_result(f, "latest", x->latest_ms, x->latest_inc_ms,
				  x->latest_grade, x->latest_rpm);
		fputc(',', f);
		json_bloat_result(f, "worst", x->worst_ms, x->worst_inc_ms,
				  x->worst_grade, x->worst_rpm);
		fputc('}', f);
	}
	fputs("],\"paths\":[", f);
	for (size_t k = 0; k < s->npaths; k++) {
		const struct history_path *p = &s->paths[k];
		fputs(k ? ",{" : "{", f);
		json_kv_s(f, "interface", p->interface, true);
		json_kv_s(f, "target", p->target, true);
		fprintf(f,
			"\"from_ms\":%lld,\"to_ms\":%lld,\"reached\":%s,"
			"\"lossy_hop\":%d,",
			(long long)p->from_ms, (long long)p->to_ms,
			p->reached ? "true" : "false", p->lossy_hop);
		json_kv_d(f, "target_loss_pct", p->target_loss_pct, 3, true);
		fputs("\"hops\":[", f);
		for (int i = 0; i < p->n_hops; i++) {
			const struct history_hop *h = &p->hop[i];
			fprintf(f, "%s{\"hop\":%d,", i ? "," : "", i + 1);
			json_kv_s(f, "addr", h->addr, true);
			fprintf(f, "\"sent\":%lld,\"lost\":%lld,",
				(long long)h->sent, (long long)h->lost);
			json_kv_d(f, "loss_pct", h->loss_pct, 3, true);
			json_kv_d(f, "p50_ms", h->p50_ms, 3, true);
			json_kv_d(f, "p95_ms", h->p95_ms, 3, true);
			json_kv_d(f, "line_loss_pct", h->line_pct, 3, true);
			json_kv_d(f, "own_loss_pct", h->own_pct, 3, false);
			fputc('}', f);
		}
		fputs("]}", f);
	}
	fprintf(f, "],\"events\":{\"total\":%zu,\"by_severity\":{", s->nevents);
	for (int v = 0; v < BB_SEV_COUNT; v++)
		fprintf(f, "%s\"%s\":%d", v ? "," : "", bb_severity_name(v),
			s->events_by_severity[v]);
	fputs("},\"by_kind\":{", f);
	for (size_t i = 0; i < s->nkinds; i++) {
		const struct history_kind_count *k = &s->kinds[i];
		if (i)
			fputc(',', f);
		json_s(f, k->kind);
		fprintf(f, ":{\"count\":%d,", k->count);
		for (int v = 0; v < BB_SEV_COUNT; v++)
			fprintf(f, "\"%s\":%d,", bb_severity_name(v),
				k->by_severity[v]);
		fprintf(f, "\"longest_ms\":%lld,\"longest_start_ms\":%lld}",
			(long long)k->longest_ms,
			(long long)k->longest_start_ms);
	}
	fputs("},\"worst\":[", f);
	size_t idx[WORST_EVENTS];
	size_t n = worst_events(s, idx);
	for (size_t i = 0; i < n; i++) {
		if (i)
			fputc(',', f);
		json_event(f, s, &s->events[idx[i]]);
	}
	fputs("]},\"peak_hours\":", f);
	if (s->have_peak) {
		fprintf(f, "{\"degraded\":%s,\"worst_hour\":%d,",
			s->peak.degraded ? "true" : "false",
			s->peak.worst_hour);
		json_kv_d(f, "peak_p50_ms", s->peak.peak_p50_ms, 3, true);
		json_kv_d(f, "offpeak_p50_ms", s->peak.offpeak_p50_ms, 3, true);
		json_kv_d(f, "peak_loss_pct", s->peak.peak_loss_pct, 3, true);
		json_kv_d(f, "offpeak_loss_pct", s->peak.offpeak_loss_pct, 3,
			  false);
		fputc('}', f);
	} else {
		fputs("null", f);
	}
	fputc(',', f);
	json_kv_s(f, "verdict", verdict, true);
	fprintf(f, "\"elapsed_ms\":%lld}\n", (long long)s->elapsed_ms);
}

/* ---- Markdown and HTML (report) ------------------------------------------ */

struct doc_ops {
	void (*begin)(FILE *f, const char *title);
	void (*heading)(FILE *f, const char *text);
	void (*para)(FILE *f, const char *label, const char *text);
	void (*thead)(FILE *f, const char *const *cols, int n);
	void (*row)(FILE *f, char cells[][CELL], int n);
	void (*tend)(FILE *f);
	void (*end)(FILE *f);
	void (*figure)(FILE *f, struct report_charts *ch, int kind);
};

/* Markdown: backslash every character that could start markup, so text
 * from the database is shown, never interpreted. */
static void md_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\n' || *s == '\r')
			fputc(' ', f);
		else if (strchr("\\`*_[]<>|~&", *s))
			fprintf(f, "\\%c", *s);
		else
			fputc(*s, f);
	}
}

static void md_begin(FILE *f, const char *title)
{
	fputs("# ", f);
	md_text(f, title);
	fputs("\n\n", f);
}

static void md_heading(FILE *f, const char *text)
{
	fputs("## ", f);
	md_text(f, text);
	fputs("\n\n", f);
}

static void md_para(FILE *f, const char *label, const char *text)
{
	if (label) {
		fputs("**", f);
		md_text(f, label);
		fputs("** ", f);
	}
	md_text(f, text);
	fputs("\n\n", f);
}

static void md_thead(FILE *f, const char *const *cols, int n)
{
	for (int i = 0; i < n; i++) {
		fputs("| ", f);
		md_text(f, cols[i]);
		fputc(' ', f);
	}
	fputs("|\n", f);
	for (int i = 0; i < n; i++)
		fputs("|---", f);
	fputs("|\n", f);
}

static void md_row(FILE *f, char cells[][CELL], int n)
{
	for (int i = 0; i < n; i++) {
		fputs("| ", f);
		md_text(f, cells[i]);
		fputc(' ', f);
	}
	fputs("|\n", f);
}

static void md_tend(FILE *f)
{
	fputc('\n', f);
}

static void md_end(FILE *f)
{
	(void)f;
}

static void md_figure(FILE *f, struct report_charts *ch, int kind);

static const struct doc_ops md_ops = {
	md_begin, md_heading, md_para, md_thead,
	md_row,	  md_tend,    md_end,  md_figure
};

static void html_begin(FILE *f, const char *title)
{
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta "
	      "charset=\"utf-8\">\n<title>",
	      f);
	text_html(f, title);
	fputs("</title>\n<style>\n"
	      "body{font-family:system-ui,sans-serif;max-width:72em;"
	      "margin:2em auto;padding:0 1em;color:#222}\n"
	      "h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.6em;"
	      "border-bottom:1px solid #ccc}\n"
	      "table{border-collapse:collapse;font-size:.9em;margin:.5em 0}\n"
	      "th,td{border:1px solid #ccc;padding:.2em .5em;"
	      "text-align:left;vertical-align:top}\n"
	      "th{background:#f0f0f0}figure{margin:1em 0}figure "
	      "svg{max-width:100%;height:auto}td.n{text-align:right;"
	      "font-variant-numeric:tabular-nums}\n"
	      ".verdict{background:#fff6e0;border-left:4px solid #e0a000;"
	      "padding:.6em 1em}\n"
	      "</style></head><body>\n<h1>",
	      f);
	text_html(f, title);
	fputs("</h1>\n", f);
}

static void html_heading(FILE *f, const char *text)
{
	fputs("<h2>", f);
	text_html(f, text);
	fputs("</h2>\n", f);
}

static void html_para(FILE *f, const char *label, const char *text)
{
	bool v = label && !strcmp(label, "Verdict.");
	fputs(v ? "<p class=\"verdict\">" : "<p>", f);
	if (label) {
		fputs("<strong>", f);
		text_html(f, label);
		fputs("</strong> ", f);
	}
	text_html(f, text);
	fputs("</p>\n", f);
}

static void html_thead(FILE *f, const char *const *cols, int n)
{
	fputs("<table><tr>", f);
	for (int i = 0; i < n; i++) {
		fputs("<th>", f);
		text_html(f, cols[i]);
		fputs("</th>", f);
	}
	fputs("</tr>\n", f);
}

static bool numeric(const char *s)
{
	if (*s == '~' || *s == '+' || *s == '-')
		s++;
	return *s >= '0' && *s <= '9' && strspn(s, "0123456789.") == strlen(s);
}

static void html_row(FILE *f, char cells[][CELL], int n)
{
	fputs("<tr>", f);
	for (int i = 0; i < n; i++) {
		fputs(numeric(cells[i]) ? "<td class=\"n\">" : "<td>", f);
		text_html(f, cells[i]);
		fputs("</td>", f);
	}
	fputs("</tr>\n", f);
}

static void html_tend(FILE *f)
{
	fputs("</table>\n", f);
}

static void html_end(FILE *f)
{
	fputs("<p><small>Generated by bufferbane " BB_VERSION
	      ".</small></p>\n</body></html>\n",
	      f);
}

static void html_figure(FILE *f, struct report_charts *ch, int kind);

static const struct doc_ops html_ops = { html_begin, html_heading, html_para,
					 html_thead, html_row,	   html_tend,
					 html_end,   html_figure };

/* ---- charts ------------------------------------------------------------ */

/* Does d hold anything kind draws? (An empty chart says nothing.) */
static bool chart_has(const struct chart_data *d, int kind)
{
	bool delay = false, tput = false;
	for (size_t i = 0; i < d->nseries; i++) {
		delay |= is_delay(d->series[i].kind);
		tput |= is_tput(d->series[i].kind);
	}
	switch (kind) {
	case CHART_THROUGHPUT_OVER_TIME:
		return tput;
	case CHART_BUFFERBLOAT_IMPACT:
		return d->nbloat > 0;
	case CHART_LATENCY_VS_LOAD:
		return !chart_load_missing(d);
	default:
		return delay;
	}
}

static struct chart_opts chart_opts_of(const struct report_charts *ch)
{
	struct chart_opts o = { ch->width, ch->height,
				ch->style == CHART_STYLE_DARK
					? CHART_STYLE_DARK
					: CHART_STYLE_LIGHT };
	if (o.width < 100 || o.height < 100) {
		o.width = 1200;
		o.height = 600;
	}
	return o;
}

static const char *chart_alt(int kind)
{
	static const char *const alt[CHART_KIND_COUNT] = {
		[CHART_LATENCY_OVER_TIME] = "Latency over time",
		[CHART_JITTER_OVER_TIME] = "Jitter over time",
		[CHART_PACKET_LOSS_OVER_TIME] = "Packet loss over time",
		[CHART_THROUGHPUT_OVER_TIME] = "Throughput over time",
		[CHART_LATENCY_DISTRIBUTION] = "Latency distribution",
		[CHART_CONNECTION_COMPARISON] = "Connection comparison",
		[CHART_DAILY_HEATMAP] = "Median latency by hour of day",
		[CHART_BUFFERBLOAT_IMPACT] = "Bufferbloat impact",
		[CHART_LATENCY_VS_LOAD] = "Latency against the line's load",
	};
	return alt[kind];
}

static void md_figure(FILE *f, struct report_charts *ch, int kind)
{
	if (!ch || !ch->data || !ch->png_base || ch->rc < 0 ||
	    !chart_has(ch->data, kind))
		return;
	char png[4200];
	snprintf(png, sizeof(png), "%s-%s.png", ch->png_base,
		 chart_kind_name(kind));
	struct chart_opts o = chart_opts_of(ch);
	ch->rc = chart_draw_file(ch->data, kind, &o, png, ch->err,
				 sizeof(ch->err));
	if (ch->rc < 0)
		return;
	/* a relative URL: the characters Markdown or a URL would read
	 * differently are percent-escaped */
	fprintf(f, "![%s](", chart_alt(kind));
	for (const char *p = ch->png_link; *p; p++)
		if (strchr(" ()<>[]\\%#?\"'", *p))
			fprintf(f, "%%%02X", (unsigned char)*p);
		else
			fputc(*p, f);
	fprintf(f, "-%s.png)\n\n", chart_kind_name(kind));
}

static void html_figure(FILE *f, struct report_charts *ch, int kind)
{
	if (!ch || !ch->data || ch->rc < 0 || !chart_has(ch->data, kind))
		return;
	char *svg = NULL;
	size_t n = 0;
	FILE *m = open_memstream(&svg, &n);
	if (!m) {
		ch->rc = -ENOMEM;
		snprintf(ch->err, sizeof(ch->err), "out of memory");
		return;
	}
	struct chart_opts o = chart_opts_of(ch);
	ch->rc = chart_draw(ch->data, kind, &o, CHART_SVG, m, ch->err,
			    sizeof(ch->err));
	if (fclose(m) != 0 && ch->rc == 0) {
		ch->rc = -ENOMEM;
		snprintf(ch->err, sizeof(ch->err), "out of memory");
	}
	const char *p = ch->rc == 0 && svg ? strstr(svg, "<svg") : NULL;
	if (p) {
		/* inline, without the XML declaration; cairo names the
		 * glyphs and clips of every SVG alike, so each chart's ids
		 * get a prefix of their own or the page would mix them */
		static const char *const refs[] = { "id=\"", "href=\"#",
						    "url(#" };
		fputs("<figure>", f);
		while (*p) {
			size_t k = 0, len = 0;
			for (; k < 3; k++) {
				len = strlen(refs[k]);
				if (!strncmp(p, refs[k], len))
					break;
			}
			if (k < 3) {
				fprintf(f, "%sbb%d-", refs[k], kind);
				p += len;
			} else {
				fputc(*p++, f);
			}
		}
		fputs("</figure>\n", f);
	}
	free(svg);
}

static void doc_series(FILE *f, const struct doc_ops *o,
		       const struct history_summary *s)
{
	static const char *const cols[] = { "interface", "kind",   "target",
					    "server",	 "sent",   "lost",
					    "loss %",	 "min ms", "p50 ms",
					    "p95 ms",	 "p99 ms", "max ms" };
	char c[MAX_COLS][CELL];
	bool any = false;
	for (size_t i = 0; i < s->nseries; i++) {
		const struct history_series *e = &s->series[i];
		if (!is_delay(e->kind))
			continue;
		if (!any) {
			o->heading(f, "Delay and loss per series");
			o->thead(f, cols, 12);
		}
		any = true;
		snprintf(c[0], CELL, "%s",
			 e->interface[0] ? e->interface : "-");
		snprintf(c[1], CELL, "%s", sample_kind_name(e->kind));
		snprintf(c[2], CELL, "%s", e->target);
		snprintf(c[3], CELL, "%s", e->server[0] ? e->server : "-");
		snprintf(c[4], CELL, "%lld", (long long)e->sent);
		snprintf(c[5], CELL, "%lld", (long long)e->lost);
		snprintf(c[6], CELL, "%.2f", e->loss_pct);
		fig(e->min_ms, false, c[7], CELL);
		fig(e->p50_ms, e->approx, c[8], CELL);
		fig(e->p95_ms, e->approx, c[9], CELL);
		fig(e->p99_ms, e->approx, c[10], CELL);
		fig(e->max_ms, false, c[11], CELL);
		o->row(f, c, 12);
	}
	if (any)
		o->tend(f);
	char line[512];
	approx_line(s, line, sizeof(line));
	if (line[0])
		o->para(f, NULL, line);
}

static void doc_tput_bloat(FILE *f, const struct doc_ops *o,
			   const struct history_summary *s,
			   struct report_charts *ch)
{
	static const char *const tcols[] = { "interface",  "direction",
					     "server",	   "tests",
					     "failed",	   "median kbit/s",
					     "min kbit/s", "max kbit/s" };
	static const char *const bcols[] = { "interface", "server", "direction",
					     "tests",	  "failed", "latest",
					     "worst" };
	char c[MAX_COLS][CELL];
	bool any = false;
	for (size_t i = 0; i < s->nseries; i++) {
		const struct history_series *e = &s->series[i];
		if (!is_tput(e->kind))
			continue;
		if (!any) {
			o->heading(f, "Throughput (IP layer)");
			o->thead(f, tcols, 8);
		}
		any = true;
		snprintf(c[0], CELL, "%s",
			 e->interface[0] ? e->interface : "-");
		snprintf(c[1], CELL, "%s", sample_kind_name(e->kind));
		snprintf(c[2], CELL, "%s", e->server[0] ? e->server : "-");
		snprintf(c[3], CELL, "%lld", (long long)e->sent);
		snprintf(c[4], CELL, "%lld", (long long)e->lost);
		snprintf(c[5], CELL, "%.0f", e->tput_median_kbps);
		snprintf(c[6], CELL, "%.0f", e->tput_min_kbps);
		snprintf(c[7], CELL, "%.0f", e->tput_max_kbps);
		for (int k = 5; k < 8; k++)
			if (!strcmp(c[k], "nan"))
				snprintf(c[k], CELL, "-");
		o->row(f, c, 8);
	}
	if (any) {
		o->tend(f);
		o->figure(f, ch, CHART_THROUGHPUT_OVER_TIME);
	}
	if (!s->nbloat)
		return;
	o->heading(f, "Bufferbloat (latency increase under load)");
	o->thead(f, bcols, 7);
	for (size_t i = 0; i < s->nbloat; i++) {
		const struct history_bloat *b = &s->bloat[i];
		char t[32];
		snprintf(c[0], CELL, "%s",
			 b->interface[0] ? b->interface : "-");
		snprintf(c[1], CELL, "%s", b->server[0] ? b->server : "-");
		snprintf(c[2], CELL, "%s", b->direction);
		snprintf(c[3], CELL, "%d", b->tests);
		snprintf(c[4], CELL, "%d", b->failed);
		snprintf(c[5], CELL, "-");
		snprintf(c[6], CELL, "-");
		if (!isnan(b->latest_inc_ms)) {
			when(b->latest_ms, t, sizeof(t));
			snprintf(c[5], CELL,
				 "+%.0f ms, grade %s, %.0f RPM (%s)",
				 b->latest_inc_ms, b->latest_grade,
				 b->latest_rpm, t);
			when(b->worst_ms, t, sizeof(t));
			snprintf(c[6], CELL,
				 "+%.0f ms, grade %s, %.0f RPM (%s)",
				 b->worst_inc_ms, b->worst_grade, b->worst_rpm,
				 t);
		}
		o->row(f, c, 7);
	}
	o->tend(f);
	o->figure(f, ch, CHART_BUFFERBLOAT_IMPACT);
}

/* Per traced path, its worst hour hop by hop (history_path). */
static void doc_paths(FILE *f, const struct doc_ops *o,
		      const struct history_summary *s)
{
	static const char *const cols[] = { "hop",    "address", "sent",
					    "lost",   "loss %",	 "p50 ms",
					    "p95 ms", "whose" };
	char c[MAX_COLS][CELL], line[512];
	if (!s->npaths)
		return;
	o->heading(f, "Path hop by hop");
	o->para(f, NULL,
		"Per target, the hour with the most loss at the target. Loss "
		"at a hop that later hops do not show is the router's own "
		"(routers rate-limit their answers), not the line's.");
	for (size_t k = 0; k < s->npaths; k++) {
		const struct history_path *p = &s->paths[k];
		path_sentence(p, line, sizeof(line));
		o->para(f, NULL, line);
		o->thead(f, cols, 8);
		for (int i = 0; i < p->n_hops; i++) {
			const struct history_hop *h = &p->hop[i];
			snprintf(c[0], CELL, "%d", i + 1);
			snprintf(c[1], CELL, "%s", h->addr[0] ? h->addr : "*");
			snprintf(c[2], CELL, "%lld", (long long)h->sent);
			snprintf(c[3], CELL, "%lld", (long long)h->lost);
			snprintf(c[4], CELL, "%.1f", h->loss_pct);
			fig(h->p50_ms, false, c[5], CELL);
			fig(h->p95_ms, false, c[6], CELL);
			snprintf(c[7], CELL, "%s", hop_whose(p, i));
			o->row(f, c, 8);
		}
		o->tend(f);
	}
}

/* Bufferbloat the household's own traffic caused (bufferbloat_passive). */
/* With charts, the delay against the traffic (latency_vs_load) follows,
 * episodes or not, wherever traffic was read. */
static void doc_passive(FILE *f, const struct doc_ops *o,
			const struct history_summary *s,
			struct report_charts *ch)
{
	static const char *const cols[] = { "interface", "direction",
					    "worst episode" };
	struct report_passive pr[REPORT_PASSIVE_MAX];
	size_t n = report_passive_rows(s, pr, REPORT_PASSIVE_MAX);
	char c[MAX_COLS][CELL];
	bool chart =
		ch && ch->data && chart_has(ch->data, CHART_LATENCY_VS_LOAD);
	if (!n && !chart)
		return;
	o->heading(f, "Bufferbloat from your own traffic (no test load)");
	if (!n) {
		o->para(f, NULL, "No episode in this period.");
		o->figure(f, ch, CHART_LATENCY_VS_LOAD);
		return;
	}
	o->thead(f, cols, 3);
	for (size_t i = 0; i < n; i++) {
		snprintf(c[0], CELL, "%.15s",
			 pr[i].interface[0] ? pr[i].interface : "-");
		snprintf(c[1], CELL, "%.11s", pr[i].direction);
		report_passive_words(&pr[i], c[2], CELL);
		o->row(f, c, 3);
	}
	o->tend(f);
	o->figure(f, ch, CHART_LATENCY_VS_LOAD);
}

static void doc_peak_events(FILE *f, const struct doc_ops *o,
			    const struct history_summary *s,
			    struct report_charts *ch)
{
	static const char *const kcols[] = { "kind",	"events", "critical",
					     "warning", "info",	  "longest" };
	static const char *const ecols[] = {
		"start", "duration", "severity", "kind", "place", "description"
	};
	char c[MAX_COLS][CELL], line[512];
	o->heading(f, "Peak hours");
	if (s->have_peak)
		snprintf(line, sizeof(line),
			 "%s: median delay %.1f ms and loss %.2f %% from "
			 "18:00 to 23:59 against %.1f ms and %.2f %% the rest "
			 "of the day; worst evening hour %02d:00.",
			 s->peak.degraded ? "Evenings are worse"
					  : "No evening degradation",
			 s->peak.peak_p50_ms, s->peak.peak_loss_pct,
			 s->peak.offpeak_p50_ms, s->peak.offpeak_loss_pct,
			 s->peak.worst_hour);
	else if (s->peak_short)
		snprintf(line, sizeof(line),
			 "Not judged: the period is shorter than a day, and "
			 "evenings are compared with the rest of the day.");
	else
		snprintf(line, sizeof(line),
			 "Not enough hourly data yet: the diagnosis needs "
			 "rolled-up hours both from 18:00 to 23:59 and "
			 "outside them.");
	o->para(f, NULL, line);
	o->figure(f, ch, CHART_DAILY_HEATMAP);

	o->heading(f, "Events");
	snprintf(line, sizeof(line),
		 "%zu event%s: %d critical, %d warning, "
		 "%d info.",
		 s->nevents, s->nevents == 1 ? "" : "s",
		 s->events_by_severity[BB_SEV_CRITICAL],
		 s->events_by_severity[BB_SEV_WARNING],
		 s->events_by_severity[BB_SEV_INFO]);
	o->para(f, NULL, line);
	if (!s->nevents)
		return;
	o->thead(f, kcols, 6);
	for (size_t i = 0; i < s->nkinds; i++) {
		const struct history_kind_count *k = &s->kinds[i];
		snprintf(c[0], CELL, "%s", k->kind);
		snprintf(c[1], CELL, "%d", k->count);
		snprintf(c[2], CELL, "%d", k->by_severity[BB_SEV_CRITICAL]);
		snprintf(c[3], CELL, "%d", k->by_severity[BB_SEV_WARNING]);
		snprintf(c[4], CELL, "%d", k->by_severity[BB_SEV_INFO]);
		if (k->timed)
			history_format_duration(k->longest_ms, c[5], CELL);
		else
			snprintf(c[5], CELL, "-");
		o->row(f, c, 6);
	}
	o->tend(f);
	o->thead(f, ecols, 6);
	for (size_t i = 0; i < s->nevents; i++) {
		const struct bb_event *e = &s->events[i];
		when(e->start_ms, c[0], CELL);
		ev_length(s, e, c[1], CELL);
		if (!e->end_ms)
			strcat(c[1], ", ongoing");
		snprintf(c[2], CELL, "%s", bb_severity_name(e->severity));
		snprintf(c[3], CELL, "%s", e->kind);
		place(e, c[4], CELL);
		snprintf(c[5], CELL, "%s", e->description);
		o->row(f, c, 6);
	}
	o->tend(f);
}

static void write_doc(FILE *f, const struct doc_ops *o,
		      const struct history_summary *s, const char *db,
		      const char *verdict, struct report_charts *ch)
{
	char title[160], a[32], b[32], line[512];
	when(s->from_ms, a, sizeof(a));
	when(s->to_ms, b, sizeof(b));
	snprintf(title, sizeof(title), "Bufferbane report: %.16s to %.16s", a,
		 b);
	o->begin(f, title);
	o->para(f, "Verdict.", verdict);
	period_line(s, line, sizeof(line));
	o->para(f, "Period:", line);
	recorded_line(s, line, sizeof(line));
	o->para(f, "Recorded:", line);
	o->para(f, "Database:", db);
	doc_series(f, o, s);
	static const int delay_charts[] = { CHART_LATENCY_OVER_TIME,
					    CHART_PACKET_LOSS_OVER_TIME,
					    CHART_JITTER_OVER_TIME,
					    CHART_LATENCY_DISTRIBUTION,
					    CHART_CONNECTION_COMPARISON };
	for (size_t i = 0; i < sizeof(delay_charts) / sizeof(*delay_charts);
	     i++)
		o->figure(f, ch, delay_charts[i]);
	doc_tput_bloat(f, o, s, ch);
	doc_paths(f, o, s);
	doc_passive(f, o, s, ch);
	doc_peak_events(f, o, s, ch);
	o->end(f);
}

int report_write(FILE *f, const struct history_summary *s, int fmt,
		 const char *db)
{
	return report_write_charts(f, s, fmt, db, NULL);
}

int report_write_charts(FILE *f, const struct history_summary *s, int fmt,
			const char *db, struct report_charts *ch)
{
	char verdict[2048];
	history_verdict(s, verdict, sizeof(verdict));
	switch (fmt) {
	case REPORT_TEXT:
		write_text(f, s, db, verdict);
		break;
	case REPORT_JSON:
		write_json(f, s, db, verdict);
		break;
	case REPORT_MD:
		write_doc(f, &md_ops, s, db, verdict, ch);
		break;
	case REPORT_HTML:
		write_doc(f, &html_ops, s, db, verdict, ch);
		break;
	default:
		return -EINVAL;
	}
	return fflush(f) == 0 && !ferror(f) ? 0 : -EIO;
}

int report_write_file(const char *path, const struct history_summary *s,
		      int fmt, const char *db, char *err, size_t errlen)
{
	return report_write_file_charts(path, s, fmt, db, NULL, err, errlen);
}

int report_write_file_charts(const char *path, const struct history_summary *s,
			     int fmt, const char *db, struct report_charts *ch,
			     char *err, size_t errlen)
{
	char base[4096], link[4096];
	if (ch && fmt == REPORT_MD) {
		/* the PNGs beside the document, named after it */
		snprintf(base, sizeof(base), "%s", path);
		char *dot = strrchr(base, '.'), *slash = strrchr(base, '/');
		if (dot && (!slash || dot > slash))
			*dot = '\0';
		slash = strrchr(base, '/');
		snprintf(link, sizeof(link), "%s", slash ? slash + 1 : base);
		ch->png_base = base;
		ch->png_link = link;
	}
	struct afile a;
	int rc = afile_open(&a, path);
	if (rc < 0) {
		snprintf(err, errlen, "%s: cannot write: %s", path,
			 strerror(-rc));
		return rc;
	}
	rc = report_write_charts(a.f, s, fmt, db, ch);
	bool chart_failed = rc == 0 && ch && ch->rc < 0;
	rc = afile_close(&a, chart_failed ? ch->rc : rc);
	if (chart_failed)
		snprintf(err, errlen, "%s", ch->err);
	else if (rc < 0)
		snprintf(err, errlen, "%s: cannot write: %s", path,
			 strerror(-rc));
	return rc;
}
