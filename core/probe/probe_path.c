// SPDX-License-Identifier: MIT
/*
 * The path probe (kind "path"): one ICMP echo per interval towards a
 * target with a TTL (IPv6 hop limit) that steps 1, 2, 3, ... so each hop
 * on the way answers in turn, the routers with time exceeded and the
 * target with its echo reply; then it starts at 1 again.  At the default
 * one hop a second a path of n hops is covered every n seconds and never
 * less often than every max_ttl seconds.  Every probe is one sample: the
 * hop, who answered (hop_addr), the RTT; BB_SAMPLE_PATH_END when it was
 * the target.
 *
 * Sockets: a raw ICMP socket (CAP_NET_RAW) reads the answers themselves,
 * parsed by icmp_path_parse() (core/probe/icmp_path.h) and matched on our
 * identifier, the quoted destination and sequence (and cookie when the
 * router quoted it).  Without CAP_NET_RAW an unprivileged ICMP datagram
 * socket gets the routers' answers through its error queue (IP_RECVERR),
 * the router being the "offender" address.  The TTL is set per probe.
 *
 * With method "udp" (tests.path.method) the probes are UDP datagrams to
 * closed ports from 33434 on, as traceroute sends them (networks that
 * treat ICMP apart show up, and no privilege is needed): routers answer
 * time exceeded, the target port unreachable, both through the error
 * queue, whose original destination port names the probe's slot.
 */
#include "core/probe/probe.h"

#include <errno.h>
#include <ev.h>
#include <linux/errqueue.h>
#include <linux/icmp.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/analysis/path.h" /* PATH_SILENT_PROBES */
#include "core/base/clock.h"
#include "core/base/config.h"
#include "core/base/sock.h"
#include "core/probe/icmp.h"
#include "core/probe/icmp_path.h"
#include "core/probe/icmp_sock.h"
#include "core/probe/inflight.h"
#include "proto/bytes.h"

#define PATH_SLOTS     64
#define PATH_RX_MAX    1500
#define PATH_DRAIN_MAX 64
#define PATH_TTL_CAP   32
#define PATH_UDP_PORT  33434 /* traceroute's first port; + the slot */

struct probe {
	struct ev_loop *loop;
	struct probe_target t;
	probe_emit_fn emit;
	void *emit_ctx;
	int fd, family;
	bool raw, udp;
	uint16_t ident; /* raw only; the kernel's with a datagram socket */
	uint64_t cookie;
	uint32_t next_seq;
	int next_ttl, max_ttl;
	int dest_ttl;		 /* where the target answered; 0 not known */
	int dest_misses;	 /* its probes unanswered in a row since */
	uint8_t ttl[PATH_SLOTS]; /* per inflight slot */
	struct inflight in;
	ev_io io;
};

static struct bb_sample sample_of(struct probe *p,
				  const struct inflight_slot *s)
{
	struct bb_sample smp;
	inflight_sample(s, BB_KIND_PATH, p->t.interface, p->t.name, &smp);
	smp.hop = p->ttl[inflight_index(&p->in, s)];
	return smp;
}

static void on_timeout(void *ctx, struct inflight_slot *s)
{
	struct probe *p = ctx;
	struct bb_sample smp = sample_of(p, s);
	smp.status = BB_STATUS_TIMEOUT;
	/* the target's hop silent for a while: maybe the path got longer
	 * behind a router that does not answer; look further again */
	if (p->dest_ttl && smp.hop == p->dest_ttl &&
	    ++p->dest_misses >= PATH_SILENT_PROBES) {
		p->dest_ttl = 0;
		p->dest_misses = 0;
	}
	p->emit(p->emit_ctx, &smp);
}

/* The pending probe an answer is about: by our 32-bit sequence when the
 * quote kept our payload (and its cookie matches), else by the 16-bit one
 * (a router that quoted 8 bytes only). */
static struct inflight_slot *slot_for(struct probe *p,
				      const struct icmp_echo *e)
{
	if (e->ours)
		return e->cookie == p->cookie ? inflight_find(&p->in, e->seq)
					      : NULL;
	for (size_t i = 0; i < p->in.n; i++)
		if (p->in.slots[i].state != INFLIGHT_FREE &&
		    (uint16_t)p->in.slots[i].seq == e->seq16)
			return &p->in.slots[i];
	return NULL;
}

static bool is_target(const struct probe *p, const struct sockaddr *sa)
{
	return sock_addr_equal(sa, (const struct sockaddr *)&p->t.addr, 0);
}

