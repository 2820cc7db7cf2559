// SPDX-License-Identifier: MIT
/*
 * DNS query builder and response parser (see dns.h), RFC 1035 §4.1.
 *
 *   0                   1
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5     header, §4.1.1 (12 octets,
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+      network byte order)
 *  |              ID               |
 *  |QR|Opcode |AA|TC|RD|RA| Z |RCODE|
 *  |QDCOUNT | ANCOUNT | NSCOUNT | ARCOUNT  (16 bits each)
 *  +-------------------------------+
 *  question §4.1.2:  QNAME (labels)  QTYPE(16)  QCLASS(16)
 *  answer RR §4.1.3: NAME  TYPE(16)  CLASS(16)  TTL(32)  RDLENGTH(16)  RDATA
 *
 * A name is a run of <len><octets> labels ended by a zero octet, or by a
 * two-octet pointer 11xxxxxx xxxxxxxx to an earlier offset (§4.1.4).  The
 * parser accepts a pointer only into the message body before the pointer
 * itself, at most DNS_MAX_HOPS of them per name, and stops any name whose
 * expansion passes 255 octets: together these end every pointer loop.
 */
#include "core/probe/dns.h"

#include "proto/bytes.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define DNS_MAX_HOPS 64
#define DNS_FLAG_RD  0x0100
#define DNS_RR_FIXED 10 /* TYPE, CLASS, TTL, RDLENGTH */

static uint8_t ascii_lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 'a' - 'A') : c;
}

/* Dotted text to wire form; the wire length or -EINVAL. */
static int name_to_wire(const char *text,
			uint8_t wire[static DNS_NAME_WIRE_MAX])
{
	size_t n = 0;

	if (strcmp(text, ".") == 0) {
		wire[0] = 0;
		return 1;
	}
	if (!text[0])
		return -EINVAL;
	for (const char *p = text; *p;) {
		const char *dot = strchr(p, '.');
		size_t l = dot ? (size_t)(dot - p) : strlen(p);
		if (l == 0 || l > DNS_LABEL_MAX)
			return -EINVAL;
		if (n + 1 + l + 1 > DNS_NAME_WIRE_MAX)
			return -EINVAL;
		wire[n++] = (uint8_t)l;
		memcpy(wire + n, p, l);
		n += l;
		p += l;
		if (*p == '.')
			p++;
	}
	wire[n++] = 0;
	return (int)n;
}

int dns_build_query(uint16_t id, const char *qname, uint16_t qtype,
		    uint8_t *buf, size_t cap)
{
	uint8_t wire[DNS_NAME_WIRE_MAX];
	int n = name_to_wire(qname, wire);
	if (n < 0)
		return n;
	size_t total = DNS_HEADER_LEN + (size_t)n + 4;
	if (total > cap)
		return -ENOSPC;
	memset(buf, 0, DNS_HEADER_LEN);
	put_be16(buf, id);
	put_be16(buf + 2, DNS_FLAG_RD);
	put_be16(buf + 4, 1); /* QDCOUNT */
	memcpy(buf + DNS_HEADER_LEN, wire, (size_t)n);
	put_be16(buf + DNS_HEADER_LEN + n, qtype);
	put_be16(buf + DNS_HEADER_LEN + n + 2, DNS_CLASS_IN);
	return (int)total;
}

/*
 * Expand the name at *off; wire (may be NULL) receives the expanded form and
 * *wire_len its length.  *off moves past the name as it sits in the message
 * (two octets for a pointer).  -EMSGSIZE when the message ends inside the
 * name, -EBADMSG for a bad pointer, a reserved label type or an overlong name.
 */
static int read_name(const uint8_t *buf, size_t len, size_t *off, uint8_t *wire,
		     size_t *wire_len)
{
	size_t pos = *off, after = 0, n = 0;
	unsigned hops = 0;

	for (;;) {
		if (pos >= len)
			return -EMSGSIZE;
		uint8_t c = buf[pos];
		if ((c & 0xC0) == 0xC0) {
			if (pos + 1 >= len)
				return -EMSGSIZE;
			size_t to = (size_t)(c & 0x3F) << 8 | buf[pos + 1];
			if (to < DNS_HEADER_LEN || to >= pos ||
			    ++hops > DNS_MAX_HOPS)
				return -EBADMSG;
			if (!after)
				after = pos + 2;
			pos = to;
			continue;
		}
		if (c & 0xC0) /* 01 and 10: reserved label types */
			return -EBADMSG;
		if (n + 1 + c > DNS_NAME_WIRE_MAX)
			return -EBADMSG;
		if (c == 0) {
			if (wire)
				wire[n] = 0;
			n++;
			pos++;
			break;
		}
		if (c >= len - pos) /* need pos + 1 + c <= len */
			return -EMSGSIZE;
		if (wire)
			memcpy(wire + n, buf + pos, (size_t)c + 1);
		n += (size_t)c + 1;
		pos += (size_t)c + 1;
	}
	*off = after ? after : pos;
	if (wire_len)
		*wire_len = n;
	return 0;
}

