# SPDX-License-Identifier: MIT
"""Headless Chromium driven over its DevTools protocol, standard library only.

The browser talks over a pipe (--remote-debugging-pipe: commands in on fd 3,
replies and events out on fd 4, each message JSON ended by a NUL byte), so
there is no websocket and no TCP port at all.  It never reaches the network:
every host name resolves to nothing, background services are off, and each
request the page makes is recorded so a test can insist there was none but
the page itself.

As a module:
    with Chromium() as b:
        p = b.open("/tmp/x.html")          # waits for load and two frames
        p.move(100, 200)                   # Input.dispatchMouseEvent
        text = p.eval("document.getElementById('tip').innerText")
        p.assert_clean()                   # no console error, exception,
                                           # dialog or request off the page
As a program:
    cdp.py FILE.html [--screenshot OUT.png] [--width W --height H]
    cdp.py --probe        (exit 0 when a Chromium is installed, else 77)
loads FILE, prints what it found, and exits 1 on any console error,
uncaught exception, dialog (alert) or request other than FILE itself;
77 when no Chromium is installed.
"""

import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time


class CdpError(Exception):
    pass


def find_chromium():
    # The Debian launcher (/usr/bin/chromium) is a shell script that adds
    # nothing we want and prints a warning on some shells; run the binary.
    for p in ("/usr/lib/chromium/chromium",):
        if os.access(p, os.X_OK):
            return p
    for n in ("chromium", "chromium-browser", "google-chrome"):
        p = shutil.which(n)
        if p:
            return p
    return None


FLAGS = [
    "--headless=new",
    "--no-sandbox",  # CI runs as root, where the sandbox refuses to start
    "--remote-debugging-pipe",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-sync",
    "--disable-breakpad",
    "--disable-crash-reporter",
    "--disable-domain-reliability",
    "--disable-client-side-phishing-detection",
    "--metrics-recording-only",
    "--no-pings",
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--proxy-server=127.0.0.1:9",  # anything that slips past: refused
    "--disable-features=Translate,OptimizationHints,MediaRouter,"
    "DialMediaRouteProvider,AutofillServerCommunication",
    "--hide-scrollbars",
    "--mute-audio",
]


