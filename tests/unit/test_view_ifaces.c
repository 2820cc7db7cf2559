// SPDX-License-Identifier: MIT
/*
 * The interfaces view (tui/view_ifaces.c) drawn from a synthetic model into
 * a cell buffer and read back as text: an RTT sparkline and the traffic
 * gauge (rx/tx in Mb/s with their sparklines) per interface, and the
 * "home or ISP" words for a clean gateway with lossy targets beyond it, a
 * lossy gateway, and no gateway probe at all.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/analysis/model.h"
#include "tui/evlog.h"
#include "tui/keys.h"
#include "tui/view.h"

#include "tests/lib/viewfix.h"

#define N 600 /* probes at 100 ms: the 60 s window */

/* Rows y and y + 1 as one text (the words wrap onto the second). */
static const char *two_rows(struct cellbuf *cb, int y)
{
	static char both[8192];
	char a[4096];
	cellbuf_row_text(cb, y, a, sizeof(a));
	snprintf(both, sizeof(both), "%s", a);
	cellbuf_row_text(cb, y + 1, a, sizeof(a));
	size_t n = strlen(both);
	snprintf(both + n, sizeof(both) - n, "\n%s", a);
	return both;
}

/* n icmp probes of target via iface every 100 ms; every lost_every-th
 * lost (0: none). */
static void feed(struct viewfix *f, const char *iface, const char *target,
		 int64_t rtt, int lost_every)
{
	for (int i = 0; i < N; i++) {
		struct bb_sample s = viewfix_sample(BB_KIND_ICMP, iface, target,
						    i, 100 * MS);
		bool lost = lost_every && i % lost_every == lost_every - 1;
		s.status = lost ? BB_STATUS_TIMEOUT : BB_STATUS_OK;
		s.rtt_ns = lost ? BB_NONE : rtt + (i % 5) * MS / 10;
		model_add(f->m, &s);
	}
}

/* A traffic sample a second of iface (device dev) for the 60 s: tx rises
 * to tx_kbps in the last 20 s (an upload), rx steady. */
static void feed_traffic(struct viewfix *f, const char *iface, const char *dev,
			 int64_t rx_kbps, int64_t tx_kbps)
{
	for (int i = 1; i <= 60; i++) {
		struct bb_sample s = viewfix_sample(BB_KIND_TRAFFIC, iface, dev,
						    i, 1000 * MS);
		s.rx_kbps = rx_kbps;
		s.tx_kbps = i > 40 ? tx_kbps : 30;
		model_add(f->m, &s);
	}
}

static int setup(void **state)
{
	static struct viewfix f;
	assert_int_equal(viewfix_open(&f, 100 * MS, 16, 120, 40), 0);
	f.ui.src.now_mono_ns = T0 + (int64_t)N * 100 * MS;
	f.ui.src.now_ms = REAL0_MS + 60000;
	snprintf(f.ui.src.verdict, sizeof(f.ui.src.verdict), "test");
	keys_dispatch(&f.ui, '4');
	*state = &f;
	return 0;
}

/* How many sparkline blocks (U+2581..U+2588) row y holds from column x0 on. */
static int blocks_in(struct cellbuf *cb, int y, int x0, int x1)
{
	int n = 0;
	for (int x = x0; x < x1 && x < cellbuf_width(cb); x++) {
		const struct cellbuf_cell *c = cellbuf_at(cb, x, y);
		if (c && c->ch >= 0x2581 && c->ch <= 0x2588)
			n++;
	}
	return n;
}

