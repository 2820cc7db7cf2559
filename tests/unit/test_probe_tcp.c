// SPDX-License-Identifier: MIT
/*
 * TCP connect probe tests on real sockets: a loopback listener (IPv4 and
 * IPv6) answers, a bound but not listening loopback port refuses, and inside
 * a namespace this test creates (198.18.0.0/15, deleted on exit) a silent
 * neighbour times out, a full attempt table reports itself, and an
 * unreachable route fails at once.  Needs root for the namespace parts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <ev.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/base/clock.h"
#include "core/probe/probe.h"
#include "core/base/sock.h"
#include "tests/lib/netns.h"

#define MAXS 64

struct run {
	struct ev_loop *loop;
	struct probe *probe;
	int count, sent, expect;
	int64_t interval_ns, t0;
	int64_t deadline[MAXS];
	struct bb_sample s[MAXS];
	int64_t cb_ns[MAXS];
	int n;
	ev_timer tick, stop;
};

static void on_emit(void *ctx, const struct bb_sample *s)
{
	struct run *r = ctx;
	assert_true(r->n < MAXS);
	r->cb_ns[r->n] = clock_mono_ns();
	r->s[r->n++] = *s;
	if (r->n == r->expect) { /* a little grace to catch extra samples */
		ev_timer_stop(r->loop, &r->stop);
		ev_timer_set(&r->stop, 0.1, 0.);
		ev_timer_start(r->loop, &r->stop);
	}
}

static void on_tick(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct run *r = w->data;
	r->deadline[r->sent] = r->t0 + r->sent * r->interval_ns;
	probe_tcp_ops.send(r->probe, r->deadline[r->sent]);
	if (++r->sent == r->count)
		ev_timer_stop(loop, w);
}

static void on_stop(struct ev_loop *loop, ev_timer *w, int revents)
{
	ev_break(loop, EVBREAK_ALL);
}

/* Open on addr ("v4:port" / "[v6]:port"), send count attempts every
 * interval_ms, stop after expect samples (+grace) or max_ms. */
static void run(struct run *r, const char *addr, int timeout_ms, int count,
		int interval_ms, int expect, int max_ms)
{
	struct probe_target t;
	memset(&t, 0, sizeof(t));
	t.kind = BB_KIND_TCP_CONNECT;
	snprintf(t.name, sizeof(t.name), "tcp-%s", addr);
	assert_int_equal(sock_parse_addr(addr, 0, &t.addr, &t.addr_len), 0);
	t.timeout_ns = timeout_ms * BB_NS_PER_MS;
	memset(r, 0, sizeof(*r));
	r->loop = ev_loop_new(EVFLAG_AUTO);
	char err[256] = "";
	int ret = probe_tcp_ops.open(r->loop, &t, on_emit, r, &r->probe, err,
				     sizeof(err));
	if (ret)
		fprintf(stderr, "open: %s\n", err);
	assert_int_equal(ret, 0);
	r->count = count;
	r->expect = expect;
	r->interval_ns = interval_ms * BB_NS_PER_MS;
	ev_timer_init(&r->tick, on_tick, 0., interval_ms / 1000.);
	r->tick.data = r;
	ev_timer_init(&r->stop, on_stop, max_ms / 1000., 0.);
	r->t0 = clock_mono_ns();
	ev_timer_start(r->loop, &r->tick);
	ev_timer_start(r->loop, &r->stop);
	ev_run(r->loop, 0);
	probe_tcp_ops.close(r->probe);
	ev_loop_destroy(r->loop);
}

static void check_common(const struct run *r, const struct bb_sample *s)
{
	assert_int_equal(s->kind, BB_KIND_TCP_CONNECT);
	assert_true(s->seq < (uint32_t)r->sent);
	assert_int_equal(s->send_error_ns, s->mono_ns - r->deadline[s->seq]);
	assert_true(s->real_ns > 1600000000LL * BB_NS_PER_S);
	assert_true(strncmp(s->target, "tcp-", 4) == 0);
}

/* A loopback socket bound to port 0, listening or not; its "addr:port". */
static int loopback_socket(int family, int do_listen, char *text, size_t len)
{
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	struct sockaddr_storage ss;
	socklen_t sl;
	assert_int_equal(
		sock_parse_addr(family == AF_INET ? "127.0.0.1" : "::1", 0, &ss,
				&sl),
		0);
	assert_int_equal(bind(fd, (struct sockaddr *)&ss, sl), 0);
	if (do_listen)
		assert_int_equal(listen(fd, 64), 0);
	sl = sizeof(ss);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&ss, &sl), 0);
	uint16_t port = ntohs(
		family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
				  : ((struct sockaddr_in6 *)&ss)->sin6_port);
	snprintf(text, len, family == AF_INET ? "127.0.0.1:%u" : "[::1]:%u",
		 port);
	return fd;
}

