#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The README's "try it without sending anything" command, as a user runs it:
# `ip netns exec NS ./bufferbane` in a namespace that has only loopback, with
# the SHIPPED defaults (no configuration file).  Nothing can leave such a
# namespace, so the public defaults (1.1.1.1, 8.8.8.8) are safe: their probes
# cannot open or send.  The monitor must keep running, exit 0 at the end of
# --duration, and record error samples with a reason for the public targets
# and ok samples for the loopback ones.
#
# Then, in a lab namespace with a veth but no default route: the gateway
# probe is planned anyway, and once a default route appears (198.18.0.1) it
# starts probing it within a few seconds.  And a target given by a name that
# does not resolve at start (DNS down) is kept: failed samples "cannot
# resolve NAME", then probed once the name resolves (here: once it is
# added to a private /etc/hosts); the same for a companion server's name.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/lab.sh"
lab_init
BB_TMP=$(mktemp -d /tmp/bb-try.XXXXXX)
set -u
[ -e /etc/bufferbane/bufferbane.conf ] &&
	skip "/etc/bufferbane/bufferbane.conf exists: the shipped defaults cannot be tested here"

lab_ns try
ns=$LAB-try
[ "$(ip -n "$ns" -o link | wc -l)" -eq 1 ] || fail "namespace $ns has more than loopback"

# No user configuration can be picked up: an empty XDG_CONFIG_HOME, and
# the default database under an empty XDG_DATA_HOME.
mkdir -p "$BB_TMP/config" "$BB_TMP/data"
run_try() { # NAME ARGS...: the README command with -d --duration 6
	local name=$1; shift
	# (./bufferbane in the repository for the default build)
	(cd "$(dirname "$BB_BIN")" && XDG_CONFIG_HOME=$BB_TMP/config XDG_DATA_HOME=$BB_TMP/data/$name \
		ip netns exec "$ns" ./"$(basename "$BB_BIN")" -d --duration 6 "$@") \
		>"$BB_TMP/$name.out" 2>"$BB_TMP/$name.err"
	local rc=$?
	echo "--- $name: exit $rc"
	cat "$BB_TMP/$name.out" "$BB_TMP/$name.err"
	[ $rc -eq 0 ] || fail "$name: bufferbane exited $rc (expected 0 after --duration 6)"
	grep -q 'config (built-in defaults)' "$BB_TMP/$name.out" ||
		fail "$name: a configuration file was picked up"
	db=$BB_TMP/data/$name/bufferbane/bufferbane.db
	[ -s "$db" ] || fail "$name: no database at $db"
}

# count DB WHERE: rows of the measurements view
count() { sql "$1" "SELECT count(*) FROM measurements WHERE $2"; }

# Every public default: an error sample with a reason at each interval,
# never a success.  ICMP every 1 s for 6 s: 5..7; DNS every 10 s: 1.
check_public() {
	local db=$1 name=$2 t n e
	for t in 1.1.1.1 8.8.8.8; do
		if [ "$name" = defaults ]; then
			n=$(count "$db" "test_type='icmp' AND target='$t'")
			e=$(count "$db" "test_type='icmp' AND target='$t' AND status='error' AND error_detail = 'net unreachable'")
			echo "$name: icmp $t: $n samples, $e errors 'net unreachable'"
			[ "$n" -ge 5 ] && [ "$n" -le 7 ] || fail "$name: icmp $t: $n samples, expected 5..7"
			[ "$e" -eq "$n" ] || fail "$name: icmp $t: $e of $n are errors with the reason"
		fi
		n=$(count "$db" "test_type='dns' AND target='$t'")
		e=$(count "$db" "test_type='dns' AND target='$t' AND status='error' AND error_detail = 'not started: network unreachable'")
		echo "$name: dns $t: $n samples, $e errors 'not started: network unreachable'"
		[ "$n" -eq 1 ] || fail "$name: dns $t: $n samples in 6 s at 10 s, expected 1"
		[ "$e" -eq "$n" ] || fail "$name: dns $t: not an error sample with its reason"
	done
	grep -q "dns probe to 1.1.1.1 cannot start yet (.*Network is unreachable); it is retried every 10 s" \
		"$BB_TMP/$name.err" || fail "$name: no start-up warning saying what failed and that it retries"
	[ "$name" = readme ] || # (-t replaces the gateway too)
		grep -q "no default gateway yet; the gateway probe starts when a default route appears" \
			"$BB_TMP/$name.err" || fail "$name: no warning about the missing gateway"
	[ "$(count "$db" "status='ok' AND target IN ('1.1.1.1','8.8.8.8')")" -eq 0 ] ||
		fail "$name: an ok sample to a public address from a loopback-only namespace"
}

