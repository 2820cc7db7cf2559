// SPDX-License-Identifier: MIT
/* Unit tests for tui/cellbuf: clipping, UTF-8 decode/encode, the frame diff. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tui/cellbuf.h"

static char row[1024];

static const char *text(struct cellbuf *cb, int y)
{
	cellbuf_row_text(cb, y, row, sizeof(row));
	return row;
}

static void test_put_and_bounds(void **state)
{
	struct cellbuf *cb = cellbuf_new(10, 3);

	assert_non_null(cb);
	assert_int_equal(cellbuf_width(cb), 10);
	assert_int_equal(cellbuf_height(cb), 3);
	assert_int_equal(cellbuf_put(cb, 2, 1, "héllo", ROLE_OK, 0), 5);
	assert_string_equal(text(cb, 1), "  héllo   ");
	assert_int_equal(cellbuf_at(cb, 3, 1)->ch, 0xe9);
	assert_int_equal(cellbuf_at(cb, 3, 1)->role, ROLE_OK);
	/* Off the right edge and off every side: dropped, never written. */
	assert_int_equal(cellbuf_put(cb, 7, 0, "abcdef", ROLE_NORMAL, 0), 6);
	assert_string_equal(text(cb, 0), "       abc");
	cellbuf_put(cb, -2, 2, "xyz", ROLE_NORMAL, 0);
	assert_string_equal(text(cb, 2), "z         ");
	cellbuf_put(cb, 0, -1, "nope", ROLE_NORMAL, 0);
	cellbuf_put(cb, 0, 3, "nope", ROLE_NORMAL, 0);
	cellbuf_fill(cb, -100, -100, 1 << 30, 1 << 30, '#', ROLE_DIM, 0);
	for (int y = 0; y < 3; y++)
		assert_string_equal(text(cb, y), "##########");
	assert_null(cellbuf_at(cb, 10, 0));
	assert_null(cellbuf_at(cb, 0, -1));
	cellbuf_free(cb);
}

static void test_clip_rect(void **state)
{
	struct cellbuf *cb = cellbuf_new(8, 4);

	cellbuf_clip(cb, 2, 1, 3, 2);
	cellbuf_fill(cb, 0, 0, 8, 4, 'x', ROLE_NORMAL, 0);
	assert_string_equal(text(cb, 0), "        ");
	assert_string_equal(text(cb, 1), "  xxx   ");
	assert_string_equal(text(cb, 2), "  xxx   ");
	assert_string_equal(text(cb, 3), "        ");
	/* A clip partly outside the buffer is intersected with it. */
	cellbuf_clip(cb, 6, 3, 10, 10);
	cellbuf_put(cb, 0, 3, "abcdefghij", ROLE_NORMAL, 0);
	assert_string_equal(text(cb, 3), "      gh");
	cellbuf_unclip(cb);
	cellbuf_put(cb, 0, 0, "ok", ROLE_NORMAL, 0);
	assert_string_equal(text(cb, 0), "ok      ");
	cellbuf_free(cb);
}

static void test_putn_printf_attrs(void **state)
{
	struct cellbuf *cb = cellbuf_new(12, 1);

	assert_int_equal(cellbuf_putn(cb, 0, 0, 3, "abcdef", ROLE_NORMAL, 0),
			 3);
	assert_int_equal(
		cellbuf_printf(cb, 4, 0, ROLE_BAD, CELLBUF_BOLD, "%d ms", 42),
		5);
	assert_string_equal(text(cb, 0), "abc 42 ms   ");
	assert_int_equal(cellbuf_at(cb, 4, 0)->role, ROLE_BAD);
	assert_int_equal(cellbuf_at(cb, 4, 0)->attr, CELLBUF_BOLD);
	/* Controls are never stored; unknown attribute bits are dropped. */
	cellbuf_set(cb, 0, 0, '\033', ROLE_NORMAL, 0xff);
	assert_int_equal(cellbuf_at(cb, 0, 0)->ch, '?');
	assert_int_equal(cellbuf_at(cb, 0, 0)->attr,
			 CELLBUF_BOLD | CELLBUF_REVERSE | CELLBUF_UNDERLINE);
	cellbuf_set(cb, 1, 0, 0x9b, (enum cellbuf_role)200, 0);
	assert_int_equal(cellbuf_at(cb, 1, 0)->ch, '?');
	assert_int_equal(cellbuf_at(cb, 1, 0)->role, ROLE_NORMAL);
	cellbuf_free(cb);
}

