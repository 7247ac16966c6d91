"""Time the cross-document stages (copies, entities, incidents) on an analysed store of N pages, without
running the NLP on N pages.

The first --base replicated VOA pages (as `tidings bench --sizes` replicates them) are analysed once; they
are then written N / base times into a fresh store with new ids, publication dates shifted by -400..400
days (report dates read from the publication move with it; dates written in the text stay, as in the
replicated corpus) and no copy fingerprints on the repeats (the replicated corpus's varied texts are not
copies). Unlike that corpus, a repeat's text is not varied: its sentences and claims are word for word
the base page's. Prints the seconds of each stage and the peak RSS of the process that ran them
(a new one, without the models).

Run: .venv/bin/python scripts/bench_crossdoc.py 100000 --db /tmp/cross-100000.duckdb
"""

from __future__ import annotations

import argparse
import copy
import json
import random
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

from tidings.bench import SHARED, VOA, replicas
from tidings.crossdoc import rebuild_derived
from tidings.engines.local import chunks
from tidings.limits import DEFAULT_LIMITS
from tidings.pipeline import Context, process_pages
from tidings.records import Document, RawPage, content_id
from tidings.sources.records import read_lines
from tidings.store.db import Store


def rss_mb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) // 1024
    return 0


class PeakRss:
    """This process's peak RSS, sampled every 10 ms (ru_maxrss cannot be reset between stages)."""

    def __init__(self) -> None:
        self.peak = 0
        threading.Thread(target=self._sample, daemon=True).start()

    def _sample(self) -> None:
        while True:
            self.peak = max(self.peak, rss_mb())
            time.sleep(0.01)


def analysed_base(n: int) -> list[Document]:
    stories = [json.loads(line) for line in (SHARED / VOA).read_text().splitlines() if line.strip()]

    def pages() -> Iterator[RawPage]:
        for i, rec in enumerate(replicas(stories, n)):
            yield from read_lines("base.jsonl", [json.dumps(rec).encode()], i, DEFAULT_LIMITS)

    ctx = Context(analyse=True)
    return [doc for chunk in chunks(pages()) for doc in process_pages(chunk, ctx)]


def repeat(doc: Document, rep: int, shift: int) -> Document:
    """The document as another page: new ids throughout, the publication and dates read from it shifted."""
    def new_id(old: str) -> str:
        return content_id(f"{old}|{rep}".encode())

    out = copy.copy(doc)
    out.doc_id, out.text_hash, out.minhash = new_id(doc.doc_id), new_id(doc.text_hash or ""), None
    out.source = f"repeat-{rep}.jsonl#{out.doc_id}"
    if doc.published:
        out.published = (datetime.fromisoformat(doc.published) + timedelta(days=shift)).isoformat()
    out.mentions = list(doc.mentions)
    out.reports = []
    for r in doc.reports:
        r2 = copy.copy(r)
        r2.doc_id, r2.report_id, r2.fields = out.doc_id, new_id(r.report_id), copy.deepcopy(r.fields)
        when = r2.fields.get("date") or {}
        if when.get("value") and when.get("from") == "publication":
            when["value"] = (date.fromisoformat(when["value"]) + timedelta(days=shift)).isoformat()
        out.reports.append(r2)
    out.claims = []
    for c in doc.claims:
        c2 = copy.copy(c)
        c2.doc_id, c2.claim_id = out.doc_id, new_id(c.claim_id)
        c2.report_id = new_id(c.report_id) if c.report_id else None
        out.claims.append(c2)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("n", type=int, help="pages in the store (a multiple of --base)")
    parser.add_argument("--db", type=Path, required=True, help="the store to write (replaced)")
    parser.add_argument("--base", type=int, default=1000, help="pages analysed (default 1000)")
    parser.add_argument("--stages-only", action="store_true", help="only time the stages on the store as it is")
    args = parser.parse_args(argv)
    if args.stages_only:
        return time_stages(args.db)
    if not (SHARED / VOA).exists():
        raise SystemExit(f"needs the VOA stories at {SHARED / VOA}")
    started = time.perf_counter()
    base = analysed_base(args.base)
    print(f"analysed {len(base)} pages in {time.perf_counter() - started:.0f} s", flush=True)
    for path in (args.db, Path(f"{args.db}.wal")):
        path.unlink(missing_ok=True)
    rng = random.Random(1)
    started = time.perf_counter()
    with Store.open(str(args.db)) as store:
        with store.streaming_writes():
            for rep in range(args.n // len(base)):
                docs = [repeat(d, rep, rng.randint(-400, 400)) if rep else d for d in base]
                for i in range(0, len(docs), 64):
                    store.write_documents(docs[i : i + 64], "bench-crossdoc")
        print(f"wrote {args.n // len(base) * len(base)} pages in {time.perf_counter() - started:.0f} s", flush=True)
    # Timed in a new process, which holds none of the models the analysis loaded.
    return subprocess.run([sys.executable, __file__, str(args.n), "--db", str(args.db), "--stages-only"]).returncode


def time_stages(db: Path) -> int:
    with Store.open(str(db)) as store:
        peak = PeakRss()
        before = rss_mb()
        started = time.perf_counter()
        results = rebuild_derived(store, Context(analyse=True), force=True)
        seconds = results.pop("seconds")
        assert isinstance(seconds, dict)
        print("cross-document stages:", ", ".join(f"{k} {v:.1f} s" for k, v in seconds.items()),
              f"(total {time.perf_counter() - started:.1f} s); RSS {before} MB before, peak {peak.peak} MB;",
              ", ".join(f"{k} {v}" for k, v in results.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
