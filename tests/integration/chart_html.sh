#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The HTML chart in a real browser: the unit test's charts (known figures,
# a gap, an outage, losses, events, bufferbloat results, a series named
# "</script><script>alert(1)</script>") written as files, each opened in
# headless Chromium (tests/lib/cdp.py, DevTools protocol over a pipe) in a
# network namespace with only loopback.  Each must load without a console
# error, exception, dialog or request; the hostile name shows as text and
# runs nothing; hovering a bucket shows its figures; a drag zooms to the
# dragged range and a double-click resets it; the legend hides a series;
# a loss is marked where it is; every other kind answers a hover with the
# right figures.
. "$(dirname "$0")/../lib/common.sh"
bb_sandbox "$@"
bb_tmpdir
set -u

if ! python3 "$BB_TOP/tests/lib/cdp.py" --probe >/dev/null 2>&1; then
	"$BB_TOP/tests/deps.sh" chromium >&2 ||
		skip "*** chromium is not installed and could not be (apt-get install chromium) ***"
fi
bin=$BB_TOP/${BB_BUILD:-build}/tests/test_chart_html
[ -x "$bin" ] || fail "no $bin (make ${BB_BUILD:-build}/tests/test_chart_html)"
BB_CHART_OUT=$BB_TMP "$bin" >"$BB_TMP/unit.log" 2>&1 ||
	{ cat "$BB_TMP/unit.log"; fail "$bin failed"; }

PYTHONPATH=$BB_TOP/tests/lib python3 - "$BB_TMP" <<'PY' || fail "browser checks failed"
import json, os, re, sys, time
from cdp import Chromium

d = sys.argv[1]
EVIL = "</script><script>alert(1)</script>"
EVIL2 = "</script><script>alert(2)</script><!--"
t0 = time.monotonic()

def data(path):
    html = open(path, encoding="utf-8").read()
    # static: no URL, no other file, the data is valid JSON
    low = html.lower()
    for bad in ("://", "src=", "href", "@import", "url("):
        assert bad not in low, (path, bad)
    assert low.count("http") == 1 and "http-equiv" in low, path
    m = re.search(r'<script type="application/json" id="bb-data">(.*?)</script>',
                  html, re.S)
    return json.loads(m.group(1))

def tip(p):
    return p.eval("document.getElementById('tip').hidden ? null : "
                  "document.getElementById('tip').innerText")

def canvas_origin(p):
    return p.eval("(r => [r.left, r.top])(document.getElementById('plot')"
                  ".getBoundingClientRect())")

def xy(p, t, v):
    """Page coordinates of time t (ms) and value v on the plot."""
    ox, oy = canvas_origin(p)
    x, y = p.eval("[bbChart.x(%r), bbChart.y(%r)]" % (t, v))
    return ox + x, oy + y

def pixel(p, x, y):
    ox, oy = canvas_origin(p)
    # through a copy: reading the chart's own canvas again and again makes
    # Chromium warn (willReadFrequently), which would count as a problem
    return p.eval("(() => { const c = document.createElement('canvas'); "
                  "c.width = c.height = 1; const x = c.getContext('2d', "
                  "{willReadFrequently: true}); x.drawImage(document."
                  "getElementById('plot'), %d, %d, 1, 1, 0, 0, 1, 1); "
                  "return Array.from(x.getImageData(0, 0, 1, 1).data); })()"
                  % (x - ox, y - oy))

def near(c, hexcol, tol=40):
    want = [int(hexcol[i:i + 2], 16) for i in (1, 3, 5)]
    return all(abs(a - b) <= tol for a, b in zip(c[:3], want))

