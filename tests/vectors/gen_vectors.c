/* SPDX-License-Identifier: MIT */
/*
 * Generator for tests/vectors/wire_v1.txt (not built by default).  Run once
 * when the protocol changes, review the diff, and check the output in:
 *
 *   gcc -std=c11 -D_GNU_SOURCE -I. tests/vectors/gen_vectors.c proto/wire.c \
 *       -lsodium -o /tmp/gen_vectors && /tmp/gen_vectors \
 *       > tests/vectors/wire_v1.txt
 *   python3 tests/vectors/check_vectors.py tests/vectors/wire_v1.txt
 *
 * Everything is deterministic: a fixed key (RFC 8439 §2.8.2's), client_id,
 * nonce_ts and padding bytes.  Format: a "key" and "client_id" line, then one
 * block per vector ("vector NAME" ... "end") holding type, nonce_ts, one
 * "field NAME VALUE" line per field (integers in decimal, data and message
 * in hex), pad, plaintext and packet in hex ("-" = empty).
 */
#include "proto/wire.h"

#include <stdio.h>
#include <string.h>

#include "tests/vectors/fields.h"

static const uint8_t key[WIRE_KEY_LEN] = {
	0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a,
	0x8b, 0x8c, 0x8d, 0x8e, 0x8f, 0x90, 0x91, 0x92, 0x93, 0x94, 0x95,
	0x96, 0x97, 0x98, 0x99, 0x9a, 0x9b, 0x9c, 0x9d, 0x9e, 0x9f,
};
static const uint8_t cid[WIRE_CLIENT_ID_LEN] = { 0xd1, 0xe2, 0xc3, 0xb4,
						 0xa5, 0x96, 0x87, 0x78 };
static const uint8_t payload[] = "Bufferbane test chunk \x00\x01\x02\xff";

static void hex(const char *label, const uint8_t *p, size_t n)
{
	if (*label)
		printf("%s ", label);
	if (!n)
		printf("-");
	for (size_t i = 0; i < n; i++)
		printf("%02x", p[i]);
	printf("\n");
}

static void emit(const char *name, uint64_t ts, const struct wire_msg *m,
		 size_t pad_len)
{
	uint8_t pad[WIRE_MAX_PAD], pkt[2048], pt[2048];
	int n;

	for (size_t i = 0; i < pad_len; i++)
		pad[i] = (uint8_t)(i * 37 + m->type);
	n = wire_seal(key, cid, ts, m, pad, pad_len, pkt, sizeof(pkt));
	if (n < 0) {
		fprintf(stderr, "%s: seal failed %d\n", name, n);
		return;
	}
	printf("\nvector %s\ntype 0x%02x\nnonce_ts %llu\n", name, m->type,
	       (unsigned long long)ts);
	for (size_t i = 0; i < VEC_NFIELDS; i++) {
		const struct vec_field *f = &vec_fields[i];
		const uint8_t *p = (const uint8_t *)m + f->off;
		uint32_t u32;
		uint64_t u64;

		if (f->type != m->type)
			continue;
		printf("field %s ", f->name);
		switch (f->kind) {
		case VF_U8:
			printf("%u\n", *p);
			break;
		case VF_U32:
			memcpy(&u32, p, 4);
			printf("%u\n", u32);
			break;
		case VF_U64:
			memcpy(&u64, p, 8);
			printf("%llu\n", (unsigned long long)u64);
			break;
		case VF_DATA: {
			const struct wire_data *d = (const void *)p;

			hex("", d->data, d->data_len);
			break;
		}
		case VF_TEXT:
			hex("", p, strlen((const char *)p));
			break;
		case VF_COOKIE:
			hex("", p, WIRE_COOKIE_LEN);
			break;
		}
	}
	n = wire_encode(m, pt, sizeof(pt));
	memcpy(pt + n, pad, pad_len);
	hex("pad", pad, pad_len);
	hex("plaintext", pt, (size_t)n + pad_len);
	hex("packet", pkt,
	    (size_t)(WIRE_HEADER_LEN + n + pad_len + WIRE_TAG_LEN));
	printf("end\n");
}

