// SPDX-License-Identifier: MIT
/*
 * Column fitting and drawing for tables (see table.h).  table_fit is pure and
 * never allocates; table_draw draws only inside its w x h box (every column
 * lies inside the fitted width), so it leaves the caller's clip alone.
 */
#include "tui/table.h"

#include <stdio.h>
#include <string.h>

#define SEP 1

static int pref_of(const struct table_col *c)
{
	return c->pref_w > c->min_w ? c->pref_w : c->min_w;
}

static int min_of(const struct table_col *c)
{
	return c->min_w > 0 ? c->min_w : 1;
}

void table_fit(const struct table_col *cols, int ncols, int w,
	       struct table_layout *out)
{
	bool on[TABLE_MAX_COLS];
	int need = 0, k = 0, spare, order[TABLE_MAX_COLS], ngrow = 0;

	memset(out, 0, sizeof(*out));
	if (ncols > TABLE_MAX_COLS)
		ncols = TABLE_MAX_COLS;
	if (ncols <= 0 || w <= 0)
		return;
	for (int i = 0; i < ncols; i++) {
		on[i] = true;
		need += min_of(&cols[i]) + (k++ ? SEP : 0);
	}
	/* Drop the least important column until the minimums fit. */
	while (need > w) {
		int drop = -1;

		for (int i = 0; i < ncols; i++)
			if (on[i] && cols[i].priority > 0 &&
			    (drop < 0 ||
			     cols[i].priority >= cols[drop].priority))
				drop = i;
		if (drop < 0)
			break;
		on[drop] = false;
		need -= min_of(&cols[drop]) + (--k ? SEP : 0);
	}
	/* Minimums, cutting the last columns if they still do not fit. */
	spare = w;
	for (int i = 0; i < ncols; i++) {
		int sep = out->shown ? SEP : 0;

		if (!on[i] || spare - sep <= 0) {
			on[i] = false;
			continue;
		}
		out->w[i] = min_of(&cols[i]);
		if (out->w[i] > spare - sep)
			out->w[i] = spare - sep;
		spare -= out->w[i] + sep;
		out->shown++;
	}
	/* Toward pref_w, most important first (insertion sort: stable). */
	k = 0;
	for (int i = 0; i < ncols; i++) {
		int j;

		if (!on[i])
			continue;
		for (j = k++;
		     j > 0 && cols[order[j - 1]].priority > cols[i].priority;
		     j--)
			order[j] = order[j - 1];
		order[j] = i;
	}
	for (int j = 0; j < k && spare > 0; j++) {
		int i = order[j], add = pref_of(&cols[i]) - out->w[i];

		if (add > spare)
			add = spare;
		if (add > 0) {
			out->w[i] += add;
			spare -= add;
		}
	}
	for (int i = 0; i < ncols; i++)
		ngrow += on[i] && cols[i].grow;
	for (int i = 0, g = 0; i < ncols && ngrow; i++) {
		int add;

		if (!on[i] || !cols[i].grow)
			continue;
		add = spare / (ngrow - g++);
		out->w[i] += add;
		spare -= add;
	}
	for (int i = 0, at = 0; i < ncols; i++) {
		if (!on[i])
			continue;
		out->x[i] = at;
		at += out->w[i] + SEP;
	}
}

static void draw_text(struct cellbuf *cb, int x, int y, int cw, const char *s,
		      enum table_align align, enum cellbuf_role role,
		      unsigned attr)
{
	int tw;

	if (!s || cw <= 0)
		return;
	tw = cellbuf_utf8_width(s);
	if (tw <= cw) {
		cellbuf_put(cb, align == TABLE_RIGHT ? x + cw - tw : x, y, s,
			    role, attr);
		return;
	}
	cellbuf_putn(cb, x, y, cw - 1, s, role, attr);
	cellbuf_set(cb, x + cw - 1, y, cellbuf_ascii(cb) ? '~' : 0x2026, role,
		    attr);
}

/* A column title too long for its column loses whole words from its end
 * ("Recent probes" -> "Recent" -> nothing), never letters: a header cut
 * as "Recent pr…" reads as a different word. */
static void draw_title(struct cellbuf *cb, int x, int y, int cw, const char *s,
		       enum table_align align)
{
	char fit[64];
	int tw;

	if (!s || cw <= 0)
		return;
	snprintf(fit, sizeof(fit), "%s", s);
	while ((tw = cellbuf_utf8_width(fit)) > cw) {
		char *sp = strrchr(fit, ' ');

		if (!sp)
			return;
		*sp = 0;
	}
	cellbuf_put(cb, align == TABLE_RIGHT ? x + cw - tw : x, y, fit,
		    ROLE_HEADER, CELLBUF_BOLD);
}

void table_draw(struct cellbuf *cb, int x, int y, int w, int h, struct table *t,
		struct table_layout *lay)
{
	struct table_layout mine;
	int rows = h - 1, ncols = t->ncols;

	if (!lay)
		lay = &mine;
	table_fit(t->cols, ncols, w, lay);
	if (w <= 0 || h <= 0)
		return;
	if (ncols > TABLE_MAX_COLS)
		ncols = TABLE_MAX_COLS;
	cellbuf_fill(cb, x, y, w, h, ' ', ROLE_NORMAL, 0);
	cellbuf_fill(cb, x, y, w, 1, ' ', ROLE_HEADER, 0);
	for (int c = 0; c < ncols; c++)
		if (lay->w[c])
			draw_title(cb, x + lay->x[c], y, lay->w[c],
				   t->cols[c].title, t->cols[c].align);

	/* Keep the selected row in view, then clamp. */
	if (t->selected >= 0 && t->selected < t->first)
		t->first = t->selected;
	if (t->selected >= 0 && rows > 0 && t->selected >= t->first + rows)
		t->first = t->selected - rows + 1;
	if (t->first > t->nrows - rows)
		t->first = t->nrows - rows;
	if (t->first < 0)
		t->first = 0;

	for (int r = 0; r < rows && t->first + r < t->nrows; r++) {
		int row = t->first + r;
		bool sel = row == t->selected;
		const struct table_cell *cells =
			t->cells + (size_t)row * t->ncols;

		if (sel)
			cellbuf_fill(cb, x, y + 1 + r, w, 1, ' ', ROLE_SELECT,
				     0);
		for (int c = 0; c < ncols; c++)
			if (lay->w[c])
				draw_text(cb, x + lay->x[c], y + 1 + r,
					  lay->w[c], cells[c].text,
					  t->cols[c].align,
					  sel ? ROLE_SELECT : cells[c].role, 0);
	}
}
