/* SPDX-License-Identifier: MIT */
/*
 * The measuring engine (ARCHITECTURE.md "Data flow"): one worker thread per
 * interface, each with its own ev_loop, running the probes of that interface
 * on absolute monotonic deadlines and pushing every sample into its own SPSC
 * ring; an ev_async wakes the main loop, whose engine_drain() hands the samples
 * to the caller on the main thread.  Workers never touch SQLite, the model or
 * the screen.
 *
 * Scheduling: probe i of a worker fires at t0 + phase_i + k*interval, with
 * phases spread evenly over the interval so probes never fire in the same
 * microsecond.  A timerfd (nanosecond, absolute CLOCK_MONOTONIC) arms the next
 * deadline, so a slow probe or a late wake-up never shifts later ticks; a
 * deadline missed by more than an interval (suspend) is skipped, not burst.
 */
#ifndef BB_ENGINE_H
#define BB_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "core/probe/probe.h"
#include "core/base/sample.h"

#define ENGINE_MAX_PROBES  64
#define ENGINE_MAX_WORKERS 8

struct ev_loop;
struct engine;

/* One probe instance to run: which kind, at what, how often. */
struct engine_probe {
	const struct probe_ops *ops;
	struct probe_target target;
	int64_t interval_ns;
	/* > 0: the target is the default gateway; re-detect it this often
	 * and re-aim the probe when it changes (DHCP, roaming).  With no
	 * address (AF_UNSPEC) the slot waits for a gateway to appear. */
	int64_t follow_gateway_ns;
	/* Non-empty: the target's host name could not be resolved at start
	 * (DNS down); addr is AF_UNSPEC and the engine resolves the name in
	 * the background, a failed sample per interval until it does. */
	char resolve_host[256];
	uint16_t resolve_port;
};

/* Something the workers saw that is not a sample. */
enum engine_notice_kind {
	ENGINE_GATEWAY_CHANGE, /* old_addr -> new_addr ("" = none) */
};

struct engine_notice {
	enum engine_notice_kind kind;
	int64_t real_ns;
	char interface[BB_IFNAME_LEN];
	char target[BB_TARGET_LEN];
	char old_addr[64];
	char new_addr[64];
	char detail[128]; /* e.g. why the re-aimed probe could not open */
};

/* Everything the engine runs; plain data, built from the configuration. */
struct engine_plan {
	struct engine_probe probes[ENGINE_MAX_PROBES];
	size_t n_probes;
	size_t ring_capacity; /* samples per worker ring (0 = default) */
};

typedef void (*engine_sample_fn)(void *ctx, const struct bb_sample *s);
typedef void (*engine_notice_fn)(void *ctx, const struct engine_notice *n);

/* Open every probe of the plan on its interface's worker loop (not yet
 * running).  A probe that cannot open (no route, interface missing) is not
 * an error: it is opened again at each of its deadlines, each failure a
 * sample with status error, until it opens.  NULL with a reason in err
 * only when the engine itself cannot be built. */
struct engine *engine_new(struct ev_loop *main_loop,
			  const struct engine_plan *plan,
			  engine_sample_fn on_sample, void *ctx, char *err,
			  size_t errlen);
/* Before engine_start: one line per probe that could not open (and why)
 * into buf; returns how many. */
size_t engine_open_failures(const struct engine *e, char *buf, size_t len);
/* Main thread: receive notices too (before engine_start). */
void engine_on_notice(struct engine *e, engine_notice_fn fn, void *ctx);
/* Main thread: pass command (enum probe_command) to every running probe
 * of kind; returns how many probes of that kind there are (0 = none, the
 * request goes nowhere).  Never blocks: a full queue drops the request. */
int engine_command(struct engine *e, enum bb_probe_kind kind, int command);
/* Start the worker threads; 0 or -errno. */
int engine_start(struct engine *e);
/* Main thread: hand every queued sample to on_sample; returns how many. */
size_t engine_drain(struct engine *e);
/* Stop and join the workers, close the probes, drain what is left. */
void engine_stop(struct engine *e);
/* Free (after engine_stop). */
void engine_free(struct engine *e);
/* Samples lost because a worker's ring was full, since start. */
uint64_t engine_dropped(const struct engine *e);
/* Samples handed over by engine_drain, since start. */
uint64_t engine_delivered(const struct engine *e);

#endif
