#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Bufferbloat against a real queue (DETECTION.md "The network lab"):
# client ── modem ── server namespaces, tbf rate 5mbit in the modem on both
# forwarding directions.  `bufferbane bloat` (idle, upload, download, both):
#  - latency 300ms: every direction's increase >= 85 % of the 300 ms the
#    queue allows, grade D or F, and the one-way delays blame the right
#    direction (upstream for the upload phase, downstream for download);
#  - latency 10ms: grade A or B everywhere.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/lab.sh"
set -u
lab_init
BB_TMP=$(mktemp -d /tmp/bb-lab.XXXXXX)
command -v tc >/dev/null || skip "tc (iproute2) missing"

lab_ns client
lab_ns modem
lab_ns server
lab_link client modem 198.18.0.2/24 198.18.0.1/24
IF_DOWN=$LAB_IF_B # modem side facing the client: download queue
lab_link modem server 198.18.1.1/24 198.18.1.2/24
IF_UP=$LAB_IF_A # modem side facing the server: upload queue
lab_exec client ip route add default via 198.18.0.1
lab_exec server ip route add default via 198.18.1.1
lab_exec modem sysctl -qw net.ipv4.ip_forward=1

key=$("$BB_BIN" keygen)
printf '%s\n' "$key" >"$BB_TMP/key"
chmod 600 "$BB_TMP/key"
cat >"$BB_TMP/srv.conf" <<CONF
general = { workers = 1; };
security = { shared_secret_file = "$BB_TMP/key"; };
rate_limiting = { max_packets_per_second = 50000; burst_size = 5000;
  max_bandwidth_mbps = 100; };
CONF
lab_exec server "$BB_SERVER_BIN" -c "$BB_TMP/srv.conf" \
	--bind 198.18.1.2:9876 2>"$BB_TMP/srv.log" &
sleep 0.3

shape() {
	local dev
	for dev in "$IF_UP" "$IF_DOWN"; do
		lab_exec modem tc qdisc replace dev "$dev" root tbf \
			rate "$1"mbit burst 5000 latency "$2"
	done
}
tests='{ dns = { enabled = false; dns_servers = []; };
  throughput = { enabled = false; };
  bufferbloat = { enabled = true; interval_s = 600; test_duration_s = 16;
    test_type = "both"; }; }'
bb_write_config "$BB_TMP/bb.conf" "tests=$tests" \
	"servers=( { name = \"lab\"; host = \"198.18.1.2\"; port = 9876; shared_secret_file = \"$BB_TMP/key\"; } )"

# col DIR N: field N of the result line for direction DIR
col() { awk -v d="$1" -v n="$2" '$1 == d { print $n }' "$BB_TMP/bloat"; }

fails=0
check() { "$@" || { fails=$((fails + 1)); echo "  ^ FAILED: $*"; }; }

shape 5 300ms
t0=$(date +%s)
lab_exec client "$BB_BIN" bloat -c "$BB_TMP/bb.conf" >"$BB_TMP/bloat" 2>&1 ||
	{ cat "$BB_TMP/bloat"; fail "bufferbane bloat exited $?"; }
echo "tbf 5mbit latency 300ms ($(( $(date +%s) - t0 )) s):"
cat "$BB_TMP/bloat"
for d in up down both; do
	inc=$(col $d 10)
	g=$(col $d 12)
	check awk -v i="$inc" 'BEGIN { exit !(i >= 255) }'
	check grep -qx '[DF]' <<<"$g"
done
check grep -q '^up .*upstream' "$BB_TMP/bloat"
check grep -q '^down .*downstream' "$BB_TMP/bloat"

shape 5 10ms
lab_exec client "$BB_BIN" bloat -c "$BB_TMP/bb.conf" >"$BB_TMP/bloat" 2>&1 ||
	{ cat "$BB_TMP/bloat"; fail "bufferbane bloat exited $?"; }
echo "tbf 5mbit latency 10ms:"
cat "$BB_TMP/bloat"
for d in up down both; do
	check grep -Eqx 'A|B' <<<"$(col $d 12)"
done
[ $fails -eq 0 ] || fail "$fails checks failed"
echo PASS
