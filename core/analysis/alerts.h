/* SPDX-License-Identifier: MIT */
/*
 * What the user is told when an event starts or ends (INTERFACES.md
 * "alerts"): one line appended to alerts.log_path, and optionally
 * alerts.command run with the event in its environment.  The command runs
 * as `/bin/sh -c COMMAND` on purpose: it is the user's own configuration
 * (so pipes and arguments work), while the event's text only ever travels
 * in environment variables, never inside the command string.  Variables:
 * BUFFERBANE_STATE (start|end), _KIND, _SEVERITY, _INTERFACE, _TARGET,
 * _SERVER, _DESCRIPTION, _METRICS (JSON), _START_MS, _END_MS.
 *
 * Never blocks the loop: the child is reaped by an ev_child watcher (so the
 * loop must be the default loop), killed with its process group after 10 s,
 * and at most 8 run at a time (more are counted as skipped).
 */
#ifndef BB_ALERTS_H
#define BB_ALERTS_H

#include <stddef.h>
#include <stdint.h>

#include "core/analysis/detect.h"

struct ev_loop;
struct alerts;

/* Counters for the status line and tests. */
struct alerts_stats {
	uint64_t lines;	  /* lines written to the log */
	uint64_t started; /* commands started */
	uint64_t killed;  /* commands killed at the time limit */
	uint64_t failed;  /* exit status != 0, fork or write failure */
	uint64_t skipped; /* too many commands running */
	size_t running;
};

/* Alerts to LOG_PATH ("" = none) and COMMAND ("" = none) on the default
 * loop LOOP; NULL with a reason in err when the log cannot be opened. */
struct alerts *alerts_new(struct ev_loop *loop, const char *log_path,
			  const char *command, char *err, size_t errlen);
/* Kill and reap running commands, close the log (NULL is fine). */
void alerts_free(struct alerts *a);
/* An event changed: a line and a command at DETECT_START and DETECT_END
 * (updates are ignored). */
void alerts_event(struct alerts *a, const struct bb_event *ev,
		  enum detect_state state);
/* Time limit for a command in ms (default 10000). */
void alerts_set_time_limit(struct alerts *a, int64_t ms);
/* Counters. */
void alerts_stats(const struct alerts *a, struct alerts_stats *out);

#endif
