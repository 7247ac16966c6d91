"""CASE 2021 Task 2: fine-grained event classification of short snippets (all test data).

Data: `events/case2021/task2/test_dataset/test_set_final_release_with_labels.tsv` under `data_dir`
(id, EventSnippet, SubType). The set has no dev split, so it is only run to report.

Mapping. `classify_sentence` codes the whole snippet with an ACLED sub-event type, which maps to the
CASE label through `case2021` in data/acled_taxonomy.yaml. When the snippet codes as no event, or
only through a weak generic trigger (rule confidence < 0.6), and it matches one of the lexicon's
`background_categories` (NATURAL_DISASTER, MAN_MADE_DISASTER, ORG_CRIME, DIPLO, ATTRIB), that
category is predicted; otherwise "not an event" is the label NONE, which is never correct.

Scores are support-weighted F1 (as in the shared task): over the snippets whose gold label is one
of the 25 ACLED types, and over all 30 labels. The best 2021 systems scored .839 / .771.
"""

from __future__ import annotations

import csv
import time
from collections import Counter
from pathlib import Path

from tidings.events.classify import background_category, classify_sentence, taxonomy

TSV = Path("events/case2021/task2/test_dataset/test_set_final_release_with_labels.tsv")
NONE = "NONE"
_WEAK = 0.6


def case_labels() -> dict[str, str]:
    """ACLED sub-event type -> CASE 2021 label."""
    out = {}
    for body in taxonomy()["event_types"].values():
        for sub, info in body["sub_event_types"].items():
            out[sub] = info["case2021"]
    return out


def predict(snippet: str) -> str:
    coding = classify_sentence(snippet)
    if coding is None or coding.confidence < _WEAK:
        category = background_category(snippet)
        if category is not None:
            return category
    if coding is None:
        return NONE
    return case_labels()[coding.sub_event_type]


def weighted_f1(gold: list[str], pred: list[str], labels: set[str]) -> float:
    """Support-weighted F1 over the gold labels in `labels` (predictions outside count as errors)."""
    pairs = [(g, p) for g, p in zip(gold, pred, strict=True) if g in labels]
    support = Counter(g for g, _ in pairs)
    tp = Counter(g for g, p in pairs if g == p)
    predicted = Counter(p for _, p in pairs)
    total = sum(support.values())
    score = 0.0
    for label, n in support.items():
        precision = tp[label] / predicted[label] if predicted[label] else 0.0
        recall = tp[label] / n
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        score += f1 * n / total
    return score


def run(data_dir: Path, split: str = "dev", limit: int | None = None) -> dict[str, float | int | str]:
    """Score the whole set. CASE 2021 Task 2 has no dev split: either split name runs the test set,
    which is why nothing in tidings is tuned on it."""
    path = Path(data_dir) / TSV
    if not path.exists():
        raise FileNotFoundError(path)
    if split not in ("test", "dev"):
        raise ValueError(f"unknown split {split!r}")
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    if limit is not None:
        rows = rows[:limit]
    gold = [r["SubType"].strip() for r in rows]
    t0 = time.perf_counter()
    pred = [predict(r["EventSnippet"]) for r in rows]
    elapsed = time.perf_counter() - t0
    acled = set(case_labels().values())
    all_labels = set(gold)
    n_acled = sum(g in acled for g in gold)
    return {
        "split": "test",  # CASE 2021 Task 2 is test data only
        "snippets": len(rows),
        "snippets_acled_types": n_acled,
        "weighted_f1_25_acled_types": weighted_f1(gold, pred, acled),
        "weighted_f1_all_30_types": weighted_f1(gold, pred, all_labels),
        "accuracy_all": sum(g == p for g, p in zip(gold, pred, strict=True)) / len(rows) if rows else 0.0,
        "predicted_none_rate": pred.count(NONE) / len(rows) if rows else 0.0,
        "anchor_best_2021_f1_25_types": 0.839,
        "anchor_best_2021_f1_30_types": 0.771,
        "snippets_per_second": len(rows) / elapsed if elapsed else 0.0,
    }
