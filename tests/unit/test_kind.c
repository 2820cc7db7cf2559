// SPDX-License-Identifier: MIT
/*
 * The probe-kinds table (core/probe/kind.c) and the plan it drives
 * (core/engine/plan.c): every row is complete and agrees with its ops, the
 * stable names round-trip, the traits say which kinds are delays, and a
 * configuration with literal addresses (nothing resolved, nothing sent)
 * plans each periodic kind from its own row with the right interval,
 * port and extras; bad entries are refused with a reason.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/base/clock.h"
#include "core/base/config.h"
#include "core/engine/plan.h"
#include "core/probe/kind.h"
#include "core/probe/probe.h"

static void test_rows(void **state)
{
	int periodic = 0;
	for (int k = 0; k < BB_KIND_COUNT; k++) {
		const struct kind *row = kind_get(k);
		assert_non_null(row);
		assert_non_null(row->name);
		assert_non_null(row->unit);
		assert_string_equal(sample_kind_name(k), row->name);
		assert_int_equal(sample_kind_from_name(row->name), k);
		assert_int_equal(kind_from_name(row->name), k);
		if (row->cadence == KIND_PERIODIC) {
			periodic++;
			assert_non_null(row->ops);
			assert_non_null(row->plan);
			assert_int_equal(row->ops->kind, k);
			assert_non_null(row->ops->open);
			assert_non_null(row->ops->send);
			assert_non_null(row->ops->close);
		} else {
			assert_null(row->ops);
			assert_null(row->plan);
		}
		if (row->round_trip)
			assert_true(row->delay);
	}
	assert_int_equal(periodic,
			 6); /* icmp, udp_echo, dns, tcp, traffic, path */
	assert_null(kind_get(-1));
	assert_null(kind_get(BB_KIND_COUNT));
	assert_string_equal(sample_kind_name(BB_KIND_COUNT), "unknown");
	assert_int_equal(kind_from_name("ping"), -1);
}

static void test_traits(void **state)
{
	/* the set the five former copies of "is this a delay kind" had */
	assert_true(kind_is_delay(BB_KIND_ICMP));
	assert_true(kind_is_delay(BB_KIND_UDP_ECHO));
	assert_true(kind_is_delay(BB_KIND_DNS));
	assert_true(kind_is_delay(BB_KIND_TCP_CONNECT));
	assert_false(kind_is_delay(BB_KIND_UPLOAD));
	assert_false(kind_is_delay(BB_KIND_DOWNLOAD));
	assert_false(kind_is_delay(BB_KIND_BUFFERBLOAT));
	assert_false(kind_is_delay(BB_KIND_TRAFFIC));
	/* hop by hop: a router's silence is not the line's loss */
	assert_false(kind_is_delay(BB_KIND_PATH));
	assert_false(kind_is_delay(BB_KIND_COUNT));
	assert_false(kind_is_delay(-3));
	assert_true(kind_is_round_trip(BB_KIND_ICMP));
	assert_true(kind_is_round_trip(BB_KIND_UDP_ECHO));
	assert_false(kind_is_round_trip(BB_KIND_DNS));
	assert_false(kind_is_round_trip(BB_KIND_BUFFERBLOAT));
	assert_string_equal(kind_get(BB_KIND_UPLOAD)->unit, "kbit/s");
}

static void literal_config(struct bb_config *c)
{
	config_defaults(c);
	c->general.test_interval_ms = 250;
	c->general.probe_timeout_ms = 900;
	c->general.n_interfaces = 0;
	snprintf(c->targets.isp_gateway, sizeof(c->targets.isp_gateway),
		 "198.18.0.1");
	c->targets.n_public_dns = 1;
	snprintf(c->targets.public_dns[0], sizeof(c->targets.public_dns[0]),
		 "lab=198.18.0.9");
	c->targets.n_custom = 0;
	c->tests.dns.enabled = true;
	c->tests.dns.interval_s = 7;
	c->tests.dns.n_dns_servers = 1;
	snprintf(c->tests.dns.dns_servers[0],
		 sizeof(c->tests.dns.dns_servers[0]), "127.0.0.1:5353");
	c->tests.dns.n_test_domains = 1;
	snprintf(c->tests.dns.test_domains[0],
		 sizeof(c->tests.dns.test_domains[0]), "bbtest.lan");
	c->tests.tcp.enabled = true;
	c->tests.tcp.interval_s = 11;
	c->tests.tcp.n_targets = 1;
	snprintf(c->tests.tcp.targets[0], sizeof(c->tests.tcp.targets[0]),
		 "[::1]:8443");
	c->n_servers = 2;
	for (int i = 0; i < 2; i++) {
		snprintf(c->servers[i].name, sizeof(c->servers[i].name), "s%d",
			 i);
		snprintf(c->servers[i].host, sizeof(c->servers[i].host),
			 "127.0.0.1");
		c->servers[i].port = 9000 + i;
	}
	memset(c->servers[0].shared_secret, 'a', 64);
	c->servers[0].shared_secret[64] = '\0';
	snprintf(c->servers[1].shared_secret,
		 sizeof(c->servers[1].shared_secret), "not hex");
	c->loss_stream.interval_ms = 100;
}

