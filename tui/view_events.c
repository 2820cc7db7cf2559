// SPDX-License-Identifier: MIT
/*
 * The events view: every event the session knows, newest first, with the
 * '/' filter (kind, severity, target, words); Enter opens the selected
 * event's figures (its JSON metrics as one "name: value" per line).
 */
#include <stdio.h>
#include <string.h>

#include "core/store/history.h"
#include "tui/evlog.h"
#include "tui/view.h"

/* The i-th event that passes the filter, NULL when there is none. */
static const struct bb_event *nth(const struct ui *ui, int i)
{
	const struct evlog *l = ui->src.events;

	for (size_t k = 0; l && k < evlog_count(l); k++) {
		const struct bb_event *ev = evlog_at(l, k);

		if (view_event_match(ui, ev) && i-- == 0)
			return ev;
	}
	return NULL;
}

/* {"a":1,"b":"x"} -> lines "a: 1", "b: x" at (x, y), at most h. */
static void metrics(struct cellbuf *cb, int x, int y, int w, int h,
		    const char *json)
{
	char line[256];
	size_t n = 0;
	bool quoted = false;
	int row = 0;

	for (const char *p = json; *p && row < h; p++) {
		char c = *p;

		if (c == '"') {
			quoted = !quoted;
			continue;
		}
		if (!quoted && (c == '{' || c == '}' || c == ' '))
			continue;
		if (!quoted && (c == ',' || p[1] == 0)) {
			line[n] = 0;
			if (n)
				cellbuf_putn(cb, x, y + row++, w, line,
					     ROLE_NORMAL, 0);
			n = 0;
			continue;
		}
		if (!quoted && c == ':') {
			if (n + 2 < sizeof(line))
				line[n++] = ':', line[n++] = ' ';
			continue;
		}
		if (n + 1 < sizeof(line))
			line[n++] = c;
	}
	if (n && row < h) {
		line[n] = 0;
		cellbuf_putn(cb, x, y + row, w, line, ROLE_NORMAL, 0);
	}
}

static void detail(struct ui *ui, struct cellbuf *cb, int y, int h,
		   const struct bb_event *ev)
{
	int w = cellbuf_width(cb);
	char s[32], e[32], d[24];
	int64_t end = ev->end_ms ? ev->end_ms : ui->src.now_ms;

	view_section(cb, y, ev->kind, "Esc: back", true);
	view_fmt_clock(s, sizeof(s), ev->start_ms, true);
	if (ev->end_ms)
		view_fmt_clock(e, sizeof(e), ev->end_ms, true);
	else
		snprintf(e, sizeof(e), "ongoing");
	view_fmt_dur(d, sizeof(d), (end - ev->start_ms) / 1000);
	cellbuf_printf(cb, 2, y + 1, view_sev_role(ev->severity), CELLBUF_BOLD,
		       "%s", bb_severity_name(ev->severity));
	if (history_event_instant(ev)) /* a result or a change: a moment */
		cellbuf_printf(cb, 12, y + 1, ROLE_NORMAL, 0, "at %s", s);
	else
		cellbuf_printf(cb, 12, y + 1, ROLE_NORMAL, 0,
			       "%s  to  %s  (%s)", s, e, d);
	cellbuf_printf(cb, 2, y + 2, ROLE_DIM, 0, "where: %s%s%s%s%s",
		       ev->target[0] ? ev->target : "all targets",
		       ev->interface[0] ? " via " : "", ev->interface,
		       ev->server[0] ? " server " : "", ev->server);
	/* the whole sentence: two rows when it needs them and has them */
	int dr = view_wrap_words(cb, 2, y + 3, w - 4, h > 7 ? 2 : 1,
				 ev->description, ROLE_NORMAL, CELLBUF_BOLD);
	if (h > 4 + dr)
		cellbuf_put(cb, 2, y + 3 + dr, "Figures", ROLE_HEADER, 0);
	metrics(cb, 4, y + 4 + dr, w - 6, h - 4 - dr, ev->metrics);
}

static void ev_draw(struct ui *ui, struct cellbuf *cb, int y, int h)
{
	char title[96];
	size_t total = ui->src.events ? evlog_count(ui->src.events) : 0;
	int shown = 0;

	while (nth(ui, shown))
		shown++;
	if (ui->ev_sel >= shown)
		ui->ev_sel = shown - 1;
	if (ui->ev_sel < 0)
		ui->ev_sel = 0;
	snprintf(title, sizeof(title), "Events: %d of %zu%s%s%s", shown, total,
		 ui->filter[0] ? " matching \"" : "", ui->filter,
		 ui->filter[0] ? "\"" : "");
	view_section(cb, y, title, "/ filter  Enter: figures", !ui->ev_detail);
	int list_h = h - 1;
	const struct bb_event *sel = nth(ui, ui->ev_sel);

	if (ui->ev_detail && sel)
		list_h = (h - 1) / 3 > 3 ? (h - 1) / 3 : 3;
	if (shown == 0)
		cellbuf_put(cb, 2, y + 1,
			    total ? "No event matches the filter."
				  : "No events yet: nothing has gone wrong.",
			    ROLE_DIM, 0);
	else
		view_event_lines(ui, cb, y + 1, list_h, NULL, ui->ev_sel, 0);
	if (ui->ev_detail && sel)
		detail(ui, cb, y + 1 + list_h, h - 1 - list_h, sel);
}

const struct view_ops view_events = {
	.name = "Events",
	.title = "events",
	.draw = ev_draw,
};
