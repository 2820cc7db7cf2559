#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Gateway auto-detection inside a lab namespace: the client's default route
# points at 198.18.0.1 (a "modem" namespace that answers pings); bufferbane -d
# with isp_gateway = "auto" must find it and probe it as target "gateway".
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/lab.sh"
lab_init
BB_TMP=$(mktemp -d /tmp/bb-lab.XXXXXX)
set -u

lab_ns client
lab_ns modem
lab_link client modem 198.18.0.2/24 198.18.0.1/24
lab_exec client ip route add default via 198.18.0.1 || fail "default route"

bb_write_config "$BB_TMP/bb.conf" \
	'targets={ isp_gateway = "auto"; public_dns = []; custom = []; }' \
	'monitoring={ auto_detect_gateway = true; }'
lab_exec client "$BB_BIN" -d -c "$BB_TMP/bb.conf" --db "$BB_TMP/bb.db" \
	--interval 100 --duration 2 >"$BB_TMP/out" 2>&1
rc=$?
cat "$BB_TMP/out"
[ $rc -eq 0 ] || fail "bufferbane -d exited $rc"
grep -q 'probe icmp .*gateway .*198.18.0.1' "$BB_TMP/out" || fail "gateway 198.18.0.1 not detected"
n=$(sql "$BB_TMP/bb.db" "SELECT count(*) FROM measurements WHERE target='gateway' AND status='ok'")
[ "$n" -ge 12 ] || fail "only $n ok samples to the gateway"
echo "gateway detected, $n ok samples"
exit 0
