#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bufferbane -d with logging.file: lines go to the file; SIGHUP reopens it,
# so logrotate can move the file away and the next lines land in a new one.
. "$(dirname "$0")/../lib/common.sh"
bb_sandbox "$@"
bb_tmpdir
set -u
log=$BB_TMP/bb.log
bb_write_config "$BB_TMP/bb.conf" "logging={ file = \"$log\"; }"
"$BB_BIN" -d -c "$BB_TMP/bb.conf" --no-db -t 127.0.0.1 --interval 100 \
	--status-interval 1 >"$BB_TMP/stdout" 2>&1 &
pid=$!
for _ in $(seq 50); do grep -q ' status icmp' "$log" 2>/dev/null && break; sleep 0.1; done
grep -q ' start bufferbane' "$log" || fail "no start line in $log"
mv "$log" "$log.1"
kill -HUP $pid
for _ in $(seq 50); do grep -q ' status icmp' "$log" 2>/dev/null && break; sleep 0.1; done
kill -TERM $pid
wait $pid
rc=$?
[ $rc -eq 0 ] || fail "exit $rc"
grep -q ' status icmp .*127.0.0.1' "$log" || fail "no status line in the reopened log"
grep -q ' summary icmp' "$log" || fail "no summary in the reopened log"
grep -q ' summary' "$log.1" && fail "summary went to the rotated file"
[ -s "$BB_TMP/stdout" ] && fail "stdout is not empty: $(head -3 "$BB_TMP/stdout")"
echo "reopened: $(wc -l <"$log.1") lines before, $(wc -l <"$log") after SIGHUP"
exit 0
