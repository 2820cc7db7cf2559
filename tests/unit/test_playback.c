// SPDX-License-Identifier: MIT
/*
 * Tests of core/store/playback (the replay source) against real SQLite files
 * written through core/store in a mkdtemp folder: a 20-minute recording of two
 * ICMP series at 1 s with a 10-probe loss burst and two events, played, sought
 * and summarized; a 2-hour recording at 10 s for the one-hour horizon and
 * the interval guess; the overview from rollups and from raw samples; the
 * refusal of empty, missing and non-database files; where a front end
 * opens (in the worst problem, else a minute in), the default speed for a
 * recording's length, and the servers named by the recorded series.
 * (test_replay.c is the wire protocol's anti-replay window.)
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/base/clock.h"
#include "core/analysis/event.h"
#include "core/analysis/model.h"
#include "core/analysis/path.h"
#include "core/store/playback.h"
#include "core/base/sample.h"
#include "core/analysis/stats.h"
#include "core/store/store.h"

#define T0_MS	     1732539960000LL /* minute aligned */
#define MINUTES	     20
#define PROBES	     (MINUTES * 60)
#define BURST_FROM   300 /* probes 300..309 of "198.18.0.11" time out */
#define BURST_LEN    10
#define EV1_START_MS (T0_MS + 300000)
#define EV1_END_MS   (T0_MS + 312000)
#define EV2_START_MS (T0_MS + 900000)

struct fixture {
	char dir[256];
	char path[320];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/bb-test-replay.XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/rec.db", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[400];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", f->dir);
	free(f);
	return 0;
}

/* Probe k of series 0 ("gateway", sent on the second, 1.0/1.1/1.2 ms) or
 * series 1 ("198.18.0.11", half a second later, 10/11/12 ms, the burst).  The
 * monotonic clock is unrelated to the wall clock, as after a reboot. */
static void probe(struct bb_sample *s, int series, int k, int64_t every_ms)
{
	sample_init(s, BB_KIND_ICMP);
	snprintf(s->interface, sizeof(s->interface), "eth0");
	snprintf(s->target, sizeof(s->target), "%s",
		 series ? "198.18.0.11" : "gateway");
	s->real_ns = (T0_MS + k * every_ms + series * 500) * BB_NS_PER_MS + 123;
	s->mono_ns = 7 * BB_NS_PER_S + k * every_ms * BB_NS_PER_MS +
		     series * 500 * BB_NS_PER_MS;
	s->seq = (uint32_t)k;
	if (series && k >= BURST_FROM && k < BURST_FROM + BURST_LEN)
		s->status = BB_STATUS_TIMEOUT;
	else if (series)
		s->rtt_ns = (10 + k % 3) * BB_NS_PER_MS;
	else
		s->rtt_ns = BB_NS_PER_MS + (k % 3) * 100 * BB_NS_PER_US;
}

static struct store *open_rw(const char *path)
{
	char err[512] = "";
	struct store *st = store_open(path, STORE_RDWR, err, sizeof(err));
	if (!st)
		fail_msg("store_open: %s", err);
	return st;
}

static void write_event(struct store *st, int64_t start, int64_t end,
			const char *kind)
{
	struct bb_event ev = { .start_ms = start, .end_ms = end };
	snprintf(ev.kind, sizeof(ev.kind), "%s", kind);
	snprintf(ev.interface, sizeof(ev.interface), "eth0");
	snprintf(ev.description, sizeof(ev.description), "%s.", kind);
	assert_true(store_event_write(st, &ev) > 0);
}

/* The 20-minute recording; rolled up to its end when rollup is set. */
static void write_recording(const char *path, int rollup)
{
	static struct bb_sample s[2 * PROBES];
	struct store *st = open_rw(path);
	for (int k = 0; k < PROBES; k++) {
		probe(&s[2 * k], 0, k, 1000);
		probe(&s[2 * k + 1], 1, k, 1000);
	}
	/* Two batches, as the recorder writes. */
	assert_int_equal(store_write_samples(st, s, PROBES), 0);
	assert_int_equal(store_write_samples(st, s + PROBES, PROBES), 0);
	/* Newest event first: replay must list them by start. */
	write_event(st, EV2_START_MS, 0, "latency_spike");
	write_event(st, EV1_START_MS, EV1_END_MS, "loss_burst");
	if (rollup)
		assert_true(store_rollup(st, T0_MS + MINUTES * 60000LL) > 0);
	store_close(st);
}

static struct playback *open_ok(const char *path)
{
	char err[512] = "";
	struct playback *r = playback_open(path, err, sizeof(err));
	if (!r)
		fail_msg("playback_open: %s", err);
	return r;
}

static const struct model_series *find(struct playback *r, const char *target)
{
	struct model *m = playback_model(r);
	for (size_t i = 0; i < model_count(m); i++)
		if (strcmp(model_at(m, i)->target, target) == 0)
			return model_at(m, i);
	return NULL;
}

static void summary(struct playback *r, const char *target, enum stats_window w,
		    struct stats_summary *out)
{
	const struct model_series *ms = find(r, target);
	assert_non_null(ms);
	stats_log_summary(ms->stats, w, playback_now_mono(r), out);
}

