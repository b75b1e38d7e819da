"""The conversation through python-telegram-bot and the Bot API emulator, tap by tap."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from pydantic import SecretStr

from bot import CaseStatus, Settings, parse_event
from bot.app import Runtime
from handlers.emulators import TelegramEmulator
from tests.conftest import FixedClock

TOKEN = "4343:conversation-token"
CHAT = 7001


def _overdue(event_id: str = "o1") -> str:
    return json.dumps(
        {
            "id": event_id,
            "type": "invoice_overdue",
            "occurred_at": "2024-03-04T08:00:00Z",
            "customer": {"id": "C-7", "locale": "en_US", "timezone": "America/New_York"},
            "invoice": {
                "id": "INV-7",
                "amount": "300.00",
                "currency": "USD",
                "issued_on": "2024-01-01",
                "due_on": "2024-02-01",
            },
        }
    )


@pytest.fixture
async def emulator() -> AsyncIterator[TelegramEmulator]:
    async with TelegramEmulator(token=TOKEN, username="settle_talk_bot") as emu:
        yield emu


def _tuned(settings: Settings, emulator: TelegramEmulator) -> Settings:
    return settings.model_copy(
        update={
            "telegram_bot_token": SecretStr(TOKEN),
            "telegram_base_url": emulator.base_url,
            "outbox_poll_seconds": 0.05,
            "substantial_min_amount": {"USD": "100"},
            "triage_every_hours": 0,
        }
    )


async def _started(settings: Settings, clock: FixedClock) -> Runtime:
    runtime = Runtime.build(settings, clock=clock, polling=True)
    await runtime.start()
    return runtime


@pytest.fixture
async def runtime(
    settings: Settings, clock: FixedClock, emulator: TelegramEmulator
) -> AsyncIterator[Runtime]:
    started = await _started(_tuned(settings, emulator), clock)
    body = _overdue()
    await started.ingest.accept("canonical", parse_event(body), body)
    link = await started.linking.deep_link("C-7")
    await emulator.send_text(CHAT, f"/start {link.rpartition('=')[2]}")
    await emulator.wait_for("sendMessage", chat_id=CHAT, count=2, timeout=10)
    emulator.clear()
    yield started
    await started.stop()


class Chat:
    """The customer's side: type, tap by label, read the last message."""

    def __init__(self, emulator: TelegramEmulator) -> None:
        self.emulator = emulator
        self.seen = 0

    async def _next(self) -> dict[str, Any]:
        self.seen += 1
        await self.emulator.wait_for("sendMessage", chat_id=CHAT, count=self.seen, timeout=10)
        return self.emulator.sent_messages(CHAT)[-1]

    async def say(self, text: str) -> dict[str, Any]:
        await self.emulator.send_text(CHAT, text)
        return await self._next()

    async def tap(self, message: dict[str, Any], label: str) -> dict[str, Any]:
        data = next(b["callback_data"] for b in buttons(message) if b["text"] == label)
        await self.emulator.press_button(CHAT, message["message_id"], data)
        return await self._next()


def buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    markup = message.get("reply_markup") or {"inline_keyboard": []}
    return [b for row in markup["inline_keyboard"] for b in row]


def labels(message: dict[str, Any]) -> list[str]:
    return [b["text"] for b in buttons(message)]


async def test_menu_offers_the_ways_to_settle(
    runtime: Runtime, emulator: TelegramEmulator
) -> None:
    menu = await Chat(emulator).say("/menu")

    assert menu["text"] == "Amount due: $300.00. What would you like to do?"
    assert labels(menu) == [
        "Pay now",
        "Choose a payment plan",
        "Promise a date",
        "I already paid",
        "I dispute this",
        "I'm in financial difficulty",
        "Language",
        "Talk to a person",
        "Stop messages",
    ]
    assert buttons(menu)[0]["url"].startswith("https://billing.example.com/pay?token=")


async def test_plan_is_chosen_read_and_agreed(
    runtime: Runtime, emulator: TelegramEmulator
) -> None:
    chat = Chat(emulator)
    menu = await chat.say("/menu")

    plans = await chat.tap(menu, "Choose a payment plan")
    plan = await chat.tap(plans, "3 payments from $100.00")
    agreed = await chat.tap(plan, "I agree")

    assert labels(plans)[:5] == [
        "2 payments from $150.00",
        "3 payments from $100.00",
        "4 payments from $75.00",
        "5 payments from $60.00",
        "6 payments from $50.00",
    ]
    assert plan["text"] == (
        "Your plan for $300.00:\n"
        "1. Mar 11, 2024: $100.00\n"
        "2. Apr 11, 2024: $100.00\n"
        "3. May 11, 2024: $100.00\n\n"
        "Tap I agree to confirm, or Back to choose another plan."
    )
    assert agreed["text"] == (
        "Thank you, your plan is set. We'll remind you the day before each payment."
    )
    view = (await runtime.store.list_cases())[0]
    assert view.case.status is CaseStatus.AGREED
    billing = [c for c in await runtime.store.list_contacts() if c.channel == "billing"]
    assert [(c.template, c.params["agreement"]["items"]) for c in billing] == [
        (
            "plan_agreed",
            [
                {"number": 1, "due_on": "2024-03-11", "amount": "100.00"},
                {"number": 2, "due_on": "2024-04-11", "amount": "100.00"},
                {"number": 3, "due_on": "2024-05-11", "amount": "100.00"},
            ],
        )
    ]


