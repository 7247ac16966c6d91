"""The NLP stage of one document: mentions (actors, places, dates), event reports with their fields and
attribution, and claims. Everything is a span over the document's clean text; every report keeps the
verbatim sentence it came from.

Cheap first: the spaCy pipeline (the costly part) runs only on the sentences `relevance.focus_spans` keeps
(event sentences with a neighbour each side, and conflict sentences with a word of attribution); other
sentences get the cheap gazetteer place spans and dates only.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import TYPE_CHECKING, Any

from tidings.events.attribution import attribute_sentence
from tidings.events.claims import extract_claims
from tidings.events.detect import DetectedEvent, detect_events
from tidings.events.roles import assign_roles, targets_protesters, unidentified_attackers, victim_is_civilian
from tidings.records import Claim, Document, Mention, Report, content_id
from tidings.relevance import assess, focus_spans, mask
from tidings.resolve.actors import ActorRegistry
from tidings.resolve.dates import ResolvedDate, as_mention, find_dates
from tidings.resolve.mentions import load_nlp, mentions_from_doc
from tidings.resolve.places import PlaceMention, pick_event_place, place_spans, resolve_places

if TYPE_CHECKING:
    from spacy.tokens import Doc

    from tidings.pipeline import Context

PLACE_LABELS = ("GPE", "LOC", "FAC", "NORP")
# spaCy's vocabulary keeps every new string it sees (names, numbers, URLs): a worker takes a fresh copy of
# the model after this many documents, so a long run's memory stays flat (loading takes about a second).
RELOAD_NLP_EVERY = 20_000
BLOCKING = ("PERSON", "ORG", "GROUP")


def _published(doc: Document) -> dt.datetime | None:
    if not doc.published:
        return None
    try:
        return dt.datetime.fromisoformat(doc.published)
    except ValueError:
        return None


def _place_attrs(pm: PlaceMention) -> dict[str, Any]:
    p = pm.place
    if p is None:
        return {"resolved": False, "precision": None}
    return {"resolved": True, "name": p.name, "kind": p.kind, "geonameid": p.geonameid,
            "country": p.country, "iso": p.country_code, "admin1": p.admin1,
            "latitude": p.latitude, "longitude": p.longitude, "precision": pm.precision}


def resolve_mentions(doc: Document, spacy_doc: Doc, registry: ActorRegistry) -> tuple[
        list[Mention], list[PlaceMention], list[ResolvedDate]]:
    mentions = mentions_from_doc(spacy_doc, registry)
    # Registry actors stay actors; other names may be places spaCy mislabelled ("Ohio" as ORG), and the
    # gazetteer adds places spaCy missed.
    entities = [(m.start, m.end, "ORG" if m.label == "GROUP" else m.label) for m in mentions if not m.entity_id]
    actors = [(m.start, m.end, "ORG") for m in mentions if m.entity_id]
    places = resolve_places(doc.text, place_spans(doc.text, entities) + actors)
    dates = find_dates(doc.text, _published(doc))
    # Places and dates replace spaCy's own spans for the same words with resolved ones.
    taken = {(p.start, p.end) for p in places} | {(d.start, d.end) for d in dates}
    covered = [(p.start, p.end) for p in places] + [(d.start, d.end) for d in dates]
    kept = [m for m in mentions if (m.start, m.end) not in taken and not (
        m.label in PLACE_LABELS + ("DATE",) and any(s <= m.start and m.end <= e for s, e in covered))]
    for p in places:
        label = "GPE" if p.place is None or p.place.kind in ("city", "admin1", "country") else "LOC"
        kept.append(Mention(p.start, p.end, p.text, label, attrs={"place": _place_attrs(p)}))
    kept.extend(as_mention(d) for d in dates)
    kept.sort(key=lambda m: (m.start, m.end, m.label))
    return kept, places, dates


def event_place(detected: DetectedEvent, text: str, places: list[PlaceMention],
                 previous: PlaceMention | None, doc_place: PlaceMention | None) -> tuple[PlaceMention | None, str]:
    """The sentence's own event place; else the place of the event just before (the story goes on);
    else the last place named shortly before; else the document's main place."""
    s, e = detected.sentence_start, detected.sentence_end
    inside = [PlaceMention(p.start - s, p.end - s, p.text, p.place, p.precision)
              for p in places if s <= p.start and p.end <= e and p.place is not None]
    coding = detected.coding
    if coding.trigger_start is not None and inside:
        chosen = pick_event_place(text[s:e], coding.trigger_start, coding.trigger_end or coding.trigger_start,
                                  inside)
        if chosen is not None:
            return next(p for p in places if p.start == chosen.start + s and p.end == chosen.end + s), "sentence"
    if previous is not None:
        return previous, "context"
    local = [p for p in places if s <= p.start and p.end <= e and p.place is not None and p.place.kind != "country"]
    if local:
        return local[0], "sentence"
    before = [p for p in places if p.end <= s and s - p.end < 400 and p.place is not None]
    if before:
        return before[-1], "context"
    return doc_place, "document" if doc_place else "none"


