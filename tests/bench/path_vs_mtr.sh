#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The path probe next to `mtr --report` on the same lab path (client ──
# modem ── isp ── server, 198.18.0.0/15, as tests/lab/path_hops.sh), at the
# same packet rate: mtr -i I sends one probe per hop per round (3 hops: 3/I
# packets a second), bufferbane's path probe one per interval_ms.  For each:
# packets the client sent (its veth's tx counter), the CPU time the process
# used (user + sys from /proc, children included: mtr-packet), and the
# per-hop loss and median RTT each reports.  Bufferbane's run carries its
# ICMP probe of the target once a minute (one packet); nothing else.
# Needs root and mtr; reports figures only, never fails on one.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/lab.sh"
lab_init
command -v mtr >/dev/null || skip "mtr missing (apt-get install mtr-tiny)"
BB_TMP=$(mktemp -d /tmp/bb-bench.XXXXXX)
set -u
SECS=${SECS:-20}
RATE=${RATE:-30} # packets a second, both tools

lab_ns client
lab_ns modem
lab_ns isp
lab_ns server
lab_link client modem 198.18.0.2/24 198.18.0.1/24
CLIENT_IF=$LAB_IF_A
lab_link modem isp 198.18.1.1/24 198.18.1.2/24
lab_link isp server 198.18.2.1/24 198.18.2.2/24
lab_exec client ip route add default via 198.18.0.1
lab_exec modem ip route add default via 198.18.1.2
lab_exec isp ip route add 198.18.0.0/24 via 198.18.1.1
lab_exec server ip route add default via 198.18.2.1
for ns in modem isp; do
	lab_exec $ns sysctl -qw net.ipv4.ip_forward=1 net.ipv4.icmp_ratelimit=0
done
lab_exec client ping -c1 -W2 198.18.2.2 >/dev/null || fail "no route"

tx() { lab_exec client cat /sys/class/net/$CLIENT_IF/statistics/tx_packets; }
# the command is run by /usr/bin/time (user + sys, children included)
cpu_of() { # cpu_of OUT CMD...: runs CMD, prints "cpu_ms"
	local out=$1; shift
	/usr/bin/time -f '%U %S' -o "$BB_TMP/time" "$@" >"$out" 2>&1
	awk '{ printf "%d", ($1 + $2) * 1000 }' "$BB_TMP/time"
}

interval_ms=$((1000 / RATE))
bb_write_config "$BB_TMP/bb.conf" \
	'general={ test_interval_ms = 60000; probe_timeout_ms = 1000; }' \
	'targets={ isp_gateway = "none"; public_dns = []; custom = [ "srv=198.18.2.2" ]; }' \
	"tests={ dns = { enabled = false; dns_servers = []; }; bufferbloat = { enabled = false; }; throughput = { enabled = false; }; path = { enabled = true; interval_ms = $interval_ms; }; }"
a=$(tx)
bb_cpu=$(cpu_of "$BB_TMP/bb.out" ip netns exec "$LAB-client" "$BB_BIN" -d -c "$BB_TMP/bb.conf" \
	--db "$BB_TMP/bb.db" --duration "$SECS")
bb_pk=$(( $(tx) - a ))
# the same run without the path probe: bufferbane's own fixed cost
sed 's/path = { enabled = true;/path = { enabled = false;/' "$BB_TMP/bb.conf" >"$BB_TMP/base.conf"
base_cpu=$(cpu_of "$BB_TMP/base.out" ip netns exec "$LAB-client" "$BB_BIN" -d -c "$BB_TMP/base.conf" \
	--db "$BB_TMP/base.db" --duration "$SECS")

# mtr: 3 probes a round (one per hop), rounds every 3/RATE s
mtr_i=$(awk -v r="$RATE" 'BEGIN { printf "%.3f", 3 / r }')
rounds=$(awk -v s="$SECS" -v i="$mtr_i" 'BEGIN { printf "%d", s / i }')
a=$(tx)
mtr_cpu=$(cpu_of "$BB_TMP/mtr.out" ip netns exec "$LAB-client" mtr -n --report -c "$rounds" \
	-i "$mtr_i" 198.18.2.2)
mtr_pk=$(( $(tx) - a ))

echo "path probe vs mtr --report, ${SECS} s at ${RATE} packets/s, 3 hops"
printf '%-24s %8s %8s %10s\n' tool packets cpu_ms "cpu_us/pkt"
printf '%-24s %8d %8d %10d\n' "bufferbane path" "$bb_pk" "$bb_cpu" $((bb_cpu * 1000 / (bb_pk ? bb_pk : 1)))
printf '%-24s %8s %8d %10d\n' "  of which path probe" "" $((bb_cpu - base_cpu)) $(((bb_cpu - base_cpu) * 1000 / (bb_pk ? bb_pk : 1)))
printf '%-24s %8d %8d %10d\n' "mtr -i $mtr_i -c $rounds" "$mtr_pk" "$mtr_cpu" $((mtr_cpu * 1000 / (mtr_pk ? mtr_pk : 1)))
echo "bufferbane per hop (hops table: probes, loss %, median ms):"
sqlite3 -batch -noheader "$BB_TMP/bb.db" "SELECT hop, addr, count(*),
	round(100.0 * sum(addr IS NULL) / count(*), 1), round(avg(rtt_ms), 3)
	FROM hops GROUP BY hop, addr"
echo "mtr:"
cat "$BB_TMP/mtr.out"
