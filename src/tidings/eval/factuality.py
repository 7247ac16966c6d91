"""Event factuality: does our status/cue reading agree with human factuality judgements?

Data: `attribution/factuality/glue_data` (Jiang & de Marneffe 2021): MEANTIME, UW, CommitmentBank and
UDS-IH2 sentences, pre-tokenised, with event predicates scored -3 (did not happen) .. +3 (happened).
Files named dev.jsonl are the dev split, test.jsonl the test split.

Both gold and predicted scores are cut into three classes at +-1 (positive / uncertain / negative).
We report accuracy, macro-F1 over the three classes and Pearson r of the scores, per dataset and
pooled, next to a majority-class baseline (the most frequent gold class of the same file, which
flatters the baseline).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path

from tidings.events.attribution import FACTUALITY_CLASSES, event_factuality, factuality_class

DATASETS = {"meantime": "MEANTIME", "uw": "UW", "cb": "CB/CB", "uds_ih2": "UDS_IH2"}


def _files(data_dir: Path, split: str) -> dict[str, Path]:
    root = Path(data_dir) / "attribution" / "factuality" / "glue_data"
    if not root.is_dir():
        raise FileNotFoundError(f"factuality data not found under {root}")
    files = {name: root / sub / f"{split}.jsonl" for name, sub in DATASETS.items()}
    files = {name: f for name, f in files.items() if f.is_file()}
    if not files:
        raise FileNotFoundError(f"no {split}.jsonl factuality files under {root}")
    return files


def _head(doc, start: int, end: int):  # type: ignore[no-untyped-def]
    """The token of a multi-token target whose head lies outside it (CB targets whole clauses)."""
    for tok in doc[start:end]:
        if not (start <= tok.head.i < end) or tok.head.i == tok.i:
            return tok
    return doc[start]


def macro_f1(gold: Sequence[str], pred: Sequence[str]) -> float:
    scores = []
    for c in FACTUALITY_CLASSES:
        tp = sum(1 for g, p in zip(gold, pred, strict=True) if g == c and p == c)
        n_pred = sum(1 for p in pred if p == c)
        n_gold = sum(1 for g in gold if g == c)
        prec = tp / n_pred if n_pred else 0.0
        rec = tp / n_gold if n_gold else 0.0
        scores.append(2 * prec * rec / (prec + rec) if prec + rec else 0.0)
    return sum(scores) / len(scores)


def pearson(x: Sequence[float], y: Sequence[float]) -> float:
    n = len(x)
    if n < 2:
        return 0.0
    mx, my = sum(x) / n, sum(y) / n
    sxy = sum((a - mx) * (b - my) for a, b in zip(x, y, strict=True))
    sx = math.sqrt(sum((a - mx) ** 2 for a in x))
    sy = math.sqrt(sum((b - my) ** 2 for b in y))
    return sxy / (sx * sy) if sx and sy else 0.0


def _metrics(prefix: str, gold: list[float], pred: list[float]) -> dict[str, float | int]:
    g = [factuality_class(v) for v in gold]
    p = [factuality_class(v) for v in pred]
    majority = max(FACTUALITY_CLASSES, key=g.count)
    base = [majority] * len(g)
    n = len(g)
    return {
        f"{prefix}n": n,
        f"{prefix}accuracy": round(sum(a == b for a, b in zip(g, p, strict=True)) / n, 4) if n else 0.0,
        f"{prefix}macro_f1": round(macro_f1(g, p), 4),
        f"{prefix}pearson_r": round(pearson(gold, pred), 4),
        f"{prefix}baseline_accuracy": round(g.count(majority) / n, 4) if n else 0.0,
        f"{prefix}baseline_macro_f1": round(macro_f1(g, base), 4),
    }


def score_file(nlp, path: Path, limit: int | None = None) -> tuple[list[float], list[float]]:  # type: ignore[no-untyped-def]
    from spacy.tokens import Doc

    rows = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
    if limit is not None:
        rows = rows[:limit]
    docs = (Doc(nlp.vocab, words=r["text"].split(" ")) for r in rows)
    gold: list[float] = []
    pred: list[float] = []
    for row, doc in zip(rows, nlp.pipe(docs), strict=True):
        for t in row["targets"]:
            start, end = t["span1"]
            gold.append(float(t["label"]))
            pred.append(event_factuality(_head(doc, start, end), own_cues=end - start == 1))
    return gold, pred


def run(data_dir: Path, split: str = "dev", limit: int | None = None) -> dict:
    from tidings.resolve.mentions import load_model

    files = _files(Path(data_dir), split)
    nlp = load_model(disable=["ner"])
    out: dict[str, float | int | str] = {"split": split}
    all_gold: list[float] = []
    all_pred: list[float] = []
    for name, path in files.items():
        gold, pred = score_file(nlp, path, limit)
        out.update(_metrics(f"{name}_", gold, pred))
        all_gold += gold
        all_pred += pred
    out.update(_metrics("", all_gold, all_pred))
    return out
