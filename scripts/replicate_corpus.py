"""Replicate a JSONL corpus (such as the 89 VOA stories) to N distinct pages for throughput benchmarks.

Each copy gets its own id, url and publication date, and about one word in eight changed (news synonyms,
shifted numbers, a hedge word inserted), which brings the estimated Jaccard of 5-word shingles between
copies well under the 0.6 at which `tidings` calls two texts copies: the copies are stored and analysed
as distinct documents, the way a large crawl would be. Deterministic: the same arguments write the same
bytes.

Writes `<out>/<name>-<N>.jsonl` and, unless --no-warc, the same pages as HTML responses in WARC files of
at most --warc-records records each (`<name>-<N>-00000.warc.gz`, ...): big crawls come as many WARC files.

Run: .venv/bin/python scripts/replicate_corpus.py ../shared/data/news/voa/voa_stories.jsonl 10000 --out /tmp/bench
"""

from __future__ import annotations

import argparse
import html
import json
import random
import re
import sys
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from io import BytesIO
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

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
_TABLE = {w: alts for group in SYNONYMS for w, alts in [(group[0], group[1:])]}
_TOKEN = re.compile(r"\w+|\W+")


def vary_text(text: str, rng: random.Random, rate: float = 0.125) -> str:
    """Change about `rate` of the words: a synonym where one is known, else a shifted number or a hedge
    word inserted, so 5-word shingles differ from every other copy's."""
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


def _published(value: str | None, shift_days: int, shift_minutes: int) -> str:
    try:
        base = datetime.fromisoformat((value or "").replace("Z", "+00:00"))
    except ValueError:
        base = datetime.fromisoformat("2024-01-01T00:00:00+00:00")
    return (base + timedelta(days=shift_days, minutes=shift_minutes)).isoformat()


def replicas(stories: list[dict], n: int, seed: int = 20240101) -> Iterator[dict]:
    rng = random.Random(seed)
    for i in range(n):
        story = stories[i % len(stories)]
        copy = i // len(stories)
        rec = dict(story)
        rec["id"] = f"{story.get('id', i)}-r{copy:05d}"
        if copy:  # copy 0 is the story itself
            rec["text"] = vary_text(story["text"], rng)
            rec["published"] = _published(story.get("published"), rng.randint(-400, 400), rng.randint(0, 1439))
            if story.get("url"):
                rec["url"] = re.sub(r"(\.html)?$", f"-r{copy:05d}\\1", story["url"], count=1)
        yield rec


def page_html(rec: dict) -> bytes:
    """A news page around the record: chrome the extractor must remove, the story in paragraphs."""
    sentences = re.split(r"(?<=[.!?\"])\s+(?=[A-Z\"])", rec.get("text", ""))
    paragraphs = ["".join(f"{html.escape(s)} " for s in sentences[i : i + 3]).strip()
                  for i in range(0, len(sentences), 3)]
    title = html.escape(rec.get("title") or "")
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs if p)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title} | Replicated News</title>
<meta property="article:published_time" content="{html.escape(rec.get('published') or '')}">
<meta name="author" content="{html.escape(rec.get('author') or '')}"></head>
<body><header><a href="/">Replicated News</a> <a href="/world">World</a> <a href="/sport">Sport</a>
<a href="/subscribe">Subscribe</a></header>
<main><article><h1>{title}</h1><p class="byline">By {html.escape(rec.get('author') or 'Staff')}</p>
{body}
</article></main>
<aside><h3>Most read</h3><ul><li><a href="/a">Markets close higher</a></li><li><a href="/b">Weather</a></li></ul></aside>
<footer>Sign up for our newsletter | About us | Contact | Privacy</footer></body></html>""".encode()


def write(source: Path, n: int, out: Path, name: str, warc: bool, warc_records: int) -> list[Path]:
    stories = [json.loads(line) for line in source.read_text(encoding="utf-8").splitlines() if line.strip()]
    out.mkdir(parents=True, exist_ok=True)
    jsonl = out / f"{name}-{n}.jsonl"
    written = [jsonl]
    warc_fh = None
    writer: WARCWriter | None = None
    with jsonl.open("w", encoding="utf-8") as fh:
        for i, rec in enumerate(replicas(stories, n)):
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
            if not warc:
                continue
            if i % warc_records == 0:
                if warc_fh:
                    warc_fh.close()
                path = out / f"{name}-{n}-{i // warc_records:05d}.warc.gz"
                written.append(path)
                warc_fh = path.open("wb")
                writer = WARCWriter(warc_fh, gzip=True)
            assert writer is not None
            http = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
            url = rec.get("url") or f"https://replicated.example/{rec['id']}"
            record = writer.create_warc_record(url, "response", payload=BytesIO(page_html(rec)), http_headers=http,
                                               warc_headers_dict={
                "WARC-Date": "2024-01-01T00:00:00Z",
                "WARC-Record-ID": f"<urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, url + str(i))}>"})
            writer.write_record(record)
    if warc_fh:
        warc_fh.close()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source", type=Path, help="JSONL with text (and id, url, title, published)")
    parser.add_argument("n", type=int, help="number of pages to write")
    parser.add_argument("--out", type=Path, default=Path("."), help="output folder")
    parser.add_argument("--name", help="file name stem (default: the source's stem)")
    parser.add_argument("--no-warc", action="store_true", help="write the JSONL only")
    parser.add_argument("--warc-records", type=int, default=5000, help="records per WARC file")
    args = parser.parse_args(argv)
    for path in write(args.source, args.n, args.out, args.name or args.source.stem, not args.no_warc,
                      args.warc_records):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
