"""The nouns of Settle: customers, payment methods, invoices, cases and contacts."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from bot._money import Money
from bot._offers import Offer, OfferState

__all__ = [
    "Case",
    "CaseStage",
    "CaseStatus",
    "CaseType",
    "Contact",
    "ContactStatus",
    "Customer",
    "Escalation",
    "EscalationReason",
    "Invoice",
    "InvoiceStatus",
    "Letter",
    "PaymentMethod",
    "Reason",
    "TranscriptLine",
    "WaitingEscalation",
]


class CaseType(enum.StrEnum):
    """A: the means of payment failed. C: a substantial invoice is overdue."""

    A = "A"
    C = "C"


class CaseStage(enum.StrEnum):
    PRE_COLLECTION = "pre-collection"
    PRE_LEGAL = "pre-legal"
    LEGAL = "legal"
    CLOSED = "closed"


class CaseStatus(enum.StrEnum):
    NO_CHANNEL = "no channel yet"
    CONTACTING = "contacting"
    AGREED = "agreed"
    PAUSED = "paused"
    OPTED_OUT = "opted out"
    ESCALATED = "escalated"
    CLOSED = "closed"


class Reason(enum.StrEnum):
    """Why a case exists; type A reasons come from the payment method's failure."""

    EXPIRED_CARD = "expired_card"
    EXPIRING = "payment_method_expiring"
    CARD_DECLINED = "card_declined"
    INSUFFICIENT_FUNDS = "insufficient_funds"
    LOST_CARD = "lost_card"
    STOLEN_CARD = "stolen_card"
    FRAUDULENT = "fraudulent"
    PICKUP_CARD = "pickup_card"
    AUTHENTICATION_REQUIRED = "authentication_required"
    INCORRECT_DETAILS = "incorrect_details"
    CONTACT_BANK = "contact_bank"
    TEMPORARY_FAILURE = "temporary_failure"
    PAYMENT_STOPPED = "payment_stopped"
    BANK_ACCOUNT_CLOSED = "bank_account_closed"
    BANK_ACCOUNT_CHANGED = "bank_account_transferred"
    MANDATE_CANCELLED = "mandate_cancelled"
    MANDATE_FAILED = "mandate_failed"
    MANDATE_EXPIRED = "mandate_expired"
    OTHER = "other"
    SUBSTANTIAL_OVERDUE = "substantial_overdue"

    @property
    def is_confidential(self) -> bool:
        """Reasons recorded as such but told to the customer only as a declined card."""
        return self in _CONFIDENTIAL


_CONFIDENTIAL = frozenset(
    {Reason.LOST_CARD, Reason.STOLEN_CARD, Reason.FRAUDULENT, Reason.PICKUP_CARD}
)


class InvoiceStatus(enum.StrEnum):
    UPCOMING = "upcoming"  # replayed export: not yet issued on the as-of date
    OPEN = "open"
    OVERDUE = "overdue"
    PAID = "paid"


