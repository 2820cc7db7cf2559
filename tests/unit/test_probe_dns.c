// SPDX-License-Identifier: MIT
/*
 * The DNS probe against real servers on loopback only: a dnsmasq started
 * here (authoritative for bbtest.lan and nx.lan, no upstream, no resolv.conf,
 * killed at the end and by PR_SET_PDEATHSIG if this process dies), and a tiny
 * responder thread that answers with crafted rcodes, decoys, delays and
 * duplicates.  Every packet goes to 127.0.0.153/154; nothing else is touched.
 */
#include "core/probe/probe.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/base/clock.h"
#include "core/probe/dns.h"
#include "core/base/sock.h"

#define DNSMASQ_ADDR   "127.0.0.153"
#define RESPONDER_ADDR "127.0.0.154"
#define MAX_SAMPLES    64

/* ---- dnsmasq ----------------------------------------------------------- */

static pid_t dnsmasq_pid = -1;
static uint16_t dnsmasq_port;
static char tmpdir[64];

static const char *find_dnsmasq(void)
{
	static const char *const paths[] = { "/usr/sbin/dnsmasq",
					     "/usr/bin/dnsmasq",
					     "/usr/local/sbin/dnsmasq" };
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		if (access(paths[i], X_OK) == 0)
			return paths[i];
	return NULL;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* A UDP port nobody uses on addr right now (kernel's choice). */
static uint16_t free_port(const char *addr)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	inet_pton(AF_INET, addr, &sin.sin_addr);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	close(fd);
	return ntohs(sin.sin_port);
}

/* The same on ::1; 0 when this host has no IPv6 loopback. */
static uint16_t free_port6(void)
{
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6,
				     .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	socklen_t len = sizeof(sin6);
	int fd = socket(AF_INET6, SOCK_DGRAM, 0);
	uint16_t port = 0;
	if (fd >= 0 && bind(fd, (struct sockaddr *)&sin6, len) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sin6, &len) == 0)
		port = ntohs(sin6.sin6_port);
	if (fd >= 0)
		close(fd);
	return port;
}

/* One blocking query with our own code: 0 when any response came back. */
static int ask_once(const char *addr, uint16_t port, const char *name)
{
	uint8_t q[512], r[512];
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons(port) };
	inet_pton(AF_INET, addr, &sin.sin_addr);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		return -errno;
	struct timeval tv = { 0, 100000 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	int n = dns_build_query(0x4242, name, DNS_TYPE_A, q, sizeof(q));
	int rc = -EIO;
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0 &&
	    send(fd, q, (size_t)n, 0) == n && recv(fd, r, sizeof(r), 0) > 0)
		rc = 0;
	close(fd);
	return rc;
}

static void print_file(const char *path)
{
	char line[512];
	FILE *f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		fprintf(stderr, "  dnsmasq: %s", line);
	fclose(f);
}

