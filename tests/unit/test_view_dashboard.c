// SPDX-License-Identifier: MIT
/* Unit tests for the dashboard's layout rules (tui/view_dashboard.c): a
 * synthetic model drawn into a cell buffer and read back as text and
 * colour roles.  More rows than the screen holds: the scroll position in
 * the title and the selection kept in view; the sort orders ('s'); our own
 * test's probes (BB_SAMPLE_UNDER_LOAD) out of the row's figures, dim in its
 * sparkline and named by a label; the sparkline scale on the row or once
 * ('S'); the compact layout below 80x24; the address beside the name; the
 * mouse's click and double click. */
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

#define N 600 /* probes per series, 100 ms apart: a full 60 s */

/* N probes of TARGET at rtt_ms (+ up to 0.6 ms), every lost_every-th lost
 * (0 = none); the last `loaded` of them sent under our own upload test at
 * 400 ms, every third of those lost. */
static void feed(struct viewfix *f, const char *target, double rtt_ms,
		 int lost_every, int loaded)
{
	for (int i = 0; i < N; i++) {
		bool load = i >= N - loaded;
		bool lost =
			load ? i % 3 == 0 : lost_every && i % lost_every == 0;
		struct bb_sample s =
			viewfix_sample(BB_KIND_ICMP, "", target, i, 100 * MS);
		s.status = lost ? BB_STATUS_TIMEOUT : BB_STATUS_OK;
		s.rtt_ns = lost	  ? BB_NONE
			   : load ? 400 * MS
				  : (int64_t)(rtt_ms * MS) + (i % 7) * MS / 10;
		if (load) {
			s.flags = BB_SAMPLE_UNDER_LOAD;
			s.load_phase = BB_PHASE_UP;
		}
		model_add(f->m, &s);
	}
}

static int setup(void **state)
{
	static struct viewfix f;

	assert_int_equal(viewfix_open(&f, 100 * MS, 16, 80, 24), 0);
	f.ui.src.now_mono_ns = T0 + (int64_t)N * 100 * MS;
	f.ui.src.now_ms = REAL0_MS + 60000;
	snprintf(f.ui.src.verdict, sizeof(f.ui.src.verdict),
		 "No problems detected in the last hour.");
	*state = &f;
	return 0;
}

/* 16 targets "t01".."t16": t(k) at k ms, t05 losing every 10th probe. */
static void sixteen(struct viewfix *f)
{
	for (int k = 1; k <= 16; k++) {
		char name[8];

		snprintf(name, sizeof(name), "t%02d", k);
		feed(f, name, k, k == 5 ? 10 : 0, 0);
	}
}

/* The name in the first column of screen row y ("t07"), "" if none. */
static const char *name_at(struct viewfix *f, int y)
{
	static char n[16];

	snprintf(n, sizeof(n), "%.3s", viewfix_row(f->cb, y));
	return n;
}

static void test_scroll_position(void **state)
{
	struct viewfix *f = *state;
	int y;

	sixteen(f);
	viewfix_render(f, 80, 24);
	viewfix_dump(f->cb);
	/* all 16 do not fit in 80x24: the title says where the selection is */
	assert_true(viewfix_find(f->cb, "Targets 1 of 16") >= 0);
	assert_true(f->ui.rows_n > 3 && f->ui.rows_n < 16);
	assert_string_equal(name_at(f, f->ui.rows_y0), "t01");

	f->ui.sel = 11;
	viewfix_render(f, 80, 24);
	viewfix_dump(f->cb);
	assert_true(viewfix_find(f->cb, "Targets 12 of 16") >= 0);
	y = viewfix_find(f->cb, "t12 ");
	assert_true(y >= f->ui.rows_y0 && y < f->ui.rows_y0 + f->ui.rows_n);

	/* to the end and back: the selection stays in view, the rows scroll
	 * only as far as it takes (as htop) */
	for (int i = 0; i < 20; i++)
		keys_dispatch(&f->ui, TERM_KEY_DOWN);
	viewfix_render(f, 80, 24);
	assert_true(viewfix_find(f->cb, "Targets 16 of 16") >= 0);
	assert_true(viewfix_find(f->cb, "t16 ") >= 0);
	assert_true(viewfix_find(f->cb, "t01 ") < 0);
	int top = f->ui.rows_top;

	keys_dispatch(&f->ui, TERM_KEY_UP);
	viewfix_render(f, 80, 24);
	assert_int_equal(f->ui.rows_top, top);
	assert_true(viewfix_find(f->cb, "Targets 15 of 16") >= 0);

	/* a screen that holds them all: no position */
	viewfix_render(f, 120, 50);
	assert_true(viewfix_find(f->cb, " of 16") < 0);
	assert_true(viewfix_find(f->cb, "t01 ") >= 0 &&
		    viewfix_find(f->cb, "t16 ") >= 0);
}

