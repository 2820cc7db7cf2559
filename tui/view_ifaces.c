// SPDX-License-Identifier: MIT
/*
 * The interfaces view: the same targets side by side for each interface
 * the session probes through (-i, several), figures over the dashboard's
 * window; per interface an RTT sparkline beside the interface's own
 * traffic (rx and tx now, in Mb/s, and their last seconds as sparklines,
 * as bmon shows them), so "latency rose while the household uploaded" is
 * one look; under it, from what that interface has, "my home or my ISP?"
 * in words: the gateway probe (target "gateway", core/probe/probe_icmp.c)
 * against the targets beyond it.  As on the dashboard, probes sent under
 * our own test's load are left out of the figures and drawn dim.  Last, the
 * WiFi-vs-wired verdict of core/analysis/detect_diag.h when one interface is
 * clearly worse than another at the same moment.
 */
#include <stdio.h>
#include <string.h>

#include "core/analysis/detect_diag.h"
#include "core/analysis/model.h"
#include "core/analysis/stats.h"
#include "core/probe/kind.h"
#include "tui/sparkline.h"
#include "tui/table.h"
#include "tui/trace.h"
#include "tui/view.h"

#define MAX_IF	 6
#define MAX_ROWS 64
#define CELL	 72

struct agg {
	double p50, loss, jit;
	int n;
};

/* Loss at which a side counts as lossy, in percent of probes. */
#define LOSSY_PCT 1.0
/* Gateway delay past which the home network itself is slow (a home hop
 * answers in a few ms, even over WiFi). */
#define HOME_SLOW_MS 30.0
/* Delay added past the gateway that is more than distance. */
#define BEYOND_SLOW_MS 150.0

/* One side (the gateway, or the targets beyond it) over the window. */
struct side {
	int n;		 /* series with probes in the window */
	double p50_ms;	 /* mean of their medians (< 0: none answered) */
	double loss_pct; /* mean of their losses */
};

static void fmt_pct(char *out, size_t len, double pct)
{
	double whole = (double)(long)(pct + 0.5);
	bool round = pct - whole < 0.05 && whole - pct < 0.05;

	snprintf(out, len, round ? "%.0f %%" : "%.1f %%", pct);
}

/* "gateway 0.4 ms, 0 % loss", or "targets beyond: no reply, 100 % loss". */
static void side_words(char *out, size_t len, const char *who,
		       const struct side *sd)
{
	char pct[16];

	fmt_pct(pct, sizeof(pct), sd->loss_pct);
	if (sd->p50_ms < 0)
		snprintf(out, len, "%s: no reply, %s loss", who, pct);
	else
		snprintf(out, len,
			 sd->p50_ms < 1	   ? "%s %.2g ms, %s loss"
			 : sd->p50_ms < 10 ? "%s %.1f ms, %s loss"
					   : "%s %.0f ms, %s loss",
			 who, sd->p50_ms, pct);
}

/* The home-or-ISP words of one interface from its gateway and the
 * targets beyond (plain figures, no state); returns the role to draw in. */
static enum cellbuf_role home_or_isp(const struct side *gw,
				     const struct side *far, bool ascii,
				     char *out, size_t len)
{
	const char *dash = ascii ? "-" : "—";
	char gs[64], fs[64], figs[160];

	if (!gw->n) {
		snprintf(out, len,
			 "No gateway probe: with targets.isp_gateway = "
			 "\"auto\" the gateway is probed too, and this line "
			 "tells your home network from the ISP's side.");
		return ROLE_DIM;
	}
	side_words(gs, sizeof(gs), "gateway", gw);
	if (!far->n) {
		snprintf(out, len,
			 "%s; no target beyond it is probed, so the ISP's "
			 "side is not measured.",
			 gs);
		return gw->loss_pct >= LOSSY_PCT ? ROLE_BAD : ROLE_DIM;
	}
	side_words(fs, sizeof(fs), "targets beyond", far);
	snprintf(figs, sizeof(figs), "%s; %s", gs, fs);
	if (gw->loss_pct >= LOSSY_PCT) {
		snprintf(out, len,
			 "%s: the loss starts at your gateway %s your home "
			 "network (WiFi, cable or router).",
			 figs, dash);
		return ROLE_BAD;
	}
	if (far->loss_pct >= LOSSY_PCT) {
		snprintf(out, len,
			 "%s: the loss is past your home network %s the "
			 "ISP's side.",
			 figs, dash);
		return ROLE_BAD;
	}
	if (gw->p50_ms >= HOME_SLOW_MS) {
		snprintf(out, len,
			 "%s: the delay starts at your gateway %s your home "
			 "network.",
			 figs, dash);
		return ROLE_WARN;
	}
	if (far->p50_ms >= 0 && gw->p50_ms >= 0 &&
	    far->p50_ms - gw->p50_ms >= BEYOND_SLOW_MS) {
		snprintf(out, len,
			 "%s: the delay is past your home network %s the "
			 "ISP's side.",
			 figs, dash);
		return ROLE_WARN;
	}
	snprintf(out, len, "%s: home and ISP side both look healthy.", figs);
	return ROLE_OK;
}

