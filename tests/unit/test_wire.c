/* SPDX-License-Identifier: MIT */
/*
 * Tests for proto/wire: round trips of every type, the checked-in vectors
 * (tests/vectors/wire_v1.txt, exact bytes, cross-checked with raw libsodium
 * calls and hand-written bytes), and every way a datagram can be wrong:
 * wrong key, each flipped bit, truncation, oversize, bad magic/version/len,
 * short plaintexts that authenticate, direction and parity rules.
 */
#include "proto/wire.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "tests/vectors/fields.h"

static const uint8_t KEY[WIRE_KEY_LEN] = {
	1,  2,	3,  4,	5,  6,	7,  8,	9,  10, 11, 12, 13, 14, 15, 16,
	17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32,
};
static const uint8_t CID[WIRE_CLIENT_ID_LEN] = { 0xc1, 0x1e, 0x47, 0x1d,
						 0x00, 0x00, 0x00, 0x01 };
static const uint64_t TS = 1732000000000000000ULL;

static uint8_t databuf[WIRE_MAX_DATAGRAM];
static uint8_t pkt[WIRE_MAX_DATAGRAM + 16];
static uint8_t scratch[WIRE_MAX_DATAGRAM];

static const uint8_t all_types[] = {
	WIRE_KNOCK,
	WIRE_KNOCK_ACK,
	WIRE_ECHO_REQUEST,
	WIRE_ECHO_REPLY,
	WIRE_THROUGHPUT_START,
	WIRE_THROUGHPUT_DATA,
	WIRE_THROUGHPUT_END,
	WIRE_THROUGHPUT_STATS,
	WIRE_DOWNLOAD_REQUEST,
	WIRE_DOWNLOAD_DATA,
	WIRE_DOWNLOAD_END,
	WIRE_BUFFERBLOAT_START,
	WIRE_BUFFERBLOAT_END,
	WIRE_ERROR,
};
#define NTYPES (sizeof(all_types) / sizeof(all_types[0]))

static int is_open_ended(uint8_t t)
{
	return t == WIRE_THROUGHPUT_DATA || t == WIRE_DOWNLOAD_DATA ||
	       t == WIRE_ERROR;
}

/* A message of type t with every field set to a distinct non-zero value. */
static void make_msg(uint8_t t, struct wire_msg *m, size_t data_len)
{
	memset(m, 0, sizeof(*m));
	m->type = t;
	for (size_t i = 0; i < VEC_NFIELDS; i++) {
		const struct vec_field *f = &vec_fields[i];
		uint8_t *p = (uint8_t *)m + f->off;
		uint64_t v = 0x0102030405060708ULL * (i + 1);
		uint32_t v32 = (uint32_t)v ^ 0x80000000U;

		if (f->type != t)
			continue;
		switch (f->kind) {
		case VF_U8:
			*p = 1; /* has_ext, kind and code: 1 is valid */
			break;
		case VF_U32:
			memcpy(p, &v32, 4);
			break;
		case VF_U64:
			memcpy(p, &v, 8);
			break;
		case VF_DATA: {
			struct wire_data *d = (struct wire_data *)p;

			for (size_t k = 0; k < data_len; k++)
				databuf[k] = (uint8_t)(k * 7 + 3);
			d->data = data_len ? databuf : NULL;
			d->data_len = data_len;
			break;
		}
		case VF_TEXT:
			strcpy((char *)p, "server overloaded, try later");
			break;
		case VF_COOKIE:
			for (size_t k = 0; k < WIRE_COOKIE_LEN; k++)
				p[k] = (uint8_t)(0xc0 + k * 3 + i);
			break;
		}
	}
}

/* Field-by-field equality (through the shared field table). */
static void assert_msg_equal(const struct wire_msg *a, const struct wire_msg *b)
{
	assert_int_equal(a->type, b->type);
	for (size_t i = 0; i < VEC_NFIELDS; i++) {
		const struct vec_field *f = &vec_fields[i];
		const uint8_t *pa = (const uint8_t *)a + f->off;
		const uint8_t *pb = (const uint8_t *)b + f->off;

		if (f->type != a->type)
			continue;
		if (f->kind == VF_DATA) {
			const struct wire_data *da = (const void *)pa;
			const struct wire_data *db = (const void *)pb;

			assert_int_equal(da->data_len, db->data_len);
			if (da->data_len)
				assert_memory_equal(da->data, db->data,
						    da->data_len);
		} else if (f->kind == VF_TEXT) {
			assert_string_equal((const char *)pa, (const char *)pb);
		} else {
			assert_memory_equal(pa, pb, (size_t)f->kind);
		}
	}
}

/* Raw libsodium seal of an arbitrary header + plaintext (bypassing wire.c),
 * for packets wire_seal refuses to make. */
static size_t raw_seal(uint8_t *out, uint8_t type, const uint8_t *pt,
		       size_t ptlen, uint64_t ts)
{
	uint8_t nonce[12];
	unsigned long long clen;
	size_t l = ptlen + 16;

	memcpy(out, "BFBN", 4);
	out[4] = 1;
	out[5] = type;
	out[6] = (uint8_t)(l >> 8);
	out[7] = (uint8_t)l;
	memcpy(out + 8, CID, 8);
	for (int i = 0; i < 8; i++)
		out[16 + i] = (uint8_t)(ts >> (56 - 8 * i));
	memcpy(nonce, CID, 4);
	memcpy(nonce + 4, out + 16, 8);
	crypto_aead_chacha20poly1305_ietf_encrypt(out + 24, &clen, pt, ptlen,
						  out, 24, NULL, nonce, KEY);
	return 24 + (size_t)clen;
}

