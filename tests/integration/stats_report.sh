#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `bufferbane stats` and `bufferbane report` on a real recording: a short
# headless session against 127.0.0.1 and ::1 (loopback-only sandbox), then
# stats as text and JSON (figures checked against the database with
# sqlite3 and an independent nearest-rank percentile), report as Markdown
# to a file and HTML to stdout, the database path from -c, and bad input:
# each refused with its exit code and one line on stderr naming the
# culprit, the database never modified.
. "$(dirname "$0")/../lib/common.sh"
bb_sandbox "$@"
bb_tmpdir
set -u
PY=/usr/bin/python3

db=$BB_TMP/bb.db
bb_write_config "$BB_TMP/bb.conf" \
	"general={ test_interval_ms = 100; probe_timeout_ms = 500; database_path = \"$db\"; }"
"$BB_BIN" -d -c "$BB_TMP/bb.conf" -t 127.0.0.1 -t ::1 --interval 100 \
	--duration 3 --status-interval 1 >"$BB_TMP/rec" 2>&1 ||
	{ cat "$BB_TMP/rec"; fail "recording exited $?"; }
n4=$(sql "$db" "SELECT count(*) FROM measurements WHERE target='127.0.0.1'")
[ "$n4" -ge 20 ] || fail "recording stored only $n4 samples for 127.0.0.1"
sum0=$(md5sum <"$db")

# run EXPECTED_RC NAME ARGS...: stdout in $BB_TMP/NAME.out, stderr .err
run() {
	local want=$1 name=$2; shift 2
	"$BB_BIN" "$@" >"$BB_TMP/$name.out" 2>"$BB_TMP/$name.err"
	local rc=$?
	[ $rc -eq "$want" ] || {
		cat "$BB_TMP/$name.out" "$BB_TMP/$name.err"
		fail "$name: bufferbane $* exited $rc, expected $want"
	}
}
# one line on stderr, matching a pattern
one_line() {
	local name=$1 pat=$2
	[ "$(wc -l <"$BB_TMP/$name.err")" -eq 1 ] ||
		{ cat "$BB_TMP/$name.err"; fail "$name: not one line on stderr"; }
	grep -q -- "$pat" "$BB_TMP/$name.err" ||
		fail "$name: stderr '$(cat "$BB_TMP/$name.err")' lacks '$pat'"
	echo "$name: $(cat "$BB_TMP/$name.err")"
}

# --- text -------------------------------------------------------------------
run 0 text stats --db "$db"
cat "$BB_TMP/text.out"
grep -q '^Period: .*(the last 24 h)$' "$BB_TMP/text.out" || fail "text: no period"
# traffic rows (interface counters) are no probes
grep -q "^Recorded: $(sql "$db" "SELECT count(*) FROM measurements WHERE test_type <> 'traffic'") probes" \
	"$BB_TMP/text.out" || fail "text: sample count differs from the database"
grep -q '^Verdict:  No problems recorded in the last 24 h\.$' "$BB_TMP/text.out" ||
	fail "text: loopback should be clean"
grep -Eq "^-  +icmp +127\.0\.0\.1 +- +$n4 +0 +0\.00 " "$BB_TMP/text.out" ||
	fail "text: no row for 127.0.0.1 with $n4 sent, 0 lost"
[ -s "$BB_TMP/text.err" ] && fail "text: stderr not empty"

# --- JSON, checked against the database ---------------------------------------
run 0 json stats --db "$db" --last 1h --format json
sql "$db" "SELECT target, status, rtt_ms FROM measurements WHERE test_type='icmp'" \
	>"$BB_TMP/rows"
$PY - "$BB_TMP/json.out" "$BB_TMP/rows" <<'PY' || fail "json check failed"
import json, math, sys
d = json.load(open(sys.argv[1]))
for k in ("period", "series", "events", "peak_hours", "bloat", "verdict"):
    assert k in d, k
assert d["verdict"] == "No problems recorded in the last 1 h.", d["verdict"]
assert d["period"]["span"] == "1 h"
assert d["period"]["to_ms"] - d["period"]["from_ms"] == 3600000
assert d["approximate"] is None and d["events"]["total"] == 0
assert d["events"]["by_kind"] == {}
rows = {}
for line in open(sys.argv[2]):
    t, st, rtt = line.rstrip("\n").split("|")
    rows.setdefault(t, []).append((st, float(rtt) if rtt else None))
got = {s["target"]: s for s in d["series"]}
assert set(got) == set(rows), (set(got), set(rows))
for t, rs in rows.items():
    s = got[t]
    ok = sorted(r for st, r in rs if st == "ok")
    assert s["kind"] == "icmp" and s["sent"] == len(rs), s
    assert s["lost"] == len(rs) - len(ok)
    def rank(p):  # nearest rank, written out independently
        return ok[max(1, math.ceil(p / 100 * len(ok))) - 1]
    for p in (50, 95, 99):
        assert abs(s["p%d_ms" % p] - rank(p)) < 0.0006, (t, p, s, rank(p))
    assert abs(s["min_ms"] - ok[0]) < 0.0006 and abs(s["max_ms"] - ok[-1]) < 0.0006
    assert s["approximate"] is False and s["throughput_median_kbps"] is None
    print(t, "sent", s["sent"], "p50", s["p50_ms"], "== sqlite", rank(50))
PY

# --- the database path from the configuration ---------------------------------
run 0 conf stats -c "$BB_TMP/bb.conf" --format json
$PY -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["database"]==sys.argv[2]' \
	"$BB_TMP/conf.out" "$db" || fail "-c: database_path not used"

