"""Stop words opt out in every supported language (COMPLIANCE rule 6)."""

from __future__ import annotations

import pytest

from messages import STOP_WORDS, is_stop_word


@pytest.mark.parametrize(
    "text",
    ["stop", "unsubscribe", "cancel", "quit", "end", "opt out", "optout", "revoke", "stop all"],
)
def test_english_stop_words(text: str) -> None:
    assert is_stop_word(text)


@pytest.mark.parametrize("text", ["STOP", "  Stop.  ", "stop!", "/stop", "Opt-Out", "STOP ALL"])
def test_case_spaces_and_punctuation_are_ignored(text: str) -> None:
    assert is_stop_word(text)


@pytest.mark.parametrize("text", ["עצור", "הפסק", "הסר", "  עצור!", "\u200fהסר\u200f"])
def test_hebrew_stop_words(text: str) -> None:
    assert is_stop_word(text)


@pytest.mark.parametrize("text", ["стоп", "Стоп", "отписаться", "хватит", "ХВАТИТ!"])
def test_russian_stop_words(text: str) -> None:
    assert is_stop_word(text)


@pytest.mark.parametrize("text", ["توقف", "إلغاء الاشتراك", "الغاء", "إلغاء", "توقف."])
def test_arabic_stop_words(text: str) -> None:
    assert is_stop_word(text)


@pytest.mark.parametrize("text", ["alto", "parar", "baja", "cancelar", "¡Alto!"])
def test_spanish_stop_words(text: str) -> None:
    assert is_stop_word(text)


@pytest.mark.parametrize("text", ["stopp", "Abbestellen"])
def test_german_stop_words(text: str) -> None:
    assert is_stop_word(text)


@pytest.mark.parametrize("text", ["arrêt", "Arrêter", "arreter", "désabonner", "desabonner"])
def test_french_stop_words(text: str) -> None:
    assert is_stop_word(text)


@pytest.mark.parametrize("word", sorted(STOP_WORDS))
def test_every_listed_word_is_recognised(word: str) -> None:
    assert is_stop_word(word)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "can I stop the plan?",
        "stop sending me the wrong amount",
        "stopping by later",
        "pay",
        "/start",
        "🛑",
        "stop " * 20,
    ],
)
def test_other_messages_are_not_stop_words(text: str) -> None:
    assert not is_stop_word(text)
