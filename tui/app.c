// SPDX-License-Identifier: MIT
/*
 * The interactive front end (see app.h).  Views read the model and draw
 * into a cell buffer; term_draw() sends the cells that changed.  Redraws
 * happen on a key, on a resize (SIGWINCH through an ev_signal), when the
 * model's generation changed (checked 4 times a second, so a fast probe
 * rate cannot flood the terminal) and on a 1 s clock tick; nothing here
 * waits on the engine.
 *
 * One source (core/engine/source.h), live or a recording: the app asks it
 * for the model, the verdict and the clock, and hands it the moves; what
 * one kind cannot do it refuses with -ENOTSUP.
 *
 * 'b' (bufferbloat test now): source_bloat() asks the running
 * echo probes to start a test at once (never overlapping one already
 * running); its results arrive as ordinary bufferbloat samples, so they
 * fill the gauges, the database and the detector like scheduled ones.
 *
 * stderr: while the screen is ours, fd 2 is a pipe read by the loop, so
 * log lines (the recorder's, config warnings) never scribble over the
 * screen: the newest one shows on the message line, and all of them are
 * written to the real stderr once the terminal is restored.
 */
#include "tui/app.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/probe/bloat.h"
#include "core/base/clock.h"
#include "core/base/config.h"
#include "core/analysis/model.h"
#include "core/engine/engine.h"
#include "core/engine/source.h"
#include "core/chart/chart_data.h"
#include "core/store/history.h"
#include "core/store/playback.h"
#include "core/store/store.h"
#include "tui/evlog.h"
#include "tui/keys.h"
#include "tui/term.h"
#include "tui/view.h"

#define MSG_KEEP 64
#define MSG_LEN	 240
#define OV_N	 512

struct app {
	struct ui ui;
	struct cellbuf *cb;
	struct evlog *events;
	struct ev_loop *loop;
	struct source *src;
	/* the on-demand bufferbloat test (b) */
	bool bloat_pending;
	int64_t bloat_req_ns, bloat_typical_ns, bloat_max_ns;
	char bloat_what[64];	    /* "up, down, both 3 s each; ~90 MB" */
	int64_t up_kbps, down_kbps; /* newest throughput results */
	struct ui_addr addrs[ENGINE_MAX_PROBES]; /* targets' addresses */
	/* a scheduled test's load: the newest probe sent under it, when the
	 * span began (real ns) and whether it is a bufferbloat test */
	int64_t load_mono, load_start_ns;
	bool load_bloat;
	char bloat_msg[160];
	size_t bloat_msg_len;
	ev_io input, errin;
	/* the last mouse press, for a double click */
	int64_t click_ns;
	int click_y;
	ev_signal winch;
	ev_timer frame, tick;
	uint64_t last_gen;
	bool dirty, quit;
	/* stderr capture */
	int saved_err, err_rd;
	bool said_why; /* start_screen's failure is explained on stderr */
	char partial[MSG_LEN];
	size_t partial_n;
	char msgs[MSG_KEEP][MSG_LEN];
	size_t n_msgs, total_msgs;
	/* the drilldown's 24 h window (ui.src.hist) */
	uint64_t hist_token, hist_tokens; /* in flight (0 = none); issued */
	int64_t hist_asked_ms; /* clock (live or replay) of the last read */
	int64_t hist_from_ms;  /* first minute asked for */
	/* the drilldown's long views (ui.src.lng): 7 days of one series'
	 * 1-minute [0] and 1-hour [1] rollups, bucketed for the mode shown */
	uint64_t long_tok[2];
	struct store_agg *long_rows[2];
	size_t long_n[2];
	int long_rc[2];
	char long_key[BB_TARGET_LEN + BB_IFNAME_LEN + BB_SERVER_LEN + 16];
	int64_t long_asked_ms; /* the clock the rows end at, 0 = none */
	bool long_fresh;       /* rows came: bucket them again */
	int long_mode, long_cols;
	struct chart_data long_data;
	/* a recording */
	int speed_i;
	bool speed_auto; /* still the one playback_speed_for() picked */
	double ov_loss[OV_N];
	int64_t ov_rtt[OV_N];
};

/* ---- on-demand bufferbloat test ------------------------------------------ */

static void app_note(struct app *a, const char *text, int64_t keep_ms);

