#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The mouse in the live TUI (tmux), as in htop: a click on a target row
# selects it (Enter then opens that row's drilldown), a double click opens
# the drilldown of the row under it at once, the wheel moves the selection.
# The events are the terminal's own bytes (X10 mouse reports, ESC [ M b x y,
# what the terminfo's kmous names) written into the pane, so the whole path
# runs: ncurses' mouse mask and decoding, the app's double-click timing and
# the dashboard's map from screen row to target row.
. "$(dirname "$0")/../lib/common.sh"
bb_sandbox "$@"
bb_tmpdir
. "$BB_TOP/tests/lib/tui.sh"
set -u
trap 'tui_stop; rm -rf "$BB_TMP"' EXIT

bb_write_config "$BB_TMP/bb.conf"
targets=()
for i in 1 2 3 4 5 6 7 8; do
	targets+=(-t "127.0.0.$i")
done
tui_start 110 34 "$BB_BIN" -c "$BB_TMP/bb.conf" --no-db "${targets[@]}" \
	--interval 200
tui_wait 'bufferbane +LIVE'
for i in 1 2 3 4 5 6 7 8; do
	tui_wait "^127\\.0\\.0\\.$i .* [0-9]+\\.[0-9]+ "
done

# row_of NAME: the pane's row (0-based) whose line starts with NAME
row_of() {
	tui_screen | grep -n -m1 -E "^$1 " | cut -d: -f1 | awk '{ print $1 - 1 }'
}
# mouse B X Y: one X10 report, button code B at cell (X, Y), 0-based
mouse() {
	tux send-keys -t "$TUI_T" -H 1b 5b 4d "$(printf '%x' $((32 + $1)))" \
		"$(printf '%x' $((33 + $2)))" "$(printf '%x' $((33 + $3)))"
}
click() { # press and release of button 1
	mouse 0 "$1" "$2"
	mouse 3 "$1" "$2"
}
# drilled NAME: the drilldown of NAME is on screen
drilled() {
	tui_wait "$1 +icmp via the default route" 5
}

# a click on 127.0.0.5 selects it: Enter opens its drilldown
y=$(row_of '127\.0\.0\.5')
[ -n "$y" ] || fail "no row 127.0.0.5"
echo "127.0.0.5 on row $y"
click 3 "$y"
sleep 0.6 # no double click with what follows
tui_keys Enter
drilled '127\.0\.0\.5'
tui_keys Escape
tui_wait '▸ Targets'

# a click outside the rows (the header) changes nothing
click 3 0
sleep 0.6
tui_keys Enter
drilled '127\.0\.0\.5'
tui_keys Escape
tui_wait '▸ Targets'

# a double click on 127.0.0.3 opens its drilldown without a key
y=$(row_of '127\.0\.0\.3')
click 10 "$y"
click 10 "$y"
drilled '127\.0\.0\.3'
tui_keys Escape
tui_wait '▸ Targets'

# the wheel: two notches down from 127.0.0.3 select 127.0.0.5, one up 4
mouse 65 10 "$y"
mouse 65 10 "$y"
mouse 64 10 "$y"
tui_keys Enter
drilled '127\.0\.0\.4'
tui_keys Escape

tui_keys q
rc=$(tui_exit_code 15)
[ "$rc" = 0 ] || { tui_screen; cat "$BB_TMP/stderr"; fail "exit status $rc"; }
echo PASS
