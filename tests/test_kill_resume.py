"""A `tidings run` killed with SIGKILL at a random moment, then run again, ends with exactly the database
an uninterrupted run gives: no half-written document, no duplicate row, nothing lost from earlier runs.

The default suite runs two trials (analysis on, two workers); `pytest -m slow tests/test_kill_resume.py` runs $TIDINGS_KILL_TRIALS
(default 50) with every combination of analysis on/off and one/two workers, kill times spread over the
whole run including the cross-document stages at its end.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from tests.conftest import ROOT

CITIES = ["Kharkiv", "Odesa", "Kherson", "Zaporizhzhia", "Dnipro", "Sumy", "Mykolaiv", "Chernihiv",
          "Belgorod", "Kramatorsk", "Pokrovsk", "Kupiansk"]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
NUMBERS = ["Two", "Three", "Four", "Five", "Six", "Seven", "Eleven"]
EVENTS = [
    "{n} people were killed when shelling hit {city} on {day}, officials said.",
    "A drone strike on {city} on {day} wounded {n_low} civilians, the regional governor said.",
    "{n} soldiers died in clashes near {city} on {day}, the army said.",
    "Protesters marched through {city} on {day} demanding the release of detained journalists.",
    "A missile hit an apartment block in {city} on {day}, killing {n_low} people, rescuers said.",
    "Russian forces shelled the outskirts of {city} on {day}; {n_low} people were injured, police said.",
]
SITES = ["wire.example", "daily.example", "kyivpost.example", "monitor.example"]
# Columns that differ between two runs that stored the same things (when and by which run).
VOLATILE = {"documents": ["added_at", "run_id"], "document_sources": ["run_id"]}
TABLES = ["documents", "document_sources", "mentions", "reports", "doc_claims", "entities", "events",
          "event_sources", "claims", "copy_index", "copy_bands"]
KEYS = {"documents": ["doc_id"], "reports": ["report_id"], "doc_claims": ["claim_id"], "entities": ["entity_id"],
        "events": ["event_id"], "claims": ["claim_id"], "event_sources": ["event_id", "report_id"],
        "document_sources": ["doc_id", "source"], "mentions": ["doc_id", "start", '"end"', "label"],
        "copy_index": ["doc_id"]}


def write_corpus(folder: Path, n: int, seed: int, tag: str) -> None:
    """n small documents as HTML files, text files and one JSONL file, with a few syndicated copies."""
    rng = random.Random(seed)
    folder.mkdir(parents=True)
    records = []
    for i in range(n):
        city, day = rng.choice(CITIES), rng.choice(WEEKDAYS)
        sentences = [rng.choice(EVENTS).format(n=rng.choice(NUMBERS), n_low=rng.choice(NUMBERS).lower(),
                                               city=city, day=day) for _ in range(rng.randint(1, 3))]
        body = " ".join(sentences) + f" Local reporters counted damage to {i % 9 + 2} buildings ({tag}-{i})."
        title = f"{city}: {sentences[0][:60]}"
        site = rng.choice(SITES)
        date = f"2024-0{rng.randint(1, 9)}-{rng.randint(10, 28)}"
        if i % 3 == 0:
            records.append({"id": f"{tag}-{i}", "title": title, "text": body, "published": date,
                            "url": f"https://{site}/{tag}/{i}"})
        elif i % 3 == 1:
            (folder / f"{tag}-{i:04}.txt").write_text(f"{title}\n\n{date}\n\n{body}\n")
        else:
            page = (f"<html><head><title>{title}</title><meta property='article:published_time' "
                    f"content='{date}T08:00:00Z'></head><body><nav>Home | World</nav><article><h1>{title}"
                    f"</h1><p>{body}</p><p>More reporting to follow.</p></article><footer>(c) {site}</footer>"
                    "</body></html>")
            (folder / f"{tag}-{i:04}.html").write_text(page)
            if i % 10 == 2:  # a syndicated copy in other chrome
                (folder / f"{tag}-{i:04}-copy.html").write_text(page.replace("Home | World", "Menu"))
    (folder / f"{tag}-records.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))


def tidings(*args: str, timeout: float = 600) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "tidings", "run", *args, "--quiet"], capture_output=True,
                          timeout=timeout, cwd=ROOT)


def snapshot(db: Path) -> dict[str, list[tuple]]:
    """Every stored row except the columns that say when and by which run, sorted."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        present = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        out: dict[str, list[tuple]] = {}
        for table in TABLES:
            if table not in present:
                continue
            exclude = VOLATILE.get(table)
            columns = f"* EXCLUDE ({', '.join(exclude)})" if exclude else "*"
            rows = con.execute(f"SELECT {columns} FROM {table}").fetchall()
            out[table] = sorted(rows, key=repr)
            key = KEYS.get(table)
            if key:  # no duplicate rows, also where the schema has no primary key
                total, distinct = con.execute(
                    f"SELECT count(*), count(DISTINCT ({', '.join(key)})) FROM {table}").fetchone()
                assert total == distinct, f"duplicate {table} rows in {db}"
        out["derived_stale"] = con.execute("SELECT value FROM meta WHERE key = 'derived_stale'").fetchall()
        return out
    finally:
        con.close()


