"""Compression of stored raw HTML.

Pages are kept so that `reprocess` can rerun the extractors without refetching. French news HTML is
verbose and compresses 5-10x with zlib, which is in the standard library: no dependency, and any
tool that can read a BLOB and call zlib can get the page back.
"""

from __future__ import annotations

import zlib

from extractors.errors import StorageError

#: zlib's default level: near the best ratio for HTML at a fraction of level 9's cost.
LEVEL = 6


def compress(data: bytes) -> bytes:
    """Compress raw page bytes for the `articles.raw_html` column."""
    return zlib.compress(data, LEVEL)


def decompress(data: bytes) -> bytes:
    """Inverse of `compress`; a corrupt blob is a storage problem, reported as StorageError."""
    try:
        return zlib.decompress(data)
    except zlib.error as exc:
        raise StorageError(f"corrupt raw_html blob: {exc}") from exc
