// SPDX-License-Identifier: MIT
/* Unit tests for the TUI views (tui/view*.c) and the key table, without a
 * terminal: a model fed with synthetic samples is drawn into 80x24 and
 * 200x60 cell buffers and the rows are read back as text. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "core/analysis/model.h"
#include "core/store/store.h"
#include "tui/evlog.h"
#include "tui/keys.h"
#include "tui/trace.h"
#include "tui/term.h"
#include "tui/view.h"

#include "tests/lib/viewfix.h"

static int64_t fed_until; /* the end of what feed() wrote */

static void feed(struct viewfix *f, const char *iface, const char *target,
		 int n, int64_t rtt, int lost_every, bool last_lost)
{
	for (int i = 0; i < n; i++) {
		struct bb_sample s = viewfix_sample(BB_KIND_ICMP, iface, target,
						    i, 100 * MS);
		bool lost = (lost_every && i % lost_every == 0) ||
			    (last_lost && i == n - 1);
		s.status = lost ? BB_STATUS_TIMEOUT : BB_STATUS_OK;
		s.rtt_ns = lost ? BB_NONE : rtt + (i % 7) * MS / 10;
		model_add(f->m, &s);
	}
	fed_until = T0 + (int64_t)n * 100 * MS;
}

static int setup(void **state)
{
	static struct viewfix f;

	assert_int_equal(viewfix_open(&f, 100 * MS, 64, 80, 24), 0);
	feed(&f, "", "127.0.0.1", 600, 20 * MS, 0, false);
	feed(&f, "", "::1", 600, 30 * MS, 0, true);
	f.ui.src.now_mono_ns = fed_until;
	f.ui.src.now_ms = REAL0_MS + 60000;
	snprintf(f.ui.src.verdict, sizeof(f.ui.src.verdict),
		 "No problems detected in the last hour.");
	*state = &f;
	return 0;
}

static void test_dashboard_80x24(void **state)
{
	struct viewfix *f = *state;
	int y1, y2;

	viewfix_render(f, 80, 24);
	assert_non_null(strstr(viewfix_row(f->cb, 0), "LIVE"));
	assert_non_null(strstr(viewfix_row(f->cb, 1), "No problems"));
	y1 = viewfix_find(f->cb, "127.0.0.1");
	y2 = viewfix_find(f->cb, "::1 ");
	assert_true(y1 > 1 && y2 > y1);
	assert_non_null(strstr(viewfix_row(f->cb, y1), "20."));
	/* the last ::1 probe was lost: "lost" and a loss mark, not a gap */
	assert_non_null(strstr(viewfix_row(f->cb, y2), "lost"));
	assert_non_null(strstr(viewfix_row(f->cb, y2), "×"));
	assert_null(strstr(viewfix_row(f->cb, y1), "×"));
	assert_true(viewfix_find(f->cb, "no server configured") > y2);
	assert_true(viewfix_find(f->cb, "no test yet") > y2);
	assert_true(viewfix_find(f->cb, "Events") > y2);
	assert_true(viewfix_find(f->cb, "No events.") > y2);
	assert_non_null(strstr(viewfix_row(f->cb, 23), "q quit"));
	assert_non_null(strstr(viewfix_row(f->cb, 23), "? more"));
}

/* A long verdict is never cut in the middle of a word: whole words and
 * an ellipsis, also with "N events open" on the right. */
static void test_verdict_words(void **state)
{
	struct viewfix *f = *state;
	char out[600];
	const char *v = "The local link vc1 is at fault, not the line: 12.0 % "
			"loss, 48.2 ms median against 0.0 % and 1.1 ms on vc0. "
			"Upload bufferbloat grade D (+250 ms under load).";

	view_fit_words("short words", 40, false, out, sizeof(out));
	assert_string_equal(out, "short words");
	view_fit_words(v, 30, false, out, sizeof(out));
	assert_string_equal(out, "The local link vc1 is at…");
	view_fit_words(v, 30, true, out, sizeof(out));
	assert_string_equal(out, "The local link vc1 is at...");
	snprintf(f->ui.src.verdict, sizeof(f->ui.src.verdict), "%s", v);
	viewfix_render(f, 80, 24);
	const char *line = viewfix_row(f->cb, 1);
	const char *b = strstr(line, "The local");
	const char *e = strstr(line, "…");
	assert_non_null(b);
	assert_non_null(e);
	/* the ellipsis follows a whole word of the verdict */
	size_t n = (size_t)(e - b);
	assert_true(n > 20 && n < 78);
	assert_true(!strncmp(b, v, n));
	assert_true(v[n] == ' ' || v[n] == ',' || v[n] == '.');
	snprintf(f->ui.src.verdict, sizeof(f->ui.src.verdict),
		 "No problems detected in the last hour.");
}

static void test_dashboard_200x60_ascii(void **state)
{
	struct viewfix *f = *state;
	int y2;

	cellbuf_set_ascii(f->cb, true);
	viewfix_render(f, 200, 60);
	y2 = viewfix_find(f->cb, "::1 ");
	assert_true(y2 > 0);
	assert_non_null(strstr(viewfix_row(f->cb, y2), "!"));
	assert_null(strstr(viewfix_row(f->cb, y2), "×"));
	assert_non_null(strstr(viewfix_row(f->cb, 59), "q quit"));
	for (int y = 0; y < 60; y++)
		for (const char *p = viewfix_row(f->cb, y); *p; p++)
			assert_true((unsigned char)*p < 0x80);
	cellbuf_set_ascii(f->cb, false);
}

static void test_enlarge(void **state)
{
	struct viewfix *f = *state;

	viewfix_render(f, 38, 11);
	assert_true(viewfix_find(f->cb, "too small: 38x11") >= 0);
	assert_true(viewfix_find(f->cb, "enlarge it to at least 40x12") >= 0);
	assert_true(viewfix_find(f->cb, "127.0.0.1") < 0);
}

