"""The per-document stages, in order, shared by every engine.

`process_page` is a pure function of a raw page and a `Context` (configuration plus the models loaded
once per worker process). Each stage is timed; a stage that fails marks the document as an error with
its message and the stages after it are skipped: the document is still stored.
"""

from __future__ import annotations

import re
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

from tidings.clean import copies
from tidings.clean.encoding import decode
from tidings.errors import PageError
from tidings.limits import DEFAULT_LIMITS, Limits
from tidings.records import EMPTY, ERROR, OK, UNSUPPORTED, Document, RawPage, Segment


@dataclass
class Context:
    """Run configuration, picklable, plus a per-process cache of loaded models (never pickled)."""

    limits: Limits = DEFAULT_LIMITS
    analyse: bool = True  # the NLP stages: mentions, events, claims
    actor_files: tuple[str, ...] = ()
    keep_raw: bool = True
    models: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "models": {}}

    def model(self, name: str, load: Callable[[], Any]) -> Any:
        if name not in self.models:
            with _deadline_paused():  # loading a model once per process is not the page's time
                self.models[name] = load()
        return self.models[name]


Stage = Callable[[Document, RawPage, Context], None]


def stage_decode(doc: Document, page: RawPage, ctx: Context) -> None:
    if page.kind.startswith("record-"):
        doc.raw_text = str(page.hints.get("body", ""))  # already text inside a JSON record or feed item
        doc.encoding = "utf-8"
        return
    doc.raw_text, doc.encoding = decode(page.raw, page.content_type)


def stage_extract(doc: Document, page: RawPage, ctx: Context) -> None:
    from tidings.clean.html import extract_html
    from tidings.clean.text import clean_text

    raw = doc.raw_text
    is_html = page.kind in ("html", "record-html")
    limit = ctx.limits.max_html_chars if is_html else ctx.limits.max_text_chars * 2
    if len(raw) > limit:
        raise PageError(f"page is {len(raw):,} characters, over the {limit:,}-character limit")
    extracted = extract_html(raw, page.url) if is_html else clean_text(raw)
    text = extracted.text.strip()
    if page.kind == "record-html":
        # A feed item or JSON record holds the article itself, not a page with chrome around it:
        # when the extractor keeps much less than the fragment's own text, the fragment wins.
        fragment = fragment_text(raw)
        if len(text) < 0.5 * len(fragment):
            text = fragment
    if len(text) > ctx.limits.max_text_chars:
        # Keep the document but only analyse a bounded prefix, cut at a paragraph boundary.
        cut = text.rfind("\n", 0, ctx.limits.max_text_chars)
        text = text[: cut if cut > 0 else ctx.limits.max_text_chars]
        doc.error = f"clean text truncated to {len(text):,} characters"
    doc.text = text
    doc.boilerplate = extracted.boilerplate
    hints = page.hints
    # What the container says (feed item, JSON record) beats what we infer from the page.
    doc.title = _clean(hints.get("title")) or extracted.title
    doc.author = _clean(hints.get("author")) or extracted.author
    doc.url = page.url or extracted.url
    doc.site = _clean(hints.get("site")) or extracted.site or _site(doc.url)
    published = _iso(hints.get("published"))
    if published:
        doc.published, doc.published_from = published, "container"
    else:
        doc.published, doc.published_from = extracted.published, extracted.published_from
    doc.language = _clean(hints.get("language")) or extracted.language
    if doc.language is None and text:
        from tidings.clean.language import detect_language
        doc.language = detect_language(text)
    if not text:
        doc.status = EMPTY
        doc.error = doc.error or "no article text found on the page"


def stage_offsets(doc: Document, page: RawPage, ctx: Context) -> None:
    doc.segments = map_segments(doc.text, doc.raw_text)


def stage_fingerprint(doc: Document, page: RawPage, ctx: Context) -> None:
    doc.text_hash = copies.text_hash(doc.text)
    doc.minhash = copies.minhash_signature(doc.text)


def wants_analysis(doc: Document, ctx: Context) -> bool:
    # The NLP stages are English-only for now; other documents are still stored and searchable.
    return ctx.analyse and doc.status == OK and bool(doc.text) and doc.language in (None, "en")