static void listener(int family)
{
	char addr[64];
	int lfd = loopback_socket(family, 1, addr, sizeof(addr));
	struct run r;
	run(&r, addr, 1000, 10, 20, 10, 5000);
	close(lfd);
	assert_int_equal(r.n, 10);
	int64_t sum = 0;
	for (int i = 0; i < r.n; i++) {
		const struct bb_sample *s = &r.s[i];
		check_common(&r, s);
		assert_int_equal(s->status, BB_STATUS_OK);
		assert_int_equal(s->seq, (uint32_t)i);
		assert_int_equal(s->flags, 0);
		assert_true(s->rtt_ns > 0 && s->rtt_ns < 50 * BB_NS_PER_MS);
		assert_true(s->rtt_ns <= r.cb_ns[i] - s->mono_ns);
		sum += s->rtt_ns;
	}
	fprintf(stderr, "  %s: mean connect %.3f ms\n", addr,
		(double)sum / r.n / 1e6);
}

static void test_listener_v4(void **state)
{
	listener(AF_INET);
}

static void test_listener_v6(void **state)
{
	listener(AF_INET6);
}

static void test_refused(void **state)
{
	char addr[64];
	int fd =
		loopback_socket(AF_INET, 0, addr, sizeof(addr)); /* no listen */
	struct run r;
	run(&r, addr, 1000, 3, 20, 3, 5000);
	close(fd);
	assert_int_equal(r.n, 3);
	for (int i = 0; i < r.n; i++) {
		check_common(&r, &r.s[i]);
		assert_int_equal(r.s[i].status, BB_STATUS_ERROR);
		assert_string_equal(r.s[i].detail, "refused");
		assert_true(r.s[i].rtt_ns == BB_NONE);
	}
}

static int teardown_ns(void **state)
{
	netns_delete_all();
	return 0;
}

/* A namespace where 198.18.0.2 is a neighbour whose MAC nobody owns (every
 * SYN vanishes) and 198.18.98.0/24 is an unreachable route. */
static void enter_lab(void)
{
	char ns[NETNS_NAME_LEN];
	assert_int_equal(netns_create("tcp", ns), 0);
	assert_int_equal(
		netns_sh("ip -n %s link add veth0 type veth peer name veth1 &&"
			 " ip -n %s addr add 198.18.0.1/24 dev veth0 &&"
			 " ip -n %s link set veth0 up &&"
			 " ip -n %s link set veth1 up &&"
			 " ip -n %s neigh add 198.18.0.2 lladdr "
			 "02:00:00:00:00:99"
			 " dev veth0 nud permanent &&"
			 " ip -n %s route add unreachable 198.18.98.0/24",
			 ns, ns, ns, ns, ns, ns),
		0);
	assert_int_equal(netns_enter(ns), 0);
}

static void test_timeout(void **state)
{
	if (!netns_can_run())
		skip();
	enter_lab();
	struct run r;
	run(&r, "198.18.0.2:80", 200, 3, 50, 3, 5000);
	netns_leave();
	assert_int_equal(r.n, 3);
	for (int i = 0; i < r.n; i++) {
		const struct bb_sample *s = &r.s[i];
		check_common(&r, s);
		assert_int_equal(s->status, BB_STATUS_TIMEOUT);
		assert_int_equal(s->seq, (uint32_t)i);
		int64_t after = r.cb_ns[i] - s->mono_ns;
		assert_true(after >= 200 * BB_NS_PER_MS);
		assert_true(after < 1200 * BB_NS_PER_MS);
	}
}

/* 10 attempts 10 ms apart, 400 ms timeout: the table of 8 fills up, the
 * 9th and 10th are refused by the probe itself, the 8 time out. */
static void test_table_full(void **state)
{
	if (!netns_can_run())
		skip();
	enter_lab();
	struct run r;
	run(&r, "198.18.0.2:80", 400, 10, 10, 10, 5000);
	netns_leave();
	assert_int_equal(r.n, 10);
	int timeouts = 0, busy = 0;
	for (int i = 0; i < r.n; i++) {
		const struct bb_sample *s = &r.s[i];
		check_common(&r, s);
		if (s->status == BB_STATUS_TIMEOUT) {
			assert_true(s->seq < 8);
			timeouts++;
		} else {
			assert_int_equal(s->status, BB_STATUS_ERROR);
			assert_string_equal(s->detail, "too many in flight");
			assert_true(s->seq >= 8);
			busy++;
		}
	}
	assert_int_equal(timeouts, 8);
	assert_int_equal(busy, 2);
}

static void test_unreachable(void **state)
{
	if (!netns_can_run())
		skip();
	enter_lab();
	struct run r;
	run(&r, "198.18.98.7:443", 1000, 3, 20, 3, 5000);
	netns_leave();
	assert_int_equal(r.n, 3);
	for (int i = 0; i < r.n; i++) {
		check_common(&r, &r.s[i]);
		assert_int_equal(r.s[i].status, BB_STATUS_ERROR);
		assert_string_equal(r.s[i].detail, "host unreachable");
	}
}

int main(void)
{
	if (!netns_can_run())
		printf("SKIPPED: needs root (namespace tests skipped)\n");
	clock_calibrate();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_listener_v4),
		cmocka_unit_test(test_listener_v6),
		cmocka_unit_test(test_refused),
		cmocka_unit_test_teardown(test_timeout, teardown_ns),
		cmocka_unit_test_teardown(test_table_full, teardown_ns),
		cmocka_unit_test_teardown(test_unreachable, teardown_ns),
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);
	netns_delete_all();
	return failed ? 1 : 0;
}
