// SPDX-License-Identifier: MIT
/*
 * The drilldown of one target series (Enter on a dashboard row): a large
 * braille RTT plot over 1 min, 10 min, 1 h or 24 h (w cycles; the 24 h
 * window is the database's 1-minute rollups, one value per minute, with
 * the model's last hour folded in), the percentile table
 * across the 10 s / 60 s / 5 min / 1 h windows, an RTT histogram, the
 * loss-run histogram and a loss timeline (RFC 3357 loss periods), one-way
 * delay (with a companion server) and the events of that target.
 * When a plot column covers several probes it shows their maximum, and a
 * loss bar of the share lost among them (at least one dot; the whole column
 * when all were): loss is never averaged away, nor does one lost probe in
 * a 24 h minute hide that minute's worst delay.
 */
#include <stdio.h>
#include <string.h>

#include "core/analysis/model.h"
#include "core/analysis/stats.h"
#include "tui/plot.h"
#include "tui/trace.h"
#include "tui/table.h"
#include "tui/view.h"

static const int64_t span_s[SPAN_COUNT] = { 60, 600, 3600, 86400 };
static const char *const span_label[SPAN_COUNT][3] = {
	{ "-1m", "-30s", "now" },
	{ "-10m", "-5m", "now" },
	{ "-1h", "-30m", "now" },
	{ "-24h", "-12h", "now" },
};
static const char *const span_name[SPAN_COUNT] = { "1 min", "10 min", "1 h",
						   "24 h" };

/* The plot window: one probe per entry, or (the 24 h window) one minute
 * per entry with the probes it sent and lost. */
struct dd_window {
	const int64_t *v; /* ns; TRACE_LOST when every probe was lost */
	const uint32_t *sent, *lost; /* NULL: one probe per entry */
	size_t n;
};

static void entry_loss(const struct dd_window *d, size_t i, uint32_t *sent,
		       uint32_t *lost)
{
	if (d->sent) {
		*sent = d->sent[i];
		*lost = d->lost[i];
	} else {
		*sent = d->v[i] != TRACE_NODATA;
		*lost = d->v[i] == TRACE_LOST;
	}
}

/* The window -> at most k columns (µs): the maximum per column, and the
 * share of its probes lost in lost_pm (at least 1 when any was); returns
 * the number of columns written. */
static size_t bucket(const struct dd_window *d, int64_t *out, uint16_t *lost_pm,
		     size_t k)
{
	size_t cols = d->n <= k ? d->n : k;

	for (size_t c = 0; c < cols; c++) {
		size_t a = c * d->n / cols, b = (c + 1) * d->n / cols;
		int64_t mx = TRACE_NODATA;
		uint64_t sent = 0, lost = 0;

		for (size_t i = a; i < b; i++) {
			uint32_t s, l;

			entry_loss(d, i, &s, &l);
			sent += s;
			lost += l;
			if (trace_is_value(d->v[i]) &&
			    (mx == TRACE_NODATA || d->v[i] > mx))
				mx = d->v[i];
		}
		out[c] = mx != TRACE_NODATA ? mx / 1000
			 : lost		    ? TRACE_LOST
					    : TRACE_NODATA;
		lost_pm[c] = !lost	    ? 0
			     : lost >= sent ? 1000
			     : lost * 1000 < sent
				     ? 1
				     : (uint16_t)(lost * 1000 / sent);
	}
	return cols;
}

enum {
	P_WIN,
	P_SENT,
	P_LOSS,
	P_MIN,
	P_P50,
	P_P95,
	P_P99,
	P_MAX,
	P_JIT,
	P_RUN,
	PCOLS
};

