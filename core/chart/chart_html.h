/* SPDX-License-Identifier: MIT */
/*
 * A chart as one self-contained HTML file: the chart_data inline as JSON and
 * a small script that draws it on a canvas (hover shows a bucket's figures,
 * drag zooms, double-click resets, the legend toggles series, events are
 * marked).  Nothing in it names another file or host: a Content-Security-
 * Policy forbids every fetch and allows only its own script, by hash.
 */
#ifndef BB_CHART_HTML_H
#define BB_CHART_HTML_H

#include <stddef.h>
#include <stdio.h>

#include "core/chart/chart_data.h"

/* Write d drawn as kind to out, following the reader's light/dark
 * preference; 0 or -errno (-EINVAL: unknown kind; -EIO: out failed) with a
 * reason in err. */
int chart_html_write(const struct chart_data *d, enum chart_kind kind,
		     FILE *out, char *err, size_t errlen);
/* The same with export.chart_style: "light", "dark", or NULL/"" for the
 * reader's preference (prefers-color-scheme). */
int chart_html_write_style(const struct chart_data *d, enum chart_kind kind,
			   const char *style, FILE *out, char *err,
			   size_t errlen);

#endif
