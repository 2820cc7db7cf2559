// SPDX-License-Identifier: MIT
/*
 * TCP connect probe (MEASUREMENT.md "DNS and TCP"): a non-blocking connect()
 * to target->addr (port included); the connect time is from the monotonic
 * clock read just before connect() to the moment the socket is writable with
 * SO_ERROR 0, i.e. SYN -> SYN-ACK plus our wake-up (no kernel timestamp
 * exists for a handshake).  The connection is closed at once.
 *
 * Invariants: at most TCP_SLOTS attempts in flight (interval < timeout) in
 * a struct inflight (core/probe/inflight.h), each with its own socket and
 * ev_io beside it, nothing allocated per attempt; every attempt yields
 * exactly one OK, TIMEOUT or ERROR sample (a handshake that completes after
 * its timeout stays a timeout).
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
#include "core/base/config.h"
#include "core/base/sock.h"
#include "core/base/text.h"
#include "core/probe/inflight.h"

#define TCP_SLOTS 8

/* What an attempt needs beside its struct inflight_slot. */
struct attempt {
	struct probe *p;
	int fd; /* -1 when closed */
	ev_io io;
};

struct probe {
	struct ev_loop *loop;
	struct probe_target t;
	probe_emit_fn emit;
	void *emit_ctx;
	uint32_t next_seq;
	struct inflight in;
	struct attempt att[TCP_SLOTS]; /* beside in.slots[] */
};

/* Short reason for a failed connect. */
static void errno_detail(int e, char *buf, size_t len)
{
	switch (e) {
	case ECONNREFUSED:
		snprintf(buf, len, "%s", "refused");
		break;
	case ETIMEDOUT:
		snprintf(buf, len, "%s", "timed out");
		break;
	case ENETUNREACH:
		snprintf(buf, len, "%s", "net unreachable");
		break;
	case EHOSTUNREACH:
		snprintf(buf, len, "%s", "host unreachable");
		break;
	case ECONNRESET:
		snprintf(buf, len, "%s", "reset");
		break;
	case EBUSY: /* our own: every slot of the table in flight */
		snprintf(buf, len, "%s", "too many in flight");
		break;
	case EACCES:
	case EPERM:
		snprintf(buf, len, "%s", "prohibited");
		break;
	default:
		snprintf(buf, len, "%s", strerror(e));
	}
}

static void emit_attempt(struct probe *p, const struct inflight_slot *s,
			 enum bb_status status, int64_t rtt_ns, int err)
{
	struct bb_sample smp;
	inflight_sample(s, BB_KIND_TCP_CONNECT, p->t.interface, p->t.name,
			&smp);
	smp.status = (uint8_t)status;
	smp.rtt_ns = rtt_ns;
	if (status == BB_STATUS_ERROR)
		errno_detail(err, smp.detail, sizeof(smp.detail));
	p->emit(p->emit_ctx, &smp);
}

static void release(struct probe *p, struct attempt *a)
{
	if (a->fd < 0)
		return;
	ev_io_stop(p->loop, &a->io);
	close(a->fd);
	a->fd = -1;
}

static void on_timeout(void *ctx, struct inflight_slot *s)
{
	struct probe *p = ctx;
	release(p, &p->att[inflight_index(&p->in, s)]);
	emit_attempt(p, s, BB_STATUS_TIMEOUT, BB_NONE, 0);
}

