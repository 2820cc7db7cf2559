#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bb-test: background
# Passive bufferbloat (event bufferbloat_passive): the household's own
# upload fills the modem's queue and the delay beyond it rises, with no
# test load of ours.  client ── modem ── server namespaces (lab_modem),
# tbf rate 5mbit burst 5000 with an explicit byte limit on the modem's
# upload queue; `bufferbane -d` in the client with an ICMP target across
# the modem (198.18.1.2) and the gateway (198.18.0.1, before the queue,
# never judged), no companion server (so no test of ours); iperf3 -u -b 6M
# (20 s) from the client to an iperf3 -s in the server namespace: 20 %
# above the shaped rate, so the queue stays full the whole time.
#
# The queue's physical bound is limit * 8 / rate: a packet behind a full
# queue waits for all of it.  (A TCP upload does not keep it full here:
# after its slow start overshoots the 300 ms queue, measured in this lab,
# the RTT beyond it falls to 20-35 ms for the rest of a 12 s iperf3 -c,
# whatever the shaped rate says; the full-queue figure needs a sender
# above the rate.)  The counters see the 6 Mbit/s sent, so the capacity is
# the rate seen, 100 % busy.
#  - deep queue (limit 187500 B: 300 ms): bufferbloat_passive appears on
#    -d while the upload runs (not before it), direction "upload", and its
#    increase_ms is within 15 % of 300 ms;
#    `bufferbane report` has it in its own-traffic section;
#  - idle run, deep queue, no upload: no bufferbloat_passive;
#  - deep queue, iperf3 -R (the server sends 6M down): direction
#    "download", within 15 % of 300 ms;
#  - deep queue loaded by our own bufferbloat test (companion server,
#    12 s of upload): the delay beyond the modem rises past 200 ms but no
#    bufferbloat_passive (its bytes and its seconds are not the
#    household's);
#  - shallow queue (limit 12500 B: 20 ms): the same upload raises none.
# (Replay through the detector from a real database: the unit test
# test_detect_passive, test_replay_reproduces_it.)
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/lab.sh"
set -u
lab_init
BB_TMP=$(mktemp -d /tmp/bb-lab.XXXXXX)
command -v tc >/dev/null || skip "tc (iproute2) missing"
command -v iperf3 >/dev/null || skip "iperf3 missing: make deps"
command -v sqlite3 >/dev/null || skip "sqlite3 missing"

lab_modem
RATE=5000000 # bit/s

bb_write_config "$BB_TMP/bb.conf" \
	'general={ test_interval_ms = 1000; probe_timeout_ms = 2000; }' \
	'targets={ isp_gateway = "auto"; public_dns = []; custom = [ "198.18.1.2" ]; }' \
	'monitoring={ auto_detect_gateway = true; }'

# json_num JSON KEY: a number from a flat JSON object
json_num() {
	sed -n "s/.*\"$2\":\([-0-9.]*\).*/\1/p" <<<"$1"
}

# shape LIMIT_BYTES: the upload queue (towards the server) and, the same,
# the download queue
shape() {
	local dev
	for dev in "$LAB_IF_UP" "$LAB_IF_DOWN"; do
		lab_exec modem tc qdisc replace dev "$dev" root tbf \
			rate "$RATE"bit burst 5000 limit "$1" || fail "tbf"
	done
}

fails=0
check() { "$@" || { fails=$((fails + 1)); echo "  ^ FAILED: $*"; }; }

