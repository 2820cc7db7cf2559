/* SPDX-License-Identifier: MIT */
/*
 * Where the monitor's lines go (`bufferbane -d`, and the live monitor's
 * reload messages): syslog with logging.syslog or --syslog (ident
 * "bufferbane", facility daemon), else logging.file when set (SIGHUP
 * reopens it for logrotate), else the stream the front end gives (stdout
 * for -d; none for the screen).  Lines below logging.level are dropped.  Lines
 * carry their own time stamp except in syslog and when the stream is the
 * systemd journal (JOURNAL_STREAM names its device:inode), which stamp
 * them already.
 */
#ifndef BB_LOGSINK_H
#define BB_LOGSINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Severity of a line; a level shows its own and the ones above it. */
enum logsink_level {
	LOGSINK_CRIT,	 /* critical events */
	LOGSINK_ERROR,	 /* what failed */
	LOGSINK_WARNING, /* warning events, dropped samples, restart needed */
	LOGSINK_INFO,	 /* start, probes, status lines, verdict, summary */
	LOGSINK_DEBUG,	 /* every sample */
};

struct logsink;

/* level: "error", "warning", "info" or "debug"; file "" = none; stream
 * NULL = nothing without file or syslog.  NULL with a reason in err. */
struct logsink *logsink_open(const char *level, const char *file, bool syslog,
			     FILE *stream, char *err, size_t errlen);
/* Change the level and the file (reload); 0 or -errno with err. */
int logsink_configure(struct logsink *l, const char *level, const char *file,
		      char *err, size_t errlen);
/* Reopen the file (logrotate moved it); 0 or -errno. */
int logsink_reopen(struct logsink *l);
/* True if a line of that level would be written. */
bool logsink_wants(const struct logsink *l, enum logsink_level lv);
/* One line (no newline in fmt). */
void logsink_printf(struct logsink *l, enum logsink_level lv, const char *fmt,
		    ...) __attribute__((format(printf, 3, 4)));
/* The level word's value, -1 if not a level. */
int logsink_level_of(const char *word);
void logsink_close(struct logsink *l);

#endif
