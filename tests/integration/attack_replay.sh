#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Keyless replay (issue 11, PROTOCOL.md rule 9).  An attacker without the
# key captures a legitimate client's KNOCK + DOWNLOAD_REQUEST (here: the
# tool plays the client on 127.0.0.20, saves both datagrams and forgets the
# key) and replays them from a forged victim source:
#  1. after a server restart (its knock memory is empty): nothing may reach
#     the victim, not even a KNOCK_ACK;
#  2. after ~4 200 other fresh knocks (with the key, from 4 200 forged
#     sources), more than revision 1's 4 096-entry knock ring: nothing.
# Revision 1 delivered the whole download (2 MB) in both cases.
. "$(dirname "$0")/../lib/common.sh"
bb_sandbox "$@"
bb_tmpdir
. "$BB_TOP/tests/lib/attack.sh"
set -u
trap 'attack_server_stop; rm -rf "$BB_TMP"' EXIT
attack_tool
bad=()

# 1. restart
attack_server_start
out=$(atk capture --local 127.0.0.20 --out "$BB_TMP/cap1" --bytes 2000000) ||
	{ echo "$out"; fail "capture: the legitimate client got nothing"; }
echo "capture: $out"
port=$SRV_PORT
attack_server_stop
attack_server_start '' '' "$port"
line=$(atk replay --in "$BB_TMP/cap1" --victim 127.0.0.21:7100 --listen-ms 1500) ||
	fail "bbattack replay failed"
echo "after restart: $line"
got=$(field "$line" delivered)
[ "$got" -eq 0 ] || bad+=("after restart: $got bytes to the victim")

# 2. cache pressure
attack_server_stop
attack_server_start
out=$(atk capture --local 127.0.0.22 --out "$BB_TMP/cap2" --bytes 2000000) ||
	{ echo "$out"; fail "capture: the legitimate client got nothing"; }
echo "capture: $out"
atk knocks --count 4200 --rate 2500 || fail "bbattack knocks failed"
line=$(atk replay --in "$BB_TMP/cap2" --victim 127.0.0.23:7101 --listen-ms 1500) ||
	fail "bbattack replay failed"
echo "after 4200 knocks: $line"
got=$(field "$line" delivered)
[ "$got" -eq 0 ] || bad+=("after 4200 knocks: $got bytes to the victim")
kill -0 "$SRV_PID" 2>/dev/null || fail "server died"
[ ${#bad[@]} -eq 0 ] || fail "keyless replay: ${bad[*]}"
echo PASS
