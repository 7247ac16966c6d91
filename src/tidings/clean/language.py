"""Language identification: text -> ISO 639-1 code or None.

py3langid does the statistics; this module adds what it lacks for news pages: a length floor (null
beats a guess on a three-word caption), ISO 639-1 normalisation, repair of Cyrillic mojibake (a
cp1251 page decoded as Latin-1), and a letter-level tie-break between Russian and Ukrainian, which
the n-gram model confuses on short text.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import pycountry

MAX_CHARS = 2500  # language is stable after a few paragraphs; bounds runtime on huge pages
MIN_LETTERS = 20  # below this py3langid guesses
MIN_CONFIDENCE = 0.5

# langid's labels that are not plain ISO 639-1 codes, mapped to the nearest one.
_ALIASES = {"iw": "he", "in": "id", "ji": "yi", "jw": "jv", "tl": "tl"}

_LETTER = re.compile(r"[^\W\d_]", re.UNICODE)
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_UK_ONLY = re.compile(r"[іїєґІЇЄҐ]")
_RU_ONLY = re.compile(r"[ыэъёЫЭЪЁ]")
# Latin-1 / cp1252 renderings of cp1251 or UTF-8 Cyrillic bytes ("Ð¿Ñ€Ð¸" / "Ïðåçèäåíò").
_MOJIBAKE = re.compile(r"[\u00c0-\u00ff]")


@lru_cache(maxsize=1)
def _identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def iso639_1(code: str) -> str | None:
    """A language label normalised to ISO 639-1, or None when it has no two-letter code."""
    code = _ALIASES.get(code, code).lower()
    if len(code) == 2 and pycountry.languages.get(alpha_2=code) is not None:
        return code
    return None


def repair_mojibake(text: str) -> str:
    """Undo a Latin-1/cp1252 mis-decoding of Cyrillic text; return the text unchanged otherwise."""
    sample = text[:MAX_CHARS]
    # cheap gate first: mojibake is dense in À-ÿ; most texts have almost none
    if len(_MOJIBAKE.findall(sample)) < 0.2 * len(sample) or _CYRILLIC.search(sample):
        return text
    letters = _LETTER.findall(sample)
    if sum(1 for ch in letters if _MOJIBAKE.match(ch)) < 0.5 * len(letters):
        return text
    for wrong in ("cp1252", "latin-1"):
        try:
            raw = text.encode(wrong)
        except UnicodeEncodeError:
            continue
        for right in ("utf-8", "cp1251"):
            try:
                fixed = raw.decode(right)
            except UnicodeDecodeError:
                continue
            fixed_letters = _LETTER.findall(fixed[:MAX_CHARS])
            if fixed_letters and len(_CYRILLIC.findall(fixed[:MAX_CHARS])) > 0.6 * len(fixed_letters):
                return fixed
    return text


def _cyrillic_tiebreak(text: str, guess: str) -> str:
    """Russian and Ukrainian each have letters the other lacks; trust them over n-grams."""
    uk = len(_UK_ONLY.findall(text))
    ru = len(_RU_ONLY.findall(text))
    if guess in ("ru", "uk", "be", "bg", "mk", "sr"):
        if uk > 2 * ru and uk >= 3:
            return "uk"
        if ru > 2 * uk and ru >= 3 and guess in ("uk", "be"):
            return "ru"
    return guess


def detect_language(text: str) -> str | None:
    """ISO 639-1 code of the text's language, or None when the text is too short or unclear."""
    try:
        if not text or not isinstance(text, str):
            return None
        sample = repair_mojibake(text[: MAX_CHARS * 2])[:MAX_CHARS]
        if len(_LETTER.findall(sample)) < MIN_LETTERS:
            return None
        code, prob = _identifier().classify(sample)
        if prob < MIN_CONFIDENCE:
            return None
        iso = iso639_1(str(code))
        return _cyrillic_tiebreak(sample, iso) if iso else None
    except Exception:  # a language guess must never break a document
        return None
