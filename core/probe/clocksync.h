/* SPDX-License-Identifier: MIT */
/*
 * Clock offset between this client and a companion server, estimated from
 * echo exchanges (PROTOCOL.md "Server timestamps", MEASUREMENT.md "One-way
 * delay").  Each exchange gives the four NTP timestamps t1 (client send),
 * t2 (server receive), t3 (server send), t4 (client receive) and from them
 * offset = ((t2 - t1) + (t3 - t4)) / 2 and delay = (t4 - t1) - (t3 - t2)
 * (RFC 5905 §8).  Like Crusader, only the fastest third of a sliding window
 * is trusted (queueing only ever adds delay, and asymmetric queueing is
 * what skews an offset); a least-squares line through their offsets over
 * time follows drift.  Quality 0-100 % falls with the scatter of those
 * offsets around the line and with the delay spread among them, and is
 * scaled down until CLOCKSYNC_MIN_SAMPLES exchanges were seen.  One-way
 * delays are meaningful only while quality >= CLOCKSYNC_GOOD_PCT.
 * Pure arithmetic on the numbers given; no clocks read, no I/O.
 */
#ifndef BB_CLOCKSYNC_H
#define BB_CLOCKSYNC_H

#include <stddef.h>
#include <stdint.h>

#include "core/base/sample.h"

#define CLOCKSYNC_WINDOW      96 /* exchanges remembered */
#define CLOCKSYNC_MIN_SAMPLES 8	 /* DETECTION.md: after >= 8 samples */
#define CLOCKSYNC_GOOD_PCT    80.0
#define CLOCKSYNC_SCALE_NS    2000000 /* uncertainty giving 50 % quality */
/* The server's clock is within 60 s of ours or its replies fail the replay
 * check; an hour is beyond any honest server. */
#define CLOCKSYNC_MAX_SKEW_NS 3600000000000LL

struct clocksync;

/* The current estimate. */
struct clocksync_est {
	int64_t offset_ns;	/* server clock - client clock, at `at` */
	double drift_ppm;	/* server runs faster by this (0 if unknown) */
	int64_t uncertainty_ns; /* scatter + delay spread of the fastest */
	int64_t min_delay_ns;	/* lowest round-trip delay in the window */
	double quality;		/* 0..100 */
	int n;			/* exchanges in the window */
};

/* An empty estimator; NULL on out of memory. */
struct clocksync *clocksync_new(void);
/* Free. */
void clocksync_free(struct clocksync *cs);
/* Forget everything (the server restarted, the path changed). */
void clocksync_reset(struct clocksync *cs);
/* The four timestamps can come from an honest exchange: t1 <= t4, the
 * server's t2 <= t3 each within CLOCKSYNC_MAX_SKEW_NS of our clock, and the
 * server held the packet no longer than the round trip took (delay >= 0).
 * The server's figures are checked before any arithmetic on them, so a
 * forged INT64_MIN cannot overflow a difference.  1 plausible, 0 not. */
int clocksync_plausible(int64_t t1, int64_t t2, int64_t t3, int64_t t4);
/* One exchange (all wall-clock ns); ignored unless clocksync_plausible. */
void clocksync_add(struct clocksync *cs, int64_t t1, int64_t t2, int64_t t3,
		   int64_t t4);
/* Estimate for client time at_real; 0, or -EAGAIN with no exchange yet. */
int clocksync_estimate(const struct clocksync *cs, int64_t at_real,
		       struct clocksync_est *out);
/* One-way delays of an exchange under estimate e: up = t2 - t1 - offset,
 * down = t4 - t3 + offset (each within 0..t4 - t1); both BB_NONE when the
 * exchange is not clocksync_plausible. */
void clocksync_oneway(const struct clocksync_est *e, int64_t t1, int64_t t2,
		      int64_t t3, int64_t t4, int64_t *up, int64_t *down);
/* The estimate onto an echo sample: sync_pct (quality, rounded), sync_n
 * and clock_offset_ns, which the main thread routes to detect_time_sync. */
void clocksync_mark(const struct clocksync_est *e, struct bb_sample *s);

#endif
