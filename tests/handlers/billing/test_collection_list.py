"""A collection centre's list of debts handed to pre-legal: `settle import --collection-list`."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from click.testing import CliRunner

from bot import CaseStage, Ingest, Settings
from bot.cli import main
from handlers.billing import import_collection_list
from storage import SqliteStore
from tests.conftest import FixedClock

LIST = """customer_id,amount_owed,currency,days_overdue,reference,email
C-1,412.90,ILS,95,DEBT-1,dana@home.example
C-2,1200,USD,120,,
C-3,12.5x,USD,90,DEBT-3,
C-4,100.00,USD,soon,DEBT-4,
C-5,80.00,USD,70,DEBT-5,not-an-address
"""


def _write(tmp_path: Path, text: str = LIST) -> Path:
    path = tmp_path / "handover.csv"
    path.write_text(text, encoding="utf-8")
    return path


async def test_each_good_row_opens_a_pre_legal_case_and_each_bad_one_names_its_column(
    store: SqliteStore, clock: FixedClock, settings: Settings, tmp_path: Path
) -> None:
    ingest = Ingest(store, clock, settings)

    summary = await import_collection_list(ingest, clock, _write(tmp_path))

    views = await store.list_cases()
    assert (summary.rows, summary.moved, summary.unchanged) == (5, 2, 0)
    assert summary.errors == [
        (4, "amount_owed: malformed amount '12.5x'; expected a decimal string like '412.90'"),
        (5, "days_overdue: expected a whole number of days, got 'soon'"),
        (6, "email: expected one email address, e.g. dana@example.com"),
    ]
    assert sorted((v.case.customer_id, v.case.stage) for v in views) == [
        ("C-1", CaseStage.PRE_LEGAL),
        ("C-2", CaseStage.PRE_LEGAL),
    ]
    assert [str(v.case.amount_due) for v in views if v.case.customer_id == "C-1"] == ["412.90 ILS"]


async def test_importing_the_list_again_changes_nothing(
    store: SqliteStore, clock: FixedClock, settings: Settings, tmp_path: Path
) -> None:
    ingest = Ingest(store, clock, settings)
    path = _write(tmp_path)
    await import_collection_list(ingest, clock, path)
    before = await store.counts()

    again = await import_collection_list(ingest, clock, path)

    assert (again.moved, again.unchanged) == (0, 2)
    assert await store.counts() == before


async def test_a_debt_is_dated_by_its_age(
    store: SqliteStore, clock: FixedClock, settings: Settings, tmp_path: Path
) -> None:
    ingest = Ingest(store, clock, settings)
    await import_collection_list(ingest, clock, _write(tmp_path), as_of=date(2024, 3, 4))

    async with store.transaction() as tx:
        debt = await tx.get_invoice("DEBT-1")
    assert debt is not None
    assert debt.due_on == date(2023, 11, 30)  # 95 days before 2024-03-04


def test_the_command_reports_rows_and_fails_on_a_bad_one(
    settings: Settings, tmp_path: Path
) -> None:
    path = _write(tmp_path)
    env = {"SETTLE_DATABASE_URL": settings.database_url}

    result = CliRunner().invoke(main, ["import", str(path), "--collection-list"], env=env)

    assert result.exit_code == 1
    assert "5 rows: 2 handed to pre-legal, 0 unchanged, 3 failed" in result.output
    assert "handover.csv:4: amount_owed:" in result.output


def test_a_row_that_is_not_utf8_is_reported_and_the_others_import(
    settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes(
        b"customer_id,amount_owed,currency,days_overdue,name\n"
        b"C-1,100.00,USD,90,Ren\xe9e\n"
        b"C-2,100.00,USD,90,Anna\n"
    )
    env = {"SETTLE_DATABASE_URL": settings.database_url}

    result = CliRunner().invoke(main, ["import", str(path), "--collection-list"], env=env)

    assert result.exit_code == 1
    assert "latin1.csv:2: name: not UTF-8 text; save the list as UTF-8" in result.output
    assert "2 rows: 1 handed to pre-legal, 0 unchanged, 1 failed" in result.output


def test_a_missing_list_is_named(settings: Settings, tmp_path: Path) -> None:
    env = {"SETTLE_DATABASE_URL": settings.database_url}

    result = CliRunner().invoke(
        main, ["import", str(tmp_path / "nowhere.csv"), "--collection-list"], env=env
    )

    assert result.exit_code == 1
    assert "FILE: cannot open" in result.output
    assert "nowhere.csv" in result.output


def test_case_file_writes_the_file_of_a_case_again(settings: Settings, tmp_path: Path) -> None:
    env = {
        "SETTLE_DATABASE_URL": settings.database_url,
        "SETTLE_LEGAL_EXPORT_DIR": str(tmp_path / "legal"),
    }
    CliRunner().invoke(main, ["import", str(_write(tmp_path)), "--collection-list"], env=env)

    result = CliRunner().invoke(main, ["case-file", "1"], env=env)

    written = sorted(path.name for path in (tmp_path / "legal" / "case-1").iterdir())
    assert result.exit_code == 0, result.output
    assert written == ["case-1.json", "case-1.pdf"]


def test_case_file_of_no_case_names_it(settings: Settings, tmp_path: Path) -> None:
    env = {"SETTLE_DATABASE_URL": settings.database_url}
    CliRunner().invoke(main, ["import", str(_write(tmp_path)), "--collection-list"], env=env)

    result = CliRunner().invoke(main, ["case-file", "99"], env=env)

    assert result.exit_code == 1
    assert "no case '99'" in result.output