def event_date(detected: DetectedEvent, dates: list[ResolvedDate], published: dt.datetime | None,
                text: str) -> dict[str, Any]:
    s, e = detected.sentence_start, detected.sentence_end
    usable = [d for d in dates if d.value is not None and d.precision is not None
              and (published is None or d.value <= published.date())]
    inside = [d for d in usable if s <= d.start and d.end <= e]
    near = [d for d in usable if d.end <= s and s - d.end < 300]
    chosen = (inside or near[-1:] or [None])[0]
    if chosen is not None:
        return {"value": chosen.value.isoformat(), "precision": chosen.precision, "text": chosen.text,
                "start": chosen.start, "end": chosen.end, "from": "sentence" if chosen in inside else "context"}
    if published is not None:
        # No date in the text: news reports events of the last days; ACLED codes such a report with
        # week precision around publication. The words it came from stay empty.
        return {"value": published.date().isoformat(), "precision": 2, "text": None, "start": None,
                "end": None, "from": "publication"}
    return {"value": None, "precision": None, "text": None, "start": None, "end": None, "from": "none"}


def _role_dict(role: Any, event_country: str | None) -> dict[str, Any] | None:
    if role is None:
        return None
    a = role.actor
    # ACLED codes a state force acting outside its own country as external (inter 8).
    return {"name": a.name, "entity_id": a.actor_id, "inter": a.inter_in(event_country), "country": a.country,
            "text": role.text, "start": role.start, "end": role.end}


def _generic(registry: ActorRegistry, role: str, country: str | None) -> dict[str, Any]:
    a = registry.generic(role, country)
    return {"name": a.name, "entity_id": a.actor_id, "inter": a.inter, "country": a.country,
            "text": None, "start": None, "end": None}


def build_reports(doc: Document, spacy_doc: Doc, mentions: list[Mention], places: list[PlaceMention],
                  dates: list[ResolvedDate], registry: ActorRegistry) -> list[Report]:
    detected = detect_events(doc.text, spacy_doc)
    published = _published(doc)
    resolved = [p for p in places if p.place is not None]
    counts = Counter((p.place.name, p.place.kind) for p in resolved if p.place.kind != "country")
    doc_place = None
    if counts:
        top = counts.most_common(1)[0][0]
        doc_place = next(p for p in resolved if (p.place.name, p.place.kind) == top)
    country_of = {(p.start, p.end): p.place.country_code for p in resolved if p.place.country_code}
    reports: list[Report] = []
    previous: dict[str, Any] | None = None
    for det in detected:
        c = det.coding
        s, e = det.sentence_start, det.sentence_end
        tstart = s + c.trigger_start if c.trigger_start is not None else None
        tend = s + (c.trigger_end or c.trigger_start or 0) if c.trigger_start is not None else None
        attribution = attribute_sentence(spacy_doc, s, e, outlet=doc.site)
        speaker = (attribution.source_start, attribution.source_end) \
            if attribution.source_start is not None and attribution.source_end is not None else None
        roles = assign_roles(spacy_doc, tstart, tend, mentions, registry, country_of, speaker) \
            if tstart is not None else {"actor1": None, "actor2": None, "target_words": []}
        place, place_from = event_place(det, doc.text, places,
                                         previous["place"] if previous and s - previous["end"] < 600 else None,
                                         doc_place)
        country = place.place.country_code if place and place.place else None
        actor1, actor2 = _role_dict(roles["actor1"], country), _role_dict(roles["actor2"], country)
        # Context counts: "Russia fired missiles… One missile slammed into a clinic" keeps the attacker.
        if actor1 is None and previous is not None and previous["event_type"] == c.event_type \
                and s - previous["end"] < 400:
            actor1 = previous["actor1"]
        sentence = doc.text[s:e]
        civilian = c.civilian_targeting or (actor2 is None and victim_is_civilian(roles["target_words"], sentence)
                                            and c.event_type in ("Violence against civilians",
                                                                 "Explosions/Remote violence"))
        if actor2 is None and civilian:
            actor2 = _generic(registry, "civilians", country)
        # ACLED's generic actors where no named actor is found: who protests, riots or attacks unnamed.
        if c.event_type in ("Protests", "Riots"):
            crowd = _generic(registry, "protesters" if c.event_type == "Protests" else "rioters", country)
            if actor1 is None:
                actor1 = crowd
            elif actor2 is None and actor1["inter"] == 1 and targets_protesters(roles["target_words"], sentence):
                actor1, actor2 = crowd, actor1
        elif actor1 is None and c.event_type in ("Battles", "Violence against civilians") \
                and unidentified_attackers(sentence):
            actor1 = _generic(registry, "unidentified armed group", country)
        fields = {
            "trigger": c.trigger, "confidence": c.confidence,
            "actor1": actor1, "actor2": actor2, "civilian_targeting": civilian,
            "place": ({"text": place.text, "start": place.start, "end": place.end, "from": place_from,
                       **_place_attrs(place)} if place else None),
            "date": event_date(det, dates, published, doc.text),
            "fatalities": det.fatalities, "injuries": det.injuries, "casualty_text": det.casualty_text,
            "attribution": {"attributed_to": attribution.attributed_to, "cue": attribution.cue,
                            "status": attribution.status, "source_start": attribution.source_start,
                            "source_end": attribution.source_end, "cue_start": attribution.cue_start,
                            "cue_end": attribution.cue_end},
        }
        report_id = content_id(f"{doc.doc_id}:{s}:{e}:{c.sub_event_type}".encode())
        reports.append(Report(report_id, doc.doc_id, sentence, s, e, c.event_type, c.sub_event_type, fields))
        previous = {"event_type": c.event_type, "actor1": actor1, "end": e, "place": place}
    return reports


