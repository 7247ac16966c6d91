"""The read-only JSON API: routes only; the SQL lives in queries.py and filters.py."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from typing import IO, Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import StreamingResponse

from tidings.serve import queries
from tidings.serve.database import Ledger
from tidings.serve.filters import EventFilter, Sort, event_filter, parse_bbox
from tidings.store.export import write

router = APIRouter(prefix="/api")

Filter = Annotated[EventFilter, Depends(event_filter)]
Id = Annotated[str, Path(max_length=200)]
DOWNLOADS = {"csv": ("acled-csv", "text/csv; charset=utf-8"),
             "jsonl": ("jsonl", "application/x-ndjson"),
             "geojson": ("geojson", "application/geo+json")}


def ledger(request: Request) -> Ledger:
    return request.app.state.ledger


Db = Annotated[Ledger, Depends(ledger)]


def not_found(what: str, ident: str) -> HTTPException:
    return HTTPException(404, f"no {what} with id {ident[:80]!r}")


@router.get("/events", summary="Events matching the filter, sorted, one page at a time")
def events(db: Db, flt: Filter,
           sort: Annotated[str, Query(description="date, fatalities or sources; '-' first for descending")] = "-date",
           limit: Annotated[int, Query(ge=1, le=500)] = 50,
           cursor: Annotated[str | None, Query(max_length=400, description="next_cursor of the previous page")] = None,
           ) -> dict[str, Any]:
    return queries.list_events(db, flt, Sort.parse(sort), limit, cursor)


@router.get("/events/{event_id}", summary="One event with every source sentence, its attribution and claims")
def event(db: Db, event_id: Id) -> dict[str, Any]:
    found = queries.get_event(db, event_id)
    if found is None:
        raise not_found("event", event_id)
    return found


@router.get("/stats", summary="Counts by type, status, day and region; grid clusters for the map")
def stats(db: Db, flt: Filter,
          zoom: Annotated[int | None, Query(ge=0, le=18, description="map zoom: adds grid clusters")] = None,
          view: Annotated[str | None, Query(description="map view west,south,east,north for the clusters")] = None,
          top: Annotated[int, Query(ge=1, le=200, description="regions listed in by_admin1")] = 20,
          ) -> dict[str, Any]:
    return queries.stats(db, flt, zoom, parse_bbox(view, "view"), top)


@router.get("/facets", summary="The values the filter controls offer")
def facets(db: Db) -> dict[str, Any]:
    return queries.facets(db)


@router.get("/entities", summary="Actors and other entities, most mentioned first")
def entities(db: Db, q: Annotated[str | None, Query(max_length=200, description="name, alias or id")] = None,
             kind: Annotated[str | None, Query(max_length=100)] = None,
             limit: Annotated[int, Query(ge=1, le=500)] = 50,
             offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0) -> dict[str, Any]:
    return queries.list_entities(db, q, kind, limit, offset)


@router.get("/entities/{entity_id}", summary="One entity: aliases, spellings seen, events and mentions")
def entity(db: Db, entity_id: Id, limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> dict[str, Any]:
    found = queries.get_entity(db, entity_id, limit)
    if found is None:
        raise not_found("entity", entity_id)
    return found


@router.get("/documents/{doc_id}", summary="One document: clean text, metadata, copies, event spans, boilerplate")
def document(db: Db, doc_id: Id) -> dict[str, Any]:
    found = queries.get_document(db, doc_id)
    if found is None:
        raise not_found("document", doc_id)
    return found


@router.get("/claims", summary="Attributed claims, newest first")
def claims(db: Db, event_id: Annotated[str | None, Query(max_length=200)] = None,
           doc_id: Annotated[str | None, Query(max_length=200)] = None,
           stance: Annotated[str | None, Query(max_length=40)] = None,
           attributed_to: Annotated[str | None, Query(max_length=200)] = None,
           limit: Annotated[int, Query(ge=1, le=500)] = 50,
           offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0) -> dict[str, Any]:
    return queries.list_claims(db, event_id, doc_id, stance, attributed_to, limit, offset)


@router.get("/download/events.{fmt}", summary="The filtered events as ACLED CSV, JSON Lines or GeoJSON",
            response_class=StreamingResponse)
def download(db: Db, flt: Filter, fmt: Annotated[str, Path(description="csv, jsonl or geojson")],
             sort: str = "date") -> StreamingResponse:
    if fmt not in DOWNLOADS:
        raise HTTPException(404, f"no download format {fmt[:20]!r}: use csv, jsonl or geojson")
    order = Sort.parse(sort)
    export_format, media_type = DOWNLOADS[fmt]
    # The writers want a byte stream; spool to a temporary file (memory up to 8 MB) then stream it out.
    spool = tempfile.SpooledTemporaryFile(max_size=8 << 20)  # noqa: SIM115 - closed by _chunks
    count = write(queries.export_rows(db, flt, order), "events", export_format, spool)
    spool.seek(0)
    return StreamingResponse(_chunks(spool), media_type=media_type, headers={
        "Content-Disposition": f'attachment; filename="tidings-events.{fmt}"', "X-Event-Count": str(count)})


def _chunks(spool: IO[bytes]) -> Iterator[bytes]:
    try:
        while chunk := spool.read(64 << 10):
            yield chunk
    finally:
        spool.close()
