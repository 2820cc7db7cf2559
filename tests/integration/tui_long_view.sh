#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The drilldown's long views in replay of a generated week (tests/bench/
# bbgen: cable-like delays, +20 ms every evening 18-24 UTC, an hour off
# each day), read from the database's rollups: L shows the last 24 h as a
# smoke plot whose median line sits at two levels (day and evening), L
# again the last 7 days, L again the hour-of-day heatmap, where every
# evening hour (19-22 h) is drawn with another glyph than every night hour
# (02-05 h) and the words name evening hours as the slowest; L once more
# goes back to the plot.  TZ=UTC, so local hours are bbgen's.
# Live, the rows come from the storage thread: a database of 127.0.0.1
# with 7 days of synthetic 1-minute rollups (15 ms, 35 ms 18-24 h) shows
# the same heatmap while the monitor probes.
. "$(dirname "$0")/../lib/common.sh"
bb_sandbox "$@"
bb_tmpdir
. "$BB_TOP/tests/lib/tui.sh"
set -u
trap 'tui_stop; rm -rf "$BB_TMP"' EXIT
command -v tmux >/dev/null || skip "tmux is not installed"
GEN=$BB_TOP/${BB_BUILD:-build}/bench/bbgen
[ -x "$GEN" ] || fail "$GEN is missing (make ${BB_BUILD:-build}/bench/bbgen)"

# heat_check: the heatmap on screen draws evening hours (19-22 h) with
# other glyphs than night hours (02-05 h), names evening hours the slowest.
heat_check() {
	tui_screen >"$BB_TMP/heat.txt"
	sed -n 4,16p "$BB_TMP/heat.txt"
	/usr/bin/python3 - "$BB_TMP/heat.txt" <<-'PY' || fail "the heatmap draws evenings like nights"
	import re, sys
	rows = [l for l in open(sys.argv[1], encoding="utf-8").read().split("\n")
	        if re.match(r"^ (Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d\d ", l)]
	night, eve = set(), set()
	for l in rows:
	    for h in range(24):
	        c = l[9 + 4 * h:9 + 4 * h + 1] if len(l) > 9 + 4 * h else ""
	        if c.strip() == "":
	            continue                    # the hour the monitor was off
	        if 2 <= h <= 5:
	            night.add(c)
	        elif 19 <= h <= 22:
	            eve.add(c)
	print("day rows:", len(rows), "night glyphs:", night, "evening glyphs:", eve)
	assert len(rows) >= 7, "fewer than 7 day rows"
	assert night and eve, "no night or no evening cells"
	assert not (night & eve), "a glyph drawn at night and in the evening"
PY
	line=$(grep -m1 'slowest hours' "$BB_TMP/heat.txt")
	echo "$line"
	echo "$line" | grep -qE 'slowest hours (1[89]|2[0-3]), (1[89]|2[0-3]), (1[89]|2[0-3]) h' ||
		fail "the slowest hours are not evening hours: $line"
}

db=$BB_TMP/week.db
"$GEN" -o "$db" --days 7 --interval-ms 10000 --seed 7 >"$BB_TMP/man.json" 2>"$BB_TMP/gen.err" ||
	{ cat "$BB_TMP/gen.err"; fail "bbgen failed"; }

tui_start 120 40 env TZ=UTC "$BB_BIN" --replay "$db"
tui_wait 'REPLAY'
tui_keys G
tui_wait '^gateway '
tui_wait '^198\.18\.0\.11 '
# the first row's drilldown beyond the gateway (whose evenings are not
# congested: the line beyond it is), whichever target it is
for _ in $(seq 6); do
	tui_keys Enter
	tui_wait '^─ [^ ]+  icmp via (eth0|wlan0)'
	tui_screen | grep -qE '^─ [0-9.]+  icmp via' && break
	tui_keys Escape
	tui_wait '▸ Targets'
	tui_keys j
done
tui_wait '^─ [0-9.]+  icmp via (eth0|wlan0)'
target=$(tui_screen | grep -oE -m1 '^─ [0-9.]+  icmp via [a-z0-9]+' | cut -c5-)
echo "drilldown: $target"

