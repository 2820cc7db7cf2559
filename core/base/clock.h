/* SPDX-License-Identifier: MIT */
/*
 * Clocks (MEASUREMENT.md "Time"): monotonic nanoseconds for every interval and
 * deadline, wall-clock nanoseconds only for what is stored or shown, and the
 * conversion of a kernel receive timestamp (CLOCK_REALTIME) to the monotonic
 * clock through an offset measured once per process.
 */
#ifndef BB_CLOCK_H
#define BB_CLOCK_H

#include <stdint.h>

#define BB_NS_PER_US 1000LL
#define BB_NS_PER_MS 1000000LL
#define BB_NS_PER_S  1000000000LL

/* CLOCK_MONOTONIC in ns. */
int64_t clock_mono_ns(void);
/* CLOCK_REALTIME in ns since the Unix epoch. */
int64_t clock_real_ns(void);
/* Measure realtime - monotonic (tightest of a few paired reads); call at
 * start-up and after a wall-clock step. */
void clock_calibrate(void);
/* Kernel RX timestamp (realtime ns) expressed on the monotonic clock. */
int64_t clock_real_to_mono(int64_t real_ns);
/* The time from send_mono to an answer received at rx_mono (a kernel RX
 * timestamp through clock_real_to_mono); when that is not positive the
 * wall clock stepped since the offset was measured: recalibrate and take
 * the time until now instead. */
int64_t clock_rtt_ns(int64_t send_mono, int64_t rx_mono);
/* Monotonic ns expressed as wall-clock ns. */
int64_t clock_mono_to_real(int64_t mono_ns);

#endif
