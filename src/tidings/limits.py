"""Per-document limits: every page is hostile until proven otherwise."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    max_raw_bytes: int = 20 * 1024 * 1024  # a single page or record as read
    max_decompressed_bytes: int = 200 * 1024 * 1024  # a .gz file after decompression (gzip bombs)
    max_html_chars: int = 5_000_000  # HTML handed to the extractor
    max_text_chars: int = 1_000_000  # clean text kept and analysed
    fetch_timeout_s: float = 20.0
    fetch_max_redirects: int = 5


DEFAULT_LIMITS = Limits()
