"""Attribution: who asserted a statement, with which cue, and what status that gives it.

Works on a parsed spaCy `Doc` of the whole document. Inside one sentence the dependency parse
finds the reporting cue (a verb from the lexicon, or a phrase such as "according to"), its source
(the verb's subject, the object of "according to") and its content (the verb's clausal
complement, or the quoted text). Across sentences it handles quotes that run over several
sentences, attribution-only sentences after a quote, and disclaimers ("CBS News cannot
independently verify the group's claims") that cover the attributed sentences before them.
All words and patterns live in `data/attribution.yaml`.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import OrderedDict
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span, Token

STATUSES = ("reported", "claimed", "alleged", "denied", "unverified")
_CONTENT_DEPS = ("ccomp", "xcomp", "parataxis")
_PREDICATE_DEPS = frozenset({"acomp", "attr", "oprd", "ROOT", "ccomp", "conj", "appos", "npadvmod"})
_PRONOUNS_PERSON = frozenset({"he", "she", "him", "her"})
_PRONOUNS_OTHER = frozenset({"it", "they", "them"})
_OPEN_QUOTES = "\u201c\u00ab"
_CLOSE_QUOTES = "\u201d\u00bb"
_LEXICON_PATH = Path(__file__).resolve().parent.parent / "data" / "attribution.yaml"


@dataclass(frozen=True)
class Attribution:
    attributed_to: str | None  # verbatim source span text; None means the outlet itself
    source_start: int | None
    source_end: int | None
    cue: str | None  # verbatim cue text
    cue_start: int | None
    cue_end: int | None
    status: str  # reported | claimed | alleged | denied | unverified


@dataclass(frozen=True)
class Found:
    """One attribution relation found inside a sentence (character offsets into the doc text)."""

    cue: tuple[int, int]  # the core cue ("said", "according to")
    cue_ext: tuple[int, int]  # the cue with its medium and negation ("did not say on Twitter")
    source: tuple[int, int] | None  # the source as written, pronouns included ("who", "he")
    speaker: tuple[int, int] | None  # the source with a relative pronoun replaced by its noun
    content: tuple[int, int] | None
    cls: str  # verb class or "phrase" / "modifier"
    status: str
    stance: str
    verb_i: int  # token index of the cue's head word
    depth: int  # distance of the cue from the sentence root: the main attribution is shallowest


@dataclass(frozen=True)
class Lexicon:
    verb_class: dict[str, str]
    classes: dict[str, dict[str, Any]]
    phrases: list[dict[str, Any]]
    phrases_by_first: dict[str, list[dict[str, Any]]]  # the phrases by their first word, in order
    speech_verbs: frozenset[str]
    quote_verbs: frozenset[str]
    noun_cues: dict[str, str]
    modifiers: dict[str, str]
    denial_predicates: frozenset[str]
    disclaimers: list[re.Pattern[str]]
    any_disclaimer: re.Pattern[str]  # matches where one of `disclaimers` would: most sentences have none
    disclaimer_lookback: int
    cue_media: frozenset[str]
    cue_adverbs: frozenset[str]
    cue_particles: dict[str, frozenset[str]]
    person_nouns: frozenset[str]
    object_content: frozenset[str]
    denial_objects: frozenset[str]
    group_nouns: frozenset[str]
    layout_patterns: list[re.Pattern[str]]
    layout_not_sources: frozenset[str]
    party_keywords: list[str]
    named_belligerents: list[str]
    state_metonyms: list[str]
    sides: dict[str, list[str]]
    contrast_markers: list[str]
    factuality: dict[str, Any]
    rank: dict[str, int]


@cache
def lexicon() -> Lexicon:
    raw = yaml.safe_load(_LEXICON_PATH.read_text("utf-8"))
    verb_class = {lemma: name for name, c in raw["verb_classes"].items() for lemma in c["lemmas"]}
    metonyms = [m for side in raw["conflict_states"].values() for m in side["metonyms"]]
    order = raw["status_order"]
    return Lexicon(
        verb_class=verb_class,
        classes=raw["verb_classes"],
        phrases=raw["phrases"],
        phrases_by_first=_by_first_word(raw["phrases"]),
        speech_verbs=frozenset(raw["speech_verbs"]),
        quote_verbs=frozenset(raw["quote_verbs"]),
        noun_cues=raw["noun_cues"],
        modifiers=raw["modifiers"],
        denial_predicates=frozenset(raw["denial_predicates"]),
        disclaimers=[re.compile(p) for p in raw["disclaimers"]],
        any_disclaimer=re.compile("|".join(f"(?:{p})" for p in raw["disclaimers"])),
        disclaimer_lookback=int(raw["disclaimer_lookback"]),
        cue_media=frozenset(raw["cue_media"]),
        cue_adverbs=frozenset(raw["cue_adverbs"]),
        cue_particles={k: frozenset(v) for k, v in raw["cue_particles"].items()},
        person_nouns=frozenset(raw["person_nouns"]),
        object_content=frozenset(raw["object_content_lemmas"]),
        denial_objects=frozenset(raw["denial_objects"]),
        group_nouns=frozenset(raw["group_nouns"]),
        layout_patterns=[re.compile(p["regex"]) for p in raw["layout_patterns"]],
        layout_not_sources=frozenset(w.lower() for w in raw["layout_not_sources"]),
        party_keywords=[k.lower() for k in raw["party_keywords"]],
        named_belligerents=raw["named_belligerents"],
        state_metonyms=metonyms,
        sides={k: v["names"] for k, v in raw["conflict_states"].items()},
        contrast_markers=[m.lower() for m in raw["contrast_markers"]],
        factuality=raw["factuality"],
        rank={s: i for i, s in enumerate(order)},
    )


def _by_first_word(phrases: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    index: dict[str, list[dict[str, Any]]] = {}
    for ph in phrases:
        if not ph["words"]:
            raise ValueError("attribution.yaml: a phrase without words")
        index.setdefault(ph["words"][0], []).append(ph)
    return index


def stronger(a: str, b: str) -> str:
    """The status that wins when two cues apply to one statement."""
    rank = lexicon().rank
    return a if rank[a] <= rank[b] else b


def _words(text: str) -> str:
    text = re.sub(r"['\u2019]s\b", "", text.lower())  # "the military's spokesman" names the military
    return " " + re.sub(r"[^\w'-]+", " ", text).strip() + " "


def is_party_to_conflict(source: str) -> bool:
    """Whether a source is a belligerent (militaries, armed groups, their governments and spokespeople)."""
    lex = lexicon()
    w = _words(source)
    if any(f" {k} " in w for k in lex.party_keywords):
        return True
    if _names_pattern(tuple(lex.named_belligerents)).search(source):
        return True
    stripped = re.sub(r"['\u2019]s$", "", source.strip())
    return stripped in lex.state_metonyms or re.sub(r"^(?:the|a)\s+", "", stripped, flags=re.I) in lex.state_metonyms


def side_of(source: str) -> str | None:
    """The conflict side a source speaks for, when its words name exactly one side."""
    lex = lexicon()
    own_names = {n for names in lex.sides.values() for n in names}
    # "Freedom of Russia Legion" does not speak for Russia
    source = _names_pattern(tuple(n for n in lex.named_belligerents if n not in own_names)).sub(" ", source)
    sides = {side for side, names in lex.sides.items() if _names_pattern(tuple(names)).search(source)}
    return sides.pop() if len(sides) == 1 else None


@cache
def _names_pattern(names: tuple[str, ...]) -> re.Pattern[str]:
    """One whole-word pattern for a list of names (longest first, so "al-Qaeda" beats "al")."""
    alternatives = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    return re.compile(rf"\b(?:{alternatives})\b" if alternatives else r"(?!x)x")


# --- spans -----------------------------------------------------------------------------------


def _char_span(tokens: list[Token]) -> tuple[int, int] | None:
    if not tokens:
        return None
    first, last = min(tokens, key=lambda t: t.i), max(tokens, key=lambda t: t.i)
    # tokens such as "poll\xa0" can carry odd spaces
    return first.idx, max(first.idx, last.idx + len(last.text.rstrip()))


def _strippable(tok: Token, tokens: list[Token], at_end: bool) -> bool:
    if tok.is_space:
        return True
    if at_end and tok.text in (")", "]") and any(t.text == {")": "(", "]": "["}[tok.text] for t in tokens):
        return False  # keep the bracket of "Sen. Lindsey Graham (R-S.C.)"
    return tok.is_punct or tok.dep_ in (("cc",) if at_end else ("cc", "mark"))


def _trim(tokens: list[Token]) -> list[Token]:
    tokens = sorted(tokens, key=lambda t: t.i)
    while tokens and _strippable(tokens[0], tokens, at_end=False):
        tokens = tokens[1:]
    while tokens and _strippable(tokens[-1], tokens, at_end=True):
        tokens = tokens[:-1]
    return tokens


def _source_tokens(subj: Token) -> list[Token]:
    """The subject's phrase without relative clauses or trailing asides ("Peskov, who ...")."""
    drop: set[int] = set()
    for child in subj.children:
        if child.dep_ in ("relcl", "acl") and child.i > subj.i:
            drop.update(t.i for t in child.subtree)
    kept = [t for t in subj.subtree if t.i not in drop]
    # keep the contiguous run around the head word, within its line ("7 p.m.\n\nDonald Trump")
    run = [subj]
    by_i = {t.i: t for t in kept if "\n" not in t.text}
    i = subj.i - 1
    while i in by_i:
        run.insert(0, by_i[i])
        i -= 1
    i = subj.i + 1
    while i in by_i:
        run.append(by_i[i])
        i += 1
    return _trim(run)


