"""The operator's record-keeping commands: audit verify, backup, restore, customer, purge.

They are registered on `settle` by `bot.cli`; each opens the store through its `_run`.
"""

from __future__ import annotations

import sys
from typing import Any

import click

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


RECORD_COMMANDS: tuple[click.Command, ...] = (audit,)
