#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The real bufferbane-server and the client's UDP echo probe on loopback
# (127.0.0.1 only; inside a private network namespace when root): knock,
# echo samples with sane RTTs and a synced clock (one-way delays stored),
# an upload and a download test, `bufferbane bloat`; then the server is
# killed and restarted on the same port: the client re-knocks and resumes;
# with the server gone for good the samples, and `bufferbane bloat`, say
# its port refused (no server running).
. "$(dirname "$0")/../lib/common.sh"
bb_sandbox "$@"
bb_tmpdir
set -u
[ -x "$BB_SERVER_BIN" ] || skip "no server binary at $BB_SERVER_BIN"

# start_server PORT: bufferbane-server on 127.0.0.1:PORT (0 = any), sets
# SRV_PID and PORT.
start_server() {
	: >"$BB_TMP/srv.log"
	bb_server_start -b "127.0.0.1:$1" \
		'general={ workers = 1; max_concurrent_clients = 16; }' \
		"$BB_SRV_FAST"
	PORT=$SRV_PORT
}
trap 'bb_server_stop; rm -rf "$BB_TMP"' EXIT

start_server 0
echo "server on 127.0.0.1:$PORT"
servers=$SRV_SERVERS
tests='{ dns = { enabled = false; dns_servers = []; };
  bufferbloat = { enabled = false; test_duration_s = 6; };
  throughput = { enabled = true; first_test_s = 3; small_test_kb = 2000; small_interval_s = 10;
    medium_test_kb = 2000; medium_interval_s = 3600;
    large_test_kb = 2000; large_interval_s = 7200; }; }'
bb_write_config "$BB_TMP/bb.conf" "servers=$servers" "tests=$tests" \
	'loss_stream={ interval_ms = 100; }'
db=$BB_TMP/bb.db
q() { sql "$db" "$1"; }

# 1. echo + throughput for 7 s (first test starts 3 s in)
"$BB_BIN" -d -c "$BB_TMP/bb.conf" --db "$db" --interval 100 --duration 7 \
	--status-interval 1 >"$BB_TMP/out" 2>&1 || {
	cat "$BB_TMP/out"; fail "bufferbane -d exited $?"; }
n=$(q "SELECT count(*) FROM measurements WHERE test_type='udp_echo' AND target='lo'")
ok=$(q "SELECT count(*) FROM measurements WHERE test_type='udp_echo' AND target='lo' AND status='ok' AND rtt_ms > 0 AND rtt_ms < 50")
owd=$(q "SELECT count(*) FROM measurements WHERE test_type='udp_echo' AND up_delay_ms IS NOT NULL AND down_delay_ms IS NOT NULL")
srv=$(q "SELECT count(DISTINCT server_name) FROM measurements WHERE test_type='udp_echo' AND server_name='lo'")
echo "echo: $n samples, $ok ok, $owd with one-way delay"
[ "$n" -ge 55 ] || fail "only $n echo samples in 7 s at 100 ms"
[ "$ok" -ge $((n - 2)) ] || fail "only $ok of $n echo samples ok"
[ "$owd" -ge $((n / 2)) ] || fail "one-way delay on only $owd samples"
[ "$srv" -eq 1 ] || fail "echo samples do not name the server"
sync=$(q "SELECT sync_pct || ' ' || sync_n || ' ' || coalesce(error_detail, '') FROM measurements WHERE test_type='udp_echo' AND status='ok' ORDER BY timestamp DESC LIMIT 1")
echo "last echo: sync quality and exchanges: $sync"
grep -Eqx '[0-9]+ [0-9]+ ' <<<"$sync" || fail "no sync figures on the echo sample, or words in its detail"
up=$(q "SELECT throughput_kbps FROM measurements WHERE test_type='upload' AND status='ok' LIMIT 1")
down=$(q "SELECT throughput_kbps FROM measurements WHERE test_type='download' AND status='ok' LIMIT 1")
echo "upload ${up:-none} kbps, download ${down:-none} kbps"
q "SELECT test_type, status, throughput_kbps, packet_loss_pct, error_detail FROM measurements WHERE test_type IN ('upload','download')"
[ -n "$up" ] && [ "$up" -gt 1000 ] || fail "no upload result"
[ -n "$down" ] && [ "$down" -gt 1000 ] || fail "no download result"

