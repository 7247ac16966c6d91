"""HTML page -> clean body text + metadata.

trafilatura finds the main content; around it this module adds what the benchmarks showed to help:
machine-readable dates with their time and timezone (JSON-LD, OpenGraph) before htmldate's day,
title spam/site-suffix stripping, datelines and bylines read from the text when the head has none,
and a bounded, never-raising wrapper for hostile input.
"""

from __future__ import annotations

import re
from typing import Any

from tidings.clean.language import detect_language, iso639_1
from tidings.clean.metadata import (
    Extracted,
    byline_from_line,
    clean_author,
    clean_title,
    date_from_line,
    html_metadata,
    parse_iso_datetime,
)
from tidings.clean.text import clean_text, filter_extracted

__all__ = ["Extracted", "extract_html", "MAX_HTML_CHARS"]

MAX_HTML_CHARS = 3_000_000  # trafilatura's cost grows with the tree; real articles are far smaller
MAX_TREE_NODES = 200_000
SHORT_BODY = 200  # characters: below this the recall-oriented pass is tried
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_TAG = re.compile(r"<\s*[a-zA-Z!/?]")


def extract_html(html: str, url: str | None = None) -> Extracted:
    """Clean body text and metadata of one HTML page; an empty Extracted if nothing can be read."""
    try:
        return _extract(html, url)
    except (ImportError, NameError):
        raise  # our bug or a broken install, not the page: the pipeline records it as an error, not "empty"
    except Exception:  # a malformed page is kept with empty text, never crashes a run
        return Extracted(url=url)


# libxml2 checks a tag's attributes for duplicates pair by pair: one tag with 100,000 attributes kept
# it in C for minutes, where no Python time limit can stop it. No real tag comes near this length.
_MAX_TAG_CHARS = 50_000


def _tame_tags(html: str) -> str:
    """The page with any tag longer than _MAX_TAG_CHARS cut down to its bare name (`<p>`)."""
    if len(html) <= _MAX_TAG_CHARS:
        return html
    parts = html.split(">")
    changed = False
    for i, part in enumerate(parts):
        lt = part.rfind("<")
        if lt >= 0 and len(part) - lt > _MAX_TAG_CHARS:
            name = re.match(r"</?[A-Za-z0-9:-]*", part[lt:])
            parts[i] = part[:lt] + (name.group() if name else "")
            changed = True
    return ">".join(parts) if changed else html


def _load_tree(html: str) -> Any:
    from trafilatura.utils import load_html

    tree = load_html(_tame_tags(html))
    if tree is None:
        return None
    # Very deep or huge trees make lxml/trafilatura slow; count cheaply and refuse the outliers.
    count = 0
    for _ in tree.iter():
        count += 1
        if count > MAX_TREE_NODES:
            return None
    return tree


def _trafilatura(tree: Any, url: str | None, **options: Any) -> Any:
    import trafilatura

    return trafilatura.bare_extraction(
        tree,
        url=url,
        include_comments=False,
        include_tables=True,
        with_metadata=True,
        deduplicate=False,
        **options,
    )


def _body(tree: Any, url: str | None, have_date: bool) -> tuple[Any, str]:
    """trafilatura's document and body; a recall-oriented second pass only when the first is thin."""
    options: dict[str, Any] = {}
    if have_date:
        # htmldate's deep scan is half of trafilatura's time and its answer would not be used
        from trafilatura.settings import set_date_params

        options["date_extraction_params"] = set_date_params(extensive=False)
    doc = _trafilatura(tree, url, **options)
    body = (getattr(doc, "text", None) or "") if doc is not None else ""
    if len(body) < SHORT_BODY:
        # Measured on dev: thin default output is usually a missed container, not a short story.
        second = _trafilatura(tree, url, favor_recall=True, **options)
        text = (getattr(second, "text", None) or "") if second is not None else ""
        if len(text) >= 2 * max(len(body), 1):
            return (doc if doc is not None else second), text
    return doc, body


