"""The audit chain on SQLite: the one place a record is appended and its hash computed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import aiosqlite

from bot._audit_chain import GENESIS, ChainLink, Tombstone, record_hash
from bot.ports import AuditRecord
from storage._codec import dump_json, load_json, write_time

if TYPE_CHECKING:
    from storage._tx import Connection

__all__ = ["append_audit", "chain_links", "chain_unchained", "maintenance", "tombstones"]

_INSERT = """INSERT INTO audit_records
    (id, at, actor, action, case_id, customer_id, reason, detail, prev_hash, hash)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"""

# The newest entry of each table: a kept record or a removed one. Both read the end of
# the rowid index, so an append costs the same however long the chain is.
_LAST_KEPT = "SELECT id, hash FROM audit_records ORDER BY id DESC LIMIT 1"
_LAST_REMOVED = "SELECT id, hash FROM audit_removed ORDER BY id DESC LIMIT 1"


def _fields(row: Any, detail: str | None) -> dict[str, Any]:
    """What a record's hash covers: every stored column but the hashes."""
    names = ("id", "at", "actor", "action", "case_id", "customer_id", "reason")
    return {**{name: row[name] for name in names}, "detail": detail}


async def _head(db: Connection) -> tuple[int, str]:
    """The id and hash of the chain's newest entry; ids are never reused."""
    last = (0, GENESIS)
    for sql in (_LAST_KEPT, _LAST_REMOVED):
        async with db.execute(sql, ()) as cursor:
            row = await cursor.fetchone()
        if row is not None and row["id"] > last[0]:
            last = (int(row["id"]), str(row["hash"]))
    return last


async def append_audit(db: Connection, record: AuditRecord) -> int:
    """Append one record to the chain inside the caller's write transaction; its id."""
    last_id, prev = await _head(db)
    record_id, at = last_id + 1, write_time(record.at)
    detail = None if record.detail is None else dump_json(record.detail)
    row = {
        "id": record_id,
        "at": at,
        "actor": record.actor,
        "action": record.action,
        "case_id": record.case_id,
        "customer_id": record.customer_id,
        "reason": record.reason,
    }
    digest = record_hash(prev, _fields(row, detail))
    values = (record.actor, record.action, record.case_id, record.customer_id, record.reason)
    await db.execute(_INSERT, (record_id, at, *values, detail, prev, digest))
    return record_id


@asynccontextmanager
async def maintenance(db: aiosqlite.Connection, reason: str) -> AsyncIterator[None]:
    """Lift the append-only triggers for the rest of the caller's write transaction."""
    await db.execute("INSERT INTO audit_maintenance (reason) VALUES (?)", (reason,))
    try:
        yield
    finally:
        await db.execute("DELETE FROM audit_maintenance")


async def chain_unchained(db: aiosqlite.Connection) -> int:
    """Hash the records written before the chain existed, in id order; how many."""
    async with db.execute("SELECT * FROM audit_records ORDER BY id") as cursor:
        rows = list(await cursor.fetchall())
    prev, chained = GENESIS, 0
    async with maintenance(db, "chain the records held before migration 0014"):
        for row in rows:
            if row["hash"] is not None:
                prev = row["hash"]
                continue
            digest = record_hash(prev, _fields(row, row["detail"]))
            sql = "UPDATE audit_records SET prev_hash = ?, hash = ? WHERE id = ?"
            await db.execute(sql, (prev, digest, row["id"]))
            prev, chained = digest, chained + 1
    return chained


async def chain_links(db: aiosqlite.Connection) -> list[ChainLink]:
    async with db.execute("SELECT * FROM audit_records ORDER BY id") as cursor:
        rows = list(await cursor.fetchall())
    return [
        ChainLink(
            id=row["id"],
            fields=_fields(row, row["detail"]),
            prev_hash=row["prev_hash"],
            hash=row["hash"],
            action=row["action"],
            detail=_object(row["detail"]),
        )
        for row in rows
    ]


async def tombstones(db: aiosqlite.Connection) -> list[Tombstone]:
    async with db.execute("SELECT * FROM audit_removed ORDER BY id") as cursor:
        rows = list(await cursor.fetchall())
    return [Tombstone(r["id"], r["prev_hash"], r["hash"], r["checkpoint_id"]) for r in rows]


def _object(text: str | None) -> dict[str, Any] | None:
    try:
        value = load_json(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
