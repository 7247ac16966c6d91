"""Batch writes without keys on a document's rows: a document is written once, with all its rows, however
often it is offered; old databases migrate with their rows; the write-time memory limit is set back."""

from __future__ import annotations

from pathlib import Path

import duckdb

from tidings.records import Claim, Document, Mention, Report
from tidings.store.db import DB_MEMORY_LIMIT, Store
from tidings.store.schema import MIGRATIONS, SCHEMA_VERSION


def _doc(doc_id: str, source: str) -> Document:
    doc = Document(doc_id=doc_id, source=source, text="Shelling hit Kharkiv, officials said.", status="ok")
    doc.mentions = [Mention(13, 20, "Kharkiv", "GPE"), Mention(22, 31, "officials", "PERSON")]
    doc.reports = [Report(f"r-{doc_id}", doc_id, doc.text, 0, len(doc.text), "Explosions/Remote violence",
                          "Shelling/artillery/missile attack", {"trigger": "shelling"})]
    doc.claims = [Claim(f"c-{doc_id}", doc_id, doc.text, 0, len(doc.text), "officials", "said", "asserts")]
    return doc


def _counts(store: Store) -> tuple[int, ...]:
    return tuple(store.con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                 for t in ("documents", "mentions", "reports", "doc_claims", "document_sources"))


def test_a_document_offered_again_adds_only_its_source(tmp_path: Path) -> None:
    with Store.open(tmp_path / "t.duckdb") as store:
        # Twice in one batch (the same page in two shards), then again in a later batch (a resumed load).
        assert store.write_documents([_doc("a", "one.html"), _doc("b", "b.html"), _doc("a", "two.html")], "r1") == 2
        assert store.write_documents([_doc("a", "three.html"), _doc("c", "c.html")], "r2") == 1
        assert _counts(store) == (3, 6, 3, 3, 5)
        sources = [r[0] for r in store.con.execute(
            "SELECT source FROM document_sources WHERE doc_id = 'a' ORDER BY source").fetchall()]
        assert sources == ["one.html", "three.html", "two.html"]
        assert store.con.execute("SELECT source FROM documents WHERE doc_id = 'a'").fetchone()[0] == "one.html"
        # The same batch written again changes nothing.
        assert store.write_documents([_doc("a", "one.html"), _doc("b", "b.html")], "r3") == 0
        assert _counts(store) == (3, 6, 3, 3, 5)


