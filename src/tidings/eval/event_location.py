"""Event-location linking: which place in a sentence is where the event (its trigger verb) happened.

Data: `events/event-location` (Halterman 2019, "Geolocating Political Events in Text"): sentences
with one VERB span and zero or more LOCATION spans for that verb's event. Split: the 496
author-adjudicated `RELABEL` sentences are test; the rest dev.

Candidate places are what the pipeline sees: spaCy GPE/LOC/FAC entities plus gazetteer names
(merged by `place_spans`), resolved with `resolve_places`. Metrics:
- `accuracy`: over all sentences; right when the pick overlaps a gold LOCATION, or when there is
  no gold LOCATION and the pick is None;
- `accuracy_located`: over sentences with a gold LOCATION only;
- `oracle_located`: share of those where some candidate overlaps the gold (the ceiling set by
  recognition);
- the same two figures for the "first place in the sentence" baseline.
"""

from __future__ import annotations

import io
import json
import time
import zipfile
from pathlib import Path
from typing import Any

from tidings.resolve.places import PlaceMention, pick_event_place, place_spans, resolve_places


def load(data_dir: Path, split: str) -> list[dict[str, Any]]:
    path = Path(data_dir) / "events" / "event-location" / "labeled_text.jsonl.zip"
    if not path.exists():
        raise FileNotFoundError(path)
    with zipfile.ZipFile(path) as zf:
        name = next(n for n in zf.namelist() if n.endswith("labeled_text.jsonl") and "__MACOSX" not in n)
        with zf.open(name) as fh:
            rows = json.load(io.TextIOWrapper(fh, encoding="utf-8"))
    want_gold = split == "test"
    out = []
    for row in rows:
        if (row.get("source") == "RELABEL") != want_gold:
            continue
        row["spans"] = [_fix_span(sp, row.get("tokens") or [], row["text"]) for sp in row.get("spans", [])]
        verbs = [s for s in row["spans"] if s.get("label") == "VERB"]
        if len(verbs) != 1 or row.get("answer") == "reject":
            continue
        out.append(row)
    return out


def _fix_span(span: dict[str, Any], tokens: list[dict[str, Any]], text: str) -> dict[str, Any]:
    """Many adjudicated (RELABEL) spans carry token indices where character offsets belong
    (start == token_start, end == token_end): rebuild the character span from the tokens when
    the character span does not fit the span's text or the token boundaries."""
    ts, te = span.get("token_start"), span.get("token_end")
    if ts is None or te is None or not (0 <= ts <= te < len(tokens)):
        return span
    by_tokens = {**span, "start": tokens[ts]["start"], "end": tokens[te]["end"]}
    want = span.get("text")
    if want:
        if text[span["start"] : span["end"]] == want:
            return span
        return by_tokens if text[by_tokens["start"] : by_tokens["end"]] == want else span
    starts = {t["start"] for t in tokens}
    ends = {t["end"] for t in tokens}
    if span["end"] <= span["start"] or span["start"] not in starts or span["end"] not in ends:
        return by_tokens
    return span


def candidate_places(text: str, nlp: Any) -> list[PlaceMention]:
    doc = nlp(text)
    return resolve_places(text, place_spans(text, [(e.start_char, e.end_char, e.label_) for e in doc.ents]))


def _hit(pm: PlaceMention | None, gold: list[tuple[int, int]]) -> bool:
    return pm is not None and any(pm.start < ge and gs < pm.end for gs, ge in gold)


def run(data_dir: Path, split: str = "dev", limit: int | None = None) -> dict:
    from tidings.resolve.mentions import load_model

    if split not in ("dev", "test"):
        raise ValueError("split must be dev or test")
    rows = load(Path(data_dir), split)[:limit]
    nlp = load_model(disable=["lemmatizer"])
    t0 = time.perf_counter()
    n = n_loc = ok = ok_loc = base = base_loc = oracle = 0
    for row in rows:
        text = row["text"]
        verb = next(s for s in row["spans"] if s["label"] == "VERB")
        gold = [(s["start"], s["end"]) for s in row["spans"] if s["label"] == "LOCATION"]
        places = candidate_places(text, nlp)
        pick = pick_event_place(text, verb["start"], verb["end"], places)
        first = places[0] if places else None
        n += 1
        if gold:
            n_loc += 1
            ok += _hit(pick, gold)
            ok_loc += _hit(pick, gold)
            base += _hit(first, gold)
            base_loc += _hit(first, gold)
            oracle += any(_hit(p, gold) for p in places)
        else:
            ok += pick is None
            base += first is None
    return {
        "split": split,
        "sentences": n,
        "located": n_loc,
        "accuracy": ok / n if n else 0.0,
        "accuracy_located": ok_loc / n_loc if n_loc else 0.0,
        "baseline_first_accuracy": base / n if n else 0.0,
        "baseline_first_accuracy_located": base_loc / n_loc if n_loc else 0.0,
        "oracle_located": oracle / n_loc if n_loc else 0.0,
        "seconds": time.perf_counter() - t0,
    }