static void test_ascii_mode_and_lines(void **state)
{
	struct cellbuf *cb = cellbuf_new(5, 3);

	cellbuf_box(cb, 0, 0, 5, 3, ROLE_DIM);
	assert_string_equal(text(cb, 0), "┌───┐");
	assert_string_equal(text(cb, 1), "│   │");
	assert_string_equal(text(cb, 2), "└───┘");
	cellbuf_set_ascii(cb, true);
	assert_true(cellbuf_ascii(cb));
	cellbuf_box(cb, 0, 0, 5, 3, ROLE_DIM);
	assert_string_equal(text(cb, 0), "+---+");
	assert_string_equal(text(cb, 1), "|   |");
	cellbuf_put(cb, 1, 1, "é█", ROLE_NORMAL, 0);
	assert_string_equal(text(cb, 1), "|?? |");
	cellbuf_free(cb);
}

static void test_utf8_decode(void **state)
{
	uint32_t cp;

	assert_int_equal(cellbuf_utf8_decode("A", 1, &cp), 1);
	assert_int_equal(cp, 'A');
	assert_int_equal(cellbuf_utf8_decode("\xc3\xa9", 2, &cp), 2);
	assert_int_equal(cp, 0xe9);
	assert_int_equal(cellbuf_utf8_decode("\xe2\x96\x81", 3, &cp), 3);
	assert_int_equal(cp, 0x2581);
	assert_int_equal(cellbuf_utf8_decode("\xe2\xa3\xbf", 3, &cp), 3);
	assert_int_equal(cp, 0x28ff);
	assert_int_equal(cellbuf_utf8_decode("\xf0\x9f\x98\x80", 4, &cp), 4);
	assert_int_equal(cp, 0x1f600);
	/* Malformed input: one replacement per bad spot, never a skip of a
	 * good byte. */
	assert_int_equal(cellbuf_utf8_decode("\x80z", 2, &cp), 1);
	assert_int_equal(cp, 0xfffd);
	assert_int_equal(cellbuf_utf8_decode("\xc0\xaf", 2, &cp), 1);
	assert_int_equal(cp, 0xfffd); /* overlong lead byte */
	assert_int_equal(cellbuf_utf8_decode("\xe0\x80\xaf", 3, &cp), 3);
	assert_int_equal(cp, 0xfffd); /* overlong 3-byte */
	assert_int_equal(cellbuf_utf8_decode("\xed\xa0\x80", 3, &cp), 3);
	assert_int_equal(cp, 0xfffd); /* surrogate */
	assert_int_equal(cellbuf_utf8_decode("\xe2\x96z", 3, &cp), 2);
	assert_int_equal(cp, 0xfffd); /* truncated: 'z' is kept */
	assert_int_equal(cellbuf_utf8_decode("\xe2\x96", 2, &cp), 2);
	assert_int_equal(cp, 0xfffd);
	assert_int_equal(cellbuf_utf8_decode("\xf5\x80\x80\x80", 4, &cp), 1);
	assert_int_equal(cp, 0xfffd);
	assert_int_equal(cellbuf_utf8_width("a\xe2\x96z…"), 4);
}

static void test_utf8_roundtrip(void **state)
{
	static const uint32_t cps[] = { 0x24,	0x7f,	0x80,	 0x7ff,	  0x800,
					0xfffd, 0xffff, 0x10000, 0x10ffff };
	char buf[4];

	for (size_t i = 0; i < sizeof(cps) / sizeof(cps[0]); i++) {
		uint32_t back;
		int n = cellbuf_utf8_encode(cps[i], buf);

		assert_int_equal(cellbuf_utf8_decode(buf, (size_t)n, &back), n);
		assert_int_equal(back, cps[i]);
	}
	assert_int_equal(cellbuf_utf8_encode(0xd800, buf), 3);
	assert_memory_equal(buf, "\xef\xbf\xbd", 3);
}

struct runs {
	int n;
	int x[16], y[16], len[16];
	uint32_t first[16];
};

static void collect(void *ctx, int x, int y, const struct cellbuf_cell *c,
		    int n)
{
	struct runs *r = ctx;

	assert_true(r->n < 16);
	r->x[r->n] = x;
	r->y[r->n] = y;
	r->len[r->n] = n;
	r->first[r->n] = c[0].ch;
	r->n++;
}

