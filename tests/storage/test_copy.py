"""`settle db copy`: an SQLite deployment moved to PostgreSQL, verified by counts and sums."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from bot import CaseStatus, CaseType, ConfigurationError, Customer, Money, Reason
from bot._agreements import Agreement, AgreementKind
from bot._plans import Instalment
from bot.cli import main
from bot.ports import ChannelLink
from storage import PostgresStore, SqliteStore, copy_database
from storage._copy import COPIED_TABLES, NOT_COPIED, table_sum
from tests.conftest import FixedClock, empty_postgres, shared

NOW = datetime(2024, 3, 4, 10, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[2]


async def _deployment(store: SqliteStore) -> None:
    async with store.transaction() as tx:
        await tx.upsert_customer(Customer("C-1", name="Ada", locale="en_US"))
        await tx.link_channel(ChannelLink("C-1", "telegram", "77", NOW))
        case = await tx.insert_case(
            customer_id="C-1",
            case_type=CaseType.A,
            reason=Reason.EXPIRED_CARD,
            status=CaseStatus.CONTACTING,
            opened_at=NOW,
            why={"rule": "A"},
        )
        total = Money(30000, "USD")
        items = tuple(Instalment(n, date(2024, 3, n * 7), Money(10000, "USD")) for n in (1, 2, 3))
        agreement = Agreement(
            case.id, "C-1", AgreementKind.PLAN, total, items, "terms", "v1", "en", "telegram", NOW
        )
        await tx.insert_agreement(agreement)
        await tx.insert_letter(
            case_id=case.id,
            customer_id="C-1",
            language="en",
            deadline=date(2024, 4, 1),
            sha256="00" * 32,
            pdf=b"%PDF-1.7\x00\xff binary",
            enabled_by="U1",
            created_at=NOW,
        )


async def _letter(store: SqliteStore | PostgresStore) -> object:
    async with store.transaction() as tx:
        return await tx.get_letter(1)


@pytest.fixture
async def stores(
    tmp_path: Path, clock: FixedClock, postgres_database: str
) -> AsyncIterator[tuple[SqliteStore, PostgresStore]]:
    await empty_postgres(postgres_database)
    source = await SqliteStore.open(tmp_path / "settle.db", clock)
    target = await PostgresStore.open(postgres_database, clock)
    yield source, target
    await target.close()
    await source.close()


async def test_a_copy_reads_back_the_same_cases_agreements_and_letters(
    stores: tuple[SqliteStore, PostgresStore],
) -> None:
    source, target = stores
    await _deployment(source)

    copies = await copy_database(source, target)

    assert await target.list_cases() == await source.list_cases()
    assert await _letter(target) == await _letter(source)
    assert {c.table: c.rows for c in copies if c.rows} == {
        "customers": 1,
        "cases": 1,
        "channel_links": 1,
        "agreements": 1,
        "agreement_items": 3,
        "letters": 1,
    }


async def test_ids_continue_after_the_copied_ones(
    stores: tuple[SqliteStore, PostgresStore],
) -> None:
    source, target = stores
    await _deployment(source)
    await copy_database(source, target)

    async with target.transaction() as tx:
        case = await tx.insert_case(
            customer_id="C-1",
            case_type=CaseType.C,
            reason=Reason.OTHER,
            status=CaseStatus.CONTACTING,
            opened_at=NOW,
            why={},
        )

    assert case.id == 2


async def test_a_target_with_rows_is_refused_naming_the_table(
    stores: tuple[SqliteStore, PostgresStore],
) -> None:
    source, target = stores
    async with target.transaction() as tx:
        await tx.upsert_customer(Customer("C-9"))

    with pytest.raises(ConfigurationError, match="not empty: table customers has 1 rows"):
        await copy_database(source, target)


async def _batches(
    columns: list[str], rows: Sequence[tuple[Any, ...]]
) -> AsyncIterator[tuple[list[str], Sequence[Any]]]:
    yield columns, rows


async def test_the_checksum_ignores_row_order_but_not_a_changed_value() -> None:
    rows = [(1, "a", b"\x00"), (2, "b", None)]
    columns = ["id", "name", "blob"]

    same = await table_sum(_batches(columns, rows[::-1]))
    changed = await table_sum(_batches(columns, [rows[0], (2, "c", None)]))

    assert same == await table_sum(_batches(columns, rows))
    assert changed[0] == same[0]
    assert changed[1] != same[1]


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith(("SETTLE_", "TELEGRAM_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("SETTLE_LOG_LEVEL", "WARNING")
    return CliRunner()


def _settle(runner: CliRunner, url: str, *args: str) -> str:
    result = runner.invoke(main, list(args), env={"SETTLE_DATABASE_URL": url})
    assert result.exit_code == 0, result.output
    return result.output


def test_settle_db_copy_moves_an_imported_book_and_the_cases_read_the_same(
    runner: CliRunner, tmp_path: Path, postgres_database: str
) -> None:
    asyncio.run(empty_postgres(postgres_database))
    sqlite = f"sqlite:///{tmp_path / 'settle.db'}"
    book = str(shared("datasets", "WA_Fn-UseC_-Accounts-Receivable.csv"))
    mapping = str(ROOT / "examples" / "accounts-receivable.toml")
    _settle(
        runner,
        sqlite,
        "import",
        book,
        "--mapping",
        mapping,
        "--as-of",
        "2013-06-01",
        "--no-progress",
    )

    said = _settle(runner, sqlite, "db", "copy", sqlite, postgres_database)

    assert said.splitlines()[-1].endswith("tables; counts and checksums match")
    cases = _settle(runner, sqlite, "cases", "--json")
    assert _settle(runner, postgres_database, "cases", "--json") == cases


def test_settle_db_copy_refuses_an_sqlite_target(runner: CliRunner, tmp_path: Path) -> None:
    source = f"sqlite:///{tmp_path / 'a.db'}"
    _settle(runner, source, "migrate")

    result = runner.invoke(main, ["db", "copy", source, f"sqlite:///{tmp_path / 'b.db'}"])

    assert result.exit_code == 1
    assert "the target must be postgresql://" in result.output


async def test_every_table_of_the_schema_is_copied_or_left_out_by_name(tmp_path: Path) -> None:
    store = await SqliteStore.open(
        tmp_path / "schema.db", FixedClock(datetime(2024, 3, 4, tzinfo=UTC))
    )
    try:
        rows = await store._rows(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    finally:
        await store.close()

    assert {row["name"] for row in rows} == set(COPIED_TABLES) | NOT_COPIED
