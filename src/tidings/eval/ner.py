"""Entity mention recognition on WikiEvents, layered extractor vs plain spaCy, plus throughput.

Data: `events/wikievents` (dev.jsonl = dev, test.jsonl = test): news articles with gold entity
mentions typed PER/ORG/GPE/LOC/FAC/WEA/VEH/... Gold mentions include nominals and pronouns
("the general", "they"), which no name tagger is meant to find, so recall is reported twice:
over *named* gold mentions (the headline figures) and over all gold mentions of the scored types.
A gold mention counts as named when one of its tokens is capitalised and is not an ordinary word
capitalised only because it opens a sentence (its lower-case form occurs elsewhere in the split),
and it is not a pronoun or a bare title ("General") from `data/roles.yaml`.

Scored types: PER, ORG, GPE, LOC, FAC. Predicted labels map as PERSON->PER, ORG/GROUP->ORG,
GPE->GPE, NORP->GPE (the gold annotates nationality adjectives such as "Russian" as GPE),
LOC->LOC, FAC->FAC; other predicted labels are not scored. A prediction is correct when some gold
mention of the scored types has the same character span (strict) or overlaps it (lenient) with the
same type; `untyped` ignores the type. A plural NORP ("Americans") maps to PER, as the gold annotates
groups of people. Both systems are scored identically in the same run. The layered extractor's
descriptor mentions ("Russian troops": a registry alias ending in a common noun) are nominal, so they
are not scored; the nationality span inside them is reported as its own mention and scored.

Registry coverage: the share of ACLED actor1/actor2 slots (`events/acled`, dev: the two 2022 files,
test: ukraine-2022-2024) that `ActorRegistry.lookup` resolves, resolves to ACLED's exact name, and
codes with ACLED's inter for the event's country (generic actors such as "Civilians (Ukraine)"
included, as ACLED uses them).

Throughput: words/second (wall clock, and per CPU second of this process) of `extract_mentions` one
story at a time, and wall-clock words/second of the batched variant on `news/voa/voa_stories.jsonl`,
with plain spaCy (same model, same batching) for reference. Words are whitespace-separated tokens.
"""

from __future__ import annotations

import csv
import json
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tidings.resolve.actors import ActorRegistry
from tidings.resolve.mentions import (
    extract_mentions,
    extract_mentions_batch,
    load_model,
    load_nlp,
    role_lexicon,
)

TYPES = ("PER", "ORG", "GPE", "LOC", "FAC")
PRED_MAP = {"PERSON": "PER", "ORG": "ORG", "GROUP": "ORG", "GPE": "GPE", "NORP": "GPE", "LOC": "LOC", "FAC": "FAC"}
PRONOUNS = frozenset(
    "i me my we us our you your he him his she her it its they them their this that these those who whom "
    "whose which what there here one".split()
)


@dataclass(frozen=True)
class Gold:
    start: int
    end: int
    type: str
    named: bool


@dataclass
class Article:
    doc_id: str
    text: str
    gold: list[Gold]


def _load(data_dir: Path, split: str, limit: int | None) -> list[Article]:
    if split not in ("dev", "test"):
        raise ValueError(f"split must be dev or test, not {split!r}")
    path = Path(data_dir) / "events" / "wikievents" / "data" / "wikievents" / f"{split}.jsonl"
    if not path.is_file():
        raise FileNotFoundError(path)
    raw = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if limit is not None:
        raw = raw[:limit]
    lower_vocab = {t for d in raw for t in d["tokens"] if t.islower()}
    titles = {k[0] for k in role_lexicon().phrases if len(k) == 1}
    return [_article(d, lower_vocab, titles) for d in raw]