# 24 h: the median glyph (━) on two rows at least 5 rows apart (20 ms on
# a scale of 25 or 50 ms over ~27 rows), each across many columns.
tui_keys L
tui_wait 'last 24 h'
tui_wait '^ median [0-9.]+ ms'
levels=$(tui_screen | awk '{ n = gsub(/━/, "━"); if (n >= 10) print NR }')
echo "24 h median rows: $(echo $levels)"
[ "$(echo "$levels" | wc -l)" -ge 2 ] || { tui_screen; fail "24 h: the median is on fewer than 2 rows"; }
[ $(($(echo "$levels" | tail -1) - $(echo "$levels" | head -1))) -ge 5 ] ||
	{ tui_screen; fail "24 h: the evening median is not above the night's"; }
# (the strip starts with a tick mark ┼ when the first column falls on one:
# at 06:00 UTC, as in one CI run)
tui_wait 'loss +(┼)?▄'
tui_wait '18:00'

# 7 days: day labels on the time axis
tui_keys L
tui_wait 'last 7 days'
tui_wait '^ median [0-9.]+ ms'
[ "$(tui_screen | grep -cE '(Mon|Tue|Wed|Thu|Fri|Sat|Sun) [0-9]{2}')" -ge 1 ] ||
	{ tui_screen; fail "7 d: no day on the time axis"; }

# The heatmap: a row per day, cells 4 columns wide from column 10 (1-based)
tui_keys L
tui_wait 'median RTT by hour of day'
tui_wait 'slowest hours'
heat_check
tui_keys L
tui_wait "^─ ${target//./\\.}"
tui_keys q
[ "$(tui_exit_code)" = 0 ] || fail "q did not exit 0"
tui_stop

# Live: 7 days of rollups for 127.0.0.1, read by the storage thread.
rm -f "$BB_TMP/rc"
bb_write_config "$BB_TMP/bb.conf"
live=$BB_TMP/live.db
"$BB_BIN" -d -c "$BB_TMP/bb.conf" --db "$live" -t 127.0.0.1 --interval 200 \
	--duration 2 >"$BB_TMP/rec.out" 2>&1 || { cat "$BB_TMP/rec.out"; fail "recording failed"; }
sid=$(sql "$live" "SELECT id FROM series WHERE target = '127.0.0.1' AND test_type = 'icmp'")
[ -n "$sid" ] || fail "no series for 127.0.0.1"
sql "$live" "
WITH RECURSIVE k(n) AS (SELECT 120 UNION ALL SELECT n + 1 FROM k WHERE n < 7 * 1440),
b(ms) AS (SELECT (CAST(strftime('%s','now') AS INTEGER) / 60 - n) * 60000 FROM k),
v(ms, r) AS (SELECT ms, CASE WHEN (ms / 3600000) % 24 >= 18 THEN 35.0 ELSE 15.0 END FROM b)
INSERT INTO agg_1min(bucket_ms, series, interface, connection_type, test_type,
  target, server_name, unit, count, lost, min, max, avg, p50, p95, p99)
SELECT ms, $sid, interface, connection_type, test_type, target, server_name, 'ms',
  300, 0, r - 1, r + 4, r, r, r + 2, r + 3
FROM v, series WHERE series.id = $sid;" || fail "writing the rollups"
tui_start 120 40 env TZ=UTC "$BB_BIN" -c "$BB_TMP/bb.conf" --db "$live" -t 127.0.0.1 --interval 200
tui_wait 'bufferbane +LIVE'
tui_wait '^127\.0\.0\.1 .* [0-9]+\.[0-9]+ '
tui_keys Enter
tui_wait '^─ 127\.0\.0\.1  icmp'
tui_keys L L L
tui_wait 'median RTT by hour of day'
tui_wait 'slowest hours'
heat_check
tui_keys q
[ "$(tui_exit_code)" = 0 ] || fail "live: q did not exit 0"
echo "long views: 24 h and 7 d smoke, evenings apart from nights in the heatmap"
