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


def test_workers_are_replaced_and_pages_stay_in_order(tmp_path, monkeypatch) -> None:
    """Every `recycle_chunks` chunks the pool is replaced by fresh workers; the documents still come
    back in input order and equal a run in one process."""
    import multiprocessing
    import os

    from tidings.pipeline import Context
    from tidings.records import RawPage

    if multiprocessing.get_start_method() != "fork":
        pytest.skip("the test counts forked workers")
    pids = tmp_path / "pids"
    work = local._work

    def counted(pages):  # runs in the workers, which inherit this patch when they are forked
        with pids.open("a") as fh:
            fh.write(f"{os.getpid()}\n")
        return work(pages)

    counted.__qualname__ = counted.__name__ = "_work"
    counted.__module__ = local.__name__
    monkeypatch.setattr(local, "_work", counted)
    pages = [RawPage(source=f"p{i}.txt", raw=f"Story {i}. Shelling hit the town of Izium on {i} May.".encode(),
                     kind="text") for i in range(40)]
    ctx = Context(analyse=False)
    alone = [doc for doc, _ in local.map_pages(pages, ctx, workers=1)]
    pooled = [doc for doc, _ in local.map_pages(pages, ctx, workers=2, recycle_chunks=2)]
    assert [d.doc_id for d in pooled] == [d.doc_id for d in alone] == [p.doc_id for p in pages]
    assert [d.text for d in pooled] == [d.text for d in alone]
    # 40 pages = 5 chunks of 8 -> 3 pools of at most 2 chunks each, so at least 3 distinct worker processes
    assert len(set(pids.read_text().split())) >= 3