static void test_open_and_play(void **state)
{
	struct fixture *f = *state;
	write_recording(f->path, 1);
	struct playback *r = open_ok(f->path);

	assert_int_equal(playback_first_ms(r), T0_MS);
	assert_int_equal(playback_last_ms(r),
			 T0_MS + (PROBES - 1) * 1000 + 500);
	assert_int_equal(playback_clock_ms(r), T0_MS);
	assert_int_equal(model_count(playback_model(r)), 0);
	assert_int_equal(playback_interval_ns(r), BB_NS_PER_S);
	assert_int_equal(playback_now_mono(r), T0_MS * BB_NS_PER_MS + 999999);

	/* A minute of play: from the very first sample on. */
	assert_int_equal(playback_advance(r, 60000), 0);
	assert_int_equal(playback_clock_ms(r), T0_MS + 60000);
	assert_int_equal(model_count(playback_model(r)), 2);
	assert_int_equal(find(r, "gateway")->samples, 61);     /* k = 0..60 */
	assert_int_equal(find(r, "198.18.0.11")->samples, 60); /* k = 0..59 */

	struct stats_summary a, b;
	summary(r, "gateway", STATS_60S, &a);
	summary(r, "198.18.0.11", STATS_60S, &b);
	/* (clock - 60 s, clock]: gateway k = 1..60, 198.18.0.11 k = 0..59. */
	assert_int_equal(a.count, 60);
	assert_int_equal(a.lost, 0);
	assert_int_equal(a.min, 1000 * BB_NS_PER_US);
	assert_int_equal(a.p50, 1100 * BB_NS_PER_US);
	assert_int_equal(a.max, 1200 * BB_NS_PER_US);
	assert_int_equal(a.avg, 1100 * BB_NS_PER_US);
	assert_int_equal(a.last_value, (1000 + 60 % 3 * 100) * BB_NS_PER_US);
	/* mono_ns was rewritten to real_ns, to the µs the store keeps. */
	assert_int_equal(a.last_mono_ns, (T0_MS + 60000) * BB_NS_PER_MS);
	assert_int_equal(b.count, 60);
	assert_int_equal(b.lost, 0);
	assert_int_equal(b.min, 10 * BB_NS_PER_MS);
	assert_int_equal(b.p50, 11 * BB_NS_PER_MS);
	assert_int_equal(b.max, 12 * BB_NS_PER_MS);
	assert_int_equal(b.last_value, (10 + 59 % 3) * BB_NS_PER_MS);

	/* Zero moves nothing; past the burst, in uneven steps. */
	assert_int_equal(playback_advance(r, 0), 0);
	assert_int_equal(playback_clock_ms(r), T0_MS + 60000);
	for (int i = 0; i < 26; i++)
		assert_int_equal(playback_advance(r, 10000), 0);
	assert_int_equal(playback_clock_ms(r), T0_MS + 320000);
	assert_int_equal(find(r, "gateway")->samples, 321);
	assert_int_equal(find(r, "198.18.0.11")->samples, 320);
	summary(r, "198.18.0.11", STATS_60S, &b); /* k = 260..319 */
	assert_int_equal(b.count, 60);
	assert_int_equal(b.lost, BURST_LEN);
	assert_true(fabs(b.loss_pct - 100.0 * BURST_LEN / 60) < 1e-9);
	assert_int_equal(b.loss_run_longest, BURST_LEN);
	assert_int_equal(b.pattern, STATS_LOSS_BURST);
	summary(r, "gateway", STATS_60S, &a);
	assert_int_equal(a.count, 60);
	assert_int_equal(a.lost, 0);
	summary(r, "198.18.0.11", STATS_1H, &b); /* everything so far */
	assert_int_equal(b.count, 320);
	assert_int_equal(b.lost, BURST_LEN);

	/* Past the end: clamped to the last sample, everything fed. */
	assert_int_equal(playback_advance(r, 3000000), 0);
	assert_int_equal(playback_clock_ms(r), playback_last_ms(r));
	assert_int_equal(find(r, "gateway")->samples, PROBES);
	assert_int_equal(find(r, "198.18.0.11")->samples, PROBES);
	assert_int_equal(model_overflow(playback_model(r)), 0);
	playback_close(r);
}

static void test_seek(void **state)
{
	struct fixture *f = *state;
	write_recording(f->path, 0);
	struct playback *r = open_ok(f->path);
	struct stats_summary b;

	assert_int_equal(playback_advance(r, 400000), 0);
	uint64_t gen = model_generation(playback_model(r));
	assert_true(gen > 0);

	/* Back before the burst: rebuilt from what the hour before holds.
	 * The replaced model stays readable until the next swap. */
	struct model *before = playback_model(r);
	assert_int_equal(playback_seek(r, T0_MS + 100000), 0);
	assert_ptr_not_equal(playback_model(r), before);
	assert_int_equal(model_count(before), 2);
	assert_int_equal(model_generation(before), gen);
	assert_int_equal(playback_clock_ms(r), T0_MS + 100000);
	assert_int_equal(find(r, "gateway")->samples, 101);	/* k = 0..100 */
	assert_int_equal(find(r, "198.18.0.11")->samples, 100); /* k = 0..99 */
	summary(r, "198.18.0.11", STATS_1H, &b);
	assert_int_equal(b.count, 100);
	assert_int_equal(b.lost, 0);

	/* A negative step is a seek back. */
	assert_int_equal(playback_advance(r, 400000), 0);
	assert_int_equal(playback_advance(r, -150000), 0);
	assert_int_equal(playback_clock_ms(r), T0_MS + 350000);
	summary(r, "198.18.0.11", STATS_1H, &b); /* k = 0..349 */
	assert_int_equal(b.count, 350);
	assert_int_equal(b.lost, BURST_LEN);
	assert_int_equal(find(r, "198.18.0.11")->samples, 350);

	/* Clamped at both ends. */
	assert_int_equal(playback_seek(r, 0), 0);
	assert_int_equal(playback_clock_ms(r), T0_MS);
	assert_int_equal(model_count(playback_model(r)), 1); /* gateway k=0 */
	assert_int_equal(find(r, "gateway")->samples, 1);
	assert_int_equal(playback_advance(r, -5000), 0);
	assert_int_equal(playback_clock_ms(r), T0_MS);
	assert_int_equal(playback_seek(r, INT64_MAX), 0);
	assert_int_equal(playback_clock_ms(r), playback_last_ms(r));
	assert_int_equal(find(r, "198.18.0.11")->samples, PROBES);
	playback_close(r);
}

