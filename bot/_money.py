"""Money as integer minor units of an ISO 4217 currency.

Amounts arrive as decimal strings in major units ("412.90") and are held as
integers in the currency's own exponent (JPY 0, ILS 2, KWD 3), so that no
arithmetic ever meets a float.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from functools import cache

from babel.numbers import get_currency_precision, list_currencies

from bot._errors import InvalidInput

__all__ = ["Money", "currency_exponent", "parse_currency", "split_largest_remainder"]

_AMOUNT = re.compile(r"(-?)(\d{1,15})(?:\.(\d{1,6}))?")


@cache
def _known_currencies() -> frozenset[str]:
    return frozenset(list_currencies())


def parse_currency(code: object, *, field: str = "currency") -> str:
    """Return the upper-case ISO 4217 code, or raise naming `field`."""
    if not isinstance(code, str) or not code.strip():
        raise InvalidInput(field, "missing currency; expected an ISO 4217 code such as 'EUR'")
    normal = code.strip().upper()
    if normal not in _known_currencies():
        raise InvalidInput(field, f"unknown currency {code!r}; expected an ISO 4217 code")
    return normal


@cache
def currency_exponent(currency: str) -> int:
    """Digits after the decimal point for `currency` (CLDR data shipped with babel)."""
    return int(get_currency_precision(currency))


@dataclass(frozen=True, slots=True, order=True)
class Money:
    """An amount in minor units of one currency."""

    minor: int
    currency: str

    @classmethod
    def parse(cls, amount: object, currency: str, *, field: str = "amount") -> Money:
        """Read a decimal string in major units; floats and excess precision are refused."""
        match = _AMOUNT.fullmatch(amount.strip()) if isinstance(amount, str) else None
        if match is None:
            raise InvalidInput(
                field, f"malformed amount {amount!r}; expected a decimal string like '412.90'"
            )
        # Integer arithmetic on the digits: exact, and an import parses millions of these.
        sign, whole, fraction = match.groups()
        exponent = currency_exponent(currency)
        fraction = (fraction or "").rstrip("0")
        if len(fraction) > exponent:
            raise InvalidInput(
                field, f"amount {amount!r} has more than {exponent} decimals for {currency}"
            )
        minor = int(whole) * 10**exponent + int(fraction.ljust(exponent, "0") or "0")
        return cls(-minor if sign else minor, currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(0, currency)

    def to_decimal(self) -> Decimal:
        return Decimal(self.minor).scaleb(-currency_exponent(self.currency))

    def __str__(self) -> str:
        exponent = currency_exponent(self.currency)
        return f"{self.to_decimal():.{exponent}f} {self.currency}"

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.minor + other.minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.minor - other.minor, self.currency)

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise ValueError(f"cannot mix {self.currency} and {other.currency}")


def split_largest_remainder(total: int, weights: list[int]) -> list[int]:
    """Split `total` minor units in proportion to `weights`; the parts sum to `total`."""
    if not weights or any(w < 0 for w in weights) or sum(weights) == 0:
        raise ValueError("weights must be non-negative and not all zero")
    whole = sum(weights)
    shares = [total * w for w in weights]
    parts = [s // whole for s in shares]
    left = total - sum(parts)
    by_remainder = sorted(range(len(weights)), key=lambda i: (-(shares[i] % whole), i))
    for i in by_remainder[:left]:
        parts[i] += 1
    return parts
