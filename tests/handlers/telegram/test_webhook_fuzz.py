"""Arbitrary input to `POST /telegram`: never a 5xx, and what the handlers then make of an
accepted update never ends in their error handler.

The runtime is in webhook mode against the Bot API emulator; each example posts one body
(a mutated published sample update, arbitrary JSON, arbitrary bytes, or one over the size
limit) with the right secret header, or a right body with a wrong header.
"""

from __future__ import annotations

import asyncio
import copy
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from hypothesis import event, given
from hypothesis import strategies as st
from pydantic import SecretStr

from bot import Settings
from bot.app import Runtime, create_app
from handlers.emulators import TelegramEmulator
from tests.conftest import FixedClock, load_json
from tests.fuzzing import FUZZ
from tests.handlers.billing.test_webhooks_fuzz import json_values, scalars

TOKEN = "4343:fuzz-token"
SECRET = "telegram-webhook-secret"
HEADER = "X-Telegram-Bot-Api-Secret-Token"
LIMIT = 4096


def _as_telegram_sends(update: dict[str, Any]) -> dict[str, Any]:
    """The docs' samples leave out `from.is_bot` and `callback_query.chat_instance`, which
    the Bot API always sends."""
    for part in ("message", "edited_message", "callback_query"):
        sender = update.get(part, {}).get("from")
        if isinstance(sender, dict):
            sender.setdefault("is_bot", False)
    if "callback_query" in update:
        update["callback_query"].setdefault("chat_instance", "-42")
    return update


_SAMPLES = [
    _as_telegram_sends(update)
    for update in load_json("telegram", "telegram_docs_sample_updates.json")["updates"].values()
]
_PATHS = [
    "update_id",
    "message",
    "message.text",
    "message.chat",
    "message.chat.id",
    "message.chat.type",
    "message.from",
    "message.from.id",
    "message.from.language_code",
    "message.date",
    "message.message_id",
    "message.entities",
    "callback_query",
    "callback_query.data",
    "callback_query.from",
    "callback_query.id",
    "edited_message",
    "my_chat_member",
]
_texts = st.one_of(
    st.text(max_size=80),
    st.sampled_from(
        [
            "/start",
            "/start " + "A" * 32,
            "/start ../../etc/passwd",
            "/start " + "x" * 65,
            "/menu",
            "/language",
            "stop",
            "I dispute this",
            "\u202eevil",
            "\x00",
        ]
    ),
)
_fields = st.one_of(scalars, json_values, _texts)


def _set(document: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    target: Any = document
    for part in parents:
        if not isinstance(target.get(part), dict):
            target[part] = {}
        target = target[part]
    if value is ...:
        target.pop(last, None)
    else:
        target[last] = value


def _mutate(base: dict[str, Any], changes: list[tuple[str, Any]], serial: int) -> bytes:
    document = copy.deepcopy(base)
    document["update_id"] = serial
    for path, value in changes:
        _set(document, path, value)
    return json.dumps(document).encode()


_change = st.tuples(st.sampled_from(_PATHS), st.just(...) | _fields)
updates = st.builds(
    _mutate, st.sampled_from(_SAMPLES), st.lists(_change, max_size=4), st.integers(1, 2**31)
)
oversized = st.integers(LIMIT + 1, LIMIT * 4).map(lambda n: b'{"update_id": 1, "x": "' + b"a" * n)
# Well-formed updates whose words and button data are hostile: these reach the handlers.
_message, _callback = _SAMPLES[1], _SAMPLES[-1]
said = st.builds(
    _mutate,
    st.just(_message),
    st.lists(st.tuples(st.just("message.text"), _texts), max_size=1),
    st.integers(1, 2**31),
)
tapped = st.builds(
    _mutate,
    st.just(_callback),
    st.lists(st.tuples(st.just("callback_query.data"), _texts), min_size=1, max_size=1),
    st.integers(1, 2**31),
)
bodies = st.one_of(
    said,
    tapped,
    updates,
    json_values.map(lambda value: json.dumps(value).encode()),
    st.binary(max_size=300),
    oversized,
)


@pytest.fixture
async def webhook(
    settings: Settings, clock: FixedClock
) -> AsyncIterator[tuple[Runtime, httpx.AsyncClient]]:
    async with TelegramEmulator(token=TOKEN, username="settle_fuzz_bot") as emulator:
        tuned = settings.model_copy(
            update={
                "telegram_bot_token": SecretStr(TOKEN),
                "telegram_base_url": emulator.base_url,
                "telegram_secret_token": SecretStr(SECRET),
                "max_body_bytes": LIMIT,
            }
        )
        runtime = Runtime.build(tuned, clock=clock)
        await runtime.start()
        transport = httpx.ASGITransport(app=create_app(runtime))
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                yield runtime, client
        finally:
            await runtime.stop()


async def _handled(runtime: Runtime) -> None:
    """Wait until the update queued by the answer has been handled."""
    assert runtime.telegram is not None
    processor = runtime.telegram.update_processor
    for _ in range(500):
        if runtime.telegram.update_queue.empty() and processor.current_concurrent_updates == 0:
            return
        await asyncio.sleep(0.005)
    raise AssertionError("an update is still being handled after 2.5 s")


def _is_update(body: bytes) -> bool:
    try:
        value = json.loads(body)
    except ValueError:
        return False
    return isinstance(value, dict) and type(value.get("update_id")) is int


@FUZZ
@given(body=bodies, right_secret=st.sampled_from([True, True, True, True, False]))
async def test_telegram_webhook_never_fails(
    webhook: tuple[Runtime, httpx.AsyncClient],
    caplog: pytest.LogCaptureFixture,
    body: bytes,
    right_secret: bool,
) -> None:
    runtime, client = webhook
    headers = {HEADER: SECRET if right_secret else SECRET + "x"}
    caplog.clear()  # one fixture for every example

    with caplog.at_level(logging.ERROR):
        response = await client.post("/telegram", content=body, headers=headers)
        await _handled(runtime)

    event(f"{response.status_code}")
    assert response.status_code in (200, 400, 403, 413), response.text
    if not right_secret:
        assert response.status_code == 403
    elif len(body) > LIMIT:
        assert response.status_code == 413
    elif not _is_update(body):
        assert response.status_code == 400
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        ("message.chat.id", "message.chat.id is missing"),
        ("message.from.id", "message.from.id is missing"),
        ("callback_query.from.id", "callback_query.from.id is missing"),
    ],
)
async def test_an_update_without_the_id_to_answer_is_refused(
    webhook: tuple[Runtime, httpx.AsyncClient],
    caplog: pytest.LogCaptureFixture,
    path: str,
    problem: str,
) -> None:
    # Found by the fuzzing with more examples: a chat whose id was null was answered, and
    # the Bot API's "chat_id is empty" reached the error handler.
    runtime, client = webhook
    part, *keys = path.split(".")
    update = copy.deepcopy(next(u for u in _SAMPLES if part in u and _has(u[part], keys)))
    holder = update[part]
    for key in keys[:-1]:
        holder = holder[key]
    holder[keys[-1]] = None

    with caplog.at_level(logging.WARNING):
        response = await client.post("/telegram", json=update, headers={HEADER: SECRET})
        await _handled(runtime)

    assert response.status_code == 400
    assert response.json()["error"]["field"] == "body"
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert any(problem in r.getMessage() for r in caplog.records), problem


def _has(value: Any, keys: list[str]) -> bool:
    for key in keys:
        if not isinstance(value, dict) or key not in value:
            return False
        value = value[key]
    return True
