#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bufferbane -d for a few seconds at 100 ms against 127.0.0.1 and ::1 and a
# loopback TCP listener: every sample lands in the real SQLite file with the
# expected count and sane RTTs; SIGTERM flushes and exits 0.
. "$(dirname "$0")/../lib/common.sh"
bb_sandbox "$@"
bb_tmpdir
set -u

# A TCP listener on loopback for the connect probe, and a port nobody uses.
python3 - "$BB_TMP/port" <<'PY' &
import socket, sys
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(64)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
while True:
    c, _ = s.accept(); c.close()
PY
listener=$!
trap 'kill $listener 2>/dev/null; rm -rf "$BB_TMP"' EXIT
for _ in $(seq 50); do [ -s "$BB_TMP/port" ] && break; sleep 0.1; done
port=$(cat "$BB_TMP/port")

bb_write_config "$BB_TMP/bb.conf" "tests={ dns = { enabled = false; dns_servers = []; };
  tcp = { enabled = true; interval_s = 1; targets = [\"127.0.0.1:$port\", \"127.0.0.1:1\"]; }; }"
db=$BB_TMP/bb.db
"$BB_BIN" -d -c "$BB_TMP/bb.conf" --db "$db" -t 127.0.0.1 -t ::1 \
	--interval 100 --duration 3 --status-interval 1 >"$BB_TMP/out" 2>&1
rc=$?
cat "$BB_TMP/out"
[ $rc -eq 0 ] || fail "bufferbane -d exited $rc"

for t in 127.0.0.1 ::1; do
	n=$(sql "$db" "SELECT count(*) FROM measurements WHERE test_type='icmp' AND target='$t'")
	ok=$(sql "$db" "SELECT count(*) FROM measurements WHERE test_type='icmp' AND target='$t' AND status='ok' AND rtt_ms > 0 AND rtt_ms < 50")
	echo "$t: $n samples, $ok ok"
	# 3 s at 100 ms = 30 probes; allow for start-up and a slow machine
	[ "$n" -ge 25 ] && [ "$n" -le 31 ] || fail "$t: $n samples, expected 25..31"
	[ "$ok" -eq "$n" ] || fail "$t: only $ok of $n samples ok with 0 < rtt < 50 ms"
done
c=$(sql "$db" "SELECT count(*) FROM measurements WHERE test_type='tcp_connect' AND target='127.0.0.1:$port' AND status='ok' AND connect_ms > 0")
[ "$c" -ge 2 ] || fail "tcp connect to the listener: $c ok samples"
r=$(sql "$db" "SELECT count(*) FROM measurements WHERE test_type='tcp_connect' AND target='127.0.0.1:1' AND status='error' AND error_detail LIKE '%refused%'")
[ "$r" -ge 2 ] || fail "tcp connect to a closed port: $r refused samples"
grep -q '^.* status icmp .*127.0.0.1' "$BB_TMP/out" || fail "no status line"
grep -q 'summary' "$BB_TMP/out" || fail "no summary"

# SIGTERM: flush and exit 0, nothing lost
"$BB_BIN" -d -c "$BB_TMP/bb.conf" --db "$BB_TMP/t.db" -t 127.0.0.1 --interval 100 \
	>"$BB_TMP/out2" 2>&1 &
pid=$!
sleep 2
kill -TERM $pid
wait $pid
rc=$?
[ $rc -eq 0 ] || { cat "$BB_TMP/out2"; fail "SIGTERM: exit $rc"; }
n=$(sql "$BB_TMP/t.db" "SELECT count(*) FROM measurements WHERE test_type='icmp'")
said=$(sed -n 's/.* stop \([0-9]*\) samples, \([0-9]*\) stored.*/\2/p' "$BB_TMP/out2")
[ "$n" -ge 15 ] || fail "SIGTERM run stored $n icmp samples"
echo "SIGTERM run: $n icmp rows; program said $said stored"
exit 0
