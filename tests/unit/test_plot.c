// SPDX-License-Identifier: MIT
/* Unit tests for tui/plot: braille dots, loss columns, clipping of outliers,
 * axis labels, the ASCII fallback, and never drawing outside its box. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tui/plot.h"

static char row[2048];

static const char *text(struct cellbuf *cb, int y)
{
	cellbuf_row_text(cb, y, row, sizeof(row));
	return row;
}

static void test_format_ms(void **state)
{
	char b[16];

	plot_format_ms(b, sizeof(b), 20000, 10000);
	assert_string_equal(b, "20");
	plot_format_ms(b, sizeof(b), 1500, 500);
	assert_string_equal(b, "1.5");
	plot_format_ms(b, sizeof(b), 250, 50);
	assert_string_equal(b, "0.25");
	plot_format_ms(b, sizeof(b), 2, 1);
	assert_string_equal(b, "0.002");
}

/* 40 x 11 with no title: 9 plot rows (36 dots), axis, labels.  Labels are
 * "100"/"50"/"0" wide 3 + 1 space, axis at x=4, plot from x=5, 35 cells. */
static void test_axes_and_labels(void **state)
{
	struct cellbuf *cb = cellbuf_new(40, 11);
	int64_t v[70];
	struct plot_opts o = { .top = 100000,
			       .x_left = "12:00",
			       .x_mid = "12:01",
			       .x_right = "now" };

	for (int i = 0; i < 70; i++)
		v[i] = 0;
	assert_int_equal(plot_draw(cb, 0, 0, 40, 11, v, 70, &o), 100000);
	assert_int_equal(strncmp(text(cb, 0), "100 ┤", strlen("100 ┤")), 0);
	assert_int_equal(strncmp(text(cb, 4), " 50 ┤", strlen(" 50 ┤")), 0);
	assert_int_equal(strncmp(text(cb, 8), "  0 ┤", strlen("  0 ┤")), 0);
	assert_int_equal(strncmp(text(cb, 1), "    │", strlen("    │")), 0);
	assert_int_equal(strncmp(text(cb, 9), " ms └───", strlen(" ms └───")),
			 0);
	assert_string_equal(text(cb, 10),
			    "     12:00          12:01            now");
	/* Value 0: both bottom dots of every cell on the bottom row. */
	for (int x = 5; x < 40; x++) {
		assert_int_equal(cellbuf_at(cb, x, 8)->ch, 0x28c0);
		assert_int_equal(cellbuf_at(cb, x, 7)->ch, 0x2800);
	}
	cellbuf_free(cb);
}

static void test_loss_column(void **state)
{
	struct cellbuf *cb = cellbuf_new(40, 11);
	int64_t v[70];
	struct plot_opts o = { .top = 100000 };

	for (int i = 0; i < 70; i++)
		v[i] = 50000;
	v[69] = TRACE_LOST; /* newest: right dot column of the last cell */
	v[10] = TRACE_LOST; /* left dot column of cell 5 -> x = 10 */
	plot_draw(cb, 0, 0, 40, 11, v, 70, &o);
	for (int y = 0; y < 9; y++) {
		const struct cellbuf_cell *c = cellbuf_at(cb, 39, y);

		assert_int_equal(c->role, ROLE_LOSS);
		/* all four right-column dots lit */
		assert_int_equal(c->ch & 0xb8, 0xb8);
		c = cellbuf_at(cb, 10, y);
		assert_int_equal(c->role, ROLE_LOSS);
		assert_int_equal(c->ch & 0x47, 0x47);
		assert_int_not_equal(cellbuf_at(cb, 20, y)->role, ROLE_LOSS);
	}
	cellbuf_free(cb);
}

/* A value that stands for several probes, some lost: its worst value as
 * usual, and a loss bar from the bottom of the share lost, at least one
 * row (1 of 300 lost) and never the whole column unless all were. */
static void test_loss_share(void **state)
{
	struct cellbuf *cb = cellbuf_new(20, 8);
	static const int64_t v[] = { 5000, 9000, 9000, TRACE_LOST };
	static const uint16_t pm[] = { 0, 3, 500, 1000 };
	struct plot_opts o = { .top = 10000, .title = "RTT", .lost_pm = pm };

	cellbuf_set_ascii(cb, true);
	plot_draw(cb, 0, 0, 20, 8, v, 4, &o);
	/* plot rows 1..5, x 4..19: the four values at x 16..19; 1 of 300 is
	 * one row, half of them is 3 of 5 rows, all of them the column */
	assert_string_equal(text(cb, 1), "10 +             **!");
	assert_string_equal(text(cb, 2), "   |               !");
	assert_string_equal(text(cb, 3), " 5 +            * !!");
	assert_string_equal(text(cb, 4), "   |              !!");
	assert_string_equal(text(cb, 5), " 0 +             !!!");
	assert_int_equal(cellbuf_at(cb, 17, 5)->role, ROLE_LOSS);
	assert_int_not_equal(cellbuf_at(cb, 17, 4)->role, ROLE_LOSS);
	assert_int_not_equal(cellbuf_at(cb, 16, 5)->role, ROLE_LOSS);
	cellbuf_free(cb);
	(void)state;
}

