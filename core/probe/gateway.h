/* SPDX-License-Identifier: MIT */
/*
 * Default gateway detection from the kernel's route tables as text
 * (/proc/net/route for IPv4, /proc/net/ipv6_route for IPv6).  The parsers are
 * pure (STYLE.md "Pure parsers"): text in, answer out, no I/O, so unit tests
 * and the fuzzer link them directly.  gateway_detect() reads the tables of
 * the calling thread's network namespace.
 */
#ifndef BB_GATEWAY_H
#define BB_GATEWAY_H

#include <netinet/in.h>
#include <stddef.h>
#include <sys/socket.h>

#define GATEWAY_IFNAME_LEN 16 /* IFNAMSIZ, size of every ifname_out */

/* Default IPv4 route (up, via a gateway, lowest metric) in /proc/net/route
 * text of len bytes (need not be NUL-terminated); want_ifname NULL or ""
 * means any interface.  0 with *gw and ifname_out filled, or -ENOENT. */
int gateway_parse_proc_route(const char *text, size_t len,
			     const char *want_ifname, struct in_addr *gw,
			     char *ifname_out);
/* Same for IPv6 from /proc/net/ipv6_route text.  0 or -ENOENT. */
int gateway_parse_proc_ipv6_route(const char *text, size_t len,
				  const char *want_ifname, struct in6_addr *gw,
				  char *ifname_out);
/* Default gateway (IPv4 first, else IPv6) for ifname (NULL/"" = any) as a
 * sockaddr (port 0; link-local IPv6 with its scope id); ifname_out (may be
 * NULL) gets the route's interface.  0, -ENOENT, or -errno on read failure. */
int gateway_detect(const char *ifname, struct sockaddr_storage *out,
		   socklen_t *outlen, char *ifname_out);

#endif
