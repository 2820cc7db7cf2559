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

enum report_format { REPORT_TEXT, REPORT_JSON, REPORT_MD, REPORT_HTML };

/* "text", "json", "md" (or "markdown"), "html" -> REPORT_*; -1 unknown. */
int report_format_from_name(const char *name);
/* Write s in fmt to f; db names the database in the output.  Text and
 * JSON list the 10 worst events, Markdown and HTML every one.  0 or -EIO. */
int report_write(FILE *f, const struct history_summary *s, int fmt,
		 const char *db);
/* The same into path, atomically (path.tmp, then rename); 0 or -errno
 * with "path: what" in err. */
int report_write_file(const char *path, const struct history_summary *s,
		      int fmt, const char *db, char *err, size_t errlen);

#endif
