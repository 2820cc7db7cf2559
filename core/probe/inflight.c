// SPDX-License-Identifier: MIT
/*
 * The in-flight table of a probe (see inflight.h).  Tables are small (64
 * at most), so every search is a scan; a probe sends at most a few hundred
 * times a second.
 */
#include "core/probe/inflight.h"

#include <stdio.h>
#include <string.h>

#include "core/base/clock.h"

/* libev's cached "now" may lag behind ours: never wait less, re-check. */
#define INFLIGHT_MIN_WAIT_NS (100 * BB_NS_PER_US)

static void arm(struct inflight *in)
{
	int64_t first = INT64_MAX;
	for (size_t i = 0; i < in->n; i++)
		if (in->slots[i].state == INFLIGHT_PENDING &&
		    in->slots[i].send_mono < first)
			first = in->slots[i].send_mono;
	ev_timer_stop(in->loop, &in->timer);
	if (first == INT64_MAX)
		return;
	int64_t wait = first + in->timeout_ns - clock_mono_ns();
	if (wait < INFLIGHT_MIN_WAIT_NS)
		wait = INFLIGHT_MIN_WAIT_NS;
	ev_timer_set(&in->timer, (double)wait / BB_NS_PER_S, 0.);
	ev_timer_start(in->loop, &in->timer);
}

static void expire(struct inflight *in, struct inflight_slot *s)
{
	s->state = INFLIGHT_EXPIRED;
	in->on_timeout(in->ctx, s);
}

static void on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct inflight *in = w->data;
	if (in->drain)
		in->drain(in->ctx);
	int64_t now = clock_mono_ns();
	for (size_t i = 0; i < in->n; i++) {
		struct inflight_slot *s = &in->slots[i];
		if (s->state == INFLIGHT_PENDING &&
		    s->send_mono + in->timeout_ns <= now)
			expire(in, s);
	}
	arm(in);
}

void inflight_init(struct inflight *in, struct ev_loop *loop, size_t n,
		   int64_t timeout_ns, inflight_timeout_fn on_timeout,
		   inflight_drain_fn drain, void *ctx)
{
	memset(in, 0, sizeof(*in));
	in->loop = loop;
	in->n = n < INFLIGHT_MAX ? n : INFLIGHT_MAX;
	in->timeout_ns = timeout_ns;
	in->on_timeout = on_timeout;
	in->drain = drain;
	in->ctx = ctx;
	ev_init(&in->timer, on_timer);
	in->timer.data = in;
}

void inflight_stop(struct inflight *in)
{
	ev_timer_stop(in->loop, &in->timer);
}

struct inflight_slot *inflight_take(struct inflight *in, bool evict)
{
	struct inflight_slot *done = NULL, *pending = NULL;
	for (size_t i = 0; i < in->n; i++) {
		struct inflight_slot *s = &in->slots[i];
		struct inflight_slot **best =
			s->state == INFLIGHT_PENDING ? &pending : &done;
		if (s->state == INFLIGHT_FREE) {
			done = s;
			break;
		}
		if (!*best || s->send_mono < (*best)->send_mono)
			*best = s;
	}
	if (!done && evict && pending)
		expire(in, pending); /* older than the whole table: lost */
	struct inflight_slot *s = done ? done : evict ? pending : NULL;
	if (s)
		memset(s, 0, sizeof(*s));
	return s;
}

void inflight_stamp(struct inflight_slot *s, uint32_t seq, int64_t deadline_ns)
{
	s->seq = seq;
	s->send_real = clock_real_ns();
	s->send_mono = clock_mono_ns();
	s->send_err = s->send_mono - deadline_ns;
}

void inflight_pending(struct inflight *in, struct inflight_slot *s)
{
	s->state = INFLIGHT_PENDING;
	if (!ev_is_active(&in->timer)) /* else an earlier deadline is set */
		arm(in);
}

struct inflight_slot *inflight_find(struct inflight *in, uint32_t seq)
{
	for (size_t i = 0; i < in->n; i++)
		if (in->slots[i].state != INFLIGHT_FREE &&
		    in->slots[i].seq == seq)
			return &in->slots[i];
	return NULL;
}

size_t inflight_index(const struct inflight *in, const struct inflight_slot *s)
{
	return (size_t)(s - in->slots);
}

enum inflight_verdict inflight_reply(struct inflight *in,
				     struct inflight_slot *s, int64_t rtt_ns)
{
	enum inflight_verdict v = INFLIGHT_OK;
	bool was_pending = s->state == INFLIGHT_PENDING;
	if (was_pending && rtt_ns > in->timeout_ns) {
		expire(in, s); /* arrived in time for nobody */
		v = INFLIGHT_LATE;
	} else if (s->state == INFLIGHT_EXPIRED) {
		v = INFLIGHT_LATE;
	} else if (s->state == INFLIGHT_DONE) {
		v = INFLIGHT_DUPLICATE;
	}
	s->state = INFLIGHT_DONE;
	if (was_pending)
		arm(in);
	return v;
}

uint16_t inflight_verdict_flag(enum inflight_verdict v)
{
	switch (v) {
	case INFLIGHT_LATE:
		return BB_SAMPLE_LATE;
	case INFLIGHT_DUPLICATE:
		return BB_SAMPLE_DUPLICATE;
	default:
		return 0;
	}
}

bool inflight_fail(struct inflight *in, struct inflight_slot *s)
{
	if (s->state != INFLIGHT_PENDING)
		return false;
	s->state = INFLIGHT_DONE;
	arm(in);
	return true;
}

void inflight_sample(const struct inflight_slot *s, enum bb_probe_kind kind,
		     const char *interface, const char *target,
		     struct bb_sample *out)
{
	sample_init(out, kind);
	out->real_ns = s->send_real;
	out->mono_ns = s->send_mono;
	out->send_error_ns = s->send_err;
	snprintf(out->interface, sizeof(out->interface), "%s", interface);
	snprintf(out->target, sizeof(out->target), "%s", target);
	out->seq = s->seq;
}