static int dnsmasq_start(void **state)
{
	const char *bin = find_dnsmasq();
	if (!bin) {
		fprintf(stderr, "dnsmasq not found: install the Debian package "
				"dnsmasq-base (make deps)\n");
		return -1;
	}
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/bb-test-dns.XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	dnsmasq_port = free_port(DNSMASQ_ADDR);

	char port[32], pid[128], log[128];
	snprintf(port, sizeof(port), "--port=%u", dnsmasq_port);
	snprintf(pid, sizeof(pid), "--pid-file=%s/pid", tmpdir);
	snprintf(log, sizeof(log), "--log-facility=%s/log", tmpdir);
	pid_t parent = getpid();
	dnsmasq_pid = fork();
	if (dnsmasq_pid < 0)
		return -1;
	if (dnsmasq_pid == 0) {
		/* never outlive the test, even when it crashes */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1);
		setpgid(0, 0);
		int devnull = open("/dev/null", O_RDWR);
		dup2(devnull, 0);
		/* no upstream, no resolv.conf, no hosts file: nothing is
		 * ever forwarded off this machine */
		execl(bin, "dnsmasq", "--keep-in-foreground", "--no-resolv",
		      "--no-hosts", "--no-poll", "--conf-file=/dev/null",
		      "--bind-interfaces", "--listen-address=" DNSMASQ_ADDR,
		      port, "--address=/bbtest.lan/198.18.7.7",
		      "--local=/nx.lan/", pid, log, "--log-queries",
		      (char *)NULL);
		_exit(127);
	}
	/* wait until it answers (our own query code, 127.0.0.153 only) */
	for (int i = 0; i < 100; i++) {
		if (ask_once(DNSMASQ_ADDR, dnsmasq_port, "ready.bbtest.lan") ==
		    0)
			return 0;
		int st;
		if (waitpid(dnsmasq_pid, &st, WNOHANG) == dnsmasq_pid) {
			fprintf(stderr, "dnsmasq exited at start-up:\n");
			snprintf(log, sizeof(log), "%s/log", tmpdir);
			print_file(log);
			dnsmasq_pid = -1;
			return -1;
		}
		sleep_ms(50);
	}
	fprintf(stderr, "dnsmasq did not answer on %s:%u\n", DNSMASQ_ADDR,
		dnsmasq_port);
	return -1;
}

static void dnsmasq_stop(void)
{
	char path[128];
	if (dnsmasq_pid > 0) {
		kill(dnsmasq_pid, SIGTERM);
		int st;
		for (int i = 0; i < 100; i++) {
			if (waitpid(dnsmasq_pid, &st, WNOHANG) == dnsmasq_pid)
				goto reaped;
			sleep_ms(20);
		}
		kill(dnsmasq_pid, SIGKILL);
		waitpid(dnsmasq_pid, &st, 0);
	}
reaped:
	dnsmasq_pid = -1;
	if (!tmpdir[0])
		return;
	snprintf(path, sizeof(path), "%s/log", tmpdir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/pid", tmpdir);
	unlink(path);
	rmdir(tmpdir);
	tmpdir[0] = '\0';
}

/* Names dnsmasq logged as "query[A] NAME from"; count of distinct ones with
 * the given suffix. */
static int dnsmasq_distinct_names(const char *suffix)
{
	char path[128], line[512], names[64][128];
	int n = 0;
	snprintf(path, sizeof(path), "%s/log", tmpdir);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f) && n < 64) {
		char *q = strstr(line, "query[A] ");
		if (!q)
			continue;
		char name[128];
		if (sscanf(q + 9, "%127s", name) != 1 ||
		    strncmp(name, "bb-", 3) != 0)
			continue;
		size_t nl = strlen(name), sl = strlen(suffix);
		if (nl < sl || strcmp(name + nl - sl, suffix) != 0)
			continue;
		int dup = 0;
		for (int i = 0; i < n; i++)
			dup |= strcmp(names[i], name) == 0;
		if (!dup)
			snprintf(names[n++], sizeof(names[0]), "%s", name);
	}
	fclose(f);
	return n;
}

/* ---- the crafted responder --------------------------------------------- */

enum mode {
	MODE_ANSWER,	/* NOERROR + A */
	MODE_RCODE,	/* echo the question with rcode */
	MODE_DECOYS,	/* bad replies first, the right one 30 ms later */
	MODE_DELAY,	/* right reply after delay_ms */
	MODE_DUPLICATE, /* right reply twice */
	MODE_SILENT,
};

static struct {
	pthread_t thread;
	int fd, fd6; /* RESPONDER_ADDR and ::1, same port number */
	uint16_t port;
	atomic_int mode, rcode, delay_ms, stop;
	atomic_int queries;
	uint16_t ids[MAX_SAMPLES];
	char names[MAX_SAMPLES][DNS_NAME_TEXT_MAX + 2];
} resp;