/* The running test's note: what it does and a countdown (on every tick). */
static void bloat_note(struct app *a)
{
	const struct bb_config *cfg = source_config(a->src);
	char msg[sizeof(a->ui.note)], cd[32];
	int n;
	int64_t left =
		a->bloat_typical_ns - (clock_real_ns() - a->bloat_req_ns);

	view_fmt_countdown(cd, sizeof(cd), left, a->bloat_typical_ns);
	if (left > 0)
		n = snprintf(msg, sizeof(msg),
			     "Bufferbloat test against %.12s: %s (%s). Esc "
			     "cancels.",
			     cfg->n_servers ? cfg->servers[0].name : "?", cd,
			     a->bloat_what);
	else
		n = snprintf(
			msg, sizeof(msg),
			"Bufferbloat test against %.12s: finishing (%s). Esc "
			"cancels.",
			cfg->n_servers ? cfg->servers[0].name : "?",
			a->bloat_what);
	(void)n; /* a narrow note cuts the end: the countdown comes first */
	app_note(a, msg, 2500);
}

static void bloat_cancel(struct app *a)
{
	source_bloat(a->src, false);
	a->bloat_pending = false;
	a->ui.src.bloat_running = false;
	app_note(a, "Bufferbloat test cancelled: the load stopped.", 5000);
}

static void bloat_request(struct app *a)
{
	const struct bb_config *cfg = source_config(a->src);

	if (a->bloat_pending) {
		app_note(a, "A bufferbloat test is already running.", 4000);
		return;
	}
	int n = source_bloat(a->src, true);
	if (n == -ENOTSUP)
		return; /* a recording */
	if (n <= 0) {
		app_note(a,
			 "Bufferbloat test needs a companion server "
			 "(servers in the configuration).",
			 5000);
		return;
	}
	a->bloat_pending = true;
	a->bloat_req_ns = clock_real_ns();
	a->bloat_msg_len = 0;
	a->ui.src.bloat_running = true;
	/* what it will do: the probe's own split of test_duration_s, and the
	 * volume at the newest throughput results (else at 100/20 Mbit/s) */
	const char *ty = cfg->tests.bufferbloat.test_type;
	int kind = !strcmp(ty, "upload") ? 1 : !strcmp(ty, "download") ? 2 : 3;
	struct bloat_plan plan;
	bloat_plan_of(cfg->tests.bufferbloat.test_duration_s, kind, &plan);
	bool known = a->up_kbps > 0 && a->down_kbps > 0;
	double mb = bloat_plan_bytes(&plan, kind,
				     known ? (double)a->up_kbps : 20000,
				     known ? (double)a->down_kbps : 100000) /
		    1e6;
	a->bloat_typical_ns = plan.typical_ns;
	a->bloat_max_ns = plan.max_ns;
	snprintf(a->bloat_what, sizeof(a->bloat_what),
		 "%s %d s each; ~%.0f MB%s",
		 kind == 1   ? "up"
		 : kind == 2 ? "down"
			     : "up, down, both",
		 (int)(plan.load_ns / BB_NS_PER_S), mb > 1e6 ? 1e6 : mb,
		 known ? "" : " at 100/20 Mbit/s");
	bloat_note(a);
}

/* From on_sample: the requested test's results, one sample per phase,
 * graded by the model it just went into; the "both" phase is the last. */
static void bloat_collect(struct app *a, const struct bb_sample *s)
{
	static const char *const names[BB_PHASE_COUNT] = { [BB_PHASE_UP] = "up",
							   [BB_PHASE_DOWN] =
								   "down",
							   [BB_PHASE_BOTH] =
								   "both" };
	if (!a->bloat_pending || s->kind != BB_KIND_BUFFERBLOAT ||
	    s->real_ns < a->bloat_req_ns || s->load_phase >= BB_PHASE_COUNT ||
	    !names[s->load_phase])
		return;
	const char *phase = names[s->load_phase];
	const struct model_server *sv =
		model_server_find(source_model(a->src), s->server);
	int ph = s->load_phase == BB_PHASE_UP	  ? MODEL_BLOAT_UP
		 : s->load_phase == BB_PHASE_DOWN ? MODEL_BLOAT_DOWN
						  : MODEL_BLOAT_BOTH;
	const char *grade = sv ? sv->bloat[ph].grade : "";
	if (a->bloat_msg_len == 0)
		a->bloat_msg_len =
			(size_t)snprintf(a->bloat_msg, sizeof(a->bloat_msg),
					 "Bufferbloat test done:");
	if (a->bloat_msg_len < sizeof(a->bloat_msg))
		a->bloat_msg_len += (size_t)snprintf(
			a->bloat_msg + a->bloat_msg_len,
			sizeof(a->bloat_msg) - a->bloat_msg_len, "%s %s %s",
			a->bloat_msg_len > 22 ? "," : "", phase,
			s->status == BB_STATUS_OK ? grade : "failed");
	/* the last phase: "up" or "down" alone, else "both" after them */
	const char *type = source_config(a->src)->tests.bufferbloat.test_type;
	const char *last = !strcmp(type, "upload")     ? "up"
			   : !strcmp(type, "download") ? "down"
						       : "both";
	if (strcmp(phase, last) == 0 || s->status != BB_STATUS_OK) {
		a->bloat_pending = false;
		a->ui.src.bloat_running = false;
		app_note(a, a->bloat_msg, 10000);
	}
	a->dirty = true;
}

