// SPDX-License-Identifier: MIT
/*
 * DNS resolution-time probe (MEASUREMENT.md "DNS and TCP"): one A query over
 * UDP per send(), built by core/probe/dns.c, for a fresh name "bb-<random>.<zone>"
 * so no cache on the path can answer it, with a fresh random ID.  The sample's
 * rtt_ns is the kernel RX timestamp of the response minus the send time.
 *
 * Invariants: one UDP socket per instance, connected to the server (so only
 * its datagrams reach us); a response completes a query only when it parses
 * and matches its ID, question name and type — anything else is counted and
 * ignored, and the query keeps waiting.  NOERROR and NXDOMAIN are answers
 * (status OK), other rcodes are errors.  A port unreachable from the server
 * arrives through the socket error queue (IP_RECVERR) with our query quoted,
 * so it fails exactly the query it belongs to.  In-flight queries live in a
 * fixed table; answered and timed-out entries stay there until reused, so a
 * late reply is still recognised (BB_SAMPLE_LATE) and a repeated one flagged
 * BB_SAMPLE_DUPLICATE.  No allocation after open().
 */
#include "core/probe/probe.h"

#include <errno.h>
#include <ev.h>
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/base/clock.h"
#include "core/probe/dns.h"
#include "core/base/sock.h"

#define DNS_INFLIGHT	 64 /* queries remembered, pending or finished */
#define DNS_RX_BATCH	 64 /* datagrams read per wake-up before yielding */
#define DNS_DEFAULT_PORT 53

enum slot_state { SLOT_FREE, SLOT_PENDING, SLOT_EXPIRED, SLOT_DONE };

struct slot {
	enum slot_state state;
	uint16_t id;
	uint32_t seq;
	int64_t sent_mono, sent_real, send_error_ns, deadline;
	char qname[DNS_NAME_TEXT_MAX + 2];
};

struct probe {
	struct ev_loop *loop;
	ev_io io;
	ev_timer timer;
	int fd;
	probe_emit_fn emit;
	void *emit_ctx;
	char name[BB_TARGET_LEN];
	char interface[BB_IFNAME_LEN];
	char zone[sizeof(((struct probe_target *)0)->dns_domain)];
	struct sockaddr_storage addr;
	int64_t timeout_ns;
	uint32_t next_seq;
	uint64_t malformed, mismatched; /* datagrams ignored */
	struct slot slots[DNS_INFLIGHT];
};

static void sample_for(const struct probe *p, const struct slot *s,
		       struct bb_sample *out)
{
	sample_init(out, BB_KIND_DNS);
	out->real_ns = s->sent_real;
	out->mono_ns = s->sent_mono;
	out->send_error_ns = s->send_error_ns;
	snprintf(out->interface, sizeof(out->interface), "%s", p->interface);
	snprintf(out->target, sizeof(out->target), "%s", p->name);
	out->seq = s->seq;
}

static void emit_error(struct probe *p, const struct slot *s,
		       const char *detail)
{
	struct bb_sample smp;
	sample_for(p, s, &smp);
	smp.status = BB_STATUS_ERROR;
	snprintf(smp.detail, sizeof(smp.detail), "%s", detail);
	p->emit(p->emit_ctx, &smp);
}

/* Arm the timer for the earliest pending deadline, or stop it. */
static void rearm(struct probe *p)
{
	int64_t next = INT64_MAX;
	for (int i = 0; i < DNS_INFLIGHT; i++)
		if (p->slots[i].state == SLOT_PENDING &&
		    p->slots[i].deadline < next)
			next = p->slots[i].deadline;
	ev_timer_stop(p->loop, &p->timer);
	if (next == INT64_MAX)
		return;
	int64_t wait = next - clock_mono_ns();
	if (wait < 100 * BB_NS_PER_US)
		wait = 100 * BB_NS_PER_US;
	ev_timer_set(&p->timer, (double)wait / BB_NS_PER_S, 0.);
	ev_timer_start(p->loop, &p->timer);
}

