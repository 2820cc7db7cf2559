// SPDX-License-Identifier: MIT
/*
 * Detection from synthetic sample streams fed through the real model and
 * stats code: every alert kind fires at the right probe with the right
 * severity and backdated start, stays quiet on clean data and single
 * outliers; baselines rise slowly and fall fast; the lifecycle (start,
 * update, end, cooldown re-open); loss classification; the verdict; and
 * the pure diagnosis helpers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sqlite3.h>
#include <time.h>
#include <unistd.h>

#include "core/analysis/advice.h"
#include "core/base/clock.h"
#include "core/base/config.h"
#include "core/analysis/detect.h"
#include "core/analysis/detect_diag.h"
#include "core/store/history.h"
#include "core/analysis/model.h"
#include "core/store/store.h"

#define MS    BB_NS_PER_MS
#define SEC   BB_NS_PER_S
#define T0    (1000 * SEC)		       /* mono of the first probe */
#define REAL0 (1700000000000LL * BB_NS_PER_MS) /* real = mono + REAL0 */
#define MAXEV 256

struct fix {
	struct bb_config cfg;
	struct model *m;
	struct detect *d;
	struct bb_event ev[MAXEV];
	enum detect_state st[MAXEV];
	int n;
	int64_t next_tick;
};

static void on_ev(void *ctx, const struct bb_event *ev, enum detect_state st)
{
	struct fix *f = ctx;
	if (getenv("DETECT_DUMP")) /* debugging aid */
		fprintf(stderr, "event %d %s %lld..%lld %s %s\n", st, ev->kind,
			(long long)ev->start_ms, (long long)ev->end_ms,
			ev->description, ev->metrics);
	assert_true(f->n < MAXEV);
	f->ev[f->n] = *ev;
	f->st[f->n++] = st;
}

/* A detector whose configuration names companion server SERVER on PORT
 * (NULL: none). */
static struct fix *fix_new_server(const char *server, int port)
{
	struct fix *f = calloc(1, sizeof(*f));
	config_defaults(&f->cfg);
	if (server) {
		snprintf(f->cfg.servers[0].name, sizeof(f->cfg.servers[0].name),
			 "%s", server);
		f->cfg.servers[0].port = port;
		f->cfg.n_servers = 1;
	}
	f->m = model_new(100 * MS);
	f->d = detect_new(detect_params_from_config(
				  &f->cfg, &(struct detect_params){ 0 }),
			  on_ev, f);
	f->next_tick = T0 + SEC;
	return f;
}

static struct fix *fix_new(void)
{
	return fix_new_server(NULL, 0);
}

static void fix_free(struct fix *f)
{
	detect_free(f->d);
	model_free(f->m);
	free(f);
}

/* Ticks due up to mono t, then nothing else: as the 1 s ev_timer would. */
static void ticks_to(struct fix *f, int64_t t)
{
	while (f->next_tick <= t) {
		detect_tick(f->d, f->next_tick);
		f->next_tick += SEC;
	}
}

static void feed_kind(struct fix *f, int kind, const char *target, int64_t mono,
		      int status, int64_t rtt)
{
	struct bb_sample s;
	ticks_to(f, mono);
	sample_init(&s, kind);
	s.mono_ns = mono;
	s.real_ns = mono + REAL0;
	snprintf(s.target, sizeof(s.target), "%s", target);
	s.status = (uint8_t)status;
	s.seq = (uint32_t)(mono / MS);
	if (status == BB_STATUS_OK) {
		if (kind == BB_KIND_UPLOAD || kind == BB_KIND_DOWNLOAD)
			s.throughput_kbps = rtt;
		else
			s.rtt_ns = rtt;
	} else if (kind == BB_KIND_TCP_CONNECT) {
		snprintf(s.detail, sizeof(s.detail), "connection refused");
	}
	detect_sample(f->d, model_add(f->m, &s), &s);
}

static void feed(struct fix *f, const char *target, int64_t mono, int ok,
		 int64_t rtt)
{
	feed_kind(f, BB_KIND_ICMP, target, mono,
		  ok ? BB_STATUS_OK : BB_STATUS_TIMEOUT, rtt);
}

/* Index of the first callback for KIND in state ST, -1 if none. */
static int find(const struct fix *f, const char *kind, int st)
{
	for (int i = 0; i < f->n; i++)
		if (!strcmp(f->ev[i].kind, kind) &&
		    (st < 0 || (int)f->st[i] == st))
			return i;
	return -1;
}

static int count(const struct fix *f, const char *kind, int st)
{
	int n = 0;
	for (int i = 0; i < f->n; i++)
		n += !strcmp(f->ev[i].kind, kind) &&
		     (st < 0 || (int)f->st[i] == st);
	return n;
}

static double metric(const struct bb_event *ev, const char *key)
{
	char k[64];
	snprintf(k, sizeof(k), "\"%s\":", key);
	const char *p = strstr(ev->metrics, k);
	assert_non_null(p);
	return strtod(p + strlen(k), NULL);
}

static int64_t real_ms(int64_t mono)
{
	return (mono + REAL0) / MS;
}

/* Clean probes to TARGET every 100 ms from *t for N probes at RTT. */
static void clean(struct fix *f, const char *target, int64_t *t, int n,
		  int64_t rtt)
{
	for (int i = 0; i < n; i++, *t += 100 * MS)
		feed(f, target, *t, 1, rtt + (i % 3) * 100000);
}

static void test_clean_and_outliers_raise_nothing(void **state)
{
	struct fix *f = fix_new();
	int64_t t = T0;
	clean(f, "a", &t, 300, 10 * MS);
	feed(f, "a", t, 1, 900 * MS); /* one outlier */
	t += 100 * MS;
	clean(f, "a", &t, 100, 10 * MS);
	feed(f, "a", t, 0, 0); /* one lost probe */
	t += 100 * MS;
	clean(f, "a", &t, 300, 10 * MS);
	ticks_to(f, t + 20 * SEC);
	assert_int_equal(f->n, 0);
	char v[256];
	detect_verdict(f->d, v, sizeof(v));
	/* says how much data it rests on (70 s of probes + 20 s of ticks) */
	assert_string_equal(v, "No problems detected so far (after 90 s).");
	/* in minutes from two on, not "(after 3600 s)" */
	clean(f, "a", &t, 3000, 10 * MS);
	ticks_to(f, t);
	detect_verdict(f->d, v, sizeof(v));
	assert_string_equal(v, "No problems detected so far (after 6 min).");
	fix_free(f);
}

static void test_baseline_rise_slow_fall_fast(void **state)
{
	struct fix *f = fix_new();
	int64_t t = T0;
	for (int i = 0; i < 4; i++, t += 100 * MS)
		feed(f, "a", t, 1, (20 + i) * MS);
	const struct model_series *ms = model_at(f->m, 0);
	assert_true(detect_baseline(f->d, ms) == BB_NONE); /* not yet seeded */
	feed(f, "a", t, 1, 25 * MS);
	t += 100 * MS;
	assert_true(detect_baseline(f->d, ms) == 20 * MS); /* min of first 5 */
	/* 30 s at double the baseline: rises by well under 20 % */
	for (int i = 0; i < 300; i++, t += 100 * MS)
		feed(f, "a", t, 1, 40 * MS);
	int64_t b = detect_baseline(f->d, ms);
	assert_true(b > 20 * MS && b < 24 * MS);
	/* one lower answer halves the gap at once, a few reach it */
	feed(f, "a", t, 1, 10 * MS);
	t += 100 * MS;
	assert_true(detect_baseline(f->d, ms) < 17 * MS);
	for (int i = 0; i < 6; i++, t += 100 * MS)
		feed(f, "a", t, 1, 10 * MS);
	assert_true(detect_baseline(f->d, ms) < 11 * MS);
	/* saved and loaded into a new detector: used from the first answer */
	char text[512];
	detect_baselines_save(f->d, text, sizeof(text));
	assert_non_null(strstr(text, "bbv1\n\ticmp\ta\t\t"));
	struct fix *g = fix_new();
	assert_int_equal(detect_baselines_load(g->d, text), 1);
	assert_int_equal(detect_baselines_load(g->d, "garbage"), -EINVAL);
	feed(g, "a", T0, 1, 12 * MS);
	int64_t lb = detect_baseline(g->d, model_at(g->m, 0));
	assert_true(lb > 9 * MS && lb < 11 * MS);
	fix_free(g);
	fix_free(f);
}

static void test_latency_spike(void **state)
{
	struct fix *f = fix_new(); /* factor 3, 2 probes covering 2 s */
	int64_t t = T0;
	clean(f, "a", &t, 50, 10 * MS);
	int64_t spike = t;
	for (int i = 0; i < 19; i++, t += 100 * MS)
		feed(f, "a", t, 1, 60 * MS);
	assert_int_equal(find(f, "latency_spike", -1), -1); /* 1.9 s < 2 s */
	feed(f, "a", t, 1, 60 * MS);			    /* 2.0 s */
	t += 100 * MS;
	int i = find(f, "latency_spike", DETECT_START);
	assert_true(i >= 0);
	assert_int_equal(f->ev[i].severity, BB_SEV_WARNING);
	assert_true(f->ev[i].start_ms == real_ms(spike));
	assert_string_equal(f->ev[i].target, "a");
	assert_true(fabs(metric(&f->ev[i], "baseline_ms") - 10.0) < 0.5);
	/* above latency_critical_ms: escalates at once */
	for (int k = 0; k < 10; k++, t += 100 * MS)
		feed(f, "a", t, 1,
		     (int64_t)f->cfg.thresholds.latency_critical_ms * MS +
			     50 * MS);
	int last_spike = (int)(t / MS) - 100;
	i = find(f, "latency_spike", DETECT_UPDATE);
	assert_true(i >= 0);
	assert_int_equal(f->ev[i].severity, BB_SEV_CRITICAL);
	clean(f, "a", &t, 100, 10 * MS);
	i = find(f, "latency_spike", DETECT_END);
	assert_true(i >= 0);
	assert_true(f->ev[i].end_ms == real_ms((int64_t)last_spike * MS));
	assert_int_equal(count(f, "latency_spike", DETECT_START), 1);
	fix_free(f);
}

