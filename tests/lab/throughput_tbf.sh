#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Throughput against the ground truth of a token bucket (DETECTION.md "The
# network lab"): client ── modem ── server namespaces, tbf in the modem on
# both forwarding directions (never on the sender's own interface), at 5 and
# 20 Mbit/s with a 300 ms queue.  bufferbane -d runs one upload and one
# download test (the first one saturates: 100 Mbit/s upload pacing, the
# server's cap for download) and each measured IP-layer rate must be within
# 3 % of what the tbf lets through at the IP layer.
#
# What "the tbf rate" is at the IP layer: tbf on a veth counts the whole
# frame, IP packet + 14 bytes of Ethernet header.  A 1200-byte UDP payload
# is a 1228-byte IP packet and a 1242-byte frame, so the IP-layer rate is
# rate x 1228 / 1242 (98.9 %): 4943 kbit/s for 5mbit, 19775 for 20mbit.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/lab.sh"
set -u
lab_init
BB_TMP=$(mktemp -d /tmp/bb-lab.XXXXXX)
command -v tc >/dev/null || skip "tc (iproute2) missing"

lab_modem
SRV_NAME=lab bb_server_start -n server -b 198.18.1.2:9876 \
	"$BB_SRV_LAB"

shape() { lab_shape "$@"; }

# within A B TOL: |A - B| <= TOL
within() {
	awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= t) }'
}

fails=0
for rate in 5 20; do
	shape $rate 300ms
	kb=$((rate * 1000 * 15 / 80)) # about 1.5 s of data at the rate
	tests="{ dns = { enabled = false; dns_servers = []; };
	  bufferbloat = { enabled = false; };
	  throughput = { enabled = true; first_test_s = 3; small_test_kb = $kb; small_interval_s = 600;
	    medium_test_kb = $kb; medium_interval_s = 3600;
	    large_test_kb = $kb; large_interval_s = 7200; }; }"
	bb_write_config "$BB_TMP/bb.conf" "tests=$tests" \
		"servers=$SRV_SERVERS"
	db=$BB_TMP/t$rate.db
	lab_exec client "$BB_BIN" -d -c "$BB_TMP/bb.conf" --db "$db" \
		--interval 100 --duration 9 >"$BB_TMP/out" 2>&1 ||
		{ cat "$BB_TMP/out"; fail "bufferbane -d exited $?"; }
	want=$(awk -v r=$rate 'BEGIN { printf "%d", r * 1000 * 1228 / 1242 }')
	for dir in upload download; do
		got=$(sql "$db" "SELECT throughput_kbps FROM measurements WHERE test_type='$dir' AND status='ok' LIMIT 1")
		loss=$(sql "$db" "SELECT packet_loss_pct FROM measurements WHERE test_type='$dir' LIMIT 1")
		err=$(awk -v g="${got:-0}" -v w=$want 'BEGIN { printf "%.2f", (g - w) * 100 / w }')
		printf 'tbf %2d mbit %-8s measured %6s kbit/s, IP-layer truth %5d, error %6s %%, loss %s %% (saturating)\n' \
			$rate $dir "${got:-none}" $want "$err" "${loss:-?}"
		within "$err" 0 3 || { fails=$((fails + 1)); echo "  ^ outside 3 %"; }
	done
done
[ $fails -eq 0 ] || fail "$fails measurements outside 3 % of the tbf rate"
echo PASS
