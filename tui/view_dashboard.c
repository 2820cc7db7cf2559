// SPDX-License-Identifier: MIT
/*
 * The dashboard, what `bufferbane` shows first: one row per target series
 * (interface, last RTT, p50/p95 over the chosen window, jitter, loss and a
 * sparkline where a lost probe is a red '×', never a gap), throughput per
 * direction against its baseline, a bufferbloat gauge per direction and
 * the event pane, newest first.  Rows shrink before the event pane does;
 * at 80 x 24 every part keeps at least its title and one line.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/analysis/model.h"
#include "core/analysis/stats.h"
#include "tui/evlog.h"
#include "tui/gauge.h"
#include "tui/sparkline.h"
#include "tui/table.h"
#include "tui/view.h"

enum {
	C_TARGET,
	C_IFACE,
	C_KIND,
	C_LAST,
	C_P50,
	C_P95,
	C_JIT,
	C_LOSS,
	C_SPARK,
	NCOL
};

static const struct table_col cols_all[NCOL] = {
	[C_TARGET] = { "Target", 10, 22, 0, TABLE_LEFT, false },
	[C_IFACE] = { "Iface", 5, 8, 3, TABLE_LEFT, false },
	[C_KIND] = { "Kind", 4, 8, 4, TABLE_LEFT, false },
	[C_LAST] = { "Last ms", 6, 7, 0, TABLE_RIGHT, false },
	[C_P50] = { "p50", 5, 6, 0, TABLE_RIGHT, false },
	[C_P95] = { "p95", 5, 6, 1, TABLE_RIGHT, false },
	[C_JIT] = { "Jitter", 6, 6, 2, TABLE_RIGHT, false },
	[C_LOSS] = { "Loss%", 5, 6, 0, TABLE_RIGHT, false },
	[C_SPARK] = { "Recent probes", 10, 400, 0, TABLE_LEFT, true },
};

#define TXT 72

static int64_t now_ms_of(const struct ui *ui)
{
	return ui->src.now_ms ? ui->src.now_ms : (int64_t)time(NULL) * 1000;
}

static void targets(struct ui *ui, struct cellbuf *cb, int y, int h,
		    const size_t *idx, size_t n)
{
	static char text[MODEL_MAX_SERIES][NCOL][TXT];
	static struct table_cell cells[MODEL_MAX_SERIES * NCOL];
	struct table_col cols[NCOL];
	struct table_layout lay;
	struct model *m = ui->src.model;
	bool ifaces = false;
	char right[64];
	struct table t;

	int kind_w = cols_all[C_KIND].min_w;

	for (size_t r = 0; r < n; r++) {
		const struct model_series *ms = model_at(m, idx[r]);
		int kw = (int)strlen(sample_kind_name(ms->kind));

		if (ms->interface[0])
			ifaces = true;
		if (kw > kind_w && kw <= cols_all[C_KIND].pref_w)
			kind_w = kw; /* "udp_echo" whole, not "udp…" */
	}
	int map[NCOL], nc = 0; /* logical column -> drawn column */

	for (int k = 0; k < NCOL; k++) {
		/* one path only: the column would just say "default" */
		map[k] = k == C_IFACE && !ifaces ? -1 : nc;
		if (map[k] >= 0)
			cols[nc++] = cols_all[k];
	}
	if (map[C_KIND] >= 0)
		cols[map[C_KIND]].min_w = kind_w;
	snprintf(right, sizeof(right), "p50/p95/jitter/loss over %s",
		 stats_window_name(ui->window));
	view_section(cb, y, "Targets", right, ui->pane == 0);
	if (h < 2)
		return;
	if (n == 0) {
		cellbuf_put(cb, 2, y + 1,
			    ui->filter[0] ? "No target matches the filter."
					  : "Waiting for the first samples...",
			    ROLE_DIM, 0);
		return;
	}
	for (size_t r = 0; r < n; r++) {
		const struct model_series *ms = model_at(m, idx[r]);
		struct stats_summary st;
		struct table_cell c[NCOL];
		char(*tx)[TXT] = text[r];

		stats_log_summary(ms->stats, ui->window, ui->src.now_mono_ns,
				  &st);
		snprintf(tx[C_TARGET], TXT, "%s", ms->target);
		snprintf(tx[C_IFACE], TXT, "%s",
			 ms->interface[0] ? ms->interface : "default");
		snprintf(tx[C_KIND], TXT, "%s", sample_kind_name(ms->kind));
		if (ms->samples == 0)
			snprintf(tx[C_LAST], TXT, "-");
		else if (ms->last.status != BB_STATUS_OK)
			snprintf(tx[C_LAST], TXT, "lost");
		else
			view_fmt_ms(tx[C_LAST], TXT, ms->last.rtt_ns);
		view_fmt_ms(tx[C_P50], TXT, st.p50);
		view_fmt_ms(tx[C_P95], TXT, st.p95);
		view_fmt_ms(tx[C_JIT], TXT, st.ipdv_mean);
		snprintf(tx[C_LOSS], TXT, "%.1f", st.loss_pct);
		tx[C_SPARK][0] = 0;
		for (int k = 0; k < NCOL; k++)
			c[k] = (struct table_cell){ tx[k], ROLE_NORMAL };
		c[C_TARGET].role = ROLE_NORMAL;
		c[C_IFACE].role = ROLE_DIM;
		c[C_KIND].role = ROLE_DIM;
		c[C_LAST].role = ms->last.status != BB_STATUS_OK
					 ? ROLE_BAD
					 : view_rtt_role(ms->last.rtt_ns);
		c[C_P50].role = view_rtt_role(st.p50);
		c[C_P95].role = view_rtt_role(st.p95);
		c[C_LOSS].role = view_loss_role(st.loss_pct);
		for (int k = 0; k < NCOL; k++)
			if (map[k] >= 0)
				cells[r * (size_t)nc + (size_t)map[k]] = c[k];
	}
	if (ui->sel >= (int)n)
		ui->sel = (int)n - 1;
	if (ui->sel < 0)
		ui->sel = 0;
	t = (struct table){
		cols, nc, cells, (int)n, ui->pane == 0 ? ui->sel : -1, 0
	};
	if (ui->sel >= h - 2)
		t.first = ui->sel - (h - 2) + 1;
	table_draw(cb, 0, y + 1, cellbuf_width(cb), h - 1, &t, &lay);
	int sx = lay.x[map[C_SPARK]], sw = lay.w[map[C_SPARK]];

	if (sw <= 0)
		return;
	for (int r = t.first; r < (int)n && r - t.first < h - 2; r++) {
		const struct model_series *ms = model_at(m, idx[r]);
		struct sparkline_opts so = { .warn = 100000000LL,
					     .bad = 250000000LL };
		size_t k = stats_log_recent(ms->stats, ui->scratch, (size_t)sw);

		sparkline_draw(cb, sx, y + 2 + r - t.first, sw, ui->scratch, k,
			       &so);
	}
}