/* Probes at 1 s (the default): a 3 s spike is three probes and raises an
 * event backdated to its first; a single slow probe (1 s) does not. */
static void test_latency_spike_default_interval(void **state)
{
	struct fix *f = fix_new();
	int64_t t = T0;
	for (int i = 0; i < 60; i++, t += SEC)
		feed(f, "a", t, 1, 10 * MS + (i % 3) * 100000);
	feed(f, "a", t, 1, 150 * MS); /* a lone slow probe */
	t += SEC;
	for (int i = 0; i < 30; i++, t += SEC)
		feed(f, "a", t, 1, 10 * MS);
	assert_int_equal(find(f, "latency_spike", -1), -1);
	int64_t spike = t;
	for (int i = 0; i < 3; i++, t += SEC)
		feed(f, "a", t, 1, 150 * MS);
	for (int i = 0; i < 30; i++, t += SEC)
		feed(f, "a", t, 1, 10 * MS);
	assert_int_equal(count(f, "latency_spike", DETECT_START), 1);
	int i = find(f, "latency_spike", DETECT_END);
	assert_true(i >= 0);
	assert_true(f->ev[i].start_ms == real_ms(spike));
	assert_true(f->ev[i].end_ms == real_ms(spike + 2 * SEC));
	assert_true(fabs(metric(&f->ev[i], "peak_ms") - 150) < 0.5);
	fix_free(f);
}

static void test_loss_bursts_classified(void **state)
{
	struct fix *f = fix_new();
	int64_t t = T0;
	clean(f, "a", &t, 100, 10 * MS);
	int64_t first = t;
	int gaps[3] = { 21, 33, 26 }; /* irregular: bursts, not periodic */
	for (int b = 0; b < 3; b++) {
		for (int k = 0; k < 5; k++, t += 100 * MS)
			feed(f, "a", t, 0, 0);
		clean(f, "a", &t, gaps[b], 10 * MS);
	}
	int i = find(f, "packet_loss", DETECT_START);
	assert_true(i >= 0);
	assert_true(f->ev[i].start_ms == real_ms(first));
	assert_int_equal(f->ev[i].severity, BB_SEV_CRITICAL); /* run of 5 */
	detect_tick(f->d, t);
	char v[512];
	detect_verdict(f->d, v, sizeof(v));
	assert_string_equal(v, "Loss bursts to a: 3 bursts in 60 s, longest 5 "
			       "probes. The line drops; note the times and "
			       "report them to your ISP (bufferbane report). "
			       "Based on 20 s of data.");
	detect_finish(f->d);
	i = find(f, "packet_loss", DETECT_END);
	assert_true(i >= 0);
	assert_int_equal((int)metric(&f->ev[i], "longest_burst"), 5);
	assert_int_equal((int)metric(&f->ev[i], "bursts"), 3);
	assert_non_null(strstr(f->ev[i].metrics, "\"pattern\":\"burst\""));
	assert_non_null(strstr(f->ev[i].description, "(burst)."));
	/* ends at its last lost probe */
	assert_true(f->ev[i].end_ms ==
		    real_ms(first + (5 + 21 + 5 + 33 + 4) * 100 * MS));
	fix_free(f);
}

static void test_loss_scattered_and_periodic(void **state)
{
	struct fix *f = fix_new();
	int64_t t = T0;
	clean(f, "a", &t, 50, 10 * MS);
	srand(7);
	int lost = 0;
	for (int k = 0; k < 500; k++, t += 100 * MS) {
		int ok = rand() % 100 >= 10;
		lost += !ok;
		feed(f, "a", t, ok, 10 * MS);
	}
	detect_finish(f->d);
	int i = find(f, "packet_loss", DETECT_END);
	assert_true(i >= 0);
	assert_non_null(strstr(f->ev[i].metrics, "\"pattern\":\"scattered\""));
	double pct = metric(&f->ev[i], "loss_pct");
	assert_true(pct > 6 && pct < 14);
	fix_free(f);

	/* bursts of 3 every 10 s exactly: periodic */
	f = fix_new();
	t = T0;
	clean(f, "a", &t, 50, 10 * MS);
	for (int b = 0; b < 5; b++) {
		for (int k = 0; k < 3; k++, t += 100 * MS)
			feed(f, "a", t, 0, 0);
		clean(f, "a", &t, 97, 10 * MS);
	}
	detect_tick(f->d, t);
	char v[512];
	detect_verdict(f->d, v, sizeof(v));
	assert_non_null(strstr(v, "Periodic loss bursts to a"));
	fix_free(f);
}

static void test_loss_window_warning(void **state)
{
	struct fix *f = fix_new();
	int64_t t = T0;
	clean(f, "a", &t, 400, 10 * MS);
	/* 2 isolated losses in 600 probes: 0.33 % < 0.5 %: nothing */
	feed(f, "a", t, 0, 0);
	t += 100 * MS;
	clean(f, "a", &t, 100, 10 * MS);
	feed(f, "a", t, 0, 0);
	t += 100 * MS;
	clean(f, "a", &t, 30, 10 * MS);
	assert_int_equal(find(f, "packet_loss", -1), -1);
	/* a third, then a fourth: 0.5 %..1 % = warning */
	feed(f, "a", t, 0, 0);
	t += 100 * MS;
	clean(f, "a", &t, 20, 10 * MS);
	feed(f, "a", t, 0, 0);
	t += 100 * MS;
	clean(f, "a", &t, 20, 10 * MS);
	int i = find(f, "packet_loss", DETECT_START);
	assert_true(i >= 0);
	assert_int_equal(f->ev[i].severity, BB_SEV_WARNING);
	fix_free(f);
}

/* Two ICMP targets 50 ms apart and a TCP connect every second; with
 * field, as in the field: a "gateway" target that answers throughout (the
 * home router before a line that drops) and a server's echo stream whose
 * losses are reported 3 s late (it holds them for a later reply). */
static void outage_run(struct fix *f, int64_t outage_ns, bool field,
		       int64_t *start, int64_t *end)
{
	int64_t t = T0;
	int64_t from = T0 + 20 * SEC, to = from + outage_ns;
	int64_t late[64];
	int nlate = 0, fed = 0;
	*start = *end = 0;
	for (int k = 0; k < 400; k++, t += 100 * MS) {
		if (field) {
			int64_t ts = t + 10 * MS;
			if (ts >= from && ts < to && nlate < 64)
				late[nlate++] = ts;
			else
				feed_kind(f, BB_KIND_UDP_ECHO, "vps", ts,
					  BB_STATUS_OK, 1 * MS);
			while (fed < nlate && late[fed] + 3 * SEC <= t)
				feed_kind(f, BB_KIND_UDP_ECHO, "vps",
					  late[fed++], BB_STATUS_TIMEOUT, 0);
		}
		for (int s = 0; s < 2; s++) {
			int64_t ts = t + s * 50 * MS;
			int down = ts >= from && ts < to;
			if (down && !*start)
				*start = ts;
			if (!down && ts >= to && !*end)
				*end = ts;
			feed(f, s ? "b" : "a", ts, !down, 10 * MS);
		}
		if (k % 10 == 3) {
			int64_t ts = t + 25 * MS;
			int down = ts >= from && ts < to;
			feed_kind(f, BB_KIND_TCP_CONNECT, "c:80", ts,
				  down ? BB_STATUS_TIMEOUT : BB_STATUS_OK,
				  1 * MS);
		}
		if (field)
			feed(f, "gateway", t + 75 * MS, 1, 1 * MS);
	}
	ticks_to(f, t + 30 * SEC);
}

static void test_micro_disconnect(void **state)
{
	struct fix *f = fix_new();
	int64_t start, end;
	outage_run(f, 2500 * MS, false, &start, &end);
	int i = find(f, "micro_disconnect", DETECT_START);
	assert_true(i >= 0);
	assert_true(f->ev[i].start_ms == real_ms(start));
	assert_string_equal(f->ev[i].target, "");
	i = find(f, "micro_disconnect", DETECT_END);
	assert_true(i >= 0);
	assert_true(f->ev[i].end_ms == real_ms(end));
	assert_true(llabs(f->ev[i].end_ms - f->ev[i].start_ms - 2500) <= 100);
	assert_non_null(strstr(f->ev[i].description, "icmp, tcp_connect"));
	/* one outage, one event: its losses are not also packet loss */
	assert_int_equal(count(f, "micro_disconnect", DETECT_START), 1);
	assert_int_equal(find(f, "packet_loss", -1), -1);
	assert_int_equal(find(f, "connection_instability", -1), -1);
	fix_free(f);

	/* 1 s of joint loss is no micro-disconnect, but it is loss */
	f = fix_new();
	outage_run(f, 1000 * MS, false, &start, &end);
	assert_int_equal(find(f, "micro_disconnect", -1), -1);
	i = find(f, "packet_loss", DETECT_START);
	assert_true(i >= 0);
	assert_true(f->ev[i].start_ms <= real_ms(start + 50 * MS));
	fix_free(f);
}

/* The gateway answering while everything beyond it fails is still the
 * line's micro-disconnect, not loss on each target, and an echo stream
 * that reports its losses late does not veto it. */
/* Two outages a minute apart are two events (the count is the evidence),
 * not one row re-opened within the alert cooldown. */
static void test_micro_disconnect_each_its_own(void **state)
{
	struct fix *f = fix_new();
	int64_t t = T0;
	for (int k = 0; k < 1300; k++, t += 100 * MS) {
		int64_t a = T0 + 20 * SEC, b = T0 + 80 * SEC;
		int down = (t >= a && t < a + 3 * SEC) ||
			   (t >= b && t < b + 3 * SEC);
		feed(f, "a", t, !down, 10 * MS);
		feed(f, "b", t + 50 * MS, !down, 10 * MS);
	}
	ticks_to(f, t + 30 * SEC);
	assert_int_equal(count(f, "micro_disconnect", DETECT_START), 2);
	assert_int_equal(count(f, "micro_disconnect", DETECT_END), 2);
	int i = find(f, "micro_disconnect", DETECT_END);
	assert_true(llabs(f->ev[i].end_ms - f->ev[i].start_ms - 3000) <= 150);
	fix_free(f);
}

