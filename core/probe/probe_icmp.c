// SPDX-License-Identifier: MIT
/*
 * ICMP echo probe (RFC 792 for IPv4, RFC 4443 §4.1 for IPv6).  One instance
 * pings one target from one worker loop.  It opens an unprivileged ICMP
 * datagram socket (Linux "ping socket", allowed by net.ipv4.ping_group_range)
 * and falls back to a raw socket (CAP_NET_RAW).  With a datagram socket the
 * kernel owns the identifier and fills the checksum; a raw socket sees every
 * ICMP packet on the host, so replies are matched on our identifier, the
 * target address and a random 64-bit cookie in the payload (the packet
 * layout and its parser are core/probe/icmp.h).
 *
 * Invariants: probes in flight live in a struct inflight (core/probe/
 * inflight.h) of ICMP_SLOTS entries and nothing is allocated per probe;
 * every probe yields exactly one OK, TIMEOUT or ERROR sample, later replies
 * only annotation samples (LATE, DUPLICATE).  REORDERED follows RFC 4737: a
 * reply with a sequence lower than one already answered.  ICMP errors come
 * through the socket error queue (IP_RECVERR / IPV6_RECVERR), which works
 * the same for both socket types.
 */
#include "core/probe/probe.h"

#include <errno.h>
#include <ev.h>
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/base/clock.h"
#include "core/base/config.h"
#include "core/base/sock.h"
#include "core/probe/gateway.h"
#include "core/probe/icmp.h"
#include "core/probe/icmp_sock.h"
#include "core/probe/inflight.h"

#define ICMP_SLOTS     64
#define ICMP_RX_MAX    1500
#define ICMP_DRAIN_MAX 64 /* datagrams read per wake-up, to stay fair */

struct probe {
	struct ev_loop *loop;
	struct probe_target t;
	probe_emit_fn emit;
	void *emit_ctx;
	int fd;
	int family;
	bool raw;
	uint16_t ident; /* raw sockets only; the kernel's with datagram ones */
	uint64_t cookie;
	uint32_t next_seq;
	uint32_t highest; /* highest sequence answered so far (RFC 4737) */
	int answered_any;
	struct inflight in;
	ev_io io;
};

static void emit_status(struct probe *p, const struct inflight_slot *s,
			enum bb_status status, const char *detail)
{
	struct bb_sample smp;
	inflight_sample(s, BB_KIND_ICMP, p->t.interface, p->t.name, &smp);
	smp.status = (uint8_t)status;
	if (detail)
		snprintf(smp.detail, sizeof(smp.detail), "%s", detail);
	p->emit(p->emit_ctx, &smp);
}

static void on_timeout(void *ctx, struct inflight_slot *s)
{
	emit_status(ctx, s, BB_STATUS_TIMEOUT, NULL);
}

/* A short reason for a failed send (MEASUREMENT.md: failures carry one). */
static void errno_detail(int e, char *buf, size_t len)
{
	static const struct {
		int e;
		const char *why;
	} words[] = {
		{ ENETUNREACH, "net unreachable" },
		{ EHOSTUNREACH, "host unreachable" },
		{ EACCES, "prohibited" },
		{ EPERM, "prohibited" },
		{ EAGAIN, "send buffer full" },
		{ ENOBUFS, "send buffer full" },
		{ ENODEV, "interface missing" }, /* the bound one went away */
		{ ENETDOWN, "network down" },
		{ EADDRNOTAVAIL, "no local address" },
	};
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (words[i].e == e) {
			snprintf(buf, len, "%s", words[i].why);
			return;
		}
	snprintf(buf, len, "send: %s", strerror(e));
}

/* An echo reply as the socket gave it (with the IPv4 header on raw IPv4
 * sockets). */
static void handle_reply(struct probe *p, const uint8_t *buf, size_t n,
			 const struct sockaddr_storage *from, int64_t rx_mono)
{
	struct icmp_parsed m;
	if (icmp_parse(buf, n, p->family, &m) < 0 || m.msg != ICMP_MSG_REPLY)
		return;
	if (p->raw && m.echo.ident != p->ident)
		return;
	if (!m.echo.ours || m.echo.cookie != p->cookie)
		return;
	if (!sock_addr_equal((const struct sockaddr *)from,
			     (const struct sockaddr *)&p->t.addr, 0))
		return;
	uint32_t seq = m.echo.seq;
	struct inflight_slot *s = inflight_find(&p->in, seq);
	if (!s)
		return; /* older than the table: long gone */

	struct bb_sample smp;
	inflight_sample(s, BB_KIND_ICMP, p->t.interface, p->t.name, &smp);
	smp.rtt_ns = clock_rtt_ns(s->send_mono, rx_mono);
	enum inflight_verdict v = inflight_reply(&p->in, s, smp.rtt_ns);
	smp.flags |= inflight_verdict_flag(v);
	if (v == INFLIGHT_OK && p->answered_any && seq < p->highest)
		smp.flags |= BB_SAMPLE_REORDERED;
	if (!(smp.flags & BB_SAMPLE_DUPLICATE) &&
	    (!p->answered_any || seq > p->highest)) {
		p->highest = seq;
		p->answered_any = 1;
	}
	p->emit(p->emit_ctx, &smp);
}

