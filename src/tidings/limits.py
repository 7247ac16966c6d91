"""Per-document limits: every page is hostile until proven otherwise."""

import os
from dataclasses import dataclass, field


def _env_seconds(name: str, default: float) -> float:
    """A limit an operator (or a test) can set without code: a bad value keeps the default."""
    try:
        value = float(os.environ.get(name, default))
    except ValueError:
        return default
    return value if value > 0 else default


@dataclass(frozen=True)
class Limits:
    max_raw_bytes: int = 20 * 1024 * 1024  # a single page or record as read
    max_decompressed_bytes: int = 200 * 1024 * 1024  # a .gz file after decompression (gzip bombs)
    max_html_chars: int = 5_000_000  # HTML handed to the extractor
    max_text_chars: int = 1_000_000  # clean text kept and analysed
    # Wall-clock seconds for every stage of one page, analysis included (pipeline.process_page).
    # $TIDINGS_MAX_PARSE_SECONDS overrides the default, also in worker processes.
    max_parse_seconds: float = field(default_factory=lambda: _env_seconds("TIDINGS_MAX_PARSE_SECONDS", 30.0))
    fetch_timeout_s: float = 20.0
    fetch_max_redirects: int = 5


DEFAULT_LIMITS = Limits()
