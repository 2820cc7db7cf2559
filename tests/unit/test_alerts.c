// SPDX-License-Identifier: MIT
/*
 * Alerts: one alerts.log line at start and one at end (updates ignored);
 * the command runs through /bin/sh -c with the event in BUFFERBANE_*
 * environment variables (a tiny shell command writes them to a file); a
 * command that hangs is killed at the time limit; the loop never blocks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <ev.h>

#include "core/analysis/alerts.h"
#include "core/base/clock.h"

static char dir[64];

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/bb-alerts.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static struct bb_event sample_event(void)
{
	struct bb_event ev = { 0 };
	ev.start_ms = 1700000000123LL;
	snprintf(ev.kind, sizeof(ev.kind), "packet_loss");
	ev.severity = BB_SEV_CRITICAL;
	snprintf(ev.target, sizeof(ev.target), "198.18.0.1");
	snprintf(ev.description, sizeof(ev.description),
		 "Packet loss to 198.18.0.1: 12.0 %% over 60 s, longest burst "
		 "5 probes (burst); it's \"quoted\" $(not run).");
	snprintf(ev.metrics, sizeof(ev.metrics), "{\"loss_pct\":12.0}");
	return ev;
}

static size_t slurp(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	size_t n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	fclose(f);
	return n;
}

/* Run the loop until no command is left or LIMIT seconds passed. */
static void run_until_idle(struct ev_loop *loop, struct alerts *a, double limit)
{
	int64_t end = clock_mono_ns() + (int64_t)(limit * BB_NS_PER_S);
	struct alerts_stats st;
	do {
		ev_run(loop, EVRUN_ONCE);
		alerts_stats(a, &st);
	} while (st.running && clock_mono_ns() < end);
}

static void test_log_lines(void **state)
{
	char path[128], err[256], buf[2048];
	snprintf(path, sizeof(path), "%s/alerts.log", dir);
	struct alerts *a = alerts_new(EV_DEFAULT, path, "", err, sizeof(err));
	assert_non_null(a);
	struct bb_event ev = sample_event();
	alerts_event(a, &ev, DETECT_START);
	alerts_event(a, &ev, DETECT_UPDATE); /* no line */
	ev.end_ms = ev.start_ms + 12500;
	alerts_event(a, &ev, DETECT_END);
	struct alerts_stats st;
	alerts_stats(a, &st);
	assert_int_equal(st.lines, 2);
	alerts_free(a);
	slurp(path, buf, sizeof(buf));
	char *l2 = strchr(buf, '\n');
	assert_non_null(l2);
	*l2++ = '\0';
	assert_non_null(strstr(buf, ".123 START critical packet_loss iface=- "
				    "target=198.18.0.1 server=-: Packet loss"));
	assert_non_null(strstr(l2,
			       ".623 END critical packet_loss iface=- "
			       "target=198.18.0.1 server=- after 12.5 s: "));
	assert_null(strchr(strchr(l2, '\n') + 1, '\n')); /* two lines */
	/* a log that cannot be opened is an error with the path in it */
	assert_null(alerts_new(EV_DEFAULT, "/nonexistent/x/alerts.log", "", err,
			       sizeof(err)));
	assert_non_null(strstr(err, "/nonexistent/x/alerts.log"));
}

static void test_command_env(void **state)
{
	char cmd[512], err[256], out[128], buf[4096];
	snprintf(out, sizeof(out), "%s/env.txt", dir);
	snprintf(cmd, sizeof(cmd),
		 "env | grep ^BUFFERBANE_ | sort > %s.tmp && mv %s.tmp %s", out,
		 out, out);
	struct alerts *a = alerts_new(EV_DEFAULT, "", cmd, err, sizeof(err));
	assert_non_null(a);
	struct bb_event ev = sample_event();
	int64_t t0 = clock_mono_ns();
	alerts_event(a, &ev, DETECT_START);
	/* did not wait for the child */
	assert_true(clock_mono_ns() - t0 < 500 * BB_NS_PER_MS);
	run_until_idle(EV_DEFAULT, a, 10);
	struct alerts_stats st;
	alerts_stats(a, &st);
	assert_int_equal(st.started, 1);
	assert_int_equal(st.running, 0);
	assert_int_equal(st.failed, 0);
	assert_true(slurp(out, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "BUFFERBANE_STATE=start\n"));
	assert_non_null(strstr(buf, "BUFFERBANE_KIND=packet_loss\n"));
	assert_non_null(strstr(buf, "BUFFERBANE_SEVERITY=critical\n"));
	assert_non_null(strstr(buf, "BUFFERBANE_TARGET=198.18.0.1\n"));
	assert_non_null(strstr(buf, "BUFFERBANE_START_MS=1700000000123\n"));
	assert_non_null(
		strstr(buf, "BUFFERBANE_METRICS={\"loss_pct\":12.0}\n"));
	/* the description arrives verbatim: never parsed by a shell */
	assert_non_null(strstr(buf, "it's \"quoted\" $(not run).\n"));
	ev.end_ms = ev.start_ms + 1000;
	alerts_event(a, &ev, DETECT_END);
	run_until_idle(EV_DEFAULT, a, 10);
	slurp(out, buf, sizeof(buf));
	assert_non_null(strstr(buf, "BUFFERBANE_STATE=end\n"));
	assert_non_null(strstr(buf, "BUFFERBANE_END_MS=1700000001123\n"));
	alerts_free(a);
}

static void test_hanging_command_killed(void **state)
{
	char err[256], cmd[256], pidfile[128], buf[64];
	snprintf(pidfile, sizeof(pidfile), "%s/pid", dir);
	/* the shell's child (sleep) must die with it: process group kill */
	snprintf(cmd, sizeof(cmd), "sleep 60 & echo $! > %s; wait", pidfile);
	struct alerts *a = alerts_new(EV_DEFAULT, "", cmd, err, sizeof(err));
	assert_non_null(a);
	alerts_set_time_limit(a, 300);
	struct bb_event ev = sample_event();
	int64_t t0 = clock_mono_ns();
	alerts_event(a, &ev, DETECT_START);
	run_until_idle(EV_DEFAULT, a, 20);
	int64_t took = clock_mono_ns() - t0;
	struct alerts_stats st;
	alerts_stats(a, &st);
	assert_int_equal(st.killed, 1);
	assert_int_equal(st.running, 0);
	/* killed at the limit, long before sleep 60 would end */
	assert_true(took >= 250 * BB_NS_PER_MS && took < 10 * BB_NS_PER_S);
	assert_true(slurp(pidfile, buf, sizeof(buf)) > 0);
	pid_t sleeper = (pid_t)atoi(buf);
	assert_true(sleeper > 0);
	usleep(100000);
	/* gone (or a zombie reparented to init, not yet reaped) */
	char stat[64], sbuf[256];
	snprintf(stat, sizeof(stat), "/proc/%d/stat", (int)sleeper);
	if (slurp(stat, sbuf, sizeof(sbuf))) {
		char *p = strrchr(sbuf, ')');
		assert_non_null(p);
		assert_true(p[2] == 'Z' || p[2] == 'X');
	}
	alerts_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_log_lines),
		cmocka_unit_test(test_command_env),
		cmocka_unit_test(test_hanging_command_killed),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
