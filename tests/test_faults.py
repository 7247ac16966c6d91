"""Hostile input and faults: every hostile page is stored with a clear status in bounded time, a page
that parses too long is stopped, and URL fetching refuses private addresses however they are reached.

Servers listen on 127.0.0.1 only; names that "resolve" elsewhere are monkeypatched, never looked up.
"""

from __future__ import annotations

import gzip
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT, LocalServer, export_jsonl
from tests.test_run_inputs import ARTICLE
from tidings import pipeline
from tidings.limits import Limits
from tidings.pipeline import Context, process_page
from tidings.records import RawPage
from tidings.sources import web

SENT = "Two people were killed when shelling hit Kharkiv on Monday, officials said. "
LAUGHS = ('<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "lol">'
          + "".join(f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(8))
          + ']><rss version="2.0"><channel><title>t</title><item><title>x</title><guid>g1</guid>'
          f"<description>&i; {SENT}</description></item></channel></rss>")


def _hostile(folder: Path) -> dict[str, str]:
    """Write the hostile inputs; return file name -> the statuses its documents may end with."""
    folder.mkdir()
    any_status = "ok|error|empty"
    files: dict[str, tuple[bytes | str, str]] = {
        "nest_div_100k.html": ("<html><body><p>" + SENT + "</p>" + "<div>" * 100_000 + SENT
                               + "</div>" * 100_000 + "</body></html>", any_status),
        "nest_b_1m.html": ("<html><body><p>" + SENT + "</p>" + "<b>" * 1_000_000 + SENT, any_status),
        "huge_attr_value.html": ('<html><body><p title="' + "x" * 6_000_000 + '">' + SENT + "</p>", "error"),
        "single_line_50mb.txt": ("word " * 10_000_000, "unsupported"),
        "redos_a.txt": ("a" * 100_000 + "!", any_status),
        "digits.txt": (SENT + "1" * 200_000 + " people were killed.", any_status),
        "commas.txt": (SENT + "1," * 100_000 + " people were killed.", any_status),
        "dots.txt": (SENT + "1." * 100_000 + " people were killed.", any_status),
        "long_word.txt": (SENT + "x" * 500_000 + " killed.", any_status),
        "nul_bytes.html": (b"<html><body><p>" + SENT.encode() + b"\0" * 1_000_000 + b"</p></body></html>", any_status),
        "bad_utf8.html": (b"<html><body><p>" + SENT.encode() + bytes(range(128, 256)) * 2000 + b"</p>", any_status),
        "gzip_bomb.html.gz": (gzip.compress(b"<html><body>" + b" " * 250_000_000), "unsupported"),
        "billion_laughs.xml": (LAUGHS, any_status),
        "xxe.xml": ('<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
                    '<rss version="2.0"><channel><title>t</title><item><title>x</title><guid>g1</guid>'
                    f"<description>&x; {SENT}</description></item></channel></rss>", any_status),
        "deep.json": ("[" * 100_000 + "]" * 100_000, "unsupported"),
        "deep.jsonl": (json.dumps({"text": SENT}) + "\n" + '{"text":' + "[" * 100_000 + "]" * 100_000 + "}\n",
                       "ok|unsupported"),
    }
    for name, (content, _) in files.items():
        (folder / name).write_bytes(content.encode() if isinstance(content, str) else content)
    return {name: statuses for name, (_, statuses) in files.items()}


