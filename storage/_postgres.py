"""The PostgreSQL backend through asyncpg, for several workers on one database.

Units of work are real transactions from a pool. Each takes one transaction-level
advisory lock, so that read-then-write units are serialised across every worker as
`BEGIN IMMEDIATE` serialises them on SQLite, and the same code holds the same invariants
on both. The outbox's own single-row updates take no such lock: they are atomic as they
stand, and a campaign's sends do not queue behind a conversation's turn. Claims take
due rows with `FOR UPDATE SKIP LOCKED`, so that workers never wait for one another's.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from bot import ConfigurationError, Contact, Invoice
from bot.ports import Clock, Released
from storage._codec import write_time
from storage._migrate import migrations
from storage._pg import PgConnection, numbered, postgres_schema, sync_sequences
from storage._rows import Row, to_invoice
from storage._sql_store import HANDED, IMPORT_INVOICE, POSSIBLY_SENT, SqlStore, claimed
from storage._tx import Connection, SqlTx

__all__ = ["PostgresStore", "redacted"]

logger = logging.getLogger(__name__)

# Advisory lock keys (any 64-bit numbers no other application on the database uses).
_WRITERS = 0x5E771E_0001
_MIGRATIONS = 0x5E771E_0002
# A worker whose heartbeat is older than this has stopped; its claims are put back.
WORKER_TIMEOUT = timedelta(seconds=15)


def redacted(url: str) -> str:
    """The URL without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return urlunsplit(parts._replace(netloc=netloc))


