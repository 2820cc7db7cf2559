/* SPDX-License-Identifier: MIT */
/*
 * Test client (see bbclient.h).  Nonces come from proto's generator in the
 * client direction (even), so the server's replay window sees exactly what
 * a real client would send.
 */
#include "tests/lib/bbclient.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

struct bbclient {
	int fd;
	struct sockaddr_in srv;
	uint8_t key[WIRE_KEY_LEN];
	uint8_t cid[WIRE_CLIENT_ID_LEN];
	struct wire_nonce nonce;
	uint8_t cookie[WIRE_COOKIE_LEN]; /* from the last KNOCK_ACK */
	int have_cookie;
	uint8_t last[WIRE_MAX_DATAGRAM];
	size_t last_len;
	uint8_t rx[WIRE_MAX_DATAGRAM + 1];
	uint8_t scratch[WIRE_MAX_DATAGRAM];
};

int64_t bbclient_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct bbclient *bbclient_new(const char *local_ip, const char *server,
			      const uint8_t key[static WIRE_KEY_LEN],
			      const uint8_t *cid)
{
	char host[64];
	const char *colon = strrchr(server, ':');
	if (!colon || (size_t)(colon - server) >= sizeof(host)) {
		errno = EINVAL;
		return NULL;
	}
	memcpy(host, server, (size_t)(colon - server));
	host[colon - server] = '\0';
	struct bbclient *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->srv.sin_family = AF_INET;
	c->srv.sin_port = htons((uint16_t)atoi(colon + 1));
	struct sockaddr_in me = { .sin_family = AF_INET };
	if (inet_pton(AF_INET, host, &c->srv.sin_addr) != 1 ||
	    inet_pton(AF_INET, local_ip, &me.sin_addr) != 1 ||
	    /* NETWORK RULE: loopback only */
	    (ntohl(c->srv.sin_addr.s_addr) >> 24) != 127 ||
	    (ntohl(me.sin_addr.s_addr) >> 24) != 127) {
		free(c);
		errno = EINVAL;
		return NULL;
	}
	c->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0 || bind(c->fd, (struct sockaddr *)&me, sizeof(me)) < 0) {
		int e = errno;
		if (c->fd >= 0)
			close(c->fd);
		free(c);
		errno = e;
		return NULL;
	}
	int sz = 4 << 20;
	setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	memcpy(c->key, key, WIRE_KEY_LEN);
	if (cid)
		memcpy(c->cid, cid, WIRE_CLIENT_ID_LEN);
	else
		randombytes_buf(c->cid, WIRE_CLIENT_ID_LEN);
	wire_nonce_init(&c->nonce, WIRE_DIR_C2S);
	return c;
}

void bbclient_free(struct bbclient *c)
{
	if (!c)
		return;
	close(c->fd);
	sodium_memzero(c->key, sizeof(c->key));
	free(c);
}

const uint8_t *bbclient_cid(const struct bbclient *c)
{
	return c->cid;
}

int bbclient_fd(const struct bbclient *c)
{
	return c->fd;
}

int bbclient_send_raw(struct bbclient *c, const void *buf, size_t len)
{
	if (sendto(c->fd, buf, len, 0, (struct sockaddr *)&c->srv,
		   sizeof(c->srv)) < 0)
		return -errno;
	return (int)len;
}

/* m with the session's cookie when it carries one and has none yet. */
static const struct wire_msg *with_cookie(const struct bbclient *c,
					  const struct wire_msg *m,
					  struct wire_msg *tmp)
{
	if (!c->have_cookie || m->has_cookie ||
	    !wire_type_has_cookie(m->type) ||
	    wire_type_dir(m->type) != WIRE_DIR_C2S)
		return m;
	*tmp = *m;
	tmp->has_cookie = 1;
	memcpy(tmp->cookie, c->cookie, WIRE_COOKIE_LEN);
	return tmp;
}

void bbclient_set_cookie(struct bbclient *c, const uint8_t *cookie)
{
	c->have_cookie = cookie != NULL;
	if (cookie)
		memcpy(c->cookie, cookie, WIRE_COOKIE_LEN);
}

