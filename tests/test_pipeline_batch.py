"""`process_pages` (spaCy over a batch in one call) gives exactly what `process_page` gives page by page,
and keeps each page's own parse-time limit: one slow page fails alone, a slow batch falls back to pages."""

from __future__ import annotations

import time
from dataclasses import asdict
from typing import Any

import pytest

from tidings import analyse
from tidings.engines.local import chunks
from tidings.limits import Limits
from tidings.pipeline import Context, process_page, process_pages
from tidings.records import Document, RawPage

TEXTS = [
    "Russian forces shelled Kharkiv on Monday, killing two civilians, the regional governor said. "
    "Moscow denied targeting residential areas.",
    "Police fired tear gas at protesters in Nairobi on Tuesday. Three people were injured, the Kenya Red "
    "Cross said.",
    "The central bank kept interest rates unchanged on Wednesday, citing slowing inflation.",
    "Unidentified gunmen killed five villagers in Zamfara state on Friday, police spokesman Yazid Abubakar "
    "said. The group has not claimed the attack, and the army could not independently verify the toll.",
    "Des manifestants ont été blessés à Paris mardi lors d'affrontements avec la police, selon la préfecture.",
    "",
]


def _pages() -> list[RawPage]:
    pages = [RawPage(source=f"page{i}.txt", raw=text.encode(), kind="text") for i, text in enumerate(TEXTS)]
    pages.append(RawPage(source="bad.bin", raw=b"\x00\x01", kind="unsupported", error="binary file"))
    return pages


def _output(doc: Document) -> dict[str, Any]:
    return {"status": doc.status, "error": doc.error, "language": doc.language,
            "mentions": [asdict(m) for m in doc.mentions], "reports": [asdict(r) for r in doc.reports],
            "claims": [asdict(c) for c in doc.claims]}


def test_batch_equals_page_by_page() -> None:
    ctx = Context()
    single = [process_page(page, ctx) for page in _pages()]
    batched = process_pages(_pages(), ctx)
    assert [_output(d) for d in batched] == [_output(d) for d in single]
    assert sum(len(d.reports) for d in batched) >= 3  # the fixture does exercise the NLP stages
    assert all("analyse" in d.timings for d in batched if d.reports)


def test_one_slow_page_fails_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    real = analyse.analyse_parsed

    def slow_on_nairobi(doc: Document, spacy_doc: Any, ctx: Context) -> None:
        real(doc, spacy_doc, ctx)
        if "Nairobi" in doc.text:
            time.sleep(5)

    monkeypatch.setattr(analyse, "analyse_parsed", slow_on_nairobi)
    ctx = Context(limits=Limits(max_parse_seconds=1.0))
    started = time.monotonic()
    docs = process_pages(_pages(), ctx)
    assert time.monotonic() - started < 4.5
    slow = docs[1]
    assert slow.status == "error" and "took longer than 1 s to parse" in (slow.error or "")
    assert not slow.mentions and not slow.reports and not slow.claims  # no half-finished analysis
    assert docs[0].status == "ok" and docs[0].reports and docs[3].reports


class _SlowPipe:
    """spaCy whose batch call overruns the pages' time; one page at a time it is as fast as ever."""

    def __init__(self, nlp: Any) -> None:
        self.nlp = nlp

    def pipe(self, texts: Any, batch_size: int = 0) -> Any:
        time.sleep(5)
        return self.nlp.pipe(texts)

    def __call__(self, text: str) -> Any:
        return self.nlp(text)


def test_a_batch_that_overruns_is_parsed_page_by_page(monkeypatch: pytest.MonkeyPatch) -> None:
    ctx = Context()
    expected = [_output(process_page(page, ctx)) for page in _pages()]
    slow_ctx = Context(limits=Limits(max_parse_seconds=0.4))
    process_page(_pages()[2], slow_ctx)  # loads the models into this context
    slow_ctx.models["nlp"] = _SlowPipe(ctx.models["nlp"])
    monkeypatch.setattr(analyse, "load_nlp", lambda *a, **k: pytest.fail("no reload expected"))
    started = time.monotonic()
    docs = process_pages(_pages(), slow_ctx)
    assert time.monotonic() - started < 4
    assert [_output(d) for d in docs] == expected


def test_chunks_close_on_count_and_on_bytes() -> None:
    pages = [RawPage(source=str(i), raw=b"x" * size, kind="text") for i, size in enumerate([10, 10, 10, 500, 10])]
    assert [len(c) for c in chunks(pages, size=2, max_bytes=10_000)] == [2, 2, 1]
    assert [len(c) for c in chunks(pages, size=10, max_bytes=100)] == [4, 1]
    assert list(chunks([], size=2)) == []
