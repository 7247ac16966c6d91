"""The served ledger: the database file attached read-only to an in-memory DuckDB.

Why not open the file directly: full-text search needs an index, and building one writes tables. An
in-memory catalog holds the search index (built once at start) and views named like the ledger's
tables, so the file itself is never written and `tidings.store.export` works unchanged on it.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
from collections import OrderedDict
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
MAX_TERMS = 12
HITS = re.compile(r"\bsearch_hits_[0-9a-f]{16}\b")
TOKENS = "regexp_split_to_array(lower(strip_accents({text})), '[^a-z0-9]+')"
# Words too common to search by; never indexed (the stemmer leaves all of these unchanged).
STOPWORDS = frozenset(
    "a an and are as at be but by for from has have he in is it its of on or said that the their they this to "
    "was were which with".split())
TABLES = tuple(sorted({sql.split()[2] for _n, _t, stmts in MIGRATIONS for sql in stmts
                       if sql.lstrip().startswith("CREATE TABLE")}))


def escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


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


class LRU:
    """A small thread-safe least-recently-used cache for results of the read-only ledger."""

    def __init__(self, size: int = 128) -> None:
        self.size = size
        self._data: OrderedDict[str, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> Any:
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)
                return self._data[key]
        return None

    def put(self, key: str, value: Any) -> None:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.size:
                self._data.popitem(last=False)


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
        held = self.con.execute("SELECT DISTINCT event_type, sub_event_type FROM events").fetchall()
        self.event_types = frozenset(t for t, _s in held if t)
        self.sub_event_types = frozenset(s for _t, s in held if s)
        self._lock = threading.Lock()
        self.fts = False  # set once the full-text index is built; substring search until then
        self.indexing: threading.Thread | None = None
        self._indexer: duckdb.DuckDBPyConnection | None = None
        self.cache = LRU()  # safe: the file is attached read-only, so results never go stale while served
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
        stop = ", ".join(f"'{w}'" for w in sorted(STOPWORDS))
        with self.cursor() as cur:
            self._indexer = cur
            try:
                cur.execute(f"LOAD '{ext.as_posix()}'")
                # Postings sorted by term, so a lookup reads only the row groups of its terms.
                cur.execute(f"""
                    CREATE TABLE search_postings AS
                    WITH words AS (
                        SELECT DISTINCT event_id, unnest({TOKENS.format(text="body")}) AS w FROM event_text)
                    SELECT DISTINCT stem(w, 'porter') AS term, event_id FROM words
                    WHERE length(w) > 1 AND w NOT IN ({stop}) ORDER BY term, event_id""")
            except duckdb.Error as exc:
                if not isinstance(exc, duckdb.InterruptException):  # interrupted: the server is closing
                    log.warning("full-text index unavailable (%s): search uses substring matching", exc)
                return
            finally:
                self._indexer = None
        self.fts = True

    def search(self, q: str) -> tuple[str, list[Any]]:
        """SQL selecting the event_ids whose notes and source sentences hold every word of `q`, and its
        parameters. Words are matched on their Porter stems (the fts extension's stemmer), so "shelling"
        finds "shelled"; until the index is ready, or for a query of stop words only, `q` is a substring."""
        substring = ("SELECT event_id FROM event_text WHERE body ILIKE ? ESCAPE '\\'", [f"%{escape_like(q)}%"])
        if not self.fts:
            return substring
        with self.cursor() as cur:
            terms = [r[0] for r in cur.execute(
                f"SELECT DISTINCT stem(w, 'porter') FROM unnest({TOKENS.format(text='?')}) AS u(w) "
                "WHERE length(w) > 1 ORDER BY 1", [q]).fetchall() if r[0] not in STOPWORDS][:MAX_TERMS]
        if not terms:
            return substring
        # The matching ids are looked up once per query text and kept as an Arrow table that each request's
        # cursor registers by name: the page asks for the list, the stats and every map move with the same
        # `q`, and a hash join with a ready table is far cheaper than re-running the postings intersection
        # (or binding thousands of ids as a parameter).
        name = "search_hits_" + hashlib.sha1(" ".join(terms).encode()).hexdigest()[:16]
        if self.cache.get(name) is None:
            sql = " INTERSECT ".join("SELECT event_id FROM search_postings WHERE term = ?" for _ in terms)
            with self.cursor() as cur:
                self.cache.put(name, cur.execute(sql, terms).to_arrow_table())
        return f"SELECT event_id FROM {name}", []

    def register_hits(self, cur: duckdb.DuckDBPyConnection, sql: str) -> None:
        """Make the search results `sql` names visible to this cursor (registration is per cursor)."""
        for name in set(HITS.findall(sql)):
            table = self.cache.get(name)
            if table is None:  # evicted since the SQL was made: look it up again
                raise LookupError(name)
            cur.register(name, table)

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
            self.register_hits(cur, sql)
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
        # Stop an index build still running, or closing under it aborts the process.
        indexer = self._indexer
        if indexer is not None and self.indexing is not None and self.indexing.is_alive():
            indexer.interrupt()
            self.indexing.join(timeout=30)
        self.con.close()
