"""PolNeAR: who-said-what span F1 for attribution sources and cues.

Reads `attribution/polnear/data/<split>/{text,attributions}` (BRAT standoff). Articles annotated
by several annotators are scored against one annotation (the first annotator id in sort order).
Each gold attribution contributes its Source span (when it has one) and its Cue span; spans made
of several fragments are scored by their outer extent. Predictions are one-to-one matched to gold,
exactly (same offsets after trimming whitespace, and commas or dashes at the edges, on both sides)
or partially (any character overlap).

The baseline, measured in the same run, takes only the verb "say" and its nominal subject.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from tidings.events.attribution import _quote_spans, find_in_doc

if TYPE_CHECKING:
    from spacy.tokens import Doc

Span = tuple[int, int]


def _articles(data_dir: Path, split: str) -> list[tuple[Path, Path]]:
    root = Path(data_dir) / "attribution" / "polnear" / "data" / split
    if not (root / "text").is_dir() or not (root / "attributions").is_dir():
        raise FileNotFoundError(f"PolNeAR {split} split not found under {root}")
    anns: dict[str, Path] = {}
    for ann in sorted((root / "attributions").glob("*.ann")):
        stem = re.sub(r"_[0-9a-f]{4}$", "", ann.stem)
        anns.setdefault(stem, ann)  # first annotator in sort order
    pairs = [(root / "text" / f"{stem}.txt", ann) for stem, ann in sorted(anns.items())]
    return [(t, a) for t, a in pairs if t.is_file()]


def read_gold(ann: Path, text: str) -> tuple[list[Span], list[Span]]:
    """Gold source spans and cue spans of the attributions in one BRAT file."""
    spans: dict[str, tuple[str, Span]] = {}
    sources: list[Span] = []
    cues: list[Span] = []
    for line in ann.read_text("utf-8").splitlines():
        cols = line.split("\t")
        if line.startswith("T") and len(cols) >= 2:
            label, _, offsets = cols[1].partition(" ")
            nums = [int(x) for x in re.findall(r"\d+", offsets)]
            spans[cols[0]] = (label, _strip(text, (min(nums), max(nums))))
    for line in ann.read_text("utf-8").splitlines():
        if not line.startswith("E"):
            continue
        for arg in line.split("\t")[1].split()[1:]:
            role, _, ref = arg.partition(":")
            if ref not in spans:
                continue
            if role.startswith("Source"):
                sources.append(spans[ref][1])
            elif role.startswith("Cue"):
                cues.append(spans[ref][1])
    return sorted(set(sources)), sorted(set(cues))


_EDGE = frozenset(",;\u2013\u2014-")  # PolNeAR often takes the comma closing an apposition into a source


def _strip(text: str, span: Span) -> Span:
    """A span without whitespace, and without commas or dashes at its edges unless that is all it is."""
    s, e = span
    while s < e and (text[s].isspace() or (text[s] in _EDGE and e - s > 1)):
        s += 1
    while e > s and (text[e - 1].isspace() or (text[e - 1] in _EDGE and e - s > 1)):
        e -= 1
    return s, e


def predict(doc: Doc) -> tuple[list[Span], list[Span]]:
    """Our source and cue spans: every attribution relation found in the document.

    PolNeAR is univocal (a token belongs to at most one attribution), so attributions nested in the
    content of another or inside a quotation are not annotated there; we drop them the same way.
    """
    text = doc.text
    found = [f for fs in find_in_doc(doc, text) for f in fs]
    outer = [f.content for f in found if f.content is not None] + _quote_spans(text)
    sources: list[Span] = []
    cues: list[Span] = []
    for f in found:
        if any(s <= f.cue[0] and f.cue[1] <= e for s, e in outer):
            continue
        cues.append(_strip(text, f.cue))
        if f.source is not None:
            sources.append(_strip(text, f.source))
    return sorted(set(sources)), sorted(set(cues))


def baseline(doc: Doc) -> tuple[list[Span], list[Span]]:
    """The verb "say" with its nominal subject: the simplest attribution extractor."""
    text = doc.text
    sources: list[Span] = []
    cues: list[Span] = []
    for tok in doc:
        if tok.lemma_.lower() != "say" or tok.pos_ not in ("VERB", "AUX"):
            continue
        subj = next((c for c in tok.children if c.dep_ == "nsubj"), None)
        if subj is None:
            continue
        sub = list(subj.subtree)
        sources.append(_strip(text, (sub[0].idx, sub[-1].idx + len(sub[-1].text))))
        cues.append((tok.idx, tok.idx + len(tok.text)))
    return sorted(set(sources)), sorted(set(cues))


def match(pred: Iterable[Span], gold: Iterable[Span], partial: bool) -> tuple[int, int, int]:
    """(true positives, predicted, gold) under one-to-one matching."""
    pred, gold = list(pred), list(gold)
    used: set[int] = set()
    tp = 0
    for p in pred:
        for k, g in enumerate(gold):
            if k in used:
                continue
            hit = (p[0] < g[1] and g[0] < p[1]) if partial else p == g
            if hit:
                used.add(k)
                tp += 1
                break
    return tp, len(pred), len(gold)


def _f1(tp: int, n_pred: int, n_gold: int) -> tuple[float, float, float]:
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_gold if n_gold else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def run(data_dir: Path, split: str = "dev", limit: int | None = None) -> dict:
    from tidings.resolve.mentions import load_model

    articles = _articles(Path(data_dir), split)
    if limit is not None:
        articles = articles[:limit]
    nlp = load_model()
    systems: dict[str, Callable[[Doc], tuple[list[Span], list[Span]]]] = {"": predict, "baseline_": baseline}
    counts: dict[str, list[int]] = {}
    n_gold_attr = 0
    for text_path, ann in articles:
        text = text_path.read_text("utf-8")
        gold_sources, gold_cues = read_gold(ann, text)
        n_gold_attr += len(gold_cues)
        doc = nlp(text)
        for prefix, system in systems.items():
            sources, cues = system(doc)
            for kind, pred, gold in (("source", sources, gold_sources), ("cue", cues, gold_cues)):
                for mode in ("exact", "partial"):
                    key = f"{prefix}{kind}_{mode}"
                    tp, n_p, n_g = match(pred, gold, partial=mode == "partial")
                    c = counts.setdefault(key, [0, 0, 0])
                    c[0] += tp
                    c[1] += n_p
                    c[2] += n_g
    out: dict[str, float | int | str] = {"split": split, "articles": len(articles), "gold_cues": n_gold_attr}
    for key, (tp, n_p, n_g) in counts.items():
        p, r, f = _f1(tp, n_p, n_g)
        out[f"{key}_p"] = round(p, 4)
        out[f"{key}_r"] = round(r, 4)
        out[f"{key}_f1"] = round(f, 4)
    return out
