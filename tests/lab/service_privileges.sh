#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bufferbane.service's privileges are enough, and needed: the unit's own
# ExecStart runs as an unprivileged user with exactly the unit's
# CapabilityBoundingSet/AmbientCapabilities and NoNewPrivileges (setpriv),
# under /proc mounted as ProcSubset=pid + ProtectProc=invisible, in a lab
# namespace where ping sockets are off (net.ipv4.ping_group_range "1 0",
# Debian 12's default): ICMP to a target and to the gateway it detects from
# the routing table are answered and stored.  The same run without the
# capability stores no answer at all (so the capability is what makes it
# work, not a ping socket).  systemd itself cannot run in this container
# (PID 1 is not systemd); the sandbox is rebuilt from the unit's lines.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/lab.sh"
lab_init
bb_tmpdir
trap 'lab_cleanup; rm -rf "$BB_TMP"' EXIT
set -u
command -v setpriv >/dev/null || skip "setpriv missing (util-linux)"
unit=$BB_TOP/etc/bufferbane.service.in
[ -f "$unit" ] || fail "$unit missing"
key() { sed -n "s/^$1=//p" "$unit" | tail -1; }
# CAP_NET_RAW CAP_X -> -all,+net_raw,+x (setpriv's syntax)
caps() {
	local c out=-all
	for c in $1; do out+=",+$(echo "${c#CAP_}" | tr 'A-Z' 'a-z')"; done
	echo "$out"
}
[ "$(key NoNewPrivileges)" = yes ] || fail "the unit lost NoNewPrivileges"
[ "$(key ProcSubset)" = pid ] || fail "the unit's ProcSubset is '$(key ProcSubset)' (update this test)"
amb=$(caps "$(key AmbientCapabilities)") bnd=$(caps "$(key CapabilityBoundingSet)")

lab_ns c
lab_ns g
lab_link c g 198.18.77.2/24 198.18.77.1/24
ip -n "$LAB-c" route add default via 198.18.77.1 || fail "default route"
lab_exec c sysctl -qw net.ipv4.ping_group_range="1 0" || fail "ping_group_range"

# The unit's ExecStart with this test's folders for @BINDIR@, @SYSCONFDIR@
# and %S (the state directory root); the user is a DynamicUser-range uid.
uid=61184
chmod 755 "$BB_TMP"
mkdir -p "$BB_TMP/etc/bufferbane" "$BB_TMP/state/bufferbane"
bb_write_config "$BB_TMP/etc/bufferbane/bufferbane.conf" \
	'targets={ isp_gateway = "auto"; public_dns = []; custom = [ "127.0.0.1" ]; }' \
	'monitoring={ auto_detect_gateway = true; gateway_check_interval_sec = 1; }'
chmod 644 "$BB_TMP/etc/bufferbane/bufferbane.conf"
exec_start=$(key ExecStart)
exec_start=${exec_start//@BINDIR@/$(dirname "$BB_BIN")}
exec_start=${exec_start//@SYSCONFDIR@/$BB_TMP/etc}
exec_start=${exec_start//%S/$BB_TMP/state}
[[ $exec_start == *" -d "* ]] || fail "ExecStart is not bufferbane -d: $exec_start"
db=$BB_TMP/state/bufferbane/bufferbane.db

# run AMBIENT BOUNDING: the service's command in its sandbox, 4 s
run() {
	rm -f "$db"*
	chown -R $uid:$uid "$BB_TMP/state/bufferbane"
	# shellcheck disable=SC2086
	ip netns exec "$LAB-c" unshare -m --propagation private sh -c '
		mount -t proc -o subset=pid,hidepid=invisible proc /proc || exit 99
		amb=$1 bnd=$2; shift 2
		exec setpriv --reuid '$uid' --regid '$uid' --clear-groups \
			--no-new-privs --bounding-set "$bnd" --inh-caps "$amb" \
			--ambient-caps "$amb" "$@"' sh "$1" "$2" $exec_start --duration 4 \
		>"$BB_TMP/out" 2>&1
}
ok_count() { sql "$db" "SELECT count(*) FROM measurements WHERE test_type='icmp' AND status='ok' AND target='$1'"; }

run "$amb" "$bnd" || fail "the service's command exited $?: $(tail -5 "$BB_TMP/out")"
[ -s "$db" ] || fail "no database in the state directory: $(tail -5 "$BB_TMP/out")"
[ "$(stat -c %u "$db")" = $uid ] || fail "the database is not the service user's"
n_lo=$(ok_count 127.0.0.1)
targets=$(sql "$db" "SELECT group_concat(DISTINCT target) FROM measurements WHERE test_type='icmp'")
n_gw=$(sql "$db" "SELECT count(*) FROM measurements WHERE test_type='icmp' AND status='ok' AND target <> '127.0.0.1'")
echo "with the unit's capabilities ($amb): $n_lo answers from 127.0.0.1, $n_gw from the gateway (targets: $targets)"
[ "$n_lo" -ge 20 ] || fail "only $n_lo ICMP answers from 127.0.0.1 in 4 s at 100 ms: $(tail -5 "$BB_TMP/out")"
[ "$n_gw" -ge 10 ] || fail "only $n_gw ICMP answers from the detected gateway (targets: $targets): $(tail -5 "$BB_TMP/out")"

# the control: no capability, no answer
run -all -all
n=$(sql "$db" "SELECT count(*) FROM measurements WHERE test_type='icmp' AND status='ok'" 2>/dev/null || echo 0)
why=$(sql "$db" "SELECT error_detail FROM measurements WHERE test_type='icmp' AND status<>'ok' LIMIT 1" 2>/dev/null)
echo "without: $n answers; ${why:-$(tail -2 "$BB_TMP/out")}"
[ "${n:-0}" -eq 0 ] || fail "$n ICMP answers without CAP_NET_RAW: the test does not test the capability"
echo ok
