// SPDX-License-Identifier: MIT
/*
 * UDP echo probe to a companion server (PROTOCOL.md, MEASUREMENT.md), and
 * the throughput and bufferbloat tests that run over the same session.  One
 * connected UDP socket per instance; the session (knock, backoff, refresh,
 * re-knock) is core/srvclient, the clock offset core/clocksync, the test
 * arithmetic core/throughput and core/bloat.
 *
 * Echo stream: every send() (the engine's schedule) is one ECHO_REQUEST and
 * exactly one sample: OK with the RTT (kernel RX time - send time), and the
 * one-way delays while the clock sync quality is >= 80 %; TIMEOUT with
 * detail "lost up" (the server never saw it: its requests_seen/highest_seq
 * extension says so), "lost down" (the server saw it, the reply died),
 * "lost" (no later reply to tell) or "server unreachable" (no session).
 * Direction is known only once a later reply arrives, so a timed-out probe
 * waits up to HOLD_NS for one.  Loss is counted per session: upstream lost
 * = (highest_seq - first seq of the session + 1) - requests_seen; each
 * resolved loss is upstream while fewer have been called upstream than
 * that, else downstream (RFC 4737 counting; per-packet attribution is
 * exact when losses are in one direction).  Late replies are LATE
 * annotations, second replies DUPLICATE, out-of-order REORDERED.  OK
 * samples carry "sync q=.. n=.. off=.." in detail (clocksync_format) for
 * the main thread's time_sync events.
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
#include "core/base/text.h"
#include "core/probe/srvclient.h"
#include "core/probe/throughput.h"

#define ECHO_SLOTS	1024
#define HOLD_NS		(2 * BB_NS_PER_S)
#define RX_DRAIN_MAX	512
#define TX_BURST_MAX	256
#define RAMP_NS		(250 * BB_NS_PER_MS)
#define RAMP_START_KBPS 2000 /* load start when no rate is known */
#define STEP_NS		(20 * BB_NS_PER_MS)
#define STATS_WAIT_NS	(5 * BB_NS_PER_S)
#define DL_MAX_NS	(60 * BB_NS_PER_S)
#define UL_MAX_NS	(60 * BB_NS_PER_S) /* a slower upload stops there */
#define RECOVER_MAX_NS	(3 * BB_NS_PER_S)
#define LOAD_MARGIN_NS	(10 * BB_NS_PER_S)
#define NOT_UP_RETRY_NS (200 * BB_NS_PER_MS)
/* After a test, echoes still meet the queue it filled (a cable modem's
 * buffer holds up to about a second): they count as under load. */
#define LOAD_DRAIN_NS (1 * BB_NS_PER_S)

enum slot_state { S_FREE, S_INFLIGHT, S_EXPIRED, S_ANSWERED, S_REPORTED };
enum test_kind { T_NONE, T_UPLOAD, T_DOWNLOAD, T_BLOAT };
enum bloat_state { B_IDLE, B_LOAD, B_RECOVER };

struct slot {
	uint32_t seq;
	uint8_t state, emit;
	int8_t phase;	    /* enum bloat_phase, -1 = not part of a test */
	uint8_t under_load; /* sent while one of our tests ran */
	unsigned session;
	int64_t send_mono, send_real, send_err, expired_at, load_start;
};

struct probe {
	struct ev_loop *loop;
	struct probe_target t;
	probe_emit_fn emit;
	void *emit_ctx;
	int fd, ipv6;
	int knock_err; /* errno of the last handshake send, 0 = sent */
	struct srvclient *sc;
	struct clocksync *cs;
	uint64_t cookie;
	uint32_t next_seq, highest;
	uint64_t sent_total; /* requests ever sent: seqs 0..sent_total-1 */
	int answered_any;
	/* per-session loss split, from the server's counters relative to
	 * the first answer of the session (R0, H0): a re-knock may open a new
	 * session that counts afresh or keep the old one counting on */
	unsigned session;
	uint32_t srv_R0, srv_H0, srv_R, srv_H, up_attr;
	int have_srv;
	struct slot slots[ECHO_SLOTS];
	ev_io io;
	ev_timer tmo, knock, sched, pace, bstep, guard;
	/* tests */
	int64_t tput_next[3], bloat_next;
	struct tput_memory up_rates, down_rates; /* past tests */
	int64_t load_ended_mono; /* when our last test stopped loading */
	int load_on;		 /* a LOAD_START without its LOAD_END */
	uint32_t test_seq;
	struct {
		enum test_kind kind;
		uint32_t id, bytes, chunk_seq;
		uint64_t sent, ip_sent; /* DATA payload and IP bytes */
		int64_t rate_kbps, start_mono, start_real, deadline;
		int64_t end_at, last_data;
		int requests;
		struct tput_pacer pacer;
	} cur;
	struct tput_rx *rx;
	/* bufferbloat */
	struct bloat_acc *acc;
	enum bloat_state b_state;
	enum bloat_phase b_phases[3];
	int b_nph, b_idx;
	int64_t b_phase_start, b_load_start, b_next_ramp, b_idle_p50;
	uint32_t b_id, b_did;
	int b_up_load, b_down_load, b_down_seen, b_starts, b_loaded;
	int64_t b_up_kbps, b_down_kbps;
	int64_t b_up_sat, b_down_sat; /* rates that filled each queue */
	int b_ramped;		      /* this phase doubled its load */
	int64_t b_recent[8];
	int64_t b_recent_t[8];
	unsigned b_nrecent;
	struct bloat_result b_res[3];
	int b_nres, b_runs;
	uint8_t tx[WIRE_MAX_DATAGRAM];
	uint8_t rxbuf[WIRE_MAX_DATAGRAM];
};

static void sample_base(const struct probe *p, enum bb_probe_kind kind,
			int64_t mono, int64_t real, struct bb_sample *s)
{
	sample_init(s, kind);
	s->mono_ns = mono;
	s->real_ns = real;
	copy_str(s->interface, sizeof(s->interface), p->t.interface);
	copy_str(s->target, sizeof(s->target), p->t.name);
	copy_str(s->server, sizeof(s->server), p->t.name);
}

