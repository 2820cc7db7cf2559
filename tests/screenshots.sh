#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# make screenshots: real captures of the TUI in tmux, converted to
# screenshots/*.png by tests/lib/ansi2png.py.  Two sources, so the pictures
# show a cable line rather than loopback's 0.05 ms:
#
#  1. A replay of a generated week of cable data (tests/bench/bbgen: a
#     wired and a WiFi interface, evening congestion, loss bursts, a
#     micro-disconnect, throughput and bufferbloat tests every 4 h, the
#     20:30 one bloated).  No packet is sent.  TZ=UTC so the hours read as
#     the generator wrote them.
#  2. The lab (tests/lib/lab.sh): a client behind a tbf-shaped modem with a
#     deep buffer and a companion server beyond it, so our own bufferbloat
#     test and a household upload (iperf3) raise the latency for real; the
#     path probe traces the two hops.
#     Needs root; without it only part 1 runs.
#
# Main size 120x40, plus 80x24, the compact layout at 70x20 and the
# "enlarge" message at 36x10.  Needs tmux, python3-pil, fonts-dejavu-core
# (and for part 2 iproute2, tc and iperf3).
. "$(dirname "$0")/lib/common.sh"
bb_tmpdir
. "$BB_TOP/tests/lib/tui.sh"
. "$BB_TOP/tests/lib/lab.sh"
set -u
SRV_PID=
trap 'tui_stop; tui_server_stop; [ -n "${LAB:-}" ] && lab_cleanup; rm -rf "$BB_TMP"' EXIT
out=$BB_TOP/screenshots
mkdir -p "$out"
PY=/usr/bin/python3
$PY -c 'import PIL' 2>/dev/null || fail "needs python3-pil (apt-get install python3-pil fonts-dejavu-core)"
BBGEN=$BB_TOP/build/bench/bbgen
[ -x "$BBGEN" ] || fail "no $BBGEN (make build/bench/bbgen)"

shot() { # NAME
	local w h
	w=$(tux display -p -t "$TUI_T" '#{window_width}')
	h=$(tux display -p -t "$TUI_T" '#{window_height}')
	tui_screen_e >"$BB_TMP/$1.ans"
	$PY "$BB_TOP/tests/lib/ansi2png.py" "$BB_TMP/$1.ans" "$out/$1.png" "$w" "$h" ||
		fail "cannot render $1"
	echo "screenshots/$1.png"
}

# the replay clock, "HH:MM" of the header
clock() { tui_line 'REPLAY' | grep -oE '[0-9]{2}:[0-9]{2}:[0-9]{2}' | head -1; }

# --- 1. a generated week, replayed ----------------------------------------
"$BBGEN" -o "$BB_TMP/week.db" --days 7 --end 1796594400 >/dev/null ||
	fail "bbgen failed"
tui_start 120 40 env TZ=UTC "$BB_BIN" --replay "$BB_TMP/week.db"
tui_wait 'REPLAY' 15
tui_wait '^gateway ' 15
# the bloated 20:30 test of the last evening: from the end, back through
# the events until the replay clock reads 20:30 (the test's results)
tui_keys G
tui_wait '─ Events '
for _ in $(seq 12); do
	case $(clock) in 20:30:*) break ;; esac
	prev=$(clock)
	tui_keys '['
	tui_until 10 "the replay clock to move" tui_changed clock "$prev"
