"""Personal data on SQLite: a customer's export, their erasure and the retention purge.

What the law makes Settle keep after an erasure (COMPLIANCE rules 18 and 19): invoices,
payments and payment methods (accounting), cases, agreements, letters and the audit trail
(evidence). What it erases: contact details and name, the chat link and conversation, the
transcript, link tokens, message parameters, the customer's words in escalations and the
raw billing payloads. The retention purge removes the audit records, transcript and
message parameters of closed cases whose last activity is older than the retention period,
leaving tombstones and a checkpoint so that the audit chain stays verifiable, and empties
billing's raw payloads as old of customers with no younger case.
"""

from __future__ import annotations

import base64
import contextlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import aiosqlite

from bot._audit_chain import CHECKPOINT, Tombstone, tombstone_digest
from bot.ports import AuditRecord
from storage._audit import append_audit, maintenance
from storage._codec import load_json, write_time

__all__ = ["ErasureResult", "PurgeResult", "erase_customer", "export_customer", "purge"]

# Tables reached through another one rather than by their own customer_id column.
_THROUGH = {
    "agreement_items": "agreement_id IN (SELECT id FROM agreements WHERE customer_id = ?)",
    "case_invoices": "case_id IN (SELECT id FROM cases WHERE customer_id = ?)",
    "audit_records": "customer_id = ? OR case_id IN (SELECT id FROM cases WHERE customer_id = ?)",
}
_JSON_COLUMNS = frozenset({"why", "params", "detail", "data", "payload", "proposal", "offer"})

_ERASE = (
    # (what, statement); each takes the customer id once.
    ("transcript lines", "DELETE FROM transcript WHERE customer_id = ?"),
    ("conversations", "DELETE FROM conversations WHERE customer_id = ?"),
    ("chat links", "DELETE FROM channel_links WHERE customer_id = ?"),
    ("link tokens", "DELETE FROM link_tokens WHERE customer_id = ?"),
    (
        "queued messages cancelled",
        "UPDATE contacts SET status = 'cancelled' WHERE customer_id = ? AND status = 'queued'",
    ),
    (
        "message parameters",
        "UPDATE contacts SET params = '{}', last_error = NULL WHERE customer_id = ?",
    ),
    ("escalation words", "UPDATE escalations SET request = NULL WHERE customer_id = ?"),
    ("billing payloads", "UPDATE billing_events SET payload = '{}' WHERE customer_id = ?"),
)


async def _rows(db: aiosqlite.Connection, sql: str, *args: Any) -> list[aiosqlite.Row]:
    async with db.execute(sql, args) as cursor:
        return list(await cursor.fetchall())


async def export_customer(db: aiosqlite.Connection, customer_id: str) -> dict[str, Any] | None:
    """Every row held about the customer, table by table; None for an unknown customer."""
    profile = await _rows(db, "SELECT * FROM customers WHERE id = ?", customer_id)
    if not profile:
        return None
    held: dict[str, Any] = {"customer": _plain(profile[0])}
    for table in await _tables(db):
        if table == "customers":
            continue
        columns = await _columns(db, table)
        if table in _THROUGH:
            where = _THROUGH[table]
        elif "customer_id" in columns:
            where = "customer_id = ?"
        else:
            continue
        args = [customer_id] * where.count("?")
        order = "id" if "id" in columns else "rowid"
        rows = await _rows(db, f"SELECT * FROM {table} WHERE {where} ORDER BY {order}", *args)
        held[table] = [_plain(row) for row in rows]
    return held


@dataclass(frozen=True, slots=True)
class ErasureResult:
    customer_id: str
    erased: dict[str, int]


async def erase_customer(
    db: aiosqlite.Connection, customer_id: str, *, at: datetime, by: str
) -> ErasureResult | None:
    """Erase inside the caller's write transaction; None for an unknown customer."""
    if not await _rows(db, "SELECT 1 FROM customers WHERE id = ?", customer_id):
        return None
    erased: dict[str, int] = {}
    for what, sql in _ERASE:
        cursor = await db.execute(sql, (customer_id,))
        erased[what] = cursor.rowcount
    moment = write_time(at)
    await db.execute(
        """UPDATE customers SET name = NULL, phone = NULL, email = NULL, timezone = NULL,
            chosen_locale = NULL, marketing_consent = NULL, breathing_space_until = NULL,
            opted_out_at = coalesce(opted_out_at, ?), restricted_at = ?, updated_at = ?
        WHERE id = ?""",
        (moment, moment, moment, customer_id),
    )
    record = AuditRecord(at, by, "erased", "right to erasure", None, customer_id, erased)
    await append_audit(db, record)
    return ErasureResult(customer_id, erased)


@dataclass(frozen=True, slots=True)
class PurgeResult:
    cases: int
    audit_records: int
    transcript_lines: int
    messages: int
    checkpoint_id: int | None = None
    case_ids: tuple[int, ...] = field(default=())
    event_payloads: int = 0


