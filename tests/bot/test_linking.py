from __future__ import annotations

import sqlite3

import pytest

from bot import Customer, Linking, Settings
from storage import SqliteStore
from tests.conftest import FixedClock


@pytest.fixture
async def linking(store: SqliteStore, clock: FixedClock, settings: Settings) -> Linking:
    async with store.transaction() as tx:
        await tx.upsert_customer(Customer("C-1"))
    return Linking(store, clock, settings)


def _token(link: str) -> str:
    return link.rpartition("?start=")[2]


async def test_token_links_once(linking: Linking) -> None:
    token = _token(await linking.deep_link("C-1"))

    first = await linking.redeem("100", token)
    second = await linking.redeem("200", token)

    assert (first, second) == ("C-1", None)


async def test_expired_token_links_nothing(
    linking: Linking, clock: FixedClock, settings: Settings
) -> None:
    token = _token(await linking.deep_link("C-1"))
    clock.advance(days=settings.link_ttl_days, seconds=1)

    assert await linking.redeem("100", token) is None


async def test_malformed_token_links_nothing(linking: Linking) -> None:
    assert await linking.redeem("100", "x' OR 1=1 --") is None


async def test_only_the_hash_of_a_token_is_stored(linking: Linking, store: SqliteStore) -> None:
    token = _token(await linking.deep_link("C-1"))

    with sqlite3.connect(store.path) as db:
        stored = [row[0] for row in db.execute("SELECT token_hash FROM link_tokens")]

    assert len(stored) == 1
    assert token not in stored[0]
    assert len(stored[0]) == 64


async def test_deep_link_fits_telegram_start_payload(linking: Linking) -> None:
    token = _token(await linking.deep_link("C-1"))

    assert len(token) <= 64
    assert token.replace("-", "").replace("_", "").isalnum()
