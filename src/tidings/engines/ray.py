"""The Ray engine: the same per-document stages as the local engine, run with Ray Data over shards of the
inputs (a file, a URL, or a byte range of a big JSONL file), on this machine or on a cluster.

Each shard becomes one Parquet file of processed documents in `<db>.shards/`. Workers return the Parquet
bytes through Ray's object store and this process writes them (temporary name, then rename, then a
manifest line), so a cluster needs no shared filesystem and a file that exists is always complete. The
files are loaded into the store in input order, as soon as every earlier shard is in, through
`Store.write_documents` (which writes only documents not stored yet, so loading twice changes nothing); the cross-document
stages run at the end. A run killed at any point resumes with the same command: finished shards are not
redone and loaded shards are not reloaded.

Ray is an optional extra, imported only here and only when this engine runs.
"""

from __future__ import annotations

import io
import json
import logging
import os
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from tidings.engines.local import RunCounts, chunks, default_workers
from tidings.engines.shards import Shard, auto_shard_bytes, plan, read_shard
from tidings.errors import UsageError
from tidings.memory import release_memory
from tidings.pipeline import Context, process_pages
from tidings.records import Claim, Document, Mention, Report, Segment
from tidings.store.db import Store

PIP_HINT = 'the Ray engine needs Ray: pip install "tidings[ray]"'
ROW_GROUP = 256  # documents per Parquet row group and per store batch: bounded memory on both sides
_LOCAL_OBJECT_STORE = 256 * 1024 * 1024  # results are a shard's Parquet at a time: Ray's default is 30% of RAM

SCHEMA = pa.schema([
    ("doc_id", pa.string()), ("source", pa.string()),
    ("extra", pa.bool_()),  # only another place where earlier bytes of this shard were seen
    ("status", pa.string()), ("error", pa.string()), ("url", pa.string()), ("title", pa.string()),
    ("author", pa.string()), ("site", pa.string()), ("published", pa.string()),
    ("published_from", pa.string()), ("language", pa.string()), ("encoding", pa.string()),
    ("kind", pa.string()), ("text", pa.string()), ("boilerplate", pa.string()),
    ("segments", pa.list_(pa.list_(pa.int64()))), ("text_hash", pa.string()), ("minhash", pa.binary()),
    ("mentions", pa.string()), ("reports", pa.string()), ("claims", pa.string()),  # JSON: free-form attrs
    ("timings", pa.string()), ("raw", pa.binary()),
])


def import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise UsageError(PIP_HINT) from None
    return ray


# --- documents <-> Parquet rows ------------------------------------------------------------------

def doc_row(doc: Document, raw: bytes | None) -> dict[str, Any]:
    return {
        "doc_id": doc.doc_id, "source": doc.source, "extra": False, "status": doc.status, "error": doc.error,
        "url": doc.url, "title": doc.title, "author": doc.author, "site": doc.site, "published": doc.published,
        "published_from": doc.published_from, "language": doc.language, "encoding": doc.encoding,
        "kind": doc.kind, "text": doc.text, "boilerplate": doc.boilerplate,
        "segments": [[s.start, s.end, s.raw_start, s.raw_end] for s in doc.segments],
        "text_hash": doc.text_hash, "minhash": doc.minhash,
        # vars, not asdict: the same JSON (these dataclasses hold only plain values) without asdict's deep
        # copies, which took 1 ms of a page's CPU.
        "mentions": json.dumps([vars(m) for m in doc.mentions], default=str),
        "reports": json.dumps([vars(r) for r in doc.reports], default=str),
        "claims": json.dumps([vars(c) for c in doc.claims], default=str),
        "timings": json.dumps(doc.timings), "raw": raw,
    }


def row_doc(row: dict[str, Any]) -> Document:
    return Document(
        doc_id=row["doc_id"], source=row["source"], status=row["status"], error=row["error"], url=row["url"],
        title=row["title"], author=row["author"], site=row["site"], published=row["published"],
        published_from=row["published_from"], language=row["language"], encoding=row["encoding"],
        kind=row["kind"], text=row["text"] or "", boilerplate=row["boilerplate"] or "",
        segments=[Segment(*s) for s in row["segments"] or []], text_hash=row["text_hash"],
        minhash=row["minhash"],
        mentions=[Mention(**m) for m in json.loads(row["mentions"] or "[]")],
        reports=[Report(**r) for r in json.loads(row["reports"] or "[]")],
        claims=[Claim(**c) for c in json.loads(row["claims"] or "[]")],
        timings=json.loads(row["timings"] or "{}"),
    )


def _extra_row(doc_id: str, source: str) -> dict[str, Any]:
    return {name: None for name in SCHEMA.names} | {"doc_id": doc_id, "source": source, "extra": True}


# --- the work of one shard (runs in a Ray actor) -------------------------------------------------

