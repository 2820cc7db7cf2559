/* SPDX-License-Identifier: MIT */
/*
 * core/throughput and core/bloat: pacing spreads bytes at the asked rate,
 * the download receiver's steady-part rate and loss, the next-rate rule,
 * and the bufferbloat grades, RPM, settling and one-way attribution.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/probe/bloat.h"
#include "core/probe/probe_echo.h"
#include "core/probe/throughput.h"

#define MS 1000000LL

static void test_pacer(void **state)
{
	struct tput_pacer p;
	tput_pacer_start(&p, 8000, 0); /* 1 MB/s */
	int64_t now = 0;
	int sent = 0;
	while (now < 1000 * MS) {
		int64_t due = tput_pacer_due(&p, 1000, now);
		if (due) {
			now = due;
			continue;
		}
		tput_pacer_sent(&p, 1000);
		sent++;
	}
	assert_in_range(sent, 999, 1001); /* 1000 x 1000 B in 1 s */
	assert_int_equal(tput_ip_len(1200, 0), 1228);
	assert_int_equal(tput_ip_len(1200, 1), 1248);
	struct tput_memory m = { 0 };
	assert_int_equal(tput_next_rate(&m), TPUT_START_KBPS);
	tput_remember(&m, 10000);
	assert_int_equal(tput_next_rate(&m), 15000);
	tput_remember(&m, -1); /* no result: nothing learnt */
	assert_int_equal(tput_next_rate(&m), 15000);
}

/* A line at 20 Mbit/s falls to 5 and comes back: the first test after the
 * recovery is paced above 20, so it can measure the recovery (pacing at
 * 1.5 x 5 = 7.5 would take four tests); a lasting downgrade is followed
 * as the peak fades. */
static void test_rate_memory(void **state)
{
	struct tput_memory m = { 0 };
	tput_remember(&m, 20000);
	tput_remember(&m, 5000);
	assert_int_equal(m.last_kbps, 5000);
	assert_true(tput_next_rate(&m) >= 20000);
	tput_remember(&m, 5000);
	assert_true(tput_next_rate(&m) >= 20000); /* 1.5 x 16.2 */
	for (int i = 0; i < 30; i++)
		tput_remember(&m, 5000);
	assert_int_equal(tput_next_rate(&m), 7500);
	tput_remember(&m, 3000000); /* clamped at the cap */
	assert_int_equal(tput_next_rate(&m), TPUT_MAX_KBPS);
}

static void test_rx(void **state)
{
	struct tput_rx *r = tput_rx_new();
	/* 100 packets of 1250 IP bytes every 1 ms = 10 Mbit/s; a burst in
	 * the ramp (first 10 %) arrives all at t = 0 */
	for (uint32_t i = 0; i < 100; i++) {
		if (i == 50)
			continue; /* one lost */
		int64_t t = i < 10 ? 0 : (int64_t)(i - 9) * MS;
		tput_rx_add(r, i, 1250, t);
	}
	tput_rx_add(r, 3, 1250, 5 * MS); /* duplicate: ignored */
	struct tput_result res;
	tput_rx_result(r, 100, &res);
	assert_int_equal(res.packets, 99);
	assert_int_equal(res.loss_ppm, 10000);
	/* steady part: 10 Mbit/s minus the lost packet's share */
	assert_true(res.kbps > 9700 && res.kbps < 10100);
	tput_rx_free(r);
}

static void test_grades(void **state)
{
	assert_string_equal(bloat_grade(4.9), "A+");
	assert_string_equal(bloat_grade(29), "A");
	assert_string_equal(bloat_grade(59), "B");
	assert_string_equal(bloat_grade(199), "C");
	assert_string_equal(bloat_grade(399), "D");
	assert_string_equal(bloat_grade(400), "F");
}

