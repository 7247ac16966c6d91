"""The actor registry: data integrity, lookup, generic actors, user files merged over the bundled ones."""

from __future__ import annotations

from pathlib import Path

import pycountry
import pytest

from tidings.resolve.actors import KINDS, ActorRegistry


@pytest.fixture(scope="module")
def registry() -> ActorRegistry:
    return ActorRegistry.load()


def test_registry_is_large_and_covers_several_conflicts(registry: ActorRegistry) -> None:
    countries = {a.country for a in registry if a.kind in ("state_force", "armed_group", "militia")}
    assert len(registry) > 400
    assert {"RU", "UA", "IL", "PS", "LB", "YE", "SD", "MM", "SY", "ML", "CD"} <= countries


def test_registry_integrity(registry: ActorRegistry) -> None:
    ids = [a.actor_id for a in registry]
    assert len(ids) == len(set(ids))
    assert registry.ambiguous_aliases() == {}
    for a in registry:
        assert a.kind in KINDS, a
        assert a.inter is None or 1 <= a.inter <= 8, a
        if a.kind in ("person", "outlet", "government_body", "organisation"):
            assert a.inter is None, a
        else:
            assert a.inter is not None, a
        if a.country:
            assert pycountry.countries.get(alpha_2=a.country) is not None, a
        if a.parent:
            assert registry.by_name(a.parent) is not None, f"{a.name}: unknown parent {a.parent}"
        assert a.actor_id == (f"wd:{a.wikidata}" if a.wikidata else a.actor_id)


@pytest.mark.parametrize(
    ("alias", "canonical"),
    [
        ("Russian troops", "Military Forces of Russia (2000-)"),
        ("Russian forces", "Military Forces of Russia (2000-)"),
        ("Russia's defense ministry", "Ministry of Defence of Russia"),
        ("Ukrainian armed forces", "Military Forces of Ukraine (2019-)"),
        ("Freedom for Russia Legion", "Freedom of Russia Legion"),
        ("Free Russia Legion", "Freedom of Russia Legion"),
        ("Legion \u2018Freedom of Russia\u2019", "Freedom of Russia Legion"),
        ("RDK", "Russian Volunteer Corps"),
        ("Russian Volunteer Corp", "Russian Volunteer Corps"),
        ("Zelenskiy", "Volodymyr Zelenskyy"),
        ("Zelensky", "Volodymyr Zelenskyy"),
        ("PMC Wagner", "Wagner Group"),
        ("IDF", "Military Forces of Israel (2022-)"),
        ("Houthis", "Military Forces of Yemen (2016-) Supreme Political Council"),
        ("Ansar Allah", "Military Forces of Yemen (2016-) Supreme Political Council"),
        ("DPR forces", "NAF: United Armed Forces of Novorossiya"),
        ("Russian warplanes", "Military Forces of Russia (2000-) Air Force"),
        ("Military Forces of Syria (2000-)", "Military Forces of Syria (2000-2024)"),
        ("SDF", "QSD: Syrian Democratic Forces"),
        ("SAF", "Military Forces of Sudan (2019-)"),
        ("Hemeti", "Mohamed Hamdan Dagalo"),
        ("Tatmadaw", "Military Forces of Myanmar (2021-)"),
        ("Hayat Tahrir al-Sham", "HTS: Hayat Tahrir al Sham"),
        ("M23 rebels", "M23: March 23 Movement"),
        ("Interfax", "Interfax"),
        ("Kyiv Independent", "Kyiv Independent"),
        ("Daesh", "Islamic State"),
    ],
)
def test_lookup(registry: ActorRegistry, alias: str, canonical: str) -> None:
    actor = registry.lookup(alias)
    assert actor is not None, alias
    assert actor.name == canonical


def test_lookup_fuzzy_spelling_and_guards(registry: ActorRegistry) -> None:
    # An unlisted spelling still resolves through the spelling rules ...
    assert registry.lookup("Volodymyr Zelenskii").name == "Volodymyr Zelenskyy"  # type: ignore[union-attr]
    assert registry.lookup("Oleksandr Syrskii").name == "Oleksandr Syrskyi"  # type: ignore[union-attr]
    assert registry.lookup("Abdel Fattah al Burhan").name == "Abdel Fattah al-Burhan"  # type: ignore[union-attr]
    # ... but a country or a fragment of a group's name does not.
    assert registry.lookup("Russia") is None
    assert registry.lookup("Freedom of Russia") is None
    assert registry.lookup("") is None


def test_kinds_and_codes(registry: ActorRegistry) -> None:
    russia = registry.lookup("Russian forces")
    assert russia is not None and russia.kind == "state_force" and russia.inter == 1 and russia.country == "RU"
    putin = registry.lookup("Vladimir Putin")
    assert putin is not None and putin.kind == "person" and putin.inter is None
    assert putin.actor_id == "wd:Q7747"
    reuters = registry.lookup("Reuters")
    assert reuters is not None and reuters.kind == "outlet" and reuters.label == "ORG"
    legion = registry.lookup("Freedom of Russia Legion")
    assert legion is not None and legion.actor_id == "tid:freedom-of-russia-legion" and legion.label == "GROUP"


