#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `bufferbane cleanup` and the monitor's own retention on real recordings:
# a headless session against 127.0.0.1 moved 40 days back (rolled up by a
# second session), then cleanup refusing without a terminal or --yes, a
# declined and an accepted confirmation on a pseudo-terminal (script(1)),
# the preview's figures against the database, exactly the old rows gone,
# --keep-aggregations keeping the rollups and events, `stats` over the purged period
# saying it used them, and a monitor with measurements_days = 30 deleting
# the old raw samples by itself.
. "$(dirname "$0")/../lib/common.sh"
bb_sandbox "$@"
bb_tmpdir
set -u
command -v script >/dev/null || skip "script(1) (util-linux) not installed"

db=$BB_TMP/bb.db
keep_all='retention={ measurements_days = 0; aggregations_days = 0; hourly_days = 0; events_days = 0; }'
conf() { # conf FILE RETENTION
	bb_write_config "$1" \
		"general={ test_interval_ms = 100; probe_timeout_ms = 500; database_path = \"$db\"; }" "$2"
}
conf "$BB_TMP/keep.conf" "$keep_all"
record() { # record CONF SECONDS
	"$BB_BIN" -d -c "$1" -t 127.0.0.1 --interval 100 --duration "$2" \
		--status-interval 60 >>"$BB_TMP/rec" 2>&1 ||
		{ cat "$BB_TMP/rec"; fail "recording exited $?"; }
}

# --- a recording 40 days old, rolled up, and a fresh one ---------------------
record "$BB_TMP/keep.conf" 3
S=$((40 * 86400))
now_ms=$(($(date +%s) * 1000))
sqlite3 "$db" "UPDATE blocks SET start_us = start_us - $S * 1000000,
		 end_us = end_us - $S * 1000000;
	DELETE FROM agg_1min; DELETE FROM agg_1hour;
	DELETE FROM meta WHERE key LIKE 'rollup_%';
	INSERT INTO events(start_ms, end_ms, kind, severity, description)
	 VALUES($now_ms - $S * 1000, $now_ms - $S * 1000 + 60000,
	  'packet_loss', 'warning', 'old'),
	 ($now_ms - $S * 1000 + 1000, NULL, 'packet_loss', 'warning',
	  'ongoing since');" || fail "moving the recording back"
record "$BB_TMP/keep.conf" 2 # its rollup at stop covers the old one too
DATE=$(date -d '30 days ago' '+%F %T')
before_ms=$(($(date -d "$DATE" +%s) * 1000))
old=$(sql "$db" "SELECT count(*) FROM measurements WHERE timestamp < $before_ms")
new=$(sql "$db" "SELECT count(*) FROM measurements WHERE timestamp >= $before_ms")
m1=$(sql "$db" "SELECT count(*) FROM agg_1min WHERE bucket_ms + 60000 <= $before_ms")
h1=$(sql "$db" "SELECT count(*) FROM agg_1hour WHERE bucket_ms + 3600000 <= $before_ms")
echo "old $old, new $new samples; old rollups: $m1 1-min, $h1 1-hour"
[ "$old" -ge 20 ] && [ "$new" -ge 10 ] || fail "recordings too short"
[ "$m1" -ge 1 ] && [ "$h1" -ge 1 ] || fail "the old recording was not rolled up"
sqlite3 "$db" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
cp "$db" "$BB_TMP/keep.db"
cp "$db" "$BB_TMP/orig.db"
sum0=$(md5sum <"$db")

# --- no terminal, no --yes: refused, nothing touched ------------------------
"$BB_BIN" cleanup --before "$DATE" --db "$db" </dev/null \
	>"$BB_TMP/no.out" 2>"$BB_TMP/no.err"
rc=$?
cat "$BB_TMP/no.out" "$BB_TMP/no.err"
[ $rc -eq 2 ] || fail "without a terminal or --yes: exit $rc, expected 2"
[ "$(wc -l <"$BB_TMP/no.err")" -eq 1 ] && grep -q -- '--yes' "$BB_TMP/no.err" ||
	fail "refusal is not one line naming --yes"