static void test_diff(void **state)
{
	struct cellbuf *cb = cellbuf_new(6, 3);
	struct runs r = { 0 };

	/* First frame: everything, one run per row. */
	assert_int_equal(cellbuf_diff(cb, collect, &r), 18);
	assert_int_equal(r.n, 3);
	assert_int_equal(r.len[2], 6);
	/* Nothing changed: nothing reported. */
	memset(&r, 0, sizeof(r));
	assert_int_equal(cellbuf_diff(cb, collect, &r), 0);
	assert_int_equal(r.n, 0);
	/* Two separate changes on one row and a role-only change. */
	cellbuf_set(cb, 1, 1, 'a', ROLE_NORMAL, 0);
	cellbuf_put(cb, 3, 1, "bc", ROLE_NORMAL, 0);
	cellbuf_set(cb, 5, 2, ' ', ROLE_BAD, 0);
	assert_int_equal(cellbuf_diff(cb, collect, &r), 4);
	assert_int_equal(r.n, 3);
	assert_int_equal(r.x[0], 1);
	assert_int_equal(r.y[0], 1);
	assert_int_equal(r.len[0], 1);
	assert_int_equal(r.first[0], 'a');
	assert_int_equal(r.x[1], 3);
	assert_int_equal(r.len[1], 2);
	assert_int_equal(r.first[1], 'b');
	assert_int_equal(r.x[2], 5);
	assert_int_equal(r.y[2], 2);
	/* Redrawing the same content is not a change. */
	memset(&r, 0, sizeof(r));
	cellbuf_clear(cb);
	cellbuf_set(cb, 1, 1, 'a', ROLE_NORMAL, 0);
	cellbuf_put(cb, 3, 1, "bc", ROLE_NORMAL, 0);
	cellbuf_set(cb, 5, 2, ' ', ROLE_BAD, 0);
	assert_int_equal(cellbuf_diff(cb, collect, &r), 0);
	/* Attribute change counts; invalidate reports everything again. */
	cellbuf_set(cb, 1, 1, 'a', ROLE_NORMAL, CELLBUF_REVERSE);
	assert_int_equal(cellbuf_diff(cb, NULL, NULL), 1);
	cellbuf_invalidate(cb);
	assert_int_equal(cellbuf_diff(cb, NULL, NULL), 18);
	assert_int_equal(cellbuf_diff(cb, NULL, NULL), 0);
	cellbuf_free(cb);
}

static void test_resize(void **state)
{
	struct cellbuf *cb = cellbuf_new(4, 2);

	cellbuf_put(cb, 0, 0, "abcd", ROLE_NORMAL, 0);
	cellbuf_diff(cb, NULL, NULL);
	assert_int_equal(cellbuf_resize(cb, 7, 3), 0);
	assert_int_equal(cellbuf_width(cb), 7);
	assert_string_equal(text(cb, 0), "       ");
	assert_int_equal(cellbuf_diff(cb, NULL, NULL), 21);
	assert_int_equal(cellbuf_resize(cb, 0, 0), 0);
	cellbuf_put(cb, 0, 0, "x", ROLE_NORMAL, 0);
	assert_int_equal(cellbuf_diff(cb, NULL, NULL), 0);
	assert_int_equal(cellbuf_row_text(cb, 0, row, sizeof(row)), 0);
	cellbuf_free(cb);
}

static void test_row_text_small_buffer(void **state)
{
	struct cellbuf *cb = cellbuf_new(4, 1);
	char small[6];

	cellbuf_put(cb, 0, 0, "a██b", ROLE_NORMAL, 0);
	/* "a" + one 3-byte block fits in 5 bytes + NUL; never split a char */
	assert_int_equal(cellbuf_row_text(cb, 0, small, sizeof(small)), 4);
	assert_string_equal(small, "a█");
	cellbuf_free(cb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_put_and_bounds),
		cmocka_unit_test(test_clip_rect),
		cmocka_unit_test(test_putn_printf_attrs),
		cmocka_unit_test(test_ascii_mode_and_lines),
		cmocka_unit_test(test_utf8_decode),
		cmocka_unit_test(test_utf8_roundtrip),
		cmocka_unit_test(test_diff),
		cmocka_unit_test(test_resize),
		cmocka_unit_test(test_row_text_small_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
