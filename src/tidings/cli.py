"""The `tidings` command: parse arguments, call the library, print. No logic lives here."""

from __future__ import annotations

import argparse
import errno
import json
import re
import socket
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from tidings import __version__
from tidings.errors import TidingsError, UsageError

DEFAULT_DB = "tidings.duckdb"
_RAY_ADDRESS = re.compile(r"^(auto|local|(ray://)?(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5})$")


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line and a hint, not the whole usage block."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\nrun `{self.prog} --help` to see the options\n")


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, not {text!r}") from None


def _count(text: str) -> int:
    value = _int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {value}")
    return value


def _port(text: str) -> int:
    value = _int(text)
    if not 0 < value < 65536:
        raise argparse.ArgumentTypeError(f"must be between 1 and 65535, not {value}")
    return value


def _add_db(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", default=DEFAULT_DB, help=f"DuckDB database file (default: ./{DEFAULT_DB})")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="tidings",
        description="Turn news pages about a conflict into a cited, ACLED-style event ledger.",
        epilog="Run `tidings COMMAND --help` for the options of one command.")
    parser.add_argument("--version", action="version", version=f"tidings {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks for errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = sub.add_parser("run", help="read pages into the database (files, folders, globs, -, URLs, feeds, WARC)",
                         description="Read pages, clean them, find their events, and store everything. "
                                     "Re-running on the same inputs adds nothing; a killed run resumes.")
    run.add_argument("inputs", nargs="+", metavar="INPUT",
                     help="file, folder (recursive), glob, - for stdin, or http(s) URL; "
                          ".html .txt .md .json .jsonl RSS/Atom .warc(.gz), any of them .gz")
    _add_db(run)
    run.add_argument("--workers", type=_count, default=0, help="worker processes (default: every core)")
    run.add_argument("--engine", choices=("local", "ray"), default="local", help="execution engine")
    run.add_argument("--address", help="Ray cluster address (with --engine ray; default: start Ray locally)")
    run.add_argument("--actors", action="append", default=[], metavar="FILE",
                     help="extra actor registry file (YAML/JSON, same schema as the built-in one); repeatable")
    run.add_argument("--allow-private", action="store_true",
                     help="allow fetching private, loopback and link-local addresses")
    run.add_argument("--fetch-links", action="store_true",
                     help="for local feed files, fetch each item's linked article (feeds given as URLs always do)")
    run.add_argument("--no-analyse", action="store_true", help="store clean documents only: skip mentions and events")
    run.add_argument("--no-raw", action="store_true", help="do not keep the raw page bytes in the database")
    run.add_argument("--quiet", "-q", action="store_true", help="no progress bar or summary")

    exp = sub.add_parser("export", help="write documents, entities, events, claims or mentions",
                         description="Export a table of the ledger. Output goes to stdout unless --out is given.")
    _add_db(exp)
    exp.add_argument("--what", default="events", choices=("documents", "entities", "events", "claims", "mentions"))
    exp.add_argument("--format", default="jsonl", choices=("jsonl", "csv", "parquet", "acled-csv", "geojson"))
    exp.add_argument("--out", help="output file (default: stdout)")

    show = sub.add_parser("show", help="print one document, entity or event with its provenance")
    show.add_argument("kind", choices=("document", "entity", "event"))
    show.add_argument("key", help="document id, entity id or name, event id")
    _add_db(show)

    ev = sub.add_parser("eval", help="measure quality on the public evaluation sets (../shared/data)",
                        description="Run evaluations. Sets absent on this machine are skipped.")
    ev.add_argument("names", nargs="*", help="evaluations to run (default: all); `--list` shows them")
    ev.add_argument("--list", action="store_true", help="list the evaluations")
    ev.add_argument("--split", default="dev", choices=("dev", "test"))
    ev.add_argument("--limit", type=int, help="evaluate at most N items per set (quick runs)")
    ev.add_argument("--data", help="evaluation data folder (default: ../shared/data or $TIDINGS_SHARED_DATA)")
    ev.add_argument("--json", action="store_true", help="print results as JSON")

    bench = sub.add_parser("bench", help="pages/second and peak memory, beside trafilatura alone",
                           description="Benchmark tidings run against trafilatura alone on the same pages.")
    bench.add_argument("corpus", nargs="*", help="inputs (default: the VOA stories and AEB pages in ../shared/data)")
    bench.add_argument("--workers", type=_count, default=0)
    bench.add_argument("--no-analyse", action="store_true")
    bench.add_argument("--replicate", type=int, default=0, help="replicate the corpus to N pages (varied ids)")
    bench.add_argument("--quick", action="store_true", help="a short run: local engine, the two small corpora")
    bench.add_argument("--engines", help="comma-separated: localN (N workers), ray, trafilatura")
    bench.add_argument("--sizes", help="comma-separated replica sizes of the VOA stories (default 1000,10000)")
    bench.add_argument("--only", help="comma-separated corpus labels to run, e.g. voa-10000-warc")
    bench.add_argument("--json", help="also write the results to this JSON file")
    bench.add_argument("--timeout", type=float, help="seconds allowed per configuration")

    srv = sub.add_parser("serve", help="browse the ledger: a map, a timeline and a JSON API",
                         description="Serve the web page and read-only JSON API for a database.")
    _add_db(srv)
    srv.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1, this machine only)")
    srv.add_argument("--port", type=_port, default=8000)

    info = sub.add_parser("info", help="what is in a database: counts by status, runs")
    _add_db(info)
    return parser


