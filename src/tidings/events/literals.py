"""Necessary literals of a regular expression: strings at least one of which every match contains. One
search for them (a single trie-shaped regex) is a cheap and exact pre-check before a large pattern of
many alternatives: when none occurs, the pattern cannot match. It never accepts anything by itself.
The strings every match starts with likewise say where a match may begin (`Starts`): a large alternation
is then tried at those few places only, instead of at every word of the text.

The literals come from the pattern's parse tree (`re._parser`), in the manner of RE2's prefilter: runs of
literal characters give exact strings, alternations unite their sets, a sequence needs any one of its
parts' sets. A word boundary `\\b` is kept as a marker character, so "\\bhit\\b" needs "<b>hit<b>" and
"white" does not pass; the text is searched with a marker at each of its word boundaries (`marked`).
Anything not understood (classes, unbounded repeats, back references) just contributes no constraint.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from re import _constants as c  # type: ignore[attr-defined]
from re import _parser  # type: ignore[attr-defined]
from typing import Any

B = "\x00"  # stands for a word boundary in literals and in `marked` text
_WORD_BOUNDARY = re.compile(r"\b")
_WORD = re.compile(r"\w")
_MAX_EXACT = 64  # strings in an exact set before it is given up (alternatives multiply)
_MAX_PREFIX = 2048  # strings in a set of prefixes (they only grow the literals searched for)
_MAX_SEEN = 50_000  # remembered heads of places in a Scan (distinct three-character strings)
_SHORT_PREFIX = 4  # a larger set of prefixes is cut to this many characters (cut prefixes are still prefixes)
_MIN_LEN = 3  # a set holding a shorter string filters too little to be worth it
# Characters IGNORECASE matches to an ASCII letter that str.lower() does not map to it ("ſ" matches
# "s", "ı" matches "i"): a text holding one may match without containing a literal.
_FOLDS = ("ſ", "ı")

_Info = tuple[frozenset[str] | None, frozenset[str] | None, frozenset[str]]
_EMPTY = frozenset([""])
_NOTHING: _Info = (None, None, _EMPTY)
_MEMO: dict[tuple[Any, int], _Info] = {}


class Prefilter:
    """`may_match(marked(lowered))` is False only when `pattern` cannot match the text whose (same-length)
    lower-casing is `lowered`."""

    def __init__(self, pattern: re.Pattern[str]) -> None:
        tree = _parser.parse(pattern.pattern, pattern.flags)
        try:
            exact, need, prefix = _seq(tree)
        finally:
            _MEMO.clear()  # keyed by ids of this tree's parts: valid only while it lives
        best = _best([s for s in (exact, need) if s is not None]) or _best([prefix])
        self.literals = frozenset(map(_normal, best)) if best is not None else None
        # A fold character anywhere also passes: one search answers both.
        rx = _trie(self.literals).pattern + "|[" + "".join(_FOLDS) + "]" if self.literals is not None else None
        self._search = re.compile(rx).search if rx is not None else None

    def may_match(self, marked_lowered: str) -> bool:
        return self._search is None or self._search(marked_lowered) is not None


class Scan:
    """Several patterns, each tried only where one of its matches may start: where the lower-cased text
    continues with one of the strings every match of it starts with (`starts`), found for all of them in
    one pass. `finditer(i, ...)` gives exactly `patterns[i].finditer(text)`. Trying a pattern at every
    position was most of the cost of scanning a page: for an alternation of hundreds of words at each word
    start, and for twenty date patterns over the whole text."""

    def __init__(self, patterns: list[re.Pattern[str]]) -> None:
        self.patterns = patterns
        strings = [_usable_starts(p) for p in patterns]
        # The patterns that may start at a place, by the place's first three characters with every digit as
        # DIGIT (`_key`): a start string of three or more characters has one key, a shorter one every key
        # it begins.
        self._by_key: list[dict[str, frozenset[int]]] = [{}, {}, {}]
        for i, found in enumerate(strings):
            for x in found or ():
                keys, key = self._by_key[min(len(x), 3) - 1], _key(x[:3])
                keys[key] = keys.get(key, frozenset()) | {i}
        self._known = [found is not None for found in strings]
        at_words = frozenset().union(*(x for x, p in zip(strings, patterns, strict=True) if x and _word_start(p)))
        anywhere = frozenset().union(*(x for x, p in zip(strings, patterns, strict=True) if x and not _word_start(p)))
        finders = ([r"(?<!\w)(?=" + _trie(at_words).pattern + ")"] if at_words else []) + \
            (["(?=" + _trie(anywhere).pattern + ")"] if anywhere else [])
        self._find = re.compile("|".join(finders)).finditer if finders else None
        self._seen: dict[str, tuple[int, ...]] = {}  # `_patterns_at` by the place's first three characters

    def places(self, text: str, lowered: str | None = None) -> list[list[int] | None]:
        """For each pattern, the offsets where a match of it may start; None: anywhere (not known, or the
        lower-cased text's offsets would not be the text's, or a fold character may match a letter)."""
        lowered = text.lower() if lowered is None else lowered
        if self._find is None or len(lowered) != len(text) or any(f in lowered for f in _FOLDS):
            return [None] * len(self.patterns)
        out: list[list[int] | None] = [[] if known else None for known in self._known]
        seen = self._seen
        for place in self._find(lowered):
            at = place.start()
            head = lowered[at : at + 3]
            found = seen.get(head)
            if found is None:
                if len(seen) >= _MAX_SEEN:
                    seen.clear()
                found = seen[head] = self._patterns_at(head)
            for i in found:
                out[i].append(at)  # type: ignore[union-attr]  # known patterns only have keys
        return out

    def _patterns_at(self, head: str) -> tuple[int, ...]:
        key = _key(head)
        one, two, three = self._by_key
        return tuple(sorted(one.get(key[:1], frozenset()) | two.get(key[:2], frozenset()) | three.get(key, frozenset())))

    def finditer(self, i: int, text: str, places: list[list[int] | None]) -> Iterator[re.Match[str]]:
        """`self.patterns[i].finditer(text)`, given `places(text)`."""
        pattern, at_places = self.patterns[i], places[i]
        if at_places is None:
            yield from pattern.finditer(text)
            return
        match, end = pattern.match, 0
        for at in at_places:
            if at < end:
                continue  # inside the previous match, as `finditer` resumes after it
            m = match(text, at)
            if m is not None:
                end = max(m.end(), at + 1)
                yield m


class Starts:
    """One pattern tried only where one of its matches may start (`Scan`)."""

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.pattern = pattern
        self._scan = Scan([pattern])

    def finditer(self, text: str, lowered: str | None = None) -> Iterator[re.Match[str]]:
        """`pattern.finditer(text)`; `lowered` is `text.lower()` when the caller has it already."""
        return self._scan.finditer(0, text, self._scan.places(text, lowered))

    def search(self, text: str, lowered: str | None = None) -> re.Match[str] | None:
        """`pattern.search(text)`."""
        return next(self.finditer(text, lowered), None)


def _key(head: str) -> str:
    """The first characters of a place with each digit as DIGIT, as in `starts` strings."""
    key = head.translate(_ASCII_DIGITS)
    return key if key.isascii() else "".join(DIGIT if ch.isdecimal() else ch for ch in key)  # what \\d matches


def _usable_starts(pattern: re.Pattern[str]) -> frozenset[str] | None:
    """`starts`, unless the pattern can match nothing (`finditer` treats empty matches specially)."""
    if _parser.parse(pattern.pattern, pattern.flags).getwidth()[0] == 0:
        return None
    return starts(pattern)


_WORD_CLASS = [(c.IN, [(c.CATEGORY, c.CATEGORY_WORD)])]


def _word_start(pattern: re.Pattern[str]) -> bool:
    """Whether every match starts at a word start: the whole pattern (not one alternative) begins with
    `(?<!\\w)` or `(?=\\b\\w)`, with Unicode `\\w` as the scan's own `(?<!\\w)` has it."""
    if pattern.flags & re.ASCII:
        return False
    first = list(_parser.parse(pattern.pattern, pattern.flags))[:1]
    if not first:
        return False
    op, av = first[0]
    return (op is c.ASSERT_NOT and av[0] == -1 and list(av[1]) == _WORD_CLASS) or (
        op is c.ASSERT and av[0] == 1 and list(av[1]) == [(c.AT, c.AT_BOUNDARY), *_WORD_CLASS])


