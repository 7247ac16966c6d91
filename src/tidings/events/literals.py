"""Necessary literals of a regular expression: strings at least one of which every match contains. One
search for them (a single trie-shaped regex) is a cheap and exact pre-check before a large pattern of
many alternatives: when none occurs, the pattern cannot match. It never accepts anything by itself.

The literals come from the pattern's parse tree (`re._parser`), in the manner of RE2's prefilter: runs of
literal characters give exact strings, alternations unite their sets, a sequence needs any one of its
parts' sets. A word boundary `\\b` is kept as a marker character, so "\\bhit\\b" needs "<b>hit<b>" and
"white" does not pass; the text is searched with a marker at each of its word boundaries (`marked`).
Anything not understood (classes, unbounded repeats, back references) just contributes no constraint.
"""

from __future__ import annotations

import re
from re import _constants as c  # type: ignore[attr-defined]
from re import _parser  # type: ignore[attr-defined]
from typing import Any

B = "\x00"  # stands for a word boundary in literals and in `marked` text
_WORD_BOUNDARY = re.compile(r"\b")
_WORD = re.compile(r"\w")
_MAX_EXACT = 64  # strings in an exact set before it is given up (alternatives multiply)
_MAX_PREFIX = 2048  # strings in a set of prefixes (they only grow the literals searched for)
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
        alts = [re.escape(ch) + emit(sub) for ch, sub in sorted(node.items()) if ch]
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
