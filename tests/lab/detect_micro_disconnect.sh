#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Micro-disconnect (DETECTION.md scenario 7): everything the modem forwards
# is dropped for 2.5 s while bufferbane probes two ICMP targets, a dnsmasq
# and a TCP listener behind it at 100 ms.  Expect exactly one
# micro_disconnect event starting within 3 probe intervals of the injection
# and lasting 2.5 s within 10 % + 2 probe intervals, and no packet_loss,
# dns_issue or connection_instability event for the same outage.
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
	'targets={ isp_gateway = "none"; public_dns = []; custom = [ "198.18.1.2", "198.18.1.3" ]; }' \
	'tests={ dns = { enabled = true; interval_s = 1; dns_servers = [ "198.18.1.2" ]; test_domains = [ "lab.test" ]; }; tcp = { enabled = true; interval_s = 1; targets = [ "198.18.1.2:8080" ]; }; bufferbloat = { enabled = false; }; throughput = { enabled = false; }; }'
det_run "$BB_TMP/bb.conf" 10
sleep 4
t_on=$(det_drop_all)
sleep 2.5
t_off=$(det_pass)
det_wait
truth=$((t_off - t_on))
echo "injected: drop all from $t_on for $truth ms"
det_events
[ "$(det_events "WHERE kind='micro_disconnect'" | wc -l)" -eq 1 ] ||
	fail "expected exactly one micro_disconnect event"
IFS='|' read -r kind start end sev target metrics \
	<<<"$(det_events "WHERE kind='micro_disconnect'")"
dur=$((end - start))
echo "micro_disconnect: start $((start - t_on)) ms after injection, $dur ms long ($sev) $metrics"
[ "$end" -gt 0 ] || fail "event not ended"
within "$start" "$((t_on + 150))" 150 || fail "start $((start - t_on)) ms off the injection (allowed 0..300)"
tol=$((truth / 10 + 200))
within "$dur" "$truth" "$tol" || fail "duration $dur ms, injected $truth ms (tolerance $tol)"
for k in icmp dns tcp_connect; do
	grep -q "\"failed\":\"[a-z_, ]*$k" <<<"$metrics" || fail "$k not listed as failed"
done
other=$(det_events "WHERE kind != 'micro_disconnect'")
[ -z "$other" ] || fail "the outage also raised: $other"
exit 0
