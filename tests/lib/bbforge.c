/* SPDX-License-Identifier: MIT */
/*
 * Attack and load tools' wire half (see bbforge.h).  The AEAD is libsodium's
 * ChaCha20-Poly1305 IETF: nonce = client_id[0..4] || nonce_ts (big-endian),
 * associated data = the 24-byte header, as PROTOCOL.md says.
 */
#include "tests/lib/bbforge.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

int bbf_init(void)
{
	return sodium_init() < 0 ? -EIO : 0;
}

uint64_t bbf_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

int64_t bbf_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int bbf_load_key(const char *path, uint8_t key[static WIRE_KEY_LEN])
{
	char buf[256];
	FILE *f = fopen(path, "r");
	if (!f)
		return -errno;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	const char *p = buf;
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	size_t bin = 0;
	if (sodium_hex2bin(key, WIRE_KEY_LEN, p, strlen(p), " \t\r\n", &bin,
			   NULL) < 0 ||
	    bin != WIRE_KEY_LEN)
		return -EINVAL;
	return 0;
}

int bbf_parse_addr(const char *text, struct sockaddr_in *sa)
{
	char host[64];
	const char *colon = strrchr(text, ':');
	if (!colon || (size_t)(colon - text) >= sizeof(host))
		return -EINVAL;
	memcpy(host, text, (size_t)(colon - text));
	host[colon - text] = '\0';
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)atoi(colon + 1));
	if (inet_pton(AF_INET, host, &sa->sin_addr) != 1)
		return -EINVAL;
	/* NETWORK RULE: loopback only, whatever the command line says */
	if ((ntohl(sa->sin_addr.s_addr) >> 24) != 127)
		return -EINVAL;
	return 0;
}

void bbf_client_init(struct bbf_client *c, const uint8_t key[WIRE_KEY_LEN],
		     const uint8_t *cid)
{
	memset(c, 0, sizeof(*c));
	memcpy(c->key, key, WIRE_KEY_LEN);
	if (cid)
		memcpy(c->cid, cid, WIRE_CLIENT_ID_LEN);
	else
		randombytes_buf(c->cid, WIRE_CLIENT_ID_LEN);
}

uint64_t bbf_next_nonce(struct bbf_client *c)
{
	uint64_t n = bbf_now_ns() & ~1ULL;
	if (n <= c->last_nonce)
		n = c->last_nonce + 2;
	c->last_nonce = n;
	return n;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)(v >> 32));
	put32(p + 4, (uint32_t)v);
}

uint32_t bbf_get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

uint64_t bbf_get64(const uint8_t *p)
{
	return (uint64_t)bbf_get32(p) << 32 | bbf_get32(p + 4);
}

static void header(uint8_t *h, uint8_t type, size_t ct_len, const uint8_t *cid,
		   uint64_t nonce_ts)
{
	put32(h, WIRE_MAGIC);
	h[4] = WIRE_VERSION;
	h[5] = type;
	h[6] = (uint8_t)(ct_len >> 8);
	h[7] = (uint8_t)ct_len;
	memcpy(h + 8, cid, WIRE_CLIENT_ID_LEN);
	put64(h + 16, nonce_ts);
}

static void aead_nonce(uint8_t n[WIRE_NONCE_LEN], const uint8_t *cid,
		       uint64_t nonce_ts)
{
	memcpy(n, cid, 4);
	put64(n + 4, nonce_ts);
}

int bbf_seal(const uint8_t key[static WIRE_KEY_LEN],
	     const uint8_t cid[static WIRE_CLIENT_ID_LEN], uint64_t nonce_ts,
	     uint8_t type, const uint8_t *pt, size_t pt_len, uint8_t *out,
	     size_t cap)
{
	size_t len = WIRE_HEADER_LEN + pt_len + WIRE_TAG_LEN;
	if (len > cap || len > WIRE_MAX_DATAGRAM)
		return -ENOBUFS;
	uint8_t n[WIRE_NONCE_LEN];
	header(out, type, pt_len + WIRE_TAG_LEN, cid, nonce_ts);
	aead_nonce(n, cid, nonce_ts);
	unsigned long long clen = 0;
	crypto_aead_chacha20poly1305_ietf_encrypt(
		out + WIRE_HEADER_LEN, &clen, pt, pt_len, out, WIRE_HEADER_LEN,
		NULL, n, key);
	return (int)len;
}