def starts(pattern: re.Pattern[str]) -> frozenset[str] | None:
    """Strings, lower-cased, one of which every match of `pattern` starts with (`DIGIT` stands for any digit
    `\\d` matches); None when that is not known (a class, a non-ASCII letter or an unbounded repeat at the
    start).

    `_seq` has its own prefixes, for the literal pre-check: those keep word-boundary markers (they are
    searched for in `marked` text) and give up at an optional part; these drop the markers, go on past
    optional parts and stand `DIGIT` for `\\d`, since they are looked up at places in the plain text."""
    strings = _starts(list(_parser.parse(pattern.pattern, pattern.flags)), _EMPTY)
    return None if "" in strings else strings


DIGIT = "\x01"  # stands for any digit in `starts` strings and in `_trie` patterns
_ASCII_DIGITS = str.maketrans("0123456789", DIGIT * 10)


def _starts(items: list[Any], run: frozenset[str]) -> frozenset[str]:
    """Starts of a sequence after the exact strings `run`: exact parts extend the run; a part that may match
    nothing (`(?:early\\s+)?May`) adds the starts of what follows it. "" in the result: not known."""
    for i, (op, av) in enumerate(items):
        exact = _exact(op, av)
        joined = frozenset(a + b for a in run for b in exact) if exact is not None else None
        if joined is not None and len(joined) <= _MAX_EXACT:
            run = joined
            continue
        first = _first(op, av)
        out = frozenset(a + b for a in run for b in first) if "" not in first else run  # the run, at least
        if _parser.SubPattern(_parser.State(), [(op, av)]).getwidth()[0] == 0:  # may match nothing
            out |= _starts(items[i + 1 :], run)
        return _short(out)
    return run


