#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A companion server that holds the key but lies (tests/lib/liar_server.py,
# 127.0.0.1 only): echo counters that jump by 2^31, upload stats of 2^32 - 1
# packets received + 2 lost (a 32-bit sum of 1: "upload loss -100 %"), a
# download END claiming fewer chunks than arrived.  The client stores none of
# those figures: each is an error sample "bad answer: ..."; no stored loss
# leaves 0-100 %.
. "$(dirname "$0")/../lib/common.sh"
bb_sandbox "$@"
bb_tmpdir
set -u
/usr/bin/python3 -c 'import cryptography' 2>/dev/null || skip "python3-cryptography missing"

LIAR_PID=
cleanup() {
	[ -n "$LIAR_PID" ] && kill "$LIAR_PID" 2>/dev/null
	rm -rf "$BB_TMP"
}
trap cleanup EXIT

key=$("$BB_BIN" keygen)
printf '%s\n' "$key" >"$BB_TMP/key"
chmod 600 "$BB_TMP/key"
/usr/bin/python3 "$BB_TOP/tests/lib/liar_server.py" "$key" "$BB_TMP/port" 2>"$BB_TMP/liar.log" &
LIAR_PID=$!
for _ in $(seq 100); do
	[ -s "$BB_TMP/port" ] && break
	sleep 0.05
done
[ -s "$BB_TMP/port" ] || { cat "$BB_TMP/liar.log"; fail "liar server did not start"; }
port=$(cat "$BB_TMP/port")

tests='{ dns = { enabled = false; dns_servers = []; };
  bufferbloat = { enabled = false; };
  throughput = { enabled = true; first_test_s = 1; small_test_kb = 100; small_interval_s = 3600;
    medium_test_kb = 100; medium_interval_s = 7200; large_test_kb = 100; large_interval_s = 7200; }; }'
bb_write_config "$BB_TMP/bb.conf" \
	"servers=( { name = \"liar\"; host = \"127.0.0.1\"; port = $port; shared_secret_file = \"$BB_TMP/key\"; } )" \
	"tests=$tests"
db=$BB_TMP/bb.db
timeout 30 "$BB_BIN" -d -c "$BB_TMP/bb.conf" --db "$db" --interval 100 --duration 6 \
	>"$BB_TMP/out" 2>&1 || { cat "$BB_TMP/out"; fail "bufferbane -d exited $?"; }
q() { sql "$db" "$1"; }
q "SELECT test_type, status, packet_loss_pct, error_detail FROM measurements
   WHERE target='liar' AND (status != 'ok' OR test_type != 'udp_echo')
   GROUP BY test_type, status, substr(error_detail, 1, 24)"

ok=$(q "SELECT count(*) FROM measurements WHERE test_type='udp_echo' AND status='ok'")
bad=$(q "SELECT count(*) FROM measurements WHERE test_type='udp_echo' AND status='error'
	AND error_detail LIKE 'bad answer: %requests seen, % sent'")
echo "echo: $ok ok (honest first answers), $bad bad answers"
[ "$ok" -ge 3 ] || fail "only $ok ok echo samples while the server was honest"
[ "$bad" -ge 20 ] || fail "only $bad echo samples called bad answers"
up=$(q "SELECT count(*) FROM measurements WHERE test_type='upload' AND status='error'
	AND error_detail LIKE 'bad answer: 4294967295 packets counted, % sent'")
[ "$up" -ge 1 ] || fail "the overflowing upload stats were not called a bad answer"
down=$(q "SELECT count(*) FROM measurements WHERE test_type='download' AND status='error'
	AND error_detail = 'bad answer: 2 chunks sent, 5 arrived'")
[ "$down" -ge 1 ] || fail "the download END claiming 2 of 5 chunks was not called a bad answer"
odd=$(q "SELECT count(*) FROM measurements WHERE packet_loss_pct < 0 OR packet_loss_pct > 100
	OR (test_type IN ('upload','download') AND throughput_kbps IS NOT NULL)")
[ "$odd" -eq 0 ] || fail "$odd samples stored a loss outside 0-100 % or a lying rate"
echo PASS
