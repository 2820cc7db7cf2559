// SPDX-License-Identifier: MIT
/*
 * bufferbane chart and bufferbane charts: a recorded period drawn as one
 * chart (PNG, SVG or an interactive HTML page, by the output's extension)
 * or as every chart kind into a folder.  The database is read once,
 * read-only (core/chart/chart_data.c); size and style come from the
 * configuration's export section unless given here.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tui/cmd.h"
#include "core/base/afile.h"
#include "core/base/clock.h"
#include "core/base/config.h"
#include "core/chart/chart_data.h"
#include "core/chart/chart_draw.h"
#include "core/chart/chart_html.h"
#include "core/store/history.h"
#include "core/store/store.h"

static const char chart_help[] =
	"usage: bufferbane chart [KIND] [--last SPAN | --start T [--end T]]\n"
	"       [--target T] [--interface I] [--segments N] -o FILE\n"
	"       [--width W] [--height H] [--style light|dark] [-c FILE] "
	"[--db FILE]\n"
	"One chart of a recorded period: FILE.png, FILE.svg or FILE.html "
	"(interactive).\n"
	"  KIND            latency_over_time (default), jitter_over_time,\n"
	"                  packet_loss_over_time, throughput_over_time,\n"
	"                  latency_distribution, connection_comparison,\n"
	"                  daily_heatmap, bufferbloat_impact, latency_vs_load\n"
	"                  (the delay probes' RTT by the interface's traffic\n"
	"                  in their second, upload and download; needs\n"
	"                  tests.traffic; HTML: the drawing, no script)\n";
static const char charts_help[] =
	"usage: bufferbane charts [--last SPAN | --start T [--end T]]\n"
	"       [--target T] [--interface I] [--segments N] --output-dir DIR\n"
	"       [--width W] [--height H] [--style light|dark] [-c FILE] "
	"[--db FILE]\n"
	"Every chart kind of a recorded period as DIR/KIND.png.\n";
static const char common_help[] =
	"  --last SPAN     the period up to now: 90s, 15m, 24h, 7d, 2w\n"
	"                  or a sum like 1h30m (default 24h)\n"
	"  --start T, --end T  the period from T to T (end default: now);\n"
	"                  T is YYYY-MM-DD[ HH:MM[:SS]] in local time\n"
	"  --target T, --interface I  only the series of that target or "
	"interface\n"
	"  --segments N    buckets across the period (default: one per "
	"pixel\n"
	"                  column of the plot)\n"
	"  --width W, --height H, --style S  override export.chart_width,\n"
	"                  export.chart_height, export.chart_style\n"
	"  -c, --config FILE  configuration (database path, export.*)\n"
	"      --db FILE   the database to read (opened read-only)\n"
	"Where raw samples were deleted the charts use the rollups (the "
	"subtitle\nsays so).  Files are written atomically.\n"
	"Exit status: 0 success, 1 runtime failure, 2 bad usage or input.\n";

static int usage(const char *cmd, const char *what, const char *arg)
{
	fprintf(stderr, "bufferbane %s: %s '%s' (see bufferbane %s --help)\n",
		cmd, what, arg, cmd);
	return CMD_EXIT_USAGE;
}

static int bad_kind(const char *cmd, const char *name)
{
	fprintf(stderr,
		"bufferbane %s: unknown chart kind '%s'; the kinds: ", cmd,
		name);
	for (int k = 0; k < CHART_KIND_COUNT; k++)
		fprintf(stderr, "%s%s", k ? ", " : "", chart_kind_name(k));
	fputc('\n', stderr);
	return CMD_EXIT_USAGE;
}

static int parse_int(const char *s, int lo, int hi, int *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return -EINVAL;
	*out = (int)v;
	return 0;
}

/* The HTML chart into path, atomically like the others. */
static int write_html(const struct chart_data *d, enum chart_kind kind,
		      const char *style, const char *path, char *err,
		      size_t errlen)
{
	struct afile a;
	int rc = afile_open(&a, path);
	if (rc < 0) {
		snprintf(err, errlen, "%s: cannot write: %s", path,
			 strerror(-rc));
		return rc;
	}
	char why[256] = "";
	rc = afile_close(&a, chart_html_write_style(d, kind, style, a.f, why,
						    sizeof(why)));
	if (rc < 0)
		snprintf(err, errlen, "%s: %s", path,
			 why[0] ? why : strerror(-rc));
	return rc;
}

