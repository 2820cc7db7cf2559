#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `bufferbane cleanup` against a database a running `bufferbane -d` writes to
# (10 ms probes to 127.0.0.1, so its open block spans DATE): the cleanup
# succeeds, the monitor keeps running and exits cleanly with nothing dropped,
# every probe it sent from DATE on is in the database (the seq numbers from
# the first one at or after DATE run without a gap to the last), and what
# is left from before DATE shares a block with a later probe (<= 60 s).
. "$(dirname "$0")/../lib/common.sh"
bb_sandbox "$@"
bb_tmpdir
set -u

db=$BB_TMP/bb.db
bb_write_config "$BB_TMP/bb.conf" \
	"general={ test_interval_ms = 10; probe_timeout_ms = 500; database_path = \"$db\"; }"
"$BB_BIN" -d -c "$BB_TMP/bb.conf" -t 127.0.0.1 --interval 10 --duration 16 \
	--status-interval 60 >"$BB_TMP/mon.out" 2>"$BB_TMP/mon.err" &
mon=$!
sleep 4
# first_after DATE_MS: ms from DATE to the first sample stored at or after it
first_after() {
	echo $(($(sql "$db" "SELECT min(timestamp) FROM measurements WHERE timestamp >= $1") - $1))
}
# Twice: DATE is the second that just began, so the block the monitor is
# filling (its last commit, at most 500 ms ago, most likely before DATE)
# goes too, and the monitor's next commit must write it afresh rather than
# update a deleted row and lose what it adds (one run in two without that)
for round in 1 2; do
	kill -0 $mon 2>/dev/null || { cat "$BB_TMP/mon.err"; fail "monitor died"; }
	while [ $((10#${EPOCHREALTIME#*.} / 1000)) -gt 20 ]; do sleep 0.005; done
	DATE=$(date '+%F %T')
	before_ms=$(($(date -d "$DATE" +%s) * 1000))
	n_before=$(sql "$db" "SELECT count(*) FROM measurements WHERE timestamp < $before_ms")
	t0=${EPOCHREALTIME/./}
	"$BB_BIN" cleanup --before "$DATE" --db "$db" --yes >"$BB_TMP/c.out" 2>&1 ||
		{ cat "$BB_TMP/c.out"; fail "cleanup beside the monitor exited $?"; }
	t1=${EPOCHREALTIME/./}
	cat "$BB_TMP/c.out"
	echo "cleanup took $(((t1 - t0) / 1000)) ms; $n_before samples were before $DATE"
	deleted=$(sed -n 's/.*Deleted \([0-9]*\) raw samples.*/\1/p' "$BB_TMP/c.out")
	[ "${deleted:-0}" -ge 100 ] || fail "cleanup deleted ${deleted:-0} samples, expected most of $n_before"
	kill -0 $mon 2>/dev/null || { cat "$BB_TMP/mon.err"; fail "monitor died during cleanup"; }
	sleep 2 # the monitor's next commits
	gap=$(first_after $before_ms)
	echo "round $round: first sample $gap ms after DATE"
	[ "$gap" -lt 100 ] || fail "the samples of the first $gap ms after DATE are lost"
done
# the monitor goes on writing after the cleanup
n_mid=$(sql "$db" "SELECT count(*) FROM measurements")
wait $mon
rc=$?
cat "$BB_TMP/mon.err"
[ $rc -eq 0 ] || fail "monitor exited $rc"
grep -E '[1-9][0-9]* dropped' "$BB_TMP/mon.err" "$BB_TMP/mon.out" &&
	fail "monitor dropped samples"
n_end=$(sql "$db" "SELECT count(*) FROM measurements")
[ "$n_end" -gt "$n_mid" ] || fail "nothing written after the cleanup ($n_mid, $n_end)"

# every probe from DATE on, without a gap ...
read -r first last count <<<"$(sql "$db" "SELECT min(seq), max(seq), count(*)
	FROM measurements WHERE timestamp >= $before_ms" | tr '|' ' ')"
echo "from $DATE: seq $first..$last, $count samples"
[ "$count" -ge 500 ] || fail "only $count samples after DATE"
[ $((last - first + 1)) -eq "$count" ] ||
	fail "samples after DATE lost: seq $first..$last but $count rows"
# and from the first probe sent after DATE (one every 10 ms): a block
# deleted under the monitor would take its next commits with it
gap=$(($(sql "$db" "SELECT min(timestamp) FROM measurements WHERE timestamp >= $before_ms") - before_ms))
echo "first sample $gap ms after DATE"
[ "$gap" -lt 100 ] || fail "the samples of the first $gap ms after DATE are lost"
# what precedes DATE shares a block with later probes
oldest=$(sql "$db" "SELECT min(timestamp) FROM measurements")
[ "$oldest" -ge $((before_ms - 60000)) ] ||
	fail "a sample from $(((before_ms - oldest) / 1000)) s before DATE survived"
[ "$(sql "$db" "PRAGMA integrity_check")" = ok ] || fail "integrity_check"
echo PASS
