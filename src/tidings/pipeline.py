"""The per-document stages, in order, shared by every engine.

`process_page` is a pure function of a raw page and a `Context` (configuration plus the models loaded
once per worker process). Each stage is timed; a stage that fails marks the document as an error with
its message and the stages after it are skipped: the document is still stored.
"""

from __future__ import annotations

import time
from collections.abc import Callable
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


def stage_analyse(doc: Document, page: RawPage, ctx: Context) -> None:
    if not ctx.analyse or doc.status != OK or not doc.text:
        return
    if doc.language not in (None, "en"):
        return  # the NLP stages are English-only for now; the document is still stored and searchable
    from tidings.analyse import analyse_document
    analyse_document(doc, ctx)


STAGES: list[tuple[str, Stage]] = [
    ("decode", stage_decode),
    ("extract", stage_extract),
    ("offsets", stage_offsets),
    ("fingerprint", stage_fingerprint),
    ("analyse", stage_analyse),
]


def process_page(page: RawPage, ctx: Context) -> Document:
    """Run every stage on one page. Never raises for a bad page."""
    doc = Document(doc_id=page.doc_id, source=page.source, url=page.url, kind=page.kind)
    if page.error is not None or page.kind in (UNSUPPORTED, "empty"):
        doc.status = EMPTY if page.kind == "empty" and page.error is None else (
            UNSUPPORTED if page.kind in (UNSUPPORTED, "empty") else ERROR)
        doc.error = page.error or ("empty file" if page.kind == "empty" else "unsupported input")
        if page.hints.get("fetch_error"):
            doc.error += f"; linked page not fetched: {page.hints['fetch_error']}"
        return doc
    for name, stage in STAGES:
        started = time.perf_counter()
        try:
            stage(doc, page, ctx)
        except PageError as exc:
            doc.status, doc.error = exc.status, str(exc)
        except Exception as exc:  # noqa: BLE001 - one bad page must not stop the run; its error is stored
            doc.status, doc.error = ERROR, f"{name} failed: {type(exc).__name__}: {exc}"
        doc.timings[name] = time.perf_counter() - started
        if doc.status not in (OK, EMPTY) or (doc.status == EMPTY and name == "extract"):
            break
    if page.hints.get("fetch_error") and doc.status == OK:
        doc.error = f"linked page not fetched, used the feed's own text: {page.hints['fetch_error']}"
    return doc


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
            parsed = dateparser.parse(value, languages=["en"], settings={"RETURN_AS_TIMEZONE_AWARE": False})
    if parsed is None or not 1900 < parsed.year < 2200:
        return None
    return parsed.isoformat()


def fragment_text(html: str) -> str:
    """The text of an HTML fragment, one line per block element."""
    import lxml.html

    try:
        root = lxml.html.fragment_fromstring(html, create_parent="div")
    except (ValueError, lxml.etree.ParserError):
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
