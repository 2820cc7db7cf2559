// SPDX-License-Identifier: MIT
/* The drilldown as people read it (tui/view_drilldown.c): histogram bin
 * labels that differ however narrow the spread, loss runs in words, the
 * window that fits the probes there are, and j/k through the targets in
 * the dashboard's order.  A model fed with synthetic samples is drawn
 * into a cell buffer and the rows are read back as text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/analysis/model.h"
#include "tui/evlog.h"
#include "tui/keys.h"
#include "tui/term.h"
#include "tui/view.h"

#include "tests/lib/viewfix.h"

#define US 1000LL

/* n probes of target every iv ns ending at T0 + n iv; rtt(i) in ns,
 * lost when lost[i % lost_n] (NULL: none). */
static void feed(struct viewfix *f, const char *target, int n, int64_t iv,
		 int64_t (*rtt)(int i), const bool *lost, int lost_n)
{
	for (int i = 0; i < n; i++) {
		bool l = lost && lost[i % lost_n];
		struct bb_sample s =
			viewfix_sample(BB_KIND_ICMP, "", target, i, iv);
		s.status = l ? BB_STATUS_TIMEOUT : BB_STATUS_OK;
		s.rtt_ns = l ? BB_NONE : rtt(i);
		model_add(f->m, &s);
	}
	f->ui.src.now_mono_ns = T0 + (int64_t)n * iv;
}

static int64_t narrow(int i)
{
	return 40 * US + (i % 9) * US; /* loopback: 0.040 to 0.048 ms */
}

static int64_t twenty(int i)
{
	return 20 * MS + (i % 5) * MS / 10;
}

static int setup(void **state)
{
	static struct viewfix f;

	assert_int_equal(viewfix_open(&f, 1000 * MS, 16, 120, 40), 0);
	f.ui.src.now_ms = REAL0_MS + 3600000;
	*state = &f;
	return 0;
}

static void open_row(struct viewfix *f, int sel)
{
	f->ui.view = VIEW_DASHBOARD;
	f->ui.pane = 0;
	f->ui.sel = sel;
	keys_dispatch(&f->ui, TERM_KEY_ENTER);
	assert_int_equal(f->ui.view, VIEW_DRILLDOWN);
	view_render(&f->ui, f->cb);
}

/* A narrow spread (40 to 48 µs): every bin has its own label. */
static void test_hist_labels_distinct(void **state)
{
	struct viewfix *f = *state;
	char labels[32][8];
	int n = 0, y, x = 120 * 11 / 20 + 3;

	feed(f, "127.0.0.1", 600, 100 * MS, narrow, NULL, 0);
	open_row(f, 0);
	y = viewfix_find(f->cb, "RTT histogram (ms)");
	assert_true(y >= 0);
	for (int r = y + 1; r < cellbuf_height(f->cb) && n < 32; r++) {
		const char *t = viewfix_row(f->cb, r);

		if ((int)strlen(t) < x + 7 || t[x + 6] == ' ')
			break;
		snprintf(labels[n++], 8, "%.7s", t + x);
	}
	assert_true(n >= 3);
	for (int i = 0; i < n; i++)
		for (int j = i + 1; j < n; j++)
			if (!strcmp(labels[i], labels[j]))
				fail_msg("bins %d and %d both read '%s'", i, j,
					 labels[i]);
	/* and the scale itself: whole microseconds, nice steps */
	int64_t first, step;

	view_hist_scale(40 * US, 50 * US, 8, &first, &step);
	assert_int_equal(step, 2 * US);
	assert_int_equal(first, 40 * US);
	view_hist_scale(12345 * US, 250 * MS, 8, &first, &step);
	assert_int_equal(step, 50 * MS);
	assert_int_equal(first, 0);
}

