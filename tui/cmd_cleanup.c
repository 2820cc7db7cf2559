// SPDX-License-Identifier: MIT
/*
 * bufferbane cleanup --before DATE: delete what lies wholly before DATE
 * (raw samples; rollups and ended events unless --keep-aggregations), after
 * showing what that is and asking.  Safe beside a running monitor: the
 * deletes are the store's bounded steps (core/store/store.h
 * store_purge_step), each a short transaction with a pause after it so the
 * monitor's commits get the lock in between, and SQLite's busy wait covers
 * the rest.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/base/clock.h"
#include "core/base/config.h"
#include "core/store/history.h"
#include "core/store/store.h"
#include "tui/cmd.h"

#define STEP_ROWS     500
#define STEP_PAUSE_MS 20    /* after each step: the monitor's turn */
#define BUSY_MS	      10000 /* a monitor's commit takes milliseconds */
#define GRACE_MS      30000 /* as the monitor's rollup: late samples */

static const char help[] =
	"usage: bufferbane cleanup --before DATE [--keep-aggregations] "
	"[--yes]\n"
	"       [-c FILE] [--db FILE]\n"
	"Delete what was recorded before DATE: raw samples, the 1-minute and\n"
	"1-hour rollups and the events that ended before it.  Shows what it\n"
	"will delete and asks first.  Safe while a monitor is writing.\n"
	"  --before DATE        YYYY-MM-DD[ HH:MM[:SS]] in local time, not in "
	"the\n"
	"                       future\n"
	"  --keep-aggregations  keep the rollups and the events (stats and "
	"report\n"
	"                       then use them for the period: the events are "
	"small\n"
	"                       and they are the evidence); the raw samples "
	"of a\n"
	"                       period go only once its rollups exist\n"
	"  --yes                do not ask (needed without a terminal)\n"
	"  -c, --config FILE    configuration (for general.database_path)\n"
	"      --db FILE        the database\n"
	"The monitor does the same by itself for retention.* (see\n"
	"etc/bufferbane.conf).\n"
	"Exit status: 0 success (or nothing to delete, or declined), 1 "
	"runtime\n"
	"failure, 2 bad usage or input.\n";

static int usage(const char *what, const char *arg)
{
	fprintf(stderr,
		"bufferbane cleanup: %s%s%s (see bufferbane cleanup "
		"--help)\n",
		what, arg ? " " : "", arg ? arg : "");
	return CMD_EXIT_USAGE;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };
	nanosleep(&ts, NULL);
}

static void mb(int64_t bytes, char *buf, size_t len)
{
	if (bytes < 10 * 1024)
		snprintf(buf, len, "%lld bytes", (long long)bytes);
	else if (bytes < 1024 * 1024)
		snprintf(buf, len, "%.0f KB", (double)bytes / 1024);
	else
		snprintf(buf, len, "%.1f MB", (double)bytes / (1024 * 1024));
}

/* Roll up what is missing, a few hours per transaction, so the rollups of
 * the period exist before its raw samples go (--keep-aggregations).  Past
 * the last sample there is nothing to roll up: one step to to_ms (stepping
 * through an old file's years up to now took minutes of pauses). */
static int rollup_first(struct store *st, int64_t to_ms)
{
	char val[32];
	int64_t done =
		store_meta_get(st, "rollup_1hour_until", val, sizeof(val)) == 0
			? strtoll(val, NULL, 10)
			: 0;
	int64_t first, last;
	if (store_time_range(st, &first, &last) < 0)
		return 0;
	if (done < first)
		done = first - first % 3600000;
	while (done < to_ms) {
		done = done <= last ? done + 6 * 3600000LL : to_ms;
		int rc = store_rollup(st, done < to_ms ? done : to_ms);
		if (rc < 0)
			return rc;
		sleep_ms(STEP_PAUSE_MS);
	}
	return 0;
}

static bool confirm(void)
{
	char line[32];
	fputs("Delete? [y/N] ", stdout);
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return false;
	return !strcmp(line, "y\n") || !strcmp(line, "yes\n") ||
	       !strcmp(line, "Y\n");
}

static void show(const char *db, int64_t before, bool keep,
		 const struct store_purge_count *c, int64_t size)
{
	char when[32], first[32], until[32], sz[32], del[32];
	history_format_time(before, when, sizeof(when));
	mb(size, sz, sizeof(sz));
	mb(c->bytes, del, sizeof(del));
	printf("Database: %s (%s)\n", db, sz);
	printf("Deletes what lies wholly before %s:\n", when);
	if (c->blocks) {
		history_format_time(c->first_ms, first, sizeof(first));
		printf("  raw samples     %" PRId64 " (%" PRId64
		       " blocks), from %s\n",
		       c->samples, c->blocks, first);
	} else {
		printf("  raw samples     none\n");
	}
	if (c->raw_until_ms && c->raw_until_ms < before) {
		history_format_time(c->raw_until_ms, until, sizeof(until));
		printf("                  (those from %s on stay until "
		       "their rollups exist)\n",
		       until);
	}
	if (keep) {
		printf("  rollups         kept (--keep-aggregations)\n");
	} else {
		printf("  1-min rollups   %" PRId64 " rows\n", c->min1);
		printf("  1-hour rollups  %" PRId64 " rows\n", c->hours);
	}
	if (keep)
		printf("  events          kept (--keep-aggregations)\n");
	else
		printf("  events          %" PRId64 " (ended before; ongoing "
		       "ones stay)\n",
		       c->events);
	printf("About %s of data.\n", del);
}

