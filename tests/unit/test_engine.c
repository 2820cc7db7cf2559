// SPDX-License-Identifier: MIT
/*
 * The engine's scheduler and hand-over, with a probe kind defined here that
 * "answers" at once: deadlines on the absolute grid, phases spread over the
 * interval, every sample delivered to the main thread in order per probe, a
 * full ring counted as drops, and clean stop/start (run under TSan by
 * make check-tsan).
 */
#include <setjmp.h>
#include <stdbool.h>
#include <stdio.h>
#include <time.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <ev.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/base/clock.h"
#include "core/engine/engine.h"
#include "tests/lib/netns.h"

struct probe {
	probe_emit_fn emit;
	void *ctx;
	struct probe_target target;
	uint32_t seq;
	int64_t busy_ns; /* simulate a slow send */
	int kind;	 /* of the samples it sends */
};

static int instant_open(struct ev_loop *loop, const struct probe_target *t,
			probe_emit_fn emit, void *ctx, struct probe **out,
			char *err, size_t errlen)
{
	struct probe *p = calloc(1, sizeof(*p));
	p->emit = emit;
	p->ctx = ctx;
	p->target = *t;
	p->busy_ns = t->timeout_ns; /* reused as "time spent in send" */
	p->kind = BB_KIND_ICMP;
	*out = p;
	return 0;
}

/* The same, sending path samples (hop by hop: not a delay kind). */
static int path_open(struct ev_loop *loop, const struct probe_target *t,
		     probe_emit_fn emit, void *ctx, struct probe **out,
		     char *err, size_t errlen)
{
	int ret = instant_open(loop, t, emit, ctx, out, err, errlen);
	if (ret == 0)
		(*out)->kind = BB_KIND_PATH;
	return ret;
}

static void instant_send(struct probe *p, int64_t deadline_ns)
{
	struct bb_sample s;
	sample_init(&s, p->kind);
	s.mono_ns = clock_mono_ns();
	s.send_error_ns = s.mono_ns - deadline_ns;
	s.rtt_ns = deadline_ns; /* smuggle the deadline out for the test */
	s.seq = p->seq++;
	memcpy(s.target, p->target.name, sizeof(s.target));
	while (p->busy_ns && clock_mono_ns() - s.mono_ns < p->busy_ns)
		;
	p->emit(p->ctx, &s);
}

static void instant_close(struct probe *p)
{
	free(p);
}

/* A command is acknowledged by a sample with this sequence number. */
#define COMMAND_ACK_SEQ 999999

/* Commands that make the probe emit a load marker instead (as the echo
 * probe does around its tests). */
#define CMD_LOAD_START 100
#define CMD_LOAD_END   101
/* ... and a phase marker: CMD_LOAD_PHASE + enum bb_load_phase */
#define CMD_LOAD_PHASE 110

static int instant_command(struct probe *p, int command)
{
	struct bb_sample s;
	if (command >= CMD_LOAD_PHASE &&
	    command < CMD_LOAD_PHASE + BB_PHASE_COUNT) {
		sample_init(&s, BB_KIND_UDP_ECHO);
		s.mono_ns = clock_mono_ns();
		s.flags = BB_SAMPLE_LOAD_PHASE;
		s.load_phase = (uint8_t)(command - CMD_LOAD_PHASE);
		p->emit(p->ctx, &s);
		return 0;
	}
	if (command == CMD_LOAD_START || command == CMD_LOAD_END) {
		sample_init(&s, BB_KIND_UDP_ECHO);
		s.mono_ns = clock_mono_ns();
		s.flags = command == CMD_LOAD_START ? BB_SAMPLE_LOAD_START
						    : BB_SAMPLE_LOAD_END;
		p->emit(p->ctx, &s);
		return 0;
	}
	sample_init(&s, BB_KIND_ICMP);
	s.seq = COMMAND_ACK_SEQ;
	s.rtt_ns = command;
	memcpy(s.target, p->target.name, sizeof(s.target));
	p->emit(p->ctx, &s);
	return 0;
}

