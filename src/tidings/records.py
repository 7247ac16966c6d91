"""The typed records that flow between stages.

Every stage is a plain function over these records, so the same code runs in-process, in a
process pool and on Ray. Offsets are character offsets into `Document.text` (the clean text)
unless a field says otherwise.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from typing import Any

# Document status values (the export contract).
OK = "ok"
ERROR = "error"
EMPTY = "empty"
UNSUPPORTED = "unsupported"


def content_id(data: bytes) -> str:
    """Stable id of a byte string: the first 20 hex digits of its SHA-256 (80 bits)."""
    return hashlib.sha256(data).hexdigest()[:20]


@dataclass
class RawPage:
    """One input document as read from a source, before any cleaning.

    `source` is the document's own path or URL; for a record inside a WARC, JSONL or feed
    file it is that file's path followed by `#` and the record's id.
    """

    source: str
    raw: bytes
    kind: str = "html"  # html | text | record (JSON with text/html) | unsupported
    url: str | None = None
    content_type: str | None = None  # from HTTP or WARC headers, when known
    hints: dict[str, Any] = field(default_factory=dict)  # title/published/author given by the container
    error: str | None = None  # set when the page could not be read at all

    @property
    def doc_id(self) -> str:
        # A page that could not even be read has no bytes; its identity is its source.
        return content_id(self.raw if self.raw else ("unreadable:" + self.source).encode())


@dataclass
class Segment:
    """Maps clean text [start, end) to the decoded raw page [raw_start, raw_end)."""

    start: int
    end: int
    raw_start: int
    raw_end: int


@dataclass
class Mention:
    """A span of clean text naming a person, group, place, date or quantity."""

    start: int
    end: int
    text: str
    label: str  # PERSON ORG GROUP GPE LOC FAC NORP DATE TIME CARDINAL QUANTITY TITLE
    entity_id: str | None = None
    attrs: dict[str, Any] = field(default_factory=dict)  # label-specific resolution (place, date value)


@dataclass
class Report:
    """One document's report of one event: the unit that incident merging groups."""

    report_id: str
    doc_id: str
    sentence: str
    start: int
    end: int
    event_type: str
    sub_event_type: str
    fields: dict[str, Any] = field(default_factory=dict)  # actors, place, date, casualties, attribution


@dataclass
class Claim:
    claim_id: str
    doc_id: str
    text: str
    start: int
    end: int
    attributed_to: str | None
    cue: str | None
    stance: str  # asserts | denies | disputes | unverified
    event_id: str | None = None
    report_id: str | None = None
    about: str | None = None  # short key of what the claim is about, for linking opposing claims


@dataclass
class Document:
    doc_id: str
    source: str
    status: str = OK
    error: str | None = None
    url: str | None = None
    title: str | None = None
    author: str | None = None
    site: str | None = None
    published: str | None = None  # ISO 8601, or None: never the file's time
    published_from: str | None = None  # where the date came from (meta, htmldate, text line, container)
    language: str | None = None
    encoding: str | None = None
    kind: str | None = None  # how the page was read: html, text, record-html, record-text
    text: str = ""
    boilerplate: str = ""  # what cleaning removed, kept so a user can see it
    raw_text: str = ""  # the decoded raw page that `segments` point into
    segments: list[Segment] = field(default_factory=list)
    text_hash: str | None = None  # hash of normalised clean text: exact-copy detection
    minhash: bytes | None = None  # MinHash signature of word shingles: near-copy detection
    duplicate_of: str | None = None
    mentions: list[Mention] = field(default_factory=list)
    reports: list[Report] = field(default_factory=list)
    claims: list[Claim] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)  # stage -> seconds spent on this document

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
