"""The read queries behind the API: plain functions from a Ledger and parsed parameters to JSON-able dicts."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator
from datetime import date, datetime
from typing import Any, TypeVar

from tidings.serve.database import Ledger
from tidings.serve.filters import BadParameter, EventFilter, Sort, decode_cursor, encode_cursor
from tidings.store.export import EVENT_COLUMNS

T = TypeVar("T")
SUMMARY_COLUMNS = ("event_id, event_date, time_precision, event_type, sub_event_type, actor1, actor1_id, actor2, "
                   "actor2_id, location, admin1, country, latitude, longitude, geo_precision, fatalities, "
                   "status, contested, source_count")
MAX_CLUSTERS = 5000  # clusters returned at most (largest first)
MAX_GRID = 50_000  # grid cells a view may span: bounds the work of one request (a map view spans ~100)
CONTEXT = 280  # characters of document text either side of a source sentence in the event view


def jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return None  # raw page bytes and MinHash signatures are not for the browser
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _clean(row: dict[str, Any], json_fields: tuple[str, ...] = ()) -> dict[str, Any]:
    out = {k: jsonable(v) for k, v in row.items()}
    for f in json_fields:
        if isinstance(out.get(f), str):
            try:
                out[f] = json.loads(out[f])
            except json.JSONDecodeError:
                pass
    return out


def cached(ledger: Ledger, what: str, where: str, params: list[Any], compute: Callable[[], T]) -> T:
    """A result that depends only on the filter, computed once per filter (the ledger is read-only)."""
    key = json.dumps([what, where, params], default=str)
    found = ledger.cache.get(key)
    if found is None:
        found = compute()
        ledger.cache.put(key, found)
    return found


# --- events -------------------------------------------------------------------------------------
def list_events(ledger: Ledger, flt: EventFilter, sort: Sort, limit: int, cursor: str | None) -> dict[str, Any]:
    where, params = flt.where(search=ledger.search)
    total = cached(ledger, "count", where, params, lambda: ledger.one(f"SELECT count(*) AS n FROM events {where}",
                                                                       params))
    page_where, page_params = where, list(params)
    if cursor:
        cond, extra = sort.after(decode_cursor(cursor, sort))
        page_where = f"{where} AND {cond}" if where else f"WHERE {cond}"
        page_params += extra
    rows = ledger.rows(f"SELECT {SUMMARY_COLUMNS}, {sort.expr} AS _key FROM events {page_where} "
                       f"{sort.order_by()} LIMIT ?", [*page_params, limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor(sort, rows[-1]["_key"], rows[-1]["event_id"]) if more and rows else None
    return {"total": total["n"] if total else 0, "limit": limit, "sort": sort.name, "next_cursor": next_cursor,
            "events": [_clean({k: v for k, v in r.items() if k != "_key"}) for r in rows]}


def get_event(ledger: Ledger, event_id: str) -> dict[str, Any] | None:
    row = ledger.one(f"SELECT {EVENT_COLUMNS} FROM events WHERE event_id = ?", [event_id])
    if row is None:
        return None
    event = _clean(row, ("disagreements",))
    sources = ledger.rows("""
        SELECT s.report_id, s.doc_id, s.url, s.site, s.published, s.copy_of, s.sentence, s.start, s."end",
               s.attributed_to, s.cue, s.status, s."values", d.title,
               substr(d.text, greatest(s.start - ?, 0) + 1, least(s.start, ?)) AS before,
               substr(d.text, s."end" + 1, ?) AS after,
               s.start > ? AS cut_before, length(d.text) > s."end" + ? AS cut_after
        FROM event_sources s LEFT JOIN documents d USING (doc_id)
        WHERE s.event_id = ? ORDER BY s.published NULLS LAST, s.doc_id, s.start""",
                          [CONTEXT, CONTEXT, CONTEXT, CONTEXT, CONTEXT, event_id])
    event["sources"] = [_clean(s, ("values",)) for s in sources]
    event["claims"] = [_clean(c) for c in ledger.rows("""
        SELECT c.claim_id, c.doc_id, c.text, c.start, c."end", c.attributed_to, c.cue, c.stance, c.contradicts,
               d.title, d.site
        FROM claims c LEFT JOIN documents d USING (doc_id) WHERE c.event_id = ? ORDER BY c.doc_id, c.start""",
                                                        [event_id])]
    event["conflicts"] = conflicts(event)
    return event


def conflicts(event: dict[str, Any]) -> list[dict[str, Any]]:
    """Fields whose sources give different values, each with every source's value side by side."""
    fields: dict[str, list[dict[str, Any]]] = {}
    for s in event["sources"]:
        values = s.get("values")
        if not isinstance(values, dict):
            continue
        for name, value in values.items():
            fields.setdefault(name, []).append({"value": comparable(value), "words": _words(value),
                                                "report_id": s["report_id"], "doc_id": s["doc_id"],
                                                "site": s.get("site"), "attributed_to": s.get("attributed_to"),
                                                "status": s.get("status")})
    disagreements = event.get("disagreements")
    if isinstance(disagreements, dict):
        for name, values in disagreements.items():
            if name not in fields and isinstance(values, list):
                fields[name] = [v if isinstance(v, dict) else {"value": v} for v in values]
    out = []
    for name, values in sorted(fields.items()):
        distinct = {json.dumps(v.get("value"), sort_keys=True, default=str) for v in values}
        if len(distinct) > 1:
            out.append({"field": name, "values": values})
    return out


