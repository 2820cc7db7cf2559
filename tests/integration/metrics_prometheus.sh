#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# metrics.listen end to end, inside a loopback-only namespace: bufferbane -d
# (ICMP to 127.0.0.1 and ::1, DNS to a dnsmasq and TCP connect to a listener
# on loopback, echoes, a throughput and a bufferbloat test with a real
# bufferbane-server) serves /metrics; `promtool check metrics` passes on it; a real Prometheus scrapes
# it every second and its HTTP API answers the RTT of 127.0.0.1 with a
# loopback value; 404 and 405 where they belong; 50 hung HTTP connections
# do not stall the main loop (samples keep being counted at the probe rate
# and /metrics still answers).  Last, etc/grafana-dashboard.json is valid
# JSON, every metric it names is in the exposition, and Prometheus accepts
# every one of its queries.
. "$(dirname "$0")/../lib/common.sh"
bb_sandbox "$@"
bb_tmpdir
set -u
for t in prometheus promtool curl python3 dnsmasq; do
	command -v $t >/dev/null || skip "needs $t (Debian: apt-get install prometheus curl python3 dnsmasq-base)"
done

pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	bb_server_stop
	wait 2>/dev/null
	rm -rf "$BB_TMP"
}
trap cleanup EXIT

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
MP=$(free_port)
PP=$(free_port)
[ "$MP" != "$PP" ] || PP=$((MP + 1))

# a TCP listener for the connect probe
python3 - "$BB_TMP/tcpport" <<'PY' &
import socket, sys
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(64)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
while True:
    c, _ = s.accept(); c.close()
PY
pids+=($!)
for _ in $(seq 50); do [ -s "$BB_TMP/tcpport" ] && break; sleep 0.1; done
tcpport=$(cat "$BB_TMP/tcpport")

# a DNS server for the DNS probe (dnsmasq, as tests/integration/dns_issue.sh)
DP=$(free_port)
dnsmasq --no-daemon --port="$DP" --listen-address=127.0.0.1 \
	--bind-interfaces --no-resolv --no-hosts --conf-file=/dev/null \
	--user=root --pid-file="$BB_TMP/dnsmasq.pid" \
	--address=/probe.test/198.18.0.1 2>>"$BB_TMP/dnsmasq.log" &
pids+=($!)

