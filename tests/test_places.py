"""Gazetteer index and place resolution, on the real index built from the installed packages."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from tidings.resolve.gazetteer import INDEX_VERSION, Gazetteer, index_path, normalize_name
from tidings.resolve.places import PlaceMention, find_place_spans, pick_event_place, resolve_places

SHARED = Path(os.environ.get("TIDINGS_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))


@pytest.fixture(scope="module")
def gaz() -> Gazetteer:
    return Gazetteer.load()


def _spans(text: str, *items: tuple[str, str]) -> list[tuple[int, int, str]]:
    """(substring, label) -> (start, end, label) of its first occurrence after the previous one."""
    out, pos = [], 0
    for sub, label in items:
        start = text.index(sub, pos)
        out.append((start, start + len(sub), label))
        pos = start + len(sub)
    return out


def _by_text(mentions: list[PlaceMention]) -> dict[str, PlaceMention]:
    return {m.text: m for m in mentions}


def test_normalize_name_folds_accents_case_and_punctuation() -> None:
    assert normalize_name("Kharkivs’ka Oblast") == "kharkivska oblast"
    assert normalize_name("Rostov-na-Donu") == "rostov na donu"
    assert normalize_name("São Paulo") == "sao paulo"
    assert normalize_name("U.S.") == "us"


def test_index_is_versioned_read_only_sqlite(gaz: Gazetteer) -> None:
    path = index_path()
    assert path.exists() and INDEX_VERSION in path.name
    assert not list(path.parent.glob(path.name + ".*.tmp"))  # no half-written leftovers
    with pytest.raises(sqlite3.OperationalError):
        gaz._con.execute("CREATE TABLE x(y)")  # opened read-only


def test_candidates_cover_towns_admin1_and_countries(gaz: Gazetteer) -> None:
    belgorod = gaz.candidates("Belgorod")
    kinds = {(p.kind, p.country_code) for p in belgorod}
    assert ("city", "RU") in kinds and ("admin1", "RU") in kinds
    city = next(p for p in belgorod if p.kind == "city")
    assert abs(city.latitude - 50.6) < 0.2 and abs(city.longitude - 36.6) < 0.2
    assert city.population > 300_000 and city.geonameid is not None
    assert gaz.candidates("Kharkivska oblast")[0].kind == "admin1"  # ISO 3166-2 name attached
    us = gaz.candidates("United States")[0]
    assert us.kind == "country" and us.country_code == "US" and us.country == "United States"
    assert gaz.candidates("Nowhere-upon-Nothing-xq") == []
    paris = gaz.candidates("Paris", limit=3)
    assert len(paris) == 3 and paris[0].country_code == "FR"
    assert [p.population for p in paris] == sorted((p.population for p in paris), reverse=True)


def test_demonyms_map_to_countries(gaz: Gazetteer) -> None:
    assert gaz.demonym("Ukrainian").country_code == "UA"  # type: ignore[union-attr]
    assert gaz.demonym("Turkish").country_code == "TR"  # type: ignore[union-attr]
    assert gaz.demonym("Legion") is None


def test_admin1_words_and_directions_give_precision_3(gaz: Gazetteer) -> None:
    text = "Drones struck the Belgorod region overnight. Shelling hit southern Bryansk and the Kursk oblast."
    got = resolve_places(text, _spans(text, ("Belgorod", "GPE"), ("Bryansk", "GPE"), ("Kursk", "GPE")))
    by = _by_text(got)
    assert by["Belgorod region"].place.kind == "admin1"  # type: ignore[union-attr]
    assert by["Belgorod region"].precision == 3
    assert by["Kursk oblast"].place.kind == "admin1" and by["Kursk oblast"].precision == 3  # type: ignore[union-attr]
    assert by["southern Bryansk"].precision in (2, 3)
    assert all(text[m.start : m.end] == m.text for m in got)


def test_town_named_directly_vs_near_a_village(gaz: Gazetteer) -> None:
    text = "Missiles hit Kharkiv on Monday. A drone fell near the village of Shebekino in Russia."
    got = _by_text(resolve_places(text, _spans(text, ("Kharkiv", "GPE"), ("Shebekino", "GPE"),
                                                 ("Russia", "GPE"))))
    assert got["Kharkiv"].place.kind == "city" and got["Kharkiv"].precision == 1  # type: ignore[union-attr]
    assert got["Shebekino"].place.country_code == "RU" and got["Shebekino"].precision == 2  # type: ignore[union-attr]
    assert got["Russia"].place.kind == "country" and got["Russia"].precision == 3  # type: ignore[union-attr]


def test_context_disambiguates_and_pairs_constrain(gaz: Gazetteer) -> None:
    text = "Police in Paris, Texas, said the suspect fled to Dallas. Paris police later arrested him."
    got = resolve_places(text, _spans(text, ("Paris", "GPE"), ("Texas", "GPE"), ("Dallas", "GPE"),
                                      ("Paris", "GPE")))
    paris = [m for m in got if m.text == "Paris"]
    assert paris[0].place.country_code == "US" and paris[0].place.admin1 == "Texas"  # type: ignore[union-attr]
    assert paris[1].place.country_code == "US"  # type: ignore[union-attr]
    text2 = "Police in Alexandria, La. arrested a man."
    got2 = resolve_places(text2, _spans(text2, ("Alexandria", "GPE")))
    assert got2[0].place.admin1 == "Louisiana"  # type: ignore[union-attr]
    text3 = "Talks in Georgia stalled as Tbilisi protested; Georgia blamed Russia."
    got3 = resolve_places(text3, _spans(text3, ("Georgia", "GPE"), ("Tbilisi", "GPE"), ("Georgia", "GPE"),
                                        ("Russia", "GPE")))
    assert got3[0].place.country_code == "GE"  # type: ignore[union-attr]


def test_country_hint_breaks_ties(gaz: Gazetteer) -> None:
    text = "Crowds gathered in Birmingham."
    spans = _spans(text, ("Birmingham", "GPE"))
    assert resolve_places(text, spans)[0].place.country_code == "GB"  # type: ignore[union-attr]
    assert resolve_places(text, spans, country_hint="us")[0].place.country_code == "US"  # type: ignore[union-attr]


def test_people_groups_and_unknown_places(gaz: Gazetteer) -> None:
    text = "Paris Hilton met the Freedom of Russia Legion in Zzyzxqville and in Kyiv."
    spans = _spans(text, ("Paris Hilton", "PERSON"), ("Freedom of Russia Legion", "ORG"),
                   ("Zzyzxqville", "GPE"), ("Kyiv", "GPE"))
    spans += [(0, 5, "GPE"), (text.index("Russia"), text.index("Russia") + 6, "GPE")]  # inside PERSON/ORG
    got = _by_text(resolve_places(text, spans))
    assert "Paris" not in got and "Russia" not in got
    assert got["Zzyzxqville"].place is None and got["Zzyzxqville"].precision is None
    assert got["Kyiv"].place.country_code == "UA"  # type: ignore[union-attr]
    norp = "Russian troops advanced."
    assert resolve_places(norp, _spans(norp, ("Russian", "NORP"))) == []
    assert resolve_places(norp, _spans(norp, ("Russian", "NORP")), allow_demonyms=True)[0].place.country_code == "RU"  # type: ignore[union-attr]


def test_find_place_spans_without_spacy(gaz: Gazetteer) -> None:
    text = "Shelling hit Kharkiv and Donetsk, the Washington Post reported. We hope it ends, said John Smith."
    found = {text[s:e] for s, e, _ in find_place_spans(text)}
    assert {"Kharkiv", "Donetsk"} <= found
    assert "Washington" not in found and "Smith" not in found


def test_pick_event_place_prefers_locative_attachment() -> None:
    sent = "Officials in Kyiv said Russian missiles killed three people in Kharkiv on Monday."
    kyiv = PlaceMention(13, 17, "Kyiv", None, None)
    kharkiv = PlaceMention(sent.index("Kharkiv"), sent.index("Kharkiv") + 7, "Kharkiv", None, None)
    trig = sent.index("killed")
    assert pick_event_place(sent, trig, trig + 6, [kyiv, kharkiv]) is kharkiv
    sent2 = "Assane Sanogo, a cab driver from Abidjan, was shot to death by police officers."
    abidjan = PlaceMention(sent2.index("Abidjan"), sent2.index("Abidjan") + 7, "Abidjan", None, None)
    trig2 = sent2.index("shot")
    assert pick_event_place(sent2, trig2, trig2 + 4, [abidjan]) is None
    assert pick_event_place(sent2, trig2, trig2 + 4, []) is None


def test_geo_eval_reads_shared_data() -> None:
    from tidings.eval import geo

    if not (SHARED / "geo" / "geoparsing").exists():
        pytest.skip("shared data absent")
    arts = geo.load_corpus(SHARED, "geovirus")
    assert arts and all(a.text[t.start : t.end] == t.name for a in arts[:20] for t in a.toponyms)
    res = geo.evaluate_corpus(arts[:15], None)
    assert 0.0 < res["resolution_acc161"] <= 1.0
    with pytest.raises(FileNotFoundError):
        geo.run(Path("/nonexistent-tidings-data"), "dev", limit=1)


def test_place_spans_relabels_states_and_drops_surnames(gaz: Gazetteer) -> None:
    from tidings.resolve.places import place_spans

    text = "Gov. Tim Pawlenty spoke in Ohio. Pawlenty later flew to Kharkiv."
    ents = [(text.index("Tim Pawlenty"), text.index("Tim Pawlenty") + 12, "PERSON"),
            (text.index("Ohio"), text.index("Ohio") + 4, "ORG")]
    got = {text[s:e]: lab for s, e, lab in place_spans(text, ents)}
    assert got["Ohio"] == "GPE" and got["Kharkiv"] == "GPE"
    assert "Pawlenty" not in got


@pytest.mark.slow
def test_build_index_is_atomic(tmp_path: Path) -> None:
    from tidings.resolve.gazetteer import build_index

    target = tmp_path / "gaz.sqlite"
    assert build_index(target) == target
    assert [p.name for p in tmp_path.iterdir()] == ["gaz.sqlite"]
    g = Gazetteer(target)
    assert g.candidates("Kyiv")[0].country_code == "UA"


def test_diacritic_names_and_towns_tagged_as_people(gaz: Gazetteer) -> None:
    from tidings.resolve.places import place_spans

    rafah = gaz.candidates("Rafah")[0]  # GeoNames: "Rafaḩ"
    assert rafah.name == "Rafah" and rafah.country_code == "PS" and rafah.country == "Palestine"
    assert gaz.candidates("Kramatorsk")[0].country_code == "UA"
    text = "Overnight Israeli airstrikes on Rafah killed at least 23 people, medics said."
    ents = [(10, 17, "NORP"), (text.index("Rafah"), text.index("Rafah") + 5, "PERSON")]
    got = _by_text(resolve_places(text, place_spans(text, ents)))
    assert got["Rafah"].place.name == "Rafah" and got["Rafah"].precision == 1  # type: ignore[union-attr]
    norp = [(10, 17, "NORP"), (text.index("Rafah"), text.index("Rafah") + 5, "NORP")]
    assert _by_text(resolve_places(text, place_spans(text, norp)))["Rafah"].place.country_code == "PS"  # type: ignore[union-attr]
    # A person's name stays a person: no locative preposition before it.
    text2 = "Lincoln said the talks failed."
    assert place_spans(text2, [(0, 7, "PERSON")]) == [(0, 7, "PERSON")]


def test_gaza_alone_is_the_strip_gaza_city_the_city(gaz: Gazetteer) -> None:
    text = "The crossing between Gaza and Egypt closed. Strikes hit Gaza City and the Gaza Strip."
    got = _by_text(resolve_places(text, _spans(text, ("Gaza", "GPE"), ("Egypt", "GPE"), ("Gaza City", "GPE"),
                                                 ("Gaza Strip", "GPE"))))
    strip = got["Gaza"].place
    assert strip is not None and strip.kind == "admin1" and strip.name == "Gaza Strip"
    assert strip.country == "Palestine" and got["Gaza"].precision == 3
    assert got["Gaza City"].place.kind == "city" and got["Gaza City"].precision == 1  # type: ignore[union-attr]
    assert got["Gaza Strip"].place == strip
    assert got["Egypt"].place.kind == "country"  # type: ignore[union-attr]


def test_admin1_units_carry_the_names_acled_uses(gaz: Gazetteer) -> None:
    text = ("Drones hit the Bryansk region and the Moscow region; shells fell in the Dnipropetrovsk region, "
            "the Zaporizhzhia oblast and the Kyiv region. Kyiv was calm.")
    spans = _spans(text, ("Bryansk", "GPE"), ("Moscow", "GPE"), ("Dnipropetrovsk", "GPE"), ("Zaporizhzhia", "GPE"),
                   ("Kyiv", "GPE"), ("Kyiv", "GPE"))
    got = resolve_places(text, spans)
    names = [(m.place.name, m.place.kind) for m in got]  # type: ignore[union-attr]
    assert names == [("Bryansk", "admin1"), ("Moscow Oblast", "admin1"), ("Dnipropetrovsk", "admin1"),
                     ("Zaporizhia", "admin1"), ("Kyiv", "admin1"), ("Kyiv", "city")]
    assert got[-1].place.admin1 == "Kyiv City"  # type: ignore[union-attr]
    assert gaz.candidates("Bryansk")[0].admin1 == "Bryansk"
    assert gaz.candidates("Brjansk")  # the GeoNames spelling still finds the unit


def test_settlement_cue_lets_small_villages_through(gaz: Gazetteer) -> None:
    text = "Russian officials said the raid near the village of Kozinka in the Belgorod region killed two."
    spans = find_place_spans(text)
    assert "Kozinka" in {text[s:e] for s, e, _ in spans}
    got = _by_text(resolve_places(text, spans))
    kozinka = got["Kozinka"].place
    assert kozinka is not None and kozinka.country_code == "RU" and kozinka.admin1 == "Belgorod"
    assert got["Kozinka"].precision == 2
    # Without the cue, a lone small-town word is not taken for a place.
    assert "Kozinka" not in {text[s:e] for s, e, _ in find_place_spans("Kozinka said nothing.")}


def test_repeated_names_do_not_vote_for_themselves(gaz: Gazetteer) -> None:
    text = ("Paris officials met on Monday. Paris schools closed. The Illinois governor visited Paris, and "
            "Illinois troopers patrolled.")
    got = resolve_places(text, _spans(text, ("Paris", "GPE"), ("Paris", "GPE"), ("Illinois", "GPE"),
                                      ("Paris", "GPE"), ("Illinois", "GPE")))
    assert all(m.place.admin1 == "Illinois" for m in got)  # type: ignore[union-attr]
    text2 = "A Palestine man was arrested by Palestine police near Tyler, Texas."
    got2 = resolve_places(text2, _spans(text2, ("Palestine", "GPE"), ("Palestine", "GPE"), ("Tyler", "GPE"),
                                        ("Texas", "GPE")))
    assert got2[0].place.kind == "city" and got2[0].place.admin1 == "Texas"  # type: ignore[union-attr]


def test_named_regions_and_contractions(gaz: Gazetteer) -> None:
    text = "Militias attacked villages in Darfur, and fighting spread in the Donbas. I’ve seen HIV clinics."
    spans = find_place_spans(text)
    found = {text[s:e] for s, e, _ in spans}
    assert {"Darfur", "Donbas"} <= found and not found & {"I’ve", "HIV"}
    got = _by_text(resolve_places(text, spans))
    assert got["Darfur"].place.kind == "region" and got["Darfur"].place.country_code == "SD"  # type: ignore[union-attr]
    assert got["Darfur"].precision == 3
