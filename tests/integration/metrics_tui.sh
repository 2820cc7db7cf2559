#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# metrics.listen in the TUI (the same monitor as -d): while the live screen
# runs in tmux, /metrics answers with the RTT of 127.0.0.1, and the screen
# is not disturbed by it.  A bad metrics.listen is a clear error at start:
# not an address (a name, a port out of range) exits 2 with file:line, a
# port someone else listens on exits 1 naming the address and the reason,
# in -d and in the TUI alike, before anything is probed.
. "$(dirname "$0")/../lib/common.sh"
bb_sandbox "$@"
bb_tmpdir
. "$BB_TOP/tests/lib/tui.sh"
set -u
command -v curl >/dev/null || skip "needs curl"
holder=
trap 'tui_stop; kill $holder 2>/dev/null; wait 2>/dev/null; rm -rf "$BB_TMP"' EXIT

MP=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

# ---- bad addresses: exit 2, file:line ----------------------------------------
for bad in "localhost:$MP" "127.0.0.1:99999" "127.0.0.1" "[::1"; do
	bb_write_config "$BB_TMP/bad.conf" "metrics={ listen = \"$bad\"; }"
	"$BB_BIN" -d -c "$BB_TMP/bad.conf" --no-db -t 127.0.0.1 --duration 1 \
		>"$BB_TMP/o" 2>"$BB_TMP/e"
	rc=$?
	echo "listen \"$bad\": exit $rc: $(cat "$BB_TMP/e")"
	[ $rc -eq 2 ] || fail "metrics.listen \"$bad\": exit $rc, not 2"
	grep -q 'bad.conf:[0-9]*: metrics.listen' "$BB_TMP/e" ||
		fail "metrics.listen \"$bad\": no file:line and key in the message"
done

# ---- a port in use: exit 1, in -d and in the TUI ------------------------------
python3 -c "import socket,time
s = socket.socket(); s.bind(('127.0.0.1', $MP)); s.listen(); open('$BB_TMP/held', 'w').write('1'); time.sleep(60)" &
holder=$!
for _ in $(seq 50); do [ -s "$BB_TMP/held" ] && break; sleep 0.1; done
bb_write_config "$BB_TMP/bb.conf" "metrics={ listen = \"127.0.0.1:$MP\"; }"
"$BB_BIN" -d -c "$BB_TMP/bb.conf" --db "$BB_TMP/busy.db" -t 127.0.0.1 --duration 3 \
	>"$BB_TMP/o" 2>"$BB_TMP/e"
rc=$?
echo "-d with the port in use: exit $rc: $(cat "$BB_TMP/e")"
[ $rc -eq 1 ] || fail "port in use: exit $rc, not 1"
grep -qx "bufferbane: metrics.listen 127.0.0.1:$MP: Address already in use" "$BB_TMP/e" ||
	fail "port in use: unexpected message"
[ ! -s "$BB_TMP/o" ] || { cat "$BB_TMP/o"; fail "port in use: it started anyway"; }
tui_start 100 30 "$BB_BIN" -c "$BB_TMP/bb.conf" --no-db -t 127.0.0.1
rc=$(tui_exit_code 10)
echo "TUI with the port in use: exit $rc"
[ "$rc" = 1 ] || { tui_screen; fail "TUI, port in use: exit $rc, not 1"; }
grep -qx "bufferbane: metrics.listen 127.0.0.1:$MP: Address already in use" "$BB_TMP/stderr" ||
	{ cat "$BB_TMP/stderr"; fail "TUI, port in use: unexpected message"; }
tui_stop
rm -f "$BB_TMP/rc"
kill $holder 2>/dev/null
wait $holder 2>/dev/null
holder=

# ---- the TUI serves /metrics ---------------------------------------------------
tui_start 120 40 "$BB_BIN" -c "$BB_TMP/bb.conf" --no-db -t 127.0.0.1 --interval 100
tui_wait 'bufferbane +LIVE'
tui_wait '^127\.0\.0\.1 .* [0-9]+\.[0-9]+ '
v=
for _ in $(seq 50); do
	v=$(curl -s "http://127.0.0.1:$MP/metrics" |
		sed -n 's/^bufferbane_rtt_seconds{interface="",target="127.0.0.1",server="",probe="icmp",quantile="0.5"} \(.*\)$/\1/p')
	[ -n "$v" ] && [ "$v" != NaN ] && break
	sleep 0.2
done
echo "TUI /metrics: p50 RTT of 127.0.0.1 = $v s"
python3 -c "import sys; v=float(sys.argv[1]); sys.exit(0 if 0 < v < 0.050 else 1)" "${v:-x}" ||
	fail "TUI /metrics: RTT p50 '$v' not within 0..50 ms"
tui_wait 'bufferbane +LIVE'
tui_keys q
rc=$(tui_exit_code 10)
[ "$rc" = 0 ] || fail "TUI exit $rc after q"
exit 0
