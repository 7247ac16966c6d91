"""ACLED notes -> event type, sub-event type and fatalities, scored against ACLED's own coding.

Data: `events/acled` under `data_dir`. Splits: dev = `ukraine-2022/UkraineACLED.csv` +
`global-2022h1/acled_old_deletion_dummy.csv`; test = `ukraine-2022-2024/ACLED.csv`.

Only the `notes` text is read into the prediction, after removing ACLED's coder annotations, which
would leak the gold answer:
  - a leading sub-type label ("Property destruction: On 27 June ...", "Interception: ...");
  - every [bracketed] remark ("[size=no report]", "[coded to Pripyat]", "[22 fatalities split ...]");
  - (parenthesised) remarks that mention coding, fatalities or splitting;
  - sentences stating a coded count ("1 fatality.", "Unspecified fatalities coded as 10.").
Natural statements such as "There were no casualties." are kept.

The predicted coding of a note is its first detected event (ACLED notes lead with the event), and
its fatalities are that event's (`detect_events` runs `parse_casualties` per sentence and folds toll
sentences into the event); when no event is detected, `parse_casualties` over the whole note.
`fatalities_exact_note_parse` scores `parse_casualties` over the whole cleaned note instead. Unknown
(None) is scored as 0 because ACLED stores unknown fatalities as 0.
"""

from __future__ import annotations

import csv
import re
import time
from collections import Counter
from pathlib import Path

from tidings.events.casualties import parse_casualties
from tidings.events.detect import detect_events, split_sentences

SPLITS = {
    "dev": ["ukraine-2022/UkraineACLED.csv", "global-2022h1/acled_old_deletion_dummy.csv"],
    "test": ["ukraine-2022-2024/ACLED.csv"],
}

_LABEL_PREFIX = re.compile(r"^\s*[A-Z][A-Za-z /&-]{2,40}:\s+(?=[A-Z0-9])")
_BRACKETS = re.compile(r"\s*\[[^\]]*\]")
_CODING_PAREN = re.compile(r"\s*\([^()]*\b(coded|fatalit\w*|split|coding)\b[^()]*\)", re.IGNORECASE)
_CODING_SENTENCE = re.compile(
    r"(\bcoded\b|^\s*\d+\s+fatalit(y|ies)\.?\s*$|^\s*(unspecified|unknown|unclear)\s+(number of\s+)?"
    r"(fatalities|casualties)\b)",
    re.IGNORECASE,
)


def clean_note(note: str) -> str:
    """An ACLED note without the coder's annotations (see module docstring)."""
    text = _LABEL_PREFIX.sub("", note, count=1)
    text = _BRACKETS.sub("", text)
    text = _CODING_PAREN.sub("", text)
    kept = [text[s:e] for s, e in split_sentences(text) if not _CODING_SENTENCE.search(text[s:e])]
    return " ".join(kept).strip()


def _gold_fatalities(value: str) -> int:
    try:
        return int(float(value))
    except ValueError:
        return 0


def load_rows(data_dir: Path, split: str) -> list[dict[str, str]]:
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; expected one of {sorted(SPLITS)}")
    base = Path(data_dir) / "events" / "acled"
    rows: list[dict[str, str]] = []
    for rel in SPLITS[split]:
        path = base / rel
        if not path.exists():
            raise FileNotFoundError(path)
        with path.open(encoding="utf-8", newline="") as fh:
            rows.extend(dict(r, _file=rel.split("/")[0]) for r in csv.DictReader(fh) if r.get("notes"))
    return rows


def run(data_dir: Path, split: str = "dev", limit: int | None = None) -> dict[str, float | int | str]:
    rows = load_rows(data_dir, split)
    if limit is not None:
        rows = rows[:limit]
    n = len(rows)
    type_ok = sub_ok = detected = 0
    fat_ok = fat_known_ok = fat_known = fat_pred_ok = fat_pred = note_parse_ok = 0
    sentences = 0
    per_file: Counter[str] = Counter()
    per_file_ok: Counter[str] = Counter()
    elapsed = cpu = 0.0
    gold_types = Counter(r["event_type"] for r in rows)
    gold_subs = Counter(r["sub_event_type"] for r in rows)
    for row in rows:
        note = clean_note(row["notes"])
        sentences += len(split_sentences(note))
        t0, c0 = time.perf_counter(), time.process_time()
        events = detect_events(note)
        elapsed += time.perf_counter() - t0
        cpu += time.process_time() - c0
        if events:
            detected += 1
            coding = events[0].coding
            type_ok += coding.event_type == row["event_type"]
            sub_ok += coding.sub_event_type == row["sub_event_type"]
            per_file_ok[row["_file"]] += coding.sub_event_type == row["sub_event_type"]
        per_file[row["_file"]] += 1
        whole_note, _, _ = parse_casualties(note)
        fatalities = events[0].fatalities if events else whole_note
        gold = _gold_fatalities(row["fatalities"])
        note_parse_ok += (whole_note or 0) == gold
        fat_ok += (fatalities or 0) == gold
        if gold > 0:
            fat_known += 1
            fat_known_ok += fatalities == gold
        if fatalities is not None:
            fat_pred += 1
            fat_pred_ok += fatalities == gold
    majority_type, majority_type_n = gold_types.most_common(1)[0] if n else ("", 0)
    majority_sub, majority_sub_n = gold_subs.most_common(1)[0] if n else ("", 0)
    zero_baseline = sum(_gold_fatalities(r["fatalities"]) == 0 for r in rows)
    by_file = {
        f"sub_event_type_accuracy[{name}]": per_file_ok[name] / total for name, total in per_file.items()
    }
    return {
        "split": split,
        "notes": n,
        "detected_rate": detected / n if n else 0.0,
        "event_type_accuracy": type_ok / n if n else 0.0,
        "sub_event_type_accuracy": sub_ok / n if n else 0.0,
        "baseline_majority_event_type": majority_type,
        "baseline_majority_event_type_accuracy": majority_type_n / n if n else 0.0,
        "baseline_majority_sub_event_type": majority_sub,
        "baseline_majority_sub_event_type_accuracy": majority_sub_n / n if n else 0.0,
        "fatalities_exact": fat_ok / n if n else 0.0,
        "fatalities_exact_note_parse": note_parse_ok / n if n else 0.0,
        "baseline_fatalities_always_zero_exact": zero_baseline / n if n else 0.0,
        "fatalities_exact_when_gold_positive": fat_known_ok / fat_known if fat_known else 0.0,
        "notes_with_gold_fatalities": fat_known,
        "fatalities_exact_when_predicted": fat_pred_ok / fat_pred if fat_pred else 0.0,
        "notes_with_predicted_fatalities": fat_pred,
        **by_file,
        "sentences": sentences,
        "detect_sentences_per_second": sentences / elapsed if elapsed else 0.0,
        # CPU time is robust to other processes on a shared machine; wall time is what a user waits.
        "detect_sentences_per_cpu_second": sentences / cpu if cpu else 0.0,
    }
