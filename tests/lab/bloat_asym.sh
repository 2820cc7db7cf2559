#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `bufferbane bloat` and the monitor's scheduled test are one test, and
# both read an asymmetric modem right per direction: the lab modem shapes
# the upload with tbf 5mbit latency 300ms and the download with tbf 20mbit
# latency 100ms.  The truth per queue is latency + burst / rate (the tbf
# limit is rate x latency + burst): 308 ms up, 102 ms down, 410 ms with
# both loaded.  Both the CLI and a scheduled test (bufferbane -d,
# first_test_s = 3) must read each phase's RTT increase within 10 % of
# that, and the both phase's one-way increases within 10 % of each queue
# (the CLI read +305 up / -0 down there before: the download was never
# loaded).  The CLI ends with its sentence naming both directions.
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

BURST=5000
lab_exec modem tc qdisc replace dev "$DET_IF_UP" root tbf rate 5mbit \
	burst $BURST latency 300ms || fail "tbf up"
lab_exec modem tc qdisc replace dev "$DET_IF_DOWN" root tbf rate 20mbit \
	burst $BURST latency 100ms || fail "tbf down"
up_truth=$(awk -v b=$BURST 'BEGIN { printf "%.1f", 300 + b * 8 / 5e6 * 1000 }')
down_truth=$(awk -v b=$BURST 'BEGIN { printf "%.1f", 100 + b * 8 / 20e6 * 1000 }')
both_truth=$(awk -v u="$up_truth" -v d="$down_truth" 'BEGIN { print u + d }')
echo "truth: up $up_truth ms, down $down_truth ms, both $both_truth ms"

bb_write_config "$BB_TMP/bb.conf" "servers=$DET_SERVERS" \
	'tests={ dns = { enabled = false; dns_servers = []; };
	  throughput = { enabled = false; };
	  bufferbloat = { enabled = true; interval_s = 600; test_duration_s = 16;
	    test_type = "both"; first_test_s = 3; }; }'

fails=0
check() { "$@" || { fails=$((fails + 1)); echo "  ^ FAILED: $*"; }; }
# within VALUE TRUTH: |VALUE - TRUTH| <= 10 % of TRUTH
within() { awk -v v="$1" -v t="$2" 'BEGIN { d = v - t; if (d < 0) d = -d; exit !(v != "" && d <= t / 10) }'; }

# 1. the CLI
lab_exec client "$BB_BIN" bloat -c "$BB_TMP/bb.conf" >"$BB_TMP/cli" \
	2>"$BB_TMP/cli.err" || { cat "$BB_TMP/cli" "$BB_TMP/cli.err"; fail "bufferbane bloat exited $?"; }
cat "$BB_TMP/cli.err" "$BB_TMP/cli"
col() { awk -v d="$1" -v n="$2" '$1 == d { print $n }' "$BB_TMP/cli"; }
# the one-way column: "+305.0/-0.3 ms upstream"
ow() { awk -v d="$1" '$1 == d { split($14, a, "/"); print a['"$2"'] + 0 }' "$BB_TMP/cli"; }
echo "CLI: up +$(col up 10), down +$(col down 10), both +$(col both 10) (one-way $(ow both 1)/$(ow both 2))"
check within "$(col up 10)" "$up_truth"
check within "$(col down 10)" "$down_truth"
check within "$(col both 10)" "$both_truth"
check within "$(ow both 1)" "$up_truth"
check within "$(ow both 2)" "$down_truth"
# both queues graded C or worse: the sentence names both, worst first
check grep -q '^Bufferbloat both ways (upload +30[0-9] ms grade D, download +10[0-9] ms grade C): .*SQM (cake)' "$BB_TMP/cli"
check grep -q 'loading the download' "$BB_TMP/cli.err"

# 2. the monitor's scheduled test (first one 3 s after start)
det_run "$BB_TMP/bb.conf" 30
wait "$DET_PID" || { cat "$BB_TMP/out"; fail "bufferbane -d exited $?"; }
# "phase increase up_increase down_increase" in ms, rounded (the sample's
# typed bloat figures: the measurements view)
sql "$BB_TMP/bb.db" "SELECT load_phase, round(bloat_increase_ms),
	round(bloat_up_increase_ms), round(bloat_down_increase_ms) FROM measurements
	WHERE test_type='bufferbloat' AND status='ok'" | tr '|' ' ' |
	tee "$BB_TMP/sched"
inc() { awk -v d="$1" '$1 == d { print $2 + 0 }' "$BB_TMP/sched"; }
owd() { awk -v d="$1" -v k="$2" '$1 == d { print $(2 + k) + 0 }' "$BB_TMP/sched"; }
echo "monitor: up +$(inc up), down +$(inc down), both +$(inc both) (one-way $(owd both 1)/$(owd both 2))"
check within "$(inc up)" "$up_truth"
check within "$(inc down)" "$down_truth"
check within "$(inc both)" "$both_truth"
check within "$(owd both 1)" "$up_truth"
check within "$(owd both 2)" "$down_truth"
[ $fails -eq 0 ] || fail "$fails checks failed"
echo PASS