/* Fold one series's summary into its side. */
static void side_add(struct side *sd, double *sum_p50, int *n_p50,
		     const struct stats_summary *st)
{
	if (!st->count)
		return;
	sd->n++;
	sd->loss_pct += st->loss_pct;
	if (st->p50 != BB_NONE) {
		*sum_p50 += (double)st->p50 / 1e6;
		(*n_p50)++;
	}
}

/* The gateway and the targets beyond it seen through iface; rep gets the
 * series whose RTT the sparkline shows (the least lossy beyond, else the
 * gateway, NULL if neither). */
static void sides_of(struct ui *ui, const char *iface, struct side *gw,
		     struct side *far, const struct model_series **rep)
{
	struct model *m = ui->src.model;
	double sum[2] = { 0, 0 };
	int np[2] = { 0, 0 };
	const struct model_series *first_gw = NULL, *best_far = NULL;
	double best_loss = 101;

	*gw = (struct side){ 0 };
	*far = (struct side){ 0 };
	for (size_t i = 0; i < model_count(m); i++) {
		const struct model_series *ms = model_at(m, i);
		struct stats_summary st;

		if (strcmp(ms->interface, iface) ||
		    !kind_is_round_trip(ms->kind))
			continue;
		bool is_gw = ms->kind == BB_KIND_ICMP &&
			     !strcmp(ms->target, "gateway");
		stats_log_summary_quiet(ms->stats, ui->window,
					ui->src.now_mono_ns, &st);
		side_add(is_gw ? gw : far, &sum[!is_gw], &np[!is_gw], &st);
		if (is_gw && !first_gw)
			first_gw = ms;
		/* the target that answers most: its delay is what loads move
		 * (the words and the table tell the loss) */
		if (!is_gw && (!best_far || st.loss_pct < best_loss)) {
			best_far = ms;
			best_loss = st.loss_pct;
		}
	}
	struct side *sd[2] = { gw, far };
	for (int k = 0; k < 2; k++) {
		if (sd[k]->n)
			sd[k]->loss_pct /= sd[k]->n;
		sd[k]->p50_ms = np[k] ? sum[k] / np[k] : -1;
	}
	*rep = best_far ? best_far : first_gw;
}

/* kbit/s -> "12.4 Mb/s" ("-" when not measured). */
static void fmt_mbps(char *out, size_t len, int64_t kbps)
{
	double mb = (double)kbps / 1000.0;

	if (kbps == BB_NONE)
		snprintf(out, len, "- Mb/s");
	else
		snprintf(out, len, mb < 10 ? "%.2f Mb/s" : "%.1f Mb/s", mb);
}

/* The last w seconds of one direction of t, oldest first, a slot per
 * second ending at end_s (TRACE_NODATA where no sample came); top is the
 * nice ceiling of their maximum (1 Mb/s at least), so a short upload
 * shows whole and a few kbit/s of chatter does not look like a load. */
static size_t traffic_slots(const struct model_traffic *t, bool tx,
			    int64_t end_s, int64_t *out, size_t w, int64_t *top)
{
	static struct model_traffic_point pts[MODEL_TRAFFIC_HISTORY];
	size_t n = model_traffic_history(t, pts, w), j = 0;
	int64_t max = 1000; /* at least 1 Mb/s: an idle line stays low */

	for (size_t i = 0; i < w; i++) {
		int64_t sec = end_s - (int64_t)(w - 1 - i);
		out[i] = TRACE_NODATA;
		while (j < n && pts[j].real_s < sec)
			j++;
		if (j < n && pts[j].real_s == sec) {
			int64_t v = tx ? pts[j].tx_kbps : pts[j].rx_kbps;
			out[i] = v;
			if (v != BB_NONE && v > max)
				max = v;
		}
	}
	*top = trace_nice_ceil(max);
	return w;
}

