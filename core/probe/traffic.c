// SPDX-License-Identifier: MIT
/*
 * Interface traffic from the kernel's counters (see traffic.h).  A line of
 * /proc/net/dev is "  IFACE: rx_bytes rx_packets ... (8 receive fields)
 * tx_bytes ...": the first number after the colon is received bytes, the
 * ninth transmitted bytes.  The first read after open() (or after the
 * default route moved to another interface) only sets the reference: a
 * sample always covers one whole interval between two reads, stamped with
 * the time of the second.
 */
#include "core/probe/traffic.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/base/clock.h"
#include "core/base/config.h"
#include "core/base/text.h"
#include "core/probe/gateway.h"
#include "core/probe/probe.h"

#define NETDEV_MAX (1u << 20) /* bytes of /proc/net/dev we read at most */

/* Decimal at *p (after blanks) into *out; advances *p.  0 or -EINVAL. */
static int next_u64(const char **p, const char *end, uint64_t *out)
{
	const char *s = *p;
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	if (s == end || *s < '0' || *s > '9')
		return -EINVAL;
	uint64_t v = 0;
	while (s < end && *s >= '0' && *s <= '9') {
		uint64_t d = (uint64_t)(*s - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
		s++;
	}
	*p = s;
	*out = v;
	return 0;
}

int traffic_parse_proc_net_dev(const char *text, size_t len, const char *ifname,
			       struct traffic_counters *out)
{
	size_t want = strlen(ifname);
	const char *p = text, *end = text + len;
	if (want == 0)
		return -ENOENT;
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *le = eol ? eol : end;
		const char *s = p;
		p = eol ? eol + 1 : end;
		while (s < le && (*s == ' ' || *s == '\t'))
			s++;
		const char *colon = memchr(s, ':', (size_t)(le - s));
		if (!colon || (size_t)(colon - s) != want ||
		    memcmp(s, ifname, want) != 0)
			continue;
		const char *q = colon + 1;
		uint64_t v[9];
		int i;
		for (i = 0; i < 9; i++)
			if (next_u64(&q, le, &v[i]) < 0)
				break;
		if (i < 9)
			continue; /* malformed: not trusted */
		out->rx_bytes = v[0];
		out->tx_bytes = v[8];
		return 0;
	}
	return -ENOENT;
}