def _speaker_tokens(subj: Token) -> list[Token]:
    """Like `_source_tokens`, but "who" in "Peskov, who said ..." becomes "Peskov"."""
    if subj.lower_ in ("who", "that", "which") and subj.head.dep_ == "relcl":
        return _source_tokens(subj.head.head)
    return _source_tokens(subj)


def _depth(tok: Token) -> int:
    d = 0
    while tok.head.i != tok.i and d < 50:
        tok, d = tok.head, d + 1
    return d


def _subject(verb: Token) -> Token | None:
    """The reporting verb's subject, climbing through participles ("..., adding that") and conjuncts."""
    tok = verb
    for _ in range(4):
        for child in tok.children:
            if child.dep_ in ("nsubj", "csubj"):
                return child
        if tok.dep_ in ("conj", "advcl", "xcomp") and tok.head.i != tok.i:
            tok = tok.head
        else:
            break
    return None


def _agent(verb: Token) -> Token | None:
    for child in verb.children:
        if child.dep_ == "agent":
            for g in child.children:
                if g.dep_ == "pobj":
                    return g
    return None


def _content_tokens(verb: Token, sent: Span) -> list[Token]:
    children = list(verb.children)
    for child in children:
        if child.dep_ in _CONTENT_DEPS:
            return list(child.subtree)
    oprd = [c for c in children if c.dep_ == "oprd"]
    if oprd:  # "called him a genius": what the source calls someone
        objs = [c for c in children if c.dep_ == "dobj"]
        lo = min([o.left_edge.i for o in objs + oprd])
        return list(verb.doc[lo : oprd[-1].right_edge.i + 1])
    lemma = verb.lemma_.lower()
    for child in children:  # "confirmed the attack"; "told reporters" alone is not content
        if child.dep_ == "dobj" and child.pos_ != "PRON" and lemma in lexicon().object_content and lemma != "tell":
            return list(child.subtree)
    if verb.dep_ == "relcl" and any(c.lower_ in ("which", "that", "what") and c.dep_ == "dobj" for c in children):
        # "the attack, which Russia blamed on saboteurs": the claim is about the modified noun
        own = {t.i for t in verb.subtree}
        return _trim([t for t in verb.head.subtree if t.i not in own])
    # '"...," the group said': the reporting verb hangs off the quoted clause, or is the root of it
    if verb.dep_ in ("parataxis", "advcl", "conj") and verb.head.i < verb.i:
        own = {t.i for t in verb.subtree}
        return [t for t in verb.head.subtree if t.i not in own]
    return []


