#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Session exhaustion (issue 11, PROTOCOL.md rule 11): a key holder knocks
# with fresh client ids from 16 000 forged sources (4 000/s for 4 s) at a
# server capped at 16 sessions, while an active client on 127.0.0.30, which
# knocked once and echoes every 20 ms for 8 s, never re-knocks.  Its
# session must never be evicted: echo loss < 1 % (at most 3 of 400).
# Revision 1 evicted it (oldest idle first) and the client lost the rest.
# ATTACK_KNOCK_RATE (default 4000) changes the knock rate (200: a dry run
# of the pass path that revision 1 survives too).
. "$(dirname "$0")/../lib/common.sh"
bb_sandbox "$@"
bb_tmpdir
. "$BB_TOP/tests/lib/attack.sh"
set -u
trap 'attack_server_stop; rm -rf "$BB_TMP"' EXIT
attack_tool
attack_server_start '{ workers = 1; max_concurrent_clients = 16; }'

atk echo-client --local 127.0.0.30 --interval-ms 20 --seconds 8 \
	>"$BB_TMP/echo" 2>&1 &
cli=$!
sleep 1.5
rate=${ATTACK_KNOCK_RATE:-4000}
atk knocks --count $((rate * 4)) --rate "$rate" || fail "bbattack knocks failed"
wait "$cli" || { cat "$BB_TMP/echo"; fail "echo client failed"; }
line=$(cat "$BB_TMP/echo")
echo "active client: $line"
sent=$(field "$line" sent) replied=$(field "$line" replied)
[ -n "$sent" ] && [ "$sent" -ge 390 ] || fail "echo client sent ${sent:-nothing}"
lost=$((sent - replied))
kill -0 "$SRV_PID" 2>/dev/null || fail "server died"
[ $((lost * 100)) -lt "$sent" ] ||
	fail "session exhaustion: the active client lost $lost of $sent echoes ($(field "$line" loss_pct) %)"
echo PASS