def process_shard(shard: Shard, ctx: Context, *, allow_private: bool, fetch_links: bool) -> tuple[bytes, int]:
    """All pages of a shard through the stages, as Parquet bytes; bytes seen twice in the shard are
    processed once (as the local engine does). Returns the bytes and the number of pages."""
    buffer = io.BytesIO()
    seen: set[str] = set()
    pages = 0
    rows: list[dict[str, Any]] = []
    with pq.ParquetWriter(buffer, SCHEMA, compression="zstd") as writer:
        read = read_shard(shard, allow_private=allow_private, fetch_links=fetch_links, limits=ctx.limits)
        for chunk in chunks(read):
            pages += len(chunk)
            first = []  # per page: the first with its bytes in this shard (the rest are extra sources)
            for page in chunk:
                first.append(page.doc_id not in seen)
                seen.add(page.doc_id)
            docs = iter(process_pages([page for page, f in zip(chunk, first, strict=True) if f], ctx))
            for page, is_first in zip(chunk, first, strict=True):
                rows.append(doc_row(next(docs), page.raw if ctx.keep_raw and page.raw else None) if is_first
                            else _extra_row(page.doc_id, page.source))
            release_memory()
            if len(rows) >= ROW_GROUP:
                writer.write_table(pa.Table.from_pylist(rows, schema=SCHEMA))
                rows.clear()
        if rows or not pages:
            writer.write_table(pa.Table.from_pylist(rows, schema=SCHEMA))
    return buffer.getvalue(), pages


class ShardWorker:
    """A Ray Data actor: the context (and the models it loads) lives as long as the actor."""

    def __init__(self, ctx: Context, allow_private: bool, fetch_links: bool) -> None:
        self.ctx = ctx
        self.allow_private = allow_private
        self.fetch_links = fetch_links

    def __call__(self, row: dict[str, Any]) -> dict[str, Any]:
        shard = Shard(**{k: row[k] for k in Shard.__dataclass_fields__} | {"more": tuple(row["more"]) if row["more"] is not None else ()})
        started_at, started, cpu = time.time(), time.perf_counter(), time.process_time()
        data, pages = process_shard(shard, self.ctx, allow_private=self.allow_private,
                                    fetch_links=self.fetch_links)
        # Per-shard timings land in the manifest: where a run's time went (which worker, when, wall and CPU).
        return {"shard_id": shard.shard_id, "parquet": data, "pages": pages,
                "seconds": time.perf_counter() - started, "cpu_seconds": time.process_time() - cpu,
                "started_at": started_at, "host": os.uname().nodename, "pid": os.getpid()}


# --- the shard folder: Parquet parts and their manifest ------------------------------------------

class ShardFolder:
    def __init__(self, db: str) -> None:
        self.root = Path(f"{db}.shards")
        self.root.mkdir(parents=True, exist_ok=True)
        for stale in self.root.glob("part-*.parquet.tmp-*"):
            stale.unlink()  # left by a run killed mid-write; only one run holds the database, so none is live

    def part(self, shard_id: str) -> Path:
        return self.root / f"part-{shard_id}.parquet"

    def done(self, shard_id: str) -> bool:
        return self.part(shard_id).exists()

    def commit(self, shard: Shard, result: dict[str, Any]) -> None:
        """Write a shard's Parquet atomically, then record it in the manifest."""
        final = self.part(shard.shard_id)
        tmp = final.with_name(f"{final.name}.tmp-{os.getpid()}")
        tmp.write_bytes(result["parquet"])
        os.replace(tmp, final)
        entry = {"shard_id": shard.shard_id, "paths": list(shard.paths), "start": shard.start, "end": shard.end,
                 "pages": result["pages"], "seconds": round(result["seconds"], 3),
                 "cpu_seconds": round(result["cpu_seconds"], 3), "host": result["host"], "pid": result["pid"],
                 "started_at": datetime.fromtimestamp(result["started_at"], UTC).isoformat(timespec="milliseconds"),
                 "file": final.name, "finished_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        with (self.root / "manifest.jsonl").open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(entry) + "\n")

    def rows(self, shard_id: str) -> Iterator[list[dict[str, Any]]]:
        parquet = pq.ParquetFile(self.part(shard_id))
        for batch in parquet.iter_batches(batch_size=ROW_GROUP):
            yield batch.to_pylist()


# --- loading into the store ----------------------------------------------------------------------

def _loaded_key(shard_id: str) -> str:
    return f"ray_loaded:{shard_id}"


def load_shard(store: Store, folder: ShardFolder, shard: Shard, run_id: str, known: set[str],
               counts: RunCounts, keep_raw: bool) -> None:
    """Load one shard's documents, skipping bytes already stored as the local engine does (their place is
    kept as an extra source). Idempotent: a document already stored is not written again."""
    for rows in folder.rows(shard.shard_id):
        docs: list[Document] = []
        extra: list[tuple[str, str]] = []
        raws: dict[str, bytes] = {}
        for row in rows:
            counts.seen += 1
            if row["extra"] or row["doc_id"] in known:
                counts.already += 1
                extra.append((row["doc_id"], row["source"]))
                continue
            known.add(row["doc_id"])
            doc = row_doc(row)
            counts.add(doc)
            docs.append(doc)
            if keep_raw and row["raw"]:
                raws[doc.doc_id] = row["raw"]
        counts.new += store.write_documents(docs, run_id, sources=extra, raws=raws)
    store.set_meta(_loaded_key(shard.shard_id), run_id)


def _options(ctx: Context, allow_private: bool, fetch_links: bool) -> str:
    """What changes a shard's output: a change redoes the shard instead of reusing stale Parquet."""
    from tidings import __version__

    return json.dumps([__version__, ctx.analyse, ctx.keep_raw, sorted(ctx.actor_files), allow_private,
                       fetch_links, asdict(ctx.limits)], sort_keys=True)


def start_ray(ray: Any, address: str | None = None, num_cpus: int | None = None) -> bool:
    """Connect to a cluster, or start Ray on this machine; True when this call started it."""
    if ray.is_initialized():
        return False
    kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False,
                              "logging_level": logging.WARNING, "configure_logging": True}
    if address:
        ray.init(address=address, **kwargs)
    else:
        # No idle workers started ahead of need: Ray Data runs its own actors, and each idle Python worker
        # would hold ~70 MB for nothing (measured: 517 MB -> 369 MB for an idle 2-CPU Ray).
        # Workers at the driver's priority, as the local engine's pool: Ray's default renices them by +15
        # (measured: 19 under `nice -n 5`), so on a busy laptop every other program, the local engine's
        # workers included, took the CPU first and the Ray run crawled.
        ray.init(num_cpus=num_cpus or default_workers(), object_store_memory=_LOCAL_OBJECT_STORE,
                 _system_config={"enable_worker_prestart": False, "prestart_worker_first_driver": False,
                                 "worker_niceness": 0},
                 **kwargs)
    return True


