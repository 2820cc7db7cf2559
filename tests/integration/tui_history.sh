#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The drilldown's 24 h window reads the database's 1-minute rollups, in
# replay (directly) and live (through the storage thread): a recording of
# 127.0.0.1 gets 18 hours of synthetic agg_1min history in which the
# minutes 10 h ago lost probes; the 24 h window says it shows the rollups
# and its loss timeline marks that episode where the time axis puts it
# (14/24 of the way from the left), while the 1 min window of the same
# clean target shows no loss.  Without a database it says so.
. "$(dirname "$0")/../lib/common.sh"
bb_sandbox "$@"
bb_tmpdir
. "$BB_TOP/tests/lib/tui.sh"
set -u
trap 'tui_stop; rm -rf "$BB_TMP"' EXIT
command -v tmux >/dev/null || skip "tmux is not installed"

bb_write_config "$BB_TMP/bb.conf"
db=$BB_TMP/h.db
"$BB_BIN" -d -c "$BB_TMP/bb.conf" --db "$db" -t 127.0.0.1 --interval 200 \
	--duration 2 >"$BB_TMP/rec.out" 2>&1 || { cat "$BB_TMP/rec.out"; fail "recording failed"; }
sid=$(sql "$db" "SELECT id FROM series WHERE target = '127.0.0.1' AND test_type = 'icmp'")
[ -n "$sid" ] || fail "no series for 127.0.0.1"
# minutes now-20h .. now-2h: 15 ms worst; now-10h .. now-9h30: 5 of 300 lost
sql "$db" "
WITH RECURSIVE k(n) AS (SELECT 120 UNION ALL SELECT n + 1 FROM k WHERE n < 1200),
b(ms, n) AS (SELECT (CAST(strftime('%s','now') AS INTEGER) / 60 - n) * 60000, n FROM k)
INSERT INTO agg_1min(bucket_ms, series, interface, connection_type, test_type,
  target, server_name, unit, count, lost, min, max, avg, p50, p95, p99)
SELECT ms, $sid, interface, connection_type, test_type, target, server_name, 'ms',
  300, CASE WHEN n BETWEEN 571 AND 600 THEN 5 ELSE 0 END, 0.05, 15, 0.1, 0.1, 0.2, 0.3
FROM b, series WHERE series.id = $sid;" || fail "writing the history"

# The column of the first loss mark on the loss timeline, as a fraction of
# the timeline (it starts at column 16 and is width - 18 cells wide).
loss_at() {
	tui_line 'Loss timeline' | /usr/bin/python3 -c '
import sys
line = sys.stdin.read().rstrip("\n")
w = int(sys.argv[1]); tw = w - 18
cols = [i for i, ch in enumerate(line) if ch in "×!"]
print("none" if not cols else "%.3f %d" % ((cols[0] - 16) / tw, len(cols)))' "$1"
}
# full_loss_columns: plot columns lit from the top row to the bottom one.
# The episode's minutes lost 5 of 300 probes each: a loss bar at the
# bottom under their worst delay, never the whole column (that hid the
# minute's delay and drew every lossy minute as a wall).
full_loss_columns() {
	tui_screen | /usr/bin/python3 -c '
import sys
lines = sys.stdin.read().split("\n")
top = next(i for i, l in enumerate(lines) if "window 24 h" in l) + 1
end = next(i for i in range(top, len(lines)) if "\u2514" in lines[i])
rows = []
for l in lines[top:end]:
    cut = max(l.find("\u2524"), l.find("\u2502"))
    rows.append(l[cut + 1:] if cut >= 0 else "")
lit = lambda ch: 0x2801 <= ord(ch) <= 0x28ff
w = min(len(r) for r in rows)
print(sum(all(lit(r[c]) for r in rows) for c in range(w)), len(rows))'
}
# expect_episode W: the episode sits at 14/24 = 0.583 (+- 2 cells)
expect_episode() {
	local at
	at=$(loss_at "$1")
	echo "loss marks: $at"
	/usr/bin/python3 -c "import sys; f=float('$at'.split()[0]) if '$at' != 'none' else -1; sys.exit(0 if abs(f - 14/24) <= 2/($1-18) + 0.01 else 1)" ||
		{ tui_screen; fail "the loss episode is at '$at', not at 0.583 of the timeline"; }
}

# Replay: the end of the recording, drilldown, w w w -> 24 h (from 1 min).
tui_start 120 40 "$BB_BIN" --replay "$db"
tui_wait 'REPLAY'
tui_keys G
tui_wait '^127\.0\.0\.1 '
tui_keys Enter
tui_wait 'window 1 min' # 2 s of probes: the window that holds them
[ "$(loss_at 120)" = none ] || fail "replay: the 1 min window shows loss"
tui_keys w w w
tui_wait 'window 24 h \(1-min rollups\)'
tui_wait 'Worst RTT per minute, 24 h'
expect_episode 120
full=$(full_loss_columns)
echo "plot columns lit top to bottom, plot rows: $full"
[ "${full%% *}" = 0 ] || { tui_screen; fail "replay: a minute that lost 5 of 300 probes is drawn as a full loss column"; }
tui_keys q
[ "$(tui_exit_code)" = 0 ] || fail "replay: q did not exit 0"
tui_stop

# Live: the same database, the answer comes from the storage thread.
rm -f "$BB_TMP/rc"
tui_start 120 40 "$BB_BIN" -c "$BB_TMP/bb.conf" --db "$db" -t 127.0.0.1 --interval 200
tui_wait 'bufferbane +LIVE'
tui_wait '^127\.0\.0\.1 .* [0-9]+\.[0-9]+ '
tui_keys Enter
tui_wait 'window (1 min|10 min) '
if tui_screen | grep -q 'window 1 min '; then tui_keys w w w; else tui_keys w w; fi
tui_wait 'window 24 h \(1-min rollups\)'
expect_episode 120
tui_keys q
[ "$(tui_exit_code)" = 0 ] || fail "live: q did not exit 0"
tui_stop

# Live without a database: it says what the 24 h window shows instead.
rm -f "$BB_TMP/rc"
tui_start 120 40 "$BB_BIN" -c "$BB_TMP/bb.conf" --no-db -t 127.0.0.1 --interval 200
tui_wait '^127\.0\.0\.1 .* [0-9]+\.[0-9]+ '
tui_keys Enter
tui_wait 'window (1 min|10 min) '
if tui_screen | grep -q 'window 1 min '; then tui_keys w w w; else tui_keys w w; fi
tui_wait "window 24 h \(no database: the model's last hour\)"
tui_keys q
[ "$(tui_exit_code)" = 0 ] || fail "--no-db: q did not exit 0"
echo "24 h window: rollups in replay and live, episode placed on the time axis"
