// SPDX-License-Identifier: MIT
/*
 * Bufferbloat accumulator (see bloat.h).  Per phase, two fixed-size arrays:
 * every echo (for the ramp and recovery checks) and the settled ones with
 * their one-way delays (for the result).  Percentiles are nearest-rank on a
 * sorted copy.
 */
#include "core/probe/bloat.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/analysis/detect_diag.h"

struct series {
	int64_t rtt[BLOAT_MAX_ECHOES], up[BLOAT_MAX_ECHOES],
		down[BLOAT_MAX_ECHOES];
	int n, n_up;
	int64_t all[BLOAT_MAX_ECHOES]; /* every echo, settled or not */
	int n_all;
};

struct bloat_acc {
	struct series s[BLOAT_NPHASES];
};

static const char *const phase_names[BLOAT_NPHASES] = { "idle", "up", "down",
							"both" };

const char *bloat_phase_name(enum bloat_phase ph)
{
	return (unsigned)ph < BLOAT_NPHASES ? phase_names[ph] : "?";
}

struct bloat_acc *bloat_new(void)
{
	return calloc(1, sizeof(struct bloat_acc));
}

void bloat_free(struct bloat_acc *a)
{
	free(a);
}

void bloat_reset(struct bloat_acc *a)
{
	for (int i = 0; i < BLOAT_NPHASES; i++)
		a->s[i].n = a->s[i].n_up = a->s[i].n_all = 0;
}

void bloat_add(struct bloat_acc *a, enum bloat_phase ph, int64_t since_load_ns,
	       int64_t rtt_ns, int64_t up_ns, int64_t down_ns)
{
	if ((unsigned)ph >= BLOAT_NPHASES || rtt_ns == BB_NONE)
		return;
	struct series *s = &a->s[ph];
	if (s->n_all < BLOAT_MAX_ECHOES)
		s->all[s->n_all++] = rtt_ns;
	if (ph != BLOAT_IDLE && since_load_ns < BLOAT_SETTLE_NS)
		return;
	if (s->n >= BLOAT_MAX_ECHOES)
		return;
	s->rtt[s->n++] = rtt_ns;
	if (up_ns != BB_NONE && down_ns != BB_NONE) {
		s->up[s->n_up] = up_ns;
		s->down[s->n_up] = down_ns;
		s->n_up++;
	}
}

int bloat_count(const struct bloat_acc *a, enum bloat_phase ph)
{
	return (unsigned)ph < BLOAT_NPHASES ? a->s[ph].n : 0;
}

static int cmp64(const void *x, const void *y)
{
	int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
	return (a > b) - (a < b);
}

/* Nearest-rank percentile p (0..100) of v[0..n), n > 0; v is sorted. */
static int64_t pct(int64_t *v, int n, int p)
{
	qsort(v, (size_t)n, sizeof(v[0]), cmp64);
	int rank = (p * n + 99) / 100; /* ceil(p/100 * n) */
	if (rank < 1)
		rank = 1;
	return v[rank - 1];
}

static int64_t p_of(const int64_t *src, int n, int p)
{
	static _Thread_local int64_t tmp[BLOAT_MAX_ECHOES];
	if (n <= 0)
		return BB_NONE;
	memcpy(tmp, src, (size_t)n * sizeof(tmp[0]));
	return pct(tmp, n, p);
}

int64_t bloat_recent_p50(const struct bloat_acc *a, enum bloat_phase ph, int n)
{
	if ((unsigned)ph >= BLOAT_NPHASES)
		return BB_NONE;
	const struct series *s = &a->s[ph];
	if (n > s->n_all)
		n = s->n_all;
	return p_of(s->all + s->n_all - n, n, 50);
}

const char *bloat_grade(double increase_ms)
{
	return diag_bloat_grade(increase_ms);
}

