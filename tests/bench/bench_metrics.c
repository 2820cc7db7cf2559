// SPDX-License-Identifier: MIT
/*
 * What /metrics costs the main thread: metrics_render() over a model of N
 * ICMP series (N = 2, 16, 64, 120) plus one echo, DNS and TCP series per
 * 8 targets, each fed one probe a second for an hour (full windows, 1 %
 * loss), with a detector.  Prints the text's size and the median render
 * time of 21 (the main thread renders once a second).  Plain lines.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/analysis/detect.h"
#include "core/analysis/model.h"
#include "core/base/clock.h"
#include "core/base/config.h"
#include "core/base/sample.h"
#include "core/engine/feed.h"
#include "core/engine/metrics.h"
#include "core/engine/monitor.h"

#define RUNS 21

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static void no_event(void *ctx, const struct bb_event *ev, enum detect_state st)
{
}

static void one(int n)
{
	struct bb_config cfg;
	config_defaults(&cfg);
	struct model *m = model_new(BB_NS_PER_S);
	struct detect *d = detect_new(
		detect_params_from_config(&cfg, &(struct detect_params){ 0 }),
		no_event, NULL);
	struct feed f = { .model = m, .detect = d };
	struct metrics_tally *tally = calloc(1, sizeof(*tally));
	if (!m || !d || !tally)
		exit(1);
	int64_t t0 = BB_NS_PER_S;
	for (int sec = 0; sec < 3600; sec++) {
		for (int i = 0; i < n; i++) {
			int kind = BB_KIND_ICMP;
			if (i % 8 == 1)
				kind = BB_KIND_UDP_ECHO;
			else if (i % 8 == 2)
				kind = BB_KIND_DNS;
			else if (i % 8 == 3)
				kind = BB_KIND_TCP_CONNECT;
			struct bb_sample s;
			sample_init(&s, kind);
			snprintf(s.target, sizeof(s.target), "10.0.%d.%d",
				 i / 250, i % 250 + 1);
			if (kind == BB_KIND_UDP_ECHO)
				snprintf(s.server, sizeof(s.server), "srv%d",
					 i);
			s.mono_ns = t0 + (int64_t)sec * BB_NS_PER_S;
			s.real_ns = s.mono_ns;
			if ((sec + i) % 100 == 0)
				s.status = BB_STATUS_TIMEOUT;
			else
				s.rtt_ns = (10 + (sec * 7 + i) % 20) *
					   BB_NS_PER_MS;
			metrics_tally_add(tally, feed_sample(&f, &s), &s);
		}
		if (sec % 10 == 0)
			detect_tick(d, t0 + (int64_t)sec * BB_NS_PER_S);
	}
	struct monitor_status st = { .samples = 3600ULL * n };
	struct metrics_view v = { .model = m,
				  .tally = tally,
				  .detect = d,
				  .status = &st,
				  .now_mono_ns = t0 + 3599 * BB_NS_PER_S };
	double ms[RUNS];
	size_t len = 0;
	for (int r = 0; r < RUNS; r++) {
		char *text;
		double a = now_ms();
		if (metrics_render(&v, &text, &len) < 0)
			exit(1);
		ms[r] = now_ms() - a;
		free(text);
	}
	qsort(ms, RUNS, sizeof(ms[0]), cmp);
	printf("metrics_render %3d series: %7zu bytes, median %.3f ms "
	       "(min %.3f, max %.3f)\n",
	       n, len, ms[RUNS / 2], ms[0], ms[RUNS - 1]);
	free(tally);
	detect_free(d);
	model_free(m);
}

int main(void)
{
	int ns[] = { 2, 16, 64, 120 };
	for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++)
		one(ns[i]);
	return 0;
}
