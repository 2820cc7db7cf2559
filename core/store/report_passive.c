// SPDX-License-Identifier: MIT
/*
 * The report's passive-bufferbloat rows (see report_passive.h).
 */
#include "core/store/report_passive.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/analysis/event.h"
#include "core/store/history.h"

/* A number or a string of a flat JSON object (the event's metrics). */
static double num(const char *json, const char *key)
{
	char k[48];
	snprintf(k, sizeof(k), "\"%s\":", key);
	const char *p = strstr(json, k);
	return p ? strtod(p + strlen(k), NULL) : 0;
}

static void str(const char *json, const char *key, char *out, size_t len)
{
	char k[48];
	snprintf(k, sizeof(k), "\"%s\":\"", key);
	const char *p = strstr(json, k);
	out[0] = '\0';
	if (!p)
		return;
	p += strlen(k);
	size_t n = strcspn(p, "\"");
	snprintf(out, len, "%.*s", (int)(n < len ? n : len - 1), p);
}

size_t report_passive_rows(const struct history_summary *s,
			   struct report_passive *out, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < s->nevents; i++) {
		const struct bb_event *e = &s->events[i];
		if (strcmp(e->kind, "bufferbloat_passive"))
			continue;
		struct report_passive *r = NULL;
		for (size_t k = 0; k < n; k++)
			if (!strcmp(out[k].interface, e->interface) &&
			    !strcmp(out[k].direction, e->target))
				r = &out[k];
		if (!r) {
			if (n == max)
				continue;
			r = &out[n++];
			memset(r, 0, sizeof(*r));
			snprintf(r->interface, sizeof(r->interface), "%s",
				 e->interface);
			snprintf(r->direction, sizeof(r->direction), "%.11s",
				 e->target);
		}
		r->episodes++;
		int64_t from =
			e->start_ms > s->from_ms ? e->start_ms : s->from_ms;
		int64_t to = e->end_ms ? e->end_ms : s->to_ms;
		if (to > s->to_ms)
			to = s->to_ms;
		if (to > from)
			r->busy_ms += to - from;
		double inc = num(e->metrics, "increase_ms");
		if (r->episodes == 1 || inc > r->worst_inc_ms) {
			r->worst_inc_ms = inc;
			r->worst_ms = e->start_ms;
			r->worst_rate_kbps = num(e->metrics, "rate_kbps");
			r->worst_util_pct = num(e->metrics, "utilisation_pct");
			str(e->metrics, "grade", r->worst_grade,
			    sizeof(r->worst_grade));
			str(e->metrics, "capacity", r->worst_capacity,
			    sizeof(r->worst_capacity));
		}
	}
	return n;
}

size_t report_passive_words(const struct report_passive *r, char *buf,
			    size_t len)
{
	char d[32];
	history_format_duration(r->busy_ms, d, sizeof(d));
	int n = snprintf(
		buf, len,
		"+%.0f ms (grade %s) at %.1f Mbit/s, %.0f %% of the "
		"%s, %d episode%s, %s",
		r->worst_inc_ms, r->worst_grade[0] ? r->worst_grade : "?",
		r->worst_rate_kbps / 1000, r->worst_util_pct,
		!strcmp(r->worst_capacity, "measured") ? "measured capacity"
						       : "highest rate seen",
		r->episodes, r->episodes == 1 ? "" : "s", d);
	return n < 0 ? 0 : (size_t)n < len ? (size_t)n : len ? len - 1 : 0;
}
