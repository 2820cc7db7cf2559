#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `b` in the live TUI (tmux) against the real bufferbane-server on
# 127.0.0.1 inside the sandbox's private network namespace: the note says
# what the test will do (its phases, their length, the volume) and counts
# down while it runs; Esc cancels it and the load stops at once: the UDP
# datagrams received in the namespace (/proc/net/snmp, only this test's
# traffic) fall from the upload load's thousands per second to the echo
# stream's few dozen.  No scheduled test runs (first_test_s = 600), and the
# cancelled test leaves no bufferbloat result.
. "$(dirname "$0")/../lib/common.sh"
bb_sandbox "$@"
bb_tmpdir
. "$BB_TOP/tests/lib/tui.sh"
set -u
[ -n "${BB_SANDBOXED:-}" ] || skip "needs root for a private network namespace"

SRV_PID=
trap 'tui_stop; tui_server_stop; rm -rf "$BB_TMP"' EXIT
tui_server_start
bb_write_config "$BB_TMP/bb.conf" "servers=$SRV_SERVERS" \
	'tests={ dns = { enabled = false; dns_servers = []; };
	  throughput = { enabled = false; };
	  bufferbloat = { enabled = true; interval_s = 3600; test_duration_s = 40;
	    first_test_s = 600; }; }'

# udp_rx: UDP datagrams received in this namespace so far
udp_rx() { awk '$1 == "Udp:" && $2 ~ /^[0-9]+$/ { print $2 }' /proc/net/snmp; }
# rate_over SECONDS: datagrams received per second over that long
rate_over() {
	local a b
	a=$(udp_rx)
	sleep "$1"
	b=$(udp_rx)
	awk -v a="$a" -v b="$b" -v t="$1" 'BEGIN { printf "%d", (b - a) / t }'
}

tui_start 140 40 "$BB_BIN" -c "$BB_TMP/bb.conf" --db "$BB_TMP/bb.db" \
	--interval 100
tui_wait 'bufferbane +LIVE' 15
tui_wait '^lo( [0-9.:a-f]+)? +udp_echo +[0-9]+\.[0-9]+' 15
idle=$(rate_over 1)
echo "idle: $idle datagrams/s"

# the description: 40 s = idle + 3 phases of 10 s, ~N MB at 100/20 Mbit/s
tui_keys b
re='Bufferbloat test against lo: ([0-9]+) s left of ~([0-9]+) s \(up, down, both 10 s each; ~[0-9]+ MB at 100/20 Mbit/s\)\. Esc cancels\.'
tui_wait "$re" 3
l1=$(tui_line "$re")
echo "b: $l1"
n1=$(sed -E "s#.*$re.*#\1#" <<<"$l1")
total=$(sed -E "s#.*$re.*#\2#" <<<"$l1")
[ "$total" -ge 35 ] && [ "$total" -le 45 ] || fail "the test's length reads $total s, not ~40 s"
[ "$n1" -le "$total" ] || fail "right after b: $n1 s left of ~$total s"
# the countdown runs
sleep 2.2
l2=$(tui_line "$re")
n2=$(sed -E "s#.*$re.*#\1#" <<<"$l2")
echo "2.2 s later: $n2 s left"
[ "$n2" -le $((n1 - 1)) ] && [ "$n2" -ge $((n1 - 4)) ] || fail "countdown went $n1 -> $n2 s in 2.2 s"

# the upload load (after ~5 s idle): thousands of datagrams a second
for _ in $(seq 40); do
	loaded=$(rate_over 0.25)
	[ "$loaded" -gt 1000 ] && break
done
echo "under load: $loaded datagrams/s"
[ "$loaded" -gt 1000 ] || fail "the upload load never came ($loaded/s)"

tui_keys Escape
tui_wait 'Bufferbloat test cancelled' 3
sleep 0.5 # what was in flight
after=$(rate_over 1.5)
echo "after Esc: $after datagrams/s"
[ "$after" -lt 200 ] || fail "the load went on after Esc ($after/s)"
tui_wait_gone 'Esc cancels' 4
# Esc again is the ordinary "back" (the dashboard stays)
tui_keys Escape
tui_wait 'bufferbane +LIVE' 3

tui_keys q
rc=$(tui_exit_code 15)
[ "$rc" = 0 ] || { tui_screen; cat "$BB_TMP/stderr"; fail "exit status $rc"; }
n=$(sql "$BB_TMP/bb.db" "SELECT count(*) FROM measurements WHERE test_type IN ('bufferbloat','upload','download')")
[ "$n" = 0 ] || fail "$n test results recorded (scheduled or cancelled)"
echo PASS