/* The field's timing: two targets and the gateway at 1 s, a lost probe
 * reported at its 1 s timeout, a little after the next probe answered.  A 3 s
 * blackout then shows only 2 s of failures before the next probe answers; the
 * answer bounds the outage, so it is one micro-disconnect, not loss. */
static void test_micro_disconnect_at_1s(void **state)
{
	struct fix *f = fix_new();
	int64_t from = T0 + 60 * SEC + 20 * MS, to = from + 3 * SEC;
	int64_t late[8][2];
	int nlate = 0, fed = 0;
	const char *names[] = { "gateway", "a", "b" };
	int64_t echo_late[64];
	int necho = 0, echo_fed = 0;
	for (int k = 0; k < 120; k++) {
		/* the server's echo stream every 100 ms: its losses are
		 * reported 3 s late (held for a later reply) */
		for (int e = 0; e < 10; e++) {
			int64_t t = T0 + k * SEC + e * 100 * MS + 50 * MS;
			while (echo_fed < necho &&
			       echo_late[echo_fed] + 3 * SEC <= t)
				feed_kind(f, BB_KIND_UDP_ECHO, "vps",
					  echo_late[echo_fed++],
					  BB_STATUS_TIMEOUT, 0);
			if (t >= from && t < to && necho < 64)
				echo_late[necho++] = t;
			else if (t < from || t >= to + SEC)
				feed_kind(f, BB_KIND_UDP_ECHO, "vps", t,
					  BB_STATUS_OK, 1 * MS);
		}
		for (int i = 0; i < 3; i++) {
			int64_t t = T0 + k * SEC + (i + 1) * 10 * MS;
			/* report the lost probes whose timeout has passed */
			while (fed < nlate &&
			       late[fed][0] + SEC + 5 * MS <= t) {
				feed(f, names[late[fed][1]], late[fed][0], 0,
				     0);
				fed++;
			}
			bool down = i > 0 && t >= from && t < to;
			if (down && nlate < 8) {
				late[nlate][0] = t;
				late[nlate++][1] = i;
			} else {
				feed(f, names[i], t, 1, 5 * MS);
			}
		}
	}
	ticks_to(f, T0 + 130 * SEC);
	assert_int_equal(count(f, "micro_disconnect", DETECT_START), 1);
	int i = find(f, "micro_disconnect", DETECT_END);
	assert_true(i >= 0);
	assert_true(llabs(f->ev[i].end_ms - f->ev[i].start_ms - 3000) <= 1000);
	assert_int_equal(find(f, "packet_loss", -1), -1);
	fix_free(f);
}

static void test_micro_disconnect_gateway_answers(void **state)
{
	struct fix *f = fix_new();
	int64_t start, end;
	outage_run(f, 3000 * MS, true, &start, &end);
	assert_int_equal(count(f, "micro_disconnect", DETECT_START), 1);
	int i = find(f, "micro_disconnect", DETECT_END);
	assert_true(i >= 0);
	assert_true(f->ev[i].start_ms == real_ms(start));
	assert_true(llabs(f->ev[i].end_ms - f->ev[i].start_ms - 3000) <= 100);
	assert_non_null(strstr(f->ev[i].description, "beyond the gateway"));
	assert_int_equal(find(f, "packet_loss", -1), -1);
	fix_free(f);
}

/* DNS every 10 s failing about as often as the line loses (2 queries in
 * 10 against 10 % scattered loss on the ICMP target beside it): the line's
 * loss, not the resolver's trouble.  The same DNS failures on a clean line
 * are the resolver's. */
static void dns_beside_loss(struct fix *f, bool line_loses)
{
	int64_t t = T0;
	for (int k = 0; k < 300; k++, t += SEC) {
		feed(f, "a", t, !line_loses || k % 10 != 7, 10 * MS);
		if (k % 10 == 5)
			feed_kind(f, BB_KIND_DNS, "ns", t + 100 * MS,
				  k % 100 == 55 || k % 100 == 85
					  ? BB_STATUS_TIMEOUT
					  : BB_STATUS_OK,
				  20 * MS);
	}
	ticks_to(f, t);
}

static void test_dns_under_line_loss(void **state)
{
	struct fix *f = fix_new();
	dns_beside_loss(f, true);
	assert_int_equal(find(f, "dns_issue", -1), -1);
	assert_true(find(f, "packet_loss", DETECT_START) >= 0);
	fix_free(f);

	f = fix_new();
	dns_beside_loss(f, false);
	assert_true(find(f, "dns_issue", DETECT_START) >= 0);
	fix_free(f);
}

static void test_dns_and_connections(void **state)
{
	struct fix *f = fix_new();
	int64_t t = T0;
	/* DNS every 2 s: fine, then one failure in four */
	for (int k = 0; k < 20; k++, t += 2 * SEC)
		feed_kind(f, BB_KIND_DNS, "ns", t, BB_STATUS_OK, 20 * MS);
	assert_int_equal(f->n, 0);
	for (int k = 0; k < 40; k++, t += 2 * SEC)
		feed_kind(f, BB_KIND_DNS, "ns", t,
			  k % 4 ? BB_STATUS_OK : BB_STATUS_TIMEOUT, 20 * MS);
	int i = find(f, "dns_issue", DETECT_START);
	assert_true(i >= 0);
	assert_true(metric(&f->ev[i], "failure_pct") > 10);
	fix_free(f);

	f = fix_new();
	t = T0;
	for (int k = 0; k < 30; k++, t += 2 * SEC)
		feed_kind(f, BB_KIND_DNS, "ns", t, BB_STATUS_OK, 350 * MS);
	i = find(f, "dns_issue", DETECT_START);
	assert_true(i >= 0);
	assert_int_equal(f->ev[i].severity, BB_SEV_WARNING);
	assert_true(fabs(metric(&f->ev[i], "median_ms") - 350) < 1);
	fix_free(f);

	/* a resolver that never answers, from the start: no "median 0.0
	 * ms", and no "over 5 min" after a few seconds */
	f = fix_new();
	t = T0;
	for (int k = 0; k < 8; k++, t += 2 * SEC) {
		feed_kind(f, BB_KIND_DNS, "ns", t, BB_STATUS_TIMEOUT, 0);
		feed(f, "gw", t + MS, 1, MS); /* the line answers */
	}
	ticks_to(f, t);
	i = find(f, "dns_issue", -1);
	assert_true(i >= 0);
	print_message("%s\n", f->ev[i].description);
	assert_non_null(strstr(f->ev[i].description, "failed, none answered "
						     "over "));
	assert_null(strstr(f->ev[i].description, "median"));
	assert_null(strstr(f->ev[i].description, "5 min"));
	fix_free(f);

	/* TCP: 2 failures in 5 min are tolerated, the 3rd is not */
	f = fix_new();
	t = T0;
	int fails = 0;
	for (int k = 0; k < 60; k++, t += 2 * SEC) {
		int bad = k == 10 || k == 20 || k == 40;
		fails += bad;
		feed_kind(f, BB_KIND_TCP_CONNECT, "h:443", t,
			  bad ? BB_STATUS_ERROR : BB_STATUS_OK, 5 * MS);
		if (fails < 3)
			assert_int_equal(f->n, 0);
	}
	ticks_to(f, t);
	i = find(f, "connection_instability", DETECT_START);
	assert_true(i >= 0);
	assert_true(f->ev[i].start_ms == real_ms(T0 + 20 * SEC));
	assert_non_null(strstr(f->ev[i].description, "connection refused"));
	fix_free(f);
}

/* A DNS server or TCP target that keeps failing is one open event with
 * ticks in between (it once ended after every probe and re-opened on the
 * next), the verdict names it, and it ends once after recovery. */
static void test_dns_conn_lifecycle(void **state)
{
	static const struct {
		int kind;
		const char *name, *target, *words, *advice;
	} k[2] = {
		{ BB_KIND_DNS, "dns_issue", "ns", "DNS trouble with ns",
		  "ms over 140 s. Use another DNS resolver, set in the router "
		  "or on this computer." },
		{ BB_KIND_TCP_CONNECT, "connection_instability", "h:443",
		  "Connections to h:443 failing",
		  "(last: connection refused). If other sites connect, that "
		  "service or a firewall is at fault, not your line." },
	};
	for (int n = 0; n < 2; n++) {
		struct fix *f = fix_new();
		int64_t t = T0;
		char v[512];
		for (int i = 0; i < 10; i++, t += 2 * SEC) {
			feed_kind(f, k[n].kind, k[n].target, t, BB_STATUS_OK,
				  20 * MS);
			feed(f, "gw", t + MS, 1, MS);
		}
		int64_t bad = t;
		/* the gateway answers: not a micro-disconnect */
		for (int i = 0; i < 60; i++, t += 2 * SEC) {
			feed_kind(f, k[n].kind, k[n].target, t,
				  BB_STATUS_TIMEOUT, 0);
			feed(f, "gw", t + MS, 1, MS);
		}
		ticks_to(f, t);
		assert_int_equal(count(f, k[n].name, DETECT_START), 1);
		assert_int_equal(count(f, k[n].name, DETECT_END), 0);
		assert_int_equal(detect_open_count(f->d), 1);
		detect_verdict(f->d, v, sizeof(v));
		assert_non_null(strstr(v, k[n].words));
		assert_non_null(strstr(v, k[n].advice));
		int i = find(f, k[n].name, DETECT_START);
		assert_true(f->ev[i].start_ms == real_ms(bad));
		int64_t last_bad = t - 2 * SEC;
		for (int j = 0; j < 30; j++, t += 2 * SEC) {
			feed_kind(f, k[n].kind, k[n].target, t, BB_STATUS_OK,
				  20 * MS);
			feed(f, "gw", t + MS, 1, MS);
		}
		ticks_to(f, t);
		assert_int_equal(count(f, k[n].name, DETECT_START), 1);
		assert_int_equal(count(f, k[n].name, DETECT_END), 1);
		i = find(f, k[n].name, DETECT_END);
		assert_true(f->ev[i].end_ms == real_ms(last_bad));
		assert_int_equal(detect_open_count(f->d), 0);
		fix_free(f);
	}
}

