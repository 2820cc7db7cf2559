/* SPDX-License-Identifier: MIT */
/*
 * What the UDP echo probe (core/probe/probe_echo.c, probe_echo_ops in
 * core/probe/probe.h) offers besides its probe_ops: a one-shot bufferbloat test
 * run on a private event loop, for `bufferbane bloat`.
 */
#ifndef BB_PROBE_ECHO_H
#define BB_PROBE_ECHO_H

#include <stddef.h>
#include <stdint.h>

#include "core/probe/bloat.h"

struct bb_config;

/* The server probe_echo_bloat_now would test, checked before it starts
 * (so a caller announces no test that cannot run): 0, or its error with
 * err saying why (-EINVAL: none configured, or a bad --server). */
int probe_echo_bloat_check(const struct bb_config *cfg, const char *server,
			   char *err, size_t errlen);
/* Run one bufferbloat test now against cfg's server `server` (a configured
 * name, "HOST:PORT" using the first server's secret, or NULL = the first
 * server); up to 3 results (upload, download, both) into res, count in *n.
 * 0; -EINVAL (configuration, message in err); -EHOSTUNREACH or -ETIMEDOUT
 * (message in err). */
/* progress: called every 250 ms while it runs (may be NULL) with the phase
 * under way (BLOAT_IDLE before the first load, BLOAT_NPHASES while
 * knocking or recovering), the time since the start and the test's usual
 * length. */
typedef void (*probe_echo_progress_fn)(void *ctx, enum bloat_phase phase,
				       int64_t elapsed_ns, int64_t typical_ns);
int probe_echo_bloat_now(const struct bb_config *cfg, const char *server,
			 probe_echo_progress_fn progress, void *ctx,
			 struct bloat_result res[3], int *n, char *err,
			 size_t errlen);
/* The bufferbloat samples of the last probe_echo_bloat_now (the rows the
 * monitor stores for its scheduled tests) into out; returns how many. */
int probe_echo_bloat_samples(struct bb_sample out[3]);

/* A server's ECHO_REPLY counters (requests_seen, highest_seq) against
 * those of the session's first answer (r0, h0) and the requests this probe
 * ever sent: counters that moved, either way (replies reorder), by more
 * than was sent are a bad answer.  Relative, because a server may keep a
 * session, counters and all, from before (a re-knock, a restarted client
 * on the same address).  0, or -ERANGE with the reason in why. */
int probe_echo_check_reply(uint32_t requests_seen, uint32_t highest_seq,
			   uint32_t r0, uint32_t h0, uint64_t sent, char *why,
			   size_t whylen);

#endif
