// SPDX-License-Identifier: MIT
/*
 * The drilldown's long views (L) on a week: the time to read one series'
 * 7 days of 1-minute and 1-hour rollups (store_read_series_aggs, what the
 * storage thread does for monitor_ask_series_history and a replay does at
 * once) and to bucket them for the 24 h plot, the 7 d plot and the heatmap
 * (chart_data_from_aggs, on the main thread), median of 5.
 *
 *   bench_long DB [INTERFACE TARGET]   (default: eth0 gateway, a bbgen
 *                                       database)
 *   bench_long                         (make bench: a bbgen week at 1 s,
 *                                       built beside this binary's bbgen)
 *
 * The period ends at the database's last sample.  Plain lines.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/base/sample.h"
#include "core/chart/chart_data.h"
#include "core/store/store.h"

#define RUNS	5
#define DAY_MS	86400000LL
#define HOUR_MS 3600000LL
#define COLS	111 /* view_long_columns(120) */

struct rows {
	struct store_agg *v;
	size_t n, cap;
};

static int keep(void *ctx, const struct store_agg *a)
{
	struct rows *r = ctx;

	if (r->n == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 1024;
		r->v = realloc(r->v, r->cap * sizeof(*r->v));
		if (!r->v)
			return -1;
	}
	r->v[r->n++] = *a;
	return 0;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	const char *iface = argc > 3 ? argv[2] : "eth0";
	const char *target = argc > 3 ? argv[3] : "gateway";
	double rd[RUNS], bk[RUNS];
	size_t nmin = 0, nhour = 0;
	int64_t first, last;
	char err[256];

	char made[64] = "", cmd[512];
	const char *db = argc > 1 ? argv[1] : NULL;
	if (!db) {
		/* make bench gives no arguments: a generated week */
		const char *slash = strrchr(argv[0], '/');
		int dir = slash ? (int)(slash - argv[0]) : 1;
		snprintf(made, sizeof(made), "/tmp/bench_long.%d.db",
			 (int)getpid());
		snprintf(cmd, sizeof(cmd),
			 "%.*s/bbgen -o %s --days 7 --interval-ms 1000 "
			 ">/dev/null 2>&1",
			 dir, slash ? argv[0] : ".", made);
		if (system(cmd) != 0) {
			fprintf(stderr, "bench_long: %s failed\n", cmd);
			return 1;
		}
		db = made;
	}
	struct store *st = store_open(db, STORE_RDONLY, err, sizeof(err));
	if (!st || store_time_range(st, &first, &last) < 0) {
		fprintf(stderr, "bench_long: %s: %s\n", db,
			st ? store_last_error(st) : err);
		return 1;
	}
	int64_t to = last + 1, from = to - 7 * DAY_MS;

	for (int k = 0; k < RUNS; k++) {
		struct rows m = { 0 }, h = { 0 };
		struct chart_data d;
		double t0 = now_ms();

		if (store_read_series_aggs(st, STORE_AGG_1MIN, iface,
					   BB_KIND_ICMP, target, "", from, to,
					   keep, &m) < 0 ||
		    store_read_series_aggs(
			    st, STORE_AGG_1HOUR, iface, BB_KIND_ICMP, target,
			    "", from - from % HOUR_MS, to, keep, &h) < 0) {
			fprintf(stderr, "bench_long: %s\n",
				store_last_error(st));
			return 1;
		}
		double t1 = now_ms();

		for (int mode = 0; mode < 2; mode++) {
			struct chart_query q = {
				.from_ms = mode ? from : to - DAY_MS,
				.to_ms = to,
				.segments = COLS,
			};
			if (chart_data_from_aggs(&q, m.v, m.n, h.v, h.n, &d,
						 err, sizeof(err)) < 0) {
				fprintf(stderr, "bench_long: %s\n", err);
				return 1;
			}
			chart_data_free(&d);
		}
		rd[k] = t1 - t0;
		bk[k] = now_ms() - t1;
		nmin = m.n;
		nhour = h.n;
		free(m.v);
		free(h.v);
	}
	qsort(rd, RUNS, sizeof(*rd), cmp);
	qsort(bk, RUNS, sizeof(*bk), cmp);
	printf("series %s %s: %zu 1-minute and %zu 1-hour rollup rows over "
	       "7 days\n",
	       iface, target, nmin, nhour);
	printf("read (storage thread / replay): %.1f ms median of %d\n",
	       rd[RUNS / 2], RUNS);
	printf("bucket 24 h + 7 d (main thread): %.1f ms median of %d\n",
	       bk[RUNS / 2], RUNS);
	store_close(st);
	if (made[0]) {
		unlink(made);
		snprintf(cmd, sizeof(cmd), "%s-wal", made);
		unlink(cmd);
		snprintf(cmd, sizeof(cmd), "%s-shm", made);
		unlink(cmd);
	}
	return 0;
}
