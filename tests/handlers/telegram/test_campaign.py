"""A campaign through the real path, against a Bot API emulator holding Telegram's limits.

Rows are queued in an SQLite file; the outbox worker claims them and sends them through the
Telegram sender and the Application's bot with its rate limiter; the emulator refuses, as
Telegram would, a 31st message in any second or a second message to one chat within a
second. One campaign runs for the module (about 12 s) and the tests read what it did.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

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
from bot.ports import ChannelLink
from handlers.emulators import ApiCall, Limits, TelegramEmulator
from handlers.telegram import TelegramSender, build_application
from storage import SqliteStore

TOKEN = "7070:campaign-token"
MESSAGES = 300
INJECT_AFTER = 150
RETRY_AFTER = 2
RATE = 30
FIRST_CHAT = 10_000


async def _messages(store: SqliteStore) -> list[Contact]:
    """The customer's messages, without the follow-up steps a first message schedules."""
    return [c for c in await store.list_contacts() if c.channel == "telegram"]


class RunningClock:
    """Real time from a Monday afternoon in New York, inside the contact window."""

    def __init__(self) -> None:
        self._start = datetime(2024, 3, 4, 19, 0, tzinfo=UTC)
        self._origin = time.monotonic()

    def now(self) -> datetime:
        return self._start + timedelta(seconds=time.monotonic() - self._origin)


@dataclass(frozen=True)
class Campaign:
    sent: list[ApiCall]  # every sendMessage the emulator answered, refused ones too
    stats: dict[str, Any]
    contacts: list[Contact]

    @property
    def accepted(self) -> list[ApiCall]:
        return [call for call in self.sent if call.status == 200]

    @property
    def refused(self) -> ApiCall:
        [call] = [call for call in self.sent if call.status == 429]
        return call


def _settings(tmp: Path, emulator: TelegramEmulator, **extra: Any) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=f"sqlite:///{tmp / 'settle.db'}",
        telegram_bot_token=SecretStr(TOKEN),
        telegram_base_url=emulator.base_url,
        telegram_bot_username="settle_campaign_bot",
        telegram_max_per_second=RATE,
        telegram_chat_interval_seconds=1.0,
        **extra,
    )


async def _queue(store: SqliteStore, clock: RunningClock, chats: list[int]) -> None:
    """One customer per chat, each with a case; a message per entry of `chats`, in order."""
    async with store.transaction() as tx:
        for n, chat in enumerate(chats):
            customer = f"C-{chat}"
            await tx.upsert_customer(
                Customer(customer, locale="en_US", timezone="America/New_York", country="US")
            )
            await tx.link_channel(ChannelLink(customer, "telegram", str(chat), clock.now()))
            case = await tx.open_case(customer, CaseType.A) or await tx.insert_case(
                customer_id=customer,
                case_type=CaseType.A,
                reason=Reason.EXPIRED_CARD,
                status=CaseStatus.CONTACTING,
                opened_at=clock.now(),
                why={},
            )
            await tx.enqueue(
                customer_id=customer,
                case_id=case.id,
                channel="telegram",
                template="first_contact",
                params={"reason": "card_declined", "amount_minor": 100 * (n + 1)}
                | {"currency": "USD", "locale": "en_US"},
                due_at=clock.now(),
                dedupe_key=f"campaign:{n}",
            )


async def _send(
    tmp: Path, emulator: TelegramEmulator, chats: list[int], until: int, *, inject: bool
) -> list[Contact]:
    """Queue a message per chat, run the worker until `until` are accepted; the contacts."""
    clock = RunningClock()
    settings = _settings(tmp, emulator)
    store = await SqliteStore.open(tmp / "settle.db", clock)
    await _queue(store, clock, chats)
    application = build_application(settings, polling=False)
    await application.initialize()
    sender = TelegramSender(application.bot, Linking(store, clock, settings), settings)
    worker = OutboxWorker(store, clock, settings, {sender.channel: sender})
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run(stop))
    if inject:
        await emulator.wait_for(_accepted, count=INJECT_AFTER, timeout=30)
        emulator.inject_429(retry_after=RETRY_AFTER)
    await emulator.wait_for(_accepted, count=until, timeout=60)
    await asyncio.sleep(0.5)  # room for a duplicate to show
    stop.set()
    await running
    await application.shutdown()
    contacts = await _messages(store)
    await store.close()
    return contacts


def _accepted(call: ApiCall) -> bool:
    return call.method == "sendMessage" and call.status == 200


async def _campaign(tmp: Path) -> Campaign:
    chats = list(range(FIRST_CHAT, FIRST_CHAT + MESSAGES))
    async with TelegramEmulator(TOKEN, limits=Limits(RATE, 1.0)) as emulator:
        contacts = await _send(tmp, emulator, chats, MESSAGES, inject=True)
        return Campaign(emulator.calls("sendMessage"), emulator.stats(), contacts)


@pytest.fixture(scope="module")
def campaign(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Campaign]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PTB_TIMEDELTA", "true")  # an int retry_after warns since PTB 22.2
        yield asyncio.run(_campaign(tmp_path_factory.mktemp("campaign")))


def test_every_chat_receives_its_message_exactly_once(campaign: Campaign) -> None:
    expected = {str(chat): 1 for chat in range(FIRST_CHAT, FIRST_CHAT + MESSAGES)}

    assert (campaign.stats["per_chat"], campaign.stats["duplicates"]) == (expected, 0)
    assert {c.status for c in campaign.contacts} == {ContactStatus.SENT}


def test_no_429_is_caused_by_the_sender(campaign: Campaign) -> None:
    assert campaign.stats["refused"] == {"sender": 0, "injected": 1}


def test_the_campaign_goes_at_no_less_than_95_percent_of_the_rate(campaign: Campaign) -> None:
    times = [call.time for call in campaign.accepted]
    before = [moment for moment in times if moment < campaign.refused.time]
    after = times[len(before) :]
    sending = (before[-1] - before[0]) + (after[-1] - after[0])

    rate = (len(times) - 2) / sending

    assert rate >= 0.95 * RATE


def test_an_injected_429_pauses_all_sending_for_its_retry_after(campaign: Campaign) -> None:
    resumed = next(call for call in campaign.accepted if call.time > campaign.refused.time)

    assert resumed.time - campaign.refused.time == pytest.approx(RETRY_AFTER, abs=0.2)


def test_the_refused_message_is_sent_again_once(campaign: Campaign) -> None:
    chat = campaign.refused.chat_id
    [refused] = [c for c in campaign.contacts if c.customer_id == f"C-{chat}"]

    assert campaign.stats["per_chat"][str(chat)] == 1
    assert (refused.status, refused.attempts) == (ContactStatus.SENT, 2)


async def test_messages_to_one_chat_arrive_a_second_apart_in_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    chats = [7, 8, 7, 9, 7, 7]
    async with TelegramEmulator(TOKEN, limits=Limits(RATE, 1.0)) as emulator:
        await _send(tmp_path, emulator, chats, len(chats), inject=False)
        to_seven = [call for call in emulator.calls("sendMessage") if call.chat_id == 7]
        refused = emulator.stats()["refused"]

    gaps = [b.time - a.time for a, b in itertools.pairwise(to_seven)]
    amounts = [call.params["text"].split("$")[1].split()[0] for call in to_seven]
    assert min(gaps) >= 1.0
    assert amounts == ["1.00", "3.00", "5.00", "6.00"]
    assert refused == {"sender": 0, "injected": 0}
