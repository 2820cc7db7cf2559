/* SPDX-License-Identifier: MIT */
/*
 * Deterministic databases for tests and benchmarks (see gendb.h).  One
 * linear congruential generator seeded the same way every time, so two
 * builds with the same options hold the same samples.
 */
#include "tests/lib/gendb.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/analysis/event.h"
#include "core/base/clock.h"
#include "core/base/sample.h"
#include "core/store/store.h"

#define BATCH	      50000
#define BURST_EVERY_S (6 * 3600)
#define BURST_LEN_S   12
#define GAP_DAY	      1 /* the monitor is off on the second day */
#define GAP_START_S   (10 * 3600)
#define GAP_LEN_S     (90 * 60)

static uint32_t rng_next(uint32_t *r)
{
	*r = *r * 1103515245u + 12345u;
	return *r >> 1;
}

static double uni(uint32_t *r)
{
	return (rng_next(r) % 1000000 + 0.5) / 1e6;
}

static void base(struct bb_sample *s, int kind, int64_t ms, const char *iface,
		 const char *target, const char *server)
{
	sample_init(s, kind);
	s->real_ns = ms * BB_NS_PER_MS;
	s->mono_ns = s->real_ns;
	snprintf(s->interface, sizeof(s->interface), "%s", iface);
	snprintf(s->target, sizeof(s->target), "%s", target);
	snprintf(s->server, sizeof(s->server), "%s", server);
}

static void event(struct store *st, int64_t start, int64_t end,
		  const char *kind, int sev, const char *iface,
		  const char *target, const char *desc)
{
	struct bb_event ev = { .start_ms = start,
			       .end_ms = end,
			       .severity = (uint8_t)sev };
	snprintf(ev.kind, sizeof(ev.kind), "%s", kind);
	snprintf(ev.interface, sizeof(ev.interface), "%s", iface);
	snprintf(ev.target, sizeof(ev.target), "%s", target);
	snprintf(ev.description, sizeof(ev.description), "%s", desc);
	snprintf(ev.metrics, sizeof(ev.metrics), "{}");
	if (!strcmp(kind, "packet_loss"))
		snprintf(ev.pattern, sizeof(ev.pattern), "burst");
	store_event_write(st, &ev);
}

static size_t small_second(const struct gendb_opts *o, int64_t sec,
			   struct bb_sample *out)
{
	if (sec >= o->gap_s && sec < o->gap_s + o->gap_len)
		return 0;
	struct bb_sample *s = out;
	base(s, BB_KIND_ICMP, o->t0_ms + sec * 1000, "eth0", "198.18.0.11", "");
	s->seq = (uint32_t)sec;
	if (sec >= o->burst_s && sec < o->burst_s + o->burst_len)
		s->status = BB_STATUS_TIMEOUT;
	else
		s->rtt_ns = (10 + sec % 10) * BB_NS_PER_MS;
	return 1;
}

/* A delay in ns: base ms, spread by a uniform part and an exponential
 * tail (queueing). */
static int64_t delay(uint32_t *r, double base_ms, double spread, double tail)
{
	double ms = base_ms + spread * uni(r) - tail * log(uni(r));
	return (int64_t)(ms * BB_NS_PER_MS);
}

