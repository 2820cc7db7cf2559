#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The path view (key 5) of the TUI in tmux, on path_hops.sh's path:
#
#   client .0.2 ── .0.1 modem .1.1 ── .1.2 isp .2.1 ── .2.2 server
#   (198.18.x.y)
#
# 1. live, tests.path.enabled: the view lists hops 1, 2, 3 answered by
#    198.18.0.1, 198.18.1.2 and the target 198.18.2.2, and calls the path
#    clean.
# 2. nft drops 30 % of what the isp forwards to the server: the words name
#    hop 3 ("loss starts at hop 3 (198.18.2.2) and persists to the target:
#    beyond your home network"), hops 1-2 show no loss of the line's, and
#    the header's verdict names hop 3 too.
# 3. q, then --replay of the database: the path view shows the same hops,
#    read back from the hops table, and the loss from hop 3 it ended in.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/lab.sh"
lab_init
command -v nft >/dev/null || skip "nft (nftables) missing"
BB_TMP=$(mktemp -d /tmp/bb-lab.XXXXXX)
. "$BB_TOP/tests/lib/tui.sh"
trap 'tui_stop; lab_cleanup' EXIT
set -u

lab_ns client
lab_ns modem
lab_ns isp
lab_ns server
lab_link client modem 198.18.0.2/24 198.18.0.1/24
lab_link modem isp 198.18.1.1/24 198.18.1.2/24
lab_link isp server 198.18.2.1/24 198.18.2.2/24
ISP_TO_SERVER=$LAB_IF_A
lab_exec client ip route add default via 198.18.0.1
lab_exec modem ip route add default via 198.18.1.2
lab_exec isp ip route add 198.18.0.0/24 via 198.18.1.1
lab_exec server ip route add default via 198.18.2.1
for ns in modem isp; do
	lab_exec $ns sysctl -qw net.ipv4.ip_forward=1
	# the kernel's own limit (1/s per peer) would look like own loss
	lab_exec $ns sysctl -qw net.ipv4.icmp_ratelimit=0
done
for try in 1 2 3 4 5 6; do
	lab_exec client ping -c1 -W1 198.18.2.2 >/dev/null && break
	[ $try -lt 6 ] || fail "no route to the server"
done

bb_write_config "$BB_TMP/bb.conf" \
	'general={ test_interval_ms = 200; probe_timeout_ms = 500; }' \
	'targets={ isp_gateway = "none"; public_dns = []; custom = [ "srv=198.18.2.2" ]; }' \
	'tests={ dns = { enabled = false; dns_servers = []; }; bufferbloat = { enabled = false; }; throughput = { enabled = false; }; path = { enabled = true; interval_ms = 100; }; }'

# hops: the three hop rows of the path view, as "1 addr, 2 addr, 3 addr"
hops() {
	tui_screen | awk '$1 ~ /^[1-3]$/ && $2 ~ /^(198\.18\.|\*)/ { printf "%s%s %s", n++ ? ", " : "", $1, $2 }'
}
want='1 198.18.0.1, 2 198.18.1.2, 3 198.18.2.2'
hops_ok() { [ "$(hops)" = "$want" ]; }

echo "== 1: live, clean"
tui_start 120 40 ip netns exec "$LAB-client" "$BB_BIN" -c "$BB_TMP/bb.conf" \
	--db "$BB_TMP/bb.db"
tui_wait 'bufferbane +LIVE'
tui_keys 5
tui_wait 'Path to srv'
tui_until 20 "hops 1..3" hops_ok
# clean over half a window of the target's probes at least
tui_wait '^ +3  198\.18\.2\.2 +0\.0 % +(1[6-9]|2[0-9]|3[0-2]) '
tui_wait 'the path is clean: no loss and no delay added along its 3 hops'
echo "hops: $(hops)"

echo "== 2: 30 % loss on the isp -> server link"
lab_exec isp nft add table inet bbpv
lab_exec isp nft add chain inet bbpv fw '{ type filter hook forward priority 0; policy accept; }'
lab_exec isp nft add rule inet bbpv fw oifname "$ISP_TO_SERVER" \
	numgen random mod 10 '<' 3 drop || fail "nft loss rule"
tui_wait 'loss starts at hop 3 \(198\.18\.2\.2\) and persists to the target: beyond your home network'
echo "words: $(tui_line 'loss starts at hop')"
# the loss is the line's from hop 3 only: hops 1 and 2 show none of it
tui_line '^ +1  198\.18\.0\.1 +0\.0 % ' >/dev/null || { tui_screen; fail "hop 1 shows loss"; }
tui_line '^ +2  198\.18\.1\.2 +0\.0 % ' >/dev/null || { tui_screen; fail "hop 2 shows loss"; }
tui_line '^ +3  198\.18\.2\.2 +[1-9][0-9]?\.[0-9] % ' >/dev/null || { tui_screen; fail "hop 3 shows no loss"; }
tui_screen | grep -E "^ +[1-3]  198"
# the verdict in the header names the hop
tui_wait 'Loss to srv starts at hop 3'
echo "verdict: $(tui_line 'Loss to srv starts')"
# a few more seconds of loss into the recording, then quit
sleep 3
tui_keys q
tui_until 10 "exit" test -s "$BB_TMP/rc"
[ "$(cat "$BB_TMP/rc")" = 0 ] || { cat "$BB_TMP/stderr"; fail "exit $(cat "$BB_TMP/rc")"; }
tui_stop
n=$(sql "$BB_TMP/bb.db" "SELECT count(*) FROM hops WHERE target = 'srv'")
echo "recorded: $n hop probes"
[ "$n" -ge 30 ] || fail "only $n hop probes recorded"
echo "hops table (hop|addr|dest|probes): $(sql "$BB_TMP/bb.db" \
	"SELECT hop, ifnull(addr, '*'), dest, count(*) FROM hops GROUP BY 1, 2, 3" | tr '\n' ' ')"

echo "== 3: --replay shows the same hops"
rm -f "$BB_TMP/rc"
tui_start 120 40 "$BB_BIN" --replay "$BB_TMP/bb.db"
tui_wait 'bufferbane +REPLAY'
tui_keys 5
tui_wait 'Path to srv'
tui_until 20 "replayed hops 1..3" hops_ok
echo "replayed hops: $(hops)"
# the recording ends in the loss: at its end (G) so does the replay
tui_keys G
tui_wait 'loss starts at hop 3 \(198\.18\.2\.2\) and persists to the target'
tui_screen | grep -E "^ +[1-3]  198"
tui_screen | grep -q 'No path in this recording' && fail "replay has no path"
tui_keys q
tui_until 10 "exit" test -s "$BB_TMP/rc"
exit 0
