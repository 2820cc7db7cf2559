// SPDX-License-Identifier: MIT
/*
 * The terminal (see term.h): the only file that includes curses.  It keeps
 * the single ncurses SCREEN in static state; colour pair N + 1 is role N, set
 * from the theme table, and everything else about looks (bold, reverse) comes
 * from the same tables, so a view never names a colour.  Without colours
 * (has_colors() false, or NO_COLOR set, https://no-color.org) roles become
 * attributes only: selection is reverse video, warnings bold, and so on.
 * Invariant: when the locale is not UTF-8 only printable ASCII reaches the
 * screen, whatever the cell buffer holds.
 */
#define NCURSES_WIDECHAR 1 /* wide-character curses: setcchar, get_wch */

#include "tui/term.h"

#include <curses.h>
#include <term.h>
#include <errno.h>
#include <langinfo.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <wchar.h>

#define DFLT (-1) /* the terminal's own foreground or background */
#define GREY 8	  /* bright black, used when the terminal has 16 colours */

struct look {
	short fg, bg;
	attr_t attr;
};

static const struct look dark[ROLE_COUNT] = {
	[ROLE_NORMAL] = { DFLT, DFLT, 0 },
	[ROLE_DIM] = { GREY, DFLT, 0 },
	[ROLE_OK] = { COLOR_GREEN, DFLT, 0 },
	[ROLE_WARN] = { COLOR_YELLOW, DFLT, A_BOLD },
	[ROLE_BAD] = { COLOR_RED, DFLT, A_BOLD },
	[ROLE_TITLE] = { COLOR_CYAN, DFLT, A_BOLD },
	[ROLE_HEADER] = { DFLT, DFLT, A_BOLD | A_UNDERLINE },
	[ROLE_SELECT] = { COLOR_BLACK, COLOR_CYAN, 0 },
	[ROLE_LOSS] = { COLOR_WHITE, COLOR_RED, A_BOLD },
	[ROLE_GRADE_GOOD] = { COLOR_BLACK, COLOR_GREEN, A_BOLD },
	[ROLE_GRADE_MID] = { COLOR_BLACK, COLOR_YELLOW, A_BOLD },
	[ROLE_GRADE_BAD] = { COLOR_WHITE, COLOR_RED, A_BOLD },
};

static const struct look light[ROLE_COUNT] = {
	[ROLE_NORMAL] = { DFLT, DFLT, 0 },
	[ROLE_DIM] = { GREY, DFLT, 0 },
	[ROLE_OK] = { COLOR_GREEN, DFLT, 0 },
	[ROLE_WARN] = { COLOR_MAGENTA, DFLT,
			A_BOLD }, /* yellow is unreadable */
	[ROLE_BAD] = { COLOR_RED, DFLT, A_BOLD },
	[ROLE_TITLE] = { COLOR_BLUE, DFLT, A_BOLD },
	[ROLE_HEADER] = { DFLT, DFLT, A_BOLD | A_UNDERLINE },
	[ROLE_SELECT] = { COLOR_WHITE, COLOR_BLUE, 0 },
	[ROLE_LOSS] = { COLOR_WHITE, COLOR_RED, A_BOLD },
	[ROLE_GRADE_GOOD] = { COLOR_WHITE, COLOR_GREEN, A_BOLD },
	[ROLE_GRADE_MID] = { COLOR_BLACK, COLOR_YELLOW, A_BOLD },
	[ROLE_GRADE_BAD] = { COLOR_WHITE, COLOR_RED, A_BOLD },
};

/* Looks without colour: attributes carry the meaning. */
static const attr_t mono[ROLE_COUNT] = {
	[ROLE_DIM] = A_DIM,
	[ROLE_WARN] = A_BOLD,
	[ROLE_BAD] = A_BOLD,
	[ROLE_TITLE] = A_BOLD,
	[ROLE_HEADER] = A_BOLD | A_UNDERLINE,
	[ROLE_SELECT] = A_REVERSE,
	[ROLE_LOSS] = A_BOLD | A_REVERSE,
	[ROLE_GRADE_GOOD] = A_REVERSE,
	[ROLE_GRADE_MID] = A_REVERSE,
	[ROLE_GRADE_BAD] = A_BOLD | A_REVERSE,
};

static struct {
	SCREEN *scr;
	bool active;
	bool utf8, color, default_colors;
	enum term_theme theme;
	bool repaint; /* the next draw must repaint every cell */
	attr_t attr[ROLE_COUNT];
	int w, h;
	struct term_mouse mouse; /* the last TERM_KEY_MOUSE */
} T;

bool term_codeset_is_utf8(const char *codeset)
{
	return codeset && (strcasecmp(codeset, "UTF-8") == 0 ||
			   strcasecmp(codeset, "UTF8") == 0);
}

