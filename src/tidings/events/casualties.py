"""Casualty counts from a sentence, following ACLED's conservative coding.

`parse_casualties` links each casualty word ("killed", "wounded", "death toll") to the head count it
governs - the object of an active verb ("killing two") or the subject of a passive/nominal one ("two
people were killed", "3 dead") - and sums distinct counts. Unknown stays None, never 0; an explicit
"no casualties" is 0. Counts inside "including ..." appositions are subsets and are not added again.
Values for vague words ("dozens" -> 12) live in data/numbers.yaml.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

_TOKEN = re.compile(
    r"\d[\d,]*(?:\.\d+)?(?:-[A-Za-z]+(?:-[A-Za-z]+)*)?|[A-Za-z]+(?:['’-][A-Za-z]+)*|[^\sA-Za-z\d]"
)
# The words of _TOKEN's third kind, found without building tokens: a superset of those _TOKEN finds (a word
# after a number and a hyphen is part of the number's token there), for a quick test of whether any is a
# casualty word.
_WORDS = re.compile(r"[A-Za-z]+(?:['’-][A-Za-z]+)*")
_STOPPERS = {
    ".",
    ";",
    ":",
    "?",
    "!",
    "(",
    ")",
    "[",
    "]",
    "but",
    "while",
    "whereas",
    "after",
    "before",
    "when",
}


# No news sentence counts more dead or wounded than this; bigger numbers are not head counts, and the
# ledger's fatalities/injuries columns are 32-bit INTEGERs that a sum of unbounded numbers would overflow.
MAX_COUNT = 10_000_000


@lru_cache(maxsize=1)
def _lexicon() -> dict[str, Any]:
    text = resources.files("tidings.data").joinpath("numbers.yaml").read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    cw = data["casualty_words"]
    data["_fatal"] = set(cw["fatal"])
    data["_injury"] = set(cw["injury"])
    data["_both"] = set(cw["both"])
    data["_casualty"] = data["_fatal"] | data["_injury"] | data["_both"]
    data["_active"] = set(cw["active"])
    data["_aux"] = set(cw["passive_aux"])
    data["_persons"] = {p.lower() for p in data["person_nouns"]}
    data["_nonfollow"] = {w.lower() for w in data["non_count_followers"]}
    data["_nonprecede"] = {w.lower() for w in data["non_count_preceders"]}
    data["_vague"] = sorted(((k.split(), v) for k, v in data["vague"].items()), key=lambda kv: -len(kv[0]))
    data["_quals"] = sorted((q.split() for q in data["qualifiers"]), key=len, reverse=True)
    # Indexed by first word: the scanner tries only the phrases that can start at a token.
    vague_first: dict[str, list[tuple[list[str], int]]] = {}
    for words, v in data["_vague"]:
        vague_first.setdefault(words[0], []).append((words, v))
    quals_first: dict[str, list[list[str]]] = {}
    for q in data["_quals"]:
        quals_first.setdefault(q[0], []).append(q)
    data["_vague_first"] = vague_first
    data["_quals_first"] = quals_first
    return data


@dataclass
class _Tok:
    text: str
    low: str
    start: int
    end: int


@dataclass
class _Num:
    i: int  # first token (qualifiers included)
    j: int  # one past the last token
    value: int


def _tokens(text: str) -> list[_Tok]:
    return [_Tok(m.group(), m.group().lower(), m.start(), m.end()) for m in _TOKEN.finditer(text)]


def _word_value(words: list[str]) -> int | None:
    """Value of a run of number words like ['twenty', 'two'] or ['one', 'hundred', 'and', 'five']."""
    lex = _lexicon()
    total, current, seen = 0, 0, False
    for w in words:
        for part in w.split("-"):
            if part == "and" and seen:
                continue
            if part in lex["units"] and part not in ("a", "an", "no", "none", "both", "pair", "single"):
                current += lex["units"][part]
            elif part in lex["tens"]:
                current += lex["tens"][part]
            elif part in lex["scales"]:
                scale = lex["scales"][part]
                current = max(current, 1) * scale
                if scale >= 1000:
                    total, current = total + current, 0
            else:
                return None
            seen = True
    value = total + current
    return value if seen and value <= MAX_COUNT else None


def _is_numword(w: str) -> bool:
    lex = _lexicon()
    parts = w.split("-")
    return all(p in lex["units"] or p in lex["tens"] or p in lex["scales"] for p in parts) and w not in (
        "a",
        "an",
        "no",
        "none",
        "both",
        "pair",
        "single",
    )


def _digit_value(tok: str) -> int | None:
    m = re.match(r"(\d[\d,]*)(?:\.\d+)?$", tok)
    if not m:
        return None
    digits = m.group(1).replace(",", "")
    # The length test first: int() refuses over 4300 digits, and anything over MAX_COUNT is no head count.
    return int(digits) if digits.isdigit() and len(digits) <= 8 and int(digits) <= MAX_COUNT else None


def _match_seq(toks: list[_Tok], i: int, seq: list[str]) -> bool:
    return i + len(seq) <= len(toks) and all(toks[i + k].low == s for k, s in enumerate(seq))


def _numbers(toks: list[_Tok]) -> list[_Num]:
    """Head-count number phrases, with their qualifiers, in token order."""
    lex = _lexicon()
    out: list[_Num] = []
    i = 0
    while i < len(toks):
        start = i
        for q in lex["_quals_first"].get(toks[i].low, ()):
            if _match_seq(toks, i, q):
                i += len(q)
                break
        value: int | None = None
        j = i
        if i < len(toks):
            low = toks[i].low
            for words, v in lex["_vague_first"].get(low, ()):
                if _match_seq(toks, i, words):
                    value, j = v, i + len(words)
                    if j < len(toks) and toks[j].low == "of":
                        j += 1
                    break
            if value is None:
                if low in ("no", "nobody") or (low == "none" and not _match_seq(toks, i + 1, ["of"])):
                    value, j = 0, i + 1
                    if low == "no" and j < len(toks) and toks[j].low == "one":
                        j += 1
                elif _digit_value(low) is not None and "-" not in low:
                    value, j = _digit_value(low), i + 1
                elif _is_numword(low):
                    k = i
                    while k < len(toks) and (
                        _is_numword(toks[k].low)
                        or (
                            toks[k].low == "and"
                            and k > i
                            and k + 1 < len(toks)
                            and _is_numword(toks[k + 1].low)
                        )
                    ):
                        k += 1
                    value, j = _word_value([t.low for t in toks[i:k]]), k
                elif low in ("a", "an", "one", "single"):
                    # "a man" is one person; "a 29-year-old woman" too. Anything else is an article.
                    for k in range(i + 1, min(i + 4, len(toks))):
                        if toks[k].low in lex["_persons"]:
                            value, j = 1, k + 1
                            break
        if value is None:
            i = start + 1
            continue
        follower = toks[j].low if j < len(toks) else ""
        prev = toks[start - 1].low if start > 0 else ""
        is_date = prev in lex["_nonfollow"] or (
            value >= 1900 and value <= 2100 and follower not in lex["_persons"]
        )
        # "battalion 101 was hit": a label. Only digits after such words; "and two soldiers" still counts.
        is_label = (
            start == i
            and prev in lex["_nonprecede"]
            and toks[i].low[:1].isdigit()
            and prev not in ("and", "of", "to", "from", "since", "until")
        )
        is_age = "-" in toks[j - 1].low and toks[j - 1].low[:1].isdigit()
        if follower in lex["_nonfollow"] or is_date or is_age or is_label:
            i = j
            continue
        out.append(_Num(start, j, value))
        i = j
    return out


def parse_number(phrase: str) -> int | None:
    """Value of a number phrase: "at least 12", "twenty-two", "dozens", "1,200", "a dozen". None if not one."""
    toks = _tokens(phrase.strip())
    lex = _lexicon()
    i = 0
    for q in lex["_quals"]:
        if _match_seq(toks, 0, q):
            i = len(q)
            break
    if i >= len(toks):
        return None
    for words, v in lex["_vague"]:
        if _match_seq(toks, i, words):
            return int(v)
    low = toks[i].low
    if _digit_value(low) is not None:
        return _digit_value(low)
    if low in ("no", "none", "zero", "nobody"):
        return 0
    if low in ("a", "an") and i + 1 < len(toks) and toks[i + 1].low in ("dozen",):
        return 12
    words = []
    for t in toks[i:]:
        if _is_numword(t.low) or (t.low == "and" and words):
            words.append(t.low)
        else:
            break
    while words and words[-1] == "and":
        words.pop()
    if words:
        return _word_value(words)
    if low in ("a", "an", "single"):
        return 1
    return None


def _subset_mask(toks: list[_Tok]) -> set[int]:
    """Token indexes inside "including ..." / "among them ..." appositions (subsets of a count)."""
    masked: set[int] = set()
    for i, t in enumerate(toks):
        if t.low in ("including", "among") or (
            t.low == "of" and i + 1 < len(toks) and toks[i + 1].low == "whom"
        ):
            k = i + 1
            while k < len(toks) and toks[k].low not in (",", ";", ".", ")", "]", "were", "was", "and"):
                masked.add(k)
                k += 1
            # "including three children and four soldiers": keep masking across "and" + number.
            while (
                k < len(toks)
                and toks[k].low == "and"
                and k + 1 < len(toks)
                and (_digit_value(toks[k + 1].low) is not None or _is_numword(toks[k + 1].low))
            ):
                k += 1
                while k < len(toks) and toks[k].low not in (",", ";", ".", ")", "]", "were", "was", "and"):
                    masked.add(k)
                    k += 1
    return masked


@dataclass
class _Link:
    kind: str  # fatal | injury | both | toll
    value: int
    start: int
    end: int
    num_i: int


def _links(text: str) -> list[_Link]:
    lex = _lexicon()
    casualty = lex["_casualty"]
    if casualty.isdisjoint(map(str.lower, _WORDS.findall(text))) and "toll" not in text.lower():
        return []  # every link hangs on a casualty word: most sentences have none
    toks = _tokens(text)
    nums = _numbers(toks)
    masked = _subset_mask(toks)
    by_start = {n.i: n for n in nums}
    by_end = {n.j - 1: n for n in nums}
    links: list[_Link] = []
    used: set[int] = set()
    for k, t in enumerate(toks):
        low = t.low
        kind = (
            "fatal"
            if low in lex["_fatal"]
            else "injury"
            if low in lex["_injury"]
            else "both"
            if low in lex["_both"]
            else "toll"
            if low == "toll"
            else None
        )
        if kind is None:
            continue
        if (
            low in ("body", "bodies")
            and not _match_seq(toks, k + 1, ["of"])
            and not (k > 0 and toks[k - 1].low in ("the", "dead", "more"))
            and not any(
                _match_seq(toks, k + 1, w.split())
                for w in ("were found", "was found", "were recovered", "were discovered", "found")
            )
        ):
            continue
        found: _Num | None = None
        prev = toks[k - 1].low if k > 0 else ""
        if low in ("killing", "killings", "death") and prev in (
            "the",
            "a",
            "with",
            "following",
            "after",
            "for",
            "over",
            "of",
            "against",
            "in",
            "his",
            "her",
        ):
            # A nominal mention ("charged with the killing of", "after the death of") unless it gives a count.
            n = by_start.get(k + 2) if _match_seq(toks, k + 1, ["of"]) else None
            if n is None or n.i in used:
                continue
            used.add(n.i)
            links.append(_Link("fatal", n.value, t.start, toks[n.j - 1].end, n.i))
            continue
        if kind == "toll":
            for n in nums:
                if k < n.i <= k + 6 and n.i not in masked:
                    found = n
                    break
            kind = "fatal_toll"
        elif low in lex["_active"] and prev not in lex["_aux"] and not (k > 0 and (k - 1) in by_end):
            # Active verb: its object is the count ("killing at least two people").
            for off in (1, 2):
                n = by_start.get(k + off)
                if n is not None and (off == 1 or toks[k + 1].low in ("off", "at", "about", "around")):
                    found = n
                    break
            if (
                found is None
                and k + 2 < len(toks)
                and toks[k + 1].low in ("a", "an")
                and toks[k + 2].low
                not in (
                    "total",
                    "number",
                    "few",
                    "dozen",
                    "couple",
                    "handful",
                    "lot",
                    "result",
                    "series",
                )
                and (k + 1) not in masked
                and toks[k + 2].text[:1].isalpha()
            ):
                # "killed a Fulani pastoralist": the object of an active casualty verb is one person.
                found = _Num(k + 1, k + 3, 1)
        if found is None and kind != "fatal_toll":
            # Subject or modifier: the nearest count before, not past another casualty word or clause break.
            for b in range(k - 1, max(-1, k - 12), -1):
                bt = toks[b].low
                if bt in casualty or bt in _STOPPERS:
                    break
                n = by_end.get(b)
                if n is not None and b not in masked:
                    found = n
                    break
        if found is None or found.i in used:
            continue
        used.add(found.i)
        links.append(
            _Link(
                kind,
                found.value,
                min(toks[found.i].start, t.start),
                max(toks[found.j - 1].end, t.end),
                found.i,
            )
        )
    return links


@lru_cache(maxsize=8192)  # the two passes over a document parse the same sentences; the result is immutable
def parse_casualties(sentence: str) -> tuple[int | None, int | None, str | None]:
    """(fatalities, injuries, verbatim phrase) reported in a sentence or short passage.

    None means not reported; 0 means reported as none ("no casualties"). The phrase is the exact
    substring covering every count used.
    """
    links = _links(sentence)
    if not links:
        return None, None, None
    fatal = [lk.value for lk in links if lk.kind in ("fatal", "both")]
    tolls = [lk.value for lk in links if lk.kind == "fatal_toll"]
    injury = [lk.value for lk in links if lk.kind == "injury" or (lk.kind == "both" and lk.value == 0)]
    # "N casualties" mixes dead and wounded: only its zero is informative about fatalities.
    fatal = [
        v
        for lk, v in zip([lk for lk in links if lk.kind in ("fatal", "both")], fatal, strict=True)
        if lk.kind == "fatal" or v == 0
    ]
    fatalities: int | None = min(sum(fatal), MAX_COUNT) if fatal else None
    if tolls:
        fatalities = max(max(tolls), fatalities or 0)
    injuries: int | None = min(sum(injury), MAX_COUNT) if injury else None
    used = [lk for lk in links if (lk.kind != "both" or lk.value == 0)]
    if not used:
        return None, None, None
    start = min(lk.start for lk in used)
    end = max(lk.end for lk in used)
    return fatalities, injuries, sentence[start:end]
