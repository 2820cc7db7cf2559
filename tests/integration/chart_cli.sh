#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `bufferbane chart` and `charts` on a database with known content
# (tests/bench/gendb small: one icmp series every second over one hour, a
# 36 s loss burst at 20 %, no probe for 180 s from 50 %, a critical event
# at 70 %).  The PNG is decoded (python3-pil) and checked where the
# drawing must be: the loss strip red at the burst and clean elsewhere,
# nothing but paper and grid in the plot over the gap, the critical
# event's colour in the event strip at its time, the series' colour in the
# plot around the gap; the size and the dark style's paper; the SVG parses
# as XML with the size and carries the event's colour.  Bad input: unknown
# kind (the kinds listed), empty period, unwritable or misnamed output.
. "$(dirname "$0")/../lib/common.sh"
bb_tmpdir
set -u
PY=/usr/bin/python3
$PY -c 'import PIL' 2>/dev/null || skip "needs python3-pil"
GENDB=${BB_BUILD:-build}/bench/gendb
[ -x "$GENDB" ] || skip "needs $GENDB (make $GENDB)"

db=$BB_TMP/chart.db
eval "$("$GENDB" "$db" small 3600)" || fail "gendb failed"
start=$(date -d "@$((t0_ms / 1000))" '+%Y-%m-%d %H:%M:%S')
end=$(date -d "@$((t0_ms / 1000 + 3600))" '+%Y-%m-%d %H:%M:%S')
period=(--db "$db" --start "$start" --end "$end")

run() { # EXPECTED_RC NAME ARGS...
	local want=$1 name=$2; shift 2
	"$BB_BIN" "$@" >"$BB_TMP/$name.out" 2>"$BB_TMP/$name.err"
	local rc=$?
	[ $rc -eq "$want" ] || {
		cat "$BB_TMP/$name.out" "$BB_TMP/$name.err"
		fail "$name: bufferbane $* exited $rc, expected $want"
	}
}

run 0 png chart latency_over_time "${period[@]}" -o "$BB_TMP/lat.png"
run 0 dark chart "${period[@]}" --style dark -o "$BB_TMP/dark.png"
run 0 svg chart "${period[@]}" -o "$BB_TMP/lat.svg"
run 0 size chart packet_loss_over_time "${period[@]}" --width 800 \
	--height 400 -o "$BB_TMP/loss.png"
ls "$BB_TMP" | grep -q '\.tmp\.' && fail "a temporary file was left behind"

$PY - "$BB_TMP" "$burst_s" "$burst_len" "$gap_s" "$gap_len" "$event_s" <<'EOF' || fail "PNG/SVG content"
import sys, xml.etree.ElementTree as ET
from PIL import Image
d = sys.argv[1]
burst, blen, gap, glen, ev = map(int, sys.argv[2:])
LEFT, RIGHT, TOP, SPAN = 80, 24, 64, 3600.0
def x_of(im, s):
    return int(LEFT + (im.size[0] - LEFT - RIGHT) * s / SPAN)
def column(im, x, y0=0, y1=None):
    y1 = im.size[1] if y1 is None else y1
    return [im.getpixel((x, y))[:3] for y in range(y0, y1)]
LOSS_RED = (0xbd, 0x00, 0x26)   # a bucket that lost 20 % or more
CRIT = (0x8e, 0x01, 0x52)       # critical event
SERIES = (0x1f, 0x77, 0xb4)     # the first series' colour
PAPER, GRID = (255, 255, 255), (0xe6, 0xe6, 0xe6)

im = Image.open(d + "/lat.png").convert("RGB")
assert im.size == (1200, 600), im.size
xb = x_of(im, burst + blen / 2)
col = column(im, xb, TOP)
assert LOSS_RED in col, "no loss mark at the burst (x=%d)" % xb
strip = TOP + col.index(LOSS_RED)          # the loss strip's first row
py1 = strip - 4                            # the plot's last row + 1
for s in (burst - 120, burst + blen + 120, gap + glen + 300):
    x = x_of(im, s)
    c = column(im, x, strip, strip + 8)
    assert LOSS_RED not in c and len(set(c)) <= 2, \
        "loss strip marked at x=%d (%ds) without loss: %s" % (x, s, set(c))
# the gap: nothing but paper and grid lines in the plot
for s in range(gap + 8, gap + glen - 8, 4):
    x = x_of(im, s)
    c = set(column(im, x, TOP + 1, py1 - 1))
    assert c <= {PAPER, GRID}, "drawn in the gap at x=%d: %s" % (x, c - {PAPER, GRID})
# either side of it the series is drawn
for s in (gap - 60, gap + glen + 60):
    c = column(im, x_of(im, s), TOP + 1, py1 - 1)
    assert SERIES in c, "series missing at %ds" % s