/* Open must fail and leave h and m untouched. */
static int open_fail_key(const uint8_t *key, const uint8_t *p, size_t len)
{
	struct wire_header h, h0;
	struct wire_msg m, m0;
	int rc;

	memset(&h, 0xa5, sizeof(h));
	memset(&m, 0xa5, sizeof(m));
	h0 = h;
	m0 = m;
	rc = wire_open(key, p, len, scratch, sizeof(scratch), &h, &m);
	assert_true(rc < 0);
	assert_memory_equal(&h, &h0, sizeof(h));
	assert_memory_equal(&m, &m0, sizeof(m));
	return rc;
}

static int open_must_fail(const uint8_t *p, size_t len)
{
	return open_fail_key(KEY, p, len);
}

static int sealed_echo(size_t pad)
{
	struct wire_msg m;
	int n;

	make_msg(WIRE_ECHO_REQUEST, &m, 0);
	n = wire_seal(KEY, CID, TS, &m, NULL, pad, pkt, sizeof(pkt));
	assert_true(n > 0);
	return n;
}

/* ---- names and table ----------------------------------------------------- */

static void test_type_table(void **state)
{
	assert_string_equal(wire_type_name(WIRE_KNOCK), "KNOCK");
	assert_string_equal(wire_type_name(WIRE_ECHO_REPLY), "ECHO_REPLY");
	assert_string_equal(wire_type_name(WIRE_ERROR), "ERROR");
	assert_string_equal(wire_type_name(0x05), "UNKNOWN");
	assert_int_equal(wire_type_dir(WIRE_KNOCK), WIRE_DIR_C2S);
	assert_int_equal(wire_type_dir(WIRE_DOWNLOAD_DATA), WIRE_DIR_S2C);
	assert_int_equal(wire_type_dir(0x00), -EINVAL);
	/* Fixed sizes from PROTOCOL.md's table, counted by hand. */
	assert_int_equal(wire_fixed_len(WIRE_KNOCK), 8);
	assert_int_equal(wire_fixed_len(WIRE_ECHO_REQUEST), 4 + 4 + 8);
	assert_int_equal(wire_fixed_len(WIRE_ECHO_REPLY), 4 + 4 + 8 + 8 + 8);
	assert_int_equal(wire_fixed_len(WIRE_THROUGHPUT_STATS), 6 * 4);
	assert_int_equal(wire_fixed_len(WIRE_BUFFERBLOAT_START), 4 + 1 + 3);
	assert_int_equal(wire_fixed_len(WIRE_BUFFERBLOAT_END), 4);
	assert_int_equal(wire_fixed_len(WIRE_ERROR), 1);
	assert_int_equal(wire_fixed_len(0x42), -EINVAL);
	for (size_t i = 0; i < NTYPES; i++)
		assert_string_not_equal(wire_type_name(all_types[i]),
					"UNKNOWN");
}

/* ---- round trips --------------------------------------------------------- */

static void test_roundtrip_all_types(void **state)
{
	for (size_t i = 0; i < NTYPES; i++) {
		uint8_t t = all_types[i];
		size_t pads[] = { 0, 1, 7, 8, 255 };

		for (size_t k = 0; k < sizeof(pads) / sizeof(pads[0]); k++) {
			struct wire_msg m, out;
			struct wire_header h;
			size_t pad = is_open_ended(t) ? 0 : pads[k];
			int n;

			make_msg(t, &m, 100 + k);
			n = wire_seal(KEY, CID, TS + k, &m, NULL, pad, pkt,
				      sizeof(pkt));
			assert_int_equal(n,
					 WIRE_MIN_PACKET +
						 wire_encode(&m, scratch,
							     sizeof(scratch)) +
						 (int)pad);
			assert_int_equal(wire_open(KEY, pkt, (size_t)n, scratch,
						   sizeof(scratch), &h, &out),
					 0);
			assert_int_equal(h.type, t);
			assert_int_equal(h.nonce_ts, TS + k);
			assert_memory_equal(h.client_id, CID, 8);
			assert_int_equal(h.len, n - WIRE_HEADER_LEN);
			assert_msg_equal(&m, &out);
		}
	}
}

static void test_roundtrip_random_pad(void **state)
{
	for (size_t i = 0; i < NTYPES; i++) {
		int lens_seen[2] = { 0, 0 };

		for (int k = 0; k < 64; k++) {
			struct wire_msg m, out;
			int n, base;

			make_msg(all_types[i], &m, 33);
			base = WIRE_MIN_PACKET +
			       wire_encode(&m, scratch, sizeof(scratch));
			n = wire_seal_random_pad(KEY, CID, TS + k, &m, pkt,
						 sizeof(pkt));
			assert_in_range(n, base, base + WIRE_MAX_PAD);
			if (is_open_ended(all_types[i]))
				assert_int_equal(n, base);
			lens_seen[n == base ? 0 : 1]++;
			assert_int_equal(wire_open(KEY, pkt, (size_t)n, scratch,
						   sizeof(scratch), NULL, &out),
					 0);
			assert_msg_equal(&m, &out);
		}
		/* 64 draws of 0..255: all zero has probability 2^-512. */
		if (!is_open_ended(all_types[i]))
			assert_true(lens_seen[1] > 0);
	}
}

