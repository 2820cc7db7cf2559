/* SPDX-License-Identifier: MIT */
/*
 * Questions answered from the recorded history (the database), shared by
 * the live monitor's storage thread and the sub-commands that read a
 * database.  Synchronous: call them only where blocking on SQLite is fine.
 */
#ifndef BB_HISTORY_H
#define BB_HISTORY_H

#include <stdint.h>

struct store;
struct diag_peak;

/* Peak-hour diagnosis (DETECTION.md scenario 6) of the agg_1hour rows of
 * the icmp and udp_echo series in [now_ms - days, now_ms), folded by local
 * hour of day.  0, -ENOENT when the peak (18..23) or off-peak hours have no
 * row yet, or -errno from the store. */
int history_peak_hours(struct store *st, int64_t now_ms, int days,
		       struct diag_peak *out);

#endif
