// SPDX-License-Identifier: MIT
/*
 * The braille plot (see plot.h).  Dots are ORed into the cells already in the
 * buffer (the area is first filled with the empty braille pattern), and each
 * cell keeps the most severe role of what it shows: loss > bad > warn > ok.
 * Braille dot bits (Unicode U+2800 block), left and right dot column:
 *   row 0: 0x01 0x08   row 1: 0x02 0x10   row 2: 0x04 0x20   row 3: 0x40 0x80
 */
#include "tui/plot.h"

#include <stdio.h>
#include <string.h>

#define BRAILLE	     0x2800
#define MIN_AUTO_TOP 100 /* µs: an auto scale never goes below 0.1 ms */

static const uint8_t dot_bit[4][2] = {
	{ 0x01, 0x08 }, { 0x02, 0x10 }, { 0x04, 0x20 }, { 0x40, 0x80 }
};

struct area {
	struct cellbuf *cb;
	int x, y;   /* top-left cell of the plot area */
	int pw, ph; /* in cells */
	int dw, dh; /* in dots */
	bool ascii;
};

static int severity(int role)
{
	switch (role) {
	case ROLE_LOSS:
		return 4;
	case ROLE_BAD:
		return 3;
	case ROLE_WARN:
		return 2;
	case ROLE_OK:
		return 1;
	default:
		return 0;
	}
}

/* Light the dot (dc, dr), dr counted from the top, in role. */
static void dot(const struct area *a, int dc, int dr, enum cellbuf_role role)
{
	int cx = a->x + (a->ascii ? dc : dc / 2);
	int cy = a->y + (a->ascii ? dr : dr / 4);
	const struct cellbuf_cell *c = cellbuf_at(a->cb, cx, cy);
	uint32_t ch;

	if (!c)
		return;
	if (severity(c->role) > severity(role))
		role = (enum cellbuf_role)c->role;
	if (a->ascii) {
		ch = role == ROLE_LOSS ? '!' : '*';
	} else {
		ch = c->ch >= BRAILLE && c->ch <= BRAILLE + 0xff ? c->ch
								 : BRAILLE;
		ch |= dot_bit[dr % 4][dc % 2];
	}
	cellbuf_set(a->cb, cx, cy, ch, role, 0);
}

void plot_format_ms(char *out, size_t size, int64_t us, int64_t step_us)
{
	int dec = step_us % 1000 == 0  ? 0
		  : step_us % 100 == 0 ? 1
		  : step_us % 10 == 0  ? 2
				       : 3;

	snprintf(out, size, "%.*f", dec, (double)us / 1000.0);
}

static enum cellbuf_role value_role(int64_t v, const struct plot_opts *o)
{
	if (o->bad > 0 && v >= o->bad)
		return ROLE_BAD;
	if (o->warn > 0 && v >= o->warn)
		return ROLE_WARN;
	return (o->bad > 0 || o->warn > 0) ? ROLE_OK : ROLE_NORMAL;
}

static int level_of(int64_t v, int64_t top, int dh)
{
	/* Rounded v * (dh - 1) / top without overflow. */
	double l = (double)v * (dh - 1) / (double)top + 0.5;

	return l < 0 ? 0 : l > dh - 1 ? dh - 1 : (int)l;
}

static void draw_series(const struct area *a, const int64_t *v, size_t n,
			int64_t top, const struct plot_opts *o)
{
	size_t shown = n < (size_t)a->dw ? n : (size_t)a->dw;
	size_t first = n - shown;
	int prev = -1; /* dot row of the previous value, -1 = none */

	for (size_t i = 0; i < shown; i++) {
		int dc = a->dw - (int)shown + (int)i;
		int64_t val = v[first + i];
		enum cellbuf_role role;
		int dr;

		if (val == TRACE_NODATA) {
			prev = -1;
			continue;
		}
		if (val == TRACE_LOST) {
			for (int r = 0; r < a->dh; r++)
				dot(a, dc, r, ROLE_LOSS);
			prev = -1;
			continue;
		}
		if (o->lost_pm && o->lost_pm[first + i] > 0) {
			/* the bar's cells are loss-coloured (the most severe
			 * role of a cell wins); the value is drawn as usual */
			int bar = (o->lost_pm[first + i] * a->dh + 999) / 1000;

			for (int r = a->dh - (bar > a->dh ? a->dh : bar);
			     r < a->dh; r++)
				dot(a, dc, r, ROLE_LOSS);
		}
		if (val < 0)
			val = 0;
		role = value_role(val, o);
		if (val > top && role != ROLE_BAD)
			role = ROLE_WARN; /* off the scale: marked, not red */
		dr = a->dh - 1 -
		     (val > top ? a->dh - 1 : level_of(val, top, a->dh));
		dot(a, dc, dr, role);
		/* Join to the previous value with a vertical run (braille). */
		if (!a->ascii && prev >= 0 && prev != dr) {
			int step = prev < dr ? 1 : -1;

			for (int r = prev + step; r != dr; r += step)
				dot(a, dc, r, role);
		}
		prev = dr;
	}
}

