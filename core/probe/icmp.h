/* SPDX-License-Identifier: MIT */
/*
 * ICMP echo packets as bytes (RFC 792, RFC 4443): building our echo request
 * and parsing what comes back, with no I/O, so the unit tests and the fuzz
 * target (tests/fuzz/fuzz_icmp.c) link it directly.  core/probe/probe_icmp.c
 * does the sockets.
 *
 * Our echo request, payload big-endian (the 16-bit wire sequence is the low
 * half of the 32-bit one):
 *
 *    0               8              16              24              32
 *   +-------+-------+---------------+-------------------------------+
 *   | type  | code  |   checksum    |  identifier   |   sequence    |
 *   +-------+-------+---------------+-------------------------------+
 *   |                     cookie (64 bits, random per instance)     |
 *   +---------------------------------------------------------------+
 *   |        sequence (32 bits)     |        magic "BBmp"           |
 *   +---------------------------------------------------------------+
 *   |             send time, CLOCK_MONOTONIC ns (64 bits)           |
 *   +---------------------------------------------------------------+
 *   |                         zero padding (64 bits)                |
 *   +---------------------------------------------------------------+
 */
#ifndef BB_ICMP_H
#define BB_ICMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ICMP_ECHO_LEN 40	  /* header 8 + payload 32 */
#define ICMP_MAGIC    0x42426d70u /* "BBmp" */

enum icmp_msg {
	ICMP_MSG_REPLY,	  /* an echo reply */
	ICMP_MSG_REQUEST, /* an echo request: ours, quoted back by the
			     socket error queue */
	ICMP_MSG_ERROR,	  /* an ICMP error quoting an echo request */
};

/* The echo a packet is (reply, request) or quotes (error). */
struct icmp_echo {
	uint16_t ident;
	uint16_t seq16;
	bool ours;	   /* the payload is laid out as ours (magic, seq) */
	uint64_t cookie;   /* valid when ours */
	uint32_t seq;	   /* ours: low 16 bits equal seq16 */
	int64_t sent_mono; /* ours: the send time we wrote */
};

struct icmp_parsed {
	enum icmp_msg msg;
	uint8_t type, code; /* of the message itself */
	struct icmp_echo echo;
};

/* Parse one ICMP message of family (AF_INET, AF_INET6) as a socket gives
 * it; for AF_INET a leading IPv4 header (raw sockets) is skipped.  0, or
 * -EBADMSG when truncated or malformed, -ENOMSG when it is well formed but
 * neither an echo nor an error quoting one, -EAFNOSUPPORT for another
 * family.  Checksums are not checked (the kernel did). */
int icmp_parse(const uint8_t *buf, size_t len, int family,
	       struct icmp_parsed *out);

/* Write our echo request (ICMP_ECHO_LEN bytes); the checksum is filled
 * only for IPv4 raw sockets (with_checksum), the kernel does it otherwise. */
void icmp_build_echo(uint8_t pkt[static ICMP_ECHO_LEN], int family,
		     uint16_t ident, uint64_t cookie, uint32_t seq,
		     int64_t sent_mono, bool with_checksum);

/* RFC 1071 Internet checksum. */
uint16_t icmp_checksum(const uint8_t *buf, size_t len);

/* A short reason for an ICMP error (RFC 792 / RFC 4443 §3 type and code). */
void icmp_error_detail(int family, uint8_t type, uint8_t code, char *buf,
		       size_t len);

#endif
