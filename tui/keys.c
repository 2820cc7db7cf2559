// SPDX-License-Identifier: MIT
/*
 * The key table (see keys.h) and its handlers.  Handlers only change
 * struct ui; what needs the terminal or the data source (theme, repaint,
 * replay moves) is left in ui->request for tui/app.c.  While '/' is being
 * typed, keys go to the filter text first.
 */
#include "tui/keys.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/analysis/model.h"
#include "tui/term.h"
#include "tui/view.h"

#define V(v)	   (1u << (v))
#define LIVE_ALL   (KEYS_ALL_VIEWS | KEYS_LIVE | KEYS_REPLAY)
#define REPLAY_ALL (KEYS_ALL_VIEWS | KEYS_REPLAY)
#define DONE	   (KEY_HANDLED | KEY_REDRAW)

static void note(struct ui *ui, const char *text)
{
	snprintf(ui->note, sizeof(ui->note), "%s", text);
	ui->note_until_ms = (int64_t)time(NULL) * 1000 + 5000;
}

static int k_quit(struct ui *ui, int key)
{
	if (ui->help) {
		ui->help = false;
		return DONE;
	}
	return KEY_HANDLED | KEY_QUIT;
}

static int k_help(struct ui *ui, int key)
{
	ui->help = !ui->help;
	ui->help_top = 0;
	return DONE;
}

/* While the help is open the moving keys scroll it (view.c clamps). */
static int help_scroll(struct ui *ui, int key)
{
	switch (key) {
	case TERM_KEY_UP:
	case 'k':
		ui->help_top--;
		break;
	case TERM_KEY_DOWN:
	case 'j':
		ui->help_top++;
		break;
	case TERM_KEY_PGUP:
		ui->help_top -= 10;
		break;
	case TERM_KEY_PGDN:
	case ' ':
		ui->help_top += 10;
		break;
	case TERM_KEY_HOME:
		ui->help_top = 0;
		break;
	case TERM_KEY_END:
		ui->help_top = 1 << 20;
		break;
	default:
		return 0;
	}
	if (ui->help_top < 0)
		ui->help_top = 0;
	return DONE;
}

static int move(struct ui *ui, int d)
{
	if (ui->view == VIEW_EVENTS ||
	    (ui->view == VIEW_DASHBOARD && ui->pane == 1)) {
		ui->ev_sel += d;
		if (ui->ev_sel < 0)
			ui->ev_sel = 0;
	} else if (ui->view == VIEW_DASHBOARD) {
		ui->sel += d;
		if (ui->sel < 0)
			ui->sel = 0;
	} else if (ui->view == VIEW_DRILLDOWN && (d == 1 || d == -1)) {
		view_dd_step(ui, d); /* the next target, in the row order */
	} else if (ui->view == VIEW_PATH) {
		ui->path_top += d; /* view_path.c clamps */
		if (ui->path_top < 0)
			ui->path_top = 0;
	} else {
		return KEY_HANDLED;
	}
	return DONE;
}

static int k_up(struct ui *ui, int key)
{
	return move(ui, key == TERM_KEY_PGUP ? -10 : -1);
}

static int k_down(struct ui *ui, int key)
{
	return move(ui, key == TERM_KEY_PGDN ? 10 : 1);
}

/* The selected dashboard row's series (sel clamped), or NULL. */
static const struct model_series *selected_row(struct ui *ui)
{
	size_t idx[MODEL_MAX_SERIES];
	size_t n = view_rows(ui, idx, MODEL_MAX_SERIES);

	if (n == 0)
		return NULL;
	if (ui->sel >= (int)n)
		ui->sel = (int)n - 1;
	return model_at(ui->src.model, idx[ui->sel < 0 ? 0 : ui->sel]);
}

