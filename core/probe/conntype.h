/* SPDX-License-Identifier: MIT */
/*
 * The connection type stored with every sample (INTERFACES.md
 * "measurements.connection_type"): wifi, wired, cellular, vpn, loopback or
 * what the configuration says, per interface.  Detection reads the calling
 * process's /sys/class/net (its network namespace's when sysfs was mounted
 * there, as `ip netns exec` does).
 */
#ifndef BB_CONNTYPE_H
#define BB_CONNTYPE_H

#include <stddef.h>

struct bb_config;

/* What IFNAME looks like: "loopback", "wifi" (a wireless or phy80211 entry
 * in sysfs), "cellular" (ww*, DEVTYPE=wwan), "vpn" (tun*, tap*, wg*, a tun
 * device or DEVTYPE=wireguard), else "wired".  Always one of those. */
const char *conntype_detect(const char *ifname);
/* The type of IFNAME's samples: its general.connection_types entry, else
 * general.connection_type unless "auto", else detected.  IFNAME "" is the
 * default route's interface (detected now; "unknown" without one). */
void conntype_for(const struct bb_config *c, const char *ifname, char *out,
		  size_t n);

#endif
