// SPDX-License-Identifier: MIT
/*
 * Prometheus /metrics (see metrics.h).  The text is built whole on the main
 * thread and swapped in under a mutex; libmicrohttpd's one internal polling
 * thread copies it out per request.  We bind the listening socket ourselves
 * so that a busy port is reported with its errno, not as a bare NULL from
 * MHD_start_daemon.
 *
 * Metric choices (the README's "Fleet" section lists them):
 * - delays are summaries in seconds: quantiles 0.5/0.95/0.99 over the 60 s
 *   rolling window (the one the detector's figures use; it spans any usual
 *   scrape interval), _sum/_count over every answered probe since the start
 *   (so rate(_sum)/rate(_count) is the mean over any PromQL range) — the
 *   same meaning as a client library's Summary with a max age;
 * - grades are numbers (A+ 5 .. F 0, higher is better) with the letter as
 *   a label, so both `< 3` alerts and legends work.
 */
#include "core/engine/metrics.h"

#include <errno.h>
#include <math.h>
#include <microhttpd.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/analysis/detect.h"
#include "core/analysis/model.h"
#include "core/analysis/path.h"
#include "core/base/clock.h"
#include "core/base/sock.h"
#include "core/engine/monitor.h"

#define METRICS_CONN_LIMIT   256 /* open connections, hung ones included */
#define METRICS_CONN_TIMEOUT 10	 /* s of silence before MHD drops one */
#define CONTENT_TYPE	     "text/plain; version=0.0.4; charset=utf-8"

/* ---- tally ------------------------------------------------------------ */

static bool is_delay_kind(int kind)
{
	return kind == BB_KIND_ICMP || kind == BB_KIND_UDP_ECHO ||
	       kind == BB_KIND_DNS || kind == BB_KIND_TCP_CONNECT;
}

void metrics_tally_add(struct metrics_tally *t, const struct model_series *ms,
		       const struct bb_sample *s)
{
	/* the windows' rules: annotations repeat a counted probe, an echo
	 * without a session measured nothing */
	if (!ms || (s->flags & (BB_SAMPLE_LATE | BB_SAMPLE_DUPLICATE |
				BB_SAMPLE_NO_SESSION)))
		return;
	struct metrics_count *c = NULL;
	for (size_t i = 0; i < t->n && !c; i++)
		if (t->series[i].ms == ms)
			c = &t->series[i];
	if (!c) {
		if (t->n == MODEL_MAX_SERIES)
			return;
		c = &t->series[t->n++];
		memset(c, 0, sizeof(*c));
		c->ms = ms;
	}
	c->probes++;
	if (s->status != BB_STATUS_OK) {
		c->lost++;
		return;
	}
	if (is_delay_kind(s->kind) && s->rtt_ns != BB_NONE && s->rtt_ns >= 0) {
		c->ok++;
		c->sum += (double)s->rtt_ns / BB_NS_PER_S;
	}
}

static const struct metrics_count *tally_of(const struct metrics_tally *t,
					    const struct model_series *ms)
{
	for (size_t i = 0; t && i < t->n; i++)
		if (t->series[i].ms == ms)
			return &t->series[i];
	return NULL;
}

/* ---- text ------------------------------------------------------------- */

struct mbuf {
	char *p;
	size_t len, cap;
	bool oom;
};

static void mb_grow(struct mbuf *b, size_t need)
{
	if (b->oom || b->len + need < b->cap)
		return;
	size_t cap = b->cap ? b->cap : 16384;
	while (b->len + need >= cap)
		cap *= 2;
	char *p = realloc(b->p, cap);
	if (!p) {
		b->oom = true;
		return;
	}
	b->p = p;
	b->cap = cap;
}

__attribute__((format(printf, 2, 3))) static void
mb_printf(struct mbuf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->oom = true;
		return;
	}
	mb_grow(b, (size_t)n + 1);
	if (b->oom)
		return;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

static void mb_putc(struct mbuf *b, char c)
{
	mb_grow(b, 2);
	if (b->oom)
		return;
	b->p[b->len++] = c;
	b->p[b->len] = '\0';
}

