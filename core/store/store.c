// SPDX-License-Identifier: MIT
/*
 * The SQLite store.  Physical layout (schema version 1), chosen to keep a
 * sample near 35 bytes on disk:
 *
 *   series     (id, interface, connection_type, test_type, target,
 *               server_name)              one row per probe stream
 *   clock_runs (id, offset_ns, started_ms) realtime - monotonic per run
 *   samples    (ts, series, seq, code, ns, run, mono_d, send_us, main_us,
 *               ext, detail)  WITHOUT ROWID, key (ts, series, seq, code)
 *     ts       Unix ms of real_ns; ns = real_ns - ts * 1e6 (0..999999)
 *     mono_ns  = real_ns - clock_runs.offset_ns - mono_d (exact; a new run
 *              starts when |mono_d| would exceed 1 ms)
 *     code     status | flags << 8 | dup << 24; dup only separates rows
 *              that would otherwise share a key (duplicate replies)
 *     main_us  rtt_ns in µs (the kind's main delay), NULL = BB_NONE
 *     ext      NULL, or JSON {"u":up_us,"d":down_us,"k":kbps,"l":loss_ppm}
 *              holding only the figures measured (rare kinds)
 *     detail   NULL unless the sample carries one
 *
 * On top: the view `measurements`, the tables `events`, `agg_1min`,
 * `agg_1hour` and `meta` exactly as INTERFACES.md names them.  Rollup
 * percentiles are nearest-rank over the bucket's ok samples, computed in C;
 * LATE/DUPLICATE annotation rows are not probes and are skipped.  The rollup
 * progress is kept in meta (rollup_1min_until, rollup_1hour_until).
 */
#include "core/store/store.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/analysis/event.h"
#include "core/base/sample.h"
#include "core/base/text.h"
#include "proto/bytes.h"

#define CONN_LEN	 16
#define MAX_CONN	 16
#define MAX_DUP		 64
#define RUN_MAX_DRIFT_NS 1000000LL
#define MS_PER_MIN	 60000LL
#define MS_PER_HOUR	 3600000LL

struct series_key {
	uint8_t kind;
	char interface[BB_IFNAME_LEN];
	char target[BB_TARGET_LEN];
	char server[BB_SERVER_LEN];
	char conn[CONN_LEN];
};

struct series_ent {
	int64_t id;
	struct series_key key;
};

struct conn_map {
	char interface[BB_IFNAME_LEN];
	char type[CONN_LEN];
};

enum {
	Q_INS_SAMPLE,
	Q_INS_SERIES,
	Q_INS_RUN,
	Q_BEGIN,
	Q_COMMIT,
	Q_ROLLBACK,
	Q_READ,
	Q_RANGE,
	Q_EV_INSERT,
	Q_EV_UPDATE,
	Q_EV_READ,
	Q_COUNT
};

static const char *const queries[Q_COUNT] = {
	[Q_INS_SAMPLE] = "INSERT INTO samples(ts, series, seq, code, ns, run,"
			 " mono_d, send_us, main_us, ext, detail)"
			 " VALUES(?,?,?,?,?,?,?,?,?,?,?)",
	[Q_INS_SERIES] =
		"INSERT INTO series(interface, connection_type,"
		" test_type, target, server_name) VALUES(?,?,?,?,?)"
		" ON CONFLICT DO UPDATE SET interface = excluded.interface"
		" RETURNING id",
	[Q_INS_RUN] = "INSERT INTO clock_runs(offset_ns, started_ms)"
		      " VALUES(?, ?)",
	[Q_BEGIN] = "BEGIN IMMEDIATE",
	[Q_COMMIT] = "COMMIT",
	[Q_ROLLBACK] = "ROLLBACK",
	[Q_READ] = "SELECT s.ts, s.ns, r.offset_ns, s.mono_d, e.interface,"
		   " e.test_type, e.target, e.server_name, s.seq, s.code,"
		   " s.send_us, s.main_us, json_extract(s.ext, '$.u'),"
		   " json_extract(s.ext, '$.d'), json_extract(s.ext, '$.k'),"
		   " json_extract(s.ext, '$.l'), s.detail"
		   " FROM samples s JOIN series e ON e.id = s.series"
		   " JOIN clock_runs r ON r.id = s.run"
		   " WHERE s.ts >= ?1 AND s.ts < ?2 ORDER BY s.ts, s.ns",
	/* Two subqueries: min() and max() together would scan every row. */
	[Q_RANGE] = "SELECT (SELECT min(ts) FROM samples),"
		    " (SELECT max(ts) FROM samples)",
	[Q_EV_INSERT] = "INSERT INTO events(start_ms, end_ms, kind, severity,"
			" interface, target, server_name, description, metrics)"
			" VALUES(?,?,?,?,?,?,?,?,?)"
			" ON CONFLICT(start_ms, kind, interface, target,"
			" server_name) DO UPDATE SET end_ms = excluded.end_ms,"
			" severity = excluded.severity,"
			" description = excluded.description,"
			" metrics = excluded.metrics RETURNING id",
	[Q_EV_UPDATE] = "UPDATE events SET start_ms = ?, end_ms = ?, kind = ?,"
			" severity = ?, interface = ?, target = ?,"
			" server_name = ?, description = ?, metrics = ?"
			" WHERE id = ?",
	[Q_EV_READ] = "SELECT id, start_ms, end_ms, kind, severity, interface,"
		      " target, server_name, description, metrics FROM events"
		      " WHERE start_ms < ?2 AND (end_ms IS NULL OR"
		      " end_ms >= ?1) ORDER BY start_ms, id",
};

static const char schema_sql[] =
	"CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
	"CREATE TABLE series(id INTEGER PRIMARY KEY,"
	" interface TEXT NOT NULL, connection_type TEXT NOT NULL,"
	" test_type TEXT NOT NULL, target TEXT NOT NULL,"
	" server_name TEXT NOT NULL,"
	" UNIQUE(interface, connection_type, test_type, target,"
	" server_name));"
	"CREATE TABLE clock_runs(id INTEGER PRIMARY KEY,"
	" offset_ns INTEGER NOT NULL, started_ms INTEGER NOT NULL);"
	"CREATE TABLE samples(ts INTEGER NOT NULL, series INTEGER NOT NULL,"
	" seq INTEGER NOT NULL, code INTEGER NOT NULL, ns INTEGER NOT NULL,"
	" run INTEGER NOT NULL, mono_d INTEGER NOT NULL, send_us INTEGER,"
	" main_us INTEGER, ext TEXT, detail TEXT,"
	" PRIMARY KEY(ts, series, seq, code)) WITHOUT ROWID;"
	"CREATE TABLE events(id INTEGER PRIMARY KEY,"
	" start_ms INTEGER NOT NULL, end_ms INTEGER, kind TEXT NOT NULL,"
	" severity TEXT NOT NULL, interface TEXT NOT NULL DEFAULT '',"
	" target TEXT NOT NULL DEFAULT '',"
	" server_name TEXT NOT NULL DEFAULT '', description TEXT,"
	" metrics TEXT);"
	"CREATE UNIQUE INDEX events_place ON events(start_ms, kind,"
	" interface, target, server_name);"
	"CREATE TABLE agg_1min(bucket_ms INTEGER NOT NULL,"
	" series INTEGER NOT NULL, interface TEXT, connection_type TEXT,"
	" test_type TEXT, target TEXT, server_name TEXT, unit TEXT,"
	" count INTEGER, lost INTEGER, min REAL, max REAL, avg REAL,"
	" p50 REAL, p95 REAL, p99 REAL,"
	" PRIMARY KEY(bucket_ms, series)) WITHOUT ROWID;"
	"CREATE TABLE agg_1hour(bucket_ms INTEGER NOT NULL,"
	" series INTEGER NOT NULL, interface TEXT, connection_type TEXT,"
	" test_type TEXT, target TEXT, server_name TEXT, unit TEXT,"
	" count INTEGER, lost INTEGER, min REAL, max REAL, avg REAL,"
	" p50 REAL, p95 REAL, p99 REAL,"
	" PRIMARY KEY(bucket_ms, series)) WITHOUT ROWID;";

