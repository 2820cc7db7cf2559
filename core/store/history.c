// SPDX-License-Identifier: MIT
/*
 * History questions over the database (see history.h): the peak-hour
 * diagnosis over the rollups, and the period summary behind `stats` and
 * `report` with its verdict.  Read-only: nothing here writes to the store.
 */
#include "core/store/history.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "core/analysis/advice.h"
#include "core/base/clock.h"
#include "core/analysis/detect_diag.h"
#include "core/base/sample.h"
#include "core/probe/kind.h"
#include "core/store/store.h"

#define PEAK_MAX_ROWS (24 * 8)

struct hour_fold {
	struct diag_hour rows[PEAK_MAX_ROWS];
	size_t n;
	/* the series' hours are merged per (bucket): one row per hour */
	int64_t bucket_ms;
	double p50_sum;
	int64_t p50_n, count, lost;
};

static void fold_flush(struct hour_fold *f)
{
	if (f->count <= 0 || f->p50_n == 0 || f->n >= PEAK_MAX_ROWS)
		goto reset;
	time_t t = (time_t)(f->bucket_ms / 1000);
	struct tm tm;
	localtime_r(&t, &tm);
	/* the mean of the targets' medians: each target weighs the same */
	f->rows[f->n++] =
		(struct diag_hour){ tm.tm_hour, f->p50_sum / (double)f->p50_n,
				    100.0 * (double)f->lost /
					    (double)f->count };
reset:
	f->p50_sum = 0;
	f->p50_n = f->count = f->lost = 0;
}

static int fold_row(void *ctx, const struct store_agg *a)
{
	struct hour_fold *f = ctx;
	if (!kind_is_round_trip(a->kind))
		return 0;
	if (a->bucket_ms != f->bucket_ms) {
		fold_flush(f);
		f->bucket_ms = a->bucket_ms;
	}
	f->count += a->count;
	f->lost += a->lost;
	if (!isnan(a->p50)) {
		f->p50_sum += a->p50;
		f->p50_n++;
	}
	return 0;
}

int history_peak_hours(struct store *st, int64_t now_ms, int days,
		       struct diag_peak *out)
{
	if (days < 1 || days > 7)
		days = 7; /* PEAK_MAX_ROWS holds 8 days of hours */
	struct hour_fold *f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	int rc =
		store_read_aggs(st, STORE_AGG_1HOUR, now_ms - days * 86400000LL,
				now_ms, fold_row, f);
	if (rc == 0) {
		fold_flush(f);
		rc = diag_peak_hours(f->rows, f->n, out) ? -ENOENT : 0;
	}
	free(f);
	return rc;
}

/* ---- opening a database for a sub-command -------------------------------- */

