"""The cheap relevance filter: keeps event text, rejects sport, markets and celebrity, picks candidate
sentences with their neighbours at exact offsets, and keeps its recall on the public event sets."""

from __future__ import annotations

from pathlib import Path

import pytest

from tidings.relevance import assess, document_relevant, relevant_sentence_spans, sentence_spans

EVENTS = [
    "Russian forces shelled the village overnight, the regional governor said.",
    "On 3 May, around 200 teachers protested outside the education ministry, demanding unpaid wages.",
    "Police detained 14 people after the rally turned violent on Saturday.",
    "Gunmen abducted three aid workers on the road to Goma.",
    "A roadside bomb hit an army convoy near Kandahar, wounding four soldiers.",
    "The two sides agreed to a ceasefire that takes effect at midnight.",
    "Residents blocked the highway with burning tires to denounce power cuts.",
    "Israeli settlers hurled stones at passing Palestinian cars near Nablus.",
    "A drone struck an oil depot in Bryansk region, officials said.",
]
NON_EVENTS = [
    "The striker scored twice as United beat City 3-1 in Sunday's derby, with a late penalty shot deciding it.",
    "Shares rallied on Wall Street as tech stocks rose; the strike price of the options barely moved.",
    "The singer's new album went straight to the top of the charts, her label said on Friday.",
    "Apple unveiled a thinner laptop with a brighter screen and a longer battery life.",
    "He suffered a heart attack at home last week and is recovering well, his family said.",
    "The chef's tasting menu features seven courses of seasonal vegetables and local cheese.",
]


@pytest.mark.parametrize("text", EVENTS)
def test_event_text_is_relevant(text: str) -> None:
    assert document_relevant(text)
    assert relevant_sentence_spans(text) == [(0, len(text))]


@pytest.mark.parametrize("text", NON_EVENTS)
def test_text_without_events_is_rejected(text: str) -> None:
    assert not document_relevant(text)
    assert relevant_sentence_spans(text) == []


def test_candidate_sentences_come_with_one_neighbour_each_side() -> None:
    sentences = [
        "The city council met on Monday.",          # 0
        "It discussed the new bus timetable.",      # 1
        "Parking fees will rise in spring.",        # 2
        "Later that night, a missile hit a depot.",  # 3: the event
        "Firefighters worked until dawn.",          # 4
        "The mayor thanked them.",                  # 5
        "A library opens next month.",              # 6
    ]
    text = " ".join(sentences)
    starts = [text.index(s) for s in sentences]
    spans = relevant_sentence_spans(text)
    assert spans == [(starts[2], starts[4] + len(sentences[4]))]
    assert text[spans[0][0]:spans[0][1]].startswith("Parking fees")


def test_windows_that_touch_are_merged_and_far_ones_kept_apart() -> None:
    parts = ["Troops advanced at dawn.", "Nothing else.", "Quiet day.", "More quiet.", "Calm again.",
             "Still calm.", "Protesters gathered at noon."]
    text = "\n".join(parts)
    spans = relevant_sentence_spans(text)
    assert [text[s:e] for s, e in spans] == ["Troops advanced at dawn.\nNothing else.", "Still calm.\nProtesters gathered at noon."]


def test_offsets_stay_exact_when_lower_casing_changes_length() -> None:
    # "İ" lower-cases to two characters: the filter must still report offsets into the original text.
    text = "İstanbul hosted a trade fair. Police fired tear gas at protesters in Ankara. The fair closed."
    spans = relevant_sentence_spans(text)
    assert [text[s:e] for s, e in spans] == [text]
    assert document_relevant(text)


def test_two_different_weak_words_make_a_document_relevant_one_does_not() -> None:
    assert not document_relevant("The attack was fast and the defence was slow.")  # one weak word: attack
    assert document_relevant("Residents gathered outside city hall to demand clean water.")  # gathered + demand


def test_sentence_spans_split_and_trim() -> None:
    text = "  First one.  Second one!\n\nThird \"quoted.\" Fourth"
    assert [text[s:e] for s, e in sentence_spans(text)] == ["First one.", "Second one!", "Third \"quoted.\"", "Fourth"]
    assert sentence_spans("") == [] and sentence_spans("   ") == []


def test_assess_is_consistent_with_the_two_functions() -> None:
    for text in EVENTS + NON_EVENTS:
        result = assess(text)
        assert result.relevant == document_relevant(text)
        assert result.spans == relevant_sentence_spans(text)


STORY = (
    "The minister opened a new school in the capital on Monday. "
    "She said the building had cost $2 million. "
    "Pupils sang the national anthem. "
    "Separately, Russian missiles struck Kharkiv overnight, killing three civilians. "
    "Moscow denied targeting residential areas. "
    "The mayor said heating would be restored by Friday. "
    "The city's football team won its match. "
    "Analysts said the war could last for years, and the army said it had enough ammunition. "
    "The weather will be cold."
)


def _texts(text: str, spans: list[tuple[int, int]]) -> list[str]:
    return [text[s:e] for s, e in spans]


def test_focus_spans_keep_events_their_neighbours_and_claims() -> None:
    from tidings.relevance import focus_spans, mask

    assessment = assess(STORY)
    focus = " ".join(_texts(STORY, focus_spans(STORY, assessment)))
    assert "Russian missiles struck Kharkiv" in focus
    assert "Pupils sang the national anthem." in focus  # the event's neighbour before
    assert "Moscow denied targeting residential areas." in focus  # a claim about it
    assert "the army said it had enough ammunition" in focus  # conflict words and a word of attribution
    assert "The minister opened a new school" not in focus
    assert "The weather will be cold." not in focus
    # Narrower than the candidate spans, and the mask keeps every offset.
    assert sum(e - s for s, e in focus_spans(STORY, assessment)) < sum(e - s for s, e in assessment.spans)
    masked = mask(STORY, focus_spans(STORY, assessment))
    assert len(masked) == len(STORY)
    for s, e in focus_spans(STORY, assessment):
        assert masked[s:e] == STORY[s:e]
    assert masked[:10].strip() == ""


def test_focus_spans_empty_without_events_or_claims() -> None:
    from tidings.relevance import focus_spans

    text = "The army band played at the parade. Tickets sold out."
    assessment = assess(text)
    assert focus_spans(text, assessment) == [] or assessment.relevant


@pytest.mark.shared_data
def test_recall_on_the_dev_event_sets(shared_data: Path) -> None:
    from tidings.eval.relevance import run

    result = run(shared_data, split="dev")
    assert result["acled_notes.n"] > 10_000
    assert result["acled_notes.doc_recall"] >= 0.98
    assert result["acled_notes.sentence_recall"] >= 0.98
    assert result["voa_stories.doc_recall"] >= 0.97
    assert result["aeb_negatives.doc_rejected"] >= 0.4  # general web pages: sport, products, markets
