// SPDX-License-Identifier: MIT
/*
 * bbgen: a database with known content, written through the store API, for
 * the tests and benchmarks of export, events, charts and retention.
 *
 *   bbgen -o FILE [--days N] [--seed S] [--end UNIX_S] [--interval-ms MS]
 *         [--manifest FILE] [--traffic]
 *
 * The same arguments give the same samples and events (the client id, a
 * random word of every database, differs).  --end (Unix seconds, default
 * now) is rounded down to the hour; the database covers [end - N days,
 * end).  Content, with UTC hours so it does not depend on TZ:
 *   eth0 (wired): ICMP to the gateway (named "gateway" as the monitor
 *     names its gateway probe), to 198.18.0.11 and .12, and a UDP echo to the
 *     companion servers vps-a and vps-b every interval (one-way delays,
 *     clock sync on answered echoes; a lost echo names its direction in a
 *     loss burst and in scattered loss), DNS to 198.18.0.53
 *     every 10 s; upload and download tests (vps-a) every 4 h at :15
 *     from 02:15 UTC; a bufferbloat test (vps-a) every 4 h at :30 from
 *     00:30 UTC: 10 s of load (the eth0 probes meanwhile flagged
 *     under_load with its phase), then three results (up, down, both);
 *     the 20:30 test is bloated (+250 ms up) and has a bufferbloat event.
 *   wlan0 (wifi): ICMP to the same three every interval, DNS every 10 s;
 *     some DNS errors whose detail holds a comma, quotes or a newline.
 *   Evenings (18-24 UTC) +20 ms on every delay beyond the gateway (the
 *     line is congested, not the home network); scattered loss 0.1 %
 *     (eth0) and 0.5 % (wlan0); vps-b has no session for the first
 *     10 minutes (status no_session).
 *   Each day: the monitor off for one hour (no sample, the gap); two loss
 *     bursts of 20-60 s (every ICMP and echo probe of one interface lost,
 *     echoes up then down; a packet_loss event each) and one 4 s
 *     micro-disconnect on eth0 (every eth0 probe lost; a critical
 *     micro_disconnect event); rollups up to the end.
 * With --traffic also eth0's traffic readings, one a second at its end
 *   (kind traffic, device eth0), for the latency_vs_load chart: a line of
 *   10 Mbit/s up, 50 down; upload 0.1-1.5 Mbit/s, in the evenings (when
 *   the delays are +20 ms) the household's 7.5-9.5; download 1-6; our own
 *   bufferbloat test's load at the full rate of its direction.  Without it
 *   the content (and the manifest) is as before; with it the manifest
 *   adds "traffic_readings".
 * The manifest (stdout, or --manifest FILE) is one JSON object: see
 * print_manifest().  Progress goes to stderr.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/analysis/detect_diag.h"
#include "core/analysis/event.h"
#include "core/base/clock.h"
#include "core/base/sample.h"
#include "core/store/store.h"

#define BATCH	   100000
#define DAY_MS	   86400000LL
#define HOUR_MS	   3600000LL
#define MAX_EVENTS 8192
#define TEST_LEN_S 10 /* bloat test load before its results */

enum { IF_ETH, IF_WLAN, N_IF };
static const char *const if_name[N_IF] = { "eth0", "wlan0" };
static const char *const if_conn[N_IF] = { "wired", "wifi" };

struct series {
	int iface, kind;
	const char *target, *server;
	int every_ms; /* 0: the probe interval */
	int off_ms;   /* send offset inside its slot */
	int64_t base_us;
	/* what was written */
	int64_t count, ok, timeout, error, no_session, under_load, lost_up,
		lost_down;
};

#define S(i, k, t, sv, e, o, b)                                                \
	{                                                                      \
		.iface = i, .kind = k, .target = t, .server = sv,              \
		.every_ms = e, .off_ms = o, .base_us = b                       \
	}

