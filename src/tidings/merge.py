"""Cross-document stages over the whole store: entities (registry actors plus grouped unknown names)
and incidents (reports of one real event merged across documents, with every source kept).

Both rebuild their tables from the per-document tables in one transaction, deterministically: the
same store always gives the same entities and events, and new documents only add or merge.
"""

from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pyarrow as pa

from tidings.events.claims import ClaimSpan, contradictions
from tidings.events.notes import acled_notes, disorder_type
from tidings.pipeline import Context
from tidings.records import content_id
from tidings.resolve.actors import ActorRegistry
from tidings.resolve.aliases import group_names
from tidings.store.db import Store

ENTITY_LABELS = ("PERSON", "ORG", "GROUP")
GROUPED_PREFIX = "grp:"
STATUS_ORDER = ("reported", "claimed", "alleged", "unverified", "denied")
# How far apart two reports' places may be and still be one incident, by ACLED geo_precision (km).
PLACE_RADIUS_KM = {1: 15.0, 2: 40.0, 3: 150.0}
# How wide a report's date is, by ACLED time_precision (days either side).
DATE_SLACK_DAYS = {1: 1, 2: 4, 3: 16}


# ------------------------------------------------------------------------------------- entities
def rebuild_entities(store: Store, ctx: Context) -> int:
    registry = ActorRegistry.load(extra_files=ctx.actor_files)
    con = store.con
    con.execute(f"UPDATE mentions SET entity_id = NULL WHERE entity_id LIKE '{GROUPED_PREFIX}%'")
    rows = con.execute(
        f"SELECT doc_id, start, \"end\", text, label, entity_id FROM mentions "
        f"WHERE label IN {ENTITY_LABELS} ORDER BY doc_id, start").fetchall()
    # Unknown names are grouped across the whole corpus; known names seed their registry canonical.
    unknown = [r for r in rows if r[5] is None]
    known = {r[3]: registry.get(r[5]).name for r in rows if r[5] and registry.get(r[5])}
    groups = group_names([r[3] for r in unknown] + list(known), known=known)
    name_to_id = {a.name: a.actor_id for a in registry}
    updates: list[dict[str, Any]] = []
    for doc_id, start, end, text, label, _ in unknown:
        canonical = groups.get(text, text)
        entity_id = name_to_id.get(canonical) or GROUPED_PREFIX + content_id(f"{label}:{canonical}".encode())[:16]
        updates.append({"doc_id": doc_id, "start": start, "end": end, "label": label, "entity_id": entity_id})
    if updates:
        grouped = pa.Table.from_pylist(updates)  # noqa: F841 - read by DuckDB below
        con.execute("UPDATE mentions SET entity_id = g.entity_id FROM grouped g WHERE mentions.doc_id = g.doc_id "
                    "AND mentions.start = g.start AND mentions.\"end\" = g.\"end\" AND mentions.label = g.label")
    stats = con.execute(
        "SELECT entity_id, any_value(label), count(*), count(DISTINCT doc_id), list(DISTINCT text) "
        f"FROM mentions WHERE entity_id IS NOT NULL AND label IN {ENTITY_LABELS} GROUP BY entity_id").fetchall()
    entities: list[dict[str, Any]] = []
    for entity_id, label, n_mentions, n_docs, texts in stats:
        actor = registry.get(entity_id)
        if actor is not None:
            name, kind, inter, country, wikidata = actor.name, actor.kind, actor.inter, actor.country, actor.wikidata
        else:
            counts = Counter(texts)
            name = groups.get(texts[0], sorted(texts, key=lambda t: (-counts[t], -len(t), t))[0])
            kind, inter, country, wikidata = None, None, None, None
        entities.append({"entity_id": entity_id, "name": name, "type": label, "kind": kind, "inter": inter,
                         "country": country, "wikidata": wikidata,
                         "aliases": sorted({t for t in texts if t != name}), "mentions": n_mentions,
                         "documents": n_docs})
    # Actors that events name without a mention (generic civilians, inherited attackers) are entities too.
    con.execute("DELETE FROM entities")
    if entities:
        ent = pa.Table.from_pylist(entities)  # noqa: F841
        con.execute("INSERT INTO entities SELECT entity_id, name, type, kind, inter, country, wikidata, aliases, "
                    "mentions, documents FROM ent")
    return len(entities)


