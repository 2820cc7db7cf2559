#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The live monitor reads the peak-hour pattern from the database's hourly
# rollups (DETECTION.md scenario 6): a week of agg_1hour history with
# evenings worse (p50 40-44 ms at 18-22 h against 12 ms, 3 % loss against
# 0.1 %) makes `bufferbane -d` name the evenings in its verdict, worst hour
# exact; the same week with flat evenings does not.
. "$(dirname "$0")/../lib/common.sh"
bb_sandbox "$@"
bb_tmpdir
set -u
trap 'rm -rf "$BB_TMP"' EXIT
export TZ=UTC # the fold is by local hour

bb_write_config "$BB_TMP/bb.conf"
# history DB FLAT: a schema from a real (short) run, then 7 x 24 hourly rows
# of an older series ending at the last full hour
history() {
	"$BB_BIN" -d -c "$BB_TMP/bb.conf" --db "$1" -t 127.0.0.1 --interval 200 \
		--duration 1 >/dev/null 2>&1 || fail "seeding $1 failed"
	local flat=$2
	sql "$1" "
INSERT INTO series(id, interface, connection_type, test_type, target, server_name)
  VALUES (1000, '', 'unknown', 'icmp', '198.18.0.40', '');
WITH RECURSIVE k(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM k WHERE n < 168),
b(ms) AS (SELECT (CAST(strftime('%s','now') AS INTEGER) / 3600 - n) * 3600000 FROM k)
INSERT INTO agg_1hour(bucket_ms, series, interface, connection_type, test_type,
  target, server_name, unit, count, lost, min, max, avg, p50, p95, p99)
SELECT ms, 1000, '', 'unknown', 'icmp', '198.18.0.40', '', 'ms', 3600,
  CASE WHEN $flat = 0 AND (ms / 3600000) % 24 BETWEEN 18 AND 22 THEN 108 ELSE 4 END,
  5, 90, 20,
  CASE WHEN $flat = 0 AND (ms / 3600000) % 24 BETWEEN 18 AND 22
       THEN 40 + (ms / 3600000) % 24 - 18 ELSE 12 END,
  30, 60
FROM b;" || fail "writing the history of $1"
}

history "$BB_TMP/evening.db" 0
history "$BB_TMP/flat.db" 1
rows=$(sql "$BB_TMP/evening.db" "SELECT count(*) FROM agg_1hour WHERE series = 1000")
[ "$rows" -eq 168 ] || fail "history has $rows rows, not 168"

for db in evening flat; do
	"$BB_BIN" -d -c "$BB_TMP/bb.conf" --db "$BB_TMP/$db.db" -t 127.0.0.1 \
		--interval 200 --duration 3 --status-interval 1 \
		>"$BB_TMP/$db.out" 2>&1 || { cat "$BB_TMP/$db.out"; fail "$db: -d failed"; }
	grep 'verdict' "$BB_TMP/$db.out" | tail -1
done
v=$(grep 'verdict' "$BB_TMP/evening.out" | tail -1)
case $v in
*"Evenings are worse"*"worst at 22:00"*) ;;
*) fail "the verdict does not name the evenings: $v" ;;
esac
# the figures are the history's: peak median ~41 ms (18-23 h), off-peak 12 ms
case $v in *"worse: 4"[0-2].[0-9]" ms median"*"against 12.0 ms"*) ;; *) fail "the verdict figures are not ~41/12 ms: $v" ;; esac
if grep 'verdict' "$BB_TMP/flat.out" | grep -q 'Evenings'; then
	fail "flat history: evenings named"
fi
echo "evening history named in the verdict; flat history not"
