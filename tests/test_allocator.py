"""diplowatch.cli.allocator: a flow process's threads share two malloc arenas.

Each case runs in a fresh interpreter, eight threads alive at once allocating, then asks glibc
for its arenas (`malloc_stats`, which lists them on stderr).
"""

from __future__ import annotations

import platform
import subprocess
import sys

import pytest

from diplowatch.cli.allocator import ARENAS

SCRIPT = """
import ctypes, sys, threading
from diplowatch.cli.allocator import limit_malloc_arenas
if sys.argv[1] == "limit":
    assert limit_malloc_arenas()
keep = []
started, done = threading.Barrier(8), threading.Barrier(8)
def work():
    started.wait()
    keep.append([bytearray(4096) for _ in range(100)])
    done.wait()
threads = [threading.Thread(target=work) for _ in range(8)]
for t in threads: t.start()
for t in threads: t.join()
ctypes.CDLL(None).malloc_stats()
"""


def arenas(mode: str) -> int:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, mode], capture_output=True, text=True, check=True
    )
    return sum(line.startswith("Arena ") for line in done.stderr.splitlines())


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="libc is not glibc: no arena limit")
def test_eight_threads_share_the_limited_arenas() -> None:
    assert arenas("default") > ARENAS  # glibc's own: one per thread here
    assert arenas("limit") == ARENAS
