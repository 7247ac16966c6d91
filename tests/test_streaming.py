"""Memory that does not grow with the corpus: JSON Lines read a line at a time, copies found incrementally."""

from __future__ import annotations

import json
import random
import tracemalloc
from pathlib import Path

import pytest
from datasketch import MinHashLSH

from tidings.clean import copies
from tidings.crossdoc import update_copies
from tidings.limits import Limits
from tidings.sources import files, iter_pages
from tidings.store.db import Store


def _pages_key(pages: list) -> list[tuple]:  # type: ignore[type-arg]
    return [(p.source, p.raw, p.kind, p.error, p.url, p.hints, p.doc_id) for p in pages]


def test_jsonl_is_read_with_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    with path.open("w") as fh:
        for i in range(50_000):
            fh.write(json.dumps({"id": f"r{i}", "text": f"Record {i} " + "word " * 30}) + "\n")
    size = path.stat().st_size
    tracemalloc.start()
    try:
        count = sum(1 for _ in iter_pages([str(path)]))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 50_000
    assert peak < size / 50, (peak, size)  # a few records at a time, not the 10 MB file


CASES = {
    "lines.jsonl": b'{"id":"a","text":"x"}\n\n{"text":"y"}\r\n{bad\n\r{"text":"z"}\r\r{"text":"w"}',
    "bom.jsonl": b'\xef\xbb\xbf{"text":"x"}\n{"text":"y"}\n',
    "one-object.jsonl": b'{"text":"only"}\n\n  \n',
    "pretty.json": b'{\n "text": "pretty"\n}\n',
    "array.json": b'[{"text":"a"},{"text":"b"}]',
    "blank-then-bom.jsonl": b'\n\n{"text":"a"}\n\xef\xbb\xbf\n',
    "garbage-first.jsonl": b'garbage\n{"text":"a"}\n',
    "trailing.jsonl": b'{"text":"a"} trailing\n{"text":"b"}\n',
    "not-utf8.jsonl": b'{"text":"\xff\xfe"}\n{"text":"b"}',
    "long-lines.jsonl": b'{"text":"b"}\n{"text":"' + b"x" * 300 + b'"}\n{"text":"b"}\n{"text":"' + b"y" * 300
                        + b'"}\r\n' + b"z" * 99 + b"\r\n" + b"q" * 100 + b"\n" + b"s" * 101 + b"\r\n"
                        + b"t" * 98 + b"\r\r\n" + b"u" * 150,
    "blank.jsonl": b"   \n",
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_streamed_jsonl_gives_the_pages_of_the_whole_file(tmp_path: Path, name: str) -> None:
    """Line numbers (ids of records without one), raw bytes (doc ids) and errors are those of reading the
    whole file: resuming a run started before streaming adds nothing."""
    limits = Limits(max_raw_bytes=100)
    path = tmp_path / name
    path.write_bytes(CASES[name])
    streamed = list(files.read_path(str(path), limits))
    whole = list(files.read_file(str(path), CASES[name], limits))
    assert _pages_key(streamed) == _pages_key(whole)


def test_jsonl_over_the_file_size_cap_is_streamed(tmp_path: Path) -> None:
    path = tmp_path / "many.jsonl"
    path.write_text("".join(json.dumps({"text": f"story {i} " * 20}) + "\n" for i in range(200)))
    pages = list(files.read_path(str(path), Limits(max_decompressed_bytes=10_000)))
    assert len(pages) == 200 and all(p.kind == "record-text" for p in pages)


# ---------------------------------------------------------------------------------------------- copies
def reference_duplicate_map(rows: list[tuple]) -> dict[str, str | None]:  # type: ignore[type-arg]
    """The whole-store algorithm the incremental one replaced (datasketch's LSH index over every signature),
    kept here as the oracle. rows: (doc_id, text_hash, minhash, published, length)."""
    parent = {r[0]: r[0] for r in rows}

    def find(x: str) -> str:
        while parent[x] != x:
            x = parent[x]
        return x

    def union(a: str, b: str) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    by_hash: dict[str, str] = {}
    lsh = MinHashLSH(threshold=copies.THRESHOLD, num_perm=copies.NUM_PERM)
    hashes = {}
    for doc_id, h, sig, _, _ in sorted(rows):
        if h:
            if h in by_hash:
                union(by_hash[h], doc_id)
            else:
                by_hash[h] = doc_id
        if sig is None:
            continue
        mh = copies._minhash(sig)
        for other in lsh.query(mh):
            if hashes[other].jaccard(mh) >= copies.THRESHOLD:
                union(other, doc_id)
        lsh.insert(doc_id, mh)
        hashes[doc_id] = mh
    info = {r[0]: r for r in rows}
    clusters: dict[str, list[str]] = {}
    for doc_id in parent:
        clusters.setdefault(find(doc_id), []).append(doc_id)
    result: dict[str, str | None] = dict.fromkeys(parent)
    for members in clusters.values():
        if len(members) > 1:
            key = {m: copies.published_key(info[m][3]) for m in members}
            rep = min(members, key=lambda m: (key[m] is None, key[m] or "", -info[m][4], m))
            for m in members:
                result[m] = None if m == rep else rep
    return result


def _corpus(seed: int = 7) -> list[dict[str, object]]:
    """Stories, rewrites of them (a few words changed: near copies), exact copies with other punctuation,
    short texts (no signature), and dates in several forms, so clusters form, chain and tie."""
    rng = random.Random(seed)
    vocab = [f"w{i}" for i in range(400)]
    stories = [[rng.choice(vocab) for _ in range(rng.randint(40, 120))] for _ in range(12)]
    dates = [None, "", "2024-03-01", "2024-03-01T10:00:00+02:00", "2024-03-01T08:00:00Z", "2024-02-29T23:00:00",
             "March 2024", "2024-03-02T00:00:00-05:00"]
    docs: list[dict[str, object]] = []
    for s, words in enumerate(stories):
        for v in range(rng.randint(1, 6)):
            w = list(words)
            for _ in range(rng.choice([0, 1, 2, 4, 8, 20])):
                w[rng.randrange(len(w))] = rng.choice(vocab)
            if rng.random() < 0.3:
                w = w + [rng.choice(vocab) for _ in range(rng.randint(1, 10))]
            text = " ".join(w) + (". " if v % 2 else "!")
            docs.append({"text": text, "published": rng.choice(dates), "id": f"s{s}v{v}"})
    for i in range(6):
        short = " ".join(rng.choice(vocab[:20]) for _ in range(5))
        docs += [{"text": short, "published": rng.choice(dates), "id": f"short{i}a"},
                 {"text": short.upper() + ".", "published": rng.choice(dates), "id": f"short{i}b"}]
    docs.append({"text": "", "published": None, "id": "empty"})
    rng.shuffle(docs)
    return docs


def _insert(store: Store, docs: list[dict[str, object]]) -> None:
    for d in docs:
        text = str(d["text"])
        doc_id = copies.text_hash(text + str(d["id"])) or str(d["id"])
        status = "ok" if d["id"] != "empty" else "empty"
        store.con.execute(
            "INSERT INTO documents (doc_id, source, published, text, status, text_hash, minhash) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [doc_id, str(d["id"]), d["published"], text, status, copies.text_hash(text),
             copies.minhash_signature(text)])


