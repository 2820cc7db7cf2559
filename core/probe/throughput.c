// SPDX-License-Identifier: MIT
/*
 * Throughput arithmetic (see throughput.h).  The receiver keeps each
 * packet's RX time and size (a growing array, at most TPUT_MAX_PACKETS),
 * so the steady part can be chosen after the fact; duplicates are found
 * with a bitmap over chunk_seq.
 */
#include "core/probe/throughput.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/base/sample.h"

struct pkt {
	int64_t t;
	uint32_t len;
};

struct tput_rx {
	struct pkt *p;
	size_t n, cap;
	uint8_t *seen; /* bitmap over chunk_seq */
	size_t seen_bytes;
	uint32_t max_seq;
	int have_seq;
};

size_t tput_ip_len(size_t udp_len, int ipv6)
{
	return udp_len + (ipv6 ? 48 : 28);
}

void tput_pacer_start(struct tput_pacer *p, int64_t kbps, int64_t now_ns)
{
	p->Bps = (double)kbps * 1000.0 / 8.0;
	p->start_ns = now_ns;
	p->sent = 0;
}

int64_t tput_pacer_due(const struct tput_pacer *p, size_t ip_len,
		       int64_t now_ns)
{
	double allowed =
		p->Bps * (double)(now_ns - p->start_ns) / 1e9 + (double)ip_len;
	double want = (double)(p->sent + ip_len);
	if (want <= allowed)
		return 0;
	return now_ns + 1 + (int64_t)((want - allowed) / p->Bps * 1e9);
}

void tput_pacer_sent(struct tput_pacer *p, size_t ip_len)
{
	p->sent += ip_len;
}

int64_t tput_next_rate(const struct tput_memory *m)
{
	int64_t base =
		m->last_kbps > m->peak_kbps ? m->last_kbps : m->peak_kbps;
	int64_t r = base > 0 ? (int64_t)((double)base * TPUT_OVERSHOOT)
			     : TPUT_START_KBPS;
	if (r < 64)
		r = 64;
	if (r > TPUT_MAX_KBPS)
		r = TPUT_MAX_KBPS;
	return r;
}

void tput_remember(struct tput_memory *m, int64_t kbps)
{
	if (kbps <= 0)
		return;
	int64_t faded = (int64_t)((double)m->peak_kbps * TPUT_PEAK_DECAY);
	m->last_kbps = kbps;
	m->peak_kbps = kbps > faded ? kbps : faded;
}

struct tput_rx *tput_rx_new(void)
{
	return calloc(1, sizeof(struct tput_rx));
}

void tput_rx_free(struct tput_rx *r)
{
	if (!r)
		return;
	free(r->p);
	free(r->seen);
	free(r);
}

void tput_rx_reset(struct tput_rx *r)
{
	r->n = 0;
	r->have_seq = 0;
	r->max_seq = 0;
	if (r->seen)
		memset(r->seen, 0, r->seen_bytes);
}

void tput_rx_add(struct tput_rx *r, uint32_t seq, size_t ip_len, int64_t rx_ns)
{
	if (seq >= TPUT_MAX_PACKETS)
		return;
	size_t byte = seq / 8;
	if (byte >= r->seen_bytes) {
		size_t nb = r->seen_bytes ? r->seen_bytes : 1024;
		while (nb <= byte)
			nb *= 2;
		uint8_t *s = realloc(r->seen, nb);
		if (!s)
			return;
		memset(s + r->seen_bytes, 0, nb - r->seen_bytes);
		r->seen = s;
		r->seen_bytes = nb;
	}
	if (r->seen[byte] & (1u << (seq % 8)))
		return; /* duplicate */
	if (r->n == r->cap) {
		size_t nc = r->cap ? r->cap * 2 : 1024;
		struct pkt *p = realloc(r->p, nc * sizeof(*p));
		if (!p)
			return;
		r->p = p;
		r->cap = nc;
	}
	r->seen[byte] |= (uint8_t)(1u << (seq % 8));
	r->p[r->n].t = rx_ns;
	r->p[r->n].len = (uint32_t)ip_len;
	r->n++;
	if (!r->have_seq || seq > r->max_seq)
		r->max_seq = seq;
	r->have_seq = 1;
}