int history_open(const char *path, struct store **out, char *err, size_t errlen)
{
	static const char magic[16] = "SQLite format 3";
	char head[16];
	struct stat sb;
	*out = NULL;
	if (stat(path, &sb) < 0) {
		int e = errno;
		snprintf(err, errlen, "%s: %s", path,
			 e == ENOENT ? "no such database file" : strerror(e));
		return -e;
	}
	if (!S_ISREG(sb.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		return -EILSEQ;
	}
	/* A readable file that is not SQLite is bad input, not a failure. */
	FILE *f = fopen(path, "rb");
	if (!f) {
		int e = errno;
		snprintf(err, errlen, "%s: %s", path, strerror(e));
		return -e;
	}
	size_t got = fread(head, 1, sizeof(head), f);
	fclose(f);
	if (got == 0) {
		snprintf(err, errlen,
			 "%s: empty file, not a Bufferbane database", path);
		return -EILSEQ;
	}
	if (got < sizeof(head) || memcmp(head, magic, sizeof(magic)) != 0) {
		snprintf(err, errlen, "%s: not an SQLite database", path);
		return -EILSEQ;
	}
	int why;
	struct store *st =
		store_open_why(path, STORE_RDONLY, &why, err, errlen);
	if (!st) /* store_open names the file; bad input or a failure */
		return why == STORE_WHY_INPUT ? -EILSEQ : -EIO;
	*out = st;
	return 0;
}

/* ---- time arguments ------------------------------------------------------ */

int history_parse_last(const char *text, int64_t *ms)
{
	/* units largest first: a sum names each at most once, in this order */
	static const struct {
		char c;
		int64_t ms;
	} unit[] = { { 'w', 7 * 86400000LL },
		     { 'd', 86400000LL },
		     { 'h', 3600000LL },
		     { 'm', 60000LL },
		     { 's', 1000LL } };
	const int64_t cap = HISTORY_LAST_MAX_DAYS * 86400000LL;
	const char *p = text;
	const size_t nunit = sizeof(unit) / sizeof(unit[0]);
	size_t next = 0; /* the first unit still allowed */
	int64_t sum = 0;
	bool over = false;
	if (!*p)
		return -EINVAL;
	while (*p) {
		int64_t v = 0;
		size_t u;
		if (!isdigit((unsigned char)*p))
			return -EINVAL;
		for (; isdigit((unsigned char)*p); p++)
			if (v <=
			    cap) /* past it only the digits' syntax matters */
				v = v * 10 + (*p - '0');
		for (u = next; u < nunit && unit[u].c != *p; u++)
			;
		if (u == nunit)
			return -EINVAL;
		p++;
		next = u + 1;
		if (v > cap / unit[u].ms || (sum += v * unit[u].ms) > cap)
			over = true; /* still read the rest: bad syntax says so
				      */
	}
	if (over)
		return -ERANGE;
	if (sum <= 0)
		return -EINVAL;
	*ms = sum;
	return 0;
}

int history_parse_time(const char *text, int64_t *ms)
{
	struct tm tm = { 0 };
	int y, mo, d, h = 0, mi = 0, s = 0, n = 0;
	char sep;
	if (sscanf(text, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3)
		return -EINVAL;
	const char *p = text + n;
	if (*p) {
		int m = 0;
		if (sscanf(p, "%c%2d:%2d%n", &sep, &h, &mi, &m) != 3 ||
		    (sep != ' ' && sep != 'T'))
			return -EINVAL;
		p += m;
		if (*p) {
			m = 0;
			if (sscanf(p, ":%2d%n", &s, &m) != 1 || p[m])
				return -EINVAL;
		}
	}
	if (n != 10 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 ||
	    mi > 59 || s > 60 || h < 0 || mi < 0 || s < 0)
		return -EINVAL;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	tm.tm_isdst = -1;
	time_t t = mktime(&tm);
	if (t == (time_t)-1 || tm.tm_mday != d) /* 2026-02-31 rolls over */
		return -EINVAL;
	*ms = (int64_t)t * 1000;
	return 0;
}

/* ---- summarizing a period ------------------------------------------------ */

#define HOUR_MS	  3600000LL
#define MINUTE_MS 60000LL

/* One hourly rollup row as a distribution: weight (answered probes) and
 * min, p50, p95, p99, max in ms. */
struct hrow {
	double w, v[5];
};

/* Values gathered for one series of the summary. */
struct acc {
	int64_t *v; /* raw answered values: delay in us, rate in kbit/s */
	size_t n, cap;
	struct hrow *h;
	size_t nh, hcap;
	double amin, amax; /* over the rollup rows, NAN when none */
};

/* A series id met in the hourly rollups of the middle hours. */
struct rid {
	int64_t id;
	int kind;
	int idx; /* summary series; -1: read raw, or past HISTORY_MAX_SERIES */
	int64_t sent, lost;
	double min, max;
	struct hrow *h;
	size_t nh, hcap;
};

struct sum_ctx {
	struct history_summary *s;
	struct acc acc[HISTORY_MAX_SERIES];
	int only_rare; /* a minute read for throughput/bloat samples only */
	int64_t rare_seen, rare_want; /* stop that read once all are in */
	int rc;
	struct rid *ids;
	size_t nids, idcap;
	int64_t *rare_min; /* minutes holding throughput/bloat tests */
	int64_t *rare_cnt; /* and how many such tests each */
	size_t nrare, rarecap, cntcap;
	size_t evcap;
	int64_t mfirst, mlast; /* first/last 1-min bucket in the middle */
	int64_t hfirst;	       /* first 1-hour bucket in the middle */
	int64_t hlast;	       /* and the last */
};

static int grow(void **p, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return 0;
	size_t c = *cap ? 2 * *cap : 64;
	void *q = realloc(*p, c * size);
	if (!q)
		return -ENOMEM;
	*p = q;
	*cap = c;
	return 0;
}

static int rare_kind(int kind)
{
	return kind == BB_KIND_UPLOAD || kind == BB_KIND_DOWNLOAD ||
	       kind == BB_KIND_BUFFERBLOAT;
}

static int64_t floor_to(int64_t t, int64_t len)
{
	return t - ((t % len) + len) % len;
}

/* Index of the series (interface, kind, target, server), added when new;
 * -ENOSPC past HISTORY_MAX_SERIES. */
static int series_find(struct history_summary *s, const char *iface, int kind,
		       const char *target, const char *server)
{
	for (size_t i = 0; i < s->nseries; i++) {
		struct history_series *e = &s->series[i];
		if (e->kind == kind && !strcmp(e->interface, iface) &&
		    !strcmp(e->target, target) && !strcmp(e->server, server))
			return (int)i;
	}
	if (s->nseries == HISTORY_MAX_SERIES) {
		s->series_overflow = 1;
		return -ENOSPC;
	}
	struct history_series *e = &s->series[s->nseries];
	memset(e, 0, sizeof(*e));
	snprintf(e->interface, sizeof(e->interface), "%s", iface);
	snprintf(e->target, sizeof(e->target), "%s", target);
	snprintf(e->server, sizeof(e->server), "%s", server);
	e->kind = kind;
	return (int)s->nseries++;
}

static void take_bloat(struct history_summary *s, const struct bb_sample *m)
{
	static const char *const names[BB_PHASE_COUNT] = {
		[BB_PHASE_UP] = "up",
		[BB_PHASE_DOWN] = "down",
		[BB_PHASE_BOTH] = "both",
	};
	const char *phase =
		m->load_phase < BB_PHASE_COUNT ? names[m->load_phase] : NULL;
	if (!phase)
		return; /* not a result we can place */
	double inc = m->bloat.increase_ns == BB_NONE
			     ? NAN
			     : (double)m->bloat.increase_ns / BB_NS_PER_MS;
	double rpm = m->bloat.rpm >= 0 ? m->bloat.rpm : 0;
	const char *grade = isfinite(inc) ? diag_bloat_grade(inc) : "";
	struct history_bloat *b = NULL;
	for (size_t i = 0; i < s->nbloat && !b; i++)
		if (!strcmp(s->bloat[i].interface, m->interface) &&
		    !strcmp(s->bloat[i].server, m->server) &&
		    !strcmp(s->bloat[i].direction, phase))
			b = &s->bloat[i];
	if (!b) {
		if (s->nbloat == HISTORY_MAX_BLOAT)
			return;
		b = &s->bloat[s->nbloat++];
		memset(b, 0, sizeof(*b));
		snprintf(b->interface, sizeof(b->interface), "%s",
			 m->interface);
		snprintf(b->server, sizeof(b->server), "%s", m->server);
		snprintf(b->direction, sizeof(b->direction), "%s", phase);
		b->latest_inc_ms = b->worst_inc_ms = NAN;
	}
	b->tests++;
	if (m->status != BB_STATUS_OK || !isfinite(inc)) {
		b->failed++;
		return;
	}
	int64_t at = m->real_ns / BB_NS_PER_MS;
	if (isnan(b->latest_inc_ms) || at >= b->latest_ms) {
		b->latest_ms = at;
		b->latest_inc_ms = inc;
		b->latest_rpm = rpm;
		snprintf(b->latest_grade, sizeof(b->latest_grade), "%s", grade);
	}
	/* ties go to the newest, whatever order the reads came in */
	if (isnan(b->worst_inc_ms) || inc > b->worst_inc_ms ||
	    (inc == b->worst_inc_ms && at > b->worst_ms)) {
		b->worst_ms = at;
		b->worst_inc_ms = inc;
		b->worst_rpm = rpm;
		snprintf(b->worst_grade, sizeof(b->worst_grade), "%s", grade);
	}
}

/* One raw sample: counted the way the rollups count (store.c): late and
 * duplicate replies are not probes, nor are those sent under our own
 * test's load (BB_SAMPLE_UNCOUNTED); anything but "ok" is lost. */
static int take_one(struct sum_ctx *c, const struct bb_sample *m);

static int take(void *ctx, const struct bb_sample *m)
{
	struct sum_ctx *c = ctx;
	/* traffic is no probe: its rates are not a series' figure */
	if (m->flags & BB_SAMPLE_UNCOUNTED || m->kind >= BB_KIND_COUNT ||
	    m->kind == BB_KIND_TRAFFIC || (c->only_rare && !rare_kind(m->kind)))
		return 0;
	int rc = take_one(c, m);
	/* the minute's rollups said how many tests it holds: once they are
	 * all in, the rest of the minute is only probes counted already */
	if (rc == 0 && c->only_rare && ++c->rare_seen >= c->rare_want)
		return 1;
	return rc;
}

static int take_one(struct sum_ctx *c, const struct bb_sample *m)
{
	struct history_summary *s = c->s;
	int i = series_find(s, m->interface, m->kind, m->target, m->server);
	if (i < 0)
		return 0; /* more series than a summary shows */
	struct history_series *e = &s->series[i];
	struct acc *a = &c->acc[i];
	int64_t at = m->real_ns / BB_NS_PER_MS;
	if (!s->first_ms || at < s->first_ms)
		s->first_ms = at;
	if (at > s->last_ms)
		s->last_ms = at;
	e->sent++;
	if (m->kind == BB_KIND_BUFFERBLOAT)
		take_bloat(s, m);
	if (m->status != BB_STATUS_OK) {
		e->lost++;
		return 0;
	}
	int tput = m->kind == BB_KIND_UPLOAD || m->kind == BB_KIND_DOWNLOAD;
	int64_t v = tput ? m->throughput_kbps
			 : (m->rtt_ns == BB_NONE ? BB_NONE
						 : m->rtt_ns / BB_NS_PER_US);
	if (v == BB_NONE)
		return 0;
	if (grow((void **)&a->v, &a->cap, a->n, sizeof(*a->v)) < 0)
		return -ENOMEM;
	a->v[a->n++] = v;
	return 0;
}

static int read_raw(struct store *st, struct sum_ctx *c, int64_t from,
		    int64_t to, int64_t only_rare)
{
	if (from >= to)
		return 0;
	c->only_rare = only_rare > 0;
	c->rare_seen = 0;
	c->rare_want = only_rare;
	int rc = store_read_samples(st, from, to, take, c);
	c->only_rare = 0;
	return rc > 0 ? 0 : rc;
}

static struct rid *rid_find(struct sum_ctx *c, int64_t id)
{
	for (size_t i = 0; i < c->nids; i++)
		if (c->ids[i].id == id)
			return &c->ids[i];
	return NULL;
}

static int hrow_add(struct hrow **h, size_t *n, size_t *cap,
		    const struct store_agg *a)
{
	if (isnan(a->p50) || isnan(a->min) || isnan(a->max) ||
	    a->count <= a->lost)
		return 0;
	if (grow((void **)h, cap, *n, sizeof(**h)) < 0)
		return -ENOMEM;
	(*h)[(*n)++] =
		(struct hrow){ (double)(a->count - a->lost),
			       { a->min, a->p50,
				 isnan(a->p95) ? a->p50 : a->p95,
				 isnan(a->p99) ? a->max : a->p99, a->max } };
	return 0;
}

static int take_hour(void *ctx, const struct store_agg *a)
{
	struct sum_ctx *c = ctx;
	if (a->kind < 0)
		return 0;
	if (!c->hfirst)
		c->hfirst = a->bucket_ms;
	c->hlast = a->bucket_ms;
	struct rid *r = rid_find(c, a->series);
	if (!r) {
		if (grow((void **)&c->ids, &c->idcap, c->nids,
			 sizeof(*c->ids)) < 0)
			return -ENOMEM;
		r = &c->ids[c->nids++];
		memset(r, 0, sizeof(*r));
		r->id = a->series;
		r->kind = a->kind;
		r->idx = rare_kind(a->kind)
				 ? -1
				 : series_find(c->s, a->interface, a->kind,
					       a->target, a->server);
		r->min = r->max = NAN;
	}
	r->sent += a->count;
	r->lost += a->lost;
	if (!isnan(a->min) && (isnan(r->min) || a->min < r->min))
		r->min = a->min;
	if (!isnan(a->max) && (isnan(r->max) || a->max > r->max))
		r->max = a->max;
	return hrow_add(&r->h, &r->nh, &r->hcap, a);
}

static int take_minute(void *ctx, const struct store_agg *a)
{
	struct sum_ctx *c = ctx;
	if (!c->mfirst)
		c->mfirst = a->bucket_ms;
	c->mlast = a->bucket_ms;
	if (rare_kind(a->kind)) {
		if (c->nrare && c->rare_min[c->nrare - 1] == a->bucket_ms) {
			c->rare_cnt[c->nrare - 1] += a->count;
			return 0;
		}
		if (grow((void **)&c->rare_min, &c->rarecap, c->nrare,
			 sizeof(*c->rare_min)) < 0 ||
		    grow((void **)&c->rare_cnt, &c->cntcap, c->nrare,
			 sizeof(*c->rare_cnt)) < 0)
			return -ENOMEM;
		c->rare_cnt[c->nrare] = a->count;
		c->rare_min[c->nrare++] = a->bucket_ms;
		return 0;
	}
	return 0;
}

/* Fold the named rollup ids into the summary's series. */
static int merge_ids(struct sum_ctx *c)
{
	struct history_summary *s = c->s;
	for (size_t i = 0; i < c->nids; i++) {
		struct rid *r = &c->ids[i];
		if (rare_kind(r->kind))
			continue; /* read raw, minute by minute */
		if (r->idx < 0)
			continue; /* past HISTORY_MAX_SERIES */
		struct history_series *e = &s->series[r->idx];
		struct acc *a = &c->acc[r->idx];
		e->sent += r->sent;
		e->lost += r->lost;
		if (!isnan(r->min) && (isnan(a->amin) || r->min < a->amin))
			a->amin = r->min;
		if (!isnan(r->max) && (isnan(a->amax) || r->max > a->amax))
			a->amax = r->max;
		for (size_t k = 0; k < r->nh; k++) {
			if (grow((void **)&a->h, &a->hcap, a->nh,
				 sizeof(*a->h)) < 0)
				return -ENOMEM;
			a->h[a->nh++] = r->h[k];
		}
	}
	return 0;
}

static int cmp_i64(const void *x, const void *y)
{
	int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
	return (a > b) - (a < b);
}

/* Nearest-rank percentile (core/analysis/stats.c): rank ceil(p/100 * n). */
static int64_t rank_pct(const int64_t *v, size_t n, unsigned p)
{
	size_t rank = (p * n + 99) / 100;
	return v[rank ? rank - 1 : 0];
}

static double hrow_cdf(const struct hrow *h, double x)
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

/* Share of the series' answered values <= x ms: the raw values exactly,
 * each hour as a piecewise-linear distribution through its rollup's
 * min/p50/p95/p99/max. */
static double mix_cdf(const struct acc *a, double x, double total)
{
	size_t lo = 0, hi = a->n; /* raw values <= x (sorted, in us) */
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if ((double)a->v[mid] / 1000.0 <= x)
			lo = mid + 1;
		else
			hi = mid;
	}
	double f = (double)lo;
	for (size_t k = 0; k < a->nh; k++)
		f += a->h[k].w * hrow_cdf(&a->h[k], x);
	return f / total;
}

static double mix_pct(const struct acc *a, double lo, double hi, double q)
{
	double total = (double)a->n;
	for (size_t k = 0; k < a->nh; k++)
		total += a->h[k].w;
	for (int it = 0; it < 50 && hi - lo > 0.0005; it++) {
		double mid = (lo + hi) / 2;
		if (mix_cdf(a, mid, total) >= q)
			hi = mid;
		else
			lo = mid;
	}
	return hi;
}

static void finish_series(struct history_series *e, struct acc *a)
{
	e->loss_pct = e->sent ? 100.0 * (double)e->lost / (double)e->sent : NAN;
	e->min_ms = e->p50_ms = e->p95_ms = e->p99_ms = e->max_ms = NAN;
	e->tput_median_kbps = e->tput_min_kbps = e->tput_max_kbps = NAN;
	if (a->n)
		qsort(a->v, a->n, sizeof(*a->v), cmp_i64);
	if (e->kind == BB_KIND_UPLOAD || e->kind == BB_KIND_DOWNLOAD) {
		if (a->n) {
			e->tput_median_kbps = (double)rank_pct(a->v, a->n, 50);
			e->tput_min_kbps = (double)a->v[0];
			e->tput_max_kbps = (double)a->v[a->n - 1];
		}
		return;
	}
	if (!a->nh) {
		if (!a->n)
			return;
		e->min_ms = (double)a->v[0] / 1000.0;
		e->max_ms = (double)a->v[a->n - 1] / 1000.0;
		e->p50_ms = (double)rank_pct(a->v, a->n, 50) / 1000.0;
		e->p95_ms = (double)rank_pct(a->v, a->n, 95) / 1000.0;
		e->p99_ms = (double)rank_pct(a->v, a->n, 99) / 1000.0;
		return;
	}
	e->approx = 1;
	double lo = a->amin, hi = a->amax;
	if (a->n) {
		lo = fmin(lo, (double)a->v[0] / 1000.0);
		hi = fmax(hi, (double)a->v[a->n - 1] / 1000.0);
	}
	e->min_ms = lo;
	e->max_ms = hi;
	e->p50_ms = mix_pct(a, lo, hi, 0.50);
	e->p95_ms = mix_pct(a, lo, hi, 0.95);
	e->p99_ms = mix_pct(a, lo, hi, 0.99);
}

static int take_event(void *ctx, const struct bb_event *ev)
{
	struct sum_ctx *c = ctx;
	struct history_summary *s = c->s;
	if (grow((void **)&s->events, &c->evcap, s->nevents,
		 sizeof(*s->events)) < 0)
		return -ENOMEM;
	s->events[s->nevents++] = *ev;
	unsigned sev =
		ev->severity < BB_SEV_COUNT ? ev->severity : BB_SEV_WARNING;
	s->events_by_severity[sev]++;
	struct history_kind_count *k = NULL;
	for (size_t i = 0; i < s->nkinds && !k; i++)
		if (!strcmp(s->kinds[i].kind, ev->kind))
			k = &s->kinds[i];
	if (!k) {
		if (s->nkinds == HISTORY_MAX_KINDS)
			return 0;
		k = &s->kinds[s->nkinds++];
		memset(k, 0, sizeof(*k));
		snprintf(k->kind, sizeof(k->kind), "%s", ev->kind);
	}
	k->count++;
	k->by_severity[sev]++;
	int64_t end = ev->end_ms ? ev->end_ms : s->to_ms;
	int64_t dur = end > ev->start_ms ? end - ev->start_ms : 0;
	k->timed += !history_event_instant(ev);
	if (k->count == 1 || dur > k->longest_ms) {
		k->longest_ms = dur;
		k->longest_start_ms = ev->start_ms;
	}
	const char *pat = ev->pattern;
	k->burst += !strcmp(pat, "burst");
	k->scattered += !strcmp(pat, "scattered");
	k->periodic += !strcmp(pat, "periodic");
	k->unreachable += !strcmp(pat, "unreachable");
	/* an outage of this computer, not the line (detect_route) */
	k->no_route += !strcmp(ev->kind, "micro_disconnect") &&
		       strstr(ev->metrics, "\"no_route\":true");
	return 0;
}

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reads the period the exact way or, when long, with the middle hours from
 * the rollups (see history.h). */
static int summarize_samples(struct store *st, struct sum_ctx *c, int flags)
{
	struct history_summary *s = c->s;
	int64_t h0 = floor_to(s->from_ms + HOUR_MS - 1, HOUR_MS);
	int64_t h1 = floor_to(s->to_ms, HOUR_MS);
	char val[32];
	/* only hours the store has rolled up completely */
	int64_t until =
		store_meta_get(st, "rollup_1hour_until", val, sizeof(val)) == 0
			? strtoll(val, NULL, 10)
			: 0;
	if (floor_to(until, HOUR_MS) < h1)
		h1 = floor_to(until, HOUR_MS);
	/* raw samples before this were deleted (retention or cleanup): the
	 * hours up to the one it falls in come from the hourly rollups */
	int64_t gone =
		store_meta_get(st, "raw_deleted_before", val, sizeof(val)) == 0
			? strtoll(val, NULL, 10)
			: 0;
	int purged = !(flags & HISTORY_EXACT) && gone > s->from_ms;
	if (purged)
		s->raw_gone_ms = gone;
	int rc;
	if (!(flags & HISTORY_EXACT) && h1 > h0) {
		if ((rc = store_read_aggs(st, STORE_AGG_1HOUR, h0, h1,
					  take_hour, c)) < 0)
			return rc;
		int64_t est = 0;
		for (size_t i = 0; i < c->nids; i++)
			est += c->ids[i].sent;
		int need = flags & HISTORY_ROLLUPS || est > HISTORY_RAW_LIMIT;
		int64_t hp = floor_to(gone + HOUR_MS - 1, HOUR_MS);
		if (!need && purged && hp < h1) {
			/* only the purged hours: the rest is read raw */
			for (size_t i = 0; i < c->nids; i++)
				free(c->ids[i].h);
			c->nids = 0;
			c->hfirst = 0;
			h1 = hp > h0 ? hp : h0;
			if (h1 > h0 &&
			    (rc = store_read_aggs(st, STORE_AGG_1HOUR, h0, h1,
						  take_hour, c)) < 0)
				return rc;
		}
		/* the 1-min rollups name the series and place the tests:
		 * without them from the first hour on, read it all (unless
		 * the raw samples are gone: then the hours are all there is) */
		if (need && (rc = store_read_aggs(st, STORE_AGG_1MIN, h0, h1,
						  take_minute, c)) < 0)
			return rc;
		if (!purged &&
		    (!c->mfirst || c->mfirst >= c->hfirst + HOUR_MS)) {
			for (size_t i = 0; i < c->nids; i++)
				free(c->ids[i].h);
			c->nids = c->nrare = 0;
			c->mfirst = c->mlast = 0;
		}
	}
	if (!c->nids)
		return read_raw(st, c, s->from_ms, s->to_ms, 0);

	s->approx = 1;
	s->approx_from_ms = h0;
	s->approx_to_ms = h1;
	if ((rc = read_raw(st, c, s->from_ms, h0, 0)) < 0 ||
	    (rc = read_raw(st, c, h1, s->to_ms, 0)) < 0)
		return rc;
	/* throughput and bloat tests stay exact: read their minutes */
	for (size_t i = 0; i < c->nrare;) {
		size_t j = i + 1;
		int64_t want = c->rare_cnt[i];
		while (j < c->nrare &&
		       c->rare_min[j] == c->rare_min[j - 1] + MINUTE_MS)
			want += c->rare_cnt[j++];
		rc = read_raw(st, c, c->rare_min[i],
			      c->rare_min[j - 1] + MINUTE_MS, want ? want : 1);
		if (rc < 0)
			return rc;
		i = j;
	}
	if ((rc = merge_ids(c)) < 0)
		return rc;
	if (c->mfirst && (!s->first_ms || c->mfirst < s->first_ms))
		s->first_ms = c->mfirst;
	if (purged && c->hfirst && (!s->first_ms || c->hfirst < s->first_ms))
		s->first_ms = c->hfirst;
	if (purged && c->nids && c->hlast + HOUR_MS - 1 > s->last_ms)
		s->last_ms = c->hlast + HOUR_MS - 1;
	if (c->mlast && c->mlast + MINUTE_MS - 1 > s->last_ms)
		s->last_ms = c->mlast + MINUTE_MS - 1;
	return 0;
}

static int take_nosess(void *ctx, const char *iface, const char *target,
		       const char *server, int64_t count, int64_t first_ms,
		       int64_t last_ms, const char *why)
{
	struct history_summary *s = ctx;
	if (s->nnosess == sizeof(s->nosess) / sizeof(s->nosess[0]))
		return 1;
	struct history_nosess *n = &s->nosess[s->nnosess++];
	snprintf(n->server, sizeof(n->server), "%s",
		 server[0] ? server : target);
	n->count = count;
	n->first_ms = first_ms;
	n->last_ms = last_ms;
	snprintf(n->why, sizeof(n->why), "%s", why);
	return 0;
}

int history_summarize(struct store *st, int64_t from_ms, int64_t to_ms,
		      int flags, struct history_summary *out)
{
	int64_t t0 = mono_ms();
	memset(out, 0, sizeof(*out));
	out->from_ms = from_ms;
	out->to_ms = to_ms;
	if (to_ms <= from_ms)
		return -EINVAL;
	struct sum_ctx *c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->s = out;
	for (size_t i = 0; i < HISTORY_MAX_SERIES; i++)
		c->acc[i].amin = c->acc[i].amax = NAN;
	int rc = summarize_samples(st, c, flags);
	for (size_t i = 0; rc == 0 && i < out->nseries; i++) {
		finish_series(&out->series[i], &c->acc[i]);
		out->samples += out->series[i].sent;
	}
	if (rc == 0) {
		/* a series met only while naming has no probes: drop it */
		size_t n = 0;
		for (size_t i = 0; i < out->nseries; i++)
			if (out->series[i].sent)
				out->series[n++] = out->series[i];
		out->nseries = n;
		rc = store_read_events(st, from_ms, to_ms, take_event, c);
	}
	if (rc == 0)
		rc = store_read_no_session(st, from_ms, to_ms, take_nosess,
					   out);
	if (rc == 0)
		rc = history_paths(st, from_ms, to_ms, out);
	if (rc == 0) {
		/* evenings against the rest of the day: only a period that
		 * holds a day says anything of its own evenings (an hour's
		 * stats once reported the day before's) */
		int64_t span = to_ms - from_ms;
		int days = (int)((span + 86400000 - 1) / 86400000);
		out->peak_short = span < 86400000 - 60000;
		out->have_peak =
			!out->peak_short &&
			history_peak_hours(st, to_ms, days > 7 ? 7 : days,
					   &out->peak) == 0;
	}
	for (size_t i = 0; i < HISTORY_MAX_SERIES; i++) {
		free(c->acc[i].v);
		free(c->acc[i].h);
	}
	for (size_t i = 0; i < c->nids; i++)
		free(c->ids[i].h);
	free(c->ids);
	free(c->rare_min);
	free(c->rare_cnt);
	free(c);
	out->elapsed_ms = mono_ms() - t0;
	return rc;
}

void history_summary_fini(struct history_summary *s)
{
	free(s->events);
	s->events = NULL;
	s->nevents = 0;
}

/* ---- words ----------------------------------------------------------------
 */

void history_format_time(int64_t ms, char *buf, size_t len)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	if (!localtime_r(&t, &tm) ||
	    !strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm))
		snprintf(buf, len, "?");
}

