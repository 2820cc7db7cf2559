// SPDX-License-Identifier: MIT
/*
 * The cell buffer (see cellbuf.h).  Two arrays of w*h cells: the frame being
 * drawn and the last frame handed to the terminal.  cellbuf_diff() walks both
 * row by row and reports runs of differing cells, then copies the frame over.
 * Invariants: cells[] and prev[] always hold w*h cells; the clip rectangle
 * always lies inside the buffer; a cell never holds a control character, and
 * holds only printable ASCII while the buffer is in ASCII mode.
 */
#include "tui/cellbuf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cellbuf {
	int w, h;
	struct cellbuf_cell *cells; /* current frame */
	struct cellbuf_cell *prev;  /* last frame reported by diff */
	bool full;		    /* next diff reports every cell */
	bool ascii;
	int cx0, cy0, cx1, cy1; /* clip: [cx0, cx1) x [cy0, cy1) */
};

static const struct cellbuf_cell blank = { ' ', ROLE_NORMAL, 0 };

static void fill_blank(struct cellbuf_cell *c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		c[i] = blank;
}

struct cellbuf *cellbuf_new(int w, int h)
{
	struct cellbuf *cb = calloc(1, sizeof(*cb));

	if (!cb)
		return NULL;
	if (cellbuf_resize(cb, w, h) < 0) {
		free(cb);
		return NULL;
	}
	return cb;
}

void cellbuf_free(struct cellbuf *cb)
{
	if (!cb)
		return;
	free(cb->cells);
	free(cb->prev);
	free(cb);
}

int cellbuf_resize(struct cellbuf *cb, int w, int h)
{
	struct cellbuf_cell *cells, *prev;
	size_t n;

	if (w < 0)
		w = 0;
	if (h < 0)
		h = 0;
	n = (size_t)w * (size_t)h;
	/* Never ask for zero bytes: keep the pointers valid for any size. */
	cells = malloc((n ? n : 1) * sizeof(*cells));
	prev = malloc((n ? n : 1) * sizeof(*prev));
	if (!cells || !prev) {
		free(cells);
		free(prev);
		return -ENOMEM;
	}
	free(cb->cells);
	free(cb->prev);
	cb->cells = cells;
	cb->prev = prev;
	cb->w = w;
	cb->h = h;
	fill_blank(cells, n);
	fill_blank(prev, n);
	cb->full = true;
	cellbuf_unclip(cb);
	return 0;
}

int cellbuf_width(const struct cellbuf *cb)
{
	return cb->w;
}

int cellbuf_height(const struct cellbuf *cb)
{
	return cb->h;
}

void cellbuf_set_ascii(struct cellbuf *cb, bool ascii)
{
	cb->ascii = ascii;
}

bool cellbuf_ascii(const struct cellbuf *cb)
{
	return cb->ascii;
}