/* A reply sealed with outcap = request size is never larger (rule 6). */
static void test_random_pad_no_amplification(void **state)
{
	struct wire_msg knock, ack;
	int kn, an;

	make_msg(WIRE_KNOCK, &knock, 0);
	make_msg(WIRE_KNOCK_ACK, &ack, 0);
	assert_true(ack.has_cookie);
	for (int k = 0; k < 200; k++) {
		/* a revision-2 client pads its KNOCK by >= the cookie */
		kn = wire_seal(KEY, CID, TS, &knock, NULL,
			       WIRE_COOKIE_LEN + (size_t)k % 200, pkt,
			       sizeof(pkt));
		assert_true(kn >= WIRE_MIN_PACKET + 8 + WIRE_COOKIE_LEN);
		an = wire_seal_random_pad(KEY, CID, TS + 1, &ack, pkt,
					  (size_t)kn);
		assert_true(an > 0 && an <= kn);
	}
	/* An unpadded KNOCK is too small for an ACK with its cookie. */
	assert_int_equal(wire_seal_random_pad(KEY, CID, TS, &ack, pkt,
					      WIRE_MIN_PACKET + 8),
			 -ENOBUFS);
	assert_int_equal(
		wire_seal_random_pad(KEY, CID, TS, &ack, pkt,
				     WIRE_MIN_PACKET + 8 + WIRE_COOKIE_LEN - 1),
		-ENOBUFS);
}

/* DATA payloads decode as pointers into the scratch buffer. */
static void test_data_points_into_scratch(void **state)
{
	struct wire_msg m, out;
	int n;

	make_msg(WIRE_DOWNLOAD_DATA, &m,
		 WIRE_DEFAULT_CHUNK - WIRE_MIN_PACKET - WIRE_DATA_HDR_LEN);
	n = wire_seal(KEY, CID, TS + 1, &m, NULL, 0, pkt, sizeof(pkt));
	assert_int_equal(n, WIRE_DEFAULT_CHUNK);
	assert_int_equal(wire_open(KEY, pkt, (size_t)n, scratch,
				   sizeof(scratch), NULL, &out),
			 0);
	assert_ptr_equal(out.u.download_data.data, scratch + WIRE_DATA_HDR_LEN);
	assert_msg_equal(&m, &out);
}

/* ---- checked-in vectors -------------------------------------------------- */

static size_t unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;

	if (strcmp(s, "-") == 0)
		return 0;
	assert_int_equal(strlen(s) % 2, 0);
	for (; s[0] && s[1]; s += 2) {
		unsigned v;

		assert_true(n < cap);
		assert_int_equal(sscanf(s, "%2x", &v), 1);
		out[n++] = (uint8_t)v;
	}
	return n;
}

struct vec {
	char name[64];
	uint8_t type;
	uint64_t ts;
	struct wire_msg m;
	uint8_t data[256];
	uint8_t pad[256], plain[2048], packet[2048];
	size_t pad_len, plain_len, packet_len;
};

static void set_field(struct vec *v, const char *name, const char *val)
{
	for (size_t i = 0; i < VEC_NFIELDS; i++) {
		const struct vec_field *f = &vec_fields[i];
		uint8_t *p = (uint8_t *)&v->m + f->off;
		unsigned long long x = strtoull(val, NULL, 10);
		uint32_t x32 = (uint32_t)x;

		if (f->type != v->type || strcmp(f->name, name) != 0)
			continue;
		switch (f->kind) {
		case VF_U8:
			*p = (uint8_t)x;
			break;
		case VF_U32:
			memcpy(p, &x32, 4);
			break;
		case VF_U64:
			memcpy(p, &x, 8);
			break;
		case VF_DATA: {
			struct wire_data *d = (struct wire_data *)p;

			d->data_len = unhex(val, v->data, sizeof(v->data));
			d->data = d->data_len ? v->data : NULL;
			break;
		}
		case VF_TEXT: {
			uint8_t t[WIRE_ERROR_MSG_MAX];
			size_t n = unhex(val, t, sizeof(t) - 1);

			memcpy(p, t, n);
			p[n] = 0;
			break;
		}
		case VF_COOKIE:
			assert_int_equal(unhex(val, p, WIRE_COOKIE_LEN),
					 WIRE_COOKIE_LEN);
			break;
		}
		return;
	}
	fail_msg("vector %s: unknown field %s", v->name, name);
}

/* Parse the vector file; returns the number of vectors. */
static size_t load_vectors(struct vec *vs, size_t cap, uint8_t *key,
			   uint8_t *cid)
{
	char path[512], line[8192];
	const char *top = getenv("BB_TOP");
	struct vec *v = NULL;
	size_t n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/tests/vectors/wire_v1.txt",
		 top ? top : ".");
	f = fopen(path, "r");
	if (!f)
		fail_msg("cannot open %s (run from the repository root)", path);
	while (fgets(line, sizeof(line), f)) {
		char *val;

		line[strcspn(line, "\n")] = 0;
		if (line[0] == '#' || line[0] == 0)
			continue;
		val = strchr(line, ' ');
		if (val)
			*val++ = 0;
		else
			val = line + strlen(line); /* "end" */
		if (strcmp(line, "key") == 0) {
			assert_int_equal(unhex(val, key, 32), 32);
		} else if (strcmp(line, "client_id") == 0) {
			assert_int_equal(unhex(val, cid, 8), 8);
		} else if (strcmp(line, "vector") == 0) {
			assert_true(n < cap);
			v = &vs[n++];
			memset(v, 0, sizeof(*v));
			snprintf(v->name, sizeof(v->name), "%s", val);
		} else if (strcmp(line, "type") == 0) {
			v->type = (uint8_t)strtoul(val, NULL, 16);
			v->m.type = v->type;
		} else if (strcmp(line, "nonce_ts") == 0) {
			v->ts = strtoull(val, NULL, 10);
		} else if (strcmp(line, "field") == 0) {
			char *fv = strchr(val, ' ');

			assert_non_null(fv);
			*fv++ = 0;
			set_field(v, val, fv);
		} else if (strcmp(line, "pad") == 0) {
			v->pad_len = unhex(val, v->pad, sizeof(v->pad));
		} else if (strcmp(line, "plaintext") == 0) {
			v->plain_len = unhex(val, v->plain, sizeof(v->plain));
		} else if (strcmp(line, "packet") == 0) {
			v->packet_len =
				unhex(val, v->packet, sizeof(v->packet));
		} else if (strcmp(line, "end") == 0) {
			v = NULL;
		} else {
			fail_msg("bad vector line: %s", line);
		}
	}
	fclose(f);
	return n;
}

