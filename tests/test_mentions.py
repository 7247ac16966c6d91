"""Mentions: spaCy NER with the registry layer, label repairs, titles and roles, surname links."""

from __future__ import annotations

from pathlib import Path

import pytest

from tidings.records import Mention
from tidings.resolve.actors import ActorRegistry
from tidings.resolve.mentions import extract_mentions, extract_mentions_batch, load_nlp


@pytest.fixture(scope="module")
def nlp():  # type: ignore[no-untyped-def]
    return load_nlp()


def find(mentions: list[Mention], text: str, label: str | None = None) -> Mention:
    hits = [m for m in mentions if m.text == text and (label is None or m.label == label)]
    assert hits, f"no mention {text!r} ({label}) in {[(m.text, m.label) for m in mentions]}"
    return hits[0]


def test_offsets_are_exact(nlp) -> None:  # type: ignore[no-untyped-def]
    text = ("Russian troops shelled Kharkiv on Monday, killing 3 people, Ukraine\u2019s General Staff said. "
            "Kremlin spokesman Dmitry Peskov denied it.")
    doc, mentions = extract_mentions(text, nlp)
    assert doc.text == text
    assert mentions
    for m in mentions:
        assert text[m.start : m.end] == m.text
    assert mentions == sorted(mentions, key=lambda m: (m.start, -m.end, m.label))


def test_registry_groups_and_places(nlp) -> None:  # type: ignore[no-untyped-def]
    text = ("The Freedom of Russia Legion and the Russian Volunteer Corp said they had entered Belgorod. "
            "Russia's defense ministry said Russian forces repelled the attack.")
    _, ms = extract_mentions(text, nlp)
    legion = find(ms, "Freedom of Russia Legion", "GROUP")
    assert legion.entity_id == "tid:freedom-of-russia-legion"
    assert legion.attrs["actor_kind"] == "armed_group" and legion.attrs["inter"] == 2
    assert find(ms, "Russian Volunteer Corp", "GROUP").entity_id == "tid:russian-volunteer-corps"
    assert find(ms, "Belgorod").label == "GPE"  # spaCy alone tags it ORG or NORP
    forces = find(ms, "Russian forces", "GROUP")
    assert forces.attrs["actor"] == "Military Forces of Russia (2000-)" and forces.attrs["descriptor"]
    mod = find(ms, "Russia's defense ministry", "ORG")
    assert mod.attrs["acled_actor"] == "Military Forces of Russia (2000-)"
    # The nationality inside a descriptor phrase is still reported for the place and actor stages.
    assert find(ms, "Russian", "NORP").attrs.get("inside_descriptor")


def test_role_before_name(nlp) -> None:  # type: ignore[no-untyped-def]
    text = "Volunteer Corps commander Denis Kapustin said his fighters had crossed the border."
    _, ms = extract_mentions(text, nlp)
    kap = find(ms, "Denis Kapustin", "PERSON")
    assert kap.attrs["role"] == "commander"
    assert kap.attrs["affiliation"] == "Russian Volunteer Corps"
    assert kap.attrs["affiliation_id"] == "tid:russian-volunteer-corps"
    assert find(ms, "commander", "TITLE").attrs["person"] == "Denis Kapustin"


def test_role_with_long_affiliation(nlp) -> None:  # type: ignore[no-untyped-def]
    text = "Ukrainian military intelligence spokesman Andriy Yusov told reporters the raid was planned."
    _, ms = extract_mentions(text, nlp)
    yusov = find(ms, "Andriy Yusov", "PERSON")
    assert yusov.attrs["role"] == "spokesman" and yusov.attrs["role_type"] == "spokesperson"
    assert yusov.attrs["affiliation"] == "Main Directorate of Intelligence of Ukraine"
    assert yusov.attrs["affiliation_text"] == "Ukrainian military intelligence"


