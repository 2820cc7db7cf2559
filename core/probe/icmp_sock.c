// SPDX-License-Identifier: MIT
/* ICMP echo sockets (see icmp_sock.h).  Linux only: ping sockets, ICMP_FILTER.
 */
#include "core/probe/icmp_sock.h"

#include <errno.h>
#include <linux/icmp.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/base/clock.h"

static bool not_permitted(int e)
{
	return e == EACCES || e == EPERM;
}

int icmp_sock_open(int family, bool raw_first, bool *raw, char *err,
		   size_t errlen)
{
	int proto = family == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6;
	int e[2]; /* the errors of the datagram, the raw attempt */
	for (int i = 0; i < 2; i++) {
		bool try_raw = raw_first ? i == 0 : i == 1;
		int type = try_raw ? SOCK_RAW : SOCK_DGRAM;
		int fd = socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC,
				proto);
		if (fd >= 0) {
			*raw = try_raw;
			return fd;
		}
		e[try_raw] = errno;
	}
	if (not_permitted(e[0]) && not_permitted(e[1])) {
		snprintf(
			err, errlen,
			"ICMP not permitted: no ping socket (ping_group_range) "
			"and no raw socket (CAP_NET_RAW); fix with "
			"`setcap cap_net_raw+ep bufferbane` or "
			"`sysctl -w net.ipv4.ping_group_range=\"0 "
			"2147483647\"`");
		return -EPERM;
	}
	snprintf(err, errlen, "ICMP socket: %s / raw: %s", strerror(e[0]),
		 strerror(e[1]));
	return -e[raw_first ? 0 : 1];
}

int icmp_sock_pass_only(int fd, int family, unsigned pass)
{
	int r;
	if (family == AF_INET) {
		uint32_t in = 0;
		if (pass & ICMP_SOCK_PASS_REPLY)
			in |= 1u << ICMP_ECHOREPLY;
		if (pass & ICMP_SOCK_PASS_TTL)
			in |= 1u << ICMP_TIME_EXCEEDED;
		if (pass & ICMP_SOCK_PASS_UNREACH)
			in |= 1u << ICMP_DEST_UNREACH;
		struct icmp_filter f = { .data = ~in }; /* bits set: blocked */
		r = setsockopt(fd, SOL_RAW, ICMP_FILTER, &f, sizeof(f));
	} else {
		struct icmp6_filter f;
		ICMP6_FILTER_SETBLOCKALL(&f);
		if (pass & ICMP_SOCK_PASS_REPLY)
			ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &f);
		if (pass & ICMP_SOCK_PASS_TTL)
			ICMP6_FILTER_SETPASS(ICMP6_TIME_EXCEEDED, &f);
		if (pass & ICMP_SOCK_PASS_UNREACH)
			ICMP6_FILTER_SETPASS(ICMP6_DST_UNREACH, &f);
		r = setsockopt(fd, SOL_ICMPV6, ICMP6_FILTER, &f, sizeof(f));
	}
	return r < 0 ? -errno : 0;
}

uint64_t icmp_sock_random(void)
{
	uint64_t v;
	if (getrandom(&v, sizeof(v), GRND_NONBLOCK) == (ssize_t)sizeof(v))
		return v;
	/* early boot: unpredictability is not a security need here */
	return (uint64_t)clock_mono_ns() * 0x9e3779b97f4a7c15ull ^
	       (uint64_t)getpid() << 32 ^ (uint64_t)clock_real_ns();
}
