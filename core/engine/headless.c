// SPDX-License-Identifier: MIT
/*
 * bufferbane -d: the monitor without a screen.  One status line per series
 * every output.status_interval_s, one line per event, a summary at exit,
 * through the monitor's log (core/base/logsink.h: stdout, logging.file or
 * syslog, filtered by logging.level).  SIGHUP (the monitor's) reopens the
 * file (logrotate) and reloads the configuration (monitor_reload).
 *
 * Levels: critical events at error and above; warning events, dropped
 * samples and keys that need a restart at warning; start, probes, status
 * lines, verdict, info events, reloads and the summary at info; every
 * sample at debug.
 */
#include "core/engine/headless.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <ev.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/base/clock.h"
#include "core/base/config.h"
#include "core/base/logsink.h"
#include "core/analysis/detect.h"
#include "core/engine/engine.h"
#include "core/analysis/event.h"
#include "core/analysis/model.h"
#include "core/analysis/path.h"
#include "core/base/sock.h"
#include "core/analysis/stats.h"

struct headless {
	struct monitor *monitor;
	struct logsink *log;
	ev_timer status_timer;
	enum stats_window window;
	/* Open events already announced, to tell a start from an update:
	 * an event is (kind, place, start) and a ring this size outlives any
	 * plausible number of simultaneously open events. */
	struct announced {
		struct bb_event ev;
	} announced[64];
	unsigned n_announced;
	/* Paths printed once found, and again after each change. */
	struct shown_path {
		char target[BB_TARGET_LEN];
		char interface[BB_IFNAME_LEN];
		uint64_t changes;
	} paths[PATH_MAX_PATHS];
	unsigned n_paths;
	/* Starts not printed yet: a one-off event (detect's oneshot) is
	 * raised and ended in the same callback chain, and must read as one
	 * "once" line, not "start" then "once"; the rest are printed when the
	 * loop is about to wait (ev_prepare). */
	struct bb_event pending[8];
	unsigned n_pending;
	ev_prepare flush;
	/* The verdict as the run ended, taken before monitor_finish closes
	 * the open events: a line still down at the end is not "no problem
	 * right now" in the summary. */
	char final_verdict[1024];
	int64_t started_mono_ns;
};

/* ns -> "12.345" ms, or "-" when not measured. */
static const char *fmt_ms(char *buf, size_t len, int64_t ns)
{
	if (ns == BB_NONE)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.3f", (double)ns / BB_NS_PER_MS);
	return buf;
}

/* Seconds -> "45 s", "5 min", "1 h": the span a status or summary line's
 * figures cover. */
static const char *fmt_span(char *buf, size_t len, int64_t s)
{
	if (s < 120)
		snprintf(buf, len, "%lld s", (long long)s);
	else if (s % 3600 == 0)
		snprintf(buf, len, "%lld h", (long long)(s / 3600));
	else
		snprintf(buf, len, "%lld min", (long long)((s + 30) / 60));
	return buf;
}

/* kbit/s -> "19.8" Mbit/s (every rate in the same unit), "-" unknown. */
static const char *fmt_mbps(char *buf, size_t len, int64_t kbps)
{
	if (kbps == BB_NONE)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.1f", (double)kbps / 1000.0);
	return buf;
}

/* The span window w covers now: all of it, or the time since the start
 * when the monitor has run less long (a one-minute run: "60 s"). */
static int64_t covered_s(const struct headless *h, enum stats_window w)
{
	int64_t up = clock_mono_ns() - h->started_mono_ns;
	int64_t win = stats_window_ns(w);
	return ((up < win ? up : win) + BB_NS_PER_S / 2) / BB_NS_PER_S;
}

