"""The emulator's flood control: Telegram's limits held strictly, injected 429s, the tally."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import AsyncIterator

import httpx
import pytest

from handlers.emulators import Limits, TelegramEmulator
from handlers.emulators._limits import FloodControl

TOKEN = "4242:flood-test-token"


@pytest.fixture
async def emulator() -> AsyncIterator[TelegramEmulator]:
    async with TelegramEmulator(token=TOKEN, limits=Limits(per_second=30)) as emulator:
        yield emulator


@pytest.fixture
async def raw(emulator: TelegramEmulator) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=f"{emulator.base_url}{TOKEN}/") as client:
        yield client


async def _send(raw: httpx.AsyncClient, chat_id: int, text: str = "hello") -> httpx.Response:
    return await raw.post("sendMessage", data={"chat_id": str(chat_id), "text": text})


async def test_a_31st_message_within_a_second_gets_telegrams_429(
    emulator: TelegramEmulator, raw: httpx.AsyncClient
) -> None:
    answers = [await _send(raw, chat) for chat in range(31)]

    assert [a.status_code for a in answers] == [200] * 30 + [429]
    assert answers[-1].json() == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 1",
        "parameters": {"retry_after": 1},
    }
    assert emulator.stats()["refused"] == {"sender": 1, "injected": 0}


async def test_a_second_message_to_one_chat_within_the_interval_is_refused(
    emulator: TelegramEmulator, raw: httpx.AsyncClient
) -> None:
    first = await _send(raw, 5, "one")
    second = await _send(raw, 5, "two")

    assert (first.status_code, second.status_code) == (200, 429)
    assert emulator.stats()["per_chat"] == {"5": 1}


async def test_an_injected_429_opens_a_flood_wait_the_sender_must_honour(
    emulator: TelegramEmulator, raw: httpx.AsyncClient
) -> None:
    emulator.inject_429(retry_after=3)

    injected = await _send(raw, 1)
    ignored = await _send(raw, 2)

    assert injected.json()["parameters"] == {"retry_after": 3}
    assert ignored.status_code == 429
    assert emulator.stats()["refused"] == {"sender": 1, "injected": 1}


async def test_stats_count_a_repeated_text_in_a_chat_as_a_duplicate() -> None:
    async with TelegramEmulator(token=TOKEN) as unlimited:
        origin = unlimited.base_url.removesuffix("/bot")
        async with httpx.AsyncClient(base_url=f"{unlimited.base_url}{TOKEN}/") as client:
            for text in ("hello", "hello", "bye"):
                await _send(client, 9, text)
            stats = (await client.get(f"{origin}/_emulator/stats")).json()

    assert (stats["delivered"], stats["duplicates"], stats["per_chat"]) == (3, 1, {"9": 3})


def test_the_emulator_runs_as_a_process_of_its_own() -> None:
    command = [sys.executable, "-m", "handlers.emulators", "telegram", "--limits"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as child:
        try:
            assert child.stdout is not None
            urls = json.loads(child.stdout.readline())
            token_url = f"{urls['base_url']}123456:TEST-emulator-token/sendMessage"
            sent = httpx.post(token_url, data={"chat_id": "3", "text": "hi"})
            stats = httpx.get(urls["stats"]).json()
        finally:
            child.terminate()

    assert (sent.status_code, stats["per_chat"], child.returncode) == (200, {"3": 1}, 0)


async def test_stats_name_the_rule_each_refusal_broke(
    emulator: TelegramEmulator, raw: httpx.AsyncClient
) -> None:
    await _send(raw, 5, "one")
    await _send(raw, 5, "two")
    emulator.inject_429(retry_after=1)
    await _send(raw, 6)
    await _send(raw, 7)

    assert emulator.stats()["broken"] == {"per chat": 1, "flood wait": 1}


def test_stats_give_each_chats_texts_in_order_and_the_busiest_second() -> None:
    moments = iter([0.0, 0.0, 1.5, 1.5, 2.0, 2.0, 2.2, 2.2])
    flood = FloodControl(Limits(per_second=30, chat_interval=1.0), clock=lambda: next(moments))
    for chat_id, text in ((5, "one"), (5, "two"), (6, "three"), (7, "four")):
        flood.check("sendMessage", {"chat_id": chat_id})
        flood.accepted("sendMessage", {"chat_id": chat_id, "text": text})

    stats = flood.stats(per_chat=False, texts=True)

    assert stats["texts"] == {"5": ["one", "two"], "6": ["three"], "7": ["four"]}
    assert stats["busiest_second"] == 3
