"""Persistence behind the core's `Store` port: migrations, repositories and the outbox."""

from __future__ import annotations

from storage._backup import BackupInfo, backup_database, restore_database
from storage._copy import CopyMismatch, TableCopy, copy_database
from storage._open import create_store, open_store, store_for_url
from storage._postgres import PostgresStore, redacted
from storage._sql_store import SqlStore
from storage._sqlite import SqliteStore

__all__ = [
    "BackupInfo",
    "CopyMismatch",
    "PostgresStore",
    "SqlStore",
    "SqliteStore",
    "TableCopy",
    "backup_database",
    "copy_database",
    "create_store",
    "open_store",
    "redacted",
    "restore_database",
    "store_for_url",
]
