// SPDX-License-Identifier: MIT
/* The drilldown's long views (tui/view_long.c) drawn from a filled
 * struct chart_data: the median as one glyph row across the smoke, a lossy
 * column coloured in the median and the loss strip, and the hour-of-day
 * heatmap drawing the evening hours unlike the night hours, also when the
 * data comes from 1-minute rollup rows through chart_data_from_aggs (what
 * the app does with the rows it reads). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "core/chart/chart_data.h"
#include "core/store/store.h"
#include "tui/keys.h"
#include "tui/view.h"

#define W	  120
#define H	  40
#define DAY_MS	  86400000LL
#define HOUR_MS	  3600000LL
#define END_MS	  1796608800000LL /* a Monday 02:00 UTC */
#define LOSSY_COL 50

struct fx {
	struct ui ui;
	struct cellbuf *cb;
	struct chart_data d;
	struct chart_series s;
};

static int setup(void **state)
{
	static struct fx f;

	setenv("TZ", "UTC", 1);
	tzset();
	memset(&f, 0, sizeof(f));
	assert_int_equal(view_ui_init(&f.ui), 0);
	f.cb = cellbuf_new(W, H);
	f.ui.view = VIEW_DRILLDOWN;
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	free(f->s.b);
	free(f->d.heat);
	view_ui_fini(&f->ui);
	cellbuf_free(f->cb);
	return 0;
}

/* 24 h in view_long_columns(W) buckets: median 15 ms, p25-p75 14-16,
 * min-max 12-30; LOSSY_COL lost 10 of 100. */
static void fill_day(struct fx *f)
{
	size_t n = (size_t)view_long_columns(W);

	f->d.from_ms = END_MS - DAY_MS;
	f->d.to_ms = END_MS;
	f->d.bucket_ms = DAY_MS / (int64_t)n;
	f->d.from_rollups = true;
	f->s.b = calloc(n, sizeof(*f->s.b));
	f->s.n = n;
	snprintf(f->s.label, sizeof(f->s.label), "icmp 198.18.0.1 via eth0");
	for (size_t c = 0; c < n; c++)
		f->s.b[c] = (struct chart_bucket){
			.t_ms = f->d.from_ms + (int64_t)c * f->d.bucket_ms,
			.count = 100,
			.lost = c == LOSSY_COL ? 10 : 0,
			.min = 12,
			.p25 = 14,
			.p50 = 15,
			.p75 = 16,
			.p95 = 18,
			.max = 30,
		};
	f->s.p50 = 15;
	f->d.series = &f->s;
	f->d.nseries = 1;
	f->ui.src.lng = (struct ui_long){ .data = &f->d, .mode = LONG_24H };
}

static void test_smoke_median_and_loss(void **state)
{
	struct fx *f = *state;
	int x0 = W - view_long_columns(W) - 1, med = -1, strip = -1;

	fill_day(f);
	f->ui.dd_long = LONG_24H;
	view_render(&f->ui, f->cb);
	/* the median: one row holding the line glyph in every column */
	for (int y = 0; y < H; y++) {
		int k = 0;

		for (int c = 0; c < view_long_columns(W); c++) {
			const struct cellbuf_cell *cl =
				cellbuf_at(f->cb, x0 + c, y);

			k += cl && cl->ch == 0x2501;
		}
		if (k == view_long_columns(W))
			med = y;
		else
			assert_int_equal(k, 0); /* no stray median glyph */
	}
	assert_true(med > 0);
	/* smoke above and below it, the inner band next to it */
	assert_int_equal(cellbuf_at(f->cb, x0 + 3, med - 1)->ch, 0x2592);
	for (int y = 0; y < H; y++) {
		char t[512];

		cellbuf_row_text(f->cb, y, t, sizeof(t));
		if (!strncmp(t, "  loss", 6))
			strip = y;
	}
	assert_true(strip > med);
	/* the lossy column: the median and the strip in the loss colour */
	assert_int_equal(cellbuf_at(f->cb, x0 + LOSSY_COL, med)->role,
			 ROLE_BAD);
	assert_int_equal(cellbuf_at(f->cb, x0 + LOSSY_COL, strip)->role,
			 ROLE_BAD);
	assert_int_equal(cellbuf_at(f->cb, x0 + 3, med)->role, ROLE_OK);
	assert_int_equal(cellbuf_at(f->cb, x0 + 3, strip)->role, ROLE_OK);
	/* L cycles to 7 d: the day's data is not shown as a week */
	keys_dispatch(&f->ui, 'L');
	assert_int_equal(f->ui.dd_long, LONG_7D);
	view_render(&f->ui, f->cb);
	char t[512];
	bool reading = false;

	for (int y = 0; y < H; y++) {
		cellbuf_row_text(f->cb, y, t, sizeof(t));
		reading |= strstr(t, "Reading the database") != NULL;
	}
	assert_true(reading);
}

