"""Incident reports vs references in running news text, and the VOA event-sentence evaluation."""

from __future__ import annotations

import json
import os
from importlib import resources
from pathlib import Path

import pytest

from tidings.events.classify import classify_sentence, sub_event_types
from tidings.events.detect import detect_events


@pytest.mark.parametrize(
    "sentence",
    [
        "The separatist group quickly claimed responsibility for the brazen attack.",
        "The governor condemned the attack and promised a full investigation.",
        "The president later confirmed the commander's killing in a post on social media.",
        "The journalist's arrest drew international condemnation.",
        "Officials blamed several recent attacks on militants based across the border.",
        "Since the beginning of the year, the group has ramped up attacks on settlers.",
        "The rebel movement has been fighting a deadly insurgency for two decades.",
        "An emergency was declared at the district hospital to receive the injured.",
        "The minister said the attack was orchestrated by commanders abroad.",
        "Witnesses took cover soon after the attack, a railway official said.",
        "He was charged with murder and assault after the trial opened on Monday.",
        "Security forces have arrested at least 900 people for joining the marches since January.",
        "Thousands began protesting late last year over rising bread prices.",
        "The protest leaders signed a power-sharing deal with the army.",
        "The coalition has not agreed to the ceasefire yet.",
        "This is a demonstration of our commitment to the region, the envoy said.",
        "The city pledged to keep fighting corruption in the police force.",
    ],
)
def test_references_are_not_incidents(sentence: str) -> None:
    assert classify_sentence(sentence) is None, sentence


@pytest.mark.parametrize(
    ("sentence", "sub"),
    [
        ("The train, with 450 passengers on board, came under a gun attack on Tuesday.", "Attack"),
        ("Five guards were killed in the attack and the ensuing battle with the raiders.", "Armed clash"),
        ("On 3 March, there was an armed clash between the two armies near the bridge.", "Armed clash"),
        ("The attack on the checkpoint killed four soldiers.", "Armed clash"),
        ("Police said the raid led to the arrest of another five people in the city.", "Arrests"),
        ("The army said it killed 33 fighters in a clearance operation that lasted 30 hours.", "Armed clash"),
        ("Hundreds of farmers staged a protest in the capital against the land law.", "Peaceful protest"),
    ],
)
def test_reports_keep_their_coding(sentence: str, sub: str) -> None:
    coding = classify_sentence(sentence)
    assert coding is not None, sentence
    assert coding.sub_event_type == sub


def test_story_keeps_incidents_and_drops_reactions() -> None:
    story = (
        "Gunmen attacked a hotel in the town of Kora on Tuesday, killing at least five people. "
        "The militant group claimed responsibility for the attack. "
        "The prime minister condemned the attack as cowardly. "
        "Security forces later killed all six attackers after an 18-hour siege. "
        "The group has carried out frequent bombings in the region since 2009."
    )
    events = detect_events(story)
    starts = [story[e.sentence_start : e.sentence_start + 12] for e in events]
    assert starts == ["Gunmen attac", "Security for"]


def test_label_file_is_well_formed() -> None:
    text = resources.files("tidings.data").joinpath("news_event_labels.jsonl").read_text(encoding="utf-8")
    rows = [json.loads(line) for line in text.splitlines() if line.strip()]
    subs = set(sub_event_types())
    assert len({r["story_id"] for r in rows}) >= 30
    for r in rows:
        assert set(r) == {"story_id", "start", "end", "is_event", "sub_event_type"}
        assert r["story_id"].isdigit() and 0 <= r["start"] < r["end"]
        assert (r["sub_event_type"] in subs) if r["is_event"] else r["sub_event_type"] is None


def test_split_holds_out_a_third() -> None:
    from tidings.eval.news_events import in_split, load_labels

    ids = list(load_labels())
    check = [i for i in ids if in_split(i, "check")]
    assert 0.25 < len(check) / len(ids) < 0.42
    assert not any(in_split(i, "dev") for i in check)


def test_news_events_eval(tmp_path: Path) -> None:
    from tidings.eval import news_events

    with pytest.raises(FileNotFoundError):
        news_events.run(tmp_path)
    shared = Path(os.environ.get("TIDINGS_SHARED_DATA", "/work/shared/data"))
    try:
        result = news_events.run(shared, "dev")
    except FileNotFoundError:
        pytest.skip("shared VOA stories not present")
    assert result["stories"] >= 30
    assert result["event_recall"] > 0.8 and result["event_precision"] > 0.5
    # The product's path (both cheap cuts, spaCy, detection on its sentences) loses no more than that.
    assert result["kept_by_relevance"] >= 0.97 and result["kept_by_focus"] >= 0.95
    assert result["pipeline_recall"] > 0.8 and result["pipeline_precision"] > 0.5
