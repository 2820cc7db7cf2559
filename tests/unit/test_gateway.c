// SPDX-License-Identifier: MIT
/*
 * Gateway detection: the /proc/net/route and /proc/net/ipv6_route parsers on
 * hand-written tables (default route present or absent, several interfaces
 * and metrics, malformed and truncated lines), then a real detection inside a
 * namespace this test creates: veth with 198.18.0.2/24 and a default route
 * via 198.18.0.1 (and an IPv6-only variant).  Deleted on exit.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include "core/probe/gateway.h"
#include "tests/lib/netns.h"

#define HDR                                                                    \
	"Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\t"   \
	"MTU\tWindow\tIRTT\n"

static const char *v4_text(const struct in_addr *a, char *buf)
{
	return inet_ntop(AF_INET, a, buf, INET_ADDRSTRLEN);
}

static int parse4(const char *text, const char *want, char *gw_text,
		  char *ifname)
{
	struct in_addr gw;
	int r = gateway_parse_proc_route(text, strlen(text), want, &gw, ifname);
	if (r == 0)
		v4_text(&gw, gw_text);
	return r;
}

static void test_v4_default(void **state)
{
	const char *t = HDR
		"eth0\t00000000\t010200C0\t0003\t0\t0\t100\t00000000\t0\t0\t0\n"
		"eth0\t000200C0\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0"
		"\n";
	char gw[INET_ADDRSTRLEN], dev[GATEWAY_IFNAME_LEN];
	assert_int_equal(parse4(t, NULL, gw, dev), 0);
	assert_string_equal(gw, "192.0.2.1");
	assert_string_equal(dev, "eth0");
	assert_int_equal(parse4(t, "eth0", gw, dev), 0);
	assert_int_equal(parse4(t, "wlan0", gw, dev), -ENOENT);
}

static void test_v4_absent(void **state)
{
	const char *t = HDR
		"eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n"
		/* a default that is down, one without gateway, a reject */
		"eth1\t00000000\t010200C0\t0002\t0\t0\t0\t00000000\t0\t0\t0\n"
		"eth2\t00000000\t00000000\t0001\t0\t0\t0\t00000000\t0\t0\t0\n"
		"eth3\t00000000\t010200C0\t0203\t0\t0\t0\t00000000\t0\t0\t0\n";
	char gw[INET_ADDRSTRLEN], dev[GATEWAY_IFNAME_LEN];
	assert_int_equal(parse4(t, NULL, gw, dev), -ENOENT);
	assert_int_equal(parse4(HDR, NULL, gw, dev), -ENOENT);
	assert_int_equal(parse4("", NULL, gw, dev), -ENOENT);
}

static void test_v4_several(void **state)
{
	/* wlan0 metric 600, eth0 metric 100, wwan0 metric 700 */
	const char *t = HDR
		"wlan0\t00000000\t0101A8C0\t0003\t0\t0\t600\t00000000\t0\t0\t0"
		"\n"
		"eth0\t00000000\t010200C0\t0003\t0\t0\t100\t00000000\t0\t0\t0\n"
		"wwan0\t00000000\t0A0A0A0A\t0003\t0\t0\t700\t00000000\t0\t0\t0"
		"\n";
	char gw[INET_ADDRSTRLEN], dev[GATEWAY_IFNAME_LEN];
	assert_int_equal(parse4(t, NULL, gw, dev), 0);
	assert_string_equal(gw, "192.0.2.1");
	assert_string_equal(dev, "eth0");
	assert_int_equal(parse4(t, "wlan0", gw, dev), 0);
	assert_string_equal(gw, "192.168.1.1");
	assert_string_equal(dev, "wlan0");
	assert_int_equal(parse4(t, "", gw, dev), 0); /* "" = any */
	assert_string_equal(dev, "eth0");
}

static void test_v4_malformed(void **state)
{
	const char *t = HDR
		"eth0\t00000000\t010200CG\t0003\t0\t0\t0\t00000000\n" /* bad hex
								       */
		"eth0\t00000000\t0102\t0003\t0\t0\t0\t00000000\n" /* short */
		"eth0\t00000000\t010200C0\t0003\t0\t0\n"	  /* fields */
		"averyveryverylongifname\t00000000\t010200C0\t0003\t0\t0\t0\t"
		"00000000\n"					      /* name */
		"eth0\t00000000\t010200C0\t0003\t0\t0\tx\t00000000\n" /* metric
								       */
		"\n\n   \t\n"
		"eth9\t00000000\t0B0200C0\t0003\t0\t0\t5\t00000000"; /* no \n */
	char gw[INET_ADDRSTRLEN], dev[GATEWAY_IFNAME_LEN];
	assert_int_equal(parse4(t, NULL, gw, dev), 0);
	assert_string_equal(gw, "192.0.2.11");
	assert_string_equal(dev, "eth9");
	/* cut inside the last line's mask: that line no longer counts */
	struct in_addr a;
	assert_int_equal(
		gateway_parse_proc_route(t, strlen(t) - 2, NULL, &a, dev),
		-ENOENT);
	/* NUL bytes and binary junk are just bad lines */
	static const char junk[] = "eth0\0\t00000000\t\xff\xfe\n\t\t\t";
	assert_int_equal(
		gateway_parse_proc_route(junk, sizeof(junk), NULL, &a, dev),
		-ENOENT);
}