static struct series series[] = {
	S(IF_ETH, BB_KIND_ICMP, "gateway", "", 0, 0, 800),
	S(IF_ETH, BB_KIND_ICMP, "198.18.0.11", "", 0, 7, 9000),
	S(IF_ETH, BB_KIND_ICMP, "198.18.0.12", "", 0, 14, 14000),
	S(IF_ETH, BB_KIND_UDP_ECHO, "vps-a", "vps-a", 0, 21, 11000),
	S(IF_ETH, BB_KIND_UDP_ECHO, "vps-b", "vps-b", 0, 28, 23000),
	S(IF_ETH, BB_KIND_DNS, "198.18.0.53", "", 10000, 500, 12000),
	S(IF_WLAN, BB_KIND_ICMP, "gateway", "", 0, 3, 2500),
	S(IF_WLAN, BB_KIND_ICMP, "198.18.0.11", "", 0, 10, 12000),
	S(IF_WLAN, BB_KIND_ICMP, "198.18.0.12", "", 0, 17, 17000),
	S(IF_WLAN, BB_KIND_DNS, "198.18.0.53", "", 10000, 503, 15000),
};
#define N_SERIES (sizeof(series) / sizeof(series[0]))

/* The special rows (tests, bloat results): counted per kind. */
static int64_t n_upload, n_download, n_bloat;

struct span {
	int64_t start_ms, end_ms;
	int iface; /* -1: every interface */
};

/* Per day: the gap, two loss bursts, one micro-disconnect. */
struct day {
	struct span gap, burst[2], md;
};

static struct bb_event events[MAX_EVENTS];
static size_t n_events;

static uint64_t splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Distinct hours 1..23 for the gap, the bursts and the micro-disconnect;
 * minutes keep clear of the tests at :15 and :30. */
static void plan_day(uint64_t seed, int d, int64_t t0, struct day *day)
{
	uint64_t r = seed * 1000003ULL + (uint64_t)d;
	int hours[23];
	for (int i = 0; i < 23; i++)
		hours[i] = i + 1;
	for (int i = 0; i < 4; i++) {
		int j = i + (int)(splitmix(&r) % (uint64_t)(23 - i));
		int h = hours[i];
		hours[i] = hours[j];
		hours[j] = h;
	}
	int64_t ds = t0 + d * DAY_MS;
	day->gap = (struct span){ ds + hours[0] * HOUR_MS,
				  ds + (hours[0] + 1) * HOUR_MS, -1 };
	for (int k = 0; k < 2; k++) {
		int64_t s = ds + hours[1 + k] * HOUR_MS +
			    (35 * 60 + (int64_t)(splitmix(&r) % 1200)) * 1000;
		int64_t len = 20 + (int64_t)(splitmix(&r) % 41);
		day->burst[k] = (struct span){ s, s + len * 1000, k };
	}
	int64_t s =
		ds + hours[3] * HOUR_MS + (int64_t)(splitmix(&r) % 400) * 1000;
	day->md = (struct span){ s, s + 4000, IF_ETH };
}

static bool in(const struct span *sp, int64_t ms)
{
	return ms >= sp->start_ms && ms < sp->end_ms;
}

static struct bb_event *new_event(const char *kind, int sev, int64_t start,
				  int64_t end, const char *iface,
				  const char *server)
{
	if (n_events == MAX_EVENTS)
		return NULL;
	struct bb_event *ev = &events[n_events++];
	memset(ev, 0, sizeof(*ev));
	ev->start_ms = start;
	ev->end_ms = end;
	ev->severity = (uint8_t)sev;
	snprintf(ev->kind, sizeof(ev->kind), "%s", kind);
	snprintf(ev->interface, sizeof(ev->interface), "%s", iface);
	snprintf(ev->server, sizeof(ev->server), "%s", server);
	return ev;
}

struct gen {
	bool traffic;
	int64_t traffic_n;
	uint64_t rng;
	int64_t t0, end, interval;
	struct day *days;
	int ndays;
	struct bb_sample *buf;
	size_t n;
	struct store *st;
	int64_t total;
};

static uint32_t rnd(struct gen *g, uint32_t n)
{
	return (uint32_t)(splitmix(&g->rng) % n);
}

static int flush(struct gen *g)
{
	if (!g->n)
		return 0;
	int rc = store_write_samples(g->st, g->buf, g->n);
	g->total += (int64_t)g->n;
	g->n = 0;
	return rc;
}

