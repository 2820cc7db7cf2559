// SPDX-License-Identifier: MIT
/*
 * The echo probe's tests (core/probe/probe_echo.c runs the session and the
 * echo stream they share; core/probe/echo_internal.h the probe's state).
 *
 * Tests (probe_server in the target): throughput on the small/medium/large
 * schedules (upload then download of the same size, paced at
 * TPUT_OVERSHOOT x the last result so the bottleneck is exceeded; upload
 * measured by the server, download here), and the bufferbloat test: idle
 * baseline, then per direction a load phase (upload DATA paced and ramped
 * x2 every RAMP_NS until the RTT rises; download streamed by the server at
 * its cap) with echoes every bloat_echo_ns, and a recovery until the RTT is
 * back near the baseline.  Results leave as UPLOAD / DOWNLOAD /
 * BUFFERBLOAT samples; tests never overlap.
 */
#include "core/probe/probe.h"
#include "core/probe/probe_echo.h"
#include "core/probe/echo_internal.h"

#include <errno.h>
#include <ev.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include <sodium.h>

#include "core/probe/bloat.h"
#include "core/base/clock.h"
#include "core/probe/clocksync.h"
#include "core/base/config.h"
#include "core/base/sock.h"
#include "core/probe/srvclient.h"
#include "core/probe/throughput.h"

/* ---- throughput tests --------------------------------------------------- */

static void bloat_start(struct probe *p);

void echo_emit_tput(struct probe *p, enum bb_probe_kind kind, enum bb_status st,
		    int64_t kbps, int32_t loss_ppm, const char *detail)
{
	struct bb_sample s;
	echo_sample_base(p, kind, p->cur.start_mono, p->cur.start_real, &s);
	s.status = (uint8_t)st;
	s.seq = p->cur.id;
	s.throughput_kbps = kbps;
	s.loss_ppm = loss_ppm;
	copy_str(s.detail, sizeof(s.detail), detail);
	p->emit(p->emit_ctx, &s);
}

static size_t chunk_data(const struct probe *p)
{
	size_t c = p->t.srv.chunk_bytes ? p->t.srv.chunk_bytes
					: WIRE_DEFAULT_CHUNK;
	if (c > 65507)
		c = 65507;
	if (c < WIRE_MIN_PACKET + WIRE_DATA_HDR_LEN + 1)
		c = WIRE_MIN_PACKET + WIRE_DATA_HDR_LEN + 1;
	return c - WIRE_MIN_PACKET - WIRE_DATA_HDR_LEN;
}

static uint32_t new_test_id(struct probe *p)
{
	return (uint32_t)(p->cookie >> 32) + ++p->test_seq;
}

/* Send paced DATA for test id until `limit` data bytes (UINT64_MAX: until
 * stopped); returns when it wants to run again (INT64_MAX: done). */
static int64_t pump_upload(struct probe *p, uint32_t id, uint64_t limit)
{
	size_t per = chunk_data(p);
	int64_t now = clock_mono_ns();
	for (int i = 0; i < TX_BURST_MAX; i++) {
		if (p->cur.sent >= limit)
			return INT64_MAX;
		uint64_t left = limit - p->cur.sent;
		size_t n = left < per ? (size_t)left : per;
		size_t ip = tput_ip_len(n + WIRE_MIN_PACKET + WIRE_DATA_HDR_LEN,
					p->ipv6);
		int64_t due = tput_pacer_due(&p->cur.pacer, ip, now);
		if (due)
			return due;
		struct wire_msg m = { .type = WIRE_THROUGHPUT_DATA };
		m.u.throughput_data.test_id = id;
		m.u.throughput_data.chunk_seq = p->cur.chunk_seq;
		m.u.throughput_data.data = p->rxbuf; /* any bytes will do */
		m.u.throughput_data.data_len = n;
		int rc = echo_xmit(p, &m, 0);
		if (rc == -EAGAIN || rc == -ENOBUFS)
			return now + BB_NS_PER_MS; /* socket full: wait */
		/* other errors: the datagram is lost, as on the line */
		p->cur.chunk_seq++;
		p->cur.sent += n;
		p->cur.ip_sent += ip;
		tput_pacer_sent(&p->cur.pacer, ip);
	}
	return now;
}