# 1. The shipped defaults alone: nothing but failures, and the outage is
#    an event.
run_try defaults
check_public "$db" defaults
[ "$(count "$db" "target='gateway'")" -eq 0 ] || fail "defaults: gateway samples without a gateway"
ev=$(sql "$db" "SELECT kind || ': ' || description FROM events WHERE kind='micro_disconnect'")
echo "defaults: event $ev"
[ -n "$ev" ] || fail "defaults: the outage at start-up is not an event"
# Nothing can leave when the run ends: the summary's verdict says so (it
# once read "No problem right now", as the stop had closed the event), and
# that it is this computer's lack of a route, not the line (it once sent
# the user to the ISP).
v=$(grep ' summary verdict: ' "$BB_TMP/defaults.out")
echo "defaults: $v"
[[ $v == *"No connection: this computer has no default route"*"so far"*"Check this computer's connection"* ]] ||
	fail "defaults: the summary verdict does not say this computer has no connection: $v"
[[ $v == *ISP* ]] && fail "defaults: the ISP blamed for a computer without a route: $v"
[[ $ev == *"no default route"* ]] || fail "defaults: the event does not say there is no route: $ev"
# and the report counts it in words ("1 event", not "1 events")
"$BB_BIN" report --db "$db" --last 1h >"$BB_TMP/report.md" || fail "defaults: report failed"
grep -q '^1 event: 1 critical, 0 warning, 0 info\.$' "$BB_TMP/report.md" ||
	fail "defaults: report: $(grep -A1 '^## Events' "$BB_TMP/report.md")"
# and the period's verdict gives live's advice, not the ISP's
v=$(grep '^\*\*Verdict' "$BB_TMP/report.md")
[[ $v == *"Check this computer's connection"* && $v != *ISP* ]] ||
	fail "defaults: the report's verdict blames the line: $v"

# 2. The README's command: -t 127.0.0.1 -t ::1 (the DNS defaults remain).
run_try readme -t 127.0.0.1 -t ::1
check_public "$db" readme
for t in 127.0.0.1 ::1; do
	n=$(count "$db" "test_type='icmp' AND target='$t'")
	ok=$(count "$db" "test_type='icmp' AND target='$t' AND status='ok' AND rtt_ms > 0 AND rtt_ms < 50")
	echo "readme: icmp $t: $n samples, $ok ok"
	[ "$n" -ge 5 ] && [ "$n" -le 7 ] || fail "readme: icmp $t: $n samples, expected 5..7"
	[ "$ok" -eq "$n" ] || fail "readme: icmp $t: only $ok of $n ok"
done

# 3. A gateway that appears later: a veth to a "modem" namespace, no
#    default route at start; it is added after 3 s.
lab_ns modem
lab_link try modem 198.18.0.2/24 198.18.0.1/24
bb_write_config "$BB_TMP/gw.conf" \
	'general={ test_interval_ms = 200; probe_timeout_ms = 500; }' \
	'targets={ isp_gateway = "auto"; public_dns = []; custom = []; }' \
	'monitoring={ auto_detect_gateway = true; gateway_check_interval_sec = 60; }'
lab_exec try "$BB_BIN" -d -c "$BB_TMP/gw.conf" --db "$BB_TMP/gw.db" \
	--duration 8 >"$BB_TMP/gw.out" 2>&1 &
pid=$!
sleep 3
added_ms=$(date +%s%3N)
lab_exec try ip route add default via 198.18.0.1 || fail "cannot add the default route"
wait $pid
rc=$?
cat "$BB_TMP/gw.out"
[ $rc -eq 0 ] || fail "gateway later: bufferbane exited $rc"
grep -q 'probe icmp .*gateway .*(none yet)' "$BB_TMP/gw.out" || fail "gateway later: not planned without a route"
db=$BB_TMP/gw.db
[ "$(count "$db" "target='gateway' AND timestamp < $added_ms")" -eq 0 ] ||
	fail "gateway later: samples before the route existed"
