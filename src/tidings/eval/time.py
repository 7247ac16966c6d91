"""TempEval-3 evaluation of date resolution (DATE-type TIMEX3 against the document creation time).

dev = TBAQ-cleaned (TimeBank + AQUAINT), test = TE3-Platinum. Reports, for DATE timexes only:
recognition precision/recall/F1 (strict = same span, lenient = overlapping span), value accuracy on
matched timexes, end-to-end value F1 (TempEval-3 style: a system timex counts when it overlaps a gold
one and has the same value), and value accuracy when the resolver is handed each gold expression.
dateparser's own `search_dates` / `parse` are measured in the same run as the baseline.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tidings.resolve.dates import find_dates, resolve_expression

_ROOT = Path("time/tempeval3/data/TempEval3")
_SPLITS = {"dev": ["Training/TBAQ-cleaned/TimeBank", "Training/TBAQ-cleaned/AQUAINT"],
           "test": ["Evaluation/te3-platinum"]}
_TOKEN = re.compile(r"<(/?)(\w+)([^>]*)>|&(#?\w+);|[^<&]+", re.S)
_ATTR = re.compile(r'(\w+)="([^"]*)"')


@dataclass(frozen=True)
class Timex:
    start: int
    end: int
    text: str
    type: str
    value: str


@dataclass(frozen=True)
class TimeMLDoc:
    name: str
    dct: dt.date
    text: str
    timexes: list[Timex]


def parse_timeml(source: str, name: str = "") -> TimeMLDoc:
    """Plain text of <TEXT> with the TIMEX3 spans as offsets into it, and the creation date."""
    dct_match = re.search(r"<DCT>\s*<TIMEX3([^>]*)>", source)
    if not dct_match:
        raise ValueError(f"{name}: no DCT")
    dct = dt.date.fromisoformat(dict(_ATTR.findall(dct_match.group(1)))["value"][:10])
    body = re.search(r"<TEXT>(.*)</TEXT>", source, re.S)
    if not body:
        raise ValueError(f"{name}: no TEXT")
    parts: list[str] = []
    size = 0
    open_timex: tuple[int, dict[str, str]] | None = None
    timexes: list[Timex] = []
    for m in _TOKEN.finditer(body.group(1)):
        closing, tag, attrs, entity = m.group(1), m.group(2), m.group(3), m.group(4)
        if tag:
            if tag == "TIMEX3" and not closing:
                open_timex = (size, dict(_ATTR.findall(attrs)))
            elif tag == "TIMEX3" and open_timex:
                start, a = open_timex
                text = "".join(parts)[start:size]
                timexes.append(Timex(start, size, text, a.get("type", ""), a.get("value", "")))
                open_timex = None
            continue
        piece = html.unescape(f"&{entity};") if entity else m.group(0)
        parts.append(piece)
        size += len(piece)
    return TimeMLDoc(name, dct, "".join(parts), timexes)


def load(data_dir: Path, split: str, limit: int | None = None) -> list[TimeMLDoc]:
    if split not in _SPLITS:
        raise ValueError(f"split must be one of {sorted(_SPLITS)}")
    root = Path(data_dir) / _ROOT
    files = sorted(f for sub in _SPLITS[split] for f in (root / sub).glob("*.tml"))
    if not files:
        raise FileNotFoundError(f"no TempEval-3 {split} files under {root}")
    return [parse_timeml(f.read_text(encoding="utf-8"), f.name) for f in files[:limit]]


Span = tuple[int, int, str]  # start, end, TimeML value


def _match(gold: list[Span], system: list[Span], strict: bool) -> list[tuple[Span, Span]]:
    """One-to-one matching of system to gold spans, in text order."""
    pairs: list[tuple[Span, Span]] = []
    used: set[int] = set()
    for s in system:
        for i, g in enumerate(gold):
            if i in used:
                continue
            if (s[0], s[1]) == (g[0], g[1]) if strict else (s[0] < g[1] and g[0] < s[1]):
                pairs.append((g, s))
                used.add(i)
                break
    return pairs


def _prf(tp: int, n_sys: int, n_gold: int) -> tuple[float, float, float]:
    p = tp / n_sys if n_sys else 0.0
    r = tp / n_gold if n_gold else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def _is_date_value(value: str | None) -> bool:
    # TIME values carry a "T" part ("2013-03-22TNI"); everything else we emit is DATE-like.
    return value is None or not re.search(r"\dT(?:\d|MO|AF|EV|NI|DT)", value)


def _tidings_spans(doc: TimeMLDoc) -> list[Span]:
    found = find_dates(doc.text, doc.dct, refs=True)
    return [(r.start, r.end, r.timex or "") for r in found if _is_date_value(r.timex)]


def _dateparser_spans(doc: TimeMLDoc) -> list[Span]:
    from dateparser.search import search_dates

    base = dt.datetime.combine(doc.dct, dt.time(12))
    hits = search_dates(doc.text, languages=["en"],
                        settings={"RELATIVE_BASE": base, "PREFER_DATES_FROM": "past"}) or []
    spans: list[Span] = []
    pos = 0
    for text, when in hits:  # search_dates gives no offsets: find each hit in order
        at = doc.text.find(text, pos)
        if at < 0:
            continue
        spans.append((at, at + len(text), when.date().isoformat()))
        pos = at + len(text)
    return spans


def _value_ok(gold: str, system: str, generous: bool) -> bool:
    gold, system = (re.sub(r"-W0(\d)", r"-W\1", v) for v in (gold, system))  # TimeML writes W7 and W07
    # dateparser only returns days; the baseline gets credit when its day lies in the gold period.
    if generous and re.fullmatch(r"\d{4}(-\d\d){0,2}", gold):
        return system.startswith(gold)
    return gold == system


def _score(docs: list[TimeMLDoc], spans: Callable[[TimeMLDoc], list[Span]], prefix: str,
           generous: bool = False) -> dict[str, float]:
    n_gold = n_sys = strict_tp = lenient_tp = value_ok = 0
    for doc in docs:
        gold = [(t.start, t.end, t.value) for t in doc.timexes if t.type == "DATE"]
        system = spans(doc)
        n_gold += len(gold)
        n_sys += len(system)
        strict_tp += len(_match(gold, system, strict=True))
        lenient = _match(gold, system, strict=False)
        lenient_tp += len(lenient)
        value_ok += sum(_value_ok(g[2], s[2], generous) for g, s in lenient)
    sp, sr, sf = _prf(strict_tp, n_sys, n_gold)
    lp, lr, lf = _prf(lenient_tp, n_sys, n_gold)
    vp, vr, vf = _prf(value_ok, n_sys, n_gold)
    return {
        f"{prefix}strict_p": sp, f"{prefix}strict_r": sr, f"{prefix}strict_f1": sf,
        f"{prefix}lenient_p": lp, f"{prefix}lenient_r": lr, f"{prefix}lenient_f1": lf,
        f"{prefix}value_acc_matched": value_ok / lenient_tp if lenient_tp else 0.0,
        f"{prefix}value_p": vp, f"{prefix}value_r": vr, f"{prefix}value_f1": vf,
        f"{prefix}system_timexes": float(n_sys),
    }


def _gold_span_accuracy(docs: list[TimeMLDoc]) -> tuple[float, float, int]:
    """Value accuracy when each gold DATE expression is resolved on its own (ours vs dateparser)."""
    import dateparser

    ours = base = total = 0
    for doc in docs:
        when = dt.datetime.combine(doc.dct, dt.time(12))
        for t in doc.timexes:
            if t.type != "DATE":
                continue
            total += 1
            res = resolve_expression(t.text, doc.dct)
            ours += bool(res and res.timex == t.value)
            parsed = dateparser.parse(t.text, languages=["en"],
                                      settings={"RELATIVE_BASE": when, "PREFER_DATES_FROM": "past"})
            base += bool(parsed and _value_ok(t.value, parsed.date().isoformat(), generous=True))
    return (ours / total if total else 0.0), (base / total if total else 0.0), total


def run(data_dir: Path, split: str = "dev", limit: int | None = None, baseline: bool = True) -> dict:
    docs = load(data_dir, split, limit)
    metrics: dict[str, float] = {"docs": float(len(docs)),
                                 "gold_date_timexes": float(sum(t.type == "DATE" for d in docs for t in d.timexes))}
    metrics.update(_score(docs, _tidings_spans, ""))
    ours, base, _ = _gold_span_accuracy(docs)
    metrics["value_acc_gold_spans"] = ours
    if baseline:
        metrics.update(_score(docs, _dateparser_spans, "dateparser_", generous=True))
        metrics["dateparser_value_acc_gold_spans"] = base
    metrics["anchor_heideltime_value_f1"] = 0.78  # published TE3 figure (all timex types), for reference
    return metrics
