"""The operator's record-keeping commands: audit verify, backup, restore, customer, purge.

They are registered on `settle` by `bot.cli`; each opens the store through its `_run`.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from bot._errors import ConfigurationError, InvalidInput
from bot._settings import Settings
from bot.ports import Store

__all__ = ["RECORD_COMMANDS"]


def _run(work: Any, *, existing: bool = True) -> Any:
    from bot.cli import _run as run

    return run(work, existing=existing)


def _records(store: Store) -> Any:
    """The backend's record keeping: SQLite only for now (PostgreSQL: see the README)."""
    from storage import SqliteStore

    if not isinstance(store, SqliteStore):
        raise click.ClickException("this command needs the SQLite backend")
    return store


@click.group()
def audit() -> None:
    """The audit trail: append-only records, each holding the hash of the one before."""


@audit.command()
def verify() -> None:
    """Follow the audit chain; exit 1 naming every record edited, deleted or out of chain."""

    async def work(settings: Settings, store: Store) -> Any:
        return await _records(store).verify_audit()

    report = _run(work)
    for fault in report.breaks:
        click.echo(f"audit record {fault.record_id}: {fault.problem}", err=True)
    state = "intact" if report.intact else f"BROKEN in {len(report.breaks)} places"
    click.echo(
        f"audit chain {state}: {report.records} records, {report.removed} removed by "
        f"{report.checkpoints} purge checkpoints; head {report.head[:16]}"
    )
    if not report.intact:
        sys.exit(1)


def _sqlite_path() -> Path:
    from bot.cli import _settings

    path = _settings().sqlite_path
    if path is None:
        msg = (
            "SETTLE_DATABASE_URL is not an SQLite file; back PostgreSQL up with pg_dump "
            "and pg_restore (see the README)"
        )
        raise click.ClickException(msg)
    return path


def _described(info: Any) -> str:
    rows = ", ".join(f"{n} {table}" for table, n in info.rows.items())
    return f"schema version {info.schema_version}, {info.bytes} bytes: {rows}"


@click.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def backup(path: Path) -> None:
    """Copy the database to PATH, consistently, while `settle serve` runs."""
    from storage import backup_database

    try:
        info = backup_database(_sqlite_path(), path)
    except (ConfigurationError, InvalidInput) as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"backed up to {path}: {_described(info)}")


@click.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Replace the database without asking.")
def restore(path: Path, yes: bool) -> None:
    """Replace the database with the backup at PATH (stop `settle serve` first)."""
    from storage import restore_database

    target = _sqlite_path()
    if target.exists() and not yes:
        click.confirm(f"replace {target} with {path}?", abort=True)
    try:
        info = restore_database(path, target)
    except (ConfigurationError, InvalidInput) as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"restored {target} from {path}: {_described(info)}")


RECORD_COMMANDS: tuple[click.Command, ...] = (audit, backup, restore)
