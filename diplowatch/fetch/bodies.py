"""Response bodies read under the size cap, decompressed without ever holding more than the cap.

httpx decompresses each network chunk whole: a 64 KB chunk of a gzip bomb becomes 64 MB before
anyone can count it. Here the raw bytes go through our own zlib decompressors, asked for at most
what is left under `fetch.max_bytes` (plus one byte, to know it was exceeded): a bomb costs the
cap, not its expansion. We announce only gzip and deflate (`Accept-Encoding`); any other coding
a server sends anyway is passed through as httpx does.
"""

from __future__ import annotations

import zlib

import httpx

from diplowatch.errors import FetchError, ResponseTooLargeError

ACCEPT_ENCODING = "gzip, deflate"
_DECODED = {"gzip": "gzip", "x-gzip": "gzip", "deflate": "deflate"}


class _Overflow(Exception):
    pass


class _Layer:
    """One content coding undone, its output capped."""

    def __init__(self, coding: str, cap: int) -> None:
        self.coding = coding
        self.cap = cap
        self.total = 0
        self._first = True
        wbits = zlib.MAX_WBITS | 16 if coding == "gzip" else zlib.MAX_WBITS
        self._decompressor = zlib.decompressobj(wbits)

    def decode(self, data: bytes) -> bytes:
        first, self._first = self._first, False
        try:
            out = self._decompressor.decompress(data, self.cap - self.total + 1)
        except zlib.error:
            if not (first and self.coding == "deflate"):
                raise
            # "deflate" is often raw DEFLATE without the zlib wrapper (as httpx also allows)
            self._decompressor = zlib.decompressobj(-zlib.MAX_WBITS)
            out = self._decompressor.decompress(data, self.cap - self.total + 1)
        self.total += len(out)
        if self.total > self.cap:
            raise _Overflow
        return out

    def flush(self) -> bytes:
        out = self._decompressor.flush()
        self.total += len(out)
        if self.total > self.cap:
            raise _Overflow
        return out


def _layers(response: httpx.Response, cap: int) -> list[_Layer]:
    """Decoders for the response's codings, in the order they must be undone."""
    codings = response.headers.get_list("content-encoding", split_commas=True)
    wanted = [_DECODED[c.strip().lower()] for c in codings if c.strip().lower() in _DECODED]
    return [_Layer(c, cap) for c in reversed(wanted)]


def _through(layers: list[_Layer], data: bytes) -> bytes:
    for layer in layers:
        data = layer.decode(data) if data else b""
    return data


def _finish(layers: list[_Layer]) -> bytes:
    """What each layer still holds at the end, passed through the layers after it."""
    data = b""
    for layer in layers:
        data = (layer.decode(data) if data else b"") + layer.flush()
    return data


async def read_body(response: httpx.Response, url: str, max_bytes: int) -> bytes:
    """The decoded body, or ResponseTooLargeError as soon as either side passes `max_bytes`."""
    layers = _layers(response, max_bytes)
    body = bytearray()
    raw_total = 0
    try:
        async for raw in response.aiter_raw():
            raw_total += len(raw)
            if raw_total > max_bytes:
                raise _Overflow
            body += _through(layers, raw)
            if len(body) > max_bytes:
                raise _Overflow
        if layers:
            body += _finish(layers)
    except _Overflow:
        what = "decompressed body" if layers else "body"
        raise ResponseTooLargeError(url, f"{what} exceeds the {max_bytes}-byte cap") from None
    except zlib.error as exc:
        coding = "+".join(layer.coding for layer in reversed(layers))
        raise FetchError(url, f"body is not valid {coding} ({exc})") from None
    if len(body) > max_bytes:
        raise ResponseTooLargeError(url, f"body exceeds the {max_bytes}-byte cap")
    return bytes(body)
