// SPDX-License-Identifier: MIT
/*
 * Interface traffic (core/probe/traffic.c): the /proc/net/dev parser on
 * literal text, the rate across a 32-bit wrap and a reset, the real
 * counters of lo rising by at least the bytes a UDP socket sent to
 * 127.0.0.1, the probe's samples, the rx/tx round trip through a real
 * SQLite file and its measurements view (and an older file without the
 * columns, read-only and read-write), the model's per-second history, and
 * the plan's key.
 */
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "core/analysis/model.h"
#include "core/base/clock.h"
#include "core/base/config.h"
#include "core/engine/plan.h"
#include "core/probe/kind.h"
#include "core/probe/probe.h"
#include "core/probe/traffic.h"
#include "core/store/store.h"

static const char netdev[] =
	"Inter-|   Receive                                                |"
	"  Transmit\n"
	" face |bytes    packets errs drop fifo frame compressed multicast|"
	"bytes    packets errs drop fifo colls carrier compressed\n"
	"    lo: 7868217955 6818683    0    0    0     0          0         0"
	" 7868217955 6818683    0    0    0     0       0          0\n"
	"  eth01: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n"
	"  eth0: 123456 10 0 0 0 0 0 0 654321 9 0 0 0 0 0 0\n"
	"wlan0:18446744073709551615 1 0 0 0 0 0 0 42 1 0 0 0 0 0 0\n"
	"  bad0: 12 x 0 0 0 0 0 0 99 0 0 0 0 0 0 0\n"
	"  short0: 1 2 3\n"
	"  big0: 18446744073709551616 1 0 0 0 0 0 0 1 1 0 0 0 0 0 0";

static void test_parse(void **state)
{
	struct traffic_counters c;
	size_t n = strlen(netdev);
	assert_int_equal(traffic_parse_proc_net_dev(netdev, n, "eth0", &c), 0);
	assert_true(c.rx_bytes == 123456 && c.tx_bytes == 654321);
	assert_int_equal(traffic_parse_proc_net_dev(netdev, n, "eth01", &c), 0);
	assert_true(c.rx_bytes == 1 && c.tx_bytes == 9);
	assert_int_equal(traffic_parse_proc_net_dev(netdev, n, "lo", &c), 0);
	assert_true(c.rx_bytes == 7868217955ULL);
	/* no blank after the colon: the kernel prints it so for big ones */
	assert_int_equal(traffic_parse_proc_net_dev(netdev, n, "wlan0", &c), 0);
	assert_true(c.rx_bytes == UINT64_MAX && c.tx_bytes == 42);
	/* malformed, cut short or overflowing lines are not trusted */
	assert_int_equal(traffic_parse_proc_net_dev(netdev, n, "bad0", &c),
			 -ENOENT);
	assert_int_equal(traffic_parse_proc_net_dev(netdev, n, "short0", &c),
			 -ENOENT);
	assert_int_equal(traffic_parse_proc_net_dev(netdev, n, "big0", &c),
			 -ENOENT);
	assert_int_equal(traffic_parse_proc_net_dev(netdev, n, "eth", &c),
			 -ENOENT);
	assert_int_equal(traffic_parse_proc_net_dev(netdev, n, "", &c),
			 -ENOENT);
	/* the text need not end in NUL: a cut before eth0's line hides it */
	const char *eth0 = strstr(netdev, "  eth0:");
	assert_int_equal(traffic_parse_proc_net_dev(
				 netdev, (size_t)(eth0 - netdev), "eth0", &c),
			 -ENOENT);
}

