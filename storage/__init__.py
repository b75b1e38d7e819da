"""Persistence behind the core's `Store` port: migrations, repositories and the outbox."""

from __future__ import annotations

from storage._copy import CopyMismatch, TableCopy, copy_database
from storage._open import create_store, open_store, store_for_url
from storage._postgres import PostgresStore, redacted
from storage._sql_store import SqlStore
from storage._sqlite import SqliteStore

__all__ = [
    "CopyMismatch",
    "PostgresStore",
    "SqlStore",
    "SqliteStore",
    "TableCopy",
    "copy_database",
    "create_store",
    "open_store",
    "redacted",
    "store_for_url",
]