async def test_tapping_i_agree_twice_makes_one_agreement(
    runtime: Runtime, emulator: TelegramEmulator
) -> None:
    chat = Chat(emulator)
    plans = await chat.tap(await chat.say("/menu"), "Choose a payment plan")
    plan = await chat.tap(plans, "2 payments from $150.00")
    await chat.tap(plan, "I agree")

    again = await chat.tap(plan, "I agree")

    case_id = (await runtime.store.list_cases())[0].case.id
    async with runtime.store.transaction() as tx:
        agreements = await tx.agreements_of(case_id)
    assert again["text"].startswith("That button belongs to an earlier message.")
    assert len(agreements) == 1


async def test_promise_by_the_end_of_the_month(
    runtime: Runtime, emulator: TelegramEmulator
) -> None:
    chat = Chat(emulator)
    promises = await chat.tap(await chat.say("/menu"), "Promise a date")
    promise = await chat.tap(promises, "By the end of the month (Mar 31, 2024)")
    made = await chat.tap(promise, "I agree")

    assert promises["text"] == (
        "When can you pay $300.00?\n\nYou can also type a date, up to Apr 3, 2024."
    )
    assert promise["text"] == (
        "You'll pay $300.00 by Mar 31, 2024. Tap I agree to confirm.\n\n"
        "Paying only part of it by then? Type the amount."
    )
    assert made["text"] == (
        "Thank you, we've noted that you'll pay $300.00 by Mar 31, 2024. "
        "We'll remind you the day before."
    )


async def test_already_paid_asks_for_date_and_reference(
    runtime: Runtime, emulator: TelegramEmulator
) -> None:
    chat = Chat(emulator)
    asked = await chat.tap(await chat.say("/menu"), "I already paid")
    reference = await chat.tap(asked, "Yesterday")
    noted = await chat.say("BANK-REF-99")

    assert labels(asked)[:2] == ["Today", "Yesterday"]
    assert reference["text"].startswith("And the payment reference")
    assert noted["text"].startswith("Thank you. We'll look for your payment")
    assert (await runtime.store.list_cases())[0].case.status is CaseStatus.PAUSED


async def test_hardship_in_free_text_goes_to_a_person(
    runtime: Runtime, emulator: TelegramEmulator
) -> None:
    reply = await Chat(emulator).say("I lost my job last month, can I have a plan?")

    view = (await runtime.store.list_cases())[0]
    assert reply["text"].startswith("Thank you for telling us, and we're sorry things are hard")
    assert view.case.status is CaseStatus.ESCALATED
    assert view.audit[-1].reason == "customer reports hardship"


async def test_dispute_button_pauses_and_hands_over(
    runtime: Runtime, emulator: TelegramEmulator
) -> None:
    chat = Chat(emulator)

    reply = await chat.tap(await chat.say("/menu"), "I dispute this")

    view = (await runtime.store.list_cases())[0]
    assert reply["text"].startswith("Thank you for telling us. We've paused reminders")
    assert (view.case.status, view.audit[-1].reason) == (
        CaseStatus.ESCALATED,
        "customer disputes the debt",
    )


async def test_two_messages_not_understood_offer_a_person(
    runtime: Runtime, emulator: TelegramEmulator
) -> None:
    chat = Chat(emulator)

    first = await chat.say("purple elephants")
    second = await chat.say("more purple elephants")

    assert first["text"].startswith("Sorry, I didn't catch that.")
    assert second["text"].startswith("Sorry, I still didn't understand.")
    assert labels(second)[0] == "Talk to a person"


async def test_a_restart_between_two_taps_continues_the_conversation(
    runtime: Runtime, emulator: TelegramEmulator, settings: Settings, clock: FixedClock
) -> None:
    chat = Chat(emulator)
    plans = await chat.tap(await chat.say("/menu"), "Choose a payment plan")
    await runtime.stop()

    restarted = await _started(_tuned(settings, emulator), clock)
    try:
        plan = await chat.tap(plans, "4 payments from $75.00")
    finally:
        await restarted.stop()
        await runtime.start()  # the fixture stops it once more

    assert plan["text"].startswith("Your plan for $300.00:\n1. Mar 11, 2024: $75.00")


async def test_first_message_opens_the_plan_flow_directly(
    settings: Settings, clock: FixedClock, emulator: TelegramEmulator
) -> None:
    runtime = await _started(_tuned(settings, emulator), clock)
    try:
        body = _overdue()
        await runtime.ingest.accept("canonical", parse_event(body), body)
        link = await runtime.linking.deep_link("C-7")
        await emulator.send_text(CHAT, f"/start {link.rpartition('=')[2]}")
        await emulator.wait_for("sendMessage", chat_id=CHAT, count=2, timeout=10)
        first = emulator.sent_messages(CHAT)[1]
        chat = Chat(emulator)
        chat.seen = 2

        plans = await chat.tap(first, "Choose a payment plan")
    finally:
        await runtime.stop()

    assert "Pay now" in labels(first)
    assert plans["text"].startswith("You can spread $300.00 over several payments.")
