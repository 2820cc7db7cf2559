/* SPDX-License-Identifier: MIT */
/*
 * Pure diagnosis helpers behind the verdict (DETECTION.md scenarios 2, 4,
 * 5, 6 and "WiFi vs ISP"): each takes plain figures, keeps no state and
 * does no I/O, so the live detector, reports and unit tests share them.
 */
#ifndef BB_DETECT_DIAG_H
#define BB_DETECT_DIAG_H

#include <stddef.h>
#include <stdint.h>

/* One row of agg_1hour folded by hour of day. */
struct diag_hour {
	int hour;	 /* 0..23, local time */
	double p50_ms;	 /* median delay in that hour */
	double loss_pct; /* lost / sent in that hour */
};

/* Peak-hour comparison (scenario 6). */
struct diag_peak {
	int degraded;		 /* 1 when the evening is clearly worse */
	int worst_hour;		 /* hour with the largest p50 among 18..23 */
	double offpeak_p50_ms;	 /* median of the off-peak hours' p50 */
	double peak_p50_ms;	 /* median of the 18..23 hours' p50 */
	double offpeak_loss_pct; /* mean loss off peak */
	double peak_loss_pct;	 /* mean loss 18..23 */
};

/* The peak-hour finding in words, lower case and without a full stop
 * ("evenings are worse: 41.5 ms median delay ... worst at 22:00") for the
 * live verdict and the period verdict alike; length written. */
size_t diag_peak_words(const struct diag_peak *pk, char *buf, size_t len);

/* One direction of a server echo stream (scenario 4). */
struct diag_dir {
	double loss_pct;
	double delay_ms; /* median one-way delay, < 0 when not synced */
};

enum diag_asym { DIAG_ASYM_NONE, DIAG_ASYM_UP, DIAG_ASYM_DOWN };

/* Figures of one interface over the same window and targets. */
struct diag_iface {
	const char *name;
	double loss_pct;
	double p50_ms;
	double jitter_ms;
};

/* Bufferbloat grade A+..F from the latency increase in ms. */
const char *diag_bloat_grade(double increase_ms);
/* Round-trips per minute under load (60000 / loaded RTT ms); 0 if none. */
double diag_rpm(double loaded_ms);
/* Hour rows (any order, hours may repeat or be missing) -> OUT; 0, or
 * -EINVAL when either the peak (18..23) or off-peak hours have no row.
 * Degraded: peak p50 > 1.5 x off-peak p50 + 5 ms, or peak loss exceeds
 * off-peak loss by 1 percentage point. */
int diag_peak_hours(const struct diag_hour *rows, size_t n,
		    struct diag_peak *out);
/* Which direction is at fault: one direction lossy (> 1 % and 3 x the
 * other) or its delay > 2 x the other's + 10 ms, the other clean. */
enum diag_asym diag_asymmetry(const struct diag_dir *up,
			      const struct diag_dir *down);
/* Index (0 or 1) of the interface that is clearly worse than the other at
 * the same moment (loss +1 point and 3 x, or p50 > 2 x + 10 ms, or jitter
 * > 2 x + 5 ms), -1 when neither is. */
int diag_worse_interface(const struct diag_iface *a,
			 const struct diag_iface *b);

#endif
