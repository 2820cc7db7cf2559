/* SPDX-License-Identifier: MIT */
/*
 * Charts with cairo.  One frame (background, title, subtitle with the
 * period and the zone, legend) around one of nine plots; the time plots
 * share their x axis, the loss strip and the event strip.  Delays are
 * drawn like smokeping's smoke: per bucket the spread of the answered
 * probes as nested bands (min-max lightest, p25-p95, p25-p75 darkest)
 * with the median as a line and the p95 as a thin dashed line, broken
 * where a bucket has no answered probe (a gap is empty paper, not a line
 * drawn across it).  Colours are roles of the style (paper, ink, grid)
 * plus one colour per series; red is kept for loss.
 */
#include "core/base/afile.h"
#include "core/chart/chart_draw.h"

#include <cairo-svg.h>
#include <cairo.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/analysis/detect_diag.h"
#include "core/base/sample.h"

#define FONT	   "DejaVu Sans"
#define STRIP_H	   8  /* loss and event strips */
#define LEGEND_ROW 18 /* px per legend row */
#define MINUTE_MS  60000LL
#define HOUR_MS	   3600000LL
#define DAY_MS	   86400000LL
#define MAX_LEGEND 24

struct rgb {
	double r, g, b;
};

#define RGB(x)                                                                 \
	{                                                                      \
		((x) >> 16 & 255) / 255.0, ((x) >> 8 & 255) / 255.0,           \
			((x)&255) / 255.0                                      \
	}

struct style {
	struct rgb paper, ink, dim, grid, frame;
};

static const struct style styles[2] = {
	[CHART_STYLE_LIGHT] = { RGB(0xffffff), RGB(0x222222), RGB(0x666666),
				RGB(0xe6e6e6), RGB(0x999999) },
	[CHART_STYLE_DARK] = { RGB(0x1e1f24), RGB(0xe0e0e0), RGB(0xa0a0a0),
			       RGB(0x393b44), RGB(0x70737c) },
};

/* Series colours (no red: red means loss). */
static const struct rgb palette[] = {
	RGB(0x1f77b4), RGB(0xff7f0e), RGB(0x2ca02c), RGB(0x9467bd),
	RGB(0x17becf), RGB(0x8c564b), RGB(0xe377c2), RGB(0xbcbd22),
	RGB(0x7f7f7f), RGB(0x393b79), RGB(0x637939), RGB(0x8c6d31),
};
#define NPALETTE (sizeof(palette) / sizeof(palette[0]))

/* Loss strip: a bucket that lost under 1 %, 5 %, 20 %, more. */
static const struct rgb loss_col[4] = { RGB(0xfdcc8a), RGB(0xfd8d3c),
					RGB(0xf03b20), RGB(0xbd0026) };
/* Events by severity: info, warning, critical. */
static const struct rgb sev_col[3] = { RGB(0x3182bd), RGB(0xf08c00),
				       RGB(0x8e0152) };

static const char *const titles[CHART_KIND_COUNT] = {
	[CHART_LATENCY_OVER_TIME] = "Latency over time",
	[CHART_JITTER_OVER_TIME] = "Jitter over time",
	[CHART_PACKET_LOSS_OVER_TIME] = "Packet loss over time",
	[CHART_THROUGHPUT_OVER_TIME] = "Throughput over time",
	[CHART_LATENCY_DISTRIBUTION] = "Latency distribution",
	[CHART_CONNECTION_COMPARISON] = "Connection comparison",
	[CHART_DAILY_HEATMAP] = "Median latency by hour of day",
	[CHART_BUFFERBLOAT_IMPACT] = "Bufferbloat impact: idle vs loaded",
	[CHART_LATENCY_VS_LOAD] = "Latency against the line's load",
};

/* What the drawing of one chart needs besides the data. */
struct frame {
	cairo_t *cr;
	const struct chart_data *d;
	const struct style *st;
	int w, h;
	double px0, px1, py0, py1; /* plot rectangle */
	struct legend {
		char text[192];
		struct rgb c;
		int mark; /* 0 line, 1 box, 2 dot */
	} leg[MAX_LEGEND];
	int nleg, legmore;
};

int chart_style_from_name(const char *name)
{
	if (name && !strcmp(name, "light"))
		return CHART_STYLE_LIGHT;
	if (name && !strcmp(name, "dark"))
		return CHART_STYLE_DARK;
	return -1;
}

int chart_format_from_path(const char *path)
{
	const char *dot = path ? strrchr(path, '.') : NULL;
	if (dot && !strcasecmp(dot, ".png"))
		return CHART_PNG;
	if (dot && !strcasecmp(dot, ".svg"))
		return CHART_SVG;
	return -1;
}

int chart_plot_width(const struct chart_opts *o)
{
	int w = o->width - CHART_PLOT_LEFT - CHART_PLOT_RIGHT;
	return w > 10 ? w : 10;
}

static void set(cairo_t *cr, struct rgb c, double a)
{
	cairo_set_source_rgba(cr, c.r, c.g, c.b, a);
}

static bool is_tput(const struct chart_series *s);

/* A series' colour: delay series (sorted first) by their index, the
 * throughput series by theirs, so each chart starts at the first colour
 * and a series keeps its colour from chart to chart. */
static struct rgb series_col_of(const struct chart_data *d, size_t i)
{
	size_t k = i;
	if (is_tput(&d->series[i])) {
		k = 0;
		for (size_t j = 0; j < i; j++)
			k += is_tput(&d->series[j]);
	}
	return palette[k % NPALETTE];
}

#define series_col(i) series_col_of(f->d, (i))

static void font(cairo_t *cr, double size, bool bold)
{
	cairo_select_font_face(cr, FONT, CAIRO_FONT_SLANT_NORMAL,
			       bold ? CAIRO_FONT_WEIGHT_BOLD
				    : CAIRO_FONT_WEIGHT_NORMAL);
	cairo_set_font_size(cr, size);
}

static double text_w(cairo_t *cr, const char *s)
{
	cairo_text_extents_t e;
	cairo_text_extents(cr, s, &e);
	return e.x_advance;
}

/* Text at x with its baseline at y; align 0 left, 0.5 centre, 1 right. */
static void text(cairo_t *cr, double x, double y, double align, const char *s)
{
	cairo_move_to(cr, x - align * text_w(cr, s), y);
	cairo_show_text(cr, s);
}

static void legend_add(struct frame *f, const char *s, struct rgb c, int mark)
{
	if (f->nleg == MAX_LEGEND) {
		f->legmore++;
		return;
	}
	struct legend *l = &f->leg[f->nleg++];
	snprintf(l->text, sizeof(l->text), "%s", s);
	l->c = c;
	l->mark = mark;
}

/* Rows the legend needs at the frame's width. */
static int legend_rows(struct frame *f)
{
	cairo_t *cr = f->cr;
	font(cr, 11, false);
	double x = CHART_PLOT_LEFT, right = f->w - CHART_PLOT_RIGHT;
	int rows = f->nleg ? 1 : 0;
	for (int i = 0; i < f->nleg; i++) {
		double w = 22 + text_w(cr, f->leg[i].text) + 18;
		if (x + w > right && x > CHART_PLOT_LEFT) {
			rows++;
			x = CHART_PLOT_LEFT;
		}
		x += w;
	}
	return rows;
}

