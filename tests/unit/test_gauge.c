// SPDX-License-Identifier: MIT
/* Unit tests for tui/gauge: grade boundaries, RPM, layout at any width. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tui/gauge.h"

static char row[1024];

static const char *text(struct cellbuf *cb, int y)
{
	cellbuf_row_text(cb, y, row, sizeof(row));
	return row;
}

static void test_grade_boundaries(void **state)
{
	static const struct {
		double ms;
		const char *grade;
		enum cellbuf_role role;
	} t[] = {
		{ -3, "A+", ROLE_GRADE_GOOD },	  { 0, "A+", ROLE_GRADE_GOOD },
		{ 4.999, "A+", ROLE_GRADE_GOOD }, { 5, "A", ROLE_GRADE_GOOD },
		{ 29.999, "A", ROLE_GRADE_GOOD }, { 30, "B", ROLE_GRADE_MID },
		{ 59.999, "B", ROLE_GRADE_MID },  { 60, "C", ROLE_GRADE_MID },
		{ 199.999, "C", ROLE_GRADE_MID }, { 200, "D", ROLE_GRADE_BAD },
		{ 399.999, "D", ROLE_GRADE_BAD }, { 400, "F", ROLE_GRADE_BAD },
		{ 1e9, "F", ROLE_GRADE_BAD },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_string_equal(gauge_grade(t[i].ms), t[i].grade);
		assert_int_equal(gauge_grade_role(t[i].ms), t[i].role);
	}
	assert_string_equal(gauge_grade(NAN), "?");
	assert_int_equal(gauge_grade_role(NAN), ROLE_DIM);
}

static void test_rpm(void **state)
{
	assert_int_equal(gauge_rpm(100), 600);
	assert_int_equal(gauge_rpm(60000), 1);
	assert_int_equal(gauge_rpm(7), 8571);
	assert_int_equal(gauge_rpm(15.3), 3922);
	assert_int_equal(gauge_rpm(0), 0);
	assert_int_equal(gauge_rpm(-1), 0);
	assert_int_equal(gauge_rpm(NAN), 0);
}

static const struct gauge_data up = {
	.label = "Upload",
	.idle_us = 12000,
	.loaded_us = 194000,
	.age_s = 250,
};

static void test_wide_line(void **state)
{
	struct cellbuf *cb = cellbuf_new(80, 2);

	gauge_draw(cb, 0, 0, 80, 2, &up);
	assert_string_equal(text(cb, 0),
			    "Upload  C  +182 ms  idle 12 → 194 ms  RPM 309  "
			    "last test 4m ago                 ");
	assert_int_equal(cellbuf_at(cb, 8, 0)->role, ROLE_GRADE_MID);
	assert_int_equal(cellbuf_at(cb, 8, 0)->attr, CELLBUF_BOLD);
	assert_int_equal(cellbuf_at(cb, 11, 0)->role, ROLE_WARN);
	/* Bar on a 500 ms scale: 12 ms -> 2 cells idle, 194 ms -> 31 cells. */
	assert_int_equal(cellbuf_at(cb, 0, 1)->role, ROLE_OK);
	assert_int_equal(cellbuf_at(cb, 1, 1)->role, ROLE_OK);
	assert_int_equal(cellbuf_at(cb, 2, 1)->role, ROLE_GRADE_MID);
	assert_int_equal(cellbuf_at(cb, 30, 1)->role, ROLE_GRADE_MID);
	assert_int_equal(cellbuf_at(cb, 31, 1)->role, ROLE_DIM);
	assert_int_equal(cellbuf_at(cb, 31, 1)->ch, 0x2591);
	cellbuf_free(cb);
}

