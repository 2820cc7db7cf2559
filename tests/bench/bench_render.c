// SPDX-License-Identifier: MIT
/*
 * Render benchmark for the TUI drawing layer, no curses: a 200 x 60 cell
 * buffer with 20 sparkline rows, a table, two bufferbloat gauges and a
 * braille plot, then the diff the terminal layer would send.  The data moves
 * every frame (new samples, losses, spikes) so the diff has real work.
 * Prints plain "name value unit" lines: median and p99 microseconds per
 * frame and the median number of changed cells.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "tui/cellbuf.h"
#include "tui/gauge.h"
#include "tui/plot.h"
#include "tui/sparkline.h"
#include "tui/table.h"

#define W      200
#define H      60
#define ROWS   20
#define HIST   800
#define WARMUP 200
#define FRAMES 5000

static int64_t hist[ROWS][HIST + FRAMES + WARMUP];

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static void counter(void *ctx, int x, int y, const struct cellbuf_cell *c,
		    int n)
{
	*(long *)ctx += n;
}

static const struct table_col cols[] = {
	{ "Target", 12, 28, 0, TABLE_LEFT, true },
	{ "Loss%", 5, 6, 0, TABLE_RIGHT, false },
	{ "RTT", 6, 8, 1, TABLE_RIGHT, false },
	{ "Jitter", 6, 8, 2, TABLE_RIGHT, false },
	{ "p95", 6, 8, 3, TABLE_RIGHT, false },
	{ "Max", 6, 8, 4, TABLE_RIGHT, false },
	{ "Iface", 5, 8, 5, TABLE_LEFT, false },
};
#define NC (int)(sizeof(cols) / sizeof(cols[0]))

static void frame(struct cellbuf *cb, int f)
{
	static char text[10][NC][32];
	static struct table_cell cells[10 * NC];
	struct table t = { cols, NC, cells, 10, f % 10, 0 };
	struct sparkline_opts so = { .warn = 50000, .bad = 150000 };
	struct plot_opts po = { .warn = 50000,
				.bad = 150000,
				.title = "RTT to target 3, last 6 min",
				.x_left = "-6m",
				.x_mid = "-3m",
				.x_right = "now" };
	size_t end = (size_t)(HIST + f);

	cellbuf_clear(cb);
	cellbuf_box(cb, 0, 0, W, H, ROLE_DIM);
	cellbuf_printf(cb, 2, 0, ROLE_TITLE, CELLBUF_BOLD,
		       " bufferbane  frame %d ", f);
	for (int r = 0; r < ROWS; r++) {
		cellbuf_printf(cb, 2, 1 + r, ROLE_NORMAL, 0,
			       "target-%02d %6.1f ms", r,
			       (double)hist[r][end - 1] / 1000.0);
		sparkline_draw(cb, 24, 1 + r, 170, hist[r], end, &so);
	}
	for (int r = 0; r < 10; r++) {
		for (int c = 0; c < NC; c++) {
			snprintf(text[r][c], sizeof(text[r][c]), "%d.%d",
				 (r * 7 + c + f) % 97, (r + c) % 10);
			cells[r * NC + c].text = text[r][c];
			cells[r * NC + c].role = ROLE_NORMAL;
		}
		snprintf(text[r][0], sizeof(text[r][0]), "target-%02d.example",
			 r);
	}
	table_draw(cb, 1, 22, W - 2, 11, &t, NULL);
	{
		struct gauge_data up = { "Upload", 12000,
					 12000 + (f % 400) * 1000, f % 3600,
					 0 };
		struct gauge_data down = { "Download", 11000, 30000, -1, 0 };

		gauge_draw(cb, 1, 34, 98, 2, &up);
		gauge_draw(cb, 101, 34, 98, 2, &down);
	}
	plot_draw(cb, 1, 37, W - 2, H - 38, hist[3], end, &po);
}

int main(void)
{
	struct cellbuf *cb = cellbuf_new(W, H);
	static int64_t us[FRAMES], cells[FRAMES];
	unsigned seed = 12345;

	if (!cb)
		return 1;
	for (int r = 0; r < ROWS; r++)
		for (size_t i = 0; i < HIST + FRAMES + WARMUP; i++) {
			int64_t v = 8000 + (int64_t)(rand_r(&seed) % 20000);

			if (rand_r(&seed) % 100 == 0)
				v = TRACE_LOST;
			else if (rand_r(&seed) % 200 == 0)
				v *= 20;
			hist[r][i] = v;
		}
	for (int f = 0; f < WARMUP + FRAMES; f++) {
		int64_t t0 = now_ns();
		long changed = 0;

		frame(cb, f);
		cellbuf_diff(cb, counter, &changed);
		if (f >= WARMUP) {
			us[f - WARMUP] = (now_ns() - t0) / 1000;
			cells[f - WARMUP] = changed;
		}
	}
	qsort(us, FRAMES, sizeof(us[0]), cmp64);
	qsort(cells, FRAMES, sizeof(cells[0]), cmp64);
	printf("bench_render frame %dx%d: 20 sparklines, table, 2 gauges, "
	       "braille plot, diff\n",
	       W, H);
	printf("bench_render frames %d\n", FRAMES);
	printf("bench_render median_us %lld\n", (long long)us[FRAMES / 2]);
	printf("bench_render p99_us %lld\n", (long long)us[FRAMES * 99 / 100]);
	printf("bench_render changed_cells_median %lld\n",
	       (long long)cells[FRAMES / 2]);
	cellbuf_free(cb);
	return 0;
}
