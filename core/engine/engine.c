// SPDX-License-Identifier: MIT
/*
 * Worker threads, the deadline scheduler and the hand-over to the main thread
 * (see engine.h).  Ownership: a worker's loop, probes and timerfd belong to
 * that worker's thread once engine_start() returns; the only things shared
 * with the main thread are the SPSC ring (worker pushes, main pops) and the
 * two ev_async watchers (libev makes ev_async_send thread-safe).
 */
#include "core/engine/engine.h"

#include <errno.h>
#include <ev.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "core/base/clock.h"
#include "core/probe/gateway.h"
#include "core/probe/kind.h"
#include "core/base/ring.h"
#include "core/base/sock.h"

#define DEFAULT_RING_CAPACITY 4096
/* A deadline this close counts as due: cheaper than re-arming for 2 us. */
#define DUE_SLACK_NS (2 * BB_NS_PER_US)
/* Waking from a timer takes ~50-150 us on a VM or an idle CPU (the core
 * must leave its sleep state).  Each worker learns its own wake-up delay
 * and arms that much early, then spins the rest: a few hundred
 * microseconds of CPU per second at most, for sends within microseconds of
 * their deadline.  The estimate rises at once and decays slowly; it is
 * capped so a stall (a loaded machine) never turns into long spins. */
#define WAKE_EARLY_MAX_NS (200 * BB_NS_PER_US)
/* A probe whose send fails at once this many times in a row (its socket
 * bound to an interface that went away, connected from an address that is
 * gone) is closed and opened afresh at its next deadline. */
#define REOPEN_AFTER 3
/* While no default gateway is known, look for one this often (a default
 * route appearing after DHCP or a modem reboot); then every
 * follow_gateway_ns. */
#define GATEWAY_SEARCH_NS (2 * BB_NS_PER_S)
/* A name that did not resolve is asked for again after this long. */
#define RESOLVE_RETRY_NS (5 * BB_NS_PER_S)

/* One background lookup, on a thread of its own so no loop ever waits on
 * DNS (glibc's getaddrinfo_a would do, but its threads bypass the
 * sanitizers' pthread hooks).  Shared by the slot and the thread: whoever
 * lets go last frees it, so an engine stopped mid-lookup never waits. */
struct resolve {
	atomic_int refs;
	atomic_bool done;
	int rc; /* EAI_* (written before done) */
	struct sockaddr_storage addr;
	socklen_t addr_len;
	char host[256];
};

static void resolve_put(struct resolve *r)
{
	if (atomic_fetch_sub(&r->refs, 1) == 1)
		free(r);
}

static void *resolve_main(void *arg)
{
	struct resolve *r = arg;
	struct addrinfo hints = { .ai_family = AF_UNSPEC,
				  .ai_socktype = SOCK_DGRAM };
	struct addrinfo *ai = NULL;
	r->rc = getaddrinfo(r->host, NULL, &hints, &ai);
	if (r->rc == 0 && ai->ai_addrlen <= sizeof(r->addr)) {
		memcpy(&r->addr, ai->ai_addr, ai->ai_addrlen);
		r->addr_len = ai->ai_addrlen;
	} else if (r->rc == 0) {
		r->rc = EAI_FAMILY;
	}
	if (ai)
		freeaddrinfo(ai);
	atomic_store(&r->done, true);
	resolve_put(r);
	return NULL;
}

/* A slot runs one planned probe.  Its probe is NULL while it cannot open
 * (no route yet, interface missing): then each deadline tries to open it
 * again and, failing, emits a failed sample saying why.  A slot following
 * the gateway has no address while none is known and waits silently. */
