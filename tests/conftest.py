"""Shared fixtures: a settable clock, settings without the environment, a store on disk."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
import uvicorn

from bot import Settings
from storage import PostgresStore, SqliteStore, SqlStore

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


# PostgreSQL: `.ci/run` starts a server and sets SETTLE_TEST_POSTGRES_URL (and
# SETTLE_REQUIRE_POSTGRES=1, so that a missing server fails rather than skips there).
POSTGRES_URL = os.environ.get("SETTLE_TEST_POSTGRES_URL")
POSTGRES_REQUIRED = os.environ.get("SETTLE_REQUIRE_POSTGRES") == "1"


def _database_url(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


async def _create_database(url: str, name: str) -> None:
    admin = await asyncpg.connect(url)
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await admin.execute(f"CREATE DATABASE {name}")
    finally:
        await admin.close()
    store = await PostgresStore.open(_database_url(url, name), FixedClock(datetime.now(UTC)))
    await store.close()


async def _drop_database(url: str, name: str) -> None:
    admin = await asyncpg.connect(url)
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    finally:
        await admin.close()


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """The URL of a migrated database for this test run, dropped at its end."""
    if not POSTGRES_URL:
        if POSTGRES_REQUIRED:
            pytest.fail("SETTLE_REQUIRE_POSTGRES=1 but SETTLE_TEST_POSTGRES_URL is not set")
        pytest.skip("no PostgreSQL server: set SETTLE_TEST_POSTGRES_URL (.ci/run starts one)")
    name = f"settle_test_{os.getpid()}"
    _run_aside(_create_database(POSTGRES_URL, name))
    yield _database_url(POSTGRES_URL, name)
    _run_aside(_drop_database(POSTGRES_URL, name))


def _run_aside(work: Coroutine[Any, Any, None]) -> None:
    """Run a coroutine to its end on a loop of its own, whether or not one runs here."""
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, work).result()


async def empty_postgres(url: str) -> None:
    """Empty every table of the test database but the migrations', numbering from 1 again."""
    connection = await asyncpg.connect(url)
    try:
        sql = """SELECT string_agg(quote_ident(tablename), ', ') FROM pg_tables
            WHERE schemaname = current_schema() AND tablename != 'schema_migrations'"""
        tables = await connection.fetchval(sql)
        await connection.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
    finally:
        await connection.close()


@asynccontextmanager
async def open_backend(
    backend: str, settings: Settings, clock: FixedClock, postgres: str | None
) -> AsyncIterator[SqlStore]:
    """A migrated, empty store of either backend, closed afterwards."""
    if backend == "sqlite":
        assert settings.sqlite_path is not None
        opened: SqlStore = await SqliteStore.open(settings.sqlite_path, clock)
    else:
        assert postgres is not None
        await empty_postgres(postgres)
        opened = await PostgresStore.open(postgres, clock)
    try:
        yield opened
    finally:
        await opened.close()
