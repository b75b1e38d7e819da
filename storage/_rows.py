"""Rows of the SQL backends turned into domain records."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from bot import (
    Case,
    CaseStage,
    CaseStatus,
    CaseType,
    Contact,
    ContactStatus,
    Customer,
    Invoice,
    InvoiceStatus,
    Money,
    PaymentMethod,
    Reason,
)
from bot._agreements import Agreement, AgreementKind
from bot._chat_state import ChatState, Step
from bot._model import Escalation, EscalationReason, Letter, TranscriptLine
from bot._offers import Offer, OfferState
from bot._plans import Instalment
from bot.ports import AuditRecord, ChannelLink, StoredEvent
from storage._codec import load_json, read_date, read_time

__all__ = [
    "to_agreement",
    "to_audit",
    "to_case",
    "to_chat_state",
    "to_contact",
    "to_customer",
    "to_event",
    "to_invoice",
    "to_link",
    "to_method",
]


class Row(Protocol):
    """What both backends' rows offer: access by column name."""

    def __getitem__(self, key: str, /) -> Any: ...

    def keys(self) -> list[str]: ...


def _time(value: str | None) -> Any:
    return None if value is None else read_time(value)


def _date(value: str | None) -> Any:
    return None if value is None else read_date(value)


def to_customer(row: Row) -> Customer:
    return Customer(
        id=row["id"],
        name=row["name"],
        phone=row["phone"],
        email=row["email"],
        locale=row["locale"],
        timezone=row["timezone"],
        country=row["country"],
        chosen_locale=row["chosen_locale"],
        marketing_consent=None
        if row["marketing_consent"] is None
        else bool(row["marketing_consent"]),
        breathing_space_until=_date(row["breathing_space_until"]),
    )


def to_method(row: Row) -> PaymentMethod:
    return PaymentMethod(
        reference=row["reference"],
        customer_id=row["customer_id"],
        kind=row["kind"],
        status=row["status"],
        reason=None if row["reason"] is None else Reason(row["reason"]),
        last4=row["last4"],
        expires_on=None if row["expires_on"] is None else read_date(row["expires_on"]),
        fact_at=read_time(row["fact_at"]),
    )


def to_invoice(row: Row) -> Invoice:
    currency = row["currency"]
    return Invoice(
        id=row["id"],
        customer_id=row["customer_id"],
        amount=Money(row["amount"], currency),
        amount_due=Money(row["amount_due"], currency),
        issued_on=read_date(row["issued_on"]),
        due_on=read_date(row["due_on"]),
        status=InvoiceStatus(row["status"]),
        fact_at=read_time(row["fact_at"]),
    )


def to_case(row: Row, invoices: tuple[Invoice, ...] = ()) -> Case:
    due = _amount_due(invoices)
    return Case(
        id=row["id"],
        customer_id=row["customer_id"],
        type=CaseType(row["type"]),
        stage=CaseStage(row["stage"]),
        status=CaseStatus(row["status"]),
        reason=Reason(row["reason"]),
        opened_at=read_time(row["opened_at"]),
        closed_at=_time(row["closed_at"]),
        why=load_json(row["why"]) or {},
        amount_due=due,
        invoice_ids=tuple(invoice.id for invoice in invoices),
        paused_until=_time(row["paused_until"]),
        paused_for=row["paused_for"],
        stage_at=_time(row["stage_at"]),
    )


def _amount_due(invoices: tuple[Invoice, ...]) -> Money | None:
    """The sum due over a case's invoices, in the currency of the first one."""
    if not invoices:
        return None
    currency = invoices[0].amount.currency
    due = sum(i.amount_due.minor for i in invoices if i.amount.currency == currency)
    return Money(due, currency)


