// SPDX-License-Identifier: MIT
/*
 * `bufferbane stats/report --last 7d` figures on a 7-day recording that
 * ends now (so the CLI's --last 7d covers it): 4 ICMP targets and a UDP
 * echo at 1/s, DNS and TCP connect to 2 targets every 10 s (~3.3 M probes),
 * throughput tests every 5 min, a bufferbloat test each hour, evening
 * congestion, a loss burst and its event every 6 hours, rolled up.  Times
 * history_summarize() the default way (rollups for whole hours), the exact
 * way (every raw sample) and each output format; median of 3.  The
 * database is cached as /tmp/bb-bench-7d.db (BB_BENCH_HISTORY_DB
 * overrides) and rebuilt when missing or older than 6 hours.  Plain lines.
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/base/clock.h"
#include "core/analysis/event.h"
#include "core/store/history.h"
#include "core/store/report.h"
#include "core/base/sample.h"
#include "core/store/store.h"

#define DAYS	      7
#define BATCH	      100000
#define BURST_EVERY_S (6 * 3600)
#define BURST_LEN_S   12
#define RUNS	      3

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void base(struct bb_sample *s, int kind, int64_t ms, const char *target,
		 const char *server)
{
	sample_init(s, kind);
	s->real_ns = ms * BB_NS_PER_MS;
	s->mono_ns = s->real_ns; /* one boot; only ordering matters here */
	s->send_error_ns = 30000;
	snprintf(s->interface, sizeof(s->interface), "eth0");
	snprintf(s->target, sizeof(s->target), "%s", target);
	snprintf(s->server, sizeof(s->server), "%s", server);
}

/* Samples of second sec (start t0 ms) into out (room for 12). */
static size_t second_of(int64_t t0, int64_t sec, uint32_t *rng,
			struct bb_sample *out)
{
	static const char *const icmp[] = { "gateway", "198.18.0.11",
					    "198.18.0.12", "198.18.0.13" };
	int64_t ms = t0 + sec * 1000;
	time_t tt = (time_t)(ms / 1000);
	struct tm tm;
	localtime_r(&tt, &tm);
	int64_t evening = tm.tm_hour >= 18 ? 30000000 : 0;
	bool burst = sec % BURST_EVERY_S >= BURST_EVERY_S / 2 &&
		     sec % BURST_EVERY_S < BURST_EVERY_S / 2 + BURST_LEN_S;
	size_t n = 0;
	for (int t = 0; t < 5; t++) {
		*rng = *rng * 1103515245 + 12345;
		struct bb_sample *s = &out[n++];
		if (t < 4)
			base(s, BB_KIND_ICMP, ms + t * 7, icmp[t], "");
		else
			base(s, BB_KIND_UDP_ECHO, ms + 40, "vps", "vps");
		s->seq = (uint32_t)sec;
		if ((t && burst) || (*rng >> 4) % 500 == 0)
			s->status = BB_STATUS_TIMEOUT;
		else
			s->rtt_ns = (t ? 9000000 + evening : 800000) +
				    (int64_t)((*rng >> 3) % 25000000);
	}
	if (sec % 10 == 0)
		for (int d = 0; d < 4; d++) {
			*rng = *rng * 1103515245 + 12345;
			struct bb_sample *s = &out[n++];
			base(s, d < 2 ? BB_KIND_DNS : BB_KIND_TCP_CONNECT,
			     ms + 500 + d * 3,
			     d % 2 ? "198.18.0.12" : "198.18.0.11", "");
			s->seq = (uint32_t)(sec / 10);
			if (burst)
				s->status = BB_STATUS_TIMEOUT;
			else
				s->rtt_ns =
					12000000 + (int64_t)(*rng % 30000000);
		}
	if (sec % 300 == 150)
		for (int d = 0; d < 2; d++) {
			struct bb_sample *s = &out[n++];
			base(s, d ? BB_KIND_DOWNLOAD : BB_KIND_UPLOAD,
			     ms + 600 + d * 10000, "vps", "vps");
			s->throughput_kbps = d ? 95000 - (evening ? 30000 : 0)
					       : 19800 - (int64_t)(*rng % 500);
		}
	if (sec % 3600 == 1800) {
		int64_t up = evening ? 290 : 120, down = 12;
		struct bb_sample *s = &out[n++];
		base(s, BB_KIND_BUFFERBLOAT, ms + 700, "vps", "vps");
		s->rtt_ns = (up + 10) * BB_NS_PER_MS;
		snprintf(s->detail, sizeof(s->detail), "up %s +%lldms rpm=%.0f",
			 up >= 200 ? "D" : "C", (long long)up,
			 60000.0 / (double)(up + 10));
		s = &out[n++];
		base(s, BB_KIND_BUFFERBLOAT, ms + 900, "vps", "vps");
		s->rtt_ns = (down + 10) * BB_NS_PER_MS;
		snprintf(s->detail, sizeof(s->detail),
			 "down A +%lldms rpm=%.0f", (long long)down,
			 60000.0 / (double)(down + 10));
	}
	return n;
}

