/* SPDX-License-Identifier: MIT */
/*
 * A period summary (core/store/history.h) written out for people and scripts:
 * `stats` as plain text or one JSON object, `report` as a Markdown document
 * or a self-contained HTML page.  Pure formatting: the figures and the
 * verdict come from history; every string from the database is escaped
 * for the format it lands in.
 */
#ifndef BB_REPORT_H
#define BB_REPORT_H

#include <stddef.h>
#include <stdio.h>

struct history_summary;
struct chart_data;

/* Charts to place beside the tables of a Markdown or HTML report.  HTML
 * embeds each as an SVG data URI (one file is the whole evidence);
 * Markdown writes png_base-KIND.png and links it as png_link-KIND.png
 * (the same file, named relative to the document).  A chart whose data is
 * empty (no throughput tests, say) is left out. */
struct report_charts {
	const struct chart_data *data;
	int width, height, style; /* struct chart_opts */
	const char *png_base, *png_link;
	int rc;	       /* first failure writing a chart, 0 if none */
	char err[512]; /* and why */
};

enum report_format { REPORT_TEXT, REPORT_JSON, REPORT_MD, REPORT_HTML };

/* "text", "json", "md" (or "markdown"), "html" -> REPORT_*; -1 unknown. */
int report_format_from_name(const char *name);
/* Write s in fmt to f; db names the database in the output.  Text and
 * JSON list the 10 worst events, Markdown and HTML every one.  0 or -EIO. */
int report_write(FILE *f, const struct history_summary *s, int fmt,
		 const char *db);
/* The same with charts (ch NULL: none; Markdown needs ch->png_base). */
int report_write_charts(FILE *f, const struct history_summary *s, int fmt,
			const char *db, struct report_charts *ch);
/* The same into path, atomically (path.tmp, then rename); 0 or -errno
 * with "path: what" in err. */
int report_write_file(const char *path, const struct history_summary *s,
		      int fmt, const char *db, char *err, size_t errlen);
/* The same with charts; for Markdown the PNGs go next to path, named
 * after it without its extension ("week.md" -> "week-daily_heatmap.png"). */
int report_write_file_charts(const char *path, const struct history_summary *s,
			     int fmt, const char *db, struct report_charts *ch,
			     char *err, size_t errlen);

#endif
