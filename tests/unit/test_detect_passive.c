// SPDX-License-Identifier: MIT
/*
 * Passive bufferbloat: the pure judge on rings of seconds (busy and idle
 * seconds, a measured or only a seen capacity, upload and download, our
 * own test's seconds left out, too short a load, targets of different
 * distances), then the detector fed real samples through the model: the
 * bufferbloat_passive event, its figures and the verdict's sentence, none
 * while our own test is the load.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/analysis/detect.h"
#include "core/analysis/detect_diag.h"
#include "core/analysis/detect_passive.h"
#include "core/analysis/model.h"
#include "core/base/clock.h"
#include "core/base/config.h"
#include "core/engine/source.h"
#include "core/store/history.h"
#include "core/store/report.h"
#include "core/store/report_passive.h"
#include "core/store/store.h"

#define MS   BB_NS_PER_MS
#define SEC  BB_NS_PER_S
#define S0   1000 /* first second of a ring */
#define NONE ((double[PASSIVE_NDIR]){ 0, 0 })

static struct passive_sec ring[PASSIVE_SECONDS];

/* Second S0 + i: rates up/down and one RTT of series 0 (ms). */
static void put(int i, int64_t up, int64_t down, double rtt_ms)
{
	struct passive_sec *s = &ring[i];
	memset(s, 0, sizeof(*s));
	s->sec = S0 + i;
	s->rate[PASSIVE_UP] = up;
	s->rate[PASSIVE_DOWN] = down;
	if (rtt_ms > 0) {
		s->rtt[0] = (int64_t)(rtt_ms * MS);
		s->nrtt = 1;
	}
}

/* 60 idle seconds at 20 ms, then N seconds of BUSY kbit/s in direction
 * DIR at LOADED ms, then 3 idle seconds; returns the index after. */
static int scene(enum passive_dir dir, int n, int64_t busy, double loaded)
{
	memset(ring, 0, sizeof(ring));
	int i = 0;
	for (; i < 60; i++)
		put(i, 8 + i % 3, 12 + i % 5, 20 + (i % 3) * 0.1);
	for (int k = 0; k < n; k++, i++)
		put(i, dir == PASSIVE_UP ? busy : 30,
		    dir == PASSIVE_DOWN ? busy : 90, loaded + (k % 3) * 0.1);
	for (int k = 0; k < 3; k++, i++)
		put(i, 9, 11, 20);
	return i;
}

static void test_upload_busy_measured_capacity(void **state)
{
	(void)state;
	int end = scene(PASSIVE_UP, 20, 4800, 300);
	struct passive_result r;
	double cap[PASSIVE_NDIR] = { 5000, 50000 };
	assert_int_equal(passive_judge(ring, PASSIVE_SECONDS, S0 + end,
				       PASSIVE_UP, cap, &r),
			 1);
	assert_int_equal(r.cap_src, PASSIVE_CAP_TEST);
	assert_true(r.increase_ms > 279.9 && r.increase_ms < 280.2);
	assert_true(r.idle_ms > 19.9 && r.idle_ms < 20.2);
	assert_true(r.util_pct > 95.9 && r.util_pct < 96.1);
	assert_int_equal(r.busy_s, 20);
	assert_int_equal(r.first_s, S0 + 60);
	assert_int_equal(r.last_s, S0 + 79);
	/* the download side was not busy */
	assert_int_equal(passive_judge(ring, PASSIVE_SECONDS, S0 + end,
				       PASSIVE_DOWN, cap, &r),
			 0);
	/* below 70 % of a measured 10 Mbit/s it is not busy */
	cap[PASSIVE_UP] = 10000;
	assert_int_equal(passive_judge(ring, PASSIVE_SECONDS, S0 + end,
				       PASSIVE_UP, cap, &r),
			 0);
	/* judged over the last minute only: long after, nothing */
	cap[PASSIVE_UP] = 5000;
	assert_int_equal(passive_judge(ring, PASSIVE_SECONDS, S0 + end + 70,
				       PASSIVE_UP, cap, &r),
			 0);
}