/* One answer: who (from), what (ICMP_PATH_*, type, code), to which echo. */
static void answer_slot(struct probe *p, struct inflight_slot *s,
			enum icmp_path_what what, uint8_t type, uint8_t code,
			const struct sockaddr *from, int64_t rx_mono)
{
	struct bb_sample smp = sample_of(p, s);
	smp.rtt_ns = clock_rtt_ns(s->send_mono, rx_mono);
	sock_addr_to_text(from, smp.hop_addr, sizeof(smp.hop_addr));
	bool end = what == ICMP_PATH_REPLY || is_target(p, from);
	if (end)
		smp.flags |= BB_SAMPLE_PATH_END;
	/* a UDP probe ends at the target's port unreachable, as it should;
	 * any other unreachable is a failure with its reason */
	if (what == ICMP_PATH_UNREACH && !(p->udp && end)) {
		smp.status = BB_STATUS_ERROR;
		icmp_error_detail(p->family, type, code, smp.detail,
				  sizeof(smp.detail));
	}
	smp.flags |=
		inflight_verdict_flag(inflight_reply(&p->in, s, smp.rtt_ns));
	/* where the cycle turns: the target's hop, or further when a router
	 * now answers where the target did (a longer path) */
	if (end)
		p->dest_misses = 0;
	if (end && (!p->dest_ttl || smp.hop < p->dest_ttl))
		p->dest_ttl = smp.hop;
	else if (!end && smp.hop >= p->dest_ttl)
		p->dest_ttl = 0;
	p->emit(p->emit_ctx, &smp);
}

static void answer(struct probe *p, const struct icmp_echo *e,
		   enum icmp_path_what what, uint8_t type, uint8_t code,
		   const struct sockaddr *from, int64_t rx_mono)
{
	struct inflight_slot *s = slot_for(p, e);
	if (s)
		answer_slot(p, s, what, type, code, from, rx_mono);
}

/* Raw sockets: the answer itself, with the IPv4 header on IPv4. */
static void handle_raw(struct probe *p, const uint8_t *buf, size_t n,
		       const struct sockaddr_storage *from, int64_t rx)
{
	struct icmp_path_msg m;
	if (icmp_path_parse(buf, n, p->family, &m) < 0)
		return;
	const struct sockaddr_storage *t = &p->t.addr;
	const uint8_t *dst =
		p->family == AF_INET
			? (const uint8_t *)&((const struct sockaddr_in *)t)
				  ->sin_addr
			: (const uint8_t *)&((const struct sockaddr_in6 *)t)
				  ->sin6_addr;
	/* a raw socket sees everyone's ICMP */
	if (!icmp_path_ours(&m, p->ident, p->cookie, dst,
			    p->family == AF_INET ? 4 : 16))
		return;
	if (m.what == ICMP_PATH_REPLY &&
	    !is_target(p, (const struct sockaddr *)from))
		return;
	answer(p, &m.echo, m.what, m.type, m.code,
	       (const struct sockaddr *)from, rx);
}

/* The error queue's ICMP answer in ee: which one, or -1 for others. */
static int what_of(const struct probe *p, const struct sock_extended_err *ee)
{
	bool v4 = p->family == AF_INET;
	if (ee->ee_origin != (v4 ? SO_EE_ORIGIN_ICMP : SO_EE_ORIGIN_ICMP6))
		return -1;
	if (ee->ee_type == (v4 ? ICMP_TIME_EXCEEDED : ICMP6_TIME_EXCEEDED))
		return ICMP_PATH_TTL;
	if (ee->ee_type == (v4 ? ICMP_DEST_UNREACH : ICMP6_DST_UNREACH))
		return ICMP_PATH_UNREACH;
	return -1;
}

/* Datagram sockets: a router's answer arrives in the error queue as our
 * quoted request, the router being the offender. */
static void drain_errors(struct probe *p)
{
	for (int i = 0; i < PATH_DRAIN_MAX; i++) {
		uint8_t buf[PATH_RX_MAX];
		struct sock_extended_err ee;
		struct sockaddr_storage off;
		ssize_t n = sock_recv_error(p->fd, buf, sizeof(buf), NULL, &ee,
					    &off);
		if (n == -ENOMSG)
			continue;
		if (n < 0)
			return;
		int64_t rx = clock_mono_ns(); /* the queue keeps no RX time */
		struct icmp_parsed m;
		int what = what_of(p, &ee);
		if (what < 0 || icmp_parse(buf, (size_t)n, p->family, &m) < 0 ||
		    m.msg != ICMP_MSG_REQUEST)
			continue;
		answer(p, &m.echo, (enum icmp_path_what)what, ee.ee_type,
		       ee.ee_code, (const struct sockaddr *)&off, rx);
	}
}

/* UDP: each answer comes back as our datagram's payload (as much as the
 * router quoted: nothing past the UDP header, or all of it) with the
 * destination we sent it to, whose port names the slot. */
