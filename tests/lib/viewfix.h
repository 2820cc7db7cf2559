/* SPDX-License-Identifier: MIT */
/*
 * The fixture of the view unit tests (tests/unit/test_view*.c), without a
 * terminal: a model and an event log, a struct ui reading them, and a cell
 * buffer the views draw into, read back row by row as text.  libc only (no
 * cmocka: the benches link tests/lib too).  The time base below is the
 * synthetic samples' (monotonic T0, wall clock REAL0_MS).
 */
#ifndef BB_TESTS_VIEWFIX_H
#define BB_TESTS_VIEWFIX_H

#include <stddef.h>
#include <stdint.h>

#include "tui/cellbuf.h"
#include "tui/view.h"

#define MS	 1000000LL
#define T0	 (1000LL * 1000000000LL)
#define REAL0_MS 1732000000000LL

struct viewfix {
	struct model *m;
	struct evlog *ev;
	struct ui ui;
	struct cellbuf *cb;
};

/* The i-th sample of kind for target via iface ("" = default route), iv_ns
 * apart from T0 (REAL0_MS on the wall clock), sequence i; the rest as
 * sample_init() leaves it. */
struct bb_sample viewfix_sample(enum bb_probe_kind kind, const char *iface,
				const char *target, int i, int64_t iv_ns);
/* A model of bucket_ns, an event log of n_events, a ui reading both and a
 * w x h cell buffer; 0 or -ENOMEM (then nothing is held). */
int viewfix_open(struct viewfix *f, int64_t bucket_ns, size_t n_events, int w,
		 int h);
void viewfix_close(struct viewfix *f);
/* A cmocka teardown for a test whose *state is the struct viewfix. */
int viewfix_teardown(void **state);
/* Draw the ui into the cell buffer resized to w x h. */
void viewfix_render(struct viewfix *f, int w, int h);
/* Row y as text (a static buffer, valid until the next call). */
const char *viewfix_row(struct cellbuf *cb, int y);
/* The first row holding s, or -1. */
int viewfix_find(struct cellbuf *cb, const char *s);
/* With BB_VIEW_DUMP=1 in the environment: the screen on stdout, to see
 * what a failing look-up saw. */
void viewfix_dump(struct cellbuf *cb);

#endif