/* Query q (n octets) turned into a response with rcode and maybe an A. */
static size_t make_reply(const uint8_t *q, size_t n, uint8_t *out, int rcode,
			 int with_a)
{
	memcpy(out, q, n);
	out[2] = (uint8_t)(0x80 | (q[2] & 0x01)); /* QR, keep RD */
	out[3] = (uint8_t)(0x80 | rcode);	  /* RA */
	if (!with_a)
		return n;
	const uint8_t a[] = { 0xc0, 0x0c, 0, 1, 0,   1,	 0, 0,
			      0,    60,	  0, 4, 198, 18, 7, 8 };
	out[7] = 1;
	memcpy(out + n, a, sizeof(a));
	return n + sizeof(a);
}

/* Record the ID and name of a query the probe sent. */
static void note_query(const uint8_t *q, size_t n)
{
	int i = atomic_load(&resp.queries);
	if (i >= MAX_SAMPLES || n < 13)
		return;
	resp.ids[i] = (uint16_t)(q[0] << 8 | q[1]);
	/* the name as dotted text (our queries: plain labels) */
	size_t o = 12, t = 0;
	char *name = resp.names[i];
	while (o < n && q[o] && t + q[o] + 2 < sizeof(resp.names[0])) {
		size_t l = q[o];
		if (o + 1 + l > n)
			break;
		if (t)
			name[t++] = '.';
		memcpy(name + t, q + o + 1, l);
		t += l;
		o += 1 + l;
	}
	name[t] = '\0';
	atomic_store(&resp.queries, i + 1);
}

static void *responder_main(void *arg)
{
	uint8_t q[512], r[1024];
	while (!atomic_load(&resp.stop)) {
		struct pollfd pf[2] = { { .fd = resp.fd, .events = POLLIN },
					{ .fd = resp.fd6, .events = POLLIN } };
		if (poll(pf, resp.fd6 >= 0 ? 2 : 1, 50) <= 0)
			continue;
		int fd = pf[0].revents ? resp.fd : resp.fd6;
		struct sockaddr_storage from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(fd, q, sizeof(q), MSG_DONTWAIT,
				     (struct sockaddr *)&from, &fl);
		if (n < 12)
			continue; /* runt */
		note_query(q, (size_t)n);
		struct sockaddr *to = (struct sockaddr *)&from;
		size_t m;
		switch (atomic_load(&resp.mode)) {
		case MODE_ANSWER:
			m = make_reply(q, (size_t)n, r, 0, 1);
			sendto(fd, r, m, 0, to, fl);
			break;
		case MODE_RCODE:
			m = make_reply(q, (size_t)n, r,
				       atomic_load(&resp.rcode), 0);
			sendto(fd, r, m, 0, to, fl);
			break;
		case MODE_DECOYS:
			/* wrong ID */
			m = make_reply(q, (size_t)n, r, 0, 1);
			r[1] ^= 0x5a;
			sendto(fd, r, m, 0, to, fl);
			/* garbage */
			sendto(fd, "\xff\xfe\x01", 3, 0, to, fl);
			/* right ID, other name (first label changed) */
			m = make_reply(q, (size_t)n, r, 0, 1);
			r[13] = r[13] == 'x' ? 'y' : 'x';
			sendto(fd, r, m, 0, to, fl);
			/* right ID and name, but a query (QR clear) */
			sendto(fd, q, (size_t)n, 0, to, fl);
			/* right ID and name, rcode REFUSED, but qtype AAAA */
			m = make_reply(q, (size_t)n, r, 5, 0);
			r[n - 3] = 28;
			sendto(fd, r, m, 0, to, fl);
			sleep_ms(30);
			m = make_reply(q, (size_t)n, r, 0, 1);
			sendto(fd, r, m, 0, to, fl);
			break;
		case MODE_DELAY:
			sleep_ms(atomic_load(&resp.delay_ms));
			m = make_reply(q, (size_t)n, r, 0, 1);
			sendto(fd, r, m, 0, to, fl);
			break;
		case MODE_DUPLICATE:
			m = make_reply(q, (size_t)n, r, 0, 1);
			sendto(fd, r, m, 0, to, fl);
			sendto(fd, r, m, 0, to, fl);
			break;
		default:
			break;
		}
	}
	return NULL;
}

