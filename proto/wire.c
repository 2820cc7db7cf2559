/* SPDX-License-Identifier: MIT */
/*
 * The Bufferbane wire protocol, version 1 (design/PROTOCOL.md).  This file
 * owns the byte layout of every packet, the AEAD around it and the nonce_ts
 * generator.  Invariants: nothing here does I/O, keeps global state or
 * allocates; every length is checked before a byte is read; a failed open
 * or decode writes nothing into the caller's header or message.
 *
 * Datagram (all integers big-endian):
 *
 *  0               4   5   6       8                       16                24
 *  +---------------+---+---+-------+-----------------------+-----------------+
 *  | magic "BFBN"  |ver|typ| len   | client_id (8 bytes)   | nonce_ts u64 ns |
 *  +---------------+---+---+-------+-----------------------+-----------------+
 *  | ciphertext (len - 16 bytes)                   ...      | tag (16 bytes) |
 *  +---------------------------------------------------------+---------------+
 *
 *  len        = ciphertext + tag = datagram size - 24 (checked exactly)
 *  AEAD       = ChaCha20-Poly1305 IETF (RFC 8439), key = 32-byte secret
 *  nonce (12) = client_id[0..4] || nonce_ts (8 bytes, big-endian)
 *  AD         = the 24 header bytes, as sent
 *  plaintext  = the type's fixed fields || 0-255 bytes of random padding
 *
 * Plaintext fields (offsets within the plaintext):
 *
 *  KNOCK              0 unix_time u64                                  (8)
 *  KNOCK_ACK          0 session_id u32, 4 valid_until u32              (8)
 *                     rev 2: 8 cookie[16]                              (+16)
 *  ECHO_REQUEST       0 seq u32, 4 client_send_ns_low u32, 8 token u64 (16)
 *  ECHO_REPLY         0 seq, 4 client_send_ns_low, 8 token u64,
 *                     16 server_rx_ns u64, 24 server_tx_ns u64         (32)
 *                     ext: 32 requests_seen u32, 36 highest_seq u32    (+8)
 *  THROUGHPUT_START   0 test_id, 4 target_bytes, 8 expected_ms        (12)
 *  THROUGHPUT_DATA    0 test_id, 4 chunk_seq, 8 data... (to the end)   (8+)
 *  THROUGHPUT_END     0 test_id, 4 total_bytes_sent                    (8)
 *  THROUGHPUT_STATS   0 test_id, 4 bytes_rx, 8 duration_ms, 12 kbps,
 *                     16 packets_rx, 20 packets_lost                   (24)
 *  DOWNLOAD_REQUEST   0 test_id, 4 bytes, 8 rate_kbps                  (12)
 *  DOWNLOAD_DATA      0 test_id, 4 chunk_seq, 8 data... (to the end)   (8+)
 *  DOWNLOAD_END       0 test_id, 4 total_bytes_sent                    (8)
 *                     ext: 8 chunks_sent u32                           (+4)
 *  BUFFERBLOAT_START  0 test_id, 4 kind u8 (1..3), 5 reserved[3] = 0   (8)
 *  BUFFERBLOAT_END    0 test_id                                        (4)
 *  ERROR              0 code u8, 1 message UTF-8... (to the end)       (1+)
 *
 * Revision 2: every request except THROUGHPUT_DATA (ECHO_REQUEST,
 * THROUGHPUT_START, THROUGHPUT_END, DOWNLOAD_REQUEST, BUFFERBLOAT_START,
 * BUFFERBLOAT_END) carries cookie[16] right after its fixed fields, as
 * KNOCK_ACK does; padding follows it.
 *
 * Size limit (rule 12): a datagram longer than header + fixed fields +
 * cookie + extensions + 255 pad + tag is refused by wire_peek, before the
 * AEAD; only DATA and ERROR may reach the 65 507-byte datagram maximum.
 *
 * DATA and ERROR run to the end of the plaintext, so they are sealed without
 * padding.  An extension is read whenever the plaintext is long enough to
 * hold it: a peer that pads a reply of the original layout by 8 or more
 * bytes is read as sending an extension, so callers sanity-check
 * extension values (e.g. highest_seq against the seq they sent).
 */