static void test_loss_run_words(void **state)
{
	struct viewfix *f = *state;
	uint32_t h[6] = { 3, 0, 0, 1, 0, 0 };
	char w[160];

	view_loss_run_words(h, w, sizeof(w));
	assert_string_equal(w, "3 runs of 1, 1 run of 4");
	memset(h, 0, sizeof(h));
	view_loss_run_words(h, w, sizeof(w));
	assert_string_equal(w, "no loss");
	h[4] = 1, h[5] = 2;
	view_loss_run_words(h, w, sizeof(w));
	assert_string_equal(w, "1 run of 5 to 9, 2 runs of 10 or more");
	/* drawn: 3 single losses and one run of 4 in 100 probes */
	bool lost[100] = { false };

	lost[10] = lost[30] = lost[50] = true;
	lost[70] = lost[71] = lost[72] = lost[73] = true;
	feed(f, "127.0.0.1", 100, 1000 * MS, twenty, lost, 100);
	open_row(f, 0);
	int y = viewfix_find(f->cb, "Loss runs (1h)");

	assert_true(y >= 0);
	assert_non_null(
		strstr(viewfix_row(f->cb, y), "3 runs of 1, 1 run of 4"));
}

/* Probes lost while our own test loaded the line, every 20 s as a
 * scheduled test would: no "periodic" loss runs, 0.0 % in the windows,
 * and a word that they were left out. */
static void test_own_test_left_out(void **state)
{
	struct viewfix *f = *state;

	for (int i = 0; i < 200; i++) {
		struct bb_sample s;
		bool loaded = i % 20 >= 15; /* 5 s of load every 20 s */
		bool l = loaded && i % 20 >= 17;

		sample_init(&s, BB_KIND_ICMP);
		snprintf(s.target, sizeof(s.target), "198.18.0.11");
		s.mono_ns = T0 + (int64_t)i * 1000 * MS;
		s.real_ns = REAL0_MS * MS + (int64_t)i * 1000 * MS;
		s.seq = (uint32_t)i;
		s.flags = loaded ? BB_SAMPLE_UNDER_LOAD : 0;
		s.status = l ? BB_STATUS_TIMEOUT : BB_STATUS_OK;
		s.rtt_ns = l ? BB_NONE : loaded ? 300 * MS : twenty(i);
		model_add(f->m, &s);
	}
	f->ui.src.now_mono_ns = T0 + 200LL * 1000 * MS;
	open_row(f, 0);
	int y = viewfix_find(f->cb, "Loss runs (1h)");
	assert_true(y >= 0);
	assert_non_null(strstr(viewfix_row(f->cb, y), "no loss"));
	assert_null(strstr(viewfix_row(f->cb, y), "periodic"));
	assert_non_null(strstr(viewfix_row(f->cb, y),
			       "our own tests' probes left out"));
	int h = viewfix_find(f->cb, " 1h ");
	assert_true(h >= 0);
	viewfix_dump(f->cb);
	/* the window's figures, left of the histogram */
	char fig[64];
	snprintf(fig, sizeof(fig), "%.60s", viewfix_row(f->cb, h));
	assert_non_null(strstr(fig, " 0.0 "));
	assert_null(strstr(fig, "300"));
}

/* The window opens at the smallest that holds the probes. */
static void test_default_span(void **state)
{
	struct viewfix *f = *state;
	static const struct {
		int n;
		const char *want;
	} c[] = {
		{ 30, "window 1 min" },	  /* 30 s */
		{ 180, "window 10 min" }, /* 3 minutes */
		{ 1200, "window 1 h" },	  /* 20 minutes */
	};

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		model_free(f->m);
		f->m = model_new(1000 * MS);
		f->ui.src.model = f->m;
		feed(f, "127.0.0.1", c[i].n, 1000 * MS, twenty, NULL, 0);
		f->ui.span = i == 2 ? SPAN_1M : SPAN_24H; /* not kept */
		open_row(f, 0);
		if (viewfix_find(f->cb, c[i].want) < 0)
			fail_msg("%d s of probes: no '%s' on:\n%s", c[i].n,
				 c[i].want, viewfix_row(f->cb, 2));
	}
}