class ContactStatus(enum.StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    DEAD = "dead"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class Customer:
    id: str
    name: str | None = None
    phone: str | None = None
    email: str | None = None
    locale: str | None = None
    timezone: str | None = None
    country: str | None = None
    chosen_locale: str | None = None  # picked by the customer in the chat; wins over `locale`
    # Whether billing recorded consent to marketing (retention promotions, rule 16).
    marketing_consent: bool | None = None
    # The last day of a breathing space (COMPLIANCE rule 11), in the customer's zone;
    # `bot._respite.OPEN_ENDED` while billing has not said when a crisis space ends.
    breathing_space_until: date | None = None

    @property
    def language(self) -> str | None:
        """The locale to speak: the customer's own choice, else the billing record's."""
        return self.chosen_locale or self.locale


@dataclass(frozen=True, slots=True)
class PaymentMethod:
    """A means of payment known by the provider's reference, e.g. a GoCardless mandate."""

    reference: str
    customer_id: str
    kind: str
    status: str
    reason: Reason | None
    last4: str | None
    expires_on: date | None
    fact_at: datetime


@dataclass(frozen=True, slots=True)
class Invoice:
    id: str
    customer_id: str
    amount: Money
    amount_due: Money
    issued_on: date
    due_on: date
    status: InvoiceStatus
    fact_at: datetime


@dataclass(frozen=True, slots=True)
class Case:
    id: int
    customer_id: str
    type: CaseType
    stage: CaseStage
    status: CaseStatus
    reason: Reason
    opened_at: datetime
    closed_at: datetime | None
    why: dict[str, Any] = field(default_factory=dict)
    amount_due: Money | None = None
    invoice_ids: tuple[str, ...] = ()
    # A pause of contact: until when, and why ("paid" or "debt advice").
    paused_until: datetime | None = None
    paused_for: str | None = None
    stage_at: datetime | None = None  # when the case entered its stage, if it changed

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


@dataclass(frozen=True, slots=True)
class Contact:
    """One outbound message: a row in the outbox before it is a network call."""

    id: int
    case_id: int | None
    customer_id: str | None  # None: a message for staff alone, about no customer
    channel: str
    template: str
    params: dict[str, Any]
    status: ContactStatus
    due_at: datetime
    attempts: int
    chat_id: str | None = None
    sent_at: datetime | None = None
    channel_message_id: str | None = None
    last_error: str | None = None
    held_rule: str | None = None  # the contact-policy rule that holds it back, if any

    @property
    def recipient(self) -> str:
        """The customer a message to a customer goes to.

        Raises:
            ValueError: for a message to staff alone, which goes to no customer.
        """
        if self.customer_id is None:
            msg = f"contact {self.id} ({self.template}) is for staff and has no customer"
            raise ValueError(msg)
        return self.customer_id


class EscalationReason(enum.StrEnum):
    """Why a case went to staff."""

    DISPUTE = "dispute"
    HARDSHIP = "hardship"
    PERSON = "person"
    UNREACHABLE = "unreachable"
    NO_ANSWER = "no answer"
    PAYMENT_REVERSED = "payment reversed"
    PAYMENT_NOT_SEEN = "payment not seen"
    BROKEN_AGREEMENT = "broken agreement"  # staff are told; the bot goes on with the case
    SMALL_PAYMENT = "token payment"  # a small payment now, terms reviewed (COMPLIANCE 13)
    PLAN_REQUEST = "plan request"  # a plan beyond the bot's authority (Escalation.proposal)
    PRE_LEGAL = "pre-legal"  # the case entered the stage: staff may enable the final letter
    LEGAL_HANDOFF = "legal hand-off"  # the letter's deadline passed: a person confirms


@dataclass(frozen=True, slots=True)
class Escalation:
    """A case handed to staff: why, by when, and, once, what they decided."""

    id: int
    case_id: int
    customer_id: str
    reason: EscalationReason
    opened_at: datetime
    due_by: datetime
    request: str | None = None  # the customer's own words, when they asked
    assignee: str | None = None
    decided_at: datetime | None = None
    decided_by: str | None = None
    decision: str | None = None
    slack_channel: str | None = None
    slack_ts: str | None = None
    taken_by: str | None = None  # the Slack user talking with the customer, if one is
    proposal: Offer | None = None  # the terms the customer asked for, if any
    offer: Offer | None = None  # the terms staff decided to offer the customer
    offer_state: OfferState | None = None  # the customer's answer to `offer`
    needs_tier: str | None = None  # the authority tier it was sent up to

    @property
    def is_open(self) -> bool:
        return self.decided_at is None

    @property
    def is_taken_over(self) -> bool:
        return self.is_open and self.taken_by is not None


@dataclass(frozen=True, slots=True)
class WaitingEscalation:
    """An escalation no one has decided yet, with its case's stage and type."""

    escalation: Escalation
    stage: CaseStage
    case_type: CaseType

    @property
    def handler(self) -> str | None:
        """The Slack user it waits with: whoever took the chat over, else the assignee."""
        return self.escalation.taken_by or self.escalation.assignee

    def past_sla(self, now: datetime) -> bool:
        return now >= self.escalation.due_by


@dataclass(frozen=True, slots=True)
class Letter:
    """A letter as sent: immutable, with the SHA-256 of its PDF."""

    id: int
    case_id: int
    customer_id: str
    language: str
    deadline: date
    sha256: str
    enabled_by: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class TranscriptLine:
    """One message of a conversation, as it was written: in from the customer, or out."""

    at: datetime
    channel: str
    direction: str  # "in" or "out"
    text: str
    case_id: int | None = None
