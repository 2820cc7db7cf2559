/* SPDX-License-Identifier: MIT */
/*
 * The arithmetic of upload and download tests (MEASUREMENT.md
 * "Throughput"): a pacer that spreads IP-layer bytes evenly at a chosen
 * rate (the sender must exceed the bottleneck to find it), the receiver's
 * accounting for downloads (IP-layer rate over the steady part: the first
 * TPUT_RAMP_PCT % of packets are the ramp and only open the interval), the
 * next sending rate from the last result, and the IP-layer size of a
 * datagram.  Rates are kbit/s of UDP payload + 28 bytes IPv4/UDP header (48
 * for IPv6), what a shaper counts apart from the link-layer header.  No
 * I/O, no clocks: times are passed in.
 */
#ifndef BB_THROUGHPUT_H
#define BB_THROUGHPUT_H

#include <stddef.h>
#include <stdint.h>

#define TPUT_RAMP_PCT	 10	 /* % of received packets left out */
#define TPUT_START_KBPS	 100000	 /* first test when nothing is known */
#define TPUT_MAX_KBPS	 2000000 /* never pace faster than this */
#define TPUT_OVERSHOOT	 1.5	 /* pace this much above the last rate */
#define TPUT_PEAK_DECAY	 0.9	 /* the remembered peak fades per test */
#define TPUT_MAX_PACKETS (1u << 20)

/* Spreads bytes evenly: by time t after start, at most rate * t + one
 * datagram have been sent. */
struct tput_pacer {
	double Bps; /* IP-layer bytes per second */
	int64_t start_ns;
	uint64_t sent; /* IP-layer bytes */
};

struct tput_rx; /* download receiver, opaque */

/* A download's result (the receiver's view). */
struct tput_result {
	int64_t kbps;	   /* IP-layer over the steady part, BB_NONE if < 3 */
	uint64_t packets;  /* received (duplicates not counted) */
	uint64_t expected; /* chunks the sender says it sent */
	int32_t loss_ppm;
	int64_t duration_ns; /* steady part */
};

/* What a server's THROUGHPUT_STATS says about an upload. */
struct tput_stats {
	uint32_t bytes_rx, duration_ms, kbps, packets_rx, packets_lost;
};

/* What this client sent in that upload (64-bit: no sum can wrap). */
struct tput_sent {
	uint64_t packets, bytes, ip_bytes; /* DATA datagrams, payload, IP */
	int64_t elapsed_ns; /* from the first DATA to the stats' arrival */
};

/* lost of total in ppm, clamped to 0..1000000; -1 when total is 0. */
int32_t tput_loss_ppm(uint64_t lost, uint64_t total);
/* A server's upload figures against what was sent: more packets or bytes
 * received than sent, a measuring time longer than the test, or a rate
 * that carries more than was sent (or faster than this client ever sends)
 * cannot come from an honest server.  0 with the loss in *loss_ppm
 * (tput_loss_ppm), or -ERANGE with the reason in why. */
int tput_stats_check(const struct tput_stats *st, const struct tput_sent *sent,
		     int32_t *loss_ppm, char *why, size_t whylen);

/* IP-layer bytes of a UDP datagram of udp_len payload bytes. */
size_t tput_ip_len(size_t udp_len, int ipv6);
/* Start pacing at kbps at now. */
void tput_pacer_start(struct tput_pacer *p, int64_t kbps, int64_t now_ns);
/* 0 when ip_len more bytes may go now, else the time they may. */
int64_t tput_pacer_due(const struct tput_pacer *p, size_t ip_len,
		       int64_t now_ns);
/* Count ip_len bytes as sent. */
void tput_pacer_sent(struct tput_pacer *p, size_t ip_len);
/* What one direction's past tests say about the line.  A test can only
 * measure up to the rate it is paced at, so pacing at 1.5 x the last
 * result alone would take several tests to see a line recover from a deep
 * fall; the remembered peak (fading by TPUT_PEAK_DECAY per test, so a
 * lasting downgrade is followed) lets the first test after a recovery
 * measure it. */
struct tput_memory {
	int64_t last_kbps; /* newest result, 0 = none yet */
	int64_t peak_kbps; /* max(result, peak x TPUT_PEAK_DECAY) */
};

/* Rate for the next test: TPUT_OVERSHOOT x max(last, peak)
 * (TPUT_START_KBPS when nothing is known), clamped to [64, TPUT_MAX_KBPS]. */
int64_t tput_next_rate(const struct tput_memory *m);
/* Remember a test's result (kbps > 0). */
void tput_remember(struct tput_memory *m, int64_t kbps);

/* Receiver for one download; NULL on out of memory. */
struct tput_rx *tput_rx_new(void);
/* Free. */
void tput_rx_free(struct tput_rx *r);
/* Forget the previous test. */
void tput_rx_reset(struct tput_rx *r);
/* One DATA datagram: chunk seq, its IP-layer size, kernel RX time. */
void tput_rx_add(struct tput_rx *r, uint32_t seq, size_t ip_len, int64_t rx_ns);
/* Result; chunks_sent from DOWNLOAD_END (0 = unknown: highest seq + 1). */
void tput_rx_result(const struct tput_rx *r, uint32_t chunks_sent,
		    struct tput_result *out);
/* Packets received so far. */
uint64_t tput_rx_packets(const struct tput_rx *r);

#endif