static struct slot *find_id(struct probe *p, uint16_t id)
{
	for (int i = 0; i < DNS_INFLIGHT; i++)
		if (p->slots[i].state != SLOT_FREE && p->slots[i].id == id)
			return &p->slots[i];
	return NULL;
}

/* A free slot, else the oldest finished one; NULL when all are pending. */
static struct slot *take_slot(struct probe *p)
{
	struct slot *best = NULL;
	for (int i = 0; i < DNS_INFLIGHT; i++) {
		struct slot *s = &p->slots[i];
		if (s->state == SLOT_FREE)
			return s;
		if (s->state != SLOT_PENDING &&
		    (!best || s->sent_mono < best->sent_mono))
			best = s;
	}
	return best;
}

static void on_response(struct probe *p, const uint8_t *buf, size_t len,
			int64_t rx_mono)
{
	struct dns_response r;
	if (dns_parse_response(buf, len, &r) < 0) {
		p->malformed++;
		return;
	}
	struct slot *s = find_id(p, r.id);
	if (!s || !dns_response_matches(&r, s->id, s->qname, DNS_TYPE_A)) {
		p->mismatched++;
		return;
	}

	struct bb_sample smp;
	sample_for(p, s, &smp);
	smp.rtt_ns = rx_mono - s->sent_mono;
	if (smp.rtt_ns < 0) /* wall clock stepped under the RX timestamp */
		smp.rtt_ns = clock_mono_ns() - s->sent_mono;
	if (s->state == SLOT_EXPIRED)
		smp.flags |= BB_SAMPLE_LATE;
	else if (s->state == SLOT_DONE)
		smp.flags |= BB_SAMPLE_DUPLICATE;

	switch (r.rcode) {
	case DNS_RCODE_NOERROR:
		smp.status = BB_STATUS_OK;
		if (r.tc)
			snprintf(smp.detail, sizeof(smp.detail), "truncated");
		break;
	case DNS_RCODE_NXDOMAIN:
		smp.status = BB_STATUS_OK;
		snprintf(smp.detail, sizeof(smp.detail), "nxdomain");
		break;
	case DNS_RCODE_SERVFAIL:
	case DNS_RCODE_REFUSED:
		smp.status = BB_STATUS_ERROR;
		snprintf(smp.detail, sizeof(smp.detail), "%s",
			 dns_rcode_name(r.rcode));
		break;
	default:
		smp.status = BB_STATUS_ERROR;
		snprintf(smp.detail, sizeof(smp.detail), "rcode %u",
			 (unsigned)r.rcode);
		break;
	}
	bool was_pending = s->state == SLOT_PENDING;
	s->state = SLOT_DONE;
	p->emit(p->emit_ctx, &smp);
	if (was_pending)
		rearm(p);
}

/* One ICMP error from the error queue; the quoted payload is our query. */
static int read_errqueue(struct probe *p)
{
	uint8_t payload[DNS_UDP_MAX];
	union {
		char buf[CMSG_SPACE(sizeof(struct sock_extended_err) +
				    sizeof(struct sockaddr_in6))];
		struct cmsghdr align;
	} control;
	struct iovec iov = { .iov_base = payload, .iov_len = sizeof(payload) };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = control.buf,
		.msg_controllen = sizeof(control.buf),
	};
	ssize_t n = recvmsg(p->fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT);
	if (n < 0)
		return -errno;

	const struct sock_extended_err *ee = NULL;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c;
	     c = CMSG_NXTHDR(&msg, c))
		if ((c->cmsg_level == SOL_IP && c->cmsg_type == IP_RECVERR) ||
		    (c->cmsg_level == SOL_IPV6 && c->cmsg_type == IPV6_RECVERR))
			ee = (const void *)CMSG_DATA(c);
	if (!ee || n < 2)
		return 0;
	uint16_t id = (uint16_t)(payload[0] << 8 | payload[1]);
	struct slot *s = find_id(p, id);
	if (!s || s->state != SLOT_PENDING)
		return 0;
	char detail[BB_DETAIL_LEN];
	if (ee->ee_errno == ECONNREFUSED)
		snprintf(detail, sizeof(detail), "refused (no server)");
	else
		snprintf(detail, sizeof(detail), "%s", strerror(ee->ee_errno));
	s->state = SLOT_DONE;
	emit_error(p, s, detail);
	rearm(p);
	return 0;
}

