// SPDX-License-Identifier: MIT
/*
 * bufferbane: the entry point.  A first argument that is not an option names
 * a sub-command from the table below; anything else is the monitor
 * (tui/cmd_monitor.c).  `--help` is the monitor's text followed by this
 * table, so a command listed is a command that runs.  Exit codes: 0 success,
 * 1 runtime failure, 2 bad usage, configuration or input.
 */
#include <stdio.h>
#include <string.h>

#include "core/base/text.h"
#include "tui/cmd.h"

/* Sub-commands: adding one is a file tui/cmd_NAME.c and a row. */
static const struct command {
	const char *name;
	const char *args; /* the synopsis after the name */
	const char *text; /* one line; --help wraps it */
	int (*run)(int argc, char **argv);
} commands[] = {
	{ "keygen", "",
	  "print a fresh shared secret (64 hex characters) for the companion "
	  "server and its clients",
	  cmd_keygen },
	{ "bloat", "[--server NAME|HOST[:PORT]] [-c FILE] [--db FILE]",
	  "one bufferbloat test now against a configured companion server: "
	  "idle and loaded RTT, grade, RPM",
	  cmd_bloat },
	{ "stats", "[--last 24h | --start T --end T] [--format text|json]",
	  "figures per series, events, peak hours and a verdict over a "
	  "recorded period",
	  cmd_stats },
	{ "report",
	  "[--last 7d | --start T --end T] [--format md|html] [-o FILE]",
	  "the same as a Markdown or HTML document", cmd_report },
	{ "export",
	  "--format csv|json [--last 24h] [--interface I] [--target T] "
	  "[-o FILE]",
	  "every sample of a period as CSV or JSON, the measurements columns "
	  "with ISO-8601 local times (also --start T --end T)",
	  cmd_export },
	{ "events",
	  "[--last 24h ...] [--kind K] [--severity S] [--format text|json]",
	  "the recorded events of a period: when, how long, how bad, what "
	  "and where (also --start T --end T)",
	  cmd_events },
	{ "cleanup", "--before DATE [--keep-aggregations] [--yes]",
	  "delete what was recorded before DATE, after showing it and asking",
	  cmd_cleanup },
	{ "chart",
	  "[KIND] [--last 24h | --start T --end T] -o FILE.png|.svg|.html",
	  "one chart of a recorded period (latency_over_time by default; "
	  "see chart --help for the kinds)",
	  cmd_chart },
	{ "charts", "[--last 24h | --start T --end T] --output-dir DIR",
	  "every chart kind of a recorded period as DIR/KIND.png", cmd_charts },
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

/* Help layout: synopsis from column 2, description from column 24, lines
 * of at most 74 columns (the description wraps at word boundaries). */
#define HELP_INDENT 24
#define HELP_WIDTH  74

/* Print text from column col (at most HELP_INDENT) on. */
static void print_wrapped(FILE *f, const char *text, int col)
{
	const char *p = text;
	while (*p) {
		int room = HELP_WIDTH - HELP_INDENT, len = 0, w;
		/* take whole words while they fit (at least one) */
		while (p[len]) {
			w = (int)strcspn(p + len + (len > 0), " ");
			if (len > 0 && len + 1 + w > room)
				break;
			len += (len > 0) + w;
		}
		fprintf(f, "%*s%.*s\n", HELP_INDENT - col, "", len, p);
		p += len;
		p += strspn(p, " ");
		col = 0;
	}
}

void cmd_usage(FILE *f)
{
	fputs(cmd_monitor_help, f);
	fputs("\nCommands:\n", f);
	for (size_t i = 0; i < N_COMMANDS; i++) {
		const struct command *c = &commands[i];
		int n = fprintf(f, "  %s%s%s", c->name, c->args[0] ? " " : "",
				c->args);
		if (n > HELP_INDENT - 2) {
			fputc('\n', f);
			n = 0;
		}
		print_wrapped(f, c->text, n);
	}
	fputs("\nExit status: 0 success, 1 runtime failure, 2 bad usage or "
	      "configuration.\n",
	      f);
}

static int unknown_command(const char *name)
{
	const char *best = NULL;
	size_t best_d = 3; /* suggest only within two edits */
	for (size_t i = 0; i < N_COMMANDS; i++) {
		size_t d = text_edit_distance(name, commands[i].name);
		if (d < best_d) {
			best_d = d;
			best = commands[i].name;
		}
	}
	if (best)
		fprintf(stderr,
			"bufferbane: unknown command '%s'; did you mean "
			"'%s'? (see bufferbane --help)\n",
			name, best);
	else
		fprintf(stderr,
			"bufferbane: unknown command '%s' (see bufferbane "
			"--help)\n",
			name);
	return CMD_EXIT_USAGE;
}

int main(int argc, char **argv)
{
	if (argc > 1 && argv[1][0] != '-') {
		for (size_t i = 0; i < N_COMMANDS; i++)
			if (strcmp(argv[1], commands[i].name) == 0)
				return commands[i].run(argc - 1, argv + 1);
		return unknown_command(argv[1]);
	}
	return cmd_monitor(argc, argv);
}
