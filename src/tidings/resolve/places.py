"""Place mentions -> gazetteer places with ACLED geo_precision, disambiguated over the whole text.

`resolve_places` takes spaCy-labelled spans, widens each to the words that decide its kind and
precision ("Belgorod region", "southern Belgorod", "near the village of X"), looks the name up,
and scores candidates by population plus document context: countries and admin1 units named in
the text, an optional publisher country hint, "Town, State" pairs, and nearness to the places
that are unambiguous. Precision follows ACLED: 1 a town named directly, 2 near / part of a town
or in a district, 3 an admin1 unit, a named region or a whole country (ACLED codes country-only
locations at 3, with the country's centre as coordinates; we do the same).

Context rules, each general and data-driven (places.yaml):
- repeats of one name are one reading: they never count as context for each other (three
  "Paris" in an Illinois story no longer outvote "Illinois");
- readings of different names that share an admin1 unit support each other ("Paris" and
  "Henry County" both have Tennessee readings);
- bare names with a conventional reading (`name_readings`: "Gaza" is the Gaza Strip, admin1,
  precision 3; "Gaza City" the city);
- local-news use of a name ("Palestine police", "a Lebanon woman") reads it as a town;
- settlement cues ("village of", "near", "X district") let villages the recogniser would skip
  through, resolved by the same document context.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache

from tidings.resolve.gazetteer import (
    ADMIN1,
    ADMIN2,
    CITY,
    CONTINENT,
    COUNTRY,
    REGION,
    Gazetteer,
    Place,
    lexicon,
    normalize_name,
)

PLACE_LABELS = frozenset({"GPE", "LOC", "FAC", "NORP"})
BLOCKING_LABELS = frozenset({"PERSON", "ORG", "WORK_OF_ART", "PRODUCT", "EVENT", "LAW"})


@dataclass
class PlaceMention:
    start: int
    end: int
    text: str
    place: Place | None
    precision: int | None


# --------------------------------------------------------------------------------------------
# Lexicon helpers


@cache
def _words(key: str) -> frozenset[str]:
    return frozenset(normalize_name(w) for w in lexicon().get(key, []))


@cache
def _cue_patterns() -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(r"\b" + re.escape(c) + r"\b") for c in lexicon().get("vicinity_cues", []))


@cache
def _readings() -> dict[str, tuple[str, str, str]]:
    """places.yaml `name_readings`: name key -> (ISO2, kind, name key of the place meant)."""
    return {normalize_name(k): (str(v[0]).upper(), str(v[1]), normalize_name(str(v[2])))
            for k, v in (lexicon().get("name_readings") or {}).items()}


def _read_as(name: str, c: Place) -> bool:
    """`c` is the place places.yaml `name_readings` says the bare name means ("Gaza": the Strip)."""
    reading = _readings().get(_key(name))
    return reading is not None and reading == (c.country_code, c.kind, _key(c.name))


@cache
def _state_abbrevs() -> dict[str, str]:
    return {_abbrev_key(k): v for k, v in lexicon().get("state_abbreviations", {}).items()}


def _abbrev_key(text: str) -> str:
    """'W. Va.' and 'W.Va.' -> 'w.va.': abbreviations keep their dots (they tell 'La.' from 'La')."""
    return re.sub(r"\s+", "", text.strip()).lower()


def _state_of(text: str) -> str | None:
    return _state_abbrevs().get(_abbrev_key(text)) if "." in text else None


_WORD = re.compile(r"[^\W\d_][\w'’.\-]*", re.UNICODE)


def _words_before(text: str, pos: int, n: int) -> list[tuple[int, int, str]]:
    """Up to n word tokens ending before `pos`, nearest last, stopping at a sentence end."""
    window = text[max(0, pos - 120) : pos]
    base = pos - len(window)
    cut = max(window.rfind(". "), window.rfind("\n"), window.rfind("! "), window.rfind("? "))
    if cut >= 0:
        window, base = window[cut + 1 :], base + cut + 1
    toks = [(base + m.start(), base + m.end(), m.group()) for m in _WORD.finditer(window)]
    return toks[-n:]


def _word_after(text: str, pos: int) -> tuple[int, int, str] | None:
    m = re.match(r"[ \t]*([^\W\d_][\w'’\-]*)", text[pos : pos + 40])
    if not m:
        return None
    return pos + m.start(1), pos + m.end(1), m.group(1)


# --------------------------------------------------------------------------------------------
# Mention analysis


@dataclass
class _Mention:
    start: int
    end: int
    name: str  # the name to look up, type words stripped
    label: str
    force_admin1: bool = False
    vicinity: bool = False  # near / outskirts of / direction word before a town / district word
    within: list[Place] = field(default_factory=list)  # "Town, State": places the town must lie in
    candidates: list[Place] = field(default_factory=list)
    demonym: bool = False
    local: bool = False  # used the way local news uses a town's name ("Palestine police")

    @property
    def sure_unit(self) -> bool:
        """The name is a country's or admin1 unit's own name ("China", "Mexico", "Ohio")."""
        return any(c.kind in (COUNTRY, ADMIN1, REGION) and _key(c.name) == _key(self.name) for c in self.candidates)


def _analyse(text: str, start: int, end: int, label: str, gaz: Gazetteer) -> _Mention:
    name = text[start:end]
    m = _Mention(start, end, name, label)
    admin1_words, admin2_words = _words("admin1_words"), _words("admin2_words")
    # A leading "the" is not part of the name.
    lead = re.match(r"(?i)the\s+", name)
    if lead:
        m.start += lead.end()
        name = name[lead.end() :]
    # Type word inside the span ("Kharkiv Oblast") or right after it ("Belgorod region").
    parts = name.split()
    if (len(parts) > 1 and normalize_name(parts[-1]) in admin1_words | admin2_words
            and not gaz.is_primary_name(name)):  # "Dominican Republic", "Central African Republic"
        kind_word = normalize_name(parts[-1])
        name = " ".join(parts[:-1])
        m.force_admin1 = kind_word in admin1_words
        m.vicinity = kind_word in admin2_words
    else:
        after = _word_after(text, end)
        if after and normalize_name(after[2]) in admin1_words | admin2_words:
            kind_word = normalize_name(after[2])
            m.force_admin1 = kind_word in admin1_words
            m.vicinity = kind_word in admin2_words
            m.end = after[1]
    # Direction word ("southern Belgorod"), "region of X", cues before the name.
    before = _words_before(text, m.start, 7)
    if before and normalize_name(before[-1][2]) in _words("direction_words"):
        m.start = before[-1][0]
        m.vicinity = True
    lowered = " ".join(normalize_name(w[2]) for w in before)
    if re.search(r"\b(" + "|".join(re.escape(w) for w in _words("admin1_of_words")) + r") of$", lowered):
        m.force_admin1 = True
    if any(p.search(lowered) for p in _cue_patterns()):
        m.vicinity = True
    m.name = name.strip() if _state_of(name) else name.strip(" .,;:")
    # "Palestine police", "a Lebanon woman", "Jolly, 60, Lebanon": a town's local news, not a country.
    nxt = re.match(r"[ \t]+([a-z]+)", text[m.end : m.end + 30])
    m.local = bool(nxt and nxt.group(1) in _words("local_nouns")) or bool(
        re.search(r",\s*\d{1,3},\s*(?:of\s+)?$", text[max(0, m.start - 12) : m.start]))
    return m


def _lookup(gaz: Gazetteer, m: _Mention, allow_demonyms: bool) -> list[Place]:
    state = _state_of(m.name)
    if state:  # "Ind.", "W. Va.": a US state, never India or Cayman Islands
        return [c for c in gaz.candidates(state) if c.kind == ADMIN1 and c.country_code == "US"]
    cands = gaz.candidates(m.name)
    if not cands and m.name.endswith("'s"):
        cands = gaz.candidates(m.name[:-2])
    if not cands and allow_demonyms:
        country = gaz.demonym(m.name) or (gaz.demonym(m.name[:-1]) if m.name.endswith("s") else None)
        if country is not None:
            m.demonym = True
            cands = [country]
    reading = _readings().get(normalize_name(m.name))
    if reading and not m.force_admin1:
        # "Gaza" is the Strip: the country's other readings of the name go, other countries' stay.
        cc = reading[0]
        if any(_read_as(m.name, c) for c in cands):
            return [c for c in cands
                    if c.country_code != cc or _read_as(m.name, c)]
    if m.force_admin1:
        # "Moscow region" is the unit named "Moscow Oblast", "Kyiv region" the one named "Kyiv" (not
        # "Kyiv City", which also answers to "Kyiv"): units whose own name fits come first.
        for word in lexicon().get("admin1_words", []):
            whole = [c for c in gaz.candidates(f"{m.name} {word}") if c.kind == ADMIN1
                     and _key(c.name) == _key(f"{m.name} {word}")]
            if whole:
                return whole
        exact = [c for c in cands if c.kind == ADMIN1 and _key(c.name) == _key(m.name)]
        if exact:
            return exact
        admins = [c for c in cands if c.kind == ADMIN1]
        if not admins and any(c.kind == COUNTRY for c in cands):
            admins = [c for c in cands if c.kind == COUNTRY]  # "US state of ...", "the region of Chad"
        if not admins:
            # "Belgorod region" where only the town is indexed by that name: its admin1 unit.
            seen: set[tuple[str | None, str | None]] = set()
            for c in cands:
                a = gaz.admin1_of(c)
                if a is not None and (a.country_code, a.admin1) not in seen:
                    seen.add((a.country_code, a.admin1))
                    admins.append(a)
        cands = admins or cands
    else:
        # A town and the unit named after it ("Kharkiv", "Munger"), or a city that outgrew the unit
        # bearing its name ("Kyiv" the capital vs Kyiv oblast): the bare name means the town.
        towns = [c for c in cands if c.kind == CITY]

        def town_named(u: Place) -> bool:
            key = normalize_name(u.name)
            return any(t.country_code == u.country_code and normalize_name(t.name) == key
                       and (t.admin1 == u.admin1 or 2 * t.population >= u.population) for t in towns)

        cands = [c for c in cands if not (c.kind in (ADMIN1, ADMIN2) and town_named(c))]
    return cands


def _blocked(start: int, end: int, blockers: list[tuple[int, int]]) -> bool:
    return any(bs < end and start < be for bs, be in blockers)


# --------------------------------------------------------------------------------------------
# Scoring


def _km(a: Place, b: Place) -> float:
    la1, lo1, la2, lo2 = map(math.radians, (a.latitude, a.longitude, b.latitude, b.longitude))
    h = math.sin((la2 - la1) / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    return 6371.0 * 2 * math.asin(math.sqrt(min(1.0, h)))


@dataclass
class _Context:
    countries: dict[str, float]
    admin1s: dict[tuple[str | None, str | None], float]
    anchors: list[Place]
    hint: str | None
    # name key -> (countries, admin1s) contributed by the mentions of that name
    by_name: dict[str, tuple[dict[str, float], dict[tuple[str | None, str | None], float]]] = field(
        default_factory=dict)
    # (country, admin1) -> name keys with some candidate in that unit (not yet chosen: all of them)
    candidate_units: dict[tuple[str | None, str | None], set[str]] = field(default_factory=dict)


def _score(c: Place, m: _Mention, ctx: _Context, own: Place | None) -> float:
    return _score_inner(c, m, ctx, own) + (1.0 if Gazetteer.load().is_capital(c) else 0.0)


def _score_inner(c: Place, m: _Mention, ctx: _Context, own: Place | None) -> float:
    """log10 population, plus document context. `own` is this mention's current reading: its own
    contribution to the context is taken out so a mention cannot vote for itself."""
    s = math.log10(c.population + 10)
    if _key(c.name) != _key(m.name) and not _read_as(m.name, c):
        s -= 1.5  # matched on an alternate name only ("Paris" for Parizh, Russia)
    cc = c.country_code or ""
    # Repeats of this very name are one reading (pooled in `_choose`): they are not context for it.
    same = ctx.by_name.get(_key(m.name))
    cc_weight = ctx.countries.get(cc, 0.0) - (same[0].get(cc, 0.0) if same else 0.0)
    if cc_weight > 0.4:
        s += 1.5 + 0.3 * min(cc_weight, 5.0)
    if ctx.hint and cc == ctx.hint:
        s += 1.5
    if c.kind in (CITY, ADMIN2, ADMIN1):
        # The document's other places lie in this admin1 unit (or the town lies in a named one).
        key = (c.country_code, c.admin1)
        a_weight = ctx.admin1s.get(key, 0.0) - (same[1].get(key, 0.0) if same else 0.0)
        if c.admin1 and a_weight > 0.4:
            s += 1.5 + 0.3 * min(a_weight, 5.0)
    if c.kind in (CITY, ADMIN2) and c.admin1 and _key(c.name) == _key(m.name) and not m.sure_unit:
        # Readings that share an admin1 unit with some reading of the text's other names ("Paris" and
        # "Henry County" both have Tennessee readings): local news names places near each other.
        others = ctx.candidate_units.get((c.country_code, c.admin1), set()) - {_key(m.name)}
        s += 1.0 * min(len(others), 3)
    if c.kind in (CITY, ADMIN2):
        # Spatial minimality: local news names places near each other.
        near = 0
        for a in ctx.anchors:
            # A degree of latitude is 111.19 km of any great circle: farther apart than 1.35 degrees north
            # to south is farther than 150 km, without the trigonometry.
            if abs(a.latitude - c.latitude) < 1.35 and a != own and a.name != c.name and _km(a, c) < 150:
                near += 1
                if near == 3:
                    break  # the bonus stops growing at three
        s += 1.0 * near
    if c.kind == REGION:
        s += 1.0  # a region GeoNames' towns do not cover, named as such ("Darfur", "Sinai")
    if c.kind == COUNTRY:
        s += -3.0 if m.local else 1.0  # a country named outright is usually meant as the country
    if m.within:
        inside = any(
            (w.kind == COUNTRY and c.country_code == w.country_code)
            or (w.kind == ADMIN1 and c.country_code == w.country_code and c.admin1 == w.admin1)
            for w in m.within
        )
        s += 8.0 if inside else -4.0
    return s


def _weight(p: Place, m: _Mention) -> float:
    """How much a reading tells about the document's country: a named country or admin1 unit, or
    a name with one country among its candidates, is sure; an ambiguous town counts half."""
    if p.kind in (COUNTRY, ADMIN1, REGION) or len({c.country_code for c in m.candidates}) == 1:
        return 1.0
    return 0.5


def _context(mentions: list[_Mention], chosen: list[Place | None], hint: str | None) -> _Context:
    countries: dict[str, float] = defaultdict(float)
    admin1s: dict[tuple[str | None, str | None], float] = defaultdict(float)
    anchors: list[Place] = []
    by_name: dict[str, tuple[dict[str, float], dict[tuple[str | None, str | None], float]]] = {}
    for m, p in zip(mentions, chosen, strict=True):
        if p is None or p.kind == CONTINENT:
            continue
        mine = by_name.setdefault(_key(m.name), (defaultdict(float), defaultdict(float)))
        if p.country_code:
            countries[p.country_code] += _weight(p, m)
            mine[0][p.country_code] += _weight(p, m)
        if p.kind in (ADMIN1, CITY, ADMIN2) and p.admin1:
            admin1s[(p.country_code, p.admin1)] += 1.0
            mine[1][(p.country_code, p.admin1)] += 1.0
        if p.kind in (CITY, ADMIN2) and p not in anchors:
            anchors.append(p)
    units: dict[tuple[str | None, str | None], set[str]] = defaultdict(set)
    for m in mentions:
        if m.sure_unit:
            continue
        for c in m.candidates:
            if c.kind in (CITY, ADMIN2) and c.admin1 and _key(c.name) == _key(m.name):
                units[(c.country_code, c.admin1)].add(_key(m.name))
    return _Context(countries, admin1s, anchors, hint, by_name, units)


def _precision(m: _Mention, p: Place) -> int:
    if p.kind in (COUNTRY, ADMIN1, REGION, CONTINENT):
        return 3
    if p.kind == ADMIN2:
        return 2
    return 2 if m.vicinity else 1


# --------------------------------------------------------------------------------------------
# Public API


def resolve_places(
    text: str,
    spans: list[tuple[int, int, str]],
    *,
    country_hint: str | None = None,
    allow_demonyms: bool = False,
) -> list[PlaceMention]:
    """One PlaceMention per place span, disambiguated over the whole text.

    `spans` are (start, end, label); spans labelled PERSON/ORG/... are not resolved and also block
    any place span they overlap ("Washington" in "Washington Post"). NORP spans are resolved only
    when the gazetteer knows them as a place name ("Belgorod"), or as the demonym's country when
    `allow_demonyms` is set. Places the gazetteer lacks come back with place=None, text kept.
    """
    gaz = Gazetteer.load()
    hint = country_hint.upper() if country_hint else None
    blockers = [(s, e) for s, e, lab in spans if lab in BLOCKING_LABELS]
    mentions: list[_Mention] = []
    for start, end, label in sorted(set(spans)):
        if label not in PLACE_LABELS or _blocked(start, end, blockers) or not text[start:end].strip():
            continue
        if label == "NORP" and not allow_demonyms and gaz.demonym(text[start:end].strip()) is not None:
            continue  # "Canadian", "Slovak": nationalities, even where a town bears the name
        m = _analyse(text, start, end, label, gaz)
        m.candidates = _lookup(gaz, m, allow_demonyms)
        if not m.candidates and not allow_demonyms and gaz.demonym(m.name) is not None:
            continue  # "Ukrainian" tagged GPE: a nationality, not an unknown village
        if label == "NORP" and not any(c.kind != CITY or c.population >= 50_000 for c in m.candidates):
            continue  # a group or nationality ("Arab", "Ismaili"), not a place; "Belgorod" passes
        mentions.append(m)
    if not mentions:
        return []
    _link_pairs(text, mentions, gaz)

    # Pass 1: population, hint and explicit constraints; pass 2 adds the document context.
    empty = _Context({}, {}, [], hint)
    chosen = [max(m.candidates, key=lambda c: _score(c, m, empty, None)) if m.candidates else None
              for m in mentions]
    for _ in range(2):
        ctx = _context(mentions, chosen, hint)
        chosen = _choose(mentions, chosen, ctx)

    out = []
    for m, p in zip(mentions, chosen, strict=True):
        out.append(PlaceMention(m.start, m.end, text[m.start : m.end], p, _precision(m, p) if p else None))
    return out


def _choose(mentions: list[_Mention], chosen: list[Place | None], ctx: _Context) -> list[Place | None]:
    """Best candidate per mention; unconstrained repeats of a name share one reading (their
    scores are summed), so one strong context clue settles every "Paris" in the text."""
    totals: dict[str, dict[Place, float]] = defaultdict(lambda: defaultdict(float))
    own: list[dict[Place, float]] = []
    for m, cur in zip(mentions, chosen, strict=True):
        scores = {c: _score(c, m, ctx, cur) for c in m.candidates}
        own.append(scores)
        if not (m.within or m.force_admin1):
            for c, v in scores.items():
                totals[_key(m.name)][c] += v
    out: list[Place | None] = []
    for m, scores in zip(mentions, own, strict=True):
        if not m.candidates:
            out.append(None)
        elif m.within or m.force_admin1:
            out.append(max(m.candidates, key=lambda c: scores[c]))
        else:
            pooled = totals[_key(m.name)]
            out.append(max(m.candidates, key=lambda c: (pooled.get(c, 0.0), c.population)))
    return out


@cache
def _key(name: str) -> str:
    return normalize_name(name)


def _link_pairs(text: str, mentions: list[_Mention], gaz: Gazetteer) -> None:
    """"Alexandria, La." / "Pandi, Bulacan" / "Homs, Syria": the first lies in the second."""
    by_start = {m.start: m for m in mentions}
    for m in mentions:
        tail = text[m.end : m.end + 30]
        comma = re.match(r",\s*", tail)
        if not comma:
            continue
        pos = m.end + comma.end()
        nxt = by_start.get(pos)
        containers: list[Place] = []
        if nxt is not None:
            containers = [c for c in nxt.candidates if c.kind in (ADMIN1, COUNTRY)]
        else:
            ab = re.match(r"([A-Z][a-z]{0,4}\.(?:\s?[A-Z][a-z]?\.)?)", text[pos : pos + 10])
            state = _state_of(ab.group(1)) if ab else None
            if state:
                containers = [c for c in gaz.candidates(state) if c.kind == ADMIN1 and c.country_code == "US"]
        if containers and any(c.kind in (CITY, ADMIN2) for c in m.candidates):
            m.within = containers


def place_spans(text: str, entities: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """spaCy entities plus gazetteer names, ready for `resolve_places`.

    Small spaCy models often tag a state or a country as ORG or PERSON ("Ohio", "Sri Lanka"):
    an ORG/PERSON span whose whole text is a country or admin1 name, or an ORG span that is
    exactly the name of a town of 100,000 or more, is relabelled GPE. Gazetteer names
    (`find_place_spans`) are added where no entity covers them, unless the word is part of a
    person's name elsewhere in the text ("Pawlenty", "Hopkins") or is a demonym.
    """
    gaz = Gazetteer.load()
    out: list[tuple[int, int, str]] = []
    person_words: set[str] = set()
    full_names = {normalize_name(w) for s, e, lab in entities if lab == "PERSON" and " " in text[s:e].strip()
                  for w in text[s:e].split()}
    preps = _words("event_prepositions")
    for start, end, label in entities:
        if label in ("ORG", "PERSON", "NORP"):
            name = text[start:end]
            key = normalize_name(name)
            if label == "NORP" and gaz.demonym(name) is not None:
                out.append((start, end, label))
                continue
            cands = [c for c in gaz.candidates(name, 5) if normalize_name(c.name) == key]
            before = _words_before(text, start, 1)
            # "airstrikes on Rafah" (spaCy: PERSON), "shelling of Kozinka" stays: a town of 50,000
            # or more right after a locative preposition, and no one here bears the name.
            located = bool(before) and normalize_name(before[-1][2]) in preps and key not in full_names
            if any(c.kind in (COUNTRY, ADMIN1) for c in cands) or (
                label == "ORG" and any(c.kind == CITY and c.population >= 100_000 for c in cands)
            ) or (located and any(c.kind == CITY and c.population >= 50_000 for c in cands)) or (
                # a lone word naming a city of 100,000 that no person here bears ("Gainesville")
                label == "PERSON" and " " not in name.strip() and key not in full_names
                and not _speaker(text, end) and any(c.kind == CITY and c.population >= 100_000 for c in cands)
            ):
                out.append((start, end, "GPE"))
                continue
            if label == "PERSON":
                person_words.update(normalize_name(w) for w in name.split())
        out.append((start, end, label))
    # A one-word "place" that is a word of a person's name here ("Pawlenty", "Hopkins") is the person.
    out = [(s, e, lab) for s, e, lab in out
           if not (lab in PLACE_LABELS and " " not in text[s:e].strip()
                   and normalize_name(text[s:e]) in person_words)]
    taken = [(s, e) for s, e, lab in out if lab in PLACE_LABELS | BLOCKING_LABELS]
    for start, end, label in find_place_spans(text):
        name = text[start:end]
        if any(start < te and ts < end for ts, te in taken):
            continue
        if normalize_name(name) in person_words or gaz.demonym(name) is not None:
            continue
        out.append((start, end, label))
    return out


def _speaker(text: str, end: int) -> bool:
    """A name followed by a verb of saying ("Lincoln said") is a person."""
    after = _word_after(text, end)
    return bool(after) and after[2] in _words("speech_verbs")


def find_place_spans(text: str) -> list[tuple[int, int, str]]:
    """Gazetteer names in text without spaCy: longest capitalised n-grams (1-4 words) in the index.

    Precision guards: a single word that the text also uses in lower case is a common word, not a
    place; stop names (months, titles, politicians) are skipped; a name glued to other capitalised
    words ("Washington Post", "John Kerry") is part of a longer name. Country and admin1 names and
    demonym-free lookups only: labels are "GPE".
    """
    gaz = Gazetteer.load()
    stop = {normalize_name(w) for w in lexicon().get("stop_names", [])}
    lower_words = {w.lower() for w in re.findall(r"\b[a-z][a-z'\-]+\b", text)}
    toks = [(mt.start(), mt.end(), mt.group()) for mt in re.finditer(r"[^\W\d_][\w'’\-.]*[\w]|[^\W\d_]", text)]
    # run[i]: how many capitalised words start at word i, one space apart (a name's words are; at most 4).
    run = [0] * (len(toks) + 1)
    for i in range(len(toks) - 1, -1, -1):
        if toks[i][2][0].isupper():
            joined = i + 1 < len(toks) and toks[i + 1][0] == toks[i][1] + 1 and text[toks[i][1]] == " "
            run[i] = min(4, 1 + (run[i + 1] if joined else 0))
    out: list[tuple[int, int, str]] = []
    i = 0
    while i < len(toks):
        s, e, w = toks[i]
        if not run[i]:
            i += 1
            continue
        matched = 0
        for n in range(run[i], 0, -1):
            group = toks[i : i + n]
            gs, ge = group[0][0], group[-1][1]
            name = text[gs:ge].rstrip(".")
            tail = re.search(r"['’]([a-z]{1,2})$", name)
            if tail:
                if tail.group(1) != "s":
                    continue  # "I’ve", "We'll": contractions, not names
                name = name[: tail.start()]  # "Boone County’s": the possessive is not part of the name
            key = normalize_name(name)
            if n == 1 and (key in stop or key in _english_stop_words() or w.lower() in lower_words or len(key) < 3):
                continue
            if not gaz.has_name(name):
                continue
            cands = gaz.candidates(name, 5)
            # A short all-capitals word is an acronym ("HIV", "NICE") unless it names a country or
            # an admin1 unit ("US", "DRC", "NSW").
            if n == 1 and name.isupper() and len(name) <= 4 and not any(c.kind in (COUNTRY, ADMIN1) for c in cands):
                continue
            # A lone word naming only a small town is more often a surname or a common word, unless
            # the text says it is a settlement ("the village of Kozinka", "near Kozinka").
            if n == 1 and not any(c.kind != CITY or c.population >= 5000 for c in cands) \
                    and not _settlement_cue(text, gs, ge):
                continue
            prev_cap = i > 0 and toks[i - 1][1] == gs - 1 and toks[i - 1][2][0].isupper() \
                and text[toks[i - 1][1]] == " " and not toks[i - 1][2].endswith(".")
            next_cap = i + n < len(toks) and toks[i + n][0] == ge + 1 and toks[i + n][2][0].isupper()
            if (prev_cap or next_cap) and not _is_type_word(toks, i + n):
                continue
            out.append((gs, gs + len(name), "GPE"))
            matched = n
            break
        i += matched or 1
    return out


def _settlement_cue(text: str, start: int, end: int) -> bool:
    """The words around a name say it is a place: "village of X", "town of X", "near X",
    "outskirts of X", "X district"."""
    before = [normalize_name(w[2]) for w in _words_before(text, start, 4)]
    if len(before) >= 2 and before[-1] == "of" and before[-2] in _words("settlement_words"):
        return True
    lowered = " " + " ".join(before)
    if any(lowered.endswith(" " + normalize_name(c)) for c in lexicon().get("vicinity_cues", [])):
        return True
    after = _word_after(text, end)
    return bool(after) and normalize_name(after[2]) in _words("admin2_words")


@cache
def _english_stop_words() -> frozenset[str]:
    """spaCy's English stop-word list (plain data, no model): "Since", "Most", "Over" open sentences."""
    from spacy.lang.en.stop_words import STOP_WORDS

    return frozenset(STOP_WORDS)


