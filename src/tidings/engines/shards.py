"""Inputs cut into shards for a distributed run, and shards read back into raw pages.

A shard is the unit of work and of resumption: one input file, one URL, or a line-aligned byte range of a
big JSON Lines file. Reading a shard yields exactly the pages the local engine reads from the same input
(same `source`, same bytes), so both engines store the same documents. A shard's id hashes what it reads
and the options that change its output, so a changed input or option is redone and nothing else is.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from tidings.errors import UsageError
from tidings.limits import DEFAULT_LIMITS, Limits
from tidings.records import RawPage
from tidings.sources import files, records

# A JSONL file bigger than this is cut into ranges of about this size: enough pages per shard to amortise a
# task's start-up, small enough that a cluster's cores all get work and a killed run loses little.
DEFAULT_SHARD_BYTES = 32 * 1024 * 1024
# The smallest shard: a second or two of CPU. Without the NLP stages 1 MB of news records is ~200 pages at
# ~5 ms; with them a page costs 100-170 ms, so 64 KB (~14 stories) already is ~1.5-2.5 s, and a small corpus
# (the 89 VOA stories, 400 KB: 6 shards) is not one shard that leaves every other core idle. A shard costs
# ~50 ms of CPU of its own (measured), so smaller would not pay.
MIN_SHARD_BYTES = 1024 * 1024
MIN_SHARD_BYTES_ANALYSED = 64 * 1024
MIN_SHARDS = 64  # inputs big enough are cut into at least this many ranges, so a cluster's cores all get work


def auto_shard_bytes(inputs: list[str], analyse: bool = False) -> int:
    """The range size for these inputs: a 64th of their size, between the minimum (smaller with the NLP
    stages on, `analyse`) and DEFAULT_SHARD_BYTES. It depends on the inputs and options only (never on the
    cluster), so a resumed run of the same command cuts the same shards."""
    total = 0
    for spec in inputs:
        try:
            total += sum(os.path.getsize(p) for p in files.expand(spec) if not p.startswith(("http", "-")))
        except (FileNotFoundError, OSError):
            continue
    smallest = MIN_SHARD_BYTES_ANALYSED if analyse else MIN_SHARD_BYTES
    return max(smallest, min(DEFAULT_SHARD_BYTES, total // MIN_SHARDS))
_SCAN_CHUNK = 4 * 1024 * 1024


@dataclass(frozen=True)
class Shard:
    shard_id: str
    index: int  # position in input order: shards are loaded into the store in this order
    path: str  # a file path or a URL (the first one, for a group of small files)
    start: int = 0  # byte range of a JSONL file; end = -1 means the whole input
    end: int = -1
    first_line: int = 1  # line number of the range's first line in the whole file
    more: tuple[str, ...] = ()  # the group's further small files, read after `path`, in input order

    @property
    def paths(self) -> tuple[str, ...]:
        return (self.path, *self.more)

    @property
    def is_range(self) -> bool:
        return self.end >= 0

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def _splittable_jsonl(path: str, size: int, shard_bytes: int) -> bool:
    """A plain (not gzipped) JSON Lines file over the shard size whose first line is one JSON object.

    That last test keeps the local engine's reading: a file whose first line parses alone cannot be a
    single pretty-printed object, so it is read line by line there too."""
    if size <= shard_bytes or Path(path).suffix.lower() not in (".jsonl", ".ndjson", ".json"):
        return False
    with open(path, "rb") as fh:
        first = fh.readline(DEFAULT_LIMITS.max_raw_bytes)
    try:
        return isinstance(json.loads(first), dict)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return False


def _line_ranges(path: str, size: int, shard_bytes: int) -> Iterator[tuple[int, int, int]]:
    """(start, end, first line number) of line-aligned ranges of about `shard_bytes`, counting lines as it
    scans so each range knows the line numbers the whole-file reader would give its records."""
    with open(path, "rb") as fh:
        start, line = 0, 1
        while start < size:
            target = min(start + shard_bytes, size)
            fh.seek(target)
            fh.readline()  # move to the next line boundary
            end = min(fh.tell(), size) if target < size else size
            lines, after_cr = 0, False
            fh.seek(start)
            remaining = end - start
            while remaining:
                chunk = fh.read(min(_SCAN_CHUNK, remaining))
                # Line breaks as `bytes.splitlines` counts them (the whole-file reader): \n, \r\n and a bare \r.
                lines += chunk.count(b"\n") + chunk.count(b"\r") - chunk.count(b"\r\n")
                lines -= after_cr and chunk.startswith(b"\n")  # a \r\n cut between two reads
                after_cr = chunk.endswith(b"\r")
                remaining -= len(chunk)
            yield start, end, line
            start, line = end, line + lines


def _fingerprint(path: str) -> str:
    if path.startswith(("http://", "https://")):
        return path  # a URL is fetched when its shard runs; its id cannot know the content
    stat = os.stat(path)
    return f"{os.path.abspath(path)}|{stat.st_size}|{stat.st_mtime_ns}"


def plan(inputs: list[str], options: str, shard_bytes: int = DEFAULT_SHARD_BYTES) -> list[Shard]:
    """Shards of every input, in input order. `options` is a stable string of what changes the output."""
    shards: list[Shard] = []
    group: list[str] = []  # small whole files gathered into one shard: a task per tiny file costs more
    group_bytes = 0  # than the file (measured: 181 AEB pages as 181 shards spent most CPU in Ray)

    def add(paths: list[str], start: int = 0, end: int = -1, first_line: int = 1) -> None:
        key = "||".join(_fingerprint(p) for p in paths) + f"|{start}|{end}|{options}"
        shard_id = hashlib.sha256(key.encode()).hexdigest()[:16]
        shards.append(Shard(shard_id, len(shards), paths[0], start, end, first_line, tuple(paths[1:])))

    def close_group() -> None:
        nonlocal group_bytes
        if group:
            add(list(group))
            group.clear()
            group_bytes = 0

    for spec in inputs:
        try:
            expanded = list(files.expand(spec))
        except FileNotFoundError:
            raise UsageError(f"no such file, folder or glob match: {spec}") from None
        for path in expanded:
            if path == "-":
                raise UsageError("the Ray engine reads files and URLs, not stdin: save the input to a file, "
                                 "or use --engine local")
            if path.startswith(("http://", "https://")):
                close_group()
                add([path])
                continue
            size = os.path.getsize(path)
            if _splittable_jsonl(path, size, shard_bytes):
                close_group()
                for start, end, line in _line_ranges(path, size, shard_bytes):
                    add([path], start, end, line)
                continue
            group.append(path)
            group_bytes += size
            if group_bytes >= shard_bytes:
                close_group()
    close_group()
    return shards


def read_range(path: str, start: int, end: int, first_line: int, limits: Limits) -> Iterator[RawPage]:
    """The records of a JSONL byte range, exactly as `sources.records.read_records` reads those lines."""
    with open(path, "rb") as fh:
        fh.seek(start)
        data = fh.read(end - start)
    yield from records.read_lines(path, data.splitlines(), first_line, limits)


def read_shard(shard: Shard, *, allow_private: bool, fetch_links: bool,
               limits: Limits = DEFAULT_LIMITS) -> Iterator[RawPage]:
    if shard.is_range:
        return read_range(shard.path, shard.start, shard.end, shard.first_line, limits)
    from tidings.sources import _pages  # the local engine's own reader, for identical pages

    return _pages(list(shard.paths), allow_private, fetch_links, limits)
