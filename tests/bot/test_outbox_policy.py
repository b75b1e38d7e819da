"""The outbox applies the contact policy: held messages wait for the earliest allowed time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from telegram import Bot

from bot import (
    CaseStatus,
    CaseType,
    ContactStatus,
    Customer,
    Linking,
    OutboxWorker,
    Reason,
    Settings,
)
from bot.ports import ChannelLink
from handlers.emulators import TelegramEmulator
from handlers.telegram import TelegramSender
from storage import SqliteStore
from tests.conftest import FixedClock

TOKEN = "5151:policy-token"


@pytest.fixture
async def emulator() -> AsyncIterator[TelegramEmulator]:
    async with TelegramEmulator(token=TOKEN) as emu:
        yield emu


async def _worker(
    store: SqliteStore, clock: FixedClock, settings: Settings, emulator: TelegramEmulator
) -> AsyncIterator[tuple[OutboxWorker, TelegramEmulator]]:
    async with Bot(TOKEN, base_url=emulator.base_url) as bot:
        sender = TelegramSender(bot, Linking(store, clock, settings), settings)
        yield OutboxWorker(store, clock, settings, {sender.channel: sender}), emulator


@pytest.fixture
async def worker(
    store: SqliteStore, clock: FixedClock, settings: Settings, emulator: TelegramEmulator
) -> AsyncIterator[tuple[OutboxWorker, TelegramEmulator]]:
    # Pacing per chat has its own test; here it would only slow the others down.
    unpaced = settings.model_copy(update={"telegram_chat_interval_seconds": 0.0})
    async for pair in _worker(store, clock, unpaced, emulator):
        yield pair


@pytest.fixture
async def paced(
    store: SqliteStore, clock: FixedClock, settings: Settings, emulator: TelegramEmulator
) -> AsyncIterator[tuple[OutboxWorker, TelegramEmulator]]:
    async for pair in _worker(store, clock, settings, emulator):
        yield pair


async def _queue(store: SqliteStore, clock: FixedClock, *, zone: str, count: int = 1) -> int:
    async with store.transaction() as tx:
        await tx.upsert_customer(Customer("C-1", timezone=zone, country="US", locale="en_US"))
        await tx.link_channel(ChannelLink("C-1", "telegram", "77", clock.now()))
        case = await tx.insert_case(
            customer_id="C-1",
            case_type=CaseType.A,
            reason=Reason.EXPIRED_CARD,
            status=CaseStatus.CONTACTING,
            opened_at=clock.now(),
            why={},
        )
        for n in range(count):
            await tx.enqueue(
                customer_id="C-1",
                case_id=case.id,
                channel="telegram",
                template="first_contact",
                params={"reason": "expired_card"},
                due_at=clock.now(),
                dedupe_key=f"k{n}",
            )
    return case.id


async def test_a_message_due_at_0759_local_waits_for_0800(
    store: SqliteStore, clock: FixedClock, worker: tuple[OutboxWorker, TelegramEmulator]
) -> None:
    clock.moment = datetime(2024, 3, 5, 12, 59, tzinfo=UTC)  # 07:59 in New York (Tuesday)
    await _queue(store, clock, zone="America/New_York")

    await worker[0].run_once()
    [held] = await store.list_contacts()
    clock.moment = datetime(2024, 3, 5, 13, 0, tzinfo=UTC)
    await worker[0].run_once()

    assert (held.status, held.held_rule, held.due_at) == (
        ContactStatus.QUEUED,
        "window",
        clock.now(),
    )
    assert [c.status for c in await store.list_contacts()] == [ContactStatus.SENT]
    assert len(worker[1].calls("sendMessage")) == 1


async def test_the_eighth_message_in_a_week_waits(
    store: SqliteStore, clock: FixedClock, worker: tuple[OutboxWorker, TelegramEmulator]
) -> None:
    clock.moment = datetime(2024, 3, 5, 15, 0, tzinfo=UTC)  # 10:00 in New York
    await _queue(store, clock, zone="America/New_York", count=8)

    await worker[0].run_once()

    statuses = [(c.status, c.held_rule) for c in await store.list_contacts()]
    assert statuses[:7] == [(ContactStatus.SENT, None)] * 7
    assert statuses[7] == (ContactStatus.QUEUED, "frequency cap")


async def test_a_message_of_a_closed_case_is_cancelled_before_it_goes(
    store: SqliteStore, clock: FixedClock, worker: tuple[OutboxWorker, TelegramEmulator]
) -> None:
    clock.moment = datetime(2024, 3, 5, 15, 0, tzinfo=UTC)
    case_id = await _queue(store, clock, zone="America/New_York")
    async with store.transaction() as tx:
        await tx.update_case(case_id, status=CaseStatus.CLOSED, closed_at=clock.now())

    await worker[0].run_once()

    assert [c.status for c in await store.list_contacts()] == [ContactStatus.CANCELLED]
    assert worker[1].calls("sendMessage") == []


async def test_two_messages_to_one_chat_are_a_second_apart(
    store: SqliteStore, clock: FixedClock, paced: tuple[OutboxWorker, TelegramEmulator]
) -> None:
    clock.moment = datetime(2024, 3, 5, 15, 0, tzinfo=UTC)
    await _queue(store, clock, zone="America/New_York", count=2)

    await paced[0].run_once()

    first, second = paced[1].calls("sendMessage")
    assert second.time - first.time >= 0.95
