#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bufferbane --replay in tmux: record a few seconds with -d (127.0.0.2
# dropped by nft inside the sandbox, so the recording holds a packet_loss
# event), then replay it.  The first screen, before any key, shows the
# recording: target rows with figures at the worst event, the speed picked
# for a 6 s recording (1x, "auto"), and Left/Right move the clock by one
# probe interval (100 ms).  Then the timeline, g/G, [ and ] to the event,
# the same views, q exits 0.  A recording with a companion server (the real
# bufferbane-server on 127.0.0.1) opens on its echo row and never says "no
# server configured", not even at its first instant.
. "$(dirname "$0")/../lib/common.sh"
bb_sandbox "$@"
bb_tmpdir
. "$BB_TOP/tests/lib/tui.sh"
set -u
SRV_PID=
trap 'tui_stop; tui_server_stop; rm -rf "$BB_TMP"' EXIT
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

# The clock in the header, to the millisecond when the step is not whole
# seconds; clock_ms: the same as Unix ms.
clock() { tui_line 'REPLAY' | grep -Eo '[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8}(\.[0-9]{3})?'; }
clock_ms() { local c; c=$(clock) && [ -n "$c" ] && date -d "$c" +%s%3N; }

tui_start 120 40 "$BB_BIN" --replay "$db"
tui_wait 'REPLAY'

# The first screen, no key pressed: the recording is on it.
tui_wait '^127\.0\.0\.1 .* [0-9]+\.[0-9]+ '
tui_wait '^127\.0\.0\.2 .*×'
tui_screen | grep -q 'Waiting for the first samples' &&
	{ tui_screen; fail "the first screen waits for samples"; }
# in the worst event (the recording's only kind: packet_loss), open there
tui_wait 'Opened in the worst event \(packet_loss, critical\)'
# the verdict is the detectors' own, run over the recording (live's words,
# not a list of the events open at the clock)
tui_wait '^ ● Routing trouble to 127\.0\.0\.2: 100\.0 % loss'
tui_screen | grep -q 'At this moment' && { tui_screen; fail "the replay writes its own verdict"; }
# 6 s of recording: 1x plays it in real time, and the header says it is
# the speed picked for it
tui_wait 'REPLAY paused 1× auto +[0-9]{4}-'
tui_wait '1× plays the [0-9]+s recording in [0-9]+s\. Left/Right: 100 ms\.'
tui_wait 'space play/pause'
echo "opened: $(tui_line 'REPLAY')"
echo "note: $(tui_line 'Opened in')"

# Left/Right: one probe interval (--interval 100) each, on the clock (back
# first: the open event runs to the end, where it opened).
t0=$(clock_ms)
[[ $(clock) =~ \.[0-9]{3}$ ]] || fail "the clock does not show ms: $(clock)"
tui_keys Left
tui_until 20 "Left to move the clock" tui_changed clock_ms "$t0"
t1=$(clock_ms)
[ $((t1 - t0)) -eq -100 ] || fail "Left moved the clock by $((t1 - t0)) ms, not -100"
tui_keys Left
tui_until 20 "Left to move the clock again" tui_changed clock_ms "$t1"
t2=$(clock_ms)
[ $((t2 - t1)) -eq -100 ] || fail "Left moved the clock by $((t2 - t1)) ms, not -100"
tui_keys Right
tui_until 20 "Right to move the clock" tui_changed clock_ms "$t2"
t3=$(clock_ms)
[ $((t3 - t2)) -eq 100 ] || fail "Right moved the clock by $((t3 - t2)) ms, not 100"
tui_wait 'REPLAY paused'
echo "steps: $t0 -> $t1 -> $t2 -> $t3"

# g/G: the ends of the recording
tui_keys g
tui_until 20 "g to move the clock" tui_changed clock_ms "$t3"
c0=$(clock)
tui_keys G
tui_until 20 "G to move the clock" tui_changed clock "$c0"
c1=$(clock)
[ "$c1" \> "$c0" ] || fail "G did not move the clock forward ($c0 -> $c1)"
tui_wait '^127\.0\.0\.1 '
tui_wait '^127\.0\.0\.2 .*×'

# back to the start, then ] jumps to the packet_loss event
tui_keys g
tui_until 20 "g to go back to the start ($c0)" eval '[ "$(clock)" = "$c0" ]'
tui_keys ']'
tui_wait 'packet_loss +127\.0\.0\.2'
ce=$(clock)
[ "$ce" \> "$c0" ] || [ "$ce" = "$c0" ] || fail "] went backwards"
tui_keys '['
tui_wait 'No earlier event|REPLAY paused'

# speed: + leaves the picked one ("auto" goes), - back down to 1x
tui_keys +
tui_wait 'REPLAY paused 2× +[0-9]{4}-'
tui_keys - - - - - - - - - -
tui_wait 'REPLAY paused 1× +[0-9]{4}-'

# the same views work on the recording
tui_keys Enter
tui_wait 'icmp via the default route'
tui_keys 3
tui_wait 'Events: [1-9][0-9]* of'
tui_keys 1
tui_wait '▸ Targets'

tui_keys q
rc=$(tui_exit_code)
[ "$rc" = 0 ] || { tui_screen; cat "$BB_TMP/stderr"; fail "exit status $rc"; }
tui_wait 'EXIT=0'
! grep -E 'Sanitizer|runtime error' "$BB_TMP/stderr" || fail "sanitizer report"
echo "ok: start $c0, end $c1, event at $ce"
tui_stop

# A recording with a companion server: the echo row on the first screen,
# and the server known at every instant, before its first echo sample too.
tui_server_start
bb_write_config "$BB_TMP/srv-bb.conf" "servers=$SRV_SERVERS" \
	'loss_stream={ interval_ms = 100; }'
sdb=$BB_TMP/srv.db
"$BB_BIN" -d -c "$BB_TMP/srv-bb.conf" --db "$sdb" -t 127.0.0.1 \
	--interval 100 --duration 5 >"$BB_TMP/srv-rec.out" 2>&1
tui_server_stop
n=$(sql "$sdb" "SELECT count(*) FROM measurements WHERE test_type='udp_echo' AND server_name='lo' AND status='ok'")
[ "$n" -ge 1 ] || { cat "$BB_TMP/srv-rec.out"; fail "the recording has no echo sample of server lo"; }

rm -f "$BB_TMP/rc"
tui_start 120 40 "$BB_BIN" --replay "$sdb"
tui_wait 'REPLAY'
tui_wait '^lo +udp_echo +[0-9]+\.[0-9]+ +[0-9]+\.[0-9]+'
tui_wait 'Servers: lo\.'
tui_screen | grep -q 'no server configured' &&
	{ tui_screen; fail "a recording with a server says: no server configured"; }
echo "server row: $(tui_line '^lo +udp_echo')"
cs=$(clock)
tui_keys g
tui_until 20 "g to move the clock" tui_changed clock "$cs"
tui_wait 'waiting for the first throughput test'
tui_screen | grep -q 'no server configured' &&
	{ tui_screen; fail "at its first instant the recording says: no server configured"; }
tui_keys q
[ "$(tui_exit_code)" = 0 ] || fail "server replay: q did not exit 0"
exit 0