/* The feed callback takes over the model: it sees every sample in time
 * order with the model being built (and adds it), and a NULL with the new
 * model before a seek rebuilds it. */
struct seen {
	uint64_t samples, resets;
	struct model *m;
	int64_t last_ns;
	int out_of_order;
};

static void count_sample(void *ctx, struct model *m, const struct bb_sample *s)
{
	struct seen *n = ctx;
	if (!s) {
		n->resets++, n->samples = 0;
		n->m = m;
		n->last_ns = 0;
		return;
	}
	if (n->m && m != n->m)
		n->out_of_order =
			1000; /* fed into a model it was not told of */
	n->m = m;
	n->out_of_order += s->real_ns < n->last_ns;
	n->last_ns = s->real_ns;
	assert_int_equal(s->mono_ns, s->real_ns);
	n->samples++;
	model_add(m, s);
}

static uint64_t model_samples(struct playback *r)
{
	uint64_t n = 0;
	for (size_t i = 0; i < model_count(playback_model(r)); i++)
		n += model_at(playback_model(r), i)->samples;
	return n;
}

static void test_sample_callback(void **state)
{
	struct fixture *f = *state;
	write_recording(f->path, 0);
	struct playback *r = open_ok(f->path);
	struct seen n = { 0 };

	playback_on_sample(r, count_sample, &n);
	assert_int_equal(playback_advance(r, 400000), 0);
	assert_int_equal(n.resets, 0);
	assert_int_equal(n.samples, model_samples(r));
	assert_int_equal(n.samples, 401 + 400); /* k = 0..400, 0..399 */
	assert_int_equal(playback_advance(r, 1000), 0);
	assert_int_equal(n.samples, 401 + 400 + 2);
	assert_int_equal(playback_seek(r, T0_MS + 100000), 0);
	assert_int_equal(n.resets, 1);
	assert_int_equal(n.samples, model_samples(r));
	assert_int_equal(n.samples, 101 + 100);
	assert_ptr_equal(n.m, playback_model(r));
	assert_int_equal(n.out_of_order, 0);
	playback_close(r);
}

/* The path probe's rows (the hops table, not the samples) come back merged
 * into the samples in time order: hops 1..3 of "198.18.0.11" every second
 * 250 ms after the echoes, hop 2 silent, hop 3 the target; after a step
 * and after a seek the model holds the path with its addresses. */
static void path_probe(struct bb_sample *s, int k, int hop)
{
	sample_init(s, BB_KIND_PATH);
	snprintf(s->interface, sizeof(s->interface), "eth0");
	snprintf(s->target, sizeof(s->target), "198.18.0.11");
	s->real_ns = (T0_MS + k * 1000 + 250 + hop) * BB_NS_PER_MS;
	s->mono_ns = s->real_ns;
	s->seq = (uint32_t)(3 * k + hop);
	s->hop = (uint8_t)hop;
	if (hop == 2) {
		s->status = BB_STATUS_TIMEOUT;
		return;
	}
	snprintf(s->hop_addr, sizeof(s->hop_addr), "%s",
		 hop == 1 ? "198.18.0.1" : "198.18.0.11");
	s->rtt_ns = hop * BB_NS_PER_MS;
	if (hop == 3)
		s->flags |= BB_SAMPLE_PATH_END;
}

static void test_path_rows(void **state)
{
	struct fixture *f = *state;
	write_recording(f->path, 0);
	static struct bb_sample p[3 * PROBES];
	for (int k = 0; k < PROBES; k++)
		for (int h = 1; h <= 3; h++)
			path_probe(&p[3 * k + h - 1], k, h);
	struct store *st = open_rw(f->path);
	assert_int_equal(store_write_samples(st, p, 3 * PROBES), 0);
	store_close(st);

	struct playback *r = open_ok(f->path);
	struct seen n = { 0 };
	playback_on_sample(r, count_sample, &n);
	assert_int_equal(playback_advance(r, 400000), 0);
	assert_int_equal(n.out_of_order, 0);
	/* echoes k = 0..400 and 0..399, hops of k = 0..399 */
	assert_int_equal(n.samples, 401 + 400 + 3 * 400);
	const struct path_view *v =
		model_path(playback_model(r), "eth0", "198.18.0.11");
	assert_non_null(v);
	assert_int_equal(v->dest_ttl, 3);
	assert_string_equal(v->hop[0].addr, "198.18.0.1");
	assert_string_equal(v->hop[1].addr, "");
	assert_int_equal(v->hop[1].sent, PATH_WINDOW);
	assert_int_equal(v->hop[1].lost, PATH_WINDOW);
	assert_string_equal(v->hop[2].addr, "198.18.0.11");
	assert_int_equal(v->hop[2].p50_ns, 3 * BB_NS_PER_MS);

	/* a seek rebuilds it from the hour before the clock */
	assert_int_equal(playback_seek(r, T0_MS + 100000), 0);
	assert_int_equal(n.out_of_order, 0);
	assert_int_equal(n.samples, 101 + 100 + 3 * 100);
	v = model_path(playback_model(r), "eth0", "198.18.0.11");
	assert_non_null(v);
	assert_int_equal(v->dest_ttl, 3);
	assert_int_equal(v->hop[0].sent, PATH_WINDOW);
	playback_close(r);
}

/* One series' rollups straight from the recording (the 24 h window). */
static int add_agg(void *ctx, const struct store_agg *a)
{
	int64_t *sum = ctx;
	sum[0]++;
	sum[1] += a->count;
	sum[2] += a->lost;
	return 0;
}

