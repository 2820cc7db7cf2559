#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bufferbane --replay in tmux: record a few seconds with -d (127.0.0.2
# dropped by nft inside the sandbox, so the recording holds a packet_loss
# event), then replay it: the REPLAY header and clock, the timeline,
# g/G, stepping, [ and ] to the event, the same views, q exits 0.
. "$(dirname "$0")/../lib/common.sh"
bb_sandbox "$@"
bb_tmpdir
. "$BB_TOP/tests/lib/tui.sh"
set -u
trap 'tui_stop; rm -rf "$BB_TMP"' EXIT
command -v tmux >/dev/null || skip "tmux is not installed"
tui_drop_icmp 127.0.0.2 || skip "needs root and nft inside the sandbox for a loss event"

bb_write_config "$BB_TMP/bb.conf"
db=$BB_TMP/rec.db
"$BB_BIN" -d -c "$BB_TMP/bb.conf" --db "$db" -t 127.0.0.1 -t 127.0.0.2 \
	--interval 100 --duration 6 >"$BB_TMP/rec.out" 2>&1
ev=$(sql "$db" "SELECT count(*) FROM events WHERE kind='packet_loss'")
[ "$ev" -ge 1 ] || { cat "$BB_TMP/rec.out"; fail "the recording has no packet_loss event"; }

# a bad file: one clear line, exit 2
"$BB_BIN" --replay "$BB_TMP/nope.db" </dev/null >/dev/null 2>"$BB_TMP/e"
[ $? -ne 0 ] || fail "--replay of a missing file exited 0"

tui_start 120 40 "$BB_BIN" --replay "$db"
tui_wait 'REPLAY' 15
tui_wait 'space play/pause'
clock() { tui_line 'REPLAY' | grep -Eo '[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8}'; }

tui_keys g
tui_wait 'REPLAY (paused|▶)'
c0=$(clock)
tui_keys G
for _ in $(seq 50); do [ "$(clock)" != "$c0" ] && break; sleep 0.1; done
c1=$(clock)
[ "$c1" \> "$c0" ] || fail "G did not move the clock ($c0 -> $c1)"
tui_wait '^127\.0\.0\.1 '
tui_wait '^127\.0\.0\.2 .*×'

# back to the start, then ] jumps to the packet_loss event
tui_keys g
for _ in $(seq 50); do [ "$(clock)" = "$c0" ] && break; sleep 0.1; done
[ "$(clock)" = "$c0" ] || fail "g did not go back to the start"
tui_keys ']'
tui_wait 'At this moment: .*packet_loss' 10
tui_wait 'packet_loss +127\.0\.0\.2'
ce=$(clock)
[ "$ce" \> "$c0" ] || [ "$ce" = "$c0" ] || fail "] went backwards"
tui_keys '['
tui_wait 'No earlier event|At this moment' 5

# step forward at 1x: the clock moves by about a second
tui_keys - - - - - - - - - -
tui_wait 'REPLAY .* 1×'
cs=$(clock)
tui_keys Right
for _ in $(seq 50); do [ "$(clock)" != "$cs" ] && break; sleep 0.1; done
[ "$(clock)" \> "$cs" ] || fail "Right did not step forward ($cs)"

# the same views work on the recording
tui_keys Enter
tui_wait 'icmp via the default route'
tui_keys 3
tui_wait 'Events: [1-9][0-9]* of'
tui_keys 1
tui_wait '▸ Targets'

tui_keys q
rc=$(tui_exit_code 15)
[ "$rc" = 0 ] || { tui_screen; cat "$BB_TMP/stderr"; fail "exit status $rc"; }
tui_wait 'EXIT=0'
! grep -E 'Sanitizer|runtime error' "$BB_TMP/stderr" || fail "sanitizer report"
echo "ok: start $c0, end $c1, event at $ce"
exit 0
