/* SPDX-License-Identifier: MIT */
/*
 * The server's log: one line per event on stderr (journald adds the time
 * under systemd; a timestamp is prefixed otherwise), filtered by level, and
 * a limiter for lines an attacker can provoke (failed knocks) so a flood
 * cannot fill the disk.  Thread-safe: each line is one write(2).
 */
#ifndef BB_SRVLOG_H
#define BB_SRVLOG_H

#include <stdint.h>

enum srvlog_level { SRVLOG_ERROR, SRVLOG_WARN, SRVLOG_INFO, SRVLOG_DEBUG };

/* At most `per_min` provoked lines a minute; the rest are counted. */
struct srvlog_limit {
	int64_t window_ns; /* start of the current minute (monotonic) */
	uint32_t used, suppressed;
};

/* Set the level; lines above it are dropped. */
void srvlog_set_level(int level);
/* "error", "warn"/"warning", "info", "debug" -> level, or -1. */
int srvlog_parse_level(const char *name);
/* Log one line (no trailing newline needed). */
void srvlog(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* 1 when a provoked line may be logged now (and counts it), else 0; when a
 * new minute starts, *suppressed_out gets how many the last one dropped. */
int srvlog_limit_ok(struct srvlog_limit *l, int64_t now_ns, uint32_t per_min,
		    uint32_t *suppressed_out);

#endif
