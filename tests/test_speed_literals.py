"""The literal pre-checks of events/literals.py must never reject a text the full pattern matches, and a
pattern tried only where its matches may start (`Scan`, `Starts`) must find exactly what `finditer` finds."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tidings import relevance
from tidings.events import classify
from tidings.events.literals import DIGIT, B, Prefilter, Scan, Starts, marked, starts
from tidings.resolve.dates_lexicon import lexicon as date_lexicon

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
    _check(lex.triggers.pattern, SENTENCES, lowered_pattern=True)


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


# Texts for the start scans: dates in every form the date patterns know, digits of other scripts (which
# `\\d` matches), characters whose lower case is longer ("İ") or that IGNORECASE folds ("ſ", the Kelvin
# sign), curly apostrophes, and words glued to the triggers.
SCAN_TEXTS = SENTENCES + [
    "On March 3, 2024, and again on 12 April 2023, the 2022-02-24 invasion was recalled; in the 1990s and "
    "the ’70s and '80s, in mid-2021 and early May, last Tuesday, two days ago, three weeks later.",
    "The day before, that same morning, the next day, earlier that week: 2/3/2024 and 03.04.2023.",
    "In the first quarter of fiscal 2024, Christmas Eve, New Year's Day, the 21st century, this summer.",
    "٢٠٢٤ and ४५ and the year ١٩٩٠s: digits of other scripts.",
    "İstanbul saw 2024 protests; \u212a\u212aILLED and ſhelling in Kharkıv, May 2024.",
    "Yesterday's strike killed 12; tomorrow, overnight, tonight, nowadays, recently, at the moment.",
    "xMarch 2024 2024x yearly 1990s early-1970s the2024 mid-May mid May 1st quarter Q3 2024",
    "",
    "2024",
]


def _spans(found: object) -> list[tuple[int, int, str | None]]:
    return [(m.start(), m.end(), m.lastgroup) for m in found]  # type: ignore[attr-defined]


def _check_scan(scan: Scan, texts: list[str]) -> None:
    for text in texts:
        for lowered in (None, text.lower()):
            places = scan.places(text, lowered)
            for i, pattern in enumerate(scan.patterns):
                assert _spans(scan.finditer(i, text, places)) == _spans(pattern.finditer(text)), \
                    (pattern.pattern[:80], text)


def test_date_scan_finds_what_finditer_finds() -> None:
    scan = date_lexicon().scan
    assert scan.patterns == [p for _, p in date_lexicon().patterns]
    _check_scan(scan, SCAN_TEXTS + [t.upper() for t in SCAN_TEXTS])
    assert sum(starts(p) is not None for p in scan.patterns) >= len(scan.patterns) - 3  # it narrows most


def test_cue_scan_finds_what_finditer_finds() -> None:
    lex = classify._lexicon()
    assert lex.cue_scan.patterns == [lex.cues[name] for name in lex.cue_index]
    _check_scan(lex.cue_scan, SCAN_TEXTS + [t.upper() for t in SCAN_TEXTS])


def test_relevance_and_trigger_starts_find_what_finditer_finds() -> None:
    for pattern in (relevance.lexicon().patterns.lower.pattern, classify._lexicon().triggers.pattern):
        one = Starts(pattern)
        for text in SCAN_TEXTS:
            low = text.lower()
            assert _spans(one.finditer(low, low)) == _spans(pattern.finditer(low)), text
            found, expected = one.search(low), pattern.search(low)
            assert (found and found.span()) == (expected and expected.span())


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["May", "may", "2024", "1990s", "’", "'", " ", "-", "early", "the", "12",
                                 "March", "ago", "two", "days", "killed", "٢", "İ", "ſ", "x", ".", "\n",
                                 "Tuesday", "mid", "fired", "shelling", "protest"]), max_size=40))
def test_scans_agree_with_finditer_on_any_text(words: list[str]) -> None:
    text = "".join(words)
    _check_scan(date_lexicon().scan, [text])
    _check_scan(classify._lexicon().cue_scan, [text])


@pytest.mark.parametrize(
    ("rx", "expected"),
    [
        (r"(?:(?i:early|late)\s+)?May", {"early", "late", "may"}),
        (r"(?=\b\w)(?<!\w)(?:1[89]|20)\d\d", {"18" + DIGIT * 2, "19" + DIGIT * 2, "20" + DIGIT * 2}),
        (r"[’']\d0s", {"’" + DIGIT + "0s", "'" + DIGIT + "0s"}),
        (r"kill(s|ed)?\b", {"kills", "killed", "kill"}),
        (r"\w+ing", None),  # a class at the start: anything may start a match
        (r"(?i)ſhell", None),  # a letter IGNORECASE folds with others: not known
        (r"(?:a|b\w)?c", {"a", "b", "c"}),
    ],
)
def test_starts(rx: str, expected: set[str] | None) -> None:
    found = starts(re.compile(rx))
    assert (set(found) if found is not None else None) == expected


def test_scan_of_a_pattern_that_may_match_nothing_tries_everywhere() -> None:
    scan = Scan([re.compile(r"(?:may)?")])
    assert scan.places("in may") == [None]
    assert _spans(scan.finditer(0, "in may", scan.places("in may"))) == _spans(re.finditer(r"(?:may)?", "in may"))


@pytest.mark.parametrize("rx", [r"(?<!\w)may|day", r"(?a)(?<!\w)day", r"(?<!\w)(?:may|day)"])
def test_scan_keeps_matches_that_do_not_start_a_word(rx: str) -> None:
    text = "holiday mayday today éday may"
    scan = Scan([re.compile(rx)])
    assert _spans(scan.finditer(0, text, scan.places(text))) == _spans(re.finditer(rx, text))