struct slot {
	const struct probe_ops *ops;
	struct probe *probe;
	struct probe_target target;
	int64_t first_deadline;
	int64_t interval_ns;
	int64_t next_deadline;
	int64_t follow_gateway_ns;
	ev_timer gateway_timer; /* active when following the gateway */
	uint64_t fired_round;	/* the worker round it last fired in */
	struct worker *worker;
	uint32_t fail_seq;    /* sequence of the engine's own failed samples */
	int send_fails;	      /* sends in a row that failed at once */
	bool sending;	      /* inside ops->send */
	bool send_failed;     /* it emitted an error for its own probe */
	int64_t send_started; /* mono, just before ops->send */
	int open_rc;	      /* last open: 0 or -errno */
	char host[256];	      /* a name still to resolve ("" = none) */
	uint16_t port;
	struct resolve *res;  /* the lookup in flight */
	int64_t next_resolve; /* mono: when to ask again */
	int gai_rc;	      /* the last lookup's answer (EAI_*) */
	char why[160];	      /* the reason of the last failed open */
};

struct worker {
	struct engine *engine;
	char interface[BB_IFNAME_LEN];
	struct ev_loop *loop;
	pthread_t thread;
	bool started;
	int timer_fd;
	int64_t armed_for;     /* the wake-up time the timerfd is set to */
	int64_t wake_early_ns; /* learnt wake-up delay */
	uint64_t round;	       /* timer wake-ups so far */
	ev_io timer_watcher;
	ev_async stop_watcher;
	struct ring *ring;
	struct ring *notices;
	struct ring *commands; /* main -> worker: struct worker_command */
	ev_async command_watcher;
	struct slot slots[ENGINE_MAX_PROBES];
	size_t n_slots;
	/* our own tests' load on this interface (BB_SAMPLE_LOAD_* markers):
	 * the newest span and the one before, for probes still in flight */
	struct load_span {
		int64_t from, until; /* mono ns; until INT64_MAX while on */
		int64_t bound;	     /* it ends by then whatever comes */
	} load[2];
	int loads_on; /* tests running (one per echo probe at most) */
	/* the last phases of our load (LOAD_PHASE markers), newest last */
	struct load_phase_at {
		int64_t from; /* mono ns */
		uint8_t phase;
	} phases[8];
	unsigned nphases;
};

struct engine {
	struct ev_loop *main_loop;
	ev_async wake;
	engine_sample_fn on_sample;
	void *ctx;
	engine_notice_fn on_notice;
	void *notice_ctx;
	struct worker workers[ENGINE_MAX_WORKERS];
	size_t n_workers;
	uint64_t delivered;
};

/* Was a delay probe sent at mono inside a load span of this worker? */
static bool under_load(const struct worker *w, int64_t mono)
{
	for (int i = 0; i < 2; i++)
		if (w->load[i].from && mono >= w->load[i].from &&
		    mono <= w->load[i].until && mono <= w->load[i].bound)
			return true;
	return false;
}

/* The phase of our load at mono: the newest marker not after it (the
 * oldest kept one for a probe older than every marker). */
static uint8_t phase_at(const struct worker *w, int64_t mono)
{
	unsigned n = w->nphases < 8 ? w->nphases : 8;
	for (unsigned k = 1; k <= n; k++) {
		const struct load_phase_at *p =
			&w->phases[(w->nphases - k) % 8];
		if (p->from <= mono || k == n)
			return p->phase;
	}
	return BB_PHASE_NONE;
}

/* A test's bound: what its marker states, never more than the longest. */
static int64_t load_bound(const struct bb_sample *s)
{
	int64_t d = s->rtt_ns;
	if (d == BB_NONE || d <= 0 || d > PROBE_LOAD_MAX_NS)
		d = PROBE_LOAD_MAX_NS;
	return s->mono_ns + d;
}

/* Worker thread: a probe finished; queue it for the main thread.  Load
 * markers stay here: every probe of the interface shares the queue our
 * own test fills, but only the probe running the test knows about it. */
