"""WARC/ARC files: each HTTP response record holding HTML or text becomes one page.

Web archives are streamed record by record. A truncated or corrupt record ends the file with one
recorded error page; every record read before it is kept.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from typing import BinaryIO

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.recordloader import ArcWarcRecord

from tidings.limits import Limits
from tidings.records import UNSUPPORTED, RawPage

_PAGE_TYPES = ("text/html", "application/xhtml", "text/plain", "application/xml", "text/xml")


class _Counted:
    """The stream with a count of the bytes read, so that bytes after the last whole record are noticed."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream
        try:
            self.start = stream.tell()
        except (OSError, AttributeError, ValueError):
            self.start = 0
        self.count = 0

    def read(self, size: int = -1) -> bytes:
        data = self.stream.read(size)
        self.count += len(data)
        return data

    def tell(self) -> int:
        return self.start + self.count


def _missing(record: ArcWarcRecord) -> int:
    """Bytes the record's Content-Length promised that the file does not hold (reads what is left)."""
    while record.raw_stream.read(1 << 16):
        pass
    return getattr(record.raw_stream, "limit", 0) or 0


def _declared_length(record: ArcWarcRecord) -> bool:
    if record.format == "arc":
        return True  # ARC headers carry the length in the header line, which warcio has checked
    length = record.rec_headers.get_header("Content-Length")
    return bool(length and length.strip().isdigit())


def read_warc(path: str, stream: BinaryIO, limits: Limits) -> Iterator[RawPage]:
    counted = _Counted(stream)
    records = ArchiveIterator(counted, arc2warc=True, check_digests=False)
    position = counted.start

    def broken(message: str, url: str | None = None) -> RawPage:
        return RawPage(source=f"{path}#offset-{position}", raw=b"", kind=UNSUPPORTED, url=url, error=message)

    try:
        for record in records:
            position = getattr(records, "offset", position)  # get_record_offset() would consume the record
            # A record cut inside its headers has no type or no length: the file ends there.
            if record.rec_type is None or not _declared_length(record):
                yield broken(f"truncated or malformed WARC record at offset {position}: no record type or length")
                return
            record_id = record.rec_headers.get_header("WARC-Record-ID") or f"offset-{position}"
            source = f"{path}#{record_id.strip('<>')}"
            url = record.rec_headers.get_header("WARC-Target-URI")
            content_type = None
            keep = record.rec_type in ("response", "resource")
            if keep and record.http_headers is not None:
                content_type = record.http_headers.get_header("Content-Type")
                status = record.http_headers.get_statuscode()
                keep = not status or status.startswith("2")  # redirects and error pages are not articles
            elif keep and record.rec_type == "resource":
                content_type = record.rec_headers.get_header("Content-Type")
            if keep and content_type and not content_type.lower().startswith(_PAGE_TYPES):
                keep = False  # images, scripts, CSS
            if not keep:
                # Skipped records are read to their end too: a cut inside one still ends the file with an error.
                if missing := _missing(record):
                    yield broken(f"truncated WARC record at offset {position}: {missing:,} bytes missing", url)
                    return
                continue
            body = record.content_stream().read(limits.max_raw_bytes + 1)
            missing = getattr(record.raw_stream, "limit", 0)
            if len(body) <= limits.max_raw_bytes and missing:
                # The file ends inside this record: keep nothing half-read, say where it broke.
                yield RawPage(source=source, raw=b"", kind=UNSUPPORTED, url=url,
                              error=f"truncated WARC record at offset {position}: {missing:,} bytes missing")
                return
            if len(body) > limits.max_raw_bytes:
                if missing := _missing(record):
                    yield broken(f"truncated WARC record at offset {position}: {missing:,} bytes missing", url)
                    return
                yield RawPage(source=source, raw=body[: limits.max_raw_bytes], kind=UNSUPPORTED, url=url,
                              error=f"WARC record is over the {limits.max_raw_bytes:,}-byte limit")
                continue
            kind = "text" if content_type and content_type.lower().startswith("text/plain") else "html"
            yield RawPage(source=source, raw=body, kind=kind, url=url, content_type=content_type)
        # warcio ends quietly when the last record is cut inside its headers: bytes read past the last
        # whole record are that cut record.
        end = getattr(records, "offset", None)
        if end is not None and counted.tell() > end:
            position = end
            yield broken(f"truncated WARC record at offset {end}: the file ends inside its headers")
    except (ArchiveLoadFailed, EOFError, OSError, ValueError, IndexError, KeyError, zlib.error,
            AttributeError, TypeError, OverflowError) as exc:
        # Raised by warcio (and gzip under it) on truncated or malformed records; AttributeError and
        # TypeError too, when a record cut inside its headers lacks one warcio assumes (WARC-Target-URI),
        # and OverflowError for a Content-Length too big for an index.
        yield RawPage(source=f"{path}#offset-{position}", raw=b"", kind=UNSUPPORTED,
                      error=f"truncated or malformed WARC record after offset {position}: "
                            + " ".join(str(exc).split())[:300])
