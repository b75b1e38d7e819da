"""The interfaces the core needs from storage and the channels (its ports).

Storage backends (SQLite and PostgreSQL) implement `Store` and `Tx`;
channel adapters implement `Sender`. The core never imports either side.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from bot._agreements import Agreement
from bot._chat_state import ChatState
from bot._model import (
    Case,
    CaseStage,
    CaseStatus,
    CaseType,
    Contact,
    ContactStatus,
    Customer,
    Escalation,
    EscalationReason,
    Invoice,
    Letter,
    PaymentMethod,
    Reason,
    TranscriptLine,
    WaitingEscalation,
)
from bot._money import Money
from bot._offers import Offer

__all__ = [
    "AuditRecord",
    "BatchResult",
    "CaseView",
    "ChannelLink",
    "Clock",
    "ImportedInvoice",
    "ReceivedPayment",
    "RegisteredPayment",
    "Released",
    "SendResult",
    "Sender",
    "Store",
    "StoredEvent",
    "Tx",
]


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware (UTC)."""
        ...


@dataclass(frozen=True, slots=True)
class StoredEvent:
    source: str
    source_id: str
    type: str
    occurred_at: datetime | None
    received_at: datetime
    payload: str
    customer_id: str | None
    outcome: str
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class AuditRecord:
    at: datetime
    actor: str
    action: str
    reason: str
    case_id: int | None = None
    customer_id: str | None = None
    detail: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class ChannelLink:
    customer_id: str
    channel: str
    chat_id: str
    linked_at: datetime
    reachable: bool = True


@dataclass(frozen=True, slots=True)
class RegisteredPayment:
    payment_id: str
    customer_id: str
    method: str | None
    invoice_id: str | None


@dataclass(frozen=True, slots=True)
class ReceivedPayment:
    payment_id: str
    amount: Money | None  # None: collected in full
    received_at: datetime


@dataclass(frozen=True, slots=True)
class ImportedInvoice:
    """One row of a billing export, already validated."""

    customer: Customer
    invoice: Invoice
    line: int


@dataclass(frozen=True, slots=True)
class BatchResult:
    written: int
    unchanged: int
    conflicts: tuple[tuple[ImportedInvoice, str], ...] = ()


@dataclass(frozen=True, slots=True)
class CaseView:
    """A case with what an operator needs to read it."""

    case: Case
    customer: Customer
    invoices: tuple[Invoice, ...]
    audit: tuple[AuditRecord, ...]
    contacts: tuple[Contact, ...]
    channel: ChannelLink | None
    agreements: tuple[Agreement, ...] = ()