/* Re-created by every writer that opens an older database, so a status
 * added later (no_session) shows there too. */
static const char view_sql[] =
	"DROP VIEW IF EXISTS measurements;"
	"CREATE VIEW measurements AS SELECT"
	" s.ts AS timestamp,"
	" s.ts * 1000000 + s.ns - r.offset_ns - s.mono_d AS monotonic_ns,"
	" e.interface AS interface, e.connection_type AS connection_type,"
	" e.test_type AS test_type, e.target AS target,"
	" e.server_name AS server_name, s.seq AS seq,"
	" CASE WHEN e.test_type NOT IN ('dns', 'tcp_connect')"
	"  THEN round(s.main_us / 1000.0, 3) END AS rtt_ms,"
	" round(json_extract(s.ext, '$.u') / 1000.0, 3) AS up_delay_ms,"
	" round(json_extract(s.ext, '$.d') / 1000.0, 3) AS down_delay_ms,"
	" NULL AS jitter_ms,"
	" json_extract(s.ext, '$.l') / 10000.0 AS packet_loss_pct,"
	" json_extract(s.ext, '$.k') AS throughput_kbps,"
	" CASE WHEN e.test_type = 'dns'"
	"  THEN round(s.main_us / 1000.0, 3) END AS dns_time_ms,"
	" CASE WHEN e.test_type = 'tcp_connect'"
	"  THEN round(s.main_us / 1000.0, 3) END AS connect_ms,"
	" CASE WHEN s.code & 16384 THEN 'no_session'" /* NO_SESSION << 8 */
	"  ELSE CASE s.code & 255 WHEN 0 THEN 'ok' WHEN 1 THEN 'timeout'"
	"  WHEN 2 THEN 'error' END END AS status,"
	" s.detail AS error_detail"
	" FROM samples s JOIN series e ON e.id = s.series"
	" JOIN clock_runs r ON r.id = s.run;";

struct store {
	sqlite3 *db;
	char path[512];
	bool rdonly;
	int busy_ms;
	char client_id[17];
	char error[512];
	sqlite3_stmt *q[Q_COUNT];
	/* series cache: every id this handle has seen, key -> id */
	struct series_ent *series;
	size_t nseries, series_cap, last_hit;
	/* current clock run of this writer (0 = none yet) */
	int64_t run_id, run_offset;
	struct conn_map conn[MAX_CONN];
	size_t nconn;
};

static int set_err(struct store *st, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int set_err(struct store *st, int rc, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(st->error, sizeof(st->error), "%s: ", st->path);
	if (n < 0 || (size_t)n >= sizeof(st->error))
		return rc;
	va_start(ap, fmt);
	vsnprintf(st->error + n, sizeof(st->error) - (size_t)n, fmt, ap);
	va_end(ap);
	return rc;
}

/* Map an SQLite result code to -errno. */
static int sql_errno(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_READONLY:
		return -EROFS;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return -EILSEQ;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_CANTOPEN:
		return -ENOENT;
	case SQLITE_CONSTRAINT:
		return -EEXIST;
	default:
		return -EIO;
	}
}

static int sql_fail(struct store *st, int rc, const char *what)
{
	if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED)
		return set_err(st, -EBUSY,
			       "%s: database is locked by another process "
			       "(waited %d ms)",
			       what, st->busy_ms);
	return set_err(st, sql_errno(rc), "%s: %s", what,
		       sqlite3_errmsg(st->db));
}

/* Run a statement without results (or ignore them). */
static int exec(struct store *st, const char *sql, const char *what)
{
	char *msg = NULL;
	int rc = sqlite3_exec(st->db, sql, NULL, NULL, &msg);
	if (rc == SQLITE_OK)
		return 0;
	if ((rc & 0xff) == SQLITE_BUSY)
		sql_fail(st, rc, what);
	else
		set_err(st, sql_errno(rc), "%s: %s", what,
			msg ? msg : sqlite3_errstr(rc));
	sqlite3_free(msg);
	return sql_errno(rc);
}

/* One integer (or text) from a single-row query; -ENOENT when no row. */
static int query_int(struct store *st, const char *sql, int64_t *out,
		     bool *is_null)
{
	sqlite3_stmt *q;
	int rc = sqlite3_prepare_v2(st->db, sql, -1, &q, NULL);
	if (rc != SQLITE_OK)
		return sql_fail(st, rc, sql);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		if (is_null)
			*is_null = sqlite3_column_type(q, 0) == SQLITE_NULL;
		*out = sqlite3_column_int64(q, 0);
		rc = 0;
	} else if (rc == SQLITE_DONE) {
		rc = -ENOENT;
	} else {
		rc = sql_fail(st, rc, sql);
	}
	sqlite3_finalize(q);
	return rc;
}

static int meta_get(struct store *st, const char *key, char *out, size_t len)
{
	sqlite3_stmt *q;
	int rc = sqlite3_prepare_v2(
		st->db, "SELECT value FROM meta WHERE key = ?", -1, &q, NULL);
	if (rc != SQLITE_OK)
		return sql_fail(st, rc, "reading meta");
	sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		const char *v = (const char *)sqlite3_column_text(q, 0);
		snprintf(out, len, "%s", v ? v : "");
		rc = 0;
	} else if (rc == SQLITE_DONE) {
		rc = -ENOENT;
	} else {
		rc = sql_fail(st, rc, "reading meta");
	}
	sqlite3_finalize(q);
	return rc;
}

static int meta_set(struct store *st, const char *key, const char *value)
{
	sqlite3_stmt *q;
	int rc = sqlite3_prepare_v2(st->db,
				    "INSERT OR REPLACE INTO meta(key, value)"
				    " VALUES(?, ?)",
				    -1, &q, NULL);
	if (rc != SQLITE_OK)
		return sql_fail(st, rc, "writing meta");
	sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, value, -1, SQLITE_STATIC);
	rc = sqlite3_step(q);
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? 0 : sql_fail(st, rc, "writing meta");
}

/* mkdir -p of the folder holding path. */
static int make_parent(const char *path)
{
	char dir[512];
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0700) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* Refuse, before SQLite touches it, a file that is not an SQLite database
 * or is shorter than its own header says.  *exists = non-empty file. */
