"""`tidings eval`: the evaluation modules, one per public data set, run on ../shared/data when present.

Each module exposes `run(data_dir, split="dev", limit=None) -> dict` and raises FileNotFoundError when
its data is absent, which is reported as skipped.
"""

from __future__ import annotations

import importlib
import json
import os
import time
from pathlib import Path
from typing import Any

from tidings.errors import UsageError

# name -> (module, what it measures)
EVALS: dict[str, tuple[str, str]] = {
    "extraction": ("tidings.eval.extraction", "page extraction: AEB, trafilatura-eval, fundus, htmldate vs trafilatura"),
    "geo": ("tidings.eval.geo", "toponym recognition F1 and resolution within 161 km (geoparsing sets)"),
    "event-location": ("tidings.eval.event_location", "choosing the event's place among a sentence's places"),
    "time": ("tidings.eval.time", "date value accuracy on TempEval-3 against document creation time"),
    "gva-dates": ("tidings.eval.gva_dates", "incident dates from GVA article text"),
    "ner": ("tidings.eval.ner", "entity mention recognition on WikiEvents vs plain spaCy"),
    "case2021": ("tidings.eval.case2021", "ACLED sub-event type, weighted F1 (CASE 2021 task 2)"),
    "news-events": ("tidings.eval.news_events", "event-sentence precision/recall on hand-labelled VOA stories"),
    "acled": ("tidings.eval.acled_types", "event type, sub-type, fatalities from ACLED notes"),
    "acled-ledger": ("tidings.eval.acled_ledger", "whole pipeline on ACLED notes: actor1, date, place km, fatalities"),
    "polnear": ("tidings.eval.polnear", "attribution source and cue span F1 (PolNeAR)"),
    "factuality": ("tidings.eval.factuality", "reported/claimed/denied status vs event factuality"),
    "relevance": ("tidings.eval.relevance", "recall of the cheap relevance filter on event text"),
    "merge": ("tidings.eval.merge", "cross-document event merging (ECB+ CoNLL F1, GVA clustering B3)"),
}


def data_dir(given: str | None) -> Path:
    if given:
        return Path(given)
    if os.environ.get("TIDINGS_SHARED_DATA"):
        return Path(os.environ["TIDINGS_SHARED_DATA"])
    here = Path(__file__).resolve()
    for candidate in (Path.cwd() / ".." / "shared" / "data", here.parents[3] / ".." / "shared" / "data"):
        if candidate.is_dir():
            return candidate.resolve()
    return Path.cwd() / ".." / "shared" / "data"


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4f}"
    if isinstance(value, dict | list):
        return json.dumps(value, default=str)
    return str(value)


def run_evals(names: list[str], root: Path, split: str = "dev", limit: int | None = None,
              echo: bool = True) -> dict[str, Any]:
    unknown = [n for n in names if n not in EVALS]
    if unknown:
        raise UsageError(f"unknown evaluation {', '.join(unknown)}: choose from {', '.join(EVALS)}")
    results: dict[str, Any] = {}
    for name in names:
        module_name, what = EVALS[name]
        started = time.perf_counter()
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            results[name] = {"skipped": f"not available in this build ({exc})"}
        else:
            try:
                results[name] = module.run(root, split=split, limit=limit)
            except FileNotFoundError as exc:
                results[name] = {"skipped": f"data absent: {exc}"}
        results[name]["seconds"] = round(time.perf_counter() - started, 1)
        if echo:
            print(f"== {name} ({split}): {what}")
            for key, value in results[name].items():
                print(f"   {key:40} {_fmt(value)}")
    return results