@dataclass
class Setup:
    corpus: Path
    base: Path  # a database holding an earlier run's documents
    reference: dict[str, list[tuple]]
    seconds: float  # how long the uninterrupted run took
    args: tuple[str, ...]


def prepare(tmp: Path, analyse: bool, workers: int, n: int = 150) -> Setup:
    corpus, earlier = tmp / "corpus", tmp / "earlier"
    if not corpus.exists():
        write_corpus(corpus, n, seed=7, tag="c")
        write_corpus(earlier, 12, seed=3, tag="e")
    args = ("--workers", str(workers), *(() if analyse else ("--no-analyse",)))
    base = tmp / f"base-{analyse}-{workers}.duckdb"
    out = tidings(str(earlier), "--db", str(base), *args)
    assert out.returncode == 0, out.stderr.decode()
    ref = tmp / f"ref-{analyse}-{workers}.duckdb"
    shutil.copy(base, ref)
    started = time.monotonic()
    out = tidings(str(corpus), "--db", str(ref), *args)
    seconds = time.monotonic() - started
    assert out.returncode == 0, out.stderr.decode()
    reference = snapshot(ref)
    assert len(reference["documents"]) > n  # the earlier run's documents and this corpus
    return Setup(corpus, base, reference, seconds, args)


def kill_and_resume(setup: Setup, db: Path, kill_after: float) -> str:
    """One trial: run, SIGKILL the whole process group after `kill_after` s, check, resume, compare."""
    shutil.copy(setup.base, db)
    earlier = snapshot(setup.base)["documents"]
    proc = subprocess.Popen([sys.executable, "-m", "tidings", "run", str(setup.corpus), "--db", str(db),
                             "--quiet", *setup.args], cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, start_new_session=True)
    started = time.monotonic()
    try:
        proc.wait(timeout=kill_after)
        outcome = "finished before the kill"
        # The uninterrupted run was timed under other load: aim later trials within this run's length.
        setup.seconds = min(setup.seconds, time.monotonic() - started)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # the pool's workers too; no cleanup runs anywhere
        proc.wait()
        outcome = "killed"
    assert proc.stderr is not None
    stderr = proc.stderr.read().decode()
    proc.stderr.close()
    if outcome != "killed":
        assert proc.returncode == 0, stderr
    killed = snapshot(db)  # opens cleanly, no duplicates; the earlier run's documents are all there
    assert set(earlier) <= set(killed["documents"])
    docs_after_kill = len(killed["documents"]) - len(earlier)
    out = tidings(str(setup.corpus), "--db", str(db), *setup.args)
    assert out.returncode == 0, out.stderr.decode()
    resumed = snapshot(db)
    for table, rows in setup.reference.items():
        assert resumed.get(table) == rows, f"{table} differs from the uninterrupted run (killed at {kill_after:.2f}s)"
    return f"{outcome} at {kill_after:.2f}s with {docs_after_kill} new documents stored"


def test_sigkill_then_resume_equals_uninterrupted(tmp_path: Path) -> None:
    setup = prepare(tmp_path, analyse=True, workers=2, n=80)
    for i, fraction in enumerate((0.5, 0.92)):  # mid-run, and near the end (the cross-document stages)
        kill_and_resume(setup, tmp_path / f"trial-{i}.duckdb", setup.seconds * fraction)


@pytest.mark.slow
def test_sigkill_trials(tmp_path: Path) -> None:
    trials = int(os.environ.get("TIDINGS_KILL_TRIALS", "50"))
    rng = random.Random(int(os.environ.get("TIDINGS_KILL_SEED", "1")))
    combos = [(analyse, workers) for analyse in (False, True) for workers in (1, 2)]
    setups = {combo: prepare(tmp_path, *combo, n=int(os.environ.get("TIDINGS_KILL_DOCS", "120"))) for combo in combos}
    with open(os.environ.get("TIDINGS_KILL_LOG", os.devnull), "w") as log:  # one line per trial, as it ends
        for i in range(trials):
            combo = combos[i % len(combos)]
            setup = setups[combo]
            # Spread over the whole run; a quarter land in its last 15% (the cross-document stages).
            fraction = rng.uniform(0.85, 1.02) if i % 4 == 3 else rng.uniform(0.05, 1.0)
            result = kill_and_resume(setup, tmp_path / f"trial-{i}.duckdb", setup.seconds * fraction)
            print(f"trial {i:2} analyse={combo[0]!s:5} workers={combo[1]} (run {setup.seconds:.1f}s): {result}",
                  file=log, flush=True)
            (tmp_path / f"trial-{i}.duckdb").unlink()
