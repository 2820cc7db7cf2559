// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the path probe's parser (core/probe/icmp_path.c):
 * the first byte picks the family, the rest is a packet as a raw socket
 * gives it.  Any input must parse or fail with -EBADMSG / -ENOMSG without
 * reading out of bounds, and what parses keeps the invariants probe_path.c
 * relies on: an error carries the quoted destination of its family's size,
 * a reply none; ours only with a matching 32/16-bit sequence.  Seeds:
 * tests/fuzz/corpus/icmp_path/.
 */
#include "core/probe/icmp_path.h"

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
	struct icmp_path_msg m;
	int rc = icmp_path_parse(pkt, len, family, &m);
	if (rc != 0 && rc != -EBADMSG && rc != -ENOMSG)
		abort();
	if (rc == 0) {
		if (m.what == ICMP_PATH_REPLY) {
			if (m.dst_len != 0)
				abort();
		} else if (m.what == ICMP_PATH_TTL ||
			   m.what == ICMP_PATH_UNREACH) {
			if (m.dst_len != (family == AF_INET ? 4 : 16))
				abort();
		} else {
			abort();
		}
		if (m.echo.ours && (uint16_t)m.echo.seq != m.echo.seq16)
			abort();
		/* the match never reads beyond what it is given */
		uint8_t dst[16] = { 0 };
		(void)icmp_path_ours(&m, m.echo.ident, m.echo.cookie, dst,
				     m.dst_len);
	} else if (rc < 0 && (m.dst_len || m.echo.ours)) {
		abort(); /* a refused packet leaves nothing behind */
	}
	free(pkt);
	return 0;
}