static const struct probe_ops instant_ops = {
	.name = "instant",
	.kind = BB_KIND_ICMP,
	.open = instant_open,
	.send = instant_send,
	.close = instant_close,
	.command = instant_command,
};

/* The same under another kind, so that a command reaches it alone. */
static const struct probe_ops marking_ops = {
	.name = "marking",
	.kind = BB_KIND_DNS,
	.open = instant_open,
	.send = instant_send,
	.close = instant_close,
	.command = instant_command,
};

static const struct probe_ops path_ops = {
	.name = "path",
	.kind = BB_KIND_PATH,
	.open = path_open,
	.send = instant_send,
	.close = instant_close,
};

#define MAX_SEEN 4096
struct seen {
	struct bb_sample s[MAX_SEEN];
	size_t n;
};

static void collect(void *ctx, const struct bb_sample *s)
{
	struct seen *seen = ctx;
	if (seen->n < MAX_SEEN)
		seen->s[seen->n++] = *s;
}

static void stop_loop(struct ev_loop *loop, ev_timer *t, int revents)
{
	ev_break(loop, EVBREAK_ALL);
}

static void run_for(struct ev_loop *loop, double seconds)
{
	ev_timer t;
	ev_timer_init(&t, stop_loop, seconds, 0);
	ev_timer_start(loop, &t);
	ev_run(loop, 0);
	ev_timer_stop(loop, &t);
}

static void add_probe_ops(struct engine_plan *plan, const struct probe_ops *ops,
			  const char *name, const char *ifname,
			  int64_t interval_ns, int64_t busy_ns)
{
	struct engine_probe *ep = &plan->probes[plan->n_probes++];
	memset(ep, 0, sizeof(*ep));
	ep->ops = ops;
	ep->interval_ns = interval_ns;
	ep->target.timeout_ns = busy_ns;
	snprintf(ep->target.name, sizeof(ep->target.name), "%s", name);
	snprintf(ep->target.interface, sizeof(ep->target.interface), "%s",
		 ifname);
}

static void add_probe(struct engine_plan *plan, const char *name,
		      const char *ifname, int64_t interval_ns, int64_t busy_ns)
{
	add_probe_ops(plan, &instant_ops, name, ifname, interval_ns, busy_ns);
}

/* The plan's engine, started, samples into seen (emptied first). */
static struct engine *start_engine(struct ev_loop *loop,
				   const struct engine_plan *plan,
				   struct seen *seen)
{
	char err[256];
	memset(seen, 0, sizeof(*seen));
	struct engine *e =
		engine_new(loop, plan, collect, seen, err, sizeof(err));
	assert_non_null(e);
	assert_int_equal(engine_start(e), 0);
	return e;
}

/* Three probes at 50 ms for 1 s: ~20 each, on their own grid, spread. */
static void test_grid_and_spread(void **state)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	static struct seen seen;
	memset(&seen, 0, sizeof(seen));
	struct engine_plan plan = { 0 };
	const int64_t iv = 50 * BB_NS_PER_MS;
	add_probe(&plan, "a", "", iv, 0);
	add_probe(&plan, "b", "", iv, 0);
	add_probe(&plan, "c", "", iv, 0);
	char err[256];
	struct engine *e =
		engine_new(loop, &plan, collect, &seen, err, sizeof(err));
	assert_non_null(e);
	assert_int_equal(engine_start(e), 0);
	run_for(loop, 1.0);
	engine_stop(e);
	assert_int_equal(engine_dropped(e), 0);
	assert_int_equal(engine_delivered(e), seen.n);

	int64_t first[3] = { 0 };
	size_t count[3] = { 0 };
	for (size_t i = 0; i < seen.n; i++) {
		const struct bb_sample *s = &seen.s[i];
		int k = s->target[0] - 'a';
		if (s->seq == COMMAND_ACK_SEQ)
			continue;
		assert_in_range(k, 0, 2);
		/* in order per probe, each on deadline t0_k + seq * iv */
		assert_int_equal(s->seq, count[k]);
		if (count[k] == 0)
			first[k] = s->rtt_ns;
		assert_int_equal(s->rtt_ns - first[k], (int64_t)s->seq * iv);
		/* never early; late by less than one interval even on a
		 * loaded machine */
		assert_true(s->send_error_ns >= -20 * BB_NS_PER_US);
		assert_true(s->send_error_ns < iv);
		count[k]++;
	}
	for (int k = 0; k < 3; k++) {
		/* 1 s / 50 ms = 20, minus the start-up offset */
		assert_in_range(count[k], 16, 21);
	}
	/* phases spread evenly: b is a third of an interval after a */
	assert_int_equal(first[1] - first[0], iv / 3);
	assert_int_equal(first[2] - first[0], 2 * iv / 3);
	engine_free(e);
	ev_loop_destroy(loop);
}

