"""Bytes to text: BOM, then the HTTP header, then the page's own meta charset, then byte statistics.

A declared charset is only trusted when the bytes actually decode with it: pages often lie.
"""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_XML_ENCODING = re.compile(rb"""<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_.:-]+)""", re.I)
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_.:-]+)", re.I)

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def _codec(name: str | bytes | None) -> str | None:
    if not name:
        return None
    if isinstance(name, bytes):
        name = name.decode("ascii", "ignore")
    try:
        codec = codecs.lookup(name.strip().lower()).name
    except LookupError:
        return None
    # Browsers treat a declared latin-1 as windows-1252 (the WHATWG encoding standard).
    return "cp1252" if codec in ("latin-1", "iso8859-1", "ascii") else codec


def declared_charsets(raw: bytes, content_type: str | None) -> list[str]:
    found: list[str] = []
    if content_type and (m := _HEADER_CHARSET.search(content_type)):
        found.append(m.group(1))
    head = raw[:4096]
    for pattern in (_META_CHARSET, _XML_ENCODING):
        if m := pattern.search(head):
            found.append(m.group(1).decode("ascii", "ignore"))
    return [c for c in (_codec(n) for n in found) if c]


def looks_binary(raw: bytes) -> bool:
    """True for images, PDFs, executables: text never has many NULs or control bytes."""
    sample = raw[:8192]
    if not sample:
        return False
    if sample.startswith((b"%PDF", b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"PK\x03\x04", b"\x7fELF")):
        return True
    if any(sample.startswith(bom) for bom, _ in _BOMS[1:]):
        return False  # UTF-16/32 text has NULs by design
    controls = sum(1 for b in sample if b < 9 or 13 < b < 32)
    return b"\x00" in sample or controls / len(sample) > 0.05


def decode(raw: bytes, content_type: str | None = None) -> tuple[str, str]:
    """Return (text, encoding used). Never raises: the last resort replaces undecodable bytes."""
    for bom, codec in _BOMS:
        if raw.startswith(bom):
            return raw.decode(codec, errors="replace"), codec
    for codec in declared_charsets(raw, content_type):
        try:
            return raw.decode(codec), codec
        except (UnicodeDecodeError, LookupError):
            continue  # the declaration lied; fall through to detection
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    best = from_bytes(raw[:200_000], cp_isolation=_WEB_CODECS).best()
    codec = _codec(best.encoding) if best is not None else None
    if codec is None or (codec != "cp1252" and _plain_western(raw)):
        codec = "cp1252"
    return raw.decode(codec, errors="replace"), codec


# The legacy encodings seen on news sites; isolating them keeps detection fast and sane.
_WEB_CODECS = [
    "cp1252", "cp1251", "koi8_r", "koi8_u", "cp1250", "iso8859_2", "cp1253", "cp1254", "cp1255",
    "cp1256", "cp1257", "iso8859_15", "shift_jis", "euc_jp", "gb18030", "big5", "euc_kr", "cp874",
]
_WESTERN_LETTERS = set("àáâãäåæçèéêëìíîïñòóôõöøùúûüýÿœšžßÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÑÒÓÔÕÖØÙÚÛÜÝŸŒŠŽ’‘“”–—…€«»°·")


def _plain_western(raw: bytes) -> bool:
    """Short Western European text fools byte statistics; cp1252 wins when it yields only real letters."""
    try:
        text = raw[:200_000].decode("cp1252")
    except UnicodeDecodeError:
        return False
    extra = [c for c in text if ord(c) > 127]
    return bool(extra) and all(c in _WESTERN_LETTERS for c in extra)