def test_hostile_inputs_are_stored_in_bounded_time(tmp_path: Path) -> None:
    expected = _hostile(tmp_path / "in")
    db = tmp_path / "h.duckdb"
    started = time.monotonic()
    out = subprocess.run([sys.executable, "-m", "tidings", "run", str(tmp_path / "in"), "--db", str(db),
                          "--workers", "2"], capture_output=True, timeout=240, cwd=ROOT,
                         env={**os.environ, "TIDINGS_MAX_PARSE_SECONDS": "4"})
    elapsed = time.monotonic() - started
    assert out.returncode == 0, out.stderr.decode()[-2000:]
    docs = export_jsonl(db, "documents")
    by_file: dict[str, list[dict]] = {}
    for doc in docs:
        by_file.setdefault(Path(doc["source"].split("#")[0]).name, []).append(doc)
    assert set(by_file) == set(expected)  # every input is stored, good or bad
    for name, statuses in expected.items():
        for doc in by_file[name]:
            assert doc["status"] in statuses.split("|"), (name, doc["status"], doc["error"])
            if doc["status"] != "ok":
                assert doc["error"], name  # a clear recorded reason
    assert "over the" in by_file["huge_attr_value.html"][0]["error"]
    assert "gzip bomb" in by_file["gzip_bomb.html.gz"][0]["error"]
    assert all("root:" not in d["text"] for d in by_file["xxe.xml"])  # no external entity read
    assert all(len(d["text"]) < 10_000 for d in by_file["billion_laughs.xml"])  # no entity expansion
    # 16 hostile files, two workers, 4 s per page at most, plus start-up: bounded, not hung.
    assert elapsed < 150, elapsed


def _slow_stage(doc: object, page: object, ctx: object) -> None:
    while True:  # pure Python: the alarm lands between bytecodes
        sum(range(1000))


def test_parse_time_limit_stops_a_slow_page(monkeypatch: pytest.MonkeyPatch) -> None:
    ctx = Context(analyse=False, limits=Limits(max_parse_seconds=0.5))
    page = RawPage(source="slow.txt", raw=b"A page of text long enough to be kept as a document here.", kind="text")
    ok = process_page(page, ctx)  # warms the process up outside the clock
    assert ok.status == "ok"
    before = signal.getsignal(signal.SIGALRM)
    monkeypatch.setattr(pipeline, "STAGES", [*pipeline.STAGES[:2], ("offsets", _slow_stage)])
    started = time.monotonic()
    doc = process_page(page, ctx)
    assert time.monotonic() - started < 3
    assert doc.status == "error" and "took longer than 0.5 s to parse" in doc.error
    assert "offsets" in doc.error and doc.text  # the text found before the limit is kept
    assert doc.mentions == [] and doc.reports == []  # no half-finished analysis
    assert signal.getsignal(signal.SIGALRM) is before and signal.getitimer(signal.ITIMER_REAL)[0] == 0
    monkeypatch.undo()
    again = process_page(page, ctx)  # the process is still sound after an interrupted page
    assert (again.status, again.text, again.text_hash) == (ok.status, ok.text, ok.text_hash)


def test_parse_time_limit_leaves_an_outer_alarm_alone() -> None:
    fired: list[int] = []
    previous = signal.signal(signal.SIGALRM, lambda *_: fired.append(1))
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.3)
        page = RawPage(source="p.txt", raw=b"A page of text long enough to be kept as a document.", kind="text")
        doc = process_page(page, Context(analyse=False, limits=Limits(max_parse_seconds=0.01)))
        assert doc.status == "ok"  # the outer timer is running: ours is not armed
        time.sleep(0.5)
        assert fired == [1]
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_env_sets_the_parse_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIDINGS_MAX_PARSE_SECONDS", "7.5")
    assert Limits().max_parse_seconds == 7.5
    monkeypatch.setenv("TIDINGS_MAX_PARSE_SECONDS", "nonsense")
    assert Limits().max_parse_seconds == 30.0


# --- network -----------------------------------------------------------------------------------------

def _fake_dns(monkeypatch: pytest.MonkeyPatch, answers: dict[str, list[str]]) -> list[str]:
    """Make `socket.getaddrinfo` answer names from `answers` (one answer list per call, the last one
    repeating); other names resolve normally. Returns the names asked, in order."""
    real = socket.getaddrinfo
    asked: list[str] = []

    def fake(host: str, port: object, *args: object, **kwargs: object) -> list:
        if host in answers:
            asked.append(host)
            queue = answers[host]
            address = queue.pop(0) if len(queue) > 1 else queue[0]
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, int(port or 80)))]  # type: ignore[call-overload]
        return real(host, port, *args, **kwargs)  # type: ignore[arg-type]
    monkeypatch.setattr(socket, "getaddrinfo", fake)
    return asked


