"""The date lexicon (data/dates.yaml) and the candidate-finding regexes built from it.

Everything is compiled once per process; `find_dates` only runs these regexes and resolves
what they find, so the per-document cost stays a handful of linear scans.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

from tidings.events.literals import Scan

YEAR = r"(?:1[89]\d\d|20\d\d)"


@dataclass(frozen=True)
class Lexicon:
    months: dict[str, int]  # lower-cased full names and abbreviations -> month number
    weekdays: dict[str, int]  # lower-cased names and abbreviations -> Monday=0
    parts_of_day: dict[str, str]
    deictic_days: dict[str, tuple[int, str | None]]  # normalised phrase -> (offset, part of day)
    modifiers: dict[str, tuple[int, int]]
    seasons: dict[str, str]
    season_start: dict[str, int]
    numbers: dict[str, int]
    ordinals: dict[str, int]
    month_cues: frozenset[str]
    references: dict[str, str]  # normalised phrase -> TimeML value
    weekday_blockers: frozenset[str]
    year_blockers: frozenset[str]
    year_prev_blockers: frozenset[str]
    future_cue: re.Pattern[str]
    future_words: frozenset[str]  # single words of the future cues ("scheduled" is not a past tense)
    forward_prepositions: frozenset[str]
    past_verbs: frozenset[str]
    future_weight: float
    holidays: dict[str, tuple[int, int] | str]  # lower-cased name -> (month, day) or a rule name
    patterns: tuple[tuple[str, re.Pattern[str]], ...]  # (kind, regex), most specific first
    scan: Scan  # the patterns, each tried only where one of its matches may start


def _alt(words: list[str]) -> str:
    """A regex alternation, longest first so that "March" wins over "Mar"."""
    return "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in sorted(words, key=len, reverse=True))


def _cased(words: list[str]) -> list[str]:
    # Names count as dates only when Capitalised or UPPER: "may" and "march" are not months.
    return [v for w in words for v in (w, w.upper())]


def _build_patterns(data: dict[str, Any]) -> tuple[tuple[str, re.Pattern[str]], ...]:
    month = rf"(?:{_alt(_cased(list(data['months'])))}|(?:{_alt(_cased(list(data['month_abbreviations'])))})(?!\w)\.?)"
    month_full = rf"(?:{_alt(_cased(list(data['months'])))})"
    wd_full = rf"(?:{_alt(_cased(list(data['weekdays'])))})"
    wd_any = rf"(?:{wd_full}|(?:{_alt(_cased(list(data['weekday_abbreviations'])))})(?!\w)\.?)"
    day = r"(?:3[01]|[12]\d|0?[1-9])"
    rel = r"(?i:this\s+past|this\s+coming|last|this|next|past|coming)"
    mod = r"(?i:early|mid|middle|late|(?:the\s+)?(?:end|beginning|start|middle)\s+of)"
    pod = rf"(?i:{_alt(list(data['parts_of_day']))})"
    numbers = _alt(list(data["number_words"]) + ["a few", "a couple of", "couple of", "several"])
    ordinals = _alt(list(data["ordinals"]))
    deictic = _alt(list(data["deictic_days"]))
    refs = _alt([p for phrases in data["references"].values() for p in phrases])
    holidays = _alt(list(data["holidays"])).replace("'", "['’]")
    not_clock = r"(?!\d|:|\s*(?:%|percent|[ap]\.?m\b))"
    specs = [
        ("iso", rf"(?<![\w/.-])(?P<y>{YEAR})-(?P<m>0[1-9]|1[0-2])-(?P<d>0[1-9]|[12]\d|3[01])(?!\d|-\d)"),
        ("numeric", rf"(?<![\w/.,-])(?P<a>\d{{1,2}})(?P<sep>[/.])(?P<b>\d{{1,2}})(?P=sep)(?P<y>{YEAR}|\d\d)(?![\w/]|\.\d)"),
        ("mdy", rf"(?:(?<!\w)(?P<wd>{wd_any}),?\s+)?(?<!\w)(?P<mon>{month})\s+(?P<d>{day})(?:st|nd|rd|th)?{not_clock}"
                rf"(?:,?\s+(?P<y>{YEAR})(?!\d))?"),
        ("dmy", rf"(?:(?<!\w)(?P<wd>{wd_any}),?\s+)?(?<![\w/.,])(?P<d>{day})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<mon>{month})"
                rf"(?!\w)(?:,?\s+(?P<y>{YEAR})(?!\d))?"),
        ("month_year", rf"(?:(?<!\w)(?P<mod>{mod})[\s-]+)?(?<!\w)(?P<mon>{month})(?:,?\s+|\s+of\s+)(?P<y>{YEAR})(?!\d)"),
        ("month", rf"(?:(?<!\w)(?P<mod>{mod})[\s-]+)?(?:(?<!\w)(?P<rel>{rel})\s+)?(?<!\w)(?P<mon>{month_full})(?!\w)"),
        ("weekday", rf"(?:(?<!\w)(?P<mod>(?i:early|late|later|earlier))\s+(?:(?i:on)\s+)?)?"
                    rf"(?:(?<!\w)(?P<rel>{rel})\s+)?(?<!\w)(?P<wd>{wd_full})(?!\w)(?:\s+(?P<pod>{pod})(?!\w))?"),
        ("deictic", rf"(?:(?<!\w)(?P<mod>(?i:early|late|later|earlier))\s+)?(?<!\w)(?P<deic>(?i:{deictic}))(?!\w)"
                    rf"(?:\s+(?P<pod>{pod})(?!\w))?"),
        ("unit", r"(?:(?<!\w)(?P<mod>(?i:earlier|later|early|late|mid|(?:the\s+)?(?:end|beginning|start|middle)\s+of))"
                 r"[\s-]+)?(?<!\w)(?P<rel>(?i:this\s+past|this\s+coming|the\s+past|the\s+last|the\s+previous|"
                 r"the\s+following|the\s+coming|the\s+current|this|last|next|past|previous|coming|current|the))\s+"
                 r"(?:(?i:fiscal)\s+)?(?P<unit>(?i:weekend|week|month|year|decade|century))(?!\w)"),
        ("ago", rf"(?<!\w)(?P<n>\d{{1,3}}|(?i:{numbers}))\s+(?P<unit>(?i:days?|weeks?|months?|years?|decades?))\s+(?i:ago)(?!\w)"),
        ("decade", r"(?:(?<!\w)(?P<the>(?i:the))\s+)?(?:(?P<mod>(?i:early|mid|late))[\s-]+)?(?<![\w-])"
                   r"(?P<dec>(?:1[89]|20)\d0|[’']\d0)[’']?s(?!\w)"),
        ("century", r"(?<!\w)(?P<ord>\d{1,2}(?:st|nd|rd|th)|(?i:nineteenth|twentieth|twenty[-\s]first|eighteenth))"
                    r"[\s-]+(?i:century)(?!\w)"),
        ("quarter", rf"(?:(?<!\w)(?P<the>(?i:the))\s+)?(?:(?P<rel>(?i:latest|last|this|next|current|previous|"
                    rf"year-ago|year-earlier))\s+)?(?:(?P<y0>{YEAR})\s+)?(?:(?i:fiscal)[\s-]+)?"
                    rf"(?<!\w)(?P<ord>(?i:{ordinals}))[\s-]+(?i:quarter)(?!\w)(?:\s+of\s+(?:(?i:fiscal)\s+)?(?P<y>{YEAR})(?!\d))?"),
        # Business reporting: "the latest quarter", "the year-ago period". A bare "the quarter" is not
        # taken: in conflict news it is as often a district of a city.
        ("fiscal_period", r"(?:(?<!\w)(?i:the)\s+)?(?<!\w)(?P<rel>(?i:latest|current|most\s+recent|year-ago|"
                          r"year-earlier|year\s+ago|comparable|corresponding))\s+(?:(?i:fiscal)\s+)?"
                          r"(?P<unit>(?i:quarter|period))(?!\w)(?:\s+(?P<ago>(?i:a\s+year\s+(?:ago|earlier)|last\s+year)))?"),
        ("season", rf"(?:(?<!\w)(?P<the>(?i:the))\s+)?(?:(?P<mod>(?i:early|late|mid))[\s-]+)?(?:(?<!\w)(?P<rel>{rel})\s+)?"
                   rf"(?<!\w)(?P<s>(?i:spring|summer|fall|autumn|winter))(?!\w)(?:\s+(?:of\s+)?(?P<y>{YEAR})(?!\d))?"),
        ("holiday", rf"(?<!\w)(?P<hol>{holidays})(?!\w)"),
        ("year", rf"(?:(?<!\w)(?:(?P<mod>{mod})[\s-]+|(?i:fiscal)\s+))?(?<![\w$£€#/.,:’'])(?P<y>{YEAR})"
                 r"(?![\w%’']|[.,:/]\d|\s*percent)"),
        ("ref", rf"(?<![\w-])(?P<ref>(?i:{refs}))(?![\w-])"),
        # Anaphoric dates: resolved against the last date mentioned before them, not publication.
        ("anaphor", rf"(?<!\w)(?i:(?P<shift>earlier|later)\s+that|that\s+same|the\s+same|that|"
                    r"the\s+(?P<step>next|following|previous|preceding|prior))\s+"
                    rf"(?P<unit>(?i:day|{pod}|week|month|year))(?![\w-])"),
        ("anaphor", rf"(?<!\w)(?P<n>\d{{1,2}}|(?i:{numbers}))\s+(?P<unit>(?i:days?|weeks?|months?))\s+"
                    r"(?P<dir>(?i:later|earlier))(?!\w)"),  # "a year earlier" is mostly a comparison
        ("anaphor", r"(?<!\w)(?i:the\s+day\s+(?P<dir>before|after))(?!\s+(?:yesterday|tomorrow))(?!\w)"),
    ]
    # Every pattern but "'80s" starts a word: saying so up front lets the engine skip other positions fast.
    return tuple((kind, re.compile(rx if kind == "decade" else r"(?=\b\w)" + rx)) for kind, rx in specs)


def _future_cue(cues: list[str]) -> re.Pattern[str]:
    words = [c.lower() for c in cues if c[0].isalpha()]
    clitics = [c.lower().lstrip("'’") for c in cues if not c[0].isalpha()]  # "'ll" follows a word
    return re.compile(rf"(?:(?<![\w'’])(?:{_alt(words)})|['’](?:{_alt(clitics)}))(?!\w)", re.I)


def _norm(phrase: str) -> str:
    return " ".join(phrase.lower().split())


@cache
def lexicon() -> Lexicon:
    data = yaml.safe_load(resources.files("tidings.data").joinpath("dates.yaml").read_text(encoding="utf-8"))
    months = {k.lower(): v for k, v in (data["months"] | data["month_abbreviations"]).items()}
    weekdays = {k.lower(): v for k, v in (data["weekdays"] | data["weekday_abbreviations"]).items()}
    refs = {_norm(p): value for value, phrases in data["references"].items() for p in phrases}
    return Lexicon(
        months=months,
        weekdays=weekdays,
        parts_of_day={k.lower(): v for k, v in data["parts_of_day"].items()},
        deictic_days={_norm(k): (int(v[0]), v[1]) for k, v in data["deictic_days"].items()},
        modifiers={k: (int(v[0]), int(v[1])) for k, v in data["modifiers"].items()},
        seasons=dict(data["seasons"]),
        season_start=dict(data["season_start_month"]),
        numbers={_norm(k): int(v) for k, v in data["number_words"].items()},
        ordinals={k.lower(): int(v) for k, v in data["ordinals"].items()},
        month_cues=frozenset(w.lower() for w in data["month_cues"]),
        references=refs,
        weekday_blockers=frozenset(data["weekday_blockers"]),
        year_blockers=frozenset(w.lower() for w in data["year_blockers"]),
        year_prev_blockers=frozenset(str(w).lower() for w in data["year_prev_blockers"]),
        future_cue=_future_cue(data["future_cues"]),
        future_words=frozenset(w.lower() for c in data["future_cues"] for w in c.split()),
        forward_prepositions=frozenset(w.lower() for w in data["forward_prepositions"]),
        past_verbs=frozenset(w.lower() for w in data["past_verbs"]),
        future_weight=float(data["future_weight"]),
        holidays={k.lower(): (tuple(v) if isinstance(v, list) else v) for k, v in data["holidays"].items()},
        patterns=(patterns := _build_patterns(data)),
        scan=Scan([pattern for _, pattern in patterns]),
    )


def normalise(phrase: str) -> str:
    return _norm(phrase)
