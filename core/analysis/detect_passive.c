// SPDX-License-Identifier: MIT
/*
 * Passive bufferbloat (see detect_passive.h): the pure judge, then the
 * detector's side: the per-interface rings fed by traffic samples, delay
 * answers and our own tests' flags, and the bufferbloat_passive event
 * raised on the tick.
 */
#include "core/analysis/detect_passive.h"
#include "core/analysis/detect_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/clock.h"

#define SEEN_HOLD_S   3	 /* a seen capacity is a rate held this long */
#define SEEN_IDLE_X   4	 /* a seen-capacity busy second: x the median rate */
#define QUIET_AFTER_S 3	 /* a queue drains: idle only this long after load */
#define OWN_MARGIN_S  2	 /* around our own test's flagged probes */
#define PAIR_SHIFT    48 /* (series << 48 | RTT): RTTs below 78 hours */
#define PAIR_RTT_MAX  ((int64_t)1 << PAIR_SHIFT)
#define CURRENT_S     3 /* the load still holds: a busy second this new */

/* ---- the judge ------------------------------------------------------------
 */

const char *passive_dir_name(enum passive_dir dir)
{
	return dir == PASSIVE_DOWN ? "download" : "upload";
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

static int cmp_sec(const void *a, const void *b)
{
	const struct passive_sec *x = *(const struct passive_sec *const *)a;
	const struct passive_sec *y = *(const struct passive_sec *const *)b;
	return (x->sec > y->sec) - (x->sec < y->sec);
}

/* Median of V[0..n) (sorted in place); BB_NONE when empty. */
static int64_t median_i64(int64_t *v, size_t n)
{
	if (!n)
		return BB_NONE;
	qsort(v, n, sizeof(*v), cmp_i64);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

struct judge {
	const struct passive_sec *s[PASSIVE_SECONDS];
	size_t n;
	double cap[PASSIVE_NDIR];
	enum passive_cap src[PASSIVE_NDIR];
	int64_t idle_rate[PASSIVE_NDIR]; /* median rate, not own */
};

static bool have_rate(const struct passive_sec *s, int d)
{
	return s->rate[d] != BB_NONE;
}

/* The highest rate held SEEN_HOLD_S consecutive seconds outside our tests
 * (the middle of the seconds' rates: one dip or peak does not decide). */
static double seen_capacity(const struct judge *j, int d)
{
	int64_t best = 0, v[SEEN_HOLD_S];
	for (size_t i = SEEN_HOLD_S - 1; i < j->n; i++) {
		size_t nv = 0;
		for (size_t k = i + 1 - SEEN_HOLD_S; k <= i; k++) {
			const struct passive_sec *s = j->s[k];
			if (!s->own && have_rate(s, d) &&
			    s->sec == j->s[i]->sec - (int64_t)(i - k))
				v[nv++] = s->rate[d];
		}
		if (nv == SEEN_HOLD_S) {
			int64_t m = median_i64(v, nv);
			if (m > best)
				best = m;
		}
	}
	return (double)best;
}

/* Each direction's capacity, then its idle rate: the median of the
 * seconds below PASSIVE_IDLE_PCT of it (a household busy most of the
 * time must not lift it to the busy rate). */
static void capacities(struct judge *j, const double cap_test[PASSIVE_NDIR])
{
	static int64_t v[PASSIVE_SECONDS];
	for (int d = 0; d < PASSIVE_NDIR; d++) {
		if (cap_test && cap_test[d] > 0) {
			j->cap[d] = cap_test[d];
			j->src[d] = PASSIVE_CAP_TEST;
		} else {
			j->cap[d] = seen_capacity(j, d);
			j->src[d] = j->cap[d] > 0 ? PASSIVE_CAP_SEEN
						  : PASSIVE_CAP_NONE;
		}
		size_t nv = 0;
		for (size_t i = 0; i < j->n; i++)
			if (!j->s[i]->own && have_rate(j->s[i], d) &&
			    (double)j->s[i]->rate[d] <
				    PASSIVE_IDLE_PCT / 100 * j->cap[d])
				v[nv++] = j->s[i]->rate[d];
		j->idle_rate[d] = nv ? median_i64(v, nv) : 0;
	}
}

static bool busy(const struct judge *j, const struct passive_sec *s, int d)
{
	if (s->own || !have_rate(s, d) || j->src[d] == PASSIVE_CAP_NONE)
		return false;
	double r = (double)s->rate[d];
	if (r < PASSIVE_MIN_KBPS || r < PASSIVE_BUSY_PCT / 100 * j->cap[d])
		return false;
	if (j->src[d] == PASSIVE_CAP_SEEN &&
	    r < SEEN_IDLE_X * (double)j->idle_rate[d])
		return false;
	/* an upload's ACKs come down and a download's go up: the second is
	 * the direction that leads (by utilisation when both capacities are
	 * measured, else by rate) */
	int o = !d;
	if (!have_rate(s, o))
		return true;
	if (j->src[d] == PASSIVE_CAP_TEST && j->src[o] == PASSIVE_CAP_TEST)
		return r / j->cap[d] >= (double)s->rate[o] / j->cap[o];
	return r >= (double)s->rate[o];
}

/* Loud enough in either direction to stand in a queue's way. */
static bool loud(const struct judge *j, const struct passive_sec *s)
{
	for (int d = 0; d < PASSIVE_NDIR; d++) {
		double r = have_rate(s, d) ? (double)s->rate[d] : 0;
		if (r >= PASSIVE_MIN_KBPS / 4 &&
		    r >= PASSIVE_IDLE_PCT / 100 * j->cap[d])
			return true;
	}
	return false;
}

/* Mark in BUSY[] the seconds of direction D in runs of at least
 * PASSIVE_SUSTAIN_S (one second without a rate, the counters' read
 * drifting over a second's edge, neither breaks a run nor counts; two
 * do). */
static void busy_runs(const struct judge *j, int d, bool *isbusy)
{
	size_t start = 0, len = 0;
	memset(isbusy, 0, j->n * sizeof(*isbusy));
	for (size_t i = 0; i <= j->n; i++) {
		const struct passive_sec *s = i < j->n ? j->s[i] : NULL;
		bool gap = s && !have_rate(s, d) && !s->own && len &&
			   s->sec - j->s[i - 1]->sec == 1 &&
			   have_rate(j->s[i - 1], d);
		bool on = s && busy(j, s, d) &&
			  (!len || s->sec - j->s[i - 1]->sec == 1);
		if (on || gap) {
			if (!len)
				start = i;
			len++;
			continue;
		}
		/* the run's busy seconds, without a trailing gap */
		size_t end = start + len;
		while (end > start && !have_rate(j->s[end - 1], d))
			end--;
		size_t nb = 0;
		for (size_t k = start; k < end; k++)
			nb += have_rate(j->s[k], d);
		if (nb >= PASSIVE_SUSTAIN_S)
			for (size_t k = start; k < end; k++)
				isbusy[k] = true;
		len = 0;
		if (s && busy(j, s, d)) {
			start = i;
			len = 1;
		}
	}
}

int passive_judge(const struct passive_sec *ring, size_t n, int64_t now_s,
		  enum passive_dir dir, const double cap_test[PASSIVE_NDIR],
		  struct passive_result *out)
{
	static struct judge j;
	static bool isbusy[PASSIVE_SECONDS], isidle[PASSIVE_SECONDS];
	static int64_t med[256], tmp[PASSIVE_SECONDS * PASSIVE_RTTS];
	static int64_t idle_all[PASSIVE_SECONDS * PASSIVE_RTTS];
	static int64_t deltas[PASSIVE_SECONDS * PASSIVE_RTTS];
	static int64_t rates[PASSIVE_SECONDS];

	memset(out, 0, sizeof(*out));
	out->dir = dir;
	j.n = 0;
	for (size_t i = 0; i < n && j.n < PASSIVE_SECONDS; i++)
		if (ring[i].sec)
			j.s[j.n++] = &ring[i];
	qsort(j.s, j.n, sizeof(j.s[0]), cmp_sec);
	capacities(&j, cap_test);
	out->cap_src = j.src[dir];
	out->cap_kbps = j.cap[dir];
	if (j.src[dir] == PASSIVE_CAP_NONE)
		return 0;

	busy_runs(&j, dir, isbusy);
	/* idle: quiet both ways, and long enough after any load that the
	 * queue it left has drained */
	int64_t last_loud = INT64_MIN / 2;
	for (size_t i = 0; i < j.n; i++) {
		const struct passive_sec *s = j.s[i];
		bool noisy = s->own || loud(&j, s);
		for (int d = 0; d < PASSIVE_NDIR; d++)
			noisy |= j.src[d] != PASSIVE_CAP_NONE && busy(&j, s, d);
		if (noisy)
			last_loud = s->sec;
		isidle[i] = !noisy && have_rate(s, PASSIVE_UP) &&
			    have_rate(s, PASSIVE_DOWN) &&
			    s->sec - last_loud > QUIET_AFTER_S;
	}

	/* each series' idle median: (series, RTT) pairs sorted by both */
	size_t nt = 0;
	for (size_t k = 0; k < 256; k++)
		med[k] = BB_NONE;
	for (size_t i = 0; i < j.n; i++)
		for (size_t r = 0; isidle[i] && r < j.s[i]->nrtt; r++)
			if (j.s[i]->rtt[r] < PAIR_RTT_MAX)
				tmp[nt++] = (int64_t)j.s[i]->series[r]
						    << PAIR_SHIFT |
					    j.s[i]->rtt[r];
	qsort(tmp, nt, sizeof(tmp[0]), cmp_i64);
	for (size_t a = 0, b; a < nt; a = b) {
		int64_t k = tmp[a] >> PAIR_SHIFT;
		for (b = a; b < nt && tmp[b] >> PAIR_SHIFT == k; b++)
			;
		size_t c = b - a;
		if (c >= 3)
			med[k] =
				(c % 2 ? tmp[a + c / 2]
				       : (tmp[a + c / 2 - 1] + tmp[a + c / 2]) /
						 2) &
				(PAIR_RTT_MAX - 1);
	}
	size_t nidle = 0, nd = 0, nr = 0;
	for (size_t i = 0; i < j.n; i++) {
		const struct passive_sec *s = j.s[i];
		bool judged = isbusy[i] && s->sec > now_s - PASSIVE_WINDOW_S;
		if (judged && have_rate(s, dir)) {
			rates[nr++] = s->rate[dir];
			if (!out->first_s)
				out->first_s = s->sec;
			out->last_s = s->sec;
		}
		for (size_t r = 0; r < s->nrtt; r++) {
			int64_t m = med[s->series[r]];
			if (m == BB_NONE)
				continue;
			if (isidle[i])
				idle_all[nidle++] = s->rtt[r];
			else if (judged)
				deltas[nd++] = s->rtt[r] - m;
		}
	}
	out->busy_s = (int)nr;
	out->n_idle = (int)nidle;
	out->n_busy = (int)nd;
	if (!nr)
		return 0;
	out->rate_kbps = (double)median_i64(rates, nr);
	out->util_pct = 100 * out->rate_kbps / out->cap_kbps;
	if (nidle < PASSIVE_MIN_IDLE || nd < PASSIVE_MIN_BUSY)
		return 0;
	out->idle_ms = det_ms(median_i64(idle_all, nidle));
	out->increase_ms = det_ms(median_i64(deltas, nd));
	out->loaded_ms = out->idle_ms + out->increase_ms;
	return 1;
}

/* ---- the detector's side ------------------------------------------------ */

struct passive_if {
	char iface[BB_IFNAME_LEN];
	struct passive_sec ring[PASSIVE_SECONDS];
	int64_t own_until; /* seconds up to this are our own test's */
	double cap_test[PASSIVE_NDIR];
};

struct passive_state {
	struct passive_if *ifs[MAX_JOINT];
	size_t n;
};

static struct passive_if *pif_for(struct detect *d, const char *iface)
{
	if (!d->passive) {
		d->passive = calloc(1, sizeof(*d->passive));
		if (!d->passive)
			return NULL;
	}
	struct passive_state *ps = d->passive;
	for (size_t i = 0; i < ps->n; i++)
		if (!strcmp(ps->ifs[i]->iface, iface))
			return ps->ifs[i];
	if (ps->n == MAX_JOINT)
		return NULL;
	struct passive_if *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	snprintf(p->iface, sizeof(p->iface), "%s", iface);
	ps->ifs[ps->n++] = p;
	return p;
}

/* The slot of monotonic second SEC, emptied when it held an older one. */
static struct passive_sec *slot(struct passive_if *p, int64_t sec)
{
	struct passive_sec *s = &p->ring[sec % PASSIVE_SECONDS];
	if (s->sec != sec) {
		memset(s, 0, sizeof(*s));
		s->sec = sec;
		s->rate[PASSIVE_UP] = s->rate[PASSIVE_DOWN] = BB_NONE;
		s->own = sec <= p->own_until;
	}
	return s;
}

void det_passive_traffic(struct detect *d, const struct bb_sample *s)
{
	if (s->status != BB_STATUS_OK || s->rx_kbps == BB_NONE ||
	    s->tx_kbps == BB_NONE || s->mono_ns <= BB_NS_PER_S)
		return;
	struct passive_if *p = pif_for(d, s->interface);
	if (!p)
		return;
	/* the rates are of the second before the read: its middle decides */
	struct passive_sec *x =
		slot(p, (s->mono_ns - BB_NS_PER_S / 2) / BB_NS_PER_S);
	for (int k = 0; k < PASSIVE_NDIR; k++) {
		int64_t v = k == PASSIVE_UP ? s->tx_kbps : s->rx_kbps;
		x->rate[k] = x->rate[k] == BB_NONE ? v : (x->rate[k] + v) / 2;
	}
	if (s->flags & BB_SAMPLE_UNDER_LOAD)
		x->own = true;
}

void det_passive_rtt(struct detect *d, const struct dseries *ds,
		     const struct bb_sample *s)
{
	/* the queue of a busy line is past the gateway: its delay is not */
	if (!strcmp(ds->ms->target, "gateway") || s->rtt_ns == BB_NONE ||
	    s->rtt_ns <= 0 || s->mono_ns <= 0)
		return;
	struct passive_if *p = pif_for(d, s->interface);
	if (!p)
		return;
	struct passive_sec *x = slot(p, s->mono_ns / BB_NS_PER_S);
	if (x->nrtt < PASSIVE_RTTS) {
		x->series[x->nrtt] = (uint8_t)(ds - d->s);
		x->rtt[x->nrtt++] = s->rtt_ns;
	}
}

void det_passive_own(struct detect *d, const struct dseries *ds,
		     const struct bb_sample *s)
{
	struct passive_if *p = pif_for(d, s->interface);
	if (!p || s->mono_ns <= 0)
		return;
	/* the probes our test flagged come one interval apart: the seconds
	 * between them and a margin are the test's too, and so are its
	 * bytes in the counters */
	int64_t iv = ds->interval_ns / BB_NS_PER_S + OWN_MARGIN_S;
	int64_t sec = s->mono_ns / BB_NS_PER_S;
	for (int64_t k = sec - iv; k <= sec; k++)
		if (k > 0)
			slot(p, k)->own = true;
	if (sec + iv > p->own_until)
		p->own_until = sec + iv;
	for (int64_t k = sec + 1; k <= p->own_until; k++)
		if (p->ring[k % PASSIVE_SECONDS].sec == k)
			p->ring[k % PASSIVE_SECONDS].own = true;
}

void det_passive_capacity(struct detect *d, const struct bb_sample *s)
{
	struct passive_if *p = pif_for(d, s->interface);
	if (!p || s->status != BB_STATUS_OK || s->throughput_kbps == BB_NONE ||
	    s->throughput_kbps <= 0)
		return;
	p->cap_test[s->kind == BB_KIND_UPLOAD ? PASSIVE_UP : PASSIVE_DOWN] =
		(double)s->throughput_kbps;
}

static void raise_passive(struct detect *d, const struct passive_if *p,
			  const struct passive_result *r)
{
	const struct bb_thresholds *th = &d->params.thresholds;
	double inc = r->increase_ms;
	if (inc <= th->bufferbloat_alert_ms)
		return;
	enum bb_severity sev = inc > th->bufferbloat_critical_ms
				       ? BB_SEV_CRITICAL
				       : BB_SEV_WARNING;
	const char *grade = diag_bloat_grade(inc);
	const char *dir = passive_dir_name(r->dir);
	bool test = r->cap_src == PASSIVE_CAP_TEST;
	char desc[BB_EVENT_DESC_LEN], met[BB_EVENT_METRICS_LEN];
	snprintf(desc, sizeof(desc),
		 "%c%s busy at %.1f Mbit/s (%.0f %% of the %s %.1f Mbit/s) "
		 "raised latency by +%.0f ms (%.1f -> %.1f ms), grade %s.",
		 dir[0] - 32, dir + 1, r->rate_kbps / 1000, r->util_pct,
		 test ? "measured capacity," : "highest rate seen,",
		 r->cap_kbps / 1000, inc, r->idle_ms, r->loaded_ms, grade);
	snprintf(met, sizeof(met),
		 "{\"direction\":\"%s\",\"rate_kbps\":%.0f,\"capacity_kbps\":"
		 "%.0f,\"capacity\":\"%s\",\"utilisation_pct\":%.1f,"
		 "\"idle_ms\":%.3f,\"loaded_ms\":%.3f,\"increase_ms\":%.3f,"
		 "\"grade\":\"%s\",\"busy_s\":%d,\"busy_rtts\":%d,"
		 "\"idle_rtts\":%d}",
		 dir, r->rate_kbps, r->cap_kbps, test ? "measured" : "seen",
		 r->util_pct, r->idle_ms, r->loaded_ms, inc, grade, r->busy_s,
		 r->n_busy, r->n_idle);
	struct place pl = { p->iface, dir, "" };
	struct devent *e = det_open_event(d, DK_PASSIVE, pl);
	int64_t start = e ? e->ev.start_ms
			  : det_real_ms_of(d, r->first_s * BB_NS_PER_S);
	det_raise_ev(d, DK_PASSIVE, pl, sev, start,
		     det_real_ms_of(d, (r->last_s + 1) * BB_NS_PER_S), inc,
		     desc, met);
}

/* Could direction DIR be busy now: a second of the last CURRENT_S at
 * PASSIVE_MIN_KBPS or more, outside our tests?  The judge reads the whole
 * ring (some 200 us); a replay seeking through a quiet day ticks every
 * second of it, so only a line with traffic now is judged. */
static bool maybe_busy(const struct passive_if *p, int64_t now_s, int dir)
{
	for (int64_t k = now_s - CURRENT_S; k <= now_s; k++) {
		const struct passive_sec *s = &p->ring[k % PASSIVE_SECONDS];
		if (k > 0 && s->sec == k && !s->own &&
		    s->rate[dir] != BB_NONE && s->rate[dir] >= PASSIVE_MIN_KBPS)
			return true;
	}
	return false;
}

void det_passive_tick(struct detect *d, int64_t now)
{
	struct passive_state *ps = d->passive;
	int64_t now_s = now / BB_NS_PER_S;
	for (size_t i = 0; ps && i < ps->n; i++) {
		struct passive_if *p = ps->ifs[i];
		for (int k = 0; k < PASSIVE_NDIR; k++) {
			struct passive_result r;
			if (maybe_busy(p, now_s, k) &&
			    passive_judge(p->ring, PASSIVE_SECONDS, now_s,
					  (enum passive_dir)k, p->cap_test,
					  &r) == 1 &&
			    r.last_s >= now_s - CURRENT_S)
				raise_passive(d, p, &r);
		}
	}
}

void det_passive_free(struct detect *d)
{
	struct passive_state *ps = d->passive;
	for (size_t i = 0; ps && i < ps->n; i++)
		free(ps->ifs[i]);
	free(ps);
	d->passive = NULL;
}