static void drain_udp_errors(struct probe *p)
{
	for (int i = 0; i < PATH_DRAIN_MAX; i++) {
		uint8_t buf[PATH_RX_MAX];
		struct sock_extended_err ee;
		struct sockaddr_storage orig, off;
		ssize_t n = sock_recv_error(p->fd, buf, sizeof(buf), &orig, &ee,
					    &off);
		if (n == -ENOMSG)
			continue;
		if (n < 0)
			return;
		int64_t rx = clock_mono_ns(); /* the queue keeps no RX time */
		int what = what_of(p, &ee);
		if (what < 0)
			continue;
		uint16_t port = ntohs(
			orig.ss_family == AF_INET
				? ((const struct sockaddr_in *)&orig)->sin_port
				: ((const struct sockaddr_in6 *)&orig)
					  ->sin6_port);
		if (port < PATH_UDP_PORT ||
		    (size_t)(port - PATH_UDP_PORT) >= p->in.n)
			continue;
		struct inflight_slot *s = &p->in.slots[port - PATH_UDP_PORT];
		if (s->state == INFLIGHT_FREE)
			continue;
		/* our payload quoted whole: it must be this slot's probe */
		if ((size_t)n >= ICMP_ECHO_LEN &&
		    (get_be32(buf + 20) != ICMP_MAGIC ||
		     get_be64(buf + 8) != p->cookie ||
		     get_be32(buf + 16) != s->seq))
			continue;
		answer_slot(p, s, (enum icmp_path_what)what, ee.ee_type,
			    ee.ee_code, (const struct sockaddr *)&off, rx);
	}
}

static void drain_queue(struct probe *p)
{
	if (p->udp)
		drain_udp_errors(p);
	else if (!p->raw)
		drain_errors(p);
}

static void drain(void *ctx)
{
	struct probe *p = ctx;
	drain_queue(p);
	for (int i = 0; i < PATH_DRAIN_MAX; i++) {
		uint8_t buf[PATH_RX_MAX];
		struct sockaddr_storage from;
		socklen_t fromlen = sizeof(from);
		int64_t rx;
		ssize_t n = sock_recv_timestamped(p->fd, buf, sizeof(buf),
						  &from, &fromlen, &rx);
		if (n == -EAGAIN || n == -EWOULDBLOCK)
			return;
		if (n < 0) { /* a queued error surfaced as the socket's */
			drain_queue(p);
			continue;
		}
		if (p->udp)
			continue; /* a service answered on that port */
		if (p->raw) {
			handle_raw(p, buf, (size_t)n, &from, rx);
			continue;
		}
		struct icmp_parsed m;
		if (icmp_parse(buf, (size_t)n, p->family, &m) == 0 &&
		    m.msg == ICMP_MSG_REPLY &&
		    is_target(p, (const struct sockaddr *)&from))
			answer(p, &m.echo, ICMP_PATH_REPLY, m.type, m.code,
			       (const struct sockaddr *)&from, rx);
	}
}

static void on_readable(struct ev_loop *loop, ev_io *w, int revents)
{
	drain(w->data);
}

static int set_ttl(struct probe *p, int ttl)
{
	int r = p->family == AF_INET
			? setsockopt(p->fd, IPPROTO_IP, IP_TTL, &ttl,
				     sizeof(ttl))
			: setsockopt(p->fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS,
				     &ttl, sizeof(ttl));
	return r < 0 ? -errno : 0;
}

static void path_send(struct probe *p, int64_t deadline_ns)
{
	drain_queue(p);
	int last = p->dest_ttl ? p->dest_ttl : p->max_ttl;
	if (p->next_ttl < 1 || p->next_ttl > last)
		p->next_ttl = 1;
	int ttl = p->next_ttl++;
	struct inflight_slot *s = inflight_take(&p->in, true);
	inflight_stamp(s, p->next_seq++, deadline_ns);
	p->ttl[inflight_index(&p->in, s)] = (uint8_t)ttl;
	uint8_t pkt[ICMP_ECHO_LEN];
	icmp_build_echo(pkt, p->family, p->ident, p->cookie, s->seq,
			s->send_mono, p->raw && p->family == AF_INET);
	struct sockaddr_storage to = p->t.addr;
	if (p->udp) { /* the port names the slot (drain_udp_errors) */
		uint16_t port = htons(
			(uint16_t)(PATH_UDP_PORT + inflight_index(&p->in, s)));
		if (p->family == AF_INET)
			((struct sockaddr_in *)&to)->sin_port = port;
		else
			((struct sockaddr_in6 *)&to)->sin6_port = port;
	}
	int rc = set_ttl(p, ttl);
	if (rc == 0 && sendto(p->fd, pkt, sizeof(pkt), 0,
			      (const struct sockaddr *)&to, p->t.addr_len) < 0)
		rc = -errno;
	if (rc < 0) {
		struct bb_sample smp = sample_of(p, s);
		smp.status = BB_STATUS_ERROR;
		snprintf(smp.detail, sizeof(smp.detail), "send: %s",
			 strerror(-rc));
		inflight_fail(&p->in, s);
		p->emit(p->emit_ctx, &smp);
		return;
	}
	inflight_pending(&p->in, s);
}

