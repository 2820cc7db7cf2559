/* SPDX-License-Identifier: MIT */
/*
 * Log lines (see srvlog.h).  The level is an atomic so workers read it
 * without locks; a line is formatted into a stack buffer and written with a
 * single write(2), so lines from several threads never interleave.
 */
#include "server/srvlog.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

static atomic_int log_level = SRVLOG_INFO;

static const char *const level_names[] = { "error", "warn", "info", "debug" };

void srvlog_set_level(int level)
{
	atomic_store(&log_level, level);
}

int srvlog_parse_level(const char *name)
{
	for (int i = 0; i < 4; i++)
		if (strcasecmp(name, level_names[i]) == 0)
			return i;
	if (strcasecmp(name, "warning") == 0)
		return SRVLOG_WARN;
	return -1;
}

void srvlog(int level, const char *fmt, ...)
{
	if (level > atomic_load_explicit(&log_level, memory_order_relaxed))
		return;
	char line[512];
	size_t n = 0;
	if (!getenv("JOURNAL_STREAM")) {
		struct timespec ts;
		struct tm tm;
		clock_gettime(CLOCK_REALTIME, &ts);
		localtime_r(&ts.tv_sec, &tm);
		n = strftime(line, sizeof(line), "%Y-%m-%d %H:%M:%S ", &tm);
	}
	int k = snprintf(line + n, sizeof(line) - n, "%s: ",
			 level_names[level < 0	 ? 0
				     : level > 3 ? 3
						 : level]);
	if (k > 0)
		n += (size_t)k;
	va_list ap;
	va_start(ap, fmt);
	k = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	va_end(ap);
	if (k > 0)
		n += (size_t)k;
	if (n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	ssize_t w = write(STDERR_FILENO, line, n);
	(void)w;
}

int srvlog_limit_ok(struct srvlog_limit *l, int64_t now_ns, uint32_t per_min,
		    uint32_t *suppressed_out)
{
	if (suppressed_out)
		*suppressed_out = 0;
	if (now_ns - l->window_ns >= 60000000000LL) {
		if (suppressed_out)
			*suppressed_out = l->suppressed;
		l->window_ns = now_ns;
		l->used = 0;
		l->suppressed = 0;
	}
	if (l->used < per_min) {
		l->used++;
		return 1;
	}
	l->suppressed++;
	return 0;
}
