// SPDX-License-Identifier: MIT
/*
 * The SQLite store.  Physical layout (schema version 2), chosen so that a
 * week of default monitoring with a 100 ms echo stream stays well under
 * 100 MB (bench_store measures it):
 *
 *   series  (id, interface, connection_type, test_type, target,
 *            server_name)               one row per probe stream
 *   blocks  one row per series per span of up to BLOCK_MAX_N samples and
 *           BLOCK_SPAN_US of send times, samples sorted by send time:
 *     n, start_us, end_us   count, first and last send time (Unix µs)
 *     seq0, step_us         seq of the first sample; the schedule's period
 *                           per seq step (0: none)
 *     nx                    rows of this block in sample_extra
 *     and per field F (columns F0 INTEGER, F BLOB), frame of reference:
 *       sample i's value = F0 + the big-endian unsigned integer of width
 *       w = length(F) / n at byte i * w of F; all ones = not measured.
 *       F NULL: every sample has F0 (NULL: none measured).  w is 1..4.
 *     t   send time - start_us - sd * step_us, sd = seq - seq0 (signed
 *         32-bit difference), so a regular schedule costs 0..2 bytes
 *     m   real - monotonic clock at send (µs, rounded down), constant
 *         between clock steps; mono comes back within 1 µs
 *     q   sd - i (0 for every sample of a regular stream)
 *     c   status | loss_dir << 2 | (flags & 15) << 4 | load_phase << 8 |
 *         (flags >> 4) << 11
 *     r   rtt_us; u up_delay_us; d down_delay_us - (rtt_us - up_us) when
 *         all three are measured (the server's hold time), else down_us
 *     k   throughput_kbps; l loss_ppm (-1 none); sp sync_pct (-1 none);
 *     sn  sync_n (how many exchanges the sync estimate rests on);
 *     co  clock_offset_us
 *     rx, tx  rx_kbps, tx_kbps (traffic: the interface's counters).  Added
 *         to version 2 later: a writer adds the columns to an older file
 *         (ALTER TABLE, instant), a reader of one sees them NULL
 *   sample_extra (block, idx, detail, bloat figures)  the rare fields
 *
 * Times and delays are kept to the microsecond: real_ns truncated, mono_ns
 * within 1 µs, delays rounded to nearest; send_error_ns is not kept.  The
 * writer holds each series' open block in memory and rewrites its row on
 * every write, so a commit loses nothing; a block is never extended by
 * another handle (a new writer starts new blocks).  The views
 * `sample_rows` (decoded integers) and `measurements` (INTERFACES.md)
 * decode blocks in plain SQL (hex, instr, a recursive index), so the
 * sqlite3 shell reads every probe without extensions.
 *
 * On top: the tables `events`, `agg_1min`, `agg_1hour` and `meta` exactly
 * as INTERFACES.md names them.  Rollup percentiles are nearest-rank over
 * the bucket's ok samples, computed in C; LATE/DUPLICATE annotation rows
 * are not probes and are skipped.  The rollup progress is kept in meta
 * (rollup_1min_until, rollup_1hour_until).  A version 1 database (one row
 * per sample) is converted on the first read-write open.
 *
 * Retention (store_purge_*) deletes whole blocks, rollup buckets and ended
 * events older than a cut-off, a bounded number per transaction; meta
 * raw_deleted_before says where the raw samples now begin, for `stats`.
 * A new file is made with auto_vacuum = INCREMENTAL so store_reclaim can
 * give the freed pages back; an older file reuses them instead.
 *
 * The path probe's samples (kind "path", one TTL-limited echo each) are
 * not a series of the line: they go to their own table, one row per probe,
 * made on every read-write open (older files gain it, no version change):
 *
 *   hops (time_ms, interface, target, seq, hop, addr, rtt_ms, status,
 *         dest, detail, under_load)
 *     time_ms  send time (Unix ms); hop the TTL it was sent with
 *     addr     who answered ("198.18.0.1"), NULL when nobody did
 *     rtt_ms   NULL when nobody did; status "ok", "timeout" or "error"
 *              (an unreachable answer, detail says which)
 *     dest     1 when the target itself answered (the path's last hop)
 *     under_load  1 when sent during our own throughput/bloat test
 *
 * so "loss at hop 3 in the last hour" is one GROUP BY hop.  Late and
 * duplicate answers are not kept (the probe already counted as lost or
 * answered).  Retention deletes hops with the raw samples.  A route change
 * is the event path_change (core/analysis/path.h), in `events`.
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
#include "core/base/clock.h"
#include "core/base/sample.h"
#include "core/base/text.h"
#include "core/probe/kind.h"
#include "proto/bytes.h"

#define CONN_LEN	 16
#define MAX_CONN	 16
#define MS_PER_MIN	 60000LL
#define MS_PER_HOUR	 3600000LL
#define US_PER_MS	 1000LL
#define BLOCK_MAX_N	 256	    /* samples in a block */
#define BLOCK_SPAN_US	 60000000LL /* end_us - start_us of a block */
#define BLOCK_FULL_BYTES 850	    /* blobs: four rows fill a 4 KB page */
#define FIELD_MAX_WIDTH	 4
#define FIELD_MAX_RANGE	 0xfffffffeLL /* all ones of 4 bytes = none */

enum field {
	F_TIME,
	F_MONO,
	F_SEQ,
	F_CODE,
	F_RTT,
	F_UP,
	F_DOWN,
	F_KBPS,
	F_LOSS,
	F_SYNC,
	F_SYNCN,
	F_OFF,
	F_RX,
	F_TX,
	F_COUNT
};

static const char *const field_col[F_COUNT] = {
	[F_TIME] = "t", [F_MONO] = "m",	 [F_SEQ] = "q",	   [F_CODE] = "c",
	[F_RTT] = "r",	[F_UP] = "u",	 [F_DOWN] = "d",   [F_KBPS] = "k",
	[F_LOSS] = "l", [F_SYNC] = "sp", [F_SYNCN] = "sn", [F_OFF] = "co",
	[F_RX] = "rx",	[F_TX] = "tx",
};

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

/* One sample of an open block, as the fields it is encoded from. */
struct brec {
	int64_t t_us;
	uint32_t seq;
	int64_t v[F_COUNT]; /* BB_NONE = not measured; F_TIME/F_SEQ unused */
	struct bb_bloat_figures bloat;
	char detail[BB_DETAIL_LEN];
};

/* The writer's open block of one series: rewritten on every write. */
struct oblock {
	int64_t series, rowid; /* rowid 0: not inserted yet */
	size_t n, nx_written;  /* samples; rows in sample_extra */
	bool dirty, full;
	int64_t lo[F_COUNT], hi[F_COUNT]; /* measured ranges, to stay 4 bytes */
	bool any[F_COUNT];
	uint32_t seq_ref; /* seq of the first sample added */
	int32_t sd_lo, sd_hi;
	struct brec r[BLOCK_MAX_N];
};

enum {
	Q_INS_BLOCK,
	Q_UPD_BLOCK,
	Q_DEL_EXTRA,
	Q_INS_EXTRA,
	Q_INS_SERIES,
	Q_BEGIN,
	Q_COMMIT,
	Q_ROLLBACK,
	Q_READ,
	Q_READ_KIND,
	Q_READ_NEWEST,
	Q_READ_EXTRA,
	Q_FIRST,
	Q_LAST,
	Q_EV_INSERT,
	Q_EV_UPDATE,
	Q_EV_READ,
	Q_COUNT
};

#define BLOCK_FIELDS                                                           \
	"t0, t, m0, m, q0, q, c0, c, r0, r, u0, u, d0, d, k0, k, l0, l,"       \
	" sp0, sp, sn0, sn, co0, co, rx0, rx, tx0, tx"
#define BLOCK_PARAMS "?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?"
/* The blocks that may hold samples sent in [?1, ?2) µs. */
#define BLOCK_SELECT                                                           \
	"SELECT id, series, n, start_us, seq0, step_us, nx, " BLOCK_FIELDS     \
	" FROM blocks WHERE start_us >= ?1 - 60000000 AND start_us < ?2"       \
	" AND end_us >= ?1"

static const char *const queries[Q_COUNT] = {
	[Q_INS_BLOCK] = "INSERT INTO blocks(series, n, start_us, end_us, seq0,"
			" step_us, nx, " BLOCK_FIELDS
			") VALUES(?,?,?,?,?,?,?," BLOCK_PARAMS ")",
	[Q_UPD_BLOCK] = "UPDATE blocks SET (series, n, start_us, end_us, seq0,"
			" step_us, nx, " BLOCK_FIELDS
			") = (?,?,?,?,?,?,?," BLOCK_PARAMS ") WHERE id = ?",
	[Q_DEL_EXTRA] = "DELETE FROM sample_extra WHERE block = ?",
	[Q_INS_EXTRA] = "INSERT INTO sample_extra(block, idx, detail,"
			" idle_p50_us, loaded_p95_us, increase_us, up_inc_us,"
			" down_inc_us, rpm) VALUES(?,?,?,?,?,?,?,?,?)",
	[Q_INS_SERIES] =
		"INSERT INTO series(interface, connection_type,"
		" test_type, target, server_name) VALUES(?,?,?,?,?)"
		" ON CONFLICT DO UPDATE SET interface = excluded.interface"
		" RETURNING id",
	[Q_BEGIN] = "BEGIN IMMEDIATE",
	[Q_COMMIT] = "COMMIT",
	[Q_ROLLBACK] = "ROLLBACK",
	[Q_READ] = BLOCK_SELECT " ORDER BY start_us, id",
	[Q_READ_KIND] = BLOCK_SELECT " AND series IN (SELECT id FROM series"
				     " WHERE test_type = ?3)"
				     " ORDER BY start_us, id",
	/* newest first, through blocks_start: it stops after what it needs */
	[Q_READ_NEWEST] = "SELECT id, series, n, start_us, seq0, step_us, "
			  "nx, " BLOCK_FIELDS " FROM blocks WHERE start_us < ?1"
			  " AND series IN (SELECT id FROM series"
			  " WHERE test_type = ?2)"
			  " ORDER BY start_us DESC, id DESC",
	[Q_READ_EXTRA] = "SELECT idx, detail, idle_p50_us, loaded_p95_us,"
			 " increase_us, up_inc_us, down_inc_us, rpm"
			 " FROM sample_extra WHERE block = ?",
	[Q_FIRST] = "SELECT min(start_us) FROM blocks",
	/* a block spans at most BLOCK_SPAN_US: the index finds the last */
	[Q_LAST] = "SELECT max(end_us) FROM blocks WHERE start_us >="
		   " (SELECT max(start_us) FROM blocks) - 60000000",
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
		      " target, server_name, description, metrics,"
		      " CASE WHEN json_valid(metrics) THEN"
		      " json_extract(metrics, '$.pattern') END FROM events"
		      " WHERE start_ms < ?2 AND (end_ms IS NULL OR"
		      " end_ms >= ?1) ORDER BY start_ms, id",
};

#define FIELD_COLS(f) " " f "0 INTEGER, " f " BLOB,"

/* Tables every version shares. */
static const char common_sql[] =
	"CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
	"CREATE TABLE series(id INTEGER PRIMARY KEY,"
	" interface TEXT NOT NULL, connection_type TEXT NOT NULL,"
	" test_type TEXT NOT NULL, target TEXT NOT NULL,"
	" server_name TEXT NOT NULL,"
	" UNIQUE(interface, connection_type, test_type, target,"
	" server_name));"
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

