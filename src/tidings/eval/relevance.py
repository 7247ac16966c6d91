"""The cheap relevance filter (`tidings.relevance`): what it keeps of event text, and what it rejects of the rest.

Recall (the filter must drop almost nothing that matters; target >= 0.98):
  - ACLED `notes`: each note reports one event. dev: `events/acled/ukraine-2022` and `global-2022h1`
    (the 9,000-row global file and the 326-row Argentina file); test: `ukraine-2022-2024`.
    `doc_recall`: share of notes judged relevant; `sentence_recall`: share whose first sentence (the one
    that states the event: "On 15 April 2022, Russian forces shelled Avdiivka, Donetsk.") lies inside the
    spans chosen for analysis.
  - CASE 2021 task 2 snippets (all test: run with --split test, report only): recall on the 25 ACLED
    sub-event types, and apart on the 5 other types (disasters, crime, diplomacy, claims), which tidings
    does not code as ACLED events.
  - the 89 VOA stories (news/voa, all dev): international and conflict desks; share judged relevant.
Rejection (what it saves), on the article bodies of the 181 AEB pages (web/scrapinghub-aeb
ground-truth.json), English ones only: general web pages (products, sport, markets, tech, celebrity, some
politics and a few conflict reports), so the rejected share is a lower bound of the filter's specificity.
`doc_rejected`: share of bodies judged not relevant; `chars_kept`: share of characters inside the spans
sent to analysis (all of them for the other sets' notion of cost).
"""

from __future__ import annotations

import csv
import json
import time
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from tidings.relevance import assess, sentence_spans

ACLED_DEV = ("events/acled/ukraine-2022/UkraineACLED.csv", "events/acled/global-2022h1/acled_old_deletion_dummy.csv",
             "events/acled/global-2022h1/acled_old_dummy.csv")
ACLED_TEST = ("events/acled/ukraine-2022-2024/ACLED.csv",)
CASE = "events/case2021/task2/test_dataset/test_set_final_release_with_labels.tsv"
CASE_OTHER = {"NATURAL_DISASTER", "MAN_MADE_DISASTER", "DIPLO", "ORG_CRIME", "ATTRIB", "OTHER"}
VOA = "news/voa/voa_stories.jsonl"
AEB = "web/scrapinghub-aeb/ground-truth.json"


def recall(texts: Iterable[str], limit: int | None = None) -> dict[str, Any]:
    """Document recall, first-sentence recall and a few misses (for reading, never for rules)."""
    n = kept = first_kept = 0
    misses: list[str] = []
    for text in texts:
        if limit is not None and n >= limit:
            break
        n += 1
        result = assess(text)
        if result.relevant:
            kept += 1
        sentences = sentence_spans(text)
        if sentences and any(s <= sentences[0][0] and sentences[0][1] <= e for s, e in result.spans):
            first_kept += 1
        elif len(misses) < 5:
            misses.append(text[:160])
    return {"n": n, "doc_recall": kept / n if n else None, "sentence_recall": first_kept / n if n else None,
            "misses": misses}


def rejection(texts: Iterable[str], limit: int | None = None) -> dict[str, Any]:
    n = rejected = chars = chars_kept = 0
    kept_examples: list[str] = []
    for text in texts:
        if limit is not None and n >= limit:
            break
        n += 1
        result = assess(text)
        chars += len(text)
        chars_kept += sum(e - s for s, e in result.spans)
        if not result.relevant:
            rejected += 1
        elif len(kept_examples) < 8:
            kept_examples.append(text[:100].replace("\n", " "))
    return {"n": n, "doc_rejected": rejected / n if n else None, "chars_kept": chars_kept / chars if chars else None,
            "kept_examples": kept_examples}


def _acled_notes(data_dir: Path, files: tuple[str, ...]) -> list[str]:
    notes: list[str] = []
    for rel in files:
        path = data_dir / rel
        if not path.exists():
            continue
        with path.open(encoding="utf-8", newline="") as fh:
            notes += [row["notes"].strip() for row in csv.DictReader(fh) if (row.get("notes") or "").strip()]
    return notes


def _english(text: str) -> bool:
    """Mostly ASCII letters and common English function words: the filter (like the NLP stages) is
    English-only, so it is judged on English bodies."""
    head = text[:3000]
    letters = [c for c in head if c.isalpha()]
    if not letters or sum(c.isascii() for c in letters) / len(letters) < 0.97:
        return False
    lower = head.lower()
    return sum(w in lower for w in (" the ", " and ", " of ", " to ", " in ")) >= 4


def run(data_dir: Path, split: str = "dev", limit: int | None = None, verbose: bool = False) -> dict[str, Any]:
    """Flat metrics per set (`acled_notes.doc_recall`, ...); `verbose` adds a few misses and kept negatives
    to read (never to write rules from test items)."""
    data_dir = Path(data_dir)
    if split not in ("dev", "test"):
        raise ValueError(f"unknown split {split!r}")
    results: dict[str, Any] = {"split": split}
    started = time.process_time()  # CPU time: the machine may be shared
    chars = 0
    acled = _acled_notes(data_dir, ACLED_DEV if split == "dev" else ACLED_TEST)
    if acled:
        results["acled_notes"] = recall(acled, limit)
        chars += sum(len(t) for t in acled[:limit])
    if split == "test" and (data_dir / CASE).exists():
        with (data_dir / CASE).open(encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh, delimiter="\t"))[:limit]
        results["case2021_acled_types"] = recall(r["EventSnippet"] for r in rows if r["SubType"] not in CASE_OTHER)
        results["case2021_other_types"] = recall(r["EventSnippet"] for r in rows if r["SubType"] in CASE_OTHER)
        missed = Counter(r["SubType"] for r in rows if not assess(r["EventSnippet"]).relevant)
        results["case2021_missed_by_type"] = dict(missed.most_common())
    if split == "dev" and (data_dir / VOA).exists():
        stories = [json.loads(line)["text"] for line in (data_dir / VOA).read_text(encoding="utf-8").splitlines()
                   if line.strip()]
        results["voa_stories"] = recall(stories, limit)
        chars += sum(len(t) for t in stories[:limit])
    if (data_dir / AEB).exists():
        bodies = [v.get("articleBody") or "" for v in json.loads((data_dir / AEB).read_text(encoding="utf-8")).values()]
        english = [b for b in bodies if _english(b)]
        results["aeb_negatives"] = rejection(english, limit)
        chars += sum(len(t) for t in english[:limit])
    if len(results) == 1:
        raise FileNotFoundError(f"no relevance evaluation data under {data_dir}")
    seconds = time.process_time() - started
    flat: dict[str, Any] = {"split": split}
    for name, value in results.items():
        if isinstance(value, dict) and name != "case2021_missed_by_type":
            flat |= {f"{name}.{k}": round(v, 4) if isinstance(v, float) else v for k, v in value.items()
                     if k not in ("misses", "kept_examples") or verbose}
        elif name != "split":
            flat[name] = value
    flat["cpu_us_per_kb"] = round(seconds * 1e6 / (chars / 1000), 1) if chars else None
    return flat


if __name__ == "__main__":
    import sys

    from tidings.bench import SHARED

    split = sys.argv[1] if len(sys.argv) > 1 else "dev"
    print(json.dumps(run(SHARED, split, verbose=True), indent=2, ensure_ascii=False))
