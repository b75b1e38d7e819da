"""The chat around the conversation: who it belongs to, opting back in, blocking."""

from __future__ import annotations

import logging
from datetime import datetime

from bot._callbacks import queue_billing_event
from bot._contact import EMAIL, TELEGRAM, Outreach, fall_back, start_contact
from bot._ladder import CASE
from bot._model import CaseStatus, TranscriptLine
from bot.ports import AuditRecord, Clock, Store, Tx

__all__ = ["Conversation", "opt_out"]

logger = logging.getLogger(__name__)


# Cases that wait for a way to reach the customer, or are being contacted; escalated,
# agreed and paused cases keep their status when a channel comes back.
_WAITING = frozenset({CaseStatus.NO_CHANNEL, CaseStatus.OPTED_OUT, CaseStatus.CONTACTING})


class Conversation:
    """Customer actions from a chat, applied to the linked customer's cases."""

    def __init__(self, store: Store, clock: Clock, outreach: Outreach | None = None) -> None:
        self._store = store
        self._clock = clock
        self._outreach = outreach or Outreach()

    async def customer_of(self, chat_id: str) -> str | None:
        async with self._store.transaction() as tx:
            return await tx.customer_of_chat(TELEGRAM, chat_id)

    async def locale_of(self, chat_id: str) -> str | None:
        """The linked customer's language: their own choice, else the billing record's."""
        async with self._store.reading() as tx:
            customer = await tx.customer_in_chat(TELEGRAM, chat_id)
        return None if customer is None else customer.language

    async def resume(self, chat_id: str) -> str | None:
        """A linked customer who says /start again gets automated messages again."""
        now = self._clock.now()
        async with self._store.transaction() as tx:
            customer_id = await tx.customer_of_chat(TELEGRAM, chat_id)
            if customer_id is None or not await tx.is_opted_out(customer_id):
                return customer_id
            await tx.set_opted_out(customer_id, None)
            await tx.audit(
                AuditRecord(
                    now, "customer", "opted in", "customer sent /start again", None, customer_id
                )
            )
            for case in await tx.open_cases_of(customer_id):
                if case.status in _WAITING:
                    await start_contact(
                        tx, case, now=now, actor="customer", outreach=self._outreach
                    )
        return customer_id

    async def set_reachable(self, chat_id: str, reachable: bool) -> None:
        """Record that the customer blocked or unblocked the bot."""
        now = self._clock.now()
        async with self._store.transaction() as tx:
            customer_id = await tx.set_reachable(TELEGRAM, chat_id, reachable)
            if customer_id is None:
                return
            action = "reachable" if reachable else "unreachable"
            reason = "customer unblocked the bot" if reachable else "customer blocked the bot"
            cases = await tx.open_cases_of(customer_id)
            # Written on each open case, so that its history shows why contact moved.
            case_ids: list[int | None] = [case.id for case in cases]
            for case_id in case_ids or [None]:
                record = AuditRecord(now, "telegram", action, reason, case_id, customer_id)
                await tx.audit(record)
            for case in cases:
                if reachable and case.status in _WAITING:
                    await start_contact(
                        tx, case, now=now, actor="telegram", outreach=self._outreach
                    )
                elif not reachable:
                    await fall_back(tx, case, now=now, actor="telegram", outreach=self._outreach)

    async def note(
        self,
        chat_id: str,
        *lines: tuple[str, str],
        case_id: int | None = None,
        customer_id: str | None = None,
    ) -> None:
        """Keep messages of the chat, each ("in" or "out", text), in the customer's transcript.

        `customer_id` and `case_id`, when the caller knows them (the case the messages were
        about, its customer linked to the chat), save looking them up.
        """
        now = self._clock.now()
        async with self._store.transaction() as tx:
            if customer_id is None:
                customer_id = await tx.customer_of_chat(TELEGRAM, chat_id)
            if customer_id is None:
                return
            if case_id is None:
                state = await tx.get_chat_state(TELEGRAM, chat_id)
                case_id = state.case_id if state else None
            kept = [
                TranscriptLine(now, TELEGRAM, direction, text[:_LONGEST], case_id)
                for direction, text in lines
            ]
            await tx.add_transcript(customer_id, *kept)


# Telegram's longest message; a transcript line keeps no more.
_LONGEST = 4096


async def opt_out(tx: Tx, customer_id: str, *, now: datetime) -> None:
    """Stop automated messages at once (COMPLIANCE rule 6); staff still see the cases."""
    await tx.set_opted_out(customer_id, now)
    for channel in (TELEGRAM, EMAIL, CASE):
        await tx.cancel_queued(customer_id, channel=channel)
    for case in await tx.open_cases_of(customer_id):
        await tx.update_case(case.id, status=CaseStatus.OPTED_OUT)
        reason = "customer asked to stop messages"
        await tx.audit(AuditRecord(now, "customer", "opted out", reason, case.id, customer_id))
    await queue_billing_event(
        tx,
        kind="opted_out",
        key=f"{customer_id}:{now.isoformat()}",
        customer_id=customer_id,
        case_id=None,
        now=now,
        body={},
    )
    logger.info("opted out customer=%s", customer_id)