static const struct model_series *find_kind(struct model *m, int kind)
{
	for (size_t i = 0; m && i < model_count(m); i++)
		if ((int)model_at(m, i)->kind == kind)
			return model_at(m, i);
	return NULL;
}

/* kbps -> "0.85 Mb/s" or "95.3 Mb/s": one unit, so two rates side by
 * side compare at a glance. */
static void fmt_rate(char *out, size_t size, int64_t kbps)
{
	if (kbps == BB_NONE)
		snprintf(out, size, "-");
	else
		snprintf(out, size, kbps < 1000 ? "%.2f Mb/s" : "%.1f Mb/s",
			 (double)kbps / 1000.0);
}

/* Per direction: the last result (BAD under 70 % of the hour's median, the
 * baseline), the baseline, then a sparkline of the recent tests scaled to
 * their maximum (a throughput is never "too high"). */
static void throughput_line(struct ui *ui, struct cellbuf *cb, int y)
{
	static const int kinds[2] = { BB_KIND_UPLOAD, BB_KIND_DOWNLOAD };
	static const char *const names[2] = { "Up", "Down" };
	int w = cellbuf_width(cb), half = (w - 12) / 2;
	bool any = false;

	cellbuf_put(cb, 1, y, "Throughput", ROLE_HEADER, 0);
	for (int d = 0; d < 2; d++) {
		const struct model_series *ms =
			find_kind(ui->src.model, kinds[d]);
		struct stats_summary st;
		char last[32], base[32];
		int x = 12 + d * half;

		if (!ms)
			continue;
		any = true;
		stats_log_summary(ms->stats, STATS_1H, ui->src.now_mono_ns,
				  &st);
		int64_t kbps = ms->last.status == BB_STATUS_OK
				       ? ms->last.throughput_kbps
				       : BB_NONE;

		fmt_rate(last, sizeof(last), kbps);
		fmt_rate(base, sizeof(base), st.p50);
		int x2 = x + cellbuf_printf(cb, x, y, ROLE_NORMAL, 0, "%-4s ",
					    names[d]);
		if (ms->last.status != BB_STATUS_OK)
			x2 += cellbuf_putn(cb, x2, y, half - 6, "failed",
					   ROLE_BAD, 0) +
			      1;
		else
			x2 += cellbuf_printf(
				      cb, x2, y,
				      kbps != BB_NONE && st.p50 != BB_NONE &&
						      kbps * 10 < st.p50 * 7
					      ? ROLE_BAD
					      : ROLE_NORMAL,
				      CELLBUF_BOLD, "%s", last) +
			      1;
		x2 += cellbuf_printf(cb, x2, y, ROLE_DIM, 0, "base %s ", base);
		int sw = x + half - 2 - x2;

		if (sw < 3)
			continue;
		size_t k = stats_log_recent(ms->stats, ui->scratch, (size_t)sw);
		struct sparkline_opts so = { 0 };

		for (size_t i = 0; i < k; i++)
			if (trace_is_value(ui->scratch[i]) &&
			    ui->scratch[i] > so.top)
				so.top = ui->scratch[i];
		sparkline_draw(cb, x2, y, sw, ui->scratch, k, &so);
	}
	if (!any)
		cellbuf_put(
			cb, 12, y,
			ui->src.has_server
				? "waiting for the first throughput test"
				: "no server configured (upload/download tests "
				  "need a companion server)",
			ROLE_DIM, 0);
}

