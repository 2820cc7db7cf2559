#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Link faults under a running monitor (issue 10 "Always on and field-true").
#
#   client 198.18.0.2 ──veth── server 198.18.0.1 (bufferbane-server :9876)
#
# bufferbane -d probes through the client's veth (-i, so the probes' sockets
# are bound to it) with ICMP to 198.18.0.1 and the UDP echo stream to the
# server, every 200 ms, while the lab:
#   1. deletes the veth (both ends vanish) and re-creates it 3 s later,
#   2. moves the client to another address (198.18.0.2 -> 198.18.0.5),
#   3. restarts bufferbane-server.
# The monitor must keep running (exit 0 at the end of --duration), record
# failed samples during each fault (one per interval, never nothing), resume
# afterwards, and record the link outage as an event.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/lab.sh"
lab_init
BB_TMP=$(mktemp -d /tmp/bb-lab.XXXXXX)
set -u

lab_ns client
lab_ns server
lab_link client server 198.18.0.2/24 198.18.0.1/24
IFC=$LAB_IF_A IFSRV=$LAB_IF_B

bb_server_start -n server -b 0.0.0.0:9876
now_ms() { date +%s%3N; }

bb_write_config "$BB_TMP/bb.conf" \
	'general={ test_interval_ms = 200; probe_timeout_ms = 500; }' \
	"servers=( { name = \"lab\"; host = \"198.18.0.1\"; port = 9876; shared_secret_file = \"$BB_TMP/key\"; } )" \
	'loss_stream={ interval_ms = 200; }'
lab_exec client "$BB_BIN" -d -c "$BB_TMP/bb.conf" --db "$BB_TMP/bb.db" \
	-i "$IFC" -t 198.18.0.1 --duration 26 --status-interval 5 \
	>"$BB_TMP/out" 2>&1 &
pid=$!

# 1. The link goes away and comes back (same names, same addresses).
sleep 4
del_ms=$(now_ms)
lab_exec client ip link del "$IFC" || fail "cannot delete $IFC"
sleep 3
ip link add "$IFC" netns "$LAB-client" type veth peer name "$IFSRV" netns "$LAB-server" ||
	fail "cannot re-create the veth"
lab_exec client ip addr add 198.18.0.2/24 dev "$IFC"
lab_exec server ip addr add 198.18.0.1/24 dev "$IFSRV"
lab_exec client ip link set "$IFC" up
lab_exec server ip link set "$IFSRV" up
back_ms=$(now_ms)

# 2. The client's address changes.
sleep 5
addr_ms=$(now_ms)
lab_exec client ip addr del 198.18.0.2/24 dev "$IFC"
lab_exec client ip addr add 198.18.0.5/24 dev "$IFC"

# 3. The server restarts (down for 2 s).
sleep 5
srv_down_ms=$(now_ms)
kill -KILL "$SRV_PID" # a crash: no goodbye to the client
wait "$SRV_PID" 2>/dev/null
sleep 2
bb_server_start -n server -b 0.0.0.0:9876
srv_up_ms=$(now_ms)

wait $pid
rc=$?
cat "$BB_TMP/out"
kill "$SRV_PID" 2>/dev/null
[ $rc -eq 0 ] || fail "bufferbane -d exited $rc: it must keep running through link faults"

db=$BB_TMP/bb.db
q() { sql "$db" "$1"; }
# n KIND STATUS FROM TO: samples of KIND with STATUS ('%' any) sent in [FROM, TO)
n() { q "SELECT count(*) FROM measurements WHERE test_type='$1' AND status LIKE '$2' AND timestamp >= $3 AND timestamp < $4"; }
# first_ok KIND FROM: ms from FROM to the first ok sample of KIND after it
first_ok() { q "SELECT min(timestamp) - $2 FROM measurements WHERE test_type='$1' AND status='ok' AND timestamp >= $2"; }
echo "--- timeline: link deleted at +0, back at +$((back_ms - del_ms)), address moved at +$((addr_ms - del_ms)), server down at +$((srv_down_ms - del_ms)), up at +$((srv_up_ms - del_ms)) ms"
# runs of one outcome per kind: kind|status|detail|count|first|last (ms)
q "WITH s AS (SELECT test_type k, timestamp - $del_ms t,
	status || ' ' || CASE status WHEN 'ok' THEN '' ELSE error_detail END o
	FROM measurements WHERE test_type IN ('icmp','udp_echo')),
 r AS (SELECT k, t, o, ROW_NUMBER() OVER (PARTITION BY k ORDER BY t) -
	ROW_NUMBER() OVER (PARTITION BY k, o ORDER BY t) g FROM s)
 SELECT k, o, count(*), min(t), max(t) FROM r GROUP BY k, o, g ORDER BY k, min(t)"

