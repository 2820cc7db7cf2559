#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Loss bursts (DETECTION.md scenario 3): three drop-everything bursts of
# 450 ms (4-5 probes at 100 ms) at irregular gaps on the modem, timed by
# one process there (det_bursts_at: a busy machine cannot stretch them).
# Expect one packet_loss event for the target, pattern "burst", 3 bursts,
# longest burst within 1 probe of the longest injected one, starting within
# 3 probe intervals of the first injection, and no micro_disconnect (each
# burst is far shorter than 2 s).
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
det_run "$BB_TMP/bb.conf" 12
sleep 3
# 450 ms bursts, gaps of 2.0 and 3.1 s, timed in the modem (det_bursts_at)
det_bursts_at 450 0 2450 6000 >"$BB_TMP/bursts" || fail "burst injector"
cat "$BB_TMP/bursts"
first=$(awk 'NR == 1 { print $1 }' "$BB_TMP/bursts")
longest=$(awk '{ if ($2 - $1 > m) m = $2 - $1 } END { print m }' "$BB_TMP/bursts")
det_wait
det_events
[ "$(det_events "WHERE kind='packet_loss'" | wc -l)" -eq 1 ] ||
	fail "expected one packet_loss event"
IFS='|' read -r kind start end sev target metrics \
	<<<"$(det_events "WHERE kind='packet_loss'")"
echo "packet_loss to $target: start $((start - first)) ms after injection ($sev) $metrics"
[ "$target" = 198.18.1.2 ] || fail "wrong target $target"
within "$start" "$((first + 150))" 150 || fail "start $((start - first)) ms off the injection (allowed 0..300)"
grep -q '"pattern":"burst"' <<<"$metrics" || fail "pattern is not burst"
[ "$(json_num "$metrics" bursts)" = 3 ] || fail "bursts != 3"
want=$(( (longest + 50) / 100 ))
got=$(json_num "$metrics" longest_burst)
within "$got" "$want" 1 || fail "longest burst $got probes, injected ~$want"
[ -z "$(det_events "WHERE kind='micro_disconnect'")" ] || fail "bursts taken for a micro-disconnect"
grep -q 'verdict: Loss bursts to 198.18.1.2: 3 bursts in 60 s, longest' "$BB_TMP/out" ||
	fail "verdict does not name the bursts"
exit 0