static struct vec vecs[32];

static void test_vectors_exact_bytes(void **state)
{
	uint8_t key[32], cid[8], out[2048];
	int covered[256] = { 0 };
	size_t n = load_vectors(vecs, 32, key, cid);

	assert_true(n >= NTYPES);
	for (size_t i = 0; i < n; i++) {
		struct vec *v = &vecs[i];
		struct wire_msg got;
		struct wire_header h;
		uint8_t nonce[12], pt[2048];
		unsigned long long ptlen;
		int len;

		/* Our seal reproduces the exact packet. */
		len = wire_seal(key, cid, v->ts, &v->m, v->pad, v->pad_len, out,
				sizeof(out));
		assert_int_equal(len, (int)v->packet_len);
		assert_memory_equal(out, v->packet, v->packet_len);

		/* Independent: raw libsodium open with the nonce and AD built
		 * here from PROTOCOL.md, not through wire_open. */
		memcpy(nonce, cid, 4);
		memcpy(nonce + 4, v->packet + 16, 8);
		assert_int_equal(crypto_aead_chacha20poly1305_ietf_decrypt(
					 pt, &ptlen, NULL, v->packet + 24,
					 v->packet_len - 24, v->packet, 24,
					 nonce, key),
				 0);
		assert_int_equal(ptlen, v->plain_len);
		assert_memory_equal(pt, v->plain, v->plain_len);
		/* The plaintext ends with the pad. */
		assert_memory_equal(pt + ptlen - v->pad_len, v->pad,
				    v->pad_len);

		/* And wire_open gives back the same fields. */
		assert_int_equal(wire_open(key, v->packet, v->packet_len,
					   scratch, sizeof(scratch), &h, &got),
				 0);
		assert_int_equal(h.nonce_ts, v->ts);
		assert_msg_equal(&v->m, &got);
		covered[v->type] = 1;
	}
	for (size_t i = 0; i < NTYPES; i++)
		assert_true(covered[all_types[i]]);
}

/* One vector's bytes written out by hand from PROTOCOL.md. */
static void test_vector_knock_by_hand(void **state)
{
	uint8_t key[32], cid[8];
	size_t n = load_vectors(vecs, 32, key, cid);
	const struct vec *v = NULL;
	const uint8_t hdr[24] = {
		'B',
		'F',
		'B',
		'N', /* magic 0x4246424E */
		0x01,
		0x01, /* version, KNOCK */
		0x00,
		8 + 5 + 16, /* len: fields + pad + tag */
		0xd1,
		0xe2,
		0xc3,
		0xb4,
		0xa5,
		0x96,
		0x87,
		0x78,
		/* 1700000000000000000 = 0x17979CFE362A0000 */
		0x17,
		0x97,
		0x9c,
		0xfe,
		0x36,
		0x2a,
		0x00,
		0x00,
	};
	/* unix_time 1700000000 = 0x6553F100, then 5 pad bytes */
	const uint8_t fields[8] = { 0, 0, 0, 0, 0x65, 0x53, 0xf1, 0x00 };

	for (size_t i = 0; i < n; i++)
		if (strcmp(vecs[i].name, "knock") == 0)
			v = &vecs[i];
	assert_non_null(v);
	assert_int_equal(v->pad_len, 5);
	assert_int_equal(v->packet_len, 24 + 8 + 5 + 16);
	assert_memory_equal(v->packet, hdr, sizeof(hdr));
	assert_memory_equal(v->plain, fields, sizeof(fields));
}

/* ---- failures ------------------------------------------------------------ */

static void test_wrong_key(void **state)
{
	uint8_t key2[WIRE_KEY_LEN];
	int n = sealed_echo(10);

	memcpy(key2, KEY, sizeof(key2));
	key2[31] ^= 1;
	assert_int_equal(open_fail_key(key2, pkt, (size_t)n), -EBADMSG);
	memset(key2, 0, sizeof(key2));
	assert_int_equal(open_fail_key(key2, pkt, (size_t)n), -EBADMSG);
}

/* Every single-bit change anywhere in a datagram is rejected. */
static void test_every_bit_flip(void **state)
{
	int n = sealed_echo(3);

	for (int i = 0; i < n; i++) {
		for (int b = 0; b < 8; b++) {
			pkt[i] ^= (uint8_t)(1 << b);
			open_must_fail(pkt, (size_t)n);
			pkt[i] ^= (uint8_t)(1 << b);
		}
	}
	/* Unchanged packet still opens: the flips were the cause. */
	struct wire_msg m;

	assert_int_equal(wire_open(KEY, pkt, (size_t)n, scratch,
				   sizeof(scratch), NULL, &m),
			 0);
}

static void test_truncated_and_extended(void **state)
{
	int n = sealed_echo(0);

	for (int len = 0; len < n; len++)
		open_must_fail(pkt, (size_t)len);
	/* Bytes after the tag: the len field no longer matches. */
	pkt[n] = 0;
	assert_int_equal(open_must_fail(pkt, (size_t)n + 1), -EBADMSG);
	assert_int_equal(wire_peek(pkt, WIRE_MIN_PACKET - 1, NULL), -EMSGSIZE);
}

static void test_len_field_inconsistent(void **state)
{
	int n = sealed_echo(4);
	struct wire_header h;

	assert_int_equal(wire_peek(pkt, (size_t)n, &h), 0);
	pkt[7]++;
	assert_int_equal(wire_peek(pkt, (size_t)n, NULL), -EBADMSG);
	pkt[7] -= 2;
	assert_int_equal(wire_peek(pkt, (size_t)n, NULL), -EBADMSG);
	pkt[7]++;
	pkt[6] ^= 0x80;
	assert_int_equal(open_must_fail(pkt, (size_t)n), -EBADMSG);
}

