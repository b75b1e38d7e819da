"""What a customer can say in the skeleton conversation: stop, or ask for a person."""

from __future__ import annotations

import logging

from bot._contact import TELEGRAM, start_contact
from bot._model import CaseStatus
from bot.ports import AuditRecord, Clock, Store

__all__ = ["Conversation"]

logger = logging.getLogger(__name__)


class Conversation:
    """Customer actions from a chat, applied to the linked customer's cases."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    async def customer_of(self, chat_id: str) -> str | None:
        async with self._store.transaction() as tx:
            return await tx.customer_of_chat(TELEGRAM, chat_id)

    async def opt_out(self, chat_id: str) -> str | None:
        """Stop automated messages at once (COMPLIANCE rule 6); the customer, if linked."""
        now = self._clock.now()
        async with self._store.transaction() as tx:
            customer_id = await tx.customer_of_chat(TELEGRAM, chat_id)
            if customer_id is None:
                return None
            await tx.set_opted_out(customer_id, now)
            for case in await tx.open_cases_of(customer_id):
                await tx.update_case(case.id, status=CaseStatus.OPTED_OUT)
                await tx.audit(
                    AuditRecord(
                        now,
                        "customer",
                        "opted out",
                        "customer asked to stop messages",
                        case.id,
                        customer_id,
                    )
                )
            await tx.cancel_queued(customer_id)
        logger.info("opted out customer=%s", customer_id)
        return customer_id

    async def request_person(self, chat_id: str) -> list[int]:
        """Hand the customer's open cases to staff; the escalated case ids."""
        now = self._clock.now()
        async with self._store.transaction() as tx:
            customer_id = await tx.customer_of_chat(TELEGRAM, chat_id)
            if customer_id is None:
                return []
            cases = await tx.open_cases_of(customer_id)
            for case in cases:
                await tx.update_case(case.id, status=CaseStatus.ESCALATED)
                await tx.audit(
                    AuditRecord(
                        now,
                        "customer",
                        "escalated",
                        "customer asked for a person",
                        case.id,
                        customer_id,
                    )
                )
        logger.info("person requested customer=%s cases=%s", customer_id, [c.id for c in cases])
        return [case.id for case in cases]

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
                await start_contact(tx, case, now=now, actor="customer")
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
            await tx.audit(AuditRecord(now, "telegram", action, reason, None, customer_id))
            for case in await tx.open_cases_of(customer_id):
                if reachable or case.status is CaseStatus.CONTACTING:
                    await start_contact(tx, case, now=now, actor="telegram")
