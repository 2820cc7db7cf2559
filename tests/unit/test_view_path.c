// SPDX-License-Identifier: MIT
/*
 * The path view (tui/view_path.c, key 5) drawn from a model fed path
 * samples (BB_KIND_PATH, as core/probe/probe_path.c sends them) into a cell
 * buffer and read back as text: hop rows with their addresses and "*" for
 * a silent hop, the loss split into the line's and the router's own, a
 * sparkline per hop, and the words above the rows (path_words(), shared
 * with -d and the verdict) for line loss from hop 3, a router's own loss
 * only, a slow gateway and a route change; without paths, the line that
 * says how to turn the probe on.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "core/analysis/model.h"
#include "core/analysis/path.h"
#include "tui/evlog.h"
#include "tui/keys.h"
#include "tui/term.h"
#include "tui/view.h"

#define MS	 1000000LL
#define REAL0_NS (1732000000LL * 1000000000LL)
#define ROUNDS	 40 /* more than PATH_WINDOW probes per hop */

struct fx {
	struct model *m;
	struct evlog *ev;
	struct ui ui;
	struct cellbuf *cb;
	int64_t t; /* ns since REAL0 of the next probe */
};

static char row[4096];

static const char *text(struct cellbuf *cb, int y)
{
	cellbuf_row_text(cb, y, row, sizeof(row));
	return row;
}

static int find(struct cellbuf *cb, const char *s)
{
	for (int y = 0; y < cellbuf_height(cb); y++)
		if (strstr(text(cb, y), s))
			return y;
	return -1;
}

static void dump(struct cellbuf *cb)
{
	if (!getenv("BB_DUMP"))
		return;
	for (int y = 0; y < cellbuf_height(cb); y++)
		printf("|%s\n", text(cb, y));
}

/* One probe of hop `hop` to target: answered by addr ("" nobody) after
 * rtt; end: the target itself answered. */
static void probe(struct fx *f, const char *target, int hop, const char *addr,
		  int64_t rtt, bool end)
{
	struct bb_sample s;
	sample_init(&s, BB_KIND_PATH);
	snprintf(s.target, sizeof(s.target), "%s", target);
	s.real_ns = REAL0_NS + f->t;
	s.mono_ns = 1000 * 1000000000LL + f->t;
	f->t += 50 * MS;
	s.hop = (uint8_t)hop;
	if (addr[0]) {
		snprintf(s.hop_addr, sizeof(s.hop_addr), "%s", addr);
		s.rtt_ns = rtt;
	} else {
		s.status = BB_STATUS_TIMEOUT;
	}
	if (end)
		s.flags |= BB_SAMPLE_PATH_END;
	model_add(f->m, &s);
}

/* ROUNDS rounds of hops 1..3 to target 198.18.2.2 through 198.18.0.1 and
 * a[1] (hop 2); hop k of round r is lost when lost(k, r); rtt_ms[k]. */
static void rounds(struct fx *f, const char *hop2, bool (*lost)(int, int),
		   const double *rtt_ms)
{
	const char *addr[3] = { "198.18.0.1", hop2, "198.18.2.2" };
	for (int r = 0; r < ROUNDS; r++)
		for (int k = 1; k <= 3; k++) {
			bool l = lost && lost(k, r);
			probe(f, "srv", k, l ? "" : addr[k - 1],
			      (int64_t)(rtt_ms[k - 1] * MS) + (r % 4) * MS / 10,
			      k == 3 && !l);
		}
}

static const double fast[3] = { 0.4, 5, 9 };

