"""Casualty counts follow ACLED's conservative conventions; unknown is None, never 0."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tidings.events.casualties import parse_casualties, parse_number


@pytest.mark.parametrize(
    ("phrase", "value"),
    [
        ("at least 12", 12),
        ("twenty-two", 22),
        ("twenty two", 22),
        ("one hundred and five", 105),
        ("1,200", 1200),
        ("dozens", 12),
        ("a dozen", 12),
        ("hundreds", 100),
        ("several", 3),
        ("more than 40", 40),
        ("no", 0),
        ("the", None),
        ("", None),
    ],
)
def test_parse_number(phrase: str, value: int | None) -> None:
    assert parse_number(phrase) == value


@given(st.integers(min_value=0, max_value=10**6))
def test_parse_number_digits_roundtrip(n: int) -> None:
    assert parse_number(f"{n:,}") == n
    assert parse_number(str(n)) == n


@pytest.mark.parametrize(
    ("sentence", "fatalities", "injuries"),
    [
        ("The strike hit a market, killing two and wounding five.", 2, 5),
        ("The death toll rose to 14 on Tuesday.", 14, None),
        ("At least one person was killed.", 1, None),
        ("Dozens were killed when troops fired on the crowd.", 12, None),
        ("Ten people, including a 7-month-old child, died and 50 were injured.", 10, 50),
        (
            "The bomb killed at least 22 people, including three children and four soldiers, and injured 20.",
            22,
            20,
        ),
        ("Two pilots died, and at least two soldiers who came to rescue them were killed.", 4, None),
        ("Three civilians were killed and eight were wounded.", 3, 8),
        ("Gunmen killed a man outside his home.", 1, None),
        ("There were no casualties.", 0, 0),
        ("No one was hurt in the blast.", None, 0),
        ("Casualties are unknown.", None, None),
        ("Russian forces fired 120mm mortars at 14 locations on 3 March 2022.", None, None),
        ("A 29-year-old woman was killed.", 1, None),
        ("Fifty gunmen stormed the village.", None, None),
        ("Police arrested 30 protesters.", None, None),
    ],
)
def test_parse_casualties(sentence: str, fatalities: int | None, injuries: int | None) -> None:
    got_f, got_i, phrase = parse_casualties(sentence)
    assert (got_f, got_i) == (fatalities, injuries)
    if fatalities is not None or injuries is not None:
        assert phrase is not None and phrase in sentence  # verbatim


def test_unknown_is_none_not_zero() -> None:
    assert parse_casualties("Civilians were killed in the attack.")[0] is None


def test_phrase_is_verbatim_span() -> None:
    sentence = "The attack left 3 dead and 7 injured, officials said."
    f, i, phrase = parse_casualties(sentence)
    assert (f, i) == (3, 7)
    assert phrase == "3 dead and 7 injured"
