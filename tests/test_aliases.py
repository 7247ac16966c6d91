"""Name normalisation, same-entity decisions, grouping and in-document surname links."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tidings.records import Mention
from tidings.resolve.aliases import group_names, normalise_name, same_entity, surname_links

SAME = [
    ("Freedom of Russia Legion", "Freedom for Russia Legion"),
    ("Freedom of Russia Legion", "Free Russia Legion"),
    ("Freedom of Russia Legion", "Legion 'Freedom of Russia'"),
    ("Freedom of Russia Legion", "Legion \u201cFreedom of Russia\u201d"),
    ("Russian Volunteer Corps", "Russian Volunteer Corp"),
    ("Zelenskyy", "Zelensky"),
    ("Zelenskiy", "Zelenskii"),
    ("Kyiv", "Kiev"),
    ("Kharkiv", "Kharkov"),
    ("Mykolaiv", "Nikolaev"),
    ("Odesa", "Odessa"),
    ("Sergei Shoigu", "Sergey Shoygu"),
    ("Yevgeny Prigozhin", "Yevgeny Viktorovich Prigozhin"),
    ("Hemedti", "Hemeti"),
    ("IDF", "Israel Defense Forces"),
    ("HTS", "Hayat Tahrir al-Sham"),
    ("Assimi Goïta", "Assimi Goita"),
    ("Mohammed Deif", "Muhammad Deif"),
    # Names that are in no registry still group by the same rules.
    ("Freedom of Belarus Legion", "Free Belarus Legion"),
    ("Siberian Volunteer Corp", "Siberian Volunteer Corps"),
]
DIFFERENT = [
    ("Russia", "Freedom of Russia Legion"),  # a short name never matches inside a long one
    ("Putin", "Vladimir Putin"),  # surname-only is a document-level link, not an alias
    ("Ukraine", "Ukrainian"),
    ("Iran", "Iraq"),
    ("Austria", "Australia"),
    ("Freedom of Russia Legion", "Freedom of Belarus Legion"),
    ("Russian Volunteer Corps", "Russian Volunteer Army"),
    ("IS", "Islamic State"),  # two-letter acronyms are too ambiguous to expand
    ("Yulia Navalnaya", "Alexei Navalny"),
    ("International Energy Agency", "International Atomic Energy Agency"),
    ("State Council", "State Administration Council"),
    ("National Army", "National Liberation Army"),
]


@pytest.mark.parametrize(("a", "b"), SAME)
def test_same_entity(a: str, b: str) -> None:
    assert same_entity(a, b)
    assert same_entity(b, a)


@pytest.mark.parametrize(("a", "b"), DIFFERENT)
def test_different_entity(a: str, b: str) -> None:
    assert not same_entity(a, b)
    assert not same_entity(b, a)


def test_normalise_name_folds_case_accents_quotes_and_possessives() -> None:
    assert normalise_name("Russia\u2019s Defence Ministry") == normalise_name("russia's defense ministry")
    assert normalise_name("Goïta") == normalise_name("Goita")
    assert normalise_name("the Kremlin") == normalise_name("Kremlin")
    assert normalise_name("Kyiv") != normalise_name("Kharkiv")


def test_group_names_canonical_rule() -> None:
    names = ["Free Russia Legion", "Freedom of Russia Legion", "Freedom of Russia Legion", "Zelensky",
             "Zelenskyy", "Russia", "Kiev", "Kyiv", "Kyiv"]
    groups = group_names(names)
    # most frequent wins
    assert groups["Free Russia Legion"] == "Freedom of Russia Legion"
    assert groups["Kiev"] == "Kyiv"
    # tie on frequency -> longest
    assert groups["Zelensky"] == groups["Zelenskyy"] == "Zelenskyy"
    assert groups["Russia"] == "Russia"


def test_group_names_with_registry_names() -> None:
    from tidings.resolve.actors import ActorRegistry

    known = ActorRegistry.load().known_names()
    groups = group_names(["Free Russia Legion", "Zelenskiy", "Legion of Free Siberia", "Kyiv"], known=known)
    assert groups["Free Russia Legion"] == "Freedom of Russia Legion"
    assert groups["Zelenskiy"] == "Volodymyr Zelenskyy"
    assert groups["Legion of Free Siberia"] == "Legion of Free Siberia"
    assert groups["Kyiv"] == "Kyiv"


def test_group_names_known_canonical_wins() -> None:
    groups = group_names(["RDK", "Russian Volunteer Corp", "RDK"], known={"RDK": "Russian Volunteer Corps"})
    assert groups == {"RDK": "Russian Volunteer Corps", "Russian Volunteer Corp": "Russian Volunteer Corps"}


NAME_POOL = ["Free Russia Legion", "Freedom of Russia Legion", "Legion 'Freedom of Russia'", "Russia",
             "Zelensky", "Zelenskyy", "Zelenskiy", "Kyiv", "Kiev", "RDK", "Russian Volunteer Corp",
             "Russian Volunteer Corps", "Hemedti", "Hemeti", "Syrian Democratic Forces", "SDF"]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(NAME_POOL), min_size=1, max_size=25), st.randoms())
def test_group_names_is_order_independent(names: list[str], rnd) -> None:  # type: ignore[no-untyped-def]
    shuffled = list(names)
    rnd.shuffle(shuffled)
    assert group_names(names) == group_names(shuffled)


def test_surname_links() -> None:
    mentions = [
        Mention(0, 9, "Zelensky", "PERSON"),  # headline: surname before the full name
        Mention(20, 39, "Volodymyr Zelenskyy", "PERSON"),
        Mention(50, 63, "Dmitry Peskov", "PERSON"),
        Mention(70, 76, "Peskov", "PERSON"),
        Mention(80, 86, "Russia", "GPE"),
        Mention(90, 96, "Kuleba", "PERSON"),  # no full name anywhere: no link
    ]
    assert surname_links(mentions) == {0: 1, 3: 2}


def test_grouping_all_registry_names_without_the_registry_never_merges_two_actors() -> None:
    # A strong check on the string rules: ~2,700 real names and spellings of ~670 actors, with
    # many shared words ("Air Force", "National Army") and clashing acronyms ("SNA", "RSF").
    from tidings.resolve.actors import ActorRegistry

    owner: dict[str, str] = {}
    for actor in ActorRegistry.load():
        for name in actor.names():
            owner.setdefault(name, actor.actor_id)
    groups = group_names(list(owner))
    merged: dict[str, set[str]] = {}
    for name, canonical in groups.items():
        merged.setdefault(canonical, set()).add(owner[name])
    assert [c for c, ids in merged.items() if len(ids) > 1] == []
    # ... while spelling variants do group.
    assert groups["Zelenskiy"] == groups["Zelenskyy"] == groups["Zelensky"]
    assert groups["Free Russia Legion"] == groups["Freedom for Russia Legion"]


@pytest.mark.parametrize(
    ("phrase", "core"),
    [
        ("Iran-backed Hezbollah fighters", "Hezbollah"),
        ("RSF forces", "RSF"),
        ("Rapid Support Forces", "Rapid Support Forces"),  # capitalised: part of the name
        ("the so-called Islamic State group", "Islamic State"),
        ("Kurdish-led Syrian Democratic Forces", "Syrian Democratic Forces"),
        ("Islamist Hayat Tahrir al-Sham", "Hayat Tahrir al-Sham"),
        ("Tass news agency", "Tass"),
        ("militants", "militants"),  # never strips a phrase away entirely
    ],
)
def test_strip_descriptors(phrase: str, core: str) -> None:
    from tidings.resolve.aliases import strip_descriptors

    assert strip_descriptors(phrase) == core
