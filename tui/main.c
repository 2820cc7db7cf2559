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
#include <unistd.h>

#include "core/engine/headless.h"
#include "core/engine/monitor.h"
#include "tui/app.h"
#include "proto/key.h"
#include "core/base/config.h"     /* bloat */
#include "core/probe/probe_echo.h" /* bloat */
#include "proto/wire.h"	     /* bloat */
#include "core/base/clock.h"	     /* stats, report */
#include "core/store/history.h"    /* stats, report */
#include "core/store/report.h"     /* stats, report */
#include "core/store/store.h"	     /* stats, report */

#define EXIT_USAGE 2

static const char usage_text[] =
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
	"      --interval MS     probe interval in milliseconds (default "
	"1000)\n"
	"      --duration S      stop by itself after S seconds\n"
	"      --no-db           keep nothing on disk (for a quick look)\n"
	"      --status-interval S  with -d: a status line per target every S\n"
	"                        seconds (default output.status_interval_s, "
	"60)\n"
	"  -h, --help            this text\n"
	"  -V, --version         print the version\n"
	"\n"
	"Without -d, standard input and output must be a terminal.  On "
	"screen:\n"
	"  q quit, ? help, Enter details, Esc back, Tab pane, 1-4 views\n"
	"  (dashboard, drilldown, events, interfaces), w window, p pause,\n"
	"  / filter, c clear the event pane, t colour theme; NO_COLOR is "
	"honoured.\n"
	"\n"
	"Commands:\n"
	"  keygen                print a fresh shared secret (64 hex "
	"characters)\n"
	"                        for the companion server and its clients\n"
	"  bloat [--server NAME|HOST:PORT] [-c FILE]\n"
	"                        one bufferbloat test now against a "
	"configured\n"
	"                        companion server: idle and loaded RTT, grade, "
	"RPM\n"
	"  stats [--last 24h | --start T --end T] [--format text|json]\n"
	"                        figures per series, events, peak hours and a\n"
	"                        verdict over a recorded period\n"
	"  report [--last 7d | --start T --end T] [--format md|html] [-o "
	"FILE]\n"
	"                        the same as a Markdown or HTML document\n"
	"\n"
	"Exit status: 0 success, 1 runtime failure, 2 bad usage or "
	"configuration.\n";

