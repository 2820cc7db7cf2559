// SPDX-License-Identifier: MIT
/*
 * core/probe/inflight.c on a real libev loop: slots are taken free first,
 * then oldest finished, and with all pending refused or (evict) the oldest
 * timed out; a reply is OK, LATE (by its own RTT, the TIMEOUT first) or
 * DUPLICATE; an error fails only a pending probe; the timer times out
 * exactly the probes past their deadline, after draining.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ev.h>
#include <string.h>

#include "core/base/clock.h"
#include "core/probe/inflight.h"

struct rec {
	int timeouts;
	uint32_t last_seq;
	int drains;
};

static void on_timeout(void *ctx, struct inflight_slot *s)
{
	struct rec *r = ctx;
	r->timeouts++;
	r->last_seq = s->seq;
	assert_int_equal(s->state, INFLIGHT_EXPIRED);
}

static void on_drain(void *ctx)
{
	((struct rec *)ctx)->drains++;
}

static struct inflight_slot *send_one(struct inflight *in, bool evict,
				      uint32_t seq)
{
	struct inflight_slot *s = inflight_take(in, evict);
	if (s) {
		inflight_stamp(s, seq, clock_mono_ns());
		inflight_pending(in, s);
	}
	return s;
}

static void test_take_and_verdicts(void **state)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct inflight in;
	struct rec r = { 0 };
	inflight_init(&in, loop, 3, 10 * BB_NS_PER_S, on_timeout, on_drain, &r);
	struct inflight_slot *a = send_one(&in, false, 1);
	struct inflight_slot *b = send_one(&in, false, 2);
	struct inflight_slot *c = send_one(&in, false, 3);
	assert_true(a && b && c && a != b && b != c);
	assert_null(send_one(&in, false, 4)); /* all pending: refused */
	assert_ptr_equal(inflight_find(&in, 2), b);
	assert_null(inflight_find(&in, 9));
	assert_int_equal(inflight_index(&in, c), 2);

	assert_int_equal(inflight_reply(&in, b, BB_NS_PER_MS), INFLIGHT_OK);
	assert_int_equal(inflight_reply(&in, b, BB_NS_PER_MS),
			 INFLIGHT_DUPLICATE);
	/* an RTT past the timeout: TIMEOUT emitted, then LATE */
	assert_int_equal(inflight_reply(&in, a, 11 * BB_NS_PER_S),
			 INFLIGHT_LATE);
	assert_int_equal(r.timeouts, 1);
	assert_int_equal(r.last_seq, 1);
	assert_int_equal(inflight_reply(&in, a, 12 * BB_NS_PER_S),
			 INFLIGHT_DUPLICATE);
	/* an error fails a pending probe once, a finished one never */
	assert_true(inflight_fail(&in, c));
	assert_false(inflight_fail(&in, c));
	assert_false(inflight_fail(&in, b));
	assert_false(ev_is_active(&in.timer)); /* nothing pending */

	/* all finished: the oldest finished slot is reused first */
	struct inflight_slot *d = send_one(&in, false, 4);
	assert_ptr_equal(d, a);
	assert_null(inflight_find(&in, 1)); /* forgotten */
	assert_true(ev_is_active(&in.timer));
	/* evict: with every slot pending the oldest times out */
	send_one(&in, false, 5);
	send_one(&in, false, 6);
	struct inflight_slot *e = send_one(&in, true, 7);
	assert_non_null(e);
	assert_int_equal(r.timeouts, 2);
	assert_int_equal(r.last_seq, 4);
	assert_ptr_equal(inflight_find(&in, 7), e);
	inflight_stop(&in);
	ev_loop_destroy(loop);
}

static void test_timer(void **state)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct inflight in;
	struct rec r = { 0 };
	inflight_init(&in, loop, 8, 30 * BB_NS_PER_MS, on_timeout, on_drain,
		      &r);
	int64_t t0 = clock_mono_ns();
	send_one(&in, false, 1);
	struct inflight_slot *b = send_one(&in, false, 2);
	send_one(&in, false, 3);
	assert_int_equal(inflight_reply(&in, b, BB_NS_PER_MS), INFLIGHT_OK);
	ev_run(loop, 0); /* returns when the timer has nothing left */
	int64_t took = clock_mono_ns() - t0;
	assert_int_equal(r.timeouts, 2);
	assert_true(r.drains >= 1);
	/* not before the deadline; a busy machine may be late, not 1 s late */
	assert_true(took >= 30 * BB_NS_PER_MS);
	assert_true(took < 1000 * BB_NS_PER_MS);
	assert_int_equal(inflight_reply(&in, b, BB_NS_PER_MS),
			 INFLIGHT_DUPLICATE);
	assert_int_equal(inflight_reply(&in, inflight_find(&in, 3), 0),
			 INFLIGHT_LATE);
	assert_int_equal(r.timeouts, 2); /* the TIMEOUT is not repeated */
	ev_loop_destroy(loop);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_take_and_verdicts),
		cmocka_unit_test(test_timer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