static const struct table_col pcols[PCOLS] = {
	[P_WIN] = { "Window", 6, 6, 0, TABLE_LEFT, false },
	[P_SENT] = { "Sent", 5, 6, 3, TABLE_RIGHT, false },
	[P_LOSS] = { "Loss%", 5, 6, 0, TABLE_RIGHT, false },
	[P_MIN] = { "min", 5, 6, 2, TABLE_RIGHT, false },
	[P_P50] = { "p50", 5, 6, 0, TABLE_RIGHT, false },
	[P_P95] = { "p95", 5, 6, 0, TABLE_RIGHT, false },
	[P_P99] = { "p99", 5, 6, 1, TABLE_RIGHT, false },
	[P_MAX] = { "max", 5, 6, 1, TABLE_RIGHT, false },
	[P_JIT] = { "Jitter", 6, 6, 0, TABLE_RIGHT, false },
	[P_RUN] = { "Longest", 7, 7, 4, TABLE_RIGHT, false },
};

static void percentiles(struct ui *ui, const struct model_series *ms,
			struct cellbuf *cb, int x, int y, int w)
{
	char text[STATS_WINDOW_COUNT][PCOLS][16];
	struct table_cell cells[STATS_WINDOW_COUNT * PCOLS];
	struct table t = { pcols, PCOLS, cells, STATS_WINDOW_COUNT, -1, 0 };

	for (int r = 0; r < STATS_WINDOW_COUNT; r++) {
		struct stats_summary st;
		struct table_cell *c = &cells[r * PCOLS];

		/* the line's figures: our own test's probes left out */
		stats_log_summary_quiet(ms->stats, (enum stats_window)r,
					ui->src.now_mono_ns, &st);
		snprintf(text[r][P_WIN], 16, "%s", stats_window_name(r));
		snprintf(text[r][P_SENT], 16, "%u", st.count);
		snprintf(text[r][P_LOSS], 16, "%.1f", st.loss_pct);
		view_fmt_ms(text[r][P_MIN], 16, st.min);
		view_fmt_ms(text[r][P_P50], 16, st.p50);
		view_fmt_ms(text[r][P_P95], 16, st.p95);
		view_fmt_ms(text[r][P_P99], 16, st.p99);
		view_fmt_ms(text[r][P_MAX], 16, st.max);
		view_fmt_ms(text[r][P_JIT], 16, st.ipdv_mean);
		snprintf(text[r][P_RUN], 16, "%u", st.loss_run_longest);
		for (int k = 0; k < PCOLS; k++)
			c[k] = (struct table_cell){ text[r][k], ROLE_NORMAL };
		c[P_LOSS].role = view_loss_role(st.loss_pct);
		c[P_P95].role = view_rtt_role(st.p95);
		c[P_P99].role = view_rtt_role(st.p99);
		c[P_MAX].role = view_rtt_role(st.max);
	}
	table_draw(cb, x, y, w, STATS_WINDOW_COUNT + 1, &t, NULL);
}

void view_hist_scale(int64_t lo, int64_t top, int nb, int64_t *first,
		     int64_t *step)
{
	int64_t raw = nb > 0 ? (top - lo + nb - 1) / nb : top - lo;

	/* A nice step of whole microseconds: the labels (lo + b step, in ms
	 * with the decimals the step needs) then differ from bin to bin
	 * however narrow the spread; 0.040 0.042 0.044, not 0.04 0.04. */
	*step = trace_nice_ceil(raw < 1000 ? 1 : (raw + 999) / 1000) * 1000;
	*first = lo / *step * *step;
}

