#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The drilldown as people read it, live on three loopback targets probed
# once a second: the header's rate reads 3.0 samples/s on every frame (it
# counts whole seconds of send times, so frames falling between probes do
# not make it jump to 2.4 or 3.2); the drilldown opens at the window that
# holds the probes (1 min); j and k move to the next and previous target in
# the dashboard's row order; the RTT histogram's bin labels all differ
# (loopback spreads over tens of microseconds, where labels of two
# decimals could repeat: 0.04 0.04 0.05); the loss runs are in words; L
# opens the long views and Esc comes back.
. "$(dirname "$0")/../lib/common.sh"
bb_sandbox "$@"
bb_tmpdir
. "$BB_TOP/tests/lib/tui.sh"
set -u
trap 'tui_stop; rm -rf "$BB_TMP"' EXIT
command -v tmux >/dev/null || skip "tmux is not installed"

bb_write_config "$BB_TMP/bb.conf" \
	'general={ test_interval_ms = 1000; probe_timeout_ms = 500; }'
tui_start 120 40 "$BB_BIN" -c "$BB_TMP/bb.conf" --db "$BB_TMP/bb.db" \
	-t 127.0.0.1 -t 127.0.0.2 -t 127.0.0.3 --interval 1000
tui_wait 'bufferbane +LIVE'
for t in 1 2 3; do
	tui_wait "^127\.0\.0\.$t .* [0-9]+\.[0-9]+ "
done

# The rate: from the 5th second on (the first whole seconds are settled
# once the probe timeout has passed), every frame for 8 s shows 3.0.
tui_wait ' up ([5-9]|[1-9][0-9])s '
rates=()
for ((i = 0; i < 16; i++)); do
	rates+=("$(tui_screen | head -1 | grep -oE '[0-9]+\.[0-9] samples/s')")
	sleep 0.5 # an observation every half second, not a wait for one
done
echo "rates: $(printf '%s\n' "${rates[@]}" | sort | uniq -c | tr -s ' \n' ' ')"
for r in "${rates[@]}"; do
	[ "$r" = "3.0 samples/s" ] ||
		fail "the rate of 3 probes a second read '$r' (all: ${rates[*]})"
done

# The dashboard's row order, then the drilldown walks it with j and k.
mapfile -t order < <(tui_screen | grep -oE '^127\.0\.0\.[123] ' | tr -d ' ')
[ "${#order[@]}" = 3 ] || fail "expected 3 target rows, got: ${order[*]}"
echo "row order: ${order[*]}"
title() { # the drilldown's target
	tui_screen | grep -oE -m1 "^─ 127\.0\.0\.[123]  icmp" | grep -oE '127\.0\.0\.[123]'
}
tui_keys Enter
tui_wait "^─ ${order[0]//./\\.}  icmp"
tui_wait 'window 1 min '
tui_keys j
tui_wait "^─ ${order[1]//./\\.}  icmp"
tui_keys j
tui_wait "^─ ${order[2]//./\\.}  icmp"
tui_keys j # the last row: stays
tui_keys k
tui_wait "^─ ${order[1]//./\\.}  icmp"
[ "$(title)" = "${order[1]}" ] || fail "k did not come back to ${order[1]}"

# The histogram beside the percentiles (120 columns): its labels, 7
# columns from column 69, one per row under the title; all different.
tui_wait 'RTT histogram \(ms\)'
tui_until 20 "a histogram of 3 or more bins" bash -c '
	tmux -L '"$TUI_SOCK"' capture-pane -p -t '"$TUI_T"' |
	awk "/RTT histogram/ { on = 1; next } on && substr(\$0, 70, 7) ~ /[0-9]\$/ { n++; next } on { exit } END { exit !(n >= 3) }"'
labels=$(tui_screen | awk '/RTT histogram/ { on = 1; next }
	on { l = substr($0, 70, 7); gsub(/ /, "", l); if (l !~ /^[0-9.]+$/) exit; print l }')
echo "histogram labels: $(echo $labels)"
[ "$(echo "$labels" | wc -l)" -ge 3 ] || fail "fewer than 3 histogram bins: $labels"
dups=$(echo "$labels" | sort | uniq -d)
[ -z "$dups" ] || { tui_screen; fail "histogram labels repeat: $dups"; }
tui_wait 'Loss runs \(1h\) +no loss'

# L: the long view of the same target, Esc back to the plot.
tui_keys L
tui_wait "${order[1]//./\\.}  last 24 h"
tui_wait "rollups"
tui_keys Escape
tui_wait "^─ ${order[1]//./\\.}  icmp"
tui_keys q
[ "$(tui_exit_code)" = 0 ] || fail "q did not exit 0"
echo "drilldown: steady rate, j/k in row order, distinct bin labels"