/* One queued error: the original echo we sent and why it failed. */
static void handle_error(struct probe *p, const uint8_t *buf, size_t n,
			 const struct sock_extended_err *ee)
{
	struct icmp_parsed m;
	if (icmp_parse(buf, n, p->family, &m) < 0 || m.msg != ICMP_MSG_REQUEST)
		return;
	struct inflight_slot *s = NULL;
	if (m.echo.ours && m.echo.cookie == p->cookie) {
		s = inflight_find(&p->in, m.echo.seq);
	} else if (m.echo.ours || n >= 16) {
		return; /* payload quoted and not ours (raw sockets see all) */
	} else if (!p->raw || m.echo.ident == p->ident) {
		for (size_t i = 0; i < p->in.n && !s; i++)
			if (p->in.slots[i].state == INFLIGHT_PENDING &&
			    (uint16_t)p->in.slots[i].seq == m.echo.seq16)
				s = &p->in.slots[i];
	}
	if (!s || !inflight_fail(&p->in, s))
		return; /* after its timeout: nothing to correct */
	char detail[BB_DETAIL_LEN];
	if (ee->ee_origin == SO_EE_ORIGIN_ICMP)
		icmp_error_detail(AF_INET, ee->ee_type, ee->ee_code, detail,
				  sizeof(detail));
	else if (ee->ee_origin == SO_EE_ORIGIN_ICMP6)
		icmp_error_detail(AF_INET6, ee->ee_type, ee->ee_code, detail,
				  sizeof(detail));
	else
		errno_detail((int)ee->ee_errno, detail, sizeof(detail));
	emit_status(p, s, BB_STATUS_ERROR, detail);
}

/* Drain the socket error queue; this also clears the pending socket error
 * so the next sendto does not fail with an old probe's reason. */
static void drain_errors(struct probe *p)
{
	for (int i = 0; i < ICMP_DRAIN_MAX; i++) {
		uint8_t buf[ICMP_RX_MAX];
		struct sock_extended_err ee;
		ssize_t n = sock_recv_error(p->fd, buf, sizeof(buf), NULL, &ee,
					    NULL);
		if (n == -ENOMSG)
			continue;
		if (n < 0)
			return;
		handle_error(p, buf, (size_t)n, &ee);
	}
}

static void drain(void *ctx)
{
	struct probe *p = ctx;
	drain_errors(p);
	for (int i = 0; i < ICMP_DRAIN_MAX; i++) {
		uint8_t buf[ICMP_RX_MAX];
		struct sockaddr_storage from;
		socklen_t fromlen = sizeof(from);
		int64_t rx;
		ssize_t n = sock_recv_timestamped(p->fd, buf, sizeof(buf),
						  &from, &fromlen, &rx);
		if (n == -EAGAIN || n == -EWOULDBLOCK)
			return;
		if (n < 0) { /* a pending ICMP error surfaced here */
			drain_errors(p);
			continue;
		}
		handle_reply(p, buf, (size_t)n, &from, rx);
	}
}

static void on_readable(struct ev_loop *loop, ev_io *w, int revents)
{
	drain(w->data);
}

static void icmp_send(struct probe *p, int64_t deadline_ns)
{
	drain_errors(p);
	/* a table full of pending probes: the oldest is lost */
	struct inflight_slot *s = inflight_take(&p->in, true);
	uint8_t pkt[ICMP_ECHO_LEN];
	inflight_stamp(s, p->next_seq++, deadline_ns);
	icmp_build_echo(pkt, p->family, p->ident, p->cookie, s->seq,
			s->send_mono, p->raw && p->family == AF_INET);
	ssize_t r = sendto(p->fd, pkt, sizeof(pkt), 0,
			   (const struct sockaddr *)&p->t.addr, p->t.addr_len);
	if (r < 0) {
		char detail[BB_DETAIL_LEN];
		errno_detail(errno, detail, sizeof(detail));
		emit_status(p, s, BB_STATUS_ERROR, detail);
		return;
	}
	inflight_pending(&p->in, s);
}