with Chromium(1200, 800) as b:
    # --- latency over time: the full set of interactions -----------------
    path = os.path.join(d, "latency_over_time.html")
    D = data(path)
    s0, s1 = D["series"][0], D["series"][1]
    assert s1["target"] == EVIL and D["events"][1]["description"] == EVIL2
    p = b.open(path)
    p.assert_clean()
    assert p.eval("document.scripts.length") == 2
    legend = p.eval("Array.from(document.querySelectorAll('#legend button'))"
                    ".map(b => b.textContent)")
    assert legend == ["icmp 127.0.0.1 via lo (ms)", "icmp " + EVIL + " (ms)"], legend
    mid = lambda i: D["from"] + i * D["bucket"] + D["bucket"] / 2

    # the median line of series 0 is drawn in its colour, not in the gap
    blue = "#1f77b4"
    x, y = xy(p, mid(35), 12.5)
    assert near(pixel(p, x, y), blue), pixel(p, x, y)
    x, y = xy(p, mid(22), 12.5)
    assert not near(pixel(p, x, y), blue), "gap not broken"
    # loss marks under the axis at bucket 40 (3 of 10 lost), none at 35
    px0 = p.eval("bbChart.plot")
    ox, oy = canvas_origin(p)
    yl = oy + px0["y"] + px0["h"] + 3
    x40, _ = xy(p, mid(40), 0)
    x35, _ = xy(p, mid(35), 0)
    assert near(pixel(p, x40, yl), "#d62728"), pixel(p, x40, yl)
    assert not near(pixel(p, x35, yl), "#d62728"), pixel(p, x35, yl)

    # hover bucket 30: its time, count, loss and figures for both series
    x, y = xy(p, mid(30), 12.5)
    p.move(x, y)
    t = tip(p)
    print("hover:", t.replace("\n", " | "))
    assert t.startswith("2026-03-10 12:30:00 CET (1 min)"), t
    assert "icmp 127.0.0.1 via lo: 10 probes, 0 lost (0.0 %)" in t, t
    assert "min 8.00  p50 12.5  p95 20.4  max 31.0 ms" in t, t
    assert "icmp " + EVIL + ": 10 probes, 0 lost" in t, t
    assert "min 35.0  p50 40.0  p95 45.0  max 50.0 ms" in t, t
    # hover the partial loss and an outage bucket inside the critical event
    p.move(*xy(p, mid(40), 12.5))
    assert "10 probes, 3 lost (30.0 %)" in tip(p), tip(p)
    p.move(*xy(p, mid(22), 12.5))
    t = tip(p)
    assert "10 probes, 10 lost (100.0 %)" in t and "p50 -" in t, t
    assert "critical outage: 2026-03-10 12:20:00 CET to 2026-03-10 12:25:00 CET" in t, t
    assert EVIL2 in t, t
    # the events strip: the warning's description, as text
    x, _ = xy(p, D["from"] + 12 * D["bucket"], 0)
    p.move(x, oy + px0["y"] - 9)
    t = tip(p)
    assert t.startswith("Events") and "warning high_latency" in t, t
    assert "Latency above 30 ms for 5 min <b>&</b>" in t, t
    p.move(5, 5)
    assert tip(p) is None

    # drag from 12:10 to 12:20: the view is that range, within a pixel
    per_px = (D["to"] - D["from"]) / px0["w"]
    a, b2 = D["from"] + 10 * 60000, D["from"] + 20 * 60000
    xa, ya = xy(p, a, 20)
    xb, _ = xy(p, b2, 20)
    p.drag(xa, ya, xb, ya)
    v = p.eval("bbChart.view")
    assert abs(v["a"] - a) <= 2 * per_px and abs(v["b"] - b2) <= 2 * per_px, (v, a, b2)
    assert "zoomed" in p.eval("document.getElementById('range').textContent")
    # zoomed: bucket 15 is now far right of where it was
    x15, _ = xy(p, mid(15), 0)
    assert x15 > ox + px0["x"] + px0["w"] * 0.5, x15
    p.click(xa + 50, ya, clicks=2)
    v = p.eval("bbChart.view")
    assert v == {"a": D["from"], "b": D["to"]}, v

    # the legend: series 0 off, its line gone and out of the tooltip
    p.eval("document.querySelector('#legend button').click()")
    p.frames(1)
    assert p.eval("document.querySelector('#legend button')"
                  ".getAttribute('aria-pressed')") == "false"
    x, y = xy(p, mid(35), 12.5)
    assert not near(pixel(p, x, y), blue), pixel(p, x, y)
    p.move(x, xy(p, 0, 40)[1])
    t = tip(p)
    assert "127.0.0.1" not in t and EVIL in t, t
    p.eval("document.querySelector('#legend button').click()")
    p.frames(1)
    p.move(5, 5)
    assert near(pixel(p, x, y), blue)
    p.screenshot(os.path.join(d, "latency_over_time.png"))
    p.assert_clean()

    # --- every other kind: loads clean, a hover shows the right figures -----
    def kind(name, at, want):
        p = b.open(os.path.join(d, name + ".html"))
        p.assert_clean()
        x, y = at(p)
        p.move(x, y)
        t = tip(p)
        for w in want:
            assert t and w in t, (name, w, t)
        p.screenshot(os.path.join(d, name + ".png"))
        p.assert_clean()
        print(name + ":", t.replace("\n", " | "))
        return p

    kind("jitter_over_time", lambda p: xy(p, mid(30), 1.5),
         ["12:30:00 CET", "icmp 127.0.0.1 via lo: 10 probes, 0 lost (0.0 %), jitter 1.50 ms",
          "jitter 2.25 ms"])
    kind("packet_loss_over_time", lambda p: xy(p, mid(40), 10),
         ["12:40:00 CET", "via lo: 10 probes, 3 lost (30.0 %)"])
    p = kind("throughput_over_time", lambda p: xy(p, mid(30), 90000),
             ["download from lab: 1 probes, 0 lost",
              "min 85000  p50 90000  p95 95000  max 98000 kbit/s"])
    assert "127.0.0.1" not in tip(p)
    kind("latency_distribution", lambda p: xy(p, 2.5, 10),
         ["10.0 to 15.0 ms", "icmp 127.0.0.1 via lo: 300 probes (63.8 %)",
          "alert(1)</script>: 0 probes (0.0 %)"])
    kind("connection_comparison",
         lambda p: (canvas_origin(p)[0] + p.eval("bbChart.plot.x") + 100,
                    canvas_origin(p)[1] + p.eval("bbChart.rowY(0)")),
         ["icmp 127.0.0.1 via lo", "600 probes, 53 lost (8.83 %)",
          "min 8.00  p50 12.5  p95 20.4  max 31.0 ms"])
    kind("daily_heatmap",
         lambda p: [a + b for a, b in zip(canvas_origin(p), p.eval("bbChart.cell(0, 12)"))],
         ["icmp 127.0.0.1 via lo, 2026-03-10 12:00 to 12:59 CET",
          "p50 12.5 ms", "600 probes, 53 lost"])
    kind("bufferbloat_impact", lambda p: xy(p, D["from"] + 30 * 60000, 100),
         ["2026-03-10 12:30:00 CET", "with lab, under download load",
          "idle 11.0 ms, loaded 150.0 ms, +139.0 ms, 300 RPM"])
    for name, bg in (("dark", "rgb(22, 24, 28)"), ("dst_empty", "rgb(255, 255, 255)")):
        p = b.open(os.path.join(d, name + ".html"))
        p.assert_clean()
        p.screenshot(os.path.join(d, name + ".png"))
        got = p.eval("getComputedStyle(document.body).backgroundColor")
        assert got == bg, (name, got)
    assert "Nothing recorded" not in p.eval("document.body.innerText")
print("browser checks passed in %.1f s" % (time.monotonic() - t0))
PY
if [ -n "${BB_CHART_SHOTS:-}" ]; then
	mkdir -p "$BB_CHART_SHOTS" && cp "$BB_TMP"/*.png "$BB_TMP"/*.html "$BB_CHART_SHOTS"/
fi
exit 0
