// SPDX-License-Identifier: MIT
/*
 * The frame around every view (see view.h): header with the mode, clocks,
 * rate and the verdict; the replay timeline; the footer drawn from the key
 * table; the message line; the help overlay; the "enlarge" message.  Also
 * the small formatting and selection helpers the views share.
 */
#include "tui/view.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/analysis/detect.h"
#include "core/analysis/detect_diag.h"
#include "core/base/clock.h"
#include "core/analysis/model.h"
#include "core/analysis/stats.h"
#include "core/store/history.h"
#include "core/store/store.h"
#include "core/probe/kind.h"
#include "tui/evlog.h"
#include "tui/gauge.h"
#include "tui/keys.h"
#include "tui/trace.h"

static const struct view_ops *const views[VIEW_COUNT] = {
	[VIEW_DASHBOARD] = &view_dashboard, [VIEW_DRILLDOWN] = &view_drilldown,
	[VIEW_EVENTS] = &view_events,	    [VIEW_IFACES] = &view_ifaces,
	[VIEW_PATH] = &view_path,
};

int view_ui_init(struct ui *ui)
{
	memset(ui, 0, sizeof(*ui));
	ui->view = VIEW_DASHBOARD;
	ui->window = STATS_60S;
	ui->span = SPAN_10M;
	ui->dd_kind = -1;
	ui->src.load_left_s = -1;
	ui->sel_drawn = ui->sel_series = -1;
	ui->scratch = malloc(STATS_MAX_ENTRIES * sizeof(int64_t));
	ui->scratch2 = malloc(STATS_MAX_ENTRIES * sizeof(int64_t));
	if (!ui->scratch || !ui->scratch2) {
		view_ui_fini(ui);
		return -ENOMEM;
	}
	return 0;
}

void view_ui_fini(struct ui *ui)
{
	free(ui->scratch);
	free(ui->scratch2);
	ui->scratch = ui->scratch2 = NULL;
}

/* ---- shared helpers ------------------------------------------------------ */

static bool is_delay_kind(int kind)
{
	return kind_is_delay(kind);
}

const char *view_sort_name(enum view_sort s)
{
	static const char *const names[SORT_COUNT] = { [SORT_NONE] = "",
						       [SORT_NAME] = "name",
						       [SORT_P95] = "p95",
						       [SORT_LOSS] = "loss" };
	return (unsigned)s < SORT_COUNT ? names[s] : "";
}

/* Sort keys of one row: the window's figures without our own load. */
struct row_key {
	size_t i;
	const struct model_series *ms;
	int64_t p95;
	double loss;
};

static int by_name(const struct row_key *a, const struct row_key *b)
{
	int c = strcmp(a->ms->target, b->ms->target);

	if (!c)
		c = strcmp(a->ms->interface, b->ms->interface);
	if (!c)
		c = (int)a->ms->kind - (int)b->ms->kind;
	return c ? c : (a->i > b->i) - (a->i < b->i);
}

/* worst first; rows without a figure last */
static int by_p95(const struct row_key *a, const struct row_key *b)
{
	if (a->p95 != b->p95)
		return a->p95 == BB_NONE ? 1
		       : b->p95 == BB_NONE
			       ? -1
			       : (a->p95 < b->p95) - (a->p95 > b->p95);
	return by_name(a, b);
}

static int by_loss(const struct row_key *a, const struct row_key *b)
{
	if (a->loss != b->loss)
		return (a->loss < b->loss) - (a->loss > b->loss);
	return by_p95(a, b);
}

static int cmp_name(const void *a, const void *b)
{
	return by_name(a, b);
}

static int cmp_p95(const void *a, const void *b)
{
	return by_p95(a, b);
}

static int cmp_loss(const void *a, const void *b)
{
	return by_loss(a, b);
}

static void sort_rows(const struct ui *ui, size_t *idx, size_t n)
{
	struct row_key k[MODEL_MAX_SERIES];
	struct stats_summary st;

	if (n > MODEL_MAX_SERIES)
		n = MODEL_MAX_SERIES;
	for (size_t r = 0; r < n; r++) {
		k[r].i = idx[r];
		k[r].ms = model_at(ui->src.model, idx[r]);
		if (ui->sort != SORT_NAME) {
			stats_log_summary_quiet(k[r].ms->stats, ui->window,
						ui->src.now_mono_ns, &st);
			k[r].p95 = st.p95;
			k[r].loss = st.loss_pct;
		}
	}
	qsort(k, n, sizeof(k[0]),
	      ui->sort == SORT_NAME  ? cmp_name
	      : ui->sort == SORT_P95 ? cmp_p95
				     : cmp_loss);
	for (size_t r = 0; r < n; r++)
		idx[r] = k[r].i;
}

size_t view_rows(const struct ui *ui, size_t *idx, size_t max)
{
	const struct model *m = ui->src.model;
	size_t n = 0, count = m ? model_count(m) : 0;
	bool filt = ui->filter[0] && ui->view == VIEW_DASHBOARD;

	for (size_t i = 0; i < count && n < max; i++) {
		const struct model_series *ms = model_at(m, i);

		if (!is_delay_kind(ms->kind))
			continue;
		if (filt && !strcasestr(ms->target, ui->filter) &&
		    !strcasestr(ms->interface, ui->filter) &&
		    !strcasestr(sample_kind_name(ms->kind), ui->filter))
			continue;
		idx[n++] = i;
	}
	if (ui->sort != SORT_NONE && n > 1)
		sort_rows(ui, idx, n);
	return n;
}

const struct model_series *view_dd_series(const struct ui *ui)
{
	const struct model *m = ui->src.model;

	if (!m || ui->dd_kind < 0)
		return NULL;
	for (size_t i = 0; i < model_count(m); i++) {
		const struct model_series *ms = model_at(m, i);

		if ((int)ms->kind == ui->dd_kind &&
		    !strcmp(ms->target, ui->dd_target) &&
		    !strcmp(ms->interface, ui->dd_iface))
			return ms;
	}
	return NULL;
}

void view_fmt_ms(char *out, size_t size, int64_t ns)
{
	double ms = (double)ns / 1e6;

	if (ns == BB_NONE)
		snprintf(out, size, "-");
	else if (ms < 10)
		snprintf(out, size, "%.2f", ms);
	else if (ms < 100)
		snprintf(out, size, "%.1f", ms);
	else
		snprintf(out, size, "%.0f", ms);
}