static void worker_emit(void *ctx, const struct bb_sample *s)
{
	struct worker *w = ctx;
	if (s->flags & BB_SAMPLE_LOAD_START) {
		/* a span past its bound was ended here: its end never came */
		if (w->loads_on && s->mono_ns > w->load[0].bound)
			w->loads_on = 0;
		int64_t bound = load_bound(s);
		if (w->loads_on++ == 0) {
			w->load[1] = w->load[0];
			w->load[0] = (struct load_span){ s->mono_ns, INT64_MAX,
							 bound };
		} else if (bound > w->load[0].bound) { /* joins the span */
			w->load[0].bound = bound;
		}
		return;
	}
	if (s->flags & BB_SAMPLE_LOAD_END) {
		if (w->loads_on > 0 && --w->loads_on == 0)
			w->load[0].until = s->mono_ns;
		return; /* an end without a start changes nothing */
	}
	if (s->flags & BB_SAMPLE_LOAD_PHASE) {
		w->phases[w->nphases++ % 8] =
			(struct load_phase_at){ s->mono_ns, s->load_phase };
		return;
	}
	struct bb_sample c = *s;
	/* a hop's loss or delay during our test is the test's, as an echo's */
	bool measures_line = kind_is_delay(c.kind) || c.kind == BB_KIND_PATH;
	if (measures_line && under_load(w, c.mono_ns)) {
		c.flags |= BB_SAMPLE_UNDER_LOAD;
		if (c.load_phase == BB_PHASE_NONE)
			c.load_phase = phase_at(w, c.mono_ns);
	}
	ring_push(w->ring, &c); /* a full ring counts the drop itself */
	ev_async_send(w->engine->main_loop, &w->engine->wake);
}

/* Worker thread: a sample of one slot's probe.  An error for the probe
 * being sent right now (its mono time is not before the send began) is a
 * failure of the send itself, not of the network beyond. */
static void slot_emit(void *ctx, const struct bb_sample *smp)
{
	struct slot *s = ctx;
	if (s->sending && smp->status == BB_STATUS_ERROR &&
	    smp->mono_ns >= s->send_started &&
	    !(smp->flags & (BB_SAMPLE_LATE | BB_SAMPLE_DUPLICATE)))
		s->send_failed = true;
	worker_emit(s->worker, smp);
}

/* Waiting for a default gateway to appear: nothing to probe yet. */
static bool slot_waiting(const struct slot *s)
{
	return s->follow_gateway_ns > 0 &&
	       s->target.addr.ss_family == AF_UNSPEC;
}

/* Its host name has not resolved yet: nothing to open. */
static bool slot_unresolved(const struct slot *s)
{
	return s->host[0] && s->target.addr.ss_family == AF_UNSPEC;
}

/* Worker thread: start, or collect, the background lookup of the slot's
 * name; 0 once it has an address. */
static int slot_resolve(struct slot *s)
{
	int64_t now = clock_mono_ns();
	struct resolve *r = s->res;
	if (r) {
		if (!atomic_load(&r->done))
			return -EINPROGRESS;
		s->gai_rc = r->rc;
		if (r->rc == 0) {
			s->target.addr = r->addr;
			s->target.addr_len = r->addr_len;
			if (r->addr.ss_family == AF_INET)
				((struct sockaddr_in *)&s->target.addr)
					->sin_port = htons(s->port);
			else
				((struct sockaddr_in6 *)&s->target.addr)
					->sin6_port = htons(s->port);
		}
		resolve_put(r);
		s->res = NULL;
		s->next_resolve = now + RESOLVE_RETRY_NS;
		return slot_unresolved(s) ? -EHOSTUNREACH : 0;
	}
	if (now < s->next_resolve)
		return -EHOSTUNREACH;
	s->next_resolve = now + RESOLVE_RETRY_NS;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	snprintf(r->host, sizeof(r->host), "%s", s->host);
	atomic_init(&r->refs, 2);
	atomic_init(&r->done, false);
	pthread_attr_t attr;
	pthread_t t;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	int rc = pthread_create(&t, &attr, resolve_main, r);
	pthread_attr_destroy(&attr);
	if (rc != 0) {
		free(r);
		return -rc;
	}
	s->res = r;
	return -EINPROGRESS;
}