/* Tell the worker our test loads the interface from / until mono (a marker
 * it keeps: it flags the other probes' samples sent meanwhile); a start
 * states the longest the test may take (the worker's hard bound). */
static void load_mark(struct probe *p, uint16_t flag, int64_t mono,
		      int64_t bound_ns)
{
	struct bb_sample s;
	sample_base(p, BB_KIND_UDP_ECHO, mono, 0, &s);
	s.flags = flag;
	s.rtt_ns = bound_ns;
	p->emit(p->emit_ctx, &s);
}

static void arm_at(struct probe *p, ev_timer *w, int64_t at);

/* One span per test, whatever it chains (upload then download): every
 * start has exactly one end (load_end on every path out of a test), and
 * the guard aborts a test that outlives its bound. */
static void load_begin(struct probe *p, int64_t mono, int64_t bound_ns)
{
	if (p->load_on)
		return;
	p->load_on = 1;
	load_mark(p, BB_SAMPLE_LOAD_START, mono, bound_ns);
	arm_at(p, &p->guard, mono + bound_ns);
}

static void load_end(struct probe *p)
{
	ev_timer_stop(p->loop, &p->guard);
	if (!p->load_on)
		return;
	p->load_on = 0;
	p->load_ended_mono = clock_mono_ns();
	load_mark(p, BB_SAMPLE_LOAD_END, p->load_ended_mono + LOAD_DRAIN_NS,
		  BB_NONE);
}

static void emit_slot(struct probe *p, const struct slot *sl, enum bb_status st,
		      const char *detail, uint16_t flags)
{
	if (!sl->emit)
		return;
	struct bb_sample s;
	sample_base(p, BB_KIND_UDP_ECHO, sl->send_mono, sl->send_real, &s);
	s.send_error_ns = sl->send_err;
	s.status = (uint8_t)st;
	s.seq = sl->seq;
	s.flags = flags | (sl->under_load ? BB_SAMPLE_UNDER_LOAD : 0);
	if (detail)
		copy_str(s.detail, sizeof(s.detail), detail);
	p->emit(p->emit_ctx, &s);
}

/* Seal and send m; 0 or -errno. */
static int xmit(struct probe *p, const struct wire_msg *m, size_t pad)
{
	int len = srvclient_seal(p->sc, m, clock_real_ns(), pad, p->tx,
				 sizeof(p->tx));
	if (len < 0)
		return len;
	if (send(p->fd, p->tx, (size_t)len, 0) < 0)
		return -errno;
	return len;
}

static void arm_at(struct probe *p, ev_timer *w, int64_t at)
{
	ev_timer_stop(p->loop, w);
	if (at == INT64_MAX)
		return;
	int64_t wait = at - clock_mono_ns();
	if (wait < 100 * BB_NS_PER_US)
		wait = 100 * BB_NS_PER_US;
	ev_timer_set(w, (double)wait / BB_NS_PER_S, 0.);
	ev_timer_start(p->loop, w);
}

/* ---- session ------------------------------------------------------------ */

static void test_abort(struct probe *p, const char *why);

static void knock_run(struct probe *p)
{
	uint8_t buf[256];
	int len = srvclient_tick(p->sc, clock_mono_ns(), clock_real_ns(), buf,
				 sizeof(buf));
	if (len > 0) /* ICMP-reported errors surface here too */
		p->knock_err = send(p->fd, buf, (size_t)len, 0) < 0 ? errno : 0;
	if (srvclient_state(p->sc) == SRVCLIENT_UNREACHABLE)
		test_abort(p, "server lost");
	arm_at(p, &p->knock, srvclient_next_ns(p->sc));
}

static void on_knock(struct ev_loop *loop, ev_timer *w, int revents)
{
	knock_run(w->data);
}

static int session_up(const struct probe *p)
{
	return srvclient_state(p->sc) == SRVCLIENT_UP;
}

/* ---- echo stream -------------------------------------------------------- */

static void arm_timeouts(struct probe *p)
{
	int64_t first = INT64_MAX;
	for (int i = 0; i < ECHO_SLOTS; i++) {
		const struct slot *s = &p->slots[i];
		int64_t at = INT64_MAX;
		if (s->state == S_INFLIGHT)
			at = s->send_mono + p->t.timeout_ns;
		else if (s->state == S_EXPIRED)
			at = s->expired_at + HOLD_NS;
		if (at < first)
			first = at;
	}
	if (first == INT64_MAX)
		ev_timer_stop(p->loop, &p->tmo);
	else
		arm_at(p, &p->tmo,
		       first < clock_mono_ns() + BB_NS_PER_MS
			       ? clock_mono_ns() + BB_NS_PER_MS
			       : first);
}

/* Report an expired slot if its direction is known or its hold is over. */
static void resolve(struct probe *p, struct slot *s, int64_t now, int force)
{
	if (s->state != S_EXPIRED)
		return;
	const char *why = NULL;
	if (s->session == p->session && p->have_srv && session_up(p) &&
	    (int32_t)(s->seq - p->srv_H0) > 0 &&
	    (int32_t)(p->srv_H - s->seq) >= 0) {
		/* requests after H0 the server never saw were lost up */
		uint32_t seen_span = p->srv_H - p->srv_H0;
		uint32_t got = p->srv_R - p->srv_R0;
		uint32_t up_lost = seen_span > got ? seen_span - got : 0;
		if (p->up_attr < up_lost) {
			p->up_attr++;
			why = "lost up";
		} else {
			why = "lost down";
		}
	} else if (force || now - s->expired_at >= HOLD_NS) {
		why = session_up(p) ? "lost" : "server unreachable";
	}
	if (!why)
		return;
	s->state = S_REPORTED;
	emit_slot(p, s, BB_STATUS_TIMEOUT, why,
		  session_up(p) ? 0 : BB_SAMPLE_NO_SESSION);
}