def stage_analyse(doc: Document, page: RawPage, ctx: Context) -> None:
    if wants_analysis(doc, ctx):
        from tidings.analyse import analyse_document
        analyse_document(doc, ctx)


STAGES: list[tuple[str, Stage]] = [
    ("decode", stage_decode),
    ("extract", stage_extract),
    ("offsets", stage_offsets),
    ("fingerprint", stage_fingerprint),
    ("analyse", stage_analyse),
]


def process_page(page: RawPage, ctx: Context, stages: list[tuple[str, Stage]] | None = None) -> Document:
    """Run every stage (or the `stages` given) on one page. Never raises for a bad page, and never takes
    much longer than `ctx.limits.max_parse_seconds` (see `_deadline` for what that covers)."""
    doc = Document(doc_id=page.doc_id, source=page.source, url=page.url, kind=page.kind)
    if page.error is not None or page.kind in (UNSUPPORTED, "empty"):
        doc.status = EMPTY if page.kind == "empty" and page.error is None else (
            UNSUPPORTED if page.kind in (UNSUPPORTED, "empty") else ERROR)
        doc.error = page.error or ("empty file" if page.kind == "empty" else "unsupported input")
        if page.hints.get("fetch_error"):
            doc.error += f"; linked page not fetched: {page.hints['fetch_error']}"
        return doc
    if _deadline_usable(ctx.limits.max_parse_seconds):
        warm_up(ctx)
    for name, stage in STAGES if stages is None else stages:
        _timed_stage(name, stage, doc, page, ctx)
        if doc.status not in (OK, EMPTY) or (doc.status == EMPTY and name == "extract"):
            break
    if page.hints.get("fetch_error") and doc.status == OK:
        doc.error = f"linked page not fetched, used the feed's own text: {page.hints['fetch_error']}"
    return doc


def process_pages(pages: list[RawPage], ctx: Context) -> list[Document]:
    """`process_page` over a batch, with the same results: spaCy parses the batch's focus texts in one
    `nlp.pipe` call (about 8% less CPU per page at 8 pages than one call per page)."""
    if not ctx.analyse or len(pages) < 2:
        return [process_page(page, ctx) for page in pages]
    before = [(name, stage) for name, stage in STAGES if name != "analyse"]
    docs = [process_page(page, ctx, before) for page in pages]
    todo = [(doc, page) for doc, page in zip(docs, pages, strict=True) if wants_analysis(doc, ctx)]
    if not todo:
        return docs
    from tidings.analyse import analyse_parsed, focus_text, nlp_of

    focus: dict[str, str] = {}

    def stage_focus(doc: Document, page: RawPage, ctx: Context) -> None:
        text = focus_text(doc)
        if text is not None:
            focus[doc.doc_id] = text

    for doc, page in todo:
        _timed_stage("analyse", stage_focus, doc, page, ctx)
    todo = [(doc, page) for doc, page in todo if doc.doc_id in focus]
    batch = _parse_batch([focus[doc.doc_id] for doc, _ in todo], [doc for doc, _ in todo], ctx)
    parsed = dict(zip((doc.doc_id for doc, _ in todo), batch, strict=True)) if batch is not None else {}

    def stage_rest(doc: Document, page: RawPage, ctx: Context) -> None:
        spacy_doc = parsed[doc.doc_id] if doc.doc_id in parsed else nlp_of(ctx)(focus[doc.doc_id])
        analyse_parsed(doc, spacy_doc, ctx)

    for doc, page in todo:
        _timed_stage("analyse", stage_rest, doc, page, ctx)
    return docs


def _parse_batch(texts: list[str], docs: list[Document], ctx: Context) -> list[Any] | None:
    """spaCy over the texts in one call, its time shared among the documents by length; None when the
    batch overran the pages' time left (each page then parses alone, on its own clock)."""
    from tidings.analyse import nlp_of

    nlp = nlp_of(ctx, len(texts))
    limit = ctx.limits.max_parse_seconds
    budget = sum(max(0.0, limit - sum(doc.timings.values())) for doc in docs)
    started = time.perf_counter()
    try:
        with _deadline(budget if budget > 0 else 1e-6):
            parsed = list(nlp.pipe(texts, batch_size=len(texts)))
    except PageTimeout:
        return None
    seconds, total = time.perf_counter() - started, sum(map(len, texts)) or 1
    for doc, text in zip(docs, texts, strict=True):
        doc.timings["analyse"] = doc.timings.get("analyse", 0.0) + seconds * len(text) / total
    return parsed