static size_t real_second(const struct gendb_opts *o, int64_t sec, uint32_t *r,
			  struct bb_sample *out)
{
	int64_t day = sec / 86400, in_day = sec % 86400;
	if (day == GAP_DAY && in_day >= GAP_START_S &&
	    in_day < GAP_START_S + GAP_LEN_S)
		return 0;
	int64_t ms = o->t0_ms + sec * 1000;
	time_t tt = (time_t)(ms / 1000);
	struct tm tm;
	localtime_r(&tt, &tm);
	bool evening = tm.tm_hour >= 18;
	double ev = evening ? 14.0 + 6 * sin(tm.tm_hour) : 0;
	bool burst = sec % BURST_EVERY_S >= BURST_EVERY_S / 2 &&
		     sec % BURST_EVERY_S < BURST_EVERY_S / 2 + BURST_LEN_S;
	static const struct {
		const char *iface, *target, *server;
		int kind;
		double base, spread, tail, loss;
	} icmp[] = {
		{ "eth0", "gateway", "", BB_KIND_ICMP, 0.6, 0.3, 0.1, 0.0005 },
		{ "eth0", "198.18.0.11", "", BB_KIND_ICMP, 11, 3, 2, 0.002 },
		{ "eth0", "198.18.0.12", "", BB_KIND_ICMP, 18, 4, 2.5, 0.002 },
		{ "eth0", "vps", "vps", BB_KIND_UDP_ECHO, 12, 3, 2, 0.002 },
		{ "wlan0", "198.18.0.11", "", BB_KIND_ICMP, 16, 8, 6, 0.01 },
	};
	size_t n = 0;
	for (size_t t = 0; t < sizeof(icmp) / sizeof(icmp[0]); t++) {
		struct bb_sample *s = &out[n++];
		base(s, icmp[t].kind, ms + (int64_t)t * 7, icmp[t].iface,
		     icmp[t].target, icmp[t].server);
		s->seq = (uint32_t)sec;
		bool lost = uni(r) < icmp[t].loss * (evening ? 2 : 1);
		if (lost || (burst && t && !strcmp(icmp[t].iface, "eth0")))
			s->status = BB_STATUS_TIMEOUT;
		else
			s->rtt_ns = delay(r, icmp[t].base + (t ? ev : 0),
					  icmp[t].spread,
					  icmp[t].tail * (evening ? 2 : 1));
	}
	if (sec % 10 == 0)
		for (int d = 0; d < 2; d++) {
			struct bb_sample *s = &out[n++];
			base(s, d ? BB_KIND_TCP_CONNECT : BB_KIND_DNS,
			     ms + 500 + d * 3, "eth0",
			     d ? "198.18.0.12:443" : "198.18.0.53", "");
			s->seq = (uint32_t)(sec / 10);
			if (burst)
				s->status = BB_STATUS_TIMEOUT;
			else
				s->rtt_ns = delay(r, d ? 24 : 14, 6, 4);
		}
	if (sec % 300 == 150)
		for (int d = 0; d < 2; d++) {
			struct bb_sample *s = &out[n++];
			base(s, d ? BB_KIND_DOWNLOAD : BB_KIND_UPLOAD,
			     ms + 600 + d * 10000, "eth0", "vps", "vps");
			double full = d ? 95000 : 19800;
			s->throughput_kbps =
				(int64_t)(full * (evening ? 0.7 : 1) *
					  (0.92 + 0.08 * uni(r)));
		}
	if (sec % 3600 == 1800)
		for (int d = 0; d < 2; d++) {
			struct bb_sample *s = &out[n++];
			double idle = 12 + uni(r);
			double inc = d ? 8 + 10 * uni(r)
				       : (evening ? 260 : 90) + 60 * uni(r);
			base(s, BB_KIND_BUFFERBLOAT, ms + 700 + d * 200, "eth0",
			     "vps", "vps");
			s->load_phase = d ? BB_PHASE_DOWN : BB_PHASE_UP;
			s->rtt_ns = (int64_t)((idle + inc) * BB_NS_PER_MS);
			s->bloat.idle_p50_ns = (int64_t)(idle * BB_NS_PER_MS);
			s->bloat.loaded_p95_ns =
				(int64_t)((idle + inc * 1.3) * BB_NS_PER_MS);
			s->bloat.increase_ns = (int64_t)(inc * BB_NS_PER_MS);
			s->bloat.rpm = (int32_t)(60000 / (idle + inc));
		}
	return n;
}

static void real_events(struct store *st, const struct gendb_opts *o,
			int64_t sec)
{
	int64_t ms = o->t0_ms + sec * 1000;
	if (sec % BURST_EVERY_S == BURST_EVERY_S / 2)
		event(st, ms, ms + BURST_LEN_S * 1000, "packet_loss",
		      BB_SEV_WARNING, "eth0", "198.18.0.11",
		      "Loss burst to 198.18.0.11: 12 probes in a row.");
	if (sec % 86400 == 20 * 3600 + 600 && (sec / 86400) % 2 == 0)
		event(st, ms, ms + 25 * 60 * 1000, "latency_spike",
		      BB_SEV_CRITICAL, "eth0", "198.18.0.12",
		      "Latency to 198.18.0.12 above 60 ms for 25 minutes.");
	if (sec == 86400 + GAP_START_S + GAP_LEN_S + 5)
		event(st, ms, ms, "gateway_change", BB_SEV_INFO, "eth0", "",
		      "The gateway changed after the monitor restarted.");
}

int gendb_build(const char *path, const struct gendb_opts *o, size_t *samples,
		char *err, size_t errlen)
{
	unlink(path);
	struct store *st = store_open(path, STORE_RDWR, err, errlen);
	if (!st)
		return -1;
	struct bb_sample *buf = malloc((BATCH + 32) * sizeof(*buf));
	if (!buf) {
		store_close(st);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	uint32_t r = 4242;
	size_t n = 0, total = 0;
	int rc = 0;
	store_set_connection_type(st, "eth0", "wired");
	store_set_connection_type(st, "wlan0", "wifi");
	for (int64_t sec = 0; sec < o->seconds && rc == 0; sec++) {
		if (o->shape == GENDB_SMALL)
			n += small_second(o, sec, buf + n);
		else
			n += real_second(o, sec, &r, buf + n);
		if (n >= BATCH) {
			rc = store_write_samples(st, buf, n);
			total += n;
			n = 0;
		}
		if (o->shape == GENDB_REALISTIC)
			real_events(st, o, sec);
	}
	if (rc == 0 && n)
		rc = store_write_samples(st, buf, n);
	total += n;
	free(buf);
	if (o->shape == GENDB_SMALL && rc == 0) {
		int64_t b = o->t0_ms + o->burst_s * 1000;
		event(st, b, b + o->burst_len * 1000, "packet_loss",
		      BB_SEV_WARNING, "eth0", "198.18.0.11",
		      "Loss burst to 198.18.0.11.");
		int64_t e = o->t0_ms + o->event_s * 1000;
		event(st, e, e + 12000, "latency_spike", BB_SEV_CRITICAL,
		      "eth0", "198.18.0.11", "Latency spike.");
	}
	if (rc == 0 && store_rollup(st, o->t0_ms + o->seconds * 1000) < 0)
		rc = -1;
	if (rc < 0)
		snprintf(err, errlen, "%s", store_last_error(st));
	store_close(st);
	if (samples)
		*samples = total;
	return rc < 0 ? -1 : 0;
}