static int icmp_open(struct ev_loop *loop, const struct probe_target *target,
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
	p->loop = loop;
	p->t = *target;
	p->emit = emit;
	p->emit_ctx = emit_ctx;
	p->family = family;
	p->cookie = icmp_sock_random();
	p->ident = (uint16_t)icmp_sock_random();
	ret = icmp_sock_open(family, false, &p->raw, err, errlen);
	if (ret < 0)
		goto fail;
	p->fd = ret;

	ret = sock_enable_recverr(p->fd, family);
	/* raw: let only echo replies in (errors use the queue) */
	if (ret == 0 && p->raw)
		ret = icmp_sock_pass_only(p->fd, family, ICMP_SOCK_PASS_REPLY);
	if (ret < 0) {
		snprintf(err, errlen, "ICMP socket options: %s",
			 strerror(-ret));
		goto fail_fd;
	}
	ret = sock_enable_rx_timestamps(p->fd);
	if (ret < 0) {
		snprintf(err, errlen, "SO_TIMESTAMPNS: %s", strerror(-ret));
		goto fail_fd;
	}
	ret = sock_bind_device(p->fd, target->interface, err, errlen);
	if (ret < 0)
		goto fail_fd;

	inflight_init(&p->in, loop, ICMP_SLOTS, target->timeout_ns, on_timeout,
		      drain, p);
	ev_io_init(&p->io, on_readable, p->fd, EV_READ);
	p->io.data = p;
	ev_io_start(loop, &p->io);
	*out = p;
	return 0;
fail_fd:
	close(p->fd);
fail:
	free(p);
	return ret;
}

static void icmp_close(struct probe *p)
{
	if (!p)
		return;
	ev_io_stop(p->loop, &p->io);
	inflight_stop(&p->in);
	close(p->fd);
	free(p);
}

static int plan_list(struct probe_planner *pl,
		     const char (*list)[CONFIG_ENTRY_LEN], int n)
{
	char name[BB_TARGET_LEN], host[CONFIG_HOST_LEN];
	for (int i = 0; i < n; i++) {
		probe_split_named(list[i], name, sizeof(name), host,
				  sizeof(host));
		struct probe_want w = { .name = name,
					.host = host,
					.interval_ns = pl->interval_ns };
		if (!pl->add(pl, BB_KIND_ICMP, &w))
			return -E2BIG;
	}
	return 0;
}

/* Pings at test_interval_ms to the gateway (detected and followed, or
 * given) and to every public_dns and custom target. */
int probe_icmp_plan(struct probe_planner *pl)
{
	const struct bb_config *cfg = pl->cfg;
	const char *gw = cfg->targets.isp_gateway;
	struct probe_want w = { .name = "gateway",
				.interval_ns = pl->interval_ns };
	struct sockaddr_storage addr;
	char dev[GATEWAY_IFNAME_LEN];
	int rc = 0;

	if (strcmp(gw, "auto") == 0 && cfg->monitoring.auto_detect_gateway) {
		w.follow_gateway_ns =
			(int64_t)cfg->monitoring.gateway_check_interval_sec *
			BB_NS_PER_S;
		if (gateway_detect(pl->ifname, &addr, &w.addr_len, dev) == 0)
			w.addr = &addr;
		else /* the engine looks for one every few seconds */
			pl->warn(pl,
				 "icmp: no default gateway%s%s yet; the "
				 "gateway probe starts when a default route "
				 "appears",
				 pl->ifname[0] ? " on " : "", pl->ifname);
		if (!pl->add(pl, BB_KIND_ICMP, &w))
			return -E2BIG;
	} else if (gw[0] && strcmp(gw, "auto") != 0 && strcmp(gw, "none")) {
		w.host = gw;
		if (!pl->add(pl, BB_KIND_ICMP, &w))
			return -E2BIG;
	}
	rc = plan_list(pl, cfg->targets.public_dns, cfg->targets.n_public_dns);
	if (rc == 0)
		rc = plan_list(pl, cfg->targets.custom, cfg->targets.n_custom);
	return rc;
}

const struct probe_ops probe_icmp_ops = {
	.name = "icmp",
	.kind = BB_KIND_ICMP,
	.open = icmp_open,
	.send = icmp_send,
	.close = icmp_close,
};