bool term_want_color(bool has_colors, const char *no_color_env)
{
	return has_colors && !(no_color_env && no_color_env[0]);
}

static short fix_color(short c, bool is_bg)
{
	if (c == GREY && COLORS < 16)
		c = DFLT;
	if (c == DFLT && !T.default_colors) {
		if (T.theme == TERM_THEME_LIGHT)
			c = is_bg ? COLOR_WHITE : COLOR_BLACK;
		else
			c = is_bg ? COLOR_BLACK : COLOR_WHITE;
	}
	return c;
}

static void apply_theme(void)
{
	const struct look *t = T.theme == TERM_THEME_LIGHT ? light : dark;

	for (int r = 0; r < ROLE_COUNT; r++) {
		if (!T.color) {
			T.attr[r] = mono[r];
			continue;
		}
		T.attr[r] = t[r].attr;
		if (t[r].fg == GREY && COLORS < 16)
			T.attr[r] |= A_DIM;
		init_pair((short)(r + 1), fix_color(t[r].fg, false),
			  fix_color(t[r].bg, true));
	}
	T.repaint = true;
}

/* True when terminfo has an entry for type (setupterm's check, quiet). */
static bool has_entry(const char *type)
{
	int err = 0;

	if (setupterm(type, STDOUT_FILENO, &err) != OK)
		return false;
	del_curterm(cur_term); /* newterm loads its own */
	return true;
}

const char *term_pick_type(const char *term, char *note, size_t len)
{
	static const char *const fallback[] = { "xterm-256color", "xterm",
						"vt100" };

	note[0] = 0;
	if (term && term[0] && has_entry(term))
		return term;
	for (size_t i = 0; i < sizeof(fallback) / sizeof(fallback[0]); i++) {
		if (!has_entry(fallback[i]))
			continue;
		snprintf(note, len,
			 "TERM=%s has no terminfo entry here; drawing as %s "
			 "(install its terminfo to get rid of this line)",
			 term && term[0] ? term : "(unset)", fallback[i]);
		return fallback[i];
	}
	snprintf(note, len,
		 "TERM=%s has no terminfo entry, nor has xterm-256color, xterm "
		 "or vt100: install ncurses-base or ncurses-term, or run the "
		 "headless monitor with -d",
		 term && term[0] ? term : "(unset)");
	return NULL;
}

int term_init(struct term_info *info)
{
	char note[sizeof(((struct term_info *)0)->note)];
	const char *type;

	if (T.active)
		return -EALREADY;
	setlocale(LC_ALL, "");
	/* Numbers are formatted with '.' whatever the user's locale. */
	setlocale(LC_NUMERIC, "C");
	T.utf8 = term_codeset_is_utf8(nl_langinfo(CODESET));
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
		return -ENOTTY;
	type = term_pick_type(getenv("TERM"), note, sizeof(note));
	if (info)
		snprintf(info->note, sizeof(info->note), "%s", note);
	if (!type)
		return -ENOENT;
	T.scr = newterm(type, stdout, stdin);
	if (!T.scr)
		return -ENOTTY;
	set_term(T.scr);
	cbreak();
	noecho();
	nonl();
	intrflush(stdscr, FALSE);
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	leaveok(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);
	/* as htop: presses and the wheel; a double click is timed by the
	 * caller (mouseinterval 0: no wait for a release before a press) */
	mouseinterval(0);
	mousemask(BUTTON1_PRESSED | BUTTON4_PRESSED
#ifdef BUTTON5_PRESSED
			  | BUTTON5_PRESSED
#endif
		  ,
		  NULL);
	T.color = term_want_color(has_colors(), getenv("NO_COLOR"));
	if (T.color) {
		start_color();
		T.default_colors = use_default_colors() == OK;
	}
	apply_theme();
	getmaxyx(stdscr, T.h, T.w);
	T.active = true;
	if (info) {
		info->w = T.w;
		info->h = T.h;
		info->utf8 = T.utf8;
		info->color = T.color;
	}
	return 0;
}

void term_fini(void)
{
	if (!T.active)
		return;
	curs_set(1);
	endwin();
	delscreen(T.scr);
	T.scr = NULL;
	T.active = false;
}

int term_fd(void)
{
	return STDIN_FILENO;
}

void term_set_theme(enum term_theme theme)
{
	T.theme = theme;
	if (T.active)
		apply_theme();
}

