// SPDX-License-Identifier: MIT
/*
 * The test schedule the echo probe gets from the shipped configuration
 * (etc/bufferbane.conf through srvclient_target, the same path the
 * monitor takes): no scheduled test in the first 5 minutes, and the daily
 * volume of throughput and bufferbloat tests on a 100/20 Mbit line under
 * 1 GB, computed from the figures the probe runs on (test sizes and
 * intervals, load phases and their length).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/clock.h"
#include "core/base/config.h"
#include "core/probe/probe.h"
#include "core/probe/srvclient.h"

#define DAY_NS	       (86400.0 * 1e9)
#define DOWN_MBIT      100.0
#define UP_MBIT	       20.0
#define ICMP_BYTES_DAY (3 * 86400.0 * 84 * 2)

/* The shipped file with one server (a lab address, never contacted). */
static void shipped_target(struct bb_config *c, struct probe_target *t)
{
	const char *top = getenv("BB_TOP");
	char path[PATH_MAX], err[512] = "";
	snprintf(path, sizeof(path), "%s/etc/bufferbane.conf", top ? top : ".");
	assert_int_equal(config_load(path, c, err, sizeof(err)), 0);
	c->n_servers = 1;
	snprintf(c->servers[0].name, sizeof(c->servers[0].name), "lab");
	snprintf(c->servers[0].host, sizeof(c->servers[0].host), "198.18.0.1");
	c->servers[0].port = CONFIG_DEFAULT_PORT;
	memset(c->servers[0].shared_secret, 'a', CONFIG_SECRET_HEX);
	assert_int_equal(srvclient_target(c, 0, "", t, err, sizeof(err)), 0);
}

/* Bytes a day of the throughput tests: upload + download of each size. */
static double tput_day(const struct probe_server *s)
{
	double b = 0;
	for (int i = 0; i < 3; i++)
		if (s->tput_every_ns[i] > 0)
			b += DAY_NS / (double)s->tput_every_ns[i] *
			     s->tput_bytes[i] * 2 * 1.04; /* + IP/UDP headers */
	return b;
}

/* Bytes a day of the bufferbloat tests: every load phase saturates its
 * direction(s) for bloat_load_ns (an upper bound: the ramp starts lower). */
static double bloat_day(const struct probe_server *s)
{
	if (s->bloat_every_ns <= 0)
		return 0;
	double mbit = 0;
	if (s->bloat_kind == 1)
		mbit = UP_MBIT;
	else if (s->bloat_kind == 2)
		mbit = DOWN_MBIT;
	else /* up, down, then both */
		mbit = UP_MBIT + DOWN_MBIT + (UP_MBIT + DOWN_MBIT);
	double per_test = (double)s->bloat_load_ns / 1e9 * mbit * 1e6 / 8;
	return DAY_NS / (double)s->bloat_every_ns * per_test;
}

static void test_shipped_first_test_after_5_minutes(void **state)
{
	struct bb_config c;
	struct probe_target t;
	shipped_target(&c, &t);
	/* both kinds are on, and neither starts before 300 s */
	assert_true(t.srv.bloat_every_ns > 0);
	assert_true(t.srv.tput_every_ns[0] > 0);
	assert_true(t.srv.bloat_first_ns >= 300LL * BB_NS_PER_S);
	assert_true(t.srv.tput_first_ns >= 300LL * BB_NS_PER_S);
	/* and the built-in defaults are the same */
	struct bb_config d;
	config_defaults(&d);
	assert_int_equal(d.tests.throughput.first_test_s, 300);
	assert_int_equal(d.tests.bufferbloat.first_test_s, 300);
}

static void test_shipped_daily_volume(void **state)
{
	struct bb_config c;
	struct probe_target t;
	shipped_target(&c, &t);
	double tp = tput_day(&t.srv), bl = bloat_day(&t.srv);
	double total = ICMP_BYTES_DAY + tp + bl;
	printf("shipped defaults on %.0f/%.0f Mbit: icmp %.0f MB + "
	       "throughput %.0f MB + bufferbloat %.0f MB = %.0f MB/day\n",
	       DOWN_MBIT, UP_MBIT, ICMP_BYTES_DAY / 1e6, tp / 1e6, bl / 1e6,
	       total / 1e6);
	assert_true(total < 1e9);
	/* the old defaults (every 300 s for 60 s) were 259 GB: the same
	 * arithmetic must see that, or it proves nothing */
	struct probe_server old = t.srv;
	old.bloat_every_ns = 300LL * BB_NS_PER_S;
	old.bloat_load_ns = 15LL * BB_NS_PER_S; /* 60 s over 4 parts */
	assert_true(bloat_day(&old) > 100e9);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shipped_first_test_after_5_minutes),
		cmocka_unit_test(test_shipped_daily_volume),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
