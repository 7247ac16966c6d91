"""Code one sentence with ACLED's event type and sub-event type.

Rules, not a trained model: `data/event_lexicon.yaml` holds named trigger patterns and an ordered
rule list whose order encodes ACLED's precedence (specific weapon > protest > territory > battle >
violence against civilians > strategic development). Weapons may be inherited from the context
sentence ("Russia fired cruise missiles ... One slammed into a clinic"), triggers never are. A
trigger governed by modality ("could strike", "threatened to attack") or a background/recap
sentence ("since the 2022 invasion") is not an event, and neither is a trigger that only refers to an
incident (`reporting` in the lexicon): inside a reaction, claim, court or aftermath frame ("condemned the
attack", "claimed responsibility for the attack"), a determined event noun in a sentence that asserts
nothing happened ("Tuesday's attack marked an escalation"), an uncounted plural ("recent attacks"), a
cumulative count ("have arrested 2,400 people since February") or a generic state ("has been fighting an
insurgency"). News articles are full of these; ACLED notes rarely are.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from tidings.events.literals import Prefilter, Scan, Starts, marked

_FLAGS = re.IGNORECASE
# Names (actors) are matched case-sensitively so "IS" and "PDF" do not match ordinary words.
_CASE_SENSITIVE = {"non_state_actor", "place_object"}
# Rules weaker than this need a place, time or number in the sentence to count as a specific event.
_SPECIFIC_BELOW = 0.7
# Rules this weak (displacement, generic harm) inside a disaster report are the disaster's, not conflict's.
_DISASTER_WEAK = 0.5
_CLAUSE_BREAK = re.compile(r"[.;!?]|\b(but|while|whereas|although|however)\b", _FLAGS)


@dataclass(frozen=True)
class EventCoding:
    event_type: str
    sub_event_type: str
    confidence: float
    trigger: str | None
    trigger_start: int | None  # offsets within the sentence
    trigger_end: int | None
    civilian_targeting: bool


@dataclass(frozen=True)
class _Rule:
    sub: str
    any: tuple[str, ...]
    all: tuple[str, ...]
    none: tuple[str, ...]
    before: tuple[str, ...]
    precedes: tuple[str, ...]
    after: tuple[str, ...]
    confidence: float
    civilian_targeting: bool | None


@dataclass(frozen=True)
class _Lexicon:
    cues: dict[str, re.Pattern[str]]
    rules: tuple[_Rule, ...]
    inheritable: frozenset[str]
    hypothetical: re.Pattern[str]
    background: re.Pattern[str]
    negation: re.Pattern[str]
    past_year: re.Pattern[str]
    topic: re.Pattern[str]
    protest_followup: re.Pattern[str]
    specific: re.Pattern[str]
    generic_present: re.Pattern[str]
    upgrades: tuple[tuple[frozenset[str], str, frozenset[str], tuple[str, ...]], ...]
    triggers: Starts | None  # a quick test for any trigger cue, on lower-cased text
    trigger_filter: Prefilter | None  # a quicker one before it: literals any trigger needs
    cue_filters: dict[str, Prefilter]  # literals each cue needs
    cue_scan: Scan  # every cue, tried only where it may start
    cue_index: dict[str, int]  # a cue's place in cue_scan
    categories: dict[str, re.Pattern[str]]
    reporting: dict[str, re.Pattern[str]]
    sub_to_type: dict[str, str]
    sub_info: dict[str, dict[str, Any]]


def _read(name: str) -> Any:
    return yaml.safe_load(resources.files("tidings.data").joinpath(name).read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def taxonomy() -> dict[str, Any]:
    """The ACLED taxonomy as loaded from data/acled_taxonomy.yaml."""
    data: dict[str, Any] = _read("acled_taxonomy.yaml")
    return data


@lru_cache(maxsize=1)
def _lexicon() -> _Lexicon:
    lex = _read("event_lexicon.yaml")
    cues = {
        name: re.compile(rx, 0 if name in _CASE_SENSITIVE else _FLAGS) for name, rx in lex["cues"].items()
    }
    rules = []
    for r in lex["rules"]:
        for key in ("any", "all", "none", "before", "precedes", "after"):
            for cue in r.get(key, []):
                if cue not in cues:
                    raise ValueError(f"event_lexicon.yaml: rule {r['sub']!r} names unknown cue {cue!r}")
        rules.append(
            _Rule(
                r["sub"],
                tuple(r["any"]),
                tuple(r.get("all", [])),
                tuple(r.get("none", [])),
                tuple(r.get("before", [])),
                tuple(r.get("precedes", [])),
                tuple(r.get("after", [])),
                float(r["confidence"]),
                r.get("civilian_targeting"),
            )
        )
    sub_to_type: dict[str, str] = {}
    sub_info: dict[str, dict[str, Any]] = {}
    for etype, body in taxonomy()["event_types"].items():
        for sub, info in body["sub_event_types"].items():
            sub_to_type[sub] = etype
            sub_info[sub] = info
    for rule in rules:
        if rule.sub not in sub_to_type:
            raise ValueError(f"event_lexicon.yaml: unknown sub-event type {rule.sub!r}")
    blockers = lex["blockers"]
    return _Lexicon(
        cues=cues,
        rules=tuple(rules),
        inheritable=frozenset(lex["inheritable"]),
        hypothetical=re.compile(blockers["hypothetical_before"], _FLAGS),
        background=re.compile(blockers["background"], _FLAGS),
        negation=re.compile(blockers["negation"], _FLAGS),
        past_year=re.compile(blockers["past_year"], _FLAGS),
        topic=re.compile(blockers["topic"], _FLAGS),
        protest_followup=re.compile(blockers["protest_followup"]),
        specific=re.compile(blockers["specific"], _FLAGS),
        generic_present=re.compile(blockers["generic_present"], _FLAGS),
        upgrades=tuple(
            (frozenset(u["from"]), u["to"], frozenset(u.get("when", [])), tuple(u.get("when_cue", [])))
            for u in lex.get("upgrades", [])
        ),
        triggers=Starts(triggers) if (triggers := _trigger_pattern(lex["cues"], [c for r in rules for c in r.any]))
        else None,
        trigger_filter=Prefilter(triggers) if triggers is not None else None,
        cue_filters={name: Prefilter(rx) for name, rx in cues.items()},
        cue_scan=Scan(list(cues.values())),
        cue_index={name: i for i, name in enumerate(cues)},
        categories={k: re.compile(v, _FLAGS) for k, v in lex["background_categories"].items()},
        reporting={k: re.compile(v, _FLAGS) for k, v in lex["reporting"].items()},
        sub_to_type=sub_to_type,
        sub_info=sub_info,
    )


def _trigger_pattern(patterns: dict[str, str], names: list[str]) -> re.Pattern[str] | None:
    """One alternation of every trigger cue, lower-cased and anchored at a word start: on lower-cased
    text this is twice as fast as trying each IGNORECASE cue, and most sentences stop here. It may
    match more than the cues (it is only a gate), never less; None when a cue cannot be lower-cased."""
    names = list(dict.fromkeys(names))
    if any(n in _CASE_SENSITIVE or re.search(r"\\[A-Z]", patterns[n]) for n in names):
        return None  # a case-sensitive cue or an escape like \\S that lower-casing would change
    return re.compile(r"(?<!\w)(?=\w)(?:" + "|".join(f"(?:{patterns[n].lower()})" for n in names) + ")")


def event_type_of(sub_event_type: str) -> str:
    """ACLED event type of a sub-event type (KeyError if unknown)."""
    return _lexicon().sub_to_type[sub_event_type]


def sub_event_types() -> list[str]:
    return list(_lexicon().sub_to_type)


def _governed(sentence: str, start: int, lex: _Lexicon) -> bool:
    """True when modality or negation governs the trigger at `start` (same clause, just before it)."""
    prefix = sentence[max(0, start - 60) : start]
    breaks = list(_CLAUSE_BREAK.finditer(prefix))
    if breaks:
        prefix = prefix[breaks[-1].end() :]
    return bool(lex.hypothetical.search(prefix) or lex.negation.search(prefix[-20:]))


def _referenced(sentence: str, start: int, end: int, lex: _Lexicon) -> bool:
    """True when the trigger at [start, end) refers to an incident instead of reporting one: governed by a
    reaction, claim, legal or background frame; a determined event noun ("the attack", "X's arrest") or
    an uncounted plural ("recent attacks") in a sentence asserting no occurrence; or a generic state."""
    rep = lex.reporting
    prefix = sentence[max(0, start - 100) : start]
    breaks = list(_CLAUSE_BREAK.finditer(prefix))
    if breaks:
        prefix = prefix[breaks[-1].end() :]
    head = (sentence[start:end].split() or [""])[0]
    if rep["reaction_before"].search(prefix) and not rep["past_verb"].match(head):
        return True
    if rep["generic_state"].search(sentence, max(0, start - 40), min(len(sentence), end + 40)):
        return True
    brk = _CLAUSE_BREAK.search(sentence, end)
    clause_after = sentence[end : brk.start() if brk else len(sentence)]
    if rep["recap_after"].search(clause_after) or (
        rep["perfect_before"].search(prefix + head) and rep["since_after"].search(clause_after)
    ):
        return True
    if not rep["event_noun"].match(head):
        return False
    determined = rep["nominal_before"].search(prefix) is not None
    aggregate = rep["plural_event_noun"].match(head) is not None and not rep["count_before"].search(prefix)
    if not (determined or aggregate):
        return False
    # The rest of the sentence must say the incident happened ("came under attack", "killed in the attack").
    rest = sentence[:start] + " " * len(head) + sentence[start + len(head) :]
    return rep["nominal_asserted"].search(rest) is None


def _subject_before(sentence: str, start: int, cue: re.Pattern[str]) -> bool:
    prefix = sentence[max(0, start - 100) : start]
    breaks = list(_CLAUSE_BREAK.finditer(prefix))
    if breaks:
        prefix = prefix[breaks[-1].end() :]
    return cue.search(prefix) is not None


def _civilian_targeting(rule: _Rule, sentence: str, lex: _Lexicon) -> bool:
    if rule.civilian_targeting is not None:
        return bool(rule.civilian_targeting)
    if lex.sub_to_type[rule.sub] != "Explosions/Remote violence":
        return False
    # Remote violence counts as targeting civilians only when civilians, not soldiers, were hit.
    return bool(lex.cues["civilian_target"].search(sentence)) and not lex.cues["military_target"].search(
        sentence
    )


# Memoised: the cheap-first pass and the final pass over a document classify the same sentences, and
# agency copy repeats them across documents. The coding is immutable.
@lru_cache(maxsize=8192)
def classify_sentence(sentence: str, context: str = "") -> EventCoding | None:
    """ACLED coding of the event a sentence reports, or None if it reports none.

    `context` is the neighbouring text (usually the previous sentence); only weapons/means cues listed
    as `inheritable` in the lexicon are taken from it.
    """
    if not sentence.strip():
        return None
    lex = _lexicon()
    if sentence.rstrip().endswith("?") or lex.past_year.search(sentence):
        return None  # questions and recaps of dated past events ("The 2004 bombing ...") are not reports
    lowered = sentence.lower()
    # Lower-casing that keeps the length maps each character to one with the same \w-ness, so the word
    # boundaries marked in `lowered` are those of `sentence` (see literals.py).
    marks = marked(lowered) if len(lowered) == len(sentence) else None
    if lex.triggers is not None and lex.trigger_filter is not None and marks is not None and (
        not lex.trigger_filter.may_match(marks) or lex.triggers.search(lowered, lowered) is None
    ):
        return None  # every rule needs a trigger: most sentences have none, and this is the cheap test
    background = [m.start() for m in lex.background.finditer(sentence)]
    masked = _topic_spans(sentence, lex)
    matches: dict[str, list[re.Match[str]]] = {}
    places = lex.cue_scan.places(sentence, lowered)  # where each cue may start, in one pass

    def all_matches(name: str) -> list[re.Match[str]]:
        # Each cue runs at most once per sentence; matches inside a protest's topic are dropped.
        if name not in matches:
            i = lex.cue_index[name]
            if places[i] is None and marks is not None and not lex.cue_filters[name].may_match(marks):
                matches[name] = []  # a literal the cue needs is missing: it cannot match
                return matches[name]
            matches[name] = [
                m
                for m in lex.cue_scan.finditer(i, sentence, places)
                if name == "protest" or not _inside(m.start(), masked)
            ]
        return matches[name]

    def find(name: str) -> re.Match[str] | None:
        found = all_matches(name)
        return found[0] if found else None

    for rule in lex.rules:
        if any(find(c) for c in rule.none):
            continue
        if not all(
            find(c) or (c in lex.inheritable and context and lex.cues[c].search(context)) for c in rule.all
        ):
            continue
        inherited = any(not find(c) for c in rule.all)
        trigger = _first_trigger(sentence, rule, lex, all_matches)
        if trigger is None:
            continue
        start, end = trigger
        if any((m := find(c)) is not None and m.start() < start for c in rule.precedes):
            continue
        if rule.after and not any(m.start() >= end for c in rule.after for m in all_matches(c)):
            continue  # the cue must follow the trigger (its object), e.g. the victim of a shooting
        if any(b < end and not _CLAUSE_BREAK.search(sentence, b, start) for b in background):
            return None  # a recap or policy sentence ("Since the 2022 invasion, Russia has fired ...")
        if rule.confidence < _SPECIFIC_BELOW and not inherited and not lex.specific.search(sentence):
            return None  # no place, time or number: a generic statement, not a reported incident
        if rule.confidence <= _DISASTER_WEAK and any(
            lex.categories[c].search(sentence) for c in ("NATURAL_DISASTER", "MAN_MADE_DISASTER")
        ):
            return None  # "the cyclone displaced 3,000 people": a weak cue inside a disaster report
        if lex.generic_present.search(sentence, max(0, start - 30), end):
            return None  # habitual present ("they kill people"), not a dated incident
        return EventCoding(
            event_type=lex.sub_to_type[rule.sub],
            sub_event_type=rule.sub,
            confidence=rule.confidence,
            trigger=sentence[start:end],
            trigger_start=start,
            trigger_end=end,
            civilian_targeting=_civilian_targeting(rule, sentence, lex),
        )
    return None


def _topic_spans(sentence: str, lex: _Lexicon) -> list[tuple[int, int]]:
    """Spans naming what a protest is about ("protested against the shelling"): not events themselves."""
    first = lex.cues["protest"].search(sentence)
    if first is None:
        # "They demanded the arrest of the governor." after a protest sentence: all of it is topic.
        followup = lex.protest_followup.search(sentence)
        return [(followup.end(), len(sentence))] if followup else []
    return [(m.start(), m.end()) for m in lex.topic.finditer(sentence, first.start())]


def topic_spans(sentence: str) -> list[tuple[int, int]]:
    """Character spans of a protest sentence that name what the protest is about."""
    return _topic_spans(sentence, _lexicon())


def _inside(pos: int, spans: list[tuple[int, int]]) -> bool:
    return any(s <= pos < e for s, e in spans)


def upgrades() -> tuple[tuple[frozenset[str], str, frozenset[str], tuple[str, ...]], ...]:
    """Escalation rules: (from sub-types, to sub-type, when the next sentence codes one of these,
    or when it matches one of these cues)."""
    return _lexicon().upgrades


def has_cue(name: str, text: str) -> bool:
    """Whether the lexicon cue `name` matches `text`."""
    return _lexicon().cues[name].search(text) is not None


def recode(coding: EventCoding, sub_event_type: str) -> EventCoding:
    """The same trigger coded with another sub-event type (and its event type and targeting flag)."""
    lex = _lexicon()
    flag = lex.sub_info[sub_event_type].get("civilian_targeting", False) or (
        coding.civilian_targeting and lex.sub_to_type[sub_event_type] == coding.event_type
    )
    return EventCoding(
        lex.sub_to_type[sub_event_type],
        sub_event_type,
        coding.confidence,
        coding.trigger,
        coding.trigger_start,
        coding.trigger_end,
        bool(flag),
    )


def _first_trigger(
    sentence: str, rule: _Rule, lex: _Lexicon, all_matches: Callable[[str], list[re.Match[str]]]
) -> tuple[int, int] | None:
    """Earliest trigger match of the rule that is not hypothetical and has the required subject."""
    best: tuple[int, int] | None = None
    for name in rule.any:
        for m in all_matches(name):
            if best is not None and m.start() >= best[0]:
                break
            if _governed(sentence, m.start(), lex) or _referenced(sentence, m.start(), m.end(), lex):
                continue
            if rule.before and not any(
                _subject_before(sentence, m.start(), lex.cues[c]) for c in rule.before
            ):
                continue
            best = (m.start(), m.end())
            break
    return best


def background_category(sentence: str) -> str | None:
    """Non-ACLED category a sentence is about (NATURAL_DISASTER, MAN_MADE_DISASTER, ORG_CRIME, DIPLO,
    ATTRIB), or None. The first category (in lexicon order) with a match wins."""
    for name, rx in _lexicon().categories.items():
        if rx.search(sentence):
            return name
    return None
