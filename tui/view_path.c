// SPDX-License-Identifier: MIT
/*
 * The path view (key 5): each traced path hop by hop as mtr's report shows
 * it, but live, from the model's path table (core/analysis/path.h): per hop
 * the responding address ("*" silent), the loss split into the line's
 * (what carries on to the target) and the router's own (rate-limited
 * answers), probes sent, the last RTT, p50 and p95 over the hop's window
 * and a sparkline of that window.  Above the rows, the path in words
 * (path_words(), the same words -d prints and the verdict shortens).  The
 * selected dashboard target's path comes first; Up/Down scroll the blocks.
 */
#include <stdio.h>
#include <string.h>

#include "core/analysis/model.h"
#include "core/analysis/path.h"
#include "tui/sparkline.h"
#include "tui/trace.h"
#include "tui/view.h"

/* Columns after the address: loss (line's and own), sent, last, p50, p95. */
#define W_LOSS 19
#define W_SENT 6
#define W_MS   8
#define FIXED  (5 + 1 + W_LOSS + W_SENT + 3 * W_MS + 2)

/* Rows drawn from a scrolled list: block rows before ui->path_top are
 * skipped, rows past the body are not drawn. */
struct cursor {
	int row; /* next row of the whole list */
	int top; /* first row shown */
	int y0, h;
};

/* The screen row for the next list row, -1 when off screen. */
static int next_row(struct cursor *c)
{
	int r = c->row++ - c->top;
	return r >= 0 && r < c->h ? c->y0 + r : -1;
}

static void fmt_pct(char *out, size_t len, double pct)
{
	snprintf(out, len, pct >= 99.95 ? "%.0f %%" : "%.1f %%", pct);
}

static enum cellbuf_role finding_role(enum path_finding f)
{
	switch (f) {
	case PATH_LOSS:
	case PATH_LOSS_HOME:
	case PATH_SLOW:
	case PATH_SLOW_HOME:
		return ROLE_BAD;
	case PATH_CHANGED:
		return ROLE_WARN;
	case PATH_OWN_LOSS: /* "...; the path is clean": no warning */
	case PATH_CLEAN:
		return ROLE_OK;
	default:
		return ROLE_DIM;
	}
}

/* The widest address of v, within [7, maxw]. */
static int addr_width(const struct path_view *v, int maxw)
{
	int aw = 7; /* "Address" */
	for (int i = 0; i < v->n_hops; i++) {
		int n = (int)strlen(v->hop[i].addr);
		if (n > aw)
			aw = n;
	}
	return aw < maxw ? aw : maxw;
}

static void hop_row(struct ui *ui, struct cellbuf *cb, int y, int w, int aw,
		    const struct path_view *v, int i, int64_t top)
{
	const struct path_hop *hp = &v->hop[i];
	char a[24];
	int x = 0;
	cellbuf_printf(cb, x, y, ROLE_NORMAL, 0, "%3d", i + 1);
	x += 5;
	if (hp->addr[0])
		cellbuf_putn(cb, x, y, aw, hp->addr, ROLE_NORMAL, 0);
	else
		cellbuf_put(cb, x, y, "*", ROLE_DIM, 0);
	x += aw + 1;
	if (hp->sent) {
		fmt_pct(a, sizeof(a), hp->path_loss_pct);
		int lx = x + 7 - (int)strlen(a);
		cellbuf_put(cb, lx, y, a, view_loss_role(hp->path_loss_pct),
			    v->lossy_hop == i + 1 ? CELLBUF_BOLD : 0);
		if (hp->own_loss_pct >= 0.5)
			cellbuf_printf(cb, x + 8, y, ROLE_DIM, 0,
				       "(own %.0f %%)", hp->own_loss_pct);
	} else {
		cellbuf_put(cb, x + 6, y, "-", ROLE_DIM, 0);
	}
	x += W_LOSS;
	cellbuf_printf(cb, x, y, ROLE_NORMAL, 0, "%*u", W_SENT - 1, hp->sent);
	x += W_SENT;
	int64_t ms[3] = { hp->last_ns, hp->p50_ns, hp->p95_ns };
	for (int k = 0; k < 3; k++, x += W_MS) {
		view_fmt_ms(a, sizeof(a), ms[k]);
		cellbuf_printf(cb, x, y, view_rtt_role(ms[k]), 0, "%*s",
			       W_MS - 1, a);
	}
	int sw = w - x - 1;
	if (sw > PATH_WINDOW)
		sw = PATH_WINDOW;
	if (sw < 4 || !hp->n)
		return;
	int64_t *vals = ui->scratch;
	for (uint32_t k = 0; k < hp->n; k++) {
		int64_t r = hp->ring[(hp->head + k) % PATH_WINDOW];
		vals[k] = r == BB_NONE ? TRACE_LOST : r;
	}
	/* a hop that passes none of its loss on drops only its own answers */
	struct sparkline_opts so = { .top = top,
				     .warn = 100000000LL,
				     .bad = 250000000LL,
				     .lost_dim = hp->path_loss_pct < 0.5 };
	sparkline_draw(cb, x + 1, y, sw, vals, hp->n, &so);
}

