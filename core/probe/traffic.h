/* SPDX-License-Identifier: MIT */
/*
 * Interface traffic from the kernel's byte counters (kind "traffic"): once
 * per interval the probe reads /proc/net/dev and emits the past interval's
 * receive and transmit rates of its interface (rx_kbps, tx_kbps of the
 * sample).  It sends nothing.  The interface "" is the one carrying the
 * default route, looked up again at every read (roaming, a VPN coming up).
 *
 * The parser and the rate are pure (text or numbers in, answer out) so the
 * unit tests and the fuzzer link them directly.
 */
#ifndef BB_TRAFFIC_H
#define BB_TRAFFIC_H

#include <stddef.h>
#include <stdint.h>

/* One reading of an interface's counters (bytes since it came up). */
struct traffic_counters {
	uint64_t rx_bytes, tx_bytes;
};

/* The counters of ifname in /proc/net/dev text of len bytes (need not be
 * NUL-terminated).  0, or -ENOENT when ifname has no line. */
int traffic_parse_proc_net_dev(const char *text, size_t len, const char *ifname,
			       struct traffic_counters *out);
/* Read ifname's counters in the calling thread's network namespace.  0,
 * -ENOENT (no such interface) or -errno. */
int traffic_read(const char *ifname, struct traffic_counters *out);
/* kbit/s from counter prev to cur over dt_ns.  A counter that went back
 * either wrapped at 32 bits (32-bit kernels: prev in the upper half of 32
 * bits, cur in the lower) or was reset (the interface was re-created): a
 * reset is BB_NONE, never a huge or negative rate.  BB_NONE too when
 * dt_ns <= 0. */
int64_t traffic_rate_kbps(uint64_t prev, uint64_t cur, int64_t dt_ns);

#endif