#include "proto/wire.h"

#include "proto/bytes.h"

#include <errno.h>
#include <string.h>

#include <sodium.h>

static const struct {
	uint8_t type;
	uint8_t dir;
	uint8_t fixed;	    /* bytes of fixed fields */
	uint8_t open_ended; /* last field runs to the end: no padding */
	uint8_t cookie;	    /* revision 2 cookie after the fixed fields */
	uint8_t ext;	    /* bytes of extensions after fixed fields */
	const char *name;
} wire_types[] = {
	{ WIRE_KNOCK, WIRE_DIR_C2S, 8, 0, 0, 0, "KNOCK" },
	{ WIRE_KNOCK_ACK, WIRE_DIR_S2C, 8, 0, 1, 0, "KNOCK_ACK" },
	{ WIRE_ECHO_REQUEST, WIRE_DIR_C2S, 16, 0, 1, 0, "ECHO_REQUEST" },
	{ WIRE_ECHO_REPLY, WIRE_DIR_S2C, 32, 0, 0, 8, "ECHO_REPLY" },
	{ WIRE_THROUGHPUT_START, WIRE_DIR_C2S, 12, 0, 1, 0,
	  "THROUGHPUT_START" },
	{ WIRE_THROUGHPUT_DATA, WIRE_DIR_C2S, 8, 1, 0, 0, "THROUGHPUT_DATA" },
	{ WIRE_THROUGHPUT_END, WIRE_DIR_C2S, 8, 0, 1, 0, "THROUGHPUT_END" },
	{ WIRE_THROUGHPUT_STATS, WIRE_DIR_S2C, 24, 0, 0, 0,
	  "THROUGHPUT_STATS" },
	{ WIRE_DOWNLOAD_REQUEST, WIRE_DIR_C2S, 12, 0, 1, 0,
	  "DOWNLOAD_REQUEST" },
	{ WIRE_DOWNLOAD_DATA, WIRE_DIR_S2C, 8, 1, 0, 0, "DOWNLOAD_DATA" },
	{ WIRE_DOWNLOAD_END, WIRE_DIR_S2C, 8, 0, 0, 4, "DOWNLOAD_END" },
	{ WIRE_BUFFERBLOAT_START, WIRE_DIR_C2S, 8, 0, 1, 0,
	  "BUFFERBLOAT_START" },
	{ WIRE_BUFFERBLOAT_END, WIRE_DIR_C2S, 4, 0, 1, 0, "BUFFERBLOAT_END" },
	{ WIRE_ERROR, WIRE_DIR_S2C, 1, 1, 0, 0, "ERROR" },
};

#define WIRE_NTYPES   (sizeof(wire_types) / sizeof(wire_types[0]))
#define ECHO_EXT_LEN  8
#define DLEND_EXT_LEN 4

static int wire_type_index(uint8_t type)
{
	for (size_t i = 0; i < WIRE_NTYPES; i++)
		if (wire_types[i].type == type)
			return (int)i;
	return -1;
}

/* ---- types --------------------------------------------------------------- */

int wire_init(void)
{
	return sodium_init() < 0 ? -EIO : 0;
}

const char *wire_type_name(uint8_t type)
{
	int i = wire_type_index(type);

	return i < 0 ? "UNKNOWN" : wire_types[i].name;
}

int wire_type_dir(uint8_t type)
{
	int i = wire_type_index(type);

	return i < 0 ? -EINVAL : wire_types[i].dir;
}

int wire_fixed_len(uint8_t type)
{
	int i = wire_type_index(type);

	return i < 0 ? -EINVAL : wire_types[i].fixed;
}