static void test_oversize(void **state)
{
	static uint8_t big[WIRE_MAX_DATAGRAM + 1];
	struct wire_msg m, out;
	size_t max_data =
		WIRE_MAX_DATAGRAM - WIRE_MIN_PACKET - WIRE_DATA_HDR_LEN;
	int n;

	/* Exactly the largest datagram works... */
	make_msg(WIRE_THROUGHPUT_DATA, &m, max_data);
	n = wire_seal(KEY, CID, TS, &m, NULL, 0, big, sizeof(big));
	assert_int_equal(n, WIRE_MAX_DATAGRAM);
	assert_int_equal(wire_open(KEY, big, (size_t)n, scratch,
				   sizeof(scratch), NULL, &out),
			 0);
	assert_msg_equal(&m, &out);
	/* ...one byte more is refused on both sides. */
	m.u.throughput_data.data_len++;
	assert_int_equal(wire_seal(KEY, CID, TS, &m, NULL, 0, big, sizeof(big)),
			 -EMSGSIZE);
	assert_int_equal(wire_peek(big, WIRE_MAX_DATAGRAM + 1, NULL),
			 -EMSGSIZE);
	/* A fixed-size type plus pad never exceeds the limit, but an
	 * oversize data_len is caught before any copy. */
	m.u.throughput_data.data_len = SIZE_MAX;
	assert_int_equal(wire_encode(&m, scratch, sizeof(scratch)), -EMSGSIZE);
}

/* ---- revision 2: cookie and per-type size limits ------------------------ */

static const uint8_t cookie_types[] = {
	WIRE_KNOCK_ACK,	      WIRE_ECHO_REQUEST,     WIRE_THROUGHPUT_START,
	WIRE_THROUGHPUT_END,  WIRE_DOWNLOAD_REQUEST, WIRE_BUFFERBLOAT_START,
	WIRE_BUFFERBLOAT_END,
};

static int in_cookie_types(uint8_t t)
{
	for (size_t i = 0; i < sizeof(cookie_types); i++)
		if (cookie_types[i] == t)
			return 1;
	return 0;
}

/* The cookie sits right after the fixed fields, before the padding, and
 * only the seven types of rule 8 carry one. */
static void test_cookie_layout(void **state)
{
	for (size_t i = 0; i < NTYPES; i++) {
		uint8_t t = all_types[i];
		struct wire_msg m, out;
		int fixed = wire_fixed_len(t), n;

		assert_int_equal(wire_type_has_cookie(t), in_cookie_types(t));
		make_msg(t, &m, 10);
		if (!in_cookie_types(t)) {
			assert_false(m.has_cookie);
			m.has_cookie = 1; /* not this type's field */
			assert_int_equal(
				wire_encode(&m, scratch, sizeof(scratch)),
				-EINVAL);
			assert_int_equal(wire_seal(KEY, CID, TS, &m, NULL, 0,
						   pkt, sizeof(pkt)),
					 -EINVAL);
			continue;
		}
		for (int k = 0; k < WIRE_COOKIE_LEN; k++)
			m.cookie[k] = (uint8_t)(0xa0 + k);
		n = wire_encode(&m, scratch, sizeof(scratch));
		assert_int_equal(n, fixed + WIRE_COOKIE_LEN);
		assert_memory_equal(scratch + fixed, m.cookie, WIRE_COOKIE_LEN);
		/* sealed with padding, opened: the cookie comes back */
		n = wire_seal(KEY, CID, TS, &m, NULL, 9, pkt, sizeof(pkt));
		assert_int_equal(n,
				 WIRE_MIN_PACKET + fixed + WIRE_COOKIE_LEN + 9);
		assert_int_equal(wire_open(KEY, pkt, (size_t)n, scratch,
					   sizeof(scratch), NULL, &out),
				 0);
		assert_true(out.has_cookie);
		assert_memory_equal(out.cookie, m.cookie, WIRE_COOKIE_LEN);
		/* one byte short of a cookie: decoded without one */
		memset(scratch, 0x5a, sizeof(scratch));
		scratch[4] = 1; /* a valid bloat kind */
		assert_int_equal(
			wire_decode(t, scratch,
				    (size_t)fixed + WIRE_COOKIE_LEN - 1, &out),
			0);
		assert_false(out.has_cookie);
		assert_int_equal(wire_decode(t, scratch,
					     (size_t)fixed + WIRE_COOKIE_LEN,
					     &out),
				 0);
		assert_true(out.has_cookie);
	}
}

/* The KNOCK_ACK vector written out by hand: cookie at plaintext offset 8. */
static void test_vector_knock_ack_by_hand(void **state)
{
	uint8_t key[32], cid[8];
	size_t n = load_vectors(vecs, 32, key, cid);
	const struct vec *v = NULL;
	const uint8_t plain[24] = {
		0xde, 0xad, 0xbe, 0xef, /* session_id */
		0x65, 0x53, 0xf2, 0x2c, /* valid_until 1700000300 */
		0xc0, 0x0c, 0x1e, 0x5e, 0xc7, 0xe7, 0x00, 0x01, /* cookie */
		0x02, 0x03, 0xfe, 0xed, 0xfa, 0xce, 0xb0, 0x0b,
	};

	for (size_t i = 0; i < n; i++)
		if (strcmp(vecs[i].name, "knock_ack") == 0)
			v = &vecs[i];
	assert_non_null(v);
	assert_int_equal(v->plain_len, sizeof(plain));
	assert_memory_equal(v->plain, plain, sizeof(plain));
	assert_int_equal(v->packet[7], 24 + 16); /* len */
	/* every request vector carries the same cookie after its fields */
	for (size_t i = 0; i < n; i++) {
		if (!in_cookie_types(vecs[i].type))
			continue;
		int fixed = wire_fixed_len(vecs[i].type);
		assert_true(vecs[i].m.has_cookie);
		assert_memory_equal(vecs[i].plain + fixed, plain + 8, 16);
	}
}

