"""The served ledger: the database file attached read-only to an in-memory DuckDB.

Why not open the file directly: full-text search needs an index, and building one writes tables. An
in-memory catalog holds the search index (built once at start) and views named like the ledger's
tables, so the file itself is never written and `tidings.store.export` works unchanged on it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import util
from pathlib import Path
from typing import Any

import duckdb

from tidings.errors import DatabaseError
from tidings.store.db import Store
from tidings.store.schema import MIGRATIONS

log = logging.getLogger(__name__)

SYNC_INDEX_ROWS = 20_000  # below this many events the search index is built before serving (about a second)
TABLES = tuple(sorted({sql.split()[2] for _n, _t, stmts in MIGRATIONS for sql in stmts
                       if sql.lstrip().startswith("CREATE TABLE")}))


def fts_extension() -> Path | None:
    """The signed fts extension shipped by the `duckdb-extension-fts` wheel (DuckDB cannot download here)."""
    spec = util.find_spec("duckdb_extension_fts")
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        found = sorted(Path(folder).rglob("fts.duckdb_extension"))
        if found:
            return found[-1]
    return None


class Ledger:
    """One read-only view of a tidings database, shared by all requests (each gets its own cursor)."""

    def __init__(self, path: str) -> None:
        # Store.open gives the clear errors (missing file, locked, wrong schema) and checks the version.
        Store.open(path, read_only=True).close()
        self.path = path
        self.con = duckdb.connect(":memory:", config={"threads": 2})
        try:
            # ATTACH takes no bound parameters: quote the path as an SQL string literal.
            self.con.execute(f"ATTACH '{path.replace(chr(39), chr(39) * 2)}' AS ledger (READ_ONLY)")
        except duckdb.Error as exc:
            raise DatabaseError(f"cannot open database {path}: {str(exc).splitlines()[0]}") from None
        for table in TABLES:
            self.con.execute(f"CREATE VIEW {table} AS SELECT * FROM ledger.{table}")
        self._lock = threading.Lock()
        self.fts = False  # set once the full-text index is built; substring search until then
        self.indexing: threading.Thread | None = None
        self._text_table()
        n = self.con.execute("SELECT count(*) FROM event_text").fetchone()
        if n and n[0] > SYNC_INDEX_ROWS:
            # A large ledger takes many seconds to index: serve at once, switch to the index when it is ready.
            self.indexing = threading.Thread(target=self._build_index, name="tidings-fts", daemon=True)
            self.indexing.start()
        else:
            self._build_index()

    def _text_table(self) -> None:
        self.con.execute("""
            CREATE TABLE event_text AS
            SELECT e.event_id, concat_ws(' ', e.notes, e.location, e.actor1, e.actor2, s.body) AS body
            FROM ledger.events e LEFT JOIN (SELECT event_id, string_agg(sentence, ' ') AS body
                                            FROM ledger.event_sources GROUP BY event_id) s USING (event_id)""")

    def _build_index(self) -> None:
        ext = fts_extension()
        if ext is None:
            log.warning("the fts extension is missing: search uses substring matching")
            return
        with self.cursor() as cur:
            try:
                cur.execute(f"LOAD '{ext.as_posix()}'")
                cur.execute("PRAGMA create_fts_index('event_text', 'event_id', 'body', overwrite=1)")
            except duckdb.Error as exc:
                log.warning("full-text index unavailable (%s): search uses substring matching", exc)
                return
        self.fts = True

    def search(self) -> str:
        """SQL selecting the event_ids whose text holds every word of the query (one `?` parameter).

        With the index: the query is tokenised and stemmed the way the index was (lower case, accents
        stripped, letters only, Porter stems, English stop words dropped) and looked up in the inverted
        index directly; scoring every row with match_bm25 costs ten times more on a large ledger."""
        if not self.fts:
            return "SELECT event_id FROM event_text WHERE body ILIKE '%' || ? || '%'"
        return """
            SELECT f.name AS event_id FROM (
                WITH words AS (
                    SELECT DISTINCT stem(w, 'porter') AS term
                    FROM unnest(regexp_split_to_array(lower(strip_accents(?)), '[^a-z]+')) AS u(w)
                    WHERE w <> '' AND w NOT IN (SELECT sw FROM fts_main_event_text.stopwords))
                SELECT t.docid FROM fts_main_event_text.terms t
                JOIN fts_main_event_text.dict d ON d.termid = t.termid JOIN words ON words.term = d.term
                GROUP BY t.docid HAVING count(DISTINCT d.termid) = (SELECT count(*) FROM words)
                   AND (SELECT count(*) FROM words) > 0
            ) hits JOIN fts_main_event_text.docs f ON f.docid = hits.docid"""

    @contextmanager
    def cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with self._lock:  # creating cursors concurrently on one connection is not safe
            cur = self.con.cursor()
        try:
            yield cur
        finally:
            cur.close()

    def rows(self, sql: str, params: list[Any] | tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        with self.cursor() as cur:
            result = cur.execute(sql, list(params))
            names = [d[0] for d in result.description]
            return [dict(zip(names, row, strict=True)) for row in result.fetchall()]

    def one(self, sql: str, params: list[Any] | tuple[Any, ...] = ()) -> dict[str, Any] | None:
        found = self.rows(sql, params)
        return found[0] if found else None

    def store(self, cur: duckdb.DuckDBPyConnection) -> Store:
        """A Store over a request's cursor, for the export writers."""
        return Store(cur, self.path, read_only=True)

    def close(self) -> None:
        self.con.close()
