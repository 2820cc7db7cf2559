#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# make screenshots: real captures of each TUI screen, in tmux against
# loopback targets inside a loopback-only sandbox (127.0.0.2 dropped by nft
# so loss shows) and a companion bufferbane-server on 127.0.0.1 (echo row,
# throughput, bufferbloat gauges), converted to screenshots/*.png by
# tests/lib/ansi2png.py.  Main size 120x40, plus the dashboard at 80x24.
# Needs tmux, nftables, python3-pil and fonts-dejavu-core; runs as root for
# the sandbox (without root only loopback targets are used anyway).
. "$(dirname "$0")/lib/common.sh"
bb_sandbox "$@"
bb_tmpdir
. "$BB_TOP/tests/lib/tui.sh"
set -u
SRV_PID=
trap 'tui_stop; tui_server_stop; rm -rf "$BB_TMP"' EXIT
out=$BB_TOP/screenshots
mkdir -p "$out"
PY=/usr/bin/python3
$PY -c 'import PIL' 2>/dev/null || fail "needs python3-pil (apt-get install python3-pil fonts-dejavu-core)"

shot() { # NAME [COLS ROWS]
	local w h
	w=$(tux display -p -t "$TUI_T" '#{window_width}')
	h=$(tux display -p -t "$TUI_T" '#{window_height}')
	tui_screen_e >"$BB_TMP/$1.ans"
	$PY "$BB_TOP/tests/lib/ansi2png.py" "$BB_TMP/$1.ans" "$out/$1.png" "$w" "$h" ||
		fail "cannot render $1"
	echo "screenshots/$1.png"
}

tui_server_start
# one throughput and one bufferbloat test early on, then a quiet line
bb_write_config "$BB_TMP/bb.conf" "servers=$SRV_SERVERS" \
	"tests=${TUI_SERVER_TESTS//interval_s = 10;/interval_s = 600;}" \
	'loss_stream={ interval_ms = 100; }'
targets=(-t 127.0.0.1 -t ::1)
tui_drop_icmp 127.0.0.2 && targets+=(-t 127.0.0.2)

# live: a dashboard with some history
tui_start 120 40 "$BB_BIN" -c "$BB_TMP/bb.conf" --db "$BB_TMP/live.db" \
	"${targets[@]}" --interval 100
tui_wait 'bufferbane +LIVE' 15
tui_wait 'packet_loss|No events' 20
tui_wait ' Upload +(A\+|A|B|C|D|F) .* Download +(A\+|A|B|C|D|F) ' 40
sleep 4 # let the sparklines fill a little
shot dashboard
tui_keys '?'; tui_wait 'Help: keys'; shot help
tui_keys Escape; tui_wait_gone 'Help: keys'
tui_keys Enter; tui_wait 'Loss runs'; shot drilldown
tui_keys Escape; tui_wait '▸ Targets'
n=$(tui_screen | sed -n '/Target .*Kind/,/Throughput &/p' | grep -n '^lo ' | cut -d: -f1)
for ((i = 1; i < n - 1; i++)); do tui_keys j; done
tui_keys Enter; tui_wait 'One-way delay +up'; shot drilldown-echo
tui_keys Escape; tui_keys k k k k; tui_keys 3; tui_wait 'Events: '
tui_keys Enter; tui_wait 'Figures|No events'; shot events
tui_keys Escape; tui_keys 4; tui_wait 'Interfaces side by side'; shot interfaces
tui_keys 1
tux resize-window -t "$TUI_T" -x 80 -y 24; tui_wait '▸ Targets'; sleep 1; shot dashboard-80x24
tux resize-window -t "$TUI_T" -x 70 -y 20; tui_wait '▸ Targets'; sleep 1; shot dashboard-70x20
tux resize-window -t "$TUI_T" -x 36 -y 10; tui_wait 'too small'; shot enlarge
tui_keys q; [ "$(tui_exit_code 15)" = 0 ] || fail "live TUI did not exit 0"
tui_stop
rm -f "$BB_TMP/rc"

# replay of the recording just made
tui_start 120 40 "$BB_BIN" --replay "$BB_TMP/live.db"
tui_wait 'REPLAY' 15
tui_keys G; sleep 1 # the end: every test of the recording behind it
tui_wait 'REPLAY'; shot replay
tui_keys q; [ "$(tui_exit_code 15)" = 0 ] || fail "replay did not exit 0"
exit 0
