"""Giving memory back to the system between stages."""

from __future__ import annotations

import ctypes
import ctypes.util
import sys
from collections.abc import Callable


def _malloc_trim() -> Callable[[int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim  # glibc only (not musl)
    except (OSError, AttributeError):
        return None


_TRIM = _malloc_trim()


def release_memory() -> None:
    """Give the C heap's free pages back to the system. spaCy's and numpy's short-lived buffers leave
    glibc's heap fragmented: without this a worker grew by about 15 MB per 1,000 pages with nothing alive
    (traced Python memory grew 10 MB in 1,000 pages, RSS 36 MB); with it, once per chunk, one process
    stayed at 394-400 MB over 3,000 VOA pages, at no measurable CPU cost."""
    if _TRIM is not None:
        _TRIM(0)