static void test_bloat_result(void **state)
{
	struct bloat_acc *a = bloat_new();
	struct bloat_result r;
	assert_int_equal(bloat_result(a, BLOAT_UP, &r), -ENODATA);
	for (int i = 0; i < 50; i++)
		bloat_add(a, BLOAT_IDLE, 0, 10 * MS + i * 10000, 5 * MS,
			  5 * MS);
	for (int i = 0; i < 100; i++) {
		/* first second of load: still filling, not counted */
		int64_t since = i * 20 * MS;
		int64_t rtt = since < 1000 * MS ? 50 * MS : 310 * MS;
		bloat_add(a, BLOAT_UP, since, rtt, rtt - 5 * MS, 5 * MS);
	}
	assert_int_equal(bloat_result(a, BLOAT_UP, &r), 0);
	assert_int_equal(r.n_loaded, 50);
	assert_true(r.loaded_p50_ns == 310 * MS);
	assert_true(r.increase_ns > 299 * MS && r.increase_ns < 301 * MS);
	assert_string_equal(r.grade, "D");
	assert_true(r.rpm > 193 && r.rpm < 194); /* 60000 / 310 */
	assert_string_equal(r.blame, "upstream");
	/* onto the sample as figures; the grade follows from the increase */
	struct bb_sample s;
	sample_init(&s, BB_KIND_BUFFERBLOAT);
	bloat_mark(&r, &s);
	assert_int_equal(s.load_phase, BB_PHASE_UP);
	assert_true(s.rtt_ns == 310 * MS);
	assert_true(s.bloat.increase_ns == r.increase_ns);
	assert_true(s.bloat.idle_p50_ns == r.idle_p50_ns);
	assert_true(s.bloat.loaded_p95_ns == 310 * MS);
	assert_int_equal(s.bloat.rpm, 194);
	assert_true(s.bloat.up_inc_ns == r.up_inc_ns &&
		    s.bloat.up_inc_ns > 290 * MS);
	assert_true(s.bloat.down_inc_ns == r.down_inc_ns);
	assert_string_equal(bloat_grade((double)s.bloat.increase_ns / MS), "D");
	assert_string_equal(s.detail, "");
	bloat_free(a);
}

/* test_duration_s split as the probe runs it, and the volume bound. */
static void test_bloat_plan(void **state)
{
	struct bloat_plan p;
	bloat_plan_of(12, 3, &p); /* the shipped default */
	assert_int_equal(p.phases, 3);
	assert_int_equal(p.load_ns, 3000000000LL);
	assert_int_equal(p.idle_ns, 1500000000LL);
	assert_true(p.typical_ns >= 12000000000LL &&
		    p.typical_ns <= 14000000000LL);
	assert_true(p.max_ns > p.typical_ns);
	/* 3 s x (20 + 100 + 120) Mbit/s / 8 = 90 MB */
	assert_true(bloat_plan_bytes(&p, 3, 20000, 100000) == 90e6);
	bloat_plan_of(2, 1, &p); /* at least 2 s of load */
	assert_int_equal(p.phases, 1);
	assert_int_equal(p.load_ns, 2000000000LL);
	assert_true(bloat_plan_bytes(&p, 1, 20000, 100000) == 5e6);
	bloat_plan_of(600, 2, &p);
	assert_int_equal(p.idle_ns, 5000000000LL); /* capped */
}

static struct bloat_result res(enum bloat_phase ph, double inc_ms)
{
	struct bloat_result r = { .phase = ph };
	r.increase_ns = (int64_t)(inc_ms * 1e6);
	snprintf(r.grade, sizeof(r.grade), "%s", bloat_grade(inc_ms));
	return r;
}

/* The table's columns hold a loopback's RPM (60 s / 58 us: over a
 * million) and a bloated line's seconds: each row's one-way figures start
 * where the header's "one-way" does, every ms column under its name. */
static void test_bloat_table(void **state)
{
	char head[256], row[256];
	bloat_table_header(head, sizeof(head));
	const char *ow = strstr(head, "one-way");
	assert_non_null(ow);
	size_t col = (size_t)(ow - head);
	struct bloat_result r = res(BLOAT_UP, -0.01);
	r.idle_p50_ns = r.idle_p95_ns = 58000;
	r.loaded_p50_ns = r.loaded_p95_ns = 57855;
	r.rpm = 1037075; /* seen on loopback */
	r.up_inc_ns = r.down_inc_ns = 0;
	r.blame = "";
	bloat_table_row(&r, row, sizeof(row));
	assert_memory_equal(row + col - 9, " 1037075 +0.0/+0.0 ms", 21);
	r.rpm = 60e6; /* a 1 us RTT: 8 digits */
	bloat_table_row(&r, row, sizeof(row));
	assert_memory_equal(row + col - 10, " 60000000 +0.0", 14);
	/* seconds of bufferbloat: 2.3 s loaded, grade F, rpm 26 */
	r = res(BLOAT_BOTH, 2300);
	r.idle_p50_ns = 10000000;
	r.idle_p95_ns = 12000000;
	r.loaded_p50_ns = 2310000000;
	r.loaded_p95_ns = 9876543000;
	r.rpm = 26;
	r.up_inc_ns = BB_NONE;
	bloat_table_row(&r, row, sizeof(row));
	assert_string_equal(row + col - 9, "      26 -");
	/* each ms figure ends where its column's name does */
	static const char *const name[] = { "idle_p50", "idle_p95", "load_p50",
					    "load_p95", "increase" };
	static const char *const fig[] = { "10.000 ms", "12.000 ms",
					   "2310.000 ms", "9876.543 ms",
					   "2300.000 ms" };
	for (size_t i = 0; i < 5; i++) {
		size_t end = (size_t)(strstr(head, name[i]) - head) +
			     strlen(name[i]);
		assert_memory_equal(row + end - strlen(fig[i]), fig[i],
				    strlen(fig[i]));
		assert_int_equal(row[end], ' ');
	}
	assert_memory_equal(row + (strstr(head, "grade") - head), "    F", 5);
}