/* The sample tables of version 2 (created by conversion too). */
static const char blocks_sql[] =
	"CREATE TABLE blocks(id INTEGER PRIMARY KEY, series INTEGER NOT NULL,"
	" n INTEGER NOT NULL, start_us INTEGER NOT NULL,"
	" end_us INTEGER NOT NULL, seq0 INTEGER NOT NULL,"
	" step_us INTEGER NOT NULL, nx INTEGER NOT NULL,"
	/* clang-format off */
	FIELD_COLS("t") FIELD_COLS("m") FIELD_COLS("q") FIELD_COLS("c")
	FIELD_COLS("r") FIELD_COLS("u") FIELD_COLS("d") FIELD_COLS("k")
	FIELD_COLS("l") FIELD_COLS("sp") FIELD_COLS("sn") FIELD_COLS("co")
	FIELD_COLS("rx")
	/* clang-format on */
	" tx0 INTEGER, tx BLOB);"
	"CREATE INDEX blocks_start ON blocks(start_us);"
	"CREATE TABLE sample_extra(block INTEGER NOT NULL,"
	" idx INTEGER NOT NULL, detail TEXT, idle_p50_us INTEGER,"
	" loaded_p95_us INTEGER, increase_us INTEGER, up_inc_us INTEGER,"
	" down_inc_us INTEGER, rpm INTEGER,"
	" PRIMARY KEY(block, idx)) WITHOUT ROWID;";

/* Field f of sample x.i of block b as an SQL expression: 4 bytes at most,
 * read as 8 hex nibbles ('0' is not in instr()'s alphabet: 0, its value). */
static int field_expr(char *out, size_t len, const char *f)
{
	char w[64], h[256];
	snprintf(w, sizeof(w), "(length(b.%s) / b.n)", f);
	snprintf(h, sizeof(h),
		 "substr('00000000' || hex(substr(b.%s, x.i * %s + 1, %s)),"
		 " -8)",
		 f, w, w);
	size_t n = (size_t)snprintf(out, len,
				    "CASE WHEN b.%s IS NULL THEN b.%s0 ELSE"
				    " nullif(",
				    f, f);
	for (int k = 1; k <= 8 && n < len; k++)
		n += (size_t)snprintf(out + n, len - n,
				      "%s(instr('123456789ABCDEF',"
				      " substr(%s, %d, 1)) << %d)",
				      k > 1 ? " + " : "", h, k, 4 * (8 - k));
	if (n < len)
		n += (size_t)snprintf(out + n, len - n,
				      ", (1 << (8 * %s)) - 1) + b.%s0 END", w,
				      f);
	return n < len ? 0 : -ENOSPC;
}

/* The quoted names of the kinds whose main delay the measurements column
 * col shows (the kinds table says), for an SQL IN list; "NULL" if none. */
static void kinds_shown_in(const char *col, char *out, size_t len)
{
	size_t n = 0;
	out[0] = '\0';
	for (int i = 0; i < BB_KIND_COUNT; i++) {
		const struct kind *k = kind_get(i);
		if (strcmp(k->column ? k->column : "rtt_ms", col) || n >= len)
			continue;
		n += (size_t)snprintf(out + n, len - n, "%s'%s'", n ? ", " : "",
				      k->name);
	}
	if (!n)
		snprintf(out, len, "NULL");
}

/* The decoding views (re-made by every writer, so a column added later
 * shows in older files too): sample_rows has the integers, measurements
 * the contract of INTERFACES.md and after it the typed fields. */
static char *views_sql(void)
{
	size_t cap = 64 * 1024, n = 0;
	char *sql = malloc(cap), expr[2048];
	char rtt_kinds[256], dns_kinds[256], connect_kinds[256];
	if (!sql)
		return NULL;
	kinds_shown_in("rtt_ms", rtt_kinds, sizeof(rtt_kinds));
	kinds_shown_in("dns_time_ms", dns_kinds, sizeof(dns_kinds));
	kinds_shown_in("connect_ms", connect_kinds, sizeof(connect_kinds));
	n += (size_t)snprintf(
		sql + n, cap - n,
		"DROP VIEW IF EXISTS measurements;"
		"DROP VIEW IF EXISTS sample_rows;"
		"CREATE VIEW sample_rows AS"
		" WITH RECURSIVE ix(i) AS (SELECT 0 UNION ALL SELECT i + 1"
		" FROM ix WHERE i < %d),"
		" raw AS (SELECT b.id AS block, x.i AS idx, b.series AS series,"
		" b.start_us AS start_us, b.step_us AS step_us,"
		" b.seq0 AS seq0,",
		BLOCK_MAX_N - 1);
	for (int f = 0; f < F_COUNT && n < cap; f++) {
		if (field_expr(expr, sizeof(expr), field_col[f]) < 0) {
			free(sql);
			return NULL;
		}
		n += (size_t)snprintf(sql + n, cap - n, "%s %s AS %s_v",
				      f ? "," : "", expr, field_col[f]);
	}
	if (n < cap)
		n += (size_t)snprintf(
			sql + n, cap - n,
			" FROM blocks b CROSS JOIN ix x WHERE x.i < b.n)"
			" SELECT block, idx, series,"
			" start_us + t_v + (q_v + idx) * step_us AS time_us,"
			" start_us + t_v + (q_v + idx) * step_us - m_v"
			" AS mono_us,"
			" ((seq0 + q_v + idx) %% 4294967296 + 4294967296)"
			" %% 4294967296 AS seq,"
			" c_v & 3 AS status,"
			" ((c_v >> 4) & 15) | ((c_v >> 11) << 4) AS flags,"
			" r_v AS rtt_us, u_v AS up_us,"
			" d_v + coalesce(r_v - u_v, 0) AS down_us,"
			" k_v AS throughput_kbps, l_v AS loss_ppm,"
			" (c_v >> 2) & 3 AS loss_dir,"
			" (c_v >> 8) & 7 AS load_phase,"
			" sp_v AS sync_pct, sn_v AS sync_n,"
			" co_v AS clock_offset_us,"
			" rx_v AS rx_kbps, tx_v AS tx_kbps FROM raw;"
			"CREATE VIEW measurements AS SELECT"
			" r.time_us / 1000 AS timestamp,"
			" r.mono_us * 1000 AS monotonic_ns,"
			" e.interface AS interface,"
			" e.connection_type AS connection_type,"
			" e.test_type AS test_type, e.target AS target,"
			" e.server_name AS server_name, r.seq AS seq,"
			" CASE WHEN e.test_type IN (%s)"
			"  THEN round(r.rtt_us / 1000.0, 3) END AS rtt_ms,"
			" round(r.up_us / 1000.0, 3) AS up_delay_ms,"
			" round(r.down_us / 1000.0, 3) AS down_delay_ms,"
			" NULL AS jitter_ms,"
			" CASE WHEN r.loss_ppm >= 0 THEN r.loss_ppm / 10000.0"
			"  END AS packet_loss_pct,"
			" r.throughput_kbps AS throughput_kbps,"
			" CASE WHEN e.test_type IN (%s)"
			"  THEN round(r.rtt_us / 1000.0, 3) END AS dns_time_ms,"
			" CASE WHEN e.test_type IN (%s)"
			"  THEN round(r.rtt_us / 1000.0, 3) END AS connect_ms,"
			" CASE WHEN r.flags & %d THEN 'no_session'"
			"  ELSE CASE r.status WHEN 0 THEN 'ok' WHEN 1"
			"  THEN 'timeout' WHEN 2 THEN 'error' END END AS "
			"status,"
			" x.detail AS error_detail,"
			" r.flags AS flags,"
			" (r.flags & %d) <> 0 AS under_load,"
			" (r.flags & %d) <> 0 AS late,"
			" (r.flags & %d) <> 0 AS duplicate,"
			" (r.flags & %d) <> 0 AS reordered,"
			" CASE r.loss_dir WHEN 1 THEN 'up' WHEN 2 THEN 'down'"
			"  END AS loss_direction,"
			" CASE r.load_phase WHEN 1 THEN 'idle' WHEN 2 THEN 'up'"
			"  WHEN 3 THEN 'down' WHEN 4 THEN 'both'"
			"  END AS load_phase,"
			" nullif(r.sync_pct, -1) AS sync_pct,"
			" r.sync_n AS sync_n,"
			" round(r.clock_offset_us / 1000.0, 3)"
			"  AS clock_offset_ms,"
			" round(x.idle_p50_us / 1000.0, 3) AS bloat_idle_ms,"
			" round(x.loaded_p95_us / 1000.0, 3)"
			"  AS bloat_loaded_p95_ms,"
			" round(x.increase_us / 1000.0, 3)"
			"  AS bloat_increase_ms,"
			" round(x.up_inc_us / 1000.0, 3)"
			"  AS bloat_up_increase_ms,"
			" round(x.down_inc_us / 1000.0, 3)"
			"  AS bloat_down_increase_ms,"
			" x.rpm AS bloat_rpm,"
			" r.rx_kbps AS rx_kbps, r.tx_kbps AS tx_kbps"
			" FROM sample_rows r JOIN series e ON e.id = r.series"
			" LEFT JOIN sample_extra x ON x.block = r.block"
			" AND x.idx = r.idx;",
			rtt_kinds, dns_kinds, connect_kinds,
			BB_SAMPLE_NO_SESSION, BB_SAMPLE_UNDER_LOAD,
			BB_SAMPLE_LATE, BB_SAMPLE_DUPLICATE,
			BB_SAMPLE_REORDERED);
	if (n >= cap) {
		free(sql);
		return NULL;
	}
	return sql;
}

/* One field of a block, frame of reference (see the top of the file). */
struct fenc {
	bool null_base;
	int64_t base;
	int w;
	uint8_t buf[BLOCK_MAX_N * 8];
};

struct store {
	sqlite3 *db;
	char path[512];
	bool rdonly;
	bool blocks_view; /* an older file's blocks seen through a view */
	int busy_ms;
	int why; /* enum store_open_why of a failed open */
	char client_id[17];
	char error[512];
	sqlite3_stmt *q[Q_COUNT];
	/* series cache: every id this handle has seen, key -> id */
	struct series_ent *series;
	size_t nseries, series_cap, last_hit;
	/* this writer's open blocks, one per series written */
	struct oblock **open;
	size_t nopen, open_cap;
	struct conn_map conn[MAX_CONN];
	size_t nconn;
	struct fenc enc[F_COUNT]; /* block_flush's scratch */
	sqlite3_stmt *ins_hop;	  /* prepared on the first path sample */
};

static const char hops_sql[] =
	"CREATE TABLE IF NOT EXISTS hops(time_ms INTEGER NOT NULL,"
	" interface TEXT NOT NULL, target TEXT NOT NULL,"
	" seq INTEGER NOT NULL, hop INTEGER NOT NULL, addr TEXT,"
	" rtt_ms REAL, status TEXT NOT NULL, dest INTEGER NOT NULL,"
	" detail TEXT, under_load INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX IF NOT EXISTS hops_time ON hops(time_ms);";

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

/* A database we cannot write is refused here with the system's words
 * (EACCES, EROFS, ENOTDIR, EISDIR...), not later as SQLite's "unable to
 * open database file".  Its folder must be writable too: WAL keeps its
 * -wal and -shm files beside it. */