/* ---- stderr ------------------------------------------------------------- */

static int capture_stderr(struct app *a)
{
	int p[2];

	a->saved_err = a->err_rd = -1;
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	a->saved_err = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
	if (a->saved_err < 0 || dup2(p[1], STDERR_FILENO) < 0) {
		close(p[0]);
		close(p[1]);
		return -errno;
	}
	close(p[1]);
	a->err_rd = p[0];
	return 0;
}

static void keep_line(struct app *a, const char *line)
{
	if (!line[0])
		return;
	snprintf(a->msgs[a->total_msgs % MSG_KEEP], MSG_LEN, "%s", line);
	a->total_msgs++;
	a->dirty = true;
}

static void drain_stderr(struct app *a)
{
	char buf[1024];
	ssize_t n;

	if (a->err_rd < 0)
		return;
	while ((n = read(a->err_rd, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] == '\n' || a->partial_n + 1 >= MSG_LEN) {
				a->partial[a->partial_n] = 0;
				keep_line(a, a->partial);
				a->partial_n = 0;
				if (buf[i] == '\n')
					continue;
			}
			a->partial[a->partial_n++] = buf[i];
		}
	}
}

static void restore_stderr(struct app *a)
{
	if (a->saved_err < 0)
		return;
	fflush(stderr);
	drain_stderr(a);
	if (a->partial_n) {
		a->partial[a->partial_n] = 0;
		keep_line(a, a->partial);
	}
	dup2(a->saved_err, STDERR_FILENO);
	close(a->saved_err);
	close(a->err_rd);
	a->saved_err = a->err_rd = -1;
	size_t first = a->total_msgs > MSG_KEEP ? a->total_msgs - MSG_KEEP : 0;

	if (first)
		fprintf(stderr, "bufferbane: (%zu earlier messages dropped)\n",
			first);
	for (size_t i = first; i < a->total_msgs; i++)
		fprintf(stderr, "%s\n", a->msgs[i % MSG_KEEP]);
}

static void on_stderr(struct ev_loop *loop, ev_io *w, int revents)
{
	drain_stderr(w->data);
}

/* ---- drawing ------------------------------------------------------------ */

/* The address behind each target's display name, from the live plan (a
 * recording has none; a reload changes it): what the rows show beside the
 * name. */
static void fill_addrs(struct app *a)
{
	const struct engine_plan *p = source_plan(a->src);
	size_t n = 0;

	for (size_t i = 0; p && i < p->n_probes && n < ENGINE_MAX_PROBES; i++) {
		const struct probe_target *t = &p->probes[i].target;
		struct ui_addr *u = &a->addrs[n];
		const void *ip = NULL;

		if (t->addr.ss_family == AF_INET)
			ip = &((const struct sockaddr_in *)&t->addr)->sin_addr;
		else if (t->addr.ss_family == AF_INET6)
			ip = &((const struct sockaddr_in6 *)&t->addr)
				      ->sin6_addr;
		if (!ip ||
		    !inet_ntop(t->addr.ss_family, ip, u->addr, sizeof(u->addr)))
			continue;
		snprintf(u->name, sizeof(u->name), "%s", t->name);
		n++;
	}
	a->ui.src.addrs = a->addrs;
	a->ui.src.n_addrs = n;
}

/* Seconds our own test has left, -1 unknown: the 'b' test's countdown, or
 * a scheduled bufferbloat test's from its first probe sent under load (it
 * starts idle, and lasts what its configuration plans); a throughput
 * test's length depends on the line, so it has none. */
static int load_left(struct app *a)
{
	const struct bb_config *cfg = source_config(a->src);
	int64_t left, now = clock_real_ns();

	if (a->bloat_pending) {
		left = a->bloat_typical_ns - (now - a->bloat_req_ns);
	} else if (a->load_bloat && a->load_mono &&
		   clock_mono_ns() - a->load_mono < 3 * BB_NS_PER_S) {
		const char *ty = cfg->tests.bufferbloat.test_type;
		struct bloat_plan plan;

		bloat_plan_of(cfg->tests.bufferbloat.test_duration_s,
			      !strcmp(ty, "upload")	? 1
			      : !strcmp(ty, "download") ? 2
							: 3,
			      &plan);
		left = plan.typical_ns - (now - a->load_start_ns);
	} else {
		return -1;
	}
	return left > 0 ? (int)((left + BB_NS_PER_S - 1) / BB_NS_PER_S) : -1;
}

