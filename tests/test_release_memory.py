"""Workers hand the C heap's free pages back after each chunk (glibc's malloc_trim): freed buffers stuck
under a live one otherwise stay in the process's RSS for good."""

from __future__ import annotations

import pytest

from tidings.engines import local


def _rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * 4096 / 2**20


@pytest.mark.skipif(local._TRIM is None, reason="needs glibc's malloc_trim")
def test_freed_heap_goes_back_to_the_system() -> None:
    # 100 KB blocks come from the heap (under glibc's 128 KB mmap threshold); the last one pins the heap's
    # top, so freeing the others cannot shrink it by itself.
    blocks = [bytearray(100_000) for _ in range(2_000)]
    keep = blocks[-1]
    del blocks
    before = _rss_mb()
    local.release_memory()
    after = _rss_mb()
    assert keep is not None
    assert before - after > 100, (before, after)