/* RTT histogram of the values in v (ns) as horizontal bars. */
static void histogram(struct cellbuf *cb, int x, int y, int w, int h,
		      const int64_t *v, size_t n, const char *title)
{
	int64_t top = trace_top(v, n, 0), lo = INT64_MAX, step;
	size_t cnt[32] = { 0 }, over = 0, mx = 1;
	int nb = h - 1 > 32 ? 32 : h - 1;
	bool a = cellbuf_ascii(cb);

	cellbuf_put(cb, x, y, title, ROLE_HEADER, 0);
	if (nb < 1 || top <= 0)
		return;
	for (size_t i = 0; i < n; i++)
		if (trace_is_value(v[i]) && v[i] < lo)
			lo = v[i];
	if (lo == INT64_MAX) {
		cellbuf_put(cb, x, y + 1, "no successful probe", ROLE_DIM, 0);
		return;
	}
	view_hist_scale(lo, top, nb, &lo, &step);
	/* the nice step may need fewer bins than the rows give */
	if ((top - lo + step - 1) / step < nb)
		nb = (int)((top - lo + step - 1) / step);
	if (nb < 1)
		nb = 1;
	for (size_t i = 0; i < n; i++) {
		if (!trace_is_value(v[i]))
			continue;
		if (v[i] >= top) {
			over++;
			continue;
		}
		int b = (int)((v[i] - lo) / step);
		cnt[b < nb ? b : nb - 1]++;
	}
	for (int b = 0; b < nb; b++)
		if (cnt[b] > mx)
			mx = cnt[b];
	for (int b = 0; b < nb; b++) {
		char l[16];
		int bar = w - 20, len;

		plot_format_ms(l, sizeof(l), (lo + b * step) / 1000,
			       step / 1000);
		cellbuf_printf(cb, x, y + 1 + b, ROLE_DIM, 0, "%7s", l);
		len = bar > 0 ? (int)((double)cnt[b] / (double)mx * bar) : 0;
		if (cnt[b] && len == 0)
			len = 1;
		cellbuf_fill(cb, x + 8, y + 1 + b, len, 1, a ? '#' : 0x2588,
			     ROLE_OK, 0);
		cellbuf_printf(cb, x + 9 + len, y + 1 + b, ROLE_DIM, 0, "%zu",
			       cnt[b]);
	}
	if (over)
		cellbuf_printf(cb, x + w - 14, y, ROLE_WARN, 0, "%zu above",
			       over);
}

size_t view_loss_run_words(const uint32_t *hist, char *out, size_t len)
{
	static const char *const bk[STATS_RUN_BUCKETS] = {
		"1", "2", "3", "4", "5 to 9", "10 or more"
	};
	size_t k = 0;

	if (len)
		out[0] = 0;
	for (int b = 0; b < STATS_RUN_BUCKETS && k < len; b++)
		if (hist[b])
			k += (size_t)snprintf(out + k, len - k,
					      "%s%u run%s of %s", k ? ", " : "",
					      hist[b], hist[b] == 1 ? "" : "s",
					      bk[b]);
	if (k == 0 && len)
		snprintf(out, len, "no loss");
	return k < len ? k : len ? len - 1 : 0;
}

static void loss_lines(struct ui *ui, const struct model_series *ms,
		       struct cellbuf *cb, int y, const struct dd_window *d)
{
	size_t n = d->n;
	struct stats_summary st;
	int w = cellbuf_width(cb), x = 1;
	bool a = cellbuf_ascii(cb);
	char words[160];

	/* runs of the line's losses: probes lost under our own test's load
	 * made "periodic" runs at every test */
	stats_log_summary_quiet(ms->stats, STATS_1H, ui->src.now_mono_ns, &st);
	x += cellbuf_put(cb, x, y, "Loss runs (1h)", ROLE_HEADER, 0) + 2;
	view_loss_run_words(st.loss_run_hist, words, sizeof(words));
	x += cellbuf_putn(cb, x, y, w - x - 1, words,
			  st.lost ? ROLE_WARN : ROLE_DIM, 0);
	cellbuf_printf(cb, x + 2, y, st.lost ? ROLE_WARN : ROLE_OK, 0,
		       "lost %u of %u, longest %u, %s%s", st.lost, st.count,
		       st.loss_run_longest, stats_loss_pattern_name(st.pattern),
		       st.under_load ? "; our own tests' probes left out" : "");
	/* the timeline: one cell per slice of the plot window */
	int tw = w - 18;

