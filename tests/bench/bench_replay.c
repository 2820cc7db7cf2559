// SPDX-License-Identifier: MIT
/*
 * Replay figures on a 30-day recording at the default configuration (3 ICMP
 * targets at 1/s + DNS every 10 s to 2 servers, ~8.3 M samples, a loss burst
 * and its event every 6 hours, evening congestion, a reboot a week): the
 * "first frame" (playback_open + playback_seek to the first sample +
 * playback_overview of 200 slices + one 60 s summary per series, median of 5
 * opens; the goal is <= 500 ms; also measured with the file's pages
 * dropped from the page cache first), a seek to the middle, a seek back,
 * and playing one minute.  The database takes minutes to build, so it is cached
 * as /tmp/bb-bench-30d.db (BB_BENCH_REPLAY_DB overrides) and reused when
 * present and complete.  Plain lines, one figure each.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
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
#include "core/analysis/model.h"
#include "core/store/playback.h"
#include "core/base/sample.h"
#include "core/analysis/stats.h"
#include "core/store/store.h"

#define T0_MS	       1732539960000LL /* minute aligned */
#define DAYS	       30
#define BATCH	       100000
#define ICMP_TARGETS   3
#define DNS_SERVERS    2
#define DNS_EVERY_S    10
#define BURST_EVERY_S  (6 * 3600)
#define BURST_LEN_S    12
#define REBOOT_EVERY_S (7 * 86400)
#define OPENS	       5
#define SLICES	       200

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Samples of second sec of the recording into out (room for 5). */
static size_t second_of(int64_t sec, uint32_t *rng, struct bb_sample *out)
{
	static const char *const icmp[] = { "gateway", "198.18.0.11",
					    "198.18.0.12" };
	static const char *const dns[] = { "198.18.0.11", "198.18.0.12" };
	/* Mono restarts at each reboot: offset to real changes. */
	int64_t boot = sec / REBOOT_EVERY_S;
	int64_t mono0 = 5 * BB_NS_PER_S - boot * REBOOT_EVERY_S * BB_NS_PER_S +
			boot * 17 * BB_NS_PER_S;
	int hour = (int)(sec / 3600 % 24);
	int64_t evening = hour >= 19 && hour < 23 ? 15000000 : 0;
	bool burst = sec % BURST_EVERY_S >= BURST_EVERY_S / 2 &&
		     sec % BURST_EVERY_S < BURST_EVERY_S / 2 + BURST_LEN_S;
	size_t n = 0;
	for (int t = 0; t < ICMP_TARGETS; t++) {
		*rng = *rng * 1103515245 + 12345;
		struct bb_sample *s = &out[n++];
		sample_init(s, BB_KIND_ICMP);
		s->mono_ns = mono0 + sec * BB_NS_PER_S + t * 7 * BB_NS_PER_MS +
			     (int64_t)(*rng >> 8) % 3000000;
		s->real_ns = s->mono_ns - mono0 + 5 * BB_NS_PER_S +
			     T0_MS * BB_NS_PER_MS + (int64_t)(*rng % 97);
		s->send_error_ns = 20000 + (int64_t)(*rng % 60000);
		snprintf(s->interface, sizeof(s->interface), "eth0");
		snprintf(s->target, sizeof(s->target), "%s", icmp[t]);
		s->seq = (uint32_t)sec;
		if ((t && burst) || (*rng >> 4) % 500 == 0)
			s->status = BB_STATUS_TIMEOUT;
		else
			s->rtt_ns = (t ? 9000000 + evening : 800000) +
				    (int64_t)((*rng >> 3) % 25000000);
	}
	if (sec % DNS_EVERY_S)
		return n;
	for (int d = 0; d < DNS_SERVERS; d++) {
		*rng = *rng * 1103515245 + 12345;
		struct bb_sample *s = &out[n++];
		sample_init(s, BB_KIND_DNS);
		s->mono_ns = mono0 + sec * BB_NS_PER_S + 500 * BB_NS_PER_MS +
			     d * 3 * BB_NS_PER_MS;
		s->real_ns = s->mono_ns - mono0 + 5 * BB_NS_PER_S +
			     T0_MS * BB_NS_PER_MS + 40;
		s->send_error_ns = 30000;
		snprintf(s->interface, sizeof(s->interface), "eth0");
		snprintf(s->target, sizeof(s->target), "%s", dns[d]);
		s->seq = (uint32_t)(sec / DNS_EVERY_S);
		if (burst)
			s->status = BB_STATUS_TIMEOUT;
		else
			s->rtt_ns = 12000000 + (int64_t)(*rng % 30000000);
	}
	return n;
}

static int64_t sec_ms(int64_t sec)
{
	return T0_MS + 5000 + sec * 1000;
}

