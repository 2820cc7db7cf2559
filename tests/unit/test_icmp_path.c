// SPDX-License-Identifier: MIT
/*
 * The path probe's pure parts.  core/probe/icmp_path.c against packets
 * built here byte by byte as a router sends them (an outer IPv4 header,
 * the ICMP error, the quoted IP header and our echo, whole or cut to the
 * RFC 792 minimum of 8 bytes; IPv6 without the outer header, as a raw
 * socket gives it): which answer it is, whose, and the quotes that must be
 * refused.  Then the blame rule and the path table of core/analysis/path.c
 * (discovery, change, a rate-limiting router, a lossy last link).
 */
#include "core/analysis/path.h"
#include "core/probe/icmp_path.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#define IDENT  0xbeef
#define COOKIE 0x1122334455667788ull
#define SEQ    0x00070009u

static const uint8_t me4[4] = { 198, 18, 0, 2 };
static const uint8_t dst4[4] = { 198, 18, 2, 2 };
static const uint8_t router4[4] = { 198, 18, 1, 2 };
static const uint8_t me6[16] = { 0xfd, 0xbb, 0, 0, 0, 0, 0, 0,
				 0,    0,    0, 0, 0, 0, 0, 2 };
static const uint8_t dst6[16] = { 0xfd, 0xbb, 0, 2, 0, 0, 0, 0,
				  0,	0,    0, 0, 0, 0, 0, 2 };

/* An IPv4 header (20 bytes) of protocol proto and total length len. */
static size_t ip4(uint8_t *p, uint8_t proto, size_t len, uint8_t ttl,
		  const uint8_t *src, const uint8_t *dst)
{
	memset(p, 0, 20);
	p[0] = 0x45;
	p[2] = (uint8_t)(len >> 8);
	p[3] = (uint8_t)len;
	p[8] = ttl;
	p[9] = proto;
	memcpy(p + 12, src, 4);
	memcpy(p + 16, dst, 4);
	return 20;
}

/* An IPv6 header (40 bytes), next header nh, payload length plen. */
static size_t ip6(uint8_t *p, uint8_t nh, size_t plen, const uint8_t *src,
		  const uint8_t *dst)
{
	memset(p, 0, 40);
	p[0] = 0x60;
	p[4] = (uint8_t)(plen >> 8);
	p[5] = (uint8_t)plen;
	p[6] = nh;
	p[7] = 1; /* hop limit: it ran out at the router */
	memcpy(p + 8, src, 16);
	memcpy(p + 24, dst, 16);
	return 40;
}

/*
 * A router's IPv4 error (type, code) about our echo with seq, quoting
 * quote_len bytes of the echo (40 = all of it, 8 = RFC 792's minimum).
 * As a raw socket gives it: outer IPv4 header first.  Returns its length.
 */
static size_t error4(uint8_t *buf, uint8_t type, uint8_t code, uint16_t ident,
		     size_t quote_len)
{
	uint8_t echo[ICMP_ECHO_LEN];
	icmp_build_echo(echo, AF_INET, ident, COOKIE, SEQ, 12345, true);
	size_t icmp_len = 8 + 20 + quote_len;
	size_t n = ip4(buf, 1, 20 + icmp_len, 64, router4, me4);
	uint8_t *icmp = buf + n;
	memset(icmp, 0, 8);
	icmp[0] = type;
	icmp[1] = code;
	ip4(icmp + 8, 1, 20 + ICMP_ECHO_LEN, 1, me4, dst4);
	memcpy(icmp + 28, echo, quote_len);
	{
		uint16_t c = icmp_checksum(icmp, icmp_len);
		icmp[2] = (uint8_t)(c >> 8);
		icmp[3] = (uint8_t)c;
	}
	return n + icmp_len;
}

