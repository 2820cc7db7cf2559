// SPDX-License-Identifier: MIT
/*
 * Render time of the path view (tui/view_path.c, key 5): 8 paths of 12
 * hops each (every hop's window full, some loss), the whole screen drawn
 * by view_render() and diffed as the app does each frame, while a new
 * probe arrives before every frame (the live case: the figures change).
 * Reports the median and p99 frame time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/analysis/model.h"
#include "core/analysis/path.h"
#include "tui/evlog.h"
#include "tui/keys.h"
#include "tui/view.h"

#define W      200
#define H      60
#define PATHS  8
#define HOPS   12
#define FRAMES 2000
#define WARMUP 100
#define MS     1000000LL

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

static void counter(void *ctx, int x, int y, const struct cellbuf_cell *c,
		    int n)
{
	(void)x, (void)y, (void)c;
	*(long *)ctx += n;
}

static int64_t t_ns = 1000 * 1000000000LL;
static unsigned seed = 12345;

/* One probe of hop h (1-based) of path p; the last hop is the target. */
static void probe(struct model *m, int p, int h)
{
	struct bb_sample s;
	sample_init(&s, BB_KIND_PATH);
	snprintf(s.target, sizeof(s.target), "target-%d.example", p);
	s.mono_ns = t_ns;
	s.real_ns = 1732000000LL * 1000000000LL + t_ns;
	t_ns += 10 * MS;
	s.hop = (uint8_t)h;
	if (rand_r(&seed) % 20 == 0) { /* 5 % lost */
		s.status = BB_STATUS_TIMEOUT;
	} else {
		snprintf(s.hop_addr, sizeof(s.hop_addr), "198.18.%d.%d", p, h);
		s.rtt_ns = h * 2 * MS + rand_r(&seed) % (3 * MS);
	}
	if (h == HOPS && s.hop_addr[0])
		s.flags |= BB_SAMPLE_PATH_END;
	model_add(m, &s);
}

int main(void)
{
	struct model *m = model_new(100 * MS);
	struct evlog *ev = evlog_new(16);
	struct cellbuf *cb = cellbuf_new(W, H);
	static struct ui ui;
	static int64_t us[FRAMES];
	if (!m || !ev || !cb || view_ui_init(&ui) < 0)
		return 1;
	for (int r = 0; r < PATH_WINDOW + 4; r++)
		for (int p = 0; p < PATHS; p++)
			for (int h = 1; h <= HOPS; h++)
				probe(m, p, h);
	ui.src.model = m;
	ui.src.events = ev;
	ui.src.path_on = 1;
	keys_dispatch(&ui, '5');
	for (int f = 0; f < WARMUP + FRAMES; f++) {
		probe(m, f % PATHS, 1 + f % HOPS);
		ui.src.now_mono_ns = t_ns;
		ui.src.now_ms = 1732000000000LL + t_ns / MS;
		int64_t t0 = now_ns();
		long changed = 0;
		view_render(&ui, cb);
		cellbuf_diff(cb, counter, &changed);
		if (f >= WARMUP)
			us[f - WARMUP] = (now_ns() - t0) / 1000;
	}
	qsort(us, FRAMES, sizeof(us[0]), cmp64);
	printf("bench_path_view frame %dx%d: %d paths of %d hops, "
	       "view_render + diff\n",
	       W, H, PATHS, HOPS);
	printf("bench_path_view frames %d\n", FRAMES);
	printf("bench_path_view median_us %lld\n", (long long)us[FRAMES / 2]);
	printf("bench_path_view p99_us %lld\n",
	       (long long)us[FRAMES * 99 / 100]);
	view_ui_fini(&ui);
	cellbuf_free(cb);
	evlog_free(ev);
	model_free(m);
	return 0;
}
