#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Throughput against the ground truth of a token bucket (DETECTION.md "The
# network lab"): client ── modem ── server namespaces, tbf in the modem on
# both forwarding directions (never on the sender's own interface), at 5 and
# 20 Mbit/s with a 300 ms queue.  bufferbane -d runs one upload and one
# download test (the first one saturates: 100 Mbit/s upload pacing, the
# server's cap for download) and each measured IP-layer rate must be within
# 3 % above or 5 % below what the tbf lets through at the IP layer (why the
# two differ: below).
#
# What "the tbf rate" is at the IP layer: tbf on a veth counts the whole
# frame, IP packet + 14 bytes of Ethernet header.  A 1200-byte UDP payload
# is a 1228-byte IP packet and a 1242-byte frame, so the IP-layer rate is
# rate x 1228 / 1242 (98.9 %): 4943 kbit/s for 5mbit, 19775 for 20mbit.
#
# The bucket holds 10 ms of tokens at either rate.  tbf refills it from a
# timer; when that timer fires later than the bucket's depth (a loaded
# 2-core CI host), the tokens beyond it are lost and the tbf itself delivers
# less than its rate.  A 5000-byte bucket is 2 ms at 20 Mbit/s: in one CI run
# our download read 3.5 % below the rate (upload 1.6 %); we could not make
# it happen again here, with busy loops or three copies of this test at
# once, and each read within 0.1 %.  Once the queue is saturated the
# bucket's depth changes only that slack, not the rate (its one full bucket
# at the start falls in the ramp left out).
#
# So the bound is one-sided where physics is: never more than 3 % above the
# tbf rate (nothing can pass it faster), and at most 5 % below it (a host
# can make the tbf itself slower, never faster).
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

fails=0
for rate in 5 20; do
	shape $rate 300ms $((rate * 1000 * 10 / 8)) # bytes in 10 ms
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
		awk -v e="$err" 'BEGIN { exit !(e <= 3 && e >= -5) }' ||
			{ fails=$((fails + 1)); echo "  ^ outside -5 % .. +3 %"; }
	done
done
[ $fails -eq 0 ] || fail "$fails measurements outside -5 % .. +3 % of the tbf rate"
echo PASS