def _extract(html: str, url: str | None) -> Extracted:
    if isinstance(html, bytes | bytearray):  # the lead decodes; this only keeps a misuse from failing
        html = bytes(html[: MAX_HTML_CHARS * 2]).decode("utf-8", errors="replace")
    if not isinstance(html, str) or not html.strip():
        return Extracted(url=url)
    html = _CONTROL.sub("", html[:MAX_HTML_CHARS])
    if not _TAG.search(html[:100_000]):
        # Not markup at all: treat as scraped text rather than fail.
        out = clean_text(html)
        out.url = out.url or url
        return out
    tree = _load_tree(html)
    if tree is None:
        return Extracted(url=url)
    meta = html_metadata(tree)
    doc, body = _body(tree, url, bool(meta.get("published")))
    out = Extracted(url=url or meta.get("url"))
    out.site = meta.get("site") or (getattr(doc, "sitename", None) if doc is not None else None)
    # JSON-LD headline, then og:title, then trafilatura's pick: the best order on both dev sets
    raw_title = meta.get("title") or (getattr(doc, "title", None) if doc is not None else None)
    out.title = clean_title(raw_title, out.site, url or meta.get("url"))
    out.text, removed, found = filter_extracted(_normalise_body(body), raw_title, out.title, meta.get("title"))
    out.author = meta.get("author") or clean_author(getattr(doc, "author", None) if doc is not None else None)
    if not out.author and found.get("author"):
        out.author = found["author"]
    _set_date(out, meta, doc, html)
    if not out.published and found.get("published"):
        out.published, out.published_from = found["published"], "text-line"
    _text_line_metadata(out)
    out.language = detect_language(out.text or (out.title or "")) or _declared_language(tree)
    out.boilerplate = "\n".join(x for x in (removed, _removed_text(tree, out.text)) if x)
    return out


_JAN_FIRST = re.compile(r"(?i)\b(?:jan(?:uary)?\.? 0?1\b|0?1 jan|01[./-]01|-01-01)")


def _set_date(out: Extracted, meta: dict[str, Any], doc: Any, html: str) -> None:
    if meta.get("published"):
        out.published, out.published_from = meta["published"], meta["published_from"]
        return
    day = parse_iso_datetime(getattr(doc, "date", None)) if doc is not None else None
    if day and day[5:10] == "01-01" and not _JAN_FIRST.search(html):
        # htmldate's last resort turns a bare year ("© 2024") into 1 January: a year is not a date,
        # and null beats a guess.
        return
    if day:
        out.published, out.published_from = day, "htmldate"


def _text_line_metadata(out: Extracted) -> None:
    """Datelines and bylines at the top of the body, when the page head had none."""
    if out.published and out.author:
        return
    for line in out.text.split("\n")[:6]:
        if not out.published:
            found = date_from_line(line)
            if found:
                out.published, out.published_from = found, "text-line"
        if not out.author:
            out.author = byline_from_line(line)


def _declared_language(tree: Any) -> str | None:
    """<html lang="uk-UA"> as a fallback when the text is too short to identify."""
    lang = (tree.get("lang") or tree.get("xml:lang") or "").strip().lower()[:2]
    return lang if re.fullmatch(r"[a-z]{2}", lang) and iso639_1(lang) else None


def _normalise_body(text: str) -> str:
    lines = (re.sub(r"[ \t\u00a0]+", " ", ln).strip() for ln in text.split("\n"))
    return "\n".join(ln for ln in lines if ln)


def _removed_text(tree: Any, body: str) -> str:
    """Visible text blocks of the page that did not make it into the body, for display."""
    seen: set[str] = set()
    removed: list[str] = []
    for n, node in enumerate(tree.iter("a", "li", "h1", "h2", "h3", "h4", "p", "button", "figcaption")):
        if n > 3000:
            break
        text = re.sub(r"\s+", " ", "".join(node.itertext())).strip()
        if not text or len(text) > 300 or text in seen or text in body:
            continue
        seen.add(text)
        removed.append(text)
        if len(removed) >= 500:
            break
    return "\n".join(removed)
