// SPDX-License-Identifier: MIT
/* What the probe kinds share when they open (see probe.h). */
#include "core/probe/probe.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int probe_check_target(const struct probe_target *t, char *err, size_t errlen)
{
	int family = t->addr.ss_family;
	if (family != AF_INET && family != AF_INET6) {
		snprintf(err, errlen, "%s: not an IPv4/IPv6 address", t->name);
		return -EAFNOSUPPORT;
	}
	if (t->timeout_ns <= 0) {
		snprintf(err, errlen, "%s: timeout must be positive", t->name);
		return -EINVAL;
	}
	return 0;
}

void probe_split_named(const char *entry, char *name, size_t namelen,
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