/* One sentence: the worst direction, its meaning, what to do. */
static void test_bloat_advice(void **state)
{
	char buf[400];
	struct bloat_result r[3] = { res(BLOAT_UP, 290), res(BLOAT_DOWN, 8),
				     res(BLOAT_BOTH, 295) };
	bloat_advice(r, 3, buf, sizeof(buf));
	assert_string_equal(buf,
			    "Upload bufferbloat +290 ms (grade D): calls and "
			    "games will lag while anything uploads; enable SQM "
			    "(cake) on your router with the upload limit set "
			    "to ~90 % of the line.");
	r[0] = res(BLOAT_UP, 3);
	r[1] = res(BLOAT_DOWN, 150);
	r[2] = res(BLOAT_BOTH, 152);
	bloat_advice(r, 3, buf, sizeof(buf));
	assert_non_null(strstr(buf, "Download bufferbloat +150 ms (grade C)"));
	assert_non_null(strstr(buf, "download limit"));
	r[0] = res(BLOAT_UP, 306);
	r[1] = res(BLOAT_DOWN, 102);
	r[2] = res(BLOAT_BOTH, 407);
	bloat_advice(r, 3, buf, sizeof(buf));
	assert_non_null(strstr(buf, "Bufferbloat both ways (upload +306 ms "
				    "grade D, download +102 ms grade C)"));
	r[0] = res(BLOAT_UP, 2);
	r[1] = res(BLOAT_DOWN, 12);
	r[2] = res(BLOAT_BOTH, 14);
	bloat_advice(r, 3, buf, sizeof(buf));
	assert_non_null(strstr(buf, "No bufferbloat to speak of"));
	assert_non_null(strstr(buf, "+14 ms under load (grade A)"));
	r[0] = res(BLOAT_DOWN, 420); /* a download-only test */
	bloat_advice(r, 1, buf, sizeof(buf));
	assert_non_null(strstr(buf, "Download bufferbloat +420 ms (grade F)"));
	bloat_advice(r, 0, buf, sizeof(buf));
	assert_non_null(strstr(buf, "No result"));
}

/* Loss in ppm: 64-bit, clamped to 0..100 %.  The old 32-bit sum
 * rx + lost wrapped for a forged count and gave "upload loss -100 %". */
static void test_loss_ppm(void **state)
{
	assert_int_equal(tput_loss_ppm(0, 0), -1);
	assert_int_equal(tput_loss_ppm(1, 4), 250000);
	assert_int_equal(tput_loss_ppm(5, 4), 1000000);
	assert_int_equal(tput_loss_ppm(UINT32_MAX, (uint64_t)UINT32_MAX + 2),
			 999999);
	assert_int_equal(tput_loss_ppm(UINT64_MAX - 1, UINT64_MAX), 999999);
	assert_int_equal(tput_loss_ppm(1, UINT64_MAX), 0);
}

/* An honest upload of 1000 x 1172-byte chunks at 10 Mbit/s over ~1 s. */
static const struct tput_sent up = {
	.packets = 1000,
	.bytes = 1172000,
	.ip_bytes = 1200000,
	.elapsed_ns = 1300 * MS,
};

static int stats_rc(struct tput_stats st, int32_t *ppm, char *why)
{
	*ppm = -7;
	return tput_stats_check(&st, &up, ppm, why, 128);
}

