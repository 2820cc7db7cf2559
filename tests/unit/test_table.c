// SPDX-License-Identifier: MIT
/* Unit tests for tui/table: fitting to 40/80/200 columns, drop order,
 * truncation with an ellipsis, alignment, selection and scrolling. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tui/table.h"

static char row[1024];

static const char *text(struct cellbuf *cb, int y)
{
	cellbuf_row_text(cb, y, row, sizeof(row));
	return row;
}

enum { C_TARGET, C_LOSS, C_RTT, C_JIT, C_P95, C_MAX, C_IFACE, NC };

static const struct table_col cols[NC] = {
	[C_TARGET] = { "Target", 10, 24, 0, TABLE_LEFT, true },
	[C_LOSS] = { "Loss%", 5, 6, 0, TABLE_RIGHT, false },
	[C_RTT] = { "RTT", 6, 8, 1, TABLE_RIGHT, false },
	[C_JIT] = { "Jitter", 6, 8, 3, TABLE_RIGHT, false },
	[C_P95] = { "p95", 6, 8, 4, TABLE_RIGHT, false },
	[C_MAX] = { "Max", 6, 8, 5, TABLE_RIGHT, false },
	[C_IFACE] = { "Iface", 5, 8, 2, TABLE_LEFT, false },
};

static const struct table_cell cells[3 * NC] = {
	{ "dns.google (8.8.8.8)", 0 },
	{ "0.0", 0 },
	{ "12.3", 0 },
	{ "1.1", 0 },
	{ "15.0", 0 },
	{ "19.2", 0 },
	{ "eth0", 0 },
	{ "one.one.one.one", 0 },
	{ "2.5", ROLE_BAD },
	{ "11.9", 0 },
	{ "0.9", 0 },
	{ "14.1", 0 },
	{ "30.0", 0 },
	{ "wlan0", 0 },
	{ "vps", 0 },
	{ "0.0", 0 },
	{ "25.0", ROLE_WARN },
	{ "3.0", 0 },
	{ "31.0", 0 },
	{ "44.4", 0 },
	{ NULL, 0 },
};

static int total(const struct table_layout *l)
{
	int end = 0;

	for (int i = 0; i < NC; i++)
		if (l->w[i] && l->x[i] + l->w[i] > end)
			end = l->x[i] + l->w[i];
	return end;
}

static void test_fit_200(void **state)
{
	struct table_layout l;

	table_fit(cols, NC, 200, &l);
	assert_int_equal(l.shown, NC);
	/* Everyone at pref, the rest to the grow column; exactly 200 wide. */
	assert_int_equal(l.w[C_LOSS], 6);
	assert_int_equal(l.w[C_MAX], 8);
	assert_int_equal(l.w[C_TARGET], 200 - 6 - 8 * 5 - 6);
	assert_int_equal(total(&l), 200);
	assert_int_equal(l.x[C_TARGET], 0);
	assert_int_equal(l.x[C_LOSS], l.w[C_TARGET] + 1);
}

static void test_fit_80(void **state)
{
	struct table_layout l;

	/* Minimums: 10+5+6+6+6+6+5 = 44 + 6 gaps = 50 <= 80: nothing drops;
	 * 30 spare go to prefs in priority order: target +14, loss +1,
	 * rtt +2, iface +3, jitter +2, p95 +2, max +2 = 26, 4 to target. */
	table_fit(cols, NC, 80, &l);
	assert_int_equal(l.shown, NC);
	assert_int_equal(l.w[C_TARGET], 28);
	assert_int_equal(l.w[C_RTT], 8);
	assert_int_equal(l.w[C_IFACE], 8);
	assert_int_equal(total(&l), 80);
}

static void test_fit_40_drop_order(void **state)
{
	struct table_layout l;

	/* 40: drop Max (5), p95 (4): 10+5+6+6+5 + 4 = 36 fits. */
	table_fit(cols, NC, 40, &l);
	assert_int_equal(l.shown, 5);
	assert_int_equal(l.w[C_MAX], 0);
	assert_int_equal(l.w[C_P95], 0);
	assert_int_not_equal(l.w[C_JIT], 0);
	assert_int_equal(total(&l), 40);
	/* Narrower still: Jitter (3), then Iface (2), then RTT (1). */
	table_fit(cols, NC, 35, &l);
	assert_int_equal(l.w[C_JIT], 0);
	assert_int_not_equal(l.w[C_IFACE], 0);
	table_fit(cols, NC, 28, &l);
	assert_int_equal(l.w[C_IFACE], 0);
	assert_int_not_equal(l.w[C_RTT], 0);
	table_fit(cols, NC, 20, &l);
	assert_int_equal(l.w[C_RTT], 0);
	assert_int_equal(l.shown, 2);
	assert_int_equal(total(&l), 20);
	/* Priority-0 columns are cut rather than dropped, never overflow. */
	table_fit(cols, NC, 12, &l);
	assert_int_equal(l.w[C_TARGET], 10);
	assert_int_equal(l.w[C_LOSS], 1);
	assert_int_equal(total(&l), 12);
	table_fit(cols, NC, 3, &l);
	assert_int_equal(l.shown, 1);
	assert_int_equal(l.w[C_TARGET], 3);
	table_fit(cols, NC, 0, &l);
	assert_int_equal(l.shown, 0);
}