/* What the source offers this frame, the same calls live or recorded. */
static void fill(struct app *a)
{
	struct ui_source *s = &a->ui.src;
	struct source_status st;

	source_status(a->src, &st);
	s->model = source_model(a->src);
	s->events = a->events;
	source_verdict(a->src, s->verdict, sizeof(s->verdict));
	s->replay = st.recording;
	s->now_mono_ns = st.now_mono_ns;
	s->now_ms = st.now_ms;
	s->uptime_s = st.uptime_s;
	s->rate = st.rate;
	s->dropped = st.dropped;
	s->has_server = st.has_server;
	s->path_on =
		st.recording ? -1 : source_config(a->src)->tests.path.enabled;
	s->first_ms = st.first_ms;
	s->last_ms = st.last_ms;
	s->step_ms = st.interval_ms;
	s->speed = playback_speeds[a->speed_i];
	s->speed_auto = a->speed_auto;
	s->ov_loss = a->ov_loss;
	s->ov_rtt = a->ov_rtt;
	s->ov_n = st.recording ? OV_N : 0;
	s->message =
		a->total_msgs ? a->msgs[(a->total_msgs - 1) % MSG_KEEP] : NULL;
	fill_addrs(a);
	s->load_left_s = load_left(a);
}

/* ---- the drilldown's 24 h window from the rollups ------------------------ */

#define HIST_REFRESH_MS 60000 /* the 1-minute rollups change no faster */

/* The source's answer (live: from the storage thread, later; a
 * recording: read at once). */
static void on_history(void *ctx, uint64_t token, int status,
		       const struct store_agg *rows, size_t n)
{
	struct app *a = ctx;
	struct ui_history *h = &a->ui.src.hist;

	for (int k = 0; k < 2; k++) {
		if (token != a->long_tok[k] || !token)
			continue;
		free(a->long_rows[k]);
		a->long_rows[k] = n ? malloc(n * sizeof(*rows)) : NULL;
		a->long_n[k] = a->long_rows[k] ? n : 0;
		if (a->long_n[k])
			memcpy(a->long_rows[k], rows, n * sizeof(*rows));
		a->long_rc[k] = status < 0		? status
				: n && !a->long_rows[k] ? -ENOMEM
							: 0;
		a->long_tok[k] = 0;
		a->long_fresh = !a->long_tok[0] && !a->long_tok[1];
		a->dirty = true;
		return;
	}
	if (token != a->hist_token)
		return; /* an older question: the series changed since */
	a->hist_token = 0;
	if (status < 0) {
		h->why_not = " (the database could not be read)";
		a->dirty = true;
		return;
	}
	view_history_reset(h, NULL, a->hist_from_ms);
	for (size_t i = 0; i < n; i++)
		view_history_add(h, &rows[i]);
	h->valid = true;
	a->dirty = true;
}

/* Ask the source for the 24 h of the drilldown series when it
 * is shown and what is held is for another series or a minute old. */
static void hist_refresh(struct app *a)
{
	struct ui *ui = &a->ui;
	struct ui_history *h = &ui->src.hist;
	const struct model_series *ms = view_dd_series(ui);
	int64_t now = ui->src.now_ms;
	bool same = view_history_of(h, ms);

	if (ui->view != VIEW_DRILLDOWN || ui->span != SPAN_24H || !ms)
		return;
	if (same &&
	    (a->hist_token || (now >= a->hist_asked_ms &&
			       now - a->hist_asked_ms < HIST_REFRESH_MS)))
		return;
	int64_t from = now - (int64_t)(UI_HIST_MINUTES - 1) * 60000;

	if (!same || !h->valid)
		view_history_reset(h, ms, from);
	a->hist_asked_ms = now;
	h->why_not = NULL;
	/* keep showing the old rows until the answer replaces them */
	a->hist_from_ms = from - from % 60000;
	a->hist_token = ++a->hist_tokens; /* a recording answers at once */
	int rc = source_ask_history(a->src, ms, STORE_AGG_1MIN, a->hist_from_ms,
				    now + 1, a->hist_tokens);
	if (rc < 0)
		a->hist_token = 0;
	if (rc == -ENODEV)
		h->why_not = " (no database: the model's last hour)";
}

#define LONG_DAYS 7

/* Bucket the rows for the mode shown (core/chart/chart_data.c, as the
 * PNG charts do), at the width the view draws. */
