"""Event detection and ACLED coding on small hand-written texts."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tidings.events.classify import classify_sentence, event_type_of, sub_event_types, taxonomy
from tidings.events.detect import detect_events, split_sentences


def test_taxonomy_is_complete() -> None:
    tax = taxonomy()["event_types"]
    assert len(tax) == 6
    subs = sub_event_types()
    assert len(subs) == 25 and len(set(subs)) == 25
    for body in tax.values():
        for info in body["sub_event_types"].values():
            assert info["definition"] and info["plover"]["event_type"] and info["case2021"]
    assert event_type_of("Grenade") == "Explosions/Remote violence"


@pytest.mark.parametrize(
    ("sentence", "sub"),
    [
        ("Government warplanes pounded the village, killing six civilians.", "Air/drone strike"),
        ("A Russian drone struck an apartment block in Odesa overnight.", "Air/drone strike"),
        ("Russian forces shelled Avdiivka on Friday.", "Shelling/artillery/missile attack"),
        ("A cruise missile hit a shopping centre in Kremenchuk.", "Shelling/artillery/missile attack"),
        ("Fighting between the army and rebels continued near the airport.", "Armed clash"),
        ("Ukrainian troops repelled an attack on their positions near Bakhmut.", "Armed clash"),
        ("A roadside bomb exploded near a police patrol in Kandahar.", "Remote explosive/landmine/IED"),
        ("A suicide bomber blew himself up at a checkpoint.", "Suicide bomb"),
        ("Unidentified men hurled a grenade at a shop in Peshawar.", "Grenade"),
        ("Air defences shot down two drones over Kyiv.", "Disrupted weapons use"),
        ("Gunmen kidnapped three aid workers on the road to Gao.", "Abduction/forced disappearance"),
        ("Soldiers raped a woman in the village.", "Sexual violence"),
        ("Militiamen shot dead two farmers in their fields.", "Attack"),
        ("Hundreds of teachers protested outside parliament over unpaid wages.", "Peaceful protest"),
        ("Police fired tear gas to disperse the demonstrators in the capital.", "Protest with intervention"),
        ("Security forces opened fire on protesters, killing four.", "Excessive force against protesters"),
        (
            "Protesters threw stones at police and burned tyres during the demonstration in Nairobi.",
            "Violent demonstration",
        ),
        ("An angry mob lynched a suspected thief in the market.", "Mob violence"),
        ("Rebels captured the town of Bunagana after heavy fighting.", "Non-state actor overtakes territory"),
        ("Government troops recaptured the village from the militants.", "Government regains territory"),
        ("The two sides signed a ceasefire agreement in Doha.", "Agreement"),
        ("Police arrested the opposition leader at his home.", "Arrests"),
        ("Militants looted shops and burned houses in the village.", "Looting/property destruction"),
        ("The army withdrew from the town without a fight.", "Non-violent transfer of territory"),
        ("Insurgents established a new base in the Sambisa forest.", "Headquarters or base established"),
        ("A column of military vehicles was moving towards Kherson.", "Change to group/activity"),
        ("Authorities imposed a curfew in Goma on Sunday.", "Other"),
    ],
)
def test_classify_sub_event_types(sentence: str, sub: str) -> None:
    coding = classify_sentence(sentence)
    assert coding is not None, sentence
    assert coding.sub_event_type == sub
    assert coding.event_type == event_type_of(sub)
    assert coding.trigger == sentence[coding.trigger_start : coding.trigger_end]


@pytest.mark.parametrize(
    "sentence",
    [
        "Moscow threatened to strike Kyiv again if the attacks continued.",
        "Analysts warned that Russia could launch missiles at the capital.",
        "Since the 2022 invasion, Russia has fired thousands of missiles at Ukraine.",
        "The European Union approved a new aid package for Ukraine.",
        "The weather in Kyiv was sunny.",
        "Teachers protested against the killing of a student by soldiers in Lagos.",
        "Armed groups often kill people and loot villages in the region.",
        "Boua is preparing a brief for the government to assist in the fight against diabetes.",
        "With treatment and lifestyle changes, he has regained control over his health.",
        "A trial opened in Paris over the 2004 bombing of a French base that killed nine soldiers.",
        "Where are the examples of killed journalists?",
        "Leaders said now is the time for a ceasefire in Ukraine.",
        "The publisher was granted house arrest in Phnom Penh.",
    ],
)
def test_non_events(sentence: str) -> None:
    coding = classify_sentence(sentence)
    if "protested" in sentence:  # the killing is the protest's topic, not a separate event
        assert coding is not None and coding.sub_event_type == "Peaceful protest"
    else:
        assert coding is None


def test_civilian_targeting() -> None:
    strike = classify_sentence("A missile hit a hospital in Mariupol.")
    battle = classify_sentence("Artillery shelled Russian positions near Kherson.")
    attack = classify_sentence("Gunmen killed three villagers.")
    assert strike is not None and strike.civilian_targeting
    assert battle is not None and not battle.civilian_targeting
    assert attack is not None and attack.civilian_targeting


def test_context_inherits_weapon() -> None:
    doc = (
        "Russia fired cruise missiles at cities across Ukraine on Monday. "
        "One slammed into a clinic in Dnipro, killing two people. "
        "It also hit a school."
    )
    events = detect_events(doc)
    # "It also hit a school" points back to the same strike and extends it instead of adding an event.
    assert [e.coding.sub_event_type for e in events] == ["Shelling/artillery/missile attack"] * 2
    second = events[1]
    assert doc[second.sentence_start : second.sentence_end].startswith("One slammed")
    assert doc[second.sentence_start : second.sentence_end].endswith("It also hit a school.")
    assert second.fatalities == 2 and second.casualty_text == "killing two"


def test_casualty_sentence_folds_into_event() -> None:
    doc = "Russian forces shelled Kharkiv on Friday. Three people were killed and five were injured."
    events = detect_events(doc)
    assert len(events) == 1
    event = events[0]
    assert (event.fatalities, event.injuries) == (3, 5)
    assert event.sentence_end == len(doc)
    assert doc[event.casualty_start : event.casualty_end] == event.casualty_text


def test_protest_escalation_recodes_event() -> None:
    doc = "About 200 people rallied in Minsk against the war. Police detained 15 of them."
    events = detect_events(doc)
    assert len(events) == 1
    assert events[0].coding.sub_event_type == "Protest with intervention"


def test_escalation_reaches_over_a_quiet_sentence() -> None:
    doc = (
        "About 2,000 students marched to the police headquarters in Manzini on Friday. "
        "They carried banners and sang. Police fired tear gas to disperse them."
    )
    events = detect_events(doc)
    assert len(events) == 1
    assert events[0].coding.sub_event_type == "Protest with intervention"
    assert events[0].sentence_end == len(doc)


def test_weapon_words_without_a_strike_are_not_events() -> None:
    assert classify_sentence("North Korea conducted two ballistic missile tests in March.") is None
    assert (
        classify_sentence("Turkey bought a Russian anti-aircraft system in 2019 despite US objections.")
        is None
    )


def test_background_and_navigation_are_skipped() -> None:
    doc = (
        "Home\nWorld\nSports\n"
        "Since the 2022 invasion, Russia has fired thousands of missiles.\n"
        "Gunmen attacked a police station in Kano, killing four officers.\n"
        "Related: Ukraine war latest\n"
    )
    events = detect_events(doc)
    assert len(events) == 1
    assert events[0].coding.event_type == "Battles" and events[0].fatalities == 4


def test_split_sentences_keeps_abbreviations() -> None:
    text = "Gen. Smith said U.S. troops left. The army moved in on Jan. 5. Fighting began."
    spans = split_sentences(text)
    assert [text[s:e] for s, e in spans] == [
        "Gen. Smith said U.S. troops left.",
        "The army moved in on Jan. 5.",
        "Fighting began.",
    ]


def test_uses_spacy_sentences_when_given() -> None:
    spacy = pytest.importorskip("spacy")
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    text = "Rebels shelled the town. Nothing else happened."
    events = detect_events(text, doc=nlp(text))
    assert len(events) == 1 and events[0].sentence_start == 0


def _shared() -> Path:
    return Path(os.environ.get("TIDINGS_SHARED_DATA", "/work/shared/data"))


def test_acled_eval_smoke() -> None:
    from tidings.eval import acled_types

    try:
        result = acled_types.run(_shared(), "dev", limit=200)
    except FileNotFoundError:
        pytest.skip("shared ACLED data not present")
    assert result["notes"] == 200
    assert result["sub_event_type_accuracy"] > result["baseline_majority_sub_event_type_accuracy"]


def test_acled_note_cleaning_removes_coder_annotations() -> None:
    from tidings.eval.acled_types import clean_note

    note = (
        "Interception: On 2 March 2022, Russian forces fired a missile at Kyiv [coded to Kyiv]. "
        "Two soldiers were killed (fatalities coded to Bucha event). 2 fatalities."
    )
    cleaned = clean_note(note)
    assert cleaned == "On 2 March 2022, Russian forces fired a missile at Kyiv. Two soldiers were killed."


def test_evals_raise_when_data_is_absent(tmp_path: Path) -> None:
    from tidings.eval import acled_types, case2021

    with pytest.raises(FileNotFoundError):
        acled_types.run(tmp_path, "dev")
    with pytest.raises(FileNotFoundError):
        case2021.run(tmp_path)


def test_case2021_maps_every_acled_sub_type() -> None:
    from tidings.eval.case2021 import case_labels, predict

    assert len(set(case_labels().values())) == 25
    assert (
        predict("Government warplanes bombed the village of Kashkash on Monday, killing 6 civilians.")
        == "AIR_STRIKE"
    )
    assert predict("A magnitude 6.1 earthquake struck the province on Tuesday.") == "NATURAL_DISASTER"


def test_case2021_weighted_f1() -> None:
    from tidings.eval.case2021 import weighted_f1

    gold = ["A", "A", "B", "C"]
    pred = ["A", "B", "B", "NONE"]
    # A: p=1 r=.5 f=.667 (w .5); B: p=.5 r=1 f=.667 (w .25); C: 0 (w .25)
    assert weighted_f1(gold, pred, {"A", "B", "C"}) == pytest.approx(0.5)
    assert weighted_f1(gold, pred, {"A"}) == pytest.approx(2 / 3)