def test_acled_actor_walks_to_the_coded_parent(registry: ActorRegistry) -> None:
    mod = registry.lookup("Russian Defense Ministry")
    assert mod is not None and mod.inter is None
    assert registry.acled_actor(mod).name == "Military Forces of Russia (2000-)"  # type: ignore[union-attr]


def test_state_force_of_a_country(registry: ActorRegistry) -> None:
    assert registry.state_force("RU").name == "Military Forces of Russia (2000-)"  # type: ignore[union-attr]
    assert registry.state_force("SY").name == "Military Forces of Syria (2024-)"  # type: ignore[union-attr]
    assert registry.state_force("UA", "Police").name == "Police Forces of Ukraine (2019-)"  # type: ignore[union-attr]
    assert registry.state_force("YE").name == "Military Forces of Yemen (2012-)"  # type: ignore[union-attr]
    assert registry.state_force("ZZ") is None


def test_inter_depends_on_where_the_event_is(registry: ActorRegistry) -> None:
    russia = registry.lookup("Russian forces")
    assert russia is not None
    assert russia.inter_in("RU") == 1
    assert russia.inter_in("UA") == 8  # ACLED codes a state force abroad as external forces
    assert russia.inter_in(None) == 1
    rdk = registry.lookup("RDK")
    assert rdk is not None and rdk.inter_in("RU") == rdk.inter_in("UA") == 2


def test_generic_actors(registry: ActorRegistry) -> None:
    civ = registry.generic("civilians", "UA")
    assert (civ.name, civ.inter, civ.country, civ.actor_id) == ("Civilians (Ukraine)", 7, "UA", "tid:civilians-ukraine")
    assert registry.generic("Protesters", "Russia").name == "Protesters (Russia)"
    assert registry.generic("rioters", "SD").inter == 5
    uag = registry.generic("unidentified armed group", "CD")
    assert uag.name == "Unidentified Armed Group (Democratic Republic of Congo)" and uag.inter == 3
    assert registry.generic("civilians", None).name == "Civilians"
    assert registry.lookup("Civilians (Democratic Republic of Congo)").country == "CD"  # type: ignore[union-attr]
    assert registry.lookup("Protesters (United States)").inter == 6  # type: ignore[union-attr]
    with pytest.raises(ValueError):
        registry.generic("tourists", "UA")


def test_patterns(registry: ActorRegistry) -> None:
    pats = registry.patterns()
    assert {"label", "pattern", "id", "case_sensitive", "descriptor"} <= set(pats[0])
    by_text = {p["pattern"]: p for p in pats}
    assert by_text["Freedom for Russia Legion"]["label"] == "GROUP"
    assert by_text["Russian troops"]["descriptor"] is True
    assert by_text["RDK"]["case_sensitive"] is True
    assert by_text["Dmitry Peskov"]["label"] == "PERSON"
    assert by_text["TASS"]["label"] == "ORG"


def test_user_file_adds_and_extends(tmp_path: Path) -> None:
    extra = tmp_path / "mine.yaml"
    extra.write_text(
        "actors:\n"
        "  - {name: Free Belarus Legion, kind: armed_group, inter: 2, country: BY,\n"
        "     aliases: [Legion of Free Belarus]}\n"
        "  - {name: Russian Volunteer Corps, aliases: [Russkiy Dobrovolchesky Korpus]}\n"
        "  - {name: Kyiv Independent, wikidata: Q108000000}\n",
        encoding="utf-8",
    )
    reg = ActorRegistry.load([extra])
    assert reg.lookup("Legion of Free Belarus").name == "Free Belarus Legion"  # type: ignore[union-attr]
    rdk = reg.lookup("Russkiy Dobrovolchesky Korpus")
    assert rdk is not None and rdk.name == "Russian Volunteer Corps" and "RDK" in rdk.aliases
    assert rdk.kind == "armed_group" and rdk.inter == 2  # a partial entry keeps the bundled fields
    kyiv_independent = reg.lookup("The Kyiv Independent")
    assert kyiv_independent is not None and kyiv_independent.actor_id == "wd:Q108000000"
    assert kyiv_independent.kind == "outlet"
    assert len(reg) == len(ActorRegistry.load()) + 1
    assert ActorRegistry.load([extra]) is reg  # cached per file list


def test_user_file_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("actors:\n  - {name: X, kind: spaceship}\n", encoding="utf-8")
    with pytest.raises(ValueError, match="unknown kind"):
        ActorRegistry.load([bad])
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text("people: []\n", encoding="utf-8")
    with pytest.raises(ValueError, match="actors"):
        ActorRegistry.load([wrong])