static void drain(struct probe *p)
{
	uint8_t buf[DNS_UDP_MAX * 2]; /* larger replies are cut: TC-like */

	for (int i = 0; i < DNS_RX_BATCH; i++) {
		while (read_errqueue(p) == 0)
			;
		struct sockaddr_storage from;
		socklen_t fromlen = sizeof(from);
		int64_t rx_mono;
		ssize_t n = sock_recv_timestamped(p->fd, buf, sizeof(buf),
						  &from, &fromlen, &rx_mono);
		if (n == -EAGAIN || n == -EWOULDBLOCK)
			return;
		if (n < 0)
			continue; /* pending ICMP error: the queue has it */
		if (!sock_addr_equal((struct sockaddr *)&from,
				     (struct sockaddr *)&p->addr, 1)) {
			p->mismatched++;
			continue;
		}
		on_response(p, buf, (size_t)n, rx_mono);
	}
}

static void on_readable(struct ev_loop *loop, ev_io *w, int revents)
{
	drain(w->data);
}

static void on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct probe *p = w->data;

	drain(p); /* a reply already queued arrived in time */
	int64_t now = clock_mono_ns();
	for (int i = 0; i < DNS_INFLIGHT; i++) {
		struct slot *s = &p->slots[i];
		if (s->state != SLOT_PENDING || s->deadline > now)
			continue;
		s->state = SLOT_EXPIRED;
		struct bb_sample smp;
		sample_for(p, s, &smp);
		smp.status = BB_STATUS_TIMEOUT;
		p->emit(p->emit_ctx, &smp);
	}
	rearm(p);
}

static int dns_open(struct ev_loop *loop, const struct probe_target *target,
		    probe_emit_fn emit, void *emit_ctx, struct probe **out,
		    char *err, size_t errlen)
{
	char probe_name[DNS_NAME_TEXT_MAX + 2];
	int fam = target->addr.ss_family, rc;

	if (sodium_init() < 0) {
		snprintf(err, errlen, "dns: libsodium failed to initialise");
		return -EIO;
	}
	if (fam != AF_INET && fam != AF_INET6) {
		snprintf(err, errlen, "dns %s: server is not an IP address",
			 target->name);
		return -EAFNOSUPPORT;
	}
	if (!target->dns_domain[0] ||
	    dns_random_qname(probe_name, sizeof(probe_name), target->dns_domain,
			     0) < 0) {
		snprintf(err, errlen, "dns %s: bad or missing test zone \"%s\"",
			 target->name, target->dns_domain);
		return -EINVAL;
	}
	if (target->timeout_ns <= 0) {
		snprintf(err, errlen, "dns %s: timeout must be positive",
			 target->name);
		return -EINVAL;
	}

	struct probe *p = calloc(1, sizeof(*p));
	if (!p) {
		snprintf(err, errlen, "dns: out of memory");
		return -ENOMEM;
	}
	p->loop = loop;
	p->emit = emit;
	p->emit_ctx = emit_ctx;
	p->timeout_ns = target->timeout_ns;
	snprintf(p->name, sizeof(p->name), "%s", target->name);
	snprintf(p->interface, sizeof(p->interface), "%s", target->interface);
	snprintf(p->zone, sizeof(p->zone), "%s", target->dns_domain);
	memcpy(&p->addr, &target->addr, sizeof(p->addr));
	struct sockaddr_in *v4 = (struct sockaddr_in *)&p->addr;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&p->addr;
	in_port_t *port = fam == AF_INET ? &v4->sin_port : &v6->sin6_port;
	if (!*port)
		*port = htons(DNS_DEFAULT_PORT);
	socklen_t alen = fam == AF_INET ? sizeof(struct sockaddr_in)
					: sizeof(struct sockaddr_in6);

	int on = 1;
	p->fd = socket(fam, SOCK_DGRAM, 0);
	if (p->fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "dns %s: socket: %s", target->name,
			 strerror(-rc));
		goto fail;
	}
	if ((rc = sock_set_nonblock(p->fd)) < 0 ||
	    (rc = sock_enable_rx_timestamps(p->fd)) < 0) {
		snprintf(err, errlen, "dns %s: socket options: %s",
			 target->name, strerror(-rc));
		goto fail;
	}
	if (setsockopt(p->fd, fam == AF_INET ? SOL_IP : SOL_IPV6,
		       fam == AF_INET ? IP_RECVERR : IPV6_RECVERR, &on,
		       sizeof(on)) < 0) {
		rc = -errno;
		snprintf(err, errlen, "dns %s: RECVERR: %s", target->name,
			 strerror(-rc));
		goto fail;
	}
	if ((rc = sock_bind_device(p->fd, target->interface, err, errlen)) < 0)
		goto fail;
	if (connect(p->fd, (struct sockaddr *)&p->addr, alen) < 0) {
		rc = -errno;
		snprintf(err, errlen, "dns %s: connect: %s", target->name,
			 strerror(-rc));
		goto fail;
	}

	ev_io_init(&p->io, on_readable, p->fd, EV_READ);
	p->io.data = p;
	ev_io_start(loop, &p->io);
	ev_init(&p->timer, on_timer);
	p->timer.data = p;
	*out = p;
	return 0;
