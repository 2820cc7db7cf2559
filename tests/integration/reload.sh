#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# SIGHUP reloads a running `bufferbane -d`: a target removed stops being
# probed and one added starts (same process, same database), a threshold
# is applied (the log names it), a changed database_path is logged
# as needing a restart and the running file keeps every sample, and a file
# that no longer loads keeps the running configuration and says why.
. "$(dirname "$0")/../lib/common.sh"
bb_sandbox "$@"
bb_tmpdir
set -u
db=$BB_TMP/a.db
conf=$BB_TMP/bb.conf
bb_write_config "$conf" "general={ test_interval_ms = 100; probe_timeout_ms = 500; database_path = \"$db\"; }" \
	'targets={ isp_gateway = "none"; public_dns = [ "127.0.0.1" ]; custom = []; }'
"$BB_BIN" -d -c "$conf" --status-interval 60 >"$BB_TMP/out" 2>"$BB_TMP/err" &
pid=$!
trap 'kill $pid 2>/dev/null; rm -rf "$BB_TMP"' EXIT
count() { sql "$db" "SELECT count(*) FROM measurements WHERE target = '$1'"; }
# wait until the first target's samples are committed (every 500 ms)
for _ in $(seq 50); do [ "$(count 127.0.0.1)" -ge 5 ] 2>/dev/null && break; sleep 0.1; done
[ "$(count 127.0.0.1)" -ge 5 ] || { cat "$BB_TMP/out" "$BB_TMP/err"; fail "no samples before the reload"; }

bb_write_config "$conf" "general={ test_interval_ms = 100; probe_timeout_ms = 500; database_path = \"$BB_TMP/other.db\"; }" \
	'targets={ isp_gateway = "none"; public_dns = [ "127.0.0.2" ]; custom = [ "three=127.0.0.3" ]; }' \
	'thresholds={ latency_warning_ms = 40; latency_critical_ms = 80; }'
hup_ms=$(($(date +%s%3N)))
kill -HUP $pid
for _ in $(seq 50); do grep -q 'reload:' "$BB_TMP/out" && break; sleep 0.1; done
sleep 2 # the new probes' samples reach the database
old_after=$(sql "$db" "SELECT count(*) FROM measurements WHERE target = '127.0.0.1' AND timestamp > $hup_ms + 300")
new2=$(count 127.0.0.2)
new3=$(count three)
first_new=$(sql "$db" "SELECT min(timestamp) - $hup_ms FROM measurements WHERE target IN ('127.0.0.2', 'three')")
cat "$BB_TMP/out" | grep -v ' status '
[ "$old_after" -eq 0 ] || fail "$old_after samples of the removed target after the reload"
[ "$new2" -ge 10 ] || fail "only $new2 samples of the added 127.0.0.2 in 2 s at 100 ms"
[ "$new3" -ge 10 ] || fail "only $new3 samples of the added three=127.0.0.3"
[ "$first_new" -lt 1000 ] || fail "first sample of a new target ${first_new} ms after SIGHUP"
grep -q 'reload .*changed .*targets.public_dns.*targets.custom.*thresholds.latency_warning_ms' "$BB_TMP/out" ||
	fail "no line saying what changed"
# (one of each count is the default route's traffic reader)
grep -q 'reload: probes restarted, 2 before, 3 now' "$BB_TMP/out" || fail "no line about the probes"
grep -q 'reload: changed but needs a restart (still running the old values): general.database_path' "$BB_TMP/out" ||
	fail "no restart-needed line naming general.database_path"
[ -e "$BB_TMP/other.db" ] && fail "the new database_path was opened by the running process"

# a file that does not load: refused, the running targets keep probing
echo 'logging = { lvel = "debug"; };' >>"$conf"
before=$(count three)
kill -HUP $pid
for _ in $(seq 50); do grep -q 'reload refused' "$BB_TMP/out" && break; sleep 0.1; done
grep -q "reload refused, the running configuration stays: $conf:[0-9]*: logging.lvel: unknown key; did you mean 'logging.level'?" "$BB_TMP/out" ||
	{ cat "$BB_TMP/out"; fail "no refusal naming the line and the nearest key"; }
sleep 1.5
after=$(count three)
[ $((after - before)) -ge 5 ] || fail "probing stopped after a refused reload ($before -> $after)"
kill -TERM $pid
wait $pid
rc=$?
[ $rc -eq 0 ] || { cat "$BB_TMP/err"; fail "exit $rc"; }
grep -q ' stop [0-9]* samples, [0-9]* stored, 0 dropped' "$BB_TMP/out" || fail "no clean stop line"
echo "after SIGHUP: removed target 0 samples, added $new2 + $new3 samples in 2 s, first ${first_new} ms after the signal"
exit 0
