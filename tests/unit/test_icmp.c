// SPDX-License-Identifier: MIT
/*
 * core/probe/icmp.c against hand-written packets: the exact bytes of our
 * echo request and its RFC 1071 checksum, echo replies with and without an
 * IPv4 header in front (raw sockets), our request as the error queue quotes
 * it, ICMP errors quoting an echo for IPv4 (RFC 792) and IPv6 (RFC 4443),
 * and the cuts and foreign messages the parser must refuse.
 */
#include "core/probe/icmp.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

/* Echo request, ident 0x1234, seq 0x00010002, cookie 0x0102..08, sent at
 * 0x1122334455667788 ns; checksum 0x14ab (RFC 1071, summed apart in Python). */
static const uint8_t echo_v4[ICMP_ECHO_LEN] = {
	0x08, 0x00, 0x14, 0xab, 0x12, 0x34, 0x00, 0x02, /* header */
	0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, /* cookie */
	0x00, 0x01, 0x00, 0x02, 0x42, 0x42, 0x6d, 0x70, /* seq, "BBmp" */
	0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, /* sent */
	0,    0,    0,	  0,	0,    0,    0,	  0,	/* padding */
};

#define COOKIE 0x0102030405060708ull
#define SEQ    0x00010002u
#define SENT   0x1122334455667788ll

static void check_ours(const struct icmp_echo *e)
{
	assert_int_equal(e->ident, 0x1234);
	assert_int_equal(e->seq16, 0x0002);
	assert_true(e->ours);
	assert_true(e->cookie == COOKIE);
	assert_int_equal(e->seq, SEQ);
	assert_true(e->sent_mono == SENT);
}

static void test_build_bytes(void **state)
{
	uint8_t pkt[ICMP_ECHO_LEN];
	icmp_build_echo(pkt, AF_INET, 0x1234, COOKIE, SEQ, SENT, true);
	assert_memory_equal(pkt, echo_v4, sizeof(pkt));
	assert_int_equal(icmp_checksum(pkt, sizeof(pkt)), 0); /* verifies */
	/* v6: type 128, checksum left to the kernel */
	icmp_build_echo(pkt, AF_INET6, 0x1234, COOKIE, SEQ, SENT, false);
	assert_int_equal(pkt[0], 128);
	assert_int_equal(pkt[2] | pkt[3], 0);
	assert_memory_equal(pkt + 4, echo_v4 + 4, sizeof(pkt) - 4);
}

static void test_reply_v4(void **state)
{
	uint8_t pkt[ICMP_ECHO_LEN];
	memcpy(pkt, echo_v4, sizeof(pkt));
	pkt[0] = 0; /* echo reply */
	struct icmp_parsed m;
	assert_int_equal(icmp_parse(pkt, sizeof(pkt), AF_INET, &m), 0);
	assert_int_equal(m.msg, ICMP_MSG_REPLY);
	assert_int_equal(m.type, 0);
	check_ours(&m.echo);

	/* as a raw socket gives it: a 24-byte IPv4 header (with options) */
	uint8_t raw[24 + ICMP_ECHO_LEN] = { 0x46, 0x00, 0x00, 24 + 40 };
	raw[9] = 1;
	memcpy(raw + 24, pkt, sizeof(pkt));
	assert_int_equal(icmp_parse(raw, sizeof(raw), AF_INET, &m), 0);
	assert_int_equal(m.msg, ICMP_MSG_REPLY);
	check_ours(&m.echo);
}

static void test_reply_v6_and_foreign(void **state)
{
	uint8_t pkt[ICMP_ECHO_LEN];
	memcpy(pkt, echo_v4, sizeof(pkt));
	pkt[0] = 129;
	struct icmp_parsed m;
	assert_int_equal(icmp_parse(pkt, sizeof(pkt), AF_INET6, &m), 0);
	assert_int_equal(m.msg, ICMP_MSG_REPLY);
	check_ours(&m.echo);

	/* someone else's ping (plain payload): an echo, not ours */
	memset(pkt + 8, 0xab, sizeof(pkt) - 8);
	assert_int_equal(icmp_parse(pkt, sizeof(pkt), AF_INET6, &m), 0);
	assert_false(m.echo.ours);
	assert_int_equal(m.echo.seq16, 2);
	/* our magic but a 32-bit sequence that disagrees with the header */
	memcpy(pkt, echo_v4, sizeof(pkt));
	pkt[0] = 129;
	pkt[19] = 0x03;
	assert_int_equal(icmp_parse(pkt, sizeof(pkt), AF_INET6, &m), 0);
	assert_false(m.echo.ours);
	/* a v4 reply type read as v6 is nothing of ours */
	pkt[0] = 0;
	assert_int_equal(icmp_parse(pkt, sizeof(pkt), AF_INET6, &m), -ENOMSG);
	/* an echo reply with a code is malformed */
	pkt[0] = 129;
	pkt[1] = 1;
	assert_int_equal(icmp_parse(pkt, sizeof(pkt), AF_INET6, &m), -EBADMSG);
}

static void test_request_quoted_by_errqueue(void **state)
{
	struct icmp_parsed m;
	assert_int_equal(icmp_parse(echo_v4, sizeof(echo_v4), AF_INET, &m), 0);
	assert_int_equal(m.msg, ICMP_MSG_REQUEST);
	check_ours(&m.echo);
	/* only the header quoted: ident and seq16 still there */
	assert_int_equal(icmp_parse(echo_v4, 8, AF_INET, &m), 0);
	assert_false(m.echo.ours);
	assert_int_equal(m.echo.ident, 0x1234);
	assert_int_equal(m.echo.seq16, 2);
}

