// SPDX-License-Identifier: MIT
/*
 * Dashboard frame benchmark, no curses: the full dashboard (header, 20
 * target rows with their window summaries and sparklines, throughput,
 * gauges, an event pane of 40 events, footer) of a model holding an hour
 * of 1 s samples for 20 targets, rendered into a 200 x 60 cell buffer,
 * then the diff term_draw would send.  A new sample per target arrives
 * every frame, so the figures and sparklines move; a companion server adds
 * an udp_echo row, upload/download tests every minute and bufferbloat
 * results (through view_source_sample, as the app does).  Prints "name value
 * unit" lines: median and p99 µs per frame (goal: median <= 2000 µs).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/analysis/model.h"
#include "tui/evlog.h"
#include "tui/view.h"

#define W	200
#define H	60
#define TARGETS 20
#define HISTORY 3600
#define WARMUP	50
#define FRAMES	1000
#define NS	1000000000LL

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * NS + ts.tv_nsec;
}

static int cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static unsigned rnd(void)
{
	static unsigned s = 12345;

	s = s * 1103515245 + 12345;
	return s >> 8;
}

static void add(struct model *m, int t, int64_t i)
{
	struct bb_sample s;

	sample_init(&s, BB_KIND_ICMP);
	snprintf(s.target, sizeof(s.target), "target-%02d.example.net", t);
	s.mono_ns = 1000 * NS + i * NS;
	s.real_ns = 1732000000LL * NS + i * NS;
	s.seq = (uint32_t)i;
	if (rnd() % 100 == 0) {
		s.status = BB_STATUS_TIMEOUT;
	} else {
		s.status = BB_STATUS_OK;
		s.rtt_ns = (10 + t) * 1000000LL + (int64_t)(rnd() % 5000000);
		if (rnd() % 200 == 0)
			s.rtt_ns += 300000000LL;
	}
	model_add(m, &s);
}

/* Companion server samples at second i: echo, and every 60 s the tests. */
static void add_server(struct model *m, struct ui_source *src, int64_t i)
{
	struct bb_sample s;

	sample_init(&s, BB_KIND_UDP_ECHO);
	snprintf(s.target, sizeof(s.target), "lo");
	snprintf(s.server, sizeof(s.server), "lo");
	s.mono_ns = 1000 * NS + i * NS;
	s.real_ns = 1732000000LL * NS + i * NS;
	s.status = BB_STATUS_OK;
	s.rtt_ns = 9000000 + (int64_t)(rnd() % 2000000);
	s.up_delay_ns = s.rtt_ns / 2;
	s.down_delay_ns = s.rtt_ns - s.up_delay_ns;
	s.sync_pct = 97;
	s.clock_offset_ns = 100000;
	model_add(m, &s);
	if (i % 60)
		return;
	for (int k = BB_KIND_UPLOAD; k <= BB_KIND_DOWNLOAD; k++) {
		s.kind = (uint8_t)k;
		s.rtt_ns = s.up_delay_ns = s.down_delay_ns = BB_NONE;
		s.throughput_kbps = (k == BB_KIND_UPLOAD ? 20000 : 100000) +
				    (int64_t)(rnd() % 5000);
		model_add(m, &s);
	}
	static const uint8_t phase[3] = { BB_PHASE_UP, BB_PHASE_DOWN,
					  BB_PHASE_BOTH };
	static const int64_t loaded[3] = { 160000000, 21000000, 250000000 };
	static const int64_t inc[3] = { 150000000, 12000000, 240000000 };
	for (int k = 0; k < 3; k++) {
		s.kind = BB_KIND_BUFFERBLOAT;
		s.throughput_kbps = BB_NONE;
		s.rtt_ns = loaded[k];
		s.load_phase = phase[k];
		s.bloat.increase_ns = inc[k];
		s.bloat.idle_p50_ns = loaded[k] - inc[k];
		model_add(m, &s);
	}
}

int main(void)
{
	struct model *m = model_new(NS);
	struct evlog *ev = evlog_new(64);
	struct cellbuf *cb = cellbuf_new(W, H);
	static int64_t us[FRAMES];
	struct ui ui;
	long cells = 0;
	int64_t i;

	if (!m || !ev || !cb || view_ui_init(&ui) < 0)
		return 1;
	memset(&ui.src, 0, sizeof(ui.src));
	ui.src.has_server = true;
	for (i = 0; i < HISTORY; i++) {
		for (int t = 0; t < TARGETS; t++)
			add(m, t, i);
		add_server(m, &ui.src, i);
	}
	for (int k = 0; k < 40; k++) {
		struct bb_event e = { 0 };

		e.start_ms = 1732000000000LL + k * 60000;
		e.end_ms = k % 5 ? e.start_ms + 30000 : 0;
		e.severity = (uint8_t)(k % 3);
		snprintf(e.kind, sizeof(e.kind), "%s",
			 k % 2 ? "latency_spike" : "packet_loss");
		snprintf(e.target, sizeof(e.target), "target-%02d.example.net",
			 k % TARGETS);
		snprintf(e.description, sizeof(e.description),
			 "RTT 312 ms, 3.1x the baseline, for 7 probes");
		evlog_put(ev, &e);
	}
	ui.src.model = m;
	ui.src.events = ev;
	snprintf(ui.src.verdict, sizeof(ui.src.verdict),
		 "Loss bursts to target-03.example.net: 2 bursts in 60 s.");
	for (int f = 0; f < WARMUP + FRAMES; f++, i++) {
		for (int t = 0; t < TARGETS; t++)
			add(m, t, i);
		add_server(m, &ui.src, i);
		ui.src.now_mono_ns = 1000 * NS + (i + 1) * NS;
		ui.src.now_ms = 1732000000000LL + (i + 1) * 1000;
		ui.src.uptime_s = i;
		ui.sel = f % TARGETS;
		int64_t t0 = now_ns();

		view_render(&ui, cb);
		long n = cellbuf_diff(cb, NULL, NULL);
		int64_t t1 = now_ns();

		if (f >= WARMUP) {
			us[f - WARMUP] = (t1 - t0) / 1000;
			cells += n;
		}
	}
	qsort(us, FRAMES, sizeof(us[0]), cmp64);
	printf("dashboard_200x60_20targets_median %lld us\n",
	       (long long)us[FRAMES / 2]);
	printf("dashboard_200x60_20targets_p99 %lld us\n",
	       (long long)us[FRAMES * 99 / 100]);
	printf("dashboard_changed_cells_mean %ld cells\n", cells / FRAMES);
	view_ui_fini(&ui);
	cellbuf_free(cb);
	evlog_free(ev);
	model_free(m);
	return 0;
}