int bbf_open(const uint8_t key[static WIRE_KEY_LEN], const uint8_t *pkt,
	     size_t len, uint8_t *pt, size_t *pt_len, uint8_t *type)
{
	if (len < WIRE_MIN_PACKET || bbf_get32(pkt) != WIRE_MAGIC ||
	    pkt[4] != WIRE_VERSION ||
	    ((size_t)pkt[6] << 8 | pkt[7]) != len - WIRE_HEADER_LEN)
		return -EBADMSG;
	uint8_t n[WIRE_NONCE_LEN];
	aead_nonce(n, pkt + 8, bbf_get64(pkt + 16));
	unsigned long long plen = 0;
	if (crypto_aead_chacha20poly1305_ietf_decrypt(
		    pt, &plen, NULL, pkt + WIRE_HEADER_LEN,
		    len - WIRE_HEADER_LEN, pkt, WIRE_HEADER_LEN, n, key) < 0)
		return -EBADMSG;
	*pt_len = (size_t)plen;
	*type = pkt[5];
	return 0;
}

size_t bbf_knock(uint8_t *pt, uint64_t unix_time)
{
	put64(pt, unix_time);
	return 8;
}

size_t bbf_echo(uint8_t *pt, uint32_t seq, uint32_t ns_low, uint64_t token)
{
	put32(pt, seq);
	put32(pt + 4, ns_low);
	put64(pt + 8, token);
	return 16;
}

size_t bbf_tp_start(uint8_t *pt, uint32_t test_id, uint32_t bytes, uint32_t ms)
{
	put32(pt, test_id);
	put32(pt + 4, bytes);
	put32(pt + 8, ms);
	return 12;
}

size_t bbf_tp_end(uint8_t *pt, uint32_t test_id, uint32_t total)
{
	put32(pt, test_id);
	put32(pt + 4, total);
	return 8;
}

size_t bbf_download(uint8_t *pt, uint32_t test_id, uint32_t bytes,
		    uint32_t rate_kbps)
{
	put32(pt, test_id);
	put32(pt + 4, bytes);
	put32(pt + 8, rate_kbps);
	return 12;
}

size_t bbf_bloat_start(uint8_t *pt, uint32_t test_id, uint8_t kind)
{
	put32(pt, test_id);
	pt[4] = kind;
	pt[5] = pt[6] = pt[7] = 0;
	return 8;
}

size_t bbf_bloat_end(uint8_t *pt, uint32_t test_id)
{
	put32(pt, test_id);
	return 4;
}

/* Rule 8: every request but KNOCK and THROUGHPUT_DATA carries the cookie. */
static int takes_cookie(uint8_t type)
{
	return type != WIRE_KNOCK && type != WIRE_THROUGHPUT_DATA;
}

int bbf_client_seal(struct bbf_client *c, uint8_t type, const uint8_t *fields,
		    size_t flen, size_t pad_len, uint8_t *out, size_t cap)
{
	static uint8_t pt[WIRE_MAX_DATAGRAM];
	size_t n = flen;
	int cookie = c->have_cookie && takes_cookie(type);
	if (flen + (cookie ? BBF_COOKIE_LEN : 0) + pad_len > WIRE_MAX_PLAIN)
		return -ENOBUFS;
	memcpy(pt, fields, flen);
	if (cookie) {
		memcpy(pt + n, c->cookie, BBF_COOKIE_LEN);
		n += BBF_COOKIE_LEN;
	}
	randombytes_buf(pt + n, pad_len);
	n += pad_len;
	return bbf_seal(c->key, c->cid, bbf_next_nonce(c), type, pt, n, out,
			cap);
}

int bbf_client_knock(struct bbf_client *c, uint8_t *out, size_t cap)
{
	uint8_t f[8];
	size_t n = bbf_knock(f, bbf_now_ns() / 1000000000ULL);
	return bbf_client_seal(c, WIRE_KNOCK, f, n,
			       BBF_KNOCK_LEN - n - WIRE_MIN_PACKET, out, cap);
}

