"""The case lifecycle: open or attach, close when paid."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot._callbacks import queue_billing_event
from bot._contact import TELEGRAM, Outreach, start_contact
from bot._escalations import StaffHours, close_escalations, escalate
from bot._ladder import stop_steps
from bot._model import Case, CaseStatus, CaseType, EscalationReason, Invoice, Reason
from bot.ports import AuditRecord, Tx

__all__ = ["CLOSED", "close_paid_cases", "open_or_attach"]

# The decision written on escalations still waiting when their case closes.
CLOSED = "closed"


async def open_or_attach(
    tx: Tx,
    *,
    customer_id: str,
    case_type: CaseType,
    reason: Reason,
    why: dict[str, Any],
    invoice: Invoice | None,
    now: datetime,
    actor: str,
    outreach: Outreach | None = None,
) -> tuple[Case, bool]:
    """Attach the fact to the customer's open case of this type, or open one; (case, opened)."""
    case = await tx.open_case(customer_id, case_type)
    if case is not None:
        await _attach(tx, case, reason=reason, why=why, invoice=invoice, now=now, actor=actor)
        return case, False

    case = await tx.insert_case(
        customer_id=customer_id,
        case_type=case_type,
        reason=reason,
        status=CaseStatus.NO_CHANNEL,
        opened_at=now,
        why=why,
    )
    if invoice is not None:
        await tx.attach_invoice(case.id, invoice.id)
    await tx.audit(
        AuditRecord(now, actor, "opened", _opening(case_type, reason), case.id, customer_id, why)
    )
    await start_contact(tx, case, now=now, actor=actor, outreach=outreach)
    return case, True


# A broken means of payment says more than a failed attempt: a closed bank account stays
# the reason of the case when a payment on it later fails for lack of funds.
_METHOD_GONE = frozenset(
    {
        Reason.EXPIRED_CARD,
        Reason.LOST_CARD,
        Reason.STOLEN_CARD,
        Reason.FRAUDULENT,
        Reason.PICKUP_CARD,
        Reason.PAYMENT_STOPPED,
        Reason.BANK_ACCOUNT_CLOSED,
        Reason.BANK_ACCOUNT_CHANGED,
        Reason.MANDATE_CANCELLED,
        Reason.MANDATE_FAILED,
        Reason.MANDATE_EXPIRED,
    }
)


def _outranks(new: Reason, old: Reason) -> bool:
    return new is not old and (new in _METHOD_GONE or old not in _METHOD_GONE)


def _opening(case_type: CaseType, reason: Reason) -> str:
    if case_type is CaseType.C:
        return "substantial invoice overdue"
    return f"payment method failed: {reason}"


async def _attach(
    tx: Tx,
    case: Case,
    *,
    reason: Reason,
    why: dict[str, Any],
    invoice: Invoice | None,
    now: datetime,
    actor: str,
) -> None:
    if invoice is not None:
        await tx.attach_invoice(case.id, invoice.id)
    if case.type is CaseType.A and _outranks(reason, case.reason):
        await tx.update_case(case.id, reason=reason)
    await tx.audit(
        AuditRecord(now, actor, "attached", f"new fact: {reason}", case.id, case.customer_id, why)
    )


async def close_paid_cases(
    tx: Tx, invoices: list[Invoice], *, now: datetime, actor: str, detail: dict[str, Any]
) -> list[int]:
    """Close the open cases of these invoices that have nothing left to pay; their ids."""
    closed: list[int] = []
    seen: set[int] = set()
    for invoice in invoices:
        for case in await tx.cases_for_invoice(invoice.id):
            if not case.is_open or case.id in seen:
                continue
            seen.add(case.id)
            if await _settle_or_note(tx, case, now=now, actor=actor, detail=detail):
                closed.append(case.id)
    return closed


async def _settle_or_note(
    tx: Tx, case: Case, *, now: datetime, actor: str, detail: dict[str, Any]
) -> bool:
    fresh = await tx.get_case(case.id) or case
    due = fresh.amount_due
    if due is not None and due.minor > 0:
        reason = f"partial payment; {due} still due"
        await tx.audit(
            AuditRecord(now, actor, "payment", reason, case.id, case.customer_id, detail)
        )
        return False
    await tx.update_case(case.id, status=CaseStatus.CLOSED, closed_at=now)
    await stop_steps(tx, case.id)  # the follow-ups stop now
    await close_escalations(tx, case.id, now=now, by=actor, decision=CLOSED)
    await tx.audit(
        AuditRecord(now, actor, "closed", "paid in full", case.id, case.customer_id, detail)
    )
    return True


async def reverse_into_case(
    tx: Tx,
    invoice: Invoice,
    *,
    now: datetime,
    actor: str,
    detail: dict[str, Any],
    hours: StaffHours | None = None,
) -> int | None:
    """A refund or chargeback on an invoice a case covered: the case goes to staff.

    A closed case opens again (or, when the customer has another open case of the
    type, that case takes the invoice); the id of the case staff now hold, or None
    when no case ever covered the invoice.
    """
    cases = await tx.cases_for_invoice(invoice.id)
    if not cases:
        return None
    case = next((c for c in cases if c.is_open), None)
    if case is None:
        latest = cases[-1]
        case = await tx.open_case(latest.customer_id, latest.type)
        if case is None:
            await tx.reopen_case(latest.id, status=CaseStatus.ESCALATED)
            case = latest
        else:
            await tx.attach_invoice(case.id, invoice.id)
    why = f"payment reversed: {invoice.amount_due} due again on invoice {invoice.id}"
    reversed_ = EscalationReason.PAYMENT_REVERSED
    await escalate(tx, case, reversed_, now=now, actor=actor, why=why, hours=hours, detail=detail)
    return case.id


METHOD_UPDATED = "method_updated"


async def thank_for_method(tx: Tx, case: Case, *, now: datetime) -> None:
    """Thank a reachable customer whose payment method was fixed (a service, not a debt)."""
    link = await tx.channel_of(case.customer_id, TELEGRAM)
    if link is None or not link.reachable or await tx.is_opted_out(case.customer_id):
        return
    customer = await tx.get_customer(case.customer_id)
    params: dict[str, Any] = {"owed": case.amount_due is not None and case.amount_due.minor > 0}
    if customer is not None and customer.language:
        params["locale"] = customer.language
    await tx.enqueue(
        customer_id=case.customer_id,
        case_id=case.id,
        channel=TELEGRAM,
        template=METHOD_UPDATED,
        params=params,
        due_at=now,
        dedupe_key=f"case:{case.id}:{METHOD_UPDATED}:{now.date().isoformat()}",
    )


async def request_retry(
    tx: Tx, case: Case, *, now: datetime, actor: str, cause: str | None = None
) -> bool:
    """Ask billing to charge again; whether asked (not asked twice for the same cause).

    The customer's own requests count once a day; a method update is a cause of its own,
    so a card fixed after a retry the customer asked for the same day is retried again.
    """
    key = f"{case.id}:{cause or now.date()}"
    before = await tx.count_contacts(f"settle:retry_requested:{key}")
    await queue_billing_event(
        tx,
        kind="retry_requested",
        key=key,
        customer_id=case.customer_id,
        case_id=case.id,
        now=now,
        body={"reason": case.reason.value},
    )
    if before:
        return False
    await tx.audit(
        AuditRecord(
            now,
            actor,
            "retry requested",
            "billing asked to retry the charge",
            case.id,
            case.customer_id,
        )
    )
    return True