static void long_build(struct app *a)
{
	struct ui_long *lg = &a->ui.src.lng;
	int mode = a->ui.dd_long == LONG_24H ? LONG_24H : LONG_7D;
	int cols = view_long_columns(cellbuf_width(a->cb));
	int64_t to = a->long_asked_ms + 1;
	struct chart_query q = {
		.from_ms = to - (mode == LONG_24H ? 1 : LONG_DAYS) * 86400000LL,
		.to_ms = to,
		.segments = cols,
	};
	int rc = a->long_rc[0] < 0 ? a->long_rc[0] : a->long_rc[1];

	if (!a->long_fresh && lg->data && mode == a->long_mode &&
	    cols == a->long_cols)
		return;
	if (a->long_tok[0] || a->long_tok[1] || !a->long_asked_ms)
		return; /* still reading */
	chart_data_free(&a->long_data);
	lg->data = NULL;
	a->long_fresh = false;
	a->long_mode = mode;
	a->long_cols = cols;
	if (rc == 0)
		rc = chart_data_from_aggs(&q, a->long_rows[0], a->long_n[0],
					  a->long_rows[1], a->long_n[1],
					  &a->long_data, NULL, 0);
	if (rc == 0) {
		lg->data = &a->long_data;
		lg->mode = mode;
	} else {
		lg->why_not =
			rc == -ENOENT
				? "Nothing in the database's rollups for "
				  "this series in the last 7 days yet "
				  "(the 1-minute rollups come each minute)."
			: rc == -ENODEV ? "No database: the long views read "
					  "its rollups."
			: rc == -EAGAIN ? "The database is busy; asking again."
					: "The database's rollups could not be "
					  "read.";
	}
}

/* Ask for the 7 days of the drilldown series when a long view is shown
 * and what is held is for another series or a minute old. */
static void long_refresh(struct app *a)
{
	struct ui *ui = &a->ui;
	struct ui_long *lg = &ui->src.lng;
	const struct model_series *ms = view_dd_series(ui);
	int64_t now = ui->src.now_ms, age = now - a->long_asked_ms;
	char key[sizeof(a->long_key)];

	if (ui->view != VIEW_DRILLDOWN || ui->dd_long == LONG_OFF || !ms)
		return;
	snprintf(key, sizeof(key), "%d|%s|%s|%s", (int)ms->kind, ms->interface,
		 ms->target, ms->server);
	if (strcmp(key, a->long_key)) {
		snprintf(a->long_key, sizeof(a->long_key), "%s", key);
		lg->data = NULL;
		lg->why_not = NULL;
		a->long_asked_ms = 0;
		a->long_tok[0] = a->long_tok[1] = 0; /* answers now ignored */
	} else if (a->long_tok[0] || a->long_tok[1] ||
		   (a->long_asked_ms && age >= 0 && age < HIST_REFRESH_MS)) {
		long_build(a);
		return;
	}
	int64_t from = now - LONG_DAYS * 86400000LL;

	a->long_asked_ms = now;
	for (int k = 0; k < 2; k++) {
		/* an hour row starting before from still covers part of it */
		int64_t f = k ? from - from % 3600000 : from;
		int rc;

		a->long_tok[k] = ++a->hist_tokens; /* a recording answers now */
		rc = source_ask_history(a->src, ms,
					k ? STORE_AGG_1HOUR : STORE_AGG_1MIN, f,
					now + 1, a->long_tok[k]);
		if (rc < 0) {
			a->long_tok[0] = a->long_tok[1] = 0;
			a->long_rc[0] = rc;
			a->long_fresh = true;
			a->long_asked_ms = rc == -EAGAIN ? 0 : now;
			break;
		}
	}
	long_build(a);
}

static void draw(struct app *a)
{
	fill(a);
	hist_refresh(a);
	long_refresh(a);
	view_render(&a->ui, a->cb);
	term_draw(a->cb);
	a->dirty = false;
	if (a->ui.src.model)
		a->last_gen = model_generation(a->ui.src.model);
}

/* from_signal: SIGWINCH, ask the terminal; else ncurses already did (a
 * KEY_RESIZE read; calling resizeterm again would queue another). */
static void resize(struct app *a, bool from_signal)
{
	int w, h;

	if (from_signal)
		term_handle_resize();
	term_size(&w, &h);
	if (w != cellbuf_width(a->cb) || h != cellbuf_height(a->cb))
		cellbuf_resize(a->cb, w, h);
	term_redraw_all(a->cb);
	a->dirty = true;
}

/* ---- moves in a recording ------------------------------------------------ */

static void move_failed(struct app *a, int rc)
{
	if (rc >= 0 || rc == -ENOTSUP)
		return;
	if (rc == -ENOENT)
		return;
	snprintf(a->ui.note, sizeof(a->ui.note), "Cannot move: %.140s",
		 *source_last_error(a->src) ? source_last_error(a->src)
					    : strerror(-rc));
	a->ui.note_until_ms = clock_real_ns() / BB_NS_PER_MS + 10000;
}

