/* SPDX-License-Identifier: MIT */
/*
 * One pass over a period of the database for every chart.  Samples come in
 * time order (store_read_samples), so each series only ever fills its
 * current bucket: its answered values wait in a small buffer until the
 * series moves on to a later bucket, then become min/p25/p50/p75/p95/max
 * (nearest rank, as everywhere in Bufferbane) and the buffer is reused.
 * The period's raw samples are never held; memory is one bucket per series
 * plus the bucket arrays.  Where raw samples were deleted (retention) the
 * 1-minute rollups stand in, and the 1-hour rollups where those are gone
 * too; a bucket's percentiles are then estimated from its rows, each read
 * as a piecewise-linear distribution through min/p50/p95/p99/max (the way
 * history.c estimates long periods).
 */
#include "core/chart/chart_data.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/analysis/event.h"
#include "core/base/clock.h"
#include "core/store/store.h"

#define DEFAULT_SEGMENTS 400
#define MAX_SEGMENTS	 20000
#define HOUR_MS		 3600000LL
/* Histogram: 16 log-spaced bins per decade from 10 us to 100 s. */
#define HIST_LO_MS	0.01
#define HIST_DECADES	7
#define HIST_PER_DECADE 16
#define HIST_BINS	(HIST_DECADES * HIST_PER_DECADE)

static const char *const kind_names[CHART_KIND_COUNT] = {
	[CHART_LATENCY_OVER_TIME] = "latency_over_time",
	[CHART_JITTER_OVER_TIME] = "jitter_over_time",
	[CHART_PACKET_LOSS_OVER_TIME] = "packet_loss_over_time",
	[CHART_THROUGHPUT_OVER_TIME] = "throughput_over_time",
	[CHART_LATENCY_DISTRIBUTION] = "latency_distribution",
	[CHART_CONNECTION_COMPARISON] = "connection_comparison",
	[CHART_DAILY_HEATMAP] = "daily_heatmap",
	[CHART_BUFFERBLOAT_IMPACT] = "bufferbloat_impact",
	[CHART_LATENCY_VS_LOAD] = "latency_vs_load",
};

const char *chart_kind_name(enum chart_kind k)
{
	return (unsigned)k < CHART_KIND_COUNT ? kind_names[k] : NULL;
}

int chart_kind_from_name(const char *name)
{
	for (int i = 0; name && i < CHART_KIND_COUNT; i++)
		if (!strcmp(name, kind_names[i]))
			return i;
	return -1;
}

/* A rollup row as a distribution (answered values only). */
struct agg_dist {
	double w; /* answered probes */
	double v[5];
};

/* The bucket a series is filling. */
struct acc {
	size_t cur; /* bucket index, SIZE_MAX: none yet */
	uint32_t count, lost;
	double *v; /* answered values of the bucket */
	size_t n, cap;
	double jsum, prev; /* |IPDV| sum, previous answered value */
	uint32_t jn;
	struct agg_dist *r; /* rollup rows of the bucket */
	size_t nr, rcap;
	double *tv; /* throughput: every test, for the period's figures */
	size_t ntv, tvcap;
};

/* Latency against load, per interface: a probe waits in q for the
 * traffic reading that covers its second (it comes later in time order),
 * then lands in a 2-D histogram of fine rate bins by log delay bins per
 * direction.  The rate bins double in width when a rate does not fit, so
 * the 10 % bins can be cut at the end, once the highest sustained rate of
 * the period is known, without holding the period's probes. */
#define LOAD_FINE	    400
#define LOAD_RTT_PER_DECADE 32
#define LOAD_RTT_BINS	    (HIST_DECADES * LOAD_RTT_PER_DECADE)
#define LOAD_KEEP_MS	    10000 /* a reading covers at most this back */
#define LOAD_W0_KBPS	    25.0  /* first width of a fine rate bin */

struct pend {
	int64_t t_ms;
	double rtt; /* ms; NAN: lost */
};

struct lacc {
	char interface[BB_IFNAME_LEN], device[BB_TARGET_LEN];
	uint64_t readings, joined;
	int64_t last_ms; /* the previous reading; INT64_MIN: none */
	int64_t recent[CHART_LOAD_NDIR][3];
	int nrecent;
	double cap[CHART_LOAD_NDIR], top[CHART_LOAD_NDIR]; /* kbit/s */
	double w[CHART_LOAD_NDIR];	  /* fine bin width, kbit/s */
	uint32_t *h[CHART_LOAD_NDIR];	  /* [fine][rtt bin] answered */
	uint32_t *sent[CHART_LOAD_NDIR];  /* [fine] probes */
	uint32_t *lostn[CHART_LOAD_NDIR]; /* [fine] of them lost */
	struct pend *q;
	size_t qh, qn, qcap; /* waiting: q[qh .. qn) */
};

struct load {
	struct chart_data *d;
	const struct chart_query *q;
	struct acc *acc; /* parallel to d->series */
	size_t cap;
	/* heatmap: the hour being filled, [hstart, hend) */
	int64_t hcell, hstart, hend, day0;
	uint32_t hcount, hlost;
	double *hv;
	size_t hn, hcap;
	double hw, hsum; /* rollups: answered-weighted p50 */
	size_t bloatcap, evcap;
	int err;
	struct lacc *la;
	size_t nla, lacap;
};

static int grow(void **p, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return 0;
	size_t c = *cap ? 2 * *cap : 16;
	void *q = realloc(*p, c * size);
	if (!q)
		return -ENOMEM;
	*p = q;
	*cap = c;
	return 0;
}

static int tput_kind(int kind)
{
	return kind == BB_KIND_UPLOAD || kind == BB_KIND_DOWNLOAD;
}

static int heat_kind(int kind)
{
	return kind == BB_KIND_ICMP || kind == BB_KIND_UDP_ECHO;
}