static void test_outlier_clipped(void **state)
{
	struct cellbuf *cb = cellbuf_new(40, 11);
	int64_t v[70];
	int64_t top;

	for (int i = 0; i < 70; i++)
		v[i] = 10000 + 1000 * (i % 9);
	v[40] = 2000000; /* 2 s among 10-18 ms */
	top = plot_draw(cb, 0, 0, 40, 11, v, 70, NULL);
	assert_int_equal(top, 20000);
	/* v[40] is dot column 40 -> cell 20 -> x 25: top row, marked as off
	 * the scale (no thresholds given, so not red) */
	assert_int_equal(cellbuf_at(cb, 25, 0)->role, ROLE_WARN);
	assert_int_not_equal(cellbuf_at(cb, 25, 0)->ch, 0x2800);
	assert_int_not_equal(cellbuf_at(cb, 25, 0)->ch & 0x09, 0);
	/* Nothing else reaches the top dot row: 18 ms of 20 is row 3. */
	for (int x = 5; x < 40; x++)
		if (x != 25)
			assert_int_equal(cellbuf_at(cb, x, 0)->ch & 0x09, 0);
	/* And they still spread over several rows. */
	{
		int rows_used = 0;

		for (int y = 0; y < 9; y++) {
			int any = 0;

			for (int x = 5; x < 40; x++)
				if (x != 25 &&
				    cellbuf_at(cb, x, y)->ch != 0x2800)
					any = 1;
			rows_used += any;
		}
		assert_true(rows_used >= 3);
	}
	cellbuf_free(cb);
}

static void test_thresholds_title_ascii(void **state)
{
	struct cellbuf *cb = cellbuf_new(20, 8);
	static const int64_t v[] = { 1000, 5000, 9000, TRACE_LOST,
				     TRACE_NODATA };
	struct plot_opts o = {
		.top = 10000, .warn = 5000, .bad = 9000, .title = "RTT"
	};

	cellbuf_set_ascii(cb, true);
	plot_draw(cb, 0, 0, 20, 8, v, 5, &o);
	/* title, 5 plot rows (ticks 0/5/10 ms), axis, labels. */
	assert_string_equal(text(cb, 0), "RTT                 ");
	assert_int_equal(cellbuf_at(cb, 0, 0)->role, ROLE_TITLE);
	/* Plot x 4..19; the five values land at x 15..19, no data blank. */
	assert_string_equal(text(cb, 1), "10 +             *! ");
	assert_string_equal(text(cb, 2), "   |              ! ");
	assert_string_equal(text(cb, 3), " 5 +            * ! ");
	assert_string_equal(text(cb, 5), " 0 +           *  ! ");
	assert_string_equal(text(cb, 6), "ms +----------------");
	assert_int_equal(cellbuf_at(cb, 17, 1)->role, ROLE_BAD);
	assert_int_equal(cellbuf_at(cb, 16, 3)->role, ROLE_WARN);
	assert_int_equal(cellbuf_at(cb, 15, 5)->role, ROLE_OK);
	assert_int_equal(cellbuf_at(cb, 18, 2)->role, ROLE_LOSS);
	cellbuf_free(cb);
}

static void test_stays_in_box(void **state)
{
	struct cellbuf *cb = cellbuf_new(50, 14);
	int64_t v[100];
	struct plot_opts o = { .title = "a long title that will not fit",
			       .x_left = "yesterday 23:59:59",
			       .x_mid = "middle",
			       .x_right = "today 00:00:00" };

	for (int i = 0; i < 100; i++)
		v[i] = i % 7 == 0 ? TRACE_LOST : (int64_t)i * 137;
	for (int w = 0; w <= 42; w++) {
		for (int h = 0; h <= 10; h++) {
			cellbuf_fill(cb, 0, 0, 50, 14, '#', ROLE_NORMAL, 0);
			plot_draw(cb, 3, 2, w, h, v, 100, &o);
			for (int y = 0; y < 14; y++)
				for (int x = 0; x < 50; x++) {
					int in = x >= 3 && x < 3 + w &&
						 y >= 2 && y < 2 + h;

					if (!in)
						assert_int_equal(
							cellbuf_at(cb, x, y)
								->ch,
							'#');
				}
		}
	}
	/* Small values (40 µs on loopback) get a 0.1 ms scale, not 1 ms. */
	static const int64_t tiny[] = { 40, 42, 38, 45, 41, 39 };
	cellbuf_clear(cb);
	assert_int_equal(plot_draw(cb, 0, 0, 40, 11, tiny, 6, NULL), 100);
	/* Empty series: an axis on the minimum 0.1 ms scale, nothing else. */
	cellbuf_clear(cb);
	assert_int_equal(plot_draw(cb, 0, 0, 40, 11, NULL, 0, NULL), 100);
	assert_non_null(strstr(text(cb, 0), "0.10 ┤⠀⠀"));
	assert_non_null(strstr(text(cb, 8), "0.00 ┤⠀⠀"));
	for (int x = 6; x < 40; x++)
		for (int y = 0; y < 9; y++)
			assert_int_equal(cellbuf_at(cb, x, y)->ch, 0x2800);
	cellbuf_free(cb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_ms),
		cmocka_unit_test(test_axes_and_labels),
		cmocka_unit_test(test_loss_column),
		cmocka_unit_test(test_loss_share),
		cmocka_unit_test(test_outlier_clipped),
		cmocka_unit_test(test_thresholds_title_ascii),
		cmocka_unit_test(test_stays_in_box),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