def comparable(value: Any) -> Any:
    """What a source says a field is, without where it said it: the pipeline stores a resolved value with its
    span (`{"value": ..., "start": ..., "text": ...}`, a place or actor with its `name`); two sources agree
    when these agree, whatever their offsets."""
    if isinstance(value, dict):
        for key in ("value", "name", "entity_id"):
            if key in value:
                return value[key]
        return {k: v for k, v in value.items() if k not in ("start", "end", "text", "from")}
    return value


def _words(value: Any) -> str | None:
    return value.get("text") if isinstance(value, dict) and isinstance(value.get("text"), str) else None


def export_rows(ledger: Ledger, flt: EventFilter, sort: Sort) -> Iterator[dict[str, Any]]:
    """Events in the shape `tidings.store.export.query_rows(..., "events")` yields (each with its sources),
    restricted to the filter, read in batches so a large download never holds the whole ledger."""
    where, params = flt.where(search=ledger.search)
    batch = 2000
    with ledger.cursor() as cur:
        sql = f"SELECT {EVENT_COLUMNS} FROM events {where} {sort.order_by()}"
        ledger.register_hits(cur, sql)
        cur.execute(sql, params)
        names = [d[0] for d in cur.description]
        while True:
            chunk = cur.fetchmany(batch)
            if not chunk:
                return
            rows = [dict(zip(names, r, strict=True)) for r in chunk]
            ids = [r["event_id"] for r in rows]
            sources: dict[str, list[dict[str, Any]]] = {}
            for s in ledger.rows("""
                    SELECT event_id, report_id, doc_id, url, site, published, copy_of, sentence, start, "end",
                           attributed_to, cue, status, "values"
                    FROM event_sources WHERE event_id IN (SELECT unnest(?))
                    ORDER BY event_id, published NULLS LAST, doc_id, start""", [ids]):
                sources.setdefault(s.pop("event_id"), []).append(_clean(s, ("values",)))
            for r in rows:
                if isinstance(r.get("disagreements"), str):
                    r["disagreements"] = json.loads(r["disagreements"])
                r["sources"] = sources.get(r["event_id"], [])
                yield r


# --- stats ----------------------------------------------------------------------------------------
def cell_size(zoom: int) -> float:
    """Grid cell in degrees for a map zoom: about 64 screen pixels at that zoom (256-pixel tiles)."""
    return 360.0 / (2 ** zoom) / 4


