#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `bufferbane export` against the database it reads: a bbgen database of a
# day across the spring DST change (TZ=Europe/Berlin, so the ISO times
# carry +01:00 and +02:00), exported as CSV (parsed with python's csv
# module) and JSON, compared row by row and column by column with
# `sqlite3 -json "SELECT * FROM measurements"` and with the generator's
# manifest; the filters (--interface, --target, --start/--end in local
# time, --last); bad arguments (exit 2, one line, no file); -o atomic: a
# full tmpfs, a read-only one, a missing folder and a kill -9 mid-export
# leave the old file or no file, never a partial one.
. "$(dirname "$0")/../lib/common.sh"
bb_tmpdir
set -u
PY=/usr/bin/python3
GEN=$BB_TOP/${BB_BUILD:-build}/bench/bbgen
[ -x "$GEN" ] || fail "$GEN is missing (make ${BB_BUILD:-build}/bench/bbgen)"
command -v sqlite3 >/dev/null || fail "sqlite3 is missing (make deps)"
export TZ=Europe/Berlin

db=$BB_TMP/gen.db
# 2024-03-30 12:00 to 03-31 12:00 UTC; Berlin moves to +02:00 at 01:00 UTC
"$GEN" -o "$db" --days 1 --seed 7 --end 1711886400 --interval-ms 10000 \
	--manifest "$BB_TMP/manifest.json" 2>"$BB_TMP/gen.err" ||
	{ cat "$BB_TMP/gen.err"; fail "bbgen failed"; }
sum0=$(md5sum <"$db")
# the database's own view, decoded by SQLite, once (the slow part)
sqlite3 -json "$db" "SELECT * FROM measurements" >"$BB_TMP/want.json" ||
	fail "sqlite3 cannot read the measurements view"
sqlite3 "$db" "SELECT name FROM pragma_table_info('measurements')" \
	>"$BB_TMP/cols" || fail "sqlite3 cannot list the view's columns"

# run EXPECTED_RC NAME ARGS...: stdout in $BB_TMP/NAME.out, stderr .err
run() {
	local want=$1 name=$2; shift 2
	"$BB_BIN" "$@" >"$BB_TMP/$name.out" 2>"$BB_TMP/$name.err"
	local rc=$?
	[ $rc -eq "$want" ] || {
		head -c 2000 "$BB_TMP/$name.out"; cat "$BB_TMP/$name.err"
		fail "$name: bufferbane $* exited $rc, expected $want"
	}
}
one_line() {
	local name=$1 pat=$2
	[ "$(wc -l <"$BB_TMP/$name.err")" -eq 1 ] ||
		{ cat "$BB_TMP/$name.err"; fail "$name: not one line on stderr"; }
	grep -q -- "$pat" "$BB_TMP/$name.err" ||
		{ cat "$BB_TMP/$name.err"; fail "$name: stderr does not say '$pat'"; }
}