static struct bb_sample *emit(struct gen *g, int kind, int iface, int64_t us,
			      const char *target, const char *server)
{
	struct bb_sample *s = &g->buf[g->n++];
	sample_init(s, kind);
	s->real_ns = us * 1000;
	/* one boot since 1000 s before the start */
	s->mono_ns = s->real_ns - (g->t0 - 1000000) * 1000000LL;
	s->send_error_ns = 20000;
	snprintf(s->interface, sizeof(s->interface), "%s", if_name[iface]);
	snprintf(s->target, sizeof(s->target), "%s", target);
	snprintf(s->server, sizeof(s->server), "%s", server);
	return s;
}

static bool evening(int64_t ms)
{
	return (ms / HOUR_MS) % 24 >= 18;
}

/* Where ms falls in a 4-hourly bloat test (00:30 UTC + k * 4 h): its load
 * phase, or BB_PHASE_NONE. */
static int test_phase(int64_t ms)
{
	int64_t in4 = ms % (4 * HOUR_MS) - 30 * 60000LL;
	if (in4 < 0 || in4 >= TEST_LEN_S * 1000)
		return BB_PHASE_NONE;
	return in4 < 2000   ? BB_PHASE_IDLE
	       : in4 < 4000 ? BB_PHASE_UP
	       : in4 < 7000 ? BB_PHASE_DOWN
			    : BB_PHASE_BOTH;
}

static void count(struct series *se, const struct bb_sample *s)
{
	se->count++;
	if (s->flags & BB_SAMPLE_NO_SESSION)
		se->no_session++;
	else if (s->status == BB_STATUS_OK)
		se->ok++;
	else if (s->status == BB_STATUS_TIMEOUT)
		se->timeout++;
	else
		se->error++;
	if (s->flags & BB_SAMPLE_UNDER_LOAD)
		se->under_load++;
	if (s->loss_dir == BB_LOSS_UP)
		se->lost_up++;
	if (s->loss_dir == BB_LOSS_DOWN)
		se->lost_down++;
}

/* The probe of series se in the slot starting at ms. */
static void probe(struct gen *g, struct series *se, const struct day *day,
		  int64_t ms)
{
	int64_t us = (ms + se->off_ms) * 1000 + rnd(g, 1000);
	struct bb_sample *s =
		emit(g, se->kind, se->iface, us, se->target, se->server);
	s->seq = (uint32_t)((ms - g->t0) /
			    (se->every_ms ? se->every_ms : g->interval));
	int64_t at = us / 1000;
	bool lost = in(&day->md, at) && se->iface == IF_ETH;
	for (int k = 0; k < 2; k++)
		if (in(&day->burst[k], at) &&
		    se->iface == day->burst[k].iface &&
		    se->kind != BB_KIND_DNS) {
			lost = true;
			s->loss_dir = at < (day->burst[k].start_ms +
					    day->burst[k].end_ms) /
							      2
					      ? BB_LOSS_UP
					      : BB_LOSS_DOWN;
		}
	if (!lost && rnd(g, 1000) < (se->iface == IF_ETH ? 1u : 5u)) {
		lost = true;
		s->loss_dir = rnd(g, 2) ? BB_LOSS_UP : BB_LOSS_DOWN;
	}
	bool echo = se->kind == BB_KIND_UDP_ECHO;
	if (!echo)
		s->loss_dir = BB_LOSS_UNKNOWN;
	int ph = se->iface == IF_ETH ? test_phase(at) : BB_PHASE_NONE;
	if (ph != BB_PHASE_NONE) {
		s->flags |= BB_SAMPLE_UNDER_LOAD;
		s->load_phase = (uint8_t)ph;
	}
	if (echo && !strcmp(se->server, "vps-b") && at < g->t0 + 10 * 60000) {
		s->status = BB_STATUS_TIMEOUT;
		s->flags |= BB_SAMPLE_NO_SESSION;
		s->loss_dir = BB_LOSS_UNKNOWN;
	} else if (lost) {
		s->status = BB_STATUS_TIMEOUT;
	} else if (se->kind == BB_KIND_DNS && rnd(g, 97) == 0) {
		s->status = BB_STATUS_ERROR;
		snprintf(s->detail, sizeof(s->detail), "%s",
			 rnd(g, 2) ? "SERVFAIL from \"198.18.0.53\", rcode 2"
				   : "refused,\n\"retry later\"");
	} else {
		int64_t load = ph == BB_PHASE_UP     ? 180000
			       : ph == BB_PHASE_DOWN ? 60000
			       : ph == BB_PHASE_BOTH ? 240000
						     : 0;
		bool beyond = strcmp(se->target, "gateway") != 0;
		int64_t rtt = se->base_us +
			      (beyond && evening(at) ? 20000 : 0) + load +
			      rnd(g, se->base_us / 4 + 1);
		s->rtt_ns = rtt * 1000;
		if (echo) {
			int64_t up = rtt * 2 / 5, hold = 40 + rnd(g, 20);
			s->up_delay_ns = up * 1000;
			s->down_delay_ns = (rtt - up - hold) * 1000;
		}
	}
	if (echo && s->status == BB_STATUS_OK) {
		s->sync_pct = 95;
		s->sync_n = 8;
		s->clock_offset_ns = 1234567 + (int64_t)rnd(g, 1000) * 1000;
	}
	count(se, s);
}

