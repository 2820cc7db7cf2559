// SPDX-License-Identifier: MIT
/*
 * Alert lines and commands (see alerts.h).  The child's environment is
 * built before fork(): after fork only async-signal-safe calls are made
 * (setpgid, open, dup2, execve, _exit), since other threads (probe
 * workers, storage) may hold locks at that moment.
 */
#include "core/analysis/alerts.h"

#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/analysis/event.h"
#include "core/base/sample.h"

#define MAX_CHILDREN 8
#define N_VARS	     10

extern char **environ;

struct child {
	struct alerts *owner;
	ev_child watch;
	ev_timer limit;
	pid_t pid;
	int killed;
};

struct alerts {
	struct ev_loop *loop;
	FILE *log;
	char command[512];
	double limit_s;
	struct child kids[MAX_CHILDREN];
	struct alerts_stats st;
};

static void child_done(struct alerts *a, struct child *c)
{
	ev_child_stop(a->loop, &c->watch);
	ev_timer_stop(a->loop, &c->limit);
	c->pid = 0;
	a->st.running--;
}

static void on_child(struct ev_loop *loop, ev_child *w, int revents)
{
	struct child *c = w->data;
	struct alerts *a = c->owner;
	if (!c->killed &&
	    !(WIFEXITED(w->rstatus) && WEXITSTATUS(w->rstatus) == 0))
		a->st.failed++;
	child_done(a, c);
}

static void on_limit(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct child *c = w->data;
	if (c->pid > 0 && !c->killed) {
		kill(-c->pid,
		     SIGKILL); /* the whole group: sh and its children */
		kill(c->pid, SIGKILL);
		c->killed = 1;
		c->owner->st.killed++;
	}
}

struct alerts *alerts_new(struct ev_loop *loop, const char *log_path,
			  const char *command, char *err, size_t errlen)
{
	struct alerts *a = calloc(1, sizeof(*a));
	if (!a) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	a->loop = loop;
	a->limit_s = 10.0;
	if (strlen(command) >= sizeof(a->command)) {
		snprintf(err, errlen, "alerts.command: longer than %zu bytes",
			 sizeof(a->command) - 1);
		free(a);
		return NULL;
	}
	strcpy(a->command, command);
	if (log_path && log_path[0]) {
		a->log = fopen(log_path, "a");
		if (!a->log) {
			snprintf(err, errlen, "alerts.log_path %s: %s",
				 log_path, strerror(errno));
			free(a);
			return NULL;
		}
		setvbuf(a->log, NULL, _IOLBF, 0);
	}
	return a;
}

void alerts_set_time_limit(struct alerts *a, int64_t ms)
{
	a->limit_s = (double)ms / 1000.0;
}

void alerts_free(struct alerts *a)
{
	if (!a)
		return;
	for (int i = 0; i < MAX_CHILDREN; i++) {
		struct child *c = &a->kids[i];
		if (c->pid <= 0)
			continue;
		kill(-c->pid, SIGKILL);
		kill(c->pid, SIGKILL);
		waitpid(c->pid, NULL, 0);
		child_done(a, c);
	}
	if (a->log)
		fclose(a->log);
	free(a);
}

static void stamp(int64_t ms_, char *buf, size_t len)
{
	time_t t = (time_t)(ms_ / 1000);
	struct tm tm;
	localtime_r(&t, &tm);
	size_t n = strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
	snprintf(buf + n, len - n, ".%03d", (int)(ms_ % 1000));
}

static void write_line(struct alerts *a, const struct bb_event *ev,
		       enum detect_state state)
{
	char t[40];
	int end = state == DETECT_END;
	stamp(end ? ev->end_ms : ev->start_ms, t, sizeof(t));
	int rc;
	if (end)
		rc = fprintf(a->log,
			     "%s END %s %s iface=%s target=%s server=%s "
			     "after %.1f s: %s\n",
			     t, bb_severity_name(ev->severity), ev->kind,
			     ev->interface[0] ? ev->interface : "-",
			     ev->target[0] ? ev->target : "-",
			     ev->server[0] ? ev->server : "-",
			     (double)(ev->end_ms - ev->start_ms) / 1000.0,
			     ev->description);
	else
		rc = fprintf(a->log,
			     "%s START %s %s iface=%s target=%s "
			     "server=%s: %s\n",
			     t, bb_severity_name(ev->severity), ev->kind,
			     ev->interface[0] ? ev->interface : "-",
			     ev->target[0] ? ev->target : "-",
			     ev->server[0] ? ev->server : "-", ev->description);
	if (rc < 0)
		a->st.failed++;
	else
		a->st.lines++;
}

