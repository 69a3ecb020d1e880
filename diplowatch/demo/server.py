"""A loopback HTTP server for the bundled offline demo sample (`diplowatch demo` and the tests).

The sample in `diplowatch/demo/sample/` is ours: invented dispatches in the style of French news
(`articles.toml`) and the feeds that list them (`feeds.toml`). The server renders, on request:

- `/feeds/<id>.xml`: each feed, RSS 2.0 or Atom, with `ETag` and `Last-Modified` headers and a
  `304 Not Modified` answer to a matching `If-None-Match` or `If-Modified-Since`; some feeds add
  tracking parameters (`xtor=...`, `utm_*`) to their links, as real French outlets do;
- `/<section>/YYYY/MM/DD/<slug>_<id>.html`: each article as a full news page, with the
  boilerplate that a cleaner must remove (site header and navigation, "Lire aussi" aside, footer
  with legal links, cookie banner);
- `/`: a small front page linking every article.

`loader.py` reads the sample, `pages.py` renders it; this module only serves it.

Anything else is a 404. The server logs nothing. It imports nothing from Prefect, so the CLI and
the tests can use it alike.

The sample lives at a fixed fake origin, `http://demo.diplowatch.invalid`, whatever loopback
port serves it: its URLs, hence the DuckDB keys, are the same from one demo to the next, and two
demos at once (or anything else on a port) never collide. `.invalid` never resolves (RFC 6761),
so a client reaches the sample only through the route the server hands out::

    with DemoServer() as server:
        feeds = server.feeds()      # same shape as config/feeds.toml's [feeds.<id>] tables
        articles = server.articles()
        server.route                # {"demo.diplowatch.invalid": "127.0.0.1:41234"}
        with httpx.Client(mounts=route_mounts(server.route, sync=True)) as client: ...
"""

from __future__ import annotations

import threading
from datetime import UTC
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.resources.abc import Traversable
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from diplowatch.demo.loader import DEFAULT_SAMPLE_DIR, load_sample
from diplowatch.demo.pages import Rendered, Renderer

DEMO_HOST = "demo.diplowatch.invalid"
DEMO_ORIGIN = f"http://{DEMO_HOST}"


def _not_modified(headers: Any, rendered: Rendered) -> bool:
    """Whether a conditional request's validators match (If-None-Match takes precedence)."""
    inm = headers.get("If-None-Match")
    if inm is not None:
        tags = {t.strip().removeprefix("W/") for t in inm.split(",")}
        return "*" in tags or rendered.etag in tags
    ims = headers.get("If-Modified-Since")
    if ims:
        try:
            since = parsedate_to_datetime(ims)
        except (TypeError, ValueError):
            return False
        if since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        return rendered.last_modified.replace(microsecond=0) <= since
    return False


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "JournalDemo/1.0"
    sys_version = ""
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the demo server logs no request."""

    def do_GET(self) -> None:
        self._answer(send_body=True)

    def do_HEAD(self) -> None:
        self._answer(send_body=False)

    def _answer(self, send_body: bool) -> None:
        rendered = self.server.resolve(urlsplit(self.path).path)
        if rendered is None:
            body = b'<!DOCTYPE html><html lang="fr"><title>404</title><p>Page introuvable</p>'
            self.send_response(404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if send_body:
                self.wfile.write(body)
            return
        validators = {
            "ETag": rendered.etag,
            "Last-Modified": format_datetime(rendered.last_modified.astimezone(UTC), usegmt=True),
            "Cache-Control": "max-age=60",
        }
        if _not_modified(self.headers, rendered):
            self.send_response(304)
            for key, value in validators.items():
                self.send_header(key, value)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", rendered.content_type)
        self.send_header("Content-Length", str(len(rendered.body)))
        for key, value in validators.items():
            self.send_header(key, value)
        self.end_headers()
        if send_body:
            self.wfile.write(rendered.body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    renderer: Renderer

    def resolve(self, path: str) -> Rendered | None:
        """The resource at `path`, or None."""
        r = self.renderer
        if path in ("/", "/index.html"):
            return r.render_index()
        if path.startswith("/feeds/") and path.endswith(".xml"):
            feed = r.feeds.get(path.removeprefix("/feeds/").removesuffix(".xml"))
            return r.render_feed(feed) if feed else None
        article = r.by_path.get(path)
        return r.render_article(article) if article else None

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Quiet: a client that hangs up early is not worth a traceback."""


class DemoServer:
    """Serves the demo sample on a free loopback port; use as a context manager.

    Its URLs are under `DEMO_ORIGIN` whatever the port; `route` says where to send them.
    """

    def __init__(self, sample_dir: Traversable | None = None) -> None:
        self.sample_dir = sample_dir if sample_dir is not None else DEFAULT_SAMPLE_DIR
        self._articles, self._feeds = load_sample(self.sample_dir)
        self._renderer = Renderer(self._articles, self._feeds, DEMO_ORIGIN)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> DemoServer:
        """Bind a free loopback port and serve in a daemon thread."""
        if self._server is not None:
            return self
        server = _Server(("127.0.0.1", 0), _Handler)
        server.renderer = self._renderer
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name="diplowatch-demo-server",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> DemoServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def address(self) -> str:
        """The loopback `127.0.0.1:PORT` that serves the sample, while started."""
        if self._server is None:
            raise RuntimeError("DemoServer is not started: use it as a context manager")
        return f"127.0.0.1:{self._server.server_address[1]}"

    @property
    def route(self) -> dict[str, str]:
        """Fake host -> loopback address: what a client (or the flow's `route`) needs."""
        return {DEMO_HOST: self.address}

    # -- what it serves ---------------------------------------------------------------------

    @property
    def renderer(self) -> Renderer:
        return self._renderer

    @property
    def base_url(self) -> str:
        """`http://demo.diplowatch.invalid` (no trailing slash), reachable through `route`."""
        return self.renderer.base_url

    def feeds(self) -> dict[str, dict[str, Any]]:
        """feed_id -> a `[feeds.<id>]` table of `config/feeds.toml` for this server."""
        return {
            feed_id: {
                "outlet": feed.outlet,
                "url": f"{self.base_url}/feeds/{feed_id}.xml",
                "section": feed.section,
                "enabled": True,
            }
            for feed_id, feed in self._feeds.items()
        }

    def articles(self) -> list[dict[str, Any]]:
        """The sample's articles with their canonical URLs and our labels, oldest first."""
        return [
            {
                "id": a.id,
                "slug": a.slug,
                "url": self.renderer.url(a),
                "feeds": list(a.feeds),
                "section": a.section,
                "title": a.title,
                "author": a.author,
                "published": a.published.isoformat(),
                "paragraphs": list(a.paragraphs),
                "text": "\n\n".join(a.paragraphs),
                "diplomacy": a.diplomacy,
            }
            for a in sorted(self._articles, key=lambda a: (a.published, a.slug))
        ]


__all__ = [
    "DEFAULT_SAMPLE_DIR",
    "DEMO_HOST",
    "DEMO_ORIGIN",
    "DemoServer",
    "load_sample",
]
