"""URL and feed fetching against a real server on 127.0.0.1, and the store's concurrency and crash rules."""

from __future__ import annotations

import gzip
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT, LocalServer, export_jsonl, run_cli
from tests.test_run_inputs import ARTICLE
from tidings.errors import DatabaseError
from tidings.limits import Limits
from tidings.sources import web
from tidings.store.db import Store


def test_private_addresses_are_refused_without_flag(http_server: LocalServer, tmp_path: Path) -> None:
    http_server.page("/story", ARTICLE.encode())
    db = tmp_path / "x.duckdb"
    out = run_cli("run", http_server.url("/story"), "--db", str(db), "--no-analyse")
    assert out.returncode == 0
    docs = export_jsonl(db, "documents")
    assert docs[0]["status"] == "unsupported" and "--allow-private" in docs[0]["error"]
    assert http_server.requests == []  # refused before connecting
    # Via a DNS name that resolves to loopback, too.
    with pytest.raises(web.FetchError, match="private, loopback"):
        web.fetch(f"http://localhost:{http_server.port}/story")


def test_fetch_with_allow_private(http_server: LocalServer, tmp_path: Path) -> None:
    http_server.page("/story", ARTICLE.encode())
    db = tmp_path / "x.duckdb"
    out = run_cli("run", http_server.url("/story"), "--db", str(db), "--no-analyse", "--allow-private")
    assert out.returncode == 0, out.stderr.decode()
    doc = export_jsonl(db, "documents")[0]
    assert doc["status"] == "ok" and doc["url"] == http_server.url("/story") and "Kharkiv" in doc["text"]
    path, headers = http_server.requests[0]
    assert headers["User-Agent"].startswith("tidings/")
    assert "Authorization" not in headers and "Cookie" not in headers


def test_redirects_are_checked_and_capped(http_server: LocalServer) -> None:
    http_server.page("/final", ARTICLE.encode())
    http_server.redirect("/r0", "/final")
    body, _, final = web.fetch(http_server.url("/r0"), allow_private=True)
    assert final.endswith("/final") and b"Kharkiv" in body
    for i in range(10):
        http_server.redirect(f"/loop{i}", f"/loop{i + 1}")
    with pytest.raises(web.FetchError, match="redirects"):
        web.fetch(http_server.url("/loop0"), allow_private=True)
    # Every hop goes through check_url: the cloud metadata address is refused like loopback.
    with pytest.raises(web.FetchError, match="private, loopback or link-local"):
        web.check_url("http://169.254.169.254/latest/meta-data/", allow_private=False)
    with pytest.raises(web.FetchError, match="credentials"):
        web.check_url("http://user:pw@example.org/", allow_private=True)


def test_size_cap_gzip_bomb_and_timeout(http_server: LocalServer) -> None:
    small = Limits(max_raw_bytes=10_000, max_decompressed_bytes=50_000, fetch_timeout_s=1.0)
    http_server.page("/big", b"x" * 20_000)
    with pytest.raises(web.FetchError, match="limit"):
        web.fetch(http_server.url("/big"), allow_private=True, limits=small)
    bomb = gzip.compress(b"\0" * 5_000_000)
    http_server.page("/bomb", bomb, headers={"Content-Encoding": "gzip"})
    with pytest.raises(ValueError, match="gzip bomb|more than"):
        web.fetch(http_server.url("/bomb"), allow_private=True, limits=small)

    def slow(h) -> None:  # type: ignore[no-untyped-def]
        time.sleep(3)
        h.send_response(200)
        h.end_headers()
    http_server.routes["/slow"] = slow
    started = time.monotonic()
    with pytest.raises(web.FetchError, match="timed out"):
        web.fetch(http_server.url("/slow"), allow_private=True, limits=small)
    assert time.monotonic() - started < 2.9


def test_feed_url_fetches_linked_articles(http_server: LocalServer, tmp_path: Path) -> None:
    http_server.page("/a1", ARTICLE.encode())
    feed = f"""<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
    <item><title>Linked</title><link>{http_server.url('/a1')}</link><guid>g1</guid>
    <pubDate>Sat, 10 Feb 2024 09:00:00 GMT</pubDate><description>short teaser</description></item>
    <item><title>Gone</title><link>{http_server.url('/missing')}</link><guid>g2</guid>
    <description>&lt;p&gt;The teaser text of a story whose page is gone.&lt;/p&gt;</description></item>
    </channel></rss>"""
    http_server.page("/feed.xml", feed.encode(), content_type="application/rss+xml")
    db = tmp_path / "x.duckdb"
    out = run_cli("run", http_server.url("/feed.xml"), "--db", str(db), "--no-analyse", "--allow-private")
    assert out.returncode == 0, out.stderr.decode()
    docs = {d["source"].split("#")[1]: d for d in export_jsonl(db, "documents")}
    assert "residential district of Kharkiv" in docs["g1"]["text"]
    assert docs["g1"]["title"] == "Linked" and docs["g1"]["published"].startswith("2024-02-10T09:00:00")
    assert docs["g2"]["status"] == "ok" and "whose page is gone" in docs["g2"]["text"]
    assert "HTTP 404" in docs["g2"]["error"]


def test_second_writer_gets_a_clear_error(tmp_path: Path) -> None:
    db = tmp_path / "busy.duckdb"
    Store.open(db).close()
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from tidings.store.db import Store; s = Store.open(sys.argv[1]); "
        "print('ready', flush=True); time.sleep(30)"), str(db)], stdout=subprocess.PIPE, cwd=ROOT)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == b"ready"
        with pytest.raises(DatabaseError, match="in use by another process"):
            Store.open(db)
        (tmp_path / "p.txt").write_text("A page of text long enough to be stored in the database.")
        out = run_cli("run", str(tmp_path / "p.txt"), "--db", str(db))
        assert out.returncode == 3
        assert "in use by another process" in out.stderr.decode() and "Traceback" not in out.stderr.decode()
    finally:
        holder.kill()
        holder.wait()
    with Store.open(db) as store:  # usable again once the other process is gone
        assert store.known_doc_ids() == set()


def test_killed_run_resumes_without_duplicates(tmp_path: Path) -> None:
    pages = tmp_path / "pages"
    pages.mkdir()
    for i in range(300):
        (pages / f"p{i:03}.txt").write_text(f"Report {i}: shelling hit village number {i} on Monday, "
                                            f"officials said, and {i % 7} people were wounded in the attack.")
    db = tmp_path / "k.duckdb"
    proc = subprocess.Popen([sys.executable, "-m", "tidings", "run", str(pages), "--db", str(db), "--no-analyse",
                             "--workers", "1"], cwd=ROOT, stderr=subprocess.PIPE)
    time.sleep(2.5)
    proc.kill()  # SIGKILL: no cleanup runs
    proc.wait()
    out = run_cli("run", str(pages), "--db", str(db), "--no-analyse")
    assert out.returncode == 0, out.stderr.decode()
    docs = export_jsonl(db, "documents")
    assert len(docs) == 300 and len({d["doc_id"] for d in docs}) == 300
    assert all(d["status"] == "ok" for d in docs)