/* j/k: the next and previous target in the dashboard's row order. */
static void test_jk_order(void **state)
{
	struct viewfix *f = *state;
	size_t idx[8], n;

	feed(f, "198.18.0.1", 60, 1000 * MS, twenty, NULL, 0);
	feed(f, "198.18.0.2", 60, 1000 * MS, twenty, NULL, 0);
	feed(f, "198.18.0.3", 60, 1000 * MS, twenty, NULL, 0);
	n = view_rows(&f->ui, idx, 8);
	assert_int_equal(n, 3);
	open_row(f, 0);
	assert_true(viewfix_find(f->cb, "198.18.0.1  icmp") >= 0);
	keys_dispatch(&f->ui, 'j');
	view_render(&f->ui, f->cb);
	assert_true(viewfix_find(f->cb, "198.18.0.2  icmp") >= 0);
	assert_string_equal(f->ui.dd_target, model_at(f->m, idx[1])->target);
	keys_dispatch(&f->ui, TERM_KEY_DOWN);
	assert_string_equal(f->ui.dd_target, "198.18.0.3");
	keys_dispatch(&f->ui, 'j'); /* the last: stays */
	assert_string_equal(f->ui.dd_target, "198.18.0.3");
	keys_dispatch(&f->ui, 'k');
	view_render(&f->ui, f->cb);
	assert_true(viewfix_find(f->cb, "198.18.0.2  icmp") >= 0);
	keys_dispatch(&f->ui, TERM_KEY_ESC);
	assert_int_equal(f->ui.view, VIEW_DASHBOARD);
	assert_int_equal(f->ui.sel, 1); /* the row of the target shown */
}

/* '2' opens the selected dashboard row, as Enter does, not the target
 * opened before: Enter on row 0, Esc, j, 2 shows row 1. */
static void test_key2_selected_row(void **state)
{
	struct viewfix *f = *state;
	size_t idx[8];

	feed(f, "198.18.0.1", 60, 1000 * MS, twenty, NULL, 0);
	feed(f, "198.18.0.2", 60, 1000 * MS, twenty, NULL, 0);
	assert_int_equal(view_rows(&f->ui, idx, 8), 2);
	open_row(f, 0);
	assert_string_equal(f->ui.dd_target, model_at(f->m, idx[0])->target);
	keys_dispatch(&f->ui, TERM_KEY_ESC);
	assert_int_equal(f->ui.view, VIEW_DASHBOARD);
	keys_dispatch(&f->ui, 'j');
	assert_int_equal(f->ui.sel, 1);
	keys_dispatch(&f->ui, '2');
	assert_int_equal(f->ui.view, VIEW_DRILLDOWN);
	assert_string_equal(f->ui.dd_target, model_at(f->m, idx[1])->target);
	view_render(&f->ui, f->cb);
	assert_true(viewfix_find(f->cb, "198.18.0.2  icmp") >= 0);
	/* from another view, back to the same target: 2 keeps the window */
	f->ui.span = SPAN_1H;
	keys_dispatch(&f->ui, '3');
	keys_dispatch(&f->ui, '2');
	assert_string_equal(f->ui.dd_target, model_at(f->m, idx[1])->target);
	assert_int_equal(f->ui.span, SPAN_1H);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_hist_labels_distinct,
						setup, viewfix_teardown),
		cmocka_unit_test_setup_teardown(test_loss_run_words, setup,
						viewfix_teardown),
		cmocka_unit_test_setup_teardown(test_own_test_left_out, setup,
						viewfix_teardown),
		cmocka_unit_test_setup_teardown(test_default_span, setup,
						viewfix_teardown),
		cmocka_unit_test_setup_teardown(test_jk_order, setup,
						viewfix_teardown),
		cmocka_unit_test_setup_teardown(test_key2_selected_row, setup,
						viewfix_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