def _first(op: Any, av: Any) -> frozenset[str]:
    """Starts of one part that is not a small set of exact strings."""
    if op is c.SUBPATTERN:
        return _starts(list(av[3]), _EMPTY)
    if op is c.BRANCH:
        return _short(frozenset().union(*(_starts(list(alt), _EMPTY) for alt in av[1])))
    if op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT):
        return _starts(list(av[2]), _EMPTY)  # a repeat starts as its body (the caller handles zero times)
    exact = _exact(op, av)  # too many to join the run: its strings end the starts (without "": the caller
    return exact - _EMPTY if exact is not None and exact != _EMPTY else frozenset([""])  # adds what follows)


def _exact(op: Any, av: Any) -> frozenset[str] | None:
    """Every string a part matches (lower-cased; zero-width parts match ""), when few and known."""
    if op is c.LITERAL:
        ch = _start_char(av)
        return frozenset([ch]) if ch is not None else None
    if op is c.IN:
        chars: set[str] = set()
        for item_op, item_av in av:
            if item_op is c.LITERAL and _start_char(item_av) is not None:
                chars.add(_start_char(item_av))
            elif item_op is c.CATEGORY and item_av is c.CATEGORY_DIGIT or (
                    item_op is c.RANGE and 48 <= item_av[0] <= item_av[1] <= 57):
                chars.add(DIGIT)  # a superset of the digits named: still a start of every match
            else:
                return None
        return frozenset(chars)
    if op in (c.AT, c.ASSERT, c.ASSERT_NOT):
        return _EMPTY
    if op is c.SUBPATTERN or op is c.BRANCH:
        alts = [list(av[3])] if op is c.SUBPATTERN else [list(alt) for alt in av[1]]
        union: set[str] = set()
        for alt in alts:
            strings = _EMPTY
            for sub_op, sub_av in alt:
                exact = _exact(sub_op, sub_av)
                if exact is None or len(strings) * len(exact) > _MAX_EXACT:
                    return None
                strings = frozenset(a + b for a in strings for b in exact)
            union |= strings
        return frozenset(union) if len(union) <= _MAX_EXACT else None
    if op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT) and av[0] == av[1] == 1:
        return _exact(c.SUBPATTERN, (None, 0, 0, av[2]))
    if op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT) and av[0] == 0 and av[1] == 1:
        exact = _exact(c.SUBPATTERN, (None, 0, 0, av[2]))
        return exact | _EMPTY if exact is not None else None
    return None