static void bloat_results(struct gen *g, int64_t ms)
{
	static const int ph[3] = { BB_PHASE_UP, BB_PHASE_DOWN, BB_PHASE_BOTH };
	bool bad = (ms / HOUR_MS) % 24 == 20;
	int64_t idle = 11000 + rnd(g, 500);
	int64_t inc_up = bad ? 250000 : 30000 + rnd(g, 5000);
	int64_t inc_down = 12000 + rnd(g, 3000);
	for (int i = 0; i < 3; i++) {
		int64_t inc = i == 0   ? inc_up
			      : i == 1 ? inc_down
				       : inc_up + inc_down;
		struct bb_sample *s =
			emit(g, BB_KIND_BUFFERBLOAT, IF_ETH,
			     (ms + i * 10) * 1000, "vps-a", "vps-a");
		s->seq = (uint32_t)n_bloat++;
		s->load_phase = (uint8_t)ph[i];
		s->rtt_ns = (idle + inc) * 1000;
		s->up_delay_ns = (idle * 2 / 5 + (i != 1 ? inc_up : 0)) * 1000;
		s->down_delay_ns =
			(idle * 3 / 5 + (i != 0 ? inc_down : 0)) * 1000;
		s->bloat.idle_p50_ns = idle * 1000;
		s->bloat.loaded_p95_ns = (idle + inc + inc / 10) * 1000;
		s->bloat.increase_ns = inc * 1000;
		s->bloat.up_inc_ns = (i != 1 ? inc_up : 0) * 1000;
		s->bloat.down_inc_ns = (i != 0 ? inc_down : 0) * 1000;
		s->bloat.rpm = (int32_t)(60000000 / (idle + inc));
	}
	if (!bad)
		return;
	struct bb_event *ev = new_event("bufferbloat", BB_SEV_WARNING, ms, ms,
					"eth0", "vps-a");
	if (!ev)
		return;
	snprintf(ev->description, sizeof(ev->description),
		 "Upload bufferbloat to vps-a: +%lld ms under load (%.1f -> "
		 "%.1f ms), grade %s.",
		 (long long)(inc_up / 1000), idle / 1000.0,
		 (idle + inc_up) / 1000.0, diag_bloat_grade(inc_up / 1000.0));
	snprintf(ev->metrics, sizeof(ev->metrics),
		 "{\"idle_ms\":%.3f,\"loaded_ms\":%.3f,\"increase_ms\":%.3f,"
		 "\"direction\":\"upload\",\"grade\":\"%s\",\"rpm\":%lld}",
		 idle / 1000.0, (idle + inc_up) / 1000.0, inc_up / 1000.0,
		 diag_bloat_grade(inc_up / 1000.0),
		 (long long)(60000000 / (idle + inc_up)));
}

static void throughput(struct gen *g, int64_t ms)
{
	for (int d = 0; d < 2; d++) {
		struct bb_sample *s =
			emit(g, d ? BB_KIND_DOWNLOAD : BB_KIND_UPLOAD, IF_ETH,
			     (ms + d * 6000) * 1000, "vps-a", "vps-a");
		s->seq = (uint32_t)(d ? n_download++ : n_upload++);
		s->throughput_kbps =
			d ? 95000 - (evening(ms) ? 30000 : 0) - rnd(g, 1000)
			  : 19800 - rnd(g, 500);
	}
}