# run NAME DURATION [LOAD_AT LOAD_S [IPERF3_ARG...]]: bufferbane -d for
# DURATION s, with iperf3 uploading (-R: downloading) LOAD_S seconds from
# LOAD_AT s after its start; sets DB, OUT, LOAD_START_MS, LOAD_END_MS
run() {
	DB=$BB_TMP/$1.db OUT=$BB_TMP/$1.out LOAD_START_MS=0 LOAD_END_MS=0
	local pid ipid
	lab_exec client "$BB_BIN" -d -c "$BB_TMP/bb.conf" --db "$DB" \
		--duration "$2" >"$OUT" 2>&1 &
	pid=$!
	if [ $# -ge 4 ]; then
		lab_exec server iperf3 -s -1 -B 198.18.1.2 \
			>"$BB_TMP/$1.iperf-s" 2>&1 &
		ipid=$!
		sleep "$3"
		LOAD_START_MS=$(date +%s%3N)
		lab_exec client iperf3 -c 198.18.1.2 -u -b 6M -t "$4" "${@:5}" \
			>"$BB_TMP/$1.iperf" 2>&1 ||
			{ cat "$BB_TMP/$1.iperf"; fail "iperf3 failed"; }
		LOAD_END_MS=$(date +%s%3N)
		wait "$ipid"
	fi
	wait "$pid" || { cat "$OUT"; fail "bufferbane -d exited $?"; }
}

# passive_events: "start_ms|end_ms|severity|target|metrics" per event
passive_events() {
	sql "$DB" "SELECT start_ms, end_ms, severity, target, metrics FROM
		events WHERE kind = 'bufferbloat_passive' ORDER BY start_ms"
}

# 1. deep queue, 20 s of upload after 15 s idle
shape 187500
bound=$(awk -v l=187500 -v r=$RATE 'BEGIN { printf "%.1f", l * 8 / r * 1000 }')
run deep 45 15 20
echo "== deep queue (bound $bound ms), upload $LOAD_START_MS..$LOAD_END_MS"
grep -E 'event .*bufferbloat_passive' "$OUT"
passive_events | tee "$BB_TMP/ev"
sql "$DB" "SELECT (timestamp - $LOAD_START_MS) / 1000, tx_kbps, rx_kbps
	FROM measurements WHERE test_type = 'traffic' ORDER BY timestamp" |
	tr '\n' ' '
echo
check grep -Eq 'event start bufferbloat_passive (warning|critical) (upload( via [^:]+)?: )?Upload busy at' "$OUT"
check [ "$(wc -l <"$BB_TMP/ev")" -eq 1 ]
IFS='|' read -r start end sev target met <"$BB_TMP/ev"
inc=$(json_num "$met" increase_ms)
util=$(json_num "$met" utilisation_pct)
echo "event: +$((start - LOAD_START_MS)) ms after the upload began, $sev," \
	"$target, increase $inc ms against the bound $bound ms, $util % busy"
check [ "$target" = upload ]
check grep -q '"direction":"upload"' <<<"$met"
check grep -q '"capacity":"seen"' <<<"$met"
# the event's first busy second is one of the upload's
check [ "$start" -ge $((LOAD_START_MS - 1000)) ]
check [ "$start" -le "$LOAD_END_MS" ]
check awk -v i="$inc" -v b="$bound" 'BEGIN { exit !(i >= 0.85 * b && i <= 1.15 * b) }'
# +300 ms: above bufferbloat_alert_ms (200), below _critical_ms (500)
check [ "$sev" = warning ]
check grep -q 'grade D' <<<"$(sql "$DB" "SELECT description FROM events
	WHERE kind = 'bufferbloat_passive'")"

# the report's section says it from the recording
"$BB_BIN" report --db "$DB" --last 1h >"$BB_TMP/report.md" ||
	fail "bufferbane report exited $?"
grep -A4 'Bufferbloat from your own traffic' "$BB_TMP/report.md"
check grep -Eq '^\| - \| upload \| \+(2[6-9][0-9]|3[0-4][0-9]) ms \(grade [DF]\)' \
	"$BB_TMP/report.md"

# 2. the same queue, idle
run idle 20
echo "== deep queue, idle"
check [ -z "$(passive_events)" ]
check [ "$(grep -c bufferbloat_passive "$OUT")" -eq 0 ]

# 3. the same queue downloading: the client's receive counter is busy
# (at the shaped rate: the queue is before it)
run down 35 12 15 -R
echo "== deep queue, download $LOAD_START_MS..$LOAD_END_MS"
passive_events | tee "$BB_TMP/ev"
check [ "$(wc -l <"$BB_TMP/ev")" -eq 1 ]
IFS='|' read -r start end sev target met <"$BB_TMP/ev"
inc=$(json_num "$met" increase_ms)
echo "event: $target, increase $inc ms against the bound $bound ms"
check [ "$target" = download ]
check grep -Eq 'event start bufferbloat_passive (warning|critical) (download( via [^:]+)?: )?Download busy at' "$OUT"
check awk -v i="$inc" -v b="$bound" 'BEGIN { exit !(i >= 0.85 * b && i <= 1.15 * b) }'

# 4. the same queue loaded by our own test, not the household: a
# bufferbloat test of the companion server (upload phase 12 s from 10 s)
touch "$BB_TMP/srv.log"
SRV_NAME=lab bb_server_start -n server -b 198.18.1.2:9876 "$BB_SRV_LAB"
cp "$BB_TMP/bb.conf" "$BB_TMP/plain.conf"
bb_write_config "$BB_TMP/bb.conf" \
	'general={ test_interval_ms = 1000; probe_timeout_ms = 2000; }' \
	'targets={ isp_gateway = "auto"; public_dns = []; custom = [ "198.18.1.2" ]; }' \
	'monitoring={ auto_detect_gateway = true; }' \
	"servers=$SRV_SERVERS" \
	'tests={ dns = { enabled = false; dns_servers = []; };
	  throughput = { enabled = false; };
	  bufferbloat = { enabled = true; first_test_s = 10; interval_s = 600;
	    test_duration_s = 24; test_type = "upload"; }; }'
run own 34
echo "== deep queue, our own bufferbloat test"
sql "$DB" "SELECT test_type, status, round(rtt_ms), round(bloat_increase_ms)
	FROM measurements WHERE test_type = 'bufferbloat'"
nl=$(sql "$DB" "SELECT count(*) FROM measurements WHERE test_type = 'icmp'
	AND target = '198.18.1.2' AND under_load AND rtt_ms > 200")
echo "icmp answers beyond the modem under our load, above 200 ms: $nl"
check [ "$nl" -ge 5 ]
check [ "$(sql "$DB" "SELECT count(*) FROM measurements WHERE
	test_type = 'bufferbloat' AND status = 'ok'")" -eq 1 ]
check [ -z "$(passive_events)" ]
check [ "$(grep -c bufferbloat_passive "$OUT")" -eq 0 ]
bb_server_stop
cp "$BB_TMP/plain.conf" "$BB_TMP/bb.conf"

# 5. shallow queue: the same upload barely delays anything
shape 12500
run shallow 35 12 15
echo "== shallow queue (bound 20 ms)"
sql "$DB" "SELECT rtt_ms FROM measurements WHERE test_type = 'icmp' AND
	target = '198.18.1.2' AND timestamp BETWEEN $LOAD_START_MS + 3000
	AND $LOAD_END_MS ORDER BY rtt_ms" | tr '\n' ' '
echo
check [ -z "$(passive_events)" ]
check [ "$(grep -c bufferbloat_passive "$OUT")" -eq 0 ]

[ $fails -eq 0 ] || fail "$fails checks failed"
echo PASS
