/* SPDX-License-Identifier: MIT */
/*
 * Deterministic databases with known content, written with the store API
 * (the tests' and benchmarks' fixture; tests/bench/gendb is its command).
 *
 * GENDB_SMALL: one icmp series (eth0, 198.18.0.11) probed every second,
 * RTT 10 + (second % 10) ms; every probe of [burst_s, burst_s + burst_len)
 * lost; no probe at all in [gap_s, gap_s + gap_len); one warning
 * packet_loss event over the burst and one critical latency_spike event
 * at event_s (12 s long).
 *
 * GENDB_REALISTIC: eth0 with icmp to the gateway and two hosts, a UDP
 * echo to the server "vps", DNS and TCP connect every 10 s, upload and
 * download every 5 min, a bufferbloat test each hour (upload and
 * download, typed figures); wlan0 with icmp to one host, noisier; evening
 * congestion 18:00-23:59 local; a loss burst every 6 hours with its event;
 * the monitor off for 90 minutes on the second day; rolled up at the end.
 */
#ifndef BB_TEST_GENDB_H
#define BB_TEST_GENDB_H

#include <stddef.h>
#include <stdint.h>

enum { GENDB_SMALL, GENDB_REALISTIC };

struct gendb_opts {
	int shape;		    /* GENDB_* */
	int64_t t0_ms, seconds;	    /* first second and how many */
	int64_t burst_s, burst_len; /* GENDB_SMALL: seconds from t0 */
	int64_t gap_s, gap_len;
	int64_t event_s;
};

/* Build path from nothing (an existing file is replaced); 0 or -1 with a
 * reason in err.  *samples (if set) receives how many were written. */
int gendb_build(const char *path, const struct gendb_opts *o, size_t *samples,
		char *err, size_t errlen);

#endif