/* A label value: backslash, double quote and line feed escaped (the text
 * format's only three). */
static void mb_label(struct mbuf *b, const char *name, const char *value,
		     bool first)
{
	mb_printf(b, "%s%s=\"", first ? "" : ",", name);
	for (const char *c = value; *c; c++) {
		if (*c == '\\' || *c == '"')
			mb_putc(b, '\\');
		if (*c == '\n') {
			mb_printf(b, "\\n");
			continue;
		}
		mb_putc(b, *c);
	}
	mb_putc(b, '"');
}

static void family(struct mbuf *b, const char *name, const char *type,
		   const char *help)
{
	mb_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void value(struct mbuf *b, double v)
{
	if (isnan(v))
		mb_printf(b, " NaN\n");
	else
		mb_printf(b, " %.9g\n", v);
}

static double secs(int64_t ns)
{
	return ns == BB_NONE ? NAN : (double)ns / BB_NS_PER_S;
}

static void series_labels(struct mbuf *b, const struct model_series *ms)
{
	mb_label(b, "interface", ms->interface, true);
	mb_label(b, "target", ms->target, false);
	mb_label(b, "server", ms->server, false);
	mb_label(b, "probe", sample_kind_name(ms->kind), false);
}

/* One delay summary over the series of KIND (KIND2 too, -1 = none). */
static void delay_summary(struct mbuf *b, const struct metrics_view *v,
			  const char *name, int kind, int kind2,
			  const char *help)
{
	static const struct {
		const char *q;
		size_t off;
	} qs[] = { { "0.5", offsetof(struct stats_summary, p50) },
		   { "0.95", offsetof(struct stats_summary, p95) },
		   { "0.99", offsetof(struct stats_summary, p99) } };
	bool any = false;
	for (size_t i = 0; i < model_count(v->model); i++) {
		const struct model_series *ms = model_at(v->model, i);
		if ((int)ms->kind != kind && (int)ms->kind != kind2)
			continue;
		if (!any)
			family(b, name, "summary", help);
		any = true;
		struct stats_summary st;
		stats_log_summary(ms->stats, METRICS_WINDOW, v->now_mono_ns,
				  &st);
		for (size_t q = 0; q < sizeof(qs) / sizeof(qs[0]); q++) {
			int64_t ns;
			memcpy(&ns, (const char *)&st + qs[q].off, sizeof(ns));
			mb_printf(b, "%s{", name);
			series_labels(b, ms);
			mb_label(b, "quantile", qs[q].q, false);
			mb_printf(b, "}");
			value(b, secs(ns));
		}
		const struct metrics_count *c = tally_of(v->tally, ms);
		mb_printf(b, "%s_sum{", name);
		series_labels(b, ms);
		mb_printf(b, "} %.17g\n", c ? c->sum : 0.);
		mb_printf(b, "%s_count{", name);
		series_labels(b, ms);
		mb_printf(b, "} %llu\n", c ? (unsigned long long)c->ok : 0ULL);
	}
}

/* A gauge per delay series from its window summary (NaN when empty). */
static void window_gauge(struct mbuf *b, const struct metrics_view *v,
			 const char *name, const char *help, bool rtt_only,
			 double (*get)(const struct stats_summary *))
{
	bool any = false;
	for (size_t i = 0; i < model_count(v->model); i++) {
		const struct model_series *ms = model_at(v->model, i);
		if (!is_delay_kind(ms->kind) ||
		    (rtt_only && ms->kind != BB_KIND_ICMP &&
		     ms->kind != BB_KIND_UDP_ECHO))
			continue;
		if (!any)
			family(b, name, "gauge", help);
		any = true;
		struct stats_summary st;
		stats_log_summary(ms->stats, METRICS_WINDOW, v->now_mono_ns,
				  &st);
		mb_printf(b, "%s{", name);
		series_labels(b, ms);
		mb_printf(b, "}");
		value(b, get(&st));
	}
}

static double get_loss(const struct stats_summary *st)
{
	return st->count ? (double)st->lost / st->count : NAN;
}

static double get_jitter(const struct stats_summary *st)
{
	return secs(st->ipdv_mean);
}

static void probe_counters(struct mbuf *b, const struct metrics_view *v,
			   bool lost)
{
	const char *name = lost ? "bufferbane_probes_lost_total"
				: "bufferbane_probes_total";
	family(b, name, "counter",
	       lost ? "Probes that timed out or failed since the start "
		      "(echoes without a session excluded)."
		    : "Probes sent since the start (echoes without a session "
		      "excluded).");
	for (size_t i = 0; i < model_count(v->model); i++) {
		const struct model_series *ms = model_at(v->model, i);
		if (ms->kind == BB_KIND_BUFFERBLOAT)
			continue;
		const struct metrics_count *c = tally_of(v->tally, ms);
		mb_printf(b, "%s{", name);
		series_labels(b, ms);
		mb_printf(b, "} %llu\n",
			  c ? (unsigned long long)(lost ? c->lost : c->probes)
			    : 0ULL);
	}
}

/* The newest echo's one-way delays (they need a synced clock). */
static void one_way(struct mbuf *b, const struct metrics_view *v)
{
	bool any = false;
	for (size_t i = 0; i < model_count(v->model); i++) {
		const struct model_series *ms = model_at(v->model, i);
		const struct bb_sample *s = &ms->last;
		if (ms->kind != BB_KIND_UDP_ECHO || !ms->samples ||
		    s->status != BB_STATUS_OK ||
		    (s->up_delay_ns == BB_NONE && s->down_delay_ns == BB_NONE))
			continue;
		if (!any)
			family(b, "bufferbane_one_way_delay_seconds", "gauge",
			       "One-way delay of the newest answered echo, "
			       "with the clock synced to the server.");
		any = true;
		for (int d = 0; d < 2; d++) {
			int64_t ns = d ? s->down_delay_ns : s->up_delay_ns;
			if (ns == BB_NONE)
				continue;
			mb_printf(b, "bufferbane_one_way_delay_seconds{");
			series_labels(b, ms);
			mb_label(b, "direction", d ? "down" : "up", false);
			mb_printf(b, "}");
			value(b, secs(ns));
		}
	}
}

static void throughput(struct mbuf *b, const struct metrics_view *v)
{
	bool any = false;
	for (size_t i = 0; i < model_count(v->model); i++) {
		const struct model_series *ms = model_at(v->model, i);
		struct stats_summary st;
		if (ms->kind != BB_KIND_UPLOAD && ms->kind != BB_KIND_DOWNLOAD)
			continue;
		/* the newest successful test in the last hour */
		stats_log_summary(ms->stats, STATS_1H, v->now_mono_ns, &st);
		int64_t kbps = ms->last.status == BB_STATUS_OK
				       ? ms->last.throughput_kbps
				       : BB_NONE;
		if (kbps == BB_NONE || !st.count)
			continue;
		if (!any)
			family(b, "bufferbane_throughput_bytes_per_second",
			       "gauge",
			       "IP-layer rate of the newest throughput test.");
		any = true;
		mb_printf(b, "bufferbane_throughput_bytes_per_second{");
		mb_label(b, "interface", ms->interface, true);
		mb_label(b, "target", ms->target, false);
		mb_label(b, "server", ms->server, false);
		mb_label(b, "direction",
			 ms->kind == BB_KIND_UPLOAD ? "up" : "down", false);
		mb_printf(b, "}");
		value(b, (double)kbps * 1000. / 8.); /* kbit/s -> bytes/s */
	}
}

/* The path probe's hops (core/analysis/path.h), over each hop's last
 * PATH_WINDOW probes: loss split as the blame rule splits it (the line's,
 * carried on to the target, and the router's own), p50/p95, and per path
 * the first hop whose line loses packets. */
static void path_labels(struct mbuf *b, const struct path_view *p, int i)
{
	char hop[12]; /* any int: -Wformat-truncation in every build */
	snprintf(hop, sizeof(hop), "%d", i + 1);
	mb_label(b, "interface", p->interface, true);
	mb_label(b, "target", p->target, false);
	mb_label(b, "hop", hop, false);
	mb_label(b, "addr", p->hop[i].addr, false);
}

static void path_hops(struct mbuf *b, const struct metrics_view *v)
{
	const struct path_table *t = model_paths(v->model);
	if (!t->n)
		return;
	family(b, "bufferbane_path_hop_loss_ratio", "gauge",
	       "Probes of a path hop unanswered, of its last 32: "
	       "whose=\"line\" "
	       "is the loss that carries on to the target, whose=\"own\" the "
	       "router's own (rate-limited answers).");
	for (size_t k = 0; k < t->n; k++)
		for (int i = 0; i < t->path[k].n_hops; i++) {
			const struct path_hop *h = &t->path[k].hop[i];
			if (!h->sent)
				continue;
			for (int own = 0; own < 2; own++) {
				mb_printf(b, "bufferbane_path_hop_loss_ratio{");
				path_labels(b, &t->path[k], i);
				mb_label(b, "whose", own ? "own" : "line",
					 false);
				mb_printf(b, "}");
				value(b, (own ? h->own_loss_pct
					      : h->path_loss_pct) /
						 100.);
			}
		}
	/* a summary of quantiles only: a hop's window has no sum worth
	 * a rate() */
	family(b, "bufferbane_path_hop_rtt_seconds", "summary",
	       "Round-trip time to a path hop: quantiles over its last 32 "
	       "probes.");
	for (size_t k = 0; k < t->n; k++)
		for (int i = 0; i < t->path[k].n_hops; i++) {
			const struct path_hop *h = &t->path[k].hop[i];
			if (h->p50_ns == BB_NONE)
				continue;
			for (int q = 0; q < 2; q++) {
				mb_printf(b,
					  "bufferbane_path_hop_rtt_seconds{");
				path_labels(b, &t->path[k], i);
				mb_label(b, "quantile", q ? "0.95" : "0.5",
					 false);
				mb_printf(b, "}");
				value(b, secs(q ? h->p95_ns : h->p50_ns));
			}
		}
	family(b, "bufferbane_path_lossy_hop", "gauge",
	       "First hop from which the line loses packets to the target "
	       "(2 % or more carried on), 0 none.");
	for (size_t k = 0; k < t->n; k++) {
		mb_printf(b, "bufferbane_path_lossy_hop{");
		mb_label(b, "interface", t->path[k].interface, true);
		mb_label(b, "target", t->path[k].target, false);
		mb_printf(b, "}");
		value(b, t->path[k].lossy_hop);
	}
}

/* Each probed interface's newest receive and transmit rates (every byte
 * of the host, from the kernel's counters). */
static void traffic(struct mbuf *b, const struct metrics_view *v)
{
	static const char *const name[2] = {
		"bufferbane_interface_rx_bits_per_second",
		"bufferbane_interface_tx_bits_per_second"
	};
	for (int d = 0; d < 2; d++) {
		bool any = false;
		for (size_t i = 0; i < model_traffic_count(v->model); i++) {
			const struct model_traffic *t =
				model_traffic_at(v->model, i);
			int64_t kbps = d ? t->tx_kbps : t->rx_kbps;
			if (!t->ok || kbps == BB_NONE)
				continue;
			if (!any)
				family(b, name[d], "gauge",
				       d ? "Newest transmit rate of the "
					   "interface (all of the host's "
					   "traffic)."
					 : "Newest receive rate of the "
					   "interface (all of the host's "
					   "traffic).");
			any = true;
			mb_printf(b, "%s{", name[d]);
			mb_label(b, "interface", t->interface, true);
			mb_label(b, "device", t->device, false);
			mb_printf(b, "}");
			value(b, (double)kbps * 1000.);
		}
	}
}

static int grade_number(const char *g)
{
	static const char *const order[] = { "F", "D", "C", "B", "A", "A+" };
	for (int i = 0; i < 6; i++)
		if (!strcmp(g, order[i]))
			return i;
	return -1;
}

static const char *const phase_name[MODEL_BLOAT_N] = { "up", "down", "both" };

/* One gauge per server and phase with a result; WHICH picks the figure. */
static void bloat_family(struct mbuf *b, const struct metrics_view *v,
			 const char *name, const char *help, int which)
{
	bool any = false;
	for (size_t i = 0; i < model_server_count(v->model); i++) {
		const struct model_server *sv = model_server_at(v->model, i);
		for (int p = 0; p < MODEL_BLOAT_N; p++) {
			const struct model_bloat *bl = &sv->bloat[p];
			double x;
			if (!bl->have || !bl->ok)
				continue;
			switch (which) {
			case 0:
				x = secs(bl->increase_ns);
				break;
			case 1:
				x = grade_number(bl->grade);
				break;
			case 2:
				x = secs(bl->idle_ns);
				break;
			case 3:
				x = secs(bl->loaded_ns);
				break;
			case 4:
				x = bl->rpm < 0 ? NAN : bl->rpm;
				break;
			default:
				x = (double)bl->at_ms / 1000.;
				break;
			}
			if (which == 1 && x < 0)
				continue;
			if (!any)
				family(b, name, "gauge", help);
			any = true;
			mb_printf(b, "%s{", name);
			mb_label(b, "server", sv->server, true);
			mb_label(b, "direction", phase_name[p], false);
			if (which == 1)
				mb_label(b, "grade", bl->grade, false);
			mb_printf(b, "}");
			value(b, x);
		}
	}
}

static void servers(struct mbuf *b, const struct metrics_view *v)
{
	bloat_family(b, v, "bufferbane_bufferbloat_increase_seconds",
		     "Median RTT under load minus idle, newest test per "
		     "server and load direction.",
		     0);
	bloat_family(b, v, "bufferbane_bufferbloat_grade",
		     "Bufferbloat grade of the newest test: A+ 5, A 4, B 3, "
		     "C 2, D 1, F 0 (the letter is the grade label).",
		     1);
	bloat_family(b, v, "bufferbane_bufferbloat_idle_seconds",
		     "Median RTT before the load, newest test.", 2);
	bloat_family(b, v, "bufferbane_bufferbloat_loaded_seconds",
		     "Median RTT under load, newest test.", 3);
	bloat_family(b, v, "bufferbane_bufferbloat_rpm",
		     "Round trips per minute under load, newest test.", 4);
	bloat_family(b, v, "bufferbane_bufferbloat_timestamp_seconds",
		     "Unix time the newest test started.", 5);

	bool any = false;
	for (size_t i = 0; i < model_server_count(v->model); i++) {
		const struct model_server *sv = model_server_at(v->model, i);
		if (!any)
			family(b, "bufferbane_echo_lost_total", "counter",
			       "Lost echoes by the direction they died in "
			       "(the server's request counter tells).");
		any = true;
		for (int d = 0; d < 2; d++) {
			mb_printf(b, "bufferbane_echo_lost_total{");
			mb_label(b, "server", sv->server, true);
			mb_label(b, "direction", d ? "down" : "up", false);
			mb_printf(b, "} %llu\n",
				  (unsigned long long)(d ? sv->lost_down
							 : sv->lost_up));
		}
	}
	/* a session is up while the echoes are answered or lost on the
	 * line; the newest echo flagged NO_SESSION says it is not */
	any = false;
	for (size_t i = 0; i < model_count(v->model); i++) {
		const struct model_series *ms = model_at(v->model, i);
		if (ms->kind != BB_KIND_UDP_ECHO || !ms->samples)
			continue;
		if (!any)
			family(b, "bufferbane_server_session", "gauge",
			       "1 while a session with the companion server "
			       "is up, 0 while there is none (wrong key, "
			       "server down or port blocked).");
		any = true;
		mb_printf(b, "bufferbane_server_session{");
		mb_label(b, "interface", ms->interface, true);
		mb_label(b, "server", ms->server, false);
		mb_printf(b, "} %d\n",
			  (ms->last.flags & BB_SAMPLE_NO_SESSION) ? 0 : 1);
	}
}

static void events(struct mbuf *b, const struct metrics_view *v)
{
	if (!v->detect)
		return;
	family(b, "bufferbane_events_open", "gauge",
	       "Events open now, by kind (DETECTION.md alert catalog).");
	for (int i = 0; detect_alert_name(i); i++) {
		mb_printf(b, "bufferbane_events_open{");
		mb_label(b, "kind", detect_alert_name(i), true);
		mb_printf(b, "} %zu\n",
			  detect_open_of_kind(v->detect, detect_alert_name(i)));
	}
}

static void counter(struct mbuf *b, const char *name, const char *help,
		    uint64_t n)
{
	family(b, name, "counter", help);
	mb_printf(b, "%s %llu\n", name, (unsigned long long)n);
}

static void status(struct mbuf *b, const struct monitor_status *s)
{
	if (!s)
		return;
	counter(b, "bufferbane_samples_total",
		"Samples delivered by the probes since the start.", s->samples);
	counter(b, "bufferbane_samples_stored_total",
		"Samples written to the database since the start.", s->stored);
	family(b, "bufferbane_samples_dropped_total", "counter",
	       "Samples lost since the start: full worker queues (queue) or "
	       "the database, after retries (storage).");
	mb_printf(b,
		  "bufferbane_samples_dropped_total{reason=\"queue\"} %llu\n",
		  (unsigned long long)s->dropped_engine);
	mb_printf(b,
		  "bufferbane_samples_dropped_total{reason=\"storage\"} %llu\n",
		  (unsigned long long)s->dropped_storage);
	family(b, "bufferbane_samples_pending", "gauge",
	       "Samples waiting in memory for the database.");
	mb_printf(b, "bufferbane_samples_pending %llu\n",
		  (unsigned long long)s->store_pending);
	counter(b, "bufferbane_store_failed_batches_total",
		"Batch writes to the database that failed (and were retried).",
		s->store_failures);
}

int metrics_render(const struct metrics_view *v, char **text, size_t *len)
{
	struct mbuf b = { 0 };
	family(&b, "bufferbane_build_info", "gauge",
	       "Always 1; the version is a label.");
	mb_printf(&b, "bufferbane_build_info{version=\"%s\"} 1\n", BB_VERSION);
	delay_summary(&b, v, "bufferbane_rtt_seconds", BB_KIND_ICMP,
		      BB_KIND_UDP_ECHO,
		      "Round-trip time of ICMP and UDP echo probes: quantiles "
		      "over the last 60 s, sum and count since the start.");
	delay_summary(&b, v, "bufferbane_dns_seconds", BB_KIND_DNS, -1,
		      "DNS resolution time: quantiles over the last 60 s, sum "
		      "and count since the start.");
	delay_summary(&b, v, "bufferbane_tcp_connect_seconds",
		      BB_KIND_TCP_CONNECT, -1,
		      "TCP connect time (SYN to established): quantiles over "
		      "the last 60 s, sum and count since the start.");
	window_gauge(&b, v, "bufferbane_loss_ratio",
		     "Lost probes / probes sent over the last 60 s (NaN when "
		     "none was sent).",
		     false, get_loss);
	window_gauge(&b, v, "bufferbane_jitter_seconds",
		     "Mean |IPDV| of consecutive answered probes over the last "
		     "60 s (RFC 3393).",
		     true, get_jitter);
	if (model_count(v->model)) {
		probe_counters(&b, v, false);
		probe_counters(&b, v, true);
	}
	one_way(&b, v);
	throughput(&b, v);
	traffic(&b, v);
	path_hops(&b, v);
	servers(&b, v);
	events(&b, v);
	status(&b, v->status);
	if (b.oom) {
		free(b.p);
		return -ENOMEM;
	}
	*text = b.p;
	*len = b.len;
	return 0;
}

/* ---- HTTP ------------------------------------------------------------- */

struct metrics {
	struct MHD_Daemon *daemon;
	int fd;
	pthread_mutex_t lock;
	char *text; /* guarded by lock */
	size_t len;
};

static enum MHD_Result reply(struct MHD_Connection *c, unsigned code,
			     const char *body, const char *allow)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(
		strlen(body), (void *)body, MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				"text/plain; charset=utf-8");
	if (allow)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
	enum MHD_Result ret = MHD_queue_response(c, code, r);
	MHD_destroy_response(r);
	return ret;
}