static void on_tmo(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct probe *p = w->data;
	int64_t now = clock_mono_ns();
	for (int i = 0; i < ECHO_SLOTS; i++) {
		struct slot *s = &p->slots[i];
		if (s->state == S_INFLIGHT &&
		    s->send_mono + p->t.timeout_ns <= now) {
			s->state = S_EXPIRED;
			s->expired_at = now;
		}
		resolve(p, s, now, 0);
	}
	arm_timeouts(p);
}

/* One ECHO_REQUEST; emit = it is one of the engine's probes (a sample). */
static void echo_send(struct probe *p, int emit, int phase, int64_t deadline)
{
	int64_t now = clock_mono_ns();
	if (!session_up(p)) {
		/* our own send failing (no route, interface gone) is an
		 * error; the server not answering a timeout */
		int local = p->knock_err && p->knock_err != ECONNREFUSED;
		if (emit && (local || srvclient_state(p->sc) ==
						 SRVCLIENT_UNREACHABLE)) {
			struct slot tmp = { .seq = p->next_seq,
					    .emit = 1,
					    .send_mono = now,
					    .send_real =
						    clock_mono_to_real(now),
					    .send_err = now - deadline };
			/* a local failure is our link's (counted); silence
			 * is the server's state, never the line's loss */
			char d[BB_DETAIL_LEN];
			snprintf(d, sizeof(d), "send: %s",
				 strerror(p->knock_err));
			emit_slot(p, &tmp,
				  local ? BB_STATUS_ERROR : BB_STATUS_TIMEOUT,
				  local ? d : "server unreachable",
				  local ? 0 : BB_SAMPLE_NO_SESSION);
		}
		return;
	}
	uint32_t seq = p->next_seq++;
	p->sent_total++;
	struct slot *s = &p->slots[seq % ECHO_SLOTS];
	if (s->state == S_INFLIGHT || s->state == S_EXPIRED) {
		s->state = S_EXPIRED;
		resolve(p, s, now, 1);
	}
	struct wire_msg m = { .type = WIRE_ECHO_REQUEST };
	int64_t real = clock_real_ns();
	m.u.echo_request.seq = seq;
	m.u.echo_request.client_send_ns_low = (uint32_t)real;
	m.u.echo_request.token = p->cookie ^ seq;
	memset(s, 0, sizeof(*s));
	s->seq = seq;
	s->emit = (uint8_t)emit;
	s->phase = (int8_t)phase;
	s->session = p->session;
	s->load_start = p->b_load_start;
	/* our own test, or the queue it filled still draining */
	s->under_load = p->cur.kind != T_NONE ||
			clock_mono_ns() - p->load_ended_mono < LOAD_DRAIN_NS;
	s->send_mono = clock_mono_ns();
	s->send_real = clock_real_ns();
	s->send_err = deadline ? s->send_mono - deadline : 0;
	int rc = xmit(p, &m, 0);
	if (rc < 0) {
		char d[BB_DETAIL_LEN];
		snprintf(d, sizeof(d), "send: %s", strerror(-rc));
		s->state = S_REPORTED;
		emit_slot(p, s, BB_STATUS_ERROR, d, 0);
		return;
	}
	s->state = S_INFLIGHT;
	srvclient_note_request(p->sc, s->send_mono);
	if (!ev_is_active(&p->tmo))
		arm_timeouts(p);
	arm_at(p, &p->knock, srvclient_next_ns(p->sc));
}

static void bloat_echo_rtt(struct probe *p, const struct slot *s, int64_t rtt,
			   int64_t up, int64_t down);

int probe_echo_check_reply(uint32_t requests_seen, uint32_t highest_seq,
			   uint32_t r0, uint32_t h0, uint64_t sent, char *why,
			   size_t whylen)
{
	/* 64-bit: |INT32_MIN| fits, and sent may pass 2^32 */
	int64_t dr = (int32_t)(requests_seen - r0);
	int64_t dh = (int32_t)(highest_seq - h0);

	if (dr > (int64_t)sent || -dr > (int64_t)sent) {
		snprintf(why, whylen,
			 "bad answer: %+lld requests seen, %llu sent",
			 (long long)dr, (unsigned long long)sent);
		return -ERANGE;
	}
	if (dh > (int64_t)sent || -dh > (int64_t)sent) {
		snprintf(why, whylen, "bad answer: seq %+lld, %llu sent",
			 (long long)dh, (unsigned long long)sent);
		return -ERANGE;
	}
	return 0;
}