void view_fmt_dur(char *out, size_t size, int64_t s)
{
	if (s < 0)
		s = 0;
	if (s < 60)
		snprintf(out, size, "%llds", (long long)s);
	else if (s < 3600)
		snprintf(out, size, "%lldm%02llds", (long long)(s / 60),
			 (long long)(s % 60));
	else if (s < 86400)
		snprintf(out, size, "%lldh%02lldm", (long long)(s / 3600),
			 (long long)(s / 60 % 60));
	else
		snprintf(out, size, "%lldd%02lldh", (long long)(s / 86400),
			 (long long)(s / 3600 % 24));
}

void view_fmt_countdown(char *out, size_t size, int64_t left_ns,
			int64_t total_ns)
{
	/* both up: the total rounded down read "14 s left of ~13 s" */
	int64_t left = (left_ns + BB_NS_PER_S - 1) / BB_NS_PER_S;
	int64_t total = (total_ns + BB_NS_PER_S - 1) / BB_NS_PER_S;

	if (left > total)
		left = total;
	snprintf(out, size, "%lld s left of ~%lld s", (long long)left,
		 (long long)total);
}

void view_fmt_clock(char *out, size_t size, int64_t ms, bool with_date)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(out, size, with_date ? "%Y-%m-%d %H:%M:%S" : "%H:%M:%S", &tm);
}

/* The local day REF falls in, [from_ms, to_ms): one conversion for a
 * frame's worth of comparisons (localtime per event was most of a
 * frame with a full event log). */
struct local_day {
	int64_t from_ms, to_ms;
};

static struct local_day local_day_of(int64_t ref)
{
	time_t t = (time_t)(ref / 1000);
	struct tm tm;

	localtime_r(&t, &tm);
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_isdst = -1;
	int64_t from = (int64_t)mktime(&tm) * 1000;
	tm.tm_mday++; /* mktime normalises; a DST day is 23 or 25 h */
	tm.tm_isdst = -1;
	return (struct local_day){ from, (int64_t)mktime(&tm) * 1000 };
}

static bool in_day(const struct local_day *d, int64_t ms)
{
	return ms >= d->from_ms && ms < d->to_ms;
}

/* "HH:MM:SS", or with the date "MM-DD HH:MM" (as wide as a week needs). */
static void fmt_when(char *out, size_t size, int64_t ms, bool dated)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(out, size, dated ? "%m-%d %H:%M" : "%H:%M:%S", &tm);
}

enum cellbuf_role view_rtt_role(int64_t ns)
{
	if (ns == BB_NONE)
		return ROLE_DIM;
	if (ns >= 250 * 1000000LL)
		return ROLE_BAD;
	if (ns >= 100 * 1000000LL)
		return ROLE_WARN;
	return ROLE_NORMAL;
}

enum cellbuf_role view_loss_role(double pct)
{
	if (pct >= 2.0)
		return ROLE_BAD;
	if (pct > 0.0)
		return ROLE_WARN;
	return ROLE_OK;
}

enum cellbuf_role view_sev_role(unsigned severity)
{
	return severity == BB_SEV_CRITICAL  ? ROLE_BAD
	       : severity == BB_SEV_WARNING ? ROLE_WARN
					    : ROLE_DIM;
}

bool view_event_match(const struct ui *ui, const struct bb_event *ev)
{
	const char *f = ui->filter;

	if (!f[0])
		return true;
	return strcasestr(ev->kind, f) ||
	       strcasestr(bb_severity_name(ev->severity), f) ||
	       strcasestr(ev->target, f) || strcasestr(ev->interface, f) ||
	       strcasestr(ev->server, f) || strcasestr(ev->description, f);
}

/* The kind column, so the descriptions line up ("time_sync_established"
 * pushed its own out): as wide as the catalog's longest name, or below 100
 * columns 18, the longer names cut with "…", to leave the words room. */
static int kind_width(int w)
{
	int kw = detect_alert_name_width();

	return w < 100 && kw > 18 ? 18 : kw;
}

/* The events view_event_lines shows, in its order. */
static bool event_shown(const struct ui *ui, const struct bb_event *ev,
			const char *target, int64_t hide_before_ms)
{
	if (target && strcmp(ev->target, target) != 0)
		return false;
	if (ev->end_ms && ev->end_ms < hide_before_ms)
		return false;
	return ui->view != VIEW_EVENTS || view_event_match(ui, ev);
}

