// SPDX-License-Identifier: MIT
/*
 * core/probe/dns.c against hand-written RFC 1035 messages: the exact bytes of a
 * query, responses of every rcode the probe cares about, and the malformed
 * inputs a parser must survive (cuts, pointer loops, pointers out of bounds,
 * reserved label types, overlong names).
 */
#include "core/probe/dns.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

/* www.example.com A, id 0xbeef, RD */
static const uint8_t query_www[] = {
	0xbe, 0xef, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 3,    'w',  'w',	'w',  7,    'E',  'x',	'a',  'm',  'p',
	'l',  'e',  3,	  'c',	'o',  'm',  0,	  0x00, 0x01, 0x00, 0x01,
};

/* Response to it: QR AA RD RA, NOERROR, one A answer 198.18.7.7 whose name
 * is a pointer to the question (0xc00c). */
static const uint8_t resp_a[] = {
	0xbe, 0xef, 0x85, 0x80, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00,
	0x00, 0x00, 3,	  'w',	'w',  'w',  7,	  'e',	'x',  'a',
	'm',  'p',  'l',  'e',	3,    'c',  'o',  'm',	0,    0x00,
	0x01, 0x00, 0x01, 0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01, 0x00,
	0x00, 0x0e, 0x10, 0x00, 0x04, 198,  18,	  7,	7,
};

/* AAAA question; answers: CNAME www -> x.example.com, then x AAAA. */
static const uint8_t resp_aaaa[] = {
	0x12,
	0x34,
	0x81,
	0x80,
	0x00,
	0x01,
	0x00,
	0x02,
	0x00,
	0x00,
	0x00,
	0x00,
	3,
	'w',
	'w',
	'w',
	7,
	'e',
	'x',
	'a',
	'm',
	'p',
	'l',
	'e',
	3,
	'c',
	'o',
	'm',
	0,
	0x00,
	0x1c,
	0x00,
	0x01,
	/* 33: CNAME, rdata "x" + pointer to "example.com" at 16 */
	0xc0,
	0x0c,
	0x00,
	0x05,
	0x00,
	0x01,
	0x00,
	0x00,
	0x00,
	0x3c,
	0x00,
	0x04,
	1,
	'x',
	0xc0,
	0x10,
	/* 49: name = pointer to the CNAME target at 45 */
	0xc0,
	0x2d,
	0x00,
	0x1c,
	0x00,
	0x01,
	0x00,
	0x00,
	0x00,
	0x3c,
	0x00,
	0x10,
	0x20,
	0x01,
	0x0d,
	0xb8,
	0,
	0,
	0,
	0,
	0,
	0,
	0,
	0,
	0,
	0,
	0,
	0x01,
};

/* NXDOMAIN for bb-1.nx.lan A, with an SOA in authority (not walked). */
static const uint8_t resp_nx[] = {
	0x00, 0x07, 0x81, 0x83, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00,
	0x00, 4,    'b',  'b',	'-',  '1',  2,	  'n',	'x',  3,    'l',
	'a',  'n',  0,	  0x00, 0x01, 0x00, 0x01, 0xc0, 0x11, 0x00, 0x06,
	0x00, 0x01, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x00,
};

/* Header + question "a." A with the given flags and counts appended. */
static size_t mini(uint8_t *buf, uint16_t id, uint16_t flags, uint16_t an)
{
	const uint8_t h[] = {
		(uint8_t)(id >> 8),
		(uint8_t)id,
		(uint8_t)(flags >> 8),
		(uint8_t)flags,
		0,
		1,
		(uint8_t)(an >> 8),
		(uint8_t)an,
		0,
		0,
		0,
		0,
		1,
		'a',
		0,
		0,
		1,
		0,
		1,
	};
	memcpy(buf, h, sizeof(h));
	return sizeof(h);
}