first=$(sql "$db" "SELECT min(timestamp) FROM measurements WHERE target='gateway' AND status='ok'")
n=$(count "$db" "target='gateway' AND status='ok'")
[ -n "$first" ] || fail "gateway later: no ok gateway sample after the route appeared"
delay=$((first - added_ms))
echo "gateway later: first ok sample $delay ms after the route appeared, $n ok samples"
# the search runs every 2 s while none is known, then the next 200 ms tick
[ $delay -ge 0 ] && [ $delay -le 3000 ] || fail "gateway later: first sample after $delay ms"
[ "$n" -ge 10 ] || fail "gateway later: only $n ok samples"
ev=$(sql "$db" "SELECT description FROM events WHERE kind='gateway_change'")
echo "gateway later: event $ev"
[[ $ev == *"from none to 198.18.0.1"* ]] || fail "gateway later: no gateway_change event none -> 198.18.0.1"

# 3b. The route goes away mid-run (the WiFi dropped) and comes back: the
#     outage is this computer's ("No connection ... no default route"),
#     not the line's, and ends when the route is back.  A target beyond
#     the modem (198.18.1.1 on its loopback) and the gateway searched
#     every second.
lab_exec modem ip addr add 198.18.1.1/32 dev lo
bb_write_config "$BB_TMP/wifi.conf" \
	'general={ test_interval_ms = 200; probe_timeout_ms = 500; }' \
	'targets={ isp_gateway = "auto"; public_dns = []; custom = [ "far=198.18.1.1" ]; }' \
	'monitoring={ auto_detect_gateway = true; gateway_check_interval_sec = 1; }'
lab_exec try "$BB_BIN" -d -c "$BB_TMP/wifi.conf" --db "$BB_TMP/wifi.db" \
	--duration 12 >"$BB_TMP/wifi.out" 2>&1 &
pid=$!
sleep 3
lab_exec try ip route del default || fail "cannot delete the default route"
sleep 5
lab_exec try ip route add default via 198.18.0.1 || fail "cannot add the default route back"
wait $pid
rc=$?
cat "$BB_TMP/wifi.out"
[ $rc -eq 0 ] || fail "route lost: bufferbane exited $rc"
ev=$(sql "$BB_TMP/wifi.db" "SELECT description FROM events WHERE kind='micro_disconnect'")
echo "route lost: event $ev"
[[ $ev == "No connection: this computer has no default route, so every probe (icmp) failed for "*" s." ]] ||
	fail "route lost: the outage is not this computer's: $ev"
[ "$(count "$BB_TMP/wifi.db" "target='far' AND status='ok' AND timestamp > (SELECT max(end_ms) FROM events WHERE kind='micro_disconnect')")" -ge 5 ] ||
	fail "route lost: far not answering again after the route came back"

# 4. A name that resolves later.  A private /etc/hosts without it and a
#    resolv.conf naming 127.0.0.1 (refused at once: no query leaves), bound
#    over the real ones in a mount namespace of the lab client only.
command -v unshare >/dev/null || skip "unshare (util-linux) missing"
grep -v bbtarget /etc/hosts >"$BB_TMP/hosts"
echo "nameserver 127.0.0.1" >"$BB_TMP/resolv.conf"
lab_exec try unshare -m sh -c 'mount --bind "$1" /etc/hosts &&
	mount --bind "$2" /etc/resolv.conf && shift 2 && exec "$@"' sh \
	"$BB_TMP/hosts" "$BB_TMP/resolv.conf" \
	"$BB_BIN" -d -c "$BB_TMP/gw.conf" --db "$BB_TMP/name.db" -t bbtarget.test \
	--duration 10 >"$BB_TMP/name.out" 2>&1 &
pid=$!
sleep 3
added_ms=$(date +%s%3N)
echo "198.18.0.1 bbtarget.test" >>"$BB_TMP/hosts"
wait $pid
rc=$?
cat "$BB_TMP/name.out"
[ $rc -eq 0 ] || fail "name later: bufferbane exited $rc"
grep -q 'icmp: cannot resolve bbtarget.test.*resolved again in the background' "$BB_TMP/name.out" ||
	fail "name later: no warning that the name is resolved later"
grep -q 'probe icmp .*bbtarget.test .*(not resolved yet)' "$BB_TMP/name.out" ||
	fail "name later: not planned while unresolved"
