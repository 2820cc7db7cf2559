// SPDX-License-Identifier: MIT
/*
 * UDP echo probe to a companion server (PROTOCOL.md, MEASUREMENT.md), and
 * the throughput and bufferbloat tests that run over the same session
 * (core/probe/echo_tests.c; the one-shot CLI test core/probe/echo_oneshot.c;
 * what they share core/probe/echo_internal.h).  One
 * connected UDP socket per instance; the session (knock, backoff, refresh,
 * re-knock) is core/srvclient, the clock offset core/clocksync, the test
 * arithmetic core/throughput and core/bloat.
 *
 * Echo stream: every send() (the engine's schedule) is one ECHO_REQUEST and
 * exactly one sample: OK with the RTT (kernel RX time - send time), and the
 * one-way delays while the clock sync quality is >= 80 %; TIMEOUT with
 * loss_dir BB_LOSS_UP (the server never saw it: its requests_seen/
 * highest_seq extension says so; detail "lost upstream"), BB_LOSS_DOWN (the
 * server saw it, the reply died; "lost downstream"), or BB_LOSS_UNKNOWN
 * with detail "lost" (no later reply to tell) or "server unreachable" (no
 * session).
 * Direction is known only once a later reply arrives, so a timed-out probe
 * waits up to HOLD_NS for one.  Loss is counted per session: upstream lost
 * = (highest_seq - first seq of the session + 1) - requests_seen; each
 * resolved loss is upstream while fewer have been called upstream than
 * that, else downstream (RFC 4737 counting; per-packet attribution is
 * exact when losses are in one direction).  Late replies are LATE
 * annotations, second replies DUPLICATE, out-of-order REORDERED.  OK
 * samples carry the clock-sync estimate (sync_pct, sync_n,
 * clock_offset_ns: clocksync_mark) for the main thread's time_sync events;
 * echoes sent under our own test's load carry its load_phase.
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
void echo_sample_base(const struct probe *p, enum bb_probe_kind kind,
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
	echo_sample_base(p, BB_KIND_UDP_ECHO, mono, 0, &s);
	s.flags = flag;
	s.rtt_ns = bound_ns;
	p->emit(p->emit_ctx, &s);
}

static enum bb_load_phase load_phase_now(struct probe *p, int64_t mono);

/* One span per test, whatever it chains (upload then download): every
 * start has exactly one end (echo_load_end on every path out of a test), and
 * the guard aborts a test that outlives its bound. */
void echo_load_begin(struct probe *p, int64_t mono, int64_t bound_ns)
{
	if (p->load_on)
		return;
	p->load_on = 1;
	load_mark(p, BB_SAMPLE_LOAD_START, mono, bound_ns);
	load_phase_now(p, mono); /* the phase from the start, not the last */
	echo_arm_at(p, &p->guard, mono + bound_ns);
}

void echo_load_end(struct probe *p)
{
	ev_timer_stop(p->loop, &p->guard);
	if (!p->load_on)
		return;
	p->load_on = 0;
	p->load_ended_mono = clock_mono_ns();
	load_mark(p, BB_SAMPLE_LOAD_END, p->load_ended_mono + LOAD_DRAIN_NS,
		  BB_NONE);
}

/* The load our own test puts on the line at mono (an echo flagged
 * UNDER_LOAD says which); after a test, the last one, whose queue still
 * drains.  A change is told to the worker, which gives the phase to the
 * other probes it flags. */
static enum bb_load_phase load_phase_now(struct probe *p, int64_t mono)
{
	uint8_t ph = p->last_phase;
	switch (p->cur.kind) {
	case T_UPLOAD:
		ph = BB_PHASE_UP;
		break;
	case T_DOWNLOAD:
		ph = BB_PHASE_DOWN;
		break;
	case T_BLOAT:
		/* (at the test's start its phases are not set up yet: idle) */
		ph = p->b_state == B_IDLE || p->b_idx < 0 ||
				     p->b_idx >= p->b_nph
			     ? BB_PHASE_IDLE
			     : bloat_load_phase(p->b_phases[p->b_idx]);
		break;
	default:
		break;
	}
	if (ph != p->last_phase) {
		struct bb_sample s;
		echo_sample_base(p, BB_KIND_UDP_ECHO, mono, 0, &s);
		s.flags = BB_SAMPLE_LOAD_PHASE;
		s.load_phase = ph;
		p->emit(p->emit_ctx, &s);
		p->last_phase = ph;
	}
	return p->last_phase;
}

static void emit_slot(struct probe *p, const struct slot *sl, enum bb_status st,
		      const char *detail, uint16_t flags, enum bb_loss_dir dir)
{
	if (!sl->emit)
		return;
	struct bb_sample s;
	echo_sample_base(p, BB_KIND_UDP_ECHO, sl->send_mono, sl->send_real, &s);
	s.send_error_ns = sl->send_err;
	s.status = (uint8_t)st;
	s.seq = sl->seq;
	s.flags = flags | (sl->under_load ? BB_SAMPLE_UNDER_LOAD : 0);
	s.load_phase = sl->load_phase;
	s.loss_dir = (uint8_t)dir;
	if (detail)
		copy_str(s.detail, sizeof(s.detail), detail);
	p->emit(p->emit_ctx, &s);
}