static void test_build_query_bytes(void **state)
{
	uint8_t buf[512];
	int n = dns_build_query(0xbeef, "www.Example.com", DNS_TYPE_A, buf,
				sizeof(buf));
	assert_int_equal(n, sizeof(query_www));
	assert_memory_equal(buf, query_www, sizeof(query_www));

	/* a trailing dot names the same thing */
	n = dns_build_query(0xbeef, "www.Example.com.", DNS_TYPE_A, buf,
			    sizeof(buf));
	assert_int_equal(n, sizeof(query_www));
	assert_memory_equal(buf, query_www, sizeof(query_www));

	/* exactly enough room, then one octet short */
	assert_int_equal(dns_build_query(0xbeef, "www.Example.com", 1, buf,
					 sizeof(query_www)),
			 sizeof(query_www));
	assert_int_equal(dns_build_query(0xbeef, "www.Example.com", 1, buf,
					 sizeof(query_www) - 1),
			 -ENOSPC);

	/* the root: header, one zero octet, type, class */
	n = dns_build_query(1, ".", DNS_TYPE_AAAA, buf, sizeof(buf));
	assert_int_equal(n, 12 + 1 + 4);
	assert_int_equal(buf[12], 0);
	assert_int_equal(buf[13], 0);
	assert_int_equal(buf[14], 28);
}

