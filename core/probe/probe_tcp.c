// SPDX-License-Identifier: MIT
/*
 * TCP connect probe (MEASUREMENT.md "DNS and TCP"): a non-blocking connect()
 * to target->addr (port included); the connect time is from the monotonic
 * clock read just before connect() to the moment the socket is writable with
 * SO_ERROR 0, i.e. SYN -> SYN-ACK plus our wake-up (no kernel timestamp
 * exists for a handshake).  The connection is closed at once.
 *
 * Invariants: at most TCP_SLOTS attempts in flight (interval < timeout),
 * each with its own socket and ev_io in a fixed table, nothing allocated per
 * attempt; every attempt yields exactly one OK, TIMEOUT or ERROR sample; one
 * ev_timer per instance expires the oldest deadline.
 */
#include "core/probe/probe.h"

#include <errno.h>
#include <ev.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/base/clock.h"
#include "core/base/sock.h"
#include "core/base/text.h"

#define TCP_SLOTS 8

struct attempt {
	struct probe *p;
	int fd; /* -1 when the slot is free */
	uint32_t seq;
	int64_t send_mono;
	int64_t send_real;
	int64_t send_err;
	ev_io io;
};

struct probe {
	struct ev_loop *loop;
	struct probe_target t;
	probe_emit_fn emit;
	void *emit_ctx;
	uint32_t next_seq;
	struct attempt att[TCP_SLOTS];
	ev_timer timer;
};

/* Short reason for a failed connect. */
static void errno_detail(int e, char *buf, size_t len)
{
	switch (e) {
	case ECONNREFUSED:
		copy_str(buf, len, "refused");
		break;
	case ETIMEDOUT:
		copy_str(buf, len, "timed out");
		break;
	case ENETUNREACH:
		copy_str(buf, len, "net unreachable");
		break;
	case EHOSTUNREACH:
		copy_str(buf, len, "host unreachable");
		break;
	case ECONNRESET:
		copy_str(buf, len, "reset");
		break;
	case EBUSY: /* our own: every slot of the table in flight */
		copy_str(buf, len, "too many in flight");
		break;
	case EACCES:
	case EPERM:
		copy_str(buf, len, "prohibited");
		break;
	default:
		snprintf(buf, len, "%s", strerror(e));
	}
}

static void emit_attempt(struct probe *p, const struct attempt *a,
			 enum bb_status status, int64_t rtt_ns, int err)
{
	struct bb_sample s;
	sample_init(&s, BB_KIND_TCP_CONNECT);
	s.real_ns = a->send_real;
	s.mono_ns = a->send_mono;
	s.send_error_ns = a->send_err;
	copy_str(s.interface, sizeof(s.interface), p->t.interface);
	copy_str(s.target, sizeof(s.target), p->t.name);
	s.status = (uint8_t)status;
	s.seq = a->seq;
	s.rtt_ns = rtt_ns;
	if (status == BB_STATUS_ERROR)
		errno_detail(err, s.detail, sizeof(s.detail));
	p->emit(p->emit_ctx, &s);
}

static void release(struct probe *p, struct attempt *a)
{
	ev_io_stop(p->loop, &a->io);
	close(a->fd);
	a->fd = -1;
}

static void arm_timer(struct probe *p)
{
	int64_t first = INT64_MAX;
	for (int i = 0; i < TCP_SLOTS; i++)
		if (p->att[i].fd >= 0 &&
		    p->att[i].send_mono + p->t.timeout_ns < first)
			first = p->att[i].send_mono + p->t.timeout_ns;
	ev_timer_stop(p->loop, &p->timer);
	if (first == INT64_MAX)
		return;
	int64_t wait = first - clock_mono_ns();
	if (wait < BB_NS_PER_MS)
		wait = BB_NS_PER_MS; /* libev's cached "now" may lag: re-check
				      */
	ev_timer_set(&p->timer, (double)wait / BB_NS_PER_S, 0.);
	ev_timer_start(p->loop, &p->timer);
}

