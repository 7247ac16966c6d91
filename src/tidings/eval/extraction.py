"""Extraction benchmarks: body text and metadata from real HTML, tidings beside trafilatura alone.

Sub-benchmarks (all read from `data_dir`, never copied):
  aeb         web/scrapinghub-aeb: the benchmark's own 4-gram shingle P/R/F1 (all pages are test)
  trafilatura web/trafilatura-eval: must-include / must-exclude snippets, as trafilatura scores
              itself, plus title/author/date accuracy (dev: file names in the first sorted half)
  fundus      web/fundus: title/author/date accuracy and body shingle F1 (dev: publishers A-M)
  htmldate    web/htmldate: day accuracy of the publication date vs htmldate alone (first 500: dev)
  text        the plain-text cleaner on scraped page text (trafilatura-eval and fundus pages
              flattened to text): snippet P/R/F1 and body shingle F1 of `clean_text` vs keeping
              the whole text
"""

from __future__ import annotations

import gzip
import json
import re
import statistics
import tarfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from tidings.clean.html import extract_html
from tidings.clean.text import clean_text

BENCHMARKS = ("aeb", "trafilatura", "fundus", "htmldate", "text")
_TOKEN = re.compile(r"\w+", re.UNICODE)
_HTML_LANG = re.compile(r"""<html[^>]{0,500}?\blang\s*=\s*["']?([a-zA-Z]{2})\b""", re.I)
_META_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([\w:.-]+)""", re.I)


# ---------------------------------------------------------------- shared helpers


def decode_html(data: bytes) -> str:
    """Bytes -> str the way a careful fetcher would: BOM, valid UTF-8, declared charset, then detection.

    A stand-in for the pipeline's own decoder so the benchmarks see non-UTF-8 pages as text.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    try:
        # Valid UTF-8 with non-ASCII bytes is UTF-8 whatever the page declares (stale meta charsets).
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    m = _META_CHARSET.search(data[:20_000])
    if m:
        name = m.group(1).decode("ascii", "ignore").lower()
        name = {"win-1251": "cp1251", "windows-1251": "cp1251", "x-cp1251": "cp1251"}.get(name, name)
        try:
            return data.decode(name)
        except (LookupError, UnicodeDecodeError):
            pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    return str(best) if best is not None else data.decode("utf-8", errors="replace")


def _shingles(text: str, n: int = 4) -> Counter[tuple[str, ...]]:
    tokens = _TOKEN.findall(text or "")
    return Counter(tuple(tokens[i: i + n]) for i in range(max(1, len(tokens) - n + 1)) if tokens[i: i + n])


def shingle_tp_fp_fn(true: str, pred: str) -> tuple[float, float, float]:
    """Scrapinghub AEB's matching: 4-gram shingle counts, normalised so each page weighs the same."""
    t, p = _shingles(true), _shingles(pred)
    tp = float(sum((t & p).values()))
    fp = float(sum((p - t).values()))
    fn = float(sum((t - p).values()))
    s = tp + fp + fn
    return (tp / s, fp / s, fn / s) if s else (0.0, 0.0, 0.0)


def aeb_metrics(rows: list[tuple[float, float, float]]) -> dict[str, float]:
    """Mean per-page precision and recall (pages with no prediction / no gold left out), F1 of means."""

    def prec(tp: float, fp: float, fn: float) -> float:
        return 1.0 if fp == fn == 0 else 0.0 if tp == fp == 0 else tp / (tp + fp)

    def rec(tp: float, fp: float, fn: float) -> float:
        return 1.0 if fp == fn == 0 else 0.0 if tp == fn == 0 else tp / (tp + fn)

    ps = [prec(*r) for r in rows if r[0] + r[1] > 0]
    rs = [rec(*r) for r in rows if r[0] + r[2] > 0]
    p = statistics.mean(ps) if ps else 0.0
    r = statistics.mean(rs) if rs else 0.0
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0}


def _norm(text: str | None) -> str:
    return re.sub(r"\s+", " ", text or "").strip()


def _title_match(gold: str, pred: str | None) -> bool:
    return _norm(gold).casefold().strip(" .") == _norm(pred).casefold().strip(" .")


def _author_set(value: str | list[str] | None) -> set[str]:
    if isinstance(value, list):
        value = ";".join(value)
    parts = re.split(r"\s*(?:;|,|\band\b|\bund\b|&|\|)\s*", value or "")
    return {re.sub(r"\W+", " ", p).strip().casefold() for p in parts if p.strip()}


