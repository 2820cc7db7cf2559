/* SPDX-License-Identifier: MIT */
/*
 * The screens of the TUI and the state they share.  A view is one const
 * struct view_ops (htop's meter classes): it draws the state into a cell
 * buffer and never touches the terminal, the engine or the database, so
 * unit tests and the render benchmark draw views of a synthetic model.
 *
 * struct ui is plain state: what the data source offers this frame
 * (struct ui_source, filled by tui/app.c from the live monitor or from a
 * replay) and what the user chose (view, selection, window, filter...).
 * Key handlers (tui/keys.c) change the choices; a request the app must
 * carry out (quit, theme, replay moves) is left in ui->request.
 */
#ifndef BB_VIEW_H
#define BB_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/base/sample.h"
#include "core/analysis/stats.h"
#include "tui/cellbuf.h"

/* Smallest screen that shows everything essential; below it the dashboard
 * has a compact layout (fewer columns) down to VIEW_ABS_MIN_W x _H, and
 * only below that the "enlarge" message. */
#define VIEW_MIN_W	80
#define VIEW_MIN_H	24
#define VIEW_ABS_MIN_W	40
#define VIEW_ABS_MIN_H	12
#define VIEW_FILTER_LEN 32

struct model;
struct model_series;
struct evlog;
struct bb_event;

enum view_id {
	VIEW_DASHBOARD,
	VIEW_DRILLDOWN,
	VIEW_EVENTS,
	VIEW_IFACES,
	VIEW_PATH,
	VIEW_COUNT
};

/* Drilldown plot windows. */
enum view_span { SPAN_1M, SPAN_10M, SPAN_1H, SPAN_24H, SPAN_COUNT };

/* What the app must do after a key (ui->request). */
enum ui_request {
	UI_REQ_NONE,
	UI_REQ_THEME,	   /* ui->light changed */
	UI_REQ_REPAINT,	   /* Ctrl-L */
	UI_REQ_PLAY,	   /* replay: toggle play/pause */
	UI_REQ_SPEED,	   /* replay: arg +1 faster, -1 slower */
	UI_REQ_STEP,	   /* replay: arg -1 / +1 step */
	UI_REQ_EVENT,	   /* replay: arg -1 previous / +1 next event */
	UI_REQ_SEEK_START, /* replay: g */
	UI_REQ_SEEK_END,   /* replay: G */
	UI_REQ_BLOAT,	   /* live: run a bufferbloat test now */
	UI_REQ_BLOAT_STOP, /* live: Esc while it runs */
};

/* The drilldown series' last 24 h from the database's 1-minute rollups
 * (the model holds one hour): filled by the app, off the main thread in
 * live mode (monitor_ask_series_history), directly in replay. */
#define UI_HIST_MINUTES 1440
struct ui_history {
	bool valid; /* minute[] holds the rows of the series below */
	char target[BB_TARGET_LEN];
	char iface[BB_IFNAME_LEN];
	char server[BB_SERVER_LEN];
	int kind;
	int64_t from_ms; /* minute[0]'s start, Unix ms, minute-aligned */
	/* worst value of each minute in ns, TRACE_LOST when every probe of
	 * that minute was lost, TRACE_NODATA; and how many probes each minute
	 * sent and lost (a minute's loss is never averaged away: the plot
	 * marks it beside the worst value) */
	int64_t minute[UI_HIST_MINUTES];
	uint32_t minute_sent[UI_HIST_MINUTES], minute_lost[UI_HIST_MINUTES];
	const char *why_not; /* shown while !valid ("reading...", "no db") */
};

/* Dashboard row order ('s' cycles). */
enum view_sort { SORT_NONE, SORT_NAME, SORT_P95, SORT_LOSS, SORT_COUNT };

/* The address a target's display name stands for ("gateway" ->
 * "198.18.1.1"), from the live monitor's plan. */
struct ui_addr {
	char name[BB_TARGET_LEN];
	char addr[48];
};

/* The drilldown's long views (L cycles 24 h, 7 d, the time-of-day
 * heatmap, then back): one series over 7 days from the database's 1-minute
 * and 1-hour rollups, bucketed by core/chart/chart_data.c for the columns
 * view_long_columns() gives; the app reads the rows (live: off the main
 * thread, as for ui_history) and builds data for the mode shown. */
enum view_long_mode { LONG_OFF, LONG_24H, LONG_7D, LONG_HEAT, LONG_COUNT };
struct chart_data;
struct ui_long {
	const struct chart_data *data; /* NULL: not read yet (why_not) */
	int mode;		       /* the enum view_long_mode it is for */
	const char *why_not;	       /* "reading the database", "no db" */
};