static void test_help_and_quit(void **state)
{
	struct viewfix *f = *state;
	int r;

	r = keys_dispatch(&f->ui, '?');
	assert_true(r & KEY_REDRAW);
	viewfix_render(f, 80, 24);
	assert_true(viewfix_find(f->cb, "Help: keys") >= 0);
	assert_true(viewfix_find(f->cb, "colour theme") >= 0 ||
		    viewfix_find(f->cb, "theme") >= 0);
	/* q closes help first, then quits */
	r = keys_dispatch(&f->ui, 'q');
	assert_false(r & KEY_QUIT);
	viewfix_render(f, 80, 24);
	assert_true(viewfix_find(f->cb, "Help: keys") < 0);
	r = keys_dispatch(&f->ui, 'q');
	assert_true(r & KEY_QUIT);
}

static void test_drilldown(void **state)
{
	struct viewfix *f = *state;

	f->ui.view = VIEW_DASHBOARD;
	f->ui.sel = 0;
	keys_dispatch(&f->ui, 'j'); /* ::1 */
	keys_dispatch(&f->ui, TERM_KEY_ENTER);
	assert_int_equal(f->ui.view, VIEW_DRILLDOWN);
	viewfix_render(f, 120, 40);
	assert_true(viewfix_find(f->cb, "::1  icmp") >= 0);
	/* a minute of probes: the window that holds them */
	assert_true(viewfix_find(f->cb, "window 1 min") >= 0);
	assert_true(viewfix_find(f->cb, "Window") >= 0);
	assert_true(viewfix_find(f->cb, "10s ") >= 0 &&
		    viewfix_find(f->cb, "1h ") >= 0);
	assert_true(viewfix_find(f->cb, "Loss runs") >= 0);
	assert_true(viewfix_find(f->cb, "One-way delay") >= 0);
	assert_true(viewfix_find(f->cb, "Events of this target") >= 0);
	/* the lost probe is in the loss timeline */
	assert_non_null(strstr(
		viewfix_row(f->cb, viewfix_find(f->cb, "Loss timeline")), "×"));
	keys_dispatch(&f->ui, 'w');
	viewfix_render(f, 120, 40);
	assert_true(viewfix_find(f->cb, "window 10 min") >= 0);
	viewfix_render(f, 80, 24);
	assert_true(viewfix_find(f->cb, "::1  icmp") >= 0);
	keys_dispatch(&f->ui, TERM_KEY_ESC);
	assert_int_equal(f->ui.view, VIEW_DASHBOARD);
}

static void test_events_view(void **state)
{
	struct viewfix *f = *state;
	struct bb_event e = { 0 };

	e.start_ms = REAL0_MS + 1000;
	snprintf(e.kind, sizeof(e.kind), "packet_loss");
	e.severity = BB_SEV_CRITICAL;
	snprintf(e.target, sizeof(e.target), "::1");
	snprintf(e.description, sizeof(e.description),
		 "5 probes lost in a row");
	snprintf(e.metrics, sizeof(e.metrics),
		 "{\"loss_pct\":2.5,\"longest_burst\":5}");
	evlog_put(f->ev, &e);
	e.start_ms = REAL0_MS + 500;
	e.end_ms = REAL0_MS + 2500;
	snprintf(e.kind, sizeof(e.kind), "latency_spike");
	e.severity = BB_SEV_WARNING;
	evlog_put(f->ev, &e);
	assert_int_equal(evlog_count(f->ev), 2);

	f->ui.view = VIEW_DASHBOARD;
	viewfix_render(f, 80, 24);
	int y = viewfix_find(f->cb, "packet_loss");
	assert_true(y > viewfix_find(f->cb, "Events"));
	assert_non_null(strstr(viewfix_row(f->cb, y), "critical"));
	assert_non_null(strstr(viewfix_row(f->cb, y), "●")); /* ongoing */
	assert_true(viewfix_find(f->cb, "latency_spike") >
		    y); /* newest first */

	keys_dispatch(&f->ui, '3');
	viewfix_render(f, 80, 24);
	assert_true(viewfix_find(f->cb, "Events: 2 of 2") >= 0);
	keys_dispatch(&f->ui, '/');
	for (const char *p = "warn"; *p; p++)
		keys_dispatch(&f->ui, *p);
	keys_dispatch(&f->ui, TERM_KEY_ENTER);
	viewfix_render(f, 80, 24);
	assert_true(viewfix_find(f->cb, "Events: 1 of 2") >= 0);
	assert_true(viewfix_find(f->cb, "packet_loss") < 0);
	keys_dispatch(&f->ui, TERM_KEY_ESC); /* back: clears nothing yet */
	f->ui.filter[0] = 0;
	f->ui.view = VIEW_EVENTS;
	f->ui.ev_sel = 0;
	keys_dispatch(&f->ui, TERM_KEY_ENTER);
	viewfix_render(f, 80, 24);
	assert_true(viewfix_find(f->cb, "Figures") >= 0);
	assert_true(viewfix_find(f->cb, "loss_pct: 2.5") >= 0);
	assert_true(viewfix_find(f->cb, "longest_burst: 5") >= 0);
	keys_dispatch(&f->ui, TERM_KEY_ESC);
	keys_dispatch(&f->ui, TERM_KEY_ESC);
	assert_int_equal(f->ui.view, VIEW_DASHBOARD);
	/* c clears ended events from the pane, the ongoing one stays */
	keys_dispatch(&f->ui, 'c');
	viewfix_render(f, 80, 24);
	assert_true(viewfix_find(f->cb, "packet_loss") >= 0);
	assert_true(viewfix_find(f->cb, "latency_spike") < 0);
	f->ui.cleared_ms = 0;
}

static void test_filter_rows(void **state)
{
	struct viewfix *f = *state;

	f->ui.view = VIEW_DASHBOARD;
	keys_dispatch(&f->ui, '/');
	keys_dispatch(&f->ui, ':');
	viewfix_render(f, 80, 24);
	assert_true(viewfix_find(f->cb, "Filter: :") >= 0);
	keys_dispatch(&f->ui, TERM_KEY_ENTER);
	viewfix_render(f, 80, 24);
	assert_true(viewfix_find(f->cb, "::1 ") >= 0);
	assert_true(viewfix_find(f->cb, "127.0.0.1") < 0);
	keys_dispatch(&f->ui, TERM_KEY_ESC);
	viewfix_render(f, 80, 24);
	assert_true(viewfix_find(f->cb, "127.0.0.1") >= 0);
}

