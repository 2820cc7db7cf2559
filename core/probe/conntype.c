// SPDX-License-Identifier: MIT
/*
 * Connection type per interface (see conntype.h).  The kernel says what a
 * link is in sysfs: a wireless extension or phy80211 link for WiFi, a
 * DEVTYPE in uevent for WWAN modems and WireGuard, tun_flags for tun/tap;
 * the names users give (ww*, wg*, tun*, tap*) cover drivers that say less.
 */
#include "core/probe/conntype.h"

#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/base/config.h"
#include "core/probe/gateway.h"

static bool sys_exists(const char *ifname, const char *entry)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/class/net/%s/%s", ifname, entry);
	return access(path, F_OK) == 0;
}

/* The DEVTYPE= line of the link's uevent, or "". */
static void devtype(const char *ifname, char *out, size_t n)
{
	char path[128], line[128];
	FILE *f;

	out[0] = '\0';
	snprintf(path, sizeof(path), "/sys/class/net/%s/uevent", ifname);
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, "DEVTYPE=", 8) == 0) {
			size_t len = strcspn(line + 8, "\n");

			if (len < n) {
				memcpy(out, line + 8, len);
				out[len] = '\0';
			}
			break;
		}
	fclose(f);
}

/* ARPHRD_* of the link, -1 if unknown. */
static int link_type(const char *ifname)
{
	char path[128];
	int t = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/class/net/%s/type", ifname);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%d", &t) != 1)
		t = -1;
	fclose(f);
	return t;
}

const char *conntype_detect(const char *ifname)
{
	char dt[32];
	int type;

	if (!ifname || !*ifname || strchr(ifname, '/'))
		return "wired";
	type = link_type(ifname);
	if (type == 772 || strcmp(ifname, "lo") == 0) /* ARPHRD_LOOPBACK */
		return "loopback";
	if (sys_exists(ifname, "wireless") || sys_exists(ifname, "phy80211"))
		return "wifi";
	devtype(ifname, dt, sizeof(dt));
	if (strcmp(dt, "wlan") == 0)
		return "wifi";
	if (strcmp(dt, "wwan") == 0 || strncmp(ifname, "ww", 2) == 0)
		return "cellular";
	if (strcmp(dt, "wireguard") == 0 || sys_exists(ifname, "tun_flags") ||
	    type == 65534 /* ARPHRD_NONE: tun, wireguard */ ||
	    strncmp(ifname, "tun", 3) == 0 || strncmp(ifname, "tap", 3) == 0 ||
	    strncmp(ifname, "wg", 2) == 0)
		return "vpn";
	return "wired";
}

void conntype_for(const struct bb_config *c, const char *ifname, char *out,
		  size_t n)
{
	char route_if[GATEWAY_IFNAME_LEN] = "";
	struct sockaddr_storage gw;
	socklen_t gwlen = sizeof(gw);
	const char *name = ifname;

	if (!*ifname) {
		if (gateway_detect(NULL, &gw, &gwlen, route_if) == 0)
			name = route_if;
	}
	for (int i = 0; *name && i < c->general.n_connection_types; i++) {
		const char *e = c->general.connection_types[i];
		size_t len = strcspn(e, "=");

		if (strlen(name) == len && strncmp(e, name, len) == 0) {
			snprintf(out, n, "%s", e + len + 1);
			return;
		}
	}
	if (strcmp(c->general.connection_type, "auto") != 0)
		snprintf(out, n, "%s", c->general.connection_type);
	else
		snprintf(out, n, "%s",
			 *name ? conntype_detect(name) : "unknown");
}
