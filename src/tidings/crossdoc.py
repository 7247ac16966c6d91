"""The cross-document stages: copies, entities, incidents. Copies are found incrementally (each new
document against the copy index kept in the store, a bounded chunk at a time); entities and incidents
read the whole store and rewrite their tables in one transaction. All are deterministic, so re-running
changes nothing and adding inputs only adds or merges."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pyarrow as pa

from tidings.clean import copies
from tidings.pipeline import Context
from tidings.store.db import Store

COPY_CHUNK = 4096  # documents indexed per transaction: what copy detection holds in memory at once


def update_copies(store: Store, chunk: int = COPY_CHUNK) -> int:
    """Compare the `ok` documents not yet in the copy index with every indexed one and with each other, and
    set `duplicate_of` in the clusters they join: the same result as comparing the whole store at once
    (copy clusters only grow). Each chunk is one transaction, so a killed run resumes with the next chunk.
    Returns how many documents in the database are copies."""
    con = store.con
    if store.get_meta("copy_index") != copies.INDEX_VERSION:
        # A new store, one from before the index, or changed settings: compare everything again.
        with store.transaction():
            con.execute("DELETE FROM copy_bands")
            con.execute("DELETE FROM copy_index")
            con.execute("UPDATE documents SET duplicate_of = NULL WHERE duplicate_of IS NOT NULL")
            store.set_meta("copy_index", copies.INDEX_VERSION)
    # Documents are visited in rowid ranges: the scan reads only that range (never the whole text column).
    unindexed = "d.status = 'ok' AND NOT EXISTS (SELECT 1 FROM copy_index c WHERE c.doc_id = d.doc_id)"
    ranges = [r[0] for r in con.execute(
        f"SELECT DISTINCT d.rowid // {chunk} AS r FROM documents d WHERE {unindexed} ORDER BY r").fetchall()]
    for r in ranges:
        rows = con.execute(
            f"SELECT d.doc_id, d.text_hash, d.minhash, d.published, length(d.text) FROM documents d "
            f"WHERE d.rowid >= ? AND d.rowid < ? AND {unindexed} ORDER BY d.doc_id",
            [r * chunk, (r + 1) * chunk]).fetchall()
        if rows:
            with store.transaction():
                _index_copies(store, rows)
    return con.execute("SELECT count(*) FROM documents WHERE duplicate_of IS NOT NULL").fetchone()[0]


def _index_copies(store: Store, rows: list[tuple[Any, ...]]) -> None:
    """Add one chunk of documents (doc_id, text_hash, minhash, published, length) to the copy index."""
    con = store.con
    new_docs = pa.table({  # noqa: F841 - read by DuckDB below
        "doc_id": [r[0] for r in rows], "text_hash": [r[1] for r in rows],
        "published_key": [copies.published_key(r[3]) for r in rows],
        "length": pa.array([r[4] for r in rows], pa.int32()), "cluster": [r[0] for r in rows]})
    con.execute("INSERT INTO copy_index SELECT doc_id, text_hash, published_key, length, cluster FROM new_docs")
    signed = [r[0] for r in rows if r[2] is not None]
    array = copies.signatures([r[2] for r in rows if r[2] is not None])
    sigs = dict(zip(signed, array, strict=True))
    new_bands = pa.table({  # noqa: F841
        "band": pa.array(np.tile(np.arange(copies.BANDS, dtype=np.uint8), len(signed))),
        "bucket": pa.array(copies.band_buckets(array).reshape(-1)),
        "doc_id": pa.array(np.repeat(np.array(signed, dtype=object), copies.BANDS), pa.string())})
    con.execute("INSERT INTO copy_bands SELECT band, bucket, doc_id FROM new_bands")
    # Edges from each new document: the same text (no check needed) or a shared LSH bucket (checked below).
    # The other end is named by its cluster; a new document is still its own cluster.
    edges: list[tuple[str, str]] = [(a, cluster) for a, cluster in con.execute(
        "SELECT n.doc_id, c.cluster FROM new_docs n JOIN copy_index c ON n.text_hash = c.text_hash "
        "WHERE c.doc_id <> n.doc_id").fetchall()]
    candidates = con.execute(
        "SELECT DISTINCT n.doc_id, b.doc_id, c.cluster FROM new_bands n "
        "JOIN copy_bands b ON b.band = n.band AND b.bucket = n.bucket AND b.doc_id <> n.doc_id "
        "JOIN copy_index c ON c.doc_id = b.doc_id").fetchall()
    others = sorted({b for _, b, _ in candidates if b not in sigs})
    if others:
        wanted = pa.table({"doc_id": others})  # noqa: F841
        fetched = con.execute("SELECT d.doc_id, d.minhash FROM documents d JOIN wanted w USING (doc_id)").fetchall()
        sigs |= dict(zip([f[0] for f in fetched], copies.signatures([f[1] for f in fetched]), strict=True))
    edges += [(a, cluster) for a, b, cluster in candidates if copies.is_copy(sigs[a], sigs[b])]
    labels = copies.merged_labels(edges)
    if not labels:
        return
    relabel = pa.table({"old": list(labels), "new": list(labels.values())})  # noqa: F841
    con.execute("UPDATE copy_index SET cluster = m.new FROM relabel m "
                "WHERE copy_index.cluster = m.old AND m.old <> m.new")
    # The clusters that changed get their original again: earliest published (an unknown date never beats
    # a known one), then the most complete, then the smallest doc_id.
    changed = pa.table({"cluster": sorted(set(labels.values()))})  # noqa: F841
    con.execute("""
        UPDATE documents SET duplicate_of = r.rep FROM (
            SELECT doc_id, CASE WHEN doc_id = first THEN NULL ELSE first END AS rep FROM (
                SELECT c.doc_id, first_value(c.doc_id) OVER (
                    PARTITION BY c.cluster
                    ORDER BY c.published_key IS NULL, c.published_key, c.length DESC, c.doc_id) AS first
                FROM copy_index c JOIN changed USING (cluster))) AS r
        WHERE documents.doc_id = r.doc_id AND documents.duplicate_of IS DISTINCT FROM r.rep""")


CrossStage = Callable[[Store, Context], object]


def cross_stages() -> list[tuple[str, CrossStage]]:
    """The stages that rebuild their tables from the whole store (copies are incremental: `update_copies`)."""
    stages: list[tuple[str, CrossStage]] = []
    try:
        from tidings.merge import rebuild_entities, rebuild_events
    except ImportError:  # the NLP stages are not installed in this build
        return stages
    stages += [("entities", rebuild_entities), ("incidents", rebuild_events)]
    return stages


def rebuild_derived(store: Store, ctx: Context, force: bool = False) -> dict[str, object]:
    """Run the cross-document stages when documents changed since they last ran (or when forced)."""
    if not force and store.get_meta("derived_stale") == "0":
        return {}
    # Copies commit a chunk at a time (their index never gets ahead of the documents); the rest is rebuilt
    # in one transaction, and the store is marked up to date only when everything has run.
    seconds: dict[str, float] = {}
    # A fresh connection first: what the stream of writes left in DuckDB's cache and allocator goes back.
    # (These stages keep the full DB_MEMORY_LIMIT: at 100,000 pages a 150 MB limit ran out, "failed to pin
    # block", in the claims stage; their one transaction holds, probably, the undo of every mention updated.)
    store.reconnect()
    started = time.perf_counter()
    results: dict[str, object] = {"copies": update_copies(store), "seconds": seconds}
    seconds["copies"] = time.perf_counter() - started
    with store.transaction():
        for name, stage in cross_stages():
            started = time.perf_counter()
            results[name] = stage(store, ctx)
            seconds[name] = time.perf_counter() - started
        store.set_meta("derived_stale", "0")
    return results
