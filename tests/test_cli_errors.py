"""Every failure a user can cause is one clear line on stderr (plus at most a hint), a nonzero exit code,
and no traceback. Each case runs the real command in a subprocess. Also: a full disk."""

from __future__ import annotations

import os
import random
import shutil
import socket
import string
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tests.conftest import ROOT, run_cli
from tests.test_kill_resume import write_corpus
from tidings.store.db import Store

TEXT = "Two people were killed when shelling hit Kharkiv on Monday, officials said, and a school was damaged."


def assert_one_line(out: subprocess.CompletedProcess[bytes], *needles: str, code: int | None = None) -> str:
    err = out.stderr.decode()
    lines = [line for line in err.splitlines() if line.strip()]
    assert out.returncode != 0, err
    if code is not None:
        assert out.returncode == code, err
    assert "Traceback" not in err, err
    assert 1 <= len(lines) <= 2, err  # the error, and maybe a hint
    assert lines[0].startswith("tidings"), err
    if len(lines) == 2:
        assert "--help" in lines[1], err
    for needle in needles:
        assert needle in err, (needle, err)
    return err


@pytest.fixture(scope="module")
def dbs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("cli")
    (tmp / "p.txt").write_text(TEXT)
    good = tmp / "good.duckdb"
    out = run_cli("run", str(tmp / "p.txt"), "--db", str(good), "--no-analyse", "--quiet")
    assert out.returncode == 0, out.stderr.decode()
    (tmp / "junk.duckdb").write_text("this is not a database\n")
    con = duckdb.connect(str(tmp / "other.duckdb"))
    con.execute("CREATE TABLE x (a INTEGER)")
    con.close()
    (tmp / "folder").mkdir()
    return {"good": good, "junk": tmp / "junk.duckdb", "other": tmp / "other.duckdb", "folder": tmp / "folder",
            "page": tmp / "p.txt", "tmp": tmp}


def test_bad_paths_and_databases(dbs: dict[str, Path]) -> None:
    tmp, page = dbs["tmp"], str(dbs["page"])
    assert_one_line(run_cli("run", str(tmp / "missing.txt"), "--db", str(tmp / "n.duckdb")), "no such file", code=2)
    assert_one_line(run_cli("run", page, "--db", str(dbs["folder"])), "Is a directory", code=3)
    assert_one_line(run_cli("run", page, "--db", str(dbs["junk"])), "not a valid DuckDB", code=3)
    assert_one_line(run_cli("run", page, "--db", str(dbs["other"])), "not a tidings database", code=3)
    assert_one_line(run_cli("run", page, "--db", str(tmp / "nodir" / "x.duckdb")), "does not exist", code=3)
    for command in (("export",), ("info",), ("show", "event", "ev-x"), ("serve", "--port", "1")):
        assert_one_line(run_cli(*command, "--db", str(tmp / "absent.duckdb")), "no database at", code=3)
        assert_one_line(run_cli(*command, "--db", str(dbs["junk"])), "not a valid DuckDB", code=3)
    assert_one_line(run_cli("info", "--db", str(dbs["folder"])), "Is a directory", code=3)
    assert_one_line(run_cli("show", "document", "nope", "--db", str(dbs["good"])), "no document", code=2)


def test_bad_arguments(dbs: dict[str, Path]) -> None:
    good, page, tmp = str(dbs["good"]), str(dbs["page"]), dbs["tmp"]
    cases: list[tuple[tuple[str, ...], str]] = [
        (("run", page, "--db", good, "--workers", "-3"), "must be 0 or more"),
        (("run", page, "--db", good, "--workers", "many"), "whole number"),
        (("run", page, "--db", good, "--engine", "spark"), "invalid choice"),
        (("run", page, "--db", good, "--engine", "ray", "--address", "bad::addr"), "not a Ray address"),
        (("run", page, "--db", good, "--address", "127.0.0.1:6379"), "--engine ray"),
        (("run", page, "--db", good, "--actors", str(tmp / "missing.yaml")), "cannot read actor file"),
        (("run", page, "--db", good, "--actors", str(dbs["folder"])), "is a folder"),
        (("run", "--db", good), "required"),
        (("export", "--db", good, "--format", "xml"), "invalid choice"),
        (("export", "--db", good, "--what", "everything"), "invalid choice"),
        (("export", "--db", good, "--what", "documents", "--out", str(tmp / "nodir" / "d.jsonl")), "folder does not exist"),
        (("export", "--db", good, "--what", "documents", "--out", str(dbs["folder"])), "Is a directory"),
        (("show", "place", "x", "--db", good), "invalid choice"),
        (("eval", "no-such-eval"), "unknown evaluation"),
        (("eval", "--data", str(tmp / "nodata")), "not a folder"),
        (("eval", "--split", "train"), "invalid choice"),
        (("bench", str(tmp / "nocorpus")), "no such file"),
        (("serve", "--db", good, "--port", "99999"), "between 1 and 65535"),
        (("serve", "--db", good, "--host", "999.1.1.1", "--port", "8765"), "not an address"),
        (("--bogus",), "unrecognized arguments"),
    ]
    for args, needle in cases:
        assert_one_line(run_cli(*args, timeout=60), needle)


