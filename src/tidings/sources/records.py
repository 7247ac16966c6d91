"""JSON and JSON Lines records: each object with `text` or `html` becomes one page.

Optional fields carried as hints: `url`, `title`, `published` (or `date`), `author`, `id`.
A bad line is recorded as one failed page; the other lines are read.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from tidings.limits import Limits
from tidings.records import UNSUPPORTED, RawPage

_HINTS = {"title": "title", "published": "published", "date": "published", "pubDate": "published",
          "author": "author", "byline": "author", "site": "site", "language": "language"}


# Not only JSONDecodeError: bytes that are not UTF-8 (UnicodeDecodeError), integers over Python's
# 4300-digit limit (ValueError) and deep nesting such as "[[[[..." (RecursionError) are bad records too.
_BAD_JSON = (ValueError, RecursionError)


def _why(exc: Exception) -> str:
    return " ".join(str(getattr(exc, "msg", None) or exc).split())[:200]


def _page(path: str, key: str, obj: Any, raw: bytes) -> RawPage:
    source = f"{path}#{key}"
    if not isinstance(obj, dict):
        return RawPage(source=source, raw=raw, kind=UNSUPPORTED, error="record is not a JSON object")
    html = obj.get("html")
    # The first of these that is a string: an empty `text` is an empty document, not a missing field.
    text = next((obj[name] for name in ("text", "content", "body") if isinstance(obj.get(name), str)), None)
    url = obj.get("url") if isinstance(obj.get("url"), str) else None
    hints = {name: obj[field] for field, name in _HINTS.items() if isinstance(obj.get(field), str)}
    if isinstance(html, str) and html.strip():
        return RawPage(source=source, raw=raw, kind="record-html", url=url, hints={**hints, "body": html})
    if isinstance(text, str):
        return RawPage(source=source, raw=raw, kind="record-text", url=url, hints={**hints, "body": text})
    return RawPage(source=source, raw=raw, kind=UNSUPPORTED, url=url,
                   error="record has neither a `text` nor an `html` field")


def _key(obj: Any, fallback: str) -> str:
    if isinstance(obj, dict):
        for field in ("id", "doc_id", "guid"):
            if isinstance(obj.get(field), str | int) and str(obj[field]).strip():
                return str(obj[field]).strip()
    return fallback


def read_records(path: str, data: bytes, limits: Limits) -> Iterator[RawPage]:
    text = data.decode("utf-8", errors="replace")
    stripped = text.lstrip("\ufeff \t\r\n")
    if stripped.startswith("["):
        try:
            items = json.loads(stripped)
        except _BAD_JSON as exc:
            yield RawPage(source=path, raw=data, kind=UNSUPPORTED, error=f"invalid JSON: {_why(exc)}")
            return
        for i, obj in enumerate(items, 1):
            raw = json.dumps(obj, sort_keys=True, ensure_ascii=False).encode()
            yield _page(path, _key(obj, f"item-{i}"), obj, raw)
        return
    if stripped.startswith("{"):
        # One JSON object (possibly pretty-printed over several lines), else JSON Lines.
        try:
            obj = json.loads(stripped)
        except _BAD_JSON:
            obj = None
        if obj is not None:
            yield _page(path, _key(obj, "record-1"), obj, data.strip())
            return
    yield from read_lines(path, data.splitlines(), 1, limits)


def read_lines(path: str, lines: Iterable[bytes], first_line: int, limits: Limits) -> Iterator[RawPage]:
    """JSON Lines, one page per line; line numbers (for ids and errors) count from `first_line`."""
    for lineno, line in enumerate(lines, first_line):
        if not line.strip():
            continue
        if len(line) > limits.max_raw_bytes:
            yield RawPage(source=f"{path}#line-{lineno}", raw=line[: limits.max_raw_bytes], kind=UNSUPPORTED,
                          error=f"record is over the {limits.max_raw_bytes:,}-byte limit")
            continue
        try:
            obj = json.loads(line)
        except _BAD_JSON as exc:
            yield RawPage(source=f"{path}#line-{lineno}", raw=line, kind=UNSUPPORTED,
                          error=f"invalid JSON on line {lineno}: {_why(exc)}")
            continue
        yield _page(path, _key(obj, f"line-{lineno}"), obj, line.strip())