/* Point the drilldown at the selected dashboard row. */
static bool pick_row(struct ui *ui)
{
	const struct model_series *ms = selected_row(ui);

	if (!ms)
		return false;
	snprintf(ui->dd_target, sizeof(ui->dd_target), "%s", ms->target);
	snprintf(ui->dd_iface, sizeof(ui->dd_iface), "%s", ms->interface);
	ui->dd_kind = ms->kind;
	ui->span = view_dd_fit_span(ui, ms);
	ui->dd_long = LONG_OFF;
	return true;
}

static int k_enter(struct ui *ui, int key)
{
	switch (ui->view) {
	case VIEW_DASHBOARD:
		if (ui->pane == 1) {
			ui->view = VIEW_EVENTS;
			ui->ev_detail = true;
			ui->filter[0] = 0;
		} else if (pick_row(ui)) {
			ui->view = VIEW_DRILLDOWN;
		}
		return DONE;
	case VIEW_EVENTS:
		ui->ev_detail = !ui->ev_detail;
		return DONE;
	default:
		return KEY_HANDLED;
	}
}

static int k_back(struct ui *ui, int key)
{
	/* the note of a running 'b' test says Esc cancels it */
	if (ui->src.bloat_running && !ui->src.replay) {
		ui->request = UI_REQ_BLOAT_STOP;
		return DONE;
	}
	if (ui->help)
		ui->help = false;
	else if (ui->view == VIEW_EVENTS && ui->ev_detail)
		ui->ev_detail = false;
	else if (ui->view == VIEW_DRILLDOWN && ui->dd_long != LONG_OFF)
		ui->dd_long = LONG_OFF;
	else if (ui->view != VIEW_DASHBOARD)
		ui->view = VIEW_DASHBOARD;
	else if (ui->filter[0])
		ui->filter[0] = 0;
	return DONE;
}

static int k_tab(struct ui *ui, int key)
{
	if (ui->view != VIEW_DASHBOARD)
		return KEY_HANDLED;
	ui->pane = !ui->pane;
	return DONE;
}

static int k_view(struct ui *ui, int key)
{
	enum view_id v = (enum view_id)(key - '1');

	/* the selected row, as Enter; the same target as before keeps its
	 * window (3 then 2 comes back to what was shown) */
	if (v == VIEW_DRILLDOWN && ui->view != VIEW_DRILLDOWN &&
	    (!view_dd_series(ui) || selected_row(ui) != view_dd_series(ui)))
		pick_row(ui);
	ui->view = v;
	ui->help = false;
	return DONE;
}

static int k_window(struct ui *ui, int key)
{
	if (ui->view == VIEW_DRILLDOWN)
		ui->span = (ui->span + 1) % SPAN_COUNT;
	else
		ui->window = (ui->window + 1) % STATS_WINDOW_COUNT;
	return DONE;
}

static int k_long(struct ui *ui, int key)
{
	ui->dd_long = (ui->dd_long + 1) % LONG_COUNT;
	return DONE;
}

static int k_bloat(struct ui *ui, int key)
{
	if (!ui->src.has_server) {
		note(ui, "Bufferbloat test needs a companion server "
			 "(servers in the config).");
		return DONE;
	}
	/* the app starts it (or says why not) and sets the note */
	ui->request = UI_REQ_BLOAT;
	return DONE;
}

static int k_pause(struct ui *ui, int key)
{
	if (ui->src.replay) {
		ui->request = UI_REQ_PLAY;
		return DONE;
	}
	ui->paused = !ui->paused;
	return DONE;
}

static int k_filter(struct ui *ui, int key)
{
	ui->filter_edit = true;
	return DONE;
}

static int k_clear(struct ui *ui, int key)
{
	ui->cleared_ms = ui->src.now_ms + 1;
	ui->ev_sel = 0;
	note(ui, "Event pane cleared (ongoing events stay; 3 lists all).");
	return DONE;
}

static int k_sort(struct ui *ui, int key)
{
	char t[64];

	ui->sort = (ui->sort + 1) % SORT_COUNT;
	snprintf(t, sizeof(t), "Targets sorted by %s.",
		 ui->sort ? view_sort_name(ui->sort) : "configuration order");
	note(ui, t);
	return DONE;
}