def _results(ray: Any, todo: list[Shard], ctx: Context, allow_private: bool, fetch_links: bool,
             workers: int) -> Iterable[dict[str, Any]]:
    data_ctx = ray.data.DataContext.get_current()
    data_ctx.enable_progress_bars = False
    data_ctx.print_on_execution_start = False
    logging.getLogger("ray.data").setLevel(logging.WARNING)  # one line per dataset otherwise
    # One shard per block, so every shard is a task of its own and finished shards stream back one by one.
    ds = ray.data.from_items([s.as_dict() for s in todo], override_num_blocks=len(todo))
    pool = ray.data.ActorPoolStrategy(size=max(1, min(workers, len(todo))))
    ds = ds.map(ShardWorker, fn_constructor_kwargs={"ctx": ctx, "allow_private": allow_private,
                                                    "fetch_links": fetch_links}, compute=pool, num_cpus=1)
    return ds.iter_rows()


def run_ray(inputs: list[str], *, db: str, ctx: Context, address: str | None = None,
            allow_private: bool = False, fetch_links: bool = False, num_cpus: int | None = None,
            shard_bytes: int | None = None):  # -> tidings.runner.RunSummary
    from tidings.runner import finish  # the runner imports this module lazily: no import cycle

    ray = import_ray()
    started = time.perf_counter()
    shards = plan(inputs, _options(ctx, allow_private, fetch_links), shard_bytes or auto_shard_bytes(inputs, ctx.analyse))
    by_id = {s.shard_id: s for s in shards}
    folder = ShardFolder(db)
    counts = RunCounts()
    with Store.open(db) as store:  # opened first: a database in use fails before Ray starts
        run_id = uuid.uuid4().hex[:12]
        store.start_run(run_id, inputs)
        known = store.known_doc_ids()
        loaded = {s.shard_id for s in shards if store.get_meta(_loaded_key(s.shard_id)) is not None}
        next_to_load = 0

        def load_ready() -> None:
            # Input order: the first place a page was seen stays its source, as with the local engine.
            nonlocal next_to_load
            while next_to_load < len(shards) and folder.done(shards[next_to_load].shard_id):
                shard = shards[next_to_load]
                if shard.shard_id not in loaded:
                    load_shard(store, folder, shard, run_id, known, counts, ctx.keep_raw)
                    loaded.add(shard.shard_id)
                next_to_load += 1

        todo = [s for s in shards if not folder.done(s.shard_id)]
        with store.streaming_writes():
            load_ready()
            if todo:
                started_ray = start_ray(ray, address, num_cpus)
                try:
                    workers = int(ray.cluster_resources().get("CPU", 1))
                    for result in _results(ray, todo, ctx, allow_private, fetch_links, workers):
                        folder.commit(by_id[result["shard_id"]], result)
                        load_ready()
                finally:
                    if started_ray:
                        ray.shutdown()
            load_ready()
        return finish(store, ctx, counts, run_id, started)
