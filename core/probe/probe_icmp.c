// SPDX-License-Identifier: MIT
/*
 * ICMP echo probe (RFC 792 for IPv4, RFC 4443 §4.1 for IPv6).  One instance
 * pings one target from one worker loop.  It opens an unprivileged ICMP
 * datagram socket (Linux "ping socket", allowed by net.ipv4.ping_group_range)
 * and falls back to a raw socket (CAP_NET_RAW).  With a datagram socket the
 * kernel owns the identifier and fills the checksum; a raw socket sees every
 * ICMP packet on the host, so replies are matched on our identifier, the
 * target address and a random 64-bit cookie in the payload:
 *
 *    0               8              16              24              32
 *   +-------+-------+---------------+-------------------------------+
 *   | type  | code  |   checksum    |  identifier   |   sequence    |
 *   +-------+-------+---------------+-------------------------------+
 *   |                     cookie (64 bits, random per instance)     |
 *   +---------------------------------------------------------------+
 *   |        sequence (32 bits)     |        magic "BBmp"           |
 *   +---------------------------------------------------------------+
 *   |             send time, CLOCK_MONOTONIC ns (64 bits)           |
 *   +---------------------------------------------------------------+
 *   |                         zero padding (64 bits)                |
 *   +---------------------------------------------------------------+
 *   (payload fields big-endian; the 16-bit wire sequence is the low half
 *    of the 32-bit one)
 *
 * Invariants: the in-flight table has ICMP_SLOTS entries indexed by
 * seq % ICMP_SLOTS and nothing is allocated per probe; every probe yields
 * exactly one OK, TIMEOUT or ERROR sample, later replies only annotation
 * samples (LATE, DUPLICATE).  A reply whose kernel RX timestamp is past the
 * timeout is a timeout even if the loop was too busy to notice in time.
 * REORDERED follows RFC 4737: a reply with a sequence lower than one already
 * answered.  ICMP errors come through the socket error queue (IP_RECVERR /
 * IPV6_RECVERR), which works the same for both socket types.
 */
#include "core/probe/probe.h"

#include <endian.h>
#include <errno.h>
#include <ev.h>
#include <linux/errqueue.h>
#include <linux/icmp.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "core/base/clock.h"
#include "core/base/sock.h"
#include "core/base/text.h"
#include "proto/bytes.h"

#define ICMP_SLOTS     64
#define ICMP_HDR       8
#define ICMP_PAYLOAD   32
#define ICMP_MAGIC     0x42426d70u /* "BBmp" */
#define ICMP_RX_MAX    1500
#define ICMP_DRAIN_MAX 64 /* datagrams read per wake-up, to stay fair */

enum slot_state { SLOT_FREE, SLOT_INFLIGHT, SLOT_TIMEDOUT, SLOT_ANSWERED };

struct slot {
	uint32_t seq;
	uint8_t state;
	int64_t send_mono;
	int64_t send_real;
	int64_t send_err;
};

struct probe {
	struct ev_loop *loop;
	struct probe_target t;
	probe_emit_fn emit;
	void *emit_ctx;
	int fd;
	int family;
	int raw;
	uint16_t ident; /* raw sockets only; the kernel's with datagram ones */
	uint64_t cookie;
	uint32_t next_seq;
	uint32_t highest; /* highest sequence answered so far (RFC 4737) */
	int answered_any;
	struct slot slots[ICMP_SLOTS];
	ev_io io;
	ev_timer timer;
};

static void sample_for(const struct probe *p, const struct slot *s,
		       enum bb_status status, struct bb_sample *out)
{
	sample_init(out, BB_KIND_ICMP);
	out->real_ns = s->send_real;
	out->mono_ns = s->send_mono;
	out->send_error_ns = s->send_err;
	copy_str(out->interface, sizeof(out->interface), p->t.interface);
	copy_str(out->target, sizeof(out->target), p->t.name);
	out->status = (uint8_t)status;
	out->seq = s->seq;
}

static void emit_status(struct probe *p, const struct slot *s,
			enum bb_status status, const char *detail)
{
	struct bb_sample smp;
	sample_for(p, s, status, &smp);
	if (detail)
		copy_str(smp.detail, sizeof(smp.detail), detail);
	p->emit(p->emit_ctx, &smp);
}

