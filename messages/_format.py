"""Money and dates as a customer's locale writes them, through babel's CLDR data.

Outputs hold the locale's own spaces and direction marks (U+00A0, U+202F,
U+200F): compare them exactly, and never `.replace` them away.
"""

from __future__ import annotations

from datetime import date, datetime, tzinfo

from babel import dates, numbers

from bot import Money
from messages._locale import resolve_locale

__all__ = ["format_date", "format_datetime", "format_money"]


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
