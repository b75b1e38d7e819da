"""The storage tests run against every backend: SQLite, and PostgreSQL when a server is set."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot import Settings
from storage import SqlStore
from tests.conftest import FixedClock, open_backend


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture
def postgres(backend: str, request: pytest.FixtureRequest) -> str | None:
    """The test database's URL on the PostgreSQL backend (skipped without a server)."""
    if backend != "postgres":
        return None
    url: str = request.getfixturevalue("postgres_database")
    return url


@pytest.fixture
async def store(
    backend: str, settings: Settings, clock: FixedClock, postgres: str | None
) -> AsyncIterator[SqlStore]:
    async with open_backend(backend, settings, clock, postgres) as opened:
        yield opened
