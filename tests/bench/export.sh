#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Export rate and memory over a 30-day database: bbgen builds it (~20 M
# samples; cached as /tmp/bb-bench-30d-gen.db, BB_BENCH_EXPORT_DB
# overrides, rebuilt when missing), then `bufferbane export --last 30d`
# as CSV and as JSON to /dev/null and as CSV to a file with -o (atomic,
# fsync'ed), each timed with /usr/bin/time: rows/s and peak RSS.  Reports;
# never fails on a figure.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
bin=$top/${BB_BIN:-bufferbane}
gen=$top/${BB_BUILD:-build}/bench/bbgen
db=${BB_BENCH_EXPORT_DB:-/tmp/bb-bench-30d-gen.db}
[ -x "$gen" ] || { echo "export: $gen missing (make $gen)"; exit 0; }
[ -x /usr/bin/time ] || { echo "export: /usr/bin/time missing (apt-get install time)"; exit 0; }
if [ ! -s "$db" ] || [ ! -s "$db.manifest" ]; then
	/usr/bin/time -f "export: bbgen --days 30: %e s wall, %M KB peak RSS" \
		"$gen" -o "$db" --days 30 --seed 1 --manifest "$db.manifest" || exit 0
fi
rows=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["samples"])' "$db.manifest")
echo "export: $db: $rows samples over 30 days, $(($(stat -c %s "$db") / 1048576)) MB"
# the database ends at the hour it was made: --last reaches back to it
age_h=$(( ($(date +%s) - $(stat -c %Y "$db")) / 3600 + 1 ))
span=$((30 * 24 + age_h))h
one() {
	local what=$1; shift
	local t
	t=$( { /usr/bin/time -f "%e %M" "$bin" export --db "$db" --last "$span" "$@" >/dev/null; } 2>&1 | tail -1)
	set -- $t
	python3 -c 'import sys; r, s, kb = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]); print(f"export: {sys.argv[4]}: {r} rows in {s:.1f} s = {r / s / 1e6:.2f} M rows/s, peak RSS {kb / 1024:.1f} MB")' \
		"$rows" "$1" "$2" "$what"
}
one "csv to /dev/null" --format csv
one "json to /dev/null" --format json
out=$(mktemp -d /tmp/bb-bench-export.XXXXXX)
one "csv -o FILE (atomic, fsync)" --format csv -o "$out/30d.csv"
echo "export: the CSV file: $(($(stat -c %s "$out/30d.csv") / 1048576)) MB"
rm -rf "$out"
