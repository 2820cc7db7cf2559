// SPDX-License-Identifier: MIT
/*
 * Tests of core/engine/source (the front end's one source) on the
 * recording side, against a real SQLite file: a "live" run (the feed every
 * sample takes in the monitor, samples delivered when they arrive, lost
 * ones a timeout late, the detector ticked once a second on its own phase)
 * is recorded with its events through core/store, then replayed through
 * source_replay_new; at moments of the run the replay's verdict must be
 * the one live printed then, and the recorded events arrive through the
 * event handler as the clock passes them (the list starting over on a
 * seek back).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/analysis/detect.h"
#include "core/analysis/event.h"
#include "core/analysis/model.h"
#include "core/analysis/path.h"
#include "core/base/clock.h"
#include "core/base/config.h"
#include "core/base/sample.h"
#include "core/engine/feed.h"
#include "core/engine/source.h"
#include "core/store/store.h"

#define MS	  BB_NS_PER_MS
#define SEC	  BB_NS_PER_S
#define T0_MS	  1732539960000LL
#define PROBES	  600 /* 10 minutes at 1 s, two targets */
#define BURST	  200 /* probes 200..229 of the far target are lost */
#define BURST_LEN 30
#define TIMEOUT	  (1000 * MS)
#define MAX_EV	  64
#define NMOMENTS  5

/* The moments compared, in seconds from the start: before the burst,
 * twice inside it, just after it (the event's hold) and long after.
 * Outside the burst the verdicts are equal to the letter.  Inside it they
 * say the same with a duration at most one tick (1 s) longer in replay:
 * replay delivers each sample when live learnt of it (after its RTT, a
 * loss a timeout after sending) but ticks on whole seconds of the
 * recording, while live ticked on a phase of its own that no recording
 * keeps. */
static const int moment_s[NMOMENTS] = { 150, 215, 225, 236, 590 };

struct live {
	struct bb_config cfg;
	struct feed feed;
	struct bb_event ev[MAX_EV];
	int nev;
	char verdict[NMOMENTS][512];
	/* the default route gone through the burst (detect_route, from the
	 * engine's gateway search live): "No connection", not the line */
	bool no_route;
};

static void on_live_event(void *ctx, const struct bb_event *ev,
			  enum detect_state st)
{
	struct live *l = ctx;
	for (int i = 0; i < l->nev; i++)
		if (l->ev[i].start_ms == ev->start_ms &&
		    !strcmp(l->ev[i].kind, ev->kind) &&
		    !strcmp(l->ev[i].target, ev->target)) {
			l->ev[i] = *ev; /* the recorder keeps the newest */
			return;
		}
	assert_true(l->nev < MAX_EV);
	l->ev[l->nev++] = *ev;
	(void)st;
}

/* Probe k of target t: the gateway answers always, the far target loses
 * the burst (a micro-disconnect: all beyond the gateway).  mono == real -
 * offset: any monotonic origin would do. */
static void probe(struct bb_sample *s, int t, int k)
{
	sample_init(s, BB_KIND_ICMP);
	snprintf(s->target, sizeof(s->target), "%s",
		 t ? "198.18.0.11" : "gateway");
	s->real_ns = (T0_MS + k * 1000LL + 200 + t * 500) * MS;
	s->mono_ns = s->real_ns - T0_MS * MS + 50 * SEC;
	s->seq = (uint32_t)k;
	if (t && k >= BURST && k < BURST + BURST_LEN)
		s->status = BB_STATUS_TIMEOUT;
	else
		s->rtt_ns = (t ? 12 : 1) * MS + (k % 5) * 100 * 1000;
}

static int64_t arrival(const struct bb_sample *s)
{
	return s->mono_ns + (s->status == BB_STATUS_OK ? s->rtt_ns : TIMEOUT);
}

static int by_arrival(const void *a, const void *b)
{
	int64_t x = arrival(a), y = arrival(b);
	return (x > y) - (x < y);
}

/* The live run: every sample through the monitor's feed when it arrives,
 * the 1 s tick on a phase of its own; the verdict at each moment. */