static void test_isp_side(void **state)
{
	struct viewfix *f = *state;
	feed(f, "", "gateway", 400000, 0);	  /* 0.4 ms, clean */
	feed(f, "", "198.18.100.7", 38 * MS, 25); /* 4 % lost */
	feed_traffic(f, "", "eth0", 12000, 4900);
	viewfix_render(f, 120, 40);
	viewfix_dump(f->cb);
	int y = viewfix_find(f->cb, "default route (eth0)");
	assert_true(y > 0);
	/* the gauge: now in Mb/s */
	assert_non_null(strstr(viewfix_row(f->cb, y), "rx 12.0 Mb/s"));
	assert_non_null(strstr(viewfix_row(f->cb, y), "tx 4.90 Mb/s"));
	assert_non_null(strstr(viewfix_row(f->cb, y), "RTT "));
	/* three sparklines on the row: RTT, rx and tx */
	/* the newest RTT was lost: said so, not a delay */
	assert_non_null(strstr(viewfix_row(f->cb, y), "× lost"));
	int total = blocks_in(f->cb, y, 0, cellbuf_width(f->cb));
	assert_true(total >= 9);
	/* the upload shows: tx's newest slots full height, older ones low */
	int last = -1;
	for (int x = cellbuf_width(f->cb) - 1; x >= 0 && last < 0; x--) {
		const struct cellbuf_cell *c = cellbuf_at(f->cb, x, y);
		if (c && c->ch >= 0x2581 && c->ch <= 0x2588)
			last = x;
	}
	assert_true(last > 0);
	assert_int_equal(cellbuf_at(f->cb, last, y)->ch, 0x2588);
	/* the words */
	const char *want = "gateway 0.6 ms, 0 % loss; targets beyond 38 ms, "
			   "4 % loss: the loss is past your home network";
	int yw = viewfix_find(f->cb, want);
	if (yw < 0)
		fail_msg("no '%s'", want);
	assert_int_equal(yw, y + 1);
	assert_non_null(strstr(two_rows(f->cb, yw), "the ISP's side."));
}

static void test_home_side(void **state)
{
	struct viewfix *f = *state;
	feed(f, "wlan0", "gateway", 3 * MS, 10);      /* 10 % lost at home */
	feed(f, "wlan0", "198.18.100.7", 41 * MS, 9); /* and so beyond */
	viewfix_render(f, 120, 40);
	viewfix_dump(f->cb);
	int y = viewfix_find(f->cb, "wlan0                   RTT ");
	assert_true(y > 0);
	/* no traffic sample of wlan0 yet: the gauge says so, no sparkline */
	assert_non_null(strstr(viewfix_row(f->cb, y), "rx -"));
	int yw = viewfix_find(
		f->cb, "gateway 3.2 ms, 10 % loss; targets beyond 41 ms, "
		       "11 % loss: the loss starts at your gateway");
	assert_int_equal(yw, y + 1);
	assert_non_null(strstr(two_rows(f->cb, yw), "your home network"));
	assert_non_null(
		strstr(two_rows(f->cb, yw), "(WiFi, cable or router)."));
	assert_null(strstr(two_rows(f->cb, yw), "ISP"));
}

static void test_no_gateway(void **state)
{
	struct viewfix *f = *state;
	feed(f, "", "198.18.100.7", 20 * MS, 0);
	feed_traffic(f, "", "eth0", 800, 300);
	viewfix_render(f, 80, 24);
	viewfix_dump(f->cb);
	int y = viewfix_find(f->cb, "eth0 (default) ");
	assert_true(y > 0);
	assert_non_null(strstr(viewfix_row(f->cb, y), "rx 0.80 Mb/s"));
	assert_non_null(strstr(viewfix_row(f->cb, y), "tx 0.30 Mb/s"));
	assert_true(viewfix_find(f->cb, "No gateway probe") == y + 1);
	/* an 80-column screen still has a sparkline per direction */
	assert_true(blocks_in(f->cb, y, 0, 80) >= 9);
}

/* Traffic stopped (interface gone): the gauge says why, dimmed. */
static void test_traffic_error(void **state)
{
	struct viewfix *f = *state;
	feed(f, "", "gateway", 1 * MS, 0);
	feed_traffic(f, "", "eth0", 800, 300);
	struct bb_sample s;
	sample_init(&s, BB_KIND_TRAFFIC);
	s.real_ns = (REAL0_MS + 61000) * MS;
	s.status = BB_STATUS_ERROR;
	snprintf(s.detail, sizeof(s.detail), "no default route");
	model_add(f->m, &s);
	viewfix_render(f, 120, 40);
	viewfix_dump(f->cb);
	int y = viewfix_find(f->cb, "traffic: no default route");
	assert_true(y > 0);
	assert_null(strstr(viewfix_row(f->cb, y), "Mb/s")); /* no stale rates */
	assert_true(viewfix_find(f->cb, "no target beyond it is probed") ==
		    y + 1);
}

/* A device name too long for "default route (dev)" or "dev (default)"
 * (a lab veth, a long USB name) is shown whole, alone, never cut. */
