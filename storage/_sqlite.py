"""The embedded SQLite backend through aiosqlite.

One writer connection serialised by a lock, every read-then-write inside
`BEGIN IMMEDIATE` (a deferred transaction that upgrades fails at once with
"database is locked"), WAL so that a second connection reads meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import aiosqlite

from bot import (
    CaseStage,
    CaseStatus,
    CaseType,
    ConfigurationError,
    Contact,
    ContactStatus,
    Invoice,
)
from bot._audit_chain import ChainReport, verify_chain
from bot._metrics import Snapshot
from bot._model import WaitingEscalation
from bot.ports import (
    AuditRecord,
    BatchResult,
    CaseView,
    Clock,
    ImportedInvoice,
    Released,
    StoredEvent,
)
from storage._audit import chain_links, chain_unchained, tombstones
from storage._codec import write_date, write_time
from storage._migrate import migrations
from storage._privacy import ErasureResult, PurgeResult, erase_customer, export_customer, purge
from storage._rows import (
    to_audit,
    to_case,
    to_contact,
    to_customer,
    to_escalation,
    to_event,
    to_invoice,
    to_link,
)
from storage._snapshot import read_snapshot, schema_version
from storage._sqlite_tx import AGREEMENTS_OF_CASE, SqliteTx, invoice_values, load_agreements

__all__ = ["SqliteStore"]

logger = logging.getLogger(__name__)

# A claimed contact's `last_error` from the moment it leaves for its channel until it is
# finished; after a stop, the release marks it possibly sent (`settle outbox` shows both).
HANDED = "handed to the channel; no answer yet"
POSSIBLY_SENT = "possibly sent: the process stopped after handing it to the channel"

# The migration that makes audit records a chain; the records already held are chained in it.
_AUDIT_CHAIN = 13

_TABLES = (
    "customers",
    "payment_methods",
    "payments",
    "invoices",
    "billing_events",
    "cases",
    "case_invoices",
    "contacts",
    "channel_links",
    "link_tokens",
    "audit_records",
)


async def _connect(path: Path) -> aiosqlite.Connection:
    db = await aiosqlite.connect(path, isolation_level=None)
    try:
        db.row_factory = aiosqlite.Row
        await db.execute("PRAGMA journal_mode = WAL")
        await db.execute("PRAGMA foreign_keys = ON")
        await db.execute("PRAGMA busy_timeout = 10000")
        await db.execute("PRAGMA synchronous = NORMAL")
    except sqlite3.DatabaseError as error:
        # Close it, or aiosqlite's thread keeps the process alive after the error.
        await db.close()
        raise ConfigurationError(f"{path}: not a Settle database: {error}") from None
    return db


class SqliteStore:
    """The `Store` port on one SQLite file."""

    def __init__(self, path: Path, clock: Clock) -> None:
        self.path = path
        self._clock = clock
        self._writer: aiosqlite.Connection | None = None
        self._reader: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()
        self._listeners: list[Callable[[frozenset[str]], None]] = []

    def on_enqueued(self, listener: Callable[[frozenset[str]], None]) -> None:
        """Call `listener` with the channels of the rows a transaction queued, once committed."""
        self._listeners.append(listener)

    @classmethod
    async def open(cls, path: Path, clock: Clock, *, migrate: bool = True) -> SqliteStore:
        """Open (creating if needed) and, by default, bring the schema up to date."""
        store = cls(path, clock)
        await store.start(migrate=migrate)
        return store

    async def start(self, *, migrate: bool = True) -> None:
        """Connect (creating the file if needed) and, by default, migrate."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._writer = await _connect(self.path)
        self._reader = await _connect(self.path)
        if migrate:
            await self.migrate()

    async def close(self) -> None:
        for db in (self._reader, self._writer):
            if db is not None:
                await db.close()
        self._reader = self._writer = None

    @property
    def _w(self) -> aiosqlite.Connection:
        if self._writer is None:
            raise RuntimeError("store is closed")
        return self._writer

    @property
    def _r(self) -> aiosqlite.Connection:
        if self._reader is None:
            raise RuntimeError("store is closed")
        return self._reader

    @asynccontextmanager
    async def _immediate(self) -> AsyncIterator[aiosqlite.Connection]:
        async with self._lock:
            await self._w.execute("BEGIN IMMEDIATE")
            try:
                yield self._w
            except BaseException:
                await self._w.execute("ROLLBACK")
                raise
            await self._w.execute("COMMIT")

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[SqliteTx]:
        async with self._immediate() as db:
            tx = SqliteTx(db, self._clock.now())
            yield tx
        if tx.queued_on:
            channels = frozenset(tx.queued_on)
            for listener in self._listeners:
                listener(channels)

    async def migrate(self) -> list[int]:
        await self._w.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations "
            "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
        )
        applied: list[int] = []
        for migration in migrations():
            async with self._immediate() as db:
                sql = "SELECT 1 FROM schema_migrations WHERE version = ?"
                async with db.execute(sql, (migration.version,)) as cursor:
                    if await cursor.fetchone():
                        continue
                for statement in _statements(migration.sql):
                    await db.execute(statement)
                if migration.version == _AUDIT_CHAIN:
                    await chain_unchained(db)
                await db.execute(
                    "INSERT INTO schema_migrations VALUES (?, ?, ?)",
                    (migration.version, migration.name, write_time(self._clock.now())),
                )
            logger.info("applied migration %s", migration.name)
            applied.append(migration.version)
        return applied

    async def import_invoices(self, rows: Sequence[ImportedInvoice]) -> BatchResult:
        now = write_time(self._clock.now())
        async with self._immediate() as db:
            owners = await _owners(db, [row.invoice.id for row in rows])
            conflicts = tuple(
                (row, owners[row.invoice.id])
                for row in rows
                if owners.get(row.invoice.id, row.customer.id) != row.customer.id
            )
            clashing = {row.invoice.id for row, _ in conflicts}
            fitting = [row for row in rows if row.invoice.id not in clashing]
            customers = {row.customer.id: row.customer for row in fitting}
            customer_rows = [
                (c.id, c.name, c.phone, c.email, c.locale, c.timezone, c.country, now, now)
                for c in customers.values()
            ]
            await db.executemany(_IMPORT_CUSTOMER, customer_rows)
            before = db.total_changes
            await db.executemany(_IMPORT_INVOICE, [invoice_values(r.invoice) for r in fitting])
            changed = db.total_changes - before
        return BatchResult(changed, len(fitting) - changed, conflicts)

    async def mark_overdue(self, invoice_ids: Sequence[str]) -> None:
        sql = "UPDATE invoices SET status = 'overdue' WHERE id = ? AND status = 'open'"
        async with self._immediate() as db:
            await db.executemany(sql, [(invoice_id,) for invoice_id in invoice_ids])

    async def iter_book(self, *, batch: int = 10_000) -> AsyncIterator[tuple[Invoice, bool]]:
        sql = """SELECT i.*, EXISTS (SELECT 1 FROM case_invoices ci WHERE ci.invoice_id = i.id)
            AS in_case FROM invoices i ORDER BY i.customer_id, i.issued_on, i.id"""
        async with self._r.execute(sql) as cursor:
            while rows := await cursor.fetchmany(batch):
                for row in rows:
                    yield to_invoice(row), bool(row["in_case"])

    async def age_book(self, today: date) -> int:
        sql = "UPDATE invoices SET status = 'overdue' WHERE status = 'open' AND due_on < ?"
        async with self._immediate() as db:
            cursor = await db.execute(sql, (write_date(today),))
            return cursor.rowcount

    async def count_overdue(self) -> int:
        sql = "SELECT count(*) AS n FROM invoices WHERE status = 'overdue' AND amount_due > 0"
        return int((await self._rows(sql))[0]["n"])

    async def unjudged_overdue(
        self, *, history: int, batch: int = 1_000
    ) -> AsyncIterator[tuple[Invoice, list[int]]]:
        async with self._r.execute(_UNJUDGED_OVERDUE, (history,)) as cursor:
            while rows := await cursor.fetchmany(batch):
                for row in rows:
                    prior = row["prior"]
                    yield to_invoice(row), [int(n) for n in prior.split(",")] if prior else []

    async def claim_due(self, *, channel: str, now: datetime, limit: int) -> list[Contact]:
        # Oldest first among what is due: a message put back (a 429, a retry, a hold) goes
        # before messages queued after it, instead of behind the whole backlog.
        moment = write_time(now)
        claim = """UPDATE contacts SET status = 'sending', claimed_at = ?,
                attempts = attempts + 1
            WHERE id IN (SELECT id FROM contacts WHERE status = 'queued' AND channel = ?
                AND due_at <= ? ORDER BY id LIMIT ?)
            RETURNING id"""
        async with self._immediate() as db:
            async with db.execute(claim, (moment, channel, moment, limit)) as cursor:
                ids = [row["id"] for row in await cursor.fetchall()]
            if not ids:
                return []
            marks = ",".join("?" * len(ids))
            sql = f"""SELECT c.*, l.chat_id FROM contacts c LEFT JOIN channel_links l
                ON l.customer_id = c.customer_id AND l.channel = c.channel
                WHERE c.id IN ({marks}) ORDER BY c.id"""
            async with db.execute(sql, ids) as cursor:
                return [to_contact(row) for row in await cursor.fetchall()]

    async def finish_contact(
        self,
        contact_id: int,
        *,
        status: ContactStatus,
        at: datetime,
        channel_message_id: str | None = None,
        error: str | None = None,
        retry_at: datetime | None = None,
    ) -> None:
        sent = write_time(at) if status is ContactStatus.SENT else None
        due = None if retry_at is None else write_time(retry_at)
        sql = """UPDATE contacts SET status = ?, sent_at = coalesce(?, sent_at),
                channel_message_id = coalesce(?, channel_message_id), last_error = ?,
                due_at = coalesce(?, due_at), held_rule = NULL WHERE id = ?"""
        async with self._immediate() as db:
            await db.execute(sql, (status.value, sent, channel_message_id, error, due, contact_id))

    async def hold_contact(self, contact_id: int, *, until: datetime, rule: str) -> None:
        sql = """UPDATE contacts SET status = 'queued', due_at = ?, held_rule = ?,
                attempts = max(attempts - 1, 0) WHERE id = ?"""
        async with self._immediate() as db:
            await db.execute(sql, (write_time(until), rule, contact_id))

    async def release_stale(self, *, before: datetime) -> int:
        sql = "UPDATE contacts SET status = 'queued' WHERE status = 'sending' AND claimed_at < ?"
        async with self._immediate() as db:
            cursor = await db.execute(sql, (write_time(before),))
            return cursor.rowcount

    async def hand_over(self, contact_id: int) -> None:
        # The mark lives in last_error, which the outcome overwrites: no column to migrate.
        sql = "UPDATE contacts SET last_error = ? WHERE id = ? AND status = 'sending'"
        async with self._immediate() as db:
            await db.execute(sql, (HANDED, contact_id))

    async def release_orphans(self, *, claimed_before: datetime) -> Released:
        # One process owns the file (DESIGN.md): whatever is `sending` at its start was left
        # by a process that died, however recently it was claimed, so the lease is moot.
        handed = """UPDATE contacts SET status = 'queued', last_error = ?
            WHERE status = 'sending' AND last_error = ? RETURNING id"""
        # The others never left: their claim was no attempt.
        others = """UPDATE contacts SET status = 'queued', attempts = max(attempts - 1, 0)
            WHERE status = 'sending'"""
        async with self._immediate() as db:
            async with db.execute(handed, (POSSIBLY_SENT, HANDED)) as cursor:
                ids = tuple(sorted(row["id"] for row in await cursor.fetchall()))
            cursor = await db.execute(others)
            return Released(len(ids) + cursor.rowcount, ids)

    async def _rows(self, sql: str, *args: Any) -> list[aiosqlite.Row]:
        async with self._r.execute(sql, args) as cursor:
            return list(await cursor.fetchall())

    async def _view(self, row: aiosqlite.Row) -> CaseView:
        case_id, customer_id = row["id"], row["customer_id"]
        invoice_sql = """SELECT i.* FROM invoices i JOIN case_invoices ci ON ci.invoice_id = i.id
            WHERE ci.case_id = ? ORDER BY i.due_on, i.id"""
        invoices = tuple(to_invoice(r) for r in await self._rows(invoice_sql, case_id))
        customer = await self._rows("SELECT * FROM customers WHERE id = ?", customer_id)
        audit = await self._rows(
            "SELECT * FROM audit_records WHERE case_id = ? ORDER BY at, id", case_id
        )
        contacts = await self._rows(
            "SELECT * FROM contacts WHERE case_id = ? ORDER BY created_at, id", case_id
        )
        link = await self._rows(
            "SELECT * FROM channel_links WHERE customer_id = ? AND channel = 'telegram'",
            customer_id,
        )
        agreements = await load_agreements(self._rows, AGREEMENTS_OF_CASE, case_id)
        return CaseView(
            case=to_case(row, invoices),
            customer=to_customer(customer[0]),
            invoices=invoices,
            audit=tuple(to_audit(r) for r in audit),
            contacts=tuple(to_contact(r) for r in contacts),
            channel=to_link(link[0]) if link else None,
            agreements=tuple(agreements),
        )

    async def list_cases(self, *, open_only: bool = False) -> list[CaseView]:
        where = "WHERE closed_at IS NULL" if open_only else ""
        rows = await self._rows(f"SELECT * FROM cases {where} ORDER BY id")
        return [await self._view(row) for row in rows]

    async def case_view(self, case_id: int) -> CaseView | None:
        rows = await self._rows("SELECT * FROM cases WHERE id = ?", case_id)
        return await self._view(rows[0]) if rows else None

    async def open_escalations(self) -> list[WaitingEscalation]:
        sql = """SELECT e.*, c.stage AS case_stage, c.type AS case_type FROM escalations e
            JOIN cases c ON c.id = e.case_id WHERE e.decided_at IS NULL
            ORDER BY e.opened_at, e.id"""
        return [
            WaitingEscalation(
                to_escalation(row), CaseStage(row["case_stage"]), CaseType(row["case_type"])
            )
            for row in await self._rows(sql)
        ]

    async def audit_between(
        self, since: datetime, until: datetime, *, actions: Sequence[str]
    ) -> list[AuditRecord]:
        marks = ",".join("?" * len(actions))
        sql = f"""SELECT * FROM audit_records WHERE at >= ? AND at < ? AND action IN ({marks})
            ORDER BY id"""
        rows = await self._rows(sql, write_time(since), write_time(until), *actions)
        return [to_audit(row) for row in rows]

    async def list_contacts(self, *, status: ContactStatus | None = None) -> list[Contact]:
        if status is None:
            return [to_contact(r) for r in await self._rows("SELECT * FROM contacts ORDER BY id")]
        sql = "SELECT * FROM contacts WHERE status = ? ORDER BY id"
        return [to_contact(r) for r in await self._rows(sql, status.value)]

    async def list_events(self, *, outcome: str | None = None) -> list[StoredEvent]:
        if outcome is None:
            rows = await self._rows("SELECT * FROM billing_events ORDER BY id")
        else:
            sql = "SELECT * FROM billing_events WHERE outcome = ? ORDER BY id"
            rows = await self._rows(sql, outcome)
        return [to_event(row) for row in rows]

    async def counts(self) -> dict[str, int]:
        result = {}
        for table in _TABLES:
            rows = await self._rows(f"SELECT count(*) AS n FROM {table}")
            result[table] = int(rows[0]["n"])
        return result

    async def verify_audit(self) -> ChainReport:
        """Follow the audit chain from its first record; every link that does not hold."""
        # A connection of its own, so that both reads see one snapshot while others write.
        db = await _connect(self.path)
        try:
            await db.execute("BEGIN")
            return verify_chain(await chain_links(db), await tombstones(db))
        finally:
            await db.close()

    async def export_customer(self, customer_id: str) -> dict[str, Any] | None:
        """Everything held about a customer, table by table, from one snapshot."""
        db = await _connect(self.path)
        try:
            await db.execute("BEGIN")
            return await export_customer(db, customer_id)
        finally:
            await db.close()

    async def erase_customer(self, customer_id: str, *, by: str) -> ErasureResult | None:
        """Erase what no legal duty keeps and restrict the rest; None for no such customer."""
        async with self._immediate() as db:
            return await erase_customer(db, customer_id, at=self._clock.now(), by=by)

    async def purge(self, *, before: datetime) -> PurgeResult:
        """Remove what is past retention: closed cases last active before `before`."""
        async with self._immediate() as db:
            return await purge(db, before=before, at=self._clock.now())

    async def first_delivery(self, event_id: str) -> bool:
        """Note a Slack event as handled; whether this is its first delivery (Slack retries
        for up to about an hour, so what is older than a day is forgotten)."""
        now = self._clock.now()
        async with self._immediate() as db:
            cutoff = write_time(now - timedelta(days=1))
            await db.execute("DELETE FROM slack_deliveries WHERE seen_at < ?", (cutoff,))
            cursor = await db.execute(
                "INSERT INTO slack_deliveries VALUES (?, ?) ON CONFLICT DO NOTHING",
                (event_id, write_time(now)),
            )
            return cursor.rowcount == 1

    async def snapshot(self) -> Snapshot:
        """Counts for the gauges of `GET /metrics`."""
        return await read_snapshot(self._r, self._clock.now())

    async def schema_state(self) -> tuple[int, int]:
        """The schema version applied and the latest this version of Settle ships."""
        return await schema_version(self._r), migrations()[-1].version

    async def case_status_counts(self) -> dict[CaseStatus, int]:
        rows = await self._rows("SELECT status, count(*) AS n FROM cases GROUP BY status")
        return {CaseStatus(row["status"]): int(row["n"]) for row in rows}


