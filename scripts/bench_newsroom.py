"""The benchmark's loopback newsroom (pages and feeds served over HTTP) and its memory sampler.

Used by `bench_pipeline.py`; see its docstring.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
import time
from collections.abc import Iterator
from email.utils import formatdate
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

# the items' pubDate: a fixed day, so the run's date-aware flagging is reproducible
PUB_DATE = formatdate(time.mktime((2022, 3, 7, 9, 0, 0, 0, 0, -1)), usegmt=True)


# -- the loopback newsroom ---------------------------------------------------------------------


class Newsroom:
    """N article URLs over the corpus pages, and the feeds that list them (rendered once)."""

    def __init__(self, pages: list[tuple[str, bytes]], articles: int, feeds: int) -> None:
        self.pages = pages
        self.articles = articles
        self.per_feed = -(-articles // feeds)
        self.feed_count = -(-articles // self.per_feed)
        self.base = ""
        self.feed_bodies: dict[int, tuple[bytes, str]] = {}

    def page_of(self, article: int) -> tuple[str, bytes]:
        return self.pages[article % len(self.pages)]

    def path_of(self, article: int) -> str:
        return f"/a/{article}/{self.page_of(article)[0]}"

    def render(self, base: str) -> None:
        """The feed bodies and their ETags, once the server's address is known."""
        self.base = base
        for k in range(self.feed_count):
            items = []
            for i in range(k * self.per_feed, min(self.articles, (k + 1) * self.per_feed)):
                name = self.page_of(i)[0].rsplit(".", 1)[0]
                link = escape(base + self.path_of(i))
                items.append(
                    f"<item><title>{escape(name)} #{i}</title><link>{link}</link>"
                    f"<guid>{link}</guid><pubDate>{PUB_DATE}</pubDate></item>"
                )
            body = (
                '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>'
                f"<title>Bench {k}</title><link>{base}/</link><description>bench</description>"
                + "".join(items)
                + "</channel></rss>"
            ).encode()
            self.feed_bodies[k] = (body, '"' + hashlib.sha256(body).hexdigest()[:16] + '"')

    def feeds(self) -> dict[str, dict[str, Any]]:
        """The `feeds` argument of the daily flow."""
        return {
            f"bench-{k}": {"url": f"{self.base}/feeds/{k}.xml", "outlet": f"Bench {k % 5}"}
            for k in range(self.feed_count)
        }


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as real news sites
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        room = self.server.room
        parts = self.path.split("/")
        try:
            if parts[1] == "feeds":
                body, etag = room.feed_bodies[int(parts[2].split(".")[0])]
                if self.headers.get("If-None-Match") == etag:
                    self.server.count("304")
                    self._send(304, b"", "application/rss+xml", etag)
                else:
                    self.server.count("feed")
                    self._send(200, body, "application/rss+xml; charset=utf-8", etag)
                return
            if parts[1] == "a" and 0 <= int(parts[2]) < room.articles:
                self.server.count("page")
                self._send(200, room.page_of(int(parts[2]))[1], "text/html", None)
                return
        except (IndexError, ValueError, KeyError):
            pass
        self._send(404, b"not found", "text/plain", None)

    def _send(self, status: int, body: bytes, content_type: str, etag: str | None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if etag:
            self.send_header("ETag", etag)
        self.end_headers()
        if body:
            self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    room: Newsroom

    def __init__(self, room: Newsroom) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.room = room
        self.hits: dict[str, int] = {}
        self._lock = threading.Lock()

    def count(self, what: str) -> None:
        with self._lock:
            self.hits[what] = self.hits.get(what, 0) + 1


# The newsroom is served under a fake host routed to its loopback port (as the demo is): the
# fetch guard refuses loopback addresses to a feed, and a user's --config need not allow them.
BENCH_HOST = "bench.diplowatch.invalid"


def route_of(server: _Server) -> dict[str, str]:
    return {BENCH_HOST: f"127.0.0.1:{server.server_address[1]}"}


@contextlib.contextmanager
def serving(room: Newsroom) -> Iterator[_Server]:
    server = _Server(room)
    room.render(f"http://{BENCH_HOST}")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


# -- memory ------------------------------------------------------------------------------------


def _proc_kb(pid: int | str, file: str, key: str) -> int:
    """A `key:  N kB` line of /proc/PID/FILE (status, smaps_rollup); 0 when the process is gone."""
    try:
        for line in Path(f"/proc/{pid}/{file}").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _children(pid: int) -> list[int]:
    """The processes `pid` started, from each of its threads' children lists (no /proc scan)."""
    kids: list[int] = []
    try:
        for task in os.scandir(f"/proc/{pid}/task"):
            with contextlib.suppress(OSError):
                kids += [int(k) for k in Path(f"{task.path}/children").read_text().split()]
    except OSError:
        pass
    return kids


def _workers(pid: int) -> list[int]:
    """The analysis processes under `pid`: multiprocessing's, and what they started (a local
    engine's forkserver and the workers it forked). Prefect's temporary server is left out."""
    found: list[int] = []
    todo = [k for k in _children(pid) if _is_multiprocessing(k)]
    while todo:
        kid = todo.pop()
        found.append(kid)
        todo += _children(kid)
    return found


_TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far (0.0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICKS  # utime, stime: fields 14, 15 of stat


def _is_multiprocessing(pid: int) -> bool:
    try:
        return b"multiprocessing" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


class MemorySampler:
    """Peak memory of this process and of its analysis processes, sampled every 0.1 s.

    Worker peaks read VmHWM (the kernel's own high-water mark), so a spike between two samples
    still counts. Two totals, each the largest sum seen in one sample: RSS counts the pages the
    forked workers share with their forkserver once per process; PSS (proportional set size,
    /proc/PID/smaps_rollup) splits each shared page between its sharers, so it adds up to the
    memory actually in use.
    """

    def __init__(self, interval: float = 0.1) -> None:
        self.interval = interval
        self.main_kb = 0
        self.worker_kb: dict[int, int] = {}
        self.total_kb = 0
        self.total_pss_kb = 0
        self.worker_cpu: dict[int, float] = {}  # CPU seconds of each, as last seen
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.available = Path("/proc/self/status").exists()

    def _sample(self, with_pss: bool) -> None:
        main = _proc_kb("self", "status", "VmRSS")
        self.main_kb = max(self.main_kb, main)
        rss, pss = main, _proc_kb("self", "smaps_rollup", "Pss") if with_pss else 0
        for pid in _workers(os.getpid()):
            self.worker_kb[pid] = max(self.worker_kb.get(pid, 0), _proc_kb(pid, "status", "VmHWM"))
            rss += _proc_kb(pid, "status", "VmRSS")
            if with_pss:
                pss += _proc_kb(pid, "smaps_rollup", "Pss")
            self.worker_cpu[pid] = max(self.worker_cpu.get(pid, 0.0), _cpu_seconds(pid))
        self.total_kb = max(self.total_kb, rss)
        self.total_pss_kb = max(self.total_pss_kb, pss)

    def _run(self) -> None:
        # PSS costs the kernel a walk of every page table: read once a second, not to weigh on
        # the run it measures (the RSS figures, cheap, every interval)
        every = max(1, round(1.0 / self.interval))
        count = 0
        while not self._stop.is_set():
            self._sample(with_pss=count % every == 0)
            count += 1
            self._stop.wait(self.interval)

    def __enter__(self) -> MemorySampler:
        if self.available:
            self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        if self.available:
            self._thread.join()
        else:  # no /proc: the kernel's maxima for this process and its largest child
            import resource

            self.main_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            self.worker_kb = {0: resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}
