/* SPDX-License-Identifier: MIT */
/*
 * The bufferbloat gauge for one direction (DETECTION.md "Grades and plain
 * words"): the grade for the latency increase under load (A+ < 5 ms, A < 30,
 * B < 60, C < 200, D < 400, F >= 400), the increase, idle -> loaded latency,
 * responsiveness in round-trips per minute (60000 / loaded ms) and the age
 * of the test.  Row 0 is that line, shortened for narrow widths by dropping
 * RPM, then idle/loaded, the age, the label and the increase, in that order:
 * the grade stays visible down to one column.  Row 1, when h >= 2, is a bar
 * on a fixed scale: idle part in ROLE_OK, the increase in the grade's role.
 */
#ifndef BB_GAUGE_H
#define BB_GAUGE_H

#include <stdint.h>

#include "tui/cellbuf.h"

struct gauge_data {
	const char *label; /* "Upload", "Download"; NULL = none */
	int64_t idle_us;   /* latency without load; < 0 = unknown */
	int64_t loaded_us; /* latency under load; < 0 = unknown */
	int64_t age_s;	   /* seconds since the test; < 0 = never tested */
	int64_t scale_us;  /* bar full scale; 0 = 500 ms */
};

/* The grade "A+", "A", "B", "C", "D" or "F" for an increase in ms ("?" NaN). */
const char *gauge_grade(double increase_ms);
/* ROLE_GRADE_GOOD (A+, A), _MID (B, C) or _BAD (D, F) for an increase. */
enum cellbuf_role gauge_grade_role(double increase_ms);
/* Round-trips per minute at a loaded latency (rounded); 0 if not > 0 ms. */
long gauge_rpm(double loaded_ms);
/* Draw the gauge in a w x h box at (x, y) (h 1 or 2 is used). */
void gauge_draw(struct cellbuf *cb, int x, int y, int w, int h,
		const struct gauge_data *d);

#endif