static int k_scale(struct ui *ui, int key)
{
	ui->shared_scale = !ui->shared_scale;
	note(ui, ui->shared_scale ? "One sparkline scale for every row."
				  : "Each row's sparkline on its own scale.");
	return DONE;
}

static int k_theme(struct ui *ui, int key)
{
	ui->light = !ui->light;
	ui->request = UI_REQ_THEME;
	return DONE;
}

static int k_repaint(struct ui *ui, int key)
{
	ui->request = UI_REQ_REPAINT;
	return DONE;
}

static int k_speed(struct ui *ui, int key)
{
	ui->request = UI_REQ_SPEED;
	ui->request_arg = key == '-' ? -1 : 1;
	return DONE;
}

static int k_step(struct ui *ui, int key)
{
	ui->request = UI_REQ_STEP;
	ui->request_arg = key == TERM_KEY_LEFT ? -1 : 1;
	return DONE;
}

static int k_event(struct ui *ui, int key)
{
	ui->request = UI_REQ_EVENT;
	ui->request_arg = key == '[' ? -1 : 1;
	return DONE;
}

static int k_ends(struct ui *ui, int key)
{
	ui->request = key == 'g' ? UI_REQ_SEEK_START : UI_REQ_SEEK_END;
	return DONE;
}

const struct key_binding keys_table[] = {
	{ 'q', 0, LIVE_ALL, k_quit, "q", "quit", true, NULL, NULL },
	{ '?', TERM_KEY_F1, LIVE_ALL, k_help, "?", "help", true, NULL, NULL },
	{ ' ', 0, REPLAY_ALL, k_pause, "space", "play/pause", true, NULL,
	  NULL },
	{ '+', '=', REPLAY_ALL, k_speed, "+", "faster", true, "+/-", "speed" },
	{ '-', 0, REPLAY_ALL, k_speed, "-", "slower", false, NULL, NULL },
	{ TERM_KEY_LEFT, TERM_KEY_RIGHT, REPLAY_ALL, k_step, "Left/Right",
	  "step back/forward", true, NULL, NULL },
	{ '[', ']', REPLAY_ALL, k_event, "[/]", "previous/next event", true,
	  NULL, NULL },
	{ 'g', 'G', REPLAY_ALL, k_ends, "g/G", "start/end of recording", false,
	  NULL, NULL },
	{ TERM_KEY_ENTER, 0, LIVE_ALL, k_enter, "Enter", "details", true, NULL,
	  NULL },
	{ TERM_KEY_ESC, TERM_KEY_BACKSPACE, LIVE_ALL, k_back, "Esc", "back",
	  true, NULL, NULL },
	{ TERM_KEY_TAB, 0, V(VIEW_DASHBOARD) | KEYS_LIVE | KEYS_REPLAY, k_tab,
	  "Tab", "pane", true, NULL, NULL },
	{ '1', 0, LIVE_ALL, k_view, "1", "dashboard", true, "1-5", "views" },
	{ '2', 0, LIVE_ALL, k_view, "2", "drilldown", false, NULL, NULL },
	{ '3', 0, LIVE_ALL, k_view, "3", "events", false, NULL, NULL },
	{ '4', 0, LIVE_ALL, k_view, "4", "interfaces", false, NULL, NULL },
	{ '5', 0, LIVE_ALL, k_view, "5", "path hop by hop", false, NULL, NULL },
	{ 'w', 0, LIVE_ALL, k_window, "w", "window", true, NULL, NULL },
	{ 'L', 0, V(VIEW_DRILLDOWN) | KEYS_LIVE | KEYS_REPLAY, k_long, "L",
	  "long views", true, NULL, NULL },
	{ 'p', 0, KEYS_ALL_VIEWS | KEYS_LIVE, k_pause, "p", "pause", true, NULL,
	  NULL },
	{ '/', 0, LIVE_ALL, k_filter, "/", "filter", true, NULL, NULL },
	{ 'c', 0, LIVE_ALL, k_clear, "c", "clear events", true, NULL, NULL },
	{ 'b', 0, KEYS_ALL_VIEWS | KEYS_LIVE, k_bloat, "b", "bloat test", true,
	  NULL, NULL },
	{ 't', 0, LIVE_ALL, k_theme, "t", "theme", true, NULL, NULL },
	{ 's', 0, V(VIEW_DASHBOARD) | KEYS_LIVE | KEYS_REPLAY, k_sort, "s",
	  "sort rows: name, p95, loss, configuration order", false, NULL,
	  NULL },
	{ 'S', 0, V(VIEW_DASHBOARD) | KEYS_LIVE | KEYS_REPLAY, k_scale, "S",
	  "one scale for all rows", false, NULL, NULL },
	{ TERM_KEY_UP, 'k', LIVE_ALL, k_up, "Up/k", "up / previous target",
	  false, NULL, NULL },
	{ TERM_KEY_DOWN, 'j', LIVE_ALL, k_down, "Down/j", "down / next target",
	  false, NULL, NULL },
	{ TERM_KEY_PGUP, 0, LIVE_ALL, k_up, "PgUp", "page up", false, NULL,
	  NULL },
	{ TERM_KEY_PGDN, 0, LIVE_ALL, k_down, "PgDn", "page down", false, NULL,
	  NULL },
	{ 12, 0, LIVE_ALL, k_repaint, "Ctrl-L", "repaint the screen", false,
	  NULL, NULL },
};
const size_t keys_count = sizeof(keys_table) / sizeof(keys_table[0]);

