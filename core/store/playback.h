/* SPDX-License-Identifier: MIT */
/*
 * Replay: drives a model from a recorded database instead of live probes
 * (ARCHITECTURE.md "replay source"), so every view works unchanged.  Samples
 * read back are fed to the same model code as live ones, with one rewrite:
 * mono_ns := real_ns, because the recorded monotonic clock restarts with each
 * run and the windows need one continuous timeline.  Views therefore pass
 * playback_now_mono() where live views pass clock_mono_ns().
 *
 * Pure data: play/pause and speed are the front end's policy; it calls
 * playback_advance() with (elapsed wall time x speed).  Where to open and
 * the default speed are suggested here (playback_start_ms, playback_speed_for)
 * so that every front end opens a recording on something to see.
 */
#ifndef BB_CORE_REPLAY_H /* proto/antireplay.h owns BB_REPLAY_H */
#define BB_CORE_REPLAY_H

#include <stddef.h>
#include <stdint.h>

struct playback;
struct model;
struct bb_event;
struct bb_sample;

/* Open path read-only; NULL with one clear line in err naming the file
 * (not a database, newer schema, no samples recorded yet...).  The clock
 * starts at the first sample with nothing loaded: the model is empty and
 * the first playback_advance() feeds from the first sample on. */
struct playback *playback_open(const char *path, char *err, size_t errlen);
/* Close and free. */
void playback_close(struct playback *r);

/* Where a front end opens the recording, so that it opens on figures and
 * not on an empty model: inside the worst problem (a warning or critical
 * event: highest severity, then the longest, then the earliest; an "info"
 * one such as a clock sync is no problem), REPLAY_LEAD_MS (one window) after
 * its start or its last ms if it ends sooner, so the window is full of it
 * and it is still open; without events, REPLAY_LEAD_MS after the first
 * sample.  Clamped to the recording.  The event's index (playback_events) in
 * *event, -1 when none; event may be NULL. */
#define REPLAY_LEAD_MS 60000
int64_t playback_start_ms(const struct playback *r, long *event);
/* Playback speeds a front end offers (x real time), slowest first. */
#define REPLAY_NSPEEDS 11
extern const int playback_speeds[REPLAY_NSPEEDS];
/* The default for a recording span_ms long: the index of the slowest
 * speed that plays it whole in at most REPLAY_PLAY_MS (1x for a minute,
 * 30x for 20 minutes, 1800x for a day), the fastest beyond. */
#define REPLAY_PLAY_MS 60000
size_t playback_speed_for(int64_t span_ms);
/* Companion servers the recording's series name, sorted, each once. */
size_t playback_server_count(const struct playback *r);
const char *playback_server(const struct playback *r, size_t i);
/* Who feeds the model.  By default playback adds every sample to it
 * (model_add); a front end that runs the detectors too (core/engine/source)
 * takes over: fn is called with the model being built and every sample in
 * time order (mono_ns := real_ns) and must add it, and with s NULL when a
 * seek starts a new model m (what was derived from the old one goes; if
 * the seek then fails, m is freed and the next move starts again). */
typedef void (*playback_feed_fn)(void *ctx, struct model *m,
				 const struct bb_sample *s);
void playback_on_sample(struct playback *r, playback_feed_fn fn, void *ctx);
/* The model the views read.  A seek (or an advance of over an hour) swaps
 * in a new one: fetch it again after moving the clock; the replaced one
 * stays readable until the following swap. */
struct model *playback_model(struct playback *r);
/* First and last sample times in the database (Unix ms). */
int64_t playback_first_ms(const struct playback *r);
int64_t playback_last_ms(const struct playback *r);
/* The replay clock (Unix ms). */
int64_t playback_clock_ms(const struct playback *r);
/* "Now" for stats_log_summary() on the replay timeline: the last ns of
 * the clock's millisecond, so samples stamped at the clock are inside. */
int64_t playback_now_mono(const struct playback *r);
/* Probe interval the model was created with (guessed from the data). */
int64_t playback_interval_ns(const struct playback *r);
/* Why the last seek/advance failed ("path: what"), "" if it did not. */
const char *playback_last_error(const struct playback *r);
/* Move the clock to ms (clamped to the recording); the model is rebuilt
 * from the samples in (ms - 1 h, ms].  0 or -errno (model unchanged). */
int playback_seek(struct playback *r, int64_t ms);
/* Move the clock by delta_ms, clamped to the recording: > 0 feeds the
 * samples in (clock, clock + delta] (a step over an hour is a seek); < 0 is
 * a seek back.  0 or -errno. */
int playback_advance(struct playback *r, int64_t delta_ms);
/* Every event of the recording, by start time; n in *count. */
const struct bb_event *playback_events(const struct playback *r, size_t *count);
/* Index of the first event starting after (dir > 0) or the last one
 * starting before (dir < 0) the clock; -1 when there is none. */
long playback_event_near(const struct playback *r, int dir);
/* Events open at the clock (start <= clock < end, or still ongoing), by
 * start: up to max pointers into out; returns how many were written. */
size_t playback_open_events(const struct playback *r,
			    const struct bb_event **out, size_t max);
/* One series' rollups (core/store/store.h store_read_series_aggs) from the
 * recording; 0 or -errno. */
struct model_series;
struct store_agg;
int playback_series_aggs(struct playback *r, const struct model_series *ms,
			 int level, int64_t from_ms, int64_t to_ms,
			 int (*cb)(void *ctx, const struct store_agg *row),
			 void *ctx);
/* Overview for a timeline bar: for each of n equal slices of the recording,
 * the loss % of its icmp/udp_echo/dns/tcp_connect probes (lost / sent over
 * all its minutes and series, so one lost probe in a minute does not paint
 * a stretch of fine hours red) and the
 * median of the icmp/udp_echo RTT medians (us), from agg_1hour when a slice
 * spans an hour or more, else agg_1min.  A slice without rollup rows (not
 * rolled up yet) is estimated from a minute of its samples; NAN /
 * BB_NONE where nothing was recorded.  Returns n. */
size_t playback_overview(struct playback *r, double *loss_pct, int64_t *rtt_us,
			 size_t n);

#endif