/* 30 s of echoes to vps without a session, each with detail, beside a
 * clean gateway; the verdict 20 s later into v. */
static void no_session_verdict(const char *detail, char *v, size_t len)
{
	struct fix *f = fix_new_server("vps", 9877);
	int64_t t = T0;
	for (int i = 0; i < 300; i++, t += 100 * MS) {
		struct bb_sample s;
		ticks_to(f, t);
		sample_init(&s, BB_KIND_UDP_ECHO);
		s.mono_ns = t;
		s.real_ns = t + REAL0;
		snprintf(s.target, sizeof(s.target), "vps");
		snprintf(s.server, sizeof(s.server), "vps");
		s.status = BB_STATUS_TIMEOUT;
		s.flags = BB_SAMPLE_NO_SESSION;
		snprintf(s.detail, sizeof(s.detail), "%s", detail);
		detect_sample(f->d, model_add(f->m, &s), &s);
		feed(f, "gw", t + MS, 1, MS);
	}
	ticks_to(f, t + 20 * SEC);
	assert_int_equal(f->n, 0);
	detect_verdict(f->d, v, len);
	fix_free(f);
}

/* Echoes sent without a session (wrong key, server down) are the
 * server's state, never loss: no event, and the verdict says so first.
 * Silence leaves three causes; a refused port (nothing listens) one. */
static void test_no_session(void **state)
{
	char v[512];
	no_session_verdict("server unreachable", v, sizeof(v));
	/* what to do names the three causes, with the configured port */
	assert_string_equal(
		v,
		"No session with vps for 50 s. Check that "
		"bufferbane-server runs there with the same key "
		"and that its UDP port 9877 is open. Based on 50 s of data.");
	no_session_verdict("port 9877 " BB_DETAIL_REFUSED, v, sizeof(v));
	assert_string_equal(
		v, "No session with vps for 50 s (port 9877 refused: no "
		   "server running). Start bufferbane-server there "
		   "(systemctl start bufferbane-server) or check that it "
		   "listens on UDP port 9877. Based on 50 s of data.");
}

/* The detector takes the thresholds and the servers' names and ports, and
 * nothing else of the configuration: no host, no key, no key file. */
static void test_params_from_config(void **state)
{
	static const char secret[] = "00112233445566778899aabbccddeeff"
				     "00112233445566778899aabbccddeeff";
	struct bb_config cfg;
	struct detect_params p;
	config_defaults(&cfg);
	cfg.thresholds.bufferbloat_alert_ms = 100;
	for (int i = 0; i < 2; i++) {
		struct bb_config_server *sv = &cfg.servers[i];
		snprintf(sv->name, sizeof(sv->name), "vps%d", i);
		snprintf(sv->host, sizeof(sv->host), "198.18.0.%d", 7 + i);
		sv->port = 9000 + i;
		snprintf(sv->shared_secret, sizeof(sv->shared_secret), "%s",
			 secret);
		snprintf(sv->shared_secret_file, sizeof(sv->shared_secret_file),
			 "/etc/bufferbane/key-of-vps%d", i);
	}
	cfg.n_servers = 2;
	memset(&p, 0xa5, sizeof(p));
	assert_ptr_equal(detect_params_from_config(&cfg, &p), &p);
	assert_memory_equal(&p.thresholds, &cfg.thresholds,
			    sizeof(cfg.thresholds));
	assert_int_equal(p.n_servers, 2);
	assert_string_equal(p.servers[1].name, "vps1");
	assert_int_equal(p.servers[1].port, 9001);
	assert_null(memmem(&p, sizeof(p), secret, 16));
	assert_null(memmem(&p, sizeof(p), "key-of-vps", 10));
	assert_null(memmem(&p, sizeof(p), "198.18.0.", 9));

	/* a threshold set in the file reaches the detector: +150 ms under
	 * load is below the default 200 ms alert, above this file's 100 */
	struct fix *f = calloc(1, sizeof(*f));
	struct detect_bloat b = { 20 * MS, 170 * MS, "upload" };
	f->d = detect_new(&p, on_ev, f);
	detect_bloat_result(f->d, "eth0", "vps0", &b, REAL0 / MS);
	assert_int_equal(f->n, 2); /* start and end of one event */
	assert_string_equal(f->ev[0].kind, "bufferbloat");
	detect_free(f->d);
	config_defaults(&cfg);
	f->n = 0;
	f->d = detect_new(detect_params_from_config(&cfg, &p), on_ev, f);
	detect_bloat_result(f->d, "eth0", "vps0", &b, REAL0 / MS);
	assert_int_equal(f->n, 0);
	detect_free(f->d);
	free(f);
}

/* The standing bufferbloat grade is part of the verdict after its event
 * ended, with what to do, until a better test replaces it. */
static void test_verdict_standing_bloat(void **state)
{
	struct fix *f = fix_new();
	int64_t t = T0;
	char v[512];
	clean(f, "a", &t, 50, 10 * MS);
	struct detect_bloat b = { 10 * MS, 260 * MS, "upload" };
	detect_bloat_result(f->d, "", "vps", &b, real_ms(t));
	assert_int_equal(count(f, "bufferbloat", DETECT_END), 1);
	clean(f, "a", &t, 100, 10 * MS);
	assert_int_equal(detect_open_count(f->d), 0);
	detect_verdict(f->d, v, sizeof(v));
	assert_string_equal(v, "Upload bufferbloat grade D (+250 ms under "
			       "load). Enable SQM (cake) on the router, shaped "
			       "a little below the line's rate. Based on 15 s "
			       "of data.");
	struct detect_bloat ok = { 10 * MS, 14 * MS, "upload" };
	detect_bloat_result(f->d, "", "vps", &ok, real_ms(t));
	detect_verdict(f->d, v, sizeof(v));
	assert_null(strstr(v, "grade D"));
	assert_null(strstr(v, "SQM"));
	fix_free(f);
}

/* The advice table: one plain sentence per row, each ending in a full
 * stop; advice_add fills in the port, never says a sentence twice and
 * never writes beyond the buffer. */
static void test_advice_table(void **state)
{
	for (int a = 0; a < ADVICE_COUNT; a++) {
		const char *t = advice_text(a);
		assert_non_null(t);
		size_t n = strlen(t);
		assert_true(n > 20 && n < 120);
		assert_true(t[0] >= 'A' && t[0] <= 'Z');
		assert_int_equal(t[n - 1], '.');
		assert_null(strstr(t, ". ")); /* one sentence */
	}
	assert_null(advice_text(ADVICE_COUNT));
	char b[256] = "No session with x.";
	advice_add(b, sizeof(b), ADVICE_NO_SESSION, 0);
	assert_string_equal(b,
			    "No session with x. Check that bufferbane-server "
			    "runs there with the same key and that its UDP "
			    "port is open.");
	size_t n = strlen(b);
	advice_add(b, sizeof(b), ADVICE_NO_SESSION, 0);
	assert_int_equal(strlen(b), n);
	advice_add(b, sizeof(b), ADVICE_NO_SESSION, 4242);
	assert_non_null(strstr(b, "its UDP port 4242 is open."));
	char small[24] = "Evenings.";
	advice_add(small, sizeof(small), ADVICE_PEAK, 0);
	assert_int_equal(strlen(small), sizeof(small) - 1);
	assert_true(!strncmp(small, "Evenings. The line", 18));
}

static int feed_flags; /* flags of the probes feed_if makes */

/* A probe of KIND on interface IFACE to TARGET. */
static void feed_if(struct fix *f, int kind, const char *iface,
		    const char *target, int64_t mono, int ok, int64_t rtt)
{
	struct bb_sample s;
	ticks_to(f, mono);
	sample_init(&s, kind);
	s.mono_ns = mono;
	s.real_ns = mono + REAL0;
	snprintf(s.interface, sizeof(s.interface), "%s", iface);
	snprintf(s.target, sizeof(s.target), "%s", target);
	s.seq = (uint32_t)(mono / MS);
	s.flags = (uint16_t)feed_flags;
	s.status = ok ? BB_STATUS_OK : BB_STATUS_TIMEOUT;
	if (ok && (kind == BB_KIND_UPLOAD || kind == BB_KIND_DOWNLOAD))
		s.throughput_kbps = rtt;
	else if (ok)
		s.rtt_ns = rtt;
	detect_sample(f->d, model_add(f->m, &s), &s);
}

/* Every diagnosis the verdict can lead with is followed by what to do,
 * and the advice fits the place of the fault: the local link or one
 * destination clears the line, the gateway itself is the home network. */
