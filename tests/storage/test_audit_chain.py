"""The audit trail is a hash chain: append-only in the schema, and verifiable afterwards."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot import Customer
from bot._audit_chain import GENESIS
from bot.cli import main
from bot.ports import AuditRecord
from storage import SqliteStore
from storage._migrate import migrations
from storage._sqlite import _statements
from tests.conftest import FixedClock


# The record keeping is the SQLite backend's (PostgreSQL deployments use pg_dump and their
# own tools); these tests also read the file with sqlite3.
@pytest.fixture
def backend() -> str:
    return "sqlite"


START = datetime(2024, 3, 4, 9, 0, tzinfo=UTC)


async def _append(store: SqliteStore, count: int, *, customer: str = "C-1") -> None:
    async with store.transaction() as tx:
        await tx.upsert_customer(_customer(customer))
    for n in range(count):
        async with store.transaction() as tx:
            await tx.audit(
                AuditRecord(
                    START + timedelta(minutes=n),
                    "bot",
                    "contacted",
                    f"step {n}",
                    None,
                    customer,
                    {"n": n},
                )
            )


def _customer(customer_id: str) -> Customer:
    return Customer(id=customer_id)


def _tamper(path: Path, sql: str) -> None:
    """What someone with the file could do: drop the guard and change a row."""
    db = sqlite3.connect(path)
    db.execute("DROP TRIGGER audit_records_are_append_only")
    db.execute("DROP TRIGGER audit_records_are_kept")
    db.execute(sql)
    db.commit()
    db.close()


async def test_appended_records_form_an_intact_chain(store: SqliteStore) -> None:
    await _append(store, 5)

    report = await store.verify_audit()

    assert (report.intact, report.records, report.removed) == (True, 5, 0)


async def test_the_first_record_follows_the_genesis_hash(store: SqliteStore) -> None:
    await _append(store, 1)

    db = sqlite3.connect(store.path)
    (prev,) = db.execute("SELECT prev_hash FROM audit_records").fetchone()
    db.close()

    assert prev == GENESIS


@pytest.mark.parametrize(
    "sql",
    ["UPDATE audit_records SET reason = 'nothing'", "DELETE FROM audit_records WHERE id = 2"],
)
async def test_the_schema_refuses_to_change_a_record(store: SqliteStore, sql: str) -> None:
    await _append(store, 3)

    db = sqlite3.connect(store.path)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute(sql)
    db.close()


async def test_an_edited_record_is_named(store: SqliteStore) -> None:
    await _append(store, 5)
    await store.close()
    _tamper(store.path, "UPDATE audit_records SET reason = 'nothing to see' WHERE id = 3")
    await store.start()

    report = await store.verify_audit()

    assert [(b.record_id, b.problem) for b in report.breaks] == [
        (3, "its content does not match its hash (edited?)")
    ]


async def test_a_deleted_record_breaks_the_link_of_the_next(store: SqliteStore) -> None:
    await _append(store, 5)
    await store.close()
    _tamper(store.path, "DELETE FROM audit_records WHERE id = 2")
    await store.start()

    report = await store.verify_audit()

    assert [(b.record_id, b.problem) for b in report.breaks] == [
        (3, "does not follow the record before it (deleted?)")
    ]


async def test_a_deleted_last_record_leaves_no_link_to_break_but_a_shorter_chain(
    store: SqliteStore,
) -> None:
    await _append(store, 3)
    head = (await store.verify_audit()).head
    await store.close()
    _tamper(store.path, "DELETE FROM audit_records WHERE id = 3")
    await store.start()

    report = await store.verify_audit()

    # The head an operator noted earlier (settle audit verify prints it) no longer matches.
    assert (report.intact, report.records, report.head == head) == (True, 2, False)


async def test_records_held_before_the_chain_are_chained_by_the_migration(
    tmp_path: Path, clock: FixedClock
) -> None:
    path = tmp_path / "old.db"
    db = sqlite3.connect(path)
    for migration in migrations():
        if migration.version >= 13:
            break
        for statement in _statements(migration.sql):
            db.execute(statement)
    db.execute(
        "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
        "applied_at TEXT NOT NULL)"
    )
    for migration in migrations():
        if migration.version < 13:
            db.execute(
                "INSERT INTO schema_migrations VALUES (?, ?, '2024-01-01T00:00:00.000000Z')",
                (migration.version, migration.name),
            )
    for n in range(3):
        db.execute(
            "INSERT INTO audit_records (at, actor, action, reason) VALUES (?, 'bot', 'x', ?)",
            (f"2024-01-0{n + 1}T00:00:00.000000Z", f"old {n}"),
        )
    db.commit()
    db.close()

    store = await SqliteStore.open(path, clock)
    await _append(store, 2)
    report = await store.verify_audit()
    await store.close()

    assert (report.intact, report.records) == (True, 5)


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SETTLE_DATABASE_URL", f"sqlite:///{tmp_path / 'settle.db'}")
    monkeypatch.setenv("SETTLE_LOG_LEVEL", "WARNING")
    return CliRunner()


def test_settle_audit_verify_exits_1_naming_an_edited_record(
    runner: CliRunner, tmp_path: Path, clock: FixedClock
) -> None:
    store = SqliteStore(tmp_path / "settle.db", clock)

    async def fill() -> None:
        await store.start()
        await _append(store, 4)
        await store.close()

    asyncio.run(fill())
    intact = runner.invoke(main, ["audit", "verify"])
    _tamper(store.path, "UPDATE audit_records SET actor = 'someone' WHERE id = 2")

    broken = runner.invoke(main, ["audit", "verify"])

    assert (intact.exit_code, broken.exit_code) == (0, 1)
    assert intact.output.startswith("audit chain intact: 4 records, 0 removed")
    assert "audit record 2: its content does not match its hash (edited?)" in broken.output
