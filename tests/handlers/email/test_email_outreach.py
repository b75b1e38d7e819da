"""Email as the first touch and the fallback, through the outbox to a real SMTP server.

A customer with no linked chat is written to by email with the deep link into Telegram;
linking there moves the case to Telegram; a blocked chat falls back to email, or to staff
when there is no address.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from bot import CaseStatus, ContactStatus, Linking, OutboxWorker, Settings
from bot._conversation import Conversation
from bot.ports import ChannelLink
from handlers.email import EmailSender
from storage import SqliteStore
from tests.conftest import FixedClock
from tests.handlers.email.conftest import CUSTOMER, Inbox, open_case

DEEP_LINK = re.compile(r"https://t\.me/settle_test_bot\?start=([A-Za-z0-9_-]+)")


@pytest.fixture
def worker(store: SqliteStore, clock: FixedClock, mail_settings: Settings) -> OutboxWorker:
    sender = EmailSender(store, clock, mail_settings)
    return OutboxWorker(store, clock, mail_settings, {"email": sender})


def _text(inbox: Inbox, index: int = 0) -> str:
    body = inbox.messages()[index].get_body(preferencelist=("plain",))
    assert body is not None
    return str(body.get_content())


async def _rows(store: SqliteStore) -> list[tuple[str, str, ContactStatus]]:
    return [(c.channel, c.template, c.status) for c in await store.list_contacts()]


async def test_an_unlinked_customer_gets_an_email_with_the_link_and_no_amount(
    store: SqliteStore,
    clock: FixedClock,
    mail_settings: Settings,
    inbox: Inbox,
    worker: OutboxWorker,
) -> None:
    case = await open_case(store, clock, mail_settings)

    await worker.run_once()

    text = _text(inbox)
    [email] = [c for c in await store.list_contacts() if c.channel == "email"]
    assert case.status is CaseStatus.CONTACTING
    assert email.status is ContactStatus.SENT
    assert email.params["to"] == "dana@customer.example"
    assert DEEP_LINK.search(text) is not None
    assert "412.90" not in text
    assert "Feb 15, 2024" not in text
    assert "https://settle.example/optout/" in text


async def test_linking_from_the_email_moves_the_case_to_telegram(
    store: SqliteStore,
    clock: FixedClock,
    mail_settings: Settings,
    inbox: Inbox,
    worker: OutboxWorker,
) -> None:
    await open_case(store, clock, mail_settings)
    await worker.run_once()
    match = DEEP_LINK.search(_text(inbox))
    assert match is not None

    linked = await Linking(store, clock, mail_settings).redeem("9001", match.group(1))

    assert linked == CUSTOMER
    assert ("telegram", "first_contact", ContactStatus.QUEUED) in await _rows(store)
    [view] = await store.list_cases()
    assert view.case.status is CaseStatus.CONTACTING


async def test_no_address_or_no_email_configured_waits_for_a_channel(
    store: SqliteStore, clock: FixedClock, settings: Settings
) -> None:
    case = await open_case(store, clock, settings)  # SETTLE_EMAIL_FROM is not set

    assert case.status is CaseStatus.NO_CHANNEL
    assert await _rows(store) == []


async def test_a_blocked_chat_falls_back_to_email(
    store: SqliteStore, clock: FixedClock, mail_settings: Settings
) -> None:
    async with store.transaction() as tx:
        from bot import Customer

        await tx.upsert_customer(Customer(CUSTOMER, email="dana@customer.example"))
        await tx.link_channel(ChannelLink(CUSTOMER, "telegram", "9001", clock.now()))
    await open_case(store, clock, mail_settings)

    await Conversation(store, clock, mail_settings.outreach).set_reachable("9001", False)

    rows = await _rows(store)
    [view] = await store.list_cases()
    assert ("telegram", "first_contact", ContactStatus.QUEUED) in rows
    assert ("email", "first_contact", ContactStatus.QUEUED) in rows
    assert view.case.status is CaseStatus.CONTACTING


async def test_a_blocked_chat_without_an_address_goes_to_staff(
    store: SqliteStore, clock: FixedClock, settings: Settings
) -> None:
    clock.moment = datetime(2024, 3, 4, 19, 0, tzinfo=UTC)
    async with store.transaction() as tx:
        from bot import Customer

        await tx.upsert_customer(Customer(CUSTOMER))
        await tx.link_channel(ChannelLink(CUSTOMER, "telegram", "9001", clock.now()))
    await open_case(store, clock, settings)

    await Conversation(store, clock, settings.outreach).set_reachable("9001", False)

    [view] = await store.list_cases()
    assert view.case.status is CaseStatus.ESCALATED
    assert [a.reason for a in view.audit if a.action == "escalated"] == [
        "the customer cannot be reached on any channel"
    ]


async def test_an_email_waits_for_the_window_like_any_message(
    store: SqliteStore,
    clock: FixedClock,
    mail_settings: Settings,
    inbox: Inbox,
    worker: OutboxWorker,
) -> None:
    clock.moment = datetime(2024, 3, 5, 7, 59, tzinfo=UTC)  # the customer's zone is UTC
    await open_case(store, clock, mail_settings)

    await worker.run_once()
    [held] = [c for c in await store.list_contacts() if c.channel == "email"]
    clock.moment = datetime(2024, 3, 5, 8, 0, tzinfo=UTC)
    await worker.run_once()

    assert (held.status, held.held_rule, held.due_at) == (
        ContactStatus.QUEUED,
        "window",
        clock.now(),
    )
    assert len(inbox.messages()) == 1


async def test_an_address_the_server_refuses_sends_the_case_to_staff(
    store: SqliteStore,
    clock: FixedClock,
    mail_settings: Settings,
    inbox: Inbox,
    worker: OutboxWorker,
) -> None:
    case = await open_case(store, clock, mail_settings)
    async with store.transaction() as tx:
        from bot import Customer

        await tx.upsert_customer(Customer(CUSTOMER, email="gone@customer.example"))
        await tx.cancel_queued(CUSTOMER, channel="email")
        await tx.enqueue(
            customer_id=CUSTOMER,
            case_id=case.id,
            channel="email",
            template="first_contact",
            params={"reason": "expired_card", "to": "gone@customer.example"},
            due_at=clock.now(),
            dedupe_key="to-gone",
        )

    await worker.run_once()

    [view] = await store.list_cases()
    refused = [c for c in view.contacts if c.params.get("to") == "gone@customer.example"]
    assert inbox.messages() == []
    assert [c.status for c in refused] == [ContactStatus.FAILED]
    assert view.case.status is CaseStatus.ESCALATED
    assert [a.reason for a in view.audit if a.action == "escalated"] == [
        "the customer cannot be reached on any channel"
    ]


async def test_an_email_goes_to_the_address_billing_gave_last(
    store: SqliteStore,
    clock: FixedClock,
    mail_settings: Settings,
    inbox: Inbox,
    worker: OutboxWorker,
) -> None:
    await open_case(store, clock, mail_settings)
    async with store.transaction() as tx:
        from bot import Customer

        await tx.upsert_customer(Customer(CUSTOMER, email="dana.new@customer.example"))

    await worker.run_once()

    assert [e.rcpt_tos for e in inbox.envelopes] == [["dana.new@customer.example"]]


async def test_linking_while_the_first_email_waits_cancels_the_email(
    store: SqliteStore, clock: FixedClock, mail_settings: Settings, worker: OutboxWorker
) -> None:
    clock.moment = datetime(2024, 3, 5, 7, 0, tzinfo=UTC)  # before the window: the email waits
    await open_case(store, clock, mail_settings)
    await worker.run_once()
    token = await Linking(store, clock, mail_settings).issue_token(CUSTOMER)

    await Linking(store, clock, mail_settings).redeem("9001", token)

    rows = [r for r in await _rows(store) if r[0] != "case"]
    assert rows == [
        ("email", "first_contact", ContactStatus.CANCELLED),
        ("telegram", "first_contact", ContactStatus.QUEUED),
    ]