# Before any fault: both answer.
for k in icmp udp_echo; do
	ok=$(n $k ok 0 "$del_ms")
	[ "$ok" -ge 10 ] || fail "$k: only $ok ok samples before the faults"
done

# 1. While the link is gone (from 0.3 s after the delete to the re-create):
#    a failed sample per 200 ms interval, no success.
from=$((del_ms + 300)) to=$back_ms
span=$((to - from))
for k in icmp udp_echo; do
	all=$(n $k % $from $to) ok=$(n $k ok $from $to)
	echo "link gone ${span} ms: $k $all samples, $ok ok"
	[ "$ok" -eq 0 ] || fail "$k: $ok ok samples while the link was gone"
	# one per interval: span/200, minus one for the edges and one for a
	# slow machine
	[ "$all" -ge $((span / 200 - 2)) ] || fail "$k: $all samples in $span ms without a link, expected one per 200 ms"
done
err=$(n icmp error $from $to)
[ "$err" -ge $((span / 200 - 2)) ] || fail "icmp: only $err error samples while the link was gone"
q "SELECT DISTINCT error_detail FROM measurements WHERE test_type='icmp' AND status='error' AND timestamp >= $from AND timestamp < $to" |
	grep -qE 'interface missing|No such device' || fail "icmp: the error samples do not say the interface is missing"
# ... and both resume once it is back
for k in icmp udp_echo; do
	d=$(first_ok $k "$back_ms")
	echo "link back: first ok $k after $d ms"
	[ -n "$d" ] || fail "$k: never resumed after the link came back"
	# icmp: reopened at its next deadline; echo: a new session too
	lim=$([ $k = icmp ] && echo 1500 || echo 4000)
	[ "$d" -le "$lim" ] || fail "$k: resumed only $d ms after the link came back (limit $lim)"
done
ev=$(q "SELECT start_ms - $del_ms, end_ms - $del_ms FROM events WHERE kind='micro_disconnect' AND start_ms BETWEEN $((del_ms - 1000)) AND $back_ms")
echo "link outage event: start/end relative to the delete: $ev"
[ -n "$ev" ] || fail "no event for the link outage"

# 2. The address change: ICMP goes on; the echo stream (a socket connected
#    from the old address) is reopened and resumes.
for k in icmp udp_echo; do
	d=$(first_ok $k "$((addr_ms + 100))")
	echo "address moved: first ok $k after $((d + 100)) ms"
	[ -n "$d" ] || fail "$k: never resumed after the address change"
	lim=$([ $k = icmp ] && echo 1500 || echo 4000)
	[ "$d" -le "$lim" ] || fail "$k: resumed only $d ms after the address change (limit $lim)"
done

# 3. The server restart: the echo stream fails while it is down (samples,
#    not silence) and resumes with the new server process.
from=$((srv_down_ms + 600)) to=$srv_up_ms
all=$(n udp_echo % $from $to) ok=$(n udp_echo ok $from $to)
echo "server down $((to - from)) ms: udp_echo $all samples, $ok ok"
[ "$ok" -eq 0 ] || fail "udp_echo: $ok ok samples while the server was down"
[ "$all" -ge $(((to - from) / 200 - 2)) ] || fail "udp_echo: $all samples while the server was down, expected one per 200 ms"
d=$(first_ok udp_echo "$srv_up_ms")
echo "server back: first ok udp_echo after $d ms"
[ -n "$d" ] || fail "udp_echo: never resumed after the server restarted"
ok=$(q "SELECT count(*) FROM measurements WHERE test_type='icmp' AND status='ok' AND timestamp >= $srv_down_ms")
[ "$ok" -ge 20 ] || fail "icmp stopped during the server restart ($ok ok)"
echo "link faults: the monitor ran through all three and recorded each"
exit 0
