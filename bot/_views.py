"""What the conversation shows and hears: screens, views, intents and button data.

`messages` renders views into words and buttons; button data carries the conversation's
version so that a tap on an old message is recognised.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from bot._agreements import Agreement, AgreementKind
from bot._model import Case
from bot._money import Money
from bot._offers import Offer
from bot._plans import Instalment, PaymentPlan

__all__ = [
    "WITH_LINKS",
    "Intent",
    "Screen",
    "TermsRenderer",
    "View",
    "button_data",
    "read_button",
]


class Intent(enum.StrEnum):
    """What a customer's free text asks for, recognised by `messages`."""

    PAY = "pay"
    PLAN = "plan"
    PROMISE = "promise"
    PAID = "paid"
    DISPUTE = "dispute"
    HARDSHIP = "hardship"
    PERSON = "person"
    STOP = "stop"
    HELP = "help"
    LANGUAGE = "language"
    ADVICE = "advice"  # a debt adviser is helping (COMPLIANCE rule 12)


class Screen(enum.StrEnum):
    NOT_LINKED = "not_linked"
    NOTHING_DUE = "nothing_due"
    MENU = "menu"
    PLANS = "plans"
    NO_PLANS = "no_plans"
    PLAN = "plan"
    PLAN_AGREED = "plan_agreed"
    PROMISES = "promises"
    PROMISE = "promise"
    PROMISE_MADE = "promise_made"
    ALREADY_AGREED = "already_agreed"
    ASK_PAID_DATE = "ask_paid_date"
    ASK_PAID_REFERENCE = "ask_paid_reference"
    PAID_NOTED = "paid_noted"
    ESCALATED = "escalated"
    STOPPED = "stopped"
    STALE = "stale"
    MISUNDERSTOOD = "misunderstood"
    OFFER_PERSON = "offer_person"
    LANGUAGES = "languages"
    RETRY_REQUESTED = "retry_requested"
    ADVICE = "advice"
    ADVICE_NOTED = "advice_noted"
    SMALL_PAYMENT = "small_payment"
    PLAN_COUNT = "plan_count"
    PLAN_REQUESTED = "plan_requested"
    OFFER_DECLINED = "offer_declined"
    OFFERS = "offers"  # the pre-legal stage's offers the customer qualifies for
    OFFER_TERMS = "offer_terms"  # one offer's terms, to agree
    PROPOSE = "propose"  # the customer names their own amount and payments


# Screens whose buttons include single-use links to billing's pages.
WITH_LINKS = frozenset({Screen.MENU, Screen.SMALL_PAYMENT})


@dataclass(frozen=True, slots=True)
class View:
    """What to show next; `messages` turns it into words and buttons."""

    screen: Screen
    version: int = 0
    case: Case | None = None
    plans: tuple[PaymentPlan, ...] = ()
    plan: PaymentPlan | None = None
    promise_dates: tuple[tuple[str, date], ...] = ()
    promise: Instalment | None = None
    last_promise_day: date | None = None
    agreement: Agreement | None = None
    escalation: str | None = None
    languages: tuple[str, ...] = ()
    current: View | None = None
    # The menu lists the forbearance options of COMPLIANCE rule 13 (the `uk` profile).
    forbearance: bool = False
    # A token payment the customer may make while staff review the case.
    token: Money | None = None
    # Longer plans to choose from (counts of payments), and the most one may ask for.
    counts: tuple[int, ...] = ()
    most: int = 0
    # The pre-legal stage's offers to choose from, and the one whose terms are shown.
    offers: tuple[Offer, ...] = ()
    offer: Offer | None = None
    # The single-use links of the buttons, made in the turn's transaction (`WITH_LINKS`).
    update_url: str | None = None
    pay_url: str | None = None


class TermsRenderer(Protocol):
    """Renders an agreement's terms in a language: (text, terms version). An `offer` adds
    what it lets off and the commitment it asks for."""

    def __call__(
        self,
        kind: AgreementKind,
        total: Money,
        items: tuple[Instalment, ...],
        locale: str,
        *,
        offer: Offer | None = None,
    ) -> tuple[str, str]: ...


def button_data(action: str, version: int, arg: str = "") -> str:
    """Callback data of a button: opaque and short (Telegram allows 64 bytes)."""
    return f"{action}:{arg}:{version}"


def read_button(data: str) -> tuple[str, str, int] | None:
    """(action, argument, version) of a button, or None for data this bot never made."""
    action, _, rest = data.partition(":")
    arg, _, version = rest.rpartition(":")
    if not action or not version.isdigit() or len(data) > 64:
        return None
    return action, arg, int(version)
