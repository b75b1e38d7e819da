"""Reaching the customer about a case: the first message, follow-ups, and the fallback.

Telegram comes first once the customer linked a chat. Before that, or when the
chat is blocked, an email carries the deep link into Telegram (a bot cannot write
first) when billing gave an address and email is configured. A case nobody can
reach waits for a channel ("no channel yet"); one that loses its only channel
goes to staff.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot._escalations import StaffHours, escalate
from bot._ladder import Ladder
from bot._model import Case, CaseStage, CaseStatus, Customer, EscalationReason
from bot.ports import AuditRecord, Tx

__all__ = [
    "EMAIL",
    "FIRST_CONTACT",
    "PRE_LEGAL_NOTICE",
    "TELEGRAM",
    "Outreach",
    "customer_channel",
    "fall_back",
    "queue_follow_up",
    "start_contact",
]

TELEGRAM = "telegram"
EMAIL = "email"
FIRST_CONTACT = "first_contact"
# The message of a case entering the pre-legal stage (`bot._prelegal`).
PRE_LEGAL_NOTICE = "pre_legal_notice"
FOLLOW_UP_MESSAGE = "follow_up"


@dataclass(frozen=True, slots=True)
class Outreach:
    """How cases are pursued: the follow-up ladder, and whether email may be used."""

    ladder: Ladder = field(default_factory=Ladder.default)
    email: bool = False
    hours: StaffHours = field(default_factory=StaffHours)


async def start_contact(
    tx: Tx, case: Case, *, now: datetime, actor: str, outreach: Outreach | None = None
) -> CaseStatus:
    """Queue the case's first message on the best channel there is; the new status.

    Called again when a channel appears (a chat linked, a bot unblocked), it queues
    the first message there too; each channel's first message is queued once.
    """
    outreach = outreach or Outreach()
    customer = await tx.get_customer(case.customer_id)
    if await tx.is_opted_out(case.customer_id):
        status = CaseStatus.OPTED_OUT
    elif (channel := await _channel(tx, case.customer_id, customer, outreach)) is None:
        status = CaseStatus.NO_CHANNEL
    else:
        status = CaseStatus.CONTACTING
        await _queue_first(tx, case, channel, customer, now=now)
    if status is not case.status:
        await _set_status(tx, case, status, now=now, actor=actor, reason=f"case is {status}")
    return status


async def fall_back(
    tx: Tx, case: Case, *, now: datetime, actor: str, outreach: Outreach | None = None
) -> CaseStatus:
    """The customer's chat stopped working: the next channel, or staff when there is none."""
    if case.status is not CaseStatus.CONTACTING:
        return case.status
    outreach = outreach or Outreach()
    customer = await tx.get_customer(case.customer_id)
    if (channel := await _channel(tx, case.customer_id, customer, outreach)) is not None:
        await _queue_first(tx, case, channel, customer, now=now)
        return case.status
    why = "the customer cannot be reached on any channel"
    unreachable = EscalationReason.UNREACHABLE
    await escalate(tx, case, unreachable, now=now, actor=actor, why=why, hours=outreach.hours)
    return CaseStatus.ESCALATED


async def queue_follow_up(
    tx: Tx, case: Case, *, key: str, step: int, now: datetime, outreach: Outreach
) -> int | None:
    """Queue a ladder's follow-up on the customer's channel of the moment; its id or None.

    `key` names the ladder's row, so that a step run twice queues one message.
    """
    customer = await tx.get_customer(case.customer_id)
    channel = await _channel(tx, case.customer_id, customer, outreach)
    if channel is None:
        return None
    params = await first_contact_params(tx, case)
    params["follow_up"] = step
    params["while"] = [CaseStatus.CONTACTING.value]
    if channel == EMAIL:
        params = _for_email(params, customer)
    return await tx.enqueue(
        customer_id=case.customer_id,
        case_id=case.id,
        channel=channel,
        template=FOLLOW_UP_MESSAGE if channel == TELEGRAM else FIRST_CONTACT,
        params=params,
        due_at=now,
        dedupe_key=f"{key}:{channel}",
    )


async def customer_channel(tx: Tx, customer_id: str, outreach: Outreach) -> str | None:
    """The channel a message to the customer goes on now: Telegram once linked, else email."""
    return await _channel(tx, customer_id, await tx.get_customer(customer_id), outreach)


async def _channel(
    tx: Tx, customer_id: str, customer: Customer | None, outreach: Outreach
) -> str | None:
    link = await tx.channel_of(customer_id, TELEGRAM)
    if link is not None and link.reachable:
        return TELEGRAM
    if outreach.email and customer is not None and customer.email:
        return EMAIL
    return None


async def _queue_first(
    tx: Tx, case: Case, channel: str, customer: Customer | None, *, now: datetime
) -> None:
    params = await first_contact_params(tx, case)
    # A case handed over before the customer could be reached opens with the stage's notice.
    template = PRE_LEGAL_NOTICE if case.stage is CaseStage.PRE_LEGAL else FIRST_CONTACT
    key = f"case:{case.id}:{template}"
    if channel == EMAIL:
        params = _for_email(params, customer)
        key = f"{key}:{EMAIL}"
    else:
        # The chat is linked: an email still waiting (held for the night, say) would only
        # say again what the chat is about to say.
        await tx.cancel_queued_on_case(case.id, channel=EMAIL)
    await tx.enqueue(
        customer_id=case.customer_id,
        case_id=case.id,
        channel=channel,
        template=template,
        params=params,
        due_at=now,
        dedupe_key=key,
    )


def _for_email(params: dict[str, Any], customer: Customer | None) -> dict[str, Any]:
    """An email names the reason but no amount or date: the address is billing's, not a
    channel the customer proved with a link token (DESIGN.md), and may be read by others."""
    kept = {k: v for k, v in params.items() if k not in {"amount_minor", "currency", "due_on"}}
    return kept | {"to": customer.email if customer else None}


async def _set_status(
    tx: Tx, case: Case, status: CaseStatus, *, now: datetime, actor: str, reason: str
) -> None:
    await tx.update_case(case.id, status=status)
    await tx.audit(AuditRecord(now, actor, "status", reason, case.id, case.customer_id))


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