static int check_writable(struct store *st)
{
	char dir[sizeof(st->path)];
	char *slash;
	int fd = open(st->path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);

	if (fd < 0 && errno == EISDIR) {
		st->why = STORE_WHY_INPUT;
		return set_err(st, -EISDIR, "not a regular file");
	}
	if (fd < 0)
		return set_err(st, -errno, "cannot open it for writing: %s",
			       strerror(errno));
	close(fd);
	snprintf(dir, sizeof(dir), "%s", st->path);
	slash = strrchr(dir, '/');
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else
		slash[slash == dir] = '\0'; /* "/x.db": "/" */
	if (access(dir, W_OK) < 0)
		return set_err(st, -errno,
			       "cannot write in its folder %s (the database "
			       "keeps its journal there): %s",
			       dir, strerror(errno));
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
		if (errno == ENOENT) {
			st->why = STORE_WHY_INPUT;
			return set_err(st, -ENOENT, "no such database file");
		}
		return set_err(st, -errno, "%s", strerror(errno));
	}
	if (!S_ISREG(sb.st_mode) || (sb.st_size == 0 && st->rdonly))
		st->why = STORE_WHY_INPUT;
	if (!S_ISREG(sb.st_mode))
		return set_err(st, -EINVAL, "not a regular file");
	if (sb.st_size == 0)
		return st->rdonly ? set_err(st, -ENOENT,
					    "empty file, not a Bufferbane "
					    "database")
				  : 0;
	*exists = true;

	unsigned char hdr[100];
	int fd = open(st->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return set_err(st, -errno, "%s", strerror(errno));
	ssize_t got = read(fd, hdr, sizeof(hdr));
	close(fd);
	if (got != (ssize_t)sizeof(hdr) ||
	    memcmp(hdr, "SQLite format 3", 16) != 0) {
		st->why = STORE_WHY_INPUT;
		return set_err(st, -EILSEQ,
			       "not an SQLite database (refusing to touch it)");
	}

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

static int create_schema(struct store *st)
{
	char ver[16];
	int rc = new_client_id(st->client_id);
	if (rc < 0)
		return set_err(st, rc, "getrandom: %s", strerror(-rc));
	char *views = views_sql();
	if (!views)
		return set_err(st, -ENOMEM, "out of memory");
	rc = exec(st, "BEGIN IMMEDIATE", "creating the schema");
	if (rc < 0) {
		free(views);
		return rc;
	}
	snprintf(ver, sizeof(ver), "%d", STORE_SCHEMA_VERSION);
	if ((rc = exec(st, common_sql, "creating the schema")) < 0 ||
	    (rc = exec(st, blocks_sql, "creating the schema")) < 0 ||
	    (rc = exec(st, views, "creating the schema")) < 0 ||
	    (rc = meta_set(st, "schema_version", ver)) < 0 ||
	    (rc = meta_set(st, "client_id", st->client_id)) < 0) {
		exec(st, "ROLLBACK", "creating the schema");
		free(views);
		return rc;
	}
	free(views);
	return exec(st, "COMMIT", "creating the schema");
}

static int add_sample(struct store *st, int64_t series,
		      const struct bb_sample *s);
static int flush_open(struct store *st);
static void drop_open(struct store *st);
static void col_text(sqlite3_stmt *q, int col, char *dst, size_t len);

static int prepare_all(struct store *st)
{
	for (int i = 0; i < Q_COUNT; i++) {
		if (st->q[i] ||
		    (st->blocks_view && (i == Q_INS_BLOCK || i == Q_UPD_BLOCK)))
			continue; /* never written through a view */
		int rc = sqlite3_prepare_v3(st->db, queries[i], -1,
					    SQLITE_PREPARE_PERSISTENT,
					    &st->q[i], NULL);
		if (rc != SQLITE_OK)
			return sql_fail(st, rc, "preparing statements");
	}
	return 0;
}

/* Version 1 files carried some figures as words in detail; an old file is
 * outside input, so they are parsed here, once, into the typed fields:
 * "lost up"/"lost down" on echoes, "sync q=Q n=N off=NS" on answered
 * echoes, "PHASE GRADE +Xms rpm=R[ owd +U/+D]" on bufferbloat results and
 * "PHASE why" on failed ones.  Words that are not figures stay. */
static void v1_typed_from_detail(struct bb_sample *s)
{
	static const char *const phases[] = { [BB_PHASE_UP] = "up",
					      [BB_PHASE_DOWN] = "down",
					      [BB_PHASE_BOTH] = "both" };
	const char *d = s->detail;
	double q, inc, rpm, up, down;
	int n, used = 0;
	long long off;
	char phase[8], grade[4];

	if (s->kind == BB_KIND_UDP_ECHO) {
		if (!strcmp(d, "lost up") || !strcmp(d, "lost down")) {
			s->loss_dir = d[5] == 'u' ? BB_LOSS_UP : BB_LOSS_DOWN;
			copy_str(s->detail, sizeof(s->detail),
				 s->loss_dir == BB_LOSS_UP ? "lost upstream"
							   : "lost downstream");
		} else if (sscanf(d, "sync q=%lf n=%d off=%lld", &q, &n,
				  &off) == 3) {
			s->sync_pct = (int8_t)(q < 0 ? 0 : q > 100 ? 100 : q);
			s->sync_n = (uint8_t)(n < 0 ? 0 : n > 255 ? 255 : n);
			s->clock_offset_ns = off;
			s->detail[0] = '\0';
		}
		return;
	}
	if (s->kind != BB_KIND_BUFFERBLOAT ||
	    sscanf(d, "%7s %n", phase, &used) != 1)
		return;
	for (int ph = BB_PHASE_UP; ph <= BB_PHASE_BOTH; ph++)
		if (!strcmp(phase, phases[ph]))
			s->load_phase = (uint8_t)ph;
	if (!s->load_phase)
		return;
	if (s->status != BB_STATUS_OK) {
		memmove(s->detail, d + used, strlen(d + used) + 1);
		return;
	}
	if (sscanf(d, "%7s %3s +%lfms rpm=%lf", phase, grade, &inc, &rpm) != 4)
		return;
	s->bloat.increase_ns = (int64_t)(inc * 1e6);
	s->bloat.rpm = (int32_t)rpm;
	if (s->rtt_ns != BB_NONE)
		s->bloat.idle_p50_ns = s->rtt_ns - s->bloat.increase_ns;
	const char *owd = strstr(d, " owd ");
	if (owd && sscanf(owd, " owd %lf/%lf", &up, &down) == 2) {
		s->bloat.up_inc_ns = (int64_t)(up * 1e6);
		s->bloat.down_inc_ns = (int64_t)(down * 1e6);
	}
	s->detail[0] = '\0';
}

/* Version 1 kept one row per sample (samples, clock_runs in schema src):
 * write them as blocks into main, in the caller's transaction. */
static int convert_v1(struct store *st, const char *src)
{
	char sql[1024];
	int rc = exec(st, blocks_sql, "converting to version 2");
	if (rc < 0 || (rc = prepare_all(st)) < 0)
		return rc;
	snprintf(sql, sizeof(sql),
		 "SELECT s.series, s.ts, s.ns, r.offset_ns, s.mono_d,"
		 " e.test_type, s.seq, s.code, s.main_us,"
		 " json_extract(s.ext, '$.u'), json_extract(s.ext, '$.d'),"
		 " json_extract(s.ext, '$.k'), json_extract(s.ext, '$.l'),"
		 " s.detail FROM %s.samples s JOIN %s.series e"
		 " ON e.id = s.series JOIN %s.clock_runs r ON r.id = s.run"
		 " ORDER BY s.ts",
		 src, src, src);
	sqlite3_stmt *q;
	rc = sqlite3_prepare_v2(st->db, sql, -1, &q, NULL);
	if (rc != SQLITE_OK)
		return sql_fail(st, rc, "converting version 1 samples");
	int64_t count = 0;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		int kind = sample_kind_from_name(
			(const char *)sqlite3_column_text(q, 5) ?: "");
		if (kind < 0)
			continue;
		struct bb_sample s;
		sample_init(&s, kind);
		s.real_ns = sqlite3_column_int64(q, 1) * 1000000 +
			    sqlite3_column_int64(q, 2);
		s.mono_ns = s.real_ns - sqlite3_column_int64(q, 3) -
			    sqlite3_column_int64(q, 4);
		s.seq = (uint32_t)sqlite3_column_int64(q, 6);
		int64_t code = sqlite3_column_int64(q, 7);
		s.status = (uint8_t)(code & 0xff);
		s.flags = (uint16_t)(code >> 8 & 0xffff);
		int64_t *us[3] = { &s.rtt_ns, &s.up_delay_ns,
				   &s.down_delay_ns };
		for (int k = 0; k < 3; k++)
			if (sqlite3_column_type(q, 8 + k) != SQLITE_NULL)
				*us[k] = sqlite3_column_int64(q, 8 + k) * 1000;
		if (sqlite3_column_type(q, 11) != SQLITE_NULL)
			s.throughput_kbps = sqlite3_column_int64(q, 11);
		if (sqlite3_column_type(q, 12) != SQLITE_NULL)
			s.loss_ppm = sqlite3_column_int(q, 12);
		col_text(q, 13, s.detail, sizeof(s.detail));
		v1_typed_from_detail(&s);
		if ((rc = add_sample(st, sqlite3_column_int64(q, 0), &s)) < 0)
			break;
		count++;
	}
	sqlite3_finalize(q);
	if (rc < 0)
		return rc;
	if (rc != SQLITE_DONE)
		return sql_fail(st, rc, "converting version 1 samples");
	if ((rc = flush_open(st)) < 0)
		return rc;
	drop_open(st);
	return 0;
}

/* A read-only handle on a version 1 file: convert into memory (the file
 * is never written), so replay and reports work on old recordings. */
static int open_v1_in_memory(struct store *st)
{
	sqlite3_close(st->db);
	st->db = NULL;
	int rc = sqlite3_open_v2(":memory:", &st->db,
				 SQLITE_OPEN_READWRITE | SQLITE_OPEN_URI, NULL);
	if (rc != SQLITE_OK)
		return set_err(st, -ENOMEM, "out of memory");
	sqlite3_extended_result_codes(st->db, 1);
	char *views = views_sql();
	char *att = sqlite3_mprintf("ATTACH 'file:' || %Q || '?mode=ro'"
				    " AS old",
				    st->path);
	if (!views || !att)
		rc = set_err(st, -ENOMEM, "out of memory");
	else if ((rc = exec(st, att, "attaching the version 1 file")) == 0 &&
		 (rc = exec(st, "BEGIN", "converting in memory")) == 0 &&
		 (rc = exec(st, common_sql, "converting in memory")) == 0 &&
		 (rc = exec(st,
			    "INSERT INTO meta SELECT * FROM old.meta;"
			    "INSERT INTO series SELECT * FROM old.series;"
			    "INSERT INTO events SELECT * FROM old.events;"
			    "INSERT INTO agg_1min SELECT * FROM old.agg_1min;"
			    "INSERT INTO agg_1hour"
			    " SELECT * FROM old.agg_1hour;",
			    "converting in memory")) == 0 &&
		 (rc = load_series(st)) == 0 &&
		 (rc = convert_v1(st, "old")) == 0 &&
		 (rc = exec(st, "COMMIT; DETACH old",
			    "converting in memory")) == 0)
		/* after DETACH: DROP VIEW would look into the old file */
		rc = exec(st, views, "converting in memory");
	sqlite3_free(att);
	free(views);
	st->nseries = 0;
	return rc;
}

/* The rx/tx columns came later within version 2 (see the top): a writer
 * adds them; a reader of an older file gets a temporary view of the same
 * name that shows them NULL (temp shadows main for unqualified names). */
static int blocks_add_traffic(struct store *st)
{
	static const char has_rx[] = "SELECT count(*) FROM"
				     " pragma_table_info('blocks')"
				     " WHERE name = 'rx0'";
	int64_t have = 0;
	int rc = query_int(st, has_rx, &have, NULL);
	if (rc < 0 || have)
		return rc;
	if (st->rdonly) {
		st->blocks_view = true;
		return exec(st,
			    "CREATE TEMP VIEW blocks AS SELECT *,"
			    " NULL AS rx0, NULL AS rx, NULL AS tx0,"
			    " NULL AS tx FROM main.blocks",
			    "reading an older file");
	}
	/* again under the write lock: another writer may just have added
	 * them */
	if ((rc = exec(st, "BEGIN IMMEDIATE", "adding the traffic columns")))
		return rc;
	if ((rc = query_int(st, has_rx, &have, NULL)) == 0 && !have)
		rc = exec(st,
			  "ALTER TABLE blocks ADD COLUMN rx0 INTEGER;"
			  "ALTER TABLE blocks ADD COLUMN rx BLOB;"
			  "ALTER TABLE blocks ADD COLUMN tx0 INTEGER;"
			  "ALTER TABLE blocks ADD COLUMN tx BLOB;",
			  "adding the traffic columns");
	if (rc == 0)
		return exec(st, "COMMIT", "adding the traffic columns");
	exec(st, "ROLLBACK", "rolling back");
	return rc;
}

