// SPDX-License-Identifier: MIT
/*
 * bufferbane export: every sample of a period as CSV or JSON
 * (core/store/export.c), to stdout or atomically to a file.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui/cmd.h"
#include "core/store/export.h"
#include "core/store/history.h"
#include "core/store/store.h"

static const char export_help[] =
	"usage: bufferbane export --format csv|json [--last SPAN | --start T "
	"[--end T]]\n"
	"       [--interface I] [--target T] [-o FILE] [-c FILE] [--db "
	"FILE]\n"
	"Every sample of a period, one row each: the column time (ISO-8601 "
	"local\n"
	"time with its offset), then the columns of the measurements view "
	"in its\n"
	"order (timestamp is Unix ms).  CSV per RFC 4180 with a header "
	"row, or\n"
	"one JSON array of objects; read an hour at a time, so any period "
	"fits\n"
	"in constant memory.\n"
	"  --format F      csv or json (required)\n"
	"  --last SPAN     the period up to now: 90s, 15m, 24h, 7d, 2w\n"
	"                  or a sum like 1h30m (default 24h)\n"
	"  --start T, --end T  the period from T to T (end default: now);\n"
	"                  T is YYYY-MM-DD[ HH:MM[:SS]] in local time\n"
	"  --interface I   only samples sent on interface I\n"
	"  --target T      only samples of target T (a host, or a server's "
	"name)\n"
	"  -o, --output FILE  write FILE atomically (complete or not at "
	"all);\n"
	"                  - or none: stdout\n"
	"  -c, --config FILE  configuration (for general.database_path)\n"
	"      --db FILE   the database to read (opened read-only)\n"
	"Exit status: 0 success, 1 runtime failure, 2 bad usage or input.\n";

static int any_row(void *ctx, const struct store_agg *row)
{
	(void)ctx;
	(void)row;
	return 1;
}

static int export_usage(const char *what, const char *arg)
{
	fprintf(stderr,
		"bufferbane export: %s '%s' (see bufferbane export --help)\n",
		what, arg);
	return CMD_EXIT_USAGE;
}

int cmd_export(int argc, char **argv)
{
	enum { O_DB = 256, O_LAST, O_START, O_END, O_FORMAT, O_IFACE, O_TGT };
	static const struct option lo[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "db", required_argument, NULL, O_DB },
		{ "last", required_argument, NULL, O_LAST },
		{ "start", required_argument, NULL, O_START },
		{ "end", required_argument, NULL, O_END },
		{ "format", required_argument, NULL, O_FORMAT },
		{ "interface", required_argument, NULL, O_IFACE },
		{ "target", required_argument, NULL, O_TGT },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	const char *conf = NULL, *db = NULL, *out = NULL;
	const char *last = NULL, *start = NULL, *end = NULL;
	struct export_filter flt = { NULL, NULL };
	int fmt = -1, c;
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
		case O_IFACE:
			if (!optarg[0])
				return export_usage("--interface wants a name, "
						    "not",
						    optarg);
			flt.interface = optarg;
			break;
		case O_TGT:
			if (!optarg[0])
				return export_usage("--target wants a name, "
						    "not",
						    optarg);
			flt.target = optarg;
			break;
		case 'o':
			out = optarg;
			break;
		case O_FORMAT:
			fmt = export_format_from_name(optarg);
			if (fmt < 0)
				return export_usage("unknown format (csv or "
						    "json)",
						    optarg);
			break;
		case 'h':
			fputs(export_help, stdout);
			return 0;
		case 'V':
			printf("bufferbane %s\n", BB_VERSION);
			return 0;
		case ':':
			return export_usage("option needs a value",
					    argv[optind - 1]);
		default:
			return export_usage("unknown option", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return export_usage("unexpected argument", argv[optind]);
	if (fmt < 0) {
		fprintf(stderr, "bufferbane export: --format csv or --format "
				"json is required\n");
		return CMD_EXIT_USAGE;
	}
	int64_t span, from, to;
	int rc = cmd_period("export", last, start, end, 86400000LL, &from, &to,
			    &span);
	if (rc)
		return rc;
	struct store *st;
	if ((rc = cmd_open_db("export", conf, &db, &st, NULL)))
		return rc;
	char err[1024], val[32];
	int64_t rows;
	/* retention or cleanup deleted the raw samples before this: the
	 * period's start gives fewer rows (or none) than `stats` counts */
	int64_t gone =
		store_meta_get(st, "raw_deleted_before", val, sizeof(val)) == 0
			? strtoll(val, NULL, 10)
			: 0;
	/* the hourly rollups of the deleted part, if any, say what it held */
	bool rolled =
		gone > from &&
		store_read_aggs(st, STORE_AGG_1HOUR, from - from % 3600000,
				gone < to ? gone : to, any_row, NULL) == 1;
	if (out && strcmp(out, "-"))
		rows = export_write_file(st, out, fmt, from, to, &flt, err,
					 sizeof(err));
	else
		rows = export_write(st, stdout, fmt, from, to, &flt, err,
				    sizeof(err));
	store_close(st);
	if (rows < 0) {
		fprintf(stderr, "bufferbane export: %s\n", err);
		return 1;
	}
	if (gone > from) {
		history_format_time(gone, val, sizeof(val));
		fprintf(stderr,
			"bufferbane export: raw samples before %s were "
			"deleted (retention or cleanup); %s\n",
			val,
			rolled ? "the rollups remain: see bufferbane stats"
			       : "no hourly rollup of them remains");
	}
	/* a filter that matches nothing is most likely a typo: say so */
	if (rows == 0 && (flt.interface || flt.target))
		fprintf(stderr,
			"bufferbane export: no sample%s%s%s%s%s in the "
			"period\n",
			flt.interface ? " on interface " : "",
			flt.interface ? flt.interface : "",
			flt.target ? " of target " : "",
			flt.target ? flt.target : "", "");
	return 0;
}
