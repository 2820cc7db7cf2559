// SPDX-License-Identifier: MIT
/*
 * The dashboard, what `bufferbane` shows first: one row per target series
 * (name and address, interface, last RTT, p50/p95 over the chosen window,
 * jitter, loss and a sparkline where a lost probe is a red '×', never a
 * gap, with its scale), throughput per direction against its baseline, a
 * bufferbloat gauge per direction and the event pane, newest first.  Rows
 * shrink before the event pane does; at 80 x 24 every part keeps at least
 * its title and one line, and below it a compact layout keeps the name,
 * p95, loss and the sparkline.
 *
 * Probes sent under our own throughput or bloat test's load measured that
 * load, not the line: the row's figures leave them out
 * (stats_log_summary_quiet), its sparkline draws them dim, and the title
 * says which test runs and for how long.  Rows scroll to keep the selection
 * in view ("Targets 12 of 16"); 's' sorts them (view_rows); 'S' draws every
 * sparkline on one scale.  Where the rows landed is left in struct ui for
 * the mouse.
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
#include "tui/trace.h"
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
	C_SCALE,
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
	[C_SCALE] = { "Scale", 7, 8, 0, TABLE_RIGHT, false },
};

/* The compact layout (below VIEW_MIN_W x VIEW_MIN_H): name, p95, loss and
 * the sparkline with its scale; the interface when the rows span more than
 * one (targets()). */
static const bool compact_col[NCOL] = {
	[C_TARGET] = true, [C_P95] = true,   [C_LOSS] = true,
	[C_SPARK] = true,  [C_SCALE] = true,
};

#define TXT	  72
#define SPARK_MAX 1024

static int64_t now_ms_of(const struct ui *ui)
{
	return ui->src.now_ms ? ui->src.now_ms : (int64_t)time(NULL) * 1000;
}

/* The address behind a target's display name, NULL when unknown or the
 * name is the address itself. */
static const char *addr_of(const struct ui *ui, const char *name)
{
	for (size_t i = 0; i < ui->src.n_addrs; i++) {
		const struct ui_addr *a = &ui->src.addrs[i];

		if (!strcmp(a->name, name))
			return a->addr[0] && strcmp(a->addr, name) ? a->addr
								   : NULL;
	}
	return NULL;
}

/* A sparkline scale top (ns) as "≤50 ms", "≤200 µs", "≤2 s". */
static void fmt_scale(char *out, size_t size, int64_t ns, bool ascii)
{
	const char *le = ascii ? "<=" : "≤";

	if (ns >= 1000000000LL && ns % 1000000000LL == 0)
		snprintf(out, size, "%s%lld s", le,
			 (long long)(ns / 1000000000));
	else if (ns >= 1000000)
		snprintf(out, size, "%s%lld ms", le, (long long)(ns / 1000000));
	else if (ns >= 1000)
		snprintf(out, size, "%s%lld %s", le, (long long)(ns / 1000),
			 ascii ? "us" : "µs");
	else
		snprintf(out, size, "%s%lld ns", le, (long long)ns);
}

/* The top of the line's own scale: the nice ceiling of the p95 of the
 * newest `want` probes not sent under our own load, looked for further
 * back than the sparkline shows (a test longer than the row would else
 * set the scale to its load); 0 when there is none with a value. */
static int64_t own_top(struct ui *ui, const struct model_series *ms,
		       size_t want)
{
	static bool lb[STATS_MAX_ENTRIES];
	size_t n, q, nq;

	for (size_t max = want;; max *= 4) {
		if (max > STATS_MAX_ENTRIES)
			max = STATS_MAX_ENTRIES;
		n = stats_log_recent_load(ms->stats, ui->scratch2, lb, max);
		q = nq = 0;
		for (size_t i = 0; i < n; i++)
			if (!lb[i]) {
				nq += trace_is_value(ui->scratch2[i]);
				ui->scratch2[q++] = ui->scratch2[i];
			}
		if (q >= want || n < max || max == STATS_MAX_ENTRIES)
			break;
	}
	if (!nq)
		return 0;
	size_t m = q < want ? q : want;

	return trace_top(ui->scratch2 + q - m, m, 0);
}

/* A row's sparkline values and which were sent under our own load; the
 * top its sparkline is drawn to: the line's own (own_top) while any of
 * them was, else the nice ceiling of their p95 (as sparkline_draw picks
 * it). */