int view_event_lines(struct ui *ui, struct cellbuf *cb, int y, int h,
		     const char *target, int sel, int64_t hide_before_ms)
{
	const struct evlog *l = ui->src.events;
	bool a = cellbuf_ascii(cb), dated = false;
	int w = cellbuf_width(cb), k = 0, first = 0, kw = kind_width(w);
	size_t n = l ? evlog_count(l) : 0;
	/* narrow: no severity word and no padding, the colour says it, so
	 * the kind is not pushed out ("05:50:42 warning 21s …") */
	bool narrow = w < 60;

	if (sel >= h)
		first = sel - h + 1;
	/* a week's events read "20:30:10" five times from different days:
	 * the date when any of them is not from the clock's day */
	struct local_day today = local_day_of(ui->src.now_ms);

	for (size_t i = 0; i < n && !dated; i++) {
		const struct bb_event *ev = evlog_at(l, i);

		dated = !in_day(&today, ev->start_ms) &&
			event_shown(ui, ev, target, hide_before_ms);
	}
	if (narrow)
		kw = 0;
	for (size_t i = 0; i < n; i++) {
		const struct bb_event *ev = evlog_at(l, i);
		char t[32], d[24], line[512], kind[BB_EVENT_KIND_LEN + 4];
		int64_t end = ev->end_ms ? ev->end_ms : ui->src.now_ms;
		int row = k - first, x = 1;
		enum cellbuf_role sr = view_sev_role(ev->severity);
		bool selected = k == sel;

		if (!event_shown(ui, ev, target, hide_before_ms))
			continue;
		k++;
		if (row < 0 || row >= h)
			continue;
		if (kw && (int)strlen(ev->kind) > kw) /* not in our catalog */
			snprintf(kind, sizeof(kind), "%.*s%s", kw - 1, ev->kind,
				 view_g(cb, "…", "~"));
		else
			snprintf(kind, sizeof(kind), "%s", ev->kind);
		if (selected)
			cellbuf_fill(cb, 0, y + row, w, 1, ' ', ROLE_SELECT, 0);
		fmt_when(t, sizeof(t), ev->start_ms, dated);
		if (history_event_instant(ev)) /* a result: no length */
			snprintf(d, sizeof(d), "-");
		else
			view_fmt_dur(d, sizeof(d), (end - ev->start_ms) / 1000);
		x += cellbuf_put(cb, x, y + row, t,
				 selected ? ROLE_SELECT : ROLE_DIM, 0) +
		     1;
		if (!narrow)
			x += cellbuf_printf(cb, x, y + row,
					    selected ? ROLE_SELECT : sr,
					    CELLBUF_BOLD, "%-8s",
					    bb_severity_name(ev->severity)) +
			     1;
		if (ev->end_ms == 0)
			x += cellbuf_printf(cb, x, y + row,
					    selected ? ROLE_SELECT : ROLE_BAD,
					    CELLBUF_BOLD,
					    narrow ? "%s%s" : "%s %-7s",
					    a ? "*" : "●", d) +
			     1;
		else
			x += cellbuf_printf(cb, x, y + row,
					    selected ? ROLE_SELECT : ROLE_DIM,
					    0, narrow ? "%s" : "  %-7s", d) +
			     1;
		if (narrow) { /* the kind in the severity's colour */
			int kmax = w - x - 1;

			if (cellbuf_utf8_width(kind) > kmax) /* one word */
				snprintf(kind, sizeof(kind), "%.*s%s",
					 kmax > 1 ? kmax - 1 : 0, ev->kind,
					 view_g(cb, "…", "~"));
			if (kmax > 1)
				x += cellbuf_put(cb, x, y + row, kind,
						 selected ? ROLE_SELECT : sr,
						 CELLBUF_BOLD) +
				     1;
			kind[0] = 0;
		}
		/* where: the target and, when the event has one, the
		 * interface (a WiFi problem must not read as the wire's) */
		snprintf(line, sizeof(line), "%s%*s%s%s%s%s%s%s", kind,
			 kw ? kw - cellbuf_utf8_width(kind) : 0, "",
			 kw ? " " : "", ev->target[0] ? ev->target : "",
			 ev->target[0] && ev->interface[0] ? " " : "",
			 ev->interface[0] ? "via " : "", ev->interface,
			 ev->target[0] || ev->interface[0] ? ": " : "");
		snprintf(line + strlen(line), sizeof(line) - strlen(line), "%s",
			 ev->description);
		if (w - x - 1 > 0)
			view_put_words(cb, x, y + row, w - x - 1, line,
				       selected ? ROLE_SELECT : ROLE_NORMAL, 0);
	}
	return k;
}

const char *view_g(const struct cellbuf *cb, const char *utf8,
		   const char *ascii)
{
	return cellbuf_ascii(cb) ? ascii : utf8;
}

void view_section(struct cellbuf *cb, int y, const char *title,
		  const char *right, bool focused)
{
	int w = cellbuf_width(cb);

	cellbuf_hline(cb, 0, y, w, ROLE_DIM);
	cellbuf_printf(cb, 1, y, ROLE_TITLE, CELLBUF_BOLD, " %s%s ",
		       focused ? view_g(cb, "▸ ", "> ") : "", title);
	if (right && right[0]) {
		int rw = cellbuf_utf8_width(right) + 2;

		cellbuf_printf(cb, w - rw - 1, y, ROLE_DIM, 0, " %s ", right);
	}
}

bool view_history_of(const struct ui_history *h, const struct model_series *ms)
{
	return ms && h->kind == (int)ms->kind &&
	       !strcmp(h->target, ms->target) &&
	       !strcmp(h->iface, ms->interface) &&
	       !strcmp(h->server, ms->server);
}

void view_history_reset(struct ui_history *h, const struct model_series *ms,
			int64_t from_ms)
{
	h->valid = false;
	if (ms) {
		h->kind = (int)ms->kind;
		snprintf(h->target, sizeof(h->target), "%s", ms->target);
		snprintf(h->iface, sizeof(h->iface), "%s", ms->interface);
		snprintf(h->server, sizeof(h->server), "%s", ms->server);
	}
	h->from_ms = from_ms - from_ms % 60000;
	for (size_t i = 0; i < UI_HIST_MINUTES; i++) {
		h->minute[i] = TRACE_NODATA;
		h->minute_sent[i] = h->minute_lost[i] = 0;
	}
}

static uint32_t add_count(uint32_t a, int64_t b)
{
	return b <= 0				? a
	       : b >= (int64_t)(UINT32_MAX - a) ? UINT32_MAX
						: a + (uint32_t)b;
}

void view_history_add(struct ui_history *h, const struct store_agg *row)
{
	int64_t i = (row->bucket_ms - h->from_ms) / 60000;
	int64_t *m;

	if (row->bucket_ms < h->from_ms || i >= UI_HIST_MINUTES ||
	    row->count <= 0)
		return;
	m = &h->minute[i];
	h->minute_sent[i] = add_count(h->minute_sent[i], row->count);
	h->minute_lost[i] = add_count(h->minute_lost[i], row->lost);
	if (row->lost < row->count && !isnan(row->max) &&
	    (!trace_is_value(*m) || row->max * 1e6 > (double)*m))
		*m = (int64_t)(row->max * 1e6 + 0.5);
	else if (*m == TRACE_NODATA && row->lost > 0)
		*m = TRACE_LOST; /* nothing answered in that minute (yet) */
}

int64_t view_interval_ns(const struct ui *ui, const struct model_series *ms)
{
	struct stats_summary st;

	stats_log_summary(ms->stats, STATS_60S, ui->src.now_mono_ns, &st);
	if (st.count >= 2)
		return 60 * 1000000000LL / st.count;
	stats_log_summary(ms->stats, STATS_1H, ui->src.now_mono_ns, &st);
	if (st.count >= 2)
		return 3600 * 1000000000LL / st.count;
	return 1000000000LL;
}

/* ---- the frame ----------------------------------------------------------- */

/* One field of the header line. */
struct hfield {
	char text[64];
	enum cellbuf_role role;
	unsigned attr;
	int prio;  /* 0 kept; the highest dropped first (ties: rightmost) */
	bool glue; /* one space before it, not two */
	bool on;
};