static void print_series(struct headless *h, const struct model_series *ms,
			 enum stats_window w, const char *prefix)
{
	struct stats_summary st;
	char a[16], b[16], c[16], d[16], span[16];
	stats_log_summary(ms->stats, w, clock_mono_ns(), &st);
	fmt_span(span, sizeof(span), covered_s(h, w));
	/* the server line carries the bufferbloat results (in ms) */
	if (ms->kind == BB_KIND_BUFFERBLOAT)
		return;
	if (ms->last.flags & BB_SAMPLE_NO_SESSION) {
		/* why, when known (not sent, port refused); else the three
		 * causes silence leaves */
		const char *why = sample_no_session_why(&ms->last);
		logsink_printf(h->log, LOGSINK_INFO,
			       "%s %-11s %-20s no session with %s (%s)", prefix,
			       sample_kind_name(ms->kind), ms->target,
			       ms->server, why ? why : BB_NO_SESSION_GUESSES);
		return;
	}
	if (ms->kind == BB_KIND_UPLOAD || ms->kind == BB_KIND_DOWNLOAD) {
		int64_t last = ms->last.status == BB_STATUS_OK
				       ? ms->last.throughput_kbps
				       : BB_NONE;
		logsink_printf(h->log, LOGSINK_INFO,
			       "%s %-11s %-20s %s%s%s last %s p50 %s max %s "
			       "Mbit/s  failed %u/%u  [%s]",
			       prefix, sample_kind_name(ms->kind), ms->target,
			       ms->interface[0] ? "via " : "", ms->interface,
			       ms->interface[0] ? " " : "",
			       fmt_mbps(a, sizeof(a), last),
			       fmt_mbps(b, sizeof(b), st.p50),
			       fmt_mbps(c, sizeof(c), st.max), st.lost,
			       st.count, span);
		return;
	}
	logsink_printf(
		h->log, LOGSINK_INFO,
		"%s %-11s %-20s %s%s%s p50 %s p95 %s max %s ms  jitter %s "
		"ms  loss %.1f%% (%u/%u) longest run %u  [%s]",
		prefix, sample_kind_name(ms->kind), ms->target,
		ms->interface[0] ? "via " : "", ms->interface,
		ms->interface[0] ? " " : "", fmt_ms(a, sizeof(a), st.p50),
		fmt_ms(b, sizeof(b), st.p95), fmt_ms(c, sizeof(c), st.max),
		fmt_ms(d, sizeof(d), st.ipdv_mean), st.loss_pct, st.lost,
		st.count, st.loss_run_longest, span);
}

/* A companion server's figures the windows do not keep, from the model
 * (the screens read the same): the newest bufferbloat result per phase
 * and the echo losses by direction since the start. */
static void print_server(struct headless *h, const struct model_server *sv,
			 const char *prefix)
{
	static const char *const phase[MODEL_BLOAT_N] = { "up", "down",
							  "both" };
	char line[512], a[16], b[16];
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
				"  bloat %s %s +%.1f ms (idle %s -> loaded %s "
				"ms) rpm %d",
				phase[p], bl->grade[0] ? bl->grade : "?",
				/* a loaded RTT below the idle one is no
				 * bloat, not "-0 ms" */
				bl->increase_ns == BB_NONE ||
						bl->increase_ns < 0
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
	logsink_printf(h->log, LOGSINK_INFO, "%s server %s%s", prefix,
		       sv->server, line);
}

/* One line per traced path (model_paths), hop by hop over each hop's last
 * PATH_WINDOW probes, and who the loss belongs to (path_blame): a hop's
 * own loss is its router's (rate-limited answers), loss that carries on
 * to the target is the line's. */
static void print_path(struct headless *h, const struct path_view *v,
		       const char *prefix)
{
	char line[1536], a[16], b[16];
	size_t n = 0;
	for (int i = 0; i < v->n_hops && n < sizeof(line); i++) {
		const struct path_hop *hp = &v->hop[i];
		const char *whose = path_hop_whose(v, i);
		int w = snprintf(line + n, sizeof(line) - n,
				 " | %d %s loss %.0f%%%s p50 %s p95 %s ms",
				 i + 1, hp->addr[0] ? hp->addr : "*",
				 hp->loss_pct, whose,
				 fmt_ms(a, sizeof(a), hp->p50_ns),
				 fmt_ms(b, sizeof(b), hp->p95_ns));
		if (w < 0)
			break;
		n += (size_t)w;
	}
	char words[512];
	path_words(v, false, words, sizeof(words));
	logsink_printf(h->log, LOGSINK_INFO,
		       "%s path %-20s %s%s%s%d hop%s%s%s | %s", prefix,
		       v->target, v->interface[0] ? "via " : "", v->interface,
		       v->interface[0] ? " " : "", v->n_hops,
		       v->n_hops == 1 ? "" : "s",
		       v->dest_ttl ? "" : " (target not reached yet)",
		       n ? line : "", words);
}