static int64_t auto_top(const int64_t *v, size_t n, int64_t fixed)
{
	int64_t top = trace_top(v, n, fixed);

	return fixed <= 0 && top < MIN_AUTO_TOP ? MIN_AUTO_TOP : top;
}

int64_t plot_draw(struct cellbuf *cb, int x, int y, int w, int h,
		  const int64_t *v, size_t n, const struct plot_opts *o)
{
	static const struct plot_opts defaults;
	struct area a = { .cb = cb, .ascii = cellbuf_ascii(cb) };
	char label[24];
	int64_t top, step;
	int lw = 2, ty = y, last_row = -1, max_ticks;
	size_t visible;

	if (!o)
		o = &defaults;
	if (w <= 0 || h <= 0)
		return auto_top(v, 0, o->top);
	cellbuf_fill(cb, x, y, w, h, ' ', ROLE_NORMAL, 0);
	if (o->title) {
		cellbuf_putn(cb, x, y, w, o->title, ROLE_TITLE, CELLBUF_BOLD);
		ty++;
	}
	a.ph = h - (ty - y) - 2;
	if (a.ph < 1)
		a.ph = h - (ty - y); /* no room for the axis: plot only */
	/* Scale first, from the widest plot the width allows. */
	visible = (size_t)(w > 0 ? w : 0) * (a.ascii ? 1 : 2);
	visible = n < visible ? n : visible;
	top = auto_top(v + (n - visible), visible, o->top);
	if (a.ph < 1)
		return top;
	max_ticks = a.ph / 2 < 1 ? 1 : a.ph / 2 > 8 ? 8 : a.ph / 2;
	step = trace_nice_step(top, max_ticks);
	for (int64_t k = 0; k <= top / step; k++) {
		plot_format_ms(label, sizeof(label), k * step, step);
		if ((int)strlen(label) > lw)
			lw = (int)strlen(label);
	}
	lw++; /* a space before the axis */
	a.x = x + lw + 1;
	a.y = ty;
	a.pw = w - lw - 1;
	if (a.pw < 1)
		return top;
	a.dw = a.ascii ? a.pw : a.pw * 2;
	a.dh = a.ascii ? a.ph : a.ph * 4;
	/* Recompute the scale over what the narrower area really shows. */
	visible = n < (size_t)a.dw ? n : (size_t)a.dw;
	top = auto_top(v + (n - visible), visible, o->top);
	step = trace_nice_step(top, max_ticks);

	if (!a.ascii)
		cellbuf_fill(cb, a.x, a.y, a.pw, a.ph, BRAILLE, ROLE_NORMAL, 0);
	cellbuf_vline(cb, x + lw, a.y, a.ph, ROLE_DIM);
	/* Ticks from the top down so the top label wins a shared row. */
	for (int64_t t = top / step * step; t >= 0; t -= step) {
		int row = a.y + (a.dh - 1 - level_of(t, top, a.dh)) /
					(a.ascii ? 1 : 4);

		if (row != last_row) {
			int len;

			/* The final scale may want a wider label than lw was
			 * sized for: cut it rather than leave the box. */
			plot_format_ms(label, sizeof(label), t, step);
			len = (int)strlen(label);
			if (len > lw - 1)
				len = lw - 1;
			cellbuf_putn(cb, x + lw - 1 - len, row, len, label,
				     ROLE_DIM, 0);
			cellbuf_set(cb, x + lw, row, a.ascii ? '+' : 0x2524,
				    ROLE_DIM, 0);
			last_row = row;
		}
		if (t < step)
			break;
	}
	draw_series(&a, v, n, top, o);

	if (a.y + a.ph < y + h) { /* x-axis */
		int ay = a.y + a.ph;

		cellbuf_put(cb, x + lw - 3, ay, "ms", ROLE_DIM, 0);
		cellbuf_set(cb, x + lw, ay, a.ascii ? '+' : 0x2514, ROLE_DIM,
			    0);
		cellbuf_hline(cb, a.x, ay, a.pw, ROLE_DIM);
	}
	if (a.y + a.ph + 1 < y + h) { /* time labels */
		int ly = a.y + a.ph + 1, lend = a.x, rstart = a.x + a.pw;

		if (o->x_left)
			lend = a.x + cellbuf_putn(cb, a.x, ly, a.pw, o->x_left,
						  ROLE_DIM, 0);
		if (o->x_right) {
			int rw = cellbuf_utf8_width(o->x_right);

			if (a.x + a.pw - rw > lend) {
				rstart = a.x + a.pw - rw;
				cellbuf_put(cb, rstart, ly, o->x_right,
					    ROLE_DIM, 0);
			}
		}
		if (o->x_mid) {
			int mw = cellbuf_utf8_width(o->x_mid);
			int mx = a.x + (a.pw - mw) / 2;

			if (mx > lend && mx + mw < rstart)
				cellbuf_put(cb, mx, ly, o->x_mid, ROLE_DIM, 0);
		}
	}
	return top;
}