static void upload_start(struct probe *p, uint32_t bytes)
{
	memset(&p->cur, 0, sizeof(p->cur));
	p->cur.kind = T_UPLOAD;
	p->cur.id = new_test_id(p);
	p->cur.bytes = bytes;
	p->cur.start_mono = clock_mono_ns();
	p->cur.start_real = clock_real_ns();
	/* the download of the same size follows in the same span */
	echo_load_begin(p, p->cur.start_mono,
			UL_MAX_NS + STATS_WAIT_NS + DL_MAX_NS + LOAD_MARGIN_NS);
	p->cur.rate_kbps = tput_next_rate(&p->up_rates);
	struct wire_msg m = { .type = WIRE_THROUGHPUT_START };
	m.u.throughput_start.test_id = p->cur.id;
	m.u.throughput_start.target_bytes = bytes;
	m.u.throughput_start.expected_ms =
		(uint32_t)((uint64_t)bytes * 8 / (uint64_t)p->cur.rate_kbps);
	echo_xmit(p, &m, 0);
	echo_xmit(p, &m, 0); /* START has no answer: send it twice */
	/* let START arrive before the first DATA */
	tput_pacer_start(&p->cur.pacer, p->cur.rate_kbps,
			 clock_mono_ns() + 10 * BB_NS_PER_MS);
	echo_arm_at(p, &p->pace, clock_mono_ns() + 10 * BB_NS_PER_MS);
}

static void download_request(struct probe *p)
{
	struct wire_msg m = { .type = WIRE_DOWNLOAD_REQUEST };
	m.u.download_request.test_id = p->cur.id;
	m.u.download_request.bytes = p->cur.bytes;
	m.u.download_request.rate_kbps = (uint32_t)p->cur.rate_kbps;
	echo_xmit(p, &m, 0);
	p->cur.requests++;
}

static void download_start(struct probe *p, uint32_t bytes)
{
	memset(&p->cur, 0, sizeof(p->cur));
	p->cur.kind = T_DOWNLOAD;
	p->cur.id = new_test_id(p);
	p->cur.bytes = bytes;
	p->cur.start_mono = clock_mono_ns();
	p->cur.start_real = clock_real_ns();
	echo_load_begin(p, p->cur.start_mono, DL_MAX_NS + LOAD_MARGIN_NS);
	/* 0 = the server's cap for the first test */
	p->cur.rate_kbps = p->down_rates.last_kbps > 0
				   ? tput_next_rate(&p->down_rates)
				   : 0;
	p->cur.deadline = p->cur.start_mono + DL_MAX_NS;
	tput_rx_reset(p->rx);
	download_request(p);
	echo_arm_at(p, &p->pace, clock_mono_ns() + 500 * BB_NS_PER_MS);
}

void echo_download_finish(struct probe *p, uint32_t chunks)
{
	struct tput_result r;
	tput_rx_result(p->rx, chunks, &r);
	char d[BB_DETAIL_LEN];
	snprintf(d, sizeof(d), "%u kB at %lld kbps", p->cur.bytes / 1000,
		 (long long)p->cur.rate_kbps);
	if (chunks && chunks < r.packets) {
		char why[128]; /* echo_emit_tput keeps BB_DETAIL_LEN */
		snprintf(why, sizeof(why),
			 "bad answer: %u chunks sent, %llu arrived", chunks,
			 (unsigned long long)r.packets);
		echo_emit_tput(p, BB_KIND_DOWNLOAD, BB_STATUS_ERROR, BB_NONE,
			       -1, why);
	} else if (r.kbps == BB_NONE) {
		echo_emit_tput(p, BB_KIND_DOWNLOAD, BB_STATUS_ERROR, BB_NONE,
			       r.loss_ppm, "too few packets received");
	} else {
		tput_remember(&p->down_rates, r.kbps);
		echo_emit_tput(p, BB_KIND_DOWNLOAD, BB_STATUS_OK, r.kbps,
			       r.loss_ppm, d);
	}
	echo_test_done(p);
}

