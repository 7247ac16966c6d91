"""Cross-document stages over the whole store: entities (registry actors plus grouped unknown names)
and incidents (reports of one real event merged across documents, with every source kept).

Both rebuild their tables from the per-document tables in one transaction, deterministically: the
same store always gives the same entities and events, and new documents only add or merge.
"""

from __future__ import annotations

import gc
import json
import math
from array import array
from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pyarrow as pa

from tidings.events.claims import ClaimSpan, contradictions
from tidings.events.notes import acled_notes, disorder_type
from tidings.memory import release_memory
from tidings.pipeline import Context
from tidings.records import content_id
from tidings.resolve.actors import ActorRegistry
from tidings.resolve.aliases import group_names
from tidings.store.db import Store

ENTITY_LABELS = ("PERSON", "ORG", "GROUP")
GROUPED_PREFIX = "grp:"
STATUS_ORDER = ("reported", "claimed", "alleged", "unverified", "denied")
# How far apart two reports' places may be and still be one incident, by ACLED geo_precision (km).
PLACE_RADIUS_KM = {1: 25.0, 2: 40.0, 3: 150.0}
# How far a report's date reaches, by ACLED time_precision (days either side of its value). A week-precision
# date is either a publication day standing for "the last days" or the Monday of a named week; a
# month-precision date is the first of its month: both windows must cover the whole period.
DATE_SLACK_DAYS = {1: 1, 2: 7, 3: 31}
MAX_SLACK = max(DATE_SLACK_DAYS.values())
# Event types that one incident is coded as by different outlets: a shooting is a clash when the victim is
# said to have fired back; a strike on a town is remote violence or an attack on civilians; a protest turns
# into a riot. Anything else (an arrest, a troop movement) is a different event, even at the same place.
COMPATIBLE_TYPES = (frozenset({"Battles", "Violence against civilians"}),
                    frozenset({"Explosions/Remote violence", "Violence against civilians"}),
                    frozenset({"Protests", "Riots"}))
TYPE_FAMILY = {"Battles": "violence", "Violence against civilians": "violence",
               "Explosions/Remote violence": "violence", "Protests": "demonstrations", "Riots": "demonstrations"}


# ------------------------------------------------------------------------------------- entities
def rebuild_entities(store: Store, ctx: Context) -> int:
    registry = ActorRegistry.load(extra_files=ctx.actor_files)
    con = store.con
    con.execute(f"UPDATE mentions SET entity_id = NULL WHERE entity_id LIKE '{GROUPED_PREFIX}%'")
    # Names are grouped, not mentions: only distinct names come into memory (at 100,000 VOA pages, millions
    # of mentions but a few hundred thousand names). Unknown names are grouped across the whole corpus;
    # known names seed their registry canonical (where one name was linked to two actors, the last mention
    # in document order decides).
    unknown = Counter(dict(con.execute(
        f"SELECT text, count(*) FROM mentions WHERE label IN {ENTITY_LABELS} AND entity_id IS NULL "
        "GROUP BY text").fetchall()))
    known = {text: actor.name for text, entity_id in con.execute(
        f"SELECT text, entity_id FROM mentions WHERE label IN {ENTITY_LABELS} AND entity_id IS NOT NULL "
        "QUALIFY row_number() OVER (PARTITION BY text ORDER BY doc_id DESC, start DESC, label DESC, "
        "entity_id DESC) = 1").fetchall()
        if (actor := registry.get(entity_id)) is not None}
    groups = group_names(unknown + Counter(known.keys()), known=known)
    name_to_id = {a.name: a.actor_id for a in registry}
    updates: list[dict[str, Any]] = []
    for label, text in con.execute(f"SELECT DISTINCT label, text FROM mentions WHERE label IN {ENTITY_LABELS} "
                                   "AND entity_id IS NULL").fetchall():
        canonical = groups.get(text, text)
        entity_id = name_to_id.get(canonical) or GROUPED_PREFIX + content_id(f"{label}:{canonical}".encode())[:16]
        updates.append({"label": label, "text": text, "entity_id": entity_id})
    if updates:
        grouped = pa.Table.from_pylist(updates)  # noqa: F841 - read by DuckDB below
        con.execute("UPDATE mentions SET entity_id = g.entity_id FROM grouped g WHERE mentions.entity_id IS NULL "
                    "AND mentions.label = g.label AND mentions.text = g.text")
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
@dataclass(frozen=True)
class Rules:
    """What it takes for two reports to be one incident. The ledger and the evaluations share the predicates;
    only these switches differ."""

    # A report with no place or date joins only reports of its own story in the ledger: without a place
    # an incident cannot be told apart from another of the same type that week. Benchmarks of general news
    # (ECB+) have few resolvable places and dates, so there a missing value is neutral within a topic.
    missing_is_neutral: bool = False
    # Non-conflict events have no ACLED type: the trigger's lemma decides which reports may be compared.
    lemma_links: bool = False
    # Named participants that share nothing separate two reports ("Reid entered rehab" / "Lohan entered rehab").
    participants: bool = False
    # Share of report pairs across two groups allowed to conflict when they merge. The ledger allows none
    # (complete link); noisy general-news signals (ECB+) need some tolerance or every group splits.
    tolerance: float = 0.0