static void test_interfaces(void **state)
{
	struct viewfix *f = *state;
	struct model *m = model_new(100 * MS), *keep = f->m;

	f->m = m;
	feed(f, "eth0", "192.0.2.1", 600, 10 * MS, 0, false);
	feed(f, "wlan0", "192.0.2.1", 600, 60 * MS, 10, false);
	f->ui.src.model = m;
	f->ui.src.now_mono_ns = fed_until;
	keys_dispatch(&f->ui, '4');
	viewfix_render(f, 120, 40);
	assert_true(viewfix_find(f->cb, "eth0") >= 0);
	assert_true(viewfix_find(f->cb, "wlan0") >= 0);
	assert_true(viewfix_find(f->cb, "wlan0 is clearly worse than eth0") >=
		    0);
	/* the dashboard shows the interface column now */
	keys_dispatch(&f->ui, '1');
	viewfix_render(f, 80, 24);
	assert_true(viewfix_find(f->cb, "Iface") >= 0);
	assert_true(viewfix_find(f->cb, "wlan0") >= 0);
	model_free(m);
	f->m = keep;
	f->ui.src.model = keep;
}

static void test_replay_frame(void **state)
{
	struct viewfix *f = *state;
	double loss[4] = { 0, 5, 0, 0 };
	int64_t rtt[4] = { 1000, 2000, 1000, 1000 };

	f->ui.src.replay = true;
	f->ui.src.first_ms = REAL0_MS;
	f->ui.src.last_ms = REAL0_MS + 120000;
	f->ui.src.speed = 60;
	f->ui.src.ov_loss = loss;
	f->ui.src.ov_rtt = rtt;
	f->ui.src.ov_n = 4;
	viewfix_render(f, 80, 24);
	assert_non_null(strstr(viewfix_row(f->cb, 0), "REPLAY"));
	assert_non_null(strstr(viewfix_row(f->cb, 0), "60×"));
	assert_non_null(strstr(viewfix_row(f->cb, 2), "┃"));
	assert_non_null(strstr(viewfix_row(f->cb, 23), "space play/pause"));
	assert_int_equal(keys_dispatch(&f->ui, ']') & KEY_HANDLED, KEY_HANDLED);
	assert_int_equal(f->ui.request, UI_REQ_EVENT);
	assert_int_equal(f->ui.request_arg, 1);
	keys_dispatch(&f->ui, TERM_KEY_LEFT);
	assert_int_equal(f->ui.request, UI_REQ_STEP);
	assert_int_equal(f->ui.request_arg, -1);
	f->ui.src.replay = false;
	/* replay keys mean nothing live */
	assert_int_equal(keys_dispatch(&f->ui, ']'), 0);
}

/* The replay timeline: 600 slices (each the loss of its stretch, as
 * playback_overview gives it) in three stretches; in the first, the
 * 0.3 % of a normal week with every 10th slice at 1.5 % (yellow); the
 * second lost 20 % throughout (red); in the third only every 10th slice
 * has data (a cell mostly without data is a gap, ┈, not green). */
static void test_timeline_colours(void **state)
{
	struct viewfix *f = *state;
	enum { N = 600 };
	static double loss[N];
	static int64_t rtt[N];
	int x0 = -1, x1 = -1;

	for (int k = 0; k < N; k++) {
		rtt[k] = 1000;
		if (k < N / 3)
			loss[k] = k % 10 ? 0.3 : 1.5;
		else if (k < 2 * N / 3)
			loss[k] = 20.0;
		else
			loss[k] = k % 10 ? NAN : 0.0;
	}
	f->ui.src.replay = true;
	f->ui.src.first_ms = REAL0_MS;
	f->ui.src.last_ms = REAL0_MS + 3 * 3600000;
	f->ui.src.now_ms = REAL0_MS;
	f->ui.src.speed = 60;
	f->ui.src.ov_loss = loss;
	f->ui.src.ov_rtt = rtt;
	f->ui.src.ov_n = N;
	viewfix_render(f, 80, 24);
	for (int x = 0; x < 80; x++) {
		uint32_t ch = cellbuf_at(f->cb, x, 2)->ch;

		if (ch == 0x2580 || ch == 0x2508 || ch == 0x2503) {
			if (x0 < 0)
				x0 = x;
			x1 = x + 1;
		}
	}
	assert_true(x0 > 0 && x1 - x0 > 30);
	for (int x = x0 + 1; x < x1; x++) {
		const struct cellbuf_cell *c = cellbuf_at(f->cb, x, 2);
		double at = (x - x0 + 0.5) / (x1 - x0); /* of the bar */
		int third = (int)(at * 3);

		if (fabs(at * 3 - round(at * 3)) < 0.05)
			continue; /* a cell over two stretches */
		if (third == 0 && (c->ch != 0x2580 || c->role != ROLE_WARN))
			fail_msg("x %d (0.3-1.5 %%): U+%04X role %d\n%s", x,
				 c->ch, c->role, viewfix_row(f->cb, 2));
		if (third == 1 && (c->ch != 0x2580 || c->role != ROLE_BAD))
			fail_msg("x %d (20 %%): U+%04X role %d", x, c->ch,
				 c->role);
		if (third == 2 && (c->ch != 0x2508 || c->role != ROLE_DIM))
			fail_msg("x %d (mostly no data): U+%04X role %d\n%s", x,
				 c->ch, c->role, viewfix_row(f->cb, 2));
	}
	f->ui.src.replay = false;
	f->ui.src.ov_n = 0;
	f->ui.src.now_ms = REAL0_MS + 60000;
}

