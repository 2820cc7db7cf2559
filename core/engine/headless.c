// SPDX-License-Identifier: MIT
/*
 * bufferbane -d: the monitor without a screen.  One status line per series
 * every output.status_interval_s, one line per event, a summary at exit; the
 * lines go to stdout or to logging.file, which SIGHUP reopens (logrotate).
 */
#include "core/engine/headless.h"

#include <errno.h>
#include <ev.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/base/clock.h"
#include "core/base/config.h"
#include "core/analysis/detect.h"
#include "core/engine/engine.h"
#include "core/analysis/event.h"
#include "core/analysis/model.h"
#include "core/base/sock.h"
#include "core/analysis/stats.h"

struct headless {
	struct monitor *monitor;
	FILE *out;
	char log_path[CONFIG_PATH_LEN];
	ev_timer status_timer;
	ev_signal sighup;
	enum stats_window window;
	/* Open events already announced, to tell a start from an update:
	 * an event is (kind, place, start) and a ring this size outlives any
	 * plausible number of simultaneously open events. */
	struct announced {
		int64_t start_ms;
		char kind[BB_EVENT_KIND_LEN];
		char target[BB_TARGET_LEN];
		char interface[BB_IFNAME_LEN];
	} announced[64];
	unsigned n_announced;
};

static void stamp(char *buf, size_t len)
{
	time_t now = time(NULL);
	struct tm tm;
	localtime_r(&now, &tm);
	strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
}

/* ns -> "12.345" ms, or "-" when not measured. */
static const char *fmt_ms(char *buf, size_t len, int64_t ns)
{
	if (ns == BB_NONE)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.3f", (double)ns / BB_NS_PER_MS);
	return buf;
}

static void print_series(struct headless *h, const struct model_series *ms,
			 enum stats_window w, const char *prefix)
{
	struct stats_summary st;
	char t[32], a[16], b[16], c[16], d[16];
	stats_log_summary(ms->stats, w, clock_mono_ns(), &st);
	stamp(t, sizeof(t));
	if (ms->last.flags & BB_SAMPLE_NO_SESSION) {
		fprintf(h->out,
			"%s %s %-11s %-20s no session with %s (wrong key, "
			"server down or port blocked?)\n",
			t, prefix, sample_kind_name(ms->kind), ms->target,
			ms->server);
		return;
	}
	fprintf(h->out,
		"%s %s %-11s %-20s %s%s%s p50 %s p95 %s max %s ms  jitter %s "
		"ms  loss %.1f%% (%u/%u) longest run %u  [%s]\n",
		t, prefix, sample_kind_name(ms->kind), ms->target,
		ms->interface[0] ? "via " : "", ms->interface,
		ms->interface[0] ? " " : "", fmt_ms(a, sizeof(a), st.p50),
		fmt_ms(b, sizeof(b), st.p95), fmt_ms(c, sizeof(c), st.max),
		fmt_ms(d, sizeof(d), st.ipdv_mean), st.loss_pct, st.lost,
		st.count, st.loss_run_longest, stats_window_name(w));
}

/* A companion server's figures the windows do not keep, from the model
 * (the screens read the same): the newest bufferbloat result per phase
 * and the echo losses by direction since the start. */
static void print_server(struct headless *h, const struct model_server *sv,
			 const char *prefix)
{
	static const char *const phase[MODEL_BLOAT_N] = { "up", "down",
							  "both" };
	char line[512], t[32], a[16], b[16];
	int n = 0;
	for (int p = 0; p < MODEL_BLOAT_N; p++) {
		const struct model_bloat *bl = &sv->bloat[p];
		if (!bl->have)
			continue;
		if (!bl->ok)
			n += snprintf(line + n, sizeof(line) - (size_t)n,
				      "  bloat %s failed (%s)", phase[p],
				      bl->detail);
		else
			n += snprintf(
				line + n, sizeof(line) - (size_t)n,
				"  bloat %s %s %+.0f ms (idle %s -> loaded %s "
				"ms) rpm %d",
				phase[p], bl->grade[0] ? bl->grade : "?",
				bl->increase_ns == BB_NONE
					? 0.0
					: (double)bl->increase_ns /
						  BB_NS_PER_MS,
				fmt_ms(a, sizeof(a), bl->idle_ns),
				fmt_ms(b, sizeof(b), bl->loaded_ns), bl->rpm);
		if (n >= (int)sizeof(line))
			n = (int)sizeof(line) - 1;
	}
	if (sv->lost_up || sv->lost_down)
		n += snprintf(line + n, sizeof(line) - (size_t)n,
			      "  echo lost up %llu down %llu",
			      (unsigned long long)sv->lost_up,
			      (unsigned long long)sv->lost_down);
	if (!n)
		return;
	stamp(t, sizeof(t));
	fprintf(h->out, "%s %s server %s%s\n", t, prefix, sv->server, line);
}

