// SPDX-License-Identifier: MIT
/*
 * DNS resolution-time probe (MEASUREMENT.md "DNS and TCP"): one A query over
 * UDP per send(), built by core/probe/dns.c, for a fresh name
 * "bb-<random>.<zone>" so no cache on the path can answer it, with a fresh
 * random ID.  The sample's rtt_ns is the kernel RX timestamp of the response
 * minus the send time.
 *
 * Invariants: one UDP socket per instance, connected to the server (so only
 * its datagrams reach us); a response completes a query only when it parses
 * and matches its ID, question name and type — anything else is counted and
 * ignored, and the query keeps waiting.  NOERROR and NXDOMAIN are answers
 * (status OK), other rcodes are errors.  A port unreachable from the server
 * arrives through the socket error queue (IP_RECVERR) with our query quoted,
 * so it fails exactly the query it belongs to.  In-flight queries live in a
 * struct inflight (core/probe/inflight.h) with their ID and name beside it;
 * answered and timed-out entries stay until reused, so a late reply is
 * still recognised (BB_SAMPLE_LATE) and a repeated one flagged
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
#include "core/base/config.h"
#include "core/base/sock.h"
#include "core/base/text.h"
#include "core/probe/dns.h"
#include "core/probe/inflight.h"

#define DNS_INFLIGHT	 64 /* queries remembered, pending or finished */
#define DNS_RX_BATCH	 64 /* datagrams read per wake-up before yielding */
#define DNS_DEFAULT_PORT 53

/* What a query needs beside its struct inflight_slot. */
struct query {
	uint16_t id;
	char qname[DNS_NAME_TEXT_MAX + 2];
};

struct probe {
	struct ev_loop *loop;
	ev_io io;
	int fd;
	probe_emit_fn emit;
	void *emit_ctx;
	char name[BB_TARGET_LEN];
	char interface[BB_IFNAME_LEN];
	char zone[sizeof(((struct probe_target *)0)->dns_domain)];
	struct sockaddr_storage addr;
	uint32_t next_seq;
	uint64_t malformed, mismatched; /* datagrams ignored */
	struct inflight in;
	struct query q[DNS_INFLIGHT]; /* beside in.slots[] */
};

static void emit_status(struct probe *p, const struct inflight_slot *s,
			enum bb_status status, const char *detail)
{
	struct bb_sample smp;
	inflight_sample(s, BB_KIND_DNS, p->interface, p->name, &smp);
	smp.status = (uint8_t)status;
	if (detail)
		snprintf(smp.detail, sizeof(smp.detail), "%s", detail);
	p->emit(p->emit_ctx, &smp);
}

static void on_timeout(void *ctx, struct inflight_slot *s)
{
	emit_status(ctx, s, BB_STATUS_TIMEOUT, NULL);
}

static struct inflight_slot *find_id(struct probe *p, uint16_t id)
{
	for (size_t i = 0; i < p->in.n; i++)
		if (p->in.slots[i].state != INFLIGHT_FREE && p->q[i].id == id)
			return &p->in.slots[i];
	return NULL;
}

static void on_response(struct probe *p, const uint8_t *buf, size_t len,
			int64_t rx_mono)
{
	struct dns_response r;
	if (dns_parse_response(buf, len, &r) < 0) {
		p->malformed++;
		return;
	}
	struct inflight_slot *s = find_id(p, r.id);
	const struct query *q = s ? &p->q[inflight_index(&p->in, s)] : NULL;
	if (!s || !dns_response_matches(&r, q->id, q->qname, DNS_TYPE_A)) {
		p->mismatched++;
		return;
	}

	struct bb_sample smp;
	inflight_sample(s, BB_KIND_DNS, p->interface, p->name, &smp);
	smp.rtt_ns = rx_mono - s->send_mono;
	if (smp.rtt_ns < 0) /* wall clock stepped under the RX timestamp */
		smp.rtt_ns = clock_mono_ns() - s->send_mono;
	smp.flags |=
		inflight_verdict_flag(inflight_reply(&p->in, s, smp.rtt_ns));

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
	p->emit(p->emit_ctx, &smp);
}

/* One ICMP error from the error queue; the quoted payload is our query. */
static int read_errqueue(struct probe *p)
{
	uint8_t payload[DNS_UDP_MAX];
	struct sock_extended_err ee;
	ssize_t n = sock_recv_error(p->fd, payload, sizeof(payload), NULL, &ee,
				    NULL);
	if (n == -ENOMSG)
		return 0;
	if (n < 0)
		return (int)n;
	if (n < 2)
		return 0;
	uint16_t id = (uint16_t)(payload[0] << 8 | payload[1]);
	struct inflight_slot *s = find_id(p, id);
	if (!s || !inflight_fail(&p->in, s))
		return 0;
	char detail[BB_DETAIL_LEN];
	if (ee.ee_errno == ECONNREFUSED)
		snprintf(detail, sizeof(detail), "refused (no server)");
	else
		snprintf(detail, sizeof(detail), "%s", strerror(ee.ee_errno));
	emit_status(p, s, BB_STATUS_ERROR, detail);
	return 0;
}

