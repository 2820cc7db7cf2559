#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Asymmetric fault (DETECTION.md scenario 4): the real bufferbane-server
# behind the modem, a UDP echo stream every 100 ms, and an nft rule in the
# modem that drops every 10th echo packet of ONE direction only
# (`numgen inc mod 10 == 0`, deterministic, with a counter as the ground
# truth) for 8 s.  Two runs of 12 s: upstream (client -> server requests),
# then downstream (server -> client replies).
#
# Asserts per run: the echo samples' loss split matches the drops exactly
# (loss_dir up = the rule's counter for the upstream run, down for the
# downstream one, +-1 for a probe still unresolved at the end; none in the
# other direction); one packet_loss event whose metrics say direction
# up/down with all the loss on that side; start within 3 probe intervals
# of the injection; and the verdict names the direction.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/lab.sh"
. "$(dirname "$0")/detect_lab.inc"
lab_init
BB_TMP=$(mktemp -d /tmp/bb-lab.XXXXXX)
set -u
det_topology
det_server
bb_write_config "$BB_TMP/bb.conf" \
	'general={ test_interval_ms = 100; probe_timeout_ms = 300; }' \
	"servers=$DET_SERVERS"

for dir in up down; do
	rm -f "$BB_TMP"/bb.db*
	if [ $dir = up ]; then
		match='ip saddr 198.18.0.2 ip daddr 198.18.1.2 udp dport 9876'
	else
		match='ip saddr 198.18.1.2 ip daddr 198.18.0.2 udp sport 9876'
	fi
	det_run "$BB_TMP/bb.conf" 12
	sleep 3
	on=$(date +%s%3N)
	lab_exec modem nft add rule inet bbdet bbfw $match \
		numgen inc mod 10 == 0 counter drop || fail "nft rule"
	sleep 8
	dropped=$(lab_exec modem nft list chain inet bbdet bbfw |
		sed -n 's/.*counter packets \([0-9]*\).*/\1/p')
	det_pass >/dev/null
	det_wait
	other=$([ $dir = up ] && echo down || echo up)
	n_dir=$(sql "$BB_TMP/bb.db" "SELECT count(*) FROM measurements WHERE test_type='udp_echo' AND loss_direction='$dir'")
	n_other=$(sql "$BB_TMP/bb.db" "SELECT count(*) FROM measurements WHERE test_type='udp_echo' AND loss_direction='$other'")
	n_unk=$(sql "$BB_TMP/bb.db" "SELECT count(*) FROM measurements WHERE test_type='udp_echo' AND status!='ok' AND loss_direction IS NULL")
	det_events
	echo "$dir: dropped $dropped, samples lost $dir $n_dir, lost $other $n_other, other failures $n_unk"
	within "$n_dir" "$dropped" 1 || fail "lost $dir $n_dir, dropped $dropped"
	[ "$n_other" -eq 0 ] || fail "$n_other probes blamed on the clean direction"
	[ "$(det_events "WHERE kind='packet_loss'" | wc -l)" -eq 1 ] ||
		fail "expected one packet_loss event"
	IFS='|' read -r kind start end sev target metrics \
		<<<"$(det_events "WHERE kind='packet_loss'")"
	echo "packet_loss: start +$((start - on)) ms after injection $metrics"
	[ $((start - on)) -ge 0 ] && [ $((start - on)) -le 300 ] ||
		fail "start $((start - on)) ms off the injection (allowed 0..300)"
	grep -q "\"direction\":\"$dir\"" <<<"$metrics" || fail "direction not $dir"
	pct=$(json_num "$metrics" loss_pct)
	pdir=$(json_num "$metrics" ${dir}_loss_pct)
	pother=$(json_num "$metrics" ${other}_loss_pct)
	within "$pdir" "$pct" 0.01 || fail "${dir}_loss_pct $pdir != loss_pct $pct"
	within "$pother" 0 0 || fail "${other}_loss_pct $pother"
	grep -q "The loss is on the way $dir only" "$BB_TMP/out" ||
		fail "verdict does not name the $dir direction"
done
exit 0
