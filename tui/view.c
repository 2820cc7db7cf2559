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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/analysis/model.h"
#include "core/analysis/stats.h"
#include "core/store/store.h"
#include "core/probe/kind.h"
#include "tui/evlog.h"
#include "tui/keys.h"
#include "tui/trace.h"

static const struct view_ops *const views[VIEW_COUNT] = {
	[VIEW_DASHBOARD] = &view_dashboard,
	[VIEW_DRILLDOWN] = &view_drilldown,
	[VIEW_EVENTS] = &view_events,
	[VIEW_IFACES] = &view_ifaces,
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

void view_fmt_clock(char *out, size_t size, int64_t ms, bool with_date)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(out, size, with_date ? "%Y-%m-%d %H:%M:%S" : "%H:%M:%S", &tm);
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

int view_event_lines(struct ui *ui, struct cellbuf *cb, int y, int h,
		     const char *target, int sel, int64_t hide_before_ms)
{
	const struct evlog *l = ui->src.events;
	bool a = cellbuf_ascii(cb);
	int w = cellbuf_width(cb), k = 0, first = 0;
	size_t n = l ? evlog_count(l) : 0;

	if (sel >= h)
		first = sel - h + 1;
	for (size_t i = 0; i < n; i++) {
		const struct bb_event *ev = evlog_at(l, i);
		char t[32], d[24], line[512];
		int64_t end = ev->end_ms ? ev->end_ms : ui->src.now_ms;
		int row = k - first, x = 1;
		enum cellbuf_role sr = view_sev_role(ev->severity);
		bool selected = k == sel;

		if (target && strcmp(ev->target, target) != 0)
			continue;
		if (ev->end_ms && ev->end_ms < hide_before_ms)
			continue;
		if (ui->view == VIEW_EVENTS && !view_event_match(ui, ev))
			continue;
		k++;
		if (row < 0 || row >= h)
			continue;
		if (selected)
			cellbuf_fill(cb, 0, y + row, w, 1, ' ', ROLE_SELECT, 0);
		view_fmt_clock(t, sizeof(t), ev->start_ms, false);
		view_fmt_dur(d, sizeof(d), (end - ev->start_ms) / 1000);
		x += cellbuf_put(cb, x, y + row, t,
				 selected ? ROLE_SELECT : ROLE_DIM, 0) +
		     1;
		x += cellbuf_printf(cb, x, y + row, selected ? ROLE_SELECT : sr,
				    CELLBUF_BOLD, "%-8s",
				    bb_severity_name(ev->severity)) +
		     1;
		if (ev->end_ms == 0)
			x += cellbuf_printf(cb, x, y + row,
					    selected ? ROLE_SELECT : ROLE_BAD,
					    CELLBUF_BOLD, "%s %-7s",
					    a ? "*" : "●", d) +
			     1;
		else
			x += cellbuf_printf(cb, x, y + row,
					    selected ? ROLE_SELECT : ROLE_DIM,
					    0, "  %-7s", d) +
			     1;
		snprintf(line, sizeof(line), "%-18s %s%s%s", ev->kind,
			 ev->target[0] ? ev->target : "",
			 ev->target[0] ? ": " : "", ev->description);
		cellbuf_putn(cb, x, y + row, w - x - 1, line,
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
	for (size_t i = 0; i < UI_HIST_MINUTES; i++)
		h->minute[i] = TRACE_NODATA;
}

void view_history_add(struct ui_history *h, const struct store_agg *row)
{
	int64_t i = (row->bucket_ms - h->from_ms) / 60000;
	int64_t *m;

	if (row->bucket_ms < h->from_ms || i >= UI_HIST_MINUTES ||
	    row->count <= 0)
		return;
	m = &h->minute[i];
	if (row->lost > 0)
		*m = TRACE_LOST;
	else if (*m != TRACE_LOST && !isnan(row->max) &&
		 (*m == TRACE_NODATA || row->max * 1e6 > (double)*m))
		*m = (int64_t)(row->max * 1e6 + 0.5);
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

static void draw_header(struct ui *ui, struct cellbuf *cb)
{
	const struct ui_source *s = &ui->src;
	int w = cellbuf_width(cb), x = 0;
	char t[40], u[24];
	bool a = cellbuf_ascii(cb);

	cellbuf_fill(cb, 0, 0, w, 1, ' ', ROLE_NORMAL, 0);
	x += cellbuf_put(cb, 0, 0, " bufferbane ", ROLE_TITLE, CELLBUF_BOLD);
	if (s->replay) {
		x += cellbuf_printf(
			cb, x, 0, ROLE_WARN, CELLBUF_BOLD, " REPLAY %s %d%s%s ",
			s->playing ? (a ? ">" : "▶") : "paused", s->speed,
			a ? "x" : "×", s->speed_auto ? " auto" : "");
		view_fmt_clock(t, sizeof(t), s->now_ms, true);
		if (s->step_ms % 1000) /* a step must show on the clock */
			snprintf(t + strlen(t), sizeof(t) - strlen(t), ".%03d",
				 (int)(s->now_ms % 1000));
		x += cellbuf_printf(cb, x, 0, ROLE_NORMAL, CELLBUF_BOLD, " %s ",
				    t);
	} else {
		x += cellbuf_put(cb, x, 0, " LIVE ", ROLE_OK, CELLBUF_BOLD);
		view_fmt_dur(u, sizeof(u), s->uptime_s);
		view_fmt_clock(t, sizeof(t), s->now_ms, false);
		x += cellbuf_printf(cb, x, 0, ROLE_NORMAL, 0, " up %s  %s ", u,
				    t);
	}
	x += cellbuf_printf(cb, x, 0, ROLE_DIM, 0, " %.1f samples/s ", s->rate);
	x += cellbuf_printf(cb, x, 0, ROLE_DIM, 0, " window %s ",
			    stats_window_name(ui->window));
	if (s->dropped)
		x += cellbuf_printf(cb, x, 0, ROLE_BAD, CELLBUF_BOLD,
				    " %llu samples dropped ",
				    (unsigned long long)s->dropped);
	if (ui->paused && !s->replay)
		cellbuf_put(cb, x, 0, " PAUSED ", ROLE_WARN,
			    CELLBUF_BOLD | CELLBUF_REVERSE);

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

/* Replay: the recording as a bar, worst loss per slice, the clock a mark. */
static void draw_timeline(struct ui *ui, struct cellbuf *cb, int y)
{
	const struct ui_source *s = &ui->src;
	int w = cellbuf_width(cb), x0 = 10, bw = w - x0 - 12;
	bool a = cellbuf_ascii(cb);
	char t[16];

	cellbuf_fill(cb, 0, y, w, 1, ' ', ROLE_NORMAL, 0);
	view_fmt_clock(t, sizeof(t), s->first_ms, false);
	cellbuf_put(cb, 1, y, t, ROLE_DIM, 0);
	view_fmt_clock(t, sizeof(t), s->last_ms, false);
	cellbuf_put(cb, x0 + bw + 2, y, t, ROLE_DIM, 0);
	if (bw < 4)
		return;
	for (int i = 0; i < bw; i++) {
		/* the worst of the slices under this cell: one lossy slice
		 * among fine ones must not vanish with the bar's width */
		size_t k0 = (size_t)i * s->ov_n / (size_t)bw;
		size_t k1 = (size_t)(i + 1) * s->ov_n / (size_t)bw;
		double loss = NAN;
		enum cellbuf_role r = ROLE_OK;

		if (k1 <= k0)
			k1 = k0 + 1;
		for (size_t k = k0; k < k1 && k < s->ov_n; k++)
			if (!isnan(s->ov_loss[k]) &&
			    (isnan(loss) || s->ov_loss[k] > loss))
				loss = s->ov_loss[k];
		uint32_t ch = a ? '=' : 0x2580; /* ▀ */

		if (isnan(loss))
			r = ROLE_DIM, ch = a ? '.' : 0x2508;
		else if (loss >= 2.0)
			r = ROLE_BAD;
		else if (loss > 0)
			r = ROLE_WARN;
		cellbuf_set(cb, x0 + i, y, ch, r, 0);
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

static void draw_footer(struct ui *ui, struct cellbuf *cb, int y)
{
	int w = cellbuf_width(cb), x = 1;

	cellbuf_fill(cb, 0, y, w, 1, ' ', ROLE_NORMAL, 0);
	if (ui->filter_edit) {
		cellbuf_printf(cb, 1, y, ROLE_WARN, CELLBUF_BOLD, "Filter: %s_",
			       ui->filter);
		cellbuf_put(cb, w - 30, y, "Enter keep  Esc clear", ROLE_DIM,
			    0);
		return;
	}
	for (size_t i = 0; i < keys_count; i++) {
		const struct key_binding *b = &keys_table[i];
		int need;

		if (!b->footer || !keys_applies(ui, b))
			continue;
		need = cellbuf_utf8_width(b->label) +
		       cellbuf_utf8_width(b->help) + 3;
		if (x + need > w)
			break;
		x += cellbuf_put(cb, x, y, b->label, ROLE_HEADER, 0) + 1;
		x += cellbuf_put(cb, x, y, b->help, ROLE_DIM, 0) + 2;
	}
	if (ui->filter[0] && x + 12 < w)
		cellbuf_printf(cb, x, y, ROLE_WARN, 0, "[/%s]", ui->filter);
}

static void draw_help(struct ui *ui, struct cellbuf *cb)
{
	int w = cellbuf_width(cb), h = cellbuf_height(cb);
	int n = 0, cols, rows, bw, bh, x0, y0, colw = 38;
	const struct key_binding *list[64];
	unsigned mode = ui->src.replay ? KEYS_REPLAY : KEYS_LIVE;

	for (size_t i = 0; i < keys_count && n < 64; i++)
		if (keys_table[i].where & mode && keys_table[i].help)
			list[n++] = &keys_table[i];
	cols = w >= 2 * colw + 4 ? 2 : 1;
	rows = (n + cols - 1) / cols;
	bw = cols * colw + 4;
	bh = rows + 4;
	if (bw > w)
		bw = w;
	if (bh > h)
		bh = h;
	x0 = (w - bw) / 2;
	y0 = (h - bh) / 2;
	cellbuf_fill(cb, x0, y0, bw, bh, ' ', ROLE_NORMAL, 0);
	cellbuf_box(cb, x0, y0, bw, bh, ROLE_TITLE);
	cellbuf_put(cb, x0 + 2, y0, " Help: keys ", ROLE_TITLE, CELLBUF_BOLD);
	cellbuf_put(cb, x0 + bw - 22, y0 + bh - 1, " ? or Esc closes ",
		    ROLE_DIM, 0);
	for (int i = 0; i < n; i++) {
		int c = i / rows, r = i % rows;
		int x = x0 + 2 + c * colw, y = y0 + 2 + r;

		if (y >= y0 + bh - 1)
			continue;
		cellbuf_putn(cb, x, y, 10, list[i]->label, ROLE_HEADER, 0);
		cellbuf_putn(cb, x + 11, y, colw - 12, list[i]->help,
			     ROLE_NORMAL, 0);
	}
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
		cellbuf_putn(cb, 1, h - 2, w - 2, msg, ROLE_WARN, 0);
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