static void on_echo_reply(struct probe *p, const struct wire_msg *m,
			  int64_t rx_mono)
{
	uint32_t seq = m->u.echo_reply.seq;
	if (m->u.echo_reply.token != (p->cookie ^ seq))
		return;
	struct slot *s = &p->slots[seq % ECHO_SLOTS];
	if (s->seq != seq || s->state == S_FREE)
		return;
	char why[128]; /* emit_slot keeps BB_DETAIL_LEN */
	if (m->u.echo_reply.has_ext && s->session == p->session &&
	    p->have_srv &&
	    probe_echo_check_reply(m->u.echo_reply.requests_seen,
				   m->u.echo_reply.highest_seq, p->srv_R0,
				   p->srv_H0, p->sent_total, why,
				   sizeof(why)) < 0) {
		/* a server that counts what we never sent: none of its
		 * figures (counters, timestamps) are stored */
		if (s->state == S_INFLIGHT || s->state == S_EXPIRED) {
			s->state = S_REPORTED;
			emit_slot(p, s, BB_STATUS_ERROR, why, 0);
		}
		return;
	}
	if (m->u.echo_reply.has_ext && s->session == p->session &&
	    (!p->have_srv ||
	     (int32_t)(m->u.echo_reply.highest_seq - p->srv_H) > 0)) {
		p->srv_H = m->u.echo_reply.highest_seq;
		p->srv_R = m->u.echo_reply.requests_seen;
		if (!p->have_srv) {
			p->srv_H0 = p->srv_H;
			p->srv_R0 = p->srv_R;
		}
		p->have_srv = 1;
	}
	int64_t rtt = rx_mono - s->send_mono;
	if (rtt <= 0) {
		clock_calibrate();
		rtt = clock_mono_ns() - s->send_mono;
	}
	int64_t t1 = s->send_real, t4 = s->send_real + rtt;
	int64_t t2 = (int64_t)m->u.echo_reply.server_rx_ns;
	int64_t t3 = (int64_t)m->u.echo_reply.server_tx_ns;
	uint16_t flags = 0;
	int fresh = 0;
	switch (s->state) {
	case S_INFLIGHT:
		if (rtt > p->t.timeout_ns) {
			emit_slot(p, s, BB_STATUS_TIMEOUT, "late", 0);
			flags |= BB_SAMPLE_LATE;
		} else {
			fresh = 1;
			if (p->answered_any && (int32_t)(seq - p->highest) < 0)
				flags |= BB_SAMPLE_REORDERED;
		}
		break;
	case S_EXPIRED:
		emit_slot(p, s, BB_STATUS_TIMEOUT, "late", 0);
		flags |= BB_SAMPLE_LATE;
		break;
	case S_REPORTED:
		flags |= BB_SAMPLE_LATE;
		break;
	default:
		flags |= BB_SAMPLE_DUPLICATE;
	}
	if (s->state != S_ANSWERED &&
	    (!p->answered_any || (int32_t)(seq - p->highest) > 0)) {
		p->highest = seq;
		p->answered_any = 1;
	}
	int was_inflight = s->state == S_INFLIGHT;
	/* a bufferbloat echo counts whatever its lateness: a loaded RTT may
	 * well exceed the probe timeout */
	int for_bloat = s->phase >= 0 && s->state != S_ANSWERED;
	s->state = S_ANSWERED;
	/* offsets only from an unloaded path (Crusader: before the load) */
	if (fresh && (p->cur.kind == T_NONE ||
		      (p->cur.kind == T_BLOAT && p->b_state == B_IDLE)))
		clocksync_add(p->cs, t1, t2, t3, t4);
	struct clocksync_est e;
	int64_t up = BB_NONE, down = BB_NONE;
	int have_est = clocksync_estimate(p->cs, t1, &e) == 0;
	if (have_est && e.quality >= CLOCKSYNC_GOOD_PCT)
		clocksync_oneway(&e, t1, t2, t3, t4, &up, &down);
	if (for_bloat)
		bloat_echo_rtt(p, s, rtt, up, down);
	if (s->emit) {
		struct bb_sample smp;
		sample_base(p, BB_KIND_UDP_ECHO, s->send_mono, s->send_real,
			    &smp);
		smp.send_error_ns = s->send_err;
		smp.seq = seq;
		smp.flags = flags | (s->under_load ? BB_SAMPLE_UNDER_LOAD : 0);
		smp.rtt_ns = rtt;
		smp.up_delay_ns = up;
		smp.down_delay_ns = down;
		if (have_est)
			clocksync_format(&e, smp.detail, sizeof(smp.detail));
		p->emit(p->emit_ctx, &smp);
	}
	/* a reply tells the direction of earlier losses */
	int64_t now = clock_mono_ns();
	for (int i = 0; i < ECHO_SLOTS; i++)
		if (p->slots[i].state == S_EXPIRED)
			resolve(p, &p->slots[i], now, 0);
	if (was_inflight)
		arm_timeouts(p);
}

/* ---- throughput tests --------------------------------------------------- */

static void test_done(struct probe *p);
static void bloat_start(struct probe *p);

static void emit_tput(struct probe *p, enum bb_probe_kind kind,
		      enum bb_status st, int64_t kbps, int32_t loss_ppm,
		      const char *detail)
{
	struct bb_sample s;
	sample_base(p, kind, p->cur.start_mono, p->cur.start_real, &s);
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
		int rc = xmit(p, &m, 0);
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
	load_begin(p, p->cur.start_mono,
		   UL_MAX_NS + STATS_WAIT_NS + DL_MAX_NS + LOAD_MARGIN_NS);
	p->cur.rate_kbps = tput_next_rate(&p->up_rates);
	struct wire_msg m = { .type = WIRE_THROUGHPUT_START };
	m.u.throughput_start.test_id = p->cur.id;
	m.u.throughput_start.target_bytes = bytes;
	m.u.throughput_start.expected_ms =
		(uint32_t)((uint64_t)bytes * 8 / (uint64_t)p->cur.rate_kbps);
	xmit(p, &m, 0);
	xmit(p, &m, 0); /* START has no answer: send it twice */
	/* let START arrive before the first DATA */
	tput_pacer_start(&p->cur.pacer, p->cur.rate_kbps,
			 clock_mono_ns() + 10 * BB_NS_PER_MS);
	arm_at(p, &p->pace, clock_mono_ns() + 10 * BB_NS_PER_MS);
}

static void download_request(struct probe *p)
{
	struct wire_msg m = { .type = WIRE_DOWNLOAD_REQUEST };
	m.u.download_request.test_id = p->cur.id;
	m.u.download_request.bytes = p->cur.bytes;
	m.u.download_request.rate_kbps = (uint32_t)p->cur.rate_kbps;
	xmit(p, &m, 0);
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
	load_begin(p, p->cur.start_mono, DL_MAX_NS + LOAD_MARGIN_NS);
	/* 0 = the server's cap for the first test */
	p->cur.rate_kbps = p->down_rates.last_kbps > 0
				   ? tput_next_rate(&p->down_rates)
				   : 0;
	p->cur.deadline = p->cur.start_mono + DL_MAX_NS;
	tput_rx_reset(p->rx);
	download_request(p);
	arm_at(p, &p->pace, clock_mono_ns() + 500 * BB_NS_PER_MS);
}