static int precheck_file(struct store *st, bool *exists)
{
	struct stat sb;
	*exists = false;
	if (stat(st->path, &sb) < 0) {
		if (errno == ENOENT && !st->rdonly)
			return 0;
		return set_err(st, -errno, "%s", strerror(errno));
	}
	if (!S_ISREG(sb.st_mode))
		return set_err(st, -EINVAL, "not a regular file");
	if (sb.st_size == 0)
		return st->rdonly ? set_err(st, -ENOENT, "empty file") : 0;
	*exists = true;

	unsigned char hdr[100];
	int fd = open(st->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return set_err(st, -errno, "%s", strerror(errno));
	ssize_t got = read(fd, hdr, sizeof(hdr));
	close(fd);
	if (got != (ssize_t)sizeof(hdr) ||
	    memcmp(hdr, "SQLite format 3", 16) != 0)
		return set_err(st, -EILSEQ,
			       "not a SQLite database (refusing to touch it)");

	uint32_t page_size = (uint32_t)hdr[16] << 8 | hdr[17];
	if (page_size == 1)
		page_size = 65536;
	uint32_t pages = get_be32(hdr + 28);
	bool size_valid = get_be32(hdr + 24) == get_be32(hdr + 92);
	char wal[600];
	struct stat wb;
	snprintf(wal, sizeof(wal), "%s-wal", st->path);
	bool has_wal = stat(wal, &wb) == 0 && wb.st_size > 0;
	if (size_valid && pages && !has_wal &&
	    (uint64_t)sb.st_size < (uint64_t)pages * page_size)
		return set_err(st, -EILSEQ,
			       "database is truncated or corrupt (header "
			       "says %" PRIu32 " pages of %" PRIu32
			       " bytes, file has %lld bytes)",
			       pages, page_size, (long long)sb.st_size);
	return 0;
}

static int new_client_id(char out[17])
{
	uint8_t raw[8];
	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
		return -errno;
	hex_encode(out, raw, sizeof(raw));
	return 0;
}

static int create_schema(struct store *st)
{
	char ver[16];
	int rc = new_client_id(st->client_id);
	if (rc < 0)
		return set_err(st, rc, "getrandom: %s", strerror(-rc));
	rc = exec(st, "BEGIN IMMEDIATE", "creating the schema");
	if (rc < 0)
		return rc;
	snprintf(ver, sizeof(ver), "%d", STORE_SCHEMA_VERSION);
	if ((rc = exec(st, schema_sql, "creating the schema")) < 0 ||
	    (rc = exec(st, view_sql, "creating the schema")) < 0 ||
	    (rc = meta_set(st, "schema_version", ver)) < 0 ||
	    (rc = meta_set(st, "client_id", st->client_id)) < 0) {
		exec(st, "ROLLBACK", "creating the schema");
		return rc;
	}
	return exec(st, "COMMIT", "creating the schema");
}

/* Existing database: check it is ours and not from a newer version. */
static int check_schema(struct store *st)
{
	char buf[64];
	int rc = meta_get(st, "schema_version", buf, sizeof(buf));
	if (rc == -ENOENT)
		return set_err(st, -EILSEQ, "no schema_version in meta");
	if (rc < 0)
		return rc;
	char *end;
	long v = strtol(buf, &end, 10);
	if (*end || v < 1)
		return set_err(st, -EILSEQ, "bad schema_version '%s'", buf);
	if (v > STORE_SCHEMA_VERSION)
		return set_err(st, -EPROTONOSUPPORT,
			       "database schema version %ld is newer than this "
			       "bufferbane supports (%d); refusing to open it",
			       v, STORE_SCHEMA_VERSION);
	/* Version 1 is the first: nothing to migrate but the view. */
	if (!st->rdonly &&
	    (rc = exec(st, view_sql, "updating the measurements view")) < 0)
		return rc;
	rc = meta_get(st, "client_id", st->client_id, sizeof(st->client_id));
	if (rc == -ENOENT)
		return set_err(st, -EILSEQ, "no client_id in meta");
	return rc;
}

static int load_series(struct store *st)
{
	sqlite3_stmt *q;
	int rc = sqlite3_prepare_v2(st->db,
				    "SELECT id, interface, connection_type,"
				    " test_type, target, server_name"
				    " FROM series",
				    -1, &q, NULL);
	if (rc != SQLITE_OK)
		return sql_fail(st, rc, "reading series");
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		if (st->nseries == st->series_cap) {
			size_t cap = st->series_cap ? 2 * st->series_cap : 16;
			void *p =
				realloc(st->series, cap * sizeof(*st->series));
			if (!p) {
				sqlite3_finalize(q);
				return set_err(st, -ENOMEM, "out of memory");
			}
			st->series = p;
			st->series_cap = cap;
		}
		struct series_ent *e = &st->series[st->nseries++];
		memset(e, 0, sizeof(*e));
		e->id = sqlite3_column_int64(q, 0);
#define COL(i) ((const char *)sqlite3_column_text(q, (i)) ?: "")
		snprintf(e->key.interface, sizeof(e->key.interface), "%s",
			 COL(1));
		snprintf(e->key.conn, sizeof(e->key.conn), "%s", COL(2));
		int k = sample_kind_from_name(COL(3));
		e->key.kind = k < 0 ? 0xff : (uint8_t)k;
		snprintf(e->key.target, sizeof(e->key.target), "%s", COL(4));
		snprintf(e->key.server, sizeof(e->key.server), "%s", COL(5));
#undef COL
	}
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? 0 : sql_fail(st, rc, "reading series");
}