[ "$(md5sum <"$db")" = "$sum0" ] || fail "refused cleanup changed the database"
grep -Eq "^  raw samples +$old \\([0-9]+ blocks\\), from " "$BB_TMP/no.out" ||
	fail "preview does not say $old raw samples"
grep -Eq "^  1-min rollups +$m1 rows$" "$BB_TMP/no.out" || fail "preview: 1-min rows"
grep -Eq "^  1-hour rollups +$h1 rows$" "$BB_TMP/no.out" || fail "preview: 1-hour rows"
grep -Eq "^  events +1 \\(ended before" "$BB_TMP/no.out" || fail "preview: events"
grep -Eq "^About [0-9.]+ (bytes|KB|MB) of data\\.$" "$BB_TMP/no.out" || fail "preview: size"
grep -q "before $DATE:" "$BB_TMP/no.out" || fail "preview does not name $DATE"

# --- asked on a terminal: "n" keeps everything, "y" deletes -------------------
tty_run() { # tty_run ANSWER OUT ARGS...: ARGS on a pseudo-terminal
	local answer=$1 out=$2; shift 2
	printf '%s\n' "$answer" |
		script -qec "$(printf '%q ' "$BB_BIN" "$@")" /dev/null 2>&1 |
		tr -d '\r' >"$out"
	return "${PIPESTATUS[1]}"
}
tty_run n "$BB_TMP/n.out" cleanup --before "$DATE" --db "$db" ||
	{ cat "$BB_TMP/n.out"; fail "declined cleanup exited $?"; }
cat "$BB_TMP/n.out"
grep -q 'Delete? \[y/N\]' "$BB_TMP/n.out" || fail "no question on a terminal"
grep -q 'Delete? \[y/N\] Nothing deleted\.$' "$BB_TMP/n.out" || fail "declined: no 'Nothing deleted.'"
[ "$(md5sum <"$db")" = "$sum0" ] || fail "declined cleanup changed the database"

tty_run y "$BB_TMP/y.out" cleanup --before "$DATE" --db "$db" ||
	{ cat "$BB_TMP/y.out"; fail "accepted cleanup exited $?"; }
cat "$BB_TMP/y.out"
grep -q "Deleted $old raw samples, $m1 1-min and $h1 1-hour rollup rows, 1 events;" \
	"$BB_TMP/y.out" || fail "result line does not match the preview"
[ "$(sql "$db" "SELECT count(*) FROM measurements WHERE timestamp < $before_ms")" -eq 0 ] ||
	fail "old samples left"
[ "$(sql "$db" "SELECT count(*) FROM measurements WHERE timestamp >= $before_ms")" -eq "$new" ] ||
	fail "samples after $DATE lost"
[ "$(sql "$db" "SELECT count(*) FROM agg_1min WHERE bucket_ms < $before_ms")" -eq 0 ] &&
	[ "$(sql "$db" "SELECT count(*) FROM agg_1hour WHERE bucket_ms < $before_ms")" -eq 0 ] ||
	fail "old rollups left"
[ "$(sql "$db" "SELECT group_concat(description) FROM events")" = "ongoing since" ] ||
	fail "events: the ended one must go, the ongoing one stay"
[ "$(sql "$db" "PRAGMA freelist_count")" -eq 0 ] || fail "free pages not given back"
[ "$(sql "$db" "PRAGMA integrity_check")" = ok ] || fail "integrity_check"

# a second run: nothing left
"$BB_BIN" cleanup --before "$DATE" --db "$db" --yes >"$BB_TMP/again.out" 2>&1 ||
	fail "second cleanup exited $?"
grep -q '^Nothing to delete\.$' "$BB_TMP/again.out" || fail "second run: not 'Nothing to delete.'"

