// SPDX-License-Identifier: MIT
/*
 * ICMP probe tests on real sockets: pings to 127.0.0.1 and ::1, and inside
 * namespaces this test creates (198.18.0.0/15, deleted on exit): the
 * datagram and the raw socket paths, the "not permitted" message, timeouts
 * through a silent neighbour, unreachable routes (locally and from a router
 * namespace's ICMP error), and late, duplicate, reordered and foreign replies
 * from a hand-made echo responder on a raw socket.  Needs root.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <ev.h>
#include <grp.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/base/clock.h"
#include "core/probe/probe.h"
#include "core/base/sock.h"
#include "tests/lib/netns.h"

#define MAXS 256

/* ---- a fake echo responder (raw socket, kernel echo disabled) ---------- */

enum resp_mode { RESP_LATE, RESP_DUP, RESP_SWAP };

struct held {
	uint8_t pkt[128];
	size_t len;
	int64_t due;
};

struct responder {
	int fd;
	enum resp_mode mode;
	int64_t delay_ns;
	ev_io io;
	ev_timer timer;
	struct held held[32];
	int nheld;
	int requests;
};

static uint16_t csum(const uint8_t *b, size_t n)
{
	uint32_t s = 0;
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)b[i] << 8 | b[i + 1];
	if (n & 1)
		s += (uint32_t)b[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static void resp_send(struct responder *r, const uint8_t *icmp, size_t len,
		      int corrupt)
{
	uint8_t pkt[128];
	memcpy(pkt, icmp, len);
	pkt[0] = 0; /* echo reply */
	if (corrupt)
		pkt[8] ^= 0x5a; /* first cookie byte */
	pkt[2] = pkt[3] = 0;
	uint16_t c = csum(pkt, len);
	pkt[2] = (uint8_t)(c >> 8);
	pkt[3] = (uint8_t)c;
	struct sockaddr_in to = { .sin_family = AF_INET };
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true(sendto(r->fd, pkt, len, 0, (struct sockaddr *)&to,
			   sizeof(to)) == (ssize_t)len);
}

static void resp_arm(struct responder *r, struct ev_loop *loop)
{
	ev_timer_stop(loop, &r->timer);
	if (!r->nheld)
		return;
	int64_t wait = r->held[0].due - clock_mono_ns();
	ev_timer_set(&r->timer, wait > 0 ? (double)wait / 1e9 : 0.0001, 0.);
	ev_timer_start(loop, &r->timer);
}

static void resp_on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct responder *r = w->data;
	while (r->nheld && r->held[0].due <= clock_mono_ns()) {
		resp_send(r, r->held[0].pkt, r->held[0].len, 0);
		memmove(&r->held[0], &r->held[1],
			sizeof(r->held[0]) * (size_t)--r->nheld);
	}
	resp_arm(r, loop);
}

