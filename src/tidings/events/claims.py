"""Claims: attributed statements that are not event reports, and which of them oppose each other.

"The Kremlin called the fighters part of a sabotage group working for Ukraine" and "Kyiv said the
two units acted on their own" are not events; they are what two parties assert about one. Each is
kept verbatim with its source, cue and stance, and the pair is linked as a contradiction.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from tidings.events.attribution import (
    Found,
    attribute_sentence,
    attributes,
    doc_info,
    lexicon,
    main_found,
    side_of,
)

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span, Token

_STANCE_BY_STATUS = {"denied": "denies", "unverified": "unverified"}
_NEAR_CHARS = 400  # consecutive claims this close (in characters) may answer each other
_MIN_OVERLAP = 0.25  # Jaccard of content lemmas that makes two distant claims about the same thing


@dataclass
class ClaimSpan:
    text: str
    start: int
    end: int
    attributed_to: str | None
    cue: str | None
    stance: str  # asserts | denies | disputes | unverified
    about: str | None  # short key of what it is about (head noun/entity), for linking
    content_lemmas: frozenset[str] = frozenset()  # content words of the claim, for linking
    doc_id: str | None = None  # set when claims of several documents are linked together: offsets are per document


def _overlaps(start: int, end: int, spans: Sequence[tuple[int, int]]) -> bool:
    return any(s < end and start < e for s, e in spans)


def _content_tokens(sent: Span, f: Found | None) -> list[Token]:
    if f is None or f.content is None:
        return list(sent)
    return [t for t in sent if f.content[0] <= t.idx < f.content[1]]


def _antecedent(tok: Token) -> Token | None:
    """The nearest earlier plural/neuter noun a pronoun like "they" or "it" may stand for."""
    doc = tok.doc
    for i in range(tok.i - 1, max(-1, tok.i - 80), -1):
        cand = doc[i]
        if cand.pos_ in ("NOUN", "PROPN") and cand.dep_ in ("nsubj", "nsubjpass", "dobj", "pobj"):
            if tok.lower_ in ("they", "them") and cand.tag_ not in ("NNS", "NNPS"):
                continue
            return cand
    return None


def _about(tokens: list[Token]) -> str | None:
    """Head noun of what the claim is about: the content's subject, else its object, else a noun."""
    for deps in (("nsubj", "nsubjpass"), ("dobj", "attr", "oprd"), ("pobj",)):
        for t in tokens:
            if t.dep_ not in deps:
                continue
            if t.pos_ == "PRON" and t.lower_ in ("they", "them", "it"):
                ante = _antecedent(t)
                if ante is not None:
                    return ante.lemma_.lower()
            if t.pos_ in ("NOUN", "PROPN"):
                return t.lemma_.lower()
    return None


def _is_pure_disclaimer(disclaimers: list[tuple[int, int]], f: Found | None) -> bool:
    """"CBS News cannot independently verify the group's claims": a note on other claims, not one."""
    return bool(disclaimers) and (f is None or f.content is None)


def extract_claims(doc: Doc, *, skip_spans: Sequence[tuple[int, int]] = ()) -> list[ClaimSpan]:
    """Attributed statements in the document (skip_spans = sentences already taken as event reports)."""
    info = doc_info(doc)
    claims: list[ClaimSpan] = []
    for idx, sent in enumerate(info.sents):
        if _overlaps(sent.start_char, sent.end_char, skip_spans):
            continue
        f = main_found(info.found[idx], sent)
        if _is_pure_disclaimer(info.disclaimers[idx], f):
            continue
        att = attribute_sentence(doc, sent.start_char, sent.end_char)
        text = sent.text.rstrip()
        if att.cue is not None and not (att.attributed_to is None and att.status == "reported"):
            stance = _STANCE_BY_STATUS.get(att.status, "asserts")
            if f is not None and f.stance in ("denies", "disputes") and att.status == "denied":
                stance = f.stance
            claims.append(_claim(sent, text, f, att.attributed_to, att.cue, stance))
            continue
        # the outlet reports the sentence, but a clause inside it is someone's claim
        # ("The attack, which Russia blamed on Ukraine, killed five")
        inner = [g for g in info.found[idx] if g.speaker is not None and g.content is not None and attributes(g)]
        if inner:
            g = min(inner, key=lambda g: lexicon().rank[g.status])
            claims.append(_claim(
                sent, text, g, info.text[g.speaker[0] : g.speaker[1]], info.text[g.cue_ext[0] : g.cue_ext[1]],
                _STANCE_BY_STATUS.get(g.status, g.stance),
            ))
    return claims