def _cue_core(verb: Token) -> list[Token]:
    """The verb with its particle, the auxiliaries, negation and adverbs right before it, and a colon
    right after it ("has also said", "did not deny", "pointed out", "said:")."""
    lex = lexicon()
    doc = verb.doc
    preps = lex.cue_particles.get(verb.lemma_.lower(), frozenset())
    core = [verb] + [
        c for c in verb.children
        if c.i == verb.i + 1 and (c.dep_ == "prt" or (c.dep_ == "prep" and c.lower_ in preps))
    ]
    lo = verb.i
    while lo - 1 >= 0:
        t = doc[lo - 1]
        if t.head.i != verb.i or not (
            t.dep_ in ("aux", "auxpass", "neg") or (t.dep_ == "advmod" and t.lower_ in lex.cue_adverbs)
        ):
            break
        lo -= 1
    hi = max(t.i for t in core)
    if hi + 1 < len(doc) and doc[hi + 1].text == ":":
        hi += 1
    return [doc[i] for i in range(lo, hi + 1)]


def _cue_ext(verb: Token, core: list[Token]) -> list[Token]:
    lex = lexicon()
    ext = list(core)
    for child in verb.children:
        if child.dep_ == "prep" and 0 < child.i - max(t.i for t in core) <= 2:
            objs = [g for g in child.children if g.dep_ == "pobj"]
            if objs and objs[0].lower_ in lex.cue_media and objs[0].i - child.i <= 4:
                # up to the medium itself: "said in a statement", not what the statement said
                ext.extend(verb.doc[child.i : objs[0].i + 1])
    # keep the extension contiguous with the core
    ext.sort(key=lambda t: t.i)
    lo = min(t.i for t in core)
    hi = max(t.i for t in core)
    for t in ext:
        if t.i == lo - 1 and t not in core:
            lo -= 1
    for t in ext:
        if t.i == hi + 1:
            hi += 1
    doc = verb.doc
    return [doc[i] for i in range(lo, hi + 1)]


def _disclaimer_spans(text: str, offset: int) -> list[tuple[int, int]]:
    low = text.lower().replace("\u2019", "'")
    if lexicon().any_disclaimer.search(low) is None:
        return []
    return [(offset + m.start(), offset + m.end()) for p in lexicon().disclaimers for m in p.finditer(low)]


# --- within one sentence ---------------------------------------------------------------------


def _status_for(cls: str, source_text: str | None, content: list[Token], negated: bool) -> tuple[str, str]:
    lex = lexicon()
    c = lex.classes[cls]
    status, stance = c["status"], c["stance"]
    if negated:
        return "unverified", "unverified"
    if cls == "neutral":
        if any(t.lower_ in lex.denial_predicates and t.dep_ in _PREDICATE_DEPS for t in content):
            return "denied", "disputes"  # "said the reports were false", not "who buy false papers"
        if source_text and is_party_to_conflict(source_text):
            status = c.get("party_status", status)
    return status, stance


def find_in_sentence(sent: Span) -> list[Found]:
    """Every attribution relation whose cue lies in the sentence: phrases first ("according to",
    "claimed responsibility"), then reporting nouns and verbs not already part of a phrase."""
    lex = lexicon()
    found: list[Found] = []
    taken: set[int] = set()
    low = [t.lower_ for t in sent]
    for k in range(len(sent)):
        for ph in lex.phrases_by_first.get(low[k], ()):  # only these can start at word k
            if low[k : k + len(ph["words"])] == ph["words"]:
                f = _phrase_found(sent, k, ph, taken)
                if f is not None:
                    found.append(f)
    disclaimers = _disclaimer_spans(sent.text, sent.start_char)
    has_quote = any(c in sent.text for c in '"' + _OPEN_QUOTES + _CLOSE_QUOTES)
    noun, verbs = _pos_ids()
    for tok in sent:
        pos = tok.pos  # the part of speech's id: most tokens are neither, and cost no string lookup
        if tok.i in taken or (pos != noun and pos not in verbs):
            continue
        f = _noun_found(tok) if pos == noun else _verb_found(tok, sent, disclaimers, has_quote)
        if f is not None:
            found.append(f)
    return found