LEDGER = Rules()
# Blocking grids: time buckets of a day for windows up to three days, else of a week; cells of 0.25 degrees (about
# 28 km of latitude) for radii up to 40 km, else of 1.5 degrees. Every dated, placed report is in all four
# grids; a lookup uses the grid fitting its window, so no window needs many lookups or huge buckets.
DAY_BUCKETS = ((3, 1), (MAX_SLACK, 7))  # (widest slack, bucket days)
CELL_SIZES = ((40.0, 0.25), (PLACE_RADIUS_KM[3], 1.5))  # (widest radius, cell degrees)
GRIDS = tuple((days, deg) for _, days in DAY_BUCKETS for _, deg in CELL_SIZES)
# Sub-event types that claim more than a plain clash: where stories disagree ("captured the town" vs
# "repelled the assault"), the clash is the conservative coding and the disagreement is kept.
TERRITORY_SUBTYPES = ("Government regains territory", "Non-state actor overtakes territory")


@dataclass(slots=True)
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
    event_type: str | None
    sub_event_type: str | None
    f: dict[str, Any]
    day: date | None = None
    precision: int | None = None
    lat: float | None = None
    lon: float | None = None
    geo_precision: int | None = None
    admin1: str | None = None
    iso: str | None = None
    lemma: str | None = None  # the trigger's lemma ("strike", "shoot")
    participants: frozenset[str] = frozenset()  # normalised names of who took part, when known
    group: str | None = None  # a scope nothing merges across (an evaluation topic); None in the ledger

    @property
    def story(self) -> str:
        """Copies of one story count once: they share the story of the original."""
        return self.copy_of or self.doc_id


def _candidate(row: tuple[Any, ...], slim: dict[Any, Any] | None = None) -> Candidate:
    """A report as incident merging reads it. With `slim` (a memo shared by the reports of one run), only what
    clustering compares is kept, and equal values are one object: at 100,000 pages the full reports would
    not fit the memory budget (slim: about 0.5 KB a report)."""
    report_id, doc_id, dup, url, site, published, sentence, start, end, et, st, fields = row
    f = json.loads(fields) if isinstance(fields, str) else (fields or {})
    c = Candidate(report_id, doc_id, dup, url, site, published, sentence, start, end, et, st, f)
    d = f.get("date") or {}
    if d.get("value"):
        c.day, c.precision = date.fromisoformat(d["value"]), d.get("precision")
    p = f.get("place") or {}
    if p.get("resolved") and p.get("latitude") is not None and p.get("longitude") is not None:
        c.lat, c.lon, c.geo_precision = p.get("latitude"), p.get("longitude"), p.get("precision")
        c.admin1, c.iso = p.get("admin1"), p.get("iso")
    trigger = f.get("trigger")
    c.lemma = trigger.lower() if isinstance(trigger, str) and trigger else None
    c.participants = frozenset(a["entity_id"] for a in (f.get("actor1"), f.get("actor2")) if a)
    if slim is not None:
        # Clustering reads no link, site or publication date, and compares sentences only for equality.
        c.url = c.site = c.published = None
        c.sentence = content_id(sentence.encode())
        actors = tuple((role, a.get("entity_id")) for role in ("actor1", "actor2") if (a := f.get(role)))
        c.f = slim.setdefault(("actors", actors), {role: {"entity_id": e} for role, e in actors})
        for name in ("doc_id", "copy_of", "event_type", "sub_event_type", "day", "admin1", "iso", "lemma",
                     "participants"):
            if (value := getattr(c, name)) is not None:
                setattr(c, name, slim.setdefault(value, value))
    return c


