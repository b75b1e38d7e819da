"""Money and dates as a customer's locale writes them, through babel's CLDR data.

Outputs hold the locale's own spaces and direction marks (U+00A0, U+202F,
U+200F): compare them exactly, and never `.replace` them away. Inside text that
reads right to left, `isolate` keeps a formatted value in one piece.
"""

from __future__ import annotations

from datetime import date, datetime, tzinfo
from functools import cache

from babel import Locale, dates, numbers

from bot import Money
from messages._locale import resolve_locale

__all__ = [
    "date_in_text",
    "format_date",
    "format_datetime",
    "format_money",
    "is_right_to_left",
    "isolate",
    "money_in_text",
]

# Unicode Bidirectional Algorithm (UAX #9, section 2.4): a first-strong isolate takes
# its direction from its own content and leaves the surrounding text's order alone,
# so "412.90 ₪" or "01/03/2024" never swap places with the words around them.
FIRST_STRONG_ISOLATE = "\u2068"
POP_DIRECTIONAL_ISOLATE = "\u2069"


def format_money(money: Money, locale: str) -> str:
    """`money` with its currency's symbol and digits, e.g. "$1,234.50" in en_US."""
    return numbers.format_currency(
        money.to_decimal(), money.currency, locale=resolve_locale(locale), currency_digits=True
    )


def format_date(day: date, locale: str) -> str:
    """The locale's medium date, e.g. "Mar 1, 2024" in en_US."""
    return dates.format_date(day, "medium", locale=resolve_locale(locale))


def format_datetime(moment: datetime, locale: str, *, zone: tzinfo | None = None) -> str:
    """A medium date and a short time in `zone`, e.g. "Mar 1, 2024, 11:15 AM" in en_US."""
    if zone is not None and moment.tzinfo is None:
        msg = f"cannot move naive datetime {moment.isoformat()} to zone {zone}; pass an aware one"
        raise ValueError(msg)

    full = resolve_locale(locale)
    local = moment.astimezone(zone) if zone is not None else moment
    pattern = dates.get_datetime_format("medium", locale=full)
    # babel's own "medium" shows seconds; customers need minutes (CLDR dateTimeFormat glue).
    return (
        str(pattern)
        .replace("'", "")
        .replace("{0}", dates.format_time(local, "short", tzinfo=None, locale=full))
        .replace("{1}", dates.format_date(local, "medium", locale=full))
    )


@cache
def is_right_to_left(language: str) -> bool:
    """Whether `language` (a catalogue language such as "he") is written right to left."""
    return Locale.parse(language).character_order == "right-to-left"


def isolate(value: str, language: str) -> str:
    """`value` between FSI and PDI inside right-to-left text; unchanged in any other."""
    if not is_right_to_left(language):
        return value
    return f"{FIRST_STRONG_ISOLATE}{value}{POP_DIRECTIONAL_ISOLATE}"


def money_in_text(money: Money, locale: str, language: str) -> str:
    """An amount for a sentence in `language`: formatted for `locale`, kept whole in RTL."""
    return isolate(format_money(money, locale), language)


def date_in_text(day: date, locale: str, language: str) -> str:
    """A date for a sentence in `language`: formatted for `locale`, kept whole in RTL."""
    return isolate(format_date(day, locale), language)