int wire_type_has_cookie(uint8_t type)
{
	int i = wire_type_index(type);

	return i < 0 ? 0 : wire_types[i].cookie;
}

int wire_max_len(uint8_t type)
{
	int i = wire_type_index(type);

	if (i < 0)
		return -EINVAL;
	if (wire_types[i].open_ended)
		return WIRE_MAX_DATAGRAM;
	return WIRE_MIN_PACKET + wire_types[i].fixed +
	       (wire_types[i].cookie ? WIRE_COOKIE_LEN : 0) +
	       wire_types[i].ext + WIRE_MAX_PAD;
}

/* ---- plaintext encode/decode --------------------------------------------- */

/* Bytes wire_encode will write for m, or -errno. */
static long wire_plain_len(const struct wire_msg *m)
{
	int i = wire_type_index(m->type);
	size_t n;

	if (i < 0)
		return -EINVAL;
	n = wire_types[i].fixed;
	if (m->has_cookie) {
		if (!wire_types[i].cookie)
			return -EINVAL;
		n += WIRE_COOKIE_LEN;
	}
	switch (m->type) {
	case WIRE_ECHO_REPLY:
		if (m->u.echo_reply.has_ext)
			n += ECHO_EXT_LEN;
		break;
	case WIRE_DOWNLOAD_END:
		if (m->u.download_end.has_ext)
			n += DLEND_EXT_LEN;
		break;
	case WIRE_THROUGHPUT_DATA:
	case WIRE_DOWNLOAD_DATA: {
		const struct wire_data *d = m->type == WIRE_THROUGHPUT_DATA
						    ? &m->u.throughput_data
						    : &m->u.download_data;

		if (d->data_len > WIRE_MAX_PLAIN)
			return -EMSGSIZE;
		if (d->data_len > 0 && !d->data)
			return -EINVAL;
		n += d->data_len;
		break;
	}
	case WIRE_ERROR: {
		size_t ml = strnlen(m->u.error.message, WIRE_ERROR_MSG_MAX);

		if (ml == WIRE_ERROR_MSG_MAX)
			return -EINVAL; /* not NUL-terminated */
		n += ml;
		break;
	}
	case WIRE_BUFFERBLOAT_START:
		if (m->u.bufferbloat_start.kind < WIRE_BLOAT_UP ||
		    m->u.bufferbloat_start.kind > WIRE_BLOAT_BOTH)
			return -EINVAL;
		break;
	}
	if (n > WIRE_MAX_PLAIN)
		return -EMSGSIZE;
	return (long)n;
}

static void wire_put_data(uint8_t *out, const struct wire_data *d)
{
	put_be32(out, d->test_id);
	put_be32(out + 4, d->chunk_seq);
	if (d->data_len)
		memcpy(out + WIRE_DATA_HDR_LEN, d->data, d->data_len);
}

