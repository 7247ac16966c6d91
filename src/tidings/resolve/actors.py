"""The actor registry: canonical actors with aliases, ACLED `inter` codes, country and Wikidata id.

The registry is data (`data/actors*.yaml`, one file per conflict area); users add their own files
with the same schema (`--actors FILE`) and they are merged over the bundled ones: an entry whose
name (or any alias) already names a bundled actor extends that actor, otherwise it adds one.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import pycountry
import yaml

from tidings.resolve.aliases import fold, name_key, name_words, normalise_name, same_entity, strip_descriptors

KINDS = frozenset(
    {"state_force", "armed_group", "militia", "person", "outlet", "government_body", "organisation"}
    | {"civilians", "protesters", "rioters"}
)
# Entity label a registry match gets in the mention layer.
LABEL_OF_KIND = {
    "person": "PERSON",
    "state_force": "GROUP",
    "armed_group": "GROUP",
    "militia": "GROUP",
    "outlet": "ORG",
    "government_body": "ORG",
    "organisation": "ORG",
}
# ACLED's generic actors, built from a country instead of being listed: role -> (name, kind, inter).
GENERIC = {
    "civilians": ("Civilians", "civilians", 7),
    "protesters": ("Protesters", "protesters", 6),
    "rioters": ("Rioters", "rioters", 5),
    "unidentified armed group": ("Unidentified Armed Group", "armed_group", 3),
    "unidentified gang": ("Unidentified Gang", "armed_group", 3),
    "unidentified communal militia": ("Unidentified Communal Militia", "militia", 4),
    "unidentified tribal militia": ("Unidentified Tribal Militia", "militia", 4),
}
GENERIC_SYNONYMS = {
    "civilian": "civilians",
    "protester": "protesters",
    "protestors": "protesters",
    "demonstrators": "protesters",
    "rioter": "rioters",
    "uag": "unidentified armed group",
    "unidentified": "unidentified armed group",
    "unknown armed group": "unidentified armed group",
}


# "Civilians (Ukraine)", "Unidentified Armed Group (Myanmar)": ACLED's generic actor names.
_GENERIC_NAME = re.compile(
    r"^(Civilians|Protesters|Rioters|Unidentified (?:Armed Group|Gang|Communal Militia|Tribal Militia)) \((.+)\)$",
    re.IGNORECASE,
)


# The period in an ACLED state-force name: "(2000-)" open, "(2000-2024)" closed; nothing may follow.
_PERIOD = re.compile(r"\((\d{4})-(\d{4})?\)$")


def slug(text: str) -> str:
    return re.sub(r"[^0-9a-z]+", "-", fold(text)).strip("-")


@dataclass(frozen=True)
class Actor:
    actor_id: str  # "wd:Q…" when a QID exists, else "tid:" + slug of the canonical name
    name: str
    aliases: tuple[str, ...]
    kind: str  # one of KINDS
    inter: int | None  # ACLED inter code; None for people, outlets and bodies that are not ACLED actors
    country: str | None  # ISO 3166-1 alpha-2
    wikidata: str | None
    parent: str | None = None  # canonical name of the actor this one belongs to (unit -> army, person -> body)
    source: str = field(default="", compare=False)  # registry file the entry came from

    @property
    def label(self) -> str:
        return LABEL_OF_KIND.get(self.kind, "ORG")

    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)

    def inter_in(self, event_country: str | None) -> int | None:
        """ACLED's inter code for an event in `event_country` (ISO2): a state force acting outside
        its own country is coded 8, external/other forces ("Military Forces of Russia (2000-)" in
        Ukraine)."""
        if self.inter == 1 and event_country and self.country and event_country.upper() != self.country:
            return 8
        return self.inter


def _actor_id(name: str, wikidata: str | None) -> str:
    return f"wd:{wikidata}" if wikidata else "tid:" + slug(name)


def _parse_entry(raw: dict[str, Any], source: str) -> Actor:
    name = str(raw["name"]).strip()
    # An entry without a kind may only extend an actor that has one (see ActorRegistry._add).
    kind = str(raw.get("kind") or "")
    if kind and kind not in KINDS:
        raise ValueError(f"{source}: actor {name!r} has unknown kind {kind!r}")
    inter = raw.get("inter")
    wikidata = raw.get("wikidata") or None
    if wikidata is not None and not re.fullmatch(r"Q[1-9][0-9]*", str(wikidata)):
        raise ValueError(f"{source}: actor {name!r} has malformed wikidata id {wikidata!r}")
    country = raw.get("country") or None
    aliases = tuple(dict.fromkeys(str(a).strip() for a in raw.get("aliases") or [] if str(a).strip()))
    return Actor(
        actor_id=_actor_id(name, wikidata),
        name=name,
        aliases=tuple(a for a in aliases if a != name),
        kind=kind,
        inter=int(inter) if inter not in (None, 0) else None,
        country=str(country).upper() if country else None,
        wikidata=str(wikidata) if wikidata else None,
        parent=raw.get("parent") or None,
        source=source,
    )


def _read(path: Path | Any) -> list[dict[str, Any]] | None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or "actors" not in data:
        return None
    return list(data["actors"] or [])


def _default_files() -> list[Any]:
    root = resources.files("tidings.data")
    return sorted(
        (p for p in root.iterdir() if p.name.startswith("actors") and p.name.endswith(".yaml")),
        key=lambda p: p.name,
    )


class ActorRegistry:
    """Actors by id, with exact (normalised) and guarded fuzzy lookup of any alias."""

    def __init__(self, actors: Iterable[Actor], country_names: dict[str, str] | None = None) -> None:
        self.actors: dict[str, Actor] = {}
        self._by_name: dict[str, str] = {}
        for a in actors:
            self._add(a)
        self._country_names = country_names or {}
        self._index()

    # -- building ---------------------------------------------------------------------------------
    def _add(self, actor: Actor) -> None:
        existing = next(
            (self._by_name[name_key(n)] for n in actor.names() if name_key(n) in self._by_name), None
        )
        if existing is None:
            if not actor.kind:
                actor = replace(actor, kind="organisation")
            self.actors[actor.actor_id] = actor
            for n in actor.names():
                self._by_name.setdefault(name_key(n), actor.actor_id)
            return
        # A later file extends an actor it names: aliases are merged, given fields override.
        old = self.actors[existing]
        merged = replace(
            old,
            aliases=tuple(dict.fromkeys((*old.aliases, *(n for n in actor.names() if n != old.name)))),
            kind=actor.kind or old.kind,
            inter=actor.inter if actor.inter is not None else old.inter,
            country=actor.country or old.country,
            wikidata=actor.wikidata or old.wikidata,
            parent=actor.parent or old.parent,
        )
        # A QID given by a later file makes the id "wd:Q…", as for any actor with a QID.
        new_id = _actor_id(merged.name, merged.wikidata)
        if new_id != existing:
            del self.actors[existing]
            merged = replace(merged, actor_id=new_id)
            self._by_name = {k: (new_id if v == existing else v) for k, v in self._by_name.items()}
        self.actors[new_id] = merged
        for n in actor.names():
            self._by_name.setdefault(name_key(n), new_id)

    def _index(self) -> None:
        self._exact: dict[str, set[str]] = defaultdict(set)
        self._words: dict[str, set[str]] = defaultdict(set)
        self._by_canonical: dict[str, str] = {}
        for a in self.actors.values():
            self._by_canonical[a.name] = a.actor_id
            for n in a.names():
                self._exact[name_key(n)].add(a.actor_id)
                for w in name_words(n):
                    self._words[w[:4]].add(n)
        self._alias_owner: dict[str, set[str]] = defaultdict(set)
        for a in self.actors.values():
            for n in a.names():
                self._alias_owner[n].add(a.actor_id)

    @classmethod
    def load(cls, extra_files: Sequence[Path] = ()) -> ActorRegistry:
        """The bundled registry merged with `extra_files` (same schema). Cached per file list."""
        return _load(tuple(str(Path(p).resolve()) for p in extra_files))

    # -- queries ----------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.actors)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.actors.values())

    def get(self, actor_id: str) -> Actor | None:
        return self.actors.get(actor_id)

    def by_name(self, canonical: str) -> Actor | None:
        aid = self._by_canonical.get(canonical)
        return self.actors[aid] if aid else None

    def known_names(self) -> dict[str, str]:
        """Every name and alias -> canonical name: the `known` argument of `aliases.group_names`."""
        out: dict[str, str] = {}
        for a in sorted(self.actors.values(), key=lambda x: x.actor_id):
            for n in a.names():
                if len(self._exact[name_key(n)]) == 1:
                    out.setdefault(n, a.name)
        return out

    def ambiguous_aliases(self) -> dict[str, set[str]]:
        """Normalised aliases that name more than one actor (lookup returns None for them)."""
        return {k: v for k, v in self._exact.items() if len(v) > 1}

    def lookup(self, name: str) -> Actor | None:
        """Exact match on the normalised alias, then guarded fuzzy match; None when ambiguous."""
        if not name or not name.strip():
            return None
        generic = _GENERIC_NAME.match(name.strip())
        if generic:
            return self.generic(generic.group(1), generic.group(2))
        hits = self._exact.get(name_key(name))
        if hits:
            return self.actors[next(iter(hits))] if len(hits) == 1 else None
        core = strip_descriptors(name)
        if core != name:
            hits = self._exact.get(name_key(core))
            if hits:
                return self.actors[next(iter(hits))] if len(hits) == 1 else None
        words = name_words(name)
        if not words:
            return None
        candidates: set[str] = set()
        for w in words:
            candidates |= self._words.get(w[:4], set())
        found: set[str] = set()
        for alias in sorted(candidates):
            if same_entity(name, alias):
                found |= self._alias_owner[alias]
        return self.actors[next(iter(found))] if len(found) == 1 else None

    def state_force(self, country: str, branch: str = "Military") -> Actor | None:
        """The current "Military Forces of X (YYYY-)" (or `branch="Police"`) of an ISO2 country:
        the actor a bare country name codes as when it acts ("Russia struck Kharkiv"). Among
        several periods the open-ended one with the latest start year wins; sub-units
        ("... Air Force") never do."""
        prefix = f"{branch} Forces of"
        best: tuple[int, str] | None = None
        found: Actor | None = None
        for a in self.actors.values():
            if a.country != country.upper() or a.inter != 1 or a.parent or not a.name.startswith(prefix):
                continue
            period = _PERIOD.search(a.name)
            if period is None or period.group(2):
                continue  # no period, or a closed one ("(2000-2024)")
            key = (int(period.group(1)), a.actor_id)
            if best is None or key > best:
                best, found = key, a
        return found

    def acled_actor(self, actor: Actor) -> Actor | None:
        """The ACLED actor an entry codes as: itself when it has an inter code, else its nearest
        ancestor that has one (a brigade -> its army)."""
        seen: set[str] = set()
        cur: Actor | None = actor
        while cur is not None and cur.actor_id not in seen:
            if cur.inter is not None:
                return cur
            seen.add(cur.actor_id)
            cur = self.by_name(cur.parent) if cur.parent else None
        return None

    def country_name(self, country: str) -> str:
        """ACLED's spelling of a country name from ISO2 (or a name, returned in ACLED spelling)."""
        code = country.strip()
        if len(code) != 2:
            try:
                code = pycountry.countries.lookup(code).alpha_2
            except LookupError:
                return country.strip()
        code = code.upper()
        if code in self._country_names:
            return self._country_names[code]
        rec = pycountry.countries.get(alpha_2=code)
        if rec is None:
            return country.strip()
        return getattr(rec, "common_name", None) or rec.name

    def country_code(self, country: str) -> str | None:
        """ISO2 code of an ISO2 code or a country name (ACLED or ISO spelling); None if unknown."""
        text = country.strip()
        if len(text) == 2:
            return text.upper()
        by_acled = {n.lower(): c for c, n in self._country_names.items()}
        if text.lower() in by_acled:
            return by_acled[text.lower()]
        try:
            return pycountry.countries.lookup(text).alpha_2
        except LookupError:
            return None

    def generic(self, role: str, country: str | None) -> Actor:
        """ACLED's generic actors: "Civilians (Ukraine)", "Protesters (Russia)",
        "Rioters (Sudan)", "Unidentified Armed Group (Myanmar)"."""
        key = GENERIC_SYNONYMS.get(role.strip().lower(), role.strip().lower())
        if key not in GENERIC:
            raise ValueError(f"unknown generic actor role {role!r}; expected one of {sorted(GENERIC)}")
        base, kind, inter = GENERIC[key]
        iso2 = self.country_code(country) if country else None
        name = f"{base} ({self.country_name(country)})" if country else base
        return Actor(
            actor_id="tid:" + slug(name), name=name, aliases=(), kind=kind, inter=inter, country=iso2,
            wikidata=None,
        )

    def patterns(self) -> list[dict[str, Any]]:
        """spaCy EntityRuler patterns (phrase patterns, matched on LOWER) for every alias.

        `case_sensitive` marks one-word aliases and acronyms, which the mention layer only accepts
        when the text has the same letters and case ("AA" is not "aa"; "Mash" is not "mash").
        `descriptor` marks phrases that describe rather than name ("Russian troops").
        """
        out: list[dict[str, Any]] = []
        for a in sorted(self.actors.values(), key=lambda x: x.actor_id):
            label = a.label
            for n in a.names():
                if len(self._exact[name_key(n)]) > 1:
                    continue  # an alias shared by two actors is no evidence for either
                for variant in _quote_variants(n):
                    out.append(
                        {"label": label, "pattern": variant, "id": a.actor_id,
                         "case_sensitive": _case_sensitive(variant), "descriptor": _descriptor(variant)}
                    )
        return out


