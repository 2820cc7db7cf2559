/* SPDX-License-Identifier: MIT */
/*
 * Benchmark for proto/: wire_seal + wire_open per datagram for a 64-byte
 * datagram (ECHO_REQUEST-sized) and a 1200-byte one (the default DATA chunk),
 * and antireplay_check + antireplay_commit per in-order nonce.  Median of RUNS
 * runs, one plain line per figure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "proto/antireplay.h"
#include "proto/wire.h"

#define RUNS 7

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v)
{
	qsort(v, RUNS, sizeof(v[0]), cmp_d);
	return v[RUNS / 2];
}

static uint8_t payload[WIRE_MAX_DATAGRAM];
static uint8_t pkt[WIRE_MAX_DATAGRAM];
static uint8_t scratch[WIRE_MAX_DATAGRAM];

/* ns per seal+open of a datagram of exactly `size` bytes. */
static double bench_size(size_t size, int iters)
{
	static const uint8_t key[WIRE_KEY_LEN] = { 7 };
	static const uint8_t cid[WIRE_CLIENT_ID_LEN] = { 1, 2, 3, 4 };
	struct wire_nonce nonce;
	struct wire_msg m, out;
	double runs[RUNS];

	memset(&m, 0, sizeof(m));
	m.type = WIRE_THROUGHPUT_DATA;
	m.u.throughput_data.test_id = 1;
	m.u.throughput_data.data = payload;
	m.u.throughput_data.data_len =
		size - WIRE_MIN_PACKET - WIRE_DATA_HDR_LEN;
	wire_nonce_init(&nonce, WIRE_DIR_C2S);
	for (int r = 0; r < RUNS; r++) {
		int64_t t0 = now_ns();

		for (int i = 0; i < iters; i++) {
			uint64_t ts = wire_nonce_next(&nonce, 0);
			int n = wire_seal(key, cid, ts, &m, NULL, 0, pkt,
					  sizeof(pkt));

			m.u.throughput_data.chunk_seq++;
			if (n != (int)size ||
			    wire_open(key, pkt, (size_t)n, scratch,
				      sizeof(scratch), NULL, &out) != 0) {
				fprintf(stderr,
					"bench_wire: seal/open failed\n");
				exit(1);
			}
		}
		runs[r] = (double)(now_ns() - t0) / iters;
	}
	return median(runs);
}

static double bench_replay(int iters)
{
	static struct antireplay_window w;
	const uint64_t base = 1732000000000000000ULL;
	double runs[RUNS];
	long accepted = 0;

	for (int r = 0; r < RUNS; r++) {
		int64_t t0;

		antireplay_init(&w);
		t0 = now_ns();
		for (int i = 0; i < iters; i++) {
			/* In each block of 16, packets 0 and 8 swap places. */
			uint64_t k = (uint64_t)i, j = k;
			uint64_t ts;

			if (k % 16 == 0)
				j = k + 8;
			else if (k % 16 == 8)
				j = k - 8;
			ts = base + 2 * j;
			if (antireplay_check(&w, ts, base) == 0 &&
			    antireplay_commit(&w, ts) == 0)
				accepted++;
		}
		runs[r] = (double)(now_ns() - t0) / iters;
	}
	if (accepted != (long)RUNS * iters) {
		fprintf(stderr, "bench_wire: replay refused a fresh nonce\n");
		exit(1);
	}
	return median(runs);
}

int main(void)
{
	if (wire_init() < 0)
		return 1;
	printf("wire seal+open   64 B datagram: %8.0f ns/packet "
	       "(median of %d runs x 200000)\n",
	       bench_size(64, 200000), RUNS);
	printf("wire seal+open 1200 B datagram: %8.0f ns/packet "
	       "(median of %d runs x 50000)\n",
	       bench_size(1200, 50000), RUNS);
	printf("replay check+commit           : %8.1f ns/packet "
	       "(median of %d runs x 1000000, 2/16 reordered by 8)\n",
	       bench_replay(1000000), RUNS);
	return 0;
}
