#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bb-test: background
# dns_issue lifecycle with a real DNS server (dnsmasq on loopback, inside
# the test's own network namespace): it answers for 6 s, is stopped for
# 18 s (queries every second are refused: nothing listens on the port),
# then answers again.  The detector once ended the event after every probe
# and re-opened it on the next (an 8 s run logged 3 starts, 15 ends and ran
# the alert command 18 times, while the verdict said "No problem right
# now").  Asserts: exactly one dns_issue start while it fails and one end
# after it recovers, in the database, in alerts.log and in the alert
# command's runs; the -d verdict names the DNS trouble while it lasts.
. "$(dirname "$0")/../lib/common.sh"
bb_sandbox "$@"
bb_tmpdir
set -u
command -v dnsmasq >/dev/null || skip "dnsmasq missing"
port=5391
dns_up() {
	dnsmasq --no-daemon --port=$port --listen-address=127.0.0.1 \
		--bind-interfaces --no-resolv --no-hosts --conf-file=/dev/null \
		--user=root --pid-file="$BB_TMP/dnsmasq.pid" \
		--address=/probe.test/198.18.0.1 2>>"$BB_TMP/dnsmasq.log" &
	dns=$!
}
dns=
bb=
trap 'kill $dns $bb 2>/dev/null; wait 2>/dev/null; rm -rf "$BB_TMP"' EXIT
bb_write_config "$BB_TMP/bb.conf" \
	'general={ test_interval_ms = 1000; probe_timeout_ms = 1000; }' \
	'targets={ isp_gateway = "none"; public_dns = []; custom = [ "127.0.0.1" ]; }' \
	"tests={ dns = { enabled = true; interval_s = 1; dns_servers = [ \"127.0.0.1:$port\" ]; test_domains = [ \"probe.test\" ]; }; bufferbloat = { enabled = false; }; throughput = { enabled = false; }; }" \
	"alerts={ enabled = true; log_path = \"$BB_TMP/alerts.log\"; command = \"echo \$BUFFERBANE_STATE \$BUFFERBANE_KIND >>$BB_TMP/cmd.log\"; }" \
	'output={ status_interval_s = 2; }'
dns_up
sleep 0.5
db=$BB_TMP/bb.db
"$BB_BIN" -d -c "$BB_TMP/bb.conf" --db "$db" --duration 50 >"$BB_TMP/out" 2>&1 &
bb=$!
sleep 6
kill $dns; wait $dns 2>/dev/null
down_at=$(date +%s%3N)
sleep 18
up_at=$(date +%s%3N)
dns_up
wait $bb || { cat "$BB_TMP/out"; fail "bufferbane -d failed"; }
bb=
ok=$(sql "$db" "SELECT count(*) FROM measurements WHERE test_type='dns' AND status='ok'")
bad=$(sql "$db" "SELECT count(*) FROM measurements WHERE test_type='dns' AND status<>'ok'")
echo "dns queries: $ok ok, $bad failed"
[ "$bad" -ge 12 ] || fail "only $bad failed queries in 18 s down"
[ "$(sql "$db" "SELECT count(*) FROM measurements WHERE test_type='dns' AND status='ok' AND timestamp > $up_at + 2000")" -ge 10 ] ||
	fail "the restarted dnsmasq did not answer"
n=$(sql "$db" "SELECT count(*) FROM events WHERE kind='dns_issue'")
IFS='|' read -r start end <<<"$(sql "$db" "SELECT start_ms, end_ms FROM events WHERE kind='dns_issue'")"
echo "dns_issue events: $n; start +$((start - down_at)) ms after the stop, end $((end - up_at)) ms from the restart"
[ "$n" -eq 1 ] || fail "expected one dns_issue event, got $n"
[ -n "$end" ] || fail "dns_issue did not end after recovery"
# the first refused query is sent within a probe interval of the stop; the
# last one before the restart (its query may be answered already)
[ $((start - down_at)) -ge -100 ] && [ $((start - down_at)) -le 1500 ] ||
	fail "start $((start - down_at)) ms from the stop (allowed -100..1500)"
[ $((end - up_at)) -ge -1500 ] && [ $((end - up_at)) -le 500 ] ||
	fail "end $((end - up_at)) ms from the restart (allowed -1500..500)"
starts=$(grep -c ' START .* dns_issue ' "$BB_TMP/alerts.log")
ends=$(grep -c ' END .* dns_issue ' "$BB_TMP/alerts.log")
cs=$(grep -c '^start dns_issue$' "$BB_TMP/cmd.log")
ce=$(grep -c '^end dns_issue$' "$BB_TMP/cmd.log")
echo "alerts.log: $starts start, $ends end; command runs: $cs start, $ce end"
[ "$starts" -eq 1 ] && [ "$ends" -eq 1 ] || { cat "$BB_TMP/alerts.log"; fail "alerts.log"; }
[ "$cs" -eq 1 ] && [ "$ce" -eq 1 ] || { cat "$BB_TMP/cmd.log"; fail "alert command runs"; }
# the verdicts printed while the server was down name the DNS trouble
grep 'status verdict:' "$BB_TMP/out" | sed -n '5,11p'
v=$(grep -c 'status verdict: .*DNS trouble with 127.0.0.1' "$BB_TMP/out")
[ "$v" -ge 5 ] || fail "only $v status verdicts name the DNS trouble"
exit 0
