"""Tests for archiver.normalize.text: cleaning, teaser repair, body format and comparison keys."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archiver.normalize.text import (
    clean_text,
    content_hash,
    normalize_body,
    normalize_teaser,
    squash,
    teaser_is_truncated,
    teaser_key,
    teaser_matches_body,
)

# Real teasers as the sites print them -------------------------------------------

TYPHOON = (
    "It was one August day in 2020 when it was anticipated that the DPRK would be "
    "affected by the influence of Typhoon No. 8.The time w"
)
NAVAL = (
    "One July day in 1975 Chairman Kim Jong Il inspected a naval unit to guide "
    "sailors’ military training.Seeing accurate and prompt ch"
)
MESSAGE = (
    "Kim Jong Un , general secretary of the Workers’ Party of Korea, sent a "
    "congratulatory message to To Lam, general secretary of"
)
SONJUK = (
    "in Sonjuk-dong, Kaesong Municipality of the DPRK was established in the later "
    "period of the Koryo dynasty (918-1392) and rebuilt"
)
TAFFY = (
    "The traditional taffy-making practice is on the DPRK’s national intangible "
    "cultural heritage list.Korean ancestors found out that"
)
MINE = (
    "One February in 1956 President Kim Il Sung gave field guidance to a mine in "
    "South Phyongan Province. The country was hard pressed"
)
TRIPLETS = (
    "Health management system for triplets is run in the DPRK thanks to the "
    "Workers’ Party of Korea’s politics of love for people."
)
RSTV_EN = (
    "On July 23, on the occasion of the 70th anniversary of the Victory in the "
    "Korean War, the 2nd International Congress of Solidarity was held online at "
    "the Chinese Executive Committee of the DPRK ISG.Th"
)
RSTV_DE = (
    "Am 23. Juli fand anlässlich des 70. Jahrestages des Sieges im Koreakrieg beim "
    "Chinesischen Exekutivkomitee der DPRK ISG der 2. Internationale "
    "Solidaritätskongress online statt.An dem Treffen nahmen Mi"
)
RSTV_ZH = (
    "7月23日，值朝鲜祖国解放战争胜利70周年之际，第二届国际团结大会在朝鲜国际研究会"
    "中国执行委员会以线上方式举行。出席会议的有"
)

# Paragraphs whose glued form starts with TYPHOON (the second and third paragraphs
# are made up: only the glued prefix has to be the site's).
TYPHOON_PARAGRAPHS = [
    "It was one August day in 2020 when it was anticipated that the DPRK would be "
    "affected by the influence of Typhoon No. 8.",
    "The time was drawing near when the typhoon would hit the west coast.",
    "Kim Jong Un ordered that the crops be protected.",
]


# clean_text ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, ""),
        ("", ""),
        ("   \n\t ", ""),
        ("&quot;JoJack&quot; brand", '"JoJack" brand'),
        ("Q &amp; A", "Q & A"),
        ("a&nbsp;b", "a b"),
        ("a&amp;nbsp;b", "a b"),  # double-encoded
        ("&amp;quot;JoJack&amp;quot;", '"JoJack"'),
        ("Kim Il Sung&#8217;s &#x201C;idea&#x201D;", "Kim Il Sung’s “idea”"),
        ("a\u00a0b\u2009c\u202fd", "a b c d"),
        ("zero\u200bwidth\u200c\u200d\u2060\ufeff text\u00ad", "zerowidth text"),
        ("a&#8203;b", "ab"),  # an entity that decodes to a zero-width space
        ("  first line\n\nsecond\tline  \r\n ", "first line second line"),
        ("AT&T, R&D &bogus; &", "AT&T, R&D &bogus; &"),  # not entities: kept
        ("bell\x07char", "bellchar"),
        (RSTV_ZH, RSTV_ZH),
        ("中文，标点。 不变", "中文，标点。 不变"),
    ],
)
def test_clean_text(raw, expected):
    assert clean_text(raw) == expected


@settings(max_examples=300)
@given(
    st.lists(
        st.sampled_from(["&", "amp", ";", "nbsp", "#8203", "&amp;", "\u200b", " ", "\n", "\u00a0", "x"])
        | st.text(max_size=5),
        max_size=12,
    ).map("".join)
)
def test_clean_text_idempotent(raw):
    once = clean_text(raw)
    assert clean_text(once) == once


# normalize_teaser ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            TYPHOON,
            "It was one August day in 2020 when it was anticipated that the DPRK would "
            "be affected by the influence of Typhoon No. 8. The time w",
        ),
        (
            NAVAL,
            "One July day in 1975 Chairman Kim Jong Il inspected a naval unit to guide "
            "sailors’ military training. Seeing accurate and prompt ch",
        ),
        (
            MESSAGE,
            "Kim Jong Un, general secretary of the Workers’ Party of Korea, sent a "
            "congratulatory message to To Lam, general secretary of",
        ),
        (SONJUK, SONJUK),
        (
            TAFFY,
            "The traditional taffy-making practice is on the DPRK’s national intangible "
            "cultural heritage list. Korean ancestors found out that",
        ),
        (MINE, MINE),
        (TRIPLETS, TRIPLETS),
        (
            RSTV_EN,
            "On July 23, on the occasion of the 70th anniversary of the Victory in the "
            "Korean War, the 2nd International Congress of Solidarity was held online "
            "at the Chinese Executive Committee of the DPRK ISG. Th",
        ),
        (
            RSTV_DE,
            "Am 23. Juli fand anlässlich des 70. Jahrestages des Sieges im Koreakrieg "
            "beim Chinesischen Exekutivkomitee der DPRK ISG der 2. Internationale "
            "Solidaritätskongress online statt. An dem Treffen nahmen Mi",
        ),
        (RSTV_ZH, RSTV_ZH),
    ],
)
def test_normalize_teaser_site_teasers(raw, expected):
    assert normalize_teaser(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # glued paragraph boundaries after . ! ? … and closing quotes/brackets
        ("Hurrah!The people", "Hurrah! The people"),
        ("Why?Because", "Why? Because"),
        ("and so on…Next day", "and so on… Next day"),
        ("(918-1392).The school", "(918-1392). The school"),
        ("he said.“We will", "he said. “We will"),
        ("he said.”The next", "he said.” The next"),
        ('he said."The next', 'he said." The next'),
        ("in 2020.In 2021", "in 2020. In 2021"),
        ("DPRK.KCNA reported", "DPRK. KCNA reported"),
        ("Kim Il Sung's idea.The", "Kim Il Sung's idea. The"),
        ("Kim Il Sung’s.The", "Kim Il Sung’s. The"),
        ("года.В Пхеньяне", "года. В Пхеньяне"),
        ("Mr.Kim", "Mr. Kim"),
        # ... but not inside initialisms, numbers, domains, URLs
        ("Talks with the U.S. ended.", "Talks with the U.S. ended."),
        ("the U.S.Army", "the U.S.Army"),
        ("The U.S.A. is", "The U.S.A. is"),
        ("the U.S.A.The", "the U.S.A.The"),
        ("e.g. rice", "e.g. rice"),
        ("e.g.Pyongyang", "e.g.Pyongyang"),
        ("Typhoon No.8 hit", "Typhoon No.8 hit"),
        ("rose by 3.5 percent", "rose by 3.5 percent"),
        ("at 3 p.m.Korean time", "at 3 p.m.Korean time"),
        ("the Ph.D.Thesis", "the Ph.D.Thesis"),
        ("see kcnawatch.org now", "see kcnawatch.org now"),
        ("end.the", "end.the"),
        ("Kim Il Sung's works", "Kim Il Sung's works"),
        ("Kim Il Sung’s works", "Kim Il Sung’s works"),
        ("at http://Example.com/A.B?x.Y now", "at http://Example.com/A.B?x.Y now"),
        ("at www.KCNA.Kp now", "at www.KCNA.Kp now"),
        ("mail Info@Rodong.Rep.Kp now", "mail Info@Rodong.Rep.Kp now"),
        # CJK punctuation: never a space added
        ("会议在线举行。KCNA报道，DPRK代表出席。", "会议在线举行。KCNA报道，DPRK代表出席。"),
        ("好！Next？Yes", "好！Next？Yes"),
        # stray space before punctuation / after "("
        ("Kim Jong Un , general", "Kim Jong Un, general"),
        ("the end . Next", "the end. Next"),
        ("a ; b", "a; b"),
        ("Note : rice", "Note: rice"),
        ("Hurrah !", "Hurrah!"),
        ("Why ? Because", "Why? Because"),
        ("( 918-1392 )", "(918-1392)"),
        ("dynasty ( 918-1392 ) and", "dynasty (918-1392) and"),
        # ... quotes kept, and marks that do not end a word left alone
        ("&quot;JoJack&quot; , a brand", '"JoJack", a brand'),
        ("the “Juche” idea .", "the “Juche” idea."),
        ("the .NET platform", "the .NET platform"),
        ("at 10 :30", "at 10 :30"),
        ("wait ... and", "wait ... and"),
        # entities and odd whitespace
        ("Typhoon&nbsp;No.&nbsp;8.The&amp;nbsp;time", "Typhoon No. 8. The time"),
        (" \n One\u00a0July\tday \u200b", "One July day"),
    ],
)
def test_normalize_teaser_rules(raw, expected):
    assert normalize_teaser(raw) == expected


@pytest.mark.parametrize("raw", [None, "", "   ", "&nbsp;", "\u200b\n\t", "&amp;nbsp;"])
def test_normalize_teaser_empty_is_none(raw):
    assert normalize_teaser(raw) is None


def test_normalize_teaser_double_printed_kept_once():
    fixed_mine = MINE
    assert normalize_teaser(MINE + MINE) == fixed_mine  # glued
    assert normalize_teaser(MINE + " " + MINE) == fixed_mine
    assert normalize_teaser(MINE + "\n\n" + MINE) == fixed_mine
    fixed = normalize_teaser(TYPHOON)
    assert normalize_teaser(TYPHOON + TYPHOON) == fixed
    assert normalize_teaser(TYPHOON + " " + fixed) == fixed  # glued + repaired copies
    assert normalize_teaser(TYPHOON.replace(" ", "&nbsp;") + " " + TYPHOON) == fixed
    assert normalize_teaser(RSTV_ZH + RSTV_ZH) == RSTV_ZH
    assert normalize_teaser(f'"{MINE}" "{MINE}"') == f'"{MINE}"'


def test_normalize_teaser_teaser_plus_longer_excerpt_keeps_the_longer():
    excerpt = MINE + " for coal, and he"
    assert normalize_teaser(MINE + " " + excerpt) == excerpt
    assert normalize_teaser(excerpt + " " + MINE) == excerpt


def test_normalize_teaser_short_repeats_are_not_folded():
    slogan = "Long live the DPRK! Long live the DPRK!"
    assert normalize_teaser(slogan) == slogan
    text = "Kim Jong Un met Kim Jong Un's guests, and Kim Jong Un spoke."
    assert normalize_teaser(text) == text


_TEASER_PIECES = [
    TYPHOON,
    NAVAL,
    MESSAGE,
    MINE,
    RSTV_ZH,
    RSTV_DE[:60],
    ".",
    "!",
    "?",
    "…",
    "...",
    "U.S.",
    "e.g.",
    "No.8",
    "3.5",
    "kcnawatch.org",
    "http://A.B/C.D",
    " ",
    "  ",
    "\n",
    "\u00a0",
    "\u200b",
    ",",
    ";",
    ":",
    "(",
    ")",
    "( ",
    " )",
    " ,",
    " .",
    "“",
    "”",
    '"',
    "’",
    "'",
    "«",
    "»",
    "。",
    "，",
    "The",
    "the",
    "A",
    "a",
    "8",
    "&amp;",
    "&",
    "amp",
    "nbsp;",
    "&nbsp;",
    "&quot;",
    "#8203;",
]


@st.composite
def teasers(draw):
    text = draw(st.lists(st.sampled_from(_TEASER_PIECES) | st.text(max_size=6), max_size=10).map("".join))
    if draw(st.booleans()):  # printed twice
        text = text + draw(st.sampled_from(["", " ", "\n"])) + text
    return text


@settings(max_examples=500, deadline=None)
@given(teasers())
def test_normalize_teaser_idempotent(raw):
    once = normalize_teaser(raw)
    assert normalize_teaser(once) == once


# normalize_body -----------------------------------------------------------------


def test_normalize_body_joins_clean_paragraphs():
    paragraphs = ["  First &amp; foremost\n para ", "", "&nbsp;", "\u200b", "Second\u00a0para.", " Third "]
    assert normalize_body(paragraphs) == "First & foremost para\n\nSecond para.\n\nThird"


def test_normalize_body_empty_and_generator():
    assert normalize_body([]) == ""
    assert normalize_body(["", "  ", None]) == ""
    assert normalize_body(p for p in TYPHOON_PARAGRAPHS) == "\n\n".join(TYPHOON_PARAGRAPHS)


def test_normalize_body_accepts_its_own_output():
    body = normalize_body(["A &amp; B", "C\n D"])
    assert body == "A & B\n\nC D"
    assert normalize_body(body) == body
    assert normalize_body("one\n \ntwo\nlines\n\n\nthree") == "one\n\ntwo lines\n\nthree"


# squash -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("No. 8.The", "no8the"),
        ("No. 8.\n\nThe", "no8the"),
        ("Kim Il Sung’s", "kimilsungs"),
        ("&quot;JoJack&quot; &amp; Co.", "jojackco"),
        ("Straße", "strasse"),
        ("snake_case-word", "snakecaseword"),
        ("ＦＵＬＬ　ｗｉｄｔｈ", "fullwidth"),
        ("7月23日，值朝鲜 之际。", "7月23日值朝鲜之际"),
        ("Café", "café"),
        ("Cafe\u0301", "café"),  # decomposed form squashes like the composed one
        ("", ""),
        (" .,;!? \n", ""),
    ],
)
def test_squash(text, expected):
    assert squash(text) == expected


# teaser_matches_body / teaser_is_truncated --------------------------------------


def test_typhoon_paragraphs_glue_to_the_site_teaser():
    # the premise of the next tests: the site's teaser is the glued paragraphs, cut
    assert "".join(TYPHOON_PARAGRAPHS)[: len(TYPHOON)] == TYPHOON


def test_teaser_matches_and_is_truncated_with_body():
    body = normalize_body(TYPHOON_PARAGRAPHS)
    assert body.count("\n\n") == 2
    for teaser in (TYPHOON, normalize_teaser(TYPHOON)):
        assert teaser_matches_body(teaser, body) is True
        assert teaser_is_truncated(teaser, body) is True


def test_teaser_covering_whole_body_is_not_truncated():
    body = normalize_body(TYPHOON_PARAGRAPHS)
    whole = "".join(TYPHOON_PARAGRAPHS)  # glued, uncut: covers the body to its end
    assert teaser_matches_body(whole, body) is True
    assert teaser_is_truncated(whole, body) is False
    assert teaser_is_truncated(TRIPLETS, TRIPLETS) is False
    longer = normalize_body([TRIPLETS, "Triplets are looked after by doctors."])
    assert teaser_is_truncated(TRIPLETS, longer) is True


def test_teaser_starting_mid_sentence_matches():
    body = normalize_body(
        [
            "The Sungyang Confucian School " + SONJUK + " in 1573.",
            "It is a national treasure.",
        ]
    )
    assert teaser_matches_body(SONJUK, body) is True
    assert teaser_is_truncated(SONJUK, body) is True


def test_teaser_with_entities_matches_decoded_body():
    body = normalize_body(["&quot;JoJack&quot; is a brand of Pyongyang &amp; Co.", "It sells snacks."])
    assert body == '"JoJack" is a brand of Pyongyang & Co.\n\nIt sells snacks.'
    assert teaser_matches_body('"JoJack" is a brand of Pyongyang & Co.It sel', body) is True
    assert teaser_matches_body("&quot;JoJack&quot; is a brand", body) is True


def test_teaser_not_matching_body():
    body = normalize_body(TYPHOON_PARAGRAPHS)
    assert teaser_matches_body(NAVAL, body) is False
    assert teaser_matches_body(TYPHOON.replace("No. 8", "No. 9"), body) is False
    assert teaser_matches_body(TYPHOON + "xyz", body) is False
    assert teaser_matches_body("", body) is False
    assert teaser_matches_body(TYPHOON, "") is False
    # falls back to the no-body rule
    assert teaser_is_truncated(NAVAL, body) is True
    assert teaser_is_truncated(TRIPLETS, body) is False


@pytest.mark.parametrize(
    ("teaser", "expected"),
    [
        (TYPHOON, True),
        (NAVAL, True),
        (MESSAGE, True),
        (SONJUK, True),
        (RSTV_EN, True),
        (RSTV_DE, True),
        (RSTV_ZH, True),
        ("the Workers’", True),
        ("7月23日，值朝鲜祖国解放战争胜利70周年之际，", True),
        (TRIPLETS, False),
        ("Hurrah!", False),
        ("Why?", False),
        ("and so on…", False),
        ("he said “yes”", False),
        ('he said "yes"', False),
        ("il a dit «oui»", False),
        ("the Koryo dynasty (918-1392)", False),
        ("会议在线举行。", False),
        ("好！", False),
        ("是吗？", False),
        ("people.  \n", False),
        (None, None),
        ("", None),
        ("  &nbsp; ", None),
    ],
)
def test_teaser_is_truncated_without_body(teaser, expected):
    assert teaser_is_truncated(teaser) is expected


def test_teaser_is_truncated_empty_teaser_with_body():
    assert teaser_is_truncated("", normalize_body(TYPHOON_PARAGRAPHS)) is None


# content_hash / teaser_key ------------------------------------------------------


def _sha(s: str) -> str:
    return hashlib.sha256(s.encode("utf-8")).hexdigest()


def test_content_hash_value():
    assert content_hash("Hello,\n\nWorld!") == _sha("helloworld")
    assert content_hash(RSTV_ZH) == _sha(squash(RSTV_ZH))
    assert len(content_hash("x")) == 64


def test_content_hash_equal_across_whitespace_and_entity_variants():
    body = normalize_body(TYPHOON_PARAGRAPHS)
    variants = [
        "\n\n".join(TYPHOON_PARAGRAPHS),
        "".join(TYPHOON_PARAGRAPHS),
        " \r\n ".join(p.replace(" ", "&nbsp;") for p in TYPHOON_PARAGRAPHS),
        "\n".join(p.replace(" ", "\u00a0 \t") for p in TYPHOON_PARAGRAPHS),
        normalize_body(p.upper() for p in TYPHOON_PARAGRAPHS),
    ]
    for variant in variants:
        assert content_hash(variant) == content_hash(body)
    quoted = content_hash('"JoJack" & Co. sells taffy.')
    assert content_hash("&quot;JoJack&quot; &amp; Co. sells taffy.") == quoted
    assert content_hash("&amp;quot;JoJack&amp;quot; &amp;amp; Co.  sells\ntaffy .") == quoted


def test_content_hash_differs_for_different_texts():
    body = normalize_body(TYPHOON_PARAGRAPHS)
    assert content_hash(body) != content_hash(body.replace("No. 8", "No. 9"))
    assert content_hash(body) != content_hash(body + "\n\nOne more paragraph.")
    assert content_hash(TRIPLETS) != content_hash(MINE)


@pytest.mark.parametrize("body", [None, "", "  \n\n ", "&nbsp;", "... !"])
def test_content_hash_empty_is_none(body):
    assert content_hash(body) is None


def test_teaser_key():
    assert teaser_key(TYPHOON) == _sha(squash(TYPHOON))
    # glued or repaired, printed once or twice, entities or not: one key
    assert teaser_key(normalize_teaser(TYPHOON)) == teaser_key(TYPHOON)
    assert teaser_key(TYPHOON + " " + TYPHOON) == teaser_key(TYPHOON)
    assert teaser_key(TYPHOON.replace(" ", "&nbsp;")) == teaser_key(TYPHOON)
    assert teaser_key(NAVAL) != teaser_key(TYPHOON)
    assert teaser_key(RSTV_ZH) == _sha(squash(RSTV_ZH))


@pytest.mark.parametrize("teaser", [None, "", "   ", "Short teaser.", "a" * 39, "a. " * 39])
def test_teaser_key_none_when_too_short(teaser):
    assert teaser_key(teaser) is None


def test_teaser_key_threshold_is_40_squashed_chars():
    assert teaser_key("a" * 40) == _sha("a" * 40)
    assert teaser_key("a. " * 40) == _sha("a" * 40)
