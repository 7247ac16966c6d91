"""Exact and near-duplicate documents: syndicated copies, content-farm rewrites with new chrome.

Per document (parallel stage): a hash of the normalised text and a MinHash of its word shingles.
Across documents (one pass over the store): LSH candidate pairs, verified by estimated Jaccard, joined
into clusters; each copy points at its cluster's earliest-published (else longest) member.
Copies are kept, never deleted.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
from datasketch import MinHash, MinHashLSH

NUM_PERM = 128
SHINGLE = 5  # words per shingle: long enough to ignore common phrases, short enough for rewrites
THRESHOLD = 0.6  # estimated Jaccard of shingles for two texts to be copies
MIN_WORDS = 25  # below this a text is too short to call a near-copy (exact copies still count)
SCHEME = "affine32"  # fixed so stored signatures stay comparable across datasketch releases

_WORD = re.compile(r"\w+", re.UNICODE)


def words(text: str) -> list[str]:
    return _WORD.findall(text.casefold())


def text_hash(text: str) -> str | None:
    tokens = words(text)
    if not tokens:
        return None
    return hashlib.sha256(" ".join(tokens).encode()).hexdigest()[:20]


def minhash_signature(text: str) -> bytes | None:
    tokens = words(text)
    if len(tokens) < MIN_WORDS:
        return None
    shingles = {" ".join(tokens[i : i + SHINGLE]).encode() for i in range(len(tokens) - SHINGLE + 1)}
    mh = MinHash(num_perm=NUM_PERM, seed=1, scheme=SCHEME)
    mh.update_batch(list(shingles))
    return mh.hashvalues.astype(np.uint64).tobytes()


def _minhash(sig: bytes) -> MinHash:
    return MinHash(num_perm=NUM_PERM, seed=1, scheme=SCHEME, hashvalues=np.frombuffer(sig, dtype=np.uint64))


@dataclass(frozen=True)
class CopyCandidate:
    doc_id: str
    text_hash: str | None
    minhash: bytes | None
    published: str | None
    length: int


def _utc(published: str | None) -> str | None:
    """Published dates compare in UTC; a date without a zone is taken as UTC."""
    if not published:
        return None
    try:
        value = datetime.fromisoformat(published)
    except ValueError:
        return published
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat()


def _find(parent: dict[str, str], x: str) -> str:
    while parent[x] != x:
        parent[x] = parent[parent[x]]
        x = parent[x]
    return x


def duplicate_map(docs: Iterable[CopyCandidate]) -> dict[str, str | None]:
    """doc_id -> the doc_id it is a copy of (None for originals and singletons). Deterministic."""
    items = {d.doc_id: d for d in docs}
    parent = {doc_id: doc_id for doc_id in items}

    def union(a: str, b: str) -> None:
        ra, rb = _find(parent, a), _find(parent, b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    by_hash: dict[str, str] = {}
    for doc_id in sorted(items):
        h = items[doc_id].text_hash
        if h:
            if h in by_hash:
                union(by_hash[h], doc_id)
            else:
                by_hash[h] = doc_id
    lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
    hashes: dict[str, MinHash] = {}
    for doc_id in sorted(items):
        sig = items[doc_id].minhash
        if sig is None:
            continue
        mh = _minhash(sig)
        for other in lsh.query(mh):
            if hashes[other].jaccard(mh) >= THRESHOLD:
                union(other, doc_id)
        lsh.insert(doc_id, mh)
        hashes[doc_id] = mh

    clusters: dict[str, list[str]] = {}
    for doc_id in items:
        clusters.setdefault(_find(parent, doc_id), []).append(doc_id)
    result: dict[str, str | None] = {doc_id: None for doc_id in items}
    for members in clusters.values():
        if len(members) < 2:
            continue
        # Earliest published wins (an unknown date never beats a known one), then the most complete.
        rep = min(members, key=lambda m: (_utc(items[m].published) is None, _utc(items[m].published) or "",
                                          -items[m].length, m))
        for m in members:
            if m != rep:
                result[m] = rep
    return result
