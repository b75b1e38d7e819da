"""What the outbox's Telegram sender says for each kind of contact."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from telegram import Bot

from bot import Contact, ContactStatus, Customer, Linking, Settings
from handlers.telegram import TelegramSender
from storage import SqliteStore
from tests.conftest import FixedClock


@pytest.fixture
async def sender(store: SqliteStore, clock: FixedClock, settings: Settings) -> TelegramSender:
    async with store.transaction() as tx:
        await tx.upsert_customer(Customer("C-1"))
    bot = Bot("1:unused", base_url="http://127.0.0.1:9/bot")  # never called: render only
    return TelegramSender(bot, Linking(store, clock, settings), settings)


def _contact(template: str, **params: object) -> Contact:
    now = datetime(2024, 3, 4, tzinfo=UTC)
    return Contact(1, 1, "C-1", "telegram", template, dict(params), ContactStatus.QUEUED, now, 0)


async def test_reminder_names_the_payment_amount_and_date(sender: TelegramSender) -> None:
    contact = _contact(
        "agreement_reminder",
        kind="plan",
        number=2,
        amount_minor=10000,
        currency="USD",
        due_on="2024-04-11",
        locale="en_US",
    )

    rendered = await sender.render(contact)

    assert rendered.text == (
        "A friendly reminder: payment 2 of your plan, $100.00, is due tomorrow, Apr 11, 2024."
    )
    assert [b.text for b in rendered.all_buttons] == ["Talk to a person", "Stop messages"]


async def test_broken_promise_offers_the_options(sender: TelegramSender) -> None:
    contact = _contact(
        "agreement_broken",
        kind="promise",
        number=1,
        amount_minor=30000,
        currency="USD",
        due_on="2024-03-31",
        locale="en_US",
    )

    rendered = await sender.render(contact)

    assert rendered.text.startswith(
        "We haven't received the $300.00 you planned to pay by Mar 31, 2024. That can happen."
    )
    assert [b.text for b in rendered.all_buttons] == [
        "Show the options",
        "Talk to a person",
        "Stop messages",
    ]


@pytest.mark.parametrize(
    ("owed", "text"),
    [
        (True, "We'll try the payment again shortly."),
        (False, "Everything is in order now."),
    ],
)
async def test_method_updated_thanks_the_customer(
    sender: TelegramSender, owed: bool, text: str
) -> None:
    rendered = await sender.render(_contact("method_updated", owed=owed, locale="en"))

    assert rendered.text == f"Thank you for updating your payment method. {text}"


async def test_unknown_template_is_an_error_the_outbox_retries(sender: TelegramSender) -> None:
    with pytest.raises(ValueError, match="unknown template 'nope'"):
        await sender.render(_contact("nope"))
