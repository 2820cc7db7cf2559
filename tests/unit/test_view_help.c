// SPDX-License-Identifier: MIT
/* Unit tests for the help overlay's legend, the footer at 80 columns and
 * text that does not fit (tui/view.c): drawn with view_render into an 80x24
 * cell buffer, as a user sees it, and read back as text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/analysis/detect_diag.h"
#include "core/analysis/model.h"
#include "tui/evlog.h"
#include "tui/keys.h"
#include "tui/term.h"
#include "tui/view.h"

#include "tests/lib/viewfix.h"

static char all[1 << 20]; /* every help line seen while scrolling */

static int setup(void **state)
{
	static struct viewfix f;

	assert_int_equal(viewfix_open(&f, 100 * MS, 64, 80, 24), 0);
	for (int i = 0; i < 100; i++) {
		struct bb_sample s = viewfix_sample(BB_KIND_ICMP, "",
						    "127.0.0.1", i, 100 * MS);
		s.status = i == 50 ? BB_STATUS_TIMEOUT : BB_STATUS_OK;
		s.rtt_ns = i == 50 ? BB_NONE : 20 * MS;
		model_add(f.m, &s);
	}
	f.ui.src.now_mono_ns = T0 + 100 * 100 * MS;
	f.ui.src.now_ms = REAL0_MS + 10000;
	snprintf(f.ui.src.verdict, sizeof(f.ui.src.verdict), "No problems.");
	*state = &f;
	return 0;
}

/* Open the help at 80x24 and scroll it to the end with Down, collecting
 * every row of the box into all[]; returns how many Down presses it took
 * before the box stopped moving. */
static int read_help(struct viewfix *f)
{
	char prev[4096] = "";
	int presses = 0;

	all[0] = 0;
	f->ui.help = false;
	assert_true(keys_dispatch(&f->ui, '?') & KEY_REDRAW);
	assert_true(f->ui.help);
	for (;;) {
		char screen[4096] = "";

		viewfix_render(f, 80, 24);
		for (int y = 0; y < 24; y++) {
			strncat(screen, viewfix_row(f->cb, y),
				sizeof(screen) - strlen(screen) - 2);
			strcat(screen, "\n");
		}
		if (!strcmp(screen, prev))
			break;
		strncat(all, screen, sizeof(all) - strlen(all) - 1);
		snprintf(prev, sizeof(prev), "%s", screen);
		keys_dispatch(&f->ui, TERM_KEY_DOWN);
		presses++;
		assert_true(presses < 200);
	}
	return presses;
}

static void test_help_legend(void **state)
{
	struct viewfix *f = *state;
	char want[64];
	int presses = read_help(f);
	if (getenv("BB_DUMP"))
		fputs(all, stderr);

	/* more than one screen of help at 80x24: it scrolls, and says so */
	assert_true(presses > 1);
	assert_non_null(strstr(all, "Help: keys and legend"));
	assert_non_null(strstr(all, "PgUp/PgDn scroll"));
	/* the glyphs the views draw */
	assert_non_null(strstr(all, "×"));
	assert_non_null(strstr(all, "a lost probe"));
	assert_non_null(strstr(all, "●"));
	assert_non_null(strstr(all, "still open"));
	assert_non_null(strstr(all, "…"));
	/* the grade bands with the grading code's numbers */
	assert_non_null(strstr(all, "A+ < 5 ms, A < 30, B < 60, C < 200, "
				    "D < 400, F ≥ 400 ms"));
	snprintf(want, sizeof(want), "%s < 5 ms", diag_bloat_grade(4.9));
	assert_non_null(strstr(all, want));
	assert_string_equal(diag_bloat_grade(400), "F");
	/* colours with the thresholds view_rtt_role and view_loss_role use */
	assert_non_null(strstr(all, "yellow"));
	assert_non_null(strstr(all, "RTT ≥ 100 ms, any loss"));
	assert_non_null(strstr(all, "red"));
	assert_non_null(strstr(all, "RTT ≥ 250 ms, loss ≥ 2 %"));
	/* the figures */
	assert_non_null(strstr(all, "RPM"));
	assert_non_null(strstr(all, "60000 / loaded RTT"));
	assert_non_null(strstr(all, "p50"));
	assert_non_null(strstr(all, "p95"));
	assert_non_null(strstr(all, "95 % of the probes"));
	assert_non_null(strstr(all, "jitter"));
	assert_non_null(strstr(all, "loss"));
	/* every key of the table for this mode, with its words */
	for (size_t i = 0; i < keys_count; i++) {
		if (!(keys_table[i].where & KEYS_LIVE) || !keys_table[i].help)
			continue;
		assert_non_null(strstr(all, keys_table[i].help));
	}
	/* Home goes back to the top, ? closes */
	keys_dispatch(&f->ui, TERM_KEY_HOME);
	assert_int_equal(f->ui.help_top, 0);
	keys_dispatch(&f->ui, '?');
	assert_false(f->ui.help);
	view_render(&f->ui, f->cb);
	for (int y = 0; y < 24; y++)
		assert_null(strstr(viewfix_row(f->cb, y), "Help: keys"));
}