/* What the data source offers this frame (filled by the app). */
struct ui_source {
	struct model *model;  /* the series to show */
	struct evlog *events; /* newest first */
	char verdict[512];    /* plain words (the source's detectors) */
	bool replay;
	int64_t now_mono_ns; /* "now" for the stats windows */
	int64_t now_ms;	     /* wall clock shown (replay clock in replay) */
	int64_t uptime_s;    /* live: since start */
	double rate;	     /* samples per second */
	uint64_t dropped;    /* samples lost to full queues or the database */
	bool has_server;     /* a companion server is configured */
	int path_on;	     /* tests.path.enabled: 1, 0, -1 unknown (replay) */
	const char *message; /* latest log line, NULL = none */
	bool bloat_running;  /* an on-demand test ('b') is in progress */
	int load_left_s;     /* our own test's seconds left, -1 unknown */
	const struct ui_addr *addrs; /* live: targets' addresses */
	size_t n_addrs;
	struct ui_history hist; /* for the drilldown's 24 h window */
	struct ui_long lng;	/* for the drilldown's long views */
	/* replay only */
	int64_t first_ms, last_ms;
	int speed;	 /* x real time */
	bool speed_auto; /* picked from the recording's length */
	int64_t step_ms; /* Left/Right; not whole seconds: the clock shows ms */
	bool playing;
	const double *ov_loss; /* timeline: loss % per slice (NAN: no data) */
	const int64_t *ov_rtt; /* timeline: median RTT µs per slice */
	size_t ov_n;
};

struct ui {
	struct ui_source src;
	enum view_id view;
	int sel;	/* selected row of the target table */
	int pane;	/* dashboard pane with the focus: 0 targets, 1 events */
	int ev_sel;	/* selected event (events view and pane) */
	bool ev_detail; /* events view shows the selected event */
	enum stats_window window; /* dashboard figures */
	enum view_span span;	  /* drilldown plot */
	bool help, paused, light;
	int help_top;	  /* first line of the help shown (it scrolls) */
	bool filter_edit; /* '/' typing in progress */
	char filter[VIEW_FILTER_LEN];
	int64_t cleared_ms; /* 'c': the event pane hides events ended before */
	char note[160];	    /* a transient line (from a key) */
	int64_t note_until_ms;
	/* the series the drilldown shows */
	char dd_target[BB_TARGET_LEN];
	char dd_iface[BB_IFNAME_LEN];
	int dd_kind;
	enum view_long_mode dd_long; /* L: a long view instead of the plot */
	enum ui_request request;
	int request_arg;
	int64_t *scratch; /* STATS_MAX_ENTRIES values for the views */
	int64_t *scratch2;
	/* the drilldown's 24 h window: probes sent and lost per minute, the
	 * history and the model's newest hour merged */
	uint32_t day_sent[UI_HIST_MINUTES], day_lost[UI_HIST_MINUTES];
	/* dashboard rows: order, one sparkline scale for all ('S'), and
	 * where the last frame drew them (the mouse maps y to a row) */
	enum view_sort sort;
	bool shared_scale;
	int rows_y0;	/* screen row of the first target row drawn */
	int rows_top;	/* its index in view_rows() order */
	int rows_n;	/* target rows drawn, 0 = none */
	int sel_drawn;	/* ui->sel as the last frame drew it */
	int sel_series; /* its model index: the selection follows a re-sort */
	int path_top;	/* path view: first row shown (Up/Down scroll) */
};

struct view_ops {
	const char *name;  /* "Dashboard" */
	const char *title; /* footer/help word */
	/* Draw the body into rows [y, y + h) of the full width. */
	void (*draw)(struct ui *ui, struct cellbuf *cb, int y, int h);
};

extern const struct view_ops view_dashboard;
extern const struct view_ops view_drilldown;
extern const struct view_ops view_events;
extern const struct view_ops view_ifaces;
extern const struct view_ops view_path;
extern const struct view_ops view_long; /* drawn by the drilldown */

/* Set up the state (dashboard, 60 s window); 0 or -ENOMEM. */
int view_ui_init(struct ui *ui);
/* Free what view_ui_init allocated. */
void view_ui_fini(struct ui *ui);
/* Draw the whole screen: header, the current view, footer, help overlay,
 * or the "enlarge" message when the buffer is below VIEW_MIN_W x _H. */
void view_render(struct ui *ui, struct cellbuf *cb);

/* Shared by the views. */
/* Indices of the model series shown as target rows (delay kinds that match
 * the filter), in model order or ui->sort's; returns how many (<= max). */
