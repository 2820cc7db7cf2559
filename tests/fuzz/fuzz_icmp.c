// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the ICMP parser (core/probe/icmp.c, RFC 792 and
 * RFC 4443): the first byte picks the family, the rest is a packet as a
 * socket gives it.  Any input must parse or fail with -EBADMSG / -ENOMSG
 * without reading out of bounds, and what parses keeps the invariants the
 * probe relies on.  Seeds: tests/fuzz/corpus/icmp/ (valid-*, edge-*,
 * malformed-*).
 */
#include "core/probe/icmp.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "tests/fuzz/fuzz_packet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int family;
	size_t len;
	uint8_t *pkt = fuzz_packet(data, size, &family, &len);
	if (!pkt)
		return 0;
	struct icmp_parsed m;
	int rc = icmp_parse(pkt, len, family, &m);
	if (rc != 0 && rc != -EBADMSG && rc != -ENOMSG)
		abort();
	if (rc == 0) {
		if (m.msg != ICMP_MSG_REPLY && m.msg != ICMP_MSG_REQUEST &&
		    m.msg != ICMP_MSG_ERROR)
			abort();
		if (m.echo.ours && (uint16_t)m.echo.seq != m.echo.seq16)
			abort();
		if (!m.echo.ours && (m.echo.seq || m.echo.cookie))
			abort();
		char why[48];
		icmp_error_detail(family, m.type, m.code, why, sizeof(why));
		if (!memchr(why, 0, sizeof(why)))
			abort();
	}
	/* what we build must parse back as what we built */
	if (size >= 1 + 8) {
		uint8_t echo[ICMP_ECHO_LEN];
		uint64_t cookie;
		memcpy(&cookie, data + 1, 8);
		uint32_t seq = (uint32_t)cookie;
		icmp_build_echo(echo, family, (uint16_t)(cookie >> 32), cookie,
				seq, (int64_t)(cookie >> 1), family == AF_INET);
		if (icmp_parse(echo, sizeof(echo), family, &m) != 0 ||
		    m.msg != ICMP_MSG_REQUEST || !m.echo.ours ||
		    m.echo.cookie != cookie || m.echo.seq != seq)
			abort();
	}
	free(pkt);
	return 0;
}