def _article(d: dict[str, Any], lower_vocab: set[str], titles: set[str]) -> Article:
    """Rebuild the text one sentence per line (the file's `text` runs sentences together)."""
    parts: list[str] = []
    spans: list[tuple[int, int]] = []
    initial: list[bool] = []
    pos = 0
    for toks, sent_text in d["sentences"]:
        base = toks[0][1]
        for k, (_tok, s, e) in enumerate(toks):
            spans.append((pos + s - base, pos + e - base))
            initial.append(k == 0)
        parts.append(sent_text)
        pos += len(sent_text) + 1
    text = "\n".join(parts)
    tokens = d["tokens"]
    if len(spans) != len(tokens):
        raise ValueError(f"{d['doc_id']}: sentence tokens do not add up to the document's tokens")
    gold = []
    for m in d["entity_mentions"]:
        if m["entity_type"] not in TYPES:
            continue
        idx = range(m["start"], m["end"])
        named = any(
            tokens[i][:1].isupper()
            and tokens[i].lower() not in PRONOUNS
            and not (initial[i] and tokens[i].lower() in lower_vocab)
            for i in idx
        ) and not (len(idx) == 1 and tokens[m["start"]].lower() in titles)
        gold.append(Gold(spans[m["start"]][0], spans[m["end"] - 1][1], m["entity_type"], named))
    return Article(d["doc_id"], text, gold)


def _type(label: str, text: str) -> str:
    # A plural nationality noun names people ("Americans", "Muslims"), not a place.
    if label == "NORP" and text.endswith("s") and not text.endswith("ss"):
        return "PER"
    return PRED_MAP[label]


def _predictions(mentions: list[Any]) -> list[tuple[int, int, str]]:
    # Descriptor phrases ("Russian troops") are nominal mentions of an actor, not names; the
    # nationality inside them is reported separately and scored instead.
    return [
        (m.start, m.end, _type(m.label, m.text)) for m in mentions
        if m.label in PRED_MAP and not m.attrs.get("descriptor")
    ]


def _spacy_predictions(doc: Any) -> list[tuple[int, int, str]]:
    return [(e.start_char, e.end_char, _type(e.label_, e.text)) for e in doc.ents if e.label_ in PRED_MAP]