size_t view_rows(const struct ui *ui, size_t *idx, size_t max);
/* The drilldown's series, NULL when it is gone. */
const struct model_series *view_dd_series(const struct ui *ui);
/* "name", "p95", "loss"; "" for SORT_NONE. */
const char *view_sort_name(enum view_sort s);
/* ns -> "12.3" ms (width-aware decimals), "-" for BB_NONE. */
void view_fmt_ms(char *out, size_t size, int64_t ns);
/* Seconds -> "45s", "12m05s", "3h02m", "2d04h". */
void view_fmt_dur(char *out, size_t size, int64_t s);
/* A running test's countdown, "13 s left of ~14 s": LEFT_NS of TOTAL_NS,
 * both rounded up to whole seconds, so the time left never reads more than
 * the total (a clock stepped back is held at the total). */
void view_fmt_countdown(char *out, size_t size, int64_t left_ns,
			int64_t total_ns);
/* S as it fits in MAXW columns: whole, or cut at a word boundary and ended
 * with "…" ("..." when ASCII), never in the middle of a word. */
void view_fit_words(const char *s, int maxw, bool ascii, char *out, size_t len);
/* Put S at (x, y) in at most maxw columns as view_fit_words cuts it;
 * returns the columns written. */
int view_put_words(struct cellbuf *cb, int x, int y, int maxw, const char *s,
		   enum cellbuf_role role, unsigned attr);
/* S over up to maxh rows of maxw columns from (x, y), broken between words
 * (the last row ends with "…" when it does not all fit); returns the rows
 * used. */
int view_wrap_words(struct cellbuf *cb, int x, int y, int maxw, int maxh,
		    const char *s, enum cellbuf_role role, unsigned attr);
/* Unix ms -> local "HH:MM:SS" (with_date: "YYYY-MM-DD HH:MM:SS"). */
void view_fmt_clock(char *out, size_t size, int64_t ms, bool with_date);
/* Role of an RTT figure (ns) and of a loss percentage. */
enum cellbuf_role view_rtt_role(int64_t ns);
enum cellbuf_role view_loss_role(double pct);
/* Role of an event severity. */
enum cellbuf_role view_sev_role(unsigned severity);
/* True when the event matches the filter text (kind, severity, place,
 * words); an empty filter matches everything. */
bool view_event_match(const struct ui *ui, const struct bb_event *ev);
/* Draw events (newest first) as one line each in rows [y, y + h); only
 * those of target when target is not NULL; sel = highlighted index or -1;
 * returns how many matched. */
int view_event_lines(struct ui *ui, struct cellbuf *cb, int y, int h,
		     const char *target, int sel, int64_t hide_before_ms);
/* A section title: "─ Title ──────" over the full width at y. */
void view_section(struct cellbuf *cb, int y, const char *title,
		  const char *right, bool focused);
/* utf8 unless the buffer is in ASCII mode, then ascii. */
const char *view_g(const struct cellbuf *cb, const char *utf8,
		   const char *ascii);
/* The newest bufferbloat result of PHASE (MODEL_BLOAT_*) in the model,
 * NULL when none (core/analysis/model.h keeps them per server). */
struct model_bloat;
const struct model_bloat *view_bloat(const struct ui *ui, int phase);
/* Echo losses by direction since the model started: of SERVER, or of
 * every server when SERVER is NULL. */
void view_echo_lost(const struct ui *ui, const char *server, uint64_t *up,
		    uint64_t *down);
/* True when h is (being) filled for the series ms. */
struct store_agg;
bool view_history_of(const struct ui_history *h, const struct model_series *ms);
/* Empty h for ms (NULL: the series it is for), its first minute at
 * from_ms (rounded down). */
void view_history_reset(struct ui_history *h, const struct model_series *ms,
			int64_t from_ms);
/* Fold one 1-minute rollup row of the series into h (outside: ignored). */
void view_history_add(struct ui_history *h, const struct store_agg *row);
/* Drilldown: the smallest window that holds the series' probes (3 minutes
 * of data open at 10 min, 30 s at 1 min). */
enum view_span view_dd_fit_span(const struct ui *ui,
				const struct model_series *ms);
/* Drilldown: the next (d > 0) or previous target in the dashboard's row
 * order; false at either end. */
bool view_dd_step(struct ui *ui, int d);
/* Histogram bins from lo to top (ns) in at most nb rows: the first bin's
 * start and a step of whole microseconds whose labels differ. */
void view_hist_scale(int64_t lo, int64_t top, int nb, int64_t *first,
		     int64_t *step);
/* Loss runs by length (stats' loss_run_hist) in words: "3 runs of 1,
 * 1 run of 4", "no loss"; returns the length written. */
size_t view_loss_run_words(const uint32_t *hist, char *out, size_t len);
/* Long views: plot columns of a screen w cells wide (the app buckets the
 * period into as many). */
int view_long_columns(int w);
/* Interval between probes of a series, estimated from its last minute. */
int64_t view_interval_ns(const struct ui *ui, const struct model_series *ms);

#endif