struct store *store_open(const char *path, int flags, char *err, size_t errlen)
{
	struct store *st = calloc(1, sizeof(*st));
	bool exists;
	int rc;
	if (!st) {
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	snprintf(st->path, sizeof(st->path), "%s", path);
	st->rdonly = flags & STORE_RDONLY;
	st->busy_ms = 2000;

	if (!st->rdonly && (rc = make_parent(path)) < 0) {
		set_err(st, rc, "cannot create its folder: %s", strerror(-rc));
		goto fail;
	}
	if (precheck_file(st, &exists) < 0)
		goto fail;
	int oflags = st->rdonly ? SQLITE_OPEN_READONLY
				: SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	rc = sqlite3_open_v2(path, &st->db, oflags, NULL);
	if (rc != SQLITE_OK) {
		set_err(st, sql_errno(rc), "cannot open: %s",
			st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
		goto fail;
	}
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, st->busy_ms);

	int64_t ntables = 0;
	if (query_int(st, "SELECT count(*) FROM sqlite_master", &ntables,
		      NULL) < 0)
		goto fail_db;
	int64_t has_meta = 0;
	if (query_int(st,
		      "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
		      " AND name = 'meta'",
		      &has_meta, NULL) < 0)
		goto fail_db;
	if (!has_meta && ntables > 0) {
		set_err(st, -EILSEQ,
			"not a bufferbane database (no meta table); "
			"refusing to touch it");
		goto fail;
	}
	if (!has_meta && st->rdonly) {
		set_err(st, -ENOENT, "empty database");
		goto fail;
	}
	if (!st->rdonly) {
		if (exec(st, "PRAGMA journal_mode = WAL", "setting WAL") < 0 ||
		    exec(st, "PRAGMA synchronous = NORMAL", "setting sync") < 0)
			goto fail_db;
	}
	if (has_meta ? check_schema(st) < 0 : create_schema(st) < 0)
		goto fail_db;

	/* Touch every table's b-tree so a damaged file is refused now. */
	int64_t dummy;
	if (query_int(st, "SELECT max(ts) FROM samples", &dummy, NULL) < 0 ||
	    query_int(st, "SELECT count(*) FROM series", &dummy, NULL) < 0 ||
	    query_int(st, "SELECT count(*) FROM clock_runs", &dummy, NULL) <
		    0 ||
	    query_int(st, "SELECT max(id) FROM events", &dummy, NULL) < 0)
		goto fail_db;
	if (flags & STORE_CHECK) {
		sqlite3_stmt *q;
		if (sqlite3_prepare_v2(st->db, "PRAGMA quick_check(1)", -1, &q,
				       NULL) != SQLITE_OK)
			goto fail_db;
		rc = sqlite3_step(q);
		const char *res =
			rc == SQLITE_ROW
				? (const char *)sqlite3_column_text(q, 0)
				: NULL;
		if (!res || strcmp(res, "ok") != 0) {
			set_err(st, -EILSEQ, "database is corrupt: %s",
				res ? res : sqlite3_errmsg(st->db));
			sqlite3_finalize(q);
			goto fail;
		}
		sqlite3_finalize(q);
	}
	for (int i = 0; i < Q_COUNT; i++) {
		rc = sqlite3_prepare_v3(st->db, queries[i], -1,
					SQLITE_PREPARE_PERSISTENT, &st->q[i],
					NULL);
		if (rc != SQLITE_OK) {
			sql_fail(st, rc, "preparing statements");
			goto fail;
		}
	}
	if (load_series(st) < 0)
		goto fail;
	st->error[0] = '\0';
	return st;

fail_db:
	/* The failing step left its reason; make a damaged file explicit. */
	rc = sqlite3_errcode(st->db) & 0xff;
	if (rc == SQLITE_CORRUPT || rc == SQLITE_NOTADB)
		set_err(st, -EILSEQ,
			"database is corrupt (%s); refusing to touch it",
			sqlite3_errmsg(st->db));
fail:
	snprintf(err, errlen, "%s", st->error[0] ? st->error : path);
	store_close(st);
	return NULL;
}

void store_close(struct store *st)
{
	if (!st)
		return;
	for (int i = 0; i < Q_COUNT; i++)
		sqlite3_finalize(st->q[i]);
	if (st->db)
		sqlite3_close(st->db);
	free(st->series);
	free(st);
}

const char *store_client_id(const struct store *st)
{
	return st->client_id;
}

const char *store_last_error(const struct store *st)
{
	return st->error;
}

void store_set_busy_timeout(struct store *st, int ms)
{
	st->busy_ms = ms < 0 ? 0 : ms;
	sqlite3_busy_timeout(st->db, st->busy_ms);
}

static void copy_fixed(char *dst, size_t dlen, const char *src, size_t slen)
{
	size_t n = strnlen(src, slen);
	if (n >= dlen)
		n = dlen - 1;
	memset(dst, 0, dlen);
	memcpy(dst, src, n);
}

int store_set_connection_type(struct store *st, const char *interface,
			      const char *type)
{
	struct conn_map m;
	copy_fixed(m.interface, sizeof(m.interface), interface,
		   sizeof(m.interface));
	copy_fixed(m.type, sizeof(m.type), type, sizeof(m.type));
	for (size_t i = 0; i < st->nconn; i++) {
		if (strcmp(st->conn[i].interface, m.interface) == 0) {
			st->conn[i] = m;
			return 0;
		}
	}
	if (st->nconn == MAX_CONN)
		return set_err(st, -ENOSPC, "too many interfaces");
	st->conn[st->nconn++] = m;
	return 0;
}

static void sample_key(const struct store *st, const struct bb_sample *s,
		       struct series_key *k)
{
	memset(k, 0, sizeof(*k));
	k->kind = s->kind;
	copy_fixed(k->interface, sizeof(k->interface), s->interface,
		   sizeof(s->interface));
	copy_fixed(k->target, sizeof(k->target), s->target, sizeof(s->target));
	copy_fixed(k->server, sizeof(k->server), s->server, sizeof(s->server));
	const char *type = "unknown";
	for (size_t i = 0; i < st->nconn; i++)
		if (strcmp(st->conn[i].interface, k->interface) == 0)
			type = st->conn[i].type;
	copy_fixed(k->conn, sizeof(k->conn), type, sizeof(k->conn));
}

/* Series id for a sample, inserting the series row when new; inside the
 * write transaction (a rollback truncates the cache back). */
static int64_t series_id(struct store *st, const struct bb_sample *s)
{
	struct series_key k;
	sample_key(st, s, &k);
	if (st->last_hit < st->nseries &&
	    memcmp(&st->series[st->last_hit].key, &k, sizeof(k)) == 0)
		return st->series[st->last_hit].id;
	for (size_t i = 0; i < st->nseries; i++) {
		if (memcmp(&st->series[i].key, &k, sizeof(k)) == 0) {
			st->last_hit = i;
			return st->series[i].id;
		}
	}
	if (st->nseries == st->series_cap) {
		size_t cap = st->series_cap ? 2 * st->series_cap : 16;
		void *p = realloc(st->series, cap * sizeof(*st->series));
		if (!p)
			return set_err(st, -ENOMEM, "out of memory");
		st->series = p;
		st->series_cap = cap;
	}
	sqlite3_stmt *q = st->q[Q_INS_SERIES];
	sqlite3_bind_text(q, 1, k.interface, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, k.conn, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, sample_kind_name(k.kind), -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 4, k.target, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 5, k.server, -1, SQLITE_STATIC);
	int rc = sqlite3_step(q);
	int64_t id = rc == SQLITE_ROW ? sqlite3_column_int64(q, 0) : 0;
	if (rc == SQLITE_ROW)
		rc = sqlite3_step(q);
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
	if (rc != SQLITE_DONE || id <= 0)
		return sql_fail(st, rc, "adding a series");
	st->series[st->nseries].id = id;
	st->series[st->nseries].key = k;
	st->last_hit = st->nseries++;
	return id;
}

/* Round ns to the nearest µs, half away from zero (no overflow). */
static int64_t ns_to_us(int64_t ns)
{
	if (ns >= 0)
		return (int64_t)(((uint64_t)ns + 500) / 1000);
	return -(int64_t)((0 - (uint64_t)ns + 500) / 1000);
}

static void bind_us(sqlite3_stmt *q, int col, int64_t ns)
{
	if (ns == BB_NONE)
		sqlite3_bind_null(q, col);
	else
		sqlite3_bind_int64(q, col, ns_to_us(ns));
}

static int64_t wrap_sub(int64_t a, int64_t b)
{
	return (int64_t)((uint64_t)a - (uint64_t)b);
}

/* Clock run for a sample: mono_ns = real_ns - offset - *d. */
static int run_for(struct store *st, const struct bb_sample *s, int64_t *d)
{
	int64_t diff = wrap_sub(s->real_ns, s->mono_ns);
	if (st->run_id) {
		int64_t dd = wrap_sub(diff, st->run_offset);
		if (dd >= -RUN_MAX_DRIFT_NS && dd <= RUN_MAX_DRIFT_NS) {
			*d = dd;
			return 0;
		}
	}
	sqlite3_stmt *q = st->q[Q_INS_RUN];
	sqlite3_bind_int64(q, 1, diff);
	sqlite3_bind_int64(q, 2, s->real_ns / 1000000);
	int rc = sqlite3_step(q);
	sqlite3_reset(q);
	if (rc != SQLITE_DONE)
		return sql_fail(st, rc, "adding a clock run");
	st->run_id = sqlite3_last_insert_rowid(st->db);
	st->run_offset = diff;
	*d = 0;
	return 0;
}

static int insert_sample(struct store *st, const struct bb_sample *s)
{
	if (s->kind >= BB_KIND_COUNT)
		return set_err(st, -EINVAL, "sample with unknown kind %u",
			       s->kind);
	int64_t sid = series_id(st, s);
	if (sid < 0)
		return (int)sid;
	int64_t d = 0;
	int rc = run_for(st, s, &d);
	if (rc < 0)
		return rc;

	int64_t ts = s->real_ns / 1000000, ns = s->real_ns % 1000000;
	if (ns < 0) {
		ts--;
		ns += 1000000;
	}
	char ext[128];
	size_t n = 0;
	ext[0] = '\0';
#define EXT(key, fmt, v)                                                       \
	n += (size_t)snprintf(ext + n, sizeof(ext) - n, "%c\"" key "\":" fmt,  \
			      n ? ',' : '{', v)
	if (s->up_delay_ns != BB_NONE)
		EXT("u", "%" PRId64, ns_to_us(s->up_delay_ns));
	if (s->down_delay_ns != BB_NONE)
		EXT("d", "%" PRId64, ns_to_us(s->down_delay_ns));
	if (s->throughput_kbps != BB_NONE)
		EXT("k", "%" PRId64, s->throughput_kbps);
	if (s->loss_ppm != -1)
		EXT("l", "%" PRId32, s->loss_ppm);
#undef EXT
	if (n)
		snprintf(ext + n, sizeof(ext) - n, "}");

	sqlite3_stmt *q = st->q[Q_INS_SAMPLE];
	sqlite3_bind_int64(q, 1, ts);
	sqlite3_bind_int64(q, 2, sid);
	sqlite3_bind_int64(q, 3, s->seq);
	sqlite3_bind_int64(q, 5, ns);
	sqlite3_bind_int64(q, 6, st->run_id);
	sqlite3_bind_int64(q, 7, d);
	bind_us(q, 8, s->send_error_ns);
	bind_us(q, 9, s->rtt_ns);
	if (n)
		sqlite3_bind_text(q, 10, ext, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(q, 10);
	size_t dlen = strnlen(s->detail, sizeof(s->detail));
	if (dlen)
		sqlite3_bind_text(q, 11, s->detail, (int)dlen, SQLITE_STATIC);
	else
		sqlite3_bind_null(q, 11);
	int64_t code = s->status | (int64_t)s->flags << 8;
	for (int dup = 0; dup < MAX_DUP; dup++) {
		sqlite3_bind_int64(q, 4, code | (int64_t)dup << 24);
		rc = sqlite3_step(q);
		sqlite3_reset(q);
		if (rc != SQLITE_CONSTRAINT_PRIMARYKEY)
			break;
	}
	sqlite3_clear_bindings(q);
	return rc == SQLITE_DONE ? 0 : sql_fail(st, rc, "inserting a sample");
}

static int step_simple(struct store *st, int which, const char *what)
{
	sqlite3_stmt *q = st->q[which];
	int rc = sqlite3_step(q);
	sqlite3_reset(q);
	return rc == SQLITE_DONE ? 0 : sql_fail(st, rc, what);
}

int store_write_samples(struct store *st, const struct bb_sample *s, size_t n)
{
	if (st->rdonly)
		return set_err(st, -EROFS, "opened read-only");
	if (n == 0)
		return 0;
	int rc = step_simple(st, Q_BEGIN, "starting a write");
	if (rc < 0)
		return rc;
	size_t nseries = st->nseries;
	int64_t run_id = st->run_id, run_offset = st->run_offset;
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = insert_sample(st, &s[i]);
	if (rc == 0)
		rc = step_simple(st, Q_COMMIT, "committing samples");
	if (rc == 0) {
		st->error[0] = '\0';
		return 0;
	}
	/* Nothing of this batch stays: forget what the transaction made. */
	char keep[sizeof(st->error)];
	memcpy(keep, st->error, sizeof(keep));
	if (!sqlite3_get_autocommit(st->db))
		step_simple(st, Q_ROLLBACK, "rolling back");
	memcpy(st->error, keep, sizeof(keep));
	st->nseries = nseries;
	st->last_hit = 0;
	st->run_id = run_id;
	st->run_offset = run_offset;
	return rc;
}

static int64_t col_ns(sqlite3_stmt *q, int col)
{
	if (sqlite3_column_type(q, col) == SQLITE_NULL)
		return BB_NONE;
	return sqlite3_column_int64(q, col) * 1000;
}

static void col_text(sqlite3_stmt *q, int col, char *dst, size_t len)
{
	const char *t = (const char *)sqlite3_column_text(q, col);
	copy_str(dst, len, t ? t : "");
}

int store_read_samples(struct store *st, int64_t from_ms, int64_t to_ms,
		       store_sample_fn cb, void *ctx)
{
	sqlite3_stmt *q = st->q[Q_READ];
	int rc, ret = 0;
	sqlite3_bind_int64(q, 1, from_ms);
	sqlite3_bind_int64(q, 2, to_ms);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct bb_sample s;
		int kind = sample_kind_from_name(
			(const char *)sqlite3_column_text(q, 5) ?: "");
		sample_init(&s, kind < 0 ? BB_KIND_ICMP : kind);
		if (kind < 0)
			continue; /* a kind this version does not know */
		int64_t real = (int64_t)((uint64_t)sqlite3_column_int64(q, 0) *
						 1000000 +
					 (uint64_t)sqlite3_column_int64(q, 1));
		s.real_ns = real;
		s.mono_ns = wrap_sub(wrap_sub(real, sqlite3_column_int64(q, 2)),
				     sqlite3_column_int64(q, 3));
		col_text(q, 4, s.interface, sizeof(s.interface));
		col_text(q, 6, s.target, sizeof(s.target));
		col_text(q, 7, s.server, sizeof(s.server));
		s.seq = (uint32_t)sqlite3_column_int64(q, 8);
		int64_t code = sqlite3_column_int64(q, 9);
		s.status = (uint8_t)(code & 0xff);
		s.flags = (uint16_t)(code >> 8 & 0xffff);
		s.send_error_ns = col_ns(q, 10);
		s.rtt_ns = col_ns(q, 11);
		s.up_delay_ns = col_ns(q, 12);
		s.down_delay_ns = col_ns(q, 13);
		if (sqlite3_column_type(q, 14) != SQLITE_NULL)
			s.throughput_kbps = sqlite3_column_int64(q, 14);
		if (sqlite3_column_type(q, 15) != SQLITE_NULL)
			s.loss_ppm = sqlite3_column_int(q, 15);
		col_text(q, 16, s.detail, sizeof(s.detail));
		ret = cb(ctx, &s);
		if (ret)
			break;
	}
	if (!ret && rc != SQLITE_DONE)
		ret = sql_fail(st, rc, "reading samples");
	sqlite3_reset(q);
	return ret;
}

int store_time_range(struct store *st, int64_t *first_ms, int64_t *last_ms)
{
	sqlite3_stmt *q = st->q[Q_RANGE];
	int rc = sqlite3_step(q);
	int ret;
	if (rc != SQLITE_ROW)
		ret = sql_fail(st, rc, "reading the time range");
	else if (sqlite3_column_type(q, 0) == SQLITE_NULL)
		ret = -ENOENT;
	else {
		*first_ms = sqlite3_column_int64(q, 0);
		*last_ms = sqlite3_column_int64(q, 1);
		ret = 0;
	}
	sqlite3_reset(q);
	return ret;
}

int store_read_servers(struct store *st, int (*cb)(void *ctx, const char *name),
		       void *ctx)
{
	static const char sql[] = "SELECT DISTINCT server_name FROM series"
				  " WHERE server_name <> ''"
				  " ORDER BY server_name";
	sqlite3_stmt *q;
	int rc = sqlite3_prepare_v2(st->db, sql, -1, &q, NULL);
	int ret = 0;
	if (rc != SQLITE_OK)
		return sql_fail(st, rc, "reading the server names");
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(q, 0);
		if ((ret = cb(ctx, name ? name : "")) != 0)
			break;
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = sql_fail(st, rc, "reading the server names");
	sqlite3_finalize(q);
	return ret;
}

static void bind_fixed(sqlite3_stmt *q, int col, const char *s, size_t len)
{
	sqlite3_bind_text(q, col, s, (int)strnlen(s, len), SQLITE_STATIC);
}

static void bind_event(sqlite3_stmt *q, const struct bb_event *ev)
{
	sqlite3_bind_int64(q, 1, ev->start_ms);
	if (ev->end_ms)
		sqlite3_bind_int64(q, 2, ev->end_ms);
	else
		sqlite3_bind_null(q, 2);
	bind_fixed(q, 3, ev->kind, sizeof(ev->kind));
	sqlite3_bind_text(q, 4, bb_severity_name(ev->severity), -1,
			  SQLITE_STATIC);
	bind_fixed(q, 5, ev->interface, sizeof(ev->interface));
	bind_fixed(q, 6, ev->target, sizeof(ev->target));
	bind_fixed(q, 7, ev->server, sizeof(ev->server));
	bind_fixed(q, 8, ev->description, sizeof(ev->description));
	size_t mlen = strnlen(ev->metrics, sizeof(ev->metrics));
	if (mlen)
		sqlite3_bind_text(q, 9, ev->metrics, (int)mlen, SQLITE_STATIC);
	else
		sqlite3_bind_null(q, 9);
}

int64_t store_event_write(struct store *st, const struct bb_event *ev)
{
	if (st->rdonly)
		return set_err(st, -EROFS, "opened read-only");
	sqlite3_stmt *q = st->q[ev->id ? Q_EV_UPDATE : Q_EV_INSERT];
	int64_t id = ev->id;
	bind_event(q, ev);
	if (ev->id)
		sqlite3_bind_int64(q, 10, ev->id);
	int rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		id = sqlite3_column_int64(q, 0);
		rc = sqlite3_step(q);
	}
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
	if (rc != SQLITE_DONE)
		return sql_fail(st, rc, "writing an event");
	if (ev->id && sqlite3_changes(st->db) == 0)
		return set_err(st, -ENOENT, "no event with id %" PRId64,
			       ev->id);
	return id;
}

