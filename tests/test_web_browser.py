"""The web page in real headless Chromium against a real server: markers, the timeline brush, filters, an
event with its highlighted source sentence, documents, entities, shareable links, and hostile text that
must render as text and run nothing. Screenshots go to artifacts/."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tidings.serve.running import running
from tidings.serve.security import STATIC
from tidings.serve.synthetic import HOSTILE_SCRIPT, fill, synthetic_event_id

pytestmark = pytest.mark.browser
try:
    from playwright.sync_api import expect
except ImportError:  # the fixtures skip these tests
    expect = None  # type: ignore[assignment]

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
N_EVENTS = 500
SEED = 11
WATCH = """
window.__dialogs = 0; window.__violations = [];
document.addEventListener('securitypolicyviolation', e => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));
"""


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not CHROMIUM.exists():
        pytest.skip("needs /usr/bin/chromium (apt-get install chromium)")
    pytest.importorskip("playwright")
    if not (STATIC / "app.js").is_file():
        pytest.skip("the web page is not built: cd web && npm ci && npm run build")
    db = tmp_path_factory.mktemp("web") / "ledger.duckdb"
    fill(db, N_EVENTS, seed=SEED)
    with running(str(db)) as url:
        yield url


@pytest.fixture(scope="module")
def browser(base_url: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    expect.set_options(timeout=20_000)

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Any, base_url: str) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 860}, base_url=base_url)
    # Nothing may leave 127.0.0.1: the page must work offline.
    outside: list[str] = []
    context.route(re.compile(r"^(?!http://127\.0\.0\.1:).*"), lambda route: (outside.append(route.request.url),
                                                                               route.abort()))
    p = context.new_page()
    p.add_init_script(WATCH)
    p.on("dialog", lambda d: (p.evaluate("window.__dialogs++"), d.dismiss()))
    errors: list[str] = []
    p.on("pageerror", lambda e: errors.append(str(e)))
    p.set_default_timeout(20_000)
    yield p
    assert not errors, errors
    assert not [u for u in outside if not u.startswith("data:")], outside
    if p.url != "about:blank":
        assert p.evaluate("window.__violations") == []
    context.close()


def api(base_url: str, path: str, **params: Any) -> Any:
    r = httpx.get(base_url + path, params=params, timeout=30)
    r.raise_for_status()
    return r.json()


def ready(page: Any, path: str = "/") -> None:
    page.goto(path)
    page.wait_for_selector("body[data-ready='1']")
    page.wait_for_selector("#map[data-basemap]")


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"web-{name}.png"))


def totals(page: Any) -> int:
    return int(page.locator("#totals").inner_text().split(" events")[0].replace(",", ""))


def test_page_shows_markers_basemap_and_totals(page: Any, base_url: str) -> None:
    ready(page)
    page.wait_for_selector("#map[data-basemap]")
    map_box = page.locator("#map")
    assert int(map_box.get_attribute("data-basemap")) > 200  # Natural Earth countries
    assert int(map_box.get_attribute("data-clusters")) > 0
    assert int(map_box.get_attribute("data-events")) == N_EVENTS  # the clusters hold every event in view
    assert totals(page) == N_EVENTS
    pies = page.locator("#map .cluster svg")
    assert pies.count() == int(map_box.get_attribute("data-clusters"))
    assert sum(int(n) for n in pies.evaluate_all("els => els.map(e => e.dataset.events)")) == N_EVENTS
    assert page.locator("#map .cluster svg path.slice").count() > 0  # mixed clusters are pies of their types
    assert page.locator("#panel .event-item").count() == 50
    assert page.locator("#timeline rect.bar").count() > 50
    shot(page, "map")


def test_brushing_the_timeline_filters_by_date(page: Any, base_url: str) -> None:
    ready(page)
    box = page.locator("#timeline svg").bounding_box()
    y = box["y"] + box["height"] / 3
    page.mouse.move(box["x"] + box["width"] * 0.40, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.55, y, steps=5)
    page.mouse.up()
    page.wait_for_url(re.compile(r"date_from=.*date_to="))
    page.wait_for_selector("body[data-ready='1']")
    query = dict(re.findall(r"(date_from|date_to)=([0-9-]+)", page.url))
    expected = api(base_url, "/api/events", limit=1, **query)["total"]
    expect(page.locator("#totals")).to_have_text(re.compile(f"^{expected} events"))
    assert 0 < expected < N_EVENTS
    assert page.locator("#timeline rect.bar.out").count() > 0 and page.locator("#timeline rect.bar.in").count() > 0
    assert page.locator("input[name=date_from]").input_value() == query["date_from"]
    shot(page, "brushed")
    page.get_by_role("button", name="All dates").click()
    expect(page.locator("#totals")).to_have_text(re.compile(f"^{N_EVENTS} events"))
    assert "date_from" not in page.url


def test_filter_by_type_then_follow_the_shareable_link(page: Any, browser: Any, base_url: str) -> None:
    ready(page)
    page.locator("input[name=event_type][value='Battles']").check()
    page.wait_for_url(re.compile(r"event_type=Battles"))
    expected = api(base_url, "/api/events", event_type="Battles", limit=1)["total"]
    expect(page.locator("#totals")).to_have_text(re.compile(f"^{expected} events"))
    expect(page.locator("#map")).to_have_attribute("data-events", str(expected))
    first = page.locator("#panel .event-item a").first
    first.click()
    page.wait_for_url(re.compile(r"open=event%3A"))
    page.wait_for_selector("#panel h2.event-title")
    title = page.locator("#panel h2.event-title").inner_text()
    assert "Battles" in title
    event_id = re.search(r"open=event%3A([A-Z0-9]+)", page.url).group(1)
    # The link alone restores the filter and the open event in a fresh page.
    other = browser.new_page(viewport={"width": 1400, "height": 860})
    try:
        other.goto(page.url)
        other.wait_for_selector("body[data-ready='1']")
        other.wait_for_selector("#panel h2.event-title")
        assert other.locator("input[name=event_type][value='Battles']").is_checked()
        assert other.locator("#panel .event-id").inner_text().startswith(event_id)
        assert totals(other) == expected
        shot(other, "shared-link")
    finally:
        other.close()
    page.go_back()
    page.wait_for_selector("#panel .event-item")


def test_event_panel_highlights_sentences_and_shows_conflicts(page: Any, base_url: str) -> None:
    ready(page, "/?contested=true")
    page.locator("#panel .event-item a").first.click()
    page.wait_for_selector("#panel mark.sentence")
    event_id = re.search(r"open=event%3A([A-Z0-9]+)", page.url).group(1)
    event = api(base_url, f"/api/events/{event_id}")
    marks = page.locator("#panel mark.sentence").all_inner_texts()
    assert marks == [s["sentence"] for s in event["sources"]]
    context = page.locator("#panel blockquote.context").first.inner_text()
    assert event["sources"][0]["sentence"] in context and len(context) > len(event["sources"][0]["sentence"])
    conflict = page.locator("#panel .conflicts table").first
    values = conflict.locator("td.value").all_inner_texts()
    assert len(set(values)) == 2  # both fatality counts, side by side
    assert page.locator("#panel .claims li").count() == 2
    assert page.locator("#panel .claims li .contradicts a").count() == 2  # each claim links the one it opposes
    assert page.locator("#panel .badge.contested").count() == 1
    page.wait_for_selector("#map path.selected-event")  # the event's place is ringed on the map
    assert "exact day" in page.locator("#panel .facts").inner_text() or "week" in page.locator(
        "#panel .facts").inner_text() or "month" in page.locator("#panel .facts").inner_text()
    shot(page, "event")
    # From a source to its document, with that sentence marked in the clean text.
    page.locator("#panel article.source header a").first.click()
    page.wait_for_selector("#panel .doc-text a.hl mark")
    assert page.locator("#panel .doc-text a.hl mark").inner_text() == event["sources"][0]["sentence"]
    assert page.locator("#panel pre.boilerplate").is_hidden()
    page.get_by_role("button", name="Show removed boilerplate").click()
    assert "Subscribe to our newsletter" in page.locator("#panel pre.boilerplate").inner_text()
    shot(page, "document")
    # A marked span leads back to its event.
    page.locator("#panel .doc-text a.hl").click()
    page.wait_for_selector("#panel h2.event-title")
    assert f"open=event%3A{event_id}" in page.url


def test_entity_page_lists_aliases_and_filters_the_map(page: Any, base_url: str) -> None:
    ready(page)
    page.get_by_role("link", name="Actors").click()
    page.wait_for_selector("#panel ul.entities li")
    assert page.locator("#panel ul.entities li").count() == api(base_url, "/api/entities")["total"]
    page.fill("input[name=entity_q]", "Free Russia Legion")  # an alias finds the entity
    page.press("input[name=entity_q]", "Enter")
    expect(page.locator("#panel ul.entities li")).to_have_count(1)
    page.locator("#panel ul.entities li a").click()
    page.wait_for_selector("#panel h2.entity-name")
    assert "open=entity%3AQ112003522" in page.url
    aliases = page.locator("#panel ul.aliases li").all_inner_texts()
    assert "Free Russia Legion" in aliases and "Freedom for Russia Legion" in aliases
    page.get_by_role("button", name="Show only its events on the map").click()
    page.wait_for_url(re.compile(r"[?&]entity=Q112003522"))
    expected = api(base_url, "/api/events", entity="Q112003522", limit=1)["total"]
    expect(page.locator("#totals")).to_have_text(re.compile(f"^{expected} events"))
    shot(page, "entity")


def test_search_box(page: Any, base_url: str) -> None:
    ready(page)
    page.fill("#q", "Omdurman")
    page.press("#q", "Enter")
    page.wait_for_url(re.compile(r"q=Omdurman"))
    expected = api(base_url, "/api/events", q="Omdurman", limit=1)["total"]
    expect(page.locator("#totals")).to_have_text(re.compile(f"^{expected} events"))
    assert 0 < expected < N_EVENTS


def test_hostile_text_renders_as_text_and_runs_nothing(page: Any, base_url: str) -> None:
    hostile = api(base_url, "/api/events", actor="Night Wolves", limit=5)["events"]
    assert hostile
    first = api(base_url, f"/api/events/{synthetic_event_id(SEED, 0)}")
    docs = [api(base_url, f"/api/documents/{s['doc_id']}") for s in first["sources"]]
    hostile_doc = next(d for d in docs if d["source"].endswith("/0000001.html"))
    assert "<script>" in hostile_doc["title"] and "javascript:" in hostile_doc["url"]
    views = ["/?actor=Night%20Wolves", f"/?open=event:{hostile[0]['event_id']}", "/?open=entity:syn-hostile",
             f"/?open=event:{first['event_id']}", f"/?open=doc:{hostile_doc['doc_id']}"]
    for view in views:
        ready(page, view)
        page.wait_for_selector("#panel h2")
        page.wait_for_timeout(300)  # give any injected handler a chance to fire
        assert page.evaluate("window.__pwned") is None, view
        assert page.evaluate("window.__dialogs") == 0, view
        # Nothing from the data became markup: one script (ours), no injected images, handlers or js: links.
        assert page.locator("script").count() == 1
        assert page.locator("#panel img, #panel b, #panel [onerror], #panel [onmouseover]").count() == 0
        assert page.locator("a[href^='javascript']").count() == 0
    assert HOSTILE_SCRIPT in page.locator("#panel .doc-text").inner_text()
    assert page.locator("#panel h2.doc-title").inner_text().startswith("<script>")
    page.locator("#panel h2.doc-title").hover()
    page.get_by_role("button", name="Show removed boilerplate").click()
    assert "javascript:" in page.locator("#panel pre.boilerplate").inner_text()
    assert page.evaluate("window.__pwned") is None
    shot(page, "hostile-document")
    ready(page, "/?open=entity:syn-hostile")
    page.wait_for_selector("#panel h2.entity-name")
    assert "onmouseover" in page.locator("#panel h2.entity-name").inner_text()
    page.locator("#panel h2.entity-name").hover()
    assert page.evaluate("window.__pwned") is None
    shot(page, "hostile-entity")