static void test_help_ascii(void **state)
{
	struct viewfix *f = *state;

	cellbuf_set_ascii(f->cb, true);
	read_help(f);
	cellbuf_set_ascii(f->cb, false);
	f->ui.help = false;
	assert_non_null(strstr(all, "D < 400, F >= 400 ms"));
	assert_null(strstr(all, "×"));
	for (const char *p = all; *p; p++)
		assert_true((unsigned char)*p < 0x80);
}

static void test_footer_80(void **state)
{
	struct viewfix *f = *state;
	char row[4096];
	const char *end;
	size_t n;

	viewfix_render(f, 80, 24);
	snprintf(row, sizeof(row), "%s", viewfix_row(f->cb, 23));
	n = strlen(row);
	while (n && row[n - 1] == ' ')
		row[--n] = 0;
	end = row + n - strlen("? more");
	assert_true(n >= strlen("? more"));
	assert_string_equal(end, "? more");
	assert_non_null(strstr(row, "q quit"));
	/* wide enough for all of them: "? help", and the keys 80 left out */
	viewfix_render(f, 200, 24);
	snprintf(row, sizeof(row), "%s", viewfix_row(f->cb, 23));
	assert_non_null(strstr(row, "? help"));
	assert_null(strstr(row, "? more"));
	assert_non_null(strstr(row, "t theme"));
	assert_non_null(strstr(row, "q quit"));
}

/* The verdict and an event's description end with "…" after a whole word
 * when they do not fit; the event line names the interface. */
static void test_long_text(void **state)
{
	struct viewfix *f = *state;
	const char *v =
		"The local link wlan0 is at fault, not the line: 12.0 "
		"% loss, 48.2 ms median against 0.0 % and 1.1 ms on "
		"eth0. Upload bufferbloat grade D (+250 ms under load).";
	struct bb_event e = { 0 };
	const char *line, *b, *el;
	size_t n;

	snprintf(f->ui.src.verdict, sizeof(f->ui.src.verdict), "%s", v);
	e.start_ms = REAL0_MS + 1000;
	e.end_ms = REAL0_MS + 5000;
	e.severity = BB_SEV_WARNING;
	snprintf(e.kind, sizeof(e.kind), "packet_loss");
	snprintf(e.target, sizeof(e.target), "127.0.0.1");
	snprintf(e.interface, sizeof(e.interface), "wlan0");
	snprintf(e.description, sizeof(e.description),
		 "Loss of 12 %% to 127.0.0.1 over wlan0 for 4 s, in bursts "
		 "of up to 7 probes, while eth0 saw none at all.");
	evlog_put(f->ev, &e);
	f->ui.view = VIEW_EVENTS;
	viewfix_render(f, 80, 24);

	line = viewfix_row(f->cb, 1);
	b = strstr(line, "The local");
	el = strstr(line, "…");
	assert_non_null(b);
	assert_non_null(el);
	n = (size_t)(el - b);
	assert_true(!strncmp(b, v, n));
	assert_true(v[n] == ' ' || v[n] == ',' || v[n] == '.');

	for (int y = 2; y < 23; y++) {
		line = viewfix_row(f->cb, y);
		if (!strstr(line, "packet_loss"))
			continue;
		assert_non_null(strstr(line, "127.0.0.1 via wlan0: Loss of"));
		b = strstr(line, "Loss of");
		el = strstr(line, "…");
		assert_non_null(el);
		n = (size_t)(el - b);
		assert_true(!strncmp(b, e.description, n));
		assert_true(e.description[n] == ' ' || e.description[n] == ',');
		f->ui.view = VIEW_DASHBOARD;
		return;
	}
	fail_msg("no event line");
}