int store_read_events(struct store *st, int64_t from_ms, int64_t to_ms,
		      store_event_fn cb, void *ctx)
{
	sqlite3_stmt *q = st->q[Q_EV_READ];
	int rc, ret = 0;
	sqlite3_bind_int64(q, 1, from_ms);
	sqlite3_bind_int64(q, 2, to_ms);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct bb_event ev;
		memset(&ev, 0, sizeof(ev));
		ev.id = sqlite3_column_int64(q, 0);
		ev.start_ms = sqlite3_column_int64(q, 1);
		ev.end_ms = sqlite3_column_int64(q, 2); /* NULL -> 0 */
		col_text(q, 3, ev.kind, sizeof(ev.kind));
		const char *sev = (const char *)sqlite3_column_text(q, 4);
		for (int i = 0; sev && i < BB_SEV_COUNT; i++)
			if (strcmp(sev, bb_severity_name((unsigned)i)) == 0)
				ev.severity = (uint8_t)i;
		col_text(q, 5, ev.interface, sizeof(ev.interface));
		col_text(q, 6, ev.target, sizeof(ev.target));
		col_text(q, 7, ev.server, sizeof(ev.server));
		col_text(q, 8, ev.description, sizeof(ev.description));
		col_text(q, 9, ev.metrics, sizeof(ev.metrics));
		ret = cb(ctx, &ev);
		if (ret)
			break;
	}
	if (!ret && rc != SQLITE_DONE)
		ret = sql_fail(st, rc, "reading events");
	sqlite3_reset(q);
	return ret;
}