static void run_live(struct live *l, struct bb_sample *s, size_t n)
{
	static struct bb_sample by_arr[2 * PROBES];
	int64_t mono0 = s[0].mono_ns - 200 * MS; /* T0 on the mono clock */
	int64_t tick = mono0 + 1000 * MS + 370 * MS;
	int m = 0;

	memcpy(by_arr, s, n * sizeof(*s));
	qsort(by_arr, n, sizeof(*by_arr), by_arrival);
	config_defaults(&l->cfg);
	l->feed.model = model_new(SEC);
	l->feed.detect =
		detect_new(detect_params_from_config(
				   &l->cfg, &(struct detect_params){ 0 }),
			   on_live_event, l);
	for (size_t i = 0; i <= n; i++) {
		int64_t t = i < n ? arrival(&by_arr[i]) : INT64_MAX;
		while (tick <= t && tick < mono0 + PROBES * SEC) {
			/* the screen draws the verdict at the moment (just
			 * after the tick of that second) */
			if (m < NMOMENTS &&
			    tick - 370 * MS == mono0 + moment_s[m] * SEC) {
				detect_verdict(l->feed.detect, l->verdict[m],
					       sizeof(l->verdict[m]));
				m++;
			}
			if (l->no_route) {
				int64_t b0 = mono0 + BURST * SEC;
				bool gone = tick >= b0 &&
					    tick < b0 + BURST_LEN * SEC;
				detect_route(l->feed.detect, "", !gone);
			}
			detect_tick(l->feed.detect, tick);
			tick += SEC;
		}
		if (i < n)
			feed_sample(&l->feed, &by_arr[i]);
	}
	assert_int_equal(m, NMOMENTS);
}

struct seen {
	int resets, events, open_at_clock;
	uint64_t samples;
};

static void seen_sample(void *ctx, const struct bb_sample *s)
{
	struct seen *n = ctx;
	n->samples += s != NULL;
}

static void seen_event(void *ctx, const struct bb_event *ev)
{
	struct seen *n = ctx;
	if (!ev) {
		n->resets++;
		n->events = n->open_at_clock = 0;
		return;
	}
	n->events++;
	n->open_at_clock += ev->end_ms == 0;
}