int history_open_exit_code(int rc)
{
	return rc == -ENOENT || rc == -EILSEQ ? 2 : 1;
}

bool history_event_instant(const struct bb_event *ev)
{
	return ev->end_ms && ev->end_ms <= ev->start_ms;
}

void history_format_duration(int64_t ms, char *buf, size_t len)
{
	double s = (double)ms / 1000.0;
	if (s < 10)
		snprintf(buf, len, "%.1f s", s);
	else if (s < 120)
		snprintf(buf, len, "%.0f s", s);
	else if (s < 7200)
		snprintf(buf, len, "%.0f min", s / 60);
	else if (s < 2 * 86400)
		snprintf(buf, len, "%.1f h", s / 3600);
	else
		snprintf(buf, len, "%.1f days", s / 86400);
}

void history_span_text(int64_t ms, char *buf, size_t len)
{
	if (ms % 86400000 == 0 && ms >= 2 * 86400000)
		snprintf(buf, len, "%lld days", (long long)(ms / 86400000));
	else if (ms % 3600000 == 0)
		snprintf(buf, len, "%lld h", (long long)(ms / 3600000));
	else if (ms % 60000 == 0)
		snprintf(buf, len, "%lld min", (long long)(ms / 60000));
	else
		snprintf(buf, len, "%lld s", (long long)(ms / 1000));
}

