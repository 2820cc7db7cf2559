#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Cheap rejection by size (issue 11, PROTOCOL.md rule 12): an authentic
# KNOCK of 65 507 bytes (sealed with the key, a valid timestamp, 65 419
# bytes of padding) is dropped before any AEAD work, so it gets no answer
# at all; control: a normal knock from the same socket is answered.
# Also reported, never asserted (timing): the server's CPU per knock for
# 65 507-byte knocks against 120-byte ones (broken tags, fresh nonces), from
# /proc/PID/task/*/schedstat.  Revision 1 answered the oversize knock and
# spent ~5x the CPU of a normal one on it.
. "$(dirname "$0")/../lib/common.sh"
bb_sandbox "$@"
bb_tmpdir
. "$BB_TOP/tests/lib/attack.sh"
set -u
trap 'attack_server_stop; rm -rf "$BB_TMP"' EXIT
attack_tool
attack_server_start

cpu=()
[ -n "${ATTACK_NO_CPU:-}" ] || cpu=(--cpu-pid "$SRV_PID")
atk oversize --local 127.0.0.60 "${cpu[@]}" >"$BB_TMP/out" 2>&1
rc=$?
cat "$BB_TMP/out"
line=$(grep '^oversize ' "$BB_TMP/out")
[ "$(field "$line" normal_knock_answered)" = 1 ] || fail "control: a normal knock got no answer"
[ $rc -eq 0 ] || fail "bbattack oversize failed"
kill -0 "$SRV_PID" 2>/dev/null || fail "server died"
r=$(field "$line" replies)
[ "$r" = 0 ] || fail "a 65507-byte KNOCK was answered ($r replies, $(field "$line" reply_bytes) bytes)"
echo PASS