static void legend_draw(struct frame *f, double y)
{
	cairo_t *cr = f->cr;
	font(cr, 11, false);
	double x = CHART_PLOT_LEFT, right = f->w - CHART_PLOT_RIGHT;
	for (int i = 0; i < f->nleg; i++) {
		struct legend *l = &f->leg[i];
		double w = 22 + text_w(cr, l->text) + 18;
		if (x + w > right && x > CHART_PLOT_LEFT) {
			y += LEGEND_ROW;
			x = CHART_PLOT_LEFT;
		}
		set(cr, l->c, 1);
		if (l->mark == 0) {
			cairo_set_line_width(cr, 2.5);
			cairo_move_to(cr, x, y - 4);
			cairo_line_to(cr, x + 16, y - 4);
			cairo_stroke(cr);
		} else if (l->mark == 1) {
			cairo_rectangle(cr, x + 2, y - 10, 12, 10);
			cairo_fill(cr);
		} else {
			cairo_arc(cr, x + 8, y - 4, 4, 0, 2 * M_PI);
			cairo_fill(cr);
		}
		set(cr, f->st->ink, 1);
		text(cr, x + 22, y, 0, l->text);
		x += w;
	}
	if (f->legmore) {
		char more[32];
		snprintf(more, sizeof(more), "+%d more", f->legmore);
		set(cr, f->st->dim, 1);
		text(cr, right, y, 1, more);
	}
}

/* fmt is always one of this file's literals */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
static void fmt_local(int64_t ms, const char *fmt, char *buf, size_t len)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	localtime_r(&t, &tm);
	if (!strftime(buf, len, fmt, &tm))
		snprintf(buf, len, "?");
}
#pragma GCC diagnostic pop

/* Title, subtitle (period, zone, where the figures come from). */
static void frame_head(struct frame *f, enum chart_kind kind)
{
	cairo_t *cr = f->cr;
	const struct chart_data *d = f->d;
	set(cr, f->st->paper, 1);
	cairo_paint(cr);
	set(cr, f->st->ink, 1);
	font(cr, 17, true);
	text(cr, 16, 26, 0, titles[kind]);
	char a[32], b[32], sub[256], roll[64] = "";
	fmt_local(d->from_ms, "%Y-%m-%d %H:%M", a, sizeof(a));
	fmt_local(d->to_ms, "%Y-%m-%d %H:%M", b, sizeof(b));
	if (d->from_rollups) {
		char r[32];
		fmt_local(d->rollups_until_ms, "%Y-%m-%d %H:%M", r, sizeof(r));
		snprintf(roll, sizeof(roll), "; before %s from rollups", r);
	}
	int64_t bsec = d->bucket_ms / 1000;
	char bk[32];
	if (bsec % 3600 == 0)
		snprintf(bk, sizeof(bk), "%lld h", (long long)(bsec / 3600));
	else if (bsec >= 120)
		snprintf(bk, sizeof(bk), "%.1f min", (double)bsec / 60);
	else
		snprintf(bk, sizeof(bk), "%lld s", (long long)bsec);
	if (kind == CHART_LATENCY_VS_LOAD) /* no columns of time here */
		snprintf(sub, sizeof(sub),
			 "%s to %s (%s): delay probes by the interface's "
			 "traffic in their second%s",
			 a, b, d->tz,
			 d->from_rollups ? "; raw samples only" : "");
	else
		snprintf(sub, sizeof(sub), "%s to %s (%s), %s per column%s", a,
			 b, d->tz, bk, roll);
	font(cr, 11.5, false);
	set(cr, f->st->dim, 1);
	text(cr, 16, 46, 0, sub);
	font(cr, 11, false);
	text(cr, f->w - CHART_PLOT_RIGHT, 26, 1, "Bufferbane");
}

static double xt(const struct frame *f, int64_t t)
{
	const struct chart_data *d = f->d;
	return f->px0 + (f->px1 - f->px0) * (double)(t - d->from_ms) /
				(double)(d->to_ms - d->from_ms);
}

static double yv(const struct frame *f, double v, double lo, double hi)
{
	double y = f->py1 - (f->py1 - f->py0) * (v - lo) / (hi - lo);
	return y < f->py0 - 2 ? f->py0 - 2 : y > f->py1 + 2 ? f->py1 + 2 : y;
}

/* A round step giving about n intervals over [0, hi]. */
static double nice_step(double hi, int n)
{
	double raw = hi / n, p = pow(10, floor(log10(raw))), m = raw / p;
	return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 2.5 ? 2.5 : m <= 5 ? 5 : 10) * p;
}

static double nice_max(double hi)
{
	if (!(hi > 0) || !isfinite(hi))
		return 1;
	double s = nice_step(hi, 5);
	return ceil(hi / s) * s;
}

static void fmt_num(double v, char *buf, size_t len)
{
	if (fabs(v) >= 100 || v == floor(v))
		snprintf(buf, len, "%.0f", v);
	else if (fabs(v) >= 10)
		snprintf(buf, len, "%.1f", v);
	else
		snprintf(buf, len, "%.2g", v);
}

/* Horizontal grid and labels for [0, hi]; unit names the axis. */
static void y_axis(struct frame *f, double hi, const char *unit)
{
	cairo_t *cr = f->cr;
	double step = nice_step(hi, 5);
	font(cr, 11, false);
	cairo_set_line_width(cr, 1);
	for (double v = 0; v <= hi + step / 1000; v += step) {
		double y = round(yv(f, v, 0, hi)) + 0.5;
		set(cr, f->st->grid, 1);
		cairo_move_to(cr, f->px0, y);
		cairo_line_to(cr, f->px1, y);
		cairo_stroke(cr);
		char buf[32];
		fmt_num(v, buf, sizeof(buf));
		set(cr, f->st->dim, 1);
		text(cr, f->px0 - 6, y + 4, 1, buf);
	}
	cairo_save(cr);
	cairo_translate(cr, 18, (f->py0 + f->py1) / 2);
	cairo_rotate(cr, -M_PI / 2);
	set(cr, f->st->ink, 1);
	text(cr, 0, 0, 0.5, unit);
	cairo_restore(cr);
}

/* The local time of t as seconds east of UTC (for aligned ticks). */
static int64_t gmtoff_ms(int64_t t)
{
	time_t tt = (time_t)(t / 1000);
	struct tm tm;
	localtime_r(&tt, &tm);
	return (int64_t)tm.tm_gmtoff * 1000;
}

