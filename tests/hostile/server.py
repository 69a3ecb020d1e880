"""The hostile newsroom: one raw loopback HTTP server serving every bad answer, and "internal"
servers whose pages must never reach the database.

The hostile server speaks HTTP/1.1 by hand over sockets so it can lie (Content-Length), reset,
trickle and bomb; every answer closes its connection. Every case is bounded: a trickle stops
after `TRICKLE_SECONDS`, a bomb is a few hundred KB on the wire. The internal servers (on
127.0.0.1, 127.0.0.2 and ::1, other ports) answer any GET with a page carrying `MARKER` and count
their hits: the battery asserts both stay out of reach.
"""

from __future__ import annotations

import gzip
import socket
import socketserver
import threading
import time
import uuid
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MARKER = f"INTERNAL-{uuid.uuid4().hex}"
TRICKLE_SECONDS = 30.0  # a trickling answer gives up after this, whatever the client does
BOMB_BYTES = 200_000_000  # what the gzip bomb expands to (about 200 KB on the wire)

Handler = Callable[[socket.socket], None]


@cache
def gzip_bomb() -> bytes:
    """BOMB_BYTES of spaces, gzipped once per process (about 0.1% of its size), stream-wise."""
    chunk = b" " * 1_000_000
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    parts = [compressor.compress(chunk) for _ in range(BOMB_BYTES // len(chunk))]
    return b"".join(parts) + compressor.flush()


def gzipped(body: bytes) -> Handler:
    """An honest gzip-encoded page."""
    data = gzip.compress(body)
    return answer(data, headers={"Content-Encoding": "gzip"})


def head(status: int, headers: dict[str, str]) -> bytes:
    lines = [f"HTTP/1.1 {status} X"] + [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join([*lines, "Connection: close", "", ""])).encode("latin-1")


def answer(
    body: bytes | str,
    *,
    status: int = 200,
    content_type: str = "text/html; charset=utf-8",
    headers: dict[str, str] | None = None,
    length: int | None = None,
) -> Handler:
    """A plain answer; `length` lies in Content-Length when given."""
    data = body.encode() if isinstance(body, str) else body
    all_headers = {"Content-Type": content_type, **(headers or {})}
    all_headers["Content-Length"] = str(len(data) if length is None else length)

    def send(conn: socket.socket) -> None:
        conn.sendall(head(status, all_headers) + data)

    return send


def redirect(location: str, status: int = 302) -> Handler:
    return answer(b"", status=status, headers={"Location": location})


def chunked(body: bytes, size: int = 4096) -> Handler:
    """Transfer-Encoding: chunked, no Content-Length."""

    def send(conn: socket.socket) -> None:
        conn.sendall(head(200, {"Content-Type": "text/html", "Transfer-Encoding": "chunked"}))
        for start in range(0, len(body), size):
            piece = body[start : start + size]
            conn.sendall(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
        conn.sendall(b"0\r\n\r\n")

    return send


def reset(conn: socket.socket) -> None:
    """Closes at once with an RST (SO_LINGER 0): a connection reset by peer."""
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")


def trickle(interval: float) -> Handler:
    """Headers, then one byte every `interval` seconds until the client leaves (bounded)."""

    def send(conn: socket.socket) -> None:
        conn.sendall(head(200, {"Content-Type": "text/html"}))  # a body read until close
        stop = time.monotonic() + TRICKLE_SECONDS
        while time.monotonic() < stop:
            try:
                conn.sendall(b"<")
            except OSError:
                return
            time.sleep(interval)

    return send


def gzip_bomb_answer(conn: socket.socket) -> None:
    body = gzip_bomb()
    conn.sendall(
        head(
            200,
            {
                "Content-Type": "text/html",
                "Content-Encoding": "gzip",
                "Content-Length": str(len(body)),
            },
        )
        + body
    )


class Flaky:
    """Fails `times` times with `first`, then answers with `then` (5xx then success, 429)."""

    def __init__(self, first: Handler, then: Handler, times: int = 1) -> None:
        self.first, self.then, self.left = first, then, times
        self.lock = threading.Lock()

    def __call__(self, conn: socket.socket) -> None:
        with self.lock:
            failing = self.left > 0
            self.left -= 1
        (self.first if failing else self.then)(conn)


@dataclass
class Routes:
    table: dict[str, Handler] = field(default_factory=dict)
    prefixes: dict[str, Handler] = field(default_factory=dict)
    hits: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


class _RawHandler(socketserver.BaseRequestHandler):
    server: _RawServer

    def handle(self) -> None:
        conn: socket.socket = self.request
        conn.settimeout(5)
        data = b""
        try:
            while b"\r\n\r\n" not in data and len(data) < 200_000:
                piece = conn.recv(65536)
                if not piece:
                    return
                data += piece
        except OSError:
            return
        line = data.split(b"\r\n", 1)[0].decode("latin-1")
        parts = line.split(" ")
        path = parts[1] if len(parts) > 1 else "/"
        routes = self.server.routes
        with routes.lock:
            routes.hits[path] = routes.hits.get(path, 0) + 1
            handler = routes.table.get(path) or next(
                (h for p, h in routes.prefixes.items() if path.startswith(p)), None
            )
        try:
            if handler is None:
                answer("not here", status=404)(conn)
            else:
                handler(conn)
        except OSError:
            pass


class _RawServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    routes: Routes


class HostileServer:
    """The raw server on 127.0.0.1; `route(path, handler)` adds an answer."""

    def __init__(self) -> None:
        self._server = _RawServer(("127.0.0.1", 0), _RawHandler)
        self._server.routes = Routes()
        self.port = self._server.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def route(self, path: str, handler: Handler) -> str:
        with self._server.routes.lock:
            self._server.routes.table[path] = handler
        return self.base + path

    def route_prefix(self, prefix: str, handler: Handler) -> str:
        with self._server.routes.lock:
            self._server.routes.prefixes[prefix] = handler
        return self.base + prefix

    def hits(self, path: str) -> int:
        return self._server.routes.hits.get(path, 0)

    def __enter__(self) -> HostileServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


class _InternalHandler(BaseHTTPRequestHandler):
    server: _InternalServer

    def do_GET(self) -> None:
        with self.server.lock:
            self.server.hits.append(self.path)
        body = (
            f"<html><head><title>{MARKER} admin</title></head><body><article>"
            f"<h1>{MARKER}</h1>" + f"<p>{MARKER} secret configuration of the internal service "
            "that must never leave the building, whatever a feed says.</p>" * 20 + "</article>"
            "</body></html>"
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


class _InternalServer(ThreadingHTTPServer):
    daemon_threads = True
    hits: list[str]
    lock: threading.Lock


class _InternalServer6(_InternalServer):
    address_family = socket.AF_INET6


class InternalServers:
    """The services a feed must not reach: 127.0.0.1 (another port), 127.0.0.2 and ::1."""

    def __init__(self) -> None:
        self.hits: list[str] = []
        lock = threading.Lock()
        self._servers: list[_InternalServer] = []
        for cls, address in (
            (_InternalServer, "127.0.0.1"),
            (_InternalServer, "127.0.0.2"),
            (_InternalServer6, "::1"),
        ):
            try:
                srv = cls((address, 0), _InternalHandler)
            except OSError:  # no IPv6 on this machine: the ::1 spelling is then refused anyway
                continue
            srv.hits, srv.lock = self.hits, lock
            self._servers.append(srv)
        self.ports = {str(s.server_address[0]): int(s.server_address[1]) for s in self._servers}

    def __enter__(self) -> InternalServers:
        for srv in self._servers:
            threading.Thread(target=srv.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        for srv in self._servers:
            srv.shutdown()
            srv.server_close()
