"""The embedded DuckDB store: opening (with a clear error when another process holds it),
migrations, and batch writes that are atomic per batch, so a killed run loses at most one batch and
a re-run fills the gap without duplicating anything."""

from __future__ import annotations

import gc
import json
import os
import re
import zlib
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from tidings.errors import DatabaseError
from tidings.memory import release_memory
from tidings.records import Document
from tidings.store.schema import MIGRATIONS, SCHEMA_VERSION

_LOCK_PID = re.compile(r"PID (\d+)")
# DuckDB caches up to 80% of RAM by default, so a long run's memory grew with the database. Bounded, it
# evicts written blocks and spills big sorts and joins to `<db>.tmp`; TIDINGS_DB_MEMORY sets both limits.
DB_MEMORY_LIMIT = os.environ.get("TIDINGS_DB_MEMORY", "256MB")
# While the engines stream documents in, the workers hold the memory: batch appends need little cache.
# Measured appending 100,000 analysed VOA documents: 339 MB RSS at 64 MB against 554 MB at 256 MB, in
# the same time.
WRITE_MEMORY_LIMIT = os.environ.get("TIDINGS_DB_MEMORY", "64MB")
# DuckDB's allocator keeps freed memory until a task's peak passes a threshold (128 MB by default) and
# purges only when asked: with a 16 MB threshold and its background thread purging, the entity and incident
# stages of a 10,000-page store ended at 339 MB PSS instead of 408 (one measurement each).
ALLOCATOR_SETTINGS = {"allocator_flush_threshold": "16MB", "allocator_background_threads": "true"}
# The cross-document stages' limit grows by CROSS_BYTES_PER_DOC for each stored document (unless
# TIDINGS_DB_MEMORY is set): on a replayed 100,000-page store a 150 MB cache failed ("failed to pin block", a
# fatal error) in the claims stage. The write cache is fixed: up to schema 4 the key indexes of documents and
# their sources could not be evicted and a fixed 64 MB failed at 57,000 documents; schema 5 has no such keys,
# and 100,000 replayed documents were written at a fixed 64 MB with RSS flat at 327-341 MB (growing: 323-406).
CROSS_BYTES_PER_DOC = 1024

# One encoder for every row: `json.dumps(..., default=str)` builds a new one per call (50 a page).
_to_json = json.JSONEncoder(default=str).encode


def memory_limit(base: str, documents: int) -> str:
    """`base` ("256MB") plus CROSS_BYTES_PER_DOC for each of `documents`, or TIDINGS_DB_MEMORY as given."""
    if "TIDINGS_DB_MEMORY" in os.environ:
        return base
    return f"{int(base.removesuffix('MB')) + documents * CROSS_BYTES_PER_DOC // 2**20}MB"


# DuckDB checkpoints (writes the log into the database file) when the log passes this size. At the default
# 16 MB and 2 threads, replaying 100,000 analysed VOA documents in the engines' batches peaked at 491 MB RSS
# (DuckDB rewrites the key indexes whole at every checkpoint) in 269 s; with one thread and 128 MB, 452 MB
# in 127 s. A bigger log is also a longer replay when a killed run's database is opened again.
STREAM_CHECKPOINT = "128MB"


def _utc(published: str | None) -> datetime | None:
    if not published:
        return None
    try:
        value = datetime.fromisoformat(published)
    except ValueError:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


def _connect(path: str, read_only: bool) -> duckdb.DuckDBPyConnection:
    """A connection with tidings' settings, or a DatabaseError that says what to do."""
    try:
        con = duckdb.connect(path, read_only=read_only)
    except duckdb.IOException as exc:
        message = str(exc)
        if "lock" in message.lower():
            pid = _LOCK_PID.search(message)
            holder = f" (PID {pid.group(1)})" if pid else ""
            raise DatabaseError(
                f"database {path} is in use by another process{holder}: wait for it to finish, "
                "or use another --db") from None
        raise DatabaseError(f"cannot open database {path}: {message.splitlines()[0]}") from None
    except duckdb.Error as exc:
        raise DatabaseError(f"{path} is not a usable tidings database: {str(exc).splitlines()[0]}") from None
    try:
        con.execute(f"SET memory_limit = '{DB_MEMORY_LIMIT}'")
    except duckdb.Error as exc:
        con.close()
        raise DatabaseError(f"TIDINGS_DB_MEMORY={DB_MEMORY_LIMIT!r} is not a memory size DuckDB accepts: "
                            f"{str(exc).splitlines()[0]}") from None
    for name, value in ALLOCATOR_SETTINGS.items():
        con.execute(f"SET {name} = '{value}'")
    return con