/* Seal and send m; 0 or -errno. */
int echo_xmit(struct probe *p, const struct wire_msg *m, size_t pad)
{
	int len = srvclient_seal(p->sc, m, clock_real_ns(), pad, p->tx,
				 sizeof(p->tx));
	if (len < 0)
		return len;
	if (send(p->fd, p->tx, (size_t)len, 0) < 0)
		return -errno;
	return len;
}

void echo_arm_at(struct probe *p, ev_timer *w, int64_t at)
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

static void knock_run(struct probe *p)
{
	uint8_t buf[256];
	int len = srvclient_tick(p->sc, clock_mono_ns(), clock_real_ns(), buf,
				 sizeof(buf));
	if (len > 0) /* ICMP-reported errors surface here too */
		p->knock_err = send(p->fd, buf, (size_t)len, 0) < 0 ? errno : 0;
	if (p->knock_err == ECONNREFUSED)
		p->refused = true;
	if (srvclient_state(p->sc) == SRVCLIENT_UNREACHABLE)
		echo_test_abort(p, "server lost");
	echo_arm_at(p, &p->knock, srvclient_next_ns(p->sc));
}

static void on_knock(struct ev_loop *loop, ev_timer *w, int revents)
{
	knock_run(w->data);
}

int echo_session_up(const struct probe *p)
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
		echo_arm_at(p, &p->tmo,
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
	enum bb_loss_dir dir = BB_LOSS_UNKNOWN;
	if (s->session == p->session && p->have_srv && echo_session_up(p) &&
	    (int32_t)(s->seq - p->srv_H0) > 0 &&
	    (int32_t)(p->srv_H - s->seq) >= 0) {
		/* requests after H0 the server never saw were lost up */
		uint32_t seen_span = p->srv_H - p->srv_H0;
		uint32_t got = p->srv_R - p->srv_R0;
		uint32_t up_lost = seen_span > got ? seen_span - got : 0;
		if (p->up_attr < up_lost) {
			p->up_attr++;
			dir = BB_LOSS_UP;
			why = "lost upstream";
		} else {
			dir = BB_LOSS_DOWN;
			why = "lost downstream";
		}
	} else if (force || now - s->expired_at >= HOLD_NS) {
		why = echo_session_up(p) ? "lost" : "server unreachable";
	}
	if (!why)
		return;
	s->state = S_REPORTED;
	emit_slot(p, s, BB_STATUS_TIMEOUT, why,
		  echo_session_up(p) ? 0 : BB_SAMPLE_NO_SESSION, dir);
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
void echo_send(struct probe *p, int emit, int phase, int64_t deadline)
{
	int64_t now = clock_mono_ns();
	if (!echo_session_up(p)) {
		/* our own send failing (no route, interface gone) is an
		 * error; the server not answering a timeout */
		int local = p->knock_err && p->knock_err != ECONNREFUSED;
		if (emit && (local ||
			     srvclient_state(p->sc) == SRVCLIENT_UNREACHABLE)) {
			struct slot tmp = { .seq = p->next_seq,
					    .emit = 1,
					    .send_mono = now,
					    .send_real =
						    clock_mono_to_real(now),
					    .send_err = now - deadline };
			/* a local failure is our link's (counted); silence
			 * or a refusal is the server's state, never the
			 * line's loss (not an error either: the engine
			 * would reopen the probe, and its knocks with it) */
			char d[BB_DETAIL_LEN];
			if (local)
				snprintf(d, sizeof(d), "send: %s",
					 strerror(p->knock_err));
			else if (p->refused)
				snprintf(d, sizeof(d), "port %u %s",
					 sock_port(&p->t.addr),
					 BB_DETAIL_REFUSED);
			else
				snprintf(d, sizeof(d), "server unreachable");
			emit_slot(p, &tmp,
				  local ? BB_STATUS_ERROR : BB_STATUS_TIMEOUT,
				  d, local ? 0 : BB_SAMPLE_NO_SESSION,
				  BB_LOSS_UNKNOWN);
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
	s->load_phase = s->under_load ? load_phase_now(p, now) : BB_PHASE_NONE;
	s->send_mono = clock_mono_ns();
	s->send_real = clock_real_ns();
	s->send_err = deadline ? s->send_mono - deadline : 0;
	int rc = echo_xmit(p, &m, 0);
	if (rc < 0) {
		char d[BB_DETAIL_LEN];
		snprintf(d, sizeof(d), "send: %s", strerror(-rc));
		s->state = S_REPORTED;
		emit_slot(p, s, BB_STATUS_ERROR, d, 0, BB_LOSS_UNKNOWN);
		return;
	}
	s->state = S_INFLIGHT;
	srvclient_note_request(p->sc, s->send_mono);
	if (!ev_is_active(&p->tmo))
		arm_timeouts(p);
	echo_arm_at(p, &p->knock, srvclient_next_ns(p->sc));
}

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
			emit_slot(p, s, BB_STATUS_ERROR, why, 0,
				  BB_LOSS_UNKNOWN);
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
	int64_t rtt = clock_rtt_ns(s->send_mono, rx_mono);
	int64_t t1 = s->send_real, t4 = s->send_real + rtt;
	int64_t t2 = (int64_t)m->u.echo_reply.server_rx_ns;
	int64_t t3 = (int64_t)m->u.echo_reply.server_tx_ns;
	uint16_t flags = 0;
	int fresh = 0;
	switch (s->state) {
	case S_INFLIGHT:
		if (rtt > p->t.timeout_ns) {
			emit_slot(p, s, BB_STATUS_TIMEOUT, "late", 0,
				  BB_LOSS_UNKNOWN);
			flags |= BB_SAMPLE_LATE;
		} else {
			fresh = 1;
			if (p->answered_any && (int32_t)(seq - p->highest) < 0)
				flags |= BB_SAMPLE_REORDERED;
		}
		break;
	case S_EXPIRED:
		emit_slot(p, s, BB_STATUS_TIMEOUT, "late", 0, BB_LOSS_UNKNOWN);
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
		echo_bloat_rtt(p, s, rtt, up, down);
	if (s->emit) {
		struct bb_sample smp;
		echo_sample_base(p, BB_KIND_UDP_ECHO, s->send_mono,
				 s->send_real, &smp);
		smp.send_error_ns = s->send_err;
		smp.seq = seq;
		smp.flags = flags | (s->under_load ? BB_SAMPLE_UNDER_LOAD : 0);
		smp.load_phase = s->load_phase;
		smp.rtt_ns = rtt;
		smp.up_delay_ns = up;
		smp.down_delay_ns = down;
		if (have_est)
			clocksync_mark(&e, &smp);
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
		if (n == -ECONNREFUSED)
			p->refused = true; /* the port said so */
		if (n < 0)
			continue; /* ICMP error (e.g. port unreachable) */
		struct wire_msg m;
		int rc = srvclient_open(p->sc, p->rxbuf, (size_t)n,
					clock_mono_ns(), clock_real_ns(), &m);
		if (rc >= 0)
			p->refused = false; /* the server answers */
		if (rc == 1) {
			if (srvclient_sessions(p->sc) != p->session) {
				/* new session: the server counts afresh */
				p->session = srvclient_sessions(p->sc);
				p->have_srv = 0;
				p->up_attr = 0;
			}
			echo_arm_at(p, &p->knock, srvclient_next_ns(p->sc));
			continue;
		}
		if (rc < 0)
			continue;
		switch (m.type) {
		case WIRE_ECHO_REPLY:
			on_echo_reply(p, &m, rx);
			break;
		case WIRE_THROUGHPUT_STATS:
			echo_on_stats(p, &m);
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
				echo_download_finish(
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
				echo_emit_tput(p,
					       p->cur.kind == T_UPLOAD
						       ? BB_KIND_UPLOAD
						       : BB_KIND_DOWNLOAD,
					       BB_STATUS_ERROR, BB_NONE, -1, d);
				echo_test_done(p);
			}
			break;
		default:
			break;
		}
	}
	echo_arm_at(p, &p->knock, srvclient_next_ns(p->sc));
}

/* ---- probe_ops ---------------------------------------------------------- */

static int echo_open(struct ev_loop *loop, const struct probe_target *target,
		     probe_emit_fn emit, void *emit_ctx, struct probe **out,
		     char *err, size_t errlen)
{
	int family = target->addr.ss_family;
	int ret = probe_check_target(target, err, errlen);
	if (ret < 0)
		return ret;
	struct probe *p = calloc(1, sizeof(*p));
	if (!p) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	ret = -ENOMEM;
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
	ev_init(&p->sched, echo_on_sched);
	ev_init(&p->pace, echo_on_pace);
	ev_init(&p->bstep, echo_on_bstep);
	ev_init(&p->guard, echo_on_guard);
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
	echo_sched_arm(p);
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

void echo_close(struct probe *p)
{
	if (!p)
		return;
	echo_test_abort(p, NULL); /* the span ends with the probe */
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
			echo_test_abort(p, NULL);
		if (p->bloat_next <= now)
			p->bloat_next = p->t.srv.bloat_every_ns > 0
						? now + p->t.srv.bloat_every_ns
						: INT64_MAX;
		break;
	default:
		return -ENOTSUP;
	}
	echo_sched_arm(p);
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
