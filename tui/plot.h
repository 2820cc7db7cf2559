/* SPDX-License-Identifier: MIT */
/*
 * A large plot of one value series for the drilldown view.  Values are in
 * microseconds and the y-axis is labelled in milliseconds with nice ticks
 * from 0 to the top of the scale (fixed by the caller or the nice ceiling of
 * the visible p95, see series.h, and at least 0.1 ms).  Each cell holds
 * 2 x 4 braille dots, so a cell column shows two values; in ASCII mode a cell
 * is one '*'.  Newest values are at the right.  A lost probe fills its dot
 * column from bottom to top in ROLE_LOSS ('!' in ASCII); a value that stands
 * for several probes, some of them lost (lost_pm), is drawn with a loss bar
 * from the bottom of that share of the height, at least one dot, so the
 * worst value stays readable and no loss disappears.  A value above the top
 * is drawn on the top row in ROLE_WARN (ROLE_BAD when it is bad), no data
 * is left empty.  The x-axis carries three time labels supplied by the
 * caller.
 *
 *   title                             (only when o->title is set)
 *   100 ┤⠀⠀⣀⡀⠀
 *    50 │⣀⠔⠁⠈⠢⣀
 *     0 ┤⠀⠀⠀⠀⠀⠀
 *    ms └──────
 *        x_left  x_mid  x_right
 */
#ifndef BB_PLOT_H
#define BB_PLOT_H

#include <stddef.h>
#include <stdint.h>

#include "tui/cellbuf.h"
#include "tui/trace.h"

struct plot_opts {
	int64_t top;	   /* fixed scale top in µs; 0 = auto */
	int64_t warn, bad; /* µs thresholds for ROLE_WARN/ROLE_BAD; 0 = none */
	const char *title; /* drawn on the first row; NULL = no title row */
	const char *x_left; /* time labels under the axis; NULL = none */
	const char *x_mid;
	const char *x_right;
	/* per value (as v): the share of its probes lost, in 1/1000; NULL when
	 * each value is one probe */
	const uint16_t *lost_pm;
};

/* Plot the newest values of v in w x h at (x, y); returns the top in µs. */
int64_t plot_draw(struct cellbuf *cb, int x, int y, int w, int h,
		  const int64_t *v, size_t n, const struct plot_opts *o);
/* Format a µs value in ms with as many decimals as step needs. */
void plot_format_ms(char *out, size_t size, int64_t us, int64_t step_us);

#endif