# ------------------------------------------------------------------------------------- incidents
@dataclass
class Candidate:
    report_id: str
    doc_id: str
    copy_of: str | None
    url: str | None
    site: str | None
    published: str | None
    sentence: str
    start: int
    end: int
    event_type: str
    sub_event_type: str
    f: dict[str, Any]
    day: date | None = None
    precision: int | None = None
    lat: float | None = None
    lon: float | None = None
    geo_precision: int | None = None
    admin1: str | None = None
    iso: str | None = None
    members: list[Candidate] = field(default_factory=list)

    @property
    def story(self) -> str:
        """Copies of one story count once: they share the story of the original."""
        return self.copy_of or self.doc_id


def _candidate(row: tuple[Any, ...]) -> Candidate:
    report_id, doc_id, dup, url, site, published, sentence, start, end, et, st, fields = row
    f = json.loads(fields) if isinstance(fields, str) else (fields or {})
    c = Candidate(report_id, doc_id, dup, url, site, published, sentence, start, end, et, st, f)
    d = f.get("date") or {}
    if d.get("value"):
        c.day, c.precision = date.fromisoformat(d["value"]), d.get("precision")
    p = f.get("place") or {}
    if p.get("resolved"):
        c.lat, c.lon, c.geo_precision = p.get("latitude"), p.get("longitude"), p.get("precision")
        c.admin1, c.iso = p.get("admin1"), p.get("iso")
    return c


def _km(a: Candidate, b: Candidate) -> float:
    assert a.lat is not None and b.lat is not None and a.lon is not None and b.lon is not None
    p1, p2 = math.radians(a.lat), math.radians(b.lat)
    dp, dl = p2 - p1, math.radians(b.lon - a.lon)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 6371.0 * 2 * math.asin(math.sqrt(min(1.0, h)))


def _dates_overlap(a: Candidate, b: Candidate) -> bool:
    if a.day is None or b.day is None:
        return a.day is None and b.day is None and a.story == b.story
    sa, sb = DATE_SLACK_DAYS.get(a.precision or 3, 16), DATE_SLACK_DAYS.get(b.precision or 3, 16)
    return abs((a.day - b.day).days) <= max(sa, sb) and (
        a.precision != 1 or b.precision != 1 or abs((a.day - b.day).days) <= 1)


def _places_compatible(a: Candidate, b: Candidate) -> bool:
    if a.lat is None or b.lat is None:
        return a.story == b.story  # without a place, only reports in the same story may merge
    if a.iso and b.iso and a.iso != b.iso:
        return False
    # A region-level report matches any place in that region (or near the region's centroid).
    if ((a.geo_precision or 3) == 3 or (b.geo_precision or 3) == 3) and a.admin1 and b.admin1:
        return a.admin1 == b.admin1 or _km(a, b) <= PLACE_RADIUS_KM[3]
    radius = max(PLACE_RADIUS_KM.get(a.geo_precision or 3, 150.0), PLACE_RADIUS_KM.get(b.geo_precision or 3, 150.0))
    return _km(a, b) <= radius


def _actor(c: Candidate, role: str) -> str | None:
    a = c.f.get(role)
    return a.get("entity_id") if a else None


def _actors_compatible(a: Candidate, b: Candidate) -> bool:
    a1, b1 = _actor(a, "actor1"), _actor(b, "actor1")
    if a1 and b1 and a1 != b1:
        # Sides may be written either way round ("X clashed with Y" / "Y repelled X").
        return a1 == _actor(b, "actor2") or b1 == _actor(a, "actor2")
    return True


def same_incident(a: Candidate, b: Candidate) -> bool:
    return (a.event_type == b.event_type and _dates_overlap(a, b) and _places_compatible(a, b)
            and _actors_compatible(a, b))