static void test_v6(void **state)
{
	const char *t =
		"fd000000000000000000000000000000 40 "
		"00000000000000000000000000000000 00 "
		"00000000000000000000000000000000 00000100 00000001 00000000 "
		"00000001     eth0\n"
		"00000000000000000000000000000000 00 "
		"00000000000000000000000000000000 00 "
		"fe800000000000000000000000000001 00000400 00000002 00000000 "
		"00000003     eth0\n"
		"00000000000000000000000000000000 00 "
		"00000000000000000000000000000000 00 "
		"20010db8000000000000000000000001 00000100 00000002 00000000 "
		"00000003    wlan0\n"
		"00000000000000000000000000000000 00 "
		"00000000000000000000000000000000 00 "
		"00000000000000000000000000000000 ffffffff 00000001 00000000 "
		"00200200       lo\n";
	struct in6_addr gw;
	char dev[GATEWAY_IFNAME_LEN], text[INET6_ADDRSTRLEN];
	assert_int_equal(
		gateway_parse_proc_ipv6_route(t, strlen(t), NULL, &gw, dev), 0);
	inet_ntop(AF_INET6, &gw, text, sizeof(text));
	assert_string_equal(text, "2001:db8::1"); /* metric 0x100 < 0x400 */
	assert_string_equal(dev, "wlan0");
	assert_int_equal(
		gateway_parse_proc_ipv6_route(t, strlen(t), "eth0", &gw, dev),
		0);
	inet_ntop(AF_INET6, &gw, text, sizeof(text));
	assert_string_equal(text, "fe80::1");
	assert_int_equal(
		gateway_parse_proc_ipv6_route(t, strlen(t), "lo", &gw, dev),
		-ENOENT);
	assert_int_equal(gateway_parse_proc_ipv6_route(t, 40, NULL, &gw, dev),
			 -ENOENT);
}

static int teardown_ns(void **state)
{
	netns_delete_all();
	return 0;
}

static void test_detect_in_namespace(void **state)
{
	if (!netns_can_run()) {
		printf("SKIPPED: needs root for the namespace part\n");
		skip();
	}
	char ns[NETNS_NAME_LEN];
	assert_int_equal(netns_create("gw", ns), 0);
	assert_int_equal(netns_enter(ns), 0);
	struct sockaddr_storage ss;
	socklen_t sl = 0;
	char dev[GATEWAY_IFNAME_LEN] = "";
	/* nothing but lo yet */
	assert_int_equal(gateway_detect(NULL, &ss, &sl, dev), -ENOENT);
	assert_int_equal(
		netns_sh("ip -n %s link add bbgw0 type veth peer name bbgw1 &&"
			 " ip -n %s addr add 198.18.0.2/24 dev bbgw0 &&"
			 " ip -n %s link set bbgw0 up &&"
			 " ip -n %s link set bbgw1 up &&"
			 " ip -n %s route add default via 198.18.0.1",
			 ns, ns, ns, ns, ns),
		0);
	assert_int_equal(gateway_detect(NULL, &ss, &sl, dev), 0);
	assert_int_equal(ss.ss_family, AF_INET);
	assert_int_equal(sl, sizeof(struct sockaddr_in));
	char text[INET6_ADDRSTRLEN];
	v4_text(&((struct sockaddr_in *)&ss)->sin_addr, text);
	assert_string_equal(text, "198.18.0.1");
	assert_string_equal(dev, "bbgw0");
	assert_int_equal(gateway_detect("bbgw0", &ss, &sl, NULL), 0);
	assert_int_equal(gateway_detect("bbgw1", &ss, &sl, dev), -ENOENT);

	/* IPv6 only: link-local gateway gets the interface's scope id */
	assert_int_equal(
		netns_sh("ip -n %s route del default &&"
			 " ip -n %s -6 route add default via fe80::1 dev bbgw0",
			 ns, ns),
		0);
	assert_int_equal(gateway_detect(NULL, &ss, &sl, dev), 0);
	assert_int_equal(ss.ss_family, AF_INET6);
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	inet_ntop(AF_INET6, &s6->sin6_addr, text, sizeof(text));
	assert_string_equal(text, "fe80::1");
	assert_string_equal(dev, "bbgw0");
	assert_int_equal(s6->sin6_scope_id, if_nametoindex("bbgw0"));
	netns_leave();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v4_default),
		cmocka_unit_test(test_v4_absent),
		cmocka_unit_test(test_v4_several),
		cmocka_unit_test(test_v4_malformed),
		cmocka_unit_test(test_v6),
		cmocka_unit_test_teardown(test_detect_in_namespace,
					  teardown_ns),
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);
	netns_delete_all();
	return failed ? 1 : 0;
}