bb_server_start "$BB_SRV_FAST"
bb_write_config "$BB_TMP/bb.conf" \
	"servers=$SRV_SERVERS" \
	'general={ test_interval_ms = 200; probe_timeout_ms = 500; }' \
	"tests={ dns = { enabled = true; interval_s = 1;
	    dns_servers = [\"127.0.0.1:$DP\"]; test_domains = [\"probe.test\"]; };
	  tcp = { enabled = true; interval_s = 1; targets = [\"127.0.0.1:$tcpport\"]; };
	  throughput = { enabled = true; small_test_kb = 256; small_interval_s = 3600;
	    medium_interval_s = 86400; large_interval_s = 86400; first_test_s = 1; };
	  bufferbloat = { enabled = true; interval_s = 3600; test_duration_s = 4;
	    test_type = \"upload\"; first_test_s = 1; };
	  path = { enabled = true; interval_ms = 100; }; }" \
	"metrics={ listen = \"127.0.0.1:$MP\"; }"
"$BB_BIN" -d -c "$BB_TMP/bb.conf" --db "$BB_TMP/bb.db" -t 127.0.0.1 -t ::1 \
	--interval 200 --duration 60 >"$BB_TMP/out" 2>&1 &
BB_PID=$!
pids+=($BB_PID)
URL=http://127.0.0.1:$MP/metrics

for _ in $(seq 50); do
	curl -sf -o /dev/null "$URL" && break
	kill -0 $BB_PID 2>/dev/null || { cat "$BB_TMP/out"; fail "bufferbane -d died"; }
	sleep 0.1
done
code=$(curl -s -o "$BB_TMP/m0" -w '%{http_code} %{content_type}' "$URL")
echo "GET /metrics: $code"
[ "${code%% *}" = 200 ] || fail "GET /metrics answered $code"
[[ $code == *"text/plain; version=0.0.4"* ]] || fail "content type: $code"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$MP/")
[ "$code" = 404 ] || fail "GET / answered $code, not 404"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -d x=1 "$URL")
[ "$code" = 405 ] || fail "POST /metrics answered $code, not 405"
code=$(curl -s -o /dev/null -w '%{http_code}' -I "$URL")
[ "$code" = 200 ] || fail "HEAD /metrics answered $code"

# ---- a real Prometheus, scraping every second --------------------------
cat >"$BB_TMP/prom.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 900ms
scrape_configs:
  - job_name: bufferbane
    static_configs:
      - targets: ['127.0.0.1:$MP']
EOF
promtool check config "$BB_TMP/prom.yml" >/dev/null || fail "promtool check config"
prometheus --config.file="$BB_TMP/prom.yml" --storage.tsdb.path="$BB_TMP/tsdb" \
	--web.listen-address="127.0.0.1:$PP" >"$BB_TMP/prom.log" 2>&1 &
pids+=($!)
API=http://127.0.0.1:$PP/api/v1

# query EXPR: the first result's value ("" when none)
query() {
	curl -s --get --data-urlencode "query=$1" "$API/query" |
		python3 -c 'import json,sys
try:
    d = json.load(sys.stdin)  # nothing while Prometheus starts
except ValueError:
    d = {}
r = d.get("data", {}).get("result", []) if d.get("status") == "success" else []
print(r[0]["value"][1] if r else "")'
}

RTT='bufferbane_rtt_seconds{job="bufferbane",target="127.0.0.1",probe="icmp",quantile="0.5"}'
v= scrapes=
for _ in $(seq 100); do
	scrapes=$(query 'count_over_time(bufferbane_samples_total{job="bufferbane"}[1m])')
	if [ -n "$scrapes" ] && [ "$scrapes" -ge 3 ]; then
		v=$(query "$RTT")
		[ -n "$v" ] && [ "$v" != NaN ] && break
	fi
	sleep 0.2
done
echo "Prometheus after $scrapes scrapes: $RTT = $v"
[ -n "$v" ] || { tail -5 "$BB_TMP/prom.log"; fail "Prometheus has no RTT for 127.0.0.1"; }
python3 -c "import sys; v=float(sys.argv[1]); sys.exit(0 if 0 < v < 0.050 else 1)" "$v" ||
	fail "loopback RTT p50 $v s is not within 0..50 ms"
[ "$(query 'up{job="bufferbane"}')" = 1 ] || fail "up{job=\"bufferbane\"} is not 1"
v6=$(query 'bufferbane_rtt_seconds_count{target="::1",probe="icmp"}')
[ -n "$v6" ] && [ "$v6" -gt 0 ] || fail "no RTT count for ::1 ($v6)"

# ---- hung clients ----------------------------------------------------------
# 50 connections that send half a request and then nothing: while they
# hang, the main thread (which counts every sample and renders the text)
# must keep pace with the probes, and /metrics must still answer.
python3 - "$MP" "$BB_TMP/hung" <<'PY' &
import socket, sys, time
cs = []
for _ in range(50):
    c = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
    c.sendall(b"GET /metr")
    cs.append(c)
open(sys.argv[2], "w").write("up")
time.sleep(8)
PY
hung=$!
pids+=($hung)
for _ in $(seq 50); do [ -s "$BB_TMP/hung" ] && break; sleep 0.1; done
[ -s "$BB_TMP/hung" ] || fail "the hung clients did not connect"
samples() {
	curl -s --max-time 2 "$URL" | sed -n 's/^bufferbane_samples_total \([0-9]*\)$/\1/p'
}
t0=${EPOCHREALTIME/./}
s0=$(samples)
sleep 3
s1=$(samples)
t1=${EPOCHREALTIME/./}
[ -n "$s0" ] && [ -n "$s1" ] || fail "/metrics did not answer while 50 clients hung"
# 2 ICMP targets at 200 ms, the echo stream and the connect probe: at
# least the 10 ICMP probes a second; the text is at most 1 s old at each
# end, so it covers at least dt - 1 s (0.5 s more for a noisy machine)
dt_ms=$(((t1 - t0) / 1000))
got=$((s1 - s0))
want=$(((dt_ms - 1500) * 10 / 1000))
echo "while 50 clients hung: $got samples counted in $dt_ms ms (at least $want expected)"
[ "$got" -ge "$want" ] || fail "the main loop fell behind while clients hung: $got < $want"
kill $hung 2>/dev/null

# ---- promtool on a text with every family ----------------------------------
# the throughput and bufferbloat tests start 1 s in and take ~5 s
for _ in $(seq 150); do
	curl -s "$URL" >"$BB_TMP/metrics.txt"
	grep -q '^bufferbane_bufferbloat_grade{' "$BB_TMP/metrics.txt" &&
		grep -q '^bufferbane_throughput_bytes_per_second{' "$BB_TMP/metrics.txt" &&
		grep -q '^bufferbane_path_hop_rtt_seconds{' "$BB_TMP/metrics.txt" && break
	sleep 0.2
done
promtool check metrics <"$BB_TMP/metrics.txt" >"$BB_TMP/lint" 2>&1 ||
	{ cat "$BB_TMP/lint"; fail "promtool check metrics"; }
echo "promtool check metrics: ok ($(wc -c <"$BB_TMP/metrics.txt") bytes," \
	"$(grep -c '^bufferbane_' "$BB_TMP/metrics.txt") samples)"
for f in rtt_seconds dns_seconds tcp_connect_seconds loss_ratio jitter_seconds \
	probes_total bufferbloat_grade bufferbloat_increase_seconds \
	throughput_bytes_per_second server_session events_open \
	samples_stored_total samples_dropped_total path_hop_loss_ratio \
	path_hop_rtt_seconds path_lossy_hop; do
	grep -q "^# TYPE bufferbane_$f " "$BB_TMP/metrics.txt" ||
		{ cat "$BB_TMP/out"; fail "no bufferbane_$f in the exposition"; }
done
grep -q '^bufferbane_server_session{interface="",server="lo"} 1$' "$BB_TMP/metrics.txt" ||
	fail "no session with the server in the exposition"
grep '^bufferbane_bufferbloat_grade\|^bufferbane_throughput' "$BB_TMP/metrics.txt"
# the path probe: 127.0.0.1 answers at hop 1, nothing lost
grep -Eq '^bufferbane_path_hop_rtt_seconds\{interface="",target="127\.0\.0\.1",hop="1",addr="127\.0\.0\.1",quantile="0\.5"\} [0-9.e-]+$' \
	"$BB_TMP/metrics.txt" || fail "no hop 1 RTT of the path to 127.0.0.1"
grep -q '^bufferbane_path_hop_loss_ratio{interface="",target="127.0.0.1",hop="1",addr="127.0.0.1",whose="line"} 0$' \
	"$BB_TMP/metrics.txt" || fail "no hop 1 loss of the path to 127.0.0.1"
grep '^bufferbane_path_\|^bufferbane_interface_' "$BB_TMP/metrics.txt"

# ---- the Grafana dashboard -------------------------------------------------
DASH=$BB_TOP/etc/grafana-dashboard.json
python3 - "$DASH" "$BB_TMP/metrics.txt" "$BB_TMP/exprs" <<'PY' || fail "dashboard check"
import json, re, sys
dash = json.load(open(sys.argv[1]))
text = open(sys.argv[2]).read()
have = {m[0] for m in re.findall(r"^# TYPE (\S+) (\S+)", text, re.M)}
for m in re.findall(r"^# TYPE (\S+) summary", text, re.M):
    have |= {m + "_sum", m + "_count"}
exprs = []
def walk(o):
    if isinstance(o, dict):
        if isinstance(o.get("expr"), str):
            exprs.append(o["expr"])
        for v in o.values():
            walk(v)
    elif isinstance(o, list):
        for v in o:
            walk(v)
walk(dash)
if len(exprs) < 4:
    sys.exit("dashboard: only %d queries" % len(exprs))
used = set()
for e in exprs:
    used |= set(re.findall(r"\bbufferbane_[a-z0-9_]+", e))
missing = sorted(used - have)
if missing:
    sys.exit("dashboard names metrics the exposition lacks: " + ", ".join(missing))
print("dashboard: %d queries, %d metrics, all in the exposition" % (len(exprs), len(used)))
# Grafana's own variables, as Grafana would expand them
with open(sys.argv[3], "w") as f:
    for e in exprs:
        e = e.replace("$__rate_interval", "1m").replace("$__interval", "1m")
        e = re.sub(r"\$\{?instance\}?", ".*", e)
        e = re.sub(r"\$\{?target\}?", ".*", e)
        f.write(e + "\n")
PY
while IFS= read -r e; do
	st=$(curl -s --get --data-urlencode "query=$e" "$API/query" |
		python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["status"], d.get("error",""))')
	[ "${st%% *}" = success ] || fail "Prometheus refuses the dashboard query $e: $st"
done <"$BB_TMP/exprs"
echo "Prometheus accepts every dashboard query"

kill -TERM $BB_PID
wait $BB_PID
rc=$?
[ $rc -eq 0 ] || { cat "$BB_TMP/out"; fail "bufferbane -d exited $rc"; }
exit 0
