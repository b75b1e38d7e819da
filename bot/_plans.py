"""Payment plan arithmetic: equal monthly instalments that sum exactly to the total.

Amounts are split by the largest remainder, the extra minor units going to the
earliest instalments (100.00 in 3 is 33.34, 33.33, 33.33). Monthly dates keep
the anchor day and clamp at month end: each is the anchor plus n months, never
the previous date plus one, which would drift (Jan 31, Feb 28, Mar 28, ...).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from itertools import pairwise

from dateutil.relativedelta import relativedelta

from bot._errors import InvalidInput
from bot._money import Money, split_largest_remainder

__all__ = ["Instalment", "PaymentPlan", "build_plan", "monthly_dates", "upfront_share"]


@dataclass(frozen=True, slots=True)
class Instalment:
    """One payment of a plan: its number from 1, its due date and its amount."""

    number: int
    due_on: date
    amount: Money


@dataclass(frozen=True, slots=True)
class PaymentPlan:
    """Instalments numbered from 1, positive, in one currency, due on strictly later dates."""

    total: Money
    instalments: tuple[Instalment, ...]

    def __post_init__(self) -> None:
        problem = _plan_problem(self.total, self.instalments)
        if problem:
            raise InvalidInput("instalments", problem)

    @property
    def count(self) -> int:
        return len(self.instalments)

    @property
    def first_due(self) -> date:
        return self.instalments[0].due_on

    @property
    def last_due(self) -> date:
        return self.instalments[-1].due_on


def _plan_problem(total: Money, instalments: tuple[Instalment, ...]) -> str | None:
    """Say what breaks the plan's invariants, or None when it holds."""
    if not instalments:
        return "a plan needs at least one instalment"
    if [i.number for i in instalments] != list(range(1, len(instalments) + 1)):
        return "instalments must be numbered 1, 2, 3, ... in order"
    if any(i.amount.currency != total.currency for i in instalments):
        return f"every instalment must be in {total.currency}, the currency of the total"
    if any(i.amount.minor <= 0 for i in instalments):
        return "every instalment must be more than zero"
    if sum(i.amount.minor for i in instalments) != total.minor:
        return f"instalments must sum exactly to the total {total}"
    if any(a.due_on >= b.due_on for a, b in pairwise(instalments)):
        return "due dates must strictly increase"
    return None


def monthly_dates(first: date, count: int) -> list[date]:
    """`count` monthly dates from `first`, keeping its day and clamping at month end."""
    if count < 0:
        raise InvalidInput("count", f"{count} dates asked for; expected zero or more")
    try:
        return [first + relativedelta(months=n) for n in range(count)]
    except (OverflowError, ValueError):
        raise InvalidInput(
            "first_due", f"{count} months from {first} pass the year 9999"
        ) from None


def build_plan(
    total: Money, count: int, first_due: date, *, upfront: Money | None = None
) -> PaymentPlan:
    """Split `total` into `count` equal monthly instalments, after an `upfront` one if given.

    With `upfront`, the plan has `count + 1` instalments: the upfront amount on
    `first_due`, then the rest split equally on the following monthly dates.

    Raises:
        InvalidInput: `count` below 1, `upfront` not strictly between zero and
            `total`, or an instalment that would be zero minor units.
    """
    if count < 1:
        raise InvalidInput("count", f"{count} instalments; expected at least 1")
    if total.minor <= 0:
        raise InvalidInput("total", f"{total} cannot be split; expected more than zero")
    head = [] if upfront is None else [_checked_upfront(total, upfront).minor]
    rest = total.minor - sum(head)
    if rest < count:
        msg = f"{Money(rest, total.currency)} is too small for {count} instalments"
        raise InvalidInput("count", f"{msg} of at least one minor unit each")
    amounts = head + split_largest_remainder(rest, [1] * count)
    days = monthly_dates(first_due, len(amounts))
    instalments = (
        Instalment(n, due, Money(minor, total.currency))
        for n, (due, minor) in enumerate(zip(days, amounts, strict=True), start=1)
    )
    return PaymentPlan(total, tuple(instalments))


def _checked_upfront(total: Money, upfront: Money) -> Money:
    if upfront.currency != total.currency:
        raise InvalidInput(
            "upfront", f"{upfront} is not in {total.currency}, the total's currency"
        )
    if not 0 < upfront.minor < total.minor:
        raise InvalidInput("upfront", f"{upfront} must be more than zero and less than {total}")
    return upfront


def upfront_share(total: Money, percent: Decimal) -> Money:
    """`percent` of `total`, rounded half-up to the currency's minor unit."""
    if not 0 <= percent <= 100:
        raise InvalidInput("upfront_percent", f"{percent}% is not between 0 and 100")
    share = (Decimal(total.minor) * percent / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return Money(int(share), total.currency)