/* Vertical grid and the local-time labels under the strips at y. */
static void time_axis(struct frame *f, double y)
{
	static const int64_t steps[] = {
		MINUTE_MS,	2 * MINUTE_MS,	5 * MINUTE_MS, 10 * MINUTE_MS,
		15 * MINUTE_MS, 30 * MINUTE_MS, HOUR_MS,       2 * HOUR_MS,
		3 * HOUR_MS,	6 * HOUR_MS,	12 * HOUR_MS,  DAY_MS,
		2 * DAY_MS,	7 * DAY_MS,	14 * DAY_MS,   28 * DAY_MS,
	};
	cairo_t *cr = f->cr;
	const struct chart_data *d = f->d;
	int64_t span = d->to_ms - d->from_ms, step = steps[0];
	int most = (int)((f->px1 - f->px0) / 90);
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		step = steps[i];
		if (span / step <= most)
			break;
	}
	font(cr, 11, false);
	cairo_set_line_width(cr, 1);
	int64_t off = gmtoff_ms(d->from_ms);
	int64_t t = ((d->from_ms + off + step - 1) / step) * step - off;
	if (step == 7 * DAY_MS || step == 14 * DAY_MS || step == 28 * DAY_MS)
		t = ((d->from_ms + off + DAY_MS - 1) / DAY_MS) * DAY_MS - off;
	char prev[32] = "";
	for (; t < d->to_ms; t += step) {
		/* keep ticks on local midnight across a DST change */
		int64_t tl = step >= DAY_MS ? t - (gmtoff_ms(t) - off) : t;
		double x = round(xt(f, tl)) + 0.5;
		set(cr, f->st->grid, 1);
		cairo_move_to(cr, x, f->py0);
		cairo_line_to(cr, x, f->py1);
		cairo_stroke(cr);
		char l1[32], l2[32];
		if (step < DAY_MS) {
			fmt_local(tl, "%H:%M", l1, sizeof(l1));
			fmt_local(tl, "%a %d %b", l2, sizeof(l2));
		} else {
			fmt_local(tl, "%a %d", l1, sizeof(l1));
			fmt_local(tl, "%b %Y", l2, sizeof(l2));
		}
		set(cr, f->st->dim, 1);
		text(cr, x, y + 12, 0.5, l1);
		if (strcmp(l2, prev)) {
			text(cr, x, y + 26, 0.5, l2);
			snprintf(prev, sizeof(prev), "%s", l2);
		}
	}
	char axis[64];
	snprintf(axis, sizeof(axis), "local time (%s)", d->tz);
	set(cr, f->st->ink, 1);
	text(cr, (f->px0 + f->px1) / 2, y + 42, 0.5, axis);
}

static void plot_frame(struct frame *f)
{
	cairo_t *cr = f->cr;
	set(cr, f->st->frame, 1);
	cairo_set_line_width(cr, 1);
	cairo_rectangle(cr, f->px0 - 0.5, f->py0 - 0.5, f->px1 - f->px0 + 1,
			f->py1 - f->py0 + 1);
	cairo_stroke(cr);
}

static void clip_plot(struct frame *f)
{
	cairo_save(f->cr);
	cairo_rectangle(f->cr, f->px0, f->py0, f->px1 - f->px0,
			f->py1 - f->py0);
	cairo_clip(f->cr);
}

/* Loss strip at y: per bucket the share lost over every series shown. */
static void loss_strip(struct frame *f, double y, bool tput)
{
	cairo_t *cr = f->cr;
	const struct chart_data *d = f->d;
	size_t n = 0;
	for (size_t i = 0; i < d->nseries; i++)
		if (d->series[i].n > n)
			n = d->series[i].n;
	set(cr, f->st->grid, 0.6);
	cairo_rectangle(cr, f->px0, y, f->px1 - f->px0, STRIP_H);
	cairo_fill(cr);
	for (size_t k = 0; k < n; k++) {
		uint64_t count = 0, lost = 0;
		for (size_t i = 0; i < d->nseries; i++) {
			const struct chart_series *s = &d->series[i];
			bool is_tput = s->kind == BB_KIND_UPLOAD ||
				       s->kind == BB_KIND_DOWNLOAD;
			if (k < s->n && is_tput == tput) {
				count += s->b[k].count;
				lost += s->b[k].lost;
			}
		}
		if (!lost)
			continue;
		double share = (double)lost / (double)count;
		int64_t t0 = d->from_ms + (int64_t)k * d->bucket_ms;
		double x0 = xt(f, t0), x1 = xt(f, t0 + d->bucket_ms);
		if (x1 > f->px1)
			x1 = f->px1;
		if (x1 - x0 < 2) { /* a lost probe stays visible */
			double c = (x0 + x1) / 2;
			x0 = c - 1;
			x1 = c + 1;
		}
		set(cr,
		    loss_col[share < 0.01   ? 0
			     : share < 0.05 ? 1
			     : share < 0.2  ? 2
					    : 3],
		    1);
		cairo_rectangle(cr, x0, y, x1 - x0, STRIP_H);
		cairo_fill(cr);
	}
	font(cr, 10, false);
	set(cr, f->st->dim, 1);
	text(cr, f->px0 - 6, y + STRIP_H, 1, "loss");
}

static int sev_index(const char *sev)
{
	return !strcmp(sev, "critical") ? 2 : !strcmp(sev, "info") ? 0 : 1;
}

/* Event strip at y, and a dashed line in the plot where each starts. */
static void event_strip(struct frame *f, double y)
{
	cairo_t *cr = f->cr;
	const struct chart_data *d = f->d;
	set(cr, f->st->grid, 0.6);
	cairo_rectangle(cr, f->px0, y, f->px1 - f->px0, STRIP_H);
	cairo_fill(cr);
	for (size_t i = 0; i < d->nevents; i++) {
		const struct chart_event *e = &d->events[i];
		int64_t s = e->start_ms < d->from_ms ? d->from_ms : e->start_ms;
		int64_t t = e->end_ms < 0 || e->end_ms > d->to_ms ? d->to_ms
								  : e->end_ms;
		double x0 = xt(f, s), x1 = xt(f, t);
		if (x1 - x0 < 3) {
			double c = x0;
			x0 = c - 1.5;
			x1 = c + 1.5;
		}
		struct rgb c = sev_col[sev_index(e->severity)];
		set(cr, c, 1);
		cairo_rectangle(cr, x0, y, x1 - x0, STRIP_H);
		cairo_fill(cr);
		/* only critical ones in the plot: warnings are many */
		if (e->start_ms >= d->from_ms && sev_index(e->severity) == 2) {
			double dash[] = { 3, 3 };
			set(cr, c, 0.55);
			cairo_set_dash(cr, dash, 2, 0);
			cairo_set_line_width(cr, 1);
			cairo_move_to(cr, round(x0) + 0.5, f->py0);
			cairo_line_to(cr, round(x0) + 0.5, f->py1);
			cairo_stroke(cr);
			cairo_set_dash(cr, NULL, 0, 0);
		}
	}
	font(cr, 10, false);
	set(cr, f->st->dim, 1);
	text(cr, f->px0 - 6, y + STRIP_H, 1, "events");
}

static void no_data(struct frame *f, const char *why)
{
	font(f->cr, 14, false);
	set(f->cr, f->st->dim, 1);
	text(f->cr, (f->px0 + f->px1) / 2, (f->py0 + f->py1) / 2, 0.5, why);
}

static bool is_tput(const struct chart_series *s)
{
	return s->kind == BB_KIND_UPLOAD || s->kind == BB_KIND_DOWNLOAD;
}

static double bucket_x0(const struct frame *f, size_t k)
{
	return xt(f, f->d->from_ms + (int64_t)k * f->d->bucket_ms);
}

static double bucket_x1(const struct frame *f, size_t k)
{
	double x = xt(f, f->d->from_ms + (int64_t)(k + 1) * f->d->bucket_ms);
	return x > f->px1 ? f->px1 : x;
}

/* The band between lo(k) and hi(k) as steps, one filled path per run of
 * buckets that have them (no seams between buckets, nothing in gaps). */