int bloat_result(const struct bloat_acc *a, enum bloat_phase ph,
		 struct bloat_result *out)
{
	memset(out, 0, sizeof(*out));
	out->phase = ph;
	out->up_inc_ns = out->down_inc_ns = BB_NONE;
	out->up_p50_ns = out->down_p50_ns = BB_NONE;
	out->blame = "";
	if (ph == BLOAT_IDLE || (unsigned)ph >= BLOAT_NPHASES)
		return -EINVAL;
	const struct series *i = &a->s[BLOAT_IDLE], *l = &a->s[ph];
	if (i->n == 0 || l->n == 0)
		return -ENODATA;
	out->n_idle = i->n;
	out->n_loaded = l->n;
	out->idle_p50_ns = p_of(i->rtt, i->n, 50);
	out->idle_p95_ns = p_of(i->rtt, i->n, 95);
	out->loaded_p50_ns = p_of(l->rtt, l->n, 50);
	out->loaded_p95_ns = p_of(l->rtt, l->n, 95);
	out->increase_ns = out->loaded_p50_ns - out->idle_p50_ns;
	double inc_ms = (double)out->increase_ns / 1e6;
	snprintf(out->grade, sizeof(out->grade), "%s", bloat_grade(inc_ms));
	out->rpm = diag_rpm((double)out->loaded_p50_ns / 1e6);
	/* one-way attribution needs synced echoes in both phases */
	if (i->n_up >= 3 && l->n_up >= 3) {
		out->up_p50_ns = p_of(l->up, l->n_up, 50);
		out->down_p50_ns = p_of(l->down, l->n_up, 50);
		out->up_inc_ns = out->up_p50_ns - p_of(i->up, i->n_up, 50);
		out->down_inc_ns =
			out->down_p50_ns - p_of(i->down, i->n_up, 50);
		int64_t u = out->up_inc_ns, d = out->down_inc_ns;
		int64_t big = u > d ? u : d;
		if (big < 5000000)
			out->blame = "";
		else if (u > 3 * (d > 0 ? d : 0) + 2000000)
			out->blame = "upstream";
		else if (d > 3 * (u > 0 ? u : 0) + 2000000)
			out->blame = "downstream";
		else
			out->blame = "both";
	}
	return 0;
}

enum bb_load_phase bloat_load_phase(enum bloat_phase ph)
{
	switch (ph) {
	case BLOAT_IDLE:
		return BB_PHASE_IDLE;
	case BLOAT_UP:
		return BB_PHASE_UP;
	case BLOAT_DOWN:
		return BB_PHASE_DOWN;
	case BLOAT_BOTH:
		return BB_PHASE_BOTH;
	default:
		return BB_PHASE_NONE;
	}
}

void bloat_mark(const struct bloat_result *r, struct bb_sample *s)
{
	s->load_phase = (uint8_t)bloat_load_phase(r->phase);
	s->rtt_ns = r->loaded_p50_ns;
	s->up_delay_ns = r->up_p50_ns;
	s->down_delay_ns = r->down_p50_ns;
	s->bloat.idle_p50_ns = r->idle_p50_ns;
	s->bloat.loaded_p95_ns = r->loaded_p95_ns;
	s->bloat.increase_ns = r->increase_ns;
	s->bloat.up_inc_ns = r->up_inc_ns;
	s->bloat.down_inc_ns = r->down_inc_ns;
	/* a sub-microsecond loopback RTT gives more RPM than int32 holds */
	s->bloat.rpm =
		r->rpm >= INT32_MAX ? INT32_MAX : (int32_t)lround(r->rpm);
}

void bloat_plan_of(int test_duration_s, int kind, struct bloat_plan *p)
{
	p->phases = kind == 1 || kind == 2 ? 1 : 3;
	p->load_ns = (int64_t)test_duration_s * 1000000000LL / (p->phases + 1);
	if (p->load_ns < 2000000000LL)
		p->load_ns = 2000000000LL;
	p->idle_ns = p->load_ns / 2;
	if (p->idle_ns < 1500000000LL)
		p->idle_ns = 1500000000LL;
	if (p->idle_ns > 5000000000LL)
		p->idle_ns = 5000000000LL;
	p->typical_ns = p->idle_ns + p->phases * (p->load_ns + 1000000000LL);
	p->max_ns = p->idle_ns + p->phases * (p->load_ns + 3020000000LL);
}

double bloat_plan_bytes(const struct bloat_plan *p, int kind, double up_kbps,
			double down_kbps)
{
	double kbps = kind == 1	  ? up_kbps
		      : kind == 2 ? down_kbps
				  : 2 * (up_kbps + down_kbps);
	return (double)p->load_ns / 1e9 * kbps * 1000 / 8;
}

