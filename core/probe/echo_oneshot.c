// SPDX-License-Identifier: MIT
/*
 * One bufferbloat test now (`bufferbane bloat`): an echo probe on its own
 * event loop, run until its results arrive (core/probe/probe_echo.h).
 */
#include "core/probe/probe.h"
#include "core/probe/probe_echo.h"
#include "core/probe/echo_internal.h"

#include <errno.h>
#include <ev.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include <sodium.h>

#include "core/probe/bloat.h"
#include "core/base/clock.h"
#include "core/probe/clocksync.h"
#include "core/base/config.h"
#include "core/base/sock.h"
#include "core/probe/srvclient.h"
#include "core/probe/throughput.h"

/* ---- one-shot bufferbloat test (bufferbane bloat) ----------------------- */

struct oneshot {
	struct probe *p;
	int want, got;
	probe_echo_progress_fn progress;
	void *ctx;
	int64_t start, typical;
};

/* The last one-shot test's samples: `bufferbane bloat --db` stores them.
 * One test per process, on the calling thread. */
static struct bb_sample last_samples[3];
static int n_last_samples;

static void oneshot_emit(void *ctx, const struct bb_sample *s)
{
	struct oneshot *o = ctx;
	if (s->kind != BB_KIND_BUFFERBLOAT)
		return;
	if (n_last_samples < 3)
		last_samples[n_last_samples++] = *s;
	if (++o->got >= o->want)
		ev_break(o->p->loop, EVBREAK_ALL);
}

int probe_echo_bloat_samples(struct bb_sample out[3])
{
	memcpy(out, last_samples, sizeof(last_samples));
	return n_last_samples;
}

static void oneshot_watch(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct oneshot *o = w->data;
	struct probe *p = o->p;
	if (srvclient_state(p->sc) == SRVCLIENT_UNREACHABLE) {
		ev_break(loop, EVBREAK_ALL);
		return;
	}
	/* no progress before the server answers: the caller announces the
	 * test at the first call, and a test that cannot start is none */
	if (!o->progress || srvclient_state(p->sc) != SRVCLIENT_UP)
		return;
	enum bloat_phase ph = BLOAT_NPHASES;
	if (p->cur.kind == T_BLOAT && p->b_state == B_IDLE)
		ph = BLOAT_IDLE;
	else if (p->cur.kind == T_BLOAT && p->b_state == B_LOAD)
		ph = p->b_phases[p->b_idx];
	o->progress(o->ctx, ph, clock_mono_ns() - o->start, o->typical);
}

static void oneshot_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
	ev_break(loop, EVBREAK_ALL);
}

static int pick_server(const struct bb_config *cfg, const char *server,
		       struct probe_target *t, char *err, size_t errlen)
{
	if (cfg->n_servers == 0) {
		snprintf(err, errlen, "no server configured (servers = ...)");
		return -EINVAL;
	}
	int idx = 0;
	for (int i = 0; server && i < cfg->n_servers; i++)
		if (!strcmp(cfg->servers[i].name, server))
			idx = i;
	int rc = srvclient_target(cfg, idx, "", t, err, errlen);
	if (rc < 0)
		return rc;
	if (server && strcmp(cfg->servers[idx].name, server)) {
		char host[CONFIG_HOST_LEN];
		int port;
		if (config_parse_hostport(server, CONFIG_DEFAULT_PORT, host,
					  sizeof(host), &port, err,
					  errlen) < 0 ||
		    sock_parse_addr(host, (uint16_t)port, &t->addr,
				    &t->addr_len) < 0) {
			if (!err[0])
				snprintf(err, errlen,
					 "--server: '%s' is not a configured "
					 "name or ADDRESS:PORT",
					 server);
			sodium_memzero(&t->srv, sizeof(t->srv));
			return -EINVAL;
		}
		snprintf(t->name, sizeof(t->name), "%s", server);
	} else if (rc > 0) { /* its name does not resolve (err says why) */
		sodium_memzero(&t->srv, sizeof(t->srv));
		return -EHOSTUNREACH;
	}
	return 0;
}

