"""`tidings bench`: pages per second, where the time goes, and peak memory of `tidings run`, per engine and
corpus size, beside trafilatura alone on the same HTML pages.

Each configuration runs in a subprocess of its own, on a fresh temporary database, so its memory is its
own: the peak is sampled from /proc over the whole process tree (the run, its pool workers, Ray's raylet
and workers), as the sum of PSS (shared pages split between the processes that share them) and, for
comparison, the sum of RSS. Pages per second is pages read divided by the wall time of the run itself,
cross-document stages and database writes included; for Ray, starting Ray on this machine is timed apart.

Corpora: the inputs given, else the 89 VOA stories and the 181 AEB pages from ../shared/data; `--sizes`
replicates the VOA stories (varied ids, dates and words, so copy detection keeps them apart) to JSONL
and to WARC files of HTML pages. Analysis (the NLP stages) is on unless `--no-analyse`.

Run: python -m tidings.bench --quick            (under a minute)
     python -m tidings.bench --sizes 1000,10000 --engines local1,local2,ray,trafilatura
"""

from __future__ import annotations

import argparse
import html
import importlib.util
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from io import BytesIO
from pathlib import Path
from typing import Any

SHARED = Path(os.environ.get("TIDINGS_SHARED_DATA", Path(__file__).resolve().parents[3] / "shared" / "data"))
VOA = "news/voa/voa_stories.jsonl"
AEB = "web/scrapinghub-aeb/html"
ENGINES = ("local1", "local2", "ray", "trafilatura")


# --- replicated corpora --------------------------------------------------------------------------

SYNONYMS = [
    ("said", "stated", "told reporters", "added"), ("people", "residents", "civilians", "persons"),
    ("killed", "left dead", "slain"), ("attack", "assault", "strike"), ("officials", "authorities"),
    ("government", "administration", "authorities"), ("country", "nation"), ("city", "town"),
    ("forces", "troops", "units"), ("military", "army", "armed forces"), ("Monday", "Tuesday", "Wednesday"),
    ("Thursday", "Friday", "Saturday"), ("Sunday", "Monday"), ("also", "further", "additionally"),
    ("after", "following"), ("before", "ahead of"), ("about", "around", "roughly"), ("more", "further"),
    ("told", "informed"), ("including", "among them"), ("group", "organization"), ("leader", "chief"),
    ("president", "head of state"), ("minister", "cabinet minister"), ("week", "few days"),
    ("year", "twelve months"), ("area", "region", "district"), ("border", "frontier"), ("help", "aid"),
    ("support", "backing"), ("war", "conflict"), ("fighting", "clashes", "combat"), ("new", "fresh"),
    ("large", "big"), ("many", "numerous"), ("several", "a number of"), ("could", "might"),
    ("would", "will"), ("because", "as"), ("however", "but"), ("during", "in the course of"),
]
HEDGES = ("reportedly", "also", "now", "again", "still", "then", "meanwhile", "indeed")
_TABLE = {group[0]: group[1:] for group in SYNONYMS}
_TOKEN = re.compile(r"\w+|\W+")


def vary_text(text: str, rng: random.Random, rate: float = 0.125) -> str:
    """Change about `rate` of the words (a synonym where one is known, else a shifted number or an inserted
    hedge word). Every change breaks five 5-word shingles: replicas of news-length stories measured at most
    Jaccard 0.47 from each other (VOA stories, 4 replicas each), under the
    0.6 at which tidings calls two texts copies."""
    out: list[str] = []
    for token in _TOKEN.findall(text):
        if not token[0].isalnum() or rng.random() >= rate:
            out.append(token)
        elif token in _TABLE:
            out.append(rng.choice(_TABLE[token]))
        elif token.isdigit() and len(token) < 5:
            out.append(str(max(1, int(token) + rng.choice((-2, -1, 1, 2, 3)))))
        else:
            out.append(f"{rng.choice(HEDGES)} {token}")
    return "".join(out)