static int cmd_keygen(int argc, char **argv)
{
	if (argc > 1) {
		if (strcmp(argv[1], "-h") == 0 ||
		    strcmp(argv[1], "--help") == 0) {
			printf("Usage: bufferbane keygen\n"
			       "Print a fresh 32-byte shared secret as 64 hex "
			       "characters.\nPut it in the server's and the "
			       "client's configuration (or a 0600 key "
			       "file).\n");
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
	explicit_bzero(hex, sizeof(hex));
	return 0;
}

/* --- bufferbane bloat (core/probe/probe_echo.c) --- */
struct bloat_progress {
	int tty;
	int last; /* enum bloat_phase, -1 before the first */
};

/* On stderr: a line per phase, and on a terminal a countdown. */
static void bloat_progress(void *ctx, enum bloat_phase ph, int64_t elapsed,
			   int64_t typical)
{
	static const char *const what[] = {
		[BLOAT_IDLE] = "measuring the idle latency",
		[BLOAT_UP] = "loading the upload",
		[BLOAT_DOWN] = "loading the download",
		[BLOAT_BOTH] = "loading both directions",
		[BLOAT_NPHASES] = "waiting for the line to drain",
	};
	struct bloat_progress *bp = ctx;
	double left = (double)(typical - elapsed) / 1e9;
	if ((int)ph != bp->last) {
		if (bp->tty)
			fputs("\r\033[K", stderr);
		fprintf(stderr, "bufferbane bloat: %s (%.0f s in)\n", what[ph],
			(double)elapsed / 1e9);
		bp->last = (int)ph;
	}
	if (bp->tty)
		fprintf(stderr, "\r\033[K  about %.0f s left",
			left > 0 ? left : 0);
}

static int cmd_bloat(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "server", required_argument, NULL, 's' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *server = NULL, *conf = NULL;
	int c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":s:c:h", lo, NULL)) != -1) {
		switch (c) {
		case 's':
			server = optarg;
			break;
		case 'c':
			conf = optarg;
			break;
		case 'h':
			printf("usage: bufferbane bloat [--server NAME|H:P] "
			       "[-c FILE]\n"
			       "One bufferbloat test now: idle and loaded RTT "
			       "(median, p95), increase, grade, RPM per "
			       "direction.\n");
			return 0;
		default:
			fprintf(stderr, "bufferbane bloat: bad option (see "
					"bufferbane bloat --help)\n");
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "bufferbane bloat: unexpected '%s'\n",
			argv[optind]);
		return EXIT_USAGE;
	}
	static struct bb_config cfg;
	char err[512];
	if (config_load(conf, &cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "bufferbane bloat: %s\n", err);
		return EXIT_USAGE;
	}
	if (wire_init() < 0)
		return 1;
	struct bloat_result r[3];
	int n = 0;
	struct bloat_plan plan;
	const char *ty = cfg.tests.bufferbloat.test_type;
	int kind = !strcmp(ty, "upload") ? 1 : !strcmp(ty, "download") ? 2 : 3;
	bloat_plan_of(cfg.tests.bufferbloat.test_duration_s, kind, &plan);
	fprintf(stderr,
		"bufferbane bloat: about %.0f s (%.0f s idle, then %d load "
		"phase%s of %.0f s: %s); the load saturates the line, e.g. "
		"~%.0f MB on 100/20 Mbit/s\n",
		(double)plan.typical_ns / 1e9, (double)plan.idle_ns / 1e9,
		plan.phases, plan.phases > 1 ? "s" : "",
		(double)plan.load_ns / 1e9,
		kind == 1   ? "upload"
		: kind == 2 ? "download"
			    : "upload, download, both",
		bloat_plan_bytes(&plan, kind, 20000, 100000) / 1e6);
	struct bloat_progress bp = { .tty = isatty(2), .last = -1 };
	int rc = probe_echo_bloat_now(&cfg, server, bloat_progress, &bp, r, &n,
				      err, sizeof(err));
	if (bp.tty)
		fputs("\r\033[K", stderr);
	config_wipe_secrets(&cfg);
	if (rc < 0) {
		fprintf(stderr, "bufferbane bloat: %s\n", err);
		return rc == -EINVAL ? EXIT_USAGE : 1;
	}
	printf("%-9s %10s %10s %10s %10s %10s %5s %6s %s\n", "direction",
	       "idle_p50", "idle_p95", "load_p50", "load_p95", "increase",
	       "grade", "rpm", "one-way (up/down increase)");
	for (int i = 0; i < n; i++) {
		char ow[64] = "-";
		if (r[i].up_inc_ns != BB_NONE)
			snprintf(ow, sizeof(ow), "%+.1f/%+.1f ms %s",
				 r[i].up_inc_ns / 1e6, r[i].down_inc_ns / 1e6,
				 r[i].blame);
		printf("%-9s %7.3f ms %7.3f ms %7.3f ms %7.3f ms %7.3f ms "
		       "%5s %6.0f %s\n",
		       bloat_phase_name(r[i].phase), r[i].idle_p50_ns / 1e6,
		       r[i].idle_p95_ns / 1e6, r[i].loaded_p50_ns / 1e6,
		       r[i].loaded_p95_ns / 1e6, r[i].increase_ns / 1e6,
		       r[i].grade, r[i].rpm, ow);
	}
	char advice[400];
	bloat_advice(r, n, advice, sizeof(advice));
	printf("\n%s\n", advice);
	return 0;
}
/* --- end bufferbane bloat --- */

/* --- bufferbane stats / report (core/store/history.c, core/store/report.c) --- */
static const char hist_help[] =
	"usage: bufferbane %s [--last SPAN | --start T [--end T]]\n"
	"       [--format %s] %s[-c FILE] [--db FILE]\n"
	"%s\n"
	"  --last SPAN     the period up to now: 90s, 15m, 24h, 7d "
	"(default %s)\n"
	"  --start T, --end T  the period from T to T (end default: now);\n"
	"                  T is YYYY-MM-DD[ HH:MM[:SS]] in local time\n"
	"  --format F      %s (default %s)\n"
	"%s"
	"  -c, --config FILE  configuration (for general.database_path)\n"
	"      --db FILE   the database to read (opened read-only)\n"
	"Periods longer than the raw-sample budget take their percentiles\n"
	"for whole hours from the hourly rollups, marked ~ (exact otherwise).\n"
	"Exit status: 0 success, 1 runtime failure, 2 bad usage or input.\n";