static struct hfield *hfield_add(struct hfield *f, int *n, int prio, bool glue,
				 enum cellbuf_role role, unsigned attr,
				 const char *fmt, ...)
	__attribute__((format(printf, 7, 8)));
static struct hfield *hfield_add(struct hfield *f, int *n, int prio, bool glue,
				 enum cellbuf_role role, unsigned attr,
				 const char *fmt, ...)
{
	struct hfield *h = &f[(*n)++];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(h->text, sizeof(h->text), fmt, ap);
	va_end(ap);
	h->role = role;
	h->attr = attr;
	h->prio = prio;
	h->glue = glue;
	h->on = true;
	return h;
}

static int hfields_width(const struct hfield *f, int n)
{
	int w = 1, shown = 0;

	for (int i = 0; i < n; i++)
		if (f[i].on)
			w += (shown++ ? (f[i].glue && f[i - 1].on ? 1 : 2)
				      : 0) +
			     cellbuf_utf8_width(f[i].text);
	return w;
}

/* The header line: whole fields, the least important dropped first when
 * the line is narrow (at 40 columns "REPLAY paused 1800×  05:50:42", not
 * "... 2026-1"). */
static void draw_header(struct ui *ui, struct cellbuf *cb)
{
	const struct ui_source *s = &ui->src;
	int w = cellbuf_width(cb), x = 1, n = 0, shown = 0;
	char t[40], u[24];
	bool a = cellbuf_ascii(cb);
	struct hfield f[12];

	cellbuf_fill(cb, 0, 0, w, 1, ' ', ROLE_NORMAL, 0);
	hfield_add(f, &n, 3, false, ROLE_TITLE, CELLBUF_BOLD, "bufferbane");
	if (s->replay) {
		hfield_add(f, &n, 0, false, ROLE_WARN, CELLBUF_BOLD,
			   "REPLAY %s %d%s",
			   s->playing ? (a ? ">" : "▶") : "paused", s->speed,
			   a ? "x" : "×");
		if (s->speed_auto)
			hfield_add(f, &n, 7, true, ROLE_WARN, CELLBUF_BOLD,
				   "auto");
		view_fmt_clock(t, sizeof(t), s->now_ms, true);
		t[10] = 0; /* the date, then the time */
		hfield_add(f, &n, 2, false, ROLE_NORMAL, CELLBUF_BOLD, "%s", t);
		if (s->step_ms % 1000) /* a step must show on the clock */
			hfield_add(f, &n, 1, true, ROLE_NORMAL, CELLBUF_BOLD,
				   "%s.%03d", t + 11, (int)(s->now_ms % 1000));
		else
			hfield_add(f, &n, 1, true, ROLE_NORMAL, CELLBUF_BOLD,
				   "%s", t + 11);
	} else {
		hfield_add(f, &n, 0, false, ROLE_OK, CELLBUF_BOLD, "LIVE");
		view_fmt_dur(u, sizeof(u), s->uptime_s);
		hfield_add(f, &n, 4, false, ROLE_NORMAL, 0, "up %s", u);
		view_fmt_clock(t, sizeof(t), s->now_ms, false);
		hfield_add(f, &n, 1, false, ROLE_NORMAL, 0, "%s", t);
	}
	hfield_add(f, &n, 6, false, ROLE_DIM, 0, "%.1f samples/s", s->rate);
	hfield_add(f, &n, 5, false, ROLE_DIM, 0, "window %s",
		   stats_window_name(ui->window));
	if (s->dropped)
		hfield_add(f, &n, 0, false, ROLE_BAD, CELLBUF_BOLD,
			   "%llu samples dropped",
			   (unsigned long long)s->dropped);
	if (ui->paused && !s->replay)
		hfield_add(f, &n, 0, false, ROLE_WARN,
			   CELLBUF_BOLD | CELLBUF_REVERSE, " PAUSED ");
	while (hfields_width(f, n) > w) {
		int drop = -1;

		for (int i = 0; i < n; i++)
			if (f[i].on && f[i].prio > 0 &&
			    (drop < 0 || f[i].prio >= f[drop].prio))
				drop = i;
		if (drop < 0)
			break;
		f[drop].on = false;
	}
	for (int i = 0; i < n; i++) {
		if (!f[i].on)
			continue;
		if (shown++) /* glued only to the field it belongs to */
			x += f[i].glue && f[i - 1].on ? 1 : 2;
		x += cellbuf_put(cb, x, 0, f[i].text, f[i].role, f[i].attr);
	}

	/* the verdict in plain words */
	enum cellbuf_role vr = ROLE_OK;
	size_t open = s->events ? evlog_open_count(s->events) : 0;

	if (strncmp(s->verdict, "No problems", 11) != 0 &&
	    strncmp(s->verdict, "Waiting", 7) != 0 && s->verdict[0])
		vr = ROLE_WARN;
	for (size_t i = 0; s->events && i < evlog_count(s->events); i++) {
		const struct bb_event *ev = evlog_at(s->events, i);

		if (ev->end_ms == 0 && ev->severity == BB_SEV_CRITICAL)
			vr = ROLE_BAD;
	}
	cellbuf_fill(cb, 0, 1, w, 1, ' ', ROLE_NORMAL, 0);
	x = cellbuf_put(cb, 1, 1, a ? "*" : "●", vr, 0) + 2;
	bool tag = open && x + 40 < w; /* room for "N events open" */
	char fit[sizeof(s->verdict) + 4];
	view_fit_words(s->verdict[0] ? s->verdict : "Waiting for samples...",
		       w - x - 1 - (tag ? 19 : 0), a, fit, sizeof(fit));
	cellbuf_put(cb, x, 1, fit, vr == ROLE_OK ? ROLE_OK : vr, CELLBUF_BOLD);
	if (tag)
		cellbuf_printf(cb, w - 18, 1, ROLE_WARN, 0, "%3zu event%s open",
			       open, open == 1 ? " " : "s");
}