static void verdict_now(struct headless *h, char *buf, size_t len)
{
	detect_verdict(monitor_detect(h->monitor), buf, len);
	path_verdict(model_paths(monitor_model(h->monitor)), buf, len);
}

static void print_status(struct headless *h, enum stats_window w,
			 const char *prefix)
{
	struct model *model = monitor_model(h->monitor);
	for (size_t i = 0; i < model_count(model); i++)
		print_series(h, model_at(model, i), w, prefix);
	const struct path_table *paths = model_paths(model);
	for (size_t i = 0; i < paths->n; i++)
		print_path(h, &paths->path[i], prefix);
	for (size_t i = 0; i < model_server_count(model); i++)
		print_server(h, model_server_at(model, i), prefix);
	/* detection: the verdict in plain words (core/detect) */
	char verdict[1024];
	if (h->final_verdict[0])
		snprintf(verdict, sizeof(verdict), "%s", h->final_verdict);
	else
		verdict_now(h, verdict, sizeof(verdict));
	logsink_printf(h->log, LOGSINK_INFO, "%s verdict: %s", prefix, verdict);
	struct monitor_status s;
	monitor_status(h->monitor, &s);
	if (s.dropped_engine || s.dropped_storage || s.store_failures) {
		logsink_printf(
			h->log, LOGSINK_WARNING,
			"%s WARNING samples dropped: %llu by full queues, "
			"%llu by the database; %llu failed writes, %llu "
			"samples waiting to be written",
			prefix, (unsigned long long)s.dropped_engine,
			(unsigned long long)s.dropped_storage,
			(unsigned long long)s.store_failures,
			(unsigned long long)s.store_pending);
	}
}

static void on_status(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct headless *h = t->data;
	print_status(h, h->window, "status");
}

static bool same_event(const struct bb_event *a, const struct bb_event *b)
{
	return a->start_ms == b->start_ms && strcmp(a->kind, b->kind) == 0 &&
	       strcmp(a->target, b->target) == 0 &&
	       strcmp(a->interface, b->interface) == 0;
}

/* "event start packet_loss warning 127.0.0.1 via wlan0: ..." */
static void print_event(struct headless *h, const struct bb_event *ev,
			const char *state)
{
	enum logsink_level lv = ev->severity == BB_SEV_CRITICAL ? LOGSINK_CRIT
				: ev->severity == BB_SEV_WARNING
					? LOGSINK_WARNING
					: LOGSINK_INFO;
	logsink_printf(h->log, lv, "event %s %s %s%s%s%s%s: %s", state,
		       ev->kind, bb_severity_name(ev->severity),
		       ev->target[0] ? " " : "", ev->target,
		       ev->interface[0] ? " via " : "", ev->interface,
		       ev->description);
}

static void flush_pending(struct headless *h)
{
	for (unsigned i = 0; i < h->n_pending; i++)
		print_event(h, &h->pending[i], "start");
	h->n_pending = 0;
}

static void on_prepare(struct ev_loop *loop, ev_prepare *w, int revents)
{
	flush_pending(w->data);
}

/* One line per event change: start, update (rare) and end; "once" for an
 * event that ended as it started. */