static int responder_start(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	inet_pton(AF_INET, RESPONDER_ADDR, &sin.sin_addr);
	resp.fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (resp.fd < 0 || bind(resp.fd, (struct sockaddr *)&sin, len) < 0 ||
	    getsockname(resp.fd, (struct sockaddr *)&sin, &len) < 0)
		return -1;
	resp.port = ntohs(sin.sin_port);
	/* the same port on ::1 when this host has IPv6 loopback */
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6,
				     .sin6_port = sin.sin_port,
				     .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	resp.fd6 = socket(AF_INET6, SOCK_DGRAM, 0);
	if (resp.fd6 >= 0 &&
	    bind(resp.fd6, (struct sockaddr *)&sin6, sizeof(sin6)) < 0) {
		close(resp.fd6);
		resp.fd6 = -1;
	}
	atomic_store(&resp.stop, 0);
	return pthread_create(&resp.thread, NULL, responder_main, NULL) ? -1
									: 0;
}

static void responder_stop(void)
{
	atomic_store(&resp.stop, 1);
	pthread_join(resp.thread, NULL);
	close(resp.fd);
	if (resp.fd6 >= 0)
		close(resp.fd6);
}

static void responder_mode(enum mode m, int rcode, int delay_ms)
{
	atomic_store(&resp.rcode, rcode);
	atomic_store(&resp.delay_ms, delay_ms);
	atomic_store(&resp.mode, (int)m);
	atomic_store(&resp.queries, 0);
}

/* ---- driving the probe -------------------------------------------------- */

struct run {
	struct ev_loop *loop;
	struct probe *probe;
	ev_timer tick, stop;
	int to_send, sent, want;
	int64_t interval_ns, next_deadline;
	struct bb_sample got[MAX_SAMPLES];
	int n;
};

static void on_sample(void *ctx, const struct bb_sample *s)
{
	struct run *r = ctx;
	if (r->n < MAX_SAMPLES)
		r->got[r->n++] = *s;
	if (r->want && r->n >= r->want && r->sent == r->to_send)
		ev_break(r->loop, EVBREAK_ALL);
}

static void on_tick(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct run *r = w->data;
	probe_dns_ops.send(r->probe, r->next_deadline);
	r->sent++;
	r->next_deadline += r->interval_ns;
	if (r->sent < r->to_send) {
		ev_now_update(loop);
		int64_t wait = r->next_deadline - clock_mono_ns();
		ev_timer_set(w, wait > 0 ? (double)wait / BB_NS_PER_S : 0., 0.);
		ev_timer_start(loop, w);
	}
}

static void on_stop(struct ev_loop *loop, ev_timer *w, int revents)
{
	ev_break(loop, EVBREAK_ALL);
}

static void make_target(struct probe_target *t, const char *addr, uint16_t port,
			const char *zone, int64_t timeout_ns)
{
	memset(t, 0, sizeof(*t));
	t->kind = BB_KIND_DNS;
	snprintf(t->name, sizeof(t->name), "dns-test");
	assert_int_equal(sock_parse_addr(addr, port, &t->addr, &t->addr_len),
			 0);
	t->timeout_ns = timeout_ns;
	snprintf(t->dns_domain, sizeof(t->dns_domain), "%s", zone);
}

/* Send count queries interval_ms apart; stop when want samples came in
 * (0: never) or after max_ms in all. */
