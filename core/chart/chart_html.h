/* SPDX-License-Identifier: MIT */
/*
 * The interactive chart: one self-contained HTML file (data and code
 * inline, no network fetch) drawn from a struct chart_data.
 */
#ifndef BB_CHART_HTML_H
#define BB_CHART_HTML_H

#include <stddef.h>
#include <stdio.h>

#include "core/chart/chart_data.h"

/* Write kind of d to f as one HTML page; 0 or -errno with a reason in
 * err. */
int chart_html_write(const struct chart_data *d, enum chart_kind kind, FILE *f,
		     char *err, size_t errlen);

#endif