static void on_event(void *ctx, const struct bb_event *ev)
{
	struct headless *h = ctx;
	bool known = false;
	for (unsigned i = 0; i < 64 && i < h->n_announced; i++)
		known |= same_event(&h->announced[i].ev, ev);
	if (!known && ev->end_ms == 0) {
		struct announced *a = &h->announced[h->n_announced++ % 64];
		a->ev = *ev;
		if (h->n_pending == sizeof(h->pending) / sizeof(h->pending[0]))
			flush_pending(h);
		h->pending[h->n_pending++] = *ev;
		return;
	}
	for (unsigned i = 0; i < h->n_pending; i++) {
		if (!same_event(&h->pending[i], ev))
			continue;
		if (ev->end_ms == 0) { /* an update before the start printed */
			h->pending[i] = *ev;
			return;
		}
		memmove(&h->pending[i], &h->pending[i + 1],
			(h->n_pending - i - 1) * sizeof(h->pending[0]));
		h->n_pending--;
		if (ev->end_ms != ev->start_ms)
			print_event(h, ev, "start");
		break;
	}
	print_event(h, ev,
		    ev->end_ms == 0		 ? "update"
		    : ev->end_ms == ev->start_ms ? "once"
						 : "end");
}

/* A path's line once the target first answered, and after each change
 * (the path_change event line says what changed, this the whole path). */
static void path_news(struct headless *h, const struct bb_sample *smp)
{
	const struct path_view *v = model_path(monitor_model(h->monitor),
					       smp->interface, smp->target);
	if (!v || !v->dest_ttl)
		return;
	struct shown_path *sp = NULL;
	for (unsigned i = 0; i < h->n_paths && !sp; i++)
		if (!strcmp(h->paths[i].target, v->target) &&
		    !strcmp(h->paths[i].interface, v->interface))
			sp = &h->paths[i];
	if (sp && sp->changes == v->changes)
		return;
	if (!sp && h->n_paths < PATH_MAX_PATHS) {
		sp = &h->paths[h->n_paths++];
		memcpy(sp->target, v->target, sizeof(sp->target));
		memcpy(sp->interface, v->interface, sizeof(sp->interface));
	} else if (!sp) {
		return;
	}
	sp->changes = v->changes;
	print_path(h, v, v->changes ? "changed" : "found");
}

/* Every sample, at debug level. */
static void on_sample(void *ctx, const struct bb_sample *smp)
{
	struct headless *h = ctx;
	char a[16];
	if (smp->kind == BB_KIND_PATH)
		path_news(h, smp);
	if (!logsink_wants(h->log, LOGSINK_DEBUG))
		return;
	if (smp->kind == BB_KIND_TRAFFIC) {
		logsink_printf(h->log, LOGSINK_DEBUG,
			       "sample traffic     %-20s %s%s%srx %" PRId64
			       " tx %" PRId64 " kbit/s%s%s",
			       smp->target, smp->interface[0] ? "via " : "",
			       smp->interface, smp->interface[0] ? " " : "",
			       smp->rx_kbps == BB_NONE ? -1 : smp->rx_kbps,
			       smp->tx_kbps == BB_NONE ? -1 : smp->tx_kbps,
			       smp->detail[0] ? " " : "", smp->detail);
		return;
	}
	if (smp->kind == BB_KIND_PATH) {
		logsink_printf(h->log, LOGSINK_DEBUG,
			       "sample path        %-20s hop %u %s %s %s",
			       smp->target, smp->hop,
			       smp->hop_addr[0] ? smp->hop_addr : "*",
			       sample_status_name(smp->status),
			       fmt_ms(a, sizeof(a), smp->rtt_ns));
		return;
	}
	logsink_printf(h->log, LOGSINK_DEBUG, "sample %-11s %-20s %s%s%s %s %s",
		       sample_kind_name(smp->kind), smp->target,
		       smp->interface[0] ? "via " : "", smp->interface,
		       smp->interface[0] ? " " : "",
		       smp->status == BB_STATUS_OK ? "ok" : "lost",
		       fmt_ms(a, sizeof(a), smp->rtt_ns));
}

/* The smallest window that holds a full status period. */
static enum stats_window window_for(int seconds)
{
	for (int w = 0; w < STATS_WINDOW_COUNT; w++)
		if (stats_window_ns(w) >= (int64_t)seconds * BB_NS_PER_S)
			return w;
	return STATS_1H;
}

