/* SPDX-License-Identifier: MIT */
/*
 * The one record every probe emits (ARCHITECTURE.md "Data flow").  Plain data
 * with no pointers: it crosses threads through rings by value and is read back
 * from SQLite unchanged, which is what makes replay indistinguishable from
 * live.
 *
 * Times are nanoseconds: mono_ns on CLOCK_MONOTONIC (schedules, windows),
 * real_ns on CLOCK_REALTIME (what is stored and shown).  A figure that a kind
 * does not measure is BB_NONE.
 */
#ifndef BB_SAMPLE_H
#define BB_SAMPLE_H

#include <stdint.h>

#define BB_NONE INT64_MIN /* "not measured" for any int64_t figure */

#define BB_IFNAME_LEN 16 /* IFNAMSIZ */
#define BB_TARGET_LEN 64
#define BB_SERVER_LEN 32
#define BB_DETAIL_LEN 48 /* human words only: an error's reason */
#define BB_ADDR_LEN   46 /* INET6_ADDRSTRLEN: a numeric address */

enum bb_probe_kind {
	BB_KIND_ICMP,
	BB_KIND_UDP_ECHO,
	BB_KIND_DNS,
	BB_KIND_TCP_CONNECT,
	BB_KIND_UPLOAD,
	BB_KIND_DOWNLOAD,
	BB_KIND_BUFFERBLOAT,
	BB_KIND_TRAFFIC, /* interface byte counters (core/probe/traffic.h) */
	BB_KIND_PATH,	 /* one TTL-limited echo: hop, responder, rtt */
	BB_KIND_COUNT
};

enum bb_status {
	BB_STATUS_OK,
	BB_STATUS_TIMEOUT,
	BB_STATUS_ERROR,
	BB_STATUS_COUNT
};

/* Flags on a sample: how its reply arrived, beside the status. */
enum {
	BB_SAMPLE_LATE = 1 << 0,       /* reply came after the timeout */
	BB_SAMPLE_DUPLICATE = 1 << 1,  /* second reply to the same probe */
	BB_SAMPLE_REORDERED = 1 << 2,  /* RFC 4737: lower seq than one seen */
	BB_SAMPLE_UNDER_LOAD = 1 << 3, /* sent while our own throughput or
					  bloat test loaded the line */
	/* Markers a probe emits to its worker, never passed on: our own test
	 * loads this interface from / until mono_ns, so the worker flags
	 * every delay probe it sends meanwhile BB_SAMPLE_UNDER_LOAD. */
	BB_SAMPLE_LOAD_START = 1 << 4,
	BB_SAMPLE_LOAD_END = 1 << 5,
	/* Marker too: from mono_ns on, the load is load_phase (the worker
	 * gives the other probes' UNDER_LOAD samples that phase). */
	BB_SAMPLE_LOAD_PHASE = 1 << 7,
	/* An echo "sent" while there was no session with the companion server
	 * (wrong key, server down, port blocked): status TIMEOUT, but it says
	 * nothing about the line, so it is never loss (the measurements view
	 * shows status "no_session"). */
	BB_SAMPLE_NO_SESSION = 1 << 6,
	/* (such an echo's detail ends with BB_DETAIL_REFUSED when the
	 * server's host answered "port unreachable": nothing listens; see
	 * sample_no_session_why) */
	/* A path sample answered by the target itself (echo reply, or
	 * unreachable from the target's address): hop is the path's length. */
	BB_SAMPLE_PATH_END = 1 << 8,
};

#define BB_DETAIL_REFUSED "refused: no server running"
/* What silence leaves as the reason (sample_no_session_why NULL). */
#define BB_NO_SESSION_GUESSES "wrong key, server down or port blocked?"

/* Samples the rollups and the period figures (stats, report) leave out:
 * annotations of a probe already counted, probes that measured our own
 * test's load rather than the line (the bloat result judges that), and
 * echoes without a session (counted apart, as the server's state). */
#define BB_SAMPLE_UNCOUNTED                                                    \
	(BB_SAMPLE_LATE | BB_SAMPLE_DUPLICATE | BB_SAMPLE_UNDER_LOAD |         \
	 BB_SAMPLE_NO_SESSION)