def _author_match(gold: str | list[str], pred: str | None) -> bool:
    g, p = _author_set(gold), _author_set(pred)
    return bool(g) and g == p


class _Timer:
    def __init__(self) -> None:
        self.seconds: dict[str, float] = Counter()

    def __call__(self, name: str, fn: Callable[..., Any], *args: Any) -> Any:
        start = time.perf_counter()
        try:
            return fn(*args)
        finally:
            self.seconds[name] += time.perf_counter() - start


def _trafilatura_text(html: str) -> str:
    import trafilatura

    return trafilatura.extract(html, include_comments=False) or ""


def _trafilatura_meta(html: str) -> Any:
    import trafilatura

    return trafilatura.bare_extraction(html, include_comments=False, with_metadata=True)


def _warm_up() -> None:
    """Pay lazy imports and model loads (htmldate, dateparser, langid) before anything is timed."""
    page = "<html><head><title>t</title></head><body><article><p>" + "Warm-up sentence number one. " * 20
    page += "</p><p>Published: 2023-11-20</p></article></body></html>"
    extract_html(page)
    _trafilatura_meta(page)
    _trafilatura_text(page)


# ---------------------------------------------------------------- aeb


def run_aeb(data_dir: Path, split: str, limit: int | None) -> dict[str, float]:
    root = data_dir / "web" / "scrapinghub-aeb"
    gold = json.loads((root / "ground-truth.json").read_text(encoding="utf-8"))
    if split != "test":
        return {}  # all 181 pages are the test set: nothing to tune on
    keys = sorted(gold)[:limit] if limit else sorted(gold)
    timer = _Timer()
    ours: list[tuple[float, float, float]] = []
    base: list[tuple[float, float, float]] = []
    for key in keys:
        with gzip.open(root / "html" / f"{key}.html.gz", "rt", encoding="utf8") as f:
            html = f.read()
        true = gold[key].get("articleBody", "")
        ours.append(shingle_tp_fp_fn(true, timer("tidings", extract_html, html).text))
        base.append(shingle_tp_fp_fn(true, timer("trafilatura", _trafilatura_text, html)))
    out: dict[str, float] = {"aeb_pages": float(len(keys))}
    for name, rows in (("tidings", ours), ("trafilatura", base)):
        for k, v in aeb_metrics(rows).items():
            out[f"aeb_{name}_{k}"] = round(v, 4)
        out[f"aeb_{name}_pages_per_s"] = round(len(keys) / max(timer.seconds[name], 1e-9), 2)
    return out


# ---------------------------------------------------------------- trafilatura-eval


def _tar_members(path: Path, wanted: set[str]) -> Iterator[tuple[str, bytes]]:
    with tarfile.open(path, "r:xz") as tar:
        for member in tar:
            name = member.name.rsplit("/", 1)[-1]
            if member.isfile() and name in wanted:
                fh = tar.extractfile(member)
                if fh is not None:
                    yield member.name, fh.read()


def _trafilatura_items(data_dir: Path, split: str, limit: int | None) -> tuple[list[dict[str, Any]], dict[str, bytes]]:
    root = data_dir / "web" / "trafilatura-eval"
    evaldata = json.loads((root / "tests" / "evaldata.json").read_text(encoding="utf-8"))
    items = sorted(({**v, "url": k} for k, v in evaldata.items()), key=lambda v: v["file"])
    half = len(items) // 2
    items = items[:half] if split == "dev" else items[half:]
    if limit:
        items = items[:limit]
    wanted = {v["file"] for v in items}
    pages: dict[str, bytes] = {}
    for name, data in _tar_members(root / "html_pages.tar.xz", wanted):
        short = name.rsplit("/", 1)[-1]
        # trafilatura's resolve() prefers tests/cache over tests/eval
        if short not in pages or "/cache/" in name:
            pages[short] = data
    return items, pages


def _snippet_counts(item: dict[str, Any], result: str) -> tuple[int, int, int, int]:
    res = _norm(result)
    tp = sum(1 for w in item["with"] if _norm(w) in res)
    fp = sum(1 for w in item["without"] if _norm(w) in res)
    return tp, fp, len(item["with"]) - tp, len(item["without"]) - fp


def _prf(counts: list[int], prefix: str) -> dict[str, float]:
    tp, fp, fn, _tn = counts
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0
    return {f"{prefix}_precision": round(p, 4), f"{prefix}_recall": round(r, 4), f"{prefix}_f1": round(f, 4)}