def stats(ledger: Ledger, flt: EventFilter, zoom: int | None, view: tuple[float, float, float, float] | None,
          top: int) -> dict[str, Any]:
    where, params = flt.where(search=ledger.search)
    # One scan for the totals and every breakdown (GROUPING SETS), not one query each; cached per filter,
    # since moving the map changes only the clusters.
    rows = cached(ledger, "breakdowns", where, params, lambda: ledger.rows(f"""
        SELECT GROUPING(event_type) AS g_type, GROUPING(status) AS g_status, GROUPING(country) AS g_region,
               event_type, status, country, admin1, count(*) AS events,
               coalesce(sum(fatalities), 0)::BIGINT AS fatalities,
               count(*) FILTER (WHERE contested) AS contested, min(event_date) AS first, max(event_date) AS last
        FROM events {where}
        GROUP BY GROUPING SETS ((), (event_type), (status), (country, admin1))""", params))
    total = next((r for r in rows if r["g_type"] and r["g_status"] and r["g_region"]), None)
    out: dict[str, Any] = {"totals": _clean({k: total[k] for k in ("events", "fatalities", "contested", "first",
                                                                    "last")}) if total else
                           {"events": 0, "fatalities": 0, "contested": 0, "first": None, "last": None}}
    by = {"type": [r for r in rows if not r["g_type"]], "status": [r for r in rows if not r["g_status"]],
          "region": [r for r in rows if not r["g_region"]]}
    order = lambda r: (-r["events"], str(r.get("event_type") or r.get("status") or r.get("country") or ""),  # noqa: E731
                       str(r.get("admin1") or ""))
    out["by_type"] = [{"event_type": r["event_type"], "events": r["events"], "fatalities": r["fatalities"]}
                      for r in sorted(by["type"], key=order)]
    out["by_status"] = [{"status": r["status"], "events": r["events"]} for r in sorted(by["status"], key=order)]
    out["by_admin1"] = [{"country": r["country"], "admin1": r["admin1"], "events": r["events"],
                         "fatalities": r["fatalities"]} for r in sorted(by["region"], key=order)[:top]]
    out["by_day"] = timeline(ledger, flt)
    if zoom is not None:
        out["clusters"] = clusters(ledger, flt, zoom, view)
    return out


def timeline(ledger: Ledger, flt: EventFilter) -> list[dict[str, Any]]:
    """Events per day for every filter but the date range (the timeline shows the whole span around a
    brushed selection). Cached: it does not change while the map moves, and the ledger is read-only."""
    where, params = flt.where(search=ledger.search, dates=False)
    return cached(ledger, "timeline", where, params, lambda: [_clean(r) for r in ledger.rows(
        f"SELECT event_date AS day, count(*) AS events, coalesce(sum(fatalities), 0)::BIGINT AS fatalities "
        f"FROM events {where} {'AND' if where else 'WHERE'} event_date IS NOT NULL GROUP BY ALL ORDER BY day",
        params)])


def clusters(ledger: Ledger, flt: EventFilter, zoom: int, view: tuple[float, float, float, float] | None
             ) -> dict[str, Any]:
    """Events grouped on a grid whose cell shrinks with the zoom; each cluster sits at the mean position of
    its events and says how many of each type it holds. A lone event carries its id, so one click opens it."""
    size = cell_size(zoom)
    w, s, e, n = view or (-180.0, -90.0, 180.0, 90.0)
    cells_in_view = ((e - w) % 360 or 360) / size * (n - s) / size
    if cells_in_view > MAX_GRID:
        raise BadParameter("zoom", f"a {size:g}-degree grid over this view has {cells_in_view:,.0f} cells: "
                                   "pass a smaller view= or a lower zoom")
    where, params = flt.where(search=ledger.search)
    conds = [where[len("WHERE "):]] if where else []
    conds.append("latitude IS NOT NULL AND longitude IS NOT NULL")
    if view:
        w, s, e, n = view
        conds.append("latitude BETWEEN ? AND ?")
        params = [*params, s, n]
        if w <= e:
            conds.append("longitude BETWEEN ? AND ?")
        else:
            conds.append("(longitude >= ? OR longitude <= ?)")
        params += [w, e]
    # DuckDB groups by cell and type in one scan; the few resulting rows are folded into cells here
    # (cheaper than a second SQL aggregation over the first).
    per_type = ledger.rows(f"""
        SELECT floor(latitude / ?)::BIGINT AS gy, floor(longitude / ?)::BIGINT AS gx, event_type, count(*) AS n,
               sum(latitude) AS slat, sum(longitude) AS slon, sum(coalesce(fatalities, 0))::BIGINT AS fatalities,
               min(event_id) AS event_id
        FROM events WHERE {' AND '.join(conds)} GROUP BY ALL""", [size, size, *params])
    cells: dict[tuple[int, int], dict[str, Any]] = {}
    for r in per_type:
        c = cells.setdefault((r["gy"], r["gx"]), {"events": 0, "fatalities": 0, "slat": 0.0, "slon": 0.0,
                                                  "event_id": None, "types": []})
        c["events"] += r["n"]
        c["fatalities"] += r["fatalities"]
        c["slat"] += r["slat"]
        c["slon"] += r["slon"]
        c["event_id"] = r["event_id"]
        c["types"].append({"event_type": r["event_type"], "events": r["n"]})
    rows = []
    for (gy, gx), c in sorted(cells.items(), key=lambda kv: (-kv[1]["events"], kv[0]))[:MAX_CLUSTERS]:
        rows.append({"events": c["events"], "fatalities": c["fatalities"],
                     "lat": round(c["slat"] / c["events"], 5), "lon": round(c["slon"] / c["events"], 5),
                     "event_id": c["event_id"] if c["events"] == 1 else None,
                     "types": sorted(c["types"], key=lambda t: (-t["events"], str(t["event_type"] or ""))),
                     "bounds": [gx * size, gy * size, (gx + 1) * size, (gy + 1) * size]})
    return {"zoom": zoom, "cell": size, "clusters": rows}