class Chromium:
    def __init__(self, width=1200, height=800, timeout=20.0):
        self.exe = find_chromium()
        if not self.exe:
            raise FileNotFoundError("no chromium installed")
        self.timeout = timeout
        self.width, self.height = width, height
        self.profile = tempfile.mkdtemp(prefix="bb-chromium.")
        to_r, to_w = os.pipe()  # our commands, read by chromium on fd 3
        from_r, from_w = os.pipe()  # its messages, written on fd 4

        def child():
            # via high numbers: the pipes may themselves be fds 3 and 4
            a = fcntl.fcntl(to_r, fcntl.F_DUPFD, 10)
            b = fcntl.fcntl(from_w, fcntl.F_DUPFD, 10)
            os.dup2(a, 3)
            os.dup2(b, 4)
            os.set_inheritable(3, True)
            os.set_inheritable(4, True)

        self.log = open(os.path.join(self.profile, "stderr.log"), "wb")
        # close_fds=False: the dup2'd 3 and 4 are inheritable, every other
        # descriptor Python made is close-on-exec (PEP 446).
        self.proc = subprocess.Popen(
            [self.exe] + FLAGS + [
                "--user-data-dir=" + self.profile,
                "--window-size=%d,%d" % (width, height),
                "about:blank",
            ],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log,
            preexec_fn=child, close_fds=False,
            env=dict(os.environ, HOME=self.profile))
        os.close(to_r)
        os.close(from_w)
        self.w, self.r = to_w, from_r
        self.buf = b""
        self.next_id = 0
        self.events = []  # (sessionId, method, params) not yet consumed

    # --- the wire ---------------------------------------------------------
    def _read_msg(self, deadline):
        while b"\0" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise CdpError("timed out waiting for chromium")
            rd, _, _ = select.select([self.r], [], [], left)
            if not rd:
                continue
            chunk = os.read(self.r, 1 << 16)
            if not chunk:
                raise CdpError("chromium closed its pipe (exit %s); log: %s"
                               % (self.proc.poll(), self._stderr_tail()))
            self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def _stderr_tail(self):
        try:
            with open(os.path.join(self.profile, "stderr.log"), "rb") as f:
                return f.read()[-2000:].decode("utf-8", "replace")
        except OSError:
            return ""

    def send(self, method, params=None, session=None, timeout=None):
        self.next_id += 1
        mid = self.next_id
        m = {"id": mid, "method": method, "params": params or {}}
        if session:
            m["sessionId"] = session
        self._write(m)
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            r = self._read_msg(deadline)
            if r.get("id") == mid:
                if "error" in r:
                    raise CdpError("%s: %s" % (method, r["error"]))
                return r.get("result", {})
            if "method" in r:
                self._record(r)

    def _write(self, m):
        data = json.dumps(m).encode() + b"\0"
        while data:
            data = data[os.write(self.w, data):]

    def _record(self, r):
        s, m, p = r.get("sessionId"), r["method"], r.get("params", {})
        self.events.append((s, m, p))
        if m == "Page.javascriptDialogOpening":
            # an alert() blocks the page until answered: dismiss it at
            # once (the reply is not awaited) and let problems() report it
            self.next_id += 1
            self._write({"id": self.next_id, "sessionId": s,
                         "method": "Page.handleJavaScriptDialog",
                         "params": {"accept": False}})

    def pump(self, seconds):
        """Collect events for a while."""
        deadline = time.monotonic() + seconds
        try:
            while True:
                r = self._read_msg(deadline)
                if "method" in r:
                    self._record(r)
        except CdpError as e:
            if "timed out" not in str(e):
                raise

    def wait_event(self, session, method, timeout=None):
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            for i, (s, m, p) in enumerate(self.events):
                if s == session and m == method:
                    del self.events[i]
                    self.events.append((s, "_seen." + m, p))
                    return p
            r = self._read_msg(deadline)
            if "method" in r:
                self._record(r)

    # --- pages --------------------------------------------------------------
    def open(self, path):
        url = path if "://" in path else "file://" + os.path.abspath(path)
        t = self.send("Target.createTarget", {"url": "about:blank"})
        s = self.send("Target.attachToTarget",
                      {"targetId": t["targetId"], "flatten": True})
        page = Page(self, s["sessionId"], url)
        for d in ("Page", "Runtime", "Log", "Network"):
            self.send(d + ".enable", session=page.session)
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": self.width, "height": self.height,
                   "deviceScaleFactor": 1, "mobile": False},
                  session=page.session)
        self.send("Page.navigate", {"url": url}, session=page.session)
        self.wait_event(page.session, "Page.loadEventFired")
        page.frames(2)
        return page

    def close(self):
        if self.proc.poll() is None:
            try:
                self.send("Browser.close", timeout=5)
            except (CdpError, OSError):
                pass
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for fd in (self.w, self.r):
            try:
                os.close(fd)
            except OSError:
                pass
        self.log.close()
        shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.close()


