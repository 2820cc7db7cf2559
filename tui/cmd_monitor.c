// SPDX-License-Identifier: MIT
/*
 * bufferbane without a command: the live monitor on the screen (tui/app.c),
 * -d the same engine headless (core/engine/headless.c), or --replay FILE the
 * screens over a recording.  Its options are the program's options
 * (INTERFACES.md "Programs and commands").
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "tui/cmd.h"
#include "core/engine/headless.h"
#include "core/engine/monitor.h"
#include "tui/app.h"

const char cmd_monitor_help[] =
	"Usage: bufferbane [OPTIONS]            live network-quality monitor\n"
	"       bufferbane -d [OPTIONS]         the same engine, headless\n"
	"       bufferbane --replay FILE.db     the monitor's screens over a\n"
	"                                       recorded database\n"
	"       bufferbane COMMAND [ARGS]       see COMMANDS\n"
	"\n"
	"Bufferbane probes your line every second (ICMP, DNS, TCP connect "
	"and,\n"
	"with a companion server, UDP echo, throughput and bufferbloat "
	"tests),\n"
	"keeps every sample in SQLite and names what is wrong in plain words.\n"
	"\n"
	"Options:\n"
	"  -c, --config FILE     configuration file (default: search\n"
	"                        $XDG_CONFIG_HOME/bufferbane/bufferbane.conf,\n"
	"                        then /etc/bufferbane/bufferbane.conf)\n"
	"      --db FILE         database file (overrides "
	"general.database_path)\n"
	"  -d, --daemon          headless: status lines and events on stdout\n"
	"      --replay FILE     browse a recorded database in the monitor's\n"
	"                        screens (space play/pause, +/- speed, [ ] "
	"events)\n"
	"  -t, --target HOST     ICMP target; repeat for several; replaces "
	"the\n"
	"                        configured list, gateway detection included\n"
	"  -i, --interface IF    probe through interface IF; repeat for "
	"several\n"
	"      --server NAME|HOST[:PORT]  only that configured server, or\n"
	"                        the first one at HOST:PORT (its key kept)\n"
	"      --interval MS     probe interval in milliseconds (default "
	"1000)\n"
	"      --duration S      stop by itself after S seconds\n"
	"      --no-db           keep nothing on disk (for a quick look)\n"
	"      --status-interval S  with -d: a status line per target every S\n"
	"                        seconds (default output.status_interval_s, "
	"60)\n"
	"      --syslog          with -d: log to syslog (logging.syslog)\n"
	"  -h, --help            this text\n"
	"  -V, --version         print the version\n"
	"\n"
	"Without -d, standard input and output must be a terminal.  On "
	"screen:\n"
	"  q quit, ? help and legend, Enter details, Esc back, Tab pane,\n"
	"  1-5 views (dashboard, drilldown, events, interfaces, path hop\n"
	"  by hop), j/k next/previous target, s sort rows, S one scale,\n"
	"  w window, L long views (24 h, 7 d, time of day), b bloat test,\n"
	"  p pause, / filter, c clear the event pane, t colour theme; the\n"
	"  mouse selects (click), opens (double-click) and scrolls.\n"
	"  NO_COLOR is honoured.\n";

static int parse_long(const char *text, long min, long max, const char *what,
		      long *out)
{
	char *end;
	errno = 0;
	long v = strtol(text, &end, 10);
	if (errno || end == text || *end || v < min || v > max) {
		fprintf(stderr,
			"bufferbane: %s must be a number from %ld to "
			"%ld, not '%s'\n",
			what, min, max, text);
		return -1;
	}
	*out = v;
	return 0;
}

int cmd_monitor(int argc, char **argv)
{
	enum {
		OPT_DB = 256,
		OPT_INTERVAL,
		OPT_DURATION,
		OPT_NO_DB,
		OPT_STATUS,
		OPT_REPLAY,
		OPT_SERVER,
		OPT_SYSLOG
	};
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "db", required_argument, NULL, OPT_DB },
		{ "daemon", no_argument, NULL, 'd' },
		{ "target", required_argument, NULL, 't' },
		{ "interface", required_argument, NULL, 'i' },
		{ "interval", required_argument, NULL, OPT_INTERVAL },
		{ "duration", required_argument, NULL, OPT_DURATION },
		{ "no-db", no_argument, NULL, OPT_NO_DB },
		{ "status-interval", required_argument, NULL, OPT_STATUS },
		{ "replay", required_argument, NULL, OPT_REPLAY },
		{ "server", required_argument, NULL, OPT_SERVER },
		{ "syslog", no_argument, NULL, OPT_SYSLOG },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	struct monitor_options opt;
	const char *replay = NULL;
	monitor_options_init(&opt);
	int c;
	long v;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":c:dt:i:hV", longopts, NULL)) !=
	       -1) {
		switch (c) {
		case 'c':
			opt.config_path = optarg;
			break;
		case OPT_DB:
			opt.db_path = optarg;
			break;
		case OPT_NO_DB:
			opt.no_db = true;
			break;
		case 'd':
			opt.headless = true;
			break;
		case 't':
			if (opt.n_targets == MONITOR_MAX_CLI_ITEMS) {
				fprintf(stderr,
					"bufferbane: at most %d -t "
					"targets\n",
					MONITOR_MAX_CLI_ITEMS);
				return CMD_EXIT_USAGE;
			}
			opt.targets[opt.n_targets++] = optarg;
			break;
		case 'i':
			if (opt.n_interfaces == MONITOR_MAX_CLI_ITEMS) {
				fprintf(stderr,
					"bufferbane: at most %d -i "
					"interfaces\n",
					MONITOR_MAX_CLI_ITEMS);
				return CMD_EXIT_USAGE;
			}
			opt.interfaces[opt.n_interfaces++] = optarg;
			break;
		case OPT_INTERVAL:
			if (parse_long(optarg, 10, 3600000, "--interval", &v))
				return CMD_EXIT_USAGE;
			opt.interval_ms = (int)v;
			break;
		case OPT_DURATION:
			if (parse_long(optarg, 1, 365L * 86400, "--duration",
				       &v))
				return CMD_EXIT_USAGE;
			opt.duration_s = v;
			break;
		case OPT_STATUS:
			if (parse_long(optarg, 1, 86400, "--status-interval",
				       &v))
				return CMD_EXIT_USAGE;
			opt.status_interval_s = (int)v;
			break;
		case OPT_REPLAY:
			replay = optarg;
			break;
		case OPT_SERVER:
			opt.server = optarg;
			break;
		case OPT_SYSLOG:
			opt.syslog = true;
			break;
		case 'h':
			cmd_usage(stdout);
			return 0;
		case 'V':
			printf("bufferbane %s\n", BB_VERSION);
			return 0;
		case ':':
			fprintf(stderr,
				"bufferbane: option '%s' needs a value "
				"(see bufferbane --help)\n",
				argv[optind - 1]);
			return CMD_EXIT_USAGE;
		default:
			fprintf(stderr,
				"bufferbane: unknown option '%s' (see "
				"bufferbane --help)\n",
				argv[optind - 1]);
			return CMD_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr,
			"bufferbane: unexpected argument '%s' (see "
			"bufferbane --help)\n",
			argv[optind]);
		return CMD_EXIT_USAGE;
	}
	if (replay) {
		if (opt.headless || opt.n_targets || opt.n_interfaces ||
		    opt.db_path || opt.interval_ms || opt.duration_s ||
		    opt.server || opt.syslog) {
			fprintf(stderr, "bufferbane: --replay takes only the "
					"database file (see bufferbane "
					"--help)\n");
			return CMD_EXIT_USAGE;
		}
		return app_replay(replay);
	}
	if (opt.headless)
		return headless_main(&opt);
	return app_live(&opt);
}
