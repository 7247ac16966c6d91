"""The standard coreference scores, over clusterings of mention ids: MUC (Vilain et al. 1995), B³ (Bagga &
Baldwin 1998), CEAF-e (Luo 2005, entity similarity φ4) and the CoNLL F1, their mean (Pradhan et al. 2014).

A clustering is any iterable of clusters, each an iterable of hashable mention ids. Key = gold,
response = system. Mentions present on one side only are handled as the reference scorer does: they
count for that side's denominator (recall for key mentions, precision for response mentions).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass

Clusters = list[frozenset[Hashable]]


@dataclass(frozen=True)
class PRF:
    precision: float
    recall: float

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def _norm(clusters: Iterable[Iterable[Hashable]]) -> Clusters:
    out = [frozenset(c) for c in clusters]
    out = [c for c in out if c]
    seen: set[Hashable] = set()
    for c in out:
        if seen & c:
            raise ValueError("a mention belongs to two clusters")
        seen |= c
    return out


def _index(clusters: Clusters) -> dict[Hashable, int]:
    return {m: i for i, c in enumerate(clusters) for m in c}


def _muc_side(key: Clusters, response: Clusters) -> float:
    """MUC recall of `response` against `key` (swap the arguments for precision)."""
    where = _index(response)
    num = den = 0
    for k in key:
        # Partitions of k by the response; a mention the response lacks is a partition of its own.
        parts = {where.get(m, ("missing", m)) for m in k}
        num += len(k) - len(parts)
        den += len(k) - 1
    return num / den if den else 0.0


def muc(key: Iterable[Iterable[Hashable]], response: Iterable[Iterable[Hashable]]) -> PRF:
    k, r = _norm(key), _norm(response)
    return PRF(_muc_side(r, k), _muc_side(k, r))


def _b3_side(key: Clusters, response: Clusters) -> float:
    where = _index(response)
    total = sum(len(k) for k in key)
    if not total:
        return 0.0
    score = 0.0
    for k in key:
        overlap: dict[int, int] = defaultdict(int)
        for m in k:
            if m in where:
                overlap[where[m]] += 1
        # Each mention of k scores |k ∩ r| / |k|; summed over k's mentions that is Σ_r |k ∩ r|² / |k|.
        score += sum(n * n for n in overlap.values()) / len(k)
    return score / total


def b_cubed(key: Iterable[Iterable[Hashable]], response: Iterable[Iterable[Hashable]]) -> PRF:
    k, r = _norm(key), _norm(response)
    return PRF(_b3_side(r, k), _b3_side(k, r))


def _phi4(a: frozenset[Hashable], b: frozenset[Hashable]) -> float:
    return 2 * len(a & b) / (len(a) + len(b))


def _best_alignment(key: Clusters, response: Clusters) -> float:
    """Total φ4 similarity of the optimal one-to-one alignment of key and response clusters. Only
    overlapping clusters have a non-zero similarity, so each connected component of the overlap graph is
    solved on its own: the whole corpus never becomes one huge assignment matrix."""
    from scipy.optimize import linear_sum_assignment

    where = _index(response)
    edges: dict[int, set[int]] = defaultdict(set)  # key cluster -> overlapping response clusters
    back: dict[int, set[int]] = defaultdict(set)
    for i, k in enumerate(key):
        for m in k:
            if m in where:
                edges[i].add(where[m])
                back[where[m]].add(i)
    seen: set[int] = set()
    total = 0.0
    for start in edges:
        if start in seen:
            continue
        ks, rs, todo = {start}, set(), [start]
        while todo:
            i = todo.pop()
            for j in edges[i] - rs:
                rs.add(j)
                todo.extend(back[j] - ks)
                ks |= back[j]
        seen |= ks
        kl, rl = sorted(ks), sorted(rs)
        sim = [[_phi4(key[i], response[j]) for j in rl] for i in kl]
        rows, cols = linear_sum_assignment(sim, maximize=True)
        total += sum(sim[a][b] for a, b in zip(rows, cols, strict=True))
    return total


def ceaf_e(key: Iterable[Iterable[Hashable]], response: Iterable[Iterable[Hashable]]) -> PRF:
    k, r = _norm(key), _norm(response)
    if not k or not r:
        return PRF(0.0, 0.0)
    sim = _best_alignment(k, r)
    return PRF(sim / len(r), sim / len(k))


def conll(key: Iterable[Iterable[Hashable]], response: Iterable[Iterable[Hashable]]) -> dict[str, float]:
    """All scores as a flat dict: muc_p/r/f1, b3_p/r/f1, ceafe_p/r/f1 and conll_f1 (mean of the three F1)."""
    k, r = _norm(key), _norm(response)
    out: dict[str, float] = {}
    for name, prf in (("muc", muc(k, r)), ("b3", b_cubed(k, r)), ("ceafe", ceaf_e(k, r))):
        out.update({f"{name}_p": prf.precision, f"{name}_r": prf.recall, f"{name}_f1": prf.f1})
    out["conll_f1"] = (out["muc_f1"] + out["b3_f1"] + out["ceafe_f1"]) / 3
    return out
