#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# What the commands say about a period whose raw samples are gone: a bbgen
# database of two days (fixed end, TZ=UTC), `cleanup --before` the second
# day with --keep-aggregations (the preview and the result say the events
# stay; `stats` of the first day still lists its critical micro_disconnect
# beside the rollups), then `export` of the first day: no rows, exit 0 and
# one note on stderr naming the date the raw samples begin (the rollups
# remain), and after a cleanup without --keep-aggregations a note that no
# rollup remains.
. "$(dirname "$0")/../lib/common.sh"
bb_tmpdir
set -u
command -v sqlite3 >/dev/null || fail "sqlite3 is missing (make deps)"
export TZ=UTC

db=$BB_TMP/gen.db
# 2024-03-29 12:00 to 03-31 12:00 UTC, rolled up to its end
bb_gen "$db" --days 2 --seed 1 --interval-ms 10000 --end 1711886400 >/dev/null
cp "$db" "$BB_TMP/plain.db"
D0='2024-03-29 12:00' D1='2024-03-30 12:00' H='2024-03-30 00:00'
d1_ms=1711800000000
ev_old=$(sql "$db" "SELECT count(*) FROM events WHERE end_ms < $d1_ms")
md=$(sql "$db" "SELECT count(*) FROM events WHERE kind = 'micro_disconnect'
	AND severity = 'critical' AND end_ms < $d1_ms")
[ "$ev_old" -ge 3 ] && [ "$md" -eq 1 ] ||
	fail "bbgen's first day holds $ev_old events, $md critical micro_disconnect"

# --- help and preview say the events stay -------------------------------------
"$BB_BIN" cleanup --help >"$BB_TMP/help" || fail "cleanup --help exited $?"
grep -q -- '--keep-aggregations  keep the rollups and the events' "$BB_TMP/help" ||
	{ cat "$BB_TMP/help"; fail "cleanup --help does not say the events stay"; }
"$BB_BIN" cleanup --before "$D1" --db "$db" --keep-aggregations --yes \
	>"$BB_TMP/k.out" 2>&1 || { cat "$BB_TMP/k.out"; fail "cleanup exited $?"; }
cat "$BB_TMP/k.out"
grep -q '^  events          kept (--keep-aggregations)$' "$BB_TMP/k.out" ||
	fail "the preview does not say the events stay"
grep -Eq '^Deleted [1-9][0-9]* raw samples, 0 1-min and 0 1-hour rollup rows, 0 events;' \
	"$BB_TMP/k.out" || fail "the result line"
[ "$(sql "$db" "SELECT count(*) FROM events WHERE end_ms < $d1_ms")" -eq "$ev_old" ] ||
	fail "--keep-aggregations deleted events"
[ "$(sql "$db" "SELECT value FROM meta WHERE key = 'raw_deleted_before'")" -eq "$d1_ms" ] ||
	fail "raw_deleted_before is not $d1_ms"

# --- stats of the purged day still shows its events ----------------------------
"$BB_BIN" stats --db "$db" --start "$D0" --end "$D1" >"$BB_TMP/s.out" 2>&1 ||
	{ cat "$BB_TMP/s.out"; fail "stats exited $?"; }
grep -q 'come from the hourly rollups' "$BB_TMP/s.out" ||
	{ cat "$BB_TMP/s.out"; fail "stats did not use the rollups"; }
grep -q "^Events: $ev_old (critical 1," "$BB_TMP/s.out" ||
	{ cat "$BB_TMP/s.out"; fail "stats does not count the $ev_old events"; }
grep -Eq '^  [0-9: -]+ +4\.0 s critical micro_disconnect ' "$BB_TMP/s.out" ||
	{ cat "$BB_TMP/s.out"; fail "stats lost the critical micro_disconnect"; }

# --- export of the purged part: [] and one note, exit 0 ------------------------
exp() { # exp NAME DB ARGS...
	local name=$1 d=$2; shift 2
	"$BB_BIN" export --db "$d" "$@" >"$BB_TMP/$name.out" 2>"$BB_TMP/$name.err"
	local rc=$?
	[ $rc -eq 0 ] || { cat "$BB_TMP/$name.err"; fail "$name: export exited $rc"; }
}
exp e1 "$db" --format json --start "$D0" --end "$H"
[ "$(cat "$BB_TMP/e1.out")" = "[]" ] || fail "e1: not []"
cat "$BB_TMP/e1.err"
[ "$(wc -l <"$BB_TMP/e1.err")" -eq 1 ] &&
	grep -qx "bufferbane export: raw samples before 2024-03-30 12:00:00 were deleted (retention or cleanup); the rollups remain: see bufferbane stats" \
		"$BB_TMP/e1.err" || fail "e1: not the one note on stderr"
# a period that starts after the cut: no note
exp e2 "$db" --format csv --start "2024-03-31 00:00" --end "2024-03-31 01:00"
[ "$(wc -l <"$BB_TMP/e2.out")" -gt 100 ] || fail "e2: the rows after the cut are missing"
[ ! -s "$BB_TMP/e2.err" ] || { cat "$BB_TMP/e2.err"; fail "e2: a note for a whole period"; }
# the plain database before any cleanup: no note
exp e3 "$BB_TMP/plain.db" --format csv --start "$D0" --end "$H"
[ ! -s "$BB_TMP/e3.err" ] || { cat "$BB_TMP/e3.err"; fail "e3: a note before any cleanup"; }
# cleanup without --keep-aggregations: the events and rollups go, and the
# note does not promise rollups
"$BB_BIN" cleanup --before "$D1" --db "$BB_TMP/plain.db" --yes >"$BB_TMP/p.out" 2>&1 ||
	{ cat "$BB_TMP/p.out"; fail "plain cleanup exited $?"; }
grep -q "^Deleted [1-9][0-9]* raw samples, [1-9][0-9]* 1-min and [1-9][0-9]* 1-hour rollup rows, $ev_old events;" \
	"$BB_TMP/p.out" || { cat "$BB_TMP/p.out"; fail "plain cleanup: the result line"; }
exp e4 "$BB_TMP/plain.db" --format json --start "$D0" --end "$H"
[ "$(wc -l <"$BB_TMP/e4.err")" -eq 1 ] &&
	grep -q "raw samples before 2024-03-30 12:00:00 were deleted (retention or cleanup); no hourly rollup of them remains" \
		"$BB_TMP/e4.err" || { cat "$BB_TMP/e4.err"; fail "e4: not the note"; }
echo PASS
