"""Scraped plain text / markdown -> body text + the metadata found in its lines.

A line is judged by its shape and position, never by a single word: short lines, title-case
link-like runs, separator lines and repeated lines at the head or tail of a page are navigation,
share bars, prompts and related-headline blocks; long lines that end like sentences are body and
survive whatever words they contain. The patterns live in `tidings/data/boilerplate.yaml`.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from tidings.clean.language import detect_language
from tidings.clean.metadata import (
    Extracted,
    byline_from_line,
    clean_title,
    date_from_line,
    load_rules,
    parse_date,
)

BODY, BOILER, BLANK, META = "body", "boiler", "blank", "meta"

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufeff]")
# Bracket classes exclude "[" and "(" too, so a line of ten thousand "[" is scanned once, not 300 times.
_MD_IMAGE = re.compile(r"!\[[^\][]{0,300}\]\([^()]{0,1000}\)")
_MD_LINK = re.compile(r"\[([^\][]{0,300})\]\([^()]{0,1000}\)")
_MD_REFLINK = re.compile(r"\[([^\][]{1,300})\]\[[^\][]{0,50}\]")
_MD_EMPH = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_MD_PREFIX = re.compile(r"^\s{0,3}(?:#{1,6}\s+|>\s?|[-*+•]\s+)")
_BARE_URL = re.compile(r"^(?:https?://|www\.)\S+$")
_WORD = re.compile(r"[^\W_]+(?:['’.-][^\W_]+)*")
# Chinese, Japanese and Korean Hanja/kana run words together; about two characters make a word.
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_SENTENCE_END = re.compile(r"[.!?…:;\"”’»)\]。！？」』）]\s*(?:\[\d+\])?$")
_META_KEY = re.compile(r"^(title|headline|url|link|source|site|author|by|date|published|language|lang)\s*:\s*(.+)$",
                       re.I)


@dataclass
class _Line:
    raw: str
    text: str  # markdown-stripped
    words: int
    link_share: float  # share of characters inside markdown links
    heading: bool
    sentence: bool  # ends like a sentence
    label: str = BODY
    notes: list[str] = field(default_factory=list)


@lru_cache(maxsize=1)
def _compiled() -> dict[str, Any]:
    rules = load_rules()["text"]
    flags = re.I | re.UNICODE
    return {
        **rules,
        "short_res": [re.compile(p, flags) for p in rules["short_line_patterns"]],
        "any_res": [re.compile(p, flags) for p in rules["any_line_patterns"]],
        "related_re": re.compile("|".join(f"(?:{p})" for p in rules["related_headers"]), flags),
        "bio_re": re.compile(rules["bio_pattern"]),
        "crumb_re": re.compile(rules["breadcrumb_pattern"], flags),
        "sep_re": re.compile(rules["separator_pattern"], flags),
    }


def _parse_line(raw: str) -> _Line:
    stripped = raw.strip()
    link_chars = sum(len(m.group(0)) for m in _MD_LINK.finditer(stripped))
    link_chars += sum(len(m.group(0)) for m in _MD_IMAGE.finditer(stripped))
    heading = stripped.startswith("#")
    text = _MD_IMAGE.sub("", stripped)
    text = _MD_LINK.sub(r"\1", text)
    text = _MD_REFLINK.sub(r"\1", text)
    text = _MD_EMPH.sub(r"\2", text)
    text = _MD_PREFIX.sub("", text).strip()
    cjk = len(_CJK.findall(text))
    words = len(_WORD.findall(_CJK.sub(" ", text))) + cjk // 2 if cjk else len(_WORD.findall(text))
    return _Line(
        raw=raw,
        text=text,
        words=words,
        link_share=link_chars / max(1, len(stripped)),
        heading=heading,
        sentence=bool(_SENTENCE_END.search(text)),
    )


def _body_shaped(line: _Line, rules: dict[str, Any]) -> bool:
    return line.label != BLANK and line.link_share < 0.5 and (
        (line.words >= rules["body_min_words"] and line.sentence) or line.words >= 2 * rules["body_min_words"]
    )


def _is_pattern_boiler(ln: _Line, rules: dict[str, Any], extracted: bool = False) -> bool:
    t = ln.text
    if not t or rules["sep_re"].match(t):
        return True
    if extracted:  # an extractor's body: links and paths there are content, not navigation
        return any(r.search(t) for r in rules["any_res"]) or (
            ln.words <= rules["short_line_words"] and any(r.search(t) for r in rules["short_res"]))
    if _BARE_URL.match(t):
        return True
    if any(r.search(t) for r in rules["any_res"]):
        return True
    if ln.words <= rules["short_line_words"] and any(r.search(t) for r in rules["short_res"]):
        return True
    if ln.words <= 12 and not ln.sentence and rules["crumb_re"].match(t):
        return True
    return ln.link_share > 0.6 and ln.words < 2 * rules["body_min_words"]


def _pattern_pass(lines: list[_Line], rules: dict[str, Any], extracted: bool = False) -> None:
    """Whole-line patterns: prompts, share bars, cookie notices, separators, breadcrumbs."""
    for ln in lines:
        if ln.label == BODY and _is_pattern_boiler(ln, rules, extracted):
            ln.label = BOILER
            ln.notes.append("pattern")  # never a title candidate


def _repeated_pass(lines: list[_Line]) -> None:
    """Short lines that recur (menus printed in header and footer, "Share" buttons) are chrome."""
    counts = Counter(ln.text.lower() for ln in lines if ln.label != BLANK and 0 < ln.words <= 10)
    for ln in lines:
        if ln.label == BODY and 0 < ln.words <= 10 and counts[ln.text.lower()] >= 2:
            ln.label = BOILER


def _menu_pass(lines: list[_Line], rules: dict[str, Any], head_end: int, tail_start: int) -> None:
    """Runs of short, unpunctuated lines: menus and link lists (longer runs needed mid-page)."""
    content = [i for i, ln in enumerate(lines) if ln.label != BLANK]
    run: list[int] = []

    def flush() -> None:
        if not run:
            return
        in_edge = run[0] < head_end or run[-1] >= tail_start
        need = rules["menu_run"] if in_edge else rules["menu_run"] + 2
        if len(run) >= need:
            for i in run:
                if lines[i].label == BODY:
                    lines[i].label = BOILER
        run.clear()

    for i in content:
        ln = lines[i]
        if ln.words <= rules["short_words"] and not ln.sentence and not ln.heading:
            run.append(i)
        else:
            flush()
    flush()


def _related_pass(lines: list[_Line], rules: dict[str, Any], tail_start: int, extracted: bool = False) -> None:
    """A "Related"/"Most read"/"Recommended" header opens a block of unrelated headlines.

    In scraped text a header in the tail ends the story; elsewhere, and in an extractor's output
    (where "See also" may head real content), only the headline-shaped lines after it go.
    """
    i = 0
    while i < len(lines):
        ln = lines[i]
        if not (ln.label in (BODY, BOILER) and ln.words <= 8 and rules["related_re"].match(ln.text)):
            i += 1
            continue
        in_tail = i >= tail_start
        if extracted and not in_tail:
            i += 1
            continue
        ln.label = BOILER
        ln.notes.append("pattern")
        if in_tail and not extracted:
            for later in lines[i + 1:]:
                if later.label == BODY:
                    later.label = BOILER
            return
        j = i + 1
        while j < len(lines) and not (lines[j].label == BODY and _body_shaped(lines[j], rules)):
            if lines[j].label == BODY:
                lines[j].label = BOILER
            j += 1
        i = j


def _edges_pass(lines: list[_Line], rules: dict[str, Any]) -> tuple[int, int]:
    """Before the first and after the last body-shaped line only sentence-like lines are body."""
    body_idx = [i for i, ln in enumerate(lines) if ln.label == BODY and _body_shaped(ln, rules)]
    if not body_idx:
        return len(lines), len(lines)
    first, last = body_idx[0], body_idx[-1]
    for ln in lines[:first]:
        if ln.label == BODY and ln.words < 8 and not ln.heading:
            ln.label = BOILER
    for ln in lines[last + 1:]:
        if ln.label == BODY and (ln.words < rules["short_words"] or not ln.sentence):
            ln.label = BOILER
    # Author bios sit after the story.
    tail_from = max(last - 3, int(len(lines) * (1 - rules["tail_fraction"])))
    for ln in lines[tail_from:]:
        if ln.label == BODY and ln.words <= rules["bio_max_words"] and rules["bio_re"].match(ln.text):
            ln.label = BOILER
    return first, last


def _main_region_pass(lines: list[_Line], rules: dict[str, Any]) -> None:
    """Keep the densest run of body text (maximum-sum segment over line scores), drop what lies outside.

    Body-shaped lines score their word count, short chrome lines a small penalty, so the story wins
    over scattered teasers and footers while a short ad or "Related" box inside it is bridged.
    """
    scores: list[float] = []
    for ln in lines:
        if ln.label == BLANK or ln.label == META:
            scores.append(0.0)
        elif ln.label == BOILER:
            scores.append(-rules["region_boiler_penalty"])
        elif _body_shaped(ln, rules):
            scores.append(float(ln.words))
        elif ln.words >= rules["short_words"] and ln.sentence:
            scores.append(ln.words / 2)
        else:
            scores.append(-rules["region_short_penalty"])
    keep = [False] * len(lines)
    spans = [(0, len(scores))]
    top = 0.0
    while spans:
        a, b = spans.pop()
        best, (lo, hi) = _max_segment(scores, a, b)
        if best <= 0 or best < top * rules["region_keep_fraction"]:
            continue
        top = max(top, best)
        for i in range(lo, hi + 1):
            keep[i] = True
        spans += [(a, lo), (hi + 1, b)]
    if not any(keep):
        return
    for i, ln in enumerate(lines):
        if not keep[i] and ln.label == BODY:
            ln.label = BOILER


def _max_segment(scores: list[float], a: int, b: int) -> tuple[float, tuple[int, int]]:
    """Kadane's maximum-sum segment of scores[a:b] (absolute indices)."""
    best, span = 0.0, (a, a - 1)
    run, start = 0.0, a
    for i in range(a, b):
        if run <= 0:
            run, start = scores[i], i
        else:
            run += scores[i]
        if run > best:
            best, span = run, (start, i)
    return best, span


