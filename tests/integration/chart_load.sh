#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The latency_vs_load chart from the command line, on a generated day
# (tests/bench/bbgen --traffic: eth0's traffic read every second, the
# household's 7.5-9.5 Mbit/s upload in the evening when every delay is
# +20 ms, 0.1-1.5 Mbit/s otherwise, on a line of 10 Mbit/s up).  The PNG
# is decoded (python3-pil) and read where the drawing must be: in the
# upload panel the boxes at 0-20 % and 70-100 % of the line's rate and
# paper only between them, the median at the evening's load higher by the
# +20 ms; the SVG parses with the size; the HTML holds the drawing and no
# script; `charts` and `report -o x.md` make it too.  The same day without
# traffic readings: the chart says why in words, on stderr too.
. "$(dirname "$0")/../lib/common.sh"
bb_tmpdir
set -u
PY=/usr/bin/python3
$PY -c 'import PIL' 2>/dev/null || skip "needs python3-pil"
BBGEN=${BB_BUILD:-build}/bench/bbgen
[ -x "$BBGEN" ] || skip "needs $BBGEN (make $BBGEN)"
export TZ=UTC

end_s=1767225600 # 2026-01-01 00:00 UTC
"$BBGEN" -o "$BB_TMP/t.db" --days 1 --end $end_s --traffic \
	--manifest "$BB_TMP/t.json" 2>/dev/null || fail "bbgen --traffic failed"
"$BBGEN" -o "$BB_TMP/n.db" --days 1 --end $end_s \
	--manifest "$BB_TMP/n.json" 2>/dev/null || fail "bbgen failed"
grep -q '"traffic_readings": 8[0-9]\{4\},' "$BB_TMP/t.json" ||
	fail "bbgen --traffic: $(grep traffic "$BB_TMP/t.json")"
grep -q traffic_readings "$BB_TMP/n.json" && fail "bbgen without --traffic names traffic"
period=(--start "2025-12-31 00:00" --end "2026-01-01 00:00")

run() { # EXPECTED_RC NAME ARGS...
	local want=$1 name=$2; shift 2
	"$BB_BIN" "$@" >"$BB_TMP/$name.out" 2>"$BB_TMP/$name.err"
	local rc=$?
	[ $rc -eq "$want" ] || {
		cat "$BB_TMP/$name.out" "$BB_TMP/$name.err"
		fail "$name: bufferbane $* exited $rc, expected $want"
	}
}

run 0 png chart latency_vs_load --db "$BB_TMP/t.db" "${period[@]}" -o "$BB_TMP/l.png"
run 0 svg chart latency_vs_load --db "$BB_TMP/t.db" "${period[@]}" -o "$BB_TMP/l.svg"
run 0 html chart latency_vs_load --db "$BB_TMP/t.db" "${period[@]}" -o "$BB_TMP/l.html"
[ -s "$BB_TMP/png.err" ] && fail "a chart with traffic complains: $(cat "$BB_TMP/png.err")"
run 0 none chart latency_vs_load --db "$BB_TMP/n.db" "${period[@]}" -o "$BB_TMP/n.png"
grep -qx "bufferbane chart: latency_vs_load: no traffic readings in this period: tests.traffic.enabled" \
	"$BB_TMP/none.err" || fail "no traffic: $(cat "$BB_TMP/none.err")"

$PY - "$BB_TMP" <<'EOF' || fail "PNG/SVG/HTML content"
import sys, re, xml.etree.ElementTree as ET
from PIL import Image
d = sys.argv[1]
SERIES = (0x1f, 0x77, 0xb4)
PAPER, GRID = (255, 255, 255), (0xe6, 0xe6, 0xe6)
W, H, LEFT, RIGHT, GAP, BINS = 1200, 600, 80, 24, 48, 10
pw = (W - LEFT - RIGHT - GAP) / 2
slot = pw / BINS
TOP, BOTTOM = 64 + 16, H - 12 - 18 - 44   # one legend row