static bool wanted(const struct chart_query *q, const char *iface,
		   const char *target)
{
	if (q->interface && q->interface[0] && strcmp(q->interface, iface))
		return false;
	if (q->target && q->target[0] && strcmp(q->target, target))
		return false;
	return true;
}

/* Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm). */
static int64_t civil_days(int y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* Local (day number, hour) of t. */
static void local_day_hour(int64_t t_ms, int64_t *day, int *hour)
{
	time_t t = (time_t)(t_ms / 1000);
	struct tm tm;
	localtime_r(&t, &tm);
	*day = civil_days(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
	*hour = tm.tm_hour;
}

static int cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;
	return (a > b) - (a < b);
}

/* Nearest rank: ceil(p/100 * n), as an index. */
static size_t rank_idx(size_t n, unsigned p)
{
	size_t r = (p * n + 99) / 100;
	return r ? r - 1 : 0;
}

/* Nearest rank of a sorted array. */
static double rank(const double *v, size_t n, unsigned p)
{
	return v[rank_idx(n, p)];
}

/* Quickselect (Hoare): afterwards v[k] is what sorting [lo, hi) would
 * put there, everything before it <= and after it >=.  A bucket's five
 * ranks cost a few passes instead of a sort (half the time of a 30-day
 * chart went to qsort). */
static void select_k(double *v, size_t lo, size_t hi, size_t k)
{
	if (hi <= lo)
		return;
	size_t last = hi - 1; /* inclusive bounds from here on */
	while (lo < last) {
		/* Hoare's scheme with the middle element as pivot: the split
		 * point j satisfies lo <= j < last, so each pass shrinks */
		double piv = v[lo + (last - lo) / 2];
		size_t i = lo - 1, j = last + 1;
		for (;;) {
			do
				i++;
			while (v[i] < piv);
			do
				j--;
			while (v[j] > piv);
			if (i >= j)
				break;
			double t = v[i];
			v[i] = v[j];
			v[j] = t;
		}
		if (k <= j)
			last = j;
		else
			lo = j + 1;
	}
}

/* min, p25, p50, p75, p95, max of v (reordered) into out[6]. */
static void order_stats(double *v, size_t n, double out[6])
{
	size_t r25 = rank_idx(n, 25), r50 = rank_idx(n, 50);
	size_t r75 = rank_idx(n, 75), r95 = rank_idx(n, 95);
	select_k(v, 0, n, r50);
	select_k(v, 0, r50, r25);
	select_k(v, r50 + 1, n, r75);
	select_k(v, r75 + 1, n, r95);
	double lo = v[0], hi = v[0];
	for (size_t i = 1; i < n; i++) {
		lo = v[i] < lo ? v[i] : lo;
		hi = v[i] > hi ? v[i] : hi;
	}
	out[0] = lo;
	out[1] = v[r25];
	out[2] = v[r50];
	out[3] = v[r75];
	out[4] = v[r95];
	out[5] = hi;
}

static double dist_cdf(const struct agg_dist *h, double x)
{
	static const double q[5] = { 0, 0.5, 0.95, 0.99, 1 };
	if (x < h->v[0])
		return 0;
	for (int k = 1; k < 5; k++)
		if (x < h->v[k]) {
			double span = h->v[k] - h->v[k - 1];
			double f = span > 0 ? (x - h->v[k - 1]) / span : 0;
			return q[k - 1] + f * (q[k] - q[k - 1]);
		}
	return 1;
}

static double mix_pct(const struct agg_dist *r, size_t n, double lo, double hi,
		      double q)
{
	double total = 0;
	for (size_t k = 0; k < n; k++)
		total += r[k].w;
	for (int it = 0; it < 40 && hi - lo > 1e-4; it++) {
		double mid = (lo + hi) / 2, f = 0;
		for (size_t k = 0; k < n; k++)
			f += r[k].w * dist_cdf(&r[k], mid);
		if (f / total >= q)
			hi = mid;
		else
			lo = mid;
	}
	return hi;
}

static size_t hist_bin(double ms)
{
	if (!(ms > HIST_LO_MS))
		return 0;
	double b = log10(ms / HIST_LO_MS) * HIST_PER_DECADE;
	return b >= HIST_BINS ? HIST_BINS - 1 : (size_t)b;
}

/* Close series i's current bucket into its array. */
static void acc_flush(struct load *l, size_t i)
{
	struct acc *a = &l->acc[i];
	struct chart_series *s = &l->d->series[i];
	if (a->cur == SIZE_MAX)
		return;
	struct chart_bucket *b = &s->b[a->cur];
	b->count += a->count;
	b->lost += a->lost;
	s->sent += a->count;
	s->lost += a->lost;
	if (a->n) {
		double o[6];
		order_stats(a->v, a->n, o);
		b->min = o[0];
		b->p25 = o[1];
		b->p50 = o[2];
		b->p75 = o[3];
		b->p95 = o[4];
		b->max = o[5];
	} else if (a->nr) {
		double lo = INFINITY, hi = -INFINITY;
		for (size_t k = 0; k < a->nr; k++) {
			lo = fmin(lo, a->r[k].v[0]);
			hi = fmax(hi, a->r[k].v[4]);
		}
		b->min = lo;
		b->max = hi;
		b->p25 = mix_pct(a->r, a->nr, lo, hi, 0.25);
		b->p50 = mix_pct(a->r, a->nr, lo, hi, 0.50);
		b->p75 = mix_pct(a->r, a->nr, lo, hi, 0.75);
		b->p95 = mix_pct(a->r, a->nr, lo, hi, 0.95);
		if (s->hist) /* each row's share of every bin */
			for (size_t k = 0; k < a->nr; k++)
				for (size_t h = hist_bin(a->r[k].v[0]);
				     h <= hist_bin(a->r[k].v[4]); h++) {
					double f =
						dist_cdf(
							&a->r[k],
							l->d->hist_edge_ms[h +
									   1]) -
						dist_cdf(&a->r[k],
							 l->d->hist_edge_ms[h]);
					s->hist[h] +=
						(uint32_t)lround(f * a->r[k].w);
				}
	}
	b->jitter = a->jn ? a->jsum / a->jn : NAN;
	a->count = a->lost = a->jn = 0;
	a->n = a->nr = 0;
	a->jsum = 0;
	a->cur = SIZE_MAX;
}

static int series_find(struct load *l, const char *iface, int kind,
		       const char *target, const char *server)
{
	struct chart_data *d = l->d;
	for (size_t i = 0; i < d->nseries; i++) {
		struct chart_series *s = &d->series[i];
		if (s->kind == kind && !strcmp(s->interface, iface) &&
		    !strcmp(s->target, target) && !strcmp(s->server, server))
			return (int)i;
	}
	size_t cap = l->cap;
	if (grow((void **)&d->series, &cap, d->nseries, sizeof(*d->series)) <
		    0 ||
	    grow((void **)&l->acc, &l->cap, d->nseries, sizeof(*l->acc)) < 0)
		return -ENOMEM;
	struct chart_series *s = &d->series[d->nseries];
	struct acc *a = &l->acc[d->nseries];
	memset(s, 0, sizeof(*s));
	memset(a, 0, sizeof(*a));
	snprintf(s->interface, sizeof(s->interface), "%s", iface);
	snprintf(s->target, sizeof(s->target), "%s", target);
	snprintf(s->server, sizeof(s->server), "%s", server);
	s->kind = (uint8_t)kind;
	s->unit = tput_kind(kind) ? "kbit/s" : "ms";
	snprintf(s->label, sizeof(s->label), "%s %s%s%s",
		 sample_kind_name(kind), target, iface[0] ? " via " : "",
		 iface);
	s->n = (size_t)((d->to_ms - d->from_ms + d->bucket_ms - 1) /
			d->bucket_ms);
	s->b = malloc(s->n * sizeof(*s->b));
	if (!s->b)
		return -ENOMEM;
	for (size_t k = 0; k < s->n; k++)
		s->b[k] = (struct chart_bucket){
			.t_ms = d->from_ms + (int64_t)k * d->bucket_ms,
			.min = NAN,
			.p50 = NAN,
			.p95 = NAN,
			.max = NAN,
			.jitter = NAN,
			.p25 = NAN,
			.p75 = NAN,
		};
	if (!tput_kind(kind)) {
		s->hist = calloc(HIST_BINS, sizeof(*s->hist));
		if (!s->hist) {
			free(s->b);
			return -ENOMEM;
		}
		s->nhist = HIST_BINS;
	}
	s->min = s->p50 = s->p95 = s->max = NAN;
	a->cur = SIZE_MAX;
	a->prev = NAN;
	return (int)d->nseries++;
}

/* The heatmap's hour cell of t (day * 24 + hour), and the span of local
 * time it covers, so that the next samples need no localtime(). */
static int64_t heat_cell(const struct load *l, int64_t t_ms, int64_t *start,
			 int64_t *end)
{
	time_t t = (time_t)(t_ms / 1000);
	struct tm tm;
	localtime_r(&t, &tm);
	int64_t day = civil_days(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
	int64_t cell = (day - l->day0) * 24 + tm.tm_hour;
	int64_t into =
		(int64_t)tm.tm_min * 60000 + tm.tm_sec * 1000 + t_ms % 1000;
	*start = t_ms - into;
	*end = *start + HOUR_MS;
	return cell;
}

static void heat_flush(struct load *l)
{
	struct chart_data *d = l->d;
	if (l->hcell >= 0 && l->hcell < (int64_t)d->heat_days * 24) {
		struct chart_heat *c = &d->heat[l->hcell];
		c->count += l->hcount;
		c->lost += l->hlost;
		if (l->hn) {
			size_t r = rank_idx(l->hn, 50);
			select_k(l->hv, 0, l->hn, r);
			c->p50 = l->hv[r];
		} else if (l->hw > 0) {
			c->p50 = l->hsum / l->hw;
		}
	}
	l->hcount = l->hlost = 0;
	l->hn = 0;
	l->hw = l->hsum = 0;
	l->hcell = -1;
}

static int heat_take(struct load *l, int64_t t_ms, uint32_t count,
		     uint32_t lost, double v, double w)
{
	if (l->hcell < 0 || t_ms < l->hstart || t_ms >= l->hend) {
		int64_t start, end, cell = heat_cell(l, t_ms, &start, &end);
		heat_flush(l);
		l->hcell = cell;
		l->hstart = start;
		l->hend = end;
	}
	l->hcount += count;
	l->hlost += lost;
	if (w > 0) { /* a rollup row: its p50, weighted */
		l->hw += w;
		l->hsum += w * v;
	} else if (!isnan(v)) {
		if (grow((void **)&l->hv, &l->hcap, l->hn, sizeof(*l->hv)) < 0)
			return -ENOMEM;
		l->hv[l->hn++] = v;
	}
	return 0;
}

static int take_bloat(struct load *l, const struct bb_sample *m)
{
	struct chart_data *d = l->d;
	if (m->status != BB_STATUS_OK || m->bloat.increase_ns == BB_NONE)
		return 0;
	if (grow((void **)&d->bloat, &l->bloatcap, d->nbloat,
		 sizeof(*d->bloat)) < 0)
		return -ENOMEM;
	struct chart_bloat *b = &d->bloat[d->nbloat++];
	memset(b, 0, sizeof(*b));
	b->t_ms = m->real_ns / BB_NS_PER_MS;
	b->phase = m->load_phase;
	snprintf(b->server, sizeof(b->server), "%s", m->server);
	b->increase_ms = (double)m->bloat.increase_ns / BB_NS_PER_MS;
	b->idle_ms = m->bloat.idle_p50_ns == BB_NONE
			     ? NAN
			     : (double)m->bloat.idle_p50_ns / BB_NS_PER_MS;
	b->loaded_ms =
		m->rtt_ns == BB_NONE ? NAN : (double)m->rtt_ns / BB_NS_PER_MS;
	if (isnan(b->idle_ms) && !isnan(b->loaded_ms))
		b->idle_ms = b->loaded_ms - b->increase_ms;
	if (isnan(b->loaded_ms) && !isnan(b->idle_ms))
		b->loaded_ms = b->idle_ms + b->increase_ms;
	b->rpm = m->bloat.rpm;
	return 0;
}

/* The interface's latency-vs-load accumulator; NULL: out of memory. */
static struct lacc *lacc_of(struct load *l, const char *iface)
{
	for (size_t i = 0; i < l->nla; i++)
		if (!strcmp(l->la[i].interface, iface))
			return &l->la[i];
	if (grow((void **)&l->la, &l->lacap, l->nla, sizeof(*l->la)) < 0)
		return NULL;
	struct lacc *a = &l->la[l->nla++];
	memset(a, 0, sizeof(*a));
	snprintf(a->interface, sizeof(a->interface), "%s", iface);
	a->last_ms = INT64_MIN;
	for (int k = 0; k < CHART_LOAD_NDIR; k++)
		a->w[k] = LOAD_W0_KBPS;
	return a;
}

static size_t load_rtt_bin(double ms)
{
	if (!(ms > HIST_LO_MS))
		return 0;
	double b = log10(ms / HIST_LO_MS) * LOAD_RTT_PER_DECADE;
	return b >= LOAD_RTT_BINS ? LOAD_RTT_BINS - 1 : (size_t)b;
}

/* The fine bin of rate in direction k, the bins widened (pairs merged)
 * until it fits. */
static size_t load_fine(struct lacc *a, int k, double rate)
{
	while (rate >= LOAD_FINE * a->w[k]) {
		for (size_t f = 0; f < LOAD_FINE; f++) {
			size_t lo = 2 * f, hi = 2 * f + 1;
			uint32_t s = 0, n = 0;
			if (lo < LOAD_FINE) {
				s = a->sent[k][lo] + a->sent[k][hi];
				n = a->lostn[k][lo] + a->lostn[k][hi];
			}
			a->sent[k][f] = s;
			a->lostn[k][f] = n;
			uint32_t *to = a->h[k] + f * LOAD_RTT_BINS;
			for (size_t r = 0; r < LOAD_RTT_BINS; r++)
				to[r] = lo < LOAD_FINE
						? a->h[k]
						      [lo * LOAD_RTT_BINS + r] +
							  a->h[k]
							      [hi * LOAD_RTT_BINS +
							       r]
						: 0;
		}
		a->w[k] *= 2;
	}
	return rate > 0 ? (size_t)(rate / a->w[k]) : 0;
}

/* A delay probe: it waits for its interface's reading.  Older ones than
 * any reading could still cover are dropped (an interface without
 * traffic readings keeps a few seconds of them at most). */
static int load_probe(struct load *l, const struct bb_sample *m)
{
	if ((m->kind != BB_KIND_ICMP && m->kind != BB_KIND_UDP_ECHO) ||
	    !strcmp(m->target, "gateway")) /* its delay is not the queue's */
		return 0;
	struct lacc *a = lacc_of(l, m->interface);
	if (!a)
		return -ENOMEM;
	int64_t t = m->real_ns / BB_NS_PER_MS;
	while (a->qh < a->qn && a->q[a->qh].t_ms < t - LOAD_KEEP_MS)
		a->qh++;
	if (a->qh == a->qn)
		a->qh = a->qn = 0;
	if (a->qn == a->qcap && a->qh) {
		memmove(a->q, a->q + a->qh, (a->qn - a->qh) * sizeof(*a->q));
		a->qn -= a->qh;
		a->qh = 0;
	}
	if (grow((void **)&a->q, &a->qcap, a->qn, sizeof(*a->q)) < 0)
		return -ENOMEM;
	a->q[a->qn++] =
		(struct pend){ t,
			       m->status == BB_STATUS_OK && m->rtt_ns != BB_NONE
				       ? (double)m->rtt_ns / BB_NS_PER_MS
				       : NAN };
	return 0;
}

static int64_t mid3(const int64_t v[3])
{
	int64_t a = v[0], b = v[1], c = v[2];
	return a > b ? (b > c	? b
			: a > c ? c
				: a)
		     : (a > c	? a
			: b > c ? c
				: b);
}

/* A traffic reading: the rates of the interval ending at its time, so
 * the probes waiting since the previous reading (at most LOAD_KEEP_MS,
 * else one second) were sent at these rates. */
static int load_traffic(struct load *l, const struct bb_sample *m)
{
	const struct chart_query *q = l->q;
	if (m->status != BB_STATUS_OK || m->rx_kbps == BB_NONE ||
	    m->tx_kbps == BB_NONE || m->rx_kbps < 0 || m->tx_kbps < 0 ||
	    (q->interface && q->interface[0] &&
	     strcmp(q->interface, m->interface)))
		return 0;
	struct lacc *a = lacc_of(l, m->interface);
	if (!a)
		return -ENOMEM;
	for (int k = 0; k < CHART_LOAD_NDIR && !a->h[CHART_LOAD_NDIR - 1];
	     k++) {
		a->h[k] = calloc((size_t)LOAD_FINE * LOAD_RTT_BINS,
				 sizeof(*a->h[k]));
		a->sent[k] = calloc(LOAD_FINE, sizeof(*a->sent[k]));
		a->lostn[k] = calloc(LOAD_FINE, sizeof(*a->lostn[k]));
		if (!a->h[k] || !a->sent[k] || !a->lostn[k])
			return -ENOMEM;
	}
	int64_t t = m->real_ns / BB_NS_PER_MS;
	bool near = a->last_ms != INT64_MIN && t - a->last_ms <= LOAD_KEEP_MS;
	int64_t from = near ? a->last_ms : t - 1000;
	a->last_ms = t;
	a->readings++;
	snprintf(a->device, sizeof(a->device), "%s", m->target);
	if (!near)
		a->nrecent = 0;
	const int64_t rate[CHART_LOAD_NDIR] = { m->tx_kbps, m->rx_kbps };
	size_t fine[CHART_LOAD_NDIR];
	for (int k = 0; k < CHART_LOAD_NDIR; k++) {
		a->recent[k][a->nrecent % 3] = rate[k];
		if (a->nrecent >= 2 && (double)mid3(a->recent[k]) > a->cap[k])
			a->cap[k] = (double)mid3(a->recent[k]);
		if ((double)rate[k] > a->top[k])
			a->top[k] = (double)rate[k];
		fine[k] = load_fine(a, k, (double)rate[k]);
	}
	a->nrecent++;
	/* [previous reading, this one): a probe sent in the very ms of a
	 * reading belongs to the next second, whichever of the two the
	 * store returns first */
	for (; a->qh < a->qn && a->q[a->qh].t_ms < t; a->qh++) {
		const struct pend *p = &a->q[a->qh];
		if (p->t_ms < from)
			continue;
		a->joined++;
		for (int k = 0; k < CHART_LOAD_NDIR; k++) {
			a->sent[k][fine[k]]++;
			if (isnan(p->rtt))
				a->lostn[k][fine[k]]++;
			else
				a->h[k][fine[k] * LOAD_RTT_BINS +
					load_rtt_bin(p->rtt)]++;
		}
	}
	return 0;
}

/* The 10 % bins of every interface with readings, cut at its capacity
 * (the highest rate held for 3 readings; the highest seen if it never
 * held one). */
static int load_finish(struct load *l)
{
	struct chart_data *d = l->d;
	size_t n = 0;
	for (size_t i = 0; i < l->nla; i++)
		n += l->la[i].readings > 0;
	if (!n)
		return 0;
	d->load = calloc(n, sizeof(*d->load));
	uint32_t *h = malloc(LOAD_RTT_BINS * sizeof(*h));
	if (!d->load || !h) {
		free(h);
		return -ENOMEM;
	}
	for (size_t i = 0; i < l->nla; i++) {
		const struct lacc *a = &l->la[i];
		if (!a->readings)
			continue;
		struct chart_load *o = &d->load[d->nload++];
		snprintf(o->interface, sizeof(o->interface), "%s",
			 a->interface);
		snprintf(o->device, sizeof(o->device), "%s", a->device);
		o->readings = a->readings;
		o->joined = a->joined;
		for (int k = 0; k < CHART_LOAD_NDIR; k++) {
			double cap = a->cap[k] > 0 ? a->cap[k] : a->top[k];
			o->cap_kbps[k] = cap;
			for (int b = 0; b < CHART_LOAD_BINS; b++) {
				struct chart_load_bin *ob = &o->bin[k][b];
				memset(h, 0, LOAD_RTT_BINS * sizeof(*h));
				uint64_t total = 0;
				for (size_t f = 0; f < LOAD_FINE; f++) {
					/* the fine bin's lower edge decides */
					double pct =
						cap > 0 ? 100.0 * (double)f *
								  a->w[k] / cap
							: 0;
					int fb = (int)(pct / 10);
					if ((fb < CHART_LOAD_BINS - 1
						     ? fb
						     : CHART_LOAD_BINS - 1) !=
					    b)
						continue;
					ob->count += a->sent[k][f];
					ob->lost += a->lostn[k][f];
					const uint32_t *row =
						a->h[k] + f * LOAD_RTT_BINS;
					for (size_t r = 0; r < LOAD_RTT_BINS;
					     r++) {
						h[r] += row[r];
						total += row[r];
					}
				}
				double *out[5] = { &ob->p5, &ob->p25, &ob->p50,
						   &ob->p75, &ob->p95 };
				static const double pq[5] = { 0.05, 0.25, 0.5,
							      0.75, 0.95 };
				for (int j = 0; j < 5; j++) {
					*out[j] = NAN;
					double want = pq[j] * (double)total,
					       cum = 0;
					for (size_t r = 0;
					     total && r < LOAD_RTT_BINS; r++) {
						if (h[r] &&
						    cum + h[r] >= want) {
							double fr =
								(want - cum) /
								h[r];
							double lo =
								HIST_LO_MS *
								pow(10.0,
								    (double)r /
									    LOAD_RTT_PER_DECADE);
							double hi =
								lo *
								pow(10.0,
								    1.0 / LOAD_RTT_PER_DECADE);
							*out[j] = lo *
								  pow(hi / lo,
								      fr);
							break;
						}
						cum += h[r];
					}
				}
			}
		}
	}
	free(h);
	return 0;
}

const char *chart_load_missing(const struct chart_data *d)
{
	if (!d->nload)
		return "no traffic readings in this period: "
		       "tests.traffic.enabled";
	for (size_t i = 0; i < d->nload; i++)
		for (int k = 0; k < CHART_LOAD_NDIR; k++)
			for (int b = 0; b < CHART_LOAD_BINS; b++)
				if (!isnan(d->load[i].bin[k][b].p50))
					return NULL;
	return "no answered delay probe (icmp, udp_echo) in the seconds of "
	       "the traffic readings";
}

/* One raw sample, counted the way the rollups and history count: late,
 * duplicate, no-session and under-our-own-load samples are not probes. */
static int take_sample(void *ctx, const struct bb_sample *m)
{
	struct load *l = ctx;
	struct chart_data *d = l->d;
	if (m->kind == BB_KIND_TRAFFIC) /* no probe: no delay, no loss */
		return l->q->without_load ? 0 : load_traffic(l, m);
	if (m->flags & BB_SAMPLE_UNCOUNTED || m->kind >= BB_KIND_COUNT ||
	    !wanted(l->q, m->interface, m->target))
		return 0;
	if (m->kind == BB_KIND_BUFFERBLOAT)
		return take_bloat(l, m);
	if (!l->q->without_load && load_probe(l, m) < 0)
		return -ENOMEM;
	int i = series_find(l, m->interface, m->kind, m->target, m->server);
	if (i < 0)
		return i;
	struct acc *a = &l->acc[i];
	int64_t t = m->real_ns / BB_NS_PER_MS;
	size_t k = (size_t)((t - d->from_ms) / d->bucket_ms);
	if (k >= d->series[i].n)
		return 0;
	if (k != a->cur) {
		acc_flush(l, (size_t)i);
		a->cur = k;
	}
	a->count++;
	double v = NAN;
	if (m->status != BB_STATUS_OK)
		a->lost++;
	else if (tput_kind(m->kind))
		v = m->throughput_kbps == BB_NONE ? NAN
						  : (double)m->throughput_kbps;
	else if (m->rtt_ns != BB_NONE)
		v = (double)m->rtt_ns / BB_NS_PER_MS;
	if (heat_kind(m->kind) &&
	    heat_take(l, t, 1, m->status != BB_STATUS_OK, v, 0) < 0)
		return -ENOMEM;
	if (isnan(v)) {
		a->prev = NAN; /* IPDV pairs consecutive answered probes */
		return 0;
	}
	if (grow((void **)&a->v, &a->cap, a->n, sizeof(*a->v)) < 0)
		return -ENOMEM;
	a->v[a->n++] = v;
	if (!isnan(a->prev)) {
		a->jsum += fabs(v - a->prev);
		a->jn++;
	}
	a->prev = v;
	if (d->series[i].hist)
		d->series[i].hist[hist_bin(v)]++;
	else {
		if (grow((void **)&a->tv, &a->tvcap, a->ntv, sizeof(*a->tv)) <
		    0)
			return -ENOMEM;
		a->tv[a->ntv++] = v; /* tests are few: keep them all */
	}
	return 0;
}

struct agg_pass {
	struct load *l;
	uint8_t *minute_hours; /* clock hours the 1-min rollups cover */
	size_t nhours;
	int64_t base; /* the first of them */
	bool hourly;
};

static int take_agg(void *ctx, const struct store_agg *r)
{
	struct agg_pass *p = ctx;
	struct load *l = p->l;
	struct chart_data *d = l->d;
	if (r->kind < 0 || r->kind >= BB_KIND_COUNT ||
	    r->kind == BB_KIND_BUFFERBLOAT ||
	    !wanted(l->q, r->interface, r->target))
		return 0;
	size_t h = (size_t)((r->bucket_ms - p->base) / HOUR_MS);
	if (!p->hourly && h < p->nhours)
		p->minute_hours[h] = 1;
	else if (p->hourly && h < p->nhours && p->minute_hours[h])
		return 0; /* the minutes said it better */
	int64_t t = r->bucket_ms < d->from_ms ? d->from_ms : r->bucket_ms;
	int i = series_find(l, r->interface, r->kind, r->target, r->server);
	if (i < 0)
		return i;
	struct acc *a = &l->acc[i];
	size_t k = (size_t)((t - d->from_ms) / d->bucket_ms);
	if (k >= d->series[i].n)
		return 0;
	if (k != a->cur) {
		acc_flush(l, (size_t)i);
		a->cur = k;
	}
	a->count += (uint32_t)r->count;
	a->lost += (uint32_t)r->lost;
	d->from_rollups = true;
	if (r->count <= r->lost || isnan(r->min) || isnan(r->max))
		return 0;
	double w = (double)(r->count - r->lost);
	double p50 = isnan(r->p50) ? r->avg : r->p50;
	if (heat_kind(r->kind) &&
	    heat_take(l, t, (uint32_t)r->count, (uint32_t)r->lost, p50, w) < 0)
		return -ENOMEM;
	if (tput_kind(r->kind)) {
		if (grow((void **)&a->tv, &a->tvcap, a->ntv, sizeof(*a->tv)) <
		    0)
			return -ENOMEM;
		a->tv[a->ntv++] = p50;
	}
	if (grow((void **)&a->r, &a->rcap, a->nr, sizeof(*a->r)) < 0)
		return -ENOMEM;
	a->r[a->nr++] = (struct agg_dist){
		w,
		{ r->min, p50, isnan(r->p95) ? p50 : r->p95,
		  isnan(r->p99) ? r->max : r->p99, r->max },
	};
	return 0;
}

static void flush_all(struct load *l)
{
	for (size_t i = 0; i < l->d->nseries; i++)
		acc_flush(l, i);
	heat_flush(l);
}

/* Rollup rows for [from, until): minutes first, hours where no minute
 * row is left. */
static int read_rollups(struct store *st, struct load *l, int64_t until)
{
	struct chart_data *d = l->d;
	struct agg_pass p = { .l = l,
			      .base = d->from_ms - d->from_ms % HOUR_MS };
	p.nhours = (size_t)((until - p.base + HOUR_MS - 1) / HOUR_MS);
	p.minute_hours = calloc(p.nhours ? p.nhours : 1, 1);
	if (!p.minute_hours)
		return -ENOMEM;
	int rc = store_read_aggs(st, STORE_AGG_1MIN, d->from_ms, until,
				 take_agg, &p);
	flush_all(l);
	if (rc == 0) {
		p.hourly = true;
		/* an hour starting before from still covers part of it */
		rc = store_read_aggs(st, STORE_AGG_1HOUR, p.base, until,
				     take_agg, &p);
		flush_all(l);
	}
	free(p.minute_hours);
	return rc;
}

static int take_event(void *ctx, const struct bb_event *ev)
{
	struct load *l = ctx;
	struct chart_data *d = l->d;
	const struct chart_query *q = l->q;
	if (q->interface && q->interface[0] && ev->interface[0] &&
	    strcmp(q->interface, ev->interface))
		return 0;
	if (q->target && q->target[0] && ev->target[0] &&
	    strcmp(q->target, ev->target))
		return 0;
	if (grow((void **)&d->events, &l->evcap, d->nevents,
		 sizeof(*d->events)) < 0)
		return -ENOMEM;
	struct chart_event *e = &d->events[d->nevents++];
	memset(e, 0, sizeof(*e));
	e->start_ms = ev->start_ms;
	e->end_ms = ev->end_ms ? ev->end_ms : -1;
	snprintf(e->kind, sizeof(e->kind), "%s", ev->kind);
	snprintf(e->severity, sizeof(e->severity), "%s",
		 bb_severity_name(ev->severity));
	snprintf(e->interface, sizeof(e->interface), "%s", ev->interface);
	snprintf(e->target, sizeof(e->target), "%s", ev->target);
	snprintf(e->description, sizeof(e->description), "%s", ev->description);
	return 0;
}

/* The period's figures of a series: delays from its histogram (log
 * interpolation inside a bin), throughput from its tests exactly. */
static void series_totals(struct chart_data *d, struct chart_series *s,
			  struct acc *a)
{
	for (size_t k = 0; k < s->n; k++) {
		if (isnan(s->b[k].min))
			continue;
		if (isnan(s->min) || s->b[k].min < s->min)
			s->min = s->b[k].min;
		if (isnan(s->max) || s->b[k].max > s->max)
			s->max = s->b[k].max;
	}
	if (!s->hist) {
		if (a->ntv) {
			qsort(a->tv, a->ntv, sizeof(*a->tv), cmp_double);
			s->p50 = rank(a->tv, a->ntv, 50);
			s->p95 = rank(a->tv, a->ntv, 95);
		}
		return;
	}
	uint64_t total = 0;
	for (size_t h = 0; h < s->nhist; h++)
		total += s->hist[h];
	if (!total)
		return;
	double *out[2] = { &s->p50, &s->p95 };
	const double q[2] = { 0.50, 0.95 };
	for (int j = 0; j < 2; j++) {
		double want = q[j] * (double)total, cum = 0;
		for (size_t h = 0; h < s->nhist; h++) {
			if (cum + s->hist[h] >= want && s->hist[h]) {
				double f = (want - cum) / s->hist[h];
				double lo = d->hist_edge_ms[h],
				       hi = d->hist_edge_ms[h + 1];
				*out[j] = lo * pow(hi / lo, f);
				break;
			}
			cum += s->hist[h];
		}
		if (!isnan(s->min) && *out[j] < s->min)
			*out[j] = s->min;
		if (!isnan(s->max) && *out[j] > s->max)
			*out[j] = s->max;
	}
}

static int cmp_series(const void *x, const void *y)
{
	const struct chart_series *a = x, *b = y;
	if (a->kind != b->kind)
		return (int)a->kind - (int)b->kind;
	int c = strcmp(a->interface, b->interface);
	if (c)
		return c;
	c = strcmp(a->target, b->target);
	return c ? c : strcmp(a->server, b->server);
}

static void set_err(char *err, size_t errlen, const char *what)
{
	if (err && errlen)
		snprintf(err, errlen, "%s", what);
}

/* The period, its buckets and the empty heatmap of q; day0 = the civil
 * day of from_ms (the heatmap's first row). */
static int data_init(const struct chart_query *q, struct chart_data *d,
		     int64_t *day0, char *err, size_t errlen)
{
	memset(d, 0, sizeof(*d));
	if (!q || q->to_ms <= q->from_ms || q->segments < 0) {
		set_err(err, errlen, "empty or reversed period");
		return -EINVAL;
	}
	d->from_ms = q->from_ms;
	d->to_ms = q->to_ms;
	int seg = q->segments ? q->segments : DEFAULT_SEGMENTS;
	if (seg > MAX_SEGMENTS)
		seg = MAX_SEGMENTS;
	int64_t span = q->to_ms - q->from_ms;
	/* whole seconds, so that "N s per column" is what it says */
	d->bucket_ms = ((span + seg - 1) / seg + 999) / 1000 * 1000;
	time_t tt = (time_t)(q->to_ms / 1000);
	struct tm tm;
	localtime_r(&tt, &tm);
	if (!strftime(d->tz, sizeof(d->tz), "%Z", &tm))
		snprintf(d->tz, sizeof(d->tz), "local");

	d->nbins = HIST_BINS;
	d->hist_edge_ms = malloc((HIST_BINS + 1) * sizeof(*d->hist_edge_ms));
	/* local midnight of the first day, for the heatmap */
	tt = (time_t)(q->from_ms / 1000);
	localtime_r(&tt, &tm);
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_isdst = -1;
	d->heat_day0_ms = (int64_t)mktime(&tm) * 1000;
	int64_t dayn;
	int h;
	local_day_hour(q->from_ms, day0, &h);
	local_day_hour(q->to_ms - 1, &dayn, &h);
	d->heat_days = (int)(dayn - *day0 + 1);
	d->heat = malloc((size_t)d->heat_days * 24 * sizeof(*d->heat));
	if (!d->hist_edge_ms || !d->heat) {
		chart_data_free(d);
		set_err(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (size_t k = 0; k <= HIST_BINS; k++)
		d->hist_edge_ms[k] =
			HIST_LO_MS * pow(10.0, (double)k / HIST_PER_DECADE);
	for (int k = 0; k < d->heat_days * 24; k++)
		d->heat[k] = (struct chart_heat){ 0, 0, NAN };
	return 0;
}

/* The period's totals, series in order; -ENOENT when nothing is in it. */
static int data_finish(struct load *l, char *err, size_t errlen)
{
	struct chart_data *d = l->d;
	for (size_t i = 0; i < d->nseries; i++)
		series_totals(d, &d->series[i], &l->acc[i]);
	if (d->nseries) /* qsort(NULL, 0) is undefined */
		qsort(d->series, d->nseries, sizeof(*d->series), cmp_series);
	if (!d->nseries && !d->nbloat && !d->nload) {
		set_err(err, errlen, "nothing recorded in the period");
		return -ENOENT;
	}
	return 0;
}

static void load_free(struct load *l)
{
	for (size_t i = 0; i < l->cap && i < l->d->nseries; i++) {
		free(l->acc[i].v);
		free(l->acc[i].r);
		free(l->acc[i].tv);
	}
	free(l->acc);
	free(l->hv);
	for (size_t i = 0; i < l->nla; i++) {
		for (int k = 0; k < CHART_LOAD_NDIR; k++) {
			free(l->la[i].h[k]);
			free(l->la[i].sent[k]);
			free(l->la[i].lostn[k]);
		}
		free(l->la[i].q);
	}
	free(l->la);
}

int chart_data_from_aggs(const struct chart_query *q,
			 const struct store_agg *min, size_t nmin,
			 const struct store_agg *hour, size_t nhour,
			 struct chart_data *out, char *err, size_t errlen)
{
	int64_t day0;
	int rc = data_init(q, out, &day0, err, errlen);
	if (rc < 0)
		return rc;
	struct chart_data *d = out;
	struct load l = { .d = d, .q = q, .hcell = -1, .day0 = day0 };
	/* as read_rollups: minutes first, hours where no minute row is */
	struct agg_pass p = { .l = &l,
			      .base = d->from_ms - d->from_ms % HOUR_MS };
	p.nhours = (size_t)((d->to_ms - p.base + HOUR_MS - 1) / HOUR_MS);
	p.minute_hours = calloc(p.nhours ? p.nhours : 1, 1);
	if (!p.minute_hours) {
		rc = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < nmin && rc == 0; i++)
		if (min[i].bucket_ms >= d->from_ms &&
		    min[i].bucket_ms < d->to_ms)
			rc = take_agg(&p, &min[i]);
	flush_all(&l);
	p.hourly = true;
	for (size_t i = 0; i < nhour && rc == 0; i++)
		if (hour[i].bucket_ms >= p.base && hour[i].bucket_ms < d->to_ms)
			rc = take_agg(&p, &hour[i]);
	flush_all(&l);
	free(p.minute_hours);
	if (rc == 0)
		rc = data_finish(&l, err, errlen);
out:
	if (rc == -ENOMEM)
		set_err(err, errlen, "out of memory");
	load_free(&l);
	if (rc < 0 && rc != -ENOENT)
		chart_data_free(d);
	return rc;
}

int chart_data_load(struct store *st, const struct chart_query *q,
		    struct chart_data *out, char *err, size_t errlen)
{
	int64_t day0;
	int rc0 = data_init(q, out, &day0, err, errlen);
	if (rc0 < 0)
		return rc0;
	struct chart_data *d = out;

	struct load l = { .d = d, .q = q, .hcell = -1, .day0 = day0 };
	int64_t first, last, raw_from = q->from_ms;
	int rc = store_time_range(st, &first, &last);
	if (rc == -ENOENT)
		first = q->to_ms; /* no raw sample at all: rollups only */
	else if (rc < 0)
		goto fail;
	if (first > q->from_ms) {
		raw_from = first < q->to_ms ? first : q->to_ms;
		/* rollups stand in for what retention deleted */
		if ((rc = read_rollups(st, &l, raw_from)) < 0)
			goto fail;
		if (d->from_rollups)
			d->rollups_until_ms = raw_from;
	}
	if (raw_from < q->to_ms &&
	    (rc = store_read_samples(st, raw_from, q->to_ms, take_sample, &l)) <
		    0)
		goto fail;
	flush_all(&l);
	if ((rc = load_finish(&l)) < 0)
		goto fail;
	if ((rc = store_read_events(st, q->from_ms, q->to_ms, take_event, &l)) <
	    0)
		goto fail;
	rc = data_finish(&l, err, errlen);
	goto out;
fail:
	if (rc == -ENOMEM)
		set_err(err, errlen, "out of memory");
	else
		set_err(err, errlen,
			store_last_error(st)[0] ? store_last_error(st)
						: strerror(-rc));
out:
	load_free(&l);
	if (rc < 0 && rc != -ENOENT) {
		chart_data_free(d);
		d->from_ms = q->from_ms;
		d->to_ms = q->to_ms;
	}
	return rc;
}

void chart_data_free(struct chart_data *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->nseries; i++) {
		free(d->series[i].b);
		free(d->series[i].hist);
	}
	free(d->series);
	free(d->hist_edge_ms);
	free(d->events);
	free(d->bloat);
	free(d->heat);
	free(d->load);
	memset(d, 0, sizeof(*d));
}
