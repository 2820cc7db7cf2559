/* SPDX-License-Identifier: MIT */
/*
 * The terminal: the "tty" layer and the only code that talks to curses.
 * It owns the one ncurses screen (a process-wide singleton, so this module
 * keeps static state instead of a handle), maps colour roles to colour pairs
 * for a dark and a light theme, copies the changed cells of a cell buffer to
 * the screen, and turns input into term_key values.
 *
 * Lifecycle: term_init() after setting up signals and before the event loop,
 * term_fini() on every exit path.  The input fd is for a libev io watcher;
 * on readable, call term_read_key() until it returns TERM_KEY_NONE.
 * Resizes: install an ev_signal for SIGWINCH and call term_handle_resize()
 * from it (ncurses only notices a resize inside a read otherwise).
 */
#ifndef BB_TERM_H
#define BB_TERM_H

#include <stdbool.h>

#include "tui/cellbuf.h"

/* Keys: Unicode code points below 0x110000, named keys above. */
enum term_key {
	TERM_KEY_NONE = -1,
	TERM_KEY_UP = 0x110000,
	TERM_KEY_DOWN,
	TERM_KEY_LEFT,
	TERM_KEY_RIGHT,
	TERM_KEY_PGUP,
	TERM_KEY_PGDN,
	TERM_KEY_HOME,
	TERM_KEY_END,
	TERM_KEY_ENTER,
	TERM_KEY_ESC,
	TERM_KEY_BACKSPACE,
	TERM_KEY_DELETE,
	TERM_KEY_TAB,
	TERM_KEY_BACKTAB,
	TERM_KEY_RESIZE, /* the size changed: see term_size() */
	TERM_KEY_MOUSE,	 /* a mouse event: see term_mouse() */
	TERM_KEY_F1,	 /* F1..F12 are TERM_KEY_F1 + 0..11 */
	TERM_KEY_OTHER = TERM_KEY_F1 + 12, /* a key we have no name for */
};

enum term_theme { TERM_THEME_DARK, TERM_THEME_LIGHT };

/* What the terminal can do, as decided by term_init(). */
struct term_info {
	int w, h;
	bool utf8;  /* the locale's codeset is UTF-8 */
	bool color; /* colours in use (has_colors and no NO_COLOR) */
	/* one line for the user, "" when none: the terminal type used in
	 * place of a TERM without a terminfo entry, or (term_init failed)
	 * why no terminal type would do */
	char note[200];
};

/* Take over the terminal (locale, curses modes, colours); 0 or -errno.
 * A TERM without a terminfo entry (xterm-kitty on a host without kitty's)
 * falls back to the first of xterm-256color, xterm, vt100 that has one,
 * and says so in info->note. */
int term_init(struct term_info *info);
/* Give the terminal back as it was; safe to call twice or without init. */
void term_fini(void);
/* The fd to watch for input (stdin). */
int term_fd(void);
/* Switch colour theme; takes effect on the next term_draw(). */
void term_set_theme(enum term_theme theme);
/* Copy the cells changed since the last draw to the screen; 0 or -errno. */
int term_draw(struct cellbuf *cb);
/* Clear and repaint everything on the next term_draw (Ctrl-L). */
void term_redraw_all(struct cellbuf *cb);
/* One key without blocking, TERM_KEY_NONE when there is none. */
int term_read_key(void);
/* Re-read the window size after SIGWINCH; returns TERM_KEY_RESIZE. */
int term_handle_resize(void);
/* The mouse event TERM_KEY_MOUSE stands for: cell x, y and what it was:
 * 1 button 1 pressed, 4 wheel up, 5 wheel down (else 0). */
struct term_mouse {
	int x, y, button;
};
void term_mouse(struct term_mouse *out);
/* Current size in cells. */
void term_size(int *w, int *h);

/* The terminal type to use for TERM (NULL: unset): TERM when it has a
 * terminfo entry, else the first fallback that has one (note says which
 * and why), NULL when none has (note says so). */
const char *term_pick_type(const char *term, char *note, size_t len);
/* True when a nl_langinfo(CODESET) name means UTF-8 (pure, for tests). */
bool term_codeset_is_utf8(const char *codeset);
/* True when colours should be used: has_colors and NO_COLOR unset or "". */
bool term_want_color(bool has_colors, const char *no_color_env);

#endif