def test_dns_rebinding_is_refused(http_server: LocalServer, monkeypatch: pytest.MonkeyPatch) -> None:
    http_server.page("/story", ARTICLE.encode())
    # Public to the check, loopback to the connection. 192.0.2.1 (TEST-NET-1) is never connected to.
    asked = _fake_dns(monkeypatch, {"rebind.example": ["192.0.2.1", "127.0.0.1"]})
    real = web._refused
    monkeypatch.setattr(web, "_refused", lambda a: not a.startswith("192.0.2.") and real(a))
    with pytest.raises(web.FetchError, match=r"refusing rebind.example \(127\.0\.0\.1\)"):
        web.fetch(f"http://rebind.example:{http_server.port}/story")
    assert asked == ["rebind.example", "rebind.example"]  # checked, then resolved again to connect
    assert http_server.requests == []  # refused before a byte was sent


def test_redirects_to_private_addresses_are_refused(http_server: LocalServer,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The test server is the one private address let through; every hop it redirects to is checked."""
    real = web._refused
    monkeypatch.setattr(web, "_refused", lambda a: a != "127.0.0.1" and real(a))
    _fake_dns(monkeypatch, {"intranet.example": ["10.1.2.3"], "meta.example": ["169.254.169.254"]})
    http_server.page("/story", ARTICLE.encode())
    body, _, _ = web.fetch(http_server.url("/story"))
    assert b"Kharkiv" in body  # the seam lets the test server through
    targets = {"/m": "http://169.254.169.254/latest/meta-data/", "/v6": f"http://[::1]:{http_server.port}/story",
               "/ten": "http://10.0.0.1/", "/dns": "http://intranet.example/", "/dns2": "http://meta.example/x",
               "/mapped": f"http://[::ffff:127.0.0.2]:{http_server.port}/story", "/zero": "http://0.0.0.0/"}
    for path, target in targets.items():
        http_server.redirect(path, target)
        with pytest.raises(web.FetchError, match="private, loopback or link-local"):
            web.fetch(http_server.url(path))
    assert [p for p, _ in http_server.requests].count("/story") == 1  # no redirect was followed
    http_server.redirect("/file", "file:///etc/passwd")
    with pytest.raises(web.FetchError, match="only http and https"):
        web.fetch(http_server.url("/file"))


def test_credentials_are_never_sent(http_server: LocalServer, tmp_path: Path,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    http_server.page("/story", ARTICLE.encode())
    url = f"http://user:secret@127.0.0.1:{http_server.port}/story"
    with pytest.raises(web.FetchError, match="credentials"):
        web.fetch(url, allow_private=True)
    http_server.redirect("/r", url)  # a redirect that adds credentials is refused the same way
    with pytest.raises(web.FetchError, match="credentials"):
        web.fetch(http_server.url("/r"), allow_private=True)
    # No netrc, no proxy, no cookie jar from the environment.
    (tmp_path / ".netrc").write_text("machine 127.0.0.1 login user password secret\n")
    monkeypatch.setenv("NETRC", str(tmp_path / ".netrc"))
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9/")
    web.fetch(http_server.url("/story"), allow_private=True)
    for _, headers in http_server.requests:
        lowered = {k.lower() for k in headers}
        assert not lowered & {"authorization", "cookie", "proxy-authorization"}
    assert [p for p, _ in http_server.requests] == ["/r", "/story"]


def test_a_tag_with_100k_attributes_does_not_hang_the_parser() -> None:
    """libxml2 compares a tag's attributes pairwise: such a tag used to keep lxml in C for minutes."""
    import time

    from tidings.clean.html import extract_html

    text = "Shelling hit the town on Monday, officials said, and two people died."
    page = ("<html><body><article><p " + " ".join(f'a{i}="v"' for i in range(100_000)) + f">{text}</p>"
            "</article></body></html>")
    started = time.process_time()
    extracted = extract_html(page)
    assert time.process_time() - started < 20
    assert extracted.text == text  # the tag loses its attributes, the page keeps its text