static int setup(void **state)
{
	static struct fx f;
	memset(&f, 0, sizeof(f));
	setenv("TZ", "UTC", 1);
	tzset();
	f.m = model_new(100 * MS);
	f.ev = evlog_new(16);
	assert_int_equal(view_ui_init(&f.ui), 0);
	f.cb = cellbuf_new(100, 30);
	f.ui.src.model = f.m;
	f.ui.src.events = f.ev;
	f.ui.src.path_on = 1;
	f.ui.src.now_mono_ns = 1000 * 1000000000LL;
	f.ui.src.now_ms = REAL0_NS / MS;
	snprintf(f.ui.src.verdict, sizeof(f.ui.src.verdict), "test");
	assert_int_equal(keys_dispatch(&f.ui, '5') & KEY_HANDLED, KEY_HANDLED);
	assert_int_equal(f.ui.view, VIEW_PATH);
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	model_free(f->m);
	evlog_free(f->ev);
	view_ui_fini(&f->ui);
	cellbuf_free(f->cb);
	return 0;
}

static void render(struct fx *f, int w, int h)
{
	cellbuf_resize(f->cb, w, h);
	view_render(&f->ui, f->cb);
	dump(f->cb);
}

/* Sparkline cells (blocks, or × for a lost probe) in row y from x0 on. */
static int spark_cells(struct cellbuf *cb, int y, int x0)
{
	int n = 0;
	for (int x = x0; x < cellbuf_width(cb); x++) {
		const struct cellbuf_cell *c = cellbuf_at(cb, x, y);
		if (c &&
		    ((c->ch >= 0x2581 && c->ch <= 0x2588) || c->ch == 0xd7))
			n++;
	}
	return n;
}

/* Lost-probe marks (×) in row y from x0 on drawn in ROLE; -1 when some
 * mark has another role. */
static int loss_marks(struct cellbuf *cb, int y, int x0, int role)
{
	int n = 0;
	for (int x = x0; x < cellbuf_width(cb); x++) {
		const struct cellbuf_cell *c = cellbuf_at(cb, x, y);
		if (c && c->ch == 0xd7) {
			if (c->role != role)
				return -1;
			n++;
		}
	}
	return n;
}

/* every third probe of hop 3 lost: 33 % from hop 3 on */
static bool third_at_3(int k, int r)
{
	return k == 3 && r % 3 == 0;
}

static void test_line_loss_at_hop_3(void **state)
{
	struct fx *f = *state;
	rounds(f, "198.18.1.2", third_at_3, fast);
	render(f, 100, 30);
	int y = find(f->cb, "Path to srv");
	assert_true(y > 0);
	assert_non_null(strstr(text(f->cb, y), "3 hops"));
	assert_true(find(f->cb, "loss starts at hop 3 (198.18.2.2) and "
				"persists to the target: beyond your home "
				"network") == y + 1);
	int h = find(f->cb, "Hop  Address");
	assert_int_equal(h, y + 2);
	assert_non_null(strstr(text(f->cb, h), "Loss (line, own)"));
	/* hop rows 1..3 with their addresses, the loss on hop 3 only */
	assert_non_null(strstr(text(f->cb, h + 1), "  1  198.18.0.1 "));
	assert_non_null(strstr(text(f->cb, h + 1), " 0.0 %"));
	assert_non_null(strstr(text(f->cb, h + 2), "  2  198.18.1.2 "));
	assert_non_null(strstr(text(f->cb, h + 3), "  3  198.18.2.2 "));
	assert_non_null(strstr(text(f->cb, h + 3), "34.4 %")); /* 11 of 32 */
	assert_null(strstr(text(f->cb, h + 3), "own"));
	/* sent, last, p50, p95 of hop 2 (5.0..5.3 ms) */
	assert_non_null(strstr(text(f->cb, h + 2), "   32 "));
	assert_non_null(strstr(text(f->cb, h + 2), "   5.30    5.10    5.30 "));
	/* a sparkline per hop: the window's 32 probes, × for hop 3's lost */
	assert_int_equal(spark_cells(f->cb, h + 1, 60), PATH_WINDOW);
	assert_int_equal(spark_cells(f->cb, h + 3, 60), PATH_WINDOW);
	/* the line's loss is marked as loss */
	assert_int_equal(loss_marks(f->cb, h + 3, 60, ROLE_LOSS), 11);
	/* the verdict names the hop (short form) */
	char v[512] = "Packet loss to srv: 34 %. Report it.";
	path_verdict(model_paths(f->m), v, sizeof(v));
	assert_string_equal(v, "Packet loss to srv: 34 %. Loss to srv starts "
			       "at hop 3 (198.18.2.2), beyond your home "
			       "network. Report it.");
	char one[512] = "Packet loss to srv.";
	path_verdict(model_paths(f->m), one, sizeof(one));
	assert_string_equal(one, "Packet loss to srv. Loss to srv starts at "
				 "hop 3 (198.18.2.2), beyond your home "
				 "network.");
	/* before any detector agrees: the finding alone, not after "No
	 * problems" */
	char clean[512] = "No problems detected so far (after 12 s).";
	path_verdict(model_paths(f->m), clean, sizeof(clean));
	assert_string_equal(clean, "Loss to srv starts at hop 3 (198.18.2.2), "
				   "beyond your home network.");
}

