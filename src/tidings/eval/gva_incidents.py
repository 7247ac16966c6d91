"""Gun Violence Archive, end to end: local news articles -> incidents (dev: even incident id; test: odd).

Each article goes through the real per-document pipeline (`process_page`, as a JSON-record page with its
publication date) into a temporary DuckDB store; then the cross-document stages run (copies, entities,
`rebuild_events`). Each article is mapped to its main event: the event holding most of the article's reports,
ties to the one reported first in the text (the lead). Reported:

- B³ (and the full CoNLL set) of the article clustering against the gold incident ids, beside two baselines
  from the same run: every article alone, and one cluster per (city, day) of our own main events;
- exact-match accuracy of our main event's date, city, killed and injured against the gold incident (a null
  count is read as 0, as ACLED codes "no deaths reported");
- how many articles got any event at all.

Two bounded samples of incidents with a record and at least two articles:
- `gva_*`: a fixed pseudo-random order (hash of the id), the first `limit` (default 150). Spread over the
  country and four years, two incidents rarely share a city and week, so precision is near 1 by design;
  recall is what this sample measures.
- `gva_dense_*`: the incidents that share their city and month with another such incident (about 70 per
  split; at most `limit`, default 100): shootings in one city weeks or days apart, which is what tests
  merging's precision.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import tempfile
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tidings.eval.coref_metrics import conll

_DIR = Path("events/gva/converted")
DEFAULT_INCIDENTS = 150
DEFAULT_DENSE = 100


@dataclass
class Incident:
    incident_id: str
    day: dt.date
    city: str
    state: str
    killed: int
    injured: int


@dataclass
class Article:
    article_id: str
    incident_id: str
    title: str
    published: str
    url: str
    text: str


def gva_split(data_dir: Path, split: str) -> tuple[Path, int]:
    """The GVA folder and the incident-id parity of a split (dev: even ids, test: odd)."""
    root = Path(data_dir) / _DIR
    if not (root / "docs.jsonl").exists() or not (root / "incidents.jsonl").exists():
        raise FileNotFoundError(f"GVA data absent under {root}")
    if split not in ("dev", "test"):
        raise ValueError("split must be dev or test")
    return root, 0 if split == "dev" else 1


def load_gva(data_dir: Path, split: str, limit: int | None = None,
             dense: bool = False) -> tuple[dict[str, Incident], list[Article]]:
    root, parity = gva_split(data_dir, split)
    incidents: dict[str, Incident] = {}
    for rec in _jsonl(root / "incidents.jsonl"):
        if int(rec["incident_uri"]) % 2 == parity:
            incidents[rec["incident_uri"]] = Incident(
                rec["incident_uri"], dt.datetime.strptime(rec["date"], "%B %d, %Y").date(),
                rec.get("city_or_county") or "", rec.get("state") or "", int(rec.get("num_killed") or 0),
                int(rec.get("num_injured") or 0))
    by_incident: dict[str, list[Article]] = defaultdict(list)
    for doc in _jsonl(root / "docs.jsonl"):
        iid = str(doc.get("incident_id", ""))
        if iid in incidents and doc.get("content") and doc.get("dct"):
            by_incident[iid].append(Article(doc["id"], iid, doc.get("title") or "", doc["dct"][:10],
                                            doc.get("uri") or "", doc["content"]))
    usable = [i for i, arts in by_incident.items() if len(arts) >= 2]
    if dense:
        def month(i: str) -> tuple[str, str, int, int]:
            inc = incidents[i]
            return inc.state, inc.city, inc.day.year, inc.day.month

        per_month = Counter(month(i) for i in usable)
        chosen = sorted((i for i in usable if per_month[month(i)] >= 2), key=lambda i: (month(i), incidents[i].day, i))
        chosen = chosen[: limit or DEFAULT_DENSE]
    else:
        chosen = sorted(usable, key=lambda i: hashlib.sha256(i.encode()).hexdigest())[: limit or DEFAULT_INCIDENTS]
    articles = [a for i in sorted(chosen) for a in sorted(by_incident[i], key=lambda a: a.article_id)]
    # An article linked to two incidents (a roundup of two shootings) has no single gold cluster: left out.
    seen = Counter(a.article_id for a in articles)
    articles = [a for a in articles if seen[a.article_id] == 1]
    return {i: incidents[i] for i in chosen}, articles


def _jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def build_store(articles: list[Article], db_path: Path) -> dict[str, str]:
    """Run the pipeline on every article into a fresh store; returns doc_id -> article id."""
    from tidings.crossdoc import rebuild_derived
    from tidings.pipeline import Context, process_page
    from tidings.records import RawPage
    from tidings.store.db import Store

    ctx = Context()
    doc_of: dict[str, str] = {}
    with Store.open(db_path) as store:
        batch = []
        for a in articles:
            record = {"id": a.article_id, "title": a.title, "published": a.published, "url": a.url, "text": a.text}
            page = RawPage(source=f"gva#{a.article_id}", raw=json.dumps(record, sort_keys=True).encode(),
                           kind="record-text", url=a.url,
                           hints={"title": a.title, "published": a.published, "body": a.text})
            doc = process_page(page, ctx)
            doc_of[doc.doc_id] = a.article_id
            batch.append(doc)
            if len(batch) >= 50:
                store.write_documents(batch, run_id="gva-eval")
                batch = []
        store.write_documents(batch, run_id="gva-eval")
        rebuild_derived(store, ctx, force=True)
    return doc_of


def main_events(store: Any) -> dict[str, dict[str, Any]]:
    """doc_id -> its main event row (most of its reports; ties to the earliest in the text)."""
    rows = store.rows("SELECT s.doc_id, s.event_id, count(*) AS n, min(s.start) AS first FROM event_sources s "
                      "GROUP BY s.doc_id, s.event_id")
    best: dict[str, tuple[int, int, str]] = {}
    for r in rows:
        key = (-r["n"], r["first"], r["event_id"])
        if r["doc_id"] not in best or key < best[r["doc_id"]]:
            best[r["doc_id"]] = key
    events = {e["event_id"]: e for e in store.rows("SELECT * FROM events")}
    return {doc: events[k[2]] for doc, k in best.items()}


def _same_city(ours: str | None, gold: str) -> bool:
    if not ours:
        return False
    g = gold.lower().replace(" (county)", "").replace(" county", "").strip()
    return ours.lower().strip() == g


def score(incidents: dict[str, Incident], articles: list[Article], doc_of: dict[str, str],
          main: dict[str, dict[str, Any]], prefix: str = "gva") -> dict[str, Any]:
    article_doc = {a: d for d, a in doc_of.items()}
    gold: dict[str, set[str]] = defaultdict(set)
    ours: dict[str, set[str]] = defaultdict(set)
    city_day: dict[Any, set[str]] = defaultdict(set)
    hits: Counter[str] = Counter()
    for a in articles:
        gold[a.incident_id].add(a.article_id)
        ev = main.get(article_doc[a.article_id])
        ours[ev["event_id"] if ev else "none:" + a.article_id].add(a.article_id)
        if ev and ev.get("location") and ev.get("event_date"):
            city_day[(ev["location"], ev["event_date"])].add(a.article_id)
        else:
            city_day["none:" + a.article_id].add(a.article_id)
        if ev is None:
            continue
        inc = incidents[a.incident_id]
        hits["with_event"] += 1
        hits["date"] += ev.get("event_date") == inc.day
        hits["city"] += _same_city(ev.get("location"), inc.city)
        hits["killed"] += (ev.get("fatalities") or 0) == inc.killed
        hits["injured"] += (ev.get("injuries") or 0) == inc.injured
    n = len(articles)
    out: dict[str, Any] = {f"{prefix}_incidents": len(incidents), f"{prefix}_articles": n,
                           f"{prefix}_articles_with_event": round(hits["with_event"] / n, 4)}
    for name, response in (("tidings", ours), ("singletons", None), ("city_day", city_day)):
        clusters = list(response.values()) if response is not None else [{a.article_id} for a in articles]
        scores = conll(list(gold.values()), clusters)
        out.update({f"{prefix}_{name}_{k}": round(v, 4) for k, v in scores.items()
                    if k.startswith(("b3", "conll"))})
    out[f"{prefix}_tidings_clusters"] = len(ours)
    for field in ("date", "city", "killed", "injured"):
        out[f"{prefix}_{field}_accuracy"] = round(hits[field] / n, 4)
    return out


def run_sample(data_dir: Path, split: str, limit: int | None, dense: bool) -> dict[str, Any]:
    from tidings.store.db import Store

    incidents, articles = load_gva(data_dir, split, limit, dense=dense)
    if not articles:
        raise FileNotFoundError("no GVA articles in this split")
    with tempfile.TemporaryDirectory(prefix="tidings-gva-") as tmp:
        db = Path(tmp) / "gva.duckdb"
        doc_of = build_store(articles, db)
        with Store.open(db, read_only=True) as store:
            main = main_events(store)
    return score(incidents, articles, doc_of, main, prefix="gva_dense" if dense else "gva")


def run(data_dir: Path, split: str = "dev", limit: int | None = None) -> dict[str, Any]:
    return run_sample(data_dir, split, limit, dense=False) | run_sample(data_dir, split, limit, dense=True)