static void test_series_aggs(void **state)
{
	struct fixture *f = *state;
	write_recording(f->path, 1);
	struct playback *r = open_ok(f->path);
	assert_int_equal(playback_advance(r, 60000), 0);
	const struct model_series *ms = find(r, "198.18.0.11");
	int64_t sum[3] = { 0 };

	assert_non_null(ms);
	assert_int_equal(playback_series_aggs(r, ms, STORE_AGG_1MIN, 0,
					      INT64_MAX, add_agg, sum),
			 0);
	assert_int_equal(sum[0], MINUTES);
	assert_int_equal(sum[1], PROBES);
	assert_int_equal(sum[2], BURST_LEN);
	playback_close(r);
}

/* Two hours at one probe per 10 s: the hour horizon and the guess. */
static void test_hour_horizon(void **state)
{
	struct fixture *f = *state;
	enum { N = 720 };
	static struct bb_sample s[2 * N];
	struct store *st = open_rw(f->path);
	for (int k = 0; k < N; k++) {
		probe(&s[2 * k], 0, k, 10000);
		probe(&s[2 * k + 1], 1, k, 10000);
	}
	assert_int_equal(store_write_samples(st, s, 2 * N), 0);
	store_close(st);

	struct playback *r = open_ok(f->path);
	assert_int_equal(playback_interval_ns(r), 10 * BB_NS_PER_S);
	/* (clock - 1 h, clock] at 10 s: 360 probes per series. */
	assert_int_equal(playback_seek(r, T0_MS + 90 * 60000), 0);
	assert_int_equal(find(r, "gateway")->samples, 360);
	assert_int_equal(find(r, "198.18.0.11")->samples, 360);
	/* A step of more than an hour ends the same as a seek. */
	assert_int_equal(playback_seek(r, T0_MS), 0);
	assert_int_equal(playback_advance(r, 100 * 60000), 0);
	assert_int_equal(playback_clock_ms(r), T0_MS + 100 * 60000);
	assert_int_equal(find(r, "gateway")->samples, 360);
	assert_int_equal(find(r, "198.18.0.11")->samples, 360);
	/* Small steps after it keep adding. */
	assert_int_equal(playback_advance(r, 60000), 0);
	assert_int_equal(find(r, "gateway")->samples, 366);
	struct stats_summary a;
	summary(r, "gateway", STATS_1H, &a);
	assert_int_equal(a.count, 360);
	playback_close(r);
}

/* Ten minutes of one series at 10 s and one at 1 s: the model must be
 * sized for the faster one, or its hour would be cut short. */
static void test_interval_guess(void **state)
{
	struct fixture *f = *state;
	enum { N = 600 };
	static struct bb_sample s[N + N / 10];
	size_t n = 0;
	for (int k = 0; k < N; k++) {
		if (k % 10 == 0)
			probe(&s[n++], 0, k / 10, 10000);
		probe(&s[n++], 1, k, 1000);
	}
	struct store *st = open_rw(f->path);
	assert_int_equal(store_write_samples(st, s, n), 0);
	store_close(st);

	struct playback *r = open_ok(f->path);
	assert_int_equal(playback_interval_ns(r), BB_NS_PER_S);
	assert_int_equal(playback_advance(r, 3600000), 0);
	struct stats_summary b;
	summary(r, "198.18.0.11", STATS_1H, &b);
	assert_int_equal(b.count, N);
	assert_int_equal(b.truncated, 0);
	assert_int_equal(find(r, "gateway")->samples, N / 10);
	playback_close(r);
}

static void test_events(void **state)
{
	struct fixture *f = *state;
	write_recording(f->path, 0);
	struct playback *r = open_ok(f->path);
	const struct bb_event *open[4];
	size_t n;

	const struct bb_event *ev = playback_events(r, &n);
	assert_int_equal(n, 2);
	assert_int_equal(ev[0].start_ms, EV1_START_MS);
	assert_string_equal(ev[0].kind, "loss_burst");
	assert_int_equal(ev[0].end_ms, EV1_END_MS);
	assert_int_equal(ev[1].start_ms, EV2_START_MS);
	assert_int_equal(ev[1].end_ms, 0);

	assert_int_equal(playback_event_near(r, +1), 0);
	assert_int_equal(playback_event_near(r, -1), -1);
	assert_int_equal(playback_open_events(r, open, 4), 0);

	/* At an event's start: it is open, "near" looks strictly around. */
	assert_int_equal(playback_seek(r, EV1_START_MS), 0);
	assert_int_equal(playback_event_near(r, +1), 1);
	assert_int_equal(playback_event_near(r, -1), -1);
	assert_int_equal(playback_open_events(r, open, 4), 1);
	assert_ptr_equal(open[0], &ev[0]);
	assert_int_equal(playback_advance(r, 11999), 0);
	assert_int_equal(playback_open_events(r, open, 4), 1);
	assert_int_equal(playback_advance(r, 1), 0); /* its end: closed */
	assert_int_equal(playback_open_events(r, open, 4), 0);
	assert_int_equal(playback_event_near(r, -1), 0);
	assert_int_equal(playback_event_near(r, +1), 1);

	/* The ongoing one stays open to the end; max is respected. */
	assert_int_equal(playback_seek(r, EV2_START_MS + 1), 0);
	assert_int_equal(playback_event_near(r, -1), 1);
	assert_int_equal(playback_event_near(r, +1), -1);
	assert_int_equal(playback_open_events(r, open, 4), 1);
	assert_ptr_equal(open[0], &ev[1]);
	assert_int_equal(playback_open_events(r, open, 0), 0);
	assert_int_equal(playback_seek(r, INT64_MAX), 0);
	assert_int_equal(playback_open_events(r, open, 4), 1);
	assert_string_equal(open[0]->kind, "latency_spike");
	playback_close(r);
}

