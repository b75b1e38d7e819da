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
from datetime import datetime
from pathlib import Path
from typing import Any

import aiosqlite

from bot import (
    ConfigurationError,
    Contact,
    Invoice,
)
from bot._audit_chain import ChainReport, verify_chain
from bot._metrics import Snapshot
from bot.ports import (
    Clock,
    Released,
)
from storage._audit import chain_links, chain_unchained, tombstones
from storage._codec import write_time
from storage._migrate import migrations
from storage._privacy import ErasureResult, PurgeResult, erase_customer, export_customer, purge
from storage._rows import (
    to_invoice,
)
from storage._snapshot import read_snapshot, schema_version
from storage._sql_store import HANDED, IMPORT_INVOICE, POSSIBLY_SENT, SqlStore, claimed
from storage._tx import Connection, SqlTx

__all__ = ["SqliteStore"]

logger = logging.getLogger(__name__)

# The migration that makes audit records a chain; the records already held are chained in it.
_AUDIT_CHAIN = 14


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


class SqliteStore(SqlStore):
    """The `Store` port on one SQLite file."""

    def __init__(self, path: Path, clock: Clock) -> None:
        self.path = path
        self._clock = clock
        self._writer: aiosqlite.Connection | None = None
        self._reader: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()
        self._listeners: list[Callable[[frozenset[str]], None]] = []

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
        await self._reader.execute("PRAGMA query_only = ON")
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
    async def _immediate(self, *, serial: bool = True) -> AsyncIterator[aiosqlite.Connection]:
        # One file, one writer: every write is serialised, whatever `serial` says.
        async with self._lock:
            await self._w.execute("BEGIN IMMEDIATE")
            try:
                yield self._w
            except BaseException:
                await self._w.execute("ROLLBACK")
                raise
            await self._w.execute("COMMIT")

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[SqlTx]:
        # The reader connection is query-only: a write through it raises.
        yield SqlTx(self._r, self._clock.now())

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

    async def iter_book(self, *, batch: int = 10_000) -> AsyncIterator[tuple[Invoice, bool]]:
        sql = """SELECT i.*, EXISTS (SELECT 1 FROM case_invoices ci WHERE ci.invoice_id = i.id)
            AS in_case FROM invoices i ORDER BY i.customer_id, i.issued_on, i.id"""
        async with self._r.execute(sql) as cursor:
            while rows := await cursor.fetchmany(batch):
                for row in rows:
                    yield to_invoice(row), bool(row["in_case"])

    async def dump(
        self, table: str, *, batch: int = 5_000
    ) -> AsyncIterator[tuple[list[str], Sequence[Any]]]:
        async with self._r.execute(f"SELECT * FROM {table}") as cursor:
            columns = [column[0] for column in cursor.description]
            while rows := await cursor.fetchmany(batch):
                yield columns, list(rows)

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
            rows = await db.execute_fetchall(claim, (moment, channel, moment, limit))
            return await claimed(db, [row["id"] for row in rows])

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
        return list(await self._r.execute_fetchall(sql, args))

    async def _write_invoices(self, db: Connection, values: list[tuple[Any, ...]]) -> int:
        before = self._w.total_changes
        await db.executemany(IMPORT_INVOICE, values)
        return self._w.total_changes - before

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

    async def snapshot(self) -> Snapshot:
        """Counts for the gauges of `GET /metrics`."""
        return await read_snapshot(self._r, self._clock.now())

    async def schema_state(self) -> tuple[int, int]:
        """The schema version applied and the latest this version of Settle ships."""
        return await schema_version(self._r), migrations()[-1].version


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