static void test_stats_check(void **state)
{
	char why[128];
	int32_t ppm;
	struct tput_stats ok = { .bytes_rx = 1160280,
				 .duration_ms = 950,
				 .kbps = 9600,
				 .packets_rx = 990,
				 .packets_lost = 10 };

	assert_int_equal(stats_rc(ok, &ppm, why), 0);
	assert_int_equal(ppm, 10000); /* 1 % */
	/* the overflow the review found: 2^32 - 1 received + 2 lost made
	 * the 32-bit sum 1 and the loss -100 % */
	struct tput_stats st = ok;
	st.packets_rx = UINT32_MAX;
	st.packets_lost = 2;
	assert_int_equal(stats_rc(st, &ppm, why), -ERANGE);
	assert_int_equal(ppm, -7); /* nothing stored */
	assert_non_null(strstr(why, "4294967295 packets counted, 1000 sent"));
	st = ok;
	st.packets_lost = UINT32_MAX;
	assert_int_equal(stats_rc(st, &ppm, why), -ERANGE);
	assert_non_null(strstr(why, "990 rx + 4294967295 lost, 1000 sent"));
	st = ok;
	st.packets_lost = 11; /* 1001 counted of 1000 */
	assert_int_equal(stats_rc(st, &ppm, why), -ERANGE);
	st = ok;
	st.bytes_rx = 1172001;
	assert_int_equal(stats_rc(st, &ppm, why), -ERANGE);
	assert_non_null(strstr(why, "1172001 bytes counted, 1172000 sent"));
	st = ok;
	st.duration_ms = 2400; /* test took 1.3 s (+1 s slack) */
	assert_int_equal(stats_rc(st, &ppm, why), -ERANGE);
	assert_non_null(strstr(why, "2400 ms measured, test took 1300 ms"));
	st = ok;
	st.kbps = 20000; /* 20 Mbit/s x 0.95 s = 2.4 MB: twice what went */
	assert_int_equal(stats_rc(st, &ppm, why), -ERANGE);
	assert_non_null(strstr(why, "20000 kbps over 950 ms, more than sent"));
	st = ok;
	st.kbps = UINT32_MAX;
	st.duration_ms = 0;
	assert_int_equal(stats_rc(st, &ppm, why), -ERANGE);
	/* the edges an honest server reaches: everything arrived, a short
	 * burst measured at a high rate, nothing lost */
	st = ok;
	st.packets_rx = 1000;
	st.packets_lost = 0;
	st.bytes_rx = 1172000;
	st.duration_ms = 2300;
	st.kbps = 4100;
	assert_int_equal(stats_rc(st, &ppm, why), 0);
	assert_int_equal(ppm, 0);
	st.duration_ms = 1;
	st.kbps = 3000000;
	assert_int_equal(stats_rc(st, &ppm, why), 0);
	st = (struct tput_stats){ 0 };
	assert_int_equal(stats_rc(st, &ppm, why), 0);
	assert_int_equal(ppm, -1); /* nothing counted: unknown loss */
}

/* ECHO_REPLY's requests_seen/highest_seq against the session's first
 * answer and the requests sent. */
static void test_echo_check(void **state)
{
	char why[128];

	/* 10 sent, the first answer said 1 seen, highest 0 */
	assert_int_equal(probe_echo_check_reply(10, 9, 1, 0, 10, why, 128), 0);
	assert_int_equal(probe_echo_check_reply(1, 0, 1, 0, 10, why, 128), 0);
	/* a kept session from before: counters far from ours, moving by what
	 * we send */
	assert_int_equal(probe_echo_check_reply(5000010, 7000009, 5000000,
						7000000, 10, why, 128),
			 0);
	/* reordered replies: a little behind the first answer */
	assert_int_equal(probe_echo_check_reply(3, 2, 5, 4, 10, why, 128), 0);
	/* the forged statistic: 2^32 - 1 seen of 10 sent */
	assert_int_equal(
		probe_echo_check_reply(0x7fffffff, 9, 1, 0, 10, why, 128),
		-ERANGE);
	assert_non_null(strstr(why, "+2147483646 requests seen, 10 sent"));
	assert_int_equal(probe_echo_check_reply(12, 9, 1, 0, 10, why, 128),
			 -ERANGE);
	assert_non_null(strstr(why, "+11 requests seen, 10 sent"));
	assert_int_equal(
		probe_echo_check_reply(0x80000001, 9, 1, 0, 10, why, 128),
		-ERANGE);
	assert_int_equal(probe_echo_check_reply(5, 11, 1, 0, 10, why, 128),
			 -ERANGE);
	assert_non_null(strstr(why, "seq +11, 10 sent"));
	assert_int_equal(
		probe_echo_check_reply(5, 0x80000000, 1, 0, 10, why, 128),
		-ERANGE);
	/* past 2^32 requests every difference is possible */
	assert_int_equal(probe_echo_check_reply(0x80000000, 0x80000000, 0, 0,
						(uint64_t)UINT32_MAX + 9, why,
						128),
			 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pacer),
		cmocka_unit_test(test_rate_memory),
		cmocka_unit_test(test_rx),
		cmocka_unit_test(test_grades),
		cmocka_unit_test(test_bloat_result),
		cmocka_unit_test(test_bloat_plan),
		cmocka_unit_test(test_bloat_advice),
		cmocka_unit_test(test_bloat_table),
		cmocka_unit_test(test_loss_ppm),
		cmocka_unit_test(test_stats_check),
		cmocka_unit_test(test_echo_check),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
