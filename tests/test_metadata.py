"""Dates, bylines, titles and HTML-head metadata."""

from __future__ import annotations

import pytest
from lxml import html as lhtml

from tidings.clean.metadata import (
    byline_from_line,
    clean_title,
    date_from_line,
    html_metadata,
    parse_date,
    parse_iso_datetime,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Date: 2025-04-08 21:44", "2025-04-08T21:44"),
        ("Published: Nov 20, 2023", "2023-11-20"),
        ("Nov 20, 2023", "2023-11-20"),
        ("20.11.2023", "2023-11-20"),
        ("Updated on 3 March 2024 at 9:15 pm GMT", "2024-03-03T21:15+00:00"),
        ("2024-02-29T08:00:00+02:00", "2024-02-29T08:00:00+02:00"),
        ("Posted 20. November 2023", "2023-11-20"),
        ("Опубликовано: 14.05.2025 10:30", "2025-05-14T10:30"),
    ],
)
def test_date_lines(text: str, expected: str) -> None:
    assert date_from_line(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Russian forces shelled the village on Nov 20, 2023, killing two people and wounding five others.",
        "30.02.2023",  # not a day
        "2 hours ago",  # relative: never resolved against the clock
        "",
    ],
)
def test_not_date_lines(text: str) -> None:
    assert date_from_line(text) is None


def test_parse_date_rejects_impossible_and_relative() -> None:
    assert parse_date("yesterday") is None
    assert parse_date("2023-13-40") is None
    assert parse_date("released in 1850-01-01") is None


def test_iso_from_metadata() -> None:
    assert parse_iso_datetime("2023-04-28T17:40:08Z") == "2023-04-28T17:40:08+00:00"
    assert parse_iso_datetime("2023-04-28") == "2023-04-28"
    assert parse_iso_datetime(["2021-01-02T03:04:05+01:00"]) == "2021-01-02T03:04:05+01:00"
    assert parse_iso_datetime("garbage") is None
    assert parse_iso_datetime(None) is None


@pytest.mark.parametrize(
    ("line", "author"),
    [
        ("By Jane Doe", "Jane Doe"),
        ("By Jane Doe, Reuters", "Jane Doe"),
        ("Author: Olena Petrenko | 20.11.2023", "Olena Petrenko"),
        ("By JOHN SMITH and MARY ROE Nov 20, 2023", "JOHN SMITH and MARY ROE"),
        ("Von Max Mustermann", "Max Mustermann"),
    ],
)
def test_bylines(line: str, author: str) -> None:
    assert byline_from_line(line) == author


def test_not_bylines() -> None:
    assert byline_from_line("By the end of the day, the ceasefire had collapsed across the entire front line and "
                            "both sides blamed each other for the renewed shelling of civilian areas.") is None
    assert byline_from_line("Jane Doe") is None
    assert byline_from_line("By Monday, the army had withdrawn from the village.") is None
    assert byline_from_line("By nightfall") is None


@pytest.mark.parametrize(
    ("title", "site", "expected"),
    [
        ("[BREAKING] Drone strike hits depot | Daily Planet", "Daily Planet", "Drone strike hits depot"),
        ("EXCLUSIVE: Militia leader speaks", None, "Militia leader speaks"),
        ("Talks stall in Doha - The Kyiv Independent", None, "Talks stall in Doha"),
        ("Ukraine - Russia talks resume in Istanbul", None, "Ukraine - Russia talks resume in Istanbul"),
        (None, None, None),
    ],
)
def test_titles(title: str | None, site: str | None, expected: str | None) -> None:
    assert clean_title(title, site) == expected


PAGE = """<html><head>
<title>Strike on depot | Example News</title>
<meta property="og:site_name" content="Example News">
<meta property="og:title" content="Strike on depot">
<meta name="author" content="Meta Author">
<script type="application/ld+json">
{"@context": "https://schema.org", "@graph": [
 {"@type": "WebPage", "name": "x"},
 {"@type": "NewsArticle", "headline": "Strike on depot", "datePublished": "2024-05-03T15:47:42+02:00",
  "author": [{"@type": "Person", "name": "Olena Petrenko"}, {"@type": "Person", "name": "John Roe"}],
  "publisher": {"@type": "Organization", "name": "Example News"},
  "articleBody": "Body from JSON-LD."}]}
</script></head><body><p>x</p></body></html>"""


def test_html_metadata_prefers_json_ld() -> None:
    meta = html_metadata(lhtml.fromstring(PAGE))
    assert meta["published"] == "2024-05-03T15:47:42+02:00"
    assert meta["published_from"] == "json-ld"
    assert meta["author"] == "Olena Petrenko; John Roe"
    assert meta["title"] == "Strike on depot"
    assert meta["site"] == "Example News"
    assert meta["article_body"] == "Body from JSON-LD."


def test_html_metadata_meta_tags_and_broken_json() -> None:
    page = """<html><head><meta property="article:published_time" content="2023-11-20T10:00:00Z">
    <script type="application/ld+json">{not json</script></head><body></body></html>"""
    meta = html_metadata(lhtml.fromstring(page))
    assert meta["published"] == "2023-11-20T10:00:00+00:00"
    assert meta["published_from"] == "meta"