static void block(struct ui *ui, struct cellbuf *cb, struct cursor *c,
		  const struct path_view *v)
{
	int w = cellbuf_width(cb), y;
	char title[160], right[64], words[512];

	snprintf(title, sizeof(title), "Path to %s%s%s", v->target,
		 v->interface[0] ? " via " : "", v->interface);
	snprintf(right, sizeof(right), "%d hop%s%s, %llu change%s", v->n_hops,
		 v->n_hops == 1 ? "" : "s", v->dest_ttl ? "" : " so far",
		 (unsigned long long)v->changes, v->changes == 1 ? "" : "s");
	if ((y = next_row(c)) >= 0)
		view_section(cb, y, title, right, false);
	enum path_finding f = path_words(v, false, words, sizeof(words));
	int wrows = (int)strlen(words) > w - 4 ? 2 : 1;
	int y1 = next_row(c), y2 = wrows > 1 ? next_row(c) : -1;
	if (y1 >= 0)
		view_wrap_words(cb, 2, y1, w - 4, y2 >= 0 ? 2 : 1, words,
				finding_role(f),
				f >= PATH_SLOW_HOME ? CELLBUF_BOLD : 0);
	int aw = addr_width(v, w - FIXED - 4 > 15 ? w - FIXED - 4 : 15);
	if ((y = next_row(c)) >= 0) {
		int x = 0;
		cellbuf_put(cb, x, y, "Hop", ROLE_HEADER, 0);
		cellbuf_put(cb, x + 5, y, "Address", ROLE_HEADER, 0);
		x += 6 + aw;
		cellbuf_put(cb, x, y, "Loss (line, own)", ROLE_HEADER, 0);
		x += W_LOSS;
		cellbuf_printf(cb, x, y, ROLE_HEADER, 0, "%*s", W_SENT - 1,
			       "Sent");
		x += W_SENT;
		cellbuf_printf(cb, x, y, ROLE_HEADER, 0, "%*s%*s%*s", W_MS - 1,
			       "Last", W_MS, "p50", W_MS, "p95");
		x += 3 * W_MS;
		if (w - x - 1 >= 4)
			cellbuf_put(cb, x + 1, y, "RTT ms, newest right",
				    ROLE_HEADER, 0);
	}
	/* one scale for the path's hops, so that heights compare */
	int64_t top = 0;
	for (int i = 0; i < v->n_hops; i++)
		if (v->hop[i].p95_ns != BB_NONE && v->hop[i].p95_ns > top)
			top = v->hop[i].p95_ns;
	top = top ? trace_nice_ceil(top) : 0;
	for (int i = 0; i < v->n_hops; i++)
		if ((y = next_row(c)) >= 0)
			hop_row(ui, cb, y, w, aw, v, i, top);
	next_row(c); /* a blank row between blocks */
}

static void path_draw(struct ui *ui, struct cellbuf *cb, int y, int h)
{
	const struct path_table *t =
		ui->src.model ? model_paths(ui->src.model) : NULL;
	int w = cellbuf_width(cb);

	if (!t || !t->n) {
		const char *why =
			ui->src.path_on > 0
				? "Tracing the path to every ICMP target and "
				  "server: the hops appear as they answer."
			: ui->src.path_on == 0
				? "The path is not traced: set "
				  "tests.path.enabled = true in the config "
				  "(tests = { path = { enabled = true; }; }) "
				  "and reload."
				: "No path in this recording at this moment: "
				  "it was traced only with tests.path.enabled.";
		view_wrap_words(cb, 2, y + 1, w - 4, h - 1, why, ROLE_DIM, 0);
		return;
	}
	/* the selected dashboard target's path first */
	size_t order[PATH_MAX_PATHS], n = 0, first = t->n;
	size_t idx[MODEL_MAX_SERIES];
	size_t nr = view_rows(ui, idx, MODEL_MAX_SERIES);
	if (nr) {
		int s = ui->sel < 0	     ? 0
			: ui->sel >= (int)nr ? (int)nr - 1
					     : ui->sel;
		const struct model_series *ms = model_at(ui->src.model, idx[s]);
		for (size_t i = 0; i < t->n && first == t->n; i++)
			if (!strcmp(t->path[i].target, ms->target))
				first = i;
	}
	if (first < t->n)
		order[n++] = first;
	for (size_t i = 0; i < t->n; i++)
		if (i != first)
			order[n++] = i;

	/* the list's length, to clamp the scroll */
	struct cursor all = { 0, 0, 0, 0 };
	for (size_t i = 0; i < n; i++) {
		const struct path_view *v = &t->path[order[i]];
		char words[512];
		path_words(v, false, words, sizeof(words));
		all.row += 3 + ((int)strlen(words) > w - 4) + v->n_hops + 1;
	}
	int body = h - 1; /* the legend's row last */
	if (ui->path_top > all.row - body)
		ui->path_top = all.row - body > 0 ? all.row - body : 0;
	struct cursor c = { 0, ui->path_top, y, body };
	for (size_t i = 0; i < n && c.row - c.top < body; i++)
		block(ui, cb, &c, &t->path[order[i]]);
	view_put_words(cb, 1, y + h - 1, w - 2,
		       "Loss: line = carried on to the target; own = that "
		       "router's answers only (rate limit). Up/Down scroll.",
		       ROLE_DIM, 0);
}

const struct view_ops view_path = {
	.name = "Path",
	.title = "path",
	.draw = path_draw,
};