int cmd_cleanup(int argc, char **argv)
{
	enum { O_DB = 256, O_BEFORE, O_KEEP, O_YES };
	static const struct option lo[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "db", required_argument, NULL, O_DB },
		{ "before", required_argument, NULL, O_BEFORE },
		{ "keep-aggregations", no_argument, NULL, O_KEEP },
		{ "yes", no_argument, NULL, O_YES },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	const char *conf = NULL, *db = NULL, *before_arg = NULL;
	bool keep = false, yes = false;
	int c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":c:hV", lo, NULL)) != -1) {
		switch (c) {
		case 'c':
			conf = optarg;
			break;
		case O_DB:
			db = optarg;
			break;
		case O_BEFORE:
			before_arg = optarg;
			break;
		case O_KEEP:
			keep = true;
			break;
		case O_YES:
			yes = true;
			break;
		case 'h':
			fputs(help, stdout);
			return 0;
		case 'V':
			printf("bufferbane %s\n", BB_VERSION);
			return 0;
		case ':':
			return usage("option needs a value:", argv[optind - 1]);
		default:
			return usage("unknown option", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage("unexpected argument", argv[optind]);
	if (!before_arg)
		return usage("--before DATE is required", NULL);
	int64_t before, now = clock_real_ns() / BB_NS_PER_MS;
	if (history_parse_time(before_arg, &before) < 0)
		return usage("--before wants YYYY-MM-DD[ HH:MM[:SS]], not",
			     before_arg);
	if (before > now)
		return usage("--before is in the future:", before_arg);

	static struct bb_config cfg;
	char err[1024];
	if ((conf || !db) && config_load(conf, &cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "bufferbane cleanup: %s\n", err);
		return CMD_EXIT_USAGE;
	}
	config_wipe_secrets(&cfg);
	if (!db)
		db = cfg.general.database_path;
	/* the preview reads only: a refused or declined cleanup leaves the
	 * file as it was */
	struct store *st;
	int rc = history_open(db, &st, err, sizeof(err));
	if (rc < 0) {
		fprintf(stderr, "bufferbane cleanup: %s\n", err);
		return history_open_exit_code(rc);
	}
	/* --keep-aggregations keeps the events too: stats and report of the
	 * period read them beside the rollups (0: none deleted) */
	struct store_purge p = { .raw_ms = before };
	if (!keep)
		p.min1_ms = p.hour_ms = p.events_ms = before;
	/* kept rollups are completed first (up to the monitor's grace, whole
	 * hours): raw samples go as far as they then reach */
	struct store_purge pc = p;
	if (keep) {
		int64_t h = (now - GRACE_MS) / 3600000 * 3600000;
		pc.raw_ms = pc.min1_ms = pc.hour_ms = before < h ? before : h;
		pc.events_ms = 0;
	}
	struct store_purge_count cnt, done = { 0 };
	int64_t size0 = 0, size1 = 0;
	if ((rc = store_purge_count(st, &pc, &cnt)) < 0 ||
	    (rc = store_db_bytes(st, &size0)) < 0)
		goto fail;
	store_close(st);
	st = NULL;
	if (keep) { /* counted only to lift the bound: they stay */
		cnt.bytes -= 100 * (cnt.min1 + cnt.hours);
		cnt.min1 = cnt.hours = 0;
	}
	show(db, before, keep, &cnt, size0);
	if (!cnt.blocks && !cnt.events && !cnt.min1 && !cnt.hours) {
		printf("Nothing to delete.\n");
		return 0;
	}
	if (!yes) {
		if (!isatty(STDIN_FILENO)) {
			fprintf(stderr,
				"bufferbane cleanup: not deleting without a "
				"confirmation: no terminal to ask on; add "
				"--yes\n");
			return CMD_EXIT_USAGE;
		}
		if (!confirm()) {
			printf("Nothing deleted.\n");
			return 0;
		}
	}
	st = store_open(db, STORE_RDWR, err, sizeof(err));
	if (!st) {
		fprintf(stderr, "bufferbane cleanup: %s\n", err);
		return 1;
	}
	store_set_busy_timeout(st, BUSY_MS);
	/* up to the hour DATE falls in: the rollups of later hours are the
	 * monitor's business */
	int64_t upto = (before + 3600000 - 1) / 3600000 * 3600000;
	if (upto > now - GRACE_MS)
		upto = now - GRACE_MS;
	if (keep && (rc = rollup_first(st, upto)) < 0)
		goto fail;
	while ((rc = store_purge_step(st, &p, STEP_ROWS, &done)) == 1)
		sleep_ms(STEP_PAUSE_MS);
	if (rc < 0)
		goto fail;
	int64_t left = 0;
	int av = store_auto_vacuum(st);
	while ((rc = store_reclaim(st, STEP_ROWS, &left)) > 0)
		sleep_ms(STEP_PAUSE_MS);
	if (rc < 0 || (rc = store_db_bytes(st, &size1)) < 0)
		goto fail;
	char a[32], b[32];
	mb(size0, a, sizeof(a));
	mb(size1, b, sizeof(b));
	printf("Deleted %" PRId64 " raw samples, %" PRId64 " 1-min and %" PRId64
	       " 1-hour rollup rows, %" PRId64 " events; the database went "
	       "from %s to %s.\n",
	       done.samples, done.min1, done.hours, done.events, a, b);
	if (av != 2 && left > 0) {
		mb(left, a, sizeof(a));
		printf("This file predates incremental vacuum: the %s freed "
		       "stay inside it and new samples reuse them (it does not "
		       "grow until they are used up).  To shrink it, stop the "
		       "monitor and run: sqlite3 %s 'PRAGMA auto_vacuum = "
		       "INCREMENTAL; VACUUM;'\n",
		       a, db);
	}
	store_close(st);
	return 0;
fail:
	fprintf(stderr, "bufferbane cleanup: %s\n",
		store_last_error(st)[0] ? store_last_error(st) : strerror(-rc));
	store_close(st);
	return 1;
}
