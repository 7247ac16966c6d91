"""`tidings run` end to end on every input format and every failure class, with a real DuckDB file."""

from __future__ import annotations

import gzip
import json
from io import BytesIO
from pathlib import Path

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from tests.conftest import EXAMPLES, export_jsonl, run_cli

ARTICLE = """<!doctype html><html><head><meta charset="utf-8"><title>Shelling hits Kharkiv</title>
<meta property="article:published_time" content="2024-02-10T09:00:00+02:00"></head><body>
<nav><a href="/">Home</a> <a href="/world">World</a> <a href="/sport">Sport</a></nav>
<article><h1>Shelling hits Kharkiv</h1>
<p>Russian shelling hit a residential district of Kharkiv on Saturday morning, damaging dozens of homes and
a school, the city's mayor said in a statement posted on his Telegram channel.</p>
<p>Emergency services said three people were wounded and taken to hospital. Firefighters worked for several
hours to put out fires in two apartment buildings, according to the regional administration.</p>
<p>The city, about 30 kilometres from the Russian border, has been a frequent target of missile and drone
attacks since the start of the full-scale invasion, local officials said.</p>
</article><footer>Subscribe to our newsletter</footer></body></html>"""

CONTRACT = "doc_id source url title author site published language text status error duplicate_of".split()


def _warc(records: list[tuple[str, bytes]]) -> bytes:
    buf = BytesIO()
    writer = WARCWriter(buf, gzip=True)
    for url, body in records:
        http = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
        writer.write_record(writer.create_warc_record(url, "response", payload=BytesIO(body), http_headers=http))
    return buf.getvalue()


