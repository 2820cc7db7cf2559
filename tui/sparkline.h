/* SPDX-License-Identifier: MIT */
/*
 * A one-row sparkline of a value series (see series.h for the markers).
 * The newest value sits at the right edge; missing history on the left is
 * blank.  Levels are the eight blocks ▁▂▃▄▅▆▇█, or "_.-=*#" in ASCII mode.
 * The scale floor is 0 and its top is fixed by the caller or the nice ceiling
 * of the visible p95.  A value above the top is clipped: drawn full height
 * ('^' in ASCII) and bold, so a single spike never flattens the line and is
 * never taken for a loss.  Colour comes from the thresholds only: ROLE_WARN
 * at >= warn, ROLE_BAD at >= bad, never for being in a row's top 5 %.
 * A lost probe is a '×' ('!' in ASCII) in ROLE_LOSS, never a gap; no data is
 * a dim blank.  Values sent under our own test's load (opts.loaded) are
 * drawn in ROLE_DIM whatever they are, lost ones too, and leave the auto
 * scale alone: the test's queue is not the line's.  With opts.lost_dim the
 * lost probes are dim too (the path view's hop that drops only its own
 * answers: red there would blame the line for a router's rate limit).
 */
#ifndef BB_SPARKLINE_H
#define BB_SPARKLINE_H

#include <stddef.h>
#include <stdint.h>

#include "tui/cellbuf.h"
#include "tui/trace.h"

struct sparkline_opts {
	int64_t top;	    /* fixed scale top; 0 = auto */
	int64_t warn;	    /* values >= warn in ROLE_WARN; 0 = no threshold */
	int64_t bad;	    /* values >= bad in ROLE_BAD; 0 = no threshold */
	const bool *loaded; /* per value of v: under our own load; NULL none */
	bool lost_dim;	    /* lost probes in ROLE_DIM: not the line's loss
			       (a router's own rate-limited answers) */
};

/* Draw the newest w of n values at (x, y); o may be NULL; returns the top. */
int64_t sparkline_draw(struct cellbuf *cb, int x, int y, int w,
		       const int64_t *v, size_t n,
		       const struct sparkline_opts *o);

#endif
