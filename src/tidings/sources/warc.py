"""WARC/ARC files: each HTTP response record holding HTML or text becomes one page.

Web archives are streamed record by record. A truncated or corrupt record ends the file with one
recorded error page; every record read before it is kept.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from tidings.limits import Limits
from tidings.records import UNSUPPORTED, RawPage

_PAGE_TYPES = ("text/html", "application/xhtml", "text/plain", "application/xml", "text/xml")


def read_warc(path: str, stream: BinaryIO, limits: Limits) -> Iterator[RawPage]:
    records = ArchiveIterator(stream, arc2warc=True, check_digests=False)
    position = 0
    try:
        for record in records:
            position = getattr(records, "offset", position)  # get_record_offset() would consume the record
            if record.rec_type not in ("response", "resource"):
                continue
            record_id = record.rec_headers.get_header("WARC-Record-ID") or f"offset-{position}"
            source = f"{path}#{record_id.strip('<>')}"
            url = record.rec_headers.get_header("WARC-Target-URI")
            content_type = None
            if record.http_headers is not None:
                content_type = record.http_headers.get_header("Content-Type")
                status = record.http_headers.get_statuscode()
                if status and not status.startswith("2"):
                    continue  # redirects and error pages are not articles
            elif record.rec_type == "resource":
                content_type = record.rec_headers.get_header("Content-Type")
            if content_type and not content_type.lower().startswith(_PAGE_TYPES):
                continue  # images, scripts, CSS
            body = record.content_stream().read(limits.max_raw_bytes + 1)
            missing = getattr(record.raw_stream, "limit", 0)
            if len(body) <= limits.max_raw_bytes and missing:
                # The file ends inside this record: keep nothing half-read, say where it broke.
                yield RawPage(source=source, raw=b"", kind=UNSUPPORTED, url=url,
                              error=f"truncated WARC record at offset {position}: {missing:,} bytes missing")
                return
            if len(body) > limits.max_raw_bytes:
                yield RawPage(source=source, raw=body[: limits.max_raw_bytes], kind=UNSUPPORTED, url=url,
                              error=f"WARC record is over the {limits.max_raw_bytes:,}-byte limit")
                continue
            kind = "text" if content_type and content_type.lower().startswith("text/plain") else "html"
            yield RawPage(source=source, raw=body, kind=kind, url=url, content_type=content_type)
    except (ArchiveLoadFailed, EOFError, OSError, ValueError, IndexError, KeyError) as exc:
        # Raised by warcio (and gzip under it) on truncated or malformed records.
        yield RawPage(source=f"{path}#offset-{position}", raw=b"", kind=UNSUPPORTED,
                      error=f"truncated or malformed WARC record after offset {position}: "
                            + " ".join(str(exc).split())[:300])