static void print_status(struct headless *h, enum stats_window w,
			 const char *prefix)
{
	struct model *model = monitor_model(h->monitor);
	for (size_t i = 0; i < model_count(model); i++)
		print_series(h, model_at(model, i), w, prefix);
	for (size_t i = 0; i < model_server_count(model); i++)
		print_server(h, model_server_at(model, i), prefix);
	/* detection: the verdict in plain words (core/detect) */
	char verdict[1024], t[32];
	detect_verdict(monitor_detect(h->monitor), verdict, sizeof(verdict));
	stamp(t, sizeof(t));
	fprintf(h->out, "%s %s verdict: %s\n", t, prefix, verdict);
	struct monitor_status s;
	monitor_status(h->monitor, &s);
	if (s.dropped_engine || s.dropped_storage || s.store_failures) {
		fprintf(h->out,
			"%s %s WARNING samples dropped: %llu by full queues, "
			"%llu by the database; %llu failed writes, %llu "
			"samples waiting to be written\n",
			t, prefix, (unsigned long long)s.dropped_engine,
			(unsigned long long)s.dropped_storage,
			(unsigned long long)s.store_failures,
			(unsigned long long)s.store_pending);
	}
	fflush(h->out);
}

static void on_status(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct headless *h = t->data;
	print_status(h, h->window, "status");
}

/* One line per event change: start, update (rare) and end. */
static void on_event(void *ctx, const struct bb_event *ev)
{
	struct headless *h = ctx;
	char t[32];
	stamp(t, sizeof(t));
	bool known = false;
	for (unsigned i = 0; i < 64 && i < h->n_announced; i++) {
		const struct announced *a = &h->announced[i];
		known |= a->start_ms == ev->start_ms &&
			 strcmp(a->kind, ev->kind) == 0 &&
			 strcmp(a->target, ev->target) == 0 &&
			 strcmp(a->interface, ev->interface) == 0;
	}
	if (!known && ev->end_ms == 0) {
		struct announced *a = &h->announced[h->n_announced++ % 64];
		a->start_ms = ev->start_ms;
		memcpy(a->kind, ev->kind, sizeof(a->kind));
		memcpy(a->target, ev->target, sizeof(a->target));
		memcpy(a->interface, ev->interface, sizeof(a->interface));
	}
	const char *state = ev->end_ms == 0 ? known ? "update" : "start"
			    : ev->end_ms == ev->start_ms ? "once"
							 : "end";
	fprintf(h->out, "%s event %s %s %s: %s\n", t, state, ev->kind,
		bb_severity_name(ev->severity), ev->description);
	fflush(h->out);
}

static int open_log(struct headless *h)
{
	if (!h->log_path[0]) {
		h->out = stdout;
		return 0;
	}
	FILE *f = fopen(h->log_path, "a");
	if (!f)
		return -errno;
	setvbuf(f, NULL, _IOLBF, 0);
	if (h->out && h->out != stdout)
		fclose(h->out);
	h->out = f;
	return 0;
}

static void on_sighup(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct headless *h = w->data;
	int rc = open_log(h);
	if (rc < 0)
		fprintf(stderr, "bufferbane: cannot reopen %s: %s\n",
			h->log_path, strerror(-rc));
}

