"""Breathing space through the real path: a billing event flags it, the outbox holds every
payment request until the day after it ends, then the contact window applies (COMPLIANCE 11).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from bot import Contact, ContactStatus, Customer, Ingest, OutboxWorker, Settings, parse_event
from bot.ports import ChannelLink
from handlers.emulators import TelegramEmulator
from storage import SqliteStore
from tests.bot.test_outbox_policy import emulator, worker
from tests.conftest import FixedClock

__all__ = ["emulator", "worker"]  # the fixtures of the outbox policy tests

Worker = tuple[OutboxWorker, TelegramEmulator]


async def _event(
    store: SqliteStore, clock: FixedClock, settings: Settings, event: dict[str, object]
) -> None:
    body = json.dumps({"occurred_at": clock.now().isoformat(), **event})
    await Ingest(store, clock, settings).accept("canonical", parse_event(body), body)


async def _flagged_case(store: SqliteStore, clock: FixedClock, settings: Settings) -> None:
    """A linked British customer whose card fails while in breathing space to Sunday 10 March."""
    async with store.transaction() as tx:
        await tx.upsert_customer(Customer("C-1", timezone="Europe/London", country="GB"))
        await tx.link_channel(ChannelLink("C-1", "telegram", "77", clock.now()))
    customer = {"id": "C-1", "breathing_space_until": "2024-03-10"}
    method = {"kind": "card", "reason": "expired_card"}
    event = {"id": "f1", "type": "payment_failed", "customer": customer, "payment_method": method}
    await _event(store, clock, settings, event)


async def _messages(store: SqliteStore) -> list[Contact]:
    """The messages to the customer, without the case's scheduled follow-up steps."""
    return [c for c in await store.list_contacts() if c.channel == "telegram"]


async def _run_at(worker: Worker, clock: FixedClock, moment: datetime) -> None:
    clock.moment = moment
    await worker[0].run_once()


async def test_a_case_in_breathing_space_gets_no_payment_request_until_the_end_date(
    store: SqliteStore, clock: FixedClock, settings: Settings, worker: Worker
) -> None:
    await _flagged_case(store, clock, settings)

    await _run_at(worker, clock, datetime(2024, 3, 4, 19, 0, tzinfo=UTC))
    [held] = await _messages(store)
    await _run_at(worker, clock, datetime(2024, 3, 10, 20, 0, tzinfo=UTC))  # the last day

    assert (held.template, held.status, held.held_rule) == (
        "first_contact",
        ContactStatus.QUEUED,
        "breathing space",
    )
    assert held.due_at == datetime(2024, 3, 11, 0, 0, tzinfo=UTC)  # midnight in London
    assert worker[1].calls("sendMessage") == []


async def test_the_held_message_goes_the_day_after_inside_the_window(
    store: SqliteStore, clock: FixedClock, settings: Settings, worker: Worker
) -> None:
    await _flagged_case(store, clock, settings)
    await _run_at(worker, clock, datetime(2024, 3, 4, 19, 0, tzinfo=UTC))

    await _run_at(worker, clock, datetime(2024, 3, 11, 0, 0, tzinfo=UTC))
    [waiting] = await _messages(store)
    await _run_at(worker, clock, datetime(2024, 3, 11, 8, 0, tzinfo=UTC))

    assert (waiting.held_rule, waiting.due_at) == ("window", clock.now())
    assert [c.status for c in await _messages(store)] == [ContactStatus.SENT]
    assert len(worker[1].calls("sendMessage")) == 1


async def test_billing_ending_breathing_space_early_releases_the_held_message(
    store: SqliteStore, clock: FixedClock, settings: Settings, worker: Worker
) -> None:
    await _flagged_case(store, clock, settings)
    await _run_at(worker, clock, datetime(2024, 3, 4, 19, 0, tzinfo=UTC))

    clock.moment = datetime(2024, 3, 5, 10, 0, tzinfo=UTC)
    ended = {"id": "C-1", "breathing_space_until": None}
    await _event(
        store, clock, settings, {"id": "u1", "type": "customer_updated", "customer": ended}
    )
    await worker[0].run_once()

    async with store.transaction() as tx:
        customer = await tx.get_customer("C-1")
    assert customer is not None
    assert customer.breathing_space_until is None
    assert [c.status for c in await _messages(store)] == [ContactStatus.SENT]


async def test_an_event_without_the_field_leaves_breathing_space_as_it_was(
    store: SqliteStore, clock: FixedClock, settings: Settings, worker: Worker
) -> None:
    await _flagged_case(store, clock, settings)

    same = {"id": "C-1", "name": "Ada"}
    await _event(
        store, clock, settings, {"id": "u2", "type": "customer_updated", "customer": same}
    )
    await _run_at(worker, clock, datetime(2024, 3, 5, 10, 0, tzinfo=UTC))

    [held] = await _messages(store)
    assert (held.status, held.held_rule) == (ContactStatus.QUEUED, "breathing space")