/* A sample of kind k from the companion server "lo" at probe i. */
static struct bb_sample srv_sample(struct viewfix *f, int k, int i)
{
	struct bb_sample s;

	sample_init(&s, (enum bb_probe_kind)k);
	snprintf(s.target, sizeof(s.target), "lo");
	snprintf(s.server, sizeof(s.server), "lo");
	s.mono_ns = fed_until - (int64_t)(600 - i) * 100 * MS;
	s.real_ns = (REAL0_MS + 60000) * MS - (int64_t)(600 - i) * 100 * MS;
	s.seq = (uint32_t)i;
	s.status = BB_STATUS_OK;
	return s;
}

static void test_server_figures(void **state)
{
	struct viewfix *f = *state;
	struct bb_sample s;

	f->ui.view = VIEW_DASHBOARD;
	f->ui.src.has_server = true;
	for (int i = 0; i < 600; i++) {
		s = srv_sample(f, BB_KIND_UDP_ECHO, i);
		if (i % 100 == 50) {
			s.status = BB_STATUS_TIMEOUT;
			s.loss_dir = i % 200 == 50 ? BB_LOSS_UP : BB_LOSS_DOWN;
		} else {
			s.rtt_ns = 40000; /* 0.04 ms, loopback */
			s.up_delay_ns = 22000;
			s.down_delay_ns = 18000;
			s.sync_pct = 97;
			s.clock_offset_ns = 1000;
		}
		model_add(f->m, &s);
	}
	for (int i = 100; i < 600; i += 100) {
		s = srv_sample(f, BB_KIND_UPLOAD, i);
		s.throughput_kbps = 18000 + i;
		model_add(f->m, &s);
		s = srv_sample(f, BB_KIND_DOWNLOAD, i);
		s.throughput_kbps = 95000 + i;
		model_add(f->m, &s);
	}
	/* the typed figures of one test's three phases; the detail holds
	 * words only, so a figure read from it would be wrong */
	static const uint8_t phase[3] = { BB_PHASE_UP, BB_PHASE_DOWN,
					  BB_PHASE_BOTH };
	static const int64_t loaded[3] = { 303 * MS, 33 * MS, 308 * MS };
	static const int64_t idle[3] = { 13 * MS, 25 * MS, 8 * MS };
	static const int32_t rpm[3] = { 198, 1818, 195 };
	for (int k = 0; k < 3; k++) {
		s = srv_sample(f, BB_KIND_BUFFERBLOAT, 300);
		s.rtt_ns = loaded[k];
		s.load_phase = phase[k];
		s.bloat.idle_p50_ns = idle[k];
		s.bloat.increase_ns = loaded[k] - idle[k];
		s.bloat.rpm = rpm[k];
		snprintf(s.detail, sizeof(s.detail), "up A +1ms rpm=1");
		model_add(f->m, &s);
	}
	const struct model_server *sv = model_server_find(f->m, "lo");
	assert_non_null(sv);
	assert_true(sv->bloat[MODEL_BLOAT_UP].ok &&
		    sv->bloat[MODEL_BLOAT_DOWN].ok);
	assert_int_equal(sv->bloat[MODEL_BLOAT_UP].idle_ns, 13 * MS);
	assert_int_equal(sv->bloat[MODEL_BLOAT_DOWN].idle_ns, 25 * MS);
	assert_string_equal(sv->bloat[MODEL_BLOAT_UP].grade, "D");
	assert_string_equal(sv->bloat[MODEL_BLOAT_DOWN].grade, "A");
	assert_int_equal(sv->bloat[MODEL_BLOAT_BOTH].rpm, 195);
	assert_int_equal(sv->lost_up, 3);
	assert_int_equal(sv->lost_down, 3);
	assert_ptr_equal(view_bloat(&f->ui, MODEL_BLOAT_UP),
			 &sv->bloat[MODEL_BLOAT_UP]);

	viewfix_render(f, 120, 40);
	viewfix_dump(f->cb);
	int y = viewfix_find(f->cb, "lo ");
	assert_true(y > 0);
	assert_non_null(strstr(viewfix_row(f->cb, y), "udp_echo"));
	assert_non_null(strstr(viewfix_row(f->cb, y), "0.04"));
	assert_true(viewfix_find(f->cb, "one-way ↑0.02 ↓0.02 ms") >= 0 ||
		    viewfix_find(f->cb, "one-way ↑0.022 ↓0.018 ms") >= 0);
	assert_true(viewfix_find(f->cb, "echo lost ↑3 ↓3") >= 0);
	y = viewfix_find(f->cb, " Throughput Up");
	assert_true(y > 0);
	assert_non_null(strstr(viewfix_row(f->cb, y), "18.5 Mb/s"));
	assert_non_null(strstr(viewfix_row(f->cb, y), "95.5 Mb/s"));
	y = viewfix_find(f->cb, "Upload");
	assert_true(y > 0);
	assert_non_null(strstr(viewfix_row(f->cb, y), " D "));
	assert_non_null(strstr(viewfix_row(f->cb, y), "idle 13"));
	assert_non_null(strstr(viewfix_row(f->cb, y), " A "));
	assert_null(strstr(viewfix_row(f->cb, y), "no test yet"));
	viewfix_render(f, 80, 24);
	viewfix_dump(f->cb);
	y = viewfix_find(f->cb, "Upload");
	assert_true(y > 0);
	assert_non_null(strstr(viewfix_row(f->cb, y), " D "));
	assert_non_null(strstr(viewfix_row(f->cb, y), "Download"));
	/* at 40 columns the two throughput halves stay apart (they ran
	 * together as "18.5 Mb/sDown") */
	viewfix_render(f, 40, 12);
	viewfix_dump(f->cb);
	y = viewfix_find(f->cb, "Throughput Up");
	assert_true(y > 0);
	const char *dn = strstr(viewfix_row(f->cb, y), "Down");
	assert_non_null(dn);
	assert_true(dn[-1] == ' ');

	/* only the "both" phase known: its gauge, no "no test yet" */
	struct model *only_both = model_new(100 * MS), *full = f->m;
	s = srv_sample(f, BB_KIND_BUFFERBLOAT, 300);
	s.rtt_ns = loaded[2];
	s.load_phase = BB_PHASE_BOTH;
	s.bloat.idle_p50_ns = idle[2];
	s.bloat.increase_ns = loaded[2] - idle[2];
	model_add(only_both, &s);
	f->ui.src.model = only_both;
	viewfix_render(f, 120, 40);
	viewfix_dump(f->cb);
	y = viewfix_find(f->cb, "Both ways");
	assert_true(y > 0);
	assert_non_null(strstr(viewfix_row(f->cb, y), " D "));
	assert_true(viewfix_find(f->cb, "no test yet") < 0);
	/* loopback figures: two decimals, RPM capped */
	s = srv_sample(f, BB_KIND_BUFFERBLOAT, 400);
	s.rtt_ns = 60000;
	s.load_phase = BB_PHASE_UP;
	s.bloat.idle_p50_ns = 40000;
	s.bloat.increase_ns = 20000;
	model_add(only_both, &s);
	viewfix_render(f, 200, 50);
	y = viewfix_find(f->cb, "Upload");
	assert_true(y > 0);
	assert_non_null(strstr(viewfix_row(f->cb, y), "idle 0.04 → 0.06 ms"));
	assert_non_null(strstr(viewfix_row(f->cb, y), "RPM >99999"));
	f->ui.src.model = full;
	model_free(only_both);

	/* drilldown of the echo row: one-way delay and losses by direction,
	 * 0.04 ms on a 0.1 ms scale */
	f->ui.view = VIEW_DASHBOARD;
	f->ui.filter[0] = 0;
	size_t idx[MODEL_MAX_SERIES],
		n = view_rows(&f->ui, idx, MODEL_MAX_SERIES);
	f->ui.sel = (int)n - 1;
	keys_dispatch(&f->ui, TERM_KEY_ENTER);
	assert_int_equal(f->ui.view, VIEW_DRILLDOWN);
	f->ui.span = SPAN_1M;
	viewfix_render(f, 120, 40);
	viewfix_dump(f->cb);
	assert_true(viewfix_find(f->cb, "lo  udp_echo") >= 0);
	y = viewfix_find(f->cb, "One-way delay");
	assert_true(y > 0);
	assert_non_null(strstr(viewfix_row(f->cb, y), "clock sync 97%"));
	assert_non_null(strstr(viewfix_row(f->cb, y), "lost up 3, down 3"));
	assert_true(viewfix_find(f->cb, "0.10 ┤") >= 0);
	assert_true(viewfix_find(f->cb, "1.0 ┤") < 0);
	/* 60 s of probes in the 10 min window: the right tenth of the plot,
	 * the rest blank (no data), not stretched over the width */
	keys_dispatch(&f->ui, 'w');
	assert_int_equal(f->ui.span, SPAN_10M);
	viewfix_render(f, 120, 40);
	viewfix_dump(f->cb);
	int py = viewfix_find(f->cb, "0.04 ┤");
	assert_true(py > 0);
	int dots_left = 0, dots_right = 0;
	for (int x = 7; x < 118; x++) {
		uint32_t ch = cellbuf_at(f->cb, x, py)->ch;
		if (ch > 0x2800 && ch <= 0x28ff)
			*(x < 100 ? &dots_left : &dots_right) += 1;
	}
	assert_int_equal(dots_left, 0);
	assert_true(dots_right >= 8);
	/* b: the app runs the test (request), or a note without a server */
	f->ui.request = UI_REQ_NONE;
	assert_true(keys_dispatch(&f->ui, 'b') & KEY_HANDLED);
	assert_int_equal(f->ui.request, UI_REQ_BLOAT);
	f->ui.src.has_server = false;
	f->ui.request = UI_REQ_NONE;
	keys_dispatch(&f->ui, 'b');
	assert_int_equal(f->ui.request, UI_REQ_NONE);
	assert_non_null(strstr(f->ui.note, "needs a companion server"));
	keys_dispatch(&f->ui, TERM_KEY_ESC);
}