void echo_on_pace(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct probe *p = w->data;
	int64_t now = clock_mono_ns();
	if (p->cur.kind == T_UPLOAD) {
		if (!p->cur.end_at) {
			int64_t next = pump_upload(p, p->cur.id, p->cur.bytes);
			if (next != INT64_MAX &&
			    now - p->cur.start_mono < UL_MAX_NS) {
				echo_arm_at(p, w, next);
				return;
			}
			p->cur.end_at = now;
			p->cur.deadline = now + STATS_WAIT_NS;
		}
		if (now >= p->cur.deadline) {
			echo_emit_tput(p, BB_KIND_UPLOAD, BB_STATUS_TIMEOUT,
				       BB_NONE, -1, "no upload stats");
			echo_test_done(p);
			return;
		}
		struct wire_msg m = { .type = WIRE_THROUGHPUT_END };
		m.u.throughput_end.test_id = p->cur.id;
		m.u.throughput_end.total_bytes_sent = (uint32_t)p->cur.sent;
		echo_xmit(p, &m, 0); /* repeated until the stats arrive */
		echo_arm_at(p, w, now + 250 * BB_NS_PER_MS);
	} else if (p->cur.kind == T_DOWNLOAD) {
		uint64_t got = tput_rx_packets(p->rx);
		if (now >= p->cur.deadline ||
		    (got && now - p->cur.last_data > 3 * BB_NS_PER_S)) {
			echo_download_finish(p, 0);
			return;
		}
		if ((!got && p->cur.requests < 6) ||
		    (got && now - p->cur.last_data > BB_NS_PER_S))
			download_request(p); /* lost request, or lost END */
		echo_arm_at(p, w, now + 500 * BB_NS_PER_MS);
	} else if (p->cur.kind == T_BLOAT && p->b_up_load) {
		echo_arm_at(p, w, pump_upload(p, p->b_id, UINT64_MAX));
	}
}

void echo_on_stats(struct probe *p, const struct wire_msg *m)
{
	if (p->cur.kind != T_UPLOAD ||
	    m->u.throughput_stats.test_id != p->cur.id)
		return;
	const struct tput_stats st = {
		.bytes_rx = m->u.throughput_stats.bytes_rx,
		.duration_ms = m->u.throughput_stats.duration_ms,
		.kbps = m->u.throughput_stats.kbps,
		.packets_rx = m->u.throughput_stats.packets_rx,
		.packets_lost = m->u.throughput_stats.packets_lost,
	};
	const struct tput_sent sent = {
		.packets = p->cur.chunk_seq,
		.bytes = p->cur.sent,
		.ip_bytes = p->cur.ip_sent,
		.elapsed_ns = clock_mono_ns() - p->cur.start_mono,
	};
	uint32_t bytes = p->cur.bytes;
	char why[128]; /* echo_emit_tput keeps BB_DETAIL_LEN */
	int32_t ppm = -1;
	if (tput_stats_check(&st, &sent, &ppm, why, sizeof(why)) < 0) {
		echo_emit_tput(p, BB_KIND_UPLOAD, BB_STATUS_ERROR, BB_NONE, -1,
			       why);
	} else if (st.packets_rx < 3) {
		echo_emit_tput(p, BB_KIND_UPLOAD, BB_STATUS_ERROR, BB_NONE, ppm,
			       "too few packets received");
	} else {
		char d[BB_DETAIL_LEN];
		snprintf(d, sizeof(d), "%u kB at %lld kbps", bytes / 1000,
			 (long long)p->cur.rate_kbps);
		tput_remember(&p->up_rates, m->u.throughput_stats.kbps);
		echo_emit_tput(p, BB_KIND_UPLOAD, BB_STATUS_OK,
			       m->u.throughput_stats.kbps, ppm, d);
	}
	ev_timer_stop(p->loop, &p->pace);
	download_start(p, bytes); /* the same size the other way */
}