static void test_sort(void **state)
{
	struct viewfix *f = *state;

	sixteen(f);
	f->ui.sel = 2; /* t03 */
	viewfix_render(f, 120, 50);
	assert_string_equal(name_at(f, f->ui.rows_y0), "t01");

	keys_dispatch(&f->ui, 's');
	assert_int_equal(f->ui.sort, SORT_NAME);
	viewfix_render(f, 120, 50);
	assert_true(viewfix_find(f->cb, "sort name") >= 0);
	assert_string_equal(name_at(f, f->ui.rows_y0), "t01");

	/* worst p95 first: t16 (16 ms) ... t01 */
	keys_dispatch(&f->ui, 's');
	viewfix_render(f, 120, 50);
	viewfix_dump(f->cb);
	assert_true(viewfix_find(f->cb, "sort p95") >= 0);
	assert_string_equal(name_at(f, f->ui.rows_y0), "t16");
	assert_string_equal(name_at(f, f->ui.rows_y0 + 1), "t15");
	assert_string_equal(name_at(f, f->ui.rows_y0 + 15), "t01");
	/* the selection followed its series */
	assert_int_equal(f->ui.sel, 13);
	assert_string_equal(name_at(f, f->ui.rows_y0 + f->ui.sel), "t03");

	/* worst loss first: t05 is the only lossy one, then by p95 */
	keys_dispatch(&f->ui, 's');
	viewfix_render(f, 120, 50);
	assert_true(viewfix_find(f->cb, "sort loss") >= 0);
	assert_string_equal(name_at(f, f->ui.rows_y0), "t05");
	assert_string_equal(name_at(f, f->ui.rows_y0 + 1), "t16");

	/* and back to the configuration's order */
	keys_dispatch(&f->ui, 's');
	viewfix_render(f, 120, 50);
	assert_true(viewfix_find(f->cb, "sort ") < 0);
	assert_string_equal(name_at(f, f->ui.rows_y0), "t01");
}

static bool is_spark(uint32_t ch)
{
	return (ch >= 0x2581 && ch <= 0x2588) || ch == 0x00d7;
}

/* A row whose last 20 probes went out under our own upload test at
 * 400 ms, a third of them lost: its 60 s figures are those of the line
 * (10 ms, no loss), nothing on it is red or yellow, the loaded stretch of
 * its sparkline is dim, and the title names the test and its time left. */
static void test_under_load(void **state)
{
	struct viewfix *f = *state;
	int y, x0;

	feed(f, "loaded", 10, 0, 20);
	feed(f, "quiet", 10, 0, 0);
	f->ui.src.bloat_running = true;
	f->ui.src.load_left_s = 7;
	viewfix_render(f, 120, 40);
	viewfix_dump(f->cb);
	y = viewfix_find(f->cb, "loaded ");
	assert_true(y > 0);
	/* p50 and p95 of the line, not 400 ms; no loss */
	assert_non_null(strstr(viewfix_row(f->cb, y), "10.3  10.6"));
	assert_non_null(strstr(viewfix_row(f->cb, y), " 0.0 "));
	assert_null(strstr(viewfix_row(f->cb, y), "lost"));
	for (int x = 0; x < 120; x++) {
		int r = cellbuf_at(f->cb, x, y)->role;

		if (y == f->ui.rows_y0 + f->ui.sel)
			break; /* the selected row is all ROLE_SELECT */
		assert_true(r != ROLE_BAD && r != ROLE_WARN && r != ROLE_LOSS);
	}
	/* the sparkline's newest cells (right end, before the scale) dim */
	for (x0 = 119; x0 > 40 && !is_spark(cellbuf_at(f->cb, x0, y)->ch);)
		x0--;
	assert_true(x0 > 40);
	for (int x = x0; x > x0 - 20; x--)
		assert_int_equal(cellbuf_at(f->cb, x, y)->role, ROLE_DIM);
	assert_true(is_spark(cellbuf_at(f->cb, x0 - 25, y)->ch));
	assert_int_equal(cellbuf_at(f->cb, x0 - 25, y)->role, ROLE_OK);
	assert_true(viewfix_find(f->cb, "test: upload 7 s left") >= 0);

	/* the test over: no label */
	f->ui.src.bloat_running = false;
	f->ui.src.now_mono_ns += 30 * 1000000000LL; /* the test long over */
	viewfix_render(f, 120, 40);
	assert_true(viewfix_find(f->cb, "test: ") < 0);
}