/* The 24 h window's minutes from rollup rows: the worst value in ns, a
 * minute with any lost probe stays lost, rows of other minutes (before the
 * window, past its end, empty) change nothing. */
static void test_history_minutes(void **state)
{
	static struct ui_history h;
	struct model *m = model_new(1000000000LL);
	struct bb_sample s;

	sample_init(&s, BB_KIND_ICMP);
	snprintf(s.target, sizeof(s.target), "198.18.0.9");
	s.real_ns = s.mono_ns = 1000000000LL;
	s.rtt_ns = 5000000;
	const struct model_series *ms = model_add(m, &s);
	const int64_t from = 1764000000000LL; /* minute-aligned */

	view_history_reset(&h, ms, from + 59999);
	assert_true(view_history_of(&h, ms) && !h.valid);
	assert_true(h.from_ms == from);
	struct store_agg r = { .bucket_ms = from + 60000,
			       .count = 60,
			       .max = 12.5 };
	view_history_add(&h, &r);
	r.max = 9.0; /* a second row of the same minute: the worst stays */
	view_history_add(&h, &r);
	assert_true(h.minute[1] == 12500000);
	assert_true(h.minute_sent[1] == 120 && h.minute_lost[1] == 0);
	/* a minute with a loss keeps its worst value and counts the loss
	 * (one lost probe must not hide the minute's delay) */
	r.bucket_ms = from + 2 * 60000;
	r.lost = 1;
	view_history_add(&h, &r);
	r.lost = 0;
	r.max = 99.0;
	view_history_add(&h, &r);
	assert_true(h.minute[2] == 99000000);
	assert_true(h.minute_sent[2] == 120 && h.minute_lost[2] == 1);
	/* a minute in which nothing answered is lost */
	r.bucket_ms = from + 4 * 60000;
	r.lost = 60;
	r.max = NAN;
	view_history_add(&h, &r);
	assert_true(h.minute[4] == TRACE_LOST);
	assert_true(h.minute_sent[4] == 60 && h.minute_lost[4] == 60);
	r.lost = 0;
	r.max = 9.0;
	r.bucket_ms = from - 60000; /* before, after, empty: ignored */
	view_history_add(&h, &r);
	r.bucket_ms = from + UI_HIST_MINUTES * 60000LL;
	view_history_add(&h, &r);
	r.bucket_ms = from + 3 * 60000;
	r.count = 0;
	view_history_add(&h, &r);
	assert_true(h.minute[0] == TRACE_NODATA &&
		    h.minute[3] == TRACE_NODATA &&
		    h.minute[UI_HIST_MINUTES - 1] == TRACE_NODATA);
	/* another series is not this history */
	snprintf(s.target, sizeof(s.target), "198.18.0.10");
	assert_false(view_history_of(&h, model_add(m, &s)));
	model_free(m);
	(void)state;
}

