#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# More targets than the screen holds (16 loopback addresses in 100x24): the
# title says which row is selected ("Targets 12 of 16"), moving down keeps
# the selection on screen, and 's' sorts by name, by p95 (worst first), by
# loss (worst first; 127.0.0.9 is dropped by an nft rule inside the
# sandbox when nft is there) and back to the configured order, the order
# named in the title.
. "$(dirname "$0")/../lib/common.sh"
bb_sandbox "$@"
bb_tmpdir
. "$BB_TOP/tests/lib/tui.sh"
set -u
trap 'tui_stop; rm -rf "$BB_TMP"' EXIT

bb_write_config "$BB_TMP/bb.conf"
targets=()
for i in $(seq 16); do
	targets+=(-t "127.0.0.$i")
done
lossy=0
tui_drop_icmp 127.0.0.9 && lossy=1
tui_start 100 24 "$BB_BIN" -c "$BB_TMP/bb.conf" --no-db "${targets[@]}" \
	--interval 200
tui_wait 'bufferbane +LIVE'
tui_wait '^127\.0\.0\.1 .* [0-9]+\.[0-9]+ '
tui_wait 'Targets 1 of 16'
echo "title: $(tui_line 'Targets')"
tui_screen | grep -q '^127\.0\.0\.16 ' && fail "all 16 rows on a 24-line screen?"

# eleven down: the 12th row, on screen
for _ in $(seq 11); do tui_keys j; done
tui_wait 'Targets 12 of 16' 5
tui_wait '^127\.0\.0\.12 ' 5
# to the end: the last row scrolled into view, the first out
for _ in $(seq 6); do tui_keys j; done
tui_wait 'Targets 16 of 16' 5
tui_wait '^127\.0\.0\.16 ' 5
tui_screen | grep -q '^127\.0\.0\.1 ' && fail "row 1 still on screen at row 16 of 16"

# the targets' names in screen order
names() { tui_screen | grep -oE '^127\.0\.0\.[0-9]+' | tr '\n' ' '; }

# to the top again, then sort by name: 127.0.0.1, 127.0.0.10, 127.0.0.11...
for _ in $(seq 16); do tui_keys k; done
tui_wait 'Targets 1 of 16' 5
tui_keys s
tui_wait 'sort name' 5
tui_wait '^127\.0\.0\.10 ' 5
n=$(names)
echo "by name: $n"
[ "$(awk '{ print $1, $2, $3 }' <<<"$n")" = "127.0.0.1 127.0.0.10 127.0.0.11" ] ||
	fail "by name: $n"

# by p95, worst first: the p95 column (5th field) never rises going down
tui_keys s
tui_wait 'sort p95' 5
p95s() {
	tui_screen | awk '/^127\.0\.0\.[0-9]+ / { print ($5 == "-" ? -1 : $5) }'
}
ordered() {
	local v
	v=$(p95s)
	[ "$(wc -l <<<"$v")" -ge 5 ] && sort -g -r -c <<<"$v" 2>/dev/null
}
# a frame reads one moment; the order is of that moment's figures
tui_until 10 "rows ordered by p95" ordered
echo "p95 (worst first): $(p95s | tr '\n' ' ')"

# by loss, worst first: the dropped 127.0.0.9 on top
tui_keys s
tui_wait 'sort loss' 5
# the selection stayed on its series wherever the sort put it (the view
# scrolls to keep it in sight): back to the first row to see the top
for _ in $(seq 16); do tui_keys k; done
tui_wait 'Targets 1 of 16' 5
if [ $lossy -eq 1 ]; then
	tui_wait '^127\.0\.0\.9 .*100\.0 ' 10
	[ "$(names | awk '{ print $1 }')" = 127.0.0.9 ] || fail "by loss: $(names)"
	echo "by loss: $(tui_line '^127\.0\.0\.9')"
	tui_line '^127\.0\.0\.9' | grep -q '≤' && fail "a scale on a row without a value"
else
	echo "no nft in the sandbox: the loss order is not checked"
fi

# and back to the configured order
tui_keys s
tui_wait_gone 'sort (name|p95|loss)' 5
[ "$(names | awk '{ print $1, $2 }')" = "127.0.0.1 127.0.0.2" ] ||
	fail "configured order: $(names)"

tui_keys q
rc=$(tui_exit_code 15)
[ "$rc" = 0 ] || { tui_screen; cat "$BB_TMP/stderr"; fail "exit status $rc"; }
echo PASS
