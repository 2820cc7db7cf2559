/* SPDX-License-Identifier: MIT */
/*
 * The Bufferbane wire protocol, version 1 (design/PROTOCOL.md): the 24-byte
 * header, every packet type's fields, ChaCha20-Poly1305 IETF seal/open and
 * the per-sender nonce generator.  Pure functions over caller buffers: no
 * sockets, no globals, no allocation.  Call wire_init() once at start-up
 * (before any thread uses proto/); everything else is thread-safe.
 *
 * Receive path, in this order (PROTOCOL.md "Hardening rules"):
 *   wire_peek -> wire_check_dir -> antireplay_check -> wire_open
 *   -> antireplay_commit
 */
#ifndef BB_WIRE_H
#define BB_WIRE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define WIRE_MAGIC	   0x4246424EU /* "BFBN" */
#define WIRE_VERSION	   0x01
#define WIRE_HEADER_LEN	   24
#define WIRE_TAG_LEN	   16
#define WIRE_KEY_LEN	   32
#define WIRE_CLIENT_ID_LEN 8
#define WIRE_NONCE_LEN	   12
#define WIRE_MAX_DATAGRAM  65507 /* largest IPv4 UDP payload */
#define WIRE_DEFAULT_CHUNK 1200	 /* default datagram for DATA streams */
#define WIRE_MAX_PAD	   255
#define WIRE_MIN_PACKET	   (WIRE_HEADER_LEN + WIRE_TAG_LEN)
#define WIRE_MAX_PLAIN	   (WIRE_MAX_DATAGRAM - WIRE_MIN_PACKET)
#define WIRE_DATA_HDR_LEN  8   /* test_id + chunk_seq before data */
#define WIRE_ERROR_MSG_MAX 128 /* message buffer incl. NUL */
#define WIRE_COOKIE_LEN	   16  /* revision 2: return-routability cookie */

enum wire_type {
	WIRE_KNOCK = 0x01,
	WIRE_KNOCK_ACK = 0x02,
	WIRE_ECHO_REQUEST = 0x10,
	WIRE_ECHO_REPLY = 0x11,
	WIRE_THROUGHPUT_START = 0x20,
	WIRE_THROUGHPUT_DATA = 0x21,
	WIRE_THROUGHPUT_END = 0x22,
	WIRE_THROUGHPUT_STATS = 0x23,
	WIRE_DOWNLOAD_REQUEST = 0x30,
	WIRE_DOWNLOAD_DATA = 0x31,
	WIRE_DOWNLOAD_END = 0x32,
	WIRE_BUFFERBLOAT_START = 0x40,
	WIRE_BUFFERBLOAT_END = 0x41,
	WIRE_ERROR = 0xFF,
};

/* Direction of a type; equals the nonce_ts parity its sender uses. */
enum wire_dir {
	WIRE_DIR_C2S = 0, /* client -> server, even nonce_ts */
	WIRE_DIR_S2C = 1, /* server -> client, odd nonce_ts */
};

/* ERROR codes (PROTOCOL.md). */
enum wire_error_code {
	WIRE_ERR_KNOCK_FIRST = 1,
	WIRE_ERR_AUTH = 2,
	WIRE_ERR_RATE_LIMIT = 3,
	WIRE_ERR_MALFORMED = 4,
	WIRE_ERR_TOO_LARGE = 5,
	WIRE_ERR_OVERLOADED = 6,
};

/* BUFFERBLOAT_START kind. */
enum wire_bloat_kind {
	WIRE_BLOAT_UP = 1,
	WIRE_BLOAT_DOWN = 2,
	WIRE_BLOAT_BOTH = 3,
};

struct wire_header {
	uint32_t magic;
	uint8_t version;
	uint8_t type;
	uint16_t len; /* ciphertext + tag */
	uint8_t client_id[WIRE_CLIENT_ID_LEN];
	uint64_t nonce_ts; /* ns since the epoch, strictly increasing */
};

