"""Where a customer's conversation stands, kept in storage between updates."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

__all__ = ["ChatState", "Step"]


class Step(enum.StrEnum):
    """What the bot last asked; the next tap or message is read against it."""

    MENU = "menu"
    PLANS = "plans"
    PLAN = "plan"
    PROMISES = "promises"
    PROMISE = "promise"
    PAID_DATE = "paid_date"
    PAID_REFERENCE = "paid_reference"
    PLAN_COUNT = "plan_count"  # how many payments, beyond the plans shown
    OFFER = "offer"  # a pre-legal offer's terms are shown, to agree
    PROPOSE = "propose"  # the customer types their own amount and payments


@dataclass(frozen=True, slots=True)
class ChatState:
    """One chat's conversation; `version` changes with every step, and buttons carry it."""

    channel: str
    chat_id: str
    customer_id: str
    case_id: int | None
    step: Step
    version: int
    data: dict[str, Any] = field(default_factory=dict)
    misunderstood: int = 0
