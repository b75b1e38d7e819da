"""One unit of work: the `Tx` port on a connection inside a transaction, for both backends.

The SQL is written once, with `?` placeholders and the types SQLite stores (times and
dates as text in one fixed format, money as integer minor units); the PostgreSQL backend
runs it through `storage._pg.PgConnection`, which numbers the placeholders.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator, Iterable, Sequence
from datetime import date, datetime
from typing import Any, Protocol

from bot import (
    Case,
    CaseStage,
    CaseStatus,
    CaseType,
    Customer,
    Invoice,
    Money,
    PaymentMethod,
    Reason,
)
from bot._agreements import Agreement
from bot._chat_state import ChatState
from bot._model import Escalation, EscalationReason, Letter, TranscriptLine
from bot._offers import Offer, OfferState
from bot.ports import AuditRecord, ChannelLink, ReceivedPayment, RegisteredPayment, StoredEvent
from storage._audit import append_audit
from storage._codec import dump_json, read_date, read_time, write_date, write_time
from storage._rows import (
    Row,
    to_agreement,
    to_case,
    to_chat_state,
    to_customer,
    to_escalation,
    to_invoice,
    to_letter,
    to_link,
    to_method,
    to_transcript,
)

__all__ = ["Connection", "Cursor", "SqlTx"]

_FIELDS = ("name", "phone", "email", "locale", "timezone", "country", "marketing_consent")


class _Prefixed:
    """The columns of a row whose names start with `prefix`, by their names without it."""

    def __init__(self, row: Row, prefix: str) -> None:
        self._row = row
        self._prefix = prefix

    def __getitem__(self, key: str, /) -> Any:
        return self._row[self._prefix + key]

    def keys(self) -> list[str]:
        start = len(self._prefix)
        # A row iterates over its values, not its names: keys() it is.
        names = self._row.keys()
        return [key[start:] for key in names if key.startswith(self._prefix)]


class Cursor(Protocol):
    """What a statement leaves to read: its rows and how many it changed."""

    @property
    def rowcount(self) -> int: ...

    async def fetchone(self) -> Any: ...

    async def fetchall(self) -> Iterable[Any]: ...


class Pending(Protocol):
    """A statement under way: awaited, or entered as a context, it gives its cursor."""

    def __await__(self) -> Generator[Any, None, Cursor]: ...

    async def __aenter__(self) -> Cursor: ...

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any, /) -> None: ...


class Connection(Protocol):
    """The part of an aiosqlite connection the SQL here uses (`PgConnection` offers it too)."""

    def execute(self, sql: str, parameters: Iterable[Any], /) -> Pending: ...

    def executemany(self, sql: str, parameters: Iterable[Iterable[Any]], /) -> Pending: ...

    async def execute_fetchall(self, sql: str, parameters: Iterable[Any], /) -> Iterable[Any]:
        """Run a statement and read all its rows: one call, where a cursor takes three."""
        ...


class SqlTx:
    """The `Tx` port on either backend; the caller owns BEGIN and COMMIT."""

    def __init__(self, db: Connection, now: datetime) -> None:
        self._db = db
        self._now = write_time(now)
        self.queued_on: set[str] = set()  # channels this transaction queued rows on

    async def _one(self, sql: str, *args: Any) -> Row | None:
        # Each call to aiosqlite is a hop to its thread and back: a cursor's execute, fetch
        # and close are three, this is one. The queries here select at most a few rows.
        rows = list(await self._db.execute_fetchall(sql, args))
        return rows[0] if rows else None

    async def _all(self, sql: str, *args: Any) -> list[Row]:
        return list(await self._db.execute_fetchall(sql, args))

    async def record_event(self, event: StoredEvent) -> bool:
        sql = """INSERT INTO billing_events (source, source_id, type, occurred_at, received_at,
                customer_id, outcome, payload, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (source, source_id) DO NOTHING"""
        occurred = None if event.occurred_at is None else write_time(event.occurred_at)
        cursor = await self._db.execute(
            sql,
            (
                event.source,
                event.source_id,
                event.type,
                occurred,
                write_time(event.received_at),
                event.customer_id,
                event.outcome,
                event.payload,
                event.detail,
            ),
        )
        return cursor.rowcount == 1

    async def event_known(self, source: str, source_id: str) -> bool:
        sql = "SELECT 1 FROM billing_events WHERE source = ? AND source_id = ?"
        return await self._one(sql, source, source_id) is not None

    async def get_customer(self, customer_id: str) -> Customer | None:
        row = await self._one("SELECT * FROM customers WHERE id = ?", customer_id)
        return None if row is None else to_customer(row)

    async def upsert_customer(self, customer: Customer) -> Customer:
        values = [getattr(customer, name) for name in _FIELDS]
        updates = ", ".join(f"{n} = coalesce(excluded.{n}, customers.{n})" for n in _FIELDS)
        sql = f"""INSERT INTO customers (id, {", ".join(_FIELDS)}, created_at, updated_at)
            VALUES ({", ".join("?" * (len(_FIELDS) + 3))})
            ON CONFLICT (id) DO UPDATE SET {updates}, updated_at = excluded.updated_at
            WHERE customers.restricted_at IS NULL"""
        await self._db.execute(sql, (customer.id, *values, self._now, self._now))
        stored = await self.get_customer(customer.id)
        assert stored is not None
        return stored

    async def set_opted_out(self, customer_id: str, at: datetime | None) -> None:
        moment = None if at is None else write_time(at)
        sql = "UPDATE customers SET opted_out_at = ?, updated_at = ? WHERE id = ?"
        await self._db.execute(sql, (moment, self._now, customer_id))

    async def set_chosen_locale(self, customer_id: str, locale: str) -> None:
        sql = "UPDATE customers SET chosen_locale = ?, updated_at = ? WHERE id = ?"
        await self._db.execute(sql, (locale, self._now, customer_id))

    async def is_opted_out(self, customer_id: str) -> bool:
        row = await self._one("SELECT opted_out_at FROM customers WHERE id = ?", customer_id)
        return row is not None and row["opted_out_at"] is not None

    async def get_payment_method(self, reference: str) -> PaymentMethod | None:
        row = await self._one("SELECT * FROM payment_methods WHERE reference = ?", reference)
        return None if row is None else to_method(row)

    async def save_payment_method(self, method: PaymentMethod) -> None:
        sql = """INSERT INTO payment_methods
            (reference, customer_id, kind, status, reason, last4, expires_on, fact_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (reference) DO UPDATE SET customer_id = excluded.customer_id,
                kind = excluded.kind, status = excluded.status, reason = excluded.reason,
                last4 = coalesce(excluded.last4, payment_methods.last4),
                expires_on = coalesce(excluded.expires_on, payment_methods.expires_on),
                fact_at = excluded.fact_at"""
        expires = None if method.expires_on is None else write_date(method.expires_on)
        reason = None if method.reason is None else method.reason.value
        await self._db.execute(
            sql,
            (
                method.reference,
                method.customer_id,
                method.kind,
                method.status,
                reason,
                method.last4,
                expires,
                write_time(method.fact_at),
            ),
        )

    async def register_payment(
        self,
        payment_id: str,
        *,
        customer_id: str,
        method: str | None,
        invoice_id: str | None,
        received: tuple[Money | None, datetime] | None = None,
    ) -> None:
        amount, currency, received_at = None, None, None
        if received is not None:
            money, moment = received
            received_at = write_time(moment)
            if money is not None:
                amount, currency = money.minor, money.currency
        sql = """INSERT INTO payments (id, customer_id, method_reference, invoice_id,
                registered_at, amount, currency, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (id) DO UPDATE SET
                method_reference = coalesce(excluded.method_reference, payments.method_reference),
                invoice_id = coalesce(excluded.invoice_id, payments.invoice_id),
                amount = coalesce(excluded.amount, payments.amount),
                currency = coalesce(excluded.currency, payments.currency),
                received_at = coalesce(excluded.received_at, payments.received_at)"""
        values = (payment_id, customer_id, method, invoice_id, self._now)
        await self._db.execute(sql, (*values, amount, currency, received_at))

    async def received_for(self, invoice_id: str) -> list[ReceivedPayment]:
        sql = """SELECT id, amount, currency, received_at FROM payments
            WHERE invoice_id = ? AND received_at IS NOT NULL ORDER BY received_at, id"""
        rows = await self._all(sql, invoice_id)
        return [
            ReceivedPayment(
                row["id"],
                None if row["amount"] is None else Money(row["amount"], row["currency"]),
                read_time(row["received_at"]),
            )
            for row in rows
        ]

    async def find_payment(self, payment_id: str) -> RegisteredPayment | None:
        row = await self._one("SELECT * FROM payments WHERE id = ?", payment_id)
        if row is None:
            return None
        return RegisteredPayment(
            row["id"], row["customer_id"], row["method_reference"], row["invoice_id"]
        )

    async def get_invoice(self, invoice_id: str) -> Invoice | None:
        row = await self._one("SELECT * FROM invoices WHERE id = ?", invoice_id)
        return None if row is None else to_invoice(row)

    async def save_invoice(self, invoice: Invoice) -> None:
        sql = """INSERT INTO invoices (id, customer_id, currency, amount, amount_due, issued_on,
                due_on, status, fact_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (id) DO UPDATE SET customer_id = excluded.customer_id,
                currency = excluded.currency, amount = excluded.amount,
                amount_due = excluded.amount_due, issued_on = excluded.issued_on,
                due_on = excluded.due_on, status = excluded.status, fact_at = excluded.fact_at"""
        await self._db.execute(sql, invoice_values(invoice))

    async def unpaid_invoices(self, customer_id: str) -> list[Invoice]:
        sql = """SELECT * FROM invoices WHERE customer_id = ? AND amount_due > 0
            ORDER BY due_on, issued_on, id"""
        return [to_invoice(row) for row in await self._all(sql, customer_id)]

    async def prior_amounts(
        self, customer_id: str, currency: str, before: date, limit: int
    ) -> list[int]:
        sql = """SELECT amount FROM invoices WHERE customer_id = ? AND currency = ?
            AND issued_on < ? ORDER BY issued_on DESC, id DESC LIMIT ?"""
        rows = await self._all(sql, customer_id, currency, write_date(before), limit)
        return [row["amount"] for row in rows]

    async def _case(self, row: Row | None) -> Case | None:
        if row is None:
            return None
        sql = """SELECT i.* FROM invoices i JOIN case_invoices ci ON ci.invoice_id = i.id
            WHERE ci.case_id = ? ORDER BY i.due_on, i.id"""
        invoices = tuple(to_invoice(r) for r in await self._all(sql, row["id"]))
        return to_case(row, invoices)

    async def open_case(self, customer_id: str, case_type: CaseType) -> Case | None:
        sql = "SELECT * FROM cases WHERE customer_id = ? AND type = ? AND closed_at IS NULL"
        return await self._case(await self._one(sql, customer_id, case_type.value))

    async def get_case(self, case_id: int) -> Case | None:
        return await self._case(await self._one("SELECT * FROM cases WHERE id = ?", case_id))

    async def insert_case(
        self,
        *,
        customer_id: str,
        case_type: CaseType,
        reason: Reason,
        status: CaseStatus,
        opened_at: datetime,
        why: dict[str, Any],
    ) -> Case:
        sql = """INSERT INTO cases (customer_id, type, stage, status, reason, opened_at, why)
            VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING *"""
        values = (
            customer_id,
            case_type.value,
            CaseStage.PRE_COLLECTION.value,
            status.value,
            reason.value,
            write_time(opened_at),
            dump_json(why),
        )
        row = await self._one(sql, *values)
        assert row is not None
        return to_case(row)

    async def update_case(
        self,
        case_id: int,
        *,
        status: CaseStatus | None = None,
        reason: Reason | None = None,
        why: dict[str, Any] | None = None,
        closed_at: datetime | None = None,
        stage: CaseStage | None = None,
        stage_at: datetime | None = None,
    ) -> None:
        changes: dict[str, Any] = {}
        if status is not None:
            changes["status"] = status.value
        if reason is not None:
            changes["reason"] = reason.value
        if why is not None:
            changes["why"] = dump_json(why)
        if closed_at is not None:
            changes["closed_at"] = write_time(closed_at)
            changes["stage"] = CaseStage.CLOSED.value
        if stage is not None:
            changes["stage"] = stage.value
        if stage_at is not None:
            changes["stage_at"] = write_time(stage_at)
        if not changes:
            return
        assignments = ", ".join(f"{name} = ?" for name in changes)
        await self._db.execute(
            f"UPDATE cases SET {assignments} WHERE id = ?", (*changes.values(), case_id)
        )

    async def reopen_case(self, case_id: int, *, status: CaseStatus) -> None:
        sql = """UPDATE cases SET closed_at = NULL, stage = ?, status = ?
            WHERE id = ? AND closed_at IS NOT NULL"""
        await self._db.execute(sql, (CaseStage.PRE_COLLECTION.value, status.value, case_id))

    async def attach_invoice(self, case_id: int, invoice_id: str) -> None:
        sql = (
            "INSERT INTO case_invoices (case_id, invoice_id) VALUES (?, ?) ON CONFLICT DO NOTHING"
        )
        await self._db.execute(sql, (case_id, invoice_id))

    async def cases_for_invoice(self, invoice_id: str) -> list[Case]:
        sql = """SELECT c.* FROM cases c JOIN case_invoices ci ON ci.case_id = c.id
            WHERE ci.invoice_id = ? ORDER BY c.id"""
        rows = await self._all(sql, invoice_id)
        return [case for row in rows if (case := await self._case(row)) is not None]

    async def open_cases_of(self, customer_id: str) -> list[Case]:
        sql = "SELECT * FROM cases WHERE customer_id = ? AND closed_at IS NULL ORDER BY id"
        rows = await self._all(sql, customer_id)
        return [case for row in rows if (case := await self._case(row)) is not None]

    async def enqueue(
        self,
        *,
        customer_id: str | None,
        case_id: int | None,
        channel: str,
        template: str,
        params: dict[str, Any],
        due_at: datetime,
        dedupe_key: str,
    ) -> int | None:
        sql = """INSERT INTO contacts (case_id, customer_id, channel, template, params, status,
                due_at, dedupe_key, created_at) VALUES (?, ?, ?, ?, ?, 'queued', ?, ?, ?)
            ON CONFLICT (dedupe_key) DO NOTHING RETURNING id"""
        values = (case_id, customer_id, channel, template, dump_json(params))
        row = await self._one(sql, *values, write_time(due_at), dedupe_key, self._now)
        if row is None:
            return None
        self.queued_on.add(channel)
        return int(row["id"])

    async def sent_on_case(self, case_id: int, *, since: datetime) -> list[datetime]:
        # Only what reached the customer counts (not billing callbacks, case steps, staff posts).
        sql = """SELECT sent_at FROM contacts WHERE case_id = ?
            AND channel IN ('telegram', 'email')
            AND sent_at IS NOT NULL AND sent_at >= ? ORDER BY sent_at"""
        rows = await self._all(sql, case_id, write_time(since))
        return [read_time(row["sent_at"]) for row in rows]

    async def count_contacts(self, dedupe_key: str) -> int:
        row = await self._one(
            "SELECT count(*) AS n FROM contacts WHERE dedupe_key = ?", dedupe_key
        )
        return 0 if row is None else int(row["n"])

    async def audit(self, record: AuditRecord) -> None:
        await append_audit(self._db, record)

    async def store_token(
        self, *, token_hash: str, customer_id: str, purpose: str, expires_at: datetime
    ) -> bool:
        sql = """INSERT INTO link_tokens (token_hash, customer_id, purpose, created_at, expires_at)
            SELECT ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM customers WHERE id = ?)"""
        values = (token_hash, customer_id, purpose, self._now, write_time(expires_at))
        cursor = await self._db.execute(sql, (*values, customer_id))
        return cursor.rowcount == 1

    async def use_token(self, token_hash: str, *, purpose: str, now: datetime) -> str | None:
        # A conditional update: of two redemptions racing, exactly one changes the row.
        sql = """UPDATE link_tokens SET used_at = ? WHERE token_hash = ? AND purpose = ?
            AND used_at IS NULL AND expires_at > ? RETURNING customer_id"""
        moment = write_time(now)
        row = await self._one(sql, moment, token_hash, purpose, moment)
        return None if row is None else str(row["customer_id"])

    async def link_channel(self, link: ChannelLink) -> None:
        # A chat belongs to one customer and a customer has one chat per channel.
        await self._db.execute(
            "DELETE FROM channel_links WHERE channel = ? AND (chat_id = ? OR customer_id = ?)",
            (link.channel, link.chat_id, link.customer_id),
        )
        sql = """INSERT INTO channel_links (customer_id, channel, chat_id, linked_at, reachable)
            VALUES (?, ?, ?, ?, ?)"""
        values = (link.customer_id, link.channel, link.chat_id, write_time(link.linked_at))
        await self._db.execute(sql, (*values, int(link.reachable)))

    async def channel_of(self, customer_id: str, channel: str) -> ChannelLink | None:
        sql = "SELECT * FROM channel_links WHERE customer_id = ? AND channel = ?"
        row = await self._one(sql, customer_id, channel)
        return None if row is None else to_link(row)

    async def customer_of_chat(self, channel: str, chat_id: str) -> str | None:
        sql = "SELECT customer_id FROM channel_links WHERE channel = ? AND chat_id = ?"
        row = await self._one(sql, channel, chat_id)
        return None if row is None else str(row["customer_id"])

    async def customer_in_chat(self, channel: str, chat_id: str) -> Customer | None:
        sql = """SELECT c.* FROM channel_links l JOIN customers c ON c.id = l.customer_id
            WHERE l.channel = ? AND l.chat_id = ?"""
        row = await self._one(sql, channel, chat_id)
        return None if row is None else to_customer(row)

    async def chat_of(
        self, channel: str, chat_id: str
    ) -> tuple[Customer | None, ChatState | None]:
        sql = """SELECT c.*, v.channel AS v_channel, v.chat_id AS v_chat_id,
                v.customer_id AS v_customer_id, v.case_id AS v_case_id, v.step AS v_step,
                v.data AS v_data, v.version AS v_version, v.misunderstood AS v_misunderstood,
                v.updated_at AS v_updated_at
            FROM channel_links l JOIN customers c ON c.id = l.customer_id
            LEFT JOIN conversations v ON v.channel = l.channel AND v.chat_id = l.chat_id
            WHERE l.channel = ? AND l.chat_id = ?"""
        row = await self._one(sql, channel, chat_id)
        if row is None:
            return None, None
        state = None
        if row["v_channel"] is not None:
            state = to_chat_state(_Prefixed(row, "v_"))
        return to_customer(row), state

    async def taken_over_in_chat(self, channel: str, chat_id: str) -> Escalation | None:
        # Each open case's latest undecided escalation, as `open_escalation_of` finds it.
        sql = """SELECT e.* FROM channel_links l
            JOIN cases c ON c.customer_id = l.customer_id AND c.closed_at IS NULL
            JOIN escalations e ON e.id = (SELECT max(id) FROM escalations
                WHERE case_id = c.id AND decided_at IS NULL)
            WHERE l.channel = ? AND l.chat_id = ? AND e.taken_by IS NOT NULL
            ORDER BY c.id LIMIT 1"""
        row = await self._one(sql, channel, chat_id)
        return None if row is None else to_escalation(row)

    async def get_chat_state(self, channel: str, chat_id: str) -> ChatState | None:
        sql = "SELECT * FROM conversations WHERE channel = ? AND chat_id = ?"
        row = await self._one(sql, channel, chat_id)
        return None if row is None else to_chat_state(row)

    async def save_chat_state(self, state: ChatState) -> None:
        sql = """INSERT INTO conversations (channel, chat_id, customer_id, case_id, step, data,
                version, misunderstood, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (channel, chat_id) DO UPDATE SET customer_id = excluded.customer_id,
                case_id = excluded.case_id, step = excluded.step, data = excluded.data,
                version = excluded.version, misunderstood = excluded.misunderstood,
                updated_at = excluded.updated_at"""
        values = (state.channel, state.chat_id, state.customer_id, state.case_id)
        rest = (state.step.value, dump_json(state.data), state.version, state.misunderstood)
        await self._db.execute(sql, (*values, *rest, self._now))

    async def customer_since(self, customer_id: str) -> date | None:
        sql = "SELECT min(issued_on) AS since FROM invoices WHERE customer_id = ?"
        row = await self._one(sql, customer_id)
        return None if row is None or row["since"] is None else read_date(row["since"])

    async def insert_agreement(self, agreement: Agreement) -> int:
        sql = """INSERT INTO agreements (case_id, customer_id, kind, currency, total, terms_text,
                terms_version, terms_hash, locale, channel, accepted_at, owed, offer,
                commitment_months)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id"""
        a = agreement
        values = (a.case_id, a.customer_id, a.kind.value, a.total.currency, a.total.minor)
        terms = (a.terms_text, a.terms_version, a.terms_hash, a.locale, a.channel)
        owed = None if a.owed is None else a.owed.minor
        offer = (a.source, a.commitment_months or None)
        row = await self._one(sql, *values, *terms, write_time(a.accepted_at), owed, *offer)
        assert row is not None
        agreement_id = int(row["id"])
        items = [
            (agreement_id, item.number, write_date(item.due_on), item.amount.minor)
            for item in a.items
        ]
        await self._db.executemany(
            "INSERT INTO agreement_items (agreement_id, number, due_on, amount) VALUES (?,?,?,?)",
            items,
        )
        return agreement_id

    async def agreements_of(self, case_id: int) -> list[Agreement]:
        return await load_agreements(self._all, AGREEMENTS_OF_CASE, case_id)

    async def get_agreement(self, agreement_id: int) -> Agreement | None:
        sql = "SELECT * FROM agreements WHERE id = ?"
        found = await load_agreements(self._all, sql, agreement_id)
        return found[0] if found else None

    async def live_agreements(self) -> list[Agreement]:
        # An agreement lives while a payment under it is due and none was missed; once its
        # case closes, the watch marks what is left paid (kept) and it lives no more.
        sql = """SELECT a.* FROM agreements a
            WHERE EXISTS (SELECT 1 FROM agreement_items i
                        WHERE i.agreement_id = a.id AND i.status = 'due')
            AND NOT EXISTS (SELECT 1 FROM agreement_items i
                            WHERE i.agreement_id = a.id AND i.status = 'missed')
            ORDER BY a.id"""
        return await load_agreements(self._all, sql)

    async def pauses_over(self, now: datetime) -> list[Case]:
        sql = """SELECT * FROM cases WHERE closed_at IS NULL AND paused_until IS NOT NULL
            AND paused_until <= ? ORDER BY id"""
        rows = await self._all(sql, write_time(now))
        return [case for row in rows if (case := await self._case(row)) is not None]

    async def set_item_status(self, agreement_id: int, number: int, status: str) -> bool:
        sql = """UPDATE agreement_items SET status = ?
            WHERE agreement_id = ? AND number = ? AND status != ?"""
        cursor = await self._db.execute(sql, (status, agreement_id, number, status))
        return cursor.rowcount == 1

    async def set_paused_until(
        self, case_id: int, until: datetime | None, *, reason: str | None = None
    ) -> None:
        moment = None if until is None else write_time(until)
        sql = "UPDATE cases SET paused_until = ?, paused_for = ? WHERE id = ?"
        await self._db.execute(sql, (moment, None if until is None else reason, case_id))

    async def set_breathing_space(self, customer_id: str, until: date | None) -> None:
        day = None if until is None else write_date(until)
        sql = "UPDATE customers SET breathing_space_until = ?, updated_at = ? WHERE id = ?"
        await self._db.execute(sql, (day, self._now, customer_id))

    async def release_held(self, customer_id: str, *, rule: str, now: datetime) -> int:
        sql = """UPDATE contacts SET due_at = ? WHERE customer_id = ? AND status = 'queued'
            AND held_rule = ? AND due_at > ?"""
        moment = write_time(now)
        cursor = await self._db.execute(sql, (moment, customer_id, rule, moment))
        return cursor.rowcount

    async def set_reachable(self, channel: str, chat_id: str, reachable: bool) -> str | None:
        sql = """UPDATE channel_links SET reachable = ? WHERE channel = ? AND chat_id = ?
            RETURNING customer_id"""
        row = await self._one(sql, int(reachable), channel, chat_id)
        return None if row is None else str(row["customer_id"])

    async def cancel_contact(self, dedupe_key: str) -> bool:
        sql = "UPDATE contacts SET status = 'cancelled' WHERE dedupe_key = ? AND status = 'queued'"
        cursor = await self._db.execute(sql, (dedupe_key,))
        return cursor.rowcount == 1

    async def last_heard_from(self, customer_id: str) -> datetime | None:
        sql = "SELECT max(updated_at) AS at FROM conversations WHERE customer_id = ?"
        row = await self._one(sql, customer_id)
        return None if row is None or row["at"] is None else read_time(row["at"])

    async def insert_escalation(
        self,
        *,
        case_id: int,
        customer_id: str,
        reason: EscalationReason,
        request: str | None,
        opened_at: datetime,
        due_by: datetime,
        proposal: Offer | None = None,
    ) -> Escalation:
        sql = """INSERT INTO escalations (case_id, customer_id, reason, request, opened_at,
                due_by, proposal) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING *"""
        values = (case_id, customer_id, reason.value, request)
        terms = None if proposal is None else dump_json(proposal.to_json())
        row = await self._one(sql, *values, write_time(opened_at), write_time(due_by), terms)
        assert row is not None
        return to_escalation(row)

    async def get_escalation(self, escalation_id: int) -> Escalation | None:
        row = await self._one("SELECT * FROM escalations WHERE id = ?", escalation_id)
        return None if row is None else to_escalation(row)

    async def open_escalation_of(self, case_id: int) -> Escalation | None:
        sql = """SELECT * FROM escalations WHERE case_id = ? AND decided_at IS NULL
            ORDER BY id DESC LIMIT 1"""
        row = await self._one(sql, case_id)
        return None if row is None else to_escalation(row)

    async def set_escalation_post(self, escalation_id: int, *, channel: str, ts: str) -> None:
        sql = "UPDATE escalations SET slack_channel = ?, slack_ts = ? WHERE id = ?"
        await self._db.execute(sql, (channel, ts, escalation_id))

    async def decide_escalation(
        self,
        escalation_id: int,
        *,
        by: str,
        decision: str,
        at: datetime,
        offer: Offer | None = None,
    ) -> bool:
        sql = """UPDATE escalations SET decided_at = ?, decided_by = ?, decision = ?,
                offer = ?, offer_state = ?
            WHERE id = ? AND decided_at IS NULL"""
        terms = None if offer is None else dump_json(offer.to_json())
        state = None if offer is None else OfferState.PENDING.value
        values = (write_time(at), by, decision, terms, state, escalation_id)
        cursor = await self._db.execute(sql, values)
        return cursor.rowcount == 1

    async def answer_offer(self, escalation_id: int, *, accepted: bool) -> bool:
        state = OfferState.ACCEPTED if accepted else OfferState.DECLINED
        sql = """UPDATE escalations SET offer_state = ?
            WHERE id = ? AND offer_state = 'pending'"""
        cursor = await self._db.execute(sql, (state.value, escalation_id))
        return cursor.rowcount == 1

    async def set_proposal(self, escalation_id: int, proposal: Offer) -> bool:
        sql = "UPDATE escalations SET proposal = ? WHERE id = ? AND decided_at IS NULL"
        cursor = await self._db.execute(sql, (dump_json(proposal.to_json()), escalation_id))
        return cursor.rowcount == 1

    async def send_up(self, escalation_id: int, *, tier: str) -> bool:
        sql = "UPDATE escalations SET needs_tier = ? WHERE id = ? AND decided_at IS NULL"
        cursor = await self._db.execute(sql, (tier, escalation_id))
        return cursor.rowcount == 1

    async def escalations_of(self, case_id: int) -> list[Escalation]:
        rows = await self._all("SELECT * FROM escalations WHERE case_id = ? ORDER BY id", case_id)
        return [to_escalation(row) for row in rows]

    async def insert_letter(
        self,
        *,
        case_id: int,
        customer_id: str,
        language: str,
        deadline: date,
        sha256: str,
        pdf: bytes,
        enabled_by: str,
        created_at: datetime,
    ) -> Letter:
        sql = """INSERT INTO letters (case_id, customer_id, language, deadline, sha256, pdf,
                enabled_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING *"""
        values = (case_id, customer_id, language, write_date(deadline), sha256, pdf, enabled_by)
        row = await self._one(sql, *values, write_time(created_at))
        assert row is not None
        return to_letter(row)

    async def get_letter(self, letter_id: int) -> tuple[Letter, bytes] | None:
        row = await self._one("SELECT * FROM letters WHERE id = ?", letter_id)
        return None if row is None else (to_letter(row), bytes(row["pdf"]))

    async def letters_of(self, case_id: int) -> list[Letter]:
        rows = await self._all("SELECT * FROM letters WHERE case_id = ? ORDER BY id", case_id)
        return [to_letter(row) for row in rows]

    async def add_transcript(self, customer_id: str, *lines: TranscriptLine) -> None:
        sql = """INSERT INTO transcript (customer_id, case_id, channel, direction, text, at)
            VALUES (?, ?, ?, ?, ?, ?)"""
        values = [
            (customer_id, one.case_id, one.channel, one.direction, one.text, write_time(one.at))
            for one in lines
        ]
        await self._db.executemany(sql, values)

    async def transcript_of(self, customer_id: str) -> list[TranscriptLine]:
        sql = "SELECT * FROM transcript WHERE customer_id = ? ORDER BY id"
        return [to_transcript(row) for row in await self._all(sql, customer_id)]

    async def assign_escalation(self, escalation_id: int, *, to: str) -> bool:
        sql = "UPDATE escalations SET assignee = ? WHERE id = ? AND decided_at IS NULL"
        cursor = await self._db.execute(sql, (to, escalation_id))
        return cursor.rowcount == 1

    async def set_taken_by(self, escalation_id: int, *, by: str | None) -> bool:
        taken = "taken_by IS NULL" if by is not None else "taken_by IS NOT NULL"
        sql = f"""UPDATE escalations SET taken_by = ?
            WHERE id = ? AND decided_at IS NULL AND {taken}"""
        cursor = await self._db.execute(sql, (by, escalation_id))
        return cursor.rowcount == 1

    async def escalation_at_post(self, channel: str, ts: str) -> Escalation | None:
        sql = "SELECT * FROM escalations WHERE slack_channel = ? AND slack_ts = ?"
        row = await self._one(sql, channel, ts)
        return None if row is None else to_escalation(row)

    async def cancel_queued_on_case(
        self, case_id: int, *, channel: str, claimed: bool = False
    ) -> int:
        statuses = "('queued', 'sending')" if claimed else "('queued')"
        sql = f"""UPDATE contacts SET status = 'cancelled'
            WHERE case_id = ? AND channel = ? AND status IN {statuses}"""
        cursor = await self._db.execute(sql, (case_id, channel))
        return cursor.rowcount

    async def is_cancelled(self, contact_id: int) -> bool:
        sql = "SELECT 1 FROM contacts WHERE id = ? AND status = 'cancelled'"
        return await self._one(sql, contact_id) is not None

    async def cancel_queued(self, customer_id: str, *, channel: str) -> int:
        sql = """UPDATE contacts SET status = 'cancelled'
            WHERE customer_id = ? AND channel = ? AND status = 'queued'"""
        cursor = await self._db.execute(sql, (customer_id, channel))
        return cursor.rowcount


AGREEMENTS_OF_CASE = "SELECT * FROM agreements WHERE case_id = ? ORDER BY id"

Fetch = Callable[..., Awaitable[Sequence[Row]]]


async def load_agreements(fetch: Fetch, sql: str, *args: Any) -> list[Agreement]:
    """The agreements a query selects, each with its items, through either connection."""
    found = []
    for row in await fetch(sql, *args):
        items = await fetch(
            "SELECT * FROM agreement_items WHERE agreement_id = ? ORDER BY number", row["id"]
        )
        found.append(to_agreement(row, items))
    return found


def invoice_values(invoice: Invoice) -> tuple[Any, ...]:
    """The `invoices` columns of an invoice, in table order."""
    return (
        invoice.id,
        invoice.customer_id,
        invoice.amount.currency,
        invoice.amount.minor,
        invoice.amount_due.minor,
        write_date(invoice.issued_on),
        write_date(invoice.due_on),
        invoice.status.value,
        write_time(invoice.fact_at),
    )