/* A send that takes 30 ms at a 20 ms interval: the grid holds, ticks that
 * fell more than an interval behind are skipped rather than burst. */
static void test_slow_probe_does_not_shift_grid(void **state)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	static struct seen seen;
	memset(&seen, 0, sizeof(seen));
	struct engine_plan plan = { 0 };
	const int64_t iv = 20 * BB_NS_PER_MS;
	add_probe(&plan, "a", "", iv, 30 * BB_NS_PER_MS);
	char err[256];
	struct engine *e =
		engine_new(loop, &plan, collect, &seen, err, sizeof(err));
	assert_non_null(e);
	assert_int_equal(engine_start(e), 0);
	run_for(loop, 0.6);
	engine_stop(e);
	assert_true(seen.n >= 8);
	for (size_t i = 1; i < seen.n; i++) {
		int64_t step = seen.s[i].rtt_ns - seen.s[i - 1].rtt_ns;
		/* every deadline is on the grid, and no two sends share one */
		assert_int_equal(step % iv, 0);
		assert_true(step >= iv);
	}
	/* a 30 ms send per 20 ms tick cannot keep up: fewer sends than
	 * ticks, never more */
	assert_true(seen.n <= 600 / 20);
	engine_free(e);
	ev_loop_destroy(loop);
}

/* Probes on two interfaces run on two workers; a tiny ring that nobody
 * drains during the run counts its drops instead of blocking. */
static void test_two_workers_and_drops(void **state)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	static struct seen seen;
	memset(&seen, 0, sizeof(seen));
	struct engine_plan plan = { 0 };
	plan.ring_capacity = 4;
	add_probe(&plan, "a", "lo", 5 * BB_NS_PER_MS, 0);
	add_probe(&plan, "b", "", 5 * BB_NS_PER_MS, 0);
	char err[256];
	struct engine *e =
		engine_new(loop, &plan, collect, &seen, err, sizeof(err));
	assert_non_null(e);
	assert_int_equal(engine_start(e), 0);
	/* sleep without running the loop: the main thread drains nothing */
	struct timespec ts = { 0, 300 * 1000 * 1000 };
	nanosleep(&ts, NULL);
	engine_stop(e);
	uint64_t dropped = engine_dropped(e);
	/* 2 x 60 sends, at most 2 x 4 queued */
	assert_true(dropped >= 80);
	assert_true(seen.n <= 8);
	bool saw_a = false, saw_b = false;
	for (size_t i = 0; i < seen.n; i++) {
		saw_a |= seen.s[i].target[0] == 'a';
		saw_b |= seen.s[i].target[0] == 'b';
	}
	assert_true(saw_a && saw_b);
	engine_free(e);
	ev_loop_destroy(loop);
}

/* A front end's request reaches every probe of the kind, on its worker. */
static void test_command_reaches_probes(void **state)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	static struct seen seen;
	memset(&seen, 0, sizeof(seen));
	struct engine_plan plan = { 0 };
	add_probe(&plan, "a", "", BB_NS_PER_S, 0);
	add_probe(&plan, "b", "lo", BB_NS_PER_S, 0);
	char err[256];
	struct engine *e =
		engine_new(loop, &plan, collect, &seen, err, sizeof(err));
	assert_non_null(e);
	assert_int_equal(engine_command(e, BB_KIND_ICMP, 7), 0); /* not up */
	assert_int_equal(engine_start(e), 0);
	assert_int_equal(engine_command(e, BB_KIND_DNS, 7), 0);
	assert_int_equal(engine_command(e, BB_KIND_ICMP, 7), 2);
	run_for(loop, 0.3);
	engine_stop(e);
	int acks = 0;
	for (size_t i = 0; i < seen.n; i++)
		if (seen.s[i].seq == COMMAND_ACK_SEQ) {
			assert_int_equal(seen.s[i].rtt_ns, 7);
			acks++;
		}
	assert_int_equal(acks, 2);
	engine_free(e);
	ev_loop_destroy(loop);
}