/* ms columns to 9999.999 ms; rpm (60 s / RTT) to 8 digits: a loopback's
 * 50 us is 1.2 million */
size_t bloat_table_header(char *buf, size_t len)
{
	int n = snprintf(buf, len, "%-9s %11s %11s %11s %11s %11s %5s %8s %s",
			 "direction", "idle_p50", "idle_p95", "load_p50",
			 "load_p95", "increase", "grade", "rpm",
			 "one-way (up/down increase)");
	return n < 0 ? 0 : (size_t)n;
}

size_t bloat_table_row(const struct bloat_result *r, char *buf, size_t len)
{
	char ow[64] = "-";
	if (r->up_inc_ns != BB_NONE)
		snprintf(ow, sizeof(ow), "%+.1f/%+.1f ms %s",
			 r->up_inc_ns / 1e6, r->down_inc_ns / 1e6, r->blame);
	int n = snprintf(buf, len,
			 "%-9s %8.3f ms %8.3f ms %8.3f ms %8.3f ms %8.3f ms "
			 "%5s %8.0f %s",
			 bloat_phase_name(r->phase), r->idle_p50_ns / 1e6,
			 r->idle_p95_ns / 1e6, r->loaded_p50_ns / 1e6,
			 r->loaded_p95_ns / 1e6, r->increase_ns / 1e6, r->grade,
			 r->rpm, ow);
	return n < 0 ? 0 : (size_t)n;
}

/* A grade worth acting on: C or worse (+60 ms and more). */
static int bad_grade(const char *g)
{
	return g[0] == 'C' || g[0] == 'D' || g[0] == 'F';
}

size_t bloat_advice(const struct bloat_result *r, int n, char *buf, size_t len)
{
	const struct bloat_result *up = NULL, *down = NULL, *worst = NULL;
	for (int i = 0; i < n; i++) {
		if (r[i].phase == BLOAT_UP)
			up = &r[i];
		else if (r[i].phase == BLOAT_DOWN)
			down = &r[i];
		if (!worst || r[i].increase_ns > worst->increase_ns)
			worst = &r[i];
	}
	int n_;
	int up_bad = up && bad_grade(up->grade);
	int down_bad = down && bad_grade(down->grade);
	if (up_bad && down_bad)
		n_ = snprintf(
			buf, len,
			"Bufferbloat both ways (upload +%.0f ms grade "
			"%s, download +%.0f ms grade %s): calls and games "
			"will lag whenever the line is busy; enable SQM "
			"(cake) on your router with both limits set to "
			"~90 %% of the line.",
			up->increase_ns / 1e6, up->grade,
			down->increase_ns / 1e6, down->grade);
	else if (up_bad)
		n_ = snprintf(buf, len,
			      "Upload bufferbloat +%.0f ms (grade %s): calls "
			      "and games will lag while anything uploads; "
			      "enable SQM (cake) on your router with the "
			      "upload limit set to ~90 %% of the line.",
			      up->increase_ns / 1e6, up->grade);
	else if (down_bad)
		n_ = snprintf(buf, len,
			      "Download bufferbloat +%.0f ms (grade %s): calls "
			      "and games will lag while anything downloads; "
			      "enable SQM (cake) on your router with the "
			      "download limit set to ~90 %% of the line.",
			      down->increase_ns / 1e6, down->grade);
	else if (!worst)
		n_ = snprintf(buf, len,
			      "No result: no echo was answered "
			      "during the test.");
	else if (bad_grade(worst->grade)) /* only with both loaded */
		n_ = snprintf(
			buf, len,
			"Bufferbloat +%.0f ms (grade %s) with the line "
			"busy both ways: calls and games will lag; enable "
			"SQM (cake) on your router with its limits set "
			"to ~90 %% of the line.",
			worst->increase_ns / 1e6, worst->grade);
	else
		n_ = snprintf(buf, len,
			      "No bufferbloat to speak of: latency rises at "
			      "most +%.0f ms under load (grade %s); calls and "
			      "games stay smooth while the line is busy.",
			      worst->increase_ns > 0 ? worst->increase_ns / 1e6
						     : 0.0,
			      worst->grade);
	return n_ < 0 ? 0 : (size_t)n_;
}