static void band(struct frame *f, const struct chart_series *s, size_t lo_off,
		 size_t hi_off, double ylo, double yhi)
{
	cairo_t *cr = f->cr;
	size_t k = 0;
#define FIELD(b, off) (*(const double *)((const char *)(b) + (off)))
	while (k < s->n) {
		while (k < s->n && isnan(FIELD(&s->b[k], hi_off)))
			k++;
		size_t a = k;
		while (k < s->n && !isnan(FIELD(&s->b[k], hi_off)))
			k++;
		if (a == k)
			continue;
		cairo_move_to(cr, bucket_x0(f, a),
			      yv(f, FIELD(&s->b[a], hi_off), ylo, yhi));
		for (size_t j = a; j < k; j++) {
			double y = yv(f, FIELD(&s->b[j], hi_off), ylo, yhi);
			cairo_line_to(cr, bucket_x0(f, j), y);
			cairo_line_to(cr, bucket_x1(f, j), y);
		}
		for (size_t j = k; j-- > a;) {
			double y = yv(f, FIELD(&s->b[j], lo_off), ylo, yhi);
			cairo_line_to(cr, bucket_x1(f, j), y);
			cairo_line_to(cr, bucket_x0(f, j), y);
		}
		cairo_close_path(cr);
		cairo_fill(cr);
	}
}

/* A line through the buckets' centres of field off, broken at NAN; a
 * lone point is drawn as a short tick so it shows. */
static void line(struct frame *f, const struct chart_series *s, size_t off,
		 double ylo, double yhi)
{
	cairo_t *cr = f->cr;
	bool on = false;
	for (size_t k = 0; k < s->n; k++) {
		double v = FIELD(&s->b[k], off);
		if (isnan(v)) {
			on = false;
			continue;
		}
		double y = yv(f, v, ylo, yhi);
		if (!on)
			cairo_move_to(cr, bucket_x0(f, k), y);
		cairo_line_to(cr, bucket_x1(f, k), y);
		on = true;
	}
	cairo_stroke(cr);
#undef FIELD
}

#define OFF(field) offsetof(struct chart_bucket, field)

/* The plot rectangle of a time chart: fixed left, right and top; the
 * bottom leaves room for the strips, the time labels and the legend. */
static void time_layout(struct frame *f, int strips)
{
	int rows = legend_rows(f);
	f->px0 = CHART_PLOT_LEFT;
	f->px1 = f->w - CHART_PLOT_RIGHT;
	f->py0 = CHART_PLOT_TOP;
	f->py1 = f->h - 12 - rows * LEGEND_ROW - 50 - strips * (STRIP_H + 4);
	if (f->py1 < f->py0 + 20)
		f->py1 = f->py0 + 20;
}

static void time_bottom(struct frame *f, int strips, bool tput)
{
	double y = f->py1 + 4;
	if (strips >= 1) {
		loss_strip(f, y, tput);
		y += STRIP_H + 4;
	}
	if (strips >= 2) {
		event_strip(f, y);
		y += STRIP_H + 4;
	}
	time_axis(f, y - 2);
	legend_draw(f, y + 48 + LEGEND_ROW - 4);
	plot_frame(f);
}

static void draw_latency(struct frame *f)
{
	cairo_t *cr = f->cr;
	const struct chart_data *d = f->d;
	double hi = 0;
	size_t shown = 0;
	for (size_t i = 0; i < d->nseries; i++) {
		const struct chart_series *s = &d->series[i];
		if (is_tput(s))
			continue;
		shown++;
		legend_add(f, s->label, series_col(i), 0);
		for (size_t k = 0; k < s->n; k++)
			if (!isnan(s->b[k].p95) && s->b[k].p95 > hi)
				hi = s->b[k].p95;
	}
	if (shown) {
		legend_add(f, "smoke: min-max, p25-p95, p25-p75", f->st->dim,
			   1);
		legend_add(f, "- - p95", f->st->dim, 0);
	}
	time_layout(f, 2);
	hi = nice_max(hi * 1.1);
	y_axis(f, hi, "delay (ms)");
	clip_plot(f);
	for (size_t i = 0; i < d->nseries; i++) {
		const struct chart_series *s = &d->series[i];
		if (is_tput(s))
			continue;
		struct rgb c = series_col(i);
		double a = shown > 3 ? 0.5 : 1;
		set(cr, c, 0.13 * a);
		band(f, s, OFF(min), OFF(max), 0, hi);
		set(cr, c, 0.16 * a);
		band(f, s, OFF(p25), OFF(p95), 0, hi);
		set(cr, c, 0.22 * a);
		band(f, s, OFF(p25), OFF(p75), 0, hi);
	}
	for (size_t i = 0; i < d->nseries; i++) {
		const struct chart_series *s = &d->series[i];
		if (is_tput(s))
			continue;
		double dash[] = { 4, 3 };
		set(cr, series_col(i), 0.9);
		cairo_set_line_width(cr, 1);
		cairo_set_dash(cr, dash, 2, 0);
		line(f, s, OFF(p95), 0, hi);
		cairo_set_dash(cr, NULL, 0, 0);
		set(cr, series_col(i), 1);
		cairo_set_line_width(cr, 1.8);
		line(f, s, OFF(p50), 0, hi);
	}
	cairo_restore(cr);
	if (!shown)
		no_data(f, "No delay probes in this period");
	time_bottom(f, 2, false);
}

static void draw_jitter(struct frame *f)
{
	cairo_t *cr = f->cr;
	const struct chart_data *d = f->d;
	double hi = 0;
	size_t shown = 0;
	for (size_t i = 0; i < d->nseries; i++) {
		const struct chart_series *s = &d->series[i];
		if (is_tput(s))
			continue;
		shown++;
		legend_add(f, s->label, series_col(i), 0);
		for (size_t k = 0; k < s->n; k++)
			if (!isnan(s->b[k].jitter) && s->b[k].jitter > hi)
				hi = s->b[k].jitter;
	}
	time_layout(f, 2);
	hi = nice_max(hi * 1.1);
	y_axis(f, hi, "jitter, mean |IPDV| (ms)");
	clip_plot(f);
	for (size_t i = 0; i < d->nseries; i++) {
		const struct chart_series *s = &d->series[i];
		if (is_tput(s))
			continue;
		set(cr, series_col(i), 1);
		cairo_set_line_width(cr, 1.5);
		line(f, s, OFF(jitter), 0, hi);
	}
	cairo_restore(cr);
	if (!shown)
		no_data(f, "No delay probes in this period");
	time_bottom(f, 2, false);
}

static void draw_loss(struct frame *f)
{
	cairo_t *cr = f->cr;
	const struct chart_data *d = f->d;
	double hi = 0;
	size_t shown = 0;
	for (size_t i = 0; i < d->nseries; i++) {
		const struct chart_series *s = &d->series[i];
		if (is_tput(s))
			continue;
		shown++;
		legend_add(f, s->label, series_col(i), 1);
		for (size_t k = 0; k < s->n; k++)
			if (s->b[k].count) {
				double p = 100.0 * s->b[k].lost / s->b[k].count;
				hi = p > hi ? p : hi;
			}
	}
	time_layout(f, 2);
	hi = nice_max(hi < 1 ? 1 : hi * 1.05);
	y_axis(f, hi, "probes lost (%)");
	clip_plot(f);
	for (size_t i = 0; i < d->nseries; i++) {
		const struct chart_series *s = &d->series[i];
		if (is_tput(s))
			continue;
		struct rgb c = series_col(i);
		for (size_t k = 0; k < s->n; k++) {
			if (!s->b[k].lost)
				continue;
			double p = 100.0 * s->b[k].lost / s->b[k].count;
			double x0 = bucket_x0(f, k), x1 = bucket_x1(f, k);
			if (x1 - x0 < 1.5)
				x1 = x0 + 1.5;
			set(cr, c, 0.75);
			cairo_rectangle(cr, x0, yv(f, p, 0, hi), x1 - x0,
					f->py1 - yv(f, p, 0, hi));
			cairo_fill(cr);
		}
	}
	cairo_restore(cr);
	if (!shown)
		no_data(f, "No delay probes in this period");
	time_bottom(f, 2, false);
}