/* Which direction a lost echo died in (the server's requests_seen says). */
enum bb_loss_dir {
	BB_LOSS_UNKNOWN, /* no later reply has told yet, or not an echo */
	BB_LOSS_UP,	 /* the server never saw the request */
	BB_LOSS_DOWN,	 /* the server saw it; the reply died */
};

/* Which load our own test put on the line: the phase of a bufferbloat
 * result, or the load a probe flagged UNDER_LOAD was sent into. */
enum bb_load_phase {
	BB_PHASE_NONE,
	BB_PHASE_IDLE,
	BB_PHASE_UP,
	BB_PHASE_DOWN,
	BB_PHASE_BOTH,
	BB_PHASE_COUNT
};

/* A bufferbloat result's figures (kind BB_KIND_BUFFERBLOAT, status OK);
 * rtt_ns of the sample is the loaded median, up/down_delay_ns the loaded
 * one-way medians.  BB_NONE where not measured. */
struct bb_bloat_figures {
	int64_t idle_p50_ns;
	int64_t loaded_p95_ns;
	int64_t increase_ns;		/* loaded p50 - idle p50 */
	int64_t up_inc_ns, down_inc_ns; /* one-way increases, synced clock */
	int32_t rpm;			/* round trips per minute under load */
};

struct bb_sample {
	int64_t real_ns;	       /* wall clock at send */
	int64_t mono_ns;	       /* monotonic clock at send */
	int64_t send_error_ns;	       /* actual send - scheduled deadline */
	char interface[BB_IFNAME_LEN]; /* "" = default route */
	char target[BB_TARGET_LEN];    /* display name of the target */
	char server[BB_SERVER_LEN];    /* companion server name, "" if none */
	uint8_t kind;		       /* enum bb_probe_kind */
	uint8_t status;		       /* enum bb_status */
	uint16_t flags;		       /* BB_SAMPLE_* */
	uint32_t seq;
	/* The kind's main delay: RTT (icmp, udp_echo), resolution time (dns),
	 * SYN->established (tcp_connect), loaded RTT (bufferbloat). */
	int64_t rtt_ns;
	int64_t up_delay_ns; /* one-way, only with a synced clock */
	int64_t down_delay_ns;
	int64_t throughput_kbps; /* IP-layer rate (upload, download) */
	/* traffic: the interface's receive and transmit rates over the
	 * interval ending at this sample's time (kernel counters, every
	 * byte of the host, our probes' own included) */
	int64_t rx_kbps, tx_kbps;
	int32_t loss_ppm;   /* loss in parts per million, -1 = none */
	uint8_t loss_dir;   /* enum bb_loss_dir, lost echoes */
	uint8_t load_phase; /* enum bb_load_phase */
	/* Clock sync with the server when this echo was answered: quality in
	 * percent (-1 = no estimate), the exchanges behind it (the detector
	 * wants a minimum) and the offset it applied. */
	int8_t sync_pct;
	uint8_t sync_n; /* up to CLOCKSYNC_WINDOW */
	int64_t clock_offset_ns;
	struct bb_bloat_figures bloat; /* BB_KIND_BUFFERBLOAT only */
	/* BB_KIND_PATH only: the TTL (hop limit) the echo was sent with and
	 * who answered it (the router that sent time exceeded, or the target
	 * itself); "" when nobody did. */
	uint8_t hop;
	char hop_addr[BB_ADDR_LEN];
	char detail[BB_DETAIL_LEN]; /* human words: an error's reason */
};

/* Zero a sample and mark every figure "not measured". */
void sample_init(struct bb_sample *s, enum bb_probe_kind kind);
/* Stable names used in the database and the CLI ("icmp", "dns", ...);
 * the kinds table (core/probe/kind.h) holds them. */
const char *sample_kind_name(enum bb_probe_kind kind);
const char *sample_status_name(enum bb_status status);
/* Inverse of the above; -1 when the name is unknown. */
int sample_kind_from_name(const char *name);
int sample_status_from_name(const char *name);
/* Why an echo had no session (BB_SAMPLE_NO_SESSION), when that is known:
 * it was not even sent (an error: "cannot resolve vps.example") or the
 * server's port refused ("port 9876 refused: no server running"); NULL
 * for silence (a wrong key, a blocked port or a host that is down) and
 * for any other sample. */
const char *sample_no_session_why(const struct bb_sample *s);

#endif