int traffic_read(const char *ifname, struct traffic_counters *out)
{
	/* thread-self: the worker's own namespace (see gateway.c) */
	int fd = open("/proc/thread-self/net/dev", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		fd = open("/proc/net/dev", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	size_t cap = 8192, n = 0;
	char *buf = malloc(cap);
	int rc = buf ? 0 : -ENOMEM;
	while (rc == 0) {
		if (n == cap) {
			char *nb =
				cap < NETDEV_MAX ? realloc(buf, cap * 2) : NULL;
			if (!nb) {
				rc = -ENOMEM;
				break;
			}
			buf = nb;
			cap *= 2;
		}
		ssize_t r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			rc = -errno;
		else if (r == 0)
			break;
		else
			n += (size_t)r;
	}
	close(fd);
	if (rc == 0)
		rc = traffic_parse_proc_net_dev(buf, n, ifname, out);
	free(buf);
	return rc;
}

int64_t traffic_rate_kbps(uint64_t prev, uint64_t cur, int64_t dt_ns)
{
	uint64_t delta;
	if (dt_ns <= 0)
		return BB_NONE;
	if (cur >= prev)
		delta = cur - prev;
	else if (prev <= UINT32_MAX && prev > UINT32_MAX / 2 &&
		 cur < UINT32_MAX / 2)
		delta = cur + ((uint64_t)UINT32_MAX + 1) - prev; /* wrapped */
	else
		return BB_NONE; /* reset: the interval's bytes are unknown */
	return (int64_t)((double)delta * 8e6 / (double)dt_ns + 0.5);
}

/* ---- the probe ---------------------------------------------------------- */

struct probe {
	probe_emit_fn emit;
	void *emit_ctx;
	char interface[BB_IFNAME_LEN]; /* as configured: "" = default route */
	char dev[BB_IFNAME_LEN];       /* whose counters prev holds */
	struct traffic_counters prev;
	int64_t prev_mono;
	bool have_prev;
	uint32_t next_seq;
	char failing[BB_DETAIL_LEN]; /* the error last emitted, "" if none */
};

static int traffic_open(struct ev_loop *loop, const struct probe_target *target,
			probe_emit_fn emit, void *emit_ctx, struct probe **out,
			char *err, size_t errlen)
{
	(void)loop;
	struct probe *p = calloc(1, sizeof(*p));
	if (!p) {
		snprintf(err, errlen, "traffic: out of memory");
		return -ENOMEM;
	}
	p->emit = emit;
	p->emit_ctx = emit_ctx;
	copy_str(p->interface, sizeof(p->interface), target->interface);
	*out = p;
	return 0;
}

/* The next reading of dev, taken at real/mono for deadline_ns. */
static struct bb_sample next_sample(struct probe *p, const char *dev,
				    int64_t real, int64_t mono,
				    int64_t deadline_ns)
{
	struct bb_sample s;
	sample_init(&s, BB_KIND_TRAFFIC);
	s.real_ns = real;
	s.mono_ns = mono;
	s.send_error_ns = mono - deadline_ns;
	copy_str(s.interface, sizeof(s.interface), p->interface);
	copy_str(s.target, sizeof(s.target), dev);
	s.seq = p->next_seq++;
	return s;
}

/* An error is emitted when it starts (or changes), not every interval: a
 * host without a default route would otherwise store a row a second that
 * says only that, and the screens keep the newest state anyway. */
static void emit_error(struct probe *p, const char *dev, int64_t real,
		       int64_t mono, int64_t deadline_ns, const char *detail)
{
	p->have_prev = false;
	if (!strcmp(p->failing, detail))
		return;
	copy_str(p->failing, sizeof(p->failing), detail);
	struct bb_sample s = next_sample(p, dev, real, mono, deadline_ns);
	s.status = BB_STATUS_ERROR;
	copy_str(s.detail, sizeof(s.detail), detail);
	p->emit(p->emit_ctx, &s);
}

static void traffic_send(struct probe *p, int64_t deadline_ns)
{
	char dev[BB_IFNAME_LEN];
	struct traffic_counters cur;
	int64_t mono = clock_mono_ns(), real = clock_real_ns();

	if (p->interface[0]) {
		copy_str(dev, sizeof(dev), p->interface);
	} else {
		struct sockaddr_storage gw;
		socklen_t gwlen;
		char found[GATEWAY_IFNAME_LEN] = "";
		if (gateway_detect(NULL, &gw, &gwlen, found) < 0) {
			emit_error(p, "", real, mono, deadline_ns,
				   "no default route");
			return;
		}
		copy_str(dev, sizeof(dev), found);
	}
	int rc = traffic_read(dev, &cur);
	if (rc < 0) {
		emit_error(p, dev, real, mono, deadline_ns,
			   rc == -ENOENT ? "interface missing"
					 : "cannot read /proc/net/dev");
		return;
	}
	bool same = p->have_prev && strcmp(dev, p->dev) == 0;
	struct traffic_counters prev = p->prev;
	int64_t dt = mono - p->prev_mono;
	p->prev = cur;
	p->prev_mono = mono;
	p->have_prev = true;
	p->failing[0] = '\0';
	copy_str(p->dev, sizeof(p->dev), dev);
	if (!same)
		return; /* the reference for the next interval */

	struct bb_sample s = next_sample(p, dev, real, mono, deadline_ns);
	s.status = BB_STATUS_OK;
	s.rx_kbps = traffic_rate_kbps(prev.rx_bytes, cur.rx_bytes, dt);
	s.tx_kbps = traffic_rate_kbps(prev.tx_bytes, cur.tx_bytes, dt);
	if (s.rx_kbps == BB_NONE || s.tx_kbps == BB_NONE)
		copy_str(s.detail, sizeof(s.detail), "counters reset");
	p->emit(p->emit_ctx, &s);
}

static void traffic_close(struct probe *p)
{
	free(p);
}

/* One reader per interface, every general.test_interval_ms. */
int probe_traffic_plan(struct probe_planner *pl)
{
	if (!pl->cfg->tests.traffic.enabled)
		return 0;
	struct probe_want w = {
		.name = pl->ifname[0] ? pl->ifname : "default route",
		.interval_ns = pl->interval_ns,
	};
	return pl->add(pl, BB_KIND_TRAFFIC, &w) ? 0 : -E2BIG;
}

const struct probe_ops probe_traffic_ops = {
	.name = "traffic",
	.kind = BB_KIND_TRAFFIC,
	.open = traffic_open,
	.send = traffic_send,
	.close = traffic_close,
};