static void test_no_capacity_known_uses_rate_seen(void **state)
{
	(void)state;
	int end = scene(PASSIVE_UP, 20, 4800, 300);
	struct passive_result r;
	assert_int_equal(passive_judge(ring, PASSIVE_SECONDS, S0 + end,
				       PASSIVE_UP, NONE, &r),
			 1);
	assert_int_equal(r.cap_src, PASSIVE_CAP_SEEN);
	assert_true(r.cap_kbps == 4800);
	assert_true(r.util_pct > 99.9 && r.util_pct < 100.1);
	assert_true(r.increase_ms > 279.9 && r.increase_ms < 280.2);
	/* a household busy most of the time: 100 busy seconds after 60 idle
	 * ones are still busy (the idle rate is of the quiet seconds) */
	end = scene(PASSIVE_UP, 100, 4800, 300);
	assert_int_equal(passive_judge(ring, PASSIVE_SECONDS, S0 + end,
				       PASSIVE_UP, NONE, &r),
			 1);
	/* the last minute before NOW: 3 idle seconds and NOW itself */
	assert_int_equal(r.busy_s, PASSIVE_WINDOW_S - 4);
	/* chatter alone is no load: 20 s of 150 kbit/s (above the idle
	 * median x 4 but below PASSIVE_MIN_KBPS) is not busy */
	end = scene(PASSIVE_UP, 20, 150, 300);
	assert_int_equal(passive_judge(ring, PASSIVE_SECONDS, S0 + end,
				       PASSIVE_UP, NONE, &r),
			 0);
	assert_int_equal(r.busy_s, 0);
}

static void test_download_direction(void **state)
{
	(void)state;
	int end = scene(PASSIVE_DOWN, 15, 45000, 120);
	struct passive_result r;
	double cap[PASSIVE_NDIR] = { 5000, 50000 };
	assert_int_equal(passive_judge(ring, PASSIVE_SECONDS, S0 + end,
				       PASSIVE_DOWN, cap, &r),
			 1);
	assert_string_equal(passive_dir_name(r.dir), "download");
	assert_true(r.increase_ms > 99.9 && r.increase_ms < 100.2);
	assert_true(r.util_pct > 89.9 && r.util_pct < 90.1);
	assert_int_equal(passive_judge(ring, PASSIVE_SECONDS, S0 + end,
				       PASSIVE_UP, cap, &r),
			 0);
}

static void test_own_test_and_short_load_excluded(void **state)
{
	(void)state;
	int end = scene(PASSIVE_UP, 20, 4800, 300);
	struct passive_result r;
	double cap[PASSIVE_NDIR] = { 5000, 50000 };
	for (int i = 60; i < 80; i++)
		ring[i].own = true; /* our own throughput test was the load */
	assert_int_equal(passive_judge(ring, PASSIVE_SECONDS, S0 + end,
				       PASSIVE_UP, cap, &r),
			 0);
	assert_int_equal(r.busy_s, 0);
	/* nor does its rate make the capacity seen */
	assert_int_equal(passive_judge(ring, PASSIVE_SECONDS, S0 + end,
				       PASSIVE_UP, NONE, &r),
			 0);
	assert_true(r.cap_kbps < 100);
	/* 4 busy seconds are no sustained load */
	end = scene(PASSIVE_UP, PASSIVE_SUSTAIN_S - 1, 4800, 300);
	assert_int_equal(passive_judge(ring, PASSIVE_SECONDS, S0 + end,
				       PASSIVE_UP, cap, &r),
			 0);
	/* 5 are, and a second the counters' read skipped does not break
	 * a run */
	end = scene(PASSIVE_UP, PASSIVE_SUSTAIN_S + 1, 4800, 300);
	ring[62].rate[PASSIVE_UP] = ring[62].rate[PASSIVE_DOWN] = BB_NONE;
	assert_int_equal(passive_judge(ring, PASSIVE_SECONDS, S0 + end,
				       PASSIVE_UP, cap, &r),
			 1);
	assert_int_equal(r.busy_s, PASSIVE_SUSTAIN_S);
	/* two such seconds in a row do break it (the counters stopped) */
	end = scene(PASSIVE_UP, PASSIVE_SUSTAIN_S + 2, 4800, 300);
	for (int i = 62; i < 64; i++)
		ring[i].rate[PASSIVE_UP] = ring[i].rate[PASSIVE_DOWN] = BB_NONE;
	assert_int_equal(passive_judge(ring, PASSIVE_SECONDS, S0 + end,
				       PASSIVE_UP, cap, &r),
			 0);
}