/* Build the 30-day database at path (removed first). */
static int make_db(const char *path)
{
	char err[512], tmp[600];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	for (const char *sfx = ""; sfx; sfx = *sfx ? NULL : "-wal") {
		char p[640];
		snprintf(p, sizeof(p), "%s%s", tmp, sfx);
		unlink(p);
	}
	struct store *st = store_open(tmp, STORE_RDWR, err, sizeof(err));
	if (!st) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	struct bb_sample *buf = malloc((BATCH + 8) * sizeof(*buf));
	if (!buf) {
		store_close(st);
		return -1;
	}
	uint32_t rng = 12345;
	size_t n = 0, total = 0;
	int rc = 0;
	double t0 = now_ms();
	fprintf(stderr, "bench_replay: building %s (%d days)...\n", path, DAYS);
	for (int64_t sec = 0; sec < (int64_t)DAYS * 86400 && rc == 0; sec++) {
		n += second_of(sec, &rng, buf + n);
		if (n >= BATCH) {
			rc = store_write_samples(st, buf, n);
			total += n;
			n = 0;
		}
		if (sec % BURST_EVERY_S == BURST_EVERY_S / 2) {
			struct bb_event ev = {
				.start_ms = sec_ms(sec),
				.end_ms = sec_ms(sec + BURST_LEN_S + 3),
				.severity = BB_SEV_WARNING,
			};
			snprintf(ev.kind, sizeof(ev.kind), "loss_burst");
			snprintf(ev.interface, sizeof(ev.interface), "eth0");
			snprintf(ev.description, sizeof(ev.description),
				 "%d probes in a row lost to every target.",
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
			"bench_replay: %zu samples in %.0f s; "
			"rolling up...\n",
			total, (now_ms() - t0) / 1e3);
		rc = store_rollup(st, sec_ms((int64_t)DAYS * 86400) + 7200000);
		rc = rc < 0 ? rc : 0;
	}
	if (rc < 0)
		fprintf(stderr, "%s\n", store_last_error(st));
	store_close(st);
	if (rc == 0 && rename(tmp, path) < 0)
		rc = -errno;
	fprintf(stderr, "bench_replay: built in %.0f s\n",
		(now_ms() - t0) / 1e3);
	return rc;
}

/* A cached database is used when it spans the 30 days. */
static bool cache_ok(const char *path)
{
	char err[512];
	int64_t first, last;
	struct store *st = store_open(path, STORE_RDONLY, err, sizeof(err));
	if (!st)
		return false;
	bool ok = store_time_range(st, &first, &last) == 0 &&
		  first / 1000 == sec_ms(0) / 1000 &&
		  last / 1000 == sec_ms((int64_t)DAYS * 86400 - 1) / 1000;
	store_close(st);
	return ok;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* One 60 s summary per series, as a dashboard's first frame does. */
static uint32_t summarize(struct playback *r)
{
	struct model *m = playback_model(r);
	struct stats_summary sum;
	uint32_t probes = 0;
	for (size_t i = 0; i < model_count(m); i++) {
		stats_log_summary(model_at(m, i)->stats, STATS_60S,
				  playback_now_mono(r), &sum);
		probes += sum.count;
	}
	return probes;
}

/* Drop the database's pages from the page cache (no root needed). */
static void evict(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	fdatasync(fd);
	posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	close(fd);
}

/* playback_open .. first summaries; returns ms or -1. */
static double first_frame(const char *path, bool cold, size_t *nseries,
			  int *slices)
{
	double loss[SLICES];
	int64_t rtt[SLICES];
	char err[512];
	if (cold)
		evict(path);
	double t0 = now_ms();
	struct playback *r = playback_open(path, err, sizeof(err));
	if (!r) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	if (playback_seek(r, playback_first_ms(r)) < 0) {
		playback_close(r);
		return -1;
	}
	playback_overview(r, loss, rtt, SLICES);
	summarize(r);
	double dt = now_ms() - t0;
	*nseries = model_count(playback_model(r));
	*slices = 0;
	for (int i = 0; i < SLICES; i++)
		*slices += rtt[i] != BB_NONE;
	playback_close(r);
	return dt;
}

int main(void)
{
	const char *path = getenv("BB_BENCH_REPLAY_DB");
	if (!path || !*path)
		path = "/tmp/bb-bench-30d.db";
	if (!cache_ok(path)) {
		double t0 = now_ms();
		if (make_db(path) < 0)
			return 1;
		printf("bench_replay build_s %.0f\n", (now_ms() - t0) / 1e3);
	}

	double ff[OPENS], cold[OPENS];
	size_t nseries = 0;
	int slices = 0;
	for (int i = 0; i < OPENS; i++)
		if ((cold[i] = first_frame(path, true, &nseries, &slices)) <
			    0 ||
		    (ff[i] = first_frame(path, false, &nseries, &slices)) < 0)
			return 1;
	qsort(ff, OPENS, sizeof(*ff), cmp_double);
	qsort(cold, OPENS, sizeof(*cold), cmp_double);
	printf("bench_replay first_frame_ms %.1f\n", ff[OPENS / 2]);
	printf("bench_replay first_frame_max_ms %.1f\n", ff[OPENS - 1]);
	printf("bench_replay first_frame_cold_cache_ms %.1f\n",
	       cold[OPENS / 2]);
	printf("bench_replay series %zu\n", nseries);
	printf("bench_replay overview_slices_with_rtt %d/%d\n", slices, SLICES);

	char err[512];
	struct playback *r = playback_open(path, err, sizeof(err));
	if (!r) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	int64_t first = playback_first_ms(r), last = playback_last_ms(r);
	double t0 = now_ms();
	int rc = playback_seek(r, first + (last - first) / 2);
	double seek_mid = now_ms() - t0;
	uint32_t probes = summarize(r);
	printf("bench_replay seek_middle_ms %.1f\n", seek_mid);
	printf("bench_replay seek_middle_probes_60s %" PRIu32 "\n", probes);

	t0 = now_ms();
	for (int i = 0; i < 60 && rc == 0; i++) {
		rc = playback_advance(r, 1000);
		summarize(r);
	}
	printf("bench_replay play_60x1s_ms %.1f\n", now_ms() - t0);

	t0 = now_ms();
	if (rc == 0)
		rc = playback_seek(r, first + (last - first) / 4);
	printf("bench_replay seek_back_ms %.1f\n", now_ms() - t0);

	double loss[SLICES];
	int64_t rtt[SLICES];
	t0 = now_ms();
	playback_overview(r, loss, rtt, SLICES);
	printf("bench_replay overview_200_ms %.1f\n", now_ms() - t0);
	size_t nev = 0;
	playback_events(r, &nev);
	printf("bench_replay events %zu\n", nev);
	playback_close(r);
	return rc < 0;
}
