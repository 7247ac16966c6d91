"""Input specs (paths, folders, globs, `-`, URLs) to raw pages, one format reader per kind of file."""

from __future__ import annotations

import glob
import gzip
import io
import json
import os
import sys
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from tidings.clean.encoding import looks_binary
from tidings.limits import DEFAULT_LIMITS, Limits
from tidings.records import UNSUPPORTED, RawPage
from tidings.sources import feeds, records, warc

HTML_EXT = {".html", ".htm", ".xhtml", ".shtml", ".php", ".asp", ".aspx"}
TEXT_EXT = {".txt", ".text", ".md", ".markdown"}
JSON_EXT = {".json", ".jsonl", ".ndjson"}
FEED_EXT = {".rss", ".atom", ".xml"}
WARC_EXT = {".warc", ".arc"}
SKIP_NAMES = {".DS_Store", "Thumbs.db"}


def expand(spec: str) -> Iterator[str]:
    """A spec is a file, a folder (recursive, sorted), a glob, `-` or a URL."""
    if spec == "-" or spec.startswith(("http://", "https://")):
        yield spec
        return
    path = Path(spec).expanduser()
    if path.is_dir():
        for root, dirs, files in os.walk(path):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for name in sorted(files):
                if not name.startswith(".") and name not in SKIP_NAMES:
                    yield os.path.join(root, name)
        return
    if path.exists():
        yield str(path)
        return
    matches = sorted(glob.glob(os.path.expanduser(spec), recursive=True))
    if matches:
        for match in matches:
            yield from expand(match)
        return
    raise FileNotFoundError(spec)


def _read_capped(path: str, limits: Limits) -> bytes:
    with open(path, "rb") as fh:
        data = fh.read(limits.max_decompressed_bytes + 1)
    return data


def gunzip(data: bytes, limits: Limits) -> bytes:
    """Decompress with a cap on the output size (a gzip bomb stops at the cap with a clear error)."""
    out = bytearray()
    stream = data
    while stream:
        dec = zlib.decompressobj(16 + zlib.MAX_WBITS)
        chunk = dec.decompress(stream, limits.max_decompressed_bytes + 1 - len(out))
        out += chunk
        if len(out) > limits.max_decompressed_bytes:
            raise ValueError(f"decompresses to more than {limits.max_decompressed_bytes:,} bytes (gzip bomb?)")
        if not dec.eof:
            if dec.unconsumed_tail:
                raise ValueError(f"decompresses to more than {limits.max_decompressed_bytes:,} bytes")
            raise ValueError("truncated gzip stream (the file ends before the compressed data does)")
        stream = dec.unused_data  # concatenated gzip members
    return bytes(out)


def sniff(name: str, data: bytes) -> str:
    """The reader for a file: by extension first, then by content."""
    ext = Path(name).suffix.lower()
    head = data[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"warc/", b"filedesc://")) or ext in WARC_EXT:
        return "warc"
    if ext in JSON_EXT or (ext not in HTML_EXT | TEXT_EXT and head[:1] in (b"{", b"[")):
        return "json"
    if ext in FEED_EXT or (ext not in HTML_EXT and (b"<rss" in head or b"<feed" in head or b"<rdf:rdf" in head)):
        return "feed"
    if ext in HTML_EXT or head.startswith((b"<!doctype html", b"<html")) or b"<html" in head:
        return "html"
    if looks_binary(data):
        return "binary"
    if ext in TEXT_EXT or not ext:
        return "text"
    return "unknown"


def read_file(path: str, data: bytes, limits: Limits, url: str | None = None,
              content_type: str | None = None) -> Iterator[RawPage]:
    """All pages in one file's bytes (already read), never raising for a bad file."""
    name = path
    try:
        if data[:2] == b"\x1f\x8b" and not name.lower().endswith((".warc.gz", ".arc.gz")):
            data = gunzip(data, limits)
            name = name[:-3] if name.lower().endswith(".gz") else name
    except (ValueError, OSError, EOFError, zlib.error) as exc:
        yield RawPage(source=path, raw=data, kind=UNSUPPORTED, error=f"cannot decompress: {exc}")
        return
    if not data.strip():
        yield RawPage(source=path, raw=data, kind="empty", url=url)
        return
    kind = sniff(name.removesuffix(".gz"), data)
    if kind == "warc":
        yield from warc.read_warc(path, io.BytesIO(data), limits)
    elif kind == "json":
        yield from records.read_records(path, data, limits)
    elif kind == "feed":
        yield from feeds.read_feed(path, data, limits, url=url)
    elif kind == "binary":
        yield RawPage(source=path, raw=data, kind=UNSUPPORTED,
                      error="binary file (not HTML, text, JSON, feed or WARC)")
    elif kind == "unknown":
        yield RawPage(source=path, raw=data, kind=UNSUPPORTED,
                      error=f"unsupported file type {Path(name).suffix!r}: give .html, .txt, .md, .json, .jsonl, "
                            "an RSS/Atom feed or a WARC, optionally .gz")
    elif len(data) > limits.max_raw_bytes:
        yield RawPage(source=path, raw=data[: limits.max_raw_bytes], kind=UNSUPPORTED, url=url,
                      error=f"page is {len(data):,} bytes, over the {limits.max_raw_bytes:,}-byte limit")
    else:
        yield RawPage(source=path, raw=data, kind=kind, url=url, content_type=content_type)