static size_t row_values(struct ui *ui, const struct model_series *ms, int sw,
			 bool *loaded, int64_t *top)
{
	size_t k = stats_log_recent_load(ms->stats, ui->scratch, loaded,
					 (size_t)sw);
	size_t nv = 0, nl = 0;

	for (size_t i = 0; i < k; i++) {
		nv += trace_is_value(ui->scratch[i]);
		nl += loaded[i];
	}
	*top = nl ? own_top(ui, ms, k) : 0;
	/* no probe of the line's own: the scale of what is drawn (dim); no
	 * value at all (every probe lost): no scale, 0 */
	if (!*top && nv)
		*top = trace_top(ui->scratch, k, 0);
	return k;
}

/* "upload", "download"...: the load of the newest probe sent under it. */
static const char *phase_name(int phase)
{
	switch (phase) {
	case BB_PHASE_UP:
		return "upload";
	case BB_PHASE_DOWN:
		return "download";
	case BB_PHASE_BOTH:
		return "up+down";
	case BB_PHASE_IDLE:
		return "bloat, idle";
	default:
		return "load";
	}
}

/* "test: upload 7 s left" while our own test loads the line (rows' last
 * probes sent under load in the last 5 s, or a 'b' test running), "". */
static void load_label(struct ui *ui, const size_t *idx, size_t n, char *out,
		       size_t len)
{
	const struct bb_sample *newest = NULL;

	out[0] = 0;
	for (size_t r = 0; r < n; r++) {
		const struct bb_sample *l =
			&model_at(ui->src.model, idx[r])->last;

		if ((l->flags & BB_SAMPLE_UNDER_LOAD) &&
		    ui->src.now_mono_ns - l->mono_ns < 5 * 1000000000LL &&
		    (!newest || l->mono_ns > newest->mono_ns))
			newest = l;
	}
	if (!newest && !ui->src.bloat_running)
		return;
	const char *what = newest ? phase_name(newest->load_phase) : "bloat";

	if (ui->src.load_left_s > 0)
		snprintf(out, len, "test: %s %d s left", what,
			 ui->src.load_left_s);
	else
		snprintf(out, len, "test: %s running", what);
}