static void run_probe(struct run *r, const struct probe_target *t, int count,
		      int interval_ms, int want, int max_ms)
{
	char err[256] = "";
	memset(r, 0, sizeof(*r));
	r->loop = ev_loop_new(EVFLAG_AUTO);
	assert_non_null(r->loop);
	int rc = probe_dns_ops.open(r->loop, t, on_sample, r, &r->probe, err,
				    sizeof(err));
	if (rc)
		fprintf(stderr, "open: %s\n", err);
	assert_int_equal(rc, 0);
	r->to_send = count;
	r->want = want;
	r->interval_ns = interval_ms * BB_NS_PER_MS;
	r->next_deadline = clock_mono_ns();
	ev_timer_init(&r->tick, on_tick, 0., 0.);
	r->tick.data = r;
	ev_timer_start(r->loop, &r->tick);
	ev_timer_init(&r->stop, on_stop, max_ms / 1000., 0.);
	ev_timer_start(r->loop, &r->stop);
	ev_run(r->loop, 0);
	probe_dns_ops.close(r->probe);
	ev_loop_destroy(r->loop);
}

static void dump(const struct run *r)
{
	for (int i = 0; i < r->n; i++) {
		const struct bb_sample *s = &r->got[i];
		fprintf(stderr,
			"  seq %u %s flags %#x rtt %.3f ms detail \"%s\"\n",
			s->seq, sample_status_name(s->status), s->flags,
			s->rtt_ns == BB_NONE ? -1. : s->rtt_ns / 1e6,
			s->detail);
	}
}

static void check_common(const struct bb_sample *s)
{
	assert_int_equal(s->kind, BB_KIND_DNS);
	assert_string_equal(s->target, "dns-test");
	assert_string_equal(s->interface, "");
	assert_true(s->mono_ns > 0);
	/* wall clock after 2020 */
	assert_true(s->real_ns > 1577836800LL * BB_NS_PER_S);
	/* sent close to its deadline (libev may wake a hair early) */
	assert_true(s->send_error_ns > -1 * BB_NS_PER_MS);
	assert_true(s->send_error_ns < 200 * BB_NS_PER_MS);
}

/* ---- tests -------------------------------------------------------------- */

static void test_dnsmasq_answers(void **state)
{
	struct probe_target t;
	static struct run r;
	make_target(&t, DNSMASQ_ADDR, dnsmasq_port, "bbtest.lan",
		    1 * BB_NS_PER_S);
	run_probe(&r, &t, 10, 50, 10, 3000);
	dump(&r);
	assert_int_equal(r.n, 10);
	int64_t sum = 0;
	for (int i = 0; i < r.n; i++) {
		const struct bb_sample *s = &r.got[i];
		check_common(s);
		assert_int_equal(s->seq, i);
		assert_int_equal(s->status, BB_STATUS_OK);
		assert_int_equal(s->flags, 0);
		assert_string_equal(s->detail, "");
		assert_true(s->rtt_ns > 0);
		assert_true(s->rtt_ns < 100 * BB_NS_PER_MS);
		sum += s->rtt_ns;
		if (i)
			assert_true(s->mono_ns > r.got[i - 1].mono_ns);
	}
	fprintf(stderr, "dnsmasq on loopback: mean rtt %.1f us\n",
		sum / 10 / 1e3);
	/* ten queries, ten different names (dnsmasq's own log) */
	int names = 0;
	for (int i = 0; i < 50 && names < 10; i++, sleep_ms(20))
		names = dnsmasq_distinct_names(".bbtest.lan");
	assert_int_equal(names, 10);
}

static void test_dnsmasq_nxdomain(void **state)
{
	struct probe_target t;
	static struct run r;
	make_target(&t, DNSMASQ_ADDR, dnsmasq_port, "nx.lan", BB_NS_PER_S);
	run_probe(&r, &t, 3, 50, 3, 3000);
	dump(&r);
	assert_int_equal(r.n, 3);
	for (int i = 0; i < r.n; i++) {
		check_common(&r.got[i]);
		assert_int_equal(r.got[i].status, BB_STATUS_OK);
		assert_string_equal(r.got[i].detail, "nxdomain");
		assert_true(r.got[i].rtt_ns > 0);
		assert_true(r.got[i].rtt_ns < 100 * BB_NS_PER_MS);
	}
}

