"""The cross-document stages: copies, entities, incidents. Each reads the whole store and rewrites its
derived tables in one transaction, deterministically, so re-running changes nothing and adding inputs
only adds or merges."""

from __future__ import annotations

from collections.abc import Callable

import pyarrow as pa

from tidings.clean.copies import CopyCandidate, duplicate_map
from tidings.pipeline import Context
from tidings.store.db import Store


def update_copies(store: Store) -> int:
    rows = store.con.execute(
        "SELECT doc_id, text_hash, minhash, published, length(text) FROM documents WHERE status = 'ok'"
    ).fetchall()
    mapping = duplicate_map(CopyCandidate(r[0], r[1], r[2], r[3], r[4]) for r in rows)
    copy_map = pa.table({"doc_id": list(mapping), "dup": [mapping[k] for k in mapping]})  # noqa: F841
    store.con.execute("UPDATE documents SET duplicate_of = NULL WHERE duplicate_of IS NOT NULL")
    store.con.execute("UPDATE documents SET duplicate_of = t.dup FROM copy_map AS t "
                      "WHERE documents.doc_id = t.doc_id AND t.dup IS NOT NULL")
    return sum(1 for v in mapping.values() if v)


CrossStage = Callable[[Store, Context], object]


def cross_stages() -> list[tuple[str, CrossStage]]:
    stages: list[tuple[str, CrossStage]] = [("copies", lambda store, ctx: update_copies(store))]
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
    results: dict[str, object] = {}
    with store.transaction():
        for name, stage in cross_stages():
            results[name] = stage(store, ctx)
        store.set_meta("derived_stale", "0")
    return results
