"""The benchmark's parts: replicas that stay distinct and readable, memory measured over a whole process
tree, a configuration measured end to end in a subprocess, and the target checks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tidings import bench
from tidings.clean import copies
from tidings.sources import iter_pages
from tidings.store.db import Store

STORIES = [
    {"id": "s1", "title": "Shelling hits border town", "published": "2024-02-10T09:00:00Z",
     "url": "https://news.example/a/shelling.html",
     "text": "Russian shelling hit a residential district of the border town on Saturday morning, damaging "
             "dozens of homes and a school, the mayor said in a statement. Emergency services said three people "
             "were wounded and taken to hospital. Firefighters worked for several hours to put out fires in two "
             "apartment buildings, according to the regional administration, which said repairs would start "
             "after the area was checked for unexploded munitions by sappers from the army."},
    {"id": "s2", "title": "Teachers protest over pay", "published": "2024-03-01T12:00:00Z",
     "text": "Several thousand teachers marched through the capital on Monday to demand higher pay and smaller "
             "classes, the second protest this month. Police said the march was peaceful and that no one was "
             "detained. Union leaders told the crowd outside parliament that they would strike next week if "
             "the government did not return to talks, and the education minister said she was ready to meet "
             "them on Thursday to discuss a new offer on salaries and hiring."},
]


@pytest.fixture
def stories(tmp_path: Path) -> Path:
    path = tmp_path / "stories.jsonl"
    path.write_text("".join(json.dumps(s) + "\n" for s in STORIES), encoding="utf-8")
    return path


def test_replicas_are_deterministic_distinct_and_not_copies(stories: Path, tmp_path: Path) -> None:
    jsonls, warcs = bench.replicate(stories, 9, tmp_path / "a", "t", warc_records=4, jsonl_records=5)
    again, warcs_again = bench.replicate(stories, 9, tmp_path / "b", "t", warc_records=4, jsonl_records=5)
    assert [j.read_bytes() for j in jsonls] == [j.read_bytes() for j in again]
    assert [w.read_bytes() for w in warcs] == [w.read_bytes() for w in warcs_again]
    assert len(jsonls) == 2 and len(warcs) == 3  # 5 + 4 records; 4 + 4 + 1 records
    records = [json.loads(line) for j in jsonls for line in j.read_text().splitlines()]
    assert len({r["id"] for r in records}) == 9 and len({r["published"] for r in records}) == 9
    assert records[0]["text"] == STORIES[0]["text"]  # the first pass is the stories themselves
    assert all(r["text"] != STORIES[0]["text"] for r in records[2::2])
    # The WARC pages read back as HTML pages, one per record, each with the story's text in it.
    pages = list(iter_pages([str(w) for w in warcs]))
    assert [p.kind for p in pages] == ["html"] * 9
    assert b"unexploded" in pages[0].raw and b"<nav" not in pages[0].raw


@pytest.mark.shared_data
def test_replicas_of_news_stories_are_not_copies(shared_data: Path, tmp_path: Path) -> None:
    """News-length stories (the VOA ones: ~800 words) changed one word in eight stay under the copy
    threshold: every replica is stored and analysed as a document of its own."""
    jsonls, _ = bench.replicate(shared_data / bench.VOA, 89 * 4, tmp_path, "voa", warc=False)
    records = [json.loads(line) for line in jsonls[0].read_text().splitlines()]
    worst = 0.0
    for first in range(0, 89, 11):
        sigs = [copies._minhash(copies.minhash_signature(r["text"])) for r in records[first::89]]
        worst = max(worst, max(a.jaccard(b) for i, a in enumerate(sigs) for b in sigs[i + 1:]))
    assert worst < copies.THRESHOLD


def test_tree_memory_counts_children(tmp_path: Path) -> None:
    alone, _ = bench.tree_memory(os.getpid())
    # A child that holds 150 MB of touched memory: the tree's PSS must grow by about that much.
    child = subprocess.Popen([sys.executable, "-c", "import sys, time; b = bytearray(150 * 2**20); "
                              "b[::4096] = b'x' * len(b[::4096]); print('ready', flush=True); time.sleep(30)"],
                             stdout=subprocess.PIPE)
    try:
        assert child.stdout is not None and child.stdout.readline().startswith(b"ready")
        with_child, rss = bench.tree_memory(os.getpid())
        assert with_child - alone > 120 * 2**20
        assert rss >= with_child
    finally:
        child.kill()
        child.wait()


def test_kill_tree_kills_grandchildren() -> None:
    parent = subprocess.Popen([sys.executable, "-c", "import subprocess, sys, time; "
                               "p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); "
                               "print(p.pid, flush=True); time.sleep(60)"], stdout=subprocess.PIPE)
    assert parent.stdout is not None
    grandchild = int(parent.stdout.readline())
    bench.kill_tree(parent.pid)
    parent.wait(timeout=10)
    for _ in range(50):
        try:
            os.kill(grandchild, 0)
        except ProcessLookupError:
            return
        if Path(f"/proc/{grandchild}/stat").read_text().split(") ")[1].startswith("Z"):
            return  # a zombie waiting for init to reap it: dead
        time.sleep(0.1)
    pytest.fail("grandchild still running")


def test_measure_runs_a_configuration_in_a_subprocess(stories: Path, tmp_path: Path) -> None:
    cfg = bench.Config("tiny", [str(stories)], "local1", analyse=False, workdir=str(tmp_path))
    result = bench.measure(cfg, timeout=300)
    assert result.error is None
    assert result.pages == 2 and result.failed == 0
    assert result.seconds > 0 and result.pages_per_s == pytest.approx(2 / result.seconds)
    assert {"decode", "extract", "fingerprint"} <= set(result.stage_s)
    assert "copies" in result.cross_s and all(s >= 0 for s in result.cross_s.values())
    assert result.cpu_s > 0.2 and result.cpu_ms_per_page == pytest.approx(1000 * result.cpu_s / 2)
    assert 30 < result.peak_pss_mb < 2048 and result.peak_rss_mb >= result.peak_pss_mb
    assert not list(tmp_path.glob("bench-*.duckdb*"))  # the temporary database is gone


def test_keep_moves_the_database_out(stories: Path, tmp_path: Path) -> None:
    kept = tmp_path / "kept"
    kept.mkdir()
    cfg = bench.Config("tiny", [str(stories)], "local1", analyse=False, workdir=str(tmp_path), keep=str(kept))
    assert bench.measure(cfg, timeout=300).error is None
    assert not list(tmp_path.glob("bench-*.duckdb*"))
    with Store.open(kept / "tiny-local1.duckdb", read_only=True) as store:
        assert store.con.execute("SELECT count(*) FROM documents").fetchone()[0] == 2


def test_trafilatura_alone_on_the_same_pages(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_bytes(bench.page_html(STORIES[0]))
    cfg = bench.Config("tiny", [str(page)], "trafilatura", workdir=str(tmp_path))
    result = bench.measure(cfg, timeout=300)
    assert result.error is None and result.pages == 1 and result.seconds > 0


def test_target_checks_say_what_was_met() -> None:
    def r(corpus: str, engine: str, pages: int, pps: float, pss: float) -> bench.Result:
        return bench.Result(corpus, engine, True, pages=pages, seconds=pages / pps, pages_per_s=pps,
                            peak_pss_mb=pss)

    lines = bench.check_targets([r("voa-1000-jsonl", "local2", 1000, 50, 400), r("voa-1000-jsonl", "ray", 1000, 30, 900),
                                 r("voa-10000-jsonl", "local2", 10000, 52, 1100)])
    text = "\n".join(lines)
    assert "best 52.0" in text and "-> met" in text
    assert "peak memory <= 1 GB, local engine: highest PSS 1100 MB (voa-10000-jsonl local2) -> NOT met" in text
    assert "peak memory <= 1 GB, ray: highest PSS 900 MB (voa-1000-jsonl ray) -> met" in text
    assert "ray within 80% of local2 on voa-1000-jsonl: 60% -> NOT met" in text
    assert "400 MB at 1000 pages, 1100 MB at 10000 pages (+175%)" in text
    long = r("voa-100000-jsonl", "local2", 100000, 30, 900)
    long.pss_curve_mb = [(10.0 * i, 500.0 + i) for i in range(20)]
    assert "each tenth of the run, voa-100000-jsonl local2: 501 503 505 507 509 511 513 515 517 519 MB" \
        in "\n".join(bench.check_targets([long]))


def test_sampler_keeps_a_memory_curve() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; b = bytearray(50 * 2**20); time.sleep(1.5)"])
    with bench.TreeSampler(child.pid, interval=0.05, window=0.5) as sampler:
        child.wait()
    assert len(sampler.curve) >= 2
    assert all(b[0] >= a[0] + 0.5 for a, b in zip(sampler.curve, sampler.curve[1:], strict=False))
    assert max(pss for _, pss in sampler.curve) == sampler.peak_pss >= 40 * 2**20


def test_unknown_engine_is_refused() -> None:
    with pytest.raises(SystemExit, match="unknown engine"):
        bench.bench([], engines=["spark"])