/* The 'b' test's countdown (tui/app.c bloat_note): the time left never
 * reads more than the total, right after 'b' or at any fraction. */
static void test_countdown(void **state)
{
	static const int64_t totals[] = { 13400 * MS, 13000 * MS, 999 * MS,
					  20 * 1000 * MS + 1 };
	char t[32];
	long long l, tot;

	(void)state;
	view_fmt_countdown(t, sizeof(t), 13400 * MS - 1000, 13400 * MS);
	assert_string_equal(t, "14 s left of ~14 s");
	for (size_t i = 0; i < sizeof(totals) / sizeof(totals[0]); i++)
		for (int64_t left = totals[i]; left > 0; left -= 7 * MS) {
			view_fmt_countdown(t, sizeof(t), left, totals[i]);
			assert_int_equal(
				sscanf(t, "%lld s left of ~%lld s", &l, &tot),
				2);
			if (l > tot || l < 1)
				fail_msg("'%s' (%lld ns of %lld)", t,
					 (long long)left, (long long)totals[i]);
		}
	/* the wall clock stepped back: held at the total */
	view_fmt_countdown(t, sizeof(t), 15000 * MS, 13400 * MS);
	assert_string_equal(t, "14 s left of ~14 s");
}

/* The events list: the description starts in the same column whatever
 * the kind, the catalog's longest (time_sync_established,
 * connection_instability) included, whole from 100 columns, cut with "…"
 * at 80; a kind longer still (a recording from another version) is cut. */
static void test_event_kind_column(void **state)
{
	struct viewfix *f = *state;
	static const char *const kinds[] = {
		"packet_loss",
		"time_sync_established",
		"connection_instability",
		"gateway_change",
		"a_kind_from_a_later_version_x",
	};
	const int nk = sizeof(kinds) / sizeof(kinds[0]);
	int col = -1;

	for (int i = 0; i < nk; i++) {
		struct bb_event e = { 0 };

		e.start_ms = REAL0_MS + 10000 + i;
		e.end_ms = e.start_ms + 1000;
		e.severity = BB_SEV_INFO;
		snprintf(e.kind, sizeof(e.kind), "%s", kinds[i]);
		snprintf(e.description, sizeof(e.description), "DESC-%d", i);
		evlog_put(f->ev, &e);
	}
	/* at 80 columns and wider */
	for (int w = 80; w <= 160; w += 80) {
		f->ui.view = VIEW_EVENTS;
		f->ui.filter[0] = 0;
		viewfix_render(f, w, 24);
		col = -1;
		for (int i = 0; i < nk; i++) {
			char d[24];
			int y, c;
			const char *row, *p;

			snprintf(d, sizeof(d), "DESC-%d", i);
			y = viewfix_find(f->cb, d);
			if (y < 0)
				fail_msg("%d columns: no row with %s", w, d);
			row = viewfix_row(f->cb, y);
			p = strstr(row, d);
			char pre[512];

			snprintf(pre, sizeof(pre), "%.*s", (int)(p - row), row);
			c = cellbuf_utf8_width(pre);
			if (col < 0)
				col = c;
			if (c != col)
				fail_msg("%d columns: %s starts at %d, not %d:"
					 "\n%s",
					 w, d, c, col, row);
			/* whole when wide; at 80 the longest cut with "…" */
			if (i < nk - 1 && w > 80)
				assert_non_null(strstr(row, kinds[i]));
			else if (!strstr(row, kinds[i])) {
				char cut[32];

				snprintf(cut, sizeof(cut), "%.17s", kinds[i]);
				assert_non_null(strstr(row, cut));
				assert_non_null(strstr(strstr(row, cut), "…"));
			}
		}
		/* the one past the catalog's longest: cut, not dropped */
		assert_true(viewfix_find(f->cb, "a_kind_from_a_lat") >= 0);
		assert_true(viewfix_find(f->cb,
					 "a_kind_from_a_later_version_x") < 0);
	}
	f->ui.view = VIEW_DASHBOARD;
}

/* Words seen whole: the tokens of a wide screen and of the texts fed. */
#define DICT_MAX 1024
static char dict[DICT_MAX][64];
static int ndict;

static void dict_add_words(const char *s)
{
	char buf[1024], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", s);
	for (char *t = strtok_r(buf, " ", &save); t && ndict < DICT_MAX;
	     t = strtok_r(NULL, " ", &save))
		snprintf(dict[ndict++], sizeof(dict[0]), "%s", t);
}

static bool has_alnum(const char *t)
{
	for (; *t; t++)
		if ((*t >= '0' && *t <= '9') || (*t >= 'a' && *t <= 'z') ||
		    (*t >= 'A' && *t <= 'Z'))
			return true;
	return false;
}

/* No row of the w x h screen holds a word cut inside without "…": a
 * token that is not a whole word but the start of one ("windo",
 * "throug", "2026-1"). */