def _front_matter(lines: list[_Line], out: Extracted) -> None:
    """"Title: …", "URL: …" key lines at the top of a dump, and YAML front matter."""
    limit = min(len(lines), 15)
    for ln in lines[:limit]:
        if ln.label == BLANK or ln.text == "---" and ln.raw.strip() == "---":
            if ln.raw.strip() == "---":
                ln.label = META
            continue
        m = _META_KEY.match(ln.raw.strip())
        if not m:
            if ln.label == BODY and ln.words > 3:
                break
            continue
        key, value = m.group(1).lower(), m.group(2).strip().strip('"\'')
        if key in ("title", "headline") and not out.title:
            out.title = value
        elif key in ("url", "link", "source") and re.match(r"https?://", value) and not out.url:
            out.url = value
        elif key == "site" and not out.site:
            out.site = value
        elif key in ("author", "by") and not out.author:
            out.author = byline_from_line("By " + value)
        elif key in ("date", "published") and not out.published:
            out.published = parse_date(value)
            out.published_from = "text-line" if out.published else None
        elif key in ("language", "lang") and re.fullmatch(r"[a-z]{2}", value.lower()):
            out.language = value.lower()
        else:
            continue
        ln.label = META


def _metadata_lines(lines: list[_Line], out: Extracted, first_body: int) -> None:
    """Datelines and bylines near the story's start (or, failing that, its end)."""
    zone = [ln for ln in lines[: first_body + 3] if ln.label != BLANK] + [
        ln for ln in lines[first_body + 3:] if ln.label != BLANK and ln.words <= 12
    ]
    for ln in zone:
        if ln.label == META or ln.words > 20:
            continue
        if not out.published:
            found = date_from_line(ln.text)
            if found:
                out.published, out.published_from = found, "text-line"
                ln.label = META
                continue
        if not out.author:
            author = byline_from_line(ln.text)
            if author:
                out.author = author
                ln.label = META
                # "By Jane Doe | Nov 20, 2023": the same line may carry the date
                if not out.published:
                    found = parse_date(ln.text)
                    if found:
                        out.published, out.published_from = found, "text-line"