static void test_long_device(void **state)
{
	struct viewfix *f = *state;
	feed(f, "", "gateway", 1 * MS, 0);
	feed_traffic(f, "", "v3a19228b0c4e7f", 800, 300);
	viewfix_render(f, 120, 40);
	viewfix_dump(f->cb);
	int y = viewfix_find(f->cb, "  v3a19228b0c4e7f ");
	assert_true(y > 0);
	const char *line = viewfix_row(f->cb, y);
	assert_non_null(strstr(line, " RTT "));
	assert_null(strstr(line, "(defau"));
}

/* Our own test loads the line for the last 20 s: the probes beyond the
 * gateway sent then are slow and every other one lost.  They measured
 * our test, not the line: the words, the table and the sparkline's
 * colours leave them out (the table said 16.7 % and "the ISP's side"). */
static void test_own_test_left_out(void **state)
{
	struct viewfix *f = *state;
	feed(f, "", "gateway", 1 * MS, 0);
	for (int i = 0; i < N; i++) {
		struct bb_sample s = viewfix_sample(
			BB_KIND_ICMP, "", "198.18.100.7", i, 100 * MS);
		bool load = i >= N - 200;
		bool lost = load && i % 2;
		s.status = lost ? BB_STATUS_TIMEOUT : BB_STATUS_OK;
		s.rtt_ns = lost ? BB_NONE : load ? 400 * MS : 20 * MS;
		if (load)
			s.flags |= BB_SAMPLE_UNDER_LOAD;
		model_add(f->m, &s);
	}
	viewfix_render(f, 120, 40);
	viewfix_dump(f->cb);
	int y = viewfix_find(f->cb, "default route           RTT ");
	assert_true(y > 0);
	assert_int_equal(viewfix_find(f->cb, "gateway 1.2 ms, 0 % loss; "
					     "targets beyond 20 ms, 0 % "
					     "loss: home and ISP side both "
					     "look healthy."),
			 y + 1);
	int yt = viewfix_find(f->cb, "198.18.100.7 ");
	assert_true(yt > 0 && yt < y);
	assert_non_null(strstr(viewfix_row(f->cb, yt), "/ 0.0% /"));
	/* the RTT sparkline: its loaded cells dim, no red, no loss mark */
	for (int x = 0; x < cellbuf_width(f->cb); x++) {
		const struct cellbuf_cell *c = cellbuf_at(f->cb, x, y);
		assert_true(c->role != ROLE_BAD && c->role != ROLE_LOSS);
	}
}

/* Two interfaces: one healthy, one whose targets beyond never answer. */
static void test_healthy_and_no_reply(void **state)
{
	struct viewfix *f = *state;
	feed(f, "eth1", "gateway", 1 * MS, 0);
	feed(f, "eth1", "198.18.100.7", 20 * MS, 0);
	feed(f, "eth2", "gateway", 2 * MS, 0);
	feed(f, "eth2", "198.18.100.7", 20 * MS, 1); /* all lost */
	viewfix_render(f, 120, 40);
	viewfix_dump(f->cb);
	int y1 = viewfix_find(f->cb, "eth1                    RTT ");
	int y2 = viewfix_find(f->cb, "eth2                    RTT ");
	assert_true(y1 > 0 && y2 > y1);
	assert_int_equal(
		viewfix_find(f->cb, "gateway 1.2 ms, 0 % loss; targets beyond "
				    "20 ms, 0 % loss: home and ISP side "
				    "both look healthy."),
		y1 + 1);
	assert_int_equal(viewfix_find(f->cb,
				      "gateway 2.2 ms, 0 % loss; targets "
				      "beyond: no reply, 100 % loss: the loss "
				      "is past your home network"),
			 y2 + 1);
	/* the comparison of the two still runs below */
	assert_true(viewfix_find(f->cb, "eth2 is clearly worse than eth1") >
		    y2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_isp_side, setup,
						viewfix_teardown),
		cmocka_unit_test_setup_teardown(test_home_side, setup,
						viewfix_teardown),
		cmocka_unit_test_setup_teardown(test_no_gateway, setup,
						viewfix_teardown),
		cmocka_unit_test_setup_teardown(test_traffic_error, setup,
						viewfix_teardown),
		cmocka_unit_test_setup_teardown(test_long_device, setup,
						viewfix_teardown),
		cmocka_unit_test_setup_teardown(test_healthy_and_no_reply,
						setup, viewfix_teardown),
		cmocka_unit_test_setup_teardown(test_own_test_left_out, setup,
						viewfix_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
