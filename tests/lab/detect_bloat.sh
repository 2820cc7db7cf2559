#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Bufferbloat detected end to end in headless mode (DETECTION.md, alert at
# +200 ms, critical at +500 ms): `bufferbane -d` with the real
# bufferbane-server behind a modem namespace shaping both directions with
# tbf rate 5mbit, and a SCHEDULED bufferbloat test (core/probe/srvclient.c: first
# test 5 s after start, srv.bloat_first_ns; test_type "both", so one test
# has an upload, a download and a both phase; test_duration_s 12 gives
# 3 s of load per phase).
#  - latency 300ms: bufferbloat samples in measurements whose increase over
#    idle is >= 85 % of the 300 ms queue, graded D or F, and a bufferbloat
#    event (warning or critical) naming the direction and grade D or F;
#  - latency 10ms: every bufferbloat sample graded A+, A or B and no
#    bufferbloat event.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/lab.sh"
. "$(dirname "$0")/detect_lab.inc"
lab_init
BB_TMP=$(mktemp -d /tmp/bb-lab.XXXXXX)
set -u
command -v tc >/dev/null || skip "tc (iproute2) missing"
command -v sqlite3 >/dev/null || skip "sqlite3 missing"
det_topology
det_server
bb_write_config "$BB_TMP/bb.conf" \
	"servers=$DET_SERVERS" \
	'tests={ dns = { enabled = false; dns_servers = []; };
	  throughput = { enabled = false; };
	  bufferbloat = { enabled = true; first_test_s = 5; interval_s = 30; test_duration_s = 12;
	    test_type = "both"; }; }'

shape() {
	local dev
	for dev in "$DET_IF_UP" "$DET_IF_DOWN"; do
		lab_exec modem tc qdisc replace dev "$dev" root tbf \
			rate 5mbit burst 5000 latency "$1" || fail "tbf"
	done
}

# bloat_samples: "timestamp|rtt_ms|status|phase|increase_ms" per bufferbloat
# sample (typed figures: the measurements view)
bloat_samples() {
	sql "$BB_TMP/bb.db" "SELECT timestamp, rtt_ms, status, load_phase,
		round(bloat_increase_ms) FROM measurements
		WHERE test_type='bufferbloat' ORDER BY timestamp"
}
# idle_ms: median udp_echo RTT to the server (the detector's idle baseline)
idle_ms() {
	sql "$BB_TMP/bb.db" "SELECT rtt_ms FROM measurements
		WHERE test_type='udp_echo' AND status='ok' ORDER BY rtt_ms
		LIMIT 1 OFFSET (SELECT count(*) / 2 FROM measurements
		WHERE test_type='udp_echo' AND status='ok')"
}

fails=0
check() { "$@" || { fails=$((fails + 1)); echo "  ^ FAILED: $*"; }; }

# half LATENCY: one daemon run of 19 s (first test at +5 s, ~12 s long)
half() {
	rm -f "$BB_TMP"/bb.db*
	shape "$1"
	t0=$(date +%s%3N)
	det_run "$BB_TMP/bb.conf" 19
	wait "$DET_PID" || { cat "$BB_TMP/out"; fail "bufferbane -d exited $?"; }
	echo "== tbf 5mbit latency $1 ($(( $(date +%s%3N) - t0 )) ms)"
	idle=$(idle_ms)
	echo "udp_echo idle p50: $idle ms"
	bloat_samples | tee "$BB_TMP/samples"
	det_events "WHERE kind='bufferbloat'" | tee "$BB_TMP/events"
	sql "$BB_TMP/bb.db" "SELECT description FROM events
		WHERE kind='bufferbloat' ORDER BY start_ms"
	[ "$(grep -c '|ok|' "$BB_TMP/samples")" -ge 3 ] ||
		{ cat "$BB_TMP/out"; fail "expected 3 ok bufferbloat samples (up, down, both)"; }
}

# sample fields: ts|rtt|status|phase|increase, all with the test's start
# time; an increase >= 255 ms is grade D or F (DETECTION.md scale)
half 300ms
while IFS='|' read -r ts rtt st ph inc; do
	echo "sample $ph: +$((ts - t0)) ms, loaded $rtt ms, increase $inc ms"
	check grep -Eqx 'up|down|both' <<<"$ph"
	check awk -v i="$inc" 'BEGIN { exit !(i >= 255) }'
	check awk -v r="$rtt" -v i="$idle" 'BEGIN { exit !(r - i >= 255) }'
	check [ "$st" = ok ]
	test_start=$ts
done <"$BB_TMP/samples"
[ -s "$BB_TMP/events" ] || fail "no bufferbloat event at latency 300ms"
while IFS='|' read -r kind start end sev target metrics; do
	g=$(sed -n 's/.*"grade":"\([^"]*\)".*/\1/p' <<<"$metrics")
	dir=$(sed -n 's/.*"direction":"\([^"]*\)".*/\1/p' <<<"$metrics")
	inc=$(json_num "$metrics" increase_ms)
	echo "event: start +$((start - t0)) ms after daemon start (test start +$((test_start - t0)) ms), $sev, $dir, +$inc ms, grade $g"
	check grep -Eqx 'warning|critical' <<<"$sev"
	check grep -Eqx 'upload|download|both' <<<"$dir"
	check grep -Eqx 'D|F' <<<"$g"
	if awk -v i="$inc" 'BEGIN { exit !(i > 500) }'; then
		check [ "$sev" = critical ]
	fi
	max=$(awk -F'|' '$5 > m { m = $5 } END { print m + 0 }' "$BB_TMP/samples")
	echo "largest sample increase: $max ms"
	if [ "$max" -gt 500 ]; then check [ "$sev" = critical ]; else check [ "$sev" = warning ]; fi
	check [ "$start" -eq "$test_start" ]
done <"$BB_TMP/events"
# one test is one episode (core/analysis/detect_events.c oneshot: the phases' results
# land inside alert_cooldown_s and update the same event, the description
# and metrics of the last phase, the severity the highest of them)
check [ "$(wc -l <"$BB_TMP/events")" -eq 1 ]
desc=$(sql "$BB_TMP/bb.db" "SELECT description FROM events WHERE kind='bufferbloat'")
check grep -Eq '^(Upload|Download|Both) bufferbloat to lab: \+[0-9]+ ms under load .*grade [DF]\.$' <<<"$desc"
check grep -qi "^$dir bufferbloat" <<<"$desc"

# below 60 ms: grade A+, A or B
half 10ms
while IFS='|' read -r ts rtt st ph inc; do
	echo "sample $ph: loaded $rtt ms, increase $inc ms"
	check grep -Eqx 'up|down|both' <<<"$ph"
	check awk -v i="$inc" 'BEGIN { exit !(i < 60) }'
done <"$BB_TMP/samples"
[ ! -s "$BB_TMP/events" ] || { fails=$((fails + 1)); echo "  ^ FAILED: bufferbloat event at latency 10ms"; }
[ $fails -eq 0 ] || fail "$fails checks failed"
echo PASS