def near(c, ref, tol=12):
    return all(abs(a - b) <= tol for a, b in zip(c, ref))

im = Image.open(d + "/l.png").convert("RGB")
assert im.size == (W, H), im.size

def column(x):
    return [im.getpixel((x, y)) for y in range(TOP + 1, BOTTOM - 1)]

def median_y(b):
    """The upload box of bin b: the thickest run of (antialiased) series
    colour in a column inside the box: the 2.5 px median, not the 1 px
    strokes of the box's edges nor its light fill."""
    x = int(LEFT + b * slot + slot * 0.15 + 6)
    runs, start = [], None
    col = column(x)
    for i, c in enumerate(col + [PAPER]):
        if near(c, SERIES, 40) and start is None:
            start = i
        elif not near(c, SERIES, 40) and start is not None:
            runs.append((i - start, start))
            start = None
    assert runs, "no box in bin %d (x=%d)" % (b, x)
    n, y = max(runs)
    assert n >= 2, "no median line in bin %d: %s" % (b, runs)
    return TOP + 1 + y

for b in (2, 3, 4, 5, 6):   # no second that busy or that idle
    x = int(LEFT + (b + 0.5) * slot)
    c = set(column(x))
    assert c <= {PAPER, GRID}, "drawn in empty bin %d: %s" % (b, c - {PAPER, GRID})
idle, busy = median_y(0), median_y(8)
# +20 ms on a 0-60 ms axis of 446 px is 149 px; half of it at least
assert idle - busy > 70, "median at 80 %% of the rate (y=%d) not above idle's (y=%d)" % (busy, idle)

# without traffic: words in the plot's middle, no box
n = Image.open(d + "/n.png").convert("RGB")
assert n.size == (W, H)
plot = [n.getpixel((x, y)) for x in range(LEFT + 2, W - RIGHT - 2, 3)
        for y in range(TOP + 2, BOTTOM - 2, 3)]
assert not any(near(c, SERIES, 40) for c in plot), "a box without traffic"
mid = (TOP + BOTTOM) // 2
row = [n.getpixel((x, y)) for x in range(LEFT, W - RIGHT) for y in range(mid - 12, mid + 4)]
assert sum(c[0] < 160 for c in row) > 200, "no words in the empty chart"

root = ET.fromstring(open(d + "/l.svg").read())
assert root.tag.endswith("svg") and root.get("width") == "1200px", root.attrib
html = open(d + "/l.html").read()
assert html.startswith("<!DOCTYPE html>") and html.count("<svg") == 1
assert "<script" not in html and "://" not in html
print("ok")
EOF

# charts writes it among the others; the report links it beside the
# passive-bufferbloat section
run 0 charts charts --db "$BB_TMP/t.db" "${period[@]}" --output-dir "$BB_TMP/all"
grep -qx "$BB_TMP/all/latency_vs_load.png" "$BB_TMP/charts.out" ||
	fail "charts: $(cat "$BB_TMP/charts.out")"
run 0 rmd report --db "$BB_TMP/t.db" "${period[@]}" -o "$BB_TMP/rep.md"
grep -q '^!\[Latency against the line.s load\](rep-latency_vs_load.png)$' "$BB_TMP/rep.md" ||
	fail "report: no latency_vs_load link: $(grep -n '!\[' "$BB_TMP/rep.md")"
$PY -c 'import sys; from PIL import Image; im = Image.open(sys.argv[1]); im.load(); assert im.size == (1200, 600)' \
	"$BB_TMP/rep-latency_vs_load.png" || fail "the report's chart does not decode"
run 0 rmdn report --db "$BB_TMP/n.db" "${period[@]}" -o "$BB_TMP/repn.md"
grep -q latency_vs_load "$BB_TMP/repn.md" && fail "report links an empty latency_vs_load"
echo "chart_load: ok"