/* HTTP thread.  Answers on the first call (no request here has a body we
 * want); a body sent anyway is left unread and the connection closed. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
				  const char *url, const char *method,
				  const char *version, const char *upload,
				  size_t *upload_size, void **con_cls)
{
	struct metrics *mx = cls;
	bool get = !strcmp(method, MHD_HTTP_METHOD_GET);
	if (!get && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED,
			     "only GET and HEAD\n", "GET, HEAD");
	if (strcmp(url, "/metrics"))
		return reply(c, MHD_HTTP_NOT_FOUND,
			     "not found: bufferbane serves /metrics\n", NULL);
	pthread_mutex_lock(&mx->lock);
	size_t len = mx->len;
	char *copy = malloc(len ? len : 1);
	if (copy)
		memcpy(copy, mx->text, len);
	pthread_mutex_unlock(&mx->lock);
	if (!copy)
		return MHD_NO;
	struct MHD_Response *r = MHD_create_response_from_buffer(
		len, copy, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(copy);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, CONTENT_TYPE);
	enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

static int listen_on(const char *text, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	/* sin_port and sin6_port share their place */
	if (sock_parse_addr(text, 0, &ss, &sl) < 0 ||
	    ((struct sockaddr_in *)&ss)->sin_port == 0) {
		snprintf(err, errlen,
			 "metrics.listen \"%s\": not an address:port "
			 "(e.g. \"127.0.0.1:9877\" or \"[::1]:9877\")",
			 text);
		return -EINVAL;
	}
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;
	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    (ss.ss_family == AF_INET6 &&
	     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) <
		     0) ||
	    bind(fd, (struct sockaddr *)&ss, sl) < 0 || listen(fd, 64) < 0 ||
	    sock_set_nonblock(fd) < 0) {
		int e = errno;
		snprintf(err, errlen, "metrics.listen %s: %s", text,
			 strerror(e));
		if (fd >= 0)
			close(fd);
		return -e;
	}
	return fd;
}

