#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Bufferbane's server-based measurements next to iperf3 and irtt, one lab
# run (client ── modem ── server namespaces, 198.18.0.0/15, tbf in the modem
# on both forwarding directions, as tests/lab/throughput_tbf.sh and
# tests/lab/bloat_tbf.sh):
#   1. throughput through tbf 5 and 20 mbit (latency 300ms): bufferbane -d
#      upload/download vs iperf3 -t 5 -C cubic (-R for download) vs the tbf
#      truth at the IP layer;
#   2. bloat through tbf 5 mbit latency 300ms: `bufferbane bloat` vs irtt
#      (-i 20ms -d 8s) idle and during an iperf3 -C cubic load (up, then -R).
#
# Accounting.  tbf on a veth counts whole frames (IP packet + 14 bytes of
# Ethernet).  Bufferbane: 1200-byte UDP payload = 1228-byte IP packet, 1242
# frame, so its IP-layer truth is rate x 1228/1242.  iperf3 reports TCP
# goodput (payload bytes the receiver got).  With a 1500 MTU and TCP
# timestamps a full segment carries MSS=1448 payload bytes in a 1500-byte IP
# packet (1514 frame), so iperf3's IP-layer rate is goodput x 1500/1448 and
# its IP-layer truth is rate x 1500/1514 (goodput truth rate x 1448/1514).
# ACKs travel the other direction, through the other queue.
# Needs root; reports figures only, never fails on one.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/lab.sh"
lab_init
BB_TMP=$(mktemp -d /tmp/bb-bench.XXXXXX)
set -u
for tool in tc iperf3 irtt python3 sqlite3; do
	command -v $tool >/dev/null || skip "$tool missing (make deps)"
done

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
lab_exec server iperf3 -s -B 198.18.1.2 >/dev/null 2>&1 &
lab_exec server irtt server -b 198.18.1.2:2112 >/dev/null 2>&1 &
sleep 0.5
SRV="servers=( { name = \"lab\"; host = \"198.18.1.2\"; port = 9876; shared_secret_file = \"$BB_TMP/key\"; } )"

shape() { # RATE_MBIT LATENCY
	local dev
	for dev in "$IF_UP" "$IF_DOWN"; do
		lab_exec modem tc qdisc replace dev "$dev" root tbf \
			rate "$1"mbit burst 5000 latency "$2"
	done
}

# iperf3 goodput in kbit/s (receiver side) from a -J file, or "-"
iperf_kbps() {
	python3 - "$1" <<'PY' 2>/dev/null || echo -
import json, sys
j = json.load(open(sys.argv[1]))
print("%.0f" % (j["end"]["sum_received"]["bits_per_second"] / 1000))
PY
}

# irtt RTT median in ms from a -o file, or "-"
irtt_med() {
	python3 - "$1" <<'PY' 2>/dev/null || echo -
import json, sys
j = json.load(open(sys.argv[1]))
print("%.1f" % (j["stats"]["rtt"]["median"] / 1e6))
PY
}

# --- 1. throughput ---------------------------------------------------------
echo "1. throughput through tbf (latency 300ms), kbit/s; err = vs IP-layer truth"
printf '%-6s %-8s | %6s %6s %6s | %7s %7s %6s %6s\n' \
	rate dir bb bb_tru bb_err% ip3_gp ip3_ip ip3_tr ip3err%