/* Replay: the recording as a bar coloured by its loss, the clock a mark. */
static void draw_timeline(struct ui *ui, struct cellbuf *cb, int y)
{
	const struct ui_source *s = &ui->src;
	/* ends on different days (a week): "12-01 13:00", or "13:00:00"
	 * and "12:59:59" read as one hour */
	struct local_day last_day = local_day_of(s->last_ms);
	bool dated = !in_day(&last_day, s->first_ms);
	int lw = dated ? 11 : 8;
	int w = cellbuf_width(cb), x0 = lw + 2, bw = w - x0 - lw - 4;
	bool a = cellbuf_ascii(cb);
	char t[16];

	cellbuf_fill(cb, 0, y, w, 1, ' ', ROLE_NORMAL, 0);
	fmt_when(t, sizeof(t), s->first_ms, dated);
	cellbuf_put(cb, 1, y, t, ROLE_DIM, 0);
	fmt_when(t, sizeof(t), s->last_ms, dated);
	cellbuf_put(cb, x0 + bw + 2, y, t, ROLE_DIM, 0);
	if (bw < 4)
		return;
	for (int i = 0; i < bw; i++) {
		/* the worst of the slices under this cell (each the loss
		 * of its whole stretch, lost / sent): a lossy stretch among
		 * fine ones must not vanish with the bar's width.  A cell
		 * mostly without data is a gap, or the recording's gaps
		 * vanish under the slices around them. */
		size_t k0 = (size_t)i * s->ov_n / (size_t)bw;
		size_t k1 = (size_t)(i + 1) * s->ov_n / (size_t)bw;
		size_t with = 0, none = 0;
		double loss = 0;
		uint32_t ch = a ? '=' : 0x2580; /* ▀ */

		if (k1 <= k0)
			k1 = k0 + 1;
		for (size_t k = k0; k < k1 && k < s->ov_n; k++) {
			if (isnan(s->ov_loss[k])) {
				none++;
				continue;
			}
			with++;
			if (s->ov_loss[k] > loss)
				loss = s->ov_loss[k];
		}
		if (!with || none > with) {
			cellbuf_set(cb, x0 + i, y, a ? '.' : 0x2508, ROLE_DIM,
				    0);
			continue;
		}
		cellbuf_set(cb, x0 + i, y, ch, view_loss_role(loss), 0);
	}
	int64_t span = s->last_ms - s->first_ms;
	int pos = span > 0 ? (int)((double)(s->now_ms - s->first_ms) / span *
				   (bw - 1))
			   : 0;

	if (pos < 0)
		pos = 0;
	if (pos >= bw)
		pos = bw - 1;
	cellbuf_set(cb, x0 + pos, y, a ? '|' : 0x2503, ROLE_SELECT,
		    CELLBUF_BOLD);
}

/* The footer: the keys of this view and mode in the table's order (the
 * most important first) while they fit, then "? more" when some did not
 * ("? help" when all did), so an 80-column screen still says where the
 * rest is. */
static void draw_footer(struct ui *ui, struct cellbuf *cb, int y)
{
	int w = cellbuf_width(cb), x = 1, flt;
	const struct key_binding *help = NULL;
	bool dropped = false;

	cellbuf_fill(cb, 0, y, w, 1, ' ', ROLE_NORMAL, 0);
	if (ui->filter_edit) {
		cellbuf_printf(cb, 1, y, ROLE_WARN, CELLBUF_BOLD, "Filter: %s_",
			       ui->filter);
		cellbuf_put(cb, w - 30, y, "Enter keep  Esc clear", ROLE_DIM,
			    0);
		return;
	}
	for (size_t i = 0; i < keys_count; i++)
		if (keys_table[i].key == '?')
			help = &keys_table[i];
	flt = ui->filter[0] ? cellbuf_utf8_width(ui->filter) + 5 : 0;
	for (size_t i = 0; i < keys_count; i++) {
		const struct key_binding *b = &keys_table[i];
		const char *lab, *txt;
		int need;

		if (!b->footer || b == help || !keys_applies(ui, b))
			continue;
		lab = b->flabel ? b->flabel : b->label;
		txt = b->fhelp ? b->fhelp : b->help;
		need = cellbuf_utf8_width(lab) + cellbuf_utf8_width(txt) + 3;
		/* room kept for "? more" (8) and the filter */
		if (x + need + 8 + flt > w) {
			dropped = true;
			break;
		}
		x += cellbuf_put(cb, x, y, lab, ROLE_HEADER, 0) + 1;
		x += cellbuf_put(cb, x, y, txt, ROLE_DIM, 0) + 2;
	}
	if (flt)
		x += cellbuf_printf(cb, x, y, ROLE_WARN, 0, "[/%s]",
				    ui->filter) +
		     2;
	if (help) {
		x += cellbuf_put(cb, x, y, help->label, ROLE_HEADER, 0) + 1;
		cellbuf_put(cb, x, y, dropped ? "more" : help->help, ROLE_DIM,
			    0);
	}
}

/* ---- help: keys and legend ----------------------------------------------- */

#define HELP_LINES 112

/* One line of the help: a section title, a term and its meaning, or two
 * keys side by side. */
struct help_line {
	bool title, keys;
	enum cellbuf_role role; /* of the term */
	char term[32], text[160];
	char term2[32], text2[160]; /* the right column of keys */
};

struct help {
	struct help_line l[HELP_LINES];
	int n;
	int termw, textw; /* legend columns */
	int keycols;	  /* keys side by side */
};

static struct help_line *help_new(struct help *h)
{
	struct help_line *l;

	if (h->n >= HELP_LINES)
		return NULL;
	l = &h->l[h->n++];
	memset(l, 0, sizeof(*l));
	return l;
}

static void help_title(struct help *h, const char *t)
{
	struct help_line *l;

	if (h->n && (l = help_new(h))) /* a blank line between sections */
		l->role = ROLE_NORMAL;
	if ((l = help_new(h))) {
		l->title = true;
		snprintf(l->text, sizeof(l->text), "%s", t);
	}
}

/* TERM and its meaning, the meaning broken between words over as many
 * lines as it needs. */