static int clampi(int v, int lo, int hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

void cellbuf_clip(struct cellbuf *cb, int x, int y, int w, int h)
{
	long x1 = (long)x + (w > 0 ? w : 0);
	long y1 = (long)y + (h > 0 ? h : 0);

	cb->cx0 = clampi(x, 0, cb->w);
	cb->cy0 = clampi(y, 0, cb->h);
	cb->cx1 = x1 > cb->w ? cb->w : x1 < cb->cx0 ? cb->cx0 : (int)x1;
	cb->cy1 = y1 > cb->h ? cb->h : y1 < cb->cy0 ? cb->cy0 : (int)y1;
}

void cellbuf_unclip(struct cellbuf *cb)
{
	cb->cx0 = cb->cy0 = 0;
	cb->cx1 = cb->w;
	cb->cy1 = cb->h;
}

void cellbuf_clear(struct cellbuf *cb)
{
	fill_blank(cb->cells, (size_t)cb->w * (size_t)cb->h);
}

void cellbuf_set(struct cellbuf *cb, int x, int y, uint32_t ch,
		 enum cellbuf_role role, unsigned attr)
{
	struct cellbuf_cell *c;

	if (x < cb->cx0 || x >= cb->cx1 || y < cb->cy0 || y >= cb->cy1)
		return;
	if (ch < 0x20 || (ch >= 0x7f && ch < 0xa0) || ch > 0x10ffff)
		ch = '?';
	else if (cb->ascii && ch > 0x7e)
		ch = '?';
	c = &cb->cells[(size_t)y * (size_t)cb->w + (size_t)x];
	c->ch = ch;
	c->role = (unsigned)role < ROLE_COUNT ? (uint8_t)role : ROLE_NORMAL;
	c->attr = (uint8_t)(attr & (CELLBUF_BOLD | CELLBUF_REVERSE |
				    CELLBUF_UNDERLINE));
}

const struct cellbuf_cell *cellbuf_at(const struct cellbuf *cb, int x, int y)
{
	if (x < 0 || x >= cb->w || y < 0 || y >= cb->h)
		return NULL;
	return &cb->cells[(size_t)y * (size_t)cb->w + (size_t)x];
}

int cellbuf_putn(struct cellbuf *cb, int x, int y, int maxw, const char *s,
		 enum cellbuf_role role, unsigned attr)
{
	size_t len = strlen(s), i = 0;
	int col = 0;

	while (i < len && col < maxw) {
		uint32_t cp;

		i += (size_t)cellbuf_utf8_decode(s + i, len - i, &cp);
		cellbuf_set(cb, x + col, y, cp, role, attr);
		col++;
	}
	return col;
}

int cellbuf_put(struct cellbuf *cb, int x, int y, const char *s,
		enum cellbuf_role role, unsigned attr)
{
	return cellbuf_putn(cb, x, y, 1 << 30, s, role, attr);
}

int cellbuf_printf(struct cellbuf *cb, int x, int y, enum cellbuf_role role,
		   unsigned attr, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return cellbuf_put(cb, x, y, buf, role, attr);
}

void cellbuf_fill(struct cellbuf *cb, int x, int y, int w, int h, uint32_t ch,
		  enum cellbuf_role role, unsigned attr)
{
	/* Clamp to the clip first so huge rectangles cost nothing. */
	int x0 = x > cb->cx0 ? x : cb->cx0, y0 = y > cb->cy0 ? y : cb->cy0;
	long x1 = (long)x + w, y1 = (long)y + h;

	if (x1 > cb->cx1)
		x1 = cb->cx1;
	if (y1 > cb->cy1)
		y1 = cb->cy1;
	for (int r = y0; r < y1; r++)
		for (int c = x0; c < x1; c++)
			cellbuf_set(cb, c, r, ch, role, attr);
}

void cellbuf_hline(struct cellbuf *cb, int x, int y, int w,
		   enum cellbuf_role role)
{
	cellbuf_fill(cb, x, y, w, 1, cb->ascii ? '-' : 0x2500, role, 0);
}

void cellbuf_vline(struct cellbuf *cb, int x, int y, int h,
		   enum cellbuf_role role)
{
	cellbuf_fill(cb, x, y, 1, h, cb->ascii ? '|' : 0x2502, role, 0);
}

void cellbuf_box(struct cellbuf *cb, int x, int y, int w, int h,
		 enum cellbuf_role role)
{
	bool a = cb->ascii;

	if (w < 2 || h < 2)
		return;
	cellbuf_hline(cb, x + 1, y, w - 2, role);
	cellbuf_hline(cb, x + 1, y + h - 1, w - 2, role);
	cellbuf_vline(cb, x, y + 1, h - 2, role);
	cellbuf_vline(cb, x + w - 1, y + 1, h - 2, role);
	cellbuf_set(cb, x, y, a ? '+' : 0x250c, role, 0);
	cellbuf_set(cb, x + w - 1, y, a ? '+' : 0x2510, role, 0);
	cellbuf_set(cb, x, y + h - 1, a ? '+' : 0x2514, role, 0);
	cellbuf_set(cb, x + w - 1, y + h - 1, a ? '+' : 0x2518, role, 0);
}

int cellbuf_utf8_decode(const char *s, size_t n, uint32_t *cp)
{
	const unsigned char *u = (const unsigned char *)s;
	uint32_t c, min;
	size_t need;

	if (n == 0) {
		*cp = 0xfffd;
		return 0;
	}
	c = u[0];
	if (c < 0x80) {
		*cp = c;
		return 1;
	} else if (c >= 0xc2 && c <= 0xdf) {
		need = 1, c &= 0x1f, min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		need = 2, c &= 0x0f, min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 3, c &= 0x07, min = 0x10000;
	} else {
		*cp = 0xfffd; /* continuation byte, 0xc0/0xc1 or > 0xf4 */
		return 1;
	}
	for (size_t i = 1; i <= need; i++) {
		if (i >= n || (u[i] & 0xc0) != 0x80) {
			*cp = 0xfffd; /* truncated: resume at the bad byte */
			return (int)i;
		}
		c = (c << 6) | (u[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		c = 0xfffd;
	*cp = c;
	return (int)need + 1;
}

int cellbuf_utf8_encode(uint32_t cp, char out[static 4])
{
	unsigned char *o = (unsigned char *)out;

	if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		cp = 0xfffd;
	if (cp < 0x80) {
		o[0] = (unsigned char)cp;
		return 1;
	} else if (cp < 0x800) {
		o[0] = (unsigned char)(0xc0 | (cp >> 6));
		o[1] = (unsigned char)(0x80 | (cp & 0x3f));
		return 2;
	} else if (cp < 0x10000) {
		o[0] = (unsigned char)(0xe0 | (cp >> 12));
		o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (unsigned char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (unsigned char)(0xf0 | (cp >> 18));
	o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (unsigned char)(0x80 | (cp & 0x3f));
	return 4;
}

int cellbuf_utf8_width(const char *s)
{
	size_t len = strlen(s), i = 0;
	int cols = 0;

	while (i < len) {
		uint32_t cp;

		i += (size_t)cellbuf_utf8_decode(s + i, len - i, &cp);
		cols++;
	}
	return cols;
}

static bool same(const struct cellbuf_cell *a, const struct cellbuf_cell *b)
{
	return a->ch == b->ch && a->role == b->role && a->attr == b->attr;
}

int cellbuf_diff(struct cellbuf *cb, cellbuf_run_fn *fn, void *ctx)
{
	int changed = 0;

	for (int y = 0; y < cb->h; y++) {
		const struct cellbuf_cell *row = cb->cells + (size_t)y * cb->w;
		const struct cellbuf_cell *old = cb->prev + (size_t)y * cb->w;
		int x = 0;

		while (x < cb->w) {
			int start;

			if (!cb->full && same(&row[x], &old[x])) {
				x++;
				continue;
			}
			start = x;
			while (x < cb->w &&
			       (cb->full || !same(&row[x], &old[x])))
				x++;
			changed += x - start;
			if (fn)
				fn(ctx, start, y, row + start, x - start);
		}
	}
	memcpy(cb->prev, cb->cells, (size_t)cb->w * cb->h * sizeof(*cb->cells));
	cb->full = false;
	return changed;
}

void cellbuf_invalidate(struct cellbuf *cb)
{
	cb->full = true;
}

size_t cellbuf_row_text(const struct cellbuf *cb, int y, char *out, size_t size)
{
	size_t len = 0;

	if (size == 0)
		return 0;
	for (int x = 0; y >= 0 && y < cb->h && x < cb->w; x++) {
		char enc[4];
		int n = cellbuf_utf8_encode(cb->cells[(size_t)y * cb->w + x].ch,
					    enc);

		if (len + (size_t)n >= size)
			break;
		memcpy(out + len, enc, (size_t)n);
		len += (size_t)n;
	}
	out[len] = '\0';
	return len;
}