/* eth0's traffic reading at ms, of the second before it (--traffic). */
static void traffic(struct gen *g, int64_t ms)
{
	int64_t at = ms - 500;
	struct bb_sample *s = emit(g, BB_KIND_TRAFFIC, IF_ETH, ms * 1000,
				   if_name[IF_ETH], "");
	s->seq = (uint32_t)g->traffic_n++;
	s->tx_kbps = evening(at) ? 7500 + rnd(g, 2001) : 100 + rnd(g, 1401);
	s->rx_kbps = 1000 + rnd(g, 5001);
	int ph = test_phase(at);
	if (ph == BB_PHASE_UP || ph == BB_PHASE_BOTH)
		s->tx_kbps = 10000;
	if (ph == BB_PHASE_DOWN || ph == BB_PHASE_BOTH)
		s->rx_kbps = 50000;
}

static void day_events(const struct day *day)
{
	for (int k = 0; k < 2; k++) {
		const struct span *b = &day->burst[k];
		struct bb_event *ev =
			new_event("packet_loss", BB_SEV_WARNING, b->start_ms,
				  b->end_ms, if_name[b->iface], "");
		if (!ev)
			return;
		int64_t s = (b->end_ms - b->start_ms) / 1000;
		snprintf(ev->pattern, sizeof(ev->pattern), "burst");
		snprintf(ev->description, sizeof(ev->description),
			 "Loss bursts on %s: %lld s with every probe lost.",
			 if_name[b->iface], (long long)s);
		snprintf(ev->metrics, sizeof(ev->metrics),
			 "{\"pattern\":\"burst\",\"bursts\":1,"
			 "\"duration_s\":%lld}",
			 (long long)s);
	}
	struct bb_event *ev =
		new_event("micro_disconnect", BB_SEV_CRITICAL, day->md.start_ms,
			  day->md.end_ms, "eth0", "");
	if (!ev)
		return;
	snprintf(ev->description, sizeof(ev->description),
		 "Micro-disconnect on eth0: every probe failed for 4.0 s.");
	snprintf(ev->metrics, sizeof(ev->metrics), "{\"duration_ms\":4000}");
}

static int cmp_event(const void *a, const void *b)
{
	const struct bb_event *x = a, *y = b;
	return (x->start_ms > y->start_ms) - (x->start_ms < y->start_ms);
}

static int generate(struct gen *g)
{
	int rc = 0;
	int64_t interval = g->interval;
	for (int64_t ms = g->t0; ms < g->end && rc == 0; ms += interval) {
		const struct day *day = &g->days[(ms - g->t0) / DAY_MS];
		if (in(&day->gap, ms))
			continue;
		for (size_t i = 0; i < N_SERIES; i++) {
			struct series *se = &series[i];
			int every = se->every_ms ? se->every_ms : (int)interval;
			/* every slot of this series that starts in
			 * [ms, ms + interval) */
			int64_t first =
				(ms - g->t0 + every - 1) / every * every;
			for (int64_t o = first; o < ms - g->t0 + interval;
			     o += every)
				probe(g, se, day, g->t0 + o);
		}
		/* the 4-hourly tests, at UTC :15 (throughput) and :30 */
		for (int64_t m = ms; m < ms + interval; m += 1000) {
			if (m % 1000)
				continue;
			if (m % (4 * HOUR_MS) == 2 * HOUR_MS + 15 * 60000)
				throughput(g, m + 100);
			if (m % (4 * HOUR_MS) == 30 * 60000 + TEST_LEN_S * 1000)
				bloat_results(g, m + 100);
			if (g->traffic && m > g->t0)
				traffic(g, m);
		}
		if (g->n >= BATCH)
			rc = flush(g);
	}
	return rc ? rc : flush(g);
}

static void print_span(FILE *f, const struct span *sp, bool last)
{
	fprintf(f, "    {\"start_ms\": %lld, \"end_ms\": %lld",
		(long long)sp->start_ms, (long long)sp->end_ms);
	if (sp->iface >= 0)
		fprintf(f, ", \"interface\": \"%s\"", if_name[sp->iface]);
	fprintf(f, "}%s\n", last ? "" : ",");
}

