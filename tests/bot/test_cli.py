"""The `settle` command line, run through click's runner and as a real process."""

from __future__ import annotations

import csv
import json
import os
import socket
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from bot.cli import main
from storage._migrate import migrations
from tests.conftest import shared

ROOT = Path(__file__).resolve().parents[2]
MAPPING = str(ROOT / "examples" / "accounts-receivable.toml")


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith(("SETTLE_", "TELEGRAM_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("SETTLE_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("SETTLE_LOG_LEVEL", "WARNING")
    return CliRunner()


def _import_ar(runner: CliRunner) -> str:
    path = str(shared("datasets", "WA_Fn-UseC_-Accounts-Receivable.csv"))
    args = ["import", path, "--mapping", MAPPING, "--as-of", "2013-06-01", "--no-progress"]
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    return result.output


def test_import_prints_a_summary(runner: CliRunner) -> None:
    output = _import_ar(runner)

    assert output.startswith(
        "2466 rows: 2466 imported (2466 new or changed, 0 unchanged), 0 failed"
    )


def test_cases_json_lists_type_c_cases_with_why(runner: CliRunner) -> None:
    _import_ar(runner)

    result = runner.invoke(main, ["cases", "--json"])

    rows = json.loads(result.output)
    assert {(r["type"], r["status"], r["reason"]) for r in rows} == {
        ("C", "no channel yet", "substantial_overdue")
    }
    assert all(r["why"]["as_of"] == "2013-06-01" for r in rows)


def test_cases_table_says_why_each_case_was_opened(runner: CliRunner) -> None:
    _import_ar(runner)

    result = runner.invoke(main, ["cases"])

    header, row = result.output.splitlines()
    assert header.split()[-1] == "why"
    assert row.endswith("invoice=5408072058 ratio=1.79 median=23.975")


def test_case_shows_invoices_and_history(runner: CliRunner) -> None:
    _import_ar(runner)

    result = runner.invoke(main, ["case", "1"])

    assert result.exit_code == 0
    assert "status: no channel yet" in result.output
    assert "opened: substantial invoice overdue" in result.output


def test_unknown_case_is_a_clean_error(runner: CliRunner) -> None:
    runner.invoke(main, ["migrate"])

    result = runner.invoke(main, ["case", "99"])

    assert (result.exit_code, result.output.strip()) == (1, "Error: no case '99'")


def test_link_for_unknown_customer_is_a_clean_error(runner: CliRunner) -> None:
    runner.invoke(main, ["migrate"])

    result = runner.invoke(main, ["link", "nobody"], env={"SETTLE_TELEGRAM_BOT_USERNAME": "b"})

    assert (result.exit_code, result.output.strip()) == (1, "Error: no customer 'nobody'")


def test_link_prints_a_deep_link(runner: CliRunner) -> None:
    _import_ar(runner)

    result = runner.invoke(
        main, ["link", "0379-NEVHP"], env={"SETTLE_TELEGRAM_BOT_USERNAME": "settle_bot"}
    )

    assert result.output.startswith("https://t.me/settle_bot?start=")
    assert len(result.output.strip().rpartition("=")[2]) == 32


def test_reading_commands_without_a_database_say_where_they_looked(
    runner: CliRunner, tmp_path: Path
) -> None:
    result = runner.invoke(main, ["cases"])

    assert result.exit_code == 1
    assert f"no database at {tmp_path / 'cli.db'}" in result.output
    assert not (tmp_path / "cli.db").exists()


def test_events_without_any_says_so(runner: CliRunner) -> None:
    runner.invoke(main, ["migrate"])

    result = runner.invoke(main, ["events", "--unmatched"])

    assert result.output.strip() == "no unmatched events"


def test_import_with_bad_rows_exits_1_and_names_the_line(
    runner: CliRunner, tmp_path: Path
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(
        "customer_id,invoice_id,amount,issued_on,due_on\n"
        "C1,I1,10.00,2024-01-01,2024-01-31\n"
        "C1,I2,ten,2024-01-01,2024-01-31\n"
    )

    result = runner.invoke(main, ["import", str(path), "--currency", "EUR", "--no-progress"])

    assert result.exit_code == 1
    assert "bad.csv:3: amount: malformed amount 'ten'" in result.output
    assert "2 rows: 1 imported" in result.output


def test_import_of_a_missing_file_names_it(runner: CliRunner) -> None:
    result = runner.invoke(main, ["import", "nowhere.csv", "--currency", "EUR"])

    assert result.exit_code == 1
    assert "cannot open nowhere.csv" in result.output


def test_migrate_twice_reports_up_to_date(runner: CliRunner) -> None:
    first = runner.invoke(main, ["migrate"])
    second = runner.invoke(main, ["migrate"])

    versions = [migration.version for migration in migrations()]
    assert (first.output.strip(), second.output.strip()) == (
        f"applied migrations: {versions}",
        "schema is up to date",
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SETTLE_PORT", "eighty"),
        ("SETTLE_LOG_LEVEL", "LOUD"),
        ("SETTLE_SUBSTANTIAL_MIN_AMOUNT", "USD=abc"),
        ("SETTLE_DEFAULT_TIMEZONE", "Mars/Base"),
        ("SETTLE_DEFAULT_LOCALE", "xx_YY"),
    ],
)
def test_bad_setting_names_the_variable(runner: CliRunner, name: str, value: str) -> None:
    result = runner.invoke(main, ["cases"], env={name: value})

    assert result.exit_code == 2
    assert f"Error: {name}:" in result.output


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_serve_without_a_token_says_which_setting_is_missing(tmp_path: Path) -> None:
    port = _free_port()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "SETTLE_DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}",
    }
    command = [sys.executable, "-m", "bot.cli", "serve", "--port", str(port)]
    process = subprocess.Popen(command, cwd=tmp_path, env=env, stderr=subprocess.PIPE, text=True)
    try:
        health = _wait_healthy(port)
    finally:
        process.terminate()
        _, errors = process.communicate(timeout=20)

    assert health == {"status": "ok", "cases": 0}
    missing = [line for line in errors.splitlines() if "TELEGRAM_BOT_TOKEN is not set" in line]
    assert len(missing) == 1


def _wait_healthy(port: int) -> object:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).json()
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError("settle serve did not answer /healthz within 20 s")