def _shifted(value: str | None, days: int, minutes: int) -> str:
    try:
        base = datetime.fromisoformat((value or "").replace("Z", "+00:00"))
    except ValueError:
        base = datetime.fromisoformat("2024-01-01T00:00:00+00:00")
    return (base + timedelta(days=days, minutes=minutes)).isoformat()


def replicas(stories: list[dict[str, Any]], n: int, seed: int = 20240101) -> Iterator[dict[str, Any]]:
    """n records cycling over the stories; the first pass is the stories themselves (ids suffixed)."""
    rng = random.Random(seed)
    for i in range(n):
        story = stories[i % len(stories)]
        copy = i // len(stories)
        rec = dict(story)
        rec["id"] = f"{story.get('id', i)}-r{copy:05d}"
        if copy:
            rec["text"] = vary_text(str(story.get("text", "")), rng)
            rec["published"] = _shifted(story.get("published"), rng.randint(-400, 400), rng.randint(0, 1439))
            if story.get("url"):
                rec["url"] = re.sub(r"(\.html)?$", f"-r{copy:05d}\\1", story["url"], count=1)
        yield rec


def page_html(rec: dict[str, Any]) -> bytes:
    """A news page around a record: site chrome for the extractor to remove, the story in paragraphs."""
    sentences = re.split(r"(?<=[.!?\"])\s+(?=[A-Z\"])", str(rec.get("text", "")))
    paragraphs = [" ".join(html.escape(s) for s in sentences[i : i + 3]) for i in range(0, len(sentences), 3)]
    title = html.escape(rec.get("title") or "")
    author = html.escape(rec.get("author") or "Staff")
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs if p.strip())
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title} | Replicated News</title>
<meta property="article:published_time" content="{html.escape(rec.get('published') or '')}">
<meta name="author" content="{author}"></head>
<body><header><a href="/">Replicated News</a> <a href="/world">World</a> <a href="/sport">Sport</a>
<a href="/subscribe">Subscribe</a></header>
<main><article><h1>{title}</h1><p class="byline">By {author}</p>
{body}
</article></main>
<aside><h3>Most read</h3><ul><li><a href="/a">Markets close higher</a></li><li><a href="/b">Weather</a></li></ul></aside>
<footer>Sign up for our newsletter | About us | Contact | Privacy</footer></body></html>""".encode()


def replicate(source: Path, n: int, out: Path, name: str, warc: bool = True, warc_records: int = 1000,
              jsonl_records: int = 10_000) -> tuple[list[Path], list[Path]]:
    """Write the n replicas as JSONL files of at most `jsonl_records` records (`<name>-<n>-00000.jsonl`,
    ...: one file stays well under the local engine's 200 MB per-file limit) and, with `warc`, as HTML
    pages in WARC files of at most `warc_records` records. Deterministic: the same arguments write the
    same bytes."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    stories = [json.loads(line) for line in source.read_text(encoding="utf-8").splitlines() if line.strip()]
    out.mkdir(parents=True, exist_ok=True)
    jsonls: list[Path] = []
    warcs: list[Path] = []
    jsonl_fh = warc_fh = None
    writer: Any = None
    try:
        for i, rec in enumerate(replicas(stories, n)):
            if i % jsonl_records == 0:
                if jsonl_fh:
                    jsonl_fh.close()
                jsonls.append(out / f"{name}-{n}-{i // jsonl_records:05d}.jsonl")
                jsonl_fh = jsonls[-1].open("w", encoding="utf-8")
            jsonl_fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
            if not warc:
                continue
            if i % warc_records == 0:
                if warc_fh:
                    warc_fh.close()
                warcs.append(out / f"{name}-{n}-{i // warc_records:05d}.warc.gz")
                warc_fh = warcs[-1].open("wb")
                writer = WARCWriter(warc_fh, gzip=True)
            url = rec.get("url") or f"https://replicated.example/{rec['id']}"
            http = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(
                url, "response", payload=BytesIO(page_html(rec)), http_headers=http,
                warc_headers_dict={"WARC-Date": "2024-01-01T00:00:00Z",
                                   "WARC-Record-ID": f"<urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'{url}#{i}')}>"}))
    finally:
        for fh in (jsonl_fh, warc_fh):
            if fh:
                fh.close()
    return jsonls, warcs