def _case_sensitive(alias: str) -> bool:
    return " " not in alias.strip() or alias.upper() == alias


def _descriptor(alias: str) -> bool:
    """A phrase that describes an actor rather than naming it: its last word is a common noun
    ("Russian troops", "Iraqi authorities", "Tass news agency")."""
    words = alias.split()
    return len(words) > 1 and words[-1].isalpha() and words[-1].islower()


def _quote_variants(alias: str) -> list[str]:
    out = [alias]
    if "'" in alias:
        out.append(alias.replace("'", "\u2019"))
    if '"' in alias:
        out.append(alias.replace('"', "\u201c", 1).replace('"', "\u201d", 1))
    return out


def _country_overrides() -> dict[str, str]:
    raw = yaml.safe_load(resources.files("tidings.data").joinpath("actors_names.yaml").read_text("utf-8"))
    return {str(k).upper(): str(v) for k, v in (raw.get("acled_country_names") or {}).items()}


@lru_cache(maxsize=8)
def _load(extra: tuple[str, ...]) -> ActorRegistry:
    actors: list[Actor] = []
    for f in _default_files():
        entries = _read(f)
        if entries is None:
            continue
        actors.extend(_parse_entry(e, f.name) for e in entries)
    for p in extra:
        entries = _read(Path(p))
        if entries is None:
            raise ValueError(f"{p}: an actor registry file needs a top-level `actors:` list")
        actors.extend(_parse_entry(e, p) for e in entries)
    return ActorRegistry(actors, _country_overrides())


__all__ = ["Actor", "ActorRegistry", "normalise_name", "slug"]
