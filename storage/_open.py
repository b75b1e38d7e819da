"""Choose and open the backend named by `SETTLE_DATABASE_URL`."""

from __future__ import annotations

from bot import ConfigurationError, Settings
from bot.ports import Clock
from storage._sqlite import SqliteStore

__all__ = ["create_store", "open_store"]


async def open_store(settings: Settings, clock: Clock, *, migrate: bool = True) -> SqliteStore:
    """Open the configured database; raise naming the setting when it is not usable."""
    store = create_store(settings, clock)
    await store.start(migrate=migrate)
    return store


def create_store(settings: Settings, clock: Clock) -> SqliteStore:
    """The configured backend, not yet connected; `start` connects it."""
    path = settings.sqlite_path
    if path is None:
        scheme = settings.database_url.partition(":")[0]
        msg = (
            f"SETTLE_DATABASE_URL: unsupported scheme {scheme!r}; "
            "expected sqlite:///PATH (PostgreSQL is not available yet)"
        )
        raise ConfigurationError(msg)
    return SqliteStore(path, clock)
