"""Exact and near-duplicate documents: syndicated copies, content-farm rewrites with new chrome.

Per document (parallel stage): a hash of the normalised text and a MinHash of its word shingles.
Across documents (`crossdoc.update_copies`, incremental over the store): equal text hashes, and LSH
candidates verified by estimated Jaccard, join documents into clusters; each copy points at its
cluster's earliest-published (else longest) member. Copies are kept, never deleted.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from functools import cache

import numpy as np
from datasketch import MinHash

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
    # datasketch's sha1_hash32, computed here without a Python call per shingle; MinHash then takes the
    # values as they are (`hashfunc=int`).
    sha1 = hashlib.sha1
    hashes = [int.from_bytes(sha1(s).digest()[:4], "little") for s in shingles]
    mh = MinHash(num_perm=NUM_PERM, seed=1, scheme=SCHEME, hashfunc=int, permutations=_permutations())
    mh.update_batch(hashes)
    return mh.hashvalues.astype(np.uint64).tobytes()


@cache
def _permutations() -> tuple[np.ndarray, np.ndarray]:
    """The seed's permutations, drawn once (MinHash draws them again for every document: 0.1 ms)."""
    perms: tuple[np.ndarray, np.ndarray] = MinHash(num_perm=NUM_PERM, seed=1, scheme=SCHEME).permutations
    return perms


def _minhash(sig: bytes) -> MinHash:
    """A stored signature as a datasketch MinHash (tests compare replicas with it)."""
    return MinHash(num_perm=NUM_PERM, seed=1, scheme=SCHEME, hashvalues=np.frombuffer(sig, dtype=np.uint64))


# The LSH banding that datasketch's MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM) chooses: two
# signatures are compared when all ROWS values of one of BANDS bands are equal.
BANDS, ROWS = 18, 7
# Stored band buckets and clusters are only valid for these settings: the store rebuilds its index when
# they change.
INDEX_VERSION = f"{SCHEME}-{NUM_PERM}-shingle{SHINGLE}-t{THRESHOLD}-b{BANDS}r{ROWS}-v1"
_MIX = np.array([0x9E3779B97F4A7C15, 0xBF58476D1CE4E5B9, 0x94D049BB133111EB, 0xD6E8FEB86659FD93,
                 0xA0761D6478BD642F, 0xE7037ED1A0B428DB, 0x8EBC6AF09C88C6E3], dtype=np.uint64)


def signatures(blobs: list[bytes]) -> np.ndarray:
    """Stored MinHash signatures as one (n, NUM_PERM) array."""
    return np.frombuffer(b"".join(blobs), dtype=np.uint64).reshape(len(blobs), NUM_PERM)


def band_buckets(sigs: np.ndarray) -> np.ndarray:
    """(n, BANDS) signed 64-bit buckets: a hash of each band's values, to join on in SQL. Equal bands give
    equal buckets; a rare collision is harmless because `is_copy` compares the bands themselves."""
    bands = sigs[:, : BANDS * ROWS].reshape(len(sigs), BANDS, ROWS)
    with np.errstate(over="ignore"):  # multiplication modulo 2**64 is the point
        h = (bands * _MIX).sum(axis=2, dtype=np.uint64)
        h ^= h >> np.uint64(31)
        h *= np.uint64(0xBF58476D1CE4E5B9)
        h ^= h >> np.uint64(29)
    return h.view(np.int64)


def is_copy(a: np.ndarray, b: np.ndarray) -> bool:
    """Two signatures are copies when they share a whole LSH band (the candidates of an LSH index) and
    their estimated Jaccard similarity reaches THRESHOLD (computed as datasketch's MinHash.jaccard)."""
    equal = a == b
    if not equal[: BANDS * ROWS].reshape(BANDS, ROWS).all(axis=1).any():
        return False
    return float(np.count_nonzero(equal)) / float(NUM_PERM) >= THRESHOLD


def published_key(published: str | None) -> str | None:
    """What the earliest-published rule compares: the date in UTC (a date without a zone is taken as UTC),
    as an ISO string; an unreadable date as written; None when unknown."""
    if not published:
        return None
    try:
        value = datetime.fromisoformat(published)
    except ValueError:
        return published
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat()


def merged_labels(edges: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Cluster labels joined (transitively) by `edges` -> the label of their merged cluster, the smallest,
    for every label that was joined to another. Labels are the smallest doc_id of their cluster, so the
    merged label is again the smallest doc_id of the merged cluster."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return {x: find(x) for x in parent}
