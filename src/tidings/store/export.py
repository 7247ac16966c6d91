"""Exports: documents, entities, events, claims and mentions as JSON Lines, CSV, Parquet; events also
as ACLED-style CSV and GeoJSON. The field names are a contract that users and later stages rely on."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import tempfile
from collections.abc import Iterator
from datetime import date, datetime
from typing import IO, Any

import pyarrow as pa
import pyarrow.parquet as pq

from tidings.errors import UsageError
from tidings.store.db import Store

WHATS = ("documents", "entities", "events", "claims", "mentions")
FORMATS = ("jsonl", "csv", "parquet", "acled-csv", "geojson")

DOCUMENT_SQL = """
SELECT doc_id, source, url, title, author, site, published, language, text, status, error, duplicate_of,
       published_from, encoding, kind,
       (SELECT list(s.source ORDER BY s.source) FROM document_sources s WHERE s.doc_id = d.doc_id) AS seen_at
FROM documents d {where} ORDER BY published_utc NULLS LAST, doc_id"""

ENTITY_SQL = """
SELECT entity_id, name, type, kind, aliases, wikidata, country, inter, mentions, documents
FROM entities {where} ORDER BY mentions DESC, name"""

EVENT_COLUMNS = (
    "event_id, event_date, time_precision, date_text, event_type, sub_event_type, disorder_type, "
    "actor1, actor1_id, assoc_actor_1, actor2, actor2_id, assoc_actor_2, inter1, inter2, interaction, "
    "civilian_targeting, location, admin1, country, iso, latitude, longitude, geo_precision, fatalities, "
    "injuries, status, contested, disagreements, notes, source_count, document_count")

EVENT_SQL = f"SELECT {EVENT_COLUMNS} FROM events {{where}} ORDER BY event_date NULLS LAST, event_id"

SOURCES_SQL = """
SELECT event_id, report_id, doc_id, url, site, published, copy_of, sentence, start, "end",
       attributed_to, cue, status, "values"
