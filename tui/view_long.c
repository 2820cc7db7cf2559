// SPDX-License-Identifier: MIT
/*
 * The drilldown series over a day, a week, and by hour of day (L cycles),
 * from the database's rollups as core/chart/chart_data.c buckets them for
 * the PNG charts (ui->src.lng, filled by the app).
 *
 * 24 h and 7 d are drawn as smokeping draws: per column the spread of the
 * bucket as "smoke" (min to max light, p25 to p75 darker) and the median as
 * a line coloured by the bucket's loss; a strip under the plot repeats the
 * loss so a lossy hour is seen even where the median is fine.
 *
 *    40 ┤        ░░░
 *    20 ┤ ▒▒━━▒▒░━━━░▒━━
 *     0 ┤
 *    ms └──────────────
 *  loss  ▄▄▄▄▄▄▄▄▄▄▄▄▄▄
 *
 * The heatmap answers "is it evenings?": a row per local day, a column per
 * hour, each cell its median RTT shaded from the week's lowest to its
 * highest (a lossy hour marked), and the worst and best hours in words.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/chart/chart_data.h"
#include "tui/plot.h"
#include "tui/trace.h"
#include "tui/view.h"

#define LW 7 /* y labels and the axis: " 1000 ┤" */

int view_long_columns(int w)
{
	return w - LW - 2 > 10 ? w - LW - 2 : 10;
}

static enum cellbuf_role loss_role(uint32_t count, uint32_t lost)
{
	double pct = count ? 100.0 * lost / count : 0;

	return pct >= 2.0 ? ROLE_BAD : pct > 0 ? ROLE_WARN : ROLE_OK;
}

/* µs of a ms figure, for plot_format_ms */
static int64_t us_of(double ms)
{
	return (int64_t)llround(ms * 1000.0);
}

static void time_axis(struct cellbuf *cb, const struct chart_data *d, size_t n,
		      int x0, int y, bool week)
{
	int last_end = x0 - 1;

	for (size_t c = 0; c < n; c++) {
		int64_t t0 = d->from_ms + (int64_t)c * d->bucket_ms;
		int64_t t1 = t0 + d->bucket_ms;
		time_t s0 = (time_t)(t0 / 1000), s1 = (time_t)(t1 / 1000);
		struct tm a, b;
		char l[16];

		localtime_r(&s0, &a);
		localtime_r(&s1, &b);
		/* a boundary inside this column: midnight (week) or a
		 * 6-hour mark (day) */
		if (week ? a.tm_mday == b.tm_mday
			 : a.tm_hour == b.tm_hour || b.tm_hour % 6)
			continue;
		strftime(l, sizeof(l), week ? "%a %d" : "%H:00", &b);
		cellbuf_set(cb, x0 + (int)c, y - 1,
			    cellbuf_ascii(cb) ? '+' : 0x253c, ROLE_DIM, 0);
		if (x0 + (int)c <= last_end + 1 ||
		    x0 + (int)c + (int)strlen(l) > cellbuf_width(cb))
			continue;
		last_end = x0 + (int)c +
			   cellbuf_put(cb, x0 + (int)c, y, l, ROLE_DIM, 0);
	}
}

