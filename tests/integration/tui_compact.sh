#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Below 80x24 the dashboard keeps working in a compact layout instead of
# asking for a bigger terminal: at 70x20 every target's row is there with
# its name, p95, loss and sparkline scale, the columns that do not fit
# (Kind, Jitter, p50) are left out, nothing is wider than the window, and
# keys still work (Enter opens the drilldown).  Only below 40x12 comes the
# "enlarge" message; at 80x24 the full columns are back.  A target named
# in the configuration ("loop=127.0.0.3") shows its address beside the
# name.
. "$(dirname "$0")/../lib/common.sh"
bb_sandbox "$@"
bb_tmpdir
. "$BB_TOP/tests/lib/tui.sh"
set -u
trap 'tui_stop; rm -rf "$BB_TMP"' EXIT

bb_write_config "$BB_TMP/bb.conf" \
	'targets={ isp_gateway = "none"; public_dns = [];
	  custom = [ "127.0.0.1", "127.0.0.2", "loop=127.0.0.3", "::1" ]; }'
tui_start 70 20 "$BB_BIN" -c "$BB_TMP/bb.conf" --no-db --interval 200
tui_wait 'bufferbane +LIVE'
for t in '127\.0\.0\.1' '127\.0\.0\.2' 'loop 127\.0\.0\.3' '::1'; do
	tui_wait "^$t +[0-9]+\\.[0-9]+ +[0-9]+\\.[0-9] .*≤[0-9]+ [mµ]?s\$"
done
tui_screen
tui_screen | grep -q 'too small' && fail "70x20 asks for a bigger terminal"
hdr=$(tui_line '^Target ')
echo "columns: $hdr"
grep -q 'p95' <<<"$hdr" && grep -q 'Loss%' <<<"$hdr" && grep -q 'Scale' <<<"$hdr" ||
	fail "compact columns: $hdr"
grep -qE 'Kind|Jitter|p50' <<<"$hdr" && fail "full columns at 70x20: $hdr"
tui_wait '─ Events '
[ "$(tui_screen | wc -L)" -le 70 ] || fail "lines wider than 70 columns"

# keys work in the compact layout
tui_keys Enter
tui_wait '127\.0\.0\.1 +icmp via the default route'
tui_keys Escape
tui_wait '▸ Targets'

# below the absolute minimum: the message; 80x24: the full columns
tux resize-window -t "$TUI_T" -x 39 -y 12
tui_wait 'Terminal too small: 39x12'
tux resize-window -t "$TUI_T" -x 80 -y 24
tui_wait '^Target .*Kind .*p50 .*p95'
tui_wait '^127\.0\.0\.1 +icmp '

tui_keys q
rc=$(tui_exit_code 15)
[ "$rc" = 0 ] || { tui_screen; cat "$BB_TMP/stderr"; fail "exit status $rc"; }
echo PASS
