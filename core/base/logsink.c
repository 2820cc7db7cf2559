// SPDX-License-Identifier: MIT
/*
 * The monitor's log (see logsink.h).  Main thread only.
 */
#include "core/base/logsink.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>

struct logsink {
	enum logsink_level level;
	bool syslog;
	bool stamp; /* our own time stamps */
	FILE *stream;
	FILE *file;
	char path[512];
};

int logsink_level_of(const char *word)
{
	static const char *const names[] = { "error", "warning", "info",
					     "debug" };
	for (int i = 0; i < 4; i++)
		if (strcmp(word, names[i]) == 0)
			return LOGSINK_ERROR + i;
	return -1;
}

/* systemd sets JOURNAL_STREAM=DEV:INODE when stdout or stderr is the
 * journal; it is ours only if the stream we write is that very socket. */
static bool is_journal(FILE *stream)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (!js || !stream || sscanf(js, "%llu:%llu", &dev, &ino) != 2)
		return false;
	if (fstat(fileno(stream), &st) < 0)
		return false;
	return (unsigned long long)st.st_dev == dev &&
	       (unsigned long long)st.st_ino == ino;
}

static int open_file(struct logsink *l, char *err, size_t errlen)
{
	FILE *f;

	if (!l->path[0]) {
		if (l->file)
			fclose(l->file);
		l->file = NULL;
		return 0;
	}
	f = fopen(l->path, "a");
	if (!f) {
		int e = errno;
		if (err)
			snprintf(err, errlen, "cannot open log %s: %s", l->path,
				 strerror(e));
		return -e;
	}
	setvbuf(f, NULL, _IOLBF, 0);
	if (l->file)
		fclose(l->file);
	l->file = f;
	return 0;
}

int logsink_configure(struct logsink *l, const char *level, const char *file,
		      char *err, size_t errlen)
{
	int lv = logsink_level_of(level);
	char old[sizeof(l->path)];
	int rc = 0;

	if (lv < 0) {
		snprintf(err, errlen,
			 "logging.level \"%s\" is not one of: "
			 "error, warning, info, debug",
			 level);
		return -EINVAL;
	}
	if (strcmp(file, l->path) != 0) {
		memcpy(old, l->path, sizeof(old));
		snprintf(l->path, sizeof(l->path), "%s", file);
		rc = open_file(l, err, errlen);
		if (rc < 0) {
			memcpy(l->path, old, sizeof(old)); /* keep the old */
			return rc;
		}
	}
	l->level = (enum logsink_level)lv;
	return 0;
}

struct logsink *logsink_open(const char *level, const char *file, bool syslog,
			     FILE *stream, char *err, size_t errlen)
{
	struct logsink *l = calloc(1, sizeof(*l));

	if (!l) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	l->stream = stream;
	l->syslog = syslog;
	if (logsink_configure(l, level, file, err, errlen) < 0) {
		logsink_close(l);
		return NULL;
	}
	if (syslog)
		openlog("bufferbane", LOG_PID, LOG_DAEMON);
	l->stamp = !is_journal(stream);
	return l;
}

int logsink_reopen(struct logsink *l)
{
	return l->file ? open_file(l, NULL, 0) : 0;
}

bool logsink_wants(const struct logsink *l, enum logsink_level lv)
{
	return l && lv <= l->level && (l->file || l->syslog || l->stream);
}

void logsink_printf(struct logsink *l, enum logsink_level lv, const char *fmt,
		    ...)
{
	static const int prio[] = { LOG_CRIT, LOG_ERR, LOG_WARNING, LOG_INFO,
				    LOG_DEBUG };
	char line[2048], t[32];
	va_list ap;

	if (!logsink_wants(l, lv))
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (l->syslog) {
		syslog(prio[lv], "%s", line);
		return;
	}
	FILE *f = l->file ? l->file : l->stream;
	/* a file is read later, by people: always stamped */
	if (l->file || l->stamp) {
		time_t now = time(NULL);
		struct tm tm;
		localtime_r(&now, &tm);
		strftime(t, sizeof(t), "%Y-%m-%d %H:%M:%S", &tm);
		fprintf(f, "%s %s\n", t, line);
	} else {
		fprintf(f, "%s\n", line);
	}
	fflush(f);
}

void logsink_close(struct logsink *l)
{
	if (!l)
		return;
	if (l->file)
		fclose(l->file);
	if (l->syslog)
		closelog();
	free(l);
}