static void test_dnsmasq_refused(void **state)
{
	/* a zone dnsmasq does not serve, with no upstream to ask: REFUSED */
	struct probe_target t;
	static struct run r;
	make_target(&t, DNSMASQ_ADDR, dnsmasq_port, "elsewhere.lan",
		    BB_NS_PER_S);
	run_probe(&r, &t, 2, 50, 2, 3000);
	dump(&r);
	assert_int_equal(r.n, 2);
	for (int i = 0; i < r.n; i++) {
		assert_int_equal(r.got[i].status, BB_STATUS_ERROR);
		assert_string_equal(r.got[i].detail, "refused");
		assert_true(r.got[i].rtt_ns > 0);
	}
}

static void test_rcodes(void **state)
{
	static const struct {
		int rcode, status;
		const char *detail;
	} cases[] = {
		{ 2, BB_STATUS_ERROR, "servfail" },
		{ 5, BB_STATUS_ERROR, "refused" },
		{ 4, BB_STATUS_ERROR, "rcode 4" },
		{ 3, BB_STATUS_OK, "nxdomain" },
	};
	struct probe_target t;
	static struct run r;
	make_target(&t, RESPONDER_ADDR, resp.port, "bbtest.lan", BB_NS_PER_S);
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		responder_mode(MODE_RCODE, cases[c].rcode, 0);
		run_probe(&r, &t, 2, 20, 2, 3000);
		dump(&r);
		assert_int_equal(r.n, 2);
		for (int i = 0; i < r.n; i++) {
			check_common(&r.got[i]);
			assert_int_equal(r.got[i].status, cases[c].status);
			assert_string_equal(r.got[i].detail, cases[c].detail);
			assert_true(r.got[i].rtt_ns > 0);
		}
	}
}

static void test_ids_and_names_fresh(void **state)
{
	struct probe_target t;
	static struct run r;
	make_target(&t, RESPONDER_ADDR, resp.port, "Fresh.LAN.", BB_NS_PER_S);
	responder_mode(MODE_ANSWER, 0, 0);
	run_probe(&r, &t, 20, 5, 20, 3000);
	assert_int_equal(r.n, 20);
	int nq = atomic_load(&resp.queries);
	assert_int_equal(nq, 20);
	int same_id = 0;
	for (int i = 0; i < nq; i++) {
		assert_int_equal(r.got[i].status, BB_STATUS_OK);
		assert_int_equal(strncmp(resp.names[i], "bb-", 3), 0);
		assert_int_equal(strlen(resp.names[i]), 19 + 10);
		assert_string_equal(resp.names[i] + 19, ".Fresh.LAN");
		for (int j = 0; j < i; j++) {
			assert_string_not_equal(resp.names[i], resp.names[j]);
			same_id += resp.ids[i] == resp.ids[j];
		}
	}
	/* 190 pairs of random 16-bit IDs: P(any equal) ~ 0.3 %, so allow
	 * one; a constant or counter-like ID would give many more or fail
	 * the next check */
	assert_true(same_id <= 1);
	int monotone = 1;
	for (int i = 1; i < nq; i++)
		monotone &= resp.ids[i] == (uint16_t)(resp.ids[i - 1] + 1);
	assert_false(monotone);
}

static void test_decoys_ignored(void **state)
{
	/* wrong ID, garbage, wrong name, a query, wrong qtype: none of them
	 * may complete the probe; the right reply 30 ms later does */
	struct probe_target t;
	static struct run r;
	make_target(&t, RESPONDER_ADDR, resp.port, "bbtest.lan", BB_NS_PER_S);
	responder_mode(MODE_DECOYS, 0, 0);
	run_probe(&r, &t, 3, 100, 0, 800);
	dump(&r);
	assert_int_equal(r.n, 3);
	for (int i = 0; i < r.n; i++) {
		check_common(&r.got[i]);
		assert_int_equal(r.got[i].status, BB_STATUS_OK);
		assert_int_equal(r.got[i].flags, 0);
		assert_string_equal(r.got[i].detail, "");
		assert_true(r.got[i].rtt_ns >= 30 * BB_NS_PER_MS);
		assert_true(r.got[i].rtt_ns < 90 * BB_NS_PER_MS);
	}
}