/* The scale on each row; 'S' one scale for all, printed once. */
static void test_scale(void **state)
{
	struct viewfix *f = *state;
	int y1, y2;

	feed(f, "near", 0.05, 0, 0); /* 0.05..0.65 ms */
	feed(f, "far", 20, 0, 0);    /* 20..20.6 ms */
	viewfix_render(f, 120, 40);
	viewfix_dump(f->cb);
	y1 = viewfix_find(f->cb, "near ");
	y2 = viewfix_find(f->cb, "far ");
	assert_non_null(strstr(viewfix_row(f->cb, y1), "≤1 ms"));
	assert_non_null(strstr(viewfix_row(f->cb, y2), "≤50 ms"));
	assert_true(viewfix_find(f->cb, "Scale") >= 0);

	keys_dispatch(&f->ui, 'S');
	viewfix_render(f, 120, 40);
	viewfix_dump(f->cb);
	assert_true(viewfix_find(f->cb, "scale ≤50 ms") >= 0);
	assert_null(strstr(viewfix_row(f->cb, y1), "≤"));
	assert_null(strstr(viewfix_row(f->cb, y2), "≤"));
	/* near on the shared 50 ms scale: its lowest block */
	int x = 119;

	while (x > 0 && cellbuf_at(f->cb, x, y1)->ch != 0x2581)
		x--;
	assert_true(x > 40);
	keys_dispatch(&f->ui, 'S');
	viewfix_render(f, 120, 40);
	assert_non_null(strstr(viewfix_row(f->cb, y1), "≤1 ms"));
}

/* During our own test the rows' scales stay those of the line: a row at
 * 0.05..0.65 ms whose last 100 probes (more than its sparkline shows) went
 * out under load at 400 ms keeps its "≤1 ms" from the probes before the
 * test, and 'S' takes the shared scale from those too (the loaded ones
 * clip at the top, dim). */
static void test_scale_under_load(void **state)
{
	struct viewfix *f = *state;
	int y;

	feed(f, "near", 0.05, 0, 100);
	feed(f, "mid", 2, 0, 100);
	viewfix_render(f, 120, 40);
	viewfix_dump(f->cb);
	y = viewfix_find(f->cb, "near ");
	assert_true(y > 0);
	assert_non_null(strstr(viewfix_row(f->cb, y), "≤1 ms"));
	assert_non_null(strstr(viewfix_row(f->cb, viewfix_find(f->cb, "mid ")),
			       "≤5 ms"));
	keys_dispatch(&f->ui, 'S');
	viewfix_render(f, 120, 40);
	viewfix_dump(f->cb);
	assert_true(viewfix_find(f->cb, "scale ≤5 ms") >= 0);
	assert_true(viewfix_find(f->cb, "≤500 ms") < 0);
}

/* The echo stream to "srv": 1.00 ms up, 2.00 ms down at 95 % sync, every
 * 50th echo lost upstream; the last 40 sent under our own upload test
 * (283 ms up, 0.01 ms down), every 8th of those lost upstream. */
static void feed_echo(struct viewfix *f)
{
	for (int i = 0; i < N; i++) {
		bool load = i >= N - 40;
		bool lost = load ? i % 8 == 0 : i % 50 == 0;
		struct bb_sample s = viewfix_sample(BB_KIND_UDP_ECHO, "", "srv",
						    i, 100 * MS);

		snprintf(s.server, sizeof(s.server), "srv");
		s.sync_pct = 95;
		s.status = lost ? BB_STATUS_TIMEOUT : BB_STATUS_OK;
		if (lost) {
			s.loss_dir = BB_LOSS_UP;
		} else {
			s.up_delay_ns = load ? 283 * MS : 1 * MS;
			s.down_delay_ns = load ? MS / 100 : 2 * MS;
			s.rtt_ns = s.up_delay_ns + s.down_delay_ns;
		}
		if (load) {
			s.flags = BB_SAMPLE_UNDER_LOAD;
			s.load_phase = BB_PHASE_UP;
		}
		model_add(f->m, &s);
	}
}