def km_between(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 6371.0 * 2 * math.asin(math.sqrt(min(1.0, h)))


def _km(a: Candidate, b: Candidate) -> float:
    assert a.lat is not None and b.lat is not None and a.lon is not None and b.lon is not None
    return km_between(a.lat, a.lon, b.lat, b.lon)


def _slack(c: Candidate) -> int:
    return DATE_SLACK_DAYS.get(c.precision or 3, MAX_SLACK)


def _window_days(c: Candidate) -> tuple[int, int]:
    """The days (as ordinals) the report's date stands for."""
    assert c.day is not None
    d = c.day.toordinal()
    if (c.precision or 3) == 3 and c.day.day == 1:
        return d, d + 30  # "in March": the first of the month is stored
    return d - _slack(c), d + _slack(c)


def _radius(c: Candidate) -> float:
    return PLACE_RADIUS_KM.get(c.geo_precision or 3, 150.0)


def dates_overlap(a: Candidate, b: Candidate) -> bool:
    """Both dates known and their windows (by time precision) overlap."""
    if a.day is None or b.day is None:
        return False
    if (a.precision or 3) == (b.precision or 3):
        return abs((a.day - b.day).days) <= _slack(a)
    # The more precise report's day must fall in the other's window.
    narrow, wide = (a, b) if (a.precision or 3) < (b.precision or 3) else (b, a)
    lo, hi = _window_days(wide)
    assert narrow.day is not None
    return lo <= narrow.day.toordinal() <= hi


def places_near(a: Candidate, b: Candidate) -> bool:
    """Both places known and within a distance fitting both precisions."""
    if a.lat is None or b.lat is None:
        return False
    if a.iso and b.iso and a.iso != b.iso:
        return False
    # A region-level report matches any place in that region (or near the region's centroid).
    if ((a.geo_precision or 3) == 3 or (b.geo_precision or 3) == 3) and a.admin1 and b.admin1:
        return a.admin1 == b.admin1 or _km(a, b) <= PLACE_RADIUS_KM[3]
    return _km(a, b) <= max(_radius(a), _radius(b))


def _actor(c: Candidate, role: str) -> str | None:
    a = c.f.get(role)
    return a.get("entity_id") if a else None


def actors_compatible(a: Candidate, b: Candidate) -> bool:
    a1, b1 = _actor(a, "actor1"), _actor(b, "actor1")
    if a1 and b1 and a1 != b1:
        # Sides may be written either way round ("X clashed with Y" / "Y repelled X").
        return a1 == _actor(b, "actor2") or b1 == _actor(a, "actor2")
    return True


def types_compatible(a: Candidate, b: Candidate, rules: Rules = LEDGER) -> bool:
    if a.event_type and b.event_type and (a.event_type == b.event_type
                                          or frozenset({a.event_type, b.event_type}) in COMPATIBLE_TYPES):
        return True
    return rules.lemma_links and a.lemma is not None and a.lemma == b.lemma


def conflicts(a: Candidate, b: Candidate, rules: Rules = LEDGER) -> bool:
    """The two reports cannot be one incident: a value known on both sides disagrees. A missing value never
    conflicts, so a story's detail sentence without a place can follow its lead into a merged incident."""
    if a.group != b.group or not types_compatible(a, b, rules):
        return True
    if a.day is not None and b.day is not None and not dates_overlap(a, b):
        return True
    if a.lat is not None and b.lat is not None and not places_near(a, b):
        return True
    if not actors_compatible(a, b):
        return True
    return rules.participants and bool(a.participants) and bool(b.participants) \
        and not a.participants & b.participants


def same_incident(a: Candidate, b: Candidate, rules: Rules = LEDGER) -> bool:
    """No conflict, and positive evidence: the same story, or both placed and dated (across stories)."""
    if conflicts(a, b, rules):
        return False
    if a.story == b.story or rules.missing_is_neutral:
        return True
    return a.day is not None and b.day is not None and a.lat is not None and b.lat is not None


def affinity(a: Candidate, b: Candidate) -> float:
    """How alike two linked reports are: the strongest links are merged first."""
    score = 0.0
    if a.story == b.story:
        score += 1.5 if a.sentence == b.sentence else 1.0 - min(1.0, abs(a.start - b.start) / 4000)
    if a.day is not None and b.day is not None:
        score += 1.0 - abs((a.day - b.day).days) / (max(_slack(a), _slack(b)) + 1)
    if a.lat is not None and b.lat is not None:
        score += 1.0 - min(1.0, _km(a, b) / max(_radius(a), _radius(b)))
    score += 0.5 * (a.sub_event_type is not None and a.sub_event_type == b.sub_event_type)
    score += 0.5 * (a.lemma is not None and a.lemma == b.lemma)
    score += 0.5 * bool(a.participants & b.participants)
    return score


def _type_keys(c: Candidate, rules: Rules) -> list[tuple[str, str]]:
    keys = [("type", TYPE_FAMILY.get(c.event_type, c.event_type))] if c.event_type else []
    if rules.lemma_links and c.lemma:
        keys.append(("lemma", c.lemma))
    return keys


def _window(c: Candidate) -> tuple[int, float]:
    return _slack(c), _radius(c)


def _grid(slack: int, radius: float) -> tuple[int, float]:
    days = next((d for widest, d in DAY_BUCKETS if slack <= widest), DAY_BUCKETS[-1][1])
    deg = next((g for widest, g in CELL_SIZES if radius <= widest), CELL_SIZES[-1][1])
    return days, deg


def _cells(c: Candidate, grid: tuple[int, float], slack: int = 0, radius: float = 0.0) -> Iterator[
        tuple[int, int, int]]:
    """(time bucket, y, x) cells of `grid` within `slack` days and `radius` km of the report."""
    assert c.day is not None and c.lat is not None and c.lon is not None
    days, deg = grid
    d = c.day.toordinal()
    cy, cx = math.floor(c.lat / deg), math.floor(c.lon / deg)
    dy = math.ceil(radius / 111.0 / deg)
    dx = math.ceil(radius / (111.0 * max(0.05, math.cos(math.radians(c.lat)))) / deg)
    for t in range((d - slack) // days, (d + slack) // days + 1):
        for y in range(cy - dy, cy + dy + 1):
            for x in range(cx - dx, cx + dx + 1):
                yield t, y, x


def candidate_pairs(cands: list[Candidate], rules: Rules = LEDGER) -> set[tuple[int, int]]:
    """Index pairs (i < j) worth comparing: see `pair_chunks`."""
    n = len(cands)
    return {(code // n, code % n) for chunk in pair_chunks(cands, rules) for code in chunk.tolist()}


def pair_chunks(cands: list[Candidate], rules: Rules = LEDGER) -> Iterator[np.ndarray]:
    """Index pairs worth comparing, as codes i * len(cands) + j with i < j (an int per pair, not a tuple of two:
    at 100,000 pages there are millions), in sorted chunks of unique codes (a pair may be in two chunks): all
    the pairs as found, from both ends, took 500 MB at 100,000 pages before they were made unique.

    Blocking keeps this near-linear: reports are compared only within their story, or (placed and dated)
    with reports of the same type whose date and place windows reach them. A pair may link within the wider of its two windows in days and in km (as `dates_overlap` and
    `places_near` read them). Each report looks around itself with its own window: that finds every pair
    where its window is the wider in both. Where neither report's window is the wider in both (a day-precise
    region against a month-precise town), the report also looks into that window class with the joint
    window. So no pair that could link is missed, and precise reports, the bulk, look at a few cells.

    Reports that agree on all `conflicts` and `affinity` read across stories (one signature, one sub-type,
    placed and dated) are interchangeable to every other report. Where more than CLASS_PAIRS_FROM of them
    agree (one explicitly dated strike told alike by several outlets, or by hundreds of copies), their pairs
    would grow by the square of their number: only the first is compared with the others in time and place,
    and the rest are paired with it (and within their stories). They still become one incident unless other reports
    already joined to them conflict.

    Placed and dated reports are looked up PAIR_WINDOW at a time in date order, in an index of only the
    reports whose days they can reach (WINDOW_REACH): the same pairs, with an index of a few months of news
    instead of the whole store (47 MB less at 100,000 pages spread over nine years)."""
    followers = _followers(cands)
    n = len(cands)
    # Codes as found (a pair may be found from both ends): a flat array, 8 bytes each, handed on as a sorted
    # unique chunk when it holds PAIR_CHUNK.
    pairs = array("q", (first * n + i for i, first in followers.items()))

    def add(i: int, block: list[int] | None) -> None:
        if block:
            pairs.extend(i * n + j if i < j else j * n + i for j in block if j != i)

    def chunk() -> np.ndarray:
        found = np.frombuffer(pairs, dtype=np.int64)
        unique = np.unique(found)
        del found  # the view pins the array's buffer
        del pairs[:]
        return unique

    blocks: dict[tuple[Any, ...], list[int]] = defaultdict(list)
    for i, c in enumerate(cands):
        for tk in _type_keys(c, rules):
            blocks[("story", c.group, tk, c.story)].append(i)
            if rules.missing_is_neutral:
                blocks[("any", c.group, tk)].append(i)
    for block in blocks.values():
        for i in block:
            add(i, block)
        if len(pairs) >= PAIR_CHUNK:
            yield chunk()
    del blocks
    located = sorted((i for i, c in enumerate(cands) if c.day is not None and c.lat is not None
                      and c.lon is not None and i not in followers), key=lambda i: _day(cands[i]))
    days = [_day(cands[i]) for i in located]
    classes = {_window(cands[i]) for i in located}
    for lo in range(0, len(located), PAIR_WINDOW):
        hi = min(lo + PAIR_WINDOW, len(located))
        first = bisect_left(days, days[lo] - WINDOW_REACH)
        last = bisect_right(days, days[hi - 1] + WINDOW_REACH)
        index = _grid_index(cands, located[first:last], rules)
        for i in located[lo:hi]:
            _look_up(cands, i, index, classes, rules, add)
            if len(pairs) >= PAIR_CHUNK:
                yield chunk()
        del index
    if pairs:
        yield chunk()


PAIR_CHUNK = 1 << 20  # pair codes found before they are made unique and handed on (8 bytes each)
# Placed and dated reports looked up at once (see `pair_chunks`). A lookup reaches reports at most MAX_SLACK
# days plus one time bucket (7 days) away, so the index of a window holds the reports within WINDOW_REACH.
PAIR_WINDOW = 16384
WINDOW_REACH = MAX_SLACK + max(days for _, days in DAY_BUCKETS)


def _day(c: Candidate) -> int:
    assert c.day is not None
    return c.day.toordinal()


def _grid_index(cands: list[Candidate], members: list[int], rules: Rules) -> dict[tuple[Any, ...], list[int]]:
    """The blocking cells of placed and dated reports: by type, window class (or None), grid and cell, and
    by region and week."""
    index: dict[tuple[Any, ...], list[int]] = defaultdict(list)
    for i in members:
        c = cands[i]
        cls = _window(c)
        for tk in _type_keys(c, rules):
            for grid in GRIDS:
                for cell in _cells(c, grid):
                    index[("grid", c.group, tk, None, grid, *cell)].append(i)
                    index[("grid", c.group, tk, cls, grid, *cell)].append(i)
            if c.admin1:
                index[("adm", c.group, tk, c.iso, c.admin1, _day(c) // 7)].append(i)
    return index


def _look_up(cands: list[Candidate], i: int, index: dict[tuple[Any, ...], list[int]],
             classes: set[tuple[int, float]], rules: Rules, add: Callable[[int, list[int] | None], None]) -> None:
    """Add the pairs of placed and dated report `i` with the reports in the cells its windows reach."""
    c = cands[i]
    own = _window(c)
    lookups: list[tuple[tuple[int, float] | None, int, float]] = [(None, *own)]
    lookups += [(cls, max(own[0], cls[0]), max(own[1], cls[1])) for cls in classes
                if (cls[0] > own[0] and cls[1] < own[1]) or (cls[0] < own[0] and cls[1] > own[1])]
    for tk in _type_keys(c, rules):
        for cls, slack, radius in lookups:
            grid = _grid(slack, radius)
            for cell in _cells(c, grid, slack, radius):
                add(i, index.get(("grid", c.group, tk, cls, grid, *cell)))
        if (c.geo_precision or 3) == 3 and c.admin1:
            # A region-level report matches anything in its region, however far (see `places_near`).
            d = _day(c)
            for w in range((d - MAX_SLACK) // 7, (d + MAX_SLACK) // 7 + 1):
                add(i, index.get(("adm", c.group, tk, c.iso, c.admin1, w)))


# Interchangeable reports (see `candidate_pairs`) up to this many are all compared with each other. Pairing every
# class of two or more through its first gave the same incidents as comparing all pairs in `tidings eval merge
# --split dev` (ECB+, GVA: same scores) and on replicated VOA stores of 10,000 and 30,000 pages (same
# partitions), with 7x fewer candidate pairs at 30,000 (4.07M -> 0.56M) and clustering 36.8 -> 7.1 s. Greedy
# merging depends on the order of links: on random reports far denser than news a few differ (see the tests).
CLASS_PAIRS_FROM = 1


def _followers(cands: list[Candidate]) -> dict[int, int]:
    """Index -> the first index of its class, for the members after the first of classes over CLASS_PAIRS_FROM."""
    classes: dict[tuple[Any, ...], list[int]] = defaultdict(list)
    for i, c in enumerate(cands):
        if c.day is not None and c.lat is not None and c.lon is not None:
            classes[(_signature(c), c.sub_event_type)].append(i)
    return {i: members[0] for members in classes.values() if len(members) > CLASS_PAIRS_FROM for i in members[1:]}


def _signature(c: Candidate) -> tuple[Any, ...]:
    """Everything `conflicts` reads: reports with one signature (a story's syndicated copies) are compared once."""
    return (c.group, c.event_type, c.lemma, c.day, c.precision, c.lat, c.lon, c.geo_precision, c.iso, c.admin1,
            _actor(c, "actor1"), _actor(c, "actor2"), c.participants)


class _Groups:
    """Merging state: each group's members and how many of them carry each distinct signature. Only groups of
    two or more are stored (most reports stay alone: at 100,000 pages a list and a Counter for each of
    160,000 reports would be tens of MB)."""

    def __init__(self, candidates: list[Candidate], rules: Rules) -> None:
        self.candidates, self.rules = candidates, rules
        sig_ids: dict[tuple[Any, ...], int] = {}
        self.sig = array("q", (sig_ids.setdefault(_signature(c), i) for i, c in enumerate(candidates)))
        self.owner = array("q", range(len(candidates)))
        self.members: dict[int, list[int]] = {}
        self.sigs: dict[int, Counter[int]] = {}
        self.memo: dict[tuple[int, int], bool] = {}

    def _members(self, g: int) -> list[int]:
        return self.members.get(g) or [g]

    def _sigs(self, g: int) -> dict[int, int]:
        return self.sigs.get(g) or {self.sig[g]: 1}

    def _conflict(self, x: int, y: int) -> bool:
        key = (x, y) if x < y else (y, x)
        if key not in self.memo:
            self.memo[key] = conflicts(self.candidates[x], self.candidates[y], self.rules)
        return self.memo[key]

    def may_join(self, a: int, b: int) -> bool:
        sa, sb = self._sigs(a), self._sigs(b)
        if not self.rules.tolerance:
            return not any(self._conflict(x, y) for x in sa for y in sb)
        bad = sum(sa[x] * sb[y] for x in sa for y in sb if self._conflict(x, y))
        return bad <= self.rules.tolerance * len(self._members(a)) * len(self._members(b))

    def join(self, a: int, b: int) -> None:
        keep, gone = (a, b) if len(self._members(a)) >= len(self._members(b)) else (b, a)
        moved = self.members.pop(gone, None) or [gone]
        for x in moved:
            self.owner[x] = keep
        self.members.setdefault(keep, [keep]).extend(moved)
        if keep not in self.sigs:
            self.sigs[keep] = Counter([self.sig[keep]])
        self.sigs[keep].update(self.sigs.pop(gone, None) or [self.sig[gone]])

    def groups(self) -> list[list[int]]:
        """Every group's members, sorted, in the order of their first member."""
        alone = ([i] for i, g in enumerate(self.owner) if g == i and i not in self.members)
        return sorted([*(sorted(m) for m in self.members.values()), *alone])


def cluster(candidates: list[Candidate], rules: Rules = LEDGER) -> list[list[Candidate]]:
    """Group reports into incidents. Linked pairs are merged strongest first, and two groups merge only when
    no report of one conflicts with a report of the other: unlike single link, a chain of daily shelling
    reports a day apart never collapses a month of attacks on one city into one incident."""
    # Worked in report-id order, so the result never depends on the order the reports came in.
    candidates = sorted(candidates, key=lambda c: (c.report_id, c.doc_id, c.start))
    n = len(candidates)
    # The links and their strengths are kept as flat arrays (16 bytes a link), then made unique (a pair may be
    # found in two chunks) and sorted strongest first, then by (i, j): what the code orders by.
    codes, strengths = array("q"), array("d")
    for chunk in pair_chunks(candidates, rules):
        for start in range(0, len(chunk), 65536):
            for code in chunk[start : start + 65536].tolist():
                a, b = candidates[code // n], candidates[code % n]
                if same_incident(a, b, rules):
                    codes.append(code)
                    strengths.append(round(affinity(a, b), 9))
    linked, first = np.unique(np.frombuffer(codes, dtype=np.int64), return_index=True)
    strength = np.frombuffer(strengths, dtype=np.float64)[first]
    linked = linked[np.lexsort((linked, -strength))]
    del codes, strengths, first, strength
    groups = _Groups(candidates, rules)
    for start in range(0, len(linked), 65536):
        for code in linked[start : start + 65536].tolist():
            a, b = groups.owner[code // n], groups.owner[code % n]
            if a != b and groups.may_join(a, b):
                groups.join(a, b)
    return [[candidates[i] for i in g] for g in groups.groups()]


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


def _code_type(members: list[Candidate]) -> str | None:
    """The type most stories give (copies count once); ties go to the earliest report's."""
    by_story: dict[str, str] = {}
    for c in members:
        if c.event_type and c.story not in by_story:
            by_story[c.story] = c.event_type
    counts = Counter(by_story.values())
    if not counts:
        return members[0].event_type
    top = max(counts.values())
    return next(c.event_type for c in members if c.event_type and counts[c.event_type] == top)


def _code_sub_event(members: list[Candidate], event_type: str | None,
                    disagreements: dict[str, list[dict[str, Any]]]) -> str | None:
    """The most common sub-type; but where one story says territory changed hands and another only a clash,
    the clash (the conservative claim) is coded and both are kept with their sources. Only reports coded
    with the incident's type are read: a sub-type always belongs to its type."""
    members = [c for c in members if c.event_type == event_type] or members
    stories: dict[str, set[str]] = defaultdict(set)
    for c in members:
        if c.sub_event_type:
            stories[c.story].add(c.sub_event_type)
    said = set().union(*stories.values()) if stories else set()
    if said & set(TERRITORY_SUBTYPES) and len(said) > 1:
        disagreements["sub_event_type"] = [{"value": c.sub_event_type, "report_id": c.report_id,
                                            "doc_id": c.doc_id, "site": c.site} for c in members]
        if "Armed clash" in said:
            return "Armed clash"
    return _most_common(c.sub_event_type for c in members)


def code_incident(members: list[Candidate]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    members = sorted(members, key=lambda c: (c.published or "9999", c.doc_id, c.start))
    anchor = members[0]
    event_id = "ev-" + content_id(anchor.report_id.encode())[:16]
    disagreements: dict[str, list[dict[str, Any]]] = {}
    coded: dict[str, Any] = {"event_id": event_id, "event_type": _code_type(members)}
    coded["sub_event_type"] = _code_sub_event(members, coded["event_type"], disagreements)
    # Casualties: each story's figure is kept; where stories disagree the conservative (lowest) is coded.
    for key in ("fatalities", "injuries"):
        by_story = _per_story(members, key)
        values = sorted(set(by_story.values()))
        coded[key] = values[0] if values else None
        if len(values) > 1:
            disagreements[key] = [{"value": c.f[key], "report_id": c.report_id, "doc_id": c.doc_id, "site": c.site}
                                  for c in members if c.f.get(key) is not None]
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


_REPORT_ROWS = ("SELECT r.report_id, r.doc_id, d.duplicate_of, d.url, d.site, d.published, r.sentence, r.start, "
                "r.\"end\", r.event_type, r.sub_event_type, r.fields FROM reports r JOIN documents d USING (doc_id)")
CODE_BATCH = 4096  # reports coded per batch: what incident coding holds in full at once


def rebuild_events(store: Store, ctx: Context) -> int:
    """Cluster every report (slim: what clustering compares), then code the incidents a batch at a time,
    reading each batch's reports in full and writing its events, so memory holds one batch of full reports."""
    con = store.con
    cursor = con.execute(_REPORT_ROWS)  # in any order: `cluster` sorts them
    candidates: list[Candidate] = []
    shared: dict[Any, Any] = {}
    while rows := cursor.fetchmany(8192):
        candidates.extend(_candidate(r, slim=shared) for r in rows)
    del shared
    # Coding reads the reports again in full, so the incidents keep only their report ids: the slim
    # reports (about 1 KB each with the index of their values) and what clustering freed go back.
    clusters = [[c.report_id for c in members] for members in cluster(candidates)]
    del candidates
    gc.collect()
    release_memory()
    con.execute("DELETE FROM event_sources")
    con.execute("DELETE FROM events")
    report_event: dict[str, str] = {}
    batch: list[list[str]] = []
    held = 0
    for members in clusters:
        batch.append(members)
        held += len(members)
        if held >= CODE_BATCH:
            _code_batch(con, batch, report_event)
            batch, held = [], 0
    _code_batch(con, batch, report_event)
    _rebuild_claims(store, report_event)
    return len(clusters)


def _code_batch(con: Any, batch: list[list[str]], report_event: dict[str, str]) -> None:
    """Code a batch of incidents (their report ids) from their reports read in full, and append them to the
    events tables."""
    if not batch:
        return
    wanted = pa.table({"report_id": [r for members in batch for r in members]})  # noqa: F841
    full = {r[0]: _candidate(r) for r in con.execute(_REPORT_ROWS + " JOIN wanted w USING (report_id)").fetchall()}
    events: list[dict[str, Any]] = []
    sources: list[dict[str, Any]] = []
    for members in batch:
        coded, srcs = code_incident([full[r] for r in members])
        events.append({k: coded.get(k) for k in EVENT_FIELDS})
        sources.extend(srcs)
        for r in members:
            report_event[r] = coded["event_id"]
    ev = pa.Table.from_pylist(events)  # noqa: F841
    con.execute(f"INSERT INTO events ({', '.join(EVENT_FIELDS)}) SELECT {', '.join(EVENT_FIELDS)} FROM ev")
    src = pa.Table.from_pylist(sources)  # noqa: F841
    cols = ", ".join(f'"{k}"' for k in sources[0])
    con.execute(f"INSERT INTO event_sources ({cols}) SELECT {cols} FROM src")


def _content_words(text: str) -> frozenset[str]:
    """Content words of a claim (no parse across documents: lower-cased words minus stop words)."""
    from spacy.lang.en.stop_words import STOP_WORDS

    words = (w.strip(".,;:!?\"'()“”‘’").lower() for w in text.split())
    return frozenset(w for w in words if len(w) > 2 and w not in STOP_WORDS)


CLAIM_BATCH = 8192  # claims read into Python at once (a group of claims about one event is never split)


def _rebuild_claims(store: Store, report_event: dict[str, str]) -> None:
    """Link each claim to its report's event and find opposing claims among the claims about one event, and
    within each document. The claims are streamed sorted by that group (DuckDB sorts, spilling to disk when
    it must) and handled a few thousand at a time."""
    con = store.con
    links = pa.table({"report_id": list(report_event), "event_id": list(report_event.values())})  # noqa: F841
    con.execute("DELETE FROM claims")
    # A second cursor reads while this one writes (doc_claims is not changed by this transaction).
    reader = con.cursor().execute(
        "SELECT c.claim_id, c.doc_id, c.text, c.start, c.\"end\", c.attributed_to, c.cue, c.stance, l.event_id, "
        "c.about FROM doc_claims c LEFT JOIN links l ON c.report_id = l.report_id "
        "ORDER BY coalesce(l.event_id, 'doc:' || c.doc_id), c.doc_id, c.start, c.claim_id"
    ).to_arrow_reader(CLAIM_BATCH)
    pending: list[dict[str, Any]] = []  # the last group read, which may go on in the next slice
    for batch in reader:
        rows = pending + batch.to_pylist()
        last = rows[-1]["event_id"] or "doc:" + rows[-1]["doc_id"]
        cut = len(rows)
        while cut and (rows[cut - 1]["event_id"] or "doc:" + rows[cut - 1]["doc_id"]) == last:
            cut -= 1
        _write_claims(con, rows[:cut])
        pending = rows[cut:]
    _write_claims(con, pending)


def _write_claims(con: Any, rows: list[dict[str, Any]]) -> None:
    """Claims sorted by group (event, or document for claims about no event): find the opposing ones, append."""
    if not rows:
        return
    for row in rows:
        row["contradicts"] = []
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for c in rows:
        groups[c["event_id"] or "doc:" + c["doc_id"]].append(c)
    for members in groups.values():
        spans = [ClaimSpan(c["text"], c["start"], c["end"], c["attributed_to"], c["cue"], c["stance"], c["about"],
                           _content_words(c["text"]), doc_id=c["doc_id"]) for c in members]
        for i, j in contradictions(spans):
            members[i]["contradicts"].append(members[j]["claim_id"])
            members[j]["contradicts"].append(members[i]["claim_id"])
    batch = pa.Table.from_pylist([{k: v for k, v in c.items() if k != "about"} for c in rows],  # noqa: F841
                                 schema=_CLAIM_SCHEMA)
    con.execute("INSERT INTO claims SELECT claim_id, doc_id, text, start, \"end\", attributed_to, cue, stance, "
                "event_id, contradicts FROM batch")


_CLAIM_SCHEMA = pa.schema([("claim_id", pa.string()), ("doc_id", pa.string()), ("text", pa.string()),
                          ("start", pa.int32()), ("end", pa.int32()), ("attributed_to", pa.string()),
                          ("cue", pa.string()), ("stance", pa.string()), ("event_id", pa.string()),
                          ("contradicts", pa.list_(pa.string()))])
