"""Shared fixtures: a settable clock, settings without the environment, a store on disk."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from bot import Settings
from storage import SqliteStore

# Fails an end-to-end test whose logs show personal data or secrets (tests/log_scan.py).
pytest_plugins = ["tests.log_scan"]

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


class FixedClock:
    """A clock that moves only when told to."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def now(self) -> datetime:
        return self.moment

    def advance(self, **delta: float) -> None:
        self.moment += timedelta(**delta)


@pytest.fixture
def clock() -> FixedClock:
    # A Monday afternoon in America (14:00 in New York), evening in Europe: inside the
    # contact window for the test customers, so the outbox sends what falls due.
    return FixedClock(datetime(2024, 3, 4, 19, 0, tzinfo=UTC))


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=f"sqlite:///{tmp_path / 'settle.db'}",
        webhook_secret="canonical-secret",
        stripe_webhook_secret="whsec_test",
        gocardless_webhook_secret="gc-secret",
        telegram_bot_username="settle_test_bot",
        # Test chats answer within milliseconds, so a second between two messages to one chat
        # would only slow them down; pacing has tests of its own that set it.
        telegram_chat_interval_seconds=0.0,
    )


@pytest.fixture
async def store(settings: Settings, clock: FixedClock) -> AsyncIterator[SqliteStore]:
    assert settings.sqlite_path is not None
    opened = await SqliteStore.open(settings.sqlite_path, clock)
    yield opened
    await opened.close()


def shared(*parts: str) -> Path:
    """A file of the shared real-data folder; the test is skipped when it is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared data not found: {path}")
    return path


def load_json(*parts: str) -> Any:
    return json.loads(shared(*parts).read_text())


@asynccontextmanager
async def served(app: Any) -> AsyncIterator[int]:
    """Serve an ASGI app with uvicorn on a free loopback port; yields the port."""
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, log_config=None, lifespan="on")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()  # raises what stopped the server from starting
        await asyncio.sleep(0.01)
    try:
        yield int(server.servers[0].sockets[0].getsockname()[1])
    finally:
        server.should_exit = True
        await task
