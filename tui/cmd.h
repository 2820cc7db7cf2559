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

#include <stdio.h>

#define CMD_EXIT_USAGE 2

/* No command: the live monitor, -d headless or --replay FILE. */
int cmd_monitor(int argc, char **argv);
/* The monitor's usage lines and options, the head of `bufferbane --help`. */
extern const char cmd_monitor_help[];

int cmd_keygen(int argc, char **argv);
int cmd_bloat(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_chart(int argc, char **argv);
int cmd_charts(int argc, char **argv);

/* `bufferbane --help`: the monitor's text, then the command table. */
void cmd_usage(FILE *f);

#endif
