/* SPDX-License-Identifier: MIT */
/*
 * A column table fitted to a width.  Columns have a minimum and a preferred
 * width, a priority and an alignment.  When the table is narrow, columns are
 * dropped highest priority number first (0 = never dropped; ties drop the
 * rightmost), then the last columns are cut; spare width widens columns
 * toward their preferred width in priority order, and what is left goes to
 * the "grow" columns.  Text too long for its column ends in '…' ('~' in
 * ASCII mode); a title too long loses whole words from its end ("Recent
 * probes" -> "Recent").  One header row (ROLE_HEADER), then the rows; the
 * selected row is drawn in ROLE_SELECT over the full width and kept in view.
 */
#ifndef BB_TABLE_H
#define BB_TABLE_H

#include <stdbool.h>

#include "tui/cellbuf.h"

#define TABLE_MAX_COLS 24

enum table_align { TABLE_LEFT, TABLE_RIGHT };

struct table_col {
	const char *title;
	int min_w;		/* narrowest useful width */
	int pref_w;		/* widened up to this when there is room */
	int priority;		/* 0 = always shown; higher = dropped first */
	enum table_align align; /* numbers are TABLE_RIGHT */
	bool grow;		/* shares the width left after pref_w */
};

struct table_cell {
	const char *text;	/* UTF-8; NULL = empty */
	enum cellbuf_role role; /* ROLE_NORMAL unless the value means more */
};

struct table {
	const struct table_col *cols;
	int ncols;			/* at most TABLE_MAX_COLS */
	const struct table_cell *cells; /* nrows x ncols, row-major */
	int nrows;
	int selected; /* highlighted row, -1 = none */
	int first;    /* first row in view; table_draw keeps selected in it */
};

/* Where each column landed: x offset and width, width 0 = dropped. */
struct table_layout {
	int x[TABLE_MAX_COLS];
	int w[TABLE_MAX_COLS];
	int shown; /* number of columns with a width */
};

/* Fit the columns to w columns (one space between columns). */
void table_fit(const struct table_col *cols, int ncols, int w,
	       struct table_layout *out);
/* Draw t in w x h at (x, y); updates t->first; lay may be NULL. */
void table_draw(struct cellbuf *cb, int x, int y, int w, int h, struct table *t,
		struct table_layout *lay);

#endif
