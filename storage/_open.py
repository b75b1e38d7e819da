"""Choose and open the backend named by `SETTLE_DATABASE_URL`."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bot import ConfigurationError, Settings
from bot.ports import Clock
from storage._postgres import PostgresStore
from storage._sql_store import SqlStore
from storage._sqlite import SqliteStore

__all__ = ["create_store", "open_store", "store_for_url"]

_SCHEMES = ("postgresql://", "postgres://")


async def open_store(settings: Settings, clock: Clock, *, migrate: bool = True) -> SqlStore:
    """Open the configured database; raise naming the setting when it is not usable."""
    store = create_store(settings, clock)
    await store.start(migrate=migrate)
    return store


def create_store(settings: Settings, clock: Clock) -> SqlStore:
    """The configured backend, not yet connected; `start` connects it."""
    store = store_for_url(settings.database_url, clock)
    if isinstance(store, PostgresStore):
        store.chat_interval = timedelta(seconds=settings.telegram_chat_interval_seconds)
    return store


def store_for_url(url: str, clock: Clock) -> SqlStore:
    """The backend of a database URL, not yet connected."""
    prefix = "sqlite:///"
    if url.startswith(prefix):
        return SqliteStore(Path(url[len(prefix) :]), clock)
    if url.startswith(_SCHEMES):
        return PostgresStore(url, clock)
    scheme = url.partition(":")[0]
    msg = (
        f"SETTLE_DATABASE_URL: unsupported scheme {scheme!r}; "
        "expected sqlite:///PATH or postgresql://USER:PASSWORD@HOST:PORT/DATABASE"
    )
    raise ConfigurationError(msg)