/* Engine teardown: let go of a lookup in flight (its thread frees it). */
static void slot_resolve_cancel(struct slot *s)
{
	if (s->res)
		resolve_put(s->res);
	s->res = NULL;
}

/* A short reason for a failed sample (it has BB_DETAIL_LEN bytes). */
static void open_detail(int rc, char *buf, size_t len)
{
	switch (-rc) {
	case ENETUNREACH:
		snprintf(buf, len, "not started: network unreachable");
		break;
	case EHOSTUNREACH:
		snprintf(buf, len, "not started: host unreachable");
		break;
	case ENODEV:
		snprintf(buf, len, "not started: interface missing");
		break;
	case EADDRNOTAVAIL:
		snprintf(buf, len, "not started: no local address");
		break;
	default:
		snprintf(buf, len, "not started: %s", strerror(-rc));
	}
}

static int slot_open(struct slot *s)
{
	s->why[0] = '\0';
	s->send_fails = 0;
	s->open_rc = s->ops->open(s->worker->loop, &s->target, slot_emit, s,
				  &s->probe, s->why, sizeof(s->why));
	if (s->open_rc < 0) {
		s->probe = NULL;
		if (!s->why[0])
			snprintf(s->why, sizeof(s->why), "%s",
				 strerror(-s->open_rc));
	}
	return s->open_rc;
}

/* The probe could not open at its deadline: one failed sample. */
static void emit_not_open(struct slot *s, int64_t deadline)
{
	struct bb_sample smp;
	sample_init(&smp, s->ops->kind);
	smp.mono_ns = clock_mono_ns();
	smp.real_ns = clock_real_ns();
	smp.send_error_ns = smp.mono_ns - deadline;
	smp.status = BB_STATUS_ERROR;
	smp.seq = s->fail_seq++;
	snprintf(smp.interface, sizeof(smp.interface), "%s",
		 s->target.interface);
	snprintf(smp.target, sizeof(smp.target), "%s", s->target.name);
	if (s->ops->kind == BB_KIND_UDP_ECHO) { /* its series is per server */
		snprintf(smp.server, sizeof(smp.server), "%.*s",
			 (int)sizeof(smp.server) - 1, s->target.name);
		/* no session can exist (the server's name does not resolve,
		 * no socket): the server's state, never the line's loss */
		smp.flags |= BB_SAMPLE_NO_SESSION;
	}
	if (slot_unresolved(s))
		snprintf(smp.detail, sizeof(smp.detail), "cannot resolve %.*s",
			 (int)sizeof(smp.detail) - 16, s->host);
	else
		open_detail(s->open_rc, smp.detail, sizeof(smp.detail));
	worker_emit(s->worker, &smp);
}

/* Worker thread: the slot's deadline.  Reopen a probe whose sends keep
 * failing at once, open one that could not open yet, then send. */
static void slot_fire(struct slot *s, int64_t deadline)
{
	if (s->probe && s->send_fails >= REOPEN_AFTER) {
		s->ops->close(s->probe);
		s->probe = NULL;
	}
	if (slot_unresolved(s) && slot_resolve(s) < 0) {
		emit_not_open(s, deadline);
		return;
	}
	if (!s->probe && slot_open(s) < 0) {
		emit_not_open(s, deadline);
		return;
	}
	s->send_failed = false;
	s->sending = true;
	s->send_started = clock_mono_ns();
	s->ops->send(s->probe, deadline);
	s->sending = false;
	s->send_fails = s->send_failed ? s->send_fails + 1 : 0;
}

static void arm_timer(struct worker *w)
{
	int64_t next = INT64_MAX;
	for (size_t i = 0; i < w->n_slots; i++)
		if (w->slots[i].next_deadline < next)
			next = w->slots[i].next_deadline;
	next -= w->wake_early_ns;
	w->armed_for = next;
	struct itimerspec its = {
		.it_value = { .tv_sec = next / BB_NS_PER_S,
			      .tv_nsec = next % BB_NS_PER_S },
	};
	timerfd_settime(w->timer_fd, TFD_TIMER_ABSTIME, &its, NULL);
}