def run_trafilatura(data_dir: Path, split: str, limit: int | None) -> dict[str, float]:
    items, pages = _trafilatura_items(data_dir, split, limit)
    timer = _Timer()
    totals = {"tidings": [0, 0, 0, 0], "trafilatura": [0, 0, 0, 0]}
    meta_hits: Counter[str] = Counter()
    meta_n: Counter[str] = Counter()
    for item in items:
        if item["file"] not in pages:
            continue
        html = decode_html(pages[item["file"]])
        ours = timer("tidings", extract_html, html, item["url"])
        base = timer("trafilatura", _trafilatura_meta, html)
        base_text = (getattr(base, "text", None) or "") if base is not None else ""
        for name, text in (("tidings", ours.text), ("trafilatura", base_text)):
            totals[name] = [a + b for a, b in zip(totals[name], _snippet_counts(item, text), strict=True)]
        for field, gold in (("title", item.get("title")), ("author", item.get("author")), ("date", item.get("date"))):
            if not gold:
                continue
            meta_n[field] += 1
            b = getattr(base, field, None) if base is not None else None
            if field == "title":
                meta_hits["tidings_title"] += _title_match(gold, ours.title)
                meta_hits["trafilatura_title"] += _title_match(gold, b)
            elif field == "author":
                meta_hits["tidings_author"] += _author_match(gold, ours.author)
                meta_hits["trafilatura_author"] += _author_match(gold, b)
            else:
                meta_hits["tidings_date"] += (ours.published or "")[:10] == gold
                meta_hits["trafilatura_date"] += (b or "")[:10] == gold
    n = sum(1 for i in items if i["file"] in pages)
    out: dict[str, float] = {"traf_pages": float(n)}
    for name in ("tidings", "trafilatura"):
        out.update(_prf(totals[name], f"traf_{name}"))
        out[f"traf_{name}_pages_per_s"] = round(n / max(timer.seconds[name], 1e-9), 2)
        for field in ("title", "author", "date"):
            out[f"traf_{name}_{field}_acc"] = round(meta_hits[f"{name}_{field}"] / max(1, meta_n[field]), 4)
    for field in ("title", "author", "date"):
        out[f"traf_{field}_gold_n"] = float(meta_n[field])
    return out


# ---------------------------------------------------------------- fundus


def _fundus_pages(data_dir: Path, split: str, limit: int | None) -> list[dict[str, Any]]:
    root = data_dir / "web" / "fundus" / "tests" / "resources" / "parser" / "test_data"
    pages: list[dict[str, Any]] = []
    for country in sorted(p for p in root.iterdir() if p.is_dir()):
        info_path = country / "meta.info"
        info = json.loads(info_path.read_text(encoding="utf-8")) if info_path.exists() else {}
        for gold_path in sorted(country.glob("*.json")):
            publisher = gold_path.stem
            dev = publisher[:1].upper() <= "M"
            if (split == "dev") != dev:
                continue
            gold = json.loads(gold_path.read_text(encoding="utf-8"))
            htmls = sorted(country.glob(f"{publisher}_*.html.gz"),
                           key=lambda p: info.get(p.name, {}).get("crawl_date", p.name))
            htmls = [p for p in htmls if re.fullmatch(re.escape(publisher) + r"_\d{4}_\d{2}_\d{2}", p.name[:-8])]
            versions = sorted(gold)
            if len(versions) != len(htmls):
                continue
            for html_path, version in zip(htmls, versions, strict=True):
                pages.append({"path": html_path, "gold": gold[version], "country": country.name,
                              "url": info.get(html_path.name, {}).get("url")})
    return pages[:limit] if limit else pages


def _fundus_body(gold: dict[str, Any]) -> str:
    body = gold.get("body") or {}
    parts = list(body.get("summary") or [])
    for section in body.get("sections") or []:
        parts += list(section.get("headline") or []) + list(section.get("paragraphs") or [])
    return "\n".join(parts)


def _same_instant(gold: str, pred: str | None) -> bool:
    if not pred:
        return False
    try:
        g = datetime.fromisoformat(gold)
        p = datetime.fromisoformat(pred)
    except ValueError:
        return False
    if g.tzinfo is None or p.tzinfo is None:
        return False
    return g == p


