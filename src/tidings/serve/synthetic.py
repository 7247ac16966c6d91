"""Deterministic synthetic ledgers for developing and testing the web page and API.

The stages that fill `events`, `event_sources`, `claims` and `entities` are written elsewhere; this
module writes tables of the same shape so the server can be built, tested and benchmarked without
them. Every event has verbatim source sentences whose offsets point into the stored clean text,
some events are contested (two sources disagreeing on fatalities, with contradicting claims), and a
fixed share of titles, texts, URLs and entity names carry hostile markup that a page must show as
text and never run.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa

from tidings.records import content_id
from tidings.serve.filters import taxonomy
from tidings.store.db import Store

START = date(2023, 1, 1)
DAYS = 730

# Hostile strings: each sets `window.__pwned` if a page ever runs it, so a browser test can tell.
HOSTILE_SCRIPT = "<script>window.__pwned=1;alert(1)</script>"
HOSTILE_IMG = '<img src=x onerror="window.__pwned=1;alert(1)">'
HOSTILE_URL = "javascript:window.__pwned=1;alert(1)"
HOSTILE_EVERY = 37  # one document in this many is hostile; document 0 always is


@dataclass(frozen=True)
class Place:
    location: str
    admin1: str
    country: str
    iso: int
    lat: float
    lon: float


PLACES = [
    Place("Kharkiv", "Kharkiv", "Ukraine", 804, 49.9935, 36.2304),
    Place("Kupiansk", "Kharkiv", "Ukraine", 804, 49.7106, 37.6156),
    Place("Bakhmut", "Donetsk", "Ukraine", 804, 48.5953, 37.9999),
    Place("Avdiivka", "Donetsk", "Ukraine", 804, 48.1394, 37.7425),
    Place("Kramatorsk", "Donetsk", "Ukraine", 804, 48.7389, 37.5844),
    Place("Kherson", "Kherson", "Ukraine", 804, 46.6354, 32.6169),
    Place("Zaporizhzhia", "Zaporizhzhia", "Ukraine", 804, 47.8388, 35.1396),
    Place("Odesa", "Odesa", "Ukraine", 804, 46.4825, 30.7233),
    Place("Kyiv", "Kyiv City", "Ukraine", 804, 50.4501, 30.5234),
    Place("Sumy", "Sumy", "Ukraine", 804, 50.9077, 34.7981),
    Place("Belgorod", "Belgorod", "Russia", 643, 50.5997, 36.5983),
    Place("Shebekino", "Belgorod", "Russia", 643, 50.4000, 36.9000),
    Place("Kursk", "Kursk", "Russia", 643, 51.7304, 36.1926),
    Place("Bryansk", "Bryansk", "Russia", 643, 53.2521, 34.3717),
    Place("Idlib", "Idlib", "Syria", 760, 35.9306, 36.6339),
    Place("Aleppo", "Aleppo", "Syria", 760, 36.2021, 37.1343),
    Place("Deir ez-Zor", "Deir ez-Zor", "Syria", 760, 35.3359, 40.1408),
    Place("El Fasher", "North Darfur", "Sudan", 729, 13.6279, 25.3494),
    Place("Khartoum", "Khartoum", "Sudan", 729, 15.5007, 32.5599),
    Place("Omdurman", "Khartoum", "Sudan", 729, 15.6445, 32.4777),
    Place("Wad Madani", "Al Jazirah", "Sudan", 729, 14.4012, 33.5199),
    Place("Goma", "North Kivu", "Democratic Republic of Congo", 180, -1.6792, 29.2228),
    Place("Bunia", "Ituri", "Democratic Republic of Congo", 180, 1.5594, 30.2524),
    Place("Djibo", "Sahel", "Burkina Faso", 854, 14.1022, -1.6306),
    Place("Menaka", "Menaka", "Mali", 466, 15.9182, 2.4022),
    Place("Maiduguri", "Borno", "Nigeria", 566, 11.8311, 13.1510),
    Place("Taiz", "Taizz", "Yemen", 887, 13.5795, 44.0209),
    Place("Hodeidah", "Al Hudaydah", "Yemen", 887, 14.7980, 42.9545),
    Place("Myitkyina", "Kachin", "Myanmar", 104, 25.3867, 97.3964),
    Place("Lashio", "Shan", "Myanmar", 104, 22.9359, 97.7498),
    Place("Port-au-Prince", "Ouest", "Haiti", 332, 18.5944, -72.3074),
    Place("Mogadishu", "Banadir", "Somalia", 706, 2.0469, 45.3182),
]

# (entity_id, name, type, kind, inter, country, wikidata, aliases)
ACTORS: list[tuple[str, str, str, str, int, str | None, str | None, list[str]]] = [
    ("Q1062045", "Military Forces of Russia", "GROUP", "state forces", 1, "Russia", "Q1062045",
     ["Russian army", "Russian forces", "Armed Forces of the Russian Federation"]),
    ("Q1056178", "Military Forces of Ukraine", "GROUP", "state forces", 1, "Ukraine", "Q1056178",
     ["Ukrainian army", "Ukrainian forces", "ZSU"]),
    ("Q112003522", "Freedom of Russia Legion", "GROUP", "rebel group", 2, "Russia", "Q112003522",
     ["Freedom for Russia Legion", "Free Russia Legion", "Legion Svoboda Rossii"]),
    ("Q106491157", "Rapid Support Forces", "GROUP", "rebel group", 2, "Sudan", "Q106491157",
     ["RSF", "Janjaweed", "Quwat al-Da'm al-Sari'"]),
    ("Q1542434", "Military Forces of Sudan", "GROUP", "state forces", 1, "Sudan", "Q1542434",
     ["Sudanese Armed Forces", "SAF"]),
    ("Q11904244", "Hayat Tahrir al-Sham", "GROUP", "rebel group", 2, "Syria", "Q11904244", ["HTS", "Tahrir al-Sham"]),
    ("Q2467046", "M23", "GROUP", "rebel group", 2, "Democratic Republic of Congo", "Q2467046",
     ["March 23 Movement", "Mouvement du 23 mars"]),
    ("Q28464", "Ansar Allah", "GROUP", "rebel group", 2, "Yemen", "Q28464", ["Houthis", "Houthi movement"]),
    ("Q1414346", "JNIM", "GROUP", "rebel group", 2, "Mali", "Q1414346",
     ["Jama'at Nusrat al-Islam wal-Muslimin", "GSIM"]),
    ("Q4471", "Boko Haram", "GROUP", "rebel group", 2, "Nigeria", "Q4471", ["JAS", "Jama'atu Ahlis Sunna"]),
    ("Q107443574", "Kachin Independence Army", "GROUP", "rebel group", 2, "Myanmar", "Q107443574", ["KIA"]),
    ("Q110587030", "Viv Ansanm", "GROUP", "political militia", 3, "Haiti", None, ["Living Together coalition"]),
    ("Q1193405", "Al Shabaab", "GROUP", "rebel group", 2, "Somalia", "Q1193405", ["al-Shabaab", "Harakat al-Shabaab"]),
    ("syn-civilians", "Civilians", "GROUP", "civilians", 7, None, None, ["residents", "local people"]),
    ("syn-protesters", "Protesters", "GROUP", "protesters", 6, None, None, ["demonstrators"]),
    # Hostile: an entity name a page must show as text.
    ("syn-hostile", '<b onmouseover="window.__pwned=1">Night Wolves</b>' + HOSTILE_IMG, "GROUP", "political militia",
     3, None, None, [HOSTILE_SCRIPT, "Night Wolves"]),
]
HOSTILE_ACTOR = len(ACTORS) - 1


def theatre(country: str | None) -> str | None:
    """Countries whose armed groups fight each other across the border count as one theatre."""
    return "Russia-Ukraine" if country in ("Russia", "Ukraine") else country


ACTORS_BY_COUNTRY: dict[str | None, list[int]] = {}
for _i, _a in enumerate(ACTORS):
    if _a[5] and _i != HOSTILE_ACTOR:
        ACTORS_BY_COUNTRY.setdefault(theatre(_a[5]), []).append(_i)

SITES = [("Kyiv Independent", "kyivindependent.com"), ("Meduza", "meduza.io"), ("Reuters", "reuters.com"),
         ("Sudan Tribune", "sudantribune.com"), ("Radio Okapi", "radiookapi.net"), ("Al Jazeera", "aljazeera.com"),
         ("The Irrawaddy", "irrawaddy.com"), ("Ukrainska Pravda", "pravda.com.ua"), ("TASS", "tass.com"),
         ("Garowe Online", "garoweonline.com"), ("Content Farm Daily", "news-247-daily.example")]
ATTRIBUTIONS = [("the regional governor", "said", "reported"), ("the Ministry of Defence", "said", "reported"),
                ("a local official", "told reporters", "reported"), ("the group", "claimed", "claimed"),
                ("witnesses", "said", "reported"), ("the army", "denied", "denied"),
                ("activists", "alleged", "alleged"), ("an unnamed source", "could not independently verify",
                                                       "unverified")]
VERBS = {
    "Battles": "clashed with", "Explosions/Remote violence": "struck", "Violence against civilians": "attacked",
    "Protests": "rallied against", "Riots": "rioted against", "Strategic developments": "moved against",
}
FILLER = ["Residents described hearing loud explosions before dawn.",
          "Emergency services worked through the night to clear the debris.",
          "The claims could not be independently verified.",
          "Officials urged people to stay in shelters until the alert was lifted.",
          "Local media published photographs of damaged buildings.",
          "Fighting in the area has intensified in recent weeks.",
          "Aid groups said access to the area remained limited."]
BOILERPLATE = ("Subscribe to our newsletter\nAccept cookies\nRead more: " + HOSTILE_URL
               + "\nShare on social media\nAdvertisement")
STATUSES = ["reported"] * 6 + ["claimed"] * 2 + ["alleged", "denied", "unverified"]


def _event_sentence(rng: random.Random, actor1: str, actor2: str, verb: str, place: Place, fatalities: int,
                    who: str, cue: str, hostile: bool) -> str:
    toll = f", killing {fatalities} people" if fatalities else ", causing no reported deaths"
    extra = f" near a site marked {HOSTILE_IMG}" if hostile else ""
    when = rng.choice(["on Monday", "on Tuesday", "overnight", "early on Friday", "on Sunday evening"])
    if cue == "could not independently verify":
        return (f"{actor1} {verb} {actor2} in {place.location}{extra} {when}{toll}, according to {who}, "
                "a claim reporters could not independently verify.")
    return f"{actor1} {verb} {actor2} in {place.location}{extra} {when}{toll}, {who} {cue}."


def synthetic_event_id(seed: int, i: int) -> str:
    """The id of the i-th event `fill(..., seed)` writes (event 0's first document is always hostile)."""
    return "SYN" + content_id(f"event:{seed}:{i}".encode())[:13].upper()


class _Tables:
    """Rows per table, written in one transaction at the end."""

    def __init__(self) -> None:
        self.rows: dict[str, list[dict[str, Any]]] = {
            t: [] for t in ("documents", "mentions", "reports", "events", "event_sources", "claims", "entities")}

    def add(self, table: str, **row: Any) -> None:
        self.rows[table].append(row)


def _document(t: _Tables, rng: random.Random, n: int, day: date, sentences: list[str], title: str,
              site: tuple[str, str], hostile: bool) -> tuple[str, str, list[int]]:
    """Write one document; return its id, text and the start offset of each given sentence."""
    parts: list[str] = []
    starts: list[int] = []
    pos = 0
    body = sentences + rng.sample(FILLER, 3)
    for i, s in enumerate(body):
        if i == len(sentences) and hostile:
            s = f"Readers sent a link {HOSTILE_URL} and a snippet {HOSTILE_SCRIPT} to the newsroom."
        if i < len(sentences):
            starts.append(pos)
        parts.append(s)
        pos += len(s) + (2 if i % 2 else 1)
        parts.append("\n\n" if i % 2 else " ")
    text = "".join(parts).rstrip()
    text += f"\n\n(Report {n}.)"
    doc_id = content_id(text.encode())
    published = datetime.combine(day, datetime.min.time()) + timedelta(hours=rng.randint(6, 22))
    url = HOSTILE_URL if hostile and n % 2 else f"https://{site[1]}/news/{day.isoformat()}/{doc_id[:8]}"
    t.add("documents", doc_id=doc_id, source=f"synthetic/{n:07d}.html", url=url, title=title,
          author=HOSTILE_SCRIPT if hostile else rng.choice(["Staff", "Olena K.", "A. Hassan", None]),
          site=site[0], published=published.isoformat() + "+00:00", published_utc=published,
          published_from="meta", language="en", encoding="utf-8", kind="html", text=text,
          boilerplate=BOILERPLATE, raw=None, segments="[]", status="ok", error=None,
          text_hash=content_id(text.lower().encode()), minhash=None, duplicate_of=None, run_id="synthetic",
          added_at=published)
    return doc_id, text, starts


def _mentions(t: _Tables, doc_id: str, text: str, names: list[tuple[str, str | None, str]]) -> None:
    seen: set[tuple[int, int, str]] = set()
    for name, entity_id, label in names:
        at = text.find(name)
        if at >= 0 and (at, at + len(name), label) not in seen:
            seen.add((at, at + len(name), label))
            t.add("mentions", doc_id=doc_id, start=at, end=at + len(name), text=name, label=label,
                  entity_id=entity_id, attrs="{}")


def fill(db_path: str | Path, n_events: int, seed: int = 0) -> dict[str, int]:
    """Fill a tidings database with `n_events` synthetic events and their documents, sources, claims,
    mentions and entities; the same (n_events, seed) always writes the same rows. Returns row counts."""
    rng = random.Random(seed)
    types = taxonomy()
    type_weights = [{"Battles": 5, "Explosions/Remote violence": 7, "Violence against civilians": 3,
                     "Protests": 3, "Riots": 1, "Strategic developments": 1}[k] for k, _s, _d in types]
    t = _Tables()
    doc_n = 0
    actor_events = [0] * len(ACTORS)
    for i in range(n_events):
        event_id = synthetic_event_id(seed, i)
        event_type, sub_type, disorder = rng.choices(types, weights=type_weights)[0]
        place = rng.choice(PLACES)
        local = ACTORS_BY_COUNTRY.get(theatre(place.country)) or [0]
        a1 = rng.choice(local) if rng.random() < 0.97 else HOSTILE_ACTOR
        # The other side: an armed group of the same country, now and then a foreign one.
        others = [j for j in range(HOSTILE_ACTOR - 2) if j != a1 and (theatre(ACTORS[j][5]) == theatre(place.country)
                                                                      or rng.random() < 0.05)] or [13]
        a2 = (13 if event_type == "Violence against civilians" else
              14 if event_type in ("Protests", "Riots") else rng.choice(others))
        actor_events[a1] += 1
        actor_events[a2] += 1
        day = START + timedelta(days=int(rng.triangular(0, DAYS - 1, DAYS * 0.8)))
        lethal = event_type in ("Battles", "Explosions/Remote violence", "Violence against civilians")
        fatalities = int(rng.paretovariate(1.3)) - 1 if lethal and rng.random() < 0.6 else 0
        contested = lethal and rng.random() < 0.12
        n_sources = 2 if contested else rng.choices([1, 2, 3], weights=[70, 22, 8])[0]
        status = "reported" if contested else rng.choice(STATUSES)
        lat = round(place.lat + rng.uniform(-0.08, 0.08), 4)
        lon = round(place.lon + rng.uniform(-0.08, 0.08), 4)
        values = [fatalities] * n_sources
        if contested:
            values[1] = fatalities + rng.randint(3, 40)
        disagreements: dict[str, Any] | None = None
        source_rows: list[dict[str, Any]] = []
        first_sentence = ""
        for k in range(n_sources):
            doc_n += 1
            hostile = doc_n % HOSTILE_EVERY == 1
            who, cue, src_status = (ATTRIBUTIONS[k] if contested else
                                    rng.choice(ATTRIBUTIONS) if status != "reported" else rng.choice(ATTRIBUTIONS[:5]))
            if contested and k == 1:
                who, cue, src_status = rng.choice(ATTRIBUTIONS[3:5])
            sentence = _event_sentence(rng, ACTORS[a1][1], ACTORS[a2][1], VERBS[event_type], place, values[k],
                                       who, cue, hostile)
            first_sentence = first_sentence or sentence
            site = rng.choice(SITES)
            title = f"{sub_type} reported in {place.location}"
            if hostile:
                title = f"{HOSTILE_SCRIPT} {title} {HOSTILE_IMG}"
            doc_id, text, starts = _document(t, rng, doc_n, day + timedelta(days=rng.randint(0, 2)), [sentence],
                                             title, site, hostile)
            start = starts[0]
            report_id = content_id(f"report:{doc_id}:{start}".encode())
            _mentions(t, doc_id, text, [(ACTORS[a1][1], ACTORS[a1][0], "GROUP"),
                                        (ACTORS[a2][1], ACTORS[a2][0], "GROUP"), (place.location, None, "GPE")])
            fields = {"fatalities": values[k], "actor1": ACTORS[a1][1], "actor2": ACTORS[a2][1],
                      "location": place.location, "attributed_to": who, "cue": cue}
            t.add("reports", report_id=report_id, doc_id=doc_id, sentence=sentence, start=start,
                  end=start + len(sentence), event_type=event_type, sub_event_type=sub_type,
                  fields=json.dumps(fields))
            row = {"event_id": event_id, "report_id": report_id, "doc_id": doc_id, "url": None, "site": site[0],
                   "published": None, "copy_of": None, "sentence": sentence, "start": start,
                   "end": start + len(sentence), "attributed_to": who, "cue": cue, "status": src_status,
                   "values": json.dumps({"fatalities": values[k], "location": place.location})}
            source_rows.append(row)
            if contested or src_status in ("claimed", "denied", "alleged"):
                claim_id = content_id(f"claim:{report_id}".encode())
                stance = {"denied": "denies", "unverified": "unverified"}.get(src_status, "asserts")
                if contested and k == 1:
                    stance = "disputes"
                t.add("claims", claim_id=claim_id, doc_id=doc_id, text=sentence, start=start,
                      end=start + len(sentence), attributed_to=who, cue=cue, stance=stance, event_id=event_id,
                      contradicts=[])
            if rng.random() < 0.04:  # a syndicated copy: same text, another outlet, marked as a copy
                doc_n += 1
                copy_id = content_id(f"copy:{doc_id}".encode())
                copy = dict(t.rows["documents"][-1], doc_id=copy_id, source=f"synthetic/{doc_n:07d}.html",
                            site=SITES[-1][0], url=f"https://{SITES[-1][1]}/{copy_id[:10]}", duplicate_of=doc_id)
                t.rows["documents"].append(copy)
                source_rows.append(dict(row, report_id=content_id(f"report:{copy_id}:{start}".encode()),
                                        doc_id=copy_id, site=SITES[-1][0], copy_of=doc_id))
        for src in source_rows:
            doc = next(d for d in reversed(t.rows["documents"]) if d["doc_id"] == src["doc_id"])
            src["url"], src["published"] = doc["url"], doc["published"]
        if contested:
            a, b = (c for c in t.rows["claims"][-2:])
            a["contradicts"], b["contradicts"] = [b["claim_id"]], [a["claim_id"]]
            disagreements = {"fatalities": [{"value": v, "report_id": s["report_id"], "attributed_to":
                                             s["attributed_to"], "site": s["site"]}
                                            for v, s in zip(values, source_rows, strict=False)]}
        t.rows["event_sources"].extend(source_rows)
        notes = f"On {day.isoformat()}, {first_sentence}"
        if i % 97 == 5:
            notes += f" {HOSTILE_SCRIPT}"
        t.add("events", event_id=event_id, event_date=day, time_precision=rng.choices([1, 2, 3], [85, 12, 3])[0],
              date_text=rng.choice(["on Monday", "overnight", "last week", "on 3 May"]), event_type=event_type,
              sub_event_type=sub_type, disorder_type=disorder, actor1=ACTORS[a1][1], actor1_id=ACTORS[a1][0],
              assoc_actor_1=None, actor2=ACTORS[a2][1], actor2_id=ACTORS[a2][0], assoc_actor_2=None,
              inter1=ACTORS[a1][4], inter2=ACTORS[a2][4], interaction=int(f"{ACTORS[a1][4]}{ACTORS[a2][4]}"),
              civilian_targeting=event_type == "Violence against civilians", location=place.location,
              admin1=place.admin1, country=place.country, iso=str(place.iso), latitude=lat, longitude=lon,
              geo_precision=rng.choices([1, 2, 3], [70, 25, 5])[0], fatalities=min(values),
              injuries=rng.randint(0, 10) if lethal else 0, status=status, contested=contested,
              disagreements=json.dumps(disagreements) if disagreements else None, notes=notes,
              source_count=len(source_rows), document_count=len({s["doc_id"] for s in source_rows}))
    mention_counts: dict[str, int] = {}
    for m in t.rows["mentions"]:
        if m["entity_id"]:
            mention_counts[m["entity_id"]] = mention_counts.get(m["entity_id"], 0) + 1
    for j, (eid, name, etype, kind, inter, country, qid, aliases) in enumerate(ACTORS):
        t.add("entities", entity_id=eid, name=name, type=etype, kind=kind, inter=inter, country=country,
              wikidata=qid, aliases=aliases, mentions=mention_counts.get(eid, 0), documents=actor_events[j])
    _write(db_path, t)
    return {table: len(rows) for table, rows in t.rows.items()}


def _write(db_path: str | Path, t: _Tables) -> None:
    with Store.open(db_path) as store, store.transaction():
        for table, rows in t.rows.items():
            if not rows:
                continue
            batch = pa.Table.from_pylist(rows)  # noqa: F841 - read by DuckDB's replacement scan below
            columns = ", ".join(f'"{c}"' for c in rows[0])
            store.con.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM batch")
