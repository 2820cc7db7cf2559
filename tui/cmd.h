/* SPDX-License-Identifier: MIT */
/*
 * The sub-commands of `bufferbane`: one file tui/cmd_NAME.c each, one row in
 * tui/main.c's table (name, synopsis, one-line description).  Each takes the
 * arguments from its own name on, like main(), and returns the exit code:
 * 0 success, 1 runtime failure, CMD_EXIT_USAGE bad usage, configuration or
 * input.
 */
#ifndef BB_CMD_H
#define BB_CMD_H

#include <stdint.h>
#include <stdio.h>

struct store;

#define CMD_EXIT_USAGE 2

/* No command: the live monitor, -d headless or --replay FILE. */
int cmd_monitor(int argc, char **argv);
/* The monitor's usage lines and options, the head of `bufferbane --help`. */
extern const char cmd_monitor_help[];

int cmd_keygen(int argc, char **argv);
int cmd_bloat(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_events(int argc, char **argv);

/* The period of --last SPAN or --start T [--end T] (either may be NULL) as
 * [from, to) Unix ms, default_ms up to now when neither is given; span is
 * the --last span (0 with --start).  Bad input: one line on stderr naming
 * cmd and CMD_EXIT_USAGE; else 0 (tui/cmd_history.c). */
int cmd_period(const char *cmd, const char *last, const char *start,
	       const char *end, int64_t default_ms, int64_t *from, int64_t *to,
	       int64_t *span);
/* Open the database *db (NULL: general.database_path of the configuration
 * conf or the default one, stored back in *db) read-only, and give the
 * configuration read (defaults without one) in *cfg if cfg is not NULL;
 * 0, or the exit code after one line on stderr (CMD_EXIT_USAGE: a bad
 * configuration, a missing file or one that is not a Bufferbane
 * database). */
struct bb_config;
int cmd_open_db(const char *cmd, const char *conf, const char **db,
		struct store **st, const struct bb_config **cfg);
int cmd_cleanup(int argc, char **argv);
int cmd_chart(int argc, char **argv);
int cmd_charts(int argc, char **argv);

/* `bufferbane --help`: the monitor's text, then the command table. */
void cmd_usage(FILE *f);

#endif