	cellbuf_put(cb, 1, y + 1, "Loss timeline", ROLE_HEADER, 0);
	for (int c = 0; c < tw; c++) {
		size_t i0 = n <= (size_t)tw ? (size_t)c : (size_t)c * n / tw;
		size_t i1 = n <= (size_t)tw ? i0 + 1 : (size_t)(c + 1) * n / tw;
		int lost = 0, ok = 0;

		if (n < (size_t)tw) {
			/* right-align short history */
			long j = (long)c - (tw - (long)n);
			if (j < 0)
				continue;
			i0 = (size_t)j, i1 = i0 + 1;
		}
		for (size_t i = i0; i < i1 && i < n; i++) {
			uint32_t s, l;

			entry_loss(d, i, &s, &l);
			lost += l > 0;
			ok += trace_is_value(d->v[i]);
		}
		if (lost)
			cellbuf_set(cb, 16 + c, y + 1, a ? '!' : 0xd7,
				    ROLE_LOSS, 0);
		else if (ok)
			cellbuf_set(cb, 16 + c, y + 1, a ? '.' : 0xb7, ROLE_DIM,
				    0);
	}
}

/* The one-way line: the echo stream's newest up/down delays while the clock
 * sync quality is >= 80 % (core leaves them BB_NONE below), else why not;
 * and the echo losses by direction. */
static void oneway(struct ui *ui, const struct model_series *ms,
		   struct cellbuf *cb, int x, int y)
{
	/* the line's one-way delays: our own test's load left out */
	const struct bb_sample *l = &ms->quiet;
	int q = l->sync_pct;
	uint64_t lost_up, lost_down;

	if (ms->kind != BB_KIND_UDP_ECHO) {
		cellbuf_put(
			cb, x, y,
			ui->src.has_server
				? "measured on the udp_echo row of the "
				  "companion server"
				: "needs a companion server (its echo stream "
				  "times each direction)",
			ROLE_DIM, 0);
		return;
	}
	if (l->up_delay_ns != BB_NONE && l->down_delay_ns != BB_NONE) {
		char u[16], d[16];

		view_fmt_ms(u, sizeof(u), l->up_delay_ns);
		view_fmt_ms(d, sizeof(d), l->down_delay_ns);
		x += cellbuf_printf(cb, x, y, ROLE_NORMAL, 0,
				    "up %s ms  down %s ms", u, d);
		if (q >= 0)
			x += cellbuf_printf(cb, x, y, ROLE_DIM, 0,
					    "  (clock sync %d%%)", q);
	} else if (l->status != BB_STATUS_OK) {
		x += cellbuf_put(cb, x, y, "last probe lost", ROLE_WARN, 0);
	} else if (q >= 0) {
		x += cellbuf_printf(cb, x, y, ROLE_DIM, 0,
				    "clock sync %d%% (shown from 80%%)", q);
	} else {
		x += cellbuf_put(cb, x, y, "clock not synced yet", ROLE_DIM, 0);
	}
	view_echo_lost(ui, ms->server, &lost_up, &lost_down);
	if (lost_up || lost_down)
		cellbuf_printf(cb, x + 2, y, ROLE_WARN, 0,
			       "lost up %llu, down %llu since start",
			       (unsigned long long)lost_up,
			       (unsigned long long)lost_down);
}

/* The 24 h window, one entry per minute: ui->scratch the worst value,
 * ui->day_sent and ui->day_lost the probes; the rollups of ui->src.hist
 * with the model's newest probes folded in.  The model's values carry no
 * time, so each is placed at now - age x interval; merging is by maximum,
 * so a minute seen by both counts once. */
static void day_window(struct ui *ui, const struct model_series *ms, int64_t iv,
		       struct dd_window *d)
{
	const struct ui_history *h = &ui->src.hist;
	int64_t *v = ui->scratch, *recent = ui->scratch2;
	size_t n = stats_log_recent(ms->stats, recent, STATS_MAX_ENTRIES);
	int64_t now_ms = ui->src.now_ms;