def run_fundus(data_dir: Path, split: str, limit: int | None) -> dict[str, float]:
    pages = _fundus_pages(data_dir, split, limit)
    timer = _Timer()
    rows: dict[str, list[tuple[float, float, float]]] = {"tidings": [], "trafilatura": []}
    hits: Counter[str] = Counter()
    n: Counter[str] = Counter()
    for page in pages:
        html = decode_html(gzip.decompress(page["path"].read_bytes()))
        gold = page["gold"]
        ours = timer("tidings", extract_html, html, page["url"])
        base = timer("trafilatura", _trafilatura_meta, html)
        base_text = (getattr(base, "text", None) or "") if base is not None else ""
        true = _fundus_body(gold)
        if true:
            rows["tidings"].append(shingle_tp_fp_fn(true, ours.text))
            rows["trafilatura"].append(shingle_tp_fp_fn(true, base_text))
        b_title = getattr(base, "title", None) if base is not None else None
        b_author = getattr(base, "author", None) if base is not None else None
        b_date = getattr(base, "date", None) if base is not None else None
        if gold.get("title"):
            n["title"] += 1
            hits["tidings_title"] += _title_match(gold["title"], ours.title)
            hits["trafilatura_title"] += _title_match(gold["title"], b_title)
        if gold.get("authors"):
            n["author"] += 1
            hits["tidings_author"] += _author_match(gold["authors"], ours.author)
            hits["trafilatura_author"] += _author_match(gold["authors"], b_author)
        if gold.get("publishing_date"):
            n["date"] += 1
            day = gold["publishing_date"][:10]
            hits["tidings_date"] += (ours.published or "")[:10] == day
            hits["trafilatura_date"] += (b_date or "")[:10] == day
            hits["tidings_datetime"] += _same_instant(gold["publishing_date"], ours.published)
        # Language gold: the page's own <html lang>. (The country is no gold: ua/Pravda is the
        # Russian-language edition of Ukrainska Pravda.)
        declared = _HTML_LANG.search(html[:5000])
        if declared:
            n["language"] += 1
            hits["tidings_language"] += ours.language == declared.group(1).lower()
            if declared.group(1).lower() in ("ru", "uk"):
                n["cyrillic"] += 1
                hits["tidings_cyrillic"] += ours.language == declared.group(1).lower()
    out: dict[str, float] = {"fundus_pages": float(len(pages))}
    for name in ("tidings", "trafilatura"):
        for k, v in aeb_metrics(rows[name]).items():
            out[f"fundus_{name}_body_{k}"] = round(v, 4)
        for field in ("title", "author", "date"):
            out[f"fundus_{name}_{field}_acc"] = round(hits[f"{name}_{field}"] / max(1, n[field]), 4)
        out[f"fundus_{name}_pages_per_s"] = round(len(pages) / max(timer.seconds[name], 1e-9), 2)
    out["fundus_tidings_datetime_tz_acc"] = round(hits["tidings_datetime"] / max(1, n["date"]), 4)
    out["fundus_language_declared_n"] = float(n["language"])
    out["fundus_tidings_language_vs_declared_acc"] = round(hits["tidings_language"] / max(1, n["language"]), 4)
    if n["cyrillic"]:
        out["fundus_ru_uk_pages"] = float(n["cyrillic"])
        out["fundus_tidings_ru_uk_language_acc"] = round(hits["tidings_cyrillic"] / n["cyrillic"], 4)
    return out


# ---------------------------------------------------------------- htmldate


def run_htmldate(data_dir: Path, split: str, limit: int | None) -> dict[str, float]:
    from htmldate import find_date

    root = data_dir / "web" / "htmldate"
    entries = list(json.loads((root / "tests" / "eval_default.json").read_text(encoding="utf-8")).items())
    entries += list(json.loads((root / "tests" / "eval_mediacloud_2020.json").read_text(encoding="utf-8")).items())
    entries = entries[:500] if split == "dev" else entries[500:]
    if limit:
        entries = entries[:limit]
    wanted = {v["file"] for _, v in entries}
    pages: dict[str, bytes] = dict((n.rsplit("/", 1)[-1], d) for n, d in _tar_members(root / "html_pages_unique.tar.xz", wanted))
    traf = data_dir / "web" / "trafilatura-eval" / "html_pages.tar.xz"
    missing = wanted - set(pages)
    if missing and traf.exists():
        for name, data in _tar_members(traf, missing):
            if "/eval/" in name:
                pages[name.rsplit("/", 1)[-1]] = data
    timer = _Timer()
    hits: Counter[str] = Counter()
    n = 0
    for url, item in entries:
        if item["file"] not in pages:
            continue
        n += 1
        html = decode_html(pages[item["file"]])
        ours = timer("tidings", extract_html, html, url)
        base = timer("htmldate", lambda h, u=url: find_date(h, url=u, original_date=True), html)
        hits["tidings"] += (ours.published or "")[:10] == item["date"]
        hits["htmldate"] += (base or "")[:10] == item["date"]
        hits["tidings_null"] += ours.published is None
    return {
        "htmldate_pages": float(n),
        "htmldate_tidings_date_acc": round(hits["tidings"] / max(1, n), 4),
        "htmldate_htmldate_date_acc": round(hits["htmldate"] / max(1, n), 4),
        "htmldate_tidings_null_rate": round(hits["tidings_null"] / max(1, n), 4),
    }


