"""tidings: a cited, ACLED-style event ledger from news pages."""

__version__ = "0.1.0"
