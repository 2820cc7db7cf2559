#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The help at 80x24 as a user reads it: ? opens keys and legend, the footer
# ends with "? more" at 80 columns, Down/PgDn scroll the help to the legend
# (×, ●, the grade bands with their numbers, RPM, p95), Esc closes it; the
# whole help is read by scrolling, and no line is wider than the screen.
. "$(dirname "$0")/../lib/common.sh"
bb_sandbox "$@"
bb_tmpdir
. "$BB_TOP/tests/lib/tui.sh"
set -u
trap 'tui_stop; rm -rf "$BB_TMP"' EXIT
bb_write_config "$BB_TMP/bb.conf"

tui_start 80 24 "$BB_BIN" -c "$BB_TMP/bb.conf" --no-db -t 127.0.0.1 --interval 100
tui_wait 'bufferbane +LIVE'
tui_wait '^ q quit .* \? more *$'
echo "footer: $(tui_line '^ q quit')"
tui_keys '?'
tui_wait 'Help: keys and legend'
tui_wait 'PgUp/PgDn scroll'
: >"$BB_TMP/help"
for _ in $(seq 12); do
	tui_screen >>"$BB_TMP/help"
	tui_keys PageDown
	sleep 0.3
done
tui_screen >>"$BB_TMP/help"
[ "$(wc -L <"$BB_TMP/help")" -le 80 ] || fail "help lines wider than 80 columns"
for want in '× +a lost probe' '● +the verdict' '▅ × +grey: sent while our own test' \
	'A\+ < 5 ms, A < 30, B < 60, C < 200, D < 400, F ≥ 400 ms' \
	'RPM +round trips per minute under load' 'p95 +95 % of the probes' \
	'jitter +' 'q +quit' 'b +bloat test' 'w +window'; do
	grep -Eq -- "$want" "$BB_TMP/help" || { cat "$BB_TMP/help"; fail "help without /$want/"; }
done
# Home back to the top, Esc closes
tui_keys Home
tui_wait '│ Keys '
tui_keys Escape
tui_wait_gone 'Help: keys'
tui_wait '▸ Targets'
tui_keys q
rc=$(tui_exit_code)
[ "$rc" = 0 ] || { cat "$BB_TMP/stderr"; fail "exit status $rc"; }
echo "help read: $(grep -c . "$BB_TMP/help") lines over 13 screens"
exit 0
