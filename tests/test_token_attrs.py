"""The fused attribute ruler + lemmatizer gives every token exactly what the original spaCy pipes give."""

from __future__ import annotations

import pytest

spacy = pytest.importorskip("spacy")

from tidings.resolve import token_attrs  # noqa: E402
from tidings.resolve.mentions import MODEL  # noqa: E402

TEXTS = [
    "Russian forces shelled Kharkiv on Monday, killing two civilians, the regional governor said. "
    "Moscow denied it had targeted residential areas; Kyiv said the strikes hit apartment blocks.",
    "There is no independent confirmation. They've been fighting since 2014 and weren't able to hold "
    "the bridge, which was blown up by retreating troops at 5 a.m.",
    "Y'all gonna see it. Let's go, c'mon! I ain't gotta do nothin' and 'em folks ol' doin' 'nuff.\n\n  "
    "Spaces   here.\tHe got it, she gets it; I'd go, you'd've gone. Something happened to someone.",
    "“We will not allow this,” the ministry's spokesman, Maria Zakharova, told reporters in Moscow. "
    "Protesters gathered outside the U.S. Embassy; police fired tear gas and arrested 12 people.",
    "Al-Shabab claimed responsibility for the attack, according to a statement posted on Telegram; "
    "the group's claims could not be independently verified.",
]

FIELDS = ("pos_", "tag_", "dep_", "lemma_")


def _annotations(nlp: spacy.language.Language, text: str) -> list[tuple[str, ...]]:
    return [(t.text, *(getattr(t, f) for f in FIELDS), str(t.morph)) for t in nlp(text)]


@pytest.fixture(scope="module")
def pipelines() -> tuple[spacy.language.Language, spacy.language.Language]:
    original = spacy.load(MODEL)
    fused = spacy.load(MODEL)
    token_attrs.fuse(fused)
    return original, fused


def test_fuse_replaces_both_pipes(pipelines: tuple[spacy.language.Language, spacy.language.Language]) -> None:
    _, fused = pipelines
    assert token_attrs.NAME in fused.pipe_names
    assert "attribute_ruler" not in fused.pipe_names and "lemmatizer" not in fused.pipe_names
    token_attrs.fuse(fused)  # a second call changes nothing
    assert fused.pipe_names.count(token_attrs.NAME) == 1


@pytest.mark.parametrize("text", TEXTS)
def test_same_annotations_as_original(pipelines: tuple[spacy.language.Language, spacy.language.Language],
                                      text: str) -> None:
    original, fused = pipelines
    assert _annotations(fused, text) == _annotations(original, text)
    # The second time every token comes from the memo: still the same.
    assert _annotations(fused, text) == _annotations(original, text)


def test_all_texts_in_one_document(pipelines: tuple[spacy.language.Language, spacy.language.Language]) -> None:
    original, fused = pipelines
    text = "\n\n".join(TEXTS)
    assert _annotations(fused, text) == _annotations(original, text)


def test_verbs_ending_in_e_keep_their_e(pipelines: tuple[spacy.language.Language, spacy.language.Language]) -> None:
    # spaCy 3.8.18's rule lemmatizer gave "hoped" -> "hop", "raped" -> "rap", "waging" -> "wag" (3.8.7 does not);
    # attribution reads lemmas ("hope" is a belief verb), so the pinned spaCy must not do that.
    _, fused = pipelines
    doc = fused("She hoped the talks would succeed. Soldiers raped and looted, waging war on villages that "
                "had been spared until then.")
    lemmas = {t.text: t.lemma_ for t in doc}
    assert [lemmas[w] for w in ("hoped", "raped", "waging", "spared")] == ["hope", "rape", "wage", "spare"]
