// SPDX-License-Identifier: MIT
/*
 * ICMP echo packets as bytes (see icmp.h).  Every read is bounded by the
 * length given; nothing here touches a socket or a global.
 */
#include "core/probe/icmp.h"

#include <endian.h>
#include <errno.h>
#include <linux/icmp.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "proto/bytes.h"

#define ICMP_HDR 8
#define IP6_HDR	 40

uint16_t icmp_checksum(const uint8_t *buf, size_t len)
{
	uint32_t sum = 0;
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)buf[i] << 8 | buf[i + 1];
	if (len & 1)
		sum += (uint32_t)buf[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

void icmp_build_echo(uint8_t pkt[static ICMP_ECHO_LEN], int family,
		     uint16_t ident, uint64_t cookie, uint32_t seq,
		     int64_t sent_mono, bool with_checksum)
{
	memset(pkt, 0, ICMP_ECHO_LEN);
	pkt[0] = family == AF_INET ? ICMP_ECHO : ICMP6_ECHO_REQUEST;
	put_be16(pkt + 4, ident);
	put_be16(pkt + 6, (uint16_t)seq);
	put_be64(pkt + 8, cookie);
	put_be32(pkt + 16, seq);
	put_be32(pkt + 20, ICMP_MAGIC);
	put_be64(pkt + 24, (uint64_t)sent_mono);
	if (with_checksum)
		put_be16(pkt + 2, icmp_checksum(pkt, ICMP_ECHO_LEN));
}

/* The echo header at icmp (n >= ICMP_HDR) and our payload if it is one:
 * the magic, and a 32-bit sequence that agrees with the 16-bit one. */
static void read_echo(const uint8_t *icmp, size_t n, struct icmp_echo *e)
{
	memset(e, 0, sizeof(*e));
	e->ident = get_be16(icmp + 4);
	e->seq16 = get_be16(icmp + 6);
	if (n < ICMP_HDR + 24 || get_be32(icmp + 20) != ICMP_MAGIC ||
	    (uint16_t)get_be32(icmp + 16) != e->seq16)
		return;
	e->ours = true;
	e->cookie = get_be64(icmp + 8);
	e->seq = get_be32(icmp + 16);
	e->sent_mono = (int64_t)get_be64(icmp + 24);
}

/* An IPv4 header at p: its length, or -EBADMSG. */
static int ip4_header(const uint8_t *p, size_t n)
{
	if (n < 20 || p[0] >> 4 != 4)
		return -EBADMSG;
	size_t ihl = (size_t)(p[0] & 15) * 4;
	if (ihl < 20 || ihl > n)
		return -EBADMSG;
	return (int)ihl;
}

/* The echo request an error quotes (RFC 792: its IP header and at least
 * the first 8 bytes; RFC 4443 §2.4: as much as fits). */
static int quoted_echo(const uint8_t *q, size_t n, int family,
		       struct icmp_echo *e)
{
	uint8_t request;
	if (family == AF_INET) {
		int ihl = ip4_header(q, n);
		if (ihl < 0)
			return ihl;
		if (q[9] != IPPROTO_ICMP)
			return -ENOMSG; /* about other traffic */
		q += ihl;
		n -= (size_t)ihl;
		request = ICMP_ECHO;
	} else {
		if (n < IP6_HDR || q[0] >> 4 != 6)
			return -EBADMSG;
		if (q[6] != IPPROTO_ICMPV6)
			return -ENOMSG; /* other traffic, or extension headers
					   our echoes never carry */
		q += IP6_HDR;
		n -= IP6_HDR;
		request = ICMP6_ECHO_REQUEST;
	}
	if (n < ICMP_HDR)
		return -EBADMSG;
	if (q[0] != request || q[1] != 0)
		return -ENOMSG;
	read_echo(q, n, e);
	return 0;
}

static bool is_error(int family, uint8_t type)
{
	if (family == AF_INET)
		return type == ICMP_DEST_UNREACH ||
		       type == ICMP_TIME_EXCEEDED || type == ICMP_PARAMETERPROB;
	return type == ICMP6_DST_UNREACH || type == ICMP6_PACKET_TOO_BIG ||
	       type == ICMP6_TIME_EXCEEDED || type == ICMP6_PARAM_PROB;
}

int icmp_parse(const uint8_t *buf, size_t len, int family,
	       struct icmp_parsed *out)
{
	if (family != AF_INET && family != AF_INET6)
		return -EAFNOSUPPORT;
	memset(out, 0, sizeof(*out));
	/* no ICMPv4 type we read has 4 in its top nibble, so a first byte
	 * 0x4? is the IPv4 header a raw socket hands over */
	if (family == AF_INET && len > 0 && buf[0] >> 4 == 4) {
		int ihl = ip4_header(buf, len);
		if (ihl < 0)
			return ihl;
		buf += ihl;
		len -= (size_t)ihl;
	}
	if (len < ICMP_HDR)
		return -EBADMSG;
	out->type = buf[0];
	out->code = buf[1];
	uint8_t reply = family == AF_INET ? ICMP_ECHOREPLY : ICMP6_ECHO_REPLY;
	uint8_t request = family == AF_INET ? ICMP_ECHO : ICMP6_ECHO_REQUEST;
	if (out->type == reply || out->type == request) {
		if (out->code != 0)
			return -EBADMSG;
		out->msg =
			out->type == reply ? ICMP_MSG_REPLY : ICMP_MSG_REQUEST;
		read_echo(buf, len, &out->echo);
		return 0;
	}
	if (!is_error(family, out->type))
		return -ENOMSG;
	out->msg = ICMP_MSG_ERROR;
	return quoted_echo(buf + ICMP_HDR, len - ICMP_HDR, family, &out->echo);
}

/* RFC 792 destination unreachable codes / other error types. */
static void icmp4_detail(uint8_t type, uint8_t code, char *buf, size_t len)
{
	static const char *const unreach[] = {
		[ICMP_NET_UNREACH] = "net unreachable",
		[ICMP_HOST_UNREACH] = "host unreachable",
		[ICMP_PROT_UNREACH] = "protocol unreachable",
		[ICMP_PORT_UNREACH] = "port unreachable",
		[ICMP_FRAG_NEEDED] = "fragmentation needed",
		[ICMP_SR_FAILED] = "source route failed",
		[ICMP_NET_UNKNOWN] = "net unknown",
		[ICMP_HOST_UNKNOWN] = "host unknown",
		[ICMP_NET_ANO] = "net prohibited",
		[ICMP_HOST_ANO] = "host prohibited",
		[ICMP_NET_UNR_TOS] = "net unreachable",
		[ICMP_HOST_UNR_TOS] = "host unreachable",
		[ICMP_PKT_FILTERED] = "administratively prohibited",
	};
	if (type == ICMP_DEST_UNREACH &&
	    code < sizeof(unreach) / sizeof(unreach[0]) && unreach[code])
		snprintf(buf, len, "%s", unreach[code]);
	else if (type == ICMP_TIME_EXCEEDED)
		snprintf(buf, len, "ttl exceeded");
	else if (type == ICMP_PARAMETERPROB)
		snprintf(buf, len, "parameter problem");
	else
		snprintf(buf, len, "icmp type %u code %u", type, code);
}

/* RFC 4443 §3 error messages. */
static void icmp6_detail(uint8_t type, uint8_t code, char *buf, size_t len)
{
	static const char *const unreach[] = {
		[ICMP6_DST_UNREACH_NOROUTE] = "net unreachable",
		[ICMP6_DST_UNREACH_ADMIN] = "administratively prohibited",
		[ICMP6_DST_UNREACH_BEYONDSCOPE] = "beyond scope",
		[ICMP6_DST_UNREACH_ADDR] = "host unreachable",
		[ICMP6_DST_UNREACH_NOPORT] = "port unreachable",
		[5] = "source policy failed",
		[6] = "reject route",
	};
	if (type == ICMP6_DST_UNREACH &&
	    code < sizeof(unreach) / sizeof(unreach[0]) && unreach[code])
		snprintf(buf, len, "%s", unreach[code]);
	else if (type == ICMP6_PACKET_TOO_BIG)
		snprintf(buf, len, "packet too big");
	else if (type == ICMP6_TIME_EXCEEDED)
		snprintf(buf, len, "hop limit exceeded");
	else if (type == ICMP6_PARAM_PROB)
		snprintf(buf, len, "parameter problem");
	else
		snprintf(buf, len, "icmp6 type %u code %u", type, code);
}

void icmp_error_detail(int family, uint8_t type, uint8_t code, char *buf,
		       size_t len)
{
	if (family == AF_INET)
		icmp4_detail(type, code, buf, len);
	else
		icmp6_detail(type, code, buf, len);
}
