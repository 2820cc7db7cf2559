// SPDX-License-Identifier: MIT
/* Unit tests for tui/sparkline and the scales of tui/series. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tui/sparkline.h"

#define LOST   TRACE_LOST
#define NODATA TRACE_NODATA

static char row[1024];

static const char *text(struct cellbuf *cb, int y)
{
	cellbuf_row_text(cb, y, row, sizeof(row));
	return row;
}

static uint32_t ch(struct cellbuf *cb, int x)
{
	return cellbuf_at(cb, x, 0)->ch;
}

static int role(struct cellbuf *cb, int x)
{
	return cellbuf_at(cb, x, 0)->role;
}

static void test_nice_and_p95(void **state)
{
	static const int64_t v[] = { 5, 1, 4, 2, 3, LOST, NODATA, 100 };

	assert_int_equal(trace_nice_ceil(0), 1);
	assert_int_equal(trace_nice_ceil(1), 1);
	assert_int_equal(trace_nice_ceil(3), 5);
	assert_int_equal(trace_nice_ceil(11), 20);
	assert_int_equal(trace_nice_ceil(20), 20);
	assert_int_equal(trace_nice_ceil(21), 50);
	assert_int_equal(trace_nice_ceil(501), 1000);
	assert_int_equal(trace_nice_ceil(INT64_MAX), INT64_MAX);
	/* Six real values: index floor(0.95 * 5) = 4 of 1,2,3,4,5,100. */
	assert_int_equal(trace_p95(v, 8), 5);
	assert_int_equal(trace_p95(v + 5, 2), -1);
	assert_int_equal(trace_top(v, 8, 0), 5);
	assert_int_equal(trace_top(v, 8, 250), 250);
	assert_int_equal(trace_top(v + 5, 2, 0), 1);
	assert_int_equal(trace_nice_step(100, 5), 20);
	assert_int_equal(trace_nice_step(100, 4), 50);
	assert_int_equal(trace_nice_step(0, 0), 1);
}

static void test_levels_right_aligned(void **state)
{
	struct cellbuf *cb = cellbuf_new(12, 1);
	static const int64_t v[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8 };
	struct sparkline_opts o = { .top = 8 };

	assert_int_equal(sparkline_draw(cb, 1, 0, 10, v, 9, &o), 8);
	/* Ten columns, nine values: one blank on the left, newest at x=10. */
	assert_string_equal(text(cb, 0), "  ▁▁▂▃▄▅▆▇█ ");
	assert_int_equal(role(cb, 10), ROLE_NORMAL);
	cellbuf_free(cb);
}

static void test_loss_mark_at_right_column(void **state)
{
	struct cellbuf *cb = cellbuf_new(20, 1);
	int64_t v[30];

	for (int i = 0; i < 30; i++)
		v[i] = 10000 + 100 * (i % 3);
	v[27] = LOST; /* third newest */
	sparkline_draw(cb, 0, 0, 20, v, 30, NULL);
	assert_int_equal(ch(cb, 17), 0xd7);
	assert_int_equal(role(cb, 17), ROLE_LOSS);
	for (int x = 0; x < 20; x++)
		if (x != 17)
			assert_int_not_equal(role(cb, x), ROLE_LOSS);
	/* Loss is never a gap: the mark is printable and not a space. */
	assert_int_not_equal(ch(cb, 17), ' ');
	cellbuf_free(cb);
}

static void test_outlier_does_not_flatten(void **state)
{
	struct cellbuf *cb = cellbuf_new(40, 1);
	int64_t v[40];
	struct sparkline_opts o = { .warn = 30000, .bad = 80000 };
	int64_t top;

	for (int i = 0; i < 40; i++)
		v[i] = 10000 + 1000 * (i % 10); /* 10..19 ms, in µs */
	v[20] = 190000;				/* one spike, 10x */
	top = sparkline_draw(cb, 0, 0, 40, v, 40, &o);
	assert_int_equal(top, 20000);
	/* The spike is clipped and marked bad. */
	assert_int_equal(ch(cb, 20), 0x2588);
	assert_int_equal(role(cb, 20), ROLE_BAD);
	/* The rest still spans several levels, not all at the floor. */
	assert_int_equal(ch(cb, 0), 0x2584); /* 10 ms of 20 -> level 4 */
	assert_int_equal(ch(cb, 9), 0x2588); /* 19 ms -> level 8 */
	assert_int_equal(ch(cb, 5), 0x2586); /* 15 ms -> level 6 */
	assert_int_equal(role(cb, 5), ROLE_OK);
	/* Versus a max-based scale, which would put them all at level 1. */
	cellbuf_free(cb);
}

/* Loopback: 60 us probes and one 300 us blip, far below the warn (100 ms)
 * and bad (250 ms) thresholds: the blip is clipped and marked (full height,
 * bold) but neither yellow nor red: it is only the row's top 5 %. */
static void test_small_blip_not_red(void **state)
{
	struct cellbuf *cb = cellbuf_new(30, 1);
	int64_t v[30];
	struct sparkline_opts o = { .warn = 100000, .bad = 250000 };

	for (int i = 0; i < 30; i++)
		v[i] = 60;
	v[12] = 300;
	sparkline_draw(cb, 0, 0, 30, v, 30, &o);
	assert_int_equal(ch(cb, 12), 0x2588);
	assert_int_equal(role(cb, 12), ROLE_OK);
	assert_int_equal(role(cb, 11), ROLE_OK);
	cellbuf_free(cb);
}