/* A load marker from one probe flags every delay and path sample its
 * worker sends until the end marker, and only on that worker (interface);
 * the markers themselves never reach the main thread.  (A hop's loss
 * during our own test is that test's, as an echo's is.) */
static void test_load_marks(void **state)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	static struct seen seen;
	struct engine_plan plan = { 0 };
	add_probe(&plan, "a", "", 20 * BB_NS_PER_MS, 0);
	add_probe(&plan, "b", "", 20 * BB_NS_PER_MS, 0);
	add_probe(&plan, "other", "lo", 20 * BB_NS_PER_MS, 0);
	add_probe_ops(&plan, &path_ops, "route", "", 20 * BB_NS_PER_MS, 0);
	struct engine *e = start_engine(loop, &plan, &seen);
	run_for(loop, 0.2);
	int64_t t_on = clock_mono_ns();
	engine_command(e, BB_KIND_ICMP, CMD_LOAD_START); /* a, b and other */
	engine_command(e, BB_KIND_ICMP, CMD_LOAD_PHASE + BB_PHASE_UP);
	run_for(loop, 0.15);
	int64_t t_down = clock_mono_ns();
	engine_command(e, BB_KIND_ICMP, CMD_LOAD_PHASE + BB_PHASE_DOWN);
	run_for(loop, 0.15);
	int64_t t_off = clock_mono_ns();
	engine_command(e, BB_KIND_ICMP, CMD_LOAD_END);
	run_for(loop, 0.3);
	engine_stop(e);
	/* every probe got the marker command, so both workers are loaded */
	int before = 0, during = 0, after = 0, flagged_out = 0;
	int up = 0, down = 0, wrong_phase = 0, path_flagged = 0;
	for (size_t i = 0; i < seen.n; i++) {
		const struct bb_sample *s = &seen.s[i];
		assert_false(s->flags &
			     (BB_SAMPLE_LOAD_START | BB_SAMPLE_LOAD_END |
			      BB_SAMPLE_LOAD_PHASE));
		bool flagged = s->flags & BB_SAMPLE_UNDER_LOAD;
		path_flagged += flagged && s->kind == BB_KIND_PATH;
		/* a flagged probe carries the phase in force when sent */
		if (flagged && s->mono_ns > t_on + 20 * BB_NS_PER_MS &&
		    s->mono_ns < t_down - 5 * BB_NS_PER_MS)
			s->load_phase == BB_PHASE_UP ? up++ : wrong_phase++;
		if (flagged && s->mono_ns > t_down + 20 * BB_NS_PER_MS)
			s->load_phase == BB_PHASE_DOWN ? down++ : wrong_phase++;
		if (!flagged && s->load_phase != BB_PHASE_NONE)
			wrong_phase++;
		/* margins: the command reaches the workers within a few ms */
		if (s->mono_ns < t_on - 5 * BB_NS_PER_MS)
			before += flagged;
		else if (s->mono_ns > t_on + 20 * BB_NS_PER_MS &&
			 s->mono_ns < t_off - 5 * BB_NS_PER_MS)
			during += !flagged;
		else if (s->mono_ns > t_off + 20 * BB_NS_PER_MS)
			after += flagged;
		flagged_out += flagged;
	}
	assert_int_equal(before, 0); /* nothing flagged before the start */
	assert_int_equal(during, 0); /* everything flagged during */
	assert_int_equal(after, 0);  /* nothing after the end */
	assert_true(flagged_out >= 4 * 10); /* ~15 each during 0.3 s */
	assert_true(path_flagged >= 10);
	assert_int_equal(wrong_phase, 0);
	assert_true(up >= 3 && down >= 3);
	engine_free(e);
	ev_loop_destroy(loop);
}

