"""`tidings show`: one document, entity or event as readable text, with its provenance."""

from __future__ import annotations

import json
import textwrap
from typing import Any

from tidings.errors import UsageError
from tidings.store.db import Store


def _wrap(text: str, indent: str = "    ") -> str:
    return textwrap.fill(" ".join(text.split()), width=100, initial_indent=indent, subsequent_indent=indent)


def show_document(store: Store, key: str) -> str:
    rows = store.rows("SELECT * EXCLUDE (raw, minhash, segments) FROM documents WHERE doc_id = ? OR source = ? "
                      "OR url = ?", [key, key, key])
    if not rows:
        raise UsageError(f"no document with id, source or URL {key!r}")
    d = rows[0]
    lines = [f"document {d['doc_id']}  [{d['status']}]" + (f"  error: {d['error']}" if d["error"] else "")]
    for field in ("source", "url", "title", "author", "site", "published", "published_from", "language",
                  "encoding", "duplicate_of"):
        if d.get(field):
            lines.append(f"  {field:14} {d[field]}")
    reports = store.rows("SELECT sub_event_type, sentence FROM reports WHERE doc_id = ? ORDER BY start", [d["doc_id"]])
    if reports:
        lines.append(f"  events reported ({len(reports)}):")
        lines += [f"    - {r['sub_event_type']}: {' '.join(r['sentence'].split())[:140]}" for r in reports]
    lines.append("  text:")
    lines.append(_wrap(d["text"][:3000]))
    return "\n".join(lines)


def show_entity(store: Store, key: str) -> str:
    rows = store.rows("SELECT * FROM entities WHERE entity_id = ? OR lower(name) = lower(?) "
                      "OR list_contains(aliases, ?) ORDER BY mentions DESC", [key, key, key])
    if not rows:
        like = store.rows("SELECT name FROM entities WHERE name ILIKE ? ORDER BY mentions DESC LIMIT 5", [f"%{key}%"])
        hint = f"; did you mean: {', '.join(r['name'] for r in like)}" if like else ""
        raise UsageError(f"no entity named {key!r}{hint}")
    e = rows[0]
    lines = [f"entity {e['entity_id']}  {e['name']}",
             f"  type {e['type']}  kind {e['kind'] or '-'}  inter {e['inter'] if e['inter'] is not None else '-'}  "
             f"country {e['country'] or '-'}  wikidata {e['wikidata'] or '-'}",
             f"  aliases: {', '.join(e['aliases'] or []) or '-'}",
             f"  mentioned {e['mentions']} times in {e['documents']} documents:"]
    mentions = store.rows(
        "SELECT m.text, m.start, m.\"end\", d.doc_id, d.title, d.site, substr(d.text, greatest(m.start - 60, 1), "
        "m.\"end\" - m.start + 120) AS context FROM mentions m JOIN documents d USING (doc_id) "
        "WHERE m.entity_id = ? ORDER BY d.published_utc NULLS LAST, d.doc_id, m.start LIMIT 20", [e["entity_id"]])
    for m in mentions:
        lines.append(f"    - {m['doc_id']} {m['site'] or ''} [{m['start']}:{m['end']}] \"{m['text']}\": "
                     f"…{' '.join(m['context'].split())}…")
    events = store.rows("SELECT event_id, event_date, sub_event_type, location FROM events WHERE actor1_id = ? "
                        "OR actor2_id = ? ORDER BY event_date", [e["entity_id"], e["entity_id"]])
    if events:
        lines.append(f"  events ({len(events)}):")
        lines += [f"    - {v['event_id']} {v['event_date']} {v['sub_event_type']} {v['location'] or ''}" for v in events]
    return "\n".join(lines)


def show_event(store: Store, key: str) -> str:
    rows = store.rows("SELECT * FROM events WHERE event_id = ?", [key])
    if not rows:
        raise UsageError(f"no event {key!r} (ids look like ev-…; list them with `tidings export --what events`)")
    e = rows[0]
    lines = [f"event {e['event_id']}  {e['event_type']} / {e['sub_event_type']}  status {e['status']}"
             + ("  CONTESTED" if e["contested"] else ""),
             _wrap(e["notes"] or "", "  "),
             f"  date      {e['event_date']} (time_precision {e['time_precision']}; from \"{e['date_text'] or '-'}\")",
             f"  place     {e['location']} / {e['admin1']} / {e['country']} ({e['latitude']}, {e['longitude']}; "
             f"geo_precision {e['geo_precision']})",
             f"  actor1    {e['actor1']}  assoc: {e['assoc_actor_1'] or '-'}  inter1 {e['inter1']}",
             f"  actor2    {e['actor2']}  assoc: {e['assoc_actor_2'] or '-'}  inter2 {e['inter2']}",
             f"  casualties fatalities {e['fatalities']}, injuries {e['injuries']}"]
    if e["disagreements"]:
        dis: dict[str, Any] = json.loads(e["disagreements"]) if isinstance(e["disagreements"], str) else e["disagreements"]
        lines.append("  sources disagree:")
        for field, values in dis.items():
            lines.append(f"    {field}: " + "; ".join(f"{v['value']} ({v.get('site') or v.get('doc_id')})" for v in values))
    sources = store.rows("SELECT * FROM event_sources WHERE event_id = ? ORDER BY published NULLS LAST, doc_id, start",
                         [e["event_id"]])
    lines.append(f"  sources ({len(sources)}):")
    for s in sources:
        copy = f" (copy of {s['copy_of']})" if s["copy_of"] else ""
        lines.append(f"    - {s['site'] or '-'} {s['published'] or ''} doc {s['doc_id']}{copy} [{s['start']}:{s['end']}]")
        lines.append(f"      {s['status']}: {s['attributed_to'] or '-'} — \"{s['cue'] or ''}\"")
        lines.append(_wrap(f"“{s['sentence']}”", "      "))
    claims = store.rows("SELECT * FROM claims WHERE event_id = ? ORDER BY doc_id, start", [e["event_id"]])
    if claims:
        lines.append(f"  claims ({len(claims)}):")
        for c in claims:
            against = f"  (contradicts {', '.join(c['contradicts'])})" if c["contradicts"] else ""
            lines.append(f"    - [{c['claim_id']}] {c['stance']} by {c['attributed_to'] or '-'}{against}")
            lines.append(_wrap(f"“{c['text']}”", "      "))
    return "\n".join(lines)


def show(db: str, kind: str, key: str) -> str:
    with Store.open(db, read_only=True) as store:
        return {"document": show_document, "entity": show_entity, "event": show_event}[kind](store, key)