def _start_char(code: int) -> str | None:
    """A literal character as the lower-cased text has it: ASCII lower-cased; a character without case
    ("’") as it is; None for the rest (IGNORECASE may match it to a character `str.lower` does not give)."""
    ch = chr(code)
    if ch in (DIGIT, B):
        return None
    return ch.lower() if ch.isascii() else ch if ch.lower() == ch == ch.upper() and ch not in _FOLDS else None


def _short(strings: frozenset[str]) -> frozenset[str]:
    """At most _MAX_PREFIX strings: cut to _SHORT_PREFIX characters when there are more (still starts)."""
    if len(strings) <= _MAX_PREFIX:
        return strings
    cut = frozenset(x[:_SHORT_PREFIX] for x in strings)
    return cut if len(cut) <= _MAX_PREFIX else frozenset([""])


def marked(text: str) -> str:
    """The text with the marker B inserted at every word boundary."""
    return _WORD_BOUNDARY.sub(B, text)


def _trie(words: frozenset[str]) -> re.Pattern[str]:
    """One regex matching any of `words`, factored as a trie: `re` tries one character per branch."""
    root: dict[str, Any] = {}
    for w in words:
        node = root
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = {}  # a word ends here

    def emit(node: dict[str, Any]) -> str:
        alts = [(r"\d" if ch == DIGIT else re.escape(ch)) + emit(sub) for ch, sub in sorted(node.items()) if ch]
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        # A word ending here makes the rest optional: any prefix-word suffices, so the rest can go.
        return "" if "" in node else body

    return re.compile(emit(root))


def _weight(literal: str) -> int:
    return len(literal) - literal.count(B) - literal.count(" ")  # "with " filters less than "mines"


def _best(sets: list[frozenset[str]]) -> frozenset[str] | None:
    """The most selective set: the weakest string decides; then markers, which make a string rarer;
    then the strings on average. None when every set has a string too short to filter."""
    best, best_key = None, None
    for s in sets:
        if not s:
            continue
        weakest = min(map(_weight, s))
        if weakest < _MIN_LEN:
            continue
        lengths = [len(x) for x in s]
        key = (weakest, min(lengths), sum(lengths) / len(lengths))
        if best_key is None or key > best_key:
            best, best_key = s, key
    return best


def _normal(literal: str) -> str:
    """The literal as it appears in `marked` text: a marker at each word boundary inside it, where the
    text has one whether or not the pattern said `\\b`; at its ends, only where the pattern said so."""
    chars = literal.replace(B, "")
    if not chars:
        return literal
    out = [B] if literal.startswith(B) else []
    for i, ch in enumerate(chars):
        if i and _is_word(ch) != _is_word(chars[i - 1]):
            out.append(B)
        out.append(ch)
    if literal.endswith(B):
        out.append(B)
    return "".join(out)


def _is_word(ch: str) -> bool:
    return _WORD.match(ch) is not None


def _join(a: str, b: str) -> str:
    return a + b[1:] if a.endswith(B) and b.startswith(B) else a + b  # one boundary, one marker


def _char(code: int) -> str | None:
    ch = chr(code)
    return ch.lower() if ch.isascii() and ch != B else None  # non-ASCII may fold case unlike str.lower()


def _node(op: Any, av: Any) -> _Info:
    """(exact strings or None, needed strings or None, prefixes: every match starts with one)."""
    key = (op, id(av))  # parts are met again after each lead (`_led`)
    info = _MEMO.get(key)
    if info is None:
        info = _MEMO[key] = _node_info(op, av)
    return info


