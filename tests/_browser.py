"""Open a page in headless Chromium and record what a person would see go wrong.

``open_page(url, png)`` starts Debian's ``chromium`` with a fresh profile and no background
traffic, drives it through the DevTools protocol (``--remote-debugging-port`` on the loopback,
``websocket-client`` from the dev extra), loads ``url``, waits for the load event, for MathJax
to finish typesetting (when the page has it) and for every image, then returns a
:class:`PageLog` and writes a screenshot of the whole page (up to
:data:`MAX_SCREENSHOT_HEIGHT` CSS pixels) to ``png``.

One helper for the report (``tests/report/test_browser.py``) and the documentation site
(``tests/test_docs_site.py``). A test calls :func:`ensure_chromium` first: it returns the
binary, installing Debian's package as root when it is missing (``apt-get update && apt-get
install -y chromium``); when that cannot be done it fails the test on CI (the ``CI``
environment variable is set) and skips it elsewhere, with the reason.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-default-apps",
    "--disable-extensions",
    "--hide-scrollbars",
    "--mute-audio",
)

#: Tallest screenshot taken (CSS pixels): the whole page up to this height.
MAX_SCREENSHOT_HEIGHT = 20_000

#: URL schemes that never leave the machine.
LOCAL_SCHEMES = ("file:", "data:", "blob:", "about:", "chrome:", "devtools:")

# Everything the page has to settle before it is measured: MathJax's first typeset (when the
# page loads MathJax) and every <img>, loaded or failed.
_SETTLE = """
(async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    await MathJax.startup.promise;
  }
  await Promise.all([...document.images].map(img => img.complete ? null :
    new Promise(done => { img.addEventListener('load', done); img.addEventListener('error', done); })));
  await new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)));
  return true;
})()
"""

# A figure is an <img>, or an <svg> drawn as a figure (inside <figure> or with class "figure",
# as the report draws them), never an icon or an <svg> nested in another; a broken image has no
# natural size and counts as 0 x 0.
_MEASURE = """
(() => {
  const found = [...document.querySelectorAll('img, figure svg, svg.figure')]
    .filter(el => !(el.parentElement && el.parentElement.closest('svg')));
  const figures = found.map(el => {
    const box = el.getBoundingClientRect();
    if (el.tagName === 'IMG' && !(el.complete && el.naturalWidth > 0)) return [0, 0];
    return [box.width, box.height];
  });
  return {
    title: document.title,
    figures: figures,
    math: document.querySelectorAll('mjx-container, .katex').length,
    text: document.body ? document.body.innerText : '',
  };
})()
"""


@dataclass
class PageLog:
    """What happened while a page loaded in headless Chromium.

    ``console_errors``: console errors, uncaught exceptions and failed loads, one line each;
    ``requests``: URLs requested that are not local (``file:``, ``data:``, ``blob:`` ...);
    ``figures``: (width, height) in CSS pixels of every figure (``<img>``, ``<figure> <svg>``,
    ``svg.figure``), (0, 0) for a broken image; ``title``: the document title;
    ``math``: number of typeset formulas (MathJax or KaTeX elements); ``text``: the visible text;
    ``load_ms``: milliseconds from navigation to the settled page (MathJax and images done).
    """

    console_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    figures: list[tuple[float, float]] = field(default_factory=list)
    title: str = ""
    math: int = 0
    text: str = ""
    load_ms: float = float("nan")


def chromium() -> Path | None:
    """Return the Chromium binary, installing Debian's package as root when it is missing.

    ``None`` when it is missing and cannot be installed here; :func:`ensure_chromium` turns
    that into a skip (or a failure on CI) with the reason.
    """
    return _install()[0]


def _install() -> tuple[Path | None, str]:
    """The binary (or None) and, when None, why it could not be installed."""
    if CHROMIUM.exists():
        return CHROMIUM, ""
    if not shutil.which("apt-get"):
        return None, "chromium is not installed and there is no apt-get to install it"
    if not (hasattr(os, "geteuid") and os.geteuid() == 0):
        return None, "chromium is not installed and only root can install it (apt-get)"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd in (["apt-get", "update"], ["apt-get", "install", "-y", "chromium"]):
        done = subprocess.run(cmd, check=False, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or [""]
            return None, f"could not install chromium: {' '.join(cmd)} failed: {tail[0]}"
    if not CHROMIUM.exists():
        return None, f"apt-get installed chromium but {CHROMIUM} is missing"
    return CHROMIUM, ""


def ensure_chromium() -> Path:
    """Return the Chromium binary for a test, installing it when missing (see :func:`chromium`).

    When Chromium cannot be had (or ``websocket-client`` is missing) the calling test is
    failed on CI (``CI`` set in the environment: the browser tests must run there) and
    skipped elsewhere, with the reason.
    """
    binary, reason = _install()
    if binary is not None:
        try:
            import websocket  # noqa: F401  websocket-client, dev extra
        except ImportError:
            reason = "websocket-client is not installed (pip install -e '.[dev]')"
        else:
            return binary
    if os.environ.get("CI"):
        pytest.fail(f"CI must run the browser tests: {reason}", pytrace=False)
    pytest.skip(reason)


class _DevTools:
    """A minimal DevTools protocol client over one page target's websocket."""

    def __init__(self, ws_url: str, deadline: float) -> None:
        import websocket  # websocket-client, dev extra

        self.deadline = deadline
        self.ws = websocket.create_connection(ws_url, timeout=5, suppress_origin=True)
        self.next_id = 0
        self.events: list[dict[str, Any]] = []

    def _recv(self) -> dict[str, Any]:
        if time.monotonic() > self.deadline:
            msg = "the page did not settle in time"
            raise TimeoutError(msg)
        self.ws.settimeout(max(0.1, self.deadline - time.monotonic()))
        return json.loads(self.ws.recv())  # type: ignore[no-any-return]

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = self._recv()
            if message.get("id") == self.next_id:
                if "error" in message:
                    msg = f"{method}: {message['error']}"
                    raise RuntimeError(msg)
                return message.get("result", {})  # type: ignore[no-any-return]
            if "method" in message:
                self.events.append(message)

    def wait_for(self, method: str) -> None:
        if any(e["method"] == method for e in self.events):
            return
        while True:
            message = self._recv()
            if "method" in message:
                self.events.append(message)
                if message["method"] == method:
                    return

    def evaluate(self, expression: str) -> Any:
        result = self.call(
            "Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True
        )
        if "exceptionDetails" in result:
            msg = f"page script failed: {result['exceptionDetails']}"
            raise RuntimeError(msg)
        return result["result"].get("value")

    def close(self) -> None:
        self.ws.close()


