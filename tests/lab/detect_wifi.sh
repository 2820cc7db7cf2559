#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# WiFi vs wired (DETECTION.md "WiFi vs ISP"): the client namespace has two
# links to the modem, "wired" 198.18.0.2 and "wifi" 198.18.3.2; the wifi
# one is shaped (tbf 2 mbit on the modem's side) and lossy (the modem
# drops every 10th packet towards 198.18.3.2: `numgen inc mod 10 == 0`,
# deterministic).  bufferbane -d -i WIRED -i WIFI probes the same target
# (ICMP to 198.18.1.2) through both (SO_BINDTODEVICE; core/engine/plan.c builds
# one probe per interface and the model keeps the series apart).
#
# Asserts: both interfaces have their own samples; the wifi series lost
# 10 % of its probes (+-1 probe for the ones in flight at the edges) and
# the wired one none; one packet_loss event, on the wifi interface only,
# starting within 3 probe intervals of the injection; and the verdict
# names the wifi interface as the local link at fault, says what to do
# about it, and does not blame the line for its loss.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/lab.sh"
. "$(dirname "$0")/detect_lab.inc"
lab_init
BB_TMP=$(mktemp -d /tmp/bb-lab.XXXXXX)
set -u
command -v tc >/dev/null || skip "tc (iproute2) missing"
det_topology
WIRED=$DET_IF_CLIENT
lab_link client modem 198.18.3.2/24 198.18.3.1/24
WIFI=$LAB_IF_A
lab_exec client ip route add default via 198.18.3.1 dev "$WIFI" metric 100
for c in all default "$WIRED" "$WIFI"; do
	lab_exec client sysctl -qw net.ipv4.conf."$c".rp_filter=0
done
lab_exec modem tc qdisc replace dev "$LAB_IF_B" root tbf rate 2mbit \
	burst 5000 latency 50ms || fail "tbf"
bb_write_config "$BB_TMP/bb.conf" \
	'general={ test_interval_ms = 100; probe_timeout_ms = 300; }' \
	'targets={ isp_gateway = "none"; public_dns = []; custom = [ "198.18.1.2" ]; }'
lab_exec client "$BB_BIN" -d -c "$BB_TMP/bb.conf" --db "$BB_TMP/bb.db" \
	--interval 100 --duration 14 --status-interval 1 \
	-i "$WIRED" -i "$WIFI" >"$BB_TMP/out" 2>&1 &
DET_PID=$!
sleep 3
on=$(date +%s%3N)
lab_exec modem nft add rule inet bbdet bbfw ip daddr 198.18.3.2 \
	numgen inc mod 10 == 0 drop || fail "nft rule"
sleep 10
off=$(det_pass)
det_wait
q() { sql "$BB_TMP/bb.db" "$1"; }
# (probes only: the interfaces' traffic rows are no probes)
for ifc in "$WIRED" "$WIFI"; do
	n=$(q "SELECT count(*) FROM measurements WHERE interface='$ifc' AND test_type <> 'traffic'")
	lost=$(q "SELECT count(*) FROM measurements WHERE interface='$ifc' AND test_type <> 'traffic' AND status!='ok'")
	inj=$(q "SELECT count(*) FROM measurements WHERE interface='$ifc' AND test_type <> 'traffic' AND timestamp >= $on AND timestamp < $off")
	echo "$ifc: $n samples, $lost lost, $inj sent during the injection"
	[ "$n" -ge 100 ] || fail "$ifc has only $n samples"
	if [ "$ifc" = "$WIRED" ]; then
		[ "$lost" -eq 0 ] || fail "wired lost $lost"
	else
		within "$lost" $((inj / 10)) 1 || fail "wifi lost $lost of $inj, injected 10 %"
	fi
done
sql "$BB_TMP/bb.db" "SELECT kind, interface, start_ms - $on, metrics FROM events"
[ "$(q "SELECT count(*) FROM events WHERE kind='packet_loss'")" -eq 1 ] ||
	fail "expected one packet_loss event"
[ "$(q "SELECT interface FROM events WHERE kind='packet_loss'")" = "$WIFI" ] ||
	fail "the loss event is not on the wifi link"
start=$(q "SELECT start_ms FROM events WHERE kind='packet_loss'")
[ $((start - on)) -ge 0 ] && [ $((start - on)) -le 300 ] ||
	fail "start $((start - on)) ms off the injection (allowed 0..300)"
grep "verdict:" "$BB_TMP/out" | tail -3
grep -q "verdict: .*The local link $WIFI is at fault, not the line: .* on $WIRED\. Check that link's WiFi signal or cable, or use the other one\." "$BB_TMP/out" ||
	fail "verdict does not name $WIFI and what to do"
# once the local link is named, its loss event does not blame the line
grep "verdict: .*The local link $WIFI" "$BB_TMP/out" | grep -q 'The line drops' &&
	fail "verdict blames the line beside the local link"
exit 0
