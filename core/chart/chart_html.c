/* SPDX-License-Identifier: MIT */
/*
 * Placeholder so that `bufferbane chart -o FILE.html` links: the branch
 * `html` replaces this file with the interactive chart.
 */
#include "core/chart/chart_html.h"

#include <errno.h>

int chart_html_write(const struct chart_data *d, enum chart_kind kind, FILE *f,
		     char *err, size_t errlen)
{
	(void)d;
	(void)kind;
	(void)f;
	snprintf(err, errlen, "the HTML chart is not built in yet");
	return -ENOTSUP;
}