def _pick_title(lines: list[_Line], out: Extracted, first_body: int) -> None:
    """The headline: a markdown heading, or the first substantial unpunctuated line before the body."""
    candidates = [ln for ln in lines[: first_body + 1] if ln.label in (BODY, BOILER) and ln.text and not ln.notes]
    chosen = next((ln for ln in candidates if ln.heading and 2 <= ln.words <= 30), None)
    if chosen is None:
        chosen = next(
            (ln for ln in candidates
             if 3 <= ln.words <= 30 and not ln.text.endswith((".", "。")) and ln.link_share < 0.5
             and not _compiled()["related_re"].match(ln.text)),
            None,
        )
    if chosen is not None and not out.title:
        out.title = chosen.text
        chosen.label = META
    elif chosen is not None and out.title and chosen.text.strip().lower() == out.title.strip().lower():
        chosen.label = META


def clean_text(raw: str) -> Extracted:
    """Scraped plain text or markdown -> Extracted (body, removed boilerplate, metadata from lines)."""
    try:
        return _clean_text(raw)
    except Exception:  # hostile input must never break a document
        return Extracted()


def _clean_text(raw: str) -> Extracted:
    if not isinstance(raw, str) or not raw.strip():
        return Extracted()
    rules = _compiled()
    raw = _CONTROL.sub("", raw[: rules["max_chars"]]).replace("\r\n", "\n").replace("\r", "\n")
    lines = [_parse_line(x) for x in raw.split("\n")]
    for ln in lines:
        if not ln.raw.strip():
            ln.label = BLANK
    out = Extracted()
    _front_matter(lines, out)
    n = len(lines)
    head_end = int(n * rules["head_fraction"])
    tail_start = int(n * (1 - rules["tail_fraction"]))
    _pattern_pass(lines, rules)
    _repeated_pass(lines)
    _related_pass(lines, rules, tail_start)
    _menu_pass(lines, rules, head_end, tail_start)
    first_body, _last = _edges_pass(lines, rules)
    first_body = min(first_body, n)
    _metadata_lines(lines, out, first_body)
    _pick_title(lines, out, first_body)
    _main_region_pass(lines, rules)
    out.title = clean_title(out.title, out.site, out.url)
    out.text = "\n".join(ln.text for ln in lines if ln.label == BODY and ln.text)
    if not out.text:
        # No line looks like article prose (a one-line alert, a caption): keep what no rule named
        # chrome, rather than turn a short report into an empty document.
        for ln in lines:
            if ln.label == BOILER and not ln.notes and ln.text:
                ln.label = BODY
        out.text = "\n".join(ln.text for ln in lines if ln.label == BODY and ln.text) or (out.title or "")
    out.boilerplate = "\n".join(ln.raw.strip() for ln in lines if ln.label == BOILER and ln.raw.strip())
    out.language = out.language or detect_language(out.text or (out.title or ""))
    return out