fail:
	if (p->fd >= 0)
		close(p->fd);
	free(p);
	return rc;
}

static void dns_send(struct probe *p, int64_t deadline_ns)
{
	uint8_t pkt[DNS_UDP_MAX];
	uint64_t rnd;
	struct slot *s = take_slot(p);
	struct slot full = { 0 };

	if (!s) { /* every slot pending: report, don't overwrite */
		full.seq = p->next_seq++;
		full.sent_mono = clock_mono_ns();
		full.sent_real = clock_mono_to_real(full.sent_mono);
		full.send_error_ns = full.sent_mono - deadline_ns;
		emit_error(p, &full, "too many queries in flight");
		return;
	}
	memset(s, 0, sizeof(*s));
	do /* unique among remembered queries, so an ID names one query */
		s->id = (uint16_t)randombytes_uniform(65536);
	while (find_id(p, s->id));
	randombytes_buf(&rnd, sizeof(rnd));
	dns_random_qname(s->qname, sizeof(s->qname), p->zone, rnd);
	int len =
		dns_build_query(s->id, s->qname, DNS_TYPE_A, pkt, sizeof(pkt));
	s->seq = p->next_seq++;

	int sent = len < 0 ? len : 1; /* 1: not sent yet */
	s->sent_mono = clock_mono_ns();
	s->sent_real = clock_real_ns();
	for (int attempt = 0; attempt < 2 && sent == 1; attempt++) {
		s->sent_mono = clock_mono_ns();
		s->sent_real = clock_real_ns();
		if (send(p->fd, pkt, (size_t)len, 0) >= 0)
			sent = 0;
		else if (errno != ECONNREFUSED || attempt == 1)
			sent = -errno;
		/* ECONNREFUSED belongs to an earlier query whose ICMP error
		 * is still queued for read_errqueue(): send this one again */
	}
	s->send_error_ns = s->sent_mono - deadline_ns;
	if (sent < 0) {
		char detail[BB_DETAIL_LEN];
		snprintf(detail, sizeof(detail), "send: %s", strerror(-sent));
		emit_error(p, s, detail);
		s->state = SLOT_FREE;
		return;
	}
	s->deadline = s->sent_mono + p->timeout_ns;
	s->state = SLOT_PENDING;
	if (!ev_is_active(&p->timer))
		rearm(p);
}

static void dns_close(struct probe *p)
{
	if (!p)
		return;
	ev_io_stop(p->loop, &p->io);
	ev_timer_stop(p->loop, &p->timer);
	close(p->fd);
	free(p);
}

const struct probe_ops probe_dns_ops = {
	.name = "dns",
	.kind = BB_KIND_DNS,
	.open = dns_open,
	.send = dns_send,
	.close = dns_close,
};
