#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Intermittent upload degradation (DETECTION.md scenario 1), server-based:
# tbf 20 mbit both ways in the modem, the real bufferbane-server behind it,
# throughput tests of 1250 kB on the small/medium/large schedules of 10, 12
# and 14 s (the minimum config.c allows is 10 s; the three schedules
# interleave to tests at about 3, 13, 15, 17, 23, 27, 31 s after start).
# The first three tests seed the baseline; the modem's upload rate is then
# lowered to 5 mbit (25 %, below the 50 % critical line) with `tc qdisc change`
# for about 8.5 s, covering the tests at 17 and 23 s, and restored before
# the one at 27 s.  Sustain is 5 s, so the event starts at the first low
# test, is raised by the second and ends at the third.
#
# Asserts: one upload_degradation event and no download_degradation, and
# nothing raised by the tests' own load, neither on the echo stream nor on
# a ping to the server through the same queues (echoes sent while a test
# or its queue ran are flagged under load, pings of that interface at the
# same time count as loaded too, and both are left out of every window);
# start after the injection and within one schedule gap (6 s) of it;
# duration (first to last low test) no longer than the injection and at
# least the injection minus two schedule gaps; expected_kbps within 10 %
# of the 20 mbit IP-layer truth, worst_kbps from 20 % below to 10 % above
# the 5 mbit truth (IP-layer rate = rate x 1228 / 1242 for 1200-byte payloads, see
# throughput_tbf.sh); severity critical; and the event ends at the first
# test after the restore: a test can only measure up to the rate it is
# paced at, and pacing remembers the line's fading peak
# (core/probe/throughput.c tput_next_rate), not just 1.5 x the last 5 mbit.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/lab.sh"
. "$(dirname "$0")/detect_lab.inc"
lab_init
BB_TMP=$(mktemp -d /tmp/bb-lab.XXXXXX)
set -u
command -v tc >/dev/null || skip "tc (iproute2) missing"
det_topology
for dev in "$DET_IF_UP" "$DET_IF_DOWN"; do
	lab_exec modem tc qdisc replace dev "$dev" root tbf rate 20mbit \
		burst 5000 latency 300ms || fail "tbf"
done
det_server
kb=1250
bb_write_config "$BB_TMP/bb.conf" \
	'general={ test_interval_ms = 100; probe_timeout_ms = 500; }' \
	'targets={ isp_gateway = "none"; public_dns = []; custom = [ "198.18.1.2" ]; }' \
	"servers=$DET_SERVERS" \
	'thresholds={ throughput_sustain_s = 5; }' \
	"tests={ dns = { enabled = false; dns_servers = []; };
	  bufferbloat = { enabled = false; };
	  throughput = { enabled = true; first_test_s = 3; small_test_kb = $kb; small_interval_s = 10;
	    medium_test_kb = $kb; medium_interval_s = 12;
	    large_test_kb = $kb; large_interval_s = 14; }; }"
t0=$(date +%s%3N)
det_run "$BB_TMP/bb.conf" 29
sleep 16.3
on=$(date +%s%3N)
lab_exec modem tc qdisc change dev "$DET_IF_UP" root tbf rate 5mbit \
	burst 5000 latency 300ms || fail "tbf change"
sleep 8.5
off=$(date +%s%3N)
lab_exec modem tc qdisc change dev "$DET_IF_UP" root tbf rate 20mbit \
	burst 5000 latency 300ms || fail "tbf change back"
echo "upload at 5 mbit from +$((on - t0)) ms to +$((off - t0)) ms"
det_wait
sql "$BB_TMP/bb.db" "SELECT test_type, timestamp - $t0, throughput_kbps, status FROM measurements WHERE test_type IN ('upload','download') ORDER BY timestamp"
det_events
[ -z "$(det_events "WHERE kind='download_degradation'")" ] ||
	fail "download reported degraded (it was steady)"
# the tests' own load (queues filled to 300 ms, lost echoes) is theirs:
# no jitter, spike or loss event from it
[ -z "$(det_events "WHERE kind IN ('high_jitter', 'latency_spike', 'packet_loss')")" ] ||
	fail "our own throughput tests raised delay or loss events"
[ "$(det_events "WHERE kind='upload_degradation'" | wc -l)" -eq 1 ] ||
	fail "expected one upload_degradation event"
IFS='|' read -r kind start end sev target metrics \
	<<<"$(det_events "WHERE kind='upload_degradation'")"
truth_hi=$((20000 * 1228 / 1242))
truth_lo=$((5000 * 1228 / 1242))
exp=$(json_num "$metrics" expected_kbps)
worst=$(json_num "$metrics" worst_kbps)
dur=$((end - start))
inj=$((off - on))
echo "upload_degradation: start +$((start - on)) ms after injection, $dur ms (injected $inj ms), expected $exp kbit/s (truth $truth_hi), worst $worst kbit/s (truth $truth_lo), $sev"
[ $((start - on)) -ge 0 ] && [ $((start - on)) -le 6000 ] ||
	fail "start $((start - on)) ms off the injection (allowed 0..6000: one schedule gap)"
[ $dur -le $inj ] && [ $dur -ge $((inj - 12000)) ] ||
	fail "duration $dur ms for an injection of $inj ms"
within "$exp" $truth_hi $((truth_hi / 10)) || fail "expected $exp kbit/s, truth $truth_hi"
# worst: at most 10 % above the truth (nothing passes the modem faster), at
# most 20 % below it: a sender starved of CPU for a moment leaves the link
# idle and reads low (4347 against 4943 once in CI, with builds beside it)
awk -v a="$worst" -v t=$truth_lo 'BEGIN { exit !(a >= t * 0.8 && a <= t * 1.1) }' ||
	fail "worst $worst kbit/s, truth $truth_lo (allowed -20 % .. +10 %)"
[ "$sev" = critical ] || fail "severity $sev (25 % is critical)"
[ "$end" -gt 0 ] || fail "event did not end after the restore"
# the first test after the restore measured the full rate again
first_after=$(sql "$BB_TMP/bb.db" "SELECT throughput_kbps FROM measurements WHERE test_type = 'upload' AND status = 'ok' AND timestamp > $off ORDER BY timestamp LIMIT 1")
echo "first upload after the restore: $first_after kbit/s"
within "$first_after" $truth_hi $((truth_hi / 10)) ||
	fail "the first test after the restore measured $first_after kbit/s, truth $truth_hi"
exit 0
