// SPDX-License-Identifier: MIT
/*
 * The interfaces view: the same targets side by side for each interface
 * the session probes through (-i, several), figures over the dashboard's
 * window, and the WiFi-vs-wired verdict of core/analysis/detect_diag.h when one
 * interface is clearly worse than another at the same moment.
 */
#include <stdio.h>
#include <string.h>

#include "core/analysis/detect_diag.h"
#include "core/analysis/model.h"
#include "core/analysis/stats.h"
#include "tui/table.h"
#include "tui/view.h"

#define MAX_IF	 6
#define MAX_ROWS 64
#define CELL	 72

struct agg {
	double p50, loss, jit;
	int n;
};

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
			stats_log_summary(ms->stats, ui->window,
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
	int th = nrows + 1 < h - 4 ? nrows + 1 : h - 4;

	table_draw(cb, 0, y + 1, w, th, &t, NULL);
	int vy = y + 2 + th;

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