FROM event_sources ORDER BY event_id, published NULLS LAST, doc_id, start"""

CLAIM_SQL = """
SELECT claim_id, doc_id, text, start, "end", attributed_to, cue, stance, event_id, contradicts
FROM claims {where} ORDER BY doc_id, start"""

MENTION_SQL = """SELECT doc_id, start, "end", text, label, entity_id, attrs FROM mentions {where}
ORDER BY doc_id, start"""

# ACLED's own column names, in its order; fields tidings does not code are left empty.
ACLED_COLUMNS = [
    "event_id_cnty", "event_date", "year", "time_precision", "disorder_type", "event_type", "sub_event_type",
    "actor1", "assoc_actor_1", "inter1", "actor2", "assoc_actor_2", "inter2", "interaction",
    "civilian_targeting", "iso", "region", "country", "admin1", "admin2", "admin3", "location", "latitude",
    "longitude", "geo_precision", "source", "source_scale", "notes", "fatalities", "tags", "timestamp",
]


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    return value


def _decode_json_fields(row: dict[str, Any], fields: tuple[str, ...]) -> dict[str, Any]:
    for f in fields:
        if isinstance(row.get(f), str):
            with contextlib.suppress(json.JSONDecodeError):
                row[f] = json.loads(row[f])
    return row


def query_rows(store: Store, what: str, where: str = "", params: tuple[Any, ...] = ()) -> Iterator[dict[str, Any]]:
    if what == "documents":
        yield from store.rows(DOCUMENT_SQL.format(where=where), params)
    elif what == "entities":
        yield from store.rows(ENTITY_SQL.format(where=where), params)
    elif what == "claims":
        yield from store.rows(CLAIM_SQL.format(where=where), params)
    elif what == "mentions":
        for row in store.rows(MENTION_SQL.format(where=where), params):
            yield _decode_json_fields(row, ("attrs",))
    elif what == "events":
        sources: dict[str, list[dict[str, Any]]] = {}
        for s in store.rows(SOURCES_SQL):
            sources.setdefault(s.pop("event_id"), []).append(_decode_json_fields(s, ("values",)))
        for row in store.rows(EVENT_SQL.format(where=where), params):
            row = _decode_json_fields(row, ("disagreements",))
            row["sources"] = sources.get(row["event_id"], [])
            yield row
    else:
        raise UsageError(f"cannot export {what!r}: choose one of {', '.join(WHATS)}")


def acled_row(event: dict[str, Any]) -> dict[str, Any]:
    day = event.get("event_date")
    sites = sorted({s.get("site") or "" for s in event.get("sources", []) if s.get("site")})
    return {
        "event_id_cnty": event["event_id"], "event_date": _jsonable(day) if day else "",
        "year": day.year if isinstance(day, date) else "", "time_precision": event.get("time_precision"),
        "disorder_type": event.get("disorder_type"), "event_type": event.get("event_type"),
        "sub_event_type": event.get("sub_event_type"), "actor1": event.get("actor1"),
        "assoc_actor_1": event.get("assoc_actor_1"), "inter1": event.get("inter1"),
        "actor2": event.get("actor2"), "assoc_actor_2": event.get("assoc_actor_2"), "inter2": event.get("inter2"),
        "interaction": event.get("interaction"),
        "civilian_targeting": "Civilian targeting" if event.get("civilian_targeting") else "",
        "iso": event.get("iso"), "region": "", "country": event.get("country"), "admin1": event.get("admin1"),
        "admin2": "", "admin3": "", "location": event.get("location"), "latitude": event.get("latitude"),
        "longitude": event.get("longitude"), "geo_precision": event.get("geo_precision"),
        "source": "; ".join(sites), "source_scale": "", "notes": event.get("notes"),
        "fatalities": event.get("fatalities"), "tags": "contested" if event.get("contested") else "",
        "timestamp": "",
    }


def write(rows: Iterator[dict[str, Any]], what: str, fmt: str, out: IO[bytes]) -> int:
    """Write rows in a format; return how many were written."""
    if fmt not in FORMATS:
        raise UsageError(f"unknown format {fmt!r}: choose one of {', '.join(FORMATS)}")
    if fmt in ("acled-csv", "geojson") and what != "events":
        raise UsageError(f"--format {fmt} is for --what events only")
    count = 0
    if fmt == "jsonl":
        for row in rows:
            out.write(json.dumps(row, default=_jsonable, ensure_ascii=False).encode() + b"\n")
            count += 1
    elif fmt in ("csv", "acled-csv"):
        text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
        writer: csv.DictWriter[str] | None = None
        for row in rows:
            flat = acled_row(row) if fmt == "acled-csv" else {
                k: json.dumps(v, default=_jsonable, ensure_ascii=False) if isinstance(v, list | dict) else _jsonable(v)
                for k, v in row.items()}
            if writer is None:
                writer = csv.DictWriter(text, fieldnames=ACLED_COLUMNS if fmt == "acled-csv" else list(flat))
                writer.writeheader()
            writer.writerow(flat)
            count += 1
        if writer is None and fmt == "acled-csv":
            csv.writer(text).writerow(ACLED_COLUMNS)
        text.detach()
    elif fmt == "geojson":
        out.write(b'{"type": "FeatureCollection", "features": [')
        for row in rows:
            if row.get("latitude") is None or row.get("longitude") is None:
                continue
            props = {k: v for k, v in row.items() if k not in ("latitude", "longitude")}
            feature = {"type": "Feature", "id": row["event_id"], "properties": props,
                       "geometry": {"type": "Point", "coordinates": [row["longitude"], row["latitude"]]}}
            out.write((b",\n" if count else b"\n") + json.dumps(feature, default=_jsonable,
                                                                 ensure_ascii=False).encode())
            count += 1
        out.write(b"\n]}\n")
    elif fmt == "parquet":
        data = [{k: json.dumps(v, default=_jsonable, ensure_ascii=False) if isinstance(v, dict)
                 or (isinstance(v, list) and v and isinstance(v[0], dict)) else v for k, v in row.items()}
                for row in rows]
        count = len(data)
        table = pa.Table.from_pylist(data) if data else pa.table({})
        if hasattr(out, "name") and isinstance(out.name, str) and os.path.exists(out.name):
            pq.write_table(table, out)
        else:
            with tempfile.TemporaryFile() as tmp:
                pq.write_table(table, tmp)
                tmp.seek(0)
                out.write(tmp.read())
    return count