static void assert_no_cut_words(struct viewfix *f, int w, int h)
{
	viewfix_render(f, w, h);
	for (int y = 0; y < h; y++) {
		char row[1024], *save = NULL;

		snprintf(row, sizeof(row), "%s", viewfix_row(f->cb, y));
		for (char *t = strtok_r(row, " ", &save); t;
		     t = strtok_r(NULL, " ", &save)) {
			size_t n = strlen(t);
			bool whole = false, start = false;

			if (n >= 3 && !strcmp(t + n - 3, "…"))
				continue; /* cut, and says so */
			if (!has_alnum(t))
				continue;
			for (int i = 0; i < ndict && !whole; i++) {
				whole = !strcmp(dict[i], t);
				start |= !strncmp(dict[i], t, n);
			}
			if (!whole && start) {
				viewfix_dump(f->cb);
				fail_msg("%dx%d row %d: '%s' cut inside a "
					 "word:\n%s",
					 w, h, y, t, viewfix_row(f->cb, y));
			}
		}
	}
}

/* A week's replay in f: three events on the days up to the clock's
 * (the newest), a long verdict, a companion server. */
static const char *const week_kinds[] = { "packet_loss", "bufferbloat",
					  "micro_disconnect" };

static void replay_week(struct viewfix *f)
{
	static const char *const texts[] = {
		"Loss bursts on eth0: 21 s with every probe lost.",
		"Upload bufferbloat: the RTT rose by 250 ms under load.",
		"Micro-disconnect on eth0: 3 s without any reply.",
	};
	static double loss[8];
	static int64_t rtt[8];

	for (int i = 0; i < 3; i++) {
		struct bb_event e = { 0 };

		e.start_ms = REAL0_MS + (int64_t)(i + 1) * 86400000 - 3600000;
		e.end_ms = e.start_ms + 21000;
		e.severity = BB_SEV_WARNING;
		snprintf(e.kind, sizeof(e.kind), "%s", week_kinds[i]);
		snprintf(e.interface, sizeof(e.interface), "eth0");
		snprintf(e.description, sizeof(e.description), "%s", texts[i]);
		evlog_put(f->ev, &e);
		dict_add_words(texts[i]);
	}
	f->ui.src.replay = true;
	f->ui.src.now_ms = REAL0_MS + 3 * 86400000LL;
	f->ui.src.first_ms = REAL0_MS - 4 * 86400000LL;
	f->ui.src.last_ms = REAL0_MS + 3 * 86400000LL + 3600000;
	f->ui.src.speed = 1800;
	f->ui.src.speed_auto = true;
	f->ui.src.has_server = true;
	f->ui.src.ov_loss = loss;
	f->ui.src.ov_rtt = rtt;
	f->ui.src.ov_n = 8;
	snprintf(f->ui.src.verdict, sizeof(f->ui.src.verdict),
		 "The local link eth0 is at fault, not the line: 5.4 %% "
		 "loss against 0.0 %% on wlan0.");
	dict_add_words(f->ui.src.verdict);
}

/* Dashboard and events view of f at 80x24 and 40x12. */
static void check_no_cut_words(struct viewfix *f, bool table)
{
	for (int v = 0; v < 2; v++) {
		f->ui.view = v ? VIEW_EVENTS : VIEW_DASHBOARD;
		/* every word whole, on a screen wide enough */
		viewfix_render(f, 240, 60);
		for (int y = 0; y < 60; y++)
			dict_add_words(viewfix_row(f->cb, y));
		assert_no_cut_words(f, 80, 24);
		if (!v && table) { /* titles lose words, not letters */
			int y = viewfix_find(f->cb, "Target ");

			assert_true(y > 0);
			assert_null(strstr(viewfix_row(f->cb, y), "…"));
			assert_non_null(
				strstr(viewfix_row(f->cb, y), "Recent"));
		}
		assert_no_cut_words(f, 40, 12);
	}
	/* 40 columns: each event row still names its kind */
	for (int i = 0; i < 3; i++)
		if (viewfix_find(f->cb, week_kinds[i]) < 0) {
			viewfix_dump(f->cb);
			fail_msg("40x12 events: no row with %s", week_kinds[i]);
		}
}

/* A week's replay at 80x24 and 40x12, dashboard and events view: column
 * titles lose whole words ("Recent", not "Recent pr…"), the header line
 * whole fields (not "2026-1"), free text is cut between words with "…"
 * ("waiting for the first…", not "...throug"), and an event row keeps its
 * kind at 40 columns.  With the shared fixture's figures, and without
 * any (the throughput line's words). */
static void test_no_cut_words(void **state)
{
	struct viewfix *f = *state, g;

	replay_week(f);
	check_no_cut_words(f, true);
	f->ui.view = VIEW_DASHBOARD;
	f->ui.src.replay = false;
	f->ui.src.now_ms = REAL0_MS + 60000;
	f->ui.src.ov_n = 0;
	f->ui.src.has_server = false;
	snprintf(f->ui.src.verdict, sizeof(f->ui.src.verdict),
		 "No problems detected in the last hour.");

	assert_int_equal(viewfix_open(&g, 100 * MS, 16, 80, 24), 0);
	replay_week(&g);
	check_no_cut_words(&g, false);
	viewfix_close(&g);
}

/* ms in local time as the views write it: "MM-DD HH:MM" when dated, else
 * "HH:MM:SS" */
static const char *local(int64_t ms, bool dated)
{
	static char out[4][32];
	static int k;
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	k = (k + 1) % 4;
	localtime_r(&t, &tm);
	if (dated)
		strftime(out[k], sizeof(out[k]), "%m-%d %H:%M", &tm);
	else
		strftime(out[k], sizeof(out[k]), "%H:%M:%S", &tm);
	return out[k];
}

/* A week's events read "20:30:10" five times, from different days: when
 * the events listed are not all from the clock's day, each shows its date
 * (12-01 20:30) in the dashboard's pane and the events view; from the
 * clock's day only, the time to the second.  The replay timeline's ends
 * likewise, when the recording spans days. */
