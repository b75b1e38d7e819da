"""Persistence behind the core's `Store` port: migrations, repositories and the outbox."""

from __future__ import annotations

from storage._backup import BackupInfo, backup_database, restore_database
from storage._open import create_store, open_store
from storage._sqlite import SqliteStore

__all__ = [
    "BackupInfo",
    "SqliteStore",
    "backup_database",
    "create_store",
    "open_store",
    "restore_database",
]