def to_contact(row: Row) -> Contact:
    return Contact(
        id=row["id"],
        case_id=row["case_id"],
        customer_id=row["customer_id"],
        channel=row["channel"],
        template=row["template"],
        params=load_json(row["params"]) or {},
        status=ContactStatus(row["status"]),
        due_at=read_time(row["due_at"]),
        attempts=row["attempts"],
        chat_id=row["chat_id"] if "chat_id" in row.keys() else None,  # noqa: SIM118 - Row
        sent_at=_time(row["sent_at"]),
        channel_message_id=row["channel_message_id"],
        last_error=row["last_error"],
        held_rule=row["held_rule"],
    )


def to_escalation(row: Row) -> Escalation:
    return Escalation(
        id=row["id"],
        case_id=row["case_id"],
        customer_id=row["customer_id"],
        reason=EscalationReason(row["reason"]),
        opened_at=read_time(row["opened_at"]),
        due_by=read_time(row["due_by"]),
        request=row["request"],
        assignee=row["assignee"],
        decided_at=_time(row["decided_at"]),
        decided_by=row["decided_by"],
        decision=row["decision"],
        slack_channel=row["slack_channel"],
        slack_ts=row["slack_ts"],
        taken_by=row["taken_by"],
        proposal=_offer(row["proposal"]),
        offer=_offer(row["offer"]),
        offer_state=OfferState(row["offer_state"]) if row["offer_state"] else None,
        needs_tier=row["needs_tier"],
    )


def _offer(text: str | None) -> Offer | None:
    return None if text is None else Offer.from_json(load_json(text))


def to_audit(row: Row) -> AuditRecord:
    return AuditRecord(
        at=read_time(row["at"]),
        actor=row["actor"],
        action=row["action"],
        reason=row["reason"],
        case_id=row["case_id"],
        customer_id=row["customer_id"],
        detail=load_json(row["detail"]),
    )


def to_link(row: Row) -> ChannelLink:
    return ChannelLink(
        customer_id=row["customer_id"],
        channel=row["channel"],
        chat_id=row["chat_id"],
        linked_at=read_time(row["linked_at"]),
        reachable=bool(row["reachable"]),
    )


def to_event(row: Row) -> StoredEvent:
    return StoredEvent(
        source=row["source"],
        source_id=row["source_id"],
        type=row["type"],
        occurred_at=_time(row["occurred_at"]),
        received_at=read_time(row["received_at"]),
        payload=row["payload"],
        customer_id=row["customer_id"],
        outcome=row["outcome"],
        detail=row["detail"],
    )


def to_chat_state(row: Row) -> ChatState:
    return ChatState(
        channel=row["channel"],
        chat_id=row["chat_id"],
        customer_id=row["customer_id"],
        case_id=row["case_id"],
        step=Step(row["step"]),
        version=row["version"],
        data=load_json(row["data"]) or {},
        misunderstood=row["misunderstood"],
    )


def to_agreement(row: Row, items: Sequence[Row]) -> Agreement:
    currency = row["currency"]
    return Agreement(
        id=row["id"],
        case_id=row["case_id"],
        customer_id=row["customer_id"],
        kind=AgreementKind(row["kind"]),
        total=Money(row["total"], currency),
        items=tuple(
            Instalment(item["number"], read_date(item["due_on"]), Money(item["amount"], currency))
            for item in items
        ),
        terms_text=row["terms_text"],
        terms_version=row["terms_version"],
        locale=row["locale"],
        channel=row["channel"],
        accepted_at=read_time(row["accepted_at"]),
        owed=None if row["owed"] is None else Money(row["owed"], currency),
        source=row["offer"],
        commitment_months=row["commitment_months"] or 0,
    )


def to_letter(row: Row) -> Letter:
    return Letter(
        id=row["id"],
        case_id=row["case_id"],
        customer_id=row["customer_id"],
        language=row["language"],
        deadline=read_date(row["deadline"]),
        sha256=row["sha256"],
        enabled_by=row["enabled_by"],
        created_at=read_time(row["created_at"]),
    )


def to_transcript(row: Row) -> TranscriptLine:
    return TranscriptLine(
        at=read_time(row["at"]),
        channel=row["channel"],
        direction=row["direction"],
        text=row["text"],
        case_id=row["case_id"],
    )
