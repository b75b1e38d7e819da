"""The outbox worker: claim due contacts, send them, record what happened.

A contact is claimed atomically (it becomes `sending`), handed to its channel's
sender, then marked `sent` with the channel's message id. A crash between the
channel accepting and the mark leaves it `sending`; `release_stale` puts it back,
so it is sent again: the only way a message goes out twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Mapping
from datetime import datetime, timedelta

from bot._errors import ChannelBlocked, RateLimited
from bot._model import CaseStatus, Contact, ContactStatus
from bot._policy import NoContactTime, candidate_zones, next_allowed, profile_for
from bot._settings import Settings
from bot.ports import AuditRecord, Clock, Sender, Store

__all__ = ["OutboxWorker"]

logger = logging.getLogger(__name__)

_STALE_AFTER = timedelta(minutes=5)


class OutboxWorker:
    """Sends due contacts through the senders of their channels."""

    def __init__(
        self, store: Store, clock: Clock, settings: Settings, senders: Mapping[str, Sender]
    ) -> None:
        self._store = store
        self._clock = clock
        self._settings = settings
        self._senders = dict(senders)
        self._last_sent: dict[str, float] = {}

    async def run_once(self) -> int:
        """Send what is due now on every channel; how many contacts were handled."""
        handled = 0
        for channel, sender in self._senders.items():
            due = await self._store.claim_due(
                channel=channel, now=self._clock.now(), limit=self._settings.outbox_batch
            )
            for contact in due:
                await self._deliver(sender, contact)
            handled += len(due)
        return handled

    async def run(self, stop: asyncio.Event) -> None:
        """Poll until `stop` is set; contacts left `sending` by a dead process are retried."""
        released = await self._store.release_stale(before=self._clock.now() - _STALE_AFTER)
        if released:
            logger.warning(
                "outbox released %d contacts left sending by a stopped process", released
            )
        logger.info("outbox worker started channels=%s", sorted(self._senders))
        while not stop.is_set():
            try:
                handled = await self.run_once()
            except Exception:
                logger.exception("outbox pass failed")
                handled = 0
            if handled == 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self._settings.outbox_poll_seconds)
        logger.info("outbox worker stopped")

    async def _deliver(self, sender: Sender, contact: Contact) -> None:
        if sender.needs_chat and contact.chat_id is None:
            await self._finish(contact, ContactStatus.FAILED, error="no linked chat")
            return
        if sender.needs_chat and await self._held(contact):
            return
        if contact.chat_id is not None:
            await self._pace(contact.chat_id)
        started = time.perf_counter()
        try:
            result = await sender.send(contact)
        except ChannelBlocked:
            await self._blocked(contact)
        except RateLimited as error:
            retry_at = self._clock.now() + timedelta(seconds=error.retry_after)
            logger.warning(
                "contact=%d rate limited; retry in %.1f s", contact.id, error.retry_after
            )
            await self._finish(contact, ContactStatus.QUEUED, error=str(error), retry_at=retry_at)
        except Exception as error:
            await self._failed(contact, error)
        else:
            await self._finish(
                contact, ContactStatus.SENT, channel_message_id=result.channel_message_id
            )
            logger.info(
                "contact=%d sent channel=%s template=%s case=%s duration_ms=%.0f",
                contact.id,
                contact.channel,
                contact.template,
                contact.case_id,
                (time.perf_counter() - started) * 1000,
            )

    async def _pace(self, chat_id: str) -> None:
        """At most one message a second to one chat (Telegram's limit, not its rate limiter's)."""
        interval = self._settings.telegram_chat_interval_seconds
        wait = self._last_sent.get(chat_id, -interval) + interval - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        self._last_sent[chat_id] = time.monotonic()

    async def _held(self, contact: Contact) -> bool:
        """Whether the contact policy holds the message back (COMPLIANCE rules 1 to 4, 6)."""
        now = self._clock.now()
        async with self._store.transaction() as tx:
            customer = await tx.get_customer(contact.customer_id)
            if customer is None:
                return False
            opted_out = await tx.is_opted_out(customer.id)
            case = None if contact.case_id is None else await tx.get_case(contact.case_id)
            profile = profile_for(
                customer.country,
                default=self._settings.contact_profile,
                overrides=self._settings.contact_profile_overrides,
            )
            sent: list[datetime] = []
            if contact.case_id is not None:
                since = now - profile.cap_window
                sent = await tx.sent_on_case(contact.case_id, since=since)
        if opted_out:
            await self._finish(contact, ContactStatus.CANCELLED, error="customer opted out")
            return True
        if case is not None and not case.is_open:
            await self._finish(contact, ContactStatus.CANCELLED, error="case closed")
            return True
        zones = candidate_zones(customer, default_zone=self._settings.default_timezone)
        try:
            decision = next_allowed(
                now, zones=zones, profile=profile, country=customer.country, sent=sent
            )
        except NoContactTime:
            error = "no moment is inside the window in every candidate time zone"
            await self._finish(contact, ContactStatus.FAILED, error=error)
            return True
        if decision.allowed:
            return False
        rule = decision.rule or "contact policy"
        await self._store.hold_contact(contact.id, until=decision.at, rule=rule)
        logger.info("contact=%d held by %s until %s", contact.id, rule, decision.at.isoformat())
        return True

    async def _failed(self, contact: Contact, error: Exception) -> None:
        if contact.attempts >= self._settings.outbox_max_attempts:
            logger.error(
                "contact=%d dead after %d attempts: %s",
                contact.id,
                contact.attempts,
                type(error).__name__,
            )
            await self._finish(contact, ContactStatus.DEAD, error=repr(error))
            return
        # Exponential backoff with full jitter, capped at an hour.
        delay = random.uniform(0, min(3600.0, 2.0**contact.attempts))
        logger.warning(
            "contact=%d attempt %d failed (%s); retry in %.1f s",
            contact.id,
            contact.attempts,
            type(error).__name__,
            delay,
        )
        retry_at = self._clock.now() + timedelta(seconds=delay)
        await self._finish(contact, ContactStatus.QUEUED, error=repr(error), retry_at=retry_at)

    async def _blocked(self, contact: Contact) -> None:
        await self._finish(contact, ContactStatus.FAILED, error="blocked by the customer")
        now = self._clock.now()
        async with self._store.transaction() as tx:
            assert contact.chat_id is not None
            await tx.set_reachable(contact.channel, contact.chat_id, False)
            if contact.case_id is not None:
                await tx.update_case(contact.case_id, status=CaseStatus.NO_CHANNEL)
                await tx.audit(
                    AuditRecord(
                        now,
                        "outbox",
                        "unreachable",
                        "customer blocked the bot",
                        contact.case_id,
                        contact.customer_id,
                    )
                )
        logger.warning("contact=%d chat blocked; channel marked unreachable", contact.id)

    async def _finish(
        self,
        contact: Contact,
        status: ContactStatus,
        *,
        channel_message_id: str | None = None,
        error: str | None = None,
        retry_at: datetime | None = None,
    ) -> None:
        await self._store.finish_contact(
            contact.id,
            status=status,
            at=self._clock.now(),
            channel_message_id=channel_message_id,
            error=error,
            retry_at=retry_at,
        )