def test_version_2_database_migrates_with_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    for number, _title, statements in MIGRATIONS:
        if number > 2:
            break
        for sql in statements:
            con.execute(sql)
    con.execute("INSERT INTO meta VALUES ('schema_version', '2')")
    con.execute("INSERT INTO mentions VALUES ('a', 0, 7, 'Kharkiv', 'GPE', 'grp:x', '{}')")
    con.execute("INSERT INTO reports VALUES ('r-a', 'a', 'Shelling.', 0, 9, 'Battles', 'Armed clash', '{}')")
    con.execute("INSERT INTO doc_claims VALUES ('c-a', 'a', 'It was hit.', 0, 11, 'army', 'said', 'asserts', "
                "'r-a', NULL)")
    con.execute("INSERT INTO documents (doc_id, source, text, status) VALUES ('a', 'a.html', 'Shelling.', 'ok')")
    con.execute("INSERT INTO document_sources VALUES ('a', 'a.html', 'r0')")
    con.execute("INSERT INTO events (event_id, event_type) VALUES ('e-a', 'Battles')")
    con.close()
    with Store.open(path) as store:
        assert store.get_meta("schema_version") == str(SCHEMA_VERSION)
        assert store.rows("SELECT text, entity_id FROM mentions") == [{"text": "Kharkiv", "entity_id": "grp:x"}]
        assert store.rows("SELECT report_id FROM reports") == [{"report_id": "r-a"}]
        assert store.rows("SELECT claim_id, report_id FROM doc_claims") == [{"claim_id": "c-a", "report_id": "r-a"}]
        tables = {r[0] for r in store.con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        assert not {t for t in tables if t.endswith("_v2")}
        assert not store.con.execute("SELECT index_name FROM duckdb_indexes() "
                                     "WHERE index_name = 'documents_text_hash'").fetchall()
        assert not {t for t in tables if t.endswith("_v4")}
        assert store.rows("SELECT doc_id, source, status FROM documents") == [
            {"doc_id": "a", "source": "a.html", "status": "ok"}]
        assert store.rows("SELECT source FROM document_sources") == [{"source": "a.html"}]
        assert store.rows("SELECT event_id FROM events") == [{"event_id": "e-a"}]
        # Only the small tables keep a key: DuckDB holds every key index in memory.
        keys = {r[0] for r in store.con.execute(
            "SELECT table_name FROM duckdb_constraints() WHERE constraint_type = 'PRIMARY KEY'").fetchall()}
        assert keys == {"meta", "runs"}
        assert not store.con.execute("SELECT index_name FROM duckdb_indexes()").fetchall()
        # Offered again after the migration, the document adds only its new source.
        assert store.write_documents([_doc("a", "a.html"), _doc("a", "b.html")], "r1") == 0
        assert store.rows("SELECT source FROM document_sources ORDER BY source") == [
            {"source": "a.html"}, {"source": "b.html"}]


def test_streaming_settings_are_set_back(tmp_path: Path) -> None:
    def settings(store: Store) -> tuple[str, ...]:
        return store.con.execute("SELECT current_setting('memory_limit'), current_setting('threads'), "
                                 "current_setting('checkpoint_threshold')").fetchone()

    with Store.open(tmp_path / "t.duckdb") as store:
        normal = settings(store)
        try:
            with store.streaming_writes():
                streaming = settings(store)
                assert all(a != b for a, b in zip(streaming, normal, strict=True)), (streaming, normal)
                raise KeyboardInterrupt
        except KeyboardInterrupt:
            pass
        assert settings(store) == normal
        assert DB_MEMORY_LIMIT


def test_the_cross_stage_limit_grows_and_the_write_cache_is_fixed(tmp_path: Path, monkeypatch) -> None:
    """The cross-document stages' cache grows by CROSS_BYTES_PER_DOC a stored document (a fixed 150 MB failed
    with "failed to pin block" at 100,000 pages); the streaming write cache stays at 64 MB however many."""
    from tidings.store import db

    monkeypatch.delenv("TIDINGS_DB_MEMORY", raising=False)
    monkeypatch.setattr(db, "CROSS_BYTES_PER_DOC", 2**20)  # 1 MB a document, so three documents show

    def limit(store: Store) -> float:  # in MB, as DuckDB counts them (10^6 bytes)
        setting = store.con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
        return round(float(setting.removesuffix(" MiB")) * 2**20 / 10**6)

    with Store.open(tmp_path / "t.duckdb") as store:
        assert limit(store) == 256
        with store.streaming_writes():
            assert limit(store) == 64
            store.write_documents([_doc(f"d{i}", f"s{i}") for i in range(3)], "run")
            assert limit(store) == 64
        assert limit(store) == 259
    with Store.open(tmp_path / "t.duckdb") as store:  # reopened: the stored documents count
        assert limit(store) == 259
    monkeypatch.setenv("TIDINGS_DB_MEMORY", "100MB")
    assert db.memory_limit("100MB", 10**6) == "100MB"  # a limit the user set is kept as it is


def test_reconnect_hands_back_the_connection_and_keeps_the_data(tmp_path: Path, monkeypatch) -> None:
    """The cross-document stages start on a new connection (closing the old one is what hands DuckDB's cache
    and allocator back): the data is all there, the memory limit and allocator settings are set again."""
    from tidings.store import db

    monkeypatch.delenv("TIDINGS_DB_MEMORY", raising=False)
    monkeypatch.setattr(db, "CROSS_BYTES_PER_DOC", 2**20)

    def limit(store: Store) -> float:
        setting = store.con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
        return round(float(setting.removesuffix(" MiB")) * 2**20 / 10**6)

    with Store.open(tmp_path / "t.duckdb") as store:
        store.write_documents([_doc(f"d{i}", f"s{i}") for i in range(3)], "run")
        old = store.con
        store.reconnect()
        assert store.con is not old
        assert _counts(store) == (3, 6, 3, 3, 3)
        assert limit(store) == 259
        flush = store.con.execute("SELECT current_setting('allocator_flush_threshold')").fetchone()[0]
        assert flush.startswith(("15.2", "16")), flush  # 16 MB, however DuckDB prints it
        try:
            old.execute("SELECT 1")
            raise AssertionError("the old connection is still open")
        except duckdb.ConnectionException:
            pass
