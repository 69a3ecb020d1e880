"""The C allocator of a process that runs flows: few arenas, so its memory stays level.

glibc gives each thread that contends for malloc an arena of its own, up to eight per core, and
keeps what each arena once held. A flow process runs Prefect's threads, the task runner's and the
fetcher's event loop, and passes megabytes of page bytes between them: measured with
`make bench`, the flow process grew from 739 to 854 MB between 2,000 and 4,000 articles with
glibc's default, and from 719 to 753 MB with two arenas. The threads mostly wait on the GIL, so
sharing arenas costs them nothing measurable.
"""

from __future__ import annotations

import ctypes
import ctypes.util

#: mallopt's parameter number for the arena limit (glibc malloc.h).
M_ARENA_MAX = -8

ARENAS = 2


def limit_malloc_arenas(arenas: int = ARENAS) -> bool:
    """Ask glibc for at most `arenas` arenas from now on; False where libc is not glibc."""
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        mallopt = ctypes.CDLL(name).mallopt
    except (OSError, AttributeError):  # musl, macOS: no mallopt, nothing to limit
        return False
    return bool(mallopt(M_ARENA_MAX, arenas))