int wire_encode(const struct wire_msg *m, uint8_t *out, size_t cap)
{
	long n = wire_plain_len(m);

	if (n < 0)
		return (int)n;
	if ((size_t)n > cap)
		return -ENOBUFS;

	switch (m->type) {
	case WIRE_KNOCK:
		put_be64(out, m->u.knock.unix_time);
		break;
	case WIRE_KNOCK_ACK:
		put_be32(out, m->u.knock_ack.session_id);
		put_be32(out + 4, m->u.knock_ack.valid_until);
		break;
	case WIRE_ECHO_REQUEST:
		put_be32(out, m->u.echo_request.seq);
		put_be32(out + 4, m->u.echo_request.client_send_ns_low);
		put_be64(out + 8, m->u.echo_request.token);
		break;
	case WIRE_ECHO_REPLY:
		put_be32(out, m->u.echo_reply.seq);
		put_be32(out + 4, m->u.echo_reply.client_send_ns_low);
		put_be64(out + 8, m->u.echo_reply.token);
		put_be64(out + 16, m->u.echo_reply.server_rx_ns);
		put_be64(out + 24, m->u.echo_reply.server_tx_ns);
		if (m->u.echo_reply.has_ext) {
			put_be32(out + 32, m->u.echo_reply.requests_seen);
			put_be32(out + 36, m->u.echo_reply.highest_seq);
		}
		break;
	case WIRE_THROUGHPUT_START:
		put_be32(out, m->u.throughput_start.test_id);
		put_be32(out + 4, m->u.throughput_start.target_bytes);
		put_be32(out + 8, m->u.throughput_start.expected_ms);
		break;
	case WIRE_THROUGHPUT_DATA:
		wire_put_data(out, &m->u.throughput_data);
		break;
	case WIRE_THROUGHPUT_END:
		put_be32(out, m->u.throughput_end.test_id);
		put_be32(out + 4, m->u.throughput_end.total_bytes_sent);
		break;
	case WIRE_THROUGHPUT_STATS:
		put_be32(out, m->u.throughput_stats.test_id);
		put_be32(out + 4, m->u.throughput_stats.bytes_rx);
		put_be32(out + 8, m->u.throughput_stats.duration_ms);
		put_be32(out + 12, m->u.throughput_stats.kbps);
		put_be32(out + 16, m->u.throughput_stats.packets_rx);
		put_be32(out + 20, m->u.throughput_stats.packets_lost);
		break;
	case WIRE_DOWNLOAD_REQUEST:
		put_be32(out, m->u.download_request.test_id);
		put_be32(out + 4, m->u.download_request.bytes);
		put_be32(out + 8, m->u.download_request.rate_kbps);
		break;
	case WIRE_DOWNLOAD_DATA:
		wire_put_data(out, &m->u.download_data);
		break;
	case WIRE_DOWNLOAD_END:
		put_be32(out, m->u.download_end.test_id);
		put_be32(out + 4, m->u.download_end.total_bytes_sent);
		if (m->u.download_end.has_ext)
			put_be32(out + 8, m->u.download_end.chunks_sent);
		break;
	case WIRE_BUFFERBLOAT_START:
		put_be32(out, m->u.bufferbloat_start.test_id);
		out[4] = m->u.bufferbloat_start.kind;
		out[5] = out[6] = out[7] = 0;
		break;
	case WIRE_BUFFERBLOAT_END:
		put_be32(out, m->u.bufferbloat_end.test_id);
		break;
	case WIRE_ERROR:
		out[0] = m->u.error.code;
		memcpy(out + 1, m->u.error.message, (size_t)n - 1);
		break;
	}
	if (m->has_cookie) /* only types without extensions carry one */
		memcpy(out + wire_types[wire_type_index(m->type)].fixed,
		       m->cookie, WIRE_COOKIE_LEN);
	return (int)n;
}

static void wire_get_data(const uint8_t *pt, size_t len, struct wire_data *d)
{
	d->test_id = get_be32(pt);
	d->chunk_seq = get_be32(pt + 4);
	d->data_len = len - WIRE_DATA_HDR_LEN;
	d->data = d->data_len ? pt + WIRE_DATA_HDR_LEN : NULL;
}

int wire_decode(uint8_t type, const uint8_t *pt, size_t len,
		struct wire_msg *out)
{
	struct wire_msg m;
	int i = wire_type_index(type);

	if (i < 0 || len < wire_types[i].fixed || len > WIRE_MAX_PLAIN)
		return -EBADMSG;
	memset(&m, 0, sizeof(m));
	m.type = type;

