#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Replay into a second session of the same client_id (issue 11, PROTOCOL.md
# rule 10).  Session 1 (127.0.0.40) sends an ECHO_REQUEST and an upload of
# five THROUGHPUT_DATA packets; both are captured.  The same client_id then
# knocks again from a second address (127.0.0.41) and from the first
# address on a new port (a restarted client), on a server with two workers,
# and the captured packets are replayed into each new session.  Asserts:
# no ECHO_REPLY to the replayed echo, and the new session's upload counts
# none of the replayed DATA packets (THROUGHPUT_STATS packets_rx = 0);
# controls: session 1 got its echo answered and its 5 packets counted, and
# each new session answers its own fresh echo.
# Revision 1 answered the replay once per session (its window was per
# address, client_id and worker).
. "$(dirname "$0")/../lib/common.sh"
bb_sandbox "$@"
bb_tmpdir
. "$BB_TOP/tests/lib/attack.sh"
set -u
trap 'attack_server_stop; rm -rf "$BB_TMP"' EXIT
attack_tool
attack_server_start '{ workers = 2; max_concurrent_clients = 100; }'

atk replay2 --local 127.0.0.40 >"$BB_TMP/out" 2>&1
rc=$?
cat "$BB_TMP/out"
[ $rc -eq 0 ] || fail "controls failed (a legitimate session was not served)"
s1=$(grep 'session1' "$BB_TMP/out")
[ "$(field "$s1" same_session_replay_replies)" = 0 ] ||
	fail "a replay inside the same session was answered"
bad=()
for name in second_address new_port; do
	line=$(grep "replay2 $name" "$BB_TMP/out")
	e=$(field "$line" replayed_echo_replies)
	d=$(field "$line" replayed_data_counted)
	[ "$e" = 0 ] || bad+=("$name: $e replies to the replayed echo")
	[ "$d" = 0 ] || bad+=("$name: $d replayed DATA packets counted")
done
kill -0 "$SRV_PID" 2>/dev/null || fail "server died"
[ ${#bad[@]} -eq 0 ] || fail "replay across sessions: ${bad[*]}"
echo PASS