# compare NAME FORMAT FILTER [MANIFEST]: the export in $BB_TMP/NAME.out is
# exactly the measurements rows r for which the python expression FILTER
# holds, in time order.  Queued; compare_all checks them in one python
# (the view's JSON is loaded once).
checks=()
compare() {
	checks+=("$1" "$2" "$3" "${4:-}")
}
compare_all() {
	$PY - "$BB_TMP" "${checks[@]}" <<'EOF' || fail "an export differs from the database"
import csv, json, sys
from datetime import datetime
from zoneinfo import ZoneInfo
tmp = sys.argv[1]
cols = open(tmp + "/cols").read().split()
every = json.load(open(tmp + "/want.json"))
def check(path, fmt, flt, manifest):
  keep = eval("lambda r: " + (flt or "True"))
  want = [r for r in every if keep(r)]
  if fmt == "csv":
      with open(path, newline="") as f:
          rd = csv.reader(f, strict=True)
          head = next(rd)
          got = [dict(zip(head, r)) for r in rd]
          assert all(len(r) == len(head) for r in got), "ragged rows"
      raw = open(path, "rb").read()
      assert raw.count(b"\r\n") >= len(got) + 1, "CSV lines do not end CRLF"
  else:
      got = json.load(open(path))
      head = list(got[0].keys()) if got else ["time"] + cols
  assert head == ["time"] + cols, f"columns {head} != time + {cols}"
  assert len(got) == len(want), f"{len(got)} rows exported, {len(want)} in db"
  ts = [int(r["timestamp"]) for r in got]
  assert ts == sorted(ts), "rows not in time order"
  def key(r):
      return (int(r["timestamp"]), int(r["monotonic_ns"]), r["interface"],
              r["test_type"], r["target"], r["server_name"], int(r["seq"]))
  got.sort(key=key)
  want.sort(key=key)
  tz = ZoneInfo("Europe/Berlin")
  zones = set()
  for g, w in zip(got, want):
      iso = datetime.fromtimestamp(int(g["timestamp"]) / 1000, tz).isoformat(
          timespec="milliseconds")
      assert g["time"] == iso, f"time {g['time']} != {iso}"
      zones.add(iso[-6:])
      for c in cols:
          a, b = g[c], w.get(c)
          if fmt == "csv":  # CSV cannot tell NULL from ""
              ok = (a == "" if b is None or b == "" else
                    a == b if isinstance(b, str) else
                    a != "" and float(a) == float(b))
          else:
              ok = (a is None if b is None else
                    a == b if isinstance(b, str) else
                    isinstance(a, (int, float)) and float(a) == float(b))
          assert ok, f"row {key(w)} column {c}: export {a!r}, db {b!r}"
  if manifest:
      m = json.load(open(manifest))
      assert len(got) == m["samples"], f"{len(got)} rows, manifest {m['samples']}"
      assert zones == {"+01:00", "+02:00"}, f"offsets {zones}"
      for s in m["series"]:
          rows = [r for r in got if (r["interface"], r["test_type"], r["target"],
                  r["server_name"]) == (s["interface"], s["test_type"],
                  s["target"], s["server_name"])]
          for st in ("ok", "timeout", "error", "no_session"):
              n = sum(r["status"] == st for r in rows)
              assert n == s[st], f"{s['test_type']} {s['target']}: {n} {st}, manifest {s[st]}"
          assert len(rows) == s["count"]
      gap = m["gaps"][0]
      assert not any(gap["start_ms"] <= t < gap["end_ms"] for t in ts), "rows in the gap"
  print(f"{path}: {len(got)} rows equal")
args = sys.argv[2:]
for n in range(0, len(args), 4):
    name, fmt, flt, manifest = args[n:n + 4]
    try:
        check(f"{tmp}/{name}.out", fmt, flt, manifest)
    except AssertionError as e:
        sys.exit(f"{name}: {e}")
EOF
}

# ---- content: every row, both formats, against the database ---------------
run 0 all_csv export --format csv --db "$db" --start "2024-03-29" --end "2024-04-01"
grep -q 'refused,' "$BB_TMP/all_csv.out" || fail "no DNS error detail to quote"
grep -q '"SERVFAIL from ""198.18.0.53"", rcode 2"' "$BB_TMP/all_csv.out" ||
	fail "a detail with quotes and a comma is not quoted per RFC 4180"
compare all_csv csv "" "$BB_TMP/manifest.json"
run 0 all_json export --format json --db "$db" --start "2024-03-29" --end "2024-04-01"
compare all_json json "" "$BB_TMP/manifest.json"

# ---- filters ---------------------------------------------------------------
P=(--db "$db" --start 2024-03-29 --end 2024-04-01)
run 0 f_if export --format csv "${P[@]}" --interface wlan0
compare f_if csv "r['interface'] == 'wlan0'"
run 0 f_tg export --format json "${P[@]}" --target vps-b
compare f_tg json "r['target'] == 'vps-b'"
run 0 f_both export --format csv "${P[@]}" --interface eth0 --target 198.18.0.11
compare f_both csv "r['interface'] == 'eth0' and r['target'] == '198.18.0.11'"
# local times across the DST change: 23:30 +01:00 to 03:15 +02:00
from=$(date -d "2024-03-30 23:30" +%s)000 to=$(date -d "2024-03-31 03:15" +%s)000
[ "$to" -eq $((from + 9900000)) ] || fail "date(1) disagrees on the DST span"
run 0 f_span export --format json --db "$db" --start "2024-03-30 23:30" --end "2024-03-31 03:15"
compare f_span json "$from <= r['timestamp'] < $to"
# a filter that matches nothing: the header, and a note on stderr
compare_all

run 0 f_none export --format csv "${P[@]}" --interface wlan9
[ "$(wc -l <"$BB_TMP/f_none.out")" -eq 1 ] || fail "f_none: more than the header"
one_line f_none "no sample on interface wlan9"
run 0 f_none_json export --format json "${P[@]}" --target nowhere
[ "$(cat "$BB_TMP/f_none_json.out")" = "[]" ] || fail "f_none_json: not []"

