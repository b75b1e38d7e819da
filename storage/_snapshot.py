"""What the gauges of `GET /metrics` and the checks of `GET /readyz` read from SQLite."""

from __future__ import annotations

from datetime import datetime

import aiosqlite

from bot._metrics import Snapshot
from storage._codec import read_time, write_time

__all__ = ["read_snapshot", "schema_version"]

_CASES = """SELECT type, stage, CASE WHEN closed_at IS NULL THEN 'open' ELSE 'closed' END AS state,
    count(*) AS n FROM cases GROUP BY 1, 2, 3"""
_OUTBOX = "SELECT channel, status, count(*) AS n FROM contacts GROUP BY 1, 2"
_HELD = """SELECT channel, held_rule, count(*) AS n FROM contacts
    WHERE status = 'queued' AND held_rule IS NOT NULL GROUP BY 1, 2"""
_OLDEST_DUE = """SELECT channel, min(due_at) AS due FROM contacts
    WHERE status IN ('queued', 'sending') AND held_rule IS NULL AND due_at <= ? GROUP BY 1"""
_ESCALATIONS = """SELECT count(*) AS waiting, coalesce(sum(due_by <= ?), 0) AS late
    FROM escalations WHERE decided_at IS NULL"""


async def _rows(db: aiosqlite.Connection, sql: str, *args: str) -> list[aiosqlite.Row]:
    async with db.execute(sql, args) as cursor:
        return list(await cursor.fetchall())


async def read_snapshot(db: aiosqlite.Connection, now: datetime) -> Snapshot:
    moment = write_time(now)
    cases = {(r["type"], r["stage"], r["state"]): r["n"] for r in await _rows(db, _CASES)}
    outbox = {(r["channel"], r["status"]): r["n"] for r in await _rows(db, _OUTBOX)}
    held = {(r["channel"], r["held_rule"]): r["n"] for r in await _rows(db, _HELD)}
    lag = {
        r["channel"]: max(0.0, (now - read_time(r["due"])).total_seconds())
        for r in await _rows(db, _OLDEST_DUE, moment)
    }
    [escalations] = await _rows(db, _ESCALATIONS, moment)
    return Snapshot(
        cases, outbox, held, lag, int(escalations["waiting"]), int(escalations["late"])
    )


async def schema_version(db: aiosqlite.Connection) -> int:
    [row] = await _rows(db, "SELECT coalesce(max(version), 0) AS v FROM schema_migrations")
    return int(row["v"])