static void draw_throughput(struct frame *f)
{
	cairo_t *cr = f->cr;
	const struct chart_data *d = f->d;
	double hi = 0;
	size_t shown = 0;
	for (size_t i = 0; i < d->nseries; i++) {
		const struct chart_series *s = &d->series[i];
		if (!is_tput(s))
			continue;
		shown++;
		legend_add(f, s->label, series_col(i), 2);
		for (size_t k = 0; k < s->n; k++)
			if (!isnan(s->b[k].max) && s->b[k].max > hi)
				hi = s->b[k].max;
	}
	bool mbit = hi >= 10000;
	double div = mbit ? 1000 : 1;
	time_layout(f, 2);
	hi = nice_max(hi / div * 1.1);
	y_axis(f, hi, mbit ? "throughput (Mbit/s)" : "throughput (kbit/s)");
	clip_plot(f);
	/* tests are minutes apart: join two when at most 3 apart */
	for (size_t i = 0; i < d->nseries; i++) {
		const struct chart_series *s = &d->series[i];
		if (!is_tput(s))
			continue;
		int64_t gap = 0, prev = -1, gaps[64];
		size_t ng = 0;
		for (size_t k = 0; k < s->n && ng < 64; k++)
			if (!isnan(s->b[k].p50)) {
				if (prev >= 0)
					gaps[ng++] = (int64_t)k - prev;
				prev = (int64_t)k;
			}
		for (size_t a = 0; a < ng; a++) /* the smallest spacing */
			gap = !gap || gaps[a] < gap ? gaps[a] : gap;
		struct rgb c = series_col(i);
		set(cr, c, 1);
		cairo_set_line_width(cr, 1.5);
		prev = -1;
		for (size_t k = 0; k < s->n; k++) {
			if (isnan(s->b[k].p50))
				continue;
			double x = (bucket_x0(f, k) + bucket_x1(f, k)) / 2;
			double y = yv(f, s->b[k].p50 / div, 0, hi);
			if (prev >= 0 && (int64_t)k - prev <= 3 * gap)
				cairo_line_to(cr, x, y);
			else
				cairo_move_to(cr, x, y);
			prev = (int64_t)k;
		}
		cairo_stroke(cr);
		for (size_t k = 0; k < s->n; k++) {
			if (isnan(s->b[k].p50))
				continue;
			double x = (bucket_x0(f, k) + bucket_x1(f, k)) / 2;
			cairo_arc(cr, x, yv(f, s->b[k].p50 / div, 0, hi), 2.5,
				  0, 2 * M_PI);
			cairo_fill(cr);
		}
	}
	cairo_restore(cr);
	if (!shown)
		no_data(f, "No throughput tests in this period");
	time_bottom(f, 2, true);
}

static void draw_distribution(struct frame *f)
{
	cairo_t *cr = f->cr;
	const struct chart_data *d = f->d;
	size_t lo = SIZE_MAX, hi = 0, shown = 0;
	double top = 0;
	for (size_t i = 0; i < d->nseries; i++) {
		const struct chart_series *s = &d->series[i];
		uint64_t total = 0;
		for (size_t h = 0; h < s->nhist; h++)
			total += s->hist[h];
		if (!s->hist || !total)
			continue;
		shown++;
		char l[192];
		snprintf(l, sizeof(l), "%s (p50 %.1f, p95 %.1f ms)", s->label,
			 s->p50, s->p95);
		legend_add(f, l, series_col(i), 0);
		for (size_t h = 0; h < s->nhist; h++)
			if (s->hist[h]) {
				lo = h < lo ? h : lo;
				hi = h > hi ? h : hi;
				double p = 100.0 * s->hist[h] / total;
				top = p > top ? p : top;
			}
	}
	int rows = legend_rows(f);
	f->px0 = CHART_PLOT_LEFT;
	f->px1 = f->w - CHART_PLOT_RIGHT;
	f->py0 = CHART_PLOT_TOP;
	f->py1 = f->h - 12 - rows * LEGEND_ROW - 44;
	if (!shown) {
		no_data(f, "No answered delay probes in this period");
		plot_frame(f);
		return;
	}
	double e0 = log10(d->hist_edge_ms[lo]);
	double e1 = log10(d->hist_edge_ms[hi + 1]);
	e0 = floor(e0);
	e1 = ceil(e1);
	top = nice_max(top * 1.1);
	y_axis(f, top, "share of answered probes (%)");
#define XL(ms) (f->px0 + (f->px1 - f->px0) * (log10(ms) - e0) / (e1 - e0))
	font(cr, 11, false);
	for (double e = e0; e <= e1; e++)
		for (int m = 1; m < 10; m++) {
			double ms = pow(10, e) * m;
			if (log10(ms) > e1 + 1e-9)
				break;
			double x = round(XL(ms)) + 0.5;
			set(cr, f->st->grid, m == 1 ? 1 : 0.5);
			cairo_move_to(cr, x, f->py0);
			cairo_line_to(cr, x, f->py1);
			cairo_stroke(cr);
			if (m == 1 || m == 2 || m == 5) {
				char buf[32];
				if (ms >= 1000)
					snprintf(buf, sizeof(buf), "%g s",
						 ms / 1000);
				else
					snprintf(buf, sizeof(buf), "%g", ms);
				set(cr, f->st->dim, 1);
				text(cr, x, f->py1 + 16, 0.5, buf);
			}
		}
	set(cr, f->st->ink, 1);
	text(cr, (f->px0 + f->px1) / 2, f->py1 + 34, 0.5,
	     "delay (ms, logarithmic)");
	clip_plot(f);
	for (size_t i = 0; i < d->nseries; i++) {
		const struct chart_series *s = &d->series[i];
		uint64_t total = 0;
		for (size_t h = 0; s->hist && h < s->nhist; h++)
			total += s->hist[h];
		if (!s->hist || !total)
			continue;
		struct rgb c = series_col(i);
		cairo_move_to(cr, XL(d->hist_edge_ms[lo]), f->py1);
		for (size_t h = lo; h <= hi; h++) {
			double y = yv(f, 100.0 * s->hist[h] / total, 0, top);
			cairo_line_to(cr, XL(d->hist_edge_ms[h]), y);
			cairo_line_to(cr, XL(d->hist_edge_ms[h + 1]), y);
		}
		cairo_line_to(cr, XL(d->hist_edge_ms[hi + 1]), f->py1);
		set(cr, c, 0.15);
		cairo_fill_preserve(cr);
		set(cr, c, 1);
		cairo_set_line_width(cr, 1.5);
		cairo_stroke(cr);
	}
#undef XL
	cairo_restore(cr);
	legend_draw(f, f->py1 + 44 + LEGEND_ROW - 4);
	plot_frame(f);
}

