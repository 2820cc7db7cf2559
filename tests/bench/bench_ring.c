// SPDX-License-Identifier: MIT
/*
 * Ring throughput: one producer thread pushes 256-byte items (retrying when
 * the ring is full, so every item crosses) while the main thread pops them.
 * Reports items/s and MB/s as the median of 5 runs, one plain line each.
 * A figure for comparing builds on one machine, never a pass/fail limit.
 * BB_BENCH_ITEMS overrides the items per run (default 2 000 000).
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/clock.h"
#include "core/base/ring.h"

#define BENCH_RUNS 5
#define ITEM_SIZE  256
#define RING_CAP   4096

struct item {
	uint64_t seq;
	uint8_t payload[ITEM_SIZE - sizeof(uint64_t)];
};

struct run {
	struct ring *r;
	uint64_t n;
	atomic_bool go;
};

static void *producer(void *arg)
{
	struct run *run = arg;
	struct item it;

	memset(&it, 0x5A, sizeof(it));
	while (!atomic_load_explicit(&run->go, memory_order_acquire))
		;
	for (uint64_t i = 0; i < run->n; i++) {
		it.seq = i;
		while (!ring_push(run->r, &it))
			;
	}
	return NULL;
}

/* One run: items/s, or a negative value when an item came out wrong. */
static double one_run(uint64_t n)
{
	struct run run = { .n = n };
	struct item it;
	pthread_t th;
	int64_t t0, t1;
	uint64_t got = 0;

	run.r = ring_new(RING_CAP, sizeof(struct item));
	if (!run.r)
		return -1;
	atomic_init(&run.go, false);
	if (pthread_create(&th, NULL, producer, &run) != 0) {
		ring_free(run.r);
		return -1;
	}
	t0 = clock_mono_ns();
	atomic_store_explicit(&run.go, true, memory_order_release);
	while (got < n) {
		if (!ring_pop(run.r, &it))
			continue;
		if (it.seq != got)
			break;
		got++;
	}
	t1 = clock_mono_ns();
	pthread_join(th, NULL);
	ring_free(run.r);
	if (got != n)
		return -1;
	return (double)n * 1e9 / (double)(t1 - t0);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(void)
{
	const char *env = getenv("BB_BENCH_ITEMS");
	uint64_t n = env ? strtoull(env, NULL, 10) : 2000000u;
	double rate[BENCH_RUNS];

	if (n == 0)
		n = 2000000u;
	for (int i = 0; i < BENCH_RUNS; i++) {
		rate[i] = one_run(n);
		if (rate[i] < 0) {
			fprintf(stderr, "bench_ring: run %d failed\n", i);
			return 1;
		}
	}
	qsort(rate, BENCH_RUNS, sizeof(rate[0]), cmp_double);
	printf("ring spsc %d-byte items, capacity %d, %llu items/run, "
	       "2 threads\n",
	       ITEM_SIZE, RING_CAP, (unsigned long long)n);
	printf("ring push+pop: %.2f M items/s median of %d (min %.2f, max "
	       "%.2f)\n",
	       rate[BENCH_RUNS / 2] / 1e6, BENCH_RUNS, rate[0] / 1e6,
	       rate[BENCH_RUNS - 1] / 1e6);
	printf("ring bandwidth: %.0f MB/s median\n",
	       rate[BENCH_RUNS / 2] * ITEM_SIZE / 1e6);
	return 0;
}