const uint8_t *bbclient_cookie(const struct bbclient *c)
{
	return c->have_cookie ? c->cookie : NULL;
}

int bbclient_send_nonce(struct bbclient *c, const struct wire_msg *m,
			uint64_t nonce_ts, size_t pad_len)
{
	struct wire_msg tmp;
	int len = wire_seal(c->key, c->cid, nonce_ts, with_cookie(c, m, &tmp),
			    NULL, pad_len, c->last, sizeof(c->last));
	if (len < 0)
		return len;
	c->last_len = (size_t)len;
	return bbclient_send_raw(c, c->last, (size_t)len);
}

int bbclient_send(struct bbclient *c, const struct wire_msg *m, size_t pad_len)
{
	uint64_t n = wire_nonce_next(&c->nonce, (uint64_t)bbclient_now_ns());
	return bbclient_send_nonce(c, m, n, pad_len);
}

int bbclient_seal(struct bbclient *c, const struct wire_msg *m, size_t pad_len,
		  uint8_t *out, size_t cap)
{
	uint64_t n = wire_nonce_next(&c->nonce, (uint64_t)bbclient_now_ns());
	struct wire_msg tmp;
	return wire_seal(c->key, c->cid, n, with_cookie(c, m, &tmp), NULL,
			 pad_len, out, cap);
}

const uint8_t *bbclient_last(const struct bbclient *c, size_t *len)
{
	*len = c->last_len;
	return c->last;
}

/* One datagram within timeout_ms into c->rx: its length, or -ETIMEDOUT. */
static ssize_t recv_one(struct bbclient *c, int timeout_ms)
{
	int64_t end = mono_ms() + timeout_ms;
	for (;;) {
		int left = (int)(end - mono_ms());
		if (left < 0)
			left = 0;
		struct pollfd p = { .fd = c->fd, .events = POLLIN };
		int k = poll(&p, 1, left);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -ETIMEDOUT;
		ssize_t n = recv(c->fd, c->rx, sizeof(c->rx), MSG_DONTWAIT);
		if (n >= 0)
			return n;
		if (errno != EAGAIN && errno != EINTR)
			return -errno;
	}
}

int bbclient_recv(struct bbclient *c, struct wire_msg *m, size_t *len,
		  int timeout_ms)
{
	ssize_t n = recv_one(c, timeout_ms);
	if (n < 0)
		return (int)n;
	if (len)
		*len = (size_t)n;
	struct wire_header h;
	if (wire_peek(c->rx, (size_t)n, &h) < 0 ||
	    wire_check_dir(&h, WIRE_DIR_S2C, 1) < 0 ||
	    memcmp(h.client_id, c->cid, WIRE_CLIENT_ID_LEN) != 0)
		return -EBADMSG;
	if (wire_open(c->key, c->rx, (size_t)n, c->scratch, sizeof(c->scratch),
		      &h, m) < 0)
		return -EBADMSG;
	return 0;
}

size_t bbclient_drain(struct bbclient *c, int timeout_ms)
{
	size_t total = 0;
	int64_t end = mono_ms() + timeout_ms;
	for (;;) {
		int left = (int)(end - mono_ms());
		if (left <= 0)
			return total;
		ssize_t n = recv_one(c, left);
		if (n >= 0)
			total += (size_t)n + (n == 0); /* count empty ones */
		else if (n == -ETIMEDOUT)
			return total;
	}
}

int bbclient_knock(struct bbclient *c, struct wire_msg *ack, int timeout_ms)
{
	struct wire_msg k = { .type = WIRE_KNOCK };
	k.u.knock.unix_time = (uint64_t)(bbclient_now_ns() / 1000000000LL);
	/* padded so the ACK, never larger than the KNOCK, fits its cookie */
	int rc = bbclient_send(c, &k, WIRE_COOKIE_LEN);
	if (rc < 0)
		return rc;
	rc = bbclient_recv(c, ack, NULL, timeout_ms);
	if (rc == 0 && ack->type != WIRE_KNOCK_ACK)
		return -EPROTO;
	if (rc == 0)
		bbclient_set_cookie(c, ack->has_cookie ? ack->cookie : NULL);
	return rc;
}