static void test_rate(void **state)
{
	/* 1 250 000 bytes in 1 s = 10 000 kbit/s */
	assert_true(traffic_rate_kbps(1000, 1251000, BB_NS_PER_S) == 10000);
	assert_true(traffic_rate_kbps(5, 5, BB_NS_PER_S) == 0);
	/* 125 bytes in 100 ms = 10 kbit/s */
	assert_true(traffic_rate_kbps(0, 125, BB_NS_PER_S / 10) == 10);
	/* a 32-bit counter wrapped: 100 bytes before the top, 25 after */
	assert_true(traffic_rate_kbps(UINT32_MAX - 99, 25, BB_NS_PER_S) == 1);
	assert_true(traffic_rate_kbps(UINT32_MAX - 124999, 0, BB_NS_PER_S) ==
		    1000);
	/* a 64-bit counter that went back was reset (interface re-made):
	 * unknown, never a huge or negative rate */
	assert_true(traffic_rate_kbps(10000000000ULL, 300, BB_NS_PER_S) ==
		    BB_NONE);
	/* ... also one that fits in 32 bits but was far from the top: a wrap
	 * would make it 34 Gbit/s */
	assert_true(traffic_rate_kbps(1000000, 500, BB_NS_PER_S) == BB_NONE);
	assert_true(traffic_rate_kbps(3000000000ULL, 2500000000ULL,
				      BB_NS_PER_S) == BB_NONE);
	assert_true(traffic_rate_kbps(0, 100, 0) == BB_NONE);
	assert_true(traffic_rate_kbps(0, 100, -5) == BB_NONE);
	/* 10 Gbit/s for an hour fits */
	assert_true(traffic_rate_kbps(0, 4500000000000ULL,
				      3600 * BB_NS_PER_S) == 10000000);
}

/* bytes in UDP datagrams of 1000 bytes from one socket to another on
 * 127.0.0.1; each is counted on lo's rx and tx (payload + 28 header). */
static size_t send_lo(size_t bytes)
{
	int rx = socket(AF_INET, SOCK_DGRAM, 0),
	    tx = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(rx >= 0 && tx >= 0);
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	assert_int_equal(bind(rx, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(rx, (struct sockaddr *)&a, &alen), 0);
	int big = 4 << 20;
	setsockopt(rx, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	char buf[1000];
	memset(buf, 'b', sizeof(buf));
	size_t sent = 0;
	while (sent < bytes) {
		ssize_t n = sendto(tx, buf, sizeof(buf), 0,
				   (struct sockaddr *)&a, sizeof(a));
		assert_int_equal(n, (ssize_t)sizeof(buf));
		sent += (size_t)n;
		char drop[1000];
		(void)!recv(rx, drop, sizeof(drop), MSG_DONTWAIT);
	}
	close(rx);
	close(tx);
	return sent;
}

static void test_read_lo(void **state)
{
	struct traffic_counters before, after;
	assert_int_equal(traffic_read("lo", &before), 0);
	size_t sent = send_lo(2000000);
	assert_int_equal(traffic_read("lo", &after), 0);
	/* lower bounds: other processes may use lo too */
	assert_true(after.rx_bytes - before.rx_bytes >= sent);
	assert_true(after.tx_bytes - before.tx_bytes >= sent);
	assert_int_equal(traffic_read("bb-no-such0", &after), -ENOENT);
}

struct got {
	struct bb_sample s[8];
	size_t n;
};

static void got_emit(void *ctx, const struct bb_sample *s)
{
	struct got *g = ctx;
	if (g->n < 8)
		g->s[g->n++] = *s;
}

static void test_probe_lo(void **state)
{
	struct probe_target t = { .kind = BB_KIND_TRAFFIC, .name = "lo" };
	snprintf(t.interface, sizeof(t.interface), "lo");
	struct got g = { 0 };
	struct probe *p = NULL;
	char err[128] = "";
	assert_int_equal(probe_traffic_ops.open(NULL, &t, got_emit, &g, &p, err,
						sizeof(err)),
			 0);
	int64_t t0 = clock_mono_ns();
	probe_traffic_ops.send(p, t0);
	assert_int_equal(g.n, 0); /* the first read is the reference */
	size_t sent = send_lo(3000000);
	struct timespec ts = { 0, 200000000 };
	nanosleep(&ts, NULL);
	int64_t t1 = clock_mono_ns();
	probe_traffic_ops.send(p, t1);
	int64_t t2 = clock_mono_ns();
	assert_int_equal(g.n, 1);
	const struct bb_sample *s = &g.s[0];
	assert_int_equal(s->kind, BB_KIND_TRAFFIC);
	assert_int_equal(s->status, BB_STATUS_OK);
	assert_string_equal(s->interface, "lo");
	assert_string_equal(s->target, "lo");
	assert_true(s->rtt_ns == BB_NONE && s->throughput_kbps == BB_NONE);
	/* at least the bytes we sent over at most the whole interval */
	int64_t floor = (int64_t)((double)sent * 8e6 / (double)(t2 - t0));
	assert_true(s->rx_kbps >= floor);
	assert_true(s->tx_kbps >= floor);
	assert_true(s->mono_ns >= t1 && s->mono_ns <= t2);
	probe_traffic_ops.close(p);

	/* a missing interface is an error sample when it starts, not every
	 * interval */
	snprintf(t.interface, sizeof(t.interface), "bb-no-such0");
	g.n = 0;
	assert_int_equal(probe_traffic_ops.open(NULL, &t, got_emit, &g, &p, err,
						sizeof(err)),
			 0);
	for (int i = 0; i < 3; i++)
		probe_traffic_ops.send(p, clock_mono_ns());
	assert_int_equal(g.n, 1);
	assert_int_equal(g.s[0].status, BB_STATUS_ERROR);
	assert_string_equal(g.s[0].detail, "interface missing");
	assert_string_equal(g.s[0].target, "bb-no-such0");
	assert_true(g.s[0].rx_kbps == BB_NONE);
	probe_traffic_ops.close(p);
}

static struct bb_sample traffic_sample(int64_t real_ns, const char *iface,
				       int64_t rx, int64_t tx)
{
	struct bb_sample s;
	sample_init(&s, BB_KIND_TRAFFIC);
	s.real_ns = real_ns;
	s.mono_ns = real_ns - 1000 * BB_NS_PER_S;
	snprintf(s.interface, sizeof(s.interface), "%s", iface);
	snprintf(s.target, sizeof(s.target), "%s", iface[0] ? iface : "eth0");
	s.rx_kbps = rx;
	s.tx_kbps = tx;
	return s;
}

struct collect {
	struct bb_sample s[64];
	size_t n;
};

static int collect_cb(void *ctx, const struct bb_sample *s)
{
	struct collect *c = ctx;
	if (c->n < 64)
		c->s[c->n++] = *s;
	return 0;
}

#define T0_NS (1732539960000LL * BB_NS_PER_MS)

static int64_t raw_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	int64_t v = sqlite3_column_type(q, 0) == SQLITE_NULL
			    ? -1
			    : sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return v;
}

static void raw_exec(const char *path, const char *sql)
{
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	char *msg = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg);
	sqlite3_close(db);
}