class PostgresStore(SqlStore):
    """The `Store` port on a PostgreSQL database shared by any number of workers."""

    shared = True

    def __init__(
        self,
        url: str,
        clock: Clock,
        *,
        pool_size: int = 10,
        chat_interval: timedelta = timedelta(0),
    ) -> None:
        self.url = url
        # Telegram's pause between two messages to one chat, counted from the earlier one's
        # answer: a claim leaves a chat alone for that long, whichever worker sent last.
        self.chat_interval = chat_interval
        self.worker = f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"
        self._clock = clock
        self._pool_size = pool_size
        self._pool: asyncpg.Pool | None = None
        self._turns: asyncpg.Pool | None = None
        self._listeners: list[Callable[[frozenset[str]], None]] = []

    @classmethod
    async def open(cls, url: str, clock: Clock, *, migrate: bool = True) -> PostgresStore:
        """Connect and, by default, bring the schema up to date."""
        store = cls(url, clock)
        await store.start(migrate=migrate)
        return store

    async def start(self, *, migrate: bool = True) -> None:
        """Open the connection pool and, by default, migrate."""
        try:
            self._pool = await asyncpg.create_pool(
                self.url, min_size=1, max_size=self._pool_size, command_timeout=60
            )
            # Chats' turns hold their connections for a whole update: a pool of their own,
            # so that they never starve the units of work the updates run.
            self._turns = await asyncpg.create_pool(
                self.url, min_size=0, max_size=self._pool_size, command_timeout=60
            )
        except (OSError, asyncpg.PostgresError) as error:
            msg = f"SETTLE_DATABASE_URL: cannot connect to {redacted(self.url)}: {error}"
            raise ConfigurationError(msg) from None
        if migrate:
            await self.migrate()

    async def close(self) -> None:
        for pool in (self._turns, self._pool):
            if pool is not None:
                await pool.close()
        self._pool = self._turns = None

    @property
    def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise RuntimeError("store is closed")
        return self._pool

    @property
    def turns(self) -> asyncpg.Pool:
        if self._turns is None:
            raise RuntimeError("store is closed")
        return self._turns

    @asynccontextmanager
    async def _immediate(self, *, serial: bool = True) -> AsyncIterator[Connection]:
        async with self.pool.acquire() as connection, connection.transaction():
            if serial:
                await connection.execute("SELECT pg_advisory_xact_lock($1)", _WRITERS)
            yield PgConnection(connection)

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[SqlTx]:
        # A read-only transaction on a pooled connection: no writers' lock, no writes.
        async with self.pool.acquire() as connection, connection.transaction(readonly=True):
            yield SqlTx(PgConnection(connection), self._clock.now())

    async def _rows(self, sql: str, *args: Any) -> Sequence[Row]:
        rows: Sequence[Row] = await self.pool.fetch(numbered(sql), *args)
        return rows

    async def _write_invoices(self, db: Connection, values: list[tuple[Any, ...]]) -> int:
        changed = 0
        for row in values:
            changed += (await db.execute(IMPORT_INVOICE, row)).rowcount
        return changed

    async def migrate(self) -> list[int]:
        applied: list[int] = []
        async with self.pool.acquire() as connection:
            # Workers starting together: one migrates, the others wait and find it done.
            await connection.execute("SELECT pg_advisory_lock($1)", _MIGRATIONS)
            try:
                await connection.execute(
                    "CREATE TABLE IF NOT EXISTS schema_migrations "
                    "(version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
                )
                for migration in migrations():
                    async with connection.transaction():
                        sql = "SELECT 1 FROM schema_migrations WHERE version = $1"
                        if await connection.fetchval(sql, migration.version):
                            continue
                        await connection.execute(postgres_schema(migration.sql))
                        await sync_sequences(connection)
                        await connection.execute(
                            "INSERT INTO schema_migrations VALUES ($1, $2, $3)",
                            migration.version,
                            migration.name,
                            write_time(self._clock.now()),
                        )
                    logger.info("applied migration %s", migration.name)
                    applied.append(migration.version)
            finally:
                await connection.execute("SELECT pg_advisory_unlock($1)", _MIGRATIONS)
        return applied

    async def iter_book(self, *, batch: int = 10_000) -> AsyncIterator[tuple[Invoice, bool]]:
        sql = """SELECT i.*, EXISTS (SELECT 1 FROM case_invoices ci WHERE ci.invoice_id = i.id)
            AS in_case FROM invoices i ORDER BY i.customer_id, i.issued_on, i.id"""
        async with self.pool.acquire() as connection, connection.transaction():
            async for row in connection.cursor(sql, prefetch=batch):
                yield to_invoice(row), bool(row["in_case"])

    async def dump(
        self, table: str, *, batch: int = 5_000
    ) -> AsyncIterator[tuple[list[str], Sequence[Any]]]:
        async with self.pool.acquire() as connection, connection.transaction():
            cursor = await connection.cursor(f"SELECT * FROM {table}")
            while rows := await cursor.fetch(batch):
                yield list(rows[0].keys()), rows

    async def versions(self) -> list[int]:
        """The schema versions applied, in order; none when the database is not migrated."""
        found = await self.pool.fetchval("SELECT to_regclass('schema_migrations')")
        return [] if found is None else await super().versions()

    async def unjudged_overdue(
        self, *, history: int, batch: int = 1_000
    ) -> AsyncIterator[tuple[Invoice, list[int]]]:
        async with self.pool.acquire() as connection, connection.transaction():
            async for row in connection.cursor(_UNJUDGED_OVERDUE, history, prefetch=batch):
                yield to_invoice(row), list(row["prior"])

    async def claim_due(self, *, channel: str, now: datetime, limit: int) -> list[Contact]:
        moment = write_time(now)
        interval = self.chat_interval if channel == "telegram" else timedelta(0)
        after = write_time(now - interval)
        async with self.pool.acquire() as connection, connection.transaction():
            rows = await connection.fetch(_CLAIM, channel, moment, limit, self.worker, after)
            return await claimed(PgConnection(connection), [row["id"] for row in rows])

    async def heartbeat(self) -> int:
        """Say this worker is alive; how many workers are (this one included)."""
        now = self._clock.now()
        sql = """INSERT INTO workers (id, started_at, seen_at) VALUES ($1, $2, $2)
            ON CONFLICT (id) DO UPDATE SET seen_at = excluded.seen_at"""
        async with self.pool.acquire() as connection:
            await connection.execute(sql, self.worker, write_time(now))
            alive = "SELECT count(*) FROM workers WHERE seen_at >= $1"
            count: int = await connection.fetchval(alive, write_time(now - WORKER_TIMEOUT))
        return max(count, 1)

    async def leave(self) -> None:
        """Say this worker stops, so that the others take its share at once."""
        await self.pool.execute("DELETE FROM workers WHERE id = $1", self.worker)

    @asynccontextmanager
    async def chat_turn(self, channel: str, chat_id: str) -> AsyncIterator[None]:
        """Hold the chat's advisory lock, on a connection of its own, until the turn ends.

        A session-level lock: a worker that dies loses its connection and with it the lock.
        """
        key = f"{channel}:{chat_id}"
        async with self.turns.acquire() as connection:
            await connection.execute("SELECT pg_advisory_lock(hashtextextended($1, 0))", key)
            try:
                yield
            finally:
                await connection.execute("SELECT pg_advisory_unlock(hashtextextended($1, 0))", key)

    async def release_orphans(self, *, claimed_before: datetime) -> Released:
        # Several workers share the rows: only claims of a worker that stopped (its heartbeat
        # is old, or it never had one) or older than the lease are put back.
        alive = write_time(self._clock.now() - WORKER_TIMEOUT)
        args = (write_time(claimed_before), alive, self.worker)
        async with self.pool.acquire() as connection, connection.transaction():
            handed = await connection.fetch(_RELEASE_HANDED, *args, POSSIBLY_SENT, HANDED)
            others = await connection.fetch(_RELEASE_OTHERS, *args)
        ids = tuple(sorted(row["id"] for row in handed))
        return Released(len(ids) + len(others), ids)