/* The same for IPv6 (no outer header on a raw ICMPv6 socket). */
static size_t error6(uint8_t *buf, uint8_t type, uint8_t code, uint16_t ident,
		     size_t quote_len)
{
	uint8_t echo[ICMP_ECHO_LEN];
	icmp_build_echo(echo, AF_INET6, ident, COOKIE, SEQ, 12345, false);
	memset(buf, 0, 8);
	buf[0] = type;
	buf[1] = code;
	ip6(buf + 8, 58, ICMP_ECHO_LEN, me6, dst6);
	memcpy(buf + 48, echo, quote_len);
	return 48 + quote_len;
}

static void test_time_exceeded_v4(void **state)
{
	uint8_t buf[256];
	size_t n = error4(buf, 11, 0, IDENT, ICMP_ECHO_LEN);
	struct icmp_path_msg m;
	assert_int_equal(icmp_path_parse(buf, n, AF_INET, &m), 0);
	assert_int_equal(m.what, ICMP_PATH_TTL);
	assert_int_equal(m.type, 11);
	assert_int_equal(m.echo.ident, IDENT);
	assert_true(m.echo.ours);
	assert_true(m.echo.cookie == COOKIE);
	assert_int_equal(m.echo.seq, SEQ);
	assert_int_equal(m.dst_len, 4);
	assert_memory_equal(m.dst, dst4, 4);
	assert_true(icmp_path_ours(&m, IDENT, COOKIE, dst4, 4));

	/* the RFC 792 minimum: IP header and 8 bytes, no payload */
	n = error4(buf, 11, 0, IDENT, 8);
	assert_int_equal(icmp_path_parse(buf, n, AF_INET, &m), 0);
	assert_int_equal(m.what, ICMP_PATH_TTL);
	assert_false(m.echo.ours);
	assert_int_equal(m.echo.seq16, (uint16_t)SEQ);
	assert_true(icmp_path_ours(&m, IDENT, COOKIE, dst4, 4));
}

static void test_unreach_and_reply_v4(void **state)
{
	uint8_t buf[256];
	size_t n = error4(buf, 3, 3, IDENT, ICMP_ECHO_LEN); /* port */
	struct icmp_path_msg m;
	assert_int_equal(icmp_path_parse(buf, n, AF_INET, &m), 0);
	assert_int_equal(m.what, ICMP_PATH_UNREACH);
	assert_int_equal(m.code, 3);

	/* the target's echo reply, IPv4 header first */
	uint8_t echo[ICMP_ECHO_LEN];
	icmp_build_echo(echo, AF_INET, IDENT, COOKIE, SEQ, 12345, true);
	echo[0] = 0;
	n = ip4(buf, 1, 20 + sizeof(echo), 63, dst4, me4);
	memcpy(buf + n, echo, sizeof(echo));
	assert_int_equal(icmp_path_parse(buf, n + sizeof(echo), AF_INET, &m),
			 0);
	assert_int_equal(m.what, ICMP_PATH_REPLY);
	assert_int_equal(m.echo.seq, SEQ);
	assert_int_equal(m.dst_len, 0);
	assert_true(icmp_path_ours(&m, IDENT, COOKIE, NULL, 0));
}

static void test_v6(void **state)
{
	uint8_t buf[256];
	size_t n = error6(buf, 3, 0, IDENT, ICMP_ECHO_LEN);
	struct icmp_path_msg m;
	assert_int_equal(icmp_path_parse(buf, n, AF_INET6, &m), 0);
	assert_int_equal(m.what, ICMP_PATH_TTL);
	assert_int_equal(m.echo.seq, SEQ);
	assert_int_equal(m.dst_len, 16);
	assert_memory_equal(m.dst, dst6, 16);
	assert_true(icmp_path_ours(&m, IDENT, COOKIE, dst6, 16));

	n = error6(buf, 1, 4, IDENT, 8); /* port unreachable, short quote */
	assert_int_equal(icmp_path_parse(buf, n, AF_INET6, &m), 0);
	assert_int_equal(m.what, ICMP_PATH_UNREACH);
	assert_false(m.echo.ours);
	assert_int_equal(m.echo.seq16, (uint16_t)SEQ);

	uint8_t echo[ICMP_ECHO_LEN];
	icmp_build_echo(echo, AF_INET6, IDENT, COOKIE, SEQ, 1, false);
	echo[0] = 129;
	assert_int_equal(icmp_path_parse(echo, sizeof(echo), AF_INET6, &m), 0);
	assert_int_equal(m.what, ICMP_PATH_REPLY);
}