/* ---- scheduling --------------------------------------------------------- */

void echo_sched_arm(struct probe *p)
{
	int64_t at = p->bloat_next;
	for (int i = 0; i < 3; i++)
		if (p->tput_next[i] < at)
			at = p->tput_next[i];
	echo_arm_at(p, &p->sched, at);
}

void echo_on_sched(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct probe *p = w->data;
	int64_t now = clock_mono_ns();
	if (p->cur.kind != T_NONE) {
		echo_arm_at(p, w, now + BB_NS_PER_S);
		return;
	}
	if (!echo_session_up(p)) {
		echo_arm_at(p, w, now + NOT_UP_RETRY_NS);
		return;
	}
	if (p->bloat_next <= now) {
		p->bloat_next = p->t.srv.bloat_every_ns > 0
					? now + p->t.srv.bloat_every_ns
					: INT64_MAX;
		bloat_start(p);
		return;
	}
	int big = -1;
	for (int i = 0; i < 3; i++)
		if (p->tput_next[i] <= now)
			big = i;
	if (big >= 0) {
		for (int i = 0; i <= big; i++)
			if (p->tput_next[i] <= now ||
			    p->tput_next[i] - now <
				    p->t.srv.tput_every_ns[i] / 2)
				p->tput_next[i] =
					now + p->t.srv.tput_every_ns[i];
		upload_start(p, p->t.srv.tput_bytes[big]);
		return;
	}
	echo_sched_arm(p);
}

void echo_test_done(struct probe *p)
{
	p->cur.kind = T_NONE;
	echo_load_end(p);
	ev_timer_stop(p->loop, &p->pace);
	ev_timer_stop(p->loop, &p->bstep);
	echo_sched_arm(p);
}

static void bloat_stop_upload(struct probe *p)
{
	if (!p->b_up_load)
		return;
	struct wire_msg m = { .type = WIRE_BUFFERBLOAT_END };
	m.u.bufferbloat_end.test_id = p->b_id;
	echo_xmit(p, &m, 0);
	echo_xmit(p, &m, 0);
	p->b_up_load = 0;
}

/* End the running test before its time (why: "server lost", "timed out";
 * NULL: cancelled by the user, no result sample).  The load span ends
 * with it. */
void echo_test_abort(struct probe *p, const char *why)
{
	switch (p->cur.kind) {
	case T_NONE:
		return;
	case T_UPLOAD:
	case T_DOWNLOAD:
		if (why)
			echo_emit_tput(p,
				       p->cur.kind == T_UPLOAD
					       ? BB_KIND_UPLOAD
					       : BB_KIND_DOWNLOAD,
				       BB_STATUS_ERROR, BB_NONE, -1, why);
		break;
	case T_BLOAT:
		bloat_stop_upload(p);
		p->b_down_load = 0;
		p->b_load_start = 0;
		if (why) {
			struct bb_sample s;
			echo_sample_base(p, BB_KIND_BUFFERBLOAT,
					 p->cur.start_mono, p->cur.start_real,
					 &s);
			s.seq = p->cur.id;
			s.status = BB_STATUS_ERROR;
			s.load_phase = (uint8_t)bloat_load_phase(
				p->b_phases[p->b_idx]);
			copy_str(s.detail, sizeof(s.detail), why);
			p->emit(p->emit_ctx, &s);
		}
		break;
	}
	echo_test_done(p);
}

void echo_on_guard(struct ev_loop *loop, ev_timer *w, int revents)
{
	echo_test_abort(w->data, "timed out");
}

/* ---- bufferbloat test --------------------------------------------------- */