/* The events' text has no character JSON must escape but '"'. */
static void print_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static void print_manifest(FILE *f, const struct gen *g, uint64_t seed,
			   int64_t rollup_rows)
{
	fprintf(f,
		"{\n  \"seed\": %llu,\n  \"days\": %d,\n  \"interval_ms\": "
		"%lld,\n  \"start_ms\": %lld,\n  \"end_ms\": %lld,\n"
		"  \"samples\": %lld,\n  \"rollup_rows\": %lld,\n",
		(unsigned long long)seed, g->ndays, (long long)g->interval,
		(long long)g->t0, (long long)g->end, (long long)g->total,
		(long long)rollup_rows);
	if (g->traffic)
		fprintf(f, "  \"traffic_readings\": %lld,\n",
			(long long)g->traffic_n);
	fprintf(f, "  \"interfaces\": {\"eth0\": \"wired\", \"wlan0\": "
		   "\"wifi\"},\n  \"series\": [\n");
	for (size_t i = 0; i < N_SERIES; i++) {
		const struct series *se = &series[i];
		fprintf(f,
			"    {\"interface\": \"%s\", \"test_type\": \"%s\", "
			"\"target\": \"%s\", \"server_name\": \"%s\", "
			"\"count\": %lld, \"ok\": %lld, \"timeout\": %lld, "
			"\"error\": %lld, \"no_session\": %lld, "
			"\"under_load\": %lld, \"lost_up\": %lld, "
			"\"lost_down\": %lld},\n",
			if_name[se->iface], sample_kind_name(se->kind),
			se->target, se->server, (long long)se->count,
			(long long)se->ok, (long long)se->timeout,
			(long long)se->error, (long long)se->no_session,
			(long long)se->under_load, (long long)se->lost_up,
			(long long)se->lost_down);
	}
	static const int tk[3] = { BB_KIND_UPLOAD, BB_KIND_DOWNLOAD,
				   BB_KIND_BUFFERBLOAT };
	const int64_t tn[3] = { n_upload, n_download, n_bloat };
	for (int i = 0; i < 3; i++)
		fprintf(f,
			"    {\"interface\": \"eth0\", \"test_type\": \"%s\", "
			"\"target\": \"vps-a\", \"server_name\": \"vps-a\", "
			"\"count\": %lld, \"ok\": %lld, \"timeout\": 0, "
			"\"error\": 0, \"no_session\": 0, \"under_load\": 0, "
			"\"lost_up\": 0, \"lost_down\": 0}%s\n",
			sample_kind_name(tk[i]), (long long)tn[i],
			(long long)tn[i], i < 2 ? "," : "");
	fprintf(f, "  ],\n  \"gaps\": [\n");
	for (int d = 0; d < g->ndays; d++)
		print_span(f, &g->days[d].gap, d == g->ndays - 1);
	fprintf(f, "  ],\n  \"loss_bursts\": [\n");
	for (int d = 0; d < g->ndays; d++)
		for (int k = 0; k < 2; k++)
			print_span(f, &g->days[d].burst[k],
				   d == g->ndays - 1 && k == 1);
	fprintf(f, "  ],\n  \"micro_disconnects\": [\n");
	for (int d = 0; d < g->ndays; d++)
		print_span(f, &g->days[d].md, d == g->ndays - 1);
	fprintf(f,
		"  ],\n  \"no_session\": {\"server_name\": \"vps-b\", "
		"\"start_ms\": %lld, \"end_ms\": %lld},\n",
		(long long)g->t0, (long long)(g->t0 + 10 * 60000));
	fprintf(f, "  \"events\": [\n");
	for (size_t i = 0; i < n_events; i++) {
		const struct bb_event *ev = &events[i];
		fprintf(f,
			"    {\"start_ms\": %lld, \"end_ms\": %lld, "
			"\"kind\": \"%s\", \"severity\": \"%s\", "
			"\"interface\": \"%s\", \"target\": \"%s\", "
			"\"server_name\": \"%s\", \"description\": ",
			(long long)ev->start_ms, (long long)ev->end_ms,
			ev->kind, bb_severity_name(ev->severity), ev->interface,
			ev->target, ev->server);
		print_str(f, ev->description);
		fprintf(f, "}%s\n", i + 1 < n_events ? "," : "");
	}
	fprintf(f, "  ]\n}\n");
}