static void test_thresholds_and_fixed_scale(void **state)
{
	struct cellbuf *cb = cellbuf_new(4, 1);
	static const int64_t v[] = { 10, 50, 90, 200 };
	struct sparkline_opts o = { .top = 100, .warn = 50, .bad = 90 };

	sparkline_draw(cb, 0, 0, 4, v, 4, &o);
	assert_int_equal(role(cb, 0), ROLE_OK);
	assert_int_equal(role(cb, 1), ROLE_WARN);
	assert_int_equal(role(cb, 2), ROLE_BAD);
	assert_int_equal(ch(cb, 2), 0x2588); /* 90/100 -> ceil(7.2) = 8 */
	assert_int_equal(role(cb, 3), ROLE_BAD);
	assert_int_equal(ch(cb, 1), 0x2584);
	cellbuf_free(cb);
}

static void test_ascii_fallback(void **state)
{
	struct cellbuf *cb = cellbuf_new(9, 1);
	static const int64_t v[] = {
		NODATA, 0, 20, 40, 60, 80, 100, LOST, 500
	};
	struct sparkline_opts o = { .top = 100 };

	cellbuf_set_ascii(cb, true);
	sparkline_draw(cb, 0, 0, 9, v, 9, &o);
	assert_string_equal(text(cb, 0), " _.-=*#!^");
	assert_int_equal(role(cb, 7), ROLE_LOSS);
	assert_int_equal(role(cb, 8), ROLE_NORMAL); /* off, no threshold */
	assert_int_equal(role(cb, 0), ROLE_DIM);
	cellbuf_free(cb);
}

static void test_empty_and_all_lost(void **state)
{
	struct cellbuf *cb = cellbuf_new(6, 1);
	static const int64_t lost[] = { LOST, LOST, LOST, LOST,
					LOST, LOST, LOST, LOST };

	cellbuf_fill(cb, 0, 0, 6, 1, 'x', ROLE_NORMAL, 0);
	assert_int_equal(sparkline_draw(cb, 0, 0, 6, NULL, 0, NULL), 1);
	assert_string_equal(text(cb, 0), "      ");
	assert_int_equal(role(cb, 0), ROLE_DIM);

	assert_int_equal(sparkline_draw(cb, 0, 0, 6, lost, 8, NULL), 1);
	assert_string_equal(text(cb, 0), "××××××");
	for (int x = 0; x < 6; x++)
		assert_int_equal(role(cb, x), ROLE_LOSS);
	/* A router's own drops (the path view): still ×, but dim. */
	struct sparkline_opts own = { .lost_dim = true };
	sparkline_draw(cb, 0, 0, 6, lost, 8, &own);
	assert_string_equal(text(cb, 0), "××××××");
	for (int x = 0; x < 6; x++)
		assert_int_equal(role(cb, x), ROLE_DIM);
	/* Zero width draws nothing. */
	cellbuf_fill(cb, 0, 0, 6, 1, 'x', ROLE_NORMAL, 0);
	sparkline_draw(cb, 0, 0, 0, lost, 8, NULL);
	assert_string_equal(text(cb, 0), "xxxxxx");
	cellbuf_free(cb);
}

static void test_negative_and_huge(void **state)
{
	struct cellbuf *cb = cellbuf_new(3, 1);
	static const int64_t v[] = { -5, INT64_MAX, INT64_MAX - 1 };

	/* p95 index 1 of {0, MAX-1, MAX}: no nice number above it fits. */
	assert_true(sparkline_draw(cb, 0, 0, 3, v, 3, NULL) == INT64_MAX - 1);
	assert_int_equal(ch(cb, 0), 0x2581);
	assert_int_equal(role(cb, 1), ROLE_NORMAL);
	assert_int_equal(ch(cb, 2), 0x2588);
	assert_int_equal(role(cb, 2), ROLE_NORMAL);
	cellbuf_free(cb);
}

/* Our own test's load: 10 ms probes, then 400 ms (past bad) and a lost
 * one sent under load: dim, never red nor the loss mark, and the scale is
 * the line's own (the quiet values keep their levels). */
static void test_loaded_dim(void **state)
{
	struct cellbuf *cb = cellbuf_new(20, 1);
	int64_t v[20];
	bool ld[20] = { false };
	struct sparkline_opts o = { .warn = 100000, .bad = 250000 };

	for (int i = 0; i < 20; i++)
		v[i] = 10000;
	for (int i = 12; i < 18; i++) {
		v[i] = 400000;
		ld[i] = true;
	}
	v[14] = LOST;
	o.loaded = ld;
	assert_int_equal(sparkline_draw(cb, 0, 0, 20, v, 20, &o), 10000);
	for (int x = 12; x < 18; x++)
		assert_int_equal(role(cb, x), ROLE_DIM);
	assert_int_equal(ch(cb, 14), 0x00d7);
	assert_int_equal(ch(cb, 0), 0x2588); /* 10 of 10 ms: full */
	assert_int_equal(role(cb, 0), ROLE_OK);
	/* without the marks the same values are red and lost */
	o.loaded = NULL;
	sparkline_draw(cb, 0, 0, 20, v, 20, &o);
	assert_int_equal(role(cb, 12), ROLE_BAD);
	assert_int_equal(role(cb, 14), ROLE_LOSS);
	cellbuf_free(cb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nice_and_p95),
		cmocka_unit_test(test_levels_right_aligned),
		cmocka_unit_test(test_loss_mark_at_right_column),
		cmocka_unit_test(test_outlier_does_not_flatten),
		cmocka_unit_test(test_thresholds_and_fixed_scale),
		cmocka_unit_test(test_small_blip_not_red),
		cmocka_unit_test(test_loaded_dim),
		cmocka_unit_test(test_ascii_fallback),
		cmocka_unit_test(test_empty_and_all_lost),
		cmocka_unit_test(test_negative_and_huge),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
