"""Property-based tests (hypothesis) over every parser that reads hostile input.

Each test states what must hold for *any* input, not only that nothing raises: decoded text is a str,
offsets point at the text they name, dates are real dates, counts are bounded, a WARC cut anywhere
gives the pages before the cut, the API answers 200/400/404/422 and never 500. The checks shared with
the atheris fuzz targets live in fuzz/targets.py; the long fuzz runs are tests/test_fuzz_slow.py.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest
from fuzz.targets import (
    ALLOWED,
    CONTENT_TYPES,
    MAX_COUNT,
    check_dates,
    check_document,
    check_extracted,
    check_iso,
    check_pages,
)
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from tidings.clean.encoding import decode
from tidings.clean.html import extract_html
from tidings.clean.metadata import byline_from_line, date_from_line, parse_date, parse_iso_datetime
from tidings.clean.text import clean_text
from tidings.events.casualties import parse_casualties, parse_number
from tidings.limits import DEFAULT_LIMITS
from tidings.pipeline import Context, process_page
from tidings.records import RawPage
from tidings.resolve.dates import find_dates, resolve_expression
from tidings.serve import filters
from tidings.sources.feeds import read_feed
from tidings.sources.records import read_lines, read_records
from tidings.sources.warc import read_warc

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOWER = settings(max_examples=20, deadline=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

# Words that steer the parsers into their interesting branches; mixed with arbitrary text.
VOCAB = ["killed", "wounded", "dead", "injured", "death toll", "at least", "dozens", "twenty-two", "hundred",
         "1,200", "3", "no", "civilians", "soldiers", "people", "including", "on", "Monday", "last", "week",
         "March", "3,", "2024", "the next day", "two days later", "ago", "in", "early", "May", "summer",
         "Christmas", "1990s", "Q3", "By", "Published:", "said", "denied", "claimed", "Kharkiv", "Russia",
         "\n", ".", ",", "—", "[link](http://x)", "**bold**", "#", "<p>", "</p>", "&amp;", "\u00a0", "\x00"]
words = st.lists(st.one_of(st.sampled_from(VOCAB), st.text(max_size=6)), max_size=40).map(" ".join)
published = st.one_of(st.none(), st.dates(dt.date(1990, 1, 1), dt.date(2100, 12, 31)), st.dates(),
                      st.datetimes(dt.datetime(1990, 1, 1), dt.datetime(2100, 12, 31)), st.text(max_size=12),
                      st.dates().map(dt.date.isoformat))
CONTROL = {chr(c) for c in range(32)} - {"\n", "\t"}


# --- clean ---------------------------------------------------------------------------------------------
@FAST
@given(st.binary(max_size=3000), st.sampled_from(CONTENT_TYPES))
def test_decode_returns_text_for_any_bytes(raw: bytes, content_type: str | None) -> None:
    text, codec = decode(raw, content_type)
    assert isinstance(text, str) and codec
    raw.decode(codec, errors="replace")  # the codec named is a real one


@FAST
@given(st.text(max_size=500))
def test_decode_keeps_utf8_text_exactly(text: str) -> None:
    assume(not text.startswith("\ufeff") and "charset" not in text.lower() and "encoding" not in text.lower())
    assert decode(text.encode("utf-8")) == (text, "utf-8")


@FAST
@given(st.one_of(words, st.text(max_size=800)))
def test_clean_text_gives_clean_lines(raw: str) -> None:
    out = clean_text(raw)
    check_extracted(out)
    assert not CONTROL & set(out.text)
    assert all(line.strip() for line in out.text.split("\n")) or out.text == ""


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(["p", "div", "h1", "li", "script", "a", "table"]), words), max_size=8),
       st.one_of(st.none(), st.just("https://example.org/story")))
def test_extract_html_never_raises_and_returns_metadata(blocks: list[tuple[str, str]], url: str | None) -> None:
    html = "<html><body>" + "".join(f"<{tag}>{escape(text)}</{tag}>" for tag, text in blocks) + "</body></html>"
    out = extract_html(html, url)
    check_extracted(out)
    assert not CONTROL & set(out.text)
    assert out.url == url or url is None


@FAST
@given(st.dates(dt.date(1990, 1, 1), dt.date(2099, 12, 31)),  # the patterns read years 19xx and 20xx
       st.sampled_from(["%Y-%m-%d", "%d %B %Y", "%B %d, %Y", "%d.%m.%Y", "%b %d %Y"]))
def test_parse_date_reads_every_real_date(day: dt.date, fmt: str) -> None:
    assert parse_date(day.strftime(fmt)) == day.isoformat()
    assert date_from_line("Published: " + day.strftime(fmt)) == day.isoformat()


@FAST
@given(st.one_of(words, st.text(max_size=300)))
def test_metadata_lines_give_iso_or_none(line: str) -> None:
    check_iso(parse_date(line))
    check_iso(parse_iso_datetime(line))
    check_iso(date_from_line(line))
    author = byline_from_line(line)
    assert author is None or (isinstance(author, str) and author.strip() == author and author)


# --- sources ---------------------------------------------------------------------------------------------
def _warc(records: list[tuple[str, bytes]], gz: bool) -> bytes:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    out = io.BytesIO()
    writer = WARCWriter(out, gzip=gz)
    for i, (content_type, body) in enumerate(records):
        http = StatusAndHeaders("200 OK", [("Content-Type", content_type)], protocol="HTTP/1.1")
        writer.write_record(writer.create_warc_record(f"https://example.org/{i}", "response",
                                                      payload=io.BytesIO(body), http_headers=http))
    return out.getvalue()


@FAST
@given(st.lists(st.tuples(st.sampled_from(["text/html", "text/plain", "image/png"]), st.binary(max_size=300)),
                min_size=1, max_size=4),
       st.booleans(), st.integers(min_value=0))
def test_warc_cut_anywhere_gives_the_pages_before_the_cut(records: list[tuple[str, bytes]], gz: bool,
                                                           cut: int) -> None:
    data = _warc(records, gz)
    full = list(read_warc("a.warc", io.BytesIO(data), DEFAULT_LIMITS))
    assert [p.raw for p in full] == [body for ctype, body in records if ctype != "image/png"]
    assert all(p.error is None for p in full)
    cut %= len(data) + 1
    pages = list(read_warc("a.warc", io.BytesIO(data[:cut]), DEFAULT_LIMITS))
    check_pages(pages, {"html", "text", "unsupported"}, "a.warc#")
    good = [p for p in pages if p.error is None]
    assert len(pages) - len(good) <= 1 and (not pages or pages[-1].error is not None or len(good) == len(pages))
    # Every page read in full is one of the file's pages, in order (a cut body is never passed on whole).
    assert [p.raw for p in good] == [p.raw for p in full[: len(good)]]


@FAST
@given(st.binary(max_size=2000))
def test_warc_of_garbage_is_one_error_page_at_most(raw: bytes) -> None:
    pages = list(read_warc("g.warc", io.BytesIO(raw), DEFAULT_LIMITS))
    assert sum(p.error is not None for p in pages) <= 1


xml_text = st.text(st.characters(blacklist_categories=["Cs", "Cc"]), max_size=40)


@FAST
@given(st.lists(st.tuples(xml_text, xml_text), max_size=5), st.booleans())
def test_feed_gives_one_page_per_item(items: list[tuple[str, str]], atom: bool) -> None:
    if atom:
        body = "".join(f"<entry><title>{escape(t)}</title><content>{escape(c)}</content></entry>" for t, c in items)
        xml = f"<feed xmlns='http://www.w3.org/2005/Atom'>{body}</feed>"
    else:
        body = "".join(f"<item><title>{escape(t)}</title><description>{escape(c)}</description></item>"
                       for t, c in items)
        xml = f"<?xml version='1.0' encoding='utf-8'?><rss><channel>{body}</channel></rss>"
    pages = list(read_feed("f.xml", xml.encode("utf-8"), DEFAULT_LIMITS))
    if not items:
        assert [p.kind for p in pages] == ["empty"]
        return
    assert [p.kind for p in pages] == ["record-html"] * len(items)
    assert [p.hints.get("title") for p in pages] == [t.strip() or None for t, _ in items]


@FAST
@given(st.binary(max_size=1500))
def test_feed_of_garbage_never_raises(raw: bytes) -> None:
    pages = list(read_feed("f.xml", raw, DEFAULT_LIMITS))
    assert pages
    check_pages(pages, {"record-html", "unsupported", "empty"}, "f.xml")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["text", "html", "id", "url", "title", "published", "x"]) | st.text(max_size=5),
        inner, max_size=5),
    max_leaves=20)


@FAST
@given(st.lists(json_values, max_size=6))
def test_json_array_gives_one_page_per_item(items: list[Any]) -> None:
    data = json.dumps(items).encode()
    pages = list(read_records("r.json", data, DEFAULT_LIMITS))
    assert len(pages) == len(items) or (not items and pages == [])
    check_pages(pages, {"record-html", "record-text", "unsupported"}, "r.json")
    for item, page in zip(items, pages, strict=False):
        if isinstance(item, dict) and isinstance(item.get("text"), str) and not (
                isinstance(item.get("html"), str) and item["html"].strip()):
            assert page.kind == "record-text" and page.hints["body"] == item["text"]


@FAST
@given(st.lists(st.one_of(json_values.map(json.dumps), st.text(max_size=30)), max_size=6))
def test_json_lines_give_one_page_per_line(lines: list[str]) -> None:
    lines = [ln.replace("\n", " ").replace("\r", " ") for ln in lines]
    data = [ln.encode() for ln in lines]
    pages = list(read_lines("r.jsonl", data, 1, DEFAULT_LIMITS))
    assert len(pages) == sum(1 for ln in data if ln.strip())
    check_pages(pages, {"record-html", "record-text", "unsupported"}, "r.jsonl#")


@FAST
@given(st.binary(max_size=2000))
def test_records_of_garbage_never_raise(raw: bytes) -> None:
    check_pages(list(read_records("r.json", raw, DEFAULT_LIMITS)), {"record-html", "record-text", "unsupported"},
                "r.json")


# --- the whole page ---------------------------------------------------------------------------------------
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.binary(max_size=2000), words.map(str.encode)), st.sampled_from(["html", "text"]),
       st.sampled_from(CONTENT_TYPES))
def test_process_page_without_nlp(raw: bytes, kind: str, content_type: str | None) -> None:
    doc = process_page(RawPage(source="p", raw=raw, kind=kind, content_type=content_type), Context(analyse=False))
    check_document(doc)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(words, min_size=1, max_size=4).map("\n".join))
def test_process_page_with_nlp_keeps_offsets(text: str) -> None:
    doc = process_page(RawPage(source="p", raw=text.encode(), kind="text"), _nlp_context())
    check_document(doc)


_CTX: list[Context] = []


def _nlp_context() -> Context:
    if not _CTX:
        _CTX.append(Context(analyse=True))
    return _CTX[0]


# --- dates and numbers ------------------------------------------------------------------------------------
@FAST
@given(st.one_of(words, st.text(max_size=300)), published, st.booleans())
def test_find_dates_spans_and_values(text: str, pub: Any, refs: bool) -> None:
    check_dates(text, find_dates(text, pub, refs=refs))
    one = resolve_expression(text[:80], pub)
    assert one is None or one.value is None or isinstance(one.value, dt.date)


@FAST
@given(st.dates(dt.date(1990, 1, 8), dt.date(2100, 12, 31)),
       st.sampled_from(["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]))
def test_past_weekday_is_the_last_one_before_publication(pub: dt.date, weekday: str) -> None:
    found = find_dates(f"Troops were attacked on {weekday}.", pub)
    assert len(found) == 1 and found[0].precision == 1
    value = found[0].value
    assert value is not None and 0 <= (pub - value).days < 7 and value.strftime("%A") == weekday


@FAST
@given(st.one_of(words, st.text(max_size=300)))
def test_casualty_counts_are_bounded_and_quoted(text: str) -> None:
    fatalities, injuries, phrase = parse_casualties(text)
    for value in (fatalities, injuries):
        assert value is None or (isinstance(value, int) and 0 <= value <= MAX_COUNT)
    assert phrase is None or phrase in text
    number = parse_number(text)
    assert number is None or 0 <= number <= MAX_COUNT


@FAST
@given(st.integers(min_value=0, max_value=10_000_000).filter(lambda n: not 1900 <= n <= 2100), st.booleans())
def test_digit_counts_are_read_exactly(n: int, commas: bool) -> None:
    number = f"{n:,}" if commas else str(n)
    assert parse_casualties(f"{number} people were killed in the attack.")[0] == n
    assert parse_number(number) == n


# --- the API ----------------------------------------------------------------------------------------------
@FAST
@given(st.text(max_size=60), st.sampled_from(["bbox", "date", "sort", "cursor"]))
def test_filter_parsers_return_values_or_bad_parameter(value: str, which: str) -> None:
    try:
        if which == "bbox":
            box = filters.parse_bbox(value)
            assert box is None or (-90 <= box[1] <= box[3] <= 90)
        elif which == "date":
            assert filters.parse_date("d", value) is None or value
        elif which == "sort":
            assert filters.Sort.parse(value).name.lstrip("-") in filters.SORTS
        else:
            filters.decode_cursor(value, filters.Sort("date", True))
    except filters.BadParameter as exc:
        assert exc.parameter


@FAST
@given(st.one_of(st.integers(-(2**31), 2**31 - 1), st.dates().map(dt.date.isoformat)), st.text(max_size=40),
       st.sampled_from(["date", "-date", "fatalities", "-sources"]))
def test_cursor_round_trip(key: Any, event_id: str, sort_name: str) -> None:
    sort = filters.Sort.parse(sort_name)
    key = key if (sort.key == "date") == isinstance(key, str) else (0 if sort.key != "date" else "2024-01-01")
    cursor = filters.decode_cursor(filters.encode_cursor(sort, key, event_id), sort)
    assert cursor == {"s": sort.name, "k": key, "id": event_id}


def _cursor(payload: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


cursor_payloads = st.fixed_dictionaries({"s": st.sampled_from(["date", "-date", "fatalities", "-sources"]),
                                         "k": json_values, "id": st.text(max_size=10)})


@FAST
@given(cursor_payloads)
def test_any_cursor_is_accepted_only_with_a_key_of_the_sort_type(payload: dict[str, Any]) -> None:
    sort = filters.Sort.parse(payload["s"])
    try:
        cursor = filters.decode_cursor(_cursor(payload), sort)
    except filters.BadParameter:
        return
    key = cursor["k"]
    if sort.key == "date":
        assert isinstance(key, str) and dt.date.fromisoformat(key)
    else:
        assert type(key) is int and -(2**31) <= key < 2**31  # cast to INTEGER in the SQL


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from fastapi.testclient import TestClient

    from tidings.serve.app import create_app
    from tidings.serve.synthetic import fill

    db: Path = tmp_path_factory.mktemp("fuzz-api") / "ledger.duckdb"
    fill(db, 60, seed=11)
    with TestClient(create_app(str(db)), raise_server_exceptions=True) as c:
        yield c


PARAMS = ["date_from", "date_to", "event_type", "sub_event_type", "actor", "entity", "country", "admin1", "bbox",
          "status", "contested", "min_fatalities", "q", "sort", "limit", "cursor", "zoom", "view", "top", "kind",
          "offset", "stance", "doc_id", "event_id", "attributed_to"]
ROUTES = ["/api/events", "/api/stats", "/api/entities", "/api/claims", "/api/download/events.jsonl"]
param_values = st.one_of(st.text(max_size=30), st.integers().map(str), st.sampled_from(
    ["2024-01-01", "Battles", "claimed", "-fatalities", "30,40,31,41", "true", "nan,0,1,1", "-1", "%", "_"]))


@SLOWER
@given(st.sampled_from(ROUTES), st.lists(st.tuples(st.sampled_from(PARAMS), param_values), max_size=6))
def test_api_answers_any_query_without_500(client: Any, route: str, params: list[tuple[str, str]]) -> None:
    response = client.get(route, params=params)
    assert response.status_code in ALLOWED, (route, params, response.text[:300])
    if response.status_code != 200:
        assert response.json()["error"]["status"] == response.status_code


@SLOWER
@given(st.sampled_from(ROUTES + ["/api/events/", "/api/documents/", "/api/entities/"]), st.text(max_size=80))
def test_api_answers_any_raw_query_string_without_500(client: Any, route: str, raw: str) -> None:
    from urllib.parse import quote

    if route.endswith("/"):
        url = route + quote(raw, safe="")
    else:
        url = route + "?" + quote(raw, safe="=&")
    response = client.get(url)
    assert response.status_code in ALLOWED, (url, response.text[:300])


@SLOWER
@given(cursor_payloads)
def test_api_answers_any_cursor_without_500(client: Any, payload: dict[str, Any]) -> None:
    response = client.get("/api/events", params={"sort": payload["s"], "limit": 2, "cursor": _cursor(payload)})
    assert response.status_code in (200, 400, 422), response.text[:300]  # 422: over 400 characters