static void replay_verdict_is_live(bool no_route)
{
	static struct bb_sample s[2 * PROBES];
	static struct live l;
	char dir[] = "/tmp/bb-test-source.XXXXXX", path[64], conf[64], err[512];
	char note[256], v[512];
	size_t n = 0;

	memset(&l, 0, sizeof(l));
	l.no_route = no_route;
	for (int k = 0; k < PROBES; k++) {
		probe(&s[n++], 0, k);
		probe(&s[n++], 1, k);
	}
	run_live(&l, s, n);
	for (int i = 0; i < l.nev; i++)
		print_message("live event %s %s %lld-%lld: %s\n", l.ev[i].kind,
			      l.ev[i].target, (long long)l.ev[i].start_ms,
			      (long long)l.ev[i].end_ms, l.ev[i].description);
	for (int m = 0; m < NMOMENTS; m++)
		print_message("live %d: %s\n", moment_s[m], l.verdict[m]);
	/* the run saw the burst: every probe beyond the gateway failed */
	assert_int_equal(l.nev, 1);
	assert_string_equal(l.ev[0].kind, "micro_disconnect");
	/* live said something else inside the burst than before it */
	assert_string_not_equal(l.verdict[0], l.verdict[2]);

	/* the recording: what the recorder writes */
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/rec.db", dir);
	snprintf(conf, sizeof(conf), "%s/empty.conf", dir);
	FILE *f = fopen(conf, "w");
	assert_non_null(f);
	fclose(f);
	struct store *st = store_open(path, STORE_RDWR, err, sizeof(err));
	assert_non_null(st);
	assert_int_equal(store_write_samples(st, s, n), 0);
	for (int i = 0; i < l.nev; i++)
		assert_true(store_event_write(st, &l.ev[i]) > 0);
	store_close(st);

	struct source *src = source_replay_new(path, conf, note, sizeof(note),
					       err, sizeof(err));
	assert_non_null(src);
	assert_string_equal(note, "");
	struct seen seen = { 0 };
	struct source_handlers h = { .sample = seen_sample,
				     .event = seen_event,
				     .ctx = &seen };
	source_on(src, &h);
	assert_int_equal(source_bloat(src, true), -ENOTSUP);

	/* played forward in steps, as the screen plays it */
	for (int m = 0; m < NMOMENTS; m++) {
		struct source_status ss;
		source_status(src, &ss);
		assert_true(ss.recording);
		assert_int_equal(
			source_advance(src, T0_MS + moment_s[m] * 1000LL -
						    ss.now_ms),
			0);
		source_verdict(src, v, sizeof(v));
		print_message("%ds live:   %s\n%ds replay: %s\n", moment_s[m],
			      l.verdict[m], moment_s[m], v);
		if (m == 1 || m == 2) {
			const char *head =
				no_route
					? "No connection: this computer has no "
					  "default route, so every probe "
					  "(icmp) failed for "
					: "Micro-disconnect: every probe "
					  "beyond "
					  "the gateway (icmp) failed together "
					  "for ";
			double dl, dr;
			assert_memory_equal(v, head, strlen(head));
			assert_memory_equal(l.verdict[m], head, strlen(head));
			dl = atof(l.verdict[m] + strlen(head));
			dr = atof(v + strlen(head));
			assert_true(dr >= dl && dr <= dl + 1.0);
			continue;
		}
		assert_string_equal(v, l.verdict[m]);
	}
	/* the event came once open (its start passed) and once ended */
	assert_int_equal(seen.events, 2 * l.nev);
	assert_int_equal(seen.open_at_clock, l.nev);
	assert_int_equal(seen.resets, 0);
	/* a seek (back into the burst) rebuilds the model and the detectors
	 * and sends the events up to the clock again */
	int resets = seen.resets;
	assert_int_equal(source_seek(src, T0_MS + moment_s[2] * 1000LL), 0);
	assert_int_equal(seen.resets, resets + 1);
	assert_true(seen.open_at_clock >= 1);
	source_verdict(src, v, sizeof(v));
	assert_non_null(
		strstr(v, no_route ? "No connection" : "Micro-disconnect"));
	/* and to the event itself */
	assert_int_equal(source_seek(src, T0_MS), 0);
	assert_int_equal(source_seek_event(src, 1), 0);
	struct source_status ss;
	source_status(src, &ss);
	assert_int_equal(ss.now_ms, l.ev[0].start_ms);
	assert_int_equal(source_seek_event(src, -1), -ENOENT);

	source_free(src);
	detect_free(l.feed.detect);
	model_free(l.feed.model);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static void test_replay_verdict_is_live(void **state)
{
	replay_verdict_is_live(false);
	(void)state;
}

/* The same with no default route through the burst: live learnt it from
 * the engine, which no sample records; replay from the recorded outage. */
static void test_replay_no_route_is_live(void **state)
{
	replay_verdict_is_live(true);
	(void)state;
}

/* The path probe's rows replayed through the replay source: hops 1..3 of
 * the far target every second, its own hop losing every third probe; at
 * the end the replay's model has the path with the loss placed at hop 3,
 * and the replay's verdict names the hop. */
static void test_replay_path(void **state)
{
	static struct bb_sample s[5 * PROBES];
	char dir[] = "/tmp/bb-test-source.XXXXXX", path[64], err[512];
	char note[256], v[1024];
	size_t n = 0;
	for (int k = 0; k < PROBES; k++) {
		probe(&s[n++], 0, k);
		for (int h = 1; h <= 3; h++) {
			struct bb_sample *p = &s[n++];
			sample_init(p, BB_KIND_PATH);
			snprintf(p->target, sizeof(p->target), "198.18.0.11");
			p->real_ns = (T0_MS + k * 1000LL + 600 + h * 50) * MS;
			p->mono_ns = p->real_ns - T0_MS * MS + 50 * SEC;
			p->seq = (uint32_t)(3 * k + h);
			p->hop = (uint8_t)h;
			if (h == 3 && k % 3 == 0) {
				p->status = BB_STATUS_TIMEOUT;
				continue;
			}
			snprintf(p->hop_addr, sizeof(p->hop_addr),
				 "198.18.%d.1", h);
			p->rtt_ns = h * MS;
			if (h == 3)
				p->flags |= BB_SAMPLE_PATH_END;
		}
	}
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/rec.db", dir);
	struct store *st = store_open(path, STORE_RDWR, err, sizeof(err));
	assert_non_null(st);
	assert_int_equal(store_write_samples(st, s, n), 0);
	store_close(st);

	struct source *src = source_replay_new(path, NULL, note, sizeof(note),
					       err, sizeof(err));
	assert_non_null(src);
	struct source_status ss;
	source_status(src, &ss);
	assert_int_equal(
		source_advance(src, T0_MS + PROBES * 1000LL - ss.now_ms), 0);
	const struct path_view *pv =
		model_path(source_model(src), "", "198.18.0.11");
	assert_non_null(pv);
	assert_int_equal(pv->dest_ttl, 3);
	assert_string_equal(pv->hop[0].addr, "198.18.1.1");
	assert_string_equal(pv->hop[2].addr, "198.18.3.1");
	assert_int_equal(pv->hop[2].sent, PATH_WINDOW);
	assert_int_equal(pv->lossy_hop, 3);
	source_verdict(src, v, sizeof(v));
	print_message("replay verdict: %s\n", v);
	assert_non_null(strstr(v, "Loss to 198.18.0.11 starts at hop 3 "
				  "(198.18.3.1), beyond your home network."));
	source_free(src);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	(void)state;
}

/* A missing file is one clear line naming it. */
static void test_replay_refuses_missing(void **state)
{
	char err[512] = "", note[256];
	struct source *src = source_replay_new("/nonexistent/x.db", NULL, note,
					       sizeof(note), err, sizeof(err));
	assert_null(src);
	assert_non_null(strstr(err, "/nonexistent/x.db"));
	(void)state;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_replay_verdict_is_live),
		cmocka_unit_test(test_replay_no_route_is_live),
		cmocka_unit_test(test_replay_refuses_missing),
		cmocka_unit_test(test_replay_path),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