# Claim due rows no other worker holds, oldest first; a chat's row only when no earlier due
# row of that chat is being sent or waits outside this claim, and none was sent after $5
# (the chat interval), so that a chat's messages leave in order and spaced whichever
# worker takes them.
_CLAIM = """WITH candidates AS (
        SELECT id, customer_id FROM contacts
        WHERE status = 'queued' AND channel = $1 AND due_at <= $2
        ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED
    ), taken AS (
        SELECT c.id FROM candidates c
        WHERE c.customer_id IS NULL OR NOT EXISTS (
            SELECT 1 FROM contacts e
            WHERE e.customer_id = c.customer_id AND e.channel = $1 AND e.id < c.id
                AND (e.status = 'sending' OR (e.status = 'queued' AND e.due_at <= $2)
                    OR (e.status = 'sent' AND e.sent_at > $5))
                AND e.id NOT IN (SELECT id FROM candidates))
    )
    UPDATE contacts SET status = 'sending', claimed_at = $2, claimed_by = $4,
        attempts = attempts + 1
    WHERE id IN (SELECT id FROM taken) RETURNING id"""

# Rows left `sending` by a worker that is gone: claimed before the lease ($1), or by a
# worker other than this one ($3) whose heartbeat is older than $2 or missing.
_ORPHANED = """status = 'sending' AND (claimed_at < $1 OR (coalesce(claimed_by, '') != $3
        AND NOT EXISTS (SELECT 1 FROM workers w WHERE w.id = claimed_by AND w.seen_at >= $2)))"""
_RELEASE_HANDED = f"""UPDATE contacts SET status = 'queued', last_error = $4
    WHERE {_ORPHANED} AND last_error = $5 RETURNING id"""
# The others never left: their claim was no attempt.
_RELEASE_OTHERS = f"""UPDATE contacts SET status = 'queued', attempts = greatest(attempts - 1, 0)
    WHERE {_ORPHANED} RETURNING id"""

_UNJUDGED_OVERDUE = """SELECT i.*, ARRAY(SELECT p.amount
        FROM invoices p WHERE p.customer_id = i.customer_id AND p.issued_on < i.issued_on
            AND p.currency = i.currency
        ORDER BY p.issued_on DESC, p.id DESC LIMIT $1) AS prior
    FROM invoices i
    WHERE i.status = 'overdue' AND i.amount_due > 0
        AND NOT EXISTS (SELECT 1 FROM case_invoices ci WHERE ci.invoice_id = i.id)
    ORDER BY i.customer_id, i.issued_on, i.id"""
