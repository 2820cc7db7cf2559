/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for proto/: arbitrary bytes through wire_peek,
 * wire_check_dir and wire_open under a fixed key (the test-vector key, so
 * the valid-* seeds authenticate), the same bytes through wire_decode as a
 * plaintext (first byte = type), and as a nonce stream through the replay
 * window.  Properties checked beyond "no crash": a decoded message
 * re-encodes to the bytes it came from, encode/decode is idempotent, a
 * failed open leaves its outputs untouched, and the window stays sorted.
 * Seeds: tests/fuzz/corpus/wire/{valid,edge,malformed}-*.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/antireplay.h"
#include "proto/wire.h"

static const uint8_t key[WIRE_KEY_LEN] = {
	0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a,
	0x8b, 0x8c, 0x8d, 0x8e, 0x8f, 0x90, 0x91, 0x92, 0x93, 0x94, 0x95,
	0x96, 0x97, 0x98, 0x99, 0x9a, 0x9b, 0x9c, 0x9d, 0x9e, 0x9f,
};

static uint8_t scratch[WIRE_MAX_DATAGRAM];
static uint8_t enc1[WIRE_MAX_DATAGRAM], enc2[WIRE_MAX_DATAGRAM];

#define CHECK(c)                                                               \
	do {                                                                   \
		if (!(c))                                                      \
			abort();                                               \
	} while (0)

/* m was decoded from pt[0..len): re-encode and compare. */
static void roundtrip(const struct wire_msg *m, const uint8_t *pt, size_t len)
{
	struct wire_msg m2;
	int n1, n2;

	n1 = wire_encode(m, enc1, sizeof(enc1));
	CHECK(n1 >= 0 && (size_t)n1 <= len);
	if (m->type != WIRE_ERROR && m->type != WIRE_BUFFERBLOAT_START)
		CHECK(memcmp(enc1, pt, (size_t)n1) == 0);
	if (m->type == WIRE_BUFFERBLOAT_START)
		CHECK(memcmp(enc1, pt, 5) == 0); /* reserved bytes zeroed */
	CHECK(wire_decode(m->type, enc1, (size_t)n1, &m2) == 0);
	n2 = wire_encode(&m2, enc2, sizeof(enc2));
	CHECK(n2 == n1 && memcmp(enc1, enc2, (size_t)n1) == 0);
}

static void fuzz_packet(const uint8_t *data, size_t size)
{
	struct wire_header h, h0;
	struct wire_msg m, m0;
	int rc;

	if (wire_peek(data, size, &h) == 0) {
		CHECK(h.len == size - WIRE_HEADER_LEN);
		/* rule 12: nothing past its type's maximum gets this far */
		CHECK(size <= (size_t)wire_max_len(h.type));
		(void)wire_check_dir(&h, WIRE_DIR_C2S, 0);
		(void)wire_check_dir(&h, WIRE_DIR_S2C, 1);
	}
	memset(&h, 0xa5, sizeof(h));
	memset(&m, 0xa5, sizeof(m));
	h0 = h;
	m0 = m;
	rc = wire_open(key, data, size, scratch, sizeof(scratch), &h, &m);
	if (rc < 0) {
		CHECK(memcmp(&h, &h0, sizeof(h)) == 0);
		CHECK(memcmp(&m, &m0, sizeof(m)) == 0);
		return;
	}
	CHECK(h.type == m.type);
	roundtrip(&m, scratch, size - WIRE_MIN_PACKET);
}

static void fuzz_plaintext(const uint8_t *data, size_t size)
{
	struct wire_msg m;

	if (size < 1 || size - 1 > sizeof(scratch))
		return;
	/* Copy so DATA pointers refer to a buffer that outlives the call. */
	memcpy(scratch, data + 1, size - 1);
	if (wire_decode(data[0], scratch, size - 1, &m) == 0)
		roundtrip(&m, scratch, size - 1);
}

static void fuzz_replay(const uint8_t *data, size_t size)
{
	static struct antireplay_window w;
	uint64_t now = 0;

	antireplay_init(&w);
	for (size_t i = 0; i + 8 <= size && i < 8 * 512; i += 8) {
		uint64_t ts = 0;

		memcpy(&ts, data + i, 8);
		if (i == 0)
			now = ts;
		ts = now - (1ULL << 20) + (ts & ((1ULL << 21) - 1));
		if (antireplay_check(&w, ts, now) == 0) {
			CHECK(antireplay_commit(&w, ts) == 0);
			CHECK(antireplay_check(&w, ts, now) == -EALREADY);
		}
	}
	for (uint32_t i = 1; i < w.count; i++)
		CHECK(w.slot[(w.head + i - 1) % REPLAY_SLOTS] <
		      w.slot[(w.head + i) % REPLAY_SLOTS]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;

	if (!ready) {
		CHECK(wire_init() == 0);
		ready = 1;
	}
	fuzz_packet(data, size);
	fuzz_plaintext(data, size);
	fuzz_replay(data, size);
	return 0;
}
