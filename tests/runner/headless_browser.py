"""Open pages in headless Chromium with the network off and report what rendered.

Chromium is driven over the DevTools protocol on a pipe (``--remote-debugging-pipe``:
JSON messages ending in NUL on fds 3 and 4), so no websocket library and no
open port are needed.  When we are root the browser also runs in a fresh
network namespace (``unshare -n``), where no network exists at all; in every
case the page is told it is offline and all host names fail to resolve.
"""
from __future__ import annotations

import fcntl
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field

CHROMIUM = "/usr/bin/chromium"


def ensure_chromium() -> str:
    """Install Debian's chromium when missing (as root); fail clearly otherwise."""
    path = shutil.which("chromium") or (CHROMIUM if os.path.exists(CHROMIUM) else None)
    if path:
        return path
    if os.geteuid() == 0 and shutil.which("apt-get"):
        # pytest-xdist workers may get here together: one installs, the others wait
        with open(os.path.join(tempfile.gettempdir(), "dmabuf-lab-chromium-install.lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not os.path.exists(CHROMIUM):
                env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
                subprocess.run(["apt-get", "update", "-q"], check=True, env=env,
                               stdout=subprocess.DEVNULL)
                subprocess.run(["apt-get", "install", "-y", "-q", "chromium", "chromium-driver"],
                               check=True, env=env, stdout=subprocess.DEVNULL)
        path = shutil.which("chromium") or CHROMIUM
        if os.path.exists(path):
            return path
    raise RuntimeError("headless Chromium is needed for the site test: install it with "
                       "`apt-get update && apt-get install -y chromium chromium-driver` (as root)")


@dataclass
class PageReport:
    url: str
    charts_total: int = 0
    charts_drawn: int = 0               # containers holding an <svg> or <canvas>
    charts_done: bool = False
    console_errors: list[str] = field(default_factory=list)
    network_requests: list[str] = field(default_factory=list)
    layout: dict | None = None          # LAYOUT_JS's measurements, when asked for


#: Measures, after the charts are drawn, what a reader at this window width sees:
#: the page's own horizontal overflow, each chart box against the viewport (and,
#: for a box that scrolls, whether its legend is inside the visible part), and
#: each lab table's drawn rows against the frame's row count it declares.
LAYOUT_JS = r"""
(function () {
  var vw = document.documentElement.clientWidth;
  function box(r) { return {left: r.left, right: r.right, top: r.top, bottom: r.bottom}; }
  var charts = Array.from(document.querySelectorAll('.vega-chart')).map(function (el) {
    var r = el.getBoundingClientRect();
    var style = getComputedStyle(el);
    var legends = Array.from(el.querySelectorAll('.role-legend')).map(function (g) {
      return box(g.getBoundingClientRect());
    });
    return {id: el.id, box: box(r), scrollWidth: el.scrollWidth, clientWidth: el.clientWidth,
            overflowX: style.overflowX, legends: legends};
  });
  var tables = Array.from(document.querySelectorAll('.lab-frame')).map(function (el) {
    var heads = Array.from(el.querySelectorAll('thead th')).map(function (th) { return th.textContent; });
    var scroller = el.querySelector('.lab-frame-scroll');
    return {rows: Number(el.dataset.rows), shown: Number(el.dataset.shown),
            drawn: el.querySelectorAll('tbody tr').length, columns: heads,
            right: el.getBoundingClientRect().right,
            scrollerRight: scroller ? scroller.getBoundingClientRect().right : null};
  });
  var foreign = document.querySelectorAll('table.dataframe').length;
  return JSON.stringify({viewport: vw, pageScrollWidth: document.documentElement.scrollWidth,
                         charts: charts, tables: tables, polarsTables: foreign});
})()
"""


class Browser:
    """One headless Chromium driven over a DevTools pipe."""

    def __init__(self, chromium: str, *, timeout: float = 60.0):
        self.timeout = timeout
        self.profile = tempfile.mkdtemp(prefix="dmabuf-lab-chromium-")
        cmd_r, cmd_w = os.pipe()       # we write commands, chromium reads fd 3
        res_r, res_w = os.pipe()       # chromium writes fd 4, we read
        argv = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-extensions", "--disable-dev-shm-usage",
                "--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=127.0.0.1:9",
                "--allow-file-access-from-files", f"--user-data-dir={self.profile}",
                "--remote-debugging-pipe", "about:blank"]
        if os.geteuid() == 0 and shutil.which("unshare"):
            if subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode == 0:
                argv = ["unshare", "-n", *argv]
        self.isolated = argv[0] == "unshare"

        def wire_fds():
            # move both ends above the low numbers first, then place them on 3 and 4
            a = fcntl.fcntl(cmd_r, fcntl.F_DUPFD, 10)
            b = fcntl.fcntl(res_w, fcntl.F_DUPFD, 10)
            os.dup2(a, 3)
            os.dup2(b, 4)

        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, preexec_fn=wire_fds,
                                     pass_fds=(3, 4))
        os.close(cmd_r)
        os.close(res_w)
        self._w, self._r = cmd_w, res_r
        self._buf = b""
        self._next_id = 0
        self.events: list[dict] = []

    # -- protocol ---------------------------------------------------------
    def _read_message(self, deadline: float) -> dict:
        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no answer from Chromium")
            ready, _, _ = select.select([self._r], [], [], left)
            if ready:
                chunk = os.read(self._r, 1 << 16)
                if not chunk:
                    raise RuntimeError("Chromium closed the DevTools pipe")
                self._buf += chunk
        raw, self._buf = self._buf.split(b"\0", 1)
        return json.loads(raw)

    def send(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        self._next_id += 1
        msg = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self._w, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + self.timeout
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def pump(self, seconds: float) -> None:
        """Collect events for a while."""
        deadline = time.monotonic() + seconds
        while True:
            try:
                self.events.append(self._read_message(deadline))
            except TimeoutError:
                return

    # -- pages ------------------------------------------------------------
    def open(self, url: str, *, wait: float = 30.0, width: int | None = None, height: int = 900,
             layout: bool = False, screenshot: str | None = None) -> PageReport:
        """Load ``url``; with ``width`` in a window that wide, ``layout`` measures it
        (:data:`LAYOUT_JS`), ``screenshot`` writes a PNG of the whole page there."""
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for method in ("Runtime.enable", "Log.enable", "Network.enable", "Page.enable"):
            self.send(method, session=session)
        if width is not None:
            self.send("Emulation.setDeviceMetricsOverride", {"width": width, "height": height,
                      "deviceScaleFactor": 1, "mobile": False}, session=session)
        self.send("Network.emulateNetworkConditions", {"offline": True, "latency": 0,
                  "downloadThroughput": 0, "uploadThroughput": 0}, session=session)
        self.events.clear()
        self.send("Page.navigate", {"url": url}, session=session)
        report = PageReport(url)
        deadline = time.monotonic() + wait
        expr = "document.readyState === 'complete' && document.documentElement.dataset.chartsDone === 'yes'"
        while time.monotonic() < deadline:
            done = self.send("Runtime.evaluate", {"expression": expr, "returnByValue": True},
                             session=session)["result"].get("value")
            if done:
                report.charts_done = True
                break
            self.pump(0.2)
        self.pump(0.3)
        check = ("JSON.stringify({total: document.querySelectorAll('.vega-chart').length,"
                 " drawn: Array.from(document.querySelectorAll('.vega-chart'))"
                 ".filter(e => e.querySelector('svg, canvas')).length})")
        counts = json.loads(self.send("Runtime.evaluate", {"expression": check, "returnByValue": True},
                                      session=session)["result"]["value"])
        report.charts_total, report.charts_drawn = counts["total"], counts["drawn"]
        if layout:
            report.layout = json.loads(self.send("Runtime.evaluate", {"expression": LAYOUT_JS,
                                                 "returnByValue": True}, session=session)["result"]["value"])
        if screenshot:
            self._screenshot(session, screenshot, width or 0)
        for ev in self.events:
            if ev.get("sessionId") != session:
                continue
            method, params = ev.get("method"), ev.get("params", {})
            if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                text = " ".join(str(a.get("value", a.get("description", ""))) for a in params.get("args", []))
                report.console_errors.append(text)
            elif method == "Runtime.exceptionThrown":
                details = params.get("exceptionDetails", {})
                report.console_errors.append(details.get("exception", {}).get("description")
                                             or details.get("text", "exception"))
            elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
                entry = params["entry"]
                report.console_errors.append(f"{entry.get('source')}: {entry.get('text')} {entry.get('url', '')}")
            elif method == "Network.requestWillBeSent":
                req = params.get("request", {}).get("url", "")
                if not req.startswith(("file:", "data:", "about:", "blob:")):
                    report.network_requests.append(req)
        self.send("Target.closeTarget", {"targetId": target})
        return report

    def _screenshot(self, session: str, path: str, width: int, tile: int = 2400) -> None:
        """The whole page as PNGs: ``path`` for the first ``tile`` pixels, then
        ``<path stem>.2.png``, ``.3.png`` ... for the rest (long pages stay readable)."""
        import base64

        size = self.send("Page.getLayoutMetrics", session=session)["cssContentSize"]
        stem = path[:-4] if path.endswith(".png") else path
        top, n = 0, 1
        while top < size["height"] and n <= 20:
            shot = self.send("Page.captureScreenshot", {
                "format": "png", "captureBeyondViewport": True,
                "clip": {"x": 0, "y": top, "width": max(size["width"], width),
                         "height": min(tile, size["height"] - top), "scale": 1}}, session=session)
            name = path if n == 1 else f"{stem}.{n}.png"
            with open(name, "wb") as out:
                out.write(base64.b64decode(shot["data"]))
            top += tile
            n += 1

    def close(self) -> None:
        try:
            self.send("Browser.close")
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for fd in (self._w, self._r):
            try:
                os.close(fd)
            except OSError:
                pass
        shutil.rmtree(self.profile, ignore_errors=True)