# --- memory of a process tree --------------------------------------------------------------------

def _children_map() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(b")") + 2 :].split()[1])  # the name may hold spaces and parentheses
        children.setdefault(ppid, []).append(int(entry))
    return children


def descendants(root: int) -> list[int]:
    children = _children_map()
    out, stack = [], [root]
    while stack:
        pid = stack.pop()
        out.append(pid)
        stack.extend(children.get(pid, ()))
    return out


def kill_tree(root: int) -> None:
    """SIGKILL a process and everything under it (pool workers, Ray's raylet and workers)."""
    for pid in reversed(descendants(root)):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


_TICK = os.sysconf("SC_CLK_TCK")


def tree_cpu(root: int) -> dict[int, float]:
    """CPU seconds (user + system) used so far by each process of the tree."""
    out = {}
    for pid in descendants(root):
        try:
            with open(f"/proc/{pid}/stat", "rb") as fh:
                fields = fh.read().rsplit(b")", 1)[1].split()
            out[pid] = (int(fields[11]) + int(fields[12])) / _TICK  # utime, stime
        except (OSError, IndexError, ValueError):
            continue
    return out


def tree_memory(root: int) -> tuple[int, int]:
    """(sum of PSS, sum of RSS) in bytes over `root` and all its descendants."""
    pss = rss = 0
    for pid in descendants(root):
        try:
            with open(f"/proc/{pid}/smaps_rollup", "rb") as fh:
                for line in fh:
                    if line.startswith(b"Pss:"):
                        pss += int(line.split()[1]) * 1024
                    elif line.startswith(b"Rss:"):
                        rss += int(line.split()[1]) * 1024
        except OSError:
            continue  # gone, or not ours to read
    return pss, rss


class TreeSampler:
    """Samples a process tree's memory and CPU time in a thread until stopped; keeps the peaks and the
    last CPU time seen of every process (a process's final 0.1 s before it exits can be missed).

    CPU seconds say what a page costs whatever else the machine runs: on a shared machine wall-clock
    pages/s fall with the load, CPU seconds per page much less."""

    def __init__(self, pid: int, interval: float = 0.5, window: float = 10.0) -> None:
        self.pid, self.interval, self.window = pid, interval, window
        self.peak_pss = self.peak_rss = 0
        self.curve: list[tuple[float, int]] = []  # (seconds since start, peak PSS within that window)
        self.cpu: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @property
    def cpu_seconds(self) -> float:
        return sum(self.cpu.values())

    def _run(self) -> None:
        started = time.perf_counter()
        while not self._stop.is_set():
            pss, rss = tree_memory(self.pid)
            self.peak_pss, self.peak_rss = max(self.peak_pss, pss), max(self.peak_rss, rss)
            at = time.perf_counter() - started
            if not self.curve or at >= self.curve[-1][0] + self.window:
                self.curve.append((at, pss))
            else:
                self.curve[-1] = (self.curve[-1][0], max(self.curve[-1][1], pss))
            for pid, seconds in tree_cpu(self.pid).items():
                self.cpu[pid] = max(seconds, self.cpu.get(pid, 0.0))
            # Reading smaps of big processes costs about 20 ms of kernel time per sample for a run's tree
            # of 1.5 GB RSS: every 0.1 s it took 20% of a core from the run being measured (session 10:
            # 8.4 s of a 107 s run); every 0.5 s, then once a second after the first 30 s, is enough for
            # a peak that moves slowly.
            self._stop.wait(self.interval if at < 30 else max(self.interval, 1.0))

    def __enter__(self) -> TreeSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


# --- one configuration, in a child process -------------------------------------------------------