/* Existing database: check it is ours and not from a newer version;
 * convert a version 1 file (in one transaction, then VACUUM). */
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
	rc = meta_get(st, "client_id", st->client_id, sizeof(st->client_id));
	if (rc == -ENOENT)
		return set_err(st, -EILSEQ, "no client_id in meta");
	if (rc < 0)
		return rc;
	if (v == 1 && st->rdonly)
		return open_v1_in_memory(st);
	if (st->rdonly)
		return blocks_add_traffic(st);
	char *views = views_sql();
	if (!views)
		return set_err(st, -ENOMEM, "out of memory");
	if (v == 1) {
		snprintf(buf, sizeof(buf), "%d", STORE_SCHEMA_VERSION);
		if ((rc = exec(st, "BEGIN IMMEDIATE", "converting")) == 0 &&
		    (rc = load_series(st)) == 0 &&
		    (rc = convert_v1(st, "main")) == 0 &&
		    (rc = exec(st,
			       "DROP VIEW measurements; DROP TABLE samples;"
			       " DROP TABLE clock_runs;",
			       "converting")) == 0 &&
		    (rc = exec(st, views, "converting")) == 0 &&
		    (rc = meta_set(st, "schema_version", buf)) == 0)
			rc = exec(st, "COMMIT", "converting");
		if (rc < 0) {
			char keep[sizeof(st->error)];
			memcpy(keep, st->error, sizeof(keep));
			if (!sqlite3_get_autocommit(st->db))
				exec(st, "ROLLBACK", "rolling back");
			memcpy(st->error, keep, sizeof(keep));
			drop_open(st);
		} else {
			/* give the old rows' pages back (best effort); the
			 * one VACUUM also makes the file auto-vacuum, so
			 * retention's freed pages go back later too */
			sqlite3_exec(st->db,
				     "PRAGMA auto_vacuum = INCREMENTAL; VACUUM",
				     NULL, NULL, NULL);
		}
		st->nseries = 0;
	} else if ((rc = blocks_add_traffic(st)) == 0) {
		rc = exec(st, views, "updating the measurements view");
	}
	free(views);
	return rc;
}

struct store *store_open(const char *path, int flags, char *err, size_t errlen)
{
	int why;
	return store_open_why(path, flags, &why, err, errlen);
}

int store_why_exit_code(int why)
{
	return why == STORE_WHY_INPUT ? 2 : 1;
}