static void move_request(struct app *a, enum ui_request r, int arg)
{
	struct source_status st;
	int rc = 0;

	source_status(a->src, &st);
	if (!st.recording)
		return;
	switch (r) {
	case UI_REQ_PLAY:
		a->ui.src.playing = !a->ui.src.playing;
		if (a->ui.src.playing && st.now_ms >= st.last_ms)
			rc = source_seek(a->src, st.first_ms);
		break;
	case UI_REQ_SPEED:
		a->speed_i += arg;
		if (a->speed_i < 0)
			a->speed_i = 0;
		if (a->speed_i >= REPLAY_NSPEEDS)
			a->speed_i = REPLAY_NSPEEDS - 1;
		a->speed_auto = false;
		break;
	case UI_REQ_STEP:
		/* one probe interval: the next (previous) round of samples */
		rc = source_advance(a->src, (int64_t)arg * st.interval_ms);
		a->ui.src.playing = false;
		break;
	case UI_REQ_EVENT:
		rc = source_seek_event(a->src, arg);
		if (rc == -ENOENT) {
			snprintf(a->ui.note, sizeof(a->ui.note), "%s",
				 arg > 0 ? "No later event."
					 : "No earlier event.");
			a->ui.note_until_ms =
				clock_real_ns() / BB_NS_PER_MS + 3000;
		} else {
			a->ui.src.playing = false;
		}
		break;
	case UI_REQ_SEEK_START:
		rc = source_seek(a->src, st.first_ms);
		break;
	case UI_REQ_SEEK_END:
		rc = source_seek(a->src, st.last_ms);
		a->ui.src.playing = false;
		break;
	default:
		break;
	}
	move_failed(a, rc);
}

static void app_note(struct app *a, const char *text, int64_t keep_ms)
{
	snprintf(a->ui.note, sizeof(a->ui.note), "%s", text);
	a->ui.note_until_ms = clock_real_ns() / BB_NS_PER_MS + keep_ms;
	a->dirty = true;
}

/* ---- watchers ----------------------------------------------------------- */

static void quit(struct app *a)
{
	a->quit = true;
	ev_break(a->loop, EVBREAK_ALL);
}

/* A press on the same row within 400 ms of the last is a double click. */
static int mouse(struct app *a)
{
	struct term_mouse m;
	int64_t now = clock_mono_ns();

	term_mouse(&m);
	if (m.button == 4 || m.button == 5)
		return keys_mouse(&a->ui, m.y, 0, m.button == 4 ? -1 : 1);
	if (m.button != 1)
		return 0;
	bool dbl = a->click_ns && m.y == a->click_y &&
		   now - a->click_ns < 400 * BB_NS_PER_MS;

	a->click_ns = dbl ? 0 : now;
	a->click_y = m.y;
	return keys_mouse(&a->ui, m.y, dbl ? 2 : 1, 0);
}

static void on_input(struct ev_loop *loop, ev_io *w, int revents)
{
	struct app *a = w->data;
	int key, f;

	while ((key = term_read_key()) != TERM_KEY_NONE) {
		if (key == TERM_KEY_RESIZE) {
			resize(a, false);
			continue;
		}
		a->ui.request = UI_REQ_NONE;
		if (key == TERM_KEY_MOUSE)
			f = mouse(a);
		else
			f = keys_dispatch(&a->ui, key);
		if (f & KEY_QUIT) {
			quit(a);
			return;
		}
		if (f & KEY_REDRAW)
			a->dirty = true;
		switch (a->ui.request) {
		case UI_REQ_NONE:
			break;
		case UI_REQ_THEME:
			term_set_theme(a->ui.light ? TERM_THEME_LIGHT
						   : TERM_THEME_DARK);
			break;
		case UI_REQ_REPAINT:
			term_redraw_all(a->cb);
			break;
		case UI_REQ_BLOAT:
			bloat_request(a);
			break;
		case UI_REQ_BLOAT_STOP:
			if (a->bloat_pending)
				bloat_cancel(a);
			break;
		default:
			move_request(a, a->ui.request, a->ui.request_arg);
			break;
		}
	}
	if (a->dirty)
		draw(a);
}

static void on_winch(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct app *a = w->data;

	resize(a, true);
	draw(a);
}

/* 4 Hz: the model changed, or playing a recording moves the clock. */
static void on_frame(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct app *a = w->data;

	if (a->ui.src.playing) {
		struct source_status st;
		int64_t clk = a->ui.src.now_ms;
		int rc = source_advance(a->src,
					(int64_t)(w->repeat * 1000) *
						playback_speeds[a->speed_i]);

		source_status(a->src, &st);
		if (rc < 0 || st.now_ms >= st.last_ms || st.now_ms == clk)
			a->ui.src.playing = false;
		move_failed(a, rc);
		a->dirty = true;
	}
	if (a->ui.src.model && !a->ui.paused &&
	    model_generation(a->ui.src.model) != a->last_gen)
		a->dirty = true;
	if (a->dirty)
		draw(a);
}