static int make_db(const char *path, int64_t t0)
{
	char err[512], tmp[600];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	unlink(tmp);
	struct store *st = store_open(tmp, STORE_RDWR, err, sizeof(err));
	if (!st) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	struct bb_sample *buf = malloc((BATCH + 16) * sizeof(*buf));
	if (!buf) {
		store_close(st);
		return -1;
	}
	uint32_t rng = 4242;
	size_t n = 0, total = 0;
	int rc = 0;
	double c0 = now_ms();
	fprintf(stderr, "bench_history: building %s (%d days)...\n", path,
		DAYS);
	for (int64_t sec = 0; sec < (int64_t)DAYS * 86400 && rc == 0; sec++) {
		n += second_of(t0, sec, &rng, buf + n);
		if (n >= BATCH) {
			rc = store_write_samples(st, buf, n);
			total += n;
			n = 0;
		}
		if (sec % BURST_EVERY_S == BURST_EVERY_S / 2) {
			struct bb_event ev = {
				.start_ms = t0 + sec * 1000,
				.end_ms = t0 + (sec + BURST_LEN_S) * 1000,
				.severity = BB_SEV_WARNING,
			};
			snprintf(ev.kind, sizeof(ev.kind), "packet_loss");
			snprintf(ev.interface, sizeof(ev.interface), "eth0");
			snprintf(ev.target, sizeof(ev.target), "198.18.0.11");
			snprintf(ev.description, sizeof(ev.description),
				 "Loss bursts to 198.18.0.11: %d probes in a "
				 "row.",
				 BURST_LEN_S);
			snprintf(ev.metrics, sizeof(ev.metrics),
				 "{\"pattern\":\"burst\",\"bursts\":1,"
				 "\"longest_burst\":%d}",
				 BURST_LEN_S);
			if (store_event_write(st, &ev) < 0)
				rc = -1;
		}
	}
	if (rc == 0 && n)
		rc = store_write_samples(st, buf, n);
	total += n;
	free(buf);
	if (rc == 0) {
		fprintf(stderr,
			"bench_history: %zu samples in %.0f s; rolling "
			"up...\n",
			total, (now_ms() - c0) / 1e3);
		rc = store_rollup(st, t0 + (int64_t)DAYS * 86400000);
		rc = rc < 0 ? rc : 0;
	}
	if (rc < 0)
		fprintf(stderr, "%s\n", store_last_error(st));
	store_close(st);
	if (rc == 0 && rename(tmp, path) < 0)
		rc = -errno;
	fprintf(stderr, "bench_history: built in %.0f s\n",
		(now_ms() - c0) / 1e3);
	return rc;
}

/* A cached database is used when it ends less than 6 hours ago. */
static bool cache_ok(const char *path, int64_t now)
{
	char err[512];
	int64_t first, last;
	struct store *st = store_open(path, STORE_RDONLY, err, sizeof(err));
	if (!st)
		return false;
	bool ok = store_time_range(st, &first, &last) == 0 &&
		  last - first > (DAYS * 86400 - 60) * 1000LL &&
		  now - last < 6 * 3600000LL;
	store_close(st);
	return ok;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double summarize(const char *path, int64_t from, int64_t to, int flags,
			int fmt, struct history_summary *keep)
{
	double t[RUNS];
	for (int r = 0; r < RUNS; r++) {
		char err[512];
		struct store *st;
		static struct history_summary s;
		double c0 = now_ms();
		if (history_open(path, &st, err, sizeof(err)) < 0) {
			fprintf(stderr, "%s\n", err);
			return -1;
		}
		int rc = history_summarize(st, from, to, flags, &s);
		store_close(st);
		if (rc == 0 && fmt >= 0) {
			FILE *f = fopen("/dev/null", "w");
			rc = f ? report_write(f, &s, fmt, path) : -EIO;
			if (f)
				fclose(f);
		}
		t[r] = now_ms() - c0;
		if (rc < 0)
			return -1;
		if (keep && r == RUNS - 1) {
			*keep = s;
			keep->events = NULL;
		}
		history_summary_fini(&s);
	}
	qsort(t, RUNS, sizeof(t[0]), cmp_double);
	return t[RUNS / 2];
}

int main(void)
{
	const char *path = getenv("BB_BENCH_HISTORY_DB");
	if (!path || !*path)
		path = "/tmp/bb-bench-7d.db";
	int64_t now = clock_real_ns() / BB_NS_PER_MS;
	if (!cache_ok(path, now) &&
	    make_db(path, (now - (int64_t)DAYS * 86400000) / 1000 * 1000) < 0)
		return 1;
	int64_t first, last;
	char err[512];
	struct store *st = store_open(path, STORE_RDONLY, err, sizeof(err));
	if (!st || store_time_range(st, &first, &last) < 0)
		return 1;
	store_close(st);
	int64_t to = last + 1, from = to - (int64_t)DAYS * 86400000;

	struct history_summary s;
	double t_auto = summarize(path, from, to, HISTORY_AUTO, -1, &s);
	double t_exact = summarize(path, from, to, HISTORY_EXACT, -1, NULL);
	printf("history: 7-day database: %lld probes in %zu series\n",
	       (long long)s.samples, s.nseries);
	printf("history: summarize 7 d, default (rollups for whole hours%s): "
	       "%.0f ms\n",
	       s.approx ? "" : ", NOT used", t_auto);
	printf("history: summarize 7 d, exact (every raw sample): %.0f ms\n",
	       t_exact);
	static const char *const fname[] = { "text", "json", "md", "html" };
	for (int fmt = REPORT_TEXT; fmt <= REPORT_HTML; fmt++)
		printf("history: stats/report 7 d --format %s: %.0f ms\n",
		       fname[fmt],
		       summarize(path, from, to, HISTORY_AUTO, fmt, NULL));
	char v[2048];
	snprintf(s.span, sizeof(s.span), "7 days");
	history_verdict(&s, v, sizeof(v));
	printf("history: verdict: %s\n", v);
	return 0;
}