static void draw_comparison(struct frame *f)
{
	cairo_t *cr = f->cr;
	const struct chart_data *d = f->d;
	size_t n = 0;
	double hi = 0, lw = 0;
	font(cr, 11, false);
	for (size_t i = 0; i < d->nseries; i++) {
		const struct chart_series *s = &d->series[i];
		if (is_tput(s) || !s->sent)
			continue;
		n++;
		if (!isnan(s->p95) && s->p95 > hi)
			hi = s->p95;
		double w = text_w(cr, s->label);
		lw = w > lw ? w : lw;
	}
	f->px0 = CHART_PLOT_LEFT + (lw > 300 ? 300 : lw);
	f->px1 = f->w - CHART_PLOT_RIGHT - 250;
	f->py0 = CHART_PLOT_TOP;
	f->py1 = f->h - 12 - LEGEND_ROW - 40;
	legend_add(f, "median", f->st->dim, 1);
	legend_add(f, "median to p95", f->st->dim, 1);
	f->leg[1].c = f->st->grid;
	legend_add(f, "min to max", f->st->dim, 0);
	if (!n) {
		no_data(f, "No delay probes in this period");
		plot_frame(f);
		return;
	}
	hi = nice_max(hi * 1.1);
	double step = nice_step(hi, 6);
	for (double v = 0; v <= hi + step / 1000; v += step) {
		double x = round(f->px0 + (f->px1 - f->px0) * v / hi) + 0.5;
		set(cr, f->st->grid, 1);
		cairo_set_line_width(cr, 1);
		cairo_move_to(cr, x, f->py0);
		cairo_line_to(cr, x, f->py1);
		cairo_stroke(cr);
		char buf[32];
		fmt_num(v, buf, sizeof(buf));
		set(cr, f->st->dim, 1);
		text(cr, x, f->py1 + 16, 0.5, buf);
	}
	set(cr, f->st->ink, 1);
	text(cr, (f->px0 + f->px1) / 2, f->py1 + 34, 0.5, "delay (ms)");
	double row = (f->py1 - f->py0) / (double)n;
	double bh = row * 0.6 > 22 ? 22 : row * 0.6;
	size_t r = 0;
#define XV(v) (f->px0 + (f->px1 - f->px0) * ((v) > hi ? hi : (v)) / hi)
	for (size_t i = 0; i < d->nseries; i++) {
		const struct chart_series *s = &d->series[i];
		if (is_tput(s) || !s->sent)
			continue;
		double yc = f->py0 + row * ((double)r++ + 0.5);
		struct rgb c = series_col(i);
		font(cr, row < 14 ? row - 2 : 11, false);
		set(cr, f->st->ink, 1);
		text(cr, f->px0 - 8, yc + 4, 1, s->label);
		char fig[128];
		double loss = 100.0 * (double)s->lost / (double)s->sent;
		if (isnan(s->p50)) {
			snprintf(fig, sizeof(fig), "no answer, loss %.2f %%",
				 loss);
		} else {
			set(cr, c, 0.35);
			cairo_rectangle(cr, XV(0), yc - bh / 2,
					XV(s->p95) - XV(0), bh);
			cairo_fill(cr);
			set(cr, c, 1);
			cairo_rectangle(cr, XV(0), yc - bh / 2,
					XV(s->p50) - XV(0), bh);
			cairo_fill(cr);
			cairo_set_line_width(cr, 1.2);
			cairo_move_to(cr, XV(s->min), yc);
			cairo_line_to(cr, XV(s->max), yc);
			cairo_move_to(cr, XV(s->min), yc - bh / 4);
			cairo_line_to(cr, XV(s->min), yc + bh / 4);
			cairo_move_to(cr, XV(s->max), yc - bh / 4);
			cairo_line_to(cr, XV(s->max), yc + bh / 4);
			cairo_stroke(cr);
			snprintf(fig, sizeof(fig),
				 "p50 %.1f  p95 %.1f ms  loss %.2f %%", s->p50,
				 s->p95, loss);
		}
		set(cr, loss >= 1 ? loss_col[3] : f->st->dim, 1);
		text(cr, f->px1 + 10, yc + 4, 0, fig);
	}
#undef XV
	legend_draw(f, f->h - 14);
	plot_frame(f);
}

/* Sequential colour ramp (viridis stops) for t in [0, 1]. */
static struct rgb ramp(double t)
{
	static const struct rgb stop[] = { RGB(0x440154), RGB(0x3b528b),
					   RGB(0x21918c), RGB(0x5ec962),
					   RGB(0xfde725) };
	t = t < 0 ? 0 : t > 1 ? 1 : t;
	double p = t * 4;
	int i = p >= 4 ? 3 : (int)p;
	double u = p - i;
	return (struct rgb){ stop[i].r + u * (stop[i + 1].r - stop[i].r),
			     stop[i].g + u * (stop[i + 1].g - stop[i].g),
			     stop[i].b + u * (stop[i + 1].b - stop[i].b) };
}

static void draw_heatmap(struct frame *f)
{
	cairo_t *cr = f->cr;
	const struct chart_data *d = f->d;
	double lo = INFINITY, hi = -INFINITY;
	for (int k = 0; k < d->heat_days * 24; k++)
		if (!isnan(d->heat[k].p50)) {
			lo = fmin(lo, d->heat[k].p50);
			hi = fmax(hi, d->heat[k].p50);
		}
	f->px0 = CHART_PLOT_LEFT + 20;
	f->px1 = f->w - CHART_PLOT_RIGHT - 90;
	f->py0 = CHART_PLOT_TOP;
	f->py1 = f->h - 12 - LEGEND_ROW - 40;
	if (!(hi >= lo)) {
		no_data(f, "No icmp or udp_echo probes in this period");
		plot_frame(f);
		return;
	}
	if (hi - lo < 1e-6)
		hi = lo + 1;
	double cw = (f->px1 - f->px0) / 24,
	       ch = (f->py1 - f->py0) / d->heat_days;
	font(cr, ch < 12 ? (ch > 6 ? ch - 1 : 6) : 11, false);
	int every = ch >= 12 ? 1 : (int)ceil(12 / ch);
	for (int day = 0; day < d->heat_days; day++) {
		for (int h = 0; h < 24; h++) {
			const struct chart_heat *c = &d->heat[day * 24 + h];
			double x = f->px0 + h * cw, y = f->py0 + day * ch;
			if (!isnan(c->p50)) {
				struct rgb col =
					ramp((c->p50 - lo) / (hi - lo));
				set(cr, col, 1);
				cairo_rectangle(cr, x, y, cw, ch);
				cairo_fill(cr);
			}
			if (c->count && (double)c->lost >= 0.01 * c->count) {
				set(cr, loss_col[3], 1);
				cairo_set_line_width(cr, 2);
				cairo_rectangle(cr, x + 1.5, y + 1.5, cw - 3,
						ch - 3);
				cairo_stroke(cr);
			}
		}
		if (day % every == 0) {
			char l[32];
			int64_t t =
				d->heat_day0_ms + day * DAY_MS + 12 * HOUR_MS;
			fmt_local(t, "%a %m-%d", l, sizeof(l));
			set(cr, f->st->dim, 1);
			text(cr, f->px0 - 6, f->py0 + (day + 0.5) * ch + 4, 1,
			     l);
		}
	}
	font(cr, 11, false);
	for (int h = 0; h <= 24; h += 3) {
		char l[16];
		snprintf(l, sizeof(l), "%02d", h);
		set(cr, f->st->dim, 1);
		text(cr, f->px0 + h * cw, f->py1 + 16, 0.5, l);
	}
	char axis[64];
	snprintf(axis, sizeof(axis), "hour of day, local time (%s)", d->tz);
	set(cr, f->st->ink, 1);
	text(cr, (f->px0 + f->px1) / 2, f->py1 + 34, 0.5, axis);
	/* the colour scale */
	double sx = f->px1 + 20, sh = f->py1 - f->py0;
	for (int i = 0; i < 100; i++) {
		set(cr, ramp(1 - i / 99.0), 1);
		cairo_rectangle(cr, sx, f->py0 + sh * i / 100.0, 16,
				sh / 100.0 + 0.5);
		cairo_fill(cr);
	}
	char buf[32];
	set(cr, f->st->dim, 1);
	snprintf(buf, sizeof(buf), "%.1f ms", hi);
	text(cr, sx + 20, f->py0 + 10, 0, buf);
	snprintf(buf, sizeof(buf), "%.1f ms", lo);
	text(cr, sx + 20, f->py1, 0, buf);
	legend_add(f, "median delay of icmp and udp_echo probes in the hour",
		   ramp(0.5), 1);
	legend_add(f, "1 % or more lost", loss_col[3], 1);
	legend_draw(f, f->h - 14);
	plot_frame(f);
}