@cache
def _pos_ids() -> tuple[int, tuple[int, int]]:  # read once spaCy is imported
    from spacy.symbols import AUX, NOUN, VERB

    return NOUN, (VERB, AUX)


def _phrase_found(sent: Span, k: int, ph: dict[str, Any], taken: set[int]) -> Found | None:
    """A multi-word cue starting at the sentence's k-th token; marks its tokens as taken."""
    lex = lexicon()
    toks = list(sent[k : k + len(ph["words"])])
    if any(t.i in taken for t in toks):
        return None
    last = toks[-1]
    src_tok: Token | None = None
    if ph["source"] == "pobj":
        src_tok = next((c for c in last.children if c.dep_ in ("pobj", "dobj")), None)
        if src_tok is None and last.i + 1 < sent.end and last.nbor().dep_ in ("pobj", "compound"):
            src_tok = last.nbor() if last.nbor().dep_ == "pobj" else last.nbor().head
    elif ph["source"] == "quoted":
        verb = next((t for t in reversed(sent[:k]) if t.lemma_.lower() in lex.quote_verbs), None)
        src_tok = next((c for c in verb.children if c.dep_ == "dobj"), None) if verb is not None else None
        if src_tok is None:
            return None
    else:
        src_tok = _subject(toks[0])
    src = _source_tokens(src_tok) if src_tok is not None else []
    speaker = _speaker_tokens(src_tok) if src_tok is not None else []
    if ph["source"] == "pobj":  # the clause "according to X" hangs on, minus the phrase itself
        own = {t.i for t in toks} | {t.i for t in src} | {t.i for t in toks[0].subtree}
        content = [t for t in toks[0].head.subtree if t.i not in own]
    elif ph["source"] == "quoted":
        content = _content_tokens(toks[-1], sent)
    else:
        content = _content_tokens(toks[0], sent)
    taken.update(t.i for t in toks)
    if ph["source"] == "quoted":  # "quoted" itself is not a second attribution
        taken.update(t.i for t in sent[:k] if t.lemma_.lower() in lex.quote_verbs)
    status, stance = ph["status"], ph["stance"]
    if status == "reported" and speaker:
        status = _status_for("neutral", sent.doc[speaker[0].i : speaker[-1].i + 1].text, content, False)[0]
    return Found(
        cue=_char_span(toks), cue_ext=_char_span(toks), source=_char_span(src), speaker=_char_span(speaker),
        content=_char_span(_trim(content)), cls="phrase", status=status, stance=stance, verb_i=toks[0].i,
        depth=_depth(toks[0]),
    )


def _verb_found(tok: Token, sent: Span, disclaimers: list[tuple[int, int]], has_quote: bool) -> Found | None:
    """A reporting verb with its subject (or passive agent) as source and its complement as content."""
    lex = lexicon()
    lemma = tok.lemma_.lower()
    if tok.pos_ not in ("VERB", "AUX") or lemma not in lex.verb_class:
        return None
    if any(s <= tok.idx < e for s, e in disclaimers):
        return None  # "could not confirm" is a disclaimer, not a report
    if tok.dep_ in ("amod", "compound", "acl") and tok.head.pos_ in ("NOUN", "PROPN"):
        return None  # "the so-called", "the alleged attack": modifiers, see _modifier_cues
    cls = lex.verb_class[lemma]
    content = _content_tokens(tok, sent)
    if not content and not (lemma in lex.speech_verbs or has_quote):
        return None
    passive = any(c.dep_ in ("nsubjpass", "auxpass") for c in tok.children)
    subj = _agent(tok) if passive else _subject(tok)
    if subj is None and not content:
        return None
    if subj is not None and subj.lower_ in ("it", "there") and passive:
        subj = None  # "it was reported that ..."
    negated = any(c.dep_ == "neg" for c in tok.children)
    if negated and not content:
        return None  # "did not respond to a request for comment": nothing is attributed
    if cls in ("deny", "dispute") and not _denies_a_statement(tok):
        return None  # "denied the request", "disputing fishing rights"
    src = _source_tokens(subj) if subj is not None else []
    speaker = _speaker_tokens(subj) if subj is not None else []
    src_text = sent.doc[speaker[0].i : speaker[-1].i + 1].text if speaker else None
    status, stance = _status_for(cls, src_text, content, negated)
    core = _cue_core(tok)
    return Found(
        cue=_char_span(core), cue_ext=_char_span(_cue_ext(tok, core)), source=_char_span(src),
        speaker=_char_span(speaker), content=_char_span(_trim(content)), cls=cls, status=status, stance=stance,
        verb_i=tok.i, depth=_depth(tok),
    )


