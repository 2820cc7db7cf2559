#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The live TUI in tmux with a companion server: the real bufferbane-server
# on 127.0.0.1 (inside the sandbox), a 0600 key, short throughput and
# bufferbloat intervals.  The dashboard must show the udp_echo row with
# real figures, the one-way delays (clock synced), throughput in both
# directions and a bufferbloat grade per direction; the drilldown of the
# echo row shows the one-way delay instead of "needs a companion server";
# `b` runs a test now without freezing the screen and shows its grades;
# 80x24 keeps the grades; q exits 0.
. "$(dirname "$0")/../lib/common.sh"
bb_sandbox "$@"
bb_tmpdir
. "$BB_TOP/tests/lib/tui.sh"
set -u

SRV_PID=
trap 'tui_stop; tui_server_stop; rm -rf "$BB_TMP"' EXIT
tui_server_start
echo "server on 127.0.0.1:$SRV_PORT"
bb_write_config "$BB_TMP/bb.conf" "servers=$SRV_SERVERS" \
	"tests=$TUI_SERVER_TESTS" 'loss_stream={ interval_ms = 100; }'

tui_start 120 40 "$BB_BIN" -c "$BB_TMP/bb.conf" --db "$BB_TMP/bb.db" \
	-t 127.0.0.1 --interval 100

tui_wait 'bufferbane +LIVE'
tui_wait '^lo( [0-9.:a-f]+)? +udp_echo +[0-9]+\.[0-9]+ +[0-9]+\.[0-9]+'
echo "echo row: $(tui_line '^lo( [0-9.:a-f]+)? +udp_echo')"
tui_wait 'one-way ↑[0-9.]+ ↓[0-9.]+ ms'
tui_wait 'Throughput Up .*[0-9]+\.[0-9] Mb/s.* Down .*[0-9]+\.[0-9] Mb/s' 20
echo "throughput: $(tui_line 'Throughput Up')"
# a grade letter per direction (loopback: no bloat, so A+ or A normally)
tui_wait ' Upload +(A\+|A|B|C|D|F) .* Download +(A\+|A|B|C|D|F) ' 40
line=$(tui_line ' Upload +(A\+|A|B|C|D|F) ')
echo "bloat: $line"
echo "$line" | grep -q 'idle ' || fail "the gauge shows no idle figure"
echo "$line" | grep -q 'idle -' && fail "the gauge's idle figure is unknown"

# drilldown of the echo row: one-way delay, not "needs a companion server"
n=$(tui_screen | sed -n '/Target .*Kind/,/Throughput &/p' | grep -n '^lo ' | cut -d: -f1)
[ -n "$n" ] || fail "no lo row"
for ((i = 1; i < n - 1; i++)); do tui_keys j; done
tui_keys Enter
tui_wait 'lo +udp_echo via the default route'
tui_wait 'One-way delay +up [0-9.]+ ms +down [0-9.]+ ms'
tui_screen | grep -q 'needs a companion server' && fail "drilldown still says: needs a companion server"
echo "drilldown: $(tui_line 'One-way delay')"
tui_keys Escape
tui_wait '▸ Targets'

# b: a test now, without blocking the screen (the clock keeps ticking),
# then its grades
tui_keys b
tui_wait 'Bufferbloat test against lo: [0-9]+ s left of ~[0-9]+ s' 5
echo "b: $(tui_line 'Bufferbloat test against lo')"
tui_wait 'bloat test running' 3
live_clock() { tui_line 'bufferbane +LIVE' | grep -Eo '[0-9]{2}:[0-9]{2}:[0-9]{2}'; }
c1=$(live_clock)
# the 1 Hz clock ticks within 5 s, shorter than the test's three 2 s loads
tui_until 5 "the clock to tick during the bloat test (the screen froze?)" \
	tui_changed live_clock "$c1"
tui_screen | grep -q 'bloat test running' ||
	fail "the test ended before the clock ticked: the screen froze while it ran"
tui_wait 'Bufferbloat test done: up (A\+|A|B|C|D|F), down (A\+|A|B|C|D|F)' 40
echo "b done: $(tui_line 'Bufferbloat test done')"
tui_keys b
tui_wait 'Bufferbloat test against lo' 5

# 80x24 keeps the grades
tux resize-window -t "$TUI_T" -x 80 -y 24
tui_wait ' Upload +(A\+|A|B|C|D|F) .*Download +(A\+|A|B|C|D|F)'
[ "$(tui_screen | wc -L)" -le 80 ] || fail "lines wider than the window"

tui_keys q
rc=$(tui_exit_code)
[ "$rc" = 0 ] || { tui_screen; cat "$BB_TMP/stderr"; fail "exit status $rc"; }
! grep -E 'Sanitizer|runtime error' "$BB_TMP/stderr" || fail "sanitizer report"
n=$(sql "$BB_TMP/bb.db" "SELECT count(*) FROM measurements WHERE test_type='bufferbloat' AND status='ok'")
echo "ok: $n bufferbloat results recorded; stderr after exit:"
cat "$BB_TMP/stderr"

# Replay of that recording: the gauges are per direction there too (the
# phases share one series; replay hands every sample to the views as live
# does), and the echo losses by direction are counted again.
tui_stop
rm -f "$BB_TMP/rc"
tui_start 120 40 "$BB_BIN" --replay "$BB_TMP/bb.db"
tui_wait 'REPLAY'
tui_keys G
tui_wait ' Upload +(A\+|A|B|C|D|F) .* Download +(A\+|A|B|C|D|F) '
echo "replay: $(tui_line ' Upload +')"
tui_line ' Upload +' | grep -q 'idle -' && fail "replay: the upload gauge's idle figure is unknown"
tui_keys q
[ "$(tui_exit_code)" = 0 ] || fail "replay: q did not exit 0"
exit 0