def _open_on(day: date) -> int:
    """Invoices of the AR sample open but not yet due on `day`, counted from the CSV."""
    path = shared("datasets", "WA_Fn-UseC_-Accounts-Receivable.csv")
    with path.open(newline="") as stream:
        rows = list(csv.DictReader(stream))

    def read(text: str) -> date:
        month, day_of_month, year = (int(part) for part in text.split("/"))
        return date(year, month, day_of_month)

    return sum(
        1
        for r in rows
        if read(r["InvoiceDate"]) <= day < read(r["SettledDate"]) and read(r["DueDate"]) >= day
    )


def test_triage_today_ages_what_was_still_open_in_the_replay(runner: CliRunner) -> None:
    _import_ar(runner)

    result = runner.invoke(main, ["triage"])

    aged = int(result.output.split(" invoice")[0])
    assert (result.exit_code, aged) == (0, _open_on(date(2013, 6, 1)))


def test_outbox_lists_queued_and_held_contacts(runner: CliRunner, tmp_path: Path) -> None:
    import asyncio
    from datetime import UTC, datetime

    from bot import Customer, SystemClock
    from storage import SqliteStore

    async def fill() -> None:
        store = await SqliteStore.open(tmp_path / "cli.db", SystemClock())
        moment = datetime(2024, 3, 4, 6, 0, tzinfo=UTC)
        async with store.transaction() as tx:
            await tx.upsert_customer(Customer("C-1"))
            for key in ("a", "b"):
                await tx.enqueue(
                    customer_id="C-1",
                    case_id=None,
                    channel="telegram",
                    template="first_contact",
                    params={},
                    due_at=moment,
                    dedupe_key=key,
                )
        [first, _] = await store.claim_due(channel="telegram", now=moment, limit=2)
        await store.hold_contact(first.id, until=moment.replace(hour=8), rule="window")
        await store.close()

    asyncio.run(fill())
    result = runner.invoke(main, ["outbox"])
    held = runner.invoke(main, ["outbox", "--status", "held"])

    lines = result.output.splitlines()
    assert "held (window)" in lines[0]
    assert "2024-03-04T08:00:00+00:00" in lines[0]
    assert "sending" in lines[1]
    assert (held.exit_code, held.output.splitlines()) == (0, lines[:1])


def test_serve_on_a_port_in_use_stops_before_starting_anything(
    runner: CliRunner, tmp_path: Path
) -> None:
    import socket

    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = busy.getsockname()[1]
        result = runner.invoke(main, ["serve", "--host", "127.0.0.1", "--port", str(port)])

    assert result.exit_code == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.output
    assert not (tmp_path / "cli.db").exists()


def test_serve_refuses_a_port_out_of_range_naming_the_option(runner: CliRunner) -> None:
    result = runner.invoke(main, ["serve", "--port", "99999"])

    assert result.exit_code == 2
    assert "--port" in result.output


def test_a_bad_contact_rules_file_stops_the_command_naming_it(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text('[il]\nquiet_from = { shabbat = "14:00" }\n', encoding="utf-8")
    monkeypatch.setenv("SETTLE_CONTACT_RULES_FILE", str(rules))

    result = runner.invoke(main, ["triage"])

    assert result.exit_code == 2
    assert f"SETTLE_CONTACT_RULES_FILE {rules}: il.quiet_from" in result.output
    assert "unknown day 'shabbat'" in result.output