def _noun_found(tok: Token) -> Found | None:
    """"Pakistan's allegation that the attack was planned abroad": a reporting noun with its owner and
    its content clause."""
    lex = lexicon()
    cls = lex.noun_cues.get(tok.lemma_.lower())
    if cls is None or tok.pos_ != "NOUN":
        return None
    content: list[Token] = []
    src_tok: Token | None = None
    for c in tok.children:
        if c.dep_ in ("acl", "ccomp") and any(m.dep_ == "mark" and m.lower_ == "that" for m in c.children):
            content = list(c.subtree)
        elif c.dep_ == "prep" and c.lower_ == "of" and any(g.dep_ == "pcomp" for g in c.children):
            content = [t for t in c.subtree if t.i != c.i]
        elif c.dep_ == "poss":
            src_tok = c
        elif c.dep_ == "prep" and c.lower_ in ("by", "from") and src_tok is None:
            src_tok = next((g for g in c.children if g.dep_ == "pobj"), None)
    if not content:
        return None
    src = list(src_tok.subtree) if src_tok is not None else []
    speaker = [t for t in src if t.dep_ != "case"] if src_tok is not None and src_tok.dep_ == "poss" else src
    speaker_text = tok.doc[speaker[0].i : speaker[-1].i + 1].text if speaker else None
    status, stance = _status_for(cls, speaker_text, content, negated=False)
    return Found(
        cue=_char_span([tok]), cue_ext=_char_span([tok]), source=_char_span(src), speaker=_char_span(speaker),
        content=_char_span(_trim(content)), cls=cls, status=status, stance=stance, verb_i=tok.i,
        depth=_depth(tok),
    )


def _denies_a_statement(verb: Token) -> bool:
    """A denial needs a clause ("denied that ...") or a statement-like object ("rejected the claims")."""
    children = list(verb.children)
    if any(c.dep_ in _CONTENT_DEPS for c in children) or verb.dep_ in ("parataxis", "advcl", "conj"):
        return True
    objs = [c for c in children if c.dep_ in ("dobj", "nsubjpass")]
    return not objs or any(o.lemma_.lower() in lexicon().denial_objects for o in objs)


def _modifier_cues(sent: Span) -> list[tuple[Token, str]]:
    mods = lexicon().modifiers
    return [(t, mods[t.lower_]) for t in sent if t.lower_ in mods and t.pos_ in ("ADV", "ADJ", "VERB")]


# --- across the document ---------------------------------------------------------------------


@dataclass
class _DocInfo:
    text: str  # Doc.text rebuilds the string on every access: read it once
    sents: list[Span]
    found: list[list[Found]]
    quotes: list[tuple[int, int]]
    disclaimers: list[list[tuple[int, int]]]  # per sentence


_QUOTE_CHARS = re.compile("[" + re.escape(_OPEN_QUOTES + _CLOSE_QUOTES + '"') + "\n]")


def _quote_spans(text: str) -> list[tuple[int, int]]:
    """Quoted passages. A quote running over paragraphs re-opens each one without closing the last."""
    text = text.replace("''", "\"'")  # '' as a double quote (NYT style); keeps offsets
    spans: list[tuple[int, int]] = []
    open_at: int | None = None
    reopen = -1  # index of a straight quote that re-opens a continuing quote
    for m in _QUOTE_CHARS.finditer(text):  # every other character changes nothing
        i, ch = m.start(), m.group()
        if ch in _OPEN_QUOTES:
            open_at = i if open_at is None else open_at
        elif ch in _CLOSE_QUOTES and open_at is not None:
            spans.append((open_at, i + 1))
            open_at = None
        elif ch == '"' and i != reopen:
            if open_at is None:
                open_at = i
            else:
                spans.append((open_at, i + 1))
                open_at = None
        elif ch == "\n" and open_at is not None:
            rest = text[i:].lstrip()
            if rest[:1] == '"':
                reopen = len(text) - len(rest)
            elif rest[:1] not in _OPEN_QUOTES:
                open_at = None  # an unclosed quote does not run into a paragraph that does not re-open it
    return spans


def _layout_found(doc: Doc, sents: list[Span], text: str) -> list[list[Found]]:
    """Attributions made by layout: speaker labels and dash-signed quotes, per sentence of the cue."""
    per_sent: list[list[Found]] = [[] for _ in sents]
    starts = [s.start_char for s in sents]
    for pattern in lexicon().layout_patterns:
        for m in pattern.finditer(text):
            name = m.group("source")
            if name.lower().replace("\u2019", "'") in lexicon().layout_not_sources:
                continue
            if name.endswith(".") and len(name.split()[-1]) > 3:  # a full stop, not an initial
                name = name[:-1]
            src, cue = (m.start("source"), m.start("source") + len(name)), (m.start("cue"), m.end("cue"))
            k = max(0, bisect_right(starts, cue[0]) - 1)
            tok = doc.char_span(*cue, alignment_mode="expand")
            status, stance = _status_for("neutral", name, [], negated=False)
            per_sent[k].append(Found(
                cue=cue, cue_ext=cue, source=src, speaker=src, content=None, cls="layout", status=status,
                stance=stance, verb_i=tok.start if tok is not None else 0, depth=0,
            ))
    return per_sent


