"""The `settle` command line: serve, sandbox, migrate, import, cases, case, link, events."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import sys
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import click
from pydantic import ValidationError

from bot import (
    ConfigurationError,
    ContactStatus,
    InvalidInput,
    NotFound,
    Settings,
    SystemClock,
)
from bot._logs import quiet_libraries
from bot._render import case_detail, case_rows, case_table
from bot.ports import Store

__all__ = ["main"]

_T = TypeVar("_T")


def _settings() -> Settings:
    try:
        return Settings()
    except ValidationError as error:
        first = error.errors()[0]
        if not first["loc"]:  # a rule across settings: its message names them
            message = str(first["msg"]).removeprefix("Value error, ")
            raise click.UsageError(message) from None
        name = "SETTLE_" + "_".join(str(part) for part in first["loc"]).upper()
        raise click.UsageError(f"{name}: {first['msg']}") from None


def _run(work: Callable[[Settings, Store], Awaitable[_T]], *, existing: bool = False) -> _T:
    """Open the configured store, run `work`, close it; operator errors become clean exits.

    With `existing`, a database that is not there yet is an error rather than a new file.
    """
    from storage import open_store

    settings = _settings()
    path = settings.sqlite_path
    if existing and path is not None and not path.exists():
        msg = f"no database at {path.resolve()} (SETTLE_DATABASE_URL); import or serve first"
        raise click.ClickException(msg)

    async def runner() -> _T:
        store = await open_store(settings, SystemClock())
        try:
            return await work(settings, store)
        finally:
            await store.close()

    try:
        return asyncio.run(runner())
    except (ConfigurationError, InvalidInput, NotFound) as error:
        raise click.ClickException(str(error)) from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--log-level",
    type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False),
    help="Overrides SETTLE_LOG_LEVEL for this command.",
)
def main(log_level: str | None) -> None:
    """Settle keeps customers out of collections."""
    level = log_level or _settings().log_level
    logging.basicConfig(
        level=level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    # httpx logs every request URL at INFO (Bot API URLs carry the bot token), aiosqlite
    # every statement's values at DEBUG: see bot/_logs.py.
    quiet_libraries()


@main.command()
@click.option("--polling", is_flag=True, help="Use Telegram long polling instead of the webhook.")
@click.option(
    "--socket-mode",
    is_flag=True,
    help="Take Slack's events over Socket Mode (SLACK_APP_TOKEN) instead of POST /slack/events.",
)
@click.option("--host", default=None, help="Address to listen on (SETTLE_HOST).")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=None,
    help="Port to listen on (SETTLE_PORT).",
)
def serve(polling: bool, socket_mode: bool, host: str | None, port: int | None) -> None:
    """Run everything in one process: webhooks, Telegram, Slack, the outbox worker.

    For development without public URLs, --polling and --socket-mode reach Telegram and
    Slack from here instead of waiting for their webhooks.
    """
    import uvicorn

    from bot.app import Runtime, create_app

    settings = _settings()
    _check_free(host or settings.host, port if port is not None else settings.port)
    try:
        app = create_app(Runtime.build(settings, polling=polling, socket_mode=socket_mode))
    except ConfigurationError as error:
        raise click.ClickException(str(error)) from None
    from storage import redacted

    click.echo(
        f"Settle on http://{host or settings.host}:{port or settings.port} "
        f"with {redacted(settings.database_url)}",
        err=True,
    )
    uvicorn.run(
        app,
        host=host or settings.host,
        port=port if port is not None else settings.port,
        log_config=None,
        access_log=False,
    )


@main.command()
@click.option(
    "--reset",
    is_flag=True,
    help="Delete the sandbox's database (and its clock) first: start again from the samples.",
)
@click.option(
    "--database",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("settle-sandbox.db"),
    show_default=True,
    help="The sandbox's own SQLite file; the samples are loaded when it does not exist.",
)
@click.option("--host", default=None, help="Address to listen on (SETTLE_HOST).")
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    default=None,
    help="Port to listen on (SETTLE_PORT).",
)
def sandbox(reset: bool, database: Path, host: str | None, port: int | None) -> None:
    """Run the whole service against local Telegram and Slack emulators, with sample data and
    a web console to play the customer, the staff, billing and the clock.

    Nothing reaches Telegram, Slack, billing or email: their settings are replaced.
    """
    import uvicorn

    from handlers.sandbox import running_sandbox

    settings = _settings()
    host = host or settings.host
    port = port if port is not None else settings.port
    _check_free(host, port)
    origin = f"http://{host}:{port}"

    async def run() -> None:
        async with running_sandbox(settings, database=database, origin=origin, reset=reset) as box:
            config = uvicorn.Config(
                box.app, host=host, port=port, log_config=None, access_log=False
            )
            server = uvicorn.Server(config)
            click.echo(f"Settle sandbox: open {origin}/sandbox (database {database})")
            sys.stdout.flush()  # seen at once even when the output goes to a file or a pipe
            await server.serve()

    try:
        asyncio.run(run())
    except ConfigurationError as error:
        raise click.ClickException(str(error)) from None


def _check_free(host: str, port: int) -> None:
    """Refuse a port in use before starting anything (the sweep, the outbox, Telegram)."""
    try:
        with socket.create_server((host, port)):
            pass
    except OSError as error:
        raise click.ClickException(f"cannot listen on {host}:{port}: {error.strerror}") from None


@main.command()
def migrate() -> None:
    """Apply pending schema migrations."""

    async def work(settings: Settings, store: Store) -> list[int]:
        return await store.migrate()

    from storage import open_store

    settings = _settings()

    async def runner() -> list[int]:
        store = await open_store(settings, SystemClock(), migrate=False)
        try:
            return await work(settings, store)
        finally:
            await store.close()

    try:
        applied = asyncio.run(runner())
    except ConfigurationError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"applied migrations: {applied}" if applied else "schema is up to date")


@main.command(name="import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--mapping",
    type=click.Path(dir_okay=False, path_type=Path),
    help="TOML file naming the column of each field (see README).",
)
@click.option(
    "--map",
    "pairs",
    multiple=True,
    metavar="FIELD=COLUMN",
    help="Map one field to a column; repeatable; overrides --mapping.",
)
@click.option(
    "--format",
    "kind",
    type=click.Choice(["csv", "jsonl"]),
    help="File format; by default from the file name.",
)
@click.option("--date-format", help="strptime format of dates, e.g. %m/%d/%Y.")
@click.option("--currency", help="Currency of every row, for files without one.")
@click.option(
    "--as-of",
    type=click.DateTime(["%Y-%m-%d"]),
    help="Replay the export as it stood on this date (YYYY-MM-DD).",
)
@click.option(
    "--progress/--no-progress",
    default=None,
    help="Show a progress bar (default: only on a terminal).",
)
@click.option(
    "--collection-list",
    is_flag=True,
    help="FILE is a collection centre's CSV list of debts to hand to the pre-legal stage: "
    "customer_id, amount_owed, currency, days_overdue (and reference, name, phone, ...).",
)
def import_(
    file: Path,
    mapping: Path | None,
    pairs: tuple[str, ...],
    kind: str | None,
    date_format: str | None,
    currency: str | None,
    as_of: Any,
    progress: bool | None,
    collection_list: bool,
) -> None:
    """Import invoices from a CSV or JSON Lines billing export, then triage the book;
    or, with --collection-list, hand a list of debts to the pre-legal stage."""
    from handlers.billing import Mapping, import_file

    overrides = dict(_pair(pair) for pair in pairs)
    day: date | None = as_of.date() if as_of else None
    if collection_list:
        _import_collection(file, overrides, day)
        return

    async def work(settings: Settings, store: Store) -> Any:
        rules = Mapping.load(mapping, overrides=overrides)
        rules = rules.with_date_format(date_format).with_currency(currency)
        return await import_file(
            store,
            settings,
            SystemClock(),
            file,
            rules,
            kind=kind,
            as_of=day,
            show_progress=progress,
        )

    summary = _run(work)
    for error in sorted(summary.errors, key=lambda e: e.line):
        click.echo(f"{file.name}:{error.line}: {error.message}", err=True)
    if summary.failed > len(summary.errors):
        click.echo(f"... and {summary.failed - len(summary.errors)} more failed rows", err=True)
    click.echo(_import_line(summary))
    if summary.failed:
        sys.exit(1)


def _import_collection(file: Path, columns: dict[str, str], day: date | None) -> None:
    from bot import Ingest
    from handlers.billing import import_collection_list

    async def work(settings: Settings, store: Store) -> Any:
        clock = SystemClock()
        ingest = Ingest(store, clock, settings)
        return await import_collection_list(ingest, clock, file, columns=columns, as_of=day)

    summary = _run(work)
    for line, message in summary.errors:
        click.echo(f"{file.name}:{line}: {message}", err=True)
    click.echo(
        f"{_count(summary.rows, 'row')}: {summary.moved} handed to pre-legal, "
        f"{summary.unchanged} unchanged, {len(summary.errors)} failed"
    )
    if summary.errors:
        sys.exit(1)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _import_line(summary: Any) -> str:
    rows = _count(summary.rows, "row")
    superseded = (
        f", {summary.superseded} replaced by a later row for the same invoice"
        if summary.superseded
        else ""
    )
    return (
        f"{rows}: {summary.imported} imported ({summary.written} new or changed, "
        f"{summary.unchanged} unchanged{superseded}), {summary.failed} failed; "
        f"book: {_count(summary.overdue, 'overdue invoice')}, "
        f"{_count(summary.cases_opened, 'case')} opened; "
        f"{summary.seconds:.1f} s"
    )


@main.command()
def triage() -> None:
    """Sweep the book today: age open invoices past due, open type C cases where substantial.

    `settle serve` does this at start and every SETTLE_TRIAGE_EVERY_HOURS. To move a
    replayed export forward, import it again with a later --as-of instead.
    """
    from bot import sweep

    async def work(settings: Settings, store: Store) -> Any:
        clock = SystemClock()
        return await sweep(store, settings, clock, today=clock.now().date(), actor="triage")

    result = _run(work, existing=True)
    click.echo(
        f"{_count(result.aged, 'invoice')} became overdue; {result.overdue} overdue in all, "
        f"{result.substantial} substantial, {_count(len(result.opened), 'case')} opened"
    )


def _pair(text: str) -> tuple[str, str]:
    field, sep, column = text.partition("=")
    if not sep or not field or not column:
        raise click.BadParameter(f"expected FIELD=COLUMN, got {text!r}", param_hint="--map")
    return field.strip(), column.strip()


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option("--open", "open_only", is_flag=True, help="Only cases that are not closed.")
def cases(as_json: bool, open_only: bool) -> None:
    """List cases: type, reason, amount due, status, and why each was opened."""

    async def work(settings: Settings, store: Store) -> Any:
        return await store.list_cases(open_only=open_only)

    views = _run(work, existing=True)
    if as_json:
        click.echo(json.dumps(case_rows(views), indent=2))
    else:
        click.echo(case_table(views))


@main.command()
@click.argument("case_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def case(case_id: int, as_json: bool) -> None:
    """Show one case with its invoices, contacts and history."""

    async def work(settings: Settings, store: Store) -> Any:
        view = await store.case_view(case_id)
        if view is None:
            raise NotFound("case", str(case_id))
        return view

    view = _run(work, existing=True)
    click.echo(
        json.dumps(case_rows([view], full=True)[0], indent=2) if as_json else case_detail(view)
    )


@main.command(name="case-file")
@click.argument("case_id", type=int)
def case_file(case_id: int) -> None:
    """Write a case's file for lawyers (JSON and PDF) to SETTLE_LEGAL_EXPORT_DIR again."""
    from bot import Authority
    from bot._handoff import Handoff
    from messages import load_catalogues, render_case_file

    async def work(settings: Settings, store: Store) -> Path:
        load_catalogues()
        authority = Authority.load(settings.authority_file)
        handoff = Handoff(store, SystemClock(), settings, authority, render=render_case_file)
        return await handoff.write_case_file(case_id, by="operator")

    click.echo(f"case file written to {_run(work, existing=True)}")


