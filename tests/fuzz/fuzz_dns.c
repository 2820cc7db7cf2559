// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the DNS response parser (core/probe/dns.c, RFC 1035
 * §4.1): any input must parse or fail with -EBADMSG without reading out of
 * bounds, and a parsed response must keep the invariants the probe relies on.
 * Seeds: tests/fuzz/corpus/dns/ (valid-*, edge-*, malformed-*).
 */
#include "core/probe/dns.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dns_response r;
	int rc = dns_parse_response(data, size, &r);

	if (rc != 0 && rc != -EBADMSG)
		abort();
	if (rc != 0)
		return 0;
	if (!r.qr || r.opcode > 15 || r.rcode > 15)
		abort();
	if (r.addr_len != 0 && r.addr_len != 4 && r.addr_len != 16)
		abort();
	if (r.answers_walked > r.ancount)
		abort();
	if ((r.qdcount == 0) != (r.qname_len == 0))
		abort();
	if (r.qname_len && r.qname[r.qname_len - 1] != 0)
		abort();
	/* the helpers must cope with whatever the parser accepted */
	(void)dns_qname_equal(&r, "bb-0123456789abcdef.bbtest.lan");
	(void)dns_response_matches(&r, r.id, "a.b", DNS_TYPE_A);
	(void)dns_rcode_name(r.rcode);
	return 0;
}
