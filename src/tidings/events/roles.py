"""Who did it to whom: actor1 (the initiator) and actor2 (the target) of an event sentence.

Read from spaCy's dependency parse around the trigger: the active subject or the passive "by" agent is
the initiator; the object, the "on/at/against" complement or the passive subject is the target; a
modifier of a trigger noun ("Russian shelling", "RSF drone strike") is the initiator. Each role is a
mention in the text, resolved to a registry actor (an official's body codes as its force: "Russia's
defense ministry" -> "Military Forces of Russia (2000-)"), or to the country's military for a country
or nationality used as a subject ("Russia fired missiles").
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from tidings.records import Mention
from tidings.resolve.actors import Actor, ActorRegistry
from tidings.resolve.gazetteer import Gazetteer

if TYPE_CHECKING:
    from spacy.tokens import Doc, Token

AGENT_DEPS = {"nsubj", "csubj"}
TARGET_DEPS = {"dobj", "nsubjpass", "attr"}
TARGET_PREPS = {"on", "at", "against", "into", "in"}
ACTOR_LABELS = {"GROUP", "ORG", "PERSON", "GPE", "NORP"}
CIVILIAN_WORDS = {"civilian", "civilians", "resident", "residents", "people", "children", "child", "women",
                  "villagers", "worker", "workers", "family", "families", "passenger", "passengers", "patient",
                  "patients", "student", "students", "man", "men", "woman", "boy", "girl", "journalist",
                  "journalists", "clinic", "hospital", "school", "home", "homes", "house", "houses",
                  "apartment", "building", "market", "church", "mosque", "village"}
UNIDENTIFIED_WORDS = {"gunmen", "gunman", "assailants", "attackers", "militants", "unknown", "unidentified",
                      "armed men", "armed individuals", "bandits", "shooters", "masked"}
PROTEST_WORDS = {"protesters", "protestors", "demonstrators", "marchers", "activists", "crowd", "rally"}


@dataclass(frozen=True)
class Role:
    actor: Actor
    text: str | None  # the words it was read from, verbatim
    start: int | None
    end: int | None


@lru_cache(maxsize=256)
def _military(registry: ActorRegistry, country: str) -> Actor | None:
    """The force a bare country name codes as when it acts ("Russia fired missiles")."""
    return registry.state_force(country)


def _actor_of(m: Mention, registry: ActorRegistry, country_of: dict[tuple[int, int], str]) -> Actor | None:
    actor = registry.get(m.entity_id) if m.entity_id else None
    if actor is None and m.label in ("GROUP", "ORG", "PERSON"):
        actor = registry.lookup(m.text)
    if actor is not None:
        return registry.acled_actor(actor) or actor
    if m.label in ("GPE", "NORP"):
        cc = country_of.get((m.start, m.end))
        if cc is None and m.label == "NORP":
            place = Gazetteer.load().demonym(m.text)  # "Israeli airstrikes" -> Israel
            cc = place.country_code if place else None
        if cc:
            return _military(registry, cc)
    return None


def _mention_at(token: Token, mentions: list[Mention]) -> Mention | None:
    pos = token.idx
    for m in mentions:
        if m.start <= pos < m.end and m.label in ACTOR_LABELS:
            return m
    return None


def _subtree_mention(token: Token, mentions: list[Mention]) -> Mention | None:
    """The first actor mention inside a token's phrase ("the paramilitary Rapid Support Forces")."""
    for t in token.subtree:
        m = _mention_at(t, mentions)
        if m is not None:
            return m
    return None


def _trigger_token(doc: Doc, start: int, end: int) -> Token | None:
    span = doc.char_span(start, end, alignment_mode="expand")
    if span is None or not len(span):
        return None
    return span.root


CLIMB_DEPS = {"dobj", "conj", "compound", "pobj", "prep", "nsubjpass", "attr", "appos", "amod", "nmod", "advcl"}


def _heads(trigger: Token) -> list[Token]:
    """The trigger and the words it hangs from up to its verb: a trigger noun in "fired missiles and
    drones" or "launched an attack" takes its subject from the verb."""
    heads = [trigger]
    tok = trigger
    for _ in range(4):
        if tok.pos_ in ("VERB", "AUX") or tok.dep_ not in CLIMB_DEPS or tok.head is tok:
            break
        tok = tok.head
        heads.append(tok)
    return heads


