// SPDX-License-Identifier: MIT
/*
 * bufferbane bloat: one bufferbloat test now against a configured companion
 * server (core/probe/probe_echo.c runs it), with its progress on stderr and
 * the figures per direction on stdout.
 */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tui/cmd.h"
#include "core/base/config.h"
#include "core/probe/conntype.h"
#include "core/probe/probe_echo.h"
#include "core/store/store.h"
#include "proto/wire.h"

struct bloat_progress {
	int tty;
	int last; /* enum bloat_phase, -1 before the first */
	int kind; /* 1 upload, 2 download, 3 both */
	struct bloat_plan plan;
};

/* What the test will take, said once the server has answered. */
static void bloat_announce(const struct bloat_progress *bp)
{
	const struct bloat_plan *plan = &bp->plan;
	fprintf(stderr,
		"bufferbane bloat: about %.0f s (%.0f s idle, then %d load "
		"phase%s of %.0f s: %s); the load saturates the line, e.g. "
		"~%.0f MB on 100/20 Mbit/s\n",
		(double)plan->typical_ns / 1e9, (double)plan->idle_ns / 1e9,
		plan->phases, plan->phases > 1 ? "s" : "",
		(double)plan->load_ns / 1e9,
		bp->kind == 1	? "upload"
		: bp->kind == 2 ? "download"
				: "upload, download, both",
		bloat_plan_bytes(plan, bp->kind, 20000, 100000) / 1e6);
}

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
	if (bp->last == -1)
		bloat_announce(bp);
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

/* The test's samples into the database db, as the monitor stores its
 * scheduled tests' (the measurements view, test_type bufferbloat). */
static int record(const char *db, const struct bb_config *cfg)
{
	struct bb_sample s[3];
	int n = probe_echo_bloat_samples(s);
	char err[512], type[CONFIG_NAME_LEN];
	struct store *st = store_open(db, STORE_RDWR, err, sizeof(err));

	if (!st) {
		fprintf(stderr, "bufferbane bloat: %s\n", err);
		return 1;
	}
	conntype_for(cfg, "", type, sizeof(type));
	store_set_connection_type(st, "", type);
	int rc = store_write_samples(st, s, (size_t)n);
	if (rc < 0)
		fprintf(stderr, "bufferbane bloat: %s\n", store_last_error(st));
	else
		fprintf(stderr, "bufferbane bloat: %d result%s stored in %s\n",
			n, n == 1 ? "" : "s", db);
	store_close(st);
	return rc < 0 ? 1 : 0;
}

int cmd_bloat(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "server", required_argument, NULL, 's' },
		{ "config", required_argument, NULL, 'c' },
		{ "db", required_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	const char *server = NULL, *conf = NULL, *db = NULL;
	int c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":s:c:hV", lo, NULL)) != -1) {
		switch (c) {
		case 's':
			server = optarg;
			break;
		case 'c':
			conf = optarg;
			break;
		case 'D':
			db = optarg;
			break;
		case 'h':
			printf("usage: bufferbane bloat [--server "
			       "NAME|HOST[:PORT]] "
			       "[-c FILE] [--db FILE]\n"
			       "One bufferbloat test now: idle and loaded RTT "
			       "(median, p95), increase, grade, RPM per "
			       "direction.\n"
			       "  --server NAME      a configured server "
			       "(default: the first)\n"
			       "  --server HOST[:PORT]  that address with the "
			       "first configured server's key\n"
			       "  -c, --config FILE  configuration (servers, "
			       "tests.bufferbloat)\n"
			       "      --db FILE      also store the results in "
			       "FILE, as the monitor does\n");
			return 0;
		case 'V':
			printf("bufferbane %s\n", BB_VERSION);
			return 0;
		case ':':
			fprintf(stderr,
				"bufferbane bloat: option '%s' needs a value "
				"(see bufferbane bloat --help)\n",
				argv[optind - 1]);
			return CMD_EXIT_USAGE;
		default:
			fprintf(stderr,
				"bufferbane bloat: unknown option '%s' (see "
				"bufferbane bloat --help)\n",
				argv[optind - 1]);
			return CMD_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "bufferbane bloat: unexpected '%s'\n",
			argv[optind]);
		return CMD_EXIT_USAGE;
	}
	static struct bb_config cfg;
	char err[512];
	if (config_load(conf, &cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "bufferbane bloat: %s\n", err);
		return CMD_EXIT_USAGE;
	}
	if (wire_init() < 0)
		return 1;
	/* no "about 14 s ..." for a test that cannot start: a server that
	 * is not configured here, and (announced at the first progress) one
	 * that does not answer */
	int rc = probe_echo_bloat_check(&cfg, server, err, sizeof(err));
	if (rc < 0) {
		config_wipe_secrets(&cfg);
		fprintf(stderr, "bufferbane bloat: %s\n", err);
		return rc == -EINVAL ? CMD_EXIT_USAGE : 1;
	}
	struct bloat_result r[3];
	int n = 0;
	const char *ty = cfg.tests.bufferbloat.test_type;
	struct bloat_progress bp = { .tty = isatty(2), .last = -1 };
	bp.kind = !strcmp(ty, "upload") ? 1 : !strcmp(ty, "download") ? 2 : 3;
	bloat_plan_of(cfg.tests.bufferbloat.test_duration_s, bp.kind, &bp.plan);
	rc = probe_echo_bloat_now(&cfg, server, bloat_progress, &bp, r, &n, err,
				  sizeof(err));
	if (bp.tty)
		fputs("\r\033[K", stderr);
	config_wipe_secrets(&cfg);
	if (rc < 0) {
		fprintf(stderr, "bufferbane bloat: %s\n", err);
		return rc == -EINVAL ? CMD_EXIT_USAGE : 1;
	}
	char line[256];
	bloat_table_header(line, sizeof(line));
	puts(line);
	for (int i = 0; i < n; i++) {
		bloat_table_row(&r[i], line, sizeof(line));
		puts(line);
	}
	char advice[400];
	bloat_advice(r, n, advice, sizeof(advice));
	printf("\n%s\n", advice);
	return db ? record(db, &cfg) : 0;
}