static void smoke(struct ui *ui, struct cellbuf *cb, int y, int h,
		  const struct chart_series *s, bool week)
{
	const struct chart_data *d = ui->src.lng.data;
	int w = cellbuf_width(cb), x0 = 1 + LW, ph = h - 5;
	bool a = cellbuf_ascii(cb);
	size_t n = s->n < (size_t)(w - x0 - 1) ? s->n : (size_t)(w - x0 - 1);
	double top = 0, lo_all = INFINITY;
	uint64_t sent = 0, lost = 0;
	char l[24];

	if (ph < 3)
		return;
	for (size_t c = 0; c < n; c++) {
		const struct chart_bucket *b = &s->b[c];

		sent += b->count;
		lost += b->lost;
		if (!isnan(b->p95) && b->p95 > top)
			top = b->p95;
		if (!isnan(b->p50) && b->p50 < lo_all)
			lo_all = b->p50;
	}
	/* the scale: whole steps just above the highest p95 */
	int64_t max_us = us_of(top) < 100 ? 100 : us_of(top);
	int64_t step = trace_nice_step(max_us, ph / 4 < 1 ? 1 : ph / 4);
	int64_t top_us = (max_us + step - 1) / step * step;
	double row_ms = (double)top_us / 1000.0 / ph; /* ms per text row */

	/* y axis: a label every few rows, from the top */
	cellbuf_vline(cb, x0 - 1, y, ph, ROLE_DIM);
	for (int64_t t = top_us / step * step; t >= 0; t -= step) {
		int row = y + ph - 1 - (int)((double)t / 1000.0 / row_ms);

		if (row < y)
			row = y;
		plot_format_ms(l, sizeof(l), t, step);
		cellbuf_printf(cb, 1, row, ROLE_DIM, 0, "%*s", LW - 2, l);
		cellbuf_set(cb, x0 - 1, row, a ? '+' : 0x2524, ROLE_DIM, 0);
		if (t < step)
			break;
	}
	for (size_t c = 0; c < n; c++) {
		const struct chart_bucket *b = &s->b[c];
		enum cellbuf_role lr = loss_role(b->count, b->lost);
		int x = x0 + (int)c;

		if (b->count == 0)
			continue;
		if (isnan(b->p50)) { /* every probe of it lost */
			for (int r = 0; r < ph; r++)
				cellbuf_set(cb, x, y + r, a ? '!' : 0x2502,
					    ROLE_LOSS, 0);
			continue;
		}
		for (int r = 0; r < ph; r++) {
			/* the row's value span, ms, row 0 at the top (and
			 * everything above the scale) */
			double v0 = (ph - 1 - r) * row_ms;
			double v1 = r == 0 ? INFINITY : v0 + row_ms;

			if (b->p50 >= v0 && b->p50 < v1)
				cellbuf_set(cb, x, y + r, a ? '-' : 0x2501, lr,
					    CELLBUF_BOLD);
			else if (b->p25 < v1 && b->p75 >= v0)
				cellbuf_set(cb, x, y + r, a ? ':' : 0x2592,
					    ROLE_DIM, 0);
			else if (b->min < v1 && b->max >= v0)
				cellbuf_set(cb, x, y + r, a ? '.' : 0x2591,
					    ROLE_DIM, 0);
		}
	}
	/* x axis, loss strip, time labels */
	cellbuf_put(cb, x0 - 4, y + ph, "ms", ROLE_DIM, 0);
	cellbuf_set(cb, x0 - 1, y + ph, a ? '+' : 0x2514, ROLE_DIM, 0);
	cellbuf_hline(cb, x0, y + ph, (int)n, ROLE_DIM);
	cellbuf_put(cb, 1, y + ph + 1, " loss", ROLE_DIM, 0);
	for (size_t c = 0; c < n; c++) {
		const struct chart_bucket *b = &s->b[c];

		if (b->count)
			cellbuf_set(cb, x0 + (int)c, y + ph + 1,
				    a ? (b->lost ? 'x' : '_') : 0x2584,
				    loss_role(b->count, b->lost), 0);
	}
	time_axis(cb, d, n, x0, y + ph + 2, week);
	/* the period in words */
	char med[16], spread[40] = "";

	if (isnan(s->p50))
		snprintf(med, sizeof(med), "-");
	else
		snprintf(med, sizeof(med), "%.1f", s->p50);
	if (!isnan(lo_all))
		snprintf(spread, sizeof(spread), ", lowest column %.1f ms",
			 lo_all);
	cellbuf_printf(
		cb, 1, y + ph + 3, sent && lost ? ROLE_WARN : ROLE_NORMAL, 0,
		"median %s ms%s; lost %llu of %llu (%.2f %%)%s", med, spread,
		(unsigned long long)lost, (unsigned long long)sent,
		sent ? 100.0 * (double)lost / (double)sent : 0.0,
		d->from_rollups ? "" : " (no rollups yet)");
	char dur[24];

	view_fmt_dur(dur, sizeof(dur), d->bucket_ms / 1000);
	cellbuf_printf(cb, 1, y + ph + 4, ROLE_DIM, 0,
		       "%s median (colour: loss)  %s p25-p75  %s min-max  "
		       "one column: %s",
		       a ? "-" : "━", a ? ":" : "▒", a ? "." : "░", dur);
}

