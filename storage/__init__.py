"""Persistence behind the core's `Store` port: migrations, repositories and the outbox."""

from __future__ import annotations

from storage._open import create_store, open_store
from storage._sqlite import SqliteStore

__all__ = ["SqliteStore", "create_store", "open_store"]