static int usage(const char *why)
{
	fprintf(stderr,
		"bbgen: %s\nusage: bbgen -o FILE [--days N] [--seed S] "
		"[--end UNIX_S] [--interval-ms MS] [--manifest FILE] "
		"[--traffic]\n",
		why);
	return 2;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "days", required_argument, NULL, 'd' },
		{ "seed", required_argument, NULL, 's' },
		{ "end", required_argument, NULL, 'e' },
		{ "interval-ms", required_argument, NULL, 'i' },
		{ "manifest", required_argument, NULL, 'm' },
		{ "traffic", no_argument, NULL, 't' },
		{ 0 },
	};
	const char *out = NULL, *manifest = NULL;
	long long days = 1, seed = 1, end_s = clock_real_ns() / 1000000000;
	long long interval = 1000;
	bool traffic_on = false;
	int c;
	while ((c = getopt_long(argc, argv, "o:", lo, NULL)) != -1) {
		char *e = NULL;
		long long v = 0;
		if (c != 'o' && c != 'm' && c != 't' && c != '?') {
			errno = 0;
			v = strtoll(optarg, &e, 10);
			if (errno || e == optarg || *e)
				return usage("a number is expected");
		}
		switch (c) {
		case 'o':
			out = optarg;
			break;
		case 'm':
			manifest = optarg;
			break;
		case 't':
			traffic_on = true;
			break;
		case 'd':
			days = v;
			break;
		case 's':
			seed = v;
			break;
		case 'e':
			end_s = v;
			break;
		case 'i':
			interval = v;
			break;
		default:
			return usage("unknown option");
		}
	}
	if (!out || optind < argc)
		return usage("-o FILE is required");
	if (days < 1 || days > 400)
		return usage("--days is 1..400");
	if (interval < 100 || interval > 10000 || 10000 % interval)
		return usage("--interval-ms divides 10000, from 100");

	struct gen g = { .interval = interval,
			 .ndays = (int)days,
			 .traffic = traffic_on };
	g.rng = (uint64_t)seed;
	g.end = end_s / 3600 * HOUR_MS;
	g.t0 = g.end - days * DAY_MS;
	g.days = calloc((size_t)days, sizeof(*g.days));
	g.buf = malloc((BATCH + 256) * sizeof(*g.buf));
	if (!g.days || !g.buf)
		return 1;
	for (int d = 0; d < days; d++) {
		plan_day((uint64_t)seed, d, g.t0, &g.days[d]);
		day_events(&g.days[d]);
	}

	char tmp[4096], err[512];
	snprintf(tmp, sizeof(tmp), "%s.bbgen-tmp", out);
	unlink(tmp);
	g.st = store_open(tmp, STORE_RDWR, err, sizeof(err));
	if (!g.st) {
		fprintf(stderr, "bbgen: %s\n", err);
		return 1;
	}
	for (int i = 0; i < N_IF; i++)
		store_set_connection_type(g.st, if_name[i], if_conn[i]);
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	int rc = generate(&g);
	/* events in start order, as a monitor writes them */
	qsort(events, n_events, sizeof(events[0]), cmp_event);
	for (size_t i = 0; rc == 0 && i < n_events; i++)
		if (store_event_write(g.st, &events[i]) < 0)
			rc = -1;
	int64_t rolled = 0;
	if (rc == 0) {
		rolled = store_rollup(g.st, g.end);
		rc = rolled < 0 ? (int)rolled : 0;
	}
	if (rc < 0)
		fprintf(stderr, "bbgen: %s\n", store_last_error(g.st));
	store_close(g.st);
	if (rc == 0 && rename(tmp, out) < 0) {
		fprintf(stderr, "bbgen: %s: %s\n", out, strerror(errno));
		rc = -1;
	}
	if (rc < 0) {
		unlink(tmp);
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	fprintf(stderr, "bbgen: %s: %lld samples, %zu events in %.1f s\n", out,
		(long long)g.total, n_events,
		(double)(b.tv_sec - a.tv_sec) +
			(double)(b.tv_nsec - a.tv_nsec) / 1e9);
	FILE *f = manifest ? fopen(manifest, "w") : stdout;
	if (!f) {
		fprintf(stderr, "bbgen: %s: %s\n", manifest, strerror(errno));
		return 1;
	}
	print_manifest(f, &g, (uint64_t)seed, rolled);
	if (f != stdout && fclose(f) != 0)
		return 1;
	free(g.buf);
	free(g.days);
	return 0;
}