# 2. bufferbane bloat on demand (loopback: no bloat, grade A+ or A)
"$BB_BIN" bloat -c "$BB_TMP/bb.conf" >"$BB_TMP/bloat" 2>&1 || {
	cat "$BB_TMP/bloat"; fail "bufferbane bloat exited $?"; }
cat "$BB_TMP/bloat"
grep -q '^bufferbane bloat: about [0-9]* s (' "$BB_TMP/bloat" ||
	fail "bloat: no announcement of what the test takes"
for d in up down both; do
	grep -Eq "^$d .* (A\+|A|B) " "$BB_TMP/bloat" || fail "bloat: no $d line with a good grade"
done

# 3. server restart on the same port: re-knock and resume
db=$BB_TMP/re.db
"$BB_BIN" -d -c "$BB_TMP/bb.conf" --db "$db" --interval 100 --duration 9 \
	>"$BB_TMP/out2" 2>&1 &
cli=$!
sleep 2
bb_server_stop
t_down=$(date +%s%3N)
sleep 1.5
start_server "$PORT"
t_up=$(date +%s%3N)
sleep 0.5
wait $cli || { cat "$BB_TMP/out2"; fail "client exited $? across the restart"; }
after=$(q "SELECT count(*) FROM measurements WHERE test_type='udp_echo' AND status='ok' AND timestamp > $t_up")
gap=$(q "SELECT count(*) FROM measurements WHERE test_type='udp_echo' AND status='timeout' AND timestamp BETWEEN $t_down AND $t_up")
first=$(q "SELECT min(timestamp) - $t_up FROM measurements WHERE test_type='udp_echo' AND status='ok' AND timestamp > $t_up")
echo "restart: $gap timeouts while down, $after ok after, first ok ${first} ms after restart"
[ "$gap" -ge 5 ] || fail "no timeouts while the server was down"
[ "$after" -ge 20 ] || fail "client did not resume after the restart ($after ok)"
[ "$first" -le 3000 ] || fail "re-knock took $first ms"
q "SELECT DISTINCT error_detail FROM measurements WHERE test_type='udp_echo' AND status='timeout'"

# 4. server gone: loopback answers "port unreachable", so the samples say
# the port refused (a silent host, e.g. a wrong key: no_session.sh)
bb_server_stop
db=$BB_TMP/down.db
"$BB_BIN" -d -c "$BB_TMP/bb.conf" --db "$db" --interval 100 --duration 4 \
	>"$BB_TMP/out3" 2>&1 || { cat "$BB_TMP/out3"; fail "client exited $?"; }
q "SELECT error_detail, status, count(*) FROM measurements WHERE test_type='udp_echo' GROUP BY 1, 2"
u=$(q "SELECT count(*) FROM measurements WHERE test_type='udp_echo' AND error_detail='port $PORT refused: no server running'")
o=$(q "SELECT count(*) FROM measurements WHERE test_type='udp_echo' AND status='ok'")
echo "server down: $u 'port $PORT refused' samples, $o ok"
[ "$u" -ge 10 ] && [ "$o" -eq 0 ] || fail "no clear 'refused' status"
rc=0
"$BB_BIN" bloat -c "$BB_TMP/bb.conf" >"$BB_TMP/bloat2" 2>&1 || rc=$?
cat "$BB_TMP/bloat2"
[ "$rc" -ne 0 ] || fail "bloat against no server exited 0"
grep -q "port $PORT refused: no server running" "$BB_TMP/bloat2" ||
	fail "bloat against no server does not say the port refused"
grep -q 'about [0-9]* s' "$BB_TMP/bloat2" &&
	fail "bloat against no server announced a test it could not start"
echo PASS
