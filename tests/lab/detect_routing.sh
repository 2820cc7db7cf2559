#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Routing trouble (DETECTION.md scenario 5): two servers behind the modem,
# the path to one of them drops 30 % of echo requests (nft numgen), the
# gateway and the other server stay clean.  Expect a packet_loss event for
# that server only, none for the others, and a verdict that names it while
# calling the gateway and the other server fine.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/lab.sh"
. "$(dirname "$0")/detect_lab.inc"
lab_init
BB_TMP=$(mktemp -d /tmp/bb-lab.XXXXXX)
set -u
det_topology 2
bb_write_config "$BB_TMP/bb.conf" \
	'general={ test_interval_ms = 100; probe_timeout_ms = 200; }' \
	'targets={ isp_gateway = "198.18.0.1"; public_dns = []; custom = [ "198.18.1.2", "198.18.2.2" ]; }'
det_run "$BB_TMP/bb.conf" 12
sleep 2.5
lab_exec modem nft add rule inet bbdet bbfw ip daddr 198.18.2.2 \
	icmp type echo-request numgen random mod 100 '<' 30 drop || fail "nft rule"
det_wait
det_events
targets=$(det_events "WHERE kind='packet_loss'" | cut -d'|' -f5 | sort -u)
[ "$targets" = 198.18.2.2 ] || fail "packet_loss events for: $targets"
[ -z "$(det_events "WHERE target != '198.18.2.2'")" ] || fail "events for the clean targets"
grep -q 'verdict: .*Routing trouble to 198.18.2.2: [0-9.]* % loss over 60 s while the gateway and 198.18.1.2 are fine. Nothing to fix at home: only that destination is affected, not your line.' \
	"$BB_TMP/out" || fail "verdict does not name the routing trouble and what to do"
# the loss event to 198.18.2.2 is explained: never "the line drops"
grep -q 'verdict: .*The line drops' "$BB_TMP/out" && fail "verdict blames the line"
grep 'status verdict' "$BB_TMP/out" | tail -1
exit 0
