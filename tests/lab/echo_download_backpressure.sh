#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Download back-pressure: the server's socket refuses datagrams (EAGAIN)
# when its send buffer is full.  client ── server namespaces with a tbf of
# 20 Mbit/s and a very deep queue (limit 12 MB) on the server's OWN
# interface, so queued datagrams stay charged to the server's socket; the
# first download test (6 MB) asks for the server's cap (100 Mbit/s), and
# the socket's send buffer (4 MB asked, 2 x that in truesize, ~3600 chunks
# of 1200 bytes when net.core.wmem_max allows it) fills long before the
# queue does.  A chunk the
# socket refused must be retried, never counted as sent and lost: the
# client's download result shows (almost) no loss (<= 1 %; the path itself
# drops nothing) and a rate at or below what the tbf lets through.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/lab.sh"
set -u
lab_init
BB_TMP=$(mktemp -d /tmp/bb-lab.XXXXXX)
command -v tc >/dev/null || skip "tc (iproute2) missing"
command -v sqlite3 >/dev/null || skip "sqlite3 missing"

lab_ns client
lab_ns server
lab_link client server 198.18.0.2/24 198.18.0.1/24
IF_SRV=$LAB_IF_B
lab_exec server tc qdisc replace dev "$IF_SRV" root tbf rate 20mbit \
	burst 5000 limit 12000000 || fail "tbf"

SRV_NAME=lab bb_server_start -n server -b 198.18.0.1:9876 \
	"$BB_SRV_LAB"

kb=6000 # 2.4 s at 20 Mbit/s
tests="{ dns = { enabled = false; dns_servers = []; };
  bufferbloat = { enabled = false; };
  throughput = { enabled = true; first_test_s = 3; small_test_kb = $kb; small_interval_s = 600;
    medium_test_kb = $kb; medium_interval_s = 3600;
    large_test_kb = $kb; large_interval_s = 7200; }; }"
bb_write_config "$BB_TMP/bb.conf" "tests=$tests" \
	"servers=$SRV_SERVERS"
db=$BB_TMP/bb.db
lab_exec client "$BB_BIN" -d -c "$BB_TMP/bb.conf" --db "$db" \
	--interval 100 --duration 11 >"$BB_TMP/out" 2>&1 ||
	{ cat "$BB_TMP/out"; fail "bufferbane -d exited $?"; }
row=$(sql "$db" "SELECT status, throughput_kbps, packet_loss_pct, error_detail FROM measurements WHERE test_type='download' LIMIT 1")
echo "download through a full server socket: $row"
IFS='|' read -r st kbps loss _ <<<"$row"
[ "$st" = ok ] || fail "no download result"
want=$(awk 'BEGIN { printf "%d", 20000 * 1228 / 1242 }')
awk -v l="${loss:-100}" 'BEGIN { exit !(l <= 1) }' ||
	fail "download loss $loss % although nothing on the path drops"
awk -v k="$kbps" -v w="$want" 'BEGIN { exit !(k <= w * 1.03 && k >= w * 0.5) }' ||
	fail "download $kbps kbit/s outside the tbf's $want"
echo PASS