/* environ + our variables, built before fork; freed by the caller. */
static char **build_env(const struct bb_event *ev, enum detect_state state,
			char vars[N_VARS][BB_EVENT_METRICS_LEN + 32])
{
	size_t n = 0;
	while (environ && environ[n])
		n++;
	char **env = calloc(n + N_VARS + 1, sizeof(*env));
	if (!env)
		return NULL;
	size_t o = 0;
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "BUFFERBANE_", 11))
			env[o++] = environ[i];
	const size_t L = BB_EVENT_METRICS_LEN + 32;
	snprintf(vars[0], L, "BUFFERBANE_STATE=%s",
		 state == DETECT_END ? "end" : "start");
	snprintf(vars[1], L, "BUFFERBANE_KIND=%s", ev->kind);
	snprintf(vars[2], L, "BUFFERBANE_SEVERITY=%s",
		 bb_severity_name(ev->severity));
	snprintf(vars[3], L, "BUFFERBANE_INTERFACE=%s", ev->interface);
	snprintf(vars[4], L, "BUFFERBANE_TARGET=%s", ev->target);
	snprintf(vars[5], L, "BUFFERBANE_SERVER=%s", ev->server);
	snprintf(vars[6], L, "BUFFERBANE_DESCRIPTION=%s", ev->description);
	snprintf(vars[7], L, "BUFFERBANE_METRICS=%s", ev->metrics);
	snprintf(vars[8], L, "BUFFERBANE_START_MS=%lld",
		 (long long)ev->start_ms);
	snprintf(vars[9], L, "BUFFERBANE_END_MS=%lld", (long long)ev->end_ms);
	for (int i = 0; i < N_VARS; i++)
		env[o++] = vars[i];
	env[o] = NULL;
	return env;
}

static void run_command(struct alerts *a, const struct bb_event *ev,
			enum detect_state state)
{
	struct child *c = NULL;
	for (int i = 0; i < MAX_CHILDREN && !c; i++)
		if (a->kids[i].pid <= 0)
			c = &a->kids[i];
	if (!c) {
		a->st.skipped++;
		return;
	}
	static char vars[N_VARS][BB_EVENT_METRICS_LEN + 32];
	char **env = build_env(ev, state, vars);
	if (!env) {
		a->st.failed++;
		return;
	}
	char *argv[] = { "sh", "-c", a->command, NULL };
	pid_t pid = fork();
	if (pid == 0) {
		setpgid(0, 0);
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		int fd = open("/dev/null", O_RDWR);
		if (fd >= 0) {
			dup2(fd, 0);
			if (fd > 2)
				close(fd);
		}
		execve("/bin/sh", argv, env);
		_exit(127);
	}
	free(env);
	if (pid < 0) {
		a->st.failed++;
		return;
	}
	setpgid(pid, pid); /* also here: no race with kill(-pid) */
	memset(c, 0, sizeof(*c));
	c->owner = a;
	c->pid = pid;
	ev_child_init(&c->watch, on_child, pid, 0);
	c->watch.data = c;
	ev_child_start(a->loop, &c->watch);
	ev_timer_init(&c->limit, on_limit, a->limit_s, 0.);
	c->limit.data = c;
	ev_timer_start(a->loop, &c->limit);
	a->st.started++;
	a->st.running++;
}

void alerts_event(struct alerts *a, const struct bb_event *ev,
		  enum detect_state state)
{
	if (!a || state == DETECT_UPDATE)
		return;
	if (a->log)
		write_line(a, ev, state);
	if (a->command[0])
		run_command(a, ev, state);
}

void alerts_stats(const struct alerts *a, struct alerts_stats *out)
{
	*out = a->st;
}