/* The marks are per worker: a load on lo's worker leaves the default
 * route's probes alone. */
static void test_load_marks_per_worker(void **state)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	static struct seen seen;
	struct engine_plan plan = { 0 };
	add_probe(&plan, "a", "", 20 * BB_NS_PER_MS, 0);
	add_probe_ops(&plan, &marking_ops, "loader", "lo", 20 * BB_NS_PER_MS,
		      0);
	add_probe(&plan, "b", "lo", 20 * BB_NS_PER_MS, 0);
	struct engine *e = start_engine(loop, &plan, &seen);
	run_for(loop, 0.2);
	engine_command(e, BB_KIND_DNS, CMD_LOAD_START); /* the loader only */
	run_for(loop, 0.3);
	engine_stop(e);
	int a_flagged = 0, b_flagged = 0;
	for (size_t i = 0; i < seen.n; i++) {
		if (!strcmp(seen.s[i].target, "a"))
			a_flagged += !!(seen.s[i].flags & BB_SAMPLE_UNDER_LOAD);
		if (!strcmp(seen.s[i].target, "b"))
			b_flagged += !!(seen.s[i].flags & BB_SAMPLE_UNDER_LOAD);
	}
	assert_int_equal(a_flagged, 0);
	assert_true(b_flagged >= 10);
	engine_free(e);
	ev_loop_destroy(loop);
}

static int failing_open(struct ev_loop *loop, const struct probe_target *t,
			probe_emit_fn emit, void *ctx, struct probe **out,
			char *err, size_t errlen)
{
	snprintf(err, errlen, "no permission");
	return -1;
}

static const struct probe_ops failing_ops = {
	.name = "failing",
	.kind = BB_KIND_ICMP,
	.open = failing_open,
	.send = instant_send,
	.close = instant_close,
};

/* A probe that cannot open does not stop the engine: the others run, it
 * gives one failed sample per interval with the reason, and the reason is
 * there for the start-up warning. */
static void test_open_failure_is_a_failed_sample(void **state)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	static struct seen seen;
	struct engine_plan plan = { 0 };
	add_probe(&plan, "a", "", 100 * BB_NS_PER_MS, 0);
	add_probe(&plan, "x", "", 100 * BB_NS_PER_MS, 0);
	plan.probes[1].ops = &failing_ops;
	char err[256] = "", warn[512];
	memset(&seen, 0, sizeof(seen));
	struct engine *e =
		engine_new(loop, &plan, collect, &seen, err, sizeof(err));
	assert_non_null(e);
	assert_int_equal(engine_open_failures(e, warn, sizeof(warn)), 1);
	assert_non_null(strstr(warn, "failing probe to x cannot start yet "
				     "(no permission)"));
	assert_non_null(strstr(warn, "retried every 0.1 s"));
	assert_int_equal(engine_start(e), 0);
	run_for(loop, 1.0);
	engine_stop(e);
	size_t a = 0, x = 0;
	for (size_t i = 0; i < seen.n; i++) {
		const struct bb_sample *s = &seen.s[i];
		if (!strcmp(s->target, "a")) {
			a++;
			assert_int_equal(s->status, BB_STATUS_OK);
		} else {
			assert_string_equal(s->target, "x");
			assert_int_equal(s->status, BB_STATUS_ERROR);
			assert_string_equal(s->detail,
					    "not started: Operation not "
					    "permitted");
			x++;
		}
	}
	/* 1 s at 100 ms: 10 deadlines each, one less if the start is late */
	assert_in_range(a, 8, 11);
	assert_in_range(x, 8, 11);
	engine_free(e);
	ev_loop_destroy(loop);
}

/* Load markers stating their test's bound in rtt_ns, as the echo probe
 * sends them (CMD_BOUNDED_START: 150 ms; CMD_UNBOUNDED_START: none). */
#define CMD_BOUNDED_START   200
#define CMD_UNBOUNDED_START 201
#define BOUND_NS	    (150 * BB_NS_PER_MS)