def find_in_doc(doc: Doc, text: str | None = None) -> list[list[Found]]:
    """Attribution relations per sentence of the document, from grammar and from layout."""
    sents = list(doc.sents)
    found = [find_in_sentence(s) for s in sents]
    for k, extra in enumerate(_layout_found(doc, sents, doc.text if text is None else text)):
        taken = [f.source for f in found[k] if f.source is not None]
        found[k].extend(f for f in extra if not any(f.source[0] < e and s < f.source[1] for s, e in taken))
    return found


# Memo of the per-document analysis, so attributing each sentence of a document in turn does not redo
# the whole document. Kept off `doc.user_data` because that must stay serialisable (Doc.to_bytes).
# Entries hold their Doc, so an id is never reused while cached; results are identical without it.
_MEMO: OrderedDict[int, tuple[Doc, _DocInfo]] = OrderedDict()
_MEMO_SIZE = 8


def doc_info(doc: Doc) -> _DocInfo:
    """Per-document attribution analysis: sentences, relations found in each, quoted passages."""
    hit = _MEMO.get(id(doc))
    if hit is not None and hit[0] is doc:
        _MEMO.move_to_end(id(doc))
        return hit[1]
    text = doc.text
    sents = list(doc.sents)
    info = _DocInfo(
        text=text, sents=sents, found=find_in_doc(doc, text), quotes=_quote_spans(text),
        disclaimers=[_disclaimer_spans(text[s.start_char : s.end_char], s.start_char) for s in sents],
    )
    _MEMO[id(doc)] = (doc, info)
    while len(_MEMO) > _MEMO_SIZE:
        _MEMO.popitem(last=False)
    return info


def governs(f: Found, sent: Span) -> bool:
    """Whether an attribution covers the sentence's main statement: its cue is the root, the root lies
    in its content ('..., officials said'), or it is a phrase on the main clause ("according to").
    "The attack, which Russia blamed on Ukraine, killed five" is the outlet's report, not Russia's."""
    root = sent.root
    if f.depth == 0 or (f.content is not None and f.content[0] <= root.idx < f.content[1]):
        return True
    return f.cls in ("phrase", "layout") and f.depth <= 2


def attributes(f: Found) -> bool:
    """Whether a relation attributes its content to a source (not an order or a plan the outlet reports)."""
    c = lexicon().classes.get(f.cls)
    return c is None or c.get("attributes", True)


def main_found(found: list[Found], sent: Span | None = None) -> Found | None:
    """The attribution of the sentence as a whole: the governing cue nearest the root."""
    found = [f for f in found if attributes(f)]
    if sent is not None:
        ruling = [f for f in found if governs(f, sent)]
        # else a reporting noun heading the main clause: "Claims by the ministry that ... could not be verified"
        found = ruling or [
            f for f in found
            if f.cls in lexicon().classes and f.depth == 1 and sent.doc[f.verb_i].pos_ == "NOUN"
            and sent.doc[f.verb_i].dep_ in ("nsubj", "nsubjpass", "dobj", "attr")
        ]
    return min(found, key=lambda f: (f.depth, f.cue[0])) if found else None


def _sentence_index(info: _DocInfo, start: int, end: int) -> int | None:
    best, best_overlap = None, 0
    for i, s in enumerate(info.sents):
        overlap = min(end, s.end_char) - max(start, s.start_char)
        if overlap > best_overlap:
            best, best_overlap = i, overlap
    return best


_QUOTE_AFTER = 80  # '..." the minister said': the cue follows the closing quote closely
_QUOTE_BEFORE = 150  # 'The minister said: "...': or precedes the opening quote
_QUOTE_GAP = re.compile(r"[\s,:;.\u2014\u2013-]*")


def _quote_attribution(info: _DocInfo, idx: int) -> Found | None:
    """The attribution of a quoted passage that this sentence belongs to: the nearest cue with a source
    just after the quote closes, else just before it opens."""
    sent = info.sents[idx]
    found = [f for fs in info.found for f in fs if f.speaker is not None and attributes(f)]
    for qs, qe in info.quotes:
        if not (qs < sent.end_char and sent.start_char < qe):
            continue
        text = info.text
        # only punctuation between the quote and its attribution: '," he said' / 'said: "'
        after = [
            f for f in found
            if qe <= f.cue[0] <= qe + _QUOTE_AFTER and _QUOTE_GAP.fullmatch(text[qe : min(f.cue[0], f.speaker[0])])
        ]
        if after:
            return min(after, key=lambda f: f.cue[0])
        before = [
            f for f in found
            if qs - _QUOTE_BEFORE <= f.cue[1] <= qs and _QUOTE_GAP.fullmatch(text[max(f.cue_ext[1], f.speaker[1]) : qs])
        ]
        if before:
            return max(before, key=lambda f: f.cue[1])
    return None


def _trailing_attribution(info: _DocInfo, idx: int) -> Found | None:
    """'"We will fight." The group said in a statement.': a content-less attribution right after."""
    if idx + 1 >= len(info.sents):
        return None
    nxt = info.sents[idx + 1]
    for f in filter(attributes, info.found[idx + 1]):
        if f.source is not None and f.content is None and len(nxt) <= 15:
            return f
    return None


