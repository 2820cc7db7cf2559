// SPDX-License-Identifier: MIT
/*
 * gendb PATH small|realistic SECONDS [T0_MS]: build a deterministic
 * database (tests/lib/gendb.h) ending now unless T0_MS says where it
 * starts.  Prints what it put where as shell assignments (t0_ms, burst_s,
 * burst_len, gap_s, gap_len, event_s, samples) for the scripts to eval.
 * The small shape puts the loss burst at 20 % of the period, the gap at
 * 50 % (5 % long) and the event at 70 %.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/clock.h"
#include "tests/lib/gendb.h"

int main(int argc, char **argv)
{
	if (argc < 4 ||
	    (strcmp(argv[2], "small") && strcmp(argv[2], "realistic"))) {
		fprintf(stderr,
			"usage: gendb PATH small|realistic SECONDS [T0_MS]\n");
		return 2;
	}
	struct gendb_opts o = { 0 };
	o.shape = strcmp(argv[2], "small") ? GENDB_REALISTIC : GENDB_SMALL;
	o.seconds = atoll(argv[3]);
	if (o.seconds < 60) {
		fprintf(stderr, "gendb: at least 60 seconds\n");
		return 2;
	}
	int64_t now = clock_real_ns() / BB_NS_PER_MS / 1000 * 1000;
	o.t0_ms = argc > 4 ? atoll(argv[4]) : now - o.seconds * 1000;
	o.burst_s = o.seconds / 5;
	o.burst_len = o.seconds / 100 > 30 ? o.seconds / 100 : 30;
	o.gap_s = o.seconds / 2;
	o.gap_len = o.seconds / 20;
	o.event_s = o.seconds * 7 / 10;
	char err[512];
	size_t n = 0;
	if (gendb_build(argv[1], &o, &n, err, sizeof(err)) < 0) {
		fprintf(stderr, "gendb: %s\n", err);
		return 1;
	}
	printf("t0_ms=%lld burst_s=%lld burst_len=%lld gap_s=%lld "
	       "gap_len=%lld event_s=%lld samples=%zu\n",
	       (long long)o.t0_ms, (long long)o.burst_s, (long long)o.burst_len,
	       (long long)o.gap_s, (long long)o.gap_len, (long long)o.event_s,
	       n);
	return 0;
}