static int port_of(const struct probe_target *t)
{
	if (t->addr.ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)&t->addr)->sin_port);
	return ntohs(((const struct sockaddr_in6 *)&t->addr)->sin6_port);
}

static void test_plan_from_rows(void **state)
{
	static struct bb_config c;
	static struct engine_plan p;
	char warn[1024], err[256] = "";
	literal_config(&c);
	assert_int_equal(
		plan_build(&c, &p, warn, sizeof(warn), err, sizeof(err)), 0);
	/* rows in table order: icmp x2, udp_echo (s1 left out), dns, tcp,
	 * traffic */
	assert_int_equal(p.n_probes, 6);
	const struct engine_probe *e = p.probes;
	assert_ptr_equal(e[0].ops, &probe_icmp_ops);
	assert_string_equal(e[0].target.name, "gateway");
	assert_int_equal(e[0].follow_gateway_ns, 0); /* given, not detected */
	assert_string_equal(e[1].target.name, "lab");
	assert_true(e[1].interval_ns == 250 * BB_NS_PER_MS);
	assert_true(e[1].target.timeout_ns == 900 * BB_NS_PER_MS);
	assert_ptr_equal(e[2].ops, &probe_echo_ops);
	assert_string_equal(e[2].target.name, "s0");
	assert_true(e[2].interval_ns == 100 * BB_NS_PER_MS); /* loss stream */
	assert_int_equal(port_of(&e[2].target), 9000);
	assert_int_equal(e[2].target.srv.key[0], 0xaa);
	assert_non_null(strstr(warn, "udp_echo: "));
	assert_non_null(strstr(warn, "left out\n"));
	assert_ptr_equal(e[3].ops, &probe_dns_ops);
	assert_int_equal(e[3].target.kind, BB_KIND_DNS);
	assert_string_equal(e[3].target.dns_domain, "bbtest.lan");
	assert_int_equal(port_of(&e[3].target), 5353);
	assert_true(e[3].interval_ns == 7 * BB_NS_PER_S);
	assert_ptr_equal(e[4].ops, &probe_tcp_ops);
	assert_int_equal(e[4].target.addr.ss_family, AF_INET6);
	assert_int_equal(port_of(&e[4].target), 8443);
	assert_true(e[4].interval_ns == 11 * BB_NS_PER_S);
	assert_ptr_equal(e[5].ops, &probe_traffic_ops);
	assert_string_equal(e[5].target.name, "default route");
	assert_true(e[5].interval_ns == 250 * BB_NS_PER_MS);
	for (size_t i = 0; i < p.n_probes; i++)
		assert_int_equal(p.probes[i].target.kind,
				 p.probes[i].ops->kind);
	memset(&p, 0, sizeof(p)); /* the echo target holds a secret */
}

/* tests.path: off by default; on, a path per ICMP target (its display
 * name) and per server (its name), at interval_ms with max_ttl. */
static void test_plan_path(void **state)
{
	static struct bb_config c;
	static struct engine_plan p;
	char warn[1024], err[256] = "";
	literal_config(&c);
	assert_false(c.tests.path.enabled);
	c.tests.path.enabled = true;
	c.tests.path.interval_ms = 700;
	c.tests.path.max_ttl = 12;
	assert_int_equal(
		plan_build(&c, &p, warn, sizeof(warn), err, sizeof(err)), 0);
	/* the 5 above, the traffic reader, then lab, s0, s1 */
	assert_int_equal(p.n_probes, 9);
	const struct engine_probe *e = p.probes + 6;
	const char *names[] = { "lab", "s0", "s1" };
	for (int i = 0; i < 3; i++) {
		assert_ptr_equal(e[i].ops, &probe_path_ops);
		assert_int_equal(e[i].target.kind, BB_KIND_PATH);
		assert_string_equal(e[i].target.name, names[i]);
		assert_true(e[i].interval_ns == 700 * BB_NS_PER_MS);
		assert_int_equal(e[i].target.path_max_ttl, 12);
	}
	memset(&p, 0, sizeof(p));
}

static void test_plan_refuses(void **state)
{
	static struct bb_config c;
	static struct engine_plan p;
	char warn[1024], err[256] = "";
	literal_config(&c);
	memset(c.tests.dns.test_domains[0], 'x', 128); /* target has 128 */
	c.tests.dns.test_domains[0][128] = '\0';
	assert_int_equal(
		plan_build(&c, &p, warn, sizeof(warn), err, sizeof(err)),
		-EINVAL);
	assert_non_null(strstr(err, "too long"));

	literal_config(&c);
	snprintf(c.tests.tcp.targets[0], sizeof(c.tests.tcp.targets[0]),
		 "[198.18.0.5:443");
	err[0] = '\0';
	assert_int_equal(
		plan_build(&c, &p, warn, sizeof(warn), err, sizeof(err)),
		-EINVAL);
	assert_true(err[0] != '\0');
	memset(&p, 0, sizeof(p));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_traits),
		cmocka_unit_test(test_plan_from_rows),
		cmocka_unit_test(test_plan_path),
		cmocka_unit_test(test_plan_refuses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