def _is_type_word(toks: list[tuple[int, int, str]], k: int) -> bool:
    return k < len(toks) and normalize_name(toks[k][2]) in _words("admin1_words") | _words("admin2_words")


# --------------------------------------------------------------------------------------------
# Event place


def pick_event_place(
    sentence: str, trigger_start: int, trigger_end: int, places: list[PlaceMention]
) -> PlaceMention | None:
    """The place where the event whose trigger is [trigger_start, trigger_end) happened.

    1. Candidates are places governed by a locative preposition ("in", "at", "near", "on",
       "outside", "through", ...), read back through determiners, direction words and place nouns
       ("in the northwestern neighbourhood of X"). Without any, places in the trigger's clause that
       are neither an origin ("from X") nor a country used as a modifier ("U.S. jets").
    2. The candidate nearest the trigger wins, places after it first (news writes "killed ... in
       X"), within 80 characters.
    3. Nested places ("the West Bank city of Nablus", "Mogadishu's Yaqshid district", "Zenica in
       central Bosnia") are one location: the most specific of the nest is returned.
    Continents are never the event's place. None when nothing qualifies: a sentence may name only
    places that are not where it happened (a victim's home town).
    """
    places = [pm for pm in places if pm.place is None or pm.place.kind != CONTINENT]
    if not places:
        return None
    preps = _words("event_prepositions")
    attached = [pm for pm in places if _attached(sentence, pm, preps)]
    pool = attached or [
        pm for pm in places
        if _same_clause(sentence, trigger_start, trigger_end, pm)
        and not _origin(sentence, pm) and not _modifier(sentence, pm)
    ]
    if not pool:
        return None

    def distance(pm: PlaceMention) -> tuple[int, int]:
        after = pm.start >= trigger_end
        gap = pm.start - trigger_end if after else trigger_start - pm.end
        return (0 if after else 1, gap) if gap < 80 else (2, gap)

    best = min(pool, key=distance)
    # News nests places ("the West Bank city of Nablus", "Mogadishu's Yaqshid district", "Delhi in
    # India"): the event is at the most specific place of the nest the chosen place belongs to.
    nest = _nest(sentence, places, best)
    return min(nest, key=lambda pm: (_specificity(pm), nest.index(pm)))


