"""Event-sentence precision and recall of `detect_events` on real news articles (VOA stories).

Data: `news/voa/voa_stories.jsonl` under `data_dir` (US public domain). Gold: the project's own labels,
`data/news_event_labels.jsonl`, one line per sentence of 62 stories read by hand: the story id, the
sentence's character offsets in the story's `text` (as `split_sentences` cuts it), whether it reports a
specific incident (`is_event`) and, if so, its ACLED sub-event type. Only ids, offsets and labels are
stored, never the text. Every sentence the detector flagged and every sentence seen to report an incident
is labelled; any other sentence counts as not an event.

What counts as an event sentence: it asserts that a specific incident happened (a violent act, its toll,
a protest, an arrest, a capture, an agreement ...), quoted or not, including a dated incident recalled as
background. Not events: reactions, condemnations, calls, claims of responsibility and accusations,
threats and plans, analysis, aggregate statistics ("killed nearly 400 people in 2024"), habitual or
generic statements, court cases, disasters, weapons tests, and incidents named only as a noun
("the arrest drew condemnation").

Scores: a detected event is correct when the sentence it starts at is an event sentence (precision); a
gold event sentence is found when it lies inside a detected event's span, which may cover toll sentences
folded into it (recall). Sub-type accuracy is over the correct detections.

The same gold also scores the whole analysis as the product runs it (`analyse_document`: the cheap
relevance cut, then the second cut to event and claim sentences, spaCy, then detection on spaCy's
sentences): `pipeline_*` are precision and recall of the event reports it stores, and `kept_by_relevance`
/ `kept_by_focus` the share of gold event sentences inside the spans each cheap cut sends on.

Splits: the labelled stories whose numeric id is divisible by 3 (22 of 62) are held out as a check that
rules were not fitted to the rest: `dev` = the other 40 (tuned on), `check` = the held-out 22, `all`.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from tidings.events.classify import event_type_of
from tidings.events.detect import DetectedEvent, detect_events

STORIES = Path("news/voa/voa_stories.jsonl")
SPLITS = ("dev", "check", "all")


@dataclass(frozen=True)
class Label:
    start: int
    end: int
    is_event: bool
    sub_event_type: str | None


def load_labels() -> dict[str, list[Label]]:
    """Story id -> its labelled sentences, in order."""
    text = resources.files("tidings.data").joinpath("news_event_labels.jsonl").read_text(encoding="utf-8")
    out: dict[str, list[Label]] = defaultdict(list)
    for line in text.splitlines():
        if line.strip():
            row = json.loads(line)
            out[row["story_id"]].append(Label(row["start"], row["end"], row["is_event"], row["sub_event_type"]))
    return {k: sorted(v, key=lambda lab: lab.start) for k, v in out.items()}


def in_split(story_id: str, split: str) -> bool:
    held_out = int(story_id) % 3 == 0
    return split == "all" or (split == "check") == held_out


def _label_at(labels: list[Label], pos: int) -> Label | None:
    return next((lab for lab in labels if lab.start <= pos < lab.end), None)


def score_story(events: list[DetectedEvent], labels: list[Label]) -> dict[str, int]:
    counts = {"predicted": len(events), "correct": 0, "gold": 0, "found": 0, "typed": 0, "sub_ok": 0,
              "type_ok": 0, "unlabelled_predictions": 0}
    for ev in events:
        lab = _label_at(labels, ev.sentence_start)
        if lab is None:
            counts["unlabelled_predictions"] += 1
            continue
        if lab.is_event:
            counts["correct"] += 1
            if lab.sub_event_type:
                counts["typed"] += 1
                counts["sub_ok"] += ev.coding.sub_event_type == lab.sub_event_type
                counts["type_ok"] += ev.coding.event_type == event_type_of(lab.sub_event_type)
    for lab in labels:
        if lab.is_event:
            counts["gold"] += 1
            counts["found"] += any(ev.sentence_start <= lab.start < ev.sentence_end for ev in events)
    return counts


def _pipeline(sid: str, text: str, labels: list[Label], ctx: Any) -> dict[str, int]:
    """Scores of the reports `analyse_document` stores, and how much gold each cheap cut keeps."""
    from tidings.analyse import analyse_document
    from tidings.records import Document
    from tidings.relevance import assess, focus_spans

    doc = Document(doc_id=f"voa-{sid}", source="voa", url=None, kind="record-text", text=text, language="en")
    analyse_document(doc, ctx)
    events = [DetectedEvent(r.start, r.end, _Coding(r.event_type, r.sub_event_type), None, None, None)
              for r in doc.reports]
    counts = {f"pipeline_{k}": v for k, v in score_story(events, labels).items()}
    assessment = assess(text)
    focus = focus_spans(text, assessment) if assessment.relevant else []
    gold = [lab for lab in labels if lab.is_event]
    counts["kept_by_relevance"] = sum(any(s <= g.start and g.end <= e for s, e in assessment.spans) for g in gold)
    counts["kept_by_focus"] = sum(any(s <= g.start and g.end <= e for s, e in focus) for g in gold)
    return counts


@dataclass(frozen=True)
class _Coding:
    """What `score_story` reads of a coding."""

    event_type: str
    sub_event_type: str


def run(data_dir: Path, split: str = "dev", limit: int | None = None) -> dict[str, Any]:
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; expected one of {SPLITS}")
    path = Path(data_dir) / STORIES
    if not path.exists():
        raise FileNotFoundError(path)
    labels = load_labels()
    stories = {}
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            if row["id"] in labels and in_split(row["id"], split):
                stories[row["id"]] = row["text"]
    ids = sorted(stories)[:limit] if limit is not None else sorted(stories)
    from tidings.pipeline import Context

    ctx = Context()
    total: dict[str, int] = defaultdict(int)
    for sid in ids:
        for key, value in score_story(detect_events(stories[sid]), labels[sid]).items():
            total[key] += value
        for key, value in _pipeline(sid, stories[sid], labels[sid], ctx).items():
            total[key] += value
    p_prec = total["pipeline_correct"] / total["pipeline_predicted"] if total["pipeline_predicted"] else 0.0
    p_rec = total["pipeline_found"] / total["gold"] if total["gold"] else 0.0
    precision = total["correct"] / total["predicted"] if total["predicted"] else 0.0
    recall = total["found"] / total["gold"] if total["gold"] else 0.0
    return {
        "split": split,
        "stories": len(ids),
        "gold_event_sentences": total["gold"],
        "detected_events": total["predicted"],
        "event_precision": precision,
        "event_recall": recall,
        "event_f1": 2 * precision * recall / (precision + recall) if precision + recall else 0.0,
        "sub_event_type_accuracy": total["sub_ok"] / total["typed"] if total["typed"] else 0.0,
        "event_type_accuracy": total["type_ok"] / total["typed"] if total["typed"] else 0.0,
        "detections_on_unlabelled_sentences": total["unlabelled_predictions"],
        "pipeline_reports": total["pipeline_predicted"],
        "pipeline_precision": p_prec,
        "pipeline_recall": p_rec,
        "pipeline_f1": 2 * p_prec * p_rec / (p_prec + p_rec) if p_prec + p_rec else 0.0,
        "pipeline_sub_event_type_accuracy": total["pipeline_sub_ok"] / total["pipeline_typed"]
        if total["pipeline_typed"] else 0.0,
        "kept_by_relevance": total["kept_by_relevance"] / total["gold"] if total["gold"] else 0.0,
        "kept_by_focus": total["kept_by_focus"] / total["gold"] if total["gold"] else 0.0,
    }
