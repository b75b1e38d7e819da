"""Ingest: apply one billing event to what Settle knows, idempotently and order-safely.

Each event is one transaction: it is recorded with its outcome, or, when it was
seen before (same source and id), changes nothing at all.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from bot._cases import (
    CLOSED,
    close_paid_cases,
    open_or_attach,
    request_retry,
    reverse_into_case,
    thank_for_method,
)
from bot._errors import EventRejected
from bot._escalations import close_escalations
from bot._events import BillingEvent, EventType, occurred_before
from bot._model import (
    CaseStatus,
    CaseType,
    Customer,
    Invoice,
    InvoiceStatus,
    PaymentMethod,
    Reason,
)
from bot._money import Money
from bot._prelegal import enter_pre_legal, open_pre_legal
from bot._respite import set_breathing_space
from bot._settings import Settings
from bot._triage import judge
from bot.ports import AuditRecord, Clock, Store, StoredEvent, Tx

__all__ = ["Ingest", "IngestResult", "Outcome"]

logger = logging.getLogger(__name__)


class Outcome(enum.StrEnum):
    APPLIED = "applied"
    DUPLICATE = "duplicate"
    UNMATCHED = "unmatched"
    STALE = "stale"
    NOTED = "noted"


@dataclass(slots=True)
class IngestResult:
    outcome: Outcome
    opened: list[int] = field(default_factory=list)
    closed: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)
    customer_id: str | None = None
    detail: str | None = None


class Ingest:
    """Applies billing events to customers, payment methods, invoices and cases."""

    def __init__(self, store: Store, clock: Clock, settings: Settings) -> None:
        self._store = store
        self._clock = clock
        self._settings = settings

    async def accept(self, source: str, event: BillingEvent, payload: str) -> IngestResult:
        """Apply `event` from `source` (its raw `payload` is kept) in one transaction."""
        async with self._store.transaction() as tx:
            if await tx.event_known(source, event.id):
                return IngestResult(Outcome.DUPLICATE)
            now = self._clock.now()
            result = await _Apply(tx, event, now, self._settings, source).run()
            stored = StoredEvent(
                source=source,
                source_id=event.id,
                type=event.type.value,
                occurred_at=event.occurred_at,
                received_at=now,
                payload=payload,
                customer_id=result.customer_id,
                outcome=result.outcome.value,
                detail=result.detail,
            )
            await tx.record_event(stored)
        logger.info(
            "event source=%s id=%s type=%s outcome=%s customer=%s opened=%s closed=%s",
            source,
            event.id,
            event.type,
            result.outcome,
            result.customer_id,
            result.opened,
            result.closed,
        )
        return result


class _Apply:
    """One event applied inside one transaction."""

    def __init__(
        self, tx: Tx, event: BillingEvent, now: datetime, settings: Settings, source: str
    ) -> None:
        self.tx = tx
        self.event = event
        self.now = now
        self.settings = settings
        self.actor = f"billing:{source}"
        self.result = IngestResult(Outcome.APPLIED)

    async def run(self) -> IngestResult:
        customer_id = await self._resolve()
        self.result.customer_id = customer_id
        if customer_id is None:
            self.result.outcome = Outcome.UNMATCHED
            self.result.detail = self._named()
            return self.result
        await self._check_owner(customer_id)
        await self._register(customer_id)
        handler = getattr(self, f"_on_{self.event.type.value}")
        await handler(customer_id)
        return self.result

    async def _resolve(self) -> str | None:
        """The customer the event is about, by id or by a provider reference Settle knows."""
        event, tx = self.event, self.tx
        if event.customer is not None:
            c = event.customer
            country = c.country.upper() if c.country else None
            customer = Customer(
                c.id,
                c.name,
                c.phone,
                c.email,
                c.locale,
                c.timezone,
                country,
                marketing_consent=c.marketing_consent,
            )
            stored = await tx.upsert_customer(customer)
            said, until = c.breathing_space()
            if said:
                await set_breathing_space(tx, stored, until, now=self.now, actor=self.actor)
            return stored.id
        method = event.payment_method
        if (
            method
            and method.reference
            and (known := await tx.get_payment_method(method.reference))
        ):
            return known.customer_id
        if event.payment and (payment := await tx.find_payment(event.payment.id)):
            return payment.customer_id
        if event.invoice and (invoice := await tx.get_invoice(event.invoice.id)):
            return invoice.customer_id
        return None

    def _named(self) -> str:
        """What an unmatched event named, for the operator who must register it."""
        event = self.event
        names = []
        if event.payment_method and event.payment_method.reference:
            names.append(f"payment method {event.payment_method.reference}")
        if event.payment:
            names.append(f"payment {event.payment.id}")
        if event.invoice:
            names.append(f"invoice {event.invoice.id}")
        return ", ".join(names)

    async def _check_owner(self, customer_id: str) -> None:
        """An invoice, a payment method or a payment never moves to another customer, and an
        invoice keeps its currency: such an event is refused before it changes anything."""
        event, tx = self.event, self.tx
        if event.invoice is not None and (known := await tx.get_invoice(event.invoice.id)):
            if known.customer_id != customer_id:
                msg = f"invoice {known.id} belongs to customer {known.customer_id}"
                raise EventRejected("invoice.id", msg)
            currency = event.invoice.currency
            if currency and currency.upper() != known.amount.currency:
                msg = f"invoice {known.id} is in {known.amount.currency}, not {currency.upper()}"
                raise EventRejected("invoice.currency", msg)
        method = event.payment_method
        if method is not None and method.reference:
            owned = await tx.get_payment_method(method.reference)
            if owned is not None and owned.customer_id != customer_id:
                msg = f"payment method {method.reference} belongs to customer {owned.customer_id}"
                raise EventRejected("payment_method.reference", msg)
        paid = None if event.payment is None else await tx.find_payment(event.payment.id)
        if paid is not None and paid.customer_id != customer_id:
            msg = f"payment {paid.payment_id} belongs to customer {paid.customer_id}"
            raise EventRejected("payment.id", msg)

    async def _register(self, customer_id: str) -> None:
        """Remember a payment the event names, so later events about it find the customer."""
        event = self.event
        if event.payment is None:
            return
        method = event.payment_method.reference if event.payment_method else None
        invoice = event.invoice.id if event.invoice else None
        received = None
        if event.type is EventType.PAYMENT_RECEIVED:
            received = (event.payment_amount(), event.occurred_at)
        await self.tx.register_payment(
            event.payment.id,
            customer_id=customer_id,
            method=method,
            invoice_id=invoice,
            received=received,
        )

    # Payment methods.

    async def _method(self, customer_id: str, status: str) -> PaymentMethod | None:
        """Record the event's payment method; the newer fact already known, if there is one."""
        part = self.event.payment_method
        if part is None:
            return None
        reference = part.reference or f"{customer_id}/{part.kind}"
        known = await self.tx.get_payment_method(reference)
        if known is not None and occurred_before(self.event, known.fact_at):
            return known
        await self.tx.save_payment_method(
            PaymentMethod(
                reference=reference,
                customer_id=customer_id,
                kind=part.kind,
                status=status,
                reason=part.reason,
                last4=part.last4,
                expires_on=part.expires_on,
                fact_at=self.event.occurred_at,
            )
        )
        return None

    async def _on_payment_failed(self, customer_id: str) -> None:
        newer = await self._method(customer_id, "failed")
        if newer is not None and newer.status == "active":
            # The method was fixed after this failure happened: the failure undoes nothing.
            self.result.outcome = Outcome.STALE
            return
        invoice = await self._invoice(customer_id) or await self._registered_invoice()
        if invoice is not None and invoice.amount_due.minor == 0:
            # Nothing is due on that invoice; a failure older than its payment is stale.
            late = occurred_before(self.event, invoice.fact_at)
            self.result.outcome = Outcome.STALE if late else Outcome.NOTED
            return
        await self._open_a(customer_id, self._reason(), invoice)

    def _reason(self) -> Reason:
        part = self.event.payment_method
        return part.reason if part and part.reason else Reason.OTHER

    async def _open_a(self, customer_id: str, reason: Reason, invoice: Invoice | None) -> None:
        why: dict[str, Any] = {
            "event": self.event.id,
            "type": self.event.type.value,
            "reason": reason.value,
        }
        if self.event.payment_method and self.event.payment_method.reference:
            why["payment_method"] = self.event.payment_method.reference
        case, opened = await open_or_attach(
            self.tx,
            customer_id=customer_id,
            case_type=_A,
            reason=reason,
            why=why,
            invoice=invoice,
            now=self.now,
            actor=self.actor,
            outreach=self.settings.outreach,
        )
        (self.result.opened if opened else self.result.updated).append(case.id)

    async def _on_payment_method_expiring(self, customer_id: str) -> None:
        await self._method(customer_id, "expiring")
        part = self.event.payment_method
        expires = part.expires_on if part else None
        days = None if expires is None else (expires - self.event.occurred_at.date()).days
        if days is not None and days > self.settings.expiry_notice_days:
            self.result.outcome = Outcome.NOTED
            return
        await self._open_a(customer_id, Reason.EXPIRING, None)

    async def _on_payment_method_updated(self, customer_id: str) -> None:
        if await self._method(customer_id, "active") is not None:
            self.result.outcome = Outcome.STALE
            return
        case = await self.tx.open_case(customer_id, _A)
        if case is None:
            return
        await thank_for_method(self.tx, case, now=self.now)
        if case.amount_due is not None and case.amount_due.minor > 0:
            # Fixed, with money still due: billing is asked to try the charge again.
            cause = f"method:{self.event.id}"
            await request_retry(self.tx, case, now=self.now, actor=self.actor, cause=cause)
            self.result.updated.append(case.id)
            return
        await self._close_without_debt(case.id, customer_id)

    async def _close_without_debt(self, case_id: int, customer_id: str) -> None:
        detail = {"event": self.event.id}
        await self.tx.update_case(case_id, status=CaseStatus.CLOSED, closed_at=self.now)
        await close_escalations(self.tx, case_id, now=self.now, by=self.actor, decision=CLOSED)
        reason = "payment method updated; nothing due"
        await self.tx.audit(
            AuditRecord(self.now, self.actor, "closed", reason, case_id, customer_id, detail)
        )
        self.result.closed.append(case_id)

    # Invoices.

    async def _invoice(
        self, customer_id: str, status: InvoiceStatus | None = None
    ) -> Invoice | None:
        """Record the event's invoice (if it carries amounts); the invoice as now known."""
        part = self.event.invoice
        if part is None:
            return None
        known = await self.tx.get_invoice(part.id)
        amounts = self.event.invoice_amounts()
        if amounts is None or (known and occurred_before(self.event, known.fact_at)):
            return known
        amount, due = amounts
        fact_at = self.event.occurred_at
        if known is None:
            due, fact_at = await self._less_received(part.id, amount, due)
        issued = part.issued_on or (known.issued_on if known else self.event.occurred_at.date())
        due_on = part.due_on or (known.due_on if known else issued)
        invoice = Invoice(
            id=part.id,
            customer_id=customer_id,
            amount=amount,
            amount_due=due,
            issued_on=issued,
            due_on=due_on,
            status=status or _status(due, due_on, self.event.occurred_at),
            fact_at=fact_at,
        )
        if invoice.amount_due.minor == 0:
            invoice = _with_due(invoice, 0, fact_at)
        await self.tx.save_invoice(invoice)
        return invoice

    async def _less_received(
        self, invoice_id: str, amount: Money, due: Money
    ) -> tuple[Money, datetime]:
        """An invoice first heard of now: payments already received for it still count."""
        own = self.event.payment.id if self.event.payment else None
        minor, fact_at = due.minor, self.event.occurred_at
        for payment in await self.tx.received_for(invoice_id):
            if payment.payment_id == own:
                continue
            paid = amount.minor if payment.amount is None else payment.amount.minor
            minor = max(0, minor - paid)
            fact_at = max(fact_at, payment.received_at)
        return Money(minor, amount.currency), fact_at

    async def _registered_invoice(self) -> Invoice | None:
        if self.event.payment is None:
            return None
        payment = await self.tx.find_payment(self.event.payment.id)
        if payment is None or payment.invoice_id is None:
            return None
        return await self.tx.get_invoice(payment.invoice_id)

    async def _on_collection_stage_changed(self, customer_id: str) -> None:
        """Billing hands the customer's debt to pre-legal: the open cases move, or, with an
        unpaid invoice and no case, one opens there."""
        invoice = await self._invoice(customer_id, InvoiceStatus.OVERDUE)
        why = f"billing event {self.event.id}"
        settings, rules = self.settings, self.settings.pre_legal
        cases = await self.tx.open_cases_of(customer_id)
        for case in cases:
            if invoice is not None and invoice.id not in case.invoice_ids:
                await self.tx.attach_invoice(case.id, invoice.id)
            if await enter_pre_legal(
                self.tx,
                case,
                now=self.now,
                actor=self.actor,
                why=why,
                outreach=settings.outreach,
                rules=rules,
            ):
                self.result.updated.append(case.id)
        if cases:
            self.result.outcome = Outcome.APPLIED if self.result.updated else Outcome.NOTED
            return
        if invoice is None or invoice.amount_due.minor == 0:
            self.result.outcome = Outcome.NOTED
            return
        case = await open_pre_legal(
            self.tx,
            customer_id=customer_id,
            invoice=invoice,
            now=self.now,
            actor=self.actor,
            why=why,
            outreach=settings.outreach,
            rules=rules,
        )
        self.result.opened.append(case.id)

    async def _on_invoice_issued(self, customer_id: str) -> None:
        await self._invoice(customer_id)

    async def _on_invoice_overdue(self, customer_id: str) -> None:
        invoice = await self._invoice(customer_id, InvoiceStatus.OVERDUE)
        if invoice is None or invoice.fact_at != self.event.occurred_at:
            self.result.outcome = Outcome.STALE
            return
        await self._triage(customer_id, invoice)

    async def _triage(self, customer_id: str, invoice: Invoice) -> None:
        if invoice.amount_due.minor == 0:
            self.result.outcome = Outcome.NOTED
            return
        currency = invoice.amount.currency
        prior = await self.tx.prior_amounts(customer_id, currency, invoice.issued_on, 12)
        verdict = judge(
            invoice.amount,
            prior,
            ratio=self.settings.substantial_ratio,
            min_amount=self.settings.min_substantial.get(currency),
        )
        if not verdict.substantial:
            # Small routine late invoices are left to billing's own reminders.
            self.result.outcome = Outcome.NOTED
            return
        why = {"event": self.event.id, "invoice": invoice.id, **verdict.as_why()}
        case, opened = await open_or_attach(
            self.tx,
            customer_id=customer_id,
            case_type=_C,
            reason=Reason.SUBSTANTIAL_OVERDUE,
            why=why,
            invoice=invoice,
            now=self.now,
            actor=self.actor,
            outreach=self.settings.outreach,
        )
        (self.result.opened if opened else self.result.updated).append(case.id)

    # Payments.

    async def _on_payment_received(self, customer_id: str) -> None:
        paid = self.event.payment_amount()
        targets = await self._payment_targets(customer_id)
        if not targets:
            self.result.outcome = Outcome.NOTED
            return
        changed = await self._apply_payment(targets, paid)
        if not changed:
            self.result.outcome = Outcome.STALE
            return
        payment = self.event.payment
        detail = {"event": self.event.id, "payment": payment.id if payment else None}
        closed = await close_paid_cases(
            self.tx, changed, now=self.now, actor=self.actor, detail=detail
        )
        self.result.closed.extend(closed)

    async def _payment_targets(self, customer_id: str) -> list[Invoice]:
        if self.event.invoice is not None:
            known = await self.tx.get_invoice(self.event.invoice.id)
            recorded = await self._invoice(customer_id) if self.event.invoice.amount else None
            return [invoice] if (invoice := known or recorded) else []
        if registered := await self._registered_invoice():
            return [registered]
        unpaid = await self.tx.unpaid_invoices(customer_id)
        paid = self.event.payment_amount()
        if paid is None:
            return unpaid
        return [invoice for invoice in unpaid if invoice.amount.currency == paid.currency]

    async def _apply_payment(self, targets: list[Invoice], paid: Money | None) -> list[Invoice]:
        """Lower the amounts due, oldest first; the invoices that changed."""
        left = None if paid is None else paid.minor
        part = self.event.invoice
        stated = self.event.invoice_amounts() if part and part.amount_due else None
        changed: list[Invoice] = []
        for invoice in targets:
            if occurred_before(self.event, invoice.fact_at):
                continue
            _same_currency(paid, invoice)
            if stated is not None:
                new_due = stated[1].minor  # billing said what is left
            elif left is None:
                new_due = 0  # a registered payment collected in full (GoCardless)
            else:
                take = min(left, invoice.amount_due.minor)
                left -= take
                new_due = invoice.amount_due.minor - take
            updated = _with_due(invoice, new_due, self.event.occurred_at)
            await self.tx.save_invoice(updated)
            changed.append(updated)
            if left == 0:
                break
        return changed

    async def _on_payment_reversed(self, customer_id: str) -> None:
        amount = self.event.payment_amount()
        targets: list[Invoice] = []
        if self.event.invoice is not None:
            known = await self.tx.get_invoice(self.event.invoice.id)
            targets = [known] if known else []
        elif registered := await self._registered_invoice():
            targets = [registered]
        if not targets or amount is None:
            self.result.outcome = Outcome.NOTED
            return
        invoice = targets[0]
        if occurred_before(self.event, invoice.fact_at):
            self.result.outcome = Outcome.STALE
            return
        new_due = min(invoice.amount.minor, invoice.amount_due.minor + amount.minor)
        updated = _with_due(invoice, new_due, self.event.occurred_at)
        await self.tx.save_invoice(updated)
        detail = {"event": self.event.id, "invoice": invoice.id, "reversed": str(amount)}
        hours = self.settings.outreach.hours
        reviewed = await reverse_into_case(
            self.tx, updated, now=self.now, actor=self.actor, detail=detail, hours=hours
        )
        if reviewed is not None:
            self.result.updated.append(reviewed)
        elif updated.status is InvoiceStatus.OVERDUE:
            await self._triage(customer_id, updated)

    async def _on_customer_updated(self, customer_id: str) -> None:
        """The customer's details were upserted while resolving; nothing else changes."""


_A, _C = CaseType.A, CaseType.C


def _status(due: Money, due_on: date, occurred_at: datetime) -> InvoiceStatus:
    if due.minor == 0:
        return InvoiceStatus.PAID
    return InvoiceStatus.OVERDUE if due_on < occurred_at.date() else InvoiceStatus.OPEN


def _same_currency(paid: Money | None, invoice: Invoice) -> None:
    if paid is not None and paid.currency != invoice.amount.currency:
        msg = f"{paid.currency} does not match invoice {invoice.id} in {invoice.amount.currency}"
        raise EventRejected("payment.currency", msg)


def _with_due(invoice: Invoice, minor: int, fact_at: datetime) -> Invoice:
    due = Money(minor, invoice.amount.currency)
    return Invoice(
        id=invoice.id,
        customer_id=invoice.customer_id,
        amount=invoice.amount,
        amount_due=due,
        issued_on=invoice.issued_on,
        due_on=invoice.due_on,
        status=_status(due, invoice.due_on, fact_at),
        fact_at=fact_at,
    )
