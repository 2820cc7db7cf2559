// SPDX-License-Identifier: MIT
/*
 * Probe plan (see plan.h).  Per interface (or once for the default route):
 * ICMP to the gateway and to every public_dns and custom target at
 * test_interval_ms; a DNS timing probe per configured DNS server; a TCP
 * connect probe per configured host:port.
 */
#include "core/engine/plan.h"

#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/base/clock.h"
#include "core/probe/gateway.h"
#include "core/base/sock.h"
#include "core/probe/srvclient.h"

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

static struct engine_probe *add(struct engine_plan *p,
				const struct probe_ops *ops, const char *name,
				const char *ifname, int64_t interval_ns,
				int64_t timeout_ns)
{
	if (p->n_probes == ENGINE_MAX_PROBES)
		return NULL;
	struct engine_probe *ep = &p->probes[p->n_probes++];
	memset(ep, 0, sizeof(*ep));
	ep->ops = ops;
	ep->interval_ns = interval_ns;
	ep->target.kind = ops->kind;
	ep->target.timeout_ns = timeout_ns;
	snprintf(ep->target.name, sizeof(ep->target.name), "%s", name);
	snprintf(ep->target.interface, sizeof(ep->target.interface), "%s",
		 ifname);
	return ep;
}

/* "name=host" or "host": the display name and the host part. */
static void split_named(const char *entry, char *name, size_t namelen,
			char *host, size_t hostlen)
{
	const char *eq = strchr(entry, '=');
	if (eq) {
		snprintf(name, namelen, "%.*s", (int)(eq - entry), entry);
		snprintf(host, hostlen, "%s", eq + 1);
	} else {
		snprintf(name, namelen, "%s", entry);
		snprintf(host, hostlen, "%s", entry);
	}
}

static int add_resolved(struct engine_plan *p, const struct probe_ops *ops,
			const char *name, const char *host, int port,
			const char *ifname, int64_t interval_ns,
			int64_t timeout_ns, char *warnings, size_t warnlen)
{
	struct sockaddr_storage addr;
	socklen_t addrlen;
	char why[256];
	int rc = plan_resolve(host, port, &addr, &addrlen, why, sizeof(why));
	struct engine_probe *ep =
		add(p, ops, name, ifname, interval_ns, timeout_ns);
	if (!ep)
		return -E2BIG;
	if (rc < 0) {
		/* DNS may just be down (boot, modem reboot): the engine
		 * resolves the name in the background */
		warn(warnings, warnlen,
		     "%s: %s; it is resolved again in the background and "
		     "probed once it resolves\n",
		     ops->name, why);
		snprintf(ep->resolve_host, sizeof(ep->resolve_host), "%s",
			 host);
		ep->resolve_port = (uint16_t)port;
		return 0;
	}
	ep->target.addr = addr;
	ep->target.addr_len = addrlen;
	return 0;
}

