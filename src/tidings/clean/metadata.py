"""Page metadata: publication date, byline, title and site, from HTML heads and from text lines.

Dates are normalised to ISO 8601 strings: "YYYY-MM-DDTHH:MM[:SS][+HH:MM]" when a time is known,
"YYYY-MM-DD" when only the day is. Nothing here ever falls back to the current time or a file's
time: a value that cannot be read is None.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml


@dataclass
class Extracted:
    """A page reduced to its body text and metadata (re-exported by `tidings.clean.html`)."""

    text: str = ""  # clean body text; paragraphs separated by a single "\n"
    title: str | None = None
    author: str | None = None
    site: str | None = None
    url: str | None = None
    published: str | None = None  # ISO 8601
    published_from: str | None = None  # "json-ld" | "meta" | "htmldate" | "text-line" | "trafilatura"
    language: str | None = None
    boilerplate: str = ""  # the removed text, "\n"-joined, for display


@lru_cache(maxsize=1)
def load_rules() -> dict[str, Any]:
    """The cleaning and metadata line patterns, kept as data in `tidings/data/boilerplate.yaml`."""
    text = resources.files("tidings").joinpath("data/boilerplate.yaml").read_text(encoding="utf-8")
    rules: dict[str, Any] = yaml.safe_load(text)
    return rules

_MONTHS = {
    m: i + 1
    for i, names in enumerate(
        [
            ("jan", "january", "janvier", "januar", "jänner", "enero", "gennaio"),
            ("feb", "february", "février", "fevrier", "februar", "febrero", "febbraio"),
            ("mar", "march", "mars", "märz", "maerz", "marzo"),
            ("apr", "april", "avril", "abril", "aprile"),
            ("may", "mai", "mayo", "maggio"),
            ("jun", "june", "juin", "juni", "junio", "giugno"),
            ("jul", "july", "juillet", "juli", "julio", "luglio"),
            ("aug", "august", "août", "aout", "agosto"),
            ("sep", "sept", "september", "septembre", "septiembre", "settembre"),
            ("oct", "october", "octobre", "oktober", "octubre", "ottobre"),
            ("nov", "november", "novembre", "noviembre"),
            ("dec", "december", "décembre", "decembre", "dezember", "diciembre", "dicembre"),
        ]
    )
    for m in names
}
_MONTH_RE = "|".join(sorted((re.escape(m) for m in _MONTHS), key=len, reverse=True))
_TIME = r"(?:[ T,]+(?:at\s+)?(?P<H>\d{1,2})[:.h](?P<M>\d{2})(?::(?P<S>\d{2})(?:\.\d+)?)?\s*(?P<ampm>[ap]\.?m\.?)?)?"
_TZ = r"\s*(?P<tz>Z|UTC|GMT|[+-]\d{2}:?\d{2})?"

_DATE_PATTERNS = [
    # 2025-04-08, 2025-04-08T21:44:00+02:00, 2025/04/08 21:44
    re.compile(r"\b(?P<y>(?:19|20)\d{2})[-/](?P<m>\d{1,2})[-/](?P<d>\d{1,2})" + _TIME + _TZ, re.I),
    # 20.11.2023, 20/11/2023 (day first: the European and most of the world's order)
    re.compile(r"\b(?P<d>\d{1,2})[./](?P<m>\d{1,2})[./](?P<y>(?:19|20)\d{2})" + _TIME + _TZ, re.I),
    # Nov 20, 2023 / November 20th 2023
    re.compile(
        r"\b(?P<mon>" + _MONTH_RE + r")\.?\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<y>(?:19|20)\d{2})"
        + _TIME + _TZ,
        re.I,
    ),
    # 20 Nov 2023 / 20. November 2023
    re.compile(
        r"\b(?P<d>\d{1,2})(?:st|nd|rd|th)?\.?\s+(?:of\s+)?(?P<mon>" + _MONTH_RE + r")\.?,?\s+(?P<y>(?:19|20)\d{2})"
        + _TIME + _TZ,
        re.I,
    ),
]


def _tz_suffix(tz: str | None) -> str:
    if not tz:
        return ""
    if tz.upper() in ("Z", "UTC", "GMT"):
        return "+00:00"
    tz = tz.replace(":", "")
    # A real offset is under 24 hours ("+4200" is not one): else the time is kept without a zone.
    if not (tz[1:3].isdigit() and tz[3:5].isdigit() and int(tz[1:3]) < 24 and int(tz[3:5]) < 60):
        return ""
    return f"{tz[:3]}:{tz[3:]}"


def parse_date(text: str | None, day_first: bool = True) -> str | None:
    """The first absolute date in `text` as ISO 8601, or None. Relative phrases are not dates here."""
    if not text or not isinstance(text, str):
        return None
    text = text[:300]
    for pat in _DATE_PATTERNS:
        for m in pat.finditer(text):
            g = m.groupdict()
            try:
                year, day = int(g["y"]), int(g["d"])
                month = _MONTHS[g["mon"].lower()] if g.get("mon") else int(g["m"])
                if not day_first and not g.get("mon") and pat is _DATE_PATTERNS[1] and day <= 12:
                    month, day = day, month
                d = date(year, month, day)
            except (ValueError, KeyError, TypeError):
                continue
            if not 1990 <= d.year <= 2100:
                continue
            if g.get("H") is None:
                return d.isoformat()
            hour, minute = int(g["H"]), int(g["M"])
            ampm = (g.get("ampm") or "").replace(".", "").lower()
            if ampm == "pm" and hour < 12:
                hour += 12
            elif ampm == "am" and hour == 12:
                hour = 0
            try:
                dt = datetime(d.year, d.month, d.day, hour, minute, int(g["S"] or 0))
            except ValueError:
                return d.isoformat()
            stamp = dt.isoformat(timespec="seconds" if g["S"] else "minutes")
            return stamp + _tz_suffix(g.get("tz"))
    return None


def parse_iso_datetime(value: Any) -> str | None:
    """A machine-readable date from HTML metadata (JSON-LD, meta tags) as ISO 8601, or None."""
    if isinstance(value, list):
        value = value[0] if value else None
    if not isinstance(value, str) or not value.strip():
        return None
    value = value.strip()
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00").replace(" ", "T", 1))
    except ValueError:
        return parse_date(value)
    if not 1990 <= dt.year <= 2100:
        return None
    if len(value) <= 10:
        return dt.date().isoformat()
    return dt.isoformat(timespec="seconds")


# ---------------------------------------------------------------- text lines


def _line_rules() -> dict[str, Any]:
    return load_rules()["metadata"]


def date_from_line(line: str) -> str | None:
    """A publication date from a short dateline such as "Published: Nov 20, 2023" or "20.11.2023"."""
    line = line.strip()
    rules = _line_rules()
    if not line or len(line) > rules["max_date_line"]:
        return None
    m = re.match(rules["date_label"], line, re.I)
    rest = line[m.end():] if m else line
    found = parse_date(rest)
    if not found:
        return None
    if m:
        return found
    # An unlabelled line must be mostly the date itself, not a sentence that mentions one.
    words = re.findall(r"[^\W\d_]+", rest)
    extra = [w for w in words if w.lower() not in _MONTHS and w.lower() not in rules["date_filler"]]
    return found if len(extra) <= 3 else None


def byline_from_line(line: str) -> str | None:
    """An author name from "By Jane Doe", "Author: Jane Doe", "Von Max Muster" and the like."""
    line = line.strip().strip("*_#> ").strip()
    rules = _line_rules()
    if not line or len(line) > rules["max_byline"]:
        return None
    m = re.match(rules["byline_label"], line, re.I)
    if not m:
        return None
    name = line[m.end():].strip()
    # cut trailing date / role / outlet: "By Jane Doe, Reuters | Nov 20, 2023"
    name = re.split(rules["byline_stop"], name, maxsplit=1, flags=re.I)[0].strip(" ,;|-–—·")
    return clean_author(name) if _looks_like_names(name) else None


def _looks_like_names(text: str) -> bool:
    """ "Jane Doe and MARY ROE" yes; "Monday, the army had withdrawn." (a sentence after "By") no."""
    words = re.findall(r"[^\W\d_][\w.'’-]*", text)
    if not words or len(words) > 10 or re.search(r"[a-z]{3,}[.!?]$", text):
        return False
    joiners = {"and", "und", "et", "y", "i", "e", "de", "van", "von", "der", "da", "del", "la", "le", "bin", "al"}
    named = [w for w in words if w.lower() not in joiners]
    capital = [w for w in named if w[0].isupper() or not w[0].isalpha() or w[0].lower() == w[0].upper()]
    return bool(named) and len(capital) >= 0.75 * len(named)


def clean_author(name: Any) -> str | None:
    """Normalise an author field; None when it does not look like a person or a desk."""
    if isinstance(name, list):
        parts = [clean_author(n) for n in name]
        joined = "; ".join(p for p in parts if p)
        return joined or None
    if isinstance(name, dict):
        return clean_author(name.get("name"))
    if not isinstance(name, str):
        return None
    name = re.sub(r"\s+", " ", name).strip(" ,;|-–—·")
    name = re.sub(_line_rules()["byline_label"], "", name, flags=re.I).strip()
    if not name or len(name) > 100 or "http" in name or "@" in name and " " not in name:
        return None
    if not re.search(r"[^\W\d_]", name):
        return None
    return name


_TRANSLIT = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "é": "e", "è": "e", "à": "a", "ó": "o"})
_TITLE_SEP = re.compile(r"\s+(?:\||–|—|-|::|»|·|•|/)\s+|\s*[|：ㅣ｜]\s*")
_DATE_SEGMENT = re.compile(r"^\s*(?:\d{1,2}[./]\d{1,2}[./]\d{2,4}|\d{4}-\d{2}-\d{2})\s*$")


def _squash(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.casefold().translate(_TRANSLIT))


def _names_site(segment: str, site: str | None, url: str | None) -> bool:
    """Whether a title segment is the outlet's name: its og:site_name or its host name."""
    seg = _squash(segment)
    if len(seg) < 2:
        return False
    if site and (seg == _squash(site) or (len(seg) >= 4 and seg in _squash(site))):
        return True
    if url:
        host = re.sub(r"^(?:https?://)?(?:www\d?\.|m\.)?", "", url.lower()).split("/")[0]
        labels = [_squash(x) for x in host.split(".")]
        if seg in labels or seg == "".join(labels) or (len(seg) >= 4 and seg == "".join(labels[:-1])):
            return True
    return False