/* 1 Hz: the clock in the header. */
static void on_tick(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct app *a = w->data;

	if (a->bloat_pending) {
		/* no result long past its longest length: the server went */
		if (clock_real_ns() - a->bloat_req_ns >
		    a->bloat_max_ns + 30 * BB_NS_PER_S) {
			a->bloat_pending = false;
			a->ui.src.bloat_running = false;
			app_note(a, "Bufferbloat test: no result came.", 5000);
		} else {
			bloat_note(a);
		}
	}
	if (!a->ui.paused)
		draw(a);
}

/* ---- set-up ------------------------------------------------------------- */

static int not_a_terminal(void)
{
	if (isatty(STDIN_FILENO) && isatty(STDOUT_FILENO))
		return 0;
	fprintf(stderr, "bufferbane: not a terminal; run the headless monitor "
			"with -d (status lines on stdout)\n");
	return 2;
}

static int start_screen(struct app *a)
{
	struct term_info ti = { 0 };
	int rc;

	if (view_ui_init(&a->ui) < 0)
		return -ENOMEM;
	a->events = evlog_new(512);
	if (!a->events)
		return -ENOMEM;
	rc = term_init(&ti);
	if (ti.note[0]) /* on the message line now, on stderr at exit */
		fprintf(stderr, "bufferbane: %s\n", ti.note);
	if (rc < 0) {
		a->said_why = ti.note[0] != 0;
		return rc;
	}
	a->cb = cellbuf_new(ti.w, ti.h);
	if (!a->cb)
		return -ENOMEM;
	cellbuf_set_ascii(a->cb, !ti.utf8);
	ev_io_init(&a->input, on_input, term_fd(), EV_READ);
	a->input.data = a;
	ev_io_start(a->loop, &a->input);
	ev_signal_init(&a->winch, on_winch, SIGWINCH);
	a->winch.data = a;
	ev_signal_start(a->loop, &a->winch);
	ev_timer_init(&a->frame, on_frame, 0.25, 0.25);
	a->frame.data = a;
	ev_timer_start(a->loop, &a->frame);
	ev_timer_init(&a->tick, on_tick, 1., 1.);
	a->tick.data = a;
	ev_timer_start(a->loop, &a->tick);
	if (a->err_rd >= 0) {
		ev_io_init(&a->errin, on_stderr, a->err_rd, EV_READ);
		a->errin.data = a;
		ev_io_start(a->loop, &a->errin);
	}
	return 0;
}

static void stop_screen(struct app *a)
{
	if (a->loop) {
		ev_io_stop(a->loop, &a->input);
		ev_io_stop(a->loop, &a->errin);
		ev_signal_stop(a->loop, &a->winch);
		ev_timer_stop(a->loop, &a->frame);
		ev_timer_stop(a->loop, &a->tick);
	}
	term_fini();
}

/* After stop_screen and after the source is done calling back. */
static void free_screen(struct app *a)
{
	cellbuf_free(a->cb);
	evlog_free(a->events);
	chart_data_free(&a->long_data);
	free(a->long_rows[0]);
	free(a->long_rows[1]);
	view_ui_fini(&a->ui);
}

static void on_sample(void *ctx, const struct bb_sample *s)
{
	struct app *a = ctx;

	if (!s)
		return; /* a recording's model was rebuilt: it holds it all */
	if (s->status == BB_STATUS_OK && s->kind == BB_KIND_UPLOAD)
		a->up_kbps = s->throughput_kbps;
	if (s->status == BB_STATUS_OK && s->kind == BB_KIND_DOWNLOAD)
		a->down_kbps = s->throughput_kbps;
	/* a load span begins with its first flagged probe after 3 s without
	 * one; a bufferbloat test's begins idle */
	if ((s->flags & BB_SAMPLE_UNDER_LOAD) && s->mono_ns > a->load_mono) {
		if (s->mono_ns - a->load_mono > 3 * BB_NS_PER_S) {
			a->load_start_ns = s->real_ns;
			a->load_bloat = s->load_phase == BB_PHASE_IDLE;
		}
		a->load_mono = s->mono_ns;
	}
	bloat_collect(a, s);
}

static void on_event(void *ctx, const struct bb_event *ev)
{
	struct app *a = ctx;

	if (ev)
		evlog_put(a->events, ev);
	else
		evlog_clear(a->events); /* a recording's move: the list again */
	a->dirty = true;
}

/* The screen over SRC until quit; frees SRC.  Returns the exit code. */
static int run(struct app *a, int (*opening)(struct app *a))
{
	int rc;
	struct source_handlers h = { .sample = on_sample,
				     .event = on_event,
				     .history = on_history,
				     .ctx = a };

	source_on(a->src, &h);
	a->loop = source_loop(a->src);
	rc = start_screen(a);
	if (rc == 0)
		rc = source_start(a->src);
	if (rc < 0) {
		stop_screen(a);
		restore_stderr(a);
		/* (the terminal's own reason, if any, was just replayed) */
		if (!a->said_why)
			fprintf(stderr, "bufferbane: cannot start: %s\n",
				strerror(-rc));
		source_free(a->src);
		free_screen(a);
		free(a);
		return 1;
	}
	if (opening)
		opening(a);
	draw(a);
	source_run(a->src);
	stop_screen(a);
	source_finish(a->src); /* closes open events: on_event still runs */
	restore_stderr(a);
	source_free(a->src);
	free_screen(a);
	free(a);
	return 0;
}

