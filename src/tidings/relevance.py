"""Cheap first: decide, with a keyword lexicon compiled once, which documents and sentences are worth the
expensive NLP stages. Pages without a trace of conflict, force, protest or security politics (sport,
markets, products, celebrity) are rejected in microseconds per kilobyte; in a relevant page only the
candidate sentences and one neighbour on each side (for context: "Russia fired missiles. One hit a
school.") need analysis.

The lexicon is data (`data/relevance.yaml`); it was written by hand, never fitted to an evaluation set.
Its recall is measured by `tidings.eval.relevance` on ACLED notes, CASE 2021 snippets and VOA stories.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import yaml

from tidings.events.literals import Starts

# A sentence ends at . ! ? (with closing quotes or brackets) before a space and a capital, digit or
# quote, or at a line break. Abbreviations ("U.S.", "Gov.") over-split, which costs nothing here: a
# candidate always brings its neighbours.
_SENTENCE_END = re.compile(r"""[.!?]+["'”’)\]]*\s+(?=["'“‘(\[]?[A-Z0-9])|\n+""")


@dataclass(frozen=True)
class Patterns:
    """The lexicon compiled twice: lower-case patterns for lower-cased text (three to five times faster
    than IGNORECASE in `re`), and IGNORECASE for the rare text whose lower-casing changes its length
    (offsets must stay those of the text)."""

    lower: Starts  # the lower-case pattern, tried only where one of its words starts
    anycase: re.Pattern[str]

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        lowered = text.lower()
        if len(lowered) == len(text):
            return self.lower.finditer(lowered, lowered)
        return self.anycase.finditer(text)


@dataclass(frozen=True)
class Lexicon:
    patterns: Patterns  # one alternation: groups `veto`, `strong`, `weak`, tried in that order at each word
    weak_needed: int
    claim_cues: re.Pattern[str]


def _group(name: str, patterns: list[str]) -> str:
    # Longest first, so that "air strikes" wins over "air" where both could match.
    return f"(?P<{name}>" + "|".join(f"(?:{p})" for p in sorted(patterns, key=len, reverse=True)) + ")"


def _compile(groups: list[tuple[str, list[str]]]) -> Patterns:
    """One scan of the text for every group. A veto phrase consumes its words, so a trigger inside it
    ("heart attack") never counts; matches start only at a word start, which spares `re` trying every
    alternative inside words."""
    lower = "|".join(_group(name, [p.lower() for p in patterns]) for name, patterns in groups if patterns)
    anycase = "|".join(_group(name, patterns) for name, patterns in groups if patterns)
    return Patterns(lower=Starts(re.compile(rf"(?<!\w)(?=\w)(?:{lower})\b")),
                    anycase=re.compile(rf"\b(?:{anycase})\b", re.IGNORECASE))


@lru_cache(maxsize=1)
def lexicon() -> Lexicon:
    data = yaml.safe_load(resources.files("tidings.data").joinpath("relevance.yaml").read_text(encoding="utf-8"))
    groups = [("veto", data.get("veto") or []), ("strong", data["strong"]), ("weak", data["weak"])]
    for _, patterns in groups:
        for pattern in patterns:
            if re.search(r"\\[A-Z]", pattern):  # \W \S \D \B would change meaning when lower-cased
                raise ValueError(f"relevance.yaml: use lower-case escapes only: {pattern!r}")
    cues = "|".join(sorted(data["claim_cues"], key=len, reverse=True))
    return Lexicon(patterns=_compile(groups), weak_needed=int(data.get("weak_needed", 2)),
                   claim_cues=re.compile(rf"\b(?:{cues})\b", re.IGNORECASE))


@dataclass(frozen=True)
class Assessment:
    relevant: bool
    spans: list[tuple[int, int]]  # candidate sentences with a neighbour each side, merged; [] when not relevant
    strong: tuple[int, ...] = ()  # offsets of the strong matches


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of the sentences of `text`, whitespace trimmed, empty ones dropped."""
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _SENTENCE_END.finditer(text):
        end = m.start() + len(m.group().rstrip())
        spans.append((start, end))
        start = m.end()
    spans.append((start, len(text)))
    out = []
    for s, e in spans:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            out.append((s, e))
    return out


def _hits(text: str, lex: Lexicon) -> tuple[list[int], list[tuple[int, str]]]:
    """Start offsets of strong matches, and (offset, word) of weak matches, outside vetoed phrases."""
    strong: list[int] = []
    weak: list[tuple[int, str]] = []
    for m in lex.patterns.finditer(text):
        if m.lastgroup == "strong":
            strong.append(m.start())
        elif m.lastgroup == "weak":
            weak.append((m.start(), m.group().lower()))
    return strong, weak


def assess(text: str) -> Assessment:
    """Whether the text is relevant, and which spans of it to analyse: one scan of the text."""
    lex = lexicon()
    strong, weak = _hits(text, lex)
    relevant = bool(strong) or len({word for _, word in weak}) >= lex.weak_needed
    if not relevant:
        return Assessment(False, [])
    sentences = sentence_spans(text)
    starts = [s for s, _ in sentences]
    chosen: set[int] = set()
    for offset in strong + [o for o, _ in weak]:
        i = bisect.bisect_right(starts, offset) - 1
        if i >= 0:
            chosen.update((i - 1, i, i + 1))
    return Assessment(True, _merge(text, [sentences[i] for i in sorted(chosen) if 0 <= i < len(sentences)]),
                      tuple(strong))


def document_relevant(text: str) -> bool:
    """True when the text may report a conflict, protest or political-violence event: it has a strong
    trigger, or weak triggers of at least two kinds. Built for recall: when in doubt, keep."""
    lex = lexicon()
    strong, weak = _hits(text, lex)
    return bool(strong) or len({word for _, word in weak}) >= lex.weak_needed


def relevant_sentence_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of the candidate sentences, each with one neighbour on each side, merged where they
    touch, in text order. Empty when the document is not relevant."""
    return assess(text).spans


_CLAIM_REACH = 600  # characters around an event sentence in which a statement is taken as about it


def focus_spans(text: str, assessment: Assessment) -> list[tuple[int, int]]:
    """The second, narrower cut of cheap first, inside the candidate spans: the sentences the rule-based
    event detector codes as events (with one neighbour each side, for attribution and context), sentences
    with a word of attribution near them, and the conflict sentences (a strong match) that carry a word
    of attribution (claims about events). Only these reach spaCy: on VOA news they are 23% of the text,
    against 66% for the candidate spans."""
    from tidings.events.detect import detect_events

    lex = lexicon()
    masked = mask(text, assessment.spans)
    sentences = sentence_spans(masked)
    starts = [s for s, _ in sentences]
    chosen: set[int] = set()
    for event in detect_events(masked):
        first = max(0, bisect.bisect_right(starts, event.sentence_start) - 1)
        last = max(0, bisect.bisect_right(starts, event.sentence_end - 1) - 1)
        chosen.update(range(first - 1, last + 2))
        # Statements about the event nearby ("Kyiv denied it", "…, officials said") become its claims.
        for i in range(bisect.bisect_left(starts, event.sentence_start - _CLAIM_REACH),
                       bisect.bisect_right(starts, event.sentence_end + _CLAIM_REACH)):
            if lex.claim_cues.search(masked, *sentences[i]):
                chosen.add(i)
    for offset in assessment.strong:
        i = bisect.bisect_right(starts, offset) - 1
        if i >= 0 and lex.claim_cues.search(masked, *sentences[i]):
            chosen.add(i)
    return _merge(text, [sentences[i] for i in sorted(chosen) if 0 <= i < len(sentences)])


def _merge(text: str, picked: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sentences in text order, joined into one span where only whitespace separates them in `text`."""
    spans: list[tuple[int, int]] = []
    for start, end in picked:
        if spans and not text[spans[-1][1] : start].strip():
            spans[-1] = (spans[-1][0], end)
        else:
            spans.append((start, end))
    return spans


def mask(text: str, spans: list[tuple[int, int]]) -> str:
    """The text with everything outside `spans` blanked (line breaks kept): the NLP stages then spend
    their time on these spans only, while every offset stays the offset in the document's text."""
    parts: list[str] = []
    cursor = 0
    for start, end in spans:
        parts.append(_blank(text[cursor:start]))
        parts.append(text[start:end])
        cursor = end
    parts.append(_blank(text[cursor:]))
    return "".join(parts)


def _blank(gap: str) -> str:
    # Every character but line breaks becomes a space (split/join: one regex substitution per character
    # was the slow part of masking long pages).
    return "\n".join(" " * len(line) for line in gap.split("\n"))
