"""The literal pre-checks of events/literals.py must never reject a text the full pattern matches."""

from __future__ import annotations

import re

import pytest

from tidings.events import classify
from tidings.events.literals import B, Prefilter, marked

SENTENCES = [
    "Russian forces fired cruise missiles at Kyiv overnight, killing three civilians.",
    "Protesters took to the streets of Manzini on Tuesday; police fired tear gas.",
    "A roadside bomb exploded near a convoy in Helmand, officials said.",
    "The MiG-29 was shot down over the Donetsk region.",
    "Militants attacked the village of Kwasa, burning homes.",
    "The rebels captured the town of Bunagana after heavy fighting.",
    "Suicide-bomb attack kills 12 at a market in Mogadishu.",
    "Soldiers clashed with al-Shabaab fighters near Baidoa.",
    "KIYV: Ukraine’s air defenses intercepted 20 drones, the air force said.",
    "Police arrested 40 demonstrators who blocked the highway to demand wages.",
    "He was white and within the rules.",  # "hit" only inside words
    "Thousands rallied in Yerevan against the government.",
    "The ſtrike hit a ſchool in Kharkıv.",  # characters IGNORECASE folds but str.lower() keeps
]


def _check(pattern: re.Pattern[str], texts: list[str], lowered_pattern: bool = False) -> None:
    pf = Prefilter(pattern)
    for text in texts:
        low = text.lower()
        if len(low) != len(text):
            continue
        if pattern.search(low if lowered_pattern else text):
            assert pf.may_match(marked(low)), (pattern.pattern[:60], text)


@pytest.mark.parametrize("name", sorted(classify._lexicon().cues))
def test_cue_prefilters_never_reject_a_match(name: str) -> None:
    lex = classify._lexicon()
    _check(lex.cues[name], SENTENCES + [s.upper() for s in SENTENCES])


def test_trigger_prefilter_never_rejects_a_match() -> None:
    lex = classify._lexicon()
    assert lex.triggers is not None
    _check(lex.triggers, SENTENCES, lowered_pattern=True)


@pytest.mark.parametrize(
    ("rx", "text"),
    [
        (r"\bhit\b", "they hit it"),
        (r"\b(foo|mig-?\d+|bar\w+)\b", "a mig-29 jet"),
        (r"with (\w+ ){0,2}mines", "with anti-personnel mines"),
        (r"suicide[- ](bomb(er|ing)?|attack)", "a suicide-bomber"),
        (r"(?i)\b(of|in) [A-Z][a-z]+", "born IN Kyiv"),
        (r"(?-i:march(ed|es)?)|rall(y|ies)", "they marched"),
        (r"a\b\b\s*b", "a b"),
        (r"(?i)strike", "ſtrike"),
    ],
)
def test_prefilter_accepts_matching_text(rx: str, text: str) -> None:
    _check(re.compile(rx), [text])


def test_prefilter_rejects_text_without_literals() -> None:
    pf = Prefilter(re.compile(r"\b(attack(ed|s)?|hit)\b"))
    assert not pf.may_match(marked("he was white and within the rules"))
    assert pf.may_match(marked("they hit it"))
    assert pf.literals is not None and all(lit.startswith(B) for lit in pf.literals)


def test_lowering_keeps_word_boundaries() -> None:
    # classify_sentence marks boundaries on the lower-cased sentence: every character whose lower case
    # is one character keeps its \w-ness, so the boundaries are those of the sentence itself.
    word = re.compile(r"\w")
    for code in range(0x110000):
        ch = chr(code)
        low = ch.lower()
        if len(low) == 1:
            assert (word.match(ch) is None) == (word.match(low) is None), hex(code)
