"""The Ray engine against the local engine: the same documents from the same inputs, JSONL range shards that
read exactly what the whole-file reader reads, and a run killed mid-way that resumes without redoing work."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import EXAMPLES, export_jsonl
from tidings.engines import shards
from tidings.errors import UsageError
from tidings.runner import run
from tidings.sources import iter_pages


def _records(path: Path, n: int) -> None:
    lines = []
    for i in range(n):
        rec: dict[str, Any] = {"text": f"Report {i}: shelling hit district {i % 7} on Monday, officials said. "
                                       + "The regional governor said repairs would start soon. " * (i % 3 + 1),
                               "published": f"2024-03-{i % 28 + 1:02d}T08:00:00Z"}
        if i % 2:
            rec["id"] = f"r{i}"  # half the records name themselves, half are numbered by line
        lines.append(json.dumps(rec))
        if i == 5:
            lines += ["", "{broken json"]  # a blank and a bad line shift the line numbers after them
        if i == 9:
            lines.append(lines[0])  # the same bytes twice: stored once, seen at two places
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _corpus(tmp_path: Path) -> Path:
    root = tmp_path / "in"
    shutil.copytree(EXAMPLES, root)
    _records(root / "records" / "big.jsonl", 60)
    return root


def test_jsonl_ranges_read_the_same_pages_as_the_whole_file(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    _records(path, 60)
    planned = shards.plan([str(path)], "opts", shard_bytes=1500)
    assert len(planned) > 4 and all(s.is_range for s in planned)
    assert planned[0].start == 0 and planned[-1].end == path.stat().st_size
    assert all(a.end == b.start for a, b in zip(planned, planned[1:], strict=False))
    ranged = [p for s in planned for p in shards.read_shard(s, allow_private=False, fetch_links=False)]
    whole = list(iter_pages([str(path)]))
    assert [(p.source, p.raw, p.kind, p.error) for p in ranged] == [(p.source, p.raw, p.kind, p.error) for p in whole]
    # The shard ids are stable for the same input and options, and change with the options.
    assert [s.shard_id for s in shards.plan([str(path)], "opts", 1500)] == [s.shard_id for s in planned]
    assert shards.plan([str(path)], "other", 1500)[0].shard_id != planned[0].shard_id


def test_ranges_count_lines_as_the_whole_file_reader_does(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Bare carriage returns end lines for the whole-file reader; the range planner must count them too,
    also when a \\r\\n is cut between two of its reads."""
    monkeypatch.setattr(shards, "_SCAN_CHUNK", 7)
    recs = [json.dumps({"text": f"Shelling hit district {i} on Monday, officials said."}).encode() for i in range(40)]
    ends = [b"\n", b"\r", b"\r\n", b"\r\r\n"]  # the first line ends in \\n: the file is sniffed as JSON Lines
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(b"".join(rec + ends[i % len(ends)] for i, rec in enumerate(recs)))
    planned = shards.plan([str(path)], "o", shard_bytes=300)
    assert len(planned) > 3
    ranged = [p for s in planned for p in shards.read_shard(s, allow_private=False, fetch_links=False)]
    whole = list(iter_pages([str(path)]))
    assert len(whole) == 40
    assert [(p.source, p.raw) for p in ranged] == [(p.source, p.raw) for p in whole]


def test_small_or_pretty_json_is_one_shard(tmp_path: Path) -> None:
    pretty = tmp_path / "one.json"
    pretty.write_text(json.dumps({"text": "x " * 2000}, indent=2))
    small = tmp_path / "small.jsonl"
    small.write_text(json.dumps({"text": "hello"}) + "\n")
    planned = shards.plan([str(pretty), str(small)], "o", shard_bytes=100)
    assert [(s.paths, s.is_range) for s in planned] == [((str(pretty),), False), ((str(small),), False)]


def test_small_files_are_grouped_in_input_order(tmp_path: Path) -> None:
    names = [f"p{i}.txt" for i in range(7)]
    for name in names:
        (tmp_path / name).write_text("Troops shelled the town. " * 4)  # 100 bytes each
    planned = shards.plan([str(tmp_path)], "o", shard_bytes=250)
    assert [[Path(p).name for p in s.paths] for s in planned] == [names[0:3], names[3:6], names[6:7]]
    pages = [p.source for s in planned for p in shards.read_shard(s, allow_private=False, fetch_links=False)]
    assert pages == [str(tmp_path / n) for n in names]


