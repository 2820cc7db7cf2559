// SPDX-License-Identifier: MIT
/*
 * Retention's delete steps: how long one store_purge_step of 256 rows (the
 * storage thread's budget) holds the write lock, over a large purge.
 *
 *   bench_retention [DB [DAYS [SERIES]]]  build DB (default a temporary
 *       file) with DAYS (10) of 1/s probes in SERIES (4) series, all older
 *       than 30 days and rolled up, then time the purge of a copy step by
 *       step: p50/p99/max ms per step, samples/s.
 *   bench_retention --build-only DB [DAYS [SERIES]]  only build DB (for
 *       tests/bench/retention.sh).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/base/clock.h"
#include "core/base/sample.h"
#include "core/store/store.h"

#define DAY_MS 86400000LL

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

static int build(const char *path, int days, int nseries)
{
	char err[512];
	unlink(path);
	struct store *st = store_open(path, STORE_RDWR, err, sizeof(err));
	if (!st) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	int64_t end =
		(clock_real_ns() / 1000000 - 31 * DAY_MS) / 3600000 * 3600000;
	int64_t start = end - days * DAY_MS;
	static struct bb_sample buf[1000];
	size_t nb = 0;
	int64_t t0 = now_ns();
	for (int64_t ms = start; ms < end; ms += 1000) {
		for (int s = 0; s < nseries; s++) {
			struct bb_sample *x = &buf[nb++];
			sample_init(x, BB_KIND_ICMP);
			x->real_ns = (ms + s * 7) * 1000000 + 123000;
			x->mono_ns = x->real_ns - 1000000000;
			snprintf(x->interface, sizeof(x->interface), "eth0");
			snprintf(x->target, sizeof(x->target), "198.18.1.%d",
				 s + 1);
			x->seq = (uint32_t)((ms - start) / 1000);
			if ((ms / 1000) % 97 == 3)
				x->status = BB_STATUS_TIMEOUT;
			else
				x->rtt_ns = (12000 + (ms / 1000 * 37) % 9000) *
					    1000;
			if (nb == 1000) {
				if (store_write_samples(st, buf, nb) < 0) {
					fprintf(stderr, "%s\n",
						store_last_error(st));
					return -1;
				}
				nb = 0;
			}
		}
	}
	if (nb && store_write_samples(st, buf, nb) < 0)
		return -1;
	for (int64_t t = start; t < end + DAY_MS; t += DAY_MS)
		if (store_rollup(st, t) < 0) {
			fprintf(stderr, "%s\n", store_last_error(st));
			return -1;
		}
	/* the rollups are complete up to now, as a running monitor's */
	store_rollup(st, clock_real_ns() / 1000000 - 60000);
	int64_t bytes = 0;
	store_db_bytes(st, &bytes);
	printf("built %s: %d days x %d series at 1/s, %.1f MB, %.1f s\n", path,
	       days, nseries, (double)bytes / 1e6,
	       (double)(now_ns() - t0) / 1e9);
	store_close(st);
	return 0;
}

int main(int argc, char **argv)
{
	int only = argc > 1 && !strcmp(argv[1], "--build-only");
	char tmp[] = "/tmp/bb-bench-retention.XXXXXX";
	char path[600], cmd[1400];
	const char *db = argc > 1 + only ? argv[1 + only] : NULL;
	int days = argc > 2 + only ? atoi(argv[2 + only]) : 10;
	int nseries = argc > 3 + only ? atoi(argv[3 + only]) : 4;
	if (!db) {
		if (!mkdtemp(tmp))
			return 1;
		snprintf(path, sizeof(path), "%s/bb.db", tmp);
		db = path;
	}
	if (build(db, days, nseries) < 0)
		return 1;
	if (only)
		return 0;

	char err[512];
	struct store *st = store_open(db, STORE_RDWR, err, sizeof(err));
	if (!st) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	struct store_purge p;
	store_purge_horizon(&p, clock_real_ns() / 1000000, 30, 30, 30, 30);
	size_t n = 0, cap = 4096;
	int64_t *dt = malloc(cap * sizeof(*dt));
	struct store_purge_count done = { 0 };
	int64_t t0 = now_ns();
	int rc;
	do {
		int64_t a = now_ns();
		rc = store_purge_step(st, &p, 256, &done);
		if (n == cap)
			dt = realloc(dt, (cap *= 2) * sizeof(*dt));
		dt[n++] = now_ns() - a;
	} while (rc == 1);
	int64_t total = now_ns() - t0;
	int64_t r0 = now_ns(), freed = 0;
	while ((rc = store_reclaim(st, 256, NULL)) > 0)
		freed += rc;
	int64_t rt = now_ns() - r0;
	qsort(dt, n, sizeof(*dt), cmp_i64);
	printf("purge: %lld samples in %lld blocks, %lld 1-min + %lld 1-hour "
	       "rows, %zu steps of <= 256 rows\n",
	       (long long)done.samples, (long long)done.blocks,
	       (long long)done.min1, (long long)done.hours, n);
	printf("step time: p50 %.2f ms, p99 %.2f ms, max %.2f ms; "
	       "%.0f samples/s while stepping back to back\n",
	       (double)dt[n / 2] / 1e6, (double)dt[n * 99 / 100] / 1e6,
	       (double)dt[n - 1] / 1e6,
	       (double)done.samples / ((double)total / 1e9));
	printf("reclaim: %lld pages in %.2f s\n", (long long)freed,
	       (double)rt / 1e9);
	free(dt);
	store_close(st);
	if (db == path) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
		if (system(cmd) != 0)
			return 1;
	}
	return 0;
}