static void test_event_dates(void **state)
{
	struct viewfix g;
	const int64_t day = 86400000LL;
	int64_t now = REAL0_MS + 3 * day, at[3];

	(void)state;
	assert_int_equal(viewfix_open(&g, 100 * MS, 16, 80, 24), 0);
	for (int i = 0; i < 3; i++) {
		struct bb_event e = { 0 };

		/* the same time of day on three days */
		at[i] = now - (int64_t)(2 - i) * day - 3600000;
		e.start_ms = at[i];
		e.end_ms = at[i] + 1000;
		e.severity = BB_SEV_WARNING;
		snprintf(e.kind, sizeof(e.kind), "bufferbloat");
		snprintf(e.description, sizeof(e.description), "Day %d.", i);
		evlog_put(g.ev, &e);
	}
	g.ui.src.now_ms = now;
	g.ui.src.replay = true;
	g.ui.src.first_ms = now - 7 * day;
	g.ui.src.last_ms = now - 1000;
	g.ui.src.speed = 3600;
	for (int v = 0; v < 2; v++) {
		g.ui.view = v ? VIEW_EVENTS : VIEW_DASHBOARD;
		viewfix_render(&g, 80, 24);
		for (int i = 0; i < 3; i++) {
			char want[64];
			int y;

			snprintf(want, sizeof(want), "Day %d.", i);
			y = viewfix_find(g.cb, want);
			assert_true(y > 0);
			if (!strstr(viewfix_row(g.cb, y), local(at[i], true))) {
				viewfix_dump(g.cb);
				fail_msg("%s: no date %s:\n%s",
					 v ? "events view" : "dashboard",
					 local(at[i], true),
					 viewfix_row(g.cb, y));
			}
		}
	}
	/* the timeline's ends a week apart: dated */
	assert_non_null(
		strstr(viewfix_row(g.cb, 2), local(g.ui.src.first_ms, true)));
	assert_non_null(
		strstr(viewfix_row(g.cb, 2), local(g.ui.src.last_ms, true)));

	/* only the newest listed (the pane hides events ended before 'c'),
	 * from the clock's day: the time to the second, and a recording of
	 * that day has undated ends (when now - 1 h is the same day in the
	 * test's time zone) */
	g.ui.cleared_ms = at[2] - 1;
	g.ui.view = VIEW_DASHBOARD;
	g.ui.src.first_ms = at[2] - 60000;
	viewfix_render(&g, 80, 24);
	if (!strncmp(local(at[2] - 60000, true), local(now, true), 5)) {
		int y = viewfix_find(g.cb, "Day 2.");

		assert_true(y > 0);
		assert_non_null(
			strstr(viewfix_row(g.cb, y), local(at[2], false)));
		assert_true(viewfix_find(g.cb, "Day 1.") < 0);
		assert_non_null(strstr(viewfix_row(g.cb, 2),
				       local(g.ui.src.first_ms, false)));
	}
	viewfix_close(&g);
}

/* An event of a moment (a test's result, a change: start == end) has no
 * length: "-" in the pane and the list, "at T" in its detail, never
 * "0s"; an event with a length keeps it. */
static void test_instant_events(void **state)
{
	struct viewfix g;
	int64_t now = REAL0_MS + 3600000;

	(void)state;
	assert_int_equal(viewfix_open(&g, 100 * MS, 16, 80, 24), 0);
	struct bb_event e = { 0 };
	e.start_ms = e.end_ms = now - 60000;
	e.severity = BB_SEV_INFO;
	snprintf(e.kind, sizeof(e.kind), "time_sync_established");
	snprintf(e.description, sizeof(e.description), "Clock sync.");
	evlog_put(g.ev, &e);
	e.end_ms = e.start_ms + 12000;
	e.severity = BB_SEV_WARNING;
	snprintf(e.kind, sizeof(e.kind), "packet_loss");
	snprintf(e.description, sizeof(e.description), "Loss bursts.");
	evlog_put(g.ev, &e);
	g.ui.src.now_ms = now;
	for (int v = 0; v < 2; v++) {
		g.ui.view = v ? VIEW_EVENTS : VIEW_DASHBOARD;
		viewfix_render(&g, 80, 24);
		int y = viewfix_find(g.cb, "Clock sync.");
		assert_true(y > 0);
		const char *row = viewfix_row(g.cb, y);
		if (strstr(row, "0s") || !strstr(row, " - ")) {
			viewfix_dump(g.cb);
			fail_msg("an instant event's row: %s", row);
		}
		y = viewfix_find(g.cb, "Loss bursts.");
		assert_true(y > 0);
		assert_non_null(strstr(viewfix_row(g.cb, y), "12s"));
	}
	/* its detail: "at T", no "to" and no length */
	g.ui.ev_sel = viewfix_find(g.cb, "Clock sync.") <
				      viewfix_find(g.cb, "Loss bursts.")
			      ? 0
			      : 1;
	keys_dispatch(&g.ui, TERM_KEY_ENTER);
	viewfix_render(&g, 80, 24);
	assert_true(viewfix_find(g.cb, "time_sync_established") >= 0);
	int y = viewfix_find(g.cb, " at ");
	if (y < 0 || viewfix_find(g.cb, "  to  ") >= 0) {
		viewfix_dump(g.cb);
		fail_msg("an instant event's detail has a span");
	}
	viewfix_close(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dashboard_80x24),
		cmocka_unit_test(test_verdict_words),
		cmocka_unit_test(test_dashboard_200x60_ascii),
		cmocka_unit_test(test_enlarge),
		cmocka_unit_test(test_help_and_quit),
		cmocka_unit_test(test_drilldown),
		cmocka_unit_test(test_events_view),
		cmocka_unit_test(test_filter_rows),
		cmocka_unit_test(test_interfaces),
		cmocka_unit_test(test_replay_frame),
		cmocka_unit_test(test_timeline_colours),
		cmocka_unit_test(test_server_figures),
		cmocka_unit_test(test_history_minutes),
		cmocka_unit_test(test_countdown),
		cmocka_unit_test(test_event_kind_column),
		cmocka_unit_test(test_no_cut_words),
		cmocka_unit_test(test_event_dates),
		cmocka_unit_test(test_instant_events),
	};

	return cmocka_run_group_tests(tests, setup, viewfix_teardown);
}