# the critical event in the event strip (below the loss strip)
xe = x_of(im, ev + 6)
assert CRIT in column(im, xe, strip + 8, strip + 24), "no event mark at x=%d" % xe
# dark style
dk = Image.open(d + "/dark.png").convert("RGB")
assert dk.size == (1200, 600) and dk.getpixel((5, 5)) == (0x1e, 0x1f, 0x24), dk.getpixel((5, 5))
assert Image.open(d + "/loss.png").size == (800, 400)
# SVG: well-formed, sized, carries the event's colour
text = open(d + "/lat.svg").read()
root = ET.fromstring(text)
assert root.tag.endswith("svg") and root.get("width") == "1200px" and root.get("height") == "600px", root.attrib
crit = "rgb(%s)" % ",".join("%f%%" % (v * 100 / 255) for v in CRIT)
crit = crit.replace("0.000000%", "0%")
assert crit in text, "event colour %s not in the SVG" % crit
print("ok")
EOF

# every kind into a folder
run 0 charts charts "${period[@]}" --output-dir "$BB_TMP/all"
[ "$(ls "$BB_TMP/all" | wc -l)" -eq 9 ] || fail "charts wrote $(ls "$BB_TMP/all")"
$PY -c '
import sys, os
from PIL import Image
for f in sorted(os.listdir(sys.argv[1])):
    im = Image.open(os.path.join(sys.argv[1], f)); im.load()
    assert im.size == (1200, 600), (f, im.size)
' "$BB_TMP/all" || fail "a chart of charts is not a 1200x600 PNG"

# the report carries the charts: HTML inline (every id unique in the
# page, so one chart's glyphs cannot stand in for another's), Markdown
# links PNGs written beside it
run 0 rhtml report "${period[@]}" --format html -o "$BB_TMP/r.html"
run 0 rmd report "${period[@]}" -o "$BB_TMP/rep.md"
$PY - "$BB_TMP" <<'EOF2' || fail "report charts"
import sys, re, os
from PIL import Image
d = sys.argv[1]
html = open(d + "/r.html").read()
svgs = re.findall(r"<figure><svg .*?</svg>", html, re.S)
assert len(svgs) == 6, "%d charts inline" % len(svgs)   # no throughput, no bloat
assert "<?xml" not in html
ids = re.findall(r'id="([^"]+)"', html)
assert len(ids) == len(set(ids)), "duplicate ids in the page"
for ref in re.findall(r'(?:href="#|url\(#)([^")]+)', html):
    assert ref in ids, "dangling reference " + ref
first = html.index("<svg")  # charts beside the tables they illustrate
assert html.index("<h2>Delay and loss") < first < html.index("<h2>Peak hours")
md = open(d + "/rep.md").read()
links = re.findall(r"!\[[^]]*\]\(([^)]+)\)", md)
assert links == ["rep-%s.png" % k for k in ("latency_over_time",
    "packet_loss_over_time", "jitter_over_time", "latency_distribution",
    "connection_comparison", "daily_heatmap")], links
for l in links:
    assert Image.open(os.path.join(d, l)).size == (1200, 600)
EOF2

# bad input: one line on stderr, exit 2 (usage) or 1 (runtime)
run 2 kind chart loss "${period[@]}" -o "$BB_TMP/x.png"
grep -q "unknown chart kind 'loss'.*latency_over_time.*bufferbloat_impact" \
	"$BB_TMP/kind.err" || fail "unknown kind: $(cat "$BB_TMP/kind.err")"
run 1 empty chart --db "$db" --start "2001-01-01" --end "2001-01-02" \
	-o "$BB_TMP/x.png"
grep -q "nothing recorded from 2001-01-01" "$BB_TMP/empty.err" ||
	fail "empty period: $(cat "$BB_TMP/empty.err")"
run 1 unwritable chart "${period[@]}" -o "$BB_TMP/no/such/dir/x.png"
grep -q "$BB_TMP/no/such/dir/x.png: cannot write" "$BB_TMP/unwritable.err" ||
	fail "unwritable: $(cat "$BB_TMP/unwritable.err")"
run 2 ext chart "${period[@]}" -o "$BB_TMP/x.gif"
grep -q "must end in .png, .svg or .html" "$BB_TMP/ext.err" ||
	fail "extension: $(cat "$BB_TMP/ext.err")"
run 2 noout chart "${period[@]}"
run 2 segs chart "${period[@]}" --segments 0 -o "$BB_TMP/x.png"
for e in kind empty unwritable ext noout segs; do
	[ "$(wc -l <"$BB_TMP/$e.err")" -eq 1 ] ||
		fail "$e: not one line on stderr: $(cat "$BB_TMP/$e.err")"
done
[ -e "$BB_TMP/x.png" ] && fail "a failed chart left $BB_TMP/x.png"
echo "chart_cli: ok"
