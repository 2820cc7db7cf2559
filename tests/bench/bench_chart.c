// SPDX-License-Identifier: MIT
/*
 * `bufferbane chart` over a 30-day recording (tests/lib/gendb realistic:
 * 5 probes a second on two interfaces, DNS, TCP, throughput and bloat
 * tests, ~13 M samples): the time to read the period into chart data
 * (one bucket per pixel column of a 1200 px chart), the time to draw each
 * kind as PNG and SVG, and the peak RSS.  Median of 3.  The database is
 * cached as /tmp/bb-bench-30d.db (BB_BENCH_CHART_DB overrides) and
 * rebuilt when missing or older than a day.  Plain lines.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "core/base/clock.h"
#include "core/chart/chart_data.h"
#include "core/chart/chart_draw.h"
#include "core/store/store.h"
#include "tests/lib/gendb.h"

#define DAYS 30
#define RUNS 3

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int main(void)
{
	const char *path = getenv("BB_BENCH_CHART_DB");
	if (!path || !*path)
		path = "/tmp/bb-bench-30d.db";
	char err[512];
	int64_t now = clock_real_ns() / BB_NS_PER_MS, first, last;
	struct store *st = store_open(path, STORE_RDONLY, err, sizeof(err));
	bool ok = st && store_time_range(st, &first, &last) == 0 &&
		  last - first > (DAYS * 86400LL - 3600) * 1000 &&
		  now - last < 86400000LL;
	store_close(st);
	if (!ok) {
		struct gendb_opts o = { .shape = GENDB_REALISTIC,
					.seconds = DAYS * 86400LL };
		o.t0_ms = (now / 1000 - o.seconds) * 1000;
		size_t n = 0;
		double c0 = now_ms();
		fprintf(stderr, "bench_chart: building %s (%d days)...\n", path,
			DAYS);
		if (gendb_build(path, &o, &n, err, sizeof(err)) < 0) {
			fprintf(stderr, "bench_chart: %s\n", err);
			return 1;
		}
		fprintf(stderr, "bench_chart: %zu samples in %.0f s\n", n,
			(now_ms() - c0) / 1e3);
	}
	st = store_open(path, STORE_RDONLY, err, sizeof(err));
	if (!st || store_time_range(st, &first, &last) < 0)
		return 1;
	struct chart_opts o = { 1200, 600, CHART_STYLE_LIGHT };
	struct chart_query q = { .from_ms = last + 1 - DAYS * 86400000LL,
				 .to_ms = last + 1,
				 .segments = chart_plot_width(&o) };
	struct chart_data d;
	double t[RUNS];
	uint64_t probes = 0;
	for (int r = 0; r < RUNS; r++) {
		double c0 = now_ms();
		if (chart_data_load(st, &q, &d, err, sizeof(err)) < 0) {
			fprintf(stderr, "bench_chart: %s\n", err);
			return 1;
		}
		t[r] = now_ms() - c0;
		if (r < RUNS - 1)
			chart_data_free(&d);
	}
	/* `bufferbane chart KIND` for any other kind than latency_vs_load
	 * leaves its join of probes to traffic readings out */
	double tw[RUNS];
	q.without_load = true;
	for (int r = 0; r < RUNS; r++) {
		struct chart_data dw;
		double c0 = now_ms();
		if (chart_data_load(st, &q, &dw, err, sizeof(err)) < 0) {
			fprintf(stderr, "bench_chart: %s\n", err);
			return 1;
		}
		tw[r] = now_ms() - c0;
		chart_data_free(&dw);
	}
	qsort(tw, RUNS, sizeof(tw[0]), cmp_double);
	store_close(st);
	for (size_t i = 0; i < d.nseries; i++)
		probes += d.series[i].sent;
	qsort(t, RUNS, sizeof(t[0]), cmp_double);
	printf("chart: 30-day database: %llu probes in %zu series, %zu "
	       "buckets each\n",
	       (unsigned long long)probes, d.nseries, d.series[0].n);
	printf("chart: read 30 d into chart data: %.0f ms (%.1f M "
	       "probes/s)\n",
	       t[RUNS / 2], (double)probes / t[RUNS / 2] / 1e3);
	printf("chart: the same without latency_vs_load's join (chart of "
	       "one other kind): %.0f ms\n",
	       tw[RUNS / 2]);
	double total = t[RUNS / 2];
	for (int k = 0; k < CHART_KIND_COUNT; k++) {
		for (int fmt = CHART_PNG; fmt <= CHART_SVG; fmt++) {
			double c0 = now_ms();
			FILE *f = fopen("/dev/null", "w");
			if (!f ||
			    chart_draw(&d, k, &o, fmt, f, err, sizeof(err)) < 0)
				return 1;
			fclose(f);
			double ms = now_ms() - c0;
			if (fmt == CHART_PNG)
				total += ms;
			printf("chart: draw %s %s: %.0f ms\n",
			       chart_kind_name(k),
			       fmt == CHART_PNG ? "PNG" : "SVG", ms);
		}
	}
	printf("chart: `charts` (read once, 8 PNGs): %.0f ms\n", total);
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	printf("chart: peak RSS %.1f MB\n", ru.ru_maxrss / 1024.0);
	chart_data_free(&d);
	return 0;
}
