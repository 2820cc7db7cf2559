#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The interfaces view (key 4) of the live TUI in tmux, probing through lo
# inside the sandbox: gateway 127.0.0.1, beyond it 127.0.0.2 (every probe
# dropped by an nft rule) and 127.0.0.3.  The view shows lo's RTT
# sparkline, its traffic gauge (rx/tx in Mb/s with their sparklines), the
# gauge rising to the rate of an iperf3 -u -b 20M stream over loopback, and
# the words: the gateway clean, the targets beyond it lossy, so the loss is
# the ISP's side.
. "$(dirname "$0")/../lib/common.sh"
bb_sandbox "$@"
bb_tmpdir
. "$BB_TOP/tests/lib/tui.sh"
set -u
trap 'tui_stop; [ -n "${IPERF_PID:-}" ] && kill "$IPERF_PID" 2>/dev/null; rm -rf "$BB_TMP"' EXIT
[ -n "${BB_SANDBOXED:-}" ] || skip "needs the loopback-only sandbox (root)"

bb_write_config "$BB_TMP/bb.conf" \
	'general={ test_interval_ms = 200; probe_timeout_ms = 150; }' \
	'targets={ isp_gateway = "127.0.0.1"; public_dns = []; custom = [ "127.0.0.2", "127.0.0.3" ]; }'
lossy=0
tui_drop_icmp 127.0.0.2 && lossy=1

tui_start 120 40 "$BB_BIN" -c "$BB_TMP/bb.conf" --db "$BB_TMP/bb.db" -i lo
tui_wait 'bufferbane +LIVE'
tui_keys 4
tui_wait 'Latency and traffic per interface'
# lo's row: name, RTT sparkline and newest RTT, the gauge with sparklines
spark='[▁▂▃▄▅▆▇█×]'
tui_wait "^  lo +RTT $spark+ +[0-9.]+ +rx [0-9.]+ Mb/s +$spark+ +tx [0-9.]+ Mb/s +$spark+"
echo "idle: $(tui_line '^  lo +RTT')"
if [ $lossy -eq 1 ]; then
	# (the words wrap at "the ISP's" at 120 columns)
	tui_wait 'gateway [0-9.]+ ms, 0 % loss; targets beyond [0-9.]+ ms, 50 % loss: the loss is past your home network — the ISP'
else
	echo "no nft in the sandbox: the lossy case is the unit test's"
	tui_wait 'gateway [0-9.]+ ms, 0 % loss; targets beyond [0-9.]+ ms, 0 % loss: home and ISP side both'
fi
echo "words: $(tui_line 'gateway [0-9.]+ ms')"

# a known load over lo: the gauge shows it (each byte is lo's rx and tx)
if command -v iperf3 >/dev/null; then
	iperf3 -s -1 -B 127.0.0.1 -p 5299 >/dev/null 2>&1 &
	IPERF_PID=$!
	sleep 0.5
	iperf3 -c 127.0.0.1 -p 5299 -u -b 20M -t 6 >"$BB_TMP/iperf.out" 2>&1 &
	# 20 Mbit/s of payload (and its headers) on lo: within 15 %
	tui_wait '^  lo .* tx (1[7-9]|2[0-2])\.[0-9] Mb/s' 15
	echo "loaded: $(tui_line '^  lo +RTT')"
	wait
	IPERF_PID=
else
	echo "no iperf3: the loaded gauge is the lab test's"
fi
tui_keys q
tui_until 10 "exit" test -s "$BB_TMP/rc"
[ "$(cat "$BB_TMP/rc")" = 0 ] || { cat "$BB_TMP/stderr"; fail "exit $(cat "$BB_TMP/rc")"; }
exit 0