def _is_warc(path: str, head: bytes) -> bool:
    name = path.lower().removesuffix(".gz")
    if name.endswith((".warc", ".arc")):
        return True
    if head[:2] == b"\x1f\x8b":
        try:
            head = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(head, 64)
        except zlib.error:
            return False
    return head.startswith((b"WARC/", b"filedesc://"))


def iter_lines(fh: BinaryIO, max_line: int) -> Iterator[bytes]:
    """A file's lines exactly as `data.splitlines()` gives them for the whole file (a bare `\r` splits
    too; empty lines are kept, so line numbers match), read one line at a time.

    A line over `max_line` bytes comes out as its first `max_line + 1` bytes (`records.read_lines` reports it
    as over the limit, with the same raw bytes as when the whole file was read) and the rest is skipped
    without being held. (Inside such a line a bare `\r` no longer splits, as it did when the whole file was read.)"""
    while True:
        chunk = fh.readline(max_line + 2)  # a line of max_line bytes plus its \r\n still fits
        if not chunk:
            return
        if chunk.endswith(b"\n") or len(chunk) < max_line + 2:
            yield from chunk.splitlines()
            continue
        yield chunk[: max_line + 1]
        while chunk and not chunk.endswith(b"\n"):
            chunk = fh.readline(1 << 20)


_JSON_SPACE = b" \t\r\n"  # what `json.loads` accepts around a document


def _is_json_lines(path: str, head: bytes, limits: Limits) -> bool:
    """A plain file that `records.read_records` would read as JSON Lines, decided from its first lines, so
    it can be streamed with the same records: not a JSON array, and either not starting with `{` or with
    a first line that is a whole JSON document followed by more (one object alone, or one pretty-printed
    over several lines, is a single record and is read whole as before)."""
    if head[:2] == b"\x1f\x8b" or sniff(path.removesuffix(".gz"), head) != "json":
        return False
    start = head.decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n")[:1]
    if start in ("", "["):
        return False
    if start != "{":
        return True
    with open(path, "rb") as fh:
        first = b""
        for line in iter_lines(fh, limits.max_raw_bytes):
            if not first:
                first = line if line.decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n") else b""
                if not first:
                    continue
                try:
                    json.loads(first.decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n"))
                except (ValueError, RecursionError):  # as read_records: not one whole document
                    return False
            elif line.strip(_JSON_SPACE):
                return True
    return False


def read_path(path: str, limits: Limits = DEFAULT_LIMITS) -> Iterator[RawPage]:
    try:
        with open(path, "rb") as fh:
            head = fh.read(65536)
        if _is_warc(path, head):
            # WARC files can be gigabytes: stream them record by record, never read whole.
            with open(path, "rb") as fh:
                yield from warc.read_warc(path, fh, limits)
            return
        if _is_json_lines(path, head, limits):
            # So can JSON Lines: read a line at a time (same line numbers, so the same ids), no size cap.
            with open(path, "rb") as fh:
                yield from records.read_lines(path, iter_lines(fh, limits.max_raw_bytes), 1, limits)
            return
        data = _read_capped(path, limits)
    except OSError as exc:
        yield RawPage(source=path, raw=b"", kind=UNSUPPORTED, error=f"cannot read file: {exc.strerror or exc}")
        return
    if len(data) > limits.max_decompressed_bytes and data[:2] != b"\x1f\x8b" and sniff(path, data) != "warc":
        yield RawPage(source=path, raw=data[: limits.max_raw_bytes], kind=UNSUPPORTED,
                      error=f"file is over the {limits.max_decompressed_bytes:,}-byte limit")
        return
    yield from read_file(path, data, limits)


def read_stdin(limits: Limits = DEFAULT_LIMITS) -> Iterator[RawPage]:
    data = sys.stdin.buffer.read(limits.max_decompressed_bytes + 1)
    yield from read_file("-", data, limits)


def gzip_bytes(data: bytes) -> bytes:
    """Small helper for tests and examples: deterministic gzip (no timestamp)."""
    return gzip.compress(data, mtime=0)