def clean_title(title: str | None, site: str | None = None, url: str | None = None) -> str | None:
    """Strip spam prefixes ("[BREAKING] ", "EXCLUSIVE: ") and outlet/date suffixes (" | Site | 28.04.2023")."""
    if not title or not isinstance(title, str):
        return None
    rules = _line_rules()
    title = re.sub(r"\s+", " ", title).strip()
    for _ in range(3):
        new = re.sub(rules["title_prefix"], "", title, flags=re.I).strip()
        if new == title:
            break
        title = new
    if site and len(title) > len(site) + 8 and title.endswith(site):
        # "Headline：朝日新聞デジタル", "Headline Israel Nachrichten": the site glued on
        head = title[: -len(site)].rstrip()
        if head and (not head[-1].isalnum() or " " in site):
            title = head.rstrip(" |:：-–—ㅣ·•")
    for _ in range(3):
        parts = _TITLE_SEP.split(title)
        if len(parts) < 2:
            break
        last, head = parts[-1].strip(), " ".join(parts[:-1]).strip()
        if len(head.split()) < 2 and len(head) < 8:
            break
        hint = len(last.split()) <= 4 and re.search(rules["site_suffix_hint"], last, re.I)
        if _DATE_SEGMENT.match(last) or _names_site(last, site, url) or hint:
            title = title[: title.rfind(last)].rstrip(" |:：-–—ㅣ｜·•/»")
        else:
            break
    # "Site: Headline" / "Site | Headline" prefixes
    parts = _TITLE_SEP.split(title, maxsplit=1)
    if len(parts) == 2 and _names_site(parts[0], site, url) and len(parts[1].split()) >= 2:
        title = parts[1].strip()
    return title or None