static void test_verdict_advice(void **state)
{
	char v[1024];
	int64_t t;
	struct fix *f;

	/* the wifi interface loses 10 % and is slower than the wired one */
	f = fix_new();
	t = T0;
	for (int k = 0; k < 600; k++, t += 100 * MS) {
		feed_if(f, BB_KIND_ICMP, "eth0", "t", t, 1, 10 * MS);
		feed_if(f, BB_KIND_ICMP, "wlan0", "t", t + 50 * MS,
			k < 50 || k % 10 != 3, 40 * MS);
	}
	detect_tick(f->d, t);
	detect_verdict(f->d, v, sizeof(v));
	assert_true(
		strstr(v, "The local link wlan0 is at fault, not the line") ==
		v);
	assert_non_null(strstr(v, " on eth0. Check that link's WiFi signal or "
				  "cable, or use the other one."));
	assert_true(find(f, "packet_loss", DETECT_START) >= 0);
	assert_null(strstr(v, "The line drops"));
	fix_free(f);

	/* the same with a second, clean target on each: wlan0's loss is
	 * its link's, said once, not also "routing trouble" to t with
	 * "nothing to fix at home" (both once, contradicting each other) */
	f = fix_new();
	t = T0;
	for (int k = 0; k < 600; k++, t += 100 * MS) {
		feed_if(f, BB_KIND_ICMP, "eth0", "t", t, 1, 10 * MS);
		feed_if(f, BB_KIND_ICMP, "eth0", "u", t + 20 * MS, 1, 10 * MS);
		feed_if(f, BB_KIND_ICMP, "wlan0", "t", t + 50 * MS,
			k < 50 || k % 10 != 3, 40 * MS);
		feed_if(f, BB_KIND_ICMP, "wlan0", "u", t + 70 * MS, 1, 40 * MS);
	}
	detect_tick(f->d, t);
	detect_verdict(f->d, v, sizeof(v));
	assert_true(
		strstr(v, "The local link wlan0 is at fault, not the line") ==
		v);
	assert_null(strstr(v, "Routing trouble"));
	assert_null(strstr(v, "Nothing to fix at home"));
	fix_free(f);

	/* our own bloat test loads eth0 for the last 20 s (jittery, slow
	 * echoes flagged under load): that is not eth0's fault (a replayed
	 * week said "the local link eth0 is at fault" at every test) */
	f = fix_new();
	t = T0;
	for (int k = 0; k < 600; k++, t += 100 * MS) {
		feed_flags = k >= 400 ? BB_SAMPLE_UNDER_LOAD : 0;
		feed_if(f, BB_KIND_ICMP, "eth0", "t", t, 1,
			feed_flags ? (100 + (k % 7) * 40) * MS : 10 * MS);
		feed_flags = 0;
		feed_if(f, BB_KIND_ICMP, "wlan0", "t", t + 50 * MS, 1, 12 * MS);
	}
	detect_tick(f->d, t);
	detect_verdict(f->d, v, sizeof(v));
	assert_null(strstr(v, "local link"));
	fix_free(f);

	/* the gateway loses as much as the target beyond it: home network */
	f = fix_new();
	t = T0;
	for (int k = 0; k < 600; k++, t += 100 * MS) {
		feed(f, "gateway", t, k < 50 || k % 10 != 3, 2 * MS);
		feed(f, "a", t + 50 * MS, k < 50 || k % 10 != 6, 10 * MS);
	}
	detect_tick(f->d, t);
	detect_verdict(f->d, v, sizeof(v));
	assert_int_equal(count(f, "packet_loss", DETECT_START), 2);
	const char *home = "The fault is between you and the router: check "
			   "the WiFi signal or use a cable.";
	const char *h = strstr(v, home);
	assert_non_null(h);
	assert_null(strstr(h + 1, home)); /* said once */
	assert_null(strstr(v, "The line drops"));
	assert_null(strstr(v, "Routing trouble"));
	fix_free(f);

	/* two of three targets silent, one answering: those hosts */
	f = fix_new();
	t = T0;
	for (int k = 0; k < 300; k++, t += 100 * MS) {
		feed(f, "a", t, 1, 10 * MS);
		feed(f, "b", t + 30 * MS, k < 100, 10 * MS);
		feed(f, "c", t + 60 * MS, k < 100, 10 * MS);
	}
	detect_tick(f->d, t);
	detect_verdict(f->d, v, sizeof(v));
	assert_non_null(strstr(v,
			       "No replies from b for 20 s. If the other "
			       "targets answer, that host is down or ignores "
			       "pings, not your line."));
	assert_non_null(strstr(v, "No replies from c for 20 s."));
	assert_null(strstr(v, "The line drops"));
	fix_free(f);

	/* a latency spike still going on */
	f = fix_new();
	t = T0;
	clean(f, "a", &t, 50, 10 * MS);
	for (int k = 0; k < 30; k++, t += 100 * MS)
		feed(f, "a", t, 1, 60 * MS);
	detect_tick(f->d, t);
	detect_verdict(f->d, v, sizeof(v));
	assert_true(strstr(v, "Latency spike to a: ") == v);
	assert_non_null(strstr(v, " s. If the line was busy then, enable SQM "
				  "(cake) on the router; if not, report the "
				  "times to your ISP."));
	fix_free(f);

	/* upload, then download, at 40 % of their baselines */
	static const struct {
		int kind;
		const char *words;
	} tp[2] = {
		{ BB_KIND_UPLOAD,
		  " s. If nothing else at home was uploading, report the slow "
		  "upload and its times to your ISP (bufferbane report)." },
		{ BB_KIND_DOWNLOAD,
		  " s. If nothing else at home was downloading, report the "
		  "slow download and its times to your ISP (bufferbane "
		  "report)." },
	};
	for (int n = 0; n < 2; n++) {
		f = fix_new();
		t = T0;
		for (int k = 0; k < 14; k++, t += 10 * SEC)
			feed_if(f, tp[n].kind, "", "", t, 1,
				k < 10 ? 10000 : 4000);
		detect_verdict(f->d, v, sizeof(v));
		assert_true(strstr(v, n ? "Download degraded"
					: "Upload "
					  "degraded") == v);
		assert_non_null(strstr(v, tp[n].words));
		fix_free(f);
	}

	/* a micro-disconnect going on: beyond the gateway it is the line;
	 * without a gateway probe the home network is not ruled out */
	for (int gw = 0; gw < 2; gw++) {
		f = fix_new();
		t = T0;
		for (int k = 0; k < 140; k++, t += 100 * MS) {
			feed(f, "a", t, k < 100, 10 * MS);
			feed(f, "b", t + 50 * MS, k < 100, 10 * MS);
			if (gw)
				feed(f, "gateway", t + 75 * MS, 1, 1 * MS);
		}
		detect_tick(f->d, t);
		detect_verdict(f->d, v, sizeof(v));
		assert_true(strstr(v, "Micro-disconnect: every probe") == v);
		assert_non_null(strstr(
			v, gw ? "so far. The line drops; note the times and "
				"report them to your ISP (bufferbane report)."
			      : "so far. If your WiFi and router are fine, "
				"the line drops: report the times to your ISP "
				"(bufferbane report)."));
		fix_free(f);
	}

	/* the same with no default route (the gateway probe found none):
	 * this computer's, not the line's; with the route back, the line's;
	 * past a minute, no longer "micro" */
	for (int route = 0; route < 2; route++) {
		f = fix_new();
		detect_route(f->d, "", false);
		if (route)
			detect_route(f->d, "", true);
		t = T0;
		for (int k = 0; k < 800; k++, t += 100 * MS) {
			feed(f, "a", t, k < 100, 10 * MS);
			feed(f, "b", t + 50 * MS, k < 100, 10 * MS);
		}
		detect_tick(f->d, t);
		detect_verdict(f->d, v, sizeof(v));
		if (route) {
			assert_true(strstr(v, "Disconnected: every probe "
					      "(icmp) failed together for 1 "
					      "min 10 s so far.") == v);
			assert_non_null(strstr(v, "If your WiFi and router"));
		} else {
			assert_true(strstr(v, "No connection: this computer "
					      "has no default route, so every "
					      "probe (icmp) failed for 1 min "
					      "10 s so far. Check this "
					      "computer's connection (cable, "
					      "WiFi, DHCP)") == v);
			assert_null(strstr(v, "ISP"));
		}
		int i = find(f, "micro_disconnect", -1);
		assert_true(i >= 0);
		assert_non_null(
			strstr(f->ev[i].metrics, route ? "\"no_route\":false"
						       : "\"no_route\":true"));
		fix_free(f);
	}

	/* worse evenings in the history */
	struct diag_hour rows[24];
	for (int hr = 0; hr < 24; hr++)
		rows[hr] =
			(struct diag_hour){ hr, hr >= 18 ? 45.0 : 15.0, 0.1 };
	struct diag_peak pk;
	assert_int_equal(diag_peak_hours(rows, 24, &pk), 0);
	f = fix_new();
	detect_peak_hours(f->d, &pk);
	detect_verdict(f->d, v, sizeof(v));
	assert_true(strstr(v, "Evenings are worse: ") == v);
	assert_non_null(strstr(v, ". The line is congested in the evenings: "
				  "report it to your ISP (bufferbane report "
				  "--last 7d)."));
	fix_free(f);
}

static void test_cooldown_reopens(void **state)
{
	struct fix *f = fix_new();
	int64_t t = T0;
	clean(f, "a", &t, 100, 10 * MS);
	for (int k = 0; k < 6; k++, t += 100 * MS)
		feed(f, "a", t, 0, 0);
	clean(f, "a", &t, 900, 10 * MS); /* 90 s: it ends */
	assert_int_equal(count(f, "packet_loss", DETECT_END), 1);
	int64_t start = f->ev[find(f, "packet_loss", DETECT_START)].start_ms;
	for (int k = 0; k < 6; k++, t += 100 * MS)
		feed(f, "a", t, 0, 0);
	clean(f, "a", &t, 50, 10 * MS);
	/* within 300 s: same row re-opened, not a new start */
	assert_int_equal(count(f, "packet_loss", DETECT_START), 1);
	int i = f->n - 1;
	while (i >= 0 && strcmp(f->ev[i].kind, "packet_loss"))
		i--;
	assert_true(i >= 0 && f->st[i] == DETECT_UPDATE);
	assert_true(f->ev[i].start_ms == start && f->ev[i].end_ms == 0);
	/* after the cooldown: a new event */
	clean(f, "a", &t, 4000, 10 * MS);
	for (int k = 0; k < 6; k++, t += 100 * MS)
		feed(f, "a", t, 0, 0);
	clean(f, "a", &t, 50, 10 * MS);
	assert_int_equal(count(f, "packet_loss", DETECT_START), 2);
	fix_free(f);
}

