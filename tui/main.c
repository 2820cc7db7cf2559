// SPDX-License-Identifier: MIT
/*
 * bufferbane: the entry point.  Parses the command line (INTERFACES.md
 * "Programs and commands"), then runs the live monitor (ncurses or, with -d,
 * headless) or one of the sub-commands from the table below.  Exit codes:
 * 0 success, 1 runtime failure, 2 bad usage, configuration or input.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/headless.h"
#include "core/monitor.h"
#include "proto/key.h"

#define EXIT_USAGE 2

static const char usage_text[] =
	"Usage: bufferbane [OPTIONS]            live network-quality monitor\n"
	"       bufferbane -d [OPTIONS]         the same engine, headless\n"
	"       bufferbane COMMAND [ARGS]       see COMMANDS\n"
	"\n"
	"Bufferbane probes your line every second (ICMP, DNS, TCP connect and,\n"
	"with a companion server, UDP echo, throughput and bufferbloat tests),\n"
	"keeps every sample in SQLite and names what is wrong in plain words.\n"
	"\n"
	"Options:\n"
	"  -c, --config FILE     configuration file (default: search\n"
	"                        $XDG_CONFIG_HOME/bufferbane/bufferbane.conf,\n"
	"                        then /etc/bufferbane/bufferbane.conf)\n"
	"      --db FILE         database file (overrides general.database_path)\n"
	"  -d, --daemon          headless: status lines and events on stdout\n"
	"  -t, --target HOST     ICMP target; repeat for several; replaces the\n"
	"                        configured list, gateway detection included\n"
	"  -i, --interface IF    probe through interface IF; repeat for several\n"
	"      --interval MS     probe interval in milliseconds (default 1000)\n"
	"      --duration S      stop by itself after S seconds\n"
	"      --no-db           keep nothing on disk (for a quick look)\n"
	"      --status-interval S  with -d: a status line per target every S\n"
	"                        seconds (default output.status_interval_s, 60)\n"
	"  -h, --help            this text\n"
	"  -V, --version         print the version\n"
	"\n"
	"Commands:\n"
	"  keygen                print a fresh shared secret (64 hex characters)\n"
	"                        for the companion server and its clients\n"
	"\n"
	"Exit status: 0 success, 1 runtime failure, 2 bad usage or configuration.\n";

static int cmd_keygen(int argc, char **argv)
{
	if (argc > 1) {
		if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
			printf("Usage: bufferbane keygen\n"
			       "Print a fresh 32-byte shared secret as 64 hex "
			       "characters.\nPut it in the server's and the "
			       "client's configuration (or a 0600 key file).\n");
			return 0;
		}
		fprintf(stderr, "bufferbane keygen: unexpected argument '%s'\n",
			argv[1]);
		return EXIT_USAGE;
	}
	uint8_t key[32];
	char hex[65];
	key_generate(key);
	key_format_hex(key, hex);
	key_wipe(key);
	printf("%s\n", hex);
	return 0;
}

/* Sub-commands: adding one is a function and a row. */
static const struct command {
	const char *name;
	int (*run)(int argc, char **argv);
} commands[] = {
	{"keygen", cmd_keygen},
};

static int parse_long(const char *text, long min, long max, const char *what,
		      long *out)
{
	char *end;
	errno = 0;
	long v = strtol(text, &end, 10);
	if (errno || end == text || *end || v < min || v > max) {
		fprintf(stderr, "bufferbane: %s must be a number from %ld to "
				"%ld, not '%s'\n",
			what, min, max, text);
		return -1;
	}
	*out = v;
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 1 && argv[1][0] != '-') {
		for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
			if (strcmp(argv[1], commands[i].name) == 0)
				return commands[i].run(argc - 1, argv + 1);
		fprintf(stderr,
			"bufferbane: unknown command '%s' (see bufferbane "
			"--help)\n",
			argv[1]);
		return EXIT_USAGE;
	}

	enum { OPT_DB = 256, OPT_INTERVAL, OPT_DURATION, OPT_NO_DB, OPT_STATUS };
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'},
		{"db", required_argument, NULL, OPT_DB},
		{"daemon", no_argument, NULL, 'd'},
		{"target", required_argument, NULL, 't'},
		{"interface", required_argument, NULL, 'i'},
		{"interval", required_argument, NULL, OPT_INTERVAL},
		{"duration", required_argument, NULL, OPT_DURATION},
		{"no-db", no_argument, NULL, OPT_NO_DB},
		{"status-interval", required_argument, NULL, OPT_STATUS},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{0},
	};
	struct monitor_options opt;
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
				fprintf(stderr, "bufferbane: at most %d -t "
						"targets\n",
					MONITOR_MAX_CLI_ITEMS);
				return EXIT_USAGE;
			}
			opt.targets[opt.n_targets++] = optarg;
			break;
		case 'i':
			if (opt.n_interfaces == MONITOR_MAX_CLI_ITEMS) {
				fprintf(stderr, "bufferbane: at most %d -i "
						"interfaces\n",
					MONITOR_MAX_CLI_ITEMS);
				return EXIT_USAGE;
			}
			opt.interfaces[opt.n_interfaces++] = optarg;
			break;
		case OPT_INTERVAL:
			if (parse_long(optarg, 10, 3600000, "--interval", &v))
				return EXIT_USAGE;
			opt.interval_ms = (int)v;
			break;
		case OPT_DURATION:
			if (parse_long(optarg, 1, 365L * 86400, "--duration",
				       &v))
				return EXIT_USAGE;
			opt.duration_s = v;
			break;
		case OPT_STATUS:
			if (parse_long(optarg, 1, 86400, "--status-interval",
				       &v))
				return EXIT_USAGE;
			opt.status_interval_s = (int)v;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		case 'V':
			printf("bufferbane %s\n", BB_VERSION);
			return 0;
		case ':':
			fprintf(stderr, "bufferbane: option '%s' needs a value "
					"(see bufferbane --help)\n",
				argv[optind - 1]);
			return EXIT_USAGE;
		default:
			fprintf(stderr, "bufferbane: unknown option '%s' (see "
					"bufferbane --help)\n",
				argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "bufferbane: unexpected argument '%s' (see "
				"bufferbane --help)\n",
			argv[optind]);
		return EXIT_USAGE;
	}
	if (opt.headless)
		return headless_main(&opt);
	fprintf(stderr, "bufferbane: the ncurses monitor is not part of this "
			"build yet; run the headless monitor with -d\n");
	return 1;
}