static int bounded_command(struct probe *p, int command)
{
	struct bb_sample s;
	sample_init(&s, BB_KIND_UDP_ECHO);
	s.mono_ns = clock_mono_ns();
	s.flags = command == CMD_LOAD_END ? BB_SAMPLE_LOAD_END
					  : BB_SAMPLE_LOAD_START;
	s.rtt_ns = command == CMD_BOUNDED_START ? BOUND_NS : BB_NONE;
	p->emit(p->ctx, &s);
	return 0;
}

static const struct probe_ops bounded_ops = {
	.name = "bounded",
	.kind = BB_KIND_DNS,
	.open = instant_open,
	.send = instant_send,
	.close = instant_close,
	.command = bounded_command,
};

/* Flagged samples of probe "a" sent in [from, to). */
static int flagged_in(const struct seen *seen, int64_t from, int64_t to,
		      int *total)
{
	int n = 0;
	*total = 0;
	for (size_t i = 0; i < seen->n; i++) {
		const struct bb_sample *s = &seen->s[i];
		if (strcmp(s->target, "a") || s->mono_ns < from ||
		    s->mono_ns >= to)
			continue;
		++*total;
		n += !!(s->flags & BB_SAMPLE_UNDER_LOAD);
	}
	return n;
}

/* A test whose end marker never comes (a lost path in the probe) stops
 * counting as load at its bound: the worker ends the span by itself, and
 * the next test's span starts and ends normally.  Without a stated bound
 * the span lasts (up to PROBE_LOAD_MAX_NS) until its end marker. */
static void test_load_span_hard_bound(void **state)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	static struct seen seen;
	struct engine_plan plan = { 0 };
	add_probe(&plan, "a", "", 10 * BB_NS_PER_MS, 0);
	add_probe_ops(&plan, &bounded_ops, "loader", "", BB_NS_PER_S, 0);
	struct engine *e = start_engine(loop, &plan, &seen);
	run_for(loop, 0.1);
	int64_t t1 = clock_mono_ns();
	engine_command(e, BB_KIND_DNS, CMD_BOUNDED_START); /* never ended */
	run_for(loop, 0.5);
	int64_t t2 = clock_mono_ns();
	engine_command(e, BB_KIND_DNS, CMD_UNBOUNDED_START);
	run_for(loop, 0.4);
	int64_t t3 = clock_mono_ns();
	engine_command(e, BB_KIND_DNS, CMD_LOAD_END);
	run_for(loop, 0.3);
	engine_stop(e);
	int ms = BB_NS_PER_MS, n, total;
	/* inside the bound: all flagged (the command takes a few ms) */
	n = flagged_in(&seen, t1 + 20 * ms, t1 + BOUND_NS - 10 * ms, &total);
	assert_true(total >= 5);
	assert_int_equal(n, total);
	/* past the bound, no end marker: none flagged */
	n = flagged_in(&seen, t1 + BOUND_NS + 20 * ms, t2 - 5 * ms, &total);
	assert_true(total >= 15);
	assert_int_equal(n, 0);
	/* the next test: its own span, flagged until its end marker */
	n = flagged_in(&seen, t2 + 20 * ms, t3 - 5 * ms, &total);
	assert_true(total >= 15);
	assert_int_equal(n, total);
	n = flagged_in(&seen, t3 + 20 * ms, INT64_MAX, &total);
	assert_true(total >= 10);
	assert_int_equal(n, 0);
	engine_free(e);
	ev_loop_destroy(loop);
}

/* ---- real probes while the loopback is down, then up ------------------ */

/* A DNS server on 127.0.0.1 that answers every query NXDOMAIN (an answer:
 * status OK for the DNS probe). */
static void on_dns_query(struct ev_loop *loop, ev_io *w, int revents)
{
	uint8_t q[512];
	struct sockaddr_storage from;
	socklen_t fl = sizeof(from);
	ssize_t n;
	while ((n = recvfrom(w->fd, q, sizeof(q), MSG_DONTWAIT,
			     (struct sockaddr *)&from, &fl)) >= 12) {
		q[2] = (uint8_t)(0x80 | (q[2] & 0x01)); /* QR, keep RD */
		q[3] = 0x80 | 3;			/* RA, NXDOMAIN */
		sendto(w->fd, q, (size_t)n, 0, (struct sockaddr *)&from, fl);
		fl = sizeof(from);
	}
}