def build_claims(doc: Document, spacy_doc: Doc, reports: list[Report]) -> list[Claim]:
    spans = [(r.start, r.end) for r in reports]
    claims: list[Claim] = []
    for cs in extract_claims(spacy_doc, skip_spans=spans):
        # A claim is about the nearest event reported within two sentences' distance before or after it.
        near = [r for r in reports if abs(r.start - cs.start) < 600]
        report = min(near, key=lambda r: abs(r.start - cs.start), default=None)
        claims.append(Claim(claim_id=content_id(f"{doc.doc_id}:{cs.start}:{cs.end}".encode()), doc_id=doc.doc_id,
                            text=cs.text, start=cs.start, end=cs.end, attributed_to=cs.attributed_to, cue=cs.cue,
                            stance=cs.stance, report_id=report.report_id if report else None, about=cs.about))
    return claims


def registry_of(ctx: Context) -> ActorRegistry:
    return ctx.model("actors", lambda: ActorRegistry.load(extra_files=ctx.actor_files))


def nlp_of(ctx: Context, documents: int = 1) -> Any:
    """The worker's spaCy pipeline, renewed every RELOAD_NLP_EVERY analysed documents."""
    registry = registry_of(ctx)
    analysed = ctx.models.get("nlp_documents", 0)
    if analysed >= RELOAD_NLP_EVERY:
        ctx.models["nlp"] = load_nlp(registry, fresh=True)
        analysed = 0
    ctx.models["nlp_documents"] = analysed + documents
    return ctx.model("nlp", lambda: load_nlp(registry))


def focus_text(doc: Document) -> str | None:
    """The text spaCy should see: the document with everything outside its focus spans blanked, or None
    when the cheap cuts find nothing worth the NLP stages."""
    assessment = assess(doc.text)
    if not assessment.relevant:
        return None  # cheap first: no trace of an event, no NLP
    spans = focus_spans(doc.text, assessment)
    if not spans:
        return None  # conflict words, but no event and no attributed statement about one
    return mask(doc.text, spans)


def analyse_parsed(doc: Document, spacy_doc: Doc, ctx: Context) -> None:
    """Mentions, reports and claims of a document from spaCy's parse of its focus text."""
    registry = registry_of(ctx)
    mentions, places, dates = resolve_mentions(doc, spacy_doc, registry)
    doc.mentions = mentions
    doc.reports = build_reports(doc, spacy_doc, mentions, places, dates, registry)
    doc.claims = build_claims(doc, spacy_doc, doc.reports)


def analyse_document(doc: Document, ctx: Context) -> None:
    text = focus_text(doc)
    if text is not None:
        analyse_parsed(doc, nlp_of(ctx)(text), ctx)