static void bloat_lines(struct ui *ui, struct cellbuf *cb, int y, int h)
{
	int w = cellbuf_width(cb), half = (w - 2) / 2;
	static const char *const names[3] = { "Upload", "Download",
					      "Both ways" };
	const struct model_bloat *bl[MODEL_BLOAT_N];

	for (int d = 0; d < MODEL_BLOAT_N; d++)
		bl[d] = view_bloat(ui, d);
	/* only the both-ways result known (a replay opened after the up and
	 * down phases left the hour): show it whole */
	bool both = !(bl[0] && bl[0]->ok) && !(bl[1] && bl[1]->ok) && bl[2] &&
		    bl[2]->ok;

	for (int d = 0; d < 2; d++) {
		const struct model_bloat *b = bl[both ? 2 : d];
		int x = 1 + d * (half + 1);

		if (both && d == 1)
			break;
		if (both)
			half = w - 1;

		if (!b || !b->ok) {
			cellbuf_printf(cb, x, y, ROLE_HEADER, 0, "%s",
				       names[d]);
			cellbuf_put(cb, x + 10, y, "--", ROLE_DIM,
				    CELLBUF_BOLD);
			const char *why =
				b			? b->detail
				: ui->src.bloat_running ? "test running..."
				: ui->src.has_server	? "no test yet"
				: half >= 52 ? "no test yet (needs a companion "
					       "server)"
					     : "no test yet (no server)";
			view_put_words(cb, x + 14, y, half - 15, why,
				       b ? ROLE_WARN : ROLE_DIM, 0);
			continue;
		}
		struct gauge_data g = {
			.label = names[both ? 2 : d],
			.idle_us =
				b->idle_ns == BB_NONE ? -1 : b->idle_ns / 1000,
			.loaded_us = b->loaded_ns / 1000,
			.age_s = (now_ms_of(ui) - b->at_ms) / 1000,
		};
		if (g.age_s < 0)
			g.age_s = 0;
		gauge_draw(cb, x, y, half - 1, h, &g);
	}
}

