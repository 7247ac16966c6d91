"""Benchmark the API and the page on a large synthetic ledger.

    python scripts/bench_api.py --db artifacts/bench100k.duckdb --events 100000 [--requests 40] [--no-browser]

Creates the database with `tidings.serve.synthetic.fill` when it is missing, starts the real `tidings serve`
command on 127.0.0.1 (a separate process, so the client does not share the server's interpreter), waits
for the full-text index, then times `/api/events` and `/api/stats` requests (p50/p95 per query shape and
overall) and, in headless Chromium, the page's time from navigation start to its first drawn clusters."""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx

from tidings.serve.running import free_port
from tidings.serve.synthetic import fill

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]

# The shapes of request the page makes, and a few an API user would.
EVENTS: dict[str, dict[str, Any]] = {
    "events: first page": {"limit": 50},
    "events: type + country": {"limit": 50, "event_type": "Battles", "country": "Ukraine"},
    "events: date range, by fatalities": {"limit": 50, "date_from": "2024-03-01", "date_to": "2024-06-30",
                                          "sort": "-fatalities"},
    "events: bbox + status": {"limit": 50, "bbox": "30,44,40,52", "status": ["claimed", "denied"]},
    "events: full-text": {"limit": 50, "q": "struck Kharkiv"},
    "events: contested, page 2": {"limit": 50, "contested": "true", "cursor": "<next>"},
}
STATS: dict[str, dict[str, Any]] = {
    "stats: totals only": {},
    "stats: world map zoom 2": {"zoom": 2, "view": "-180,-85,180,85"},
    "stats: region zoom 6 + type": {"zoom": 6, "view": "22,43,42,53", "event_type": "Explosions/Remote violence"},
    "stats: zoom 9 + dates + search": {"zoom": 9, "view": "35.5,49.6,36.8,50.3", "date_from": "2024-01-01",
                                       "q": "struck"},
}


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def vary(params: dict[str, Any], i: int, cold: bool) -> dict[str, Any]:
    """The i-th request of a shape. Warm: the map is panned a little each time (filters unchanged, as when
    a user moves the map, so per-filter results are reused). Cold: a different `date_to` each time, so
    nothing the server caches per filter can be reused."""
    out = dict(params)
    if "view" in out:
        w, s, e, n = (float(v) for v in out["view"].split(","))
        shift = (i % 7) * 0.01 * (e - w)
        out["view"] = f"{max(-180, w + shift)},{s},{min(180, e + shift)},{n}"
    if cold:
        out["date_to"] = (date(2025, 12, 31) - timedelta(days=i)).isoformat()
    return out


def time_requests(client: httpx.Client, shapes: dict[str, dict[str, Any]], n: int, cold: bool
                  ) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {}
    for name, params in shapes.items():
        params = dict(params)
        path = "/api/events" if name.startswith("events") else "/api/stats"
        times = []
        for i in range(n + 1):
            request = vary(params, i, cold)
            if request.get("cursor") == "<next>":
                first = client.get(path, params={k: v for k, v in request.items() if k != "cursor"}).json()
                request["cursor"] = first["next_cursor"]
            started = time.perf_counter()
            r = client.get(path, params=request)
            elapsed = (time.perf_counter() - started) * 1000
            r.raise_for_status()
            if i:  # the first request warms the process up and is not counted
                times.append(elapsed)
        out[f"{name} ({'cold' if cold else 'warm'})"] = times
    return out


def page_load(base: str, runs: int) -> dict[str, list[float]]:
    from playwright.sync_api import sync_playwright

    out: dict[str, list[float]] = {"page: / to first clusters": [], "page: filtered link to first clusters": []}
    urls = {"page: / to first clusters": "/",
            "page: filtered link to first clusters": "/?event_type=Battles&date_from=2024-01-01&map=49.5,33.0,6"}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for _ in range(runs):
            for name, url in urls.items():
                context = browser.new_context(viewport={"width": 1400, "height": 860})  # a cold cache each time
                page = context.new_page()
                page.goto(base + url)
                page.wait_for_selector("body[data-ready='1']", timeout=60_000)
                out[name].append(float(page.locator("body").get_attribute("data-ready-ms") or "nan"))
                context.close()
        browser.close()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="artifacts/bench100k.duckdb")
    parser.add_argument("--events", type=int, default=100_000, help="events to generate when --db is missing")
    parser.add_argument("--requests", type=int, default=40, help="timed requests per query shape")
    parser.add_argument("--page-runs", type=int, default=5)
    parser.add_argument("--no-browser", action="store_true")
    parser.add_argument("--no-api", action="store_true", help="only the page load")
    parser.add_argument("--out", default="artifacts/bench_api.json")
    args = parser.parse_args(argv)
    db = Path(args.db)
    if not db.exists():
        db.parent.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        fill(db, args.events, seed=0)
        print(f"generated {args.events} events in {time.perf_counter() - started:.0f}s", file=sys.stderr)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    started = time.perf_counter()
    server = subprocess.Popen([sys.executable, "-m", "tidings", "serve", "--db", str(db), "--port", str(port)],
                              env={**os.environ, "PYTHONUNBUFFERED": "1"})
    results: dict[str, list[float]] = {}
    try:
        with httpx.Client(base_url=base, timeout=60) as client:
            while True:
                try:
                    facets = client.get("/api/facets").json()
                    if facets["search"] == "full-text":
                        break
                except httpx.TransportError:
                    pass
                if server.poll() is not None or time.perf_counter() - started > 600:
                    raise SystemExit("the server did not become ready")
                time.sleep(0.5)
            ready = time.perf_counter() - started
            n = client.get("/api/events", params={"limit": 1}).json()["total"]
            print(f"{n} events; server ready with its search index after {ready:.1f}s", file=sys.stderr)
            load = os.getloadavg()[0]
            for cold in () if args.no_api else (False, True):
                results |= time_requests(client, EVENTS, args.requests, cold)
                results |= time_requests(client, STATS, args.requests, cold)
        if not args.no_browser and Path(CHROMIUM).exists():
            results |= page_load(base, args.page_runs)
    finally:
        server.terminate()
        server.wait(timeout=20)
    print(f"load average at start: {load:.1f} on {os.cpu_count()} CPUs")
    print(f"{'query':52} {'n':>4} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    summary: dict[str, Any] = {"events": n, "ready_s": round(ready, 1), "load_average": round(load, 1),
                               "cpus": os.cpu_count(), "requests": {}}
    groups: dict[str, list[float]] = {}
    for name, times in results.items():
        if not name.startswith("page"):
            kind = "events" if name.startswith("events") else "stats"
            groups.setdefault(f"ALL /api/{kind} {name.rsplit(' ', 1)[1]}", []).extend(times)
    for name, times in {**results, **groups}.items():
        row = {"n": len(times), "p50": round(statistics.median(times), 1), "p95": round(pct(times, 95), 1),
               "max": round(max(times), 1)}
        summary["requests"][name] = row
        print(f"{name:52} {row['n']:>4} {row['p50']:>8} {row['p95']:>8} {row['max']:>8}")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