def _stored(store: Store) -> tuple[dict[str, str | None], list[tuple]]:  # type: ignore[type-arg]
    got = dict(store.con.execute("SELECT doc_id, duplicate_of FROM documents WHERE status = 'ok'").fetchall())
    rows = store.con.execute("SELECT doc_id, text_hash, minhash, published, length(text) FROM documents "
                             "WHERE status = 'ok'").fetchall()
    return got, rows


def test_lsh_banding_is_datasketchs() -> None:
    lsh = MinHashLSH(threshold=copies.THRESHOLD, num_perm=copies.NUM_PERM)
    assert (lsh.b, lsh.r) == (copies.BANDS, copies.ROWS)


@pytest.mark.parametrize("chunk", [1, 3, 4096])
def test_incremental_copies_equal_the_whole_store_result(tmp_path: Path, chunk: int) -> None:
    docs = _corpus()
    with Store.open(tmp_path / "c.duckdb") as store:
        # Added in four runs, each compared against what is stored, a chunk at a time.
        for part in (docs[:5], docs[5:20], docs[20:21], docs[21:]):
            _insert(store, part)
            n = update_copies(store, chunk=chunk)
            got, rows = _stored(store)
            assert got == reference_duplicate_map(rows)
            assert n == sum(1 for v in got.values() if v)
        assert n > 5 and len({v for v in got.values() if v}) > 3  # the fixture has copies to find
        # Re-running changes nothing.
        before = store.con.execute("SELECT * FROM copy_index ORDER BY doc_id").fetchall()
        assert update_copies(store, chunk=chunk) == n
        assert store.con.execute("SELECT * FROM copy_index ORDER BY doc_id").fetchall() == before
        assert _stored(store)[0] == got


def test_copy_index_is_rebuilt_when_its_settings_change(tmp_path: Path) -> None:
    with Store.open(tmp_path / "c.duckdb") as store:
        _insert(store, _corpus(seed=3))
        n = update_copies(store)
        got = _stored(store)[0]
        # A store indexed with other settings (or written before the index existed) is compared afresh.
        store.set_meta("copy_index", "older")
        store.con.execute("UPDATE documents SET duplicate_of = 'stale'")
        assert update_copies(store) == n
        assert _stored(store)[0] == got
        bands = store.con.execute("SELECT count(*) FROM copy_bands").fetchone()[0]
        signed = store.con.execute("SELECT count(*) FROM documents WHERE status = 'ok' AND minhash IS NOT NULL"
                                   ).fetchone()[0]
        assert bands == signed * copies.BANDS


def test_database_memory_is_bounded(tmp_path: Path) -> None:
    """DuckDB's default cache is 80% of RAM, which a long run would fill with written blocks."""
    with Store.open(tmp_path / "m.duckdb") as store:
        limit = store.con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    value, unit = limit.split()
    assert unit in ("MiB", "KiB") and float(value) <= 1024


def test_minhash_signature_is_datasketchs() -> None:
    """Stored signatures stay comparable: the fast path equals datasketch's own MinHash of the shingles."""
    import numpy as np
    from datasketch import MinHash

    text = ("Two people were killed when shelling hit Kharkiv on Monday, the regional governor said, and "
            "rescuers searched the rubble of a five-storey building for survivors until late at night. ") * 3
    tokens = copies.words(text)
    shingles = {" ".join(tokens[i : i + copies.SHINGLE]).encode() for i in range(len(tokens) - copies.SHINGLE + 1)}
    mh = MinHash(num_perm=copies.NUM_PERM, seed=1, scheme=copies.SCHEME)
    mh.update_batch(list(shingles))
    assert copies.minhash_signature(text) == mh.hashvalues.astype(np.uint64).tobytes()