/* The median of the days' medians of each hour of the day; NAN: none. */
static void hour_medians(const struct chart_data *d, double out[24])
{
	for (int hr = 0; hr < 24; hr++) {
		double v[64];
		int n = 0;

		for (int day = 0; day < d->heat_days && n < 64; day++)
			if (!isnan(d->heat[day * 24 + hr].p50))
				v[n++] = d->heat[day * 24 + hr].p50;
		for (int i = 1; i < n; i++) /* insertion sort: a week */
			for (int j = i; j > 0 && v[j] < v[j - 1]; j--) {
				double t = v[j];
				v[j] = v[j - 1];
				v[j - 1] = t;
			}
		out[hr] = n ? v[(n - 1) / 2] : NAN;
	}
}

static void heatmap(struct ui *ui, struct cellbuf *cb, int y, int h)
{
	static const uint32_t shade_u[4] = { 0x2591, 0x2592, 0x2593, 0x2588 };
	static const char shade_a[4] = { '.', ':', '+', '#' };
	static const enum cellbuf_role shade_r[4] = { ROLE_OK, ROLE_OK,
						      ROLE_WARN, ROLE_BAD };
	const struct chart_data *d = ui->src.lng.data;
	int w = cellbuf_width(cb), x0 = 9, cw = (w - x0 - 1) / 24;
	bool a = cellbuf_ascii(cb);
	double lo = INFINITY, hi = -INFINITY, span, hm[24];

	if (cw > 4)
		cw = 4;
	if (cw < 2)
		cw = 2;
	for (int k = 0; k < d->heat_days * 24; k++)
		if (!isnan(d->heat[k].p50)) {
			lo = fmin(lo, d->heat[k].p50);
			hi = fmax(hi, d->heat[k].p50);
		}
	if (isinf(lo)) {
		cellbuf_put(cb, 2, y + 1,
			    "No answered probe in the last 7 days.", ROLE_DIM,
			    0);
		return;
	}
	/* a spread below 2 ms is noise, not a pattern: not shaded as one */
	span = hi - lo > 2.0 ? hi - lo : 2.0;
	for (int hr = 0; hr < 24; hr += cw >= 3 ? 1 : 3)
		cellbuf_printf(cb, x0 + hr * cw, y, ROLE_HEADER, 0, "%02d", hr);
	for (int day = 0; day < d->heat_days && 1 + day < h - 4; day++) {
		time_t t = (time_t)((d->heat_day0_ms + day * 86400000LL +
				     43200000LL) /
				    1000);
		struct tm tm;
		char l[16];
		int ry = y + 1 + day;

		localtime_r(&t, &tm);
		strftime(l, sizeof(l), "%a %d", &tm);
		cellbuf_put(cb, 1, ry, l, ROLE_DIM, 0);
		for (int hr = 0; hr < 24; hr++) {
			const struct chart_heat *c = &d->heat[day * 24 + hr];
			int lv;

			if (!c->count)
				continue;
			if (isnan(c->p50)) {
				cellbuf_fill(cb, x0 + hr * cw, ry, cw - 1, 1,
					     a ? '!' : 0xd7, ROLE_LOSS, 0);
				continue;
			}
			lv = (int)((c->p50 - lo) / span * 4);
			lv = lv > 3 ? 3 : lv < 0 ? 0 : lv;
			cellbuf_fill(cb, x0 + hr * cw, ry, cw - 1, 1,
				     a ? (uint32_t)shade_a[lv] : shade_u[lv],
				     shade_r[lv], 0);
			/* loss: the cell's last column says it, the gap
			 * after a cell of one column (its shade stays) */
			if (c->lost)
				cellbuf_set(cb,
					    x0 + hr * cw +
						    (cw > 2 ? cw - 2 : 1),
					    ry, a ? 'x' : 0xd7,
					    loss_role(c->count, c->lost), 0);
		}
	}
	int ly = y + 2 + (d->heat_days < h - 5 ? d->heat_days : h - 5);
	int x = 1;

	x += cellbuf_put(cb, x, ly, "median RTT:", ROLE_DIM, 0) + 1;
	for (int lv = 0; lv < 4; lv++) {
		cellbuf_set(cb, x, ly, a ? (uint32_t)shade_a[lv] : shade_u[lv],
			    shade_r[lv], 0);
		x += 2 + cellbuf_printf(cb, x + 1, ly, ROLE_DIM, 0, "%.*f",
					span < 8 ? 1 : 0, lo + span * lv / 4);
	}
	cellbuf_printf(cb, x, ly, ROLE_DIM, 0, "ms and more;  %s a loss",
		       a ? "x" : "×");
	/* the words: the worst and best hours of the day */
	hour_medians(d, hm);
	int worst[3] = { -1, -1, -1 }, best[3] = { -1, -1, -1 };

	for (int k = 0; k < 3; k++)
		for (int hr = 0; hr < 24; hr++) {
			bool used = false;

			if (isnan(hm[hr]))
				continue;
			for (int j = 0; j < k; j++)
				used |= worst[j] == hr;
			if (!used && (worst[k] < 0 || hm[hr] > hm[worst[k]]))
				worst[k] = hr;
			used = false;
			for (int j = 0; j < k; j++)
				used |= best[j] == hr;
			if (!used && (best[k] < 0 || hm[hr] < hm[best[k]]))
				best[k] = hr;
		}
	if (worst[0] >= 0 && ly + 1 < y + h)
		cellbuf_printf(cb, 1, ly + 1,
			       hm[worst[0]] - hm[best[0]] > 2.0 ? ROLE_WARN
								: ROLE_OK,
			       0,
			       "slowest hours %02d, %02d, %02d h (median %.1f "
			       "ms); fastest %02d, %02d, %02d h (%.1f ms)",
			       worst[0], worst[1] < 0 ? worst[0] : worst[1],
			       worst[2] < 0 ? worst[0] : worst[2], hm[worst[0]],
			       best[0], best[1] < 0 ? best[0] : best[1],
			       best[2] < 0 ? best[0] : best[2], hm[best[0]]);
}