/* Advance a slot past now on its own grid: t0 + k*interval. */
static void advance(struct slot *s, int64_t now)
{
	s->next_deadline += s->interval_ns;
	if (s->next_deadline < now - s->interval_ns) {
		/* asleep or starved for more than an interval: skip, no burst
		 */
		int64_t k = (now - s->first_deadline) / s->interval_ns + 1;
		s->next_deadline = s->first_deadline + k * s->interval_ns;
	}
}

static void learn_wake_delay(struct worker *w, int64_t late)
{
	if (late < 0)
		late = 0;
	if (late > WAKE_EARLY_MAX_NS)
		late = WAKE_EARLY_MAX_NS;
	int64_t want = late + late / 4; /* 25 % margin */
	if (want > w->wake_early_ns)
		w->wake_early_ns =
			want < WAKE_EARLY_MAX_NS ? want : WAKE_EARLY_MAX_NS;
	else
		w->wake_early_ns -= (w->wake_early_ns - want) / 32;
}

/* We woke early on purpose: spin to the earliest deadline. */
static void spin_until_due(struct worker *w)
{
	int64_t next = INT64_MAX;
	for (size_t i = 0; i < w->n_slots; i++)
		if (!slot_waiting(&w->slots[i]) &&
		    w->slots[i].next_deadline < next)
			next = w->slots[i].next_deadline;
	if (next - clock_mono_ns() > WAKE_EARLY_MAX_NS + DUE_SLACK_NS)
		return; /* not ours to wait for (a spurious wake-up) */
	while (clock_mono_ns() < next - DUE_SLACK_NS)
		;
}

static void on_timer(struct ev_loop *loop, ev_io *io, int revents)
{
	struct worker *w = io->data;
	uint64_t expirations;
	if (read(w->timer_fd, &expirations, sizeof(expirations)) < 0 &&
	    errno != EAGAIN)
		return;
	learn_wake_delay(w, clock_mono_ns() - w->armed_for);
	spin_until_due(w);
	/* Fire every due probe, earliest first, re-reading the clock so a
	 * slow send() does not make a later probe look early.  Each probe
	 * fires at most once per wake-up: a send slower than its interval
	 * must not keep us from the loop (and from the replies). */
	w->round++;
	for (;;) {
		int64_t now = clock_mono_ns();
		struct slot *due = NULL;
		for (size_t i = 0; i < w->n_slots; i++) {
			struct slot *s = &w->slots[i];
			if (slot_waiting(s)) { /* no gateway: keep its grid */
				if (s->next_deadline <= now + DUE_SLACK_NS)
					advance(s, now);
				continue;
			}
			if (s->fired_round != w->round &&
			    s->next_deadline <= now + DUE_SLACK_NS &&
			    (!due || s->next_deadline < due->next_deadline))
				due = s;
		}
		if (!due)
			break;
		int64_t deadline = due->next_deadline;
		due->fired_round = w->round;
		advance(due, now);
		slot_fire(due, deadline);
	}
	arm_timer(w);
}

static void notify(struct worker *w, const struct engine_notice *n)
{
	ring_push(w->notices, n);
	ev_async_send(w->engine->main_loop, &w->engine->wake);
}

/* Look for the gateway often while none is known, else at the set pace. */
static void gateway_pace(struct slot *s)
{
	int64_t every = s->follow_gateway_ns;
	if (slot_waiting(s) && every > GATEWAY_SEARCH_NS)
		every = GATEWAY_SEARCH_NS;
	s->gateway_timer.repeat = (double)every / BB_NS_PER_S;
}