	switch (type) {
	case WIRE_KNOCK:
		m.u.knock.unix_time = get_be64(pt);
		break;
	case WIRE_KNOCK_ACK:
		m.u.knock_ack.session_id = get_be32(pt);
		m.u.knock_ack.valid_until = get_be32(pt + 4);
		break;
	case WIRE_ECHO_REQUEST:
		m.u.echo_request.seq = get_be32(pt);
		m.u.echo_request.client_send_ns_low = get_be32(pt + 4);
		m.u.echo_request.token = get_be64(pt + 8);
		break;
	case WIRE_ECHO_REPLY:
		m.u.echo_reply.seq = get_be32(pt);
		m.u.echo_reply.client_send_ns_low = get_be32(pt + 4);
		m.u.echo_reply.token = get_be64(pt + 8);
		m.u.echo_reply.server_rx_ns = get_be64(pt + 16);
		m.u.echo_reply.server_tx_ns = get_be64(pt + 24);
		if (len >= 32 + ECHO_EXT_LEN) {
			m.u.echo_reply.has_ext = 1;
			m.u.echo_reply.requests_seen = get_be32(pt + 32);
			m.u.echo_reply.highest_seq = get_be32(pt + 36);
		}
		break;
	case WIRE_THROUGHPUT_START:
		m.u.throughput_start.test_id = get_be32(pt);
		m.u.throughput_start.target_bytes = get_be32(pt + 4);
		m.u.throughput_start.expected_ms = get_be32(pt + 8);
		break;
	case WIRE_THROUGHPUT_DATA:
		wire_get_data(pt, len, &m.u.throughput_data);
		break;
	case WIRE_THROUGHPUT_END:
		m.u.throughput_end.test_id = get_be32(pt);
		m.u.throughput_end.total_bytes_sent = get_be32(pt + 4);
		break;
	case WIRE_THROUGHPUT_STATS:
		m.u.throughput_stats.test_id = get_be32(pt);
		m.u.throughput_stats.bytes_rx = get_be32(pt + 4);
		m.u.throughput_stats.duration_ms = get_be32(pt + 8);
		m.u.throughput_stats.kbps = get_be32(pt + 12);
		m.u.throughput_stats.packets_rx = get_be32(pt + 16);
		m.u.throughput_stats.packets_lost = get_be32(pt + 20);
		break;
	case WIRE_DOWNLOAD_REQUEST:
		m.u.download_request.test_id = get_be32(pt);
		m.u.download_request.bytes = get_be32(pt + 4);
		m.u.download_request.rate_kbps = get_be32(pt + 8);
		break;
	case WIRE_DOWNLOAD_DATA:
		wire_get_data(pt, len, &m.u.download_data);
		break;
	case WIRE_DOWNLOAD_END:
		m.u.download_end.test_id = get_be32(pt);
		m.u.download_end.total_bytes_sent = get_be32(pt + 4);
		if (len >= 8 + DLEND_EXT_LEN) {
			m.u.download_end.has_ext = 1;
			m.u.download_end.chunks_sent = get_be32(pt + 8);
		}
		break;
	case WIRE_BUFFERBLOAT_START:
		m.u.bufferbloat_start.test_id = get_be32(pt);
		m.u.bufferbloat_start.kind = pt[4];
		if (pt[4] < WIRE_BLOAT_UP || pt[4] > WIRE_BLOAT_BOTH)
			return -EBADMSG;
		break; /* reserved bytes are ignored */
	case WIRE_BUFFERBLOAT_END:
		m.u.bufferbloat_end.test_id = get_be32(pt);
		break;
	case WIRE_ERROR: {
		/* Text up to the first NUL, truncated to the buffer; control
		 * characters become '?' so the text is safe to log or show. */
		size_t n = 0;

		m.u.error.code = pt[0];
		for (size_t k = 1; k < len && n < WIRE_ERROR_MSG_MAX - 1; k++) {
			uint8_t c = pt[k];

			if (c == 0)
				break;
			m.u.error.message[n++] =
				(char)(c < 0x20 || c == 0x7f ? '?' : c);
		}
		m.u.error.message[n] = '\0';
		break;
	}
	}
	if (wire_types[i].cookie &&
	    len >= (size_t)wire_types[i].fixed + WIRE_COOKIE_LEN) {
		m.has_cookie = 1;
		memcpy(m.cookie, pt + wire_types[i].fixed, WIRE_COOKIE_LEN);
	}
	*out = m;
	return 0;
}