/* The keys of the help at 80x100 (all of it on one screen), live or
 * replay: each "term text" pair into keys[], n of them. */
static int help_key_pairs(struct viewfix *f, bool replay, char keys[][80],
			  int max)
{
	int n = 0, y, half = (80 - 4) / 2;

	f->ui.src.replay = replay;
	f->ui.help = true;
	f->ui.help_top = 0;
	viewfix_render(f, 80, 100);
	y = viewfix_find(f->cb, "│ Keys");
	assert_true(y >= 0);
	for (y++; y < 100; y++) {
		const char *row = viewfix_row(f->cb, y), *p = strstr(row, "│ ");
		char term[16], text[64];
		bool wide;

		if (!p || strstr(row, "In a view:"))
			break;
		p += strlen("│ ");
		/* a key alone on its line: its words run past the half */
		wide = (int)strlen(p) > half && p[half - 1] != ' ';
		for (int c = 0; c < 2 && (int)strlen(p) > c * half; c++) {
			const char *q = p + c * half;

			if (sscanf(q, "%15s", term) != 1 || !strcmp(term, "│"))
				continue;
			snprintf(text, sizeof(text), "%.*s",
				 c || wide ? (int)strcspn(q + 11, "│")
					   : half - 11,
				 q + 11);
			for (size_t e = strlen(text); e && text[e - 1] == ' ';)
				text[--e] = 0;
			assert_true(n < max);
			snprintf(keys[n++], 80, "%s %s", term, text);
			if (wide)
				break;
		}
	}
	f->ui.src.replay = false;
	f->ui.help = false;
	return n;
}

/* Each key once, with what it does: "+ faster" and "- slower" (not "+/-"
 * and "-" again), "1 dashboard" with 2 to 5, and s with the fourth
 * state it cycles through. */
static void test_help_each_key_once(void **state)
{
	struct viewfix *f = *state;
	static char keys[64][80];

	for (int replay = 0; replay < 2; replay++) {
		int n = help_key_pairs(f, replay, keys, 64);
		char seen[64][16];
		int ns = 0;

		assert_true(n > 10);
		for (int i = 0; i < n; i++) {
			char term[16], *save = NULL, *k;

			sscanf(keys[i], "%15s", term);
			if (getenv("BB_DUMP"))
				fprintf(stderr, "[%s]\n", keys[i]);
			/* "Up/k": Up and k; a range "1-5" hides 2 to 4 */
			assert_null(strstr(term, "1-5"));
			for (k = strtok_r(term, "/", &save); k;
			     k = strtok_r(NULL, "/", &save)) {
				for (int j = 0; j < ns; j++)
					if (!strcmp(seen[j], k))
						fail_msg("key %s twice (%s)", k,
							 keys[i]);
				snprintf(seen[ns++], 16, "%s", k);
			}
		}
#define HAS(s)                                                                 \
	do {                                                                   \
		int i_ = 0;                                                    \
		while (i_ < n && strcmp(keys[i_], s))                          \
			i_++;                                                  \
		if (i_ == n)                                                   \
			fail_msg("no '%s' in the %s help", s,                  \
				 replay ? "replay" : "live");                  \
	} while (0)
		HAS("1 dashboard");
		HAS("2 drilldown");
		HAS("3 events");
		HAS("4 interfaces");
		HAS("5 path hop by hop");
		HAS("s sort rows: name, p95, loss, configuration order");
		if (replay) {
			HAS("+ faster");
			HAS("- slower");
		}
#undef HAS
	}
	/* and s does cycle through the four */
	f->ui.sort = SORT_NONE;
	for (int i = 0; i < 4; i++)
		keys_dispatch(&f->ui, 's');
	assert_int_equal(f->ui.sort, SORT_NONE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_help_legend),
		cmocka_unit_test(test_help_ascii),
		cmocka_unit_test(test_footer_80),
		cmocka_unit_test(test_long_text),
		cmocka_unit_test(test_help_each_key_once),
	};

	return cmocka_run_group_tests(tests, setup, viewfix_teardown);
}
