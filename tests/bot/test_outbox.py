"""The outbox worker: lanes per chat, steps that act only while a case is contacted, and
the accounting of what a stopped process may have sent twice.

The channel is a fake `Sender` (the port the worker talks to); the store is SQLite on disk.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from bot import (
    CaseStatus,
    CaseType,
    Contact,
    ContactStatus,
    Customer,
    OutboxWorker,
    RateLimited,
    Reason,
    Settings,
    handing_over,
)
from bot._metrics import Metrics
from bot.ports import ChannelLink, Released, SendResult
from storage import SqliteStore
from tests.conftest import FixedClock


class FakeChannel:
    """Records what it was given; can refuse a contact once, and say when a message leaves."""

    def __init__(self, channel: str = "telegram", *, needs_chat: bool = True) -> None:
        self.channel = channel
        self.needs_chat = needs_chat
        self.reaches_customer = needs_chat
        self.sent: list[Contact] = []
        self.refuse: dict[int, Exception] = {}
        self.busy = 0
        self.most_busy = 0

    async def send(self, contact: Contact) -> SendResult:
        self.busy += 1
        self.most_busy = max(self.most_busy, self.busy)
        try:
            await asyncio.sleep(0.01 * (contact.id % 3))
            if contact.id in self.refuse:
                raise self.refuse.pop(contact.id)
            await handing_over()
            self.sent.append(contact)
            return SendResult(f"m-{contact.id}")
        finally:
            self.busy -= 1


async def _case(store: SqliteStore, clock: FixedClock, customer: str, chat: str | None) -> int:
    async with store.transaction() as tx:
        await tx.upsert_customer(Customer(customer, timezone="America/New_York", country="US"))
        if chat is not None:
            await tx.link_channel(ChannelLink(customer, "telegram", chat, clock.now()))
        case = await tx.insert_case(
            customer_id=customer,
            case_type=CaseType.A,
            reason=Reason.EXPIRED_CARD,
            status=CaseStatus.CONTACTING,
            opened_at=clock.now(),
            why={},
        )
    return case.id


async def _queue(
    store: SqliteStore, clock: FixedClock, customer: str, case_id: int, key: str, **params: Any
) -> int:
    async with store.transaction() as tx:
        contact_id = await tx.enqueue(
            customer_id=customer,
            case_id=case_id,
            channel=params.pop("channel", "telegram"),
            template="first_contact",
            params={"reason": "expired_card", **params},
            due_at=clock.now(),
            dedupe_key=key,
        )
    assert contact_id is not None
    return contact_id


def _worker(
    store: SqliteStore,
    clock: FixedClock,
    settings: Settings,
    channel: FakeChannel,
    metrics: Metrics | None = None,
) -> OutboxWorker:
    return OutboxWorker(store, clock, settings, {channel.channel: channel}, metrics=metrics)


async def test_a_step_of_a_case_no_longer_contacted_is_cancelled_unsent(
    store: SqliteStore, clock: FixedClock, settings: Settings
) -> None:
    steps = FakeChannel("case", needs_chat=False)
    case_id = await _case(store, clock, "C-1", None)
    await _queue(store, clock, "C-1", case_id, "s1", channel="case", **{"while": ["contacting"]})
    async with store.transaction() as tx:
        await tx.update_case(case_id, status=CaseStatus.AGREED)

    await _worker(store, clock, settings, steps).run_once()

    [step] = await store.list_contacts()
    assert (step.status, step.last_error, steps.sent) == (
        ContactStatus.CANCELLED,
        "case is agreed",
        [],
    )


async def test_a_step_of_a_case_still_contacted_goes_out(
    store: SqliteStore, clock: FixedClock, settings: Settings
) -> None:
    steps = FakeChannel("case", needs_chat=False)
    case_id = await _case(store, clock, "C-1", None)
    await _queue(store, clock, "C-1", case_id, "s1", channel="case", **{"while": ["contacting"]})

    await _worker(store, clock, settings, steps).run_once()

    assert [c.status for c in await store.list_contacts()] == [ContactStatus.SENT]


async def test_lanes_run_at_once_but_each_chat_keeps_its_order(
    store: SqliteStore, clock: FixedClock, settings: Settings
) -> None:
    channel = FakeChannel()
    queued: dict[str, list[int]] = {}
    for chat in ("71", "72", "73"):
        case_id = await _case(store, clock, f"C-{chat}", chat)
        queued[chat] = [
            await _queue(store, clock, f"C-{chat}", case_id, f"{chat}-{n}") for n in range(4)
        ]

    await _worker(store, clock, settings, channel).run_once()

    sent = {chat: [c.id for c in channel.sent if c.chat_id == chat] for chat in queued}
    assert sent == queued
    assert 1 < channel.most_busy <= settings.outbox_concurrency


async def test_a_rate_limited_message_holds_the_rest_of_its_chat_for_as_long(
    store: SqliteStore, clock: FixedClock, settings: Settings
) -> None:
    channel = FakeChannel()
    case_id = await _case(store, clock, "C-1", "71")
    first = await _queue(store, clock, "C-1", case_id, "a")
    second = await _queue(store, clock, "C-1", case_id, "b")
    channel.refuse[first] = RateLimited(2.0)

    await _worker(store, clock, settings, channel).run_once()

    contacts = {c.id: c for c in await store.list_contacts()}
    retry_at = clock.now() + timedelta(seconds=2)
    assert channel.sent == []
    assert (contacts[first].status, contacts[first].due_at) == (ContactStatus.QUEUED, retry_at)
    assert (contacts[second].status, contacts[second].due_at, contacts[second].held_rule) == (
        ContactStatus.QUEUED,
        retry_at,
        "behind an earlier message",
    )


async def test_start_puts_back_what_a_stopped_process_left_and_counts_what_had_left(
    store: SqliteStore, clock: FixedClock, settings: Settings
) -> None:
    case_id = await _case(store, clock, "C-1", "71")
    ids = [await _queue(store, clock, "C-1", case_id, f"k{n}") for n in range(3)]
    await store.claim_due(channel="telegram", now=clock.now(), limit=3)
    await store.hand_over(ids[1])  # the process died while Telegram had this one
    metrics = Metrics()

    released = await _worker(store, clock, settings, FakeChannel(), metrics).recover()

    contacts = {c.id: c for c in await store.list_contacts()}
    assert released == Released(3, (ids[1],))
    assert {c.status for c in contacts.values()} == {ContactStatus.QUEUED}
    assert contacts[ids[1]].last_error is not None
    assert contacts[ids[1]].last_error.startswith("possibly sent")
    assert metrics.registry.get_sample_value("settle_outbox_resent_total") == 1
    assert metrics.registry.get_sample_value("settle_outbox_released_total") == 3


async def test_a_contact_is_marked_handed_over_while_its_channel_holds_it(
    store: SqliteStore, clock: FixedClock, settings: Settings
) -> None:
    marks: list[str | None] = []

    class Peeking(FakeChannel):
        async def send(self, contact: Contact) -> SendResult:
            await handing_over()
            [row] = await store.list_contacts()
            marks.append(row.last_error)
            return SendResult("m-1")

    case_id = await _case(store, clock, "C-1", "71")
    await _queue(store, clock, "C-1", case_id, "k")

    await _worker(store, clock, settings, Peeking()).run_once()

    [sent] = [c for c in await store.list_contacts() if c.channel == "telegram"]
    assert marks == ["handed to the channel; no answer yet"]
    assert (sent.status, sent.last_error) == (ContactStatus.SENT, None)


async def test_after_a_crash_the_first_pass_waits_out_the_channels_last_second(
    store: SqliteStore, clock: FixedClock, settings: Settings
) -> None:
    channel = FakeChannel()
    case_id = await _case(store, clock, "C-1", "71")
    await _queue(store, clock, "C-1", case_id, "k")
    await store.claim_due(channel="telegram", now=clock.now(), limit=1)  # then the crash
    worker = _worker(store, clock, settings, channel)
    await worker.recover()
    stop = asyncio.Event()

    running = asyncio.create_task(worker.run(stop))
    await asyncio.sleep(0.8)
    early = list(channel.sent)
    await asyncio.sleep(0.5)
    stop.set()
    await running

    assert (early, len(channel.sent)) == ([], 1)


def test_retries_wait_from_half_a_minute_doubling_to_an_hour() -> None:
    from bot._outbox import backoff_seconds

    waits = [[backoff_seconds(n) for _ in range(200)] for n in range(1, 12)]

    assert min(waits[0]) >= 15
    assert max(waits[0]) <= 30
    assert min(waits[1]) >= 30
    assert max(waits[1]) <= 60
    assert all(1800 <= w <= 3600 for w in waits[-1])
    # Eleven waits between twelve tries: two and a half to five hours.
    assert sum(min(w) for w in waits) >= 2.5 * 3600
    assert sum(max(w) for w in waits) <= 5.1 * 3600
