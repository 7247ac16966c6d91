"""Find and resolve date expressions in English news text against the publication date.

Candidates come from compiled regexes (dates_lexicon); explicit dates ("March 3, 2024",
"03/03/2024") are parsed by dateparser (cached); relative ones ("on Monday", "last month",
"in December") are resolved here with the news convention: a weekday is the most recent one on
or before publication, a year-less month or day the most recent one unless the next is much
nearer, and the sentence can say otherwise ("will", "scheduled", "by", a past-tense verb).
Anaphoric dates ("the next day", "two days later") are resolved against the last date before them.

Each result keeps its verbatim span and ACLED `time_precision` (1 day, 2 week, 3 month).
Years, seasons, quarters, decades carry no ACLED precision: they are returned with
precision None and value None, but with their range and TimeML value (`timex`), so that a
caller can still see "in 2022" without it posing as a resolved event date.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache

import dateparser

from tidings.records import Mention
from tidings.resolve import dates_calendar as cal
from tidings.resolve.dates_lexicon import Lexicon, lexicon, normalise

__all__ = ["ResolvedDate", "as_mention", "find_dates", "resolve_expression"]

_DATEPARSER_SETTINGS = {"PREFER_DATES_FROM": "past", "REQUIRE_PARTS": ["year"], "RETURN_AS_TIMEZONE_AWARE": False}
_PREV_WORD = re.compile(r"([A-Za-z]+)\.?(\s*)$")
_NEXT_WORD = re.compile(r"^\s+([A-Za-z]+)")


@dataclass(frozen=True)
class ResolvedDate:
    text: str  # verbatim span
    start: int  # char offsets into the text passed in
    end: int
    value: dt.date | None  # the day; for precision 2/3 the first day of the week/month (week = Monday)
    precision: int | None  # ACLED time_precision: 1 day, 2 week, 3 month; None when unresolved
    relative: bool  # depended on the publication date
    range_start: dt.date | None = None
    range_end: dt.date | None = None
    timex: str | None = None  # TimeML value ("2024-03-03", "2024-W10", "2024-03", "2024", "PRESENT_REF")


@dataclass(frozen=True)
class _Ctx:
    text: str
    ref: dt.date | None
    refs: bool  # also return vague references ("now", "recently")
    standalone: bool  # the text is one expression: no context cues required


Published = dt.datetime | dt.date | str | None


def _as_date(published: Published) -> dt.date | None:
    """The publication day; an ISO 8601 string (Document.published) is accepted, a bad one is None."""
    if isinstance(published, str):
        try:
            day: dt.date | None = dt.date.fromisoformat(published.strip()[:10])
        except ValueError:
            return None
    elif isinstance(published, dt.datetime):
        day = published.date()
    else:
        day = published
    # Relative dates count days, months and centuries from it: near year 1 or 9999 that overflows.
    return day if day is None or 1000 <= day.year <= 9000 else None


@lru_cache(maxsize=4096)
def _parse_explicit(text: str, date_order: str | None = None) -> dt.date | None:
    settings = _DATEPARSER_SETTINGS | ({"DATE_ORDER": date_order} if date_order else {})
    parsed = dateparser.parse(text, languages=["en"], settings=settings)
    return parsed.date() if parsed else None


def _prev_word(text: str, start: int) -> tuple[str, bool]:
    """The word before `start` and whether only spaces separate it from the span."""
    m = _PREV_WORD.search(text, max(0, start - 40), start)
    if not m:
        return "", False
    return m.group(1), "." not in text[m.end(1) : start]


def _next_word(text: str, end: int) -> str:
    m = _NEXT_WORD.search(text[end : end + 40])
    return m.group(1) if m else ""


_CLAUSE_BREAK = re.compile(r"[.!?;:]\s|\n|''|\"|“|”|—")
_WORDS = re.compile(r"[A-Za-z']+")


def _direction(ctx: _Ctx, start: int) -> str | None:
    """past / future when the sentence says which way a year-less date points, "even" when it
    is unclear but not past (a forward preposition), else None."""
    lex = lexicon()
    window = ctx.text[max(0, start - 100) : start]
    breaks = list(_CLAUSE_BREAK.finditer(window))
    if breaks:
        window = window[breaks[-1].end() :]
    if lex.future_cue.search(window):
        return "future"  # "will meet on Tuesday", "will be held in January"
    words = [w.lower() for w in _WORDS.findall(window)]
    if words and words[-1] in lex.forward_prepositions:
        return "even"  # "by Jan. 14", "payable Dec. 7", but also "remained there until March 3"
    for w in words[-4:]:
        if w not in lex.future_words and (w in lex.past_verbs or (len(w) > 4 and w.endswith("ed"))):
            return "past"  # "was killed on Tuesday", "announced Wednesday"
    return None


def _nearest_args(direction: str | None, lex: Lexicon) -> tuple[str, float]:
    """(direction, future weight) for the calendar: "even" is the nearest with no past bias."""
    if direction == "even":
        return "nearest", 1.0
    return direction or "nearest", lex.future_weight


def _span_result(
    ctx: _Ctx, m: re.Match[str], value: dt.date | None, precision: int | None, relative: bool,
    rng: tuple[dt.date, dt.date] | None = None, timex: str | None = None, start: int | None = None,
) -> ResolvedDate:
    s = m.start() if start is None else start
    return ResolvedDate(
        text=ctx.text[s : m.end()], start=s, end=m.end(), value=value, precision=precision, relative=relative,
        range_start=rng[0] if rng else None, range_end=rng[1] if rng else None, timex=timex,
    )


def _unresolved(ctx: _Ctx, m: re.Match[str], relative: bool = True, start: int | None = None) -> ResolvedDate:
    return _span_result(ctx, m, None, None, relative, start=start)


def _day(ctx: _Ctx, m: re.Match[str], day: dt.date, relative: bool, pod: str | None = None,
         start: int | None = None) -> ResolvedDate:
    timex = day.isoformat() + (f"T{pod}" if pod else "")
    return _span_result(ctx, m, day, 1, relative, (day, day), timex, start)


def _week(ctx: _Ctx, m: re.Match[str], monday: dt.date, weekend: bool = False, relative: bool = True) -> ResolvedDate:
    if weekend:
        rng = (monday + dt.timedelta(days=5), monday + dt.timedelta(days=6))
        return _span_result(ctx, m, monday, 2, relative, rng, cal.week_timex(monday) + "-WE")
    return _span_result(ctx, m, monday, 2, relative, (monday, monday + dt.timedelta(days=6)), cal.week_timex(monday))


def _month(ctx: _Ctx, m: re.Match[str], year: int, month: int, mod: str | None, relative: bool) -> ResolvedDate:
    first, last = dt.date(year, month, 1), cal.month_end(year, month)
    lo, hi = first, last
    word = normalise(mod).split()[-2] if mod and " of" in normalise(mod) else (mod or "").lower()
    if word in lexicon().modifiers:
        a, b = lexicon().modifiers[word]
        lo, hi = first.replace(day=a), first.replace(day=min(b, last.day))
    return _span_result(ctx, m, first, 3, relative, (lo, hi), f"{year:04d}-{month:02d}")


def _year(ctx: _Ctx, m: re.Match[str], year: int, relative: bool, start: int | None = None) -> ResolvedDate:
    return _span_result(ctx, m, None, None, relative, (dt.date(year, 1, 1), dt.date(year, 12, 31)),
                        f"{year:04d}", start)


# --- one resolver per pattern kind; each returns None to reject the candidate --------------


def _r_explicit(ctx: _Ctx, m: re.Match[str], lex: Lexicon) -> ResolvedDate | None:
    day = _parse_explicit(m.group(0))
    return _day(ctx, m, day, False) if day else None


def _r_numeric(ctx: _Ctx, m: re.Match[str], lex: Lexicon) -> ResolvedDate | None:
    if m.group("sep") == ".":
        if len(m.group("y")) == 2:
            return None  # "1.5.20" is more likely a version or a score than a date
        day = _parse_explicit(m.group(0), "DMY")  # dotted dates are European: 03.04.2024 is 3 April
        return _day(ctx, m, day, False) if day else None
    return _r_explicit(ctx, m, lex)  # slashes: dateparser's English default, month first unless > 12


def _r_day_month(ctx: _Ctx, m: re.Match[str], lex: Lexicon) -> ResolvedDate | None:
    month = lex.months[m.group("mon").rstrip(".").lower()]
    day_num = int(m.group("d"))
    start = m.start("wd") if m.group("wd") else min(m.start("mon"), m.start("d"))
    if m.group("y"):
        day = _parse_explicit(f"{day_num} {list(lex.months)[month - 1].title()} {m.group('y')}")
        return _day(ctx, m, day, False, start=start) if day else None
    if ctx.ref is None:
        return _unresolved(ctx, m, start=start)
    day = cal.day_year(ctx.ref, month, day_num, *_nearest_args(_direction(ctx, start), lex))
    return _day(ctx, m, day, True, start=start) if day else None


def _r_month_year(ctx: _Ctx, m: re.Match[str], lex: Lexicon) -> ResolvedDate | None:
    month = lex.months[m.group("mon").rstrip(".").lower()]
    # dateparser invents a day for month-only strings; it only validates year and month here.
    parsed = _parse_explicit(f"{list(lex.months)[month - 1].title()} {m.group('y')}")
    return _month(ctx, m, parsed.year, parsed.month, m.group("mod"), False) if parsed else None


def _rel_direction(rel: str | None, direction: str | None) -> str:
    rel = normalise(rel or "")
    if rel in ("last", "past", "this past"):
        return "last"
    if rel in ("next", "coming", "this coming"):
        return "next"
    if rel == "this":
        return "this"
    return direction or "nearest"


def _r_month(ctx: _Ctx, m: re.Match[str], lex: Lexicon) -> ResolvedDate | None:
    if not (m.group("mod") or m.group("rel") or ctx.standalone):
        word, adjacent = _prev_word(ctx.text, m.start())
        if not adjacent or word.lower() not in lex.month_cues:
            return None  # "May said", "March organisers"
    if ctx.ref is None:
        return _unresolved(ctx, m)
    month = lex.months[m.group("mon").lower()]
    direction, weight = _nearest_args(_rel_direction(m.group("rel"), _direction(ctx, m.start())), lex)
    year = cal.month_year(ctx.ref, month, direction, weight)
    return _month(ctx, m, year, month, m.group("mod"), True)


def _r_weekday(ctx: _Ctx, m: re.Match[str], lex: Lexicon) -> ResolvedDate | None:
    word, adjacent = _prev_word(ctx.text, m.start())
    if adjacent and word in lex.weekday_blockers:
        return None  # "Bloody Sunday", "Black Friday"
    if ctx.ref is None:
        return _unresolved(ctx, m)
    weekday = lex.weekdays[m.group("wd").lower()]
    # A bare weekday in news is the most recent one unless the sentence points forward.
    direction = _rel_direction(m.group("rel"), _direction(ctx, m.start()))
    pick = {"last": cal.weekday_before, "next": cal.weekday_after, "future": cal.weekday_on_or_after}.get(
        direction, cal.weekday_on_or_before)
    day = pick(ctx.ref, weekday)
    if direction == "even":  # "by Tuesday": whichever Tuesday is nearer, the past one on a tie
        ahead = cal.weekday_on_or_after(ctx.ref, weekday)
        day = ahead if (ahead - ctx.ref) < (ctx.ref - day) else day
    pod = lex.parts_of_day.get((m.group("pod") or "").lower())
    return _day(ctx, m, day, True, pod)


def _r_deictic(ctx: _Ctx, m: re.Match[str], lex: Lexicon) -> ResolvedDate | None:
    word, adjacent = _prev_word(ctx.text, m.start())
    if m.group("deic")[0].isupper() and adjacent and word[:1].isupper() and not m.group("mod"):
        return None  # "USA Today", "Psychology Today"
    if ctx.ref is None:
        return _unresolved(ctx, m)
    offset, pod = lex.deictic_days[normalise(m.group("deic"))]
    pod = lex.parts_of_day.get((m.group("pod") or "").lower(), pod)
    return _day(ctx, m, ctx.ref + dt.timedelta(days=offset), True, pod)


_UNIT_OFFSETS = {"this": 0, "the": 0, "current": 0, "the current": 0, "last": -1, "past": -1, "previous": -1, "this past": -1, "the past": -1,
                 "the last": -1, "the previous": -1, "next": 1, "coming": 1, "this coming": 1, "the coming": 1,
                 "the following": 1}


def _r_unit(ctx: _Ctx, m: re.Match[str], lex: Lexicon) -> ResolvedDate | None:
    rel, unit, mod = normalise(m.group("rel")), m.group("unit").lower(), normalise(m.group("mod") or "")
    if rel == "the" and unit != "weekend":
        return None  # "the week", "the year": anaphoric, no anchor
    if rel in ("the past", "the last") and unit not in ("week", "weekend"):
        return None  # "the past year" is a duration, not a calendar year
    if rel == "the following":
        return None  # anchored on another event, not on publication
    if ctx.ref is None:
        return _unresolved(ctx, m)
    ref, off = ctx.ref, _UNIT_OFFSETS[rel]
    if unit == "weekend":
        if rel == "the":
            off = 0 if ref.weekday() >= 5 or _direction(ctx, m.start()) == "future" else -1
        elif rel in ("last", "past", "this past") and ref.weekday() < 5:
            off = -1
        return _week(ctx, m, cal.week_monday(ref) + dt.timedelta(weeks=off), weekend=True)
    if unit == "week":
        return _week(ctx, m, cal.week_monday(ref) + dt.timedelta(weeks=off))
    if unit == "month":
        year, month = cal.add_months(ref.year, ref.month, off)
        res = _month(ctx, m, year, month, mod.split()[-2] if mod.endswith(" of") else mod, True)
        if off == 0 and mod in ("earlier", "later"):  # "earlier this month": up to publication
            rng = (res.range_start, ref) if mod == "earlier" else (ref, res.range_end)
            return _span_result(ctx, m, res.value, 3, True, rng, res.timex)
        return res
    if unit == "year":
        return _year(ctx, m, ref.year + off, True)
    if unit == "decade":
        decade = ref.year // 10 + off
        return _span_result(ctx, m, None, None, True, (dt.date(decade * 10, 1, 1), dt.date(decade * 10 + 9, 12, 31)),
                            f"{decade:03d}")
    century = ref.year // 100 + off
    return _span_result(ctx, m, None, None, True, (dt.date(max(century * 100, 1), 1, 1),
                                                   dt.date(century * 100 + 99, 12, 31)), f"{century:02d}")


def _r_ago(ctx: _Ctx, m: re.Match[str], lex: Lexicon) -> ResolvedDate | None:
    n_text = normalise(m.group("n"))
    n = int(n_text) if n_text.isdigit() else lex.numbers.get(n_text)
    if n is None:  # "several days ago": vague, but in the past
        return _span_result(ctx, m, None, None, True, None, "PAST_REF")
    if ctx.ref is None:
        return _unresolved(ctx, m)
    unit, ref = m.group("unit").lower().rstrip("s"), ctx.ref
    if unit == "day":
        return _day(ctx, m, ref - dt.timedelta(days=n), True)
    if unit == "week":
        return _week(ctx, m, cal.week_monday(ref - dt.timedelta(weeks=n)))
    if unit == "month":
        year, month = cal.add_months(ref.year, ref.month, -n)
        return _month(ctx, m, year, month, None, True)
    years = n * (10 if unit == "decade" else 1)
    if unit == "decade":
        return _unresolved(ctx, m)
    return _year(ctx, m, ref.year - years, True)


def _r_decade(ctx: _Ctx, m: re.Match[str], lex: Lexicon) -> ResolvedDate | None:
    raw = m.group("dec")
    if raw[0] in "'’":
        decade = 1900 + int(raw[1:])
        if ctx.ref and decade + 100 <= ctx.ref.year:
            decade += 100  # "the '10s" written in 2024
    else:
        decade = int(raw)
    start = m.start("the") if m.group("the") else m.start()
    return _span_result(ctx, m, None, None, raw[0] in "'’", (dt.date(decade, 1, 1), dt.date(decade + 9, 12, 31)),
                        f"{decade // 10:03d}", start)


def _r_century(ctx: _Ctx, m: re.Match[str], lex: Lexicon) -> ResolvedDate | None:
    words = {"eighteenth": 18, "nineteenth": 19, "twentieth": 20, "twenty-first": 21, "twenty first": 21}
    raw = normalise(m.group("ord"))
    n = int(raw[:-2]) if raw[:-2].isdigit() else words.get(raw)
    if not n:
        return None
    return _span_result(ctx, m, None, None, False, (dt.date(max((n - 1) * 100, 1), 1, 1),
                                                    dt.date((n - 1) * 100 + 99, 12, 31)), f"{n - 1:02d}")


def _r_quarter(ctx: _Ctx, m: re.Match[str], lex: Lexicon) -> ResolvedDate | None:
    q = lex.ordinals[m.group("ord").lower()]
    rel = (m.group("rel") or "").lower()
    explicit = m.group("y") or m.group("y0")
    if explicit:
        year, relative = int(explicit), False
    elif ctx.ref is None:
        return _unresolved(ctx, m)
    else:
        current = cal.quarter_of(ctx.ref)
        # Business news reports a quarter once it is under way or over: the latest such one.
        year, relative = (ctx.ref.year if q <= current else ctx.ref.year - 1), True
        if rel == "next" and q <= current:
            year += 1
        if rel in ("year-ago", "year-earlier"):
            year -= 1
    return _span_result(ctx, m, None, None, relative, cal.quarter_range(year, q), f"{year:04d}-Q{q}")


def _r_fiscal_period(ctx: _Ctx, m: re.Match[str], lex: Lexicon) -> ResolvedDate | None:
    rel = normalise(m.group("rel"))
    if m.group("unit").lower() == "period" and rel in ("current", "latest", "most recent") and not m.group("ago"):
        return None  # "the current period" of what? too vague without a quarter
    if ctx.ref is None:
        return _unresolved(ctx, m)
    # Results are reported for the quarter that ended last; "year-ago" is that quarter a year back.
    index = ctx.ref.year * 4 + cal.quarter_of(ctx.ref) - 1 - (0 if rel == "current" else 1)
    year, quarter = index // 4, index % 4 + 1
    if m.group("ago") or rel in ("year-ago", "year-earlier", "year ago", "comparable", "corresponding"):
        year -= 1
    return _span_result(ctx, m, None, None, True, cal.quarter_range(year, quarter), f"{year:04d}-Q{quarter}")


_SEASON_CUES = frozenset({"in", "during", "since", "until", "by", "through", "throughout", "over", "before", "after"})


def _r_season(ctx: _Ctx, m: re.Match[str], lex: Lexicon) -> ResolvedDate | None:
    name = m.group("s").lower()
    after = ctx.text[m.end() : m.end() + 4]
    if not m.group("y") and re.match(r"\s+of\b", after):
        return None  # "the fall of Mariupol", "the spring of discontent"
    if not (m.group("rel") or m.group("y") or ctx.standalone):
        word, adjacent = _prev_word(ctx.text, m.start())
        if not (m.group("the") and adjacent and word.lower() in _SEASON_CUES) and not (
            name not in ("fall", "spring") and (m.group("the") or (adjacent and word.lower() in _SEASON_CUES))
        ):
            return None  # "prices fall", "Arab Spring"
    code = lex.seasons[name]
    start_month = lex.season_start[code]
    if m.group("y"):
        year, relative = int(m.group("y")), False
    elif ctx.ref is None:
        return _unresolved(ctx, m)
    else:
        direction = _rel_direction(m.group("rel"), _direction(ctx, m.start()))
        year, relative = cal.season_year(ctx.ref, start_month, direction), True
    return _span_result(ctx, m, None, None, relative, cal.season_range(year, start_month), f"{year:04d}-{code}")


def _r_holiday(ctx: _Ctx, m: re.Match[str], lex: Lexicon) -> ResolvedDate | None:
    name = normalise(m.group("hol")).replace("’", "'")
    if " " not in name and not ctx.standalone:
        word, adjacent = _prev_word(ctx.text, m.start())
        if not adjacent or word.lower() not in lex.month_cues | {"at"}:
            return None  # "Christmas market", "Easter egg"
    if ctx.ref is None:
        return _unresolved(ctx, m)
    day = cal.holiday_date(ctx.ref, lex.holidays[name], *_nearest_args(_direction(ctx, m.start()), lex))
    return _day(ctx, m, day, True)


def _r_year(ctx: _Ctx, m: re.Match[str], lex: Lexicon) -> ResolvedDate | None:
    text, start = ctx.text, m.start("y")
    if start and not m.group("mod") and text[start - 1] in "-–" and not re.search(r"(?<!\d)(?:1[89]|20)\d\d$", text[max(0, start - 5) : start - 1]):
        return None  # "Su-2000", "555-1999", but "2009-2010" is two years
    word, adjacent = _prev_word(text, start)
    if adjacent and word.lower() in lex.year_prev_blockers:
        return None
    if _next_word(text, m.end()).lower() in lex.year_blockers:
        return None  # "2000 troops", "1400 hours"
    year = int(m.group("y"))
    if not m.group("mod"):
        return _year(ctx, m, year, False)
    word = normalise(m.group("mod")).split()
    a, b = lexicon().modifiers[word[-2] if word[-1] == "of" else word[-1]]
    # early/mid/late in a year: thirds of it (months 1-4, 5-8, 9-12), like the days of a month.
    lo, hi = (a - 1) * 12 // 30 + 1, min(12, (b * 12 + 29) // 30)
    return _span_result(ctx, m, None, None, False, (dt.date(year, lo, 1), cal.month_end(year, hi)), f"{year:04d}")


def _r_ref(ctx: _Ctx, m: re.Match[str], lex: Lexicon) -> ResolvedDate | None:
    if not ctx.refs:
        return None
    nxt = _next_word(ctx.text, m.end()).lower()
    if normalise(m.group("ref")) == "the past" and (
        nxt in lex.numbers or nxt in ("few", "several", "couple", "day", "week", "month", "year", "decade")
        or re.match(r"\s+\d", ctx.text[m.end() : m.end() + 3])
    ):
        return None  # "the past two months" is a duration
    return _span_result(ctx, m, None, None, False, None, lex.references[normalise(m.group("ref"))])


def _r_anaphor(ctx: _Ctx, m: re.Match[str], lex: Lexicon) -> ResolvedDate | None:
    return _unresolved(ctx, m)  # resolved in text order by _resolve_anaphors, once anchors are known


def _anaphor_shift(m: re.Match[str], lex: Lexicon) -> tuple[str, int]:
    """(unit, signed number of units) an anaphoric expression moves from its anchor."""
    groups = m.groupdict()
    unit = (groups.get("unit") or "day").lower().rstrip("s")
    if unit in lex.parts_of_day:
        unit = "day"
    if groups.get("n"):
        n_text = normalise(groups["n"])
        n = int(n_text) if n_text.isdigit() else lex.numbers.get(n_text, 0)
        return unit, n if groups["dir"].lower() == "later" else -n
    if groups.get("dir"):  # the day before / after
        return unit, 1 if groups["dir"].lower() == "after" else -1
    step = (groups.get("step") or "").lower()
    return unit, 1 if step in ("next", "following") else -1 if step else 0


def _resolve_anaphor(ctx: _Ctx, m: re.Match[str], anchor: ResolvedDate | None, lex: Lexicon) -> ResolvedDate:
    unit, n = _anaphor_shift(m, lex)
    if anchor is None or anchor.range_start is None:
        return _unresolved(ctx, m)
    pod = lex.parts_of_day.get((m.groupdict().get("unit") or "").lower())
    rel = anchor.relative  # "relative" means: depended on the publication date, through the anchor or not
    if unit == "day" and anchor.precision == 1 and anchor.value:
        return _day(ctx, m, anchor.value + dt.timedelta(days=n), rel, pod)
    if unit == "week" and anchor.precision in (1, 2) and anchor.value:
        return _week(ctx, m, cal.week_monday(anchor.value) + dt.timedelta(weeks=n), relative=rel)
    if unit == "month" and anchor.precision in (1, 2, 3) and anchor.value:
        year, month = cal.add_months(anchor.value.year, anchor.value.month, n)
        return _month(ctx, m, year, month, None, rel)
    if unit == "year":
        return _year(ctx, m, anchor.range_start.year + n, rel)
    return _unresolved(ctx, m)


_RESOLVERS = {
    "iso": _r_explicit, "numeric": _r_numeric, "mdy": _r_day_month, "dmy": _r_day_month,
    "month_year": _r_month_year, "month": _r_month, "weekday": _r_weekday, "deictic": _r_deictic,
    "unit": _r_unit, "ago": _r_ago, "decade": _r_decade, "century": _r_century, "quarter": _r_quarter,
    "fiscal_period": _r_fiscal_period,
    "season": _r_season, "holiday": _r_holiday, "year": _r_year, "ref": _r_ref, "anaphor": _r_anaphor,
}


# Patterns that cannot match unless one of these (lower-cased) strings occurs: skipping them is
# the cheapest way to keep short documents fast.
_TRIGGERS: dict[str, tuple[str, ...]] = {
    "quarter": ("quarter",), "fiscal_period": ("quarter", "period"),
    "season": ("spring", "summer", "fall", "autumn", "winter"), "century": ("century",),
    "ago": ("ago",), "decade": ("0s", "0's", "0’s"), "holiday": ("christmas", "new year", "valentine", "halloween",
                                                                 "thanksgiving", "easter"),
}


def _find(ctx: _Ctx) -> list[ResolvedDate]:
    lex = lexicon()
    lower = ctx.text.lower()
    found: list[tuple[int, int, int, ResolvedDate, re.Match[str]]] = []
    places = lex.scan.places(ctx.text, lower)
    for rank, (kind, _) in enumerate(lex.patterns):
        triggers = _TRIGGERS.get(kind)
        if triggers and not any(t in lower for t in triggers):
            continue
        resolver = _RESOLVERS[kind]
        for m in lex.scan.finditer(rank, ctx.text, places):
            res = resolver(ctx, m, lex)
            if res is not None:
                found.append((-(res.end - res.start), res.start, rank, res, m))
    # Longest span wins; on equal length the more specific pattern (lower rank).
    found.sort(key=lambda item: item[:3])
    occupied = bytearray(len(ctx.text))
    taken: list[tuple[ResolvedDate, re.Match[str] | None]] = []
    for _, _, rank, res, m in found:
        if not any(occupied[res.start : res.end]):
            occupied[res.start : res.end] = b"\x01" * (res.end - res.start)
            taken.append((res, m if lex.patterns[rank][0] == "anaphor" else None))
    taken.sort(key=lambda item: item[0].start)
    return _resolve_anaphors(ctx, taken, lex)


def _resolve_anaphors(ctx: _Ctx, taken: list[tuple[ResolvedDate, re.Match[str] | None]],
                      lex: Lexicon) -> list[ResolvedDate]:
    """"That day", "the next morning", "two days later": the last date mentioned before them is the anchor."""
    out: list[ResolvedDate] = []
    anchor: ResolvedDate | None = None
    for res, m in taken:
        if m is not None:  # not an anchor itself: chains of "a year earlier" drift year by year
            out.append(_resolve_anaphor(ctx, m, anchor, lex))
            continue
        if res.range_start is not None and res.timex and not res.timex.endswith("_REF"):
            anchor = res
        out.append(res)
    return out


def find_dates(text: str, published: Published, *, refs: bool = False) -> list[ResolvedDate]:
    """All date expressions in `text`, in text order, resolved against `published`.

    Relative expressions with no publication date come back unresolved (value None).
    `refs=True` also returns vague references ("now" PRESENT_REF, "recently" PAST_REF), which
    only TimeML-style evaluation wants.
    """
    return _find(_Ctx(text, _as_date(published), refs, standalone=False))


def resolve_expression(expr: str, published: Published) -> ResolvedDate | None:
    """Resolve one expression such as "last Friday" or "in early May"; None if it is not a date.

    The expression is its own context, so a bare "December" or "summer" is accepted here.
    """
    found = _find(_Ctx(expr, _as_date(published), refs=True, standalone=True))
    if not found:
        return None
    return max(found, key=lambda r: (r.end - r.start, r.precision is not None))


def as_mention(date: ResolvedDate) -> Mention:
    """A DATE mention for Document.mentions; the resolution goes in attrs as JSON-ready values."""

    def iso(day: dt.date | None) -> str | None:
        return day.isoformat() if day else None

    return Mention(
        start=date.start, end=date.end, text=date.text, label="DATE",
        attrs={"value": iso(date.value), "time_precision": date.precision, "relative": date.relative,
               "range_start": iso(date.range_start), "range_end": iso(date.range_end), "timex": date.timex},
    )
