"""Triage: which overdue invoices are substantial enough to open a type C case.

An overdue invoice is substantial when its amount is at least `ratio` times the
median of the customer's last 12 invoices issued before it (same currency),
given at least 3 of them; with fewer, when it reaches the operator's minimum
amount for its currency, if one is set.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from statistics import median
from typing import Any

from bot._money import Money, currency_exponent

__all__ = ["HISTORY", "MIN_HISTORY", "Verdict", "judge"]

HISTORY = 12
MIN_HISTORY = 3


@dataclass(frozen=True, slots=True)
class Verdict:
    """Whether an invoice is substantial, and the figures it was judged by."""

    substantial: bool
    rule: str
    prior_count: int
    median: Decimal | None = None  # major units; may fall between two minor units
    ratio: Decimal | None = None
    threshold: Decimal | None = None  # major units

    def as_why(self) -> dict[str, Any]:
        """The verdict as the case records it."""
        why: dict[str, Any] = {"rule": self.rule, "prior_invoices": self.prior_count}
        for name in ("median", "ratio", "threshold"):
            value = getattr(self, name)
            if value is not None:
                why[name] = format(value, "f")
        return why


def judge(amount: Money, prior: list[int], *, ratio: Decimal, min_amount: Money | None) -> Verdict:
    """Judge `amount` against the minor-unit amounts of the invoices issued before it."""
    recent = prior[:HISTORY]
    if len(recent) >= MIN_HISTORY:
        return _by_median(amount, recent, ratio)
    if min_amount is None:
        return Verdict(False, "fewer than 3 earlier invoices, no minimum amount", len(recent))
    return Verdict(
        amount.minor >= min_amount.minor,
        "fewer than 3 earlier invoices: minimum amount",
        len(recent),
        threshold=min_amount.to_decimal(),
    )


def _by_median(amount: Money, recent: list[int], ratio: Decimal) -> Verdict:
    middle = Decimal(median(recent)) if len(recent) % 2 else _even_median(recent)
    threshold = ratio * middle
    measured = None if middle == 0 else (amount.minor / middle).quantize(Decimal("0.01"))
    to_major = Decimal(10) ** -currency_exponent(amount.currency)
    return Verdict(
        substantial=amount.minor >= threshold,
        rule=f"amount at least {ratio} x median of the last {len(recent)} invoices",
        prior_count=len(recent),
        median=(middle * to_major).normalize(),
        ratio=measured,
        threshold=(threshold * to_major).normalize(),
    )


def _even_median(values: list[int]) -> Decimal:
    ordered = sorted(values)
    half = len(ordered) // 2
    return (Decimal(ordered[half - 1]) + Decimal(ordered[half])) / 2