/* Someone else's echo (a traceroute, another instance) or an echo of ours
 * to another target: well formed, but not ours. */
static void test_not_ours(void **state)
{
	uint8_t buf[256];
	struct icmp_path_msg m;
	size_t n = error4(buf, 11, 0, IDENT + 1, ICMP_ECHO_LEN);
	assert_int_equal(icmp_path_parse(buf, n, AF_INET, &m), 0);
	assert_false(icmp_path_ours(&m, IDENT, COOKIE, dst4, 4));
	n = error4(buf, 11, 0, IDENT, ICMP_ECHO_LEN);
	assert_int_equal(icmp_path_parse(buf, n, AF_INET, &m), 0);
	assert_false(icmp_path_ours(&m, IDENT, COOKIE ^ 1, dst4, 4));
	assert_false(icmp_path_ours(&m, IDENT, COOKIE, router4, 4));
	n = error6(buf, 3, 0, IDENT - 1, 8);
	assert_int_equal(icmp_path_parse(buf, n, AF_INET6, &m), 0);
	assert_false(icmp_path_ours(&m, IDENT, COOKIE, dst6, 16));
}

static void test_truncated_and_foreign(void **state)
{
	uint8_t buf[256];
	struct icmp_path_msg m;
	/* a quote cut inside the echo header, inside the IP header */
	size_t n = error4(buf, 11, 0, IDENT, 8);
	assert_int_equal(icmp_path_parse(buf, n - 4, AF_INET, &m), -EBADMSG);
	assert_int_equal(icmp_path_parse(buf, 20 + 8 + 12, AF_INET, &m),
			 -EBADMSG);
	assert_int_equal(icmp_path_parse(buf, 20 + 4, AF_INET, &m), -EBADMSG);
	n = error6(buf, 3, 0, IDENT, 8);
	assert_int_equal(icmp_path_parse(buf, n - 1, AF_INET6, &m), -EBADMSG);
	assert_int_equal(icmp_path_parse(buf, 8 + 30, AF_INET6, &m), -EBADMSG);
	/* a quoted UDP datagram, not an echo */
	n = error4(buf, 11, 0, IDENT, ICMP_ECHO_LEN);
	buf[20 + 8 + 9] = 17;
	assert_int_equal(icmp_path_parse(buf, n, AF_INET, &m), -ENOMSG);
	/* packet too big: about our echo, but no answer of a hop */
	n = error6(buf, 2, 0, IDENT, ICMP_ECHO_LEN);
	assert_int_equal(icmp_path_parse(buf, n, AF_INET6, &m), -ENOMSG);
	assert_false(m.echo.ours); /* a refusal leaves nothing behind */
	assert_int_equal(m.dst_len, 0);
	/* an echo request (someone pinging us) */
	uint8_t echo[ICMP_ECHO_LEN];
	icmp_build_echo(echo, AF_INET, IDENT, COOKIE, SEQ, 1, true);
	assert_int_equal(icmp_path_parse(echo, sizeof(echo), AF_INET, &m),
			 -ENOMSG);
	assert_int_equal(icmp_path_parse(echo, sizeof(echo), AF_UNIX, &m),
			 -EAFNOSUPPORT);
}

/* ---- the blame rule ---------------------------------------------------- */