/* "one-way ↑0.03 ↓0.02 ms" from the newest echo sample with a synced
 * clock (core sets the one-way delays only at sync quality >= 80 %). */
/* Display columns of a UTF-8 string (one per code point here). */
static size_t cols_of(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

static void oneway_words(struct ui *ui, struct cellbuf *cb, char *out,
			 size_t len)
{
	const struct model_series *ms =
		find_kind(ui->src.model, BB_KIND_UDP_ECHO);
	int q;

	out[0] = 0;
	if (!ms)
		return;
	q = ms->last.sync_pct;
	if (ms->last.up_delay_ns != BB_NONE &&
	    ms->last.down_delay_ns != BB_NONE) {
		char u[16], dn[16];

		view_fmt_ms(u, sizeof(u), ms->last.up_delay_ns);
		view_fmt_ms(dn, sizeof(dn), ms->last.down_delay_ns);
		snprintf(out, len, "one-way %s%s %s%s ms  ",
			 view_g(cb, "↑", "up "), u, view_g(cb, "↓", "down "),
			 dn);
	} else if (q >= 0) {
		snprintf(out, len, "clock sync %d%% (one-way at 80%%)  ", q);
	}
}

/* "echo lost ↑3 ↓0" since the start, "" without directional losses. */
static void lost_words(struct ui *ui, struct cellbuf *cb, char *out, size_t len)
{
	uint64_t up, down;

	out[0] = 0;
	view_echo_lost(ui, NULL, &up, &down);
	if (up || down)
		snprintf(out, len, "echo lost %s%llu %s%llu  ",
			 view_g(cb, "↑", "up "), (unsigned long long)up,
			 view_g(cb, "↓", "down "), (unsigned long long)down);
}

static void dash_draw(struct ui *ui, struct cellbuf *cb, int y, int h)
{
	size_t idx[MODEL_MAX_SERIES];
	size_t n = view_rows(ui, idx, MODEL_MAX_SERIES);
	int bloat_h = h >= 36 ? 2 : 1;
	int tp_h = 2 + bloat_h; /* title, throughput, gauges */
	int ev_min = 4, tg_h = (int)n + 2;

	if (tg_h > h - tp_h - ev_min)
		tg_h = h - tp_h - ev_min;
	if (tg_h < 3)
		tg_h = 3;
	int ev_h = h - tg_h - tp_h;

	targets(ui, cb, y, tg_h, idx, n);
	y += tg_h;
	char right[128] = "";

	if (ui->src.has_server) {
		/* the title keeps its 24 columns */
		size_t room = (size_t)(cellbuf_width(cb) - 32);
		const char *hint = ui->src.replay ? ""
				   : ui->src.bloat_running
					   ? "bloat test running"
					   : "b: bloat test";
		char ow[64], lost[64];

		oneway_words(ui, cb, ow, sizeof(ow));
		lost_words(ui, cb, lost, sizeof(lost));
		/* fill in priority order: one-way, losses, the key hint */
		const char *part[3] = { ow, lost, hint };

		for (int i = 0; i < 3; i++)
			if (cols_of(right) + cols_of(part[i]) <= room)
				snprintf(right + strlen(right),
					 sizeof(right) - strlen(right), "%s",
					 part[i]);
		for (size_t k = strlen(right); k && right[k - 1] == ' '; k--)
			right[k - 1] = 0;
	}
	view_section(cb, y, "Throughput & bufferbloat", right, false);
	throughput_line(ui, cb, y + 1);
	bloat_lines(ui, cb, y + 2, bloat_h);
	y += tp_h;
	if (ev_h < 2)
		return;
	view_section(cb, y, "Events", "newest first  c: clear", ui->pane == 1);
	if (view_event_lines(ui, cb, y + 1, ev_h - 1, NULL,
			     ui->pane == 1 ? ui->ev_sel : -1,
			     ui->cleared_ms) == 0)
		cellbuf_put(cb, 2, y + 1, "No events.", ROLE_DIM, 0);
}

const struct view_ops view_dashboard = {
	.name = "Dashboard",
	.title = "dashboard",
	.draw = dash_draw,
};