class Tx(Protocol):
    """One unit of work: everything done through it commits together or not at all."""

    async def record_event(self, event: StoredEvent) -> bool:
        """Store a billing event; False when (source, source_id) is already known."""
        ...

    async def event_known(self, source: str, source_id: str) -> bool: ...

    async def get_customer(self, customer_id: str) -> Customer | None: ...

    async def upsert_customer(self, customer: Customer) -> Customer:
        """Insert, or fill the known customer's fields with the non-empty new ones."""
        ...

    async def set_opted_out(self, customer_id: str, at: datetime | None) -> None: ...

    async def set_chosen_locale(self, customer_id: str, locale: str) -> None: ...

    async def is_opted_out(self, customer_id: str) -> bool: ...

    async def get_payment_method(self, reference: str) -> PaymentMethod | None: ...

    async def save_payment_method(self, method: PaymentMethod) -> None: ...

    async def register_payment(
        self,
        payment_id: str,
        *,
        customer_id: str,
        method: str | None,
        invoice_id: str | None,
        received: tuple[Money | None, datetime] | None = None,
    ) -> None:
        """Remember a payment so later events naming it find their customer.

        `received` is (amount, time) once the payment arrived; a None amount means in full.
        """
        ...

    async def received_for(self, invoice_id: str) -> list[ReceivedPayment]:
        """Payments already received against an invoice."""
        ...

    async def find_payment(self, payment_id: str) -> RegisteredPayment | None: ...

    async def get_invoice(self, invoice_id: str) -> Invoice | None: ...

    async def save_invoice(self, invoice: Invoice) -> None: ...

    async def unpaid_invoices(self, customer_id: str) -> list[Invoice]:
        """The customer's invoices with an amount due, oldest due date first."""
        ...

    async def prior_amounts(
        self, customer_id: str, currency: str, before: date, limit: int
    ) -> list[int]:
        """Amounts (minor units) of the customer's last `limit` invoices issued before a date."""
        ...

    async def open_case(self, customer_id: str, case_type: CaseType) -> Case | None: ...

    async def get_case(self, case_id: int) -> Case | None: ...

    async def insert_case(
        self,
        *,
        customer_id: str,
        case_type: CaseType,
        reason: Reason,
        status: CaseStatus,
        opened_at: datetime,
        why: dict[str, Any],
    ) -> Case: ...

    async def update_case(
        self,
        case_id: int,
        *,
        status: CaseStatus | None = None,
        reason: Reason | None = None,
        why: dict[str, Any] | None = None,
        closed_at: datetime | None = None,
        stage: CaseStage | None = None,
        stage_at: datetime | None = None,
    ) -> None:
        """Change what is given; `closed_at` closes the case (stage closed unless `stage`)."""
        ...

    async def reopen_case(self, case_id: int, *, status: CaseStatus) -> None:
        """Open a closed case again, in the pre-collection stage, with `status`."""
        ...

    async def attach_invoice(self, case_id: int, invoice_id: str) -> None: ...

    async def cases_for_invoice(self, invoice_id: str) -> list[Case]: ...

    async def open_cases_of(self, customer_id: str) -> list[Case]: ...

    async def enqueue(
        self,
        *,
        customer_id: str | None,
        case_id: int | None,
        channel: str,
        template: str,
        params: dict[str, Any],
        due_at: datetime,
        dedupe_key: str,
    ) -> int | None:
        """Put a message in the outbox; None when `dedupe_key` was queued before."""
        ...

    async def audit(self, record: AuditRecord) -> None: ...

    async def sent_on_case(self, case_id: int, *, since: datetime) -> list[datetime]:
        """When the case's customer messages were sent, from `since` on (the frequency cap)."""
        ...

    async def count_contacts(self, dedupe_key: str) -> int:
        """How many contacts carry this dedupe key (0 or 1)."""
        ...

    async def store_token(
        self, *, token_hash: str, customer_id: str, purpose: str, expires_at: datetime
    ) -> bool:
        """Keep a token's hash for a customer; False, and nothing kept, for no such customer."""
        ...

    async def use_token(self, token_hash: str, *, purpose: str, now: datetime) -> str | None:
        """Spend a single-use token; its customer id, or None if unknown, used or expired."""
        ...

    async def link_channel(self, link: ChannelLink) -> None: ...

    async def channel_of(self, customer_id: str, channel: str) -> ChannelLink | None: ...

    async def customer_of_chat(self, channel: str, chat_id: str) -> str | None: ...

    async def customer_in_chat(self, channel: str, chat_id: str) -> Customer | None:
        """The customer the chat is linked to, in one lookup."""
        ...

    async def chat_of(
        self, channel: str, chat_id: str
    ) -> tuple[Customer | None, ChatState | None]:
        """The chat's linked customer and its conversation's state, in one lookup."""
        ...

    async def taken_over_in_chat(self, channel: str, chat_id: str) -> Escalation | None:
        """The escalation a person has taken over among the open cases of the chat's
        customer (the first such case), in one lookup; None when the bot has the chat."""
        ...

    async def get_chat_state(self, channel: str, chat_id: str) -> ChatState | None: ...

    async def save_chat_state(self, state: ChatState) -> None: ...

    async def customer_since(self, customer_id: str) -> date | None:
        """The issue date of the customer's first invoice: how long they have been one."""
        ...

    async def insert_agreement(self, agreement: Agreement) -> int:
        """Store an accepted plan or promise with its schedule; its id."""
        ...

    async def agreements_of(self, case_id: int) -> list[Agreement]: ...

    async def get_agreement(self, agreement_id: int) -> Agreement | None: ...

    async def live_agreements(self) -> list[Agreement]:
        """Agreements with a payment neither made nor missed yet, whatever their case."""
        ...

    async def set_item_status(self, agreement_id: int, number: int, status: str) -> bool:
        """Set one payment's status; whether it changed."""
        ...

    async def set_paused_until(
        self, case_id: int, until: datetime | None, *, reason: str | None = None
    ) -> None:
        """Pause contact on a case until a moment, saying why; None ends the pause."""
        ...

    async def set_breathing_space(self, customer_id: str, until: date | None) -> None:
        """Record the last day of the customer's breathing space; None: none runs."""
        ...

    async def release_held(self, customer_id: str, *, rule: str, now: datetime) -> int:
        """Make the customer's messages held by `rule` due now, to be looked at again."""
        ...

    async def pauses_over(self, now: datetime) -> list[Case]:
        """Open cases paused until a time that has passed."""
        ...

    async def set_reachable(self, channel: str, chat_id: str, reachable: bool) -> str | None:
        """Mark a chat blocked or unblocked; its customer, if the chat is linked."""
        ...

    async def cancel_contact(self, dedupe_key: str) -> bool:
        """Cancel one queued contact by its key; whether there was one to cancel."""
        ...

    async def last_heard_from(self, customer_id: str) -> datetime | None:
        """When the customer last wrote or tapped in a chat with the bot, if ever."""
        ...

    async def insert_escalation(
        self,
        *,
        case_id: int,
        customer_id: str,
        reason: EscalationReason,
        request: str | None,
        opened_at: datetime,
        due_by: datetime,
        proposal: Offer | None = None,
    ) -> Escalation: ...

    async def get_escalation(self, escalation_id: int) -> Escalation | None: ...

    async def open_escalation_of(self, case_id: int) -> Escalation | None:
        """The case's escalation still waiting for a decision, if any."""
        ...

    async def set_escalation_post(self, escalation_id: int, *, channel: str, ts: str) -> None:
        """Where the escalation was posted for staff (a Slack channel and message ts)."""
        ...

    async def decide_escalation(
        self,
        escalation_id: int,
        *,
        by: str,
        decision: str,
        at: datetime,
        offer: Offer | None = None,
    ) -> bool:
        """Record the decision unless one was made already; whether this one counts.

        With `offer`, the terms go to the customer, whose answer is pending.
        """
        ...

    async def answer_offer(self, escalation_id: int, *, accepted: bool) -> bool:
        """The customer's answer to a pending offer; False if it was answered already."""
        ...

    async def set_proposal(self, escalation_id: int, proposal: Offer) -> bool:
        """The customer's terms on an escalation still open; False once decided."""
        ...

    async def send_up(self, escalation_id: int, *, tier: str) -> bool:
        """Mark an open escalation as needing `tier`; False once decided."""
        ...

    async def escalations_of(self, case_id: int) -> list[Escalation]:
        """Every escalation of the case, oldest first."""
        ...

    async def insert_letter(
        self,
        *,
        case_id: int,
        customer_id: str,
        language: str,
        deadline: date,
        sha256: str,
        pdf: bytes,
        enabled_by: str,
        created_at: datetime,
    ) -> Letter: ...

    async def get_letter(self, letter_id: int) -> tuple[Letter, bytes] | None:
        """A letter and its PDF."""
        ...

    async def letters_of(self, case_id: int) -> list[Letter]: ...

    async def add_transcript(self, customer_id: str, *lines: TranscriptLine) -> None:
        """Keep messages of the conversation, for the customer's record and case files."""
        ...

    async def transcript_of(self, customer_id: str) -> list[TranscriptLine]:
        """The customer's conversation, oldest first."""
        ...

    async def assign_escalation(self, escalation_id: int, *, to: str) -> bool:
        """Give an open escalation to the Slack user `to`; False once decided."""
        ...

    async def set_taken_by(self, escalation_id: int, *, by: str | None) -> bool:
        """Take an open escalation over (`by`, if no one has) or hand it back (None).

        Whether the change counts: the first of two staff taking over wins.
        """
        ...

    async def escalation_at_post(self, channel: str, ts: str) -> Escalation | None:
        """The escalation posted as this Slack message, the parent of its thread."""
        ...

    async def cancel_queued_on_case(
        self, case_id: int, *, channel: str, claimed: bool = False
    ) -> int:
        """Cancel the case's rows still waiting on `channel`; how many.

        With `claimed`, rows a worker has claimed but not finished are cancelled too: for a
        channel whose sender does its work in a transaction that first checks its row is
        not `cancelled` (the case steps), so that a step claimed before the case moved on
        does nothing after.
        """
        ...

    async def is_cancelled(self, contact_id: int) -> bool:
        """Whether the outbox row was cancelled."""
        ...

    async def cancel_queued(self, customer_id: str, *, channel: str) -> int:
        """Cancel the customer's queued messages on a channel; how many."""
        ...