def test_serve_port_in_use(dbs: dict[str, Path]) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        out = run_cli("serve", "--db", str(dbs["good"]), "--port", str(port), timeout=60)
    assert_one_line(out, "already in use", code=2)


def test_locked_database(dbs: dict[str, Path], tmp_path: Path) -> None:
    db = tmp_path / "locked.duckdb"
    shutil.copy(dbs["good"], db)
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from tidings.store.db import Store; s = Store.open(sys.argv[1]); "
        "print('ready', flush=True); time.sleep(60)"), str(db)], stdout=subprocess.PIPE, cwd=ROOT)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == b"ready"
        for command in (("run", str(dbs["page"])), ("export",), ("info",)):
            assert_one_line(run_cli(*command, "--db", str(db)), "in use by another process", code=3)
    finally:
        holder.kill()
        holder.wait()


def test_debug_shows_the_traceback(dbs: dict[str, Path]) -> None:
    out = run_cli("--debug", "export", "--db", str(dbs["good"]), "--what", "documents", "--out",
                  str(dbs["tmp"] / "nodir" / "x.jsonl"))
    assert out.returncode != 0 and "Traceback" in out.stderr.decode()


def _mount_tmpfs(where: Path, size: str) -> None:
    where.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a small tmpfs needs root")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")


def _docs(db: Path) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute("SELECT doc_id, status, text_hash, text FROM documents ORDER BY doc_id").fetchall()
        assert len(rows) == len({r[0] for r in rows})
        return rows
    finally:
        con.close()


@pytest.mark.slow
def test_disk_full_fails_cleanly_and_resumes(tmp_path: Path) -> None:
    disk = tmp_path / "disk"
    _mount_tmpfs(disk, "4m")
    try:
        write_corpus(tmp_path / "small", 12, seed=1, tag="a")
        big = tmp_path / "big"
        big.mkdir()
        rng = random.Random(2)
        for i in range(400):  # ~3.5 MB of text that compresses badly: more than the disk holds
            words = " ".join("".join(rng.choices(string.ascii_lowercase, k=rng.randint(3, 9))) for _ in range(1400))
            (big / f"b{i:04}.txt").write_text(f"{TEXT} Report {i}. {words}.\n")
        db = disk / "ledger.duckdb"
        out = run_cli("run", str(tmp_path / "small"), "--db", str(db), "--no-analyse", "--workers", "1", "--quiet")
        assert out.returncode == 0, out.stderr.decode()
        before = _docs(db)
        out = run_cli("run", str(tmp_path / "big"), "--db", str(db), "--no-analyse", "--workers", "1")
        assert_one_line(out, "disk full (no space left on device) while writing", str(db))
        after = _docs(db)  # still opens; nothing from before lost or changed
        assert set(before) <= set(after)
        subprocess.run(["mount", "-o", "remount,size=64m", str(disk)], check=True)
        out = run_cli("run", str(tmp_path / "big"), "--db", str(db), "--no-analyse", "--workers", "1", "--quiet")
        assert out.returncode == 0, out.stderr.decode()
        final = _docs(db)
        assert set(before) <= set(final) and len(final) == len(before) + 400
        with Store.open(db, read_only=True) as store:
            assert store.get_meta("derived_stale") == "0"  # the cross-document stages ran to the end
    finally:
        subprocess.run(["umount", "-l", str(disk)], capture_output=True)
