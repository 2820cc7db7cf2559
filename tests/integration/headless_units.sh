#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bufferbane -d as people read it, against a real bufferbane-server on
# loopback with the tests scheduled early (throughput 1 s in, bufferbloat
# 2 s in, 4 s long), probes bound to lo:
#  - upload and download in Mbit/s (one unit, never kb/s beside Mb/s),
#    bufferbloat in ms;
#  - one line per event: time_sync_established (raised and ended at once)
#    as one "once" line, not "start" then "once"; an event of a series
#    bound to an interface names it ("via lo");
#  - the summary says the span it covers ("[25 s]" after 25 s, not "[1h]"),
#    status lines their window ("[10 s]");
#  - --no-db prints no database path; --db prints the one given.
. "$(dirname "$0")/../lib/common.sh"
bb_sandbox "$@"
bb_tmpdir
set -u
trap 'kill -CONT $SRV_PID 2>/dev/null; bb_server_stop; rm -rf "$BB_TMP"' EXIT
bb_server_start "$BB_SRV_FAST"
bb_write_config "$BB_TMP/bb.conf" \
	'general={ test_interval_ms = 200; probe_timeout_ms = 500; }' \
	'targets={ isp_gateway = "none"; public_dns = []; custom = [ "127.0.0.1" ]; }' \
	'tests={ dns = { enabled = false; dns_servers = []; };
	  bufferbloat = { enabled = true; first_test_s = 2; test_duration_s = 4; test_type = "both"; };
	  throughput = { enabled = true; first_test_s = 1; small_test_kb = 256; }; }' \
	"servers=( { name = \"lo\"; host = \"127.0.0.1\"; port = $SRV_PORT; shared_secret_file = \"$BB_TMP/key\"; } )"

"$BB_BIN" -d -c "$BB_TMP/bb.conf" --no-db -i lo --duration 25 --status-interval 10 \
	>"$BB_TMP/out" 2>&1 &
pid=$!
# the server stops answering for 4 s from 13 s on: a loss event via lo
sleep 13
kill -STOP "$SRV_PID"
sleep 4
kill -CONT "$SRV_PID"
wait $pid
rc=$?
cat "$BB_TMP/out"
[ $rc -eq 0 ] || fail "bufferbane -d exited $rc"

# no database path with --no-db
grep -q ' start bufferbane .* db none (--no-db)$' "$BB_TMP/out" || fail "the start line does not say there is no database"
grep -Eq '\.db\b|bufferbane/bufferbane' "$BB_TMP/out" && fail "a database path printed with --no-db"

# throughput in Mbit/s, every rate
grep -Eq ' summary upload +lo +via lo +last [0-9]+\.[0-9] p50 [0-9]+\.[0-9] max [0-9]+\.[0-9] Mbit/s  failed 0/1 ' "$BB_TMP/out" ||
	fail "no upload summary in Mbit/s"
grep -Eq ' summary download +lo +via lo +last [0-9]+\.[0-9] p50 [0-9]+\.[0-9] max [0-9]+\.[0-9] Mbit/s' "$BB_TMP/out" ||
	fail "no download summary in Mbit/s"
grep -Eiq 'kb/s|kbit' "$BB_TMP/out" && fail "a rate in kbit/s"
# bufferbloat in ms, never "-0 ms"
grep -Eq ' summary server lo  bloat up (A\+|A|B|C|D|F) \+[0-9]+\.[0-9] ms \(idle [0-9.]+ -> loaded [0-9.]+ ms\) rpm [0-9]+' "$BB_TMP/out" ||
	fail "no bufferbloat result in ms"
grep -q -- '-0 ms' "$BB_TMP/out" && fail "a bloat of -0 ms"
# the ms figures keep their unit
grep -Eq ' summary icmp +127\.0\.0\.1 +via lo +p50 [0-9.]+ p95 [0-9.]+ max [0-9.]+ ms  jitter [0-9.]+ ms' "$BB_TMP/out" ||
	fail "no icmp summary in ms"

# one line per event
n=$(grep -c ' event [a-z]* time_sync_established ' "$BB_TMP/out")
[ "$n" = 1 ] || fail "time_sync_established printed $n times"
grep -q ' event once time_sync_established info' "$BB_TMP/out" || fail "time_sync_established is not a 'once' line"
# every event line's (kind, state) at most once per start
dups=$(grep ' event ' "$BB_TMP/out" | sed 's/^[0-9-]* [0-9:]* //' | sort | uniq -d)
[ -z "$dups" ] || fail "event lines printed twice: $dups"
# the outage of the server: an event of the echo series bound to lo says so
grep -Eq ' event (start|once) [a-z_]+ (warning|critical|info) lo via lo: ' "$BB_TMP/out" ||
	fail "no event line naming the interface"

# the spans: status lines their window, the summary what the run covered
grep -q ' status icmp .*\[10 s\]$' "$BB_TMP/out" || fail "status line without [10 s]"
span=$(sed -n 's/.* summary icmp .*\[\([0-9]*\) s\]$/\1/p' "$BB_TMP/out")
[ -n "$span" ] || fail "summary without [NN s]"
[ "$span" -ge 24 ] && [ "$span" -le 27 ] || fail "summary covers $span s after a 25 s run"
grep -q '\[1h\]' "$BB_TMP/out" && fail "[1h] after a 25 s run"

# with --db: the path given, nothing else
"$BB_BIN" -d -c "$BB_TMP/bb.conf" --db "$BB_TMP/x.db" -t 127.0.0.1 --duration 2 \
	>"$BB_TMP/out2" 2>&1 || { cat "$BB_TMP/out2"; fail "-d --db exited $?"; }
grep -q " start bufferbane .* db $BB_TMP/x.db\$" "$BB_TMP/out2" || fail "the start line does not name --db's file"
echo "summary covers $span s; $(grep -c ' event ' "$BB_TMP/out") event lines"
exit 0
