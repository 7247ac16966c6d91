"""The whole per-document pipeline on ACLED notes: from a note alone (coder remarks stripped, no
publication date given), code the event and compare its actor1, date, place and fatalities with ACLED's.

Each note becomes one record-text document through `pipeline.process_page`; the report that the note
yields first (its lead sentence) is compared with the row. Dev: the two 2022 files (sampled); test:
ukraine-2022-2024.
"""

from __future__ import annotations

import math
import random
import sys
import time
from datetime import datetime
from pathlib import Path
from statistics import median
from typing import Any

from tidings.eval.acled_types import clean_note, load_rows
from tidings.pipeline import Context, process_page
from tidings.records import RawPage


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 6371.0 * 2 * math.asin(math.sqrt(min(1.0, h)))


def _gold_date(value: str) -> str | None:
    for fmt in ("%d %B %Y", "%Y-%m-%d", "%d-%B-%Y"):
        try:
            return datetime.strptime(value.strip(), fmt).date().isoformat()
        except ValueError:
            continue
    return None


def run(data_dir: Path, split: str = "dev", limit: int | None = None) -> dict[str, Any]:
    rows = load_rows(data_dir, split)
    if split == "dev":
        random.Random(7).shuffle(rows)  # the dev files are ordered by date; sample across them
        rows = rows[: limit or 300]
    elif limit:
        rows = rows[:limit]
    ctx = Context()
    n = detected = type_ok = sub_ok = actor_ok = date_ok = fat_ok = placed = 0
    errors_km: list[float] = []
    started = time.perf_counter()
    for i, row in enumerate(rows):
        note = clean_note(row["notes"])
        page = RawPage(source=f"acled#{i}", raw=note.encode(), kind="record-text", hints={"body": note})
        doc = process_page(page, ctx)
        n += 1
        if not doc.reports:
            continue
        detected += 1
        report = doc.reports[0]
        f = report.fields
        type_ok += report.event_type == row["event_type"]
        sub_ok += report.sub_event_type == row["sub_event_type"]
        actor1 = (f.get("actor1") or {}).get("name")
        gold_actor = row["actor1"].strip()
        # ACLED names sub-units ("Military Forces of Russia (2000-) Air Force"): the parent force counts.
        actor_ok += bool(actor1) and (actor1 == gold_actor or gold_actor.startswith(actor1 + " "))
        date_ok += (f.get("date") or {}).get("value") == _gold_date(row["event_date"])
        gold_fat = int(float(row["fatalities"] or 0))
        fat_ok += (f.get("fatalities") or 0) == gold_fat
        place = f.get("place") or {}
        if place.get("latitude") is not None and row.get("latitude"):
            placed += 1
            errors_km.append(_km(place["latitude"], place["longitude"], float(row["latitude"]),
                                 float(row["longitude"])))
    seconds = time.perf_counter() - started
    share = (lambda k: round(k / n, 4)) if n else (lambda k: 0.0)
    return {
        "notes": n, "detected": share(detected), "event_type_acc": share(type_ok),
        "sub_event_type_acc": share(sub_ok), "actor1_acc": share(actor_ok), "event_date_exact": share(date_ok),
        "fatalities_exact": share(fat_ok), "placed": share(placed),
        "location_within_10km": share(sum(1 for e in errors_km if e <= 10)),
        "location_within_50km": share(sum(1 for e in errors_km if e <= 50)),
        "location_median_km": round(median(errors_km), 1) if errors_km else None,
        "notes_per_second": round(n / seconds, 2) if seconds else None,
    }


if __name__ == "__main__":
    split = sys.argv[1] if len(sys.argv) > 1 else "dev"
    limit = int(sys.argv[2]) if len(sys.argv) > 2 else None
    print(run(Path(__file__).resolve().parents[3] / ".." / "shared" / "data", split, limit))
