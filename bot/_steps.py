"""Scheduled case work: the outbox's sender for the internal `case` channel.

Ladder steps are outbox rows so that they survive restarts and show in `settle
outbox`; this sender does what a step says when it falls due. It reaches no
customer itself: a follow-up queues a message on the customer's channel of the
moment, which then passes the contact policy like any other.
"""

from __future__ import annotations

import logging
from datetime import datetime

from bot._contact import Outreach, queue_follow_up
from bot._escalations import StaffHours, escalate
from bot._ladder import CASE, ESCALATE, FOLLOW_UP
from bot._model import Case, CaseStatus, Contact, EscalationReason
from bot.ports import Clock, SendResult, Store, Tx

__all__ = ["CaseSteps"]

logger = logging.getLogger(__name__)


class CaseSteps:
    """Implements the `Sender` port for the `case` channel."""

    channel = CASE
    needs_chat = False
    reaches_customer = False

    def __init__(self, store: Store, clock: Clock, outreach: Outreach) -> None:
        self._store = store
        self._clock = clock
        self._outreach = outreach

    async def send(self, contact: Contact) -> SendResult:
        if contact.case_id is None:
            raise ValueError(f"contact {contact.id}: a case step without a case")
        now = self._clock.now()
        async with self._store.transaction() as tx:
            case = await tx.get_case(contact.case_id)
            if case is None or case.status is not CaseStatus.CONTACTING:
                # The outbox cancels such steps before they come here; a race lands here.
                return SendResult(f"skipped:{contact.id}")
            if contact.template == ESCALATE:
                await _hand_to_staff(tx, case, contact, now=now, hours=self._outreach.hours)
                return SendResult(f"escalated:{case.id}")
            if contact.template == FOLLOW_UP:
                return await self._follow_up(tx, case, contact, now=now)
        raise ValueError(f"contact {contact.id}: unknown case step {contact.template!r}")

    async def _follow_up(self, tx: Tx, case: Case, step: Contact, *, now: datetime) -> SendResult:
        number = int(step.params.get("step", 1))
        queued = await queue_follow_up(
            tx, case, key=f"step:{step.id}", step=number, now=now, outreach=self._outreach
        )
        if queued is None:
            logger.info("case=%d follow-up %d: no channel to send it on", case.id, number)
            return SendResult(f"no channel:{case.id}")
        return SendResult(f"queued:{queued}")


async def _hand_to_staff(
    tx: Tx, case: Case, step: Contact, *, now: datetime, hours: StaffHours
) -> None:
    follow_ups = int(step.params.get("step", 1)) - 1
    why = f"no answer after the first message and {follow_ups} follow-ups"
    detail = {"ladder_step": step.params.get("step")}
    no_answer = EscalationReason.NO_ANSWER
    await escalate(
        tx, case, no_answer, now=now, actor="ladder", why=why, hours=hours, detail=detail
    )
