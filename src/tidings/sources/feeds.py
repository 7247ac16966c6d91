"""RSS 1/2 and Atom feeds: each item becomes a page; its linked article is fetched when allowed."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from lxml import etree

from tidings.limits import Limits
from tidings.records import UNSUPPORTED, RawPage

# A fetcher takes a URL and returns (bytes, content type, final URL), or raises.
Fetcher = Callable[[str], tuple[bytes, str | None, str]]


def _local(tag: object) -> str:
    # Not etree.QName: with recover=True lxml keeps malformed names ("titttp:") that QName refuses.
    return tag.rsplit("}", 1)[-1].lower() if isinstance(tag, str) else ""


def _child_text(item: etree._Element, *names: str) -> str | None:
    for child in item:
        if _local(child.tag) in names:
            text = "".join(child.itertext()).strip()
            if text:
                return text
    return None


def _link(item: etree._Element) -> str | None:
    for child in item:
        if _local(child.tag) == "link":
            href = child.get("href")
            if href and child.get("rel", "alternate") == "alternate":
                return href.strip()
            if child.text and child.text.strip():
                return child.text.strip()
    return None


def _author(item: etree._Element) -> str | None:
    for child in item:
        if _local(child.tag) in ("creator", "author"):
            name = _child_text(child, "name")
            return name or ("".join(child.itertext()).strip() or None)
    return None


def read_feed(path: str, data: bytes, limits: Limits, url: str | None = None,
              fetcher: Fetcher | None = None) -> Iterator[RawPage]:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, recover=True, huge_tree=False)
    try:
        root = etree.fromstring(data, parser=parser)
    except (etree.XMLSyntaxError, ValueError) as exc:
        yield RawPage(source=path, raw=data, kind=UNSUPPORTED, error=f"unreadable feed: {exc}")
        return
    if root is None:
        yield RawPage(source=path, raw=data, kind=UNSUPPORTED, error="unreadable feed: no XML root element")
        return
    items = [el for el in root.iter() if _local(el.tag) in ("item", "entry")]
    if not items:
        yield RawPage(source=path, raw=data, kind="empty", error="feed has no items")
        return
    for i, item in enumerate(items, 1):
        link = _link(item)
        key = _child_text(item, "guid", "id") or link or f"item-{i}"
        hints = {
            "title": _child_text(item, "title"),
            "published": _child_text(item, "pubdate", "published", "date", "updated"),
            "author": _author(item),
        }
        hints = {k: v for k, v in hints.items() if v}
        body = _child_text(item, "encoded", "content") or _child_text(item, "description", "summary") or ""
        source = f"{path}#{key}"
        if fetcher is not None and link:
            try:
                raw, content_type, final_url = fetcher(link)
                yield RawPage(source=source, raw=raw, kind="html", url=final_url, content_type=content_type,
                              hints=hints)
                continue
            except Exception as exc:  # noqa: BLE001 - any fetch failure falls back to the feed's own text
                hints["fetch_error"] = f"{type(exc).__name__}: {exc}"
        raw = etree.tostring(item, encoding="utf-8")
        yield RawPage(source=source, raw=raw, kind="record-html", url=link, hints={**hints, "body": body})
