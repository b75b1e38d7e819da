"""Two workers on one PostgreSQL database: a chat's updates may reach either of them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from typing import Any

import pytest
from pydantic import SecretStr

from bot import CaseStatus, Settings, parse_event
from bot.app import Runtime, create_app
from handlers.emulators import TelegramEmulator
from tests.conftest import FixedClock, empty_postgres, served
from tests.handlers.telegram.test_conversation_flow import CHAT, TOKEN, Chat, _overdue

SECRET = "two-workers-secret"

Asgi = Callable[[dict[str, Any], Any, Any], Awaitable[None]]


@pytest.fixture
async def emulator() -> AsyncIterator[TelegramEmulator]:
    async with TelegramEmulator(token=TOKEN, username="settle_talk_bot") as emu:
        yield emu


def _counting(app: Asgi, name: str, hits: list[str]) -> Asgi:
    """The app, noting `name` each time an update reaches its webhook."""

    async def counted(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] == "/telegram":
            hits.append(name)
        await app(scope, receive, send)

    return counted


class Workers:
    """Two `settle serve` apps on one database; `to` points the bot's webhook at one."""

    def __init__(self, runtimes: dict[str, Runtime], ports: dict[str, int]) -> None:
        self.runtimes = runtimes
        self.ports = ports
        self.hits: list[str] = []

    async def to(self, name: str) -> None:
        bot = self.runtimes[name].telegram
        assert bot is not None
        url = f"http://127.0.0.1:{self.ports[name]}/telegram"
        await bot.bot.set_webhook(url, secret_token=SECRET)


@pytest.fixture
async def workers(
    settings: Settings, clock: FixedClock, emulator: TelegramEmulator, postgres_database: str
) -> AsyncIterator[Workers]:
    await empty_postgres(postgres_database)
    tuned = settings.model_copy(
        update={
            "database_url": postgres_database,
            "telegram_bot_token": SecretStr(TOKEN),
            "telegram_base_url": emulator.base_url,
            "telegram_secret_token": SecretStr(SECRET),
            "outbox_poll_seconds": 0.05,
            "substantial_min_amount": {"USD": "100"},
            "triage_every_hours": 0,
        }
    )
    hits: list[str] = []
    async with AsyncExitStack() as stack:
        runtimes, ports = {}, {}
        for name in ("A", "B"):
            runtime = Runtime.build(tuned, clock=clock)
            app = _counting(create_app(runtime), name, hits)
            ports[name] = await stack.enter_async_context(served(app))
            runtimes[name] = runtime
        pair = Workers(runtimes, ports)
        pair.hits = hits
        yield pair


async def test_a_conversation_alternating_between_two_workers_agrees_a_plan(
    workers: Workers, emulator: TelegramEmulator
) -> None:
    first = workers.runtimes["A"]
    body = _overdue()
    await first.ingest.accept("canonical", parse_event(body), body)
    link = await first.linking.deep_link("C-7")
    await workers.to("A")
    await emulator.send_text(CHAT, f"/start {link.rpartition('=')[2]}")
    await emulator.wait_for("sendMessage", chat_id=CHAT, count=2, timeout=10)
    chat = Chat(emulator)
    chat.seen = 2

    await workers.to("B")
    menu = await chat.say("/menu")
    await workers.to("A")
    plans = await chat.tap(menu, "Choose a payment plan")
    await workers.to("B")
    plan = await chat.tap(plans, "3 payments from $100.00")
    await workers.to("A")
    agreed = await chat.tap(plan, "I agree")

    view = (await workers.runtimes["B"].store.list_cases())[0]
    assert workers.hits == ["A", "B", "A", "B", "A"]
    assert agreed["text"] == (
        "Thank you, your plan is set. We'll remind you the day before each payment."
    )
    assert (view.case.status, len(view.agreements)) == (CaseStatus.AGREED, 1)
    assert [d.status for d in emulator.deliveries()] == [200] * 5
