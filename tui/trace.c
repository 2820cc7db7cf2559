// SPDX-License-Identifier: MIT
/*
 * Nice numbers and percentiles for the widgets' scales (see series.h).
 * Pure functions, no globals; trace_p95 sorts a private copy (on the stack
 * for up to 1024 values, which covers any sane terminal width).
 */
#include "tui/trace.h"

#include <stdlib.h>

int64_t trace_nice_ceil(int64_t v)
{
	static const int64_t mult[] = { 1, 2, 5 };
	int64_t p = 1;

	if (v <= 1)
		return 1;
	for (;;) {
		for (size_t i = 0; i < 3; i++)
			if (mult[i] * p >= v)
				return mult[i] * p;
		if (p > INT64_MAX / 100)
			return v; /* no nicer number fits in 64 bits */
		p *= 10;
	}
}

int64_t trace_nice_step(int64_t top, int max_ticks)
{
	if (max_ticks < 1)
		max_ticks = 1;
	if (top < 1)
		top = 1;
	return trace_nice_ceil((top + max_ticks - 1) / max_ticks);
}

static int cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

int64_t trace_p95(const int64_t *v, size_t n)
{
	int64_t stackbuf[1024], *buf = stackbuf, r;
	size_t k = 0;

	if (n > sizeof(stackbuf) / sizeof(stackbuf[0])) {
		buf = malloc(n * sizeof(*buf));
		if (!buf)
			abort(); /* out of memory: STYLE.md point 6 */
	}
	for (size_t i = 0; i < n; i++)
		if (trace_is_value(v[i]))
			buf[k++] = v[i] < 0 ? 0 : v[i];
	if (k == 0) {
		r = -1;
	} else {
		qsort(buf, k, sizeof(*buf), cmp64);
		r = buf[(k - 1) * 95 / 100];
	}
	if (buf != stackbuf)
		free(buf);
	return r;
}

int64_t trace_top(const int64_t *v, size_t n, int64_t fixed)
{
	int64_t p;

	if (fixed > 0)
		return fixed;
	p = trace_p95(v, n);
	return trace_nice_ceil(p < 1 ? 1 : p);
}