def _personish(span: Span) -> bool:
    """Whether a source names a person ("Alasow", "the district commissioner") rather than a body
    ("Al-Shabab, a terrorist group"). Nouns decide first: the small model's NER is unreliable on
    unfamiliar names."""
    lex = lexicon()
    if any(t.lower_ in lex.person_nouns for t in span if t.pos_ == "NOUN"):
        return True  # "the Kremlin spokesman"
    if any(t.lower_ in lex.group_nouns for t in span):
        return False  # "Al-Shabab, a terrorist group", "Islamic State"
    if any(e.label_ == "PERSON" for e in span.ents):
        return True
    if any(e.label_ in ("GPE", "NORP", "FAC", "LOC") for e in span.ents):
        return False
    words = [t for t in span if not t.is_punct]
    return bool(words) and all(t.pos_ == "PROPN" for t in words)


def _resolve_pronoun(
    doc: Doc, info: _DocInfo, idx: int, src: tuple[int, int], depth: int = 0
) -> tuple[int, int]:
    """Replace a pronoun source by the nearest earlier name it can refer to."""
    text = info.text[src[0] : src[1]].lower()
    if text not in _PRONOUNS_PERSON and text not in _PRONOUNS_OTHER:
        return src
    person = text in _PRONOUNS_PERSON
    for j in range(idx, max(-1, idx - 6), -1):
        for f in sorted(info.found[j], key=lambda f: -f.cue[0]):
            if f.speaker is None or f.speaker[0] >= src[0]:
                continue
            cand = info.text[f.speaker[0] : f.speaker[1]].lower()
            if cand in _PRONOUNS_PERSON | _PRONOUNS_OTHER:
                if (cand in _PRONOUNS_PERSON) == person and depth < 4:
                    # "She says ... She says ...": the same speaker as the earlier pronoun
                    resolved = _resolve_pronoun(doc, info, j, f.speaker, depth + 1)
                    if resolved != f.speaker:
                        return resolved
                continue
            span = doc.char_span(*f.speaker, alignment_mode="expand")
            if span is not None and _personish(span) == person:
                return f.speaker
    labels = ("PERSON",) if person else ("ORG", "NORP", "GPE")
    ents = [e for e in doc.ents if e.label_ in labels and e.end_char <= src[0] and e.text[:1].isupper()]
    if ents and src[0] - ents[-1].end_char < 1500:
        return ents[-1].start_char, ents[-1].end_char
    return src


def _possessors(sent: Span) -> list[str]:
    """Named owners of what a disclaimer covers: "the group" in "cannot verify the group's claims"."""
    return [t.lemma_.lower() for t in sent if t.dep_ == "poss" and t.pos_ in ("NOUN", "PROPN")]


def _later_disclaimer(
    info: _DocInfo, idx: int, source_text: str | None, attributed: bool
) -> tuple[int, int] | None:
    """A disclaimer sentence shortly after this one that covers it."""
    lex = lexicon()
    for j in range(idx + 1, min(len(info.sents), idx + 1 + lex.disclaimer_lookback)):
        s = info.sents[j]
        spans = info.disclaimers[j]
        if spans:
            own = main_found(info.found[j], s)
            if own is not None and own.source is not None and own.content is not None:
                return None  # the disclaimer sentence makes its own claim
            owners = _possessors(s)
            # it names whose claims it covers: a proper name must match this source; a common noun
            # ("the group's claims") refers back to the claim just before it
            mismatch = bool(owners) and source_text is not None and not any(o in source_text.lower() for o in owners)
            if mismatch and (any(t.pos_ == "PROPN" for t in s if t.dep_ == "poss") or j != idx + 1):
                return None
            if attributed or j == idx + 1:
                return spans[0]
            return None
        if not info.found[j]:
            return None  # an unattributed sentence in between: the outlet's own narrative resumes
    return None


def attribute_sentence(doc: Doc, sent_start: int, sent_end: int, *, outlet: str | None = None) -> Attribution:
    """Attribution of the statement in the sentence at [sent_start, sent_end) character offsets."""
    info = doc_info(doc)
    idx = _sentence_index(info, sent_start, sent_end)
    if idx is None:
        return Attribution(outlet, None, None, None, None, None, "reported")
    sent = info.sents[idx]
    f = main_found(info.found[idx], sent)
    if f is None or (f.source is None and f.cls != "phrase"):
        f = _quote_attribution(info, idx) or _trailing_attribution(info, idx) or f
    status = f.status if f is not None else "reported"
    cue = f.cue_ext if f is not None else None
    source = f.speaker if f is not None else None
    for other in filter(attributes, info.found[idx]):  # "Rebutting the claim, Balkhi said ...": same speaker
        if f is not None and source is not None and other.speaker == source and stronger(other.status, status) != status:
            status, cue = other.status, other.cue_ext
    for tok, mod_status in _modifier_cues(sent):
        if stronger(mod_status, status) == mod_status and (f is None or mod_status != status):
            status, cue = mod_status, (tok.idx, tok.idx + len(tok.text))
    disclaimer = next(iter(info.disclaimers[idx]), None)
    if disclaimer is None:
        src_text = info.text[source[0] : source[1]] if source else None
        disclaimer = _later_disclaimer(info, idx, src_text, attributed=source is not None or status != "reported")
    if disclaimer is not None and stronger("unverified", status) == "unverified":
        status, cue = "unverified", disclaimer
    if source is not None:
        resolved = _resolve_pronoun(doc, info, idx, source)
        if resolved != source and f is not None and f.cls == "neutral" and status == "reported":
            status = _status_for("neutral", info.text[resolved[0] : resolved[1]], [], negated=False)[0]
        source = resolved
    attributed_to = info.text[source[0] : source[1]] if source else outlet
    return Attribution(
        attributed_to=attributed_to,
        source_start=source[0] if source else None,
        source_end=source[1] if source else None,
        cue=info.text[cue[0] : cue[1]] if cue else None,
        cue_start=cue[0] if cue else None,
        cue_end=cue[1] if cue else None,
        status=status,
    )