/* Rule 12: each type's largest legitimate datagram passes wire_peek, one
 * byte more is refused before any AEAD work (a KNOCK at most 303 bytes). */
static void test_max_len_per_type(void **state)
{
	static uint8_t big[WIRE_MAX_DATAGRAM];

	assert_int_equal(wire_max_len(WIRE_KNOCK),
			 WIRE_MIN_PACKET + 8 + WIRE_MAX_PAD);
	assert_int_equal(wire_max_len(WIRE_KNOCK), 303);
	assert_int_equal(wire_max_len(WIRE_ECHO_REQUEST),
			 WIRE_MIN_PACKET + 16 + 16 + WIRE_MAX_PAD);
	assert_int_equal(wire_max_len(WIRE_ECHO_REPLY),
			 WIRE_MIN_PACKET + 32 + 8 + WIRE_MAX_PAD);
	assert_int_equal(wire_max_len(WIRE_THROUGHPUT_DATA), WIRE_MAX_DATAGRAM);
	assert_int_equal(wire_max_len(WIRE_ERROR), WIRE_MAX_DATAGRAM);
	assert_int_equal(wire_max_len(0x42), -EINVAL);
	for (size_t i = 0; i < NTYPES; i++) {
		uint8_t t = all_types[i];
		struct wire_msg m, out;
		int max = wire_max_len(t), n;

		if (is_open_ended(t))
			continue;
		make_msg(t, &m, 0);
		/* the largest a sender can make: every field, full pad */
		if (t == WIRE_ECHO_REPLY)
			m.u.echo_reply.has_ext = 1;
		if (t == WIRE_DOWNLOAD_END)
			m.u.download_end.has_ext = 1;
		n = wire_seal(KEY, CID, TS, &m, NULL, WIRE_MAX_PAD, big,
			      sizeof(big));
		assert_int_equal(n, max);
		assert_int_equal(wire_open(KEY, big, (size_t)n, scratch,
					   sizeof(scratch), NULL, &out),
				 0);
		/* one byte more, authentic: refused by the header check */
		uint8_t pt[1024] = { 0 };
		pt[4] = 1;
		size_t len = (size_t)max + 1 - WIRE_MIN_PACKET;
		size_t k = raw_seal(big, t, pt, len, TS);
		assert_int_equal(k, (size_t)max + 1);
		assert_int_equal(wire_peek(big, k, NULL), -EMSGSIZE);
		assert_int_equal(wire_open(KEY, big, k, scratch,
					   sizeof(scratch), NULL, &out),
				 -EMSGSIZE);
	}
}

static void test_bad_magic_version_type(void **state)
{
	uint8_t pt[16] = { 0 };
	size_t n;

	n = raw_seal(pkt, WIRE_ECHO_REQUEST, pt, sizeof(pt), TS);
	assert_int_equal(wire_peek(pkt, n, NULL), 0);
	pkt[0] = 'X'; /* even correctly authenticated, wrong magic is out */
	assert_int_equal(open_must_fail(pkt, n), -EBADMSG);
	pkt[0] = 'B';
	pkt[4] = 2;
	assert_int_equal(open_must_fail(pkt, n), -EPROTONOSUPPORT);
	pkt[4] = 0;
	assert_int_equal(wire_peek(pkt, n, NULL), -EPROTONOSUPPORT);

	/* Authenticated packet with a type we do not know. */
	n = raw_seal(pkt, 0x05, pt, sizeof(pt), TS);
	assert_int_equal(open_must_fail(pkt, n), -EBADMSG);
	n = raw_seal(pkt, 0x00, pt, sizeof(pt), TS);
	assert_int_equal(open_must_fail(pkt, n), -EBADMSG);
}

/* Authentic packets whose plaintext is too short for their type. */
static void test_short_plaintext_authenticated(void **state)
{
	uint8_t pt[64] = { 0 };

	for (size_t i = 0; i < NTYPES; i++) {
		uint8_t t = all_types[i];
		int fixed = wire_fixed_len(t);
		size_t n;

		pt[4] = 1; /* valid bloat kind when long enough */
		n = raw_seal(pkt, t, pt, (size_t)fixed - 1, TS);
		assert_int_equal(open_must_fail(pkt, n), -EBADMSG);
		n = raw_seal(pkt, t, pt, (size_t)fixed, TS);
		struct wire_msg m;

		assert_int_equal(wire_open(KEY, pkt, n, scratch,
					   sizeof(scratch), NULL, &m),
				 0);
	}
}

static void test_bufferbloat_kind(void **state)
{
	uint8_t pt[8] = { 0, 0, 0, 9, 0, 0, 0, 0 };
	struct wire_msg m;

	for (unsigned k = 0; k < 256; k++) {
		pt[4] = (uint8_t)k;
		assert_int_equal(wire_decode(WIRE_BUFFERBLOAT_START, pt, 8, &m),
				 k >= 1 && k <= 3 ? 0 : -EBADMSG);
	}
	make_msg(WIRE_BUFFERBLOAT_START, &m, 0);
	m.has_cookie = 0; /* the fixed fields alone */
	m.u.bufferbloat_start.kind = 0;
	assert_int_equal(wire_seal(KEY, CID, TS, &m, NULL, 0, pkt, sizeof(pkt)),
			 -EINVAL);
	/* Reserved bytes are written as zero and ignored when read. */
	m.u.bufferbloat_start.kind = WIRE_BLOAT_DOWN;
	assert_int_equal(wire_encode(&m, pt, sizeof(pt)), 8);
	assert_int_equal(pt[5] | pt[6] | pt[7], 0);
	pt[5] = 0xff;
	assert_int_equal(wire_decode(WIRE_BUFFERBLOAT_START, pt, 8, &m), 0);
	assert_int_equal(m.u.bufferbloat_start.kind, WIRE_BLOAT_DOWN);
}

