"""Inputs found by fuzzing (fuzz/targets.py, tests/test_fuzz_properties.py) that broke a parser, kept as tests.

Each test names the symptom it had before the fix; docs/fuzzing.md lists them with the fuzz runs.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
from collections.abc import Iterator
from typing import Any

import pytest
from fuzz.targets import MAX_COUNT, check_pages, t_feeds, t_records, t_warc

from tidings.events.casualties import parse_casualties, parse_number
from tidings.limits import DEFAULT_LIMITS
from tidings.resolve.dates import find_dates
from tidings.sources.feeds import read_feed
from tidings.sources.records import read_lines, read_records
from tidings.sources.warc import read_warc

RECORD_KINDS = {"record-html", "record-text", "unsupported"}

# One WARC response record, 45-byte block, as warcio writes it.
WARC = (b"WARC/1.0\r\nWARC-Type: response\r\nWARC-Record-ID: <urn:uuid:f991fa4b-7304-4a74-a170-5a9fac7ea0cb>\r\n"
        b"WARC-Target-URI: https://example.org/0\r\nWARC-Date: 2026-11-22T07:16:18Z\r\n"
        b"Content-Type: application/http; msgtype=response\r\nContent-Length: 45\r\n\r\n"
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n\x00\r\n\r\n")
IMAGE = (b"WARC/1.0\r\nWARC-Type: response\r\nWARC-Record-ID: <urn:uuid:2>\r\nWARC-Target-URI: https://example.org/i\r\n"
         b"Content-Type: application/http; msgtype=response\r\nContent-Length: 96\r\n\r\n"
         b"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\n\r\n" + b"x" * 52 + b"\r\n\r\n")


# --- JSON and JSON Lines: every bad record is an error page, never an exception ------------------------------
@pytest.mark.parametrize(("data", "why"), [
    (b'{"tex\x8c\xe7: "pretty",\n "id": "!p"}', "utf-8"),  # was UnicodeDecodeError from json.loads(bytes)
    (b"[" * 100_000, "recursion"),  # was RecursionError
    (b'{"a":' + b"[" * 100_000, "recursion"),  # the same inside a JSON Lines line
    (b"1" * 5000, "4300"),  # was ValueError: Python refuses int() over 4300 digits
    (b"[" + b"9" * 5000 + b"]", "4300"),
    (b'{"id": "a", "text": "x", "n": ' + b"7" * 4500 + b"}", "4300"),
])
def test_bad_json_is_an_error_page(data: bytes, why: str) -> None:
    pages = list(read_records("f.json", data, DEFAULT_LIMITS))
    check_pages(pages, RECORD_KINDS, "f.json")
    assert pages and pages[0].kind == "unsupported" and why in pages[0].error.lower()
    t_records(data)


def test_bad_json_lines_keep_the_good_ones() -> None:
    lines = [b'{"text": "one"}', b'{"text": "\xff\xfe"}', b"[" * 5000, b'{"text": "two"}']
    pages = list(read_lines("f.jsonl", lines, 1, DEFAULT_LIMITS))
    assert [p.kind for p in pages] == ["record-text", "unsupported", "unsupported", "record-text"]
    assert pages[1].source == "f.jsonl#line-2" and "line 2" in pages[1].error


# --- feeds ------------------------------------------------------------------------------------------------
def test_feed_with_a_malformed_tag_name() -> None:
    # lxml's recover mode keeps the tag "titttp:", which etree.QName refused with ValueError.
    data = (b"<?xml \x01<feed xmlns='http://www.w1.org/2005/Atom'><entry><i\x01\x00\x00\x00\x00\x00\x00\x00"
            b"<titfeed xmlns='hl>veersion='1.0'?><rss><chann\x01<feed xmlnersion='1.0'?><rls='h><item><titttp:")
    pages = list(read_feed("f.xml", data, DEFAULT_LIMITS))
    assert pages
    t_feeds(b"\x00" + data)
    t_feeds(b"\x01" + data)


def test_feed_with_prefixed_tags_reads_items() -> None:
    data = b"<rss><channel><item><dc:title>T</dc:title><description>Body</description></item></channel></rss>"
    pages = list(read_feed("f.xml", data, DEFAULT_LIMITS))
    assert [p.kind for p in pages] == ["record-html"]


# --- WARC: a cut or malformed record ends the file with one error page -------------------------------------
def _read(data: bytes) -> list[tuple[bytes, str | None]]:
    return [(p.raw, p.error) for p in read_warc("a.warc", io.BytesIO(data), DEFAULT_LIMITS)]


def test_warc_cut_before_the_target_uri() -> None:
    # warcio raised AttributeError ('NoneType' object has no attribute 'startswith').
    pages = _read(WARC[:36])
    assert len(pages) == 1 and pages[0][1] and "WARC record" in pages[0][1]
    crash = (b"\x00WARC/1.0\r\nWARC-Type: response\r\nWARC-Record-ID: <ur\x00\x1f\x8b\x08\x00\x00\x00\x00\x00\x02"
             b"\x03eS\xdbN\xe3n:uuid:2207536b-e4cc-4670-a3d5-2f40673ff796>\r\nWARC-Tar0\x10}get-URIG\xe2\x1fFy:")
    t_warc(crash)


def test_warc_content_length_too_big_for_an_index() -> None:
    # warcio raised OverflowError (cannot fit 'int' into an index-sized integer).
    data = (b"WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: https://e.org/\r\n"
            b"Content-Length: 99999999999999999999\r\n\r\nHTTP/1.1 200 OK\r\n\r\nx")
    pages = _read(data)
    assert len(pages) == 1 and pages[0][0] == b"" and pages[0][1]
    t_warc(b"\x00" + data)


@pytest.mark.parametrize("cut", [12, 100, WARC.index(b"WARC-Date"), WARC.index(b"Content-Length"),
                                 WARC.index(b"Content-Length") + 15, WARC.index(b"Content-Length") + 16])
def test_warc_cut_inside_the_record_headers(cut: int) -> None:
    # Used to yield nothing (warcio ends quietly) or, at "Content-Length:", an empty page with no error.
    pages = _read(WARC[:cut])
    assert len(pages) == 1 and pages[0][0] == b"" and "truncated" in (pages[0][1] or "")


@pytest.mark.parametrize("cut", [20, 150, len(IMAGE) - 10])
def test_warc_cut_inside_a_skipped_record(cut: int) -> None:
    # A cut inside a record that is not a page (an image) was not reported at all.
    pages = _read(WARC + IMAGE[:cut])
    assert pages[0] == (b"\x00", None)
    assert len(pages) == 2 and "truncated" in (pages[1][1] or "")


def test_whole_warc_reads_without_error() -> None:
    assert _read(WARC + IMAGE) == [(b"\x00", None)]


# --- casualties: counts are bounded head counts ----------------------------------------------------------
@pytest.mark.parametrize("sentence", [
    "At least 99999999999999999999999 people were killed in the strike.",  # overflowed INTEGER columns
    "Officials said 3000000000 civilians were killed.",
    "1" * 5000 + " people were killed.",  # was ValueError: int() over 4300 digits
])
def test_huge_numbers_are_not_casualty_counts(sentence: str) -> None:
    fatalities, injuries, _phrase = parse_casualties(sentence)
    assert fatalities is None and injuries is None


def test_sums_stay_bounded() -> None:
    sentence = ", ".join(["9,000,000 people were killed"] * 300) + "."
    fatalities, _injuries, _phrase = parse_casualties(sentence)
    assert fatalities is not None and 0 < fatalities <= MAX_COUNT
    assert parse_number("9" * 5000) is None
    assert parse_number("nine hundred hundred hundred hundred") is None


# --- dates -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("published", [dt.date(1, 1, 1), dt.date(9999, 12, 31), "0001-01-01", "9999-12-31"])
def test_relative_dates_near_the_ends_of_the_calendar(published: Any) -> None:
    # "yesterday" against 0001-01-01 was OverflowError: date value out of range.
    for text in ("yesterday", "tomorrow", "next year", "last month", "in the next century", "two days later"):
        found = find_dates(text, published)
        assert all(r.value is None for r in found)


# --- the API's cursor: a key of the wrong type or range was an HTTP 500 ---------------------------------------
@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from fastapi.testclient import TestClient

    from tidings.serve.app import create_app
    from tidings.serve.synthetic import fill

    db = tmp_path_factory.mktemp("fuzz-regressions") / "ledger.duckdb"
    fill(db, 20, seed=5)
    with TestClient(create_app(str(db)), raise_server_exceptions=True) as c:
        yield c


@pytest.mark.parametrize(("sort", "key"), [
    ("-date", 5),  # TypeError in date.fromisoformat
    ("-date", ""),  # DuckDB: invalid date field format
    ("date", None),
    ("fatalities", 2**70),  # DuckDB: out of range for INT32
    ("fatalities", 2**40),
    ("-sources", -(2**63) - 1),
    ("-fatalities", True),
])
def test_cursor_with_a_bad_key_is_400(client: Any, sort: str, key: Any) -> None:
    cursor = base64.urlsafe_b64encode(json.dumps({"s": sort, "k": key, "id": "x"}).encode()).decode()
    response = client.get("/api/events", params={"sort": sort, "cursor": cursor})
    assert response.status_code == 400, response.text
    assert response.json()["error"]["parameter"] == "cursor"


def test_cursor_returned_by_the_api_still_works(client: Any) -> None:
    for sort in ("-date", "fatalities", "-sources"):
        first = client.get("/api/events", params={"sort": sort, "limit": 3}).json()
        second = client.get("/api/events", params={"sort": sort, "limit": 3, "cursor": first["next_cursor"]})
        assert second.status_code == 200 and second.json()["events"]


# --- pipeline: fragments of feed items and JSON records, container dates -------------------------

@pytest.mark.parametrize("body", [
    "<html><title>\x02<html>",  # lxml: AssertionError "too many bodies"
    "<p>Shelling killed two.</p>\x1f<p>More.</p>",  # a control character in an lxml tail
])
def test_record_fragment_never_fails_extraction(body: str) -> None:
    from tidings.pipeline import Context, process_page
    from tidings.records import RawPage

    doc = process_page(RawPage(source="x", raw=b"{}", kind="record-html", hints={"body": body}), Context(analyse=False))
    assert doc.status in ("ok", "empty") and " failed: " not in (doc.error or ""), doc.error


@pytest.mark.parametrize("value", ["h1", "now", "1h", "<h1 ></h1>", "yesterday", "in 2 days"])
def test_container_date_is_never_the_run_clock(value: str) -> None:
    from tidings.pipeline import _iso

    assert _iso(value) is None


def test_container_dates_still_parse() -> None:
    from tidings.pipeline import _iso

    assert _iso("Mon, 05 Feb 2024 10:00:00 GMT") == "2024-02-05T10:00:00+00:00"
    assert _iso("February 5, 2024") == "2024-02-05T00:00:00"


def test_metadata_date_with_an_offset_over_24_hours() -> None:
    """Found by the metadata target: "+4200" became an ISO offset that datetime refuses to read."""
    import datetime as dt

    from tidings.clean.metadata import parse_date

    value = parse_date("12 February 2024 10:30 +4200")
    assert value == "2024-02-12T10:30"
    dt.datetime.fromisoformat(value)
    assert parse_date("12 February 2024 10:30 +0200") == "2024-02-12T10:30+02:00"
