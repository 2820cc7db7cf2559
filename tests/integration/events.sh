#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `bufferbane events` against a bbgen database of two days (TZ=Europe/Berlin):
# JSON equal to the events table (sqlite3 -json) and to the generator's
# manifest; --kind, --severity (that severity or worse) and --start/--end
# filters; the text format one line per event with local times, duration,
# severity, kind, place and description; an ongoing event; bad arguments
# exit 2 with one line.
. "$(dirname "$0")/../lib/common.sh"
bb_tmpdir
set -u
PY=/usr/bin/python3
export TZ=Europe/Berlin

db=$BB_TMP/gen.db
bb_gen "$db" --days 2 --seed 11 --end 1711886400 --interval-ms 10000 \
	--manifest "$BB_TMP/manifest.json"
# one event still going on, as a monitor leaves it (end_ms NULL)
sqlite3 "$db" "INSERT INTO events(start_ms, end_ms, kind, severity, interface,
	target, server_name, description, metrics)
	VALUES (1711885000000, NULL, 'high_jitter', 'info', 'wlan0',
	'198.18.0.11', '', 'Jitter to 198.18.0.11: 12 ms, \"high\".', '{}')" ||
	fail "cannot add the ongoing event"
sqlite3 -json "$db" "SELECT * FROM events" >"$BB_TMP/table.json"

