#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The engine against its peers on one lab path (veth between two namespaces,
# 198.18.0.0/15), all in the same run:
#   1. send-time error (actual send - scheduled deadline) p50/p99/max at 1 s
#      and 10 ms intervals, bufferbane vs irtt (irtt's per-packet client send
#      times against its own schedule, the same definition);
#   2. RTT median minus ping's median on the same path, bufferbane vs irtt;
#   3. CPU % and peak RSS for 3 targets at 1/s over 60 s, bufferbane vs irtt
#      (one client per target) vs fping.
# Figures are medians of RUNS runs (default 3).  Needs root; reports only.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/lab.sh"
lab_init
BB_TMP=$(mktemp -d /tmp/bb-bench.XXXXXX)
RUNS=${RUNS:-3}
LONG=${LONG:-60}
set -u
for tool in irtt fping ping python3; do
	command -v $tool >/dev/null || skip "$tool missing (make deps)"
done

lab_ns client
lab_ns server
lab_link client server 198.18.0.2/24 198.18.0.1/24
for a in 198.18.0.3 198.18.0.4; do lab_exec server ip addr add $a/24 dev "$LAB_IF_B"; done
lab_exec server irtt server -b 198.18.0.1:2112 >/dev/null 2>&1 &
sleep 0.5
bb_write_config "$BB_TMP/bb.conf"

# percentile helper over stdin numbers
pct() {
	python3 -c '
import sys, statistics
v = sorted(float(x) for x in sys.stdin.read().split())
def p(q): return v[min(len(v) - 1, max(0, int(round(q / 100 * len(v) + 0.5)) - 1))]
print(f"{p(50):.1f} {p(99):.1f} {v[-1]:.1f} {statistics.median(v):.4f}" if v else "nan nan nan nan")'
}

# bufferbane: send-error "p50 p99 max mean" (us), then RTT median (ms)
run_bb() { # interval_ms duration_s
	rm -f "$BB_TMP/b.db"*
	lab_exec client "$BB_BIN" -d -c "$BB_TMP/bb.conf" --db "$BB_TMP/b.db" \
		-t 198.18.0.1 --interval "$1" --duration "$2" >/dev/null 2>&1
	# The store keeps send times to the microsecond, not the scheduler's
	# own error; the deadlines are absolute (deadline = first + seq *
	# interval), so the error is the send time's lateness against that
	# grid, its phase set by the earliest send (an underestimate by that
	# one send's own error, a few microseconds).
	sqlite3 "$BB_TMP/b.db" "SELECT seq, mono_us FROM sample_rows WHERE flags & 3 = 0 ORDER BY seq" |
		python3 -c '
import sys
step = float(sys.argv[1]) * 1000
rows = [tuple(map(int, l.split("|"))) for l in sys.stdin if l.strip()]
late = [m - q * step for q, m in rows]
base = min(late)
v = sorted(x - base for x in late)
def p(q): return v[min(len(v) - 1, max(0, int(round(q / 100 * len(v) + 0.5)) - 1))]
print(f"{p(50):.1f} {p(99):.1f} {v[-1]:.1f} {sum(v) / len(v):.1f}")' "$1"
	sqlite3 "$BB_TMP/b.db" "SELECT rtt_ms FROM measurements WHERE status='ok'" | pct
}

# irtt: its own timer_error statistic "- - max mean" (it exports no
# per-packet schedule, so no percentiles), then RTT median (ms)
run_irtt() { # interval_ms duration_s
	lab_exec client irtt client -q -i "${1}ms" -d "${2}s" -o "$BB_TMP/i.json" \
		198.18.0.1:2112 >/dev/null 2>&1
	python3 - "$BB_TMP/i.json" <<'PY'
import json, statistics, sys
d = json.load(open(sys.argv[1]))
te = d["stats"]["timer_error"]
print(f"- - {te['max'] / 1000:.1f} {te['mean'] / 1000:.1f}")
rtt = [r["delay"]["rtt"] / 1e6 for r in d["round_trips"] if r["lost"] == "false"]
print(f"0 0 0 {statistics.median(rtt):.4f}")
PY
}

run_ping() { # interval_ms count
	lab_exec client ping -n -q -c 2 198.18.0.1 >/dev/null 2>&1 # warm ARP
	lab_exec client ping -n -i "$(awk "BEGIN{print $1/1000}")" -c "$2" 198.18.0.1 |
		sed -n 's/.*time=\([0-9.]*\) ms/\1/p' | pct
}