static void test_server_kinds(void **state)
{
	struct fix *f = fix_new();
	int64_t t = T0;
	/* upload tests every 10 s at 10 Mbit/s, then 6 Mbit/s (60 %) */
	for (int k = 0; k < 10; k++, t += 10 * SEC)
		feed_kind(f, BB_KIND_UPLOAD, "", t, BB_STATUS_OK, 10000);
	int64_t low = t;
	for (int k = 0; k < 3; k++, t += 10 * SEC)
		feed_kind(f, BB_KIND_UPLOAD, "", t, BB_STATUS_OK, 6000);
	assert_int_equal(find(f, "upload_degradation", -1), -1); /* 20 s */
	feed_kind(f, BB_KIND_UPLOAD, "", t, BB_STATUS_OK, 4000);
	t += 10 * SEC;
	int i = find(f, "upload_degradation", DETECT_START);
	assert_true(i >= 0);
	assert_true(f->ev[i].start_ms == real_ms(low));
	assert_int_equal(f->ev[i].severity, BB_SEV_CRITICAL); /* 40 % */
	/* the baseline falls slowly: 20 s of 60 % move it by < 1 % */
	assert_true(fabs(metric(&f->ev[i], "expected_kbps") - 10000) < 100);
	feed_kind(f, BB_KIND_UPLOAD, "", t, BB_STATUS_OK, 9900);
	assert_true(find(f, "upload_degradation", DETECT_END) >= 0);
	assert_int_equal(find(f, "download_degradation", -1), -1);

	struct detect_bloat b = { 10 * MS, 250 * MS, "upload" };
	detect_bloat_result(f->d, "", "vps", &b, 5000);
	i = find(f, "bufferbloat", DETECT_END);
	assert_true(i >= 0);
	assert_int_equal(f->ev[i].severity, BB_SEV_WARNING);
	assert_non_null(strstr(f->ev[i].description, "Upload bufferbloat"));
	assert_non_null(strstr(f->ev[i].metrics, "\"grade\":\"D\""));
	b.loaded_ns = 100 * MS; /* +90 ms: below the alert level */
	detect_bloat_result(f->d, "", "vps", &b, 6000);
	assert_int_equal(count(f, "bufferbloat", -1), 2);
	/* the next phase of the same test is worse, the last one milder:
	 * one event, critical, and its words are the worst phase's */
	struct detect_bloat worse = { 10 * MS, 610 * MS, "down" };
	detect_bloat_result(f->d, "", "vps", &worse, 6500);
	struct detect_bloat milder = { 10 * MS, 260 * MS, "both" };
	detect_bloat_result(f->d, "", "vps", &milder, 6600);
	int last = -1;
	for (int k = 0; k < f->n; k++)
		if (!strcmp(f->ev[k].kind, "bufferbloat"))
			last = k;
	assert_int_equal(f->ev[last].severity, BB_SEV_CRITICAL);
	assert_non_null(strstr(f->ev[last].description, "Down bufferbloat"));
	assert_non_null(strstr(f->ev[last].metrics, "\"increase_ms\":600.0"));

	detect_time_sync(f->d, "vps", 95, 1 * MS, 3, 7000); /* too few */
	assert_int_equal(find(f, "time_sync_established", -1), -1);
	detect_time_sync(f->d, "vps", 95, 1 * MS, 8, 8000);
	assert_true(find(f, "time_sync_established", DETECT_START) >= 0);
	detect_time_sync(f->d, "vps", 90, 1 * MS, 9, 9000); /* still fine */
	detect_time_sync(f->d, "vps", 40, 1 * MS, 10, 10000);
	assert_true(find(f, "time_sync_lost", DETECT_START) >= 0);
	assert_int_equal(count(f, "time_sync_established", DETECT_START), 1);

	/* no gateway before (it appeared after the start): "none" */
	assert_int_equal(
		detect_gateway_change(f->d, "eth0", "", "10.0.0.1", NULL, 1),
		1);
	i = find(f, "gateway_change", DETECT_END);
	assert_true(i >= 0);
	assert_int_equal(f->ev[i].severity, BB_SEV_INFO);
	assert_non_null(strstr(f->ev[i].description, "from none to 10.0.0.1."));
	assert_string_equal(f->ev[i].metrics,
			    "{\"old\":\"\",\"new\":\"10.0.0.1\"}");
	assert_int_equal(detect_gateway_change(f->d, "eth0", "10.0.0.1",
					       "10.0.0.1", NULL, 1),
			 0);
	/* the route goes and comes back within the alert cooldown: two
	 * events, each its own row (start); the second once overwrote the
	 * first as an "update", and the loss of the route was lost */
	int before = count(f, "gateway_change", DETECT_START);
	detect_gateway_change(f->d, "eth0", "10.0.0.1", "", NULL, 20000);
	detect_gateway_change(f->d, "eth0", "", "10.0.0.1", NULL, 25000);
	assert_int_equal(count(f, "gateway_change", DETECT_START), before + 2);
	assert_int_equal(count(f, "gateway_change", DETECT_UPDATE), 0);
	int starts[2], n = 0;
	for (int k = 0; k < f->n && n < 2; k++)
		if (!strcmp(f->ev[k].kind, "gateway_change") &&
		    f->st[k] == DETECT_START && f->ev[k].start_ms >= 20000)
			starts[n++] = k;
	assert_int_equal(n, 2);
	assert_non_null(
		strstr(f->ev[starts[0]].description, "from 10.0.0.1 to none."));
	assert_int_equal(f->ev[starts[1]].start_ms, 25000);
	fix_free(f);
}

/* The one gateway_change (the monitor raises it from the engine's notice):
 * whatever the names hold, the metrics stay one JSON object. */
static void test_gateway_change_escaped(void **state)
{
	struct fix *f = fix_new();
	assert_int_equal(detect_gateway_change(f->d, "eth\"0", "10.0.0.1",
					       "fe80::1%\"x\\", "no \"route\"",
					       5000),
			 1);
	int i = find(f, "gateway_change", DETECT_END);
	assert_true(i >= 0);
	assert_string_equal(f->ev[i].interface, "eth\"0");
	assert_string_equal(f->ev[i].metrics, "{\"old\":\"10.0.0.1\","
					      "\"new\":\"fe80::1%\\\"x\\\\\"}");
	assert_non_null(strstr(f->ev[i].description,
			       "changed from 10.0.0.1 to fe80::1%\"x\\; probe "
			       "not restarted: no \"route\"."));
	assert_int_equal(f->ev[i].start_ms, 5000);
	assert_int_equal(f->ev[i].end_ms, 5000);
	fix_free(f);
}

static void test_jitter(void **state)
{
	struct fix *f = fix_new();
	int64_t t = T0;
	clean(f, "a", &t, 100, 10 * MS);
	assert_int_equal(f->n, 0);
	/* alternating 10 / 25 ms: mean |IPDV| 15 ms: warning */
	for (int k = 0; k < 150; k++, t += 100 * MS)
		feed(f, "a", t, 1, (k % 2 ? 25 : 10) * MS);
	int i = find(f, "high_jitter", DETECT_START);
	assert_true(i >= 0);
	assert_int_equal(f->ev[i].severity, BB_SEV_WARNING);
	/* backdated by the sustain period: within it of the onset */
	assert_true(f->ev[i].start_ms >= real_ms(T0));
	detect_finish(f->d); /* the last figures: the full window */
	i = find(f, "high_jitter", DETECT_END);
	assert_true(fabs(metric(&f->ev[i], "jitter_ms") - 15) < 0.5);
	/* 40 ms steps: critical */
	struct fix *g = fix_new();
	t = T0;
	for (int k = 0; k < 200; k++, t += 100 * MS)
		feed(g, "a", t, 1, (k % 2 ? 50 : 10) * MS);
	i = find(g, "high_jitter", -1);
	assert_true(i >= 0);
	while (i < g->n - 1)
		i++;
	assert_int_equal(g->ev[i].severity, BB_SEV_CRITICAL);
	fix_free(g);
	fix_free(f);
}

static void test_routing_verdict(void **state)
{
	struct fix *f = fix_new();
	int64_t t = T0;
	for (int k = 0; k < 300; k++, t += 100 * MS) {
		feed(f, "gateway", t, 1, 1 * MS);
		feed(f, "good", t + 30 * MS, 1, 10 * MS);
		feed(f, "bad", t + 60 * MS, k < 50 || k % 5, 10 * MS);
	}
	detect_tick(f->d, t);
	char v[512];
	detect_verdict(f->d, v, sizeof(v));
	assert_non_null(strstr(v, "Routing trouble to bad: "));
	assert_non_null(strstr(v, "while the gateway and good are fine. "
				  "Nothing to fix at home: only that "
				  "destination is affected, not your line."));
	/* the loss event to bad is explained: no "the line drops" */
	assert_non_null(strstr(v, "Scattered packet loss to bad"));
	assert_null(strstr(v, "The line drops"));
	assert_int_equal(count(f, "packet_loss", DETECT_START), 1);
	fix_free(f);
}

static void test_diag(void **state)
{
	assert_string_equal(diag_bloat_grade(4), "A+");
	assert_string_equal(diag_bloat_grade(30), "B");
	assert_string_equal(diag_bloat_grade(399), "D");
	assert_string_equal(diag_bloat_grade(400), "F");
	assert_true(fabs(diag_rpm(100) - 600) < 1e-9);

	struct diag_hour rows[24];
	for (int h = 0; h < 24; h++)
		rows[h] = (struct diag_hour){ h, h >= 18 ? 45.0 : 15.0, 0.1 };
	rows[21].p50_ms = 80;
	struct diag_peak pk;
	assert_int_equal(diag_peak_hours(rows, 24, &pk), 0);
	assert_int_equal(pk.degraded, 1);
	assert_int_equal(pk.worst_hour, 21);
	assert_true(fabs(pk.offpeak_p50_ms - 15) < 1e-9);
	for (int h = 18; h < 24; h++)
		rows[h].p50_ms = 17;
	assert_int_equal(diag_peak_hours(rows, 24, &pk), 0);
	assert_int_equal(pk.degraded, 0);
	rows[20].loss_pct = 9; /* evening loss alone is enough */
	assert_int_equal(diag_peak_hours(rows, 24, &pk), 0);
	assert_int_equal(pk.degraded, 1);
	assert_int_equal(diag_peak_hours(rows, 18, &pk), -EINVAL);

	struct diag_dir up = { 5, 20 }, down = { 0.1, 20 };
	assert_int_equal(diag_asymmetry(&up, &down), DIAG_ASYM_UP);
	assert_int_equal(diag_asymmetry(&down, &up), DIAG_ASYM_DOWN);
	up = (struct diag_dir){ 0, 60 };
	assert_int_equal(diag_asymmetry(&up, &down), DIAG_ASYM_UP);
	up.delay_ms = 25;
	assert_int_equal(diag_asymmetry(&up, &down), DIAG_ASYM_NONE);

	struct diag_iface wifi = { "wlan0", 6, 30, 12 },
			  eth = { "eth0", 0, 12, 1 };
	assert_int_equal(diag_worse_interface(&eth, &wifi), 1);
	assert_int_equal(diag_worse_interface(&wifi, &eth), 0);
	assert_int_equal(diag_worse_interface(&eth, &eth), -1);
}