/* THROUGHPUT_DATA and DOWNLOAD_DATA.  Sealing copies data_len bytes from
 * data; after wire_open/wire_decode, data points INTO the caller's plaintext
 * (scratch) buffer and is valid only as long as that buffer is. */
struct wire_data {
	uint32_t test_id;
	uint32_t chunk_seq;
	const uint8_t *data;
	size_t data_len;
};

/* A decoded packet: type plus that type's fields (host byte order).
 * Revision 2 (PROTOCOL.md rule 8): KNOCK_ACK and every request but
 * THROUGHPUT_DATA carry a cookie right after their fixed fields; sealed when
 * has_cookie (-EINVAL on a type without one), set on decode when the
 * plaintext is long enough to hold it. */
struct wire_msg {
	uint8_t type; /* enum wire_type */
	uint8_t has_cookie;
	uint8_t cookie[WIRE_COOKIE_LEN];
	union {
		struct {
			uint64_t unix_time; /* seconds */
		} knock;
		struct {
			uint32_t session_id;
			uint32_t valid_until; /* unix seconds */
		} knock_ack;
		struct {
			uint32_t seq;
			uint32_t client_send_ns_low;
			uint64_t token;
		} echo_request;
		struct {
			uint32_t seq;
			uint32_t client_send_ns_low;
			uint64_t token;
			uint64_t server_rx_ns;
			uint64_t server_tx_ns;
			/* Extension: sealed when has_ext; set on decode when
			 * the plaintext is long enough to hold it. */
			uint8_t has_ext;
			uint32_t requests_seen;
			uint32_t highest_seq;
		} echo_reply;
		struct {
			uint32_t test_id;
			uint32_t target_bytes;
			uint32_t expected_ms;
		} throughput_start;
		struct wire_data throughput_data;
		struct {
			uint32_t test_id;
			uint32_t total_bytes_sent;
		} throughput_end;
		struct {
			uint32_t test_id;
			uint32_t bytes_rx;
			uint32_t duration_ms;
			uint32_t kbps;
			uint32_t packets_rx;
			uint32_t packets_lost;
		} throughput_stats;
		struct {
			uint32_t test_id;
			uint32_t bytes;
			uint32_t rate_kbps; /* 0 = server's cap */
		} download_request;
		struct wire_data download_data;
		struct {
			uint32_t test_id;
			uint32_t total_bytes_sent;
			/* chunks_sent: sealed when has_ext, like echo_reply */
			uint8_t has_ext;
			uint32_t chunks_sent;
		} download_end;
		struct {
			uint32_t test_id;
			uint8_t kind; /* enum wire_bloat_kind */
		} bufferbloat_start;
		struct {
			uint32_t test_id;
		} bufferbloat_end;
		struct {
			uint8_t code; /* enum wire_error_code */
			char message[WIRE_ERROR_MSG_MAX]; /* NUL-terminated */
		} error;
	} u;
};

/* Per-sender nonce_ts generator; one per (sender, key), never shared. */
struct wire_nonce {
	uint64_t last;	/* last nonce_ts handed out, 0 = none yet */
	uint8_t parity; /* enum wire_dir of the sender */
};

/* sodium_init(); call once before anything else in proto/.  0 or -EIO. */
int wire_init(void);
/* "KNOCK", "ECHO_REPLY", ...; "UNKNOWN" for codes not in enum wire_type. */
const char *wire_type_name(uint8_t type);
/* Direction of a known type, or -EINVAL. */
int wire_type_dir(uint8_t type);
/* Bytes of a type's fixed fields (the minimum plaintext), or -EINVAL. */
int wire_fixed_len(uint8_t type);
/* 1 when a type carries the revision-2 cookie after its fixed fields. */
int wire_type_has_cookie(uint8_t type);
/* Largest datagram of a type anyone following PROTOCOL.md sends: header,
 * fixed fields, cookie, extensions, 255 pad bytes and tag; WIRE_MAX_DATAGRAM
 * for DATA and ERROR.  -EINVAL for an unknown type (rule 12). */
