"""Language detection from the text: the ten languages RSTV publishes in, Tajik by its letters."""

from __future__ import annotations

import pytest

from archiver.normalize.language import detect_language

RSTV_LANGUAGES = ("en", "ru", "zh", "de", "ko", "ja", "tg", "be", "hu", "fr")

SAMPLES = {
    "en": "On February 18, the organizational conference of the International Solidarity Group has concluded its work.",
    "ru": "Участники конференции единогласно одобрили содержание доклада и приняли годовой план работы группы.",
    "be": "Удзельнікі канферэнцыі аднагалосна ўхвалілі змест даклада і прынялі гадавы план працы групы.",
    "zh": "国际团结小组的组织会议于二月十八日圆满结束了工作。",
    "de": "Die Teilnehmer der Konferenz billigten einstimmig den Inhalt des Berichts und nahmen den Jahresplan an.",
    "ko": "조선국제연대그룹 조직회의가 2월 18일 사업을 마치였다. 회의에서는 보고가 진행되였다.",
    "ja": "朝鮮国際連帯グループの組織会議は二月十八日に活動を終えました。会議では報告が行われました。",
    "tg": "Иштирокчиёни конференсия мазмуни маърӯзаро якдилона тасдиқ карданд ва нақшаи солонаро қабул карданд.",
    "hu": "A konferencia résztvevői egyhangúlag jóváhagyták a jelentés tartalmát, és elfogadták az éves tervet.",
    "fr": "Les participants à la conférence ont approuvé à l'unanimité le contenu du rapport et adopté le plan annuel.",
}


@pytest.mark.parametrize("expected", sorted(SAMPLES))
def test_detects_each_language(expected: str) -> None:
    assert detect_language(SAMPLES[expected]) == expected
    assert detect_language(SAMPLES[expected], RSTV_LANGUAGES) == expected


def test_tajik_needs_its_letters_and_can_be_excluded() -> None:
    assert detect_language(SAMPLES["tg"], ["ru", "be"]) in {"ru", "be", None}
    assert detect_language(SAMPLES["ru"]) == "ru"


@pytest.mark.parametrize("text", ["", "Photo", "12:30 15/07", "   "])
def test_too_little_text_is_unknown(text: str) -> None:
    assert detect_language(text) is None


def test_candidates_unknown_to_the_model_give_none() -> None:
    assert detect_language(SAMPLES["en"], ["xx"]) is None