/* Four 5-minute slices: the burst (10 probes of one series in minute 5)
 * is in slice 1, whose loss is burst_pct. */
static void check_overview(struct playback *r, double burst_pct, int64_t rtt_lo,
			   int64_t rtt_hi)
{
	double loss[4];
	int64_t rtt[4];
	assert_int_equal(playback_overview(r, loss, rtt, 4), 4);
	for (int i = 0; i < 4; i++) {
		double want = i == 1 ? burst_pct : 0.0;
		if (fabs(loss[i] - want) > 1e-9)
			fail_msg("slice %d: loss %g, want %g", i, loss[i],
				 want);
		if (rtt[i] < rtt_lo || rtt[i] > rtt_hi)
			fail_msg("slice %d: rtt %lld us", i, (long long)rtt[i]);
	}
	assert_int_equal(playback_overview(r, loss, rtt, 0), 0);
}

static void test_overview(void **state)
{
	struct fixture *f = *state;
	write_recording(f->path, 1);
	struct playback *r = open_ok(f->path);
	/* Minute rows: p50 1.1 ms (gateway) and 11 ms (1.1.1.1); the median
	 * of a slice's ten is the lower middle, 1.1 ms. */
	/* lost / sent over the slice's 5 minutes of both series */
	check_overview(r, 100.0 * BURST_LEN / (5 * 60 * 2), 1100, 1100);

	/* Many more slices than minutes: the slices holding a minute row
	 * agree, the others are estimated from their own samples. */
	enum { N = 200 };
	double loss[N];
	int64_t rtt[N];
	assert_int_equal(playback_overview(r, loss, rtt, N), N);
	int burst = 0;
	for (int i = 0; i < N; i++) {
		assert_false(isnan(loss[i]));
		assert_true(rtt[i] >= 1000 && rtt[i] <= 12000);
		burst += loss[i] > 0;
	}
	assert_true(burst >= 1);
	playback_close(r);

	/* Never rolled up: a minute of each slice, from samples. */
	char err[512];
	snprintf(f->path, sizeof(f->path), "%s/raw.db", f->dir);
	write_recording(f->path, 0);
	r = playback_open(f->path, err, sizeof(err));
	assert_non_null(r);
	/* the minute read is minute 5, the burst's: 10 of its 120 */
	check_overview(r, 100.0 * BURST_LEN / (60 * 2), 1000, 1200);
	playback_close(r);
}

/* A 5 s recording at 100 ms, one target always lost, in 512 slices of
 * ~10 ms: every slice with data shows that target's loss, about half the
 * probes sent (no stripes of "fine" slices that merely held no probe of
 * it). */
static void test_overview_short(void **state)
{
	struct fixture *f = *state;
	static struct bb_sample s[100];
	struct store *st = open_rw(f->path);
	for (int k = 0; k < 50; k++)
		for (int t = 0; t < 2; t++) {
			struct bb_sample *p = &s[2 * k + t];
			sample_init(p, BB_KIND_ICMP);
			snprintf(p->target, sizeof(p->target), "198.18.0.%d",
				 20 + t);
			p->real_ns = (T0_MS + k * 100 + t * 50) * BB_NS_PER_MS;
			p->mono_ns = p->real_ns;
			p->seq = (uint32_t)k;
			if (t)
				p->status = BB_STATUS_TIMEOUT;
			else
				p->rtt_ns = BB_NS_PER_MS;
		}
	assert_int_equal(store_write_samples(st, s, 100), 0);
	store_close(st);
	struct playback *r = open_ok(f->path);
	enum { N = 512 };
	static double loss[N];
	static int64_t rtt[N];
	int with_data = 0;
	assert_int_equal(playback_overview(r, loss, rtt, N), N);
	for (int i = 0; i < N; i++) {
		if (isnan(loss[i]))
			continue;
		with_data++;
		if (loss[i] < 33.0) /* half the probes sent are lost */
			fail_msg("slice %d shows %.1f %% loss", i, loss[i]);
	}
	assert_true(with_data > N / 2);
	playback_close(r);
}

/* A normal 20 minutes: an icmp series every second and a dns one every
 * 10 s (6 a minute) of which one query is lost.  The slice holding it
 * shows 1 lost of the 330 sent (0.3 %: the legend's yellow, "any loss"),
 * not the worst minute's 1 of 6 (16.7 %, red); the others none. */
static void test_overview_sums(void **state)
{
	struct fixture *f = *state;
	static struct bb_sample s[PROBES + PROBES / 10];
	size_t n = 0;
	struct store *st = open_rw(f->path);
	for (int k = 0; k < PROBES; k++) {
		probe(&s[n++], 0, k, 1000);
		if (k % 10)
			continue;
		struct bb_sample *d = &s[n++];
		probe(d, 0, k, 1000);
		d->kind = BB_KIND_DNS;
		snprintf(d->target, sizeof(d->target), "198.18.0.53");
		if (k == 190) /* minute 3 */
			d->status = BB_STATUS_TIMEOUT, d->rtt_ns = BB_NONE;
	}
	assert_int_equal(store_write_samples(st, s, n), 0);
	assert_true(store_rollup(st, T0_MS + MINUTES * 60000LL) > 0);
	store_close(st);
	struct playback *r = open_ok(f->path);
	double loss[4];
	int64_t rtt[4];
	assert_int_equal(playback_overview(r, loss, rtt, 4), 4);
	if (fabs(loss[0] - 100.0 / 330) > 1e-9)
		fail_msg("slice 0: loss %g %%, want %g", loss[0], 100.0 / 330);
	for (int i = 1; i < 4; i++)
		if (loss[i] != 0.0)
			fail_msg("slice %d: loss %g %%, want 0", i, loss[i]);
	playback_close(r);
}

