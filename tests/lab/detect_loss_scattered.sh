#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Scattered loss: nft "numgen random mod 100 < 10" drops 10 % of the echo
# requests to one target for 20 s.  Expect a packet_loss event with pattern
# "scattered" whose loss figure is within 10 % (relative) of the loss the
# database recorded over the same 60 s window, and that recorded loss near
# the injected 10 % (binomial bounds for ~200 probes: 4..17 %).  The first
# drop is random, so the start is only checked to lie inside the injection.
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
on=$(date +%s%3N)
lab_exec modem nft add rule inet bbdet bbfw ip daddr 198.18.1.2 \
	icmp type echo-request numgen random mod 100 '<' 10 drop || fail "nft rule"
sleep 20
off=$(det_pass)
det_wait
det_events
[ "$(det_events "WHERE kind='packet_loss'" | wc -l)" -eq 1 ] ||
	fail "expected one packet_loss event"
IFS='|' read -r kind start end sev target metrics \
	<<<"$(det_events "WHERE kind='packet_loss'")"
grep -q '"pattern":"scattered"' <<<"$metrics" || fail "pattern is not scattered: $metrics"
[ "$start" -ge "$on" ] && [ "$start" -le "$off" ] || fail "start outside the injection"
pct=$(json_num "$metrics" loss_pct)
sent=$(json_num "$metrics" sent)
# truth: the database's own record of the probes the figure covers
truth=$(sql "$BB_TMP/bb.db" "SELECT 100.0 * sum(status != 'ok') / count(*) FROM
	(SELECT status FROM measurements WHERE target='198.18.1.2' AND timestamp <= (SELECT max(timestamp) FROM measurements WHERE target='198.18.1.2') ORDER BY timestamp DESC LIMIT $sent)")
inj=$(sql "$BB_TMP/bb.db" "SELECT 100.0 * sum(status != 'ok') / count(*) FROM measurements WHERE target='198.18.1.2' AND timestamp >= $on AND timestamp < $off")
echo "event $pct % over $sent probes, database $truth % over the same count, $inj % during the injection"
within "$pct" "$truth" "$(awk -v t="$truth" 'BEGIN { print t / 10 + 0.5 }')" ||
	fail "event loss $pct % vs recorded $truth %"
awk -v p="$inj" 'BEGIN { exit !(p >= 4 && p <= 17) }' || fail "injected 10 %, recorded $inj %"
grep -q 'verdict: Scattered packet loss to 198.18.1.2' "$BB_TMP/out" || fail "verdict"
exit 0