static void download_finish(struct probe *p, uint32_t chunks)
{
	struct tput_result r;
	tput_rx_result(p->rx, chunks, &r);
	char d[BB_DETAIL_LEN];
	snprintf(d, sizeof(d), "%u kB at %lld kbps", p->cur.bytes / 1000,
		 (long long)p->cur.rate_kbps);
	if (chunks && chunks < r.packets) {
		char why[128]; /* emit_tput keeps BB_DETAIL_LEN */
		snprintf(why, sizeof(why),
			 "bad answer: %u chunks sent, %llu arrived", chunks,
			 (unsigned long long)r.packets);
		emit_tput(p, BB_KIND_DOWNLOAD, BB_STATUS_ERROR, BB_NONE, -1,
			  why);
	} else if (r.kbps == BB_NONE) {
		emit_tput(p, BB_KIND_DOWNLOAD, BB_STATUS_ERROR, BB_NONE,
			  r.loss_ppm, "too few packets received");
	} else {
		tput_remember(&p->down_rates, r.kbps);
		emit_tput(p, BB_KIND_DOWNLOAD, BB_STATUS_OK, r.kbps, r.loss_ppm,
			  d);
	}
	test_done(p);
}

static void on_pace(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct probe *p = w->data;
	int64_t now = clock_mono_ns();
	if (p->cur.kind == T_UPLOAD) {
		if (!p->cur.end_at) {
			int64_t next = pump_upload(p, p->cur.id, p->cur.bytes);
			if (next != INT64_MAX &&
			    now - p->cur.start_mono < UL_MAX_NS) {
				arm_at(p, w, next);
				return;
			}
			p->cur.end_at = now;
			p->cur.deadline = now + STATS_WAIT_NS;
		}
		if (now >= p->cur.deadline) {
			emit_tput(p, BB_KIND_UPLOAD, BB_STATUS_TIMEOUT, BB_NONE,
				  -1, "no upload stats");
			test_done(p);
			return;
		}
		struct wire_msg m = { .type = WIRE_THROUGHPUT_END };
		m.u.throughput_end.test_id = p->cur.id;
		m.u.throughput_end.total_bytes_sent = (uint32_t)p->cur.sent;
		xmit(p, &m, 0); /* repeated until the stats arrive */
		arm_at(p, w, now + 250 * BB_NS_PER_MS);
	} else if (p->cur.kind == T_DOWNLOAD) {
		uint64_t got = tput_rx_packets(p->rx);
		if (now >= p->cur.deadline ||
		    (got && now - p->cur.last_data > 3 * BB_NS_PER_S)) {
			download_finish(p, 0);
			return;
		}
		if ((!got && p->cur.requests < 6) ||
		    (got && now - p->cur.last_data > BB_NS_PER_S))
			download_request(p); /* lost request, or lost END */
		arm_at(p, w, now + 500 * BB_NS_PER_MS);
	} else if (p->cur.kind == T_BLOAT && p->b_up_load) {
		arm_at(p, w, pump_upload(p, p->b_id, UINT64_MAX));
	}
}

static void on_stats(struct probe *p, const struct wire_msg *m)
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
	char why[128]; /* emit_tput keeps BB_DETAIL_LEN */
	int32_t ppm = -1;
	if (tput_stats_check(&st, &sent, &ppm, why, sizeof(why)) < 0) {
		emit_tput(p, BB_KIND_UPLOAD, BB_STATUS_ERROR, BB_NONE, -1, why);
	} else if (st.packets_rx < 3) {
		emit_tput(p, BB_KIND_UPLOAD, BB_STATUS_ERROR, BB_NONE, ppm,
			  "too few packets received");
	} else {
		char d[BB_DETAIL_LEN];
		snprintf(d, sizeof(d), "%u kB at %lld kbps", bytes / 1000,
			 (long long)p->cur.rate_kbps);
		tput_remember(&p->up_rates, m->u.throughput_stats.kbps);
		emit_tput(p, BB_KIND_UPLOAD, BB_STATUS_OK,
			  m->u.throughput_stats.kbps, ppm, d);
	}
	ev_timer_stop(p->loop, &p->pace);
	download_start(p, bytes); /* the same size the other way */
}

/* ---- scheduling --------------------------------------------------------- */

static void sched_arm(struct probe *p)
{
	int64_t at = p->bloat_next;
	for (int i = 0; i < 3; i++)
		if (p->tput_next[i] < at)
			at = p->tput_next[i];
	arm_at(p, &p->sched, at);
}

