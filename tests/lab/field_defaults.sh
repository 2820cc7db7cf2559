#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bb-test: background
# The field test (ARCHITECTURE.md "The field is the test"): the shipped
# etc/bufferbane.conf, copied verbatim but for its public addresses (made lab
# addresses) and one companion server added, run as a user would run it
# (`bufferbane -d -c FILE`, its own database path), through a cable modem
# (tbf 20/5 Mbit, deep queues) and these faults:
#
#   t = 0 .. 8 s    the client's link is down (no address route, no default
#                   route): it must start anyway and record the outage
#   t = 60 s        blackout: the modem forwards nothing for 3 s
#   t = 120..180 s  scattered loss: 10 % of forwarded packets dropped
#   always          one configured DNS server (the one for 8.8.8.8) is dead
#   t >= 300 s      the first scheduled tests (none earlier: the defaults)
#
#   client 198.18.0.2 ── modem 198.18.0.1 | 198.18.1.1 ── server 198.18.1.2
#   (bufferbane-server), 198.18.1.3 (for 1.1.1.1: ICMP + dnsmasq),
#   198.18.1.4 (for 8.8.8.8: ICMP answers, DNS silently dropped)
#
# Asserts: it starts and runs to the end; the start-up outage is an event;
# each fault gives the event it should near its start and none in the clean
# spans; the dead DNS server is one lasting dns_issue; probes after our own
# tests count again.  Prints every event against the injected truth and the
# database's growth per hour.  FIELD_SECONDS shortens nothing: the first
# scheduled test comes 5 minutes after start by design.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/lab.sh"
. "$(dirname "$0")/detect_lab.inc"
lab_init
BB_TMP=$(mktemp -d /tmp/bb-lab.XXXXXX)
set -u
command -v dnsmasq >/dev/null || skip "dnsmasq missing"
[ -x "$BB_SERVER_BIN" ] || fail "no server binary at $BB_SERVER_BIN"
DUR=${FIELD_SECONDS:-380}

det_topology
lab_exec server ip addr add 198.18.1.4/24 dev "$LAB_IF_B" || fail "address 198.18.1.4"
# the cable modem: 5 Mbit/s up with a deep queue, 20 Mbit/s down
lab_exec modem tc qdisc replace dev "$DET_IF_UP" root tbf rate 5mbit \
	burst 10000 latency 300ms || fail "tbf up"
lab_exec modem tc qdisc replace dev "$DET_IF_DOWN" root tbf rate 20mbit \
	burst 20000 latency 100ms || fail "tbf down"
# DNS: dnsmasq answers for the "1.1.1.1" resolver; the "8.8.8.8" one is dead
lab_exec server dnsmasq --keep-in-foreground --no-resolv --no-hosts \
	--conf-file=/dev/null --listen-address=198.18.1.3 --bind-interfaces \
	--address=/example.com/198.18.1.3 --pid-file="$BB_TMP/dns.pid" 2>/dev/null &
lab_exec server nft add table inet dead || fail "nft dead"
lab_exec server nft add chain inet dead in \
	'{ type filter hook input priority 0; policy accept; }' || fail "nft chain"
lab_exec server nft add rule inet dead in ip daddr 198.18.1.4 udp dport 53 drop ||
	fail "nft rule"
det_server

# The shipped configuration, verbatim but for addresses and the server.
sed -e 's/1\.1\.1\.1/198.18.1.3/g' -e 's/8\.8\.8\.8/198.18.1.4/g' \
	-e "s|^servers = ( );|servers = $DET_SERVERS;|" \
	"$BB_TOP/etc/bufferbane.conf" >"$BB_TMP/field.conf"
grep -q '^servers = ( {' "$BB_TMP/field.conf" || fail "could not add the server to the shipped config"
if grep -nE '([0-9]{1,3}\.){3}[0-9]{1,3}' "$BB_TMP/field.conf" | grep -v '198\.18\.' |
	grep -v '^[0-9]*: *#'; then
	fail "the field config still names a non-lab address (above)"
fi
mkdir -p "$BB_TMP/config" "$BB_TMP/data"

# The line is down at start-up.
lab_exec client ip link set "$DET_IF_CLIENT" down
t0=$(date +%s%3N)
lab_exec client env XDG_CONFIG_HOME="$BB_TMP/config" XDG_DATA_HOME="$BB_TMP/data" \
	"$BB_BIN" -d -c "$BB_TMP/field.conf" --duration "$DUR" >"$BB_TMP/out" 2>&1 &
DET_PID=$!
db=$BB_TMP/data/bufferbane/bufferbane.db
sleep 8
kill -0 "$DET_PID" || { cat "$BB_TMP/out"; fail "bufferbane exited while the line was down"; }
lab_exec client ip link set "$DET_IF_CLIENT" up
lab_exec client ip route add default via 198.18.0.1
t_up=$(date +%s%3N)

sleep_until() { local d=$(($1 - $(date +%s%3N))); [ $d -gt 0 ] && sleep "$(awk -v d=$d 'BEGIN { print d / 1000 }')"; }
sleep_until $((t0 + 60000))
b_on=$(det_drop_all)
sleep 3
b_off=$(det_pass)
sleep_until $((t0 + 120000))
l_on=$(date +%s%3N)
lab_exec modem nft add rule inet bbdet bbfw numgen random mod 100 '<' 10 drop ||
	fail "nft loss rule"
