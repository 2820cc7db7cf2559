#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Loss split per direction (MEASUREMENT.md "Loss", PROTOCOL.md ECHO_REPLY
# extension): client ── modem ── server namespaces, the echo stream at
# 100 ms, nft in the modem drops ~20 % of the client->server UDP only for
# 8 s, then (after a clean second) ~20 % of the server->client UDP only for
# 8 s.  Before both, a 3 s blackout makes the client re-knock while the
# server keeps its session and its counters going (the split must not
# assume they start afresh).  Asserts, from the database:
#  - phase "up": lost samples have loss_dir up, their share is within
#    binomial bounds of 20 % (~76 probes: 5..37 %), at most 1 "down";
#  - phase "down": the same with the directions swapped;
#  - one-way delay is stored only on samples whose sync quality is >= 80 %
#    (the sample's sync_pct), and is present on most clean samples.
# Traffic stays inside this run's namespaces (198.18.0.0/15).
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/lab.sh"
set -u
lab_init
BB_TMP=$(mktemp -d /tmp/bb-lab.XXXXXX)
command -v nft >/dev/null || skip "nft missing"
command -v sqlite3 >/dev/null || skip "sqlite3 missing"

lab_modem
lab_forward_filter bbld fw
SRV_NAME=lab bb_server_start -n server -b 198.18.1.2:9876
servers=$SRV_SERVERS
bb_write_config "$BB_TMP/bb.conf" "servers=$servers" \
	'loss_stream={ interval_ms = 100; }'
db=$BB_TMP/bb.db
lab_exec client "$BB_BIN" -d -c "$BB_TMP/bb.conf" --db "$db" --interval 100 \
	--duration 31 >"$BB_TMP/out" 2>&1 &
cli=$!

now() { date +%s%3N; }
sleep 3
lab_exec modem nft add rule inet bbld fw drop || fail "nft blackout"
sleep 3
lab_exec modem nft flush chain inet bbld fw
sleep 3 # re-knock (2 s of silence, then backoff) and a clean second
up_on=$(now)
lab_exec modem nft add rule inet bbld fw ip daddr 198.18.1.2 udp dport 9876 \
	numgen random mod 100 '<' 20 drop || fail "nft rule up"
sleep 8
lab_exec modem nft flush chain inet bbld fw
up_off=$(now)
sleep 1
down_on=$(now)
lab_exec modem nft add rule inet bbld fw ip saddr 198.18.1.2 udp sport 9876 \
	numgen random mod 100 '<' 20 drop || fail "nft rule down"
sleep 8
lab_exec modem nft flush chain inet bbld fw
down_off=$(now)
wait $cli || { cat "$BB_TMP/out"; fail "bufferbane -d exited $?"; }

q() { sql "$db" "$1"; }
E="test_type='udp_echo' AND target='lab'"
# count PHASE_ON PHASE_OFF COND: samples sent inside the phase meeting
# COND (typed figures: the measurements view); a 200 ms margin keeps
# boundary probes out.
count() {
	q "SELECT count(*) FROM measurements WHERE $E AND timestamp >= $1 + 200
	   AND timestamp < $2 - 200 AND $3"
}
fails=0
check() { "$@" || { fails=$((fails + 1)); echo "  ^ FAILED: $*"; }; }
between() { awk -v v="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(v >= lo && v <= hi) }'; }

for ph in up down; do
	if [ $ph = up ]; then on=$up_on off=$up_off other=down
	else on=$down_on off=$down_off other=up; fi
	n=$(count "$on" "$off" 1)
	mine=$(count "$on" "$off" "loss_direction = '$ph'")
	wrong=$(count "$on" "$off" "loss_direction = '$other'")
	bare=$(count "$on" "$off" "status != 'ok' AND loss_direction IS NULL")
	pct=$(awk -v a="$mine" -v n="$n" 'BEGIN { printf "%.1f", n ? 100 * a / n : 0 }')
	echo "phase $ph: $n samples, $mine 'lost $ph' ($pct %), $wrong 'lost $other', $bare undirected"
	check [ "$n" -ge 60 ]
	# 20 % of ~76 probes: sd 4.6 points; 5..37 % is beyond 3 sd each way
	check between "$pct" 5 37
	check [ "$wrong" -le 1 ]
	check [ "$bare" -le 1 ]
done

# one-way delay only with sync quality >= 80 %
bad=$(q "SELECT count(*) FROM measurements WHERE $E AND up_delay_ms IS NOT NULL AND
	(sync_pct IS NULL OR sync_pct < 80)")
low=$(q "SELECT count(*) FROM measurements WHERE $E AND status='ok' AND
	sync_pct < 80")
lowowd=$(q "SELECT count(*) FROM measurements WHERE $E AND status='ok' AND
	sync_pct < 80 AND up_delay_ms IS NOT NULL")
okn=$(q "SELECT count(*) FROM measurements WHERE $E AND status='ok' AND timestamp >= $up_on")
owd=$(q "SELECT count(*) FROM measurements WHERE $E AND status='ok' AND timestamp >= $up_on
	AND up_delay_ms IS NOT NULL AND down_delay_ms IS NOT NULL")
echo "one-way delay: on $owd of $okn ok samples; $low ok samples below q=80 ($lowowd of them with one-way delay); $bad with one-way delay without q>=80"
check [ "$bad" -eq 0 ]
check [ "$lowowd" -eq 0 ]
check [ "$owd" -ge $((okn / 2)) ]
# the server's own drop counters are no concern here; show the direction
# lines once for the log
q "SELECT error_detail, count(*) FROM measurements WHERE $E AND status != 'ok' GROUP BY 1"
[ $fails -eq 0 ] || fail "$fails checks failed"
echo PASS