/* The header's one-way delays and echo losses are the line's: during our
 * own test the newest echo not under load, and the losses before it. */
static void test_header_under_load(void **state)
{
	struct viewfix *f = *state;

	feed_echo(f);
	f->ui.src.has_server = true;
	f->ui.src.bloat_running = true;
	viewfix_render(f, 160, 40);
	viewfix_dump(f->cb);
	int y = viewfix_find(f->cb, "Throughput & bufferbloat");

	assert_true(y > 0);
	assert_non_null(
		strstr(viewfix_row(f->cb, y), "one-way ↑1.00 ↓2.00 ms"));
	assert_non_null(strstr(viewfix_row(f->cb, y), "echo lost ↑12 ↓0"));
	/* the drilldown's one-way line too (it showed the test's 283 ms) */
	keys_dispatch(&f->ui, TERM_KEY_ENTER);
	viewfix_render(f, 160, 40);
	viewfix_dump(f->cb);
	y = viewfix_find(f->cb, "One-way delay");
	assert_true(y > 0);
	assert_non_null(
		strstr(viewfix_row(f->cb, y), "up 1.00 ms  down 2.00 ms"));
}

/* 70x20: the compact layout, every row's name, no "enlarge". */
static void test_compact(void **state)
{
	struct viewfix *f = *state;
	static const char *const names[] = {
		"gateway", "dns-a", "dns-b", "198.18.0.9", "v6-host", "far-away"
	};

	for (int i = 0; i < 6; i++)
		feed(f, names[i], 5 + i, 0, 0);
	viewfix_render(f, 70, 20);
	viewfix_dump(f->cb);
	assert_true(viewfix_find(f->cb, "enlarge") < 0);
	assert_true(viewfix_find(f->cb, "too small") < 0);
	for (int i = 0; i < 6; i++)
		assert_true(viewfix_find(f->cb, names[i]) >= f->ui.rows_y0);
	assert_int_equal(f->ui.rows_n, 6);
	int hy = f->ui.rows_y0 - 1; /* the column titles */

	assert_non_null(strstr(viewfix_row(f->cb, hy), "p95"));
	assert_non_null(strstr(viewfix_row(f->cb, hy), "Loss%"));
	assert_null(strstr(viewfix_row(f->cb, hy), "Kind"));
	assert_null(strstr(viewfix_row(f->cb, hy), "Jitter"));
	assert_non_null(strstr(viewfix_row(f->cb, f->ui.rows_y0), "≤"));
	assert_true(viewfix_find(f->cb, "Events") > f->ui.rows_y0);
	for (int y = 0; y < 20; y++)
		assert_true(cellbuf_utf8_width(viewfix_row(f->cb, y)) <= 70);
	/* below the absolute minimum: the message */
	viewfix_render(f, 39, 12);
	assert_true(viewfix_find(f->cb, "too small: 39x12") >= 0);
}

/* 70x20, one target over eth0 and over wlan0 (and one more on eth0): the
 * compact layout keeps a column naming the interface, so the two rows of
 * dns-a can be told apart; over one interface only, no such column. */
static void test_compact_ifaces(void **state)
{
	struct viewfix *f = *state;
	static const char *const ifs[] = { "eth0", "wlan0", "eth0" };
	static const char *const tg[] = { "dns-a", "dns-a", "gateway" };
	char seen[3][16];

	for (int k = 0; k < 3; k++)
		for (int i = 0; i < N; i++) {
			struct bb_sample s = viewfix_sample(
				BB_KIND_ICMP, ifs[k], tg[k], i, 100 * MS);
			s.status = BB_STATUS_OK;
			s.rtt_ns = (5 + k) * MS;
			model_add(f->m, &s);
		}
	viewfix_render(f, 70, 20);
	viewfix_dump(f->cb);
	assert_int_equal(f->ui.rows_n, 3);
	const char *hdr = viewfix_row(f->cb, f->ui.rows_y0 - 1);

	assert_non_null(strstr(hdr, "Iface"));
	assert_non_null(strstr(hdr, "p95"));
	assert_non_null(strstr(hdr, "Loss%"));
	int ix = (int)(strstr(hdr, "Iface") - hdr);
	for (int r = 0; r < 3; r++) {
		const char *row = viewfix_row(f->cb, f->ui.rows_y0 + r);

		assert_true((int)strlen(row) > ix);
		sscanf(row + ix, "%15s", seen[r]);
	}
	for (int r = 0; r < 3; r++) {
		bool found = false;

		for (int k = 0; k < 3; k++)
			found |= !strcmp(seen[r], ifs[k]);
		if (!found)
			fail_msg("row %d's interface reads '%s'", r, seen[r]);
	}
	assert_true(strcmp(seen[0], seen[1]) || strcmp(seen[1], seen[2]));
	for (int y = 0; y < 20; y++)
		assert_true(cellbuf_utf8_width(viewfix_row(f->cb, y)) <= 70);
}