/* One target stops answering for good while another is fine: 100 % loss
 * is "unreachable" ("No replies from b for N s"), never "scattered". */
static void test_unreachable(void **state)
{
	struct fix *f = fix_new();
	int64_t t = T0;
	for (int k = 0; k < 100; k++, t += 100 * MS) {
		feed(f, "a", t, 1, 10 * MS);
		feed(f, "b", t + 50 * MS, 1, 10 * MS);
	}
	int64_t dead = t + 50 * MS;
	for (int k = 0; k < 200; k++, t += 100 * MS) {
		feed(f, "a", t, 1, 10 * MS);
		feed(f, "b", t + 50 * MS, 0, 0);
	}
	detect_tick(f->d, t);
	char v[512];
	detect_verdict(f->d, v, sizeof(v));
	assert_non_null(strstr(v, "No replies from b for 20 s."));
	assert_null(strstr(v, "Scattered"));
	int i = find(f, "packet_loss", DETECT_START);
	assert_true(i >= 0);
	assert_int_equal(f->ev[i].start_ms, real_ms(dead));
	assert_int_equal(f->ev[i].severity, BB_SEV_CRITICAL);
	/* the newest figures: unreachable, 20 s silent */
	detect_finish(f->d);
	i = find(f, "packet_loss", DETECT_END);
	assert_non_null(
		strstr(f->ev[i].metrics, "\"pattern\":\"unreachable\""));
	assert_true(fabs(metric(&f->ev[i], "silent_ms") - 20000) <= 100);
	assert_non_null(
		strstr(f->ev[i].description, "No replies from b for 20 s"));
	fix_free(f);

	/* never answered at all: 100 % of the window */
	f = fix_new();
	t = T0;
	for (int k = 0; k < 100; k++, t += 100 * MS) {
		feed(f, "a", t, 1, 10 * MS);
		feed(f, "c", t + 50 * MS, 0, 0);
	}
	detect_tick(f->d, t);
	detect_verdict(f->d, v, sizeof(v));
	assert_non_null(strstr(v, "No replies from c for 10 s."));
	fix_free(f);
}

static void feed_echo(struct fix *f, int64_t mono, int ok, enum bb_loss_dir dir)
{
	struct bb_sample s;
	ticks_to(f, mono);
	sample_init(&s, BB_KIND_UDP_ECHO);
	s.mono_ns = mono;
	s.real_ns = mono + REAL0;
	snprintf(s.target, sizeof(s.target), "srv");
	snprintf(s.server, sizeof(s.server), "lab");
	s.seq = (uint32_t)(mono / MS);
	s.status = ok ? BB_STATUS_OK : BB_STATUS_TIMEOUT;
	if (ok)
		s.rtt_ns = 10 * MS;
	else
		s.loss_dir = (uint8_t)dir;
	detect_sample(f->d, model_add(f->m, &s), &s);
}

/* A ping on the echo stream's interface, 10 ms, 50 ms after mono. */
static void feed_ping(struct fix *f, int64_t mono)
{
	struct bb_sample q;
	sample_init(&q, BB_KIND_ICMP);
	q.mono_ns = mono;
	q.real_ns = mono + REAL0;
	q.seq = (uint32_t)(mono / MS);
	q.rtt_ns = 10 * MS;
	snprintf(q.target, sizeof(q.target), "198.18.0.30");
	detect_sample(f->d, model_add(f->m, &q), &q);
}

/* Echoes sent while our own test loaded the line (BB_SAMPLE_UNDER_LOAD)
 * raise nothing, however slow or lost: the bloat result judges the load.
 * Nor do pings through the same interface at the same time (flagged by
 * the engine, test_engine), and the windows that still hold all that once
 * the line is fine again raise nothing either.  The same samples without
 * the flag do raise events, the pings' included. */
static void test_under_load_ignored(void **state)
{
	for (int flagged = 1; flagged >= 0; flagged--) {
		struct fix *f = fix_new();
		int64_t t = T0;
		for (int i = 0; i < 50; i++, t += 100 * MS) {
			feed_echo(f, t, 1, BB_LOSS_UNKNOWN);
			feed_ping(f, t + 50 * MS);
		}
		for (int i = 0; i < 60; i++, t += 100 * MS) {
			struct bb_sample s;
			ticks_to(f, t);
			sample_init(&s, BB_KIND_UDP_ECHO);
			s.mono_ns = t;
			s.real_ns = t + REAL0;
			snprintf(s.target, sizeof(s.target), "srv");
			snprintf(s.server, sizeof(s.server), "lab");
			s.seq = (uint32_t)(t / MS);
			s.flags = flagged ? BB_SAMPLE_UNDER_LOAD : 0;
			/* every third lost, the rest 5x to 30x the baseline:
			 * loss, a spike and jitter, all of the test's load */
			s.status = i % 3 ? BB_STATUS_OK : BB_STATUS_TIMEOUT;
			if (s.status == BB_STATUS_OK)
				s.rtt_ns = (i % 2 ? 300 : 50) * MS;
			detect_sample(f->d, model_add(f->m, &s), &s);
			/* a ping through the same queue 50 ms later, flagged
			 * by the engine as its worker saw the test's marks */
			struct bb_sample q = s;
			q.kind = BB_KIND_ICMP;
			q.mono_ns += 50 * MS;
			q.real_ns += 50 * MS;
			snprintf(q.server, sizeof(q.server), "%s", "");
			snprintf(q.target, sizeof(q.target), "198.18.0.30");
			detect_sample(f->d, model_add(f->m, &q), &q);
		}
		/* the line is fine again: the windows still hold the load */
		for (int i = 0; i < 80; i++, t += 100 * MS) {
			ticks_to(f, t);
			feed_echo(f, t, 1, BB_LOSS_UNKNOWN);
			feed_ping(f, t + 50 * MS);
		}
		ticks_to(f, t + 5 * SEC);
		int ping_events = 0;
		for (int k = 0; k < f->n; k++)
			ping_events += !strcmp(f->ev[k].target, "198.18.0.30");
		if (flagged) {
			assert_int_equal(f->n, 0);
		} else {
			assert_true(f->n > 0);
			assert_true(ping_events > 0);
		}
		fix_free(f);
	}
}

/* A bufferbloat result names its direction by the sample's load_phase
 * (no words in detail), measured against the echo baseline to its server. */
static void test_bloat_sample_phase(void **state)
{
	static const char *const want[] = {
		[BB_PHASE_UP] = "Upload bufferbloat to lab: +250 ms",
		[BB_PHASE_DOWN] = "Download bufferbloat to lab: +250 ms",
		[BB_PHASE_BOTH] = "Both bufferbloat to lab: +250 ms",
	};
	for (int ph = BB_PHASE_UP; ph <= BB_PHASE_BOTH; ph++) {
		struct fix *f = fix_new();
		int64_t t = T0;
		for (int k = 0; k < 100; k++, t += 100 * MS)
			feed_echo(f, t, 1, BB_LOSS_UNKNOWN);
		struct bb_sample s;
		sample_init(&s, BB_KIND_BUFFERBLOAT);
		s.mono_ns = t;
		s.real_ns = t + REAL0;
		snprintf(s.target, sizeof(s.target), "srv");
		snprintf(s.server, sizeof(s.server), "lab");
		s.rtt_ns = 260 * MS;
		s.load_phase = (uint8_t)ph;
		s.bloat.increase_ns = 250 * MS;
		detect_sample(f->d, model_add(f->m, &s), &s);
		int i = find(f, "bufferbloat", DETECT_END);
		assert_true(i >= 0);
		if (!strstr(f->ev[i].description, want[ph]))
			fail_msg("phase %d: %s", ph, f->ev[i].description);
		fix_free(f);
	}
}

/* Echo loss attributed by the probe (loss_dir up / down) names the
 * direction in the event and the verdict (scenario 4). */
static void test_asymmetric_loss(void **state)
{
	for (int dir = 0; dir < 3; dir++) {
		struct fix *f = fix_new();
		int64_t t = T0;
		for (int k = 0; k < 50; k++, t += 100 * MS)
			feed_echo(f, t, 1, BB_LOSS_UNKNOWN);
		/* 10 % loss; both ways for dir 2 */
		for (int k = 0; k < 300; k++, t += 100 * MS) {
			enum bb_loss_dir why = dir == 0	     ? BB_LOSS_UP
					       : dir == 1    ? BB_LOSS_DOWN
					       : k % 20 < 10 ? BB_LOSS_UP
							     : BB_LOSS_DOWN;
			feed_echo(f, t, k % 10 != 3, why);
		}
		detect_tick(f->d, t);
		char v[512];
		detect_verdict(f->d, v, sizeof(v));
		detect_finish(f->d);
		int i = find(f, "packet_loss", DETECT_END);
		assert_true(i >= 0);
		double up = metric(&f->ev[i], "up_loss_pct");
		double down = metric(&f->ev[i], "down_loss_pct");
		double pct = metric(&f->ev[i], "loss_pct");
		char want[128];
		snprintf(want, sizeof(want),
			 "The loss is on the way up only: %.1f %% lost "
			 "upstream, 0.0 %% downstream.",
			 pct);
		if (dir == 0) {
			assert_non_null(strstr(f->ev[i].metrics,
					       "\"direction\":\"up\""));
			assert_true(fabs(up - pct) < 0.01 && down == 0);
			assert_true(pct > 8 && pct < 10);
			assert_non_null(strstr(v, want));
			assert_non_null(strstr(f->ev[i].description,
					       "on the way up only"));
		} else if (dir == 1) {
			assert_non_null(strstr(f->ev[i].metrics,
					       "\"direction\":\"down\""));
			assert_true(fabs(down - pct) < 0.01 && up == 0);
			assert_non_null(strstr(v, "on the way down only"));
		} else {
			assert_non_null(strstr(f->ev[i].metrics,
					       "\"direction\":\"both\""));
			assert_true(fabs(up - pct / 2) < 1.5);
			assert_true(fabs(down - pct / 2) < 1.5);
			assert_null(strstr(v, "only"));
		}
		fix_free(f);
	}
}