/* one lost probe of 32 at the target: placed in the view, not claimed
 * in the verdict */
static bool last_at_3(int k, int r)
{
	return k == 3 && r == ROUNDS - 1;
}

static void test_one_loss_no_verdict(void **state)
{
	struct fx *f = *state;
	rounds(f, "198.18.1.2", last_at_3, fast);
	render(f, 100, 30);
	assert_true(find(f->cb, "loss starts at hop 3 (198.18.2.2)") > 0);
	char v[256] = "No problems detected so far (after 12 s).";
	path_verdict(model_paths(f->m), v, sizeof(v));
	assert_string_equal(v, "No problems detected so far (after 12 s).");
}

/* hop 2 never answers (a router that rate-limits its answers to nothing),
 * the target always does */
static bool all_at_2(int k, int r)
{
	(void)r;
	return k == 2;
}

static void test_own_loss_only(void **state)
{
	struct fx *f = *state;
	rounds(f, "198.18.1.2", all_at_2, fast);
	render(f, 100, 30);
	int y = find(f->cb, "hop 2 drops its own answers (rate limit); "
			    "the path is clean");
	assert_true(y > 0);
	/* green as a clean path: the legend's yellow is a warning */
	assert_int_equal(cellbuf_at(f->cb, 2, y)->role, ROLE_OK);
	int h = find(f->cb, "Hop  Address");
	assert_true(h > 0);
	/* the silent hop: "*", none of its loss the line's, all its own */
	const char *r2 = text(f->cb, h + 2);
	assert_non_null(strstr(r2, "  2  *  "));
	assert_non_null(strstr(r2, " 0.0 % (own 100 %)"));
	assert_non_null(strstr(r2, "     -"));
	/* its lost answers are marked, dim: red would blame the line */
	assert_int_equal(loss_marks(f->cb, h + 2, 60, ROLE_DIM), PATH_WINDOW);
	/* nothing for the verdict */
	char v[256] = "";
	path_verdict(model_paths(f->m), v, sizeof(v));
	assert_string_equal(v, "");
}

static void test_slow_gateway(void **state)
{
	struct fx *f = *state;
	static const double slow[3] = { 60, 62, 64 };
	rounds(f, "198.18.1.2", NULL, slow);
	render(f, 100, 30);
	assert_true(find(f->cb, "only the gateway hop (hop 1, 198.18.0.1) is "
				"slow (+60 ms): your home network") > 0);
}

static void test_change(void **state)
{
	struct fx *f = *state;
	rounds(f, "198.18.1.2", NULL, fast);
	int64_t at = f->t; /* 1732000006 s: 07:06:46 UTC */
	rounds(f, "198.18.4.2", NULL, fast);
	const struct path_view *v = model_path(f->m, "", "srv");
	assert_non_null(v);
	assert_int_equal(v->changes, 1);
	assert_int_equal(v->changed_real_ns, REAL0_NS + at + 50 * MS);
	render(f, 100, 30);
	assert_true(find(f->cb, "  path changed at 07:06:46 (hop 2: "
				"198.18.1.2 -> 198.18.4.2)") > 0);
	assert_true(find(f->cb, "1 change") > 0);
}