def _node_info(op: Any, av: Any) -> _Info:
    if op is c.LITERAL:
        ch = _char(av)
        return (frozenset([ch]), None, frozenset([ch])) if ch is not None else _NOTHING
    if op is c.IN:
        chars = set()
        for item_op, item_av in av:
            ch = _char(item_av) if item_op is c.LITERAL else None
            if ch is None:
                return _NOTHING  # ranges, categories, negation
            chars.add(ch)
        return frozenset(chars), None, frozenset(chars)
    if op is c.AT:
        empty = frozenset([B if av is c.AT_BOUNDARY else ""])
        return empty, None, empty
    if op in (c.ASSERT, c.ASSERT_NOT):
        return _EMPTY, None, _EMPTY  # zero width
    if op is c.SUBPATTERN:
        return _seq(av[3])
    if op is c.BRANCH:
        infos = [_seq(alt) for alt in av[1]]
        exact = None
        if all(e is not None for e, _, _ in infos):
            union = frozenset().union(*(e for e, _, _ in infos if e is not None))
            exact = union if len(union) <= _MAX_EXACT else None
        needs = [_best([s for s in info[:2] if s is not None]) for info in infos]
        need = None if any(n is None for n in needs) else frozenset().union(*(n for n in needs if n))
        prefix = frozenset().union(*(p for _, _, p in infos))
        return exact, need, prefix if len(prefix) <= _MAX_PREFIX else _EMPTY
    if op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT):
        lo, hi, sub = av
        exact, need, prefix = _seq(sub)
        if lo == 0 and hi == 1 and exact is not None:
            return exact | _EMPTY, None, exact | _EMPTY
        if lo >= 1:  # one repetition at least: what it needs, the whole needs
            return (exact if lo == hi == 1 else None), _best([s for s in (exact, need) if s is not None]), prefix
        return _NOTHING
    return _NOTHING  # ANY, NOT_LITERAL, CATEGORY, GROUPREF, ...


def _product(a: frozenset[str], b: frozenset[str], limit: int = _MAX_EXACT) -> frozenset[str] | None:
    return frozenset(_join(x, y) for x in a for y in b) if len(a) * len(b) <= limit else None


def _led(op: Any, av: Any, lead: frozenset[str]) -> frozenset[str] | None:
    """Needed strings of a group or alternation right after `lead` (exact strings): each alternative
    continues the lead ("\\b(mig-?\\d+|ieds?)" needs "<b>mig" or "<b>ied", not "mig" or "ied")."""
    if op is c.SUBPATTERN:
        return _best([s for s in _seq(av[3], lead)[:2] if s is not None])
    if op is c.BRANCH:
        needs = [_best([s for s in _seq(alt, lead)[:2] if s is not None]) for alt in av[1]]
        return None if any(n is None for n in needs) else frozenset().union(*(n for n in needs if n))
    return None


def _seq(items: Any, lead: frozenset[str] = _EMPTY) -> _Info:
    """A sequence (after exact strings `lead`): consecutive exact parts multiply into longer exact strings
    (continued by the prefixes of the part after them); any part's set is needed."""
    candidates: list[frozenset[str]] = []
    run: frozenset[str] | None = lead  # exact strings of the parts since the last inexact one
    prefix: frozenset[str] | None = None  # of the whole, once known
    for op, av in items:
        exact, need, first = _node(op, av)
        joined = _product(run, exact) if run is not None and exact is not None else None
        if joined is not None:
            if need is not None:
                candidates.append(need)
            run = joined
            continue
        led = _led(op, av, run) if run is not None and run != _EMPTY and len(run) <= _MAX_EXACT else None
        if led is not None:
            candidates.append(led)  # each alternative chose among its own needs and the lead's strings
        else:
            if need is not None:
                candidates.append(need)
            if run is not None:
                candidates.append(_product(run, first, _MAX_PREFIX) or run)
        if prefix is None:
            prefix = (_product(run, first, _MAX_PREFIX) if run is not None else None) or _EMPTY
        run = exact  # a new run starts at this part (None when it is not exact)
    if run is not None:
        candidates.append(run)
    whole = run if prefix is None else None
    return whole, _best(candidates), prefix if prefix is not None else (run or _EMPTY)