struct by_target {
	size_t ok, err, not_started, other;
	int64_t first_ok; /* mono */
	int64_t last_err;
};

static void count_for(const struct seen *seen, const char *target,
		      struct by_target *c)
{
	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < seen->n; i++) {
		const struct bb_sample *s = &seen->s[i];
		if (strcmp(s->target, target) != 0)
			continue;
		if (s->status == BB_STATUS_OK) {
			if (!c->ok++)
				c->first_ok = s->mono_ns;
		} else if (s->status == BB_STATUS_ERROR) {
			c->err++;
			c->not_started +=
				!strncmp(s->detail, "not started:", 12);
			c->last_err = s->mono_ns;
		} else {
			c->other++;
		}
	}
}

/*
 * The honest way to make a real probe's open and send fail, then succeed:
 * a namespace whose loopback is down, without its address.  The DNS probe's
 * open (a connected UDP socket) fails with "network unreachable"; the ICMP
 * probe opens but every send fails.  Each gives one failed sample per interval;
 * once lo is up the DNS probe opens at its next deadline and both answer.
 */
static void test_real_probes_retry_until_the_network_is_up(void **state)
{
	if (!netns_can_run()) {
		printf("SKIPPED: needs root for a namespace\n");
		skip();
	}
	char ns[NETNS_NAME_LEN];
	assert_int_equal(netns_create("eng", ns), 0);
	assert_int_equal(netns_enter(ns), 0);
	int srv = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET };
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	assert_true(srv >= 0);
	assert_int_equal(bind(srv, (struct sockaddr *)&sa, sizeof(sa)), 0);
	socklen_t sl = sizeof(sa);
	getsockname(srv, (struct sockaddr *)&sa, &sl);
	/* (down alone keeps lo's routes; without its address it has none) */
	assert_int_equal(netns_sh("ip -n %s link set lo down &&"
				  " ip -n %s addr flush dev lo",
				  ns, ns),
			 0);

	struct engine_plan plan = { 0 };
	const int64_t iv = 200 * BB_NS_PER_MS;
	add_probe_ops(&plan, &probe_dns_ops, "dns", "", iv, 0);
	add_probe_ops(&plan, &probe_icmp_ops, "icmp", "", iv, 0);
	for (int i = 0; i < 2; i++) {
		struct probe_target *t = &plan.probes[i].target;
		t->kind = plan.probes[i].ops->kind;
		t->timeout_ns = 150 * BB_NS_PER_MS;
		memcpy(&t->addr, &sa, sizeof(sa));
		t->addr_len = sizeof(sa);
		snprintf(t->dns_domain, sizeof(t->dns_domain), "example.test");
	}
	((struct sockaddr_in *)&plan.probes[1].target.addr)->sin_port = 0;

	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	ev_io resp;
	ev_io_init(&resp, on_dns_query, srv, EV_READ);
	ev_io_start(loop, &resp);
	static struct seen seen;
	memset(&seen, 0, sizeof(seen));
	char err[256], warn[512];
	struct engine *e =
		engine_new(loop, &plan, collect, &seen, err, sizeof(err));
	assert_non_null(e);
	assert_int_equal(engine_open_failures(e, warn, sizeof(warn)), 1);
	assert_non_null(strstr(warn, "dns probe to dns cannot start yet"));
	assert_non_null(strstr(warn, "Network is unreachable"));
	assert_int_equal(engine_start(e), 0);
	run_for(loop, 1.5);
	assert_int_equal(netns_sh("ip -n %s addr add 127.0.0.1/8 dev lo &&"
				  " ip -n %s link set lo up",
				  ns, ns),
			 0);
	int64_t up = clock_mono_ns();
	run_for(loop, 1.5);
	engine_stop(e);

	struct by_target dns, icmp;
	count_for(&seen, "dns", &dns);
	count_for(&seen, "icmp", &icmp);
	printf("dns: %zu ok, %zu errors (%zu not started), %zu other; icmp: "
	       "%zu ok, %zu errors, %zu other\n",
	       dns.ok, dns.err, dns.not_started, dns.other, icmp.ok, icmp.err,
	       icmp.other);
	/* 1.5 s down at 200 ms (and the time ip takes): 7-9 deadlines,
	 * each one failed sample */
	assert_in_range(dns.not_started, 6, 9);
	assert_int_equal(dns.err, dns.not_started);
	assert_in_range(icmp.err, 6, 9);
	assert_true(dns.last_err < up && icmp.last_err < up);
	/* then it runs: the next deadlines answer (allow two for the lo
	 * switch and a slow machine) */
	assert_in_range(dns.ok, 5, 8);
	assert_in_range(icmp.ok, 5, 8);
	assert_true(dns.first_ok - up < 2 * iv);
	assert_true(icmp.first_ok - up < 2 * iv);
	/* a probe sent between "addr add" and "link set lo up" may time
	 * out; no other status */
	assert_true(dns.other <= 1 && icmp.other <= 1);
	engine_free(e);
	ev_io_stop(loop, &resp);
	ev_loop_destroy(loop);
	close(srv);
	netns_leave();
	netns_delete(ns);
}

