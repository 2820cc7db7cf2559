/* SPDX-License-Identifier: MIT */
/*
 * A tiny Bufferbane client for tests and benchmarks (libc + proto/ only, no
 * cmocka): one UDP socket bound to a chosen loopback address, seal and send
 * any message with a fresh even nonce (or a chosen one), keep the last
 * datagram for replay tests, receive and open replies with a timeout.
 * Loopback only: bbclient_new refuses any other server address.
 */
#ifndef BB_TESTS_BBCLIENT_H
#define BB_TESTS_BBCLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "proto/wire.h"

struct bbclient;

/* Socket bound to local_ip (e.g. "127.0.0.2", port 0) talking to server
 * ("127.0.0.1:PORT"); cid NULL = random.  NULL on error (errno set). */
struct bbclient *bbclient_new(const char *local_ip, const char *server,
			      const uint8_t key[static WIRE_KEY_LEN],
			      const uint8_t *cid);
/* Close and free. */
void bbclient_free(struct bbclient *c);
/* This client's id. */
const uint8_t *bbclient_cid(const struct bbclient *c);
/* The socket (for poll loops in benchmarks). */
int bbclient_fd(const struct bbclient *c);
/* Revision 2: after bbclient_knock, every request that carries a cookie
 * (all but THROUGHPUT_DATA) is sealed with the ACK's cookie, unless m sets
 * has_cookie itself (tests of wrong cookies).  Set or clear it by hand
 * (NULL = none); bbclient_cookie: the current one or NULL. */
void bbclient_set_cookie(struct bbclient *c, const uint8_t *cookie);
const uint8_t *bbclient_cookie(const struct bbclient *c);
/* Seal m with a fresh even nonce_ts and pad_len random pad bytes, send it;
 * returns the datagram length or -errno. */
int bbclient_send(struct bbclient *c, const struct wire_msg *m, size_t pad_len);
/* Seal m with a fresh nonce into out without sending; length or -errno. */
int bbclient_seal(struct bbclient *c, const struct wire_msg *m, size_t pad_len,
		  uint8_t *out, size_t cap);
/* The same with a chosen nonce_ts (stale/future tests). */
int bbclient_send_nonce(struct bbclient *c, const struct wire_msg *m,
			uint64_t nonce_ts, size_t pad_len);
/* Send bytes as they are. */
int bbclient_send_raw(struct bbclient *c, const void *buf, size_t len);
/* The last datagram sent (valid until the next send). */
const uint8_t *bbclient_last(const struct bbclient *c, size_t *len);
/* Wait up to timeout_ms for one datagram and open it: 0 with m (and its
 * size in *len, if not NULL), -ETIMEDOUT, or -EBADMSG when it did not
 * authenticate or was not a server->client packet with an odd nonce.
 * DATA payloads in m point into the client's buffer until the next call. */
int bbclient_recv(struct bbclient *c, struct wire_msg *m, size_t *len,
		  int timeout_ms);
/* Bytes received in datagrams during timeout_ms (silence checks). */
size_t bbclient_drain(struct bbclient *c, int timeout_ms);
/* KNOCK (unix_time now, padded by the cookie's length) and wait for
 * KNOCK_ACK, whose cookie goes on later requests; 0 or -errno. */
int bbclient_knock(struct bbclient *c, struct wire_msg *ack, int timeout_ms);
/* Wall-clock ns (CLOCK_REALTIME). */
int64_t bbclient_now_ns(void);

#endif