int store_read_no_session(struct store *st, int64_t from_ms, int64_t to_ms,
			  store_nosess_fn cb, void *ctx)
{
	/* only the echo series can have them: the ts range of those */
	static const char sql[] =
		"SELECT e.interface, e.target, e.server_name, count(*),"
		" min(s.ts), max(s.ts) FROM samples s"
		" JOIN series e ON e.id = s.series"
		" WHERE s.ts >= ?1 AND s.ts < ?2 AND e.test_type = 'udp_echo'"
		" AND s.code & ?3 GROUP BY s.series ORDER BY min(s.ts)";
	sqlite3_stmt *q;
	int rc = sqlite3_prepare_v2(st->db, sql, -1, &q, NULL);
	if (rc != SQLITE_OK)
		return sql_fail(st, rc, "reading no-session echoes");
	sqlite3_bind_int64(q, 1, from_ms);
	sqlite3_bind_int64(q, 2, to_ms);
	sqlite3_bind_int64(q, 3, (int64_t)BB_SAMPLE_NO_SESSION << 8);
	int ret = 0;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		char ifn[BB_IFNAME_LEN], tgt[BB_TARGET_LEN], srv[BB_SERVER_LEN];
		col_text(q, 0, ifn, sizeof(ifn));
		col_text(q, 1, tgt, sizeof(tgt));
		col_text(q, 2, srv, sizeof(srv));
		ret = cb(ctx, ifn, tgt, srv, sqlite3_column_int64(q, 3),
			 sqlite3_column_int64(q, 4),
			 sqlite3_column_int64(q, 5));
		if (ret)
			break;
	}
	if (!ret && rc != SQLITE_DONE)
		ret = sql_fail(st, rc, "reading no-session echoes");
	sqlite3_finalize(q);
	return ret < 0 ? ret : 0;
}