static void test_overview_gap(void **state)
{
	struct fixture *f = *state;
	struct bb_sample s[2];
	struct store *st = open_rw(f->path);
	probe(&s[0], 0, 0, 1000);
	probe(&s[1], 0, 3599, 1000); /* an hour apart, nothing between */
	assert_int_equal(store_write_samples(st, s, 2), 0);
	store_close(st);
	struct playback *r = open_ok(f->path);
	double loss[3];
	int64_t rtt[3];
	assert_int_equal(playback_overview(r, loss, rtt, 3), 3);
	assert_int_equal(rtt[0], 1000);
	assert_true(loss[0] == 0.0);
	assert_true(isnan(loss[1]));
	assert_int_equal(rtt[1], BB_NONE);
	assert_int_equal(rtt[2], 1200); /* k = 3599: 1.2 ms */
	assert_true(loss[2] == 0.0);
	playback_close(r);
}

static void expect_refusal(const char *path, const char *what)
{
	char err[512] = "";
	struct playback *r = playback_open(path, err, sizeof(err));
	if (r)
		fail_msg("%s opened", path);
	if (strncmp(err, path, strlen(path)) != 0 || !strstr(err, what))
		fail_msg("error '%s' should name %s and say '%s'", err, path,
			 what);
}

static void test_refusals(void **state)
{
	struct fixture *f = *state;
	/* A database with the schema but no sample yet. */
	struct store *st = open_rw(f->path);
	write_event(st, T0_MS, 0, "latency_spike");
	store_close(st);
	expect_refusal(f->path, "no samples recorded yet");

	char path[400];
	snprintf(path, sizeof(path), "%s/notes.txt", f->dir);
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	for (int i = 0; i < 20; i++)
		fputs("this is not a database at all\n", fp);
	fclose(fp);
	expect_refusal(path, "not an SQLite database");

	snprintf(path, sizeof(path), "%s/missing.db", f->dir);
	expect_refusal(path, "no such database file");
	assert_int_equal(access(path, F_OK), -1); /* not created */
}

/* ---- where a front end opens, at what speed ------------------------------ */

/* n probes of both series every every_ms; no events. */
static void write_plain(const char *path, int n, int64_t every_ms)
{
	static struct bb_sample s[2 * PROBES];
	struct store *st = open_rw(path);
	assert_true(n <= PROBES);
	for (int k = 0; k < n; k++) {
		probe(&s[2 * k], 0, k, every_ms);
		probe(&s[2 * k + 1], 1, k, every_ms);
	}
	assert_int_equal(store_write_samples(st, s, 2 * (size_t)n), 0);
	store_close(st);
}

static void add_event(const char *path, int64_t start, int64_t end,
		      const char *kind, int severity)
{
	struct store *st = open_rw(path);
	struct bb_event ev = { .start_ms = start,
			       .end_ms = end,
			       .severity = (uint8_t)severity };
	snprintf(ev.kind, sizeof(ev.kind), "%s", kind);
	snprintf(ev.target, sizeof(ev.target), "198.18.0.11");
	assert_true(store_event_write(st, &ev) > 0);
	store_close(st);
}

static int64_t start_of(const char *path, long *event)
{
	struct playback *r = open_ok(path);
	int64_t ms = playback_start_ms(r, event);
	playback_close(r);
	return ms;
}

static void test_speed_for(void **state)
{
	(void)state;
	static const struct {
		int64_t span_ms;
		int speed;
	} want[] = {
		{ 0, 1 },
		{ 6000, 1 },		      /* a 6 s recording in 6 s */
		{ 60000, 1 },		      /* a minute in a minute */
		{ 60001, 2 },		      /* just over: twice as fast */
		{ 20 * 60000, 30 },	      /* 20 min in 40 s */
		{ 2 * 3600000, 120 },	      /* 2 h in a minute */
		{ 24 * 3600000LL, 1800 },     /* a day in 48 s */
		{ 7 * 24 * 3600000LL, 3600 }, /* a week: the fastest */
		{ INT64_MAX, 3600 },
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		size_t k = playback_speed_for(want[i].span_ms);
		assert_true(k < REPLAY_NSPEEDS);
		if (playback_speeds[k] != want[i].speed)
			fail_msg("%lld ms: %dx, want %dx",
				 (long long)want[i].span_ms, playback_speeds[k],
				 want[i].speed);
		/* never over a minute of playback unless at the fastest */
		assert_true(k == REPLAY_NSPEEDS - 1 ||
			    want[i].span_ms / playback_speeds[k] <=
				    REPLAY_PLAY_MS);
	}
	for (size_t k = 1; k < REPLAY_NSPEEDS; k++)
		assert_true(playback_speeds[k] > playback_speeds[k - 1]);
}

/* The worst event: severity first, then length (an open one lasts to the
 * end of the recording), then the earliest. */