/* Raw first (it reads the answers whole), else a datagram socket; with
 * method "udp" a UDP socket. */
static int open_socket(struct probe *p, char *err, size_t errlen)
{
	int rc;
	if (p->udp) {
		p->fd = socket(p->family,
			       SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
			       IPPROTO_UDP);
		if (p->fd < 0) {
			rc = -errno;
			snprintf(err, errlen, "path: UDP socket: %s",
				 strerror(-rc));
			return rc;
		}
		rc = sock_enable_recverr(p->fd, p->family);
		if (rc < 0) {
			snprintf(err, errlen, "path: IP_RECVERR: %s",
				 strerror(-rc));
			close(p->fd);
		}
		return rc;
	}
	rc = icmp_sock_open(p->family, true, &p->raw, err, errlen);
	if (rc < 0)
		return rc;
	p->fd = rc;
	/* raw: the answers themselves; datagram: routers' through the queue */
	rc = p->raw ? icmp_sock_pass_only(p->fd, p->family,
					  ICMP_SOCK_PASS_REPLY |
						  ICMP_SOCK_PASS_TTL |
						  ICMP_SOCK_PASS_UNREACH)
		    : sock_enable_recverr(p->fd, p->family);
	if (rc < 0) {
		snprintf(err, errlen, "path: socket options: %s",
			 strerror(-rc));
		close(p->fd);
		return rc;
	}
	return 0;
}

static int path_open(struct ev_loop *loop, const struct probe_target *target,
		     probe_emit_fn emit, void *emit_ctx, struct probe **out,
		     char *err, size_t errlen)
{
	int family = target->addr.ss_family;
	int rc = probe_check_target(target, err, errlen);
	if (rc < 0)
		return rc;
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
	p->max_ttl =
		target->path_max_ttl > 0 && target->path_max_ttl <= PATH_TTL_CAP
			? target->path_max_ttl
			: 30;
	p->next_ttl = 1;
	p->udp = target->path_udp;
	rc = open_socket(p, err, errlen);
	if (rc < 0)
		goto fail;
	if ((rc = sock_enable_rx_timestamps(p->fd)) < 0) {
		snprintf(err, errlen, "SO_TIMESTAMPNS: %s", strerror(-rc));
		goto fail_fd;
	}
	if ((rc = sock_bind_device(p->fd, target->interface, err, errlen)) < 0)
		goto fail_fd;
	inflight_init(&p->in, loop, PATH_SLOTS, target->timeout_ns, on_timeout,
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
	return rc;
}

static void path_close(struct probe *p)
{
	if (!p)
		return;
	ev_io_stop(p->loop, &p->io);
	inflight_stop(&p->in);
	close(p->fd);
	free(p);
}

static int add_path(struct probe_planner *pl, const char *name,
		    const char *host)
{
	const struct bb_config *cfg = pl->cfg;
	struct probe_want w = {
		.name = name,
		.host = host,
		.interval_ns = cfg->tests.path.interval_ms * BB_NS_PER_MS,
	};
	struct probe_target *t = pl->add(pl, BB_KIND_PATH, &w);
	if (!t)
		return -E2BIG;
	t->path_max_ttl = cfg->tests.path.max_ttl;
	t->path_udp = strcmp(cfg->tests.path.method, "udp") == 0;
	return 0;
}

/* "name=host" or "host": the display name and the host part. */
static int add_entry(struct probe_planner *pl, const char *entry)
{
	char name[BB_TARGET_LEN], host[CONFIG_HOST_LEN];
	probe_split_named(entry, name, sizeof(name), host, sizeof(host));
	return add_path(pl, name, host);
}

/* With tests.path.enabled: a path to every ICMP target (public_dns and
 * custom, under the same display names) and every companion server (under
 * its name).  Not the gateway: it is hop 1 of all of them. */
int probe_path_plan(struct probe_planner *pl)
{
	const struct bb_config *cfg = pl->cfg;
	if (!cfg->tests.path.enabled)
		return 0;
	int rc = 0;
	for (int i = 0; rc == 0 && i < cfg->targets.n_public_dns; i++)
		rc = add_entry(pl, cfg->targets.public_dns[i]);
	for (int i = 0; rc == 0 && i < cfg->targets.n_custom; i++)
		rc = add_entry(pl, cfg->targets.custom[i]);
	for (int i = 0; rc == 0 && i < cfg->n_servers; i++)
		rc = add_path(pl, cfg->servers[i].name, cfg->servers[i].host);
	return rc;
}

const struct probe_ops probe_path_ops = {
	.name = "path",
	.kind = BB_KIND_PATH,
	.open = path_open,
	.send = path_send,
	.close = path_close,
};