def _score(articles: list[Article], preds: list[list[tuple[int, int, str]]]) -> dict[str, float]:
    c: Counter[str] = Counter()
    for art, pred in zip(articles, preds, strict=True):
        exact = {(g.start, g.end, g.type) for g in art.gold}
        exact_untyped = {(g.start, g.end) for g in art.gold}
        for s, e, t in pred:
            c["pred"] += 1
            c[f"pred_{t}"] += 1
            c["tp_strict"] += (s, e, t) in exact
            c[f"tp_{t}"] += (s, e, t) in exact
            c["tp_untyped"] += (s, e) in exact_untyped
            c["tp_lenient"] += any(g.start < e and s < g.end and g.type == t for g in art.gold)
        pred_typed = {(s, e, t) for s, e, t in pred}
        pred_untyped = {(s, e) for s, e, _ in pred}
        for g in art.gold:
            hit = (g.start, g.end, g.type) in pred_typed
            c["gold_all"] += 1
            c["found_all"] += hit
            if not g.named:
                continue
            c["gold"] += 1
            c[f"gold_{g.type}"] += 1
            c["found_strict"] += hit
            c[f"found_{g.type}"] += hit
            c["found_untyped"] += (g.start, g.end) in pred_untyped
            c["found_lenient"] += any(s < g.end and g.start < e and t == g.type for s, e, t in pred)
    out: dict[str, float] = {}
    for kind in ("strict", "untyped", "lenient"):
        p = c[f"tp_{kind}"] / c["pred"] if c["pred"] else 0.0
        r = c[f"found_{kind}"] / c["gold"] if c["gold"] else 0.0
        out[f"{kind}_p"], out[f"{kind}_r"], out[f"{kind}_f1"] = p, r, _f1(p, r)
    out["recall_all_mentions"] = c["found_all"] / c["gold_all"] if c["gold_all"] else 0.0
    for t in TYPES:
        p = c[f"tp_{t}"] / c[f"pred_{t}"] if c[f"pred_{t}"] else 0.0
        r = c[f"found_{t}"] / c[f"gold_{t}"] if c[f"gold_{t}"] else 0.0
        out[f"{t}_f1"] = _f1(p, r)
    out["predicted"] = float(c["pred"])
    out["gold_named"] = float(c["gold"])
    return out


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def _throughput(data_dir: Path, limit: int | None) -> dict[str, float]:
    path = Path(data_dir) / "news" / "voa" / "voa_stories.jsonl"
    if not path.is_file():
        return {}
    texts = [json.loads(line)["text"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    texts = texts[:limit] if limit is not None else texts
    words = sum(len(t.split()) for t in texts)
    nlp = load_nlp()
    plain = load_model()
    t0, c0 = time.perf_counter(), time.process_time()
    for t in texts:
        extract_mentions(t, nlp)
    single, single_cpu = time.perf_counter() - t0, time.process_time() - c0
    t0 = time.perf_counter()
    for _ in extract_mentions_batch(texts, nlp):
        pass
    batched = time.perf_counter() - t0
    t0 = time.perf_counter()
    for _ in plain.pipe(texts, batch_size=16):
        pass
    base = time.perf_counter() - t0
    return {
        "voa_stories": float(len(texts)),
        "voa_words": float(words),
        "voa_words_per_s": words / single,
        # CPU seconds of this process: less sensitive to other jobs sharing the machine.
        "voa_words_per_cpu_s": words / single_cpu if single_cpu else 0.0,
        "voa_words_per_s_batched": words / batched,
        "voa_words_per_s_plain_spacy": words / base,
    }


ACLED_FILES = {
    "dev": ("global-2022h1/acled_old_deletion_dummy.csv", "ukraine-2022/UkraineACLED.csv"),
    "test": ("ukraine-2022-2024/ACLED.csv",),
}


def _acled_actors(data_dir: Path, split: str) -> dict[str, float]:
    """How many ACLED actor1/actor2 slots the registry resolves, to ACLED's own name, and with
    ACLED's inter code for the event's country (`Actor.inter_in`)."""
    paths = [Path(data_dir) / "events" / "acled" / f for f in ACLED_FILES[split]]
    if not all(p.is_file() for p in paths):
        return {}
    registry = ActorRegistry.load()
    c: Counter[str] = Counter()
    cache: dict[str, Any] = {}
    for path in paths:
        with path.open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                iso2 = registry.country_code(row.get("country") or "")
                for key, inter_key in (("actor1", "inter1"), ("actor2", "inter2")):
                    name = (row.get(key) or "").strip()
                    if not name:
                        continue
                    if name not in cache:
                        cache[name] = registry.lookup(name)
                    actor = cache[name]
                    c["slots"] += 1
                    if actor is None:
                        continue
                    c["resolved"] += 1
                    c["same_name"] += actor.name == name
                    gold_inter = row.get(inter_key) or ""
                    if gold_inter.strip():
                        c["with_inter"] += 1
                        c["inter_ok"] += actor.inter_in(iso2) == int(float(gold_inter))
    slots = c["slots"] or 1
    return {
        "acled_actor_slots": float(c["slots"]),
        "acled_actor_resolved": c["resolved"] / slots,
        "acled_actor_same_name": c["same_name"] / slots,
        "acled_actor_inter_accuracy": c["inter_ok"] / c["with_inter"] if c["with_inter"] else 0.0,
    }


def run(data_dir: Path, split: str = "dev", limit: int | None = None) -> dict:
    articles = _load(Path(data_dir), split, limit)
    nlp = load_nlp()
    plain = load_model()
    texts = [a.text for a in articles]
    layered = [_predictions(ms) for _doc, ms in extract_mentions_batch(texts, nlp)]
    baseline = [_spacy_predictions(doc) for doc in plain.pipe(texts, batch_size=16)]
    out: dict[str, Any] = {"split": split, "documents": len(articles)}
    for name, preds in (("layered", layered), ("spacy", baseline)):
        for k, v in _score(articles, preds).items():
            out[f"{name}_{k}"] = round(v, 4) if isinstance(v, float) and v < 1.5 else v
    out.update({k: round(v, 1) for k, v in _throughput(Path(data_dir), limit).items()})
    out.update({k: round(v, 4) for k, v in _acled_actors(Path(data_dir), split).items()})
    return out


if __name__ == "__main__":  # pragma: no cover - manual run
    import os
    import sys

    data = Path(os.environ.get("TIDINGS_SHARED_DATA", "/work/shared/data"))
    result = run(data, sys.argv[1] if len(sys.argv) > 1 else "dev", int(sys.argv[2]) if len(sys.argv) > 2 else None)
    for key, value in result.items():
        print(f"{key}: {value}")
