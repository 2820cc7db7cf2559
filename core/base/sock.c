// SPDX-License-Identifier: MIT
/* Socket helpers (see sock.h).  Linux only: SO_TIMESTAMPNS, SO_BINDTODEVICE. */
#include "core/base/sock.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/errqueue.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/base/clock.h"

int sock_set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
		return -errno;
	return 0;
}

int sock_enable_rx_timestamps(int fd)
{
	int on = 1;
	if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof(on)) < 0)
		return -errno;
	return 0;
}

int sock_bind_device(int fd, const char *ifname, char *err, size_t errlen)
{
	if (!ifname || !ifname[0])
		return 0;
	if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname,
		       (socklen_t)strlen(ifname) + 1) < 0) {
		int e = errno;
		snprintf(err, errlen, "cannot bind to interface %s: %s%s",
			 ifname, strerror(e),
			 e == EPERM ? " (needs CAP_NET_RAW)" : "");
		return -e;
	}
	return 0;
}

ssize_t sock_recv_timestamped(int fd, void *buf, size_t len,
			      struct sockaddr_storage *from, socklen_t *fromlen,
			      int64_t *rx_mono_ns)
{
	union {
		char buf[CMSG_SPACE(sizeof(struct timespec)) * 2];
		struct cmsghdr align;
	} control;
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr msg = {
		.msg_name = from,
		.msg_namelen = from ? sizeof(*from) : 0,
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = control.buf,
		.msg_controllen = sizeof(control.buf),
	};
	ssize_t n = recvmsg(fd, &msg, MSG_DONTWAIT);
	if (n < 0)
		return -errno;
	int64_t ts = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c;
	     c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level == SOL_SOCKET &&
		    c->cmsg_type == SCM_TIMESTAMPNS) {
			struct timespec t;
			memcpy(&t, CMSG_DATA(c), sizeof(t));
			ts = (int64_t)t.tv_sec * BB_NS_PER_S + t.tv_nsec;
		}
	}
	if (rx_mono_ns)
		*rx_mono_ns = ts ? clock_real_to_mono(ts) : clock_mono_ns();
	if (fromlen)
		*fromlen = msg.msg_namelen;
	return n;
}

int sock_enable_recverr(int fd, int family)
{
	int on = 1;
	int r = family == AF_INET
			? setsockopt(fd, SOL_IP, IP_RECVERR, &on, sizeof(on))
			: setsockopt(fd, SOL_IPV6, IPV6_RECVERR, &on,
				     sizeof(on));
	return r < 0 ? -errno : 0;
}

ssize_t sock_recv_error(int fd, void *buf, size_t len,
			struct sockaddr_storage *to,
			struct sock_extended_err *ee,
			struct sockaddr_storage *offender)
{
	union {
		char buf[512]; /* the error, its offender, an RX timestamp */
		struct cmsghdr align;
	} control;
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr msg = {
		.msg_name = to,
		.msg_namelen = to ? sizeof(*to) : 0,
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = control.buf,
		.msg_controllen = sizeof(control.buf),
	};
	ssize_t n = recvmsg(fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT);
	if (n < 0)
		return -errno;
	const struct cmsghdr *found = NULL;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c;
	     c = CMSG_NXTHDR(&msg, c))
		if ((c->cmsg_level == SOL_IP && c->cmsg_type == IP_RECVERR) ||
		    (c->cmsg_level == SOL_IPV6 && c->cmsg_type == IPV6_RECVERR))
			found = c;
	if (!found)
		return -ENOMSG;
	const struct sock_extended_err *e =
		(const struct sock_extended_err *)CMSG_DATA(found);
	memcpy(ee, e, sizeof(*ee));
	if (offender) {
		/* SO_EE_OFFENDER: the address follows the error in the cmsg */
		const struct sockaddr *o = SO_EE_OFFENDER(e);
		size_t room = found->cmsg_len - CMSG_LEN(sizeof(*e));
		size_t olen = 0;
		if (room >= sizeof(struct sockaddr_in) &&
		    o->sa_family == AF_INET)
			olen = sizeof(struct sockaddr_in);
		else if (room >= sizeof(struct sockaddr_in6) &&
			 o->sa_family == AF_INET6)
			olen = sizeof(struct sockaddr_in6);
		memset(offender, 0, sizeof(*offender));
		memcpy(offender, o, olen);
	}
	return n;
}

int sock_parse_addr(const char *text, uint16_t default_port,
		    struct sockaddr_storage *out, socklen_t *outlen)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *port_text = NULL;
	memset(out, 0, sizeof(*out));

	if (text[0] == '[') { /* [v6]:port */
		const char *end = strchr(text, ']');
		if (!end || (size_t)(end - text - 1) >= sizeof(host))
			return -EINVAL;
		memcpy(host, text + 1, (size_t)(end - text - 1));
		host[end - text - 1] = '\0';
		if (end[1] == ':')
			port_text = end + 2;
		else if (end[1])
			return -EINVAL;
	} else {
		const char *colon = strchr(text, ':');
		/* one colon = v4:port; several = a bare IPv6 address */
		if (colon && !strchr(colon + 1, ':')) {
			if ((size_t)(colon - text) >= sizeof(host))
				return -EINVAL;
			memcpy(host, text, (size_t)(colon - text));
			host[colon - text] = '\0';
			port_text = colon + 1;
		} else {
			if (strlen(text) >= sizeof(host))
				return -EINVAL;
			strcpy(host, text);
		}
	}
	uint16_t port = default_port;
	if (port_text) {
		char *end;
		long p = strtol(port_text, &end, 10);
		if (*port_text == '\0' || *end || p < 0 || p > 65535)
			return -EINVAL;
		if (p)
			port = (uint16_t)p;
	}
	struct sockaddr_in *v4 = (struct sockaddr_in *)out;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)out;
	if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons(port);
		*outlen = sizeof(*v4);
		return 0;
	}
	/* fe80::1%eth0 scope ids */
	char *pct = strchr(host, '%');
	unsigned scope = 0;
	if (pct) {
		*pct = '\0';
		scope = if_nametoindex(pct + 1);
		if (!scope)
			return -EINVAL;
	}
	if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons(port);
		v6->sin6_scope_id = scope;
		*outlen = sizeof(*v6);
		return 0;
	}
	return -EINVAL;
}

void sock_addr_to_text(const struct sockaddr *sa, char *buf, size_t len)
{
	const void *a =
		sa->sa_family == AF_INET6
			? (const void *)&((const struct sockaddr_in6 *)sa)
				  ->sin6_addr
			: (const void *)&((const struct sockaddr_in *)sa)
				  ->sin_addr;
	if (!inet_ntop(sa->sa_family, a, buf, (socklen_t)len))
		snprintf(buf, len, "?");
}

int sock_addr_equal(const struct sockaddr *a, const struct sockaddr *b,
		    int with_port)
{
	if (a->sa_family != b->sa_family)
		return 0;
	if (a->sa_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a,
					 *y = (const void *)b;
		return x->sin_addr.s_addr == y->sin_addr.s_addr &&
		       (!with_port || x->sin_port == y->sin_port);
	}
	if (a->sa_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)a,
					  *y = (const void *)b;
		return memcmp(&x->sin6_addr, &y->sin6_addr, 16) == 0 &&
		       (!with_port || x->sin6_port == y->sin6_port);
	}
	return 0;
}

uint16_t sock_port(const struct sockaddr_storage *sa)
{
	if (sa->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)sa)->sin_port);
	if (sa->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
	return 0;
}
