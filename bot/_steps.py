"""Scheduled case work: the outbox's sender for the internal `case` channel.

Ladder steps are outbox rows so that they survive restarts and show in `settle
outbox`; this sender does what a step says when it falls due. It reaches no
customer itself: a follow-up queues a message on the customer's channel of the
moment, which then passes the contact policy like any other.
"""

from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from bot._contact import TELEGRAM, Outreach, queue_follow_up
from bot._errors import Withdrawn
from bot._escalations import StaffHours, escalate
from bot._handoff import ask_for_handoff
from bot._ladder import CASE, ESCALATE, FOLLOW_UP
from bot._letters import LETTER_DEADLINE
from bot._model import Case, CaseStatus, Contact, EscalationReason
from bot._prelegal import RETENTION_STEP
from bot._retention import Catalogue
from bot.ports import Clock, SendResult, Store, Tx

__all__ = ["RETENTION_OFFER", "CaseSteps"]

logger = logging.getLogger(__name__)

# The chat message of a retention promotion (COMPLIANCE rule 16).
RETENTION_OFFER = "retention_offer"


class CaseSteps:
    """Implements the `Sender` port for the `case` channel."""

    channel = CASE
    needs_chat = False
    reaches_customer = False

    def __init__(
        self,
        store: Store,
        clock: Clock,
        outreach: Outreach,
        *,
        catalogue: Catalogue | None = None,
        default_timezone: str = "UTC",
    ) -> None:
        self._store = store
        self._clock = clock
        self._outreach = outreach
        self._catalogue = catalogue or Catalogue.default()
        self._zone = default_timezone

    async def send(self, contact: Contact) -> SendResult:
        if contact.case_id is None:
            raise ValueError(f"contact {contact.id}: a case step without a case")
        now = self._clock.now()
        async with self._store.transaction() as tx:
            if await tx.is_cancelled(contact.id):
                # Claimed before the case moved on (a new round, staff, a payment).
                raise Withdrawn(f"contact {contact.id}: the step was cancelled")
            case = await tx.get_case(contact.case_id)
            if case is not None and contact.template == LETTER_DEADLINE:
                # Whatever the case's status: a deadline passes for a quiet customer too.
                letter = int(contact.params["letter"])
                return await ask_for_handoff(tx, case, letter, now=now, hours=self._outreach.hours)
            if case is None or case.status is not CaseStatus.CONTACTING:
                # The outbox cancels such steps before they come here; a race lands here.
                return SendResult(f"skipped:{contact.id}")
            if contact.template == ESCALATE:
                await _hand_to_staff(tx, case, contact, now=now, hours=self._outreach.hours)
                return SendResult(f"escalated:{case.id}")
            if contact.template == FOLLOW_UP:
                return await self._follow_up(tx, case, contact, now=now)
            if contact.template == RETENTION_STEP:
                return await self._retention_offer(tx, case, now=now)
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

    async def _retention_offer(self, tx: Tx, case: Case, *, now: datetime) -> SendResult:
        """The best promotion the customer qualifies for, as a chat message marked a
        promotion: the outbox holds it without consent or a recent word from them."""
        link = await tx.channel_of(case.customer_id, TELEGRAM)
        customer = await tx.get_customer(case.customer_id)
        if link is None or not link.reachable or customer is None or case.amount_due is None:
            return SendResult(f"no chat:{case.id}")
        since = await tx.customer_since(case.customer_id)
        today = now.astimezone(ZoneInfo(customer.timezone or self._zone)).date()
        tenure = 0 if since is None else (today.year - since.year) * 12 + today.month - since.month
        offers = [
            entry
            for entry in self._catalogue.available(
                case.amount_due, case.stage, tenure_months=tenure, marketing=True
            )
            if entry.marketing and entry.authority == "bot"
        ]
        if not offers:
            return SendResult(f"no offer:{case.id}")
        offer = offers[0].terms(case.amount_due, today=today)
        params = {
            "offer": offer.to_json(),
            "promotion": True,
            "while": [CaseStatus.CONTACTING.value],
        }
        if customer.language:
            params["locale"] = customer.language
        queued = await tx.enqueue(
            customer_id=case.customer_id,
            case_id=case.id,
            channel=TELEGRAM,
            template=RETENTION_OFFER,
            params=params,
            due_at=now,
            dedupe_key=f"case:{case.id}:retention:{offer.source}",
        )
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