def _specificity(pm: PlaceMention) -> int:
    if pm.place is None and normalize_name(pm.text.split()[0]) in _words("direction_words"):
        return _SPECIFICITY[ADMIN1]  # "central Bosnia": a part of a region, whatever the name
    return _SPECIFICITY.get(pm.place.kind if pm.place else None, 0)


# Lower is more specific; an unresolved name is most often a village, district or neighbourhood.
_SPECIFICITY: dict[str | None, int] = {None: -1, CITY: 0, ADMIN2: 1, ADMIN1: 2, REGION: 2, COUNTRY: 3, CONTINENT: 4}
_NEST_BREAK = re.compile(r"[;()\"“”]")


def _attached(sentence: str, pm: PlaceMention, preps: frozenset[str]) -> bool:
    """A locative preposition governs the place, read back through determiners, capitalised words,
    direction words and "<place noun> of" ("in the northwestern neighbourhood of X")."""
    passable = _words("direction_words") | _words("settlement_words") | _words("place_nouns") | {
        "the", "a", "an", "of", "his", "her", "their", "its", "nearby", "restive", "volatile", "key"}
    for _s, _e, w in reversed(_words_before(sentence, pm.start, 7)):
        key = normalize_name(w)
        if key in preps:
            return True
        if key not in passable and not w[:1].isupper():
            return False
    return False