int app_live(const struct monitor_options *o)
{
	struct app *a;
	char err[512];
	int code;

	if ((code = not_a_terminal()))
		return code;
	a = calloc(1, sizeof(*a));
	if (!a) {
		fprintf(stderr, "bufferbane: out of memory\n");
		return 1;
	}
	capture_stderr(a);
	a->src = source_live_new(o, err, sizeof(err), &code);
	if (!a->src) {
		restore_stderr(a);
		fprintf(stderr, "bufferbane: %s\n", err);
		free(a);
		return code;
	}
	return run(a, NULL);
}

/* Open on figures: the clock at playback_start_ms() (after start_screen),
 * and a note saying why the speed is what it is, the step, where the clock
 * is (the verdict line says what was wrong then) and the servers, in that
 * order: a narrow screen cuts the end. */
static int replay_open_at_start(struct app *a)
{
	struct playback *r = source_playback(a->src);
	long ev;
	int64_t at = playback_start_ms(r, &ev);
	int64_t span_s = (playback_last_ms(r) - playback_first_ms(r)) / 1000;
	int speed = playback_speeds[a->speed_i];
	char where[160], len[24], play[24], srv[64] = "", step[24], msg[400];
	struct source_status st;
	size_t n;
	int rc;

	if ((rc = source_seek(a->src, at)) < 0) {
		move_failed(a, rc);
		return rc;
	}
	source_status(a->src, &st);
	if (ev >= 0) {
		const struct bb_event *e = &playback_events(r, &n)[ev];

		snprintf(where, sizeof(where),
			 "Opened in the worst event (%s, %s).", e->kind,
			 bb_severity_name(e->severity));
	} else {
		snprintf(where, sizeof(where), "%s",
			 at - playback_first_ms(r) >= REPLAY_LEAD_MS
				 ? "Opened a minute in."
				 : "Opened at the end.");
	}
	for (size_t i = 0, k = 0;
	     i < playback_server_count(r) && k < sizeof(srv); i++)
		k += (size_t)snprintf(
			srv + k, sizeof(srv) - k, "%s%s",
			i ? ", " : " Servers: ", playback_server(r, i));
	view_fmt_dur(len, sizeof(len), span_s);
	view_fmt_dur(play, sizeof(play), span_s / speed);
	if (st.interval_ms % 1000)
		snprintf(step, sizeof(step), "%lld ms",
			 (long long)st.interval_ms);
	else
		snprintf(step, sizeof(step), "%lld s",
			 (long long)(st.interval_ms / 1000));
	snprintf(msg, sizeof(msg),
		 "%d%s plays the %s recording in %s. Left/Right: %s. %s%s%s",
		 speed, cellbuf_ascii(a->cb) ? "x" : "×", len, play, step,
		 where, srv, srv[0] ? "." : "");
	/* the note line cuts what the screen cannot hold anyway */
	snprintf(a->ui.note, sizeof(a->ui.note), "%.*s",
		 (int)sizeof(a->ui.note) - 1, msg);
	a->ui.note_until_ms = clock_real_ns() / BB_NS_PER_MS + 20000;
	return 0;
}

int app_replay(const char *path)
{
	struct app *a;
	char err[512], note[256];
	int code;

	if ((code = not_a_terminal()))
		return code;
	a = calloc(1, sizeof(*a));
	if (!a) {
		fprintf(stderr, "bufferbane: out of memory\n");
		return 1;
	}
	a->src = source_replay_new(path, NULL, note, sizeof(note), err,
				   sizeof(err));
	if (!a->src) {
		/* the commands' rule for the exit status: 2 for a file that
		 * is missing or no Bufferbane database, 1 for a locked or
		 * damaged one (history_open tells them apart) */
		struct store *st;
		char why[512];
		int rc = history_open(path, &st, why, sizeof(why));

		store_close(st);
		fprintf(stderr, "bufferbane: %s\n", err);
		free(a);
		return history_open_exit_code(rc);
	}
	struct playback *r = source_playback(a->src);

	playback_overview(r, a->ov_loss, a->ov_rtt, OV_N);
	a->speed_i = (int)playback_speed_for(playback_last_ms(r) -
					     playback_first_ms(r));
	a->speed_auto = true;
	capture_stderr(a);
	if (note[0])
		fprintf(stderr, "bufferbane: %s\n", note);
	return run(a, replay_open_at_start);
}