def _timed_stage(name: str, stage: Stage, doc: Document, page: RawPage, ctx: Context) -> None:
    """One stage within what is left of the page's time; an overrun marks the document as an error and
    drops any half-finished analysis."""
    limit = ctx.limits.max_parse_seconds
    left = limit - sum(doc.timings.values())
    started, finished = time.perf_counter(), False
    try:
        with _deadline(left if left > 0 else 1e-6):
            _run_stage(name, stage, doc, page, ctx)
            finished = True
    except PageTimeout:
        if finished:  # the alarm landed just after the stage: its work is complete
            return
        doc.timings[name] = doc.timings.get(name, 0.0) + time.perf_counter() - started
        doc.status = ERROR
        doc.error = (f"page took longer than {limit:g} s to parse (stopped in the {name} stage); "
                     f"set TIDINGS_MAX_PARSE_SECONDS to allow more")
    if doc.status == ERROR and (doc.mentions or doc.reports or doc.claims):
        # A stage stopped halfway: store the document without its half-finished analysis.
        doc.mentions, doc.reports, doc.claims = [], [], []


def _run_stage(name: str, stage: Stage, doc: Document, page: RawPage, ctx: Context) -> None:
    started = time.perf_counter()
    try:
        stage(doc, page, ctx)
    except PageError as exc:
        doc.status, doc.error = exc.status, str(exc)
    except Exception as exc:  # noqa: BLE001 - one bad page must not stop the run; its error is stored
        doc.status, doc.error = ERROR, f"{name} failed: {type(exc).__name__}: {exc}"
    doc.timings[name] = doc.timings.get(name, 0.0) + time.perf_counter() - started


_WARM_PAGE = (b"<html><head><title>Shelling hits Kharkiv</title></head><body><article><p>KHARKIV, 12 February "
              b"2024 - Two people were killed when shelling hit Kharkiv on Monday, the regional governor said."
              b"</p></article></body></html>")
_warmed: set[bool] = set()  # the `analyse` settings this process has warmed up for


def warm_up(ctx: Context) -> None:
    """Run the stages once per process on a small page, with no clock running.

    The stages import libraries and fill their lazy caches on first use. An alarm landing in the
    middle of an import leaves a half-initialised module behind (seen: urllib3 without `util`, after
    which every HTML page came out empty), so that first use must not be interruptible.
    """
    if ctx.analyse in _warmed:
        return
    _warmed.add(ctx.analyse)
    page = RawPage(source="tidings:warm-up", raw=_WARM_PAGE, kind="html")
    doc = Document(doc_id=page.doc_id, source=page.source, kind=page.kind)
    for name, stage in STAGES:
        _run_stage(name, stage, doc, page, ctx)


class PageTimeout(BaseException):
    """Raised by the parse-time alarm. A BaseException, so no stage's `except Exception` swallows it."""


_deadline_active = False


def _expire(signum: int, frame: object) -> None:
    raise PageTimeout


def _deadline_usable(seconds: float) -> bool:
    return (seconds > 0 and hasattr(signal, "setitimer") and not _deadline_active
            and threading.current_thread() is threading.main_thread()
            and signal.getitimer(signal.ITIMER_REAL)[0] == 0)


@contextmanager
def _deadline(seconds: float) -> Iterator[None]:
    """Interrupt the block after `seconds` of wall-clock time with PageTimeout.

    Uses SIGALRM, so it works only in a process's main thread (the CLI with one worker, and every
    worker of the local engine's process pool); elsewhere (threads, Ray actors) the block runs
    unbounded. The alarm is delivered when the interpreter next runs Python code: a C extension that
    never returns is not interrupted. tests/test_faults.py feeds deeply nested HTML, huge attribute
    values, megabyte lines and regex-pathological text: lxml, trafilatura, `re` and spaCy return to
    Python often enough on all of them. Known exception: one tag with ~100,000 attributes keeps
    libxml2's HTML parser busy for minutes in C (quadratic duplicate-attribute check). An outer
    ITIMER_REAL (someone else's alarm) is left alone.
    """
    global _deadline_active
    if not _deadline_usable(seconds):
        yield
        return
    previous = signal.signal(signal.SIGALRM, _expire)
    _deadline_active = True
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        try:
            signal.setitimer(signal.ITIMER_REAL, 0)
        finally:  # runs even when the alarm fires on the line above
            _deadline_active = False
            signal.signal(signal.SIGALRM, previous)


