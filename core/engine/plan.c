// SPDX-License-Identifier: MIT
/*
 * Probe plan (see plan.h).  Per interface (or once for the default route)
 * every periodic kind adds its probes through a struct probe_planner: what
 * each kind reads from the configuration is in its own file (icmp: gateway,
 * public_dns and custom targets; dns: dns_servers; tcp: targets; udp_echo:
 * servers).
 */
#include "core/engine/plan.h"

#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/base/clock.h"
#include "core/base/sock.h"
#include "core/probe/kind.h"

__attribute__((format(printf, 3, 4))) static void warn(char *buf, size_t len,
						       const char *fmt, ...)
{
	size_t used = strlen(buf);
	va_list ap;
	va_start(ap, fmt);
	if (used < len)
		vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
}

int plan_resolve(const char *host, int port, struct sockaddr_storage *out,
		 socklen_t *outlen, char *err, size_t errlen)
{
	if (sock_parse_addr(host, (uint16_t)port, out, outlen) == 0)
		return 0;
	struct addrinfo hints = { .ai_family = AF_UNSPEC,
				  .ai_socktype = SOCK_DGRAM };
	struct addrinfo *res = NULL;
	int rc = getaddrinfo(host, NULL, &hints, &res);
	if (rc != 0 || !res) {
		snprintf(err, errlen, "cannot resolve %s: %s", host,
			 gai_strerror(rc));
		return -EHOSTUNREACH;
	}
	memcpy(out, res->ai_addr, res->ai_addrlen);
	*outlen = res->ai_addrlen;
	freeaddrinfo(res);
	if (out->ss_family == AF_INET)
		((struct sockaddr_in *)out)->sin_port = htons((uint16_t)port);
	else
		((struct sockaddr_in6 *)out)->sin6_port = htons((uint16_t)port);
	return 0;
}

struct planner_ctx {
	struct engine_plan *plan;
	char *warnings;
	size_t warnlen;
};

static void plan_warn(struct probe_planner *pl, const char *fmt, ...)
{
	struct planner_ctx *c = pl->ctx;
	size_t used = strlen(c->warnings);
	va_list ap;
	va_start(ap, fmt);
	if (used < c->warnlen)
		vsnprintf(c->warnings + used, c->warnlen - used, fmt, ap);
	va_end(ap);
	warn(c->warnings, c->warnlen, "\n");
}

/* probe_planner.add: one probe, its host resolved now or, when DNS may
 * just be down (boot, modem reboot), by the engine in the background. */
static struct probe_target *plan_add(struct probe_planner *pl,
				     enum bb_probe_kind kind,
				     const struct probe_want *w)
{
	struct planner_ctx *c = pl->ctx;
	struct engine_plan *p = c->plan;
	const struct kind *k = kind_get(kind);
	if (!k || !k->ops || p->n_probes == ENGINE_MAX_PROBES)
		return NULL;
	struct engine_probe *ep = &p->probes[p->n_probes++];
	memset(ep, 0, sizeof(*ep));
	ep->ops = k->ops;
	ep->interval_ns = w->interval_ns;
	ep->follow_gateway_ns = w->follow_gateway_ns;
	ep->target.kind = kind;
	ep->target.timeout_ns = pl->timeout_ns;
	snprintf(ep->target.name, sizeof(ep->target.name), "%s", w->name);
	snprintf(ep->target.interface, sizeof(ep->target.interface), "%s",
		 pl->ifname);
	if (w->addr) {
		ep->target.addr = *w->addr;
		ep->target.addr_len = w->addr_len;
	} else if (w->host && w->resolve_later) {
		snprintf(ep->resolve_host, sizeof(ep->resolve_host), "%s",
			 w->host);
		ep->resolve_port = (uint16_t)w->port;
	} else if (w->host) {
		char why[256];
		if (plan_resolve(w->host, w->port, &ep->target.addr,
				 &ep->target.addr_len, why, sizeof(why)) < 0) {
			plan_warn(pl,
				  "%s: %s; it is resolved again in the "
				  "background and probed once it resolves",
				  k->ops->name, why);
			snprintf(ep->resolve_host, sizeof(ep->resolve_host),
				 "%s", w->host);
			ep->resolve_port = (uint16_t)w->port;
		}
	}
	return &ep->target;
}

/* Every periodic kind plans its own probes (kind_table's plan column). */
static int plan_interface(const struct bb_config *cfg, const char *ifname,
			  struct engine_plan *p, char *warnings, size_t warnlen,
			  char *err, size_t errlen)
{
	struct planner_ctx c = { p, warnings, warnlen };
	struct probe_planner pl = {
		.cfg = cfg,
		.ifname = ifname,
		.interval_ns = cfg->general.test_interval_ms * BB_NS_PER_MS,
		.timeout_ns = cfg->general.probe_timeout_ms * BB_NS_PER_MS,
		.add = plan_add,
		.warn = plan_warn,
		.err = err,
		.errlen = errlen,
		.ctx = &c,
	};
	for (int kind = 0; kind < BB_KIND_COUNT; kind++) {
		const struct kind *k = kind_get(kind);
		int rc = k->plan ? k->plan(&pl) : 0;
		if (rc == -E2BIG) {
			snprintf(err, errlen, "more than %d probes configured",
				 ENGINE_MAX_PROBES);
			return rc;
		}
		if (rc < 0)
			return rc;
	}
	return 0;
}

int plan_build(const struct bb_config *cfg, struct engine_plan *out,
	       char *warnings, size_t warnlen, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	if (warnlen)
		warnings[0] = '\0';
	int rc;
	if (cfg->general.n_interfaces == 0) {
		rc = plan_interface(cfg, "", out, warnings, warnlen, err,
				    errlen);
	} else {
		rc = 0;
		for (int i = 0; rc == 0 && i < cfg->general.n_interfaces; i++)
			rc = plan_interface(cfg, cfg->general.interfaces[i],
					    out, warnings, warnlen, err,
					    errlen);
	}
	if (rc < 0)
		return rc;
	size_t probing = 0; /* traffic only reads counters: not a probe */
	for (size_t i = 0; i < out->n_probes; i++)
		probing += out->probes[i].target.kind != BB_KIND_TRAFFIC;
	if (probing == 0) {
		snprintf(err, errlen,
			 "nothing to probe: no target could be resolved or "
			 "detected (give one with -t HOST)");
		return -EINVAL;
	}
	return 0;
}
