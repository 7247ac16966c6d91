"""Find the sentences of a document that report an ACLED event, and code each one.

Each sentence is classified with the previous sentence as context (weapons carry over). A sentence
that only reports casualties ("Three people were killed.") right after an event sentence is folded
into that event - its span grows to cover both sentences - instead of becoming a new "Attack".
Link lists and short unpunctuated lines (menus, related headlines) are skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tidings.events.casualties import parse_casualties
from tidings.events.classify import EventCoding, classify_sentence, has_cue, recode, topic_spans, upgrades

if TYPE_CHECKING:  # spaCy is only needed when the caller already has a parsed Doc.
    import spacy.tokens

# A sentence ends at . ! ? (optionally followed by a closing quote/bracket) before whitespace and an
# upper-case letter, digit or quote; a newline always ends one. Common abbreviations do not end one.
_ABBREV = re.compile(
    r"\b(Mr|Mrs|Ms|Dr|Prof|Gen|Lt|Col|Maj|Capt|Sgt|Rep|Sen|Gov|St|Jr|Sr|Inc|Ltd|Co|Corp|No|vs|etc|approx|"
    r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|U\.S|U\.N|U\.K|E\.U|a\.m|p\.m|[A-Z])\.$"
)
_BOUNDARY = re.compile(r"[.!?]+[\"'”’)\]]*(?=\s+[\"'“‘(\[]?[A-Z0-9])|\n+")
# Casualty-only words: a sentence whose trigger is one of these reports the toll of a nearby event.
_CASUALTY_TRIGGER = re.compile(
    r"^(kill(ed|s|ing)?|dead|died|injur(ed|ing)|wounded|hurt|body|bodies|shot)$", re.IGNORECASE
)
_FOLDABLE = {"Attack", "Armed clash"}
# A sentence whose subject points back ("They carried banners", "It also hit a school") and that codes
# the same event type continues the previous event rather than starting a new one.
_ANAPHORA = re.compile(
    r"^(They|He|She|It|Both|The (protesters|demonstrators|marchers|group|crowd|participants|attackers|gunmen|"
    r"assailants|militants|rebels|soldiers|troops|forces|police|officers|missile|drone|strike|attack|blast))\b"
)
_CONTEXT_CHARS = 600
_MAX_GAP = 2  # non-event sentences after which an event no longer absorbs escalations


@dataclass
class DetectedEvent:
    sentence_start: int  # offsets into the document text
    sentence_end: int
    coding: EventCoding
    fatalities: int | None
    injuries: int | None
    casualty_text: str | None  # the verbatim number phrase
    casualty_start: int | None = None  # offsets of casualty_text in the document
    casualty_end: int | None = None


def split_sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) spans of sentences, trimmed of surrounding whitespace."""
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _BOUNDARY.finditer(text):
        end = m.end()
        if m.group().strip() and _ABBREV.search(text[max(start, m.start() - 6) : m.start() + 1]):
            continue
        spans.append((start, end))
        start = end
    spans.append((start, len(text)))
    out = []
    for s, e in spans:
        chunk = text[s:e]
        lead = len(chunk) - len(chunk.lstrip())
        trail = len(chunk.rstrip())
        if trail > lead:
            out.append((s + lead, s + trail))
    return out


def _sentences(text: str, doc: spacy.tokens.Doc | None) -> Iterator[tuple[int, int]]:
    if doc is not None:
        for sent in doc.sents:
            chunk = sent.text
            if chunk.strip():
                lead = len(chunk) - len(chunk.lstrip())
                yield sent.start_char + lead, sent.start_char + len(chunk.rstrip())
        return
    yield from split_sentences(text)


def _is_navigation(sentence: str, first: bool) -> bool:
    """Menu items, bylines and related-story headlines: short lines without final punctuation."""
    words = sentence.split()
    if len(words) < 4:
        return True
    return not first and sentence.rstrip()[-1:] not in '.!?"”’)' and len(words) < 14