# ---------------------------------------------------------------- HTML heads

_DATE_META = (
    "article:published_time", "og:article:published_time", "datepublished", "pubdate", "publishdate",
    "publish-date", "publish_date", "article.published", "dc.date.issued", "dcterms.created",
    "sailthru.date", "parsely-pub-date", "date", "dc.date", "original-publish-date", "cxenseparse:recs:publishtime",
)
_AUTHOR_META = ("author", "article:author", "dc.creator", "parsely-author", "byl", "sailthru.author")


def _jsonld_items(tree: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for node in tree.iterfind('.//script[@type="application/ld+json"]'):
        raw = (node.text or "").strip()
        if not raw or len(raw) > 2_000_000:
            continue
        try:
            data = json.loads(raw)
        except (ValueError, RecursionError):
            continue
        stack = [data]
        while stack and len(items) < 200:
            obj = stack.pop()
            if isinstance(obj, list):
                stack.extend(obj)
            elif isinstance(obj, dict):
                items.append(obj)
                if "@graph" in obj:
                    stack.append(obj["@graph"])
                if isinstance(obj.get("mainEntity"), dict):
                    stack.append(obj["mainEntity"])
    return items


def _is_article(item: dict[str, Any]) -> bool:
    kind = item.get("@type")
    kinds = kind if isinstance(kind, list) else [kind]
    return any(isinstance(k, str) and ("Article" in k or k in ("BlogPosting", "Report", "LiveBlogPosting"))
               for k in kinds)


def html_metadata(tree: Any) -> dict[str, Any]:
    """Title, author, site, published (with its source) and JSON-LD articleBody from an lxml tree."""
    out: dict[str, Any] = {}
    try:
        items = _jsonld_items(tree)
        articles = [i for i in items if _is_article(i)] or [i for i in items if "datePublished" in i]
        for art in articles:
            if "published" not in out:
                pub = parse_iso_datetime(art.get("datePublished")) or parse_iso_datetime(art.get("dateCreated"))
                if pub:
                    out["published"], out["published_from"] = pub, "json-ld"
            if "author" not in out and art.get("author"):
                author = clean_author(art.get("author"))
                if author:
                    out["author"] = author
            if "title" not in out and isinstance(art.get("headline"), str):
                out["title"] = art["headline"].strip()
            body = art.get("articleBody")
            if isinstance(body, str) and len(body) > len(out.get("article_body", "")):
                out["article_body"] = body
            pub_org = art.get("publisher")
            if "site" not in out and isinstance(pub_org, dict) and isinstance(pub_org.get("name"), str):
                out["site"] = pub_org["name"].strip()
        metas: dict[str, str] = {}
        for node in tree.iterfind(".//meta"):
            key = (node.get("property") or node.get("name") or node.get("itemprop") or "").strip().lower()
            val = node.get("content")
            if key and val and key not in metas:
                metas[key] = val.strip()
        if "published" not in out:
            for key in _DATE_META:
                pub = parse_iso_datetime(metas.get(key))
                if pub:
                    out["published"], out["published_from"] = pub, "meta"
                    break
        if "published" not in out:
            for node in tree.iterfind(".//time[@datetime]"):
                if node.get("pubdate") is not None or "publish" in (node.get("class") or "").lower():
                    pub = parse_iso_datetime(node.get("datetime"))
                    if pub:
                        out["published"], out["published_from"] = pub, "meta"
                        break
        if "author" not in out:
            for key in _AUTHOR_META:
                author = clean_author(metas.get(key))
                if author and not author.lower().startswith(("http", "www.")):
                    out["author"] = author
                    break
        out.setdefault("site", metas.get("og:site_name") or metas.get("application-name"))
        if "title" not in out and metas.get("og:title"):
            out["title"] = metas["og:title"]
        out["url"] = metas.get("og:url")
    except Exception:  # malformed heads are common; metadata is best effort
        pass
    return {k: v for k, v in out.items() if v}