struct store *store_open_why(const char *path, int flags, int *why, char *err,
			     size_t errlen)
{
	struct store *st = calloc(1, sizeof(*st));
	bool exists;
	int rc;
	*why = STORE_WHY_FAILED;
	if (!st) {
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	st->why = STORE_WHY_FAILED;
	snprintf(st->path, sizeof(st->path), "%s", path);
	st->rdonly = flags & STORE_RDONLY;
	st->busy_ms = 2000;

	if (!st->rdonly && (rc = make_parent(path)) < 0) {
		st->why = STORE_WHY_WRITE;
		set_err(st, rc, "cannot create its folder: %s", strerror(-rc));
		goto fail;
	}
	st->why = STORE_WHY_WRITE;
	if (!st->rdonly && check_writable(st) < 0)
		goto fail;
	st->why = STORE_WHY_FAILED;
	if (precheck_file(st, &exists) < 0)
		goto fail;
	int oflags = st->rdonly ? SQLITE_OPEN_READONLY
				: SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	rc = sqlite3_open_v2(path, &st->db, oflags, NULL);
	if (rc != SQLITE_OK) {
		int e = st->db ? sqlite3_system_errno(st->db) : 0;

		/* the system's reason when there is one */
		set_err(st, e ? -e : sql_errno(rc), "cannot open: %s",
			e	 ? strerror(e)
			: st->db ? sqlite3_errmsg(st->db)
				 : sqlite3_errstr(rc));
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
		st->why = STORE_WHY_INPUT;
		set_err(st, -EILSEQ,
			"not a Bufferbane database (no meta table); "
			"refusing to touch it");
		goto fail;
	}
	if (!has_meta && st->rdonly) {
		st->why = STORE_WHY_INPUT;
		set_err(st, -ENOENT, "empty database");
		goto fail;
	}
	if (!st->rdonly) {
		/* only possible before the first table: a new file gives the
		 * pages retention frees back to the file system; an older
		 * file reuses them (see store_reclaim) */
		if (!has_meta && ntables == 0 &&
		    exec(st, "PRAGMA auto_vacuum = INCREMENTAL",
			 "setting auto_vacuum") < 0)
			goto fail_db;
		if (exec(st, "PRAGMA journal_mode = WAL", "setting WAL") < 0 ||
		    exec(st, "PRAGMA synchronous = NORMAL", "setting sync") < 0)
			goto fail_db;
	}
	if (has_meta ? check_schema(st) < 0 : create_schema(st) < 0)
		goto fail_db;
	if (!st->rdonly && exec(st, hops_sql, "creating the hops table") < 0)
		goto fail_db;

	/* Touch every table's b-tree so a damaged file is refused now. */
	int64_t dummy;
	if (query_int(st, "SELECT max(start_us) FROM blocks", &dummy, NULL) <
		    0 ||
	    query_int(st, "SELECT max(id) FROM blocks", &dummy, NULL) < 0 ||
	    query_int(st, "SELECT count(*) FROM series", &dummy, NULL) < 0 ||
	    query_int(st, "SELECT count(*) FROM sample_extra", &dummy, NULL) <
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
	if (prepare_all(st) < 0)
		goto fail;
	st->nseries = 0;
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
	*why = st->why;
	store_close(st);
	return NULL;
}

void store_close(struct store *st)
{
	if (!st)
		return;
	for (int i = 0; i < Q_COUNT; i++)
		sqlite3_finalize(st->q[i]);
	sqlite3_finalize(st->ins_hop);
	if (st->db)
		sqlite3_close(st->db);
	drop_open(st);
	free(st->open);
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

static int64_t us_or_none(int64_t ns)
{
	return ns == BB_NONE ? BB_NONE : ns_to_us(ns);
}

/* ns -> µs rounded down, so the ms of a time stays its ms. */
static int64_t floor_us(int64_t ns)
{
	return ns >= 0 ? ns / 1000 : -((-(ns + 1)) / 1000) - 1;
}

/* Unix ms -> µs, saturating (callers pass INT64_MAX for "no end"). */
static int64_t ms_to_us(int64_t ms)
{
	if (ms > INT64_MAX / 4000)
		return INT64_MAX / 4;
	if (ms < INT64_MIN / 4000)
		return INT64_MIN / 4;
	return ms * US_PER_MS;
}

static int step_simple(struct store *st, int which, const char *what)
{
	sqlite3_stmt *q = st->q[which];
	int rc = sqlite3_step(q);
	sqlite3_reset(q);
	return rc == SQLITE_DONE ? 0 : sql_fail(st, rc, what);
}

/* ---- blocks: encoding -------------------------------------------------- */

static bool has_bloat(const struct bb_bloat_figures *b)
{
	return b->idle_p50_ns != BB_NONE || b->loaded_p95_ns != BB_NONE ||
	       b->increase_ns != BB_NONE || b->up_inc_ns != BB_NONE ||
	       b->down_inc_ns != BB_NONE || b->rpm != -1;
}

/* status, loss direction and the reply flags in the low byte (a block of
 * plain and lost probes costs one byte a sample), the rest above. */
static int64_t code_of(const struct bb_sample *s)
{
	return (s->status & 3) | (s->loss_dir & 3) << 2 |
	       (int64_t)(s->flags & 0x0f) << 4 |
	       (int64_t)(s->load_phase & 7) << 8 |
	       (int64_t)(s->flags >> 4) << 11;
}

static void brec_from(struct brec *r, const struct bb_sample *s)
{
	int64_t *v = r->v;
	r->t_us = floor_us(s->real_ns);
	r->seq = s->seq;
	v[F_TIME] = v[F_SEQ] = 0;
	/* the clocks' difference, not two truncations: constant */
	v[F_MONO] = floor_us(
		(int64_t)((uint64_t)s->real_ns - (uint64_t)s->mono_ns));
	v[F_CODE] = code_of(s);
	v[F_RTT] = us_or_none(s->rtt_ns);
	v[F_UP] = us_or_none(s->up_delay_ns);
	v[F_DOWN] = us_or_none(s->down_delay_ns);
	/* up + down = rtt - the server's hold time: store the hold */
	if (v[F_DOWN] != BB_NONE && v[F_RTT] != BB_NONE && v[F_UP] != BB_NONE)
		v[F_DOWN] -= v[F_RTT] - v[F_UP];
	v[F_KBPS] = s->throughput_kbps;
	v[F_LOSS] = s->loss_ppm;
	v[F_SYNC] = s->sync_pct;
	v[F_SYNCN] = s->sync_pct >= 0 ? s->sync_n : BB_NONE;
	v[F_OFF] = us_or_none(s->clock_offset_ns);
	v[F_RX] = s->rx_kbps;
	v[F_TX] = s->tx_kbps;
	r->bloat = s->bloat;
	size_t dl = strnlen(s->detail, sizeof(s->detail));
	memset(r->detail, 0, sizeof(r->detail));
	memcpy(r->detail, s->detail, dl < sizeof(r->detail) ? dl : 0);
	if (dl >= sizeof(r->detail))
		memcpy(r->detail, s->detail, sizeof(r->detail) - 1);
}

static void block_reset(struct oblock *b)
{
	b->rowid = 0;
	b->n = 0;
	b->dirty = b->full = false;
	b->nx_written = 0;
	memset(b->any, 0, sizeof(b->any));
}

/* r joins b without a field outgrowing 4 bytes or the block its span. */
static bool block_fits(const struct oblock *b, const struct brec *r)
{
	if (b->full || b->n == BLOCK_MAX_N)
		return false;
	if (b->n == 0)
		return true;
	int64_t lo = r->t_us < b->r[0].t_us ? r->t_us : b->r[0].t_us;
	int64_t hi =
		r->t_us > b->r[b->n - 1].t_us ? r->t_us : b->r[b->n - 1].t_us;
	if (hi - lo > BLOCK_SPAN_US)
		return false;
	int32_t sd = (int32_t)(r->seq - b->seq_ref);
	if ((int64_t)(sd > b->sd_hi ? sd : b->sd_hi) -
		    (sd < b->sd_lo ? sd : b->sd_lo) >
	    (1 << 30))
		return false;
	for (int f = F_MONO; f < F_COUNT; f++) {
		if (f == F_SEQ || r->v[f] == BB_NONE || !b->any[f])
			continue;
		int64_t l = r->v[f] < b->lo[f] ? r->v[f] : b->lo[f];
		int64_t h = r->v[f] > b->hi[f] ? r->v[f] : b->hi[f];
		if ((uint64_t)h - (uint64_t)l > (uint64_t)FIELD_MAX_RANGE)
			return false;
	}
	return true;
}

static void block_add(struct oblock *b, const struct brec *r)
{
	if (b->n == 0) {
		b->seq_ref = r->seq;
		b->sd_lo = b->sd_hi = 0;
	}
	int32_t sd = (int32_t)(r->seq - b->seq_ref);
	if (sd < b->sd_lo)
		b->sd_lo = sd;
	if (sd > b->sd_hi)
		b->sd_hi = sd;
	for (int f = F_MONO; f < F_COUNT; f++) {
		if (f == F_SEQ || r->v[f] == BB_NONE)
			continue;
		if (!b->any[f] || r->v[f] < b->lo[f])
			b->lo[f] = r->v[f];
		if (!b->any[f] || r->v[f] > b->hi[f])
			b->hi[f] = r->v[f];
		b->any[f] = true;
	}
	/* sorted by send time; a late timeout lands before newer probes */
	size_t i = b->n;
	while (i > 0 && b->r[i - 1].t_us > r->t_us) {
		b->r[i] = b->r[i - 1];
		i--;
	}
	b->r[i] = *r;
	b->n++;
	b->dirty = true;
}

static void field_encode(const int64_t *x, size_t n, struct fenc *e)
{
	bool any = false, none = false;
	int64_t lo = 0, hi = 0;
	for (size_t i = 0; i < n; i++) {
		if (x[i] == BB_NONE) {
			none = true;
			continue;
		}
		if (!any || x[i] < lo)
			lo = x[i];
		if (!any || x[i] > hi)
			hi = x[i];
		any = true;
	}
	e->null_base = !any;
	e->base = lo;
	e->w = 0;
	if (!any || (!none && lo == hi))
		return;
	uint64_t range = (uint64_t)hi - (uint64_t)lo;
	e->w = 1;
	while (e->w < 8 && range > (UINT64_C(1) << (8 * e->w)) - 2)
		e->w++;
	for (size_t i = 0; i < n; i++) {
		uint64_t v = x[i] == BB_NONE ? UINT64_MAX
					     : (uint64_t)x[i] - (uint64_t)lo;
		for (int k = 0; k < e->w; k++)
			e->buf[i * (size_t)e->w + (size_t)k] =
				(uint8_t)(v >> (8 * (e->w - 1 - k)));
	}
}

static void bind_fenc(sqlite3_stmt *q, int col, const struct fenc *e, size_t n)
{
	if (e->null_base)
		sqlite3_bind_null(q, col);
	else
		sqlite3_bind_int64(q, col, e->base);
	if (e->w)
		sqlite3_bind_blob(q, col + 1, e->buf, (int)(n * (size_t)e->w),
				  SQLITE_STATIC);
	else
		sqlite3_bind_null(q, col + 1);
}

static void bind_us_none(sqlite3_stmt *q, int col, int64_t ns)
{
	if (ns == BB_NONE)
		sqlite3_bind_null(q, col);
	else
		sqlite3_bind_int64(q, col, ns_to_us(ns));
}

static int write_extras(struct store *st, const struct oblock *b)
{
	sqlite3_stmt *q = st->q[Q_INS_EXTRA];
	for (size_t i = 0; i < b->n; i++) {
		const struct brec *r = &b->r[i];
		bool bl = has_bloat(&r->bloat);
		if (!r->detail[0] && !bl)
			continue;
		sqlite3_bind_int64(q, 1, b->rowid);
		sqlite3_bind_int64(q, 2, (int64_t)i);
		if (r->detail[0])
			sqlite3_bind_text(q, 3, r->detail, -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(q, 3);
		bind_us_none(q, 4, r->bloat.idle_p50_ns);
		bind_us_none(q, 5, r->bloat.loaded_p95_ns);
		bind_us_none(q, 6, r->bloat.increase_ns);
		bind_us_none(q, 7, r->bloat.up_inc_ns);
		bind_us_none(q, 8, r->bloat.down_inc_ns);
		if (r->bloat.rpm != -1)
			sqlite3_bind_int(q, 9, r->bloat.rpm);
		else
			sqlite3_bind_null(q, 9);
		int rc = sqlite3_step(q);
		sqlite3_reset(q);
		sqlite3_clear_bindings(q);
		if (rc != SQLITE_DONE)
			return sql_fail(st, rc, "writing a sample's detail");
	}
	return 0;
}

/* Encode b and insert or rewrite its row (inside the write transaction). */
static int block_flush(struct store *st, struct oblock *b)
{
	struct fenc *enc = st->enc;
	int64_t x[BLOCK_MAX_N], sd[BLOCK_MAX_N];
	size_t n = b->n, nx = 0, bytes = 0;
	if (!b->dirty || n == 0)
		return 0;
	int64_t start = b->r[0].t_us, end = b->r[n - 1].t_us;
	uint32_t seq0 = b->r[0].seq;
	for (size_t i = 0; i < n; i++) {
		sd[i] = (int32_t)(b->r[i].seq - seq0);
		nx += b->r[i].detail[0] || has_bloat(&b->r[i].bloat);
	}
	/* the schedule's period per seq step: times then cost the jitter */
	int64_t step = 0;
	if (sd[n - 1] > 0)
		step = (end - start + sd[n - 1] / 2) / sd[n - 1];
	for (int pass = 0; pass < 2; pass++) {
		int64_t lo = INT64_MAX, hi = INT64_MIN;
		for (size_t i = 0; i < n; i++) {
			x[i] = b->r[i].t_us - start - sd[i] * step;
			lo = x[i] < lo ? x[i] : lo;
			hi = x[i] > hi ? x[i] : hi;
		}
		if (hi - lo <= FIELD_MAX_RANGE)
			break;
		step = 0; /* irregular: plain offsets fit the span */
	}
	field_encode(x, n, &enc[F_TIME]);
	for (size_t i = 0; i < n; i++)
		x[i] = sd[i] - (int64_t)i;
	field_encode(x, n, &enc[F_SEQ]);
	for (int f = F_MONO; f < F_COUNT; f++) {
		if (f == F_SEQ)
			continue;
		for (size_t i = 0; i < n; i++)
			x[i] = b->r[i].v[f];
		field_encode(x, n, &enc[f]);
	}

	bool update = b->rowid != 0;
	int rc;
again:;
	sqlite3_stmt *q = st->q[update ? Q_UPD_BLOCK : Q_INS_BLOCK];
	bytes = 0;
	sqlite3_bind_int64(q, 1, b->series);
	sqlite3_bind_int64(q, 2, (int64_t)n);
	sqlite3_bind_int64(q, 3, start);
	sqlite3_bind_int64(q, 4, end);
	sqlite3_bind_int64(q, 5, seq0);
	sqlite3_bind_int64(q, 6, step);
	sqlite3_bind_int64(q, 7, (int64_t)nx);
	for (int f = 0; f < F_COUNT; f++) {
		bind_fenc(q, 8 + 2 * f, &enc[f], n);
		bytes += n * (size_t)enc[f].w;
	}
	if (update)
		sqlite3_bind_int64(q, 8 + 2 * F_COUNT, b->rowid);
	rc = sqlite3_step(q);
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
	if (rc != SQLITE_DONE)
		return sql_fail(st, rc, "writing samples");
	if (update && sqlite3_changes(st->db) == 0) {
		/* `cleanup` deleted the row under us: its new samples must
		 * not go with it, so the block is written afresh */
		update = false;
		b->rowid = 0;
		b->nx_written = 0;
		goto again;
	}
	if (!update)
		b->rowid = sqlite3_last_insert_rowid(st->db);
	if (b->nx_written) {
		sqlite3_stmt *d = st->q[Q_DEL_EXTRA];
		sqlite3_bind_int64(d, 1, b->rowid);
		rc = sqlite3_step(d);
		sqlite3_reset(d);
		if (rc != SQLITE_DONE)
			return sql_fail(st, rc, "rewriting samples' details");
	}
	if (nx && (rc = write_extras(st, b)) < 0)
		return rc;
	b->nx_written = nx;
	b->dirty = false;
	b->full = bytes >= BLOCK_FULL_BYTES;
	return 0;
}

static struct oblock *open_block(struct store *st, int64_t series)
{
	for (size_t i = 0; i < st->nopen; i++)
		if (st->open[i]->series == series)
			return st->open[i];
	if (st->nopen == st->open_cap) {
		size_t cap = st->open_cap ? 2 * st->open_cap : 8;
		void *p = realloc(st->open, cap * sizeof(*st->open));
		if (!p)
			return NULL;
		st->open = p;
		st->open_cap = cap;
	}
	struct oblock *b = malloc(sizeof(*b));
	if (!b)
		return NULL;
	block_reset(b);
	b->series = series;
	st->open[st->nopen++] = b;
	return b;
}

/* Forget the open blocks: their rows stay as committed, new samples go to
 * new blocks (after a failed write, or at close). */
static void drop_open(struct store *st)
{
	for (size_t i = 0; i < st->nopen; i++)
		free(st->open[i]);
	st->nopen = 0;
}

static int add_sample(struct store *st, int64_t series,
		      const struct bb_sample *s)
{
	struct oblock *b = open_block(st, series);
	if (!b)
		return set_err(st, -ENOMEM, "out of memory");
	struct brec r;
	brec_from(&r, s);
	if (!block_fits(b, &r)) {
		int rc = block_flush(st, b);
		if (rc < 0)
			return rc;
		block_reset(b);
	}
	block_add(b, &r);
	return 0;
}

static int flush_open(struct store *st)
{
	for (size_t i = 0; i < st->nopen; i++) {
		int rc = block_flush(st, st->open[i]);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* One path probe into `hops` (see the top); annotations are skipped. */
static int write_hop(struct store *st, const struct bb_sample *s)
{
	if (s->flags & (BB_SAMPLE_LATE | BB_SAMPLE_DUPLICATE))
		return 0;
	if (!st->ins_hop) {
		int rc = sqlite3_prepare_v3(
			st->db,
			"INSERT INTO hops(time_ms, interface, target, seq, hop,"
			" addr, rtt_ms, status, dest, detail, under_load)"
			" VALUES(?,?,?,?,?,?,?,?,?,?,?)",
			-1, SQLITE_PREPARE_PERSISTENT, &st->ins_hop, NULL);
		if (rc != SQLITE_OK)
			return sql_fail(st, rc, "preparing the hops insert");
	}
	sqlite3_stmt *q = st->ins_hop;
	sqlite3_reset(q);
	sqlite3_bind_int64(q, 1, s->real_ns / 1000000);
	sqlite3_bind_text(q, 2, s->interface,
			  (int)strnlen(s->interface, sizeof(s->interface)),
			  SQLITE_TRANSIENT);
	sqlite3_bind_text(q, 3, s->target,
			  (int)strnlen(s->target, sizeof(s->target)),
			  SQLITE_TRANSIENT);
	sqlite3_bind_int64(q, 4, s->seq);
	sqlite3_bind_int(q, 5, s->hop);
	size_t alen = strnlen(s->hop_addr, sizeof(s->hop_addr));
	if (alen)
		sqlite3_bind_text(q, 6, s->hop_addr, (int)alen,
				  SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(q, 6);
	if (alen && s->rtt_ns != BB_NONE)
		sqlite3_bind_double(q, 7, (double)ns_to_us(s->rtt_ns) / 1000);
	else
		sqlite3_bind_null(q, 7);
	sqlite3_bind_text(q, 8, sample_status_name(s->status), -1,
			  SQLITE_STATIC);
	sqlite3_bind_int(q, 9, !!(s->flags & BB_SAMPLE_PATH_END));
	size_t dlen = strnlen(s->detail, sizeof(s->detail));
	if (dlen)
		sqlite3_bind_text(q, 10, s->detail, (int)dlen,
				  SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(q, 10);
	sqlite3_bind_int(q, 11, !!(s->flags & BB_SAMPLE_UNDER_LOAD));
	int rc = sqlite3_step(q);
	sqlite3_reset(q);
	return rc == SQLITE_DONE ? 0 : sql_fail(st, rc, "writing a hop");
}

int store_read_hops(struct store *st, int64_t from_ms, int64_t to_ms,
		    store_sample_fn cb, void *ctx)
{
	int64_t has = 0;
	int rc = query_int(st,
			   "SELECT count(*) FROM sqlite_schema WHERE"
			   " type = 'table' AND name = 'hops'",
			   &has, NULL);
	if (rc < 0 || !has)
		return rc; /* an older file, read-only: no path probe */
	sqlite3_stmt *q;
	rc = sqlite3_prepare_v2(
		st->db,
		"SELECT time_ms, interface, target, seq, hop, addr, rtt_ms,"
		" status, dest, detail, under_load FROM hops"
		" WHERE time_ms >= ?1 AND time_ms < ?2 ORDER BY time_ms, rowid",
		-1, &q, NULL);
	if (rc != SQLITE_OK)
		return sql_fail(st, rc, "reading hops");
	sqlite3_bind_int64(q, 1, from_ms);
	sqlite3_bind_int64(q, 2, to_ms);
	int stop = 0;
	while (!stop && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct bb_sample s;
		sample_init(&s, BB_KIND_PATH);
		s.real_ns = sqlite3_column_int64(q, 0) * 1000000;
		col_text(q, 1, s.interface, sizeof(s.interface));
		col_text(q, 2, s.target, sizeof(s.target));
		s.seq = (uint32_t)sqlite3_column_int64(q, 3);
		int hop = sqlite3_column_int(q, 4);
		s.hop = (uint8_t)(hop < 0 || hop > 255 ? 0 : hop);
		col_text(q, 5, s.hop_addr, sizeof(s.hop_addr));
		if (sqlite3_column_type(q, 6) != SQLITE_NULL)
			s.rtt_ns = llround(sqlite3_column_double(q, 6) * 1e6);
		char status[16];
		col_text(q, 7, status, sizeof(status));
		int st_code = sample_status_from_name(status);
		s.status = (uint8_t)(st_code < 0 ? BB_STATUS_ERROR : st_code);
		if (sqlite3_column_int(q, 8))
			s.flags |= BB_SAMPLE_PATH_END;
		col_text(q, 9, s.detail, sizeof(s.detail));
		if (sqlite3_column_int(q, 10))
			s.flags |= BB_SAMPLE_UNDER_LOAD;
		stop = cb(ctx, &s);
	}
	sqlite3_finalize(q);
	if (stop)
		return stop; /* as the other readers: the callback's word */
	return rc == SQLITE_DONE ? 0 : sql_fail(st, rc, "reading hops");
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
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (s[i].kind >= BB_KIND_COUNT) {
			rc = set_err(st, -EINVAL, "sample with unknown kind %u",
				     s[i].kind);
			break;
		}
		if (s[i].kind == BB_KIND_PATH) {
			rc = write_hop(st, &s[i]);
			continue;
		}
		int64_t sid = series_id(st, &s[i]);
		rc = sid < 0 ? (int)sid : add_sample(st, sid, &s[i]);
	}
	if (rc == 0)
		rc = flush_open(st);
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
	drop_open(st);
	return rc;
}

/* ---- blocks: decoding -------------------------------------------------- */

static void col_text(sqlite3_stmt *q, int col, char *dst, size_t len)
{
	const char *t = (const char *)sqlite3_column_text(q, col);
	copy_str(dst, len, t ? t : "");
}

static const struct series_ent *series_by_id(struct store *st, int64_t id)
{
	for (int pass = 0; pass < 2; pass++) {
		if (st->last_hit < st->nseries &&
		    st->series[st->last_hit].id == id)
			return &st->series[st->last_hit];
		for (size_t i = 0; i < st->nseries; i++) {
			if (st->series[i].id == id) {
				st->last_hit = i;
				return &st->series[i];
			}
		}
		/* another process added it since we opened */
		if (pass == 0 &&
		    (st->rdonly || sqlite3_get_autocommit(st->db))) {
			st->nseries = 0;
			if (load_series(st) < 0)
				return NULL;
		}
	}
	return NULL;
}

static int64_t us_to_ns(int64_t us)
{
	return us == BB_NONE ? BB_NONE : us * 1000;
}

/* Decoded samples of one block row of Q_READ, in send-time order. */
struct dblock {
	int64_t series;
	size_t n, next;
	struct bb_sample s[BLOCK_MAX_N];
};

static int block_decode(struct store *st, sqlite3_stmt *q, struct dblock *d,
			bool *skip)
{
	int64_t id = sqlite3_column_int64(q, 0);
	int64_t n = sqlite3_column_int64(q, 2);
	int64_t start = sqlite3_column_int64(q, 3);
	uint32_t seq0 = (uint32_t)sqlite3_column_int64(q, 4);
	int64_t step = sqlite3_column_int64(q, 5);
	int64_t nx = sqlite3_column_int64(q, 6);
	d->series = sqlite3_column_int64(q, 1);
	d->n = d->next = 0;
	*skip = false;
	if (n < 1 || n > BLOCK_MAX_N)
		return set_err(st, -EILSEQ, "block %" PRId64 " is corrupt", id);
	const struct series_ent *e = series_by_id(st, d->series);
	if (!e || e->key.kind >= BB_KIND_COUNT) {
		*skip = true; /* a kind this version does not know */
		return 0;
	}
	const uint8_t *blob[F_COUNT];
	int w[F_COUNT];
	bool null_base[F_COUNT];
	int64_t base[F_COUNT];
	for (int f = 0; f < F_COUNT; f++) {
		int c = 7 + 2 * f;
		null_base[f] = sqlite3_column_type(q, c) == SQLITE_NULL;
		base[f] = sqlite3_column_int64(q, c);
		blob[f] = sqlite3_column_blob(q, c + 1);
		int len = sqlite3_column_bytes(q, c + 1);
		w[f] = blob[f] ? len / (int)n : 0;
		if ((blob[f] && (len % n || w[f] < 1 || w[f] > 8)) ||
		    (blob[f] && null_base[f]))
			return set_err(st, -EILSEQ,
				       "block %" PRId64 " is corrupt", id);
	}
	for (int64_t i = 0; i < n; i++) {
		int64_t v[F_COUNT];
		for (int f = 0; f < F_COUNT; f++) {
			if (!blob[f]) {
				v[f] = null_base[f] ? BB_NONE : base[f];
				continue;
			}
			const uint8_t *p = blob[f] + i * w[f];
			uint64_t u = 0;
			for (int k = 0; k < w[f]; k++)
				u = u << 8 | p[k];
			uint64_t ones =
				w[f] == 8 ? UINT64_MAX
					  : (UINT64_C(1) << (8 * w[f])) - 1;
			v[f] = u == ones ? BB_NONE
					 : (int64_t)((uint64_t)base[f] + u);
		}
		struct bb_sample *s = &d->s[i];
		sample_init(s, e->key.kind);
		s->send_error_ns = BB_NONE; /* not kept */
		memcpy(s->interface, e->key.interface, sizeof(s->interface));
		memcpy(s->target, e->key.target, sizeof(s->target));
		memcpy(s->server, e->key.server, sizeof(s->server));
		int64_t sdv = (v[F_SEQ] == BB_NONE ? 0 : v[F_SEQ]) + i;
		int64_t t = start + (v[F_TIME] == BB_NONE ? 0 : v[F_TIME]) +
			    sdv * step;
		s->real_ns = t * 1000;
		s->mono_ns =
			(t - (v[F_MONO] == BB_NONE ? 0 : v[F_MONO])) * 1000;
		s->seq = seq0 + (uint32_t)sdv;
		int64_t code = v[F_CODE] == BB_NONE ? 0 : v[F_CODE];
		s->status = (uint8_t)(code & 3);
		s->loss_dir = (uint8_t)(code >> 2 & 3);
		s->flags = (uint16_t)((code >> 4 & 0x0f) | (code >> 11) << 4);
		s->load_phase = (uint8_t)(code >> 8 & 7);
		int64_t down = v[F_DOWN];
		if (down != BB_NONE && v[F_RTT] != BB_NONE &&
		    v[F_UP] != BB_NONE)
			down += v[F_RTT] - v[F_UP];
		s->rtt_ns = us_to_ns(v[F_RTT]);
		s->up_delay_ns = us_to_ns(v[F_UP]);
		s->down_delay_ns = us_to_ns(down);
		s->throughput_kbps = v[F_KBPS];
		if (v[F_LOSS] != BB_NONE)
			s->loss_ppm = (int32_t)v[F_LOSS];
		if (v[F_SYNC] != BB_NONE)
			s->sync_pct = (int8_t)v[F_SYNC];
		if (v[F_SYNCN] != BB_NONE)
			s->sync_n = (uint8_t)v[F_SYNCN];
		s->clock_offset_ns = us_to_ns(v[F_OFF]);
		s->rx_kbps = v[F_RX];
		s->tx_kbps = v[F_TX];
	}
	d->n = (size_t)n;
	if (nx == 0)
		return 0;
	sqlite3_stmt *x = st->q[Q_READ_EXTRA];
	sqlite3_bind_int64(x, 1, id);
	int rc;
	while ((rc = sqlite3_step(x)) == SQLITE_ROW) {
		int64_t i = sqlite3_column_int64(x, 0);
		if (i < 0 || i >= n)
			continue;
		struct bb_sample *s = &d->s[i];
		col_text(x, 1, s->detail, sizeof(s->detail));
		int64_t *fig[5] = { &s->bloat.idle_p50_ns,
				    &s->bloat.loaded_p95_ns,
				    &s->bloat.increase_ns, &s->bloat.up_inc_ns,
				    &s->bloat.down_inc_ns };
		for (int k = 0; k < 5; k++)
			if (sqlite3_column_type(x, 2 + k) != SQLITE_NULL)
				*fig[k] = sqlite3_column_int64(x, 2 + k) * 1000;
		if (sqlite3_column_type(x, 7) != SQLITE_NULL)
			s->bloat.rpm = sqlite3_column_int(x, 7);
	}
	sqlite3_reset(x);
	return rc == SQLITE_DONE ? 0 : sql_fail(st, rc, "reading details");
}

typedef int (*row_fn)(void *ctx, const struct bb_sample *s, int64_t series);

/* Samples sent in [from_us, to_us) (of series of kind, or every kind if
 * kind < 0) in time order: blocks come by start time, and a decoded
 * block's samples wait until no block still to come can hold an earlier
 * one (a k-way merge over the few blocks open at once). */
static int read_range(struct store *st, int64_t from_us, int64_t to_us,
		      int kind, row_fn cb, void *ctx)
{
	sqlite3_stmt *q = st->q[kind < 0 ? Q_READ : Q_READ_KIND];
	struct dblock **act = NULL;
	size_t nact = 0, cap = 0;
	int rc, ret = 0;
	sqlite3_bind_int64(q, 1, from_us);
	sqlite3_bind_int64(q, 2, to_us);
	if (kind >= 0)
		sqlite3_bind_text(q, 3, sample_kind_name(kind), -1,
				  SQLITE_STATIC);
	for (;;) {
		rc = sqlite3_step(q);
		bool more = rc == SQLITE_ROW;
		int64_t bound = more ? sqlite3_column_int64(q, 3) : INT64_MAX;
		/* emit what no later block can precede */
		while (nact && !ret) {
			size_t best = SIZE_MAX;
			int64_t bt = INT64_MAX;
			for (size_t i = 0; i < nact; i++) {
				struct dblock *d = act[i];
				if (d->next < d->n &&
				    d->s[d->next].real_ns / 1000 < bt) {
					bt = d->s[d->next].real_ns / 1000;
					best = i;
				}
			}
			if (best == SIZE_MAX || bt >= bound)
				break;
			struct dblock *d = act[best];
			const struct bb_sample *s = &d->s[d->next++];
			if (bt >= from_us && bt < to_us)
				ret = cb(ctx, s, d->series);
		}
		if (!more || ret)
			break;
		/* a drained slot takes the new block */
		struct dblock *d = NULL;
		for (size_t i = 0; i < nact && !d; i++)
			if (act[i]->next == act[i]->n)
				d = act[i];
		if (!d) {
			if (nact == cap) {
				size_t nc = cap ? 2 * cap : 8;
				void *p = realloc(act, nc * sizeof(*act));
				if (!p) {
					ret = set_err(st, -ENOMEM,
						      "out of memory");
					break;
				}
				act = p;
				cap = nc;
			}
			d = malloc(sizeof(*d));
			if (!d) {
				ret = set_err(st, -ENOMEM, "out of memory");
				break;
			}
			act[nact++] = d;
		}
		bool skip;
		if ((ret = block_decode(st, q, d, &skip)) < 0)
			break;
		if (skip)
			d->n = d->next = 0;
	}
	if (!ret && rc != SQLITE_DONE && rc != SQLITE_ROW)
		ret = sql_fail(st, rc, "reading samples");
	sqlite3_reset(q);
	for (size_t i = 0; i < nact; i++)
		free(act[i]);
	free(act);
	return ret;
}

struct read_ctx {
	store_sample_fn cb;
	void *ctx;
};

static int read_cb(void *ctx, const struct bb_sample *s, int64_t series)
{
	struct read_ctx *r = ctx;
	(void)series;
	return r->cb(r->ctx, s);
}

int store_read_samples(struct store *st, int64_t from_ms, int64_t to_ms,
		       store_sample_fn cb, void *ctx)
{
	struct read_ctx r = { cb, ctx };
	return read_range(st, ms_to_us(from_ms), ms_to_us(to_ms), -1, read_cb,
			  &r);
}

static int cmp_newest_first(const void *a, const void *b)
{
	const struct bb_sample *x = a, *y = b;
	return (x->real_ns < y->real_ns) - (x->real_ns > y->real_ns);
}

/* Whether a series of kind was recorded (load_series' list, read again
 * once on a read-only handle: another process may have added it). */
static int has_kind(struct store *st, int kind)
{
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < st->nseries; i++)
			if (st->series[i].key.kind == kind)
				return 1;
		if (pass || !st->rdonly)
			break;
		st->nseries = 0;
		int rc = load_series(st);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int store_read_newest(struct store *st, int kind, int64_t to_ms, size_t max,
		      store_sample_fn cb, void *ctx)
{
	sqlite3_stmt *q = st->q[Q_READ_NEWEST];
	int64_t to_us = ms_to_us(to_ms);
	struct bb_sample *v = NULL;
	size_t n = 0, cap = 0;
	int rc = has_kind(st, kind), ret = 0;

	/* without one, the index would be walked back to the first block */
	if (rc <= 0 || !max)
		return rc;
	struct dblock *d = malloc(sizeof(*d));
	if (!d)
		return set_err(st, -ENOMEM, "out of memory");
	sqlite3_bind_int64(q, 1, to_us);
	sqlite3_bind_text(q, 2, sample_kind_name(kind), -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		/* blocks come by start, newest first; one that started over
		 * a span before the max-th newest kept holds nothing newer */
		if (n == max && sqlite3_column_int64(q, 3) + BLOCK_SPAN_US <
					v[max - 1].real_ns / 1000)
			break;
		bool skip;
		if ((ret = block_decode(st, q, d, &skip)) < 0)
			break;
		if (skip)
			continue;
		if (n + d->n > cap) {
			size_t nc = cap ? 2 * cap : 64;
			while (nc < n + d->n)
				nc *= 2;
			void *p = realloc(v, nc * sizeof(*v));
			if (!p) {
				ret = set_err(st, -ENOMEM, "out of memory");
				break;
			}
			v = p;
			cap = nc;
		}
		for (size_t i = 0; i < d->n; i++)
			if (d->s[i].real_ns / 1000 < to_us)
				v[n++] = d->s[i];
		qsort(v, n, sizeof(*v), cmp_newest_first);
		if (n > max)
			n = max;
	}
	if (!ret && rc != SQLITE_DONE && rc != SQLITE_ROW)
		ret = sql_fail(st, rc, "reading samples");
	sqlite3_reset(q);
	while (!ret && n)
		ret = cb(ctx, &v[--n]);
	free(v);
	free(d);
	return ret;
}

struct meas_ctx {
	struct store *st;
	store_measurement_fn cb;
	void *ctx;
};

static int meas_cb(void *ctx, const struct bb_sample *s, int64_t series)
{
	struct meas_ctx *m = ctx;
	/* block_decode found the series, so this lookup hits the cache */
	const struct series_ent *e = series_by_id(m->st, series);
	return m->cb(m->ctx, s, e ? e->key.conn : "");
}

int store_read_measurements(struct store *st, int64_t from_ms, int64_t to_ms,
			    store_measurement_fn cb, void *ctx)
{
	struct meas_ctx m = { st, cb, ctx };
	return read_range(st, ms_to_us(from_ms), ms_to_us(to_ms), -1, meas_cb,
			  &m);
}

static int64_t us_to_ms_floor(int64_t us)
{
	return us >= 0 ? us / 1000 : -((-(us + 1)) / 1000) - 1;
}

int store_time_range(struct store *st, int64_t *first_ms, int64_t *last_ms)
{
	int64_t v[2];
	for (int i = 0; i < 2; i++) {
		sqlite3_stmt *q = st->q[i ? Q_LAST : Q_FIRST];
		int rc = sqlite3_step(q);
		bool null = rc == SQLITE_ROW &&
			    sqlite3_column_type(q, 0) == SQLITE_NULL;
		v[i] = sqlite3_column_int64(q, 0);
		sqlite3_reset(q);
		if (rc != SQLITE_ROW)
			return sql_fail(st, rc, "reading the time range");
		if (null)
			return -ENOENT;
	}
	*first_ms = us_to_ms_floor(v[0]);
	*last_ms = us_to_ms_floor(v[1]);
	return 0;
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
		col_text(q, 10, ev.pattern, sizeof(ev.pattern));
		ret = cb(ctx, &ev);
		if (ret)
			break;
	}
	if (!ret && rc != SQLITE_DONE)
		ret = sql_fail(st, rc, "reading events");
	sqlite3_reset(q);
	return ret;
}

struct nosess_acc {
	int64_t series, count, first, last;
	char why[BB_DETAIL_LEN]; /* the last echo's reason, "" = silence */
};

struct nosess_ctx {
	struct nosess_acc *a;
	size_t n, cap;
	int err;
};

static int nosess_cb(void *ctx, const struct bb_sample *s, int64_t series)
{
	struct nosess_ctx *c = ctx;
	if (!(s->flags & BB_SAMPLE_NO_SESSION))
		return 0;
	int64_t ms = s->real_ns / BB_NS_PER_MS;
	const char *why = sample_no_session_why(s);
	if (!why)
		why = "";
	for (size_t i = 0; i < c->n; i++) {
		if (c->a[i].series == series) {
			c->a[i].count++;
			c->a[i].last = ms;
			snprintf(c->a[i].why, sizeof(c->a[i].why), "%.*s",
				 (int)sizeof(s->detail), why);
			return 0;
		}
	}
	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 8;
		void *p = realloc(c->a, cap * sizeof(*c->a));
		if (!p)
			return -ENOMEM;
		c->a = p;
		c->cap = cap;
	}
	c->a[c->n] = (struct nosess_acc){ series, 1, ms, ms, "" };
	snprintf(c->a[c->n].why, sizeof(c->a[c->n].why), "%.*s",
		 (int)sizeof(s->detail), why);
	c->n++;
	return 0;
}

int store_read_no_session(struct store *st, int64_t from_ms, int64_t to_ms,
			  store_nosess_fn cb, void *ctx)
{
	struct nosess_ctx c = { 0 };
	int ret = read_range(st, ms_to_us(from_ms), ms_to_us(to_ms),
			     BB_KIND_UDP_ECHO, nosess_cb, &c);
	if (ret == -ENOMEM)
		set_err(st, ret, "out of memory");
	/* by the first no-session echo, as a recording is read */
	for (size_t i = 1; i < c.n; i++)
		for (size_t j = i; j > 0 && c.a[j - 1].first > c.a[j].first;
		     j--) {
			struct nosess_acc t = c.a[j];
			c.a[j] = c.a[j - 1];
			c.a[j - 1] = t;
		}
	for (size_t i = 0; ret == 0 && i < c.n; i++) {
		const struct series_ent *e = series_by_id(st, c.a[i].series);
		if (e)
			ret = cb(ctx, e->key.interface, e->key.target,
				 e->key.server, c.a[i].count, c.a[i].first,
				 c.a[i].last, c.a[i].why);
	}
	free(c.a);
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

struct rollup_ctx {
	struct store *st;
	sqlite3_stmt *ins;
	struct agg_buf *buf;
	int64_t len, bucket;
	int *written;
};

static int rollup_cb(void *ctx, const struct bb_sample *s, int64_t series)
{
	struct rollup_ctx *c = ctx;
	struct agg_buf *buf = c->buf;
	/* traffic has two rates and no loss: not one agg row's figure */
	if (s->flags & BB_SAMPLE_UNCOUNTED || s->kind == BB_KIND_TRAFFIC)
		return 0;
	int64_t ts = s->real_ns / BB_NS_PER_MS;
	int64_t bucket = ts - ((ts % c->len) + c->len) % c->len;
	if (bucket != c->bucket && buf->n) {
		int rc = agg_flush(c->st, c->ins, c->bucket, buf, c->written);
		if (rc < 0)
			return rc;
	}
	c->bucket = bucket;
	if (buf->n == buf->cap) {
		size_t cap = buf->cap ? 2 * buf->cap : 1024;
		void *p = realloc(buf->rows, cap * sizeof(*buf->rows));
		if (!p)
			return set_err(c->st, -ENOMEM, "out of memory");
		buf->rows = p;
		buf->cap = cap;
	}
	bool rate = s->kind == BB_KIND_UPLOAD || s->kind == BB_KIND_DOWNLOAD;
	int64_t v = rate ? s->throughput_kbps : s->rtt_ns;
	struct agg_row *r = &buf->rows[buf->n++];
	r->series = series;
	r->lost = s->status != BB_STATUS_OK;
	r->has_v = !r->lost && v != BB_NONE;
	r->v = !r->has_v ? 0 : rate ? v : v / 1000; /* µs, exact */
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
	sqlite3_stmt *ins = NULL;
	if ((rc = sqlite3_prepare_v2(st->db, sql, -1, &ins, NULL)))
		return sql_fail(st, rc, "preparing the rollup");
	struct rollup_ctx c = { st, ins, buf, len, 0, written };
	buf->n = 0;
	rc = read_range(st, ms_to_us(done), ms_to_us(end), -1, rollup_cb, &c);
	if (rc == 0 && buf->n)
		rc = agg_flush(st, ins, c.bucket, buf, written);
	sqlite3_finalize(ins);
	if (rc < 0)
		return rc;
	snprintf(val, sizeof(val), "%" PRId64, end);
	return meta_set(st, key, val);
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

#define AGG_COLUMNS                                                            \
	"SELECT a.bucket_ms, a.series, e.test_type, a.count, a.lost, a.min,"   \
	" a.max, a.avg, a.p50, a.p95, a.p99, e.interface, e.target,"           \
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

/* ---- retention --------------------------------------------------------- */

/* The time (Unix ms) the rollups of table are complete up to; 0 if none. */
static int64_t rollup_until(struct store *st, const char *key)
{
	char val[32];
	return meta_get(st, key, val, sizeof(val)) == 0 ? strtoll(val, NULL, 10)
							: 0;
}

/* Raw samples go only where every rollup level that outlives them holds
 * their period: the raw cut-off, bounded by those levels' progress. */
static int64_t raw_cut(struct store *st, const struct store_purge *p)
{
	int64_t cut = p->raw_ms;
	static const char *const key[2] = { "rollup_1min_until",
					    "rollup_1hour_until" };
	const int64_t lvl[2] = { p->min1_ms, p->hour_ms };
	if (cut <= 0)
		return 0;
	for (int i = 0; i < 2; i++) {
		if (lvl[i] > 0 && lvl[i] >= cut)
			continue; /* that level goes as far: nothing to keep */
		int64_t until = rollup_until(st, key[i]);
		if (until < cut)
			cut = until;
	}
	return cut;
}

void store_purge_horizon(struct store_purge *p, int64_t now_ms, int raw_days,
			 int min1_days, int hour_days, int events_days)
{
	const int64_t day = 86400000LL;
	p->raw_ms = raw_days > 0 ? now_ms - raw_days * day : 0;
	p->min1_ms = min1_days > 0 ? now_ms - min1_days * day : 0;
	p->hour_ms = hour_days > 0 ? now_ms - hour_days * day : 0;
	p->events_ms = events_days > 0 ? now_ms - events_days * day : 0;
}

static int count_q(struct store *st, const char *sql, int64_t a, int64_t *v1,
		   int64_t *v2, int64_t *v3, int64_t *v4)
{
	sqlite3_stmt *q;
	int rc = sqlite3_prepare_v2(st->db, sql, -1, &q, NULL);
	if (rc != SQLITE_OK)
		return sql_fail(st, rc, "counting what to delete");
	sqlite3_bind_int64(q, 1, a);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		int64_t *out[4] = { v1, v2, v3, v4 };
		for (int i = 0; i < 4; i++)
			if (out[i])
				*out[i] = sqlite3_column_int64(q, i);
		rc = 0;
	} else {
		rc = sql_fail(st, rc, "counting what to delete");
	}
	sqlite3_finalize(q);
	return rc;
}

int store_purge_count(struct store *st, const struct store_purge *p,
		      struct store_purge_count *out)
{
	memset(out, 0, sizeof(*out));
	int64_t cut = raw_cut(st, p), bytes = 0;
	int rc = 0;
	out->raw_until_ms = cut;
	if (cut > 0)
		rc = count_q(
			st,
			"SELECT count(*), coalesce(sum(n), 0),"
			" coalesce(sum(nx), 0),"
			" coalesce(min(start_us) / 1000, 0) FROM blocks"
			" WHERE start_us < ?1 * 1000 AND end_us < ?1 * 1000",
			cut, &out->blocks, &out->samples, &out->extras,
			&out->first_ms);
	if (rc == 0 && p->min1_ms > 0)
		rc = count_q(st,
			     "SELECT count(*) FROM agg_1min"
			     " WHERE bucket_ms <= ?1 - 60000",
			     p->min1_ms, &out->min1, NULL, NULL, NULL);
	if (rc == 0 && p->hour_ms > 0)
		rc = count_q(st,
			     "SELECT count(*) FROM agg_1hour"
			     " WHERE bucket_ms <= ?1 - 3600000",
			     p->hour_ms, &out->hours, NULL, NULL, NULL);
	if (rc == 0 && p->events_ms > 0)
		rc = count_q(st,
			     "SELECT count(*) FROM events WHERE start_ms < ?1"
			     " AND end_ms < ?1",
			     p->events_ms, &out->events, NULL, NULL, NULL);
	/* approximate bytes: the blocks' own sizes plus a row's overhead;
	 * the rollup and event rows at their average size in this file */
	if (rc == 0 && cut > 0)
		rc = count_q(
			st,
			"SELECT coalesce(sum(64 + coalesce(length(t), 0) +"
			" coalesce(length(m), 0) + coalesce(length(q), 0)"
			" + coalesce(length(c), 0) + coalesce(length(r), 0)"
			" + coalesce(length(u), 0) + coalesce(length(d), 0)"
			" + coalesce(length(k), 0) + coalesce(length(l), 0)"
			" + coalesce(length(sp), 0) +"
			" coalesce(length(sn), 0) +"
			" coalesce(length(co), 0) + 40 * nx), 0)"
			" FROM blocks WHERE start_us < ?1 * 1000"
			" AND end_us < ?1 * 1000",
			cut, &bytes, NULL, NULL, NULL);
	if (rc < 0)
		return rc;
	/* a rollup row is ~100 bytes, an event ~300 (measured on files
	 * bench_history builds) */
	out->bytes = bytes + 100 * (out->min1 + out->hours) + 300 * out->events;
	return 0;
}

/* One DELETE of at most lim rows; *n = rows deleted. */
static int purge_exec(struct store *st, const char *sql, int64_t cut,
		      int64_t lim, int64_t *n)
{
	sqlite3_stmt *q;
	int rc = sqlite3_prepare_v2(st->db, sql, -1, &q, NULL);
	if (rc != SQLITE_OK)
		return sql_fail(st, rc, "deleting old rows");
	sqlite3_bind_int64(q, 1, cut);
	sqlite3_bind_int64(q, 2, lim);
	rc = sqlite3_step(q);
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE)
		return sql_fail(st, rc, "deleting old rows");
	*n = sqlite3_changes(st->db);
	return 0;
}

/* Up to lim blocks wholly before cut (ms), with their sample_extra rows. */
static int purge_blocks(struct store *st, int64_t cut, int64_t lim,
			struct store_purge_count *done)
{
	sqlite3_stmt *q, *x;
	int rc = sqlite3_prepare_v2(st->db,
				    "DELETE FROM blocks WHERE id IN (SELECT id"
				    " FROM blocks WHERE start_us < ?1 * 1000"
				    " AND end_us < ?1 * 1000 ORDER BY start_us"
				    " LIMIT ?2) RETURNING n, nx, id",
				    -1, &q, NULL);
	if (rc != SQLITE_OK)
		return sql_fail(st, rc, "deleting old samples");
	rc = sqlite3_prepare_v2(st->db,
				"DELETE FROM sample_extra"
				" WHERE block = ?",
				-1, &x, NULL);
	if (rc != SQLITE_OK) {
		sqlite3_finalize(q);
		return sql_fail(st, rc, "deleting old samples");
	}
	sqlite3_bind_int64(q, 1, cut);
	sqlite3_bind_int64(q, 2, lim);
	/* RETURNING rows are all computed before the first comes back, so
	 * deleting from another table meanwhile is fine */
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		done->blocks++;
		done->samples += sqlite3_column_int64(q, 0);
		if (sqlite3_column_int64(q, 1) == 0)
			continue;
		sqlite3_bind_int64(x, 1, sqlite3_column_int64(q, 2));
		int xr = sqlite3_step(x);
		sqlite3_reset(x);
		if (xr != SQLITE_DONE) {
			rc = xr;
			break;
		}
		done->extras += sqlite3_changes(st->db);
	}
	sqlite3_finalize(x);
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? 0 : sql_fail(st, rc, "deleting old samples");
}

int store_purge_step(struct store *st, const struct store_purge *p,
		     int max_rows, struct store_purge_count *done)
{
	if (st->rdonly)
		return set_err(st, -EROFS, "opened read-only");
	if (max_rows < 1)
		max_rows = 1;
	int rc = step_simple(st, Q_BEGIN, "starting a cleanup");
	if (rc < 0)
		return rc;
	int64_t left = max_rows, n = 0;
	struct store_purge_count d = { 0 };
	int64_t cut = raw_cut(st, p);
	d.raw_until_ms = cut;
	if (cut > 0) {
		/* a block's extras count against the budget: ~1 in 8 */
		rc = purge_blocks(st, cut, left, &d);
		left -= d.blocks + d.extras;
		char old[32], val[32];
		if (rc == 0 && d.blocks &&
		    (meta_get(st, "raw_deleted_before", old, sizeof(old)) ||
		     strtoll(old, NULL, 10) < cut)) {
			snprintf(val, sizeof(val), "%" PRId64, cut);
			rc = meta_set(st, "raw_deleted_before", val);
		}
	}
	if (rc == 0 && left > 0 && cut > 0) {
		/* the path probe's rows go with the raw samples (not counted
		 * in done: a later step takes the rest) */
		rc = purge_exec(st,
				"DELETE FROM hops WHERE rowid IN (SELECT rowid"
				" FROM hops WHERE time_ms < ?1"
				" ORDER BY time_ms LIMIT ?2)",
				cut, left, &n);
		left -= n;
	}
	if (rc == 0 && left > 0 && p->min1_ms > 0) {
		rc = purge_exec(st,
				"DELETE FROM agg_1min WHERE (bucket_ms, series)"
				" IN (SELECT bucket_ms, series FROM agg_1min"
				" WHERE bucket_ms <= ?1 - 60000"
				" ORDER BY bucket_ms LIMIT ?2)",
				p->min1_ms, left, &n);
		d.min1 = n;
		left -= n;
	}
	if (rc == 0 && left > 0 && p->hour_ms > 0) {
		rc = purge_exec(
			st,
			"DELETE FROM agg_1hour WHERE (bucket_ms, series)"
			" IN (SELECT bucket_ms, series FROM agg_1hour"
			" WHERE bucket_ms <= ?1 - 3600000"
			" ORDER BY bucket_ms LIMIT ?2)",
			p->hour_ms, left, &n);
		d.hours = n;
		left -= n;
	}
	if (rc == 0 && left > 0 && p->events_ms > 0) {
		rc = purge_exec(st,
				"DELETE FROM events WHERE id IN (SELECT id"
				" FROM events WHERE start_ms < ?1 AND"
				" end_ms < ?1 ORDER BY start_ms LIMIT ?2)",
				p->events_ms, left, &n);
		d.events = n;
		left -= n;
	}
	if (rc == 0)
		rc = step_simple(st, Q_COMMIT, "committing a cleanup");
	if (rc < 0) {
		char keep[sizeof(st->error)];
		memcpy(keep, st->error, sizeof(keep));
		if (!sqlite3_get_autocommit(st->db))
			step_simple(st, Q_ROLLBACK, "rolling back");
		memcpy(st->error, keep, sizeof(keep));
		return rc;
	}
	if (done) {
		done->blocks += d.blocks;
		done->samples += d.samples;
		done->extras += d.extras;
		done->min1 += d.min1;
		done->hours += d.hours;
		done->events += d.events;
		done->raw_until_ms = cut;
	}
	/* the budget ran out: there may be more */
	return left <= 0 ? 1 : 0;
}

int store_reclaim(struct store *st, int max_pages, int64_t *free_bytes)
{
	int64_t mode = 0, before = 0, after = 0, page = 0;
	int rc = query_int(st, "PRAGMA auto_vacuum", &mode, NULL);
	if (rc == 0)
		rc = query_int(st, "PRAGMA freelist_count", &before, NULL);
	if (rc == 0)
		rc = query_int(st, "PRAGMA page_size", &page, NULL);
	if (rc < 0)
		return rc;
	after = before;
	if (mode == 2 && before > 0 && !st->rdonly) {
		char sql[64];
		snprintf(sql, sizeof(sql), "PRAGMA incremental_vacuum(%d)",
			 max_pages > 0 ? max_pages : 1);
		if ((rc = exec(st, sql, "giving free pages back")) < 0 ||
		    (rc = query_int(st, "PRAGMA freelist_count", &after,
				    NULL)) < 0)
			return rc;
	}
	if (free_bytes)
		*free_bytes = after * page;
	return (int)(before - after);
}

int store_auto_vacuum(struct store *st)
{
	int64_t mode = 0;
	int rc = query_int(st, "PRAGMA auto_vacuum", &mode, NULL);
	return rc < 0 ? rc : (int)mode;
}
