"""Offers: terms put to a person to decide, by the customer to staff or by staff to the customer.

An offer says: of `owed`, the customer pays `total` in `count` monthly payments from
`first_due`. What is owed beyond `total` is written off, a discount that only a member
of staff with the authority for it may give.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from bot._errors import InvalidInput
from bot._money import Money
from bot._plans import PaymentPlan, build_plan

__all__ = ["Offer", "OfferState"]

# The longest plan anyone may agree: five years of monthly payments.
MAX_INSTALMENTS = 60


class OfferState(enum.StrEnum):
    """Where an offer made to the customer stands."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"


@dataclass(frozen=True, slots=True)
class Offer:
    """Pay `total` of `owed` in `count` monthly payments, the first on `first_due`.

    An offer from the retention catalogue names itself (`source`) and may ask for a new
    commitment period of `commitment_months` in return.
    """

    owed: Money
    total: Money
    count: int
    first_due: date
    commitment_months: int = 0
    source: str = ""

    def __post_init__(self) -> None:
        if self.total.currency != self.owed.currency:
            msg = f"in {self.owed.currency}, the currency of what is owed"
            raise InvalidInput("amount", msg)
        if not 0 < self.total.minor <= self.owed.minor:
            raise InvalidInput("amount", f"more than zero and at most {self.owed} owed")
        if not 1 <= self.count <= MAX_INSTALMENTS:
            raise InvalidInput("instalments", f"a whole number from 1 to {MAX_INSTALMENTS}")
        if self.total.minor < self.count:
            raise InvalidInput("instalments", f"too many to split {self.total} into")
        if not 0 <= self.commitment_months <= MAX_INSTALMENTS:
            raise InvalidInput("commitment_months", f"from 0 to {MAX_INSTALMENTS} months")

    @property
    def write_off(self) -> Money:
        """What the customer is let off: `owed` less `total`."""
        return self.owed - self.total

    @property
    def discount_percent(self) -> Decimal:
        """The write-off as a share of what is owed, in percent."""
        return Decimal(self.write_off.minor) * 100 / Decimal(self.owed.minor)

    def plan(self) -> PaymentPlan:
        """The payments: `total` split in `count` monthly instalments."""
        return build_plan(self.total, self.count, self.first_due)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "currency": self.total.currency,
            "owed_minor": self.owed.minor,
            "total_minor": self.total.minor,
            "count": self.count,
            "first_due": self.first_due.isoformat(),
        }
        if self.commitment_months:
            data["commitment_months"] = self.commitment_months
        if self.source:
            data["source"] = self.source
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Offer:
        currency = str(data["currency"])
        return cls(
            owed=Money(int(data["owed_minor"]), currency),
            total=Money(int(data["total_minor"]), currency),
            count=int(data["count"]),
            first_due=date.fromisoformat(str(data["first_due"])),
            commitment_months=int(data.get("commitment_months", 0)),
            source=str(data.get("source", "")),
        )
