#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Reflection by a key holder (issue 11, PROTOCOL.md rule 8).  The attacker
# holds the key but not the victim's traffic: a KNOCK with the victim's
# forged source, then each request type forged from the victim
# (DOWNLOAD_REQUEST, BUFFERBLOAT_START kinds 1/2/3, THROUGHPUT_START +
# DATA + END, ECHO_REQUEST), three times each, once without a cookie and
# once with a guessed one.  The victim, a UDP socket on its own 127.0.0.x
# address, counts what arrives for a second after the last request.
# Asserts, for every type and both variants: bytes delivered to the victim
# <= bytes the attacker sent.  Control: a legitimate client on its own
# address does get a download (the server streams at all).
# Revision 1 delivered 104 MB for KNOCK + DOWNLOAD_REQUEST (100 bytes).
. "$(dirname "$0")/../lib/common.sh"
bb_sandbox "$@"
bb_tmpdir
. "$BB_TOP/tests/lib/attack.sh"
set -u
trap 'attack_server_stop; rm -rf "$BB_TMP"' EXIT
attack_tool
attack_server_start

out=$(atk capture --local 127.0.0.50 --out "$BB_TMP/cap" --bytes 200000) ||
	{ echo "$out"; fail "control: a legitimate download got nothing"; }
echo "control: $out"

bad=()
i=0
for type in download bloat1 bloat2 bloat3 throughput echo; do
	for cookie in none guess; do
		i=$((i + 1))
		line=$(atk reflect --victim "127.0.0.$((10 + i)):$((7000 + i))" \
			--type "$type" --cookie "$cookie" --listen-ms 1000) ||
			fail "bbattack reflect $type failed"
		echo "$line"
		sent=$(field "$line" sent) got=$(field "$line" delivered)
		[ -n "$sent" ] && [ -n "$got" ] || fail "no figures for $type"
		[ "$got" -le "$sent" ] || bad+=("$type/$cookie: $got bytes delivered for $sent sent")
	done
done
kill -0 "$SRV_PID" 2>/dev/null || fail "server died"
[ ${#bad[@]} -eq 0 ] || fail "reflection: ${bad[*]}"
echo PASS