@main.command()
@click.argument("customer_id")
def link(customer_id: str) -> None:
    """Print a single-use Telegram deep link for a customer."""
    from bot import Linking
    from handlers.telegram import bot_username

    async def work(settings: Settings, store: Store) -> str:
        username = await bot_username(settings)
        linking = Linking(store, SystemClock(), settings)
        return await linking.deep_link(customer_id, bot_username=username)

    click.echo(_run(work, existing=True))


_HELD = "held"


@main.command()
@click.option(
    "--status",
    type=click.Choice([*(s.value for s in ContactStatus), _HELD]),
    help="Only contacts in this state; held: queued ones the contact policy holds back.",
)
def outbox(status: str | None) -> None:
    """List the outbox: queued (and held, with the rule and when), sent, failed and dead."""

    async def work(settings: Settings, store: Store) -> Any:
        wanted = ContactStatus.QUEUED if status == _HELD else status
        return await store.list_contacts(status=ContactStatus(wanted) if wanted else None)

    contacts = _run(work, existing=True)
    if status == _HELD:
        contacts = [c for c in contacts if c.held_rule]
    if not contacts:
        click.echo("the outbox is empty" if status is None else f"no {status} contacts")
    for c in contacts:
        state = c.status.value
        if c.status is ContactStatus.QUEUED and c.held_rule:
            state = f"held ({c.held_rule})"
        when = (c.sent_at or c.due_at).isoformat(timespec="seconds")
        click.echo(
            f"{c.id:>6}  {c.channel:<8}  {c.template:<20}  {state:<22}  {when}  "
            f"case {c.case_id or '-'}  attempts {c.attempts}  {c.last_error or ''}".rstrip()
        )


