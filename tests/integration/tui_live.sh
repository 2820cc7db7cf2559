#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The live TUI in tmux against loopback targets, with 127.0.0.2 dropped by
# an nft rule inside the sandbox: rows for each target, the lost-probe mark
# and a packet_loss event, help, drilldown, view switching, resize down to
# the compact layout, then the "enlarge" message and back, q exits 0 with
# the terminal restored.
# Also: without a terminal, one line suggesting -d.
. "$(dirname "$0")/../lib/common.sh"
bb_sandbox "$@"
bb_tmpdir
. "$BB_TOP/tests/lib/tui.sh"
set -u
trap 'tui_stop; rm -rf "$BB_TMP"' EXIT

bb_write_config "$BB_TMP/bb.conf"

# Not a terminal: one clear line, non-zero.
"$BB_BIN" -c "$BB_TMP/bb.conf" --no-db -t 127.0.0.1 </dev/null >"$BB_TMP/o" 2>"$BB_TMP/e"
rc=$?
[ $rc -ne 0 ] || fail "no terminal: exit 0"
[ "$(wc -l <"$BB_TMP/e")" -eq 1 ] && grep -q -- '-d' "$BB_TMP/e" ||
	{ cat "$BB_TMP/e"; fail "no terminal: expected one line suggesting -d"; }

targets=(-t 127.0.0.1 -t ::1)
lossy=0
if tui_drop_icmp 127.0.0.2; then
	targets+=(-t 127.0.0.2)
	lossy=1
fi
tui_start 120 40 "$BB_BIN" -c "$BB_TMP/bb.conf" --db "$BB_TMP/bb.db" \
	"${targets[@]}" --interval 100

tui_wait 'bufferbane +LIVE'
tui_wait '^127\.0\.0\.1 .* [0-9]+\.[0-9]+ '
tui_wait '^::1 .* [0-9]+\.[0-9]+ '
tui_wait 'q quit .*\? (help|more)'
tui_wait 'no server configured'
if [ $lossy -eq 1 ]; then
	tui_wait '^127\.0\.0\.2 .*lost.*×'
	tui_wait 'critical .*packet_loss|warning .*packet_loss' 20
	echo "loss: $(tui_line '^127\.0\.0\.2')"
else
	echo "no nft in the sandbox: loss checks skipped"
fi

# help overlay
tui_keys '?'
tui_wait 'Help: keys'
tui_wait 'clear events'
tui_keys Escape
tui_wait_gone 'Help: keys'

# drilldown of the first row, back with Esc
tui_keys Enter
tui_wait '127\.0\.0\.1 +icmp via the default route'
tui_wait 'Loss runs \(1h\)'
tui_wait '^ 10s +[0-9]+'
# the window opens at the smallest holding the probes (1 min; 10 min on a
# machine slow enough to take a minute to get here), w the next one
tui_wait 'window (1 min|10 min) '
if tui_screen | grep -q 'window 1 min '; then next='10 min'; else next='1 h'; fi
tui_keys w
tui_wait "window $next"
tui_keys Escape
tui_wait '▸ Targets'

# views 3, 4, 1
tui_keys 3
tui_wait 'Events: [0-9]+ of [0-9]+'
tui_keys 4
tui_wait 'Interfaces side by side'
tui_keys 1
tui_wait '▸ Targets'

# resize: the compact layout at 60x20, too small at 36x10, then back
tux resize-window -t "$TUI_T" -x 60 -y 20
tui_wait '^127\.0\.0\.1 .* [0-9]+\.[0-9]+ '
tui_screen | grep -q 'too small' && fail "60x20 says too small (compact layout expected)"
tux resize-window -t "$TUI_T" -x 36 -y 10
tui_wait 'Terminal too small: 36x10'
tux resize-window -t "$TUI_T" -x 100 -y 30
tui_wait '▸ Targets'
tui_wait 'q quit'
[ "$(tui_screen | wc -L)" -le 100 ] || fail "lines wider than the window"

# 20 samples of 127.0.0.1 committed before q (the recorder commits every
# 50 ms; WAL lets us read meanwhile): the count below must not depend on
# how fast the steps above ran.
recorded() {
	local n
	n=$(sqlite3 -batch -noheader -cmd '.timeout 2000' "$BB_TMP/bb.db" \
		"SELECT count(*) FROM measurements WHERE target='127.0.0.1'" 2>/dev/null) &&
		[ "${n:-0}" -ge 20 ]
}
tui_until 60 "20 samples of 127.0.0.1 in the database" recorded

# q: exit 0 and the screen given back
tui_keys q
rc=$(tui_exit_code)
[ "$rc" = 0 ] || { tui_screen; cat "$BB_TMP/stderr"; fail "exit status $rc"; }
tui_wait 'EXIT=0'
! grep -E 'Sanitizer|runtime error' "$BB_TMP/stderr" || fail "sanitizer report"
tui_screen | grep -q 'q quit' && fail "the TUI is still on screen after exit"
n=$(sql "$BB_TMP/bb.db" "SELECT count(*) FROM measurements WHERE target='127.0.0.1'")
[ "$n" -ge 20 ] || fail "only $n samples recorded"
echo "ok: $n samples of 127.0.0.1; stderr after exit:"
cat "$BB_TMP/stderr"
exit 0