# ---------------------------------------------------------------- plain-text cleaner


def page_text(html: str) -> str:
    """A page flattened to text as a naive scraper would: every block on its own line."""
    from lxml import html as lhtml

    tree = lhtml.fromstring(html)
    for bad in tree.xpath("//script|//style|//noscript|//template|//svg"):
        bad.drop_tree()
    blocks = "p|div|li|h1|h2|h3|h4|h5|h6|br|tr|section|article|header|footer|nav|aside|blockquote|figcaption|ul|ol|table"
    for node in tree.iter(*blocks.split("|")):
        node.tail = "\n" + (node.tail or "")
        if node.text is not None or len(node):
            node.text = "\n" + (node.text or "")
    return "\n".join(ln.strip() for ln in tree.text_content().split("\n") if ln.strip())


def run_text(data_dir: Path, split: str, limit: int | None) -> dict[str, float]:
    items, pages = _trafilatura_items(data_dir, split, limit)
    totals = {"tidings": [0, 0, 0, 0], "everything": [0, 0, 0, 0]}
    seconds = 0.0
    n = 0
    for item in items:
        if item["file"] not in pages:
            continue
        try:
            raw = page_text(decode_html(pages[item["file"]]))
        except Exception:
            continue
        n += 1
        start = time.perf_counter()
        cleaned = clean_text(raw)
        seconds += time.perf_counter() - start
        for name, text in (("tidings", cleaned.text), ("everything", raw)):
            totals[name] = [a + b for a, b in zip(totals[name], _snippet_counts(item, text), strict=True)]
    out: dict[str, float] = {"text_pages": float(n), "text_tidings_pages_per_s": round(n / max(seconds, 1e-9), 2)}
    for name in totals:
        out.update(_prf(totals[name], f"text_{name}"))
    # the same on fundus pages, scored as body shingle F1 against the structured gold
    rows: dict[str, list[tuple[float, float, float]]] = {"tidings": [], "everything": []}
    for page in _fundus_pages(data_dir, split, limit):
        true = _fundus_body(page["gold"])
        try:
            raw = page_text(decode_html(gzip.decompress(page["path"].read_bytes())))
        except Exception:
            continue
        if true:
            rows["tidings"].append(shingle_tp_fp_fn(true, clean_text(raw).text))
            rows["everything"].append(shingle_tp_fp_fn(true, raw))
    for name, r in rows.items():
        for k, v in aeb_metrics(r).items():
            out[f"text_fundus_{name}_body_{k}"] = round(v, 4)
    return out


_RUNNERS: dict[str, Callable[[Path, str, int | None], dict[str, float]]] = {
    "aeb": run_aeb,
    "trafilatura": run_trafilatura,
    "fundus": run_fundus,
    "htmldate": run_htmldate,
    "text": run_text,
}


def run(data_dir: Path, split: str = "dev", limit: int | None = None,
        benchmarks: list[str] | None = None) -> dict[str, float]:
    """Run the selected sub-benchmarks (all by default) and return one flat dict of metrics."""
    data_dir = Path(data_dir)
    if not (data_dir / "web").is_dir():
        raise FileNotFoundError(f"no web extraction data under {data_dir}")
    _warm_up()
    out: dict[str, float] = {}
    for name in benchmarks or BENCHMARKS:
        if name not in _RUNNERS:
            raise ValueError(f"unknown extraction benchmark {name!r}; choose from {', '.join(BENCHMARKS)}")
        try:
            out.update(_RUNNERS[name](data_dir, split, limit))
        except FileNotFoundError:
            if benchmarks:
                raise
    return out


def _main() -> None:
    import argparse
    import os

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("benchmarks", nargs="*", choices=[*BENCHMARKS, []], default=None)
    parser.add_argument("--split", default="dev")
    parser.add_argument("--limit", type=int)
    parser.add_argument("--data-dir", default=os.environ.get("TIDINGS_SHARED_DATA", "/work/shared/data"))
    args = parser.parse_args()
    result = run(Path(args.data_dir), args.split, args.limit, args.benchmarks or None)
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    _main()