/* Several days of hourly rows, evenings worse (scenario 6). */
static void test_peak_hours_days(void **state)
{
	struct diag_hour rows[24 * 7];
	size_t n = 0;
	for (int day = 0; day < 7; day++)
		for (int h = 0; h < 24; h++)
			rows[n++] = (struct diag_hour){
				h,
				(h >= 18 && h <= 22 ? 40.0 + h : 12.0) +
					day % 3,
				h >= 19 && h <= 22 ? 2.0 : 0.1
			};
	struct diag_peak pk;
	assert_int_equal(diag_peak_hours(rows, n, &pk), 0);
	assert_int_equal(pk.degraded, 1);
	assert_int_equal(pk.worst_hour, 22);
	assert_true(pk.peak_p50_ms > 55 && pk.offpeak_p50_ms < 15);
	assert_true(pk.peak_loss_pct > pk.offpeak_loss_pct + 1);
}

/* Peak-hour diagnosis over a real database (scenario 6): seven days of
 * agg_1hour rows written into the physical table with sqlite, evenings
 * 18:00-23:00 worse (p50 40 ms against 12, 3 % loss against 0.1 %), read
 * back and folded by hour of day by history_peak_hours, diagnosed. */
static void test_peak_hours_from_db(void **state)
{
	char dir[] = "/tmp/bb-detect.XXXXXX", path[64], err[256];
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/bb.db", dir);
	setenv("TZ", "UTC", 1);
	tzset();
	struct store *st = store_open(path, 0, err, sizeof(err));
	assert_non_null(st);
	/* one real sample creates the series the rollups refer to */
	const int64_t day0 = 1767225600000LL; /* 2026-01-01 00:00 UTC */
	struct bb_sample smp;
	sample_init(&smp, BB_KIND_ICMP);
	smp.real_ns = day0 * BB_NS_PER_MS;
	smp.mono_ns = T0;
	snprintf(smp.target, sizeof(smp.target), "198.18.0.12");
	smp.status = BB_STATUS_OK;
	smp.rtt_ns = 12 * MS;
	assert_int_equal(store_write_samples(st, &smp, 1), 0);
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 2000);
	char sql[512];
	assert_int_equal(sqlite3_exec(db, "BEGIN", NULL, NULL, NULL),
			 SQLITE_OK);
	for (int d = 0; d < 7; d++)
		for (int h = 0; h < 24; h++) {
			bool peak = h >= 18 && h < 23;
			snprintf(sql, sizeof(sql),
				 "INSERT INTO agg_1hour(bucket_ms, series, "
				 "interface, test_type, target, server_name, "
				 "unit, count, lost, min, max, avg, p50, p95, "
				 "p99) SELECT %lld, id, interface, test_type, "
				 "target, server_name, 'ms', 36000, %d, 5, 90, "
				 "%f, %f, %f, %f FROM series LIMIT 1",
				 (long long)(day0 + (d * 24 + h) * 3600000LL),
				 peak ? 1080 : 36, peak ? 42.0 : 13.0,
				 peak ? 40.0 + h - 18 + d % 2 : 12.0 + d % 2,
				 peak ? 80.0 : 20.0, peak ? 95.0 : 30.0);
			assert_int_equal(
				sqlite3_exec(db, sql, NULL, NULL, NULL),
				SQLITE_OK);
		}
	assert_int_equal(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	struct diag_peak pk;
	assert_int_equal(
		history_peak_hours(st, day0 + 7 * 24 * 3600000LL, 7, &pk), 0);
	assert_int_equal(pk.degraded, 1);
	assert_int_equal(pk.worst_hour, 22);
	/* peak median over 18..23: the 23:00 rows are off (12/13 ms) */
	assert_true(pk.offpeak_p50_ms >= 12 && pk.offpeak_p50_ms <= 13);
	assert_true(pk.peak_p50_ms >= 40 && pk.peak_p50_ms <= 45);
	assert_true(fabs(pk.offpeak_loss_pct - 0.1) < 1e-6);
	/* 5 of the 6 hours 18..23 at 3 %, 23:00 at 0.1 % */
	assert_true(fabs(pk.peak_loss_pct - (5 * 3.0 + 0.1) / 6) < 1e-6);
	/* the verdict names it while the diagnosis holds */
	struct fix *fx = fix_new();
	detect_peak_hours(fx->d, &pk);
	char v[512];
	detect_verdict(fx->d, v, sizeof(v));
	assert_non_null(strstr(v, "Evenings are worse: "));
	assert_non_null(strstr(v, "worst at 22:00."));
	detect_peak_hours(fx->d, NULL);
	detect_verdict(fx->d, v, sizeof(v));
	assert_string_equal(v, "Waiting for the first samples.");
	fix_free(fx);
	store_close(st);
	char rm[96];
	snprintf(rm, sizeof(rm), "rm -rf %s", dir);
	assert_int_equal(system(rm), 0);
}

/* Replies later than the probe timeout (a queue deeper than the timeout):
 * each probe is a timeout, then a LATE reply with its RTT; the late RTTs
 * make a latency spike with the real peak, and no micro-disconnect. */
static void test_late_replies_spike(void **state)
{
	struct fix *f = fix_new();
	int64_t t = T0;
	clean(f, "a", &t, 50, 1 * MS);
	int64_t first = t;
	for (int k = 0; k < 40; k++, t += 100 * MS) {
		feed(f, "a", t, 0, 0);
		struct bb_sample s;
		sample_init(&s, BB_KIND_ICMP);
		s.mono_ns = t;
		s.real_ns = t + REAL0;
		snprintf(s.target, sizeof(s.target), "a");
		s.status = BB_STATUS_OK;
		s.flags = BB_SAMPLE_LATE;
		s.seq = (uint32_t)(t / MS);
		s.rtt_ns = (250 + k) * MS;
		detect_sample(f->d, model_add(f->m, &s), &s);
	}
	clean(f, "a", &t, 50, 1 * MS);
	detect_finish(f->d);
	int i = find(f, "latency_spike", DETECT_END);
	assert_true(i >= 0);
	assert_int_equal(f->ev[i].start_ms, real_ms(first));
	assert_true(fabs(metric(&f->ev[i], "peak_ms") - 289) < 0.01);
	assert_true(metric(&f->ev[i], "baseline_ms") < 1.5);
	/* 4 s of timeouts, but every probe was answered: not an outage */
	assert_int_equal(count(f, "micro_disconnect", -1), 0);
	fix_free(f);
}

/* One long run (40 probes) on one target while another answers: a burst,
 * whatever the histogram's 10+ bucket counts. */
static void test_long_run_is_burst(void **state)
{
	struct fix *f = fix_new();
	int64_t t = T0;
	for (int k = 0; k < 300; k++, t += 100 * MS) {
		feed(f, "a", t, 1, 10 * MS);
		feed(f, "b", t + 50 * MS, k < 100 || k >= 140, 10 * MS);
	}
	detect_finish(f->d);
	int i = find(f, "packet_loss", DETECT_END);
	assert_true(i >= 0);
	assert_non_null(strstr(f->ev[i].metrics, "\"pattern\":\"burst\""));
	assert_int_equal((int)metric(&f->ev[i], "longest_burst"), 40);
	assert_int_equal(count(f, "micro_disconnect", -1), 0);
	fix_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clean_and_outliers_raise_nothing),
		cmocka_unit_test(test_baseline_rise_slow_fall_fast),
		cmocka_unit_test(test_latency_spike),
		cmocka_unit_test(test_latency_spike_default_interval),
		cmocka_unit_test(test_loss_bursts_classified),
		cmocka_unit_test(test_loss_scattered_and_periodic),
		cmocka_unit_test(test_loss_window_warning),
		cmocka_unit_test(test_micro_disconnect),
		cmocka_unit_test(test_micro_disconnect_gateway_answers),
		cmocka_unit_test(test_micro_disconnect_at_1s),
		cmocka_unit_test(test_micro_disconnect_each_its_own),
		cmocka_unit_test(test_dns_and_connections),
		cmocka_unit_test(test_dns_under_line_loss),
		cmocka_unit_test(test_dns_conn_lifecycle),
		cmocka_unit_test(test_no_session),
		cmocka_unit_test(test_params_from_config),
		cmocka_unit_test(test_verdict_standing_bloat),
		cmocka_unit_test(test_advice_table),
		cmocka_unit_test(test_verdict_advice),
		cmocka_unit_test(test_cooldown_reopens),
		cmocka_unit_test(test_server_kinds),
		cmocka_unit_test(test_gateway_change_escaped),
		cmocka_unit_test(test_jitter),
		cmocka_unit_test(test_routing_verdict),
		cmocka_unit_test(test_diag),
		cmocka_unit_test(test_unreachable),
		cmocka_unit_test(test_asymmetric_loss),
		cmocka_unit_test(test_bloat_sample_phase),
		cmocka_unit_test(test_peak_hours_days),
		cmocka_unit_test(test_peak_hours_from_db),
		cmocka_unit_test(test_late_replies_spike),
		cmocka_unit_test(test_long_run_is_burst),
		cmocka_unit_test(test_under_load_ignored),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
