#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Do retention's deletes delay probes?  `bufferbane -d` probing 127.0.0.1
# every 10 ms for 30 s on a copy of a database holding 10 days of 4 series
# at 1/s, all older than 30 days (3.5 M samples, 57 k blocks, 22 MB;
# build/bench/bench_retention --build-only), three ways:
#   none     retention off (every *_days = 0): the baseline;
#   monitor  measurements_days = 30: the storage thread deletes it all
#            during the run (256 rows per step, 100 ms apart);
#   cleanup  retention off, `bufferbane cleanup --before <30 days ago>
#            --yes` run from another process 3 s into the run.
# Send-time error as tests/bench/peers.sh computes it: the stored send times
# (sample_rows.mono_us) against the absolute schedule first + seq * 10 ms,
# its phase set by the earliest send.  Prints p50/p99/max/mean in us per
# way, RUNS (3) runs each, interleaved.  Loopback only (own namespace).
. "$(dirname "$0")/../lib/common.sh"
bb_sandbox "$@"
bb_tmpdir
set -u
RUNS=${RUNS:-3}
DUR=${DUR:-30}
GEN=${BB_BUILD:-build}/bench/bench_retention
[ -x "$GEN" ] || make -s "$GEN" >/dev/null || fail "cannot build $GEN"
"$GEN" --build-only "$BB_TMP/base.db" 10 4 || fail "building the database"
sqlite3 "$BB_TMP/base.db" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
before=$(date -d '30 days ago' '+%F %T')

conf() { # conf FILE DAYS
	bb_write_config "$1" \
		"general={ test_interval_ms = 10; probe_timeout_ms = 500; }" \
		"retention={ measurements_days = $2; aggregations_days = $2; hourly_days = $2; events_days = $2; }"
}
conf "$BB_TMP/off.conf" 0
conf "$BB_TMP/on.conf" 30

err_of() { # DB: "p50 p99 max mean" of the 127.0.0.1 series' send error, us
	sqlite3 "$1" "SELECT r.seq, r.mono_us FROM sample_rows r JOIN series e
		ON e.id = r.series WHERE e.target = '127.0.0.1' AND r.flags & 3 = 0
		ORDER BY r.seq" |
		python3 -c '
import sys
rows = [tuple(map(int, l.split("|"))) for l in sys.stdin if l.strip()]
late = [m - q * 10000 for q, m in rows]
base = min(late)
v = sorted(x - base for x in late)
def p(q): return v[min(len(v) - 1, max(0, int(round(q / 100 * len(v) + 0.5)) - 1))]
print(f"{p(50):.0f} {p(99):.0f} {v[-1]:.0f} {sum(v) / len(v):.0f} n={len(v)}")'
}

run() { # WAY RUN
	local way=$1 db=$BB_TMP/$1.$2.db c=$BB_TMP/off.conf
	rm -f "$db"*
	cp "$BB_TMP/base.db" "$db"
	[ "$way" = monitor ] && c=$BB_TMP/on.conf
	"$BB_BIN" -d -c "$c" --db "$db" -t 127.0.0.1 --interval 10 \
		--duration "$DUR" --status-interval 600 >"$BB_TMP/$way.log" 2>&1 &
	local pid=$!
	if [ "$way" = cleanup ]; then
		sleep 3
		local t0=${EPOCHREALTIME/./}
		"$BB_BIN" cleanup --db "$db" --before "$before" --yes \
			>"$BB_TMP/cleanup.out" 2>&1 || { cat "$BB_TMP/cleanup.out"; fail "cleanup failed"; }
		echo "  cleanup: $(grep -o 'Deleted [0-9]* raw samples' "$BB_TMP/cleanup.out") in $(((${EPOCHREALTIME/./} - t0) / 1000)) ms" >&2
	fi
	wait $pid || { cat "$BB_TMP/$way.log"; fail "monitor exited $?"; }
	if [ "$way" = monitor ]; then
		echo "  monitor: $(grep -o 'retention: deleted [0-9]* samples' "$BB_TMP/$way.log" || echo 'retention still running at stop:') $(sqlite3 "$db" "SELECT count(*) FROM blocks") blocks left" >&2
	fi
	left=$(sqlite3 "$db" "SELECT count(*) FROM measurements WHERE timestamp < $(($(date -d "$before" +%s) * 1000))")
	echo "$way run $2: send error p50 p99 max mean (us): $(err_of "$db")  old samples left: $left"
	rm -f "$db"*
}

for r in $(seq 1 "$RUNS"); do
	for way in none monitor cleanup; do
		run $way "$r"
	done
done