/* The cell of (day, hour) as text, from the heatmap's row of day. */
static void cell_text(struct cellbuf *cb, int y, int hour, char *out,
		      size_t len)
{
	int cw = (W - 9 - 1) / 24;

	cw = cw > 4 ? 4 : cw;
	for (int k = 0; k < cw - 1 && (size_t)k * 4 + 4 < len; k++) {
		const struct cellbuf_cell *c =
			cellbuf_at(cb, 9 + hour * cw + k, y);
		char u[5] = { 0 };

		cellbuf_utf8_encode(c->ch, u);
		memcpy(out + strlen(out), u, strlen(u) + 1);
	}
}

static void check_evenings(struct fx *f)
{
	char t[512];
	int rows = 0;

	f->ui.dd_long = LONG_HEAT;
	view_render(&f->ui, f->cb);
	for (int y = 0; y < H; y++) {
		char night[32] = "", eve[32] = "";

		cellbuf_row_text(f->cb, y, t, sizeof(t));
		if (strncmp(t, " Tue", 4) && strncmp(t, " Wed", 4))
			continue;
		cell_text(f->cb, y, 3, night, sizeof(night));
		cell_text(f->cb, y, 20, eve, sizeof(eve));
		assert_true(night[0] && eve[0]);
		if (!strcmp(night, eve))
			fail_msg("03 h and 20 h drawn alike: '%s'", night);
		assert_int_not_equal(cellbuf_at(f->cb, 9 + 3 * 4, y)->role,
				     cellbuf_at(f->cb, 9 + 20 * 4, y)->role);
		rows++;
	}
	assert_int_equal(rows, 2);
	bool words = false;

	for (int y = 0; y < H; y++) {
		cellbuf_row_text(f->cb, y, t, sizeof(t));
		if (strstr(t, "slowest hours"))
			words = strstr(t, "slowest hours 1") ||
				strstr(t, "slowest hours 2");
	}
	assert_true(words);
}

/* A heat grid filled by hand: 18-23 h slow. */
static void test_heatmap_hand(void **state)
{
	struct fx *f = *state;

	fill_day(f);
	f->d.heat_days = 7;
	f->d.heat_day0_ms = END_MS - 2 * HOUR_MS - 7 * DAY_MS;
	f->d.heat = calloc(7 * 24, sizeof(*f->d.heat));
	for (int k = 0; k < 7 * 24; k++)
		f->d.heat[k] = (struct chart_heat){
			.count = 360,
			.p50 = k % 24 >= 18 ? 35.0 : 15.0,
		};
	f->ui.src.lng.mode = LONG_7D;
	check_evenings(f);
}

/* The same from 1-minute rollup rows, bucketed as the app does. */
static void test_heatmap_from_rows(void **state)
{
	struct fx *f = *state;
	size_t n = 7 * 24 * 60;
	struct store_agg *r = calloc(n, sizeof(*r));
	struct chart_query q = { .from_ms = END_MS - 7 * DAY_MS,
				 .to_ms = END_MS,
				 .segments = view_long_columns(W) };
	char err[128];

	for (size_t i = 0; i < n; i++) {
		int64_t t = q.from_ms + (int64_t)i * 60000;
		double v = (t / HOUR_MS) % 24 >= 18 ? 35.0 : 15.0;

		r[i] = (struct store_agg){ .bucket_ms = t,
					   .series = 1,
					   .kind = BB_KIND_ICMP,
					   .count = 6,
					   .lost = i % 600 == 0,
					   .min = v - 1,
					   .max = v + 5,
					   .avg = v,
					   .p50 = v,
					   .p95 = v + 3,
					   .p99 = v + 4 };
		snprintf(r[i].target, sizeof(r[i].target), "198.18.0.1");
		snprintf(r[i].interface, sizeof(r[i].interface), "eth0");
	}
	assert_int_equal(chart_data_from_aggs(&q, r, n, NULL, 0, &f->d, err,
					      sizeof(err)),
			 0);
	free(r);
	assert_int_equal(f->d.nseries, 1);
	assert_int_equal(f->d.series[0].n, (size_t)view_long_columns(W));
	f->ui.src.lng = (struct ui_long){ .data = &f->d, .mode = LONG_7D };
	check_evenings(f);
	/* the 7 d plot of the same: medians at two levels */
	f->ui.dd_long = LONG_7D;
	view_render(&f->ui, f->cb);
	int rows = 0;

	for (int y = 0; y < H; y++) {
		int k = 0;

		for (int x = 0; x < W; x++)
			k += cellbuf_at(f->cb, x, y)->ch == 0x2501;
		rows += k > 10;
	}
	assert_int_equal(rows, 2);
	chart_data_free(&f->d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_smoke_median_and_loss,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_heatmap_hand, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_heatmap_from_rows, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