def _readable(path: str, what: str) -> None:
    try:
        with open(path, "rb"):
            pass
    except IsADirectoryError:
        raise UsageError(f"{what} {path} is a folder, not a file") from None
    except OSError as exc:
        raise UsageError(f"cannot read {what} {path}: {exc.strerror}") from None


def cmd_run(args: argparse.Namespace) -> int:
    from tidings.runner import run

    for path in args.actors:
        _readable(path, "actor file")
    if args.address and args.engine != "ray":
        raise UsageError("--address is the address of a Ray cluster: use it with --engine ray")
    if args.address and not _RAY_ADDRESS.match(args.address):
        raise UsageError(f"--address {args.address!r} is not a Ray address: give HOST:PORT, ray://HOST:PORT or auto")
    summary = run(args.inputs, db=args.db, workers=args.workers, engine=args.engine, address=args.address,
                  actor_files=tuple(args.actors), allow_private=args.allow_private, fetch_links=args.fetch_links,
                  analyse=not args.no_analyse, keep_raw=not args.no_raw,
                  progress=not args.quiet and sys.stderr.isatty())
    if not args.quiet:
        print(summary.line(), file=sys.stderr)
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from tidings.store import export
    from tidings.store.db import Store

    with Store.open(args.db, read_only=True) as store:
        rows = export.query_rows(store, args.what)
        if args.out:
            try:
                fh = open(args.out, "wb")  # noqa: SIM115 - closed below; the open alone gets a clear error
            except OSError as exc:
                raise UsageError(f"cannot write --out {args.out}: {exc.strerror}"
                                 + (" (its folder does not exist)" if exc.errno == errno.ENOENT else "")) from None
            with fh:
                n = export.write(rows, args.what, args.format, fh)
            print(f"wrote {n} {args.what} to {args.out}", file=sys.stderr)
        else:
            export.write(rows, args.what, args.format, sys.stdout.buffer)
            sys.stdout.flush()
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from tidings.show import show

    print(show(args.db, args.kind, args.key))
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from tidings.eval.registry import EVALS, data_dir, run_evals

    if args.list:
        for name, (_, what) in EVALS.items():
            print(f"{name:18} {what}")
        return 0
    if args.data and not Path(args.data).is_dir():
        raise UsageError(f"--data {args.data} is not a folder: give the folder holding the evaluation sets")
    results = run_evals(args.names or list(EVALS), data_dir(args.data), split=args.split, limit=args.limit,
                        echo=not args.json)
    if args.json:
        print(json.dumps(results, indent=2, default=str))
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from tidings.bench import bench

    for spec in args.corpus:
        if not spec.startswith(("http://", "https://")) and spec != "-" and not any(c in spec for c in "*?[") \
                and not Path(spec).exists():
            raise UsageError(f"no such file, folder or glob match: {spec}")
    bench(args.corpus, workers=args.workers, analyse=not args.no_analyse, replicate=args.replicate,
          quick=args.quick, engines=args.engines.split(",") if args.engines else None,
          sizes=[int(n) for n in args.sizes.split(",") if n] if args.sizes is not None else None,
          only=args.only.split(",") if args.only else None, json_out=args.json, timeout=args.timeout)
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from tidings.serve.app import serve

    _check_bind(args.host, args.port)
    serve(args.db, host=args.host, port=args.port)
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    from tidings.store.db import Store

    with Store.open(args.db, read_only=True) as store:
        for table in ("documents", "entities", "events", "claims"):
            n = store.con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            print(f"{table:10} {n}")
        for status, n in store.con.execute(
                "SELECT status, count(*) FROM documents GROUP BY status ORDER BY status").fetchall():
            print(f"  {status:8} {n}")
        copies = store.con.execute("SELECT count(*) FROM documents WHERE duplicate_of IS NOT NULL").fetchone()[0]
        print(f"  copies   {copies}")
    return 0


def _check_bind(host: str, port: int) -> None:
    """Bind once before the server does, so a busy port or a bad --host is one clear line."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror:
        raise UsageError(f"--host {host!r} is not an address of this machine: use 127.0.0.1 (this machine only) "
                         "or 0.0.0.0 (every interface)") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise UsageError(f"port {port} on {host} is already in use: stop what uses it or pick another "
                                 "--port") from None
            raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror}") from None


def _fault_line(exc: BaseException, args: argparse.Namespace) -> str:
    """One line for a failure that is not a TidingsError: the disk, the OS, or a bug."""
    target = getattr(args, "db", None)
    text = str(exc)
    if getattr(exc, "errno", None) == errno.ENOSPC or "No space left on device" in text \
            or "disk is full" in text.lower():
        where = f" while writing {target}" if target else ""
        return (f"disk full (no space left on device){where}: free some space and run the same command again; "
                "everything stored before is kept")
    if isinstance(exc, OSError) and exc.strerror:
        name = f" {exc.filename}" if exc.filename else ""
        return f"{exc.strerror}{name}"
    first = text.splitlines()[0] if text else ""
    return f"unexpected {type(exc).__name__}: {first} (run with --debug to see where; please report it)"


COMMANDS = {"run": cmd_run, "export": cmd_export, "show": cmd_show, "eval": cmd_eval, "bench": cmd_bench,
            "serve": cmd_serve, "info": cmd_info}


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help(sys.stderr)
        return 2
    started = time.time()
    try:
        return COMMANDS[args.command](args)
    except TidingsError as exc:
        if args.debug:
            raise
        print(f"tidings: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(f"tidings: interrupted after {time.time() - started:.0f}s; what was stored is kept, "
              "re-run the same command to resume", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # noqa: BLE001 - one line for the user; --debug shows the traceback
        if args.debug:
            raise
        print(f"tidings: error: {_fault_line(exc, args)}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