static int64_t recent_p50(struct probe *p, int64_t since)
{
	int64_t v[8];
	unsigned n = 0, have = p->b_nrecent < 8 ? p->b_nrecent : 8;
	for (unsigned i = 0; i < have; i++)
		if (p->b_recent_t[i] >= since)
			v[n++] = p->b_recent[i];
	if (n < 3)
		return BB_NONE;
	for (unsigned i = 1; i < n; i++)
		for (unsigned j = i; j > 0 && v[j] < v[j - 1]; j--) {
			int64_t x = v[j];
			v[j] = v[j - 1];
			v[j - 1] = x;
		}
	return v[n / 2];
}

void echo_bloat_rtt(struct probe *p, const struct slot *s, int64_t rtt,
		    int64_t up, int64_t down)
{
	if (p->cur.kind != T_BLOAT)
		return;
	unsigned i = p->b_nrecent++ % 8;
	p->b_recent[i] = rtt;
	p->b_recent_t[i] = s->send_mono;
	if (s->phase == BLOAT_IDLE || s->phase == BLOAT_UP ||
	    s->phase == BLOAT_DOWN || s->phase == BLOAT_BOTH)
		bloat_add(p->acc, (enum bloat_phase)s->phase,
			  s->send_mono - s->load_start, rtt, up, down);
}

int64_t echo_bloat_idle_ns(const struct probe *p)
{
	int64_t d = p->t.srv.bloat_load_ns / 2;
	if (d < 1500 * BB_NS_PER_MS)
		d = 1500 * BB_NS_PER_MS;
	if (d > 5 * BB_NS_PER_S)
		d = 5 * BB_NS_PER_S;
	return d;
}

static int bloat_nphases(const struct probe *p)
{
	uint8_t k = p->t.srv.bloat_kind ? p->t.srv.bloat_kind : 3;
	return k == 3 ? 3 : 1;
}

/* The longest a bufferbloat test takes: idle, then per phase its load
 * and the longest recovery (a step late each). */
static int64_t bloat_max_ns(const struct probe *p)
{
	return echo_bloat_idle_ns(p) +
	       bloat_nphases(p) *
		       (p->t.srv.bloat_load_ns + RECOVER_MAX_NS + STEP_NS);
}

/* BUFFERBLOAT_START for the upload part of the load (the download part is
 * a paced DOWNLOAD_REQUEST, so its rate can follow the ramp instead of the
 * server's cap, which would drop most echo replies in the bottleneck). */
static void bloat_send_start(struct probe *p)
{
	struct wire_msg m = { .type = WIRE_BUFFERBLOAT_START };
	m.u.bufferbloat_start.test_id = p->b_id;
	m.u.bufferbloat_start.kind = WIRE_BLOAT_UP;
	echo_xmit(p, &m, 0);
}

/* (Re)request the download load at b_down_kbps until the phase ends. */
static void bloat_request_down(struct probe *p, int64_t now)
{
	int64_t left = p->b_load_start + p->t.srv.bloat_load_ns - now;
	if (left < 100 * BB_NS_PER_MS)
		left = 100 * BB_NS_PER_MS;
	uint64_t bytes =
		(uint64_t)((double)p->b_down_kbps * 125.0 * (double)left / 1e9);
	if (bytes < 10000)
		bytes = 10000;
	if (bytes > 90000000)
		bytes = 90000000;
	p->b_did = new_test_id(p);
	struct wire_msg m = { .type = WIRE_DOWNLOAD_REQUEST };
	m.u.download_request.test_id = p->b_did;
	m.u.download_request.bytes = (uint32_t)bytes;
	m.u.download_request.rate_kbps = (uint32_t)p->b_down_kbps;
	echo_xmit(p, &m, 0);
	p->b_starts++;
	p->b_down_seen = 0;
}