def _modifier(sentence: str, pm: PlaceMention) -> bool:
    """'U.S. jets', "Russia's attacks": a country qualifying a noun rather than locating an event.
    Towns used so ("Tikrit backstreets", "a Baghdad hotel") still locate it, so only countries."""
    if pm.place is None or pm.place.kind != COUNTRY:
        return False
    tail = sentence[pm.end : pm.end + 30]
    if re.match(r"['’]s\b", tail):
        return True
    nxt = re.match(r"\s+([a-z][a-z\-]*)", tail)
    return bool(nxt) and nxt.group(1) not in _words("after_location_words") | _words("place_nouns")


def _nest(sentence: str, places: list[PlaceMention], anchor: PlaceMention) -> list[PlaceMention]:
    """The run of places around `anchor` joined by short nesting gaps (", ", "'s", " city of ")."""
    ordered = sorted(places, key=lambda pm: pm.start)
    i = ordered.index(anchor)
    lo = hi = i
    while lo > 0 and _nested_gap(sentence[ordered[lo - 1].end : ordered[lo].start]):
        lo -= 1
    while hi + 1 < len(ordered) and _nested_gap(sentence[ordered[hi].end : ordered[hi + 1].start]):
        hi += 1
    return ordered[lo : hi + 1]


def _nested_gap(gap: str) -> bool:
    """Between nested places stand only commas, "'s", "in"/"of", determiners and place nouns."""
    if len(gap) > 40 or _NEST_BREAK.search(gap):
        return False
    if re.fullmatch(r"['’]s\s+(?:[a-z\-]+\s+){0,3}(?:of\s+(?:the\s+)?)?", gap):
        return True  # "Australia's biggest city of Sydney", "Egypt's other Sinai resorts of Taba"
    ok = _words("place_nouns") | _words("direction_words") | {"in", "of", "the", "s", "near"}
    words = re.findall(r"[^\W\d_][\w\-]*", gap.replace("’s", " s").replace("'s", " s"))
    return all(w.lower() in ok or w[:1].isupper() for w in words)


def _origin(sentence: str, pm: PlaceMention) -> bool:
    before = _words_before(sentence, pm.start, 2)
    return bool(before) and normalize_name(before[-1][2]) == "from"


def _same_clause(sentence: str, t_start: int, t_end: int, pm: PlaceMention) -> bool:
    lo, hi = (t_end, pm.start) if pm.start >= t_end else (pm.end, t_start)
    between = sentence[lo:hi]
    return not re.search(r"[;:\"“”]|, (?:who|which|where|while|but|and)\b", between)