/* ---- rollups ----------------------------------------------------------- */

struct agg_row {
	int64_t series;
	int64_t v;  /* µs or kbps */
	bool has_v; /* ok and measured */
	bool lost;  /* status != ok */
};

struct agg_buf {
	struct agg_row *rows;
	size_t n, cap;
};

static int cmp_agg(const void *a, const void *b)
{
	const struct agg_row *x = a, *y = b;
	if (x->series != y->series)
		return x->series < y->series ? -1 : 1;
	if (x->has_v != y->has_v)
		return x->has_v ? -1 : 1;
	return x->v < y->v ? -1 : x->v > y->v;
}

/* Nearest-rank percentile of v[0..n) sorted, p in percent. */
static int64_t pct(const struct agg_row *v, size_t n, unsigned p)
{
	size_t rank = (p * n + 99) / 100;
	return v[rank ? rank - 1 : 0].v;
}

/* Write the aggregate rows of one bucket from buf (sorted here). */
static int agg_flush(struct store *st, sqlite3_stmt *ins, int64_t bucket,
		     struct agg_buf *buf, int *written)
{
	qsort(buf->rows, buf->n, sizeof(*buf->rows), cmp_agg);
	for (size_t i = 0; i < buf->n;) {
		size_t j = i, nv = 0, lost = 0;
		while (j < buf->n &&
		       buf->rows[j].series == buf->rows[i].series) {
			nv += buf->rows[j].has_v;
			lost += buf->rows[j].lost;
			j++;
		}
		const struct agg_row *v = &buf->rows[i];
		sqlite3_bind_int64(ins, 1, bucket);
		sqlite3_bind_int64(ins, 2, buf->rows[i].series);
		sqlite3_bind_int64(ins, 3, (int64_t)(j - i));
		sqlite3_bind_int64(ins, 4, (int64_t)lost);
		if (nv) {
			double sum = 0;
			for (size_t k = 0; k < nv; k++)
				sum += (double)v[k].v;
			sqlite3_bind_double(ins, 5, (double)v[0].v);
			sqlite3_bind_double(ins, 6, (double)v[nv - 1].v);
			sqlite3_bind_double(ins, 7, sum / (double)nv);
			sqlite3_bind_double(ins, 8, (double)pct(v, nv, 50));
			sqlite3_bind_double(ins, 9, (double)pct(v, nv, 95));
			sqlite3_bind_double(ins, 10, (double)pct(v, nv, 99));
		} else {
			for (int c = 5; c <= 10; c++)
				sqlite3_bind_null(ins, c);
		}
		int rc = sqlite3_step(ins);
		sqlite3_reset(ins);
		if (rc != SQLITE_DONE)
			return sql_fail(st, rc, "writing an aggregate");
		(*written)++;
		i = j;
	}
	buf->n = 0;
	return 0;
}

static int rollup_level(struct store *st, const char *table, int64_t len,
			int64_t now_ms, struct agg_buf *buf, int *written)
{
	char key[64], val[32], sql[1024];
	int64_t done = 0, end = now_ms / len * len;
	snprintf(key, sizeof(key), "rollup_%s_until", table + 4);
	int rc = meta_get(st, key, val, sizeof(val));
	if (rc == 0)
		done = strtoll(val, NULL, 10);
	else if (rc != -ENOENT)
		return rc;
	if (end <= done)
		return 0;

	/* Values go in as µs / kbps; SQL turns delays into ms. */
	snprintf(sql, sizeof(sql),
		 "INSERT OR REPLACE INTO %s(bucket_ms, series, interface,"
		 " connection_type, test_type, target, server_name, unit,"
		 " count, lost, min, max, avg, p50, p95, p99)"
		 " SELECT ?1, id, interface, connection_type, test_type,"
		 " target, server_name, u, ?3, ?4, ?5 / f, ?6 / f,"
		 " round(?7 / f, 3), ?8 / f, ?9 / f, ?10 / f"
		 " FROM (SELECT *, CASE WHEN test_type IN ('upload',"
		 " 'download') THEN 'kbps' ELSE 'ms' END AS u,"
		 " CASE WHEN test_type IN ('upload', 'download') THEN 1.0"
		 " ELSE 1000.0 END AS f FROM series WHERE id = ?2)",
		 table);
	sqlite3_stmt *ins = NULL, *sel = NULL, *next = NULL;
	if ((rc = sqlite3_prepare_v2(st->db, sql, -1, &ins, NULL)) ||
	    (rc = sqlite3_prepare_v2(
		     st->db,
		     "SELECT s.series, s.code, CASE WHEN e.test_type IN"
		     " ('upload', 'download') THEN json_extract(s.ext, '$.k')"
		     " ELSE s.main_us END FROM samples s JOIN series e"
		     " ON e.id = s.series WHERE s.ts >= ?1 AND s.ts < ?2",
		     -1, &sel, NULL)) ||
	    (rc = sqlite3_prepare_v2(st->db,
				     "SELECT min(ts) FROM samples"
				     " WHERE ts >= ?1 AND ts < ?2",
				     -1, &next, NULL))) {
		rc = sql_fail(st, rc, "preparing the rollup");
		goto out;
	}
	int64_t from = done;
	for (;;) {
		sqlite3_bind_int64(next, 1, from);
		sqlite3_bind_int64(next, 2, end);
		rc = sqlite3_step(next);
		bool none = rc != SQLITE_ROW ||
			    sqlite3_column_type(next, 0) == SQLITE_NULL;
		int64_t ts = none ? 0 : sqlite3_column_int64(next, 0);
		sqlite3_reset(next);
		if (rc != SQLITE_ROW) {
			rc = sql_fail(st, rc, "rollup");
			goto out;
		}
		if (none)
			break;
		int64_t bucket = ts - ((ts % len) + len) % len;
		sqlite3_bind_int64(sel, 1, bucket);
		sqlite3_bind_int64(sel, 2, bucket + len);
		while ((rc = sqlite3_step(sel)) == SQLITE_ROW) {
			int64_t code = sqlite3_column_int64(sel, 1);
			if ((code >> 8) & BB_SAMPLE_UNCOUNTED)
				continue;
			if (buf->n == buf->cap) {
				size_t cap = buf->cap ? 2 * buf->cap : 1024;
				void *p = realloc(buf->rows,
						  cap * sizeof(*buf->rows));
				if (!p) {
					sqlite3_reset(sel);
					rc = set_err(st, -ENOMEM,
						     "out of memory");
					goto out;
				}
				buf->rows = p;
				buf->cap = cap;
			}
			struct agg_row *r = &buf->rows[buf->n++];
			r->series = sqlite3_column_int64(sel, 0);
			r->lost = (code & 0xff) != BB_STATUS_OK;
			r->has_v = !r->lost &&
				   sqlite3_column_type(sel, 2) != SQLITE_NULL;
			r->v = r->has_v ? sqlite3_column_int64(sel, 2) : 0;
		}
		sqlite3_reset(sel);
		if (rc != SQLITE_DONE) {
			rc = sql_fail(st, rc, "reading samples to roll up");
			goto out;
		}
		if ((rc = agg_flush(st, ins, bucket, buf, written)) < 0)
			goto out;
		from = bucket + len;
	}
	snprintf(val, sizeof(val), "%" PRId64, end);
	rc = meta_set(st, key, val);
out:
	sqlite3_finalize(ins);
	sqlite3_finalize(sel);
	sqlite3_finalize(next);
	return rc;
}