def _by_agent(trigger: Token, mentions: list[Mention]) -> Mention | None:
    """ "Shelling by the paramilitary Rapid Support Forces": the first actor named after "by"."""
    for child in trigger.children:
        if child.dep_ in ("prep", "agent") and child.lower_ == "by":
            for tok in child.doc[child.i + 1: child.i + 8]:
                m = _mention_at(tok, mentions)
                if m is not None:
                    return m
    return None


def _is_pronoun_phrase(tok: Token) -> bool:
    """ "it", "they", "its forces", "our troops": the actor is whoever is speaking."""
    return tok.pos_ == "PRON" or any(c.dep_ == "poss" and c.pos_ == "PRON" for c in tok.children)


def assign_roles(doc: Doc, trigger_start: int, trigger_end: int, mentions: list[Mention],
                 registry: ActorRegistry, country_of: dict[tuple[int, int], str],
                 speaker: tuple[int, int] | None = None) -> dict[str, Any]:
    """{"actor1": Role|None, "actor2": Role|None, "target_words": [..]} for one trigger (doc offsets).
    `speaker` is the attribution source's span: a pronoun subject ("its forces struck") is the speaker."""
    trigger = _trigger_token(doc, trigger_start, trigger_end)
    result: dict[str, Any] = {"actor1": None, "actor2": None, "target_words": []}
    if trigger is None:
        return result
    agents: list[Token] = []
    targets: list[Token] = []
    agent_mentions: list[Mention] = []
    if (m := _by_agent(trigger, mentions)) is not None:
        agent_mentions.append(m)
    heads = _heads(trigger)
    for head in heads:
        for child in head.children:
            if child in heads:
                continue
            if child.dep_ in AGENT_DEPS:
                agents.append(child)
            elif child.dep_ == "agent":
                agents.extend(c for c in child.children if c.dep_ == "pobj")
            elif child.dep_ in TARGET_DEPS:
                targets.append(child)
            elif child.dep_ == "prep" and child.lower_ in TARGET_PREPS:
                targets.extend(c for c in child.children if c.dep_ == "pobj")
        if head.pos_ in ("NOUN", "PROPN"):
            agents.extend(c for c in head.children if c.dep_ in ("amod", "compound", "poss", "nmod"))
    # A trigger noun that is the subject ("airstrikes killed 23 people"): the verb's object is the target.
    if trigger.dep_ == "nsubj":
        targets.extend(c for c in trigger.head.children if c.dep_ in TARGET_DEPS)
    # Conjoined verbs share the subject: "Russian forces crossed the border and shelled X".
    if not agents and trigger.dep_ == "conj":
        agents.extend(c for c in trigger.head.children if c.dep_ in AGENT_DEPS)
    for tok in agents:
        m = _subtree_mention(tok, mentions)
        if m is None and speaker is not None and _is_pronoun_phrase(tok):
            m = next((x for x in mentions if speaker[0] <= x.start < speaker[1] and x.label in ACTOR_LABELS), None)
        if m is not None:
            agent_mentions.append(m)
    for m in agent_mentions:
        actor = _actor_of(m, registry, country_of)
        if actor is not None:
            result["actor1"] = Role(actor, m.text, m.start, m.end)
            break
    for tok in targets:
        m = _subtree_mention(tok, mentions)
        actor = _actor_of(m, registry, country_of) if m else None
        if actor is not None and m is not None and (result["actor1"] is None or
                                                      actor.actor_id != result["actor1"].actor.actor_id):
            result["actor2"] = Role(actor, m.text, m.start, m.end)
            break
    result["target_words"] = sorted({t.lower_ for tok in targets for t in tok.subtree})
    return result


def victim_is_civilian(target_words: list[str], sentence: str) -> bool:
    words = set(target_words) or {w.strip(".,;:\"'").lower() for w in sentence.split()}
    return bool(words & CIVILIAN_WORDS)


def targets_protesters(target_words: list[str], sentence: str) -> bool:
    words = set(target_words) | {w.strip(".,;:\"'").lower() for w in sentence.split()}
    return bool(words & PROTEST_WORDS)


def unidentified_attackers(sentence: str) -> bool:
    """ "Gunmen opened fire", "unidentified armed men attacked": ACLED's Unidentified Armed Group."""
    low = " " + " ".join(w.strip(".,;:\"'()").lower() for w in sentence.split()) + " "
    return any(f" {w} " in low for w in UNIDENTIFIED_WORDS)
