"""Compression of stored raw HTML.

Pages are kept so that `reprocess` can rerun the extractors without refetching. French news HTML is
verbose and compresses 5-10x with zlib, which is in the standard library: no dependency, and any
tool that can read a BLOB and call zlib can get the page back.
"""

from __future__ import annotations

import zlib

from diplowatch.errors import StorageError

#: zlib's fastest level. The write runs on the flow's one thread, which the replay benchmark
#: showed to be the bottleneck: level 1 costs 1.2 ms a page against 5.0 ms at level 6, for blobs
#: about 18% larger. Any level decompresses alike, so older files stay readable.
LEVEL = 1


def compress(data: bytes) -> bytes:
    """Compress raw page bytes for the `articles.raw_html` column."""
    return zlib.compress(data, LEVEL)


def decompress(data: bytes) -> bytes:
    """Inverse of `compress`; a corrupt blob is a storage problem, reported as StorageError."""
    try:
        return zlib.decompress(data)
    except zlib.error as exc:
        raise StorageError(f"corrupt raw_html blob: {exc}") from exc