def cluster(candidates: list[Candidate]) -> list[list[Candidate]]:
    """Group reports into incidents: blocked by event type and week, joined by single link."""
    parent = list(range(len(candidates)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    blocks: dict[tuple[str, int | None], list[int]] = defaultdict(list)
    for i, c in enumerate(candidates):
        week = c.day.toordinal() // 7 if c.day else None
        blocks[(c.event_type, week)].append(i)
    for (etype, week), members in blocks.items():
        neighbours = list(members)
        if week is not None:
            for w in (week - 1, week + 1, week - 2, week + 2):
                neighbours += [j for j in blocks.get((etype, w), []) if j > max(members)]
        for x, i in enumerate(members):
            for j in members[x + 1:] + [n for n in neighbours if n not in members]:
                if find(i) != find(j) and same_incident(candidates[i], candidates[j]):
                    parent[max(find(i), find(j))] = min(find(i), find(j))
    groups: dict[int, list[Candidate]] = defaultdict(list)
    for i, c in enumerate(candidates):
        groups[find(i)].append(c)
    return list(groups.values())


def _most_common(values: Iterable[Any]) -> Any:
    counted = Counter(v for v in values if v is not None)
    if not counted:
        return None
    return sorted(counted.items(), key=lambda kv: (-kv[1], str(kv[0])))[0][0]


def _per_story(members: list[Candidate], key: str) -> dict[str, Any]:
    """One value per story (copies count once): the first non-null in the story's reports."""
    out: dict[str, Any] = {}
    for c in members:
        v = c.f.get(key)
        if v is not None and c.story not in out:
            out[c.story] = v
    return out


def code_incident(members: list[Candidate]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    members = sorted(members, key=lambda c: (c.published or "9999", c.doc_id, c.start))
    anchor = members[0]
    event_id = "ev-" + content_id(anchor.report_id.encode())[:16]
    disagreements: dict[str, list[dict[str, Any]]] = {}
    coded: dict[str, Any] = {"event_id": event_id, "event_type": anchor.event_type}
    coded["sub_event_type"] = _most_common(c.sub_event_type for c in members)
    # Casualties: each story's figure is kept; where stories disagree the conservative (lowest) is coded.
    for key in ("fatalities", "injuries"):
        by_story = _per_story(members, key)
        values = sorted(set(by_story.values()))
        coded[key] = values[0] if values else None
        if len(values) > 1:
            disagreements[key] = [{"value": v, "report_id": c.report_id, "doc_id": c.doc_id, "site": c.site}
                                  for c in members if c.f.get(key) is not None for v in [c.f[key]]]
    # Date: the most precise; among equals the earliest. Conflicting days are flagged.
    dated = [c for c in members if c.day is not None]
    if dated:
        best = min(dated, key=lambda c: (c.precision or 3, c.day))
        coded.update(event_date=best.day, time_precision=best.precision,
                     date_text=(best.f.get("date") or {}).get("text"))
        days = {c.day for c in dated if c.precision == 1}
        if len(days) > 1:
            disagreements["event_date"] = [{"value": c.day.isoformat(), "report_id": c.report_id, "site": c.site}
                                           for c in dated if c.precision == 1]
    else:
        coded.update(event_date=None, time_precision=None, date_text=None)
    placed = [c for c in members if c.lat is not None]
    if placed:
        best = min(placed, key=lambda c: (c.geo_precision or 3, {"sentence": 0, "context": 1}.get(
            (c.f.get("place") or {}).get("from"), 2)))
        p = best.f["place"]
        coded.update(location=p.get("name"), admin1=p.get("admin1"), country=p.get("country"), iso=p.get("iso"),
                     latitude=p.get("latitude"), longitude=p.get("longitude"), geo_precision=best.geo_precision)
    else:
        coded.update(location=None, admin1=None, country=None, iso=None, latitude=None, longitude=None,
                     geo_precision=None)
    for role, assoc in (("actor1", "assoc_actor_1"), ("actor2", "assoc_actor_2")):
        # One actor is on one side: actor2 never repeats actor1.
        actors = [c.f.get(role) for c in members if c.f.get(role)
                  and (role == "actor1" or c.f[role]["entity_id"] != coded.get("actor1_id"))]
        top = _most_common(a["entity_id"] for a in actors)
        chosen = next((a for a in actors if a["entity_id"] == top), None)
        coded[role] = chosen["name"] if chosen else None
        coded[f"{role}_id"] = top
        coded[f"inter{role[-1]}"] = chosen.get("inter") if chosen else None
        others = sorted({a["name"] for a in actors if a["entity_id"] != top})
        coded[assoc] = "; ".join(others) or None
    i1, i2 = coded.get("inter1"), coded.get("inter2")
    coded["interaction"] = int(f"{min(i1, i2)}{max(i1, i2)}") if i1 and i2 else (i1 * 10 if i1 else None)
    coded["civilian_targeting"] = any(c.f.get("civilian_targeting") for c in members)
    statuses = [((c.f.get("attribution") or {}).get("status") or "reported") for c in members]
    coded["status"] = next(s for s in STATUS_ORDER if s in statuses or s == "denied")
    if "denied" in statuses and len(set(statuses)) > 1:
        disagreements["status"] = [{"value": s, "report_id": c.report_id, "site": c.site}
                                   for c, s in zip(members, statuses, strict=True)]
    coded["contested"] = bool(disagreements)
    coded["disagreements"] = json.dumps(disagreements, default=str) if disagreements else None
    coded["disorder_type"] = disorder_type(coded["event_type"])
    coded["source_count"] = len(members)
    coded["document_count"] = len({c.doc_id for c in members})
    coded["notes"] = acled_notes(coded)
    sources = [{
        "event_id": event_id, "report_id": c.report_id, "doc_id": c.doc_id, "url": c.url, "site": c.site,
        "published": c.published, "copy_of": c.copy_of, "sentence": c.sentence, "start": c.start, "end": c.end,
        "attributed_to": (c.f.get("attribution") or {}).get("attributed_to") or c.site,
        "cue": (c.f.get("attribution") or {}).get("cue"),
        "status": (c.f.get("attribution") or {}).get("status") or "reported",
        "values": json.dumps({k: c.f.get(k) for k in ("fatalities", "injuries", "date", "place", "actor1", "actor2",
                                                       "sub_event_type") if c.f.get(k) is not None} |
                             {"sub_event_type": c.sub_event_type}, default=str),
    } for c in members]
    return coded, sources


EVENT_FIELDS = ("event_id event_date time_precision date_text event_type sub_event_type disorder_type actor1 "
                "actor1_id assoc_actor_1 actor2 actor2_id assoc_actor_2 inter1 inter2 interaction "
                "civilian_targeting location admin1 country iso latitude longitude geo_precision fatalities "
                "injuries status contested disagreements notes source_count document_count").split()


def rebuild_events(store: Store, ctx: Context) -> int:
    con = store.con
    rows = con.execute(
        "SELECT r.report_id, r.doc_id, d.duplicate_of, d.url, d.site, d.published, r.sentence, r.start, r.\"end\", "
        "r.event_type, r.sub_event_type, r.fields FROM reports r JOIN documents d USING (doc_id) "
        "ORDER BY r.report_id").fetchall()
    candidates = [_candidate(r) for r in rows]
    events: list[dict[str, Any]] = []
    sources: list[dict[str, Any]] = []
    report_event: dict[str, str] = {}
    for members in cluster(candidates):
        coded, srcs = code_incident(members)
        events.append({k: coded.get(k) for k in EVENT_FIELDS})
        sources.extend(srcs)
        for c in members:
            report_event[c.report_id] = coded["event_id"]
    con.execute("DELETE FROM event_sources")
    con.execute("DELETE FROM events")
    if events:
        ev = pa.Table.from_pylist(events)  # noqa: F841
        con.execute(f"INSERT INTO events ({', '.join(EVENT_FIELDS)}) SELECT {', '.join(EVENT_FIELDS)} FROM ev")
        src = pa.Table.from_pylist(sources)  # noqa: F841
        cols = ", ".join(f'"{k}"' for k in sources[0])
        con.execute(f"INSERT INTO event_sources ({cols}) SELECT {cols} FROM src")
    _rebuild_claims(store, report_event)
    return len(events)


def _rebuild_claims(store: Store, report_event: dict[str, str]) -> None:
    con = store.con
    rows = con.execute("SELECT claim_id, doc_id, text, start, \"end\", attributed_to, cue, stance, report_id, about "
                       "FROM doc_claims ORDER BY doc_id, start").fetchall()
    claims = [{"claim_id": r[0], "doc_id": r[1], "text": r[2], "start": r[3], "end": r[4], "attributed_to": r[5],
               "cue": r[6], "stance": r[7], "event_id": report_event.get(r[8]) if r[8] else None,
               "contradicts": [], "_about": r[9]} for r in rows]
    # Opposing claims are looked for among the claims about one event, and within each document.
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for c in claims:
        groups[c["event_id"] or "doc:" + c["doc_id"]].append(c)
    for members in groups.values():
        spans = [ClaimSpan(c["text"], c["start"], c["end"], c["attributed_to"], c["cue"], c["stance"], c["_about"],
                           frozenset(w.lower() for w in c["text"].split() if len(w) > 3)) for c in members]
        for i, j in contradictions(spans):
            members[i]["contradicts"].append(members[j]["claim_id"])
            members[j]["contradicts"].append(members[i]["claim_id"])
    con.execute("DELETE FROM claims")
    if claims:
        table = pa.Table.from_pylist([{k: v for k, v in c.items() if not k.startswith("_")} for c in claims])
        con.register("claims_batch", table)
        con.execute("INSERT INTO claims SELECT claim_id, doc_id, text, start, \"end\", attributed_to, cue, stance, "
                    "event_id, contradicts FROM claims_batch")
        con.unregister("claims_batch")
