#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Gateway auto-detection inside a lab namespace: the client's default route
# points at 198.18.0.1 (a "modem" namespace that answers pings); bufferbane -d
# with isp_gateway = "auto" must find it and probe it as target "gateway".
# Then the route moves to 198.18.0.3: within the re-check period (1 s here)
# a gateway_change event is recorded and the probe follows the new gateway.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/lab.sh"
lab_init
BB_TMP=$(mktemp -d /tmp/bb-lab.XXXXXX)
set -u

lab_ns client
lab_ns modem
lab_link client modem 198.18.0.2/24 198.18.0.1/24
lab_exec modem ip addr add 198.18.0.3/24 dev "$LAB_IF_B"
lab_exec client ip route add default via 198.18.0.1 || fail "default route"

bb_write_config "$BB_TMP/bb.conf" \
	'targets={ isp_gateway = "auto"; public_dns = []; custom = []; }' \
	'monitoring={ auto_detect_gateway = true; gateway_check_interval_sec = 1; }'
lab_exec client "$BB_BIN" -d -c "$BB_TMP/bb.conf" --db "$BB_TMP/bb.db" \
	--interval 100 --duration 5 >"$BB_TMP/out" 2>&1 &
pid=$!
sleep 2
moved_ms=$(date +%s%3N)
lab_exec client ip route replace default via 198.18.0.3 || fail "route change"
wait $pid
rc=$?
cat "$BB_TMP/out"
[ $rc -eq 0 ] || fail "bufferbane -d exited $rc"
grep -q 'probe icmp .*gateway .*198.18.0.1' "$BB_TMP/out" || fail "gateway 198.18.0.1 not detected"
db=$BB_TMP/bb.db
n=$(sql "$db" "SELECT count(*) FROM measurements WHERE target='gateway' AND status='ok'")
[ "$n" -ge 35 ] || fail "only $n ok samples to the gateway"
ev=$(sql "$db" "SELECT start_ms || ' ' || description FROM events WHERE kind='gateway_change'")
echo "event: $ev"
[[ $ev == *"from 198.18.0.1 to 198.18.0.3"* ]] || fail "no gateway_change event 198.18.0.1 -> 198.18.0.3"
delay=$(( ${ev%% *} - moved_ms ))
echo "gateway change noticed after $delay ms (check period 1000 ms)"
[ $delay -ge 0 ] && [ $delay -le 2500 ] || fail "change noticed after $delay ms"
grep -q 'event once gateway_change' "$BB_TMP/out" || fail "no event line in -d output"
after=$(sql "$db" "SELECT count(*) FROM measurements WHERE target='gateway' AND status='ok' AND timestamp > ${ev%% *}")
[ "$after" -ge 10 ] || fail "only $after ok samples after the change"
echo "gateway followed, $n ok samples, $after after the change"
exit 0