median() { python3 -c 'import sys,statistics; print(f"{statistics.median(float(x) for x in sys.argv[1:]):.1f}")' "$@"; }
medianf() { python3 -c 'import sys,statistics; print(f"{statistics.median(float(x) for x in sys.argv[1:]):.4f}")' "$@"; }

for iv in 1000 10; do
	dur=$([ $iv -eq 1000 ] && echo 15 || echo 10)
	bb50=() bb99=() bbmax=() bbmean=() irmax=() irmean=() dbb=() dir=()
	for _ in $(seq "$RUNS"); do
		mapfile -t b < <(run_bb $iv $dur)
		mapfile -t i < <(run_irtt $iv $dur)
		p=$(run_ping $iv $((dur * 1000 / iv)) | awk '{print $4}')
		read -r e50 e99 emax emean <<<"${b[0]}"; read -r _ _ _ brtt <<<"${b[1]}"
		bb50+=("$e50") bb99+=("$e99") bbmax+=("$emax") bbmean+=("$emean")
		read -r _ _ emax emean <<<"${i[0]}"; read -r _ _ _ irtt_rtt <<<"${i[1]}"
		irmax+=("$emax") irmean+=("$emean")
		dbb+=("$(awk "BEGIN{print ($brtt - $p) * 1000}")")
		dir+=("$(awk "BEGIN{print ($irtt_rtt - $p) * 1000}")")
	done
	echo "send-time error at ${iv} ms, us, median of $RUNS runs of ${dur}s:"
	echo "  bufferbane  p50 $(median "${bb50[@]}")  p99 $(median "${bb99[@]}")  max $(median "${bbmax[@]}")  mean $(median "${bbmean[@]}")"
	echo "  irtt        (its timer_error)  max $(median "${irmax[@]}")  mean $(median "${irmean[@]}")"
	echo "RTT median minus ping's median on the same path at ${iv} ms, us:"
	echo "  bufferbane  $(median "${dbb[@]}")"
	echo "  irtt        $(median "${dir[@]}")"
done

echo "CPU and peak RSS, 3 targets at 1/s for ${LONG}s (run side by side):"
# CPU = utime + stime of the process itself, read from /proc just before it
# ends (so no wrapper's fork is counted); peak RSS = VmHWM.
T="198.18.0.1 198.18.0.3 198.18.0.4"
lab_exec server irtt server -b 198.18.0.3:2112 >/dev/null 2>&1 &
lab_exec server irtt server -b 198.18.0.4:2112 >/dev/null 2>&1 &
sleep 0.5
# `ip netns exec` execs the tool, so $! is the tool's own pid.
ip netns exec "$LAB-client" "$BB_BIN" -d -c "$BB_TMP/bb.conf" --db "$BB_TMP/cpu.db" \
	-t 198.18.0.1 -t 198.18.0.3 -t 198.18.0.4 --interval 1000 \
	--duration $((LONG + 5)) >/dev/null 2>&1 &
bb_pid=$!
irtt_pids=()
for a in $T; do
	ip netns exec "$LAB-client" irtt client -q -i 1s -d "$((LONG + 5))s" "$a:2112" >/dev/null 2>&1 &
	irtt_pids+=($!)
done
ip netns exec "$LAB-client" fping -q -l -p 1000 $T >/dev/null 2>&1 & # until killed
fping_pid=$!
sleep "$LONG"
usage() { # name pids...: CPU % over LONG and summed peak RSS
	local name=$1; shift
	local ticks=0 rss=0 p
	for p in "$@"; do
		ticks=$((ticks + $(awk '{print $14 + $15}' /proc/$p/stat)))
		rss=$((rss + $(awk '/VmHWM/ {print $2}' /proc/$p/status)))
	done
	awk -v n="$name" -v t=$ticks -v hz="$(getconf CLK_TCK)" -v d="$LONG" -v r=$rss \
		'BEGIN { printf "  %-11s CPU %.3f %%   peak RSS %.1f MB\n", n, 100 * t / hz / d, r / 1024 }'
}
usage bufferbane $bb_pid
usage "irtt (x3)" "${irtt_pids[@]}"
usage fping $fping_pid
kill $fping_pid
wait $bb_pid "${irtt_pids[@]}" $fping_pid 2>/dev/null