/* Host unreachable from 198.18.0.1, quoting our whole echo to 198.18.9.9. */
static size_t error_v4(uint8_t *out, uint8_t type, uint8_t code)
{
	static const uint8_t ip[20] = {
		0x45, 0, 0,   60, 0, 0, 0x40, 0,  64, 1,
		0,    0, 198, 18, 0, 2, 198,  18, 9,  9,
	};
	memset(out, 0, 8);
	out[0] = type;
	out[1] = code;
	memcpy(out + 8, ip, sizeof(ip));
	memcpy(out + 28, echo_v4, sizeof(echo_v4));
	return 28 + sizeof(echo_v4);
}

static void test_error_v4(void **state)
{
	uint8_t pkt[128];
	struct icmp_parsed m;
	size_t n = error_v4(pkt, 3, 1);
	assert_int_equal(icmp_parse(pkt, n, AF_INET, &m), 0);
	assert_int_equal(m.msg, ICMP_MSG_ERROR);
	assert_int_equal(m.type, 3);
	assert_int_equal(m.code, 1);
	check_ours(&m.echo);
	char why[48];
	icmp_error_detail(AF_INET, m.type, m.code, why, sizeof(why));
	assert_string_equal(why, "host unreachable");

	/* RFC 792's minimum quote: IP header and 8 bytes */
	n = error_v4(pkt, 11, 0);
	assert_int_equal(icmp_parse(pkt, 8 + 20 + 8, AF_INET, &m), 0);
	assert_false(m.echo.ours);
	assert_int_equal(m.echo.seq16, 2);
	icmp_error_detail(AF_INET, m.type, m.code, why, sizeof(why));
	assert_string_equal(why, "ttl exceeded");
	/* cut inside the quoted echo header, and inside the IP header */
	assert_int_equal(icmp_parse(pkt, 8 + 20 + 7, AF_INET, &m), -EBADMSG);
	assert_int_equal(icmp_parse(pkt, 8 + 19, AF_INET, &m), -EBADMSG);
	/* an IHL larger than what is there */
	pkt[8] = 0x4f;
	assert_int_equal(icmp_parse(pkt, n, AF_INET, &m), -EBADMSG);
	/* an error about UDP, and one quoting a reply: not ours */
	n = error_v4(pkt, 3, 3);
	pkt[8 + 9] = 17;
	assert_int_equal(icmp_parse(pkt, n, AF_INET, &m), -ENOMSG);
	n = error_v4(pkt, 3, 3);
	pkt[28] = 0;
	assert_int_equal(icmp_parse(pkt, n, AF_INET, &m), -ENOMSG);
	/* a redirect is no error of ours */
	n = error_v4(pkt, 5, 0);
	assert_int_equal(icmp_parse(pkt, n, AF_INET, &m), -ENOMSG);
}

static void test_error_v6(void **state)
{
	uint8_t pkt[8 + 40 + ICMP_ECHO_LEN] = { 1, 3 }; /* unreach: addr */
	uint8_t *ip6 = pkt + 8;
	ip6[0] = 0x60;
	ip6[5] = ICMP_ECHO_LEN;
	ip6[6] = 58; /* next header ICMPv6 */
	ip6[7] = 64;
	memcpy(pkt + 48, echo_v4, sizeof(echo_v4));
	pkt[48] = 128; /* echo request */
	struct icmp_parsed m;
	assert_int_equal(icmp_parse(pkt, sizeof(pkt), AF_INET6, &m), 0);
	assert_int_equal(m.msg, ICMP_MSG_ERROR);
	check_ours(&m.echo);
	char why[48];
	icmp_error_detail(AF_INET6, m.type, m.code, why, sizeof(why));
	assert_string_equal(why, "host unreachable");
	/* packet too big and hop limit exceeded are errors too */
	pkt[0] = 2;
	assert_int_equal(icmp_parse(pkt, sizeof(pkt), AF_INET6, &m), 0);
	pkt[0] = 3;
	assert_int_equal(icmp_parse(pkt, sizeof(pkt), AF_INET6, &m), 0);
	icmp_error_detail(AF_INET6, m.type, m.code, why, sizeof(why));
	assert_string_equal(why, "hop limit exceeded");
	/* cut in the IPv6 header; an extension header; not version 6 */
	assert_int_equal(icmp_parse(pkt, 8 + 39, AF_INET6, &m), -EBADMSG);
	ip6[6] = 44; /* fragment header */
	assert_int_equal(icmp_parse(pkt, sizeof(pkt), AF_INET6, &m), -ENOMSG);
	ip6[6] = 58;
	ip6[0] = 0x40;
	assert_int_equal(icmp_parse(pkt, sizeof(pkt), AF_INET6, &m), -EBADMSG);
	/* neighbour solicitation: well formed, not ours */
	pkt[0] = 135;
	assert_int_equal(icmp_parse(pkt, sizeof(pkt), AF_INET6, &m), -ENOMSG);
}

static void test_short_and_family(void **state)
{
	struct icmp_parsed m;
	for (size_t n = 0; n < 8; n++)
		assert_int_equal(icmp_parse(echo_v4, n, AF_INET, &m), -EBADMSG);
	uint8_t ip_only[20] = { 0x45 };
	assert_int_equal(icmp_parse(ip_only, sizeof(ip_only), AF_INET, &m),
			 -EBADMSG);
	assert_int_equal(icmp_parse(echo_v4, sizeof(echo_v4), AF_UNIX, &m),
			 -EAFNOSUPPORT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build_bytes),
		cmocka_unit_test(test_reply_v4),
		cmocka_unit_test(test_reply_v6_and_foreign),
		cmocka_unit_test(test_request_quoted_by_errqueue),
		cmocka_unit_test(test_error_v4),
		cmocka_unit_test(test_error_v6),
		cmocka_unit_test(test_short_and_family),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