static void drain(void *ctx)
{
	struct probe *p = ctx;
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
	if ((rc = sock_enable_recverr(p->fd, fam)) < 0) {
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

	inflight_init(&p->in, loop, DNS_INFLIGHT, target->timeout_ns,
		      on_timeout, drain, p);
	ev_io_init(&p->io, on_readable, p->fd, EV_READ);
	p->io.data = p;
	ev_io_start(loop, &p->io);
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
	struct inflight_slot *s = inflight_take(&p->in, false);

	if (!s) { /* every slot pending: report, don't overwrite */
		struct inflight_slot full = { 0 };
		inflight_stamp(&full, p->next_seq++, deadline_ns);
		emit_status(p, &full, BB_STATUS_ERROR,
			    "too many queries in flight");
		return;
	}
	struct query *q = &p->q[inflight_index(&p->in, s)];
	q->id = 0;
	uint16_t id;
	do /* unique among remembered queries, so an ID names one query */
		id = (uint16_t)randombytes_uniform(65536);
	while (find_id(p, id));
	q->id = id;
	randombytes_buf(&rnd, sizeof(rnd));
	dns_random_qname(q->qname, sizeof(q->qname), p->zone, rnd);
	int len =
		dns_build_query(q->id, q->qname, DNS_TYPE_A, pkt, sizeof(pkt));
	uint32_t seq = p->next_seq++;

	int sent = len < 0 ? len : 1; /* 1: not sent yet */
	inflight_stamp(s, seq, deadline_ns);
	for (int attempt = 0; attempt < 2 && sent == 1; attempt++) {
		inflight_stamp(s, seq, deadline_ns);
		if (send(p->fd, pkt, (size_t)len, 0) >= 0)
			sent = 0;
		else if (errno != ECONNREFUSED || attempt == 1)
			sent = -errno;
		/* ECONNREFUSED belongs to an earlier query whose ICMP error
		 * is still queued for read_errqueue(): send this one again */
	}
	if (sent < 0) {
		char detail[BB_DETAIL_LEN];
		snprintf(detail, sizeof(detail), "send: %s", strerror(-sent));
		emit_status(p, s, BB_STATUS_ERROR, detail);
		return; /* the slot stays free */
	}
	inflight_pending(&p->in, s);
}

static void dns_close(struct probe *p)
{
	if (!p)
		return;
	ev_io_stop(p->loop, &p->io);
	inflight_stop(&p->in);
	close(p->fd);
	free(p);
}

/* One query stream per dns_servers entry, every tests.dns.interval_s, for
 * names under the first test domain. */
int probe_dns_plan(struct probe_planner *pl)
{
	const struct bb_config *cfg = pl->cfg;
	if (!cfg->tests.dns.enabled || cfg->tests.dns.n_test_domains == 0)
		return 0;
	const char *zone = cfg->tests.dns.test_domains[0];
	if (strlen(zone) >= sizeof(((struct probe_target *)0)->dns_domain)) {
		snprintf(pl->err, pl->errlen,
			 "tests.dns.test_domains: '%.40s...' is too long",
			 zone);
		return -EINVAL;
	}
	for (int i = 0; i < cfg->tests.dns.n_dns_servers; i++) {
		char host[CONFIG_HOST_LEN];
		struct probe_want w = {
			.name = cfg->tests.dns.dns_servers[i],
			.host = host,
			.interval_ns = cfg->tests.dns.interval_s * BB_NS_PER_S,
		};
		if (config_parse_hostport(cfg->tests.dns.dns_servers[i],
					  DNS_DEFAULT_PORT, host, sizeof(host),
					  &w.port, pl->err, pl->errlen) < 0)
			return -EINVAL;
		struct probe_target *t = pl->add(pl, BB_KIND_DNS, &w);
		if (!t)
			return -E2BIG;
		copy_str(t->dns_domain, sizeof(t->dns_domain),
			 zone); /* fits: above */
	}
	return 0;
}

const struct probe_ops probe_dns_ops = {
	.name = "dns",
	.kind = BB_KIND_DNS,
	.open = dns_open,
	.send = dns_send,
	.close = dns_close,
};
