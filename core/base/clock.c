// SPDX-License-Identifier: MIT
/*
 * The realtime<->monotonic offset is measured by bracketing one realtime read
 * between two monotonic reads and keeping the narrowest bracket of several
 * tries, so the offset is good to the cost of one clock_gettime (~20 ns).
 */
#include "core/base/clock.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <time.h>

static _Atomic int64_t real_minus_mono;
static atomic_bool calibrated;

static int64_t read_clock(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * BB_NS_PER_S + ts.tv_nsec;
}

int64_t clock_mono_ns(void)
{
	return read_clock(CLOCK_MONOTONIC);
}

int64_t clock_real_ns(void)
{
	return read_clock(CLOCK_REALTIME);
}

void clock_calibrate(void)
{
	int64_t best_width = INT64_MAX, best_offset = 0;
	for (int i = 0; i < 16; i++) {
		int64_t m0 = clock_mono_ns();
		int64_t r = clock_real_ns();
		int64_t m1 = clock_mono_ns();
		if (m1 - m0 < best_width) {
			best_width = m1 - m0;
			best_offset = r - (m0 + (m1 - m0) / 2);
		}
	}
	atomic_store(&real_minus_mono, best_offset);
	atomic_store(&calibrated, true);
}

static int64_t offset(void)
{
	if (!atomic_load(&calibrated))
		clock_calibrate();
	return atomic_load(&real_minus_mono);
}

int64_t clock_real_to_mono(int64_t real_ns)
{
	return real_ns - offset();
}

int64_t clock_mono_to_real(int64_t mono_ns)
{
	return mono_ns + offset();
}

int64_t clock_rtt_ns(int64_t send_mono, int64_t rx_mono)
{
	int64_t rtt = rx_mono - send_mono;
	if (rtt <= 0) {
		clock_calibrate();
		rtt = clock_mono_ns() - send_mono;
	}
	return rtt;
}