@main.command()
@click.option(
    "--unmatched",
    is_flag=True,
    help="Only events naming a mandate, payment or invoice Settle does not know.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON lines instead of a table.")
def events(unmatched: bool, as_json: bool) -> None:
    """List received billing events with their outcome."""

    async def work(settings: Settings, store: Store) -> Any:
        return await store.list_events(outcome="unmatched" if unmatched else None)

    found = _run(work, existing=True)
    if not found:
        click.echo("no unmatched events" if unmatched else "no events")
    for event in found:
        received = event.received_at.isoformat(timespec="seconds")
        if as_json:
            row = {
                "received_at": received,
                "source": event.source,
                "id": event.source_id,
                "type": event.type,
                "outcome": event.outcome,
                "customer": event.customer_id,
                "detail": event.detail,
            }
            click.echo(json.dumps(row))
            continue
        click.echo(
            f"{received}  {event.source}  {event.source_id}  {event.type}  "
            f"{event.outcome}  {event.customer_id or '-'}  {event.detail or ''}".rstrip()
        )


def _add_record_commands() -> None:
    from bot._records_cli import RECORD_COMMANDS

    for command in RECORD_COMMANDS:
        main.add_command(command)


_add_record_commands()


if __name__ == "__main__":
    main()


@main.group()
def db() -> None:
    """Move a deployment between databases."""