/* ---- header -------------------------------------------------------------- */

static void wire_put_header(uint8_t *p, uint8_t type, uint16_t len,
			    const uint8_t *client_id, uint64_t nonce_ts)
{
	put_be32(p, WIRE_MAGIC);
	p[4] = WIRE_VERSION;
	p[5] = type;
	put_be16(p + 6, len);
	memcpy(p + 8, client_id, WIRE_CLIENT_ID_LEN);
	put_be64(p + 16, nonce_ts);
}

int wire_peek(const uint8_t *pkt, size_t len, struct wire_header *h)
{
	if (len < WIRE_MIN_PACKET || len > WIRE_MAX_DATAGRAM)
		return -EMSGSIZE;
	if (get_be32(pkt) != WIRE_MAGIC)
		return -EBADMSG;
	if (pkt[4] != WIRE_VERSION)
		return -EPROTONOSUPPORT;
	if (get_be16(pkt + 6) != len - WIRE_HEADER_LEN)
		return -EBADMSG;
	if (wire_type_index(pkt[5]) < 0)
		return -EBADMSG;
	if (len > (size_t)wire_max_len(pkt[5]))
		return -EMSGSIZE;
	if (h) {
		h->magic = WIRE_MAGIC;
		h->version = pkt[4];
		h->type = pkt[5];
		h->len = get_be16(pkt + 6);
		memcpy(h->client_id, pkt + 8, WIRE_CLIENT_ID_LEN);
		h->nonce_ts = get_be64(pkt + 16);
	}
	return 0;
}

int wire_check_dir(const struct wire_header *h, enum wire_dir expect,
		   int strict_parity)
{
	if (wire_type_dir(h->type) != (int)expect)
		return -EBADMSG;
	if (strict_parity && (h->nonce_ts & 1) != (uint64_t)expect)
		return -EBADMSG;
	return 0;
}

/* ---- AEAD ---------------------------------------------------------------- */

static void wire_nonce_bytes(uint8_t nonce[WIRE_NONCE_LEN],
			     const uint8_t *client_id, uint64_t nonce_ts)
{
	memcpy(nonce, client_id, 4);
	put_be64(nonce + 4, nonce_ts);
}

int wire_seal(const uint8_t key[static WIRE_KEY_LEN],
	      const uint8_t client_id[static WIRE_CLIENT_ID_LEN],
	      uint64_t nonce_ts, const struct wire_msg *m, const uint8_t *pad,
	      size_t pad_len, uint8_t *out, size_t outcap)
{
	uint8_t nonce[WIRE_NONCE_LEN];
	uint8_t *pt = out + WIRE_HEADER_LEN;
	unsigned long long clen;
	long fields = wire_plain_len(m);
	size_t ptlen, total;

	if (fields < 0)
		return (int)fields;
	if (pad_len > WIRE_MAX_PAD)
		return -EINVAL;
	if (pad_len && wire_types[wire_type_index(m->type)].open_ended)
		return -EINVAL;
	ptlen = (size_t)fields + pad_len;
	if (ptlen > WIRE_MAX_PLAIN)
		return -EMSGSIZE;
	total = WIRE_MIN_PACKET + ptlen;
	if (total > outcap)
		return -ENOBUFS;

	wire_put_header(out, m->type, (uint16_t)(ptlen + WIRE_TAG_LEN),
			client_id, nonce_ts);
	if (wire_encode(m, pt, (size_t)fields) != fields)
		return -EINVAL; /* cannot happen: lengths checked above */
	if (pad_len) {
		if (pad)
			memcpy(pt + fields, pad, pad_len);
		else
			randombytes_buf(pt + fields, pad_len);
	}
	wire_nonce_bytes(nonce, client_id, nonce_ts);
	/* In place: libsodium allows c == m. */
	crypto_aead_chacha20poly1305_ietf_encrypt(
		pt, &clen, pt, ptlen, out, WIRE_HEADER_LEN, NULL, nonce, key);
	return (int)total;
}

