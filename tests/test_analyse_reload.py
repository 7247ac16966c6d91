"""A worker renews its spaCy pipeline every so many documents (flat memory), with the same results."""

from __future__ import annotations

from dataclasses import asdict

import pytest

from tidings import analyse
from tidings.pipeline import Context
from tidings.records import Document

TEXT = ("Russian forces shelled Kharkiv on Monday, killing two civilians, the regional governor said. "
        "Moscow denied targeting residential areas.")


def _analysed(ctx: Context, n: int) -> Document:
    doc = Document(doc_id=f"d{n}", source="test", text=TEXT, language="en", published="2024-03-05T10:00:00")
    analyse.analyse_document(doc, ctx)
    return doc


def test_nlp_is_renewed_and_results_do_not_change(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(analyse, "RELOAD_NLP_EVERY", 2)
    ctx = Context()
    first = _analysed(ctx, 0)
    nlp = ctx.models["nlp"]
    second = _analysed(ctx, 0)
    assert ctx.models["nlp"] is nlp
    third = _analysed(ctx, 0)
    assert ctx.models["nlp"] is not nlp  # a fresh copy after two documents
    assert first.reports and first.mentions
    for other in (second, third):
        assert [asdict(r) for r in other.reports] == [asdict(r) for r in first.reports]
        assert [asdict(c) for c in other.claims] == [asdict(c) for c in first.claims]
        assert [asdict(m) for m in other.mentions] == [asdict(m) for m in first.mentions]
