#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A second bufferbane-server on the port of a running one refuses to start
# (exit 1, "address already in use (another bufferbane-server?)") and the
# first one keeps answering the client.  Before, the workers' SO_REUSEPORT
# let the second bind too: it ran silently and the kernel split the clients
# between two processes that may hold different keys.
. "$(dirname "$0")/../lib/common.sh"
bb_sandbox "$@"
bb_tmpdir
set -u
[ -x "$BB_SERVER_BIN" ] || skip "no server binary at $BB_SERVER_BIN"
command -v sqlite3 >/dev/null || skip "sqlite3 missing"
trap 'bb_server_stop; [ -n "${PID2:-}" ] && kill "$PID2" 2>/dev/null; rm -rf "$BB_TMP"' EXIT

# a fixed port in the private namespace; without it, one the kernel picks
if [ -n "${BB_SANDBOXED:-}" ]; then port=9876; else port=0; fi
bb_server_start -b "127.0.0.1:$port"
port=$SRV_PORT
echo "first server on 127.0.0.1:$port (pid $SRV_PID)"

# the second, same port, same key: at most 5 s to give up
"$BB_SERVER_BIN" -c "$BB_TMP/srv.conf" --bind "127.0.0.1:$port" \
	>"$BB_TMP/out2" 2>&1 &
PID2=$!
for ((i = 0; i < 100; i++)); do
	kill -0 "$PID2" 2>/dev/null || break
	sleep 0.05
done
if kill -0 "$PID2" 2>/dev/null; then
	cat "$BB_TMP/out2"
	fail "the second server is still running on port $port"
fi
wait "$PID2"
rc=$?
PID2=
cat "$BB_TMP/out2"
[ "$rc" = 1 ] || fail "the second server exited $rc, not 1"
grep -qxF "bufferbane-server: 127.0.0.1:$port: address already in use (another bufferbane-server?)" \
	"$BB_TMP/out2" || fail "no clear 'address already in use' message"
grep -q 'listening on' "$BB_TMP/out2" && fail "the second server said it listens"

# the first still answers: echo samples through it for 3 s
kill -0 "$SRV_PID" 2>/dev/null || fail "the first server is gone"
bb_write_config "$BB_TMP/bb.conf" "servers=$SRV_SERVERS"
"$BB_BIN" -d -c "$BB_TMP/bb.conf" --db "$BB_TMP/bb.db" --interval 100 \
	--duration 3 >"$BB_TMP/out" 2>&1 || {
	cat "$BB_TMP/out"; fail "bufferbane -d exited $?"; }
ok=$(sql "$BB_TMP/bb.db" "SELECT count(*) FROM measurements WHERE test_type='udp_echo' AND status='ok'")
echo "first server: $ok echo replies in 3 s"
[ "$ok" -ge 10 ] || fail "the first server answered only $ok echoes in 3 s"
echo PASS
