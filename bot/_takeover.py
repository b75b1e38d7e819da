"""Take over: a member of staff talks with the customer in place of the bot, then hands back.

While an escalation is taken over (`Escalation.taken_by`), the bot is silent on its case:
the outbox holds the case's automated messages (rule `TAKEN_OVER`) and the chat does not
answer with the dialogue. What the customer writes goes to the escalation's Slack thread,
and what staff write there goes to the customer, both as outbox rows so that a restart
loses neither. Handing back decides the escalation ("handed back") and the case is
contacted again.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from bot._contact import TELEGRAM
from bot._escalations import SLACK
from bot._model import CaseStatus, Escalation
from bot.ports import AuditRecord, Clock, Store, Tx

__all__ = ["CUSTOMER_WROTE", "STAFF_TEMPLATES", "TAKEN_OVER", "TakeOver", "tell_customer"]

logger = logging.getLogger(__name__)

STAFF_JOINED = "staff_joined"
STAFF_LEFT = "staff_left"
STAFF_SAID = "staff_said"
CUSTOMER_WROTE = "customer_wrote"
# The Telegram rows a person sends: the only ones that go out while a case is taken over.
STAFF_TEMPLATES = frozenset({STAFF_JOINED, STAFF_LEFT, STAFF_SAID})
# The held rule of a taken-over case's automated messages; handing back releases them.
TAKEN_OVER = "taken over by staff"
HANDED_BACK = "handed back"


class TakeOver:
    """Staff taking conversations over and handing them back, and the messages between."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    async def take(self, escalation_id: int, *, by: str, name: str | None) -> Escalation | None:
        """`by` takes the conversation over; None if it is decided or someone has it."""
        now = self._clock.now()
        async with self._store.transaction() as tx:
            if not await tx.set_taken_by(escalation_id, by=by):
                return None
            escalation = await tx.get_escalation(escalation_id)
            assert escalation is not None  # the update just found it
            await _audit(tx, escalation, now, by, "taken over")
            params = {"name": name} if name else {}
            await tell_customer(tx, escalation, STAFF_JOINED, params, now, key="joined")
        logger.info("escalation=%d taken over user=%s", escalation_id, by)
        return escalation

    async def hand_back(self, escalation_id: int, *, by: str) -> Escalation | None:
        """Return the case to the bot; None unless the escalation was taken over."""
        now = self._clock.now()
        async with self._store.transaction() as tx:
            if not await tx.set_taken_by(escalation_id, by=None):
                return None
            await tx.decide_escalation(escalation_id, by=by, decision=HANDED_BACK, at=now)
            escalation = await tx.get_escalation(escalation_id)
            assert escalation is not None  # the update just found it
            await tx.update_case(escalation.case_id, status=CaseStatus.CONTACTING)
            await tx.release_held(escalation.customer_id, rule=TAKEN_OVER, now=now)
            await _audit(tx, escalation, now, by, HANDED_BACK)
            await tell_customer(tx, escalation, STAFF_LEFT, {}, now, key="left")
        logger.info("escalation=%d handed back user=%s", escalation_id, by)
        return escalation

    async def thread_of(self, channel: str, thread_ts: str) -> Escalation | None:
        """The taken-over escalation whose post starts this Slack thread, if one is."""
        async with self._store.reading() as tx:
            escalation = await tx.escalation_at_post(channel, thread_ts)
        return escalation if escalation is not None and escalation.is_taken_over else None

    async def from_staff(self, escalation: Escalation, *, text: str, ts: str) -> None:
        """Send the customer what staff wrote in the escalation's thread (message `ts`)."""
        async with self._store.transaction() as tx:
            params = {"text": text}
            now = self._clock.now()
            await tell_customer(tx, escalation, STAFF_SAID, params, now, key=f"said:{ts}")

    async def from_customer(self, chat_id: str, *, text: str, message_id: int) -> bool:
        """Pass what the customer wrote to the thread of the escalation staff took over.

        False when no one has taken the customer's conversation over: the bot answers.
        """
        now = self._clock.now()
        async with self._store.reading() as tx:
            # Nearly always no one has: found without waiting for the writers.
            if await tx.taken_over_in_chat(TELEGRAM, chat_id) is None:
                return False
        async with self._store.transaction() as tx:
            escalation = await tx.taken_over_in_chat(TELEGRAM, chat_id)
            if escalation is None:
                return False
            await tx.enqueue(
                customer_id=escalation.customer_id,
                case_id=escalation.case_id,
                channel=SLACK,
                template=CUSTOMER_WROTE,
                params={"escalation": escalation.id, "text": text[:3000]},
                due_at=now,
                dedupe_key=f"escalation:{escalation.id}:customer:{chat_id}:{message_id}",
            )
        return True

    async def is_taken_over(self, chat_id: str) -> bool:
        """Whether a person has the chat's conversation, so that the bot keeps quiet."""
        async with self._store.reading() as tx:
            return await tx.taken_over_in_chat(TELEGRAM, chat_id) is not None


async def _audit(tx: Tx, escalation: Escalation, now: datetime, by: str, action: str) -> None:
    why = f"{action} escalation {escalation.id} in Slack"
    detail = {"escalation": escalation.id, "channel": "slack"}
    await tx.audit(
        AuditRecord(now, by, action, why, escalation.case_id, escalation.customer_id, detail)
    )


async def tell_customer(
    tx: Tx,
    escalation: Escalation,
    template: str,
    params: dict[str, Any],
    now: datetime,
    *,
    key: str,
) -> None:
    customer = await tx.get_customer(escalation.customer_id)
    locale = None if customer is None else customer.language
    await tx.enqueue(
        customer_id=escalation.customer_id,
        case_id=escalation.case_id,
        channel=TELEGRAM,
        template=template,
        params={**params, "locale": locale, "escalation": escalation.id},
        due_at=now,
        dedupe_key=f"escalation:{escalation.id}:{key}",
    )
