"""What the SQL backends share: the store's statements, written once for both dialects.

A backend supplies its connections: `_immediate` opens a read-then-write unit of work
(`serial=False`: one that needs no serialising with other writers, such as the outbox's
own updates of single rows) and `_rows` reads outside one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import date, datetime, timedelta
from typing import Any

from bot import CaseStage, CaseStatus, CaseType, ContactStatus, Invoice
from bot._model import Contact, WaitingEscalation
from bot.ports import (
    AuditRecord,
    BatchResult,
    CaseView,
    Clock,
    ImportedInvoice,
    Released,
    StoredEvent,
)
from storage._codec import write_date, write_time
from storage._rows import (
    Row,
    to_audit,
    to_case,
    to_contact,
    to_customer,
    to_escalation,
    to_event,
    to_invoice,
    to_link,
)
from storage._tx import AGREEMENTS_OF_CASE, Connection, SqlTx, invoice_values, load_agreements

__all__ = [
    "HANDED",
    "IMPORT_INVOICE",
    "POSSIBLY_SENT",
    "TABLES",
    "SqlStore",
    "claimed",
]

# A claimed contact's `last_error` from the moment it leaves for its channel until it is
# finished; after a stop, the release marks it possibly sent (`settle outbox` shows both).
HANDED = "handed to the channel; no answer yet"
POSSIBLY_SENT = "possibly sent: the process stopped after handing it to the channel"

# Every table, parents before children: the order of `counts` and of `settle db copy`.
TABLES = (
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


class SqlStore:
    """The dialect-independent half of the `Store` port."""

    _clock: Clock
    _listeners: list[Callable[[frozenset[str]], None]]
    # Whether several workers may share the database (see `heartbeat`).
    shared = False

    async def start(self, *, migrate: bool = True) -> None:
        raise NotImplementedError

    async def close(self) -> None:
        raise NotImplementedError

    async def migrate(self) -> list[int]:
        raise NotImplementedError

    def iter_book(self, *, batch: int = 10_000) -> AsyncIterator[tuple[Invoice, bool]]:
        raise NotImplementedError

    def unjudged_overdue(
        self, *, history: int, batch: int = 1_000
    ) -> AsyncIterator[tuple[Invoice, list[int]]]:
        raise NotImplementedError

    async def claim_due(self, *, channel: str, now: datetime, limit: int) -> list[Contact]:
        raise NotImplementedError

    async def release_orphans(self, *, claimed_before: datetime) -> Released:
        raise NotImplementedError

    def dump(
        self, table: str, *, batch: int = 5_000
    ) -> AsyncIterator[tuple[list[str], Sequence[Any]]]:
        """Every row of a table as (column names, rows), in batches, for `settle db copy`."""
        raise NotImplementedError

    async def versions(self) -> list[int]:
        """The schema versions applied, in order."""
        rows = await self._rows("SELECT version FROM schema_migrations ORDER BY version")
        return [int(row["version"]) for row in rows]

    async def heartbeat(self) -> int:
        """Say this worker is alive; how many workers share the database (here, one)."""
        return 1

    async def leave(self) -> None:
        """Say this worker stops (nothing to say when it is the only one)."""

    @asynccontextmanager
    async def chat_turn(self, channel: str, chat_id: str) -> AsyncIterator[None]:
        """A chat's turn; one process owning the database needs none from it."""
        yield

    def _immediate(self, *, serial: bool = True) -> AbstractAsyncContextManager[Connection]:
        raise NotImplementedError

    def reading(self) -> AbstractAsyncContextManager[SqlTx]:
        """Lookups that write nothing, without the writers' lock (see `Store.reading`)."""
        raise NotImplementedError

    async def _rows(self, sql: str, *args: Any) -> Sequence[Row]:
        raise NotImplementedError

    async def _write_invoices(self, db: Connection, values: list[tuple[Any, ...]]) -> int:
        """Upsert imported invoices; how many rows changed."""
        raise NotImplementedError

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

    def on_enqueued(self, listener: Callable[[frozenset[str]], None]) -> None:
        """Call `listener` with the channels of the rows a transaction queued, once committed."""
        self._listeners.append(listener)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[SqlTx]:
        async with self._immediate() as db:
            tx = SqlTx(db, self._clock.now())
            yield tx
        if tx.queued_on:
            channels = frozenset(tx.queued_on)
            for listener in self._listeners:
                listener(channels)

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
            changed = await self._write_invoices(db, [invoice_values(r.invoice) for r in fitting])
        return BatchResult(changed, len(fitting) - changed, conflicts)

    async def mark_overdue(self, invoice_ids: Sequence[str]) -> None:
        sql = "UPDATE invoices SET status = 'overdue' WHERE id = ? AND status = 'open'"
        async with self._immediate() as db:
            await db.executemany(sql, [(invoice_id,) for invoice_id in invoice_ids])

    async def age_book(self, today: date) -> int:
        sql = "UPDATE invoices SET status = 'overdue' WHERE status = 'open' AND due_on < ?"
        async with self._immediate() as db:
            cursor = await db.execute(sql, (write_date(today),))
            return cursor.rowcount

    async def count_overdue(self) -> int:
        sql = "SELECT count(*) AS n FROM invoices WHERE status = 'overdue' AND amount_due > 0"
        return int((await self._rows(sql))[0]["n"])

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
        async with self._immediate(serial=False) as db:
            await db.execute(sql, (status.value, sent, channel_message_id, error, due, contact_id))

    async def hold_contact(self, contact_id: int, *, until: datetime, rule: str) -> None:
        sql = """UPDATE contacts SET status = 'queued', due_at = ?, held_rule = ?,
                attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END WHERE id = ?"""
        async with self._immediate(serial=False) as db:
            await db.execute(sql, (write_time(until), rule, contact_id))

    async def release_stale(self, *, before: datetime) -> int:
        sql = "UPDATE contacts SET status = 'queued' WHERE status = 'sending' AND claimed_at < ?"
        async with self._immediate(serial=False) as db:
            cursor = await db.execute(sql, (write_time(before),))
            return cursor.rowcount

    async def hand_over(self, contact_id: int) -> None:
        # The mark lives in last_error, which the outcome overwrites: no column to migrate.
        sql = "UPDATE contacts SET last_error = ? WHERE id = ? AND status = 'sending'"
        async with self._immediate(serial=False) as db:
            await db.execute(sql, (HANDED, contact_id))

    async def _view(self, row: Row) -> CaseView:
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
        for table in TABLES:
            rows = await self._rows(f"SELECT count(*) AS n FROM {table}")
            result[table] = int(rows[0]["n"])
        return result

    async def case_status_counts(self) -> dict[CaseStatus, int]:
        rows = await self._rows("SELECT status, count(*) AS n FROM cases GROUP BY status")
        return {CaseStatus(row["status"]): int(row["n"]) for row in rows}