static void targets(struct ui *ui, struct cellbuf *cb, int y, int h,
		    const size_t *idx, size_t n, bool compact)
{
	static char text[MODEL_MAX_SERIES][NCOL][TXT];
	static struct table_cell cells[MODEL_MAX_SERIES * NCOL];
	static bool loaded[SPARK_MAX];
	static int64_t tops[MODEL_MAX_SERIES];
	struct table_col cols[NCOL];
	struct table_layout lay;
	struct model *m = ui->src.model;
	bool ifaces = false, many_ifaces = false, ascii = cellbuf_ascii(cb);
	char right[160], title[64], label[64], scale[24] = "";
	int w = cellbuf_width(cb), rows = h - 2;
	struct table t;

	int kind_w = cols_all[C_KIND].min_w;
	int name_w =
		compact ? cols_all[C_TARGET].min_w : cols_all[C_TARGET].pref_w;

	for (size_t r = 0; r < n; r++) {
		const struct model_series *ms = model_at(m, idx[r]);
		int kw = (int)strlen(sample_kind_name(ms->kind));
		const char *a = addr_of(ui, ms->target);
		int nw = cellbuf_utf8_width(ms->target) +
			 (a ? 1 + (int)strlen(a) : 0);

		if (ms->interface[0])
			ifaces = true;
		if (r && strcmp(ms->interface, model_at(m, idx[0])->interface))
			many_ifaces = true;
		if (kw > kind_w && kw <= cols_all[C_KIND].pref_w)
			kind_w = kw; /* "udp_echo" whole, not "udp…" */
		if (nw > name_w)
			name_w = nw < 34 ? nw : 34; /* "gateway 198.18.1.1" */
	}
	int map[NCOL], nc = 0; /* logical column -> drawn column */

	for (int k = 0; k < NCOL; k++) {
		/* one path only: the column would just say "default" */
		/* compact: the interface too when the rows span several,
		 * or one target's rows over eth0 and wlan0 look the same */
		bool on = !(k == C_IFACE && !ifaces) &&
			  !(compact && !compact_col[k] &&
			    !(k == C_IFACE && many_ifaces)) &&
			  !(k == C_SCALE && ui->shared_scale);

		map[k] = on ? nc : -1;
		if (on)
			cols[nc++] = cols_all[k];
	}
	if (compact && map[C_IFACE] >= 0)
		cols[map[C_IFACE]].priority = 1; /* kept before p95 */
	if (map[C_KIND] >= 0)
		cols[map[C_KIND]].min_w = kind_w;
	cols[map[C_TARGET]].pref_w = name_w;
	table_fit(cols, nc, w, &lay);
	int sw = lay.w[map[C_SPARK]];

	if (sw > SPARK_MAX)
		sw = SPARK_MAX;

	/* the scales first: a shared one is printed once, in the title */
	int64_t shared = 1;

	for (size_t r = 0; r < n && sw > 0; r++) {
		row_values(ui, model_at(m, idx[r]), sw, loaded, &tops[r]);
		if (tops[r] > shared)
			shared = tops[r];
	}
	if (ui->shared_scale && sw > 0 && n > 0)
		fmt_scale(scale, sizeof(scale), shared, ascii);

	/* selection: kept on its series when the order changed under it */
	if (ui->sel == ui->sel_drawn && ui->sel_series >= 0)
		for (size_t r = 0; r < n; r++)
			if ((int)idx[r] == ui->sel_series)
				ui->sel = (int)r;
	if (ui->sel >= (int)n)
		ui->sel = (int)n - 1;
	if (ui->sel < 0)
		ui->sel = 0;
	ui->sel_drawn = ui->sel;
	ui->sel_series = n ? (int)idx[ui->sel] : -1;

	load_label(ui, idx, n, label, sizeof(label));
	snprintf(title, sizeof(title), "Targets");
	if (rows > 0 && (int)n > rows)
		snprintf(title, sizeof(title), "Targets %d of %zu", ui->sel + 1,
			 n);
	snprintf(right, sizeof(right), "%s%s%s%s%s%s%s over %s",
		 ui->sort ? "sort " : "", view_sort_name(ui->sort),
		 ui->sort ? "  " : "", scale[0] ? "scale " : "", scale,
		 scale[0] ? "  " : "",
		 compact ? "p95/loss" : "p50/p95/jitter/loss",
		 stats_window_name(ui->window));
	/* the label goes first when the title line is short */
	int room = w - cellbuf_utf8_width(title) - 8 -
		   (label[0] ? cellbuf_utf8_width(label) + 2 : 0);

	view_section(cb, y, title,
		     cellbuf_utf8_width(right) <= room ? right : "",
		     ui->pane == 0);
	if (label[0]) /* after " ▸ Title " */
		cellbuf_printf(cb,
			       cellbuf_utf8_width(title) + 4 +
				       (ui->pane == 0 ? 2 : 0),
			       y, ROLE_TITLE, 0, " %s ", label);
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
		const char *a = addr_of(ui, ms->target);
		bool last_load = ms->last.flags & BB_SAMPLE_UNDER_LOAD;

		/* the line's figures: our own test's probes left out */
		stats_log_summary_quiet(ms->stats, ui->window,
					ui->src.now_mono_ns, &st);
		snprintf(tx[C_TARGET], TXT, "%s%s%s", ms->target, a ? " " : "",
			 a ? a : "");
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
		if (st.count)
			snprintf(tx[C_LOSS], TXT, "%.1f", st.loss_pct);
		else
			snprintf(tx[C_LOSS], TXT, "-");
		tx[C_SPARK][0] = 0;
		tx[C_SCALE][0] = 0;
		if (sw > 0 && !ui->shared_scale && tops[r] > 0)
			fmt_scale(tx[C_SCALE], TXT, tops[r], ascii);
		for (int k = 0; k < NCOL; k++)
			c[k] = (struct table_cell){ tx[k], ROLE_NORMAL };
		c[C_TARGET].role = ROLE_NORMAL;
		c[C_IFACE].role = ROLE_DIM;
		c[C_KIND].role = ROLE_DIM;
		/* a probe sent into our own test's queue is not the line's */
		c[C_LAST].role = last_load ? ROLE_DIM
				 : ms->last.status != BB_STATUS_OK
					 ? ROLE_BAD
					 : view_rtt_role(ms->last.rtt_ns);
		c[C_P50].role = view_rtt_role(st.p50);
		c[C_P95].role = view_rtt_role(st.p95);
		c[C_LOSS].role =
			st.count ? view_loss_role(st.loss_pct) : ROLE_DIM;
		c[C_SCALE].role = ROLE_DIM;
		for (int k = 0; k < NCOL; k++)
			if (map[k] >= 0)
				cells[r * (size_t)nc + (size_t)map[k]] = c[k];
	}
	t = (struct table){
		cols,	     nc, cells, (int)n, ui->pane == 0 ? ui->sel : -1,
		ui->rows_top
	};
	table_draw(cb, 0, y + 1, w, h - 1, &t, &lay);
	ui->rows_y0 = y + 2;
	ui->rows_top = t.first;
	ui->rows_n = (int)n - t.first < rows ? (int)n - t.first : rows;
	if (ui->rows_n < 0)
		ui->rows_n = 0;
	int sx = lay.x[map[C_SPARK]], tx0 = lay.x[map[C_TARGET]],
	    tw = lay.w[map[C_TARGET]];

	for (int r = t.first; r < (int)n && r - t.first < rows; r++) {
		const struct model_series *ms = model_at(m, idx[r]);
		const char *a = addr_of(ui, ms->target);
		int ry = y + 2 + r - t.first;

		/* the address dim beside the name (the selection keeps its
		 * own colours) */
		int ax = tx0 + cellbuf_utf8_width(ms->target) + 1;

		if (a && r != t.selected && ax < tx0 + tw)
			cellbuf_putn(cb, ax, ry, tx0 + tw - ax, a, ROLE_DIM, 0);
		if (sw <= 0)
			continue;
		int64_t top;
		size_t k = row_values(ui, ms, sw, loaded, &top);
		struct sparkline_opts so = { .top = ui->shared_scale ? shared
								     : top,
					     .warn = 100000000LL,
					     .bad = 250000000LL,
					     .loaded = loaded };

		sparkline_draw(cb, sx, ry, sw, ui->scratch, k, &so);
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
		/* a narrow half keeps the figure, not its unit */
		char *unit = strchr(last, ' ');
		if (unit && (int)strlen(last) > half - 7)
			*unit = '\0';
		int x2 = x + cellbuf_printf(cb, x, y, ROLE_NORMAL, 0, "%-4s ",
					    names[d]);
		if (ms->last.status != BB_STATUS_OK)
			x2 += cellbuf_putn(cb, x2, y, half - 6, "failed",
					   ROLE_BAD, 0) +
			      1;
		else
			x2 += cellbuf_putn(
				      cb, x2, y, x + half - 1 - x2, last,
				      kbps != BB_NONE && st.p50 != BB_NONE &&
						      kbps * 10 < st.p50 * 7
					      ? ROLE_BAD
					      : ROLE_NORMAL,
				      CELLBUF_BOLD) +
			      1;
		/* the base only where it fits whole: a narrow screen keeps
		 * the two halves apart ("18.5 Mb/sDown" ran together) */
		if (x2 + 6 + (int)strlen(base) <= x + half - 1)
			x2 += cellbuf_printf(cb, x2, y, ROLE_DIM, 0, "base %s ",
					     base);
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
	if (!any) /* between words at 40 columns */
		view_put_words(
			cb, 12, y, w - 13,
			ui->src.has_server
				? "waiting for the first throughput test"
			: cellbuf_width(cb) >= VIEW_MIN_W
				? "no server configured (upload/download tests "
				  "need a companion server)"
				: "no server configured",
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
				: half >= 38 ? "no test yet (no server)"
					     : "no server";
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

/* Display columns of a UTF-8 string (one per code point here). */
static size_t cols_of(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

/* "one-way ↑0.03 ↓0.02 ms" from the newest echo sample not sent under our
 * own test's load, with a synced clock (core sets the one-way delays only
 * at sync quality >= 80 %). */
static void oneway_words(struct ui *ui, struct cellbuf *cb, char *out,
			 size_t len)
{
	const struct model_series *ms =
		find_kind(ui->src.model, BB_KIND_UDP_ECHO);
	int q;

	out[0] = 0;
	if (!ms)
		return;
	q = ms->quiet.sync_pct;
	if (ms->quiet.up_delay_ns != BB_NONE &&
	    ms->quiet.down_delay_ns != BB_NONE) {
		char u[16], dn[16];

		view_fmt_ms(u, sizeof(u), ms->quiet.up_delay_ns);
		view_fmt_ms(dn, sizeof(dn), ms->quiet.down_delay_ns);
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
	bool compact = cellbuf_width(cb) < VIEW_MIN_W ||
		       cellbuf_height(cb) < VIEW_MIN_H;
	int bloat_h = h >= 36 ? 2 : 1;
	int tp_h = 2 + bloat_h; /* title, throughput, gauges */
	int ev_min = compact ? 2 : 4, tg_h = (int)n + 2;

	if (tg_h > h - tp_h - ev_min)
		tg_h = h - tp_h - ev_min;
	if (tg_h < 3)
		tg_h = 3;
	int ev_h = h - tg_h - tp_h;

	targets(ui, cb, y, tg_h, idx, n, compact);
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
