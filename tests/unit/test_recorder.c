// SPDX-License-Identifier: MIT
/*
 * Tests of core/recorder with the real ring and a real SQLite file: every
 * pushed sample and event reaches the database, stop flushes what is still
 * queued, a locked database is retried without loss, an overflowing retry
 * buffer is dropped and counted, and rollups run on the thread.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "core/analysis/event.h"
#include "core/store/recorder.h"
#include "core/base/ring.h"
#include "core/base/sample.h"
#include "core/store/store.h"

#define T0_MS 1732539960000LL /* minute aligned */

struct fixture {
	char dir[256];
	char path[320];
	struct store *st;
	struct ring *samples, *events;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char err[512];
	snprintf(f->dir, sizeof(f->dir), "/tmp/bb-test-recorder.XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/bb.db", f->dir);
	f->st = store_open(f->path, STORE_RDWR, err, sizeof(err));
	if (!f->st) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	f->samples = ring_new(1024, sizeof(struct bb_sample));
	f->events = ring_new(16, sizeof(struct bb_event));
	*state = f;
	return f->samples && f->events ? 0 : -1;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[400];
	store_close(f->st);
	ring_free(f->samples);
	ring_free(f->events);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", f->dir);
	free(f);
	return 0;
}

static struct bb_sample sample(int64_t i)
{
	struct bb_sample s;
	sample_init(&s, i % 5 == 4 ? BB_KIND_DNS : BB_KIND_ICMP);
	s.real_ns = (T0_MS + i * 200) * 1000000 + 1234;
	s.mono_ns = 1000000000LL + i * 200000000;
	snprintf(s.interface, sizeof(s.interface), "eth0");
	snprintf(s.target, sizeof(s.target), "t%d", (int)(i % 5));
	s.seq = (uint32_t)i;
	s.rtt_ns = 10000000 + i * 1000;
	return s;
}