static void test_idle_only_and_targets_of_two_distances(void **state)
{
	(void)state;
	struct passive_result r;
	double cap[PASSIVE_NDIR] = { 5000, 50000 };
	int end = scene(PASSIVE_UP, 0, 0, 0);
	assert_int_equal(passive_judge(ring, PASSIVE_SECONDS, S0 + end,
				       PASSIVE_UP, cap, &r),
			 0);
	/* series 1 at 50 ms beside series 0 at 20 ms, both +200 under load:
	 * the increase is 200, not a mix of the two distances */
	end = scene(PASSIVE_UP, 20, 4800, 220);
	for (int i = 0; i < end; i++) {
		struct passive_sec *s = &ring[i];
		s->series[1] = 1;
		s->rtt[1] = s->rtt[0] + 30 * MS;
		s->nrtt = 2;
	}
	assert_int_equal(passive_judge(ring, PASSIVE_SECONDS, S0 + end,
				       PASSIVE_UP, cap, &r),
			 1);
	assert_true(r.increase_ms > 199.9 && r.increase_ms < 200.2);
	assert_int_equal(r.n_busy, 40);
}

/* ---- through the detector ----------------------------------------------- */

struct fix {
	struct bb_config cfg;
	struct model *m;
	struct detect *d;
	int n, n_passive;
	struct bb_event last; /* newest bufferbloat_passive change */
	int64_t next_tick;
};

static void on_ev(void *ctx, const struct bb_event *ev, enum detect_state st)
{
	struct fix *f = ctx;
	(void)st;
	f->n++;
	if (!strcmp(ev->kind, "bufferbloat_passive")) {
		f->n_passive++;
		f->last = *ev;
	}
}

static struct fix *fix_new(void)
{
	struct fix *f = calloc(1, sizeof(*f));
	config_defaults(&f->cfg);
	f->m = model_new(SEC);
	f->d = detect_new(detect_params_from_config(
				  &f->cfg, &(struct detect_params){ 0 }),
			  on_ev, f);
	f->next_tick = 1000 * SEC;
	return f;
}

static void fix_free(struct fix *f)
{
	detect_free(f->d);
	model_free(f->m);
	free(f);
}

static void push(struct fix *f, struct bb_sample *s)
{
	while (f->next_tick <= s->mono_ns) {
		detect_tick(f->d, f->next_tick);
		f->next_tick += SEC;
	}
	s->real_ns = s->mono_ns + 1700000000LL * SEC;
	detect_sample(f->d, model_add(f->m, s), s);
}

/* One second at T: a traffic sample (up/down kbit/s) and an answer from
 * "far" at RTT ms and from the gateway at 1 ms (never judged), FLAGS on
 * the delay probes. */
static void second(struct fix *f, int64_t t, int64_t up, int64_t down,
		   double rtt, uint16_t flags)
{
	struct bb_sample s;
	sample_init(&s, BB_KIND_TRAFFIC);
	s.mono_ns = t;
	s.status = BB_STATUS_OK;
	s.tx_kbps = up;
	s.rx_kbps = down;
	snprintf(s.target, sizeof(s.target), "eth0");
	push(f, &s);
	const char *targets[2] = { "far", "gateway" };
	for (int k = 0; k < 2; k++) {
		sample_init(&s, BB_KIND_ICMP);
		s.mono_ns = t + 300 * MS + k * MS;
		s.status = BB_STATUS_OK;
		s.flags = flags;
		s.rtt_ns = k ? MS : (int64_t)(rtt * MS);
		snprintf(s.target, sizeof(s.target), "%s", targets[k]);
		push(f, &s);
	}
}

static void test_detector_raises_event_and_verdict(void **state)
{
	(void)state;
	struct fix *f = fix_new();
	int64_t t = 1000 * SEC;
	for (int i = 0; i < 40; i++, t += SEC)
		second(f, t, 10, 20, 20, 0);
	assert_int_equal(f->n_passive, 0);
	for (int i = 0; i < 20; i++, t += SEC)
		second(f, t, 4800, 200, 320, 0);
	assert_true(f->n_passive > 0);
	assert_string_equal(f->last.interface, "");
	assert_string_equal(f->last.target, "upload");
	assert_int_equal(f->last.severity, BB_SEV_WARNING);
	assert_non_null(strstr(f->last.description,
			       "Upload busy at 4.8 Mbit/s (100 % of the "
			       "highest rate seen, 4.8 Mbit/s) raised latency "
			       "by +300 ms (20.0 -> 320.0 ms), grade D."));
	assert_non_null(strstr(f->last.metrics, "\"capacity\":\"seen\""));
	char v[1024];
	detect_verdict(f->d, v, sizeof(v));
	assert_non_null(strstr(v, "Upload busy at 4.8 Mbit/s"));
	assert_non_null(strstr(v, "Enable SQM (cake)"));
	/* it ends once the line is quiet again */
	for (int i = 0; i < 40; i++, t += SEC)
		second(f, t, 10, 20, 20, 0);
	assert_int_equal(detect_open_of_kind(f->d, "bufferbloat_passive"), 0);
	assert_true(f->last.end_ms > f->last.start_ms);
	fix_free(f);
}

