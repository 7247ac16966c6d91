"""HTML extraction: body, metadata precedence, hostile input, and the benchmarks when data exist."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tidings.clean.html import Extracted, extract_html

PARAS = [
    "KYIV, Ukraine — A group calling itself the Freedom of Russia Legion said on Monday that its fighters had "
    "crossed into the Belgorod region, a claim the Kremlin rejected as a provocation by Ukrainian saboteurs.",
    "Kyiv said the fighters were Russian citizens acting on their own, and CBS News cannot independently "
    "verify the group's claims about the number of villages it controls.",
    "The regional governor said two civilians were wounded by shelling overnight and that residents of several "
    "border villages had been evacuated to shelters further from the frontier.",
    "Russia's defence ministry said its forces had repelled the incursion and killed more than seventy fighters, "
    "a figure that could not be confirmed by reporters working in the area on Tuesday.",
]

PAGE = f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>EXCLUSIVE: Legion claims raid into Belgorod | The Daily Planet</title>
<meta property="og:site_name" content="The Daily Planet">
<meta property="article:published_time" content="2023-05-22T09:30:00+03:00">
<script type="application/ld+json">{{"@type": "NewsArticle", "headline": "EXCLUSIVE: Legion claims raid into Belgorod",
"author": {{"@type": "Person", "name": "Jane Doe"}}, "datePublished": "2023-05-22T09:30:00+03:00"}}</script>
</head><body>
<header><nav><ul><li><a href="/">Home</a></li><li><a href="/world">World</a></li><li><a href="/sport">Sport</a></li></ul></nav></header>
<main><article><h1>EXCLUSIVE: Legion claims raid into Belgorod</h1>
<div class="share"><a href="#">Share on Facebook</a> <a href="#">Tweet</a></div>
{"".join(f"<p>{p}</p>" for p in PARAS)}
</article>
<aside class="related"><h3>Related</h3><ul><li><a href="/a">Markets slide as oil rises</a></li>
<li><a href="/b">Ten recipes for summer</a></li></ul></aside></main>
<footer><p>Subscribe to our newsletter</p><p>© 2023 The Daily Planet. All rights reserved.</p></footer>
</body></html>"""


def test_body_and_metadata() -> None:
    out = extract_html(PAGE, url="https://example.org/legion")
    assert isinstance(out, Extracted)
    for p in PARAS:
        assert p in out.text
    for junk in ("Ten recipes", "Subscribe to our newsletter", "All rights reserved", "Tweet"):
        assert junk not in out.text
    assert "Ten recipes for summer" in out.boilerplate
    assert out.title == "Legion claims raid into Belgorod"
    assert out.author == "Jane Doe"
    assert out.published == "2023-05-22T09:30:00+03:00"
    assert out.published_from == "json-ld"
    assert out.site == "The Daily Planet"
    assert out.url == "https://example.org/legion"
    assert out.language == "en"
    assert "\n\n" not in out.text


def test_dateline_in_text_when_head_has_none() -> None:
    page = "<html><body><article><h1>Shelling in Kharkiv</h1><p>By Olena Petrenko</p><p>Published: 20.11.2023</p>" + "".join(
        f"<p>{p}</p>" for p in PARAS) + "</article></body></html>"
    out = extract_html(page)
    assert out.published == "2023-11-20"
    assert out.published_from in ("htmldate", "text-line")
    assert out.author == "Olena Petrenko"


def test_cyrillic_languages() -> None:
    ru = ("<html><body><article>" + "<p>Кремль назвал их диверсионной группой, работающей на Украину, а Киев заявил, "
          "что они действовали самостоятельно. Губернатор сообщил о двух раненых.</p>" * 3 + "</article></body></html>")
    uk = ("<html><body><article>" + "<p>Київ заявив, що вони діяли самостійно, а Кремль назвав їх диверсійною групою. "
          "Губернатор повідомив про двох поранених цивільних.</p>" * 3 + "</article></body></html>")
    assert extract_html(ru).language == "ru"
    assert extract_html(uk).language == "uk"
    # a cp1251 page whose bytes were read as Latin-1 still comes out Russian
    assert extract_html(ru.encode("cp1251").decode("latin-1")).language == "ru"


@pytest.mark.parametrize(
    "bad",
    ["", "   ", "<<<<>>>>", "<html><body><p>unclosed <b><i><table><tr><td>", "\x00\x01\x02\xff" * 500,
     "<div>" * 50_000, "<p>" + "x" * 4_000_000 + "</p>", "<?xml version='1.0'?><rss></rss>"],
)
def test_hostile_input_never_raises(bad: str) -> None:
    start = time.perf_counter()
    out = extract_html(bad)
    assert isinstance(out, Extracted)
    assert isinstance(out.text, str)
    assert time.perf_counter() - start < 30


@settings(max_examples=40, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("<>/=\"' abcdpiv\n&;#!-")), max_size=2000))
def test_fuzzed_markup_never_raises(raw: str) -> None:
    assert isinstance(extract_html(raw).text, str)


DATA = Path(os.environ.get("TIDINGS_SHARED_DATA", "/work/shared/data"))


@pytest.mark.shared_data
def test_fundus_dev_sample_not_worse_than_trafilatura() -> None:
    if not (DATA / "web" / "fundus").is_dir():
        pytest.skip("shared evaluation data absent")
    from tidings.eval.extraction import run

    m = run(DATA, "dev", limit=12, benchmarks=["fundus"])
    assert m["fundus_tidings_body_f1"] >= m["fundus_trafilatura_body_f1"] - 0.01
    assert m["fundus_tidings_date_acc"] >= m["fundus_trafilatura_date_acc"]
