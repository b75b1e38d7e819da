"""A chat links with /start <token> and receives the first message of its open case.

The whole product runs: python-telegram-bot talks to the Bot API emulator on
loopback through its base URL, storage is a SQLite file, nothing is patched.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot import CaseStatus, ContactStatus, Settings, parse_event
from bot.app import Runtime, create_app
from handlers.emulators import TelegramEmulator
from tests.conftest import FixedClock, served

TOKEN = "4242:flow-test-token"
CHAT = 1001


def _payment_failed(event_id: str = "evt-1") -> dict[str, Any]:
    return {
        "id": event_id,
        "type": "payment_failed",
        "occurred_at": "2024-03-01T09:15:00+02:00",
        "customer": {"id": "C-1001", "locale": "en_US", "country": "US"},
        "invoice": {
            "id": "INV-77",
            "amount": "412.90",
            "currency": "USD",
            "issued_on": "2024-02-01",
            "due_on": "2024-02-15",
        },
        "payment_method": {"kind": "card", "reason": "expired_card", "last4": "4242"},
    }


@pytest.fixture
async def emulator() -> AsyncIterator[TelegramEmulator]:
    async with TelegramEmulator(token=TOKEN, username="settle_flow_bot") as emu:
        yield emu


def _telegram_settings(settings: Settings, emulator: TelegramEmulator, **extra: Any) -> Settings:
    return settings.model_copy(
        update={
            "telegram_bot_token": TOKEN,
            "telegram_base_url": emulator.base_url,
            "telegram_bot_username": None,
            "outbox_poll_seconds": 0.05,
            **extra,
        }
    )


async def _ingest(runtime: Runtime, body: dict[str, Any]) -> None:
    text = json.dumps(body)
    await runtime.ingest.accept("canonical", parse_event(text), text)


@pytest.fixture
async def polling_runtime(
    settings: Settings, emulator: TelegramEmulator, clock: FixedClock
) -> AsyncIterator[Runtime]:
    from pydantic import SecretStr

    tuned = _telegram_settings(settings, emulator, telegram_bot_token=SecretStr(TOKEN))
    runtime = Runtime.build(tuned, clock=clock, polling=True)
    await runtime.start()
    yield runtime
    await runtime.stop()


async def _link(runtime: Runtime, emulator: TelegramEmulator) -> str:
    link = await runtime.linking.deep_link("C-1001")
    token = link.rpartition("?start=")[2]
    await emulator.send_text(CHAT, f"/start {token}")
    return link


async def test_deep_link_names_the_bot_and_carries_no_ids(
    polling_runtime: Runtime,
) -> None:
    await _ingest(polling_runtime, _payment_failed())

    link = await polling_runtime.linking.deep_link("C-1001")

    assert link.startswith("https://t.me/settle_flow_bot?start=")
    assert "C-1001" not in link
    assert "INV-77" not in link


async def test_linked_chat_receives_first_message_with_amount_and_buttons(
    polling_runtime: Runtime, emulator: TelegramEmulator
) -> None:
    await _ingest(polling_runtime, _payment_failed())

    await _link(polling_runtime, emulator)
    await emulator.wait_for("sendMessage", chat_id=CHAT, count=2, timeout=10)

    welcome, first = emulator.sent_messages(CHAT)[:2]
    buttons = [b for row in first["reply_markup"]["inline_keyboard"] for b in row]
    assert "connected to your account" in welcome["text"]
    assert "expired" in first["text"]
    assert "$412.90" in first["text"]
    assert [b["text"] for b in buttons] == [
        "Update payment method",
        "Pay now",
        "Talk to a person",
        "Stop messages",
    ]
    assert buttons[0]["url"].startswith("https://billing.example.com/payment-method?token=")
    assert [b.get("callback_data") for b in buttons[2:]] == ["escalate:person:0", "stop::0"]


async def test_first_message_is_recorded_as_sent_and_case_is_contacting(
    polling_runtime: Runtime, emulator: TelegramEmulator
) -> None:
    await _ingest(polling_runtime, _payment_failed())

    await _link(polling_runtime, emulator)
    await emulator.wait_for("sendMessage", chat_id=CHAT, count=2, timeout=10)
    await asyncio.sleep(0.2)

    view = (await polling_runtime.store.list_cases())[0]
    contact = view.contacts[0]
    first = emulator.sent_messages(CHAT)[1]
    assert view.case.status is CaseStatus.CONTACTING
    assert (contact.status, contact.channel_message_id) == (
        ContactStatus.SENT,
        str(first["message_id"]),
    )


async def test_used_token_links_nothing_the_second_time(
    polling_runtime: Runtime, emulator: TelegramEmulator
) -> None:
    await _ingest(polling_runtime, _payment_failed())
    link = await polling_runtime.linking.deep_link("C-1001")
    token = link.rpartition("?start=")[2]
    await emulator.send_text(CHAT, f"/start {token}")
    await emulator.wait_for("sendMessage", chat_id=CHAT, timeout=10)

    await emulator.send_text(2002, f"/start {token}")
    await emulator.wait_for("sendMessage", chat_id=2002, timeout=10)

    assert "can't be used" in emulator.sent_messages(2002)[0]["text"]
    assert await polling_runtime.conversation.customer_of("2002") is None


async def test_unlinked_chat_asking_what_it_owes_gets_no_amount(
    polling_runtime: Runtime, emulator: TelegramEmulator
) -> None:
    await _ingest(polling_runtime, _payment_failed())

    await emulator.send_text(3003, "how much do I owe?")
    await emulator.wait_for("sendMessage", chat_id=3003, timeout=10)

    reply = emulator.sent_messages(3003)[0]["text"]
    assert "412" not in reply
    assert "can't show any account details" in reply


async def test_case_without_a_linked_chat_waits_with_no_channel_status(
    polling_runtime: Runtime, emulator: TelegramEmulator
) -> None:
    await _ingest(polling_runtime, _payment_failed())
    await asyncio.sleep(0.2)

    view = (await polling_runtime.store.list_cases())[0]
    assert (view.case.status, view.contacts, emulator.calls("sendMessage")) == (
        CaseStatus.NO_CHANNEL,
        (),
        [],
    )


async def test_stop_button_opts_out_and_confirms_once(
    polling_runtime: Runtime, emulator: TelegramEmulator
) -> None:
    await _ingest(polling_runtime, _payment_failed())
    await _link(polling_runtime, emulator)
    await emulator.wait_for("sendMessage", chat_id=CHAT, count=2, timeout=10)
    first = emulator.sent_messages(CHAT)[1]

    await emulator.press_button(CHAT, first["message_id"], "stop")
    await emulator.wait_for("sendMessage", chat_id=CHAT, count=3, timeout=10)
    await _ingest(polling_runtime, {**_payment_failed("evt-2"), "id": "evt-2"})
    await asyncio.sleep(0.3)

    view = (await polling_runtime.store.list_cases())[0]
    assert "won't get any more automated messages" in emulator.sent_messages(CHAT)[2]["text"]
    assert len(emulator.calls("sendMessage")) == 3
    assert view.case.status is CaseStatus.OPTED_OUT


async def test_blocked_chat_fails_the_contact_and_marks_the_channel_unreachable(
    polling_runtime: Runtime, emulator: TelegramEmulator
) -> None:
    customer = {"id": "C-1001", "locale": "en_US"}
    hello = {"id": "hello", "type": "customer_updated", "occurred_at": "2024-02-01T00:00:00Z"}
    await _ingest(polling_runtime, {**hello, "customer": customer})
    link = await polling_runtime.linking.deep_link("C-1001")
    await emulator.send_text(CHAT, f"/start {link.rpartition('?start=')[2]}")
    await emulator.wait_for("sendMessage", chat_id=CHAT, timeout=10)
    emulator.block(CHAT)

    await _ingest(polling_runtime, _payment_failed())
    await emulator.wait_for("sendMessage", chat_id=CHAT, count=2, timeout=10)
    await asyncio.sleep(0.3)

    view = (await polling_runtime.store.list_cases())[0]
    # No other channel (no email address): the case goes to staff.
    assert (view.case.status, view.contacts[0].status) == (
        CaseStatus.ESCALATED,
        ContactStatus.FAILED,
    )
    assert view.channel is not None
    assert view.channel.reachable is False


async def _linked_with_a_case(runtime: Runtime, emulator: TelegramEmulator) -> None:
    await _ingest(runtime, _payment_failed())
    await _link(runtime, emulator)
    await emulator.wait_for("sendMessage", chat_id=CHAT, count=2, timeout=10)


async def _until(check: Any) -> None:
    for _ in range(200):
        if await check():
            return
        await asyncio.sleep(0.025)
    raise AssertionError("the runtime never got there")


async def test_a_blocked_bot_update_marks_the_chat_unreachable_and_hands_the_case_to_staff(
    polling_runtime: Runtime, emulator: TelegramEmulator
) -> None:
    await _linked_with_a_case(polling_runtime, emulator)

    await emulator.block_bot(CHAT)

    async def blocked() -> bool:
        view = (await polling_runtime.store.list_cases())[0]
        return view.channel is not None and not view.channel.reachable

    await _until(blocked)
    view = (await polling_runtime.store.list_cases())[0]
    # No other channel (no email address): the case goes to staff.
    assert view.case.status is CaseStatus.ESCALATED
    assert [a.reason for a in view.audit if a.action == "unreachable"] == [
        "customer blocked the bot"
    ]


async def test_an_unblocked_bot_update_makes_the_chat_reachable_again(
    polling_runtime: Runtime, emulator: TelegramEmulator
) -> None:
    await _linked_with_a_case(polling_runtime, emulator)
    await emulator.block_bot(CHAT)

    async def reachable(wanted: bool) -> bool:
        view = (await polling_runtime.store.list_cases())[0]
        return view.channel is not None and view.channel.reachable is wanted

    await _until(lambda: reachable(False))
    await emulator.unblock_bot(CHAT)
    await _until(lambda: reachable(True))

    view = (await polling_runtime.store.list_cases())[0]
    assert [a.action for a in view.audit if a.action in {"reachable", "unreachable"}] == [
        "unreachable",
        "reachable",
    ]


async def test_webhook_mode_checks_the_secret_and_completes_the_link(
    settings: Settings, emulator: TelegramEmulator, clock: FixedClock
) -> None:
    from pydantic import SecretStr

    # The webhook URL is known only once the server listens; the emulator is told then.
    tuned = _telegram_settings(
        settings,
        emulator,
        telegram_bot_token=SecretStr(TOKEN),
        telegram_secret_token=SecretStr("s3cret-header"),
    )
    runtime = Runtime.build(tuned, clock=clock)
    async with served(create_app(runtime)) as port:
        await runtime.telegram.bot.set_webhook(  # type: ignore[union-attr]
            f"http://127.0.0.1:{port}/telegram", secret_token="s3cret-header"
        )
        await _ingest(runtime, _payment_failed())
        await _link(runtime, emulator)
        await emulator.wait_for("sendMessage", chat_id=CHAT, count=2, timeout=10)
        forged = await _post_without_secret(port)

    assert [d.status for d in emulator.deliveries()] == [200]
    assert forged == 403


async def _post_without_secret(port: int) -> int:
    import httpx

    async with httpx.AsyncClient() as client:
        response = await client.post(f"http://127.0.0.1:{port}/telegram", json={"update_id": 1})
    return response.status_code


async def test_webhook_mode_without_a_secret_refuses_every_update(
    settings: Settings, emulator: TelegramEmulator, clock: FixedClock
) -> None:
    from pydantic import SecretStr

    tuned = _telegram_settings(settings, emulator, telegram_bot_token=SecretStr(TOKEN))
    runtime = Runtime.build(tuned, clock=clock)
    async with served(create_app(runtime)) as port:
        forged = await _post_without_secret(port)

    assert forged == 503


async def test_polling_mode_serves_no_telegram_endpoint(
    settings: Settings, emulator: TelegramEmulator, clock: FixedClock
) -> None:
    from pydantic import SecretStr

    tuned = _telegram_settings(settings, emulator, telegram_bot_token=SecretStr(TOKEN))
    runtime = Runtime.build(tuned, clock=clock, polling=True)
    async with served(create_app(runtime)) as port:
        forged = await _post_without_secret(port)

    assert forged == 404


async def test_the_welcome_speaks_the_billing_records_language_not_telegrams(
    polling_runtime: Runtime, emulator: TelegramEmulator
) -> None:
    from messages import welcome_linked

    hebrew = {"id": "C-1001", "locale": "he_IL"}
    hello = {"id": "hello-he", "type": "customer_updated", "occurred_at": "2024-02-01T00:00:00Z"}
    await _ingest(polling_runtime, {**hello, "customer": hebrew})

    await _link(polling_runtime, emulator)  # the emulator's user speaks English
    await emulator.wait_for("sendMessage", chat_id=CHAT, timeout=10)

    assert emulator.sent_messages(CHAT)[0]["text"] == welcome_linked(locale="he_IL").text
