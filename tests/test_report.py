"""`diplowatch report` on the demo: one self-contained file, rendered in a real headless Chromium.

The browser is Debian's Chromium driven over the DevTools protocol on a pipe
(`--remote-debugging-pipe`): the test sees every request the page makes (Network events), takes
the screenshot itself, and asks the page what a reader would see. No port is opened, and the
host resolver maps every name to nothing, so even a page that tried could reach no network.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import re
import shutil
import struct
import subprocess
import time
import zlib
from pathlib import Path
from typing import Any

import duckdb
import pytest

from diplowatch.cli import main

pytestmark = pytest.mark.slow

CHROMIUM = next((p for p in map(shutil.which, ("chromium", "chromium-browser")) if p), None)
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None,
    reason="no Chromium on this machine (.ci/run installs Debian's: apt-get install chromium)",
)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, prefect_harness: None) -> tuple[Path, str]:
    """The demo run once through the CLI, as `make demo` runs it; (its db, what it printed)."""
    import io

    db = tmp_path_factory.mktemp("report") / "demo.duckdb"
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert main(["demo", "-q", "--db", str(db)]) == 0
    return db, printed.getvalue()


@pytest.fixture(scope="module")
def report(demo: tuple[Path, str], tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("html") / "r.html"
    began = time.perf_counter()
    assert main(["report", "--db", str(demo[0]), "--out", str(out)]) == 0
    print(f"report: {out.stat().st_size / 1024:.0f} KiB in {time.perf_counter() - began:.2f} s")
    return out


def test_demo_ends_with_its_report_and_an_event(demo: tuple[Path, str]) -> None:
    db, printed = demo
    beside = db.with_name("demo-report.html")
    assert f"Report: {beside}: " in printed and beside.stat().st_size > 10_000
    tail = printed.split("What each side said of one event", 1)[1]
    assert re.search(r"^== ev-", tail, re.M) and re.search(r"^  RUS:$", tail, re.M)
    with duckdb.connect(str(db), read_only=True) as con:
        row = con.execute("SELECT count(*), count(DISTINCT copy_group) FROM articles").fetchone()
    assert row is not None and row[1] < row[0]


def test_readouts_show_an_event_told_by_two_countries(
    demo: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["readouts", "--db", str(demo[0]), "--format", "json"]) == 0
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert events and all(len(ev["sides"]) >= 2 for ev in events)
    two = [ev for ev in events if {"USA", "RUS"} <= set(ev["sides"])]
    assert two, "no event where both the USA and Russia speak"
    for claim in two[0]["sides"]["RUS"]:
        assert claim["speaker_country"] == "RUS" and claim["kind"] and claim["url"]


def test_report_is_self_contained(report: Path) -> None:
    html = report.read_text(encoding="utf-8")
    # nothing to fetch: no script, stylesheet, image, frame or font from anywhere
    assert not re.search(r"<(script|link|img|iframe|object|embed|source|video|audio)\b", html, re.I)
    assert not re.search(r"""(src|srcset|poster)\s*=|url\(\s*['"]?\s*(https?:)?//""", html, re.I)
    assert not re.search(r"@import", html)
    assert html.count("<svg") >= 4
    # every claim links to its sentence in the report, and every such anchor exists
    targets = set(re.findall(r'href="#(a\d+-c\d+)"', html))
    ids = set(re.findall(r'id="(a\d+-c\d+)"', html))
    assert targets and targets <= ids


def _png_pixels(png: bytes) -> tuple[int, int, list[bytes]]:
    """Width, height and the unfiltered rows of an 8-bit RGB(A) PNG, as Chromium writes them."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    at, idat, width, height, channels = 8, b"", 0, 0, 4
    while at < len(png):
        (length,), kind = struct.unpack(">I", png[at : at + 4]), png[at + 4 : at + 8]
        data = png[at + 8 : at + 8 + length]
        if kind == b"IHDR":
            width, height, depth, color = struct.unpack(">IIBB", data[:10])
            assert depth == 8 and color in (2, 6)
            channels = 3 if color == 2 else 4
        elif kind == b"IDAT":
            idat += data
        at += 12 + length
    raw, stride, rows, prev = zlib.decompress(idat), width * channels, [], bytes(width * channels)
    for y in range(height):
        filt, line = (
            raw[y * (stride + 1)],
            bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)]),
        )
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b, c = prev[i], prev[i - channels] if i >= channels else 0
            if filt == 1:
                line[i] = (line[i] + a) & 255
            elif filt == 2:
                line[i] = (line[i] + b) & 255
            elif filt == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif filt == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = bytes(line)
    return width, height, [bytes(r[i : i + 3]) for r in rows for i in range(0, stride, channels)]


class Browser:
    """Headless Chromium over the DevTools protocol on fds 3/4, one page, every event kept."""

    def __init__(self, profile: Path) -> None:
        to_child, self._write = os.pipe()
        self._read, from_child = os.pipe()

        def fds() -> None:  # the child's fd 3 reads our commands, its fd 4 writes the answers
            os.dup2(to_child, 3)
            os.dup2(from_child, 4)

        assert CHROMIUM is not None
        self.proc = subprocess.Popen(
            [
                CHROMIUM,
                "--headless",
                "--remote-debugging-pipe",
                "--no-sandbox",  # CI runs as root, where Chromium's sandbox cannot start
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--host-resolver-rules=MAP * ~NOTFOUND",
                f"--user-data-dir={profile}",
                "about:blank",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            pass_fds=(3, 4),
            preexec_fn=fds,  # only dup2 runs in the child before exec
        )
        os.close(to_child)
        os.close(from_child)
        self._buffer, self._next = b"", 0
        self.events: list[dict[str, Any]] = []
        self.session = ""

    def send(self, method: str, params: dict[str, Any] | None = None, **kw: Any) -> Any:
        self._next += 1
        msg: dict[str, Any] = {"id": self._next, "method": method, "params": params or {}}
        if self.session and kw.get("session", True):
            msg["sessionId"] = self.session
        os.write(self._write, json.dumps(msg).encode() + b"\0")
        while True:
            reply = self._receive()
            if reply.get("id") == self._next:
                assert "error" not in reply, reply
                return reply.get("result", {})
            self.events.append(reply)

    def _receive(self, timeout: float = 60.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while b"\0" not in self._buffer:
            assert time.monotonic() < deadline, "Chromium did not answer"
            chunk = os.read(self._read, 1 << 20)
            assert chunk, "Chromium closed the pipe"
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        message: dict[str, Any] = json.loads(raw)
        return message

    def wait_for(self, method: str) -> dict[str, Any]:
        while True:
            for event in self.events:
                if event.get("method") == method:
                    self.events.remove(event)
                    return event
            self.events.append(self._receive())

    def open(self, url: str, width: int = 1200, height: int = 2000) -> None:
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        for domain in ("Network", "Page", "Runtime"):
            self.send(f"{domain}.enable")
        self.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
        )
        self.send("Page.navigate", {"url": url})
        self.wait_for("Page.loadEventFired")

    def evaluate(self, expression: str) -> Any:
        return self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True})[
            "result"
        ].get("value")

    def requested(self) -> list[str]:
        return [
            e["params"]["request"]["url"]
            for e in self.events
            if e.get("method") == "Network.requestWillBeSent"
        ]

    def close(self) -> None:
        with contextlib.suppress(AssertionError):  # it may close the pipe before answering
            self.send("Browser.close", session=False)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._write)
        os.close(self._read)


@needs_chromium
def test_report_renders_offline_in_chromium(report: Path, tmp_path: Path) -> None:
    browser = Browser(tmp_path / "profile")
    try:
        browser.open(report.as_uri())
        png = base64.b64decode(browser.send("Page.captureScreenshot", {"format": "png"})["data"])
        requested = browser.requested()
        # a claim's link shows its sentence, highlighted, in its article
        anchor = browser.evaluate("document.querySelector('a[href*=\"-c\"]').getAttribute('href')")
        browser.evaluate(f"location.hash = {json.dumps(anchor)}")
        target = browser.evaluate(
            "(() => { const m = document.querySelector(':target');"
            " return m && [m.tagName, getComputedStyle(m.closest('mark')).backgroundColor,"
            " m.closest('mark').getBoundingClientRect().top]; })()"
        )
        svgs = browser.evaluate(
            "[...document.querySelectorAll('svg')].filter(s => s.getBBox().width > 100).length"
        )
    finally:
        browser.close()
    (tmp_path / "report.png").write_bytes(png)
    assert [u for u in requested if not u.startswith(("file:", "data:", "about:"))] == []
    assert requested and requested[0] == report.as_uri()
    width, height, pixels = _png_pixels(png)
    assert (width, height) == (1200, 2000)
    colors = {p for p in pixels[::7]}
    inked = sum(1 for p in pixels[::7] if p != b"\xff\xff\xff" and p != b"\xfa\xfb\xfc")
    print(f"screenshot: {len(colors)} colours, {inked / len(pixels[::7]):.1%} inked")
    assert len(colors) > 50 and inked / len(pixels[::7]) > 0.05  # not blank
    assert svgs >= 4  # the charts drew
    assert target is not None and target[0] in ("MARK", "SPAN")
    assert target[1] not in ("rgba(0, 0, 0, 0)", "transparent") and 0 <= target[2] < 2000