class Store:
    def __init__(self, con: duckdb.DuckDBPyConnection, path: str, read_only: bool) -> None:
        self.con = con
        self.path = path
        self.read_only = read_only
        self._documents = 0  # documents stored, kept up to date by write_documents
        self._streaming = False  # inside streaming_writes
        self._limit = ""  # the memory limit last set

    # --- opening -----------------------------------------------------------------------------
    @classmethod
    def open(cls, path: str | Path, *, read_only: bool = False) -> Store:
        path = str(path)
        if read_only and not Path(path).exists():
            raise DatabaseError(f"no database at {path}: create it with `tidings run INPUTS --db {path}`")
        if not read_only and Path(path).parent and not Path(path).parent.exists():
            raise DatabaseError(f"folder {Path(path).parent} does not exist: create it or choose another --db")
        con = _connect(path, read_only)
        store = cls(con, path, read_only)
        store._check_or_migrate()
        store._limit = DB_MEMORY_LIMIT  # set above, where a bad TIDINGS_DB_MEMORY gets its error
        store._documents = store.con.execute("SELECT count(*) FROM documents").fetchone()[0]
        store._fit_memory()
        return store

    def _fit_memory(self) -> None:
        """Set DuckDB's memory limit: WRITE_MEMORY_LIMIT while streaming writes, else DB_MEMORY_LIMIT grown for
        the documents stored (see CROSS_BYTES_PER_DOC)."""
        limit = WRITE_MEMORY_LIMIT if self._streaming else memory_limit(DB_MEMORY_LIMIT, self._documents)
        if limit != self._limit:
            self.con.execute(f"SET memory_limit = '{limit}'")
            self._limit = limit

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _version(self) -> int:
        exists = self.con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'meta'").fetchone()
        if not exists or not exists[0]:
            return 0
        row = self.con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        return int(row[0]) if row else 0

    def _check_or_migrate(self) -> None:
        try:
            version = self._version()
        except duckdb.Error as exc:
            raise DatabaseError(f"{self.path} is not a usable tidings database: {exc}") from None
        if version > SCHEMA_VERSION:
            raise DatabaseError(f"{self.path} was written by a newer tidings (schema {version}, this one "
                                f"knows {SCHEMA_VERSION}): upgrade tidings")
        if version == SCHEMA_VERSION:
            return
        if self.read_only:
            raise DatabaseError(f"{self.path} has schema {version}, needs {SCHEMA_VERSION}: "
                                "run `tidings run` on it once to migrate")
        if version == 0 and self.con.execute(
                "SELECT count(*) FROM information_schema.tables").fetchone()[0]:
            raise DatabaseError(f"{self.path} is a DuckDB file but not a tidings database")
        for number, _title, statements in MIGRATIONS:
            if number <= version:
                continue
            with self.transaction():
                for sql in statements:
                    self.con.execute(sql)
                self.con.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", [str(number)])

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self.con.execute("BEGIN TRANSACTION")
        try:
            yield
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        self.con.execute("COMMIT")

    @contextmanager
    def streaming_writes(self) -> Iterator[None]:
        """DuckDB set for the engines' stream of small batch appends, then set back: a small cache
        (WRITE_MEMORY_LIMIT, fixed), one thread and checkpoints every
        STREAM_CHECKPOINT of log (see there)."""
        settings = {"threads": "1", "checkpoint_threshold": STREAM_CHECKPOINT}
        before = {name: self.con.execute(f"SELECT current_setting('{name}')").fetchone()[0] for name in settings}
        try:
            for name, value in settings.items():
                self.con.execute(f"SET {name} = '{value}'")
            self._streaming = True
            self._fit_memory()
            yield
        finally:
            for name, value in before.items():
                self.con.execute(f"SET {name} = '{value}'")
            self._streaming = False
            self._fit_memory()

    def reconnect(self) -> None:
        """Close the connection and open a new one on the same file. DuckDB keeps blocks it read or wrote in
        its cache and its allocator keeps freed memory: closing is what gives all of it back."""
        self.con.close()
        gc.collect()
        release_memory()
        self.con = _connect(self.path, self.read_only)
        self._limit = DB_MEMORY_LIMIT
        self._fit_memory()

    # --- meta --------------------------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        row = self.con.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        self.con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [key, value])

    # --- documents ---------------------------------------------------------------------------
    def known_doc_ids(self) -> set[str]:
        return {r[0] for r in self.con.execute("SELECT doc_id FROM documents").fetchall()}

    def write_documents(self, docs: Sequence[Document], run_id: str, sources: Sequence[tuple[str, str]] = (),
                        raws: dict[str, bytes] | None = None) -> int:
        """Insert a batch of processed documents (and their mentions, reports, claims) atomically.
        `sources` adds extra (doc_id, source) pairs: the same bytes seen at another path.
        Returns how many documents were new."""
        raws = raws or {}
        now = datetime.now(UTC).replace(tzinfo=None)
        # Only documents not stored yet are written, with all their rows; a document seen again (a resumed
        # Ray load, the same page in two shards) adds only its source. Its rows have no key of their own.
        fresh: dict[str, Document] = {}
        for d in docs:
            fresh.setdefault(d.doc_id, d)
        if fresh:
            wanted = pa.table({"doc_id": list(fresh)})  # noqa: F841 - read by DuckDB below
            for (stored,) in self.con.execute(
                    "SELECT doc_id FROM documents WHERE doc_id IN (SELECT doc_id FROM wanted)").fetchall():
                del fresh[stored]
        sources = [*((d.doc_id, d.source) for d in docs if fresh.get(d.doc_id) is not d), *sources]
        docs = list(fresh.values())
        doc_rows = [{
            "doc_id": d.doc_id, "source": d.source, "url": d.url, "title": d.title, "author": d.author,
            "site": d.site, "published": d.published, "published_utc": _utc(d.published),
            "published_from": d.published_from, "language": d.language, "encoding": d.encoding,
            "kind": d.kind, "text": d.text, "boilerplate": d.boilerplate,
            "raw": zlib.compress(raws[d.doc_id], 6) if d.doc_id in raws else None,
            "segments": json.dumps([[s.start, s.end, s.raw_start, s.raw_end] for s in d.segments]),
            "status": d.status, "error": d.error, "text_hash": d.text_hash, "minhash": d.minhash,
            "duplicate_of": None, "run_id": run_id, "added_at": now,
        } for d in docs]
        mention_rows = [{"doc_id": d.doc_id, "start": m.start, "end": m.end, "text": m.text, "label": m.label,
                         "entity_id": m.entity_id, "attrs": _to_json(m.attrs)}
                        for d in docs for m in d.mentions]
        report_rows = [{"report_id": r.report_id, "doc_id": r.doc_id, "sentence": r.sentence, "start": r.start,
                        "end": r.end, "event_type": r.event_type, "sub_event_type": r.sub_event_type,
                        "fields": _to_json(r.fields)} for d in docs for r in d.reports]
        claim_rows = [{"claim_id": c.claim_id, "doc_id": c.doc_id, "text": c.text, "start": c.start,
                       "end": c.end, "attributed_to": c.attributed_to, "cue": c.cue, "stance": c.stance,
                       "report_id": c.report_id, "about": c.about} for d in docs for c in d.claims]
        source_rows = [{"doc_id": d.doc_id, "source": d.source, "run_id": run_id} for d in docs]
        seen_again = [{"doc_id": i, "source": s, "run_id": run_id} for i, s in sources]
        with self.transaction():
            self._insert("documents", doc_rows)
            self._insert("mentions", mention_rows)
            self._insert("reports", report_rows)
            self._insert("doc_claims", claim_rows)
            self._insert("document_sources", source_rows)  # a new document has no source stored yet
            self._add_sources(seen_again)
            if doc_rows:
                self.set_meta("derived_stale", "1")
        self._documents += len(doc_rows)
        self._fit_memory()
        return len(doc_rows)

    def _insert(self, table: str, rows: list[dict[str, Any]]) -> None:
        """Append rows (the tables written here have no key: `write_documents` writes each row once)."""
        if not rows:
            return
        batch = pa.Table.from_pylist(rows)  # noqa: F841 - read by DuckDB's replacement scan below
        columns = ", ".join(f'"{c}"' for c in rows[0])
        self.con.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM batch")

    def _add_sources(self, rows: list[dict[str, Any]]) -> None:
        """Add the places stored documents were seen at again, each (document, place) once."""
        if not rows:
            return
        batch = pa.Table.from_pylist(rows)  # noqa: F841
        self.con.execute(
            "INSERT INTO document_sources SELECT doc_id, source, min(run_id) FROM batch b WHERE NOT EXISTS ("
            "SELECT 1 FROM document_sources s WHERE s.doc_id = b.doc_id AND s.source = b.source) "
            "GROUP BY doc_id, source")

    def start_run(self, run_id: str, inputs: list[str]) -> None:
        with self.transaction():
            self.con.execute("INSERT INTO runs (run_id, started_at, inputs, status) VALUES (?, ?, ?, 'running')",
                             [run_id, datetime.now(UTC).replace(tzinfo=None), json.dumps(inputs)])

    def finish_run(self, run_id: str, counts: dict[str, int], status: str = "completed") -> None:
        with self.transaction():
            self.con.execute(
                "UPDATE runs SET finished_at = ?, seen = ?, new = ?, already = ?, copies = ?, failed = ?, "
                "status = ? WHERE run_id = ?",
                [datetime.now(UTC).replace(tzinfo=None), counts.get("seen", 0), counts.get("new", 0),
                 counts.get("already", 0), counts.get("copies", 0), counts.get("failed", 0), status, run_id])

    def rows(self, sql: str, params: Iterable[Any] = ()) -> list[dict[str, Any]]:
        cur = self.con.execute(sql, list(params))
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