static void test_start_worst_event(void **state)
{
	struct fixture *f = *state;
	char p2[400], p3[400];
	long ev;

	/* loss_burst 12 s and latency_spike open from 900 s to the end
	 * (299.5 s), both warnings: the longer one, a window into it. */
	write_plain(f->path, PROBES, 1000);
	add_event(f->path, EV2_START_MS, 0, "latency_spike", BB_SEV_WARNING);
	add_event(f->path, EV1_START_MS, EV1_END_MS, "loss_burst",
		  BB_SEV_WARNING);
	struct playback *r = open_ok(f->path);
	assert_int_equal(playback_start_ms(r, &ev), EV2_START_MS + 60000);
	assert_int_equal(ev, 1);
	assert_int_equal(playback_start_ms(r, NULL), EV2_START_MS + 60000);
	/* Seeking there gives figures at once (not an empty model), with
	 * the event open. */
	assert_int_equal(playback_seek(r, playback_start_ms(r, NULL)), 0);
	assert_int_equal(model_count(playback_model(r)), 2);
	struct stats_summary a;
	summary(r, "gateway", STATS_60S, &a);
	assert_int_equal(a.count, 60);
	assert_int_equal(a.p50, 1100 * BB_NS_PER_US);
	const struct bb_event *open[2];
	assert_int_equal(playback_open_events(r, open, 2), 1);
	assert_string_equal(open[0]->kind, "latency_spike");
	playback_close(r);

	/* The 12 s burst alone: its last ms, still open, the whole burst in
	 * the window. */
	char p1[400];
	snprintf(p1, sizeof(p1), "%s/burst.db", f->dir);
	write_plain(p1, PROBES, 1000);
	add_event(p1, EV1_START_MS, EV1_END_MS, "loss_burst", BB_SEV_WARNING);
	r = open_ok(p1);
	assert_int_equal(playback_start_ms(r, &ev), EV1_END_MS - 1);
	assert_int_equal(playback_seek(r, playback_start_ms(r, NULL)), 0);
	assert_int_equal(playback_open_events(r, open, 2), 1);
	summary(r, "198.18.0.11", STATS_60S, &a);
	assert_int_equal(a.lost, BURST_LEN);
	playback_close(r);

	/* A 2 s critical one beats the long warnings. */
	snprintf(p2, sizeof(p2), "%s/crit.db", f->dir);
	write_plain(p2, PROBES, 1000);
	add_event(p2, T0_MS + 100000, T0_MS + 400000, "latency_spike",
		  BB_SEV_WARNING);
	add_event(p2, T0_MS + 700000, T0_MS + 702000, "loss_burst",
		  BB_SEV_CRITICAL);
	add_event(p2, T0_MS + 800000, 0, "jitter", BB_SEV_WARNING);
	assert_int_equal(start_of(p2, &ev), T0_MS + 702000 - 1);
	assert_int_equal(ev, 1);

	/* Equal severity and length: the first. */
	snprintf(p3, sizeof(p3), "%s/tie.db", f->dir);
	write_plain(p3, PROBES, 1000);
	add_event(p3, T0_MS + 500000, T0_MS + 530000, "loss_burst",
		  BB_SEV_WARNING);
	add_event(p3, T0_MS + 200000, T0_MS + 230000, "loss_burst",
		  BB_SEV_WARNING);
	assert_int_equal(start_of(p3, &ev), T0_MS + 230000 - 1);
	assert_int_equal(ev, 0);
}

static void test_start_no_event(void **state)
{
	struct fixture *f = *state;
	char p2[400], p3[400];
	long ev = 99;

	/* One dashboard window (a minute) in.  "info" events (the clock
	 * synced...) are no problem to open at. */
	write_recording(f->path, 0); /* its two events are "info" */
	struct playback *r = open_ok(f->path);
	assert_int_equal(playback_start_ms(r, &ev), T0_MS + REPLAY_LEAD_MS);
	assert_int_equal(ev, -1);
	assert_int_equal(playback_seek(r, playback_start_ms(r, NULL)), 0);
	assert_int_equal(find(r, "gateway")->samples, 61);
	assert_int_equal(find(r, "198.18.0.11")->samples, 60);
	playback_close(r);

	/* Shorter than a minute: its end, everything on screen. */
	snprintf(p2, sizeof(p2), "%s/short.db", f->dir);
	write_plain(p2, 30, 1000);
	assert_int_equal(start_of(p2, &ev), T0_MS + 29 * 1000 + 500);
	assert_int_equal(ev, -1);

	/* An event before the first sample kept (retention purged those):
	 * clamped to the first sample. */
	snprintf(p3, sizeof(p3), "%s/old.db", f->dir);
	write_plain(p3, 30, 1000);
	add_event(p3, T0_MS - 5000, T0_MS - 1000, "loss_burst",
		  BB_SEV_CRITICAL);
	assert_int_equal(start_of(p3, &ev), T0_MS);
	assert_int_equal(ev, 0);
}

/* The recording's servers come from its series, whatever the clock: at the
 * first sample no echo sample is in the model yet, the server still is. */
static void test_servers(void **state)
{
	struct fixture *f = *state;
	static struct bb_sample s[3 * 60];
	char p2[400];
	size_t n = 0;

	for (int k = 0; k < 60; k++) {
		probe(&s[n++], 0, k, 1000);
		if (k >= 10) { /* the echo starts 10 s in */
			sample_init(&s[n], BB_KIND_UDP_ECHO);
			snprintf(s[n].target, sizeof(s[n].target), "srv-b");
			snprintf(s[n].server, sizeof(s[n].server), "srv-b");
			s[n].real_ns = (T0_MS + k * 1000 + 200) * BB_NS_PER_MS;
			s[n].mono_ns = s[n].real_ns;
			s[n].rtt_ns = 2 * BB_NS_PER_MS;
			n++;
		}
		if (k % 20 == 5) {
			sample_init(&s[n], BB_KIND_UDP_ECHO);
			snprintf(s[n].target, sizeof(s[n].target), "srv-a");
			snprintf(s[n].server, sizeof(s[n].server), "srv-a");
			s[n].real_ns = (T0_MS + k * 1000 + 300) * BB_NS_PER_MS;
			s[n].mono_ns = s[n].real_ns;
			s[n].rtt_ns = 3 * BB_NS_PER_MS;
			n++;
		}
	}
	struct store *st = open_rw(f->path);
	assert_int_equal(store_write_samples(st, s, n), 0);
	store_close(st);

	struct playback *r = open_ok(f->path);
	assert_int_equal(model_count(playback_model(r)), 0);
	assert_int_equal(playback_server_count(r), 2);
	assert_string_equal(playback_server(r, 0), "srv-a");
	assert_string_equal(playback_server(r, 1), "srv-b");
	assert_string_equal(playback_server(r, 2), "");
	playback_close(r);

	/* None: an ICMP-only recording. */
	snprintf(p2, sizeof(p2), "%s/plain.db", f->dir);
	write_plain(p2, 10, 1000);
	r = open_ok(p2);
	assert_int_equal(playback_server_count(r), 0);
	playback_close(r);
}

