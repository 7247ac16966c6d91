"""Sources: everything a user can point tidings at, turned into a stream of raw pages."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial

from tidings.errors import UsageError
from tidings.limits import DEFAULT_LIMITS, Limits
from tidings.records import UNSUPPORTED, RawPage
from tidings.sources import feeds, files, web


def iter_pages(specs: list[str], *, allow_private: bool = False, fetch_links: bool = False,
               limits: Limits = DEFAULT_LIMITS) -> Iterator[RawPage]:
    """Every page of every input, in input order. A missing path is a usage error, raised here before
    anything is read; a page that cannot be read is yielded with its error."""
    expanded: list[str] = []
    for spec in specs:
        try:
            expanded.extend(files.expand(spec))
        except FileNotFoundError:
            raise UsageError(f"no such file, folder or glob match: {spec}") from None
    return _pages(expanded, allow_private, fetch_links, limits)


def _pages(expanded: list[str], allow_private: bool, fetch_links: bool, limits: Limits) -> Iterator[RawPage]:
    fetcher = partial(web.fetch, allow_private=allow_private, limits=limits)
    for item in expanded:
        if item == "-":
            yield from files.read_stdin(limits)
        elif item.startswith(("http://", "https://")):
            yield from _read_url(item, fetcher, limits)
        elif fetch_links and files.Path(item).suffix.lower() in files.FEED_EXT:
            try:
                data = files.Path(item).read_bytes()
            except OSError as exc:
                yield RawPage(source=item, raw=b"", kind=UNSUPPORTED, error=f"cannot read file: {exc}")
                continue
            yield from feeds.read_feed(item, data, limits, fetcher=fetcher)
        else:
            yield from files.read_path(item, limits)


def _read_url(url: str, fetcher: feeds.Fetcher, limits: Limits) -> Iterator[RawPage]:
    try:
        raw, content_type, final_url = fetcher(url)
    except (web.FetchError, ValueError) as exc:
        yield RawPage(source=url, raw=b"", kind=UNSUPPORTED, url=url, error=str(exc))
        return
    kind = files.sniff(final_url.split("?")[0], raw)
    if kind == "feed":
        # A feed fetched from the web: its linked articles are fetched too.
        yield from feeds.read_feed(url, raw, limits, url=final_url, fetcher=fetcher)
    else:
        yield from files.read_file(url, raw, limits, url=final_url, content_type=content_type)
