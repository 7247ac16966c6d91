"""The scraped-text cleaner: boilerplate goes, body sentences stay, metadata lines are read."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tidings.clean.language import detect_language
from tidings.clean.text import clean_text

BODY = [
    "BELGOROD, Russia — A drone struck a fuel depot in Russia's Belgorod region early on Monday, "
    "the regional governor said, causing a large fire but no casualties.",
    "The governor said on Telegram that air defences had shot down several other drones over the region overnight.",
    "Readers who subscribe to the governor's channel saw the video before it was removed, local media reported.",
    "Ukraine did not immediately comment on the attack, and the claims could not be independently verified.",
]

SCRAPED = "\n".join(
    [
        "Skip to content",
        "Home > World > Europe",
        "News",
        "World",
        "Business",
        "Sport",
        "[BREAKING] Drone strike hits fuel depot in Belgorod region | Daily Planet News",
        "By Jane Doe, Reuters",
        "Published: Nov 20, 2023 14:05",
        "5 min read",
        "Share",
        "Tweet",
        "Email",
        "",
        *BODY,
        "Subscribe to our newsletter",
        "We use cookies to improve your experience. By continuing you agree to our privacy policy.",
        "",
        "Related Articles",
        "Russia says it downed 20 drones over Crimea",
        "Kyiv hit by missiles overnight",
        "12 comments",
        "Jane Doe is a senior correspondent at Daily Planet covering Russia and Ukraine.",
        "© 2023 Daily Planet. All rights reserved.",
    ]
)


def test_body_survives_and_boilerplate_goes() -> None:
    out = clean_text(SCRAPED)
    assert out.text.split("\n") == BODY
    for junk in ("Skip to content", "Home > World > Europe", "5 min read", "Subscribe to our newsletter",
                 "We use cookies", "Related Articles", "Kyiv hit by missiles overnight", "12 comments",
                 "senior correspondent", "All rights reserved", "Tweet"):
        assert junk not in out.text
        assert junk in out.boilerplate


def test_metadata_from_lines() -> None:
    out = clean_text(SCRAPED)
    assert out.title == "Drone strike hits fuel depot in Belgorod region"
    assert out.author == "Jane Doe"
    assert out.published == "2023-11-20T14:05"
    assert out.published_from == "text-line"
    assert out.language == "en"


def test_subscribe_inside_long_sentence_is_body() -> None:
    text = "\n".join(BODY[:2] + [
        "Share prices fell after the strike, and analysts who subscribe to the newsletter of the central "
        "bank said it would sign up for another emergency meeting.",
    ] + BODY[2:])
    out = clean_text(text)
    assert "Share prices fell after the strike" in out.text
    assert out.text.count("\n") == 4


def test_markdown_links_and_menus() -> None:
    text = "\n".join([
        "[Home](/) | [World](/world) | [Politics](/politics)",
        "# Ceasefire talks stall in Doha",
        "Date: 2025-04-08 21:44",
        "",
        "Negotiators left [Doha](https://example.org/doha) on Tuesday without agreement, "
        "according to two officials briefed on the talks.",
        "",
        "**Mediators** said a new round could start next week if both sides agreed to a prisoner exchange.",
        "",
        "- [Sanctions widened](https://example.org/a)",
        "- [Markets slip](https://example.org/b)",
        "- [Envoy resigns](https://example.org/c)",
    ])
    out = clean_text(text)
    assert out.title == "Ceasefire talks stall in Doha"
    assert out.published == "2025-04-08T21:44"
    assert out.text.startswith("Negotiators left Doha on Tuesday")
    assert "Mediators said a new round" in out.text
    assert "Sanctions widened" not in out.text and "[Home]" not in out.text


def test_front_matter_keys() -> None:
    text = "Title: Shelling reported near Kharkiv\nURL: https://example.org/x\nDate: 20.11.2023\n\n" + "\n".join(BODY)
    out = clean_text(text)
    assert out.title == "Shelling reported near Kharkiv"
    assert out.url == "https://example.org/x"
    assert out.published == "2023-11-20"
    assert "Title:" not in out.text


def test_empty_and_hostile() -> None:
    assert clean_text("").text == ""
    assert clean_text(None).text == ""  # type: ignore[arg-type]
    assert clean_text("\x00\x01\x02" * 1000).text == ""
    big = ("word " * 50 + "\n") * 20000
    assert isinstance(clean_text(big).text, str)


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=3000))
def test_never_raises(raw: str) -> None:
    out = clean_text(raw)
    assert isinstance(out.text, str) and isinstance(out.boilerplate, str)
    assert "\n\n" not in out.text


def test_language_codes() -> None:
    assert detect_language("Київ заявив, що вони діяли самостійно, а Кремль назвав їх диверсійною групою") == "uk"
    ru = "Кремль назвал их диверсионной группой, работающей на Украину, а Киев заявил обратное"
    assert detect_language(ru) == "ru"
    # a cp1251 page wrongly decoded as Latin-1 is still Russian
    assert detect_language(ru.encode("cp1251").decode("latin-1")) == "ru"
    assert detect_language("The Kremlin called them a sabotage group working for Ukraine.") == "en"
    assert detect_language("ok") is None
    assert detect_language("") is None


def test_main_region_drops_far_teasers() -> None:
    teaser = "Opinion: why the markets are nervous about the next central bank meeting, according to analysts."
    page = "\n".join(
        ["Menu", "World", "Politics", teaser, "Sport", "Weather", "Login", "Video", "Audio", "Live", ""]
        + BODY
        + ["", "Newsletters", "Contact", "Careers", "Advertise", "Help", "Terms",
           "A second teaser sentence about celebrity diets that has nothing to do with the war at all."]
    )
    out = clean_text(page)
    assert out.text.split("\n") == BODY
    assert teaser in out.boilerplate


def test_cjk_lines_count_as_words() -> None:
    zh = ["据当地官员说，周一凌晨一架无人机袭击了别尔哥罗德州的一个燃料库，引发大火但没有造成人员伤亡。",
          "州长在社交媒体上表示，防空部队在夜间击落了该地区上空的其他几架无人机，目前调查仍在进行。"]
    out = clean_text("\n".join(["首页", "国际", "财经", *zh, "分享", "评论"]))
    assert out.text.split("\n") == zh


def test_filter_extracted_keeps_body_and_reads_top_lines() -> None:
    from tidings.clean.text import filter_extracted

    body = "\n".join(
        ["Drone strike hits fuel depot", "By Jane Doe", "20.11.2023", *BODY,
         "READ MORE: Russia says it downed 20 drones", "READ MORE: Kyiv hit overnight",
         "STR/Getty Images", BODY[1]]
    )
    kept, removed, found = filter_extracted(body, "Drone strike hits fuel depot")
    assert kept.split("\n") == BODY
    assert found == {"author": "Jane Doe", "published": "2023-11-20"}
    assert "READ MORE: Kyiv hit overnight" in removed and "STR/Getty Images" in removed


def test_filter_extracted_leaves_see_also_sections_and_urls() -> None:
    from tidings.clean.text import filter_extracted

    petition = ("The full text of the petition, which has gathered more than ten thousand signatures, "
                "is at http://www.example.org/petition.")
    body = "\n".join([*BODY, "See also", petition, "http://www.example.org/petition-form"])
    kept, _removed, _found = filter_extracted(body)
    assert petition in kept and "http://www.example.org/petition-form" in kept


def test_short_alert_is_not_emptied() -> None:
    assert clean_text("Explosions reported in Kharkiv").text == "Explosions reported in Kharkiv"
    out = clean_text("Share\nExplosions reported in Kharkiv\nTwo wounded, governor says")
    assert "Two wounded, governor says" in out.text and "Share" not in out.text
