#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Periodic loss (DETECTION.md scenario 3, "sometimes periodic"): ten
# drop-everything bursts of 380 ms (3-4 probes at 100 ms) on the modem,
# one every 2.0 s, over 18.4 s, timed by one process in the modem on
# absolute deadlines (det_bursts: a busy CI machine cannot stretch them).
#
# Asserts: one packet_loss event, pattern "periodic", period_ms within 10 %
# of the injected 2000 ms, 10 bursts, start within 3 probe intervals of the
# first injection, duration (first to last lost probe) within 10 % of the
# injected span (first burst start to last burst end), no
# micro_disconnect, and a verdict "Periodic loss bursts to ...".
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/lab.sh"
. "$(dirname "$0")/detect_lab.inc"
lab_init
BB_TMP=$(mktemp -d /tmp/bb-lab.XXXXXX)
set -u
det_topology
bb_write_config "$BB_TMP/bb.conf" \
	'general={ test_interval_ms = 100; probe_timeout_ms = 200; }' \
	'targets={ isp_gateway = "none"; public_dns = []; custom = [ "198.18.1.2" ]; }'
det_run "$BB_TMP/bb.conf" 24
sleep 2.5
det_bursts 2000 380 10 >"$BB_TMP/bursts" || fail "burst injector"
cat "$BB_TMP/bursts"
first=$(awk 'NR == 1 { print $1 }' "$BB_TMP/bursts")
last=$(awk 'END { print $2 }' "$BB_TMP/bursts")
det_wait
det_events
[ "$(det_events "WHERE kind='packet_loss'" | wc -l)" -eq 1 ] ||
	fail "expected one packet_loss event"
IFS='|' read -r kind start end sev target metrics \
	<<<"$(det_events "WHERE kind='packet_loss'")"
span=$((last - first))
dur=$((end - start))
period=$(json_num "$metrics" period_ms)
echo "packet_loss to $target: start +$((start - first)) ms after injection, $dur ms (injected $span ms), period $period ms ($sev) $metrics"
[ "$target" = 198.18.1.2 ] || fail "wrong target $target"
[ $((start - first)) -ge 0 ] && [ $((start - first)) -le 300 ] ||
	fail "start $((start - first)) ms off the injection (allowed 0..300)"
grep -q '"pattern":"periodic"' <<<"$metrics" || fail "pattern is not periodic"
within "$period" 2000 200 || fail "period $period ms, injected 2000"
[ "$(json_num "$metrics" bursts)" = 10 ] || fail "bursts != 10"
within "$dur" "$span" $((span / 10)) || fail "duration $dur ms, injected $span"
[ -z "$(det_events "WHERE kind='micro_disconnect'")" ] || fail "bursts taken for a micro-disconnect"
grep -q 'verdict: Periodic loss bursts to 198.18.1.2: 10 bursts in 60 s' "$BB_TMP/out" ||
	fail "verdict does not name the periodic bursts"
exit 0
