"""The outbox applies the contact policy: held messages wait for the earliest allowed time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from telegram.ext import ExtBot

from bot import (
    CaseStatus,
    CaseType,
    Contact,
    ContactStatus,
    Customer,
    Linking,
    OutboxWorker,
    Reason,
    Settings,
)
from bot._chat_state import ChatState, Step
from bot.ports import ChannelLink
from handlers.emulators import TelegramEmulator
from handlers.telegram import PacedRateLimiter, TelegramSender
from storage import SqliteStore
from tests.conftest import FixedClock

TOKEN = "5151:policy-token"


async def _messages(store: SqliteStore) -> list[Contact]:
    """The customer's messages, without the follow-up steps a first message schedules."""
    return [c for c in await store.list_contacts() if c.channel == "telegram"]


@pytest.fixture
async def emulator() -> AsyncIterator[TelegramEmulator]:
    async with TelegramEmulator(token=TOKEN) as emu:
        yield emu


async def _worker(
    store: SqliteStore, clock: FixedClock, settings: Settings, emulator: TelegramEmulator
) -> AsyncIterator[tuple[OutboxWorker, TelegramEmulator]]:
    # Pacing lives in the bot's rate limiter, which every Telegram call passes.
    limiter = PacedRateLimiter(
        per_second=settings.telegram_max_per_second,
        chat_interval=settings.telegram_chat_interval_seconds,
    )
    async with ExtBot(TOKEN, base_url=emulator.base_url, rate_limiter=limiter) as bot:
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
    one_a_second = settings.model_copy(update={"telegram_chat_interval_seconds": 1.0})
    async for pair in _worker(store, clock, one_a_second, emulator):
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
    [held] = await _messages(store)
    clock.moment = datetime(2024, 3, 5, 13, 0, tzinfo=UTC)
    await worker[0].run_once()

    assert (held.status, held.held_rule, held.due_at) == (
        ContactStatus.QUEUED,
        "window",
        clock.now(),
    )
    assert [c.status for c in await _messages(store)] == [ContactStatus.SENT]
    assert len(worker[1].calls("sendMessage")) == 1


async def test_the_eighth_message_in_a_week_waits(
    store: SqliteStore, clock: FixedClock, worker: tuple[OutboxWorker, TelegramEmulator]
) -> None:
    clock.moment = datetime(2024, 3, 5, 15, 0, tzinfo=UTC)  # 10:00 in New York
    await _queue(store, clock, zone="America/New_York", count=8)

    await worker[0].run_once()

    statuses = [(c.status, c.held_rule) for c in await _messages(store)]
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

    assert [c.status for c in await _messages(store)] == [ContactStatus.CANCELLED]
    assert worker[1].calls("sendMessage") == []


async def test_two_messages_to_one_chat_are_a_second_apart(
    store: SqliteStore, clock: FixedClock, paced: tuple[OutboxWorker, TelegramEmulator]
) -> None:
    clock.moment = datetime(2024, 3, 5, 15, 0, tzinfo=UTC)
    await _queue(store, clock, zone="America/New_York", count=2)

    await paced[0].run_once()

    first, second = paced[1].calls("sendMessage")
    assert second.time - first.time >= 0.95


# Rule 16: retention promotions are marketing.


def _chat_state() -> ChatState:
    return ChatState("telegram", "77", "C-1", None, Step.MENU, 1)


async def _queue_promotion(store: SqliteStore, clock: FixedClock, *, consent: bool | None) -> None:
    case_id = await _queue(store, clock, zone="America/New_York", count=0)
    async with store.transaction() as tx:
        await tx.upsert_customer(Customer("C-1", marketing_consent=consent))
        await tx.enqueue(
            customer_id="C-1",
            case_id=case_id,
            channel="telegram",
            template="first_contact",
            params={"reason": "expired_card", "promotion": True},
            due_at=clock.now(),
            dedupe_key="promotion",
        )


@pytest.mark.parametrize("consent", [False, None])
async def test_an_unsolicited_promotion_without_consent_is_held(
    store: SqliteStore,
    clock: FixedClock,
    worker: tuple[OutboxWorker, TelegramEmulator],
    consent: bool | None,
) -> None:
    clock.moment = datetime(2024, 3, 5, 15, 0, tzinfo=UTC)
    await _queue_promotion(store, clock, consent=consent)

    await worker[0].run_once()

    [held] = await _messages(store)
    assert (held.status, held.held_rule) == (ContactStatus.QUEUED, "marketing consent")
    assert held.due_at == clock.now() + timedelta(days=1)
    assert worker[1].calls("sendMessage") == []


async def test_a_promotion_goes_with_consent(
    store: SqliteStore, clock: FixedClock, worker: tuple[OutboxWorker, TelegramEmulator]
) -> None:
    clock.moment = datetime(2024, 3, 5, 15, 0, tzinfo=UTC)
    await _queue_promotion(store, clock, consent=True)

    await worker[0].run_once()

    assert [c.status for c in await _messages(store)] == [ContactStatus.SENT]


async def test_a_promotion_goes_inside_a_conversation_the_customer_started(
    store: SqliteStore, clock: FixedClock, worker: tuple[OutboxWorker, TelegramEmulator]
) -> None:
    clock.moment = datetime(2024, 3, 5, 15, 0, tzinfo=UTC)
    await _queue_promotion(store, clock, consent=False)
    async with store.transaction() as tx:
        await tx.save_chat_state(_chat_state())  # the customer wrote at 15:00
    clock.advance(hours=23)

    await worker[0].run_once()

    assert [c.status for c in await _messages(store)] == [ContactStatus.SENT]


async def test_a_conversation_a_day_old_no_longer_counts_for_a_promotion(
    store: SqliteStore, clock: FixedClock, worker: tuple[OutboxWorker, TelegramEmulator]
) -> None:
    clock.moment = datetime(2024, 3, 5, 15, 0, tzinfo=UTC)
    await _queue_promotion(store, clock, consent=False)
    async with store.transaction() as tx:
        await tx.save_chat_state(_chat_state())
    clock.advance(hours=24, minutes=1)

    await worker[0].run_once()

    [held] = await _messages(store)
    assert held.held_rule == "marketing consent"