for rate in 5 20; do
	shape $rate 300ms
	kb=$((rate * 1000 * 15 / 80))
	tests="{ dns = { enabled = false; dns_servers = []; };
	  bufferbloat = { enabled = false; };
	  throughput = { enabled = true; first_test_s = 3; small_test_kb = $kb; small_interval_s = 600;
	    medium_test_kb = $kb; medium_interval_s = 3600;
	    large_test_kb = $kb; large_interval_s = 7200; }; }"
	bb_write_config "$BB_TMP/bb.conf" "tests=$tests" "$SRV"
	db=$BB_TMP/t$rate.db
	lab_exec client "$BB_BIN" -d -c "$BB_TMP/bb.conf" --db "$db" \
		--interval 100 --duration 9 >"$BB_TMP/out" 2>&1 ||
		echo "  (bufferbane -d exited $?: $(tail -1 "$BB_TMP/out"))"
	bbt=$(awk -v r=$rate 'BEGIN { printf "%d", r * 1000 * 1228 / 1242 }')
	ipt=$(awk -v r=$rate 'BEGIN { printf "%d", r * 1000 * 1500 / 1514 }')
	for dir in upload download; do
		bb=$(sql "$db" "SELECT throughput_kbps FROM measurements WHERE test_type='$dir' AND status='ok' LIMIT 1" 2>/dev/null)
		rev=
		[ $dir = download ] && rev=-R
		sleep 1 # let the queue drain
		lab_exec client iperf3 -c 198.18.1.2 -t 5 -J -C cubic $rev \
			>"$BB_TMP/ip3.json" 2>/dev/null
		gp=$(iperf_kbps "$BB_TMP/ip3.json")
		awk -v r=$rate -v d=$dir -v bb="${bb:--}" -v bt=$bbt -v gp="$gp" -v it=$ipt 'BEGIN {
			be = bb == "-" ? "-" : sprintf("%+.1f", (bb - bt) * 100 / bt)
			ip = gp == "-" ? "-" : sprintf("%.0f", gp * 1500 / 1448)
			ie = gp == "-" ? "-" : sprintf("%+.1f", (ip - it) * 100 / it)
			printf "%-6s %-8s | %6s %6d %6s | %7s %7s %6d %6s\n",
				r "mbit", d, bb == "" ? "-" : sprintf("%.0f", bb), bt, be, gp, ip, it, ie }'
	done
done
echo "  bb = bufferbane IP-layer rate; bb_tru = rate x 1228/1242"
echo "  ip3_gp = iperf3 goodput; ip3_ip = goodput x 1500/1448; ip3_tr = rate x 1500/1514"

# --- 2. bloat --------------------------------------------------------------
shape 5 300ms
echo
echo "2. bloat through tbf 5mbit latency 300ms, RTT ms"
tests='{ dns = { enabled = false; dns_servers = []; };
  throughput = { enabled = false; };
  bufferbloat = { enabled = true; interval_s = 600; test_duration_s = 16;
    test_type = "both"; }; }'
bb_write_config "$BB_TMP/bb.conf" "tests=$tests" "$SRV"
lab_exec client "$BB_BIN" bloat -c "$BB_TMP/bb.conf" >"$BB_TMP/bloat" 2>&1 ||
	echo "  (bufferbane bloat exited $?)"
sleep 1
lab_exec client irtt client -q -i 20ms -d 8s -o "$BB_TMP/idle.json" \
	198.18.1.2:2112 >/dev/null 2>&1
idle=$(irtt_med "$BB_TMP/idle.json")
for d in up down; do
	rev=
	[ $d = down ] && rev=-R
	sleep 1
	lab_exec client iperf3 -c 198.18.1.2 -t 11 -C cubic $rev >/dev/null 2>&1 &
	ip3=$!
	sleep 2 # slow start done, queue full
	lab_exec client irtt client -q -i 20ms -d 8s -o "$BB_TMP/$d.json" \
		198.18.1.2:2112 >/dev/null 2>&1
	wait $ip3
	eval "load_$d=\$(irtt_med \"\$BB_TMP/$d.json\")"
done
printf '%-5s | %-27s %5s | %-22s\n' dir "bufferbane idle/load/incr" grade "irtt idle/load/incr"
for d in up down; do
	eval "ld=\$load_$d"
	awk -v d=$d -v i="$idle" -v l="$ld" '
		$1 == d { bb = sprintf("%.1f / %.1f / %.1f", $2, $6, $10); g = $12 }
		END {
			inc = (i == "-" || l == "-") ? "-" : sprintf("%.1f", l - i)
			printf "%-5s | %-27s %5s | %s / %s / %s\n", d, bb == "" ? "-" : bb, g == "" ? "-" : g, i, l, inc }' \
		"$BB_TMP/bloat"
done
echo "  bufferbane: p50 idle / p50 loaded / increase (its UDP load);"
echo "  irtt: median idle / median during iperf3 -C cubic (-R for down) / difference"
echo "  bufferbane bloat raw output:"
sed 's/^/    /' "$BB_TMP/bloat"