static void test_error_message(void **state)
{
	uint8_t pt[400];
	struct wire_msg m;

	/* Stops at NUL, control characters become '?'. */
	memcpy(pt,
	       "\x03"
	       "bad\x1b[2Jx\0junk",
	       15);
	assert_int_equal(wire_decode(WIRE_ERROR, pt, 15, &m), 0);
	assert_int_equal(m.u.error.code, 3);
	assert_string_equal(m.u.error.message, "bad?[2Jx");
	/* Long text is truncated into the buffer, NUL-terminated. */
	memset(pt + 1, 'a', sizeof(pt) - 1);
	assert_int_equal(wire_decode(WIRE_ERROR, pt, sizeof(pt), &m), 0);
	assert_int_equal(strlen(m.u.error.message), WIRE_ERROR_MSG_MAX - 1);
	/* Empty message. */
	assert_int_equal(wire_decode(WIRE_ERROR, pt, 1, &m), 0);
	assert_string_equal(m.u.error.message, "");
	/* Sealing a message that is not NUL-terminated is refused. */
	memset(m.u.error.message, 'z', sizeof(m.u.error.message));
	assert_int_equal(wire_encode(&m, pt, sizeof(pt)), -EINVAL);
}

static void test_seal_limits(void **state)
{
	struct wire_msg m;
	uint8_t pad[256] = { 0 };

	make_msg(WIRE_ECHO_REQUEST, &m, 0);
	assert_int_equal(
		wire_seal(KEY, CID, TS, &m, pad, 256, pkt, sizeof(pkt)),
		-EINVAL);
	/* fields (16) + cookie (16) */
	assert_int_equal(
		wire_seal(KEY, CID, TS, &m, pad, 0, pkt, WIRE_MIN_PACKET + 31),
		-ENOBUFS);
	assert_int_equal(
		wire_seal(KEY, CID, TS, &m, pad, 0, pkt, WIRE_MIN_PACKET + 32),
		WIRE_MIN_PACKET + 32);
	m.type = 0x77;
	assert_int_equal(wire_seal(KEY, CID, TS, &m, NULL, 0, pkt, sizeof(pkt)),
			 -EINVAL);
	make_msg(WIRE_THROUGHPUT_DATA, &m, 10);
	assert_int_equal(wire_seal(KEY, CID, TS, &m, pad, 1, pkt, sizeof(pkt)),
			 -EINVAL);
	make_msg(WIRE_ERROR, &m, 0);
	assert_int_equal(wire_seal(KEY, CID, TS, &m, pad, 1, pkt, sizeof(pkt)),
			 -EINVAL);
	/* data_len without data pointer */
	make_msg(WIRE_DOWNLOAD_DATA, &m, 0);
	m.u.download_data.data_len = 5;
	assert_int_equal(wire_encode(&m, scratch, sizeof(scratch)), -EINVAL);
}

static void test_scratch_too_small(void **state)
{
	int n = sealed_echo(20);
	struct wire_msg m;

	assert_int_equal(wire_open(KEY, pkt, (size_t)n, scratch,
				   (size_t)n - WIRE_MIN_PACKET - 1, NULL, &m),
			 -ENOBUFS);
	assert_int_equal(wire_open(KEY, pkt, (size_t)n, scratch,
				   (size_t)n - WIRE_MIN_PACKET, NULL, &m),
			 0);
}

/* The AEAD nonce is client_id[0..4] || nonce_ts, big-endian. */
static void test_nonce_layout(void **state)
{
	int n = sealed_echo(0);
	uint8_t nonce[12], pt[64];
	unsigned long long ptlen;
	uint64_t ts = TS;

	memcpy(nonce, CID, 4);
	for (int i = 0; i < 8; i++)
		nonce[4 + i] = (uint8_t)(ts >> (56 - 8 * i));
	assert_int_equal(crypto_aead_chacha20poly1305_ietf_decrypt(
				 pt, &ptlen, NULL, pkt + 24, (size_t)n - 24,
				 pkt, 24, nonce, KEY),
			 0);
	assert_int_equal(ptlen, 16 + WIRE_COOKIE_LEN);
	memcpy(nonce, CID + 4, 4); /* the other half must not work */
	assert_int_not_equal(crypto_aead_chacha20poly1305_ietf_decrypt(
				     pt, &ptlen, NULL, pkt + 24, (size_t)n - 24,
				     pkt, 24, nonce, KEY),
			     0);
}

/* An original-layout reply (no extension) with a short pad decodes
 * without extension; with 8+ pad bytes it reads as one (documented). */
static void test_extension_detection(void **state)
{
	struct wire_msg m, out;
	int n;

	make_msg(WIRE_ECHO_REPLY, &m, 0);
	m.u.echo_reply.has_ext = 0;
	m.u.echo_reply.requests_seen = m.u.echo_reply.highest_seq = 0;
	n = wire_seal(KEY, CID, TS + 1, &m, NULL, 7, pkt, sizeof(pkt));
	assert_int_equal(wire_open(KEY, pkt, (size_t)n, scratch,
				   sizeof(scratch), NULL, &out),
			 0);
	assert_int_equal(out.u.echo_reply.has_ext, 0);
	n = wire_seal(KEY, CID, TS + 1, &m, NULL, 8, pkt, sizeof(pkt));
	assert_int_equal(wire_open(KEY, pkt, (size_t)n, scratch,
				   sizeof(scratch), NULL, &out),
			 0);
	assert_int_equal(out.u.echo_reply.has_ext, 1);

	make_msg(WIRE_DOWNLOAD_END, &m, 0);
	m.u.download_end.has_ext = 0;
	m.u.download_end.chunks_sent = 0;
	n = wire_seal(KEY, CID, TS + 1, &m, NULL, 3, pkt, sizeof(pkt));
	assert_int_equal(wire_open(KEY, pkt, (size_t)n, scratch,
				   sizeof(scratch), NULL, &out),
			 0);
	assert_msg_equal(&m, &out);
}

