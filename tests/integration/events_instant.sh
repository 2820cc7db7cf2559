#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Events of an instant (start == end: a bufferbloat test's result, a
# gateway_change) have no length: stats, report and events show "-" for
# them and the verdict says no "the longest ..." of their kind, while the
# events with a length keep theirs.  A bbgen database of two days (fixed
# end, TZ=UTC) with a gateway_change added.
. "$(dirname "$0")/../lib/common.sh"
bb_tmpdir
set -u
command -v sqlite3 >/dev/null || fail "sqlite3 is missing (make deps)"
export TZ=UTC

db=$BB_TMP/gen.db
bb_gen "$db" --days 2 --seed 1 --interval-ms 10000 --end 1711886400 >/dev/null
# 2024-03-29 18:00:00 UTC
sqlite3 "$db" "INSERT INTO events(start_ms, end_ms, kind, severity, description)
	VALUES(1711735200000, 1711735200000, 'gateway_change', 'info',
	'Gateway moved.')" || fail "adding a gateway_change"
P=(--db "$db" --start "2024-03-29 12:00" --end "2024-03-30 12:00")
[ "$(sql "$db" "SELECT count(*) FROM events WHERE start_ms >= 1711713600000
	AND start_ms < 1711800000000 AND kind = 'bufferbloat'
	AND end_ms = start_ms")" -eq 1 ] || fail "bbgen's first day: not one bufferbloat instant"

"$BB_BIN" stats "${P[@]}" >"$BB_TMP/s.out" 2>&1 || { cat "$BB_TMP/s.out"; fail "stats exited $?"; }
sed -n '/^Verdict/p;/^Events/,$p' "$BB_TMP/s.out"
v=$(grep '^Verdict' "$BB_TMP/s.out")
grep -q '1 bufferbloat event; ' <<<"$v" || fail "verdict: '1 bufferbloat event;' alone"
grep -q 'longest 0\.0 s' <<<"$v" && fail "verdict: a length for an instant"
grep -q '2 packet_loss events (2 burst), the longest 57 s on 2024-03-29 21:38' <<<"$v" ||
	fail "verdict: the length of the packet_loss events is lost"
grep -Eqx '  bufferbloat +1  critical 0, warning 1, info 0' "$BB_TMP/s.out" ||
	fail "stats: the bufferbloat line"
grep -Eqx '  gateway_change +1  critical 0, warning 0, info 1' "$BB_TMP/s.out" ||
	fail "stats: the gateway_change line"
grep -Eqx '  micro_disconnect +1  critical 1, warning 0, info 0; longest 4\.0 s' "$BB_TMP/s.out" ||
	fail "stats: the micro_disconnect line lost its length"
grep -Eq '^  2024-03-29 20:30:10 +- warning  bufferbloat ' "$BB_TMP/s.out" ||
	fail "stats: the worst list gives the bufferbloat instant a length"
grep -q '0\.0 s' "$BB_TMP/s.out" && fail "stats: 0.0 s somewhere"

"$BB_BIN" report "${P[@]}" -o "$BB_TMP/r.md" >/dev/null 2>&1 || fail "report exited $?"
grep -qx '| bufferbloat | 1 | 0 | 1 | 0 | - |' "$BB_TMP/r.md" ||
	{ grep '^| ' "$BB_TMP/r.md"; fail "report: the bufferbloat kind row"; }
grep -qx '| gateway\\_change | 1 | 0 | 0 | 1 | - |' "$BB_TMP/r.md" ||
	{ grep '^| ' "$BB_TMP/r.md"; fail "report: the gateway_change kind row"; }
grep -qx '| micro\\_disconnect | 1 | 1 | 0 | 0 | 4.0 s |' "$BB_TMP/r.md" ||
	fail "report: the micro_disconnect row lost its length"
grep -q '^| 2024-03-29 18:00:00 | - | info | gateway\\_change |' "$BB_TMP/r.md" ||
	fail "report: the gateway_change event's duration"
grep -q '0\.0 s' "$BB_TMP/r.md" && fail "report: 0.0 s somewhere"

"$BB_BIN" events "${P[@]}" >"$BB_TMP/e.out" 2>&1 || { cat "$BB_TMP/e.out"; fail "events exited $?"; }
cat "$BB_TMP/e.out"
grep -Eq '^2024-03-29 20:30:10  20:30:10 +-   warning   bufferbloat ' "$BB_TMP/e.out" ||
	fail "events: the bufferbloat instant's duration"
grep -Eq '^2024-03-29 18:00:00  18:00:00 +-   info      gateway_change ' "$BB_TMP/e.out" ||
	fail "events: the gateway_change instant's duration"
grep -Eq '^2024-03-30 00:01:35  00:01:39 +4\.0 s   critical  micro_disconnect ' "$BB_TMP/e.out" ||
	fail "events: the micro_disconnect lost its length"
grep -q '0\.0 s' "$BB_TMP/e.out" && fail "events: 0.0 s somewhere"
# a header names the columns, and the kinds and places line up under it
head -1 "$BB_TMP/e.out" | grep -Eq '^start +end +length +severity +kind +where +what happened$' ||
	fail "events: no header line over the rows"
col() { awk -v w="$2" 'index($0, w) { print index($0, w); exit }' "$1"; }
hk=$(head -1 "$BB_TMP/e.out" | awk '{ print index($0, "kind") }')
hw=$(head -1 "$BB_TMP/e.out" | awk '{ print index($0, "where") }')
rk=$(col "$BB_TMP/e.out" ' bufferbloat ')
rw=$(awk 'index($0, " micro_disconnect ") { print index($0, " eth0"); exit }' "$BB_TMP/e.out")
[ "$hk" = $((rk + 1)) ] || fail "events: the kind column ($rk) is not under its title ($hk)"
[ "$hw" = $((rw + 1)) ] || fail "events: the place column ($rw) is not under its title ($hw)"
echo PASS
