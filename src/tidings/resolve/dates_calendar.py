"""Calendar arithmetic for date resolution: weeks, months, seasons, quarters, and the
direction ("most recent on or before publication" vs "next") that news convention implies."""

from __future__ import annotations

import calendar
import datetime as dt

DAY = dt.timedelta(days=1)


def month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def add_months(year: int, month: int, delta: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + delta
    return index // 12, index % 12 + 1


def week_monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def week_timex(monday: dt.date) -> str:
    iso = monday.isocalendar()
    return f"{iso.year:04d}-W{iso.week:02d}"


def weekday_on_or_before(ref: dt.date, weekday: int) -> dt.date:
    return ref - dt.timedelta(days=(ref.weekday() - weekday) % 7)


def weekday_on_or_after(ref: dt.date, weekday: int) -> dt.date:
    return ref + dt.timedelta(days=(weekday - ref.weekday()) % 7)


def weekday_before(ref: dt.date, weekday: int) -> dt.date:
    return weekday_on_or_before(ref - DAY, weekday)


def weekday_after(ref: dt.date, weekday: int) -> dt.date:
    return weekday_on_or_after(ref + DAY, weekday)


def _nearest(ref: dt.date, spans: list[tuple[dt.date, dt.date]], direction: str, weight: float) -> int:
    """Index of the span a year-less expression means: the latest one that has begun by ref
    ("past"), the first one not over before ref ("future"), or the nearest, a future distance
    counting `weight` times ("nearest"). One day of slack absorbs time zones."""
    if direction == "past":
        past = [i for i, (lo, _) in enumerate(spans) if lo <= ref + DAY]
        if past:
            return past[-1]
    if direction == "future":
        ahead = [i for i, (_, hi) in enumerate(spans) if hi >= ref - DAY]
        if ahead:
            return ahead[0]
    # No candidate that way (29 February in the wrong years): the nearest.

    def cost(span: tuple[dt.date, dt.date]) -> float:
        lo, hi = span
        if lo <= ref + DAY and hi >= ref - DAY:
            return 0.0
        return float((ref - hi).days) if hi < ref else (lo - ref).days * weight

    return min(range(len(spans)), key=lambda i: cost(spans[i]))


def month_year(ref: dt.date, month: int, direction: str, weight: float = 2.0) -> int:
    """Year of a month named without one. direction: last (strictly before ref's month), next
    (strictly after), this (ref's year), or past / future / nearest (see _nearest)."""
    if direction == "this":
        return ref.year
    if direction == "last":
        return ref.year if month < ref.month else ref.year - 1
    if direction == "next":
        return ref.year if month > ref.month else ref.year + 1
    years = [ref.year - 1, ref.year, ref.year + 1]
    if direction == "nearest":  # counted in months: December is one month ahead of any November day
        here = ref.year * 12 + ref.month

        def cost(year: int) -> float:
            ahead = year * 12 + month - here
            return ahead * weight if ahead > 0 else float(-ahead)

        return min(years, key=cost)
    spans = [(dt.date(y, month, 1), month_end(y, month)) for y in years]
    return years[_nearest(ref, spans, direction, weight)]


def easter(year: int) -> dt.date:
    """Western Easter Sunday (anonymous Gregorian algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    ell = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * ell) // 451
    month, day = divmod(h + ell - 7 * m + 114, 31)
    return dt.date(year, month, day + 1)


def holiday(year: int, spec: tuple[int, int] | str) -> dt.date:
    if spec == "easter":
        return easter(year)
    if spec == "thanksgiving":  # US: fourth Thursday of November
        return weekday_on_or_after(dt.date(year, 11, 1), 3) + dt.timedelta(weeks=3)
    if isinstance(spec, str):
        raise ValueError(f"unknown holiday rule {spec!r}")
    return dt.date(year, spec[0], spec[1])


def holiday_date(ref: dt.date, spec: tuple[int, int] | str, direction: str, weight: float = 2.0) -> dt.date:
    cands = [holiday(y, spec) for y in (ref.year - 1, ref.year, ref.year + 1)]
    return cands[_nearest(ref, [(c, c) for c in cands], direction, weight)]


def day_year(ref: dt.date, month: int, day: int, direction: str, weight: float = 2.0) -> dt.date | None:
    """A year-less "March 3" resolved like a month (see _nearest)."""
    cands = []
    for year in (ref.year - 1, ref.year, ref.year + 1):
        try:
            cands.append(dt.date(year, month, day))
        except ValueError:  # 29 February outside a leap year
            continue
    if not cands:
        return None
    return cands[_nearest(ref, [(c, c) for c in cands], direction, weight)]


def quarter_of(day: dt.date) -> int:
    return (day.month - 1) // 3 + 1


def quarter_range(year: int, quarter: int) -> tuple[dt.date, dt.date]:
    first = 3 * (quarter - 1) + 1
    return dt.date(year, first, 1), month_end(year, first + 2)


def season_range(year: int, start_month: int) -> tuple[dt.date, dt.date]:
    end_year, end_month = add_months(year, start_month, 2)
    return dt.date(year, start_month, 1), month_end(end_year, end_month)


def season_year(ref: dt.date, start_month: int, direction: str) -> int:
    """Year (of its first month) of a season named without a year, relative to ref."""
    # Candidate occurrences around ref, in time order.
    spans = [season_range(y, start_month) for y in range(ref.year - 2, ref.year + 2)]
    current = next((s for s in spans if s[0] <= ref <= s[1]), None)
    past = [s for s in spans if s[1] < ref]
    future = [s for s in spans if s[0] > ref]
    if direction == "last":
        chosen = past[-1]
    elif direction == "next":
        chosen = future[0]
    elif direction == "future":
        chosen = current or future[0]
    elif direction == "this":  # this summer: the one of ref's year (winter: the one under way or next)
        chosen = current or next(s for s in spans if s[0].year == ref.year)
    else:  # bare: the season we are in, else the most recent one
        chosen = current or past[-1]
    return chosen[0].year
