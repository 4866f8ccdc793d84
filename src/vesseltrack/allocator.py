"""Process-wide memory allocator settings for the command line and benchmarks (glibc only).

vesseltrack's stages allocate and free many arrays of one to a few hundred MB. glibc serves
each with its own ``mmap`` and gives it back to the kernel on free, so the next array of that size
is faulted in page by page again. On virtual machines that hand freed memory back to the host
(free page reporting, as on the 2-core benchmark machine) touching fresh memory costs about 2 ms
per MB, twenty times the cost of reusing memory the process already holds: a 10M-position run
spent seconds in page faults. :func:`retain_freed_memory` tells glibc to serve large blocks from
its heap and keep freed blocks for reuse instead, and numpy not to ask for transparent huge
pages, whose faults were dearer still there.

This is a setting for a whole process, so the library never calls it; the ``vesseltrack``
command does, at start-up. Peak memory is still bounded by what is live at once plus
fragmentation (a few % in the benchmarks).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

# mallopt parameters (glibc malloc.h)
_M_TRIM_THRESHOLD = -1
_M_MMAP_MAX = -4


def retain_freed_memory() -> bool:
    """Serve large allocations from the heap and keep freed memory for reuse (glibc on Linux).

    Returns True when the settings were applied, False where they do not apply (another C
    library or operating system); never raises.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    # no mmap for large blocks (they come from the heap, where freed blocks are reused) and no
    # automatic trimming of the heap's top; both return 1 on success
    ok = mallopt(_M_MMAP_MAX, 0) == 1
    ok = (mallopt(_M_TRIM_THRESHOLD, 2**31 - 1) == 1) and ok
    _no_numpy_huge_pages()
    return ok


def _no_numpy_huge_pages() -> None:
    """Stop numpy asking for transparent huge pages on large arrays (``madvise(MADV_HUGEPAGE)``).

    With the kernel's THP ``defrag`` set to ``madvise`` (a common default), each such fault may
    compact memory synchronously; on the benchmark machine that made fresh memory 1.5-3x dearer
    (0.3-1.9 s per GB, against a steady 0.6 s per GB without). Same as ``NUMPY_MADVISE_HUGEPAGE=0``.
    """
    import numpy as np

    for mod in ("_core", "core"):  # numpy 2 / numpy 1
        setter = getattr(getattr(getattr(np, mod, None), "multiarray", None), "_set_madvise_hugepage", None)
        if setter is not None:
            setter(False)
            return
