// SPDX-License-Identifier: MIT
/*
 * Sparkline drawing (see sparkline.h).  Owns the level glyphs and the rule
 * that turns a value into a level: ceil(v * levels / top), at least 1, so a
 * zero still shows as the lowest block and only values above the top clip.
 */
#include "tui/sparkline.h"

#include <math.h>

static const uint32_t blocks[] = { 0x2581, 0x2582, 0x2583, 0x2584,
				   0x2585, 0x2586, 0x2587, 0x2588 };
static const char ascii_levels[] = "_.-=*#";

#define LOST_UTF8  0x00d7 /* × */
#define LOST_ASCII '!'

static enum cellbuf_role value_role(int64_t v, const struct sparkline_opts *o)
{
	if (o->bad > 0 && v >= o->bad)
		return ROLE_BAD;
	if (o->warn > 0 && v >= o->warn)
		return ROLE_WARN;
	return (o->bad > 0 || o->warn > 0) ? ROLE_OK : ROLE_NORMAL;
}

int64_t sparkline_draw(struct cellbuf *cb, int x, int y, int w,
		       const int64_t *v, size_t n,
		       const struct sparkline_opts *o)
{
	static const struct sparkline_opts defaults;
	bool ascii = cellbuf_ascii(cb);
	int nlev = ascii ? (int)sizeof(ascii_levels) - 1 : 8;
	size_t shown, first;
	int64_t top;

	if (!o)
		o = &defaults;
	if (w <= 0)
		return trace_top(v, 0, o->top);
	shown = n < (size_t)w ? n : (size_t)w;
	first = n - shown;
	if (o->loaded && !o->top) {
		/* the scale of the line's own values only */
		int64_t own[512];
		size_t k = 0;

		for (size_t i = first; i < n && k < 512; i++)
			if (!o->loaded[i])
				own[k++] = v[i];
		top = k ? trace_top(own, k, 0) : trace_top(v + first, shown, 0);
	} else {
		top = trace_top(v + first, shown, o->top);
	}

	/* Left padding: slots older than the series. */
	cellbuf_fill(cb, x, y, w - (int)shown, 1, ' ', ROLE_DIM, 0);
	for (size_t i = 0; i < shown; i++) {
		int col = x + w - (int)shown + (int)i;
		int64_t val = v[first + i];
		int lvl;

		if (val == TRACE_NODATA) {
			cellbuf_set(cb, col, y, ' ', ROLE_DIM, 0);
			continue;
		}
		bool load = o->loaded && o->loaded[first + i];

		if (val == TRACE_LOST) {
			bool dim = load || o->lost_dim;
			cellbuf_set(cb, col, y, ascii ? LOST_ASCII : LOST_UTF8,
				    dim ? ROLE_DIM : ROLE_LOSS,
				    dim ? 0 : CELLBUF_BOLD);
			continue;
		}
		if (val < 0)
			val = 0;
		if (val > top) {
			/* Clipped outlier: full height, marked bold; yellow or
			 * red only past the thresholds (a 0.3 ms blip on a
			 * 0.06 ms line is no warning). */
			cellbuf_set(cb, col, y,
				    ascii ? (uint32_t)'^' : blocks[7],
				    load ? ROLE_DIM : value_role(val, o),
				    load ? 0 : CELLBUF_BOLD);
			continue;
		}
		lvl = (int)ceil((double)val * nlev / (double)top);
		if (lvl < 1)
			lvl = 1;
		if (lvl > nlev)
			lvl = nlev;
		cellbuf_set(cb, col, y,
			    ascii ? (uint32_t)ascii_levels[lvl - 1]
				  : blocks[lvl - 1],
			    load ? ROLE_DIM : value_role(val, o), 0);
	}
	return top;
}
