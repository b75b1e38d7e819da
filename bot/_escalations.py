"""Escalations: handing a case to staff, with a reason, a deadline and one decision.

An escalation is a row of its own, so that staff see why and since when a case
waits, and so that the first decision can win by a conditional update. Posting
it where staff work is an outbox row on the `slack` channel: it waits there
until the desk is connected, like any message.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot._ladder import stop_steps
from bot._model import Case, CaseStatus, Escalation, EscalationReason
from bot._offers import Offer
from bot.ports import AuditRecord, Tx

__all__ = ["SLACK", "StaffHours", "close_escalations", "escalate"]

logger = logging.getLogger(__name__)

SLACK = "slack"
POST = "escalation"
SLA_ALERT = "sla_alert"
# Escalations that tell staff of something the bot goes on with (a stage, a broken
# agreement): they stand beside an escalation for another reason.
_NOTICES = frozenset({EscalationReason.PRE_LEGAL, EscalationReason.BROKEN_AGREEMENT})


@dataclass(frozen=True, slots=True)
class StaffHours:
    """When staff work (Monday to Friday, `start` to `end` in `zone`) and the escalation SLA."""

    sla: timedelta = timedelta(hours=2)
    zone: str = "UTC"
    start: time = time(9, 0)
    end: time = time(17, 0)

    def deadline(self, opened: datetime) -> datetime:
        """`opened` plus the SLA counted in working time only."""
        zone = ZoneInfo(self.zone)
        moment = opened.astimezone(zone)
        left = self.sla
        while True:
            day_start = datetime.combine(moment.date(), self.start, tzinfo=zone)
            day_end = datetime.combine(moment.date(), self.end, tzinfo=zone)
            if moment.weekday() >= 5 or moment >= day_end:
                moment = _next_morning(moment, self.start, zone)
                continue
            moment = max(moment, day_start)
            if moment + left <= day_end:
                return (moment + left).astimezone(opened.tzinfo)
            left -= day_end - moment
            moment = _next_morning(moment, self.start, zone)


def _next_morning(moment: datetime, start: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(moment.date() + timedelta(days=1), start, tzinfo=zone)


async def escalate(
    tx: Tx,
    case: Case,
    reason: EscalationReason,
    *,
    now: datetime,
    actor: str,
    why: str,
    hours: StaffHours | None = None,
    request: str | None = None,
    detail: dict[str, Any] | None = None,
    proposal: Offer | None = None,
    pause: bool = True,
    alert: bool = True,
) -> Escalation:
    """Hand the case to staff; a case already waiting for staff keeps its escalation.

    The case's status becomes escalated (automated pressure stops), the audit says
    why, and the post for staff is queued. A `proposal` is the customer's own terms,
    which staff approve, reject or counter. With `pause` False the case goes on as it
    was: staff are asked for a decision the bot's work does not wait for; with `alert`
    False no alert is raised at its deadline. A stage's notice waiting for staff (the
    pre-legal stage's) stands beside a new escalation for another reason.
    """
    if pause:
        await tx.update_case(case.id, status=CaseStatus.ESCALATED)
        await stop_steps(tx, case.id)  # the follow-ups stop now
    await tx.audit(AuditRecord(now, actor, "escalated", why, case.id, case.customer_id, detail))
    waiting = await tx.open_escalation_of(case.id)
    if waiting is not None and waiting.reason in _NOTICES and waiting.reason is not reason:
        waiting = None
    if waiting is not None:
        if proposal is not None and proposal != waiting.proposal:
            # The customer's terms join the escalation staff already have; its post shows them.
            await tx.set_proposal(waiting.id, proposal)
            await tx.enqueue(
                customer_id=case.customer_id,
                case_id=case.id,
                channel=SLACK,
                template=POST,
                params={"escalation": waiting.id},
                due_at=now,
                dedupe_key=f"escalation:{waiting.id}:post:{now.isoformat()}",
            )
            return await tx.get_escalation(waiting.id) or waiting
        return waiting
    escalation = await tx.insert_escalation(
        case_id=case.id,
        customer_id=case.customer_id,
        reason=reason,
        request=request[:500] if request else None,
        opened_at=now,
        due_by=(hours or StaffHours()).deadline(now),
        proposal=proposal,
    )
    await tx.enqueue(
        customer_id=case.customer_id,
        case_id=case.id,
        channel=SLACK,
        template=POST,
        params={"escalation": escalation.id},
        due_at=now,
        dedupe_key=f"escalation:{escalation.id}:post",
    )
    if alert:
        # The alert when it still waits at its deadline; cancelled if the case moves on first.
        params: dict[str, Any] = {"escalation": escalation.id}
        if pause:
            params["while"] = [CaseStatus.ESCALATED.value]
        await tx.enqueue(
            customer_id=case.customer_id,
            case_id=case.id,
            channel=SLACK,
            template=SLA_ALERT,
            params=params,
            due_at=escalation.due_by,
            dedupe_key=f"escalation:{escalation.id}:sla",
        )
    logger.info("case=%d escalated reason=%s escalation=%d", case.id, reason, escalation.id)
    return escalation


async def close_escalations(
    tx: Tx,
    case_id: int,
    *,
    now: datetime,
    by: str,
    decision: str,
    reasons: frozenset[EscalationReason] | None = None,
) -> list[int]:
    """Close the case's undecided escalations (of `reasons` only, when given) as `decision`.

    Staff have nothing left to decide once the case closed or the customer agreed again,
    so the escalation leaves their queue and its post is brought up to date without its
    buttons. The ids closed.
    """
    closed: list[int] = []
    for escalation in await tx.escalations_of(case_id):
        if not escalation.is_open or (reasons is not None and escalation.reason not in reasons):
            continue
        if not await tx.decide_escalation(escalation.id, by=by, decision=decision, at=now):
            continue
        closed.append(escalation.id)
        if escalation.slack_ts is None:
            continue  # the post still queued is written decided when it goes
        await tx.enqueue(
            customer_id=escalation.customer_id,
            case_id=case_id,
            channel=SLACK,
            template=POST,
            params={"escalation": escalation.id},
            due_at=now,
            dedupe_key=f"escalation:{escalation.id}:post:{decision}",
        )
    if closed:
        logger.info("case=%d escalations=%s closed as %s", case_id, closed, decision)
    return closed
