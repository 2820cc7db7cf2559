// SPDX-License-Identifier: MIT
/*
 * Store figures on this machine: ingest rate in transactions of 1000 samples,
 * bytes per sample on disk, read-back rate, rollup time, and the size of a
 * week at the default configuration (3 ICMP targets at 1/s + DNS every 10 s
 * for 2 servers + the 1-min and 1-hour rollups).  The database lives in a
 * mkdtemp folder under $TMPDIR (default /tmp) and is removed at the end.
 * Plain lines, one figure each; BB_BENCH_SAMPLES overrides the sample count
 * (default 300 000, ~26 hours of the default configuration).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/base/clock.h"
#include "core/base/sample.h"
#include "core/store/store.h"

#define T0_MS	     1732539960000LL
#define BATCH	     1000
#define ICMP_TARGETS 3
#define DNS_SERVERS  2
#define DNS_EVERY_S  10

/* The default configuration's stream, with realistic noise. */
static size_t generate(struct bb_sample *out, size_t want)
{
	static const char *const icmp[] = { "gateway", "198.18.0.11", "198.18.0.12" };
	static const char *const dns[] = { "198.18.0.11", "198.18.0.12" };
	uint32_t rng = 12345;
	size_t n = 0;
	for (int64_t sec = 0; n < want; sec++) {
		for (int t = 0; t < ICMP_TARGETS && n < want; t++) {
			rng = rng * 1103515245 + 12345;
			struct bb_sample *s = &out[n++];
			sample_init(s, BB_KIND_ICMP);
			s->mono_ns = 5 * BB_NS_PER_S + sec * BB_NS_PER_S +
				     t * 7 * BB_NS_PER_MS +
				     (int64_t)(rng >> 8) % 3000000;
			s->real_ns = s->mono_ns + T0_MS * BB_NS_PER_MS +
				     (int64_t)(rng % 97);
			s->send_error_ns = 20000 + (int64_t)(rng % 60000);
			snprintf(s->interface, sizeof(s->interface), "eth0");
			snprintf(s->target, sizeof(s->target), "%s", icmp[t]);
			s->seq = (uint32_t)sec;
			if ((rng >> 4) % 500 == 0)
				s->status = BB_STATUS_TIMEOUT;
			else
				s->rtt_ns = (t ? 9000000 : 800000) +
					    (int64_t)((rng >> 3) % 25000000);
		}
		if (sec % DNS_EVERY_S)
			continue;
		for (int d = 0; d < DNS_SERVERS && n < want; d++) {
			rng = rng * 1103515245 + 12345;
			struct bb_sample *s = &out[n++];
			sample_init(s, BB_KIND_DNS);
			s->mono_ns = 5 * BB_NS_PER_S + sec * BB_NS_PER_S +
				     500 * BB_NS_PER_MS + d * 3 * BB_NS_PER_MS;
			s->real_ns = s->mono_ns + T0_MS * BB_NS_PER_MS + 40;
			s->send_error_ns = 30000;
			snprintf(s->interface, sizeof(s->interface), "eth0");
			snprintf(s->target, sizeof(s->target), "%s", dns[d]);
			s->seq = (uint32_t)(sec / DNS_EVERY_S);
			s->rtt_ns = 12000000 + (int64_t)(rng % 30000000);
		}
	}
	return n;
}

static int count_cb(void *ctx, const struct bb_sample *s)
{
	(*(size_t *)ctx)++;
	return 0;
}

int main(void)
{
	size_t n = 300000;
	const char *env = getenv("BB_BENCH_SAMPLES");
	if (env && atol(env) >= BATCH)
		n = (size_t)atol(env) / BATCH * BATCH;
	const char *tmp = getenv("TMPDIR");
	char dir[256], path[300], err[512];
	snprintf(dir, sizeof(dir), "%s/bb-bench-store.XXXXXX",
		 tmp ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/bench.db", dir);
	struct bb_sample *s = malloc(n * sizeof(*s));
	if (!s)
		return 1;
	generate(s, n);
	struct store *st = store_open(path, STORE_RDWR, err, sizeof(err));
	if (!st) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	int64_t empty = 0, after = 0, rolled = 0;
	store_db_bytes(st, &empty);

	int64_t t0 = clock_mono_ns();
	for (size_t i = 0; i < n; i += BATCH) {
		if (store_write_samples(st, s + i, BATCH) < 0) {
			fprintf(stderr, "%s\n", store_last_error(st));
			return 1;
		}
	}
	double secs = (double)(clock_mono_ns() - t0) / BB_NS_PER_S;
	store_db_bytes(st, &after);
	double per = (double)(after - empty) / (double)n;
	printf("store ingest: %.0f rows/s (%zu samples in batches of %d, "
	       "%.2f s)\n",
	       (double)n / secs, n, BATCH, secs);
	printf("store bytes/sample: %.1f\n", per);

	t0 = clock_mono_ns();
	size_t got = 0;
	store_read_samples(st, 0, INT64_MAX, count_cb, &got);
	secs = (double)(clock_mono_ns() - t0) / BB_NS_PER_S;
	printf("store read-back: %.0f rows/s (%zu rows)\n", (double)got / secs,
	       got);

	int64_t first = 0, last = 0;
	store_time_range(st, &first, &last);
	t0 = clock_mono_ns();
	int rows = store_rollup(st, last + 3600000);
	secs = (double)(clock_mono_ns() - t0) / BB_NS_PER_S;
	store_db_bytes(st, &rolled);
	double minutes = (double)(last - first) / 60000.0;
	printf("store rollup: %d aggregate rows over %.0f minutes in %.2f s\n",
	       rows, minutes, secs);

	/* Scale to a week of the default configuration. */
	double rows_week = 7 * 86400.0 *
			   (ICMP_TARGETS + (double)DNS_SERVERS / DNS_EVERY_S);
	double series = ICMP_TARGETS + DNS_SERVERS;
	double agg_rows = (double)rows > 0 ? (double)rows : 1;
	double agg_per_row = (double)(rolled - after) / agg_rows;
	double agg_week = agg_per_row * series * (7 * 1440 + 7 * 24);
	double mb = (rows_week * per + agg_week) / 1e6;
	printf("store aggregate bytes/row: %.1f\n", agg_per_row);
	printf("store week at default config: %.1f MB (%.0f samples, "
	       "%.1f MB of rollups)\n",
	       mb, rows_week, agg_week / 1e6);
	store_close(st);
	free(s);
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : 1;
}
