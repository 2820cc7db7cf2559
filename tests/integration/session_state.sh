#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# What a run leaves for the next one and for the ISP: with a loopback
# companion server, -d records a time_sync_established event once the clock
# offset estimate is good, and at exit the learnt baselines are kept in the
# database's meta table, so a restart does not start from nothing.
. "$(dirname "$0")/../lib/common.sh"
bb_sandbox "$@"
bb_tmpdir
set -u
[ -x "$BB_SERVER_BIN" ] || skip "no server binary at $BB_SERVER_BIN"
bb_server_start
trap 'bb_server_stop; rm -rf "$BB_TMP"' EXIT
bb_write_config "$BB_TMP/bb.conf" \
	"servers=$SRV_SERVERS"
db=$BB_TMP/bb.db
for run in 1 2; do
	"$BB_BIN" -d -c "$BB_TMP/bb.conf" --db "$db" -t 127.0.0.1 --interval 100 \
		--duration 5 >"$BB_TMP/out$run" 2>&1 || { cat "$BB_TMP/out$run"; fail "run $run failed"; }
done
n=$(sql "$db" "SELECT count(*) FROM events WHERE kind='time_sync_established' AND server_name='lo'")
[ "$n" -ge 1 ] || { cat "$BB_TMP/out1"; fail "no time_sync_established event"; }
ow=$(sql "$db" "SELECT count(*) FROM measurements WHERE test_type='udp_echo' AND up_delay_ms IS NOT NULL")
[ "$ow" -ge 10 ] || fail "only $ow echo samples with one-way delay"
b=$(sql "$db" "SELECT value FROM meta WHERE key='detect_baselines'")
echo "$b" | head -5
[[ $b == bbv1* ]] || fail "no baselines in meta"
echo "$b" | grep -q '127.0.0.1' || fail "baselines do not name the ICMP target"
echo "time_sync events: $n, one-way samples: $ow, baselines kept: $(echo "$b" | wc -l) lines"
exit 0
