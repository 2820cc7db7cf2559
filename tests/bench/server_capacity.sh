#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Delivered echo capacity of bufferbane-server next to irtt's server, in one
# run, same machine, same loopback, same split: the server under test
# pinned to CPU 0, its load pinned to CPU 1.  Figures only, never a
# pass/fail (benchmarks report):
#  - ours: tests/bench/loadgen offers LOADGEN_OFFER (default 400 000)
#    authenticated echoes/s open-loop from LOADGEN_SOCKETS (4) clients
#    (sendmmsg; replies by recvmmsg, every 64th authenticated), more than
#    one core can answer, for CAP_SECS (3) s after a 0.5 s warm-up; 1
#    worker, rate limiting off.  Delivered = replies received per second;
#    per CPU-second = replies / the server's CPU time over the same window
#    (/proc/PID/task/*/schedstat);
#  - irtt: `irtt server -i 0 -d 0 -l 0` and IRTT_CLIENTS (2) x `irtt client
#    -i 10us -l 72` for CAP_SECS s; replies from the clients' JSON, server
#    CPU from /proc/PID/stat.
# Goal (issue 11): >= 150 000 authenticated echoes/s on one core, >= 5x
# irtt per CPU-second.  Run: make all build/bench/loadgen && sudo bash
# tests/bench/server_capacity.sh (in a private network namespace when root).
set -u
BB_TOP=${BB_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
if [ -z "${BB_SANDBOXED:-}" ] && [ "$(id -u)" -eq 0 ] && command -v unshare >/dev/null; then
	export BB_SANDBOXED=1
	exec unshare --net -- bash -c 'ip link set lo up && exec bash "$0" "$@"' "$0" "$@"
fi
BUILD=${BB_BUILD:-build}
LOADGEN=${LOADGEN_BIN:-$BUILD/bench/loadgen}
SERVER=${BB_SERVER_BIN:-./bufferbane-server}
SOCKS=${LOADGEN_SOCKETS:-4}
OFFER=${LOADGEN_OFFER:-400000}
SECS=${CAP_SECS:-3}
CLIENTS=${IRTT_CLIENTS:-2}
REV=${ATTACK_REV:-2}
[ -x "$LOADGEN" ] || { echo "SKIPPED: no $LOADGEN (make $BUILD/bench/loadgen)"; exit 0; }
[ -x "$SERVER" ] || { echo "SKIPPED: no $SERVER (make all)"; exit 0; }
ncpu=$(nproc)
pin_srv="taskset -c 0" pin_gen="taskset -c $((ncpu > 1 ? 1 : 0))"
tmp=$(mktemp -d /tmp/bb-cap.XXXXXX)
SRV=
cleanup() { [ -n "$SRV" ] && kill "$SRV" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

# ---- ours ---------------------------------------------------------------
"${BB_BIN:-./bufferbane}" keygen >"$tmp/key" 2>/dev/null ||
	head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$tmp/key"
chmod 600 "$tmp/key"
# a revision-2 server's global send cap must not be what is measured
extra=
grep -aq max_total_mbps "$SERVER" && extra='rate_limiting = { max_total_mbps = 100000; };'
cat >"$tmp/srv.conf" <<CONF
general = { workers = 1; max_concurrent_clients = 100; };
security = { shared_secret_file = "$tmp/key"; session_timeout_sec = 300;
  enable_rate_limiting = false; };
logging = { level = "warning"; };
$extra
CONF
port=$((20000 + RANDOM % 20000))
$pin_srv "$SERVER" -c "$tmp/srv.conf" --bind "127.0.0.1:$port" 2>"$tmp/srv.log" &
SRV=$!
sleep 0.5
kill -0 "$SRV" 2>/dev/null || { cat "$tmp/srv.log"; echo "server did not start"; exit 0; }
line=$($pin_gen "$LOADGEN" --server "127.0.0.1:$port" --key "$tmp/key" --rev "$REV" \
	--sockets "$SOCKS" --offer "$OFFER" --seconds "$SECS" --pid "$SRV")
echo "$line"
kill "$SRV"; wait "$SRV" 2>/dev/null; SRV=
f() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<" $line"; }
ours_rate=$(f delivered_per_s) ours_cpu=$(f per_cpu_s)
[ -n "$ours_rate" ] || { echo "loadgen gave no figures"; exit 0; }

# ---- irtt ---------------------------------------------------------------
if ! command -v irtt >/dev/null || ! command -v python3 >/dev/null; then
	echo "bufferbane-server: $ours_rate authenticated echoes/s delivered on one core, $ours_cpu per cpu-second (irtt missing: no comparison)"
	exit 0
fi
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
$pin_srv irtt server -b "127.0.0.1:$port" -i 0 -d 0 -l 0 >"$tmp/irtt-srv.log" 2>&1 &
SRV=$!
sleep 0.5
kill -0 "$SRV" 2>/dev/null || { cat "$tmp/irtt-srv.log"; echo "irtt server did not start"; exit 0; }
c0=$(cpu_ticks "$SRV")
pids=()
for i in $(seq "$CLIENTS"); do
	$pin_gen irtt client -Q -i 10us -d "${SECS}s" -l 72 --wait=200ms \
		-o "$tmp/c$i.json" "127.0.0.1:$port" 2>"$tmp/c$i.err" &
	pids+=($!)
done
wait "${pids[@]}"
c1=$(cpu_ticks "$SRV")
python3 - "$ours_rate" "$ours_cpu" "$c0" "$c1" "$(getconf CLK_TCK)" "$SECS" \
	"$CLIENTS" "$tmp"/c*.json <<'PY'
import json, sys
ours_rate, ours_cpu, c0, c1, hz, secs = (float(x) for x in sys.argv[1:7])
clients = int(sys.argv[7])
rx = sent = 0
for f in sys.argv[8:]:
    try:
        s = json.load(open(f))["stats"]
    except Exception:
        continue
    rx += s.get("packets_received", 0)
    sent += s.get("packets_sent", 0)
cpu = (c1 - c0) / hz
irtt_rate = rx / secs
irtt_cpu = rx / cpu if cpu > 0 else float("nan")
print(f"irtt server: {clients} clients at -i 10us for {secs:.0f} s: {sent:.0f} sent, "
      f"{rx:.0f} replies ({irtt_rate:.0f}/s), server cpu {cpu:.2f} s = {irtt_cpu:.0f} echoes per cpu-second")
print(f"bufferbane-server: {ours_rate:.0f} authenticated echoes/s delivered on one core "
      f"(goal >= 150000), {ours_cpu:.0f} per cpu-second")
ratio = ours_cpu / irtt_cpu if irtt_cpu > 0 else float("nan")
print(f"ratio (echoes per cpu-second, ours / irtt): {ratio:.1f}x (goal >= 5x); "
      f"delivered ours / irtt: {ours_rate / irtt_rate if irtt_rate else float('nan'):.1f}x")
PY