def _claim(sent: Span, text: str, f: Found | None, source: str | None, cue: str, stance: str) -> ClaimSpan:
    tokens = _content_tokens(sent, f)
    return ClaimSpan(
        text=text, start=sent.start_char, end=sent.start_char + len(text), attributed_to=source, cue=cue,
        stance=stance, about=_about(tokens),
        content_lemmas=frozenset(
            t.lemma_.lower() for t in tokens if t.pos_ in ("NOUN", "PROPN", "VERB", "ADJ", "NUM")
        ),
    )


_PRONOUN_SOURCES = frozenset({"he", "she", "it", "they", "we", "i", "you", "who", "which", "that"})


def _name_words(source: str) -> frozenset[str]:
    return frozenset(w.lower() for w in re.findall(r"[A-Z][\w'\u2019.-]+", source) if w.lower() not in ("the", "a"))


@dataclass(frozen=True)
class _Speaker:
    """What comparing a claim's source reads, worked out once per claim (a group is compared pairwise)."""

    low: str
    bare: str  # lower-cased, without a leading article
    words: frozenset[str]  # capitalised words, lower-cased
    side: str | None

    @classmethod
    def of(cls, source: str) -> _Speaker:
        low = source.lower()
        return cls(low, re.sub(r"^(?:the|a)\s+", "", low).strip(), _name_words(source), side_of(source))


def _same_source(a: _Speaker, b: _Speaker) -> bool:
    """"Nebenzia" and "Vassily Nebenzia", "Joan Donoghue" and "the court's president, Judge Joan Donoghue"."""
    if a.bare == b.bare:
        return True
    return bool(a.words and b.words) and (a.words <= b.words or b.words <= a.words)


def _jaccard(a: ClaimSpan, b: ClaimSpan) -> float:
    union = a.content_lemmas | b.content_lemmas
    return len(a.content_lemmas & b.content_lemmas) / len(union) if union else 0.0


def _opposing_stances(a: ClaimSpan, b: ClaimSpan) -> bool:
    pos, neg = {"asserts"}, {"denies", "disputes"}
    return (a.stance in pos and b.stance in neg) or (a.stance in neg and b.stance in pos)


@cache
def _contrast_pattern(markers: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(re.escape(m) for m in markers) + r")\b")


def _contrasts(later: ClaimSpan) -> bool:
    return _contrast_pattern(tuple(lexicon().contrast_markers)).search(later.text.lower()) is not None


def _linked(a: ClaimSpan, b: ClaimSpan, adjacent: bool, b_contrasts: bool, opposing_sides: bool) -> bool:
    """Whether claim b (later, whose text `b_contrasts`) opposes claim a about the same thing."""
    same = (a.about is not None and a.about == b.about) or _jaccard(a, b) >= _MIN_OVERLAP
    if _opposing_stances(a, b):
        # a denial right after an assertion answers it when they share a content word
        return same or (adjacent and _jaccard(a, b) > 0)
    if "unverified" in (a.stance, b.stance):
        return False  # nobody vouches for one of them: nothing to oppose
    if b_contrasts:
        return same or adjacent
    return same and opposing_sides


def contradictions(claims: Sequence[ClaimSpan]) -> list[tuple[int, int]]:
    """Index pairs of claims by different sources that are about the same thing and oppose each other."""
    pairs: list[tuple[int, int]] = []
    # Claims without a source, or by an unresolved pronoun (which may be either speaker), are never linked.
    speakers = [_Speaker.of(c.attributed_to) if c.attributed_to is not None else None for c in claims]
    contrast = [_contrasts(c) for c in claims]
    for i, a in enumerate(claims):
        sa = speakers[i]
        if sa is None or sa.low in _PRONOUN_SOURCES:
            continue
        for j in range(i + 1, len(claims)):
            sb = speakers[j]
            if sb is None or sb.low in _PRONOUN_SOURCES or _same_source(sa, sb):
                continue
            b = claims[j]
            adjacent = j == i + 1 and a.doc_id == b.doc_id and 0 <= b.start - a.end <= _NEAR_CHARS
            opposing_sides = bool(sa.side and sb.side and sa.side != sb.side)
            if _linked(a, b, adjacent, contrast[j], opposing_sides):
                pairs.append((i, j))
    return pairs