/* Finish one attempt from its socket state; 1 if it finished. */
static int complete(struct probe *p, struct attempt *a, int64_t now)
{
	int err = 0;
	socklen_t len = sizeof(err);
	if (getsockopt(a->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (err == EINPROGRESS || err == EALREADY)
		return 0;
	if (err == 0) { /* writable and no error: make sure it is up */
		struct sockaddr_storage peer;
		socklen_t plen = sizeof(peer);
		if (getpeername(a->fd, (struct sockaddr *)&peer, &plen) < 0)
			err = errno == ENOTCONN ? ECONNREFUSED : errno;
	}
	if (err == 0 && now - a->send_mono > p->t.timeout_ns)
		emit_attempt(p, a, BB_STATUS_TIMEOUT, BB_NONE, 0);
	else if (err == 0)
		emit_attempt(p, a, BB_STATUS_OK, now - a->send_mono, 0);
	else
		emit_attempt(p, a, BB_STATUS_ERROR, BB_NONE, err);
	release(p, a);
	return 1;
}

static void on_writable(struct ev_loop *loop, ev_io *w, int revents)
{
	int64_t now = clock_mono_ns();
	struct attempt *a = w->data;
	struct probe *p = a->p;
	if (complete(p, a, now))
		arm_timer(p);
}

static void on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct probe *p = w->data;
	int64_t now = clock_mono_ns();
	for (int i = 0; i < TCP_SLOTS; i++) {
		struct attempt *a = &p->att[i];
		if (a->fd < 0 || a->send_mono + p->t.timeout_ns > now)
			continue;
		release(p, a);
		emit_attempt(p, a, BB_STATUS_TIMEOUT, BB_NONE, 0);
	}
	arm_timer(p);
}

/* A non-blocking TCP socket bound to the target's interface, or -errno. */
static int tcp_socket(const struct probe *p)
{
	char err[128];
	int fd = socket(p->t.addr.ss_family,
			SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	int r = sock_bind_device(fd, p->t.interface, err, sizeof(err));
	if (r < 0) {
		close(fd);
		return r;
	}
	return fd;
}

static void tcp_send(struct probe *p, int64_t deadline_ns)
{
	struct attempt *a = NULL, busy = { .fd = -1 };
	for (int i = 0; i < TCP_SLOTS && !a; i++)
		if (p->att[i].fd < 0)
			a = &p->att[i];
	int fd = a ? tcp_socket(p) : -EBUSY;
	if (!a)
		a = &busy; /* only carries the sample's fields */
	a->seq = p->next_seq++;
	a->send_real = clock_real_ns();
	a->send_mono = clock_mono_ns(); /* just before the SYN goes out */
	a->send_err = a->send_mono - deadline_ns;
	if (fd < 0) {
		emit_attempt(p, a, BB_STATUS_ERROR, BB_NONE, -fd);
		return;
	}
	int r = connect(fd, (const struct sockaddr *)&p->t.addr, p->t.addr_len);
	int64_t now = clock_mono_ns();
	if (r == 0 || errno != EINPROGRESS) { /* done at once */
		int e = r == 0 ? 0 : errno;
		close(fd);
		if (e)
			emit_attempt(p, a, BB_STATUS_ERROR, BB_NONE, e);
		else
			emit_attempt(p, a, BB_STATUS_OK, now - a->send_mono, 0);
		return;
	}
	a->fd = fd;
	a->p = p;
	ev_io_init(&a->io, on_writable, fd, EV_WRITE);
	a->io.data = a;
	ev_io_start(p->loop, &a->io);
	arm_timer(p);
}

static int tcp_open(struct ev_loop *loop, const struct probe_target *target,
		    probe_emit_fn emit, void *emit_ctx, struct probe **out,
		    char *err, size_t errlen)
{
	int family = target->addr.ss_family;
	if (family != AF_INET && family != AF_INET6) {
		snprintf(err, errlen, "%s: not an IPv4/IPv6 address",
			 target->name);
		return -EAFNOSUPPORT;
	}
	const struct sockaddr_in *sin = (const void *)&target->addr;
	const struct sockaddr_in6 *sin6 = (const void *)&target->addr;
	if ((family == AF_INET ? sin->sin_port : sin6->sin6_port) == 0) {
		snprintf(err, errlen, "%s: tcp target needs a port",
			 target->name);
		return -EINVAL;
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
	p->loop = loop;
	p->t = *target;
	p->emit = emit;
	p->emit_ctx = emit_ctx;
	for (int i = 0; i < TCP_SLOTS; i++)
		p->att[i].fd = -1;
	ev_init(&p->timer, on_timer);
	p->timer.data = p;
	*out = p;
	return 0;
}

static void tcp_close(struct probe *p)
{
	if (!p)
		return;
	for (int i = 0; i < TCP_SLOTS; i++)
		if (p->att[i].fd >= 0)
			release(p, &p->att[i]);
	ev_timer_stop(p->loop, &p->timer);
	free(p);
}

const struct probe_ops probe_tcp_ops = {
	.name = "tcp",
	.kind = BB_KIND_TCP_CONNECT,
	.open = tcp_open,
	.send = tcp_send,
	.close = tcp_close,
};
