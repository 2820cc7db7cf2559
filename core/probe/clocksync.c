// SPDX-License-Identifier: MIT
/*
 * Clock offset estimator (see clocksync.h).  A ring of the last
 * CLOCKSYNC_WINDOW exchanges; every estimate sorts a copy by delay, keeps
 * the fastest third (at least 3, or all when fewer), and fits
 * offset(t) = a + b (t - t_last) by least squares when they span at least
 * DRIFT_SPAN_NS, else takes their median offset (b = 0).
 */
#include "core/probe/clocksync.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/sample.h"

#define DRIFT_SPAN_NS 20000000000LL /* 20 s before drift is fitted */

struct xchg {
	int64_t t;     /* client time of the exchange (t1 + t4) / 2 */
	int64_t off;   /* RFC 5905 offset */
	int64_t delay; /* RFC 5905 delay */
};

struct clocksync {
	struct xchg x[CLOCKSYNC_WINDOW];
	unsigned head, n;
};

struct clocksync *clocksync_new(void)
{
	return calloc(1, sizeof(struct clocksync));
}

void clocksync_free(struct clocksync *cs)
{
	free(cs);
}

void clocksync_reset(struct clocksync *cs)
{
	memset(cs, 0, sizeof(*cs));
}

int clocksync_plausible(int64_t t1, int64_t t2, int64_t t3, int64_t t4)
{
	/* t1 and t4 are our clock (no overflow near INT64 limits) */
	if (t4 < t1 || t1 < INT64_MIN / 2 || t4 > INT64_MAX / 2)
		return 0;
	if (t2 < t1 - CLOCKSYNC_MAX_SKEW_NS ||
	    t2 > t4 + CLOCKSYNC_MAX_SKEW_NS ||
	    t3 < t1 - CLOCKSYNC_MAX_SKEW_NS || t3 > t4 + CLOCKSYNC_MAX_SKEW_NS)
		return 0;
	return t2 <= t3 && t3 - t2 <= t4 - t1;
}

void clocksync_add(struct clocksync *cs, int64_t t1, int64_t t2, int64_t t3,
		   int64_t t4)
{
	if (!clocksync_plausible(t1, t2, t3, t4))
		return;
	int64_t delay = (t4 - t1) - (t3 - t2);
	struct xchg *e = &cs->x[cs->head];
	e->t = t1 + (t4 - t1) / 2;
	e->off = ((t2 - t1) + (t3 - t4)) / 2;
	e->delay = delay;
	cs->head = (cs->head + 1) % CLOCKSYNC_WINDOW;
	if (cs->n < CLOCKSYNC_WINDOW)
		cs->n++;
}

static int by_delay(const void *a, const void *b)
{
	const struct xchg *x = a, *y = b;
	return (x->delay > y->delay) - (x->delay < y->delay);
}

static int by_off(const void *a, const void *b)
{
	const struct xchg *x = a, *y = b;
	return (x->off > y->off) - (x->off < y->off);
}

int clocksync_estimate(const struct clocksync *cs, int64_t at_real,
		       struct clocksync_est *out)
{
	memset(out, 0, sizeof(*out));
	if (cs->n == 0)
		return -EAGAIN;
	struct xchg s[CLOCKSYNC_WINDOW];
	unsigned n = cs->n;
	memcpy(s, cs->x, n * sizeof(s[0])); /* order does not matter */
	qsort(s, n, sizeof(s[0]), by_delay);
	unsigned k = n / 3;
	if (k < 3)
		k = n < 3 ? n : 3;
	int64_t tmin = INT64_MAX, tmax = INT64_MIN;
	for (unsigned i = 0; i < k; i++) {
		if (s[i].t < tmin)
			tmin = s[i].t;
		if (s[i].t > tmax)
			tmax = s[i].t;
	}
	double a, b = 0;
	if (k >= 6 && tmax - tmin >= DRIFT_SPAN_NS) {
		double mt = 0, mo = 0, sxx = 0, sxy = 0;
		for (unsigned i = 0; i < k; i++) {
			mt += (double)(s[i].t - tmax);
			mo += (double)s[i].off;
		}
		mt /= k;
		mo /= k;
		for (unsigned i = 0; i < k; i++) {
			double dt = (double)(s[i].t - tmax) - mt;
			sxx += dt * dt;
			sxy += dt * ((double)s[i].off - mo);
		}
		b = sxx > 0 ? sxy / sxx : 0;
		a = mo - b * mt; /* offset at tmax */
	} else {
		struct xchg m[CLOCKSYNC_WINDOW];
		memcpy(m, s, k * sizeof(m[0]));
		qsort(m, k, sizeof(m[0]), by_off);
		a = k % 2 ? (double)m[k / 2].off
			  : ((double)m[k / 2 - 1].off + m[k / 2].off) / 2;
	}
	double ss = 0;
	for (unsigned i = 0; i < k; i++) {
		double r = (double)s[i].off - (a + b * (double)(s[i].t - tmax));
		ss += r * r;
	}
	double rms = sqrt(ss / k);
	double spread = (double)(s[k - 1].delay - s[0].delay) / 2;
	double u = rms + spread;
	out->offset_ns = (int64_t)llround(a + b * (double)(at_real - tmax));
	out->drift_ppm = b * 1e6;
	out->uncertainty_ns = (int64_t)u;
	out->min_delay_ns = s[0].delay;
	out->n = (int)n;
	double q = 100.0 * CLOCKSYNC_SCALE_NS / (CLOCKSYNC_SCALE_NS + u);
	if (n < CLOCKSYNC_MIN_SAMPLES)
		q = q * n / CLOCKSYNC_MIN_SAMPLES;
	out->quality = q;
	return 0;
}

void clocksync_oneway(const struct clocksync_est *e, int64_t t1, int64_t t2,
		      int64_t t3, int64_t t4, int64_t *up, int64_t *down)
{
	if (!clocksync_plausible(t1, t2, t3, t4) ||
	    e->offset_ns < -CLOCKSYNC_MAX_SKEW_NS ||
	    e->offset_ns > CLOCKSYNC_MAX_SKEW_NS) {
		*up = *down = BB_NONE;
		return;
	}
	int64_t rtt = t4 - t1;
	int64_t u = t2 - t1 - e->offset_ns;
	int64_t d = t4 - t3 + e->offset_ns;
	*up = u < 0 ? 0 : u > rtt ? rtt : u;
	*down = d < 0 ? 0 : d > rtt ? rtt : d;
}

void clocksync_mark(const struct clocksync_est *e, struct bb_sample *s)
{
	double q = e->quality < 0 ? 0 : e->quality > 100 ? 100 : e->quality;
	s->sync_pct = (int8_t)lround(q);
	s->sync_n = (uint8_t)(e->n < 0		 ? 0
			      : e->n > UINT8_MAX ? UINT8_MAX
						 : e->n);
	s->clock_offset_ns = e->offset_ns;
}
