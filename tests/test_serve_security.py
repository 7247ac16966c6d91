"""The server's defences: security headers everywhere, no file outside the static folder, read-only
database access, and a loud warning before serving beyond this machine."""

from __future__ import annotations

import gzip
import hashlib
import http.client
import json
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tidings.errors import DatabaseError
from tidings.serve import app as app_module
from tidings.serve.running import running
from tidings.serve.security import STATIC, static_file
from tidings.serve.synthetic import HOSTILE_SCRIPT, fill

SECRET = "TOP-SECRET-CONTENT-OUTSIDE-STATIC"


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sec") / "ledger.duckdb"
    fill(path, 60, seed=3)
    return path


@pytest.fixture(scope="module")
def server(db: Path) -> Iterator[tuple[str, int]]:
    with running(str(db)) as url:
        parts = urlsplit(url)
        yield parts.hostname or "127.0.0.1", parts.port or 80


def raw_get(server: tuple[str, int], path: str, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    """Send the path exactly as written: no client-side normalisation of `..` or percent escapes."""
    conn = http.client.HTTPConnection(*server, timeout=20)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        conn.endheaders()
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


@pytest.mark.parametrize("path", ["/", "/api/events?limit=1", "/static/app.css", "/api/events/NOPE", "/nope",
                                  "/api/events?date_from=bad", "/openapi.json"])
def test_security_headers_on_every_response(server: tuple[str, int], path: str) -> None:
    status, headers, _body = raw_get(server, path)
    if path == "/" and status == 503:
        pytest.skip("the web page is not built (cd web && npm ci && npm run build)")
    csp = headers["content-security-policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    assert "server" not in headers


@pytest.mark.parametrize("path", [
    "/static/../app.py", "/static/..%2fapp.py", "/static/..%2F..%2Fserve%2Fapp.py", "/static/%2e%2e/%2e%2e/app.py",
    "/static/%2e%2e%2f%2e%2e%2fapp.py", "/static/%252e%252e%252fapp.py", "/static/..%5capp.py", "/static/..\\app.py",
    "/static//etc/passwd", "/static/%2fetc%2fpasswd", "/static/%00index.html", "/..%2f..%2fetc%2fpasswd",
    "/static/.%2e/.%2e/.%2e/.%2e/etc/passwd", "/static/../../../../../../etc/passwd", "/static/.hidden",
    "/static/", "/static/dist/index.html",
])
def test_no_path_leaves_the_static_folder(server: tuple[str, int], path: str) -> None:
    status, headers, body = raw_get(server, path)
    assert status in (400, 404), (path, status)
    assert b"def create_app" not in body and b"root:" not in body
    if status == 404:
        assert headers["content-type"].startswith("application/json")


def test_static_file_refuses_escapes_and_symlinks(tmp_path: Path) -> None:
    root = tmp_path / "static"
    root.mkdir()
    (root / "ok.css").write_text("body{}")
    (tmp_path / "secret.txt").write_text(SECRET)
    (root / "link.txt").symlink_to(tmp_path / "secret.txt")
    (root / "sub").mkdir()
    assert static_file("ok.css", root).status_code == 200
    for path in ("../secret.txt", "..%2fsecret.txt", "%2e%2e/secret.txt", "sub/../../secret.txt", "link.txt",
                 str(tmp_path / "secret.txt"), "sub", "", ".", "ok.css\x00.png"):
        response = static_file(path, root)
        assert response.status_code == 404, path
        assert SECRET.encode() not in bytes(getattr(response, "body", b""))


def test_static_assets_have_right_types(server: tuple[str, int]) -> None:
    if not (STATIC / "app.js").is_file():
        pytest.skip("the web page is not built")
    status, headers, _ = raw_get(server, "/static/app.js")
    assert status == 200 and headers["content-type"].startswith("text/javascript")
    status, headers, _ = raw_get(server, "/static/countries-50m.json")
    assert status == 200 and headers["content-type"] == "application/json"


def test_prebuilt_gzip_is_served_to_clients_that_accept_it(server: tuple[str, int]) -> None:
    if not (STATIC / "countries-50m.json.gz").is_file():
        pytest.skip("the web page is not built")
    conn = http.client.HTTPConnection(*server, timeout=20)
    try:
        conn.request("GET", "/static/countries-50m.json", headers={"Accept-Encoding": "gzip"})
        r = conn.getresponse()
        packed, headers = r.read(), {k.lower(): v for k, v in r.getheaders()}
    finally:
        conn.close()
    assert headers["content-encoding"] == "gzip" and headers["content-type"] == "application/json"
    assert "accept-encoding" in headers["vary"].lower()
    plain = raw_get(server, "/static/countries-50m.json")[2]  # no Accept-Encoding: the file as it is
    assert gzip.decompress(packed) == plain == (STATIC / "countries-50m.json").read_bytes()


def test_hostile_text_only_ever_leaves_as_json(server: tuple[str, int]) -> None:
    # The markup is returned as data, typed as JSON (with nosniff), so no browser renders it as a page.
    status, headers, body = raw_get(server, "/api/entities?q=Night%20Wolves")
    assert status == 200 and headers["content-type"] == "application/json"
    assert HOSTILE_SCRIPT in json.loads(body)["entities"][0]["aliases"]


def test_the_database_file_is_never_written(tmp_path: Path) -> None:
    db = tmp_path / "ro.duckdb"
    fill(db, 40, seed=5)
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    with running(str(db)) as url:
        server = (urlsplit(url).hostname or "", urlsplit(url).port or 0)
        for path in ("/api/events?q=struck", "/api/stats?zoom=4", "/api/download/events.csv", "/api/facets"):
            assert raw_get(server, path)[0] == 200
        for method in ("POST", "PUT", "DELETE"):
            assert raw_get(server, "/api/events", method)[0] == 405
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before
    assert not Path(str(db) + ".wal").exists()


def test_a_missing_database_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DatabaseError, match="no database"):
        app_module.create_app(str(tmp_path / "absent.duckdb"))


def test_loopback_by_default_and_a_warning_elsewhere(db: Path, monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    import inspect

    import uvicorn

    from tidings.cli import build_parser

    assert build_parser().parse_args(["serve", "--db", "x.duckdb"]).host == "127.0.0.1"
    assert inspect.signature(app_module.serve).parameters["host"].default == "127.0.0.1"
    calls: list[dict[str, object]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.append(kw))  # record, never bind
    app_module.serve(str(db))
    assert "warning" not in capsys.readouterr().err
    app_module.serve(str(db), host="0.0.0.0", port=8123)
    err = capsys.readouterr().err
    assert "warning" in err and "0.0.0.0:8123" in err
    assert [c["host"] for c in calls] == ["127.0.0.1", "0.0.0.0"]


def test_page_source_never_writes_markup_from_strings() -> None:
    """The front end builds DOM with text nodes only (web/src/dom.ts); no HTML-from-string API anywhere."""
    sources = sorted((Path(__file__).resolve().parents[1] / "web" / "src").glob("*.ts"))
    assert sources, "web/src is missing"
    for path in sources:
        text = re.sub(r"//[^\n]*|/\*.*?\*/", "", path.read_text(encoding="utf-8"), flags=re.S)  # code, not comments
        for api in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function",
                    "setAttribute(\"on", "bindPopup(`", "bindTooltip(`"):
            assert api not in text, f"{path.name} uses {api}"
    index = (Path(__file__).resolve().parents[1] / "web" / "index.html").read_text(encoding="utf-8")
    assert "<script>" not in index and " style=" not in index and not re.search(r"\son[a-z]+\s*=", index)
