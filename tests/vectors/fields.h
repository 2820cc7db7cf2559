/* SPDX-License-Identifier: MIT */
/*
 * Test-only: the names under which tests/vectors/wire_v1.txt spells each
 * packet type's fields, and where each one lives in struct wire_msg.  Shared
 * by gen_vectors.c (printing) and tests/unit/test_wire.c (parsing, checking)
 * so the two always agree; the byte layout itself is checked independently
 * (raw libsodium in test_wire.c, check_vectors.py with OpenSSL).
 */
#ifndef BB_TESTS_VECTOR_FIELDS_H
#define BB_TESTS_VECTOR_FIELDS_H

#include <stddef.h>
#include <stdint.h>

#include "proto/wire.h"

/* VF_COOKIE: the revision-2 cookie, WIRE_COOKIE_LEN bytes in hex. */
enum {
	VF_U8 = 1,
	VF_U32 = 4,
	VF_U64 = 8,
	VF_COOKIE = WIRE_COOKIE_LEN,
	VF_DATA = 100,
	VF_TEXT = 101
};

struct vec_field {
	uint8_t type;
	const char *name;
	size_t off; /* offsetof(struct wire_msg, ...) */
	int kind;   /* VF_*: integer width, wire_data bytes or error text */
};

#define VF(t, n, member, k)                                                    \
	{                                                                      \
		t, n, offsetof(struct wire_msg, u.member), k                   \
	}
/* has_cookie and cookie of a type that carries one (revision 2). */
#define VFC(t)                                                                 \
	{ t, "has_cookie", offsetof(struct wire_msg, has_cookie), VF_U8 },     \
	{                                                                      \
		t, "cookie", offsetof(struct wire_msg, cookie), VF_COOKIE      \
	}

static const struct vec_field vec_fields[] = {
	VF(WIRE_KNOCK, "unix_time", knock.unix_time, VF_U64),
	VF(WIRE_KNOCK_ACK, "session_id", knock_ack.session_id, VF_U32),
	VF(WIRE_KNOCK_ACK, "valid_until", knock_ack.valid_until, VF_U32),
	VFC(WIRE_KNOCK_ACK),
	VF(WIRE_ECHO_REQUEST, "seq", echo_request.seq, VF_U32),
	VF(WIRE_ECHO_REQUEST, "client_send_ns_low",
	   echo_request.client_send_ns_low, VF_U32),
	VF(WIRE_ECHO_REQUEST, "token", echo_request.token, VF_U64),
	VFC(WIRE_ECHO_REQUEST),
	VF(WIRE_ECHO_REPLY, "seq", echo_reply.seq, VF_U32),
	VF(WIRE_ECHO_REPLY, "client_send_ns_low", echo_reply.client_send_ns_low,
	   VF_U32),
	VF(WIRE_ECHO_REPLY, "token", echo_reply.token, VF_U64),
	VF(WIRE_ECHO_REPLY, "server_rx_ns", echo_reply.server_rx_ns, VF_U64),
	VF(WIRE_ECHO_REPLY, "server_tx_ns", echo_reply.server_tx_ns, VF_U64),
	VF(WIRE_ECHO_REPLY, "has_ext", echo_reply.has_ext, VF_U8),
	VF(WIRE_ECHO_REPLY, "requests_seen", echo_reply.requests_seen, VF_U32),
	VF(WIRE_ECHO_REPLY, "highest_seq", echo_reply.highest_seq, VF_U32),
	VF(WIRE_THROUGHPUT_START, "test_id", throughput_start.test_id, VF_U32),
	VF(WIRE_THROUGHPUT_START, "target_bytes", throughput_start.target_bytes,
	   VF_U32),
	VF(WIRE_THROUGHPUT_START, "expected_ms", throughput_start.expected_ms,
	   VF_U32),
	VFC(WIRE_THROUGHPUT_START),
	VF(WIRE_THROUGHPUT_DATA, "test_id", throughput_data.test_id, VF_U32),
	VF(WIRE_THROUGHPUT_DATA, "chunk_seq", throughput_data.chunk_seq,
	   VF_U32),
	VF(WIRE_THROUGHPUT_DATA, "data", throughput_data, VF_DATA),
	VF(WIRE_THROUGHPUT_END, "test_id", throughput_end.test_id, VF_U32),
	VF(WIRE_THROUGHPUT_END, "total_bytes_sent",
	   throughput_end.total_bytes_sent, VF_U32),
	VFC(WIRE_THROUGHPUT_END),
	VF(WIRE_THROUGHPUT_STATS, "test_id", throughput_stats.test_id, VF_U32),
	VF(WIRE_THROUGHPUT_STATS, "bytes_rx", throughput_stats.bytes_rx,
	   VF_U32),
	VF(WIRE_THROUGHPUT_STATS, "duration_ms", throughput_stats.duration_ms,
	   VF_U32),
	VF(WIRE_THROUGHPUT_STATS, "kbps", throughput_stats.kbps, VF_U32),
	VF(WIRE_THROUGHPUT_STATS, "packets_rx", throughput_stats.packets_rx,
	   VF_U32),
	VF(WIRE_THROUGHPUT_STATS, "packets_lost", throughput_stats.packets_lost,
	   VF_U32),
	VF(WIRE_DOWNLOAD_REQUEST, "test_id", download_request.test_id, VF_U32),
	VF(WIRE_DOWNLOAD_REQUEST, "bytes", download_request.bytes, VF_U32),
	VF(WIRE_DOWNLOAD_REQUEST, "rate_kbps", download_request.rate_kbps,
	   VF_U32),
	VFC(WIRE_DOWNLOAD_REQUEST),
	VF(WIRE_DOWNLOAD_DATA, "test_id", download_data.test_id, VF_U32),
	VF(WIRE_DOWNLOAD_DATA, "chunk_seq", download_data.chunk_seq, VF_U32),
	VF(WIRE_DOWNLOAD_DATA, "data", download_data, VF_DATA),
	VF(WIRE_DOWNLOAD_END, "test_id", download_end.test_id, VF_U32),
	VF(WIRE_DOWNLOAD_END, "total_bytes_sent", download_end.total_bytes_sent,
	   VF_U32),
	VF(WIRE_DOWNLOAD_END, "has_ext", download_end.has_ext, VF_U8),
	VF(WIRE_DOWNLOAD_END, "chunks_sent", download_end.chunks_sent, VF_U32),
	VF(WIRE_BUFFERBLOAT_START, "test_id", bufferbloat_start.test_id,
	   VF_U32),
	VF(WIRE_BUFFERBLOAT_START, "kind", bufferbloat_start.kind, VF_U8),
	VFC(WIRE_BUFFERBLOAT_START),
	VF(WIRE_BUFFERBLOAT_END, "test_id", bufferbloat_end.test_id, VF_U32),
	VFC(WIRE_BUFFERBLOAT_END),
	VF(WIRE_ERROR, "code", error.code, VF_U8),
	VF(WIRE_ERROR, "message", error.message, VF_TEXT),
};

#define VEC_NFIELDS (sizeof(vec_fields) / sizeof(vec_fields[0]))

#endif
