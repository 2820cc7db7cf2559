/* SPDX-License-Identifier: MIT */
/*
 * The table of probe kinds: one row per enum bb_probe_kind says what its
 * samples mean (stable name, unit, whether the main figure is a delay),
 * when it runs (a periodic probe, or a test scheduled on another kind's
 * session) and how it runs (how it is planned from the configuration and
 * the probe_ops that measure it).  Everything downstream asks this table
 * rather than comparing kinds, so adding a kind is its file plus one row.
 */
#ifndef BB_KIND_H
#define BB_KIND_H

#include <stdbool.h>

#include "core/base/sample.h"

struct probe_ops;
struct probe_planner;

enum kind_cadence {
	KIND_PERIODIC,	/* a probe sent every interval by the engine */
	KIND_SCHEDULED, /* a test run on a udp_echo session (upload, ...) */
};

struct kind {
	const char *name; /* stable: the database's and the CLI's word */
	const char *unit; /* of the main figure */
	bool delay; /* main figure is a delay (rtt_ns); failures are loss */
	bool round_trip; /* ... and that delay is a plain round trip */
	/* The measurements column (INTERFACES.md) that shows the main delay;
	 * NULL: rtt_ms. */
	const char *column;
	enum kind_cadence cadence;
	/* Add this kind's probes for one interface: 0, -E2BIG (plan full)
	 * or -EINVAL with a reason in pl->err (core/probe/probe.h).  NULL for
	 * scheduled kinds. */
	int (*plan)(struct probe_planner *pl);
	const struct probe_ops *ops; /* NULL for scheduled kinds */
};

/* The row of kind, or NULL when kind is out of range. */
const struct kind *kind_get(int kind);
/* A probe whose main figure is a delay and whose failures are loss (icmp,
 * udp_echo, dns, tcp_connect); false for unknown kinds. */
bool kind_is_delay(int kind);
/* A delay that is a network round trip (icmp, udp_echo). */
bool kind_is_round_trip(int kind);
/* The kind with this stable name, or -1. */
int kind_from_name(const char *name);

#endif