run() {
	local want=$1 name=$2; shift 2
	"$BB_BIN" "$@" >"$BB_TMP/$name.out" 2>"$BB_TMP/$name.err"
	local rc=$?
	[ $rc -eq "$want" ] || {
		cat "$BB_TMP/$name.out" "$BB_TMP/$name.err"
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

# check NAME FILTER: NAME.out (JSON) is the table's rows r for which the
# python expression FILTER holds, by start, field for field.
check() {
	$PY - "$BB_TMP" "$1" "$2" <<'EOF' || fail "$1: events differ from the table"
import json, sys
from datetime import datetime
from zoneinfo import ZoneInfo
tmp, name, flt = sys.argv[1:4]
keep = eval("lambda r: " + flt)
table = json.load(open(tmp + "/table.json"))
want = sorted((r for r in table if keep(r)), key=lambda r: (r["start_ms"], r["id"]))
got = json.load(open(f"{tmp}/{name}.out"))
assert len(got) == len(want), f"{len(got)} events, {len(want)} in the table"
tz = ZoneInfo("Europe/Berlin")
iso = lambda ms: datetime.fromtimestamp(ms / 1000, tz).isoformat(timespec="milliseconds")
for g, w in zip(got, want):
    for k in ("id", "start_ms", "end_ms", "kind", "severity", "interface",
              "target", "server_name", "description"):
        assert g[k] == w[k], f"event {w['id']} {k}: {g[k]!r} != {w[k]!r}"
    assert g["metrics"] == json.loads(w["metrics"]), f"event {w['id']} metrics"
    assert g["start"] == iso(w["start_ms"])
    assert g["ongoing"] == (w["end_ms"] is None)
    if w["end_ms"] is not None:
        assert g["end"] == iso(w["end_ms"])
        assert g["duration_ms"] == w["end_ms"] - w["start_ms"]
print(f"{name}: {len(got)} events equal")
EOF
}

P=(--db "$db" --start 2024-03-29 --end 2024-04-01)
run 0 all events "${P[@]}" --format json
check all "True"
# the generator's truth: two loss bursts and a micro-disconnect a day, the
# evening's bloated test
$PY - "$BB_TMP/all.out" "$BB_TMP/manifest.json" <<'EOF' || fail "events differ from the manifest"
import json, sys
got, m = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
mine = [(e["start_ms"], e["end_ms"], e["kind"], e["severity"]) for e in got
        if e["kind"] != "high_jitter"]
truth = [(e["start_ms"], e["end_ms"], e["kind"], e["severity"]) for e in m["events"]]
assert mine == truth, f"{mine} != {truth}"
kinds = sorted(e["kind"] for e in m["events"])
assert kinds.count("packet_loss") == 4 and kinds.count("micro_disconnect") == 2, kinds
assert kinds.count("bufferbloat") >= 1, kinds
EOF
run 0 k events "${P[@]}" --format json --kind packet_loss
check k "r['kind'] == 'packet_loss'"
run 0 s_crit events "${P[@]}" --format json --severity critical
check s_crit "r['severity'] == 'critical'"
run 0 s_warn events "${P[@]}" --format json --severity warning
check s_warn "r['severity'] in ('warning', 'critical')"
run 0 ks events "${P[@]}" --format json --kind micro_disconnect --severity warning
check ks "r['kind'] == 'micro_disconnect'"
run 0 none events "${P[@]}" --format json --kind latency_spike
[ "$(cat "$BB_TMP/none.out")" = "[]" ] || fail "no latency_spike: not []"
# a period overlapping events (the ongoing one included): 03-31 from 00:00
from=$(date -d "2024-03-31 00:00" +%s)000 to=$(date -d "2024-03-31 16:00" +%s)000
run 0 span events --db "$db" --start "2024-03-31" --end "2024-03-31 16:00" --format json
check span "r['start_ms'] < $to and (r['end_ms'] is None or r['end_ms'] > $from)"

# text: a header, then one line per event with local start, end, duration,
# severity, kind, place, description
run 0 text events "${P[@]}"
$PY - "$BB_TMP/text.out" "$BB_TMP/all.out" <<'EOF' || fail "the text format is wrong"
import json, sys
from datetime import datetime
from zoneinfo import ZoneInfo
lines = open(sys.argv[1]).read().splitlines()
evs = json.load(open(sys.argv[2]))
assert lines[0].split() == ["start", "end", "length", "severity", "kind",
                            "where", "what", "happened"], f"header {lines[0]!r}"
lines = lines[1:]
assert len(lines) == len(evs), f"{len(lines)} lines for {len(evs)} events"
tz = ZoneInfo("Europe/Berlin")
for line, e in zip(lines, evs):
    start = datetime.fromtimestamp(e["start_ms"] / 1000, tz).strftime("%Y-%m-%d %H:%M:%S")
    assert line.startswith(start + "  "), f"{line!r} does not start {start}"
    for word in (e["severity"], e["kind"], e["interface"], e["description"]):
        assert word in line, f"{word!r} missing from {line!r}"
    if e["ongoing"]:
        assert "ongoing" in line, line
    else:
        end = datetime.fromtimestamp(e["end_ms"] / 1000, tz).strftime("%H:%M:%S")
        assert end in line, f"{end} missing from {line!r}"
    if e["kind"] == "packet_loss":
        assert f"{e['duration_ms'] // 1000} s" in line, line
    if e["kind"] == "micro_disconnect":
        assert "4.0 s" in line, line
EOF
run 0 text_none events --db "$db" --start 2020-01-01 --end 2020-01-02
grep -q '^No events from 2020-01-01 00:00:00 to 2020-01-02 00:00:00\.$' "$BB_TMP/text_none.out" ||
	fail "an empty period does not say so: $(cat "$BB_TMP/text_none.out")"

# bad arguments
run 2 b_kind events --db "$db" --kind packet_lost
one_line b_kind "unknown event kind 'packet_lost'; the kinds: latency_spike, .*packet_loss, .*path_change, bufferbloat_passive$"
grep -q DETECTION "$BB_TMP/b_kind.err" && fail "b_kind: names a design document users do not have"
run 2 b_sev events --db "$db" --severity high
one_line b_sev "--severity wants info, warning or critical, not 'high'"
run 2 b_fmt events --db "$db" --format csv
one_line b_fmt "unknown format (text or json) 'csv'"
run 2 b_last events --db "$db" --last 7y
one_line b_last "'7y'"
run 2 b_opt events --db "$db" -x
one_line b_opt "unknown option '-x'"
run 2 b_nodb events --db "$BB_TMP/none.db"
one_line b_nodb "no such database file"
echo "events: table, manifest, filters, formats and bad input all hold"
