"""The local engine: the per-document stages over every core (a process pool whose workers share models
loaded once, in a fork server), results written to the store in atomic batches by this process, then the cross-document
stages. Memory stays flat: pages stream in and only a bounded window is in flight."""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from itertools import chain, islice

from tidings.memory import release_memory
from tidings.pipeline import Context, process_pages
from tidings.records import OK, Document, RawPage

_WORKER_CTX: Context | None = None


def _init_worker(ctx: Context) -> None:
    global _WORKER_CTX
    _WORKER_CTX = ctx
    zygote = sys.modules.get("tidings.engines.zygote")  # imported by the fork server this worker came from
    if zygote is not None and ctx == zygote.PRELOADED:
        _WORKER_CTX = zygote.PRELOADED  # with the server's models, shared


def _work(pages: list[RawPage]) -> list[tuple[Document, bytes]]:
    assert _WORKER_CTX is not None
    done = list(zip(process_pages(pages, _WORKER_CTX), (page.raw for page in pages), strict=True))
    release_memory()
    return done


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


# Pages go to a worker in chunks, so spaCy parses several pages in one call (`process_pages`). Measured on
# 1,000 VOA pages in one process: CPU -8% at 8 pages, -10% at 16, -11% at 32, but peak memory +50, +90 and
# +170 MB (spaCy's batch arrays). A chunk closes early at CHUNK_BYTES so huge pages do not pile up.
CHUNK_PAGES = 8
CHUNK_BYTES = 4 * 1024 * 1024
# Workers are replaced by fresh ones, forked again from the fork server, every RECYCLE_CHUNKS chunks (10,000
# pages). A worker keeps what it learns between pages (spaCy's vocabulary and string store gain every new
# word, the name caches fill: +1.6 MB RSS per 1,000 pages in one process), and past RELOAD_NLP_EVERY
# documents it reloads spaCy as a private copy, no longer shared with the others: in a 100,000-page run
# each worker went from 210-270 to 300-350 MB PSS. Fresh forks share the models again. A new pool first
# drains the chunks in flight (not timed apart: 30,000 pages with two pool changes ran at 24.7 pages/s,
# 10,000 with none at 23.9).
RECYCLE_CHUNKS = 1250


def chunks(pages: Iterable[RawPage], size: int = CHUNK_PAGES, max_bytes: int = CHUNK_BYTES) -> Iterator[list[RawPage]]:
    chunk: list[RawPage] = []
    held = 0
    for page in pages:
        chunk.append(page)
        held += len(page.raw)
        if len(chunk) >= size or held >= max_bytes:
            yield chunk
            chunk, held = [], 0
    if chunk:
        yield chunk


def map_pages(pages: Iterable[RawPage], ctx: Context, workers: int,
              recycle_chunks: int | None = None) -> Iterator[tuple[Document, bytes]]:
    """Process pages in input order. workers=1 runs in this process (no pickling, easy to debug)."""
    if workers <= 1:
        for chunk in chunks(pages):
            yield from zip(process_pages(chunk, ctx), (page.raw for page in chunk), strict=True)
            release_memory()
        return
    recycle_chunks = recycle_chunks or RECYCLE_CHUNKS
    mp_context = _zygote_context(ctx)
    try:
        queued = chunks(pages)
        while True:
            # A fresh pool for every `recycle_chunks` chunks (see RECYCLE_CHUNKS).
            generation = islice(queued, recycle_chunks)
            first = next(generation, None)
            if first is None:
                return
            yield from _pool_map(chain([first], generation), ctx, workers, mp_context)
    finally:
        _stop_zygote()


# Workers are forked from a zygote: multiprocessing's fork server, started fresh for each `map_pages` (it
# holds nothing of this process), which loads the run's models once (`engines/zygote.py`) and forks every
# worker of every pool. Forked from this process instead, each new pool inherited a snapshot of all its
# memory (DuckDB's cache, the heap), which this process then rewrote, leaving the old pages to the workers
# alone: in a 100,000-page run the second pool's workers held 80 MB of such pages between them, the third's
# 109 MB (/proc/PID/pagemap), and this process held the models (300 MB RSS) through the cross-document
# stages. The server is stopped when the pages are done. Where there is no fork server (Windows) each
# worker loads its own models.
_ZYGOTE_PRELOAD = ["tidings.engines.zygote"]