/* Without paths: how to turn the probe on (live), or that the recording
 * has none (replay). */
static void test_turn_it_on(void **state)
{
	struct fx *f = *state;
	f->ui.src.path_on = 0;
	render(f, 100, 30);
	assert_true(find(f->cb, "The path is not traced: set "
				"tests.path.enabled = true in the config") > 0);
	f->ui.src.path_on = 1;
	render(f, 100, 30);
	assert_true(find(f->cb, "tests.path.enabled") < 0);
	assert_true(find(f->cb, "the hops appear as they answer") > 0);
}

/* Key 5 is in the footer's "1-5" and the help; Up/Down scroll the blocks
 * and the scroll stops at the end. */
/* A target one hop away (the lab's neighbour): "its 1 hop", not "1
 * hops", in the words and the block's title; a target not reached yet
 * after hop 1 only: "hop 1 probed". */
static void test_one_hop(void **state)
{
	struct fx *f = *state;
	struct path_view v = { 0 };
	char w[256];

	for (int r = 0; r < ROUNDS; r++)
		probe(f, "near", 1, "198.18.0.1", MS, true);
	render(f, 100, 30);
	assert_true(find(f->cb, "no loss and no delay added along its 1 "
				"hop") > 0);
	assert_int_equal(find(f->cb, "1 hops"), -1);
	assert_true(find(f->cb, "1 hop, ") > 0);
	/* the words alone, for 1 and 2 hops, reached or not */
	snprintf(v.target, sizeof(v.target), "near");
	v.n_hops = 1;
	v.dest_ttl = 1;
	path_words(&v, false, w, sizeof(w));
	assert_non_null(strstr(w, "along its 1 hop"));
	assert_null(strstr(w, "1 hops"));
	v.dest_ttl = 0;
	path_words(&v, false, w, sizeof(w));
	assert_string_equal(w, "the target has not answered yet (hop 1 "
			       "probed)");
	v.n_hops = 2;
	path_words(&v, false, w, sizeof(w));
	assert_string_equal(w, "the target has not answered yet (hops 1-2 "
			       "probed)");
	v.dest_ttl = 2;
	path_words(&v, false, w, sizeof(w));
	assert_non_null(strstr(w, "along its 2 hops"));
}

static void test_keys_scroll(void **state)
{
	struct fx *f = *state;
	rounds(f, "198.18.1.2", NULL, fast);
	for (int r = 0; r < ROUNDS; r++)
		for (int k = 1; k <= 3; k++)
			probe(f, "srv2", k,
			      k == 3 ? "198.18.3.3" : "198.18.0.1", MS, k == 3);
	/* two blocks of 7 rows in a body of 12 */
	render(f, 100, 16);
	assert_true(find(f->cb, "1-5 views") > 0);
	int y = find(f->cb, "Path to srv ");
	assert_true(y > 0);
	assert_true(find(f->cb, "Path to srv2") > y);
	keys_dispatch(&f->ui, TERM_KEY_DOWN);
	render(f, 100, 16);
	assert_int_equal(find(f->cb, "Path to srv "), -1);
	assert_int_equal(find(f->cb, "the path is clean"), y);
	for (int i = 0; i < 50; i++)
		keys_dispatch(&f->ui, TERM_KEY_DOWN);
	render(f, 100, 16);
	assert_int_equal(f->ui.path_top, 2); /* clamped at the end */
	assert_true(find(f->cb, "  3  198.18.3.3 ") > 0);
	keys_dispatch(&f->ui, TERM_KEY_UP);
	assert_int_equal(f->ui.path_top, 1);
	keys_dispatch(&f->ui, '?');
	render(f, 100, 40);
	assert_true(find(f->cb, "path hop by hop") > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_line_loss_at_hop_3, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_one_loss_no_verdict, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_own_loss_only, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_slow_gateway, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_change, setup, teardown),
		cmocka_unit_test_setup_teardown(test_turn_it_on, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_one_hop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keys_scroll, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
