// SPDX-License-Identifier: MIT
/*
 * The probe kinds (see kind.h).  Rows are indexed by enum bb_probe_kind;
 * the names are stored in databases, so a name never changes.
 */
#include "core/probe/kind.h"

#include <string.h>

#include "core/probe/probe.h"

static const struct kind kind_table[BB_KIND_COUNT] = {
	[BB_KIND_ICMP] = { .name = "icmp",
			   .unit = "ms",
			   .delay = true,
			   .round_trip = true,
			   .plan = probe_icmp_plan,
			   .ops = &probe_icmp_ops },
	[BB_KIND_UDP_ECHO] = { .name = "udp_echo",
			       .unit = "ms",
			       .delay = true,
			       .round_trip = true,
			       .plan = srvclient_plan,
			       .ops = &probe_echo_ops },
	[BB_KIND_DNS] = { .name = "dns",
			  .unit = "ms",
			  .delay = true,
			  .column = "dns_time_ms",
			  .plan = probe_dns_plan,
			  .ops = &probe_dns_ops },
	[BB_KIND_TCP_CONNECT] = { .name = "tcp_connect",
				  .unit = "ms",
				  .delay = true,
				  .column = "connect_ms",
				  .plan = probe_tcp_plan,
				  .ops = &probe_tcp_ops },
	/* tests run on a udp_echo session (core/probe/probe_echo.c) */
	[BB_KIND_UPLOAD] = { .name = "upload",
			     .unit = "kbit/s",
			     .cadence = KIND_SCHEDULED },
	[BB_KIND_DOWNLOAD] = { .name = "download",
			       .unit = "kbit/s",
			       .cadence = KIND_SCHEDULED },
	[BB_KIND_BUFFERBLOAT] = { .name = "bufferbloat",
				  .unit = "ms",
				  .cadence = KIND_SCHEDULED },
	/* no delay, no loss: rx_kbps and tx_kbps of the interface */
	[BB_KIND_TRAFFIC] = { .name = "traffic",
			      .unit = "kbit/s",
			      .plan = probe_traffic_plan,
			      .ops = &probe_traffic_ops },
	/* hop by hop; not a delay of the line: its losses are routers' too */
	[BB_KIND_PATH] = { .name = "path",
			   .unit = "ms",
			   .plan = probe_path_plan,
			   .ops = &probe_path_ops },
};

const struct kind *kind_get(int kind)
{
	return kind >= 0 && kind < BB_KIND_COUNT ? &kind_table[kind] : NULL;
}

bool kind_is_delay(int kind)
{
	const struct kind *k = kind_get(kind);
	return k && k->delay;
}

bool kind_is_round_trip(int kind)
{
	const struct kind *k = kind_get(kind);
	return k && k->round_trip;
}

int kind_from_name(const char *name)
{
	for (int i = 0; i < BB_KIND_COUNT; i++)
		if (kind_table[i].name && strcmp(kind_table[i].name, name) == 0)
			return i;
	return -1;
}