static void cat(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void cat(char *buf, size_t len, const char *fmt, ...)
{
	size_t used = strlen(buf);
	if (used + 1 >= len)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
}

/* Alert kinds that report a state, not a problem. */
static int benign_kind(const char *kind)
{
	return !strcmp(kind, "gateway_change") ||
	       !strncmp(kind, "time_sync", 9);
}

static int problems_of(const struct history_kind_count *k)
{
	return benign_kind(k->kind) ? 0
				    : k->by_severity[BB_SEV_WARNING] +
					      k->by_severity[BB_SEV_CRITICAL];
}

static void verdict_events(const struct history_summary *s, char *buf,
			   size_t len)
{
	int done[HISTORY_MAX_KINDS] = { 0 };
	for (;;) { /* most events first */
		int best = -1;
		for (size_t i = 0; i < s->nkinds; i++)
			if (!done[i] && problems_of(&s->kinds[i]) &&
			    (best < 0 || problems_of(&s->kinds[i]) >
						 problems_of(&s->kinds[best])))
				best = (int)i;
		if (best < 0)
			return;
		done[best] = 1;
		const struct history_kind_count *k = &s->kinds[best];
		int n = problems_of(k);
		char d[32], at[32];
		history_format_duration(k->longest_ms, d, sizeof(d));
		history_format_time(k->longest_start_ms, at, sizeof(at));
		at[16] = '\0'; /* to the minute */
		cat(buf, len, "%s%d %s event%s", buf[0] ? "; " : "", n, k->kind,
		    n == 1 ? "" : "s");
		if (k->burst + k->scattered + k->periodic + k->unreachable) {
			const char *sep = " (";
			const struct {
				int n;
				const char *what;
			} pat[] = { { k->burst, "burst" },
				    { k->periodic, "periodic" },
				    { k->scattered, "scattered" },
				    { k->unreachable, "unreachable" } };
			for (size_t p = 0; p < sizeof(pat) / sizeof(pat[0]);
			     p++) {
				if (!pat[p].n)
					continue;
				cat(buf, len, "%s%d %s", sep, pat[p].n,
				    pat[p].what);
				sep = ", ";
			}
			cat(buf, len, ")");
		}
		if (k->by_severity[BB_SEV_CRITICAL])
			cat(buf, len, ", %d critical",
			    k->by_severity[BB_SEV_CRITICAL]);
		/* instants have no length: "the longest 0.0 s" says nothing */
		if (k->timed)
			cat(buf, len, ", the longest %s on %s", d, at);
	}
}

static int delay_kind(int kind)
{
	return kind_is_delay(kind);
}

/* Series that lost 1 % or more of at least 20 probes, the worst three. */
static void verdict_loss(const struct history_summary *s, char *buf, size_t len)
{
	int done[HISTORY_MAX_SERIES] = { 0 };
	for (int shown = 0; shown < 3; shown++) {
		int best = -1;
		for (size_t i = 0; i < s->nseries; i++) {
			const struct history_series *e = &s->series[i];
			if (done[i] || !delay_kind(e->kind) || e->sent < 20 ||
			    !(e->loss_pct >= 1.0))
				continue;
			if (best < 0 || e->loss_pct > s->series[best].loss_pct)
				best = (int)i;
		}
		if (best < 0)
			return;
		done[best] = 1;
		const struct history_series *e = &s->series[best];
		cat(buf, len,
		    "%s%.1f %% of %s probes to %s%s%s lost (%lld of "
		    "%lld)",
		    buf[0] ? "; " : "", e->loss_pct, sample_kind_name(e->kind),
		    e->target, e->interface[0] ? " via " : "", e->interface,
		    (long long)e->lost, (long long)e->sent);
	}
}

static const char *dir_words(const char *dir)
{
	return !strcmp(dir, "up")     ? "upload"
	       : !strcmp(dir, "down") ? "download"
				      : "upload and download together";
}

/* Per direction, the worst test over every server: bad at
 * HISTORY_BLOAT_BAD_MS and above; "fine" is said only beside a bad one.
 * Returns how many directions were bad. */
static int verdict_bloat(const struct history_summary *s, char *buf, size_t len)
{
	static const char *const dirs[] = { "up", "down", "both" };
	const struct history_bloat *w[3] = { NULL };
	int bad = 0;
	for (size_t i = 0; i < s->nbloat; i++) {
		const struct history_bloat *b = &s->bloat[i];
		for (int d = 0; d < 3; d++)
			if (!strcmp(b->direction, dirs[d]) &&
			    !isnan(b->worst_inc_ms) &&
			    (!w[d] || b->worst_inc_ms > w[d]->worst_inc_ms))
				w[d] = b;
	}
	for (int d = 0; d < 3; d++)
		bad += w[d] && w[d]->worst_inc_ms >= HISTORY_BLOAT_BAD_MS;
	if (!bad)
		return 0;
	for (int d = 0; d < 3; d++) {
		if (!w[d])
			continue;
		if (w[d]->worst_inc_ms >= HISTORY_BLOAT_BAD_MS)
			cat(buf, len,
			    "%s%s bufferbloat +%.0f ms, grade %s (worst of %d "
			    "test%s; latest +%.0f ms, grade %s)",
			    buf[0] ? "; " : "", dir_words(dirs[d]),
			    w[d]->worst_inc_ms, w[d]->worst_grade,
			    w[d]->tests - w[d]->failed,
			    w[d]->tests - w[d]->failed == 1 ? "" : "s",
			    w[d]->latest_inc_ms, w[d]->latest_grade);
		else
			cat(buf, len, "%s%s fine (at worst +%.0f ms, grade %s)",
			    buf[0] ? "; " : "", dir_words(dirs[d]),
			    w[d]->worst_inc_ms, w[d]->worst_grade);
	}
	return bad;
}

/* What to do about the event kinds a period shows (core/analysis/advice.h). Not
 * packet_loss: a period's loss to one target is not placed (the line, the
 * home network or that destination) without the moment's other targets. */
static const struct {
	const char *kind;
	enum advice advice;
} kind_advice[] = {
	{ "micro_disconnect", ADVICE_LINE_OR_HOME },
	{ "upload_degradation", ADVICE_UPLOAD },
	{ "download_degradation", ADVICE_DOWNLOAD },
	{ "latency_spike", ADVICE_DELAY },
	{ "high_jitter", ADVICE_DELAY },
	{ "dns_issue", ADVICE_DNS },
	{ "connection_instability", ADVICE_CONN },
};

/* The advice for what the verdict named, one sentence each. */
static void verdict_advice(const struct history_summary *s, int bloat,
			   char *buf, size_t len)
{
	for (size_t a = 0; a < sizeof(kind_advice) / sizeof(kind_advice[0]);
	     a++)
		for (size_t i = 0; i < s->nkinds; i++) {
			const struct history_kind_count *k = &s->kinds[i];
			if (!problems_of(k) ||
			    strcmp(k->kind, kind_advice[a].kind))
				continue;
			/* outages while this computer had no route are its
			 * own: the line's advice only for the others */
			if (k->no_route)
				advice_add(buf, len, ADVICE_NO_ROUTE, 0);
			if (k->no_route < k->count)
				advice_add(buf, len, kind_advice[a].advice, 0);
		}
	if (s->have_peak && s->peak.degraded)
		advice_add(buf, len, ADVICE_PEAK, 0);
	if (bloat)
		advice_add(buf, len, ADVICE_BLOAT, 0);
}

size_t history_verdict(const struct history_summary *s, char *buf, size_t len)
{
	char lead[96], a[32], b[32];
	if (!len)
		return 0;
	buf[0] = '\0';
	if (s->span[0]) {
		snprintf(lead, sizeof(lead), "in the last %s", s->span);
	} else {
		history_format_time(s->from_ms, a, sizeof(a));
		history_format_time(s->to_ms, b, sizeof(b));
		snprintf(lead, sizeof(lead), "from %s to %s", a, b);
	}
	if (!s->samples && !s->nnosess) {
		snprintf(buf, len, "Nothing was recorded %s.", lead);
		return strlen(buf);
	}
	/* a server we had no session with: its state, not the line's */
	for (size_t i = 0; i < s->nnosess; i++) {
		const struct history_nosess *n = &s->nosess[i];
		char f[32];
		history_format_time(n->first_ms, f, sizeof(f));
		cat(buf, len,
		    "%sno session with %s (%s): %lld echoes not sent from %s "
		    "over %.0f s",
		    buf[0] ? "; " : "", n->server,
		    n->why[0] ? n->why : BB_NO_SESSION_GUESSES,
		    (long long)n->count, f,
		    (double)(n->last_ms - n->first_ms) / 1000);
	}
	verdict_events(s, buf, len);
	verdict_loss(s, buf, len);
	if (s->have_peak && s->peak.degraded) {
		char w[256];
		diag_peak_words(&s->peak, w, sizeof(w));
		cat(buf, len, "%s%s", buf[0] ? "; " : "", w);
	}
	int bloat = verdict_bloat(s, buf, len);
	if (!buf[0]) {
		snprintf(buf, len, "No problems recorded %s.", lead);
		return strlen(buf);
	}
	/* "Over the last 7 days: ..." in front of what was found */
	char *body = strdup(buf);
	if (!body)
		return strlen(buf);
	if (s->span[0])
		snprintf(buf, len, "Over the last %s: %s.", s->span, body);
	else
		snprintf(buf, len, "From %s to %s: %s.", a, b, body);
	free(body);
	verdict_advice(s, bloat, buf, len);
	return strlen(buf);
}