static void print_plan(struct headless *h, bool no_db)
{
	const struct engine_plan *p = monitor_plan(h->monitor);
	const struct bb_config *c = monitor_config(h->monitor);
	logsink_printf(h->log, LOGSINK_INFO,
		       "start bufferbane %s, %zu probes, config %s, db %s",
		       BB_VERSION, p->n_probes,
		       c->source_path[0] ? c->source_path
					 : "(built-in defaults)",
		       no_db ? "none (--no-db)" : c->general.database_path);
	for (size_t i = 0; i < p->n_probes; i++) {
		const struct engine_probe *ep = &p->probes[i];
		char addr[64];
		if (ep->target.kind == BB_KIND_TRAFFIC)
			snprintf(addr, sizeof(addr), "(byte counters)");
		else if (ep->target.addr.ss_family == AF_UNSPEC)
			snprintf(addr, sizeof(addr), "%s",
				 ep->resolve_host[0] ? "(not resolved yet)"
						     : "(none yet)");
		else
			sock_addr_to_text(
				(const struct sockaddr *)&ep->target.addr, addr,
				sizeof(addr));
		/* a companion server: its port too (--server changes it) */
		uint16_t port =
			ep->target.addr.ss_family == AF_INET6
				? ntohs(((const struct sockaddr_in6 *)&ep
						 ->target.addr)
						->sin6_port)
				: ntohs(((const struct sockaddr_in *)&ep->target
						 .addr)
						->sin_port);
		char shown[96];
		if (ep->target.kind == BB_KIND_UDP_ECHO && port)
			snprintf(shown, sizeof(shown), "%s%s%s:%u",
				 strchr(addr, ':') ? "[" : "", addr,
				 strchr(addr, ':') ? "]" : "", port);
		else
			snprintf(shown, sizeof(shown), "%s", addr);
		logsink_printf(h->log, LOGSINK_INFO,
			       "probe %-11s %-20s %s every %lld ms%s%s",
			       ep->ops->name, ep->target.name, shown,
			       (long long)(ep->interval_ns / BB_NS_PER_MS),
			       ep->target.interface[0] ? " via " : "",
			       ep->target.interface);
	}
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
	h.log = monitor_log(h.monitor);
	setvbuf(stdout, NULL, _IOLBF, 0);
	int every = o->status_interval_s ? o->status_interval_s
					 : c->output.status_interval_s;
	h.window = window_for(every);
	print_plan(&h, o->no_db);
	monitor_on_event(h.monitor, on_event, &h);
	monitor_on_sample(h.monitor, on_sample, &h);

	struct ev_loop *loop = monitor_loop(h.monitor);
	ev_timer_init(&h.status_timer, on_status, every, every);
	h.status_timer.data = &h;
	ev_timer_start(loop, &h.status_timer);
	ev_prepare_init(&h.flush, on_prepare);
	h.flush.data = &h;
	ev_prepare_start(loop, &h.flush);
	h.started_mono_ns = clock_mono_ns();

	int rc = monitor_start(h.monitor);
	if (rc < 0) {
		fprintf(stderr, "bufferbane: cannot start: %s\n",
			strerror(-rc));
		monitor_free(h.monitor);
		return 1;
	}
	monitor_run(h.monitor);

	ev_timer_stop(loop, &h.status_timer);
	verdict_now(&h, h.final_verdict, sizeof(h.final_verdict));
	/* Stop probing and flush the database before the summary, so its
	 * counts are final. */
	monitor_finish(h.monitor);
	ev_prepare_stop(loop, &h.flush);
	flush_pending(&h);
	print_status(&h, STATS_1H, "summary");
	struct monitor_status s;
	monitor_status(h.monitor, &s);
	logsink_printf(
		h.log, LOGSINK_INFO,
		"stop %llu samples, %llu stored, %llu dropped",
		(unsigned long long)s.samples, (unsigned long long)s.stored,
		(unsigned long long)(s.dropped_engine + s.dropped_storage));
	int lost = s.dropped_engine + s.dropped_storage > 0;
	monitor_free(h.monitor);
	return lost ? 1 : 0;
}