class Store(Protocol):
    """A storage backend: units of work, the outbox queue and the read side."""

    # Whether several workers may share the database (PostgreSQL) rather than one owning it.
    shared: bool

    async def heartbeat(self) -> int:
        """Say this worker is alive; how many workers share the database, this one included."""
        ...

    async def leave(self) -> None:
        """Say this worker stops, so that the others take over its share at once."""
        ...

    def chat_turn(self, channel: str, chat_id: str) -> AbstractAsyncContextManager[None]:
        """Hold the chat's turn: one update of a chat is handled at a time, in every worker."""
        ...

    def transaction(self) -> AbstractAsyncContextManager[Tx]:
        """A read-then-write unit of work, serialised with other writers."""
        ...

    def reading(self) -> AbstractAsyncContextManager[Tx]:
        """Lookups that write nothing: they never wait for a writer, nor hold one up.

        Each statement sees what was committed when it ran; a write through it fails.
        """
        ...

    async def start(self, *, migrate: bool = True) -> None:
        """Connect, and bring the schema up to date unless told not to."""
        ...

    def on_enqueued(self, listener: Callable[[frozenset[str]], None]) -> None:
        """Have `listener` called with the channels a committed transaction queued rows on.

        Called in this process only; the outbox uses it to send at once rather than at
        its next poll.
        """
        ...

    async def migrate(self) -> list[int]:
        """Apply pending migrations; the versions applied."""
        ...

    async def close(self) -> None: ...

    async def import_invoices(self, rows: Sequence[ImportedInvoice]) -> BatchResult:
        """Store a batch of imported invoices in one transaction.

        A row whose invoice id is already held by another customer is not written: it is
        returned among the conflicts with that customer's id.
        """
        ...

    async def mark_overdue(self, invoice_ids: Sequence[str]) -> None:
        """Mark open invoices overdue (their due date has passed)."""
        ...

    def iter_book(self, *, batch: int = 10_000) -> AsyncIterator[tuple[Invoice, bool]]:
        """Every invoice with whether a case holds it; by customer, issue date, id."""
        ...

    async def age_book(self, today: date) -> int:
        """Mark every open invoice due before `today` overdue; how many were."""
        ...

    async def count_overdue(self) -> int:
        """Overdue invoices with an amount still due."""
        ...

    def unjudged_overdue(
        self, *, history: int, batch: int = 1_000
    ) -> AsyncIterator[tuple[Invoice, list[int]]]:
        """Overdue invoices with an amount due that no case holds, by customer, issue date, id.

        Each comes with the minor amounts of the customer's latest `history` invoices issued
        strictly before it in the same currency, in no particular order.
        """
        ...

    async def claim_due(self, *, channel: str, now: datetime, limit: int) -> list[Contact]:
        """Atomically take queued contacts whose time has come; they become `sending`."""
        ...

    async def finish_contact(
        self,
        contact_id: int,
        *,
        status: ContactStatus,
        at: datetime,
        channel_message_id: str | None = None,
        error: str | None = None,
        retry_at: datetime | None = None,
    ) -> None: ...

    async def hold_contact(self, contact_id: int, *, until: datetime, rule: str) -> None:
        """Put a claimed contact back until the policy allows it; the attempt does not count."""
        ...

    async def release_stale(self, *, before: datetime) -> int:
        """Put back contacts left `sending` by a process that died; how many."""
        ...

    async def hand_over(self, contact_id: int) -> None:
        """Note that a claimed contact leaves for its channel now (see `release_orphans`)."""
        ...

    async def release_orphans(self, *, claimed_before: datetime) -> Released:
        """Put back what a stopped process left `sending`; the outbox calls it once at start.

        A backend one process owns (an SQLite file) puts back every such contact at once; one
        shared by several workers only those claimed before `claimed_before`, whose worker
        must have died, as live workers hold the others.
        """
        ...

    async def list_cases(self, *, open_only: bool = False) -> list[CaseView]: ...

    async def case_view(self, case_id: int) -> CaseView | None: ...

    async def open_escalations(self) -> list[WaitingEscalation]:
        """Every escalation not decided yet, oldest first."""
        ...

    async def audit_between(
        self, since: datetime, until: datetime, *, actions: Sequence[str]
    ) -> list[AuditRecord]:
        """Audit records of `actions` written from `since` up to (not including) `until`."""
        ...

    async def list_contacts(self, *, status: ContactStatus | None = None) -> list[Contact]: ...

    async def list_events(self, *, outcome: str | None = None) -> list[StoredEvent]: ...

    async def counts(self) -> dict[str, int]:
        """Rows per table, for operators and tests."""
        ...


@dataclass(frozen=True, slots=True)
class Released:
    """Contacts put back in the queue after a stop, and those already handed to the channel:
    sent again, these may reach the customer twice (DESIGN.md, Durable outbox)."""

    count: int
    handed: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class SendResult:
    channel_message_id: str


class Sender(Protocol):
    """A channel that can deliver one rendered contact."""

    channel: str
    # Whether a contact needs a linked chat (a customer channel) or goes to a fixed place.
    needs_chat: bool
    # Whether it writes to the customer, so that the contact policy applies (COMPLIANCE).
    reaches_customer: bool

    async def send(self, contact: Contact) -> SendResult:
        """Deliver; raise `bot.ChannelBlocked`, `bot.RateLimited` or any error to retry."""
        ...
