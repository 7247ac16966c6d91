"""The read queries behind the API: plain functions from a Ledger and parsed parameters to JSON-able dicts."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

from tidings.serve.database import Ledger
from tidings.serve.filters import EventFilter, Sort, decode_cursor, encode_cursor
from tidings.store.export import EVENT_COLUMNS

SUMMARY_COLUMNS = ("event_id, event_date, time_precision, event_type, sub_event_type, actor1, actor1_id, actor2, "
                   "actor2_id, location, admin1, country, latitude, longitude, geo_precision, fatalities, "
                   "status, contested, source_count")
MAX_CLUSTERS = 5000  # a whole-world view at high zoom is refused by the page long before this
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


# --- events -------------------------------------------------------------------------------------
def list_events(ledger: Ledger, flt: EventFilter, sort: Sort, limit: int, cursor: str | None) -> dict[str, Any]:
    where, params = flt.where(search=ledger.search())
    total = ledger.one(f"SELECT count(*) AS n FROM events {where}", params)
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
            fields.setdefault(name, []).append({"value": value, "report_id": s["report_id"], "doc_id": s["doc_id"],
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


def export_rows(ledger: Ledger, flt: EventFilter, sort: Sort) -> Iterator[dict[str, Any]]:
    """Events in the shape `tidings.store.export.query_rows(..., "events")` yields (each with its sources),
    restricted to the filter, read in batches so a large download never holds the whole ledger."""
    where, params = flt.where(search=ledger.search())
    batch = 2000
    with ledger.cursor() as cur:
        cur.execute(f"SELECT {EVENT_COLUMNS} FROM events {where} {sort.order_by()}", params)
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
    where, params = flt.where(search=ledger.search())
    out: dict[str, Any] = {}
    totals = ledger.one(f"SELECT count(*) AS events, coalesce(sum(fatalities), 0) AS fatalities, "
                        f"count(*) FILTER (WHERE contested) AS contested, min(event_date) AS first, "
                        f"max(event_date) AS last FROM events {where}", params)
    out["totals"] = _clean(totals or {})
    out["by_type"] = ledger.rows(f"SELECT event_type, count(*) AS events, coalesce(sum(fatalities), 0) AS fatalities "
                                 f"FROM events {where} GROUP BY ALL ORDER BY events DESC, event_type", params)
    out["by_status"] = ledger.rows(f"SELECT status, count(*) AS events FROM events {where} GROUP BY ALL "
                                   f"ORDER BY events DESC, status", params)
    out["by_admin1"] = ledger.rows(f"SELECT country, admin1, count(*) AS events, coalesce(sum(fatalities), 0) "
                                   f"AS fatalities FROM events {where} GROUP BY ALL ORDER BY events DESC, country, "
                                   f"admin1 LIMIT ?", [*params, top])
    # The timeline shows every day of the other filters, so a brushed date range can be widened again.
    t_where, t_params = flt.where(search=ledger.search(), dates=False)
    out["by_day"] = [_clean(r) for r in ledger.rows(
        f"SELECT event_date AS day, count(*) AS events, coalesce(sum(fatalities), 0) AS fatalities FROM events "
        f"{t_where} {'AND' if t_where else 'WHERE'} event_date IS NOT NULL GROUP BY ALL ORDER BY day", t_params)]
    if zoom is not None:
        out["clusters"] = clusters(ledger, flt, zoom, view)
    return out


def clusters(ledger: Ledger, flt: EventFilter, zoom: int, view: tuple[float, float, float, float] | None
             ) -> dict[str, Any]:
    """Events grouped on a grid whose cell shrinks with the zoom; each cluster sits at the mean position of
    its events and says how many of each type it holds. A lone event carries its id, so one click opens it."""
    size = cell_size(zoom)
    where, params = flt.where(search=ledger.search())
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
    # One pass: per cell and type, then per cell (a correlated per-cell subquery costs ten times more).
    rows = ledger.rows(f"""
        WITH per_type AS (
            SELECT floor(latitude / ?)::BIGINT AS gy, floor(longitude / ?)::BIGINT AS gx, event_type,
                   count(*) AS n, sum(latitude) AS slat, sum(longitude) AS slon,
                   sum(coalesce(fatalities, 0)) AS fatalities, min(event_id) AS event_id
            FROM events WHERE {' AND '.join(conds)} GROUP BY ALL)
        SELECT gy, gx, sum(n)::BIGINT AS events, sum(fatalities)::BIGINT AS fatalities,
               round(sum(slat) / sum(n), 5) AS lat, round(sum(slon) / sum(n), 5) AS lon,
               CASE WHEN sum(n) = 1 THEN min(event_id) END AS event_id,
               list({{'event_type': event_type, 'events': n}} ORDER BY n DESC, event_type) AS types
        FROM per_type GROUP BY gy, gx ORDER BY events DESC, gy, gx LIMIT ?""", [size, size, *params, MAX_CLUSTERS])
    for r in rows:
        r["bounds"] = [r["gx"] * size, r["gy"] * size, (r["gx"] + 1) * size, (r["gy"] + 1) * size]
        del r["gx"], r["gy"]
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
    """Values for the filter controls: what the ledger actually holds."""
    return {
        "event_types": ledger.rows("SELECT event_type, sub_event_type, count(*) AS events FROM events "
                                   "WHERE event_type IS NOT NULL GROUP BY ALL ORDER BY event_type, sub_event_type"),
        "countries": ledger.rows("SELECT country, count(*) AS events FROM events WHERE country IS NOT NULL "
                                 "GROUP BY ALL ORDER BY events DESC, country"),
        "statuses": ledger.rows("SELECT status, count(*) AS events FROM events WHERE status IS NOT NULL "
                                "GROUP BY ALL ORDER BY events DESC"),
        "range": _clean(ledger.one("SELECT min(event_date) AS first, max(event_date) AS last FROM events") or {}),
        "search": "full-text" if ledger.fts else "substring",
    }
