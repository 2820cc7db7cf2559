/* SPDX-License-Identifier: MIT */
/*
 * The nine charts of a struct chart_data drawn with cairo, as PNG or SVG:
 * antialiased, titled, a local-time axis naming the zone, a legend, units.
 * Time charts share one layout: the plot, then under it a strip of lost
 * probes (red where a bucket lost any, darker the more) and a strip of
 * events (coloured by severity), the time labels, the legend.  Horizontal
 * geometry is fixed so that a column of pixels is a known time: the plot
 * spans x = CHART_PLOT_LEFT .. width - CHART_PLOT_RIGHT and starts at
 * y = CHART_PLOT_TOP.
 */
#ifndef BB_CHART_DRAW_H
#define BB_CHART_DRAW_H

#include <stddef.h>
#include <stdio.h>

#include "core/chart/chart_data.h"

#define CHART_PLOT_LEFT	 80
#define CHART_PLOT_RIGHT 24
#define CHART_PLOT_TOP	 64

enum chart_style { CHART_STYLE_LIGHT, CHART_STYLE_DARK };
enum chart_format { CHART_PNG, CHART_SVG };

struct chart_opts {
	int width, height; /* pixels (export.chart_width/height) */
	enum chart_style style;
};

/* "light"/"dark" -> CHART_STYLE_*; -1 unknown. */
int chart_style_from_name(const char *name);
/* CHART_PNG or CHART_SVG from a file name's extension; -1 otherwise. */
int chart_format_from_path(const char *path);
/* Width of the plot in pixels: one bucket per column fills it exactly. */
int chart_plot_width(const struct chart_opts *o);
/* Draw kind of d to f; 0 or -errno with a reason in err. */
int chart_draw(const struct chart_data *d, enum chart_kind kind,
	       const struct chart_opts *o, enum chart_format fmt, FILE *f,
	       char *err, size_t errlen);
/* The same into path (PNG or SVG by its extension), atomically: a
 * temporary file beside it, then rename.  0 or -errno ("path: what"). */
int chart_draw_file(const struct chart_data *d, enum chart_kind kind,
		    const struct chart_opts *o, const char *path, char *err,
		    size_t errlen);

#endif
