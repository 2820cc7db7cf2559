/* SPDX-License-Identifier: MIT */
/*
 * The path to each target, hop by hop, from the path probe's samples
 * (kind BB_KIND_PATH, core/probe/probe_path.c): who answers at each TTL,
 * how often, how fast, and when that sequence of addresses changes.
 * Plain data and pure functions, owned by the main thread (the model keeps
 * one table; front ends read it through model_path()).
 *
 * Which hop loses packets (the blame rule, path_blame()): a router answers
 * a probe that dies at it with time exceeded from its control plane, which
 * may be slow or rate limited (RFC 1812 §4.3.2.8 allows it), while it
 * forwards packets in hardware.  So loss seen at a hop but not at later
 * hops is that router's own, not the line's: the loss a hop passes on is
 * the smallest loss of it and every later hop, and only that is the
 * path's.  The first hop whose passed-on loss reaches the threshold is
 * where the path starts losing packets.
 */
#ifndef BB_PATH_H
#define BB_PATH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/base/sample.h"

#define PATH_MAX_HOPS  32 /* TTL 1..32 */
#define PATH_WINDOW    32 /* probes kept per hop for its figures */
#define PATH_MAX_PATHS 32 /* paths (interface, target) in one table */

/* One hop's figures over its last PATH_WINDOW probes. */
struct path_hop {
	char addr[BB_ADDR_LEN]; /* newest responder, "" none yet */
	uint32_t sent, lost;	/* in the window */
	double loss_pct;	/* 100 * lost / sent, 0 when none sent */
	int64_t p50_ns, p95_ns; /* nearest rank over answered, BB_NONE */
	int64_t last_ns;	/* newest RTT, BB_NONE */
	/* path_blame(): the loss this hop passes on towards the target,
	 * and the rest, its own (rate-limited time exceeded). */
	double path_loss_pct, own_loss_pct;
	/* the window, oldest first from head: RTT or BB_NONE when lost */
	int64_t ring[PATH_WINDOW];
	uint32_t head, n;
};

/* One (interface, target) path; hop[i] is TTL i + 1. */
struct path_view {
	char interface[BB_IFNAME_LEN];
	char target[BB_TARGET_LEN];
	int n_hops;   /* hops up to the target (dest_ttl), else the highest
			 TTL probed so far */
	int dest_ttl; /* TTL at which the target answered; 0 not yet */
	/* The first hop (1-based) where loss of at least PATH_BLAME_PCT
	 * carries on to the target, 0 none. */
	int lossy_hop;
	uint64_t changes;	 /* path changes seen */
	int64_t changed_real_ns; /* the newest one, 0 none */
	/* the newest change: its first differing hop (1-based, 0 none) and
	 * that hop's address before and after ("*" silent) */
	int changed_hop;
	char changed_from[BB_ADDR_LEN], changed_to[BB_ADDR_LEN];
	struct path_hop hop[PATH_MAX_HOPS];
};

/* The target's hop silent this many probes in a row and the target
 * answering further on: the path got longer (probe_path.c looks further
 * after as many).  Loss alone does that rarely: 0.3^8 = 7e-5 of the
 * rounds at 30 % loss, 1e-8 at 10 %. */
#define PATH_SILENT_PROBES 8

/* Loss a hop must pass on for path_view.lossy_hop (percent). */
#define PATH_BLAME_PCT 2.0

/* The blame rule (see the top): for hops 0..n-1 with loss_pct[i] (< 0: no
 * probe yet, skipped), path_pct[i] = the smallest loss of hop i and every
 * later hop with data, own_pct[i] = loss_pct[i] - path_pct[i] (0 for
 * hops without data).  Returns the first hop (1-based) with path_pct >=
 * threshold_pct, 0 none. */
int path_blame(const double *loss_pct, int n, double threshold_pct,
	       double *path_pct, double *own_pct);

/* What path_table_add() saw change: the addresses before and after, as
 * "a b * d" (one word per hop up to the target, "*" silent). */
struct path_change {
	char interface[BB_IFNAME_LEN];
	char target[BB_TARGET_LEN];
	int64_t real_ms;
	char old_route[256], new_route[256];
	int hop; /* first hop (1-based) that differs */
};

struct path_table {
	struct path_view path[PATH_MAX_PATHS];
	size_t n;
	uint64_t overflow; /* samples refused: table full */
};

/* Feed one BB_KIND_PATH sample (others are ignored); annotations (LATE,
 * DUPLICATE) are not probes, and those sent under our own test's load
 * (BB_SAMPLE_UNCOUNTED) measured that load, not the path.  Returns 1 and fills
 * *ch (may be NULL) when the path's sequence of responding addresses changed,
 * else 0. */
int path_table_add(struct path_table *t, const struct bb_sample *s,
		   struct path_change *ch);
/* The path of (interface, target), NULL when none seen. */
const struct path_view *path_table_find(const struct path_table *t,
					const char *interface,
					const char *target);
/* "a b * d": the addresses hop by hop up to the target. */
void path_route(const struct path_view *v, char *buf, size_t len);

/* Added delay that counts as a slow hop (ms): beyond any distance inside a
 * home, well within a continent. */
#define PATH_SLOW_MS 30.0

/* Whose the loss at hop i (0-based) is, as -d and the views word it after
 * the hop's loss: " (the line's from here)", " (the router's own)", ""
 * (none worth a word). */
const char *path_hop_whose(const struct path_view *v, int i);

/* What path_words() found, worst first. */
enum path_finding {
	PATH_NONE,	/* nothing probed yet */
	PATH_CLEAN,	/* no loss, no delay worth a word */
	PATH_CHANGED,	/* only that the route changed */
	PATH_OWN_LOSS,	/* a router drops its own answers; path clean */
	PATH_SLOW_HOME, /* the delay is added at hop 1 */
	PATH_SLOW,	/* the delay is added at a later hop */
	PATH_LOSS_HOME, /* the line loses packets from hop 1 */
	PATH_LOSS,	/* the line loses packets from a later hop */
};

/* The path in words, for -d, the path view and the verdict (one rule
 * for all): where loss starts and that it persists to the target (the
 * blame rule), else where the delay rises for good (the smallest median
 * of a hop and every later one, as the blame rule does for loss, rising by
 * PATH_SLOW_MS), else a router's own loss; then the newest change, local
 * time ("path changed at 03:12:05 (hop 2: a -> b)").  Hop 1 is the home
 * network's router, later hops are beyond it.  brief: one clause for the
 * header's verdict, "" unless loss or delay was placed.  Returns the
 * finding. */
enum path_finding path_words(const struct path_view *v, bool brief, char *buf,
			     size_t len);

/* Add to the verdict in buf, after its first sentence (the diagnosis),
 * where each path's line loses packets: "Loss to srv starts at hop 3
 * (198.18.2.2), beyond your home network."  Only loss of PATH_VERDICT_PCT
 * or more over PATH_VERDICT_PROBES or more counts here (2 % is one probe
 * of 32: enough to place loss in the path view, not to claim it in the
 * verdict).  Returns strlen(buf). */
#define PATH_VERDICT_PCT    5.0 /* the line's loss at the lossy hop, */
#define PATH_VERDICT_PROBES 16	/* over at least this many probes */
size_t path_verdict(const struct path_table *t, char *buf, size_t len);

#endif
