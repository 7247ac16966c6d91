"""Workers hand the C heap's free pages back after each chunk (glibc's malloc_trim): freed buffers stuck
under a live one otherwise stay in the process's RSS for good."""

from __future__ import annotations

import pytest

from tidings import memory
from tidings.engines import local


def _rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * 4096 / 2**20


@pytest.mark.skipif(memory._TRIM is None, reason="needs glibc's malloc_trim")
def test_freed_heap_goes_back_to_the_system() -> None:
    # 100 KB blocks come from the heap (under glibc's 128 KB mmap threshold); the last one pins the heap's
    # top, so freeing the others cannot shrink it by itself.
    blocks = [bytearray(100_000) for _ in range(2_000)]
    keep = blocks[-1]
    del blocks
    before = _rss_mb()
    memory.release_memory()
    after = _rss_mb()
    assert keep is not None
    assert before - after > 100, (before, after)


def test_workers_are_replaced_and_pages_stay_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every `recycle_chunks` chunks the pool is replaced by fresh workers; the documents still come
    back in input order and equal a run in one process."""
    from concurrent.futures import ProcessPoolExecutor

    from tidings.pipeline import Context
    from tidings.records import RawPage

    pools: list[ProcessPoolExecutor] = []

    class Counted(ProcessPoolExecutor):
        def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
            super().__init__(*args, **kwargs)
            pools.append(self)

    monkeypatch.setattr(local, "ProcessPoolExecutor", Counted)
    pages = [RawPage(source=f"p{i}.txt", raw=f"Story {i}. Shelling hit the town of Izium on {i} May.".encode(),
                     kind="text") for i in range(40)]
    ctx = Context(analyse=False)
    alone = [doc for doc, _ in local.map_pages(pages, ctx, workers=1)]
    pooled = [doc for doc, _ in local.map_pages(pages, ctx, workers=2, recycle_chunks=2)]
    assert [d.doc_id for d in pooled] == [d.doc_id for d in alone] == [p.doc_id for p in pages]
    assert [d.text for d in pooled] == [d.text for d in alone]
    assert len(pools) == 3  # 40 pages = 5 chunks of 8 -> 3 pools of at most 2 chunks each


def test_workers_take_the_fork_servers_models_for_their_context(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fork server imports `engines.zygote`, which loads the models of the Context it is given; a worker
    forked from it uses that Context (and so its models) when its own Context is the same run's."""
    import gc
    import importlib

    from tidings.engines import zygote
    from tidings.pipeline import Context

    run = Context(analyse=False, actor_files=("x.yaml",))
    monkeypatch.setenv(zygote.ENV, zygote.encode(run))
    try:
        server = importlib.reload(zygote)  # what the fork server does at start
        assert run == server.PRELOADED and server.PRELOADED is not run
        local._init_worker(Context(analyse=False, actor_files=("x.yaml",)))
        assert local._WORKER_CTX is server.PRELOADED
        other = Context(analyse=False)
        local._init_worker(other)
        assert local._WORKER_CTX is other
    finally:
        gc.unfreeze()
        monkeypatch.delenv(zygote.ENV)
        importlib.reload(zygote)
        local._WORKER_CTX = None
    assert zygote.PRELOADED is None


def test_the_fork_server_is_stopped_when_the_pages_are_done() -> None:
    import multiprocessing.forkserver as forkserver
    import os

    from tidings.engines import zygote
    from tidings.pipeline import Context
    from tidings.records import RawPage

    pages = [RawPage(source=f"p{i}.txt", raw=f"Story {i}.".encode(), kind="text") for i in range(20)]
    assert len(list(local.map_pages(pages, Context(analyse=False), workers=2))) == 20
    assert getattr(forkserver._forkserver, "_forkserver_pid", None) is None
    assert zygote.ENV not in os.environ
