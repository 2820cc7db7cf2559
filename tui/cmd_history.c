// SPDX-License-Identifier: MIT
/*
 * bufferbane stats and bufferbane report: one summary of a recorded period
 * (core/store/history.c), written as text or JSON by stats and as Markdown
 * or HTML by report (core/store/report.c).  The two differ only in their
 * formats, defaults and help, so they share this file.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "tui/cmd.h"
#include "core/base/clock.h"
#include "core/base/config.h"
#include "core/chart/chart_data.h"
#include "core/chart/chart_draw.h"
#include "core/store/history.h"
#include "core/store/report.h"
#include "core/store/store.h"

static const char hist_help[] =
	"usage: bufferbane %s [--last SPAN | --start T [--end T]]\n"
	"       [--format %s] %s[-c FILE] [--db FILE]\n"
	"%s\n"
	"  --last SPAN     the period up to now: 90s, 15m, 24h, 7d, 2w\n"
	"                  or a sum like 1h30m (default %s)\n"
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
	return CMD_EXIT_USAGE;
}

int cmd_period(const char *cmd, const char *last, const char *start,
	       const char *end, int64_t default_ms, int64_t *from, int64_t *to,
	       int64_t *span)
{
	int64_t now = clock_real_ns() / BB_NS_PER_MS;
	*span = 0;
	*to = now;
	if (last && (start || end)) {
		fprintf(stderr,
			"bufferbane %s: give --last or --start/--end, "
			"not both\n",
			cmd);
		return CMD_EXIT_USAGE;
	}
	int rc = last ? history_parse_last(last, span) : 0;
	if (rc == -ERANGE) {
		fprintf(stderr, "bufferbane %s: --last %s: at most %d days\n",
			cmd, last, HISTORY_LAST_MAX_DAYS);
		return CMD_EXIT_USAGE;
	}
	if (rc < 0)
		return hist_usage(cmd,
				  "--last wants a span like 90s, 15m, "
				  "24h, 7d, 2w or 1h30m, not",
				  last);
	if (start && history_parse_time(start, from) < 0)
		return hist_usage(cmd,
				  "--start wants YYYY-MM-DD[ HH:MM[:SS]], "
				  "not",
				  start);
	if (end && history_parse_time(end, to) < 0)
		return hist_usage(cmd,
				  "--end wants YYYY-MM-DD[ HH:MM[:SS]], "
				  "not",
				  end);
	if (end && !start) {
		fprintf(stderr, "bufferbane %s: --end needs --start\n", cmd);
		return CMD_EXIT_USAGE;
	}
	if (!start) {
		*span = *span ? *span : default_ms;
		*from = now - *span;
	} else if (*from >= *to) {
		fprintf(stderr,
			"bufferbane %s: --start %s is not before "
			"--end %s\n",
			cmd, start, end ? end : "(now)");
		return CMD_EXIT_USAGE;
	}
	return 0;
}

int cmd_open_db(const char *cmd, const char *conf, const char **db,
		struct store **st, const struct bb_config **cfg_out)
{
	static struct bb_config cfg;
	char err[1024];
	*st = NULL;
	config_defaults(&cfg);
	if (cfg_out)
		*cfg_out = &cfg;
	if ((conf || !*db) && config_load(conf, &cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "bufferbane %s: %s\n", cmd, err);
		return CMD_EXIT_USAGE;
	}
	config_wipe_secrets(&cfg);
	if (!*db)
		*db = cfg.general.database_path;
	int rc = history_open(*db, st, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "bufferbane %s: %s\n", cmd, err);
		return history_open_exit_code(rc);
	}
	return 0;
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

	int64_t span, from, to;
	int rc = cmd_period(cmd, last, start, end,
			    (report ? 7 : 1) * 86400000LL, &from, &to, &span);
	if (rc)
		return rc;
	struct store *st;
	const struct bb_config *cfgp;
	if ((rc = cmd_open_db(cmd, conf, &db, &st, &cfgp)))
		return rc;
	int64_t first, lastms;
	char gone[32];
	if (store_time_range(st, &first, &lastms) == -ENOENT &&
	    store_meta_get(st, "raw_deleted_before", gone, sizeof(gone)) < 0) {
		fprintf(stderr, "bufferbane %s: %s: no samples recorded yet\n",
			cmd, db);
		store_close(st);
		return 1;
	}
	static struct history_summary sum;
	char err[1024];
	rc = history_summarize(st, from, to, HISTORY_AUTO, &sum);
	/* a report carries its charts: inline in HTML, PNGs beside a
	 * Markdown file (none for Markdown on stdout) */
	static struct chart_data cd;
	struct report_charts ch = {
		.data = &cd,
		.width = cfgp->export.chart_width,
		.height = cfgp->export.chart_height,
		.style = chart_style_from_name(cfgp->export.chart_style),
	};
	bool charts = rc == 0 && report && (fmt == REPORT_HTML || out);
	if (charts) {
		/* the default 400 buckets: a week's inline SVG stays a
		 * few MB (one per pixel column would be 3 times that) */
		struct chart_query q = { .from_ms = from, .to_ms = to };
		charts = chart_data_load(st, &q, &cd, err, sizeof(err)) == 0;
	}
	if (rc < 0)
		fprintf(stderr, "bufferbane %s: %s\n", cmd,
			store_last_error(st)[0] ? store_last_error(st)
						: strerror(-rc));
	store_close(st);
	if (rc == 0 && !start)
		history_span_text(span, sum.span, sizeof(sum.span));
	if (rc == 0) {
		if (out)
			rc = report_write_file_charts(out, &sum, fmt, db,
						      charts ? &ch : NULL, err,
						      sizeof(err));
		else if ((rc = report_write_charts(stdout, &sum, fmt, db,
						   charts ? &ch : NULL)) < 0)
			snprintf(err, sizeof(err), "writing to stdout failed");
		else if (ch.rc < 0)
			snprintf(err, sizeof(err), "%s", ch.err), rc = ch.rc;
		if (rc < 0)
			fprintf(stderr, "bufferbane %s: %s\n", cmd, err);
	}
	history_summary_fini(&sum);
	chart_data_free(&cd);
	return rc < 0 ? 1 : 0;
}

int cmd_stats(int argc, char **argv)
{
	return cmd_history(argc, argv, false);
}

int cmd_report(int argc, char **argv)
{
	return cmd_history(argc, argv, true);
}