	memcpy(v, h->minute, sizeof(h->minute));
	memset(ui->day_sent, 0, sizeof(ui->day_sent));
	memset(ui->day_lost, 0, sizeof(ui->day_lost));
	for (size_t i = 0; i < n; i++) {
		int64_t t = now_ms - (int64_t)(n - 1 - i) * (iv / 1000000);
		int64_t k = (t - h->from_ms) / 60000;

		if (t < h->from_ms || k >= UI_HIST_MINUTES ||
		    recent[i] == TRACE_NODATA)
			continue;
		ui->day_sent[k]++;
		if (recent[i] == TRACE_LOST) {
			ui->day_lost[k]++;
			if (v[k] == TRACE_NODATA)
				v[k] = TRACE_LOST;
		} else if (!trace_is_value(v[k]) || recent[i] > v[k]) {
			v[k] = recent[i];
		}
	}
	for (size_t k = 0; k < UI_HIST_MINUTES; k++) {
		if (h->minute_sent[k] > ui->day_sent[k])
			ui->day_sent[k] = h->minute_sent[k];
		if (h->minute_lost[k] > ui->day_lost[k])
			ui->day_lost[k] = h->minute_lost[k];
	}
	*d = (struct dd_window){ v, ui->day_sent, ui->day_lost,
				 UI_HIST_MINUTES };
}

static void dd_draw(struct ui *ui, struct cellbuf *cb, int y, int h)
{
	const struct model_series *ms = view_dd_series(ui);
	int w = cellbuf_width(cb), end = y + h;
	char title[160], right[96];

	if (ui->dd_long != LONG_OFF) {
		view_long.draw(ui, cb, y, h);
		return;
	}
	if (!ms) {
		view_section(cb, y, "Drilldown", NULL, false);
		cellbuf_put(cb, 2, y + 2,
			    "No target selected: choose a row on the dashboard "
			    "(1) and press Enter.",
			    ROLE_DIM, 0);
		return;
	}
	int64_t iv = view_interval_ns(ui, ms);
	int64_t want = span_s[ui->span] * 1000000000LL / (iv > 0 ? iv : 1);
	bool whole = want <= STATS_MAX_ENTRIES;
	bool day = ui->span == SPAN_24H && ui->src.hist.valid &&
		   view_history_of(&ui->src.hist, ms);
	const char *note = "";
	struct dd_window d = { .v = ui->scratch };
	size_t n;

	if (want > STATS_MAX_ENTRIES)
		want = STATS_MAX_ENTRIES;
	if (day) {
		day_window(ui, ms, iv, &d);
		n = d.n;
		note = " (1-min rollups)";
	} else {
		n = stats_log_recent(ms->stats, ui->scratch, (size_t)want);
		if (ui->span == SPAN_24H)
			note = ui->src.hist.why_not ? ui->src.hist.why_not
						    : " (reading the database)";
	}
	/* Less history than the window: pad the left with "no data" so the
	 * probes sit where the time axis says they are (19 s of a 10 min
	 * window is the right 3 %, not the whole width). */
	if (!day && whole && (int64_t)n < want) {
		size_t pad = (size_t)want - n;

		memmove(ui->scratch + pad, ui->scratch, n * sizeof(int64_t));
		for (size_t i = 0; i < pad; i++)
			ui->scratch[i] = TRACE_NODATA;
		n = (size_t)want;
	}
	if (!day)
		d.n = n;
	snprintf(title, sizeof(title), "%s  %s via %s", ms->target,
		 sample_kind_name(ms->kind),
		 ms->interface[0] ? ms->interface : "the default route");
	snprintf(right, sizeof(right), "window %s%s  w: change",
		 span_name[ui->span], note);
	view_section(cb, y++, title, right, false);

	/* plot */
	int plot_h = h * 2 / 5;

	if (plot_h < 7)
		plot_h = 7;
	uint16_t lost_pm[2048];
	size_t cols = (size_t)(w - 8) * (cellbuf_ascii(cb) ? 1 : 2);

	if (cols > sizeof(lost_pm) / sizeof(lost_pm[0]))
		cols = sizeof(lost_pm) / sizeof(lost_pm[0]);
	size_t k = bucket(&d, ui->scratch2, lost_pm, cols);
	struct plot_opts po = { .warn = 100000,
				.bad = 250000,
				.x_left = span_label[ui->span][0],
				.x_mid = span_label[ui->span][1],
				.x_right = span_label[ui->span][2],
				.lost_pm = lost_pm };

	plot_draw(cb, 1, y, w - 2, plot_h, ui->scratch2, k, &po);
	y += plot_h;

	/* percentiles (+ histogram beside them when wide) */
	const char *hist_title =
		day ? "Worst RTT per minute, 24 h (ms)" : "RTT histogram (ms)";
	if (y + 5 > end)
		return;
	if (w >= 120) {
		percentiles(ui, ms, cb, 1, y, w * 11 / 20);
		histogram(cb, w * 11 / 20 + 3, y, w - w * 11 / 20 - 4,
			  end - y - 4 > 8 ? 9 : 6, ui->scratch, n, hist_title);
	} else {
		percentiles(ui, ms, cb, 1, y, w - 2);
	}
	y += STATS_WINDOW_COUNT + 1;
	if (w >= 120 && end - y - 4 > 8 - 5)
		y += 4;
	if (y + 2 > end)
		return;
	loss_lines(ui, ms, cb, y, &d);
	y += 2;
	if (y >= end)
		return;
	cellbuf_put(cb, 1, y, "One-way delay", ROLE_HEADER, 0);
	oneway(ui, ms, cb, 16, y);
	y++;
	if (w < 120 && end - y >= 12) {
		histogram(cb, 1, y, w - 2, 7, ui->scratch, n, hist_title);
		y += 7;
	}
	if (end - y < 2)
		return;
	view_section(cb, y, "Events of this target", NULL, false);
	if (view_event_lines(ui, cb, y + 1, end - y - 1, ms->target, -1, 0) ==
	    0)
		cellbuf_put(cb, 2, y + 1, "No events for this target.",
			    ROLE_DIM, 0);
}

