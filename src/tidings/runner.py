"""`tidings run`: inputs to pages, pages through the per-document stages on an engine, results into the
store, then the cross-document stages. The run's summary line says what happened."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from tidings.crossdoc import rebuild_derived
from tidings.engines.local import RunCounts, default_workers, process_into_store
from tidings.errors import UsageError
from tidings.pipeline import Context
from tidings.records import RawPage
from tidings.sources import iter_pages
from tidings.store.db import Store


@dataclass
class RunSummary:
    counts: RunCounts
    derived: dict[str, object] = field(default_factory=dict)
    seconds: float = 0.0
    db: str = ""

    def line(self) -> str:
        c = self.counts
        copies = self.derived.get("copies")
        parts = [f"documents: {c.seen} seen, {c.new} new, {c.already} already stored"]
        if isinstance(copies, int):
            parts.append(f"{copies} copies in the database")
        parts.append(f"{c.failed} failed")
        if c.status.get("empty"):
            parts.append(f"{c.status['empty']} empty")
        rate = c.seen / self.seconds if self.seconds else 0.0
        return ", ".join(parts) + f" ({self.seconds:.1f}s, {rate:.1f} pages/s) -> {self.db}"


def _progress(pages: Iterable[RawPage], enabled: bool) -> Iterator[RawPage]:
    if not enabled:
        yield from pages
        return
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    columns = (SpinnerColumn(), TextColumn("reading pages"), BarColumn(bar_width=None),
               TextColumn("{task.completed} pages"), TextColumn("{task.fields[rate]}"), TimeElapsedColumn())
    started = time.perf_counter()
    with Progress(*columns, transient=True) as progress:
        task = progress.add_task("run", total=None, rate="")
        for i, page in enumerate(pages, 1):
            yield page
            elapsed = time.perf_counter() - started
            progress.update(task, completed=i, rate=f"{i / elapsed:.1f}/s" if elapsed else "")


def run(inputs: list[str], *, db: str, workers: int = 0, engine: str = "local", address: str | None = None,
        actor_files: tuple[str, ...] = (), allow_private: bool = False, fetch_links: bool = False,
        analyse: bool = True, keep_raw: bool = True, progress: bool = False) -> RunSummary:
    if not inputs:
        raise UsageError("no inputs given: name files, folders, globs, - or URLs")
    ctx = Context(analyse=analyse, actor_files=actor_files, keep_raw=keep_raw)
    pages = iter_pages(inputs, allow_private=allow_private, fetch_links=fetch_links)
    started = time.perf_counter()
    if engine == "ray":
        from tidings.engines.ray import run_ray
        return run_ray(inputs, db=db, ctx=ctx, address=address, allow_private=allow_private,
                       fetch_links=fetch_links)
    with Store.open(db) as store:
        run_id = uuid.uuid4().hex[:12]
        store.start_run(run_id, inputs)
        counts = process_into_store(_progress(pages, progress), store, ctx, run_id, workers or default_workers())
        return finish(store, ctx, counts, run_id, started)


def finish(store: Store, ctx: Context, counts: RunCounts, run_id: str, started: float) -> RunSummary:
    """The end of a run on any engine: the cross-document stages, then the run's record and summary."""
    derived = rebuild_derived(store, ctx)
    if "copies" not in derived:
        derived["copies"] = store.con.execute(
            "SELECT count(*) FROM documents WHERE duplicate_of IS NOT NULL").fetchone()[0]
    counts.copies = int(derived["copies"])  # type: ignore[call-overload]
    store.finish_run(run_id, counts.as_dict())
    return RunSummary(counts=counts, derived=derived, seconds=time.perf_counter() - started, db=store.path)