static void test_draw_80(void **state)
{
	struct cellbuf *cb = cellbuf_new(80, 4);
	struct table t = { cols, NC, cells, 3, 1, 0 };
	struct table_layout l;

	table_draw(cb, 0, 0, 80, 4, &t, &l);
	assert_string_equal(text(cb, 0),
			    "Target                        Loss%      RTT   "
			    "Jitter      p95      Max Iface   ");
	assert_string_equal(text(cb, 1),
			    "dns.google (8.8.8.8)            0.0     12.3      "
			    "1.1     15.0     19.2 eth0    ");
	assert_int_equal(cellbuf_at(cb, 0, 0)->role, ROLE_HEADER);
	/* Row 1 is selected: the full width in ROLE_SELECT. */
	for (int x = 0; x < 80; x++)
		assert_int_equal(cellbuf_at(cb, x, 2)->role, ROLE_SELECT);
	/* Roles of unselected cells are kept. */
	assert_int_equal(cellbuf_at(cb, l.x[C_RTT] + 7, 3)->role, ROLE_WARN);
	cellbuf_free(cb);
}

static void test_draw_40_truncates(void **state)
{
	struct cellbuf *cb = cellbuf_new(40, 4);
	struct table t = { cols, NC, cells, 3, -1, 0 };

	/* Target 14, Loss 5, RTT 6, Jitter 6, Iface 5 and four gaps. */
	table_draw(cb, 0, 0, 40, 4, &t, NULL);
	assert_string_equal(text(cb, 0),
			    "Target         Loss%    RTT Jitter Iface");
	assert_string_equal(text(cb, 1),
			    "dns.google (8…   0.0   12.3    1.1 eth0 ");
	assert_string_equal(text(cb, 2),
			    "one.one.one.o…   2.5   11.9    0.9 wlan0");
	assert_string_equal(text(cb, 3),
			    "vps              0.0   25.0    3.0      ");
	assert_int_equal(cellbuf_at(cb, 19, 2)->role, ROLE_BAD);
	cellbuf_set_ascii(cb, true);
	table_draw(cb, 0, 0, 40, 4, &t, NULL);
	assert_string_equal(text(cb, 1),
			    "dns.google (8~   0.0   12.3    1.1 eth0 ");
	cellbuf_free(cb);
}

static void test_draw_inside_box_only(void **state)
{
	struct cellbuf *cb = cellbuf_new(30, 5);
	struct table t = { cols, NC, cells, 3, -1, 0 };

	cellbuf_fill(cb, 0, 0, 30, 5, '#', ROLE_NORMAL, 0);
	table_draw(cb, 5, 1, 20, 3, &t, NULL);
	assert_string_equal(text(cb, 0), "##############################");
	assert_string_equal(text(cb, 4), "##############################");
	/* 20 columns: only the two priority-0 columns are left. */
	assert_string_equal(text(cb, 1), "#####Target         Loss%#####");
	assert_string_equal(text(cb, 2), "#####dns.google (8…   0.0#####");
	cellbuf_free(cb);
}

static void test_scroll_keeps_selection(void **state)
{
	struct cellbuf *cb = cellbuf_new(40, 3);
	struct table t = { cols, NC, cells, 3, 2, 0 };

	/* Two data rows in view; selecting row 2 scrolls by one. */
	table_draw(cb, 0, 0, 40, 3, &t, NULL);
	assert_int_equal(t.first, 1);
	assert_int_equal(strncmp(text(cb, 2), "vps", 3), 0);
	assert_int_equal(cellbuf_at(cb, 0, 2)->role, ROLE_SELECT);
	t.selected = 0;
	table_draw(cb, 0, 0, 40, 3, &t, NULL);
	assert_int_equal(t.first, 0);
	assert_int_equal(cellbuf_at(cb, 0, 1)->role, ROLE_SELECT);
	/* A stale first past the end is pulled back. */
	t.selected = -1;
	t.first = 99;
	table_draw(cb, 0, 0, 40, 3, &t, NULL);
	assert_int_equal(t.first, 1);
	cellbuf_free(cb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fit_200),
		cmocka_unit_test(test_fit_80),
		cmocka_unit_test(test_fit_40_drop_order),
		cmocka_unit_test(test_draw_80),
		cmocka_unit_test(test_draw_40_truncates),
		cmocka_unit_test(test_draw_inside_box_only),
		cmocka_unit_test(test_scroll_keeps_selection),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