db=$BB_TMP/name.db
e=$(count "$db" "target='bbtarget.test' AND status='error' AND error_detail='cannot resolve bbtarget.test' AND timestamp < $added_ms")
echo "name later: $e 'cannot resolve' samples in the first 3 s"
# 3 s at 200 ms: 15 deadlines, less the start-up
[ "$e" -ge 12 ] || fail "name later: $e failed samples before the name resolved, expected one per 200 ms"
first=$(sql "$db" "SELECT min(timestamp) FROM measurements WHERE target='bbtarget.test' AND status='ok'")
[ -n "$first" ] || fail "name later: never probed after the name resolved"
n=$(count "$db" "target='bbtarget.test' AND status='ok'")
delay=$((first - added_ms))
echo "name later: first ok sample $delay ms after the name appeared, $n ok samples"
# asked again every 5 s: within 5 s and an interval (and a slow machine)
[ $delay -ge 0 ] && [ $delay -le 6000 ] || fail "name later: first ok sample after $delay ms"
[ "$(count "$db" "target='bbtarget.test' AND status='ok' AND timestamp < $added_ms")" -eq 0 ] ||
	fail "name later: ok samples before the name existed"

# 5. A companion server given by a name that resolves later: a real
#    bufferbane-server on the namespace's loopback, named in the private
#    /etc/hosts only after 3 s.
"$BB_BIN" keygen >"$BB_TMP/key"
chmod 600 "$BB_TMP/key"
printf 'general = { workers = 1; };\nsecurity = { shared_secret_file = "%s"; };\n' \
	"$BB_TMP/key" >"$BB_TMP/srv.conf"
lab_exec try "$BB_SERVER_BIN" -c "$BB_TMP/srv.conf" --bind 127.0.0.1:9876 \
	2>"$BB_TMP/srv.log" &
grep -v bbserver "$BB_TMP/hosts" >"$BB_TMP/hosts2" && cat "$BB_TMP/hosts2" >"$BB_TMP/hosts"
bb_write_config "$BB_TMP/srvname.conf" \
	'general={ test_interval_ms = 200; probe_timeout_ms = 500; }' \
	"servers=( { name = \"vps\"; host = \"bbserver.test\"; port = 9876; shared_secret_file = \"$BB_TMP/key\"; } )"
lab_exec try unshare -m sh -c 'mount --bind "$1" /etc/hosts &&
	mount --bind "$2" /etc/resolv.conf && shift 2 && exec "$@"' sh \
	"$BB_TMP/hosts" "$BB_TMP/resolv.conf" \
	"$BB_BIN" -d -c "$BB_TMP/srvname.conf" --db "$BB_TMP/srvname.db" --status-interval 2 \
	--duration 12 >"$BB_TMP/srvname.out" 2>&1 &
pid=$!
sleep 3
added_ms=$(date +%s%3N)
echo "127.0.0.1 bbserver.test" >>"$BB_TMP/hosts"
wait $pid
rc=$?
cat "$BB_TMP/srvname.out"
[ $rc -eq 0 ] || fail "server name later: bufferbane exited $rc"
grep -q 'udp_echo: server vps: cannot resolve bbserver.test.*resolved again in the background' \
	"$BB_TMP/srvname.out" || fail "server name later: no warning that the name is resolved later"
db=$BB_TMP/srvname.db
e=$(count "$db" "test_type='udp_echo' AND error_detail='cannot resolve bbserver.test' AND timestamp < $added_ms")
first=$(sql "$db" "SELECT min(timestamp) FROM measurements WHERE test_type='udp_echo' AND status='ok'")
[ -n "$first" ] || fail "server name later: no echo answered after the name resolved"
delay=$((first - added_ms))
n=$(count "$db" "test_type='udp_echo' AND status='ok'")
echo "server name later: $e 'cannot resolve' samples, first echo $delay ms after the name appeared, $n ok"
[ "$e" -ge 5 ] || fail "server name later: $e failed samples before the name resolved"
# a server that cannot be reached by name is its state, not the line's
# loss (it once raised a critical packet_loss event and 100 % in stats)
[ "$(count "$db" "test_type='udp_echo' AND status='no_session' AND error_detail='cannot resolve bbserver.test'")" -eq \
	"$(count "$db" "test_type='udp_echo' AND error_detail='cannot resolve bbserver.test'")" ] ||
	fail "server name later: the unresolved echoes are not no_session"
[ "$(sql "$db" "SELECT count(*) FROM events WHERE kind='packet_loss'")" -eq 0 ] ||
	fail "server name later: an unresolved server counted as packet loss"
grep -q 'verdict: No session with vps for [0-9]* s (cannot resolve bbserver.test)' "$BB_TMP/srvname.out" ||
	fail "server name later: the verdict does not say why there is no session"
[ $delay -ge 0 ] && [ $delay -le 7000 ] || fail "server name later: first echo after $delay ms"
exit 0