static void check_round_trip(const char *path)
{
	char err[512] = "";
	struct store *st = store_open(path, STORE_RDWR, err, sizeof(err));
	if (!st)
		fail_msg("%s", err);
	struct bb_sample in[4] = {
		traffic_sample(T0_NS + BB_NS_PER_S, "", 48000, 5120),
		traffic_sample(T0_NS + 2 * BB_NS_PER_S, "", 0, 2000000000),
		traffic_sample(T0_NS + 3 * BB_NS_PER_S, "", BB_NONE, 7),
		traffic_sample(T0_NS + 3 * BB_NS_PER_S, "wlan0", 1, 2),
	};
	in[2].status = BB_STATUS_OK;
	snprintf(in[2].detail, sizeof(in[2].detail), "counters reset");
	assert_int_equal(store_write_samples(st, in, 4), 0);
	store_close(st);

	st = store_open(path, STORE_RDONLY, err, sizeof(err));
	assert_non_null(st);
	struct collect c = { 0 };
	assert_int_equal(store_read_samples(st, 0, INT64_MAX, collect_cb, &c),
			 0);
	store_close(st);
	size_t k = 0;
	for (size_t i = 0; i < c.n; i++) {
		if (c.s[i].kind != BB_KIND_TRAFFIC)
			continue;
		const struct bb_sample *w = &in[k++], *g = &c.s[i];
		assert_true(g->real_ns == w->real_ns);
		assert_string_equal(g->interface, w->interface);
		assert_string_equal(g->target, w->target);
		assert_true(g->rx_kbps == w->rx_kbps);
		assert_true(g->tx_kbps == w->tx_kbps);
		assert_string_equal(g->detail, w->detail);
	}
	assert_int_equal(k, 4);

	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM measurements"
				     " WHERE test_type = 'traffic'"),
			 4);
	assert_int_equal(raw_int(db, "SELECT sum(rx_kbps) FROM measurements"
				     " WHERE test_type = 'traffic'"),
			 48001);
	assert_int_equal(raw_int(db, "SELECT max(tx_kbps) FROM measurements"
				     " WHERE test_type = 'traffic'"),
			 2000000000);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM measurements"
				     " WHERE test_type = 'traffic' AND"
				     " rx_kbps IS NULL"),
			 1);
	/* the two columns come last; the rest of a traffic row is empty */
	assert_int_equal(raw_int(db, "SELECT count(*) FROM"
				     " pragma_table_info('measurements')"
				     " WHERE cid >= (SELECT max(cid) - 1 FROM"
				     " pragma_table_info('measurements'))"
				     " AND name IN ('rx_kbps', 'tx_kbps')"),
			 2);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM measurements"
				     " WHERE test_type = 'traffic' AND"
				     " (rtt_ms IS NOT NULL OR throughput_kbps"
				     " IS NOT NULL)"),
			 0);
	/* rollups leave traffic out (two rates, no loss) */
	sqlite3_close(db);
	st = store_open(path, STORE_RDWR, err, sizeof(err));
	assert_non_null(st);
	assert_true(store_rollup(st, T0_NS / BB_NS_PER_MS + 7200000) >= 0);
	store_close(st);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM agg_1min WHERE"
				     " test_type = 'traffic'"),
			 0);
	sqlite3_close(db);
}