/* Worker thread: re-read the default route; re-aim the probe if it moved. */
static void on_gateway_check(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct slot *s = t->data;
	struct worker *w = s->worker;
	struct sockaddr_storage addr;
	socklen_t addrlen = 0;
	char dev[GATEWAY_IFNAME_LEN];
	bool found =
		gateway_detect(s->target.interface, &addr, &addrlen, dev) == 0;
	bool had = !slot_waiting(s);
	if (found && had &&
	    sock_addr_equal((struct sockaddr *)&addr,
			    (struct sockaddr *)&s->target.addr, 0))
		return;
	if (!found && !had)
		return;

	struct engine_notice n = { .kind = ENGINE_GATEWAY_CHANGE,
				   .real_ns = clock_real_ns() };
	memcpy(n.interface, s->target.interface, sizeof(n.interface));
	memcpy(n.target, s->target.name, sizeof(n.target));
	if (had) {
		sock_addr_to_text((struct sockaddr *)&s->target.addr,
				  n.old_addr, sizeof(n.old_addr));
		if (s->probe)
			s->ops->close(s->probe);
		s->probe = NULL;
		memset(&s->target.addr, 0, sizeof(s->target.addr));
		s->target.addr_len = 0;
	}
	if (found) {
		sock_addr_to_text((struct sockaddr *)&addr, n.new_addr,
				  sizeof(n.new_addr));
		s->target.addr = addr;
		s->target.addr_len = addrlen;
		/* failing, it is retried at every deadline like any probe */
		if (slot_open(s) < 0)
			snprintf(n.detail, sizeof(n.detail), "%.*s",
				 (int)sizeof(n.detail) - 1, s->why);
	}
	gateway_pace(s);
	ev_timer_again(loop, t);
	notify(w, &n);
}

struct worker_command {
	int kind;
	int command;
};

/* Worker thread: the main thread queued requests for our probes. */
static void on_command(struct ev_loop *loop, ev_async *a, int revents)
{
	struct worker *w = a->data;
	struct worker_command c;
	while (ring_pop(w->commands, &c))
		for (size_t i = 0; i < w->n_slots; i++) {
			struct slot *s = &w->slots[i];
			if (s->probe && (int)s->ops->kind == c.kind &&
			    s->ops->command)
				s->ops->command(s->probe, c.command);
		}
}

static void on_stop(struct ev_loop *loop, ev_async *a, int revents)
{
	ev_break(loop, EVBREAK_ALL);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	/* Default timer slack is 50 us; we want send times within a few. */
	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
	arm_timer(w);
	ev_run(w->loop, 0);
	return NULL;
}

static struct worker *worker_for(struct engine *e, const char *ifname)
{
	for (size_t i = 0; i < e->n_workers; i++)
		if (strcmp(e->workers[i].interface, ifname) == 0)
			return &e->workers[i];
	if (e->n_workers == ENGINE_MAX_WORKERS)
		return NULL;
	struct worker *w = &e->workers[e->n_workers++];
	w->engine = e;
	w->timer_fd = -1;
	snprintf(w->interface, sizeof(w->interface), "%s", ifname);
	return w;
}

static int worker_init(struct worker *w, size_t ring_capacity, char *err,
		       size_t errlen)
{
	w->loop = ev_loop_new(EVFLAG_AUTO);
	w->ring = ring_new(ring_capacity, sizeof(struct bb_sample));
	w->notices = ring_new(64, sizeof(struct engine_notice));
	w->commands = ring_new(16, sizeof(struct worker_command));
	w->timer_fd =
		timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (!w->loop || !w->ring || !w->notices || !w->commands ||
	    w->timer_fd < 0) {
		snprintf(err, errlen, "cannot create worker for %s: %s",
			 w->interface[0] ? w->interface : "default route",
			 strerror(errno ? errno : ENOMEM));
		return -ENOMEM;
	}
	ev_io_init(&w->timer_watcher, on_timer, w->timer_fd, EV_READ);
	w->timer_watcher.data = w;
	ev_io_start(w->loop, &w->timer_watcher);
	ev_async_init(&w->stop_watcher, on_stop);
	ev_async_start(w->loop, &w->stop_watcher);
	ev_async_init(&w->command_watcher, on_command);
	w->command_watcher.data = w;
	ev_async_start(w->loop, &w->command_watcher);
	return 0;
}