static void test_timeout_then_late(void **state)
{
	struct probe_target t;
	static struct run r;
	make_target(&t, RESPONDER_ADDR, resp.port, "bbtest.lan",
		    100 * BB_NS_PER_MS);
	responder_mode(MODE_DELAY, 0, 250);
	run_probe(&r, &t, 1, 10, 2, 2000);
	dump(&r);
	assert_int_equal(r.n, 2);
	const struct bb_sample *to = &r.got[0], *late = &r.got[1];
	check_common(to);
	assert_int_equal(to->status, BB_STATUS_TIMEOUT);
	assert_int_equal(to->rtt_ns, BB_NONE);
	assert_int_equal(late->seq, to->seq);
	assert_int_equal(late->flags & BB_SAMPLE_LATE, BB_SAMPLE_LATE);
	assert_int_equal(late->status, BB_STATUS_OK);
	assert_true(late->rtt_ns >= 250 * BB_NS_PER_MS);
	assert_true(late->rtt_ns < 1000 * BB_NS_PER_MS);
}

static void test_silent_timeout(void **state)
{
	struct probe_target t;
	static struct run r;
	make_target(&t, RESPONDER_ADDR, resp.port, "bbtest.lan",
		    80 * BB_NS_PER_MS);
	responder_mode(MODE_SILENT, 0, 0);
	int64_t t0 = clock_mono_ns();
	run_probe(&r, &t, 3, 20, 3, 2000);
	int64_t took = clock_mono_ns() - t0;
	dump(&r);
	assert_int_equal(r.n, 3);
	for (int i = 0; i < r.n; i++) {
		assert_int_equal(r.got[i].seq, i);
		assert_int_equal(r.got[i].status, BB_STATUS_TIMEOUT);
	}
	/* last sent at ~40 ms, times out at ~120 ms: not before */
	assert_true(took >= 120 * BB_NS_PER_MS);
	assert_true(took < 1000 * BB_NS_PER_MS);
}

static void test_duplicate(void **state)
{
	struct probe_target t;
	static struct run r;
	make_target(&t, RESPONDER_ADDR, resp.port, "bbtest.lan", BB_NS_PER_S);
	responder_mode(MODE_DUPLICATE, 0, 0);
	run_probe(&r, &t, 1, 10, 2, 1000);
	dump(&r);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.got[0].status, BB_STATUS_OK);
	assert_int_equal(r.got[0].flags, 0);
	assert_int_equal(r.got[1].seq, r.got[0].seq);
	assert_int_equal(r.got[1].flags, BB_SAMPLE_DUPLICATE);
	assert_true(r.got[1].rtt_ns >= r.got[0].rtt_ns);
}

static void check_closed(const char *addr, uint16_t port)
{
	struct probe_target t;
	static struct run r;
	make_target(&t, addr, port, "bbtest.lan", BB_NS_PER_S);
	run_probe(&r, &t, 3, 30, 3, 3000);
	dump(&r);
	assert_int_equal(r.n, 3);
	for (int i = 0; i < r.n; i++) {
		check_common(&r.got[i]);
		assert_int_equal(r.got[i].seq, i);
		assert_int_equal(r.got[i].status, BB_STATUS_ERROR);
		assert_string_equal(r.got[i].detail, "refused (no server)");
		assert_int_equal(r.got[i].rtt_ns, BB_NONE);
	}
}

static void test_closed_port(void **state)
{
	/* nothing listens: the kernel's port unreachable (ICMP, ICMPv6)
	 * comes back through the error queue */
	check_closed(DNSMASQ_ADDR, free_port(DNSMASQ_ADDR));
	uint16_t p6 = free_port6();
	if (p6)
		check_closed("::1", p6);
	else
		fprintf(stderr, "no IPv6 loopback here: ::1 case not run\n");
}