sleep_until $((t0 + 180000))
l_off=$(det_pass)
det_wait
t_end=$(date +%s%3N)

rel() { echo $((($1 - t0) / 1000)); }
echo "== injected truth (s after start): link down 0..$(rel "$t_up"), blackout" \
	"$(rel "$b_on")..$(rel "$b_off"), 10 % loss $(rel "$l_on")..$(rel "$l_off"), dead DNS 198.18.1.4 always"
echo "== events recorded:"
sql "$db" "SELECT kind, (start_ms - $t0) / 1000, ifnull((end_ms - $t0) / 1000, '-'), severity, target,
	description FROM events ORDER BY start_ms" | sed 's/^/   /'

ev() { sql "$db" "SELECT count(*) FROM events WHERE $1"; }
# 1. it started with the line down and recorded the outage
err=$(sql "$db" "SELECT count(*) FROM measurements WHERE status = 'error' AND timestamp < $t_up")
[ "$err" -ge 5 ] || fail "only $err failed samples while the link was down"
[ "$(ev "start_ms <= $t_up AND kind IN ('micro_disconnect', 'packet_loss')")" -ge 1 ] ||
	fail "the start-up outage raised no event"
# the gateway appeared after start-up and was probed
gw=$(sql "$db" "SELECT count(*) FROM measurements WHERE target = 'gateway' AND status = 'ok'")
[ "$gw" -ge 100 ] || fail "gateway: $gw ok samples after it appeared"
# 2. the blackout: one micro_disconnect near its start
[ "$(ev "kind = 'micro_disconnect' AND start_ms BETWEEN $b_on - 1500 AND $b_on + 2500")" -eq 1 ] ||
	fail "the 3 s blackout did not give exactly one micro_disconnect near its start"
# 3. the scattered loss: packet_loss on the targets beyond the modem
for t in 198.18.1.3 198.18.1.4; do
	[ "$(ev "kind = 'packet_loss' AND target = '$t' AND start_ms BETWEEN $l_on AND $l_off + 2000")" -ge 1 ] ||
		fail "no packet_loss for $t during the scattered loss"
done
[ "$(ev "kind = 'packet_loss' AND target = 'gateway'")" -eq 0 ] ||
	fail "the gateway (before the loss) got a packet_loss event"
# 4. clean spans: nothing new starts (the dead DNS server aside)
quiet="kind NOT IN ('dns_issue', 'time_sync_established', 'time_sync_lost', 'bufferbloat')"
for span in "$((t_up + 15000)) $((b_on - 1000))" "$((b_off + 15000)) $((l_on - 1000))" \
	"$((l_off + 70000)) $((t0 + 299000))"; do
	set -- $span
	n=$(ev "$quiet AND start_ms BETWEEN $1 AND $2")
	[ "$n" -eq 0 ] || fail "$n events started in the clean span $(rel "$1")..$(rel "$2") s"
done
# 5. the dead DNS server: one lasting dns_issue; the live one none after start-up
[ "$(ev "kind = 'dns_issue' AND target LIKE '198.18.1.4%'")" -eq 1 ] ||
	fail "the dead DNS server did not give exactly one dns_issue"
[ "$(ev "kind = 'dns_issue' AND target LIKE '198.18.1.4%' AND (end_ms IS NULL OR end_ms >= $t_end - 15000)")" -eq 1 ] ||
	fail "the dead DNS server's dns_issue did not last to the end"
[ "$(ev "kind = 'dns_issue' AND target LIKE '198.18.1.3%' AND start_ms > $t_up + 15000")" -eq 0 ] ||
	fail "the working DNS server got a dns_issue after start-up"
# 6. our own tests ran after 5 minutes, never before, and probes count again
first_test=$(sql "$db" "SELECT min(timestamp) FROM measurements WHERE test_type IN ('upload', 'download', 'bufferbloat')")
[ -n "$first_test" ] || fail "no scheduled test ran in $DUR s"
[ "$first_test" -ge $((t0 + 299000)) ] || fail "a test ran $(rel "$first_test") s after start (before 5 minutes)"
last_load=$(sql "$db" "SELECT max(timestamp) FROM measurements WHERE under_load")
after=$(sql "$db" "SELECT count(*) FROM measurements
	WHERE test_type = 'icmp' AND timestamp > ${last_load:-0} + 5000")
flagged_late=$(sql "$db" "SELECT count(*) FROM measurements WHERE under_load AND timestamp > $first_test + 120000")
echo "== tests from $(rel "$first_test") s; last probe under load at $(rel "${last_load:-$t0}") s; $after icmp probes after it"
[ "$flagged_late" -eq 0 ] || fail "$flagged_late probes flagged under load 2 minutes after the first test"
[ "$after" -ge 30 ] || fail "only $after icmp probes counted after our tests"
# 7. the database's growth (closed, so the WAL is checkpointed into it)
size_end=$(stat -c %s "$db")
rows=$(sql "$db" "SELECT count(*) FROM measurements")
echo "== database: $size_end bytes, $rows samples after $(((t_end - t0) / 1000)) s:" \
	"$(awk -v b="$size_end" -v t=$((t_end - t0)) 'BEGIN { printf "%.1f", b / t * 3600000 / 1e6 }') MB/hour" \
	"at the shipped defaults with one server (start-up and tests included)"
grep -q 'verdict' "$BB_TMP/out" || fail "no verdict in the -d output"
exit 0
