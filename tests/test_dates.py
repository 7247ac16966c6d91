"""Date resolution: each phrase class against a fixed publication date, no-date behaviour, negatives."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tidings.resolve.dates import ResolvedDate, as_mention, find_dates, resolve_expression

PUB = dt.date(2024, 3, 14)  # a Thursday
D = dt.date


def one(text: str, published: dt.date | dt.datetime | None = PUB) -> ResolvedDate:
    found = find_dates(text, published)
    assert len(found) == 1, found
    return found[0]


def value(text: str, published: dt.date | None = PUB) -> tuple[dt.date | None, int | None]:
    r = one(text, published)
    return r.value, r.precision


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Troops attacked on Monday.", (D(2024, 3, 11), 1)),
        ("The shelling resumed later Friday morning.", (D(2024, 3, 8), 1)),
        ("It exploded late on Tuesday.", (D(2024, 3, 12), 1)),
        ("The raid happened on Thursday.", (D(2024, 3, 14), 1)),  # publication day itself
        ("They will meet next Monday.", (D(2024, 3, 18), 1)),
        ("The ceasefire talks will resume on Saturday.", (D(2024, 3, 16), 1)),
        ("It was announced last Thursday.", (D(2024, 3, 7), 1)),
        ("Police said yesterday that two died.", (D(2024, 3, 13), 1)),
        ("Protests are planned today.", (D(2024, 3, 14), 1)),
        ("A curfew starts tonight.", (D(2024, 3, 14), 1)),
        ("Drones struck last night.", (D(2024, 3, 13), 1)),
        ("Fighting intensified this week.", (D(2024, 3, 11), 2)),
        ("Fighting intensified last week.", (D(2024, 3, 4), 2)),
        ("The bridge fell earlier this month.", (D(2024, 3, 1), 3)),
        ("The bridge fell last month.", (D(2024, 2, 1), 3)),
        ("The city was captured in December.", (D(2023, 12, 1), 3)),
        ("Clashes broke out in early May.", (D(2023, 5, 1), 3)),
        ("Clashes broke out in early May 2024.", (D(2024, 5, 1), 3)),
        ("The attack on March 3 killed four.", (D(2024, 3, 3), 1)),
        ("The attack on March 3, 2024 killed four.", (D(2024, 3, 3), 1)),
        ("The attack on 3 March 2024 killed four.", (D(2024, 3, 3), 1)),
        ("Report dated 2024-03-03.", (D(2024, 3, 3), 1)),
        ("Report dated 03/03/2024.", (D(2024, 3, 3), 1)),
        ("Report dated 25/12/2023.", (D(2023, 12, 25), 1)),
        ("Report dated 03/04/2024.", (D(2024, 3, 4), 1)),  # slashes: US order
        ("Bericht vom 03.04.2024.", (D(2024, 4, 3), 1)),  # dots: day first
        ("It happened Aug. 2, 1998 in Nairobi.", (D(1998, 8, 2), 1)),
        ("It happened on Tuesday, March 12.", (D(2024, 3, 12), 1)),
        ("The strike came three days ago.", (D(2024, 3, 11), 1)),
        ("The strike came two weeks ago.", (D(2024, 2, 26), 2)),
        ("The shelling continued over the weekend.", (D(2024, 3, 4), 2)),
        ("The offensive began in mid-March 2022.", (D(2022, 3, 1), 3)),
    ],
)
def test_phrase_classes(text: str, expected: tuple[dt.date, int]) -> None:
    assert value(text) == expected


def test_offsets_are_verbatim() -> None:
    text = "KYIV — Russian forces struck the city late on Tuesday, officials said."
    r = one(text)
    assert text[r.start : r.end] == r.text == "late on Tuesday"
    assert r.relative is True


def test_datetime_publication_is_accepted() -> None:
    assert value("It happened yesterday.", dt.datetime(2024, 3, 14, 23, 59)) == (D(2024, 3, 13), 1)
    assert find_dates("It happened yesterday.", "2024-03-14T23:59:00+02:00")[0].value == D(2024, 3, 13)
    assert find_dates("It happened yesterday.", "not a date")[0].value is None


def test_ranges_for_week_and_month_modifiers() -> None:
    week = one("Shelling intensified last week.")
    assert (week.range_start, week.range_end) == (D(2024, 3, 4), D(2024, 3, 10))
    late = one("Fighting peaked in late February.")
    assert late.value == D(2024, 2, 1) and (late.range_start, late.range_end) == (D(2024, 2, 21), D(2024, 2, 29))
    weekend = one("Shelling continued over the weekend.")
    assert (weekend.range_start, weekend.range_end) == (D(2024, 3, 9), D(2024, 3, 10))


def test_month_direction_follows_context() -> None:
    # No cue: the most recent one, unless the next one is much nearer.
    assert value("Figures from December are awaited.", D(2023, 11, 20)) == (D(2022, 12, 1), 3)
    assert value("A summit on March 20 is planned.", D(2024, 3, 14)) == (D(2024, 3, 20), 1)
    assert value("The summit on March 20 drew crowds.", D(2024, 3, 14)) == (D(2024, 3, 20), 1)
    # A forward preposition: the nearest either way ("payable Dec. 7" in late October).
    assert value("The dividend is payable Dec. 7.", D(1989, 10, 27)) == (D(1989, 12, 7), 1)
    assert value("It stayed in port until March 3, when it left.", D(2025, 3, 20)) == (D(2025, 3, 3), 1)
    assert value("The city fell on Dec. 7.", D(1989, 10, 27)) == (D(1988, 12, 7), 1)  # past tense
    assert value("Elections will be held in January.", D(2023, 11, 2)) == (D(2024, 1, 1), 3)
    assert value("The town was shelled in January.", D(2023, 11, 2)) == (D(2023, 1, 1), 3)
    assert value("Russian forces entered the city in February.", D(2024, 1, 10)) == (D(2023, 2, 1), 3)


def test_years_seasons_quarters_have_no_acled_precision() -> None:
    year = one("It was the 2022 invasion that changed everything.")
    assert (year.value, year.precision, year.timex) == (None, None, "2022")
    assert (year.range_start, year.range_end) == (D(2022, 1, 1), D(2022, 12, 31))
    summer = one("Fighting resumed last summer.")
    assert (summer.precision, summer.timex, summer.relative) == (None, "2023-SU", True)
    assert one("Profit rose in the third quarter.").timex == "2023-Q3"
    assert one("This year the harvest failed.").timex == "2024"


def test_business_periods() -> None:
    pub = D(1989, 10, 26)
    assert [r.timex for r in find_dates("Profit in the latest quarter beat the year-ago quarter.", pub)] == [
        "1989-Q3", "1988-Q3"]
    assert one("Sales in the current quarter will fall.", pub).timex == "1989-Q4"
    assert find_dates("Fighting reached the Old Quarter.", pub) == []


def test_holidays() -> None:
    assert value("He was shot on Christmas Eve.", D(2024, 1, 5)) == (D(2023, 12, 24), 1)
    assert value("Shops closed on Thanksgiving.", D(2023, 11, 27)) == (D(2023, 11, 23), 1)
    assert value("The truce held over Easter.", D(2024, 4, 3)) == (D(2024, 3, 31), 1)
    assert find_dates("The Christmas market reopened.", PUB) == []


def test_datelines_and_explicit_variants() -> None:
    assert value("Mon 4 Mar 2024 10.15 GMT") == (D(2024, 3, 4), 1)
    assert value("Published: 11:32 AM, March 4, 2024") == (D(2024, 3, 4), 1)
    assert value("on the 4th of March, 2024") == (D(2024, 3, 4), 1)
    assert value("Posted: Tuesday, January 28, 2014 8:18 PM EST") == (D(2014, 1, 28), 1)


def test_anaphoric_dates_follow_the_last_date_mentioned() -> None:
    text = ("Troops entered the town on March 3, 2024. The next day, shelling resumed. "
            "Two days later talks began. That week was quiet.")
    found = find_dates(text, None)
    assert [(r.text, r.value, r.precision) for r in found] == [
        ("March 3, 2024", D(2024, 3, 3), 1),
        ("The next day", D(2024, 3, 4), 1),
        ("Two days later", D(2024, 3, 5), 1),  # anchored on the explicit date, not chained
        ("That week", D(2024, 2, 26), 2),  # 3 March 2024 was a Sunday
    ]
    assert not any(r.relative for r in found)  # anchored on an explicit date: no publication date needed
    lone = one("The next day, shelling resumed.")
    assert lone.value is None and lone.relative
    assert find_dates("He said that day-to-day life was hard.", PUB) == []


def test_no_publication_date_keeps_relative_unresolved() -> None:
    found = find_dates("Troops attacked on Monday and again on March 3, 2024.", None)
    assert [r.text for r in found] == ["Monday", "March 3, 2024"]
    monday, explicit = found
    assert (monday.value, monday.precision, monday.relative) == (None, None, True)
    assert (explicit.value, explicit.precision, explicit.relative) == (D(2024, 3, 3), 1, False)
    for phrase in ("yesterday", "last week", "in December", "on March 3", "two days ago"):
        r = one(f"It happened {phrase}.", None)
        assert r.value is None and r.precision is None and r.relative, phrase


@pytest.mark.parametrize(
    "text",
    [
        "Officials may decide later.",
        "The march on Kyiv stalled.",
        "March organisers were detained.",
        "Theresa May said so.",
        "The meeting starts at 10 a.m. sharp.",
        "A Su-25 and an F-16 were seen.",
        "A 25-year-old man was wounded.",
        "Some 2000 troops arrived.",
        "Resolution 2334 was adopted.",
        "The fall of Mariupol shocked many.",
        "Prices fall when supply rises.",
        "Bloody Sunday is remembered.",
        "USA Today reported the claim.",
        "Call 555-1999 for help.",
        "Version 1.5.20 was released.",
        "He scored 3.5 points.",
        "They walked for hours.",
    ],
)
def test_negatives(text: str) -> None:
    assert find_dates(text, PUB) == []


def test_year_range_expression_gives_two_years() -> None:
    assert [r.timex for r in find_dates("the pandemic of 2009-2010", PUB)] == ["2009", "2010"]


def test_refs_only_on_request() -> None:
    assert find_dates("It is now clear.", PUB) == []
    assert [r.timex for r in find_dates("It is now clear.", PUB, refs=True)] == ["PRESENT_REF"]


def test_resolve_expression() -> None:
    r = resolve_expression("December", PUB)
    assert r is not None and (r.value, r.precision) == (D(2023, 12, 1), 3)
    r = resolve_expression("late last July", PUB)
    assert r is not None and r.timex == "2023-07" and r.range_start == D(2023, 7, 21)
    r = resolve_expression("next Monday", PUB)
    assert r is not None and r.value == D(2024, 3, 18)
    assert resolve_expression("the fighters", PUB) is None


def test_as_mention() -> None:
    m = as_mention(one("Fighting intensified last week."))
    assert (m.label, m.text) == ("DATE", "last week")
    assert m.attrs == {"value": "2024-03-04", "time_precision": 2, "relative": True, "range_start": "2024-03-04",
                       "range_end": "2024-03-10", "timex": "2024-W10"}


def test_many_calls_are_fast() -> None:
    import time

    text = "Russian forces struck on Monday, officials said on March 3, 2024, after clashes last week. " * 50
    t0 = time.perf_counter()
    for _ in range(20):
        find_dates(text, PUB)
    assert time.perf_counter() - t0 < 5.0


def test_leap_day_without_year() -> None:
    assert value("It happened on Feb. 29.", D(2025, 3, 1)) == (D(2024, 2, 29), 1)
    assert value("It will happen on Feb. 29.", D(2023, 3, 1)) == (D(2024, 2, 29), 1)


_TOKENS = ["on", "Monday", "late", "last", "next", "March", "May", "3", "31", "2024", "1999", "-", ",", ".",
           "week", "month", "year", "the", "day", "later", "that", "early", "mid", "Feb.", "29", "ago", "two",
           "weekend", "summer", "fall", "of", "quarter", "Christmas", "'80s", "/", "03/03/2024", "yesterday",
           "will", "was", "by", "until", "now", "20th", "century", "Easter", "night", "2024-02-30"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_TOKENS), max_size=14), st.dates(D(1990, 1, 1), D(2030, 12, 31)) | st.none())
def test_any_token_soup_gives_consistent_spans(tokens: list[str], published: dt.date | None) -> None:
    text = " ".join(tokens)
    found = find_dates(text, published, refs=True)
    for r in found:
        assert text[r.start : r.end] == r.text and r.text.strip() == r.text
        assert r.precision in (None, 1, 2, 3)
        assert (r.value is None) == (r.precision is None)
        if r.range_start and r.range_end:
            assert r.range_start <= r.range_end
        if r.precision == 1:
            assert r.range_start == r.value == r.range_end
        if published is None and r.relative:
            assert r.value is None
    assert all(a.end <= b.start for a, b in zip(found, found[1:], strict=False))


def _data_dir() -> Path:
    return Path(os.environ.get("TIDINGS_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))


@pytest.mark.shared_data
def test_tempeval_dev_sample_runs() -> None:
    from tidings.eval import time as time_eval

    data = _data_dir()
    if not (data / "time" / "tempeval3").exists():
        pytest.skip("shared data absent")
    metrics = time_eval.run(data, "dev", limit=10, baseline=False)
    assert metrics["gold_date_timexes"] > 0 and 0.5 < metrics["lenient_f1"] <= 1.0


@pytest.mark.shared_data
def test_gva_dev_sample_runs() -> None:
    from tidings.eval import gva_dates

    data = _data_dir()
    if not (data / "events" / "gva").exists():
        pytest.skip("shared data absent")
    metrics = gva_dates.run(data, "dev", limit=50)
    assert metrics["articles"] > 0 and 0.0 <= metrics["exact_match"] <= 1.0