int store_rollup(struct store *st, int64_t now_ms)
{
	if (st->rdonly)
		return set_err(st, -EROFS, "opened read-only");
	struct agg_buf buf = { 0 };
	int written = 0;
	int rc = step_simple(st, Q_BEGIN, "starting the rollup");
	if (rc < 0)
		return rc;
	if ((rc = rollup_level(st, "agg_1min", MS_PER_MIN, now_ms, &buf,
			       &written)) == 0 &&
	    (rc = rollup_level(st, "agg_1hour", MS_PER_HOUR, now_ms, &buf,
			       &written)) == 0)
		rc = step_simple(st, Q_COMMIT, "committing the rollup");
	free(buf.rows);
	if (rc < 0) {
		char keep[sizeof(st->error)];
		memcpy(keep, st->error, sizeof(keep));
		if (!sqlite3_get_autocommit(st->db))
			step_simple(st, Q_ROLLBACK, "rolling back");
		memcpy(st->error, keep, sizeof(keep));
		return rc;
	}
	return written;
}

int store_db_bytes(struct store *st, int64_t *bytes)
{
	int64_t pages = 0, size = 0;
	int rc = query_int(st, "PRAGMA page_count", &pages, NULL);
	if (rc == 0)
		rc = query_int(st, "PRAGMA page_size", &size, NULL);
	if (rc == 0)
		*bytes = pages * size;
	return rc;
}

/* ---- rollup read-back (replay overview) -------------------------------- */

static double col_real(sqlite3_stmt *q, int col)
{
	if (sqlite3_column_type(q, col) == SQLITE_NULL)
		return NAN;
	return sqlite3_column_double(q, col);
}

/* Rows of q (bucket_ms, series, test_type, count, lost, min..p99,
 * interface, target, server_name) -> cb. */
static int agg_rows(struct store *st, sqlite3_stmt *q, store_agg_fn cb,
		    void *ctx)
{
	int rc, ret = 0;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct store_agg a = {
			.bucket_ms = sqlite3_column_int64(q, 0),
			.series = sqlite3_column_int64(q, 1),
			.kind = sample_kind_from_name(
				(const char *)sqlite3_column_text(q, 2) ?: ""),
			.count = sqlite3_column_int64(q, 3),
			.lost = sqlite3_column_int64(q, 4),
			.min = col_real(q, 5),
			.max = col_real(q, 6),
			.avg = col_real(q, 7),
			.p50 = col_real(q, 8),
			.p95 = col_real(q, 9),
			.p99 = col_real(q, 10),
		};
		col_text(q, 11, a.interface, sizeof(a.interface));
		col_text(q, 12, a.target, sizeof(a.target));
		col_text(q, 13, a.server, sizeof(a.server));
		ret = cb(ctx, &a);
		if (ret)
			break;
	}
	if (!ret && rc != SQLITE_DONE)
		ret = sql_fail(st, rc, "reading rollups");
	sqlite3_finalize(q);
	return ret;
}

#define AGG_COLUMNS                                                        \
	"SELECT a.bucket_ms, a.series, e.test_type, a.count, a.lost, a.min," \
	" a.max, a.avg, a.p50, a.p95, a.p99, e.interface, e.target,"       \
	" e.server_name FROM "

/* sql[level] prepared with the bucket range bound as ?1, ?2. */
static int agg_prepare(struct store *st, const char *const sql[2], int level,
		       int64_t from_ms, int64_t to_ms, sqlite3_stmt **q)
{
	if (level != STORE_AGG_1MIN && level != STORE_AGG_1HOUR)
		return set_err(st, -EINVAL, "no rollup level %d", level);
	int rc = sqlite3_prepare_v2(st->db, sql[level], -1, q, NULL);
	if (rc != SQLITE_OK)
		return sql_fail(st, rc, "reading rollups");
	sqlite3_bind_int64(*q, 1, from_ms);
	sqlite3_bind_int64(*q, 2, to_ms);
	return 0;
}

int store_read_aggs(struct store *st, int level, int64_t from_ms, int64_t to_ms,
		    store_agg_fn cb, void *ctx)
{
	static const char *const sql[2] = {
		[STORE_AGG_1MIN] = AGG_COLUMNS
		"agg_1min a JOIN series e ON e.id = a.series"
		" WHERE a.bucket_ms >= ?1 AND a.bucket_ms < ?2"
		" ORDER BY a.bucket_ms, a.series",
		[STORE_AGG_1HOUR] = AGG_COLUMNS
		"agg_1hour a JOIN series e ON e.id = a.series"
		" WHERE a.bucket_ms >= ?1 AND a.bucket_ms < ?2"
		" ORDER BY a.bucket_ms, a.series",
	};
	sqlite3_stmt *q;
	int rc = agg_prepare(st, sql, level, from_ms, to_ms, &q);
	return rc < 0 ? rc : agg_rows(st, q, cb, ctx);
}

int store_read_series_aggs(struct store *st, int level, const char *interface,
			   int kind, const char *target, const char *server,
			   int64_t from_ms, int64_t to_ms, store_agg_fn cb,
			   void *ctx)
{
	/* the series ids first: the bucket range then uses the primary key */
	static const char *const sql[2] = {
		[STORE_AGG_1MIN] = AGG_COLUMNS
		"agg_1min a JOIN series e ON e.id = a.series"
		" WHERE a.bucket_ms >= ?1 AND a.bucket_ms < ?2 AND a.series IN"
		" (SELECT id FROM series WHERE interface = ?3 AND"
		" test_type = ?4 AND target = ?5 AND server_name = ?6)"
		" ORDER BY a.bucket_ms, a.series",
		[STORE_AGG_1HOUR] = AGG_COLUMNS
		"agg_1hour a JOIN series e ON e.id = a.series"
		" WHERE a.bucket_ms >= ?1 AND a.bucket_ms < ?2 AND a.series IN"
		" (SELECT id FROM series WHERE interface = ?3 AND"
		" test_type = ?4 AND target = ?5 AND server_name = ?6)"
		" ORDER BY a.bucket_ms, a.series",
	};
	if (kind < 0 || kind >= BB_KIND_COUNT)
		return set_err(st, -EINVAL, "no probe kind %d", kind);
	sqlite3_stmt *q;
	int rc = agg_prepare(st, sql, level, from_ms, to_ms, &q);
	if (rc < 0)
		return rc;
	sqlite3_bind_text(q, 3, interface, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 4, sample_kind_name(kind), -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 5, target, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 6, server, -1, SQLITE_STATIC);
	return agg_rows(st, q, cb, ctx);
}

int store_meta_get(struct store *st, const char *key, char *out, size_t len)
{
	return meta_get(st, key, out, len);
}

int store_meta_set(struct store *st, const char *key, const char *value)
{
	if (st->rdonly)
		return set_err(st, -EROFS, "opened read-only");
	return meta_set(st, key, value);
}
