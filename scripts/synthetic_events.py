"""Fill a tidings database with deterministic synthetic events, for developing and benchmarking the web
page and API: `python scripts/synthetic_events.py --db synth.duckdb --events 100000 --seed 0`."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from tidings.serve.synthetic import fill


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="database to create (must not exist yet)")
    parser.add_argument("--events", type=int, default=500)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if Path(args.db).exists():
        print(f"{args.db} exists: choose a new path (synthetic rows must not mix with real ones)", file=sys.stderr)
        return 2
    started = time.perf_counter()
    counts = fill(args.db, args.events, args.seed)
    print(" ".join(f"{k}={v}" for k, v in counts.items()), f"in {time.perf_counter() - started:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