def test_appositive_role(nlp) -> None:  # type: ignore[no-untyped-def]
    text = "Dmitry Peskov, the Kremlin's spokesman, said the claims were false."
    _, ms = extract_mentions(text, nlp)
    peskov = find(ms, "Dmitry Peskov", "PERSON")
    assert peskov.attrs["role"] == "spokesman"
    assert peskov.attrs["affiliation"] == "Government of Russia"
    assert peskov.attrs.get("affiliation_source") != "registry"  # read from the text


def test_role_for_unknown_person_keeps_text_affiliation(nlp) -> None:  # type: ignore[no-untyped-def]
    text = "Hamas commander Abu Yusuf Tamimi was killed, the group said."
    _, ms = extract_mentions(text, nlp)
    person = [m for m in ms if m.label == "PERSON"]
    assert person and person[0].attrs["role"] == "commander"
    assert person[0].attrs["affiliation"] == "Hamas Movement"


def test_rank_and_role(nlp) -> None:  # type: ignore[no-untyped-def]
    text = "Defense Ministry spokesman Maj. Gen. Igor Konashenkov said 40 drones were downed."
    _, ms = extract_mentions(text, nlp)
    k = find(ms, "Igor Konashenkov", "PERSON")
    assert k.attrs["rank"] == "maj. gen."
    assert k.attrs["role"] == "spokesman"


def test_surname_links_give_the_full_entity(nlp) -> None:  # type: ignore[no-untyped-def]
    text = ("Ukrainian President Volodymyr Zelenskiy spoke on Sunday. Zelenskiy said the front was holding. "
            "Analyst Marta Kovalenko agreed. Kovalenko said more drones were needed.")
    _, ms = extract_mentions(text, nlp)
    full = find(ms, "Volodymyr Zelenskiy", "PERSON")
    assert full.entity_id == "wd:Q3881612" and full.attrs["role"] == "president"
    short = [m for m in ms if m.text == "Zelenskiy" and m.label == "PERSON"][0]
    assert short.entity_id == "wd:Q3881612"
    kov = [m for m in ms if m.text == "Kovalenko"]
    assert kov and kov[0].label == "PERSON" and kov[0].attrs["full_name"] == "Marta Kovalenko"
    assert kov[0].entity_id is None  # not in the registry: linked, not invented


def test_batch_equals_single(nlp) -> None:  # type: ignore[no-untyped-def]
    texts = ["Israeli forces struck Gaza, the IDF said.", "RSF fighters entered El Fasher, Sudan's army said."]
    single = [extract_mentions(t, nlp)[1] for t in texts]
    batch = [ms for _, ms in extract_mentions_batch(texts, nlp)]
    assert single == batch
    assert find(batch[0], "IDF", "GROUP").attrs["actor"] == "Military Forces of Israel (2022-)"
    assert find(batch[1], "RSF", "GROUP").attrs["actor"] == "RSF: Rapid Support Forces"


def test_user_registry_file(tmp_path: Path) -> None:
    extra = tmp_path / "extra.yaml"
    extra.write_text(
        "actors:\n  - {name: Pahonia Legion of Free Belarus, kind: armed_group, inter: 2, country: BY,\n"
        "     aliases: [Free Belarus Legion]}\n",
        encoding="utf-8",
    )
    reg = ActorRegistry.load([extra])
    nlp = load_nlp(reg)
    assert load_nlp(reg) is nlp  # loaded once per registry
    _, ms = extract_mentions("The Free Belarus Legion claimed the raid near Bryansk.", nlp, reg)
    m = find(ms, "Free Belarus Legion", "GROUP")
    assert m.attrs["actor"] == "Pahonia Legion of Free Belarus"


def test_case_sensitive_short_aliases(nlp) -> None:  # type: ignore[no-untyped-def]
    _, ms = extract_mentions("The aa battery and the is clause were fine; AA fighters attacked.", nlp)
    groups = [m for m in ms if m.label == "GROUP"]
    assert [m.text for m in groups] == ["AA"]