/* Compact over one interface only: no Iface column (it would say eth0 on
 * every row). */
static void test_compact_one_iface(void **state)
{
	struct viewfix *f = *state;

	for (int k = 0; k < 2; k++)
		for (int i = 0; i < N; i++) {
			struct bb_sample s = viewfix_sample(
				BB_KIND_ICMP, "eth0", k ? "dns-b" : "dns-a", i,
				100 * MS);
			s.status = BB_STATUS_OK;
			s.rtt_ns = 5 * MS;
			model_add(f->m, &s);
		}
	viewfix_render(f, 70, 20);
	assert_null(strstr(viewfix_row(f->cb, f->ui.rows_y0 - 1), "Iface"));
}

/* The address behind the name, when it is not the name itself. */
static void test_address(void **state)
{
	struct viewfix *f = *state;
	static const struct ui_addr a[] = { { "gateway", "198.18.1.1" },
					    { "198.18.0.9", "198.18.0.9" } };
	int y;

	feed(f, "gateway", 1, 0, 0);
	feed(f, "198.18.0.9", 2, 0, 0);
	f->ui.src.addrs = a;
	f->ui.src.n_addrs = 2;
	viewfix_render(f, 120, 40);
	viewfix_dump(f->cb);
	y = viewfix_find(f->cb, "gateway 198.18.1.1 ");
	assert_true(y > 0);
	/* the address dim on an unselected row */
	f->ui.sel = 1;
	viewfix_render(f, 120, 40);
	assert_int_equal(cellbuf_at(f->cb, 8, y)->role, ROLE_DIM);
	assert_int_equal(cellbuf_at(f->cb, 0, y)->role, ROLE_NORMAL);
	y = viewfix_find(f->cb, "198.18.0.9 ");
	assert_null(strstr(viewfix_row(f->cb, y), "198.18.0.9 198.18.0.9"));
}

/* A click selects the row under it, a double click drills down, the
 * wheel moves the selection; outside the rows nothing happens. */
static void test_mouse(void **state)
{
	struct viewfix *f = *state;

	sixteen(f);
	viewfix_render(f, 80, 24);
	int y0 = f->ui.rows_y0;

	assert_int_equal(keys_mouse(&f->ui, y0 + 3, 1, 0) & KEY_HANDLED,
			 KEY_HANDLED);
	assert_int_equal(f->ui.sel, 3);
	assert_int_equal(f->ui.view, VIEW_DASHBOARD);
	assert_int_equal(keys_mouse(&f->ui, 0, 1, 0), 0);
	assert_int_equal(f->ui.sel, 3);
	keys_mouse(&f->ui, 0, 0, 1);
	keys_mouse(&f->ui, 0, 0, 1);
	assert_int_equal(f->ui.sel, 5);
	viewfix_render(f, 80, 24);
	keys_mouse(&f->ui, y0 + 4, 2, 0);
	assert_int_equal(f->ui.view, VIEW_DRILLDOWN);
	assert_string_equal(f->ui.dd_target, "t05");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_scroll_position, setup,
						viewfix_teardown),
		cmocka_unit_test_setup_teardown(test_sort, setup,
						viewfix_teardown),
		cmocka_unit_test_setup_teardown(test_under_load, setup,
						viewfix_teardown),
		cmocka_unit_test_setup_teardown(test_scale_under_load, setup,
						viewfix_teardown),
		cmocka_unit_test_setup_teardown(test_header_under_load, setup,
						viewfix_teardown),
		cmocka_unit_test_setup_teardown(test_scale, setup,
						viewfix_teardown),
		cmocka_unit_test_setup_teardown(test_compact_ifaces, setup,
						viewfix_teardown),
		cmocka_unit_test_setup_teardown(test_compact_one_iface, setup,
						viewfix_teardown),
		cmocka_unit_test_setup_teardown(test_compact, setup,
						viewfix_teardown),
		cmocka_unit_test_setup_teardown(test_address, setup,
						viewfix_teardown),
		cmocka_unit_test_setup_teardown(test_mouse, setup,
						viewfix_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