@contextmanager
def _deadline_paused() -> Iterator[None]:
    """Stop the page's clock while the block runs (a model loading once per process)."""
    if not _deadline_active:
        yield
        return
    remaining = signal.setitimer(signal.ITIMER_REAL, 0)[0]
    try:
        yield
    finally:
        if _deadline_active and remaining > 0:
            signal.setitimer(signal.ITIMER_REAL, remaining)


def _clean(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    value = " ".join(value.split())
    return value or None


def _site(url: str | None) -> str | None:
    if not url:
        return None
    host = urlsplit(url).hostname or ""
    return host.removeprefix("www.") or None


def _iso(value: Any) -> str | None:
    """A container's date (RSS pubDate, JSON `published`) as ISO 8601, or None."""
    if not isinstance(value, str) or not value.strip():
        return None
    value = value.strip()
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:
            parsed = parsedate_to_datetime(value)  # RFC 822, as in RSS pubDate
        except (TypeError, ValueError, IndexError):
            import dateparser
            # Absolute dates only: "now", "1h" or "h1" would become the run's own clock time.
            parsed = dateparser.parse(value, languages=["en"], settings={
                "RETURN_AS_TIMEZONE_AWARE": False, "PARSERS": ["timestamp", "custom-formats", "absolute-time"],
                "REQUIRE_PARTS": ["day", "month", "year"]})
    if parsed is None or not 1900 < parsed.year < 2200:
        return None
    return parsed.isoformat()


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def fragment_text(html: str) -> str:
    """The text of an HTML fragment, one line per block element."""
    import lxml.html

    # Control characters are not allowed in lxml's text and tails ("All strings must be XML compatible").
    html = _CONTROL.sub(" ", html)
    try:
        root = lxml.html.fragment_fromstring(html, create_parent="div")
    except (ValueError, AssertionError, lxml.etree.ParserError):  # lxml asserts on a second <html> ("too many bodies")
        return ""
    for el in root.iter("p", "div", "br", "li", "h1", "h2", "h3", "h4", "blockquote", "tr"):
        el.tail = "\n" + (el.tail or "")
    for el in root.iter("script", "style"):
        el.drop_tree()
    lines = (" ".join(line.split()) for line in root.text_content().split("\n"))
    return "\n".join(line for line in lines if line)


def map_segments(text: str, raw: str) -> list[Segment]:
    """Map each clean line to where it stands in the decoded raw page.

    Lines are searched in order from a moving cursor. A line found verbatim maps exactly; a line
    whose text is interrupted by markup in the raw page is mapped from its first to its last words.
    Lines that cannot be found are left unmapped rather than guessed.
    """
    segments: list[Segment] = []
    cursor = 0
    start = 0
    for line in text.split("\n"):
        end = start + len(line)
        stripped = line.strip()
        if stripped:
            pos = raw.find(stripped, cursor)
            if pos >= 0:
                lead = line.find(stripped)
                segments.append(Segment(start + lead, start + lead + len(stripped), pos, pos + len(stripped)))
                cursor = pos + len(stripped)
            else:
                head, tail = stripped[:24], stripped[-24:]
                hpos = raw.find(head, cursor) if len(head) >= 8 else -1
                if hpos >= 0:
                    tpos = raw.find(tail, hpos + len(head))
                    if 0 <= tpos - hpos < 20 * len(stripped) + 2000:
                        lead = line.find(stripped)
                        segments.append(Segment(start + lead, start + lead + len(stripped), hpos, tpos + len(tail)))
                        cursor = tpos + len(tail)
        start = end + 1
    return segments