static struct rgb grade_col(const char *g)
{
	static const struct rgb c[] = { RGB(0x1a9850), RGB(0x66bd63),
					RGB(0xd9b500), RGB(0xfc8d59),
					RGB(0xd73027) };
	switch (g[0]) {
	case 'A':
		return c[0];
	case 'B':
		return c[1];
	case 'C':
		return c[2];
	case 'D':
		return c[3];
	default:
		return c[4];
	}
}

/* A marker per direction: up triangle, down triangle, diamond. */
static void marker(cairo_t *cr, double x, double y, int phase, double r)
{
	if (phase == BB_PHASE_UP) {
		cairo_move_to(cr, x, y - r);
		cairo_line_to(cr, x + r, y + r * 0.8);
		cairo_line_to(cr, x - r, y + r * 0.8);
	} else if (phase == BB_PHASE_DOWN) {
		cairo_move_to(cr, x, y + r);
		cairo_line_to(cr, x + r, y - r * 0.8);
		cairo_line_to(cr, x - r, y - r * 0.8);
	} else {
		cairo_move_to(cr, x, y - r);
		cairo_line_to(cr, x + r, y);
		cairo_line_to(cr, x, y + r);
		cairo_line_to(cr, x - r, y);
	}
	cairo_close_path(cr);
	cairo_fill(cr);
}

static void draw_bloat(struct frame *f)
{
	cairo_t *cr = f->cr;
	const struct chart_data *d = f->d;
	double hi = 0;
	for (size_t i = 0; i < d->nbloat; i++)
		if (!isnan(d->bloat[i].loaded_ms) && d->bloat[i].loaded_ms > hi)
			hi = d->bloat[i].loaded_ms;
	static const char *const grades[] = { "A: +5 ms or less", "B", "C", "D",
					      "F" };
	static const char *const gk[] = { "A", "B", "C", "D", "F" };
	legend_add(f, "idle", f->st->dim, 2);
	for (int g = 0; g < 5; g++)
		legend_add(f, grades[g], grade_col(gk[g]), 2);
	legend_add(f, "triangle up: upload, down: download", f->st->dim, 1);
	time_layout(f, 1);
	hi = nice_max(hi * 1.1);
	y_axis(f, hi, "round-trip time (ms)");
	clip_plot(f);
	for (size_t i = 0; i < d->nbloat; i++) {
		const struct chart_bloat *b = &d->bloat[i];
		if (isnan(b->loaded_ms))
			continue;
		double x = xt(f, b->t_ms);
		double yi = yv(f, isnan(b->idle_ms) ? 0 : b->idle_ms, 0, hi);
		double yl = yv(f, b->loaded_ms, 0, hi);
		struct rgb c = grade_col(diag_bloat_grade(b->increase_ms));
		set(cr, c, 0.6);
		cairo_set_line_width(cr, 2);
		cairo_move_to(cr, x, yi);
		cairo_line_to(cr, x, yl);
		cairo_stroke(cr);
		set(cr, f->st->dim, 1);
		cairo_arc(cr, x, yi, 2.5, 0, 2 * M_PI);
		cairo_fill(cr);
		set(cr, c, 1);
		marker(cr, x, yl, b->phase, 4.5);
	}
	cairo_restore(cr);
	if (!d->nbloat)
		no_data(f, "No bufferbloat tests in this period");
	double y = f->py1 + 4;
	event_strip(f, y);
	time_axis(f, y + STRIP_H + 2);
	legend_draw(f, y + STRIP_H + 4 + 48 + LEGEND_ROW - 4);
	plot_frame(f);
}

#define LOAD_SHOWN 4 /* interfaces drawn side by side in a bin */

static void fmt_rate(double kbps, char *buf, size_t len)
{
	if (kbps >= 1000)
		snprintf(buf, len, "%.1f Mbit/s", kbps / 1000);
	else
		snprintf(buf, len, "%.0f kbit/s", kbps);
}

/* Two panels, upload and download: per 10 % of the interface's highest
 * sustained rate a box of the delay of the probes sent in such seconds
 * (p25-p75, the median across, whiskers p5-p95), with how many. */
