#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A clean lab run (ICMP to two servers and the gateway, DNS to a dnsmasq, TCP
# connects, 100 ms probing, 12 s) raises no event at all, and the verdict
# says so: the control for every other detect_*.sh scenario.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/lab.sh"
. "$(dirname "$0")/detect_lab.inc"
lab_init
BB_TMP=$(mktemp -d /tmp/bb-lab.XXXXXX)
set -u
command -v dnsmasq >/dev/null || skip "dnsmasq missing"
det_topology
lab_exec server dnsmasq --keep-in-foreground --no-resolv --no-hosts \
	--conf-file=/dev/null --listen-address=198.18.1.2 --bind-interfaces \
	--address=/lab.test/198.18.1.2 --pid-file="$BB_TMP/dns.pid" 2>/dev/null &
lab_exec server python3 -c '
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("198.18.1.2", 8080)); s.listen(64)
while True:
    c, _ = s.accept(); c.close()' &
sleep 0.5
bb_write_config "$BB_TMP/bb.conf" \
	'general={ test_interval_ms = 100; probe_timeout_ms = 200; }' \
	'targets={ isp_gateway = "198.18.0.1"; public_dns = []; custom = [ "198.18.1.2", "198.18.1.3" ]; }' \
	'tests={ dns = { enabled = true; interval_s = 1; dns_servers = [ "198.18.1.2" ]; test_domains = [ "lab.test" ]; }; tcp = { enabled = true; interval_s = 1; targets = [ "198.18.1.2:8080" ]; }; bufferbloat = { enabled = false; }; throughput = { enabled = false; }; }'
det_run "$BB_TMP/bb.conf" 12
det_wait
n=$(sql "$BB_TMP/bb.db" "SELECT count(*) FROM measurements WHERE status='ok'")
bad=$(sql "$BB_TMP/bb.db" "SELECT count(*) FROM measurements WHERE status!='ok'")
kinds=$(sql "$BB_TMP/bb.db" "SELECT count(DISTINCT test_type) FROM measurements WHERE status='ok' AND test_type <> 'traffic'")
echo "ok samples $n, failed $bad, kinds $kinds"
[ "$n" -ge 300 ] || fail "only $n ok samples"
[ "$kinds" -eq 3 ] || fail "expected icmp, dns and tcp_connect samples"
ev=$(det_events)
[ -z "$ev" ] || fail "clean run raised events: $ev"
grep -q 'verdict: No problems detected' "$BB_TMP/out" ||
	fail "verdict is not clean"
echo "clean: no event in 12 s"
exit 0
