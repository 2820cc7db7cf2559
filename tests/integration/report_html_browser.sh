#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `bufferbane report --format html` in a real browser: a short headless
# recording against 127.0.0.1 (loopback-only sandbox), the report written
# with -o and opened in headless Chromium (tests/lib/cdp.py): it must load
# without a console error, exception, dialog or request, and show its
# verdict and series table.  (When the report embeds charts, this is where
# their hover is checked too.)
. "$(dirname "$0")/../lib/common.sh"
bb_sandbox "$@"
bb_tmpdir
set -u

if ! python3 "$BB_TOP/tests/lib/cdp.py" --probe >/dev/null 2>&1; then
	"$BB_TOP/tests/deps.sh" chromium >&2 ||
		skip "*** chromium is not installed and could not be (apt-get install chromium) ***"
fi
db=$BB_TMP/bb.db
bb_write_config "$BB_TMP/bb.conf" \
	"general={ test_interval_ms = 100; probe_timeout_ms = 500; database_path = \"$db\"; }"
"$BB_BIN" -d -c "$BB_TMP/bb.conf" -t 127.0.0.1 --interval 100 --duration 2 \
	>"$BB_TMP/rec" 2>&1 || { cat "$BB_TMP/rec"; fail "recording exited $?"; }
"$BB_BIN" report --db "$db" --format html --last 1h -o "$BB_TMP/report.html" ||
	fail "report exited $?"

PYTHONPATH=$BB_TOP/tests/lib python3 - "$BB_TMP/report.html" <<'PY' || fail "browser checks failed"
import sys, time
from cdp import Chromium
t0 = time.monotonic()
with Chromium(1200, 900) as b:
    p = b.open(sys.argv[1])
    p.assert_clean()
    text = p.eval("document.body.innerText")
    assert "No problems recorded in the last 1 h." in text, text[:500]
    rows = p.eval("Array.from(document.querySelectorAll('td'))"
                  ".map(td => td.textContent)")
    assert "127.0.0.1" in rows, rows[:20]
    p.screenshot(sys.argv[1] + ".png")
    p.assert_clean()
print("report loaded clean in %.1f s" % (time.monotonic() - t0))
PY
exit 0
