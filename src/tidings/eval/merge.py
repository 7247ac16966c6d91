"""`tidings eval merge`: cross-document event merging, measured two ways.

1. ECB+ (Cybulska & Vossen 2014; topics 1-35 dev, 36-45 test), event coreference on gold action mentions
   within gold topics, in the sentences the corpus marks as annotated (ECBplus_coreference_sentences.csv),
   singletons included. Each gold mention becomes a `merge.Candidate` built by our own stages: the trigger's
   lemma (spaCy), the ACLED type when `classify_sentence` codes the sentence at that trigger, the event date
   and place chosen exactly as the ledger chooses them (`analyse.event_date` / `event_place` over
   `find_dates` against the document date when the Event StoryLine annotation gives one, and spaCy +
   `resolve_places`), and the named participants of the sentence, grouped across the topic as
   `rebuild_entities` groups names. They are clustered by `merge.cluster` with the same conflict and
   link predicates as the ledger; only the switches of `merge.Rules` differ (a missing place or date is
   neutral; the trigger lemma links non-ACLED events). Scored with MUC, B³, CEAF-e and CoNLL F1 beside two
   baselines computed in the same run: all singletons, and same head lemma within a topic.
2. GVA incidents (see `tidings.eval.gva_incidents`): articles through the real pipeline into DuckDB,
   `rebuild_events`, article clustering B³ against gold incidents and field accuracy, on a random sample
   (recall) and a same-city-same-month sample (precision).

`limit` caps the ECB+ topics and the GVA incidents of each sample (defaults: all topics; 150 and 100).
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tidings.eval.coref_metrics import conll

_ROOT = Path("coref/ecbplus")
DEV_TOPICS = range(1, 36)
TEST_TOPICS = range(36, 46)
ENTITY_LABELS = ("PERSON", "ORG", "GROUP")  # named participants


@dataclass
class GoldMention:
    mention_id: str  # doc:m_id
    doc: str
    topic: int
    sentence: int
    tokens: list[int]  # t_ids
    chain: str  # gold cluster key


@dataclass
class EcbDoc:
    name: str  # "1_10ecbplus"
    topic: int
    text: str
    token_spans: dict[int, tuple[int, int]]  # t_id -> char span in text
    sentence_spans: dict[int, tuple[int, int]]
    mentions: list[GoldMention] = field(default_factory=list)
    dct: dt.date | None = None


# ------------------------------------------------------------------------------------- reading
def _selected(root: Path) -> set[tuple[str, int]]:
    with (root / "ECB+_LREC2014" / "ECBplus_coreference_sentences.csv").open(encoding="utf-8") as fh:
        return {(f"{r['Topic']}_{r['File']}", int(r["Sentence Number"])) for r in csv.DictReader(fh)}


def _dcts(root: Path) -> dict[str, dt.date]:
    """Document creation times from the Event StoryLine annotation (ECB+ itself has none)."""
    out: dict[str, dt.date] = {}
    for path in (root / "annotated_data" / "v1.5").glob("*/*.xml"):
        text = path.read_text(encoding="utf-8", errors="replace")
        m = re.search(r'DCT="TRUE" value="(\d{4}-\d{2}-\d{2})', text)
        if m:
            out[path.name.split(".")[0]] = dt.date.fromisoformat(m.group(1))
    return out


def read_doc(path: Path, selected: set[tuple[str, int]]) -> EcbDoc:
    tree = ET.parse(path)
    name = path.name.removesuffix(".xml")
    topic = int(name.split("_")[0])
    parts: list[str] = []
    token_spans: dict[int, tuple[int, int]] = {}
    sentence_spans: dict[int, list[int]] = {}
    pos, last_sentence = 0, None
    for tok in tree.getroot().iter("token"):
        sentence = int(tok.get("sentence", "0"))
        if last_sentence is not None:
            sep = "\n" if sentence != last_sentence else " "
            parts.append(sep)
            pos += 1
        word = tok.text or ""
        token_spans[int(tok.get("t_id", "0"))] = (pos, pos + len(word))
        span = sentence_spans.setdefault(sentence, [pos, pos])
        span[1] = pos + len(word)
        parts.append(word)
        pos += len(word)
        last_sentence = sentence
    token_sentence = {int(t.get("t_id", "0")): int(t.get("sentence", "0")) for t in tree.getroot().iter("token")}
    doc = EcbDoc(name, topic, "".join(parts), token_spans, {k: (v[0], v[1]) for k, v in sentence_spans.items()})
    markables = tree.getroot().find("Markables")
    chains: dict[str, str] = {}
    instance: dict[str, str] = {}
    for m in markables if markables is not None else []:
        if m.get("instance_id") or m.get("TAG_DESCRIPTOR"):
            instance[m.get("m_id", "")] = m.get("instance_id") or f"{name}:{m.get('m_id')}"
    relations = tree.getroot().find("Relations")
    for rel in relations if relations is not None else []:
        if rel.tag not in ("CROSS_DOC_COREF", "INTRA_DOC_COREF"):
            continue
        target = rel.find("target")
        key = instance.get(target.get("m_id", "")) if target is not None else None
        for src in rel.findall("source"):
            if key:
                chains[src.get("m_id", "")] = key
    for m in markables if markables is not None else []:
        if not (m.tag.startswith("ACTION") or m.tag.startswith("NEG_ACTION")):
            continue
        tokens = [int(a.get("t_id", "0")) for a in m.findall("token_anchor")]
        if not tokens:
            continue
        sentence = token_sentence[tokens[0]]
        if (name, sentence) not in selected:
            continue
        mid = m.get("m_id", "")
        doc.mentions.append(GoldMention(f"{name}:{mid}", name, topic, sentence, tokens,
                                        chains.get(mid, f"single:{name}:{mid}")))
    return doc


def load_ecbplus(data_dir: Path, split: str, limit: int | None = None) -> list[EcbDoc]:
    root = Path(data_dir) / _ROOT
    corpus = root / "ECB+_LREC2014" / "ECB+"
    if not corpus.is_dir():
        raise FileNotFoundError(f"ECB+ absent under {root}")
    if split not in ("dev", "test"):
        raise ValueError("split must be dev or test")
    topics = [t for t in (DEV_TOPICS if split == "dev" else TEST_TOPICS) if (corpus / str(t)).is_dir()]
    topics = topics[:limit] if limit else topics
    selected, dcts = _selected(root), _dcts(root)
    docs: list[EcbDoc] = []
    for t in topics:
        for path in sorted((corpus / str(t)).glob("*.xml")):
            doc = read_doc(path, selected)
            doc.dct = dcts.get(doc.name)
            if doc.mentions:
                docs.append(doc)
    return docs


# ------------------------------------------------------------------------------------- candidates
def _participants(mentions: list[Any], start: int, end: int, canon: dict[str, str]) -> frozenset[str]:
    names = set()
    for m in mentions:
        if m.label in ENTITY_LABELS and start <= m.start and m.end <= end:
            names.add(m.entity_id or "name:" + canon.get(m.text, m.text).lower())
    return frozenset(names)


def build_candidates(docs: list[EcbDoc]) -> tuple[list[Any], dict[str, str]]:
    """One `merge.Candidate` per gold action mention, from our own stages. Returns (candidates, lemma by id)."""
    from tidings.analyse import event_date, event_place
    from tidings.events.classify import EventCoding, classify_sentence
    from tidings.events.detect import DetectedEvent
    from tidings.merge import Candidate
    from tidings.resolve.actors import ActorRegistry
    from tidings.resolve.aliases import group_names
    from tidings.resolve.dates import find_dates
    from tidings.resolve.mentions import load_nlp, mentions_from_doc
    from tidings.resolve.places import resolve_places

    registry = ActorRegistry.load()
    nlp = load_nlp(registry)
    parsed = list(nlp.pipe([d.text for d in docs], batch_size=16))
    per_doc: list[tuple[list[Any], list[Any], list[Any]]] = []
    names_by_topic: dict[int, list[str]] = defaultdict(list)
    for doc, sdoc in zip(docs, parsed, strict=True):
        mentions = mentions_from_doc(sdoc, registry)
        spans = [(m.start, m.end, m.label if m.label != "GROUP" else "ORG") for m in mentions]
        places = resolve_places(doc.text, spans)
        dates = find_dates(doc.text, doc.dct)
        per_doc.append((mentions, places, dates))
        names_by_topic[doc.topic] += [m.text for m in mentions if m.label in ENTITY_LABELS]
    # Names are grouped within a topic as the ledger groups them across its corpus ("Tara Reid" / "Reid").
    canon_by_topic = {t: group_names(names) for t, names in names_by_topic.items()}
    published = {d.name: dt.datetime.combine(d.dct, dt.time(12)) if d.dct else None for d in docs}
    cands: list[Any] = []
    lemmas: dict[str, str] = {}
    for doc, sdoc, (mentions, places, dates) in zip(docs, parsed, per_doc, strict=True):
        resolved = [p for p in places if p.place is not None]
        top = Counter((p.place.name, p.place.kind) for p in resolved if p.place.kind != "country").most_common(1)
        doc_place = next((p for p in resolved if (p.place.name, p.place.kind) == top[0][0]), None) if top else None
        for gm in doc.mentions:
            s, e = doc.sentence_spans[gm.sentence]
            t0, t1 = doc.token_spans[gm.tokens[0]][0], doc.token_spans[gm.tokens[-1]][1]
            span = sdoc.char_span(t0, t1, alignment_mode="expand")
            lemma = (span.root.lemma_ if span is not None and len(span) else doc.text[t0:t1]).lower()
            lemmas[gm.mention_id] = lemma
            sentence = doc.text[s:e]
            coding = classify_sentence(sentence)
            hit = coding is not None and coding.trigger_start is not None and \
                coding.trigger_start <= t1 - s and t0 - s <= (coding.trigger_end or coding.trigger_start)
            trigger = EventCoding(coding.event_type if hit and coding else "", coding.sub_event_type
                                  if hit and coding else "", 0.0, doc.text[t0:t1], t0 - s, t1 - s, False)
            det = DetectedEvent(s, e, trigger, None, None, None)
            place, _ = event_place(det, doc.text, places, None, doc_place)
            when = event_date(det, dates, published[doc.name], doc.text)
            c = Candidate(gm.mention_id, doc.name, None, None, None, None, sentence, s, e,
                          trigger.event_type or None, trigger.sub_event_type or None, {}, group=str(doc.topic))
            if when.get("value"):
                c.day, c.precision = dt.date.fromisoformat(when["value"]), when["precision"]
            if place is not None and place.place is not None:
                p = place.place
                c.lat, c.lon, c.geo_precision, c.admin1, c.iso = (p.latitude, p.longitude, place.precision,
                                                                   p.admin1, p.country_code)
            c.lemma = lemma
            c.participants = _participants(mentions, s, e, canon_by_topic[doc.topic])
            cands.append(c)
    return cands, lemmas


# ------------------------------------------------------------------------------------- scoring
def _clusters(keys: dict[str, Any]) -> list[set[str]]:
    groups: dict[Any, set[str]] = defaultdict(set)
    for mid, k in keys.items():
        groups[k].add(mid)
    return list(groups.values())


def _prefixed(prefix: str, scores: dict[str, float]) -> dict[str, float]:
    return {f"{prefix}_{k}": round(v, 4) for k, v in scores.items()}


def score_ecbplus(docs: list[EcbDoc], cands: list[Any], lemmas: dict[str, str],
                  variants: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    from tidings.merge import cluster

    gold = _clusters({m.mention_id: m.chain for d in docs for m in d.mentions})
    topic = {m.mention_id: m.topic for d in docs for m in d.mentions}
    out: dict[str, Any] = {"ecbplus_docs": len(docs), "ecbplus_mentions": sum(len(g) for g in gold),
                           "ecbplus_gold_clusters": len(gold),
                           "ecbplus_dated_share": round(sum(c.day is not None for c in cands) / len(cands), 4),
                           "ecbplus_placed_share": round(sum(c.lat is not None for c in cands) / len(cands), 4),
                           "ecbplus_acled_typed_share": round(sum(bool(c.event_type) for c in cands) / len(cands), 4)}
    out.update(_prefixed("ecbplus_singletons", conll(gold, [{m} for m in topic])))
    out.update(_prefixed("ecbplus_lemma", conll(gold, _clusters({m: (topic[m], lemmas[m]) for m in topic}))))
    for name, rules in variants:
        response = [{c.report_id for c in g} for g in cluster(cands, rules)]
        out.update(_prefixed(f"ecbplus_{name}", conll(gold, response)))
    return out


def run_ecbplus(data_dir: Path, split: str = "dev", limit: int | None = None) -> dict[str, Any]:
    from tidings.merge import Rules

    docs = load_ecbplus(data_dir, split, limit)
    if not docs:
        raise FileNotFoundError("no ECB+ documents in this split")
    cands, lemmas = build_candidates(docs)
    return score_ecbplus(docs, cands, lemmas, [
        # The ledger's complete link: no two mentions of one cluster may disagree on date, place or participants.
        ("tidings", Rules(missing_is_neutral=True, lemma_links=True, participants=True)),
        # Tolerant: up to half the mention pairs across two clusters may disagree (the signals are noisy here).
        ("tidings_tolerant", Rules(missing_is_neutral=True, lemma_links=True, participants=True, tolerance=0.5)),
    ])


def run(data_dir: Path, split: str = "dev", limit: int | None = None) -> dict[str, Any]:
    from tidings.eval import gva_incidents

    out = run_ecbplus(data_dir, split, limit)
    try:
        out.update(gva_incidents.run(data_dir, split, limit))
    except FileNotFoundError as exc:
        out["gva_skipped"] = str(exc)
    return out