@dataclass
class Config:
    corpus: str  # label, e.g. voa-89, aeb-181, voa-10000-jsonl
    inputs: list[str]
    engine: str  # local1 | local2 | ray | trafilatura
    analyse: bool = True
    workdir: str = ""
    keep: str = ""  # a folder to move the database into when done (deleted otherwise)

    @property
    def name(self) -> str:
        return f"{self.corpus} {self.engine}"


@dataclass
class Result:
    corpus: str
    engine: str
    analyse: bool
    pages: int = 0
    seconds: float = 0.0
    pages_per_s: float = 0.0
    startup_s: float = 0.0  # Ray start-up on this machine, outside `seconds`
    failed: int = 0
    copies: int | None = None
    stage_s: dict[str, float] = field(default_factory=dict)  # summed over documents (worker time)
    cross_s: dict[str, float] = field(default_factory=dict)  # wall seconds of each cross-document stage
    cpu_s: float = 0.0  # CPU seconds of the whole process tree, start-up and imports included
    cpu_ms_per_page: float = 0.0
    peak_pss_mb: float = 0.0
    peak_rss_mb: float = 0.0
    maxrss_mb: float = 0.0  # getrusage: the largest single process (self or waited-for child)
    load_avg: float = 0.0  # the machine's 1-minute load average when the configuration ended
    pss_curve_mb: list[tuple[float, float]] = field(default_factory=list)  # (seconds, peak PSS) every 10 s
    db_mb: float = 0.0
    shards_mb: float = 0.0
    error: str | None = None


def _run_trafilatura(inputs: list[str]) -> dict[str, Any]:
    """trafilatura.extract alone on the same HTML pages, read by the same source readers."""
    import trafilatura

    from tidings.sources import iter_pages

    pages = [p for p in iter_pages(inputs) if p.kind == "html" and p.raw]
    started = time.perf_counter()
    extracted = sum(1 for p in pages if trafilatura.extract(p.raw))
    return {"pages": len(pages), "seconds": time.perf_counter() - started, "extracted": extracted}


def _run_tidings(cfg: Config, db: str) -> dict[str, Any]:
    from tidings.runner import run

    startup = 0.0
    ray = None
    if cfg.engine == "ray":
        from tidings.engines.ray import import_ray, start_ray

        ray = import_ray()
        started = time.perf_counter()
        start_ray(ray, num_cpus=2)
        startup = time.perf_counter() - started
    try:
        workers = {"local1": 1, "local2": 2}.get(cfg.engine, 0)
        summary = run(cfg.inputs, db=db, workers=workers, engine="ray" if ray else "local", analyse=cfg.analyse)
    finally:
        if ray is not None:
            ray.shutdown()
    counts = summary.counts
    return {"pages": counts.seen, "seconds": summary.seconds, "startup_s": startup, "failed": counts.failed,
            "copies": counts.copies, "stage_s": dict(counts.stage_seconds),
            "cross_s": summary.derived.get("seconds") or {}}


def _size(path: Path) -> int:
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return path.stat().st_size if path.exists() else 0


def child(cfg: Config) -> dict[str, Any]:
    import resource

    db = os.path.join(cfg.workdir, f"bench-{uuid.uuid4().hex[:8]}.duckdb")
    try:
        out = _run_trafilatura(cfg.inputs) if cfg.engine == "trafilatura" else _run_tidings(cfg, db)
        out["db_mb"] = _size(Path(db)) / 2**20  # storage: the database (raw pages kept, zlib) ...
        out["shards_mb"] = _size(Path(db + ".shards")) / 2**20  # ... and the Ray engine's Parquet parts
    finally:
        kept = Path(cfg.keep, f"{cfg.corpus}-{cfg.engine}.duckdb") if cfg.keep else None
        for path in (db, db + ".wal"):
            if os.path.exists(path):
                if kept:  # so the cross-document stages of a big store can be measured again in minutes
                    shutil.move(path, str(kept) + path.removeprefix(db))
                else:
                    os.remove(path)
        shutil.rmtree(db + ".shards", ignore_errors=True)
    maxrss = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                 resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    return out | {"maxrss_mb": maxrss / 1024}