_CAPS_PREFIX = re.compile(r"^([^\W\d_a-z][^:|a-z]{2,40}?)\s*[:|]\s*\S")


def _bare_date(text: str) -> bool:
    """A line that is nothing but a date (and weekday/time words): a teaser timestamp."""
    if not date_from_line(text):
        return False
    fillers = set(load_rules()["metadata"]["date_filler"])
    words = [w.lower() for w in re.findall(r"[^\W\d_]+", text)]
    return all(w in fillers or w[:3] in _MONTH_PREFIXES for w in words)


_MONTH_PREFIXES = {"jan", "feb", "mar", "apr", "may", "mai", "jun", "jul", "aug", "sep", "oct", "okt", "nov", "dec",
                   "dez", "mär", "fév", "avr", "jui", "aoû", "déc", "ene", "abr", "ago", "dic", "gen", "mag", "giu",
                   "lug", "set", "ott"}


def _norm_title(text: str) -> str:
    return re.sub(r"\W+", " ", text).strip().casefold()


def filter_extracted(body: str, *titles: str | None) -> tuple[str, str, dict[str, str]]:
    """Post-filter an HTML extractor's body (one paragraph per line).

    The extractor already chose the content region, so only lines that are chrome by pattern are
    removed: prompts and share bars, image credits, a repeated headline, date-only and byline lines
    at the top (returned as metadata), repeated ALL-CAPS teaser prefixes ("READ MORE: ..."), and a
    "Related"/"More from" block in the tail. Returns (kept text, removed text, metadata found).
    """
    rules = _compiled()
    lines = [_parse_line(x) for x in body.split("\n") if x.strip()]
    found: dict[str, str] = {}
    for ln in lines:
        ln.link_share = 0.0  # extractor output has no markdown links; brackets are real text
    _pattern_pass(lines, rules, extracted=True)
    for ln in lines[:3]:
        if ln.label == BODY and ln.words <= 12 and not ln.sentence and rules["crumb_re"].match(ln.text):
            ln.label = BOILER
    caps = Counter(m.group(1) for ln in lines if ln.words <= 30 and (m := _CAPS_PREFIX.match(ln.text)))
    for ln in lines:
        m = _CAPS_PREFIX.match(ln.text)
        if m and ln.words <= 30 and caps[m.group(1)] >= 2 and len(m.group(1).split()) >= 2:
            ln.label = BOILER
    _related_pass(lines, rules, tail_start=int(len(lines) * (1 - rules["tail_fraction"])), extracted=True)
    wanted = {_norm_title(t) for t in titles if t}
    for i, ln in enumerate(lines[:4]):
        if ln.label != BODY:
            continue
        if i <= 1 and _norm_title(ln.text) in wanted:
            ln.label = META
        elif ln.words <= 8 and (date := date_from_line(ln.text)):
            found.setdefault("published", date)
            ln.label = META
        elif ln.words <= 10 and (author := byline_from_line(ln.text)):
            found.setdefault("author", author)
            ln.label = META
    for ln in lines:
        if ln.label == BODY and ln.words <= 6 and _bare_date(ln.text):
            ln.label = BOILER  # a bare date in the middle of the body is a teaser's timestamp
    seen: set[str] = set()
    for ln in lines:
        key = ln.text.casefold()
        if ln.label == BODY and len(key) > 20:
            if key in seen:
                ln.label = BOILER  # a summary or pull quote printed twice
            seen.add(key)
    kept = "\n".join(ln.raw.strip() for ln in lines if ln.label == BODY)
    removed = "\n".join(ln.raw.strip() for ln in lines if ln.label == BOILER)
    return kept, removed, found