def detect_events(text: str, doc: spacy.tokens.Doc | None = None) -> list[DetectedEvent]:
    """Every event-reporting sentence of `text`, in order, with its ACLED coding and casualties.

    Uses `doc.sents` when a parsed spaCy Doc over the same text is given, else a rule-based splitter.
    """
    events: list[DetectedEvent] = []
    prev_text = ""
    prev_event: DetectedEvent | None = None
    gap = 0
    for n, (start, end) in enumerate(_sentences(text, doc)):
        sentence = text[start:end]
        if _is_navigation(sentence, first=n == 0):
            prev_text, prev_event = "", None
            continue
        coding = classify_sentence(sentence, context=prev_text)
        fatalities, injuries, phrase = parse_casualties(sentence)
        if phrase is not None and coding is not None and coding.event_type == "Protests":
            # "protested the killing of two students": the deaths are the protest's topic, not its toll.
            at = sentence.index(phrase)
            if any(s <= at < e for s, e in topic_spans(sentence)):
                fatalities, injuries, phrase = None, None, None
        span = (
            (start + sentence.index(phrase), start + sentence.index(phrase) + len(phrase)) if phrase else None
        )
        upgraded = _upgrade(prev_event, coding, sentence) if prev_event is not None else None
        if prev_event is not None and upgraded is not None:
            prev_event.coding = upgraded
            gap = 0
            _add_casualties(text, prev_event, fatalities, injuries, span)
            prev_event.sentence_end = end
        elif prev_event is not None and _folds_into(coding, prev_event, phrase, sentence):
            gap = 0
            _add_casualties(text, prev_event, fatalities, injuries, span)
            prev_event.sentence_end = end
        elif coding is not None:
            gap = 0
            prev_event = DetectedEvent(
                start,
                end,
                coding,
                fatalities,
                injuries,
                phrase,
                span[0] if span else None,
                span[1] if span else None,
            )
            events.append(prev_event)
        else:
            # A sentence with no event keeps the last event open for a later escalation or toll
            # ("... protested in Manzini. They carried banners. Police dispersed them."), for a short while.
            gap += 1
            if gap > _MAX_GAP and phrase is None and not _continues(sentence):
                prev_event = None
        # Weapons carry over only from sentences that reported an event, along a chain of such sentences
        # ("Russia fired missiles ... One slammed into a clinic ... It also hit a school").
        if prev_event is not None and prev_event.sentence_end == end:
            prev_text = (prev_text + " " + sentence)[-_CONTEXT_CHARS:]
        else:
            prev_text = ""
    return events


def _upgrade(prev: DetectedEvent, coding: EventCoding | None, sentence: str) -> EventCoding | None:
    """The previous event recoded when this sentence escalates it (protest -> intervention, clash -> capture)."""
    for sources, target, when, when_cue in upgrades():
        if prev.coding.sub_event_type not in sources:
            continue
        if (coding is not None and coding.sub_event_type in when) or any(
            has_cue(c, sentence) for c in when_cue
        ):
            return recode(prev.coding, target)
    return None


def _folds_into(coding: EventCoding | None, prev: DetectedEvent, phrase: str | None, sentence: str) -> bool:
    if coding is not None and coding.event_type == prev.coding.event_type and _ANAPHORA.match(sentence):
        return True
    if phrase is None:
        return False
    if coding is None:
        return True
    return (
        coding.sub_event_type in _FOLDABLE
        and coding.trigger is not None
        and bool(_CASUALTY_TRIGGER.match(coding.trigger))
    )


def _continues(sentence: str) -> bool:
    """Sentences about damage/aftermath keep the previous event open for a following toll sentence."""
    return bool(re.search(r"\b(damaged|destroyed|fire|rubble|rescuers|emergency|debris)\b", sentence, re.I))


def _add_casualties(
    text: str,
    event: DetectedEvent,
    fatalities: int | None,
    injuries: int | None,
    span: tuple[int, int] | None,
) -> None:
    if fatalities is not None:
        event.fatalities = fatalities if event.fatalities is None else event.fatalities + fatalities
    if injuries is not None:
        event.injuries = injuries if event.injuries is None else event.injuries + injuries
    if span is None:
        return
    # Keep the casualty text verbatim: the document span from the first count to the last.
    start = span[0] if event.casualty_start is None else event.casualty_start
    event.casualty_start, event.casualty_end = start, span[1]
    event.casualty_text = text[start : span[1]]