done
case $(clock) in 20:30:*) ;; *) fail "no 20:30 bufferbloat event in the replay ($(clock))" ;; esac
# a few seconds back: inside the test's load, its probes drawn dim
for _ in 1 2 3 4; do tui_keys Left; done
sleep 1
shot dashboard
tui_keys '?'; tui_wait 'Help: keys'; shot help
tui_keys '?'; tui_wait_gone 'Help: keys'
tui_keys Enter; tui_wait 'Loss runs'; shot drilldown
tui_keys L; tui_wait '24 h'; sleep 1; shot long-24h
tui_keys L; tui_wait '7 d|7 days'; sleep 1; shot long-7d
tui_keys L; tui_wait 'slowest hours'; shot heatmap
tui_keys Escape; tui_wait 'Loss runs'
tui_keys Escape; tui_wait '▸ Targets'
tui_keys 3; tui_wait 'Events: '
tui_keys Enter; tui_wait 'Figures|No events'; shot events
tui_keys Escape; tui_keys 1; tui_wait '▸ Targets'
tux resize-window -t "$TUI_T" -x 80 -y 24; tui_wait '▸ Targets'; sleep 1; shot dashboard-80x24
tux resize-window -t "$TUI_T" -x 70 -y 20; tui_wait '▸ Targets'; sleep 1; shot dashboard-70x20
tux resize-window -t "$TUI_T" -x 36 -y 10; tui_wait 'too small'; shot enlarge
tux resize-window -t "$TUI_T" -x 120 -y 40; tui_wait '▸ Targets'
tui_keys q; [ "$(tui_exit_code 15)" = 0 ] || fail "replay did not exit 0"
tui_stop
rm -f "$BB_TMP/rc"

# --- 2. live, in the lab: a shaped modem and a companion server -----------
if [ "$(id -u)" -ne 0 ] || ! command -v iperf3 >/dev/null; then
	echo "SKIPPED: the live lab screenshots need root and iperf3"
	exit 0
fi
lab_init
trap 'tui_stop; tui_server_stop; lab_cleanup' EXIT
lab_modem
# 20 Mbit/s with a 300 ms queue: a cable modem's deep buffer
lab_shape 20 300ms
SRV_NAME=server bb_server_start -n server -b 198.18.1.2:0
lab_exec server iperf3 -s -D -B 198.18.1.2 >/dev/null 2>&1
bb_write_config "$BB_TMP/bb.conf" "servers=$SRV_SERVERS" \
	'general={ test_interval_ms = 200; probe_timeout_ms = 1000; }' \
	'targets={ isp_gateway = "198.18.0.1"; public_dns = [];
	  custom = [ "far=198.18.1.2" ]; }' \
	'tests={ dns = { enabled = false; dns_servers = []; };
	  bufferbloat = { enabled = true; interval_s = 600; test_duration_s = 10;
	    first_test_s = 15; };
	  throughput = { enabled = true; first_test_s = 45;
	    small_test_kb = 4000; small_interval_s = 600;
	    medium_test_kb = 4000; medium_interval_s = 3600;
	    large_test_kb = 4000; large_interval_s = 7200; };
	  path = { enabled = true; interval_ms = 250; }; }'
tui_start 120 40 ip netns exec "$LAB-client" "$BB_BIN" -c "$BB_TMP/bb.conf" \
	--db "$BB_TMP/live.db"
tui_wait 'bufferbane +LIVE' 15
# our own bufferbloat test: its probes dim, the row's figures the line's
tui_wait 'test: (upload|download|both) [0-9]+ s left' 60
sleep 2
shot live-test
tui_wait ' Upload +(A\+|A|B|C|D|F) ' 60
tui_wait 'Throughput +Up +[0-9.]+ Mb/s' 90
tui_wait_gone 'test: ' 60
# the household uploads (iperf3 through the modem): the interfaces view
# shows the traffic beside the latency it causes
lab_exec client iperf3 -c 198.18.1.2 -t 30 >/dev/null 2>&1 &
iperf=$!
tui_keys 4; tui_wait 'Interfaces'
sleep 12
shot interfaces
wait $iperf
# the path hop by hop: the modem, then the server
tui_keys 5; tui_wait '198\.18\.1\.2 .*[0-9]+\.[0-9]' 30
shot path
tui_keys q; [ "$(tui_exit_code 15)" = 0 ] || fail "live TUI did not exit 0"
exit 0