/* Walk the answer section from off; first IN A/AAAA into out. */
static int walk_answers(const uint8_t *buf, size_t len, size_t off,
			struct dns_response *out)
{
	for (unsigned i = 0; i < out->ancount; i++) {
		size_t o = off;
		int err = read_name(buf, len, &o, NULL, NULL);
		if (err == 0 && len - o < DNS_RR_FIXED)
			err = -EMSGSIZE;
		if (err == 0) {
			uint16_t type = get_be16(buf + o);
			uint16_t class = get_be16(buf + o + 2);
			size_t rdlen = get_be16(buf + o + 8);
			o += DNS_RR_FIXED;
			if (rdlen > len - o) {
				err = -EMSGSIZE;
			} else if (!out->addr_len && class == DNS_CLASS_IN &&
				   ((type == DNS_TYPE_A && rdlen == 4) ||
				    (type == DNS_TYPE_AAAA && rdlen == 16))) {
				memcpy(out->addr, buf + o, rdlen);
				out->addr_len = (uint8_t)rdlen;
			}
			off = o + rdlen;
		}
		if (err == -EMSGSIZE && out->tc)
			return 0; /* truncated by the server, as announced */
		if (err)
			return -EBADMSG;
		out->answers_walked++;
	}
	return 0;
}

int dns_parse_response(const uint8_t *buf, size_t len, struct dns_response *out)
{
	memset(out, 0, sizeof(*out));
	if (!buf || len < DNS_HEADER_LEN)
		return -EBADMSG;

	uint16_t flags = get_be16(buf + 2);
	out->id = get_be16(buf);
	out->qr = flags >> 15;
	out->opcode = (flags >> 11) & 0xF;
	out->aa = (flags >> 10) & 1;
	out->tc = (flags >> 9) & 1;
	out->rd = (flags >> 8) & 1;
	out->ra = (flags >> 7) & 1;
	out->rcode = flags & 0xF;
	out->qdcount = get_be16(buf + 4);
	out->ancount = get_be16(buf + 6);
	out->nscount = get_be16(buf + 8);
	out->arcount = get_be16(buf + 10);
	if (!out->qr)
		return -EBADMSG;

	size_t off = DNS_HEADER_LEN;
	for (unsigned i = 0; i < out->qdcount; i++) {
		size_t n;
		uint8_t *wire = i == 0 ? out->qname : NULL;
		if (read_name(buf, len, &off, wire, &n) < 0 || len - off < 4)
			return -EBADMSG;
		if (i == 0) {
			out->qname_len = (uint8_t)n;
			out->qtype = get_be16(buf + off);
			out->qclass = get_be16(buf + off + 2);
		}
		off += 4;
	}
	return walk_answers(buf, len, off, out);
}

bool dns_qname_equal(const struct dns_response *r, const char *qname)
{
	uint8_t wire[DNS_NAME_WIRE_MAX];
	int n = name_to_wire(qname, wire);
	if (n < 0 || r->qname_len != (size_t)n)
		return false;
	/* length octets are < 64, so lowering every octet is safe */
	for (int i = 0; i < n; i++)
		if (ascii_lower(wire[i]) != ascii_lower(r->qname[i]))
			return false;
	return true;
}

bool dns_response_matches(const struct dns_response *r, uint16_t id,
			  const char *qname, uint16_t qtype)
{
	return r->id == id && r->qr && r->opcode == 0 && r->qdcount == 1 &&
	       r->qtype == qtype && r->qclass == DNS_CLASS_IN &&
	       dns_qname_equal(r, qname);
}

int dns_random_qname(char *out, size_t cap, const char *zone, uint64_t rnd)
{
	char name[DNS_NAME_WIRE_MAX + 32];
	uint8_t wire[DNS_NAME_WIRE_MAX];
	int n;

	if (!zone || !zone[0] || strcmp(zone, ".") == 0)
		n = snprintf(name, sizeof(name), "bb-%016" PRIx64, rnd);
	else
		n = snprintf(name, sizeof(name), "bb-%016" PRIx64 ".%s", rnd,
			     zone);
	if (n < 0 || (size_t)n >= sizeof(name) || name_to_wire(name, wire) < 0)
		return -EINVAL;
	if ((size_t)n >= cap)
		return -ENOSPC;
	memcpy(out, name, (size_t)n + 1);
	return n;
}

const char *dns_rcode_name(unsigned rcode)
{
	static const char *const names[] = {
		[DNS_RCODE_NOERROR] = "noerror",
		[DNS_RCODE_FORMERR] = "formerr",
		[DNS_RCODE_SERVFAIL] = "servfail",
		[DNS_RCODE_NXDOMAIN] = "nxdomain",
		[DNS_RCODE_NOTIMP] = "notimp",
		[DNS_RCODE_REFUSED] = "refused",
	};
	return rcode < sizeof(names) / sizeof(names[0]) ? names[rcode] : NULL;
}