async def claimed(db: Connection, ids: list[int]) -> list[Contact]:
    """Claimed contacts by id, each with its chat on its channel, in id order."""
    if not ids:
        return []
    marks = ",".join("?" * len(ids))
    sql = f"""SELECT c.*, l.chat_id FROM contacts c LEFT JOIN channel_links l
        ON l.customer_id = c.customer_id AND l.channel = c.channel
        WHERE c.id IN ({marks}) ORDER BY c.id"""
    return [to_contact(row) for row in await db.execute_fetchall(sql, ids)]


async def _owners(db: Connection, invoice_ids: list[str]) -> dict[str, str]:
    """The customer already holding each of these invoice ids, if any."""
    owners: dict[str, str] = {}
    for start in range(0, len(invoice_ids), 500):
        chunk = invoice_ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        sql = f"SELECT id, customer_id FROM invoices WHERE id IN ({marks})"
        async with db.execute(sql, chunk) as cursor:
            owners.update({row["id"]: row["customer_id"] for row in await cursor.fetchall()})
    return owners


_IMPORT_CUSTOMER = """INSERT INTO customers (id, name, phone, email, locale, timezone, country,
        created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (id) DO NOTHING"""

# A re-imported row that says nothing new changes nothing; an older snapshot never
# overwrites a newer fact (order safety).
IMPORT_INVOICE = """INSERT INTO invoices (id, customer_id, currency, amount, amount_due,
        issued_on, due_on, status, fact_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (id) DO UPDATE SET amount = excluded.amount, amount_due = excluded.amount_due,
        due_on = excluded.due_on, status = excluded.status, fact_at = excluded.fact_at
    WHERE excluded.fact_at >= invoices.fact_at AND (invoices.amount != excluded.amount
        OR invoices.amount_due != excluded.amount_due OR invoices.status != excluded.status
        OR invoices.due_on != excluded.due_on)"""

# Overdue invoices with an amount due that no case holds, each with the amounts of the