int main(void)
{
	const uint64_t t0 = 1700000000000000000ULL; /* 2023-11-14 */
	/* The server's cookie from KNOCK_ACK, carried by every request. */
	static const uint8_t cookie[WIRE_COOKIE_LEN] = {
		0xc0, 0x0c, 0x1e, 0x5e, 0xc7, 0xe7, 0x00, 0x01,
		0x02, 0x03, 0xfe, 0xed, 0xfa, 0xce, 0xb0, 0x0b,
	};
	struct wire_msg m;

	if (wire_init() < 0)
		return 1;
	printf("# Bufferbane wire protocol v1 test vectors, "
	       "revision 2 (tests/vectors/gen_vectors.c)\n");
	hex("key", key, sizeof(key));
	hex("client_id", cid, sizeof(cid));

#define NEW(t)	 (memset(&m, 0, sizeof(m)), m.type = (t))
#define COOKIE() (m.has_cookie = 1, memcpy(m.cookie, cookie, sizeof(cookie)))
	NEW(WIRE_KNOCK);
	m.u.knock.unix_time = 1700000000;
	emit("knock", t0, &m, 5);

	NEW(WIRE_KNOCK_ACK);
	COOKIE();
	m.u.knock_ack.session_id = 0xdeadbeef;
	m.u.knock_ack.valid_until = 1700000300;
	emit("knock_ack", t0 + 1001, &m, 0);

	NEW(WIRE_ECHO_REQUEST);
	COOKIE();
	m.u.echo_request.seq = 42;
	m.u.echo_request.client_send_ns_low = 0x89abcdef;
	m.u.echo_request.token = 0x0123456789abcdefULL;
	emit("echo_request", t0 + 2000, &m, 13);

	NEW(WIRE_ECHO_REPLY);
	m.u.echo_reply.seq = 42;
	m.u.echo_reply.client_send_ns_low = 0x89abcdef;
	m.u.echo_reply.token = 0x0123456789abcdefULL;
	m.u.echo_reply.server_rx_ns = t0 + 2500;
	m.u.echo_reply.server_tx_ns = t0 + 2600;
	emit("echo_reply_plain", t0 + 2701, &m, 3);
	m.u.echo_reply.has_ext = 1;
	m.u.echo_reply.requests_seen = 40;
	m.u.echo_reply.highest_seq = 42;
	emit("echo_reply_ext", t0 + 2801, &m, 7);

	NEW(WIRE_THROUGHPUT_START);
	COOKIE();
	m.u.throughput_start.test_id = 7;
	m.u.throughput_start.target_bytes = 10000000;
	m.u.throughput_start.expected_ms = 5000;
	emit("throughput_start_maxpad", t0 + 3000, &m, WIRE_MAX_PAD);

	NEW(WIRE_THROUGHPUT_DATA);
	m.u.throughput_data.test_id = 7;
	m.u.throughput_data.chunk_seq = 1;
	m.u.throughput_data.data = payload;
	m.u.throughput_data.data_len = sizeof(payload) - 1;
	emit("throughput_data", t0 + 4000, &m, 0);

	NEW(WIRE_THROUGHPUT_END);
	COOKIE();
	m.u.throughput_end.test_id = 7;
	m.u.throughput_end.total_bytes_sent = 10000000;
	emit("throughput_end", t0 + 5000, &m, 1);

	NEW(WIRE_THROUGHPUT_STATS);
	m.u.throughput_stats.test_id = 7;
	m.u.throughput_stats.bytes_rx = 9998800;
	m.u.throughput_stats.duration_ms = 5012;
	m.u.throughput_stats.kbps = 15960;
	m.u.throughput_stats.packets_rx = 8332;
	m.u.throughput_stats.packets_lost = 1;
	emit("throughput_stats", t0 + 6001, &m, 17);

	NEW(WIRE_DOWNLOAD_REQUEST);
	COOKIE();
	m.u.download_request.test_id = 8;
	m.u.download_request.bytes = 25000000;
	m.u.download_request.rate_kbps = 0;
	emit("download_request", t0 + 7000, &m, 2);

	NEW(WIRE_DOWNLOAD_DATA);
	m.u.download_data.test_id = 8;
	m.u.download_data.chunk_seq = 0xffffffff;
	emit("download_data_empty", t0 + 8001, &m, 0);

	NEW(WIRE_DOWNLOAD_END);
	m.u.download_end.test_id = 8;
	m.u.download_end.total_bytes_sent = 25000000;
	m.u.download_end.has_ext = 1;
	m.u.download_end.chunks_sent = 21720;
	emit("download_end", t0 + 9001, &m, 9);

	NEW(WIRE_BUFFERBLOAT_START);
	COOKIE();
	m.u.bufferbloat_start.test_id = 9;
	m.u.bufferbloat_start.kind = WIRE_BLOAT_BOTH;
	emit("bufferbloat_start", t0 + 10000, &m, 4);

	NEW(WIRE_BUFFERBLOAT_END);
	COOKIE();
	m.u.bufferbloat_end.test_id = 9;
	emit("bufferbloat_end", t0 + 11000, &m, 0);

	NEW(WIRE_ERROR);
	m.u.error.code = WIRE_ERR_RATE_LIMIT;
	strcpy(m.u.error.message, "rate limit exceeded");
	emit("error", t0 + 12001, &m, 0);
	return 0;
}