/* The smallest window that holds a full status period. */
static enum stats_window window_for(int seconds)
{
	for (int w = 0; w < STATS_WINDOW_COUNT; w++)
		if (stats_window_ns(w) >= (int64_t)seconds * BB_NS_PER_S)
			return w;
	return STATS_1H;
}

static void print_plan(struct headless *h)
{
	const struct engine_plan *p = monitor_plan(h->monitor);
	const struct bb_config *c = monitor_config(h->monitor);
	char t[32];
	stamp(t, sizeof(t));
	fprintf(h->out,
		"%s start bufferbane %s, %zu probes, config %s, db %s\n", t,
		BB_VERSION, p->n_probes,
		c->source_path[0] ? c->source_path : "(built-in defaults)",
		c->general.database_path);
	for (size_t i = 0; i < p->n_probes; i++) {
		const struct engine_probe *ep = &p->probes[i];
		char addr[64];
		if (ep->target.addr.ss_family == AF_UNSPEC)
			snprintf(addr, sizeof(addr), "%s",
				 ep->resolve_host[0] ? "(not resolved yet)"
						     : "(none yet)");
		else
			sock_addr_to_text(
				(const struct sockaddr *)&ep->target.addr, addr,
				sizeof(addr));
		fprintf(h->out, "%s probe %-11s %-20s %s every %lld ms%s%s\n",
			t, ep->ops->name, ep->target.name, addr,
			(long long)(ep->interval_ns / BB_NS_PER_MS),
			ep->target.interface[0] ? " via " : "",
			ep->target.interface);
	}
	fflush(h->out);
}

int headless_main(const struct monitor_options *o)
{
	char err[512];
	int code;
	struct headless h = { 0 };
	h.monitor = monitor_new(o, err, sizeof(err), &code);
	if (!h.monitor) {
		fprintf(stderr, "bufferbane: %s\n", err);
		return code;
	}
	const struct bb_config *c = monitor_config(h.monitor);
	snprintf(h.log_path, sizeof(h.log_path), "%s", c->logging.file);
	if (open_log(&h) < 0) {
		fprintf(stderr, "bufferbane: cannot open log %s: %s\n",
			h.log_path, strerror(errno));
		monitor_free(h.monitor);
		return 1;
	}
	if (h.out == stdout)
		setvbuf(stdout, NULL, _IOLBF, 0);
	int every = o->status_interval_s ? o->status_interval_s
					 : c->output.status_interval_s;
	h.window = window_for(every);
	print_plan(&h);
	monitor_on_event(h.monitor, on_event, &h);

	struct ev_loop *loop = monitor_loop(h.monitor);
	ev_timer_init(&h.status_timer, on_status, every, every);
	h.status_timer.data = &h;
	ev_timer_start(loop, &h.status_timer);
	ev_signal_init(&h.sighup, on_sighup, SIGHUP);
	h.sighup.data = &h;
	ev_signal_start(loop, &h.sighup);

	int rc = monitor_start(h.monitor);
	if (rc < 0) {
		fprintf(stderr, "bufferbane: cannot start: %s\n",
			strerror(-rc));
		monitor_free(h.monitor);
		return 1;
	}
	monitor_run(h.monitor);

	ev_timer_stop(loop, &h.status_timer);
	ev_signal_stop(loop, &h.sighup);
	/* Stop probing and flush the database before the summary, so its
	 * counts are final. */
	monitor_finish(h.monitor);
	print_status(&h, STATS_1H, "summary");
	struct monitor_status s;
	monitor_status(h.monitor, &s);
	char t[32];
	stamp(t, sizeof(t));
	fprintf(h.out, "%s stop %llu samples, %llu stored, %llu dropped\n", t,
		(unsigned long long)s.samples, (unsigned long long)s.stored,
		(unsigned long long)(s.dropped_engine + s.dropped_storage));
	int lost = s.dropped_engine + s.dropped_storage > 0;
	monitor_free(h.monitor);
	if (h.out != stdout)
		fclose(h.out);
	return lost ? 1 : 0;
}
