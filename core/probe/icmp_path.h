/* SPDX-License-Identifier: MIT */
/*
 * What comes back from a TTL-limited echo (the path probe, probe_path.c),
 * as bytes and with no I/O, so the unit tests and the fuzz target
 * (tests/fuzz/fuzz_icmp_path.c) link it directly.  Three answers matter:
 *
 *   echo reply            the target itself (RFC 792 type 0, RFC 4443 129)
 *   time exceeded         a router where the TTL ran out (11, 3)
 *   destination unreach.  the target or a router refusing it (3, 1)
 *
 * An error quotes our echo request (RFC 792: its IP header and at least 8
 * bytes; RFC 1812 §4.3.2.3 and RFC 4443 §2.4: as much as fits), which is
 * how it is matched to the probe: identifier, 16-bit sequence and the
 * quoted destination; the cookie and 32-bit sequence too when the router
 * quoted our whole payload.  The echo layout itself is core/probe/icmp.h.
 */
#ifndef BB_ICMP_PATH_H
#define BB_ICMP_PATH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/probe/icmp.h"

enum icmp_path_what {
	ICMP_PATH_REPLY,   /* the target answered the echo */
	ICMP_PATH_TTL,	   /* time exceeded in transit: a router's answer */
	ICMP_PATH_UNREACH, /* destination unreachable (code says why) */
};

struct icmp_path_msg {
	enum icmp_path_what what;
	uint8_t type, code;
	struct icmp_echo echo; /* the reply, or the request an error quotes */
	/* Errors: the quoted request's destination (4 or 16 bytes), so a
	 * raw socket's stray errors about other traffic are told apart. */
	uint8_t dst[16];
	uint8_t dst_len;
};

/* Parse one message of family (AF_INET, AF_INET6) as a raw ICMP socket
 * gives it (IPv4 with its IP header, IPv6 without).  0; -EBADMSG when
 * truncated or malformed (a quote shorter than the IP header and 8 bytes
 * of echo header included); -ENOMSG when well formed but not one of the
 * three above about an echo request; -EAFNOSUPPORT for another family. */
int icmp_path_parse(const uint8_t *buf, size_t len, int family,
		    struct icmp_path_msg *out);

/* Whether a parsed answer is about an echo of ours: our identifier (the
 * kernel's on a datagram socket), our cookie when the payload was quoted
 * whole, and for errors our destination dst (4 or 16 bytes).  A reply's
 * source is the socket's to check. */
bool icmp_path_ours(const struct icmp_path_msg *m, uint16_t ident,
		    uint64_t cookie, const uint8_t *dst, size_t dst_len);

#endif