void bbf_take_ack(struct bbf_client *c, const uint8_t *pt, size_t pt_len,
		  int rev, uint32_t *session_id)
{
	if (session_id)
		*session_id = pt_len >= 4 ? bbf_get32(pt) : 0;
	if (rev >= 2 && pt_len >= 8 + BBF_COOKIE_LEN) {
		memcpy(c->cookie, pt + 8, BBF_COOKIE_LEN);
		c->have_cookie = 1;
	}
}

int bbf_raw_socket(void)
{
	int one = 1;
	int fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, IPPROTO_IP, IP_HDRINCL, &one, sizeof(one)) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	int sz = 4 << 20;
	setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz));
	return fd;
}

int bbf_raw_build(const struct sockaddr_in *src, const struct sockaddr_in *dst,
		  const void *payload, size_t len, uint8_t *out, size_t cap)
{
	size_t total = sizeof(struct iphdr) + sizeof(struct udphdr) + len;
	if (total > cap || total > 65535)
		return -ENOBUFS;
	struct iphdr *ip = (struct iphdr *)(void *)out;
	struct udphdr *udp = (struct udphdr *)(void *)(out + sizeof(*ip));
	memset(out, 0, sizeof(*ip) + sizeof(*udp));
	ip->version = 4;
	ip->ihl = 5;
	ip->ttl = 64;
	ip->protocol = IPPROTO_UDP;
	ip->tot_len = htons((uint16_t)total); /* the kernel fills it too */
	ip->saddr = src->sin_addr.s_addr;
	ip->daddr = dst->sin_addr.s_addr;
	udp->source = src->sin_port;
	udp->dest = dst->sin_port;
	udp->len = htons((uint16_t)(sizeof(*udp) + len));
	udp->check = 0; /* IPv4 UDP without checksum */
	memcpy(out + sizeof(*ip) + sizeof(*udp), payload, len);
	return (int)total;
}

int bbf_raw_send(int fd, const struct sockaddr_in *src,
		 const struct sockaddr_in *dst, const void *payload, size_t len)
{
	static uint8_t buf[65536];
	int n = bbf_raw_build(src, dst, payload, len, buf, sizeof(buf));
	if (n < 0)
		return n;
	if (sendto(fd, buf, (size_t)n, 0, (const struct sockaddr *)dst,
		   sizeof(*dst)) < 0)
		return -errno;
	return 0;
}

int bbf_udp_bind(struct sockaddr_in *sa)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	int sz = 8 << 20;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	socklen_t sl = sizeof(*sa);
	if (bind(fd, (struct sockaddr *)sa, sizeof(*sa)) < 0 ||
	    getsockname(fd, (struct sockaddr *)sa, &sl) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	return fd;
}

void bbf_count(int fd, int ms, uint64_t *bytes, uint64_t *pkts)
{
	static uint8_t buf[65536];
	int64_t end = bbf_mono_ms() + ms;
	for (;;) {
		int left = (int)(end - bbf_mono_ms());
		if (left < 0)
			left = 0;
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int k = poll(&p, 1, left);
		if (k <= 0 && left == 0)
			return;
		if (k <= 0)
			continue;
		for (;;) {
			ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
			if (n < 0)
				break;
			*bytes += (uint64_t)n;
			*pkts += 1;
		}
	}
}

int bbf_recv(int fd, uint8_t *buf, size_t cap, int ms)
{
	int64_t end = bbf_mono_ms() + ms;
	for (;;) {
		int left = (int)(end - bbf_mono_ms());
		if (left < 0)
			left = 0;
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int k = poll(&p, 1, left);
		if (k > 0) {
			ssize_t n = recv(fd, buf, cap, MSG_DONTWAIT);
			if (n >= 0)
				return (int)n;
		}
		if (left == 0)
			return -ETIMEDOUT;
	}
}

int64_t bbf_proc_cpu_ns(int pid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	DIR *d = opendir(path);
	if (!d)
		return -1;
	int64_t total = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char p[300];
		snprintf(p, sizeof(p), "/proc/%d/task/%s/schedstat", pid,
			 e->d_name);
		FILE *f = fopen(p, "r");
		long long ns = 0;
		if (f) {
			if (fscanf(f, "%lld", &ns) == 1)
				total += ns;
			fclose(f);
		}
	}
	closedir(d);
	return total;
}