int wire_seal_random_pad(const uint8_t key[static WIRE_KEY_LEN],
			 const uint8_t client_id[static WIRE_CLIENT_ID_LEN],
			 uint64_t nonce_ts, const struct wire_msg *m,
			 uint8_t *out, size_t outcap)
{
	long fields = wire_plain_len(m);
	size_t pad = 0, room;

	if (fields < 0)
		return (int)fields;
	if (outcap > WIRE_MAX_DATAGRAM)
		outcap = WIRE_MAX_DATAGRAM;
	if (WIRE_MIN_PACKET + (size_t)fields > outcap)
		return -ENOBUFS;
	room = outcap - WIRE_MIN_PACKET - (size_t)fields;
	if (!wire_types[wire_type_index(m->type)].open_ended) {
		pad = randombytes_uniform(WIRE_MAX_PAD + 1);
		if (pad > room)
			pad = room;
	}
	return wire_seal(key, client_id, nonce_ts, m, NULL, pad, out, outcap);
}

int wire_open(const uint8_t key[static WIRE_KEY_LEN], const uint8_t *pkt,
	      size_t len, uint8_t *scratch, size_t scratch_len,
	      struct wire_header *h, struct wire_msg *m)
{
	struct wire_header hdr;
	uint8_t nonce[WIRE_NONCE_LEN];
	unsigned long long ptlen;
	size_t clen;
	int rc;

	rc = wire_peek(pkt, len, &hdr);
	if (rc < 0)
		return rc;
	clen = len - WIRE_HEADER_LEN;
	if (scratch_len < clen - WIRE_TAG_LEN)
		return -ENOBUFS;
	wire_nonce_bytes(nonce, hdr.client_id, hdr.nonce_ts);
	if (crypto_aead_chacha20poly1305_ietf_decrypt(
		    scratch, &ptlen, NULL, pkt + WIRE_HEADER_LEN, clen, pkt,
		    WIRE_HEADER_LEN, nonce, key) != 0)
		return -EBADMSG;
	rc = wire_decode(hdr.type, scratch, (size_t)ptlen, m);
	if (rc < 0)
		return rc;
	if (h)
		*h = hdr;
	return 0;
}

/* ---- nonce_ts generator (hardening rule 1) ------------------------------- */

void wire_nonce_init(struct wire_nonce *n, enum wire_dir dir)
{
	n->last = 0;
	n->parity = (uint8_t)(dir & 1);
}

uint64_t wire_nonce_next(struct wire_nonce *n, uint64_t now_ns)
{
	uint64_t next;

	if (n->last >= UINT64_MAX - 2)
		return 0; /* exhausted: never reuse a nonce */
	next = now_ns > n->last + 1 ? now_ns : n->last + 1;
	if ((next & 1) != n->parity) {
		if (next == UINT64_MAX)
			return 0;
		next++;
	}
	n->last = next;
	return next;
}

uint64_t wire_nonce_shared_next(struct wire_nonce_shared *n, uint64_t now_ns)
{
	uint64_t last = atomic_load_explicit(&n->last, memory_order_relaxed);
	uint64_t next;

	do {
		if (last >= UINT64_MAX - 2)
			return 0; /* exhausted: never reuse a nonce */
		next = now_ns > last + 1 ? now_ns : last + 1;
		if ((next & 1) != n->parity) {
			if (next == UINT64_MAX)
				return 0;
			next++;
		}
		/* a lost race reloads last and computes again: two callers
		 * never leave with the same value */
	} while (!atomic_compare_exchange_weak_explicit(&n->last, &last, next,
							memory_order_relaxed,
							memory_order_relaxed));
	return next;
}