def _by_source(docs: list[dict]) -> dict[str, dict]:
    return {Path(d["source"].split("#")[0]).name + ("#" + d["source"].split("#")[1] if "#" in d["source"] else ""): d
            for d in docs}


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    root = tmp_path / "pages"
    (root / "nested" / "deeper").mkdir(parents=True)
    (root / "article.html").write_text(ARTICLE, encoding="utf-8")
    (root / "nested" / "deeper" / "article-copy.htm.gz").write_bytes(
        gzip.compress(ARTICLE.replace("Home", "Start").encode(), mtime=0))
    (root / "notes.md").write_text("# Field notes\n\nProtesters gathered in the square on Monday and marched "
                                   "to the parliament building, where police detained several of them.\n")
    (root / "records.jsonl").write_text("\n".join([
        json.dumps({"id": "a1", "text": "Fighting continued near Bakhmut on Tuesday, the army said.",
                    "published": "2023-03-07T10:00:00Z", "title": "Bakhmut"}),
        "{not json",
        json.dumps({"id": "a2", "html": "<p>Drone attack on an oil depot in Bryansk region overnight.</p>",
                    "url": "https://example.org/a2"}),
        json.dumps({"id": "a3", "note": "no text here"}),
    ]) + "\n")
    (root / "one.json").write_text(json.dumps({"text": "A single record in a .json file.", "title": "One"}))
    (root / "feed.xml").write_text("""<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom">
      <title>Atom test</title><entry><id>tag:x,2024:1</id><title>Entry one</title>
      <link href="https://example.org/e1"/><updated>2024-04-01T12:00:00Z</updated>
      <content type="html">&lt;p&gt;Police arrested two men over the arson attack, officials said.&lt;/p&gt;</content>
      </entry></feed>""")
    (root / "crawl.warc.gz").write_bytes(_warc([("https://example.org/w1", ARTICLE.replace("Kharkiv", "Sumy")
                                                 .encode())]))
    # Failure classes.
    (root / "empty.html").write_bytes(b"")
    (root / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    (root / "blob.txt").write_bytes(b"\x00\x01\x02\x03binary\x00\xff" * 200)
    (root / "truncated.html.gz").write_bytes(gzip.compress(ARTICLE.encode())[:200])
    (root / "malformed.html").write_text("<html><body><div><p>Unclosed <b>tags <i>everywhere " * 50)
    odesa = ARTICLE.replace("Kharkiv", "Odesa").encode()
    full = _warc([("https://example.org/t1", odesa), ("https://example.org/t2", odesa + b" ")])
    (root / "cut.warc.gz").write_bytes(full[: len(full) - 150])
    (root / "odd name with spaces & ünïcode.txt").write_text("An ordinary line of text in an oddly named file "
                                                             "that reports nothing in particular today.")
    (root / "ru.html").write_bytes(
        ("<html><head><meta charset='windows-1251'><title>Новости</title></head><body><article><p>"
         + "Губернатор Белгородской области сообщил, что в результате обстрела пострадали три человека. " * 4
         + "</p></article></body></html>").encode("cp1251"))
    (root / "ru-undeclared.txt").write_bytes(
        ("Российские войска обстреляли Харьков в понедельник, сообщили местные власти. " * 3).encode("cp1251"))
    (root / "latin1.txt").write_bytes("Le président a déclaré que l'armée française a quitté la région. "
                                      "Les soldats ont été accueillis à Paris.".encode("latin-1"))
    return root


def test_every_format_and_failure_class(corpus: Path, tmp_path: Path) -> None:
    db = tmp_path / "ledger.duckdb"
    result = run_cli("run", str(corpus), "--db", str(db), "--no-analyse", "--workers", "2")
    assert result.returncode == 0, result.stderr.decode()
    summary = result.stderr.decode().strip().splitlines()[-1]
    assert summary.startswith("documents: ") and "failed" in summary

    docs = export_jsonl(db, "documents")
    for d in docs:
        assert set(CONTRACT) <= set(d)
    by = _by_source(docs)
    assert by["article.html"]["status"] == "ok"
    assert by["article.html"]["title"] == "Shelling hits Kharkiv"
    assert by["article.html"]["published"].startswith("2024-02-10T09:00:00")
    assert "residential district of Kharkiv" in by["article.html"]["text"]
    assert "Subscribe" not in by["article.html"]["text"]
    # Same story, other chrome: one of the two points at the other (same date and length: lowest id wins).
    pair = {by["article-copy.htm.gz"]["duplicate_of"], by["article.html"]["duplicate_of"]}
    assert pair - {None} and pair - {None} <= {by["article.html"]["doc_id"], by["article-copy.htm.gz"]["doc_id"]}
    assert by["notes.md"]["status"] == "ok"
    assert by["records.jsonl#a1"]["published"] == "2023-03-07T10:00:00+00:00"
    assert by["records.jsonl#a1"]["title"] == "Bakhmut"
    assert by["records.jsonl#line-2"]["status"] == "unsupported" and "invalid JSON" in by["records.jsonl#line-2"]["error"]
    assert "Bryansk" in by["records.jsonl#a2"]["text"] and by["records.jsonl#a2"]["url"] == "https://example.org/a2"
    assert "neither a `text` nor an `html`" in by["records.jsonl#a3"]["error"]
    assert by["one.json#record-1"]["title"] == "One"
    atom = by["feed.xml#tag:x,2024:1"]
    assert atom["title"] == "Entry one" and "arrested two men" in atom["text"]
    assert atom["published"].startswith("2024-04-01T12:00:00")
    warc_docs = [d for d in docs if d["source"].startswith(str(corpus / "crawl.warc.gz") + "#")]
    assert len(warc_docs) == 1 and "Sumy" in warc_docs[0]["text"] and warc_docs[0]["url"] == "https://example.org/w1"

    assert by["empty.html"]["status"] == "empty"
    assert by["image.png"]["status"] == "unsupported"
    assert by["blob.txt"]["status"] == "unsupported" and "binary" in by["blob.txt"]["error"]
    assert by["truncated.html.gz"]["status"] == "unsupported" and "truncated gzip" in by["truncated.html.gz"]["error"]
    assert by["malformed.html"]["status"] in ("ok", "empty")
    cut = [d for d in docs if d["source"].startswith(str(corpus / "cut.warc.gz"))]
    assert [d["status"] for d in cut].count("ok") == 1, cut  # the whole first record is kept
    assert any("truncated" in (d["error"] or "") and "WARC" in (d["error"] or "") for d in cut), cut
    assert by["odd name with spaces & ünïcode.txt"]["status"] == "ok"
    assert "Белгородской" in by["ru.html"]["text"] and by["ru.html"]["language"] == "ru"
    assert "Российские войска" in by["ru-undeclared.txt"]["text"]
    assert "président" in by["latin1.txt"]["text"]


def test_rerun_is_idempotent_and_adds_only_new(corpus: Path, tmp_path: Path) -> None:
    db = tmp_path / "ledger.duckdb"
    assert run_cli("run", str(corpus), "--db", str(db), "--no-analyse", "--workers", "1").returncode == 0
    first = export_jsonl(db, "documents")
    again = run_cli("run", str(corpus), "--db", str(db), "--no-analyse")
    assert again.returncode == 0
    assert " 0 new," in again.stderr.decode()
    assert export_jsonl(db, "documents") == first
    (corpus / "later.txt").write_text("A new page arrived later about a protest in the capital on Friday.")
    third = run_cli("run", str(corpus), "--db", str(db), "--no-analyse")
    assert " 1 new," in third.stderr.decode()
    assert len(export_jsonl(db, "documents")) == len(first) + 1


def test_same_bytes_under_two_names_is_one_document(tmp_path: Path) -> None:
    (tmp_path / "a.html").write_text(ARTICLE)
    (tmp_path / "b.html").write_text(ARTICLE)
    db = tmp_path / "x.duckdb"
    out = run_cli("run", str(tmp_path / "a.html"), str(tmp_path / "b.html"), "--db", str(db), "--no-analyse")
    assert out.returncode == 0
    assert "2 seen, 1 new, 1 already stored" in out.stderr.decode()


def test_stdin_and_globs(tmp_path: Path) -> None:
    db = tmp_path / "x.duckdb"
    out = run_cli("run", "-", "--db", str(db), "--no-analyse", stdin=ARTICLE.encode())
    assert out.returncode == 0, out.stderr.decode()
    (tmp_path / "g1.txt").write_text("First globbed page, long enough to be a page of text about events.")
    (tmp_path / "g2.txt").write_text("Second globbed page, long enough to be a page of text about events.")
    out = run_cli("run", str(tmp_path / "g*.txt"), "--db", str(db), "--no-analyse")
    assert "2 seen, 2 new" in out.stderr.decode()
    sources = {d["source"] for d in export_jsonl(db, "documents")}
    assert "-" in sources


def test_usage_errors_exit_nonzero_with_one_line(tmp_path: Path) -> None:
    out = run_cli("run", str(tmp_path / "missing"), "--db", str(tmp_path / "x.duckdb"))
    assert out.returncode == 2
    assert out.stderr.decode().strip().startswith("tidings: error: no such file")
    assert "Traceback" not in out.stderr.decode()
    bad = tmp_path / "not-a-db.duckdb"
    bad.write_bytes(b"this is not a database at all" * 100)
    (tmp_path / "p.txt").write_text("Some page text that is long enough to keep around.")
    out = run_cli("run", str(tmp_path / "p.txt"), "--db", str(bad))
    assert out.returncode == 3 and "Traceback" not in out.stderr.decode()
    out = run_cli("export", "--db", str(tmp_path / "nope.duckdb"), "--what", "documents")
    assert out.returncode == 3 and "no database" in out.stderr.decode()


def test_examples_run(tmp_path: Path) -> None:
    db = tmp_path / "examples.duckdb"
    out = run_cli("run", str(EXAMPLES), "--db", str(db), "--no-analyse")
    assert out.returncode == 0, out.stderr.decode()
    docs = export_jsonl(db, "documents")
    assert all(d["status"] == "ok" for d in docs), [(d["source"], d["error"]) for d in docs if d["status"] != "ok"]
    farm = next(d for d in docs if d["source"].endswith("belgorod-contentfarm-copy.txt"))
    original = next(d for d in docs if d["source"].endswith("belgorod-incursion.html"))
    assert farm["duplicate_of"] == original["doc_id"]  # earliest published wins
    assert farm["author"] == "NewsBot Staff Writer" and original["author"] == "Maria Kovalenko"
    scraped = next(d for d in docs if d["source"].endswith("dnipro-strike-scraped.txt"))
    assert "slammed into a clinic in Dnipro" in scraped["text"]
    for junk in ("Sign up for our newsletter", "Stock markets close higher", "12 comments", "4 min read",
                 "is a correspondent covering"):
        assert junk not in scraped["text"]