static void test_narrow_widths_keep_grade(void **state)
{
	struct cellbuf *cb = cellbuf_new(80, 1);

	for (int w = 1; w <= 80; w++) {
		cellbuf_clear(cb);
		gauge_draw(cb, 0, 0, w, 1, &up);
		/* Nothing outside the gauge's width. */
		for (int x = w; x < 80; x++)
			assert_int_equal(cellbuf_at(cb, x, 0)->ch, ' ');
		/* The grade letter is always there. */
		assert_non_null(strchr(text(cb, 0), 'C'));
	}
	cellbuf_clear(cb);
	gauge_draw(cb, 0, 0, 1, 1, &up);
	assert_int_equal(cellbuf_at(cb, 0, 0)->ch, 'C');
	assert_int_equal(cellbuf_at(cb, 1, 0)->ch, ' ');
	/* Drop order: RPM goes first, then idle/loaded, age, label, increase */
	cellbuf_clear(cb);
	gauge_draw(cb, 0, 0, 55, 1, &up);
	assert_null(strstr(text(cb, 0), "RPM"));
	assert_non_null(strstr(text(cb, 0), "idle"));
	cellbuf_clear(cb);
	gauge_draw(cb, 0, 0, 40, 1, &up);
	assert_null(strstr(text(cb, 0), "idle"));
	assert_non_null(strstr(text(cb, 0), "4m ago"));
	cellbuf_clear(cb);
	gauge_draw(cb, 0, 0, 16, 1, &up);
	assert_null(strstr(text(cb, 0), "ago"));
	assert_non_null(strstr(text(cb, 0), "Upload"));
	cellbuf_clear(cb);
	gauge_draw(cb, 0, 0, 10, 1, &up);
	assert_null(strstr(text(cb, 0), "Upload"));
	assert_non_null(strstr(text(cb, 0), "+182 ms"));
	cellbuf_clear(cb);
	gauge_draw(cb, 0, 0, 4, 1, &up);
	assert_null(strstr(text(cb, 0), "+"));
	cellbuf_free(cb);
}

static void test_a_plus_and_never(void **state)
{
	struct cellbuf *cb = cellbuf_new(60, 2);
	struct gauge_data d = { .label = "Download",
				.idle_us = 9000,
				.loaded_us = 12500,
				.age_s = 7200 };
	struct gauge_data never = {
		.label = "Upload", .idle_us = -1, .loaded_us = -1, .age_s = -1
	};

	cellbuf_set_ascii(cb, true);
	gauge_draw(cb, 0, 0, 60, 2, &d);
	/* 69 columns with all segments: RPM is dropped whole, never cut. */
	assert_string_equal(text(cb, 0),
			    "Download  A+  +3.5 ms  idle 9.0 -> 13 ms  "
			    "last test 2h ago  ");
	assert_int_equal(cellbuf_at(cb, 10, 0)->role, ROLE_GRADE_GOOD);
	assert_int_equal(cellbuf_at(cb, 14, 0)->role, ROLE_OK);
	cellbuf_clear(cb);
	gauge_draw(cb, 0, 0, 60, 2, &never);
	assert_string_equal(
		text(cb, 0),
		"Upload  --  never tested                           "
		"         ");
	assert_int_equal(cellbuf_at(cb, 8, 0)->role, ROLE_DIM);
	assert_string_equal(text(cb, 1),
			    "..........................................."
			    ".................");
	cellbuf_free(cb);
}

static void test_bar_clipped(void **state)
{
	struct cellbuf *cb = cellbuf_new(20, 2);
	struct gauge_data d = { .idle_us = 10000,
				.loaded_us = 900000,
				.age_s = 0,
				.scale_us = 500000 };

	gauge_draw(cb, 0, 0, 20, 2, &d);
	assert_non_null(strstr(text(cb, 0), "F"));
	assert_int_equal(cellbuf_at(cb, 19, 1)->ch, '>');
	assert_int_equal(cellbuf_at(cb, 19, 1)->role, ROLE_BAD);
	assert_int_equal(cellbuf_at(cb, 18, 1)->role, ROLE_GRADE_BAD);
	cellbuf_free(cb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_grade_boundaries),
		cmocka_unit_test(test_rpm),
		cmocka_unit_test(test_wide_line),
		cmocka_unit_test(test_narrow_widths_keep_grade),
		cmocka_unit_test(test_a_plus_and_never),
		cmocka_unit_test(test_bar_clipped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