def test_role_before_comma_and_appositive_after_rank(nlp) -> None:  # type: ignore[no-untyped-def]
    _, ms = extract_mentions("The group's commander, Denis Kapustin, said the raid succeeded.", nlp)
    kap = find(ms, "Denis Kapustin", "PERSON")
    assert kap.attrs["role"] == "commander"
    assert kap.attrs["affiliation"] == "Russian Volunteer Corps"  # "the group" names nothing: registry
    assert kap.attrs["affiliation_source"] == "registry"
    text = "Lt. Col. Nadav Shoshani, an Israeli military spokesman, said troops killed 10 militants."
    _, ms = extract_mentions(text, nlp)
    person = find(ms, "Nadav Shoshani", "PERSON")
    assert person.attrs["rank"] == "lt. col." and person.attrs["role"] == "spokesman"
    assert person.attrs["affiliation"] == "Military Forces of Israel (2022-)"


def test_role_modifiers_and_government_affiliation(nlp) -> None:  # type: ignore[no-untyped-def]
    _, ms = extract_mentions("Former Ukrainian Defense Minister Oleksii Reznikov visited Lviv.", nlp)
    rez = find(ms, "Oleksii Reznikov", "PERSON")
    assert rez.attrs["role"] == "defense minister"
    assert rez.attrs["role_modifiers"] == ["former"]
    assert rez.attrs["affiliation"] == "Government of Ukraine"
    _, ms = extract_mentions("Sarbast Nabi, a professor of political philosophy at Koya University, said so.", nlp)
    nabi = find(ms, "Sarbast Nabi", "PERSON")
    assert nabi.attrs["role"] == "professor" and nabi.attrs["affiliation"] == "Koya University"


def test_label_repairs(nlp) -> None:  # type: ignore[no-untyped-def]
    text = "Timothy McVeigh bombed the building. Prosecutors said McVeigh acted with Terry Nichols."
    _, ms = extract_mentions(text, nlp)
    assert [m.label for m in ms if m.text == "McVeigh"] == ["PERSON"]
    _, ms = extract_mentions("Al-Sharaa's HTS took Damascus from Rebels of the Islamist Hayat Tahrir al-Sham.", nlp)
    assert find(ms, "Al-Sharaa", "PERSON").entity_id == "tid:ahmed-al-sharaa"
    assert find(ms, "HTS", "GROUP")
    assert find(ms, "Hayat Tahrir al-Sham", "GROUP").entity_id == "tid:hts-hayat-tahrir-al-sham"


def test_title_absorbs_inner_entity(nlp) -> None:  # type: ignore[no-untyped-def]
    _, ms = extract_mentions("Secretary of State Marco Rubio flew to Riyadh.", nlp)
    rubio = find(ms, "Marco Rubio", "PERSON")
    assert rubio.attrs["role"] == "secretary of state"
    assert not [m for m in ms if m.text == "State" and m.label != "TITLE"]


def test_ner_eval_needs_its_data(tmp_path: Path) -> None:
    from tidings.eval import ner

    with pytest.raises(FileNotFoundError):
        ner.run(tmp_path, "dev")


@pytest.mark.shared_data
def test_ner_eval_on_shared_data(shared_data: Path) -> None:
    from tidings.eval import ner

    out = ner.run(shared_data, "dev", limit=2)
    assert out["documents"] == 2
    for system in ("layered", "spacy"):
        assert 0.0 <= out[f"{system}_strict_f1"] <= 1.0
        assert out[f"{system}_gold_named"] > 0
    assert out["voa_words_per_s"] > 0


def test_model_layers_use_numpy_blas(nlp) -> None:  # type: ignore[no-untyped-def]
    # The layers compute with numpy's BLAS, not thinc's bundled BLIS (its generic kernel is 3x slower
    # here), and the ops chosen while loading do not leak to the models loaded after.
    from thinc.api import get_current_ops

    for name in ("tok2vec", "parser", "ner"):
        assert all(node.ops.name == "numpy" and not node.ops.use_blis for node in nlp.get_pipe(name).model.walk())
    assert getattr(get_current_ops(), "use_blis", True)