int probe_echo_bloat_check(const struct bb_config *cfg, const char *server,
			   char *err, size_t errlen)
{
	struct probe_target t;
	if (errlen)
		err[0] = '\0';
	int rc = pick_server(cfg, server, &t, err, errlen);
	if (rc == 0)
		sodium_memzero(&t.srv, sizeof(t.srv));
	return rc;
}

int probe_echo_bloat_now(const struct bb_config *cfg, const char *server,
			 probe_echo_progress_fn progress, void *ctx,
			 struct bloat_result res[3], int *n, char *err,
			 size_t errlen)
{
	struct probe_target t;
	*n = 0;
	n_last_samples = 0;
	if (errlen)
		err[0] = '\0';
	int rc = pick_server(cfg, server, &t, err, errlen);
	if (rc < 0)
		return rc;
	memset(t.srv.tput_every_ns, 0, sizeof(t.srv.tput_every_ns));
	t.srv.bloat_every_ns = -1;
	t.srv.bloat_first_ns = 0;
	if (t.timeout_ns <= 0)
		t.timeout_ns = BB_NS_PER_S;
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	if (!loop) {
		sodium_memzero(&t.srv, sizeof(t.srv));
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	/* the same test as the monitor's scheduled one (echo_on_bstep), only
	 * run once, right away */
	struct oneshot o = { .progress = progress, .ctx = ctx };
	uint8_t k = t.srv.bloat_kind ? t.srv.bloat_kind : 3;
	o.want = k == 3 ? 3 : 1;
	struct bloat_plan plan;
	bloat_plan_of(cfg->tests.bufferbloat.test_duration_s, k, &plan);
	o.typical = plan.typical_ns;
	o.start = clock_mono_ns();
	struct probe *p = NULL;
	rc = probe_echo_ops.open(loop, &t, oneshot_emit, &o, &p, err, errlen);
	sodium_memzero(&t.srv, sizeof(t.srv));
	if (rc < 0) {
		ev_loop_destroy(loop);
		return rc;
	}
	o.p = p;
	ev_timer watch, limit;
	ev_timer_init(&watch, oneshot_watch, 0.25, 0.25);
	watch.data = &o;
	ev_timer_start(loop, &watch);
	double total = (double)(p->t.srv.bloat_load_ns * o.want +
				echo_bloat_idle_ns(p)) /
			       1e9 +
		       4.0 * o.want + 10.0;
	ev_timer_init(&limit, oneshot_timeout, total, 0.);
	ev_timer_start(loop, &limit);
	ev_run(loop, 0);
	ev_timer_stop(loop, &watch);
	ev_timer_stop(loop, &limit);
	if (p->b_runs > 0) {
		*n = p->b_nres;
		memcpy(res, p->b_res, (size_t)p->b_nres * sizeof(res[0]));
		rc = p->b_nres ? 0 : -ETIMEDOUT;
		if (!p->b_nres)
			snprintf(err, errlen,
				 "%s: no echo answered during "
				 "the test",
				 p->t.name);
	} else if (srvclient_state(p->sc) != SRVCLIENT_UP && p->refused) {
		rc = -ECONNREFUSED;
		snprintf(err, errlen, "%s: port %u %s", p->t.name,
			 sock_port(&p->t.addr), BB_DETAIL_REFUSED);
	} else if (srvclient_state(p->sc) != SRVCLIENT_UP) {
		rc = -EHOSTUNREACH;
		snprintf(err, errlen,
			 "%s: server unreachable (no answer to "
			 "%u knocks)",
			 p->t.name, srvclient_unanswered(p->sc));
	} else {
		rc = -ETIMEDOUT;
		snprintf(err, errlen, "%s: the test did not finish in %.0f s",
			 p->t.name, total);
	}
	echo_close(p);
	ev_loop_destroy(loop);
	return rc;
}