static void help_item(struct help *h, enum cellbuf_role role, const char *term,
		      const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void help_item(struct help *h, enum cellbuf_role role, const char *term,
		      const char *fmt, ...)
{
	char text[512];
	const char *p = text;
	va_list ap;
	bool first = true;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	while (*p) {
		struct help_line *l = help_new(h);
		int cols = 0;
		size_t i, cut = 0;

		if (!l)
			return;
		l->role = role;
		if (first)
			snprintf(l->term, sizeof(l->term), "%s", term);
		first = false;
		for (i = 0; p[i]; i++) {
			if (((unsigned char)p[i] & 0xc0) != 0x80 &&
			    ++cols > h->textw)
				break;
			if (p[i] == ' ')
				cut = i;
		}
		if (!p[i] || !cut) /* all of it, or a word too long: cut
				    * at a character boundary */
			cut = i;
		snprintf(l->text, sizeof(l->text), "%.*s", (int)cut, p);
		p += cut;
		while (*p == ' ')
			p++;
	}
}

/* The grade bands as the grading code (core/analysis/detect_diag.c) draws
 * them: probed a millisecond at a time, so the legend cannot disagree with
 * it.  "A+ < 5 ms, A < 30, ..., F ≥ 400 ms". */
static void grade_bands(bool ascii, char *out, size_t size)
{
	const char *prev = diag_bloat_grade(0);
	size_t n = 0;
	int k, last = 0;

	out[0] = 0;
	for (k = 1; k <= 5000 && n < size; k++) {
		const char *g = diag_bloat_grade(k);

		if (!strcmp(g, prev))
			continue;
		n += (size_t)snprintf(out + n, size - n, "%s < %d%s, ", prev, k,
				      n ? "" : " ms");
		prev = g;
		last = k;
	}
	if (n < size)
		snprintf(out + n, size - n, "%s %s %d ms", prev,
			 ascii ? ">=" : "≥", last);
}

/* The grades whose badge has role r ("A+ A"). */
static void grades_of(enum cellbuf_role r, char *out, size_t size)
{
	const char *prev = "";
	size_t n = 0;

	out[0] = 0;
	for (int k = 0; k <= 5000 && n < size; k++) {
		const char *g = diag_bloat_grade(k);

		if (!strcmp(g, prev))
			continue;
		prev = g;
		if (gauge_grade_role(k) == r)
			n += (size_t)snprintf(out + n, size - n, "%s%s",
					      n ? "/" : "", g);
	}
}

/* The first whole ms from which view_rtt_role gives r, -1 when none. */
static int rtt_from(enum cellbuf_role r)
{
	for (int k = 0; k <= 5000; k++)
		if (view_rtt_role((int64_t)k * 1000000) == r)
			return k;
	return -1;
}

/* The first loss % (in 0.1 steps) that view_loss_role gives r, 0 when
 * any loss at all does. */
static double loss_from(enum cellbuf_role r)
{
	if (view_loss_role(1e-9) == r)
		return 0;
	for (int k = 1; k <= 1000; k++)
		if (view_loss_role(k / 10.0) == r)
			return k / 10.0;
	return -1;
}

static void help_keys(struct ui *ui, struct help *h, int bw)
{
	const struct key_binding *list[64], *wide[64];
	unsigned mode = ui->src.replay ? KEYS_REPLAY : KEYS_LIVE;
	int n = 0, nw = 0, colw = 38, cols, rows;

	cols = bw - 4 >= 2 * colw ? 2 : 1;
	/* side by side, a key whose words would be cut gets a line of its
	 * own after the others (as the draw below: half - 12 columns) */
	for (size_t i = 0; i < keys_count && n < 64; i++) {
		const struct key_binding *b = &keys_table[i];

		if (!(b->where & mode) || !b->help)
			continue;
		if (cols == 2 &&
		    cellbuf_utf8_width(b->help) > (bw - 4) / 2 - 12)
			wide[nw++] = b;
		else
			list[n++] = b;
	}
	help_title(h, ui->src.replay ? "Keys (replay)" : "Keys");
	rows = (n + cols - 1) / cols;
	h->keycols = cols;
	for (int r = 0; r < rows; r++) {
		struct help_line *l = help_new(h);

		if (!l)
			return;
		l->role = ROLE_HEADER;
		l->keys = true;
		snprintf(l->term, sizeof(l->term), "%s", list[r]->label);
		snprintf(l->text, sizeof(l->text), "%s", list[r]->help);
		if (cols == 2 && r + rows < n) {
			snprintf(l->term2, sizeof(l->term2), "%s",
				 list[r + rows]->label);
			snprintf(l->text2, sizeof(l->text2), "%s",
				 list[r + rows]->help);
		}
	}
	for (int r = 0; r < nw; r++) {
		struct help_line *l = help_new(h);

		if (!l)
			return;
		l->role = ROLE_HEADER;
		l->keys = true;
		snprintf(l->term, sizeof(l->term), "%s", wide[r]->label);
		snprintf(l->text, sizeof(l->text), "%s", wide[r]->help);
	}
	help_item(h, ROLE_DIM, "",
		  "In a view: Up/Down or j/k move, Enter "
		  "opens, Esc goes back; this help scrolls "
		  "with Up/Down, PgUp/PgDn, Home/End.");
}

static void help_legend(struct ui *ui, struct cellbuf *cb, struct help *h)
{
	bool a = cellbuf_ascii(cb);
	const char *ge = a ? ">=" : "≥";
	char bands[160], good[32], mid[32], bad[32], lwt[32];
	double lw;

	help_title(h, "Glyphs");
	help_item(h, ROLE_BAD, view_g(cb, "●", "*"),
		  "the verdict's state (header); an event still open");
	help_item(h, ROLE_LOSS, view_g(cb, "×", "!"),
		  "a lost probe: no reply in time (a plot: a full column)");
	help_item(h, ROLE_OK, view_g(cb, "▁▃▅▇", "_.-=*#"),
		  "recent probes, one cell each, taller is slower");
	help_item(h, ROLE_DIM, view_g(cb, "▅ ×", "= !"),
		  "grey: sent while our own test loaded the line (left out "
		  "of the figures); in the path view, a router's own "
		  "unanswered probe (rate limit), not the line's loss");
	help_item(h, ROLE_WARN, view_g(cb, "█", "^"),
		  "bold, full height: above the row's scale");
	help_item(h, ROLE_OK, view_g(cb, "⠤⠒⠉", "*"),
		  "drilldown plot: the RTT over time (braille dots)");
	help_item(h, ROLE_OK, view_g(cb, "█░", "=#."),
		  "bufferbloat bar: idle RTT, then the rise under load in the "
		  "grade's colour; > past the scale");
	help_item(h, ROLE_NORMAL, view_g(cb, "→", "->"),
		  "idle RTT -> RTT under load");
	help_item(h, ROLE_NORMAL, view_g(cb, "↑ ↓", "up down"),
		  "upload, download");
	help_item(h, ROLE_TITLE, view_g(cb, "▸", ">"),
		  "the pane with the focus (Tab)");
	help_item(h, ROLE_NORMAL, view_g(cb, "…", "..."),
		  "text cut between words: the events view (3) and Enter "
		  "show it whole");
	help_item(h, ROLE_WARN, view_g(cb, "▶ 8×", "> 8x"),
		  "replay playing at 8 times real time");
	help_item(h, ROLE_SELECT, view_g(cb, "▀ ┃ ┈", "= | ."),
		  "replay timeline: loss (lost / sent) per stretch, the clock, "
		  "no data");

	help_title(h, "Colours");
	help_item(h, ROLE_OK, "green", "good: no loss, a healthy figure");
	lw = loss_from(ROLE_WARN);
	if (lw > 0)
		snprintf(lwt, sizeof(lwt), "loss %s %.1f %%", ge, lw);
	else
		snprintf(lwt, sizeof(lwt), "any loss");
	help_item(h, ROLE_WARN, ui->light ? "magenta" : "yellow",
		  "warning: RTT %s %d ms, %s", ge, rtt_from(ROLE_WARN), lwt);
	help_item(h, ROLE_BAD, "red",
		  "bad: RTT %s %d ms, loss %s %.0f %%, "
		  "a critical event",
		  ge, rtt_from(ROLE_BAD), ge, loss_from(ROLE_BAD));
	help_item(h, ROLE_LOSS, a ? "white/red" : "white on red",
		  "a lost probe");
	help_item(h, ROLE_DIM, "grey", "no data yet, secondary figures");
	help_item(h, ROLE_TITLE, ui->light ? "blue" : "cyan",
		  "titles; the selected row");

	help_title(h, "Bufferbloat grade: the RTT's rise under load");
	grade_bands(a, bands, sizeof(bands));
	help_item(h, ROLE_NORMAL, "grade", "%s", bands);
	grades_of(ROLE_GRADE_GOOD, good, sizeof(good));
	grades_of(ROLE_GRADE_MID, mid, sizeof(mid));
	grades_of(ROLE_GRADE_BAD, bad, sizeof(bad));
	help_item(h, ROLE_GRADE_GOOD, good, "good");
	help_item(h, ROLE_GRADE_MID, mid,
		  "some queueing: calls and games "
		  "suffer under load");
	help_item(h, ROLE_GRADE_BAD, bad,
		  "bad: the line queues far too much "
		  "under load");

	help_title(h, "Figures");
	help_item(h, ROLE_HEADER, "RTT",
		  "round-trip time of one probe, in "
		  "ms");
	help_item(h, ROLE_HEADER, "p50",
		  "median RTT of the window: half the "
		  "probes were faster");
	help_item(h, ROLE_HEADER, "p95",
		  "95 %% of the probes were faster: "
		  "the slow tail people notice");
	help_item(h, ROLE_HEADER, "jitter",
		  "mean change of the RTT from one "
		  "probe to the next (IPDV)");
	help_item(h, ROLE_HEADER, "loss",
		  "probes without a reply in time, in "
		  "%% of the window");
	help_item(h, ROLE_HEADER, "RPM",
		  "round trips per minute under load "
		  "= 60000 / loaded RTT in ms (responsiveness; higher is "
		  "better)");
	help_item(h, ROLE_HEADER, "Mb/s",
		  "megabits per second of an upload "
		  "or download test");
	help_item(h, ROLE_HEADER, "window",
		  "what p50/p95/jitter/loss cover "
		  "(w: %s, %s, %s, %s)",
		  stats_window_name(STATS_10S), stats_window_name(STATS_60S),
		  stats_window_name(STATS_5M), stats_window_name(STATS_1H));
}

static void draw_help(struct ui *ui, struct cellbuf *cb)
{
	int w = cellbuf_width(cb), h = cellbuf_height(cb);
	int bw = w < 100 ? w : 100, bh, x0, y0, ch, max_top;
	struct help *hp = calloc(1, sizeof(*hp));
	char pos[48];

	if (!hp)
		return;
	hp->termw = 13;
	hp->textw = bw - 4 - hp->termw;
	help_keys(ui, hp, bw);
	help_legend(ui, cb, hp);
	bh = hp->n + 2 < h ? hp->n + 2 : h;
	ch = bh - 2;
	max_top = hp->n - ch;
	if (ui->help_top > max_top)
		ui->help_top = max_top;
	if (ui->help_top < 0)
		ui->help_top = 0;
	x0 = (w - bw) / 2;
	y0 = (h - bh) / 2;
	cellbuf_fill(cb, x0, y0, bw, bh, ' ', ROLE_NORMAL, 0);
	cellbuf_box(cb, x0, y0, bw, bh, ROLE_TITLE);
	cellbuf_put(cb, x0 + 2, y0, " Help: keys and legend ", ROLE_TITLE,
		    CELLBUF_BOLD);
	if (max_top > 0) {
		snprintf(pos, sizeof(pos), " %d-%d of %d ", ui->help_top + 1,
			 ui->help_top + ch, hp->n);
		cellbuf_put(cb, x0 + bw - 2 - (int)strlen(pos), y0, pos,
			    ROLE_DIM, 0);
		cellbuf_put(cb, x0 + 2, y0 + bh - 1,
			    view_g(cb, " ↑↓ PgUp/PgDn scroll ",
				   " Up/Down PgUp/PgDn scroll "),
			    ROLE_TITLE, CELLBUF_BOLD);
	}
	cellbuf_put(cb, x0 + bw - 20, y0 + bh - 1, " ? or Esc closes ",
		    ROLE_DIM, 0);
	for (int i = 0; i < ch; i++) {
		const struct help_line *l = &hp->l[ui->help_top + i];
		int x = x0 + 2, y = y0 + 1 + i;
		int half = hp->keycols == 2 ? (bw - 4) / 2 : bw - 4;

		if (l->title) {
			view_put_words(cb, x, y, bw - 4, l->text, ROLE_TITLE,
				       CELLBUF_BOLD);
			continue;
		}
		if (l->keys) { /* one or two keys side by side */
			cellbuf_putn(cb, x, y, 10, l->term, ROLE_HEADER, 0);
			/* alone on its line: the whole width */
			view_put_words(cb, x + 11, y,
				       l->term2[0] ? half - 12 : bw - 4 - 12,
				       l->text, ROLE_NORMAL, 0);
			if (!l->term2[0])
				continue;
			cellbuf_putn(cb, x + half, y, 10, l->term2, ROLE_HEADER,
				     0);
			view_put_words(cb, x + half + 11, y, half - 12,
				       l->text2, ROLE_NORMAL, 0);
			continue;
		}
		cellbuf_putn(cb, x, y, hp->termw - 1, l->term, l->role,
			     l->role == ROLE_HEADER ? 0 : CELLBUF_BOLD);
		view_put_words(cb, x + hp->termw, y, hp->textw, l->text,
			       l->role == ROLE_DIM ? ROLE_DIM : ROLE_NORMAL, 0);
	}
	free(hp);
}

static void draw_enlarge(struct cellbuf *cb)
{
	int w = cellbuf_width(cb), h = cellbuf_height(cb);
	char l1[64], l2[64];

	snprintf(l1, sizeof(l1), "Terminal too small: %dx%d", w, h);
	snprintf(l2, sizeof(l2), "Please enlarge it to at least %dx%d",
		 VIEW_ABS_MIN_W, VIEW_ABS_MIN_H);
	cellbuf_clear(cb);
	cellbuf_put(cb,
		    (w - (int)strlen(l1)) / 2 > 0 ? (w - (int)strlen(l1)) / 2
						  : 0,
		    h / 2 - 1, l1, ROLE_WARN, CELLBUF_BOLD);
	cellbuf_put(cb,
		    (w - (int)strlen(l2)) / 2 > 0 ? (w - (int)strlen(l2)) / 2
						  : 0,
		    h / 2, l2, ROLE_NORMAL, 0);
	cellbuf_put(cb, (w - 7) / 2 > 0 ? (w - 7) / 2 : 0, h / 2 + 1, "q quits",
		    ROLE_DIM, 0);
}

void view_render(struct ui *ui, struct cellbuf *cb)
{
	int w = cellbuf_width(cb), h = cellbuf_height(cb), top = 2, bottom;
	const char *msg = NULL;
	int64_t wall = (int64_t)time(NULL) * 1000;

	ui->rows_n = 0; /* the dashboard sets it when it draws rows */
	if (w < VIEW_ABS_MIN_W || h < VIEW_ABS_MIN_H) {
		draw_enlarge(cb);
		return;
	}
	cellbuf_clear(cb);
	draw_header(ui, cb);
	if (ui->src.replay)
		draw_timeline(ui, cb, top++);
	if (ui->note[0] && wall <= ui->note_until_ms)
		msg = ui->note;
	else if (ui->src.message && ui->src.message[0])
		msg = ui->src.message;
	bottom = h - 1 - (msg ? 1 : 0);
	views[ui->view]->draw(ui, cb, top, bottom - top);
	if (msg) {
		cellbuf_fill(cb, 0, h - 2, w, 1, ' ', ROLE_NORMAL, 0);
		view_put_words(cb, 1, h - 2, w - 2, msg, ROLE_WARN, 0);
	}
	draw_footer(ui, cb, h - 1);
	if (ui->help)
		draw_help(ui, cb);
}

/* ---- words that fit ------------------------------------------------------ */

void view_fit_words(const char *s, int maxw, bool ascii, char *out, size_t len)
{
	const char *ell = ascii ? "..." : "…";
	int ellw = ascii ? 3 : 1, cols = 0;
	size_t cut = 0, i;

	if (!len)
		return;
	for (i = 0; s[i]; i++)
		cols += ((unsigned char)s[i] & 0xc0) != 0x80;
	if (cols <= maxw || maxw <= ellw) {
		snprintf(out, len, "%s", cols <= maxw ? s : "");
		return;
	}
	/* the last word boundary that leaves room for the ellipsis */
	cols = 0;
	for (i = 0; s[i]; i++) {
		if (((unsigned char)s[i] & 0xc0) != 0x80 &&
		    ++cols > maxw - ellw)
			break;
		if (s[i] == ' ')
			cut = i;
	}
	while (cut > 0 && strchr(" ,;:.(", s[cut - 1]))
		cut--;
	if (cut >= len - 4)
		cut = len - 4;
	snprintf(out, len, "%.*s%s", (int)cut, s, ell);
}

int view_put_words(struct cellbuf *cb, int x, int y, int maxw, const char *s,
		   enum cellbuf_role role, unsigned attr)
{
	char fit[1024];

	if (maxw <= 0)
		return 0;
	view_fit_words(s, maxw, cellbuf_ascii(cb), fit, sizeof(fit));
	return cellbuf_putn(cb, x, y, maxw, fit, role, attr);
}

int view_wrap_words(struct cellbuf *cb, int x, int y, int maxw, int maxh,
		    const char *s, enum cellbuf_role role, unsigned attr)
{
	int row = 0;

	while (*s && row < maxh && maxw > 0) {
		int cols = 0;
		size_t i, cut = 0;

		for (i = 0; s[i]; i++) {
			if (((unsigned char)s[i] & 0xc0) != 0x80 &&
			    ++cols > maxw)
				break;
			if (s[i] == ' ')
				cut = i;
		}
		if (!s[i] || row == maxh - 1 || !cut) {
			/* the rest fits, or the last row (or a word longer
			 * than the row) ends with "…" */
			view_put_words(cb, x, y + row, maxw, s, role, attr);
			return row + 1;
		}
		cellbuf_printf(cb, x, y + row++, role, attr, "%.*s", (int)cut,
			       s);
		s += cut;
		while (*s == ' ')
			s++;
	}
	return row;
}

/* ---- companion server figures -------------------------------------------- */

const struct model_bloat *view_bloat(const struct ui *ui, int phase)
{
	return ui->src.model ? model_bloat_latest(ui->src.model, phase) : NULL;
}

void view_echo_lost(const struct ui *ui, const char *server, uint64_t *up,
		    uint64_t *down)
{
	*up = *down = 0;
	if (!ui->src.model)
		return;
	for (size_t i = 0; i < model_server_count(ui->src.model); i++) {
		const struct model_server *sv =
			model_server_at(ui->src.model, i);

		if (server && strcmp(server, sv->server))
			continue;
		*up += sv->lost_up;
		*down += sv->lost_down;
	}
}
