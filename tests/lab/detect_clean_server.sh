#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The control for the server-based scenarios (detect_asym.sh,
# detect_upload.sh): the real bufferbane-server behind a clean modem, a UDP
# echo stream every 100 ms for 12 s.  Expect one-way delays once the clock
# sync is established, no lost echo, and no event at all except the info
# event time_sync_established; the verdict stays clean.
#
# Throughput tests are off here on purpose: they load the line themselves
# (paced at 1.5 x the last rate into a 300 ms tbf queue) and the echoes
# sent meanwhile raise packet_loss, latency_spike and high_jitter (see
# detect_upload.sh); keeping them apart needs the probe to mark the echoes
# it sends during a test (requested in the detection report).
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/lab.sh"
. "$(dirname "$0")/detect_lab.inc"
lab_init
BB_TMP=$(mktemp -d /tmp/bb-lab.XXXXXX)
set -u
det_topology
det_server
bb_write_config "$BB_TMP/bb.conf" \
	'general={ test_interval_ms = 100; probe_timeout_ms = 300; }' \
	"servers=$DET_SERVERS"
det_run "$BB_TMP/bb.conf" 12
det_wait
q() { sql "$BB_TMP/bb.db" "$1"; }
n=$(q "SELECT count(*) FROM measurements WHERE test_type='udp_echo' AND status='ok'")
bad=$(q "SELECT count(*) FROM measurements WHERE test_type='udp_echo' AND status!='ok'")
oneway=$(q "SELECT count(*) FROM measurements WHERE test_type='udp_echo' AND up_delay_ms IS NOT NULL AND down_delay_ms IS NOT NULL")
echo "echo ok $n, failed $bad, with one-way delays $oneway"
[ "$n" -ge 100 ] || fail "only $n echo answers"
[ "$bad" -eq 0 ] || fail "$bad echoes lost on a clean lab"
[ "$oneway" -ge 50 ] || fail "only $oneway samples with one-way delays"
ev=$(det_events "WHERE kind != 'time_sync_established'")
[ -z "$ev" ] || fail "clean run raised events: $ev"
grep -q 'verdict: No problems detected' "$BB_TMP/out" ||
	fail "verdict is not clean"
echo "clean (server): no event in 12 s"
