"""Agreements: an accepted plan or promise, with the exact terms the customer agreed to."""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass
from datetime import datetime

from bot._money import Money
from bot._plans import Instalment

__all__ = ["Agreement", "AgreementKind", "terms_hash"]


class AgreementKind(enum.StrEnum):
    PLAN = "plan"
    PROMISE = "promise"


def terms_hash(text: str) -> str:
    """SHA-256 of the terms as shown, so that any later change to them is evident."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class Agreement:
    """What the customer accepted, when, where and in which words; never changed after."""

    case_id: int
    customer_id: str
    kind: AgreementKind
    total: Money
    items: tuple[Instalment, ...]
    terms_text: str
    terms_version: str
    locale: str
    channel: str
    accepted_at: datetime
    id: int | None = None
    # What was owed when agreed, when staff let the customer off the rest (a write-off).
    owed: Money | None = None
    # The retention offer it came from (its catalogue key), and the commitment it asks for.
    source: str | None = None
    commitment_months: int = 0

    @property
    def write_off(self) -> Money:
        """What the customer was let off: what was owed less the agreed total."""
        return (self.owed or self.total) - self.total

    @property
    def terms_hash(self) -> str:
        return terms_hash(self.terms_text)
