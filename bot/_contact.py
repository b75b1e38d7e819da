"""Starting contact on a case: the first message, or the wait for a channel."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot._model import Case, CaseStatus
from bot.ports import AuditRecord, Tx

__all__ = ["FIRST_CONTACT", "TELEGRAM", "start_contact"]

TELEGRAM = "telegram"
FIRST_CONTACT = "first_contact"


async def start_contact(tx: Tx, case: Case, *, now: datetime, actor: str) -> CaseStatus:
    """Queue the case's first message when the customer can be reached; the new status."""
    if await tx.is_opted_out(case.customer_id):
        status = CaseStatus.OPTED_OUT
    elif (link := await tx.channel_of(case.customer_id, TELEGRAM)) is None or not link.reachable:
        status = CaseStatus.NO_CHANNEL
    else:
        status = CaseStatus.CONTACTING
        await _queue_first(tx, case, now=now)
    if status is not case.status:
        await tx.update_case(case.id, status=status)
        await tx.audit(
            AuditRecord(now, actor, "status", f"case is {status}", case.id, case.customer_id)
        )
    return status


async def _queue_first(tx: Tx, case: Case, *, now: datetime) -> None:
    params = await first_contact_params(tx, case)
    await tx.enqueue(
        customer_id=case.customer_id,
        case_id=case.id,
        channel=TELEGRAM,
        template=FIRST_CONTACT,
        params=params,
        due_at=now,
        dedupe_key=f"case:{case.id}:{FIRST_CONTACT}",
    )


async def first_contact_params(tx: Tx, case: Case) -> dict[str, Any]:
    """What the first message shows: the reason, the amount due and the earliest due date."""
    fresh = await tx.get_case(case.id) or case
    params: dict[str, Any] = {"reason": fresh.reason.value}
    customer = await tx.get_customer(case.customer_id)
    if customer is not None and customer.language:
        params["locale"] = customer.language
    due = fresh.amount_due
    if due is not None and due.minor > 0:
        params["amount_minor"] = due.minor
        params["currency"] = due.currency
        unpaid = [await tx.get_invoice(invoice_id) for invoice_id in fresh.invoice_ids]
        dates = [i.due_on for i in unpaid if i is not None and i.amount_due.minor > 0]
        if dates:
            params["due_on"] = min(dates).isoformat()
    return params