def _zygote_context(ctx: Context) -> multiprocessing.context.BaseContext | None:
    main_file = getattr(sys.modules.get("__main__"), "__file__", None)
    if "forkserver" not in multiprocessing.get_all_start_methods() or (main_file and not os.path.exists(main_file)):
        return None  # no fork server, or a main module it could not import again (stdin): each worker loads
    from tidings.engines import zygote

    _stop_zygote()  # a server started for another Context would not have its models
    os.environ[zygote.ENV] = zygote.encode(ctx)
    mp_context = multiprocessing.get_context("forkserver")
    mp_context.set_forkserver_preload(_ZYGOTE_PRELOAD)
    return mp_context


def _stop_zygote() -> None:
    from multiprocessing import forkserver

    from tidings.engines import zygote

    os.environ.pop(zygote.ENV, None)
    server = getattr(forkserver, "_forkserver", None)
    stop = getattr(server, "_stop", None)  # not public API; without it the server lives until we exit
    if stop is not None:
        stop()


def _pool_map(chunked: Iterable[list[RawPage]], ctx: Context, workers: int,
              mp_context: multiprocessing.context.BaseContext | None = None) -> Iterator[tuple[Document, bytes]]:
    window = workers * 2  # chunks in flight: every worker busy, one more queued for each
    with ProcessPoolExecutor(max_workers=workers, mp_context=mp_context, initializer=_init_worker,
                             initargs=(ctx,)) as pool:
        pending: deque[Future[list[tuple[Document, bytes]]]] = deque()
        for chunk in chunked:
            pending.append(pool.submit(_work, chunk))
            if len(pending) >= window:
                yield from pending.popleft().result()
        while pending:
            yield from pending.popleft().result()


@dataclass
class RunCounts:
    seen: int = 0
    new: int = 0
    already: int = 0  # the same bytes were stored before (this run or an earlier one)
    failed: int = 0
    copies: int = 0
    status: Counter[str] = field(default_factory=Counter)
    stage_seconds: Counter[str] = field(default_factory=Counter)

    def add(self, doc: Document) -> None:
        """Count one processed document: its status and the time each stage took."""
        self.status[doc.status] += 1
        if doc.status != OK:
            self.failed += doc.status != "empty"
        for stage, seconds in doc.timings.items():
            self.stage_seconds[stage] += seconds

    def as_dict(self) -> dict[str, int]:
        return {"seen": self.seen, "new": self.new, "already": self.already, "failed": self.failed,
                "copies": self.copies}


def unseen(pages: Iterable[RawPage], known: set[str], counts: RunCounts,
           extra_sources: list[tuple[str, str]]) -> Iterator[RawPage]:
    """Drop pages whose bytes are already stored (resume, re-run, or the same file twice),
    remembering the extra place each was seen at."""
    for page in pages:
        counts.seen += 1
        doc_id = page.doc_id
        if doc_id in known:
            counts.already += 1
            extra_sources.append((doc_id, page.source))
            continue
        known.add(doc_id)
        yield page


def process_into_store(pages: Iterable[RawPage], store, ctx: Context, run_id: str, workers: int,
                       batch_size: int = 64, on_document: Callable[[Document], None] | None = None) -> RunCounts:
    counts = RunCounts()
    known = store.known_doc_ids()
    extra: list[tuple[str, str]] = []
    batch: list[Document] = []
    raws: dict[str, bytes] = {}

    def flush() -> None:
        counts.new += store.write_documents(batch, run_id, sources=list(extra), raws=raws)
        batch.clear()
        raws.clear()
        extra.clear()
        release_memory()

    with store.streaming_writes():
        for doc, raw in map_pages(unseen(pages, known, counts, extra), ctx, workers):
            counts.add(doc)
            batch.append(doc)
            if ctx.keep_raw and raw:
                raws[doc.doc_id] = raw
            if on_document:
                on_document(doc)
            if len(batch) >= batch_size:
                flush()
        flush()
    return counts