static void on_sched(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct probe *p = w->data;
	int64_t now = clock_mono_ns();
	if (p->cur.kind != T_NONE) {
		arm_at(p, w, now + BB_NS_PER_S);
		return;
	}
	if (!session_up(p)) {
		arm_at(p, w, now + NOT_UP_RETRY_NS);
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
	sched_arm(p);
}

static void test_done(struct probe *p)
{
	p->cur.kind = T_NONE;
	load_end(p);
	ev_timer_stop(p->loop, &p->pace);
	ev_timer_stop(p->loop, &p->bstep);
	sched_arm(p);
}

static void bloat_stop_upload(struct probe *p)
{
	if (!p->b_up_load)
		return;
	struct wire_msg m = { .type = WIRE_BUFFERBLOAT_END };
	m.u.bufferbloat_end.test_id = p->b_id;
	xmit(p, &m, 0);
	xmit(p, &m, 0);
	p->b_up_load = 0;
}

/* End the running test before its time (why: "server lost", "timed out";
 * NULL: cancelled by the user, no result sample).  The load span ends
 * with it. */
static void test_abort(struct probe *p, const char *why)
{
	char d[BB_DETAIL_LEN];
	switch (p->cur.kind) {
	case T_NONE:
		return;
	case T_UPLOAD:
	case T_DOWNLOAD:
		if (why)
			emit_tput(p,
				  p->cur.kind == T_UPLOAD ? BB_KIND_UPLOAD
							  : BB_KIND_DOWNLOAD,
				  BB_STATUS_ERROR, BB_NONE, -1, why);
		break;
	case T_BLOAT:
		bloat_stop_upload(p);
		p->b_down_load = 0;
		p->b_load_start = 0;
		if (why) {
			struct bb_sample s;
			sample_base(p, BB_KIND_BUFFERBLOAT, p->cur.start_mono,
				    p->cur.start_real, &s);
			s.seq = p->cur.id;
			s.status = BB_STATUS_ERROR;
			snprintf(d, sizeof(d), "%s %s",
				 bloat_phase_name(p->b_phases[p->b_idx]), why);
			copy_str(s.detail, sizeof(s.detail), d);
			p->emit(p->emit_ctx, &s);
		}
		break;
	}
	test_done(p);
}

static void on_guard(struct ev_loop *loop, ev_timer *w, int revents)
{
	test_abort(w->data, "timed out");
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

static void bloat_echo_rtt(struct probe *p, const struct slot *s, int64_t rtt,
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

static int64_t idle_ns(const struct probe *p)
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
	return idle_ns(p) + bloat_nphases(p) * (p->t.srv.bloat_load_ns +
						RECOVER_MAX_NS + STEP_NS);
}

/* BUFFERBLOAT_START for the upload part of the load (the download part is
 * a paced DOWNLOAD_REQUEST, so its rate can follow the ramp instead of the
 * server's cap, which would drop most echo replies in the bottleneck). */
static void bloat_send_start(struct probe *p)
{
	struct wire_msg m = { .type = WIRE_BUFFERBLOAT_START };
	m.u.bufferbloat_start.test_id = p->b_id;
	m.u.bufferbloat_start.kind = WIRE_BLOAT_UP;
	xmit(p, &m, 0);
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
	xmit(p, &m, 0);
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
		arm_at(p, &p->pace, now + 10 * BB_NS_PER_MS);
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
		sample_base(p, BB_KIND_BUFFERBLOAT, p->cur.start_mono,
			    p->cur.start_real, &s);
		s.seq = p->cur.id;
		if (bloat_result(p->acc, p->b_phases[i], &r) < 0) {
			s.status = BB_STATUS_ERROR;
			snprintf(s.detail, sizeof(s.detail),
				 "%s no echoes answered",
				 bloat_phase_name(p->b_phases[i]));
		} else {
			p->b_res[p->b_nres++] = r;
			s.status = BB_STATUS_OK;
			s.rtt_ns = r.loaded_p50_ns;
			s.up_delay_ns = r.up_p50_ns;
			s.down_delay_ns = r.down_p50_ns;
			bloat_detail(&r, s.detail, sizeof(s.detail));
		}
		p->emit(p->emit_ctx, &s);
	}
	p->b_runs++;
	p->b_load_start = 0;
	test_done(p);
}

static void on_bstep(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct probe *p = w->data;
	int64_t now = clock_mono_ns();
	int phase = -1;
	switch (p->b_state) {
	case B_IDLE:
		if (now - p->b_phase_start >= idle_ns(p)) {
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
	arm_at(p, w, now + step);
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
	load_begin(p, p->cur.start_mono, bloat_max_ns(p) + LOAD_MARGIN_NS);
	p->b_idx = 0;
	p->b_state = B_IDLE;
	p->b_phase_start = p->cur.start_mono;
	p->b_load_start = p->cur.start_mono;
	p->b_nrecent = 0;
	p->b_up_load = 0;
	p->b_up_sat = p->b_down_sat = 0;
	arm_at(p, &p->bstep, clock_mono_ns());
}

/* ---- receive ------------------------------------------------------------ */

static void on_readable(struct ev_loop *loop, ev_io *w, int revents)
{
	struct probe *p = w->data;
	for (int i = 0; i < RX_DRAIN_MAX; i++) {
		struct sockaddr_storage from;
		socklen_t fromlen = sizeof(from);
		int64_t rx;
		ssize_t n =
			sock_recv_timestamped(p->fd, p->rxbuf, sizeof(p->rxbuf),
					      &from, &fromlen, &rx);
		if (n == -EAGAIN || n == -EWOULDBLOCK)
			break;
		if (n < 0)
			continue; /* ICMP error (e.g. port unreachable) */
		struct wire_msg m;
		int rc = srvclient_open(p->sc, p->rxbuf, (size_t)n,
					clock_mono_ns(), clock_real_ns(), &m);
		if (rc == 1) {
			if (srvclient_sessions(p->sc) != p->session) {
				/* new session: the server counts afresh */
				p->session = srvclient_sessions(p->sc);
				p->have_srv = 0;
				p->up_attr = 0;
			}
			arm_at(p, &p->knock, srvclient_next_ns(p->sc));
			continue;
		}
		if (rc < 0)
			continue;
		switch (m.type) {
		case WIRE_ECHO_REPLY:
			on_echo_reply(p, &m, rx);
			break;
		case WIRE_THROUGHPUT_STATS:
			on_stats(p, &m);
			break;
		case WIRE_DOWNLOAD_DATA:
			if (p->cur.kind == T_DOWNLOAD &&
			    m.u.download_data.test_id == p->cur.id) {
				tput_rx_add(p->rx, m.u.download_data.chunk_seq,
					    tput_ip_len((size_t)n, p->ipv6),
					    rx);
				p->cur.last_data = rx;
			} else if (p->cur.kind == T_BLOAT &&
				   m.u.download_data.test_id == p->b_did) {
				p->b_down_seen = 1;
			}
			break;
		case WIRE_DOWNLOAD_END:
			if (p->cur.kind == T_DOWNLOAD &&
			    m.u.download_end.test_id == p->cur.id &&
			    tput_rx_packets(p->rx) > 0)
				download_finish(
					p,
					m.u.download_end.has_ext
						? m.u.download_end.chunks_sent
						: 0);
			break;
		case WIRE_ERROR:
			if (p->cur.kind == T_UPLOAD ||
			    p->cur.kind == T_DOWNLOAD) {
				char d[BB_DETAIL_LEN];
				snprintf(d, sizeof(d), "server: %.39s",
					 m.u.error.message);
				emit_tput(p,
					  p->cur.kind == T_UPLOAD
						  ? BB_KIND_UPLOAD
						  : BB_KIND_DOWNLOAD,
					  BB_STATUS_ERROR, BB_NONE, -1, d);
				test_done(p);
			}
			break;
		default:
			break;
		}
	}
	arm_at(p, &p->knock, srvclient_next_ns(p->sc));
}

/* ---- probe_ops ---------------------------------------------------------- */

static int echo_open(struct ev_loop *loop, const struct probe_target *target,
		     probe_emit_fn emit, void *emit_ctx, struct probe **out,
		     char *err, size_t errlen)
{
	int family = target->addr.ss_family;
	if (family != AF_INET && family != AF_INET6) {
		snprintf(err, errlen, "%s: not an IPv4/IPv6 address",
			 target->name);
		return -EAFNOSUPPORT;
	}
	if (target->timeout_ns <= 0) {
		snprintf(err, errlen, "%s: timeout must be positive",
			 target->name);
		return -EINVAL;
	}
	struct probe *p = calloc(1, sizeof(*p));
	if (!p) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	int ret = -ENOMEM;
	p->loop = loop;
	p->t = *target;
	p->emit = emit;
	p->emit_ctx = emit_ctx;
	p->fd = -1;
	p->ipv6 = family == AF_INET6;
	randombytes_buf(&p->cookie, sizeof(p->cookie));
	p->sc = srvclient_new(target->srv.key, target->srv.client_id);
	p->cs = clocksync_new();
	p->rx = tput_rx_new();
	p->acc = bloat_new();
	if (!p->sc || !p->cs || !p->rx || !p->acc) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	p->fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (p->fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "udp socket: %s", strerror(errno));
		goto fail;
	}
	int big = 4 << 20;
	/* downloads arrive in bursts: a deep receive queue (FORCE needs
	 * CAP_NET_ADMIN, else the rmem_max-capped size is used) */
	if (setsockopt(p->fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big)))
		setsockopt(p->fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	setsockopt(p->fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
	ret = sock_enable_rx_timestamps(p->fd);
	if (ret < 0) {
		snprintf(err, errlen, "SO_TIMESTAMPNS: %s", strerror(-ret));
		goto fail;
	}
	ret = sock_bind_device(p->fd, target->interface, err, errlen);
	if (ret < 0)
		goto fail;
	if (connect(p->fd, (const struct sockaddr *)&target->addr,
		    target->addr_len) < 0) {
		ret = -errno;
		snprintf(err, errlen, "%s: connect: %s", target->name,
			 strerror(errno));
		goto fail;
	}
	ev_io_init(&p->io, on_readable, p->fd, EV_READ);
	p->io.data = p;
	ev_io_start(loop, &p->io);
	ev_init(&p->tmo, on_tmo);
	ev_init(&p->knock, on_knock);
	ev_init(&p->sched, on_sched);
	ev_init(&p->pace, on_pace);
	ev_init(&p->bstep, on_bstep);
	ev_init(&p->guard, on_guard);
	p->tmo.data = p->knock.data = p->sched.data = p->pace.data =
		p->bstep.data = p->guard.data = p;
	int64_t now = clock_mono_ns();
	p->bloat_next = INT64_MAX;
	for (int i = 0; i < 3; i++) {
		p->tput_next[i] = INT64_MAX;
		if (target->srv.tput_every_ns[i] > 0 &&
		    target->srv.tput_bytes[i])
			p->tput_next[i] = now + target->srv.tput_first_ns +
					  (2 - i) * BB_NS_PER_MS;
	}
	if (target->srv.bloat_every_ns)
		p->bloat_next = now + target->srv.bloat_first_ns;
	knock_run(p);
	sched_arm(p);
	*out = p;
	return 0;
fail:
	if (p->fd >= 0)
		close(p->fd);
	srvclient_free(p->sc);
	clocksync_free(p->cs);
	tput_rx_free(p->rx);
	bloat_free(p->acc);
	sodium_memzero(&p->t.srv, sizeof(p->t.srv));
	free(p);
	return ret;
}

static void echo_send_op(struct probe *p, int64_t deadline_ns)
{
	knock_run(p);
	echo_send(p, 1, -1, deadline_ns);
}

static void echo_close(struct probe *p)
{
	if (!p)
		return;
	test_abort(p, NULL); /* the span ends with the probe */
	ev_io_stop(p->loop, &p->io);
	ev_timer_stop(p->loop, &p->tmo);
	ev_timer_stop(p->loop, &p->knock);
	ev_timer_stop(p->loop, &p->sched);
	ev_timer_stop(p->loop, &p->pace);
	ev_timer_stop(p->loop, &p->bstep);
	ev_timer_stop(p->loop, &p->guard);
	close(p->fd);
	srvclient_free(p->sc);
	clocksync_free(p->cs);
	tput_rx_free(p->rx);
	bloat_free(p->acc);
	sodium_memzero(&p->t.srv, sizeof(p->t.srv));
	free(p);
}

/* A front end asked for a bufferbloat test now (the TUI's `b` key): it
 * runs as soon as no other test is running and the session is up.  Cancel
 * stops it at once (the server's upload load with it) or forgets the
 * request; the schedule goes on from now. */
static int echo_command(struct probe *p, int command)
{
	int64_t now = clock_mono_ns();
	switch (command) {
	case PROBE_CMD_BLOAT_NOW:
		p->bloat_next = now;
		break;
	case PROBE_CMD_BLOAT_CANCEL:
		if (p->cur.kind == T_BLOAT)
			test_abort(p, NULL);
		if (p->bloat_next <= now)
			p->bloat_next = p->t.srv.bloat_every_ns > 0
						? now + p->t.srv.bloat_every_ns
						: INT64_MAX;
		break;
	default:
		return -ENOTSUP;
	}
	sched_arm(p);
	return 0;
}

const struct probe_ops probe_echo_ops = {
	.name = "udp_echo",
	.kind = BB_KIND_UDP_ECHO,
	.open = echo_open,
	.send = echo_send_op,
	.close = echo_close,
	.command = echo_command,
};

/* ---- one-shot bufferbloat test (bufferbane bloat) ----------------------- */

struct oneshot {
	struct probe *p;
	int want, got;
	probe_echo_progress_fn progress;
	void *ctx;
	int64_t start, typical;
};

static void oneshot_emit(void *ctx, const struct bb_sample *s)
{
	struct oneshot *o = ctx;
	if (s->kind == BB_KIND_BUFFERBLOAT && ++o->got >= o->want)
		ev_break(o->p->loop, EVBREAK_ALL);
}

static void oneshot_watch(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct oneshot *o = w->data;
	struct probe *p = o->p;
	if (srvclient_state(p->sc) == SRVCLIENT_UNREACHABLE) {
		ev_break(loop, EVBREAK_ALL);
		return;
	}
	if (!o->progress)
		return;
	enum bloat_phase ph = BLOAT_NPHASES;
	if (p->cur.kind == T_BLOAT && p->b_state == B_IDLE)
		ph = BLOAT_IDLE;
	else if (p->cur.kind == T_BLOAT && p->b_state == B_LOAD)
		ph = p->b_phases[p->b_idx];
	o->progress(o->ctx, ph, clock_mono_ns() - o->start, o->typical);
}

static void oneshot_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
	ev_break(loop, EVBREAK_ALL);
}

static int pick_server(const struct bb_config *cfg, const char *server,
		       struct probe_target *t, char *err, size_t errlen)
{
	if (cfg->n_servers == 0) {
		snprintf(err, errlen, "no server configured (servers = ...)");
		return -EINVAL;
	}
	int idx = 0;
	for (int i = 0; server && i < cfg->n_servers; i++)
		if (!strcmp(cfg->servers[i].name, server))
			idx = i;
	int rc = srvclient_target(cfg, idx, "", t, err, errlen);
	if (rc < 0)
		return rc;
	if (server && strcmp(cfg->servers[idx].name, server)) {
		char host[CONFIG_HOST_LEN];
		int port;
		if (config_parse_hostport(server, CONFIG_DEFAULT_PORT, host,
					  sizeof(host), &port, err,
					  errlen) < 0 ||
		    sock_parse_addr(host, (uint16_t)port, &t->addr,
				    &t->addr_len) < 0) {
			if (!err[0])
				snprintf(err, errlen,
					 "--server: '%s' is not a configured "
					 "name or ADDRESS:PORT",
					 server);
			sodium_memzero(&t->srv, sizeof(t->srv));
			return -EINVAL;
		}
		snprintf(t->name, sizeof(t->name), "%s", server);
	} else if (rc > 0) { /* its name does not resolve (err says why) */
		sodium_memzero(&t->srv, sizeof(t->srv));
		return -EHOSTUNREACH;
	}
	return 0;
}

int probe_echo_bloat_now(const struct bb_config *cfg, const char *server,
			 probe_echo_progress_fn progress, void *ctx,
			 struct bloat_result res[3], int *n, char *err,
			 size_t errlen)
{
	struct probe_target t;
	*n = 0;
	if (errlen)
		err[0] = '\0';
	int rc = pick_server(cfg, server, &t, err, errlen);
	if (rc < 0)
		return rc;
	memset(t.srv.tput_every_ns, 0, sizeof(t.srv.tput_every_ns));
	t.srv.bloat_every_ns = -1;
	t.srv.bloat_first_ns = 0;
	if (t.timeout_ns <= 0)
		t.timeout_ns = BB_NS_PER_S;
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	if (!loop) {
		sodium_memzero(&t.srv, sizeof(t.srv));
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	/* the same test as the monitor's scheduled one (on_bstep), only run
	 * once, right away */
	struct oneshot o = { .progress = progress, .ctx = ctx };
	uint8_t k = t.srv.bloat_kind ? t.srv.bloat_kind : 3;
	o.want = k == 3 ? 3 : 1;
	struct bloat_plan plan;
	bloat_plan_of(cfg->tests.bufferbloat.test_duration_s, k, &plan);
	o.typical = plan.typical_ns;
	o.start = clock_mono_ns();
	struct probe *p = NULL;
	rc = probe_echo_ops.open(loop, &t, oneshot_emit, &o, &p, err, errlen);
	sodium_memzero(&t.srv, sizeof(t.srv));
	if (rc < 0) {
		ev_loop_destroy(loop);
		return rc;
	}
	o.p = p;
	ev_timer watch, limit;
	ev_timer_init(&watch, oneshot_watch, 0.25, 0.25);
	watch.data = &o;
	ev_timer_start(loop, &watch);
	double total =
		(double)(p->t.srv.bloat_load_ns * o.want + idle_ns(p)) / 1e9 +
		4.0 * o.want + 10.0;
	ev_timer_init(&limit, oneshot_timeout, total, 0.);
	ev_timer_start(loop, &limit);
	ev_run(loop, 0);
	ev_timer_stop(loop, &watch);
	ev_timer_stop(loop, &limit);
	if (p->b_runs > 0) {
		*n = p->b_nres;
		memcpy(res, p->b_res, (size_t)p->b_nres * sizeof(res[0]));
		rc = p->b_nres ? 0 : -ETIMEDOUT;
		if (!p->b_nres)
			snprintf(err, errlen,
				 "%s: no echo answered during "
				 "the test",
				 p->t.name);
	} else if (srvclient_state(p->sc) != SRVCLIENT_UP) {
		rc = -EHOSTUNREACH;
		snprintf(err, errlen,
			 "%s: server unreachable (no answer to "
			 "%u knocks)",
			 p->t.name, srvclient_unanswered(p->sc));
	} else {
		rc = -ETIMEDOUT;
		snprintf(err, errlen, "%s: the test did not finish in %.0f s",
			 p->t.name, total);
	}
	echo_close(p);
	ev_loop_destroy(loop);
	return rc;
}
