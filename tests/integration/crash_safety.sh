#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# kill -9 during heavy writing (10 ms probing, five loopback targets): the
# database passes PRAGMA integrity_check, every target's stored sequence has
# no hole, and at most the last second before the kill is missing (the
# storage thread commits every 50 ms; WAL keeps a torn commit out).
. "$(dirname "$0")/../lib/common.sh"
bb_sandbox "$@"
bb_tmpdir
set -u

targets=(127.0.0.1 127.0.0.2 127.0.0.3 127.0.0.4 ::1)
args=()
for t in "${targets[@]}"; do args+=(-t "$t"); done
bb_write_config "$BB_TMP/bb.conf"
db=$BB_TMP/bb.db

for round in 1 2 3; do
	rm -f "$db" "$db-wal" "$db-shm"
	"$BB_BIN" -d -c "$BB_TMP/bb.conf" --db "$db" "${args[@]}" \
		--interval 10 >"$BB_TMP/out" 2>&1 &
	pid=$!
	# write for a while: wait until rows are there, then a little more
	for _ in $(seq 100); do
		n=$(sql "$db" "SELECT count(*) FROM measurements" 2>/dev/null || echo 0)
		[ "${n:-0}" -ge 500 ] && break
		sleep 0.1
	done
	[ "${n:-0}" -ge 500 ] || { cat "$BB_TMP/out"; fail "round $round: only ${n:-0} rows after 10 s"; }
	sleep 0.$((RANDOM % 9 + 1))
	kill -0 $pid || { cat "$BB_TMP/out"; fail "round $round: bufferbane died on its own"; }
	kill_ms=$(date +%s%3N)
	kill -KILL $pid
	wait $pid 2>/dev/null

	ic=$(sql "$db" "PRAGMA integrity_check")
	[ "$ic" = ok ] || fail "round $round: integrity_check says: $ic"
	for t in "${targets[@]}"; do
		read -r rows first last newest <<<"$(sql "$db" "SELECT count(*), min(seq), max(seq), max(timestamp)
			FROM measurements WHERE test_type='icmp' AND target='$t'" | tr '|' ' ')"
		[ "${rows:-0}" -gt 0 ] || fail "round $round: $t: no rows"
		# a stored probe after a lost one would leave a hole in seq
		[ $((last - first + 1)) -eq "$rows" ] ||
			fail "round $round: $t: $rows rows for seq $first..$last (a hole)"
		missing_ms=$((kill_ms - newest))
		echo "round $round: $t: $rows rows, newest $missing_ms ms before the kill"
		[ "$missing_ms" -le 1000 ] ||
			fail "round $round: $t: the last $missing_ms ms before kill -9 are missing (more than 1 s)"
	done
done
# the database still opens for writing after the crash
"$BB_BIN" -d -c "$BB_TMP/bb.conf" --db "$db" -t 127.0.0.1 --interval 100 \
	--duration 1 >"$BB_TMP/out" 2>&1 || { cat "$BB_TMP/out"; fail "restart on the crashed database"; }
echo "crash safety: 3 kills, integrity ok, no holes, <= 1 s lost"