static void test_store(void **state)
{
	char dir[] = "/tmp/bb-test-traffic.XXXXXX", path[64], cmd[96];
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/bb.db", dir);
	check_round_trip(path);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

/* A version 2 file written before the traffic columns: readable as is,
 * and a writer adds them. */
static void test_store_older_file(void **state)
{
	char dir[] = "/tmp/bb-test-traffic.XXXXXX", path[64], cmd[96];
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/bb.db", dir);
	char err[512] = "";
	struct store *st = store_open(path, STORE_RDWR, err, sizeof(err));
	assert_non_null(st);
	struct bb_sample icmp;
	sample_init(&icmp, BB_KIND_ICMP);
	icmp.real_ns = T0_NS;
	icmp.mono_ns = T0_NS - 1000 * BB_NS_PER_S;
	icmp.rtt_ns = 12000000;
	snprintf(icmp.target, sizeof(icmp.target), "gateway");
	assert_int_equal(store_write_samples(st, &icmp, 1), 0);
	store_close(st);
	/* make it the older layout: no rx/tx columns, no such view column */
	raw_exec(path, "DROP VIEW measurements; DROP VIEW sample_rows;"
		       "ALTER TABLE blocks DROP COLUMN rx0;"
		       "ALTER TABLE blocks DROP COLUMN rx;"
		       "ALTER TABLE blocks DROP COLUMN tx0;"
		       "ALTER TABLE blocks DROP COLUMN tx;");

	st = store_open(path, STORE_RDONLY, err, sizeof(err));
	if (!st)
		fail_msg("read-only open of the older file: %s", err);
	struct collect c = { 0 };
	assert_int_equal(store_read_samples(st, 0, INT64_MAX, collect_cb, &c),
			 0);
	assert_int_equal(c.n, 1);
	assert_true(c.s[0].rtt_ns == 12000000);
	assert_true(c.s[0].rx_kbps == BB_NONE && c.s[0].tx_kbps == BB_NONE);
	store_close(st);
	/* the read-only open wrote nothing */
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(raw_int(db, "SELECT count(*) FROM"
				     " pragma_table_info('blocks')"
				     " WHERE name = 'rx0'"),
			 0);
	sqlite3_close(db);

	check_round_trip(path); /* a writer adds the columns */
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static void test_model(void **state)
{
	struct model *m = model_new(BB_NS_PER_S);
	assert_non_null(m);
	assert_null(model_traffic(m, ""));
	/* two samples in the same second average; one per second after */
	struct bb_sample s = traffic_sample(T0_NS, "", 1000, 100);
	assert_null(model_add(m, &s)); /* no model_series for traffic */
	s = traffic_sample(T0_NS + BB_NS_PER_S / 2, "", 3000, 300);
	model_add(m, &s);
	for (int i = 1; i <= 3700; i++) {
		s = traffic_sample(T0_NS + i * BB_NS_PER_S, "", 10 * i, i);
		model_add(m, &s);
	}
	s = traffic_sample(T0_NS, "wlan0", 5, 6);
	model_add(m, &s);
	assert_int_equal(model_count(m), 0);
	assert_int_equal(model_traffic_count(m), 2);
	const struct model_traffic *t = model_traffic(m, "");
	assert_non_null(t);
	assert_ptr_equal(model_traffic_at(m, 0), t);
	assert_string_equal(t->device, "eth0");
	assert_true(t->rx_kbps == 37000 && t->tx_kbps == 3700);
	assert_int_equal(t->n, MODEL_TRAFFIC_HISTORY);
	static struct model_traffic_point h[MODEL_TRAFFIC_HISTORY + 5];
	assert_int_equal(model_traffic_history(t, h, 10), 10);
	assert_true(h[9].rx_kbps == 37000 && h[0].rx_kbps == 36910);
	assert_int_equal(model_traffic_history(t, h, MODEL_TRAFFIC_HISTORY + 5),
			 MODEL_TRAFFIC_HISTORY);
	assert_true(h[0].real_s == T0_NS / BB_NS_PER_S + 101);
	for (size_t i = 1; i < MODEL_TRAFFIC_HISTORY; i++)
		assert_true(h[i].real_s == h[i - 1].real_s + 1);

	/* the averaged second, before the ring wrapped */
	struct model *m2 = model_new(BB_NS_PER_S);
	s = traffic_sample(T0_NS, "", 1000, 100);
	model_add(m2, &s);
	s = traffic_sample(T0_NS + BB_NS_PER_S / 2, "", 3000, 300);
	model_add(m2, &s);
	t = model_traffic(m2, "");
	assert_int_equal(model_traffic_history(t, h, 4), 1);
	assert_true(h[0].rx_kbps == 2000 && h[0].tx_kbps == 200);
	assert_true(t->rx_kbps == 3000); /* newest: the sample itself */
	/* an error sample: no rates now, history kept */
	s = traffic_sample(T0_NS + 2 * BB_NS_PER_S, "", BB_NONE, BB_NONE);
	s.status = BB_STATUS_ERROR;
	snprintf(s.detail, sizeof(s.detail), "interface missing");
	model_add(m2, &s);
	assert_false(t->ok);
	assert_true(t->rx_kbps == BB_NONE);
	assert_string_equal(t->detail, "interface missing");
	assert_int_equal(t->n, 1);
	model_free(m2);
	model_free(m);
}

static void test_plan_key(void **state)
{
	static struct bb_config c;
	static struct engine_plan p;
	char warn[1024], err[256] = "";
	config_defaults(&c);
	c.general.n_interfaces = 2;
	snprintf(c.general.interfaces[0], sizeof(c.general.interfaces[0]),
		 "lo");
	snprintf(c.general.interfaces[1], sizeof(c.general.interfaces[1]),
		 "bb-x0");
	snprintf(c.targets.isp_gateway, sizeof(c.targets.isp_gateway),
		 "127.0.0.1");
	c.targets.n_public_dns = 0;
	c.targets.n_custom = 0;
	c.tests.dns.enabled = false;
	c.n_servers = 0;
	assert_true(c.tests.traffic.enabled); /* the default */
	assert_int_equal(
		plan_build(&c, &p, warn, sizeof(warn), err, sizeof(err)), 0);
	int traffic = 0;
	for (size_t i = 0; i < p.n_probes; i++) {
		if (p.probes[i].target.kind != BB_KIND_TRAFFIC)
			continue;
		assert_ptr_equal(p.probes[i].ops, &probe_traffic_ops);
		assert_string_equal(p.probes[i].target.interface,
				    traffic ? "bb-x0" : "lo");
		assert_true(p.probes[i].interval_ns ==
			    c.general.test_interval_ms * BB_NS_PER_MS);
		traffic++;
	}
	assert_int_equal(traffic, 2);
	c.tests.traffic.enabled = false;
	assert_int_equal(
		plan_build(&c, &p, warn, sizeof(warn), err, sizeof(err)), 0);
	for (size_t i = 0; i < p.n_probes; i++)
		assert_int_not_equal(p.probes[i].target.kind, BB_KIND_TRAFFIC);
	/* counters alone are nothing to probe */
	c.tests.traffic.enabled = true;
	snprintf(c.targets.isp_gateway, sizeof(c.targets.isp_gateway), "none");
	assert_int_equal(
		plan_build(&c, &p, warn, sizeof(warn), err, sizeof(err)),
		-EINVAL);
	assert_non_null(strstr(err, "nothing to probe"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_rate),
		cmocka_unit_test(test_read_lo),
		cmocka_unit_test(test_probe_lo),
		cmocka_unit_test(test_store),
		cmocka_unit_test(test_store_older_file),
		cmocka_unit_test(test_model),
		cmocka_unit_test(test_plan_key),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
