"""Replicate a JSONL corpus (such as the 89 VOA stories) to N distinct pages for throughput benchmarks.

Each copy gets its own id, url and publication date, and about one word in eight changed (news synonyms,
shifted numbers, an inserted hedge word), which brings the estimated Jaccard of 5-word shingles between
copies well under the 0.6 at which tidings calls two texts copies: they are stored and analysed as
distinct documents, as in a large crawl. Deterministic: the same arguments write the same bytes.

Writes JSONL files of at most --jsonl-records records (`<out>/<name>-<N>-00000.jsonl`, ...; the local
engine refuses a single file over 200 MB) and, unless --no-warc, the same pages as HTML responses in WARC
files of at most --warc-records records (`<name>-<N>-00000.warc.gz`, ...), as big crawls come.
The logic lives in `tidings.bench`, which uses it for `tidings bench --sizes`.

Run: .venv/bin/python scripts/replicate_corpus.py ../shared/data/news/voa/voa_stories.jsonl 10000 --out /tmp/bench
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tidings.bench import replicate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("source", type=Path, help="JSONL with text (and id, url, title, published)")
    parser.add_argument("n", type=int, help="number of pages to write")
    parser.add_argument("--out", type=Path, default=Path("."), help="output folder")
    parser.add_argument("--name", help="file name stem (default: the source's stem)")
    parser.add_argument("--no-warc", action="store_true", help="write the JSONL only")
    parser.add_argument("--warc-records", type=int, default=1000, help="records per WARC file (default 1000)")
    parser.add_argument("--jsonl-records", type=int, default=10_000, help="records per JSONL file (default 10000)")
    args = parser.parse_args(argv)
    jsonls, warcs = replicate(args.source, args.n, args.out, args.name or args.source.stem, not args.no_warc,
                              args.warc_records, args.jsonl_records)
    for path in [*jsonls, *warcs]:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
