"""The whole ledger on the examples: events, entities and claims with the export contract and provenance."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, export_jsonl, run_cli

EVENT_FIELDS = ("event_id event_date time_precision event_type sub_event_type actor1 assoc_actor_1 actor2 "
                "assoc_actor_2 location admin1 country latitude longitude geo_precision fatalities injuries status "
                "contested notes sources").split()
ENTITY_FIELDS = "entity_id name type aliases wikidata country mentions documents".split()
CLAIM_FIELDS = "claim_id doc_id text attributed_to cue stance event_id".split()
SOURCE_FIELDS = "doc_id url site published sentence start end attributed_to cue status".split()


@pytest.fixture(scope="module")
def ledger(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("ledger") / "examples.duckdb"
    out = run_cli("run", str(EXAMPLES), "--db", str(db), "--workers", "2")
    assert out.returncode == 0, out.stderr.decode()
    return db


def test_contract_fields(ledger: Path) -> None:
    events = export_jsonl(ledger, "events")
    assert events
    for e in events:
        assert set(EVENT_FIELDS) <= set(e)
        assert e["sources"], "an event without a verbatim source sentence does not exist"
        for s in e["sources"]:
            assert set(SOURCE_FIELDS) <= set(s)
    for e in export_jsonl(ledger, "entities"):
        assert set(ENTITY_FIELDS) <= set(e) and isinstance(e["aliases"], list)
    for c in export_jsonl(ledger, "claims"):
        assert set(CLAIM_FIELDS) <= set(c)


def test_sources_are_verbatim_with_offsets(ledger: Path) -> None:
    docs = {d["doc_id"]: d for d in export_jsonl(ledger, "documents")}
    for e in export_jsonl(ledger, "events"):
        for s in e["sources"]:
            assert docs[s["doc_id"]]["text"][s["start"]:s["end"]] == s["sentence"]
            assert s["status"] in ("reported", "claimed", "alleged", "denied", "unverified")


def test_copies_count_once_but_every_outlet_is_kept(ledger: Path) -> None:
    docs = export_jsonl(ledger, "documents")
    farm = next(d for d in docs if d["source"].endswith("belgorod-contentfarm-copy.txt"))
    events = [e for e in export_jsonl(ledger, "events") if any(s["doc_id"] == farm["doc_id"] for s in e["sources"])]
    assert events
    for e in events:
        copies = [s for s in e["sources"] if s["doc_id"] == farm["doc_id"]]
        assert all(s.get("copy_of") == farm["duplicate_of"] for s in copies)
        # The copy's report sits in the same incident as the original's, not in an incident of its own.
        assert any(s["doc_id"] == farm["duplicate_of"] for s in e["sources"])


def test_casualties_and_place(ledger: Path) -> None:
    events = export_jsonl(ledger, "events")
    dnipro = [e for e in events if e["location"] == "Dnipro" and e["fatalities"] is not None]
    assert dnipro and dnipro[0]["fatalities"] == 2 and dnipro[0]["injuries"] == 30
    assert dnipro[0]["country"] == "Ukraine" and dnipro[0]["geo_precision"] == 1
    assert abs(dnipro[0]["latitude"] - 48.45) < 0.3 and abs(dnipro[0]["longitude"] - 35.04) < 0.3
    sport = [e for e in events if any("penalties" in s["sentence"] for s in e["sources"])]
    assert not sport, "a football match is not an event"


def test_entity_aliases_accumulate_across_documents(ledger: Path) -> None:
    entities = {e["name"]: e for e in export_jsonl(ledger, "entities")}
    rvc = entities["Russian Volunteer Corps"]
    assert rvc["documents"] >= 2 and any("Corp" in a and "Corps" not in a for a in rvc["aliases"])
    out = run_cli("show", "entity", "Russian Volunteer Corps", "--db", str(ledger))
    assert out.returncode == 0 and "aliases:" in out.stdout.decode()


def test_exports_in_every_format(ledger: Path, tmp_path: Path) -> None:
    for what, fmt in (("events", "acled-csv"), ("events", "geojson"), ("events", "parquet"), ("events", "csv"),
                      ("entities", "parquet"), ("claims", "csv"), ("documents", "parquet")):
        target = tmp_path / f"{what}.{fmt}"
        out = run_cli("export", "--db", str(ledger), "--what", what, "--format", fmt, "--out", str(target))
        assert out.returncode == 0, out.stderr.decode()
        assert target.stat().st_size > 0
    header = (tmp_path / "events.acled-csv").read_text().splitlines()[0]
    assert header.startswith("event_id_cnty,event_date,year,time_precision,disorder_type,event_type,sub_event_type")
    geo = json.loads((tmp_path / "events.geojson").read_text())
    assert geo["type"] == "FeatureCollection" and geo["features"]
    import pyarrow.parquet as pq
    assert pq.read_table(tmp_path / "events.parquet").num_rows == len(export_jsonl(ledger, "events"))
    bad = run_cli("export", "--db", str(ledger), "--what", "entities", "--format", "geojson")
    assert bad.returncode == 2 and "events only" in bad.stderr.decode()


def test_rerun_changes_nothing(ledger: Path) -> None:
    before = export_jsonl(ledger, "events")
    out = run_cli("run", str(EXAMPLES), "--db", str(ledger))
    assert out.returncode == 0
    assert export_jsonl(ledger, "events") == before
