"""A customer's export and erasure (COMPLIANCE rule 19) and the retention purge (rule 18)."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot import (
    CaseStatus,
    CaseType,
    ContactStatus,
    Customer,
    EscalationReason,
    Invoice,
    InvoiceStatus,
    Money,
    Reason,
    Settings,
    TranscriptLine,
)
from bot._privacy import purge_expired
from bot.app import Runtime
from bot.cli import main
from bot.ports import AuditRecord, ChannelLink, StoredEvent
from storage import SqliteStore
from tests.conftest import FixedClock


# The record keeping is the SQLite backend's (PostgreSQL deployments use pg_dump and their
# own tools); these tests also read the file with sqlite3.
@pytest.fixture
def backend() -> str:
    return "sqlite"


NAME, PHONE, EMAIL = "Dana Kessler", "+972501234567", "dana@example.org"
WORDS = "I lost my job last month"


async def _customer_with_history(
    store: SqliteStore, customer_id: str, *, at: datetime, closed: bool = True
) -> int:
    """A customer with an invoice, a case, messages, a transcript, a letter and audit records,
    all written at `at`."""
    clock: FixedClock = store._clock  # type: ignore[assignment]
    now, clock.moment = clock.moment, at
    try:
        return await _write_history(store, customer_id, at=at, closed=closed)
    finally:
        clock.moment = now


async def _write_history(
    store: SqliteStore, customer_id: str, *, at: datetime, closed: bool
) -> int:
    async with store.transaction() as tx:
        await tx.upsert_customer(
            Customer(customer_id, name=NAME, phone=PHONE, email=EMAIL, locale="en_US")
        )
        await tx.save_invoice(
            Invoice(
                f"INV-{customer_id}",
                customer_id,
                Money(41290, "USD"),
                Money(41290, "USD"),
                date(2024, 2, 1),
                date(2024, 2, 15),
                InvoiceStatus.OVERDUE,
                at,
            )
        )
        case = await tx.insert_case(
            customer_id=customer_id,
            case_type=CaseType.C,
            reason=Reason.SUBSTANTIAL_OVERDUE,
            status=CaseStatus.CONTACTING,
            opened_at=at,
            why={},
        )
        await tx.attach_invoice(case.id, f"INV-{customer_id}")
        await tx.link_channel(ChannelLink(customer_id, "telegram", f"chat-{customer_id}", at))
        await tx.enqueue(
            customer_id=customer_id,
            case_id=case.id,
            channel="telegram",
            template="first_contact",
            params={"name": NAME, "amount_minor": 41290},
            due_at=at + timedelta(days=400),
            dedupe_key=f"first:{customer_id}",
        )
        await tx.add_transcript(customer_id, TranscriptLine(at, "telegram", "in", WORDS, case.id))
        await tx.insert_escalation(
            case_id=case.id,
            customer_id=customer_id,
            reason=EscalationReason.HARDSHIP,
            request=WORDS,
            opened_at=at,
            due_by=at + timedelta(hours=2),
        )
        await tx.insert_letter(
            case_id=case.id,
            customer_id=customer_id,
            language="en",
            deadline=date(2024, 3, 1),
            sha256="ab" * 32,
            pdf=b"%PDF-1.4 letter",
            enabled_by="U-STAFF",
            created_at=at,
        )
        payload = json.dumps({"customer": {"id": customer_id, "name": NAME, "phone": PHONE}})
        await tx.record_event(
            StoredEvent(
                "canonical",
                f"evt-{customer_id}",
                "payment_failed",
                at,
                at,
                payload,
                customer_id,
                "applied",
            )
        )
        for action in ("opened", "contacted"):
            await tx.audit(AuditRecord(at, "bot", action, "test", case.id, customer_id))
        await tx.audit(AuditRecord(at, "customer", "linked", "token", None, customer_id))
        if closed:
            await tx.update_case(case.id, status=CaseStatus.CLOSED, closed_at=at)
    return case.id


def _everything(path: Path) -> str:
    """Every value of every table, as text, to look for what should be gone."""
    db = sqlite3.connect(path)
    tables = [t for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    text = "\n".join(repr(row) for table in tables for row in db.execute(f"SELECT * FROM {table}"))
    db.close()
    return text


async def test_export_holds_everything_about_the_customer_and_nothing_else(
    store: SqliteStore, clock: FixedClock
) -> None:
    await _customer_with_history(store, "C-1", at=clock.now())
    await _customer_with_history(store, "C-2", at=clock.now())

    held = await store.export_customer("C-1")

    assert held is not None
    assert held["customer"]["name"] == NAME
    wanted = {
        "invoices": 1,
        "cases": 1,
        "case_invoices": 1,
        "contacts": 1,
        "transcript": 1,
        "escalations": 1,
        "letters": 1,
        "channel_links": 1,
        "audit_records": 3,
    }
    assert {table: len(held[table]) for table in wanted} == wanted
    assert held["transcript"][0]["text"] == WORDS
    assert held["letters"][0]["pdf"] == "JVBERi0xLjQgbGV0dGVy"  # base64 of the PDF bytes
    assert "C-2" not in json.dumps(held)


async def test_export_of_an_unknown_customer_is_none(store: SqliteStore) -> None:
    assert await store.export_customer("C-404") is None


async def test_erasure_removes_personal_data_and_keeps_what_the_law_requires(
    store: SqliteStore, clock: FixedClock
) -> None:
    await _customer_with_history(store, "C-1", at=clock.now(), closed=False)

    result = await store.erase_customer("C-1", by="operator")
    held = await store.export_customer("C-1")
    contacts = await store.list_contacts()

    assert result is not None
    assert held is not None
    everything = _everything(store.path)
    assert [text for text in (NAME, PHONE, EMAIL, WORDS) if text in everything] == []
    kept = {t: len(held[t]) for t in ("invoices", "cases", "letters", "escalations")}
    assert kept == {"invoices": 1, "cases": 1, "letters": 1, "escalations": 1}
    assert (held["transcript"], held["channel_links"], held["link_tokens"]) == ([], [], [])
    assert [c.status for c in contacts] == [ContactStatus.CANCELLED]
    assert held["customer"]["restricted_at"] is not None
    assert held["customer"]["opted_out_at"] is not None
    assert held["audit_records"][-1]["action"] == "erased"
    assert (await store.verify_audit()).intact


async def test_billing_does_not_fill_an_erased_customer_back_in(
    store: SqliteStore, clock: FixedClock
) -> None:
    await _customer_with_history(store, "C-1", at=clock.now())
    await store.erase_customer("C-1", by="operator")

    async with store.transaction() as tx:
        await tx.upsert_customer(Customer("C-1", name=NAME, phone=PHONE, email=EMAIL))
        customer = await tx.get_customer("C-1")

    assert customer is not None
    assert (customer.name, customer.phone, customer.email) == (None, None, None)


def _settings(tmp_path: Path) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=f"sqlite:///{tmp_path / 'settle.db'}",
    )


async def test_purge_removes_what_is_past_retention_and_nothing_younger(
    store: SqliteStore, clock: FixedClock, tmp_path: Path
) -> None:
    retention = timedelta(days=_settings(tmp_path).audit_retention_days)
    old = await _customer_with_history(
        store, "C-OLD", at=clock.now() - retention - timedelta(days=1)
    )
    young = await _customer_with_history(
        store, "C-YOUNG", at=clock.now() - retention + timedelta(days=1)
    )
    still_open = await _customer_with_history(
        store, "C-OPEN", at=clock.now() - retention - timedelta(days=30), closed=False
    )

    result = await purge_expired(store, _settings(tmp_path), clock)
    views = {case_id: await store.case_view(case_id) for case_id in (old, young, still_open)}
    chain = await store.verify_audit()

    assert (result.cases, result.audit_records, result.case_ids) == (1, 3, (old,))
    payloads = {
        c: (await store.export_customer(c) or {})["billing_events"][0]["payload"]
        for c in ("C-OLD", "C-YOUNG", "C-OPEN")
    }
    assert payloads["C-OLD"] == {}
    assert payloads["C-YOUNG"]["customer"]["name"] == NAME
    assert payloads["C-OPEN"]["customer"]["name"] == NAME
    audit = {case_id: len(view.audit) for case_id, view in views.items() if view}
    assert audit == {old: 0, young: 2, still_open: 2}
    held = await store.export_customer("C-OLD")
    assert held is not None
    assert (held["transcript"], held["contacts"][0]["params"]) == ([], {})
    assert (chain.intact, chain.removed, chain.checkpoints) == (True, 3, 1)


async def test_a_second_purge_removes_nothing_and_the_chain_holds(
    store: SqliteStore, clock: FixedClock, tmp_path: Path
) -> None:
    retention = timedelta(days=_settings(tmp_path).audit_retention_days)
    await _customer_with_history(store, "C-OLD", at=clock.now() - retention * 2)
    await purge_expired(store, _settings(tmp_path), clock)
    async with store.transaction() as tx:
        await tx.audit(AuditRecord(clock.now(), "bot", "later", "after the purge"))

    again = await purge_expired(store, _settings(tmp_path), clock)
    chain = await store.verify_audit()

    assert (again.audit_records, again.checkpoint_id) == (0, None)
    assert (chain.intact, chain.records, chain.removed) == (True, 2, 3)


async def test_a_tombstone_deleted_behind_the_purge_is_found(
    store: SqliteStore, clock: FixedClock, tmp_path: Path
) -> None:
    retention = timedelta(days=_settings(tmp_path).audit_retention_days)
    await _customer_with_history(store, "C-OLD", at=clock.now() - retention * 2)
    await purge_expired(store, _settings(tmp_path), clock)
    await store.close()
    db = sqlite3.connect(store.path)
    db.execute("DROP TRIGGER audit_removed_is_kept")
    db.execute("DELETE FROM audit_removed WHERE id = (SELECT min(id) FROM audit_removed)")
    db.commit()
    db.close()
    await store.start()

    chain = await store.verify_audit()

    assert [b.problem for b in chain.breaks] == [
        "a record before this removed one is missing",
        "checkpoint does not match what it removed",
    ]


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SETTLE_DATABASE_URL", f"sqlite:///{tmp_path / 'settle.db'}")
    monkeypatch.setenv("SETTLE_LOG_LEVEL", "WARNING")
    return CliRunner()


def test_settle_customer_export_erase_and_purge(
    runner: CliRunner, tmp_path: Path, clock: FixedClock
) -> None:
    async def fill() -> None:
        store = await SqliteStore.open(tmp_path / "settle.db", FixedClock(datetime.now(UTC)))
        await _customer_with_history(store, "C-1", at=datetime.now(UTC) - timedelta(days=5000))
        await store.close()

    asyncio.run(fill())

    exported = runner.invoke(main, ["customer", "export", "C-1", "--out", "c1.json"])
    erased = runner.invoke(main, ["customer", "erase", "C-1", "--yes"])
    purged = runner.invoke(main, ["purge"])
    unknown = runner.invoke(main, ["customer", "export", "C-404"])

    assert (exported.exit_code, erased.exit_code, purged.exit_code) == (0, 0, 0)
    assert json.loads((tmp_path / "c1.json").read_text())["customer"]["email"] == EMAIL
    assert erased.output.startswith("customer C-1 erased (transcript lines: 1,")
    assert purged.output.startswith("1 closed cases past retention: 3 audit records")
    assert purged.output.endswith(", 0 billing payloads emptied; checkpoint 5\n")  # erased before
    assert (unknown.exit_code, unknown.output) == (1, "Error: no customer 'C-404'\n")
    assert runner.invoke(main, ["audit", "verify"]).exit_code == 0


async def test_settle_serve_purges_at_start(tmp_path: Path, clock: FixedClock) -> None:
    settings = _settings(tmp_path)
    store = await SqliteStore.open(tmp_path / "settle.db", clock)
    retention = timedelta(days=settings.audit_retention_days)
    old = await _customer_with_history(store, "C-OLD", at=clock.now() - retention * 2)
    await store.close()

    runtime = Runtime.build(settings, clock=clock)
    await runtime.start()
    try:
        for _ in range(200):
            view = await runtime.store.case_view(old)
            if view is not None and not view.audit:
                break
            await asyncio.sleep(0.01)
    finally:
        await runtime.stop()

    assert view is not None
    assert view.audit == ()