static void test_detector_measured_capacity(void **state)
{
	(void)state;
	struct fix *f = fix_new();
	int64_t t = 1000 * SEC;
	struct bb_sample s;
	sample_init(&s, BB_KIND_UPLOAD);
	s.mono_ns = t;
	s.status = BB_STATUS_OK;
	s.throughput_kbps = 5000;
	snprintf(s.server, sizeof(s.server), "lab");
	push(f, &s);
	t += 5 * SEC;
	for (int i = 0; i < 40; i++, t += SEC)
		second(f, t, 10, 20, 20, 0);
	for (int i = 0; i < 20; i++, t += SEC)
		second(f, t, 4800, 200, 700, 0);
	assert_true(f->n_passive > 0);
	assert_int_equal(f->last.severity, BB_SEV_CRITICAL);
	assert_non_null(strstr(f->last.description,
			       "(96 % of the measured capacity, 5.0 Mbit/s)"));
	assert_non_null(strstr(f->last.description, "grade F"));
	fix_free(f);
}

static void test_detector_own_test_is_no_household_load(void **state)
{
	(void)state;
	struct fix *f = fix_new();
	int64_t t = 1000 * SEC;
	for (int i = 0; i < 40; i++, t += SEC)
		second(f, t, 10, 20, 20, 0);
	/* our own upload test: its probes flagged, its bytes in the
	 * counters; nothing the household did */
	for (int i = 0; i < 20; i++, t += SEC)
		second(f, t, 4800, 200, 320, BB_SAMPLE_UNDER_LOAD);
	for (int i = 0; i < 20; i++, t += SEC)
		second(f, t, 10, 20, 20, 0);
	assert_int_equal(f->n_passive, 0);
	/* a busy line without any delay increase is no event either */
	for (int i = 0; i < 20; i++, t += SEC)
		second(f, t, 4800, 200, 21, 0);
	assert_int_equal(f->n_passive, 0);
	fix_free(f);
}

/* ---- replay ---------------------------------------------------------------
 */

#define T0_MS 1732539960000LL

/* Second K of a recording: the traffic sample (the second before it) and
 * the far target's answer 300 ms later. */
static size_t recorded(struct bb_sample *out, int k, int64_t up, double rtt)
{
	sample_init(&out[0], BB_KIND_TRAFFIC);
	out[0].real_ns = (T0_MS + k * 1000LL) * MS;
	out[0].status = BB_STATUS_OK;
	out[0].seq = (uint32_t)k;
	out[0].tx_kbps = up;
	out[0].rx_kbps = 20;
	snprintf(out[0].target, sizeof(out[0].target), "eth0");
	sample_init(&out[1], BB_KIND_ICMP);
	out[1].real_ns = out[0].real_ns + 300 * MS;
	out[1].status = BB_STATUS_OK;
	out[1].seq = (uint32_t)k;
	out[1].rtt_ns = (int64_t)(rtt * MS);
	snprintf(out[1].target, sizeof(out[1].target), "198.18.1.2");
	for (int i = 0; i < 2; i++)
		out[i].mono_ns = out[i].real_ns - T0_MS * MS + 50 * SEC;
	return 2;
}

/* Recorded to a real database, replayed through the detector as the
 * replay screens do: the verdict names the upload while it lasts. */
static void test_replay_reproduces_it(void **state)
{
	(void)state;
	static struct bb_sample s[200];
	size_t n = 0;
	for (int k = 0; k < 80; k++) {
		bool busy = k >= 40 && k < 60;
		n += recorded(&s[n], k, busy ? 4800 : 10, busy ? 320 : 20);
	}
	char dir[] = "/tmp/bb-passive.XXXXXX", path[64], conf[64], err[256],
	     note[256], v[1024];
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/rec.db", dir);
	snprintf(conf, sizeof(conf), "%s/empty.conf", dir);
	FILE *f = fopen(conf, "w");
	assert_non_null(f);
	fclose(f);
	struct store *st = store_open(path, STORE_RDWR, err, sizeof(err));
	assert_non_null(st);
	assert_int_equal(store_write_samples(st, s, n), 0);
	store_close(st);

	struct source *src = source_replay_new(path, conf, note, sizeof(note),
					       err, sizeof(err));
	assert_non_null(src);
	assert_int_equal(source_seek(src, T0_MS + 35 * 1000), 0);
	source_verdict(src, v, sizeof(v));
	print_message("replay at 35 s: %s\n", v);
	assert_null(strstr(v, "busy at"));
	assert_int_equal(source_seek(src, T0_MS + 55 * 1000), 0);
	source_verdict(src, v, sizeof(v));
	print_message("replay at 55 s: %s\n", v);
	assert_non_null(strstr(v, "Upload busy at 4.8 Mbit/s (100 % of the "
				  "highest rate seen, 4.8 Mbit/s) raised "
				  "latency by +300 ms (20.0 -> 320.0 ms), "
				  "grade D."));
	source_free(src);
	unlink(path);
	unlink(conf);
	char wal[80];
	snprintf(wal, sizeof(wal), "%s-wal", path);
	unlink(wal);
	snprintf(wal, sizeof(wal), "%s-shm", path);
	unlink(wal);
	rmdir(dir);
}