static void test_build_query_bad_names(void **state)
{
	uint8_t buf[512];
	char name[400];

	assert_int_equal(dns_build_query(1, "", 1, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(dns_build_query(1, "a..b", 1, buf, sizeof(buf)),
			 -EINVAL);
	assert_int_equal(dns_build_query(1, ".a", 1, buf, sizeof(buf)),
			 -EINVAL);
	assert_int_equal(dns_build_query(1, "a..", 1, buf, sizeof(buf)),
			 -EINVAL);

	/* a 63-octet label is fine, 64 is not */
	memset(name, 'x', 63);
	strcpy(name + 63, ".lan");
	assert_int_equal(dns_build_query(1, name, 1, buf, sizeof(buf)),
			 12 + 1 + 63 + 4 + 1 + 4);
	memset(name, 'x', 64);
	strcpy(name + 64, ".lan");
	assert_int_equal(dns_build_query(1, name, 1, buf, sizeof(buf)),
			 -EINVAL);

	/* 3 x 63 + 61: wire length exactly 255; one more octet is too long */
	char *p = name;
	for (int i = 0; i < 3; i++) {
		memset(p, 'y', 63);
		p[63] = '.';
		p += 64;
	}
	memset(p, 'z', 61);
	p[61] = '\0';
	assert_int_equal(dns_build_query(1, name, 1, buf, sizeof(buf)),
			 12 + 255 + 4);
	p[61] = 'z';
	p[62] = '\0';
	assert_int_equal(dns_build_query(1, name, 1, buf, sizeof(buf)),
			 -EINVAL);
}

static void test_parse_a(void **state)
{
	struct dns_response r;
	assert_int_equal(dns_parse_response(resp_a, sizeof(resp_a), &r), 0);
	assert_int_equal(r.id, 0xbeef);
	assert_int_equal(r.qr, 1);
	assert_int_equal(r.opcode, 0);
	assert_int_equal(r.aa, 1);
	assert_int_equal(r.tc, 0);
	assert_int_equal(r.rd, 1);
	assert_int_equal(r.ra, 1);
	assert_int_equal(r.rcode, DNS_RCODE_NOERROR);
	assert_int_equal(r.qdcount, 1);
	assert_int_equal(r.ancount, 1);
	assert_int_equal(r.answers_walked, 1);
	assert_int_equal(r.qtype, DNS_TYPE_A);
	assert_int_equal(r.qclass, DNS_CLASS_IN);
	assert_int_equal(r.addr_len, 4);
	const uint8_t want[] = { 198, 18, 7, 7 };
	assert_memory_equal(r.addr, want, 4);

	assert_true(dns_qname_equal(&r, "www.example.com"));
	assert_true(dns_qname_equal(&r, "WWW.Example.COM."));
	assert_false(dns_qname_equal(&r, "www.example.co"));
	assert_false(dns_qname_equal(&r, "ww.example.com"));
	assert_false(dns_qname_equal(&r, "www.example.com.x"));
	assert_false(dns_qname_equal(&r, ""));
	assert_true(dns_response_matches(&r, 0xbeef, "www.example.com",
					 DNS_TYPE_A));
}

static void test_parse_aaaa_after_cname(void **state)
{
	struct dns_response r;
	assert_int_equal(dns_parse_response(resp_aaaa, sizeof(resp_aaaa), &r),
			 0);
	assert_int_equal(r.ancount, 2);
	assert_int_equal(r.answers_walked, 2);
	assert_int_equal(r.qtype, DNS_TYPE_AAAA);
	assert_int_equal(r.addr_len, 16);
	assert_int_equal(r.addr[0], 0x20);
	assert_int_equal(r.addr[1], 0x01);
	assert_int_equal(r.addr[15], 0x01);
	assert_true(dns_response_matches(&r, 0x1234, "www.example.com",
					 DNS_TYPE_AAAA));
	assert_false(dns_response_matches(&r, 0x1234, "www.example.com",
					  DNS_TYPE_A));
}

static void test_parse_nxdomain_servfail_refused(void **state)
{
	struct dns_response r;
	assert_int_equal(dns_parse_response(resp_nx, sizeof(resp_nx), &r), 0);
	assert_int_equal(r.rcode, DNS_RCODE_NXDOMAIN);
	assert_int_equal(r.ancount, 0);
	assert_int_equal(r.nscount, 1);
	assert_int_equal(r.addr_len, 0);
	assert_true(dns_response_matches(&r, 7, "BB-1.nx.lan", DNS_TYPE_A));
	assert_string_equal(dns_rcode_name(r.rcode), "nxdomain");

	uint8_t buf[64];
	size_t n = mini(buf, 9, 0x8182, 0);
	assert_int_equal(dns_parse_response(buf, n, &r), 0);
	assert_int_equal(r.rcode, DNS_RCODE_SERVFAIL);
	assert_string_equal(dns_rcode_name(r.rcode), "servfail");
	n = mini(buf, 9, 0x8185, 0);
	assert_int_equal(dns_parse_response(buf, n, &r), 0);
	assert_int_equal(r.rcode, DNS_RCODE_REFUSED);
	assert_string_equal(dns_rcode_name(r.rcode), "refused");
	assert_null(dns_rcode_name(9));
	assert_true(dns_response_matches(&r, 9, "a", DNS_TYPE_A));

	/* an opcode other than QUERY does not answer our query */
	n = mini(buf, 9, 0x8800 | 0x0180, 0);
	assert_int_equal(dns_parse_response(buf, n, &r), 0);
	assert_int_equal(r.opcode, 1);
	assert_false(dns_response_matches(&r, 9, "a", DNS_TYPE_A));
}

static void test_parse_truncated(void **state)
{
	struct dns_response r;
	/* every strict prefix of a response without TC is malformed */
	for (size_t len = 0; len < sizeof(resp_a); len++)
		assert_int_equal(dns_parse_response(resp_a, len, &r), -EBADMSG);
	for (size_t len = 0; len < sizeof(resp_aaaa); len++)
		assert_int_equal(dns_parse_response(resp_aaaa, len, &r),
				 -EBADMSG);

	/* with TC set, a cut answer section is what was announced */
	uint8_t tc[sizeof(resp_a)];
	memcpy(tc, resp_a, sizeof(tc));
	tc[2] |= 0x02;
	assert_int_equal(dns_parse_response(tc, sizeof(tc) - 2, &r), 0);
	assert_int_equal(r.tc, 1);
	assert_int_equal(r.answers_walked, 0);
	assert_int_equal(r.addr_len, 0);
	assert_true(dns_qname_equal(&r, "www.example.com"));
	/* ... but the question must still be whole */
	assert_int_equal(dns_parse_response(tc, 20, &r), -EBADMSG);
	/* trailing octets after the counted records are ignored */
	uint8_t longer[sizeof(resp_a) + 3] = { 0 };
	memcpy(longer, resp_a, sizeof(resp_a));
	assert_int_equal(dns_parse_response(longer, sizeof(longer), &r), 0);
	assert_int_equal(r.addr_len, 4);
}

static void test_parse_pointer_loops(void **state)
{
	struct dns_response r;
	uint8_t buf[128];
	size_t n;

	/* answer name pointing at itself */
	n = mini(buf, 1, 0x8180, 1);
	const uint8_t self[] = { 0xc0, (uint8_t)n, 0, 1, 0, 1, 0, 0,
				 0,    0,	   0, 4, 1, 2, 3, 4 };
	memcpy(buf + n, self, sizeof(self));
	assert_int_equal(dns_parse_response(buf, n + sizeof(self), &r),
			 -EBADMSG);

	/* two pointers pointing at each other (the first one forward) */
	n = mini(buf, 1, 0x8180, 1);
	const uint8_t pair[] = { 0xc0, (uint8_t)(n + 2),
				 0xc0, (uint8_t)n,
				 0,    1,
				 0,    1,
				 0,    0,
				 0,    0,
				 0,    0 };
	memcpy(buf + n, pair, sizeof(pair));
	assert_int_equal(dns_parse_response(buf, n + sizeof(pair), &r),
			 -EBADMSG);

	/* label then a pointer back to that label: a backward loop that
	 * only the 255-octet limit stops */
	n = mini(buf, 1, 0x8180, 1);
	const uint8_t grow[] = { 1, 'q', 0xc0, (uint8_t)n, 0, 1, 0,
				 1, 0,	 0,    0,	   0, 0, 0 };
	memcpy(buf + n, grow, sizeof(grow));
	assert_int_equal(dns_parse_response(buf, n + sizeof(grow), &r),
			 -EBADMSG);

	/* same loop inside the question itself */
	const uint8_t qloop[] = { 0, 1, 0x81, 0x80, 0,	  1,  0, 0, 0, 0,
				  0, 0, 1,    'a',  0xc0, 12, 0, 1, 0, 1 };
	assert_int_equal(dns_parse_response(qloop, sizeof(qloop), &r),
			 -EBADMSG);
}

static void test_parse_pointer_out_of_bounds(void **state)
{
	struct dns_response r;
	uint8_t buf[128];
	size_t n;

	/* pointer far past the end */
	n = mini(buf, 1, 0x8180, 1);
	const uint8_t far[] = { 0xff, 0xff, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0 };
	memcpy(buf + n, far, sizeof(far));
	assert_int_equal(dns_parse_response(buf, n + sizeof(far), &r),
			 -EBADMSG);

	/* pointer into the header */
	const uint8_t hdr[] = { 0xc0, 0x02, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0 };
	memcpy(buf + n, hdr, sizeof(hdr));
	assert_int_equal(dns_parse_response(buf, n + sizeof(hdr), &r),
			 -EBADMSG);

	/* half a pointer as the last octet */
	buf[n] = 0xc0;
	assert_int_equal(dns_parse_response(buf, n + 1, &r), -EBADMSG);

	/* rdlength past the end */
	const uint8_t rd[] = { 0xc0, 0x0c, 0,	 1,    0, 1, 0, 0,
			       0,    0,	   0xff, 0xff, 1, 2, 3, 4 };
	memcpy(buf + n, rd, sizeof(rd));
	assert_int_equal(dns_parse_response(buf, n + sizeof(rd), &r), -EBADMSG);

	/* A record with the wrong rdlength is walked but not taken */
	const uint8_t odd[] = { 0xc0, 0x0c, 0, 1, 0, 1, 0, 0,
				0,    0,    0, 3, 1, 2, 3 };
	memcpy(buf + n, odd, sizeof(odd));
	assert_int_equal(dns_parse_response(buf, n + sizeof(odd), &r), 0);
	assert_int_equal(r.answers_walked, 1);
	assert_int_equal(r.addr_len, 0);
}

static void test_parse_bad_labels(void **state)
{
	struct dns_response r;
	/* 0x40 and 0x80 label types are reserved: a 64-octet "label" */
	uint8_t buf[128] = { 0, 1, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0, 64 };
	memset(buf + 13, 'x', 64);
	buf[77] = 0;
	buf[79] = 1;
	buf[81] = 1;
	assert_int_equal(dns_parse_response(buf, 82, &r), -EBADMSG);
	buf[12] = 0x80 | 5;
	assert_int_equal(dns_parse_response(buf, 82, &r), -EBADMSG);

	/* a name of 5 x 63-octet labels passes 255 octets */
	uint8_t big[12 + 5 * 64 + 5] = { 0, 1, 0x81, 0x80, 0, 1 };
	for (int i = 0; i < 5; i++) {
		big[12 + i * 64] = 63;
		memset(big + 13 + i * 64, 'l', 63);
	}
	assert_int_equal(dns_parse_response(big, sizeof(big), &r), -EBADMSG);

	/* a query (QR clear) is not a response */
	assert_int_equal(dns_parse_response(query_www, sizeof(query_www), &r),
			 -EBADMSG);
}

static void test_parse_zero_and_ids(void **state)
{
	struct dns_response r;
	assert_int_equal(dns_parse_response(NULL, 0, &r), -EBADMSG);
	assert_int_equal(dns_parse_response(resp_a, 0, &r), -EBADMSG);
	assert_int_equal(dns_parse_response(resp_a, 11, &r), -EBADMSG);

	/* header only, no question: parses, but answers nothing of ours */
	const uint8_t bare[12] = { 0xbe, 0xef, 0x81, 0x85 };
	assert_int_equal(dns_parse_response(bare, sizeof(bare), &r), 0);
	assert_int_equal(r.qname_len, 0);
	assert_false(dns_response_matches(&r, 0xbeef, "www.example.com",
					  DNS_TYPE_A));

	assert_int_equal(dns_parse_response(resp_a, sizeof(resp_a), &r), 0);
	assert_false(dns_response_matches(&r, 0xbeee, "www.example.com",
					  DNS_TYPE_A));
	assert_false(dns_response_matches(&r, 0xbeef, "www.example.org",
					  DNS_TYPE_A));
}

static void test_random_qname(void **state)
{
	char a[300], b[300];
	int n = dns_random_qname(a, sizeof(a), "bbtest.lan",
				 0x0123456789abcdefULL);
	assert_int_equal(n, 3 + 16 + 1 + 10);
	assert_string_equal(a, "bb-0123456789abcdef.bbtest.lan");
	assert_int_equal(dns_random_qname(b, sizeof(b), "bbtest.lan", 1), n);
	assert_string_equal(b, "bb-0000000000000001.bbtest.lan");

	assert_int_equal(dns_random_qname(a, sizeof(a), "", 2), 19);
	assert_string_equal(a, "bb-0000000000000002");
	assert_int_equal(dns_random_qname(a, sizeof(a), ".", 2), 19);
	assert_int_equal(dns_random_qname(a, sizeof(a), "lan.", 2), 24);
	assert_string_equal(a, "bb-0000000000000002.lan.");

	/* the result always builds into a query */
	uint8_t q[512];
	assert_true(dns_build_query(1, a, DNS_TYPE_A, q, sizeof(q)) > 0);

	assert_int_equal(dns_random_qname(a, 24, "lan.", 2), -ENOSPC);
	assert_int_equal(dns_random_qname(a, 25, "lan.", 2), 24);
	assert_int_equal(dns_random_qname(a, sizeof(a), "a..b", 2), -EINVAL);
	char zone[260];
	memset(zone, 'z', sizeof(zone) - 1);
	zone[sizeof(zone) - 1] = '\0';
	assert_int_equal(dns_random_qname(a, sizeof(a), zone, 2), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build_query_bytes),
		cmocka_unit_test(test_build_query_bad_names),
		cmocka_unit_test(test_parse_a),
		cmocka_unit_test(test_parse_aaaa_after_cname),
		cmocka_unit_test(test_parse_nxdomain_servfail_refused),
		cmocka_unit_test(test_parse_truncated),
		cmocka_unit_test(test_parse_pointer_loops),
		cmocka_unit_test(test_parse_pointer_out_of_bounds),
		cmocka_unit_test(test_parse_bad_labels),
		cmocka_unit_test(test_parse_zero_and_ids),
		cmocka_unit_test(test_random_qname),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