/* Words on rows y and y + 1 from column x, w wide: cut at a blank, the
 * rest fitted into the second row. */
static void put_wrapped(struct cellbuf *cb, int x, int y, int w,
			const char *words, enum cellbuf_role role)
{
	char fit[400];
	size_t n = strlen(words), cut = n;

	if (w <= 0)
		return;
	if ((int)n > w) { /* bytes >= columns: a cut by bytes fits */
		cut = (size_t)w;
		while (cut > 0 && words[cut] != ' ')
			cut--;
		if (cut == 0)
			cut = (size_t)w;
	}
	snprintf(fit, sizeof(fit), "%.*s", (int)cut, words);
	cellbuf_putn(cb, x, y, w, fit, role, 0);
	if (cut < n) {
		view_fit_words(words + cut + (words[cut] == ' '), w,
			       cellbuf_ascii(cb), fit, sizeof(fit));
		cellbuf_putn(cb, x, y + 1, w, fit, role, 0);
	}
}

/* One direction's gauge at x: "rx 12.4 Mb/s" and its sparkline of the
 * last sw seconds; returns the column after it. */
static int gauge_dir(struct ui *ui, struct cellbuf *cb, int x, int y, int sw,
		     const struct model_traffic *t, bool tx)
{
	const char *dir = tx ? "tx" : "rx";
	char num[24], g[32];

	if (!t) {
		cellbuf_printf(cb, x, y, ROLE_DIM, 0, "%s -", dir);
		return x + 14 + sw + 2;
	}
	fmt_mbps(num, sizeof(num), tx ? t->tx_kbps : t->rx_kbps);
	snprintf(g, sizeof(g), "%s %s", dir, num);
	cellbuf_putn(cb, x, y, 14, g, ROLE_NORMAL, 0);
	x += 14;
	int64_t now_s = ui->src.now_ms / 1000, top;
	int64_t end_s = t->n ? t->ring[t->head].real_s : now_s;
	if (now_s - end_s > 2)
		end_s = now_s; /* stopped: the gap shows */
	traffic_slots(t, tx, end_s, ui->scratch, (size_t)sw, &top);
	struct sparkline_opts so = { .top = top };
	sparkline_draw(cb, x, y, sw, ui->scratch, (size_t)sw, &so);
	return x + sw + 2;
}

/* One interface: its name, the RTT sparkline and the traffic gauge with
 * its sparklines on row y, the home-or-ISP words on rows y + 1, y + 2. */
