#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Per-client keys and revocation (PROTOCOL.md rule 14), against the real
# server: security.clients lists alice and bob, each with a client_id and a
# key file of its own, and no shared secret.  Two echo clients (every
# 20 ms for 8 s) run as alice (127.0.0.50) and bob (127.0.0.51); 3 s in,
# alice is removed from the file and the server gets SIGHUP.  Asserts: the
# server survives the SIGHUP; bob loses < 1 % of his echoes; alice was
# answered before (>= 100 replies) and never after the SIGHUP (her last
# answered request was sent at most 500 ms after it); alice knocking
# again gets nothing; an id that is not listed, with bob's key, gets
# nothing; the log names the clients (session opened for alice and bob,
# alice's session closed, her knock refused as unknown or revoked).
. "$(dirname "$0")/../lib/common.sh"
bb_sandbox "$@"
bb_tmpdir
. "$BB_TOP/tests/lib/attack.sh"
set -u
trap 'attack_server_stop; rm -rf "$BB_TMP"' EXIT
attack_tool
for k in key alice.key bob.key; do
	"$BB_BIN" keygen >"$BB_TMP/$k" || fail "keygen failed"
	chmod 600 "$BB_TMP/$k"
done
CID_A=a11ce00000000001 CID_B=b0b0000000000002
conf() { # the clients given, one "name cid" per argument
	local list= sep= n c
	for e in "$@"; do
		read -r n c <<<"$e"
		list+="$sep{ name = \"$n\"; client_id = \"$c\"; shared_secret_file = \"$BB_TMP/$n.key\"; }"
		sep=", "
	done
	cat >"$BB_TMP/srv.conf" <<CONF
general = { workers = 2; max_concurrent_clients = 100; };
security = { clients = ( $list ); session_timeout_sec = 300;
  enable_rate_limiting = true; };
logging = { level = "info"; };
CONF
}
conf "alice $CID_A" "bob $CID_B"
: >"$BB_TMP/srv.log"
"$BB_SERVER_BIN" -c "$BB_TMP/srv.conf" --bind 127.0.0.1:0 2>>"$BB_TMP/srv.log" &
SRV_PID=$!
SRV_PORT=
for ((i = 0; i < 100; i++)); do
	SRV_PORT=$(sed -n 's/.*listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$BB_TMP/srv.log" | tail -1)
	[ -n "$SRV_PORT" ] && break
	sleep 0.05
done
[ -n "$SRV_PORT" ] || { cat "$BB_TMP/srv.log"; fail "server did not start"; }

t0=$(date +%s%3N)
atk echo-client --key "$BB_TMP/alice.key" --cid $CID_A --local 127.0.0.50 \
	--interval-ms 20 --seconds 8 >"$BB_TMP/alice" 2>&1 &
pa=$!
atk echo-client --key "$BB_TMP/bob.key" --cid $CID_B --local 127.0.0.51 \
	--interval-ms 20 --seconds 8 >"$BB_TMP/bob" 2>&1 &
pb=$!
sleep 3
conf "bob $CID_B"
kill -HUP "$SRV_PID"
hup=$(($(date +%s%3N) - t0))
wait "$pa"
wait "$pb"
a=$(cat "$BB_TMP/alice") b=$(cat "$BB_TMP/bob")
echo "SIGHUP at ${hup} ms; alice: $a; bob: $b"
again=$(atk echo-client --key "$BB_TMP/alice.key" --cid $CID_A --local 127.0.0.52 \
	--interval-ms 20 --seconds 1 2>&1)
stranger=$(atk echo-client --key "$BB_TMP/bob.key" --cid 5a5a5a5a5a5a5a5a --local 127.0.0.53 \
	--interval-ms 20 --seconds 1 2>&1)
echo "alice again: $again; unlisted id: $stranger"
grep -E 'client|SIGHUP' "$BB_TMP/srv.log" | head -20
kill -0 "$SRV_PID" 2>/dev/null || fail "server died on SIGHUP"
bad=()
bs=$(field "$b" sent) br=$(field "$b" replied)
[ -n "$bs" ] && [ "$bs" -ge 390 ] || bad+=("bob sent ${bs:-nothing}")
[ $(((${bs:-0} - ${br:-0}) * 100)) -lt "${bs:-1}" ] || bad+=("bob lost $((bs - br)) of $bs echoes")
ar=$(field "$a" replied) al=$(field "$a" last_reply_ms)
[ "${ar:-0}" -ge 100 ] || bad+=("alice was answered only ${ar:-0} times before the revocation")
[ -n "$al" ] && [ "$al" -le $((hup + 500)) ] ||
	bad+=("alice was still answered at ${al:-?} ms, SIGHUP at $hup ms")
[ "$(field "$again" knock)" = 0 ] || bad+=("alice's new knock was answered: $again")
[ "$(field "$stranger" knock)" = 0 ] || bad+=("an unlisted id was answered: $stranger")
grep -q 'opened for 127.0.0.50 (client alice)' "$BB_TMP/srv.log" || bad+=("no log line names alice's session")
grep -q 'opened for 127.0.0.51 (client bob)' "$BB_TMP/srv.log" || bad+=("no log line names bob's session")
grep -q 'client alice: key revoked or changed, session .* for 127.0.0.50 closed' "$BB_TMP/srv.log" ||
	bad+=("no log line says alice's session was closed")
grep -q "failed knock from 127.0.0.52 by id $CID_A: unknown or revoked client" "$BB_TMP/srv.log" ||
	bad+=("alice's refused knock is not logged")
[ ${#bad[@]} -eq 0 ] || fail "per-client keys: ${bad[*]}"
echo PASS
