"""Choosing the locale from Telegram's language_code and holding it per update."""

from __future__ import annotations

import asyncio

import pytest

import messages._locale
from messages import current_locale, normalize_locale, resolve_locale, use_locale


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("en", "en"),
        ("en-US", "en"),
        ("EN_gb", "en"),
        ("pt-br", "en"),
        ("he", "he"),
        ("he-IL", "he"),
        ("iw", "he"),
        ("ru-RU", "ru"),
        ("ar-EG", "ar"),
        ("ar_SA", "ar"),
        ("fa-IR", "en"),
        ("xx-garbage", "en"),
        ("", "en"),
        (None, "en"),
        ("123", "en"),
        ("root", "en"),
        ("en" * 40, "en"),
    ],
)
def test_normalize_locale_returns_an_existing_catalogue(code: str | None, expected: str) -> None:
    assert normalize_locale(code) == expected


def test_normalize_locale_falls_back_to_the_given_default() -> None:
    assert normalize_locale("xx-garbage", default="he") == "he"


def test_normalize_locale_serves_a_language_once_its_catalogue_exists(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(messages._locale, "catalogue_languages", lambda: frozenset({"en", "pt"}))

    assert normalize_locale("pt-br") == "pt"


def test_normalize_locale_prefers_the_regional_catalogue(monkeypatch: pytest.MonkeyPatch) -> None:
    available = frozenset({"en", "pt", "pt_BR"})
    monkeypatch.setattr(messages._locale, "catalogue_languages", lambda: available)

    assert normalize_locale("pt-br") == "pt_BR"


def test_normalize_locale_drops_the_script_and_region(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(messages._locale, "catalogue_languages", lambda: frozenset({"en", "zh"}))

    assert normalize_locale("zh-Hant-TW") == "zh"


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("pt-br", "pt_BR"),
        ("en-US", "en_US"),
        ("he", "he"),
        ("iw", "he_IL"),
        (" ru-RU ", "ru_RU"),
        ("xx-garbage", "en"),
        (None, "en"),
    ],
)
def test_resolve_locale_keeps_the_full_locale_for_formatting(
    code: str | None, expected: str
) -> None:
    assert resolve_locale(code) == expected


def test_current_locale_defaults_to_english() -> None:
    assert current_locale.get() == "en"


def test_use_locale_holds_the_full_locale_inside_the_block() -> None:
    with use_locale("he-IL") as locale:
        assert (locale, current_locale.get()) == ("he_IL", "he_IL")


def test_use_locale_restores_the_previous_locale() -> None:
    with use_locale("ru"), use_locale("de-DE"):
        pass

    assert current_locale.get() == "en"


async def test_use_locale_is_private_to_each_task() -> None:
    async def handle(code: str) -> str:
        with use_locale(code):
            await asyncio.sleep(0)
            return current_locale.get()

    seen = await asyncio.gather(handle("ru"), handle("he"))

    assert tuple(seen) == ("ru", "he")