/* Push n samples, spinning (never blocking the ring) while it is full. */
static void push_all(struct ring *r, int64_t from, int64_t n)
{
	for (int64_t i = from; i < from + n; i++) {
		struct bb_sample s = sample(i);
		while (!ring_push(r, &s)) {
			struct timespec ts = { 0, 1000000 };
			nanosleep(&ts, NULL);
		}
	}
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* Wait up to 10 s for a counter to reach want. */
static struct recorder_stats wait_for(struct recorder *rec, size_t field_off,
				      uint64_t want)
{
	struct recorder_stats s;
	for (int i = 0; i < 1000; i++) {
		recorder_stats(rec, &s);
		uint64_t v;
		memcpy(&v, (char *)&s + field_off, sizeof(v));
		if (v >= want)
			return s;
		sleep_ms(10);
	}
	return s;
}

static int64_t db_count(const char *path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *q;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	int64_t v = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	sqlite3_close(db);
	return v;
}

static void test_writes_everything(void **state)
{
	struct fixture *f = *state;
	char err[256];
	struct recorder_opts o = { .batch_interval_ms = 50, .batch_max = 500 };
	struct recorder *rec = recorder_start(f->st, f->samples, f->events, &o,
					      err, sizeof(err));
	assert_non_null(rec);
	push_all(f->samples, 0, 5000);
	for (int i = 0; i < 3; i++) {
		struct bb_event ev;
		memset(&ev, 0, sizeof(ev));
		ev.start_ms = T0_MS + i * 1000;
		snprintf(ev.kind, sizeof(ev.kind), "latency_spike");
		ev.severity = BB_SEV_WARNING;
		assert_true(ring_push(f->events, &ev));
	}
	struct recorder_stats s =
		wait_for(rec, offsetof(struct recorder_stats, written), 5000);
	assert_int_equal(s.written, 5000);
	s = wait_for(rec, offsetof(struct recorder_stats, events_written), 3);
	assert_int_equal(s.events_written, 3);
	assert_int_equal(s.failed_batches, 0);
	assert_int_equal(s.dropped, 0);
	assert_int_equal(recorder_stop(rec, &s), 0);
	assert_int_equal(s.written, 5000);
	assert_int_equal(db_count(f->path, "SELECT count(*) FROM measurements"),
			 5000);
	assert_int_equal(db_count(f->path, "SELECT count(DISTINCT seq) FROM"
					   " measurements"),
			 5000);
	assert_int_equal(db_count(f->path, "SELECT count(*) FROM events"), 3);
}

static void test_flush_on_stop(void **state)
{
	struct fixture *f = *state;
	char err[256];
	/* Nothing would be written for a minute but for the stop. */
	struct recorder_opts o = { .batch_interval_ms = 60000,
				   .batch_max = 100000,
				   .rollup_interval_ms = 3600000 };
	struct recorder *rec = recorder_start(f->st, f->samples, f->events, &o,
					      err, sizeof(err));
	assert_non_null(rec);
	push_all(f->samples, 0, 1000);
	struct recorder_stats s;
	recorder_stats(rec, &s);
	assert_int_equal(s.written, 0);
	assert_int_equal(recorder_stop(rec, &s), 0);
	assert_int_equal(s.written, 1000);
	assert_int_equal(s.pending, 0);
	assert_int_equal(db_count(f->path, "SELECT count(*) FROM measurements"),
			 1000);
	/* The final rollup covered the complete minutes (200 ms apart:
	 * 1000 samples span 3 minutes and 20 s, T0 minute aligned). */
	assert_int_equal(db_count(f->path, "SELECT count(DISTINCT bucket_ms)"
					   " FROM agg_1min"),
			 4);
	assert_int_equal(db_count(f->path, "SELECT sum(count) FROM agg_1min"
					   " WHERE test_type = 'icmp'"),
			 800);
}

struct logbuf {
	char text[4096];
};

static void capture(void *ctx, const char *msg)
{
	struct logbuf *b = ctx;
	size_t n = strlen(b->text);
	snprintf(b->text + n, sizeof(b->text) - n, "%s\n", msg);
}

static void test_locked_retry(void **state)
{
	struct fixture *f = *state;
	char err[256];
	struct logbuf log = { "" };
	store_set_busy_timeout(f->st, 50);
	sqlite3 *other;
	assert_int_equal(sqlite3_open(f->path, &other), SQLITE_OK);
	assert_int_equal(
		sqlite3_exec(other, "BEGIN EXCLUSIVE", NULL, NULL, NULL),
		SQLITE_OK);
	struct recorder_opts o = { .batch_interval_ms = 20,
				   .log = capture,
				   .log_ctx = &log };
	struct recorder *rec = recorder_start(f->st, f->samples, f->events, &o,
					      err, sizeof(err));
	assert_non_null(rec);
	push_all(f->samples, 0, 100);
	struct recorder_stats s = wait_for(
		rec, offsetof(struct recorder_stats, failed_batches), 2);
	assert_true(s.failed_batches >= 2);
	assert_int_equal(s.written, 0);
	assert_int_equal(s.pending, 100);
	assert_int_equal(sqlite3_exec(other, "COMMIT", NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(other);
	s = wait_for(rec, offsetof(struct recorder_stats, written), 100);
	assert_int_equal(s.written, 100);
	assert_int_equal(s.dropped, 0);
	assert_int_equal(recorder_stop(rec, &s), 0);
	assert_int_equal(db_count(f->path, "SELECT count(*) FROM measurements"),
			 100);
	assert_non_null(strstr(log.text, "locked"));
	assert_non_null(strstr(log.text, "writable again"));
}

static void test_overflow_dropped(void **state)
{
	struct fixture *f = *state;
	char err[256];
	struct logbuf log = { "" };
	store_set_busy_timeout(f->st, 20);
	sqlite3 *other;
	assert_int_equal(sqlite3_open(f->path, &other), SQLITE_OK);
	assert_int_equal(
		sqlite3_exec(other, "BEGIN EXCLUSIVE", NULL, NULL, NULL),
		SQLITE_OK);
	struct recorder_opts o = { .batch_interval_ms = 20,
				   .batch_max = 100,
				   .max_pending = 200,
				   .log = capture,
				   .log_ctx = &log };
	struct recorder *rec = recorder_start(f->st, f->samples, f->events, &o,
					      err, sizeof(err));
	assert_non_null(rec);
	push_all(f->samples, 0, 500);
	struct recorder_stats s =
		wait_for(rec, offsetof(struct recorder_stats, dropped), 300);
	assert_int_equal(s.dropped, 300);
	assert_int_equal(s.pending, 200);
	assert_int_equal(ring_dropped(f->samples), 0);
	assert_int_equal(sqlite3_exec(other, "COMMIT", NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(other);
	s = wait_for(rec, offsetof(struct recorder_stats, written), 200);
	assert_int_equal(s.written, 200);
	assert_int_equal(recorder_stop(rec, &s), -EIO); /* some were dropped */
	assert_int_equal(s.written + s.dropped, 500);
	/* The newest survived: the oldest were dropped. */
	assert_int_equal(db_count(f->path, "SELECT min(seq) FROM measurements"),
			 300);
	assert_non_null(strstr(log.text, "dropped 100 samples"));
}

static void test_rollup_on_thread(void **state)
{
	struct fixture *f = *state;
	char err[256];
	struct recorder_opts o = { .batch_interval_ms = 20,
				   .rollup_interval_ms = 30 };
	/* Two minutes, years ago, all queued before the thread starts so
	 * that no rollup can see a half-written minute. */
	push_all(f->samples, 0, 600);
	struct recorder *rec =
		recorder_start(f->st, f->samples, NULL, &o, err, sizeof(err));
	assert_non_null(rec);
	struct recorder_stats s =
		wait_for(rec, offsetof(struct recorder_stats, rollups), 2 * 5);
	assert_true(s.rollups >= 2 * 5); /* 2 minutes x 5 series, + hour */
	assert_int_equal(recorder_stop(rec, &s), 0);
	assert_int_equal(db_count(f->path, "SELECT count(*) FROM agg_1min"),
			 10);
	assert_int_equal(db_count(f->path, "SELECT count(*) FROM agg_1hour"),
			 5);
	assert_int_equal(db_count(f->path, "SELECT sum(count) FROM agg_1min"),
			 600);
}

static atomic_int answered_calls;

static void on_answered(void *ctx)
{
	(void)ctx;
	atomic_fetch_add(&answered_calls, 1);
}

/* Poll for an answer for up to 5 s. */
static bool wait_answer(struct recorder *rec, struct recorder_answer *a)
{
	for (int i = 0; i < 500; i++) {
		if (recorder_answer(rec, a))
			return true;
		sleep_ms(10);
	}
	return false;
}

/* Questions are answered from the storage thread, after the samples that
 * came before them were written and rolled up. */
static void test_questions(void **state)
{
	struct fixture *f = *state;
	char err[256];
	struct recorder_opts o = { .batch_interval_ms = 20,
				   .rollup_interval_ms = 30,
				   .answered = on_answered };
	push_all(f->samples, 0, 600);
	struct recorder *rec =
		recorder_start(f->st, f->samples, NULL, &o, err, sizeof(err));
	assert_non_null(rec);
	wait_for(rec, offsetof(struct recorder_stats, rollups), 2 * 5);

	struct recorder_ask q = { .what = RECORDER_ASK_SERIES_AGGS,
				  .token = 42,
				  .from_ms = T0_MS - 60000,
				  .to_ms = T0_MS + 3600000,
				  .level = STORE_AGG_1MIN,
				  .kind = BB_KIND_ICMP };
	snprintf(q.interface, sizeof(q.interface), "eth0");
	snprintf(q.target, sizeof(q.target), "t1");
	assert_int_equal(recorder_ask(rec, &q), 0);
	struct recorder_answer a;
	assert_true(wait_answer(rec, &a));
	assert_int_equal(a.token, 42);
	assert_int_equal(a.status, 0);
	/* t1: every 5th sample of 120 s at 200 ms, 60 per minute */
	assert_int_equal(a.nrows, 2);
	assert_true(a.rows[0].bucket_ms == T0_MS && a.rows[0].count == 60);
	assert_true(a.rows[1].bucket_ms == T0_MS + 60000 &&
		    a.rows[1].count == 60 && a.rows[1].lost == 0);
	/* sample(i) = 10 ms + i us; t1 holds i = 1, 6, ..., 296 in minute 0 */
	assert_true(a.rows[0].min > 10.0009 && a.rows[0].min < 10.0011);
	free(a.rows);

	/* the history of one hour has no evening against a day: ENOENT */
	q = (struct recorder_ask){ .what = RECORDER_ASK_PEAK_HOURS,
				   .token = 7,
				   .to_ms = T0_MS + 3600000 };
	assert_int_equal(recorder_ask(rec, &q), 0);
	assert_true(wait_answer(rec, &a));
	assert_true(a.token == 7 && a.status == -ENOENT && a.rows == NULL);
	assert_true(atomic_load(&answered_calls) >= 2);

	/* an answer nobody polled is freed at stop (ASan would tell) */
	q.what = RECORDER_ASK_SERIES_AGGS;
	q.level = STORE_AGG_1MIN;
	q.from_ms = 0;
	q.to_ms = INT64_MAX;
	q.kind = BB_KIND_DNS;
	snprintf(q.interface, sizeof(q.interface), "eth0");
	snprintf(q.target, sizeof(q.target), "t4");
	assert_int_equal(recorder_ask(rec, &q), 0);
	sleep_ms(200);
	assert_int_equal(recorder_stop(rec, NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_writes_everything, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_flush_on_stop, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_locked_retry, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_overflow_dropped, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_rollup_on_thread, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_questions, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
