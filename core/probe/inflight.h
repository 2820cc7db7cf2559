/* SPDX-License-Identifier: MIT */
/*
 * The probes sent and not yet forgotten, shared by the probe kinds (icmp,
 * dns, tcp): a fixed table of slots, one ev_timer that expires the oldest
 * deadline, and the rules of core/probe/probe.h in one place: every probe
 * ends exactly once as OK, TIMEOUT or ERROR; a reply after the timeout (by
 * its RX time, even if the loop was too busy to notice) is a timeout and
 * then a LATE annotation; a second reply is a DUPLICATE annotation.
 * Finished slots stay until reused so late and duplicate replies are still
 * recognised.  A kind keeps its own per-slot data (query id, socket) in an
 * array beside it, indexed by inflight_index().  Nothing is allocated.
 */
#ifndef BB_INFLIGHT_H
#define BB_INFLIGHT_H

#include <ev.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/base/sample.h"

#define INFLIGHT_MAX 64

enum inflight_state {
	INFLIGHT_FREE,
	INFLIGHT_PENDING, /* sent, waiting for its reply or its timeout */
	INFLIGHT_EXPIRED, /* its TIMEOUT sample went out */
	INFLIGHT_DONE,	  /* its OK or ERROR sample went out */
};

/* What a reply to a slot is. */
enum inflight_verdict {
	INFLIGHT_OK,	    /* the probe's answer, in time */
	INFLIGHT_LATE,	    /* after the timeout (TIMEOUT already emitted) */
	INFLIGHT_DUPLICATE, /* the probe was answered before */
};

struct inflight_slot {
	uint32_t seq;
	uint8_t state; /* enum inflight_state */
	int64_t send_mono, send_real, send_err;
};

/* The kind's own: emit the TIMEOUT sample of s (and free what s holds). */
typedef void (*inflight_timeout_fn)(void *ctx, struct inflight_slot *s);
/* The kind's own: read replies already queued before timeouts are
 * decided (they carry their RX time); may be NULL. */
typedef void (*inflight_drain_fn)(void *ctx);

struct inflight {
	struct ev_loop *loop;
	ev_timer timer;
	int64_t timeout_ns;
	size_t n;
	inflight_timeout_fn on_timeout;
	inflight_drain_fn drain;
	void *ctx;
	struct inflight_slot slots[INFLIGHT_MAX];
};

/* n slots (<= INFLIGHT_MAX) on loop; the timer is not started yet. */
void inflight_init(struct inflight *in, struct ev_loop *loop, size_t n,
		   int64_t timeout_ns, inflight_timeout_fn on_timeout,
		   inflight_drain_fn drain, void *ctx);
void inflight_stop(struct inflight *in);

/* A slot for a new probe (state FREE, fields zero): a free one, else the
 * oldest finished one.  With all pending: NULL, or with evict the oldest
 * pending one, timed out first. */
struct inflight_slot *inflight_take(struct inflight *in, bool evict);
/* Stamp s as sent now for deadline_ns (again, if the send is retried). */
void inflight_stamp(struct inflight_slot *s, uint32_t seq, int64_t deadline_ns);
/* s went out: wait for its reply until its timeout. */
void inflight_pending(struct inflight *in, struct inflight_slot *s);
/* The slot (not free) holding seq, or NULL when long gone. */
struct inflight_slot *inflight_find(struct inflight *in, uint32_t seq);
size_t inflight_index(const struct inflight *in, const struct inflight_slot *s);

/* A reply to s (not free) rtt_ns after its send; s is DONE afterwards. */
enum inflight_verdict inflight_reply(struct inflight *in,
				     struct inflight_slot *s, int64_t rtt_ns);
/* The sample flag a verdict adds: 0, BB_SAMPLE_LATE or BB_SAMPLE_DUPLICATE. */
uint16_t inflight_verdict_flag(enum inflight_verdict v);
/* An error for s: true if s was pending (emit the ERROR), false if it
 * was over already (nothing to correct).  s is DONE afterwards. */
bool inflight_fail(struct inflight *in, struct inflight_slot *s);

/* A sample of kind for s: times, seq, interface and target filled. */
void inflight_sample(const struct inflight_slot *s, enum bb_probe_kind kind,
		     const char *interface, const char *target,
		     struct bb_sample *out);

#endif
