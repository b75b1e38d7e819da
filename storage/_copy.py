"""`settle db copy`: move a deployment's rows to an empty PostgreSQL database, verified.

Every table is copied in one transaction, parents before children, with its ids; the
identities then continue after the largest. Each table is then read back on both sides
and compared by its row count and a checksum of its rows: the sum, modulo 2**256, of the
SHA-256 of each row's columns by name, which does not depend on the order rows come in
(SQLite and PostgreSQL sort text differently).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

from bot import ConfigurationError
from storage._pg import sync_sequences
from storage._postgres import PostgresStore
from storage._sql_store import TABLES, SqlStore

__all__ = [
    "COPIED_TABLES",
    "NOT_COPIED",
    "CopyMismatch",
    "TableCopy",
    "copy_database",
    "table_sum",
]

# Every table with a deployment's data, parents before children. Left out: `workers`,
# which says which processes run now, and `audit_maintenance`, empty outside a purge.
NOT_COPIED = frozenset({"workers", "audit_maintenance", "schema_migrations"})
COPIED_TABLES = (
    *TABLES,
    "conversations",
    "agreements",
    "agreement_items",
    "escalations",
    "letters",
    "transcript",
    "audit_removed",
    "slack_deliveries",
)
_MODULUS = 2**256


@dataclass(frozen=True, slots=True)
class TableCopy:
    """One table as copied: its rows and their checksum, the same on both sides."""

    table: str
    rows: int
    checksum: str


class CopyMismatch(ConfigurationError):
    """The target differs from the source after the copy; it names the tables."""

    def __init__(self, tables: Sequence[str]) -> None:
        self.tables = tuple(tables)
        super().__init__(f"the copy differs from the source in: {', '.join(self.tables)}")


def _value(value: Any) -> Any:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    if isinstance(value, bool):
        return int(value)
    return value


async def table_sum(batches: AsyncIterator[tuple[list[str], Sequence[Any]]]) -> tuple[int, str]:
    """Rows and checksum of a table read in batches of (columns, rows)."""
    count, total = 0, 0
    async for columns, rows in batches:
        for row in rows:
            named = sorted(zip(columns, (_value(v) for v in row), strict=True))
            text = json.dumps(named, separators=(",", ":"), default=str)
            total += int.from_bytes(hashlib.sha256(text.encode()).digest(), "big")
            count += 1
    return count, f"{total % _MODULUS:064x}"


async def _check(source: SqlStore, target: PostgresStore) -> None:
    versions = await target.versions()
    if not versions:
        msg = "the target database is not migrated: run `settle migrate` with it first"
        raise ConfigurationError(msg)
    if versions != await source.versions():
        msg = (
            "source and target are at different schema versions: run `settle migrate` on "
            "both with this release first"
        )
        raise ConfigurationError(msg)
    for table in COPIED_TABLES:
        [row] = await target._rows(f"SELECT count(*) AS n FROM {table}")
        if row["n"]:
            msg = f"the target database is not empty: table {table} has {row['n']} rows"
            raise ConfigurationError(msg)


async def copy_database(source: SqlStore, target: PostgresStore) -> list[TableCopy]:
    """Copy every table from `source` to the empty, migrated `target`; verify both agree.

    Raises:
        ConfigurationError: the target is not migrated, not empty or at another version.
        CopyMismatch: a table's count or checksum differs after the copy.
    """
    await _check(source, target)
    async with target.pool.acquire() as connection, connection.transaction():
        for table in COPIED_TABLES:
            async for columns, rows in source.dump(table):
                await connection.copy_records_to_table(
                    table, records=[tuple(row) for row in rows], columns=columns
                )
        await sync_sequences(connection)

    copies, differing = [], []
    for table in COPIED_TABLES:
        count, checksum = await table_sum(source.dump(table))
        if await table_sum(target.dump(table)) != (count, checksum):
            differing.append(table)
        copies.append(TableCopy(table, count, checksum))
    if differing:
        raise CopyMismatch(differing)
    return copies