/* ---- nonce generator and direction --------------------------------------- */

static void test_nonce_parity_and_monotonic(void **state)
{
	struct wire_nonce c, s;
	uint64_t prev_c = 0, prev_s = 0;
	const uint64_t nows[] = {
		1000, 1000, 1000, 1001, 999,	   5000,
		5001, 5001, 4000, 10,	123456789, 123456790
	};

	wire_nonce_init(&c, WIRE_DIR_C2S);
	wire_nonce_init(&s, WIRE_DIR_S2C);
	for (size_t i = 0; i < sizeof(nows) / sizeof(nows[0]); i++) {
		uint64_t a = wire_nonce_next(&c, nows[i]);
		uint64_t b = wire_nonce_next(&s, nows[i]);

		assert_int_equal(a % 2, 0);
		assert_int_equal(b % 2, 1);
		assert_true(a > prev_c);
		assert_true(b > prev_s);
		/* max(now, last+1) raised to parity: never more than +1. */
		assert_true(a >= nows[i] && a >= prev_c + 1);
		assert_true(a <=
			    (nows[i] > prev_c + 1 ? nows[i] : prev_c + 1) + 1);
		assert_true(b <=
			    (nows[i] > prev_s + 1 ? nows[i] : prev_s + 1) + 1);
		prev_c = a;
		prev_s = b;
	}
	/* Exact values for a few steps, worked out by hand. */
	wire_nonce_init(&c, WIRE_DIR_C2S);
	assert_int_equal(wire_nonce_next(&c, 1000), 1000);
	assert_int_equal(wire_nonce_next(&c, 1000), 1002);
	assert_int_equal(wire_nonce_next(&c, 1003), 1004);
	assert_int_equal(wire_nonce_next(&c, 2000), 2000);
	assert_int_equal(wire_nonce_next(&c, 0), 2002);
	wire_nonce_init(&s, WIRE_DIR_S2C);
	assert_int_equal(wire_nonce_next(&s, 1000), 1001);
	assert_int_equal(wire_nonce_next(&s, 1001), 1003);
	assert_int_equal(wire_nonce_next(&s, 0), 1005);
	/* Exhaustion gives 0 forever rather than a reused nonce. */
	s.last = UINT64_MAX - 2;
	assert_int_equal(wire_nonce_next(&s, 0), 0);
	assert_int_equal(wire_nonce_next(&s, UINT64_MAX), 0);
	c.last = 10;
	assert_int_equal(wire_nonce_next(&c, UINT64_MAX), 0);
	assert_int_equal(c.last, 10);
}

static void test_check_dir(void **state)
{
	struct wire_header h = { .type = WIRE_ECHO_REQUEST, .nonce_ts = 1001 };

	/* The server accepts a client's odd nonce (original clients). */
	assert_int_equal(wire_check_dir(&h, WIRE_DIR_C2S, 0), 0);
	assert_int_equal(wire_check_dir(&h, WIRE_DIR_C2S, 1), -EBADMSG);
	h.nonce_ts = 1000;
	assert_int_equal(wire_check_dir(&h, WIRE_DIR_C2S, 1), 0);
	/* A client never accepts a request type (a reflected packet). */
	assert_int_equal(wire_check_dir(&h, WIRE_DIR_S2C, 0), -EBADMSG);
	h.type = WIRE_ECHO_REPLY;
	assert_int_equal(wire_check_dir(&h, WIRE_DIR_S2C, 1), -EBADMSG);
	h.nonce_ts = 1001;
	assert_int_equal(wire_check_dir(&h, WIRE_DIR_S2C, 1), 0);
	assert_int_equal(wire_check_dir(&h, WIRE_DIR_C2S, 0), -EBADMSG);
	h.type = 0x99;
	assert_int_equal(wire_check_dir(&h, WIRE_DIR_S2C, 0), -EBADMSG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_type_table),
		cmocka_unit_test(test_roundtrip_all_types),
		cmocka_unit_test(test_roundtrip_random_pad),
		cmocka_unit_test(test_random_pad_no_amplification),
		cmocka_unit_test(test_data_points_into_scratch),
		cmocka_unit_test(test_vectors_exact_bytes),
		cmocka_unit_test(test_vector_knock_by_hand),
		cmocka_unit_test(test_wrong_key),
		cmocka_unit_test(test_every_bit_flip),
		cmocka_unit_test(test_truncated_and_extended),
		cmocka_unit_test(test_len_field_inconsistent),
		cmocka_unit_test(test_oversize),
		cmocka_unit_test(test_bad_magic_version_type),
		cmocka_unit_test(test_short_plaintext_authenticated),
		cmocka_unit_test(test_bufferbloat_kind),
		cmocka_unit_test(test_error_message),
		cmocka_unit_test(test_seal_limits),
		cmocka_unit_test(test_scratch_too_small),
		cmocka_unit_test(test_nonce_layout),
		cmocka_unit_test(test_extension_detection),
		cmocka_unit_test(test_nonce_parity_and_monotonic),
		cmocka_unit_test(test_check_dir),
		cmocka_unit_test(test_cookie_layout),
		cmocka_unit_test(test_vector_knock_ack_by_hand),
		cmocka_unit_test(test_max_len_per_type),
	};

	if (wire_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