# A case's last activity: the latest of its own times and those of what is attached to it.
_EXPIRED_CASES = """SELECT c.id FROM cases c WHERE c.closed_at IS NOT NULL AND max(
        c.opened_at, c.closed_at, coalesce(c.stage_at, ''),
        coalesce((SELECT max(at) FROM audit_records a WHERE a.case_id = c.id), ''),
        coalesce((SELECT max(coalesce(sent_at, created_at)) FROM contacts m
            WHERE m.case_id = c.id), ''),
        coalesce((SELECT max(at) FROM transcript t WHERE t.case_id = c.id), '')) < ?
    ORDER BY c.id"""
# Records about a customer and no case, once none of the customer's cases is younger.
_EXPIRED_CUSTOMER_RECORDS = """SELECT a.* FROM audit_records a WHERE a.case_id IS NULL
    AND a.customer_id IS NOT NULL AND a.at < ?1 AND a.action != ?2
    AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.customer_id = a.customer_id
        AND (c.closed_at IS NULL OR c.closed_at >= ?1))"""

# Billing's raw payloads (names, phones, emails as billing sent them), once received before
# the cutoff and none of the customer's cases is younger; the event's facts stay.
_EXPIRED_PAYLOADS = """UPDATE billing_events SET payload = '{}' WHERE received_at < ?1
    AND payload != '{}' AND NOT EXISTS (SELECT 1 FROM cases c
        WHERE c.customer_id = billing_events.customer_id
        AND (c.closed_at IS NULL OR c.closed_at >= ?1))"""


async def purge(db: aiosqlite.Connection, *, before: datetime, at: datetime) -> PurgeResult:
    """Remove what is past retention inside the caller's write transaction."""
    cutoff = write_time(before)
    case_ids = [int(row["id"]) for row in await _rows(db, _EXPIRED_CASES, cutoff)]
    marks = ",".join("?" * len(case_ids))
    records = await _rows(
        db, f"SELECT * FROM audit_records WHERE case_id IN ({marks}) ORDER BY id", *case_ids
    )
    records += await _rows(db, _EXPIRED_CUSTOMER_RECORDS, cutoff, CHECKPOINT)
    payloads = await db.execute(_EXPIRED_PAYLOADS, (cutoff,))
    lines = await db.execute(f"DELETE FROM transcript WHERE case_id IN ({marks})", case_ids)
    messages = await db.execute(
        f"UPDATE contacts SET params = '{{}}', last_error = NULL "
        f"WHERE case_id IN ({marks}) AND params != '{{}}'",
        case_ids,
    )
    await db.execute(f"UPDATE escalations SET request = NULL WHERE case_id IN ({marks})", case_ids)
    checkpoint_id = await _remove_records(db, records, at=at, cutoff=cutoff)
    return PurgeResult(
        len(case_ids),
        len(records),
        lines.rowcount,
        messages.rowcount,
        checkpoint_id,
        tuple(case_ids),
        payloads.rowcount,
    )


async def _remove_records(
    db: aiosqlite.Connection, records: list[aiosqlite.Row], *, at: datetime, cutoff: str
) -> int | None:
    """Delete audit records, leaving tombstones under a checkpoint appended first."""
    if not records:
        return None
    stones = [Tombstone(r["id"], r["prev_hash"], r["hash"], 0) for r in records]
    detail = {"removed": len(stones), "digest": tombstone_digest(stones), "before": cutoff}
    checkpoint = AuditRecord(at, "purge", CHECKPOINT, "retention period over", detail=detail)
    checkpoint_id = await append_audit(db, checkpoint)
    moment = write_time(at)
    async with maintenance(db, "retention purge"):
        await db.executemany(
            "INSERT INTO audit_removed (id, prev_hash, hash, checkpoint_id, removed_at) "
            "VALUES (?, ?, ?, ?, ?)",
            [(s.id, s.prev_hash, s.hash, checkpoint_id, moment) for s in stones],
        )
        await db.executemany("DELETE FROM audit_records WHERE id = ?", [(s.id,) for s in stones])
    return checkpoint_id


async def _tables(db: aiosqlite.Connection) -> list[str]:
    sql = """SELECT name FROM sqlite_master WHERE type = 'table'
        AND name NOT LIKE 'sqlite_%' ORDER BY name"""
    return [row["name"] for row in await _rows(db, sql)]


async def _columns(db: aiosqlite.Connection, table: str) -> set[str]:
    return {row["name"] for row in await _rows(db, f"PRAGMA table_info({table})")}


def _plain(row: aiosqlite.Row) -> dict[str, Any]:
    """A row as JSON: JSON text read back, binary (a letter's PDF) as base64."""
    plain: dict[str, Any] = {}
    for key in row.keys():  # noqa: SIM118 - sqlite3.Row iterates values, not keys
        value = row[key]
        if isinstance(value, bytes):
            value = base64.b64encode(value).decode("ascii")
        elif key in _JSON_COLUMNS and isinstance(value, str):
            with contextlib.suppress(ValueError):
                value = load_json(value)
        plain[key] = value
    return plain