static void long_draw(struct ui *ui, struct cellbuf *cb, int y, int h)
{
	static const char *const name[LONG_COUNT] = {
		[LONG_24H] = "last 24 h",
		[LONG_7D] = "last 7 days",
		[LONG_HEAT] = "median RTT by hour of day, last 7 days",
	};
	static const char *const next[LONG_COUNT] = {
		[LONG_24H] = "L: 7 days",
		[LONG_7D] = "L: by hour",
		[LONG_HEAT] = "L: back",
	};
	const struct ui_long *lg = &ui->src.lng;
	const struct chart_data *d = lg->data;
	int want = ui->dd_long == LONG_24H ? LONG_24H : LONG_7D;
	char title[160];
	const struct chart_series *s = NULL;

	if (d && lg->mode == want && d->nseries)
		s = &d->series[0];
	snprintf(title, sizeof(title), "%.100s  %s",
		 s ? s->label : ui->dd_target, name[ui->dd_long]);
	view_section(cb, y, title, next[ui->dd_long], false);
	if (!s) {
		cellbuf_put(cb, 2, y + 2,
			    lg->why_not ? lg->why_not
					: "Reading the database's rollups...",
			    ROLE_DIM, 0);
		return;
	}
	if (ui->dd_long == LONG_HEAT)
		heatmap(ui, cb, y + 2, h - 2);
	else
		smoke(ui, cb, y + 2, h - 2, s, ui->dd_long == LONG_7D);
}

const struct view_ops view_long = {
	.name = "Long view",
	.title = "long view",
	.draw = long_draw,
};
