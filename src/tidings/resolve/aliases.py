"""Deciding when two surface names refer to the same entity, and grouping names into entities.

Names are compared word by word after normalisation (accent folding, case, stop words,
spelling variants and letter rules from `data/actors_names.yaml`). Guards keep a short name
from matching inside a long one: "Russia" is never the same as "Freedom of Russia Legion".

Grouping rule (deterministic and independent of input order): names are linked when
`same_entity` holds or when `known` maps them to the same canonical name; each group's canonical
name is the `known` canonical its members carry (most frequent, ties alphabetical), otherwise the
most frequent member name, ties broken by the longest, then alphabetical.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml
from rapidfuzz import fuzz

from tidings.records import Mention


@dataclass(frozen=True)
class NameRules:
    stopwords: frozenset[str]
    honorifics: frozenset[str]
    variants: dict[str, str]
    letter_rules: tuple[tuple[re.Pattern[str], str], ...]
    fuzzy_word_ratio: float
    fuzzy_min_len: int
    generic_words: frozenset[str]


@lru_cache(maxsize=1)
def rules() -> NameRules:
    raw: dict[str, Any] = yaml.safe_load(
        resources.files("tidings.data").joinpath("actors_names.yaml").read_text(encoding="utf-8")
    )
    return NameRules(
        stopwords=frozenset(str(w) for w in raw.get("stopwords", [])),
        honorifics=frozenset(str(w) for w in raw.get("honorifics", [])),
        variants={str(k): str(v) for k, v in (raw.get("variants") or {}).items()},
        letter_rules=tuple((re.compile(a), b) for a, b in raw.get("letter_rules", [])),
        fuzzy_word_ratio=float(raw.get("fuzzy_word_ratio", 90)),
        fuzzy_min_len=int(raw.get("fuzzy_min_len", 6)),
        generic_words=frozenset(_skeleton_raw(str(w), raw) for w in raw.get("generic_words", [])),
    )


def _skeleton_raw(word: str, raw: dict[str, Any]) -> str:
    """The letter-folded form of a configuration word (rules() is not built yet)."""
    word = (raw.get("variants") or {}).get(word, word)
    for a, b in raw.get("letter_rules", []):
        word = re.sub(a, b, word)
    return word


@lru_cache(maxsize=1)
def _descriptors() -> tuple[tuple[tuple[str, ...], ...], frozenset[str], tuple[str, ...], frozenset[str]]:
    raw: dict[str, Any] = yaml.safe_load(
        resources.files("tidings.data").joinpath("actors_names.yaml").read_text(encoding="utf-8")
    )
    nouns = tuple(sorted((tuple(str(n).split()) for n in raw.get("descriptor_nouns", [])), key=len, reverse=True))
    return (
        nouns,
        frozenset(str(p) for p in raw.get("descriptor_prefixes", [])),
        tuple(str(x) for x in raw.get("descriptor_prefix_suffixes", [])),
        frozenset(str(x) for x in raw.get("descriptor_adjectives", [])),
    )


def strip_descriptors(name: str) -> str:
    """"Iran-backed Hezbollah fighters" -> "Hezbollah": drop describing words around a name.

    Only lower-case words (and listed describing adjectives such as "Islamist") are dropped, and
    never all of them, so "Rapid Support Forces" keeps its capitalised "Forces" while "RSF forces"
    loses the lower-case one.
    """
    nouns, prefixes, suffixes, adjectives = _descriptors()
    words = name.split()
    changed = True
    while changed and len(words) > 1:
        changed = False
        low = [w.lower() for w in words]
        if low[0] in ("the", "a", "an") or low[0] in adjectives or low[0] in prefixes and words[0].islower() or (
            "-" in words[0] and any(low[0].endswith(x) for x in suffixes)
        ):
            words, changed = words[1:], True
            continue
        for n in nouns:
            if len(words) > len(n) and tuple(words[-len(n):]) == n:
                words, changed = words[: -len(n)], True
                break
    return " ".join(words)


_QUOTES = str.maketrans({c: "'" for c in "\u2018\u2019\u02bc\u02bb`\u00b4"})
_POSSESSIVE = re.compile(r"'s\b|(?<=s)'(?=\s|$)")
_SPLIT = re.compile(r"[^0-9a-z]+")


def fold(text: str) -> str:
    """Lower-case ASCII-ish form: accents removed, curly quotes straightened."""
    text = unicodedata.normalize("NFKD", text.translate(_QUOTES))
    return "".join(c for c in text if not unicodedata.combining(c)).lower()


def _skeleton(word: str) -> str:
    r = rules()
    word = r.variants.get(word, word)
    for pattern, repl in r.letter_rules:
        word = pattern.sub(repl, word)
    return word


@lru_cache(maxsize=65536)
def name_words(name: str) -> tuple[str, ...]:
    """The comparable words of a name, in order (stop words and honorifics removed)."""
    r = rules()
    text = _POSSESSIVE.sub("", fold(name))
    words = [w for w in _SPLIT.split(text) if w]
    kept = [w for w in words if w not in r.stopwords and w not in r.honorifics]
    # A name made only of stop words ("The") keeps them rather than vanishing.
    return tuple(_skeleton(w) for w in (kept or words))


def normalise_name(name: str) -> str:
    """A comparison key: equal keys mean the same name up to spelling and word order of stop words."""
    return " ".join(name_words(name))


def name_key(name: str) -> str:
    """Order-free key: "Legion 'Freedom of Russia'" and "Freedom of Russia Legion" share it."""
    return " ".join(sorted(name_words(name)))


def same_word(a: str, b: str) -> bool:
    if a == b:
        return True
    r = rules()
    if min(len(a), len(b)) < r.fuzzy_min_len or a[0] != b[0]:
        return False
    return fuzz.ratio(a, b) >= r.fuzzy_word_ratio


def _align(short: Sequence[str], long: Sequence[str]) -> bool:
    """Every word of `short` matches a distinct word of `long` (greedy, exact matches first)."""
    free = list(long)
    pending = []
    for w in short:
        if w in free:
            free.remove(w)
        else:
            pending.append(w)
    for w in pending:
        hit = next((f for f in free if same_word(w, f)), None)
        if hit is None:
            return False
        free.remove(hit)
    return True


def _subsequence(short: Sequence[str], long: Sequence[str]) -> bool:
    i = 0
    for w in long:
        if i < len(short) and same_word(short[i], w):
            i += 1
    return i == len(short)


_ACRONYM = re.compile(r"^[A-Z][A-Z0-9]{2,5}$")


def _acronym_of(acronym: str, name: str) -> bool:
    words = name_words(name)
    raw = [w for w in _SPLIT.split(fold(name)) if w]
    initials = {"".join(w[0] for w in words)}
    # Initials over the raw words except articles/prepositions ("HTS" = Hayat Tahrir al-Sham).
    initials.add("".join(w[0] for w in raw if w not in {"of", "the", "for", "and", "al", "el"}))
    return len(words) >= 3 and acronym.lower() in initials


_PARTICLES = frozenset({"al", "el", "bin", "ibn", "bint", "von", "van", "der", "de", "da", "du", "la", "le", "ben", "abu"})


def _proper(name: str) -> bool:
    """Every word capitalised, apart from name particles ("Abdel Fattah al-Burhan")."""
    for word in re.split(r"[\s-]+", name.strip()):
        if word and word[0].isalpha() and not word[0].isupper() and word.lower() not in _PARTICLES:
            return False
    return True


def same_entity(a: str, b: str) -> bool:
    """True when two names plausibly name the same entity.

    Rules, in order: equal normalised words in any order; words that align one to one with
    fuzzy word matching (same count); a full name and the same name with extra middle words
    ("Yevgeny Viktorovich Prigozhin"), only when both have at least two words, share first and
    last words and contain no generic organisation word ("International Energy Agency" is not the
    "International Atomic Energy Agency"); an acronym of three or more letters against the initials of a 3+ word name.
    A one-word name never matches inside a longer name.
    """
    wa, wb = name_words(a), name_words(b)
    if not wa or not wb:
        return False
    if sorted(wa) == sorted(wb):
        return True
    a_s, b_s = a.strip(), b.strip()
    if _ACRONYM.match(a_s) and len(wb) > 1:
        return _acronym_of(a_s, b_s)
    if _ACRONYM.match(b_s) and len(wa) > 1:
        return _acronym_of(b_s, a_s)
    if len(wa) == len(wb):
        return _align(wa, wb)
    short, long = (wa, wb) if len(wa) < len(wb) else (wb, wa)
    if len(short) < 2 or any(w in rules().generic_words for w in long) or not (_proper(a) and _proper(b)):
        return False
    return (
        same_word(short[0], long[0]) and same_word(short[-1], long[-1]) and _subsequence(short, long)
    )


class _UnionFind:
    def __init__(self, items: Iterable[str]) -> None:
        self.parent = {i: i for i in items}

    def find(self, x: str) -> str:
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            # The smaller root wins so the structure does not depend on call order.
            lo, hi = sorted((ra, rb))
            self.parent[hi] = lo


def _blocks(names: Iterable[str]) -> dict[str, list[str]]:
    """Candidate blocks: names sharing a word prefix, or an acronym and the initials it could be."""
    blocks: dict[str, list[str]] = defaultdict(list)
    for n in names:
        words = name_words(n)
        for w in set(words):
            blocks["w:" + w[:4]].append(n)
        if _ACRONYM.match(n.strip()):
            blocks["a:" + n.strip().lower()].append(n)
        elif len(words) >= 3:
            blocks["a:" + "".join(w[0] for w in words)].append(n)
            raw = [w for w in _SPLIT.split(fold(n)) if w and w not in {"of", "the", "for", "and", "al", "el"}]
            blocks["a:" + "".join(w[0] for w in raw)].append(n)
    return blocks


def group_names(names: Iterable[str] | Mapping[str, int], known: Mapping[str, str] | None = None) -> dict[str, str]:
    """Map every name to the canonical name of its group (see the module docstring for the rule). `names`
    lists every occurrence, or maps each name to how often it occurs."""
    occurrences = names.items() if isinstance(names, Mapping) else Counter(names).items()
    counts = Counter({n: c for n, c in occurrences if n and n.strip()})
    # Known canonical names join as members of their own group, so a new spelling of a known
    # entity ("Russian Volunteer Corp") links to it even when none of its known aliases is present.
    known = {**{c: c for c in (known or {}).values()}, **dict(known or {})}
    items = set(counts) | set(known.values())
    uf = _UnionFind(items)
    # Names already known to share a canonical form are linked directly.
    by_canonical: dict[str, list[str]] = defaultdict(list)
    for n in sorted(items):
        if n in known:
            by_canonical[known[n]].append(n)
    for members in by_canonical.values():
        for m in members[1:]:
            uf.union(members[0], m)
    # Full names first; an acronym then joins a group only when every name it abbreviates is in
    # that one group ("SNA" stays alone beside both the Syrian and the Somali National Army).
    acronym_hits: dict[str, set[str]] = defaultdict(set)
    for block in _blocks(items).values():
        uniq = sorted(set(block))
        for i, x in enumerate(uniq):
            for y in uniq[i + 1 :]:
                if uf.find(x) == uf.find(y) or not same_entity(x, y):
                    continue
                x_acr, y_acr = bool(_ACRONYM.match(x.strip())), bool(_ACRONYM.match(y.strip()))
                if x_acr != y_acr:
                    acronym_hits[x if x_acr else y].add(y if x_acr else x)
                else:
                    uf.union(x, y)
    for acronym in sorted(acronym_hits):
        roots = {uf.find(n) for n in acronym_hits[acronym]}
        if len(roots) == 1:
            uf.union(acronym, next(iter(acronym_hits[acronym])))
    groups: dict[str, list[str]] = defaultdict(list)
    for n in items:
        groups[uf.find(n)].append(n)
    out: dict[str, str] = {}
    for all_members in groups.values():
        members = [m for m in all_members if m in counts]
        if not members:
            continue
        canon_votes = Counter(known[m] for m in all_members if m in known and (m in counts or m == known[m]))
        if canon_votes:
            canonical = sorted(canon_votes.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
        else:
            canonical = sorted(members, key=lambda m: (-counts[m], -len(m), m))[0]
        for m in members:
            out[m] = canonical
    return out


def surname_links(mentions: list[Mention]) -> dict[int, int]:
    """Within one document, link each one-word PERSON mention to the full name it abbreviates.

    The link goes to the nearest preceding multi-word PERSON mention whose last word matches; when
    the full name only comes later (headlines, leads), the first following one is used.
    Keys and values are indices into `mentions`.
    """
    persons = [(i, m) for i, m in enumerate(mentions) if m.label == "PERSON"]
    full = [(i, name_words(m.text)) for i, m in persons if len(name_words(m.text)) >= 2]
    links: dict[int, int] = {}
    for i, m in persons:
        words = name_words(m.text)
        if len(words) != 1:
            continue
        before = [j for j, fw in full if j < i and same_word(words[0], fw[-1])]
        after = [j for j, fw in full if j > i and same_word(words[0], fw[-1])]
        if before:
            links[i] = before[-1]
        elif after:
            links[i] = after[0]
    return links