struct metrics *metrics_start(const char *listen, char *err, size_t errlen)
{
	struct metrics *mx = calloc(1, sizeof(*mx));
	if (!mx) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&mx->lock, NULL);
	mx->fd = listen_on(listen, err, errlen);
	if (mx->fd < 0) {
		pthread_mutex_destroy(&mx->lock);
		free(mx);
		return NULL;
	}
	/* The HTTP thread takes none of our signals (SIGINT, SIGHUP ...). */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	mx->daemon = MHD_start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO, 0, NULL, NULL,
		on_request, mx, MHD_OPTION_LISTEN_SOCKET, mx->fd,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)METRICS_CONN_LIMIT,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)METRICS_CONN_TIMEOUT,
		MHD_OPTION_END);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!mx->daemon) {
		snprintf(err, errlen,
			 "metrics.listen %s: cannot start the HTTP server",
			 listen);
		pthread_mutex_destroy(&mx->lock);
		free(mx);
		return NULL;
	}
	return mx;
}

void metrics_publish(struct metrics *mx, char *text, size_t len)
{
	pthread_mutex_lock(&mx->lock);
	char *old = mx->text;
	mx->text = text;
	mx->len = len;
	pthread_mutex_unlock(&mx->lock);
	free(old);
}

void metrics_stop(struct metrics *mx)
{
	if (!mx)
		return;
	MHD_stop_daemon(mx->daemon); /* closes the listening socket too */
	pthread_mutex_destroy(&mx->lock);
	free(mx->text);
	free(mx);
}