/* Finish one attempt from its socket state, unless still connecting. */
static void complete(struct probe *p, struct attempt *a, int64_t now)
{
	struct inflight_slot *s = &p->in.slots[a - p->att];
	int err = 0;
	socklen_t len = sizeof(err);
	if (getsockopt(a->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (err == EINPROGRESS || err == EALREADY)
		return;
	if (err == 0) { /* writable and no error: make sure it is up */
		struct sockaddr_storage peer;
		socklen_t plen = sizeof(peer);
		if (getpeername(a->fd, (struct sockaddr *)&peer, &plen) < 0)
			err = errno == ENOTCONN ? ECONNREFUSED : errno;
	}
	release(p, a);
	if (err == 0 && inflight_reply(&p->in, s, now - s->send_mono) ==
				INFLIGHT_OK) /* else the timeout went out */
		emit_attempt(p, s, BB_STATUS_OK, now - s->send_mono, 0);
	else if (err != 0 && inflight_fail(&p->in, s))
		emit_attempt(p, s, BB_STATUS_ERROR, BB_NONE, err);
}

static void on_writable(struct ev_loop *loop, ev_io *w, int revents)
{
	int64_t now = clock_mono_ns();
	struct attempt *a = w->data;
	complete(a->p, a, now);
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
	struct inflight_slot *s = inflight_take(&p->in, false), busy = { 0 };
	int fd = s ? tcp_socket(p) : -EBUSY;
	if (!s)
		s = &busy; /* only carries the sample's fields */
	inflight_stamp(s, p->next_seq++, deadline_ns); /* just before SYN */
	if (fd < 0) {
		emit_attempt(p, s, BB_STATUS_ERROR, BB_NONE, -fd);
		return;
	}
	int r = connect(fd, (const struct sockaddr *)&p->t.addr, p->t.addr_len);
	int64_t now = clock_mono_ns();
	if (r == 0 || errno != EINPROGRESS) { /* done at once */
		int e = r == 0 ? 0 : errno;
		close(fd);
		if (e)
			emit_attempt(p, s, BB_STATUS_ERROR, BB_NONE, e);
		else
			emit_attempt(p, s, BB_STATUS_OK, now - s->send_mono, 0);
		return; /* the slot stays free */
	}
	struct attempt *a = &p->att[inflight_index(&p->in, s)];
	a->fd = fd;
	a->p = p;
	ev_io_init(&a->io, on_writable, fd, EV_WRITE);
	a->io.data = a;
	ev_io_start(p->loop, &a->io);
	inflight_pending(&p->in, s);
}

static int tcp_open(struct ev_loop *loop, const struct probe_target *target,
		    probe_emit_fn emit, void *emit_ctx, struct probe **out,
		    char *err, size_t errlen)
{
	int family = target->addr.ss_family;
	int rc = probe_check_target(target, err, errlen);
	if (rc < 0)
		return rc;
	const struct sockaddr_in *sin = (const void *)&target->addr;
	const struct sockaddr_in6 *sin6 = (const void *)&target->addr;
	if ((family == AF_INET ? sin->sin_port : sin6->sin6_port) == 0) {
		snprintf(err, errlen, "%s: tcp target needs a port",
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
	inflight_init(&p->in, loop, TCP_SLOTS, target->timeout_ns, on_timeout,
		      NULL, p);
	*out = p;
	return 0;
}

static void tcp_close(struct probe *p)
{
	if (!p)
		return;
	for (int i = 0; i < TCP_SLOTS; i++)
		release(p, &p->att[i]);
	inflight_stop(&p->in);
	free(p);
}

/* One connect per tests.tcp.targets "host:port", every interval_s. */
int probe_tcp_plan(struct probe_planner *pl)
{
	const struct bb_config *cfg = pl->cfg;
	if (!cfg->tests.tcp.enabled)
		return 0;
	for (int i = 0; i < cfg->tests.tcp.n_targets; i++) {
		char host[CONFIG_HOST_LEN];
		struct probe_want w = {
			.name = cfg->tests.tcp.targets[i],
			.host = host,
			.interval_ns = cfg->tests.tcp.interval_s * BB_NS_PER_S,
		};
		if (config_parse_hostport(cfg->tests.tcp.targets[i], 0, host,
					  sizeof(host), &w.port, pl->err,
					  pl->errlen) < 0)
			return -EINVAL;
		if (!pl->add(pl, BB_KIND_TCP_CONNECT, &w))
			return -E2BIG;
	}
	return 0;
}

const struct probe_ops probe_tcp_ops = {
	.name = "tcp",
	.kind = BB_KIND_TCP_CONNECT,
	.open = tcp_open,
	.send = tcp_send,
	.close = tcp_close,
};