# --- entities, documents, claims -------------------------------------------------------------------
def list_entities(ledger: Ledger, q: str | None, kind: str | None, limit: int, offset: int) -> dict[str, Any]:
    conds, params = [], []
    if q:
        conds.append("(name ILIKE ? OR list_contains(list_transform(coalesce(aliases, []), a -> lower(a)), lower(?))"
                     " OR entity_id = ?)")
        params += [f"%{q}%", q, q]
    if kind:
        conds.append("kind = ?")
        params.append(kind)
    where = ("WHERE " + " AND ".join(conds)) if conds else ""
    total = ledger.one(f"SELECT count(*) AS n FROM entities {where}", params)
    rows = ledger.rows(f"SELECT entity_id, name, type, kind, inter, country, wikidata, aliases, mentions, documents "
                       f"FROM entities {where} ORDER BY mentions DESC NULLS LAST, name, entity_id LIMIT ? OFFSET ?",
                       [*params, limit, offset])
    return {"total": total["n"] if total else 0, "limit": limit, "offset": offset,
            "entities": [_clean(r) for r in rows]}


def get_entity(ledger: Ledger, entity_id: str, limit: int) -> dict[str, Any] | None:
    row = ledger.one("SELECT entity_id, name, type, kind, inter, country, wikidata, aliases, mentions, documents "
                     "FROM entities WHERE entity_id = ?", [entity_id])
    if row is None:
        return None
    entity = _clean(row)
    n = ledger.one("SELECT count(*) AS n FROM events WHERE actor1_id = ? OR actor2_id = ?", [entity_id, entity_id])
    entity["event_count"] = n["n"] if n else 0
    entity["events"] = [_clean(r) for r in ledger.rows(
        f"SELECT {SUMMARY_COLUMNS} FROM events WHERE actor1_id = ? OR actor2_id = ? "
        f"ORDER BY event_date DESC NULLS LAST, event_id LIMIT ?", [entity_id, entity_id, limit])]
    # Every spelling the documents used, with how often: the aliases as actually seen.
    entity["spellings"] = ledger.rows("SELECT text, count(*) AS mentions FROM mentions WHERE entity_id = ? "
                                      "GROUP BY text ORDER BY mentions DESC, text LIMIT 50", [entity_id])
    entity["mention_list"] = [_clean(r) for r in ledger.rows("""
        SELECT m.doc_id, m.start, m."end", m.text, m.label, d.title, d.site, d.published
        FROM mentions m LEFT JOIN documents d USING (doc_id) WHERE m.entity_id = ?
        ORDER BY d.published_utc DESC NULLS LAST, m.doc_id, m.start LIMIT ?""", [entity_id, limit])]
    return entity


