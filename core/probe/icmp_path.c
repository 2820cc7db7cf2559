// SPDX-License-Identifier: MIT
/*
 * TTL-limited echo answers as bytes (see icmp_path.h).  The echo and the
 * quote are checked by icmp_parse() (core/probe/icmp.c); this adds which
 * answer it is and the quoted destination.  Every read is bounded by len.
 */
#include "core/probe/icmp_path.h"

#include <errno.h>
#include <linux/icmp.h>
#include <netinet/icmp6.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>

#define ICMP_HDR 8

int icmp_path_parse(const uint8_t *buf, size_t len, int family,
		    struct icmp_path_msg *out)
{
	struct icmp_parsed m;
	int rc = icmp_parse(buf, len, family, &m);
	memset(out, 0, sizeof(*out));
	if (rc < 0)
		return rc;
	if (m.msg == ICMP_MSG_REQUEST)
		return -ENOMSG; /* someone's echo request, not an answer */
	bool v4 = family == AF_INET;
	if (m.msg == ICMP_MSG_REPLY)
		out->what = ICMP_PATH_REPLY;
	else if (m.type == (v4 ? ICMP_TIME_EXCEEDED : ICMP6_TIME_EXCEEDED))
		out->what = ICMP_PATH_TTL;
	else if (m.type == (v4 ? ICMP_DEST_UNREACH : ICMP6_DST_UNREACH))
		out->what = ICMP_PATH_UNREACH;
	else
		return -ENOMSG; /* packet too big, parameter problem */
	out->type = m.type;
	out->code = m.code;
	out->echo = m.echo;
	if (out->what == ICMP_PATH_REPLY)
		return 0;
	/* icmp_parse checked the lengths: an outer IPv4 header (raw
	 * sockets), the error's 8 bytes, then a whole quoted IP header */
	const uint8_t *q = buf;
	if (v4 && buf[0] >> 4 == 4)
		q += (size_t)(buf[0] & 15) * 4;
	q += ICMP_HDR;
	if (v4) {
		memcpy(out->dst, q + 16, 4);
		out->dst_len = 4;
	} else {
		memcpy(out->dst, q + 24, 16);
		out->dst_len = 16;
	}
	return 0;
}

bool icmp_path_ours(const struct icmp_path_msg *m, uint16_t ident,
		    uint64_t cookie, const uint8_t *dst, size_t dst_len)
{
	if (m->echo.ident != ident ||
	    (m->echo.ours && m->echo.cookie != cookie))
		return false;
	if (m->what == ICMP_PATH_REPLY)
		return true;
	return m->dst_len == dst_len && memcmp(m->dst, dst, dst_len) == 0;
}
