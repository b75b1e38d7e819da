"""Entering the pre-legal stage: by the rules in settings, or because billing says so.

A case enters when its oldest unpaid invoice is `SETTLE_PRE_LEGAL_DAYS_OVERDUE` days
overdue and the pre-collection ladder ran out (nobody answered), or when
`SETTLE_PRE_LEGAL_BROKEN_AGREEMENTS` of its agreements broke; billing can also hand a
case over (a `collection_stage_changed` event, or `settle import --collection-list`).
A case a person is handling for another reason (a dispute, hardship, a request to talk)
is left where it is: collection waits for staff (COMPLIANCE rules 9 and 10).

Entering is announced to the customer in a message of its own and to staff as an
escalation that does not pause the case: staff may enable the final warning letter
from it (rule 15). A retention offer follows a few days later, as a scheduled step, and
waits for marketing consent or a conversation the customer started (rule 16).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot._callbacks import queue_billing_event
from bot._contact import EMAIL, PRE_LEGAL_NOTICE, TELEGRAM, Outreach, customer_channel
from bot._escalations import escalate
from bot._ladder import CASE, stop_steps
from bot._model import (
    Case,
    CaseStage,
    CaseStatus,
    CaseType,
    EscalationReason,
    Invoice,
    Reason,
)
from bot._settings import Settings
from bot.ports import AuditRecord, CaseView, Clock, Store, Tx

__all__ = [
    "PRE_LEGAL_NOTICE",
    "RETENTION_STEP",
    "PreLegalRules",
    "enter_pre_legal",
    "open_pre_legal",
    "promote_to_pre_legal",
    "ready_for_pre_legal",
]

logger = logging.getLogger(__name__)

# The scheduled step of the retention offer.
RETENTION_STEP = "retention_step"
# A person is on the case for one of these: it does not move on its own.
_STAFF_HOLDS = frozenset(
    {
        EscalationReason.DISPUTE,
        EscalationReason.HARDSHIP,
        EscalationReason.PERSON,
        EscalationReason.PAYMENT_REVERSED,
        EscalationReason.PAYMENT_NOT_SEEN,
        EscalationReason.SMALL_PAYMENT,
        EscalationReason.PLAN_REQUEST,
    }
)
# Statuses a case leaves for contacting (or no channel) when it enters the stage.
_REACHING = frozenset(
    {CaseStatus.CONTACTING, CaseStatus.ESCALATED, CaseStatus.AGREED, CaseStatus.NO_CHANNEL}
)
# The pre-collection escalations entering the stage answers: nobody could be reached.
_ANSWERED_BY_STAGE = frozenset({EscalationReason.NO_ANSWER, EscalationReason.UNREACHABLE})


@dataclass(frozen=True, slots=True)
class PreLegalRules:
    """When a case moves to pre-legal by itself; 0 turns a rule off."""

    days_overdue: int = 60
    broken_agreements: int = 2
    offer_after_days: int = 3


def ready_for_pre_legal(view: CaseView, rules: PreLegalRules, *, today: date) -> str | None:
    """Why the case should enter pre-legal now, or None."""
    case = view.case
    if not case.is_open or case.stage is not CaseStage.PRE_COLLECTION:
        return None
    if case.status in {CaseStatus.PAUSED, CaseStatus.OPTED_OUT} or not _owed(case):
        return None
    broken = sum(1 for record in view.audit if record.action == "broken")
    if rules.broken_agreements and broken >= rules.broken_agreements:
        return f"{broken} agreements broken"
    unpaid = [i.due_on for i in view.invoices if i.amount_due.minor > 0]
    overdue = (today - min(unpaid)).days if unpaid else 0
    no_answer = any(
        record.action == "escalated" and record.actor == "ladder" for record in view.audit
    )
    if rules.days_overdue and overdue >= rules.days_overdue and no_answer:
        return f"{overdue} days overdue and no answer to the follow-ups"
    return None


async def enter_pre_legal(
    tx: Tx,
    case: Case,
    *,
    now: datetime,
    actor: str,
    why: str,
    outreach: Outreach,
    rules: PreLegalRules,
) -> bool:
    """Move an open pre-collection case to pre-legal; whether it moved."""
    if not case.is_open or case.stage is not CaseStage.PRE_COLLECTION:
        return False
    waiting = await tx.open_escalation_of(case.id)
    if waiting is not None and waiting.reason in _STAFF_HOLDS:
        logger.info("case=%d stays: escalation=%d is with staff", case.id, waiting.id)
        return False
    if waiting is not None and waiting.reason in _ANSWERED_BY_STAGE:
        await tx.decide_escalation(waiting.id, by=actor, decision="pre-legal", at=now)
    channel = await customer_channel(tx, case.customer_id, outreach)
    status = case.status
    if status in _REACHING:
        status = CaseStatus.CONTACTING if channel else CaseStatus.NO_CHANNEL
    await tx.update_case(case.id, stage=CaseStage.PRE_LEGAL, stage_at=now, status=status)
    await stop_steps(tx, case.id)  # the pre-collection ladder ends
    detail = {"stage": CaseStage.PRE_LEGAL.value}
    await tx.audit(
        AuditRecord(now, actor, "stage", f"entered pre-legal: {why}", case.id, case.customer_id)
    )
    body = {"stage": CaseStage.PRE_LEGAL.value, "why": why}
    await queue_billing_event(
        tx,
        kind="stage_changed",
        key=f"{case.id}:pre-legal",
        customer_id=case.customer_id,
        case_id=case.id,
        now=now,
        body=body,
    )
    if status is CaseStatus.CONTACTING and channel is not None:
        await _announce(tx, case, channel, now=now, rules=rules)
    await escalate(
        tx,
        case,
        EscalationReason.PRE_LEGAL,
        now=now,
        actor=actor,
        why=f"entered pre-legal: {why}",
        hours=outreach.hours,
        detail=detail,
        pause=False,
        alert=False,  # the letter is staff's call, in their time
    )
    logger.info("case=%d entered pre-legal actor=%s", case.id, actor)
    return True


async def open_pre_legal(
    tx: Tx,
    *,
    customer_id: str,
    invoice: Invoice,
    now: datetime,
    actor: str,
    why: str,
    outreach: Outreach,
    rules: PreLegalRules,
) -> Case:
    """A debt billing hands over with no case open: a case opened straight in pre-legal."""
    case = await tx.insert_case(
        customer_id=customer_id,
        case_type=CaseType.C,
        reason=Reason.SUBSTANTIAL_OVERDUE,
        status=CaseStatus.NO_CHANNEL,
        opened_at=now,
        why={"handed_over": why, "invoice": invoice.id},
    )
    await tx.attach_invoice(case.id, invoice.id)
    opened = f"handed over by billing for pre-legal: {why}"
    await tx.audit(AuditRecord(now, actor, "opened", opened, case.id, customer_id))
    fresh = await tx.get_case(case.id) or case
    await enter_pre_legal(tx, fresh, now=now, actor=actor, why=why, outreach=outreach, rules=rules)
    return fresh


async def _announce(
    tx: Tx, case: Case, channel: str, *, now: datetime, rules: PreLegalRules
) -> None:
    """The customer's notice now, and the step that may offer a retention deal later."""
    fresh = await tx.get_case(case.id) or case
    customer = await tx.get_customer(case.customer_id)
    params: dict[str, Any] = {"while": [CaseStatus.CONTACTING.value]}
    if customer is not None and customer.language:
        params["locale"] = customer.language
    if channel == TELEGRAM and fresh.amount_due is not None:
        params |= {"amount_minor": fresh.amount_due.minor, "currency": fresh.amount_due.currency}
    if channel == EMAIL and customer is not None:
        params["to"] = customer.email  # no amount in an email (DESIGN.md)
    await tx.enqueue(
        customer_id=case.customer_id,
        case_id=case.id,
        channel=channel,
        template=PRE_LEGAL_NOTICE,
        params=params,
        due_at=now,
        # The keys of `bot._contact`'s first messages: one notice per channel.
        dedupe_key=f"case:{case.id}:{PRE_LEGAL_NOTICE}"
        + (f":{EMAIL}" if channel == EMAIL else ""),
    )
    if rules.offer_after_days:
        await tx.enqueue(
            customer_id=case.customer_id,
            case_id=case.id,
            channel=CASE,
            template=RETENTION_STEP,
            params={"while": [CaseStatus.CONTACTING.value]},
            due_at=now + timedelta(days=rules.offer_after_days),
            dedupe_key=f"case:{case.id}:{RETENTION_STEP}",
        )


def _owed(case: Case) -> bool:
    return case.amount_due is not None and case.amount_due.minor > 0


async def promote_to_pre_legal(store: Store, clock: Clock, settings: Settings) -> list[int]:
    """One pass over the open cases: those the rules call for enter pre-legal; their ids."""
    rules, now = settings.pre_legal, clock.now()
    if not (rules.days_overdue or rules.broken_agreements):
        return []
    today = now.astimezone(ZoneInfo(settings.default_timezone)).date()
    moved = []
    for view in await store.list_cases(open_only=True):
        why = ready_for_pre_legal(view, rules, today=today)
        if why is None:
            continue
        async with store.transaction() as tx:
            case = await tx.get_case(view.case.id)
            if case is not None and await enter_pre_legal(
                tx, case, now=now, actor="rules", why=why, outreach=settings.outreach, rules=rules
            ):
                moved.append(case.id)
    if moved:
        logger.info("cases entered pre-legal by the rules: %s", moved)
    return moved
