"""The PostgreSQL dialect of the shared SQL: placeholders, results and migrations.

The statements of `storage._tx` and `storage._sql_store` are written once, with SQLite's
`?` placeholders; `PgConnection` numbers them (`$1`, `$2`, ...) and reads asyncpg's
results the way aiosqlite's cursors are read. `postgres_schema` turns a migration into
PostgreSQL's words for the same schema: 64-bit integers, identity keys, `BYTEA`, and
plpgsql functions for the triggers that keep agreements and letters unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Coroutine, Generator, Iterable, Sequence
from functools import lru_cache
from typing import Any

import asyncpg

__all__ = ["PgConnection", "PgCursor", "numbered", "postgres_schema", "sync_sequences"]

# A quoted literal (kept as it is) or a placeholder, bare or numbered as in `?1`.
_PLACEHOLDER = re.compile(r"'(?:[^']|'')*'|\?(\d*)")
# Statements that answer with rows; the others answer with a status such as "UPDATE 3".
_ROWS = re.compile(r"^\s*(SELECT|WITH|VALUES)\b|\bRETURNING\b", re.IGNORECASE)


@lru_cache(maxsize=2048)
def numbered(sql: str) -> str:
    """The statement with its `?` placeholders numbered as PostgreSQL wants them."""
    count = 0

    def number(match: re.Match[str]) -> str:
        nonlocal count
        text = match.group(0)
        if text.startswith("'"):
            return text
        if match.group(1):
            return f"${match.group(1)}"
        count += 1
        return f"${count}"

    return _PLACEHOLDER.sub(number, sql)


class PgCursor:
    """The rows of one statement, or how many rows it changed."""

    def __init__(self, rows: Sequence[Any], rowcount: int) -> None:
        self.rows = rows
        self.rowcount = rowcount

    async def fetchone(self) -> Any:
        return self.rows[0] if self.rows else None

    async def fetchall(self) -> Sequence[Any]:
        return self.rows


class _Pending:
    """A statement under way: awaited, or entered with `async with`, like aiosqlite's."""

    def __init__(self, run: Coroutine[Any, Any, PgCursor]) -> None:
        self._run = run

    def __await__(self) -> Generator[Any, None, PgCursor]:
        return self._run.__await__()

    async def __aenter__(self) -> PgCursor:
        return await self._run

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any, /) -> None:
        return None


class PgConnection:
    """An asyncpg connection offering what the shared SQL uses of an aiosqlite one."""

    def __init__(self, connection: asyncpg.Connection) -> None:
        self.connection = connection

    def execute(self, sql: str, parameters: Iterable[Any] = (), /) -> _Pending:
        return _Pending(self._execute(numbered(sql), tuple(parameters)))

    def executemany(self, sql: str, parameters: Iterable[Iterable[Any]], /) -> _Pending:
        return _Pending(self._executemany(numbered(sql), [tuple(p) for p in parameters]))

    async def execute_fetchall(self, sql: str, parameters: Iterable[Any] = (), /) -> Sequence[Any]:
        return (await self._execute(numbered(sql), tuple(parameters))).rows

    async def _execute(self, sql: str, args: tuple[Any, ...]) -> PgCursor:
        if _ROWS.search(sql):
            rows = await self.connection.fetch(sql, *args)
            return PgCursor(rows, len(rows))
        status: str = await self.connection.execute(sql, *args)
        count = status.rsplit(" ", 1)[-1]
        return PgCursor((), int(count) if count.isdigit() else -1)

    async def _executemany(self, sql: str, args: list[tuple[Any, ...]]) -> PgCursor:
        if args:
            await self.connection.executemany(sql, args)
        return PgCursor((), -1)


_TRIGGER = re.compile(
    r"CREATE TRIGGER (?P<name>\w+) BEFORE (?P<event>UPDATE|DELETE) ON (?P<table>\w+)\s+"
    r"(?:WHEN (?P<when>.+?)\s+)?"
    r"BEGIN\s+SELECT RAISE\(ABORT, '(?P<message>[^']*)'\);\s+END;",
    re.IGNORECASE | re.DOTALL,
)


def _trigger(match: re.Match[str]) -> str:
    name, message, event = match["name"], match["message"], match["event"].upper()
    # PostgreSQL allows no subquery in a trigger's WHEN: the condition goes in the function,
    # which lets the row through (NEW or OLD) when it does not hold.
    refuse = f"RAISE EXCEPTION '{message}';"
    if match["when"]:
        row = "NEW" if event == "UPDATE" else "OLD"
        refuse = f"IF {match['when']} THEN\n        {refuse}\n    END IF;\n    RETURN {row};"
    return (
        f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        f"BEGIN\n    {refuse}\nEND $$;\n"
        f"CREATE TRIGGER {name} BEFORE {event} ON {match['table']}\n"
        f"    FOR EACH ROW EXECUTE FUNCTION {name}();"
    )


def postgres_schema(sql: str) -> str:
    """A migration written for SQLite, in PostgreSQL's words for the same schema.

    SQLite's INTEGER is 64 bits and an `INTEGER PRIMARY KEY` numbers itself; its triggers
    abort with RAISE. The migrations use nothing else that the two dialects spell apart.
    """
    sql = _TRIGGER.sub(_trigger, sql)
    sql = re.sub(
        r"\bINTEGER PRIMARY KEY\b", "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY", sql
    )
    sql = re.sub(r"\bINTEGER\b", "BIGINT", sql)
    return re.sub(r"\bBLOB\b", "BYTEA", sql)


async def sync_sequences(connection: asyncpg.Connection) -> None:
    """Move every identity past the largest id its table holds.

    Rows written with their ids (a table rebuilt by a migration, `settle db copy`) leave
    the identity where it was, and the next insert would take an id already used.
    """
    sql = """SELECT table_name FROM information_schema.columns
        WHERE table_schema = current_schema() AND column_name = 'id' AND is_identity = 'YES'"""
    for record in await connection.fetch(sql):
        table = record["table_name"]
        await connection.execute(
            f"""SELECT setval(pg_get_serial_sequence('{table}', 'id'),
                coalesce((SELECT max(id) FROM {table}), 0) + 1, false)"""
        )
