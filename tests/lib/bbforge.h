/* SPDX-License-Identifier: MIT */
/*
 * Attack and load tools' half of the wire protocol, written from
 * design/PROTOCOL.md (revision 2) with libsodium alone: proto/wire.h is
 * used for its constants only, so these tools keep speaking the page's
 * layout while the server's own encoder changes.  Sealing, opening, field
 * encoding with the revision-2 cookie (fixed fields, then cookie[16], then
 * padding), and forged IPv4/UDP datagrams through an IP_HDRINCL raw socket.
 * Loopback only: every address parsed here must be in 127.0.0.0/8.
 */
#ifndef BB_TESTS_BBFORGE_H
#define BB_TESTS_BBFORGE_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/wire.h"

#define BBF_COOKIE_LEN 16
#define BBF_KNOCK_LEN  120 /* our KNOCK datagram: room for a rev-2 ACK */

/* A client identity: key, client_id, even nonce sequence, and the cookie
 * of its session (rev 2; have_cookie 0 = send requests without one). */
struct bbf_client {
	uint8_t key[WIRE_KEY_LEN];
	uint8_t cid[WIRE_CLIENT_ID_LEN];
	uint64_t last_nonce;
	uint8_t cookie[BBF_COOKIE_LEN];
	int have_cookie;
};

/* libsodium up; 0 or -EIO. */
int bbf_init(void);
/* Wall clock ns. */
uint64_t bbf_now_ns(void);
/* Monotonic ms. */
int64_t bbf_mono_ms(void);
/* Key file (64 hex digits, whitespace around) into key; 0 or -errno. */
int bbf_load_key(const char *path, uint8_t key[static WIRE_KEY_LEN]);
/* "127.x.y.z:port" into sa; -EINVAL unless loopback. */
int bbf_parse_addr(const char *text, struct sockaddr_in *sa);
/* A client with a random client_id (or cid when not NULL). */
void bbf_client_init(struct bbf_client *c, const uint8_t key[WIRE_KEY_LEN],
		     const uint8_t *cid);
/* The next even nonce_ts: max(now, last + 2). */
uint64_t bbf_next_nonce(struct bbf_client *c);

/* Seal plaintext pt (fields, extensions and padding already in it) as one
 * datagram of `type` into out; its length or -ENOBUFS. */
int bbf_seal(const uint8_t key[static WIRE_KEY_LEN],
	     const uint8_t cid[static WIRE_CLIENT_ID_LEN], uint64_t nonce_ts,
	     uint8_t type, const uint8_t *pt, size_t pt_len, uint8_t *out,
	     size_t cap);
/* Authenticate and decrypt a datagram: plaintext into pt (cap >= len-40),
 * *type and *pt_len set; 0 or -EBADMSG. */
int bbf_open(const uint8_t key[static WIRE_KEY_LEN], const uint8_t *pkt,
	     size_t len, uint8_t *pt, size_t *pt_len, uint8_t *type);

/* Encoders of a request's fixed fields into pt (>= 32 bytes); each returns
 * the length.  bbf_client_seal appends the cookie (when the client has one
 * and the type takes one) and pad_len random bytes, then seals. */
size_t bbf_knock(uint8_t *pt, uint64_t unix_time);
size_t bbf_echo(uint8_t *pt, uint32_t seq, uint32_t ns_low, uint64_t token);
size_t bbf_tp_start(uint8_t *pt, uint32_t test_id, uint32_t bytes, uint32_t ms);
size_t bbf_tp_end(uint8_t *pt, uint32_t test_id, uint32_t total);
size_t bbf_download(uint8_t *pt, uint32_t test_id, uint32_t bytes,
		    uint32_t rate_kbps);
size_t bbf_bloat_start(uint8_t *pt, uint32_t test_id, uint8_t kind);
size_t bbf_bloat_end(uint8_t *pt, uint32_t test_id);
int bbf_client_seal(struct bbf_client *c, uint8_t type, const uint8_t *fields,
		    size_t flen, size_t pad_len, uint8_t *out, size_t cap);
/* A KNOCK of BBF_KNOCK_LEN bytes with the current time. */
int bbf_client_knock(struct bbf_client *c, uint8_t *out, size_t cap);
/* Read a KNOCK_ACK plaintext: session id, and the cookie when rev >= 2
 * (a plaintext too short for one keeps have_cookie 0). */
void bbf_take_ack(struct bbf_client *c, const uint8_t *pt, size_t pt_len,
		  int rev, uint32_t *session_id);

/* Big-endian readers. */
uint32_t bbf_get32(const uint8_t *p);
uint64_t bbf_get64(const uint8_t *p);

/* Raw IPv4 socket with IP_HDRINCL (root); fd or -errno. */
int bbf_raw_socket(void);
/* IPv4 + UDP headers (checksum 0 = none) around payload into out; the
 * datagram's length or -ENOBUFS. */
int bbf_raw_build(const struct sockaddr_in *src, const struct sockaddr_in *dst,
		  const void *payload, size_t len, uint8_t *out, size_t cap);
/* Build and send one forged datagram; 0 or -errno. */
int bbf_raw_send(int fd, const struct sockaddr_in *src,
		 const struct sockaddr_in *dst, const void *payload,
		 size_t len);

/* A UDP socket bound to sa (port 0 = any; sa gets the port), 8 MB receive
 * buffer; fd or -errno. */
int bbf_udp_bind(struct sockaddr_in *sa);
/* Receive and count datagram payload bytes on fd for ms milliseconds
 * (added to *bytes and *pkts). */
void bbf_count(int fd, int ms, uint64_t *bytes, uint64_t *pkts);
/* One datagram within ms: its length, or -ETIMEDOUT. */
int bbf_recv(int fd, uint8_t *buf, size_t cap, int ms);

/* CPU time of a process (all threads, /proc/PID/task/?/schedstat), ns;
 * -1 when unreadable. */
int64_t bbf_proc_cpu_ns(int pid);

#endif
