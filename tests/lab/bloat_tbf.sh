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

lab_modem
SRV_NAME=lab bb_server_start -n server -b 198.18.1.2:9876 \
	"$BB_SRV_LAB"

shape() { lab_shape "$@"; }
tests='{ dns = { enabled = false; dns_servers = []; };
  throughput = { enabled = false; };
  bufferbloat = { enabled = true; interval_s = 600; test_duration_s = 16;
    test_type = "both"; }; }'
bb_write_config "$BB_TMP/bb.conf" "tests=$tests" \
	"servers=$SRV_SERVERS"

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