/* A target whose name did not resolve at start: the engine asks in the
 * background (no loop waits), says "cannot resolve NAME" at each deadline
 * meanwhile, then probes the address.  In a namespace with only loopback,
 * so a lookup that went to DNS could not leave the machine. */
static void test_name_resolved_in_background(void **state)
{
	if (!netns_can_run()) {
		printf("SKIPPED: needs root for a namespace\n");
		skip();
	}
	char ns[NETNS_NAME_LEN];
	assert_int_equal(netns_create("res", ns), 0);
	assert_int_equal(netns_enter(ns), 0);
	struct engine_plan plan = { 0 };
	add_probe_ops(&plan, &probe_icmp_ops, "lh", "", 100 * BB_NS_PER_MS, 0);
	plan.probes[0].target.kind = BB_KIND_ICMP;
	plan.probes[0].target.timeout_ns = 500 * BB_NS_PER_MS;
	snprintf(plan.probes[0].resolve_host,
		 sizeof(plan.probes[0].resolve_host), "localhost");
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	static struct seen seen;
	struct engine *e = start_engine(loop, &plan, &seen);
	run_for(loop, 1.0);
	engine_stop(e);
	struct by_target c;
	count_for(&seen, "lh", &c);
	printf("localhost: %zu unresolved, %zu ok, %zu other\n", c.err, c.ok,
	       c.other);
	/* the first deadline starts the lookup (a failed sample), a later
	 * one finds it done; then every deadline answers */
	assert_in_range(c.err, 1, 3);
	for (size_t i = 0; i < seen.n; i++)
		if (seen.s[i].status == BB_STATUS_ERROR)
			assert_string_equal(seen.s[i].detail,
					    "cannot resolve localhost");
	assert_true(c.ok >= 6);
	assert_int_equal(c.ok + c.err + c.other, seen.n);
	assert_int_equal(c.other, 0);
	assert_true(c.last_err < c.first_ok);
	engine_free(e);
	ev_loop_destroy(loop);
	netns_leave();
	netns_delete(ns);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_grid_and_spread),
		cmocka_unit_test(test_slow_probe_does_not_shift_grid),
		cmocka_unit_test(test_two_workers_and_drops),
		cmocka_unit_test(test_command_reaches_probes),
		cmocka_unit_test(test_load_marks),
		cmocka_unit_test(test_load_marks_per_worker),
		cmocka_unit_test(test_open_failure_is_a_failed_sample),
		cmocka_unit_test(test_load_span_hard_bound),
		cmocka_unit_test(
			test_real_probes_retry_until_the_network_is_up),
		cmocka_unit_test(test_name_resolved_in_background),
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);
	netns_delete_all();
	return failed ? 1 : 0;
}