static int hist_usage(const char *cmd, const char *what, const char *arg)
{
	fprintf(stderr, "bufferbane %s: %s '%s' (see bufferbane %s --help)\n",
		cmd, what, arg, cmd);
	return EXIT_USAGE;
}

static int cmd_history(int argc, char **argv, bool report)
{
	enum { O_DB = 256, O_LAST, O_START, O_END, O_FORMAT };
	static const struct option lo[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "db", required_argument, NULL, O_DB },
		{ "last", required_argument, NULL, O_LAST },
		{ "start", required_argument, NULL, O_START },
		{ "end", required_argument, NULL, O_END },
		{ "format", required_argument, NULL, O_FORMAT },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	const char *cmd = argv[0], *conf = NULL, *db = NULL, *out = NULL;
	const char *last = NULL, *start = NULL, *end = NULL;
	int fmt = report ? REPORT_MD : REPORT_TEXT, c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, report ? ":c:o:hV" : ":c:hV", lo,
				NULL)) != -1) {
		switch (c) {
		case 'c':
			conf = optarg;
			break;
		case O_DB:
			db = optarg;
			break;
		case O_LAST:
			last = optarg;
			break;
		case O_START:
			start = optarg;
			break;
		case O_END:
			end = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case O_FORMAT:
			fmt = report_format_from_name(optarg);
			if ((report && fmt != REPORT_MD &&
			     fmt != REPORT_HTML) ||
			    (!report && fmt != REPORT_TEXT &&
			     fmt != REPORT_JSON))
				return hist_usage(cmd, "unknown format",
						  optarg);
			break;
		case 'h':
			printf(hist_help, cmd, report ? "md|html" : "text|json",
			       report ? "[-o FILE] " : "",
			       report ? "A report of a recorded period for "
					"your ISP: verdict first, then per-"
					"series\ndelay and loss, throughput, "
					"bufferbloat, peak hours and every "
					"event."
				      : "Figures of a recorded period: per-"
					"series delay and loss, throughput,\n"
					"bufferbloat, events (the 10 worst), "
					"peak hours and a verdict.",
			       report ? "7d" : "24h",
			       report ? "md or html" : "text or json",
			       report ? "md" : "text",
			       report ? "  -o, --output FILE  write FILE "
					"(atomically) instead of stdout\n"
				      : "");
			return 0;
		case 'V':
			printf("bufferbane %s\n", BB_VERSION);
			return 0;
		case ':':
			return hist_usage(cmd, "option needs a value",
					  argv[optind - 1]);
		default:
			return hist_usage(cmd, "unknown option",
					  argv[optind - 1]);
		}
	}
	if (optind < argc)
		return hist_usage(cmd, "unexpected argument", argv[optind]);

	int64_t now = clock_real_ns() / BB_NS_PER_MS, span = 0, from, to = now;
	if (last && (start || end)) {
		fprintf(stderr,
			"bufferbane %s: give --last or --start/--end, "
			"not both\n",
			cmd);
		return EXIT_USAGE;
	}
	if (last && history_parse_last(last, &span) < 0)
		return hist_usage(cmd,
				  "--last wants a span like 90s, 15m, "
				  "24h or 7d, not",
				  last);
	if (start && history_parse_time(start, &from) < 0)
		return hist_usage(cmd,
				  "--start wants YYYY-MM-DD[ HH:MM[:SS]], "
				  "not",
				  start);
	if (end && history_parse_time(end, &to) < 0)
		return hist_usage(cmd,
				  "--end wants YYYY-MM-DD[ HH:MM[:SS]], "
				  "not",
				  end);
	if (end && !start) {
		fprintf(stderr, "bufferbane %s: --end needs --start\n", cmd);
		return EXIT_USAGE;
	}
	if (!start) {
		span = span ? span : (report ? 7 : 1) * 86400000LL;
		from = now - span;
	} else if (from >= to) {
		fprintf(stderr,
			"bufferbane %s: --start %s is not before "
			"--end %s\n",
			cmd, start, end ? end : "(now)");
		return EXIT_USAGE;
	}

	static struct bb_config cfg;
	char err[1024];
	if ((conf || !db) && config_load(conf, &cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "bufferbane %s: %s\n", cmd, err);
		return EXIT_USAGE;
	}
	config_wipe_secrets(&cfg);
	if (!db)
		db = cfg.general.database_path;
	struct store *st;
	int rc = history_open(db, &st, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "bufferbane %s: %s\n", cmd, err);
		return rc == -ENOENT || rc == -EILSEQ ? EXIT_USAGE : 1;
	}
	int64_t first, lastms;
	if (store_time_range(st, &first, &lastms) == -ENOENT) {
		fprintf(stderr, "bufferbane %s: %s: no samples recorded yet\n",
			cmd, db);
		store_close(st);
		return 1;
	}
	static struct history_summary sum;
	rc = history_summarize(st, from, to, HISTORY_AUTO, &sum);
	if (rc < 0)
		fprintf(stderr, "bufferbane %s: %s\n", cmd,
			store_last_error(st)[0] ? store_last_error(st)
						: strerror(-rc));
	store_close(st);
	if (rc == 0 && !start)
		history_span_text(span, sum.span, sizeof(sum.span));
	if (rc == 0) {
		if (out)
			rc = report_write_file(out, &sum, fmt, db, err,
					       sizeof(err));
		else if ((rc = report_write(stdout, &sum, fmt, db)) < 0)
			snprintf(err, sizeof(err), "writing to stdout failed");
		if (rc < 0)
			fprintf(stderr, "bufferbane %s: %s\n", cmd, err);
	}
	history_summary_fini(&sum);
	return rc < 0 ? 1 : 0;
}

