"""Open a page in headless Chromium and record what a person would see (DevTools protocol).

``open_page(url, png)`` starts Debian's ``chromium`` with a fresh profile and no background
networking, loads ``url``, and returns a :class:`PageLog` with the console errors, every
request to a non-file URL, the rendered size of every figure (``svg``/``img``) and the page
title; a full-page screenshot is written to ``png``. ``ensure_chromium()`` installs the
browser (``apt-get install chromium``, as root) when ``/usr/bin/chromium`` is missing, and
skips the calling test when it cannot.
"""

from __future__ import annotations

import base64
import contextlib
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
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--hide-scrollbars",
    "--remote-debugging-port=0",
]
#: Tallest full-page screenshot taken (CSS pixels).
MAX_SCREENSHOT_HEIGHT = 20_000
_LOCAL = ("file:", "data:", "about:", "blob:", "devtools:", "chrome:")


@dataclass
class PageLog:
    """What the browser saw while loading a page."""

    console_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    figures: list[tuple[float, float]] = field(default_factory=list)
    title: str = ""
    load_ms: float = float("nan")


def ensure_chromium() -> Path:
    """Return the Chromium binary, installing Debian's package as root when it is missing."""
    if CHROMIUM.exists():
        return CHROMIUM
    if hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        for cmd in (["apt-get", "update"], ["apt-get", "install", "-y", "chromium"]):
            done = subprocess.run(cmd, capture_output=True, env=env, check=False)
            if done.returncode != 0:
                pytest.skip(f"could not install chromium: {' '.join(cmd)} failed")
    if not CHROMIUM.exists():
        pytest.skip("chromium is not installed and cannot be installed here")
    return CHROMIUM


class _DevTools:
    """Minimal DevTools client: numbered commands, events buffered while waiting."""

    def __init__(self, ws_url: str) -> None:
        import websocket

        self.ws = websocket.create_connection(ws_url, timeout=60, suppress_origin=True)
        self.next_id = 0
        self.events: list[dict[str, Any]] = []

    def send(self, method: str, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        msg_id = self.next_id
        self.ws.send(json.dumps({"id": msg_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("id") == msg_id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                result: dict[str, Any] = msg.get("result", {})
                return result
            if "method" in msg:
                self.events.append(msg)

    def wait_for(self, method: str, timeout: float = 60.0) -> None:
        if any(e["method"] == method for e in self.events):
            return
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            msg = json.loads(self.ws.recv())
            if "method" in msg:
                self.events.append(msg)
                if msg["method"] == method:
                    return
        raise TimeoutError(f"no {method} within {timeout} s")

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.ws.close()


def _port(profile: Path, proc: subprocess.Popen[bytes], timeout: float = 60.0) -> int:
    marker = profile / "DevToolsActivePort"
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if marker.exists():
            lines = marker.read_text().splitlines()
            if lines and lines[0].strip().isdigit():
                return int(lines[0])
        if proc.poll() is not None:
            raise RuntimeError(f"chromium exited with code {proc.returncode}")
        time.sleep(0.1)
    raise TimeoutError("chromium did not open its DevTools port")


_FIGURES_JS = """JSON.stringify(Array.from(document.querySelectorAll('svg, img'))
  .filter(e => !(e.parentElement && e.parentElement.closest('svg')))
  .map(e => { const r = e.getBoundingClientRect(); return [r.width, r.height]; }))"""


def open_page(url: str, png: Path, *, width: int = 1280, height: int = 2000) -> PageLog:
    """Load ``url`` in headless Chromium, screenshot the whole page to ``png``, report."""
    binary = ensure_chromium()
    profile = Path(tempfile.mkdtemp(prefix="custloyalty-chromium-"))
    proc = subprocess.Popen(
        [str(binary), *FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    client: _DevTools | None = None
    try:
        port = _port(profile, proc)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=30) as resp:
            targets = json.loads(resp.read())
        page = next(t for t in targets if t.get("type") == "page")
        client = _DevTools(page["webSocketDebuggerUrl"])
        for domain in ("Page", "Runtime", "Log", "Network"):
            client.send(f"{domain}.enable")
        client.send(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )
        start = time.monotonic()
        client.send("Page.navigate", url=url)
        client.wait_for("Page.loadEventFired")
        load_ms = 1000.0 * (time.monotonic() - start)
        title = client.send("Runtime.evaluate", expression="document.title")["result"]["value"]
        sizes = client.send("Runtime.evaluate", expression=_FIGURES_JS)["result"]["value"]
        metrics = client.send("Page.getLayoutMetrics")
        content = metrics.get("cssContentSize") or metrics["contentSize"]
        full_h = min(float(content["height"]), MAX_SCREENSHOT_HEIGHT)
        shot = client.send(
            "Page.captureScreenshot",
            format="png",
            captureBeyondViewport=True,
            clip={"x": 0, "y": 0, "width": width, "height": full_h, "scale": 1},
        )
        png.parent.mkdir(parents=True, exist_ok=True)
        png.write_bytes(base64.b64decode(shot["data"]))
        log = PageLog(title=str(title), load_ms=load_ms)
        log.figures = [(float(w), float(h)) for w, h in json.loads(sizes)]
        for ev in client.events:
            method, params = ev["method"], ev.get("params", {})
            if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                args = params.get("args", [])
                log.console_errors.append(
                    " ".join(str(a.get("value", a.get("description", ""))) for a in args)
                )
            elif method == "Runtime.exceptionThrown":
                details = params.get("exceptionDetails", {})
                log.console_errors.append(str(details.get("text", details)))
            elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
                log.console_errors.append(str(params["entry"].get("text", "")))
            elif method == "Network.requestWillBeSent":
                req_url = str(params.get("request", {}).get("url", ""))
                if not req_url.startswith(_LOCAL):
                    log.requests.append(req_url)
        return log
    finally:
        if client is not None:
            client.close()
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=20)
        shutil.rmtree(profile, ignore_errors=True)