async def _owners(db: aiosqlite.Connection, invoice_ids: list[str]) -> dict[str, str]:
    """The customer already holding each of these invoice ids, if any."""
    owners: dict[str, str] = {}
    for start in range(0, len(invoice_ids), 500):
        chunk = invoice_ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        sql = f"SELECT id, customer_id FROM invoices WHERE id IN ({marks})"
        async with db.execute(sql, chunk) as cursor:
            owners.update({row["id"]: row["customer_id"] for row in await cursor.fetchall()})
    return owners


def _statements(script: str) -> list[str]:
    """Split a migration into statements (sqlite3.complete_statement knows the grammar)."""
    statements, buffer = [], ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            statements.append(buffer.strip())
            buffer = ""
    if buffer.strip() and not buffer.strip().startswith("--"):
        raise RuntimeError(f"incomplete SQL statement at the end of a migration: {buffer!r}")
    return statements


_IMPORT_CUSTOMER = """INSERT INTO customers (id, name, phone, email, locale, timezone, country,
        created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (id) DO NOTHING"""

# A re-imported row that says nothing new changes nothing; an older snapshot never
# overwrites a newer fact (order safety).
_IMPORT_INVOICE = """INSERT INTO invoices (id, customer_id, currency, amount, amount_due,
        issued_on, due_on, status, fact_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (id) DO UPDATE SET amount = excluded.amount, amount_due = excluded.amount_due,
        due_on = excluded.due_on, status = excluded.status, fact_at = excluded.fact_at
    WHERE excluded.fact_at >= invoices.fact_at AND (invoices.amount != excluded.amount
        OR invoices.amount_due != excluded.amount_due OR invoices.status != excluded.status
        OR invoices.due_on != excluded.due_on)"""

# Overdue invoices with an amount due that no case holds, each with the amounts of the
# customer's latest invoices issued strictly before it in its currency, through the
# invoices_customer index; the order of the amounts is immaterial (a median is taken).
_UNJUDGED_OVERDUE = """SELECT i.*, (SELECT group_concat(amount) FROM (SELECT p.amount
        FROM invoices p WHERE p.customer_id = i.customer_id AND p.issued_on < i.issued_on
            AND p.currency = i.currency
        ORDER BY p.issued_on DESC, p.id DESC LIMIT ?1)) AS prior
    FROM invoices i
    WHERE i.status = 'overdue' AND i.amount_due > 0
        AND NOT EXISTS (SELECT 1 FROM case_invoices ci WHERE ci.invoice_id = i.id)
    ORDER BY i.customer_id, i.issued_on, i.id"""