static int run(int argc, char **argv, bool all)
{
	enum {
		O_DB = 256,
		O_LAST,
		O_START,
		O_END,
		O_TARGET,
		O_IFACE,
		O_SEGMENTS,
		O_WIDTH,
		O_HEIGHT,
		O_STYLE,
		O_DIR,
	};
	static const struct option lo[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "db", required_argument, NULL, O_DB },
		{ "last", required_argument, NULL, O_LAST },
		{ "start", required_argument, NULL, O_START },
		{ "end", required_argument, NULL, O_END },
		{ "target", required_argument, NULL, O_TARGET },
		{ "interface", required_argument, NULL, O_IFACE },
		{ "segments", required_argument, NULL, O_SEGMENTS },
		{ "width", required_argument, NULL, O_WIDTH },
		{ "height", required_argument, NULL, O_HEIGHT },
		{ "style", required_argument, NULL, O_STYLE },
		{ "output", required_argument, NULL, 'o' },
		{ "output-dir", required_argument, NULL, O_DIR },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	const char *cmd = argv[0], *conf = NULL, *db = NULL, *out = NULL;
	const char *last = NULL, *start = NULL, *end = NULL, *dir = NULL;
	const char *style = NULL;
	struct chart_query q = { 0 };
	int width = 0, height = 0, c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":c:o:hV", lo, NULL)) != -1) {
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
		case O_TARGET:
			q.target = optarg;
			break;
		case O_IFACE:
			q.interface = optarg;
			break;
		case O_SEGMENTS:
			if (parse_int(optarg, 1, 20000, &q.segments) < 0)
				return usage(cmd,
					     "--segments wants 1 to 20000, not",
					     optarg);
			break;
		case O_WIDTH:
			if (parse_int(optarg, 100, 20000, &width) < 0)
				return usage(cmd,
					     "--width wants 100 to 20000, not",
					     optarg);
			break;
		case O_HEIGHT:
			if (parse_int(optarg, 100, 20000, &height) < 0)
				return usage(cmd,
					     "--height wants 100 to 20000, not",
					     optarg);
			break;
		case O_STYLE:
			if (chart_style_from_name(optarg) < 0)
				return usage(cmd,
					     "--style wants light or dark, not",
					     optarg);
			style = optarg;
			break;
		case 'o':
			if (all)
				return usage(cmd, "unknown option", "-o");
			out = optarg;
			break;
		case O_DIR:
			if (!all)
				return usage(cmd, "unknown option",
					     "--output-dir");
			dir = optarg;
			break;
		case 'h':
			fputs(all ? charts_help : chart_help, stdout);
			fputs(common_help, stdout);
			return 0;
		case 'V':
			printf("bufferbane %s\n", BB_VERSION);
			return 0;
		case ':':
			return usage(cmd, "option needs a value",
				     argv[optind - 1]);
		default:
			return usage(cmd, "unknown option", argv[optind - 1]);
		}
	}
	int kind = CHART_LATENCY_OVER_TIME, fmt = CHART_PNG;
	if (!all && optind < argc &&
	    (kind = chart_kind_from_name(argv[optind++])) < 0)
		return bad_kind(cmd, argv[optind - 1]);
	if (optind < argc)
		return usage(cmd, "unexpected argument", argv[optind]);
	if (!all && !out) {
		fprintf(stderr,
			"bufferbane chart: say where: -o FILE.png, FILE.svg "
			"or FILE.html\n");
		return CMD_EXIT_USAGE;
	}
	if (all && !dir) {
		fprintf(stderr, "bufferbane charts: say where: --output-dir "
				"DIR\n");
		return CMD_EXIT_USAGE;
	}
	if (out) {
		const char *dot = strrchr(out, '.');
		fmt = chart_format_from_path(out);
		if (fmt < 0 && !(dot && !strcasecmp(dot, ".html")))
			return usage(cmd,
				     "the output must end in .png, .svg or "
				     ".html:",
				     out);
	}

	int64_t span, from, to;
	int rc = cmd_period(cmd, last, start, end, 86400000LL, &from, &to,
			    &span);
	if (rc)
		return rc;
	q.from_ms = from;
	q.to_ms = to;

	char err[1024];
	struct store *st;
	const struct bb_config *cfg;
	if ((rc = cmd_open_db(cmd, conf, &db, &st, &cfg)))
		return rc;
	struct chart_opts o = {
		.width = width ? width : cfg->export.chart_width,
		.height = height ? height : cfg->export.chart_height,
		.style = chart_style_from_name(style ? style
						     : cfg->export.chart_style),
	};
	if (o.width < 100 || o.height < 100)
		o = (struct chart_opts){ 1200, 600, CHART_STYLE_LIGHT };
	if ((int)o.style < 0)
		o.style = CHART_STYLE_LIGHT;
	if (!q.segments)
		q.segments = chart_plot_width(&o);
	q.without_load = !all && kind != CHART_LATENCY_VS_LOAD;
	if (dir && mkdir(dir, 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "bufferbane %s: %s: %s\n", cmd, dir,
			strerror(errno));
		store_close(st);
		return 1;
	}

	static struct chart_data d;
	rc = chart_data_load(st, &q, &d, err, sizeof(err));
	store_close(st);
	if (rc == -ENOENT) {
		char a[32], b[32];
		history_format_time(from, a, sizeof(a));
		history_format_time(to, b, sizeof(b));
		fprintf(stderr,
			"bufferbane %s: nothing recorded from %s to %s%s%s%s%s "
			"in %s\n",
			cmd, a, b, q.target ? " for target " : "",
			q.target ? q.target : "",
			q.interface ? " on interface " : "",
			q.interface ? q.interface : "", db);
		chart_data_free(&d);
		return 1;
	}
	if (rc < 0) {
		fprintf(stderr, "bufferbane %s: %s: %s\n", cmd, db, err);
		return 1;
	}
	/* an empty latency_vs_load says why in the chart; here too, as
	 * the reason is a setting */
	const char *why = chart_load_missing(&d);
	if (why && (all || kind == CHART_LATENCY_VS_LOAD))
		fprintf(stderr, "bufferbane %s: latency_vs_load: %s\n", cmd,
			why);
	if (!all) {
		if (fmt < 0)
			rc = write_html(&d, kind,
					style ? style : cfg->export.chart_style,
					out, err, sizeof(err));
		else
			rc = chart_draw_file(&d, kind, &o, out, err,
					     sizeof(err));
		if (rc < 0)
			fprintf(stderr, "bufferbane %s: %s\n", cmd, err);
	}
	for (int k = 0; all && k < CHART_KIND_COUNT && rc == 0; k++) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s.png", dir,
			 chart_kind_name(k));
		if ((rc = chart_draw_file(&d, k, &o, path, err, sizeof(err))) <
		    0)
			fprintf(stderr, "bufferbane %s: %s\n", cmd, err);
		else
			printf("%s\n", path);
	}
	chart_data_free(&d);
	return rc < 0 ? 1 : 0;
}

int cmd_chart(int argc, char **argv)
{
	return run(argc, argv, false);
}

int cmd_charts(int argc, char **argv)
{
	return run(argc, argv, true);
}