const struct view_ops view_drilldown = {
	.name = "Drilldown",
	.title = "drilldown",
	.draw = dd_draw,
};

enum view_span view_dd_fit_span(const struct ui *ui,
				const struct model_series *ms)
{
	struct stats_summary st;
	int64_t iv, have_s;

	if (!ms)
		return SPAN_10M;
	/* the model's hour: how far back its probes reach */
	iv = view_interval_ns(ui, ms);
	stats_log_summary(ms->stats, STATS_1H, ui->src.now_mono_ns, &st);
	have_s = (int64_t)st.count * iv / 1000000000LL;
	for (int s = SPAN_1M; s < SPAN_24H; s++)
		if (have_s <= span_s[s])
			return (enum view_span)s;
	return SPAN_1H; /* a day needs the database: w asks for it */
}

bool view_dd_step(struct ui *ui, int d)
{
	size_t idx[MODEL_MAX_SERIES], n = view_rows(ui, idx, MODEL_MAX_SERIES);
	const struct model_series *cur = view_dd_series(ui), *ms;
	int at = -1, to;

	if (n == 0)
		return false;
	for (size_t i = 0; cur && i < n; i++)
		if (model_at(ui->src.model, idx[i]) == cur)
			at = (int)i;
	to = at < 0 ? 0 : at + d;
	if (to < 0 || to >= (int)n)
		return false; /* the first or last row: stay */
	ms = model_at(ui->src.model, idx[to]);
	snprintf(ui->dd_target, sizeof(ui->dd_target), "%s", ms->target);
	snprintf(ui->dd_iface, sizeof(ui->dd_iface), "%s", ms->interface);
	ui->dd_kind = ms->kind;
	if (!ui->filter[0])
		ui->sel = to; /* the same row back on the dashboard */
	return true;
}