static int plan_interface(const struct bb_config *cfg, const char *ifname,
			  struct engine_plan *p, char *warnings, size_t warnlen,
			  char *err, size_t errlen)
{
	int64_t interval = cfg->general.test_interval_ms * BB_NS_PER_MS;
	int64_t timeout = cfg->general.probe_timeout_ms * BB_NS_PER_MS;
	char name[BB_TARGET_LEN], host[CONFIG_HOST_LEN];
	int rc = 0;

	const char *gw = cfg->targets.isp_gateway;
	if (strcmp(gw, "auto") == 0 && cfg->monitoring.auto_detect_gateway) {
		struct sockaddr_storage addr;
		socklen_t addrlen;
		char dev[GATEWAY_IFNAME_LEN];
		struct engine_probe *ep = add(p, &probe_icmp_ops, "gateway",
					      ifname, interval, timeout);
		if (!ep)
			goto full;
		ep->follow_gateway_ns =
			(int64_t)cfg->monitoring.gateway_check_interval_sec *
			BB_NS_PER_S;
		if (gateway_detect(ifname, &addr, &addrlen, dev) == 0) {
			ep->target.addr = addr;
			ep->target.addr_len = addrlen;
		} else {
			/* no address: the engine looks for one every few
			 * seconds and starts the probe when it appears */
			warn(warnings, warnlen,
			     "icmp: no default gateway%s%s yet; the gateway "
			     "probe starts when a default route appears\n",
			     ifname[0] ? " on " : "", ifname);
		}
	} else if (gw[0] && strcmp(gw, "auto") != 0 && strcmp(gw, "none")) {
		rc = add_resolved(p, &probe_icmp_ops, "gateway", gw, 0, ifname,
				  interval, timeout, warnings, warnlen);
	}
	for (int i = 0; rc == 0 && i < cfg->targets.n_public_dns; i++) {
		split_named(cfg->targets.public_dns[i], name, sizeof(name),
			    host, sizeof(host));
		rc = add_resolved(p, &probe_icmp_ops, name, host, 0, ifname,
				  interval, timeout, warnings, warnlen);
	}
	for (int i = 0; rc == 0 && i < cfg->targets.n_custom; i++) {
		split_named(cfg->targets.custom[i], name, sizeof(name), host,
			    sizeof(host));
		rc = add_resolved(p, &probe_icmp_ops, name, host, 0, ifname,
				  interval, timeout, warnings, warnlen);
	}
	if (cfg->tests.dns.enabled && cfg->tests.dns.n_test_domains > 0) {
		const char *zone = cfg->tests.dns.test_domains[0];
		if (strlen(zone) >= sizeof(p->probes[0].target.dns_domain)) {
			snprintf(err, errlen,
				 "tests.dns.test_domains: '%.40s...' "
				 "is too long",
				 zone);
			return -EINVAL;
		}
		int64_t every = cfg->tests.dns.interval_s * BB_NS_PER_S;
		for (int i = 0; rc == 0 && i < cfg->tests.dns.n_dns_servers;
		     i++) {
			int port;
			if (config_parse_hostport(cfg->tests.dns.dns_servers[i],
						  53, host, sizeof(host), &port,
						  err, errlen) < 0)
				return -EINVAL;
			size_t before = p->n_probes;
			rc = add_resolved(p, &probe_dns_ops,
					  cfg->tests.dns.dns_servers[i], host,
					  port, ifname, every, timeout,
					  warnings, warnlen);
			if (p->n_probes > before)
				strcpy(p->probes[before].target.dns_domain,
				       zone);
		}
	}
	if (cfg->tests.tcp.enabled) {
		int64_t every = cfg->tests.tcp.interval_s * BB_NS_PER_S;
		for (int i = 0; rc == 0 && i < cfg->tests.tcp.n_targets; i++) {
			int port;
			if (config_parse_hostport(cfg->tests.tcp.targets[i], 0,
						  host, sizeof(host), &port,
						  err, errlen) < 0)
				return -EINVAL;
			rc = add_resolved(p, &probe_tcp_ops,
					  cfg->tests.tcp.targets[i], host, port,
					  ifname, every, timeout, warnings,
					  warnlen);
		}
	}
	/* --- udp echo to companion servers (core/probe/probe_echo.c) --- one
	 * stream per server at the loss-stream rate when that is faster;
	 * throughput and bufferbloat tests ride on it.  The target holds
	 * the shared secret: the plan's owner wipes it after engine_create. */
	for (int i = 0; rc == 0 && i < cfg->n_servers; i++) {
		struct engine_probe *ep;
		int64_t every = cfg->loss_stream.interval_ms * BB_NS_PER_MS;
		if (every <= 0 || every > interval)
			every = interval;
		ep = add(p, &probe_echo_ops, cfg->servers[i].name, ifname,
			 every, timeout);
		if (!ep)
			goto full;
		char why[256];
		int got = srvclient_target(cfg, i, ifname, &ep->target, why,
					   sizeof(why));
		if (got < 0) {
			warn(warnings, warnlen, "udp_echo: %s, left out\n",
			     why);
			memset(ep, 0, sizeof(*ep));
			p->n_probes--;
		} else if (got > 0) { /* DNS may just be down: later */
			warn(warnings, warnlen,
			     "udp_echo: %s; it is resolved again in the "
			     "background and probed once it resolves\n",
			     why);
			snprintf(ep->resolve_host, sizeof(ep->resolve_host),
				 "%s", cfg->servers[i].host);
			ep->resolve_port = (uint16_t)cfg->servers[i].port;
		}
	}
	/* --- end udp echo --- */
	if (rc == 0)
		return 0;
full:
	snprintf(err, errlen, "more than %d probes configured",
		 ENGINE_MAX_PROBES);
	return -E2BIG;
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
	if (out->n_probes == 0) {
		snprintf(err, errlen,
			 "nothing to probe: no target could be resolved or "
			 "detected (give one with -t HOST)");
		return -EINVAL;
	}
	return 0;
}