def _stored_pages(workdir: Path) -> int:
    """Documents in the databases a killed configuration left behind (what it got done in time)."""
    import duckdb

    total = 0
    for db in workdir.glob("bench-*.duckdb"):
        try:
            with duckdb.connect(str(db), read_only=True) as con:
                total += con.execute("SELECT count(*) FROM documents").fetchone()[0]
        except duckdb.Error:
            continue
        finally:
            for path in (db, Path(f"{db}.wal")):
                path.unlink(missing_ok=True)
    return total


def measure(cfg: Config, timeout: float | None = None) -> Result:
    """Run one configuration in a subprocess, sampling its process tree's memory."""
    result = Result(cfg.corpus, cfg.engine, cfg.analyse)
    proc = subprocess.Popen([sys.executable, "-m", "tidings.bench", "--child", json.dumps(asdict(cfg))],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    with TreeSampler(proc.pid) as sampler:
        try:
            stdout, stderr = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            kill_tree(proc.pid)
            stdout, stderr = proc.communicate()
            stored = _stored_pages(Path(cfg.workdir))
            result.error = f"timed out after {timeout:.0f}s with {stored} documents stored " \
                           f"({stored / (timeout or 1):.1f} pages/s)"
    result.peak_pss_mb, result.peak_rss_mb = sampler.peak_pss / 2**20, sampler.peak_rss / 2**20
    result.cpu_s = sampler.cpu_seconds
    result.pss_curve_mb = [(round(at, 1), round(pss / 2**20, 1)) for at, pss in sampler.curve]
    result.load_avg = os.getloadavg()[0]
    lines = [line for line in stdout.decode(errors="replace").splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        tail = stderr.decode(errors="replace").strip().splitlines() or ["failed without a message"]
        result.error = result.error or tail[-1][:300]
        return result
    for key, value in json.loads(lines[-1]).items():
        if hasattr(result, key):
            setattr(result, key, value)
    result.pages_per_s = result.pages / result.seconds if result.seconds else 0.0
    result.cpu_ms_per_page = 1000 * result.cpu_s / result.pages if result.pages else 0.0
    return result


# --- the benchmark: configurations, table, targets -----------------------------------------------

def _workers(engine: str) -> int:
    return int(engine.removeprefix("local") or 0) if engine.startswith("local") else 0


def plan_configs(corpus: list[str], *, engines: list[str], sizes: list[int], analyse: bool,
                 workdir: Path, only: list[str] | None = None) -> list[Config]:
    bases: list[tuple[str, list[str], bool]] = []  # label, inputs, has HTML pages
    if corpus:
        bases.append(("inputs", corpus, True))
    else:
        if (SHARED / VOA).exists():
            bases.append(("voa-89", [str(SHARED / VOA)], False))
        if (SHARED / AEB).is_dir():
            bases.append(("aeb-181", [str(SHARED / AEB)], True))
    for n in sizes:
        if not (SHARED / VOA).exists():
            raise SystemExit(f"--sizes needs the VOA stories at {SHARED / VOA}")
        want_warc = only is None or f"voa-{n}-warc" in only
        jsonls, warcs = replicate(SHARED / VOA, n, workdir / "corpora", "voa", warc=want_warc)
        bases += [(f"voa-{n}-jsonl", [str(j) for j in jsonls], False),
                  (f"voa-{n}-warc", [str(w) for w in warcs], True)]
    if only is not None:
        bases = [b for b in bases if b[0] in only]
    if not bases:
        raise SystemExit(f"no corpus: give inputs, or put the shared data at {SHARED}")
    configs = []
    for label, inputs, has_html in bases:
        for engine in engines:
            if engine == "trafilatura" and not has_html:
                continue
            configs.append(Config(label, inputs, engine, analyse, str(workdir)))
    return configs


def _share(stage_s: dict[str, float]) -> str:
    total = sum(stage_s.values()) or 1.0
    top = sorted(stage_s.items(), key=lambda kv: -kv[1])[:4]
    return " ".join(f"{name} {100 * s / total:.0f}%" for name, s in top)


def print_table(results: list[Result], header: bool = True) -> None:
    line = (f"{'corpus':20} {'engine':11} {'pages':>7} {'seconds':>8} {'pages/s':>8} {'ray start':>9} "
              f"{'CPU ms/page':>11} {'PSS MB':>7} {'RSS MB':>7} {'failed':>6}  stage share (per-document time)"
            " | then the cross-document stages")
    if header:
        print(line)
        print("-" * len(line))
    for r in results:
        if r.error:
            print(f"{r.corpus:20} {r.engine:11} error: {r.error} (peak PSS {r.peak_pss_mb:.0f} MB, "
                  f"RSS {r.peak_rss_mb:.0f} MB until then)", flush=True)
            continue
        start = f"{r.startup_s:.1f}" if r.engine == "ray" else ""
        print(f"{r.corpus:20} {r.engine:11} {r.pages:7d} {r.seconds:8.1f} {r.pages_per_s:8.1f} {start:>9} "
              f"{r.cpu_ms_per_page:11.1f} {r.peak_pss_mb:7.0f} {r.peak_rss_mb:7.0f} {r.failed:6d}  {_share(r.stage_s)}"
              + (" | then " + ", ".join(f"{name} {s:.1f}s" for name, s in r.cross_s.items()) if r.cross_s else ""),
              flush=True)


def check_targets(results: list[Result]) -> list[str]:
    """The targets on a 2-core machine, each as one line saying whether it was met and by what."""
    lines = []
    ok = [r for r in results if not r.error and r.engine != "trafilatura" and r.pages]
    if not ok:
        return lines
    best = max(ok, key=lambda r: r.pages_per_s)
    analysed = "with the NLP stages" if best.analyse else "WITHOUT the NLP stages (--no-analyse)"
    lines.append(f"throughput >= 40 pages/s {analysed}: best {best.pages_per_s:.1f} ({best.corpus} {best.engine}) "
                 f"-> {'met' if best.pages_per_s >= 40 else 'NOT met'}")
    # Per engine: Ray on one machine holds its own daemons and helper actors, and a model copy per actor.
    for label, group in (("local engine", [r for r in ok if r.engine != "ray"]),
                         ("ray", [r for r in ok if r.engine == "ray"])):
        if group:
            peak = max(group, key=lambda r: r.peak_pss_mb)
            lines.append(f"peak memory <= 1 GB, {label}: highest PSS {peak.peak_pss_mb:.0f} MB "
                         f"({peak.corpus} {peak.engine}) -> {'met' if peak.peak_pss_mb <= 1024 else 'NOT met'}")
    for r in ok:
        if r.engine != "ray":
            continue
        local = next((x for x in ok if x.corpus == r.corpus and x.engine == "local2"), None)
        if local:
            ratio = r.pages_per_s / local.pages_per_s
            lines.append(f"ray within 80% of local2 on {r.corpus}: {100 * ratio:.0f}% "
                         f"-> {'met' if ratio >= 0.8 else 'NOT met'}")
    for engine in {r.engine for r in ok}:
        sized = sorted((r.pages, r.peak_pss_mb) for r in ok if r.engine == engine and "jsonl" in r.corpus)
        if len(sized) >= 2:
            (n0, m0), (n1, m1) = sized[0], sized[-1]
            lines.append(f"memory flat with size, {engine} JSONL: {m0:.0f} MB at {n0} pages, {m1:.0f} MB at {n1} "
                         f"pages ({100 * (m1 - m0) / m0:+.0f}%)")
    for r in ok:
        if len(r.pss_curve_mb) >= 10:  # memory within one long run: flat, or still growing at its end?
            tenths = [max(mb for _, mb in r.pss_curve_mb[i * len(r.pss_curve_mb) // 10:
                                                         (i + 1) * len(r.pss_curve_mb) // 10]) for i in range(10)]
            lines.append(f"peak PSS in each tenth of the run, {r.corpus} {r.engine}: "
                         + " ".join(f"{mb:.0f}" for mb in tenths) + " MB")
    return lines


def analysis_available() -> bool:
    """Whether the NLP stages are plugged into the pipeline (`pipeline.stage_analyse` imports them)."""
    return importlib.util.find_spec("tidings.analyse") is not None


def bench(corpus: list[str], workers: int = 0, analyse: bool = True, replicate: int = 0, *, quick: bool = False,
          engines: list[str] | None = None, sizes: list[int] | None = None, json_out: str | None = None,
          timeout: float | None = None, only: list[str] | None = None, keep: str | None = None) -> list[Result]:
    if engines is None:
        engines = ["local2", "trafilatura"] if quick else list(ENGINES)
        if workers:
            engines = [f"local{workers}"] + [e for e in engines if not e.startswith("local")]
    for engine in engines:
        if engine not in ("ray", "trafilatura") and not (engine.startswith("local") and _workers(engine) > 0):
            raise SystemExit(f"unknown engine {engine!r}: localN (N workers), ray, trafilatura")
    if sizes is None:
        sizes = [replicate] if replicate else ([] if quick else [1000, 10000])
    if analyse and not analysis_available():
        print("tidings bench: the NLP stages (tidings.analyse) are not in this build: measuring without them")
        analyse = False
    workdir = Path(tempfile.mkdtemp(prefix="tidings-bench-"))
    results: list[Result] = []
    try:
        configs = plan_configs(corpus, engines=engines, sizes=sizes, analyse=analyse, workdir=workdir, only=only)
        if keep:
            Path(keep).mkdir(parents=True, exist_ok=True)
            for cfg in configs:
                cfg.keep = str(Path(keep).resolve())
        cores = len(os.sched_getaffinity(0))
        print(f"tidings bench: {len(configs)} configurations, {cores} cores, load average "
              f"{os.getloadavg()[0]:.2f}, analysis {'on' if analyse else 'off'}", flush=True)
        for cfg in configs:
            result = measure(cfg, timeout)
            results.append(result)
            print_table([result], header=len(results) == 1)
        print()
        print_table(results)
        print()
        for line in check_targets(results):
            print(line)
        if json_out:
            Path(json_out).write_text(json.dumps([asdict(r) for r in results], indent=2))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tidings.bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("corpus", nargs="*", help="inputs (default: the VOA stories and AEB pages)")
    parser.add_argument("--quick", action="store_true", help="a run of under a minute: local engine, no replicas")
    parser.add_argument("--engines", help=f"comma-separated, from localN (N workers), ray, trafilatura "
                                          f"(default: {','.join(ENGINES)})")
    parser.add_argument("--sizes", help="comma-separated replica sizes of the VOA stories (default 1000,10000)")
    parser.add_argument("--no-analyse", action="store_true")
    parser.add_argument("--json", help="also write the results to this JSON file")
    parser.add_argument("--timeout", type=float, help="seconds allowed per configuration")
    parser.add_argument("--only", help="comma-separated corpus labels to run (e.g. voa-100000-jsonl,aeb-181)")
    parser.add_argument("--keep", metavar="DIR", help="keep each configuration's database in DIR, named "
                                                      "CORPUS-ENGINE.duckdb (default: deleted)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(Config(**json.loads(args.child)))), flush=True)
        return 0
    bench(args.corpus, analyse=not args.no_analyse, quick=args.quick,
          engines=args.engines.split(",") if args.engines else None,
          sizes=[int(n) for n in args.sizes.split(",") if n] if args.sizes is not None else None,
          json_out=args.json, timeout=args.timeout, only=args.only.split(",") if args.only else None, keep=args.keep)
    return 0


if __name__ == "__main__":
    sys.exit(main())
