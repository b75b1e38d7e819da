"""The `Store` contract: every backend must pass these (SQLite, and PostgreSQL when set)."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest

from bot import (
    CaseStatus,
    CaseType,
    ConfigurationError,
    ContactStatus,
    Customer,
    Invoice,
    InvoiceStatus,
    Money,
    Reason,
)
from bot._chat_state import ChatState, Step
from bot._model import EscalationReason
from bot.ports import BatchResult, ChannelLink, ImportedInvoice, StoredEvent
from storage import PostgresStore, SqliteStore, SqlStore, store_for_url
from storage._postgres import redacted
from tests.conftest import FixedClock

NOW = datetime(2024, 3, 4, 10, 0, tzinfo=UTC)
# What a broken constraint raises, by backend.
INTEGRITY_ERRORS = (sqlite3.IntegrityError, asyncpg.IntegrityConstraintViolationError)


def _event(source_id: str) -> StoredEvent:
    return StoredEvent("canonical", source_id, "customer_updated", NOW, NOW, "{}", None, "applied")


def _invoice(invoice_id: str, customer: str = "C-1", minor: int = 1000) -> Invoice:
    money = Money(minor, "EUR")
    return Invoice(
        invoice_id,
        customer,
        money,
        money,
        date(2024, 1, 1),
        date(2024, 1, 31),
        InvoiceStatus.OVERDUE,
        NOW,
    )


async def _case_with_contacts(store: SqlStore, count: int, *, customer: str = "C-1") -> int:
    chat = "77" if customer == "C-1" else f"chat-{customer}"
    async with store.transaction() as tx:
        await tx.upsert_customer(Customer(customer))
        await tx.link_channel(ChannelLink(customer, "telegram", chat, NOW))
        case = await tx.insert_case(
            customer_id=customer,
            case_type=CaseType.A,
            reason=Reason.EXPIRED_CARD,
            status=CaseStatus.CONTACTING,
            opened_at=NOW,
            why={},
        )
        for n in range(count):
            await tx.enqueue(
                customer_id=customer,
                case_id=case.id,
                channel="telegram",
                template="t",
                params={"n": n},
                due_at=NOW,
                dedupe_key=f"{customer}-k{n}",
            )
    return case.id


async def test_migrations_apply_once(store: SqlStore) -> None:
    assert await store.migrate() == []


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_database_runs_in_wal_with_foreign_keys(store: SqlStore) -> None:
    assert isinstance(store, SqliteStore)
    with sqlite3.connect(store.path) as db:
        mode = db.execute("PRAGMA journal_mode").fetchone()[0]

    assert mode == "wal"
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        async with store.transaction() as tx:
            await tx.save_invoice(_invoice("I-1", customer="nobody"))


async def test_event_is_recorded_once_per_source_and_id(store: SqlStore) -> None:
    async with store.transaction() as tx:
        first = await tx.record_event(_event("e1"))
        second = await tx.record_event(_event("e1"))

    assert (first, second) == (True, False)


async def test_failed_unit_of_work_leaves_nothing(store: SqlStore) -> None:
    async def fail_midway() -> None:
        async with store.transaction() as tx:
            await tx.upsert_customer(Customer("C-9"))
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        await fail_midway()

    assert (await store.counts())["customers"] == 0


async def test_one_open_case_per_customer_and_type(store: SqlStore) -> None:
    await _case_with_contacts(store, 0)

    with pytest.raises(INTEGRITY_ERRORS):
        async with store.transaction() as tx:
            await tx.insert_case(
                customer_id="C-1",
                case_type=CaseType.A,
                reason=Reason.OTHER,
                status=CaseStatus.NO_CHANNEL,
                opened_at=NOW,
                why={},
            )


async def test_enqueue_deduplicates_on_its_key(store: SqlStore) -> None:
    await _case_with_contacts(store, 1)

    async with store.transaction() as tx:
        again = await tx.enqueue(
            customer_id="C-1",
            case_id=None,
            channel="telegram",
            template="t",
            params={},
            due_at=NOW,
            dedupe_key="C-1-k0",
        )

    assert again is None
    assert (await store.counts())["contacts"] == 1


async def test_concurrent_claims_never_share_a_contact(store: SqlStore) -> None:
    for n in range(30):
        await _case_with_contacts(store, 1, customer=f"C-{n}")

    claims = await asyncio.gather(
        *(store.claim_due(channel="telegram", now=NOW, limit=7) for _ in range(6))
    )

    ids = [contact.id for claim in claims for contact in claim]
    assert sorted(ids) == sorted(set(ids))
    assert len(ids) == 30
    chats = {f"chat-C-{n}" for n in range(30)} - {"chat-C-1"} | {"77"}
    assert {c.chat_id for claim in claims for c in claim} == chats


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
async def test_a_chat_waits_while_another_claim_holds_its_earlier_message(
    store: SqlStore,
) -> None:
    await _case_with_contacts(store, 3)
    first = await store.claim_due(channel="telegram", now=NOW, limit=1)

    meanwhile = await store.claim_due(channel="telegram", now=NOW, limit=10)
    await store.finish_contact(first[0].id, status=ContactStatus.SENT, at=NOW)
    after = await store.claim_due(channel="telegram", now=NOW, limit=10)

    assert ([c.id for c in meanwhile], [c.id for c in after]) == ([], [2, 3])


async def test_claimed_contact_is_not_due_again_until_released(
    store: SqlStore, clock: FixedClock
) -> None:
    await _case_with_contacts(store, 1)
    await store.claim_due(channel="telegram", now=NOW, limit=10)

    again = await store.claim_due(channel="telegram", now=NOW, limit=10)
    released = await store.release_stale(before=NOW + timedelta(seconds=1))
    retried = await store.claim_due(channel="telegram", now=NOW, limit=10)

    assert (again, released, [c.attempts for c in retried]) == ([], 1, [2])


async def test_finished_contact_keeps_its_channel_message_id(store: SqlStore) -> None:
    case_id = await _case_with_contacts(store, 1)
    [contact] = await store.claim_due(channel="telegram", now=NOW, limit=10)

    await store.finish_contact(
        contact.id, status=ContactStatus.SENT, at=NOW, channel_message_id="m-5"
    )

    view = await store.case_view(case_id)
    assert view is not None
    assert [(c.status, c.channel_message_id) for c in view.contacts] == [
        (ContactStatus.SENT, "m-5")
    ]


async def test_retry_moves_the_due_time(store: SqlStore) -> None:
    await _case_with_contacts(store, 1)
    [contact] = await store.claim_due(channel="telegram", now=NOW, limit=10)
    later = NOW + timedelta(minutes=5)

    await store.finish_contact(contact.id, status=ContactStatus.QUEUED, at=NOW, retry_at=later)

    assert await store.claim_due(channel="telegram", now=NOW, limit=10) == []
    assert len(await store.claim_due(channel="telegram", now=later, limit=10)) == 1


async def test_release_held_makes_only_that_rules_messages_due_again(
    store: SqlStore,
) -> None:
    await _case_with_contacts(store, 2)
    first, second = await store.claim_due(channel="telegram", now=NOW, limit=10)
    later = NOW + timedelta(days=60)
    await store.hold_contact(first.id, until=later, rule="breathing space")
    await store.hold_contact(second.id, until=later, rule="window")

    async with store.transaction() as tx:
        released = await tx.release_held("C-1", rule="breathing space", now=NOW)

    due = await store.claim_due(channel="telegram", now=NOW, limit=10)
    assert (released, [c.id for c in due]) == (1, [first.id])


async def test_breathing_space_and_a_pause_reason_are_kept_and_cleared(
    store: SqlStore,
) -> None:
    case_id = await _case_with_contacts(store, 0)
    until = NOW + timedelta(days=30)

    async with store.transaction() as tx:
        await tx.set_breathing_space("C-1", date(2024, 5, 3))
        await tx.set_paused_until(case_id, until, reason="debt advice")
        customer, case = await tx.get_customer("C-1"), await tx.get_case(case_id)
        await tx.set_breathing_space("C-1", None)
        await tx.set_paused_until(case_id, None)
        cleared, resumed = await tx.get_customer("C-1"), await tx.get_case(case_id)

    assert customer is not None
    assert case is not None
    assert (customer.breathing_space_until, case.paused_until, case.paused_for) == (
        date(2024, 5, 3),
        until,
        "debt advice",
    )
    assert cleared is not None
    assert resumed is not None
    assert (cleared.breathing_space_until, resumed.paused_until, resumed.paused_for) == (
        None,
        None,
        None,
    )


async def test_token_is_spent_once(store: SqlStore) -> None:
    async with store.transaction() as tx:
        await tx.upsert_customer(Customer("C-1"))
        await tx.store_token(
            token_hash="h", customer_id="C-1", purpose="link", expires_at=NOW + timedelta(days=1)
        )

    async with store.transaction() as tx:
        first = await tx.use_token("h", purpose="link", now=NOW)
        wrong_purpose = await tx.use_token("h", purpose="pay", now=NOW)
        second = await tx.use_token("h", purpose="link", now=NOW)

    assert (first, wrong_purpose, second) == ("C-1", None, None)


async def test_import_counts_new_and_unchanged_rows(store: SqlStore) -> None:
    rows = [ImportedInvoice(Customer("C-1"), _invoice(f"I-{n}"), n) for n in range(5)]

    first = await store.import_invoices(rows)
    second = await store.import_invoices(rows)

    assert (first, second) == (BatchResult(5, 0), BatchResult(0, 5))


async def test_import_never_moves_an_invoice_to_another_customer(store: SqlStore) -> None:
    mine = ImportedInvoice(Customer("C-1"), _invoice("I-1", customer="C-1"), 1)
    theirs = ImportedInvoice(Customer("C-2"), _invoice("I-1", customer="C-2", minor=5), 2)
    await store.import_invoices([mine])

    result = await store.import_invoices([theirs])

    async with store.transaction() as tx:
        stored = await tx.get_invoice("I-1")
    assert result == BatchResult(0, 0, ((theirs, "C-1"),))
    assert stored is not None
    assert (stored.customer_id, stored.amount.minor) == ("C-1", 1000)


async def test_older_import_never_overwrites_a_newer_fact(store: SqlStore) -> None:
    newer = ImportedInvoice(Customer("C-1"), _invoice("I-1", minor=500), 1)
    older_invoice = _invoice("I-1", minor=900)
    older = ImportedInvoice(
        Customer("C-1"),
        Invoice(**{**_fields(older_invoice), "fact_at": NOW - timedelta(days=1)}),
        1,
    )
    await store.import_invoices([newer])

    await store.import_invoices([older])

    async with store.transaction() as tx:
        stored = await tx.get_invoice("I-1")
    assert stored is not None
    assert stored.amount.minor == 500


def _fields(invoice: Invoice) -> dict[str, object]:
    return {name: getattr(invoice, name) for name in Invoice.__dataclass_fields__}


async def test_book_streams_by_customer_then_issue_date(store: SqlStore) -> None:
    rows = [
        ImportedInvoice(Customer(c), _invoice(f"{c}-{n}", customer=c), n)
        for c in ("B", "A")
        for n in range(3)
    ]
    await store.import_invoices(rows)

    order = [invoice.id async for invoice, _ in store.iter_book(batch=2)]

    assert order == ["A-0", "A-1", "A-2", "B-0", "B-1", "B-2"]


async def test_an_unknown_database_scheme_is_refused_naming_the_setting(
    clock: FixedClock,
) -> None:
    with pytest.raises(
        ConfigurationError, match="SETTLE_DATABASE_URL: unsupported scheme 'mysql'"
    ):
        store_for_url("mysql://localhost/settle", clock)


def test_a_postgresql_url_opens_the_postgresql_backend(clock: FixedClock) -> None:
    store = store_for_url("postgresql://settle:secret@127.0.0.1:5432/settle", clock)

    assert isinstance(store, PostgresStore)


def test_a_password_never_shows_in_a_database_url_in_messages() -> None:
    shown = redacted("postgresql://settle:secret@127.0.0.1:5432/settle")

    assert shown == "postgresql://settle:***@127.0.0.1:5432/settle"


async def test_a_file_that_is_not_a_database_is_refused_naming_it(
    tmp_path: Path, clock: FixedClock
) -> None:
    garbage = tmp_path / "settle.db"
    garbage.write_text("garbage\n", encoding="utf-8")

    with pytest.raises(ConfigurationError, match=r"settle\.db: not a Settle database"):
        await SqliteStore.open(garbage, clock)


async def test_reading_sees_what_was_committed_and_refuses_to_write(store: SqlStore) -> None:
    async with store.transaction() as tx:
        await tx.upsert_customer(Customer("C-R", locale="he_IL"))
        await tx.link_channel(ChannelLink("C-R", "telegram", "42", NOW))

    async with store.reading() as tx:
        found = await tx.customer_of_chat("telegram", "42")
        customer = await tx.get_customer("C-R")
    with pytest.raises((sqlite3.OperationalError, asyncpg.PostgresError), match=r"read-?only"):
        async with store.reading() as tx:
            await tx.upsert_customer(Customer("C-W"))

    assert (found, customer.locale if customer else None) == ("C-R", "he_IL")
    async with store.reading() as tx:
        assert await tx.get_customer("C-W") is None


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
async def test_a_chats_turn_is_held_by_one_worker_at_a_time(
    store: SqlStore, clock: FixedClock
) -> None:
    assert isinstance(store, PostgresStore)
    other = await PostgresStore.open(store.url, clock, migrate=False)
    order: list[str] = []

    async def first() -> None:
        async with store.chat_turn("telegram", "77"):
            order.append("first in")
            await asyncio.sleep(0.2)
            order.append("first out")

    async def second() -> None:
        await asyncio.sleep(0.05)
        async with other.chat_turn("telegram", "77"):
            order.append("second in")

    try:
        await asyncio.gather(first(), second())
    finally:
        await other.close()

    assert order == ["first in", "first out", "second in"]


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
async def test_a_chats_next_message_waits_the_chat_interval_after_the_last_sent(
    store: SqlStore,
) -> None:
    assert isinstance(store, PostgresStore)
    store.chat_interval = timedelta(seconds=1)
    await _case_with_contacts(store, 2)
    [first] = await store.claim_due(channel="telegram", now=NOW, limit=1)
    await store.finish_contact(first.id, status=ContactStatus.SENT, at=NOW)

    soon = await store.claim_due(channel="telegram", now=NOW + timedelta(seconds=0.5), limit=10)
    later = await store.claim_due(channel="telegram", now=NOW + timedelta(seconds=1.5), limit=10)

    assert ([c.id for c in soon], [c.id for c in later]) == ([], [2])


async def test_a_slack_event_is_handled_on_its_first_delivery_only(
    store: SqlStore, clock: FixedClock
) -> None:
    first = await store.first_delivery("Ev-1")
    again = await store.first_delivery("Ev-1")
    clock.advance(days=2)
    other = await store.first_delivery("Ev-2")
    # A day on, what was seen is forgotten: Slack retries for about an hour only.
    much_later = await store.first_delivery("Ev-1")

    assert (first, again, other, much_later) == (True, False, True, True)


async def test_a_token_for_no_such_customer_is_not_kept(store: SqlStore) -> None:
    expires = NOW + timedelta(days=1)
    async with store.transaction() as tx:
        await tx.upsert_customer(Customer("C-1"))
        kept = await tx.store_token(
            token_hash="h1", customer_id="C-1", purpose="pay", expires_at=expires
        )
        refused = await tx.store_token(
            token_hash="h2", customer_id="C-404", purpose="pay", expires_at=expires
        )

    async with store.transaction() as tx:
        spent = [await tx.use_token(h, purpose="pay", now=NOW) for h in ("h1", "h2")]
    assert (kept, refused, spent) == (True, False, ["C-1", None])


async def test_the_customer_of_a_chat_is_found_in_one_lookup(store: SqlStore) -> None:
    await _case_with_contacts(store, 0)
    async with store.transaction() as tx:
        await tx.upsert_customer(Customer("C-1", locale="he_IL"))

    async with store.reading() as tx:
        linked = await tx.customer_in_chat("telegram", "77")
        unlinked = await tx.customer_in_chat("telegram", "78")
    assert (linked and linked.id, linked and linked.locale, unlinked) == ("C-1", "he_IL", None)


async def test_the_escalation_a_person_took_over_is_found_from_the_chat(store: SqlStore) -> None:
    first = await _case_with_contacts(store, 0)
    async with store.transaction() as tx:
        other = await tx.insert_case(
            customer_id="C-1",
            case_type=CaseType.C,
            reason=Reason.SUBSTANTIAL_OVERDUE,
            status=CaseStatus.CONTACTING,
            opened_at=NOW,
            why={},
        )
        assert other.id is not None
        second = other.id

        async def escalate(case_id: int) -> int:
            escalation = await tx.insert_escalation(
                case_id=case_id,
                customer_id="C-1",
                reason=EscalationReason.PERSON,
                request=None,
                opened_at=NOW,
                due_by=NOW + timedelta(hours=2),
            )
            assert escalation.id is not None
            return escalation.id

        decided, older = await escalate(first), await escalate(second)
        await tx.set_taken_by(decided, by="U1")
        await tx.decide_escalation(decided, by="U1", decision="rejected", at=NOW)

    async def found() -> int | None:
        async with store.reading() as tx:
            escalation = await tx.taken_over_in_chat("telegram", "77")
        return None if escalation is None else escalation.id

    nobody = await found()  # the only one taken over is decided
    async with store.transaction() as tx:
        await tx.set_taken_by(older, by="U2")
        latest = await escalate(second)  # a newer open escalation of that case, not taken
    superseded = await found()
    async with store.transaction() as tx:
        await tx.set_taken_by(latest, by="U2")
    taken = await found()
    async with store.transaction() as tx:
        await tx.update_case(second, status=CaseStatus.CLOSED, closed_at=NOW)
    closed = await found()  # the case it belongs to is closed
    assert (nobody, superseded, taken, closed) == (None, None, latest, None)


async def test_a_chat_and_its_conversation_are_read_in_one_lookup(store: SqlStore) -> None:
    await _case_with_contacts(store, 0)
    async with store.reading() as tx:
        before = await tx.chat_of("telegram", "77")
        unlinked = await tx.chat_of("telegram", "78")
    state = ChatState("telegram", "77", "C-1", None, Step.PLANS, 4, {"count": 3}, 1)
    async with store.transaction() as tx:
        await tx.save_chat_state(state)
    async with store.reading() as tx:
        customer, saved = await tx.chat_of("telegram", "77")

    assert (before[0] and before[0].id, before[1], unlinked) == ("C-1", None, (None, None))
    assert (customer and customer.id, saved) == ("C-1", state)
