/* SPDX-License-Identifier: MIT */
/*
 * The ICMP echo sockets of the two echo-based probes (probe_icmp.c pings,
 * probe_path.c TTL-stepped echoes): an unprivileged datagram "ping socket"
 * (net.ipv4.ping_group_range) or a raw one (CAP_NET_RAW), in the order the
 * probe prefers; the raw socket's type filter; the random identifier and
 * cookie that tell our echoes from everyone else's.  The packets themselves
 * are core/probe/icmp.h and icmp_path.h.
 */
#ifndef BB_ICMP_SOCK_H
#define BB_ICMP_SOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ICMP types a raw socket lets in (icmp_sock_pass_only). */
enum icmp_sock_pass {
	ICMP_SOCK_PASS_REPLY = 1 << 0,	 /* echo reply */
	ICMP_SOCK_PASS_TTL = 1 << 1,	 /* time exceeded */
	ICMP_SOCK_PASS_UNREACH = 1 << 2, /* destination unreachable */
};

/* A non-blocking ICMP socket of family: raw first when raw_first, else the
 * datagram one first, falling back to the other; *raw says which.  The fd,
 * or -errno with a reason in err (both fixes named when neither is
 * permitted). */
int icmp_sock_open(int family, bool raw_first, bool *raw, char *err,
		   size_t errlen);
/* On a raw socket: let in only the types in pass (enum icmp_sock_pass);
 * 0 or -errno. */
int icmp_sock_pass_only(int fd, int family, unsigned pass);
/* 64 random bits for an identifier or cookie (not a secret). */
uint64_t icmp_sock_random(void);

#endif
