/* SPDX-License-Identifier: MIT */
/*
 * The cell buffer: the "grid" layer of the TUI (tmux's grid -> screen -> tty).
 * Widgets draw into it; only tui/term.c turns it into terminal output, and it
 * asks cellbuf_diff() for the cells that changed since the last frame.
 *
 * A cell is one Unicode code point, a colour role and attribute bits.  Every
 * glyph we draw (blocks, braille, box lines, '×', '…') is single-width, so one
 * code point is one column; wide characters in text are not special-cased.
 * Control characters are stored as '?', and a buffer in ASCII mode stores
 * only printable ASCII, so whatever the terminal gets is safe to print.
 *
 * Drawing outside the buffer or the clip rectangle is silently dropped.
 */
#ifndef BB_CELLBUF_H
#define BB_CELLBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Colour roles: what a cell means; tui/term.c maps them to colours. */
enum cellbuf_role {
	ROLE_NORMAL,
	ROLE_DIM,
	ROLE_OK,
	ROLE_WARN,
	ROLE_BAD,
	ROLE_TITLE,
	ROLE_HEADER,
	ROLE_SELECT,
	ROLE_LOSS,
	ROLE_GRADE_GOOD,
	ROLE_GRADE_MID,
	ROLE_GRADE_BAD,
	ROLE_COUNT
};

/* Attribute bits of a cell. */
enum {
	CELLBUF_BOLD = 1 << 0,
	CELLBUF_REVERSE = 1 << 1,
	CELLBUF_UNDERLINE = 1 << 2,
};

struct cellbuf_cell {
	uint32_t ch;  /* Unicode code point */
	uint8_t role; /* enum cellbuf_role */
	uint8_t attr; /* CELLBUF_* bits */
};

struct cellbuf;

/* A w x h buffer of blank cells in UTF-8 mode; NULL when out of memory. */
struct cellbuf *cellbuf_new(int w, int h);
/* Free a buffer (NULL is fine). */
void cellbuf_free(struct cellbuf *cb);
/* Resize and blank; the next diff reports every cell.  0 or -ENOMEM. */
int cellbuf_resize(struct cellbuf *cb, int w, int h);
/* Width in columns. */
int cellbuf_width(const struct cellbuf *cb);
/* Height in rows. */
int cellbuf_height(const struct cellbuf *cb);
/* Glyph set: ASCII mode makes widgets use ASCII fallbacks. */
void cellbuf_set_ascii(struct cellbuf *cb, bool ascii);
/* True when widgets must draw ASCII only. */
bool cellbuf_ascii(const struct cellbuf *cb);

/* Restrict drawing to a rectangle (intersected with the buffer). */
void cellbuf_clip(struct cellbuf *cb, int x, int y, int w, int h);
/* Drawing may use the whole buffer again. */
void cellbuf_unclip(struct cellbuf *cb);

/* Blank the whole buffer (ignores the clip). */
void cellbuf_clear(struct cellbuf *cb);
/* Set one cell; clipped. */
void cellbuf_set(struct cellbuf *cb, int x, int y, uint32_t ch,
		 enum cellbuf_role role, unsigned attr);
/* The cell at (x, y), NULL outside the buffer. */
const struct cellbuf_cell *cellbuf_at(const struct cellbuf *cb, int x, int y);
/* Write UTF-8 text at (x, y); returns its width in columns, clipped or not. */
int cellbuf_put(struct cellbuf *cb, int x, int y, const char *s,
		enum cellbuf_role role, unsigned attr);
/* As cellbuf_put but at most maxw columns; returns the columns written. */
int cellbuf_putn(struct cellbuf *cb, int x, int y, int maxw, const char *s,
		 enum cellbuf_role role, unsigned attr);
/* printf into the buffer (output beyond 511 bytes is cut); as cellbuf_put. */
int cellbuf_printf(struct cellbuf *cb, int x, int y, enum cellbuf_role role,
		   unsigned attr, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));
/* Fill a rectangle with one character. */
void cellbuf_fill(struct cellbuf *cb, int x, int y, int w, int h, uint32_t ch,
		  enum cellbuf_role role, unsigned attr);
/* A horizontal line of w cells ('─' or '-'). */
void cellbuf_hline(struct cellbuf *cb, int x, int y, int w,
		   enum cellbuf_role role);
/* A vertical line of h cells ('│' or '|'). */
void cellbuf_vline(struct cellbuf *cb, int x, int y, int h,
		   enum cellbuf_role role);
/* A w x h frame ('┌─┐│└┘' or '+-|'); the inside is left alone. */
void cellbuf_box(struct cellbuf *cb, int x, int y, int w, int h,
		 enum cellbuf_role role);

/* Decode one code point from s[0..n); returns bytes used (>= 1 when n > 0),
 * U+FFFD for a malformed, overlong, surrogate or truncated sequence. */
int cellbuf_utf8_decode(const char *s, size_t n, uint32_t *cp);
/* Encode a code point (invalid ones as U+FFFD); returns bytes written. */
int cellbuf_utf8_encode(uint32_t cp, char out[static 4]);
/* Columns a UTF-8 string takes (one per code point). */
int cellbuf_utf8_width(const char *s);

/* Receives one run of n changed cells starting at (x, y). */
typedef void cellbuf_run_fn(void *ctx, int x, int y,
			    const struct cellbuf_cell *cells, int n);
/* Report the runs of cells changed since the last diff, then remember this
 * frame as the last; returns the number of changed cells.  fn may be NULL. */
int cellbuf_diff(struct cellbuf *cb, cellbuf_run_fn *fn, void *ctx);
/* Make the next diff report every cell (after the screen was cleared). */
void cellbuf_invalidate(struct cellbuf *cb);
/* Row y as NUL-terminated UTF-8 (no roles); returns its length in bytes. */
size_t cellbuf_row_text(const struct cellbuf *cb, int y, char *out,
			size_t size);

#endif