static void test_ipv6(void **state)
{
	struct probe_target t;
	static struct run r;
	if (resp.fd6 < 0) {
		fprintf(stderr, "no IPv6 loopback here: ::1 case not run\n");
		skip();
	}
	char addr[64];
	snprintf(addr, sizeof(addr), "[::1]:%u", resp.port);
	make_target(&t, addr, 0, "bbtest.lan", BB_NS_PER_S);
	responder_mode(MODE_ANSWER, 0, 0);
	run_probe(&r, &t, 3, 20, 3, 2000);
	dump(&r);
	assert_int_equal(r.n, 3);
	for (int i = 0; i < r.n; i++) {
		check_common(&r.got[i]);
		assert_int_equal(r.got[i].status, BB_STATUS_OK);
		assert_true(r.got[i].rtt_ns > 0);
		assert_true(r.got[i].rtt_ns < 100 * BB_NS_PER_MS);
	}
}

static void test_table_full(void **state)
{
	/* 64 queries without answers fill the in-flight table: the next
	 * ones are refused with a reason, none is overwritten, and close()
	 * drops the pending ones silently */
	struct probe_target t;
	static struct run r;
	make_target(&t, RESPONDER_ADDR, resp.port, "bbtest.lan",
		    10 * BB_NS_PER_S);
	responder_mode(MODE_SILENT, 0, 0);
	run_probe(&r, &t, 66, 1, 0, 400);
	dump(&r);
	assert_int_equal(r.n, 2);
	for (int i = 0; i < r.n; i++) {
		assert_int_equal(r.got[i].seq, 64 + i);
		assert_int_equal(r.got[i].status, BB_STATUS_ERROR);
		assert_string_equal(r.got[i].detail,
				    "too many queries in flight");
	}
	assert_int_equal(atomic_load(&resp.queries), 64);
}

static void test_open_rejects(void **state)
{
	struct probe_target t;
	struct probe *p = NULL;
	char err[256] = "";
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);

	make_target(&t, RESPONDER_ADDR, 53, "", BB_NS_PER_S);
	assert_int_equal(probe_dns_ops.open(loop, &t, on_sample, NULL, &p, err,
					    sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "zone"));
	make_target(&t, RESPONDER_ADDR, 53, "a..b", BB_NS_PER_S);
	assert_int_equal(probe_dns_ops.open(loop, &t, on_sample, NULL, &p, err,
					    sizeof(err)),
			 -EINVAL);
	make_target(&t, RESPONDER_ADDR, 53, "bbtest.lan", 0);
	assert_int_equal(probe_dns_ops.open(loop, &t, on_sample, NULL, &p, err,
					    sizeof(err)),
			 -EINVAL);
	assert_null(p);
	assert_string_equal(probe_dns_ops.name, "dns");
	assert_int_equal(probe_dns_ops.kind, BB_KIND_DNS);
	ev_loop_destroy(loop);
}

static int setup(void **state)
{
	clock_calibrate();
	if (responder_start() < 0) {
		fprintf(stderr, "cannot start the responder on %s\n",
			RESPONDER_ADDR);
		return -1;
	}
	if (dnsmasq_start(state) < 0) {
		dnsmasq_stop();
		responder_stop();
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	dnsmasq_stop();
	responder_stop();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_rejects),
		cmocka_unit_test(test_dnsmasq_answers),
		cmocka_unit_test(test_dnsmasq_nxdomain),
		cmocka_unit_test(test_dnsmasq_refused),
		cmocka_unit_test(test_rcodes),
		cmocka_unit_test(test_ids_and_names_fresh),
		cmocka_unit_test(test_decoys_ignored),
		cmocka_unit_test(test_timeout_then_late),
		cmocka_unit_test(test_silent_timeout),
		cmocka_unit_test(test_duplicate),
		cmocka_unit_test(test_closed_port),
		cmocka_unit_test(test_ipv6),
		cmocka_unit_test(test_table_full),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