# --- --keep-aggregations, then stats over the purged period -----------------
"$BB_BIN" cleanup --before "$DATE" --db "$BB_TMP/keep.db" --keep-aggregations --yes \
	>"$BB_TMP/k.out" 2>&1 || { cat "$BB_TMP/k.out"; fail "keep: exit $?"; }
cat "$BB_TMP/k.out"
grep -q '^  rollups         kept (--keep-aggregations)$' "$BB_TMP/k.out" ||
	fail "keep: preview does not say the rollups stay"
grep -q '^  events          kept (--keep-aggregations)$' "$BB_TMP/k.out" ||
	fail "keep: preview does not say the events stay"
grep -q "^Deleted $old raw samples, 0 1-min and 0 1-hour rollup rows, 0 events;" \
	"$BB_TMP/k.out" || fail "keep: result"
[ "$(sql "$BB_TMP/keep.db" "SELECT count(*) FROM events")" -eq 2 ] ||
	fail "keep: events lost"
[ "$(sql "$BB_TMP/keep.db" "SELECT count(*) FROM agg_1min WHERE bucket_ms < $before_ms")" -eq "$m1" ] ||
	fail "keep: 1-min rollups lost"
S0=$(date -d '41 days ago' '+%F %T')
S1=$(date -d '39 days ago' '+%F %T')
sent=$(sql "$BB_TMP/keep.db" "SELECT sum(count) FROM agg_1hour WHERE bucket_ms < $before_ms")
"$BB_BIN" stats --db "$BB_TMP/keep.db" --start "$S0" --end "$S1" >"$BB_TMP/s.out" 2>&1 ||
	{ cat "$BB_TMP/s.out"; fail "stats over the purged period exited $?"; }
cat "$BB_TMP/s.out"
grep -q 'raw samples before .* were deleted (retention or cleanup): from .* the figures come from the hourly rollups' \
	"$BB_TMP/s.out" || fail "stats does not say it used the rollups"
grep -Eq "^-  +icmp +127\\.0\\.0\\.1 +- +$sent +0 +0\\.00 " "$BB_TMP/s.out" ||
	fail "stats: the row should show the $sent probes of the hourly rollups"
"$BB_BIN" stats --db "$BB_TMP/keep.db" --start "$S0" --end "$S1" --format json \
	>"$BB_TMP/s.json" || fail "stats json"
python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d['raw_deleted_before_ms'] == $before_ms, d['raw_deleted_before_ms']" \
	"$BB_TMP/s.json" || fail "json: raw_deleted_before_ms"
"$BB_BIN" report --db "$BB_TMP/keep.db" --start "$S0" --end "$S1" >"$BB_TMP/r.md" ||
	fail "report"
grep -q 'were deleted (retention or cleanup)' "$BB_TMP/r.md" || fail "report does not say so"

# --- the monitor's own retention: measurements_days = 30 ------------------------
rm -f "$db" "$db-wal" "$db-shm"
cp "$BB_TMP/orig.db" "$db"
conf "$BB_TMP/ret.conf" 'retention={ measurements_days = 30; }'
: >"$BB_TMP/rec"
record "$BB_TMP/ret.conf" 3
grep "retention" "$BB_TMP/rec"
grep -q "retention: deleted $old samples, 0 1-min and 0 1-hour rollup rows, 0 events" \
	"$BB_TMP/rec" || fail "the monitor did not log its retention pass"
[ "$(sql "$db" "SELECT count(*) FROM measurements WHERE timestamp < $before_ms")" -eq 0 ] ||
	fail "monitor retention left old samples"
[ "$(sql "$db" "SELECT count(*) FROM measurements WHERE timestamp >= $before_ms")" -gt "$new" ] ||
	fail "monitor retention lost new samples"
[ "$(sql "$db" "SELECT count(*) FROM agg_1min WHERE bucket_ms < $before_ms")" -eq "$m1" ] ||
	fail "monitor retention deleted rollups it should keep"
echo "PASS"