bool keys_applies(const struct ui *ui, const struct key_binding *b)
{
	unsigned mode = ui->src.replay ? KEYS_REPLAY : KEYS_LIVE;

	return (b->where & V(ui->view)) && (b->where & mode);
}

static int filter_key(struct ui *ui, int key)
{
	size_t n = strlen(ui->filter);

	if (key == TERM_KEY_ENTER) {
		ui->filter_edit = false;
	} else if (key == TERM_KEY_ESC) {
		ui->filter_edit = false;
		ui->filter[0] = 0;
	} else if (key == TERM_KEY_BACKSPACE) {
		if (n)
			ui->filter[n - 1] = 0;
	} else if (key >= 0x20 && key < 0x7f) {
		if (n + 1 < sizeof(ui->filter)) {
			ui->filter[n] = (char)key;
			ui->filter[n + 1] = 0;
		}
	} else {
		return KEY_HANDLED;
	}
	ui->ev_sel = 0;
	ui->sel = 0;
	return DONE;
}

int keys_mouse(struct ui *ui, int y, int clicks, int wheel)
{
	if (ui->help || ui->filter_edit)
		return 0;
	if (wheel) /* as the arrows, in every view */
		return move(ui, wheel < 0 ? -1 : 1);
	if (ui->view != VIEW_DASHBOARD)
		return 0;
	if (ui->rows_n <= 0 || y < ui->rows_y0 || y >= ui->rows_y0 + ui->rows_n)
		return 0;
	ui->pane = 0;
	ui->sel = ui->rows_top + (y - ui->rows_y0);
	if (clicks >= 2 && pick_row(ui))
		ui->view = VIEW_DRILLDOWN;
	return DONE;
}

int keys_dispatch(struct ui *ui, int key)
{
	if (key == TERM_KEY_NONE)
		return 0;
	if (ui->filter_edit)
		return filter_key(ui, key);
	if (ui->help && help_scroll(ui, key))
		return DONE;
	for (size_t i = 0; i < keys_count; i++) {
		const struct key_binding *b = &keys_table[i];

		if ((b->key == key || (b->alt && b->alt == key)) &&
		    keys_applies(ui, b))
			return b->fn(ui, key);
	}
	return 0;
}