# --- report: Markdown to a file, HTML to stdout -------------------------------
run 0 md report --db "$db" --format md -o "$BB_TMP/r.md"
[ -s "$BB_TMP/md.out" ] && fail "report -o also wrote to stdout"
[ -e "$BB_TMP/r.md.tmp" ] && fail "report -o left its temporary file"
head -1 "$BB_TMP/r.md" | grep -q '^# Bufferbane report: ' || fail "md: no title"
grep -q '^\*\*Verdict\.\*\* No problems recorded in the last 7 days\.$' "$BB_TMP/r.md" ||
	fail "md: verdict not first or wrong"
grep -q '^| interface | kind | target |' "$BB_TMP/r.md" || fail "md: no series table"
grep -q '^| - | icmp | ::1 | - |' "$BB_TMP/r.md" || fail "md: no ::1 row"
grep -q '^0 events: 0 critical, 0 warning, 0 info\.$' "$BB_TMP/r.md" || fail "md: no event count"
run 0 defmd report --db "$db"
# (a file gets chart PNGs beside it and links them; stdout does not)
cmp -s <(sed 1d "$BB_TMP/defmd.out" | grep -v '^\*\*Period' | cat -s) \
	<(sed 1d "$BB_TMP/r.md" | grep -v '^\*\*Period' | grep -v '^!\[' |
		cat -s) || fail "md is not the default"
run 0 html report --db "$db" --format html --last 2h
head -1 "$BB_TMP/html.out" | grep -q '^<!DOCTYPE html>' || fail "html: no doctype"
grep -q '<style>' "$BB_TMP/html.out" || fail "html: no inline css"
grep -q '</html>' "$BB_TMP/html.out" || fail "html: not complete"
grep -q 'No problems recorded in the last 2 h\.' "$BB_TMP/html.out" || fail "html: verdict"
grep -Eq '<(script|link|img)' "$BB_TMP/html.out" && fail "html: not self-contained"
$PY -c '
import html.parser, sys
class P(html.parser.HTMLParser): pass
P().feed(open(sys.argv[1]).read())' "$BB_TMP/html.out" || fail "html does not parse"
run 0 help stats --help
grep -q -- '--last' "$BB_TMP/help.out" || fail "stats --help"
run 0 rhelp report --help
grep -q -- '--format md|html' "$BB_TMP/rhelp.out" || fail "report --help"

# --- the man page's spans: weeks and sums ------------------------------------
run 0 weeks stats --db "$db" --last 2w
grep -q '^Verdict:  No problems recorded in the last 14 days\.$' "$BB_TMP/weeks.out" ||
	{ cat "$BB_TMP/weeks.out"; fail "--last 2w: not the last 14 days"; }
grep -Eq "^-  +icmp +127\.0\.0\.1 +- +$n4 +0 +0\.00 " "$BB_TMP/weeks.out" ||
	fail "--last 2w: no row for 127.0.0.1 with $n4 sent"
run 0 sum stats --db "$db" --last 1h30m
grep -q '^Verdict:  No problems recorded in the last 90 min\.$' "$BB_TMP/sum.out" ||
	{ cat "$BB_TMP/sum.out"; fail "--last 1h30m: not the last 90 min"; }

# --- bad input: exit 2, one line saying what ----------------------------------
run 2 badlast stats --db "$db" --last 7x
one_line badlast "'7x'"
run 2 biglast stats --db "$db" --last 100000d
one_line biglast "^bufferbane stats: --last 100000d: at most 3650 days$"
run 2 badstart stats --db "$db" --start "2026-13-01"
one_line badstart "'2026-13-01'"
run 2 order stats --db "$db" --start "2026-01-02" --end "2026-01-01 12:00"
one_line order "not before"
run 2 both stats --db "$db" --last 1h --start 2026-01-01
one_line both "not both"
run 2 fmt stats --db "$db" --format md
one_line fmt "unknown format 'md'"
run 2 rfmt report --db "$db" --format pdf
one_line rfmt "unknown format 'pdf'"
run 2 opt stats --db "$db" -o x
one_line opt "unknown option"
run 2 missing stats --db "$BB_TMP/none.db"
one_line missing "$BB_TMP/none.db: no such database file"
[ -e "$BB_TMP/none.db" ] && fail "a missing database was created"
head -c 4096 /dev/urandom >"$BB_TMP/garbage.db"
gsum=$(md5sum <"$BB_TMP/garbage.db")
run 2 garbage report --db "$BB_TMP/garbage.db"
one_line garbage "garbage.db: not an SQLite database"
[ "$(md5sum <"$BB_TMP/garbage.db")" = "$gsum" ] || fail "garbage file modified"
: >"$BB_TMP/empty.db"
run 2 empty stats --db "$BB_TMP/empty.db"
one_line empty "empty.db: empty file"
[ -s "$BB_TMP/empty.db" ] && fail "empty file written to"
run 2 badconf stats -c "$BB_TMP/none.conf"
one_line badconf "none.conf"

# --- runtime failures: exit 1 --------------------------------------------------
run 1 unwritable report --db "$db" -o "$BB_TMP/no/such/dir/r.md"
one_line unwritable "no/such/dir/r.md"
# another process holds the database exclusively: one line, after the wait
$PY - "$db" "$BB_TMP/locked" <<'PY' &
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("PRAGMA locking_mode=EXCLUSIVE")
c.execute("BEGIN EXCLUSIVE")
c.execute("DELETE FROM meta WHERE key = 'no such key'")
open(sys.argv[2], "w").write("1")
time.sleep(5)
c.execute("ROLLBACK")
PY
locker=$!
for _ in $(seq 50); do [ -s "$BB_TMP/locked" ] && break; sleep 0.1; done
run 1 locked stats --db "$db"
one_line locked "bb.db: .*locked"
wait $locker

# the recording was only ever read
[ "$(md5sum <"$db")" = "$sum0" ] || fail "the database file changed"
exit 0