static void on_wake(struct ev_loop *loop, ev_async *a, int revents)
{
	engine_drain(a->data);
}

/* Spread the probes of each worker evenly over its shortest interval, so
 * every probe (a DNS probe every 10 s too) has its first sample within it. */
static void assign_phases(struct engine *e, int64_t t0)
{
	for (size_t i = 0; i < e->n_workers; i++) {
		struct worker *w = &e->workers[i];
		int64_t span = INT64_MAX;
		for (size_t j = 0; j < w->n_slots; j++)
			if (w->slots[j].interval_ns < span)
				span = w->slots[j].interval_ns;
		for (size_t j = 0; j < w->n_slots; j++) {
			struct slot *s = &w->slots[j];
			int64_t phase = span * (int64_t)j / (int64_t)w->n_slots;
			s->first_deadline = t0 + phase;
			s->next_deadline = s->first_deadline;
		}
	}
}

struct engine *engine_new(struct ev_loop *main_loop,
			  const struct engine_plan *plan,
			  engine_sample_fn on_sample, void *ctx, char *err,
			  size_t errlen)
{
	struct engine *e = calloc(1, sizeof(*e));
	if (!e) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	e->main_loop = main_loop;
	e->on_sample = on_sample;
	e->ctx = ctx;
	ev_async_init(&e->wake, on_wake);
	e->wake.data = e;
	size_t cap = plan->ring_capacity ? plan->ring_capacity
					 : DEFAULT_RING_CAPACITY;
	clock_calibrate();

	for (size_t i = 0; i < plan->n_probes && i < ENGINE_MAX_PROBES; i++) {
		const struct engine_probe *ep = &plan->probes[i];
		struct worker *w = worker_for(e, ep->target.interface);
		if (!w) {
			snprintf(err, errlen, "more than %d interfaces",
				 ENGINE_MAX_WORKERS);
			goto fail;
		}
		if (!w->loop && worker_init(w, cap, err, errlen) < 0)
			goto fail;
		struct slot *s = &w->slots[w->n_slots];
		if (!ep->ops) {
			snprintf(err, errlen, "probe %zu has no kind", i);
			goto fail;
		}
		s->ops = ep->ops;
		s->worker = w;
		s->target = ep->target;
		s->interval_ns =
			ep->interval_ns > 0 ? ep->interval_ns : BB_NS_PER_S;
		s->follow_gateway_ns = ep->follow_gateway_ns;
		if (ep->resolve_host[0] &&
		    ep->target.addr.ss_family == AF_UNSPEC) {
			snprintf(s->host, sizeof(s->host), "%s",
				 ep->resolve_host);
			s->port = ep->resolve_port;
		}
		/* a probe that cannot open now is retried at its deadlines */
		if (!slot_waiting(s) && !slot_unresolved(s))
			slot_open(s);
		if (ep->follow_gateway_ns > 0) {
			ev_init(&s->gateway_timer, on_gateway_check);
			s->gateway_timer.data = s;
			gateway_pace(s);
			ev_timer_again(w->loop, &s->gateway_timer);
		}
		w->n_slots++;
	}
	ev_async_start(main_loop, &e->wake);
	return e;
fail:
	engine_free(e);
	return NULL;
}

size_t engine_open_failures(const struct engine *e, char *buf, size_t len)
{
	size_t n = 0, used = 0;
	if (len)
		buf[0] = '\0';
	for (size_t i = 0; i < e->n_workers; i++) {
		const struct worker *w = &e->workers[i];
		for (size_t j = 0; j < w->n_slots; j++) {
			const struct slot *s = &w->slots[j];
			if (s->probe || slot_waiting(s) ||
			    slot_unresolved(s)) /* (the plan said so) */
				continue;
			n++;
			if (used < len)
				used += (size_t)snprintf(
					buf + used, len - used,
					"%s probe to %s cannot start yet (%s); "
					"it is retried every %.3g s and "
					"records failed samples meanwhile\n",
					s->ops->name, s->target.name, s->why,
					(double)s->interval_ns / BB_NS_PER_S);
		}
	}
	return n;
}