/* A short reason for a failed send (MEASUREMENT.md: failures carry one). */
static void errno_detail(int e, char *buf, size_t len)
{
	switch (e) {
	case ENETUNREACH:
		copy_str(buf, len, "net unreachable");
		break;
	case EHOSTUNREACH:
		copy_str(buf, len, "host unreachable");
		break;
	case EACCES:
	case EPERM:
		copy_str(buf, len, "prohibited");
		break;
	case EAGAIN:
	case ENOBUFS:
		copy_str(buf, len, "send buffer full");
		break;
	case ENODEV: /* the bound interface went away */
		copy_str(buf, len, "interface missing");
		break;
	case ENETDOWN:
		copy_str(buf, len, "network down");
		break;
	case EADDRNOTAVAIL:
		copy_str(buf, len, "no local address");
		break;
	default:
		snprintf(buf, len, "send: %s", strerror(e));
	}
}

/* RFC 792 destination unreachable codes / other error types. */
static void icmp4_detail(uint8_t type, uint8_t code, char *buf, size_t len)
{
	static const char *const unreach[] = {
		[ICMP_NET_UNREACH] = "net unreachable",
		[ICMP_HOST_UNREACH] = "host unreachable",
		[ICMP_PROT_UNREACH] = "protocol unreachable",
		[ICMP_PORT_UNREACH] = "port unreachable",
		[ICMP_FRAG_NEEDED] = "fragmentation needed",
		[ICMP_SR_FAILED] = "source route failed",
		[ICMP_NET_UNKNOWN] = "net unknown",
		[ICMP_HOST_UNKNOWN] = "host unknown",
		[ICMP_NET_ANO] = "net prohibited",
		[ICMP_HOST_ANO] = "host prohibited",
		[ICMP_NET_UNR_TOS] = "net unreachable",
		[ICMP_HOST_UNR_TOS] = "host unreachable",
		[ICMP_PKT_FILTERED] = "administratively prohibited",
	};
	if (type == ICMP_DEST_UNREACH &&
	    code < sizeof(unreach) / sizeof(unreach[0]) && unreach[code])
		copy_str(buf, len, unreach[code]);
	else if (type == ICMP_TIME_EXCEEDED)
		copy_str(buf, len, "ttl exceeded");
	else if (type == ICMP_PARAMETERPROB)
		copy_str(buf, len, "parameter problem");
	else
		snprintf(buf, len, "icmp type %u code %u", type, code);
}

/* RFC 4443 §3 error messages. */
static void icmp6_detail(uint8_t type, uint8_t code, char *buf, size_t len)
{
	static const char *const unreach[] = {
		[ICMP6_DST_UNREACH_NOROUTE] = "net unreachable",
		[ICMP6_DST_UNREACH_ADMIN] = "administratively prohibited",
		[ICMP6_DST_UNREACH_BEYONDSCOPE] = "beyond scope",
		[ICMP6_DST_UNREACH_ADDR] = "host unreachable",
		[ICMP6_DST_UNREACH_NOPORT] = "port unreachable",
		[5] = "source policy failed",
		[6] = "reject route",
	};
	if (type == ICMP6_DST_UNREACH &&
	    code < sizeof(unreach) / sizeof(unreach[0]) && unreach[code])
		copy_str(buf, len, unreach[code]);
	else if (type == ICMP6_PACKET_TOO_BIG)
		copy_str(buf, len, "packet too big");
	else if (type == ICMP6_TIME_EXCEEDED)
		copy_str(buf, len, "hop limit exceeded");
	else if (type == ICMP6_PARAM_PROB)
		copy_str(buf, len, "parameter problem");
	else
		snprintf(buf, len, "icmp6 type %u code %u", type, code);
}

/* RFC 1071 Internet checksum (IPv4 raw sockets only; the kernel does it
 * for ICMPv6 and for datagram sockets). */
