"""The operator's record-keeping commands: audit verify, backup, restore, customer, purge.

They are registered on `settle` by `bot.cli`; each opens the store through its `_run`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from bot._clock import SystemClock
from bot._errors import ConfigurationError, InvalidInput, NotFound
from bot._privacy import Records, purge_expired
from bot._settings import Settings
from bot.ports import Store

__all__ = ["RECORD_COMMANDS"]


def _run(work: Any, *, existing: bool = True) -> Any:
    from bot.cli import _run as run

    return run(work, existing=existing)


def _records(store: Store) -> Records:
    """The backend's record keeping; PostgreSQL has its own tools (see the README)."""
    if not isinstance(store, Records):
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


@click.group()
def customer() -> None:
    """A customer's personal data: export it, or erase it (COMPLIANCE rule 19)."""


@customer.command()
@click.argument("customer_id")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the JSON to this file instead of the standard output.",
)
def export(customer_id: str, out: Path | None) -> None:
    """Write everything held about CUSTOMER_ID as JSON: profile, invoices, cases, contacts,
    transcript, agreements, letters and audit records."""

    async def work(settings: Settings, store: Store) -> Any:
        held = await _records(store).export_customer(customer_id)
        if held is None:
            raise NotFound("customer", customer_id)
        return held

    text = json.dumps(_run(work), indent=2, ensure_ascii=False, sort_keys=True)
    if out is None:
        click.echo(text)
        return
    out.write_text(text + "\n", encoding="utf-8")
    click.echo(f"customer {customer_id} exported to {out}", err=True)


@customer.command()
@click.argument("customer_id")
@click.option("--yes", is_flag=True, help="Erase without asking.")
def erase(customer_id: str, yes: bool) -> None:
    """Erase what no legal duty requires about CUSTOMER_ID and restrict the rest."""
    if not yes:
        click.confirm(f"erase customer {customer_id}? this cannot be undone", abort=True)

    async def work(settings: Settings, store: Store) -> Any:
        result = await _records(store).erase_customer(customer_id, by="operator")
        if result is None:
            raise NotFound("customer", customer_id)
        return result

    result = _run(work)
    done = ", ".join(f"{what}: {n}" for what, n in result.erased.items())
    click.echo(
        f"customer {customer_id} erased ({done}); kept and restricted under a legal duty: "
        "invoices, payments, cases, agreements, letters and the audit trail"
    )


@click.command()
def purge() -> None:
    """Remove what is past its retention period (SETTLE_AUDIT_RETENTION_DAYS), nothing
    younger; `settle serve` does it every SETTLE_PURGE_EVERY_HOURS."""

    async def work(settings: Settings, store: Store) -> Any:
        return await purge_expired(_records(store), settings, SystemClock())

    result = _run(work)
    click.echo(
        f"{result.cases} closed cases past retention: {result.audit_records} audit records, "
        f"{result.transcript_lines} transcript lines and {result.messages} message details "
        f"removed, {result.event_payloads} billing payloads emptied"
        + (f"; checkpoint {result.checkpoint_id}" if result.checkpoint_id is not None else "")
    )


RECORD_COMMANDS: tuple[click.Command, ...] = (audit, backup, restore, customer, purge)