static int cmd_stats(int argc, char **argv)
{
	return cmd_history(argc, argv, false);
}

static int cmd_report(int argc, char **argv)
{
	return cmd_history(argc, argv, true);
}
/* --- end bufferbane stats / report --- */

/* Sub-commands: adding one is a function and a row. */
static const struct command {
	const char *name;
	int (*run)(int argc, char **argv);
} commands[] = {
	{ "keygen", cmd_keygen },
	{ "bloat", cmd_bloat }, /* core/probe/probe_echo.c */
	{ "stats", cmd_stats }, /* core/store/history.c, core/store/report.c */
	{ "report", cmd_report },
};

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

int main(int argc, char **argv)
{
	if (argc > 1 && argv[1][0] != '-') {
		for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]);
		     i++)
			if (strcmp(argv[1], commands[i].name) == 0)
				return commands[i].run(argc - 1, argv + 1);
		fprintf(stderr,
			"bufferbane: unknown command '%s' (see bufferbane "
			"--help)\n",
			argv[1]);
		return EXIT_USAGE;
	}

	enum {
		OPT_DB = 256,
		OPT_INTERVAL,
		OPT_DURATION,
		OPT_NO_DB,
		OPT_STATUS,
		OPT_REPLAY
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
				return EXIT_USAGE;
			}
			opt.targets[opt.n_targets++] = optarg;
			break;
		case 'i':
			if (opt.n_interfaces == MONITOR_MAX_CLI_ITEMS) {
				fprintf(stderr,
					"bufferbane: at most %d -i "
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
		case OPT_REPLAY:
			replay = optarg;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		case 'V':
			printf("bufferbane %s\n", BB_VERSION);
			return 0;
		case ':':
			fprintf(stderr,
				"bufferbane: option '%s' needs a value "
				"(see bufferbane --help)\n",
				argv[optind - 1]);
			return EXIT_USAGE;
		default:
			fprintf(stderr,
				"bufferbane: unknown option '%s' (see "
				"bufferbane --help)\n",
				argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr,
			"bufferbane: unexpected argument '%s' (see "
			"bufferbane --help)\n",
			argv[optind]);
		return EXIT_USAGE;
	}
	if (replay) {
		if (opt.headless || opt.n_targets || opt.n_interfaces ||
		    opt.db_path || opt.interval_ms || opt.duration_s) {
			fprintf(stderr, "bufferbane: --replay takes only the "
					"database file (see bufferbane "
					"--help)\n");
			return EXIT_USAGE;
		}
		return app_replay(replay);
	}
	if (opt.headless)
		return headless_main(&opt);
	return app_live(&opt);
}