# --last on a database that ends now (rounded down to the hour)
now_db=$BB_TMP/now.db
"$GEN" -o "$now_db" --days 1 --seed 3 --interval-ms 10000 >/dev/null 2>&1 ||
	fail "bbgen (now) failed"
t0=$(date +%s%3N)
run 0 f_last export --format json --db "$now_db" --last 3h
t1=$(date +%s%3N)
$PY - "$now_db" "$BB_TMP/f_last.out" "$t0" "$t1" <<'EOF' || fail "--last 3h exported the wrong rows"
import json, subprocess, sys
db, path, t0, t1 = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
got = json.load(open(path))
def n(since):
    return int(subprocess.run(["sqlite3", db, "SELECT count(*) FROM measurements"
        f" WHERE timestamp >= {since}"], capture_output=True, text=True,
        check=True).stdout)
lo, hi = n(t1 - 3 * 3600000), n(t0 - 3 * 3600000)
assert lo > 1000, f"only {lo} rows in the last 3 h"
assert lo <= len(got) <= hi, f"{len(got)} rows, expected {lo}..{hi}"
assert min(r["timestamp"] for r in got) >= t0 - 3 * 3600000
EOF

# -o FILE is the same bytes as stdout; "-" is stdout; a new file gets the
# umask's mode like any other
run 0 o_file export --format csv "${P[@]}" -o "$BB_TMP/o.csv"
cmp -s "$BB_TMP/o.csv" "$BB_TMP/all_csv.out" || fail "-o FILE differs from stdout"
[ ! -s "$BB_TMP/o_file.out" ] || fail "-o FILE also wrote to stdout"
[ "$(stat -c %a "$BB_TMP/o.csv")" = 644 ] || fail "-o FILE mode $(stat -c %a "$BB_TMP/o.csv")"
run 0 o_dash export --format csv "${P[@]}" -o -
cmp -s "$BB_TMP/o_dash.out" "$BB_TMP/all_csv.out" || fail "-o - differs from stdout"
echo old >"$BB_TMP/o.csv"
run 0 o_again export --format json "${P[@]}" --target vps-a -o "$BB_TMP/o.csv"
$PY -c 'import json,sys; assert len(json.load(open(sys.argv[1]))) > 1000' "$BB_TMP/o.csv" ||
	fail "-o over an old file did not replace it"
ls "$BB_TMP" | grep -q '^o\.csv\.' && fail "a temporary file was left beside o.csv"

# ---- bad arguments: exit 2, one line naming the culprit, no file -----------
run 2 b_nofmt export --db "$db" -o "$BB_TMP/bad.csv"
one_line b_nofmt "--format csv or --format json is required"
run 2 b_fmt export --format xml --db "$db" -o "$BB_TMP/bad.csv"
one_line b_fmt "unknown format (csv or json) 'xml'"
run 2 b_last export --format csv --db "$db" --last 5x
one_line b_last "'5x'"
run 2 b_both export --format csv --db "$db" --last 1d --start 2024-03-30
one_line b_both "not both"
run 2 b_end export --format csv --db "$db" --end 2024-03-30
one_line b_end "--end needs --start"
run 2 b_start export --format csv --db "$db" --start 2024-13-01
one_line b_start "'2024-13-01'"
run 2 b_order export --format csv --db "$db" --start 2024-03-31 --end 2024-03-30
one_line b_order "is not before"
run 2 b_opt export --format csv --db "$db" --bogus
one_line b_opt "unknown option '--bogus'"
run 2 b_arg export --format csv --db "$db" extra
one_line b_arg "unexpected argument 'extra'"
run 2 b_val export --format csv --db "$db" -o
one_line b_val "option needs a value"
run 2 b_iface export --format csv --db "$db" --interface ""
one_line b_iface "--interface wants a name"
run 2 b_nodb export --format csv --db "$BB_TMP/missing.db" -o "$BB_TMP/bad.csv"
one_line b_nodb "missing.db: no such database file"
printf 'not a database\n' >"$BB_TMP/text.db"
run 2 b_notdb export --format csv --db "$BB_TMP/text.db"
one_line b_notdb "not an SQLite database"
[ ! -e "$BB_TMP/bad.csv" ] || fail "a refused export wrote its -o file"