static void if_line(struct ui *ui, struct cellbuf *cb, int y, const char *iface)
{
	int w = cellbuf_width(cb), x = 2;
	const struct model_traffic *t = model_traffic(ui->src.model, iface);
	const struct model_series *rep;
	struct side gw, far;
	char name[48], num[24], words[400];
	int namew = w >= 100 ? 24 : 16;

	sides_of(ui, iface, &gw, &far, &rep);
	if (iface[0]) {
		snprintf(name, sizeof(name), "%s", iface);
	} else if (t && t->device[0]) {
		/* the longest form that fits: a lab veth or a USB name is
		 * long, and a name is never cut */
		snprintf(name, sizeof(name), "default route (%s)", t->device);
		if ((int)strlen(name) > namew - 1)
			snprintf(name, sizeof(name), "%s (default)", t->device);
		if ((int)strlen(name) > namew - 1)
			snprintf(name, sizeof(name), "%s", t->device);
	} else {
		snprintf(name, sizeof(name), "default route");
	}
	/* the name, then three groups: "RTT " spark " 38.2", "rx 12.40 Mb/s "
	 * spark, "tx ..." spark; the sparklines share what is left */
	int fixed = 4 + 7 + 2 + 14 + 2 + 14;
	int sw = (w - x - namew - fixed - 2) / 3;
	if (sw < 3)
		sw = 3;
	if (sw > 60)
		sw = 60;
	cellbuf_putn(cb, x, y, namew - 1, name, ROLE_TITLE, CELLBUF_BOLD);
	x += namew;

	cellbuf_put(cb, x, y, "RTT ", ROLE_DIM, 0);
	x += 4;
	if (rep) {
		static bool loaded[60]; /* sw <= 60 */
		struct sparkline_opts so = { .warn = 100000000LL,
					     .bad = 250000000LL,
					     .loaded = loaded };
		size_t k = stats_log_recent_load(rep->stats, ui->scratch,
						 loaded, (size_t)sw);
		bool lost = rep->last.status != BB_STATUS_OK;
		bool load = rep->last.flags & BB_SAMPLE_UNDER_LOAD;
		sparkline_draw(cb, x, y, sw, ui->scratch, k, &so);
		view_fmt_ms(num, sizeof(num), rep->last.rtt_ns);
		cellbuf_put(cb, x + sw + 1, y, lost ? "lost" : num,
			    load   ? ROLE_DIM
			    : lost ? ROLE_LOSS
				   : view_rtt_role(rep->last.rtt_ns),
			    0);
	} else {
		cellbuf_put(cb, x, y, "-", ROLE_DIM, 0);
	}
	x += sw + 7 + 2;

	if (t && !t->ok) /* no rates now: why, in place of the gauge */
		cellbuf_printf(cb, x, y, ROLE_WARN, 0, "traffic: %s",
			       t->detail[0] ? t->detail : "not measured");
	else
		x = gauge_dir(ui, cb, gauge_dir(ui, cb, x, y, sw, t, false), y,
			      sw, t, true);

	enum cellbuf_role role =
		home_or_isp(&gw, &far, cellbuf_ascii(cb), words, sizeof(words));
	put_wrapped(cb, 4, y + 1, w - 6, words, role);
}
static void if_draw(struct ui *ui, struct cellbuf *cb, int y, int h)
{
	static char text[MAX_ROWS][2 + MAX_IF][CELL];
	static struct table_cell cells[MAX_ROWS * (2 + MAX_IF)];
	struct table_col cols[2 + MAX_IF];
	const char *ifs[MAX_IF];
	struct agg agg[MAX_IF] = { 0 };
	const struct model_series *rowkey[MAX_ROWS];
	size_t idx[MODEL_MAX_SERIES];
	size_t n = view_rows(ui, idx, MODEL_MAX_SERIES);
	int nif = 0, nrows = 0, w = cellbuf_width(cb);
	struct model *m = ui->src.model;

	for (size_t i = 0; i < n; i++) {
		const struct model_series *ms = model_at(m, idx[i]);
		int f, r;

		for (f = 0; f < nif && strcmp(ifs[f], ms->interface); f++)
			;
		if (f == nif && nif < MAX_IF)
			ifs[nif++] = ms->interface;
		for (r = 0; r < nrows; r++)
			if (rowkey[r]->kind == ms->kind &&
			    !strcmp(rowkey[r]->target, ms->target))
				break;
		if (r == nrows && nrows < MAX_ROWS)
			rowkey[nrows++] = ms;
	}
	for (size_t i = 0; i < model_traffic_count(m); i++) {
		const char *tif = model_traffic_at(m, i)->interface;
		int f;
		for (f = 0; f < nif && strcmp(ifs[f], tif); f++)
			;
		if (f == nif && nif < MAX_IF)
			ifs[nif++] = tif;
	}
	view_section(cb, y, "Interfaces side by side",
		     "p50 ms / loss % / jitter ms", false);
	if (nif == 0) {
		cellbuf_put(cb, 2, y + 1, "Waiting for the first samples...",
			    ROLE_DIM, 0);
		return;
	}
	cols[0] = (struct table_col){ "Target", 10, 24, 0, TABLE_LEFT, false };
	cols[1] = (struct table_col){ "Kind", 4, 11, 9, TABLE_LEFT, false };
	for (int f = 0; f < nif; f++)
		cols[2 + f] = (struct table_col){
			ifs[f][0] ? ifs[f] : "default route",
			14,
			22,
			f + 1,
			TABLE_LEFT,
			true
		};
	int nc = 2 + nif;

	for (int r = 0; r < nrows; r++) {
		struct table_cell *c = &cells[r * nc];

		snprintf(text[r][0], CELL, "%s", rowkey[r]->target);
		snprintf(text[r][1], CELL, "%s",
			 sample_kind_name(rowkey[r]->kind));
		c[0] = (struct table_cell){ text[r][0], ROLE_NORMAL };
		c[1] = (struct table_cell){ text[r][1], ROLE_DIM };
		for (int f = 0; f < nif; f++) {
			const struct model_series *ms = NULL;
			struct stats_summary st;
			char a[16], b[16];

			for (size_t i = 0; i < n; i++) {
				const struct model_series *s =
					model_at(m, idx[i]);
				if (s->kind == rowkey[r]->kind &&
				    !strcmp(s->target, rowkey[r]->target) &&
				    !strcmp(s->interface, ifs[f]))
					ms = s;
			}
			c[2 + f] = (struct table_cell){ "-", ROLE_DIM };
			if (!ms)
				continue;
			stats_log_summary_quiet(ms->stats, ui->window,
						ui->src.now_mono_ns, &st);
			view_fmt_ms(a, sizeof(a), st.p50);
			view_fmt_ms(b, sizeof(b), st.ipdv_mean);
			snprintf(text[r][2 + f], CELL, "%s / %.1f%% / %s", a,
				 st.loss_pct, b);
			c[2 + f] = (struct table_cell){
				text[r][2 + f],
				st.loss_pct > 0 ? view_loss_role(st.loss_pct)
						: view_rtt_role(st.p50)
			};
			if (st.p50 != BB_NONE) {
				agg[f].p50 += (double)st.p50 / 1e6;
				agg[f].jit +=
					st.ipdv_mean == BB_NONE
						? 0
						: (double)st.ipdv_mean / 1e6;
			}
			agg[f].loss += st.loss_pct;
			agg[f].n++;
		}
	}
	struct table t = { cols, nc, cells, nrows, -1, 0 };
	/* below the table: 1 + 3 rows per interface, then 2 for the verdict */
	int below = 1 + 3 * nif + 2;
	int th = nrows + 1 < h - 1 - below ? nrows + 1 : h - 1 - below;
	if (th < 2)
		th = 2;

	table_draw(cb, 0, y + 1, w, th, &t, NULL);
	int vy = y + 2 + th;

	view_section(cb, vy, "Latency and traffic per interface",
		     "RTT ms / rx, tx Mb/s", false);
	for (int f = 0; f < nif && vy + 3 + 3 * f < y + h; f++)
		if_line(ui, cb, vy + 1 + 3 * f, ifs[f]);
	vy += 1 + 3 * nif;
	if (vy + 1 >= y + h)
		return; /* a short screen: the rows above said more */

	view_section(cb, vy, "Which hop is at fault", NULL, false);
	if (nif < 2) {
		view_wrap_words(
			cb, 2, vy + 1, w - 4, y + h - vy - 1,
			"One interface is probed. Run with -i IF once per "
			"interface (e.g. -i eth0 -i wlan0) to compare "
			"WiFi and wired at the same moment.",
			ROLE_DIM, 0);
		return;
	}
	struct diag_iface di[2];

	for (int f = 0; f < 2; f++)
		di[f] = (struct diag_iface){
			ifs[f][0] ? ifs[f] : "default",
			agg[f].n ? agg[f].loss / agg[f].n : 0,
			agg[f].n ? agg[f].p50 / agg[f].n : 0,
			agg[f].n ? agg[f].jit / agg[f].n : 0
		};
	int worse = diag_worse_interface(&di[0], &di[1]);

	if (worse < 0)
		cellbuf_printf(cb, 2, vy + 1, ROLE_OK, 0,
			       "%s and %s look alike: a fault would be beyond "
			       "them (the line or the far end).",
			       di[0].name, di[1].name);
	else
		cellbuf_printf(
			cb, 2, vy + 1, ROLE_BAD, CELLBUF_BOLD,
			"%s is clearly worse than %s to the same targets: "
			"the fault is that hop (e.g. WiFi), not the line.",
			di[worse].name, di[!worse].name);
}

const struct view_ops view_ifaces = {
	.name = "Interfaces",
	.title = "interfaces",
	.draw = if_draw,
};