static void put_run(void *ctx, int x, int y, const struct cellbuf_cell *c,
		    int n)
{
	cchar_t run[128];
	int *err = ctx;

	while (n > 0) {
		int k = n < 128 ? n : 128;

		for (int i = 0; i < k; i++) {
			wchar_t wc[2] = { (wchar_t)c[i].ch, 0 };
			attr_t a =
				T.attr[c[i].role < ROLE_COUNT ? c[i].role : 0];

			if (!T.utf8 && (c[i].ch < 0x20 || c[i].ch > 0x7e))
				wc[0] = '?';
			if (c[i].attr & CELLBUF_BOLD)
				a |= A_BOLD;
			if (c[i].attr & CELLBUF_REVERSE)
				a |= A_REVERSE;
			if (c[i].attr & CELLBUF_UNDERLINE)
				a |= A_UNDERLINE;
			setcchar(&run[i], wc, a,
				 T.color ? (short)(c[i].role + 1) : 0, NULL);
		}
		/* Off-screen parts (a buffer larger than the screen) fail
		 * harmlessly; only count real trouble. */
		if (y < T.h && x < T.w && mvadd_wchnstr(y, x, run, k) == ERR)
			(*err)++;
		c += k;
		x += k;
		n -= k;
	}
}

int term_draw(struct cellbuf *cb)
{
	int err = 0;

	if (!T.active)
		return -ENOTTY;
	if (T.repaint) {
		clearok(curscr, TRUE);
		cellbuf_invalidate(cb);
		T.repaint = false;
	}
	cellbuf_diff(cb, put_run, &err);
	wnoutrefresh(stdscr);
	if (doupdate() == ERR || err)
		return -EIO;
	return 0;
}

void term_redraw_all(struct cellbuf *cb)
{
	T.repaint = true;
	cellbuf_invalidate(cb);
}

static int named_key(wint_t k)
{
	switch (k) {
	case KEY_UP:
		return TERM_KEY_UP;
	case KEY_DOWN:
		return TERM_KEY_DOWN;
	case KEY_LEFT:
		return TERM_KEY_LEFT;
	case KEY_RIGHT:
		return TERM_KEY_RIGHT;
	case KEY_PPAGE:
		return TERM_KEY_PGUP;
	case KEY_NPAGE:
		return TERM_KEY_PGDN;
	case KEY_HOME:
		return TERM_KEY_HOME;
	case KEY_END:
		return TERM_KEY_END;
	case KEY_ENTER:
		return TERM_KEY_ENTER;
	case KEY_BACKSPACE:
		return TERM_KEY_BACKSPACE;
	case KEY_DC:
		return TERM_KEY_DELETE;
	case KEY_BTAB:
		return TERM_KEY_BACKTAB;
	case KEY_RESIZE:
		getmaxyx(stdscr, T.h, T.w);
		return TERM_KEY_RESIZE;
	case KEY_MOUSE: {
		MEVENT ev;

		if (getmouse(&ev) != OK)
			return TERM_KEY_OTHER;
		T.mouse = (struct term_mouse){ ev.x, ev.y, 0 };
		if (ev.bstate & BUTTON1_PRESSED)
			T.mouse.button = 1;
		else if (ev.bstate & BUTTON4_PRESSED)
			T.mouse.button = 4;
#ifdef BUTTON5_PRESSED
		else if (ev.bstate & BUTTON5_PRESSED)
			T.mouse.button = 5;
#endif
		return TERM_KEY_MOUSE;
	}
	default:
		if (k >= KEY_F(1) && k <= KEY_F(12))
			return TERM_KEY_F1 + (int)(k - KEY_F(1));
		return TERM_KEY_OTHER;
	}
}

int term_read_key(void)
{
	wint_t k;
	int r;

	if (!T.active)
		return TERM_KEY_NONE;
	r = get_wch(&k);
	if (r == ERR)
		return TERM_KEY_NONE;
	if (r == KEY_CODE_YES)
		return named_key(k);
	switch (k) {
	case '\r':
	case '\n':
		return TERM_KEY_ENTER;
	case 27:
		return TERM_KEY_ESC;
	case 8:
	case 127:
		return TERM_KEY_BACKSPACE;
	case '\t':
		return TERM_KEY_TAB;
	default:
		/* Other control keys come as their code: Ctrl-L is 12. */
		return k < 0x110000 ? (int)k : TERM_KEY_OTHER;
	}
}

int term_handle_resize(void)
{
	struct winsize ws;

	if (!T.active)
		return TERM_KEY_RESIZE;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 &&
	    ws.ws_col > 0)
		resizeterm(ws.ws_row, ws.ws_col);
	getmaxyx(stdscr, T.h, T.w);
	T.repaint = true;
	return TERM_KEY_RESIZE;
}

void term_mouse(struct term_mouse *out)
{
	*out = T.mouse;
}

void term_size(int *w, int *h)
{
	*w = T.w;
	*h = T.h;
}