/* ---- report ---------------------------------------------------------------
 */

static void passive_event(struct bb_event *e, int64_t start_s, int64_t dur_s,
			  const char *dir, double inc, const char *cap)
{
	memset(e, 0, sizeof(*e));
	snprintf(e->kind, sizeof(e->kind), "bufferbloat_passive");
	snprintf(e->target, sizeof(e->target), "%s", dir);
	e->start_ms = T0_MS + start_s * 1000;
	e->end_ms = e->start_ms + dur_s * 1000;
	e->severity = BB_SEV_WARNING;
	snprintf(e->metrics, sizeof(e->metrics),
		 "{\"direction\":\"%s\",\"rate_kbps\":6176,\"capacity_kbps\":"
		 "6176,\"capacity\":\"%s\",\"utilisation_pct\":100.0,"
		 "\"idle_ms\":0.071,\"loaded_ms\":296.4,\"increase_ms\":%.3f,"
		 "\"grade\":\"%s\"}",
		 dir, cap, inc, diag_bloat_grade(inc));
}

static void test_report_section(void **state)
{
	(void)state;
	static struct history_summary hs;
	struct bb_event ev[4];
	memset(&hs, 0, sizeof(hs));
	hs.from_ms = T0_MS;
	hs.to_ms = T0_MS + 3600 * 1000;
	passive_event(&ev[0], 100, 20, "upload", 296.3, "seen");
	passive_event(&ev[1], 200, 30, "upload", 412.0, "measured");
	passive_event(&ev[2], 300, 15, "download", 250.0, "seen");
	snprintf(ev[3].kind, sizeof(ev[3].kind), "latency_spike");
	hs.events = ev;
	hs.nevents = 4;
	struct report_passive r[REPORT_PASSIVE_MAX];
	assert_int_equal(report_passive_rows(&hs, r, REPORT_PASSIVE_MAX), 2);
	assert_string_equal(r[0].direction, "upload");
	assert_int_equal(r[0].episodes, 2);
	assert_int_equal(r[0].busy_ms, 50 * 1000);
	assert_true(r[0].worst_inc_ms == 412.0);
	assert_string_equal(r[0].worst_grade, "F");
	char w[256];
	report_passive_words(&r[0], w, sizeof(w));
	assert_string_equal(w, "+412 ms (grade F) at 6.2 Mbit/s, 100 % of the "
			       "measured capacity, 2 episodes, 50 s");
	report_passive_words(&r[1], w, sizeof(w));
	assert_string_equal(w, "+250 ms (grade D) at 6.2 Mbit/s, 100 % of the "
			       "highest rate seen, 1 episode, 15 s");
	/* both the text (stats) and the document (report) say it */
	for (int fmt = REPORT_TEXT; fmt <= REPORT_MD; fmt += 2) {
		char *buf = NULL;
		size_t len = 0;
		FILE *m = open_memstream(&buf, &len);
		assert_int_equal(report_write(m, &hs, fmt, "db"), 0);
		fclose(m);
		assert_non_null(
			strstr(buf, "Bufferbloat from your own traffic"));
		assert_non_null(strstr(buf, "+412 ms (grade F)"));
		free(buf);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_upload_busy_measured_capacity),
		cmocka_unit_test(test_no_capacity_known_uses_rate_seen),
		cmocka_unit_test(test_download_direction),
		cmocka_unit_test(test_own_test_and_short_load_excluded),
		cmocka_unit_test(test_idle_only_and_targets_of_two_distances),
		cmocka_unit_test(test_detector_raises_event_and_verdict),
		cmocka_unit_test(test_detector_measured_capacity),
		cmocka_unit_test(test_detector_own_test_is_no_household_load),
		cmocka_unit_test(test_replay_reproduces_it),
		cmocka_unit_test(test_report_section),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
