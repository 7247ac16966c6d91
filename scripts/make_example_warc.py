"""Rebuild small.warc.gz, the example web archive (deterministic: fixed dates and record ids).

Run: .venv/bin/python scripts/make_example_warc.py
"""

from io import BytesIO
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

PAGES = [
    ("https://borderlands-news.example/myanmar/arakan-army-town", "2024-03-18T08:00:00Z", """<!doctype html>
<html><head><meta charset="utf-8"><title>Arakan Army says it captured town in Rakhine state</title>
<meta property="article:published_time" content="2024-03-18T08:00:00+06:30"></head>
<body><nav><a href="/">Home</a> <a href="/asia">Asia</a> <a href="/video">Video</a></nav>
<article><h1>Arakan Army says it captured town in Rakhine state</h1>
<p>The Arakan Army said on Sunday it had taken control of Ramree town in Myanmar's Rakhine state after weeks of fighting with the military.</p>
<p>A spokesman for the ethnic armed group said its fighters had overrun the last army base in the town. Myanmar's military did not respond to requests for comment.</p>
<p>Residents who fled the town said airstrikes by military jets had killed at least 12 civilians during the battle.</p>
</article><div class="related"><h4>More from Asia</h4><a href="/x">Typhoon season starts early</a></div></body></html>"""),
    ("https://borderlands-news.example/mideast/rafah-strike", "2024-05-07T12:30:00Z", """<!doctype html>
<html><head><meta charset="utf-8"><title>Israeli strikes hit Rafah as troops take border crossing</title>
<meta name="author" content="Leila Haddad"></head>
<body><header><a href="/">Borderlands News</a> | <a href="/mideast">Middle East</a></header>
<article><h1>Israeli strikes hit Rafah as troops take border crossing</h1>
<p class="date">May 7, 2024</p>
<p>Israeli tanks seized the Rafah border crossing between Gaza and Egypt on Tuesday, the Israeli military said.</p>
<p>Overnight Israeli airstrikes on Rafah killed at least 23 people, according to health officials in Gaza. The Israeli military said it struck Hamas targets in the area.</p>
<p>Hamas said its fighters attacked Israeli forces near the crossing with mortar shells.</p>
</article><footer>Sign up for our newsletter | About us | Contact</footer></body></html>"""),
]


def build(path: Path) -> None:
    with open(path, "wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        for i, (url, date, html) in enumerate(PAGES, 1):
            body = html.encode("utf-8")
            http = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8"),
                                               ("Content-Length", str(len(body)))], protocol="HTTP/1.1")
            record = writer.create_warc_record(
                url, "response", payload=BytesIO(body), http_headers=http,
                warc_headers_dict={"WARC-Date": date, "WARC-Record-ID": f"<urn:uuid:00000000-0000-0000-0000-00000000000{i}>"})
            writer.write_record(record)
        # A non-page record, skipped by tidings: an image.
        png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
        http = StatusAndHeaders("200 OK", [("Content-Type", "image/png")], protocol="HTTP/1.1")
        record = writer.create_warc_record(
            "https://borderlands-news.example/logo.png", "response", payload=BytesIO(png), http_headers=http,
            warc_headers_dict={"WARC-Date": "2024-05-07T12:31:00Z",
                               "WARC-Record-ID": "<urn:uuid:00000000-0000-0000-0000-000000000009>"})
        writer.write_record(record)


if __name__ == "__main__":
    build(Path(__file__).resolve().parents[1] / "examples" / "warc" / "small.warc.gz")
