// SPDX-License-Identifier: MIT
/*
 * Default gateway from /proc/net/route and /proc/net/ipv6_route (see
 * gateway.h).  Both tables are whitespace-separated text, one route a line:
 *
 *   Iface Destination Gateway Flags RefCnt Use Metric Mask MTU Window IRTT
 *   eth0  00000000    0100A8C0 0003 0      0   100    00000000 ...
 *
 * IPv4 addresses are the in_addr's 32 bits printed with %08X, so the parsed
 * value is stored into s_addr as is (right on either byte order).  IPv6 lines
 * are "dest plen src plen nexthop metric refcnt use flags iface" with the
 * addresses as 32 hex digits in network order.  A default route has a zero
 * destination and mask (prefix length 0) and the RTF_UP and RTF_GATEWAY
 * flags; among several the lowest metric wins.  Malformed lines (the header
 * included) are skipped, never trusted: the parsers are fuzzed.
 */
#include "core/probe/gateway.h"

#include "proto/bytes.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <net/route.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_FIELDS 12
#define MAX_TABLE  (4u << 20) /* bytes of route table we are willing to read */

struct field {
	const char *p;
	size_t n;
};

/* Split one line into at most MAX_FIELDS blank-separated fields. */
static int split_fields(const char *line, size_t n, struct field *f)
{
	int count = 0;
	size_t i = 0;
	while (i < n && count < MAX_FIELDS) {
		while (i < n && (line[i] == ' ' || line[i] == '\t'))
			i++;
		if (i >= n)
			break;
		size_t start = i;
		while (i < n && line[i] != ' ' && line[i] != '\t')
			i++;
		f[count].p = line + start;
		f[count].n = i - start;
		count++;
	}
	return count;
}

/* 1..8 hex digits into *out; 0 or -EINVAL. */
static int parse_hex32(const struct field *f, uint32_t *out)
{
	if (f->n == 0 || f->n > 8)
		return -EINVAL;
	uint32_t v = 0;
	for (size_t i = 0; i < f->n; i++) {
		int d = hex_digit(f->p[i]);
		if (d < 0)
			return -EINVAL;
		v = v << 4 | (uint32_t)d;
	}
	*out = v;
	return 0;
}

/* Optionally signed decimal that fits in an int64; 0 or -EINVAL. */
static int parse_dec(const struct field *f, int64_t *out)
{
	size_t i = 0;
	int neg = 0;
	if (f->n && f->p[0] == '-') {
		neg = 1;
		i = 1;
	}
	if (i >= f->n || f->n - i > 18)
		return -EINVAL;
	int64_t v = 0;
	for (; i < f->n; i++) {
		if (f->p[i] < '0' || f->p[i] > '9')
			return -EINVAL;
		v = v * 10 + (f->p[i] - '0');
	}
	*out = neg ? -v : v;
	return 0;
}

/* An interface name field that fits IFNAMSIZ and matches want (if any). */
static int ifname_ok(const struct field *f, const char *want)
{
	if (f->n == 0 || f->n >= GATEWAY_IFNAME_LEN)
		return 0;
	if (want && want[0])
		return strlen(want) == f->n && memcmp(want, f->p, f->n) == 0;
	return 1;
}

static void copy_ifname(char *out, const struct field *f)
{
	if (!out)
		return;
	memcpy(out, f->p, f->n);
	out[f->n] = '\0';
}

/* Call fn with the fields of each line of text. */
typedef void (*line_fn)(const struct field *f, int nf, void *ctx);

static void for_each_line(const char *text, size_t len, line_fn fn, void *ctx)
{
	size_t pos = 0;
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - text) : len;
		struct field f[MAX_FIELDS];
		int nf = split_fields(text + pos, end - pos, f);
		fn(f, nf, ctx);
		pos = end + 1;
	}
}

struct v4_best {
	const char *want;
	int found;
	int64_t metric;
	struct in_addr gw;
	char ifname[GATEWAY_IFNAME_LEN];
};

static void v4_line(const struct field *f, int nf, void *ctx)
{
	struct v4_best *b = ctx;
	uint32_t dest, gw, flags, mask;
	int64_t metric;
	if (nf < 8 || !ifname_ok(&f[0], b->want))
		return;
	if (f[1].n != 8 || f[2].n != 8 || f[7].n != 8)
		return;
	if (parse_hex32(&f[1], &dest) || parse_hex32(&f[2], &gw) ||
	    parse_hex32(&f[3], &flags) || parse_dec(&f[6], &metric) ||
	    parse_hex32(&f[7], &mask))
		return;
	if (dest || mask || !gw)
		return;
	if ((flags & (RTF_UP | RTF_GATEWAY)) != (RTF_UP | RTF_GATEWAY) ||
	    (flags & RTF_REJECT))
		return;
	if (b->found && metric >= b->metric)
		return;
	b->found = 1;
	b->metric = metric;
	b->gw.s_addr = gw;
	copy_ifname(b->ifname, &f[0]);
}