static void bloat_load_begin(struct probe *p, int64_t now)
{
	enum bloat_phase ph = p->b_phases[p->b_idx];
	p->b_state = B_LOAD;
	p->b_load_start = p->b_phase_start = now;
	p->b_starts = 0;
	p->b_loaded = 0;
	p->b_ramped = 0;
	p->b_next_ramp = now + RAMP_NS;
	p->b_up_load = ph == BLOAT_UP || ph == BLOAT_BOTH;
	p->b_down_load = ph == BLOAT_DOWN || ph == BLOAT_BOTH;
	if (p->b_down_load) {
		/* both at once: each direction at the rate that filled its
		 * queue alone (a ramp held by the first queue to fill would
		 * leave the other direction idle) */
		p->b_down_kbps = p->b_down_sat > 0 ? p->b_down_sat
				 : p->down_rates.last_kbps > 0
					 ? tput_next_rate(&p->down_rates)
					 : RAMP_START_KBPS;
		bloat_request_down(p, now);
	}
	if (p->b_up_load) {
		p->b_id = new_test_id(p);
		bloat_send_start(p);
		bloat_send_start(p);
		p->cur.sent = 0;
		p->cur.chunk_seq = 0;
		p->b_up_kbps = p->b_up_sat > 0 ? p->b_up_sat
			       : p->up_rates.last_kbps > 0
				       ? tput_next_rate(&p->up_rates)
				       : RAMP_START_KBPS;
		tput_pacer_start(&p->cur.pacer, p->b_up_kbps,
				 now + 10 * BB_NS_PER_MS);
		echo_arm_at(p, &p->pace, now + 10 * BB_NS_PER_MS);
	}
}

/* Load ramp (MEASUREMENT.md: the sender must exceed the bottleneck): every
 * RAMP_NS, while the RTT of the echoes sent since the last step has not
 * risen, double the load; once it has, hold it. */
static void bloat_ramp(struct probe *p, int64_t now)
{
	if (p->b_loaded || now < p->b_next_ramp)
		return;
	int64_t since = p->b_next_ramp - RAMP_NS + 100 * BB_NS_PER_MS;
	int64_t r = recent_p50(p, since);
	int64_t thr = p->b_idle_p50 + p->b_idle_p50 / 2 + 3 * BB_NS_PER_MS;
	p->b_next_ramp = now + RAMP_NS;
	if (r == BB_NONE || r >= thr) {
		p->b_loaded = r != BB_NONE;
		/* a ramp stops anywhere between the line rate and twice it:
		 * half as much again fills the queue in a fraction of a
		 * second rather than a slow creep just above the line rate */
		if (p->b_loaded && p->b_ramped) {
			if (p->b_up_load)
				p->b_up_kbps += p->b_up_kbps / 2;
			if (p->b_down_load)
				p->b_down_kbps += p->b_down_kbps / 2;
			if (p->b_up_load)
				tput_pacer_start(&p->cur.pacer, p->b_up_kbps,
						 now);
			if (p->b_down_load)
				bloat_request_down(p, now);
		}
		return;
	}
	p->b_ramped = 1;
	if (p->b_up_load && p->b_up_kbps < TPUT_MAX_KBPS) {
		p->b_up_kbps *= 2;
		tput_pacer_start(&p->cur.pacer, p->b_up_kbps, now);
	}
	if (p->b_down_load && p->b_down_kbps < TPUT_MAX_KBPS) {
		p->b_down_kbps *= 2;
		bloat_request_down(p, now);
	}
}

static void bloat_finish(struct probe *p)
{
	ev_timer_stop(p->loop, &p->bstep);
	ev_timer_stop(p->loop, &p->pace);
	p->b_nres = 0;
	for (int i = 0; i < p->b_nph; i++) {
		struct bloat_result r;
		struct bb_sample s;
		echo_sample_base(p, BB_KIND_BUFFERBLOAT, p->cur.start_mono,
				 p->cur.start_real, &s);
		s.seq = p->cur.id;
		if (bloat_result(p->acc, p->b_phases[i], &r) < 0) {
			s.status = BB_STATUS_ERROR;
			s.load_phase =
				(uint8_t)bloat_load_phase(p->b_phases[i]);
			copy_str(s.detail, sizeof(s.detail),
				 "no echoes answered");
		} else {
			p->b_res[p->b_nres++] = r;
			s.status = BB_STATUS_OK;
			bloat_mark(&r, &s);
		}
		p->emit(p->emit_ctx, &s);
	}
	p->b_runs++;
	p->b_load_start = 0;
	echo_test_done(p);
}

