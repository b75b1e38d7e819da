"""Money and dates as each locale writes them; babel's own spaces and marks included."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot import Money
from messages import format_date, format_datetime, format_money

NBSP = "\u00a0"
NNBSP = "\u202f"
RLM = "\u200f"


@pytest.mark.parametrize(
    ("money", "locale", "expected"),
    [
        (Money(123450, "USD"), "en_US", "$1,234.50"),
        (Money(123450, "USD"), "en", "$1,234.50"),
        (Money(1235, "JPY"), "en_US", "¥1,235"),
        (Money(1235, "JPY"), "ja_JP", "￥1,235"),
        (Money(41290, "ILS"), "he_IL", f"{RLM}412.90{NBSP}{RLM}₪"),
        (Money(123450, "EUR"), "de_DE", f"1.234,50{NBSP}€"),
        (Money(123450, "EUR"), "fr_FR", f"1{NNBSP}234,50{NBSP}€"),
        (Money(123450, "RUB"), "ru_RU", f"1{NBSP}234,50{NBSP}₽"),
        (Money(1234, "KWD"), "en", "KWD1.234"),
    ],
)
def test_format_money_follows_locale_and_currency_digits(
    money: Money, locale: str, expected: str
) -> None:
    assert format_money(money, locale) == expected


def test_format_money_accepts_telegram_language_code() -> None:
    assert format_money(Money(123450, "USD"), "en-US") == "$1,234.50"


def test_format_money_falls_back_to_english_for_garbage() -> None:
    assert format_money(Money(500, "USD"), "xx-garbage") == "$5.00"


def test_format_money_shows_whole_yen_without_decimals() -> None:
    assert format_money(Money(5, "JPY"), "en") == "¥5"


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("en_US", "Mar 1, 2024"),
        ("en_GB", "1 Mar 2024"),
        ("de_DE", "01.03.2024"),
        ("he_IL", "1 במרץ 2024"),
        ("ru", f"1 мар. 2024{NNBSP}г."),
        ("pt-br", "1 de mar. de 2024"),
    ],
)
def test_format_date_is_the_medium_date(locale: str, expected: str) -> None:
    assert format_date(date(2024, 3, 1), locale) == expected


def test_format_datetime_shows_minutes_in_the_customers_zone() -> None:
    moment = datetime(2024, 3, 1, 9, 15, tzinfo=UTC)

    text = format_datetime(moment, "en_US", zone=ZoneInfo("Asia/Jerusalem"))

    assert text == f"Mar 1, 2024, 11:15{NNBSP}AM"


def test_format_datetime_uses_the_locales_clock() -> None:
    moment = datetime(2024, 3, 1, 9, 15, tzinfo=UTC)

    assert format_datetime(moment, "en_GB") == "1 Mar 2024, 09:15"


def test_format_datetime_refuses_to_move_a_naive_datetime() -> None:
    with pytest.raises(ValueError, match="naive"):
        format_datetime(datetime(2024, 3, 1, 9, 15), "en", zone=ZoneInfo("Asia/Jerusalem"))