static void test_blame_rate_limited_router(void **state)
{
	/* hop 2 drops 90 % of its time-exceeded answers, hop 3 (the target)
	 * answers all: the router's own, not the path's */
	const double loss[] = { 0, 90, 0 };
	double path[3], own[3];
	assert_int_equal(path_blame(loss, 3, PATH_BLAME_PCT, path, own), 0);
	assert_true(path[1] == 0 && own[1] == 90);
	assert_true(path[2] == 0 && own[2] == 0);
}

static void test_blame_lossy_link(void **state)
{
	/* loss on the link into hop 3: it shows there and nowhere before */
	const double a[] = { 0, 0, 30 };
	double path[4], own[4];
	assert_int_equal(path_blame(a, 3, PATH_BLAME_PCT, path, own), 3);
	assert_true(path[2] == 30 && own[2] == 0 && path[1] == 0);
	/* loss from hop 2 on, hop 3's router adding its own on top */
	const double b[] = { 0, 20, 25, 22 };
	assert_int_equal(path_blame(b, 4, PATH_BLAME_PCT, path, own), 2);
	assert_true(path[1] == 20 && path[2] == 22 && own[2] == 3);
	/* a silent router (no data) is skipped, below the threshold is 0 */
	const double c[] = { 0, -1, 10 };
	assert_int_equal(path_blame(c, 3, PATH_BLAME_PCT, path, own), 3);
	const double d[] = { 0, 1, 1 };
	assert_int_equal(path_blame(d, 3, PATH_BLAME_PCT, path, own), 0);
}

/* ---- the path table ---------------------------------------------------- */

static struct bb_sample hop(int ttl, const char *addr, bool end, int64_t t)
{
	struct bb_sample s;
	sample_init(&s, BB_KIND_PATH);
	snprintf(s.target, sizeof(s.target), "srv");
	s.hop = (uint8_t)ttl;
	s.real_ns = t;
	if (addr) {
		snprintf(s.hop_addr, sizeof(s.hop_addr), "%s", addr);
		s.rtt_ns = 1000000LL * ttl;
	} else {
		s.status = BB_STATUS_TIMEOUT;
	}
	if (end)
		s.flags |= BB_SAMPLE_PATH_END;
	return s;
}

static int feed(struct path_table *t, int ttl, const char *addr, bool end,
		struct path_change *ch)
{
	static int64_t now = 1000;
	struct bb_sample s = hop(ttl, addr, end, now += 1000000000LL);
	return path_table_add(t, &s, ch);
}

static void test_table_discovery_and_change(void **state)
{
	static struct path_table t;
	memset(&t, 0, sizeof(t));
	struct path_change ch;
	/* the first round is discovery, not a change */
	assert_int_equal(feed(&t, 1, "198.18.0.1", false, &ch), 0);
	assert_int_equal(feed(&t, 2, "198.18.1.2", false, &ch), 0);
	assert_int_equal(feed(&t, 3, "198.18.2.2", true, &ch), 0);
	const struct path_view *v = path_table_find(&t, "", "srv");
	assert_non_null(v);
	assert_int_equal(v->n_hops, 3);
	assert_int_equal(v->dest_ttl, 3);
	assert_string_equal(v->hop[1].addr, "198.18.1.2");
	assert_true(v->hop[2].p50_ns == 3000000);
	char route[128];
	path_route(v, route, sizeof(route));
	assert_string_equal(route, "198.18.0.1 198.18.1.2 198.18.2.2");
	/* a silent answer is no change; another router at hop 2 is */
	assert_int_equal(feed(&t, 2, NULL, false, &ch), 0);
	assert_int_equal(feed(&t, 2, "198.18.9.9", false, &ch), 1);
	assert_int_equal(ch.hop, 2);
	assert_string_equal(ch.old_route, "198.18.0.1 198.18.1.2 198.18.2.2");
	assert_string_equal(ch.new_route, "198.18.0.1 198.18.9.9 198.18.2.2");
	assert_int_equal(v->changes, 1);
	/* the target one hop closer: a change, hop 3 forgotten */
	assert_int_equal(feed(&t, 2, "198.18.2.2", true, &ch), 1);
	assert_int_equal(v->n_hops, 2);
	assert_string_equal(ch.new_route, "198.18.0.1 198.18.2.2");
	assert_int_equal(v->hop[2].sent, 0);
	/* a router where the target was: the path got longer */
	assert_int_equal(feed(&t, 2, "198.18.1.2", false, &ch), 1);
	assert_int_equal(v->dest_ttl, 0);
}