int gateway_parse_proc_route(const char *text, size_t len,
			     const char *want_ifname, struct in_addr *gw,
			     char *ifname_out)
{
	struct v4_best b = { .want = want_ifname };
	for_each_line(text, len, v4_line, &b);
	if (!b.found)
		return -ENOENT;
	*gw = b.gw;
	if (ifname_out)
		strcpy(ifname_out, b.ifname);
	return 0;
}

/* 32 hex digits into 16 bytes; 0 or -EINVAL. */
static int parse_hex128(const struct field *f, uint8_t out[static 16])
{
	if (f->n != 32)
		return -EINVAL;
	for (int i = 0; i < 16; i++) {
		int hi = hex_digit(f->p[2 * i]),
		    lo = hex_digit(f->p[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

struct v6_best {
	const char *want;
	int found;
	uint32_t metric;
	struct in6_addr gw;
	char ifname[GATEWAY_IFNAME_LEN];
};

static void v6_line(const struct field *f, int nf, void *ctx)
{
	struct v6_best *b = ctx;
	uint8_t dest[16], nh[16];
	uint32_t dplen, metric, flags;
	static const uint8_t zero[16];
	if (nf < 10 || !ifname_ok(&f[9], b->want))
		return;
	if (parse_hex128(&f[0], dest) || parse_hex32(&f[1], &dplen) ||
	    parse_hex128(&f[4], nh) || parse_hex32(&f[5], &metric) ||
	    parse_hex32(&f[8], &flags))
		return;
	if (dplen != 0 || memcmp(dest, zero, 16) != 0 ||
	    memcmp(nh, zero, 16) == 0)
		return;
	if ((flags & (RTF_UP | RTF_GATEWAY)) != (RTF_UP | RTF_GATEWAY) ||
	    (flags & RTF_REJECT))
		return;
	if (b->found && metric >= b->metric)
		return;
	b->found = 1;
	b->metric = metric;
	memcpy(&b->gw, nh, 16);
	copy_ifname(b->ifname, &f[9]);
}

int gateway_parse_proc_ipv6_route(const char *text, size_t len,
				  const char *want_ifname, struct in6_addr *gw,
				  char *ifname_out)
{
	struct v6_best b = { .want = want_ifname };
	for_each_line(text, len, v6_line, &b);
	if (!b.found)
		return -ENOENT;
	*gw = b.gw;
	if (ifname_out)
		strcpy(ifname_out, b.ifname);
	return 0;
}

/* Whole file into a malloc'd buffer; /proc files report size 0, so grow. */
static int read_table(const char *name, char **text, size_t *len)
{
	char path[64];
	/* thread-self: a worker thread moved into another namespace reads its
	 * own tables; /proc/net follows the thread-group leader. */
	strcpy(path, "/proc/thread-self/net/");
	strcat(path, name);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		strcpy(path, "/proc/net/");
		strcat(path, name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
	}
	if (fd < 0)
		return -errno;
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	int ret = 0;
	if (!buf) {
		ret = -ENOMEM;
		goto out;
	}
	for (;;) {
		if (n == cap) {
			char *nb =
				cap < MAX_TABLE ? realloc(buf, cap * 2) : NULL;
			if (!nb) {
				ret = -ENOMEM;
				goto out;
			}
			buf = nb;
			cap *= 2;
		}
		ssize_t r = read(fd, buf + n, cap - n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			goto out;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
out:
	close(fd);
	if (ret) {
		free(buf);
		return ret;
	}
	*text = buf;
	*len = n;
	return 0;
}

int gateway_detect(const char *ifname, struct sockaddr_storage *out,
		   socklen_t *outlen, char *ifname_out)
{
	char dev[GATEWAY_IFNAME_LEN];
	char *text;
	size_t len;
	int ret = read_table("route", &text, &len);
	if (ret == 0) {
		struct in_addr gw;
		ret = gateway_parse_proc_route(text, len, ifname, &gw, dev);
		free(text);
		if (ret == 0) {
			struct sockaddr_in *sin = (struct sockaddr_in *)out;
			memset(out, 0, sizeof(*out));
			sin->sin_family = AF_INET;
			sin->sin_addr = gw;
			*outlen = sizeof(*sin);
			goto found;
		}
	}
	ret = read_table("ipv6_route", &text, &len);
	if (ret < 0)
		return ret == -ENOENT ? -ENOENT : ret;
	struct in6_addr gw6;
	ret = gateway_parse_proc_ipv6_route(text, len, ifname, &gw6, dev);
	free(text);
	if (ret < 0)
		return ret;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)out;
	memset(out, 0, sizeof(*out));
	sin6->sin6_family = AF_INET6;
	sin6->sin6_addr = gw6;
	if (IN6_IS_ADDR_LINKLOCAL(&gw6))
		sin6->sin6_scope_id = if_nametoindex(dev);
	*outlen = sizeof(*sin6);
found:
	if (ifname_out)
		strcpy(ifname_out, dev);
	return 0;
}
