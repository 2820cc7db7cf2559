/* SPDX-License-Identifier: MIT */
/*
 * The key bindings: one const table (key, where it applies, handler, the
 * words for the footer and the help overlay).  Handlers change struct ui
 * and return flags, as htop's panels do; the footer and the help overlay
 * are drawn from the same table, so they cannot disagree with the code.
 */
#ifndef BB_KEYS_H
#define BB_KEYS_H

#include <stdbool.h>
#include <stddef.h>

struct ui;

/* Handler results. */
enum {
	KEY_HANDLED = 1 << 0, /* the key meant something */
	KEY_REDRAW = 1 << 1,  /* the screen must be drawn again */
	KEY_QUIT = 1 << 2,    /* leave the program */
};

/* Where a binding applies: views (1 << enum view_id) and modes. */
#define KEYS_ALL_VIEWS 0x1f
#define KEYS_LIVE      0x20
#define KEYS_REPLAY    0x40
#define KEYS_ANYWHERE  (KEYS_ALL_VIEWS | KEYS_LIVE | KEYS_REPLAY)

typedef int key_fn(struct ui *ui, int key);

struct key_binding {
	int key, alt;	/* alt: a second key doing the same, 0 = none */
	unsigned where; /* KEYS_* mask */
	key_fn *fn;
	const char *label; /* "q", "j/k", "Enter" */
	const char *help;  /* "quit" */
	bool footer;	   /* shown in the footer line */
	/* the footer's words when one entry there stands for several keys
	 * ("1-5" "views"); NULL: label and help */
	const char *flabel, *fhelp;
};

extern const struct key_binding keys_table[];
extern const size_t keys_count;

/* Handle one key (enum term_key or a code point); returns KEY_* flags. */
int keys_dispatch(struct ui *ui, int key);
/* A mouse event on the dashboard (as htop): a click (clicks 1) on a
 * target row selects it, a double click (clicks 2) opens its drilldown;
 * wheel -1 / +1 moves the selection up / down.  Returns KEY_* flags. */
int keys_mouse(struct ui *ui, int y, int clicks, int wheel);
/* True when binding b applies to the current view and mode. */
bool keys_applies(const struct ui *ui, const struct key_binding *b);

#endif
