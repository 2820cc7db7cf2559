#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bufferbane-server's echo capacity next to irtt's server, same machine,
# same loopback, same split: the server under test pinned to CPU 0, its load
# generator(s) pinned to CPU 1.  Figures only, never a pass/fail:
#  - ours: tests/bench/bench_server (pre-sealed 56-byte requests, a window
#    of 256 in flight, 1 worker, rate limiting off): replies/s and server
#    CPU per 1000 echoes, from /proc/PID/stat;
#  - irtt: `irtt server -b 127.0.0.1:PORT -i 0 -d 0 -l 0` and
#    IRTT_CLIENTS (default 2) × `irtt client -i 10us -l 56` for
#    IRTT_SECS (default 4) s; replies/s from the clients' JSON, server CPU
#    from /proc/PID/stat over the run.
# Goal (the issue's): >= 150k echoes/s per core and >= 5x irtt's packets per
# CPU-second.  Loopback only (127.0.0.1).
set -u
BUILD=${BB_BUILD:-build}
BENCH=${BENCH_SERVER_BIN:-$BUILD/bench/bench_server}
export BB_SERVER_BIN=${BB_SERVER_BIN:-./bufferbane-server}
CLIENTS=${IRTT_CLIENTS:-2}
SECS=${IRTT_SECS:-4}
[ -x "$BENCH" ] || { echo "SKIPPED: no $BENCH (make bench builds it)"; exit 0; }
command -v irtt >/dev/null || { echo "SKIPPED: irtt missing (make deps)"; exit 0; }
command -v python3 >/dev/null || { echo "SKIPPED: python3 missing"; exit 0; }
ncpu=$(nproc)
pin_srv="taskset -c 0" pin_gen="taskset -c $((ncpu > 1 ? 1 : 0))"
tmp=$(mktemp -d /tmp/bb-bench.XXXXXX)
SRV=
cleanup() { [ -n "$SRV" ] && kill "$SRV" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

# ---- ours ---------------------------------------------------------------
"$BENCH" | tee "$tmp/ours"
ours_rate=$(sed -n 's/^server echo: \([0-9]*\) replies.*/\1/p' "$tmp/ours")
ours_ms=$(sed -n 's/^server cpu: \([0-9.]*\) ms per 1000.*/\1/p' "$tmp/ours")
[ -n "$ours_rate" ] && [ -n "$ours_ms" ] || { echo "bench_server gave no figures"; exit 0; }

# ---- irtt ---------------------------------------------------------------
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
port=$((20000 + RANDOM % 20000))
$pin_srv irtt server -b "127.0.0.1:$port" -i 0 -d 0 -l 0 >"$tmp/irtt-srv.log" 2>&1 &
SRV=$!
sleep 0.5
kill -0 "$SRV" 2>/dev/null || { cat "$tmp/irtt-srv.log"; echo "irtt server did not start"; exit 0; }
c0=$(cpu_ticks "$SRV")
t0=$(date +%s%N)
pids=()
for i in $(seq "$CLIENTS"); do
	$pin_gen irtt client -Q -i 10us -d "${SECS}s" -l 56 --wait=200ms \
		-o "$tmp/c$i.json" "127.0.0.1:$port" 2>"$tmp/c$i.err" &
	pids+=($!)
done
wait "${pids[@]}"
t1=$(date +%s%N)
c1=$(cpu_ticks "$SRV")
hz=$(getconf CLK_TCK)
read -r irtt_rx irtt_sent <<<"$(python3 - "$tmp"/c*.json <<'PY'
import json, sys
rx = sent = 0
for f in sys.argv[1:]:
    try:
        s = json.load(open(f))["stats"]
    except Exception:
        continue
    rx += s.get("packets_received", 0)
    sent += s.get("packets_sent", 0)
print(rx, sent)
PY
)"
python3 - "$ours_rate" "$ours_ms" "$irtt_rx" "$irtt_sent" "$c0" "$c1" "$hz" \
	"$t0" "$t1" "$SECS" "$CLIENTS" <<'PY'
import sys
ours_rate, ours_ms = float(sys.argv[1]), float(sys.argv[2])
rx, sent, c0, c1, hz = (float(x) for x in sys.argv[3:8])
t0, t1, secs, clients = float(sys.argv[8]), float(sys.argv[9]), float(sys.argv[10]), int(sys.argv[11])
cpu = (c1 - c0) / hz
ours_per_cpu = 1e6 / ours_ms  # echoes per CPU-second
irtt_rate = rx / secs
irtt_per_cpu = rx / cpu if cpu > 0 else float("nan")
print(f"irtt server: {clients} clients at -i 10us for {secs:.0f} s: {sent:.0f} sent, "
      f"{rx:.0f} replies ({irtt_rate:.0f}/s), server cpu {cpu:.2f} s "
      f"= {1000 * cpu / rx * 1000 if rx else float('nan'):.2f} ms per 1000 echoes")
print(f"bufferbane-server: {ours_rate:.0f} replies/s achieved (generator-bound), "
      f"{ours_ms:.2f} ms cpu per 1000 = {ours_per_cpu:.0f} echoes per cpu-second")
print(f"irtt server: {irtt_per_cpu:.0f} echoes per cpu-second")
ratio = ours_per_cpu / irtt_per_cpu if irtt_per_cpu > 0 else float("nan")
print(f"ratio (packets per cpu-second, ours / irtt): {ratio:.1f}x "
      f"(goal >= 5x); per-core capacity {ours_per_cpu:.0f}/s (goal >= 150000)")
PY