@db.command(name="copy")
@click.argument("source_url")
@click.argument("target_url")
def db_copy(source_url: str, target_url: str) -> None:
    """Copy every row of SOURCE_URL into the empty, migrated PostgreSQL TARGET_URL.

    For example `settle db copy sqlite:///settle.db postgresql://settle@db/settle`, with
    the service stopped. Each table is verified afterwards by its count and a checksum.
    """
    from storage import PostgresStore, copy_database, redacted, store_for_url

    async def run() -> list[Any]:
        clock = SystemClock()
        source = store_for_url(source_url, clock)
        target = store_for_url(target_url, clock)
        if not isinstance(target, PostgresStore):
            raise ConfigurationError(f"{redacted(target_url)}: the target must be postgresql://")
        await source.start(migrate=False)
        try:
            await target.start(migrate=False)
            try:
                return await copy_database(source, target)
            finally:
                await target.close()
        finally:
            await source.close()

    path = source_url.removeprefix("sqlite:///")
    if source_url.startswith("sqlite:///") and not Path(path).exists():
        raise click.ClickException(f"no database at {Path(path).resolve()} (SOURCE_URL)")
    try:
        copies = asyncio.run(run())
    except ConfigurationError as error:
        raise click.ClickException(str(error)) from None
    for copy in copies:
        click.echo(f"{copy.table:<16} {copy.rows:>9} rows  sha256-sum {copy.checksum[:16]}")
    total = sum(copy.rows for copy in copies)
    click.echo(f"copied {total} rows in {len(copies)} tables; counts and checksums match")