def test_shards_are_smaller_when_pages_cost_more(tmp_path: Path) -> None:
    # ~570 KB of records: one shard without the NLP stages (a second of CPU), several with them, so both
    # cores get work on a small corpus (the 89 VOA stories were one shard: one busy actor, one idle).
    path = tmp_path / "stories.jsonl"
    _records(path, 2500)
    assert shards.auto_shard_bytes([str(path)], analyse=False) == shards.MIN_SHARD_BYTES
    assert shards.auto_shard_bytes([str(path)], analyse=True) == shards.MIN_SHARD_BYTES_ANALYSED
    assert len(shards.plan([str(path)], "o", shards.auto_shard_bytes([str(path)], analyse=False))) == 1
    assert len(shards.plan([str(path)], "o", shards.auto_shard_bytes([str(path)], analyse=True))) >= 6


def test_stdin_is_refused_with_a_way_out() -> None:
    with pytest.raises(UsageError, match="--engine local"):
        shards.plan(["-"], "o")


def test_missing_ray_gives_the_pip_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    from tidings.engines import ray as ray_engine

    monkeypatch.setitem(sys.modules, "ray", None)  # makes `import ray` raise ImportError
    with pytest.raises(UsageError) as err:
        ray_engine.import_ray()
    assert str(err.value) == 'the Ray engine needs Ray: pip install "tidings[ray]"'


@pytest.fixture(scope="module")
def ray_local() -> Any:
    ray = pytest.importorskip("ray")
    from tidings.engines.ray import start_ray

    assert start_ray(ray, num_cpus=2)  # Ray on this machine as `tidings run --engine ray` starts it
    yield ray
    ray.shutdown()


def test_ray_workers_run_at_the_drivers_priority(ray_local: Any) -> None:
    # Ray renices its workers by +15 by default: on a busy machine the run then starves behind everything.
    import os

    @ray_local.remote
    def niceness() -> int:
        return os.nice(0)

    assert ray_local.get(niceness.remote()) == os.nice(0)


def _docs(db: Path) -> list[dict]:
    return export_jsonl(db, "documents")


def test_ray_and_local_store_the_same_documents_and_resume(tmp_path: Path, ray_local: Any,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from tidings.engines import ray as ray_engine

    corpus = _corpus(tmp_path)
    local_db, ray_db = tmp_path / "local.duckdb", tmp_path / "ray.duckdb"
    local = run([str(corpus)], db=str(local_db), workers=2, analyse=False)

    # First Ray run dies while loading its third shard: some shards are written, two are loaded.
    real_load = ray_engine.load_shard
    calls = {"n": 0}

    def dying_load(*args: Any, **kwargs: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        real_load(*args, **kwargs)

    monkeypatch.setattr(ray_engine, "load_shard", dying_load)
    with pytest.raises(KeyboardInterrupt):
        ray_engine.run_ray([str(corpus)], db=str(ray_db), ctx=_ctx(), shard_bytes=4000)
    folder = Path(f"{ray_db}.shards")
    parts_before = {p.name: p.stat().st_mtime_ns for p in folder.glob("part-*.parquet")}
    assert parts_before and not list(folder.glob("*.tmp-*"))
    stored_by_killed_run = len(_docs(ray_db))
    assert stored_by_killed_run > 0

    # The same command again: finished shards are reused, the rest is done, nothing is loaded twice.
    monkeypatch.setattr(ray_engine, "load_shard", real_load)
    summary = ray_engine.run_ray([str(corpus)], db=str(ray_db), ctx=_ctx(), shard_bytes=4000)
    parts_after = {p.name: p.stat().st_mtime_ns for p in folder.glob("part-*.parquet")}
    assert all(parts_after[name] == mtime for name, mtime in parts_before.items())
    manifest = [json.loads(line) for line in (folder / "manifest.jsonl").read_text().splitlines()]
    assert len(manifest) == len(parts_after) == len({m["shard_id"] for m in manifest})
    assert any(m["start"] > 0 for m in manifest)  # the big JSONL really was cut into ranges
    assert all({"pid", "started_at", "seconds", "cpu_seconds"} <= m.keys() for m in manifest)  # per-shard timings
    assert summary.counts.new == local.counts.new - stored_by_killed_run

    assert _docs(ray_db) == _docs(local_db)

    # A third run changes nothing and processes nothing.
    again = ray_engine.run_ray([str(corpus)], db=str(ray_db), ctx=_ctx(), shard_bytes=4000)
    assert again.counts.new == 0 and again.counts.seen == 0
    assert _docs(ray_db) == _docs(local_db)


def _ctx():
    from tidings.pipeline import Context

    return Context(analyse=False)

