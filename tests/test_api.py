"""The JSON API against a real uvicorn server on 127.0.0.1 and a real DuckDB file of synthetic events.

Expected values come from DuckDB queries on the file itself, written independently of the server's SQL."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import httpx
import pytest

from tidings.serve.running import running
from tidings.serve.synthetic import fill
from tidings.store.export import ACLED_COLUMNS

N_EVENTS = 500


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("api") / "ledger.duckdb"
    fill(path, N_EVENTS, seed=7)
    return path


@pytest.fixture(scope="module")
def api(db: Path) -> Iterator[httpx.Client]:
    with running(str(db)) as url, httpx.Client(base_url=url, timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
def con(db: Path, api: httpx.Client) -> Iterator[duckdb.DuckDBPyConnection]:
    # Opened after the server (a second read-only reader of the same file).
    c = duckdb.connect(str(db), read_only=True)
    yield c
    c.close()


def count(con: duckdb.DuckDBPyConnection, where: str = "TRUE", params: list[Any] | None = None) -> int:
    return con.execute(f"SELECT count(*) FROM events WHERE {where}", params or []).fetchone()[0]


def get(api: httpx.Client, path: str, **params: Any) -> dict[str, Any]:
    r = api.get(path, params=params)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    return r.json()


def error(api: httpx.Client, path: str, status: int, **params: Any) -> str:
    r = api.get(path, params=params)
    assert r.status_code == status, r.text
    body = r.json()
    assert body["error"]["status"] == status and body["error"]["message"]
    return body["error"]["message"]


# --- the list and its filters ------------------------------------------------------------------------
def test_unfiltered_list(api: httpx.Client, con: duckdb.DuckDBPyConnection) -> None:
    page = get(api, "/api/events", limit=10)
    assert page["total"] == N_EVENTS == count(con)
    assert len(page["events"]) == 10 and page["next_cursor"]
    dates = [e["event_date"] for e in page["events"]]
    assert dates == sorted(dates, reverse=True)
    assert dates[0] == str(con.execute("SELECT max(event_date) FROM events").fetchone()[0])


@pytest.mark.parametrize(("params", "where", "args"), [
    ({"event_type": "Battles"}, "event_type = ?", ["Battles"]),
    ({"event_type": ["Battles", "Riots"]}, "event_type IN (?, ?)", ["Battles", "Riots"]),
    ({"sub_event_type": "Air/drone strike"}, "sub_event_type = ?", ["Air/drone strike"]),
    ({"date_from": "2024-01-01", "date_to": "2024-03-31"}, "event_date BETWEEN ? AND ?", ["2024-01-01", "2024-03-31"]),
    ({"status": ["denied", "claimed"]}, "status IN ('denied', 'claimed')", []),
    ({"contested": "true"}, "contested", []),
    ({"contested": "false"}, "NOT contested", []),
    ({"country": "Sudan"}, "country = 'Sudan'", []),
    ({"admin1": ["Donetsk", "Kharkiv"]}, "admin1 IN ('Donetsk', 'Kharkiv')", []),
    ({"bbox": "30,45,40,52"}, "longitude BETWEEN 30 AND 40 AND latitude BETWEEN 45 AND 52", []),
    ({"bbox": "170,-90,-60,90"}, "(longitude >= 170 OR longitude <= -60)", []),  # across the antimeridian
    ({"actor": "rapid support"}, "(actor1 ILIKE '%rapid support%' OR actor2 ILIKE '%rapid support%')", []),
    ({"entity": "Q4471"}, "(actor1_id = 'Q4471' OR actor2_id = 'Q4471')", []),
    ({"min_fatalities": 5}, "fatalities >= 5", []),
    ({"event_type": "Battles", "country": "Ukraine", "contested": "false"},
     "event_type = 'Battles' AND country = 'Ukraine' AND NOT contested", []),
])
def test_filters_match_the_database(api: httpx.Client, con: duckdb.DuckDBPyConnection, params: dict[str, Any],
                                    where: str, args: list[Any]) -> None:
    expected = count(con, where, args)
    page = get(api, "/api/events", limit=500, **params)
    assert page["total"] == expected == len(page["events"])
    assert expected > 0, "a filter test needs matching rows to mean anything"
    ids = {r[0] for r in con.execute(f"SELECT event_id FROM events WHERE {where}", args).fetchall()}
    assert {e["event_id"] for e in page["events"]} == ids


def test_search_words_and_stems(api: httpx.Client, con: duckdb.DuckDBPyConnection) -> None:
    place = "Kherson"
    hits = get(api, "/api/events", q=f"{place.lower()} struck", limit=500)
    expected = {r[0] for r in con.execute(
        "SELECT DISTINCT e.event_id FROM events e JOIN event_sources s USING (event_id) "
        "WHERE (s.sentence ILIKE ? OR e.notes ILIKE ?) AND (s.sentence ILIKE '%struck%' OR e.notes ILIKE '%struck%')",
        [f"%{place}%", f"%{place}%"]).fetchall()}
    assert expected and {e["event_id"] for e in hits["events"]} == expected
    # Stemming: "clashes" finds sentences saying "clashed with".
    stemmed = get(api, "/api/events", q="clashes", limit=1)["total"]
    assert stemmed == count(con, "event_id IN (SELECT event_id FROM event_sources WHERE sentence LIKE '%clashed%')")
    assert get(api, "/api/events", q="zzzznotaword")["total"] == 0
    # Stop words only: a substring search, not an error.
    assert get(api, "/api/events", q="the")["total"] > 0


def test_facets(api: httpx.Client, con: duckdb.DuckDBPyConnection) -> None:
    facets = get(api, "/api/facets")
    assert sum(t["events"] for t in facets["event_types"]) == N_EVENTS
    assert facets["search"] == "full-text"
    assert facets["range"]["first"] == str(con.execute("SELECT min(event_date) FROM events").fetchone()[0])


# --- sorting and cursors -----------------------------------------------------------------------------
@pytest.mark.parametrize("sort", ["-date", "date", "-fatalities", "sources"])
def test_cursor_pages_cover_everything_once_in_order(api: httpx.Client, sort: str) -> None:
    seen: list[dict[str, Any]] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 37, "sort": sort, "country": ["Ukraine", "Russia", "Sudan"]}
        if cursor:
            params["cursor"] = cursor
        page = get(api, "/api/events", **params)
        if cursor:  # the same cursor gives the same page again: cursors are stable
            assert get(api, "/api/events", **params)["events"] == page["events"]
        seen += page["events"]
        pages += 1
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == page["total"] == len({e["event_id"] for e in seen})
    assert pages == -(-page["total"] // 37)
    key = {"date": lambda e: e["event_date"] or "", "fatalities": lambda e: e["fatalities"] or -1,
           "sources": lambda e: e["source_count"] or 0}[sort.lstrip("-")]
    pairs = [(key(e), e["event_id"]) for e in seen]
    assert pairs == sorted(pairs, reverse=sort.startswith("-"))


def test_cursor_errors(api: httpx.Client) -> None:
    cursor = get(api, "/api/events", limit=5)["next_cursor"]
    assert "sort" in error(api, "/api/events", 400, cursor=cursor, sort="fatalities")
    assert "cursor" in error(api, "/api/events", 400, cursor="not-a-cursor!!")
    assert "cursor" in error(api, "/api/events", 400, cursor="eyJzIjoiLWRhdGUifQ")  # {"s":"-date"}: no key


# --- errors ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("params", "parameter"), [
    ({"date_from": "yesterday"}, "date_from"),
    ({"date_from": "2024-05-01", "date_to": "2024-01-01"}, "date_from"),
    ({"bbox": "1,2,3"}, "bbox"),
    ({"bbox": "10,60,20,50"}, "bbox"),
    ({"bbox": "10,nan,20,50"}, "bbox"),
    ({"event_type": "Picnic"}, "event_type"),
    ({"status": "rumoured"}, "status"),
    ({"sort": "-colour"}, "sort"),
])
def test_bad_parameters_are_400(api: httpx.Client, params: dict[str, Any], parameter: str) -> None:
    r = api.get("/api/events", params=params)
    assert r.status_code == 400
    assert r.json()["error"]["parameter"] == parameter


@pytest.mark.parametrize(("path", "params"), [
    ("/api/events", {"limit": "many"}), ("/api/events", {"limit": 0}), ("/api/events", {"limit": 501}),
    ("/api/events", {"contested": "perhaps"}), ("/api/events", {"min_fatalities": -1}),
    ("/api/stats", {"zoom": 40}), ("/api/entities", {"offset": -3}),
])
def test_invalid_types_are_422(api: httpx.Client, path: str, params: dict[str, Any]) -> None:
    message = error(api, path, 422, **params)
    assert next(iter(params)) in message


@pytest.mark.parametrize("path", ["/api/events/NOPE", "/api/entities/NOPE", "/api/documents/NOPE",
                                  "/api/download/events.xlsx", "/api/nothing-here", "/nothing-here"])
def test_unknown_ids_and_routes_are_404_json(api: httpx.Client, path: str) -> None:
    error(api, path, 404)


def test_docs_pages_are_off_because_they_load_from_a_cdn(api: httpx.Client) -> None:
    assert api.get("/docs").status_code == 404
    assert api.get("/redoc").status_code == 404


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE"])
@pytest.mark.parametrize("path", ["/api/events", "/api/events/X", "/", "/static/app.js", "/openapi.json"])
def test_read_only_other_methods_are_405(api: httpx.Client, method: str, path: str) -> None:
    r = api.request(method, path, content=b"{}")
    assert r.status_code == 405
    assert r.headers["allow"] == "GET, HEAD"
    assert "read-only" in r.json()["error"]["message"]


def test_head_is_get_without_body(api: httpx.Client) -> None:
    r = api.head("/api/events", params={"limit": 3})
    assert r.status_code == 200 and r.content == b""
    assert r.headers["content-type"].startswith("application/json")


# --- one event, entity, document -------------------------------------------------------------------
def test_contested_event_has_disagreeing_sources_and_claims(api: httpx.Client, con: duckdb.DuckDBPyConnection
                                                            ) -> None:
    event_id = con.execute("SELECT event_id FROM events WHERE contested ORDER BY event_id LIMIT 1").fetchone()[0]
    event = get(api, f"/api/events/{event_id}")
    assert event["contested"] is True and len(event["sources"]) >= 2
    for s in event["sources"]:
        doc = get(api, f"/api/documents/{s['doc_id']}")
        assert doc["text"][s["start"]:s["end"]] == s["sentence"]  # offsets point into the clean text
        assert s["before"] == doc["text"][max(0, s["start"] - 280):s["start"]]
        assert s["attributed_to"] and s["status"]
    fatalities = next(c for c in event["conflicts"] if c["field"] == "fatalities")
    assert len({v["value"] for v in fatalities["values"]}) == 2
    assert event["fatalities"] == min(v["value"] for v in fatalities["values"])
    claims = {c["claim_id"]: c for c in event["claims"]}
    assert len(claims) == 2
    for c in claims.values():
        assert c["contradicts"] and all(other in claims for other in c["contradicts"])


def test_claims_endpoint(api: httpx.Client, con: duckdb.DuckDBPyConnection) -> None:
    body = get(api, "/api/claims", limit=500)
    assert body["total"] == con.execute("SELECT count(*) FROM claims").fetchone()[0]
    denies = get(api, "/api/claims", stance="denies", limit=500)
    assert denies["total"] == con.execute("SELECT count(*) FROM claims WHERE stance = 'denies'").fetchone()[0] > 0
    event_id = body["claims"][0]["event_id"]
    assert all(c["event_id"] == event_id for c in get(api, "/api/claims", event_id=event_id)["claims"])


def test_entities_with_aliases_events_and_mentions(api: httpx.Client, con: duckdb.DuckDBPyConnection) -> None:
    listing = get(api, "/api/entities")
    assert listing["total"] == con.execute("SELECT count(*) FROM entities").fetchone()[0]
    by_alias = get(api, "/api/entities", q="Free Russia Legion")["entities"]
    assert [e["entity_id"] for e in by_alias] == ["Q112003522"]
    entity = get(api, "/api/entities/Q106491157", limit=1000)
    assert "RSF" in entity["aliases"]
    assert entity["event_count"] == count(con, "actor1_id = 'Q106491157' OR actor2_id = 'Q106491157'") > 0
    assert all("Q106491157" in (e["actor1_id"], e["actor2_id"]) for e in entity["events"])
    assert entity["mention_list"] and all(m["text"] == "Rapid Support Forces" for m in entity["mention_list"])


def test_document_spans_boilerplate_and_copies(api: httpx.Client, con: duckdb.DuckDBPyConnection) -> None:
    copy_id, original = con.execute(
        "SELECT doc_id, duplicate_of FROM documents WHERE duplicate_of IS NOT NULL ORDER BY doc_id LIMIT 1").fetchone()
    copy = get(api, f"/api/documents/{copy_id}")
    assert copy["duplicate_of"] == original
    assert original in {d["doc_id"] for d in copy["duplicates"]}
    doc = get(api, f"/api/documents/{original}")
    assert copy_id in {d["doc_id"] for d in doc["duplicates"]}
    assert doc["spans"] and all(doc["text"][s["start"]:s["end"]] == s["sentence"] for s in doc["spans"])
    assert "Subscribe to our newsletter" in doc["boilerplate"]
    assert "raw" not in doc and "minhash" not in doc


# --- stats and the map's clusters ---------------------------------------------------------------------
def test_stats_counts(api: httpx.Client, con: duckdb.DuckDBPyConnection) -> None:
    stats = get(api, "/api/stats", event_type=["Battles", "Protests"], date_from="2024-01-01")
    where = "event_type IN ('Battles', 'Protests') AND event_date >= '2024-01-01'"
    assert stats["totals"]["events"] == count(con, where)
    assert sum(t["events"] for t in stats["by_type"]) == stats["totals"]["events"]
    assert {t["event_type"] for t in stats["by_type"]} == {"Battles", "Protests"}
    # The timeline ignores the date range (so a brushed range can be widened) but keeps the other filters.
    assert sum(d["events"] for d in stats["by_day"]) == count(con, "event_type IN ('Battles', 'Protests')")
    fatalities = con.execute(f"SELECT sum(fatalities) FROM events WHERE {where}").fetchone()[0]
    assert stats["totals"]["fatalities"] == fatalities
    assert "clusters" not in stats


def test_clusters_by_zoom_and_view(api: httpx.Client, con: duckdb.DuckDBPyConnection) -> None:
    world = get(api, "/api/stats", zoom=2, view="-180,-90,180,90")["clusters"]
    assert sum(c["events"] for c in world["clusters"]) == N_EVENTS
    close = get(api, "/api/stats", zoom=6, view="-180,-90,180,90")["clusters"]
    assert len(close["clusters"]) > len(world["clusters"]) and close["cell"] < world["cell"]
    for c in world["clusters"]:
        w, s, e, n = c["bounds"]
        assert w <= c["lon"] <= e and s <= c["lat"] <= n
        assert sum(t["events"] for t in c["types"]) == c["events"]
        assert (c["event_id"] is not None) == (c["events"] == 1)
    ukraine = get(api, "/api/stats", zoom=5, view="22,44,41,53")["clusters"]["clusters"]
    assert sum(c["events"] for c in ukraine) == count(con, "longitude BETWEEN 22 AND 41 AND latitude BETWEEN 44 AND 53")
    assert "view" in error(api, "/api/stats", 400, zoom=3, view="nonsense")
    assert "cells" in error(api, "/api/stats", 400, zoom=12, view="-180,-90,180,90")  # bounded work per request
    assert get(api, "/api/stats", zoom=12, view="36.1,49.9,36.4,50.1")["clusters"]["cell"] < 0.03


# --- downloads and the OpenAPI document ---------------------------------------------------------------
def test_download_acled_csv(api: httpx.Client, con: duckdb.DuckDBPyConnection) -> None:
    r = api.get("/api/download/events.csv", params={"country": "Sudan"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert list(rows[0]) == ACLED_COLUMNS
    assert len(rows) == count(con, "country = 'Sudan'") == int(r.headers["x-event-count"])
    assert {row["country"] for row in rows} == {"Sudan"}


def test_download_jsonl_and_geojson(api: httpx.Client, con: duckdb.DuckDBPyConnection) -> None:
    lines = api.get("/api/download/events.jsonl", params={"contested": "true"}).text.splitlines()
    events = [json.loads(line) for line in lines]
    assert len(events) == count(con, "contested")
    assert all(len(e["sources"]) >= 2 and e["sources"][0]["sentence"] for e in events)
    geo = api.get("/api/download/events.geojson", params={"event_type": "Riots"})
    assert geo.headers["content-type"].startswith("application/geo+json")
    collection = geo.json()
    assert collection["type"] == "FeatureCollection"
    assert len(collection["features"]) == count(con, "event_type = 'Riots'")
    lon, lat = collection["features"][0]["geometry"]["coordinates"]
    assert -180 <= lon <= 180 and -90 <= lat <= 90
    empty = api.get("/api/download/events.csv", params={"q": "zzzznotaword"})
    assert empty.text.strip().split(",") == ACLED_COLUMNS  # a header even when nothing matches


def test_openapi_document(api: httpx.Client) -> None:
    spec = get(api, "/openapi.json")
    assert spec["openapi"].startswith("3.")
    paths = spec["paths"]
    for path in ("/api/events", "/api/events/{event_id}", "/api/entities", "/api/entities/{entity_id}",
                 "/api/documents/{doc_id}", "/api/claims", "/api/stats", "/api/download/events.{fmt}"):
        assert set(paths[path]) == {"get"}, path
        assert "200" in paths[path]["get"]["responses"]
    names = {p["name"] for p in paths["/api/events"]["get"]["parameters"]}
    assert {"date_from", "date_to", "event_type", "sub_event_type", "actor", "country", "admin1", "bbox", "status",
            "contested", "q", "sort", "limit", "cursor"} <= names
    # Every $ref resolves inside the document.
    text = json.dumps(spec)
    for ref in {part.split('"')[0] for part in text.split('"$ref": "')[1:]}:
        node: Any = spec
        for key in ref.removeprefix("#/").split("/"):
            node = node[key]


def test_conflicts_compare_values_not_their_offsets() -> None:
    from tidings.serve.queries import conflicts

    def source(n: int, date: str, place_start: int) -> dict[str, Any]:
        return {"report_id": f"r{n}", "doc_id": f"d{n}", "site": f"site {n}", "attributed_to": None, "status": "reported",
                "values": {"date": {"value": date, "text": "Monday", "start": 3, "end": 9},
                           "place": {"name": "El Fasher", "text": "El Fasher", "start": place_start, "end": place_start + 9},
                           "fatalities": 4}}

    same = conflicts({"sources": [source(1, "2024-06-10", 10), source(2, "2024-06-10", 99)]})
    assert same == []  # the same date and place said at other offsets is agreement
    differ = conflicts({"sources": [source(1, "2024-06-10", 10), source(2, "2024-06-11", 99)]})
    assert [c["field"] for c in differ] == ["date"]
    assert [v["value"] for v in differ[0]["values"]] == ["2024-06-10", "2024-06-11"]
    assert differ[0]["values"][0]["words"] == "Monday"