/* The target answering a probe with TTL to spare (the probe looked further
 * after a few losses at its hop) is no change; after its hop went silent
 * PATH_SILENT_PROBES times it is: the path got longer behind a router that
 * does not answer. */
static void test_table_beyond_target(void **state)
{
	static struct path_table t;
	memset(&t, 0, sizeof(t));
	struct path_change ch;
	feed(&t, 1, "198.18.0.1", false, &ch);
	feed(&t, 2, "198.18.1.2", false, &ch);
	feed(&t, 3, "198.18.2.2", true, &ch);
	const struct path_view *v = path_table_find(&t, "", "srv");
	assert_int_equal(feed(&t, 3, NULL, false, &ch), 0);
	assert_int_equal(feed(&t, 4, "198.18.2.2", true, &ch), 0);
	assert_int_equal(v->dest_ttl, 3);
	assert_int_equal(v->n_hops, 3);
	assert_int_equal(v->hop[3].sent, 0); /* not recorded */
	for (int i = 1; i < PATH_SILENT_PROBES; i++)
		assert_int_equal(feed(&t, 3, NULL, false, &ch), 0);
	assert_int_equal(feed(&t, 4, "198.18.2.2", true, &ch), 1);
	assert_int_equal(v->dest_ttl, 4);
	assert_int_equal(ch.hop, 3);
	assert_string_equal(ch.new_route, "198.18.0.1 198.18.1.2 * 198.18.2.2");
}

static void test_table_blame(void **state)
{
	static struct path_table t;
	memset(&t, 0, sizeof(t));
	/* hop 2 answers one probe in 8, the target every one */
	for (int i = 0; i < PATH_WINDOW; i++) {
		feed(&t, 1, "198.18.0.1", false, NULL);
		feed(&t, 2, i % 8 ? NULL : "198.18.1.2", false, NULL);
		feed(&t, 3, "198.18.2.2", true, NULL);
	}
	const struct path_view *v = path_table_find(&t, "", "srv");
	assert_true(v->hop[1].loss_pct > 80);
	assert_true(v->hop[1].own_loss_pct > 80);
	assert_int_equal(v->lossy_hop, 0);
	assert_string_equal(v->hop[1].addr, "198.18.1.2");
	/* now the last link loses one in 4: the path's, at hop 3 */
	for (int i = 0; i < PATH_WINDOW; i++) {
		feed(&t, 1, "198.18.0.1", false, NULL);
		feed(&t, 2, "198.18.1.2", false, NULL);
		feed(&t, 3, i % 4 ? "198.18.2.2" : NULL, !!(i % 4), NULL);
	}
	assert_int_equal(v->lossy_hop, 3);
	assert_true(v->hop[2].loss_pct == 25);
	assert_true(v->hop[2].path_loss_pct == 25);
	assert_true(v->hop[0].loss_pct == 0 && v->hop[1].loss_pct == 0);
	assert_null(path_table_find(&t, "eth0", "srv"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_time_exceeded_v4),
		cmocka_unit_test(test_unreach_and_reply_v4),
		cmocka_unit_test(test_v6),
		cmocka_unit_test(test_not_ours),
		cmocka_unit_test(test_truncated_and_foreign),
		cmocka_unit_test(test_blame_rate_limited_router),
		cmocka_unit_test(test_blame_lossy_link),
		cmocka_unit_test(test_table_discovery_and_change),
		cmocka_unit_test(test_table_beyond_target),
		cmocka_unit_test(test_table_blame),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