static void draw_load(struct frame *f)
{
	cairo_t *cr = f->cr;
	const struct chart_data *d = f->d;
	size_t nl = d->nload < LOAD_SHOWN ? d->nload : LOAD_SHOWN;
	double hi = 0;
	for (size_t i = 0; i < nl; i++) {
		const struct chart_load *ld = &d->load[i];
		char up[32], down[32], l[192];
		for (int k = 0; k < CHART_LOAD_NDIR; k++)
			for (int b = 0; b < CHART_LOAD_BINS; b++)
				if (ld->bin[k][b].p95 > hi)
					hi = ld->bin[k][b].p95;
		fmt_rate(ld->cap_kbps[CHART_LOAD_UP], up, sizeof(up));
		fmt_rate(ld->cap_kbps[CHART_LOAD_DOWN], down, sizeof(down));
		snprintf(l, sizeof(l), "%s%s%s: 100 %% = %s up, %s down",
			 ld->interface[0] ? ld->interface : "default route",
			 ld->interface[0] ? "" : " ",
			 ld->interface[0] ? "" : ld->device, up, down);
		legend_add(f, l, palette[i % NPALETTE], 1);
	}
	f->legmore += (int)(d->nload - nl);
	if (nl)
		legend_add(f,
			   "box p25-p75, median across, whiskers p5-p95, over "
			   "them how many probes",
			   f->st->dim, 0);
	int rows = legend_rows(f);
	double bottom = f->h - 12 - rows * LEGEND_ROW - 44;
	f->px0 = CHART_PLOT_LEFT;
	f->px1 = f->w - CHART_PLOT_RIGHT;
	f->py0 = CHART_PLOT_TOP + 16;
	f->py1 = bottom;
	const char *why = chart_load_missing(d);
	if (why || !(hi > 0)) {
		no_data(f, why ? why : "every delay was 0 ms");
		plot_frame(f);
		legend_draw(f, bottom + 44 + LEGEND_ROW - 4);
		return;
	}
	hi = nice_max(hi * 1.1);
	double gap = 48,
	       pw = (f->w - CHART_PLOT_LEFT - CHART_PLOT_RIGHT - gap) / 2;
	static const char *const head[CHART_LOAD_NDIR] = {
		"Upload (sent by the interface)",
		"Download (received)",
	};
	for (int k = 0; k < CHART_LOAD_NDIR; k++) {
		f->px0 = CHART_PLOT_LEFT + k * (pw + gap);
		f->px1 = f->px0 + pw;
		font(cr, 12, true);
		set(cr, f->st->ink, 1);
		text(cr, f->px0, f->py0 - 6, 0, head[k]);
		y_axis(f, hi, "round-trip time (ms)");
		double slot = pw / CHART_LOAD_BINS,
		       bw = slot * 0.7 / (double)nl;
		font(cr, 10, false);
		for (int b = 0; b < CHART_LOAD_BINS; b++) {
			char l[16];
			if (b == CHART_LOAD_BINS - 1)
				snprintf(l, sizeof(l), "%d+", 10 * b);
			else
				snprintf(l, sizeof(l), "%d-%d", 10 * b,
					 10 * b + 10);
			set(cr, f->st->dim, 1);
			text(cr, f->px0 + (b + 0.5) * slot, f->py1 + 16, 0.5,
			     l);
		}
		font(cr, 11, false);
		set(cr, f->st->ink, 1);
		text(cr, (f->px0 + f->px1) / 2, f->py1 + 34, 0.5,
		     "% of the highest rate held for 3 s");
		clip_plot(f);
		for (size_t i = 0; i < nl; i++) {
			struct rgb c = palette[i % NPALETTE];
			for (int b = 0; b < CHART_LOAD_BINS; b++) {
				const struct chart_load_bin *lb =
					&d->load[i].bin[k][b];
				if (isnan(lb->p50))
					continue;
				double x0 = f->px0 + b * slot + slot * 0.15 +
					    (double)i * bw,
				       xc = x0 + bw / 2;
				double y5 = yv(f, lb->p5, 0, hi),
				       y25 = yv(f, lb->p25, 0, hi),
				       y50 = yv(f, lb->p50, 0, hi),
				       y75 = yv(f, lb->p75, 0, hi),
				       y95 = yv(f, lb->p95, 0, hi);
				set(cr, c, 1);
				cairo_set_line_width(cr, 1.2);
				cairo_move_to(cr, xc, y5);
				cairo_line_to(cr, xc, y25);
				cairo_move_to(cr, xc, y75);
				cairo_line_to(cr, xc, y95);
				cairo_move_to(cr, xc - bw / 4, y95);
				cairo_line_to(cr, xc + bw / 4, y95);
				cairo_move_to(cr, xc - bw / 4, y5);
				cairo_line_to(cr, xc + bw / 4, y5);
				cairo_stroke(cr);
				set(cr, c, 0.35);
				cairo_rectangle(cr, x0, y75, bw, y25 - y75);
				cairo_fill_preserve(cr);
				set(cr, c, 1);
				cairo_stroke(cr);
				cairo_set_line_width(cr, 2.5);
				cairo_move_to(cr, x0, y50);
				cairo_line_to(cr, x0 + bw, y50);
				cairo_stroke(cr);
				/* how many, red where 1 % or more were lost */
				char n[24];
				snprintf(n, sizeof(n), "%u", lb->count);
				font(cr, 9, false);
				set(cr,
				    lb->lost * 100 >= lb->count ? loss_col[3]
								: f->st->dim,
				    1);
				text(cr, xc, y95 - 4, 0.5, n);
			}
		}
		cairo_restore(cr);
		plot_frame(f);
	}
	legend_draw(f, bottom + 44 + LEGEND_ROW - 4);
}

typedef void (*draw_fn)(struct frame *f);

static const draw_fn drawers[CHART_KIND_COUNT] = {
	[CHART_LATENCY_OVER_TIME] = draw_latency,
	[CHART_JITTER_OVER_TIME] = draw_jitter,
	[CHART_PACKET_LOSS_OVER_TIME] = draw_loss,
	[CHART_THROUGHPUT_OVER_TIME] = draw_throughput,
	[CHART_LATENCY_DISTRIBUTION] = draw_distribution,
	[CHART_CONNECTION_COMPARISON] = draw_comparison,
	[CHART_DAILY_HEATMAP] = draw_heatmap,
	[CHART_BUFFERBLOAT_IMPACT] = draw_bloat,
	[CHART_LATENCY_VS_LOAD] = draw_load,
};

static cairo_status_t write_fn(void *closure, const unsigned char *data,
			       unsigned int len)
{
	return fwrite(data, 1, len, closure) == len ? CAIRO_STATUS_SUCCESS
						    : CAIRO_STATUS_WRITE_ERROR;
}

static void render(const struct chart_data *d, enum chart_kind kind,
		   const struct chart_opts *o, cairo_surface_t *sf)
{
	struct frame *f = calloc(1, sizeof(*f));
	if (!f)
		return;
	f->cr = cairo_create(sf);
	f->d = d;
	f->st = &styles[o->style == CHART_STYLE_DARK];
	f->w = o->width;
	f->h = o->height;
	frame_head(f, kind);
	drawers[kind](f);
	cairo_destroy(f->cr);
	free(f);
}

int chart_draw(const struct chart_data *d, enum chart_kind kind,
	       const struct chart_opts *o, enum chart_format fmt, FILE *out,
	       char *err, size_t errlen)
{
	if ((unsigned)kind >= CHART_KIND_COUNT || o->width < 100 ||
	    o->height < 100 || d->to_ms <= d->from_ms) {
		snprintf(err, errlen, "no such chart or size");
		return -EINVAL;
	}
	cairo_status_t cs;
	if (fmt == CHART_SVG) {
		cairo_surface_t *sf = cairo_svg_surface_create_for_stream(
			write_fn, out, o->width, o->height);
		cairo_svg_surface_set_document_unit(sf, CAIRO_SVG_UNIT_PX);
		render(d, kind, o, sf);
		cairo_surface_finish(sf);
		cs = cairo_surface_status(sf);
		cairo_surface_destroy(sf);
	} else {
		cairo_surface_t *sf = cairo_image_surface_create(
			CAIRO_FORMAT_RGB24, o->width, o->height);
		render(d, kind, o, sf);
		cairo_surface_flush(sf);
		cs = cairo_surface_status(sf);
		if (cs == CAIRO_STATUS_SUCCESS)
			cs = cairo_surface_write_to_png_stream(sf, write_fn,
							       out);
		cairo_surface_destroy(sf);
	}
	if (cs != CAIRO_STATUS_SUCCESS) {
		snprintf(err, errlen, "drawing failed: %s",
			 cairo_status_to_string(cs));
		return cs == CAIRO_STATUS_WRITE_ERROR ? -EIO
		       : cs == CAIRO_STATUS_NO_MEMORY ? -ENOMEM
						      : -EINVAL;
	}
	return 0;
}

int chart_draw_file(const struct chart_data *d, enum chart_kind kind,
		    const struct chart_opts *o, const char *path, char *err,
		    size_t errlen)
{
	int fmt = chart_format_from_path(path);
	if (fmt < 0) {
		snprintf(err, errlen, "%s: the name must end in .png or .svg",
			 path);
		return -EINVAL;
	}
	struct afile a;
	int rc = afile_open(&a, path);
	if (rc < 0) {
		snprintf(err, errlen, "%s: cannot write: %s", path,
			 strerror(-rc));
		return rc;
	}
	char why[256] = "";
	rc = afile_close(&a,
			 chart_draw(d, kind, o, fmt, a.f, why, sizeof(why)));
	if (rc < 0)
		snprintf(err, errlen, "%s: %s", path,
			 why[0] ? why : strerror(-rc));
	return rc;
}
