/* SPDX-License-Identifier: MIT */
/*
 * `bufferbane export`: the samples of a period as CSV (RFC 4180, CRLF) or
 * one JSON array, a row per sample with a column `time` (ISO-8601 local
 * time with its offset, to the millisecond) and then the columns of the
 * `measurements` view in its order, the same values (NULL: an empty CSV
 * field, JSON null).  Read an hour at a time, so memory does not grow with
 * the period and a monitor writing meanwhile is never held up.
 */
#ifndef BB_EXPORT_H
#define BB_EXPORT_H

#include <stdint.h>
#include <stdio.h>

struct store;

enum export_format { EXPORT_CSV, EXPORT_JSON };

/* Which samples: NULL or "" matches every interface / target. */
struct export_filter {
	const char *interface;
	const char *target;
};

/* "csv", "json" -> EXPORT_*; -1 when unknown. */
int export_format_from_name(const char *name);
/* Write the samples of [from_ms, to_ms) that pass flt to f; the number of
 * rows (>= 0) or -errno with the reason in err. */
int64_t export_write(struct store *st, FILE *f, int fmt, int64_t from_ms,
		     int64_t to_ms, const struct export_filter *flt, char *err,
		     size_t errlen);
/* The same into path, atomically: a temporary file beside it, synced and
 * renamed over it; on any failure the temporary is removed and path is
 * left as it was. */
int64_t export_write_file(struct store *st, const char *path, int fmt,
			  int64_t from_ms, int64_t to_ms,
			  const struct export_filter *flt, char *err,
			  size_t errlen);

/* Unix ms -> "2024-03-05T14:03:07.123+01:00" (local time, its offset). */
void export_iso_time(int64_t ms, char *buf, size_t len);
/* s as a JSON string, quotes included; 0 or -EIO. */
int export_json_string(FILE *f, const char *s);

#endif