uint64_t tput_rx_packets(const struct tput_rx *r)
{
	return r->n;
}

void tput_rx_result(const struct tput_rx *r, uint32_t chunks_sent,
		    struct tput_result *out)
{
	memset(out, 0, sizeof(*out));
	out->kbps = BB_NONE;
	out->packets = r->n;
	out->expected = chunks_sent
				? chunks_sent
				: (r->have_seq ? (uint64_t)r->max_seq + 1 : 0);
	if (out->expected > out->packets)
		out->loss_ppm = tput_loss_ppm(out->expected - out->packets,
					      out->expected);
	if (r->n < 3)
		return;
	size_t first = r->n * TPUT_RAMP_PCT / 100;
	if (first > r->n - 3)
		first = r->n - 3;
	uint64_t bytes = 0;
	for (size_t i = first + 1; i < r->n; i++)
		bytes += r->p[i].len;
	int64_t dur = r->p[r->n - 1].t - r->p[first].t;
	out->duration_ns = dur;
	if (dur > 0)
		out->kbps =
			(int64_t)(bytes * 8ULL * 1000000ULL / (uint64_t)dur);
}

int32_t tput_loss_ppm(uint64_t lost, uint64_t total)
{
	if (!total)
		return -1;
	if (lost >= total)
		return 1000000;
	/* lost < total <= 2^64: scale down first so lost * 10^6 fits */
	while (total > UINT64_MAX / 1000000ULL) {
		lost >>= 1;
		total >>= 1;
	}
	uint64_t ppm = lost * 1000000ULL / total;
	return (int32_t)(ppm < 1000000 ? ppm : 999999); /* lost < total */
}

int tput_stats_check(const struct tput_stats *st, const struct tput_sent *sent,
		     int32_t *loss_ppm, char *why, size_t whylen)
{
	uint64_t counted = (uint64_t)st->packets_rx + st->packets_lost;
	/* the server's IP header size may differ from ours (options, v4 vs
	 * v6 mapping): 10 % and one full datagram of slack */
	uint64_t bits_max =
		sent->ip_bytes * 8 + sent->ip_bytes * 8 / 10 + 65535ULL * 8;

	if (st->packets_rx > sent->packets) {
		snprintf(why, whylen,
			 "bad answer: %u packets counted, %llu sent",
			 st->packets_rx, (unsigned long long)sent->packets);
		return -ERANGE;
	}
	if (counted > sent->packets) {
		snprintf(why, whylen, "bad answer: %u rx + %u lost, %llu sent",
			 st->packets_rx, st->packets_lost,
			 (unsigned long long)sent->packets);
		return -ERANGE;
	}
	if (st->bytes_rx > sent->bytes) {
		snprintf(why, whylen, "bad answer: %u bytes counted, %llu sent",
			 st->bytes_rx, (unsigned long long)sent->bytes);
		return -ERANGE;
	}
	/* the server's clock may run a little fast: 1 s of slack */
	if ((int64_t)st->duration_ms * 1000000 >
	    sent->elapsed_ns + 1000000000) {
		snprintf(why, whylen,
			 "bad answer: %u ms measured, test took %lld ms",
			 st->duration_ms,
			 (long long)(sent->elapsed_ns / 1000000));
		return -ERANGE;
	}
	/* kbit/s x ms = bits: the rate cannot carry more than was sent */
	if ((uint64_t)st->kbps * st->duration_ms > bits_max ||
	    st->kbps > 2ULL * TPUT_MAX_KBPS) {
		snprintf(why, whylen,
			 "bad answer: %u kbps over %u ms, more than sent",
			 st->kbps, st->duration_ms);
		return -ERANGE;
	}
	*loss_ppm = tput_loss_ppm(st->packets_lost, counted);
	return 0;
}