class Page:
    def __init__(self, browser, session, url):
        self.b, self.session, self.url = browser, session, url

    def send(self, method, params=None):
        return self.b.send(method, params, session=self.session)

    def eval(self, expr):
        """The value of a JS expression (a promise is awaited)."""
        r = self.send("Runtime.evaluate", {
            "expression": expr, "returnByValue": True, "awaitPromise": True})
        if "exceptionDetails" in r:
            d = r["exceptionDetails"]
            raise CdpError("eval %r: %s" % (
                expr, d.get("exception", {}).get("description", d.get("text"))))
        return r["result"].get("value")

    def frames(self, n=1):
        """Wait until the page has drawn n more frames."""
        self.eval("new Promise(r => { let n = %d; const f = () => "
                  "--n > 0 ? requestAnimationFrame(f) : r(1); "
                  "requestAnimationFrame(f); })" % n)

    def mouse(self, kind, x, y, button="none", clicks=0, buttons=0):
        self.send("Input.dispatchMouseEvent", {
            "type": kind, "x": x, "y": y, "button": button,
            "buttons": buttons, "clickCount": clicks})

    def move(self, x, y):
        self.mouse("mouseMoved", x, y)
        self.frames(1)

    def click(self, x, y, clicks=1):
        self.mouse("mouseMoved", x, y)
        for c in range(1, clicks + 1):
            self.mouse("mousePressed", x, y, "left", c, 1)
            self.mouse("mouseReleased", x, y, "left", c, 0)
        self.frames(1)

    def drag(self, x0, y0, x1, y1, steps=8):
        self.mouse("mouseMoved", x0, y0)
        self.mouse("mousePressed", x0, y0, "left", 1, 1)
        for i in range(1, steps + 1):
            self.mouse("mouseMoved", x0 + (x1 - x0) * i / steps,
                       y0 + (y1 - y0) * i / steps, "left", 0, 1)
        self.mouse("mouseReleased", x1, y1, "left", 1, 0)
        self.frames(1)

    def screenshot(self, out):
        r = self.send("Page.captureScreenshot", {"format": "png"})
        with open(out, "wb") as f:
            f.write(base64.b64decode(r["data"]))

    def problems(self):
        """Console errors, exceptions, dialogs and requests off the page."""
        self.b.pump(0.05)
        out = []
        for s, m, p in self.b.events:
            if s != self.session:
                continue
            m = m.replace("_seen.", "")
            if m == "Runtime.exceptionThrown":
                d = p["exceptionDetails"]
                out.append("exception: %s" % d.get("exception", {}).get(
                    "description", d.get("text")))
            elif m == "Runtime.consoleAPICalled" and p["type"] in (
                    "error", "assert", "warning"):
                out.append("console.%s: %s" % (p["type"], " ".join(
                    str(a.get("value", a.get("description", "")))
                    for a in p["args"])))
            elif m == "Log.entryAdded" and p["entry"]["level"] in (
                    "error", "warning"):
                e = p["entry"]
                out.append("log %s: %s %s" % (e["level"], e["text"],
                                              e.get("url", "")))
            elif m == "Page.javascriptDialogOpening":
                out.append("dialog %s: %s" % (p["type"], p["message"]))
            elif m == "Network.requestWillBeSent":
                u = p["request"]["url"]
                if u != self.url:
                    out.append("request: %s" % u)
        return out

    def assert_clean(self):
        pr = self.problems()
        if pr:
            raise AssertionError("page %s:\n  %s" % (self.url,
                                                     "\n  ".join(pr)))


def main(argv):
    import argparse
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("file", nargs="?")
    ap.add_argument("--probe", action="store_true",
                    help="only say whether a Chromium is installed")
    ap.add_argument("--screenshot")
    ap.add_argument("--width", type=int, default=1200)
    ap.add_argument("--height", type=int, default=800)
    a = ap.parse_args(argv)
    if not find_chromium():
        print("SKIPPED: no chromium installed (apt-get install chromium)")
        return 77
    if a.probe or not a.file:
        print(find_chromium())
        return 0
    t0 = time.monotonic()
    with Chromium(a.width, a.height) as b:
        p = b.open(a.file)
        if a.screenshot:
            p.screenshot(a.screenshot)
        pr = p.problems()
    for x in pr:
        print(x)
    print("%s: %s in %.1f s" % (a.file, "%d problem(s)" % len(pr) if pr
                                else "loaded clean", time.monotonic() - t0))
    return 1 if pr else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