def _devtools_port(profile: Path, proc: subprocess.Popen[bytes], deadline: float) -> int:
    port_file = profile / "DevToolsActivePort"
    while time.monotonic() < deadline:
        if port_file.exists():
            lines = port_file.read_text(encoding="utf-8").split()
            if lines:
                return int(lines[0])
        if proc.poll() is not None:
            msg = f"chromium exited with status {proc.returncode}"
            raise RuntimeError(msg)
        time.sleep(0.05)
    msg = "chromium did not open its DevTools port in time"
    raise TimeoutError(msg)


def _page_websocket(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=5) as response:
        targets = json.load(response)
    return str(next(t["webSocketDebuggerUrl"] for t in targets if t["type"] == "page"))


def _describe(event: dict[str, Any]) -> str | None:
    """One line for an event that is an error the reader would see in the console."""
    method, params = event["method"], event.get("params", {})
    if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
        args = params.get("args", [])
        return "console: " + " ".join(str(a.get("value", a.get("description", ""))) for a in args)
    if method == "Runtime.exceptionThrown":
        details = params.get("exceptionDetails", {})
        text = details.get("exception", {}).get("description") or details.get("text", "")
        return f"exception: {text}"
    if method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
        entry = params["entry"]
        return f"log: {entry.get('text', '')} {entry.get('url', '')}".strip()
    if method == "Network.loadingFailed" and not params.get("canceled"):
        return f"failed load: {params.get('errorText', '')} ({params.get('requestId')})"
    return None


def open_page(url: str, png: Path, *, width: int = 1280, height: int = 2000) -> PageLog:
    """Load ``url`` in headless Chromium, write a screenshot to ``png``, return a PageLog.

    ``width`` x ``height`` is the viewport; the screenshot covers the whole page, up to
    :data:`MAX_SCREENSHOT_HEIGHT`. Raises RuntimeError when Chromium is missing (call
    :func:`ensure_chromium` first) and TimeoutError when the page does not settle within 60 s.
    """
    binary = chromium()
    if binary is None:
        msg = "chromium is not installed (apt-get install chromium)"
        raise RuntimeError(msg)
    deadline = time.monotonic() + 60.0
    profile = Path(tempfile.mkdtemp(prefix="custloyalty-chromium-"))
    proc = subprocess.Popen(
        [
            str(binary),
            *FLAGS,
            f"--user-data-dir={profile}",
            "--remote-debugging-address=127.0.0.1",
            "--remote-debugging-port=0",
            f"--window-size={width},{height}",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    tools: _DevTools | None = None
    try:
        port = _devtools_port(profile, proc, deadline)
        tools = _DevTools(_page_websocket(port), deadline)
        for domain in ("Page", "Runtime", "Log", "Network"):
            tools.call(f"{domain}.enable")
        tools.call(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )
        tools.events.clear()
        start = time.monotonic()
        tools.call("Page.navigate", url=url)
        tools.wait_for("Page.loadEventFired")
        tools.evaluate(_SETTLE)
        load_ms = 1000.0 * (time.monotonic() - start)
        measured = tools.evaluate(_MEASURE)
        metrics = tools.call("Page.getLayoutMetrics")
        content = metrics.get("cssContentSize") or metrics["contentSize"]
        shot = tools.call(
            "Page.captureScreenshot",
            format="png",
            captureBeyondViewport=True,
            clip={
                "x": 0,
                "y": 0,
                "width": width,
                "height": max(1.0, min(float(content["height"]), MAX_SCREENSHOT_HEIGHT)),
                "scale": 1,
            },
        )
        png.parent.mkdir(parents=True, exist_ok=True)
        png.write_bytes(base64.b64decode(shot["data"]))
        log = PageLog(
            title=measured["title"],
            figures=[(float(w), float(h)) for w, h in measured["figures"]],
            math=int(measured["math"]),
            text=measured["text"],
            load_ms=load_ms,
        )
        for event in tools.events:
            if event["method"] == "Network.requestWillBeSent":
                requested = event["params"]["request"]["url"]
                if not requested.startswith(LOCAL_SCHEMES):
                    log.requests.append(requested)
            elif (line := _describe(event)) is not None:
                log.console_errors.append(line)
        return log
    finally:
        if tools is not None:
            tools.close()
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(profile, ignore_errors=True)