static uint16_t inet_checksum(const uint8_t *buf, size_t len)
{
	uint32_t sum = 0;
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)buf[i] << 8 | buf[i + 1];
	if (len & 1)
		sum += (uint32_t)buf[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* The payload of one of our echoes: 0 with *seq, or -1 if it is not ours. */
static int payload_seq(const struct probe *p, const uint8_t *icmp, size_t len,
		       uint32_t *seq)
{
	if (len < ICMP_HDR + 24)
		return -1;
	const uint8_t *pl = icmp + ICMP_HDR;
	if (get_be64(pl) != p->cookie || get_be32(pl + 12) != ICMP_MAGIC)
		return -1;
	*seq = get_be32(pl + 8);
	if ((uint16_t)*seq != get_be16(icmp + 6))
		return -1;
	return 0;
}

static void arm_timer(struct probe *p)
{
	int64_t first = INT64_MAX;
	for (int i = 0; i < ICMP_SLOTS; i++)
		if (p->slots[i].state == SLOT_INFLIGHT &&
		    p->slots[i].send_mono + p->t.timeout_ns < first)
			first = p->slots[i].send_mono + p->t.timeout_ns;
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

/* Echo reply in buf (with its IPv4 header on raw IPv4 sockets). */
static void handle_reply(struct probe *p, const uint8_t *buf, size_t n,
			 const struct sockaddr_storage *from, int64_t rx_mono)
{
	const uint8_t *icmp = buf;
	if (p->raw && p->family == AF_INET) {
		if (n < 20 || (buf[0] >> 4) != 4 ||
		    (size_t)(buf[0] & 15) * 4 > n)
			return;
		icmp = buf + (buf[0] & 15) * 4;
		n -= (size_t)(icmp - buf);
	}
	uint8_t want = p->family == AF_INET ? ICMP_ECHOREPLY : ICMP6_ECHO_REPLY;
	uint32_t seq;
	if (n < ICMP_HDR || icmp[0] != want || icmp[1] != 0)
		return;
	if (p->raw && get_be16(icmp + 4) != p->ident)
		return;
	if (payload_seq(p, icmp, n, &seq) < 0)
		return;
	if (!sock_addr_equal((const struct sockaddr *)from,
			     (const struct sockaddr *)&p->t.addr, 0))
		return;
	struct slot *s = &p->slots[seq % ICMP_SLOTS];
	if (s->seq != seq || s->state == SLOT_FREE)
		return; /* older than the table: long gone */

	struct bb_sample smp;
	sample_for(p, s, BB_STATUS_OK, &smp);
	smp.rtt_ns = rx_mono - s->send_mono;
	if (smp.rtt_ns <= 0) {
		/* the wall clock stepped since the offset was measured */
		clock_calibrate();
		smp.rtt_ns = clock_mono_ns() - s->send_mono;
	}
	switch (s->state) {
	case SLOT_INFLIGHT:
		if (smp.rtt_ns > p->t.timeout_ns) {
			emit_status(p, s, BB_STATUS_TIMEOUT, NULL);
			smp.flags |= BB_SAMPLE_LATE;
		} else if (p->answered_any && seq < p->highest) {
			smp.flags |= BB_SAMPLE_REORDERED;
		}
		break;
	case SLOT_TIMEDOUT:
		smp.flags |= BB_SAMPLE_LATE;
		break;
	default:
		smp.flags |= BB_SAMPLE_DUPLICATE;
	}
	if (s->state != SLOT_ANSWERED &&
	    (!p->answered_any || seq > p->highest)) {
		p->highest = seq;
		p->answered_any = 1;
	}
	int was_inflight = s->state == SLOT_INFLIGHT;
	s->state = SLOT_ANSWERED;
	p->emit(p->emit_ctx, &smp);
	if (was_inflight)
		arm_timer(p);
}

/* One queued error: the original echo we sent and why it failed. */
static void handle_error(struct probe *p, const uint8_t *icmp, size_t n,
			 const struct sock_extended_err *ee)
{
	uint8_t echo = p->family == AF_INET ? ICMP_ECHO : ICMP6_ECHO_REQUEST;
	if (n < ICMP_HDR || icmp[0] != echo)
		return;
	uint32_t seq;
	struct slot *s = NULL;
	if (payload_seq(p, icmp, n, &seq) == 0) {
		s = &p->slots[seq % ICMP_SLOTS];
		if (s->seq != seq)
			return;
	} else if (n >= ICMP_HDR + 8) {
		return; /* payload quoted and not ours (raw sockets see all) */
	} else {
		if (p->raw && get_be16(icmp + 4) != p->ident)
			return;
		uint16_t seq16 = get_be16(icmp + 6);
		for (int i = 0; i < ICMP_SLOTS && !s; i++)
			if (p->slots[i].state == SLOT_INFLIGHT &&
			    (uint16_t)p->slots[i].seq == seq16)
				s = &p->slots[i];
	}
	if (!s || s->state != SLOT_INFLIGHT)
		return; /* after its timeout: nothing to correct */
	char detail[BB_DETAIL_LEN];
	if (ee->ee_origin == SO_EE_ORIGIN_ICMP)
		icmp4_detail(ee->ee_type, ee->ee_code, detail, sizeof(detail));
	else if (ee->ee_origin == SO_EE_ORIGIN_ICMP6)
		icmp6_detail(ee->ee_type, ee->ee_code, detail, sizeof(detail));
	else
		errno_detail((int)ee->ee_errno, detail, sizeof(detail));
	s->state = SLOT_ANSWERED;
	emit_status(p, s, BB_STATUS_ERROR, detail);
	arm_timer(p);
}

/* Drain the socket error queue; this also clears the pending socket error
 * so the next sendto does not fail with an old probe's reason. */
static void drain_errors(struct probe *p)
{
	for (int i = 0; i < ICMP_DRAIN_MAX; i++) {
		uint8_t buf[ICMP_RX_MAX];
		union {
			char buf[512];
			struct cmsghdr align;
		} ctl;
		struct sockaddr_storage from;
		struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
		struct msghdr msg = {
			.msg_name = &from,
			.msg_namelen = sizeof(from),
			.msg_iov = &iov,
			.msg_iovlen = 1,
			.msg_control = ctl.buf,
			.msg_controllen = sizeof(ctl.buf),
		};
		ssize_t n = recvmsg(p->fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT);
		if (n < 0)
			return;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c;
		     c = CMSG_NXTHDR(&msg, c)) {
			if ((c->cmsg_level == SOL_IP &&
			     c->cmsg_type == IP_RECVERR) ||
			    (c->cmsg_level == SOL_IPV6 &&
			     c->cmsg_type == IPV6_RECVERR)) {
				struct sock_extended_err ee;
				memcpy(&ee, CMSG_DATA(c), sizeof(ee));
				handle_error(p, buf, (size_t)n, &ee);
			}
		}
	}
}

static void drain(struct probe *p)
{
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

static void on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct probe *p = w->data;
	drain(p); /* replies already queued carry their own RX time */
	int64_t now = clock_mono_ns();
	for (int i = 0; i < ICMP_SLOTS; i++) {
		struct slot *s = &p->slots[i];
		if (s->state == SLOT_INFLIGHT &&
		    s->send_mono + p->t.timeout_ns <= now) {
			s->state = SLOT_TIMEDOUT;
			emit_status(p, s, BB_STATUS_TIMEOUT, NULL);
		}
	}
	arm_timer(p);
}

static void icmp_send(struct probe *p, int64_t deadline_ns)
{
	drain_errors(p);
	uint32_t seq = p->next_seq++;
	struct slot *s = &p->slots[seq % ICMP_SLOTS];
	if (s->state == SLOT_INFLIGHT) /* table wrapped: older than 64 sends */
		emit_status(p, s, BB_STATUS_TIMEOUT, NULL);

	uint8_t pkt[ICMP_HDR + ICMP_PAYLOAD] = { 0 };
	pkt[0] = p->family == AF_INET ? ICMP_ECHO : ICMP6_ECHO_REQUEST;
	put_be16(pkt + 4, p->ident);
	put_be16(pkt + 6, (uint16_t)seq);
	put_be64(pkt + 8, p->cookie);
	put_be32(pkt + 16, seq);
	put_be32(pkt + 20, ICMP_MAGIC);

	s->seq = seq;
	s->state = SLOT_FREE;
	s->send_real = clock_real_ns();
	s->send_mono = clock_mono_ns();
	s->send_err = s->send_mono - deadline_ns;
	put_be64(pkt + 24, (uint64_t)s->send_mono);
	if (p->raw && p->family == AF_INET)
		put_be16(pkt + 2, inet_checksum(pkt, sizeof(pkt)));
	ssize_t r = sendto(p->fd, pkt, sizeof(pkt), 0,
			   (const struct sockaddr *)&p->t.addr, p->t.addr_len);
	if (r < 0) {
		char detail[BB_DETAIL_LEN];
		errno_detail(errno, detail, sizeof(detail));
		emit_status(p, s, BB_STATUS_ERROR, detail);
		return;
	}
	s->state = SLOT_INFLIGHT;
	if (!ev_is_active(&p->timer))
		arm_timer(p);
}

static uint64_t random_u64(void)
{
	uint64_t v;
	if (getrandom(&v, sizeof(v), GRND_NONBLOCK) == (ssize_t)sizeof(v))
		return v;
	/* early boot: unpredictability is not a security need here */
	return (uint64_t)clock_mono_ns() * 0x9e3779b97f4a7c15ull ^
	       (uint64_t)getpid() << 32 ^ (uint64_t)clock_real_ns();
}

/* Datagram ICMP socket, else raw; -EPERM/-EACCES with both fixes named. */
static int open_socket(int family, int *raw, char *err, size_t errlen)
{
	int proto = family == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6;
	int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
			proto);
	*raw = 0;
	if (fd >= 0)
		return fd;
	int e1 = errno;
	fd = socket(family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
	*raw = 1;
	if (fd >= 0)
		return fd;
	int e2 = errno;
	if ((e1 == EACCES || e1 == EPERM) && (e2 == EACCES || e2 == EPERM)) {
		snprintf(
			err, errlen,
			"ICMP not permitted: no ping socket (ping_group_range) "
			"and no raw socket (CAP_NET_RAW); fix with "
			"`setcap cap_net_raw+ep bufferbane` or "
			"`sysctl -w net.ipv4.ping_group_range=\"0 "
			"2147483647\"`");
		return -EPERM;
	}
	snprintf(err, errlen, "ICMP socket: %s / raw: %s", strerror(e1),
		 strerror(e2));
	return -e2;
}

static int icmp_open(struct ev_loop *loop, const struct probe_target *target,
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
	p->loop = loop;
	p->t = *target;
	p->emit = emit;
	p->emit_ctx = emit_ctx;
	p->family = family;
	p->cookie = random_u64();
	p->ident = (uint16_t)random_u64();
	int ret = open_socket(family, &p->raw, err, errlen);
	if (ret < 0)
		goto fail;
	p->fd = ret;

	int on = 1;
	if (family == AF_INET)
		ret = setsockopt(p->fd, SOL_IP, IP_RECVERR, &on, sizeof(on));
	else
		ret = setsockopt(p->fd, SOL_IPV6, IPV6_RECVERR, &on,
				 sizeof(on));
	if (ret == 0 && p->raw && family == AF_INET) {
		/* raw: let only echo replies in (errors use the queue) */
		struct icmp_filter f = { .data = ~(1u << ICMP_ECHOREPLY) };
		ret = setsockopt(p->fd, SOL_RAW, ICMP_FILTER, &f, sizeof(f));
	} else if (ret == 0 && p->raw) {
		struct icmp6_filter f;
		ICMP6_FILTER_SETBLOCKALL(&f);
		ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &f);
		ret = setsockopt(p->fd, SOL_ICMPV6, ICMP6_FILTER, &f,
				 sizeof(f));
	}
	if (ret < 0) {
		ret = -errno;
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

	ev_io_init(&p->io, on_readable, p->fd, EV_READ);
	p->io.data = p;
	ev_io_start(loop, &p->io);
	ev_init(&p->timer, on_timer);
	p->timer.data = p;
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
	ev_timer_stop(p->loop, &p->timer);
	close(p->fd);
	free(p);
}

const struct probe_ops probe_icmp_ops = {
	.name = "icmp",
	.kind = BB_KIND_ICMP,
	.open = icmp_open,
	.send = icmp_send,
	.close = icmp_close,
};