def get_document(ledger: Ledger, doc_id: str) -> dict[str, Any] | None:
    row = ledger.one("""SELECT doc_id, source, url, title, author, site, published, published_from, language,
                               encoding, kind, status, error, duplicate_of, text, boilerplate
                        FROM documents WHERE doc_id = ?""", [doc_id])
    if row is None:
        return None
    doc = _clean(row)
    doc["seen_at"] = [r["source"] for r in ledger.rows(
        "SELECT source FROM document_sources WHERE doc_id = ? ORDER BY source", [doc_id])]
    root = doc["duplicate_of"] or doc_id
    doc["duplicates"] = [_clean(r) for r in ledger.rows(
        "SELECT doc_id, title, site, url, published, duplicate_of FROM documents "
        "WHERE (duplicate_of = ? OR doc_id = ?) AND doc_id <> ? ORDER BY published_utc NULLS LAST, doc_id",
        [root, root, doc_id])]
    doc["spans"] = [_clean(r) for r in ledger.rows("""
        SELECT s.event_id, s.report_id, s.start, s."end", s.sentence, s.attributed_to, s.cue, s.status,
               e.event_type, e.sub_event_type, e.event_date
        FROM event_sources s LEFT JOIN events e USING (event_id) WHERE s.doc_id = ? ORDER BY s.start""", [doc_id])]
    doc["reports"] = [_clean(r, ("fields",)) for r in ledger.rows(
        'SELECT report_id, sentence, start, "end", event_type, sub_event_type, fields FROM reports '
        "WHERE doc_id = ? ORDER BY start", [doc_id])]
    doc["claims"] = [_clean(r) for r in ledger.rows(
        'SELECT claim_id, text, start, "end", attributed_to, cue, stance, event_id, contradicts FROM claims '
        "WHERE doc_id = ? ORDER BY start", [doc_id])]
    doc["mentions"] = [_clean(r) for r in ledger.rows(
        'SELECT start, "end", text, label, entity_id FROM mentions WHERE doc_id = ? ORDER BY start LIMIT 2000',
        [doc_id])]
    return doc


def list_claims(ledger: Ledger, event_id: str | None, doc_id: str | None, stance: str | None,
                attributed_to: str | None, limit: int, offset: int) -> dict[str, Any]:
    conds, params = [], []
    for column, value in (("event_id", event_id), ("doc_id", doc_id), ("stance", stance)):
        if value:
            conds.append(f"c.{column} = ?")
            params.append(value)
    if attributed_to:
        conds.append("c.attributed_to ILIKE ?")
        params.append(f"%{attributed_to}%")
    where = ("WHERE " + " AND ".join(conds)) if conds else ""
    total = ledger.one(f"SELECT count(*) AS n FROM claims c {where}", params)
    rows = ledger.rows(f"""SELECT c.claim_id, c.doc_id, c.text, c.start, c."end", c.attributed_to, c.cue, c.stance,
                                  c.event_id, c.contradicts, d.title, d.site, d.published
                           FROM claims c LEFT JOIN documents d USING (doc_id) {where}
                           ORDER BY d.published_utc DESC NULLS LAST, c.claim_id LIMIT ? OFFSET ?""",
                       [*params, limit, offset])
    return {"total": total["n"] if total else 0, "limit": limit, "offset": offset, "claims": [_clean(r) for r in rows]}


def facets(ledger: Ledger) -> dict[str, Any]:
    """Values for the filter controls: what the ledger actually holds (fixed while served, so computed once;
    only the search mode changes, when the index is ready)."""
    found = cached(ledger, "facets", "", [], lambda: _facets(ledger))
    return {**found, "search": "full-text" if ledger.fts else "substring"}


def _facets(ledger: Ledger) -> dict[str, Any]:
    return {
        "event_types": ledger.rows("SELECT event_type, sub_event_type, count(*) AS events FROM events "
                                   "WHERE event_type IS NOT NULL GROUP BY ALL ORDER BY event_type, sub_event_type"),
        "countries": ledger.rows("SELECT country, count(*) AS events FROM events WHERE country IS NOT NULL "
                                 "GROUP BY ALL ORDER BY events DESC, country"),
        "statuses": ledger.rows("SELECT status, count(*) AS events FROM events WHERE status IS NOT NULL "
                                "GROUP BY ALL ORDER BY events DESC"),
        "range": _clean(ledger.one("SELECT min(event_date) AS first, max(event_date) AS last FROM events") or {}),
        # Where the events are (west, south, east, north), so the page opens fitted to them.
        "bounds": list((ledger.one("SELECT min(longitude) AS w, min(latitude) AS s, max(longitude) AS e, "
                                   "max(latitude) AS n FROM events") or {}).values()),
    }
