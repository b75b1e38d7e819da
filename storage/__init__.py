"""Persistence behind the core's `Store` port: migrations, repositories and the outbox."""

from __future__ import annotations

from storage._open import create_store, open_store, store_for_url
from storage._postgres import PostgresStore
from storage._sql_store import SqlStore
from storage._sqlite import SqliteStore

__all__ = [
    "PostgresStore",
    "SqlStore",
    "SqliteStore",
    "create_store",
    "open_store",
    "store_for_url",
]
