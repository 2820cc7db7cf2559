#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The companion server dies (kill -9) in the middle of a bufferbloat test.
# The real bufferbane-server on 127.0.0.1 (inside the sandbox's private
# network namespace when root), `bufferbane -d` with the test scheduled
# 2 s in and 40 s long, an ICMP target on 127.0.0.1 beside it.  While the
# test loads the line the ICMP probes are flagged under our own load
# (BB_SAMPLE_UNDER_LOAD, left out of detection); the server's loss must end
# that span (core/probe/probe_echo.c: knock_run -> test_abort "server lost" ->
# load_end), not the test's own guard 40+ s later, or the ICMP target's
# probes would stay flagged and uncounted for the rest of the test.
#
# Physical bound: the session is declared dead after 2 s of silence
# (SRVCLIENT_DEAD_NS), unreachable after 3 unanswered knocks 0.25 + 0.5 +
# 1 s apart, and the span covers 1 s of queue drain after its end
# (LOAD_DRAIN_NS): ~4.8 s; probes sent more than 8 s after the kill must
# be counted again.
#
# Asserts: ICMP probes were flagged in the 3 s before the kill (the test
# was running); the test ends with a "server lost" result; the client keeps
# running 20 s after the kill and exits 0 at --duration; no ICMP probe
# sent 8 s or more after the kill is flagged; no packet_loss or
# micro_disconnect event at all (the ICMP target answered throughout, and
# the echoes lost with the server are the server's state, not the line's);
# the last -d verdict says there is no session, why (loopback refuses the
# dead server's port) and what to do.
. "$(dirname "$0")/../lib/common.sh"
bb_sandbox "$@"
bb_tmpdir
set -u
[ -x "$BB_SERVER_BIN" ] || skip "no server binary at $BB_SERVER_BIN"
command -v sqlite3 >/dev/null || skip "sqlite3 missing"

SRV_PID= CLI_PID=
cleanup() {
	[ -n "$SRV_PID" ] && kill "$SRV_PID" 2>/dev/null
	[ -n "$CLI_PID" ] && kill "$CLI_PID" 2>/dev/null
	rm -rf "$BB_TMP"
}
trap cleanup EXIT

bb_server_start 'general={ workers = 1; max_concurrent_clients = 16; }' \
	"$BB_SRV_FAST"
PORT=$SRV_PORT

bb_write_config "$BB_TMP/bb.conf" \
	"servers=$SRV_SERVERS" \
	'general={ test_interval_ms = 200; probe_timeout_ms = 500; }' \
	'tests={ dns = { enabled = false; dns_servers = []; };
	  throughput = { enabled = false; };
	  bufferbloat = { enabled = true; interval_s = 3600; test_duration_s = 40;
	    test_type = "both"; first_test_s = 2; }; }' \
	'output={ status_interval_s = 2; }'
db=$BB_TMP/bb.db
DURATION=40
"$BB_BIN" -d -c "$BB_TMP/bb.conf" --db "$db" -t 127.0.0.1 --interval 200 \
	--duration $DURATION >"$BB_TMP/out" 2>&1 &
CLI_PID=$!
t0=$(date +%s%3N)

# the test starts ~2 s in; 18 s in it is ~15 s old: past its idle part
# (10 s of the 40) and in the middle of a load phase
sleep 18
kill -0 "$CLI_PID" 2>/dev/null || { cat "$BB_TMP/out"; fail "client died before the kill"; }
kill -9 "$SRV_PID"
wait "$SRV_PID" 2>/dev/null
SRV_PID=
tk=$(date +%s%3N)
echo "server killed $(( (tk - t0) / 1000 )) s after the client started"

sleep 20
kill -0 "$CLI_PID" 2>/dev/null || { cat "$BB_TMP/out"; fail "client gone 20 s after the server"; }
rc=0
wait "$CLI_PID" || rc=$?
CLI_PID=
t1=$(date +%s%3N)
[ "$rc" -eq 0 ] || { tail -20 "$BB_TMP/out"; fail "client exited $rc"; }
echo "client exited 0 after $(( (t1 - t0) / 1000 )) s (--duration $DURATION)"

q() { sql "$db" "$1"; }
# ICMP samples to 127.0.0.1 and their under-load flag
icmp() {
	q "SELECT $1 FROM measurements
		WHERE test_type='icmp' AND target LIKE '%127.0.0.1%' $2"
}
q "SELECT test_type, status, error_detail FROM measurements WHERE test_type='bufferbloat'"
before=$(icmp 'count(*)' "AND timestamp BETWEEN $((tk - 3000)) AND $tk AND under_load")
last_flag=$(icmp 'max(timestamp)' 'AND under_load')
late_n=$(icmp 'count(*)' "AND timestamp > $((tk + 8000))")
late_flagged=$(icmp 'count(*)' "AND timestamp > $((tk + 8000)) AND under_load")
lost=$(q "SELECT count(*) FROM measurements WHERE test_type='bufferbloat' AND status<>'ok' AND error_detail LIKE '%server lost%'")
echo "icmp: $before flagged in the 3 s before the kill, the last flagged" \
	"$(( (${last_flag:-$tk} - tk) ))ms after it; $late_flagged of $late_n" \
	"flagged from 8 s after the kill on"
[ "$before" -ge 5 ] || fail "the test was not loading when the server died ($before flagged probes)"
[ "$late_n" -ge 40 ] || fail "only $late_n ICMP probes from 8 s after the kill on"
[ "$late_flagged" = 0 ] || fail "$late_flagged ICMP probes still flagged under load 8+ s after the server died"
[ "$lost" -ge 1 ] || fail "the test did not end with 'server lost'"
ev=$(q "SELECT kind || ' ' || coalesce(target, '') FROM events WHERE kind IN ('packet_loss', 'micro_disconnect')")
echo "events: $(q "SELECT group_concat(kind || ' ' || coalesce(target, ''), '; ') FROM events")"
[ -z "$ev" ] || fail "line-quality events raised: $ev"
v=$(grep 'status verdict:' "$BB_TMP/out" | tail -1)
echo "$v"
case $v in
*"No session with lo for "*" s (port $PORT refused: no server running). Start bufferbane-server there (systemctl start bufferbane-server) or check that it listens on UDP port $PORT."*) ;;
*) fail "the last verdict does not say the server is lost and what to do" ;;
esac
exit 0
