"""Atheris fuzz targets, one per parser, and the command that runs them.

    .venv/bin/python -m fuzz.targets TARGET --seconds 600      # one target
    .venv/bin/python -m fuzz.targets all --seconds 600         # every target, one after the other
    .venv/bin/python -m fuzz.targets --list

Each target takes the fuzzer's bytes, calls a parser and checks what it returns. A crash is any exception
the parser does not document (the API's documented rejections are HTTP 400/404/422; `filters` may raise
`BadParameter`), an AssertionError from a check, a hang (`-timeout`, seconds per input) or memory over
`-rss_limit_mb`. Crashing inputs are written to the artifacts directory; turn each into a test in
tests/test_fuzz_regressions.py.

The targets import tidings lazily so that `main` can import the modules under atheris's instrumentation
first; the property tests (tests/test_fuzz_properties.py) reuse the same checks without atheris.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import io
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
WORK = Path(os.environ.get("TIDINGS_FUZZ_DIR", Path(tempfile.gettempdir()) / "tidings-fuzz"))
ISO = re.compile(r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:\d{2})?)?$")
STATUSES = {"ok", "error", "empty", "unsupported"}


def _text(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


def _pick(data: bytes, n: int) -> tuple[int, bytes]:
    """The first byte chooses one of `n` options; the rest is the payload."""
    return (data[0] % n, data[1:]) if data else (0, b"")


def check_iso(value: str | None) -> None:
    if value is None:
        return
    assert isinstance(value, str) and ISO.match(value), value
    dt.datetime.fromisoformat(value)


# --- clean ---------------------------------------------------------------------------------------
CONTENT_TYPES = [None, "text/html", "text/html; charset=utf-8", "text/html; charset=windows-1251",
                 "text/html; charset=bogus-9", "text/plain; charset=utf-16", "text/html; charset=shift_jis"]


def t_encoding(data: bytes) -> None:
    import codecs

    from tidings.clean.encoding import decode, looks_binary

    choice, raw = _pick(data, len(CONTENT_TYPES))
    text, codec = decode(raw, CONTENT_TYPES[choice])
    assert isinstance(text, str) and isinstance(codec, str)
    codecs.lookup(codec)
    assert isinstance(looks_binary(raw), bool)
    if raw.startswith(codecs.BOM_UTF8):
        assert text == raw[3:].decode("utf-8", errors="replace")


def check_extracted(out: Any) -> None:
    assert isinstance(out.text, str) and isinstance(out.boilerplate, str)
    for value in (out.title, out.author, out.site, out.url, out.language):
        assert value is None or isinstance(value, str)
    check_iso(out.published)


def t_html(data: bytes) -> None:
    from tidings.clean.html import _extract

    choice, raw = _pick(data, 2)
    # _extract, not extract_html: the wrapper's catch-all would hide the very bugs we look for.
    check_extracted(_extract(_text(raw), "https://example.org/a" if choice else None))


def t_text(data: bytes) -> None:
    from tidings.clean.text import _clean_text, filter_extracted

    text = _text(data)
    out = _clean_text(text)  # not clean_text: its catch-all would hide bugs
    check_extracted(out)
    kept, removed, found = filter_extracted(text, "A title", None)
    assert isinstance(kept, str) and isinstance(removed, str)
    check_iso(found.get("published"))


def t_metadata(data: bytes) -> None:
    from trafilatura.utils import load_html

    from tidings.clean import metadata as m

    choice, raw = _pick(data, 2)
    text = _text(raw)
    check_iso(m.parse_date(text, day_first=bool(choice)))
    check_iso(m.parse_iso_datetime(text))
    check_iso(m.date_from_line(text))
    for value in (m.byline_from_line(text), m.clean_author(text), m.clean_title(text, "Site", "https://x.org/")):
        assert value is None or isinstance(value, str)
    if text.strip():
        tree = load_html(text)
        if tree is not None:
            meta = m.html_metadata(tree)
            check_iso(meta.get("published"))


# --- sources -------------------------------------------------------------------------------------
def check_pages(pages: list[Any], kinds: set[str], path: str) -> None:
    from tidings.records import RawPage

    for page in pages:
        assert isinstance(page, RawPage) and isinstance(page.raw, bytes), page
        assert page.kind in kinds, page.kind
        assert page.source.startswith(path), page.source
        assert (page.error is not None) == (page.kind in ("unsupported", "empty")) or page.kind == "empty", page


def t_warc(data: bytes) -> None:
    from tidings.limits import DEFAULT_LIMITS, Limits
    from tidings.sources.warc import read_warc

    choice, raw = _pick(data, 2)
    limits = Limits(max_raw_bytes=64) if choice else DEFAULT_LIMITS
    pages = list(read_warc("f.warc", io.BytesIO(raw), limits))
    check_pages(pages, {"html", "text", "unsupported"}, "f.warc#")
    # A broken record ends the file: only the last page may be a truncation or format error.
    assert all("WARC record" not in (p.error or "") or "limit" in (p.error or "") for p in pages[:-1])


def _failing_fetcher(url: str) -> tuple[bytes, str | None, str]:
    if len(url) % 2:
        raise OSError("refused")
    return b"<p>linked</p>", "text/html", url


def t_feeds(data: bytes) -> None:
    from tidings.limits import DEFAULT_LIMITS
    from tidings.sources.feeds import read_feed

    choice, raw = _pick(data, 2)
    pages = list(read_feed("f.xml", raw, DEFAULT_LIMITS, fetcher=_failing_fetcher if choice else None))
    check_pages(pages, {"html", "record-html", "unsupported", "empty"}, "f.xml")
    assert pages, "a feed yields at least one page (an error page when unreadable)"


def t_records(data: bytes) -> None:
    from tidings.limits import DEFAULT_LIMITS
    from tidings.sources.records import read_lines, read_records

    kinds = {"record-html", "record-text", "unsupported"}
    pages = list(read_records("f.json", data, DEFAULT_LIMITS))
    check_pages(pages, kinds, "f.json")
    for page in pages:
        if page.kind != "unsupported":
            assert isinstance(page.hints.get("body"), str)
    check_pages(list(read_lines("f.jsonl", data.splitlines(), 7, DEFAULT_LIMITS)), kinds, "f.jsonl#")


# --- the whole page --------------------------------------------------------------------------------
KINDS = ["html", "text", "record-html", "record-text"]


# Bugs found by fuzzing in files outside this work's remit, reported to their owners (docs/fuzzing.md);
# listed so that a long run goes on to find others. Remove an entry when its bug is fixed.
KNOWN_ELSEWHERE: tuple[str, ...] = ()  # errors of parsers outside these targets, known and not yet fixed


def check_document(doc: Any) -> None:
    assert doc.status in STATUSES, doc.status
    # process_page turns any exception into "<stage> failed: ..." on the document: for a parser that is a bug.
    error = doc.error or ""
    assert " failed: " not in error or any(known in error for known in KNOWN_ELSEWHERE), doc.error
    assert isinstance(doc.text, str)
    check_iso(doc.published)
    for seg in doc.segments:
        assert 0 <= seg.start <= seg.end <= len(doc.text), seg
        assert 0 <= seg.raw_start <= seg.raw_end <= len(doc.raw_text), seg
        # A line is mapped verbatim, or (interrupted by markup) by its first and last 24 characters.
        k = min(24, seg.end - seg.start)
        assert doc.text[seg.start:seg.start + k] == doc.raw_text[seg.raw_start:seg.raw_start + k], seg
        assert doc.text[seg.end - k:seg.end] == doc.raw_text[seg.raw_end - k:seg.raw_end], seg
    for mention in doc.mentions:
        assert 0 <= mention.start <= mention.end <= len(doc.text), mention
        assert doc.text[mention.start:mention.end] == mention.text, mention
    for report in doc.reports:
        assert 0 <= report.start <= report.end <= len(doc.text), report
        casualties = report.fields.get("casualties") or {}
        for key in ("fatalities", "injuries"):
            value = casualties.get(key) if isinstance(casualties, dict) else None
            assert value is None or (isinstance(value, int) and 0 <= value < 2**31), casualties
    for claim in doc.claims:
        assert 0 <= claim.start <= claim.end <= len(doc.text), claim


def make_page(data: bytes, max_chars: int | None = None) -> Any:
    from tidings.records import RawPage

    choice, raw = _pick(data, len(KINDS) * 2)
    kind = KINDS[choice % len(KINDS)]
    content_type = CONTENT_TYPES[choice % len(CONTENT_TYPES)]
    if max_chars is not None:
        raw = raw[:max_chars]
    hints: dict[str, Any] = {}
    if kind.startswith("record-"):
        lines = _text(raw).split("\n", 1)
        hints = {"title": lines[0][:200], "published": lines[0][:40], "body": lines[-1]}
    return RawPage(source="fuzz", raw=raw, kind=kind, url="https://example.org/story" if choice % 2 else None,
                   content_type=content_type, hints=hints)


def t_pipeline(data: bytes) -> None:
    from tidings.pipeline import Context, process_page

    check_document(process_page(make_page(data), Context(analyse=False)))


@cache
def _analyse_context() -> Any:
    from tidings.pipeline import Context

    return Context(analyse=True)


def t_analyse(data: bytes) -> None:
    from tidings.pipeline import process_page

    # Small pages only: the NLP stages cost milliseconds per sentence, and coverage matters, not size.
    check_document(process_page(make_page(data, max_chars=3000), _analyse_context()))


# --- dates and numbers -----------------------------------------------------------------------------
PUBLISHED: list[Any] = [None, "2024-03-03", "2024-02-29T23:59:00+02:00", dt.date(1901, 1, 1),
                        dt.date(2199, 12, 31), dt.datetime(2023, 12, 31, 23, 0), "not a date", "2024-13-45",
                        dt.date(1, 1, 1), "9999-12-31"]


def check_dates(text: str, found: list[Any]) -> None:
    for res in found:
        assert 0 <= res.start <= res.end <= len(text), res
        assert text[res.start:res.end] == res.text, res
        assert res.value is None or isinstance(res.value, dt.date), res
        assert res.precision in (None, 1, 2, 3), res
        if res.precision is not None:
            assert res.value is not None, res
        if res.range_start is not None and res.range_end is not None:
            assert res.range_start <= res.range_end, res
    starts = [r.start for r in found]
    assert starts == sorted(starts)


def t_dates(data: bytes) -> None:
    from tidings.resolve.dates import as_mention, find_dates, resolve_expression

    choice, raw = _pick(data, len(PUBLISHED))
    text = _text(raw)
    found = find_dates(text, PUBLISHED[choice], refs=bool(choice % 2))
    check_dates(text, found)
    for res in found:
        as_mention(res)
    one = resolve_expression(text[:200], PUBLISHED[choice])
    assert one is None or one.value is None or isinstance(one.value, dt.date)


MAX_COUNT = 2**31 - 1  # events.fatalities and injuries are INTEGER columns


def t_casualties(data: bytes) -> None:
    from tidings.events.casualties import parse_casualties, parse_number

    text = _text(data)
    fatalities, injuries, phrase = parse_casualties(text)
    for value in (fatalities, injuries):
        assert value is None or (isinstance(value, int) and 0 <= value <= MAX_COUNT), (fatalities, injuries)
    assert phrase is None or phrase in text
    assert (phrase is None) == (fatalities is None and injuries is None)
    number = parse_number(text[:200])
    assert number is None or (isinstance(number, int) and 0 <= number <= MAX_COUNT), number


# --- the API -------------------------------------------------------------------------------------------
def t_filters(data: bytes) -> None:
    from tidings.serve import filters as f

    choice, raw = _pick(data, 6)
    text = _text(raw)
    if choice == 5:  # the payload as a cursor's JSON, so that the fuzzer reaches the checks of its fields
        text = base64.urlsafe_b64encode(raw).decode()
        choice = 3
    try:
        if choice == 0:
            day = f.parse_date("d", text)
            assert day is None or isinstance(day, dt.date)
        elif choice == 1:
            box = f.parse_bbox(text)
            if box is not None:
                w, s, e, n = box
                assert -180 <= w <= 180 and -180 <= e <= 180 and -90 <= s <= n <= 90
        elif choice == 2:
            f.Sort.parse(text).order_by()
        elif choice == 3:
            for sort in (f.Sort("date", True), f.Sort("fatalities", False)):
                try:
                    cursor = f.decode_cursor(text, sort)
                except f.BadParameter:
                    continue
                assert isinstance(cursor["id"], str)
                sort.after(cursor)
                # The key is cast to the sort's SQL type (DATE or INTEGER): it must fit, or DuckDB fails (HTTP 500).
                key = cursor["k"]
                if sort.key == "date":
                    assert isinstance(key, str) and dt.date.fromisoformat(key), cursor
                else:
                    assert type(key) is int and -(2**31) <= key < 2**31, cursor
        else:
            values = f._checked("status", text.split("&"), f.STATUSES)
            assert all(v in f.STATUSES for v in values)
    except f.BadParameter as exc:
        assert exc.parameter and str(exc)


ROUTES = ["cursor", "/api/events", "/api/stats", "/api/facets", "/api/entities", "/api/claims",
          "/api/download/events.csv", "/api/download/events.jsonl", "/api/events/", "/api/entities/",
          "/api/documents/", "/api/download/events."]
ALLOWED = {200, 400, 404, 422}


@cache
def _client() -> Any:
    from fastapi.testclient import TestClient

    from tidings.serve.app import create_app
    from tidings.serve.synthetic import fill

    db = WORK / f"api-{os.getpid()}.duckdb"
    db.parent.mkdir(parents=True, exist_ok=True)
    db.unlink(missing_ok=True)  # built afresh: the schema moves on between runs
    fill(db, 120, seed=3)
    # raise_server_exceptions: an error the app does not turn into a response is a crash here
    return TestClient(create_app(str(db)), raise_server_exceptions=True)


def t_api(data: bytes) -> None:
    from urllib.parse import quote

    choice, raw = _pick(data, len(ROUTES))
    route = ROUTES[choice]
    text = _text(raw)
    if route == "cursor":  # the payload is a cursor's JSON; its first character picks the sort
        sort = ["date", "-date", "fatalities", "-sources"][raw[0] % 4 if raw else 0]
        cursor = base64.urlsafe_b64encode(raw[1:]).decode().rstrip("=")[:400]
        url = f"/api/events?sort={sort}&limit=2&cursor={cursor}"
    elif route.endswith(("/", ".")):
        path, _, query = text.partition("?")
        url = route + quote(path, safe="") + "?" + quote(query, safe="=&")
    else:
        url = route + "?" + quote(text, safe="=&")
    response = _client().get(url)
    assert response.status_code in ALLOWED, (url, response.status_code, response.text[:300])
    if response.status_code != 200:
        assert response.json()["error"]["status"] == response.status_code


# In the order `all` runs them: the parsers of whole files and requests first.
TARGETS: dict[str, Callable[[bytes], None]] = {
    "records": t_records, "warc": t_warc, "feeds": t_feeds, "pipeline": t_pipeline, "api": t_api,
    "dates": t_dates, "casualties": t_casualties, "html": t_html, "text": t_text, "metadata": t_metadata,
    "filters": t_filters, "encoding": t_encoding, "analyse": t_analyse,
}

# The modules each target exercises: imported under atheris's instrumentation before fuzzing.
MODULES: dict[str, list[str]] = {
    "encoding": ["tidings.clean.encoding"],
    "html": ["tidings.clean.html", "tidings.clean.text", "tidings.clean.metadata"],
    "text": ["tidings.clean.text", "tidings.clean.metadata"],
    "metadata": ["tidings.clean.metadata"],
    "warc": ["tidings.sources.warc", "warcio.archiveiterator", "warcio.recordloader", "warcio.statusandheaders",
             "warcio.bufferedreaders"],
    "feeds": ["tidings.sources.feeds"],
    "records": ["tidings.sources.records"],
    "pipeline": ["tidings.pipeline", "tidings.clean.encoding", "tidings.clean.html", "tidings.clean.text",
                 "tidings.clean.metadata", "tidings.clean.copies", "tidings.clean.language"],
    "analyse": ["tidings.pipeline", "tidings.analyse", "tidings.relevance", "tidings.resolve.dates",
                "tidings.resolve.mentions", "tidings.resolve.places", "tidings.events.detect",
                "tidings.events.casualties", "tidings.events.attribution", "tidings.events.claims",
                "tidings.events.roles", "tidings.clean.text"],
    "dates": ["tidings.resolve.dates", "tidings.resolve.dates_calendar", "tidings.resolve.dates_lexicon"],
    "casualties": ["tidings.events.casualties"],
    "filters": ["tidings.serve.filters"],
    "api": ["tidings.serve.filters", "tidings.serve.api", "tidings.serve.queries", "tidings.serve.database",
            "tidings.serve.app", "tidings.serve.security"],
}


# --- seeds ---------------------------------------------------------------------------------------------
ARTICLE = (b"<html><head><meta charset='utf-8'><title>Strike on Kharkiv | News</title>"
           b"<meta property='article:published_time' content='2024-03-03T10:00:00+02:00'>"
           b"<script type='application/ld+json'>{\"@type\":\"NewsArticle\",\"headline\":\"Strike\","
           b"\"datePublished\":\"2024-03-03\",\"author\":{\"name\":\"Jane Doe\"}}</script></head>"
           b"<body><nav><a href='/'>Home</a></nav><article><h1>Strike on Kharkiv</h1><p>By Jane Doe</p>"
           b"<p>At least 12 people were killed and 30 wounded when a missile hit Kharkiv on Monday, the "
           b"governor said.</p><p>Russia denied targeting civilians. Two days later, rescuers found more "
           b"bodies.</p></article><footer>Share this</footer></body></html>")
TEXT = (b"Home | World | Europe\nStrike on Kharkiv\nBy Jane Doe\nPublished: Nov 20, 2023\n\n"
        b"At least twenty-two people were killed and dozens injured in a drone strike on Sunday, "
        b"officials said.\n[Read more](https://example.org/x)\n**Share** this article\n")


def _warc(gz: bool) -> bytes:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    out = io.BytesIO()
    writer = WARCWriter(out, gzip=gz)
    http = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
    writer.write_record(writer.create_warc_record("https://example.org/a", "response", payload=io.BytesIO(ARTICLE),
                                                  http_headers=http))
    writer.write_record(writer.create_warc_record("https://example.org/t.txt", "resource", payload=io.BytesIO(TEXT),
                                                  warc_content_type="text/plain"))
    return out.getvalue()


def _examples(pattern: str, prefix: bytes = b"") -> list[bytes]:
    """The repo's example inputs as extra seeds (capped: libFuzzer's -max_len)."""
    return [prefix + p.read_bytes()[:65_000] for p in sorted((ROOT / "examples").glob(pattern))]


def seeds(name: str) -> list[bytes]:
    return _seeds(name) + {
        "html": _examples("html/*.html", b"\x00"), "pipeline": _examples("html/*.html", b"\x00"),
        "text": _examples("text/*.txt"), "warc": _examples("warc/*.warc*", b"\x00"),
        "feeds": _examples("feeds/*", b"\x00"), "records": _examples("records/*"),
        "encoding": _examples("html/*.html", b"\x00"),
    }.get(name, [])


def _seeds(name: str) -> list[bytes]:
    if name == "encoding":
        return [b"\x00" + ARTICLE, b"\x01" + "Привет, мир".encode("cp1251"), b"\x02\xef\xbb\xbfhi",
                b"\x03" + "café crème".encode("latin-1"), b"\x05" + "news".encode("utf-16")]
    if name in ("html", "metadata"):
        return [b"\x00" + ARTICLE, b"\x01<p>Published 20.11.2023 12:30 UTC</p>", b"\x00By Jane Doe, Reuters"]
    if name == "text":
        return [TEXT, b"---\ntitle: X\ndate: 2024-01-02\n---\nBody line that is long enough to be body text here."]
    if name == "warc":
        return [b"\x00" + _warc(False), b"\x01" + _warc(True), b"\x00" + _warc(True)[:300]]
    if name == "feeds":
        return [b"\x00<?xml version='1.0'?><rss><channel><item><title>T</title><link>https://e.org/1</link>"
                b"<pubDate>Mon, 04 Mar 2024 10:00:00 GMT</pubDate><description>&lt;p&gt;Body&lt;/p&gt;</description>"
                b"</item></channel></rss>",
                b"\x01<feed xmlns='http://www.w3.org/2005/Atom'><entry><id>x</id><title>T</title>"
                b"<link href='https://e.org/22'/><author><name>A</name></author><content>Hi</content></entry></feed>"]
    if name == "records":
        return [b'[{"id": "a", "text": "Body", "published": "2024-01-01"}, {"html": "<p>x</p>"}, 3]',
                b'{"id": 1, "title": "T", "text": "x"}\n{"html": "<b>y</b>", "url": "https://e.org"}\nnot json\n',
                b'{"text": "pretty",\n "id": "p"}']
    if name in ("pipeline", "analyse"):
        return [b"\x00" + ARTICLE, b"\x01" + TEXT, b"\x02" + ARTICLE, b"\x03" + TEXT]
    if name == "dates":
        return [b"\x01The attack came on Monday, two days after the March 3, 2024 talks; last week was calm.",
                b"\x02In early May and in the 1990s, at Christmas, Q3 2023, this summer, a year earlier."]
    if name == "casualties":
        return [b"At least 12 people were killed and 30 wounded, including five children.",
                b"Three soldiers died; no civilians were hurt. The death toll rose to 1,200."]
    if name == "filters":
        return [b"\x002024-01-01", b"\x0130.1,40,31,50.5", b"\x02-fatalities",
                b"\x03eyJzIjoiLWRhdGUiLCJrIjoiMjAyNC0wMS0wMSIsImlkIjoiZXYtMSJ9", b"\x04claimed&denied",
                b'\x05{"s":"-date","k":"2024-01-01","id":"ev-1"}', b'\x05{"s":"fatalities","k":3,"id":"ev-1"}']
    if name == "api":
        return [b"\x01event_type=Battles&limit=5&sort=-fatalities&bbox=20,40,40,60",
                b"\x02zoom=5&view=20,40,40,60&date_from=2023-01-01", b"\x04q=kyiv&limit=3", b"\x05stance=denies",
                b"\x08ev-123?x=1", b"\x0bjson?status=claimed", b'\x00\x01{"s":"-date","k":"2024-01-01","id":"ev-1"}',
                b'\x00\x02{"s":"fatalities","k":3,"id":"ev-1"}']
    raise KeyError(name)


# --- running ---------------------------------------------------------------------------------------------
def fuzz(name: str, seconds: int, corpus: Path, artifacts: Path, extra: list[str]) -> None:
    """Run one target in this process until `seconds` pass or it crashes (libFuzzer exits then)."""
    import importlib

    import atheris

    corpus.mkdir(parents=True, exist_ok=True)
    artifacts.mkdir(parents=True, exist_ok=True)
    for i, seed in enumerate(seeds(name)):
        (corpus / f"seed-{i}").write_bytes(seed)
    with atheris.instrument_imports(include=["tidings", "warcio"]):
        for module in MODULES[name]:
            importlib.import_module(module)
    target = TARGETS[name]
    if name == "api":
        _client()  # build the database and app before the clock starts
    # First use imports libraries and loads models (spaCy, trafilatura, lexicons): seconds on a busy
    # machine, which libFuzzer's per-input timeout would report as a hang. Do it before the clock starts.
    for seed in seeds(name)[:2]:
        target(seed)
    args = [sys.argv[0], str(corpus), f"-max_total_time={seconds}", "-rss_limit_mb=2048", "-timeout=10",
            "-print_final_stats=1", "-max_len=65536", f"-artifact_prefix={artifacts}/{name}-", *extra]
    atheris.Setup(args, target)
    atheris.Fuzz()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fuzz.targets", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("target", nargs="?", help="a target name, or 'all'")
    parser.add_argument("--seconds", type=int, default=60, help="run time per target (default 60)")
    parser.add_argument("--work", type=Path, default=WORK, help=f"corpus and crash files (default {WORK})")
    parser.add_argument("--list", action="store_true", help="list the targets")
    parser.add_argument("--replay", type=Path, nargs="+", metavar="FILE",
                        help="run the target once on each file (a crash input), without atheris, and show the error")
    parser.add_argument("libfuzzer", nargs="*", help="extra libFuzzer flags, after --")
    args = parser.parse_args(argv)
    if args.list or not args.target:
        print("\n".join(TARGETS))
        return 0
    if args.target == "all":
        # One process per target: a crash in one still lets the others run.
        failed = []
        for name in TARGETS:
            print(f"== {name}: {args.seconds} s", flush=True)
            code = subprocess.call([sys.executable, "-m", "fuzz.targets", name, "--seconds", str(args.seconds),
                                    "--work", str(args.work), *(["--", *args.libfuzzer] if args.libfuzzer else [])],
                                   cwd=ROOT)
            if code:
                failed.append(name)
        print("failed: " + (", ".join(failed) or "none"))
        return 1 if failed else 0
    if args.target not in TARGETS:
        parser.error(f"unknown target {args.target!r}: choose from {', '.join(TARGETS)} or all")
    if args.replay:
        for path in args.replay:
            print(f"{path}: ", end="", flush=True)
            TARGETS[args.target](path.read_bytes())  # raises as the fuzzer saw it
            print("ok")
        return 0
    fuzz(args.target, args.seconds, args.work / "corpus" / args.target, args.work / "crashes", args.libfuzzer)
    return 0


if __name__ == "__main__":
    sys.exit(main())