static void resp_on_read(struct ev_loop *loop, ev_io *w, int revents)
{
	struct responder *r = w->data;
	uint8_t buf[256];
	ssize_t n;
	while ((n = recv(r->fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
		size_t ihl = (size_t)(buf[0] & 15) * 4;
		if ((size_t)n < ihl + 8 || buf[ihl] != 8 || n - ihl > 128)
			continue; /* not an echo request */
		uint8_t *icmp = buf + ihl;
		size_t len = (size_t)n - ihl;
		r->requests++;
		if (r->mode == RESP_DUP) {
			resp_send(r, icmp, len, 1); /* foreign: wrong cookie */
			resp_send(r, icmp, len, 0);
			resp_send(r, icmp, len, 0);
		} else if (r->mode == RESP_LATE) {
			assert_true(r->nheld < 32);
			struct held *h = &r->held[r->nheld++];
			memcpy(h->pkt, icmp, len);
			h->len = len;
			h->due = clock_mono_ns() + r->delay_ns;
			if (r->nheld == 1)
				resp_arm(r, loop);
		} else if (r->requests % 2 == 1) { /* SWAP: hold the odd one */
			memcpy(r->held[0].pkt, icmp, len);
			r->held[0].len = len;
		} else {
			resp_send(r, icmp, len, 0);
			resp_send(r, r->held[0].pkt, r->held[0].len, 0);
		}
	}
}

static void resp_start(struct responder *r, struct ev_loop *loop,
		       enum resp_mode mode, int64_t delay_ns)
{
	memset(r, 0, sizeof(*r));
	r->mode = mode;
	r->delay_ns = delay_ns;
	r->fd = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK, IPPROTO_ICMP);
	assert_true(r->fd >= 0);
	ev_io_init(&r->io, resp_on_read, r->fd, EV_READ);
	r->io.data = r;
	ev_io_start(loop, &r->io);
	ev_init(&r->timer, resp_on_timer);
	r->timer.data = r;
}

static void resp_stop(struct responder *r, struct ev_loop *loop)
{
	ev_io_stop(loop, &r->io);
	ev_timer_stop(loop, &r->timer);
	close(r->fd);
}

/* ---- running a probe on a private loop --------------------------------- */

struct run {
	struct ev_loop *loop;
	struct probe *probe;
	int count, sent, expect;
	int64_t interval_ns, t0;
	int64_t deadline[MAXS];
	struct bb_sample s[MAXS];
	int64_t cb_ns[MAXS]; /* when emit() ran: the callback-based clock */
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
	probe_icmp_ops.send(r->probe, r->deadline[r->sent]);
	if (++r->sent == r->count)
		ev_timer_stop(loop, w);
}

static void on_stop(struct ev_loop *loop, ev_timer *w, int revents)
{
	ev_break(loop, EVBREAK_ALL);
}

static void target_init(struct probe_target *t, const char *addr,
			int64_t timeout_ms)
{
	memset(t, 0, sizeof(*t));
	t->kind = BB_KIND_ICMP;
	snprintf(t->name, sizeof(t->name), "tgt-%s", addr);
	assert_int_equal(sock_parse_addr(addr, 0, &t->addr, &t->addr_len), 0);
	t->timeout_ns = timeout_ms * BB_NS_PER_MS;
}

/* Open a probe on r->loop for addr; returns -errno from open(). */
static int run_open(struct run *r, const char *addr, int64_t timeout_ms)
{
	struct probe_target t;
	char err[256] = "";
	target_init(&t, addr, timeout_ms);
	memset(r, 0, sizeof(*r));
	r->loop = ev_loop_new(EVFLAG_AUTO);
	assert_non_null(r->loop);
	int ret = probe_icmp_ops.open(r->loop, &t, on_emit, r, &r->probe, err,
				      sizeof(err));
	if (ret)
		fprintf(stderr, "open %s: %s\n", addr, err);
	return ret;
}

/* Send count probes every interval_ms; stop expect samples later (+grace)
 * or after max_ms at the latest. */
static void run_loop(struct run *r, int count, int interval_ms, int expect,
		     int max_ms)
{
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
}

static void run_close(struct run *r)
{
	probe_icmp_ops.close(r->probe);
	ev_loop_destroy(r->loop);
}

static void check_common(const struct run *r, const struct bb_sample *s)
{
	assert_int_equal(s->kind, BB_KIND_ICMP);
	assert_true(s->seq < (uint32_t)r->sent);
	assert_int_equal(s->send_error_ns, s->mono_ns - r->deadline[s->seq]);
	assert_true(s->real_ns > 1600000000LL * BB_NS_PER_S);
	assert_true(strncmp(s->target, "tgt-", 4) == 0);
}

/* Every probe answered in order, rtt from the RX timestamp. */
static void check_all_ok(const struct run *r, int count)
{
	assert_int_equal(r->n, count);
	int64_t sum = 0;
	for (int i = 0; i < r->n; i++) {
		const struct bb_sample *s = &r->s[i];
		check_common(r, s);
		assert_int_equal(s->status, BB_STATUS_OK);
		assert_int_equal(s->flags, 0);
		assert_int_equal(s->seq, (uint32_t)i);
		assert_true(s->rtt_ns > 0);
		assert_true(s->rtt_ns < 50 * BB_NS_PER_MS);
		/* the kernel stamped it before our callback could run */
		assert_true(s->rtt_ns <= r->cb_ns[i] - s->mono_ns);
		sum += s->rtt_ns;
	}
	fprintf(stderr, "  %d replies, mean rtt %.3f ms\n", r->n,
		(double)sum / r->n / 1e6);
}

/* Count entries (lines after the header) in a /proc/net table. */
static int proc_net_entries(const char *table, const char *proto_hex)
{
	char path[64], line[512];
	snprintf(path, sizeof(path), "/proc/thread-self/net/%s", table);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	int n = -1;
	while (fgets(line, sizeof(line), f)) {
		if (n < 0) {
			n = 0; /* header */
			continue;
		}
		/* raw tables: local_address is "addr:proto" */
		char *colon = strchr(line, ':');
		colon = colon ? strchr(colon + 1, ':') : NULL;
		if (!proto_hex || (colon && strncmp(colon + 1, proto_hex,
						    strlen(proto_hex)) == 0))
			n++;
	}
	fclose(f);
	return n < 0 ? 0 : n;
}

/* ---- tests -------------------------------------------------------------- */

static int teardown_ns(void **state)
{
	netns_delete_all();
	return 0;
}

static void loopback(const char *addr)
{
	struct run r;
	assert_int_equal(run_open(&r, addr, 1000), 0);
	run_loop(&r, 20, 20, 20, 5000);
	check_all_ok(&r, 20);
	run_close(&r);
}

static void test_loopback_v4(void **state)
{
	loopback("127.0.0.1");
}

static void test_loopback_v6(void **state)
{
	loopback("::1");
}

/* A fresh namespace with ping_group_range set, entered. */
static void enter_ns(const char *tag, const char *range, char *ns)
{
	assert_int_equal(netns_create(tag, ns), 0);
	assert_int_equal(netns_sh("ip netns exec %s sysctl -qw "
				  "net.ipv4.ping_group_range='%s'",
				  ns, range),
			 0);
	assert_int_equal(netns_enter(ns), 0);
}

static void path_test(const char *range, int want_dgram)
{
	char ns[NETNS_NAME_LEN];
	enter_ns("path", range, ns);
	assert_int_equal(
		netns_sh("ip -n %s addr add ::1/128 dev lo 2>/dev/null;"
			 " true",
			 ns),
		0);
	const char *addrs[] = { "127.0.0.1", "::1" };
	for (int i = 0; i < 2; i++) {
		struct run r;
		assert_int_equal(run_open(&r, addrs[i], 1000), 0);
		run_loop(&r, 10, 20, 10, 5000);
		check_all_ok(&r, 10);
		/* which socket did it get?  The namespace holds only ours; a
		 * ping socket is listed once bound, i.e. after its first send
		 */
		int v6 = i == 1;
		int dgram = proc_net_entries(v6 ? "icmp6" : "icmp", NULL);
		int raw = proc_net_entries(v6 ? "raw6" : "raw",
					   v6 ? "003A" : "0001");
		assert_int_equal(dgram, want_dgram ? 1 : 0);
		assert_int_equal(raw, want_dgram ? 0 : 1);
		run_close(&r);
	}
	netns_leave();
}

static void test_datagram_path(void **state)
{
	path_test("0 2147483647", 1);
}

static void test_raw_path(void **state)
{
	path_test("1 0", 0);
}

static void test_not_permitted(void **state)
{
	char ns[NETNS_NAME_LEN];
	assert_int_equal(netns_create("perm", ns), 0);
	assert_int_equal(netns_sh("ip netns exec %s sysctl -qw "
				  "net.ipv4.ping_group_range='1 0'",
				  ns),
			 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) { /* no root, no CAP_NET_RAW, no ping group */
		if (netns_enter(ns) || setgroups(0, NULL) || setgid(65534) ||
		    setuid(65534))
			_exit(2);
		struct probe_target t;
		memset(&t, 0, sizeof(t));
		sock_parse_addr("127.0.0.1", 0, &t.addr, &t.addr_len);
		t.timeout_ns = BB_NS_PER_S;
		struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
		struct probe *p = NULL;
		char err[256] = "";
		int ret = probe_icmp_ops.open(loop, &t, on_emit, NULL, &p, err,
					      sizeof(err));
		fprintf(stderr, "  open as nobody: %d: %s\n", ret, err);
		_exit(ret == -EPERM && strstr(err, "setcap cap_net_raw+ep") &&
				      strstr(err, "ping_group_range=")
			      ? 0
			      : 1);
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

/* veth0 198.18.0.1/24 whose neighbour 198.18.0.2 is a MAC nobody owns:
 * every packet to it leaves and vanishes, no error ever comes back. */
static void test_timeout(void **state)
{
	char ns[NETNS_NAME_LEN];
	enter_ns("tmo", "0 2147483647", ns);
	assert_int_equal(
		netns_sh("ip -n %s link add veth0 type veth peer name veth1 &&"
			 " ip -n %s addr add 198.18.0.1/24 dev veth0 &&"
			 " ip -n %s link set veth0 up &&"
			 " ip -n %s link set veth1 up &&"
			 " ip -n %s neigh add 198.18.0.2 lladdr "
			 "02:00:00:00:00:99"
			 " dev veth0 nud permanent",
			 ns, ns, ns, ns, ns),
		0);
	struct run r;
	assert_int_equal(run_open(&r, "198.18.0.2", 200), 0);
	run_loop(&r, 5, 50, 5, 5000);
	assert_int_equal(r.n, 5);
	for (int i = 0; i < r.n; i++) {
		const struct bb_sample *s = &r.s[i];
		check_common(&r, s);
		assert_int_equal(s->status, BB_STATUS_TIMEOUT);
		assert_int_equal(s->seq, (uint32_t)i);
		assert_true(s->rtt_ns == BB_NONE);
		int64_t after = r.cb_ns[i] - s->mono_ns;
		assert_true(after >= 200 * BB_NS_PER_MS);
		assert_true(after < 1200 * BB_NS_PER_MS);
	}
	run_close(&r);
	netns_leave();
}

static void expect_errors(struct run *r, int count, const char *detail)
{
	assert_int_equal(r->n, count);
	for (int i = 0; i < r->n; i++) {
		check_common(r, &r->s[i]);
		assert_int_equal(r->s[i].status, BB_STATUS_ERROR);
		assert_string_equal(r->s[i].detail, detail);
		assert_true(r->s[i].rtt_ns == BB_NONE);
	}
}

/* A local unreachable route: sendto itself fails. */
static void test_unreachable_route(void **state)
{
	char ns[NETNS_NAME_LEN];
	enter_ns("unr", "1 0", ns);
	assert_int_equal(
		netns_sh("ip -n %s route add unreachable 198.18.98.0/24", ns),
		0);
	struct run r;
	assert_int_equal(run_open(&r, "198.18.98.7", 500), 0);
	run_loop(&r, 3, 20, 3, 3000);
	expect_errors(&r, 3, "host unreachable");
	run_close(&r);
	netns_leave();
}

/* A router namespace answers with ICMP host unreachable (RFC 792 type 3
 * code 1); the probe gets it through the error queue, on both paths. */
static void router_unreachable(const char *range)
{
	char a[NETNS_NAME_LEN], b[NETNS_NAME_LEN];
	assert_int_equal(netns_create("rtr", b), 0);
	enter_ns("src", range, a);
	assert_int_equal(
		netns_sh("ip -n %s link add veth0 type veth peer name veth1"
			 " netns %s &&"
			 " ip -n %s addr add 198.18.0.1/24 dev veth0 &&"
			 " ip -n %s link set veth0 up &&"
			 " ip -n %s route add 198.18.97.0/24 via 198.18.0.2 &&"
			 " ip -n %s addr add 198.18.0.2/24 dev veth1 &&"
			 " ip -n %s link set veth1 up &&"
			 " ip -n %s route add unreachable 198.18.97.0/24 &&"
			 " ip netns exec %s sysctl -qw net.ipv4.ip_forward=1"
			 " net.ipv4.icmp_ratelimit=0",
			 a, b, a, a, a, b, b, b, b),
		0);
	struct run r;
	assert_int_equal(run_open(&r, "198.18.97.1", 1000), 0);
	run_loop(&r, 3, 50, 3, 4000);
	expect_errors(&r, 3, "host unreachable");
	run_close(&r);
	netns_leave();
}

static void test_router_unreachable_raw(void **state)
{
	router_unreachable("1 0");
}

static void test_router_unreachable_dgram(void **state)
{
	router_unreachable("0 2147483647");
}

/* Kernel echo off, our responder on: run with a given reply policy. */
static void responder_run(const char *range, enum resp_mode mode,
			  int64_t delay_ms, int count, int interval_ms,
			  int timeout_ms, int expect, struct run *r)
{
	char ns[NETNS_NAME_LEN];
	enter_ns("resp", range, ns);
	assert_int_equal(netns_sh("ip netns exec %s sysctl -qw "
				  "net.ipv4.icmp_echo_ignore_all=1",
				  ns),
			 0);
	assert_int_equal(run_open(r, "127.0.0.1", timeout_ms), 0);
	struct responder resp;
	resp_start(&resp, r->loop, mode, delay_ms * BB_NS_PER_MS);
	run_loop(r, count, interval_ms, expect, 5000);
	assert_int_equal(resp.requests, count);
	resp_stop(&resp, r->loop);
	run_close(r);
	netns_leave();
}

static void late_replies(const char *range)
{
	struct run r;
	/* 4 probes, timeout 100 ms, replies after 250 ms: TIMEOUT, then LATE */
	responder_run(range, RESP_LATE, 250, 4, 30, 100, 8, &r);
	assert_int_equal(r.n, 8);
	int timeouts = 0, lates = 0;
	for (int i = 0; i < r.n; i++) {
		const struct bb_sample *s = &r.s[i];
		check_common(&r, s);
		if (s->status == BB_STATUS_TIMEOUT) {
			assert_int_equal(s->flags, 0);
			assert_int_equal(s->seq, (uint32_t)timeouts);
			timeouts++;
			continue;
		}
		assert_int_equal(s->status, BB_STATUS_OK);
		assert_int_equal(s->flags, BB_SAMPLE_LATE);
		assert_int_equal(s->seq, (uint32_t)lates);
		assert_true(s->seq <
			    (uint32_t)timeouts); /* timeout came first */
		assert_true(s->rtt_ns >= 250 * BB_NS_PER_MS);
		assert_true(s->rtt_ns < 1250 * BB_NS_PER_MS);
		lates++;
	}
	assert_int_equal(timeouts, 4);
	assert_int_equal(lates, 4);
}

static void test_late_raw(void **state)
{
	late_replies("1 0");
}

static void test_late_dgram(void **state)
{
	late_replies("0 2147483647");
}

static void dup_replies(const char *range)
{
	struct run r;
	/* each request: a reply with a foreign cookie (ignored), then two */
	responder_run(range, RESP_DUP, 0, 5, 20, 1000, 10, &r);
	assert_int_equal(r.n, 10);
	for (int i = 0; i < 10; i++) {
		const struct bb_sample *s = &r.s[i];
		check_common(&r, s);
		assert_int_equal(s->status, BB_STATUS_OK);
		assert_int_equal(s->seq, (uint32_t)(i / 2));
		assert_int_equal(s->flags, i % 2 ? BB_SAMPLE_DUPLICATE : 0);
		assert_true(s->rtt_ns > 0 && s->rtt_ns < 50 * BB_NS_PER_MS);
	}
}

static void test_duplicate_raw(void **state)
{
	dup_replies("1 0");
}

static void test_duplicate_dgram(void **state)
{
	dup_replies("0 2147483647");
}

static void test_reordered(void **state)
{
	struct run r;
	/* the responder answers each pair second-first (RFC 4737) */
	responder_run("1 0", RESP_SWAP, 0, 6, 20, 1000, 6, &r);
	assert_int_equal(r.n, 6);
	for (int i = 0; i < 6; i++) {
		const struct bb_sample *s = &r.s[i];
		check_common(&r, s);
		assert_int_equal(s->status, BB_STATUS_OK);
		uint32_t want = (uint32_t)(i ^ 1); /* 1 0 3 2 5 4 */
		assert_int_equal(s->seq, want);
		assert_int_equal(s->flags, i % 2 ? BB_SAMPLE_REORDERED : 0);
	}
}

int main(void)
{
	if (!netns_can_run()) {
		printf("SKIPPED: needs root (raw sockets and namespaces)\n");
		return 77;
	}
	clock_calibrate();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_loopback_v4),
		cmocka_unit_test(test_loopback_v6),
		cmocka_unit_test_teardown(test_datagram_path, teardown_ns),
		cmocka_unit_test_teardown(test_raw_path, teardown_ns),
		cmocka_unit_test_teardown(test_not_permitted, teardown_ns),
		cmocka_unit_test_teardown(test_timeout, teardown_ns),
		cmocka_unit_test_teardown(test_unreachable_route, teardown_ns),
		cmocka_unit_test_teardown(test_router_unreachable_raw,
					  teardown_ns),
		cmocka_unit_test_teardown(test_router_unreachable_dgram,
					  teardown_ns),
		cmocka_unit_test_teardown(test_late_raw, teardown_ns),
		cmocka_unit_test_teardown(test_late_dgram, teardown_ns),
		cmocka_unit_test_teardown(test_duplicate_raw, teardown_ns),
		cmocka_unit_test_teardown(test_duplicate_dgram, teardown_ns),
		cmocka_unit_test_teardown(test_reordered, teardown_ns),
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);
	netns_delete_all();
	return failed ? 1 : 0;
}