int engine_start(struct engine *e)
{
	/* Start a little in the future so every worker is up at t0. */
	assign_phases(e, clock_mono_ns() + 10 * BB_NS_PER_MS);
	/* Workers inherit a full signal mask: signals belong to the main
	 * loop's ev_signal watchers. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int rc = 0;
	for (size_t i = 0; i < e->n_workers && rc == 0; i++) {
		struct worker *w = &e->workers[i];
		rc = pthread_create(&w->thread, NULL, worker_main, w);
		w->started = rc == 0;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return -rc;
}

int engine_command(struct engine *e, enum bb_probe_kind kind, int command)
{
	int n = 0;
	for (size_t i = 0; i < e->n_workers; i++) {
		struct worker *w = &e->workers[i];
		int here = 0;
		for (size_t j = 0; j < w->n_slots; j++)
			here += w->slots[j].ops->kind == kind &&
				w->slots[j].ops->command != NULL;
		if (!here || !w->started)
			continue;
		struct worker_command c = { .kind = (int)kind,
					    .command = command };
		if (ring_push(w->commands, &c)) {
			ev_async_send(w->loop, &w->command_watcher);
			n += here;
		}
	}
	return n;
}

void engine_on_notice(struct engine *e, engine_notice_fn fn, void *ctx)
{
	e->on_notice = fn;
	e->notice_ctx = ctx;
}

size_t engine_drain(struct engine *e)
{
	struct bb_sample s;
	struct engine_notice notice;
	size_t n = 0;
	for (size_t i = 0; i < e->n_workers; i++) {
		struct worker *w = &e->workers[i];
		while (w->ring && ring_pop(w->ring, &s)) {
			e->on_sample(e->ctx, &s);
			n++;
		}
		while (w->notices && ring_pop(w->notices, &notice))
			if (e->on_notice)
				e->on_notice(e->notice_ctx, &notice);
	}
	e->delivered += n;
	return n;
}

void engine_stop(struct engine *e)
{
	for (size_t i = 0; i < e->n_workers; i++) {
		struct worker *w = &e->workers[i];
		if (!w->started)
			continue;
		ev_async_send(w->loop, &w->stop_watcher);
		pthread_join(w->thread, NULL);
		w->started = false;
	}
	engine_drain(e);
}

void engine_free(struct engine *e)
{
	if (!e)
		return;
	engine_stop(e);
	for (size_t i = 0; i < e->n_workers; i++) {
		struct worker *w = &e->workers[i];
		for (size_t j = 0; j < w->n_slots; j++) {
			struct slot *s = &w->slots[j];
			if (ev_is_active(&s->gateway_timer))
				ev_timer_stop(w->loop, &s->gateway_timer);
			if (s->probe)
				s->ops->close(s->probe);
			slot_resolve_cancel(s);
			/* the echo probe's copy of the shared secret */
			explicit_bzero(&s->target, sizeof(s->target));
		}
		if (w->timer_fd >= 0)
			close(w->timer_fd);
		if (w->loop)
			ev_loop_destroy(w->loop);
		ring_free(w->ring);
		ring_free(w->notices);
		ring_free(w->commands);
	}
	if (ev_is_active(&e->wake))
		ev_async_stop(e->main_loop, &e->wake);
	free(e);
}

uint64_t engine_dropped(const struct engine *e)
{
	uint64_t n = 0;
	for (size_t i = 0; i < e->n_workers; i++)
		n += e->workers[i].ring ? ring_dropped(e->workers[i].ring) : 0;
	return n;
}

uint64_t engine_delivered(const struct engine *e)
{
	return e->delivered;
}