void echo_on_bstep(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct probe *p = w->data;
	int64_t now = clock_mono_ns();
	int phase = -1;
	switch (p->b_state) {
	case B_IDLE:
		if (now - p->b_phase_start >= echo_bloat_idle_ns(p)) {
			p->b_idle_p50 = bloat_recent_p50(p->acc, BLOAT_IDLE,
							 BLOAT_MAX_ECHOES);
			if (p->b_idle_p50 == BB_NONE) {
				bloat_finish(p); /* nothing answered */
				return;
			}
			bloat_load_begin(p, now);
		}
		break;
	case B_LOAD:
		bloat_ramp(p, now);
		if (p->b_down_load && !p->b_down_seen && p->b_starts < 8 &&
		    now - p->b_phase_start > 300 * BB_NS_PER_MS * p->b_starts)
			bloat_request_down(p, now); /* request lost */
		if (now - p->b_load_start >= p->t.srv.bloat_load_ns) {
			if (p->b_loaded && p->b_phases[p->b_idx] == BLOAT_UP)
				p->b_up_sat = p->b_up_kbps;
			if (p->b_loaded && p->b_phases[p->b_idx] == BLOAT_DOWN)
				p->b_down_sat = p->b_down_kbps;
			bloat_stop_upload(p);
			p->b_down_load = 0;
			ev_timer_stop(p->loop, &p->pace);
			p->b_state = B_RECOVER;
			p->b_phase_start = now;
		}
		break;
	case B_RECOVER: {
		int64_t r =
			recent_p50(p, p->b_phase_start + 100 * BB_NS_PER_MS);
		int64_t ok =
			p->b_idle_p50 + 5 * BB_NS_PER_MS + p->b_idle_p50 / 2;
		if ((r != BB_NONE && r <= ok) ||
		    now - p->b_phase_start >= RECOVER_MAX_NS) {
			if (++p->b_idx >= p->b_nph) {
				bloat_finish(p);
				return;
			}
			bloat_load_begin(p, now);
		}
		break;
	}
	}
	if (p->b_state == B_IDLE)
		phase = BLOAT_IDLE;
	else if (p->b_state == B_LOAD)
		phase = p->b_phases[p->b_idx];
	else
		phase = BLOAT_NPHASES; /* recovery: ramp/recovery checks only */
	echo_send(p, 0, phase, 0);
	int64_t step =
		p->t.srv.bloat_echo_ns ? p->t.srv.bloat_echo_ns : STEP_NS;
	echo_arm_at(p, w, now + step);
}

static void bloat_start(struct probe *p)
{
	memset(&p->cur, 0, sizeof(p->cur));
	p->cur.kind = T_BLOAT;
	p->cur.id = new_test_id(p);
	p->cur.start_mono = clock_mono_ns();
	p->cur.start_real = clock_real_ns();
	bloat_reset(p->acc);
	p->b_nph = 0;
	uint8_t k = p->t.srv.bloat_kind ? p->t.srv.bloat_kind : 3;
	if (k == 1 || k == 3)
		p->b_phases[p->b_nph++] = BLOAT_UP;
	if (k == 2 || k == 3)
		p->b_phases[p->b_nph++] = BLOAT_DOWN;
	if (k == 3)
		p->b_phases[p->b_nph++] = BLOAT_BOTH;
	echo_load_begin(p, p->cur.start_mono, bloat_max_ns(p) + LOAD_MARGIN_NS);
	p->b_idx = 0;
	p->b_state = B_IDLE;
	p->b_phase_start = p->cur.start_mono;
	p->b_load_start = p->cur.start_mono;
	p->b_nrecent = 0;
	p->b_up_load = 0;
	p->b_up_sat = p->b_down_sat = 0;
	echo_arm_at(p, &p->bstep, clock_mono_ns());
}