int wire_max_len(uint8_t type);

/* Plaintext of m's fields (no padding) into out; length or -errno
 * (-EINVAL bad field or type, -ENOBUFS cap too small, -EMSGSIZE too big). */
int wire_encode(const struct wire_msg *m, uint8_t *out, size_t cap);
/* Fields of `type` from a plaintext; trailing bytes are padding (or
 * extensions).  0 or -EBADMSG; m is written only on success. */
int wire_decode(uint8_t type, const uint8_t *pt, size_t len,
		struct wire_msg *m);

/* Header checks without the key: size bounds, magic, version, len field ==
 * datagram size - 24, known type, no longer than wire_max_len(type) (so an
 * oversized packet costs no AEAD work).  0, -EMSGSIZE, -EBADMSG or
 * -EPROTONOSUPPORT (version); h may be NULL, else written on success. */
int wire_peek(const uint8_t *pkt, size_t len, struct wire_header *h);
/* Receiver policy before the AEAD: type must flow in `expect` direction and,
 * if strict_parity, nonce_ts must have that direction's parity (a client is
 * strict; the server accepts any parity).  0 or -EBADMSG. */
int wire_check_dir(const struct wire_header *h, enum wire_dir expect,
		   int strict_parity);

/* Seal m with pad_len padding bytes (pad NULL = random) into out; returns
 * the datagram length or -errno.  DATA and ERROR types end at the datagram's
 * end, so they take no padding (pad_len must be 0, else -EINVAL). */
int wire_seal(const uint8_t key[static WIRE_KEY_LEN],
	      const uint8_t client_id[static WIRE_CLIENT_ID_LEN],
	      uint64_t nonce_ts, const struct wire_msg *m, const uint8_t *pad,
	      size_t pad_len, uint8_t *out, size_t outcap);
/* wire_seal with 0..255 random pad bytes (none for DATA/ERROR), shortened so
 * the datagram never exceeds outcap (pass the request's size to never
 * amplify); -ENOBUFS if even the fields do not fit. */
int wire_seal_random_pad(const uint8_t key[static WIRE_KEY_LEN],
			 const uint8_t client_id[static WIRE_CLIENT_ID_LEN],
			 uint64_t nonce_ts, const struct wire_msg *m,
			 uint8_t *out, size_t outcap);
/* Peek, authenticate and decode one datagram.  The plaintext goes to
 * scratch (scratch_len >= len - 40; must not overlap pkt); DATA payloads in
 * m point into scratch.  0 or -errno (-EBADMSG when authentication fails,
 * -ENOBUFS small scratch); h (may be NULL) and m are written only on
 * success. */
int wire_open(const uint8_t key[static WIRE_KEY_LEN], const uint8_t *pkt,
	      size_t len, uint8_t *scratch, size_t scratch_len,
	      struct wire_header *h, struct wire_msg *m);

/* Start a generator for a sender of direction `dir` (client even, server
 * odd). */
void wire_nonce_init(struct wire_nonce *n, enum wire_dir dir);
/* max(now_ns, last + 1) raised to the sender's parity; 0 once exhausted. */
uint64_t wire_nonce_next(struct wire_nonce *n, uint64_t now_ns);

/* One nonce_ts sequence shared by threads (rule 13): wire_nonce_next's
 * rule, made lock-free with a compare-and-swap, so concurrent callers
 * never get the same value and each caller's values strictly increase. */
struct wire_nonce_shared {
	_Atomic uint64_t last; /* last nonce_ts handed out, 0 = none yet */
	uint8_t parity;	       /* enum wire_dir of the sender */
};

/* Static initialiser for a shared generator of direction dir. */
#define WIRE_NONCE_SHARED_INIT(dir)                                            \
	{                                                                      \
		.last = 0, .parity = (dir)&1                                   \
	}
/* max(now_ns, last + 1) raised to the parity, atomically; 0 once
 * exhausted. */
uint64_t wire_nonce_shared_next(struct wire_nonce_shared *n, uint64_t now_ns);

#endif