# --- factuality of an event predicate ---------------------------------------------------------

FACTUALITY_CLASSES = ("positive", "uncertain", "negative")


def factuality_class(score: float) -> str:
    """Three classes over the -3..+3 scale: asserted as happened, uncertain, asserted as not happened."""
    return "positive" if score > 1.0 else "negative" if score < -1.0 else "uncertain"


def _local_cues(tok: Token, fx: dict[str, Any], matrix: bool) -> tuple[float, float]:
    """(polarity, certainty) from the words attached to one predicate. On a matrix verb negation
    makes its complement uncertain ("did not say that X") instead of false."""
    polarity, certainty = 1.0, 1.0
    for c in tok.children:
        low = c.lower_
        if c.dep_ == "neg" or (low in fx["negators"] and c.dep_ in ("det", "advmod", "neg", "preconj")):
            if matrix:
                certainty *= 0.3
            else:
                polarity *= -1.0
        elif c.dep_ == "aux" and c.tag_ == "MD" and low in fx["modals"]:
            certainty *= fx["modals"][low]
        elif c.dep_ == "mark" and low in fx["conditional_marks"]:
            certainty *= fx["conditional_marks"][low]
        elif c.dep_ == "advmod" and low in fx["hedge_adverbs"]:
            certainty *= fx["hedge_adverbs"][low]
        elif c.dep_ in ("amod", "advmod") and low in fx["event_modifiers"]:
            f = fx["event_modifiers"][low]
            polarity *= -1.0 if f < 0 else 1.0
            certainty *= abs(f)
    return polarity, certainty


def _is_imperative(tok: Token) -> bool:
    while tok.dep_ == "conj" and tok.head.i != tok.i:
        tok = tok.head
    return (
        tok.dep_ == "ROOT" and tok.tag_ == "VB"
        and not any(c.dep_ in ("nsubj", "nsubjpass", "aux", "expl") for c in tok.children)
    )


def event_factuality(tok: Token, *, own_cues: bool = True) -> float:
    """Factuality score (-3..+3) of the event a predicate names, from the cues governing it:
    negation, modals, conditionals, hedges, embedding verbs ("refused to", "planned to") and the
    attribution class of a reporting verb above it ("denied that", "claimed that", "said that").
    With own_cues=False the predicate's own negation and modals count as part of the proposition
    (for targets that are whole clauses)."""
    lex = lexicon()
    fx = lex.factuality
    polarity, certainty = _local_cues(tok, fx, matrix=False) if own_cues else (1.0, 1.0)
    if tok.doc[tok.sent.end - 1].text == "?" and tok.dep_ == "ROOT":
        certainty *= 0.3
    if _is_imperative(tok):
        polarity *= -1.0 if fx["imperative"] < 0 else 1.0
        certainty *= abs(fx["imperative"])
    elif any(c.tag_ == "TO" for c in tok.children) and not (
        tok.dep_ == "xcomp" and (tok.head.lemma_.lower() in fx["embedding"] or tok.head.lemma_.lower() in lex.verb_class)
    ):
        certainty *= fx["infinitive"]
    cur = tok
    for _ in range(6):
        while cur.dep_ == "conj" and cur.head.i != cur.i:
            cur = cur.head  # a conjunct shares its first conjunct's governor
        if cur.dep_ in ("ROOT", "relcl", "acl", "appos") or cur.head.i == cur.i:
            break  # relative clauses and modifiers are presupposed, not asserted by the governor
        head, dep = cur.head, cur.dep_
        lemma = head.lemma_.lower()
        if dep in ("ccomp", "xcomp") and lemma in fx["factives"]:
            break  # a factive governor presupposes its complement, whatever is said about the governor
        if dep in ("xcomp", "ccomp", "dobj", "pcomp", "pobj", "nsubjpass", "advcl", "parataxis"):
            factor = None
            if lemma in fx["embedding"] and dep in ("xcomp", "pcomp", "pobj"):
                factor = fx["embedding"][lemma]  # "hoped to see": the infinitive reading wins
            elif lemma in lex.verb_class and dep in ("ccomp", "parataxis", "xcomp", "dobj"):
                factor = fx["class_factors"][lex.verb_class[lemma]]
            elif lemma in fx["embedding"] and dep in ("ccomp", "dobj"):
                factor = fx["embedding"][lemma]
            if factor is not None:
                polarity *= -1.0 if factor < 0 else 1.0
                certainty *= abs(factor)
            p, c = _local_cues(head, fx, matrix=lemma not in fx["neg_raising"])
            if p < 0 and lemma in fx["neg_raising"] and factor is not None:
                certainty /= abs(factor)  # "I don't think X" asserts not-X: no hedge left
            polarity *= p
            certainty *= c
        cur = head
    return 3.0 * polarity * certainty