/* One throughput (kbps) or bufferbloat (phase, increase) result towards
 * "srv", at T0 + at_ms. */
static void result(struct bb_sample *s, int kind, int64_t at_ms, int64_t kbps,
		   int phase, int64_t inc_ms)
{
	sample_init(s, kind);
	snprintf(s->interface, sizeof(s->interface), "eth0");
	snprintf(s->target, sizeof(s->target), "srv");
	snprintf(s->server, sizeof(s->server), "srv");
	s->real_ns = s->mono_ns = (T0_MS + at_ms) * BB_NS_PER_MS;
	if (kind == BB_KIND_BUFFERBLOAT) {
		s->load_phase = (uint8_t)phase;
		s->bloat.idle_p50_ns = 10 * BB_NS_PER_MS;
		s->bloat.increase_ns = inc_ms * BB_NS_PER_MS;
		s->rtt_ns = s->bloat.idle_p50_ns + s->bloat.increase_ns;
	} else {
		s->throughput_kbps = kbps;
	}
}

/* Tests run hours apart, so the hour a seek rebuilds from may hold none:
 * the model still gets the newest results from before it (as live still
 * shows its last test), and none from after the clock. */
static void test_results_before_the_hour(void **state)
{
	struct fixture *f = *state;
	static struct bb_sample s[5 * 360 + 16];
	const int64_t h = 3600000;
	size_t n = 0;
	int64_t recent[8];

	for (int k = 0; k < 5 * 360; k++) /* ICMP every 10 s for 5 h */
		probe(&s[n++], 0, k, 10000);
	result(&s[n++], BB_KIND_UPLOAD, 10 * 60000, 40000, 0, 0);
	result(&s[n++], BB_KIND_BUFFERBLOAT, 10 * 60000, 0, BB_PHASE_UP, 300);
	result(&s[n++], BB_KIND_UPLOAD, h + 5000, 50000, 0, 0);
	result(&s[n++], BB_KIND_DOWNLOAD, h + 20000, 90000, 0, 0);
	result(&s[n++], BB_KIND_BUFFERBLOAT, h + 6000, 0, BB_PHASE_UP, 120);
	result(&s[n++], BB_KIND_BUFFERBLOAT, h + 21000, 0, BB_PHASE_DOWN, 40);
	/* after the seek target: not yet */
	result(&s[n++], BB_KIND_UPLOAD, 4 * h + 60000, 1000, 0, 0);
	result(&s[n++], BB_KIND_BUFFERBLOAT, 4 * h + 61000, 0, BB_PHASE_UP,
	       900);
	struct store *st = open_rw(f->path);
	assert_int_equal(store_write_samples(st, s, n), 0);
	store_close(st);

	struct playback *r = open_ok(f->path);
	/* 3 h after the newest test before it */
	assert_int_equal(playback_seek(r, T0_MS + 4 * h + 20000), 0);
	const struct model_series *up = find(r, "srv"), *down = NULL;
	struct model *m = playback_model(r);
	for (size_t i = 0; i < model_count(m); i++)
		if (model_at(m, i)->kind == BB_KIND_DOWNLOAD)
			down = model_at(m, i);
	assert_non_null(up);
	assert_int_equal(up->kind, BB_KIND_UPLOAD);
	assert_int_equal(up->last.throughput_kbps, 50000);
	assert_int_equal(stats_log_recent(up->stats, recent, 8), 2);
	assert_int_equal(recent[0], 40000);
	assert_int_equal(recent[1], 50000);
	assert_non_null(down);
	assert_int_equal(down->last.throughput_kbps, 90000);
	const struct model_bloat *bu = model_bloat_latest(m, MODEL_BLOAT_UP);
	const struct model_bloat *bd = model_bloat_latest(m, MODEL_BLOAT_DOWN);
	assert_non_null(bu);
	assert_true(bu->ok);
	assert_int_equal(bu->at_ms, T0_MS + h + 6000);
	assert_int_equal(bu->increase_ns, 120 * BB_NS_PER_MS);
	assert_non_null(bd);
	assert_int_equal(bd->increase_ns, 40 * BB_NS_PER_MS);
	assert_null(model_bloat_latest(m, MODEL_BLOAT_BOTH));
	/* the hour itself as before: the ICMP series only holds it */
	assert_int_equal(find(r, "gateway")->samples, 360);

	/* played on past the next test: it is the newest */
	assert_int_equal(playback_advance(r, 60000), 0);
	assert_int_equal(find(r, "srv")->last.throughput_kbps, 1000);
	assert_int_equal(
		model_bloat_latest(playback_model(r), MODEL_BLOAT_UP)->at_ms,
		T0_MS + 4 * h + 61000);
	playback_close(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_and_play, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_seek, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sample_callback, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_path_rows, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_series_aggs, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_hour_horizon, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_interval_guess, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_events, setup, teardown),
		cmocka_unit_test_setup_teardown(test_overview, setup, teardown),
		cmocka_unit_test_setup_teardown(test_overview_short, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_overview_sums, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_overview_gap, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
		cmocka_unit_test(test_speed_for),
		cmocka_unit_test_setup_teardown(test_start_worst_event, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_start_no_event, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_servers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_results_before_the_hour,
						setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
