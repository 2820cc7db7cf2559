/* SPDX-License-Identifier: MIT */
/*
 * The few DNS messages the DNS probe needs (RFC 1035 §4.1), built and parsed
 * by our own code so that one query/response is exactly one timed exchange:
 * no resolver library, no retries, no cache.  Pure functions: no I/O, no
 * globals, so the unit tests and the fuzzer link them directly.  The parser
 * never reads outside [buf, buf + len) whatever the input, follows name
 * compression pointers (§4.1.4) only backwards and a bounded number of times,
 * and caps every expanded name at 255 octets.
 */
#ifndef BB_DNS_H
#define BB_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DNS_HEADER_LEN	  12
#define DNS_NAME_WIRE_MAX 255 /* RFC 1035 §2.3.4, wire form incl. root */
#define DNS_NAME_TEXT_MAX 253 /* dotted, without the final dot */
#define DNS_LABEL_MAX	  63
#define DNS_UDP_MAX	  512 /* RFC 1035 §4.2.1, without EDNS0 */

#define DNS_TYPE_A    1
#define DNS_TYPE_AAAA 28
#define DNS_CLASS_IN  1

enum dns_rcode {
	DNS_RCODE_NOERROR = 0,
	DNS_RCODE_FORMERR = 1,
	DNS_RCODE_SERVFAIL = 2,
	DNS_RCODE_NXDOMAIN = 3,
	DNS_RCODE_NOTIMP = 4,
	DNS_RCODE_REFUSED = 5,
};

/* A decoded response; plain data.  Only the first question is kept. */
struct dns_response {
	uint16_t id;
	uint8_t qr, aa, tc, rd, ra; /* header bits, 0 or 1 */
	uint8_t opcode, rcode;	    /* 4 bits each; rcode: enum dns_rcode */
	uint16_t qdcount, ancount, nscount, arcount;
	/* first question, name expanded to wire form (lengths + labels + 0) */
	uint8_t qname[DNS_NAME_WIRE_MAX];
	uint8_t qname_len; /* 0 when qdcount == 0 */
	uint16_t qtype, qclass;
	uint16_t answers_walked; /* answer RRs fully inside the message */
	/* first IN A or IN AAAA in the answer section: 4, 16, or 0 if none */
	uint8_t addr_len;
	uint8_t addr[16];
};

/* Query with RD set and one question (qname, qtype, IN) into buf; "a.b." and
 * "a.b" are the same name, "." is the root.  Returns the length, -EINVAL for
 * an empty label, a label over 63 or a name over 255 octets, -ENOSPC when cap
 * is too small. */
int dns_build_query(uint16_t id, const char *qname, uint16_t qtype,
		    uint8_t *buf, size_t cap);
/* Decode a response (QR set); 0, or -EBADMSG for anything malformed or cut
 * short.  With TC set a cut answer section ends the walk quietly. */
int dns_parse_response(const uint8_t *buf, size_t len,
		       struct dns_response *out);
/* The response's first question is qname (ASCII case-insensitive, RFC 4343). */
bool dns_qname_equal(const struct dns_response *r, const char *qname);
/* r answers our query: same id, one question qname/qtype/IN, opcode QUERY. */
bool dns_response_matches(const struct dns_response *r, uint16_t id,
			  const char *qname, uint16_t qtype);
/* "bb-<16 hex digits of rnd>.<zone>" into out (zone "" or "." = the label
 * alone); the length, or -ENOSPC / -EINVAL (zone not a valid name). */
int dns_random_qname(char *out, size_t cap, const char *zone, uint64_t rnd);
/* "noerror", "servfail", ... or NULL for a code without a name here. */
const char *dns_rcode_name(unsigned rcode);

#endif