# ---- -o atomic: failures leave the old file or none, never a part ----------
run 1 o_nodir export --format csv "${P[@]}" -o "$BB_TMP/nodir/out.csv"
one_line o_nodir "cannot export to $BB_TMP/nodir/out.csv: No such file or directory"
[ ! -e "$BB_TMP/nodir" ] || fail "o_nodir created something"
if [ "$(id -u)" -eq 0 ] && command -v unshare >/dev/null; then
	# a 1 MB tmpfs (the CSV is ~10 MB) and a read-only one, in a private
	# mount namespace so nothing outlives the test
	mkdir "$BB_TMP/mnt"
	unshare -m --propagation private bash -c '
		set -u
		mnt=$1; shift
		mount -t tmpfs -o size=1m tmpfs "$mnt" || exit 90
		echo old >"$mnt/out.csv"
		"$@" -o "$mnt/out.csv" >/dev/null 2>"$mnt/../full.err"
		echo "rc=$?"
		echo "content=$(cat "$mnt/out.csv")"
		echo "files=$(ls -A "$mnt" | tr "\n" " ")"
		mount -o remount,ro "$mnt" || exit 91
		"$@" -o "$mnt/out.csv" >/dev/null 2>"$mnt/../ro.err"
		echo "ro_rc=$?"
		echo "ro_content=$(cat "$mnt/out.csv")"
		echo "ro_files=$(ls -A "$mnt" | tr "\n" " ")"
	' _ "$BB_TMP/mnt" "$BB_BIN" export --format csv "${P[@]}" >"$BB_TMP/mnt.out" 2>&1 ||
		{ cat "$BB_TMP/mnt.out"; fail "the tmpfs could not be set up"; }
	cat "$BB_TMP/mnt.out"
	grep -qx 'rc=1' "$BB_TMP/mnt.out" || fail "export onto a full disk did not exit 1"
	grep -qx 'content=old' "$BB_TMP/mnt.out" || fail "a full disk changed the old file"
	grep -qx 'files=out.csv ' "$BB_TMP/mnt.out" || fail "a full disk left a temporary file"
	[ "$(wc -l <"$BB_TMP/full.err")" -eq 1 ] && grep -q 'No space left on device' "$BB_TMP/full.err" ||
		{ cat "$BB_TMP/full.err"; fail "full disk: not one line naming ENOSPC"; }
	grep -qx 'ro_rc=1' "$BB_TMP/mnt.out" || fail "export into a read-only folder did not exit 1"
	grep -qx 'ro_content=old' "$BB_TMP/mnt.out" || fail "a read-only folder's file changed"
	grep -qx 'ro_files=out.csv ' "$BB_TMP/mnt.out" || fail "a read-only folder gained a file"
	[ "$(wc -l <"$BB_TMP/ro.err")" -eq 1 ] && grep -q 'Read-only file system' "$BB_TMP/ro.err" ||
		{ cat "$BB_TMP/ro.err"; fail "read-only: not one line naming EROFS"; }
else
	echo "NOTE: not root: the full-disk and read-only checks did not run"
fi

# kill -9 mid-export: the folder holds the old file and nothing else (the
# export writes an unnamed O_TMPFILE until it is complete)
big=$BB_TMP/big.db
"$GEN" -o "$big" --days 2 --seed 5 --end 1711886400 >/dev/null 2>&1 || fail "bbgen (big) failed"
mkdir "$BB_TMP/k"
echo old >"$BB_TMP/k/out.json"
"$BB_BIN" export --format json --db "$big" --start 2024-03-29 --end 2024-04-01 \
	-o "$BB_TMP/k/out.json" 2>/dev/null &
pid=$!
# stop it once it writes its unnamed file (1.36 M rows of JSON take
# ~0.7 s at the 2 M rows/s of a quiet machine)
writing=
for _ in $(seq 100); do
	writing=$(ls -l /proc/$pid/fd 2>/dev/null | grep -F "$BB_TMP/k/")
	[ -n "$writing" ] && break
	sleep 0.02
done
kill -STOP $pid 2>/dev/null || fail "the export of 1.36 M rows ended too soon: cannot test a kill"
[ -n "$writing" ] || fail "the export never opened a file in $BB_TMP/k"
echo "while writing: $writing"
during=$(ls -A "$BB_TMP/k" | tr '\n' ' ')
kill -KILL $pid
wait $pid 2>/dev/null
[ "$during" = "out.json " ] || fail "during the export the folder held: $during"
[ "$(ls -A "$BB_TMP/k" | tr '\n' ' ')" = "out.json " ] || fail "kill -9 left: $(ls -A "$BB_TMP/k")"
[ "$(cat "$BB_TMP/k/out.json")" = old ] || fail "kill -9 changed the old file"

[ "$(md5sum <"$db")" = "$sum0" ] || fail "export modified the database"
echo "export: content, filters, bad input and atomic -o all hold"
