"""The outbox worker: claim due contacts, send them, record what happened.

A contact is claimed atomically (it becomes `sending`), handed to its channel's sender,
then marked `sent` with the channel's message id. Contacts go out concurrently, one lane
per chat (`bot._lanes`); pacing is the channel's own (Telegram's rate limiter), the one
place all of a bot's traffic passes.

A stop between the channel accepting a message and the mark is the only way a message
goes out twice. The sender says when the message leaves (`handing_over`), the store notes
it, and at start the worker puts back what a stopped process left `sending` and counts
those that had left as possible duplicates (`settle_outbox_resent_total`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from contextvars import ContextVar
from dataclasses import replace
from datetime import datetime, timedelta

from bot._contact import FIRST_CONTACT, fall_back
from bot._errors import ChannelBlocked, RateLimited, Withdrawn
from bot._ladder import schedule_ladder
from bot._lanes import Lanes
from bot._metrics import Metrics
from bot._model import CaseStatus, Contact, ContactStatus
from bot._policy import NoContactTime, candidate_zones, next_allowed
from bot._respite import respite_hold
from bot._settings import Settings
from bot._takeover import STAFF_TEMPLATES, TAKEN_OVER
from bot.ports import AuditRecord, Clock, Released, Sender, SendResult, Store

__all__ = ["OutboxWorker", "handing_over"]

logger = logging.getLogger(__name__)

# With several workers on one database, a contact claimed longer ago than this belongs to a
# worker that died; alone on an SQLite file, every `sending` contact at start does.
_LEASE = timedelta(minutes=5)
# On stop, how long a message already in the channel's hands may take to be answered.
_STOP_GRACE = 10.0
# Telegram counts messages per second (https://core.telegram.org/bots/faq).
_RATE_PERIOD = 1.0
# The held rule of a chat's messages that wait for an earlier one put back for later.
_BEHIND = "behind an earlier message"

_handover: ContextVar[Callable[[], Awaitable[None]] | None] = ContextVar(
    "outbox_handover", default=None
)


async def handing_over() -> None:
    """Tell the outbox that the message being sent leaves now, in the channel's network call.

    Senders (or the rate limiter they pass through) await it just before the request that
    delivers; a stop from then until the contact is marked counts as a possible duplicate.
    Outside an outbox delivery, and after the first call, it does nothing.
    """
    hook = _handover.get()
    if hook is not None:
        _handover.set(None)
        await hook()


# A promotion may go without marketing consent inside a conversation the customer started:
# one in which they wrote or tapped within this long (the customer-service window that
# messaging platforms use for replies).
_CONVERSATION = timedelta(hours=24)
_PROMOTION_RECHECK = timedelta(days=1)
# A taken-over case's automated messages are looked at again this often (handing back
# releases them at once).
_TAKEN_OVER_RECHECK = timedelta(hours=1)


def backoff_seconds(attempts: int) -> float:
    """Seconds before try `attempts + 1`: 30 s doubling to an hour, with half of it jitter.

    Long enough to outlast a mail server's greylisting or a billing system's restart, so
    that SETTLE_OUTBOX_MAX_ATTEMPTS (12) tries span three to five hours.
    """
    ceiling = min(3600.0, 30.0 * 2.0 ** max(attempts - 1, 0))
    return ceiling / 2 + random.uniform(0, ceiling / 2)


async def _first_of(*events: asyncio.Event, within: float) -> None:
    """Wait until one of `events` is set, or `within` seconds."""
    waiters = [asyncio.ensure_future(event.wait()) for event in events]
    try:
        await asyncio.wait(waiters, timeout=within, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()


def _customer_started(heard: datetime | None, now: datetime) -> bool:
    return heard is not None and now - heard <= _CONVERSATION


class OutboxWorker:
    """Sends due contacts through the senders of their channels."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        settings: Settings,
        senders: Mapping[str, Sender],
        *,
        metrics: Metrics | None = None,
    ) -> None:
        self._store = store
        self._clock = clock
        self._settings = settings
        self._senders = dict(senders)
        self._metrics = metrics or Metrics()
        self._handed: set[int] = set()
        self._resume_at = 0.0
        # Rung when a transaction of this process queues rows on a channel: its feed claims
        # at once instead of at its next poll (other processes' rows wait for the poll).
        self._bells = {channel: asyncio.Event() for channel in self._senders}
        store.on_enqueued(self._ring)

    def _ring(self, channels: frozenset[str]) -> None:
        for channel in channels:
            if (bell := self._bells.get(channel)) is not None:
                bell.set()

    async def recover(self) -> Released:
        """Put back what a stopped process left `sending`; call once, before `run`."""
        released = await self._store.release_orphans(claimed_before=self._clock.now() - _LEASE)
        self._metrics.outbox_released.inc(released.count)
        self._metrics.outbox_resent.inc(len(released.handed))
        if released.count:
            # The stopped process sent until a moment ago, and the channel still counts those
            # messages against its limits, which this process's rate limiter cannot know:
            # the first pass waits until they are out of every window (`run`).
            hold = max(_RATE_PERIOD, self._settings.telegram_chat_interval_seconds)
            self._resume_at = time.monotonic() + hold
            logger.warning(
                "outbox put back %d contacts left sending by a stopped process; %d had "
                "reached their channel and may arrive twice: %s",
                released.count,
                len(released.handed),
                list(released.handed),
            )
        return released

    async def run_once(self) -> int:
        """Send what is due now on every channel; how many contacts were handled."""
        handled = 0
        for channel, sender in self._senders.items():
            due = await self._claim(channel, self._settings.outbox_batch)
            lanes = self._lanes(sender)
            lanes.add(due)
            await lanes.join()
            handled += len(due)
        return handled

    async def run(self, stop: asyncio.Event) -> None:
        """Send as contacts fall due, every channel at once, until `stop` is set."""
        logger.info(
            "outbox worker started channels=%s concurrency=%d",
            sorted(self._senders),
            self._settings.outbox_concurrency,
        )
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), self._resume_at - time.monotonic())
        await asyncio.gather(
            *(self._feed(channel, sender, stop) for channel, sender in self._senders.items())
        )
        logger.info("outbox worker stopped")

    async def _feed(self, channel: str, sender: Sender, stop: asyncio.Event) -> None:
        """Keep the channel's lanes fed: claim more once half of what was claimed is done."""
        batch = self._settings.outbox_batch
        low = batch // 2
        lanes = self._lanes(sender)
        bell = self._bells[channel]
        try:
            while not stop.is_set():
                room = batch - lanes.pending
                if lanes.pending <= low:
                    bell.clear()  # a row queued from here on rings again
                    due = await self._claim(channel, room)
                else:
                    due = []
                lanes.add(due)
                if lanes.pending > low:
                    await lanes.wait_below(low + 1, timeout=self._settings.outbox_poll_seconds)
                elif len(due) < room:
                    await _first_of(stop, bell, within=self._settings.outbox_poll_seconds)
        finally:
            await lanes.close(lambda contact: contact.id in self._handed, grace=_STOP_GRACE)

    async def _claim(self, channel: str, limit: int) -> list[Contact]:
        try:
            return await self._store.claim_due(channel=channel, now=self._clock.now(), limit=limit)
        except Exception:
            logger.exception("outbox claim failed channel=%s", channel)
            return []

    def _lanes(self, sender: Sender) -> Lanes:
        async def deliver(contact: Contact) -> datetime | None:
            return await self._deliver(sender, contact)

        return Lanes(deliver, self._put_back, limit=self._settings.outbox_concurrency)

    async def _deliver(self, sender: Sender, contact: Contact) -> datetime | None:
        """Deliver one contact; when it was put back for later, the time it will go."""
        if await self._out_of_step(contact):
            return None
        if sender.needs_chat and contact.chat_id is None:
            await self._finish(contact, ContactStatus.FAILED, error="no linked chat")
            return None
        if sender.reaches_customer and await self._held(contact):
            return None
        started = time.perf_counter()
        try:
            result = await self._send(sender, contact)
        except ChannelBlocked as error:
            await self._blocked(contact, str(error))
            return None
        except Withdrawn as error:
            await self._finish(contact, ContactStatus.CANCELLED, error=str(error))
            return None
        except RateLimited as error:
            self._metrics.rate_limited.labels(contact.channel).inc()
            retry_at = self._clock.now() + timedelta(seconds=error.retry_after)
            logger.warning(
                "contact=%d rate limited; retry in %.1f s", contact.id, error.retry_after
            )
            await self._finish(contact, ContactStatus.QUEUED, error=str(error), retry_at=retry_at)
            return retry_at
        except Exception as error:
            return await self._failed(contact, error)
        await self._finish(
            contact, ContactStatus.SENT, channel_message_id=result.channel_message_id
        )
        if sender.reaches_customer and contact.template == FIRST_CONTACT:
            await self._start_ladder(contact)
        logger.info(
            "contact=%d sent channel=%s template=%s case=%s duration_ms=%.0f",
            contact.id,
            contact.channel,
            contact.template,
            contact.case_id,
            (time.perf_counter() - started) * 1000,
        )
        return None

    async def _send(self, sender: Sender, contact: Contact) -> SendResult:
        async def hand_over() -> None:
            self._handed.add(contact.id)
            await self._store.hand_over(contact.id)

        token = _handover.set(hand_over)
        try:
            return await sender.send(contact)
        finally:
            _handover.reset(token)

    async def _put_back(self, contact: Contact, until: datetime) -> None:
        """Hold a chat's later message until an earlier one put back for later can go."""
        await self._store.hold_contact(contact.id, until=until, rule=_BEHIND)
        self._metrics.outbox.labels(contact.channel, "held").inc()

    async def _out_of_step(self, contact: Contact) -> bool:
        """Cancel a contact meant only while its case has some statuses, once it has another.

        Follow-ups carry `params["while"]`: they make sense only while the case is still being
        contacted, and whatever moved it on (payment, agreement, escalation) cancels them.
        """
        wanted = contact.params.get("while")
        if wanted is None or contact.case_id is None:
            return False
        async with self._store.transaction() as tx:
            case = await tx.get_case(contact.case_id)
        allowed = [wanted] if isinstance(wanted, str) else list(wanted)
        if case is None or case.status.value in allowed:
            return False
        await self._finish(contact, ContactStatus.CANCELLED, error=f"case is {case.status}")
        return True

    async def _held(self, contact: Contact) -> bool:
        """Whether the contact policy holds the message back (COMPLIANCE rules 1-4, 6, 11, 12)."""
        now = self._clock.now()
        async with self._store.transaction() as tx:
            customer = await tx.get_customer(contact.recipient)
            if customer is None:
                return False
            opted_out = await tx.is_opted_out(customer.id)
            case = None if contact.case_id is None else await tx.get_case(contact.case_id)
            profile = self._settings.profile_for(customer.country)
            sent: list[datetime] = []
            if contact.case_id is not None:
                since = now - profile.cap_window
                sent = await tx.sent_on_case(contact.case_id, since=since)
            promotion = bool(contact.params.get("promotion"))
            heard = await tx.last_heard_from(customer.id) if promotion else None
            cases = await tx.open_cases_of(customer.id)
            escalation = None if case is None else await tx.open_escalation_of(case.id)
        if opted_out:
            await self._finish(contact, ContactStatus.CANCELLED, error="customer opted out")
            return True
        if case is not None and not case.is_open:
            await self._finish(contact, ContactStatus.CANCELLED, error="case closed")
            return True
        if contact.template in STAFF_TEMPLATES:
            # A person writing in a live chat answers the customer; the timing rules are for
            # the bot's own messages. Opting out still stops them (COMPLIANCE rule 5).
            return False
        if escalation is not None and escalation.is_taken_over:
            await self._hold(contact, until=now + _TAKEN_OVER_RECHECK, rule=TAKEN_OVER)
            return True
        if promotion and not customer.marketing_consent and not _customer_started(heard, now):
            # Rule 16: a retention promotion is marketing. It waits, looked at again daily,
            # for consent from billing or for the customer to write to us.
            await self._hold(contact, until=now + _PROMOTION_RECHECK, rule="marketing consent")
            return True
        zones = candidate_zones(customer, default_zone=self._settings.default_timezone)
        # Rules 11 and 12: breathing space and a debt-advice pause hold before the timing rules,
        # which apply again when they end.
        respite = respite_hold(customer, contact, cases, zones=zones, now=now)
        if respite is not None:
            await self._hold(contact, until=respite[1], rule=respite[0])
            return True
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
        await self._hold(contact, until=decision.at, rule=decision.rule or "contact policy")
        return True

    async def _start_ladder(self, contact: Contact) -> None:
        """The follow-ups count their days from the first message that reached the customer
        (a first message held for the night must not be followed up the same morning)."""
        if contact.case_id is None:
            return
        async with self._store.transaction() as tx:
            case = await tx.get_case(contact.case_id)
            if case is not None and case.status is CaseStatus.CONTACTING:
                ladder = self._settings.outreach.ladder
                await schedule_ladder(tx, case, ladder, start=self._clock.now())

    async def _audit_dead(self, contact: Contact, error: Exception) -> None:
        """A message given up on is part of the case's story: staff see it in its history."""
        why = f"{contact.channel} {contact.template} not delivered after {contact.attempts} tries"
        detail = {"contact": contact.id, "error": type(error).__name__}
        record = AuditRecord(
            self._clock.now(), "outbox", "dead", why, contact.case_id, contact.customer_id, detail
        )
        async with self._store.transaction() as tx:
            await tx.audit(record)

    async def _hold(self, contact: Contact, *, until: datetime, rule: str) -> None:
        await self._store.hold_contact(contact.id, until=until, rule=rule)
        self._metrics.outbox.labels(contact.channel, "held").inc()
        logger.info("contact=%d held by %s until %s", contact.id, rule, until.isoformat())

    async def _failed(self, contact: Contact, error: Exception) -> datetime | None:
        if contact.attempts >= self._settings.outbox_max_attempts:
            logger.error(
                "contact=%d dead after %d attempts: %s",
                contact.id,
                contact.attempts,
                type(error).__name__,
            )
            await self._finish(contact, ContactStatus.DEAD, error=repr(error))
            await self._audit_dead(contact, error)
            return None
        delay = backoff_seconds(contact.attempts)
        logger.warning(
            "contact=%d attempt %d failed (%s); retry in %.1f s",
            contact.id,
            contact.attempts,
            type(error).__name__,
            delay,
        )
        retry_at = self._clock.now() + timedelta(seconds=delay)
        await self._finish(contact, ContactStatus.QUEUED, error=repr(error), retry_at=retry_at)
        return retry_at

    async def _blocked(self, contact: Contact, why: str) -> None:
        """The channel refuses this customer for good: the next channel, or staff.

        A chat that blocked the bot is marked unreachable (an unblock restores it); an
        address the mail server refuses leaves the case with Telegram if linked, else staff.
        """
        chat = contact.chat_id is not None
        reason = "customer blocked the bot" if chat else f"address refused: {why}"
        await self._finish(contact, ContactStatus.FAILED, error=reason)
        now = self._clock.now()
        outreach = self._settings.outreach
        if not chat:
            outreach = replace(outreach, email=False)  # the address is what was refused
        async with self._store.transaction() as tx:
            if contact.chat_id is not None:
                await tx.set_reachable(contact.channel, contact.chat_id, False)
            record = AuditRecord(
                now, "outbox", "unreachable", reason, contact.case_id, contact.customer_id
            )
            await tx.audit(record)
            for case in await tx.open_cases_of(contact.recipient):
                await fall_back(tx, case, now=now, actor="outbox", outreach=outreach)
        channel = contact.channel
        logger.warning("contact=%d %s; channel %s unreachable", contact.id, reason, channel)

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
        self._handed.discard(contact.id)
        self._metrics.outbox.labels(contact.channel, status.value).inc()
